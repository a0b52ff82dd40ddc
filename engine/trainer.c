/* The training loop: batches of pairs through the model, the optimizer step,
 * validation after every epoch, and the pause/resume/cancel handshake with
 * whoever started it. */
#include "trainer.h"

#include <float.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "gallery.h"
#include "heads.h"
#include "json-limits.h"
#include "layers.h"
#include "metrics.h"
#include "parallel.h"
#include "spec.h"
#include "transfer.h"

struct _SfTrainer {
  const SfDataset *dataset;   /* borrowed */
  SfTrainSettings settings;
  SfModel *model;
  SfPairSet *pairs;
  SfOptimizer *optimizer;
  SfRng rng;
  GArray *history;            /* SfEpochRecord */

  /* Batch workspace: [batch, H, W] each; images_b follows images_a in one
   * block, so the identity loss can run the 2n images as one batch. */
  float *images_a;
  float *images_b;
  float *targets;
  float *scores;
  int *labels_a;
  int *labels_b;
  int *order;

  /* The identity loss (settings.identity_loss): one class per training
   * person, its direction a row of W [n_classes, D], trained with the tower
   * by an optimizer of its own and never saved with the model. */
  int n_classes;
  int *class_of_label;        /* [dataset->n_people]: the person's class, -1 when held out */
  float *class_weights;       /* W */
  float *class_grads;         /* [n_classes, D] */
  SfOptimizer *class_optimizer;
  int *classes;               /* [2 × batch] */
  float *embeddings;          /* [2 × batch, D] */
  float *pair_grads;          /* [2 × batch, D]: the all-pairs loss's part (settings.pair_weight) */

  /* settings.keep_best: the best epoch's weights so far. */
  float *best_params;
  double best_value;
  int best_epoch;
  int model_epoch;
  float *validation_scores;   /* [n_validation], for the EER */
  float *validation_truths;

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
  g_clear_pointer (&settings->init_name, g_free);
  g_clear_pointer (&settings->init_fingerprint, g_free);
}

void
sf_train_settings_copy (SfTrainSettings *dst, const SfTrainSettings *src)
{
  *dst = *src;
  dst->spec = g_strdup (src->spec);
  dst->init_name = g_strdup (src->init_name);
  dst->init_fingerprint = g_strdup (src->init_fingerprint);
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
  else if ((guint) s->identity_loss > SF_IDENTITY_LOSS_COSFACE)
    problem = "unknown identity loss";
  else if (s->identity_loss != SF_IDENTITY_LOSS_NONE && s->head != SF_HEAD_CONTRASTIVE)
    problem = "ArcFace and CosFace train the tower only: use the contrastive head, whose score is a fixed map of the distance";
  else if (s->identity_loss != SF_IDENTITY_LOSS_NONE && !(s->identity_scale > 0 && s->identity_scale <= 1000))
    problem = "the identity loss's scale must be in (0, 1000]";
  else if (s->identity_loss != SF_IDENTITY_LOSS_NONE && !(s->identity_margin >= 0 && s->identity_margin < 3))
    problem = "the identity loss's margin must be in [0, 3)";
  else if (!(s->pair_weight >= 0 && s->pair_weight <= 1000))
    problem = "the pair loss's weight must be in [0, 1000]";
  else if (s->pair_weight > 0 && (s->identity_loss == SF_IDENTITY_LOSS_NONE || !s->all_pairs))
    problem = "a weight for the pair loss goes with ArcFace or CosFace and the loss over all pairs of a batch";
  else if ((guint) s->keep_best > SF_KEEP_BEST_EER)
    problem = "unknown rule for the epoch to keep";
  else if (s->patience < 0 || (s->patience > 0 && s->keep_best == SF_KEEP_LAST))
    problem = "early stopping (patience) needs the best epoch kept, by validation loss or EER";
  else if (s->new_pairs_each_epoch && s->split == SF_SPLIT_PAIRS)
    problem = "new pairs each epoch would leak validation pairs into training with the pairs split: use the images or people split";
  else if (s->freeze < 0 || s->freeze > 100000)
    problem = "the layers to freeze must be 0 to 100000";
  else if (s->init_epochs < 0)
    problem = "the starting model's epochs must be 0 or more";
  if (problem != NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "training settings: %s", problem);
      return FALSE;
    }
  return sf_optimizer_settings_validate (&s->optimizer, error);
}

