/* UI logic with no display: face pixels to bytes, textures and cairo surfaces,
 * thumbnail zoom arithmetic, the face and pair list models, and shared strings. */
#include <math.h>

#include "sf-face-list.h"
#include "sf-face-paint.h"
#include "sf-face.h"
#include "sf-pair-item.h"
#include "sf-pair-list.h"
#include "sf-preferences-window.h"
#include "sf-strings.h"

static void
test_grey_byte (void)
{
  g_assert_cmpuint (sf_face_grey_byte (0.0f), ==, 0);
  g_assert_cmpuint (sf_face_grey_byte (1.0f), ==, 255);
  g_assert_cmpuint (sf_face_grey_byte (-0.5f), ==, 0);
  g_assert_cmpuint (sf_face_grey_byte (7.0f), ==, 255);
  g_assert_cmpuint (sf_face_grey_byte (NAN), ==, 0);
  g_assert_cmpuint (sf_face_grey_byte (INFINITY), ==, 255);
  g_assert_cmpuint (sf_face_grey_byte (100.0f / 255.0f), ==, 100);
  g_assert_cmpuint (sf_face_grey_byte (0.2f), ==, 51);
}

/* A 3 × 2 face: 0, 0.5, 1 / 0.25, 0.75, 2 (clamped). */
static const float face_3x2[] = { 0.0f, 0.5f, 1.0f, 0.25f, 0.75f, 2.0f };
static const guint8 face_3x2_bytes[] = { 0, 128, 255, 64, 191, 255 };

static void
test_pixels_to_rgb (void)
{
  guint8 rgb[2 * 12];

  memset (rgb, 0xaa, sizeof rgb);
  sf_face_pixels_to_rgb (face_3x2, 3, 2, rgb, 12);
  for (int y = 0; y < 2; y++)
    {
      for (int x = 0; x < 3; x++)
        for (int c = 0; c < 3; c++)
          g_assert_cmpuint (rgb[y * 12 + x * 3 + c], ==, face_3x2_bytes[y * 3 + x]);
      /* The row padding is not written. */
      for (int k = 9; k < 12; k++)
        g_assert_cmpuint (rgb[y * 12 + k], ==, 0xaa);
    }
}

static void
test_texture (void)
{
  g_autoptr (GdkTexture) texture = sf_face_texture_new (face_3x2, 3, 2);
  guint8 argb[2 * 3 * 4];

  g_assert_nonnull (texture);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 3);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, 2);
  gdk_texture_download (texture, argb, 3 * 4);
  for (int i = 0; i < 6; i++)
    {
      guint32 pixel;
      memcpy (&pixel, argb + 4 * i, 4);
      g_assert_cmphex (pixel >> 24, ==, 0xff);
      g_assert_cmphex ((pixel >> 16) & 0xff, ==, face_3x2_bytes[i]);
      g_assert_cmphex ((pixel >> 8) & 0xff, ==, face_3x2_bytes[i]);
      g_assert_cmphex (pixel & 0xff, ==, face_3x2_bytes[i]);
    }
}

static guint32
surface_pixel (cairo_surface_t *surface, int x, int y)
{
  const guint8 *data = cairo_image_surface_get_data (surface);
  guint32 pixel;

  memcpy (&pixel, data + y * cairo_image_surface_get_stride (surface) + 4 * x, 4);
  return pixel & 0xffffff;
}

static void
test_surface (void)
{
  cairo_surface_t *surface = sf_face_surface_new (face_3x2, 3, 2);

  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (surface), ==, 3);
  g_assert_cmpint (cairo_image_surface_get_height (surface), ==, 2);
  cairo_surface_flush (surface);
  for (int y = 0; y < 2; y++)
    for (int x = 0; x < 3; x++)
      {
        guint32 v = face_3x2_bytes[y * 3 + x];
        g_assert_cmphex (surface_pixel (surface, x, y), ==, (v << 16) | (v << 8) | v);
      }
  cairo_surface_destroy (surface);
}

