/* Turning a dataset's float pixels into something GTK can draw, and the zoom
 * arithmetic that keeps faces crisp. No widgets here: tests call these with no display. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The zoom levels offered for thumbnails: halving, then whole multiples only,
 * because a face magnified by a fraction can only be drawn blurred or uneven. */
#define SF_ZOOM_MIN 0.5
#define SF_ZOOM_MAX 4.0

/* One grey value in [0, 1] (clamped; NaN is black) to a byte, rounded. */
guint8           sf_face_grey_byte     (float value);
/* [height, width] grey floats to packed R8G8B8 rows of `stride` bytes. */
void             sf_face_pixels_to_rgb (const float *pixels, int width, int height,
                                        guint8 *rgb, gsize stride);
/* An immutable texture of the face (GDK_MEMORY_R8G8B8: GTK 4.8 has no grey format). */
GdkTexture      *sf_face_texture_new   (const float *pixels, int width, int height);
/* A CAIRO_FORMAT_RGB24 surface of the face, for drawing at any zoom. */
cairo_surface_t *sf_face_surface_new   (const float *pixels, int width, int height);
/* Paints `face` with its top left corner at (x, y), magnified by `zoom`:
 * nearest-neighbour at whole zooms (every pixel a crisp square), a smoothing
 * filter only when shrinking. */
void             sf_face_paint         (cairo_t *cr, cairo_surface_t *face,
                                        double x, double y, double zoom);

/* The zoom that shows a `side`-pixel face at about `target` pixels: the
 * largest whole zoom not above it, at least 1; a fraction only to shrink a face
 * larger than the target. */
double           sf_zoom_for_target    (int side, int target);
/* The largest zoom at which a width × height face fits in avail_width ×
 * avail_height: whole when it is at least 1, a fraction when the face must shrink;
 * 0 when there is no room at all. */
double           sf_zoom_fit           (int width, int height, int avail_width, int avail_height);
/* The next thumbnail zoom level up (direction > 0) or down, clamped to
 * SF_ZOOM_MIN .. SF_ZOOM_MAX; a zoom between levels snaps to the neighbour. */
double           sf_zoom_step          (double zoom, int direction);
/* Clamps any zoom to a thumbnail level (0.5, 1, 2, 3 or 4). */
double           sf_zoom_normalize     (double zoom);
/* Side in pixels of a `side`-pixel face at `zoom`, at least 1. */
int              sf_zoom_pixels        (int side, double zoom);

G_END_DECLS
