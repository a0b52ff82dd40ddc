/* SfApplication: creates the window on activate or open, installs app actions
 * and accelerators, and drives --screenshots without a second instance. */
#include "sf-application.h"

#include <glib/gi18n.h>

#include "sf-preferences-window.h"
#include "sf-screenshots.h"
#include "sf-stall-meter.h"
#include "sf-window.h"

struct _SfApplication
{
  AdwApplication parent_instance;

  /* Owned */
  char *screenshots_dir;
  char *dataset;   /* from --dataset */
  char *model;     /* from --model */
  double measure_stalls;   /* from --measure-stalls: seconds, 0 when not asked */

  int exit_status;
};

G_DEFINE_FINAL_TYPE (SfApplication, sf_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "dataset", 'd', 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Open this dataset: a folder of people, an Olivetti .mat or a scikit-learn .pkz"), N_("PATH") },
  { "model", 'm', 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Open this model file (.safetensors)"), N_("FILE") },
  { "screenshots", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Save a picture of every view as DIR/VIEW.png, then quit"), N_("DIR") },
  { "measure-stalls", 0, 0, G_OPTION_ARG_DOUBLE, NULL,
    N_("Train for SECONDS while switching views, then print how late the main loop ran and quit "
       "(for developers)"),
    N_("SECONDS") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and quit"), NULL },
  { NULL }
};

static void
screenshots_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SfApplication) self = user_data;
  g_autoptr (GError) error = NULL;

  g_auto (GStrv) paths = sf_screenshots_take_finish (SF_WINDOW (source), result, &error);
  if (paths == NULL)
    {
      g_printerr ("siamese-faces: --screenshots: %s\n", error->message);
      self->exit_status = 1;
    }
  else
    for (guint i = 0; paths[i] != NULL; i++)
      g_print ("%s\n", paths[i]);

  g_application_release (G_APPLICATION (self));
  gtk_window_destroy (GTK_WINDOW (source));
}

static SfWindow *
get_window (SfApplication *self, gboolean *created)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  *created = window == NULL;
  if (window == NULL)
    window = GTK_WINDOW (sf_window_new (GTK_APPLICATION (self)));
  return SF_WINDOW (window);
}

static char *
startup_dataset (SfApplication *self)
{
  if (self->dataset != NULL)
    return g_strdup (self->dataset);
  if (self->screenshots_dir != NULL)
    return NULL;

  g_autoptr (GSettings) settings = g_settings_new (SF_APPLICATION_ID);
  g_autofree char *last = g_settings_get_string (settings, "last-dataset");
  if (last[0] != '\0' && g_file_test (last, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&last);
  return NULL;
}

static void
sf_application_activate (GApplication *application)
{
  SfApplication *self = SF_APPLICATION (application);
  gboolean created;
  SfWindow *window = get_window (self, &created);

  if (created)
    {
      g_autofree char *path = startup_dataset (self);
      if (self->screenshots_dir != NULL)
        {
          /* Pictures of finished states, never of a transition half-way. */
          g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
          gtk_window_set_default_size (GTK_WINDOW (window), 1120, 780);
        }
      if (self->measure_stalls > 0)
        gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
      sf_window_open (window, path);
      if (self->model != NULL)
        {
          g_autoptr (GError) error = NULL;
          SfCheckpoint *checkpoint = sf_checkpoint_load (self->model, &error);
          if (checkpoint != NULL)
            sf_session_set_checkpoint (sf_window_get_session (window), checkpoint, self->model);
          else
            g_printerr ("siamese-faces: --model: %s\n", error->message);
        }
    }
  gtk_window_present (GTK_WINDOW (window));

  if (created && self->screenshots_dir != NULL)
    {
      g_application_hold (application);
      sf_screenshots_take_async (window, self->screenshots_dir, NULL, screenshots_done_cb,
                                 g_object_ref (self));
    }
  else if (created && self->measure_stalls > 0)
    sf_stall_meter_start (window, self->measure_stalls);
}

static void
sf_application_open (GApplication *application, GFile **files, int n_files, const char *hint)
{
  SfApplication *self = SF_APPLICATION (application);
  gboolean created;
  SfWindow *window = get_window (self, &created);
  g_autofree char *path = n_files > 0 ? g_file_get_path (files[0]) : NULL;

  sf_window_open (window, path);
  gtk_window_present (GTK_WINDOW (window));
}

static int
sf_application_handle_local_options (GApplication *application, GVariantDict *options)
{
  SfApplication *self = SF_APPLICATION (application);
  const char *path = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("siamese-faces %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "screenshots", "^&ay", &path))
    {
      g_free (self->screenshots_dir);
      self->screenshots_dir = g_canonicalize_filename (path, NULL);
      /* Its own instance with default settings: pictures that do not depend on
       * (or change) the user's recent datasets and window size. */
      g_application_set_flags (application, g_application_get_flags (application) | G_APPLICATION_NON_UNIQUE);
      g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
    }
  if (g_variant_dict_lookup (options, "measure-stalls", "d", &self->measure_stalls))
    {
      /* As --screenshots: an instance of its own that leaves the settings alone. */
      g_application_set_flags (application, g_application_get_flags (application) | G_APPLICATION_NON_UNIQUE);
      g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
    }
  if (g_variant_dict_lookup (options, "dataset", "^&ay", &path))
    {
      g_free (self->dataset);
      self->dataset = g_canonicalize_filename (path, NULL);
    }
  if (g_variant_dict_lookup (options, "model", "^&ay", &path))
    {
      g_free (self->model);
      self->model = g_canonicalize_filename (path, NULL);
    }
  return -1;
}

static void
sf_application_finalize (GObject *object)
{
  SfApplication *self = SF_APPLICATION (object);

  g_free (self->screenshots_dir);
  g_free (self->dataset);
  g_free (self->model);

  G_OBJECT_CLASS (sf_application_parent_class)->finalize (object);
}

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *application = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (application));

  /* Closing (not destroying) lets each window save its size. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
  /* A window that asks first (training, an unsaved model) stays, and the
   * application ends with its last window. */
  if (gtk_application_get_windows (application) == NULL)
    g_application_quit (G_APPLICATION (application));
}

