/* A faces dataset: N grey images of one size with person labels, and its
 * loading. The dataset itself (dataset.c) knows no file format; the loaders
 * (matfile.c: an Olivetti .mat, pickle.c: a scikit-learn .pkz, folder.c: a
 * folder of per-person subfolders, demo.c: the built-in demo faces) build
 * through its constructors, and sf_dataset_load (dataset-open.c) picks the
 * loader for a path. */
#pragma once

#include <gio/gio.h>

#include "image.h"

G_BEGIN_DECLS

#define SF_DEFAULT_IMAGE_SIZE 64
/* Refused before allocating: larger than any face set this tool is for (and
 * SF_MAX_IMAGE_SIDE, image.h). */
#define SF_MAX_IMAGES       1000000
#define SF_MAX_DATASET_BYTES ((gsize) 8 << 30)

typedef enum {
  SF_DATASET_FORMAT_DEMO,
  SF_DATASET_FORMAT_MAT,
  SF_DATASET_FORMAT_PKZ,
  SF_DATASET_FORMAT_FOLDER,
} SfDatasetFormat;

typedef struct {
  SfDatasetFormat format;
  char *source;         /* the path it was loaded from; NULL for the demo faces */
  int n_images;
  int height;
  int width;
  /* The images' sizes before any resizing, smallest and largest side each
   * way: equal pairs when every image had one size (92 × 112 for ORL). */
  int original_min_width, original_max_width;
  int original_min_height, original_max_height;
  float *pixels;        /* [n_images, height, width], row-major, values in [0, 1] */
  int *labels;          /* [n_images], person index in 0 .. n_people-1 */
  int n_people;
  char **person_names;  /* [n_people], never NULL entries */
  char **image_paths;   /* [n_images], NULL entries where an image has no file of its own */
  GPtrArray *warnings;  /* char*: files that were skipped, each naming the file and the problem */
} SfDataset;

/* Allocates a dataset with zeroed pixels, labels, names and paths (the
 * original size is width × height until the loader says otherwise); refuses absurd
 * sizes (negative, zero, over the SF_MAX_* limits) with SF_ERROR_TOO_LARGE or
 * SF_ERROR_INVALID before allocating anything. */
SfDataset  *sf_dataset_new            (SfDatasetFormat format,
                                       int n_images, int height, int width, int n_people,
                                       GError **error);
void        sf_dataset_free           (SfDataset *dataset);

static inline const float *
sf_dataset_image (const SfDataset *dataset, int index)
{
  return dataset->pixels + (gsize) index * dataset->height * dataset->width;
}

/* Images of every person: counts[p] for p in 0 .. n_people-1 (caller frees). */
int        *sf_dataset_person_counts  (const SfDataset *dataset);
/* SHA-256 hex of size, labels and pixels: identical data, identical fingerprint. */
char       *sf_dataset_fingerprint    (const SfDataset *dataset);
const char *sf_dataset_format_name    (SfDatasetFormat format);
/* Resizes every image to size x size with area averaging, in place; the
 * original sizes stay as they were. */
gboolean    sf_dataset_resize         (SfDataset *dataset, int size, GError **error);

/* Olivetti pixels as scikit-learn gives them, shared by the .mat and .pkz
 * loaders. `values` holds n_images blocks of 4096 numbers, block i being image
 * i stored column-major (MATLAB's 4096 x 400 matrix, or equally the (400, 4096)
 * C-order array of the .pkz). They are scaled by the global min and max, and
 * each image is transposed to row-major 64 x 64. Person = index / 10. */
SfDataset  *sf_dataset_from_olivetti_values (SfDatasetFormat format, const char *path,
                                             const float *values, int n_images,
                                             GError **error);

/* ------------------------------------------------------------------------ */
/* Loading (dataset-open.c and the loaders)                                 */

/* Reports progress in [0, 1] from whatever thread does the loading. */
typedef void (*SfProgressFunc) (double fraction, gpointer user_data);

typedef struct {
  int size;                   /* model input side; 0 means SF_DEFAULT_IMAGE_SIZE */
  GCancellable *cancellable;  /* may be NULL */
  SfProgressFunc progress;    /* may be NULL */
  gpointer progress_data;
} SfLoadOptions;

/* Picks the loader from what the path is: a directory is a folder of people,
 * a .mat file (or MATLAB magic) the Olivetti file, a .pkz the scikit-learn
 * cache. NULL path gives the demo faces. Every image ends at options->size. */
SfDataset  *sf_dataset_load           (const char *path, const SfLoadOptions *options, GError **error);

/* The individual loaders (sf_dataset_load dispatches to them). The .mat and
 * .pkz loaders return the images at their native size; sf_dataset_load
 * resizes. */
SfDataset  *sf_matfile_load_olivetti  (const char *path, GError **error);
SfDataset  *sf_pickle_load_olivetti   (const char *path, GError **error);
SfDataset  *sf_folder_load            (const char *path, const SfLoadOptions *options, GError **error);
SfDataset  *sf_demo_faces_generate    (int size, guint64 seed, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfDataset, sf_dataset_free)

/* s2 before s10: runs of digits compare as numbers, letters without case
 * (the order of a folder's people, and of runs ended in the same second). */
int                sf_natural_compare (const char *a, const char *b);

G_END_DECLS
