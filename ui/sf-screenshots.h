/* Pictures of the real window: a widget rendered to PNG, and the walk through
 * every view behind `siamese-faces --screenshots DIR`. */
#pragma once

#include <gtk/gtk.h>

#include "sf-window.h"

G_BEGIN_DECLS

/* Renders `widget` as it is now, through its window's renderer. */
GdkTexture *sf_screenshot_texture      (GtkWidget *widget, GError **error);
gboolean    sf_screenshot_save         (GtkWidget *widget, const char *path, GError **error);

/* Waits until the window's dataset and pairs are ready, then shows each view
 * and saves DIR/<view>.png; then the first pair opened large, Preferences,
 * Keyboard Shortcuts and About as pair.png, preferences.png, shortcuts.png
 * and about.png; then the Model view drawing a residual network as
 * model-residual.png (the training settings are given back after it). */
void        sf_screenshots_take_async  (SfWindow *window, const char *dir, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
/* The paths written, in order (free with g_strfreev), or NULL and an error. */
char      **sf_screenshots_take_finish (SfWindow *window, GAsyncResult *result, GError **error);

G_END_DECLS
