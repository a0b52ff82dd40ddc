/* The training settings store without a display (GSettings in memory): a
 * preset fills every key and reads back as the engine's preset; a changed
 * key makes the settings custom and keeps the preset's network; an opened
 * model's settings come back with the preset they match; dropout and the
 * split's share are written into the spec and the share key; Start from
 * and the layers to freeze. */
#include <string.h>

#include "sf-training-settings.h"

#define APP_ID "io.github.siamesefaces.SiameseFaces"

static GSettings *keys;

/* What the keys hold; with `hidden`, also what the form does not show
 * (optimizer moments, augmentation strengths, the loss over all pairs). */
static void
assert_same_settings (const SfTrainSettings *a, const SfTrainSettings *b, gboolean hidden)
{
  g_assert_cmpstr (a->spec, ==, b->spec);
  g_assert_cmpint (a->head, ==, b->head);
  g_assert_cmpfloat_with_epsilon (a->margin, b->margin, 1e-6);
  g_assert_cmpint (a->epochs, ==, b->epochs);
  g_assert_cmpint (a->batch_size, ==, b->batch_size);
  g_assert_cmpint (a->optimizer.kind, ==, b->optimizer.kind);
  g_assert_cmpfloat_with_epsilon (a->optimizer.learning_rate, b->optimizer.learning_rate, 1e-9);
  g_assert_cmpint (a->optimizer.schedule, ==, b->optimizer.schedule);
  g_assert_cmpfloat_with_epsilon (a->optimizer.weight_decay, b->optimizer.weight_decay, 1e-9);
  g_assert_cmpint (a->augment.flip, ==, b->augment.flip);
  g_assert_cmpfloat (a->augment.shift, ==, b->augment.shift);
  g_assert_cmpfloat (a->augment.rotate_degrees, ==, b->augment.rotate_degrees);
  g_assert_cmpfloat (a->augment.scale, ==, b->augment.scale);
  g_assert_cmpfloat (a->augment.brightness, ==, b->augment.brightness);
  g_assert_cmpfloat (a->augment.contrast, ==, b->augment.contrast);
  g_assert_cmpint (a->split, ==, b->split);
  double share_a = a->split_share > 0 ? a->split_share : sf_split_default_share (a->split);
  double share_b = b->split_share > 0 ? b->split_share : sf_split_default_share (b->split);
  g_assert_cmpfloat_with_epsilon (share_a, share_b, 1e-9);
  g_assert_cmpint (a->new_pairs_each_epoch, ==, b->new_pairs_each_epoch);
  g_assert_cmpuint (a->seed, ==, b->seed);
  if (!hidden)
    return;
  g_assert_cmpint (a->all_pairs, ==, b->all_pairs);
  g_assert_cmpfloat (a->temperature, ==, b->temperature);
  g_assert_cmpfloat (a->optimizer.beta1, ==, b->optimizer.beta1);
  g_assert_cmpfloat (a->optimizer.beta2, ==, b->optimizer.beta2);
  g_assert_cmpfloat (a->optimizer.epsilon, ==, b->optimizer.epsilon);
}

static char *
key_string (const char *key)
{
  return g_settings_get_string (keys, key);
}

/* Every key back at its default, as a fresh start has it. */
static void
reset_keys (void)
{
  g_autoptr (GSettingsSchema) schema = NULL;
  g_auto (GStrv) names = NULL;

  g_object_get (keys, "settings-schema", &schema, NULL);
  names = g_settings_schema_list_keys (schema);
  for (guint i = 0; names[i] != NULL; i++)
    g_settings_reset (keys, names[i]);
}

