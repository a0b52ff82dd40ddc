/* safetensors reading and writing; see safetensors.h. */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "error.h"
#include "json-limits.h"
#include "untrusted.h"

struct _SfSafetensors {
  char *path;
  GBytes *bytes;         /* the whole file: a mapping, or the caller's bytes */
  GHashTable *tensors;   /* name → SfTensorView* (name points at the key) */
  GHashTable *metadata;  /* key → value */
};

static const struct {
  const char *name;
  gsize size;
} dtypes[] = {
  [SF_DTYPE_F32] = { "F32", 4 },
  [SF_DTYPE_I32] = { "I32", 4 },
  [SF_DTYPE_I64] = { "I64", 8 },
  [SF_DTYPE_U8] = { "U8", 1 },
};

const char *
sf_dtype_name (SfDtype dtype)
{
  return (guint) dtype < G_N_ELEMENTS (dtypes) ? dtypes[dtype].name : "?";
}

gsize
sf_dtype_size (SfDtype dtype)
{
  return (guint) dtype < G_N_ELEMENTS (dtypes) ? dtypes[dtype].size : 0;
}

static gboolean
dtype_parse (const char *name, SfDtype *dtype)
{
  for (guint k = 0; k < G_N_ELEMENTS (dtypes); k++)
    if (strcmp (name, dtypes[k].name) == 0)
      {
        *dtype = (SfDtype) k;
        return TRUE;
      }
  return FALSE;
}

/* Elements of a shape, FALSE on overflow or a negative dimension. */
static gboolean
shape_elements (const gint64 *shape, int rank, guint64 *n)
{
  guint64 total = 1;
  for (int d = 0; d < rank; d++)
    {
      if (shape[d] < 0 || (shape[d] > 0 && total > G_MAXUINT64 / (guint64) shape[d]))
        return FALSE;
      total *= (guint64) shape[d];
    }
  *n = total;
  return TRUE;
}

GBytes *
sf_safetensors_serialize (const char *path, const SfTensorView *tensors, int n_tensors,
                          const char *const *metadata, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  if (metadata != NULL && metadata[0] != NULL)
    {
      json_builder_set_member_name (b, "__metadata__");
      json_builder_begin_object (b);
      for (int k = 0; metadata[k] != NULL && metadata[k + 1] != NULL; k += 2)
        {
          json_builder_set_member_name (b, metadata[k]);
          json_builder_add_string_value (b, metadata[k + 1]);
        }
      json_builder_end_object (b);
    }
  guint64 offset = 0;
  for (int t = 0; t < n_tensors; t++)
    {
      const SfTensorView *view = &tensors[t];
      guint64 n = 0;
      if (view->rank < 0 || view->rank > SF_SAFETENSORS_MAX_RANK || !shape_elements (view->shape, view->rank, &n)
          || n * sf_dtype_size (view->dtype) != view->n_bytes)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("%s: tensor '%s': shape and size disagree"), path, view->name);
          return NULL;
        }
      json_builder_set_member_name (b, view->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, sf_dtype_name (view->dtype));
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < view->rank; d++)
        json_builder_add_int_value (b, view->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) offset);
      json_builder_add_int_value (b, (gint64) (offset + view->n_bytes));
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += view->n_bytes;
    }
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *header = json_to_string (root, FALSE);

  /* The Rust implementation pads the header with spaces to a multiple of 8 so the data is aligned. */
  gsize header_len = strlen (header);
  gsize padded = (header_len + 7) / 8 * 8;
  gsize total = 8 + padded + offset;
  guint8 *bytes = g_try_malloc (total);
  if (bytes == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: out of memory for %zu bytes"), path, total);
      return NULL;
    }
  guint64 len_le = GUINT64_TO_LE ((guint64) padded);
  memcpy (bytes, &len_le, 8);
  memcpy (bytes + 8, header, header_len);
  memset (bytes + 8 + header_len, ' ', padded - header_len);
  guint8 *data = bytes + 8 + padded;
  for (int t = 0; t < n_tensors; t++)
    {
      if (tensors[t].n_bytes > 0)   /* an empty tensor's data may be NULL */
        memcpy (data, tensors[t].data, tensors[t].n_bytes);
      data += tensors[t].n_bytes;
    }
  G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);
  return g_bytes_new_take (bytes, total);
}