static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *application = user_data;
  GtkWidget *window = sf_preferences_window_new (gtk_application_get_active_window (application));

  gtk_window_present (GTK_WINDOW (window));
}

/* AdwAboutWindow outlives its closing (something keeps a reference until the
 * application ends); unlinking it from its parent on close keeps it from
 * touching the then finalized main window. */
static gboolean
unlink_on_close_cb (GtkWindow *window, gpointer user_data)
{
  gtk_window_set_transient_for (window, NULL);
  return FALSE;
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  SfApplication *self = user_data;

  sf_application_show_about (self, gtk_application_get_active_window (GTK_APPLICATION (self)));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "preferences", preferences_activated },
  { "about", about_activated },
};

static void
sf_application_startup (GApplication *application)
{
  G_APPLICATION_CLASS (sf_application_parent_class)->startup (application);

  static const struct
  {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.open-dataset", { "<Control>o", NULL } },
    { "win.open-dataset-folder", { "<Control><Shift>o", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.open-model", { "<Control><Shift>m", NULL } },
    { "win.save-model", { "<Control>s", NULL } },
    { "win.save-model-as", { "<Control><Shift>s", NULL } },
    { "win.export", { "<Control>e", NULL } },
    { "win.export-onnx", { "<Control><Shift>e", NULL } },
    { "win.train-start", { "F5", NULL } },
    { "win.train-pause-resume", { "F6", NULL } },
    { "win.train-stop", { "<Shift>F5", NULL } },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (application), app_actions,
                                   G_N_ELEMENTS (app_actions), application);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application), accels[i].action,
                                           accels[i].accels);
}

static void
sf_application_class_init (SfApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = sf_application_finalize;
  app_class->activate = sf_application_activate;
  app_class->open = sf_application_open;
  app_class->startup = sf_application_startup;
  app_class->handle_local_options = sf_application_handle_local_options;
}

static void
sf_application_init (SfApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[DATASET]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Train and inspect a Siamese network for face recognition."));
}

int
sf_application_get_exit_status (SfApplication *self)
{
  g_return_val_if_fail (SF_IS_APPLICATION (self), 1);

  return self->exit_status;
}

GtkWindow *
sf_application_show_about (SfApplication *self, GtkWindow *parent)
{
  g_return_val_if_fail (SF_IS_APPLICATION (self), NULL);

  static const char *developers[] = { "The Siamese Faces developers", NULL };
  const char *datasets[] = {
    /* Translators: a credit line; the URL after the space becomes a link. */
    _("AT&T Laboratories Cambridge — The ORL Database of Faces https://cam-orl.co.uk/facedatabase.html"),
    _("Olivetti Research Laboratory, Cambridge, UK — F. Samaria and A. Harter, 1994"),
    _("The Olivetti faces as published by scikit-learn https://scikit-learn.org/stable/datasets/real_world.html#olivetti-faces-dataset"),
    NULL,
  };

  AdwAboutWindow *about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  gtk_window_set_transient_for (GTK_WINDOW (about), parent);
  gtk_window_set_modal (GTK_WINDOW (about), parent != NULL);
  adw_about_window_set_application_name (about, _("Siamese Faces"));
  adw_about_window_set_application_icon (about, SF_APPLICATION_ID);
  adw_about_window_set_developer_name (about, _("The Siamese Faces developers"));
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_comments (about, _("Train a Siamese convolutional network for one-shot face "
                                          "verification, see the pairs it learns from, and tune its "
                                          "similarity threshold by eye."));
  adw_about_window_set_website (about, "https://github.com/siamesefaces/siamese-faces");
  adw_about_window_set_issue_url (about, "https://github.com/siamesefaces/siamese-faces/issues");
  adw_about_window_set_copyright (about, _("© 2024 The Siamese Faces developers"));
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_developers (about, developers);
  /* Translators: put your names here, one per line. */
  adw_about_window_set_translator_credits (about, _("translator-credits"));
  adw_about_window_add_credit_section (about, _("Face Datasets"), datasets);
  /* The legal section is markup. */
  adw_about_window_add_legal_section (about, _("The ORL Database of Faces"),
                                      _("© 1992–1994 AT&amp;T Laboratories Cambridge / Olivetti Research Laboratory"),
                                      GTK_LICENSE_CUSTOM,
                                      _("The faces were taken between April 1992 and April 1994 at the Olivetti "
                                        "Research Laboratory in Cambridge, UK. When using these images, please "
                                        "give credit to the Olivetti Research Laboratory: F. Samaria and A. Harter, "
                                        "“Parameterisation of a stochastic model for human face identification”, "
                                        "2nd IEEE Workshop on Applications of Computer Vision, December 1994, "
                                        "Sarasota (Florida). The Olivetti faces of scikit-learn are the same "
                                        "photographs, cropped and scaled to 64 × 64 pixels."));
  g_signal_connect (about, "close-request", G_CALLBACK (unlink_on_close_cb), NULL);
  gtk_window_present (GTK_WINDOW (about));
  return GTK_WINDOW (about);
}

SfApplication *
sf_application_new (const char *application_id, GApplicationFlags flags)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  return g_object_new (SF_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", "/io/github/siamesefaces/SiameseFaces",
                       NULL);
}
