/* siamese-faces-cli's model commands: train, embed, similarity and bench
 * (eval lives in cli-eval.c). */
#include <glib.h>
#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "blas.h"
#include "checkpoint.h"
#include "cli-common.h"
#include "error.h"
#include "evaluation.h"
#include "gemm.h"
#include "image.h"
#include "npy.h"
#include "parallel.h"
#include "trainer.h"

/* ---- train ---- */

typedef struct {
  gboolean terminal;          /* stderr is a terminal: redraw one line */
  gboolean save_on_interrupt;
  gboolean interrupted;       /* a SIGINT or SIGTERM came */
  gboolean warned;            /* a second one was answered */
  gboolean finished;          /* the trainer's last event reached the main thread */
  SfTrainer *trainer;
  int n_epochs;
} TrainRun;

/* Queued by the trainer's last event with g_idle_add, which always queues:
 * g_main_context_invoke ran it on the trainer's thread when the main thread
 * was not waiting yet, and the wait then never ended. */
static gboolean
finished_cb (gpointer data)
{
  TrainRun *run = data;
  run->finished = TRUE;
  return G_SOURCE_REMOVE;
}

/* Dispatched only while the main thread waits for the trainer. During the
 * evaluation and the save that follow, GLib's handler stays installed and
 * holds the signal, so a second Ctrl+C cannot kill the process mid-save. */
static gboolean
interrupt_cb (gpointer data)
{
  TrainRun *run = data;
  const char *line = run->terminal ? "\n" : "";
  if (!run->interrupted)
    g_printerr ("%sStopping after this batch (Ctrl+C)…\n", line);
  else if (!run->save_on_interrupt)
    {
      /* Nothing will be saved: a second signal need not wait for the batch. */
      g_printerr ("%ssiamese-faces-cli: interrupted; nothing saved (use --save-on-interrupt)\n", line);
      _exit (130);
    }
  else if (!run->warned)
    {
      g_printerr ("%sStill stopping: what was trained is saved after this batch\n", line);
      run->warned = TRUE;
    }
  run->interrupted = TRUE;
  sf_trainer_cancel (run->trainer);
  return G_SOURCE_CONTINUE;
}

