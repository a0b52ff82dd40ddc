/* NumPy .npy v1.0 writer: magic, version, a little-endian header length, a
 * Python-literal header padded so the data starts on a 64-byte boundary. */
#include "npy.h"

#include <gio/gio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "atomic-file.h"
#include "error.h"

static gboolean
write_npy (const char *path, const char *descr, const void *data, gsize item_size,
           const gsize *shape, int n_dims, GError **error)
{
  g_return_val_if_fail (n_dims >= 1 && n_dims <= 8, FALSE);

  GString *dict = g_string_new (NULL);
  g_string_append_printf (dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  gsize n_items = 1;
  for (int d = 0; d < n_dims; d++)
    {
      g_string_append_printf (dict, "%" G_GSIZE_FORMAT "%s", shape[d],
                              n_dims == 1 ? "," : (d + 1 < n_dims ? ", " : ""));
      if (shape[d] != 0 && n_items > G_MAXSIZE / item_size / shape[d])
        {
          g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: array too large"), path);
          g_string_free (dict, TRUE);
          return FALSE;
        }
      n_items *= shape[d];
    }
  g_string_append (dict, "), }");
  /* magic (6) + version (2) + length (2) + dict + padding + '\n' ≡ 0 (mod 64) */
  gsize unpadded = 10 + dict->len + 1;
  gsize padding = (64 - unpadded % 64) % 64;
  for (gsize k = 0; k < padding; k++)
    g_string_append_c (dict, ' ');
  g_string_append_c (dict, '\n');

  gsize header_len = dict->len;
  gsize data_len = n_items * item_size;
  gsize total = 10 + header_len + data_len;
  guint8 *bytes = g_try_malloc (total);
  if (bytes == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: out of memory"), path);
      g_string_free (dict, TRUE);
      return FALSE;
    }
  memcpy (bytes, "\x93NUMPY\x01\x00", 8);
  bytes[8] = header_len & 0xff;
  bytes[9] = (header_len >> 8) & 0xff;
  memcpy (bytes + 10, dict->str, header_len);
  /* The engine only runs on little-endian hosts for now; descr says '<'. */
  G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);
  memcpy (bytes + 10 + header_len, data, data_len);
  g_string_free (dict, TRUE);

  gboolean ok = sf_atomic_file_save (path, bytes, total, error);
  g_free (bytes);
  return ok;
}

gboolean
sf_npy_write_float32 (const char *path, const float *data, const gsize *shape, int n_dims,
                      GError **error)
{
  return write_npy (path, "<f4", data, sizeof (float), shape, n_dims, error);
}

gboolean
sf_npy_write_int32 (const char *path, const gint32 *data, const gsize *shape, int n_dims,
                    GError **error)
{
  return write_npy (path, "<i4", data, sizeof (gint32), shape, n_dims, error);
}
