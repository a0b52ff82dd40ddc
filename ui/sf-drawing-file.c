/* A cairo drawing written atomically as PNG or SVG. */
#include "sf-drawing-file.h"

#include <cairo-svg.h>
#include <glib/gi18n.h>
#include <string.h>

#include "error.h"

SfDrawingFormat
sf_drawing_format_for_path (const char *path)
{
  g_return_val_if_fail (path != NULL, SF_DRAWING_PNG);

  gsize n = strlen (path);
  return n >= 4 && g_ascii_strcasecmp (path + n - 4, ".svg") == 0 ? SF_DRAWING_SVG : SF_DRAWING_PNG;
}

static cairo_status_t
append_cb (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* <title> and <desc> right after the opening <svg …> tag. */
static void
add_svg_title (GByteArray *svg, const char *title, const char *description)
{
  g_autofree char *escaped_title = g_markup_escape_text (title != NULL ? title : "", -1);
  g_autofree char *escaped_desc = g_markup_escape_text (description != NULL ? description : "", -1);
  g_autofree char *insert = g_strdup_printf ("\n<title>%s</title>\n<desc>%s</desc>", escaped_title, escaped_desc);

  g_byte_array_append (svg, (const guint8 *) "", 1);  /* a NUL, to search the text */
  const char *text = (const char *) svg->data;
  const char *open = strstr (text, "<svg");
  const char *end = open != NULL ? strchr (open, '>') : NULL;
  g_byte_array_set_size (svg, svg->len - 1);
  if (end == NULL)
    return;
  gsize at = (gsize) (end + 1 - text);
  gsize n = strlen (insert);
  gsize old_len = svg->len;
  g_byte_array_set_size (svg, (guint) (old_len + n));
  memmove (svg->data + at + n, svg->data + at, old_len - at);
  memcpy (svg->data + at, insert, n);
}

gboolean
sf_drawing_file_save (const char *path, const SfDrawingFileOptions *options, SfDrawingFunc draw, gpointer data,
                      GError **error)
{
  g_return_val_if_fail (path != NULL && options != NULL && draw != NULL, FALSE);

  gboolean svg = options->format == SF_DRAWING_SVG;
  double scale = options->png_scale > 0 ? options->png_scale : 1.0;
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  cairo_surface_t *surface;

  if (svg)
    surface = cairo_svg_surface_create_for_stream (append_cb, bytes, options->width, options->height);
  else
    surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) (options->width * scale),
                                          (int) (options->height * scale));
  cairo_t *cr = cairo_create (surface);
  if (!svg)
    cairo_scale (cr, scale, scale);
  draw (cr, options->width, options->height, data);
  cairo_status_t status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && !svg)
    status = cairo_surface_write_to_png_stream (surface, append_cb, bytes);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_IO, _("%s: could not be written (%s)"), path,
                   cairo_status_to_string (status));
      return FALSE;
    }

  if (svg && (options->title != NULL || options->description != NULL))
    add_svg_title (bytes, options->title, options->description);

  g_autoptr (GFile) file = g_file_new_for_path (path);
  return g_file_replace_contents (file, (const char *) bytes->data, bytes->len, NULL, FALSE,
                                  G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, error);
}
