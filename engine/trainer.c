/* The training loop: batches of pairs through the model, the optimizer step,
 * validation after every epoch, and the pause/resume/cancel handshake with
 * whoever started it. */
#include "trainer.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "parallel.h"
#include "spec.h"

struct _SfTrainer {
  const SfDataset *dataset;   /* borrowed */
  SfTrainSettings settings;
  SfModel *model;
  SfPairSet *pairs;
  SfOptimizer *optimizer;
  SfRng rng;
  GArray *history;            /* SfEpochRecord */

  /* Batch workspace: [batch, H, W] each. */
  float *images_a;
  float *images_b;
  float *targets;
  float *scores;
  int *labels_a;
  int *labels_b;
  int *order;

  GThread *thread;
  SfTrainCallback callback;
  gpointer callback_data;
  GError *thread_error;
  gboolean thread_ok;

  GMutex lock;
  GCond wake;
  GCond state_changed;        /* running or stopped changed */
  gboolean paused;            /* under lock */
  gboolean cancelled;         /* under lock */
  gboolean running;           /* under lock: a run is under way or its thread about to start */
  gboolean stopped;           /* under lock: the run is blocked by a pause */
};

static const char *preset_names[] = { "article", "compact" };

gboolean
sf_preset_parse (const char *name, SfPreset *preset)
{
  for (guint k = 0; k < G_N_ELEMENTS (preset_names); k++)
    if (g_ascii_strcasecmp (name, preset_names[k]) == 0)
      {
        *preset = (SfPreset) k;
        return TRUE;
      }
  return FALSE;
}

const char *
sf_preset_name (SfPreset preset)
{
  return (guint) preset < G_N_ELEMENTS (preset_names) ? preset_names[preset] : "unknown";
}

void
sf_train_settings_clear (SfTrainSettings *settings)
{
  g_clear_pointer (&settings->spec, g_free);
}

void
sf_train_settings_copy (SfTrainSettings *dst, const SfTrainSettings *src)
{
  *dst = *src;
  dst->spec = g_strdup (src->spec);
}

void
sf_train_settings_init_preset (SfTrainSettings *settings, SfPreset preset)
{
  sf_train_settings_clear (settings);
  memset (settings, 0, sizeof *settings);
  sf_optimizer_settings_init_adam (&settings->optimizer);
  settings->head = SF_HEAD_BCE;
  settings->margin = 1.0f;
  settings->seed = 0;
  if (preset == SF_PRESET_ARTICLE)
    {
      /* The article: Keras defaults, Adam 1e-3, batch 64, 100 epochs, pairs split. */
      settings->spec = g_strdup (SF_SPEC_ARTICLE);
      settings->epochs = 100;
      settings->batch_size = 64;
      settings->split = SF_SPLIT_PAIRS;
      settings->split_share = sf_split_default_share (SF_SPLIT_PAIRS);
    }
  else
    {
      settings->spec = g_strdup (SF_SPEC_COMPACT);
      /* Every value here won a measurement on ORL (rank-1 of unseen people
       * and the people split's EER); the numbers: docs/PERFORMANCE.md, "Why
       * the compact preset is what it is". */
      settings->head = SF_HEAD_CONTRASTIVE;
      settings->margin = 2.0f;
      settings->all_pairs = TRUE;
      settings->temperature = SF_SOFTMAX_TEMPERATURE;
      settings->epochs = 40;
      settings->batch_size = 64;
      /* The honest one-shot test: validation people are never seen in training. */
      settings->split = SF_SPLIT_PEOPLE;
      settings->split_share = sf_split_default_share (SF_SPLIT_PEOPLE);
      settings->optimizer.schedule = SF_SCHEDULE_COSINE;
      settings->optimizer.learning_rate = 3e-3f;
      settings->optimizer.weight_decay = 1e-4f;
      sf_augment_settings_init_default (&settings->augment);
      settings->new_pairs_each_epoch = TRUE;
    }
}