/* At a whole zoom every face pixel becomes a uniform square: nothing blurred. */
static void
test_paint_nearest (void)
{
  cairo_surface_t *face = sf_face_surface_new (face_3x2, 3, 2);
  const int zoom = 5, margin = 2;
  cairo_surface_t *target = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 3 * zoom + 2 * margin,
                                                        2 * zoom + 2 * margin);
  cairo_t *cr = cairo_create (target);

  cairo_set_source_rgb (cr, 1, 0, 0);
  cairo_paint (cr);
  sf_face_paint (cr, face, margin, margin, zoom);
  cairo_destroy (cr);
  cairo_surface_flush (target);

  for (int y = 0; y < 2 * zoom + 2 * margin; y++)
    for (int x = 0; x < 3 * zoom + 2 * margin; x++)
      {
        int fx = x - margin, fy = y - margin;
        guint32 expected;
        if (fx < 0 || fy < 0 || fx >= 3 * zoom || fy >= 2 * zoom)
          expected = 0xff0000;   /* untouched outside the face */
        else
          {
            guint32 v = face_3x2_bytes[(fy / zoom) * 3 + fx / zoom];
            expected = (v << 16) | (v << 8) | v;
          }
        g_assert_cmphex (surface_pixel (target, x, y), ==, expected);
      }
  cairo_surface_destroy (target);
  cairo_surface_destroy (face);
}

static void
test_zoom (void)
{
  g_assert_cmpfloat (sf_zoom_for_target (64, 72), ==, 1.0);
  g_assert_cmpfloat (sf_zoom_for_target (32, 72), ==, 2.0);
  g_assert_cmpfloat (sf_zoom_for_target (24, 72), ==, 3.0);
  g_assert_cmpfloat_with_epsilon (sf_zoom_for_target (128, 72), 72.0 / 128, 1e-12);
  g_assert_cmpfloat (sf_zoom_for_target (0, 72), ==, 1.0);

  g_assert_cmpfloat (sf_zoom_fit (64, 64, 264, 256), ==, 4.0);
  g_assert_cmpfloat (sf_zoom_fit (64, 64, 255, 400), ==, 3.0);
  g_assert_cmpfloat (sf_zoom_fit (92, 112, 300, 300), ==, 2.0);
  g_assert_cmpfloat_with_epsilon (sf_zoom_fit (64, 64, 48, 100), 0.75, 1e-12);
  g_assert_cmpfloat (sf_zoom_fit (64, 64, 0, 100), ==, 0.0);

  g_assert_cmpfloat (sf_zoom_step (1.0, +1), ==, 2.0);
  g_assert_cmpfloat (sf_zoom_step (2.0, +1), ==, 3.0);
  g_assert_cmpfloat (sf_zoom_step (4.0, +1), ==, 4.0);
  g_assert_cmpfloat (sf_zoom_step (1.0, -1), ==, 0.5);
  g_assert_cmpfloat (sf_zoom_step (0.5, -1), ==, 0.5);
  g_assert_cmpfloat (sf_zoom_step (1.5, +1), ==, 2.0);
  g_assert_cmpfloat (sf_zoom_step (1.5, -1), ==, 1.0);

  g_assert_cmpfloat (sf_zoom_normalize (2.7), ==, 2.0);
  g_assert_cmpfloat (sf_zoom_normalize (0.1), ==, 0.5);
  g_assert_cmpfloat (sf_zoom_normalize (9.0), ==, 4.0);
  g_assert_cmpfloat (sf_zoom_normalize (NAN), ==, 0.5);

  g_assert_cmpint (sf_zoom_pixels (64, 0.5), ==, 32);
  g_assert_cmpint (sf_zoom_pixels (64, 3), ==, 192);
  g_assert_cmpint (sf_zoom_pixels (1, 0.25), ==, 1);
}