static void
test_presets (void)
{
  SfPreset presets[] = { SF_PRESET_ARTICLE, SF_PRESET_COMPACT };

  reset_keys ();
  g_autoptr (SfTrainingSettings) store = sf_training_settings_new ();
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      SfTrainSettings ours, engine = { 0 };

      /* Start away from the preset, so every key has to be written. */
      g_settings_set_int (keys, "train-epochs", 3);
      g_settings_set_string (keys, "train-spec", "conv4k3 gap dense8");
      g_settings_set_boolean (keys, "train-augment-flip", presets[i] == SF_PRESET_ARTICLE);
      sf_training_settings_apply_preset (store, presets[i]);

      sf_train_settings_init_preset (&engine, presets[i]);
      sf_training_settings_get (store, &ours);
      g_assert_cmpstr (ours.spec, ==, engine.spec);
      /* The seed is the user's, never the preset's. */
      engine.seed = ours.seed;
      assert_same_settings (&ours, &engine, TRUE);
      g_assert_false (sf_training_settings_is_custom (store));
      g_assert_true (sf_training_settings_validate (store, NULL));
      g_autofree char *name = sf_training_settings_dup_preset_name (store);
      g_assert_cmpstr (name, ==, sf_preset_name (presets[i]));

      /* The keys themselves, as other readers (the Pairs view) see them. */
      g_autofree char *spec = key_string ("train-spec");
      g_autofree char *head = key_string ("train-head");
      g_assert_cmpstr (spec, ==, engine.spec);
      g_assert_cmpstr (head, ==, sf_head_kind_name (engine.head));
      g_assert_cmpint (g_settings_get_int (keys, "train-epochs"), ==, engine.epochs);
      g_assert_cmpint (g_settings_get_enum (keys, "default-split"), ==, engine.split);
      g_assert_cmpint (g_settings_get_boolean (keys, "train-augment-flip"), ==, engine.augment.flip);
      sf_train_settings_clear (&ours);
      sf_train_settings_clear (&engine);
    }
}

static void
test_preset_key (void)
{
  reset_keys ();
  g_autoptr (SfTrainingSettings) store = sf_training_settings_new ();
  SfTrainSettings ours, engine = { 0 };

  /* Writing the key (a view's dropdown does) brings the whole preset. */
  g_settings_set_string (keys, "train-preset", "article");
  sf_training_settings_get (store, &ours);
  sf_train_settings_init_preset (&engine, SF_PRESET_ARTICLE);
  engine.seed = ours.seed;
  assert_same_settings (&ours, &engine, TRUE);
  sf_train_settings_clear (&ours);
  sf_train_settings_clear (&engine);
}

static void
test_custom (void)
{
  reset_keys ();
  g_autoptr (SfTrainingSettings) store = sf_training_settings_new ();
  const char *changes[] = { "train-epochs", "train-learning-rate", "train-augment-rotate", "default-split",
                            "train-spec", "train-head" };

  for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
    {
      sf_training_settings_apply_preset (store, SF_PRESET_ARTICLE);
      g_assert_false (sf_training_settings_is_custom (store));

      const char *key = changes[i];
      if (strcmp (key, "train-epochs") == 0)
        g_settings_set_int (keys, key, 7);
      else if (strcmp (key, "train-learning-rate") == 0)
        g_settings_set_double (keys, key, 0.01);
      else if (strcmp (key, "train-augment-rotate") == 0)
        g_settings_set_boolean (keys, key, TRUE);
      else if (strcmp (key, "default-split") == 0)
        g_settings_set_string (keys, key, "people");
      else if (strcmp (key, "train-spec") == 0)
        sf_training_settings_set_spec (store, "conv8k3 gap dense16");
      else
        g_settings_set_string (keys, key, "contrastive");

      g_autofree char *preset = key_string ("train-preset");
      g_test_message ("%s changed: %s", key, preset);
      g_assert_cmpstr (preset, ==, "custom");
      g_assert_true (sf_training_settings_is_custom (store));
      /* The network stays the article's unless it was what changed. */
      g_autofree char *spec = sf_training_settings_dup_spec (store);
      g_assert_cmpstr (spec, ==, strcmp (key, "train-spec") == 0 ? "conv8k3 gap dense16" : SF_SPEC_ARTICLE);
    }

  /* The seed is not a setting of the preset. */
  sf_training_settings_apply_preset (store, SF_PRESET_COMPACT);
  g_settings_set_uint (keys, "default-seed", 1234);
  g_autofree char *preset = key_string ("train-preset");
  g_assert_cmpstr (preset, ==, "compact");
  g_assert_false (sf_training_settings_is_custom (store));

  /* Custom settings that equal a preset are that preset's. */
  g_settings_set_string (keys, "train-preset", "custom");
  g_assert_false (sf_training_settings_is_custom (store));
}