gboolean
sf_safetensors_check_readable (GBytes *bytes, const char *path, GError **error)
{
  GError *local = NULL;
  g_autoptr (SfSafetensors) file = sf_safetensors_parse (bytes, path, &local);
  if (file != NULL)
    return TRUE;
  /* Translators: the second %s is the reason the reader gives, which starts with the file name. */
  g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("%s: not saved: it could not be read back (%s)"), path,
               local->message);
  g_error_free (local);
  return FALSE;
}

gboolean
sf_safetensors_write (const char *path, const SfTensorView *tensors, int n_tensors,
                      const char *const *metadata, GError **error)
{
  g_autoptr (GBytes) bytes = sf_safetensors_serialize (path, tensors, n_tensors, metadata, error);
  if (bytes == NULL || !sf_safetensors_check_readable (bytes, path, error))
    return FALSE;
  gsize size = 0;
  const void *data = g_bytes_get_data (bytes, &size);
  return sf_atomic_file_save (path, data, size, error);
}

typedef struct {
  guint64 begin, end;
  const char *name;
} Range;

static int
compare_ranges (gconstpointer a, gconstpointer b)
{
  const Range *x = a, *y = b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

static gboolean
fail (GError **error, int code, const char *path, const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, int code, const char *path, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SF_ERROR, code, "%s: %s", path, message);
  return FALSE;
}

/* Reads one tensor entry of the header into view; the data pointer is set later. */
static gboolean
parse_entry (const char *path, const char *name, JsonNode *node, SfTensorView *view, Range *range,
             GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, SF_ERROR_FORMAT, path, _("tensor '%s': not a JSON object"), name);
  JsonObject *o = json_node_get_object (node);
  JsonNode *dtype = json_object_get_member (o, "dtype");
  JsonNode *shape = json_object_get_member (o, "shape");
  JsonNode *offsets = json_object_get_member (o, "data_offsets");
  if (dtype == NULL || shape == NULL || offsets == NULL)
    return fail (error, SF_ERROR_FORMAT, path, _("tensor '%s': needs dtype, shape and data_offsets"), name);
  if (json_node_get_value_type (dtype) != G_TYPE_STRING || !dtype_parse (json_node_get_string (dtype), &view->dtype))
    return fail (error, SF_ERROR_UNSUPPORTED, path, _("tensor '%s': unsupported dtype (F32, I32, I64 and U8 are read)"),
                 name);
  if (!JSON_NODE_HOLDS_ARRAY (shape) || json_array_get_length (json_node_get_array (shape)) > SF_SAFETENSORS_MAX_RANK)
    return fail (error, SF_ERROR_FORMAT, path, _("tensor '%s': shape is not an array of at most %d numbers"), name,
                 SF_SAFETENSORS_MAX_RANK);
  JsonArray *dims = json_node_get_array (shape);
  view->rank = (int) json_array_get_length (dims);
  for (int d = 0; d < view->rank; d++)
    {
      JsonNode *dim = json_array_get_element (dims, d);
      if (!JSON_NODE_HOLDS_VALUE (dim) || json_node_get_value_type (dim) != G_TYPE_INT64 || json_node_get_int (dim) < 0)
        return fail (error, SF_ERROR_FORMAT, path, _("tensor '%s': shape has a dimension that is not a non-negative integer"),
                     name);
      view->shape[d] = json_node_get_int (dim);
    }
  if (!JSON_NODE_HOLDS_ARRAY (offsets) || json_array_get_length (json_node_get_array (offsets)) != 2)
    return fail (error, SF_ERROR_FORMAT, path, _("tensor '%s': data_offsets is not [begin, end]"), name);
  JsonArray *pair = json_node_get_array (offsets);
  for (int k = 0; k < 2; k++)
    {
      JsonNode *value = json_array_get_element (pair, k);
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_INT64 || json_node_get_int (value) < 0)
        return fail (error, SF_ERROR_FORMAT, path, _("tensor '%s': data_offsets holds a negative or non-integer value"), name);
    }
  range->begin = (guint64) json_array_get_int_element (pair, 0);
  range->end = (guint64) json_array_get_int_element (pair, 1);
  range->name = name;
  guint64 n = 0;
  if (!shape_elements (view->shape, view->rank, &n) || n > G_MAXUINT64 / sf_dtype_size (view->dtype))
    return fail (error, SF_ERROR_TOO_LARGE, path, _("tensor '%s': shape too large"), name);
  if (range->end < range->begin || range->end - range->begin != n * sf_dtype_size (view->dtype))
    return fail (error, SF_ERROR_FORMAT, path,
                 _("tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] do not hold %" PRIu64
                 " values of %s"),
                 name, range->begin, range->end, n, sf_dtype_name (view->dtype));
  view->n_bytes = (gsize) (range->end - range->begin);
  return TRUE;
}

