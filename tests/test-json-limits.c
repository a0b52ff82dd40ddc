/* The JSON guard: nesting counted exactly (brackets inside strings and
 * escapes do not count, comments and single quotes that could hide them are
 * refused), size and value limits, 100,000 nested brackets refused without a
 * stack overflow, typed member getters whose messages name the field, and a
 * writer whose every number reads back. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "json-limits.h"

/* length -1: text is NUL-terminated. */
static void
expect_refused (const char *text, gssize length, const SfJsonLimits *limits, int code, const char *needle)
{
  GError *error = NULL;
  g_assert_false (sf_json_check (text, length < 0 ? strlen (text) : (gsize) length, limits, "f.json", "part", &error));
  g_assert_error (error, SF_ERROR, code);
  if (!g_str_has_prefix (error->message, "f.json: part: ") || strstr (error->message, needle) == NULL)
    g_error ("'%s' lacks the file, the part or '%s'", error->message, needle);
  g_error_free (error);
}

static void
expect_accepted (const char *text, const SfJsonLimits *limits)
{
  GError *error = NULL;
  if (!sf_json_check (text, strlen (text), limits, "f.json", "part", &error))
    g_error ("'%s' refused: %s", text, error->message);
  /* What the scan accepts within the limits json-glib parses as well. */
  JsonNode *root = sf_json_parse (text, -1, limits, "f.json", "part", &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);
  json_node_unref (root);
}

static char *
nested (const char *open, const char *close, int depth)
{
  GString *text = g_string_new (NULL);
  for (int k = 0; k < depth; k++)
    g_string_append (text, open);
  for (int k = 0; k < depth; k++)
    g_string_append (text, close);
  return g_string_free (text, FALSE);
}

static void
test_depth (void)
{
  const SfJsonLimits two = { .max_depth = 2 };
  expect_accepted ("[]", &two);
  expect_accepted ("{\"a\": [1, 2, {}]}", &(SfJsonLimits) { .max_depth = 3 });
  expect_accepted ("[[1], [2, [] ]]", &(SfJsonLimits) { .max_depth = 3 });
  expect_accepted ("{\"a\": [1], \"b\": {\"c\": 2}}", &two);
  expect_refused ("[[[1]]]", 7, &two, SF_ERROR_FORMAT, "nested deeper than 2 levels");
  expect_refused ("{\"a\": {\"b\": {}}}", 16, &two, SF_ERROR_FORMAT, "nested deeper than 2");
  /* Brackets inside strings, escaped quotes and backslashes do not count. */
  expect_accepted ("[\"[[[[\", \"\\\"[[[\", \"\\\\\", \"{{\\\\\\\"[[\"]", &(SfJsonLimits) { .max_depth = 1 });
  expect_refused ("[\"\\\\\", [[1]]]", 13, &two, SF_ERROR_FORMAT, "nested deeper");
  expect_refused ("]", 1, &two, SF_ERROR_FORMAT, "closes nothing");

  /* json-glib reads comments and single-quoted strings: a quote inside
   * either would hide the brackets after it from a plain string scan. */
  const char *hidden[] = { "[ // \"\n [[[1]]] ]", "[ /* \" */ [[[1]]] ]", "['\"', [[[1]]], '\"']", "# \"\n[[[1]]]" };
  for (guint k = 0; k < G_N_ELEMENTS (hidden); k++)
    expect_refused (hidden[k], strlen (hidden[k]), &(SfJsonLimits) { .max_depth = 8 }, SF_ERROR_FORMAT, "not JSON");
  expect_refused ("[1]\0[[[[", 8, &two, SF_ERROR_FORMAT, "NUL byte at byte 3");
  expect_refused ("[\"a\\\0\"]", 7, &two, SF_ERROR_FORMAT, "NUL byte");
  expect_refused ("[\x01]", 3, &two, SF_ERROR_FORMAT, "unexpected byte 0x01");
}

/* Nesting this deep overflows json-glib's recursive parser (the stack of
 * the test's thread): without the scan this test crashes. */
static void
test_deep_nesting_is_refused (void)
{
  const char *kinds[][2] = { { "[", "]" }, { "{\"a\":", "}" }, { "[{\"a\":", "}]" } };
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *text = nested (kinds[k][0], kinds[k][1], 100000);
      GError *error = NULL;
      JsonNode *root = sf_json_parse (text, -1, NULL, "deep.json", "metadata 'history'", &error);
      g_assert_null (root);
      g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
      g_assert_cmpstr (error->message, ==,
                       "deep.json: metadata 'history': arrays and objects nested deeper than 16 levels");
      g_error_free (error);
    }
  /* At the default limit itself it parses. */
  g_autofree char *sixteen = nested ("[", "]", SF_JSON_DEFAULT_MAX_DEPTH);
  expect_accepted (sixteen, &(SfJsonLimits) { .max_depth = SF_JSON_DEFAULT_MAX_DEPTH });
}

