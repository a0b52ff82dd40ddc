/* A widget that draws one face from its float pixels, crisp at any whole zoom. */
#pragma once

#include <gtk/gtk.h>

#include "sf-face.h"

G_BEGIN_DECLS

#define SF_TYPE_FACE_IMAGE (sf_face_image_get_type ())

G_DECLARE_FINAL_TYPE (SfFaceImage, sf_face_image, SF, FACE_IMAGE, GtkWidget)

GtkWidget *sf_face_image_new      (void);
SfFace    *sf_face_image_get_face (SfFaceImage *self);
void       sf_face_image_set_face (SfFaceImage *self, SfFace *face);
/* 0 fits the face into the allocation (at a whole zoom when it can); any
 * other value is a fixed zoom and the widget asks for exactly that size. */
double     sf_face_image_get_zoom (SfFaceImage *self);
void       sf_face_image_set_zoom (SfFaceImage *self, double zoom);

G_END_DECLS
