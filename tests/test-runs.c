/* Runs and sweeps: grid expansion (the cartesian product over seeds), random
 * search, resuming a sweep (only missing runs trained), run folders kept and
 * read back, bad run folders named while the rest still list, the CSV's
 * columns, and a group's mean and standard deviation. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "error.h"
#include "runs.h"
#include "sf-test-files.h"
#include "sweep.h"

#define TINY_SPEC "pool2 conv4k3-bn-relu gap dense8 l2norm"

static SfDataset *
tiny_dataset (void)
{
  GError *error = NULL;
  SfDataset *dataset = sf_demo_faces_generate (16, 0, &error);
  g_assert_no_error (error);
  return dataset;
}

static void
tiny_settings (SfTrainSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  sf_train_settings_init_preset (settings, SF_PRESET_COMPACT);
  g_free (settings->spec);
  settings->spec = g_strdup (TINY_SPEC);
  settings->epochs = 1;
  settings->batch_size = 32;
}

/* ---- planning ---- */

static void
test_grid_expansion (void)
{
  SfTrainSettings base;
  tiny_settings (&base);
  g_autoptr (SfSweep) sweep = sf_sweep_new (&base);
  GError *error = NULL;
  g_assert_true (sf_sweep_add_grid (sweep, "lr=1e-3,3e-3", &error));
  g_assert_true (sf_sweep_add_grid (sweep, "temperature=0.25,0.3,0.35", &error));
  g_assert_true (sf_sweep_set_seeds (sweep, "4-5", &error));
  g_assert_no_error (error);
  int n_combinations = 0;
  g_autoptr (GArray) runs = sf_sweep_expand (sweep, &n_combinations, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n_combinations, ==, 6);
  g_assert_cmpuint (runs->len, ==, 12);

  /* Every (lr, temperature) pair once per seed, the seeds of a combination together. */
  const float lrs[] = { 1e-3f, 3e-3f };
  const float temperatures[] = { 0.25f, 0.3f, 0.35f };
  int seen[2][3][2] = { { { 0 } } };
  for (guint k = 0; k < runs->len; k++)
    {
      const SfTrainSettings *s = &g_array_index (runs, SfTrainSettings, k);
      g_assert_cmpuint (s->seed, ==, 4 + k % 2);
      if (k % 2 == 1)
        {
          const SfTrainSettings *previous = &g_array_index (runs, SfTrainSettings, k - 1);
          g_assert_cmpfloat (s->optimizer.learning_rate, ==, previous->optimizer.learning_rate);
          g_assert_cmpfloat (s->temperature, ==, previous->temperature);
        }
      g_assert_cmpstr (s->spec, ==, TINY_SPEC);
      g_assert_cmpint (s->epochs, ==, 1);
      int i = -1, j = -1;
      for (int a = 0; a < 2; a++)
        if (s->optimizer.learning_rate == lrs[a])
          i = a;
      for (int b = 0; b < 3; b++)
        if (s->temperature == temperatures[b])
          j = b;
      g_assert_cmpint (i, >=, 0);
      g_assert_cmpint (j, >=, 0);
      seen[i][j][s->seed - 4]++;
    }
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 3; b++)
      for (int c = 0; c < 2; c++)
        g_assert_cmpint (seen[a][b][c], ==, 1);
  sf_train_settings_clear (&base);
}

