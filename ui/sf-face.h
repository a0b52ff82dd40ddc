/* One face of an SfFaceList: what a grid cell or a pair row shows. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _SfFaceList SfFaceList;

#define SF_TYPE_FACE (sf_face_get_type ())

G_DECLARE_FINAL_TYPE (SfFace, sf_face, SF, FACE, GObject)

SfFace      *sf_face_new             (SfFaceList *list, int index);
SfFaceList  *sf_face_get_list        (SfFace *self);
int          sf_face_get_index       (SfFace *self);
int          sf_face_get_person      (SfFace *self);
const char  *sf_face_get_person_name (SfFace *self);
/* The image file, or NULL when it has none of its own (demo, .mat, .pkz). */
const char  *sf_face_get_path        (SfFace *self);
/* [height, width] grey floats in [0, 1], owned by the dataset. */
const float *sf_face_get_pixels      (SfFace *self, int *width, int *height);
/* "Image 12, s1", for tooltips and screen readers. */
char        *sf_face_dup_description (SfFace *self);

G_END_DECLS
