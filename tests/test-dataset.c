/* The dataset type: size checks before allocation, fingerprint, Olivetti
 * scaling, resizing, and the choice of loader from a path. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dataset.h"
#include "error.h"

static void
test_new_refuses_absurd_sizes (void)
{
  GError *error = NULL;
  g_assert_null (sf_dataset_new (SF_DATASET_FORMAT_DEMO, 0, 64, 64, 1, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (sf_dataset_new (SF_DATASET_FORMAT_DEMO, 10, -1, 64, 1, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (sf_dataset_new (SF_DATASET_FORMAT_DEMO, 10, 100000, 100000, 1, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* Each side within limits, the product not: 900000 × 4000 × 4000 floats. */
  g_assert_null (sf_dataset_new (SF_DATASET_FORMAT_DEMO, 900000, 4000, 4000, 1, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (sf_dataset_new (SF_DATASET_FORMAT_DEMO, 10, 8, 8, 11, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

static SfDataset *
make_small (float offset)
{
  SfDataset *dataset = sf_dataset_new (SF_DATASET_FORMAT_DEMO, 4, 2, 3, 2, NULL);
  g_assert_nonnull (dataset);
  for (int k = 0; k < 4 * 2 * 3; k++)
    dataset->pixels[k] = k / 24.0f + offset;
  dataset->labels[0] = dataset->labels[1] = 0;
  dataset->labels[2] = dataset->labels[3] = 1;
  return dataset;
}

static void
test_fingerprint (void)
{
  g_autoptr (SfDataset) a = make_small (0);
  g_autoptr (SfDataset) b = make_small (0);
  g_autoptr (SfDataset) c = make_small (0);
  g_autofree char *fa = sf_dataset_fingerprint (a);
  g_autofree char *fb = sf_dataset_fingerprint (b);
  g_assert_cmpuint (strlen (fa), ==, 64);
  g_assert_cmpstr (fa, ==, fb);

  c->labels[3] = 0;
  g_autofree char *fc = sf_dataset_fingerprint (c);
  g_assert_cmpstr (fa, !=, fc);

  b->pixels[5] += 1e-6f;
  g_autofree char *fb2 = sf_dataset_fingerprint (b);
  g_assert_cmpstr (fa, !=, fb2);
}

static void
test_person_counts (void)
{
  g_autoptr (SfDataset) dataset = make_small (0);
  dataset->labels[1] = 1;
  g_autofree int *counts = sf_dataset_person_counts (dataset);
  g_assert_cmpint (counts[0], ==, 1);
  g_assert_cmpint (counts[1], ==, 3);
}

static void
test_olivetti_scaling_and_transpose (void)
{
  /* 10 images (one person) of 4096 values; column-major: value at x*64+y is pixel (y, x). */
  const int n = 10;
  float *values = g_new (float, n * 4096);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 4096; k++)
      values[i * 4096 + k] = 20 + (k % 64) + (i == 3 && k == 4095 ? 100 : 0);
  GError *error = NULL;
  g_autoptr (SfDataset) dataset = sf_dataset_from_olivetti_values (SF_DATASET_FORMAT_MAT, "x.mat",
                                                                   values, n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dataset->n_images, ==, 10);
  g_assert_cmpint (dataset->n_people, ==, 1);
  g_assert_cmpint (dataset->height, ==, 64);
  /* min 20, max 20 + 63 + 100 = 183: pixel (y, x) = (20 + y - 20) / 163 */
  const float *image = sf_dataset_image (dataset, 0);
  g_assert_cmpfloat (image[0], ==, 0.0f);
  g_assert_cmpfloat (image[5 * 64 + 0], ==, 5.0f / 163.0f);
  g_assert_cmpfloat (image[0 * 64 + 5], ==, 0.0f);
  g_assert_cmpfloat (sf_dataset_image (dataset, 3)[63 * 64 + 63], ==, 1.0f);
  g_assert_cmpstr (dataset->source, ==, "x.mat");
  g_free (values);

  float flat[4096 * 10];
  for (int k = 0; k < 4096 * 10; k++)
    flat[k] = 7;
  g_assert_null (sf_dataset_from_olivetti_values (SF_DATASET_FORMAT_MAT, "flat.mat", flat, 10, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "flat.mat"));
  g_clear_error (&error);
  g_assert_null (sf_dataset_from_olivetti_values (SF_DATASET_FORMAT_MAT, "odd.mat", flat, 7, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
  g_clear_error (&error);
}

static void
test_resize_changes_shape (void)
{
  g_autoptr (SfDataset) dataset = sf_dataset_new (SF_DATASET_FORMAT_DEMO, 2, 8, 8, 1, NULL);
  for (int k = 0; k < 2 * 64; k++)
    dataset->pixels[k] = k < 64 ? 0.25f : 0.75f;
  GError *error = NULL;
  g_assert_cmpint (dataset->original_min_width, ==, 8);
  g_assert_cmpint (dataset->original_max_height, ==, 8);
  g_assert_true (sf_dataset_resize (dataset, 4, &error));
  g_assert_cmpint (dataset->width, ==, 4);
  g_assert_cmpint (dataset->height, ==, 4);
  /* The size it had before stays known. */
  g_assert_cmpint (dataset->original_min_width, ==, 8);
  g_assert_cmpint (dataset->original_max_width, ==, 8);
  g_assert_cmpint (dataset->original_min_height, ==, 8);
  g_assert_cmpint (dataset->original_max_height, ==, 8);
  for (int k = 0; k < 16; k++)
    {
      g_assert_cmpfloat_with_epsilon (dataset->pixels[k], 0.25f, 1e-6);
      g_assert_cmpfloat_with_epsilon (dataset->pixels[16 + k], 0.75f, 1e-6);
    }
  g_assert_false (sf_dataset_resize (dataset, 0, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_load_dispatch_errors (void)
{
  GError *error = NULL;
  g_assert_null (sf_dataset_load ("/no/such/dataset", NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/no/such/dataset"));
  g_clear_error (&error);

  g_autofree char *dir = g_dir_make_tmp ("sf-dataset-XXXXXX", NULL);
  g_autofree char *text = g_build_filename (dir, "notes.txt", NULL);
  g_assert_true (g_file_set_contents (text, "hello", -1, NULL));
  g_assert_null (sf_dataset_load (text, NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "notes.txt"));
  g_clear_error (&error);

  SfLoadOptions options = { .size = 100000 };
  g_assert_null (sf_dataset_load (NULL, &options, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);

  g_unlink (text);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dataset/new-refuses-absurd-sizes", test_new_refuses_absurd_sizes);
  g_test_add_func ("/dataset/fingerprint", test_fingerprint);
  g_test_add_func ("/dataset/person-counts", test_person_counts);
  g_test_add_func ("/dataset/olivetti-scaling", test_olivetti_scaling_and_transpose);
  g_test_add_func ("/dataset/resize", test_resize_changes_shape);
  g_test_add_func ("/dataset/load-dispatch-errors", test_load_dispatch_errors);
  return g_test_run ();
}
