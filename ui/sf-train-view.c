/* SfTrainView: the form of the shared SfTrainingSettings, an SfTrainingRun
 * that trains off the main thread, its progress, the SfTrainingCurves of the
 * run (its history is the run's) or of the session's model (the
 * checkpoint's), and the ended run's model, with the threshold the engine's
 * evaluation chooses on a worker thread, handed to the session only where
 * it loses nothing (see run_may_replace); otherwise it is kept here until the
 * user picks it ("Use This Model"). */
#include "sf-train-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "error.h"
#include "evaluation.h"
#include "sf-file-chooser.h"
#include "sf-notify.h"
#include "sf-runs-view.h"
#include "sf-sweep-dialog.h"
#include "sf-training-settings.h"
#include "sf-worker.h"
#include "transfer.h"

/* The keys' values in the order of the combo rows. */
static const char *const preset_names[] = { "compact", "article", "custom", NULL };
static const char *const head_names[] = { "bce", "contrastive", NULL };
static const char *const optimizer_names[] = { "adam", "rmsprop", "sgd", NULL };
static const char *const schedule_names[] = { "constant", "step", "cosine", NULL };
static const char *const split_names[] = { "pairs", "images", "people", NULL };

struct _SfTrainView
{
  GtkWidget parent_instance;

  /* Template widgets */
  AdwFlap *flap;
  AdwPreferencesPage *settings_page;
  AdwComboRow *preset_row;
  AdwEntryRow *spec_row;
  AdwComboRow *head_row;
  AdwActionRow *margin_row;
  GtkSpinButton *margin_spin;
  GtkSpinButton *dropout_spin;
  AdwComboRow *start_row;
  AdwActionRow *init_file_row;
  AdwActionRow *freeze_row;
  GtkAdjustment *freeze_adjustment;
  AdwComboRow *optimizer_row;
  GtkSpinButton *rate_spin;
  AdwComboRow *schedule_row;
  GtkSpinButton *decay_spin;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *batch_spin;
  GtkSwitch *flip_switch;
  GtkSwitch *shift_switch;
  GtkSwitch *rotate_switch;
  GtkSwitch *scale_switch;
  GtkSwitch *light_switch;
  AdwComboRow *split_row;
  GtkSpinButton *share_spin;
  AdwActionRow *new_pairs_row;
  GtkSwitch *new_pairs_switch;
  GtkSpinButton *seed_spin;
  GtkWidget *start_button;
  GtkWidget *pause_button;
  GtkWidget *resume_button;
  GtkWidget *stop_button;
  GtkLabel *epoch_label;
  GtkAdjustment *smoothing_adjustment;
  GtkProgressBar *progress_bar;
  GtkProgressBar *epoch_bar;
  GtkLabel *status_label;
  SfTrainingCurves *curves;
  GtkStack *pages;
  SfRunsView *runs_view;
  GtkLabel *result_label;
  GtkWidget *use_button;

  /* Owned */
  SfSession *session;
  SfTrainingSettings *settings;
  SfTrainingRun *run;
  GCancellable *finishing;      /* the threshold task of the run that just ended */
  GtkFileChooserNative *chooser;
  char *export_kind;            /* what the chooser saves: "loss.png", "history.csv", ... */
  SfCheckpoint *ended_model;    /* the ended run's model when it did not become the session's */

  /* Borrowed */
  const SfCheckpoint *own_checkpoint;   /* the last checkpoint this view gave the session */
  const SfCheckpoint *trained_checkpoint; /* the last run's model it gave the session */

  guint status_id;
  gint64 status_us;             /* when update_status last ran for a batch */
  gboolean shows_run;           /* the curves are the run's history, not the session's model's */
  gboolean shows_threshold;     /* the result label is the session's threshold */
  gboolean updating;
};

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfTrainView, sf_train_view, GTK_TYPE_WIDGET)

/* Fine-tuning's rows: the file row only for a model file, the layers to
 * freeze only when a model gives the weights, and never more than the
 * spec's layers. */
static void
load_start (SfTrainView *self, const char *spec)
{
  SfStartFrom start = sf_training_settings_get_start_from (self->settings);
  g_autofree char *path = sf_training_settings_dup_init_file (self->settings);
  g_autofree char *name = path != NULL ? g_filename_display_basename (path) : NULL;
  g_autoptr (SfTower) tower = sf_tower_parse (spec, sf_training_settings_get_image_size (self->settings), NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->init_file_row), start == SF_START_MODEL_FILE);
  adw_action_row_set_subtitle (self->init_file_row, name != NULL ? name : _("None chosen"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->freeze_row), start != SF_START_SCRATCH);
  if (tower != NULL)
    gtk_adjustment_set_upper (self->freeze_adjustment, sf_tower_n_layers (tower));
}