gboolean
sf_train_settings_validate (const SfTrainSettings *s, GError **error)
{
  const char *problem = NULL;
  if (s->spec == NULL || *s->spec == '\0')
    problem = "no tower spec";
  else if (s->epochs < 1 || s->epochs > 100000)
    problem = "epochs must be 1 to 100000";
  else if (s->batch_size < 1 || s->batch_size > 4096)
    problem = "batch size must be 1 to 4096";
  else if (s->head == SF_HEAD_CONTRASTIVE && !(s->margin > 0 && s->margin < 1000))
    problem = "the contrastive margin must be positive";
  else if (!(s->temperature >= 0 && isfinite (s->temperature)))
    problem = "the softmax temperature must be 0 (contrastive) or positive";
  else if (s->split_share >= 1)
    problem = "the held-out share must be below 1";
  else if (s->new_pairs_each_epoch && s->split == SF_SPLIT_PAIRS)
    problem = "new pairs each epoch would leak validation pairs into training with the pairs split: use the images or people split";
  if (problem != NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "training settings: %s", problem);
      return FALSE;
    }
  return sf_optimizer_settings_validate (&s->optimizer, error);
}

char *
sf_train_settings_to_json (const SfTrainSettings *s)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *augment = sf_augment_settings_to_string (&s->augment);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "spec");
  json_builder_add_string_value (b, s->spec);
  json_builder_set_member_name (b, "head");
  json_builder_add_string_value (b, sf_head_kind_name (s->head));
  json_builder_set_member_name (b, "margin");
  json_builder_add_double_value (b, s->margin);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, s->epochs);
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, s->batch_size);
  json_builder_set_member_name (b, "optimizer");
  json_builder_add_string_value (b, sf_optimizer_kind_name (s->optimizer.kind));
  json_builder_set_member_name (b, "learning_rate");
  json_builder_add_double_value (b, s->optimizer.learning_rate);
  json_builder_set_member_name (b, "beta1");
  json_builder_add_double_value (b, s->optimizer.beta1);
  json_builder_set_member_name (b, "beta2");
  json_builder_add_double_value (b, s->optimizer.beta2);
  json_builder_set_member_name (b, "epsilon");
  json_builder_add_double_value (b, s->optimizer.epsilon);
  json_builder_set_member_name (b, "weight_decay");
  json_builder_add_double_value (b, s->optimizer.weight_decay);
  json_builder_set_member_name (b, "schedule");
  json_builder_add_string_value (b, sf_schedule_kind_name (s->optimizer.schedule));
  json_builder_set_member_name (b, "step_epochs");
  json_builder_add_int_value (b, s->optimizer.step_epochs);
  json_builder_set_member_name (b, "step_gamma");
  json_builder_add_double_value (b, s->optimizer.step_gamma);
  json_builder_set_member_name (b, "augment");
  json_builder_add_string_value (b, augment);
  json_builder_set_member_name (b, "split");
  json_builder_add_string_value (b, sf_split_kind_name (s->split));
  json_builder_set_member_name (b, "split_share");
  json_builder_add_double_value (b, s->split_share > 0 ? s->split_share : sf_split_default_share (s->split));
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) s->seed);
  json_builder_set_member_name (b, "new_pairs_each_epoch");
  json_builder_add_boolean_value (b, s->new_pairs_each_epoch);
  json_builder_set_member_name (b, "all_pairs");
  json_builder_add_boolean_value (b, s->all_pairs);
  json_builder_set_member_name (b, "temperature");
  json_builder_add_double_value (b, s->temperature);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

