/* The window's model actions: open a model (.safetensors), save it, save it
 * as, export the curves, export the tower as ONNX, start/pause/stop training by keyboard from any
 * view; and, on close, asking first when a run is under way (then stopping
 * it cleanly) or the model is not saved. */
#include "sf-window-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "onnx-export.h"
#include "sf-file-chooser.h"
#include "sf-train-view.h"

typedef struct
{
  SfWindow *window;               /* borrowed: the state is the window's data */
  GtkFileChooserNative *chooser;
  gboolean close_after_training;
  gboolean close_after_save;
  gboolean close_confirmed;
} ModelState;

static ModelState *
state_of (SfWindow *self)
{
  return g_object_get_data (G_OBJECT (self), "sf-model-file-actions");
}

static void
state_free (gpointer data)
{
  ModelState *state = data;

  sf_file_chooser_clear (&state->chooser);
  g_free (state);
}

static void
message (SfWindow *self, const char *heading, const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
update_enabled (SfWindow *self)
{
  SfSession *session = sf_window_get_session (self);
  gboolean model = sf_session_get_checkpoint (session) != NULL;
  gboolean training = sf_session_get_training (session);
  const char *names[] = { "open-model", "save-model", "save-model-as", "export-onnx" };
  gboolean enabled[] = { !training, model, model, model };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), names[i]);
      g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled[i]);
    }
}

static gboolean
save_to (SfWindow *self, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_path_get_basename (path);

  if (!sf_session_save (sf_window_get_session (self), path, &error))
    {
      /* Translators: %s is a file name. */
      g_autofree char *heading = g_strdup_printf (_("Could Not Save “%s”"), name);
      message (self, heading, error->message);
      return FALSE;
    }
  /* Translators: %s is a file name. */
  g_autofree char *text = g_strdup_printf (_("Saved model %s"), name);
  sf_window_add_toast (self, adw_toast_new (text));
  return TRUE;
}

static void
open_chosen (gpointer owner, const char *const *paths)
{
  sf_window_open_model (owner, paths[0]);
}

static void
save_chosen (gpointer owner, const char *const *paths)
{
  SfWindow *self = owner;
  ModelState *state = state_of (self);
  gboolean close_after = state->close_after_save;
  g_autofree char *path = g_str_has_suffix (paths[0], ".safetensors") ? g_strdup (paths[0])
                                                                       : g_strconcat (paths[0], ".safetensors", NULL);

  state->close_after_save = FALSE;
  if (save_to (self, path) && close_after)
    gtk_window_close (GTK_WINDOW (self));
}

static void
choose (SfWindow *self, gboolean save)
{
  ModelState *state = state_of (self);
  static const char * const safetensors[] = { "safetensors", NULL };
  GtkFileChooser *chooser;

  state->close_after_save = FALSE;   /* set again by the close dialog's Save */
  if (save)
    chooser = sf_file_chooser_new (&state->chooser, GTK_WIDGET (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                   _("Save Model"), _("_Save"), save_chosen, self);
  else
    chooser = sf_file_chooser_new (&state->chooser, GTK_WIDGET (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                   _("Open Model"), _("_Open"), open_chosen, self);
  sf_file_chooser_add_filter (chooser, _("Models (.safetensors)"), NULL, safetensors);
  if (save)
    {
      const char *path = sf_session_get_model_path (sf_window_get_session (self));
      g_autofree char *name = path != NULL ? g_path_get_basename (path) : g_strdup ("model.safetensors");
      gtk_file_chooser_set_current_name (chooser, name);
    }
  sf_file_chooser_show (chooser);
}

static void
open_model_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  choose (user_data, FALSE);
}

static void
save_model_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  SfWindow *self = user_data;
  const char *path = sf_session_get_model_path (sf_window_get_session (self));

  if (path != NULL)
    save_to (self, path);
  else
    choose (self, TRUE);
}

static void
save_model_as_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  choose (user_data, TRUE);
}

static void
export_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  SfWindow *self = user_data;

  /* The Train view's own export, starting with the history. */
  gtk_widget_activate_action (GTK_WIDGET (sf_window_get_train_view (self)), "train.export-plot", "s", "history.csv");
}

/* ONNX export: a copy of the model written on a worker thread (the file
 * may be large, and is synced to disk), the outcome shown on the main thread. */
typedef struct
{
  SfModel *model;
  float threshold;
  char *path;
} OnnxJob;

static void
onnx_job_free (gpointer data)
{
  OnnxJob *job = data;

  sf_model_free (job->model);
  g_free (job->path);
  g_free (job);
}