static char *
format_duration (double seconds)
{
  int s = (int) (seconds + 0.5);
  return s >= 3600 ? g_strdup_printf ("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                   : g_strdup_printf ("%d:%02d", s / 60, s % 60);
}

/* Runs on the trainer's thread: printing is all it does. */
static void
train_progress_cb (const SfTrainEvent *event, gpointer data)
{
  TrainRun *run = data;
  switch (event->kind)
    {
    case SF_TRAIN_EVENT_BATCH:
      if (run->terminal)
        {
          double done = (event->epoch - 1 + (double) event->batch / event->n_batches) / event->n_epochs;
          g_autofree char *eta = format_duration (done > 0 ? event->elapsed_seconds * (1 - done) / done : 0);
          fprintf (stderr, "\r\033[Kepoch %d/%d  batch %d/%d  loss %.4f  accuracy %.3f  ETA %s", event->epoch,
                   event->n_epochs, event->batch, event->n_batches, event->epoch_loss, event->epoch_accuracy, eta);
        }
      break;
    case SF_TRAIN_EVENT_EPOCH:
      {
        const SfEpochRecord *r = &event->record;
        fprintf (stderr, "%sepoch %d/%d  %.2fs  loss %.4f  accuracy %.4f  val_loss %.4f  val_accuracy %.4f  %.0f pairs/s\n",
                 run->terminal ? "\r\033[K" : "", r->epoch, event->n_epochs, r->seconds, r->loss, r->accuracy,
                 r->validation_loss, r->validation_accuracy, r->pairs_per_second);
        break;
      }
    case SF_TRAIN_EVENT_FINISHED:
    case SF_TRAIN_EVENT_CANCELLED:
    case SF_TRAIN_EVENT_FAILED:
      if (run->terminal)
        fprintf (stderr, "\r\033[K");
      g_idle_add (finished_cb, run);
      break;
    case SF_TRAIN_EVENT_STARTED:
    default:
      break;
    }
}

static gboolean
write_text_atomically (const char *path, const char *text, GError **error)
{
  GError *local = NULL;
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}

/* An integer option not given: 0 is a value the settings check refuses. */
#define OPTION_UNSET G_MININT

/* --precision of train, bench and sweep: the engine's matrix products and direct
 * convolutions, process-wide, set before the model is planned. Without it,
 * auto: bf16 where the CPU has AVX512_BF16 (the default preset's accuracy
 * over seeds and the article's are unchanged, docs/PERFORMANCE.md), fp32
 * elsewhere. The engine's own default, for everything else (eval, gallery,
 * export), stays fp32. FALSE, with a message, on a name it does not know. */
gboolean
cli_apply_precision (const char *command, const char *name)
{
  SfPrecision precision = SF_PRECISION_AUTO;
  if (name != NULL && !sf_gemm_precision_parse (name, &precision))
    {
      g_printerr ("siamese-faces-cli: %s: --precision %s: expected fp32, bf16 or auto\n", command, name);
      return FALSE;
    }
  sf_gemm_set_precision (precision);
  return TRUE;
}

/* Options shared by train and bench that shape the settings. */
typedef struct {
  char *preset;
  char *spec;
  char *head;
  double margin;
  int epochs;
  int batch;
  double learning_rate;
  char *optimizer;
  char *schedule;
  double weight_decay;
  char *split;
  double share;
  char *augment;
  gint64 seed;
  gboolean new_pairs;
  char *pair_loss;
  double temperature;
  char *loss;
  double loss_scale;
  double loss_margin;         /* < 0: the loss's default */
  double pair_weight;
  char *keep_best;
  int patience;
} SettingsOptions;

#define SETTINGS_OPTIONS_UNSET \
  { .seed = -1, .weight_decay = -1, .loss_margin = -1, .epochs = OPTION_UNSET, .batch = OPTION_UNSET }

static void
settings_options_clear (SettingsOptions *o)
{
  g_free (o->preset);
  g_free (o->spec);
  g_free (o->head);
  g_free (o->optimizer);
  g_free (o->schedule);
  g_free (o->split);
  g_free (o->augment);
  g_free (o->pair_loss);
  g_free (o->keep_best);
  g_free (o->loss);
}

/* Preset first, then every option given on top of it. */
static gboolean
settings_from_options (const SettingsOptions *o, SfTrainSettings *settings, GError **error)
{
  SfPreset preset = SF_PRESET_COMPACT;
  if (o->preset != NULL && !sf_preset_parse (o->preset, &preset))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "--preset %s: expected article or compact", o->preset);
      return FALSE;
    }
  sf_train_settings_init_preset (settings, preset);
  if (o->spec != NULL)
    {
      g_free (settings->spec);
      settings->spec = g_strdup (o->spec);
    }
  if (o->head != NULL && !sf_head_kind_parse (o->head, &settings->head))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "--head %s: expected bce or contrastive", o->head);
      return FALSE;
    }
  if (o->margin != 0)
    settings->margin = (float) o->margin;
  if (o->epochs != OPTION_UNSET)
    settings->epochs = o->epochs;
  if (o->batch != OPTION_UNSET)
    settings->batch_size = o->batch;
  if (o->learning_rate != 0)
    settings->optimizer.learning_rate = (float) o->learning_rate;
  if (o->optimizer != NULL && !sf_optimizer_kind_parse (o->optimizer, &settings->optimizer.kind))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "--optimizer %s: expected adam, rmsprop or sgd", o->optimizer);
      return FALSE;
    }
  if (o->optimizer != NULL && settings->optimizer.kind == SF_OPTIMIZER_RMSPROP)
    settings->optimizer.beta2 = 0.9f;  /* RMSprop's usual ρ */
  if (o->schedule != NULL && !sf_schedule_kind_parse (o->schedule, &settings->optimizer.schedule))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "--schedule %s: expected constant, step or cosine", o->schedule);
      return FALSE;
    }
  if (o->weight_decay >= 0)
    settings->optimizer.weight_decay = (float) o->weight_decay;
  if (o->split != NULL)
    {
      if (!sf_split_kind_parse (o->split, &settings->split))
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "--split %s: expected pairs, images or people", o->split);
          return FALSE;
        }
      settings->split_share = sf_split_default_share (settings->split);
      if (settings->split == SF_SPLIT_PAIRS)
        settings->new_pairs_each_epoch = FALSE;
    }
  if (o->share != 0)
    settings->split_share = o->share;
  if (o->augment != NULL && !sf_augment_settings_parse (o->augment, &settings->augment, error))
    return FALSE;
  if (o->seed >= 0)
    settings->seed = (guint64) o->seed;
  if (o->new_pairs)
    settings->new_pairs_each_epoch = TRUE;
  if (o->pair_loss != NULL)
    {
      gboolean softmax = g_strcmp0 (o->pair_loss, "softmax") == 0;
      if (g_strcmp0 (o->pair_loss, "all") != 0 && g_strcmp0 (o->pair_loss, "drawn") != 0 && !softmax)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "--pair-loss %s: expected drawn, all or softmax",
                       o->pair_loss);
          return FALSE;
        }
      settings->all_pairs = g_strcmp0 (o->pair_loss, "drawn") != 0;
      settings->temperature = softmax ? SF_SOFTMAX_TEMPERATURE : 0;
    }
  if (o->temperature != 0)
    settings->temperature = (float) o->temperature;
  if (o->loss != NULL)
    {
      if (!sf_identity_loss_parse (o->loss, &settings->identity_loss))
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "--loss %s: expected pairs, arcface or cosface", o->loss);
          return FALSE;
        }
      settings->identity_scale = sf_identity_loss_default_scale (settings->identity_loss);
      settings->identity_margin = sf_identity_loss_default_margin (settings->identity_loss);
    }
  if (o->loss_scale != 0)
    settings->identity_scale = (float) o->loss_scale;
  if (o->loss_margin >= 0)
    settings->identity_margin = (float) o->loss_margin;
  if (o->pair_weight != 0)
    settings->pair_weight = (float) o->pair_weight;
  if (o->keep_best != NULL && !sf_keep_best_parse (o->keep_best, &settings->keep_best))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "--keep-best %s: expected last, loss or eer", o->keep_best);
      return FALSE;
    }
  if (o->patience != 0)
    settings->patience = o->patience;
  return sf_train_settings_validate (settings, error);
}