/* Shows what the settings hold where no binding does. */
static void
load_unbound (SfTrainView *self)
{
  g_autofree char *spec = sf_training_settings_dup_spec (self->settings);
  /* Also called while the store writes: keep the guard up. */
  gboolean was_updating = self->updating;

  self->updating = TRUE;
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->spec_row)), spec) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->spec_row), spec);
  gtk_widget_remove_css_class (GTK_WIDGET (self->spec_row), "error");
  gtk_spin_button_set_value (self->dropout_spin, sf_training_settings_get_dropout (self->settings));
  gtk_spin_button_set_value (self->share_spin, sf_training_settings_get_split_share (self->settings));
  gtk_widget_set_sensitive (GTK_WIDGET (self->margin_row),
                            sf_training_settings_get_head (self->settings) == SF_HEAD_CONTRASTIVE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->new_pairs_row),
                            sf_training_settings_get_split (self->settings) != SF_SPLIT_PAIRS);
  load_start (self, spec);
  self->updating = was_updating;
}

static void
settings_changed_cb (SfTrainView *self, const char *key)
{
  load_unbound (self);
}

static void
spec_apply_cb (SfTrainView *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->spec_row))));
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTower) tower = sf_tower_parse (text, SF_DEFAULT_IMAGE_SIZE, &error);

  if (tower == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->spec_row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->spec_row), error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->spec_row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->spec_row), NULL);
  sf_training_settings_set_spec (self->settings, tower->spec);
}

static void
dropout_changed_cb (SfTrainView *self)
{
  if (!self->updating)
    sf_training_settings_set_dropout (self->settings, gtk_spin_button_get_value (self->dropout_spin));
}

static void
share_changed_cb (SfTrainView *self)
{
  if (!self->updating)
    sf_training_settings_set_split_share (self->settings, gtk_spin_button_get_value (self->share_spin));
}

static void
message (SfTrainView *self, const char *heading, const char *body)
{
  sf_notify_message (GTK_WIDGET (self), heading, body);
}

/* The history the curves show: the run's while it is theirs, else the
 * session's model's. */
static const SfEpochRecord *
shown_history (SfTrainView *self, int *n_epochs)
{
  if (self->shows_run)
    return sf_training_run_get_history (self->run, n_epochs);
  *n_epochs = 0;
  return self->session != NULL ? sf_session_get_history (self->session, n_epochs) : NULL;
}

static char *
format_duration (double seconds)
{
  int s = (int) MAX (0, round (seconds));

  if (s >= 3600)
    return g_strdup_printf ("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%d:%02d", s / 60, s % 60);
}

static void
update_status (SfTrainView *self)
{
  const SfTrainEvent *p = sf_training_run_get_progress (self->run);
  gboolean running = sf_training_run_get_running (self->run);

  if (!running)
    return;
  int n_batches = MAX (p->n_batches, 1);
  double done = p->n_epochs > 0 ? ((p->epoch - 1) + (double) p->batch / n_batches) / p->n_epochs : 0;
  double active = sf_training_run_get_active_seconds (self->run);
  g_autofree char *elapsed = format_duration (active);
  g_autoptr (GString) text = g_string_new (NULL);
  int n_history;
  const SfEpochRecord *history = sf_training_run_get_history (self->run, &n_history);

  /* Translators: elapsed training time, e.g. "Elapsed 1:05". */
  g_string_append_printf (text, _("Elapsed %s"), elapsed);
  if (done > 0.001)
    {
      g_autofree char *left = format_duration (active / done * (1 - done));
      g_string_append (text, " · ");
      /* Translators: estimated time left, e.g. "About 0:40 left". */
      g_string_append_printf (text, _("About %s left"), left);
    }
  if (n_history > 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, _("%.0f pairs/s"), history[n_history - 1].pairs_per_second);
    }
  if (sf_training_run_get_paused (self->run))
    {
      g_string_append (text, " · ");
      g_string_append (text, _("Paused"));
    }
  gtk_label_set_label (self->status_label, text->str);

  /* Translators: "Epoch 3 of 30". */
  g_autofree char *epoch = g_strdup_printf (_("Epoch %d of %d"), MAX (p->epoch, 1), p->n_epochs);
  gtk_label_set_label (self->epoch_label, epoch);
  /* The wide bar is the whole run, the thin one the epoch under way. */
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (done, 0.0, 1.0));
  gtk_progress_bar_set_fraction (self->epoch_bar, p->n_batches > 0 ? (double) p->batch / n_batches : 0.0);
}

static gboolean
status_tick_cb (gpointer data)
{
  update_status (data);
  return G_SOURCE_CONTINUE;
}

static void
update_actions (SfTrainView *self)
{
  gboolean running = sf_training_run_get_running (self->run);
  gboolean paused = sf_training_run_get_paused (self->run);
  gboolean finishing = self->finishing != NULL;
  gboolean have_faces = self->session != NULL && sf_session_get_faces (self->session) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.start", !running && !finishing && have_faces);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.pause", running && !paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.resume", running && paused);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "train.use-run",
                                 self->ended_model != NULL && !running && !finishing);
  gtk_widget_set_visible (self->use_button, self->ended_model != NULL && !running && !finishing);
  gtk_widget_set_visible (self->pause_button, !paused);
  gtk_widget_set_visible (self->resume_button, paused);
  /* Nothing about the network or the data may change mid-run. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->settings_page), !running && !finishing);
}

static void
running_changed_cb (SfTrainView *self)
{
  gboolean running = sf_training_run_get_running (self->run);

  update_actions (self);
  if (running && self->status_id == 0)
    self->status_id = g_timeout_add_seconds (1, status_tick_cb, self);
  else if (!running)
    g_clear_handle_id (&self->status_id, g_source_remove);
  if (self->session != NULL)
    sf_session_set_training (self->session, running || self->finishing != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
paused_changed_cb (SfTrainView *self)
{
  update_actions (self);
  update_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

static void
epoch_cb (SfTrainingRun *run, const SfEpochRecord *record, SfTrainView *self)
{
  int n;
  const SfEpochRecord *history = sf_training_run_get_history (run, &n);

  if (self->shows_run)
    sf_training_curves_show_history (self->curves, history, n);
  update_status (self);
}

/* Batches end many times a second: the labels and bar follow at a few Hz,
 * which reads as smooth and leaves the main loop free. */
