/* SfModelView: the spec, head and margin come from the SfTrainingSettings
 * the Train view shares; every edit is parsed by the engine at once, a valid
 * one is written back and drawn, a bad one is explained under the entry
 * while the last valid picture stays. When a model is open, its own network
 * can be shown instead. */
#include "sf-model-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sf-file-chooser.h"
#include "sf-notify.h"
#include "sf-training-settings.h"

#define ZOOM_MIN 0.5
#define ZOOM_MAX 3.0
#define ZOOM_STEP 0.25

/* The preset dropdown's rows. */
static const char *const preset_names[] = { "compact", "article", "custom", NULL };

struct _SfModelView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkLabel *title_label;
  GtkLabel *summary_label;
  GtkWidget *source_box;
  GtkDropDown *source_dropdown;
  GtkButton *zoom_reset_button;
  GtkDropDown *preset_dropdown;
  GtkEntry *spec_entry;
  GtkLabel *error_label;
  GtkDrawingArea *drawing_area;

  /* Owned */
  SfSession *session;
  SfTrainingSettings *settings;
  SfTower *settings_tower;     /* the last valid spec of the settings */
  char *error;
  char *summary;
  GtkFileChooserNative *chooser;

  SfDiagramFormat chooser_format;
  gboolean showing_model;
  gboolean updating;
  double zoom;
  int natural_width;
  int natural_height;
};

G_DEFINE_FINAL_TYPE (SfModelView, sf_model_view, GTK_TYPE_WIDGET)

static const SfCheckpoint *
checkpoint (SfModelView *self)
{
  return self->session != NULL ? sf_session_get_checkpoint (self->session) : NULL;
}

/* What is drawn: the tower, its head and margin. */
static const SfTower *
current (SfModelView *self, SfHeadKind *head, double *margin)
{
  const SfCheckpoint *model = checkpoint (self);

  if (self->showing_model && model != NULL)
    {
      *head = sf_model_get_head (model->model);
      *margin = sf_model_get_margin (model->model);
      return sf_model_get_tower (model->model);
    }
  *head = sf_training_settings_get_head (self->settings);
  *margin = sf_training_settings_get_margin (self->settings);
  return self->settings_tower;
}

static void
refresh (SfModelView *self)
{
  SfHeadKind head;
  double margin;
  const SfTower *tower = current (self, &head, &margin);
  gboolean model = self->showing_model && checkpoint (self) != NULL;

  gtk_label_set_label (self->title_label, model ? _("Network of the Current Model")
                                                : _("Network of the Training Settings"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->preset_dropdown), !model);
  gtk_widget_set_sensitive (GTK_WIDGET (self->spec_entry), !model);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "model.export-png", tower != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "model.export-svg", tower != NULL);

  g_clear_pointer (&self->summary, g_free);
  if (tower == NULL)
    {
      gtk_label_set_label (self->summary_label, "");
      gtk_drawing_area_set_content_width (self->drawing_area, 0);
      gtk_drawing_area_set_content_height (self->drawing_area, 0);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self->drawing_area), GTK_ACCESSIBLE_PROPERTY_LABEL);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self->drawing_area),
                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
      return;
    }

  gsize params = tower->n_params + sf_network_head_params (head);
  g_autofree char *count = sf_network_format_count (params);
  g_autofree char *flops = sf_network_format_flops (sf_network_pair_flops (tower));
  g_autofree char *params_text = g_strdup_printf (ngettext ("%s parameter", "%s parameters", (gulong) params),
                                                  count);
  /* Translators: forward pass of both towers, e.g. "15.21 GFLOPs per pair". */
  g_autofree char *flops_text = g_strdup_printf (_("%s per pair"), flops);
  g_autofree char *embedding = g_strdup_printf (_("embedding size %d"), tower->embedding_size);
  g_autofree char *input = g_strdup_printf (_("input %d × %d"), tower->input_size, tower->input_size);
  /* Translators: "2,036,930 parameters · 15.21 GFLOPs per pair · embedding size 128 · input 64 × 64 ·
   * contrastive loss". */
  self->summary = g_strdup_printf (_("%s · %s · %s · %s · %s"), params_text, flops_text, embedding, input,
                                   sf_network_head_name (tower, head));
  gtk_label_set_label (self->summary_label, self->summary);

  sf_network_diagram_get_natural_size (tower, head, margin, &self->natural_width, &self->natural_height);
  gtk_drawing_area_set_content_width (self->drawing_area, (int) ceil (self->natural_width * self->zoom));
  gtk_drawing_area_set_content_height (self->drawing_area, (int) ceil (self->natural_height * self->zoom));
  gtk_widget_queue_draw (GTK_WIDGET (self->drawing_area));

  g_autofree char *description = sf_network_describe (tower, head, margin);
  g_autofree char *layers = sf_network_describe_layers (tower);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->drawing_area),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, layers, -1);
}