static void
export_onnx_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  OnnxJob *job = task_data;
  GError *error = NULL;

  if (sf_onnx_export_save (job->path, job->model, job->threshold, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
export_onnx_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfWindow *self = SF_WINDOW (source);
  OnnxJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_path_get_basename (job->path);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* Translators: %s is a file name. */
      g_autofree char *heading = g_strdup_printf (_("Could Not Export “%s”"), name);
      message (self, heading, error->message);
      return;
    }
  /* Translators: %s is a file name. */
  g_autofree char *text = g_strdup_printf (_("Exported the tower to %s"), name);
  sf_window_add_toast (self, adw_toast_new (text));
}

static void
export_onnx_chosen (gpointer owner, const char *const *paths)
{
  g_autofree char *path = g_str_has_suffix (paths[0], ".onnx") ? g_strdup (paths[0])
                                                                : g_strconcat (paths[0], ".onnx", NULL);

  sf_window_export_onnx (owner, path);
}

void
sf_window_export_onnx (SfWindow *self, const char *path)
{
  g_return_if_fail (SF_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (sf_window_get_session (self));

  if (checkpoint == NULL)
    return;
  OnnxJob *job = g_new0 (OnnxJob, 1);
  job->model = sf_model_copy (checkpoint->model);
  job->threshold = (float) sf_session_get_threshold (sf_window_get_session (self));
  job->path = g_strdup (path);
  if (job->model == NULL)
    {
      message (self, _("Could Not Export the Model"), _("There is not enough memory for a copy of the model."));
      onnx_job_free (job);
      return;
    }
  g_autoptr (GTask) task = g_task_new (self, NULL, export_onnx_done_cb, NULL);
  g_task_set_task_data (task, job, onnx_job_free);
  g_task_run_in_thread (task, export_onnx_thread);
}

static void
export_onnx_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  SfWindow *self = user_data;
  ModelState *state = state_of (self);
  static const char * const onnx[] = { "onnx", NULL };
  const char *path = sf_session_get_model_path (sf_window_get_session (self));
  g_autofree char *base = path != NULL ? g_path_get_basename (path) : g_strdup ("tower");
  g_autofree char *name = NULL;

  if (g_str_has_suffix (base, ".safetensors"))
    base[strlen (base) - strlen (".safetensors")] = '\0';
  name = g_strconcat (base, ".onnx", NULL);
  GtkFileChooser *chooser = sf_file_chooser_new (&state->chooser, GTK_WIDGET (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                                 _("Export the Tower as ONNX"), _("_Export"), export_onnx_chosen,
                                                 self);
  sf_file_chooser_add_filter (chooser, _("ONNX models (.onnx)"), NULL, onnx);
  gtk_file_chooser_set_current_name (chooser, name);
  sf_file_chooser_show (chooser);
}

static void
train_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  SfWindow *self = user_data;
  const char *name = g_action_get_name (G_ACTION (action));

  if (g_strcmp0 (name, "train-start") == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-view", "s", "train");
  /* "train-start" → "train.start", and so on. */
  g_autofree char *target = g_strdup_printf ("train.%s", name + strlen ("train-"));
  gtk_widget_activate_action (GTK_WIDGET (sf_window_get_train_view (self)), target, NULL);
}

static const GActionEntry model_actions[] = {
  { "open-model", open_model_activated },
  { "save-model", save_model_activated },
  { "save-model-as", save_model_as_activated },
  { "export", export_activated },
  { "export-onnx", export_onnx_activated },
  { "train-start", train_activated },
  { "train-pause-resume", train_activated },
  { "train-stop", train_activated },
};

static gboolean
close_idle_cb (gpointer data)
{
  gtk_window_close (GTK_WINDOW (data));
  return G_SOURCE_REMOVE;
}

static void
training_changed_cb (SfWindow *self)
{
  ModelState *state = state_of (self);

  update_enabled (self);
  if (state->close_after_training && !sf_session_get_training (sf_window_get_session (self)))
    {
      state->close_after_training = FALSE;
      state->close_confirmed = TRUE;
      /* Not from inside the notification: the views are still in their handlers. */
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, close_idle_cb, g_object_ref (self), g_object_unref);
    }
}

