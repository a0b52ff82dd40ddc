/* Fine-tuning in the real window under Xvfb: the Train view's "Start from"
 * rows follow the shared settings (the layers to freeze limited to the
 * spec's layers, the file row only for a model file) and can be reached from
 * the keyboard; a run started from the current model begins with its
 * weights, keeps the frozen layers' tensors bit for bit, trains the others
 * and records where it started; a spec that does not match the current model
 * is refused with a message naming the first differing layer. */
#include <adwaita.h>
#include <string.h>

#include "sf-application.h"
#include "sf-test-files.h"
#include "sf-test-ui.h"
#include "sf-train-view.h"
#include "sf-training-settings.h"
#include "sf-window.h"
#include "transfer.h"

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

static void
drain (void)
{
  for (int i = 0; i < 3; i++)
    sf_test_drain ();
}

/* The preferences row of the Train view titled `title`. */
static GtkWidget *
find_row (const char *title)
{
  GtkWidget *stack[512];
  int n = 0;

  stack[n++] = GTK_WIDGET (view ());
  while (n > 0)
    {
      GtkWidget *widget = stack[--n];
      if (ADW_IS_PREFERENCES_ROW (widget)
          && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
        return widget;
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && n < 512;
           child = gtk_widget_get_next_sibling (child))
        stack[n++] = child;
    }
  g_error ("no row titled %s", title);
  return NULL;
}

static void
train (guint epochs)
{
  g_settings_set_int (settings, "train-epochs", (int) epochs);
  drain ();
  g_action_group_activate_action (G_ACTION_GROUP (window), "train-start", NULL);
  g_assert_true (sf_train_view_get_running (view ()));
  sf_test_wait_until (not_running, NULL, "training to finish");
}

static gboolean
message_shown (gpointer data)
{
  return sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static void
test_rows (void)
{
  AdwComboRow *start_row = ADW_COMBO_ROW (find_row ("Start _from"));
  AdwActionRow *file_row = ADW_ACTION_ROW (find_row ("Model file"));
  AdwActionRow *freeze_row = ADW_ACTION_ROW (find_row ("Layers to free_ze"));
  GtkWidget *spin = adw_action_row_get_activatable_widget (freeze_row);
  GtkWidget *choose = adw_action_row_get_activatable_widget (file_row);

  g_settings_set_string (settings, "train-preset", "compact");
  g_settings_set_string (settings, "train-start-from", "scratch");
  drain ();

  /* From the keyboard: the combo row by its mnemonic, each row activates its control. */
  g_assert_true (adw_preferences_row_get_use_underline (ADW_PREFERENCES_ROW (start_row)));
  g_assert_true (adw_preferences_row_get_use_underline (ADW_PREFERENCES_ROW (freeze_row)));
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (start_row)));
  g_assert_true (GTK_IS_SPIN_BUTTON (spin));
  g_assert_true (GTK_IS_BUTTON (choose));
  g_assert_true (gtk_widget_get_focusable (choose));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (choose)), ==, "train.choose-init-file");

  /* From scratch nothing is frozen, and the file row is not shown. */
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (file_row)));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (freeze_row)));

  /* The combo row writes the key; the layers to freeze stop at the spec's 12. */
  adw_combo_row_set_selected (start_row, SF_START_MODEL_FILE);
  drain ();
  g_autofree char *start = g_settings_get_string (settings, "train-start-from");
  g_assert_cmpstr (start, ==, "file");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (file_row)));
  g_assert_cmpstr (adw_action_row_get_subtitle (file_row), ==, "None chosen");
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (freeze_row)));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 40);
  drain ();
  g_assert_cmpint (g_settings_get_int (settings, "train-freeze"), ==, 12);
  g_autoptr (SfTower) tower = sf_tower_parse (SF_SPEC_COMPACT, 64, NULL);
  g_assert_cmpint (sf_tower_n_layers (tower), ==, 12);

  /* No file chosen: a message, and nothing starts. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "train-start", NULL);
  g_autofree char *heading = sf_test_answer_dialog ("close");
  g_assert_cmpstr (heading, ==, "Could Not Start Training");
  g_assert_false (sf_train_view_get_running (view ()));
  g_settings_set_string (settings, "train-start-from", "scratch");
  g_settings_set_int (settings, "train-freeze", 0);
  drain ();
}

static void
test_start_from_current_model (void)
{
  SfTrainingRun *run = sf_train_view_get_run (view ());

  g_settings_set_string (settings, "train-preset", "compact");
  g_settings_set_string (settings, "train-start-from", "scratch");
  drain ();
  train (2);
  const SfCheckpoint *current = sf_session_get_checkpoint (session ());
  g_assert_nonnull (current);
  g_assert_null (current->settings.init_name);
  g_autoptr (SfModel) before = sf_model_copy (current->model);
  int before_epochs = current->n_history;

  /* Start from the current model, the first 8 layers (four convolutions with
   * their batch norms, and the pools) frozen. */
  g_settings_set_string (settings, "train-start-from", "current");
  g_settings_set_int (settings, "train-freeze", 8);
  drain ();
  g_assert_true (gtk_widget_get_sensitive (find_row ("Layers to free_ze")));
  train (2);
  SfTrainer *trainer = sf_training_run_get_trainer (run);
  SfModel *after = sf_trainer_get_model (trainer);
  const SfTower *tower = sf_model_get_tower (after);
  int n_frozen = 0, n_trained = 0;
  for (int k = 0; k < sf_model_n_tensors (after); k++)
    {
      const SfTensorInfo *t = sf_model_tensor (after, k);
      const SfTensorInfo *u = sf_model_find_tensor (before, t->name);
      gboolean same = memcmp (sf_model_params (after) + t->offset, sf_model_params (before) + u->offset,
                              sizeof (float) * t->size) == 0;
      if (t->op >= 0 && tower->ops[t->op].token < 8)
        {
          g_assert_true (same);
          n_frozen++;
        }
      else
        {
          g_assert_false (same);
          n_trained++;
        }
    }
  g_assert_cmpint (n_frozen, ==, 4 * 6);   /* conv weight and bias, γ, β, running mean and variance */
  g_assert_cmpint (n_trained, >=, 4);

  /* The record: where it started (a model never saved has no file name) and what was frozen. */
  const SfTrainSettings *s = sf_trainer_get_settings (trainer);
  g_autofree char *fingerprint = sf_model_fingerprint (before);
  g_assert_cmpstr (s->init_name, ==, "the current model");
  g_assert_cmpstr (s->init_fingerprint, ==, fingerprint);
  g_assert_cmpint (s->init_epochs, ==, before_epochs);
  g_assert_cmpint (s->freeze, ==, 8);
}

