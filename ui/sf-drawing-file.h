/* Saving a cairo drawing as a PNG or SVG file: drawn into memory first, then
 * written with g_file_replace_contents, so a failed export never leaves a
 * half-written file and an existing one is replaced whole. An SVG may carry a
 * <title> and <desc>, since its text is glyph outlines. */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  SF_DRAWING_PNG,
  SF_DRAWING_SVG,
} SfDrawingFormat;

/* Draws the picture in a width × height box at the origin of `cr`. */
typedef void (*SfDrawingFunc) (cairo_t *cr, double width, double height, gpointer data);

typedef struct {
  SfDrawingFormat format;
  double width, height;        /* the drawing's size in its own units (points in an SVG) */
  double png_scale;            /* pixels per unit in a PNG; 0 means 1 */
  const char *title;           /* for an SVG's <title> and <desc>; NULL for none */
  const char *description;
} SfDrawingFileOptions;

/* SVG for a path ending in ".svg" (any case), PNG for anything else. */
SfDrawingFormat sf_drawing_format_for_path (const char *path);

/* Draws with `draw` and writes the result to `path`; the error names the file. */
gboolean        sf_drawing_file_save       (const char *path, const SfDrawingFileOptions *options,
                                            SfDrawingFunc draw, gpointer data, GError **error);

G_END_DECLS
