/* Decoding one image file to grey floats (PGM/PPM P2, P3, P5, P6 and PNG),
 * and area-averaging resize. */
#include "image.h"

#include <png.h>
#include <zlib.h>
#include <setjmp.h>
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "error.h"
#include "untrusted.h"

/* The largest PGM/PPM a side of SF_MAX_IMAGE_SIDE allows (16-bit RGB, 96 MiB)
 * with room for comments and ASCII samples; PNG compresses below it. */
#define MAX_IMAGE_FILE ((gsize) 256 << 20)

void
sf_image_free (SfImage *image)
{
  if (image == NULL)
    return;
  g_free (image->pixels);
  g_free (image);
}

static SfImage *
image_new (int width, int height, const char *name, GError **error)
{
  if (width <= 0 || height <= 0 || width > SF_MAX_IMAGE_SIDE || height > SF_MAX_IMAGE_SIDE)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: refusing an image of %d×%d (sides 1 to %d)"), name,
                   width, height, SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  SfImage *image = g_new0 (SfImage, 1);
  image->width = width;
  image->height = height;
  image->pixels = g_try_new (float, (gsize) width * height);
  if (image->pixels == NULL)
    {
      g_free (image);
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: out of memory for %d×%d"), name, width, height);
      return NULL;
    }
  return image;
}

/* ---- PNM ---- */

typedef struct {
  const guint8 *data;
  gsize size;
  gsize pos;
} Cursor;

static void
skip_space_and_comments (Cursor *c)
{
  while (c->pos < c->size)
    {
      if (c->data[c->pos] == '#')
        while (c->pos < c->size && c->data[c->pos] != '\n')
          c->pos++;
      else if (g_ascii_isspace (c->data[c->pos]))
        c->pos++;
      else
        break;
    }
}

/* A decimal header or ASCII sample; -1 when absent or beyond `limit`. */
static gint64
read_number (Cursor *c, gint64 limit)
{
  skip_space_and_comments (c);
  if (c->pos >= c->size || !g_ascii_isdigit (c->data[c->pos]))
    return -1;
  gint64 value = 0;
  while (c->pos < c->size && g_ascii_isdigit (c->data[c->pos]))
    {
      value = value * 10 + (c->data[c->pos++] - '0');
      if (value > limit)
        return -2;
    }
  return value;
}

static SfImage *
decode_pnm (const guint8 *data, gsize size, const char *name, GError **error)
{
  char kind = (char) data[1];
  gboolean ascii = kind == '2' || kind == '3';
  int channels = (kind == '3' || kind == '6') ? 3 : 1;
  Cursor c = { data, size, 2 };
  const gint64 limit = (gint64) 1 << 30;
  gint64 width = read_number (&c, limit), height = read_number (&c, limit), maxval = read_number (&c, limit);
  if (width == -1 || height == -1 || maxval == -1)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: the P%c header lacks its width, height or maxval"), name, kind);
      return NULL;
    }
  /* -2: a number with more digits than any side or maxval can have. */
  if (width == -2 || height == -2)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE,
                   _("%s: refusing an image with a side of more than %" PRId64 " pixels (sides 1 to %d)"), name, limit,
                   SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  if (maxval == -2)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: maxval is more than %" PRId64 ", outside 1 to 65535"), name,
                   limit);
      return NULL;
    }
  if (width <= 0 || height <= 0 || width > SF_MAX_IMAGE_SIDE || height > SF_MAX_IMAGE_SIDE)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: refusing an image of %" PRId64 "×%" PRId64 " (sides 1 to %d)"),
                   name, width, height, SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  if (maxval < 1 || maxval > 65535)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: maxval %" PRId64 " is outside 1 to 65535"), name, maxval);
      return NULL;
    }
  gsize n_samples = (gsize) width * height * channels;
  int bytes_per_sample = maxval > 255 ? 2 : 1;
  if (!ascii)
    {
      /* Exactly one whitespace byte separates the header from the samples. */
      if (c.pos >= size || !g_ascii_isspace (data[c.pos]))
        {
          g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: truncated: no pixel data after the header"), name);
          return NULL;
        }
      c.pos++;
      if (size - c.pos < n_samples * bytes_per_sample)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED,
                       _("%s: truncated: expected %zu bytes of pixels, found %zu"), name,
                       n_samples * bytes_per_sample, size - c.pos);
          return NULL;
        }
    }
  SfImage *image = image_new ((int) width, (int) height, name, error);
  if (image == NULL)
    return NULL;
  float scale = 1.0f / (float) maxval;
  for (gsize p = 0; p < (gsize) width * height; p++)
    {
      float rgb[3];
      for (int ch = 0; ch < channels; ch++)
        {
          gint64 sample;
          if (ascii)
            {
              sample = read_number (&c, maxval);
              if (sample < 0)
                {
                  if (sample == -1)
                    g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: truncated: %zu of %zu samples"),
                                 name, p * channels + ch, n_samples);
                  else
                    g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: sample %zu of %zu exceeds maxval"),
                                 name, p * channels + ch, n_samples);
                  sf_image_free (image);
                  return NULL;
                }
            }
          else if (bytes_per_sample == 2)
            {
              sample = (data[c.pos] << 8) | data[c.pos + 1];
              c.pos += 2;
            }
          else
            sample = data[c.pos++];
          rgb[ch] = MIN ((float) sample * scale, 1.0f);
        }
      image->pixels[p] = channels == 3 ? 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2] : rgb[0];
    }
  return image;
}

