/* The translated words the views share for datasets and splits, in one place
 * so every view says the same thing the same way. */
#pragma once

#include <glib.h>

#include "dataset.h"
#include "pairs.h"

G_BEGIN_DECLS

const char *sf_strings_format_name      (SfDatasetFormat format);
/* "64 × 64 pixels" */
char       *sf_strings_size             (int width, int height);
/* "Folder of people · 400 faces of 40 people · 64 × 64 pixels" */
char       *sf_strings_dataset_summary  (const SfDataset *dataset);
const char *sf_strings_split_name       (SfSplitKind kind);
/* What the split holds out, with its share as a percentage. */
char       *sf_strings_split_description (SfSplitKind kind, double share);

G_END_DECLS