#define SETTINGS_OPTION_ENTRIES(o) \
  { "preset", 0, 0, G_OPTION_ARG_STRING, &(o).preset, "article (the article's network and settings) or compact (default)", "NAME" }, \
  { "spec", 0, 0, G_OPTION_ARG_STRING, &(o).spec, "Tower spec, e.g. \"conv32k3-bn-relu pool2 gap dense128\"", "SPEC" }, \
  { "head", 0, 0, G_OPTION_ARG_STRING, &(o).head, "bce (the article) or contrastive", "HEAD" }, \
  { "margin", 0, 0, G_OPTION_ARG_DOUBLE, &(o).margin, "Contrastive margin (the compact preset: 2)", "M" }, \
  { "epochs", 0, 0, G_OPTION_ARG_INT, &(o).epochs, "Epochs", "N" }, \
  { "batch", 0, 0, G_OPTION_ARG_INT, &(o).batch, "Pairs per batch", "N" }, \
  { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &(o).learning_rate, "Learning rate", "X" }, \
  { "optimizer", 0, 0, G_OPTION_ARG_STRING, &(o).optimizer, "adam, rmsprop or sgd (with momentum 0.9)", "NAME" }, \
  { "schedule", 0, 0, G_OPTION_ARG_STRING, &(o).schedule, "Learning-rate schedule: constant, step or cosine", "NAME" }, \
  { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &(o).weight_decay, "L2 weight decay", "X" }, \
  { "split", 0, 0, G_OPTION_ARG_STRING, &(o).split, "Validation: pairs, images or people", "KIND" }, \
  { "share", 0, 0, G_OPTION_ARG_DOUBLE, &(o).share, "Share held out for validation", "X" }, \
  { "augment", 0, 0, G_OPTION_ARG_STRING, &(o).augment, "none, all (flip,shift,rotate,scale,light: the compact preset's), or a list of flip, shift, rotate, scale, light, crop, gamma, erase; shift, rotate, scale, crop, gamma and erase take a strength, e.g. crop=0.3,erase=0.25", "LIST" }, \
  { "seed", 0, 0, G_OPTION_ARG_INT64, &(o).seed, "Seed of pairs, weights, dropout and augmentation", "N" }, \
  { "new-pairs", 0, 0, G_OPTION_ARG_NONE, &(o).new_pairs, "Draw new training pairs every epoch", NULL }, \
  { "pair-loss", 0, 0, G_OPTION_ARG_STRING, &(o).pair_loss, "Loss over the drawn pairs only, the contrastive loss over all pairs of a batch's images, or the softmax loss over them (towers ending with l2norm; the compact preset)", "drawn|all|softmax" }, \
  { "temperature", 0, 0, G_OPTION_ARG_DOUBLE, &(o).temperature, "Temperature of the softmax pair loss (the compact preset: 0.3)", "T" }, \
  { "loss", 0, 0, G_OPTION_ARG_STRING, &(o).loss, "pairs (the pair loss of --pair-loss; default), or a margin softmax over the training people instead: arcface (s·cos(θ+m)) or cosface (s·(cos θ−m)); towers ending with l2norm, contrastive head", "pairs|arcface|cosface" }, \
  { "loss-scale", 0, 0, G_OPTION_ARG_DOUBLE, &(o).loss_scale, "Scale s of arcface and cosface (default 30)", "S" }, \
  { "loss-margin", 0, 0, G_OPTION_ARG_DOUBLE, &(o).loss_margin, "Margin m of arcface (radians, default 0.5) and cosface (default 0.35)", "M" }, \
  { "pair-weight", 0, 0, G_OPTION_ARG_DOUBLE, &(o).pair_weight, "With arcface or cosface: add the loss over all pairs of a batch (--pair-loss all|softmax) times W (default 0: none)", "W" }, \
  { "keep-best", 0, 0, G_OPTION_ARG_STRING, &(o).keep_best, "End with the weights of the last epoch (default) or of the best by validation loss or EER", "last|loss|eer" }, \
  { "patience", 0, 0, G_OPTION_ARG_INT, &(o).patience, "With --keep-best loss|eer: stop after N epochs without a better one", "N" }

