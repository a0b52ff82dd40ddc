/* Bounded JSON parsing and typed fields; see json-limits.h. */
#include "json-limits.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "error.h"

/* "file: part", "file", "part" or "JSON": the subject of every message. */
static char *
subject (const char *file, const char *part)
{
  if (file != NULL && part != NULL)
    return g_strdup_printf ("%s: %s", file, part);
  if (file != NULL || part != NULL)
    return g_strdup (file != NULL ? file : part);
  return g_strdup ("JSON");
}

static gboolean G_GNUC_PRINTF (5, 6)
fail (GError **error, int code, const char *file, const char *part, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *what = subject (file, part);
  g_set_error (error, SF_ERROR, code, "%s: %s", what, message);
  return FALSE;
}

gboolean
sf_json_check (const char *text, gsize length, const SfJsonLimits *limits, const char *file, const char *part,
               GError **error)
{
  g_return_val_if_fail (text != NULL || length == 0, FALSE);
  g_return_val_if_fail (limits != NULL, FALSE);

  if (limits->max_bytes > 0 && length > limits->max_bytes)
    return fail (error, SF_ERROR_TOO_LARGE, file, part, _("%zu bytes, more than the %zu allowed"),
                 length, limits->max_bytes);
  int depth = 0;
  gsize values = 0;
  gboolean in_literal = FALSE;   /* inside a number, true, false or null */
  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) text[i];
      gboolean literal = FALSE;
      switch (c)
        {
        case '"':
          values++;
          /* Every byte up to the closing quote belongs to the string; a
           * backslash takes the next byte with it, as json-glib reads it. An
           * unterminated string is left to the parser to report. */
          for (i++; i < length && text[i] != '"'; i++)
            {
              if (text[i] == '\\' && i + 1 < length)
                i++;
              if (text[i] == '\0')
                return fail (error, SF_ERROR_FORMAT, file, part, _("a NUL byte at byte %zu"), i);
            }
          break;
        case '[':
        case '{':
          values++;
          if (++depth > limits->max_depth)
            return fail (error, SF_ERROR_FORMAT, file, part,
                         g_dngettext (GETTEXT_PACKAGE, "arrays and objects nested deeper than %d level",
                                      "arrays and objects nested deeper than %d levels", limits->max_depth),
                         limits->max_depth);
          break;
        case ']':
        case '}':
          if (--depth < 0)
            return fail (error, SF_ERROR_FORMAT, file, part, _("not JSON: '%c' at byte %zu closes nothing"),
                         c, i);
          break;
        case ',':
        case ':':
        case ' ':
        case '\t':
        case '\n':
        case '\r':
          break;
        case '\0':
          return fail (error, SF_ERROR_FORMAT, file, part, _("a NUL byte at byte %zu"), i);
        default:
          if (!g_ascii_isalnum (c) && c != '-' && c != '+' && c != '.')
            {
              if (g_ascii_isprint (c))
                return fail (error, SF_ERROR_FORMAT, file, part, _("not JSON: unexpected '%c' at byte %zu"),
                             c, i);
              return fail (error, SF_ERROR_FORMAT, file, part, _("not JSON: unexpected byte 0x%02x at byte %zu"),
                           c, i);
            }
          literal = TRUE;
          if (!in_literal)
            values++;
          break;
        }
      in_literal = literal;
      if (limits->max_values > 0 && values > limits->max_values)
        return fail (error, SF_ERROR_TOO_LARGE, file, part, _("more than %zu values"),
                     limits->max_values);
    }
  return TRUE;
}

JsonNode *
sf_json_parse (const char *text, gssize length, const SfJsonLimits *limits, const char *file, const char *part,
               GError **error)
{
  g_return_val_if_fail (text != NULL, NULL);

  static const SfJsonLimits defaults = {
    .max_bytes = SF_JSON_DEFAULT_MAX_BYTES,
    .max_depth = SF_JSON_DEFAULT_MAX_DEPTH,
    .max_values = SF_JSON_DEFAULT_MAX_VALUES,
  };
  gsize size = length < 0 ? strlen (text) : (gsize) length;
  if (!sf_json_check (text, size, limits != NULL ? limits : &defaults, file, part, error))
    return NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  GError *local = NULL;
  if (!json_parser_load_from_data (parser, text, (gssize) size, &local))
    {
      fail (error, SF_ERROR_FORMAT, file, part, _("not JSON: %s"), local->message);
      g_error_free (local);
      return NULL;
    }
  JsonNode *root = json_parser_steal_root (parser);
  if (root == NULL)
    fail (error, SF_ERROR_FORMAT, file, part, _("empty, expected JSON"));
  return root;
}

const char *
sf_json_node_kind (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return _("an object");
    case JSON_NODE_ARRAY:
      return _("an array");
    case JSON_NODE_NULL:
      return _("null");
    case JSON_NODE_VALUE:
    default:
      break;
    }
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return _("a string");
  if (type == G_TYPE_INT64)
    return _("an integer");
  if (type == G_TYPE_DOUBLE)
    return _("a number");
  if (type == G_TYPE_BOOLEAN)
    return _("a boolean");
  return _("a value of unknown type");
}