static void
progress_cb (SfTrainingRun *run, SfTrainView *self)
{
  gint64 now = g_get_monotonic_time ();

  if (now - self->status_us < 200 * 1000)
    return;
  self->status_us = now;
  update_status (self);
}

typedef struct
{
  SfTrainingRun *run;          /* keeps the trainer alive */
  SfTrainer *trainer;          /* the run's, idle now */
  SfCheckpoint *checkpoint;    /* what the session gets, with the threshold */
  gboolean cancelled;
  SfEvaluation *evaluation;    /* of the validation pairs, at the threshold */
  float threshold;
  char *store_root;            /* the session's run store: the run is recorded there */
  const SfDataset *dataset;    /* the run's, kept alive by the run */
  double seconds;
  SfRun *recorded;             /* as recorded, or NULL with record_error */
  GError *record_error;
} FinishJob;

static void
finish_job_free (gpointer data)
{
  FinishJob *job = data;

  g_clear_object (&job->run);
  g_clear_pointer (&job->checkpoint, sf_checkpoint_free);
  g_clear_pointer (&job->evaluation, sf_evaluation_free);
  g_clear_pointer (&job->recorded, sf_run_free);
  g_free (job->store_root);
  g_clear_error (&job->record_error);
  g_free (job);
}

/* Worker thread: the threshold the model keeps, chosen on its validation pairs. */
static void
finish_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  FinishJob *job = task_data;
  GError *error = NULL;

  /* The model, its settings and history, copied here rather than on the
   * main thread: the dataset's fingerprint hashes every pixel. */
  job->checkpoint = sf_checkpoint_new_from_trainer (job->trainer, job->dataset, 0.5f);
  if (job->checkpoint == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", _("Out of memory while copying the model."));
      return;
    }
  job->evaluation = sf_evaluation_new_for_trainer (job->trainer, &error);
  if (job->evaluation == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  job->threshold = sf_evaluation_choose_threshold (job->evaluation, SF_THRESHOLD_EER);
  /* Kept whatever becomes of the model: a run folder with its model. A run
   * that cannot be recorded still reaches the session. */
  if (job->store_root != NULL)
    {
      /* A store of its own on the same folder: the session's may be replaced meanwhile. */
      g_autoptr (SfRunStore) store = sf_run_store_new (job->store_root);
      job->recorded = sf_run_store_record (store, job->trainer, job->dataset,
                                           job->cancelled ? SF_RUN_STOPPED : SF_RUN_FINISHED, NULL, job->seconds,
                                           job->evaluation, FALSE, &job->record_error);
    }
  g_task_return_boolean (task, TRUE);
}

/* The current model in words, for saying what a run replaces or leaves in
 * place; NULL without one. */
static char *
describe_current (SfTrainView *self)
{
  const SfCheckpoint *current = sf_session_get_checkpoint (self->session);
  const char *path = sf_session_get_model_path (self->session);

  if (current == NULL)
    return NULL;
  if (path != NULL)
    {
      g_autofree char *name = g_path_get_basename (path);
      /* Translators: a model file and how long it was trained, e.g. "“faces.safetensors” (40 epochs)". */
      return g_strdup_printf (ngettext ("“%s” (%d epoch)", "“%s” (%d epochs)", current->n_history), name,
                              current->n_history);
    }
  if (current == self->trained_checkpoint)
    return g_strdup_printf (ngettext ("the unsaved model of the previous run (%d epoch)",
                                      "the unsaved model of the previous run (%d epochs)", current->n_history),
                            current->n_history);
  return g_strdup_printf (ngettext ("the unsaved model (%d epoch)", "the unsaved model (%d epochs)",
                                    current->n_history),
                          current->n_history);
}

/* An ended run's model becomes the current one by itself only where nothing
 * is lost: there is none, or (a run that finished, not one stopped) the
 * current one is the previous run's, never saved, which the new run takes
 * the place of. Anything else waits for "Use This Model". */
static gboolean
run_may_replace (SfTrainView *self, gboolean cancelled)
{
  const SfCheckpoint *current = sf_session_get_checkpoint (self->session);

  if (current == NULL)
    return TRUE;
  return !cancelled && current == self->trained_checkpoint && sf_session_get_model_path (self->session) == NULL;
}

/* Makes `checkpoint` (taken) the session's model, not yet saved. */
static void
take_model (SfTrainView *self, SfCheckpoint *checkpoint)
{
  self->own_checkpoint = checkpoint;
  self->trained_checkpoint = checkpoint;
  sf_session_set_checkpoint (self->session, checkpoint, NULL);
  sf_session_set_modified (self->session, TRUE);
  /* The same epochs, now the session's model's. */
  self->shows_run = FALSE;
}

