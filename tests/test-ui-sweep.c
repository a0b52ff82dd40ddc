/* The sweep in the real window under Xvfb: opened from the Train view (its
 * action and F7), a two-point sweep over the learning rate on the demo faces
 * fills the Runs table while it runs, plots the metric against the
 * learning rate (a dot per run, the means marked), and "Use Best Settings"
 * writes the better learning rate into the training settings; started again
 * it trains nothing (resume); Stop keeps the run under way as stopped; a
 * model file's epoch shows in the Train view; a training run that failed is
 * kept, marked failed with its message; "Group Seeds" shows one row per
 * run group, its runs counted and each result as the engine's mean ± sd. */
#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "sf-application.h"
#include "sf-runs-view.h"
#include "sf-screenshots.h"
#include "sf-sweep-dialog.h"
#include "sf-test-files.h"
#include "sf-test-ui.h"
#include "sf-train-view.h"
#include "sf-training-run.h"
#include "sf-training-settings.h"
#include "sf-window.h"

static SfApplication *app;
static SfWindow *window;
static char *tmp_dir;
static GSettings *settings;

static SfTrainView *
view (void)
{
  return sf_window_get_train_view (window);
}

static SfSession *
session (void)
{
  return sf_window_get_session (window);
}

static SfRunsView *
runs_view (void)
{
  return sf_train_view_get_runs_view (view ());
}

static void
drain (void)
{
  for (int i = 0; i < 3; i++)
    sf_test_drain ();
}

static SfSweepDialog *
open_dialog (void)
{
  /* Under Xvfb without a window manager no focus-out reaches a text field
   * of the window the dialog covers, and GTK warns: leave none focused. */
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "train.sweep", NULL));
  sf_test_wait_toplevel_shown (SF_TYPE_SWEEP_DIALOG, "the sweep dialog");
  return SF_SWEEP_DIALOG (sf_test_find_toplevel (SF_TYPE_SWEEP_DIALOG));
}

static gboolean
sweep_ended (gpointer data)
{
  return !sf_sweep_dialog_get_running (data);
}

/* What the Runs table held each time the session said the runs changed,
 * while the sweep was still running. */
typedef struct {
  SfSweepDialog *dialog;
  GArray *counts_while_running;   /* guint */
} Watch;

static void
runs_changed_cb (SfSession *s, Watch *watch)
{
  guint n = sf_runs_view_get_n_runs (runs_view ());
  if (watch->dialog != NULL && sf_sweep_dialog_get_running (watch->dialog))
    g_array_append_val (watch->counts_while_running, n);
}

static double
setting_number (const SfRun *run, const char *name)
{
  g_autofree char *text = sf_run_get_setting (run, name);
  g_assert_nonnull (text);
  return g_ascii_strtod (text, NULL);
}