/* Six 2 × 2 images of three people, interleaved: labels 1 0 1 2 0 1. */
static SfDataset *
small_dataset (void)
{
  static const int labels[] = { 1, 0, 1, 2, 0, 1 };
  g_autoptr (GError) error = NULL;
  SfDataset *dataset = sf_dataset_new (SF_DATASET_FORMAT_FOLDER, 6, 2, 2, 3, &error);

  g_assert_no_error (error);
  for (int i = 0; i < 6; i++)
    {
      dataset->labels[i] = labels[i];
      dataset->image_paths[i] = g_strdup_printf ("/faces/p%d/%d.pgm", labels[i], i);
      for (int k = 0; k < 4; k++)
        dataset->pixels[i * 4 + k] = (float) i / 6;
    }
  dataset->person_names[0] = g_strdup ("Ada");
  dataset->person_names[1] = g_strdup ("Bob");
  dataset->person_names[2] = g_strdup ("Cy");
  dataset->source = g_strdup ("/faces");
  return dataset;
}

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added, guint *record)
{
  record[0] = position;
  record[1] = removed;
  record[2] = added;
  record[3]++;
}

static void
test_face_list (void)
{
  g_autoptr (SfFaceList) list = sf_face_list_new (small_dataset ());
  GListModel *model = G_LIST_MODEL (list);
  static const int grouped[] = { 1, 4, 0, 2, 5, 3 };
  guint record[4] = { 0 };

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 6);
  g_assert_true (g_list_model_get_item_type (model) == SF_TYPE_FACE);
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr (SfFace) face = g_list_model_get_item (model, i);
      g_assert_cmpint (sf_face_get_index (face), ==, grouped[i]);
      g_assert_cmpint (sf_face_list_get_image_index (list, i), ==, grouped[i]);
      g_assert_cmpint (sf_face_list_find_position (list, grouped[i]), ==, (int) i);
    }
  g_assert_null (g_list_model_get_item (model, 6));
  g_assert_cmpint (sf_face_list_get_person_count (list, 0), ==, 2);
  g_assert_cmpint (sf_face_list_get_person_count (list, 1), ==, 3);
  g_assert_cmpint (sf_face_list_get_person_count (list, 2), ==, 1);

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), record);
  sf_face_list_set_person (list, 1);
  g_assert_cmpuint (record[3], ==, 1);
  g_assert_cmpuint (record[0], ==, 0);
  g_assert_cmpuint (record[1], ==, 6);
  g_assert_cmpuint (record[2], ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_cmpint (sf_face_list_get_image_index (list, 0), ==, 0);
  g_assert_cmpint (sf_face_list_get_image_index (list, 2), ==, 5);
  g_assert_cmpint (sf_face_list_find_position (list, 5), ==, 2);
  g_assert_cmpint (sf_face_list_find_position (list, 1), ==, -1);

  g_autoptr (SfFace) face = g_list_model_get_item (model, 1);
  int width, height;
  const float *pixels = sf_face_get_pixels (face, &width, &height);
  g_assert_cmpint (width, ==, 2);
  g_assert_cmpint (height, ==, 2);
  g_assert_cmpfloat (pixels[0], ==, 2.0f / 6);
  g_assert_cmpstr (sf_face_get_person_name (face), ==, "Bob");
  g_assert_cmpstr (sf_face_get_path (face), ==, "/faces/p1/2.pgm");

  /* Out of range shows everyone again. */
  sf_face_list_set_person (list, 17);
  g_assert_cmpint (sf_face_list_get_person (list), ==, -1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 6);
  g_assert_cmpuint (record[3], ==, 2);

  g_autofree char *title = sf_face_list_dup_title (list);
  g_assert_cmpstr (title, ==, "faces");
}