/* JSON has no NaN or infinity: a number that is not finite (in a field
 * these settings do not use, or validation would refuse it) is left out, so
 * the reader takes its default instead of refusing the whole text. */
static void
add_number (JsonBuilder *b, const char *member, double value)
{
  if (!isfinite (value))
    return;
  json_builder_set_member_name (b, member);
  json_builder_add_double_value (b, value);
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
  add_number (b, "margin", s->margin);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, s->epochs);
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, s->batch_size);
  json_builder_set_member_name (b, "optimizer");
  json_builder_add_string_value (b, sf_optimizer_kind_name (s->optimizer.kind));
  add_number (b, "learning_rate", s->optimizer.learning_rate);
  add_number (b, "beta1", s->optimizer.beta1);
  add_number (b, "beta2", s->optimizer.beta2);
  add_number (b, "epsilon", s->optimizer.epsilon);
  add_number (b, "weight_decay", s->optimizer.weight_decay);
  json_builder_set_member_name (b, "schedule");
  json_builder_add_string_value (b, sf_schedule_kind_name (s->optimizer.schedule));
  json_builder_set_member_name (b, "step_epochs");
  json_builder_add_int_value (b, s->optimizer.step_epochs);
  add_number (b, "step_gamma", s->optimizer.step_gamma);
  json_builder_set_member_name (b, "augment");
  json_builder_add_string_value (b, augment);
  json_builder_set_member_name (b, "split");
  json_builder_add_string_value (b, sf_split_kind_name (s->split));
  add_number (b, "split_share", s->split_share > 0 ? s->split_share : sf_split_default_share (s->split));
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) s->seed);
  json_builder_set_member_name (b, "new_pairs_each_epoch");
  json_builder_add_boolean_value (b, s->new_pairs_each_epoch);
  json_builder_set_member_name (b, "all_pairs");
  json_builder_add_boolean_value (b, s->all_pairs);
  add_number (b, "temperature", s->temperature);
  json_builder_set_member_name (b, "identity_loss");
  json_builder_add_string_value (b, sf_identity_loss_name (s->identity_loss));
  add_number (b, "identity_scale", s->identity_scale);
  add_number (b, "identity_margin", s->identity_margin);
  add_number (b, "pair_weight", s->pair_weight);
  json_builder_set_member_name (b, "keep_best");
  json_builder_add_string_value (b, sf_keep_best_name (s->keep_best));
  json_builder_set_member_name (b, "patience");
  json_builder_add_int_value (b, s->patience);
  if (s->init_name != NULL)
    {
      json_builder_set_member_name (b, "init");
      json_builder_add_string_value (b, s->init_name);
      json_builder_set_member_name (b, "init_fingerprint");
      json_builder_add_string_value (b, s->init_fingerprint != NULL ? s->init_fingerprint : "");
      json_builder_set_member_name (b, "init_epochs");
      json_builder_add_int_value (b, s->init_epochs);
    }
  if (s->freeze > 0)
    {
      json_builder_set_member_name (b, "freeze");
      json_builder_add_int_value (b, s->freeze);
    }
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return sf_json_to_string (root);
}

static const char *const keep_best_names[] = { "last", "loss", "eer" };

gboolean
sf_keep_best_parse (const char *name, SfKeepBest *keep)
{
  for (guint k = 0; k < G_N_ELEMENTS (keep_best_names); k++)
    if (g_strcmp0 (name, keep_best_names[k]) == 0)
      {
        *keep = (SfKeepBest) k;
        return TRUE;
      }
  return FALSE;
}

const char *
sf_keep_best_name (SfKeepBest keep)
{
  return (guint) keep < G_N_ELEMENTS (keep_best_names) ? keep_best_names[keep] : "last";
}

/* Settings come from files people send each other: json-limits.h parses
 * them within bounds and checks every member's type; a wrong one is an
 * error naming it. The settings object is flat: no nesting is needed. */
#define PART "training settings"
static const SfJsonLimits settings_limits = { .max_bytes = 1 << 20, .max_depth = 2, .max_values = 4096 };

static gboolean
get_float (JsonObject *o, const char *member, double fallback, float *value, GError **error)
{
  double v;
  if (!sf_json_get_double (o, member, fallback, -FLT_MAX, FLT_MAX, &v, NULL, PART, error))
    return FALSE;
  *value = (float) v;
  return TRUE;
}

