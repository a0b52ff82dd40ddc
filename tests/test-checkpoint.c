/* Checkpoints: a trained model survives save and load bit for bit with its
 * story; files that disagree with their own spec are refused. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "error.h"
#include "safetensors.h"
#include "sf-test-files.h"
#include "sf-test-hostile.h"

#define TINY_SPEC "conv4k3-bn-relu pool2 conv8k3 gap dense6"
#define FINGERPRINT "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *dir;

static SfModel *
tiny_model (guint64 seed)
{
  GError *error = NULL;
  SfModel *model = sf_model_new (TINY_SPEC, SF_HEAD_BCE, 1, 16, seed, &error);
  g_assert_no_error (error);
  /* Not the initial weights: make every parameter distinct. */
  float *params = sf_model_params (model);
  for (gsize i = 0; i < sf_model_n_params (model); i++)
    params[i] += 0.001f * (float) i;
  sf_model_set_train_steps (model, 17);
  return model;
}

static void
test_round_trip (void)
{
  g_autoptr (SfModel) model = tiny_model (3);
  SfTrainSettings settings = { 0 };
  sf_train_settings_init_preset (&settings, SF_PRESET_COMPACT);
  g_free (settings.spec);
  settings.spec = g_strdup (TINY_SPEC);
  settings.epochs = 7;
  SfEpochRecord history[2] = {
    { .epoch = 1, .loss = 0.7, .accuracy = 0.5, .validation_loss = 0.69, .validation_accuracy = 0.55, .seconds = 1.5 },
    { .epoch = 2, .loss = 0.6, .accuracy = 0.7, .validation_loss = NAN, .validation_accuracy = 0.6, .seconds = 1.4 },
  };
  g_autofree char *path = g_build_filename (dir, "tiny.safetensors", NULL);
  GError *error = NULL;
  g_assert_true (sf_checkpoint_save (path, model, &settings, history, 2, 0.42f, FINGERPRINT, "/data/faces", &error));
  g_assert_no_error (error);

  g_autoptr (SfCheckpoint) loaded = sf_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sf_model_n_params (loaded->model), ==, sf_model_n_params (model));
  g_assert_cmpmem (sf_model_params (loaded->model), sf_model_n_params (model) * sizeof (float),
                   sf_model_params (model), sf_model_n_params (model) * sizeof (float));
  g_assert_cmpstr (sf_model_get_spec (loaded->model), ==, sf_model_get_spec (model));
  g_assert_cmpint (sf_model_get_train_steps (loaded->model), ==, 17);
  g_assert_cmpfloat (loaded->threshold, ==, 0.42f);
  g_assert_cmpstr (loaded->dataset_fingerprint, ==, FINGERPRINT);
  g_assert_cmpstr (loaded->dataset_source, ==, "/data/faces");
  g_assert_cmpint (loaded->settings.epochs, ==, 7);
  g_assert_cmpint (loaded->settings.split, ==, settings.split);
  g_assert_cmpstr (loaded->settings.spec, ==, TINY_SPEC);
  g_assert_cmpint (loaded->n_history, ==, 2);
  g_assert_cmpfloat_with_epsilon (loaded->history[1].accuracy, 0.7, 1e-12);
  g_assert_true (isnan (loaded->history[1].validation_loss));

  /* The same model gives the same embeddings after the trip. */
  float image[16 * 16];
  for (int k = 0; k < 256; k++)
    image[k] = (k % 17) / 17.0f;
  float e1[6], e2[6];
  g_assert_true (sf_model_embed (model, image, 1, e1, NULL));
  g_assert_true (sf_model_embed (loaded->model, image, 1, e2, NULL));
  g_assert_cmpmem (e1, sizeof e1, e2, sizeof e2);
  sf_train_settings_clear (&settings);
}

static void
expect_refused (const char *path, const char *needle)
{
  GError *error = NULL;
  SfCheckpoint *checkpoint = sf_checkpoint_load (path, &error);
  if (checkpoint != NULL)
    g_error ("%s was accepted", path);
  g_assert_nonnull (error);
  if (strstr (error->message, needle) == NULL || strstr (error->message, path) == NULL)
    g_error ("'%s' lacks '%s' or the path", error->message, needle);
  g_error_free (error);
}

