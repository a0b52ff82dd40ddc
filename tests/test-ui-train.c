/* The Train view in the real window under Xvfb: its form follows the shared
 * training settings (presets fill them from the engine); the curves widget
 * on its own (points per history, earlier runs kept faint); the compact
 * preset trains on the demo faces through the window's actions, the history
 * and curves (learning rate too) shown being the trainer's, during the run
 * and after, the header saying how it ended; pause, resume and stop, the
 * stopped run kept aside while the finished one stays the current model
 * until "Use This Model"; the model saved and reopened shows the same curves,
 * settings and threshold (the session's); bad model files and bad specs give
 * messages; exports (the curves, the tower as ONNX); closing while training
 * asks, then stops cleanly. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "evaluation.h"
#include "onnx-export.h"
#include "sf-application.h"
#include "sf-test-files.h"
#include "sf-screenshots.h"
#include "sf-test-ui.h"
#include "sf-train-view.h"
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

static gboolean
not_running (gpointer data)
{
  return !sf_train_view_get_running (view ()) && !sf_session_get_training (session ());
}

/* Lets the views see GSettings changes (delivered from the main loop). */
static void
drain (void)
{
  for (int i = 0; i < 3; i++)
    sf_test_drain ();
}

static void
activate (const char *action)
{
  g_action_group_activate_action (G_ACTION_GROUP (window), action, NULL);
}

static void
activate_in (GtkWidget *widget, const char *action)
{
  g_assert_true (gtk_widget_activate_action (widget, action, NULL));
}

static void
use_compact (guint epochs)
{
  g_settings_set_string (settings, "train-preset", "compact");
  drain ();
  g_settings_set_int (settings, "train-epochs", (int) epochs);
  drain ();
}

static GtkWidget *
find_in_view (GType type)
{
  GtkWidget *widget = sf_test_find_widget (GTK_WIDGET (view ()), type, NULL);

  g_assert_nonnull (widget);
  return widget;
}

/* The label under the curves that starts with `prefix`, or NULL. */
static const char *
label_text (const char *prefix)
{
  GtkWidget *stack[256];
  int n = 0;

  stack[n++] = GTK_WIDGET (view ());
  while (n > 0)
    {
      GtkWidget *widget = stack[--n];
      if (GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), prefix))
        return gtk_label_get_label (GTK_LABEL (widget));
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && n < 256;
           child = gtk_widget_get_next_sibling (child))
        stack[n++] = child;
    }
  return NULL;
}

static void
assert_same_settings (const SfTrainSettings *a, const SfTrainSettings *b)
{
  g_assert_cmpstr (a->spec, ==, b->spec);
  g_assert_cmpint (a->head, ==, b->head);
  g_assert_cmpint (a->epochs, ==, b->epochs);
  g_assert_cmpint (a->batch_size, ==, b->batch_size);
  g_assert_cmpint (a->split, ==, b->split);
  g_assert_cmpint (a->optimizer.kind, ==, b->optimizer.kind);
  g_assert_cmpint (a->optimizer.schedule, ==, b->optimizer.schedule);
  g_assert_cmpfloat_with_epsilon (a->optimizer.learning_rate, b->optimizer.learning_rate, 1e-7);
  g_assert_cmpint (a->augment.flip, ==, b->augment.flip);
  g_assert_cmpint (a->new_pairs_each_epoch, ==, b->new_pairs_each_epoch);
}

/* The view's form shows the shared settings; the settings themselves are
 * tested without a display in test-training-settings. */
