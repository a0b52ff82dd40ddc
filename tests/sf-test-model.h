/* For UI tests: a tiny model trained in a moment on a dataset, as the
 * checkpoint the Train view would hand to the session. */
#pragma once

#include "checkpoint.h"

G_BEGIN_DECLS

/* Trains "pool2 conv8k3-bn-relu pool2 gap dense16" for `epochs` epochs on
 * `dataset` (seeded, so the same every run) with the dataset's fingerprint;
 * threshold 0.5. */
SfCheckpoint *sf_test_train_checkpoint (const SfDataset *dataset, int epochs, GError **error);

G_END_DECLS
