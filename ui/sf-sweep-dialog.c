/* SfSweepDialog: plans a sweep with engine/sweep.c, trains the missing runs
 * with sf_sweep_train_run on one counted worker thread (a GTask), carries
 * batch progress (coalesced: the latest only) and each recorded run onto the
 * main loop through idles that hold the task, and redraws the plots and the
 * best combination from the run store after every run. */
#include "sf-sweep-dialog.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "sf-notify.h"
#include "sf-training-settings.h"
#include "sf-worker.h"
#include "sweep.h"

/* The settings the dialog varies: names in the settings JSON. */
static const struct
{
  const char *name;
  const char *title;
} varied_settings[] = {
  { "learning_rate", N_("Learning rate") },
  { "batch_size", N_("Batch size") },
  { "epochs", N_("Epochs") },
  { "weight_decay", N_("Weight decay") },
  { "temperature", N_("Temperature") },
  { "margin", N_("Margin") },
};

/* The metric row's items, in order. */
static const SfRunResult metrics[] = {
  SF_RUN_RESULT_EER, SF_RUN_RESULT_ACCURACY, SF_RUN_RESULT_AUC, SF_RUN_RESULT_TAR_FAR_1, SF_RUN_RESULT_RANK1,
};

struct _SfSweepDialog
{
  AdwWindow parent_instance;

  /* Template widgets, in the order of varied_settings */
  AdwEntryRow *rows[G_N_ELEMENTS (varied_settings)];
  AdwEntryRow *seeds_row;
  AdwComboRow *metric_row;
  GtkLabel *status_label;
  GtkProgressBar *progress_bar;
  GtkProgressBar *epoch_bar;
  GtkLabel *best_label;
  GtkFlowBox *plots_box;
  GtkWidget *start_button;
  GtkWidget *stop_button;

  /* Owned */
  SfSession *session;
  SfTrainingSettings *settings;
  GTask *task;                 /* the sweep under way, or NULL */
  GCancellable *cancellable;
  GHashTable *planned_keys;    /* sf_run_key of every planned run */
  GStrv varied;                /* the names the last sweep varies */
  GPtrArray *plots;            /* SfSweepPlot, one per varied name */
  guint n_planned;
  guint n_done;                /* planned runs the store holds finished */
  guint n_skipped;             /* done before the sweep started */
  guint n_failed;
};

G_DEFINE_FINAL_TYPE (SfSweepDialog, sf_sweep_dialog, ADW_TYPE_WINDOW)

/* ---- the worker ---- */

typedef struct
{
  GMutex lock;
  SfTrainEvent progress;       /* the latest, under lock */
  guint run;                   /* 1-based among the runs to train, under lock */
  gboolean progress_queued;    /* an idle will show it, under lock */
  char *store_root;
  SfFaceList *faces;           /* keeps the dataset alive */
  GArray *to_train;            /* SfTrainSettings */
  GPtrArray *descriptions;     /* what each run to train varies, in words */
} SweepJob;

static void
sweep_job_free (gpointer data)
{
  SweepJob *job = data;

  g_mutex_clear (&job->lock);
  g_free (job->store_root);
  g_clear_object (&job->faces);
  g_array_unref (job->to_train);
  g_ptr_array_unref (job->descriptions);
  g_free (job);
}

typedef struct
{
  GTask *task;
  SfRun *run;                  /* recorded, or NULL with message */
  char *message;
} Delivery;

static void
delivery_free (gpointer data)
{
  Delivery *d = data;

  g_object_unref (d->task);
  g_clear_pointer (&d->run, sf_run_free);
  g_free (d->message);
  g_free (d);
}

static void refresh_results (SfSweepDialog *self);