static void
test_presets (void)
{
  g_autoptr (SfTrainingSettings) store = sf_training_settings_dup_default ();
  AdwComboRow *preset_row = ADW_COMBO_ROW (find_in_view (ADW_TYPE_COMBO_ROW));
  GtkEditable *spec_row = GTK_EDITABLE (find_in_view (ADW_TYPE_ENTRY_ROW));
  SfTrainSettings ours, engine = { 0 };

  /* The default is the engine's compact preset, whatever it is today. */
  sf_training_settings_get (store, &ours);
  sf_train_settings_init_preset (&engine, SF_PRESET_COMPACT);
  assert_same_settings (&ours, &engine);
  g_assert_true (sf_train_settings_validate (&ours, NULL));
  g_assert_cmpuint (adw_combo_row_get_selected (preset_row), ==, 0);
  g_assert_cmpstr (gtk_editable_get_text (spec_row), ==, engine.spec);
  sf_train_settings_clear (&ours);

  /* Choosing the article in the form fills in the article's exact settings. */
  adw_combo_row_set_selected (preset_row, 1);
  drain ();
  g_autofree char *article = g_settings_get_string (settings, "train-preset");
  g_assert_cmpstr (article, ==, "article");
  sf_training_settings_get (store, &ours);
  sf_train_settings_init_preset (&engine, SF_PRESET_ARTICLE);
  assert_same_settings (&ours, &engine);
  g_assert_cmpint (ours.head, ==, SF_HEAD_BCE);
  g_assert_false (sf_augment_enabled (&ours.augment));
  g_assert_cmpstr (gtk_editable_get_text (spec_row), ==, SF_SPEC_ARTICLE);
  sf_train_settings_clear (&ours);

  /* Any change makes it custom, the form says so and keeps the article's network. */
  g_settings_set_int (settings, "train-epochs", 7);
  drain ();
  g_autofree char *preset = g_settings_get_string (settings, "train-preset");
  g_assert_cmpstr (preset, ==, "custom");
  g_assert_cmpuint (adw_combo_row_get_selected (preset_row), ==, 2);
  g_assert_cmpstr (gtk_editable_get_text (spec_row), ==, SF_SPEC_ARTICLE);
  g_assert_cmpint (g_settings_get_enum (settings, "default-split"), ==, SF_SPLIT_PAIRS);
  sf_train_settings_clear (&engine);
  g_settings_set_string (settings, "train-preset", "compact");
  drain ();
  g_autofree char *back = g_settings_get_string (settings, "train-preset");
  g_assert_cmpstr (back, ==, "compact");
  g_assert_cmpuint (adw_combo_row_get_selected (preset_row), ==, 0);

  /* The smoothing key reaches both plots through the form's scale. */
  SfTrainingCurves *curves = sf_train_view_get_curves (view ());
  g_settings_set_double (settings, "train-smoothing", 0.5);
  drain ();
  g_assert_cmpfloat (sf_plot_get_smoothing (sf_training_curves_get_loss_plot (curves)), ==, 0.5);
  g_assert_cmpfloat (sf_plot_get_smoothing (sf_training_curves_get_accuracy_plot (curves)), ==, 0.5);
  g_settings_reset (settings, "train-smoothing");
  drain ();
  g_assert_cmpfloat (sf_training_curves_get_smoothing (curves), ==, 0.0);
}

/* The plots' y values of the current run (the last two series of each plot). */
static void
assert_curves_show (const SfEpochRecord *history, int n)
{
  SfTrainingCurves *curves = sf_train_view_get_curves (view ());
  SfPlot *plots[] = { sf_training_curves_get_loss_plot (curves), sf_training_curves_get_accuracy_plot (curves) };

  for (guint k = 0; k < 2; k++)
    {
      guint n_series = sf_plot_get_n_series (plots[k]);
      g_assert_cmpuint (n_series, >=, 2);
      const SfPlotSeries *train = sf_plot_get_series (plots[k], n_series - 2);
      const SfPlotSeries *validation = sf_plot_get_series (plots[k], n_series - 1);
      g_assert_false (train->faint);
      g_assert_cmpuint (train->points->len, ==, n);
      g_assert_cmpuint (validation->points->len, ==, n);
      for (int i = 0; i < n; i++)
        {
          const SfPlotPoint *t = &g_array_index (train->points, SfPlotPoint, i);
          const SfPlotPoint *v = &g_array_index (validation->points, SfPlotPoint, i);
          g_assert_cmpfloat (t->x, ==, history[i].epoch);
          g_assert_cmpfloat (v->x, ==, history[i].epoch);
          g_assert_cmpfloat (t->y, ==, k == 0 ? history[i].loss : history[i].accuracy);
          g_assert_cmpfloat (v->y, ==, k == 0 ? history[i].validation_loss : history[i].validation_accuracy);
        }
    }

  /* The schedule beside them: the learning rate each epoch used. */
  SfPlot *rate_plot = sf_training_curves_get_rate_plot (curves);
  const SfPlotSeries *rate = sf_plot_get_series (rate_plot, sf_plot_get_n_series (rate_plot) - 1);
  g_assert_false (rate->faint);
  g_assert_cmpuint (rate->points->len, ==, n);
  for (int i = 0; i < n; i++)
    g_assert_cmpfloat (g_array_index (rate->points, SfPlotPoint, i).y, ==, history[i].learning_rate);
}

static void
assert_same_history (const SfEpochRecord *a, int n_a, const SfEpochRecord *b, int n_b)
{
  g_assert_cmpint (n_a, ==, n_b);
  for (int i = 0; i < n_a; i++)
    {
      g_assert_cmpint (a[i].epoch, ==, b[i].epoch);
      g_assert_cmpfloat (a[i].loss, ==, b[i].loss);
      g_assert_cmpfloat (a[i].accuracy, ==, b[i].accuracy);
      g_assert_cmpfloat (a[i].validation_loss, ==, b[i].validation_loss);
      g_assert_cmpfloat (a[i].validation_accuracy, ==, b[i].validation_accuracy);
      g_assert_cmpfloat (a[i].seconds, ==, b[i].seconds);
      g_assert_cmpfloat (a[i].pairs_per_second, ==, b[i].pairs_per_second);
      g_assert_cmpfloat (a[i].learning_rate, ==, b[i].learning_rate);
    }
}