static void
test_refuses_inconsistent_files (void)
{
  g_autoptr (SfModel) model = tiny_model (1);
  float *params = sf_model_params (model);
  const SfTensorInfo *first = sf_model_tensor (model, 0);

  /* Not ours: a valid safetensors file without our metadata. */
  g_autofree char *foreign = g_build_filename (dir, "foreign.safetensors", NULL);
  SfTensorView view = { .name = first->name, .dtype = SF_DTYPE_F32, .rank = first->rank,
                        .data = params + first->offset, .n_bytes = first->size * sizeof (float) };
  for (int d = 0; d < first->rank; d++)
    view.shape[d] = first->shape[d];
  g_assert_true (sf_safetensors_write (foreign, &view, 1, NULL, NULL));
  expect_refused (foreign, "not a Siamese Faces model");

  /* Ours, but a tensor is missing. */
  g_autofree char *missing = g_build_filename (dir, "missing.safetensors", NULL);
  const char *metadata[] = { "format", SF_CHECKPOINT_FORMAT, "spec", TINY_SPEC, "head", "bce", "margin", "1",
                             "input_size", "16", "threshold", "0.5", "train_steps", "0", NULL };
  g_assert_true (sf_safetensors_write (missing, &view, 1, metadata, NULL));
  expect_refused (missing, "is missing or not F32");

  /* A spec that cannot be built. */
  g_autofree char *bad_spec = g_build_filename (dir, "bad-spec.safetensors", NULL);
  const char *bad_metadata[] = { "format", SF_CHECKPOINT_FORMAT, "spec", "conv0k4 wobble", "head", "bce", "margin", "1",
                                 "input_size", "16", "threshold", "0.5", "train_steps", "0", NULL };
  g_assert_true (sf_safetensors_write (bad_spec, &view, 1, bad_metadata, NULL));
  expect_refused (bad_spec, "bad-spec.safetensors");

  /* A threshold outside [0, 1]. */
  g_autofree char *threshold = g_build_filename (dir, "threshold.safetensors", NULL);
  const char *threshold_metadata[] = { "format", SF_CHECKPOINT_FORMAT, "spec", TINY_SPEC, "head", "bce", "margin", "1",
                                       "input_size", "16", "threshold", "7", "train_steps", "0", NULL };
  g_assert_true (sf_safetensors_write (threshold, &view, 1, threshold_metadata, NULL));
  expect_refused (threshold, "threshold");

  /* A model with a NaN weight: not saved (it could not be loaded), and
   * refused when a file holds one. */
  g_autofree char *good_path = g_build_filename (dir, "good.safetensors", NULL);
  g_assert_true (sf_checkpoint_save (good_path, model, NULL, NULL, 0, 0.5f, NULL, NULL, NULL));
  g_autofree char *nan_path = g_build_filename (dir, "nan.safetensors", NULL);
  params[0] = NAN;
  GError *error = NULL;
  g_assert_false (sf_checkpoint_save (nan_path, model, NULL, NULL, 0, 0.5f, NULL, NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "not saved"));
  g_clear_error (&error);
  g_assert_false (g_file_test (nan_path, G_FILE_TEST_EXISTS));
  g_autoptr (SfSafetensors) good = sf_safetensors_read (good_path, NULL);
  int n_names = 0;
  g_autofree const char **names = sf_safetensors_names (good, &n_names);
  g_autofree SfTensorView *views = g_new0 (SfTensorView, n_names);
  for (int t = 0; t < n_names; t++)
    g_assert_true (sf_safetensors_get (good, names[t], &views[t]));
  const char *good_metadata[] = { "format", SF_CHECKPOINT_FORMAT, "spec", TINY_SPEC, "head", "bce", "margin", "1",
                                  "input_size", "16", "threshold", "0.5", "train_steps", "0", NULL };
  g_autofree float *poisoned = g_memdup2 (views[0].data, views[0].n_bytes);
  poisoned[0] = NAN;
  views[0].data = poisoned;
  g_assert_true (sf_safetensors_write (nan_path, views, n_names, good_metadata, NULL));
  expect_refused (nan_path, "NaN");

  /* Truncated. */
  g_autofree char *bytes = NULL;
  gsize size;
  g_assert_true (g_file_get_contents (good_path, &bytes, &size, NULL));
  g_autofree char *cut = g_build_filename (dir, "cut.safetensors", NULL);
  g_assert_true (g_file_set_contents (cut, bytes, (gssize) size - 10, NULL));
  expect_refused (cut, "cut.safetensors");
}

/* Every crafted hostile model (sf-test-hostile.c) is refused with a message
 * naming the file and the problem; nested JSON anywhere once overflowed the
 * stack, control characters reached the terminal, an input size raised by
 * hand was accepted. */
static void
test_hostile_models (void)
{
  g_autoptr (SfModel) model = tiny_model (2);
  g_autofree char *hostile = g_build_filename (dir, "hostile", NULL);
  g_assert_cmpint (g_mkdir (hostile, 0700), ==, 0);
  g_autoptr (GPtrArray) files = sf_test_write_hostile_models (hostile, model);
  for (guint k = 0; k < files->len; k++)
    {
      SfTestHostileFile *file = files->pdata[k];
      g_test_message ("%s", file->name);
      expect_refused (file->path, file->needle);
    }
}