static void
show_progress (SfSweepDialog *self, SweepJob *job)
{
  g_mutex_lock (&job->lock);
  SfTrainEvent p = job->progress;
  guint run = job->run;
  job->progress_queued = FALSE;
  g_mutex_unlock (&job->lock);

  if (run == 0)
    return;
  double within = p.n_epochs > 0 && p.n_batches > 0
                    ? ((p.epoch - 1) + (double) p.batch / p.n_batches) / p.n_epochs
                    : 0;
  guint before = self->n_skipped + run - 1;
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 self->n_planned > 0 ? MIN ((before + within) / self->n_planned, 1.0) : 0);
  /* Translators: the sweep's progress bar, e.g. "Run 3 of 8". */
  g_autofree char *runs = g_strdup_printf (_("Run %u of %u"), before + 1, self->n_planned);
  gtk_progress_bar_set_text (self->progress_bar, runs);
  gtk_progress_bar_set_fraction (self->epoch_bar, within);
  const char *what = g_ptr_array_index (job->descriptions, run - 1);
  g_autofree char *status = p.n_epochs > 0
                              /* Translators: e.g. "Run 3 of 8 (learning rate 0.003, seed 1): epoch 4 of 10". */
                              ? g_strdup_printf (_("%s (%s): epoch %d of %d"), runs, what, p.epoch, p.n_epochs)
                              : g_strdup_printf ("%s (%s)", runs, what);
  gtk_label_set_label (self->status_label, status);
}

static gboolean
progress_idle (gpointer data)
{
  GTask *task = data;
  SfSweepDialog *self = g_task_get_source_object (task);

  if (self->task == task)
    show_progress (self, g_task_get_task_data (task));
  else
    {
      SweepJob *job = g_task_get_task_data (task);
      g_mutex_lock (&job->lock);
      job->progress_queued = FALSE;
      g_mutex_unlock (&job->lock);
    }
  return G_SOURCE_REMOVE;
}

/* The trainer's thread: keeps the latest event, one idle at a time shows it. */
static void
progress_cb (const SfTrainEvent *event, gpointer data)
{
  GTask *task = data;
  SweepJob *job = g_task_get_task_data (task);
  gboolean queue;

  if (event->kind != SF_TRAIN_EVENT_BATCH && event->kind != SF_TRAIN_EVENT_EPOCH
      && event->kind != SF_TRAIN_EVENT_STARTED)
    return;
  g_mutex_lock (&job->lock);
  job->progress = *event;
  job->progress.message = NULL;
  queue = !job->progress_queued;
  job->progress_queued = TRUE;
  g_mutex_unlock (&job->lock);
  if (queue)
    g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, progress_idle, g_object_ref (task), g_object_unref);
}

static gboolean
delivered_idle (gpointer data)
{
  Delivery *d = data;
  SfSweepDialog *self = g_task_get_source_object (d->task);

  if (self->task != d->task)
    return G_SOURCE_REMOVE;
  if (d->run == NULL || d->run->status == SF_RUN_FAILED)
    self->n_failed++;
  if (d->run == NULL)
    {
      /* Translators: a run of a sweep could not be recorded; %s says why. */
      g_autofree char *text = g_strdup_printf (_("A run could not be kept: %s"), d->message);
      gtk_label_set_label (self->best_label, text);
    }
  if (self->session != NULL)
    sf_session_runs_changed (self->session);
  refresh_results (self);
  return G_SOURCE_REMOVE;
}

static void
sweep_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SweepJob *job = task_data;
  g_autoptr (SfRunStore) store = sf_run_store_new (job->store_root);
  const SfDataset *dataset = sf_face_list_get_dataset (job->faces);

  for (guint k = 0; k < job->to_train->len && !g_cancellable_is_cancelled (cancellable); k++)
    {
      GError *error = NULL;
      g_mutex_lock (&job->lock);
      job->run = k + 1;
      memset (&job->progress, 0, sizeof job->progress);
      g_mutex_unlock (&job->lock);
      progress_cb (&(SfTrainEvent) { .kind = SF_TRAIN_EVENT_STARTED }, task);
      Delivery *d = g_new0 (Delivery, 1);
      d->task = g_object_ref (task);
      /* A failed run is recorded as failed and the sweep goes on. */
      d->run = sf_sweep_train_run (store, dataset, &g_array_index (job->to_train, SfTrainSettings, k), TRUE,
                                   progress_cb, task, cancellable, &error);
      if (d->run == NULL)
        {
          d->message = g_strdup (error->message);
          g_error_free (error);
        }
      g_idle_add_full (G_PRIORITY_DEFAULT, delivered_idle, d, delivery_free);
    }
  g_task_return_boolean (task, TRUE);
}

/* ---- results ---- */