/* The curves widget alone: a history's points, earlier runs kept faint. */
static void
test_curves (void)
{
  SfTrainingCurves *curves = SF_TRAINING_CURVES (sf_training_curves_new ());
  GtkWidget *holder = gtk_window_new ();
  SfEpochRecord first[3], second[2];

  g_object_ref_sink (curves);
  gtk_window_set_child (GTK_WINDOW (holder), GTK_WIDGET (curves));
  gtk_window_set_default_size (GTK_WINDOW (holder), 600, 500);
  gtk_window_present (GTK_WINDOW (holder));
  for (int i = 0; i < 3; i++)
    first[i] = (SfEpochRecord) { .epoch = i + 1, .loss = 1.0 / (i + 1), .accuracy = 0.5 + 0.1 * i,
                                 .validation_loss = i == 1 ? NAN : 1.2 / (i + 1),
                                 .validation_accuracy = 0.4 + 0.1 * i };
  for (int i = 0; i < 2; i++)
    second[i] = (SfEpochRecord) { .epoch = i + 1, .loss = 0.7, .accuracy = 0.8,
                                  .validation_loss = 0.9, .validation_accuracy = 0.75 };
  SfPlot *loss = sf_training_curves_get_loss_plot (curves);
  SfPlot *accuracy = sf_training_curves_get_accuracy_plot (curves);

  /* One run: training points for every epoch, validation where it is a number. */
  sf_training_curves_begin (curves, 5);
  sf_training_curves_show_history (curves, first, 2);
  sf_training_curves_show_history (curves, first, 3);
  g_assert_cmpuint (sf_plot_get_n_series (loss), ==, 2);
  g_assert_cmpuint (sf_plot_get_n_points (loss, 0), ==, 3);
  g_assert_cmpuint (sf_plot_get_n_points (loss, 1), ==, 2);
  g_assert_cmpuint (sf_plot_get_n_points (accuracy, 0), ==, 3);
  g_assert_cmpuint (sf_plot_get_n_points (accuracy, 1), ==, 3);
  g_assert_cmpfloat (g_array_index (sf_plot_get_series (accuracy, 0)->points, SfPlotPoint, 2).y, ==, 0.7);
  g_assert_nonnull (strstr (sf_plot_get_description (loss), "Epoch 3"));
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (loss), GTK_ACCESSIBLE_ROLE_IMG);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (accuracy), GTK_ACCESSIBLE_ROLE_IMG);

  /* The next run: the first stays behind it, faint, point for point. */
  sf_training_curves_begin (curves, 5);
  sf_training_curves_show_history (curves, second, 2);
  g_assert_cmpuint (sf_plot_get_n_series (loss), ==, 4);
  guint faint = 0;
  for (guint s = 0; s < 4; s++)
    {
      const SfPlotSeries *series = sf_plot_get_series (loss, s);
      if (!series->faint)
        {
          g_assert_cmpuint (series->points->len, ==, 2);
          continue;
        }
      faint++;
      g_assert_cmpuint (series->points->len, ==, s == 0 ? 3 : 2);
      g_assert_cmpfloat (g_array_index (series->points, SfPlotPoint, 0).y, ==, s == 0 ? 1.0 : 1.2);
    }
  g_assert_cmpuint (faint, ==, 2);
  /* The description is the current run's, not an earlier one's. */
  g_assert_nonnull (strstr (sf_plot_get_description (loss), "Epoch 2"));
  g_assert_null (strstr (sf_plot_get_description (loss), "Epoch 3"));

  /* A third run keeps both earlier ones; empty series are not kept. */
  sf_training_curves_begin (curves, 5);
  sf_training_curves_begin (curves, 5);
  g_assert_cmpuint (sf_plot_get_n_series (accuracy), ==, 6);

  /* Smoothing reaches both plots; both export in one picture. */
  sf_training_curves_set_smoothing (curves, 0.5);
  g_assert_cmpfloat (sf_plot_get_smoothing (loss), ==, 0.5);
  g_assert_cmpfloat (sf_plot_get_smoothing (accuracy), ==, 0.5);
  g_autofree char *path = g_build_filename (tmp_dir, "curves-alone.png", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (sf_training_curves_save (curves, SF_TRAINING_CURVES_BOTH, path, &error));
  g_assert_no_error (error);
  g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 800);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, 900);

  gtk_window_destroy (GTK_WINDOW (holder));
  g_object_unref (curves);
}

/* Every epoch as it arrives: the view's history and curves already show it. */
static void
epoch_seen_cb (SfTrainingRun *run, const SfEpochRecord *record, gpointer data)
{
  int *seen = data;
  int n;
  const SfEpochRecord *history = sf_train_view_get_history (view (), &n);

  g_assert_cmpint (n, ==, record->epoch);
  assert_same_history (&history[n - 1], 1, record, 1);
  assert_curves_show (history, n);
  (*seen)++;
}

/* "training" falls once, when the run's model is the session's: the window
 * closes on it, and nothing may still be working then. */
static void
training_changed_cb (SfSession *s, GParamSpec *pspec, gpointer data)
{
  int *falls = data;

  if (sf_session_get_training (s))
    return;
  (*falls)++;
  g_assert_false (sf_train_view_get_running (view ()));
  g_assert_nonnull (sf_session_get_checkpoint (s));
  g_assert_cmpint (sf_session_get_checkpoint (s)->n_history, ==, 3);
}