static void
test_two_point_sweep (void)
{
  g_settings_set_string (settings, "train-preset", "compact");
  drain ();
  g_settings_set_int (settings, "train-epochs", 2);
  g_settings_set_double (settings, "train-learning-rate", 0.0005);
  drain ();
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs_view ()), ==, 0);

  SfSweepDialog *dialog = open_dialog ();
  Watch watch = { dialog, g_array_new (FALSE, FALSE, sizeof (guint)) };
  gulong handler = g_signal_connect (session (), "runs-changed", G_CALLBACK (runs_changed_cb), &watch);
  sf_sweep_dialog_set_values (dialog, "learning_rate", "0.001, 0.003");
  sf_sweep_dialog_set_seeds (dialog, "0");
  sf_sweep_dialog_set_metric (dialog, SF_RUN_RESULT_EER);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "sweep.start", NULL));
  g_assert_true (sf_sweep_dialog_get_running (dialog));
  g_assert_cmpuint (sf_sweep_dialog_get_n_planned (dialog), ==, 2);
  sf_test_wait_until (sweep_ended, dialog, "the sweep to end");
  drain ();
  g_signal_handler_disconnect (session (), handler);

  /* The table filled as the sweep went: one run listed while the second trained. */
  gboolean one_while_running = FALSE;
  for (guint i = 0; i < watch.counts_while_running->len; i++)
    one_while_running |= g_array_index (watch.counts_while_running, guint, i) == 1;
  g_assert_true (one_while_running);
  g_array_unref (watch.counts_while_running);
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs_view ()), ==, 2);
  g_assert_cmpuint (sf_sweep_dialog_get_n_done (dialog), ==, 2);
  const SfRun *runs[2] = { sf_runs_view_get_run (runs_view (), 0), sf_runs_view_get_run (runs_view (), 1) };
  for (guint k = 0; k < 2; k++)
    {
      g_assert_cmpint (runs[k]->status, ==, SF_RUN_FINISHED);
      g_assert_cmpint (runs[k]->n_history, ==, 2);
      g_assert_true (isfinite (runs[k]->final.values[SF_RUN_RESULT_EER]));
    }
  g_assert_cmpfloat_with_epsilon (setting_number (runs[0], "learning_rate"), 0.001, 1e-9);
  g_assert_cmpfloat_with_epsilon (setting_number (runs[1], "learning_rate"), 0.003, 1e-9);

  /* One plot, the learning rate: a dot per run at its rate and EER, a mean per combination. */
  g_assert_cmpuint (sf_sweep_dialog_get_n_plots (dialog), ==, 1);
  SfSweepPlot *plot = sf_sweep_dialog_get_plot (dialog, 0);
  g_assert_cmpuint (sf_sweep_plot_get_n_runs (plot), ==, 2);
  g_assert_cmpuint (sf_sweep_plot_get_n_means (plot), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const SfPlotPoint *p = sf_sweep_plot_get_run (plot, i);
      const SfRun *run = fabs (p->x - 0.001) < 1e-9 ? runs[0] : runs[1];
      g_assert_cmpfloat_with_epsilon (p->x, setting_number (run, "learning_rate"), 1e-9);
      g_assert_cmpfloat (p->y, ==, run->final.values[SF_RUN_RESULT_EER]);
      /* One seed: the mean is the run's value. */
      const SfPlotPoint *m = sf_sweep_plot_get_mean (plot, i);
      const SfRun *of = fabs (m->x - 0.001) < 1e-9 ? runs[0] : runs[1];
      g_assert_cmpfloat (m->y, ==, of->final.values[SF_RUN_RESULT_EER]);
    }
  g_assert_nonnull (strstr (sf_sweep_plot_get_description (plot), "2 runs"));
  sf_test_settle (dialog);

  /* Use Best Settings: the learning rate with the lower EER (either on a tie) replaces 0.0005. */
  double eer0 = runs[0]->final.values[SF_RUN_RESULT_EER], eer1 = runs[1]->final.values[SF_RUN_RESULT_EER];
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "sweep.use-best", NULL));
  drain ();
  double rate = g_settings_get_double (settings, "train-learning-rate");
  if (eer0 < eer1)
    g_assert_cmpfloat_with_epsilon (rate, 0.001, 1e-7);
  else if (eer1 < eer0)
    g_assert_cmpfloat_with_epsilon (rate, 0.003, 1e-7);
  else
    g_assert_true (fabs (rate - 0.001) < 1e-7 || fabs (rate - 0.003) < 1e-7);
  g_assert_cmpint (g_settings_get_int (settings, "train-epochs"), ==, 2);

  /* Started again with the same values: both runs are in the store, none is trained. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "sweep.start", NULL));
  sf_test_wait_until (sweep_ended, dialog, "the resumed sweep to end");
  drain ();
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs_view ()), ==, 2);
  g_assert_cmpuint (sf_sweep_dialog_get_n_done (dialog), ==, 2);
  gtk_window_close (GTK_WINDOW (dialog));
  sf_test_wait_toplevel_gone (SF_TYPE_SWEEP_DIALOG, "the sweep dialog to hide");
}

/* The run under way has trained a batch: the run's bar (no text) moved. */
static gboolean
run_under_way (gpointer data)
{
  GtkWidget *stack[512];
  int n = 0;

  if (!sf_sweep_dialog_get_running (data))
    return TRUE;
  stack[n++] = GTK_WIDGET (data);
  while (n > 0)
    {
      GtkWidget *widget = stack[--n];
      if (GTK_IS_PROGRESS_BAR (widget) && !gtk_progress_bar_get_show_text (GTK_PROGRESS_BAR (widget)))
        return gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (widget)) > 0;
      for (GtkWidget *child = gtk_widget_get_last_child (widget); child != NULL && n < 512;
           child = gtk_widget_get_prev_sibling (child))
        stack[n++] = child;
    }
  return FALSE;
}