static SfRunResult
current_metric (SfSweepDialog *self)
{
  guint i = adw_combo_row_get_selected (self->metric_row);
  return metrics[i < G_N_ELEMENTS (metrics) ? i : 0];
}

static const char *
setting_title (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (varied_settings); i++)
    if (g_str_equal (name, varied_settings[i].name))
      return _(varied_settings[i].title);
  return name;
}

static const char *
metric_title (SfRunResult metric)
{
  switch (metric)
    {
    case SF_RUN_RESULT_ACCURACY:
      return _("Validation accuracy");
    case SF_RUN_RESULT_AUC:
      return _("ROC AUC");
    case SF_RUN_RESULT_TAR_FAR_1:
      return _("TAR at FAR 1 %");
    case SF_RUN_RESULT_RANK1:
      return _("Rank-1");
    case SF_RUN_RESULT_EER:
    default:
      return _("EER");
    }
}

static double
setting_value (const SfRun *run, const char *name)
{
  g_autofree char *text = sf_run_get_setting (run, name);
  return text != NULL ? g_ascii_strtod (text, NULL) : NAN;
}

/* The store's finished runs of the planned ones, the latest of each (as the
 * CLI's summary), oldest first; the store's array keeps them. */
static GPtrArray *
planned_runs (SfSweepDialog *self, GPtrArray **all)
{
  GPtrArray *chosen = g_ptr_array_new ();

  *all = NULL;
  if (self->session == NULL || self->planned_keys == NULL)
    return chosen;
  *all = sf_run_store_list (sf_session_get_run_store (self->session), NULL, NULL);
  if (*all == NULL)
    return chosen;
  g_autoptr (GHashTable) latest = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint k = 0; k < (*all)->len; k++)
    {
      SfRun *run = (*all)->pdata[k];
      if (run->status == SF_RUN_FINISHED && g_hash_table_contains (self->planned_keys, run->key))
        g_hash_table_insert (latest, run->key, run);
    }
  for (guint k = 0; k < (*all)->len; k++)
    if (g_hash_table_lookup (latest, ((SfRun *) (*all)->pdata[k])->key) == (*all)->pdata[k])
      g_ptr_array_add (chosen, (*all)->pdata[k]);
  return chosen;
}

static char *
describe_group (SfSweepDialog *self, const SfRun *example)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; self->varied != NULL && self->varied[i] != NULL; i++)
    {
      g_autofree char *value = sf_run_get_setting (example, self->varied[i]);
      g_string_append_printf (text, "%s%s %s", text->len > 0 ? ", " : "", setting_title (self->varied[i]),
                              value != NULL ? value : "");
    }
  if (text->len == 0)
    g_string_append (text, _("the Train view’s settings"));
  return g_string_free (text, FALSE);
}

static void
refresh_results (SfSweepDialog *self)
{
  SfRunResult metric = current_metric (self);
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) chosen = planned_runs (self, &all);
  g_autoptr (GPtrArray) summaries = sf_runs_summarize ((SfRun *const *) chosen->pdata, chosen->len, metric);

  self->n_done = chosen->len;
  for (guint p = 0; p < self->plots->len; p++)
    {
      const char *name = self->varied[p];
      SfSweepPlot *plot = g_ptr_array_index (self->plots, p);
      g_autofree SfPlotPoint *runs = g_new0 (SfPlotPoint, MAX (chosen->len, 1));
      g_autofree SfPlotPoint *means = g_new0 (SfPlotPoint, MAX (summaries->len, 1));
      for (guint k = 0; k < chosen->len; k++)
        {
          const SfRun *run = chosen->pdata[k];
          runs[k] = (SfPlotPoint) { setting_value (run, name), run->final.values[metric] };
        }
      for (guint g = 0; g < summaries->len; g++)
        {
          const SfRunGroupSummary *s = summaries->pdata[g];
          means[g] = (SfPlotPoint) { setting_value (s->example, name), s->mean[metric] };
        }
      sf_sweep_plot_set_axes (plot, setting_title (name), metric_title (metric),
                              !sf_run_result_higher_is_better (metric));
      sf_sweep_plot_set_points (plot, runs, chosen->len, means, summaries->len);
    }

  const SfRunGroupSummary *best = summaries->len > 0 ? summaries->pdata[0] : NULL;
  if (best != NULL && isfinite (best->mean[metric]))
    {
      g_autofree char *what = describe_group (self, best->example);
      /* Translators: the best combination of a sweep, e.g.
       * "Best so far: Learning rate 0.003 — EER 0.050 ± 0.010 over 2 runs". */
      g_autofree char *text = g_strdup_printf (ngettext ("Best so far: %s — %s %.3f ± %.3f over %d run",
                                                         "Best so far: %s — %s %.3f ± %.3f over %d runs",
                                                         best->n_runs),
                                               what, metric_title (metric), best->mean[metric], best->sd[metric],
                                               best->n_runs);
      gtk_label_set_label (self->best_label, text);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sweep.use-best", best != NULL && isfinite (best->mean[metric]));
}

