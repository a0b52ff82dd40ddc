/* Toasts and message dialogs for views. */
#include "sf-notify.h"

#include <glib/gi18n.h>

void
sf_notify_add_toast (GtkWidget *widget, AdwToast *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (g_object_ref_sink (toast));
}

void
sf_notify_toast (GtkWidget *widget, const char *text, guint timeout)
{
  AdwToast *toast = adw_toast_new (text);

  if (timeout > 0)
    adw_toast_set_timeout (toast, timeout);
  sf_notify_add_toast (widget, toast);
}

void
sf_notify_message (GtkWidget *widget, const char *heading, const char *body)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
sf_notify_saved (GtkWidget *widget, const char *path, const GError *error)
{
  g_autofree char *name = g_path_get_basename (path);

  if (error == NULL)
    {
      /* Translators: %s is a file name. */
      g_autofree char *text = g_strdup_printf (_("Saved “%s”"), name);
      sf_notify_toast (widget, text, 0);
    }
  else
    {
      /* Translators: %s is a file name. */
      g_autofree char *heading = g_strdup_printf (_("Could Not Save “%s”"), name);
      sf_notify_message (widget, heading, error->message);
    }
}