static void
finish_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfTrainView *self = SF_TRAIN_VIEW (source);
  FinishJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  /* The worker is done with the trainer; the run (maybe its last reference)
   * is let go here, on the main thread, not wherever the task ends. */
  g_clear_object (&job->run);
  job->trainer = NULL;
  if (g_task_get_cancellable (G_TASK (result)) != self->finishing)
    return;
  g_clear_object (&self->finishing);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      message (self, _("Could Not Evaluate the Model"), error->message);
      running_changed_cb (self);
      return;
    }

  SfCheckpoint *checkpoint = g_steal_pointer (&job->checkpoint);
  /* The session takes its threshold from the checkpoint it is given. */
  checkpoint->threshold = job->threshold;
  g_clear_pointer (&self->ended_model, sf_checkpoint_free);
  if (self->session == NULL)
    {
      sf_checkpoint_free (checkpoint);
      running_changed_cb (self);
      return;
    }
  if (job->record_error != NULL)
    message (self, _("Could Not Keep the Run"), job->record_error->message);
  else if (job->recorded != NULL)
    sf_session_runs_changed (self->session);
  /* Said before the session changes: what is replaced, if anything. */
  g_autofree char *replaced = describe_current (self);
  gboolean replace = run_may_replace (self, job->cancelled);
  if (replace)
    take_model (self, checkpoint);
  else
    self->ended_model = checkpoint;

  g_autoptr (GString) text = g_string_new (NULL);
  const SfMetrics *metrics = &job->evaluation->metrics;
  if (job->evaluation->n_pairs > 0 && isfinite (metrics->eer))
    /* Translators: after training; accuracy, equal error rate and the threshold chosen. */
    g_string_append_printf (text, _("Validation accuracy %.3f, EER %.3f at threshold %.2f"),
                            metrics->accuracy, metrics->eer, job->threshold);
  else
    g_string_append_printf (text, _("Trained without validation pairs; threshold %.2f"), job->threshold);
  g_autofree char *heading = g_strdup (job->cancelled ? _("Training stopped") : _("Training finished"));
  g_autofree char *label = g_strdup_printf ("%s. %s.", heading, text->str);
  g_autoptr (GString) outcome = g_string_new (label);
  if (replace && replaced != NULL)
    {
      g_string_append (outcome, " ");
      /* Translators: %s describes the model replaced, e.g. "the unsaved model of the previous run (40 epochs)". */
      g_string_append_printf (outcome, _("It replaces %s."), replaced);
    }
  else if (!replace)
    {
      g_string_append (outcome, " ");
      /* Translators: %s describes the current model, e.g. "“faces.safetensors” (40 epochs)". */
      g_string_append_printf (outcome, _("The current model stays: %s."), replaced);
    }
  gtk_label_set_label (self->result_label, outcome->str);

  AdwToast *t = adw_toast_new (label);
  if (replace)
    {
      adw_toast_set_button_label (t, _("_Save Model…"));
      adw_toast_set_action_name (t, "win.save-model");
    }
  else
    {
      adw_toast_set_button_label (t, _("_Use This Model"));
      adw_toast_set_action_name (t, "train.use-run");
    }
  adw_toast_set_timeout (t, 6);
  sf_notify_add_toast (GTK_WIDGET (self), t);
  running_changed_cb (self);
}

/* The header, bars and status say how the run ended, not how it went. */
static void
show_ended (SfTrainView *self, gboolean cancelled, int n_history)
{
  const SfTrainEvent *p = sf_training_run_get_progress (self->run);
  int n_epochs = MAX (p->n_epochs, n_history);
  g_autofree char *header = NULL;

  if (cancelled && n_history == 0)
    header = g_strdup (_("Stopped before the first epoch ended"));
  else if (cancelled)
    /* Translators: the header after Stop, e.g. "Stopped after 9 of 40 epochs". */
    header = g_strdup_printf (ngettext ("Stopped after %d of %d epoch", "Stopped after %d of %d epochs", n_epochs),
                              n_history, n_epochs);
  else
    /* Translators: the header after a run ended, e.g. "Finished 40 epochs". */
    header = g_strdup_printf (ngettext ("Finished %d epoch", "Finished %d epochs", n_history), n_history);
  gtk_label_set_label (self->epoch_label, header);
  gtk_progress_bar_set_fraction (self->progress_bar, n_epochs > 0 ? (double) n_history / n_epochs : 0.0);
  gtk_progress_bar_set_fraction (self->epoch_bar, 0.0);

  g_autofree char *took = format_duration (sf_training_run_get_active_seconds (self->run));
  /* Translators: the training time of a run that ended, e.g. "Trained for 1:05". */
  g_autofree char *status = g_strdup_printf (_("Trained for %s"), took);
  gtk_label_set_label (self->status_label, status);
}

/* The run ended with at least one epoch: its model, with a threshold, goes
 * to the session or waits for the user (finish_done_cb). */
