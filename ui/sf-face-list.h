/* The faces of a loaded dataset as a GListModel of SfFace, grouped by person
 * and optionally narrowed to one person. Owns the (immutable) dataset. */
#pragma once

#include <gio/gio.h>

#include "dataset.h"

G_BEGIN_DECLS

#define SF_TYPE_FACE_LIST (sf_face_list_get_type ())

G_DECLARE_FINAL_TYPE (SfFaceList, sf_face_list, SF, FACE_LIST, GObject)

/* Takes ownership of `dataset`, which must not change afterwards: workers
 * read it from other threads while the list lives. */
SfFaceList      *sf_face_list_new             (SfDataset *dataset);
const SfDataset *sf_face_list_get_dataset     (SfFaceList *self);
/* -1 shows every face; p shows only person p's. */
int              sf_face_list_get_person      (SfFaceList *self);
void             sf_face_list_set_person      (SfFaceList *self, int person);
/* The dataset index of the face at `position` (in the current view). */
int              sf_face_list_get_image_index (SfFaceList *self, guint position);
/* The position of dataset image `index` in the current view, or -1 when it is
 * filtered out. */
int              sf_face_list_find_position   (SfFaceList *self, int index);
/* Faces of person p. */
int              sf_face_list_get_person_count (SfFaceList *self, int person);
/* sf_dataset_fingerprint of the dataset, computed once (main thread): the
 * views compare it with a model's to know whether it was trained here. */
const char      *sf_face_list_get_fingerprint (SfFaceList *self);
/* Hands over a fingerprint computed elsewhere, off the main thread (the
 * dataset loader's worker), so no view pays for it; NULL is ignored. */
void             sf_face_list_take_fingerprint (SfFaceList *self, char *fingerprint);
/* A short name for the dataset: the folder or file name, or "Demo faces". */
char            *sf_face_list_dup_title       (SfFaceList *self);

G_END_DECLS
