/* Hostile files in the real window (under Xvfb): every crafted bad model
 * (sf-test-hostile.c) opened as the window opens models ends in a dialog
 * naming the file and the problem, with the current model kept; every
 * crafted bad gallery beside a good model ends in the People view's toast
 * naming the gallery and the problem. None may crash the window, and none
 * may pass a warning or a critical (the harness makes them fatal). */
#include <glib/gstdio.h>
#include <string.h>

#include "checkpoint.h"
#include "sf-people-view.h"
#include "sf-test-files.h"
#include "sf-test-hostile.h"
#include "sf-test-ui.h"

static SfApplication *app;
static SfWindow *window;
static char *tmp_dir;

/* A model for a 16×16 face: quick to save, load and embed. */
static SfModel *
small_model (void)
{
  GError *error = NULL;
  SfModel *model = sf_model_new ("conv4k3-bn-relu pool2 gap dense8", SF_HEAD_CONTRASTIVE, 2.0f, 16, 3, &error);
  g_assert_no_error (error);
  return model;
}

static gboolean
dialog_shown (gpointer data)
{
  return sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static void
test_models (void)
{
  g_autoptr (SfModel) model = small_model ();
  g_autofree char *dir = g_build_filename (tmp_dir, "models", NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_autoptr (GPtrArray) files = sf_test_write_hostile_models (dir, model);
  SfSession *session = sf_window_get_session (window);

  /* A good model first: a bad one must leave it in place. */
  g_autofree char *good = g_build_filename (dir, "valid-model.safetensors", NULL);
  sf_window_open_model (window, good);
  const SfCheckpoint *current = sf_session_get_checkpoint (session);
  g_assert_nonnull (current);

  for (guint k = 0; k < files->len; k++)
    {
      SfTestHostileFile *file = files->pdata[k];
      g_autofree char *name = g_path_get_basename (file->path);
      sf_window_open_model (window, file->path);
      sf_test_wait_until (dialog_shown, NULL, "the error dialog");
      AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
      const char *heading = adw_message_dialog_get_heading (dialog);
      const char *body = adw_message_dialog_get_body (dialog);
      g_test_message ("%s: %s — %s", file->name, heading, body);
      if (strstr (heading, name) == NULL || strstr (body, file->needle) == NULL)
        g_error ("%s: the dialog '%s' — '%s' lacks the file's name or '%s'", file->name, heading, body, file->needle);
      g_assert_true (sf_session_get_checkpoint (session) == current);
      g_assert_cmpstr (sf_session_get_model_path (session), ==, good);
      adw_message_dialog_response (dialog, "close");
      gtk_window_close (GTK_WINDOW (dialog));
      sf_test_wait_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "the error dialog to close");
    }
}

typedef struct {
  SfPeopleView *view;
  const char *gallery;   /* file name */
  const char *needle;
} ErrorWait;

static gboolean
people_error_shown (gpointer data)
{
  ErrorWait *wait = data;
  const char *error = sf_people_view_get_last_error (wait->view);
  return error != NULL && strstr (error, wait->gallery) != NULL && strstr (error, wait->needle) != NULL;
}

static gboolean
people_idle (gpointer data)
{
  return !sf_people_view_get_busy (data);
}

static void
test_galleries (void)
{
  g_autoptr (SfModel) model = small_model ();
  g_autofree char *dir = g_build_filename (tmp_dir, "galleries", NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_autoptr (GPtrArray) files = sf_test_write_hostile_galleries (dir, model);
  SfPeopleView *view = SF_PEOPLE_VIEW (sf_test_find_widget (GTK_WIDGET (window), SF_TYPE_PEOPLE_VIEW, NULL));
  g_assert_nonnull (view);

  for (guint k = 0; k < files->len; k++)
    {
      SfTestHostileFile *file = files->pdata[k];
      g_autofree char *model_name = g_path_get_basename (file->path);
      g_autofree char *base = g_strndup (model_name, strlen (model_name) - strlen (".safetensors"));
      g_autofree char *gallery = g_strconcat (base, ".gallery", NULL);
      sf_window_open_model (window, file->path);
      g_assert_null (sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
      g_assert_cmpstr (sf_session_get_model_path (sf_window_get_session (window)), ==, file->path);
      ErrorWait wait = { view, gallery, file->needle };
      g_autofree char *what = g_strdup_printf ("the People view's message on %s", gallery);
      sf_test_wait_until (people_error_shown, &wait, what);
      g_test_message ("%s: %s", file->name, sf_people_view_get_last_error (view));
      sf_test_wait_until (people_idle, view, "the People view's job to end");
    }
}

int
main (int argc, char *argv[])
{
  if (!sf_test_ui_init (&argc, &argv))
    return sf_test_ui_skip_no_display ();

  tmp_dir = sf_test_make_tmp_dir ("sf-ui-hostile-XXXXXX");
  window = sf_test_open_window (&app);

  g_test_add_func ("/ui/hostile/models", test_models);
  g_test_add_func ("/ui/hostile/galleries", test_galleries);

  int status = g_test_run ();

  sf_test_close_window (&app, &window);
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
