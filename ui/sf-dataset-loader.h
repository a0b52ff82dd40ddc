/* Loads a dataset on a worker thread and reports progress and the result on
 * the main loop; a newer load or a cancel silences every older one. */
#pragma once

#include <gio/gio.h>

#include "sf-face-list.h"

G_BEGIN_DECLS

#define SF_TYPE_DATASET_LOADER (sf_dataset_loader_get_type ())

G_DECLARE_FINAL_TYPE (SfDatasetLoader, sf_dataset_loader, SF, DATASET_LOADER, GObject)

SfDatasetLoader *sf_dataset_loader_new          (void);
/* Starts loading `path` (NULL: the demo faces) at `size` × `size` pixels,
 * cancelling any load still running. Ends in ::loaded or ::failed. */
void             sf_dataset_loader_load         (SfDatasetLoader *self, const char *path, int size);
/* Cancels the running load, if any; neither signal follows. */
void             sf_dataset_loader_cancel       (SfDatasetLoader *self);
gboolean         sf_dataset_loader_get_loading  (SfDatasetLoader *self);
/* Progress of the running load in [0, 1]. */
double           sf_dataset_loader_get_fraction (SfDatasetLoader *self);
/* The path being loaded (NULL for the demo faces or when idle). */
const char      *sf_dataset_loader_get_path     (SfDatasetLoader *self);

G_END_DECLS