static void
test_train (void)
{
  SfTrainingRun *run = sf_train_view_get_run (view ());
  int seen = 0, falls = 0;

  use_compact (3);
  g_assert_false (sf_train_view_get_running (view ()));

  /* After the view's own handler, so the view has drawn the epoch. */
  gulong id = g_signal_connect (run, "epoch", G_CALLBACK (epoch_seen_cb), &seen);
  gulong training_id = g_signal_connect (session (), "notify::training", G_CALLBACK (training_changed_cb), &falls);
  activate ("train-start");
  g_assert_true (sf_train_view_get_running (view ()));
  g_assert_true (sf_session_get_training (session ()));
  g_assert_cmpstr (sf_window_get_visible_view (window), ==, "train");
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "open-model"));
  int n;
  sf_train_view_get_history (view (), &n);
  g_assert_cmpint (n, ==, 0);

  sf_test_wait_until (not_running, NULL, "training to finish");
  g_signal_handler_disconnect (run, id);
  g_signal_handler_disconnect (session (), training_id);
  g_assert_cmpint (seen, ==, 3);
  g_assert_cmpint (falls, ==, 1);

  /* After the run: the history shown is the trainer's, now the session model's. */
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session ());
  g_assert_nonnull (checkpoint);
  int n_trainer;
  const SfEpochRecord *trainer_history = sf_trainer_get_history (sf_training_run_get_trainer (run), &n_trainer);
  const SfEpochRecord *history = sf_train_view_get_history (view (), &n);
  g_assert_cmpint (n_trainer, ==, 3);
  assert_same_history (history, n, trainer_history, n_trainer);
  g_assert_true (history == checkpoint->history);
  assert_curves_show (history, n);
  g_assert_cmpstr (label_text ("Finished "), ==, "Finished 3 epochs");
  g_assert_null (label_text ("Epoch "));

  SfPlot *loss = sf_training_curves_get_loss_plot (sf_train_view_get_curves (view ()));
  const char *description = sf_plot_get_description (loss);
  g_test_message ("%s", description);
  g_assert_nonnull (strstr (description, "Epoch 3"));
  g_assert_nonnull (strstr (description, "validation"));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (loss)), ==, GTK_ACCESSIBLE_ROLE_IMG);

  /* The run is the session's model, not yet saved, with a threshold from validation. */
  g_assert_cmpint (checkpoint->n_history, ==, 3);
  g_assert_true (sf_session_get_modified (session ()));
  g_assert_null (sf_session_get_model_path (session ()));
  double threshold = sf_session_get_threshold (session ());
  g_assert_cmpfloat (threshold, >, 0);
  g_assert_cmpfloat (threshold, <, 1);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "save-model"));

  /* It is the equal-error-rate threshold of the model's validation pairs, as
   * the engine judges the saved model (its copy, on its own dataset). */
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) copy = sf_model_copy (checkpoint->model);
  const SfDataset *dataset = sf_face_list_get_dataset (sf_session_get_faces (session ()));
  g_autoptr (SfEvaluation) judged = sf_evaluation_new (copy, dataset, &checkpoint->settings,
                                                       checkpoint->dataset_fingerprint, (float) threshold,
                                                       SF_EVALUATION_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (judged->same_data);
  g_assert_cmpint (judged->n_pairs, >, 0);
  g_assert_cmpfloat_with_epsilon (sf_evaluation_choose_threshold (judged, SF_THRESHOLD_EER), threshold, 1e-6);

  /* Hovering the middle of the plot reads values out. */
  int width = gtk_widget_get_width (GTK_WIDGET (loss));
  const char *readout = sf_plot_hover (loss, width / 2.0);
  g_assert_nonnull (readout);
  g_assert_nonnull (strstr (readout, "training"));
  sf_plot_hover (loss, NAN);

  /* The picture to look at after a change of the view. */
  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "train-test.png", NULL);
      sf_test_settle (window);
      g_assert_true (sf_screenshot_save (GTK_WIDGET (window), path, NULL));
    }
}

static gboolean
some_epochs (gpointer data)
{
  int n;
  sf_train_view_get_history (view (), &n);
  return n >= GPOINTER_TO_INT (data);
}

static GtkWidget *
find_use_button (void)
{
  GtkWidget *stack[256];
  int n = 0;

  stack[n++] = GTK_WIDGET (view ());
  while (n > 0)
    {
      GtkWidget *widget = stack[--n];
      if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)),
                                                "train.use-run") == 0)
        return widget;
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && n < 256;
           child = gtk_widget_get_next_sibling (child))
        stack[n++] = child;
    }
  g_assert_not_reached ();
}

/* The actions reach the trainer: it stops for the pause (the engine says when
 * it has), and training goes on after resuming. */