static gboolean
get_int (JsonObject *o, const char *member, gint64 fallback, int min, int max, int *value, GError **error)
{
  gint64 v;
  if (!sf_json_get_int (o, member, fallback, min, max, &v, NULL, PART, error))
    return FALSE;
  *value = (int) v;
  return TRUE;
}

/* A member naming one of a list: parse is the kind's own parser. */
#define GET_NAME(o, member, fallback, parse, out, expected, error)                                         \
  G_STMT_START                                                                                             \
  {                                                                                                        \
    const char *name_;                                                                                     \
    if (!sf_json_get_string (o, member, fallback, &name_, NULL, PART, error))                              \
      goto failed;                                                                                         \
    if (!parse (name_, out))                                                                               \
      {                                                                                                    \
        /* Escaped: the text comes from a file, and goes to a terminal. */                                 \
        g_autofree char *shown_ = g_strescape (name_, NULL);                                               \
        g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, PART ": '%s' is '%s', expected %s", member, shown_, \
                     expected);                                                                            \
        goto failed;                                                                                       \
      }                                                                                                    \
  }                                                                                                        \
  G_STMT_END

gboolean
sf_train_settings_from_json (SfTrainSettings *s, const char *json, GError **error)
{
  g_autoptr (JsonNode) root = sf_json_parse (json, -1, &settings_limits, NULL, PART, error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, PART ": not a JSON object");
      return FALSE;
    }
  JsonObject *o = json_node_get_object (root);
  SfTrainSettings result = { 0 };
  sf_train_settings_init_preset (&result, SF_PRESET_ARTICLE);
  SfOptimizerSettings *opt = &result.optimizer;
  const char *text;
  gint64 seed;
  GError *local = NULL;
  if (!sf_json_get_string (o, "spec", "", &text, NULL, PART, error))
    goto failed;
  g_free (result.spec);
  result.spec = g_strdup (text);
  GET_NAME (o, "head", "bce", sf_head_kind_parse, &result.head, "bce or contrastive", error);
  if (!get_float (o, "margin", 1.0, &result.margin, error)
      || !get_int (o, "epochs", 100, 1, 100000, &result.epochs, error)
      || !get_int (o, "batch_size", 64, 1, 4096, &result.batch_size, error))
    goto failed;
  GET_NAME (o, "optimizer", "adam", sf_optimizer_kind_parse, &opt->kind, "adam, rmsprop or sgd", error);
  if (!get_float (o, "learning_rate", 1e-3, &opt->learning_rate, error)
      || !get_float (o, "beta1", 0.9, &opt->beta1, error)
      || !get_float (o, "beta2", 0.999, &opt->beta2, error)
      || !get_float (o, "epsilon", 1e-7, &opt->epsilon, error)
      || !get_float (o, "weight_decay", 0, &opt->weight_decay, error))
    goto failed;
  GET_NAME (o, "schedule", "constant", sf_schedule_kind_parse, &opt->schedule, "constant, step or cosine", error);
  /* The counts validation bounds only where they are used are read whole:
   * the reader accepts what the writer writes of valid settings. */
  if (!get_int (o, "step_epochs", 10, G_MININT, G_MAXINT, &opt->step_epochs, error)
      || !get_float (o, "step_gamma", 0.5, &opt->step_gamma, error))
    goto failed;
  GET_NAME (o, "split", "pairs", sf_split_kind_parse, &result.split, "pairs, images or people", error);
  if (!sf_json_get_double (o, "split_share", 0, -G_MAXDOUBLE, G_MAXDOUBLE, &result.split_share, NULL, PART, error)
      || !sf_json_get_int (o, "seed", 0, G_MININT64, G_MAXINT64, &seed, NULL, PART, error)
      || !sf_json_get_boolean (o, "new_pairs_each_epoch", FALSE, &result.new_pairs_each_epoch, NULL, PART, error)
      || !sf_json_get_boolean (o, "all_pairs", FALSE, &result.all_pairs, NULL, PART, error)
      || !get_float (o, "temperature", 0, &result.temperature, error))
    goto failed;
  result.seed = (guint64) seed;
  GET_NAME (o, "identity_loss", "pairs", sf_identity_loss_parse, &result.identity_loss, "pairs, arcface or cosface",
            error);
  if (!get_float (o, "identity_scale", sf_identity_loss_default_scale (result.identity_loss), &result.identity_scale,
                  error)
      || !get_float (o, "identity_margin", sf_identity_loss_default_margin (result.identity_loss),
                     &result.identity_margin, error)
      || !get_float (o, "pair_weight", 0, &result.pair_weight, error))
    goto failed;
  GET_NAME (o, "keep_best", "last", sf_keep_best_parse, &result.keep_best, "last, loss or eer", error);
  if (!get_int (o, "patience", 0, 0, G_MAXINT, &result.patience, error))
    goto failed;
  if (!get_int (o, "freeze", 0, 0, 100000, &result.freeze, error)
      || !get_int (o, "init_epochs", 0, 0, 100000, &result.init_epochs, error)
      || !sf_json_get_string (o, "init", "", &text, NULL, PART, error))
    goto failed;
  result.init_name = *text != '\0' ? g_strdup (text) : NULL;
  if (!sf_json_get_string (o, "init_fingerprint", "", &text, NULL, PART, error))
    goto failed;
  result.init_fingerprint = *text != '\0' ? g_strdup (text) : NULL;
  if (!sf_json_get_string (o, "augment", "none", &text, NULL, PART, error))
    goto failed;
  if (!sf_augment_settings_parse (text, &result.augment, &local))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, PART ": %s", local->message);
      g_error_free (local);
      goto failed;
    }
  sf_train_settings_clear (s);
  *s = result;
  return TRUE;

