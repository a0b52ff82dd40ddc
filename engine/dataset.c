/* The dataset type and its constructors, which every loader builds through;
 * it knows no file format (dataset-open.c picks the loader for a path). */
#include "dataset.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "error.h"
#include "image.h"

SfDataset *
sf_dataset_new (SfDatasetFormat format, int n_images, int height, int width, int n_people,
                GError **error)
{
  if (n_images <= 0 || height <= 0 || width <= 0 || n_people <= 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   _("invalid dataset size: %d images of %d×%d, %d people"),
                   n_images, width, height, n_people);
      return NULL;
    }
  if (n_images > SF_MAX_IMAGES || height > SF_MAX_IMAGE_SIDE || width > SF_MAX_IMAGE_SIDE
      || n_people > n_images)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE,
                   _("refusing a dataset of %d images of %d×%d with %d people (limits: %d images, side %d)"),
                   n_images, width, height, n_people, SF_MAX_IMAGES, SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  gsize n_pixels = (gsize) n_images * height * width;
  if (n_pixels > SF_MAX_DATASET_BYTES / sizeof (float))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE,
                   _("refusing a dataset of %d images of %d×%d: %zu MiB of pixels"),
                   n_images, width, height, n_pixels * sizeof (float) >> 20);
      return NULL;
    }

  float *pixels = g_try_new0 (float, n_pixels);
  if (pixels == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE,
                   _("out of memory for %d images of %d×%d"), n_images, width, height);
      return NULL;
    }

  SfDataset *dataset = g_new0 (SfDataset, 1);
  dataset->format = format;
  dataset->n_images = n_images;
  dataset->height = height;
  dataset->width = width;
  dataset->original_min_width = dataset->original_max_width = width;
  dataset->original_min_height = dataset->original_max_height = height;
  dataset->n_people = n_people;
  dataset->pixels = pixels;
  dataset->labels = g_new0 (int, n_images);
  dataset->person_names = g_new0 (char *, n_people + 1);
  dataset->image_paths = g_new0 (char *, n_images + 1);
  dataset->warnings = g_ptr_array_new_with_free_func (g_free);
  return dataset;
}

void
sf_dataset_free (SfDataset *dataset)
{
  if (dataset == NULL)
    return;
  g_free (dataset->source);
  g_free (dataset->pixels);
  g_free (dataset->labels);
  if (dataset->person_names != NULL)
    for (int p = 0; p < dataset->n_people; p++)
      g_free (dataset->person_names[p]);
  g_free (dataset->person_names);
  if (dataset->image_paths != NULL)
    for (int i = 0; i < dataset->n_images; i++)
      g_free (dataset->image_paths[i]);
  g_free (dataset->image_paths);
  if (dataset->warnings != NULL)
    g_ptr_array_unref (dataset->warnings);
  g_free (dataset);
}

const char *
sf_dataset_format_name (SfDatasetFormat format)
{
  switch (format)
    {
    case SF_DATASET_FORMAT_DEMO:
      return "demo faces";
    case SF_DATASET_FORMAT_MAT:
      return "Olivetti MAT-file";
    case SF_DATASET_FORMAT_PKZ:
      return "scikit-learn cache (.pkz)";
    case SF_DATASET_FORMAT_FOLDER:
      return "folder of people";
    default:
      return "unknown";
    }
}

int *
sf_dataset_person_counts (const SfDataset *dataset)
{
  int *counts = g_new0 (int, dataset->n_people);
  for (int i = 0; i < dataset->n_images; i++)
    counts[dataset->labels[i]]++;
  return counts;
}

char *
sf_dataset_fingerprint (const SfDataset *dataset)
{
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  /* Fixed-width little-endian fields, so the hash does not depend on the host. */
  gint32 header[4] = {
    GINT32_TO_LE (dataset->n_images), GINT32_TO_LE (dataset->height),
    GINT32_TO_LE (dataset->width), GINT32_TO_LE (dataset->n_people),
  };
  g_checksum_update (checksum, (const guchar *) header, sizeof header);
  for (int i = 0; i < dataset->n_images; i++)
    {
      gint32 label = GINT32_TO_LE (dataset->labels[i]);
      g_checksum_update (checksum, (const guchar *) &label, sizeof label);
    }
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  g_checksum_update (checksum, (const guchar *) dataset->pixels,
                     (gssize) ((gsize) dataset->n_images * dataset->height * dataset->width * sizeof (float)));
#else
  for (gsize k = 0; k < (gsize) dataset->n_images * dataset->height * dataset->width; k++)
    {
      guint32 bits;
      memcpy (&bits, &dataset->pixels[k], sizeof bits);
      bits = GUINT32_TO_LE (bits);
      g_checksum_update (checksum, (const guchar *) &bits, sizeof bits);
    }
#endif
  char *hex = g_strdup (g_checksum_get_string (checksum));
  g_checksum_free (checksum);
  return hex;
}

gboolean
sf_dataset_resize (SfDataset *dataset, int size, GError **error)
{
  if (size <= 0 || size > SF_MAX_IMAGE_SIDE)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("invalid image size %d (1 to %d)"),
                   size, SF_MAX_IMAGE_SIDE);
      return FALSE;
    }
  if (dataset->height == size && dataset->width == size)
    return TRUE;
  gsize n_pixels = (gsize) dataset->n_images * size * size;
  if (n_pixels > SF_MAX_DATASET_BYTES / sizeof (float))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE,
                   _("refusing to resize %d images to %d×%d"), dataset->n_images, size, size);
      return FALSE;
    }
  float *resized = g_try_new (float, n_pixels);
  if (resized == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("out of memory resizing to %d×%d"), size, size);
      return FALSE;
    }
  for (int i = 0; i < dataset->n_images; i++)
    sf_image_resize_area (sf_dataset_image (dataset, i), dataset->width, dataset->height,
                          resized + (gsize) i * size * size, size, size);
  g_free (dataset->pixels);
  dataset->pixels = resized;
  dataset->height = size;
  dataset->width = size;
  return TRUE;
}

SfDataset *
sf_dataset_from_olivetti_values (SfDatasetFormat format, const char *path,
                                 const float *values, int n_images, GError **error)
{
  const int side = 64;
  const int n_per_person = 10;
  if (n_images <= 0 || n_images % n_per_person != 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT,
                   _("%s: %d images is not a whole number of Olivetti people (10 images each)"),
                   path, n_images);
      return NULL;
    }
  SfDataset *dataset = sf_dataset_new (format, n_images, side, side, n_images / n_per_person, error);
  if (dataset == NULL)
    return NULL;

  gsize n_values = (gsize) n_images * side * side;
  float lo = values[0], hi = values[0];
  for (gsize k = 1; k < n_values; k++)
    {
      lo = MIN (lo, values[k]);
      hi = MAX (hi, values[k]);
    }
  if (!(hi > lo))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: every pixel has the same value"), path);
      sf_dataset_free (dataset);
      return NULL;
    }
  /* scikit-learn: faces -= faces.min(); faces /= faces.max(), in float32. */
  float range = hi - lo;
  for (int i = 0; i < n_images; i++)
    {
      const float *column = values + (gsize) i * side * side;
      float *image = dataset->pixels + (gsize) i * side * side;
      for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
          image[y * side + x] = (column[x * side + y] - lo) / range;
      dataset->labels[i] = i / n_per_person;
    }
  for (int p = 0; p < dataset->n_people; p++)
    dataset->person_names[p] = g_strdup_printf ("Person %d", p + 1);
  dataset->source = g_strdup (path);
  return dataset;
}