/* The member, or NULL when absent; FALSE with an error when it is not a value of type. */
static gboolean
typed_member (JsonObject *object, const char *member, GType type, const char *expected, JsonNode **node,
              const char *file, const char *part, GError **error)
{
  g_return_val_if_fail (object != NULL && member != NULL, FALSE);

  *node = json_object_get_member (object, member);
  if (*node == NULL)
    return TRUE;
  GType found = JSON_NODE_HOLDS_VALUE (*node) ? json_node_get_value_type (*node) : G_TYPE_INVALID;
  if (found == type || (type == G_TYPE_DOUBLE && found == G_TYPE_INT64))
    return TRUE;
  /* Translators: e.g. 'augment' is an integer, expected a string */
  return fail (error, SF_ERROR_FORMAT, file, part, _("'%s' is %s, expected %s"), member, sf_json_node_kind (*node),
               expected);
}

gboolean
sf_json_get_string (JsonObject *object, const char *member, const char *fallback, const char **value,
                    const char *file, const char *part, GError **error)
{
  JsonNode *node;
  if (!typed_member (object, member, G_TYPE_STRING, _("a string"), &node, file, part, error))
    return FALSE;
  *value = node != NULL ? json_node_get_string (node) : fallback;
  return TRUE;
}

gboolean
sf_json_get_int (JsonObject *object, const char *member, gint64 fallback, gint64 min, gint64 max, gint64 *value,
                 const char *file, const char *part, GError **error)
{
  JsonNode *node;
  if (!typed_member (object, member, G_TYPE_INT64, _("an integer"), &node, file, part, error))
    return FALSE;
  gint64 v = node != NULL ? json_node_get_int (node) : fallback;
  if (node != NULL && (v < min || v > max))
    return fail (error, SF_ERROR_FORMAT, file, part,
                 _("'%s' is %" PRId64 ", expected %" PRId64 " to %" PRId64), member, v, min,
                 max);
  *value = v;
  return TRUE;
}

gboolean
sf_json_get_double (JsonObject *object, const char *member, double fallback, double min, double max, double *value,
                    const char *file, const char *part, GError **error)
{
  JsonNode *node;
  if (!typed_member (object, member, G_TYPE_DOUBLE, _("a number"), &node, file, part, error))
    return FALSE;
  double v = node != NULL ? json_node_get_double (node) : fallback;
  if (node != NULL && !(v >= min && v <= max))
    return fail (error, SF_ERROR_FORMAT, file, part, _("'%s' is %g, expected %g to %g"), member, v, min, max);
  *value = v;
  return TRUE;
}

gboolean
sf_json_get_boolean (JsonObject *object, const char *member, gboolean fallback, gboolean *value, const char *file,
                     const char *part, GError **error)
{
  JsonNode *node;
  if (!typed_member (object, member, G_TYPE_BOOLEAN, _("a boolean"), &node, file, part, error))
    return FALSE;
  *value = node != NULL ? json_node_get_boolean (node) : fallback;
  return TRUE;
}

static void
append_string (GString *out, const char *text)
{
  /* JSON is UTF-8: each byte that is not becomes U+FFFD, so the text reads back. */
  g_autofree char *valid = g_utf8_validate (text, -1, NULL) ? NULL : g_utf8_make_valid (text, -1);
  g_string_append_c (out, '"');
  for (const guchar *c = (const guchar *) (valid != NULL ? valid : text); *c != '\0'; c++)
    switch (*c)
      {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      default:
        if (*c < 0x20 || *c == 0x7f)
          g_string_append_printf (out, "\\u%04x", *c);
        else
          g_string_append_c (out, (char) *c);
        break;
      }
  g_string_append_c (out, '"');
}

static void
append_node (GString *out, JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr (GList) members = json_object_get_members (object);
        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            if (l != members)
              g_string_append_c (out, ',');
            append_string (out, l->data);
            g_string_append_c (out, ':');
            append_node (out, json_object_get_member (object, l->data));
          }
        g_string_append_c (out, '}');
        return;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        g_string_append_c (out, '[');
        for (guint k = 0; k < json_array_get_length (array); k++)
          {
            if (k > 0)
              g_string_append_c (out, ',');
            append_node (out, json_array_get_element (array, k));
          }
        g_string_append_c (out, ']');
        return;
      }
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      return;
    case JSON_NODE_VALUE:
    default:
      break;
    }
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    append_string (out, json_node_get_string (node));
  else if (type == G_TYPE_INT64)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
  else if (type == G_TYPE_BOOLEAN)
    g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
  else if (type == G_TYPE_DOUBLE && isfinite (json_node_get_double (node)))
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];
      g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node));
      g_string_append (out, buffer);
      /* A double stays a double when read back, as json-glib writes it; an
       * exponent already makes it one. */
      if (strpbrk (buffer, ".eE") == NULL)
        g_string_append (out, ".0");
    }
  else
    g_string_append (out, "null");
}

char *
sf_json_to_string (JsonNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);

  GString *out = g_string_new (NULL);
  append_node (out, node);
  return g_string_free (out, FALSE);
}
