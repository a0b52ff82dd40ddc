/* Preferences: image size, and the default split and seed of the pairs. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SF_TYPE_PREFERENCES_WINDOW (sf_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (SfPreferencesWindow, sf_preferences_window, SF, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *sf_preferences_window_new (GtkWindow *parent);

/* The image sizes offered, and the index of the one nearest to `size`. */
extern const int sf_preferences_image_sizes[];
guint      sf_preferences_image_size_index (int size);

G_END_DECLS