static long
peak_resident_mib (void)
{
  struct rusage usage;
  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

/* Runs the trainer to its end, then evaluates and saves: the exit status,
 * 1 with error set on a failure. */
static int
train_and_save (TrainRun *run, const SfDataset *dataset, const SfTrainSettings *settings, const char *output,
                const char *history_path, const CliRunOptions *run_options, GError **error)
{
  SfTrainer *trainer = run->trainer;
  if (!sf_trainer_start (trainer, train_progress_cb, run, error))
    return 1;
  while (!run->finished)
    g_main_context_iteration (NULL, TRUE);
  if (!sf_trainer_join (trainer, error))
    {
      cli_record_failed_run (run_options, settings, dataset, trainer, (*error)->message);
      return 1;
    }
  int n_history = 0;
  const SfEpochRecord *history = sf_trainer_get_history (trainer, &n_history);
  if (run->interrupted && !run->save_on_interrupt)
    {
      g_printerr ("siamese-faces-cli: interrupted after %d epochs; nothing saved (use --save-on-interrupt)\n", n_history);
      return 130;
    }

  g_autoptr (SfEvaluation) evaluation = sf_evaluation_new_for_trainer (trainer, error);
  if (evaluation == NULL)
    return 1;
  float threshold = sf_evaluation_choose_threshold (evaluation, SF_THRESHOLD_EER);
  g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
  SfModel *model = sf_trainer_get_model (trainer);
  int epoch = sf_trainer_get_model_epoch (trainer);
  if (!sf_checkpoint_save_epoch (output, model, settings, history, n_history, threshold, fingerprint,
                                 dataset->source, epoch, settings->keep_best, error))
    {
      /* E.g. weights grown infinite: the run failed, and says why. */
      cli_record_failed_run (run_options, settings, dataset, trainer, (*error)->message);
      return 1;
    }
  fprintf (stderr, "Saved %s after %d epochs, threshold %.4f (peak memory %ld MiB)\n", output, n_history, threshold,
           peak_resident_mib ());
  if (epoch > 0 && epoch < n_history)
    fprintf (stderr, "The model holds the weights of epoch %d of %d (best by validation %s)\n", epoch, n_history,
             settings->keep_best == SF_KEEP_BEST_EER ? "EER" : "loss");
  cli_record_run (run_options, trainer, dataset, run->interrupted, evaluation);
  if (history_path != NULL)
    {
      g_autofree char *csv = sf_history_to_csv (history, n_history);
      if (!write_text_atomically (history_path, csv, error))
        return 1;
    }
  return run->interrupted ? 130 : 0;
}

/* train --init: loads the model to start from, which gives the spec when
 * neither --spec nor --preset does, and the image size unless --size asks
 * for another (which the check then refuses). FALSE after a message. */
static gboolean
load_init (const char *path, int freeze, SettingsOptions *o, SfCheckpoint **init)
{
  if (freeze < 0 || (freeze > 0 && path == NULL))
    {
      g_printerr ("siamese-faces-cli: train: --freeze %d: give a number of layers, 0 or more, with --init MODEL\n",
                  freeze);
      return FALSE;
    }
  if (path == NULL)
    return TRUE;
  GError *error = NULL;
  *init = sf_checkpoint_load (path, &error);
  if (*init == NULL)
    {
      cli_fail_with (error);
      return FALSE;
    }
  SfModel *model = (*init)->model;
  if (o->spec == NULL && o->preset == NULL)
    o->spec = g_strdup (sf_model_get_spec (model));
  if (cli_image_size == SF_DEFAULT_IMAGE_SIZE)
    cli_image_size = sf_model_get_input_size (model);
  return TRUE;
}

static void
print_init (const SfTrainSettings *settings)
{
  g_autofree char *frozen = settings->freeze > 0 ? g_strdup_printf (", layers 1-%d frozen", settings->freeze)
                                                 : g_strdup ("");
  fprintf (stderr, "Starting from %s (%d epochs, weights %.12s)%s\n", settings->init_name, settings->init_epochs,
           settings->init_fingerprint, frozen);
}

int
cli_run_train (int argc, char **argv)
{
  SettingsOptions o = SETTINGS_OPTIONS_UNSET;
  g_autofree char *output = NULL;
  g_autofree char *history_path = NULL;
  gboolean save_on_interrupt = FALSE;
  g_autofree char *init_path = NULL;
  int freeze = 0;
  g_autofree char *precision = NULL;
  g_auto (CliRunOptions) run_options = { 0 };
  GOptionEntry entries[] = {
    SETTINGS_OPTION_ENTRIES (o),
    CLI_PRECISION_OPTION_ENTRY (precision),
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &init_path, "Start from this model file's weights (fine-tuning); its spec and image size, unless --spec or --preset say otherwise, which must then match it", "MODEL" },
    { "freeze", 0, 0, G_OPTION_ARG_INT, &freeze, "With --init: keep the first N layers (spec tokens, numbered from 1 as the Model view shows) as they are", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the model here (.safetensors)", "MODEL" },
    { "history", 0, 0, G_OPTION_ARG_FILENAME, &history_path, "Write the per-epoch history as CSV", "FILE.csv" },
    { "save-on-interrupt", 0, 0, G_OPTION_ARG_NONE, &save_on_interrupt, "On Ctrl+C, still save what was trained", NULL },
    CLI_RUN_OPTION_ENTRIES (run_options),
    { NULL }
  };
  int status = 1;
  if (!cli_parse_options ("train", "[DATASET] -o MODEL", entries, &argc, &argv)
      || !cli_apply_precision ("train", precision))
    {
      settings_options_clear (&o);
      return 2;
    }
  SfTrainSettings settings = { 0 };
  GError *error = NULL;
  if (output == NULL)
    {
      g_printerr ("siamese-faces-cli: train: give -o MODEL, where the trained model goes\n");
      settings_options_clear (&o);
      return 2;
    }
  g_autoptr (SfCheckpoint) init = NULL;
  if (!load_init (init_path, freeze, &o, &init))
    {
      settings_options_clear (&o);
      return init_path != NULL && freeze >= 0 ? 1 : 2;
    }
  if (!settings_from_options (&o, &settings, &error))
    {
      cli_fail_with (error);
      settings_options_clear (&o);
      sf_train_settings_clear (&settings);
      return 2;
    }
  settings_options_clear (&o);
  if (init != NULL)
    {
      settings.init_name = g_path_get_basename (init_path);
      settings.init_epochs = init->n_history;
      settings.freeze = freeze;
    }

  g_autoptr (SfDataset) dataset = cli_load_dataset (argc, argv, 1, 1);
  if (dataset == NULL)
    {
      sf_train_settings_clear (&settings);
      return 1;
    }
  g_autoptr (SfTrainer) trainer =
    sf_trainer_new_from (dataset, &settings, init != NULL ? init->model : NULL, &error);
  if (trainer == NULL)
    {
      /* Settings refused are a mistake on the command line, not a run. */
      if (!g_error_matches (error, SF_ERROR, SF_ERROR_INVALID))
        cli_record_failed_run (&run_options, &settings, dataset, NULL, error->message);
      cli_fail_with (error);
      sf_train_settings_clear (&settings);
      return 1;
    }
  if (init != NULL)
    print_init (sf_trainer_get_settings (trainer));
  const SfPairSet *pairs = sf_trainer_get_pairs (trainer);
  SfModel *model = sf_trainer_get_model (trainer);
  fprintf (stderr, "Training %s on %s: %d training + %d validation pairs (%s split), %" G_GSIZE_FORMAT " parameters, %s kernels, %s\n",
           sf_model_get_spec (model), dataset->source != NULL ? dataset->source : "the demo faces",
           pairs->n_train, pairs->n_validation, sf_split_kind_name (settings.split),
           sf_model_n_trainable (model), sf_blas_kernel_name (), sf_gemm_precision_name ());

  TrainRun run = { .terminal = isatty (STDERR_FILENO), .save_on_interrupt = save_on_interrupt, .trainer = trainer,
                   .n_epochs = settings.epochs };
  guint signals[] = { g_unix_signal_add (SIGINT, interrupt_cb, &run), g_unix_signal_add (SIGTERM, interrupt_cb, &run) };
  /* The trainer's settings: they carry what it adds (the starting weights' fingerprint). */
  status = train_and_save (&run, dataset, sf_trainer_get_settings (trainer), output, history_path, &run_options,
                           &error);
  /* Only now, with the model saved (or not to be): see interrupt_cb. */
  for (guint k = 0; k < G_N_ELEMENTS (signals); k++)
    g_source_remove (signals[k]);
  if (status == 1)
    cli_fail_with (error);
  sf_train_settings_clear (&settings);
  return status;
}

/* The options that shape the settings, for sweep's base settings. */
struct _CliSettingsOptions {
  SettingsOptions o;
};

CliSettingsOptions *
cli_settings_options_new (void)
{
  CliSettingsOptions *options = g_new0 (CliSettingsOptions, 1);
  /* The same defaults as train's. */
  options->o = (SettingsOptions) SETTINGS_OPTIONS_UNSET;
  return options;
}

GOptionEntry *
cli_settings_options_entries (CliSettingsOptions *options, int *n_entries)
{
  GOptionEntry entries[] = { SETTINGS_OPTION_ENTRIES (options->o) };
  *n_entries = G_N_ELEMENTS (entries);
  return g_memdup2 (entries, sizeof entries);
}

gboolean
cli_settings_options_apply (CliSettingsOptions *options, SfTrainSettings *settings, GError **error)
{
  return settings_from_options (&options->o, settings, error);
}

void
cli_settings_options_free (CliSettingsOptions *options)
{
  settings_options_clear (&options->o);
  g_free (options);
}

/* ---- shared by the commands that take a MODEL ---- */

/* Loads argv[1] as a checkpoint and argv[2] (or the demo faces) at its input size. */
static gboolean
load_model_and_dataset (int argc, char **argv, SfCheckpoint **checkpoint, SfDataset **dataset)
{
  if (argc < 2)
    {
      g_printerr ("siamese-faces-cli: %s: give the MODEL file first\n", argv[0]);
      return FALSE;
    }
  GError *error = NULL;
  *checkpoint = sf_checkpoint_load (argv[1], &error);
  if (*checkpoint == NULL)
    {
      cli_fail_with (error);
      return FALSE;
    }
  cli_image_size = sf_model_get_input_size ((*checkpoint)->model);
  char *rest[3] = { argv[0], argc > 2 ? argv[2] : NULL, NULL };
  if (argc > 3)
    {
      g_printerr ("siamese-faces-cli: %s: unexpected argument '%s'\n", argv[0], argv[3]);
      return FALSE;
    }
  *dataset = cli_load_dataset (argc > 2 ? 2 : 1, rest, 1, 1);
  return *dataset != NULL;
}

/* embeddings [n_images, D] of the whole dataset; NULL with a message on failure. */
static float *
embed_dataset (SfModel *model, const SfDataset *dataset)
{
  gsize D = (gsize) sf_model_get_embedding_size (model);
  float *embeddings = g_try_new (float, (gsize) dataset->n_images * D);
  GError *error = NULL;
  if (embeddings == NULL)
    {
      g_printerr ("siamese-faces-cli: out of memory for %d embeddings\n", dataset->n_images);
      return NULL;
    }
  if (!sf_model_embed (model, dataset->pixels, dataset->n_images, embeddings, &error))
    {
      cli_fail_with (error);
      g_free (embeddings);
      return NULL;
    }
  return embeddings;
}

/* ---- info MODEL ---- */

int
cli_run_model_info (int argc, char **argv)
{
  if (argc != 2)
    {
      g_printerr ("siamese-faces-cli: info: give one MODEL file\n");
      return 2;
    }
  GError *error = NULL;
  g_autoptr (SfCheckpoint) checkpoint = sf_checkpoint_load (argv[1], &error);
  if (checkpoint == NULL)
    {
      cli_fail_with (error);
      return 1;
    }
  SfModel *model = checkpoint->model;
  g_print ("Model:       %s\n", argv[1]);
  g_print ("Network:     %s\n", sf_model_get_spec (model));
  g_print ("Head:        %s\n", sf_head_kind_name (sf_model_get_head (model)));
  g_print ("Input size:  %d×%d\n", sf_model_get_input_size (model), sf_model_get_input_size (model));
  g_print ("Parameters:  %" G_GSIZE_FORMAT "\n", sf_model_n_trainable (model));
  g_print ("Threshold:   %.4f\n", checkpoint->threshold);
  g_print ("Trained:     %d epochs\n", checkpoint->n_history);
  if (checkpoint->epoch == 0)
    g_print ("Weights of:  an unknown epoch (the file does not say)\n");
  else if (checkpoint->kept == SF_KEEP_LAST)
    g_print ("Weights of:  epoch %d of %d (the last)\n", checkpoint->epoch, checkpoint->n_history);
  else
    g_print ("Weights of:  epoch %d of %d (best by validation %s)\n", checkpoint->epoch, checkpoint->n_history,
             checkpoint->kept == SF_KEEP_BEST_EER ? "EER" : "loss");
  g_autofree char *source = checkpoint->dataset_source != NULL ? g_filename_display_name (checkpoint->dataset_source)
                                                                : NULL;
  g_print ("Dataset:     %s\n", source != NULL ? source : "(the demo faces, or not recorded)");
  g_print ("Fingerprint: %s\n", checkpoint->dataset_fingerprint != NULL ? checkpoint->dataset_fingerprint : "–");
  return 0;
}

/* ---- embed ---- */

int
cli_run_embed (int argc, char **argv)
{
  g_autofree char *output = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the embeddings here (float32 N×D)", "FILE.npy" },
    { NULL }
  };
  if (!cli_parse_options ("embed", "MODEL [DATASET] -o FILE.npy", entries, &argc, &argv))
    return 2;
  if (output == NULL)
    {
      g_printerr ("siamese-faces-cli: embed: give -o FILE.npy\n");
      return 2;
    }
  g_autoptr (SfCheckpoint) checkpoint = NULL;
  g_autoptr (SfDataset) dataset = NULL;
  if (!load_model_and_dataset (argc, argv, &checkpoint, &dataset))
    return 1;
  g_autofree float *embeddings = embed_dataset (checkpoint->model, dataset);
  if (embeddings == NULL)
    return 1;
  gsize shape[2] = { dataset->n_images, sf_model_get_embedding_size (checkpoint->model) };
  GError *error = NULL;
  if (!sf_npy_write_float32 (output, embeddings, shape, 2, &error))
    {
      cli_fail_with (error);
      return 1;
    }
  g_print ("Wrote %s: float32 %" G_GSIZE_FORMAT "×%" G_GSIZE_FORMAT "\n", output, shape[0], shape[1]);
  return 0;
}