static void
test_mismatch_named (void)
{
  g_assert_nonnull (sf_session_get_checkpoint (session ()));
  g_settings_set_string (settings, "train-start-from", "current");
  g_settings_set_string (settings, "train-spec",
                         "conv16k3-bn-relu pool2 conv16k3-bn-relu pool2 conv32k3-bn-relu pool2 conv64k3-bn-relu pool2 "
                         "conv96k3-bn-relu gap dense128 l2norm");
  drain ();
  g_action_group_activate_action (G_ACTION_GROUP (window), "train-start", NULL);
  sf_test_wait_until (message_shown, NULL, "the message");
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_autofree char *body = g_strdup (adw_message_dialog_get_body (dialog));
  g_autofree char *heading = sf_test_answer_dialog ("close");
  g_assert_cmpstr (heading, ==, "Could Not Start Training");
  g_assert_cmpstr (body, ==, "layer 9: the model file has conv128k3-bn-relu, the spec asks for conv96k3-bn-relu");
  g_assert_false (sf_train_view_get_running (view ()));
  g_settings_set_string (settings, "train-start-from", "scratch");
  g_settings_set_string (settings, "train-preset", "compact");
  drain ();
}

int
main (int argc, char *argv[])
{
  if (!sf_test_ui_init (&argc, &argv))
    return sf_test_ui_skip_no_display ();
  sf_test_set_wait_timeout (120000);

  tmp_dir = sf_test_make_tmp_dir ("sf-ui-finetune-XXXXXX");
  settings = g_settings_new (SF_APPLICATION_ID);
  window = sf_test_open_window (&app);
  g_autofree char *runs_root = g_build_filename (tmp_dir, "runs", NULL);
  sf_session_set_run_store_root (session (), runs_root);

  g_test_add_func ("/ui/finetune/rows", test_rows);
  g_test_add_func ("/ui/finetune/start-from-current-model", test_start_from_current_model);
  g_test_add_func ("/ui/finetune/mismatch-named", test_mismatch_named);

  int status = g_test_run ();

  if (window != NULL)
    sf_test_wait_until (not_running, NULL, "training to stop");
  sf_test_close_window (&app, &window);
  g_clear_object (&settings);
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
