/* The harness every UI test shares: the application, the main loop, widget
 * lookup, dialogs and fatal warnings. */
#include "sf-test-ui.h"

#include <string.h>

static guint wait_timeout_ms = 60000;
static char **tolerated_parts;
static guint n_tolerated;

static const char *
message_of (const GLogField *fields, gsize n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      return fields[i].value;
  return NULL;
}

static gboolean
tolerated (const char *message)
{
  if (tolerated_parts == NULL || message == NULL)
    return FALSE;
  for (guint i = 0; tolerated_parts[i] != NULL; i++)
    if (strstr (message, tolerated_parts[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* Every warning or critical is fatal, and says what it was first. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *message = message_of (fields, n_fields);
  gboolean bad = (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0;

  if (bad && (level & G_LOG_LEVEL_WARNING) && tolerated (message))
    {
      n_tolerated++;
      return G_LOG_WRITER_HANDLED;
    }
  GLogWriterOutput result = g_log_writer_default (level, fields, n_fields, data);
  if (bad)
    g_error ("unexpected warning or critical: %s", message != NULL ? message : "?");
  return result;
}

gboolean
sf_test_ui_init (int *argc, char ***argv)
{
  gboolean display = g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL;

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_log_set_writer_func (log_writer, NULL, NULL);
  if (display)
    gtk_test_init (argc, argv, NULL);
  else
    g_test_init (argc, argv, NULL);
  /* The writer decides what is fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  if (display)
    g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  return display;
}

int
sf_test_ui_skip_no_display (void)
{
  /* TAP: a plan of nothing, skipped. Run under xvfb-run to test the window. */
  g_print ("1..0 # SKIP no display\n");
  return 0;
}

void
sf_test_ui_tolerate_warnings (const char *const *parts)
{
  g_strfreev (tolerated_parts);
  tolerated_parts = g_strdupv ((char **) parts);
}

guint
sf_test_ui_get_n_tolerated (void)
{
  return n_tolerated;
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
sf_test_wait_until (SfTestCondition condition, gpointer data, const char *what)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (wait_timeout_ms, timeout_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out waiting for %s", what);
  g_source_remove (id);
}

void
sf_test_set_wait_timeout (guint ms)
{
  wait_timeout_ms = ms;
}

void
sf_test_drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

void
sf_test_settle (gpointer widget)
{
  sf_test_drain ();
  gtk_test_widget_wait_for_draw (GTK_WIDGET (widget));
  sf_test_drain ();
}

gboolean
sf_test_window_ready (gpointer window)
{
  return window != NULL
         && sf_window_get_faces (window) != NULL
         && !sf_window_get_loading (window)
         && !sf_pairs_view_get_busy (sf_window_get_pairs_view (window));
}

SfWindow *
sf_test_open_window (SfApplication **app)
{
  g_autoptr (GError) error = NULL;

  *app = sf_application_new (SF_APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (*app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (*app));
  SfWindow *window = SF_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (*app)));
  g_assert_nonnull (window);
  sf_test_wait_until (sf_test_window_ready, window, "the demo faces");
  sf_test_settle (window);
  return window;
}

void
sf_test_close_window (SfApplication **app, SfWindow **window)
{
  if (*window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (*window));
      *window = NULL;
    }
  sf_test_drain ();
  g_clear_object (app);
}

static GtkWidget *
find_widget (GtkWidget *widget, GType type, const char *name, const char *css_class)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type)
      && (name == NULL || g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
      && (css_class == NULL || gtk_widget_has_css_class (widget, css_class)))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, name, css_class);
      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
sf_test_find_widget (GtkWidget *root, GType type, const char *name)
{
  return find_widget (root, type, name, NULL);
}

GtkWidget *
sf_test_find_widget_with_class (GtkWidget *root, GType type, const char *css_class)
{
  return find_widget (root, type, NULL, css_class);
}

GtkWindow *
sf_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) candidate = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (candidate, type) && gtk_widget_get_visible (GTK_WIDGET (candidate)))
        return candidate;
    }
  return NULL;
}

static gboolean
toplevel_shown (gpointer data)
{
  GtkWindow *found = sf_test_find_toplevel (GPOINTER_TO_SIZE (data));

  return found != NULL && gtk_widget_get_mapped (GTK_WIDGET (found));
}

static gboolean
toplevel_gone (gpointer data)
{
  return sf_test_find_toplevel (GPOINTER_TO_SIZE (data)) == NULL;
}

void
sf_test_wait_toplevel_shown (GType type, const char *what)
{
  sf_test_wait_until (toplevel_shown, GSIZE_TO_POINTER (type), what);
}

void
sf_test_wait_toplevel_gone (GType type, const char *what)
{
  sf_test_wait_until (toplevel_gone, GSIZE_TO_POINTER (type), what);
}

static gboolean
message_dialog_present (gpointer data)
{
  return sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

char *
sf_test_answer_dialog (const char *response)
{
  sf_test_wait_until (message_dialog_present, NULL, "a message dialog");
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (sf_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  char *heading = g_strdup (adw_message_dialog_get_heading (dialog));

  g_test_message ("dialog: %s — %s", heading, adw_message_dialog_get_body (dialog));
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
  sf_test_drain ();
  return heading;
}
