/* Writing NumPy .npy files (format 1.0) that numpy.load reads as is. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* float32 little-endian array of the given shape (C order); written atomically. */
gboolean sf_npy_write_float32 (const char *path, const float *data,
                               const gsize *shape, int n_dims, GError **error);
/* int32 little-endian array of the given shape (C order); written atomically. */
gboolean sf_npy_write_int32   (const char *path, const gint32 *data,
                               const gsize *shape, int n_dims, GError **error);

G_END_DECLS