static void
test_set (void)
{
  reset_keys ();
  g_autoptr (SfTrainingSettings) store = sf_training_settings_new ();
  SfTrainSettings model = { 0 }, back;

  /* An opened model's settings, the article's but for its seed: the article. */
  sf_train_settings_init_preset (&model, SF_PRESET_ARTICLE);
  model.seed = 77;
  sf_training_settings_set (store, &model);
  g_autofree char *article = key_string ("train-preset");
  g_assert_cmpstr (article, ==, "article");
  sf_training_settings_get (store, &back);
  assert_same_settings (&back, &model, TRUE);
  g_assert_cmpuint (back.seed, ==, 77);
  sf_train_settings_clear (&back);

  /* Anything else: custom, every value as the model had it. */
  g_free (model.spec);
  model.spec = g_strdup ("conv8k3 pool2 gap dense16");
  model.epochs = 12;
  model.split = SF_SPLIT_IMAGES;
  model.split_share = 0.3;
  model.new_pairs_each_epoch = TRUE;
  sf_training_settings_set (store, &model);
  g_autofree char *custom = key_string ("train-preset");
  g_assert_cmpstr (custom, ==, "custom");
  sf_training_settings_get (store, &back);
  assert_same_settings (&back, &model, FALSE);
  g_assert_cmpfloat_with_epsilon (sf_training_settings_get_split_share (store), 0.3, 1e-9);
  sf_train_settings_clear (&back);
  sf_train_settings_clear (&model);
}

static void
test_dropout_and_share (void)
{
  reset_keys ();
  g_autoptr (SfTrainingSettings) store = sf_training_settings_new ();

  sf_training_settings_apply_preset (store, SF_PRESET_ARTICLE);
  g_assert_cmpfloat_with_epsilon (sf_training_settings_get_dropout (store), 0.3, 1e-9);
  sf_training_settings_set_dropout (store, 0.5);
  g_autofree char *half = sf_training_settings_dup_spec (store);
  g_assert_cmpstr (half, ==, "conv96k11 pool2 drop0.5 conv256k5 pool2 drop0.5 conv384k3 pool2 drop0.5 gap dense1024 "
                             "dense128");
  sf_training_settings_set_dropout (store, 0);
  g_autofree char *none = sf_training_settings_dup_spec (store);
  g_assert_null (strstr (none, "drop"));
  /* A spec without dropout gets one before its last layer. */
  sf_training_settings_set_spec (store, "conv8k3 gap dense16");
  sf_training_settings_set_dropout (store, 0.25);
  g_autofree char *one = sf_training_settings_dup_spec (store);
  g_assert_cmpstr (one, ==, "conv8k3 gap drop0.25 dense16");

  /* The split's default share is stored as 0, so another split starts from its own. */
  g_settings_set_string (keys, "default-split", "images");
  sf_training_settings_set_split_share (store, sf_split_default_share (SF_SPLIT_IMAGES));
  g_assert_cmpfloat (g_settings_get_double (keys, "train-split-share"), ==, 0.0);
  sf_training_settings_set_split_share (store, 0.4);
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (keys, "train-split-share"), 0.4, 1e-9);
  g_settings_set_string (keys, "default-split", "people");
  g_assert_cmpfloat (g_settings_get_double (keys, "train-split-share"), ==, 0.0);
  g_assert_cmpfloat (sf_training_settings_get_split_share (store), ==, sf_split_default_share (SF_SPLIT_PEOPLE));
}

