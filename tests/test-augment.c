/* Augmentation: identity when off, exact flips, bounded output, repeatable
 * for a seed, and parsing, with a value of the wrong type from a model file. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "augment.h"
#include "error.h"
#include "json-limits.h"
#include "trainer.h"

enum { H = 16, W = 12 };

static void
fill_ramp (float *image)
{
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      image[y * W + x] = (x + 2 * y) / (float) (W + 2 * H);
}

static void
test_off_is_identity (void)
{
  float src[H * W], dst[H * W];
  fill_ramp (src);
  SfAugmentSettings none = { 0 };
  SfRng rng;
  sf_rng_seed (&rng, 1);
  g_assert_false (sf_augment_enabled (&none));
  sf_augment_image (&none, &rng, src, dst, H, W);
  g_assert_cmpmem (src, sizeof src, dst, sizeof dst);
}

static void
test_flip_mirrors_exactly (void)
{
  float src[H * W], dst[H * W];
  fill_ramp (src);
  SfAugmentSettings flip = { .flip = TRUE };
  SfRng rng;
  sf_rng_seed (&rng, 1);
  int flipped = 0, kept = 0;
  for (int trial = 0; trial < 40; trial++)
    {
      sf_augment_image (&flip, &rng, src, dst, H, W);
      if (memcmp (src, dst, sizeof src) == 0)
        kept++;
      else
        {
          for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
              g_assert_cmpfloat_with_epsilon (dst[y * W + x], src[y * W + (W - 1 - x)], 1e-6);
          flipped++;
        }
    }
  g_assert_cmpint (flipped, >, 5);
  g_assert_cmpint (kept, >, 5);
}

static void
test_all_bounded_and_repeatable (void)
{
  float src[H * W], a[H * W], b[H * W];
  fill_ramp (src);
  SfAugmentSettings all;
  sf_augment_settings_init_default (&all);
  SfRng r1, r2;
  sf_rng_seed (&r1, 9);
  sf_rng_seed (&r2, 9);
  gboolean changed = FALSE;
  for (int trial = 0; trial < 20; trial++)
    {
      sf_augment_image (&all, &r1, src, a, H, W);
      sf_augment_image (&all, &r2, src, b, H, W);
      g_assert_cmpmem (a, sizeof a, b, sizeof b);
      for (int k = 0; k < H * W; k++)
        {
          g_assert_cmpfloat (a[k], >=, 0.0f);
          g_assert_cmpfloat (a[k], <=, 1.0f);
        }
      changed |= memcmp (a, src, sizeof a) != 0;
    }
  g_assert_true (changed);
}

static void
test_parse (void)
{
  SfAugmentSettings s;
  GError *error = NULL;
  g_assert_true (sf_augment_settings_parse ("flip, light", &s, &error));
  g_assert_true (s.flip);
  g_assert_cmpfloat (s.shift, ==, 0);
  g_assert_cmpfloat (s.brightness, >, 0);
  g_autofree char *text = sf_augment_settings_to_string (&s);
  g_assert_cmpstr (text, ==, "flip,light");
  g_assert_true (sf_augment_settings_parse ("none", &s, &error));
  g_assert_false (sf_augment_enabled (&s));
  g_autofree char *none = sf_augment_settings_to_string (&s);
  g_assert_cmpstr (none, ==, "none");
  g_assert_true (sf_augment_settings_parse ("all", &s, &error));
  g_autofree char *all = sf_augment_settings_to_string (&s);
  g_assert_cmpstr (all, ==, "flip,shift,rotate,scale,light");
  g_assert_false (sf_augment_settings_parse ("flip,blur", &s, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "blur"));
  g_clear_error (&error);
}

/* "augment": 1 in a model's settings: json-glib's string getters give NULL
 * for it, which once went on to g_strsplit (NULL) and crashed. */
static void
test_wrong_type (void)
{
  SfAugmentSettings s;
  sf_augment_settings_init_default (&s);
  GError *error = NULL;
  g_assert_false (sf_augment_settings_parse (NULL, &s, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "augment: "));
  g_clear_error (&error);
  g_assert_true (s.flip);   /* untouched */

  const char *wrong[] = { "1", "2.5", "true" };
  for (guint k = 0; k < G_N_ELEMENTS (wrong); k++)
    {
      g_autofree char *json = g_strdup_printf ("{\"augment\": %s}", wrong[k]);
      g_autoptr (JsonNode) root = sf_json_parse (json, -1, NULL, "m.safetensors", "settings", &error);
      g_assert_no_error (error);
      JsonObject *o = json_node_get_object (root);
      /* As trainer.c reads it today, and as the type-checked getter does. */
      g_assert_false (sf_augment_settings_parse (json_object_get_string_member_with_default (o, "augment", "none"), &s,
                                                 &error));
      g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
      g_clear_error (&error);
      const char *text = NULL;
      g_assert_false (sf_json_get_string (o, "augment", "none", &text, "m.safetensors", "settings", &error));
      g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, "'augment' is"));
      g_clear_error (&error);

      /* The whole settings reader refuses the file instead of crashing. */
      SfTrainSettings settings = { 0 };
      sf_train_settings_init_preset (&settings, SF_PRESET_COMPACT);
      g_assert_false (sf_train_settings_from_json (&settings, json, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
      sf_train_settings_clear (&settings);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/augment/off-is-identity", test_off_is_identity);
  g_test_add_func ("/augment/flip", test_flip_mirrors_exactly);
  g_test_add_func ("/augment/bounded-repeatable", test_all_bounded_and_repeatable);
  g_test_add_func ("/augment/parse", test_parse);
  g_test_add_func ("/augment/wrong-type", test_wrong_type);
  return g_test_run ();
}