gboolean
sf_train_settings_from_json (SfTrainSettings *s, const char *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  GError *local = NULL;
  if (!json_parser_load_from_data (parser, json, -1, &local))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "training settings: %s", local->message);
      g_error_free (local);
      return FALSE;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "training settings: not a JSON object");
      return FALSE;
    }
  JsonObject *o = json_node_get_object (root);
  SfTrainSettings result = { 0 };
  sf_train_settings_init_preset (&result, SF_PRESET_ARTICLE);
  g_free (result.spec);
  result.spec = g_strdup (json_object_get_string_member_with_default (o, "spec", ""));
  const char *name = json_object_get_string_member_with_default (o, "head", "bce");
  gboolean ok = sf_head_kind_parse (name, &result.head);
  result.margin = (float) json_object_get_double_member_with_default (o, "margin", 1.0);
  result.epochs = (int) json_object_get_int_member_with_default (o, "epochs", 100);
  result.batch_size = (int) json_object_get_int_member_with_default (o, "batch_size", 64);
  name = json_object_get_string_member_with_default (o, "optimizer", "adam");
  ok = ok && sf_optimizer_kind_parse (name, &result.optimizer.kind);
  result.optimizer.learning_rate = (float) json_object_get_double_member_with_default (o, "learning_rate", 1e-3);
  result.optimizer.beta1 = (float) json_object_get_double_member_with_default (o, "beta1", 0.9);
  result.optimizer.beta2 = (float) json_object_get_double_member_with_default (o, "beta2", 0.999);
  result.optimizer.epsilon = (float) json_object_get_double_member_with_default (o, "epsilon", 1e-7);
  result.optimizer.weight_decay = (float) json_object_get_double_member_with_default (o, "weight_decay", 0);
  name = json_object_get_string_member_with_default (o, "schedule", "constant");
  ok = ok && sf_schedule_kind_parse (name, &result.optimizer.schedule);
  result.optimizer.step_epochs = (int) json_object_get_int_member_with_default (o, "step_epochs", 10);
  result.optimizer.step_gamma = (float) json_object_get_double_member_with_default (o, "step_gamma", 0.5);
  name = json_object_get_string_member_with_default (o, "split", "pairs");
  ok = ok && sf_split_kind_parse (name, &result.split);
  result.split_share = json_object_get_double_member_with_default (o, "split_share", 0);
  result.seed = (guint64) json_object_get_int_member_with_default (o, "seed", 0);
  result.new_pairs_each_epoch = json_object_get_boolean_member_with_default (o, "new_pairs_each_epoch", FALSE);
  result.all_pairs = json_object_get_boolean_member_with_default (o, "all_pairs", FALSE);
  result.temperature = (float) json_object_get_double_member_with_default (o, "temperature", 0);
  GError *augment_error = NULL;
  ok = ok && sf_augment_settings_parse (json_object_get_string_member_with_default (o, "augment", "none"),
                                        &result.augment, &augment_error);
  g_clear_error (&augment_error);
  if (!ok)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, "training settings: an unknown head, optimizer, schedule, split or augmentation name");
      sf_train_settings_clear (&result);
      return FALSE;
    }
  sf_train_settings_clear (s);
  *s = result;
  return TRUE;
}

/* ---- The trainer ---- */

SfTrainer *
sf_trainer_new (const SfDataset *dataset, const SfTrainSettings *settings, GError **error)
{
  if (!sf_train_settings_validate (settings, error))
    return NULL;
  if (dataset->height != dataset->width)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "training needs square images, not %d×%d",
                   dataset->width, dataset->height);
      return NULL;
    }

  g_autoptr (SfPairSet) pairs = sf_pairs_generate (dataset, settings->split, settings->split_share,
                                                   settings->seed, error);
  if (pairs == NULL)
    return NULL;
  if (pairs->n_train < 1)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_EMPTY, "no training pairs");
      return NULL;
    }
  SfModel *model = sf_model_new (settings->spec, settings->head, settings->margin, dataset->height,
                                 settings->seed, error);
  if (model == NULL)
    return NULL;
  SfOptimizer *optimizer = sf_optimizer_new (&settings->optimizer, sf_model_n_params (model), error);
  if (optimizer == NULL)
    {
      sf_model_free (model);
      return NULL;
    }

  SfTrainer *trainer = g_new0 (SfTrainer, 1);
  trainer->dataset = dataset;
  sf_train_settings_copy (&trainer->settings, settings);
  trainer->model = model;
  trainer->pairs = g_steal_pointer (&pairs);
  trainer->optimizer = optimizer;
  trainer->history = g_array_new (FALSE, TRUE, sizeof (SfEpochRecord));
  /* A stream of its own, apart from the one that drew the pairs and the weights. */
  sf_rng_seed (&trainer->rng, settings->seed ^ G_GUINT64_CONSTANT (0x5f3759df5f3759df));
  gsize image_size = (gsize) dataset->height * dataset->width;
  gsize batch = (gsize) settings->batch_size;
  trainer->images_a = g_new (float, batch * image_size);
  trainer->images_b = g_new (float, batch * image_size);
  trainer->targets = g_new (float, batch);
  trainer->labels_a = g_new (int, batch);
  trainer->labels_b = g_new (int, batch);
  trainer->scores = g_new (float, batch);
  trainer->order = g_new (int, MAX (trainer->pairs->n_train, 1));
  g_mutex_init (&trainer->lock);
  g_cond_init (&trainer->wake);
  g_cond_init (&trainer->state_changed);
  return trainer;
}