static void
ended (SfTrainView *self, gboolean cancelled)
{
  SfTrainer *trainer = sf_training_run_get_trainer (self->run);
  int n_history = 0;
  sf_training_run_get_history (self->run, &n_history);

  show_ended (self, cancelled, n_history);
  if (n_history == 0)
    {
      gtk_label_set_label (self->result_label, _("Training stopped before the first epoch ended: no model."));
      return;
    }

  const SfDataset *dataset = sf_face_list_get_dataset (sf_training_run_get_faces (self->run));
  /* The model is copied and the threshold chosen on a worker below. */
  FinishJob *job = g_new0 (FinishJob, 1);
  job->run = g_object_ref (self->run);
  job->trainer = trainer;
  job->cancelled = cancelled;
  if (self->session != NULL)
    job->store_root = g_strdup (sf_run_store_get_root (sf_session_get_run_store (self->session)));
  job->dataset = dataset;
  job->seconds = sf_training_run_get_active_seconds (self->run);

  g_clear_object (&self->finishing);
  self->finishing = g_cancellable_new ();
  g_autoptr (GTask) task = g_task_new (self, self->finishing, finish_done_cb, NULL);
  g_task_set_task_data (task, job, finish_job_free);
  g_task_set_check_cancellable (task, FALSE);
  sf_worker_run_in_thread (task, finish_thread);
  gtk_label_set_label (self->result_label, _("Choosing a threshold on the validation pairs…"));
  running_changed_cb (self);
}

static void
finished_cb (SfTrainingRun *run, SfTrainView *self)
{
  ended (self, FALSE);
}

static void
cancelled_cb (SfTrainingRun *run, SfTrainView *self)
{
  ended (self, TRUE);
}

static void
failed_cb (SfTrainingRun *run, const char *reason, SfTrainView *self)
{
  g_autofree char *text = g_strdup_printf (_("Training failed: %s"), reason);

  gtk_label_set_label (self->epoch_label, _("Training failed"));
  gtk_progress_bar_set_fraction (self->epoch_bar, 0.0);
  gtk_label_set_label (self->result_label, text);
  sf_runs_view_record_failed (self->runs_view, run, reason);
  message (self, _("Training Failed"), reason);
}

static void
threshold_changed_cb (SfTrainView *self)
{
  if (!self->shows_threshold)
    return;
  /* Translators: the similarity threshold stored with an opened model. */
  g_autofree char *result = g_strdup_printf (_("Threshold %.2f"), sf_session_get_threshold (self->session));
  gtk_label_set_label (self->result_label, result);
}

/* Shows a model opened from a file (or set elsewhere): its settings and curves. */
static void
checkpoint_changed_cb (SfTrainView *self)
{
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (self->session);

  /* Once replaced, the session has freed it: never compare with it again. */
  if (checkpoint != self->trained_checkpoint)
    self->trained_checkpoint = NULL;
  if (checkpoint == NULL || checkpoint == self->own_checkpoint)
    return;
  self->own_checkpoint = checkpoint;
  self->shows_run = FALSE;
  /* The curves leave the ended run; its model is no longer what "Use This
   * Model" would name. */
  g_clear_pointer (&self->ended_model, sf_checkpoint_free);
  update_actions (self);

  sf_training_settings_set (self->settings, &checkpoint->settings);
  int n_history = 0;
  const SfEpochRecord *history = sf_session_get_history (self->session, &n_history);
  sf_training_curves_begin (self->curves, checkpoint->settings.epochs);
  sf_training_curves_show_history (self->curves, history, n_history);

  const char *path = sf_session_get_model_path (self->session);
  g_autofree char *name = path != NULL ? g_path_get_basename (path) : g_strdup (_("model"));
  g_autofree char *epoch = g_strdup_printf (ngettext ("%s: %d epoch", "%s: %d epochs", n_history),
                                            name, n_history);
  /* A fine-tuned model says what it started from. */
  if (checkpoint->settings.init_name != NULL)
    {
      g_autofree char *tuned = g_strdup_printf (_("%s, started from %s"), epoch, checkpoint->settings.init_name);
      g_free (epoch);
      epoch = g_steal_pointer (&tuned);
    }
  /* Translators: e.g. "faces.safetensors: 40 epochs, the weights of epoch 31 (the best)". */
  g_autofree char *held = checkpoint->epoch > 0 && checkpoint->epoch < n_history
                            ? g_strdup_printf (_("%s, the weights of epoch %d (the best)"), epoch, checkpoint->epoch)
                            : NULL;
  gtk_label_set_label (self->epoch_label, held != NULL ? held : epoch);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_fraction (self->epoch_bar, 0.0);
  gtk_label_set_label (self->status_label, "");
  self->shows_threshold = TRUE;
  threshold_changed_cb (self);
}

static void
faces_changed_cb (SfTrainView *self)
{
  update_actions (self);
}

/* The model the next run starts from (Start from): none, the session's, or
 * one loaded from the chosen file into *loaded; s records its name. */