typedef struct
{
  guint n;
  char *last_preset;
} Heard;

static void
changed_cb (SfTrainingSettings *store, const char *key, Heard *heard)
{
  heard->n++;
  g_free (heard->last_preset);
  heard->last_preset = sf_training_settings_dup_preset_name (store);
}

static void
test_changed_signal (void)
{
  reset_keys ();
  g_autoptr (SfTrainingSettings) store = sf_training_settings_new ();
  Heard heard = { 0 };

  /* By the time a view hears of a change, the preset already says custom. */
  g_signal_connect (store, "changed::train-epochs", G_CALLBACK (changed_cb), &heard);
  g_settings_set_int (keys, "train-epochs", 9);
  g_assert_cmpuint (heard.n, ==, 1);
  g_assert_cmpstr (heard.last_preset, ==, "custom");
  g_free (heard.last_preset);

  /* The default store is one, shared, and goes with its last user. */
  SfTrainingSettings *a = sf_training_settings_dup_default ();
  SfTrainingSettings *b = sf_training_settings_dup_default ();
  g_assert_true (a == b);
  g_object_add_weak_pointer (G_OBJECT (a), (gpointer *) &a);
  g_object_unref (b);
  g_assert_nonnull (a);
  g_object_unref (a);
  g_assert_null (a);
}

/* Start from: the layers to freeze count only when a model gives the
 * weights; a preset, or an opened model's settings, leave the choice alone. */
static void
test_start_from (void)
{
  g_autoptr (SfTrainingSettings) store = sf_training_settings_new ();
  SfTrainSettings s;

  g_settings_set_string (keys, "train-start-from", "scratch");
  g_settings_set_int (keys, "train-freeze", 5);
  sf_training_settings_get (store, &s);
  g_assert_cmpint (s.freeze, ==, 0);
  g_assert_cmpint (sf_training_settings_get_freeze (store), ==, 0);
  sf_train_settings_clear (&s);

  sf_training_settings_set_start_from (store, SF_START_CURRENT_MODEL);
  g_assert_cmpint (sf_training_settings_get_start_from (store), ==, SF_START_CURRENT_MODEL);
  sf_training_settings_get (store, &s);
  g_assert_cmpint (s.freeze, ==, 5);

  sf_training_settings_apply_preset (store, SF_PRESET_ARTICLE);
  sf_training_settings_set (store, &s);
  sf_train_settings_clear (&s);
  g_assert_cmpint (sf_training_settings_get_start_from (store), ==, SF_START_CURRENT_MODEL);
  g_assert_cmpint (sf_training_settings_get_freeze (store), ==, 5);

  g_assert_null (sf_training_settings_dup_init_file (store));
  sf_training_settings_set_init_file (store, "/tmp/base.safetensors");
  sf_training_settings_set_start_from (store, SF_START_MODEL_FILE);
  g_autofree char *path = sf_training_settings_dup_init_file (store);
  g_assert_cmpstr (path, ==, "/tmp/base.safetensors");
  g_settings_reset (keys, "train-start-from");
  g_settings_reset (keys, "train-init-file");
  g_settings_reset (keys, "train-freeze");
  g_assert_cmpint (sf_training_settings_get_start_from (store), ==, SF_START_SCRATCH);
}

int
main (int argc, char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, NULL);
  keys = g_settings_new (APP_ID);

  g_test_add_func ("/training-settings/presets", test_presets);
  g_test_add_func ("/training-settings/preset-key", test_preset_key);
  g_test_add_func ("/training-settings/custom", test_custom);
  g_test_add_func ("/training-settings/set", test_set);
  g_test_add_func ("/training-settings/dropout-and-share", test_dropout_and_share);
  g_test_add_func ("/training-settings/changed-signal", test_changed_signal);
  g_test_add_func ("/training-settings/start-from", test_start_from);

  int status = g_test_run ();
  g_object_unref (keys);
  return status;
}