/* The model's story comes back as it was saved: a history with extreme and
 * missing values (json-glib's writer once gave 1e+308.0, which no parser
 * reads), and a dataset source whose name is not UTF-8 (once saved as a
 * header no parser reads: "Saved", then every load failed). */
static void
test_story_round_trip (void)
{
  /* A spec longer than a message shows of it. */
  GError *error = NULL;
  g_autoptr (SfModel) model = sf_model_new ("conv4k3-bn-relu pool2 drop0.2 conv4k3-leaky0.1 conv4k3-elu-bn "
                                            "conv4k3-linear pool2 gap dense8-bn dense6 l2norm",
                                            SF_HEAD_CONTRASTIVE, 2.0f, 16, 4, &error);
  g_assert_no_error (error);
  SfEpochRecord history[2] = {
    { .epoch = 1, .loss = 1e308, .accuracy = 1e-300, .validation_loss = NAN, .validation_accuracy = INFINITY,
      .seconds = 2, .pairs_per_second = 5e20, .learning_rate = 1e-8 },
    { .epoch = 2, .loss = 0.25, .accuracy = 0.5, .validation_loss = 0.125, .validation_accuracy = 0.75,
      .seconds = 1, .pairs_per_second = 100, .learning_rate = 0 },
  };
  const char *sources[] = { "/data/caf\xe9/faces", "/data/\xff\xfe/%41 %/x", "/data/é/faces", "relative" };
  for (guint k = 0; k < G_N_ELEMENTS (sources); k++)
    {
      g_autofree char *path = g_strdup_printf ("%s/story%u.safetensors", dir, k);
      g_assert_true (sf_checkpoint_save (path, model, NULL, history, 2, 0.5f, NULL, sources[k], &error));
      g_assert_no_error (error);
      g_autoptr (SfCheckpoint) back = sf_checkpoint_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (back->dataset_source, ==, sources[k]);
      g_assert_cmpint (back->n_history, ==, 2);
      g_assert_cmpfloat (back->history[0].loss, ==, 1e308);
      g_assert_cmpfloat (back->history[0].accuracy, ==, 1e-300);
      g_assert_true (isnan (back->history[0].validation_loss));
      g_assert_true (isnan (back->history[0].validation_accuracy));
      g_assert_cmpfloat (back->history[0].pairs_per_second, ==, 5e20);
      g_assert_cmpfloat (back->history[0].learning_rate, ==, 1e-8);
      g_assert_cmpint (back->history[1].epoch, ==, 2);
      g_assert_cmpfloat (back->history[1].learning_rate, ==, 0);

      /* People read the source's display form; the bytes are kept beside it. */
      g_autoptr (SfSafetensors) file = sf_safetensors_read (path, &error);
      g_assert_no_error (error);
      g_autofree char *shown = g_filename_display_name (sources[k]);
      g_assert_cmpstr (sf_safetensors_get_metadata (file, "dataset_source"), ==, shown);
      g_assert_true ((sf_safetensors_get_metadata (file, "dataset_source_bytes") != NULL)
                     == (strcmp (shown, sources[k]) != 0));
    }
}

/* What the loader would refuse is never written, and the old file stays. */
static void
test_unreadable_is_not_saved (void)
{
  g_autoptr (SfModel) model = tiny_model (5);
  g_autofree char *path = g_build_filename (dir, "kept.safetensors", NULL);
  GError *error = NULL;
  g_assert_true (sf_checkpoint_save (path, model, NULL, NULL, 0, 0.25f, NULL, NULL, &error));
  g_assert_false (sf_checkpoint_save (path, model, NULL, NULL, 0, 2.0f, NULL, NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "threshold"));
  g_clear_error (&error);
  g_assert_false (sf_checkpoint_save (path, model, NULL, NULL, 0, 0.5f, "not hex", NULL, &error));
  g_assert_nonnull (strstr (error->message, "dataset_fingerprint"));
  g_clear_error (&error);
  g_autoptr (SfCheckpoint) back = sf_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (back->threshold, ==, 0.25f);
}

/* Metadata 'epoch' and 'kept': the epoch whose weights the file holds
 * round-trips; a file without it (older) still loads as unknown; wrong
 * types, ranges and names are refused naming the key. */