/* ---- similarity ---- */

static int
compare_matches (gconstpointer a, gconstpointer b)
{
  const SfProbeMatch *x = a, *y = b;
  return (x->score < y->score) - (x->score > y->score);
}

int
cli_run_similarity (int argc, char **argv)
{
  g_autofree char *image_arg = NULL;
  gint64 seed = 0;
  double threshold = -1;
  GOptionEntry entries[] = {
    { "image", 0, 0, G_OPTION_ARG_FILENAME, &image_arg, "The test face: an index into the dataset or an image file", "INDEX|PATH" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the choice of one face per person", "N" },
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold, "Scores at or above it count as the same person (default: the model's)", "X" },
    { NULL }
  };
  if (!cli_parse_options ("similarity", "MODEL [DATASET] --image INDEX|PATH", entries, &argc, &argv))
    return 2;
  if (image_arg == NULL)
    {
      g_printerr ("siamese-faces-cli: similarity: give --image INDEX or --image PATH\n");
      return 2;
    }
  g_autoptr (SfCheckpoint) checkpoint = NULL;
  g_autoptr (SfDataset) dataset = NULL;
  if (!load_model_and_dataset (argc, argv, &checkpoint, &dataset))
    return 1;
  if (threshold < 0)
    threshold = checkpoint->threshold;
  SfModel *model = checkpoint->model;
  int size = sf_model_get_input_size (model);

  /* The test face: a dataset index, or an image file resized like the dataset. */
  char *end = NULL;
  gint64 index = g_ascii_strtoll (image_arg, &end, 10);
  gboolean is_index = end != image_arg && *end == '\0';
  g_autofree float *probe = g_new (float, (gsize) size * size);
  int probe_person = -1;
  if (is_index)
    {
      if (index < 0 || index >= dataset->n_images)
        {
          g_printerr ("siamese-faces-cli: --image %s: the dataset has images 0 to %d\n", image_arg, dataset->n_images - 1);
          return 2;
        }
      probe_person = dataset->labels[index];
    }
  else
    {
      GError *error = NULL;
      g_autoptr (SfImage) image = sf_image_load (image_arg, &error);
      if (image == NULL)
        {
          cli_fail_with (error);
          return 1;
        }
      sf_image_resize_area (image->pixels, image->width, image->height, probe, size, size);
    }

  /* One random other face of every person: the article's test. */
  GError *error = NULL;
  g_autoptr (SfProbeTest) test = sf_probe_test_new (model, dataset, is_index ? (int) index : -1,
                                                    is_index ? NULL : probe, (guint64) seed, &error);
  if (test == NULL)
    {
      cli_fail_with (error);
      return 1;
    }
  SfProbeMatch *matches = test->matches;
  int n_matches = test->n_matches;
  qsort (matches, n_matches, sizeof (SfProbeMatch), compare_matches);

  g_print ("Test face: %s%s%s, threshold %.3f\n\n", image_arg,
           probe_person >= 0 ? " of " : "", probe_person >= 0 ? dataset->person_names[probe_person] : "", threshold);
  g_print ("%4s  %-6s  %-20s  %6s  %s\n", "rank", "score", "person", "image", "verdict");
  int right = 0;
  for (int k = 0; k < n_matches; k++)
    {
      gboolean same = matches[k].score >= threshold;
      const char *truth = "";
      if (probe_person >= 0)
        {
          gboolean correct = same == (matches[k].person == probe_person);
          right += correct;
          truth = correct ? "  (right)" : "  (wrong)";
        }
      g_print ("%4d  %.4f  %-20s  %6d  %s%s\n", k + 1, matches[k].score, dataset->person_names[matches[k].person],
               matches[k].image, same ? "same person" : "different", truth);
    }
  if (probe_person >= 0)
    g_print ("\n%d of %d verdicts right\n", right, n_matches);
  return 0;
}