/* ---- actions ---- */

static void
update_actions (SfSweepDialog *self)
{
  gboolean running = self->task != NULL;
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  /* The focus goes from the button turned off to the one turned on, never
   * to wherever GTK would move it (a text row). */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), running ? "sweep.stop" : "sweep.start", TRUE);
  if (focus == self->start_button || focus == self->stop_button || focus == NULL)
    gtk_widget_grab_focus (running ? self->stop_button : self->start_button);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), running ? "sweep.start" : "sweep.stop", FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (varied_settings); i++)
    gtk_widget_set_sensitive (GTK_WIDGET (self->rows[i]), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->seeds_row), !running);
}

static void
sweep_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  SfSweepDialog *self = SF_SWEEP_DIALOG (source);
  gboolean stopped;

  if (self->task != G_TASK (result))
    return;
  stopped = g_cancellable_is_cancelled (self->cancellable);
  g_clear_object (&self->task);
  g_clear_object (&self->cancellable);
  refresh_results (self);
  gtk_progress_bar_set_fraction (self->epoch_bar, 0);
  gtk_progress_bar_set_fraction (self->progress_bar, self->n_planned > 0 ? (double) self->n_done / self->n_planned : 0);
  /* Translators: the sweep's progress bar at its end, e.g. "4 of 4 runs done". */
  g_autofree char *done = g_strdup_printf (_("%u of %u runs done"), self->n_done, self->n_planned);
  gtk_progress_bar_set_text (self->progress_bar, done);
  g_autofree char *failed = self->n_failed > 0
                              ? g_strdup_printf (ngettext ("%u run failed (its message is in the Runs table).",
                                                           "%u runs failed (their messages are in the Runs table).",
                                                           self->n_failed),
                                                 self->n_failed)
                              : g_strdup ("");
  /* Translators: %s is "", or how many runs failed. */
  g_autofree char *text = g_strdup_printf (stopped ? _("Sweep stopped: the finished runs are kept; start it again to "
                                                       "train only what is missing. %s")
                                                   : _("Sweep finished. %s"),
                                           failed);
  gtk_label_set_label (self->status_label, text);
  update_actions (self);
}

static void
clear_plots (SfSweepDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->plots_box))) != NULL)
    gtk_flow_box_remove (self->plots_box, child);
  g_ptr_array_set_size (self->plots, 0);
}