/* ---- PNG ---- */

typedef struct {
  const guint8 *data;
  gsize size;
  gsize pos;
  char message[256];
  char warning[256];    /* the last warning: libpng explains some errors only there */
  gboolean truncated;   /* the data ended early (the message may be translated) */
} PngSource;

static void
png_read_cb (png_structp png, png_bytep out, png_size_t length)
{
  PngSource *src = png_get_io_ptr (png);
  if (src->size - src->pos < length)
    {
      src->truncated = TRUE;
      png_error (png, _("truncated: the file ends inside the image"));
    }
  memcpy (out, src->data + src->pos, length);
  src->pos += length;
}

static void
png_error_cb (png_structp png, png_const_charp message)
{
  PngSource *src = png_get_error_ptr (png);
  g_strlcpy (src->message, message, sizeof src->message);
  png_longjmp (png, 1);
}

static void
png_warning_cb (png_structp png, png_const_charp message)
{
  PngSource *src = png_get_error_ptr (png);
  g_strlcpy (src->warning, message, sizeof src->warning);
}

/* The sides the IHDR chunk (always the first) states; FALSE when there is
 * no such chunk or its CRC fails, which libpng then reports. */
static gboolean
png_stated_sides (const guint8 *data, gsize size, guint32 *width, guint32 *height)
{
  if (size < 33 || memcmp (data + 8, "\0\0\0\15IHDR", 8) != 0)
    return FALSE;
  guint32 fields[2], crc;
  memcpy (fields, data + 16, sizeof fields);
  memcpy (&crc, data + 29, sizeof crc);
  if (GUINT32_FROM_BE (crc) != crc32 (0, data + 12, 17))
    return FALSE;
  *width = GUINT32_FROM_BE (fields[0]);
  *height = GUINT32_FROM_BE (fields[1]);
  return TRUE;
}