static void
test_size_and_values (void)
{
  const SfJsonLimits small = { .max_bytes = 10, .max_depth = 4 };
  expect_accepted ("[1,2,3,4]", &small);
  expect_refused ("[1,2,3,4,5]", 11, &small, SF_ERROR_TOO_LARGE, "11 bytes, more than the 10 allowed");

  /* Values: the array, each member name, string, number and literal. */
  const SfJsonLimits five = { .max_depth = 4, .max_values = 5 };
  expect_accepted ("[1, -2.5e3, true, null]", &five);
  expect_accepted ("{\"a\": \"b\", \"c\": []}", &five);
  expect_refused ("[1, 2, 3, 4, 5]", 15, &five, SF_ERROR_TOO_LARGE, "more than 5 values");
  expect_refused ("{\"a\": \"b\", \"c\": \"d\", \"e\": 1}", -1, &five, SF_ERROR_TOO_LARGE, "more than 5 values");

  /* Bad JSON that passes the scan is json-glib's to explain, with the file and the part. */
  GError *error = NULL;
  g_assert_null (sf_json_parse ("[1, 2", -1, NULL, "f.json", "part", &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, "f.json: part: not JSON: "));
  g_clear_error (&error);
  g_assert_null (sf_json_parse ("[\"\xff\"]", -1, NULL, NULL, "names", &error));
  g_assert_true (g_str_has_prefix (error->message, "names: not JSON: "));
  g_clear_error (&error);
}

static void
expect_field_error (gboolean ok, GError *error, const char *message)
{
  g_assert_false (ok);
  g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
  g_assert_cmpstr (error->message, ==, message);
  g_error_free (error);
}

/* call sets error; then it must hold message. */
#define EXPECT_FIELD_ERROR(call, message) \
  do \
    { \
      error = NULL; \
      gboolean ok_ = (call); \
      expect_field_error (ok_, error, (message)); \
    } \
  while (0)