/* "0.001, 0.003" → "0.001,0.003". */
static char *
squeeze (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

static char *
describe_planned (const SfTrainSettings *settings, GStrv varied)
{
  g_autoptr (SfRun) probe = g_new0 (SfRun, 1);
  GString *text = g_string_new (NULL);

  probe->settings_json = sf_train_settings_to_json (settings);
  for (guint i = 0; varied[i] != NULL; i++)
    {
      g_autofree char *value = sf_run_get_setting (probe, varied[i]);
      g_string_append_printf (text, "%s %s, ", setting_title (varied[i]), value != NULL ? value : "");
    }
  /* Translators: part of a sweep run's description, e.g. "Learning rate 0.003, seed 1". */
  g_string_append_printf (text, _("seed %llu"), (unsigned long long) settings->seed);
  return g_string_free (text, FALSE);
}

gboolean
sf_sweep_dialog_start (SfSweepDialog *self, GError **error)
{
  g_return_val_if_fail (SF_IS_SWEEP_DIALOG (self), FALSE);

  SfFaceList *faces = self->session != NULL ? sf_session_get_faces (self->session) : NULL;
  if (self->task != NULL || self->session == NULL || sf_session_get_training (self->session))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "%s",
                   _("A training run is under way: the sweep can start once it has ended."));
      return FALSE;
    }
  if (faces == NULL || sf_face_list_get_dataset (faces) == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "%s", _("Open a dataset first: the sweep trains on it."));
      return FALSE;
    }

  SfTrainSettings base;
  sf_training_settings_get (self->settings, &base);
  g_autoptr (SfSweep) sweep = sf_sweep_new (&base);
  sf_train_settings_clear (&base);
  g_autoptr (GStrvBuilder) varied = g_strv_builder_new ();
  for (guint i = 0; i < G_N_ELEMENTS (varied_settings); i++)
    {
      g_autofree char *values = squeeze (gtk_editable_get_text (GTK_EDITABLE (self->rows[i])));
      if (*values == '\0')
        continue;
      g_autofree char *spec = g_strdup_printf ("%s=%s", varied_settings[i].name, values);
      if (!sf_sweep_add_grid (sweep, spec, error))
        return FALSE;
      g_strv_builder_add (varied, varied_settings[i].name);
    }
  g_autofree char *seeds = squeeze (gtk_editable_get_text (GTK_EDITABLE (self->seeds_row)));
  if (*seeds != '\0' && !sf_sweep_set_seeds (sweep, seeds, error))
    return FALSE;
  int n_combinations = 0;
  g_autoptr (GArray) planned = sf_sweep_expand (sweep, &n_combinations, error);
  if (planned == NULL)
    return FALSE;
  g_autoptr (GHashTable) finished = sf_sweep_finished_keys (sf_session_get_run_store (self->session), error);
  if (finished == NULL)
    return FALSE;

  /* The runs the store holds finished are not trained again. */
  const char *fingerprint = sf_face_list_get_fingerprint (faces);
  g_clear_pointer (&self->varied, g_strfreev);
  self->varied = g_strv_builder_end (varied);
  g_clear_pointer (&self->planned_keys, g_hash_table_unref);
  self->planned_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  SweepJob *job = g_new0 (SweepJob, 1);
  g_mutex_init (&job->lock);
  job->to_train = g_array_new (FALSE, TRUE, sizeof (SfTrainSettings));
  g_array_set_clear_func (job->to_train, (GDestroyNotify) sf_train_settings_clear);
  job->descriptions = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < planned->len; k++)
    {
      const SfTrainSettings *settings = &g_array_index (planned, SfTrainSettings, k);
      char *key = sf_run_key (settings, fingerprint);
      gboolean done = g_hash_table_contains (finished, key);
      g_hash_table_add (self->planned_keys, key);
      if (done)
        continue;
      SfTrainSettings copy = { 0 };
      sf_train_settings_copy (&copy, settings);
      g_array_append_val (job->to_train, copy);
      g_ptr_array_add (job->descriptions, describe_planned (settings, self->varied));
    }
  job->store_root = g_strdup (sf_run_store_get_root (sf_session_get_run_store (self->session)));
  job->faces = g_object_ref (faces);
  self->n_planned = planned->len;
  self->n_skipped = planned->len - job->to_train->len;
  self->n_failed = 0;

  clear_plots (self);
  for (guint i = 0; self->varied[i] != NULL; i++)
    {
      GtkWidget *plot = sf_sweep_plot_new ();
      gtk_flow_box_append (self->plots_box, plot);
      g_ptr_array_add (self->plots, plot);
    }
  gtk_label_set_label (self->best_label, "");
  refresh_results (self);
  /* Translators: when a sweep starts, e.g. "Sweep of 2 combinations × 2 seeds: 4 runs, 1 already done". */
  g_autofree char *text = g_strdup_printf (_("Sweep of %d combinations × %u seeds: %u runs, %u already done"),
                                           n_combinations, planned->len / MAX (n_combinations, 1), planned->len,
                                           self->n_skipped);
  gtk_label_set_label (self->status_label, text);
  gtk_progress_bar_set_fraction (self->progress_bar, self->n_planned > 0 ? (double) self->n_skipped / self->n_planned : 0);
  gtk_progress_bar_set_fraction (self->epoch_bar, 0);

  self->cancellable = g_cancellable_new ();
  self->task = g_task_new (self, self->cancellable, sweep_done_cb, NULL);
  g_task_set_task_data (self->task, job, sweep_job_free);
  g_task_set_check_cancellable (self->task, FALSE);
  sf_worker_run_in_thread (self->task, sweep_thread);
  update_actions (self);
  return TRUE;
}