static void
test_pause_resume_stop (void)
{
  SfTrainingRun *run = sf_train_view_get_run (view ());
  const SfCheckpoint *first = sf_session_get_checkpoint (session ());

  g_assert_nonnull (first);
  use_compact (200);
  activate ("train-start");
  sf_test_wait_until (some_epochs, GINT_TO_POINTER (1), "an epoch");

  activate ("train-pause-resume");
  g_assert_true (sf_train_view_get_paused (view ()));
  g_assert_true (sf_trainer_wait_paused (sf_training_run_get_trainer (run), 120000));
  g_assert_true (sf_train_view_get_running (view ()));
  g_assert_true (sf_session_get_training (session ()));
  int at_pause;
  sf_train_view_get_history (view (), &at_pause);

  activate ("train-pause-resume");
  g_assert_false (sf_train_view_get_paused (view ()));
  g_assert_false (sf_trainer_is_paused (sf_training_run_get_trainer (run)));
  /* The epoch in flight may end without resuming; the one after cannot. */
  sf_test_wait_until (some_epochs, GINT_TO_POINTER (at_pause + 2), "an epoch after resuming");

  activate ("train-stop");
  sf_test_wait_until (not_running, NULL, "the run to stop");
  int n, n_trainer;
  const SfEpochRecord *history = sf_train_view_get_history (view (), &n);
  const SfEpochRecord *trainer_history = sf_trainer_get_history (sf_training_run_get_trainer (run), &n_trainer);
  g_assert_cmpint (n, <, 200);
  assert_same_history (history, n, trainer_history, n_trainer);
  assert_curves_show (history, n);
  /* Stopping keeps the run's model aside; the current one is still the
   * finished run's (test_train), though never saved. */
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session ());
  g_assert_true (checkpoint == first);
  g_assert_cmpint (checkpoint->n_history, ==, 3);
  g_assert_true (sf_session_get_modified (session ()));
  const SfCheckpoint *stopped = sf_train_view_get_ended_model (view ());
  g_assert_nonnull (stopped);
  g_assert_cmpint (stopped->n_history, ==, n);
  g_assert_true (gtk_widget_get_visible (find_use_button ()));

  /* The header says what happened, not the epoch it was in. */
  g_autofree char *header = g_strdup_printf ("Stopped after %d of 200 epochs", n);
  g_assert_cmpstr (label_text ("Stopped after "), ==, header);
  g_assert_null (label_text ("Epoch "));
  g_assert_nonnull (label_text ("Trained for "));
  g_assert_nonnull (strstr (label_text ("Training stopped."), "The current model stays"));

  /* "Use This Model" asks first (the current one is not saved), then swaps. */
  gtk_widget_activate_action (GTK_WIDGET (view ()), "train.use-run", NULL);
  g_autofree char *heading = sf_test_answer_dialog ("cancel");
  g_assert_cmpstr (heading, ==, "Replace the Current Model?");
  g_assert_true (sf_session_get_checkpoint (session ()) == first);
  gtk_widget_activate_action (GTK_WIDGET (view ()), "train.use-run", NULL);
  g_autofree char *again = sf_test_answer_dialog ("replace");
  g_assert_true (sf_session_get_checkpoint (session ()) == stopped);
  g_assert_cmpint (sf_session_get_checkpoint (session ())->n_history, ==, n);
  g_assert_null (sf_train_view_get_ended_model (view ()));
  g_assert_false (gtk_widget_get_visible (find_use_button ()));
}

/* The runs so far (test_train's, finished; the stopped one) in the store
 * the tests chose, in the Compare Runs table: sorted by a column, overlaid
 * in distinct colours named in the legend, a bad run folder reported while
 * the rest still list, exported, opened as the current model, deleted. */