void
sf_trainer_free (SfTrainer *trainer)
{
  if (trainer == NULL)
    return;
  if (trainer->thread != NULL)
    {
      sf_trainer_cancel (trainer);
      sf_trainer_join (trainer, NULL);
    }
  sf_train_settings_clear (&trainer->settings);
  sf_model_free (trainer->model);
  sf_pair_set_free (trainer->pairs);
  sf_optimizer_free (trainer->optimizer);
  g_array_unref (trainer->history);
  g_free (trainer->images_a);
  g_free (trainer->images_b);
  g_free (trainer->targets);
  g_free (trainer->labels_a);
  g_free (trainer->labels_b);
  g_free (trainer->scores);
  g_free (trainer->order);
  g_clear_error (&trainer->thread_error);
  g_mutex_clear (&trainer->lock);
  g_cond_clear (&trainer->wake);
  g_cond_clear (&trainer->state_changed);
  g_free (trainer);
}

SfModel *
sf_trainer_get_model (SfTrainer *trainer)
{
  return trainer->model;
}

const SfPairSet *
sf_trainer_get_pairs (SfTrainer *trainer)
{
  return trainer->pairs;
}

const SfTrainSettings *
sf_trainer_get_settings (SfTrainer *trainer)
{
  return &trainer->settings;
}

const SfDataset *
sf_trainer_get_dataset (SfTrainer *trainer)
{
  return trainer->dataset;
}

const SfEpochRecord *
sf_trainer_get_history (SfTrainer *trainer, int *n_epochs)
{
  *n_epochs = (int) trainer->history->len;
  return (const SfEpochRecord *) (gpointer) trainer->history->data;
}

void
sf_trainer_pause (SfTrainer *trainer)
{
  g_mutex_lock (&trainer->lock);
  trainer->paused = TRUE;
  g_mutex_unlock (&trainer->lock);
}

void
sf_trainer_resume (SfTrainer *trainer)
{
  g_mutex_lock (&trainer->lock);
  trainer->paused = FALSE;
  g_cond_broadcast (&trainer->wake);
  g_mutex_unlock (&trainer->lock);
}

void
sf_trainer_cancel (SfTrainer *trainer)
{
  g_mutex_lock (&trainer->lock);
  trainer->cancelled = TRUE;
  g_cond_broadcast (&trainer->wake);
  g_mutex_unlock (&trainer->lock);
}

gboolean
sf_trainer_is_paused (SfTrainer *trainer)
{
  g_mutex_lock (&trainer->lock);
  gboolean paused = trainer->paused;
  g_mutex_unlock (&trainer->lock);
  return paused;
}

/* Blocks while paused; TRUE when the run should stop. */
static gboolean
wait_while_paused (SfTrainer *trainer)
{
  g_mutex_lock (&trainer->lock);
  while (trainer->paused && !trainer->cancelled)
    {
      trainer->stopped = TRUE;
      g_cond_broadcast (&trainer->state_changed);
      g_cond_wait (&trainer->wake, &trainer->lock);
    }
  trainer->stopped = FALSE;
  gboolean cancelled = trainer->cancelled;
  g_mutex_unlock (&trainer->lock);
  return cancelled;
}

static void
set_running (SfTrainer *trainer, gboolean running)
{
  g_mutex_lock (&trainer->lock);
  trainer->running = running;
  g_cond_broadcast (&trainer->state_changed);
  g_mutex_unlock (&trainer->lock);
}

