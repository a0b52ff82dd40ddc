/* SfWindow: window actions (installed on the class, so they exist before the
 * window is shown), the SfDatasetLoader bridge, recent datasets and window
 * state in GSettings. */
#include "sf-window.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sf-dataset-loader.h"
#include "sf-file-chooser.h"
#include "sf-model-view.h"
#include "sf-people-view.h"
#include "sf-similarity-view.h"
#include "sf-strings.h"
#include "sf-train-view.h"
#include "sf-window-private.h"

#define APP_ID "io.github.siamesefaces.SiameseFaces"
#define MAX_RECENT 8

const char * const sf_window_view_names[] = {
  "dataset", "pairs", "model", "train", "similarity", "people", NULL,
};

struct _SfWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  GtkWidget *content_box;
  GtkSpinner *spinner;
  AdwViewSwitcherTitle *switcher_title;
  GtkRevealer *welcome_revealer;
  GtkWidget *open_olivetti_wide;
  GtkWidget *open_olivetti_narrow;
  GtkProgressBar *progress_bar;
  AdwToastOverlay *toast_overlay;
  AdwViewStack *stack;
  SfDatasetView *dataset_view;
  SfPairsView *pairs_view;
  SfModelView *model_view;
  SfTrainView *train_view;
  SfSimilarityView *similarity_view;
  SfPeopleView *people_view;
  GMenu *recent_menu;

  /* Owned */
  SfSession *session;
  GSettings *settings;
  SfDatasetLoader *loader;
  SfFaceList *faces;
  char *path;              /* of the open dataset; NULL for the demo faces */
  char *last_error;
  char *olivetti_cache;    /* scikit-learn's cached Olivetti faces, when present */
  GtkFileChooserNative *chooser;
  AdwToast *toast;         /* the last toast shown, while it is shown */

  guint pulse_id;
  gboolean welcome_dismissed;
};

enum {
  PROP_0,
  PROP_FACES,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfWindow, sf_window, ADW_TYPE_APPLICATION_WINDOW)

static void
update_welcome (SfWindow *self)
{
  gboolean demo = self->faces != NULL && self->path == NULL;

  gtk_revealer_set_reveal_child (self->welcome_revealer, demo && !self->welcome_dismissed);
}

static void
update_recent_menu (SfWindow *self)
{
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-datasets");

  g_menu_remove_all (self->recent_menu);
  for (guint i = 0; recent[i] != NULL; i++)
    {
      g_autofree char *name = g_path_get_basename (recent[i]);
      g_autoptr (GMenuItem) item = g_menu_item_new (name, NULL);
      g_menu_item_set_action_and_target (item, "win.open-recent", "s", recent[i]);
      g_menu_append_item (self->recent_menu, item);
    }
}

static void
remember_dataset (SfWindow *self, const char *path)
{
  g_settings_set_string (self->settings, "last-dataset", path != NULL ? path : "");
  if (path == NULL)
    return;

  g_auto (GStrv) old = g_settings_get_strv (self->settings, "recent-datasets");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 1;

  g_strv_builder_add (builder, path);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT; i++)
    if (g_strcmp0 (old[i], path) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  g_auto (GStrv) recent = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-datasets", (const char * const *) recent);
}

static gboolean
pulse_cb (gpointer data)
{
  SfWindow *self = data;

  if (sf_dataset_loader_get_fraction (self->loader) <= 0.0)
    gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
loading_changed_cb (SfWindow *self)
{
  gboolean loading = sf_dataset_loader_get_loading (self->loader);

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), loading);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), loading);
  gtk_spinner_set_spinning (self->spinner, loading);
  if (loading)
    {
      const char *path = sf_dataset_loader_get_path (self->loader);
      g_autofree char *name = path != NULL ? g_path_get_basename (path) : g_strdup (_("demo faces"));
      g_autofree char *tooltip = g_strdup_printf (_("Loading “%s”…"), name);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->spinner), tooltip);
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      if (self->pulse_id == 0)
        self->pulse_id = g_timeout_add (100, pulse_cb, self);
    }
  else
    g_clear_handle_id (&self->pulse_id, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
fraction_changed_cb (SfWindow *self)
{
  double fraction = sf_dataset_loader_get_fraction (self->loader);

  if (fraction > 0.0)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
}

static void
set_faces (SfWindow *self, SfFaceList *faces, const char *path)
{
  g_set_object (&self->faces, faces);
  g_free (self->path);
  self->path = g_strdup (path);

  g_autofree char *title = faces != NULL ? sf_face_list_dup_title (faces) : NULL;
  adw_view_switcher_title_set_subtitle (self->switcher_title, title);
  sf_dataset_view_set_faces (self->dataset_view, faces);
  sf_pairs_view_set_faces (self->pairs_view, faces);
  sf_session_set_faces (self->session, faces);
  update_welcome (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FACES]);
}