/* ---- bench ---- */

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* 400 images of 40 people: the demo faces of two seeds side by side, so an
 * epoch has the article's 720 + 80 pairs without any download. */
static SfDataset *
bench_dataset (int size, GError **error)
{
  g_autoptr (SfDataset) first = sf_demo_faces_generate (size, 0, error);
  if (first == NULL)
    return NULL;
  g_autoptr (SfDataset) second = sf_demo_faces_generate (size, 1, error);
  if (second == NULL)
    return NULL;
  int n = first->n_images + second->n_images;
  SfDataset *dataset = sf_dataset_new (SF_DATASET_FORMAT_DEMO, n, size, size,
                                       first->n_people + second->n_people, error);
  if (dataset == NULL)
    return NULL;
  gsize image = (gsize) size * size;
  memcpy (dataset->pixels, first->pixels, sizeof (float) * image * first->n_images);
  memcpy (dataset->pixels + image * first->n_images, second->pixels, sizeof (float) * image * second->n_images);
  for (int i = 0; i < n; i++)
    dataset->labels[i] = i < first->n_images ? first->labels[i] : first->n_people + second->labels[i - first->n_images];
  for (int p = 0; p < dataset->n_people; p++)
    dataset->person_names[p] = g_strdup_printf ("Bench %d", p + 1);
  return dataset;
}

