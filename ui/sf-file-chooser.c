/* GtkFileChooserNative kept in its owner's slot, answering with local paths. */
#include "sf-file-chooser.h"

#include <adwaita.h>
#include <glib/gi18n.h>

typedef struct
{
  GtkFileChooserNative **slot;
  SfFileChooserFunc func;
  gpointer owner;
} Request;

static GtkWindow *
window_of (GtkWidget *widget)
{
  GtkRoot *root = widget != NULL ? gtk_widget_get_root (widget) : NULL;

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
not_local (GtkWindow *parent)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, _("Not a Local File"), _("Choose a file on this computer."));

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
response_cb (GtkNativeDialog *dialog, int response, gpointer data)
{
  g_autoptr (GtkNativeDialog) chooser = g_object_ref (dialog);
  Request request = *(Request *) g_object_get_data (G_OBJECT (chooser), "sf-request");
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  gboolean local = TRUE;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr (GFile) file = g_list_model_get_item (files, i);
          char *path = g_file_get_path (file);
          if (path != NULL)
            g_ptr_array_add (paths, path);
          else
            local = FALSE;
        }
    }
  /* Free the slot first: the callback may open another chooser. */
  if (*request.slot == GTK_FILE_CHOOSER_NATIVE (chooser))
    g_clear_object (request.slot);
  if (response != GTK_RESPONSE_ACCEPT)
    return;
  if (!local || paths->len == 0)
    {
      not_local (gtk_native_dialog_get_transient_for (chooser));
      return;
    }
  g_ptr_array_add (paths, NULL);
  request.func (request.owner, (const char *const *) paths->pdata);
}

GtkFileChooser *
sf_file_chooser_new (GtkFileChooserNative **slot, GtkWidget *parent, GtkFileChooserAction action,
                     const char *title, const char *accept_label, SfFileChooserFunc func, gpointer owner)
{
  g_return_val_if_fail (slot != NULL && func != NULL, NULL);

  sf_file_chooser_clear (slot);
  *slot = gtk_file_chooser_native_new (title, window_of (parent), action, accept_label, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (*slot), TRUE);
  Request *request = g_new (Request, 1);
  *request = (Request) { slot, func, owner };
  g_object_set_data_full (G_OBJECT (*slot), "sf-request", request, g_free);
  g_signal_connect (*slot, "response", G_CALLBACK (response_cb), NULL);
  return GTK_FILE_CHOOSER (*slot);
}

void
sf_file_chooser_show (GtkFileChooser *chooser)
{
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
sf_file_chooser_clear (GtkFileChooserNative **slot)
{
  g_return_if_fail (slot != NULL);

  if (*slot == NULL)
    return;
  g_signal_handlers_disconnect_by_func (*slot, response_cb, NULL);
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (*slot));
  g_clear_object (slot);
}

void
sf_file_chooser_add_filter (GtkFileChooser *chooser, const char *name, const char *const *mime_types,
                            const char *const *suffixes)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  for (guint i = 0; mime_types != NULL && mime_types[i] != NULL; i++)
    gtk_file_filter_add_mime_type (filter, mime_types[i]);
  for (guint i = 0; suffixes != NULL && suffixes[i] != NULL; i++)
    gtk_file_filter_add_suffix (filter, suffixes[i]);
  gtk_file_chooser_add_filter (chooser, filter);
  g_object_unref (filter);
}

void
sf_file_chooser_add_image_filter (GtkFileChooser *chooser)
{
  static const char *const mime_types[] = { "image/png", "image/x-portable-graymap", "image/x-portable-pixmap",
                                            "image/x-portable-anymap", NULL };
  static const char *const suffixes[] = { "pgm", "ppm", "pnm", "png", NULL };

  sf_file_chooser_add_filter (chooser, _("Images (PGM, PPM, PNG)"), mime_types, suffixes);
}

void
sf_file_chooser_open_images (GtkFileChooserNative **slot, GtkWidget *parent, const char *title,
                             const char *accept_label, gboolean multiple, SfFileChooserFunc func, gpointer owner)
{
  GtkFileChooser *chooser = sf_file_chooser_new (slot, parent, GTK_FILE_CHOOSER_ACTION_OPEN, title, accept_label,
                                                 func, owner);

  gtk_file_chooser_set_select_multiple (chooser, multiple);
  sf_file_chooser_add_image_filter (chooser);
  sf_file_chooser_show (chooser);
}

void
sf_file_chooser_save (GtkFileChooserNative **slot, GtkWidget *parent, const char *title, const char *accept_label,
                      const char *name, SfFileChooserFunc func, gpointer owner)
{
  static const char *const png[] = { "image/png", NULL };
  static const char *const svg[] = { "image/svg+xml", NULL };
  GtkFileChooser *chooser = sf_file_chooser_new (slot, parent, GTK_FILE_CHOOSER_ACTION_SAVE, title, accept_label,
                                                 func, owner);

  if (g_str_has_suffix (name, ".png"))
    sf_file_chooser_add_filter (chooser, _("PNG images"), png, NULL);
  else if (g_str_has_suffix (name, ".svg"))
    sf_file_chooser_add_filter (chooser, _("SVG drawings"), svg, NULL);
  gtk_file_chooser_set_current_name (chooser, name);
  sf_file_chooser_show (chooser);
}
