/* Inflating a whole zlib stream held in memory, with a ceiling on its size. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The inflated bytes (g_free them), or NULL with SF_ERROR_TRUNCATED (the
 * stream ends early), SF_ERROR_FORMAT (not zlib) or SF_ERROR_TOO_LARGE (more
 * than max_size bytes); messages start with path. */
guint8 *sf_inflate (const char *path, const guint8 *data, gsize size, gsize max_size, gsize *out_size,
                    GError **error);

G_END_DECLS
