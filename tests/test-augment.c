/* Augmentation: identity when off, exact flips, bounded output, repeatable
 * for a seed; crop, gamma and erasing, and the stream of their own that
 * leaves the other kinds' numbers alone; parsing with strengths, and with a
 * value of the wrong type from a model file. */
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

/* The kinds added later draw from a stream of their own: the seven numbers
 * the first kinds draw are the same with or without them (so the warp is
 * too), and one more draw seeds the second stream. */
static void
test_second_stream_leaves_the_first_alone (void)
{
  float src[H * W], plain[H * W], erased[H * W];
  fill_ramp (src);
  SfAugmentSettings with, without;
  sf_augment_settings_init_default (&without);
  with = without;
  with.erase = 1;
  for (guint64 seed = 1; seed <= 20; seed++)
    {
      SfRng r1, r2, counter;
      sf_rng_seed (&r1, seed);
      sf_rng_seed (&r2, seed);
      sf_rng_seed (&counter, seed);
      sf_augment_image (&without, &r1, src, plain, H, W);
      sf_augment_image (&with, &r2, src, erased, H, W);
      for (int k = 0; k < 7; k++)
        sf_rng_next (&counter);
      g_assert_cmpmem (r1.s, sizeof r1.s, counter.s, sizeof counter.s);
      sf_rng_next (&counter);
      g_assert_cmpmem (r2.s, sizeof r2.s, counter.s, sizeof counter.s);
      /* Erasing changes one rectangle, nothing else. */
      int x0 = W, x1 = -1, y0 = H, y1 = -1;
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          if (plain[y * W + x] != erased[y * W + x])
            {
              x0 = MIN (x0, x), x1 = MAX (x1, x), y0 = MIN (y0, y), y1 = MAX (y1, y);
              g_assert_cmpfloat (erased[y * W + x], >=, 0.0f);
              g_assert_cmpfloat (erased[y * W + x], <, 1.0f);
            }
      g_assert_cmpint (x1, >=, x0);
      int area = (x1 - x0 + 1) * (y1 - y0 + 1);
      g_assert_cmpint (area, >=, 1);
      g_assert_cmpint (area, <=, 0.2 * H * W * 1.3);  /* 20 % at most, rounded to whole pixels */
    }
}

static void
test_erase_probability (void)
{
  float src[H * W], dst[H * W];
  fill_ramp (src);
  SfAugmentSettings erase = { .erase = 0.25f };
  SfRng rng;
  sf_rng_seed (&rng, 3);
  int erased = 0;
  for (int trial = 0; trial < 400; trial++)
    {
      sf_augment_image (&erase, &rng, src, dst, H, W);
      erased += memcmp (src, dst, sizeof src) != 0;
    }
  g_assert_cmpint (erased, >, 60);
  g_assert_cmpint (erased, <, 140);
}

/* Gamma raises every pixel to one power, between 1/(1 + g) and 1 + g. */
static void
test_gamma (void)
{
  float src[H * W], dst[H * W];
  for (int k = 0; k < H * W; k++)
    src[k] = 0.25f;
  SfAugmentSettings gamma = { .gamma = 0.3f };
  SfRng rng;
  sf_rng_seed (&rng, 4);
  int darker = 0, lighter = 0;
  for (int trial = 0; trial < 50; trial++)
    {
      sf_augment_image (&gamma, &rng, src, dst, H, W);
      double power = log (dst[0]) / log (0.25);
      g_assert_cmpfloat (power, >=, 1 / 1.3 - 1e-5);
      g_assert_cmpfloat (power, <=, 1.3 + 1e-5);
      for (int k = 1; k < H * W; k++)
        g_assert_cmpfloat (dst[k], ==, dst[0]);
      darker += dst[0] < 0.25f;
      lighter += dst[0] > 0.25f;
    }
  g_assert_cmpint (darker, >, 10);
  g_assert_cmpint (lighter, >, 10);
}

