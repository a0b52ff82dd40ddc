/* Reading one grey image from a PGM/PPM (P2, P3, P5, P6) or PNG file, and
 * resizing by area averaging. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest side of an image or a dataset, refused before allocating:
 * larger than any face set this tool is for. */
#define SF_MAX_IMAGE_SIDE 4096

typedef struct {
  int width;
  int height;
  float *pixels;  /* [height, width], row-major, values in [0, 1]; colour → grey by Rec. 601 luma */
} SfImage;

/* Chooses the decoder from the file's magic bytes, not its name. Refuses sides
 * over SF_MAX_IMAGE_SIDE before allocating. */
SfImage *sf_image_load   (const char *path, GError **error);
/* The same, from bytes in memory; `name` is used in messages only. */
SfImage *sf_image_decode (const guint8 *data, gsize size, const char *name, GError **error);
void     sf_image_free   (SfImage *image);

/* Area-averaging resize (every source pixel contributes by its overlap with the
 * destination pixel), so downscaling does not alias. Works for up- and
 * downscaling and for different aspect ratios. */
void     sf_image_resize_area (const float *src, int src_width, int src_height,
                               float *dst, int dst_width, int dst_height);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfImage, sf_image_free)

G_END_DECLS
