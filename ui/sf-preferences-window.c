/* SfPreferencesWindow: rows bound straight to GSettings; the window and the
 * views listen to the keys, so nothing here calls them. */
#include "sf-preferences-window.h"

#include "sf-strings.h"

#define APP_ID "io.github.siamesefaces.SiameseFaces"

const int sf_preferences_image_sizes[] = { 32, 48, 64, 96, 128 };

struct _SfPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* Template widgets */
  AdwComboRow *image_size_row;
  AdwComboRow *split_row;
  GtkSpinButton *seed_spin;

  /* Owned */
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (SfPreferencesWindow, sf_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

guint
sf_preferences_image_size_index (int size)
{
  guint best = 0;

  for (guint i = 1; i < G_N_ELEMENTS (sf_preferences_image_sizes); i++)
    if (ABS (sf_preferences_image_sizes[i] - size) < ABS (sf_preferences_image_sizes[best] - size))
      best = i;
  return best;
}

static gboolean
image_size_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_uint (value, sf_preferences_image_size_index (g_variant_get_int32 (variant)));
  return TRUE;
}

static GVariant *
image_size_set_mapping (const GValue *value, const GVariantType *expected_type, gpointer user_data)
{
  guint index = g_value_get_uint (value);

  if (index >= G_N_ELEMENTS (sf_preferences_image_sizes))
    return NULL;
  return g_variant_new_int32 (sf_preferences_image_sizes[index]);
}

static gboolean
split_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);
  if (g_strcmp0 (nick, "images") == 0)
    g_value_set_uint (value, 1);
  else if (g_strcmp0 (nick, "people") == 0)
    g_value_set_uint (value, 2);
  else
    g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
split_set_mapping (const GValue *value, const GVariantType *expected_type, gpointer user_data)
{
  static const char * const nicks[] = { "pairs", "images", "people" };
  guint index = g_value_get_uint (value);

  if (index >= G_N_ELEMENTS (nicks))
    return NULL;
  return g_variant_new_string (nicks[index]);
}

static void
split_selected_cb (SfPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->split_row);
  SfSplitKind kind = selected <= SF_SPLIT_PEOPLE ? (SfSplitKind) selected : SF_SPLIT_PAIRS;
  g_autofree char *description = sf_strings_split_description (kind, sf_split_default_share (kind));

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->split_row), description);
}

static void
sf_preferences_window_dispose (GObject *object)
{
  SfPreferencesWindow *self = SF_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sf_preferences_window_parent_class)->dispose (object);
}

static void
sf_preferences_window_class_init (SfPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SfPreferencesWindow, image_size_row);
  gtk_widget_class_bind_template_child (widget_class, SfPreferencesWindow, split_row);
  gtk_widget_class_bind_template_child (widget_class, SfPreferencesWindow, seed_spin);
}

static void
sf_preferences_window_init (SfPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  g_settings_bind_with_mapping (self->settings, "image-size", self->image_size_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, image_size_get_mapping, image_size_set_mapping,
                                NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "default-split", self->split_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, split_get_mapping, split_set_mapping,
                                NULL, NULL);
  g_signal_connect_swapped (self->split_row, "notify::selected", G_CALLBACK (split_selected_cb), self);
  split_selected_cb (self);
  g_settings_bind (self->settings, "default-seed",
                   gtk_spin_button_get_adjustment (self->seed_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
}

GtkWidget *
sf_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (SF_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