static void
set_error (SfModelView *self, const char *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  if (message != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->spec_entry), "error");
      gtk_accessible_update_state (GTK_ACCESSIBLE (self->spec_entry),
                                   GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE, -1);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (self->spec_entry),
                                      GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->error_label, NULL, -1);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->spec_entry), "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (self->spec_entry), GTK_ACCESSIBLE_STATE_INVALID);
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->spec_entry), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY);
    }
}

/* Parses the entry; a user's valid edit is written to the settings (where a
 * spec that differs from the preset's makes the preset "custom"). */
static void
parse_entry (SfModelView *self, gboolean user_edit)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->spec_entry));
  int size = sf_training_settings_get_image_size (self->settings);
  g_autoptr (GError) error = NULL;
  SfTower *tower = sf_tower_parse (text, size, &error);

  if (tower == NULL)
    {
      set_error (self, error->message);
      /* Nothing valid yet (a bad spec saved earlier): draw the preset's. */
      if (self->settings_tower == NULL)
        {
          g_autofree char *name = sf_training_settings_dup_preset_name (self->settings);
          const char *spec = sf_spec_preset (name);
          self->settings_tower = sf_tower_parse (spec != NULL ? spec : SF_SPEC_COMPACT, size, NULL);
        }
      refresh (self);
      return;
    }

  set_error (self, NULL);
  g_clear_pointer (&self->settings_tower, sf_tower_free);
  self->settings_tower = tower;

  if (user_edit)
    {
      self->updating = TRUE;
      sf_training_settings_set_spec (self->settings, text);
      self->updating = FALSE;
    }
  refresh (self);
}

/* Shows the settings' spec in the entry (the preset's dropdown is bound). */
static void
load_settings (SfModelView *self)
{
  g_autofree char *spec = sf_training_settings_dup_spec (self->settings);

  self->updating = TRUE;
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->spec_entry)), spec) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->spec_entry), spec);
  self->updating = FALSE;
  parse_entry (self, FALSE);
}

static void
settings_changed_cb (SfModelView *self, const char *key)
{
  if (self->updating)
    return;
  if (g_strcmp0 (key, "train-head") == 0 || g_strcmp0 (key, "train-margin") == 0)
    refresh (self);
  else if (g_strcmp0 (key, "train-preset") == 0 || g_strcmp0 (key, "train-spec") == 0
           || g_strcmp0 (key, "image-size") == 0)
    load_settings (self);
}

static void
entry_changed_cb (SfModelView *self)
{
  if (self->updating)
    return;
  parse_entry (self, TRUE);
}

static void
source_selected_cb (SfModelView *self)
{
  if (self->updating)
    return;
  sf_model_view_set_showing_model (self, gtk_drop_down_get_selected (self->source_dropdown) == 1);
}

static void
checkpoint_changed_cb (SfModelView *self)
{
  gboolean has_model = checkpoint (self) != NULL;

  gtk_widget_set_visible (self->source_box, has_model);
  /* A model that was just opened or trained is what one wants to see. */
  sf_model_view_set_showing_model (self, has_model);
}