static void
test_runs (void)
{
  SfRunsView *runs = sf_train_view_get_runs_view (view ());
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (sf_runs_view_get_n_runs (runs), ==, 2);
  const SfRun *finished = sf_runs_view_get_run (runs, 0);
  const SfRun *stopped = sf_runs_view_get_run (runs, 1);
  g_assert_cmpint (finished->status, ==, SF_RUN_FINISHED);
  g_assert_cmpint (finished->n_history, ==, 3);
  g_assert_cmpint (stopped->status, ==, SF_RUN_STOPPED);
  g_assert_cmpint (stopped->n_history, >=, 3);
  g_assert_cmpint (stopped->settings.epochs, ==, 200);
  g_assert_true (g_str_has_prefix (finished->folder, tmp_dir));
  g_assert_null (sf_runs_view_get_problems (runs)[0]);

  /* The epochs asked for differ, so the settings columns include them;
   * sorting by that column (descending) puts the stopped run (200) first. */
  GtkColumnView *table = sf_runs_view_get_column_view (runs);
  GListModel *columns = gtk_column_view_get_columns (table);
  GtkColumnViewColumn *by_epochs = NULL;
  gboolean has_setting = FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      const char *title = gtk_column_view_column_get_title (column);
      if (g_strcmp0 (title, "Epochs") == 0)
        by_epochs = column;
      has_setting |= g_strcmp0 (title, "Epochs done") == 0;
    }
  g_assert_nonnull (by_epochs);
  g_assert_true (has_setting);
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (table));
  gtk_column_view_sort_by_column (table, by_epochs, GTK_SORT_DESCENDING);
  drain ();
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 2);
  guint both[] = { 0, 1 };
  sf_runs_view_select (runs, both, 2);
  drain ();
  SfPlot *loss = sf_runs_view_get_loss_plot (runs);
  g_assert_cmpuint (sf_plot_get_n_series (loss), ==, 2);
  const SfPlotSeries *a = sf_plot_get_series (loss, 0), *b = sf_plot_get_series (loss, 1);
  /* Sorted: the stopped run's curve first. */
  g_assert_cmpstr (a->name, ==, stopped->name);
  g_assert_cmpstr (b->name, ==, finished->name);
  g_assert_cmpstr (a->name, !=, b->name);
  g_assert_false (a->faint || b->faint);
  g_assert_true (a->color.red != b->color.red || a->color.green != b->color.green || a->color.blue != b->color.blue);
  g_assert_cmpuint (a->points->len, ==, stopped->n_history);
  g_assert_cmpuint (b->points->len, ==, finished->n_history);
  if (g_getenv ("SF_KEEP_SCREENSHOTS") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("SF_KEEP_SCREENSHOTS"), "runs-test.png", NULL);
      gtk_stack_set_visible_child_name (GTK_STACK (gtk_widget_get_parent (GTK_WIDGET (runs))), "runs");
      sf_test_settle (window);
      g_assert_true (sf_screenshot_save (GTK_WIDGET (window), path, NULL));
      gtk_stack_set_visible_child_name (GTK_STACK (gtk_widget_get_parent (GTK_WIDGET (runs))), "curves");
    }
  gtk_column_view_sort_by_column (table, NULL, GTK_SORT_ASCENDING);

  /* A CSV of the runs selected: a header and a line each. */
  g_autofree char *csv_path = g_build_filename (tmp_dir, "runs.csv", NULL);
  g_assert_true (sf_runs_view_export_csv (runs, csv_path, &error));
  g_assert_no_error (error);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (g_strstrip (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);

  /* A corrupt run folder is named as a problem; the good runs still list. */
  g_autofree char *bad = g_build_filename (tmp_dir, "runs", "broken-run", NULL);
  g_autofree char *bad_json = g_build_filename (bad, "run.json", NULL);
  g_assert_cmpint (g_mkdir_with_parents (bad, 0700), ==, 0);
  g_assert_true (g_file_set_contents (bad_json, "{ \"format\": ", -1, NULL));
  activate_in (GTK_WIDGET (runs), "runs.reload");
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs), ==, 2);
  const char *const *problems = sf_runs_view_get_problems (runs);
  g_assert_nonnull (problems[0]);
  g_assert_null (problems[1]);
  g_assert_nonnull (strstr (problems[0], "broken-run"));
  sf_test_remove_tree (bad);
  /* Reading again made new runs. */
  finished = sf_runs_view_get_run (runs, 0);
  stopped = sf_runs_view_get_run (runs, 1);
  g_assert_cmpint (finished->status, ==, SF_RUN_FINISHED);

  /* The finished run's model becomes the current one; the current model
   * (the stopped run's, picked in test_pause_resume_stop) is not saved, so
   * the view asks first. */
  guint first[] = { 0 };
  sf_runs_view_select (runs, first, 1);
  activate_in (GTK_WIDGET (runs), "runs.use");
  g_autofree char *heading = sf_test_answer_dialog ("replace");
  g_assert_cmpstr (heading, ==, "Replace the Current Model?");
  const SfCheckpoint *current = sf_session_get_checkpoint (session ());
  g_assert_cmpint (current->n_history, ==, 3);
  g_assert_null (sf_session_get_model_path (session ()));
  g_assert_false (sf_session_get_modified (session ()));
  g_autofree char *model_path = sf_run_get_model_path (finished);
  g_autoptr (SfCheckpoint) file = sf_checkpoint_load (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), file->threshold, 1e-6);
  g_assert_true (file->threshold > 0 && file->threshold < 1);

  /* The stopped run's settings fill the form again (it asked for 200 epochs). */
  use_compact (4);
  guint stopped_only[] = { 1 };
  sf_runs_view_select (runs, stopped_only, 1);
  activate_in (GTK_WIDGET (runs), "runs.use-settings");
  drain ();
  g_assert_cmpint (g_settings_get_int (settings, "train-epochs"), ==, 200);

  /* Renaming writes the new name into the run's folder. */
  guint second_run[] = { 1 };
  sf_runs_view_select (runs, second_run, 1);
  activate_in (GTK_WIDGET (runs), "runs.rename");
  sf_test_wait_toplevel_shown (ADW_TYPE_MESSAGE_DIALOG, "the rename dialog");
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "  short run ");
  g_autofree char *rename = sf_test_answer_dialog ("rename");
  g_assert_cmpstr (rename, ==, "Rename Run");
  stopped = sf_runs_view_get_run (runs, 1);
  g_assert_cmpstr (stopped->name, ==, "short run");
  g_autoptr (SfRun) reread = sf_run_load (stopped->folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reread->name, ==, "short run");

  /* Deleting the stopped run removes its folder. */
  g_autofree char *stopped_folder = g_strdup (stopped->folder);
  guint second[] = { 1 };
  sf_runs_view_select (runs, second, 1);
  activate_in (GTK_WIDGET (runs), "runs.delete");
  g_autofree char *asked = sf_test_answer_dialog ("delete");
  g_assert_cmpstr (asked, ==, "Delete 1 Run?");
  g_assert_cmpuint (sf_runs_view_get_n_runs (runs), ==, 1);
  g_assert_false (g_file_test (stopped_folder, G_FILE_TEST_EXISTS));

}