void
sf_sweep_dialog_stop (SfSweepDialog *self)
{
  g_return_if_fail (SF_IS_SWEEP_DIALOG (self));

  if (self->cancellable == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  gtk_label_set_label (self->status_label, _("Stopping the run under way…"));
}

gboolean
sf_sweep_dialog_get_running (SfSweepDialog *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_DIALOG (self), FALSE);

  return self->task != NULL;
}

gboolean
sf_sweep_dialog_use_best (SfSweepDialog *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_DIALOG (self), FALSE);

  SfRunResult metric = current_metric (self);
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) chosen = planned_runs (self, &all);
  g_autoptr (GPtrArray) summaries = sf_runs_summarize ((SfRun *const *) chosen->pdata, chosen->len, metric);
  const SfRunGroupSummary *best = summaries->len > 0 ? summaries->pdata[0] : NULL;

  if (best == NULL || !isfinite (best->mean[metric]))
    return FALSE;
  /* The combination's settings; the seed stays the form's (a group is every seed). */
  SfTrainSettings form, chosen_settings = { 0 };
  sf_training_settings_get (self->settings, &form);
  sf_train_settings_copy (&chosen_settings, &best->example->settings);
  chosen_settings.seed = form.seed;
  sf_training_settings_set (self->settings, &chosen_settings);
  sf_train_settings_clear (&form);
  sf_train_settings_clear (&chosen_settings);
  g_autofree char *what = describe_group (self, best->example);
  /* Translators: %s lists the best combination's values, e.g. "Learning rate 0.003". */
  g_autofree char *text = g_strdup_printf (_("The training settings are now the best combination’s: %s."), what);
  gtk_label_set_label (self->status_label, text);
  return TRUE;
}

static void
start_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfSweepDialog *self = SF_SWEEP_DIALOG (widget);
  g_autoptr (GError) error = NULL;

  if (!sf_sweep_dialog_start (self, &error))
    sf_notify_message (widget, _("Could Not Start the Sweep"), error->message);
}

static void
stop_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_sweep_dialog_stop (SF_SWEEP_DIALOG (widget));
}

static void
use_best_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_sweep_dialog_use_best (SF_SWEEP_DIALOG (widget));
}

static void
metric_changed_cb (SfSweepDialog *self)
{
  refresh_results (self);
}

static void
runs_changed_cb (SfSweepDialog *self)
{
  /* A run renamed or deleted elsewhere: the plots follow the store. */
  if (self->task == NULL)
    refresh_results (self);
}

/* ---- the object ---- */