failed:
  sf_train_settings_clear (&result);
  return FALSE;
}

/* ---- The trainer ---- */

/* The classes of the identity loss: every person with an image outside the
 * held-out part (the people split's validation people are never classes),
 * their directions W drawn at random on the unit sphere. */
static gboolean
setup_identity_loss (SfTrainer *trainer, GError **error)
{
  const SfTrainSettings *s = &trainer->settings;
  const SfTower *tower = sf_model_get_tower (trainer->model);
  if (tower->ops[tower->n_ops - 1].kind != SF_OP_L2NORM)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   "%s needs embeddings on the unit sphere: end the tower spec with l2norm",
                   s->identity_loss == SF_IDENTITY_LOSS_ARCFACE ? "ArcFace" : "CosFace");
      return FALSE;
    }
  const SfDataset *dataset = trainer->dataset;
  trainer->class_of_label = g_new (int, MAX (dataset->n_people, 1));
  for (int p = 0; p < dataset->n_people; p++)
    trainer->class_of_label[p] = -1;
  for (int i = 0; i < dataset->n_images; i++)
    if (!trainer->pairs->held_out[i] && trainer->class_of_label[dataset->labels[i]] < 0)
      trainer->class_of_label[dataset->labels[i]] = trainer->n_classes++;
  if (trainer->n_classes < 2)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_EMPTY, "%s needs at least two people to train on, not %d",
                   s->identity_loss == SF_IDENTITY_LOSS_ARCFACE ? "ArcFace" : "CosFace", trainer->n_classes);
      return FALSE;
    }
  int D = sf_model_get_embedding_size (trainer->model);
  gsize size = (gsize) trainer->n_classes * D;
  trainer->class_optimizer = sf_optimizer_new (&s->optimizer, size, error);
  if (trainer->class_optimizer == NULL)
    return FALSE;
  trainer->class_weights = g_new (float, size);
  trainer->class_grads = g_new0 (float, size);
  /* A stream of its own: the pairs, weights, dropout and augmentation draw
   * what they draw with any loss. */
  SfRng rng;
  sf_rng_seed (&rng, s->seed ^ G_GUINT64_CONSTANT (0x2545f4914f6cdd1d));
  for (gsize k = 0; k < size; k++)
    trainer->class_weights[k] = (float) sf_rng_normal (&rng);
  sf_l2norm_forward (trainer->class_weights, trainer->class_weights, trainer->n_classes, D);
  trainer->classes = g_new (int, 2 * (gsize) s->batch_size);
  trainer->embeddings = g_new (float, 2 * (gsize) s->batch_size * D);
  trainer->pair_grads = g_new (float, 2 * (gsize) s->batch_size * D);
  return TRUE;
}

SfTrainer *
sf_trainer_new (const SfDataset *dataset, const SfTrainSettings *settings, GError **error)
{
  return sf_trainer_new_from (dataset, settings, NULL, error);
}