static void
toast_dismissed_cb (AdwToast *toast, SfWindow *self)
{
  if (self->toast == toast)
    g_clear_object (&self->toast);
}

/* Takes the toast. */
static void
show_toast (SfWindow *self, AdwToast *toast)
{
  adw_toast_set_timeout (toast, 3);
  g_set_object (&self->toast, toast);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (toast_dismissed_cb), self, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
loaded_cb (SfWindow *self, SfFaceList *faces, const char *path)
{
  set_faces (self, faces, path);
  remember_dataset (self, path);

  if (path != NULL)
    {
      const SfDataset *dataset = sf_face_list_get_dataset (faces);
      g_autofree char *title = sf_face_list_dup_title (faces);
      g_autofree char *count = g_strdup_printf (ngettext ("%d face", "%d faces", dataset->n_images),
                                                dataset->n_images);
      /* Translators: "Opened att_faces: 400 faces". */
      g_autofree char *message = g_strdup_printf (_("Opened %s: %s"), title, count);
      show_toast (self, adw_toast_new (message));
    }
}

static void
error_response_cb (AdwMessageDialog *dialog, const char *response, SfWindow *self)
{
  if (g_strcmp0 (response, "other") == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-dataset", NULL);
}

static void
failed_cb (SfWindow *self, const char *path, const GError *error)
{
  g_autofree char *name = path != NULL ? g_path_get_basename (path) : g_strdup (_("demo faces"));
  g_autoptr (GString) body = g_string_new (NULL);

  /* Engine messages start with the path; say it anyway when one does not. */
  if (path != NULL && strstr (error->message, name) == NULL)
    g_string_append_printf (body, "%s: ", path);
  g_string_append (body, error->message);
  if (self->faces != NULL)
    {
      g_autofree char *title = sf_face_list_dup_title (self->faces);
      g_string_append (body, "\n\n");
      /* Translators: after a failed load; %s is the dataset that stays open. */
      g_string_append_printf (body, _("“%s” stays open."), title);
    }

  g_free (self->last_error);
  self->last_error = g_strdup (body->str);

  /* Translators: %s is the file or folder name. */
  g_autofree char *heading = g_strdup_printf (_("Could Not Open “%s”"), name);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body->str);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "other", _("Open _Another…"),
                                    "close", _("_Close"),
                                    NULL);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_signal_connect_object (dialog, "response", G_CALLBACK (error_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));

  /* Nothing open at all (a stale last dataset on start): fall back to the demo faces. */
  if (self->faces == NULL && path != NULL)
    sf_window_open (self, NULL);
}

static int
image_size (SfWindow *self)
{
  return g_settings_get_int (self->settings, "image-size");
}

static void
image_size_changed_cb (SfWindow *self)
{
  if (self->faces == NULL)
    return;
  const SfDataset *dataset = sf_face_list_get_dataset (self->faces);
  if (dataset->width == image_size (self) && dataset->height == image_size (self))
    return;
  sf_window_open (self, self->path);
}

static void
dataset_chosen (gpointer owner, const char *const *paths)
{
  sf_window_open (owner, paths[0]);
}