gboolean
sf_trainer_wait_paused (SfTrainer *trainer, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_mutex_lock (&trainer->lock);
  while (!trainer->stopped && trainer->running)
    if (!g_cond_wait_until (&trainer->state_changed, &trainer->lock, end))
      break;
  gboolean stopped = trainer->stopped;
  g_mutex_unlock (&trainer->lock);
  return stopped;
}

static void
emit (SfTrainer *trainer, SfTrainEvent *event)
{
  if (trainer->callback != NULL)
    trainer->callback (event, trainer->callback_data);
}

typedef struct {
  SfTrainer *trainer;
  const SfPair *pairs;
  const int *indices;
  guint64 seed;
} AugmentJob;

/* Augments both images of pair `task`, from a stream of its own so that the
 * result does not depend on which thread runs it. */
static void
augment_task (gpointer data, int task, int worker)
{
  AugmentJob *job = data;
  SfTrainer *trainer = job->trainer;
  const SfDataset *dataset = trainer->dataset;
  gsize image_size = (gsize) dataset->height * dataset->width;
  const SfPair *pair = &job->pairs[job->indices != NULL ? job->indices[task] : task];
  SfRng rng;
  sf_rng_seed (&rng, job->seed ^ ((guint64) (task + 1) * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)));
  sf_augment_image (&trainer->settings.augment, &rng, sf_dataset_image (dataset, pair->a),
                    trainer->images_a + task * image_size, dataset->height, dataset->width);
  sf_augment_image (&trainer->settings.augment, &rng, sf_dataset_image (dataset, pair->b),
                    trainer->images_b + task * image_size, dataset->height, dataset->width);
}

/* Copies the images of pairs[0..n) into the batch buffers, augmented when asked. */
static void
fill_batch (SfTrainer *trainer, const SfPair *pairs, const int *indices, int n, gboolean augment)
{
  const SfDataset *dataset = trainer->dataset;
  gsize image_size = (gsize) dataset->height * dataset->width;
  if (augment)
    {
      AugmentJob job = { trainer, pairs, indices, sf_rng_next (&trainer->rng) };
      sf_parallel_for (n, augment_task, &job);
    }
  for (int k = 0; k < n; k++)
    {
      const SfPair *pair = &pairs[indices != NULL ? indices[k] : k];
      float *a = trainer->images_a + k * image_size;
      float *b = trainer->images_b + k * image_size;
      if (!augment)
        {
          memcpy (a, sf_dataset_image (dataset, pair->a), image_size * sizeof (float));
          memcpy (b, sf_dataset_image (dataset, pair->b), image_size * sizeof (float));
        }
      trainer->targets[k] = pair->same;
      trainer->labels_a[k] = dataset->labels[pair->a];
      trainer->labels_b[k] = dataset->labels[pair->b];
    }
}

static int
count_right (const float *scores, const float *targets, int n)
{
  int right = 0;
  for (int k = 0; k < n; k++)
    right += (scores[k] >= 0.5f) == (targets[k] > 0.5f);
  return right;
}

/* Mean loss and accuracy of the validation pairs in evaluation mode. */
static gboolean
validate (SfTrainer *trainer, double *loss, double *accuracy, GError **error)
{
  const SfPairSet *pairs = trainer->pairs;
  if (pairs->n_validation == 0)
    {
      *loss = *accuracy = NAN;
      return TRUE;
    }
  double loss_sum = 0;
  int right = 0;
  for (int start = 0; start < pairs->n_validation; start += trainer->settings.batch_size)
    {
      int n = MIN (trainer->settings.batch_size, pairs->n_validation - start);
      fill_batch (trainer, pairs->validation + start, NULL, n, FALSE);
      double batch_loss = 0;
      if (!sf_model_evaluate_batch (trainer->model, trainer->images_a, trainer->images_b, trainer->targets, n,
                                    trainer->scores, &batch_loss, error))
        return FALSE;
      loss_sum += batch_loss * n;
      right += count_right (trainer->scores, trainer->targets, n);
    }
  *loss = loss_sum / pairs->n_validation;
  *accuracy = (double) right / pairs->n_validation;
  return TRUE;
}

