/* The trainer: same seed same history, cancel and pause within a batch (waited
 * on, never slept on), NaN stops it, settings JSON (wrong types included),
 * the pair losses and the identity losses, fine-tuning (--init, --freeze). */
#include <float.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "error.h"
#include "gallery.h"
#include "sf-test-files.h"
#include "trainer.h"
#include "transfer.h"

#define SMALL_SPEC "conv4k3-bn-relu pool2 conv8k3-bn-relu gap dense8"

static SfDataset *
small_dataset (void)
{
  GError *error = NULL;
  SfDataset *dataset = sf_demo_faces_generate (16, 0, &error);
  g_assert_no_error (error);
  return dataset;
}

static void
small_settings (SfTrainSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  sf_train_settings_init_preset (settings, SF_PRESET_COMPACT);
  g_free (settings->spec);
  settings->spec = g_strdup (SMALL_SPEC);
  settings->epochs = 3;
  settings->batch_size = 32;
  settings->seed = 11;
}

typedef struct {
  int batches;
  int epochs;
  int finished;
  int cancelled;
  int failed;
  int cancel_after;
  int pause_after;
  SfTrainer *trainer;
  GMutex lock;
  GCond changed;
} Counts;

static void
count_cb (const SfTrainEvent *event, gpointer data)
{
  Counts *c = data;
  g_mutex_lock (&c->lock);
  switch (event->kind)
    {
    case SF_TRAIN_EVENT_BATCH:
      c->batches++;
      if (c->cancel_after > 0 && c->batches == c->cancel_after)
        sf_trainer_cancel (c->trainer);
      if (c->pause_after > 0 && c->batches == c->pause_after)
        sf_trainer_pause (c->trainer);
      break;
    case SF_TRAIN_EVENT_EPOCH:
      c->epochs++;
      break;
    case SF_TRAIN_EVENT_FINISHED:
      c->finished++;
      break;
    case SF_TRAIN_EVENT_CANCELLED:
      c->cancelled++;
      break;
    case SF_TRAIN_EVENT_FAILED:
      c->failed++;
      break;
    default:
      break;
    }
  g_cond_broadcast (&c->changed);
  g_mutex_unlock (&c->lock);
}

static void
test_same_seed_same_history (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  SfTrainSettings settings;
  small_settings (&settings);
  GError *error = NULL;
  g_autoptr (SfTrainer) a = sf_trainer_new (dataset, &settings, &error);
  g_assert_no_error (error);
  g_autoptr (SfTrainer) b = sf_trainer_new (dataset, &settings, &error);
  Counts counts = { 0 };
  g_mutex_init (&counts.lock);
  g_cond_init (&counts.changed);
  g_assert_true (sf_trainer_run (a, count_cb, &counts, &error));
  g_assert_true (sf_trainer_run (b, NULL, NULL, &error));
  g_assert_cmpint (counts.epochs, ==, 3);
  g_assert_cmpint (counts.finished, ==, 1);
  int na, nb;
  const SfEpochRecord *ha = sf_trainer_get_history (a, &na);
  const SfEpochRecord *hb = sf_trainer_get_history (b, &nb);
  g_assert_cmpint (na, ==, 3);
  g_assert_cmpint (nb, ==, 3);
  for (int e = 0; e < 3; e++)
    {
      g_assert_cmpfloat (ha[e].loss, ==, hb[e].loss);
      g_assert_cmpfloat (ha[e].validation_accuracy, ==, hb[e].validation_accuracy);
      g_assert_true (isfinite (ha[e].validation_loss));
    }
  g_assert_cmpmem (sf_model_params (sf_trainer_get_model (a)), sf_model_n_params (sf_trainer_get_model (a)) * 4,
                   sf_model_params (sf_trainer_get_model (b)), sf_model_n_params (sf_trainer_get_model (b)) * 4);

  /* Another seed, another run. */
  settings.seed = 12;
  g_autoptr (SfTrainer) c = sf_trainer_new (dataset, &settings, &error);
  g_assert_true (sf_trainer_run (c, NULL, NULL, &error));
  int nc;
  const SfEpochRecord *hc = sf_trainer_get_history (c, &nc);
  g_assert_cmpfloat (hc[0].loss, !=, ha[0].loss);
  sf_train_settings_clear (&settings);
  g_mutex_clear (&counts.lock);
  g_cond_clear (&counts.changed);
}