static void
test_stop (void)
{
  g_settings_set_int (settings, "train-epochs", 200);
  drain ();
  SfSweepDialog *dialog = open_dialog ();
  sf_sweep_dialog_set_values (dialog, "learning_rate", "0.002, 0.004");
  sf_sweep_dialog_set_seeds (dialog, "0");
  g_autoptr (GError) error = NULL;
  g_assert_true (sf_sweep_dialog_start (dialog, &error));
  g_assert_no_error (error);
  sf_test_wait_until (run_under_way, dialog, "the first run to train a batch");
  g_assert_true (sf_sweep_dialog_get_running (dialog));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "sweep.stop", NULL));
  sf_test_wait_until (sweep_ended, dialog, "the stopped sweep to end");
  drain ();
  /* The run under way is kept, stopped; the next one never started. */
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs_view ()), ==, 3);
  const SfRun *stopped = sf_runs_view_get_run (runs_view (), 2);
  g_assert_cmpint (stopped->status, ==, SF_RUN_STOPPED);
  g_assert_cmpint (stopped->n_history, <, 200);
  g_assert_cmpfloat_with_epsilon (setting_number (stopped, "learning_rate"), 0.002, 1e-9);
  gtk_window_close (GTK_WINDOW (dialog));
  sf_test_wait_toplevel_gone (SF_TYPE_SWEEP_DIALOG, "the sweep dialog to hide");
}

/* The model a run kept says which epoch it holds, and the Train view shows it. */
static void
test_epoch_shown (void)
{
  const SfRun *run = sf_runs_view_get_run (runs_view (), 0);
  g_autofree char *path = sf_run_get_model_path (run);
  g_autoptr (GError) error = NULL;
  g_autoptr (SfCheckpoint) checkpoint = sf_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (checkpoint->epoch, ==, 2);
  g_assert_cmpint (checkpoint->kept, ==, SF_KEEP_LAST);

  /* A model that holds an earlier epoch than its last: the header says so. */
  checkpoint->epoch = 1;
  checkpoint->kept = SF_KEEP_BEST_LOSS;
  g_autofree char *best = g_build_filename (tmp_dir, "best.safetensors", NULL);
  g_assert_true (sf_checkpoint_write (best, checkpoint, 0.5f, &error));
  g_assert_no_error (error);
  sf_session_set_checkpoint (session (), g_steal_pointer (&checkpoint), best);
  drain ();
  GtkWidget *stack[512];
  int n = 0;
  gboolean found = FALSE;
  stack[n++] = GTK_WIDGET (view ());
  while (n > 0 && !found)
    {
      GtkWidget *widget = stack[--n];
      if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_label (GTK_LABEL (widget)), "the weights of epoch 1") != NULL)
        found = TRUE;
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && n < 512;
           child = gtk_widget_get_next_sibling (child))
        stack[n++] = child;
    }
  g_assert_true (found);
}

static gboolean
training_ended (gpointer data)
{
  return !sf_training_run_get_running (data);
}