static void
draw_cb (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  SfModelView *self = SF_MODEL_VIEW (data);
  SfHeadKind head;
  double margin;
  const SfTower *tower = current (self, &head, &margin);
  SfDiagramStyle style;

  if (tower == NULL)
    return;

  /* Deprecated after 4.8, and the way to read the colours on 4.8. */
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (area));
  gtk_style_context_get_color (context, &style.foreground);
  if (!gtk_style_context_lookup_color (context, "accent_color", &style.accent))
    style.accent = (GdkRGBA) { 0.21, 0.52, 0.89, 1.0 };
  style.background = (GdkRGBA) { 0, 0, 0, 0 };

  cairo_scale (cr, self->zoom, self->zoom);
  sf_network_diagram_draw (cr, width / self->zoom, height / self->zoom, tower, head, margin, &style);
}

/* Over a layer: its modules, their tensors' names, parameters and FLOPs. */
static gboolean
query_tooltip_cb (GtkWidget *area, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
  SfModelView *self = SF_MODEL_VIEW (data);
  SfHeadKind head;
  double margin;
  const SfTower *tower = current (self, &head, &margin);

  if (tower == NULL || keyboard)
    return FALSE;
  int layer = sf_network_diagram_layer_at (tower, head, margin, gtk_widget_get_width (area) / self->zoom,
                                           gtk_widget_get_height (area) / self->zoom, x / self->zoom,
                                           y / self->zoom);
  g_autofree char *text = layer >= 0 ? sf_network_describe_layer (tower, layer) : NULL;
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
export_chosen (gpointer owner, const char *const *paths)
{
  SfModelView *self = owner;
  g_autoptr (GError) error = NULL;

  sf_model_view_export (self, paths[0], self->chooser_format, &error);
  sf_notify_saved (GTK_WIDGET (self), paths[0], error);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfModelView *self = SF_MODEL_VIEW (widget);
  gboolean svg = g_str_equal (action_name, "model.export-svg");

  if (self->chooser != NULL)
    return;
  self->chooser_format = svg ? SF_DIAGRAM_SVG : SF_DIAGRAM_PNG;
  sf_file_chooser_save (&self->chooser, widget,
                        svg ? _("Export the Network as SVG") : _("Export the Network as PNG"), _("_Export"),
                        svg ? "siamese-network.svg" : "siamese-network.png", export_chosen, self);
}

static void
zoom_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfModelView *self = SF_MODEL_VIEW (widget);

  if (g_str_equal (action_name, "model.zoom-in"))
    sf_model_view_set_zoom (self, self->zoom + ZOOM_STEP);
  else if (g_str_equal (action_name, "model.zoom-out"))
    sf_model_view_set_zoom (self, self->zoom - ZOOM_STEP);
  else
    sf_model_view_set_zoom (self, 1.0);
}

static void
sf_model_view_dispose (GObject *object)
{
  SfModelView *self = SF_MODEL_VIEW (object);
  GtkWidget *child;

  sf_file_chooser_clear (&self->chooser);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (object), SF_TYPE_MODEL_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (sf_model_view_parent_class)->dispose (object);
}

static void
sf_model_view_finalize (GObject *object)
{
  SfModelView *self = SF_MODEL_VIEW (object);

  g_clear_pointer (&self->settings_tower, sf_tower_free);
  g_free (self->error);
  g_free (self->summary);

  G_OBJECT_CLASS (sf_model_view_parent_class)->finalize (object);
}

static void
sf_model_view_class_init (SfModelViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_model_view_dispose;
  object_class->finalize = sf_model_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-model-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfModelView, title_label);
  gtk_widget_class_bind_template_child (widget_class, SfModelView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SfModelView, source_box);
  gtk_widget_class_bind_template_child (widget_class, SfModelView, source_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SfModelView, zoom_reset_button);
  gtk_widget_class_bind_template_child (widget_class, SfModelView, preset_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SfModelView, spec_entry);
  gtk_widget_class_bind_template_child (widget_class, SfModelView, error_label);
  gtk_widget_class_bind_template_child (widget_class, SfModelView, drawing_area);

  gtk_widget_class_install_action (widget_class, "model.export-png", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "model.export-svg", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "model.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "model.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "model.zoom-reset", NULL, zoom_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "model.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "model.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "model.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "model.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK, "model.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "model.zoom-reset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, GDK_CONTROL_MASK, "model.zoom-reset", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "modelview");
}

