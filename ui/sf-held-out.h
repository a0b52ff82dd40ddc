/* Which faces and people of a dataset a model never saw in training: the
 * held-out part of its split, so views can mark the honest test apart from
 * what the model learnt on. */
#pragma once

#include <glib.h>

#include "checkpoint.h"
#include "dataset.h"

G_BEGIN_DECLS

typedef struct {
  gboolean *images;          /* [n_images] */
  gboolean *people;          /* [n_people]: every image of the person is held out */
  int n_images;
  int n_people;
  int first_image;           /* of the first held-out person, else the first held-out image; -1 if none */
} SfHeldOut;

/* The held-out part of the checkpoint's split, regenerated from its settings
 * (pair generation only, no model run: cheap enough for the main thread).
 * NULL when there is nothing to mark: no checkpoint or dataset, a dataset the
 * model was not trained on, or a split that holds out no image (pairs). */
/* dataset_fingerprint: the dataset's, as SfFaceList keeps it (NULL: computed). */
SfHeldOut *sf_held_out_new        (const SfCheckpoint *checkpoint, const SfDataset *dataset,
                                   const char *dataset_fingerprint);
SfHeldOut *sf_held_out_copy       (const SfHeldOut *held_out);
void       sf_held_out_free       (SfHeldOut *held_out);

/* NULL-safe lookups: FALSE when `held_out` is NULL or the index is out of range. */
gboolean   sf_held_out_has_image  (const SfHeldOut *held_out, int image);
gboolean   sf_held_out_has_person (const SfHeldOut *held_out, int person);

/* A person's name as pickers and cards show it, e.g. "s3 (held out)"
 * for a held-out person; a plain copy otherwise. */
char      *sf_held_out_name       (const SfHeldOut *held_out, int person, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfHeldOut, sf_held_out_free)

G_END_DECLS