static gboolean
runs_listed (gpointer data)
{
  return sf_runs_view_get_n_runs (runs_view ()) == GPOINTER_TO_UINT (data);
}

/* A run recorded while the Compare Runs page is hidden (the end of a training
 * run, a sweep, the command line) is read from the store when the page is
 * shown, not at once: reading parses every run's file on the main thread,
 * and with seventy runs stored it stalled the window for 280 ms at the end
 * of every training run. */
static void
test_runs_read_when_shown (void)
{
  GtkStack *pages = GTK_STACK (gtk_widget_get_parent (GTK_WIDGET (runs_view ())));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "train"));
  gtk_stack_set_visible_child_name (pages, "curves");
  sf_test_settle (window);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (runs_view ())));
  guint before = sf_runs_view_get_n_runs (runs_view ());
  g_assert_false (sf_runs_view_get_stale (runs_view ()));

  SfTrainSettings s;
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTrainingSettings) store = sf_training_settings_dup_default ();
  sf_training_settings_get (store, &s);
  g_autoptr (SfRun) recorded = sf_run_store_record_failure (sf_session_get_run_store (session ()), &s, NULL, NULL,
                                                            "recorded while the page was hidden", 0.5, &error);
  sf_train_settings_clear (&s);
  g_assert_no_error (error);
  sf_session_runs_changed (session ());
  g_assert_true (sf_runs_view_get_stale (runs_view ()));

  gtk_stack_set_visible_child_name (pages, "runs");
  sf_test_settle (window);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (runs_view ())));
  g_assert_false (sf_runs_view_get_stale (runs_view ()));
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs_view ()), ==, before + 1);
  g_assert_cmpstr (sf_runs_view_get_run (runs_view (), before)->message, ==, "recorded while the page was hidden");
}

/* Rows the table gained in each frame while the view filled it. */
typedef struct {
  GdkFrameClock *clock;
  GHashTable *growth;             /* frame counter → rows gained */
} FillWatch;

static void
table_changed_cb (GListModel *model, guint position, guint removed, guint added, FillWatch *watch)
{
  gpointer frame = GSIZE_TO_POINTER ((gsize) gdk_frame_clock_get_frame_counter (watch->clock));
  gssize gained = GPOINTER_TO_SIZE (g_hash_table_lookup (watch->growth, frame));
  g_hash_table_insert (watch->growth, frame, GSIZE_TO_POINTER (gained + (gssize) added - (gssize) removed));
}

static gboolean
runs_loaded (gpointer data)
{
  return !sf_runs_view_get_loading (data);
}

/* Shown with many runs stored, the view reads them on a worker and fills
 * its table a few rows a frame: 112 runs read and added at once on the
 * main thread stalled the window for 400 ms while a model trained. */