static void
run_chooser (SfWindow *self, GtkFileChooserAction action)
{
  gboolean folder = action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;
  static const char *const datasets[] = { "mat", "pkz", NULL };
  GtkFileChooser *chooser = sf_file_chooser_new (&self->chooser, GTK_WIDGET (self), action,
                                                 folder ? _("Open Dataset Folder") : _("Open Dataset"), _("_Open"),
                                                 dataset_chosen, self);

  if (!folder)
    {
      sf_file_chooser_add_filter (chooser, _("Face datasets (.mat, .pkz)"), NULL, datasets);
      GtkFileFilter *all = gtk_file_filter_new ();
      gtk_file_filter_set_name (all, _("All files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (chooser, all);
      g_object_unref (all);
    }
  if (self->path != NULL)
    {
      g_autoptr (GFile) current = g_file_new_for_path (self->path);
      g_autoptr (GFile) parent = g_file_get_parent (current);
      if (parent != NULL)
        gtk_file_chooser_set_current_folder (chooser, parent, NULL);
    }
  sf_file_chooser_show (chooser);
}

static void
open_dataset_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  run_chooser (SF_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
open_dataset_folder_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  run_chooser (SF_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
}

static void
open_recent_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_window_open (SF_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
open_demo_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_window_open (SF_WINDOW (widget), NULL);
}

static void
open_olivetti_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfWindow *self = SF_WINDOW (widget);

  if (self->olivetti_cache != NULL)
    sf_window_open (self, self->olivetti_cache);
}

static void
dismiss_welcome_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfWindow *self = SF_WINDOW (widget);

  self->welcome_dismissed = TRUE;
  update_welcome (self);
}

static void
where_to_get_response_cb (AdwMessageDialog *dialog, const char *response, SfWindow *self)
{
  if (g_strcmp0 (response, "file") == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-dataset", NULL);
  else if (g_strcmp0 (response, "folder") == 0)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-dataset-folder", NULL);
}

static void
where_to_get_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfWindow *self = SF_WINDOW (widget);
  g_autoptr (GString) body = g_string_new (NULL);

  g_string_append (body, _("<b>Olivetti faces</b> (400 images of 40 people, 64 × 64): scikit-learn downloads them "
                           "with <tt>sklearn.datasets.fetch_olivetti_faces()</tt> and keeps them in "
                           "<tt>~/scikit_learn_data/olivetti_py3.pkz</tt>. Open that file, or the original "
                           "<tt>olivettifaces.mat</tt>."));
  g_string_append (body, "\n\n");
  g_string_append (body, _("<b>AT&amp;T (ORL) faces</b> (400 images of 40 people, 92 × 112): distributed by "
                           "AT&amp;T Laboratories Cambridge as <tt>att_faces.zip</tt> and mirrored widely, "
                           "for example on Kaggle as “AT&amp;T Database of Faces”. Unzip it and open the folder "
                           "that holds <tt>s1</tt> … <tt>s40</tt>."));
  g_string_append (body, "\n\n");
  g_string_append (body, _("<b>Your own faces</b>: a folder with one subfolder per person, holding PGM, PPM or "
                           "PNG images. Colour becomes grey and every image is resized to the image size set "
                           "in Preferences."));

  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Where to Get Real Faces"), NULL);
  adw_message_dialog_set_body_use_markup (ADW_MESSAGE_DIALOG (dialog), TRUE);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), body->str);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "close", _("_Close"),
                                    "folder", _("Open _Folder…"),
                                    "file", _("Open _File…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "file", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "file");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_signal_connect_object (dialog, "response", G_CALLBACK (where_to_get_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_view_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfWindow *self = SF_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (adw_view_stack_get_child_by_name (self->stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->stack, name);
}

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, SfWindow *self)
{
  GSList *files = g_value_get_boxed (value);

  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);
      if (path != NULL)
        {
          sf_window_open (self, path);
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
sf_window_close_request (GtkWindow *window)
{
  SfWindow *self = SF_WINDOW (window);
  int width, height;

  /* A run under way or an unsaved model: ask first. */
  if (sf_model_file_actions_close_request (self))
    return TRUE;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);

  return GTK_WINDOW_CLASS (sf_window_parent_class)->close_request (window);
}

static void
sf_window_dispose (GObject *object)
{
  SfWindow *self = SF_WINDOW (object);

  g_clear_handle_id (&self->pulse_id, g_source_remove);
  if (self->loader != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->loader, self);
      sf_dataset_loader_cancel (self->loader);
      g_clear_object (&self->loader);
    }
  sf_file_chooser_clear (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_WINDOW);
  g_clear_object (&self->toast);
  g_clear_object (&self->faces);
  g_clear_object (&self->settings);
  g_clear_object (&self->session);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->olivetti_cache, g_free);

  G_OBJECT_CLASS (sf_window_parent_class)->dispose (object);
}