SfSafetensors *
sf_safetensors_read (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  /* Non-blocking, so a FIFO does not hang the open; then only regular files. */
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, SF_ERROR, SF_ERROR_IO, _("%s: not a regular file"), path);
      return NULL;
    }
  if ((guint64) st.st_size > SF_SAFETENSORS_MAX_FILE)
    {
      close (fd);
      fail (error, SF_ERROR_TOO_LARGE, path, _("%" PRIu64 " bytes is larger than a model file can be"),
            (guint64) st.st_size);
      return NULL;
    }
  GError *local = NULL;
  GMappedFile *mapping = g_mapped_file_new_from_fd (fd, FALSE, &local);
  close (fd);
  if (mapping == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  g_autoptr (GBytes) bytes = g_mapped_file_get_bytes (mapping);
  g_mapped_file_unref (mapping);
  return sf_safetensors_parse (bytes, path, error);
}

SfSafetensors *
sf_safetensors_parse (GBytes *contents, const char *path, GError **error)
{
  g_return_val_if_fail (contents != NULL && path != NULL, NULL);

  SfSafetensors *file = g_new0 (SfSafetensors, 1);
  file->path = g_strdup (path);
  file->bytes = g_bytes_ref (contents);
  file->tensors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  file->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  GList *members = NULL;
  gsize contents_size = 0;
  const guint8 *bytes = g_bytes_get_data (contents, &contents_size);
  guint64 size = contents_size;
  guint64 header_len = 0;
  g_autoptr (JsonNode) root = NULL;
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (Range));

  if (size > SF_SAFETENSORS_MAX_FILE)
    {
      fail (error, SF_ERROR_TOO_LARGE, path, _("%" PRIu64 " bytes is larger than a model file can be"), size);
      goto failed;
    }
  if (size < 8)
    {
      fail (error, SF_ERROR_TRUNCATED, path, _("truncated: %" PRIu64 " bytes, the header length alone takes 8"),
            size);
      goto failed;
    }
  memcpy (&header_len, bytes, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > SF_SAFETENSORS_MAX_HEADER)
    {
      fail (error, SF_ERROR_TOO_LARGE, path, _("header length %" PRIu64 " is absurd (at most %" PRIu64 ")"),
            header_len, SF_SAFETENSORS_MAX_HEADER);
      goto failed;
    }
  if (header_len > size - 8)
    {
      fail (error, SF_ERROR_TRUNCATED, path, _("truncated: the header needs %" PRIu64 " bytes, %" PRIu64 " follow"),
            header_len, size - 8);
      goto failed;
    }
  if (header_len < 2 || bytes[8] != '{')
    {
      fail (error, SF_ERROR_FORMAT, path, _("not a safetensors file (the header is not a JSON object)"));
      goto failed;
    }
  /* Nesting beyond what the format needs would overflow json-glib's recursive parser. */
  const SfJsonLimits limits = {
    .max_bytes = SF_SAFETENSORS_MAX_HEADER,
    .max_depth = SF_SAFETENSORS_MAX_DEPTH,
    .max_values = SF_SAFETENSORS_MAX_HEADER_VALUES,
  };
  root = sf_json_parse ((const char *) bytes + 8, (gssize) header_len, &limits, path, _("the JSON header"), error);
  if (root == NULL)
    goto failed;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      fail (error, SF_ERROR_FORMAT, path, _("the header is not a JSON object"));
      goto failed;
    }

  const guint8 *data = bytes + 8 + header_len;
  guint64 data_size = size - 8 - header_len;
  JsonObject *header = json_node_get_object (root);
  members = json_object_get_members (header);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (header, name);
      if (strcmp (name, "__metadata__") == 0)
        {
          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              fail (error, SF_ERROR_FORMAT, path, _("__metadata__ is not an object"));
              goto failed;
            }
          JsonObject *meta = json_node_get_object (node);
          g_autoptr (GList) keys = json_object_get_members (meta);
          for (GList *k = keys; k != NULL; k = k->next)
            {
              JsonNode *value = json_object_get_member (meta, k->data);
              if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
                {
                  g_autofree char *key_shown = sf_untrusted_text (k->data, -1, 80);
                  fail (error, SF_ERROR_FORMAT, path, _("__metadata__ value '%s' is not a string"), key_shown);
                  goto failed;
                }
              g_hash_table_replace (file->metadata, g_strdup (k->data), g_strdup (json_node_get_string (value)));
            }
          continue;
        }
      /* Names are the file's text: messages show them escaped (untrusted.h). */
      g_autofree char *shown = sf_untrusted_text (name, -1, 80);
      SfTensorView *view = g_new0 (SfTensorView, 1);
      Range range;
      if (!parse_entry (path, shown, node, view, &range, error))
        {
          g_free (view);
          goto failed;
        }
      if (range.end > data_size)
        {
          fail (error, SF_ERROR_TRUNCATED, path,
                _("tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] beyond the %" PRIu64 " bytes of data"),
                shown, range.begin, range.end, data_size);
          g_free (view);
          goto failed;
        }
      char *key = g_strdup (name);
      view->name = key;
      view->data = data + range.begin;
      range.name = key;
      g_hash_table_replace (file->tensors, key, view);
      g_array_append_val (ranges, range);
    }

  /* The format forbids holes and overlaps: sorted, each range starts where the last ended. */
  g_array_sort (ranges, compare_ranges);
  guint64 expected = 0;
  for (guint k = 0; k < ranges->len; k++)
    {
      Range *r = &g_array_index (ranges, Range, k);
      if (r->begin != expected)
        {
          g_autofree char *shown = sf_untrusted_text (r->name, -1, 80);
          if (r->begin < expected)
            fail (error, SF_ERROR_FORMAT, path, _("tensor '%s' overlaps another tensor's data"), shown);
          else
            fail (error, SF_ERROR_FORMAT, path, _("a gap of unused bytes before tensor '%s'"), shown);
          goto failed;
        }
      expected = r->end;
    }
  if (expected != data_size)
    {
      fail (error, SF_ERROR_FORMAT, path, _("%" PRIu64 " bytes after the last tensor belong to none"),
            data_size - expected);
      goto failed;
    }
  g_list_free (members);
  g_array_unref (ranges);
  return file;

failed:
  g_list_free (members);
  g_array_unref (ranges);
  sf_safetensors_free (file);
  return NULL;
}

void
sf_safetensors_free (SfSafetensors *file)
{
  if (file == NULL)
    return;
  g_hash_table_unref (file->tensors);
  g_hash_table_unref (file->metadata);
  g_bytes_unref (file->bytes);
  g_free (file->path);
  g_free (file);
}

gboolean
sf_safetensors_get (const SfSafetensors *file, const char *name, SfTensorView *view)
{
  SfTensorView *found = g_hash_table_lookup (file->tensors, name);
  if (found == NULL)
    return FALSE;
  *view = *found;
  return TRUE;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

const char **
sf_safetensors_names (const SfSafetensors *file, int *n_names)
{
  guint n = 0;
  const char **names = (const char **) g_hash_table_get_keys_as_array (file->tensors, &n);
  qsort (names, n, sizeof (char *), compare_names);
  *n_names = (int) n;
  return names;
}

const char *
sf_safetensors_get_metadata (const SfSafetensors *file, const char *key)
{
  return g_hash_table_lookup (file->metadata, key);
}

const char *
sf_safetensors_path (const SfSafetensors *file)
{
  return file->path;
}