static void
test_runs_filled_over_frames (void)
{
  GtkStack *pages = GTK_STACK (gtk_widget_get_parent (GTK_WIDGET (runs_view ())));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "train"));
  gtk_stack_set_visible_child_name (pages, "curves");
  sf_test_settle (window);
  guint before = sf_runs_view_get_n_runs (runs_view ());

  SfTrainSettings s;
  g_autoptr (SfTrainingSettings) store = sf_training_settings_dup_default ();
  sf_training_settings_get (store, &s);
  for (int i = 0; i < 30; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SfRun) recorded = sf_run_store_record_failure (sf_session_get_run_store (session ()), &s, NULL,
                                                                NULL, "one of many", 0.5, &error);
      g_assert_no_error (error);
    }
  sf_train_settings_clear (&s);
  /* A truncated run.json among them: named as a problem by the worker's read too. */
  g_autofree char *bad = g_build_filename (sf_run_store_get_root (sf_session_get_run_store (session ())),
                                           "truncated-run", NULL);
  g_autofree char *bad_json = g_build_filename (bad, "run.json", NULL);
  g_assert_cmpint (g_mkdir_with_parents (bad, 0700), ==, 0);
  g_assert_true (g_file_set_contents (bad_json, "{ \"format\": ", -1, NULL));
  sf_session_runs_changed (session ());
  g_assert_true (sf_runs_view_get_stale (runs_view ()));

  /* The table's model, found without the getters, which read at once. */
  GtkColumnView *table = GTK_COLUMN_VIEW (sf_test_find_widget (GTK_WIDGET (runs_view ()), GTK_TYPE_COLUMN_VIEW,
                                                               NULL));
  FillWatch watch = { gtk_widget_get_frame_clock (GTK_WIDGET (window)), g_hash_table_new (NULL, NULL) };
  gulong id = g_signal_connect (gtk_column_view_get_model (table), "items-changed", G_CALLBACK (table_changed_cb),
                                &watch);

  gtk_stack_set_visible_child_name (pages, "runs");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (runs_view ())));
  g_assert_true (sf_runs_view_get_loading (runs_view ()));
  sf_test_wait_until (runs_loaded, runs_view (), "the runs table to fill");
  g_signal_handler_disconnect (gtk_column_view_get_model (table), id);

  GHashTableIter iter;
  gpointer frame, gained;
  guint frames = 0;
  g_hash_table_iter_init (&iter, watch.growth);
  while (g_hash_table_iter_next (&iter, &frame, &gained))
    {
      g_assert_cmpint ((gssize) GPOINTER_TO_SIZE (gained), <=, 8);
      frames += (gssize) GPOINTER_TO_SIZE (gained) > 0;
    }
  g_test_message ("%u runs added over %u frames", before + 30, frames);
  g_assert_cmpuint (frames, >=, (before + 30) / 8);
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs_view ()), ==, before + 30);
  g_assert_cmpstr (sf_runs_view_get_run (runs_view (), before + 29)->message, ==, "one of many");
  const char *const *problems = sf_runs_view_get_problems (runs_view ());
  g_assert_nonnull (problems[0]);
  g_assert_nonnull (strstr (problems[0], "truncated-run"));
  g_hash_table_unref (watch.growth);
  sf_test_remove_tree (bad);

  /* A run that ends while the page is shown is one row more: the rows
   * there are stay (with the selection), not rebuilt. */
  const SfRun *first = sf_runs_view_get_run (runs_view (), 0);
  guint zero = 0;
  sf_runs_view_select (runs_view (), &zero, 1);
  sf_training_settings_get (store, &s);
  g_autoptr (GError) error = NULL;
  g_autoptr (SfRun) latest = sf_run_store_record_failure (sf_session_get_run_store (session ()), &s, NULL, NULL,
                                                          "the latest", 0.5, &error);
  sf_train_settings_clear (&s);
  g_assert_no_error (error);
  sf_session_runs_changed (session ());
  sf_test_wait_until (runs_loaded, runs_view (), "the new run in the table");
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs_view ()), ==, before + 31);
  g_assert_true (sf_runs_view_get_run (runs_view (), 0) == first);
  g_assert_cmpstr (sf_runs_view_get_run (runs_view (), before + 30)->message, ==, "the latest");
  GtkSelectionModel *selection = gtk_column_view_get_model (table);
  g_autoptr (GtkBitset) selected = gtk_selection_model_get_selection (selection);
  g_assert_cmpuint (gtk_bitset_get_size (selected), ==, 1);
}