static void
sf_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfWindow *self = SF_WINDOW (object);

  switch (prop_id)
    {
    case PROP_FACES:
      g_value_set_object (value, self->faces);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, sf_window_get_loading (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_window_class_init (SfWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = sf_window_dispose;
  object_class->get_property = sf_window_get_property;
  window_class->close_request = sf_window_close_request;

  properties[PROP_FACES] =
    g_param_spec_object ("faces", NULL, NULL, SF_TYPE_FACE_LIST,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SF_TYPE_DATASET_VIEW);
  g_type_ensure (SF_TYPE_PAIRS_VIEW);
  g_type_ensure (SF_TYPE_MODEL_VIEW);
  g_type_ensure (SF_TYPE_TRAIN_VIEW);
  g_type_ensure (SF_TYPE_SIMILARITY_VIEW);
  g_type_ensure (SF_TYPE_PEOPLE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SfWindow, content_box);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, welcome_revealer);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, open_olivetti_wide);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, open_olivetti_narrow);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, dataset_view);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, pairs_view);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, model_view);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, train_view);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, similarity_view);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, people_view);
  gtk_widget_class_bind_template_child (widget_class, SfWindow, recent_menu);

  gtk_widget_class_install_action (widget_class, "win.open-dataset", NULL, open_dataset_action);
  gtk_widget_class_install_action (widget_class, "win.open-dataset-folder", NULL, open_dataset_folder_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.open-olivetti", NULL, open_olivetti_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-welcome", NULL, dismiss_welcome_action);
  gtk_widget_class_install_action (widget_class, "win.where-to-get", NULL, where_to_get_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);

  for (guint i = 0; sf_window_view_names[i] != NULL; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.show-view", "s", sf_window_view_names[i]);
}

static void
sf_window_init (SfWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->session = sf_session_new ();
  sf_model_view_set_session (self->model_view, self->session);
  sf_train_view_set_session (self->train_view, self->session);
  sf_similarity_view_set_session (self->similarity_view, self->session);
  sf_people_view_set_session (self->people_view, self->session);

  self->settings = g_settings_new (APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect_object (self->settings, "changed::recent-datasets",
                           G_CALLBACK (update_recent_menu), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::image-size",
                           G_CALLBACK (image_size_changed_cb), self, G_CONNECT_SWAPPED);
  update_recent_menu (self);

  self->loader = sf_dataset_loader_new ();
  g_signal_connect_swapped (self->loader, "notify::loading", G_CALLBACK (loading_changed_cb), self);
  g_signal_connect_swapped (self->loader, "notify::fraction", G_CALLBACK (fraction_changed_cb), self);
  g_signal_connect_swapped (self->loader, "loaded", G_CALLBACK (loaded_cb), self);
  g_signal_connect_swapped (self->loader, "failed", G_CALLBACK (failed_cb), self);

  sf_model_file_actions_install (self);

  g_autofree char *cache = g_build_filename (g_get_home_dir (), "scikit_learn_data", "olivetti_py3.pkz", NULL);
  if (g_file_test (cache, G_FILE_TEST_IS_REGULAR))
    self->olivetti_cache = g_steal_pointer (&cache);
  gtk_widget_set_visible (self->open_olivetti_wide, self->olivetti_cache != NULL);
  gtk_widget_set_visible (self->open_olivetti_narrow, self->olivetti_cache != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-olivetti", self->olivetti_cache != NULL);

  GtkDropTarget *target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (self->content_box, GTK_EVENT_CONTROLLER (target));
}

void
sf_window_open (SfWindow *self, const char *path)
{
  g_return_if_fail (SF_IS_WINDOW (self));

  sf_dataset_loader_load (self->loader, path, image_size (self));
}

SfFaceList *
sf_window_get_faces (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), NULL);

  return self->faces;
}

const char *
sf_window_get_path (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), NULL);

  return self->path;
}

gboolean
sf_window_get_loading (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), FALSE);

  return self->loader != NULL && sf_dataset_loader_get_loading (self->loader);
}

const char *
sf_window_get_visible_view (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), NULL);

  return adw_view_stack_get_visible_child_name (self->stack);
}

SfDatasetView *
sf_window_get_dataset_view (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), NULL);

  return self->dataset_view;
}

SfSession *
sf_window_get_session (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), NULL);

  return self->session;
}

SfTrainView *
sf_window_get_train_view (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), NULL);

  return self->train_view;
}

void
sf_window_add_toast (SfWindow *self, AdwToast *toast)
{
  g_return_if_fail (SF_IS_WINDOW (self));

  show_toast (self, toast);
}

SfPairsView *
sf_window_get_pairs_view (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), NULL);

  return self->pairs_view;
}

const char *
sf_window_get_last_error (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), NULL);

  return self->last_error;
}

void
sf_window_dismiss_toast (SfWindow *self)
{
  g_return_if_fail (SF_IS_WINDOW (self));

  if (self->toast != NULL)
    adw_toast_dismiss (self->toast);
}

gboolean
sf_window_get_welcome_shown (SfWindow *self)
{
  g_return_val_if_fail (SF_IS_WINDOW (self), FALSE);

  return gtk_revealer_get_reveal_child (self->welcome_revealer);
}

SfWindow *
sf_window_new (GtkApplication *application)
{
  return g_object_new (SF_TYPE_WINDOW, "application", application, NULL);
}
