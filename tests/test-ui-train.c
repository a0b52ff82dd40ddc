/* The Train view in the real window under Xvfb: presets fill the settings
 * from the engine; the compact preset trains on the demo faces through the
 * window's actions while the main loop keeps its timers on time; pause,
 * resume and stop; the model saved and reopened shows the same curves,
 * settings and threshold; bad model files and bad specs give messages;
 * exports; closing while training asks, then stops cleanly. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "sf-application.h"
#include "sf-test-files.h"
#include "sf-test-ui.h"
#include "sf-train-view.h"
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
use_compact (guint epochs)
{
  g_settings_set_string (settings, "train-preset", "compact");
  drain ();
  g_settings_set_int (settings, "train-epochs", (int) epochs);
  drain ();
}

static void
test_presets (void)
{
  SfTrainSettings ours, engine = { 0 };

  /* The default is the engine's compact preset, whatever it is today. */
  sf_train_view_get_settings (view (), &ours);
  sf_train_settings_init_preset (&engine, SF_PRESET_COMPACT);
  g_assert_cmpstr (ours.spec, ==, engine.spec);
  g_assert_cmpint (ours.head, ==, engine.head);
  g_assert_cmpint (ours.epochs, ==, engine.epochs);
  g_assert_cmpint (ours.batch_size, ==, engine.batch_size);
  g_assert_cmpint (ours.split, ==, engine.split);
  g_assert_cmpint (ours.optimizer.kind, ==, engine.optimizer.kind);
  g_assert_cmpint (ours.optimizer.schedule, ==, engine.optimizer.schedule);
  g_assert_cmpfloat_with_epsilon (ours.optimizer.learning_rate, engine.optimizer.learning_rate, 1e-7);
  g_assert_cmpint (ours.augment.flip, ==, engine.augment.flip);
  g_assert_true (sf_train_settings_validate (&ours, NULL));
  sf_train_settings_clear (&ours);

  /* Choosing the article fills in the article's exact settings. */
  g_settings_set_string (settings, "train-preset", "article");
  drain ();
  sf_train_view_get_settings (view (), &ours);
  sf_train_settings_init_preset (&engine, SF_PRESET_ARTICLE);
  g_assert_cmpstr (ours.spec, ==, engine.spec);
  g_assert_cmpint (ours.head, ==, SF_HEAD_BCE);
  g_assert_cmpint (ours.epochs, ==, 100);
  g_assert_cmpint (ours.batch_size, ==, 64);
  g_assert_cmpint (ours.split, ==, SF_SPLIT_PAIRS);
  g_assert_false (ours.new_pairs_each_epoch);
  g_assert_false (sf_augment_enabled (&ours.augment));
  g_assert_true (sf_train_settings_validate (&ours, NULL));
  sf_train_settings_clear (&ours);

  /* Any change makes it custom; the split is the Pairs view's. */
  g_settings_set_int (settings, "train-epochs", 7);
  drain ();
  g_autofree char *preset = g_settings_get_string (settings, "train-preset");
  g_assert_cmpstr (preset, ==, "custom");
  g_assert_cmpint (g_settings_get_enum (settings, "default-split"), ==, SF_SPLIT_PAIRS);
  sf_train_settings_clear (&engine);
  g_settings_set_string (settings, "train-preset", "compact");
  drain ();
  g_autofree char *back = g_settings_get_string (settings, "train-preset");
  g_assert_cmpstr (back, ==, "compact");
}

typedef struct
{
  gint64 start;
  gint64 last;
  gint64 worst;
  gint64 worst_at;
  guint ticks;
} Latency;