static void
test_save_reopen (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "model.safetensors", NULL);
  g_autoptr (GError) error = NULL;

  use_compact (3);
  g_settings_set_uint (settings, "default-seed", 5);
  drain ();
  activate ("train-start");
  sf_test_wait_until (not_running, NULL, "training to finish");
  /* The current model was picked from the runs (test_runs): the run waits
   * for "Use This Model" (no question: nothing unsaved is lost). */
  g_assert_nonnull (sf_train_view_get_ended_model (view ()));
  g_assert_true (sf_train_view_use_run (view ()));
  g_assert_null (sf_train_view_get_ended_model (view ()));
  g_assert_cmpint (sf_session_get_checkpoint (session ())->n_history, ==, 3);
  g_assert_true (sf_session_save (session (), path, &error));
  g_assert_no_error (error);
  g_assert_false (sf_session_get_modified (session ()));

  int n_saved;
  const SfEpochRecord *history = sf_train_view_get_history (view (), &n_saved);
  g_autofree SfEpochRecord *saved = g_memdup2 (history, sizeof (SfEpochRecord) * n_saved);
  double threshold = sf_session_get_threshold (session ());
  g_assert_cmpint (n_saved, ==, 3);

  /* Another run replaces the curves and the settings change... */
  use_compact (2);
  g_settings_set_uint (settings, "default-seed", 9);
  drain ();
  activate ("train-start");
  sf_test_wait_until (not_running, NULL, "the second run");
  int n;
  sf_train_view_get_history (view (), &n);
  g_assert_cmpint (n, ==, 2);

  /* ...and opening the saved model brings back its curves, settings and threshold. */
  sf_window_open_model (window, path);
  history = sf_train_view_get_history (view (), &n);
  g_assert_cmpint (n, ==, n_saved);
  for (int i = 0; i < n; i++)
    {
      g_assert_cmpint (history[i].epoch, ==, saved[i].epoch);
      g_assert_cmpfloat (history[i].loss, ==, saved[i].loss);
      g_assert_cmpfloat (history[i].validation_accuracy, ==, saved[i].validation_accuracy);
    }
  g_assert_cmpfloat_with_epsilon (sf_session_get_threshold (session ()), threshold, 1e-6);
  g_assert_cmpstr (sf_session_get_model_path (session ()), ==, path);
  g_assert_false (sf_session_get_modified (session ()));
  drain ();
  g_assert_cmpint (g_settings_get_int (settings, "train-epochs"), ==, 3);
  g_assert_cmpuint (g_settings_get_uint (settings, "default-seed"), ==, 5);
  g_assert_true (history == sf_session_get_checkpoint (session ())->history);
  assert_curves_show (history, n);
  g_autofree char *shown = g_strdup_printf ("Threshold %.2f", threshold);
  g_assert_cmpstr (label_text ("Threshold "), ==, shown);

  /* The threshold shown is the session's, wherever it was changed. */
  sf_session_set_threshold (session (), 0.42);
  g_assert_cmpstr (label_text ("Threshold "), ==, "Threshold 0.42");

  /* Ctrl+S with a path saves in place, no question asked. */
  g_assert_true (sf_session_get_modified (session ()));
  activate ("save-model");
  g_assert_false (sf_session_get_modified (session ()));
  g_autoptr (SfCheckpoint) reread = sf_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (reread->threshold, 0.42, 1e-6);
}