static SfImage *
decode_png (const guint8 *data, gsize size, const char *name, GError **error)
{
  /* The sides are checked before libpng sees them: its own refusal
   * ("Invalid IHDR data") does not say why. */
  guint32 w, h;
  if (png_stated_sides (data, size, &w, &h)
      && (w == 0 || h == 0 || w > SF_MAX_IMAGE_SIDE || h > SF_MAX_IMAGE_SIDE))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE,
                   _("%s: refusing an image of %u×%u (sides 1 to %d)"), name,
                   w, h, SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  PngSource src = { data, size, 0, "", "", FALSE };
  png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &src, png_error_cb, png_warning_cb);
  png_infop info = png != NULL ? png_create_info_struct (png) : NULL;
  SfImage *volatile image = NULL;
  png_bytep *volatile rows = NULL;
  guint8 *volatile buffer = NULL;
  if (info == NULL)
    {
      png_destroy_read_struct (&png, NULL, NULL);
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: out of memory"), name);
      return NULL;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      int code = src.truncated || strstr (src.message, "truncated") ? SF_ERROR_TRUNCATED : SF_ERROR_FORMAT;
      /* libpng quotes chunk names, which are the file's bytes. */
      g_autofree char *what = sf_untrusted_text (src.message, -1, 200);
      g_autofree char *why = sf_untrusted_text (src.warning, -1, 200);
      if (src.warning[0] != '\0' && strcmp (src.warning, src.message) != 0)
        g_set_error (error, SF_ERROR, code, "%s: PNG: %s (%s)", name, what, why);
      else
        g_set_error (error, SF_ERROR, code, "%s: PNG: %s", name, what);
      sf_image_free (image);
      g_free (rows);
      g_free (buffer);
      png_destroy_read_struct (&png, &info, NULL);
      return NULL;
    }
  png_set_read_fn (png, &src, png_read_cb);
  /* Also libpng's own bound (its refusal names the limit in a warning, kept above). */
  png_set_user_limits (png, SF_MAX_IMAGE_SIDE, SF_MAX_IMAGE_SIDE);
  png_read_info (png, info);
  png_uint_32 width = png_get_image_width (png, info), height = png_get_image_height (png, info);
  /* Alpha is dropped: faces are opaque, and a transparent background carries no identity. */
  png_set_expand (png);
  png_set_strip_alpha (png);
  png_set_expand_16 (png);
  png_set_swap (png);  /* 16-bit samples in host (little-endian) order */
  png_read_update_info (png, info);
  int channels = png_get_channels (png, info);
  gsize row_bytes = png_get_rowbytes (png, info);
  GError *local = NULL;
  image = image_new ((int) width, (int) height, name, &local);
  if (image == NULL)
    {
      g_strlcpy (src.message, local->message, sizeof src.message);
      g_error_free (local);
      png_error (png, src.message);
    }
  buffer = g_try_malloc (row_bytes * height);
  if (buffer == NULL)
    png_error (png, _("out of memory"));
  rows = g_new (png_bytep, height);
  for (png_uint_32 y = 0; y < height; y++)
    rows[y] = buffer + y * row_bytes;
  png_read_image (png, rows);
  for (png_uint_32 y = 0; y < height; y++)
    {
      const guint16 *row = (const guint16 *) rows[y];
      for (png_uint_32 x = 0; x < width; x++)
        {
          const guint16 *s = row + (gsize) x * channels;
          float v = channels >= 3 ? (0.299f * s[0] + 0.587f * s[1] + 0.114f * s[2]) / 65535.0f : s[0] / 65535.0f;
          image->pixels[(gsize) y * width + x] = v;
        }
    }
  g_free (buffer);
  g_free (rows);
  png_destroy_read_struct (&png, &info, NULL);
  return image;
}

SfImage *
sf_image_decode (const guint8 *data, gsize size, const char *name, GError **error)
{
  if (size >= 8 && png_sig_cmp ((png_const_bytep) data, 0, 8) == 0)
    return decode_png (data, size, name, error);
  if (size >= 2 && data[0] == 'P' && strchr ("2356", data[1]) != NULL && data[1] != '\0')
    return decode_pnm (data, size, name, error);
  if (size == 0)
    g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: the file is empty"), name);
  else
    g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED, _("%s: not a PGM, PPM or PNG image"), name);
  return NULL;
}

SfImage *
sf_image_load (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = sf_untrusted_read (path, MAX_IMAGE_FILE, _("a face image"), error);
  if (bytes == NULL)
    return NULL;
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  return sf_image_decode (data, size, path, error);
}

/* One axis of the area resize: for destination cell d, the weight of source cell s. */
static void
resize_axis (const float *src, int src_len, gsize src_stride, float *dst, int dst_len, gsize dst_stride,
             int count, gsize src_step, gsize dst_step)
{
  double ratio = (double) src_len / dst_len;
  for (int d = 0; d < dst_len; d++)
    {
      double lo = d * ratio, hi = (d + 1) * ratio;
      int s0 = (int) lo, s1 = MIN ((int) ceil (hi), src_len);
      for (int k = 0; k < count; k++)
        {
          double sum = 0;
          for (int s = s0; s < s1; s++)
            {
              double overlap = MIN (hi, s + 1.0) - MAX (lo, (double) s);
              if (overlap > 0)
                sum += overlap * src[k * src_step + s * src_stride];
            }
          dst[k * dst_step + d * dst_stride] = (float) (sum / ratio);
        }
    }
}

void
sf_image_resize_area (const float *src, int src_width, int src_height, float *dst, int dst_width, int dst_height)
{
  /* Rows first into [src_height, dst_width], then columns. */
  float *tmp = g_new (float, (gsize) src_height * dst_width);
  resize_axis (src, src_width, 1, tmp, dst_width, 1, src_height, src_width, dst_width);
  resize_axis (tmp, src_height, dst_width, dst, dst_height, dst_width, dst_width, 1, 1);
  g_free (tmp);
}