void
sf_model_file_actions_install (SfWindow *self)
{
  ModelState *state = g_new0 (ModelState, 1);
  SfSession *session = sf_window_get_session (self);

  state->window = self;
  g_object_set_data_full (G_OBJECT (self), "sf-model-file-actions", state, state_free);
  g_action_map_add_action_entries (G_ACTION_MAP (self), model_actions, G_N_ELEMENTS (model_actions), self);
  g_signal_connect_object (session, "notify::checkpoint", G_CALLBACK (update_enabled), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::training", G_CALLBACK (training_changed_cb), self, G_CONNECT_SWAPPED);
  update_enabled (self);
}

void
sf_window_open_model (SfWindow *self, const char *path)
{
  g_return_if_fail (SF_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_path_get_basename (path);
  SfSession *session = sf_window_get_session (self);

  if (sf_session_get_training (session))
    {
      message (self, _("Training Is Under Way"), _("Stop training before opening another model."));
      return;
    }
  /* A few MB read and checked: quick enough for the main thread. */
  SfCheckpoint *checkpoint = sf_checkpoint_load (path, &error);
  if (checkpoint == NULL)
    {
      g_autoptr (GString) body = g_string_new (NULL);
      if (strstr (error->message, name) == NULL)
        g_string_append_printf (body, "%s: ", path);
      g_string_append (body, error->message);
      if (sf_session_get_checkpoint (session) != NULL)
        {
          g_string_append (body, "\n\n");
          g_string_append (body, _("The current model stays."));
        }
      /* Translators: %s is a file name. */
      g_autofree char *heading = g_strdup_printf (_("Could Not Open “%s”"), name);
      message (self, heading, body->str);
      return;
    }
  sf_session_set_checkpoint (session, checkpoint, path);
  /* Translators: %s is a file name. */
  g_autofree char *text = g_strdup_printf (_("Opened model %s"), name);
  sf_window_add_toast (self, adw_toast_new (text));
}

static void
stop_response_cb (AdwMessageDialog *dialog, const char *response, SfWindow *self)
{
  if (g_strcmp0 (response, "stop") != 0)
    return;
  state_of (self)->close_after_training = TRUE;
  sf_train_view_stop (sf_window_get_train_view (self));
}

static void
unsaved_response_cb (AdwMessageDialog *dialog, const char *response, SfWindow *self)
{
  ModelState *state = state_of (self);

  if (g_strcmp0 (response, "discard") == 0)
    {
      state->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
  else if (g_strcmp0 (response, "save") == 0)
    {
      const char *path = sf_session_get_model_path (sf_window_get_session (self));
      if (path != NULL)
        {
          if (save_to (self, path))
            {
              state->close_confirmed = TRUE;
              gtk_window_close (GTK_WINDOW (self));
            }
        }
      else
        {
          choose (self, TRUE);
          state->close_after_save = TRUE;
        }
    }
}

/* Which model the close dialog would save: the one current now, named, so
 * that nobody saves a model they did not mean (a stopped run's never is). */
static char *
describe_unsaved (SfSession *session)
{
  const SfCheckpoint *checkpoint = sf_session_get_checkpoint (session);
  const char *path = sf_session_get_model_path (session);

  if (path != NULL)
    {
      g_autofree char *name = g_path_get_basename (path);
      /* Translators: %s is a model file name. */
      return g_strdup_printf (_("The threshold of “%s” has changed and is not saved. "
                                "Closing without saving loses the change."), name);
    }
  return g_strdup_printf (ngettext ("The current model, trained for %d epoch, is not saved. "
                                    "Closing without saving loses it.",
                                    "The current model, trained for %d epochs, is not saved. "
                                    "Closing without saving loses it.", checkpoint->n_history),
                          checkpoint->n_history);
}

gboolean
sf_model_file_actions_close_request (SfWindow *self)
{
  ModelState *state = state_of (self);
  SfSession *session = sf_window_get_session (self);

  if (state == NULL || state->close_confirmed)
    return FALSE;
  if (sf_session_get_training (session))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Stop Training?"),
                                                  _("A training run is under way. Stopping keeps the epochs "
                                                    "done so far; the window closes once the run has stopped."));
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "cancel", _("_Keep Training"),
                                        "stop", _("_Stop and Close"),
                                        NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "stop", ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      g_signal_connect_object (dialog, "response", G_CALLBACK (stop_response_cb), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return TRUE;
    }
  if (sf_session_get_checkpoint (session) != NULL && sf_session_get_modified (session))
    {
      g_autofree char *body = describe_unsaved (session);
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Save the Model?"), body);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "cancel", _("_Cancel"),
                                        "discard", _("_Discard"),
                                        "save", _("_Save…"),
                                        NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard", ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      g_signal_connect_object (dialog, "response", G_CALLBACK (unsaved_response_cb), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return TRUE;
    }
  return FALSE;
}