static gboolean
start_weights (SfTrainView *self, SfTrainSettings *s, SfCheckpoint **loaded, const SfCheckpoint **init,
               GError **error)
{
  g_autofree char *path = NULL;

  switch (sf_training_settings_get_start_from (self->settings))
    {
    case SF_START_CURRENT_MODEL:
      *init = sf_session_get_checkpoint (self->session);
      if (*init == NULL)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "%s",
                       _("There is no current model to start from: open or train one, or start from scratch"));
          return FALSE;
        }
      path = g_strdup (sf_session_get_model_path (self->session));
      break;
    case SF_START_MODEL_FILE:
      path = sf_training_settings_dup_init_file (self->settings);
      if (path == NULL)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "%s", _("Choose the model file to start from"));
          return FALSE;
        }
      *loaded = sf_checkpoint_load (path, error);
      if (*loaded == NULL)
        return FALSE;
      *init = *loaded;
      break;
    case SF_START_SCRATCH:
    default:
      return TRUE;
    }
  g_free (s->init_name);
  /* A model trained here and never saved has no file name. */
  s->init_name = path != NULL ? g_filename_display_basename (path) : g_strdup (_("the current model"));
  s->init_epochs = (*init)->n_history;
  return TRUE;
}

static void
init_file_chosen (gpointer owner, const char *const *paths)
{
  SfTrainView *self = owner;

  sf_training_settings_set_init_file (self->settings, paths[0]);
  sf_training_settings_set_start_from (self->settings, SF_START_MODEL_FILE);
}

static void
choose_init_file_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfTrainView *self = SF_TRAIN_VIEW (widget);
  static const char *const safetensors[] = { "safetensors", NULL };
  GtkFileChooser *chooser = sf_file_chooser_new (&self->chooser, widget, GTK_FILE_CHOOSER_ACTION_OPEN,
                                                 _("Start From a Model File"), _("_Choose"), init_file_chosen,
                                                 self);

  sf_file_chooser_add_filter (chooser, _("Models (.safetensors)"), NULL, safetensors);
  sf_file_chooser_show (chooser);
}

gboolean
sf_train_view_start (SfTrainView *self, GError **error)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);

  SfFaceList *faces = self->session != NULL ? sf_session_get_faces (self->session) : NULL;
  if (faces == NULL || self->finishing != NULL || sf_training_run_get_running (self->run))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "%s", _("Training cannot start now"));
      return FALSE;
    }

  SfTrainSettings s;
  g_autoptr (SfCheckpoint) loaded = NULL;
  const SfCheckpoint *init = NULL;
  sf_training_settings_get (self->settings, &s);
  if (!start_weights (self, &s, &loaded, &init, error))
    {
      sf_train_settings_clear (&s);
      return FALSE;
    }
  gboolean ok = sf_training_run_start_from (self->run, faces, &s, init != NULL ? init->model : NULL, error);
  if (ok)
    {
      int n;
      const SfEpochRecord *history = sf_training_run_get_history (self->run, &n);
      self->shows_run = TRUE;
      self->shows_threshold = FALSE;
      sf_training_curves_begin (self->curves, s.epochs);
      sf_training_curves_show_history (self->curves, history, n);
      gtk_label_set_label (self->result_label, "");
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      gtk_progress_bar_set_fraction (self->epoch_bar, 0.0);
      /* The last run's model, never picked, is let go with its curves. */
      g_clear_pointer (&self->ended_model, sf_checkpoint_free);
      update_actions (self);
      update_status (self);
    }
  sf_train_settings_clear (&s);
  return ok;
}

void
sf_train_view_pause (SfTrainView *self)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  sf_training_run_pause (self->run);
}

void
sf_train_view_resume (SfTrainView *self)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  sf_training_run_resume (self->run);
}

void
sf_train_view_stop (SfTrainView *self)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  sf_training_run_cancel (self->run);
}

static void
start_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfTrainView *self = SF_TRAIN_VIEW (widget);
  g_autoptr (GError) error = NULL;

  if (!sf_train_view_start (self, &error))
    message (self, _("Could Not Start Training"), error->message);
}

static void
pause_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_train_view_pause (SF_TRAIN_VIEW (widget));
}

static void
resume_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_train_view_resume (SF_TRAIN_VIEW (widget));
}

static void
pause_resume_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfTrainView *self = SF_TRAIN_VIEW (widget);

  if (sf_training_run_get_paused (self->run))
    sf_train_view_resume (self);
  else
    sf_train_view_pause (self);
}

static void
stop_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_train_view_stop (SF_TRAIN_VIEW (widget));
}

static void
use_ended_model (SfTrainView *self)
{
  SfCheckpoint *checkpoint = g_steal_pointer (&self->ended_model);
  int n = checkpoint->n_history;

  take_model (self, checkpoint);
  update_actions (self);
  /* Translators: after "Use This Model"; %d is the epochs of the run's model. */
  g_autofree char *text = g_strdup_printf (ngettext ("The run’s model (%d epoch) is now the current model",
                                                     "The run’s model (%d epochs) is now the current model", n),
                                           n);
  gtk_label_set_label (self->result_label, text);
  sf_notify_add_toast (GTK_WIDGET (self), adw_toast_new (text));
}

static void
replace_response_cb (AdwMessageDialog *dialog, const char *response, SfTrainView *self)
{
  if (g_strcmp0 (response, "replace") == 0 && self->ended_model != NULL)
    use_ended_model (self);
}

