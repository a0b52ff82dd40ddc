/* JSON in files, which may be hostile: a linear scan that refuses deep
 * nesting, oversized text and too many values before json-glib's recursive
 * parser sees the text (100,000 nested brackets overflow its stack), member
 * getters that check each field's type and range, and a writer whose numbers
 * json-glib reads back. Every message names the file and the part, e.g.
 * "model.safetensors: metadata 'history': arrays and objects nested deeper
 * than 16 levels". */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  gsize max_bytes;    /* 0: no limit */
  int max_depth;      /* arrays and objects inside one another: [1] is 1, {"a": [1]} is 2 */
  gsize max_values;   /* strings (member names too), numbers, literals, arrays and objects; 0: no limit */
} SfJsonLimits;

/* The limits sf_json_parse applies when given NULL: room for any metadata
 * this program writes (training settings, a history of thousands of epochs),
 * far below what exhausts json-glib's stack or the memory. */
#define SF_JSON_DEFAULT_MAX_BYTES ((gsize) 16 << 20)
#define SF_JSON_DEFAULT_MAX_DEPTH 16
#define SF_JSON_DEFAULT_MAX_VALUES ((gsize) 1 << 20)

/* Scans text [length bytes] once, without recursion. Refuses text over the
 * limits, NUL bytes, and anything outside strings that strict JSON does not
 * allow (json-glib also reads comments and 'single-quoted' strings, which
 * would hide brackets from a scan that did not refuse them). file and part
 * (either may be NULL) name what is scanned in messages. */
gboolean  sf_json_check       (const char *text, gsize length, const SfJsonLimits *limits, const char *file,
                               const char *part, GError **error);
/* sf_json_check, then json-glib's parser: the root node (json_node_unref
 * it), or NULL and SF_ERROR_FORMAT / SF_ERROR_TOO_LARGE. length -1 means
 * text is NUL-terminated; limits NULL means the defaults above. */
JsonNode *sf_json_parse       (const char *text, gssize length, const SfJsonLimits *limits, const char *file,
                               const char *part, GError **error);

/* "an object", "an array", "null", "a string", "an integer", "a number", "a boolean". */
const char *sf_json_node_kind (JsonNode *node);

/* Typed members of an object. An absent member gives fallback; a member of
 * another type (null included) or out of [min, max] is an SF_ERROR_FORMAT
 * naming file, part and member, e.g. "m.safetensors: training settings:
 * 'augment' is an integer, expected a string". *value is set only on
 * success. A double member accepts integers too. */
gboolean  sf_json_get_string  (JsonObject *object, const char *member, const char *fallback, const char **value,
                               const char *file, const char *part, GError **error);
gboolean  sf_json_get_int     (JsonObject *object, const char *member, gint64 fallback, gint64 min, gint64 max,
                               gint64 *value, const char *file, const char *part, GError **error);
gboolean  sf_json_get_double  (JsonObject *object, const char *member, double fallback, double min, double max,
                               double *value, const char *file, const char *part, GError **error);
gboolean  sf_json_get_boolean (JsonObject *object, const char *member, gboolean fallback, gboolean *value,
                               const char *file, const char *part, GError **error);

/* Like json_to_string (node, FALSE), but every number reads back: json-glib
 * 1.6 writes doubles such as 1e308 or 1e-08 as "1e+308.0", which no JSON
 * parser (json-glib included) accepts. Non-finite doubles become null, and
 * each byte of a string that is not UTF-8 becomes U+FFFD, so the text is
 * always JSON that sf_json_parse reads. */
char     *sf_json_to_string   (JsonNode *node);

G_END_DECLS