static void
test_sweep_refuses (void)
{
  SfTrainSettings base;
  tiny_settings (&base);
  g_autoptr (SfSweep) sweep = sf_sweep_new (&base);
  GError *error = NULL;
  const char *bad_grids[] = { "frobnicate=1,2", "seed=1,2", "epochs=1.5", "temperature=warm", "lr", "=1" };
  for (guint k = 0; k < G_N_ELEMENTS (bad_grids); k++)
    {
      g_assert_false (sf_sweep_add_grid (sweep, bad_grids[k], &error));
      g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
      g_clear_error (&error);
    }
  const char *bad_seeds[] = { "3-1", "x", "1-", "" };
  for (guint k = 0; k < G_N_ELEMENTS (bad_seeds); k++)
    {
      g_assert_false (sf_sweep_set_seeds (sweep, bad_seeds[k], &error));
      g_clear_error (&error);
    }
  g_assert_false (sf_sweep_add_range (sweep, "lr=0:1e-2:log", &error));
  g_clear_error (&error);
  g_assert_false (sf_sweep_add_range (sweep, "augment=1:2", &error));
  g_clear_error (&error);
  /* A range without a random search has no values to try. */
  g_assert_true (sf_sweep_add_range (sweep, "lr=1e-4:1e-2:log", &error));
  int n = 0;
  g_assert_null (sf_sweep_expand (sweep, &n, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
  /* An invalid combination is refused before anything trains. */
  g_autoptr (SfSweep) invalid = sf_sweep_new (&base);
  g_assert_true (sf_sweep_add_grid (invalid, "batch=32,0", &error));
  g_assert_null (sf_sweep_expand (invalid, &n, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  sf_train_settings_clear (&base);
}

static void
test_random_search (void)
{
  SfTrainSettings base;
  tiny_settings (&base);
  GError *error = NULL;
  GArray *draws[2];
  for (int t = 0; t < 2; t++)
    {
      g_autoptr (SfSweep) sweep = sf_sweep_new (&base);
      g_assert_true (sf_sweep_add_range (sweep, "lr=1e-4:1e-2:log", &error));
      g_assert_true (sf_sweep_add_range (sweep, "epochs=1:3", &error));
      g_assert_true (sf_sweep_add_grid (sweep, "augment=none,flip", &error));
      g_assert_true (sf_sweep_set_seeds (sweep, "0,7", &error));
      sf_sweep_set_random (sweep, 8, 42);
      int n = 0;
      draws[t] = sf_sweep_expand (sweep, &n, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, ==, 8);
      g_assert_cmpuint (draws[t]->len, ==, 16);
    }
  gboolean lr_varies = FALSE;
  for (guint k = 0; k < draws[0]->len; k++)
    {
      const SfTrainSettings *a = &g_array_index (draws[0], SfTrainSettings, k);
      const SfTrainSettings *b = &g_array_index (draws[1], SfTrainSettings, k);
      g_assert_cmpfloat (a->optimizer.learning_rate, >=, 1e-4f * 0.999f);
      g_assert_cmpfloat (a->optimizer.learning_rate, <=, 1e-2f * 1.001f);
      g_assert_cmpint (a->epochs, >=, 1);
      g_assert_cmpint (a->epochs, <=, 3);
      g_assert_cmpuint (a->seed, ==, k % 2 == 0 ? 0 : 7);
      /* The same arguments draw the same sweep: what resuming relies on. */
      g_assert_cmpfloat (a->optimizer.learning_rate, ==, b->optimizer.learning_rate);
      g_assert_cmpint (a->epochs, ==, b->epochs);
      lr_varies |= a->optimizer.learning_rate != g_array_index (draws[0], SfTrainSettings, 0).optimizer.learning_rate;
    }
  g_assert_true (lr_varies);
  g_array_unref (draws[0]);
  g_array_unref (draws[1]);
  sf_train_settings_clear (&base);
}

/* ---- training and recording ---- */

static SfRun *
train_and_record (SfRunStore *store, const SfDataset *dataset, const SfTrainSettings *settings)
{
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, settings, &error);
  g_assert_no_error (error);
  g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
  g_assert_no_error (error);
  SfRun *run = sf_run_store_record (store, trainer, dataset, SF_RUN_FINISHED, NULL, 1.5, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (run);
  return run;
}

/* What a sweep does: every planned run the store lacks finished is trained. */
static int
run_sweep (SfRunStore *store, const SfDataset *dataset, GArray *planned)
{
  GError *error = NULL;
  g_autoptr (GHashTable) finished = sf_sweep_finished_keys (store, &error);
  g_assert_no_error (error);
  g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
  int trained = 0;
  for (guint k = 0; k < planned->len; k++)
    {
      const SfTrainSettings *settings = &g_array_index (planned, SfTrainSettings, k);
      g_autofree char *key = sf_run_key (settings, fingerprint);
      if (g_hash_table_contains (finished, key))
        continue;
      g_autoptr (SfRun) run = train_and_record (store, dataset, settings);
      g_assert_cmpstr (run->key, ==, key);
      trained++;
    }
  return trained;
}

static void
test_resume (void)
{
  g_autofree char *root = sf_test_make_tmp_dir ("sf-runs-XXXXXX");
  g_autoptr (SfRunStore) store = sf_run_store_new (root);
  g_autoptr (SfDataset) dataset = tiny_dataset ();
  SfTrainSettings base;
  tiny_settings (&base);
  g_autoptr (SfSweep) sweep = sf_sweep_new (&base);
  GError *error = NULL;
  g_assert_true (sf_sweep_add_grid (sweep, "lr=1e-3,3e-3", &error));
  g_assert_true (sf_sweep_add_grid (sweep, "temperature=0.25,0.3", &error));
  int n = 0;
  g_autoptr (GArray) planned = sf_sweep_expand (sweep, &n, &error);
  g_assert_no_error (error);

  g_assert_cmpint (run_sweep (store, dataset, planned), ==, 4);
  g_autoptr (GPtrArray) runs = sf_run_store_list (store, NULL, &error);
  g_assert_cmpuint (runs->len, ==, 4);
  /* Interrupted: one run is missing. */
  g_assert_true (sf_run_delete (runs->pdata[2], &error));
  g_assert_no_error (error);
  g_assert_cmpint (run_sweep (store, dataset, planned), ==, 1);
  g_assert_cmpint (run_sweep (store, dataset, planned), ==, 0);

  /* Another dataset is another run, even with the same settings. */
  g_autoptr (SfDataset) other = sf_demo_faces_generate (16, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_sweep (store, other, planned), ==, 4);
  sf_train_settings_clear (&base);
  sf_test_remove_tree (root);
}

/* A run that fails is kept, marked failed with its message (without a
 * model when it had none, or one a NaN spoilt), listed with the others, left
 * out of summaries and of the finished keys (a sweep started again retries
 * it); and the sweep goes on to the next run. */
/* Runs recorded one after another list in that order, also when ten or
 * more end in one second and their folders are numbered -2 ... -10, -11. */
static void
test_listed_in_order (void)
{
  g_autofree char *root = sf_test_make_tmp_dir ("sf-runs-XXXXXX");
  g_autoptr (SfRunStore) store = sf_run_store_new (root);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  SfTrainSettings s;
  tiny_settings (&s);

  for (int i = 0; i < 14; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *message = g_strdup_printf ("run %d", i);
      g_autoptr (SfRun) run = sf_run_store_record_failure (store, &s, NULL, NULL, message, 0.1, &error);
      g_assert_no_error (error);
      g_ptr_array_add (ids, g_strdup (run->id));
    }
  sf_train_settings_clear (&s);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) runs = sf_run_store_list (store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 14);
  for (guint i = 0; i < runs->len; i++)
    g_assert_cmpstr (((SfRun *) g_ptr_array_index (runs, i))->id, ==, g_ptr_array_index (ids, i));
  sf_test_remove_tree (root);
}

static void
test_failed_runs (void)
{
  g_autofree char *root = sf_test_make_tmp_dir ("sf-runs-XXXXXX");
  g_autoptr (SfRunStore) store = sf_run_store_new (root);
  g_autoptr (SfDataset) dataset = tiny_dataset ();
  GError *error = NULL;
  SfTrainSettings bad, good;
  tiny_settings (&bad);
  tiny_settings (&good);
  g_free (bad.spec);
  bad.spec = g_strdup ("conv4k3 l2norm gap dense8");

  /* What a sweep does with two planned runs: the first cannot even start. */
  g_autoptr (SfRun) failed = sf_sweep_train_run (store, dataset, &bad, FALSE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (failed->status, ==, SF_RUN_FAILED);
  g_assert_nonnull (strstr (failed->message, "l2norm"));
  g_assert_false (failed->has_model);
  g_autoptr (SfRun) finished = sf_sweep_train_run (store, dataset, &good, FALSE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (finished->status, ==, SF_RUN_FINISHED);
  g_assert_true (finished->has_model);

  /* Failed mid-training with NaN weights: recorded, its model left out. */
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &good, &error);
  g_assert_no_error (error);
  g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
  sf_model_params (sf_trainer_get_model (trainer))[0] = NAN;
  g_autoptr (SfRun) spoilt = sf_run_store_record (store, trainer, dataset, SF_RUN_FAILED,
                                                  "the loss became NaN in epoch 1", 2, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (spoilt->has_model);
  /* A NaN model is no finished run: only a failed one is kept without its model. */
  g_assert_null (sf_run_store_record (store, trainer, dataset, SF_RUN_FINISHED, NULL, 2, NULL, FALSE, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GPtrArray) runs = sf_run_store_list (store, &problems, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (runs->len, ==, 3);
  guint n_failed = 0;
  for (guint k = 0; k < runs->len; k++)
    {
      const SfRun *run = runs->pdata[k];
      g_autofree char *model = sf_run_get_model_path (run);
      g_assert_true (run->has_model == g_file_test (model, G_FILE_TEST_IS_REGULAR));
      if (run->status != SF_RUN_FAILED)
        continue;
      n_failed++;
      g_assert_false (run->has_model);
      g_assert_true (strstr (run->message, "l2norm") != NULL || strstr (run->message, "NaN") != NULL);
    }
  g_assert_cmpuint (n_failed, ==, 2);
  g_autoptr (GHashTable) keys = sf_sweep_finished_keys (store, &error);
  g_assert_cmpuint (g_hash_table_size (keys), ==, 1);
  g_assert_true (g_hash_table_contains (keys, finished->key));
  g_autoptr (GPtrArray) summaries = sf_runs_summarize ((SfRun *const *) runs->pdata, runs->len, SF_RUN_RESULT_EER);
  g_assert_cmpuint (summaries->len, ==, 1);
  g_assert_cmpint (((SfRunGroupSummary *) summaries->pdata[0])->n_runs, ==, 1);

  /* A finished run whose model went missing is still a bad folder. */
  g_autofree char *model = sf_run_get_model_path (finished);
  g_assert_cmpint (g_unlink (model), ==, 0);
  g_autoptr (GPtrArray) problems_after = NULL;
  g_autoptr (GPtrArray) after = sf_run_store_list (store, &problems_after, &error);
  g_assert_cmpuint (after->len, ==, 2);
  g_assert_cmpuint (problems_after->len, ==, 1);
  sf_train_settings_clear (&bad);
  sf_train_settings_clear (&good);
  sf_test_remove_tree (root);
}

/* Trained to the end with weights grown infinite (SGD at rate 10, no batch
 * normalisation): the model cannot be saved, so the run is kept failed,
 * saying so, without a model. */
static void
test_unsaveable_run (void)
{
  g_autofree char *root = sf_test_make_tmp_dir ("sf-runs-XXXXXX");
  g_autoptr (SfRunStore) store = sf_run_store_new (root);
  g_autoptr (SfDataset) dataset = tiny_dataset ();
  GError *error = NULL;
  SfTrainSettings settings;
  tiny_settings (&settings);
  g_free (settings.spec);
  settings.spec = g_strdup ("conv16k3 pool2 conv16k3 pool2 gap dense32 dense8");
  settings.head = SF_HEAD_BCE;
  settings.all_pairs = FALSE;
  settings.temperature = 0;
  settings.optimizer.kind = SF_OPTIMIZER_SGD;
  settings.optimizer.learning_rate = 10;
  settings.optimizer.schedule = SF_SCHEDULE_CONSTANT;
  settings.epochs = 8;
  g_autoptr (SfRun) run = sf_sweep_train_run (store, dataset, &settings, FALSE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (run);
  g_assert_cmpint (run->status, ==, SF_RUN_FAILED);
  g_assert_nonnull (strstr (run->message, "NaN or infinite"));
  g_assert_false (run->has_model);
  sf_train_settings_clear (&settings);
  sf_test_remove_tree (root);
}

/* A cancelled run is kept, stopped, and a sweep's cancellable stops it before it trains. */
static void
test_cancelled_run (void)
{
  g_autofree char *root = sf_test_make_tmp_dir ("sf-runs-XXXXXX");
  g_autoptr (SfRunStore) store = sf_run_store_new (root);
  g_autoptr (SfDataset) dataset = tiny_dataset ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;
  SfTrainSettings settings;
  tiny_settings (&settings);
  settings.epochs = 3;
  g_cancellable_cancel (cancellable);
  g_autoptr (SfRun) run = sf_sweep_train_run (store, dataset, &settings, FALSE, NULL, NULL, cancellable, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run->status, ==, SF_RUN_STOPPED);
  g_assert_cmpint (run->n_history, <, 3);
  sf_train_settings_clear (&settings);
  sf_test_remove_tree (root);
}

static void
test_persistence (void)
{
  g_autofree char *root = sf_test_make_tmp_dir ("sf-runs-XXXXXX");
  g_autofree char *store_root = g_build_filename (root, "deeper", "runs", NULL);
  g_autoptr (SfRunStore) store = sf_run_store_new (store_root);
  g_autoptr (SfDataset) dataset = tiny_dataset ();
  SfTrainSettings settings;
  tiny_settings (&settings);
  settings.epochs = 2;
  settings.seed = 3;
  GError *error = NULL;
  g_autoptr (SfRun) run = train_and_record (store, dataset, &settings);
  g_autofree char *model_path = sf_run_get_model_path (run);
  g_assert_true (g_file_test (model_path, G_FILE_TEST_IS_REGULAR));

  g_autoptr (SfRun) back = sf_run_load (run->folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->id, ==, run->id);
  g_assert_cmpstr (back->name, ==, run->id);
  g_assert_cmpint (back->status, ==, SF_RUN_FINISHED);
  g_assert_cmpuint (back->settings.seed, ==, 3);
  g_assert_cmpint (back->settings.epochs, ==, 2);
  g_assert_cmpstr (back->settings.spec, ==, TINY_SPEC);
  g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
  g_assert_cmpstr (back->dataset_fingerprint, ==, fingerprint);
  g_assert_cmpint (back->n_history, ==, 2);
  g_assert_cmpfloat (back->history[1].loss, ==, run->history[1].loss);
  g_assert_cmpfloat (back->duration_seconds, ==, 1.5);
  g_assert_cmpint (back->final.epoch, ==, 2);
  for (int r = 0; r < SF_RUN_N_RESULTS; r++)
    {
      g_assert_true (isfinite (back->final.values[r]));
      g_assert_cmpfloat (back->final.values[r], ==, run->final.values[r]);
    }
  g_assert_cmpfloat (back->final.values[SF_RUN_RESULT_EER], >=, 0);
  g_assert_cmpfloat (back->final.values[SF_RUN_RESULT_EER], <=, 1);
  g_assert_cmpint (back->best.epoch, >=, 1);
  g_assert_cmpint (back->best.epoch, <=, 2);
  g_assert_cmpfloat (back->threshold, ==, run->threshold);
  g_autofree char *group = sf_run_group_key (&settings, fingerprint);
  g_assert_cmpstr (back->group, ==, group);
  g_autofree char *key = sf_run_key (&settings, fingerprint);
  g_assert_cmpstr (back->key, ==, key);
  g_assert_cmpstr (back->key, !=, back->group);

  /* Renamed, and still renamed when read again. */
  g_assert_true (sf_run_set_name (back, "baseline, \"first\"", &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) runs = sf_run_store_list (store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpstr (((SfRun *) runs->pdata[0])->name, ==, "baseline, \"first\"");

  g_assert_true (sf_run_delete (back, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (run->folder, G_FILE_TEST_EXISTS));
  g_clear_pointer (&runs, g_ptr_array_unref);
  runs = sf_run_store_list (store, NULL, &error);
  g_assert_cmpuint (runs->len, ==, 0);
  sf_train_settings_clear (&settings);
  sf_test_remove_tree (root);
}

static void
write_file (const char *folder, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  GError *error = NULL;
  g_assert_true (g_file_set_contents (path, text, -1, &error));
}

static gboolean
has_problem (GPtrArray *problems, const char *folder, const char *words)
{
  for (guint k = 0; k < problems->len; k++)
    if (strstr (problems->pdata[k], folder) != NULL && strstr (problems->pdata[k], words) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_bad_run_folders (void)
{
  g_autofree char *root = sf_test_make_tmp_dir ("sf-runs-XXXXXX");
  g_autoptr (SfRunStore) store = sf_run_store_new (root);
  g_autoptr (SfDataset) dataset = tiny_dataset ();
  SfTrainSettings settings;
  tiny_settings (&settings);
  SfRun *runs[5];
  for (int k = 0; k < 5; k++)
    {
      settings.seed = k;
      runs[k] = train_and_record (store, dataset, &settings);
    }
  g_autofree char *model = sf_run_get_model_path (runs[1]);
  g_assert_cmpint (g_unlink (model), ==, 0);
  write_file (runs[2]->folder, SF_RUN_JSON, "{\"format\": \"siamese-faces-run/1\", \"settings\": ");
  g_autofree char *json = g_build_filename (runs[3]->folder, SF_RUN_JSON, NULL);
  g_assert_cmpint (g_unlink (json), ==, 0);
  write_file (runs[4]->folder, SF_RUN_JSON,
              "{\"format\": \"siamese-faces-run/1\", \"status\": 5, \"settings\": {}, \"history\": []}");
  g_autofree char *stray = g_build_filename (root, "holiday-photos", NULL);
  g_assert_cmpint (g_mkdir (stray, 0755), ==, 0);
  write_file (root, "notes.txt", "not a run");

  GError *error = NULL;
  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GPtrArray) listed = sf_run_store_list (store, &problems, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 1);
  g_assert_cmpstr (((SfRun *) listed->pdata[0])->id, ==, runs[0]->id);
  g_assert_cmpuint (problems->len, ==, 5);
  g_assert_true (has_problem (problems, runs[1]->folder, "model.safetensors is missing"));
  g_assert_true (has_problem (problems, runs[2]->folder, "run.json"));
  g_assert_true (has_problem (problems, runs[3]->folder, "no run.json"));
  g_assert_true (has_problem (problems, runs[4]->folder, "'status'"));
  g_assert_true (has_problem (problems, stray, "no run.json"));

  /* Opened directly, a bad folder says the same. */
  g_assert_null (sf_run_load (runs[1]->folder, &error));
  g_assert_nonnull (strstr (error->message, "missing"));
  g_clear_error (&error);
  g_assert_null (sf_run_load (runs[2]->folder, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
  g_clear_error (&error);

  /* A store that does not exist yet is empty, not an error. */
  g_autofree char *nowhere = g_build_filename (root, "no-such-store", NULL);
  g_autoptr (SfRunStore) empty = sf_run_store_new (nowhere);
  g_autoptr (GPtrArray) none = sf_run_store_list (empty, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  for (int k = 0; k < 5; k++)
    sf_run_free (runs[k]);
  sf_train_settings_clear (&settings);
  sf_test_remove_tree (root);
}

/* ---- best epoch ---- */

static void
test_keep_best (void)
{
  g_autoptr (SfDataset) dataset = tiny_dataset ();
  GError *error = NULL;
  for (SfKeepBest keep = SF_KEEP_BEST_LOSS; keep <= SF_KEEP_BEST_EER; keep++)
    {
      SfTrainSettings settings;
      tiny_settings (&settings);
      settings.epochs = 12;
      settings.optimizer.schedule = SF_SCHEDULE_CONSTANT;
      settings.optimizer.learning_rate = 0.03f;  /* jumpy: later epochs are not always better */
      settings.keep_best = keep;
      settings.patience = 2;
      g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
      g_assert_no_error (error);
      g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
      int n = 0;
      const SfEpochRecord *history = sf_trainer_get_history (trainer, &n);
      int best = sf_trainer_get_model_epoch (trainer);
      g_assert_cmpint (best, >=, 1);
      g_assert_cmpint (best, <=, n);
      /* Stopped early exactly `patience` epochs after the best, or ran to the end. */
      g_assert_true (n == settings.epochs || n - best == settings.patience);
      if (keep == SF_KEEP_BEST_LOSS)
        for (int e = 0; e < n; e++)
          g_assert_cmpfloat (history[e].validation_loss, >=, history[best - 1].validation_loss);

      /* The model holds that epoch's weights: those of the same run stopped there. */
      SfTrainSettings shorter;
      memset (&shorter, 0, sizeof shorter);
      sf_train_settings_copy (&shorter, &settings);
      shorter.epochs = best;
      shorter.keep_best = SF_KEEP_LAST;
      shorter.patience = 0;
      g_autoptr (SfTrainer) reference = sf_trainer_new (dataset, &shorter, &error);
      g_assert_no_error (error);
      g_assert_true (sf_trainer_run (reference, NULL, NULL, &error));
      g_assert_cmpint (sf_trainer_get_model_epoch (reference), ==, best);
      SfModel *a = sf_trainer_get_model (trainer), *b = sf_trainer_get_model (reference);
      g_assert_true (memcmp (sf_model_params (a), sf_model_params (b), sizeof (float) * sf_model_n_params (a)) == 0);

      /* And the run says so. */
      g_autofree char *root = sf_test_make_tmp_dir ("sf-runs-XXXXXX");
      g_autoptr (SfRunStore) store = sf_run_store_new (root);
      g_autoptr (SfRun) run = sf_run_store_record (store, trainer, dataset, SF_RUN_FINISHED, NULL, 1, NULL, FALSE,
                                                   &error);
      g_assert_no_error (error);
      g_assert_cmpint (run->final.epoch, ==, best);
      g_autoptr (SfRun) back = sf_run_load (run->folder, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->settings.keep_best, ==, keep);
      g_assert_cmpint (back->settings.patience, ==, 2);
      g_assert_cmpint (back->final.epoch, ==, best);
      /* The model file says which epoch it holds. */
      g_autofree char *model_path = sf_run_get_model_path (run);
      g_autoptr (SfCheckpoint) checkpoint = sf_checkpoint_load (model_path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (checkpoint->epoch, ==, best);
      g_assert_cmpint (checkpoint->kept, ==, keep);
      g_assert_cmpint (checkpoint->n_history, ==, n);
      sf_test_remove_tree (root);
      sf_train_settings_clear (&shorter);
      sf_train_settings_clear (&settings);
    }
  /* Patience without a rule for the best epoch means nothing: refused. */
  SfTrainSettings bad;
  tiny_settings (&bad);
  bad.patience = 3;
  g_assert_false (sf_train_settings_validate (&bad, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
  sf_train_settings_clear (&bad);
}

/* ---- comparing ---- */

static SfRun *
crafted_run (const char *id, float lr, guint64 seed, const char *group, double eer, double accuracy)
{
  SfRun *run = g_new0 (SfRun, 1);
  run->id = g_strdup (id);
  run->name = g_strdup (id);
  run->group = g_strdup (group);
  tiny_settings (&run->settings);
  run->settings.optimizer.learning_rate = lr;
  run->settings.seed = seed;
  run->settings_json = sf_train_settings_to_json (&run->settings);
  for (int r = 0; r < SF_RUN_N_RESULTS; r++)
    run->final.values[r] = NAN;
  run->final.values[SF_RUN_RESULT_EER] = eer;
  run->final.values[SF_RUN_RESULT_ACCURACY] = accuracy;
  return run;
}

static GStrv
csv_line (const char *csv, int line)
{
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpint ((int) g_strv_length (lines), >, line);
  return g_strsplit (lines[line], ",", -1);
}

static void
test_csv_columns (void)
{
  SfRun *runs[3] = {
    crafted_run ("a", 1e-3f, 0, "g1", 0.1, 0.9),
    crafted_run ("b", 3e-3f, 0, "g2", 0.2, 0.8),
    crafted_run ("c", 1e-3f, 1, "g1", 0.3, 0.7),
  };
  g_auto (GStrv) differing = sf_runs_differing_settings (runs, 3);
  g_assert_cmpuint (g_strv_length (differing), ==, 2);
  g_assert_cmpstr (differing[0], ==, "learning_rate");
  g_assert_cmpstr (differing[1], ==, "seed");

  g_autofree char *csv = sf_runs_to_csv (runs, 3);
  g_auto (GStrv) header = csv_line (csv, 0);
  const char *expected[] = { "id", "name", "group", "status", "dataset", "learning_rate", "seed", "epochs",
                             "best_epoch", "threshold", "accuracy", "eer", "auc", "tar_far_1", "rank1", "seconds" };
  g_assert_cmpuint (g_strv_length (header), ==, G_N_ELEMENTS (expected));
  for (guint k = 0; k < G_N_ELEMENTS (expected); k++)
    g_assert_cmpstr (header[k], ==, expected[k]);
  g_auto (GStrv) second = csv_line (csv, 2);
  g_assert_cmpstr (second[0], ==, "b");
  g_assert_cmpstr (second[5], ==, "0.003");
  g_assert_cmpstr (second[6], ==, "0");
  g_assert_cmpstr (second[11], ==, "0.2");
  g_assert_cmpstr (second[12], ==, "");

  /* A name with a comma stays one field. */
  g_free (runs[0]->name);
  runs[0]->name = g_strdup ("x, y");
  g_autofree char *quoted = sf_runs_to_csv (runs, 1);
  g_assert_nonnull (strstr (quoted, "\na,\"x, y\",g1,"));

  /* A fine-tuning run's start and frozen layers, written only when set,
   * are columns though the first run has none. */
  runs[2]->settings.init_name = g_strdup ("base.safetensors");
  runs[2]->settings.freeze = 3;
  g_free (runs[2]->settings_json);
  runs[2]->settings_json = sf_train_settings_to_json (&runs[2]->settings);
  g_auto (GStrv) tuned = sf_runs_differing_settings (runs, 3);
  g_autofree char *joined = g_strjoinv (",", tuned);
  g_assert_cmpstr (joined, ==, "learning_rate,seed,init,init_fingerprint,init_epochs,freeze");
  for (int k = 0; k < 3; k++)
    sf_run_free (runs[k]);
}

static void
test_group_summary (void)
{
  SfRun *runs[5] = {
    crafted_run ("a", 1e-3f, 0, "g1", 0.10, 0.90),
    crafted_run ("b", 3e-3f, 0, "g2", 0.05, 0.95),
    crafted_run ("c", 1e-3f, 1, "g1", 0.20, 0.80),
    crafted_run ("d", 3e-3f, 1, "g2", 0.07, 0.93),
    crafted_run ("e", 3e-3f, 2, "g2", 0.99, 0.01),
  };
  runs[4]->status = SF_RUN_FAILED;
  g_autoptr (GPtrArray) by_eer = sf_runs_summarize (runs, 5, SF_RUN_RESULT_EER);
  g_assert_cmpuint (by_eer->len, ==, 2);
  SfRunGroupSummary *best = by_eer->pdata[0];
  g_assert_cmpstr (best->group, ==, "g2");
  g_assert_cmpint (best->n_runs, ==, 2);
  g_assert_cmpfloat_with_epsilon (best->mean[SF_RUN_RESULT_EER], 0.06, 1e-12);
  g_assert_cmpfloat_with_epsilon (best->sd[SF_RUN_RESULT_EER], sqrt (0.0002), 1e-12);
  SfRunGroupSummary *second = by_eer->pdata[1];
  g_assert_cmpfloat_with_epsilon (second->mean[SF_RUN_RESULT_ACCURACY], 0.85, 1e-12);
  g_assert_cmpfloat_with_epsilon (second->sd[SF_RUN_RESULT_ACCURACY], sqrt (0.005), 1e-12);
  g_assert_true (isnan (second->mean[SF_RUN_RESULT_AUC]));

  /* Higher accuracy first; lower EER first. */
  runs[1]->final.values[SF_RUN_RESULT_ACCURACY] = 0.5;
  runs[3]->final.values[SF_RUN_RESULT_ACCURACY] = 0.5;
  g_autoptr (GPtrArray) by_accuracy = sf_runs_summarize (runs, 5, SF_RUN_RESULT_ACCURACY);
  g_assert_cmpstr (((SfRunGroupSummary *) by_accuracy->pdata[0])->group, ==, "g1");

  g_autofree char *csv = sf_runs_summary_to_csv (by_eer);
  g_assert_true (g_str_has_prefix (csv, "group,runs,learning_rate,accuracy_mean,accuracy_sd,eer_mean,eer_sd,"));
  g_assert_nonnull (strstr (csv, "\ng2,2,0.003,"));
  for (int k = 0; k < 5; k++)
    sf_run_free (runs[k]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/runs/grid-expansion", test_grid_expansion);
  g_test_add_func ("/runs/sweep-refuses", test_sweep_refuses);
  g_test_add_func ("/runs/random-search", test_random_search);
  g_test_add_func ("/runs/resume", test_resume);
  g_test_add_func ("/runs/persistence", test_persistence);
  g_test_add_func ("/runs/failed-runs", test_failed_runs);
  g_test_add_func ("/runs/listed-in-order", test_listed_in_order);
  g_test_add_func ("/runs/cancelled-run", test_cancelled_run);
  g_test_add_func ("/runs/unsaveable-run", test_unsaveable_run);
  g_test_add_func ("/runs/bad-run-folders", test_bad_run_folders);
  g_test_add_func ("/runs/keep-best", test_keep_best);
  g_test_add_func ("/runs/csv-columns", test_csv_columns);
  g_test_add_func ("/runs/group-summary", test_group_summary);
  return g_test_run ();
}