static void
test_pair_list (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfDataset) demo = sf_demo_faces_generate (32, 0, &error);
  g_assert_no_error (error);
  SfPairSet *pairs = sf_pairs_generate (demo, SF_SPLIT_PAIRS, 0.0, 7, &error);
  g_assert_no_error (error);
  int n_train = pairs->n_train, n_validation = pairs->n_validation;
  g_autoptr (SfFaceList) faces = sf_face_list_new (g_steal_pointer (&demo));
  g_autoptr (SfPairList) list = sf_pair_list_new (faces, pairs);
  GListModel *model = G_LIST_MODEL (list);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, (guint) (n_train + n_validation));
  g_assert_cmpint (sf_pair_list_count (list, SF_PAIR_KIND_ALL, SF_PAIR_PART_TRAINING), ==, n_train);
  g_assert_cmpint (sf_pair_list_count (list, SF_PAIR_KIND_ALL, SF_PAIR_PART_VALIDATION), ==, n_validation);
  int same = sf_pair_list_count (list, SF_PAIR_KIND_SAME, SF_PAIR_PART_ALL);
  int different = sf_pair_list_count (list, SF_PAIR_KIND_DIFFERENT, SF_PAIR_PART_ALL);
  g_assert_cmpint (same + different, ==, n_train + n_validation);
  g_assert_cmpint (same, >, 0);
  g_assert_cmpint (different, >, 0);

  g_autoptr (SfPairItem) first = g_list_model_get_item (model, 0);
  g_assert_cmpint (sf_pair_item_get_number (first), ==, 0);
  g_assert_false (sf_pair_item_get_validation (first));
  g_assert_cmpint (sf_face_get_index (sf_pair_item_get_face_a (first)), ==, pairs->train[0].a);
  g_assert_cmpint (sf_face_get_index (sf_pair_item_get_face_b (first)), ==, pairs->train[0].b);

  sf_pair_list_set_filter (list, SF_PAIR_KIND_SAME, SF_PAIR_PART_VALIDATION);
  guint n = g_list_model_get_n_items (model);
  g_assert_cmpint ((int) n, ==, sf_pair_list_count (list, SF_PAIR_KIND_SAME, SF_PAIR_PART_VALIDATION));
  g_assert_cmpuint (n, >, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SfPairItem) item = g_list_model_get_item (model, i);
      g_assert_true (sf_pair_item_get_same (item));
      g_assert_true (sf_pair_item_get_validation (item));
      g_assert_cmpint (sf_face_get_person (sf_pair_item_get_face_a (item)), ==,
                       sf_face_get_person (sf_pair_item_get_face_b (item)));
    }

  sf_pair_list_set_filter (list, SF_PAIR_KIND_DIFFERENT, SF_PAIR_PART_ALL);
  g_assert_cmpint ((int) g_list_model_get_n_items (model), ==, different);
}

static void
test_strings (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  g_autofree char *summary = sf_strings_dataset_summary (dataset);
  g_autofree char *size = sf_strings_size (92, 112);
  g_autofree char *split = sf_strings_split_description (SF_SPLIT_PEOPLE, 0.25);

  g_assert_cmpstr (summary, ==, "Folder of people · 6 faces of 3 people · 2 × 2 pixels");
  g_assert_cmpstr (size, ==, "92 × 112 pixels");
  g_assert_nonnull (strstr (split, "25 %"));
  g_assert_cmpstr (sf_strings_split_name (SF_SPLIT_IMAGES), ==, "Images");

  g_assert_cmpuint (sf_preferences_image_size_index (64), ==, 2);
  g_assert_cmpuint (sf_preferences_image_size_index (100), ==, 3);
  g_assert_cmpuint (sf_preferences_image_size_index (1), ==, 0);
  g_assert_cmpint (sf_preferences_image_sizes[sf_preferences_image_size_index (128)], ==, 128);
}

int
main (int argc, char *argv[])
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui-logic/grey-byte", test_grey_byte);
  g_test_add_func ("/ui-logic/pixels-to-rgb", test_pixels_to_rgb);
  g_test_add_func ("/ui-logic/texture", test_texture);
  g_test_add_func ("/ui-logic/surface", test_surface);
  g_test_add_func ("/ui-logic/paint-nearest", test_paint_nearest);
  g_test_add_func ("/ui-logic/zoom", test_zoom);
  g_test_add_func ("/ui-logic/face-list", test_face_list);
  g_test_add_func ("/ui-logic/pair-list", test_pair_list);
  g_test_add_func ("/ui-logic/strings", test_strings);

  return g_test_run ();
}
