/* zlib inflation for the .mat and .pkz loaders. */
#include "inflate.h"

#include <zlib.h>
#include <glib/gi18n-lib.h>

#include "error.h"

guint8 *
sf_inflate (const char *path, const guint8 *data, gsize size, gsize max_size, gsize *out_size, GError **error)
{
  z_stream z = { 0 };
  if (inflateInit (&z) != Z_OK)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: zlib failed to start"), path);
      return NULL;
    }
  gsize capacity = MIN ((gsize) 1 << 20, max_size), used = 0;
  guint8 *out = g_malloc (capacity);
  z.next_in = (Bytef *) data;
  z.avail_in = (uInt) MIN (size, G_MAXUINT);
  int status;
  do
    {
      if (used == capacity)
        {
          if (capacity >= max_size)
            {
              inflateEnd (&z);
              g_free (out);
              g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: compressed data inflates beyond %zu MiB"),
                           path, max_size >> 20);
              return NULL;
            }
          capacity = MIN (capacity * 2, max_size);
          out = g_realloc (out, capacity);
        }
      z.next_out = out + used;
      z.avail_out = (uInt) (capacity - used);
      status = inflate (&z, Z_NO_FLUSH);
      used = capacity - z.avail_out;
    }
  while (status == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
  inflateEnd (&z);
  if (status != Z_STREAM_END)
    {
      g_free (out);
      if (status == Z_OK || status == Z_BUF_ERROR)
        g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: truncated: the compressed data ends early"), path);
      else
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: not valid zlib-compressed data"), path);
      return NULL;
    }
  *out_size = used;
  return out;
}