static SfTrainer *
trainer_new (const SfDataset *dataset, const SfTrainSettings *settings, GError **error)
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
  trainer->images_a = g_new (float, 2 * batch * image_size);
  trainer->images_b = trainer->images_a + batch * image_size;
  trainer->targets = g_new (float, batch);
  trainer->labels_a = g_new (int, batch);
  trainer->labels_b = g_new (int, batch);
  trainer->scores = g_new (float, batch);
  trainer->validation_scores = g_new (float, MAX (trainer->pairs->n_validation, 1));
  trainer->validation_truths = g_new (float, MAX (trainer->pairs->n_validation, 1));
  trainer->order = g_new (int, MAX (trainer->pairs->n_train, 1));
  g_mutex_init (&trainer->lock);
  g_cond_init (&trainer->wake);
  g_cond_init (&trainer->state_changed);
  if (settings->identity_loss != SF_IDENTITY_LOSS_NONE && !setup_identity_loss (trainer, error))
    {
      sf_trainer_free (trainer);
      return NULL;
    }
  return trainer;
}

SfTrainer *
sf_trainer_new_from (const SfDataset *dataset, const SfTrainSettings *settings, const SfModel *init,
                     GError **error)
{
  g_autoptr (SfTrainer) trainer = trainer_new (dataset, settings, error);
  if (trainer == NULL)
    return NULL;
  /* The record says where the weights came from, and nothing else does. */
  SfTrainSettings *s = &trainer->settings;
  g_clear_pointer (&s->init_fingerprint, g_free);
  if (init == NULL)
    {
      /* Frozen random weights would be no one's wish (settings taken from a
       * fine-tuned model, a sweep): from scratch, every layer trains. */
      g_clear_pointer (&s->init_name, g_free);
      s->init_epochs = 0;
      s->freeze = 0;
    }
  else
    {
      if (!sf_transfer_weights (trainer->model, init, error))
        return NULL;
      /* The fingerprint galleries name models by; it only reads the model. */
      s->init_fingerprint = sf_model_fingerprint ((SfModel *) init);
      if (s->init_name == NULL)
        s->init_name = g_strdup ("unnamed model");
    }
  if (!sf_model_freeze_layers (trainer->model, s->freeze, error))
    return NULL;
  return g_steal_pointer (&trainer);
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
  g_free (trainer->best_params);
  g_free (trainer->validation_scores);
  g_free (trainer->validation_truths);
  g_free (trainer->images_a);
  g_free (trainer->targets);
  g_free (trainer->labels_a);
  g_free (trainer->labels_b);
  g_free (trainer->scores);
  g_free (trainer->order);
  g_free (trainer->class_of_label);
  g_free (trainer->class_weights);
  g_free (trainer->class_grads);
  sf_optimizer_free (trainer->class_optimizer);
  g_free (trainer->classes);
  g_free (trainer->embeddings);
  g_free (trainer->pair_grads);
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

int
sf_trainer_get_identity_classes (SfTrainer *trainer, const int **class_of_person)
{
  if (class_of_person != NULL)
    *class_of_person = trainer->class_of_label;
  return trainer->n_classes;
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
      memcpy (trainer->validation_scores + start, trainer->scores, sizeof (float) * n);
      memcpy (trainer->validation_truths + start, trainer->targets, sizeof (float) * n);
    }
  *loss = loss_sum / pairs->n_validation;
  *accuracy = (double) right / pairs->n_validation;
  return TRUE;
}

/* The identity loss of images [first, first + n) of the batch, plus the
 * weighted all-pairs loss over them when settings.pair_weight asks. */
static double
identity_loss_cb (float *dembed, const float *embeddings, int first, int n, float scale, gpointer data)
{
  SfTrainer *trainer = data;
  const SfTrainSettings *s = &trainer->settings;
  int D = sf_model_get_embedding_size (trainer->model);
  const int *classes = trainer->classes + first;
  double loss = sf_identity_loss_forward_backward (dembed, trainer->class_grads, embeddings, classes,
                                                   trainer->class_weights, n, D, trainer->n_classes,
                                                   s->identity_loss, s->identity_scale, s->identity_margin, scale);
  if (s->pair_weight > 0)
    {
      /* Classes are people: the same class, the same person. */
      float *dpair = trainer->pair_grads;
      float w = s->pair_weight;
      double pairs = s->temperature > 0
                       ? sf_all_pairs_softmax (dpair, embeddings, classes, n, D, s->temperature, scale * w)
                       : sf_all_pairs_contrastive (dpair, embeddings, classes, n, D, s->margin, scale * w);
      for (gsize k = 0; k < (gsize) n * D; k++)
        dembed[k] += dpair[k];
      loss += w * pairs;
    }
  return loss;
}