static gboolean
latency_tick_cb (gpointer data)
{
  Latency *latency = data;
  gint64 now = g_get_monotonic_time ();

  if (latency->last != 0 && now - latency->last > latency->worst)
    {
      latency->worst = now - latency->last;
      latency->worst_at = now - latency->start;
    }
  latency->last = now;
  latency->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
has_points (gpointer data)
{
  return sf_plot_get_n_series (sf_train_view_get_loss_plot (view ())) > 0
         && sf_plot_get_n_points (sf_train_view_get_loss_plot (view ()), GPOINTER_TO_UINT (data)) > 0;
}

/* The current run's series are the last four: loss training/validation, accuracy training/validation. */
static guint
current_series (SfPlot *plot, guint which)
{
  return sf_plot_get_n_series (plot) - 2 + which;
}

static void
test_train (void)
{
  Latency latency = { 0 };

  use_compact (3);
  g_assert_false (sf_train_view_get_running (view ()));

  /* The same timer without training, for comparison on a busy machine. */
  Latency idle = { 0 };
  idle.start = g_get_monotonic_time ();
  guint idle_id = g_timeout_add (10, latency_tick_cb, &idle);
  sf_test_run_for (1000);
  g_source_remove (idle_id);
  g_test_message ("main loop idle: %u ticks in 1 s, worst gap %.1f ms", idle.ticks, idle.worst / 1000.0);

  activate ("train-start");
  g_assert_true (sf_train_view_get_running (view ()));
  g_assert_true (sf_session_get_training (session ()));
  g_assert_cmpstr (sf_window_get_visible_view (window), ==, "train");
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "open-model"));

  /* Timers keep arriving on time while the worker trains. */
  latency.start = g_get_monotonic_time ();
  guint id = g_timeout_add (10, latency_tick_cb, &latency);
  SfPlot *loss = sf_train_view_get_loss_plot (view ());
  sf_test_wait_until (has_points, GUINT_TO_POINTER (current_series (loss, 0)), "the first epoch on the plot");
  g_assert_true (sf_train_view_get_running (view ()));
  sf_test_wait_until (not_running, NULL, "training to finish");
  g_source_remove (id);
  g_test_message ("main loop: %u ticks in %.1f s, worst gap %.1f ms at %.2f s", latency.ticks,
                  (g_get_monotonic_time () - latency.start) / 1e6, latency.worst / 1000.0, latency.worst_at / 1e6);
  g_assert_cmpuint (latency.ticks, >, 10);
  g_assert_cmpint (latency.worst, <, 250 * 1000);

  SfPlot *accuracy = sf_train_view_get_accuracy_plot (view ());
  for (guint k = 0; k < 2; k++)
    {
      g_assert_cmpuint (sf_plot_get_n_points (loss, current_series (loss, k)), ==, 3);
      g_assert_cmpuint (sf_plot_get_n_points (accuracy, current_series (accuracy, k)), ==, 3);
    }
  const char *description = sf_plot_get_description (loss);
  g_test_message ("%s", description);
  g_assert_nonnull (strstr (description, "Epoch 3"));
  g_assert_nonnull (strstr (description, "validation"));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (loss)), ==, GTK_ACCESSIBLE_ROLE_IMG);

  /* The run is the session's model, not yet saved, with a threshold from validation. */
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session ());
  g_assert_nonnull (checkpoint);
  g_assert_cmpint (checkpoint->n_history, ==, 3);
  g_assert_true (sf_session_get_modified (session ()));
  g_assert_null (sf_session_get_model_path (session ()));
  double threshold = sf_session_get_threshold (session ());
  g_assert_cmpfloat (threshold, >, 0);
  g_assert_cmpfloat (threshold, <, 1);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "save-model"));

  /* Hovering the middle of the plot reads values out. */
  int width = gtk_widget_get_width (GTK_WIDGET (loss));
  const char *readout = sf_plot_hover (loss, width / 2.0);
  g_assert_nonnull (readout);
  g_assert_nonnull (strstr (readout, "training"));
  sf_plot_hover (loss, NAN);
}

typedef struct
{
  int epoch, batch;
} Position;

static Position
position (void)
{
  int n;
  sf_train_view_get_history (view (), &n);
  return (Position) { n, 0 };
}

static gboolean
some_epochs (gpointer data)
{
  int n;
  sf_train_view_get_history (view (), &n);
  return n >= GPOINTER_TO_INT (data);
}

static void
test_pause_resume_stop (void)
{
  use_compact (200);
  activate ("train-start");
  sf_test_wait_until (some_epochs, GINT_TO_POINTER (1), "an epoch");

  activate ("train-pause-resume");
  g_assert_true (sf_train_view_get_paused (view ()));
  /* The batch in flight (and the validation of a finished epoch) may still land. */
  sf_test_run_for (1500);
  Position paused = position ();
  sf_test_run_for (1500);
  Position later = position ();
  g_assert_cmpint (later.epoch, ==, paused.epoch);
  g_assert_true (sf_train_view_get_running (view ()));

  activate ("train-pause-resume");
  g_assert_false (sf_train_view_get_paused (view ()));
  sf_test_wait_until (some_epochs, GINT_TO_POINTER (paused.epoch + 1), "an epoch after resuming");

  activate ("train-stop");
  sf_test_wait_until (not_running, NULL, "the run to stop");
  int n;
  sf_train_view_get_history (view (), &n);
  g_assert_cmpint (n, <, 200);
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session ());
  g_assert_nonnull (checkpoint);
  g_assert_cmpint (checkpoint->n_history, ==, n);
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
  SfPlot *loss = sf_train_view_get_loss_plot (view ());
  g_assert_cmpuint (sf_plot_get_n_points (loss, current_series (loss, 0)), ==, 3);

  /* Ctrl+S with a path saves in place, no question asked. */
  sf_session_set_threshold (session (), 0.42);
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
          g_assert_true (g_str_has_prefix (contents, "epoch,loss,accuracy,val_loss,val_accuracy"));
          g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
          g_assert_cmpuint (g_strv_length (lines), >=, 4);
        }
      if (g_str_has_suffix (path, ".png"))
        {
          g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
          g_assert_no_error (error);
          g_assert_cmpint (gdk_texture_get_width (texture), ==, 800);
        }
    }
  g_autofree char *plot = g_build_filename (tmp_dir, "loss.svg", NULL);
  g_assert_true (sf_plot_save (sf_train_view_get_loss_plot (view ()), plot, 640, 360, NULL));
  g_autofree char *bad = g_build_filename (tmp_dir, "no-such-dir", "loss.png", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_false (sf_plot_save (sf_train_view_get_loss_plot (view ()), bad, 640, 360, &error));
  g_assert_nonnull (error);
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

  g_test_add_func ("/ui/train/presets", test_presets);
  g_test_add_func ("/ui/train/train", test_train);
  g_test_add_func ("/ui/train/pause-resume-stop", test_pause_resume_stop);
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
