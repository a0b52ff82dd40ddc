/* Face pixels to textures and cairo surfaces, and thumbnail zoom arithmetic. */
#include "sf-face-paint.h"

#include <math.h>

static const double zoom_levels[] = { 0.5, 1.0, 2.0, 3.0, 4.0 };

guint8
sf_face_grey_byte (float value)
{
  if (!(value > 0.0f))
    return 0;
  if (value >= 1.0f)
    return 255;
  return (guint8) lrintf (value * 255.0f);
}

void
sf_face_pixels_to_rgb (const float *pixels, int width, int height, guint8 *rgb, gsize stride)
{
  g_return_if_fail (pixels != NULL && rgb != NULL);
  g_return_if_fail (stride >= (gsize) width * 3);

  for (int y = 0; y < height; y++)
    {
      guint8 *row = rgb + (gsize) y * stride;
      const float *src = pixels + (gsize) y * width;
      for (int x = 0; x < width; x++)
        {
          guint8 v = sf_face_grey_byte (src[x]);
          row[3 * x] = v;
          row[3 * x + 1] = v;
          row[3 * x + 2] = v;
        }
    }
}

GdkTexture *
sf_face_texture_new (const float *pixels, int width, int height)
{
  g_return_val_if_fail (pixels != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  gsize stride = (gsize) width * 3;
  guint8 *rgb = g_malloc (stride * height);
  sf_face_pixels_to_rgb (pixels, width, height, rgb, stride);
  g_autoptr (GBytes) bytes = g_bytes_new_take (rgb, stride * height);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes, stride);
}

cairo_surface_t *
sf_face_surface_new (const float *pixels, int width, int height)
{
  g_return_val_if_fail (pixels != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    return surface;
  cairo_surface_flush (surface);
  guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < height; y++)
    {
      guint32 *row = (guint32 *) (gpointer) (data + (gsize) y * stride);
      const float *src = pixels + (gsize) y * width;
      for (int x = 0; x < width; x++)
        {
          guint32 v = sf_face_grey_byte (src[x]);
          row[x] = 0xff000000u | (v << 16) | (v << 8) | v;
        }
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

void
sf_face_paint (cairo_t *cr, cairo_surface_t *face, double x, double y, double zoom)
{
  g_return_if_fail (cr != NULL && face != NULL);

  if (!(zoom > 0))
    return;
  int width = cairo_image_surface_get_width (face);
  int height = cairo_image_surface_get_height (face);

  cairo_save (cr);
  cairo_rectangle (cr, x, y, width * zoom, height * zoom);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, zoom, zoom);
  cairo_set_source_surface (cr, face, 0, 0);
  cairo_pattern_t *pattern = cairo_get_source (cr);
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  cairo_pattern_set_filter (pattern, zoom >= 1.0 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_paint (cr);
  cairo_restore (cr);
}

double
sf_zoom_for_target (int side, int target)
{
  if (side <= 0 || target <= 0)
    return 1.0;
  if (side <= target)
    return floor ((double) target / side);
  return (double) target / side;
}

double
sf_zoom_fit (int width, int height, int avail_width, int avail_height)
{
  if (width <= 0 || height <= 0 || avail_width <= 0 || avail_height <= 0)
    return 0.0;
  double zoom = MIN ((double) avail_width / width, (double) avail_height / height);
  if (zoom >= 1.0)
    return floor (zoom);
  return zoom;
}

double
sf_zoom_normalize (double zoom)
{
  if (!(zoom >= zoom_levels[0]))
    return zoom_levels[0];
  for (gsize i = G_N_ELEMENTS (zoom_levels); i-- > 0;)
    if (zoom >= zoom_levels[i])
      return zoom_levels[i];
  return zoom_levels[0];
}

double
sf_zoom_step (double zoom, int direction)
{
  gsize n = G_N_ELEMENTS (zoom_levels);

  if (direction > 0)
    {
      for (gsize i = 0; i < n; i++)
        if (zoom_levels[i] > zoom + 1e-9)
          return zoom_levels[i];
      return zoom_levels[n - 1];
    }
  if (direction < 0)
    {
      for (gsize i = n; i-- > 0;)
        if (zoom_levels[i] < zoom - 1e-9)
          return zoom_levels[i];
      return zoom_levels[0];
    }
  return sf_zoom_normalize (zoom);
}

int
sf_zoom_pixels (int side, double zoom)
{
  long pixels = lround (side * zoom);
  return (int) CLAMP (pixels, 1, G_MAXINT / 2);
}