gboolean
sf_train_view_use_run (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);

  if (self->ended_model == NULL || self->session == NULL || sf_train_view_get_running (self))
    return FALSE;
  if (sf_session_get_checkpoint (self->session) == NULL || !sf_session_get_modified (self->session))
    {
      use_ended_model (self);
      return TRUE;
    }
  /* The current model has changes no file holds: say so before they go. */
  g_autofree char *current = describe_current (self);
  /* Translators: %s describes the current model, e.g. "the unsaved model of the previous run (40 epochs)". */
  g_autofree char *body = g_strdup_printf (_("The current model is %s, with changes that are not saved. "
                                             "Using this run’s model instead loses them."), current);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              _("Replace the Current Model?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "replace", _("_Replace"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "replace", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (replace_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

const SfCheckpoint *
sf_train_view_get_ended_model (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), NULL);

  return self->ended_model;
}

static void
use_run_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_train_view_use_run (SF_TRAIN_VIEW (widget));
}

gboolean
sf_train_view_export (SfTrainView *self, const char *path, GError **error)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (g_str_has_suffix (path, ".csv"))
    {
      int n;
      const SfEpochRecord *history = shown_history (self, &n);
      g_autofree char *csv = sf_history_to_csv (history, n);
      return g_file_set_contents (path, csv, -1, error);
    }
  return sf_training_curves_save (self->curves, SF_TRAINING_CURVES_BOTH, path, error);
}

static void
export_chosen (gpointer owner, const char *const *paths)
{
  SfTrainView *self = owner;
  g_autoptr (GError) error = NULL;

  if (g_str_has_prefix (self->export_kind, "loss."))
    sf_training_curves_save (self->curves, SF_TRAINING_CURVES_LOSS, paths[0], &error);
  else if (g_str_has_prefix (self->export_kind, "accuracy."))
    sf_training_curves_save (self->curves, SF_TRAINING_CURVES_ACCURACY, paths[0], &error);
  else
    sf_train_view_export (self, paths[0], &error);
  sf_notify_saved (GTK_WIDGET (self), paths[0], error);
}

static void
export_plot_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfTrainView *self = SF_TRAIN_VIEW (widget);
  const char *kind = g_variant_get_string (parameter, NULL);

  g_free (self->export_kind);
  self->export_kind = g_strdup (kind);
  sf_file_chooser_save (&self->chooser, widget, _("Export"), _("_Save"), kind, export_chosen, self);
}

static void
sf_train_view_dispose (GObject *object)
{
  SfTrainView *self = SF_TRAIN_VIEW (object);
  GtkWidget *child;

  g_clear_handle_id (&self->status_id, g_source_remove);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  if (self->finishing != NULL)
    g_cancellable_cancel (self->finishing);
  g_clear_object (&self->finishing);
  if (self->run != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->run, self);
      g_clear_object (&self->run);
    }
  sf_file_chooser_clear (&self->chooser);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (object), SF_TYPE_TRAIN_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (sf_train_view_parent_class)->dispose (object);
}

static void
sf_train_view_finalize (GObject *object)
{
  SfTrainView *self = SF_TRAIN_VIEW (object);

  g_free (self->export_kind);
  g_clear_pointer (&self->ended_model, sf_checkpoint_free);

  G_OBJECT_CLASS (sf_train_view_parent_class)->finalize (object);
}

static void
sf_train_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfTrainView *self = SF_TRAIN_VIEW (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, sf_train_view_get_running (self));
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, sf_train_view_get_paused (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The sweep (sf-sweep-dialog.c): several settings, each over seeds. */
static void
sweep_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  if (GTK_IS_WINDOW (root))
    sf_sweep_dialog_present (GTK_WINDOW (root), SF_TRAIN_VIEW (widget)->session);
}