static void
test_typed_members (void)
{
  GError *error = NULL;
  g_autoptr (JsonNode) root = sf_json_parse ("{\"s\": \"text\", \"i\": 12, \"d\": 0.5, \"b\": true, \"n\": null,"
                                             " \"a\": [], \"o\": {}, \"augment\": 1, \"epochs\": []}",
                                             -1, NULL, "m.safetensors", "training settings", &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (root);

  const char *text = NULL;
  gint64 i = 0;
  double d = 0;
  gboolean b = FALSE;
  g_assert_true (sf_json_get_string (o, "s", "x", &text, "f", "p", &error));
  g_assert_cmpstr (text, ==, "text");
  g_assert_true (sf_json_get_string (o, "absent", "fallback", &text, "f", "p", &error));
  g_assert_cmpstr (text, ==, "fallback");
  g_assert_true (sf_json_get_int (o, "i", 0, 1, 100, &i, "f", "p", &error));
  g_assert_cmpint (i, ==, 12);
  g_assert_true (sf_json_get_int (o, "absent", 7, 1, 100, &i, "f", "p", &error));
  g_assert_cmpint (i, ==, 7);
  g_assert_true (sf_json_get_double (o, "d", 0, 0, 1, &d, "f", "p", &error));
  g_assert_cmpfloat (d, ==, 0.5);
  g_assert_true (sf_json_get_double (o, "i", 0, 0, 100, &d, "f", "p", &error));
  g_assert_cmpfloat (d, ==, 12);
  g_assert_true (sf_json_get_boolean (o, "b", FALSE, &b, "f", "p", &error));
  g_assert_true (b);
  g_assert_no_error (error);

  const char *file = "m.safetensors", *part = "training settings";
  EXPECT_FIELD_ERROR (sf_json_get_string (o, "augment", "none", &text, file, part, &error),
                      "m.safetensors: training settings: 'augment' is an integer, expected a string");
  EXPECT_FIELD_ERROR (sf_json_get_int (o, "epochs", 100, 1, 100000, &i, file, part, &error),
                      "m.safetensors: training settings: 'epochs' is an array, expected an integer");
  EXPECT_FIELD_ERROR (sf_json_get_int (o, "d", 1, 1, 10, &i, file, part, &error),
                      "m.safetensors: training settings: 'd' is a number, expected an integer");
  EXPECT_FIELD_ERROR (sf_json_get_int (o, "i", 1, 1, 10, &i, file, part, &error),
                      "m.safetensors: training settings: 'i' is 12, expected 1 to 10");
  EXPECT_FIELD_ERROR (sf_json_get_double (o, "s", 1, 0, 1, &d, file, part, &error),
                      "m.safetensors: training settings: 's' is a string, expected a number");
  EXPECT_FIELD_ERROR (sf_json_get_double (o, "d", 1, 1, 2, &d, file, part, &error),
                      "m.safetensors: training settings: 'd' is 0.5, expected 1 to 2");
  EXPECT_FIELD_ERROR (sf_json_get_boolean (o, "n", FALSE, &b, file, part, &error),
                      "m.safetensors: training settings: 'n' is null, expected a boolean");
  EXPECT_FIELD_ERROR (sf_json_get_string (o, "o", NULL, &text, file, NULL, &error),
                      "m.safetensors: 'o' is an object, expected a string");
  /* A failed getter leaves the value as it was. */
  g_assert_cmpint (i, ==, 7);
  g_assert_cmpfloat (d, ==, 12);
}

/* json-glib 1.6 writes 1e308 as "1e+308.0", which it cannot read back:
 * every value written here reads back exactly, and text that is not UTF-8
 * reads back with U+FFFD for each byte that is not. */
static void
test_to_string_reads_back (void)
{
  const double doubles[] = { 1e308, -1e308, 1e-8, 1e20, 5e-324, 0.5, 3.0, -0.0, 0.1, 123456789.125 };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "doubles");
  json_builder_begin_array (b);
  for (guint k = 0; k < G_N_ELEMENTS (doubles); k++)
    json_builder_add_double_value (b, doubles[k]);
  json_builder_add_double_value (b, INFINITY);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "text \"quoted\"");
  json_builder_add_string_value (b, "back\\slash \"q\" new\nline tab\t cr\r bell\a del\x7f Ö 😀");
  /* Not UTF-8, in a name and a value (a file name, a spec from the command
   * line): json-glib refuses the whole text, so each such byte is U+FFFD. */
  json_builder_set_member_name (b, "caf\xe9");
  json_builder_add_string_value (b, "\xff\xfe \xed\xa0\x80 Ö");
  json_builder_set_member_name (b, "int");
  json_builder_add_int_value (b, G_MININT64);
  json_builder_set_member_name (b, "more");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "flag");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "nothing");
  json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  g_autofree char *text = sf_json_to_string (root);
  GError *error = NULL;
  g_autoptr (JsonNode) back = sf_json_parse (text, -1, NULL, "written", NULL, &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (back);
  JsonArray *numbers = json_object_get_array_member (o, "doubles");
  g_assert_cmpuint (json_array_get_length (numbers), ==, G_N_ELEMENTS (doubles) + 1);
  for (guint k = 0; k < G_N_ELEMENTS (doubles); k++)
    {
      JsonNode *number = json_array_get_element (numbers, k);
      g_assert_true (json_node_get_value_type (number) == G_TYPE_DOUBLE);
      g_assert_cmpfloat (json_node_get_double (number), ==, doubles[k]);
    }
  g_assert_true (JSON_NODE_HOLDS_NULL (json_array_get_element (numbers, G_N_ELEMENTS (doubles))));
  g_assert_cmpstr (json_object_get_string_member (o, "text \"quoted\""), ==,
                   "back\\slash \"q\" new\nline tab\t cr\r bell\a del\x7f Ö 😀");
  g_assert_cmpstr (json_object_get_string_member (o, "caf\xef\xbf\xbd"), ==,
                   "\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd Ö");
  g_assert_true (json_object_get_int_member (o, "int") == G_MININT64);
  JsonObject *more = json_object_get_object_member (o, "more");
  g_assert_true (json_object_get_boolean_member (more, "flag"));
  g_assert_true (json_object_get_null_member (more, "nothing"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-limits/depth", test_depth);
  g_test_add_func ("/json-limits/deep-nesting", test_deep_nesting_is_refused);
  g_test_add_func ("/json-limits/size-and-values", test_size_and_values);
  g_test_add_func ("/json-limits/typed-members", test_typed_members);
  g_test_add_func ("/json-limits/to-string-reads-back", test_to_string_reads_back);
  return g_test_run ();
}