static void
test_bad_model (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "broken.safetensors", NULL);
  const SfCheckpoint *before = sf_session_get_checkpoint (session ());

  g_assert_true (g_file_set_contents (path, "not a model at all", -1, NULL));
  sf_window_open_model (window, path);
  g_autofree char *heading = sf_test_answer_dialog ("close");
  g_assert_nonnull (strstr (heading, "broken.safetensors"));
  g_assert_true (sf_session_get_checkpoint (session ()) == before);

  /* A spec the engine refuses: a message, and nothing starts. */
  g_settings_set_string (settings, "train-spec", "conv32k3 nonsense");
  drain ();
  activate ("train-start");
  g_autofree char *start = sf_test_answer_dialog ("close");
  g_assert_cmpstr (start, ==, "Could Not Start Training");
  g_assert_false (sf_train_view_get_running (view ()));
  use_compact (3);
}

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_export (void)
{
  const char *names[] = { "curves.png", "curves.svg", "history.csv" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (tmp_dir, names[i], NULL);
      g_autoptr (GError) error = NULL;
      g_assert_true (sf_train_view_export (view (), path, &error));
      g_assert_no_error (error);
      g_autofree char *contents = NULL;
      gsize length;
      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      g_assert_cmpuint (length, >, 100);
      if (g_str_has_suffix (path, ".csv"))
        {
          /* The history shown, which is the session's model's. */
          const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session ());
          g_autofree char *expected = sf_history_to_csv (checkpoint->history, checkpoint->n_history);
          g_assert_true (g_str_has_prefix (contents, "epoch,loss,accuracy,val_loss,val_accuracy"));
          g_assert_cmpint (checkpoint->n_history, ==, 3);
          g_assert_cmpstr (contents, ==, expected);
        }
      if (g_str_has_suffix (path, ".png"))
        {
          g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
          g_assert_no_error (error);
          g_assert_cmpint (gdk_texture_get_width (texture), ==, 800);
        }
    }
  SfTrainingCurves *curves = sf_train_view_get_curves (view ());
  g_autofree char *plot = g_build_filename (tmp_dir, "loss.svg", NULL);
  g_assert_true (sf_training_curves_save (curves, SF_TRAINING_CURVES_LOSS, plot, NULL));
  g_autofree char *bad = g_build_filename (tmp_dir, "no-such-dir", "loss.png", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_false (sf_training_curves_save (curves, SF_TRAINING_CURVES_ACCURACY, bad, &error));
  g_assert_nonnull (error);

  /* The tower as ONNX, written off the main thread: the file the engine
   * makes of the session's model with the session's threshold of the moment
   * (moved here from the one the model came with); a folder that is not
   * there, a message. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "export-onnx"));
  double threshold_before = sf_session_get_threshold (session ());
  gboolean modified_before = sf_session_get_modified (session ());
  double threshold_moved = threshold_before > 0.5 ? threshold_before - 0.125 : threshold_before + 0.125;
  sf_session_set_threshold (session (), threshold_moved);
  g_autofree char *onnx = g_build_filename (tmp_dir, "tower.onnx", NULL);
  sf_window_export_onnx (window, onnx);
  sf_test_wait_until (file_exists, onnx, "the ONNX file");
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session ());
  g_autoptr (GError) onnx_error = NULL;
  g_autoptr (GBytes) expected = sf_onnx_export_serialize (checkpoint->model, (float) threshold_moved, &onnx_error);
  g_assert_no_error (onnx_error);
  g_autofree char *written = NULL;
  gsize size = 0;
  g_assert_true (g_file_get_contents (onnx, &written, &size, NULL));
  g_assert_cmpmem (written, size, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
  sf_session_set_threshold (session (), threshold_before);
  sf_session_set_modified (session (), modified_before);
  g_autofree char *nowhere = g_build_filename (tmp_dir, "no-such-dir", "tower.onnx", NULL);
  sf_window_export_onnx (window, nowhere);
  g_autofree char *heading = sf_test_answer_dialog ("close");
  g_assert_cmpstr (heading, ==, "Could Not Export “tower.onnx”");
}

static gboolean
window_gone (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (app)) == NULL;
}

static void
test_close_while_training (void)
{
  use_compact (200);
  activate ("train-start");
  sf_test_wait_until (some_epochs, GINT_TO_POINTER (1), "an epoch");

  /* Keep training: nothing closes. */
  gtk_window_close (GTK_WINDOW (window));
  g_autofree char *first = sf_test_answer_dialog ("cancel");
  g_assert_cmpstr (first, ==, "Stop Training?");
  g_assert_true (sf_train_view_get_running (view ()));
  g_assert_nonnull (gtk_application_get_windows (GTK_APPLICATION (app)));

  /* Stop and close: the run ends cleanly, then the window goes. */
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  g_autofree char *second = sf_test_answer_dialog ("stop");
  g_assert_cmpstr (second, ==, "Stop Training?");
  sf_test_wait_until (window_gone, NULL, "the window to close");
}

int
main (int argc, char *argv[])
{
  if (!sf_test_ui_init (&argc, &argv))
    return sf_test_ui_skip_no_display ();
  sf_test_set_wait_timeout (120000);

  tmp_dir = sf_test_make_tmp_dir ("sf-ui-train-XXXXXX");
  settings = g_settings_new (SF_APPLICATION_ID);
  window = sf_test_open_window (&app);
  g_autofree char *runs_root = g_build_filename (tmp_dir, "runs", NULL);
  sf_session_set_run_store_root (session (), runs_root);

  g_test_add_func ("/ui/train/presets", test_presets);
  g_test_add_func ("/ui/train/curves", test_curves);
  g_test_add_func ("/ui/train/train", test_train);
  g_test_add_func ("/ui/train/pause-resume-stop", test_pause_resume_stop);
  g_test_add_func ("/ui/train/runs", test_runs);
  g_test_add_func ("/ui/train/save-reopen", test_save_reopen);
  g_test_add_func ("/ui/train/bad-input", test_bad_model);
  g_test_add_func ("/ui/train/export", test_export);
  g_test_add_func ("/ui/train/close-while-training", test_close_while_training);

  int status = g_test_run ();

  if (window != NULL)
    sf_test_wait_until (not_running, NULL, "training to stop");
  sf_test_close_window (&app, &window);
  g_clear_object (&settings);
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