static void
sf_model_view_init (SfModelView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->zoom = 1.0;
  self->settings = sf_training_settings_dup_default ();
  gtk_drawing_area_set_draw_func (self->drawing_area, draw_cb, self, NULL);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->drawing_area), TRUE);
  g_signal_connect (self->drawing_area, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);

  /* Choosing a preset here fills every setting (the store does). */
  sf_training_settings_bind_choice (self->settings, "train-preset", self->preset_dropdown, "selected", preset_names);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_swapped (self->spec_entry, "changed", G_CALLBACK (entry_changed_cb), self);
  g_signal_connect_swapped (self->source_dropdown, "notify::selected", G_CALLBACK (source_selected_cb), self);

  sf_model_view_set_zoom (self, 1.0);
  load_settings (self);
}

GtkWidget *
sf_model_view_new (void)
{
  return g_object_new (SF_TYPE_MODEL_VIEW, NULL);
}

void
sf_model_view_set_session (SfModelView *self, SfSession *session)
{
  g_return_if_fail (SF_IS_MODEL_VIEW (self));
  g_return_if_fail (session == NULL || SF_IS_SESSION (session));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  if (!g_set_object (&self->session, session))
    return;
  if (session != NULL)
    g_signal_connect_swapped (session, "notify::checkpoint", G_CALLBACK (checkpoint_changed_cb), self);
  checkpoint_changed_cb (self);
}

const SfTower *
sf_model_view_get_tower (SfModelView *self)
{
  SfHeadKind head;
  double margin;

  g_return_val_if_fail (SF_IS_MODEL_VIEW (self), NULL);

  return current (self, &head, &margin);
}

gboolean
sf_model_view_get_showing_model (SfModelView *self)
{
  g_return_val_if_fail (SF_IS_MODEL_VIEW (self), FALSE);

  return self->showing_model && checkpoint (self) != NULL;
}

void
sf_model_view_set_showing_model (SfModelView *self, gboolean showing_model)
{
  g_return_if_fail (SF_IS_MODEL_VIEW (self));

  self->showing_model = showing_model && checkpoint (self) != NULL;
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->source_dropdown, self->showing_model ? 1 : 0);
  self->updating = FALSE;
  refresh (self);
}

const char *
sf_model_view_get_error (SfModelView *self)
{
  g_return_val_if_fail (SF_IS_MODEL_VIEW (self), NULL);

  return self->error;
}

const char *
sf_model_view_get_summary (SfModelView *self)
{
  g_return_val_if_fail (SF_IS_MODEL_VIEW (self), NULL);

  return self->summary;
}

double
sf_model_view_get_zoom (SfModelView *self)
{
  g_return_val_if_fail (SF_IS_MODEL_VIEW (self), 1.0);

  return self->zoom;
}

void
sf_model_view_set_zoom (SfModelView *self, double zoom)
{
  g_return_if_fail (SF_IS_MODEL_VIEW (self));

  self->zoom = CLAMP (zoom, ZOOM_MIN, ZOOM_MAX);
  g_autofree char *label = g_strdup_printf ("%.0f%%", self->zoom * 100);
  gtk_button_set_label (self->zoom_reset_button, label);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "model.zoom-in", self->zoom < ZOOM_MAX);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "model.zoom-out", self->zoom > ZOOM_MIN);
  gtk_drawing_area_set_content_width (self->drawing_area, (int) ceil (self->natural_width * self->zoom));
  gtk_drawing_area_set_content_height (self->drawing_area, (int) ceil (self->natural_height * self->zoom));
  gtk_widget_queue_draw (GTK_WIDGET (self->drawing_area));
}

gboolean
sf_model_view_export (SfModelView *self, const char *path, SfDiagramFormat format, GError **error)
{
  SfHeadKind head;
  double margin;

  g_return_val_if_fail (SF_IS_MODEL_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  const SfTower *tower = current (self, &head, &margin);
  if (tower == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", _("There is no network to export"));
      return FALSE;
    }
  return sf_network_diagram_save (path, format, tower, head, margin, error);
}