static void
test_epoch_key (void)
{
  g_autoptr (SfModel) model = tiny_model (6);
  SfEpochRecord history[3] = {
    { .epoch = 1, .loss = 0.7, .validation_loss = 0.6 },
    { .epoch = 2, .loss = 0.6, .validation_loss = 0.5 },
    { .epoch = 3, .loss = 0.5, .validation_loss = 0.55 },
  };
  g_autofree char *path = g_build_filename (dir, "epoch.safetensors", NULL);
  GError *error = NULL;
  g_assert_true (sf_checkpoint_save_epoch (path, model, NULL, history, 3, 0.5f, NULL, NULL, 2, SF_KEEP_BEST_LOSS,
                                           &error));
  g_assert_no_error (error);
  g_autoptr (SfCheckpoint) loaded = sf_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->epoch, ==, 2);
  g_assert_cmpint (loaded->kept, ==, SF_KEEP_BEST_LOSS);
  g_autoptr (SfSafetensors) file = sf_safetensors_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sf_safetensors_get_metadata (file, "epoch"), ==, "2");
  g_assert_cmpstr (sf_safetensors_get_metadata (file, "kept"), ==, "loss");

  /* Saved again from the checkpoint, the epoch stays. */
  g_autofree char *again = g_build_filename (dir, "epoch-again.safetensors", NULL);
  g_assert_true (sf_checkpoint_write (again, loaded, 0.25f, &error));
  g_autoptr (SfCheckpoint) reloaded = sf_checkpoint_load (again, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reloaded->epoch, ==, 2);
  g_assert_cmpint (reloaded->kept, ==, SF_KEEP_BEST_LOSS);
  g_assert_cmpfloat (reloaded->threshold, ==, 0.25f);

  /* Without the key, as files older than it: the epoch is unknown. */
  g_autofree char *old = g_build_filename (dir, "epoch-old.safetensors", NULL);
  g_assert_true (sf_checkpoint_save (old, model, NULL, history, 3, 0.5f, NULL, NULL, &error));
  g_autoptr (SfSafetensors) old_file = sf_safetensors_read (old, &error);
  g_assert_null (sf_safetensors_get_metadata (old_file, "epoch"));
  g_autoptr (SfCheckpoint) old_loaded = sf_checkpoint_load (old, &error);
  g_assert_no_error (error);
  g_assert_cmpint (old_loaded->epoch, ==, 0);

  static const struct { const char *epoch; const char *kept; const char *needle; } bad[] = {
    { "two", "loss", "metadata 'epoch' is 'two'" },
    { "2.5", "loss", "metadata 'epoch' is '2.5'" },
    { "0", "loss", "metadata 'epoch' is '0'" },
    { "-1", "loss", "metadata 'epoch'" },
    { "4", "loss", "metadata 'epoch' is '4' (expected a whole number from 1 to 3)" },
    { "1e400", "loss", "metadata 'epoch'" },
    { "", "loss", "metadata 'epoch'" },
    { "2", "best", "metadata 'kept' is 'best'" },
    { "2", "", "metadata 'kept'" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
    {
      g_autofree char *name = g_strdup_printf ("epoch-bad-%u.safetensors", k);
      g_autofree char *bad_path = g_build_filename (dir, name, NULL);
      const char *changes[] = { "epoch", bad[k].epoch, "kept", bad[k].kept, NULL };
      sf_test_rewrite_metadata (path, bad_path, changes);
      expect_refused (bad_path, bad[k].needle);
    }
}

static void
test_history_csv (void)
{
  SfEpochRecord history[1] = { { .epoch = 3, .loss = 0.5, .accuracy = 0.75, .validation_loss = NAN,
                                 .validation_accuracy = 0.5, .seconds = 2, .pairs_per_second = 400,
                                 .learning_rate = 0.001 } };
  g_autofree char *csv = sf_history_to_csv (history, 1);
  g_assert_cmpstr (csv, ==, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,pairs_per_second,learning_rate\n"
                            "3,0.5,0.75,,0.5,2,400,0.001\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("sf-checkpoint-XXXXXX", NULL);
  g_test_add_func ("/checkpoint/round-trip", test_round_trip);
  g_test_add_func ("/checkpoint/refuses-inconsistent", test_refuses_inconsistent_files);
  g_test_add_func ("/checkpoint/hostile-models", test_hostile_models);
  g_test_add_func ("/checkpoint/story-round-trip", test_story_round_trip);
  g_test_add_func ("/checkpoint/unreadable-is-not-saved", test_unreadable_is_not_saved);
  g_test_add_func ("/checkpoint/history-csv", test_history_csv);
  g_test_add_func ("/checkpoint/epoch-key", test_epoch_key);
  int status = g_test_run ();
  sf_test_remove_tree (dir);
  g_free (dir);
  return status;
}