/* A training run of the Train view that fails is kept, failed, with its message. */
static void
test_failed_run_kept (void)
{
  guint before = sf_runs_view_get_n_runs (runs_view ());
  g_autoptr (SfTrainingRun) run = sf_training_run_new ();
  SfTrainSettings s;
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTrainingSettings) store = sf_training_settings_dup_default ();

  g_settings_set_int (settings, "train-epochs", 1);
  drain ();
  sf_training_settings_get (store, &s);
  g_assert_true (sf_training_run_start (run, sf_session_get_faces (session ()), &s, &error));
  g_assert_no_error (error);
  sf_train_settings_clear (&s);
  sf_test_wait_until (training_ended, run, "the training run to end");
  /* What the Train view does at the run's "failed" signal. */
  sf_runs_view_record_failed (runs_view (), run, "the loss became NaN in epoch 1, batch 3");
  sf_test_wait_until (runs_listed, GUINT_TO_POINTER (before + 1), "the failed run in the table");
  const SfRun *failed = sf_runs_view_get_run (runs_view (), before);
  g_assert_cmpint (failed->status, ==, SF_RUN_FAILED);
  g_assert_cmpstr (failed->message, ==, "the loss became NaN in epoch 1, batch 3");
  g_assert_cmpint (failed->n_history, ==, 1);
  /* Its weights are finite: its model is kept too. */
  g_assert_true (failed->has_model);
}

/* The labels of the table's row that shows `text`, joined by "|" (NULL when
 * no row does); a row is the ancestor the cells share. */
