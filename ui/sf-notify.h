/* Telling the user something from inside a view: a toast on the window's
 * AdwToastOverlay, a message dialog with a Close button transient for the
 * view's window, and the outcome of saving a file (a "Saved" toast, or a
 * dialog that names the file and says why it failed). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* A toast of `text` on the overlay around `widget` (none: nothing shown);
 * timeout in seconds, 0 for libadwaita's default. */
void  sf_notify_toast     (GtkWidget *widget, const char *text, guint timeout);
/* Adds `toast` (floating, consumed) to the overlay around `widget`. */
void  sf_notify_add_toast (GtkWidget *widget, AdwToast *toast);
void  sf_notify_message   (GtkWidget *widget, const char *heading, const char *body);
/* After writing `path`: "Saved “name”" when error is NULL, else "Could Not
 * Save “name”" with the error's message. */
void  sf_notify_saved     (GtkWidget *widget, const char *path, const GError *error);

G_END_DECLS