/* One step of the identity loss on the 2n images of the batch's n pairs
 * (filled by fill_batch); scores[n] of the drawn pairs from the same
 * embeddings. The class directions take their step here, the tower's in the
 * caller. */
static gboolean
train_identity_batch (SfTrainer *trainer, int n, float rate, double *loss, GError **error)
{
  const SfDataset *dataset = trainer->dataset;
  gsize image_size = (gsize) dataset->height * dataset->width;
  SfModel *model = trainer->model;
  int D = sf_model_get_embedding_size (model);
  /* The b images right after the a's: [2n, H, W]. */
  if (n < trainer->settings.batch_size)
    memmove (trainer->images_a + n * image_size, trainer->images_b, sizeof (float) * n * image_size);
  for (int k = 0; k < n; k++)
    {
      trainer->classes[k] = trainer->class_of_label[trainer->labels_a[k]];
      trainer->classes[n + k] = trainer->class_of_label[trainer->labels_b[k]];
      g_assert (trainer->classes[k] >= 0 && trainer->classes[n + k] >= 0);
    }
  memset (trainer->class_grads, 0, sizeof (float) * trainer->n_classes * D);
  if (!sf_model_train_embeddings (model, trainer->images_a, 2 * n, &trainer->rng, identity_loss_cb, trainer,
                                  trainer->embeddings, loss, error))
    return FALSE;
  for (int k = 0; k < n; k++)
    trainer->scores[k] = sf_model_score_distance (
      model, sf_model_distance (model, trainer->embeddings + (gsize) k * D, trainer->embeddings + (gsize) (n + k) * D));
  sf_optimizer_step (trainer->class_optimizer, trainer->class_weights, trainer->class_grads, NULL, rate);
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

/* settings.keep_best: keeps the weights of an epoch better than every
 * earlier one; TRUE when settings.patience epochs passed without one. */
static gboolean
track_best (SfTrainer *trainer, const SfEpochRecord *record)
{
  const SfTrainSettings *s = &trainer->settings;
  if (s->keep_best == SF_KEEP_LAST || trainer->pairs->n_validation == 0)
    return FALSE;
  double value = record->validation_loss;
  SfMetrics metrics;
  if (s->keep_best == SF_KEEP_BEST_EER)
    value = sf_metrics_compute (trainer->validation_scores, trainer->validation_truths,
                                trainer->pairs->n_validation, 0.5f, &metrics, NULL)
              ? metrics.eer
              : NAN;
  if (isfinite (value) && (trainer->best_epoch == 0 || value < trainer->best_value))
    {
      gsize n = sf_model_n_params (trainer->model);
      if (trainer->best_params == NULL)
        trainer->best_params = g_new (float, n);
      memcpy (trainer->best_params, sf_model_params (trainer->model), sizeof (float) * n);
      trainer->best_value = value;
      trainer->best_epoch = record->epoch;
    }
  return s->patience > 0 && trainer->best_epoch > 0 && record->epoch - trainer->best_epoch >= s->patience;
}

/* The run is over: the model takes the best epoch's weights. */
static void
restore_best (SfTrainer *trainer)
{
  if (trainer->best_params == NULL || trainer->best_epoch == trainer->model_epoch)
    return;
  memcpy (sf_model_params (trainer->model), trainer->best_params,
          sizeof (float) * sf_model_n_params (trainer->model));
  trainer->model_epoch = trainer->best_epoch;
}

int
sf_trainer_get_model_epoch (SfTrainer *trainer)
{
  return trainer->model_epoch;
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
              restore_best (trainer);
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
            s->identity_loss != SF_IDENTITY_LOSS_NONE ? train_identity_batch (trainer, n, rate, &batch_loss, error)
            : s->all_pairs ? sf_model_train_batch_all_pairs (trainer->model, trainer->images_a, trainer->images_b,
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
      trainer->model_epoch = epoch + 1;
      gboolean patience_over = track_best (trainer, &record);
      SfTrainEvent done = { .kind = SF_TRAIN_EVENT_EPOCH, .epoch = epoch + 1, .n_epochs = s->epochs,
                            .batch = n_batches, .n_batches = n_batches, .epoch_loss = record.loss,
                            .epoch_accuracy = record.accuracy, .record = record,
                            .elapsed_seconds = (g_get_monotonic_time () - run_start) / 1e6 };
      emit (trainer, &done);
      if (patience_over)
        break;
    }

  restore_best (trainer);
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