/* Draws a new set of training pairs for epoch `epoch` (validation unchanged). */
static gboolean
redraw_training_pairs (SfTrainer *trainer, int epoch, GError **error)
{
  SfPairSet *fresh = sf_pairs_generate (trainer->dataset, trainer->settings.split, trainer->settings.split_share,
                                        trainer->settings.seed + (guint64) epoch * 1000003u, error);
  if (fresh == NULL)
    return FALSE;
  /* Same split (it depends on the seed only through the held-out draw, which
   * must not move): keep the new training pairs only if the parts agree. */
  if (fresh->n_images != trainer->pairs->n_images
      || memcmp (fresh->held_out, trainer->pairs->held_out, sizeof (gboolean) * fresh->n_images) != 0
      || fresh->n_train != trainer->pairs->n_train)
    {
      sf_pair_set_free (fresh);
      return TRUE;
    }
  memcpy (trainer->pairs->train, fresh->train, sizeof (SfPair) * fresh->n_train);
  sf_pair_set_free (fresh);
  return TRUE;
}

static gboolean
run_epochs (SfTrainer *trainer, SfTrainCallback callback, gpointer user_data, GError **error)
{
  trainer->callback = callback;
  trainer->callback_data = user_data;
  const SfTrainSettings *s = &trainer->settings;
  SfPairSet *pairs = trainer->pairs;
  int n_batches = (pairs->n_train + s->batch_size - 1) / s->batch_size;
  int first_epoch = (int) trainer->history->len;
  gboolean augment = sf_augment_enabled (&s->augment);
  gint64 run_start = g_get_monotonic_time ();

  SfTrainEvent started = { .kind = SF_TRAIN_EVENT_STARTED, .epoch = first_epoch + 1, .n_epochs = s->epochs,
                           .n_batches = n_batches };
  emit (trainer, &started);

  for (int epoch = first_epoch; epoch < s->epochs; epoch++)
    {
      gint64 epoch_start = g_get_monotonic_time ();
      if (s->new_pairs_each_epoch && epoch > 0 && !redraw_training_pairs (trainer, epoch, error))
        goto failed;
      for (int k = 0; k < pairs->n_train; k++)
        trainer->order[k] = k;
      sf_rng_shuffle (&trainer->rng, trainer->order, pairs->n_train);
      float rate = sf_optimizer_rate_at (&s->optimizer, epoch, s->epochs);
      double loss_sum = 0;
      int right = 0, seen = 0;

      for (int batch = 0; batch < n_batches; batch++)
        {
          if (wait_while_paused (trainer))
            {
              SfTrainEvent cancelled = { .kind = SF_TRAIN_EVENT_CANCELLED, .epoch = epoch + 1,
                                         .n_epochs = s->epochs, .batch = batch, .n_batches = n_batches,
                                         .elapsed_seconds = (g_get_monotonic_time () - run_start) / 1e6 };
              emit (trainer, &cancelled);
              return TRUE;
            }
          int start = batch * s->batch_size;
          int n = MIN (s->batch_size, pairs->n_train - start);
          fill_batch (trainer, pairs->train, trainer->order + start, n, augment);
          double batch_loss = 0;
          gboolean trained =
            s->all_pairs ? sf_model_train_batch_all_pairs (trainer->model, trainer->images_a, trainer->images_b,
                                                           trainer->targets, trainer->labels_a, trainer->labels_b, n,
                                                           s->temperature, &trainer->rng, trainer->scores,
                                                           &batch_loss, error)
                         : sf_model_train_batch (trainer->model, trainer->images_a, trainer->images_b,
                                                 trainer->targets, n, &trainer->rng, trainer->scores, &batch_loss,
                                                 error);
          if (!trained)
            goto failed;
          if (!isfinite (batch_loss))
            {
              g_set_error (error, SF_ERROR, SF_ERROR_NUMERIC,
                           "the loss became %s in epoch %d, batch %d: lower the learning rate or use batch normalisation",
                           isnan (batch_loss) ? "NaN" : "infinite", epoch + 1, batch + 1);
              goto failed;
            }
          sf_optimizer_step (trainer->optimizer, sf_model_params (trainer->model), sf_model_grads (trainer->model),
                             sf_model_trainable (trainer->model), rate);
          loss_sum += batch_loss * n;
          right += count_right (trainer->scores, trainer->targets, n);
          seen += n;
          SfTrainEvent progress = {
            .kind = SF_TRAIN_EVENT_BATCH, .epoch = epoch + 1, .n_epochs = s->epochs,
            .batch = batch + 1, .n_batches = n_batches, .batch_loss = batch_loss,
            .epoch_loss = loss_sum / seen, .epoch_accuracy = (double) right / seen,
            .elapsed_seconds = (g_get_monotonic_time () - run_start) / 1e6,
          };
          emit (trainer, &progress);
        }

      SfEpochRecord record = { .epoch = epoch + 1, .loss = loss_sum / seen, .accuracy = (double) right / seen,
                               .learning_rate = rate };
      if (!validate (trainer, &record.validation_loss, &record.validation_accuracy, error))
        goto failed;
      if (!isfinite (record.validation_loss) && pairs->n_validation > 0)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_NUMERIC, "the validation loss became NaN in epoch %d", epoch + 1);
          goto failed;
        }
      record.seconds = (g_get_monotonic_time () - epoch_start) / 1e6;
      record.pairs_per_second = record.seconds > 0 ? (pairs->n_train + pairs->n_validation) / record.seconds : 0;
      g_array_append_val (trainer->history, record);
      SfTrainEvent done = { .kind = SF_TRAIN_EVENT_EPOCH, .epoch = epoch + 1, .n_epochs = s->epochs,
                            .batch = n_batches, .n_batches = n_batches, .epoch_loss = record.loss,
                            .epoch_accuracy = record.accuracy, .record = record,
                            .elapsed_seconds = (g_get_monotonic_time () - run_start) / 1e6 };
      emit (trainer, &done);
    }

  SfTrainEvent finished = { .kind = SF_TRAIN_EVENT_FINISHED, .epoch = s->epochs, .n_epochs = s->epochs,
                            .elapsed_seconds = (g_get_monotonic_time () - run_start) / 1e6 };
  emit (trainer, &finished);
  return TRUE;