/* A random resized crop stretches part of the face over the whole: on a
 * ramp, the ramp stays increasing, gets no steeper, and is cut. */
static void
test_crop (void)
{
  float src[H * W], dst[H * W];
  fill_ramp (src);
  float step = 1.0f / (W + 2 * H);  /* the ramp's rise per pixel along x */
  SfAugmentSettings crop = { .crop = 0.4f };
  SfRng rng;
  sf_rng_seed (&rng, 5);
  int cut = 0;
  for (int trial = 0; trial < 30; trial++)
    {
      sf_augment_image (&crop, &rng, src, dst, H, W);
      float lo = 1, hi = 0;
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            float v = dst[y * W + x];
            lo = MIN (lo, v), hi = MAX (hi, v);
            if (x > 0)
              {
                float rise = v - dst[y * W + x - 1];
                g_assert_cmpfloat (rise, >=, -1e-6);
                g_assert_cmpfloat (rise, <=, step * 1.0001f);
              }
          }
      g_assert_cmpfloat (lo, >=, src[0] - 1e-6);
      g_assert_cmpfloat (hi, <=, src[H * W - 1] + 1e-6);
      cut += hi - lo < 0.97f * (src[H * W - 1] - src[0]);
    }
  g_assert_cmpint (cut, >, 15);
}

static void
test_parse_strengths (void)
{
  SfAugmentSettings s, back;
  GError *error = NULL;
  g_assert_true (sf_augment_settings_parse ("crop, gamma=0.5,erase=0.25", &s, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (s.crop, ==, 0.2f);
  g_assert_cmpfloat (s.gamma, ==, 0.5f);
  g_assert_cmpfloat (s.erase, ==, 0.25f);
  g_assert_false (s.flip);
  g_autofree char *text = sf_augment_settings_to_string (&s);
  g_assert_cmpstr (text, ==, "crop,gamma=0.5,erase=0.25");
  /* "all" is the defaults; the later kinds come on top, in their place in the text. */
  g_assert_true (sf_augment_settings_parse ("erase,all,shift=0.1,rotate=12.5", &s, &error));
  g_autofree char *mixed = sf_augment_settings_to_string (&s);
  g_assert_cmpstr (mixed, ==, "flip,shift=0.1,rotate=12.5,scale,light,erase");
  g_assert_true (sf_augment_settings_parse (mixed, &back, &error));
  g_assert_cmpmem (&s, sizeof s, &back, sizeof back);
  /* A strength that needs every digit still reads back. */
  s.crop = 1.0f / 3;
  g_autofree char *third = sf_augment_settings_to_string (&s);
  g_assert_true (sf_augment_settings_parse (third, &back, &error));
  g_assert_cmpfloat (back.crop, ==, s.crop);

  static const char *bad[] = { "erase=2", "erase=", "erase=0", "gamma=abc", "crop=0.2x", "flip=1", "cropx",
                               "light=0.3" };
  for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
    {
      g_assert_false (sf_augment_settings_parse (bad[k], &s, &error));
      g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, bad[k]));
      g_clear_error (&error);
    }
  /* Words from a file reach a terminal escaped. */
  g_assert_false (sf_augment_settings_parse ("flip,\033]0;x\007", &s, &error));
  g_assert_nonnull (strstr (error->message, "'\\033]0;x\\007'"));
  g_assert_null (strchr (error->message, '\033'));
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
  g_test_add_func ("/augment/second-stream", test_second_stream_leaves_the_first_alone);
  g_test_add_func ("/augment/erase-probability", test_erase_probability);
  g_test_add_func ("/augment/gamma", test_gamma);
  g_test_add_func ("/augment/crop", test_crop);
  g_test_add_func ("/augment/parse-strengths", test_parse_strengths);
  g_test_add_func ("/augment/wrong-type", test_wrong_type);
  return g_test_run ();
}