int
cli_run_bench (int argc, char **argv)
{
  SettingsOptions o = SETTINGS_OPTIONS_UNSET;
  gboolean json = FALSE;
  g_autofree char *precision = NULL;
  GOptionEntry entries[] = {
    SETTINGS_OPTION_ENTRIES (o),
    CLI_PRECISION_OPTION_ENTRY (precision),
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL },
    { NULL }
  };
  if (!cli_parse_options ("bench", "[DATASET]", entries, &argc, &argv) || !cli_apply_precision ("bench", precision))
    {
      settings_options_clear (&o);
      return 2;
    }
  if (o.epochs == OPTION_UNSET)
    o.epochs = 3;
  if (o.batch == OPTION_UNSET)
    o.batch = 64;
  if (o.split == NULL)
    o.split = g_strdup ("pairs");
  SfTrainSettings settings = { 0 };
  GError *error = NULL;
  gboolean ok = settings_from_options (&o, &settings, &error);
  settings_options_clear (&o);
  if (!ok)
    {
      cli_fail_with (error);
      sf_train_settings_clear (&settings);
      return 2;
    }

  g_autoptr (SfDataset) dataset = NULL;
  if (argc > 1)
    dataset = cli_load_dataset (argc, argv, 1, 1);
  else if ((dataset = bench_dataset (cli_image_size, &error)) == NULL)
    cli_fail_with (error);
  g_autoptr (SfTrainer) trainer = dataset != NULL ? sf_trainer_new (dataset, &settings, &error) : NULL;
  if (trainer == NULL)
    {
      if (dataset != NULL)
        cli_fail_with (error);
      sf_train_settings_clear (&settings);
      return 1;
    }
  const SfPairSet *pairs = sf_trainer_get_pairs (trainer);
  SfModel *model = sf_trainer_get_model (trainer);
  if (!json)
    g_printerr ("bench: %s, %d epochs of %d + %d pairs at batch %d…\n", sf_model_get_spec (model), settings.epochs,
                pairs->n_train, pairs->n_validation, settings.batch_size);
  if (!sf_trainer_run (trainer, NULL, NULL, &error))
    {
      cli_fail_with (error);
      sf_train_settings_clear (&settings);
      return 1;
    }
  int n = 0;
  const SfEpochRecord *history = sf_trainer_get_history (trainer, &n);
  g_autofree double *seconds = g_new (double, n);
  for (int k = 0; k < n; k++)
    seconds[k] = history[k].seconds;
  qsort (seconds, n, sizeof (double), compare_doubles);
  double median = n % 2 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
  /* Forward per image × 2 images per pair; training costs about 3 forwards
   * (forward, input gradient, weight gradient), validation 1. */
  double tower_flops = sf_model_get_tower (model)->flops;
  double epoch_flops = 2 * tower_flops * (3.0 * pairs->n_train + pairs->n_validation);
  double gflops = epoch_flops / median / 1e9;
  long peak = peak_resident_mib ();
  /* Which lowering each convolution ran as, and which copy of the engine's own loops. */
  g_autofree char *convolutions = sf_model_describe_kernels (model);
  if (json)
    g_print ("{\"spec\": \"%s\", \"epochs\": %d, \"train_pairs\": %d, \"validation_pairs\": %d, \"batch\": %d, "
             "\"epoch_seconds_median\": %.3f, \"epoch_seconds_min\": %.3f, \"gflops_per_second\": %.1f, "
             "\"peak_rss_mib\": %ld, \"kernels\": \"%s\", \"precision\": \"%s\", \"threads\": %d, "
             "\"convolutions\": \"%s\", \"engine_simd\": \"%s\"}\n",
             sf_model_get_spec (model), n, pairs->n_train, pairs->n_validation, settings.batch_size, median,
             seconds[0], gflops, peak, sf_blas_kernel_name (), sf_gemm_precision_name (), sf_parallel_n_workers (),
             convolutions, sf_engine_simd_level ());
  else
    {
      g_print ("Network:            %s\n", sf_model_get_spec (model));
      g_print ("Pairs per epoch:    %d training + %d validation, batch %d\n", pairs->n_train, pairs->n_validation,
               settings.batch_size);
      g_print ("Epochs:             %d\n", n);
      for (int k = 0; k < n; k++)
        g_print ("  epoch %d:          %.3f s\n", k + 1, history[k].seconds);
      g_print ("Median epoch:       %.3f s\n", median);
      g_print ("Achieved:           %.1f GFLOP/s (%.2f TFLOP per epoch)\n", gflops, epoch_flops / 1e12);
      g_print ("Peak memory:        %ld MiB resident\n", peak);
      g_print ("BLAS kernels:       %s (%s)\n", sf_blas_kernel_name (), sf_blas_config ());
      g_print ("Convolutions:       %s\n", convolutions);
      g_print ("Engine SIMD:        %s\n", sf_engine_simd_level ());
      g_print ("Precision:          %s (matrix products large enough to leave OpenBLAS, and the direct convolutions)\n",
               sf_gemm_precision_name ());
    }
  sf_train_settings_clear (&settings);
  return 0;
}