static char *
row_text (GtkWidget *widget, const char *text)
{
  if (GTK_IS_LABEL (widget) && g_str_equal (gtk_label_get_label (GTK_LABEL (widget)), text))
    {
      GtkWidget *row = widget;
      while (row != NULL && g_strcmp0 (gtk_widget_get_css_name (row), "row") != 0)
        row = gtk_widget_get_parent (row);
      g_assert_nonnull (row);
      GString *all = g_string_new ("|");
      for (GtkWidget *cell = gtk_widget_get_first_child (row); cell != NULL; cell = gtk_widget_get_next_sibling (cell))
        for (GtkWidget *label = gtk_widget_get_first_child (cell); label != NULL;
             label = gtk_widget_get_next_sibling (label))
          if (GTK_IS_LABEL (label) && gtk_widget_get_visible (cell))
            g_string_append_printf (all, "%s|", gtk_label_get_label (GTK_LABEL (label)));
      return g_string_free (all, FALSE);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      char *found = row_text (child, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A second seed for the two-point sweep's 0.001: grouped, the table has one
 * row per group, that one counting both runs, its results as the engine's
 * summary gives them (mean ± sd); selecting it overlays both runs. */
static void
test_group_seeds (void)
{
  g_settings_set_int (settings, "train-epochs", 2);
  drain ();
  guint before = sf_runs_view_get_n_runs (runs_view ());
  SfSweepDialog *dialog = open_dialog ();
  sf_sweep_dialog_set_values (dialog, "learning_rate", "0.001");
  sf_sweep_dialog_set_seeds (dialog, "0-1");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "sweep.start", NULL));
  sf_test_wait_until (sweep_ended, dialog, "the second seed's sweep to end");
  gtk_window_close (GTK_WINDOW (dialog));
  sf_test_wait_toplevel_gone (SF_TYPE_SWEEP_DIALOG, "the sweep dialog to hide");
  drain ();
  /* Seed 0 was run by the two-point sweep: only seed 1 is new. */
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs_view ()), ==, before + 1);
  const SfRun *first = sf_runs_view_get_run (runs_view (), 0), *second = sf_runs_view_get_run (runs_view (), before);
  g_assert_cmpstr (first->group, ==, second->group);

  /* The engine's summary of the same runs, as the CLI's `runs --group`. */
  guint n = sf_runs_view_get_n_runs (runs_view ());
  g_autofree SfRun **all = g_new0 (SfRun *, n);
  for (guint i = 0; i < n; i++)
    all[i] = (SfRun *) sf_runs_view_get_run (runs_view (), i);
  g_autoptr (GPtrArray) summaries = sf_runs_summarize (all, n, SF_RUN_RESULT_EER);
  const SfRunGroupSummary *pair = NULL;
  for (guint g = 0; g < summaries->len; g++)
    if (g_str_equal (((SfRunGroupSummary *) summaries->pdata[g])->group, first->group))
      pair = summaries->pdata[g];
  g_assert_nonnull (pair);
  g_assert_cmpint (pair->n_runs, ==, 2);

  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "train"));
  gtk_stack_set_visible_child_name (GTK_STACK (gtk_widget_get_parent (GTK_WIDGET (runs_view ()))), "runs");
  GtkColumnView *table = sf_runs_view_get_column_view (runs_view ());
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (table));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, n);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (runs_view ()), "runs.group-seeds", NULL));
  sf_test_settle (window);
  /* Failed runs are left out, as the engine leaves them out. */
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, summaries->len);
  g_autofree char *row = row_text (GTK_WIDGET (table), "n = 2");
  g_assert_nonnull (row);
  g_autofree char *eer = g_strdup_printf ("|%.3f ± %.3f|", pair->mean[SF_RUN_RESULT_EER], pair->sd[SF_RUN_RESULT_EER]);
  g_autofree char *auc = g_strdup_printf ("|%.3f ± %.3f|", pair->mean[SF_RUN_RESULT_AUC], pair->sd[SF_RUN_RESULT_AUC]);
  g_test_message ("the group's row: %s", row);
  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "runs-grouped.png", NULL);
      g_assert_true (sf_screenshot_save (GTK_WIDGET (window), path, NULL));
    }
  g_assert_nonnull (strstr (row, eer));
  g_assert_nonnull (strstr (row, auc));
  /* The seed is what a group spans: not a column of it. */
  GListModel *columns = gtk_column_view_get_columns (table);
  gboolean seed_shown = FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      seed_shown |= g_strcmp0 (gtk_column_view_column_get_title (column), "Seed") == 0
                    && gtk_column_view_column_get_visible (column);
    }
  g_assert_false (seed_shown);

  /* Selecting the group overlays its two runs. */
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      gtk_selection_model_select_item (GTK_SELECTION_MODEL (rows), i, TRUE);
      drain ();
      if (sf_plot_get_n_series (sf_runs_view_get_loss_plot (runs_view ())) == 2)
        break;
    }
  SfPlot *loss = sf_runs_view_get_loss_plot (runs_view ());
  g_assert_cmpuint (sf_plot_get_n_series (loss), ==, 2);
  const SfPlotSeries *a = sf_plot_get_series (loss, 0), *b = sf_plot_get_series (loss, 1);
  g_assert_true ((g_str_equal (a->name, first->name) && g_str_equal (b->name, second->name))
                 || (g_str_equal (a->name, second->name) && g_str_equal (b->name, first->name)));

  /* Back to one row per run. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (runs_view ()), "runs.group-seeds", NULL));
  drain ();
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, n);
}

int
main (int argc, char *argv[])
{
  if (!sf_test_ui_init (&argc, &argv))
    return sf_test_ui_skip_no_display ();
  sf_test_set_wait_timeout (240000);

  tmp_dir = sf_test_make_tmp_dir ("sf-ui-sweep-XXXXXX");
  settings = g_settings_new (SF_APPLICATION_ID);
  window = sf_test_open_window (&app);
  g_autofree char *runs_root = g_build_filename (tmp_dir, "runs", NULL);
  sf_session_set_run_store_root (session (), runs_root);

  g_test_add_func ("/ui/sweep/two-point", test_two_point_sweep);
  g_test_add_func ("/ui/sweep/stop", test_stop);
  g_test_add_func ("/ui/sweep/epoch-shown", test_epoch_shown);
  g_test_add_func ("/ui/sweep/failed-run-kept", test_failed_run_kept);
  g_test_add_func ("/ui/sweep/runs-read-when-shown", test_runs_read_when_shown);
  g_test_add_func ("/ui/sweep/runs-filled-over-frames", test_runs_filled_over_frames);
  g_test_add_func ("/ui/sweep/group-seeds", test_group_seeds);

  int status = g_test_run ();

  sf_test_close_window (&app, &window);
  g_clear_object (&settings);
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