static void
sf_train_view_class_init (SfTrainViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_train_view_dispose;
  object_class->finalize = sf_train_view_finalize;
  object_class->get_property = sf_train_view_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SF_TYPE_TRAINING_CURVES);
  g_type_ensure (SF_TYPE_RUNS_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-train-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, flap);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, settings_page);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, preset_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, spec_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, head_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, margin_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, margin_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, dropout_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, start_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, init_file_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, freeze_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, freeze_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, optimizer_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, rate_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, schedule_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, decay_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, flip_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, shift_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, rotate_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, scale_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, light_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, split_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, share_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, new_pairs_row);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, new_pairs_switch);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, start_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, pause_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, resume_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, stop_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, epoch_label);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, smoothing_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, epoch_bar);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, use_button);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, status_label);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, curves);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, pages);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, runs_view);
  gtk_widget_class_bind_template_child (widget_class, SfTrainView, result_label);

  gtk_widget_class_install_action (widget_class, "train.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "train.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "train.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "train.pause-resume", NULL, pause_resume_action);
  gtk_widget_class_install_action (widget_class, "train.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "train.export-plot", "s", export_plot_action);
  gtk_widget_class_install_action (widget_class, "train.use-run", NULL, use_run_action);
  gtk_widget_class_install_action (widget_class, "train.sweep", NULL, sweep_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F7, 0, "train.sweep", NULL);
  gtk_widget_class_install_action (widget_class, "train.choose-init-file", NULL, choose_init_file_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_u, GDK_CONTROL_MASK, "train.use-run", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "trainview");
}

static void
sf_train_view_init (SfTrainView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = sf_training_settings_dup_default ();
  self->run = sf_training_run_new ();
  g_signal_connect_swapped (self->run, "notify::running", G_CALLBACK (running_changed_cb), self);
  g_signal_connect_swapped (self->run, "notify::paused", G_CALLBACK (paused_changed_cb), self);
  g_signal_connect (self->run, "epoch", G_CALLBACK (epoch_cb), self);
  g_signal_connect (self->run, "progress", G_CALLBACK (progress_cb), self);
  g_signal_connect (self->run, "finished", G_CALLBACK (finished_cb), self);
  g_signal_connect (self->run, "cancelled", G_CALLBACK (cancelled_cb), self);
  g_signal_connect (self->run, "failed", G_CALLBACK (failed_cb), self);

  SfTrainingSettings *s = self->settings;
  sf_training_settings_bind_choice (s, "train-preset", self->preset_row, "selected", preset_names);
  sf_training_settings_bind_choice (s, "train-head", self->head_row, "selected", head_names);
  sf_training_settings_bind_choice (s, "train-optimizer", self->optimizer_row, "selected", optimizer_names);
  sf_training_settings_bind_choice (s, "train-schedule", self->schedule_row, "selected", schedule_names);
  sf_training_settings_bind_choice (s, "default-split", self->split_row, "selected", split_names);
  sf_training_settings_bind (s, "train-margin", self->margin_spin, "value");
  sf_training_settings_bind (s, "train-learning-rate", self->rate_spin, "value");
  sf_training_settings_bind (s, "train-weight-decay", self->decay_spin, "value");
  sf_training_settings_bind (s, "train-epochs", self->epochs_spin, "value");
  sf_training_settings_bind (s, "train-batch-size", self->batch_spin, "value");
  sf_training_settings_bind (s, "train-augment-flip", self->flip_switch, "active");
  sf_training_settings_bind (s, "train-augment-shift", self->shift_switch, "active");
  sf_training_settings_bind (s, "train-augment-rotate", self->rotate_switch, "active");
  sf_training_settings_bind (s, "train-augment-scale", self->scale_switch, "active");
  sf_training_settings_bind (s, "train-augment-light", self->light_switch, "active");
  sf_training_settings_bind (s, "train-new-pairs", self->new_pairs_switch, "active");
  sf_training_settings_bind (s, "default-seed", self->seed_spin, "value");
  sf_training_settings_bind (s, "train-smoothing", self->smoothing_adjustment, "value");
  sf_training_settings_bind_choice (s, "train-start-from", self->start_row, "selected", sf_start_from_names);
  sf_training_settings_bind (s, "train-freeze", self->freeze_adjustment, "value");

  g_signal_connect_object (s, "changed", G_CALLBACK (settings_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->spec_row, "apply", G_CALLBACK (spec_apply_cb), self);
  g_signal_connect_swapped (self->dropout_spin, "value-changed", G_CALLBACK (dropout_changed_cb), self);
  g_signal_connect_swapped (self->share_spin, "value-changed", G_CALLBACK (share_changed_cb), self);

  SfTrainSettings next;
  sf_training_settings_get (s, &next);
  self->shows_run = TRUE;
  sf_training_curves_begin (self->curves, next.epochs);
  sf_train_settings_clear (&next);
  gtk_label_set_label (self->epoch_label, _("Not trained yet"));

  load_unbound (self);
  update_actions (self);
}

gboolean
sf_train_view_get_running (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);

  return sf_training_run_get_running (self->run) || self->finishing != NULL;
}

gboolean
sf_train_view_get_paused (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), FALSE);

  return sf_training_run_get_paused (self->run);
}

SfTrainingCurves *
sf_train_view_get_curves (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), NULL);

  return self->curves;
}

SfRunsView *
sf_train_view_get_runs_view (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), NULL);

  return self->runs_view;
}

void
sf_train_view_show_page (SfTrainView *self, const char *name)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));
  g_return_if_fail (gtk_stack_get_child_by_name (self->pages, name) != NULL);

  gtk_stack_set_visible_child_name (self->pages, name);
}

SfTrainingRun *
sf_train_view_get_run (SfTrainView *self)
{
  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), NULL);

  return self->run;
}

const SfEpochRecord *
sf_train_view_get_history (SfTrainView *self, int *n_epochs)
{
  int n;

  g_return_val_if_fail (SF_IS_TRAIN_VIEW (self), NULL);

  const SfEpochRecord *history = shown_history (self, &n);
  if (n_epochs != NULL)
    *n_epochs = n;
  return history;
}

GtkWidget *
sf_train_view_new (void)
{
  return g_object_new (SF_TYPE_TRAIN_VIEW, NULL);
}

void
sf_train_view_set_session (SfTrainView *self, SfSession *session)
{
  g_return_if_fail (SF_IS_TRAIN_VIEW (self));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  sf_runs_view_set_session (self->runs_view, session);
  if (session != NULL)
    {
      g_signal_connect_swapped (session, "notify::checkpoint", G_CALLBACK (checkpoint_changed_cb), self);
      g_signal_connect_swapped (session, "notify::threshold", G_CALLBACK (threshold_changed_cb), self);
      g_signal_connect_swapped (session, "notify::faces", G_CALLBACK (faces_changed_cb), self);
      if (sf_session_get_checkpoint (session) != NULL)
        checkpoint_changed_cb (self);
    }
  update_actions (self);
}