failed:
  {
    SfTrainEvent failure = { .kind = SF_TRAIN_EVENT_FAILED, .n_epochs = s->epochs,
                             .message = (error != NULL && *error != NULL) ? (*error)->message : "training failed" };
    emit (trainer, &failure);
    return FALSE;
  }
}

gboolean
sf_trainer_run (SfTrainer *trainer, SfTrainCallback callback, gpointer user_data, GError **error)
{
  set_running (trainer, TRUE);
  gboolean ok = run_epochs (trainer, callback, user_data, error);
  set_running (trainer, FALSE);
  return ok;
}

static gpointer
worker_thread (gpointer data)
{
  SfTrainer *trainer = data;
  trainer->thread_ok = sf_trainer_run (trainer, trainer->callback, trainer->callback_data, &trainer->thread_error);
  return NULL;
}

gboolean
sf_trainer_start (SfTrainer *trainer, SfTrainCallback callback, gpointer user_data, GError **error)
{
  g_return_val_if_fail (trainer->thread == NULL, FALSE);
  trainer->callback = callback;
  trainer->callback_data = user_data;
  g_mutex_lock (&trainer->lock);
  trainer->cancelled = FALSE;
  trainer->running = TRUE;   /* so sf_trainer_wait_paused waits for the thread to get going */
  g_mutex_unlock (&trainer->lock);
  trainer->thread = g_thread_try_new ("sf-trainer", worker_thread, trainer, error);
  if (trainer->thread == NULL)
    set_running (trainer, FALSE);
  return trainer->thread != NULL;
}

gboolean
sf_trainer_join (SfTrainer *trainer, GError **error)
{
  if (trainer->thread == NULL)
    return TRUE;
  g_thread_join (trainer->thread);
  trainer->thread = NULL;
  if (!trainer->thread_ok)
    {
      if (trainer->thread_error != NULL)
        g_propagate_error (error, g_steal_pointer (&trainer->thread_error));
      return FALSE;
    }
  return TRUE;
}