static void
test_cancel_within_a_batch (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  SfTrainSettings settings;
  small_settings (&settings);
  settings.epochs = 50;
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  Counts counts = { .cancel_after = 3, .trainer = trainer };
  g_mutex_init (&counts.lock);
  g_cond_init (&counts.changed);
  g_assert_true (sf_trainer_start (trainer, count_cb, &counts, &error));
  g_assert_true (sf_trainer_join (trainer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (counts.batches, ==, 3);
  g_assert_cmpint (counts.cancelled, ==, 1);
  g_assert_cmpint (counts.finished, ==, 0);
  sf_train_settings_clear (&settings);
  g_mutex_clear (&counts.lock);
  g_cond_clear (&counts.changed);
}

static int
read_batches (Counts *c)
{
  g_mutex_lock (&c->lock);
  int n = c->batches;
  g_mutex_unlock (&c->lock);
  return n;
}

/* A minute: only a failsafe against a hang, never the expected path. */
#define FAILSAFE_MS 60000

static void
wait_for_batches (Counts *c, int n)
{
  gint64 end = g_get_monotonic_time () + FAILSAFE_MS * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&c->lock);
  while (c->batches < n)
    if (!g_cond_wait_until (&c->changed, &c->lock, end))
      break;
  int seen = c->batches;
  g_mutex_unlock (&c->lock);
  g_assert_cmpint (seen, >=, n);
}

static void
test_pause_and_resume (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  SfTrainSettings settings;
  small_settings (&settings);
  settings.epochs = 2;
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  Counts counts = { .trainer = trainer };
  g_mutex_init (&counts.lock);
  g_cond_init (&counts.changed);

  /* Paused before the first batch: the run stops before it. */
  sf_trainer_pause (trainer);
  g_assert_true (sf_trainer_is_paused (trainer));
  g_assert_true (sf_trainer_start (trainer, count_cb, &counts, &error));
  g_assert_true (sf_trainer_wait_paused (trainer, FAILSAFE_MS));
  g_assert_cmpint (read_batches (&counts), ==, 0);

  /* Paused from another thread: at most the batch under way completes. */
  sf_trainer_resume (trainer);
  wait_for_batches (&counts, 2);
  sf_trainer_pause (trainer);
  int seen = read_batches (&counts);
  g_assert_true (sf_trainer_wait_paused (trainer, FAILSAFE_MS));
  int frozen = read_batches (&counts);
  g_assert_cmpint (frozen, <=, seen + 1);

  /* Paused during a batch's report: not one batch more. */
  g_mutex_lock (&counts.lock);
  counts.pause_after = frozen + 2;
  g_mutex_unlock (&counts.lock);
  sf_trainer_resume (trainer);
  wait_for_batches (&counts, frozen + 2);
  g_assert_true (sf_trainer_wait_paused (trainer, FAILSAFE_MS));
  g_assert_cmpint (read_batches (&counts), ==, frozen + 2);

  sf_trainer_resume (trainer);
  g_assert_true (sf_trainer_join (trainer, &error));
  g_assert_false (sf_trainer_wait_paused (trainer, FAILSAFE_MS));
  g_assert_cmpint (counts.finished, ==, 1);
  g_assert_cmpint (counts.epochs, ==, 2);
  sf_train_settings_clear (&settings);
  g_mutex_clear (&counts.lock);
  g_cond_clear (&counts.changed);
}

static void
test_nan_stops_training (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  SfTrainSettings settings;
  small_settings (&settings);
  settings.head = SF_HEAD_BCE;
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  /* A diverged weight: the head's bias turns every score into NaN. */
  SfModel *model = sf_trainer_get_model (trainer);
  const SfTensorInfo *bias = sf_model_find_tensor (model, "head.bias");
  g_assert_nonnull (bias);
  sf_model_params (model)[bias->offset] = NAN;
  Counts counts = { 0 };
  g_mutex_init (&counts.lock);
  g_cond_init (&counts.changed);
  g_assert_false (sf_trainer_run (trainer, count_cb, &counts, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_NUMERIC);
  g_assert_nonnull (strstr (error->message, "NaN"));
  g_assert_cmpint (counts.failed, ==, 1);
  g_clear_error (&error);
  sf_train_settings_clear (&settings);
  g_mutex_clear (&counts.lock);
  g_cond_clear (&counts.changed);
}

static void
test_settings_json_and_validation (void)
{
  SfTrainSettings settings = { 0 }, back = { 0 };
  sf_train_settings_init_preset (&settings, SF_PRESET_ARTICLE);
  g_assert_cmpstr (settings.spec, ==, SF_SPEC_ARTICLE);
  g_assert_cmpint (settings.epochs, ==, 100);
  g_assert_cmpint (settings.batch_size, ==, 64);
  g_assert_cmpfloat (settings.optimizer.epsilon, ==, 1e-7f);
  g_autofree char *json = sf_train_settings_to_json (&settings);
  GError *error = NULL;
  g_assert_true (sf_train_settings_from_json (&back, json, &error));
  g_assert_cmpstr (back.spec, ==, settings.spec);
  g_assert_cmpint (back.epochs, ==, 100);
  g_assert_cmpint (back.split, ==, SF_SPLIT_PAIRS);
  g_assert_cmpfloat_with_epsilon (back.optimizer.learning_rate, 1e-3, 1e-9);
  g_assert_false (sf_train_settings_from_json (&back, "{\"head\": \"magic\"}", &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
  g_clear_error (&error);

  settings.batch_size = 0;
  g_assert_false (sf_train_settings_validate (&settings, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
  settings.batch_size = 64;
  settings.new_pairs_each_epoch = TRUE;
  g_assert_false (sf_train_settings_validate (&settings, &error));
  g_clear_error (&error);

  g_autoptr (SfDataset) dataset = small_dataset ();
  SfTrainSettings bad;
  small_settings (&bad);
  g_free (bad.spec);
  bad.spec = g_strdup ("conv4k3 frobnicate");
  g_assert_null (sf_trainer_new (dataset, &bad, &error));
  g_assert_nonnull (strstr (error->message, "frobnicate"));
  g_clear_error (&error);
  sf_train_settings_clear (&bad);
  sf_train_settings_clear (&settings);
  sf_train_settings_clear (&back);
}

/* The compact preset's all-pairs loss trains and its flag survives JSON (the
 * threshold a trained model keeps: test-evaluation). */
static void
test_all_pairs (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  SfTrainSettings settings, back = { 0 };
  small_settings (&settings);
  g_assert_true (settings.all_pairs);
  g_autofree char *json = sf_train_settings_to_json (&settings);
  GError *error = NULL;
  g_assert_true (sf_train_settings_from_json (&back, json, &error));
  g_assert_true (back.all_pairs);
  SfTrainSettings article = { 0 };
  sf_train_settings_init_preset (&article, SF_PRESET_ARTICLE);
  g_assert_false (article.all_pairs);

  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
  g_assert_no_error (error);
  int n_epochs = 0;
  const SfEpochRecord *history = sf_trainer_get_history (trainer, &n_epochs);
  g_assert_cmpint (n_epochs, ==, settings.epochs);
  g_assert_true (isfinite (history[n_epochs - 1].loss));

  sf_train_settings_clear (&settings);
  sf_train_settings_clear (&back);
  sf_train_settings_clear (&article);
}

static double
first_epoch_loss (const SfDataset *dataset, const char *spec, float temperature)
{
  SfTrainSettings settings;
  small_settings (&settings);
  g_free (settings.spec);
  settings.spec = g_strdup (spec);
  settings.epochs = 1;
  settings.temperature = temperature;
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
  g_assert_no_error (error);
  int n_epochs = 0;
  const SfEpochRecord *history = sf_trainer_get_history (trainer, &n_epochs);
  g_assert_cmpint (n_epochs, ==, 1);
  sf_train_settings_clear (&settings);
  return history[0].loss;
}

/* The compact preset's softmax pair loss: its temperature survives JSON, it
 * trains a tower ending with l2norm, other towers keep the contrastive loss,
 * and a negative temperature is refused. */
static void
test_softmax_pair_loss (void)
{
  SfTrainSettings compact = { 0 }, article = { 0 }, back = { 0 };
  sf_train_settings_init_preset (&compact, SF_PRESET_COMPACT);
  sf_train_settings_init_preset (&article, SF_PRESET_ARTICLE);
  g_assert_cmpfloat (compact.temperature, ==, SF_SOFTMAX_TEMPERATURE);
  g_assert_true (g_str_has_suffix (compact.spec, " l2norm"));
  g_assert_cmpfloat (article.temperature, ==, 0);
  g_autofree char *json = sf_train_settings_to_json (&compact);
  GError *error = NULL;
  g_assert_true (sf_train_settings_from_json (&back, json, &error));
  g_assert_cmpfloat (back.temperature, ==, SF_SOFTMAX_TEMPERATURE);
  compact.temperature = -1;
  g_assert_false (sf_train_settings_validate (&compact, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);

  g_autoptr (SfDataset) dataset = small_dataset ();
  double softmax = first_epoch_loss (dataset, SMALL_SPEC " l2norm", 0.2f);
  double contrastive = first_epoch_loss (dataset, SMALL_SPEC " l2norm", 0);
  g_assert_true (isfinite (softmax) && softmax > 0);
  g_assert_cmpfloat (softmax, !=, contrastive);
  g_assert_cmpfloat (first_epoch_loss (dataset, SMALL_SPEC, 0.2f), ==, first_epoch_loss (dataset, SMALL_SPEC, 0));
  sf_train_settings_clear (&compact);
  sf_train_settings_clear (&article);
  sf_train_settings_clear (&back);
}

static double
final_loss (SfTrainer *trainer, double *first)
{
  int n_epochs = 0;
  const SfEpochRecord *history = sf_trainer_get_history (trainer, &n_epochs);
  g_assert_cmpint (n_epochs, >, 0);
  if (first != NULL)
    *first = history[0].loss;
  return history[n_epochs - 1].loss;
}

/* ArcFace and CosFace: the held-out people are never classes, training
 * lowers the loss and repeats for a seed, the settings survive JSON, and a
 * tower without l2norm or the bce head is refused, saying why. */
static void
test_identity_loss (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  SfTrainSettings settings, back = { 0 };
  small_settings (&settings);
  g_free (settings.spec);
  settings.spec = g_strdup (SMALL_SPEC " l2norm");
  settings.identity_loss = SF_IDENTITY_LOSS_ARCFACE;
  settings.identity_scale = 16;
  settings.identity_margin = 0.3f;
  settings.epochs = 6;
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  g_assert_no_error (error);

  const int *class_of_person = NULL;
  int n_classes = sf_trainer_get_identity_classes (trainer, &class_of_person);
  const SfPairSet *pairs = sf_trainer_get_pairs (trainer);
  g_assert_cmpint (settings.split, ==, SF_SPLIT_PEOPLE);
  g_assert_cmpint (n_classes, >=, 2);
  g_assert_cmpint (n_classes, <, dataset->n_people);
  gboolean *seen = g_new0 (gboolean, n_classes);
  for (int p = 0; p < dataset->n_people; p++)
    {
      gboolean trains = FALSE;
      for (int i = 0; i < dataset->n_images; i++)
        trains = trains || (dataset->labels[i] == p && !pairs->held_out[i]);
      g_assert_cmpint (class_of_person[p] >= 0, ==, trains);
      if (class_of_person[p] >= 0)
        {
          g_assert_cmpint (class_of_person[p], <, n_classes);
          g_assert_false (seen[class_of_person[p]]);
          seen[class_of_person[p]] = TRUE;
        }
    }
  g_free (seen);

  g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
  g_assert_no_error (error);
  double first = 0, last = final_loss (trainer, &first);
  g_assert_true (isfinite (last));
  g_assert_cmpfloat (last, <, 0.8 * first);
  g_autoptr (SfTrainer) again = sf_trainer_new (dataset, &settings, &error);
  g_assert_true (sf_trainer_run (again, NULL, NULL, &error));
  g_assert_cmpfloat (final_loss (again, NULL), ==, last);

  g_autofree char *json = sf_train_settings_to_json (&settings);
  g_assert_true (sf_train_settings_from_json (&back, json, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back.identity_loss, ==, SF_IDENTITY_LOSS_ARCFACE);
  g_assert_cmpfloat (back.identity_scale, ==, 16);
  g_assert_cmpfloat (back.identity_margin, ==, 0.3f);
  /* Older files have no identity loss: the pair loss, as before. */
  g_assert_true (sf_train_settings_from_json (&back, "{\"spec\": \"gap dense4\"}", &error));
  g_assert_cmpint (back.identity_loss, ==, SF_IDENTITY_LOSS_NONE);
  g_assert_true (sf_train_settings_from_json (&back, "{\"identity_loss\": \"cosface\"}", &error));
  g_assert_cmpfloat (back.identity_scale, ==, sf_identity_loss_default_scale (SF_IDENTITY_LOSS_COSFACE));
  g_assert_cmpfloat (back.identity_margin, ==, 0.35f);

  /* The identity loss and the augmentation strengths are kept in a model file. */
  GError *aug_error = NULL;
  g_assert_true (sf_augment_settings_parse ("flip,crop=0.3,gamma,erase=0.25", &settings.augment, &aug_error));
  g_assert_no_error (aug_error);
  g_autofree char *dir = sf_test_make_tmp_dir ("sf-trainer-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "arcface.safetensors", NULL);
  g_assert_true (sf_checkpoint_save (path, sf_trainer_get_model (trainer), &settings, NULL, 0, 0.5f, NULL, NULL,
                                     &error));
  g_assert_no_error (error);
  g_autoptr (SfCheckpoint) saved = sf_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saved->settings.identity_loss, ==, SF_IDENTITY_LOSS_ARCFACE);
  g_assert_cmpfloat (saved->settings.identity_scale, ==, 16);
  g_assert_cmpfloat (saved->settings.identity_margin, ==, 0.3f);
  g_assert_cmpmem (&saved->settings.augment, sizeof (SfAugmentSettings), &settings.augment,
                   sizeof (SfAugmentSettings));
  sf_test_remove_tree (dir);

  /* CosFace trains too, with other numbers. */
  settings.identity_loss = SF_IDENTITY_LOSS_COSFACE;
  settings.epochs = 1;
  g_autoptr (SfTrainer) cosface = sf_trainer_new (dataset, &settings, &error);
  g_assert_true (sf_trainer_run (cosface, NULL, NULL, &error));
  double cos_loss = final_loss (cosface, NULL);
  g_assert_true (isfinite (cos_loss) && cos_loss > 0 && cos_loss != first);

  /* With the softmax pair loss added, another loss; its weight is kept,
   * and refused without an identity loss or with the drawn pairs only. */
  settings.pair_weight = 0.5f;
  g_autoptr (SfTrainer) mixed = sf_trainer_new (dataset, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (sf_trainer_run (mixed, NULL, NULL, &error));
  double mixed_loss = final_loss (mixed, NULL);
  g_assert_true (isfinite (mixed_loss) && mixed_loss > cos_loss);
  g_autofree char *mixed_json = sf_train_settings_to_json (&settings);
  g_assert_true (sf_train_settings_from_json (&back, mixed_json, &error));
  g_assert_cmpfloat (back.pair_weight, ==, 0.5f);
  settings.all_pairs = FALSE;
  g_assert_false (sf_train_settings_validate (&settings, &error));
  g_assert_nonnull (strstr (error->message, "all pairs"));
  g_clear_error (&error);
  settings.all_pairs = TRUE;
  settings.identity_loss = SF_IDENTITY_LOSS_NONE;
  g_assert_false (sf_train_settings_validate (&settings, &error));
  g_clear_error (&error);
  settings.identity_loss = SF_IDENTITY_LOSS_COSFACE;
  settings.pair_weight = 0;

  /* Embeddings off the unit sphere; a head with weights of its own. */
  g_free (settings.spec);
  settings.spec = g_strdup (SMALL_SPEC);
  g_assert_null (sf_trainer_new (dataset, &settings, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "l2norm"));
  g_clear_error (&error);
  settings.head = SF_HEAD_BCE;
  g_assert_false (sf_train_settings_validate (&settings, &error));
  g_assert_nonnull (strstr (error->message, "contrastive head"));
  g_clear_error (&error);
  settings.head = SF_HEAD_CONTRASTIVE;
  settings.identity_scale = 0;
  g_assert_false (sf_train_settings_validate (&settings, &error));
  g_clear_error (&error);

  sf_train_settings_clear (&settings);
  sf_train_settings_clear (&back);
}

/* Settings from a file someone sent: every field of the wrong type is an
 * error naming the field, nesting deeper than the flat settings need one
 * saying so; never a crash or a CRITICAL (the tests run with fatal
 * criticals). */
static void
test_settings_json_types (void)
{
  static const struct {
    const char *json;
    const char *named;   /* in the message */
  } cases[] = {
    { "{\"augment\": 1}", "'augment' is an integer, expected a string" },
    { "{\"augment\": null}", "'augment' is null" },
    { "{\"augment\": \"flip,juggle\"}", "juggle" },
    { "{\"epochs\": []}", "'epochs' is an array, expected an integer" },
    { "{\"epochs\": 2.5}", "'epochs' is a number, expected an integer" },
    { "{\"epochs\": 10000000000}", "'epochs' is 10000000000" },
    { "{\"batch_size\": \"64\"}", "'batch_size' is a string" },
    { "{\"spec\": {\"conv\": 3}}", "'spec' is an object" },
    { "{\"spec\": {\"conv\": [1, [2, {\"x\": []}]]}}", "nested deeper than 2 levels" },
    { "{\"head\": true}", "'head' is a boolean" },
    { "{\"head\": \"magic\"}", "'head' is 'magic'" },
    { "{\"margin\": \"2\"}", "'margin' is a string, expected a number" },
    { "{\"optimizer\": [\"adam\"]}", "'optimizer' is an array" },
    { "{\"learning_rate\": false}", "'learning_rate' is a boolean" },
    { "{\"beta1\": {}}", "'beta1'" },
    { "{\"beta2\": null}", "'beta2'" },
    { "{\"epsilon\": []}", "'epsilon'" },
    { "{\"weight_decay\": \"0\"}", "'weight_decay'" },
    { "{\"schedule\": 3}", "'schedule'" },
    { "{\"step_epochs\": 1.5}", "'step_epochs'" },
    { "{\"step_gamma\": [0.5]}", "'step_gamma'" },
    { "{\"split\": \"halves\"}", "'split' is 'halves'" },
    { "{\"split\": \"\\u001b[2J\\n\"}", "'split' is '\\033[2J\\n'" },
    { "{\"split_share\": true}", "'split_share'" },
    { "{\"seed\": \"7\"}", "'seed'" },
    { "{\"seed\": 7.5}", "'seed'" },
    { "{\"new_pairs_each_epoch\": 1}", "'new_pairs_each_epoch' is an integer, expected a boolean" },
    { "{\"all_pairs\": \"yes\"}", "'all_pairs'" },
    { "{\"temperature\": [0.3]}", "'temperature' is an array" },
    { "{\"temperature\": 1e300}", "'temperature' is 1e+300" },
    { "{\"identity_loss\": \"sphereface\"}", "'identity_loss' is 'sphereface'" },
    { "{\"identity_loss\": 2}", "'identity_loss'" },
    { "{\"identity_scale\": \"30\"}", "'identity_scale'" },
    { "{\"identity_margin\": null}", "'identity_margin'" },
    { "{\"pair_weight\": \"1\"}", "'pair_weight' is a string" },
    { "[1, 2]", "not a JSON object" },
    { "\"compact\"", "not a JSON object" },
    { "{\"spec\": ", "training settings" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      SfTrainSettings settings = { 0 };
      sf_train_settings_init_preset (&settings, SF_PRESET_COMPACT);
      GError *error = NULL;
      g_test_message ("%s", cases[k].json);
      g_assert_false (sf_train_settings_from_json (&settings, cases[k].json, &error));
      g_assert_error (error, SF_ERROR, SF_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, cases[k].named));
      g_assert_true (g_str_has_prefix (error->message, "training settings: "));
      /* What was there stays. */
      g_assert_cmpstr (settings.spec, ==, SF_SPEC_COMPACT);
      g_clear_error (&error);
      sf_train_settings_clear (&settings);
    }
  /* 100,000 brackets, which would overflow json-glib's recursive parser:
   * refused before it sees them. */
  GString *deep = g_string_new ("{\"spec\": ");
  for (int k = 0; k < 100000; k++)
    g_string_append_c (deep, '[');
  SfTrainSettings nested = { 0 };
  GError *nested_error = NULL;
  g_assert_false (sf_train_settings_from_json (&nested, deep->str, &nested_error));
  g_assert_error (nested_error, SF_ERROR, SF_ERROR_FORMAT);
  g_assert_nonnull (strstr (nested_error->message, "nested deeper"));
  g_clear_error (&nested_error);
  g_string_free (deep, TRUE);

  /* Integers are numbers where a number is expected. */
  SfTrainSettings settings = { 0 };
  GError *error = NULL;
  g_assert_true (sf_train_settings_from_json (&settings, "{\"margin\": 2, \"learning_rate\": 1}", &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (settings.margin, ==, 2);
  sf_train_settings_clear (&settings);
}

/* Settings compared after a trip through JSON: every field, the split's
 * share as the writer states it (its default when <= 0), a number that is
 * not finite (in a field the settings do not use) as some finite default,
 * the augmentation by its text (light is one switch for brightness and
 * contrast). */
static void
assert_same_settings (const SfTrainSettings *a, const SfTrainSettings *b)
{
#define SAME_FLOAT(x, y) g_assert_true (isfinite (x) ? (x) == (y) : isfinite (y))
  g_assert_cmpstr (a->spec, ==, b->spec);
  g_assert_cmpint (a->head, ==, b->head);
  SAME_FLOAT (a->margin, b->margin);
  g_assert_cmpint (a->epochs, ==, b->epochs);
  g_assert_cmpint (a->batch_size, ==, b->batch_size);
  g_assert_cmpint (a->optimizer.kind, ==, b->optimizer.kind);
  g_assert_cmpfloat (a->optimizer.learning_rate, ==, b->optimizer.learning_rate);
  g_assert_cmpfloat (a->optimizer.beta1, ==, b->optimizer.beta1);
  g_assert_cmpfloat (a->optimizer.beta2, ==, b->optimizer.beta2);
  g_assert_cmpfloat (a->optimizer.epsilon, ==, b->optimizer.epsilon);
  g_assert_cmpfloat (a->optimizer.weight_decay, ==, b->optimizer.weight_decay);
  g_assert_cmpint (a->optimizer.schedule, ==, b->optimizer.schedule);
  g_assert_cmpint (a->optimizer.step_epochs, ==, b->optimizer.step_epochs);
  SAME_FLOAT (a->optimizer.step_gamma, b->optimizer.step_gamma);
  g_autofree char *augment_a = sf_augment_settings_to_string (&a->augment);
  g_autofree char *augment_b = sf_augment_settings_to_string (&b->augment);
  g_assert_cmpstr (augment_a, ==, augment_b);
  g_assert_cmpint (a->split, ==, b->split);
  g_assert_cmpfloat (a->split_share > 0 ? a->split_share : sf_split_default_share (a->split), ==, b->split_share);
  g_assert_cmpuint (a->seed, ==, b->seed);
  g_assert_cmpint (a->new_pairs_each_epoch, ==, b->new_pairs_each_epoch);
  g_assert_cmpint (a->all_pairs, ==, b->all_pairs);
  g_assert_cmpfloat (a->temperature, ==, b->temperature);
  g_assert_cmpint (a->identity_loss, ==, b->identity_loss);
  SAME_FLOAT (a->identity_scale, b->identity_scale);
  SAME_FLOAT (a->identity_margin, b->identity_margin);
  g_assert_cmpfloat (a->pair_weight, ==, b->pair_weight);
  g_assert_cmpint (a->keep_best, ==, b->keep_best);
  g_assert_cmpint (a->patience, ==, b->patience);
#undef SAME_FLOAT
}

/* Whatever valid settings the writer is given, its own reader accepts the
 * JSON and gives the same settings back: both presets under every head,
 * optimizer, schedule, split, identity loss, rule for the epoch to keep and
 * switch, with odd values in fields a combination does not use (NaN and
 * infinities, negative or large counts), odd augmentations, seeds and specs
 * (quotes, backslashes, control characters, text that is not UTF-8). A
 * saved model's settings that its reader refused would make it unreadable. */
static void
test_settings_json_round_trip (void)
{
  static const char *const specs[] = {
    NULL,   /* the preset's */
    "a \"quoted\" \\ spec\twith\nlines\r and \x01\x1b[2J\x7f controls",
    "conv4k3 gap dense4 \xc3\xa9 \xe2\x80\xae \xf0\x9f\x98\x80",
    "not UTF-8: caf\xe9 \xff\xfe \xed\xa0\x80",
    "{\"spec\": [[[[1]]]]} // /* */ 'single'",
  };
  static const char *const augments[] = { "none", "all", "flip", "light", "shift=0.5,rotate=180,scale=0.5",
                                          "crop=0.5,gamma=3,erase=1", "flip,crop=1e-07,erase=0.123456789" };
  static const float odd_floats[] = { 0.0f, NAN, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX, 1e-45f, 0.1f };
  static const int odd_ints[] = { 0, -3, 1, 100000, 200000, G_MAXINT, G_MININT };
  static const int patiences[] = { 0, 1, 100000, 200000, G_MAXINT };
  static const guint64 seeds[] = { 0, 1, G_MAXINT64, (guint64) G_MAXINT64 + 1, G_MAXUINT64 };
  int written = 0, k = 0;
  for (int preset = SF_PRESET_ARTICLE; preset <= SF_PRESET_COMPACT; preset++)
    for (int head = SF_HEAD_BCE; head <= SF_HEAD_CONTRASTIVE; head++)
      for (int optimizer = SF_OPTIMIZER_ADAM; optimizer <= SF_OPTIMIZER_SGD; optimizer++)
        for (int schedule = SF_SCHEDULE_CONSTANT; schedule <= SF_SCHEDULE_COSINE; schedule++)
          for (int split = SF_SPLIT_PAIRS; split <= SF_SPLIT_PEOPLE; split++)
            for (int identity = SF_IDENTITY_LOSS_NONE; identity <= SF_IDENTITY_LOSS_COSFACE; identity++)
              for (int keep = SF_KEEP_LAST; keep <= SF_KEEP_BEST_EER; keep++)
                for (int flags = 0; flags < 4; flags++, k++)
                  {
                    SfTrainSettings s = { 0 };
                    sf_train_settings_init_preset (&s, (SfPreset) preset);
                    if (specs[k % G_N_ELEMENTS (specs)] != NULL)
                      {
                        g_free (s.spec);
                        s.spec = g_strdup (specs[k % G_N_ELEMENTS (specs)]);
                      }
                    s.head = (SfHeadKind) head;
                    s.optimizer.kind = (SfOptimizerKind) optimizer;
                    s.optimizer.schedule = (SfScheduleKind) schedule;
                    s.split = (SfSplitKind) split;
                    s.identity_loss = (SfIdentityLoss) identity;
                    s.keep_best = (SfKeepBest) keep;
                    s.new_pairs_each_epoch = (flags & 1) != 0;
                    s.all_pairs = (flags & 2) != 0;
                    g_assert_true (sf_augment_settings_parse (augments[k % G_N_ELEMENTS (augments)], &s.augment,
                                                              NULL));
                    if (k % 11 == 0)
                      {
                        /* The largest strengths as floats: written "scale=0.9", read as the same float. */
                        s.augment.scale = 0.9f;
                        s.augment.crop = 0.9f;
                      }
                    s.seed = seeds[k % G_N_ELEMENTS (seeds)];
                    s.split_share = (k % 3 == 0) ? 0 : (k % 3 == 1) ? 0.123456789 : NAN;
                    s.patience = keep == SF_KEEP_LAST ? 0 : patiences[k % G_N_ELEMENTS (patiences)];
                    /* Fields this combination does not use take odd values. */
                    s.optimizer.step_epochs = schedule == SF_SCHEDULE_STEP ? MAX (odd_ints[k % 7], 1)
                                                                          : odd_ints[k % 7];
                    s.optimizer.step_gamma = schedule == SF_SCHEDULE_STEP ? 0.3f : odd_floats[k % 8];
                    if (head == SF_HEAD_BCE)
                      s.margin = odd_floats[(k / 2) % 8];
                    if (identity == SF_IDENTITY_LOSS_NONE)
                      {
                        s.identity_scale = odd_floats[(k / 5) % 8];
                        s.identity_margin = odd_floats[(k / 7) % 8];
                      }
                    else
                      {
                        s.identity_scale = 1000;
                        s.identity_margin = 2.99f;
                        s.pair_weight = s.all_pairs ? 0.25f : 0;
                      }
                    if (!sf_train_settings_validate (&s, NULL))
                      {
                        sf_train_settings_clear (&s);
                        continue;
                      }
                    written++;
                    g_autofree char *json = sf_train_settings_to_json (&s);
                    SfTrainSettings back = { 0 };
                    GError *error = NULL;
                    if (!sf_train_settings_from_json (&back, json, &error))
                      g_error ("settings %d: %s\nin %s", k, error->message, json);
                    if (g_utf8_validate (s.spec, -1, NULL))
                      assert_same_settings (&s, &back);
                    else
                      {
                        /* Read back as written: the bytes that are not UTF-8 become U+FFFD. */
                        g_autofree char *shown = g_utf8_make_valid (s.spec, -1);
                        g_assert_cmpstr (back.spec, ==, shown);
                      }
                    g_assert_true (sf_train_settings_validate (&back, NULL));
                    sf_train_settings_clear (&back);
                    sf_train_settings_clear (&s);
                  }
  /* Most combinations are valid ones. */
  g_test_message ("%d valid settings of %d written and read back", written, k);
  g_assert_cmpint (written, >, k / 4);
}

/* ---- Fine-tuning: --init and --freeze ---- */

/* A model trained for two epochs, so its batch-norm running statistics are
 * no longer the initial 0 and 1 a bug could silently restore. */
static SfModel *
pretrained_model (const SfDataset *dataset, const char *spec)
{
  SfTrainSettings settings;
  small_settings (&settings);
  g_free (settings.spec);
  settings.spec = g_strdup (spec);
  settings.epochs = 2;
  settings.seed = 5;
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
  g_assert_no_error (error);
  sf_train_settings_clear (&settings);
  return sf_model_copy (sf_trainer_get_model (trainer));
}

static gboolean
tensor_equal (SfModel *a, SfModel *b, const SfTensorInfo *t)
{
  const SfTensorInfo *u = sf_model_find_tensor (b, t->name);
  g_assert_nonnull (u);
  return memcmp (sf_model_params (a) + t->offset, sf_model_params (b) + u->offset, sizeof (float) * t->size) == 0;
}

/* Frozen layers keep every tensor bit for bit (weights, biases and batch
 * norm's running statistics); every tensor of the other layers moves. */
static void
test_freeze_keeps_tensors (void)
{
  /* Layers: 1 conv4k3-bn-relu, 2 pool2, 3 drop0.5, 4 conv8k3-bn-relu, 5 gap, 6 dense8. The dropout
   * between frozen and trained layers must still drop in training, and the frozen ones not. */
  const char *spec = "conv4k3-bn-relu pool2 drop0.5 conv8k3-bn-relu gap dense8";
  g_autoptr (SfDataset) dataset = small_dataset ();
  g_autoptr (SfModel) init = pretrained_model (dataset, spec);
  for (int freeze = 1; freeze <= 4; freeze += 3)
    {
      SfTrainSettings settings;
      small_settings (&settings);
      g_free (settings.spec);
      settings.spec = g_strdup (spec);
      settings.epochs = 2;
      settings.freeze = freeze;
      settings.init_name = g_strdup ("init.safetensors");
      GError *error = NULL;
      g_autoptr (SfTrainer) trainer = sf_trainer_new_from (dataset, &settings, init, &error);
      g_assert_no_error (error);
      SfModel *model = sf_trainer_get_model (trainer);
      g_assert_cmpint (sf_model_get_frozen_layers (model), ==, freeze);
      g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
      g_assert_no_error (error);
      const SfTower *tower = sf_model_get_tower (model);
      int n_frozen = 0, n_trained = 0;
      gsize trainable = 0;
      for (int k = 0; k < sf_model_n_tensors (model); k++)
        {
          const SfTensorInfo *t = sf_model_tensor (model, k);
          gboolean frozen = t->op >= 0 && tower->ops[t->op].token < freeze;
          if (frozen)
            {
              g_assert_true (tensor_equal (model, init, t));
              /* Backpropagation never reached them: their gradients stay the zeros of the last step's start. */
              for (gsize i = 0; i < t->size; i++)
                g_assert_cmpfloat (sf_model_grads (model)[t->offset + i], ==, 0.0f);
            }
          else
            g_assert_false (tensor_equal (model, init, t));
          n_frozen += frozen;
          n_trained += !frozen;
          trainable += !frozen && t->trainable ? t->size : 0;
        }
      /* Both kinds were there to check, and the count of trainable floats says so too. */
      g_assert_cmpint (n_frozen, >=, 4);
      g_assert_cmpint (n_trained, >=, 2);
      g_assert_cmpuint (sf_model_n_trainable (model), ==, trainable);
      sf_train_settings_clear (&settings);
    }
}

/* A model file of another tower is refused, the first differing layer named. */
static void
test_init_mismatch_named (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  struct {
    const char *init_spec;
    int input_size;
    const char *expected;
  } cases[] = {
    { "conv4k3-bn-relu pool2 conv16k3-bn-relu gap dense8", 0,
      "layer 3: the model file has conv16k3-bn-relu, the spec asks for conv8k3-bn-relu" },
    { "conv4k3-bn-relu pool2 conv8k3-bn-relu gap", 0,
      "layer 5: the model file ends after 4 layers, the spec asks for dense8" },
    { "conv4k3-bn-relu pool2 conv8k3-bn-relu gap dense8 l2norm", 0,
      "layer 6: the model file has l2norm, the spec ends after 5 layers" },
    { "conv4k5-bn-relu pool2 conv8k3-bn-relu gap dense8", 0,
      "layer 1: the model file has conv4k5-bn-relu, the spec asks for conv4k3-bn-relu" },
    { SMALL_SPEC, 24, "input: the model file takes 24×24 images, the training 16×16" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      GError *error = NULL;
      int size = cases[k].input_size > 0 ? cases[k].input_size : dataset->height;
      g_autoptr (SfModel) init = sf_model_new (cases[k].init_spec, SF_HEAD_CONTRASTIVE, 2, size, 1, &error);
      g_assert_no_error (error);
      SfTrainSettings settings;
      small_settings (&settings);
      SfTrainer *trainer = sf_trainer_new_from (dataset, &settings, init, &error);
      g_assert_null (trainer);
      g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
      g_assert_cmpstr (error->message, ==, cases[k].expected);
      g_clear_error (&error);
      sf_train_settings_clear (&settings);
    }
  /* The same layers written otherwise (conv's ReLU named) are the same layers. */
  GError *error = NULL;
  g_autoptr (SfModel) same = sf_model_new ("conv4k3-bn-relu pool2 conv8k3-bn-relu gap dense8-linear",
                                           SF_HEAD_CONTRASTIVE, 2, dataset->height, 1, &error);
  g_assert_no_error (error);
  SfTrainSettings settings;
  small_settings (&settings);
  settings.freeze = 6;
  SfTrainer *trainer = sf_trainer_new_from (dataset, &settings, same, &error);
  g_assert_null (trainer);
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "cannot freeze 6 layers: the spec has 5");
  g_clear_error (&error);
  settings.freeze = 5;
  trainer = sf_trainer_new_from (dataset, &settings, same, &error);
  g_assert_no_error (error);
  sf_trainer_free (trainer);
  sf_train_settings_clear (&settings);
}

/* Before its first step a fine-tuning run is its starting model: the same
 * weights, the same scores; its settings say where it started, and a model
 * file keeps that. From scratch, nothing of an earlier start is kept. */
static void
test_init_is_epoch_zero (void)
{
  g_autoptr (SfDataset) dataset = small_dataset ();
  g_autoptr (SfModel) init = pretrained_model (dataset, SMALL_SPEC);
  SfTrainSettings settings;
  small_settings (&settings);
  settings.seed = 99;   /* other random weights than init's */
  settings.freeze = 2;
  settings.init_name = g_strdup ("init.safetensors");
  settings.init_epochs = 2;
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new_from (dataset, &settings, init, &error);
  g_assert_no_error (error);
  SfModel *model = sf_trainer_get_model (trainer);
  g_assert_cmpuint (sf_model_n_params (model), ==, sf_model_n_params (init));
  g_assert_cmpmem (sf_model_params (model), sizeof (float) * sf_model_n_params (model), sf_model_params (init),
                   sizeof (float) * sf_model_n_params (init));

  const SfPairSet *pairs = sf_trainer_get_pairs (trainer);
  int n = MIN (pairs->n_validation, 16);
  gsize size = (gsize) dataset->height * dataset->width;
  g_autofree float *a = g_new (float, n * size);
  g_autofree float *b = g_new (float, n * size);
  for (int k = 0; k < n; k++)
    {
      memcpy (a + k * size, sf_dataset_image (dataset, pairs->validation[k].a), sizeof (float) * size);
      memcpy (b + k * size, sf_dataset_image (dataset, pairs->validation[k].b), sizeof (float) * size);
    }
  g_autofree float *scores = g_new (float, n);
  g_autofree float *expected = g_new (float, n);
  g_assert_true (sf_model_evaluate_batch (model, a, b, NULL, n, scores, NULL, &error));
  g_assert_true (sf_model_evaluate_batch (init, a, b, NULL, n, expected, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (scores, sizeof (float) * n, expected, sizeof (float) * n);

  const SfTrainSettings *s = sf_trainer_get_settings (trainer);
  g_autofree char *fingerprint = sf_model_fingerprint (init);
  g_assert_cmpstr (s->init_name, ==, "init.safetensors");
  g_assert_cmpstr (s->init_fingerprint, ==, fingerprint);
  g_assert_cmpint (s->init_epochs, ==, 2);

  /* The settings JSON, and so the model file, keep the start. */
  g_autofree char *json = sf_train_settings_to_json (s);
  SfTrainSettings back = { 0 };
  g_assert_true (sf_train_settings_from_json (&back, json, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (back.init_name, ==, "init.safetensors");
  g_assert_cmpstr (back.init_fingerprint, ==, fingerprint);
  g_assert_cmpint (back.init_epochs, ==, 2);
  g_assert_cmpint (back.freeze, ==, 2);

  /* From scratch: the record names no start, nothing is frozen, and the weights are the seed's. */
  g_autoptr (SfTrainer) scratch = sf_trainer_new_from (dataset, &back, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (sf_trainer_get_settings (scratch)->init_name);
  g_assert_null (sf_trainer_get_settings (scratch)->init_fingerprint);
  g_assert_cmpint (sf_trainer_get_settings (scratch)->init_epochs, ==, 0);
  g_assert_cmpint (sf_trainer_get_settings (scratch)->freeze, ==, 0);
  g_assert_cmpint (sf_model_get_frozen_layers (sf_trainer_get_model (scratch)), ==, 0);
  g_assert_cmpuint (sf_model_n_trainable (sf_trainer_get_model (scratch)), ==, sf_model_n_trainable (init));
  g_autofree char *scratch_json = sf_train_settings_to_json (sf_trainer_get_settings (scratch));
  g_assert_null (strstr (scratch_json, "\"init"));
  g_assert_true (memcmp (sf_model_params (sf_trainer_get_model (scratch)), sf_model_params (init),
                         sizeof (float) * sf_model_n_params (init)) != 0);
  sf_train_settings_clear (&back);
  sf_train_settings_clear (&settings);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/trainer/same-seed-same-history", test_same_seed_same_history);
  g_test_add_func ("/trainer/cancel", test_cancel_within_a_batch);
  g_test_add_func ("/trainer/pause-resume", test_pause_and_resume);
  g_test_add_func ("/trainer/nan", test_nan_stops_training);
  g_test_add_func ("/trainer/settings", test_settings_json_and_validation);
  g_test_add_func ("/trainer/all-pairs", test_all_pairs);
  g_test_add_func ("/trainer/softmax-pair-loss", test_softmax_pair_loss);
  g_test_add_func ("/trainer/identity-loss", test_identity_loss);
  g_test_add_func ("/trainer/settings-json-types", test_settings_json_types);
  g_test_add_func ("/trainer/settings-json-round-trip", test_settings_json_round_trip);
  g_test_add_func ("/trainer/fine-tune/freeze-keeps-tensors", test_freeze_keeps_tensors);
  g_test_add_func ("/trainer/fine-tune/mismatch-named", test_init_mismatch_named);
  g_test_add_func ("/trainer/fine-tune/init-is-epoch-zero", test_init_is_epoch_zero);
  return g_test_run ();
}
