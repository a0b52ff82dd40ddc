/* SfPersonDialog: the Add Person window; see sf-person-dialog.h. */
#include "sf-person-dialog.h"

#include <glib/gi18n.h>

#include "gallery.h"
#include "sf-file-chooser.h"

struct _SfPersonDialog
{
  AdwWindow parent_instance;

  /* Template widgets */
  AdwEntryRow *name_row;
  AdwActionRow *images_row;
  GtkLabel *problem_label;

  /* Owned */
  GPtrArray *paths;           /* char*, NULL-terminated */
  GtkFileChooserNative *chooser;
};

enum {
  SIGNAL_ADD,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SfPersonDialog, sf_person_dialog, ADW_TYPE_WINDOW)

static void
update (SfPersonDialog *self)
{
  guint n = self->paths->len - 1;
  g_autofree char *subtitle = n == 0 ? g_strdup (_("None chosen yet: pick files or a folder, or drop them here"))
                                     : g_strdup_printf (ngettext ("%u image", "%u images", n), n);
  adw_action_row_set_subtitle (self->images_row, subtitle);
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.add", n > 0 && *name != '\0');
}

static void
show_problem (SfPersonDialog *self, const char *message)
{
  gtk_label_set_text (self->problem_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), message != NULL);
}

void
sf_person_dialog_add_paths (SfPersonDialog *self, const char *const *paths)
{
  g_return_if_fail (SF_IS_PERSON_DIALOG (self));

  show_problem (self, NULL);
  for (guint k = 0; paths != NULL && paths[k] != NULL; k++)
    {
      if (g_file_test (paths[k], G_FILE_TEST_IS_DIR))
        {
          GError *error = NULL;
          g_auto (GStrv) files = sf_face_list_folder (paths[k], &error);
          if (files == NULL)
            {
              show_problem (self, error->message);
              g_error_free (error);
              continue;
            }
          for (char **f = files; *f != NULL; f++)
            g_ptr_array_insert (self->paths, (int) self->paths->len - 1, g_strdup (*f));
          if (*gtk_editable_get_text (GTK_EDITABLE (self->name_row)) == '\0')
            {
              g_autofree char *base = g_path_get_basename (paths[k]);
              gtk_editable_set_text (GTK_EDITABLE (self->name_row), base);
            }
        }
      else
        g_ptr_array_insert (self->paths, (int) self->paths->len - 1, g_strdup (paths[k]));
    }
  update (self);
}

static void
add_files (SfPersonDialog *self, GSList *files)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  for (GSList *l = files; l != NULL; l = l->next)
    {
      char *path = g_file_get_path (l->data);
      if (path != NULL)
        g_ptr_array_add (paths, path);
    }
  g_ptr_array_add (paths, NULL);
  sf_person_dialog_add_paths (self, (const char *const *) paths->pdata);
}

static void
paths_chosen (gpointer owner, const char *const *paths)
{
  sf_person_dialog_add_paths (owner, paths);
}

static void
choose (SfPersonDialog *self, gboolean folder)
{
  if (self->chooser != NULL)
    return;
  if (folder)
    sf_file_chooser_show (sf_file_chooser_new (&self->chooser, GTK_WIDGET (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("Choose a Folder of Images"), _("_Choose"), paths_chosen, self));
  else
    sf_file_chooser_open_images (&self->chooser, GTK_WIDGET (self), _("Choose Images"), _("_Choose"), TRUE,
                                 paths_chosen, self);
}

static void
choose_files_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (SF_PERSON_DIALOG (widget), FALSE);
}

static void
choose_folder_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  choose (SF_PERSON_DIALOG (widget), TRUE);
}

static void
clear_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfPersonDialog *self = SF_PERSON_DIALOG (widget);

  g_ptr_array_set_size (self->paths, 0);
  g_ptr_array_add (self->paths, NULL);
  show_problem (self, NULL);
  update (self);
}

static void
add_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfPersonDialog *self = SF_PERSON_DIALOG (widget);

  if (self->paths->len <= 1)
    return;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  if (*name == '\0')
    return;
  g_signal_emit (self, signals[SIGNAL_ADD], 0, name, (const char *const *) self->paths->pdata);
  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, SfPersonDialog *self)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  add_files (self, g_value_get_boxed (value));
  return TRUE;
}

static void
name_changed_cb (SfPersonDialog *self)
{
  update (self);
}

static void
sf_person_dialog_dispose (GObject *object)
{
  SfPersonDialog *self = SF_PERSON_DIALOG (object);

  sf_file_chooser_clear (&self->chooser);
  g_clear_pointer (&self->paths, g_ptr_array_unref);

  G_OBJECT_CLASS (sf_person_dialog_parent_class)->dispose (object);
}

static void
sf_person_dialog_class_init (SfPersonDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_person_dialog_dispose;

  /* add(name, paths): the person to enrol. */
  signals[SIGNAL_ADD] = g_signal_new ("add", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRV);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-person-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SfPersonDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, SfPersonDialog, images_row);
  gtk_widget_class_bind_template_child (widget_class, SfPersonDialog, problem_label);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);

  gtk_widget_class_install_action (widget_class, "dialog.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "dialog.choose-files", NULL, choose_files_action);
  gtk_widget_class_install_action (widget_class, "dialog.choose-folder", NULL, choose_folder_action);
  gtk_widget_class_install_action (widget_class, "dialog.clear", NULL, clear_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "dialog.choose-files", NULL);
}

static void
sf_person_dialog_init (SfPersonDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->paths, NULL);
  GtkDropTarget *target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
  update (self);
}

const char *
sf_person_dialog_get_name (SfPersonDialog *self)
{
  g_return_val_if_fail (SF_IS_PERSON_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->name_row));
}

void
sf_person_dialog_set_name (SfPersonDialog *self, const char *name)
{
  g_return_if_fail (SF_IS_PERSON_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
}

const char *const *
sf_person_dialog_get_paths (SfPersonDialog *self)
{
  g_return_val_if_fail (SF_IS_PERSON_DIALOG (self), NULL);
  return (const char *const *) self->paths->pdata;
}

GtkWidget *
sf_person_dialog_new (GtkWindow *parent)
{
  return g_object_new (SF_TYPE_PERSON_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
}