static void
sf_sweep_dialog_dispose (GObject *object)
{
  SfSweepDialog *self = SF_SWEEP_DIALOG (object);

  /* The worker stops within a batch; its idles see the task is no longer ours. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->task);
  g_clear_object (&self->cancellable);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (sf_sweep_dialog_parent_class)->dispose (object);
}

static void
sf_sweep_dialog_finalize (GObject *object)
{
  SfSweepDialog *self = SF_SWEEP_DIALOG (object);

  g_clear_pointer (&self->planned_keys, g_hash_table_unref);
  g_strfreev (self->varied);
  g_ptr_array_unref (self->plots);
  G_OBJECT_CLASS (sf_sweep_dialog_parent_class)->finalize (object);
}

static void
sf_sweep_dialog_class_init (SfSweepDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const char *row_ids[] = { "rate_row", "batch_row", "epochs_row", "decay_row", "temperature_row", "margin_row" };

  G_STATIC_ASSERT (G_N_ELEMENTS (row_ids) == G_N_ELEMENTS (varied_settings));
  object_class->dispose = sf_sweep_dialog_dispose;
  object_class->finalize = sf_sweep_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-sweep-dialog.ui");
  for (guint i = 0; i < G_N_ELEMENTS (row_ids); i++)
    gtk_widget_class_bind_template_child_full (widget_class, row_ids[i], FALSE,
                                               G_STRUCT_OFFSET (SfSweepDialog, rows) + i * sizeof (AdwEntryRow *));
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, seeds_row);
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, metric_row);
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, epoch_bar);
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, best_label);
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, plots_box);
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, start_button);
  gtk_widget_class_bind_template_child (widget_class, SfSweepDialog, stop_button);

  gtk_widget_class_install_action (widget_class, "sweep.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "sweep.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "sweep.use-best", NULL, use_best_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "sweep.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "sweep.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, GDK_SHIFT_MASK, "sweep.stop", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, GDK_CONTROL_MASK, "sweep.use-best", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sf_sweep_dialog_init (SfSweepDialog *self)
{
  g_type_ensure (SF_TYPE_SWEEP_PLOT);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->plots = g_ptr_array_new ();
  self->settings = sf_training_settings_dup_default ();
  g_signal_connect_swapped (self->metric_row, "notify::selected", G_CALLBACK (metric_changed_cb), self);
  update_actions (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sweep.use-best", FALSE);
}

static void
forget_dialog_cb (GtkWindow *parent)
{
  g_object_set_data (G_OBJECT (parent), "sf-sweep-dialog", NULL);
}

SfSweepDialog *
sf_sweep_dialog_present (GtkWindow *parent, SfSession *session)
{
  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);

  SfSweepDialog *self = g_object_get_data (G_OBJECT (parent), "sf-sweep-dialog");
  if (self == NULL)
    {
      /* Destroyed with its window (a sweep under way stops there); not the
       * application's, so a hidden dialog never keeps it running. */
      self = g_object_new (SF_TYPE_SWEEP_DIALOG, "transient-for", parent, "destroy-with-parent", TRUE, NULL);
      g_object_set_data (G_OBJECT (parent), "sf-sweep-dialog", self);
      g_signal_connect_object (self, "destroy", G_CALLBACK (forget_dialog_cb), parent, G_CONNECT_SWAPPED);
    }
  if (self->session != session)
    {
      if (self->session != NULL)
        g_signal_handlers_disconnect_by_data (self->session, self);
      g_set_object (&self->session, session);
      if (session != NULL)
        g_signal_connect_swapped (session, "runs-changed", G_CALLBACK (runs_changed_cb), self);
    }
  gtk_window_present (GTK_WINDOW (self));
  return self;
}

void
sf_sweep_dialog_set_values (SfSweepDialog *self, const char *setting, const char *values)
{
  g_return_if_fail (SF_IS_SWEEP_DIALOG (self));

  for (guint i = 0; i < G_N_ELEMENTS (varied_settings); i++)
    if (g_str_equal (setting, varied_settings[i].name))
      gtk_editable_set_text (GTK_EDITABLE (self->rows[i]), values != NULL ? values : "");
}

void
sf_sweep_dialog_set_seeds (SfSweepDialog *self, const char *seeds)
{
  g_return_if_fail (SF_IS_SWEEP_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->seeds_row), seeds);
}

void
sf_sweep_dialog_set_metric (SfSweepDialog *self, SfRunResult metric)
{
  g_return_if_fail (SF_IS_SWEEP_DIALOG (self));

  for (guint i = 0; i < G_N_ELEMENTS (metrics); i++)
    if (metrics[i] == metric)
      adw_combo_row_set_selected (self->metric_row, i);
}

guint
sf_sweep_dialog_get_n_planned (SfSweepDialog *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_DIALOG (self), 0);

  return self->n_planned;
}

guint
sf_sweep_dialog_get_n_done (SfSweepDialog *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_DIALOG (self), 0);

  return self->n_done;
}

guint
sf_sweep_dialog_get_n_plots (SfSweepDialog *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_DIALOG (self), 0);

  return self->plots->len;
}

SfSweepPlot *
sf_sweep_dialog_get_plot (SfSweepDialog *self, guint index)
{
  g_return_val_if_fail (SF_IS_SWEEP_DIALOG (self) && index < self->plots->len, NULL);

  return g_ptr_array_index (self->plots, index);
}
