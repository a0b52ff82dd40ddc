/* SfDatasetView: a GtkGridView over an SfFaceList (virtualised: only visible
 * cells exist), a person filter, zoom actions and a details flap. */
#include "sf-dataset-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sf-face-image.h"
#include "sf-face-paint.h"
#include "sf-face.h"
#include "sf-strings.h"

#define APP_ID "io.github.siamesefaces.SiameseFaces"

struct _SfDatasetView
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkStack *stack;
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkMenuButton *warnings_button;
  GtkLabel *warnings_label;
  GtkDropDown *person_dropdown;
  GtkLabel *zoom_label;
  GtkToggleButton *details_button;
  AdwFlap *flap;
  GtkGridView *grid;
  SfFaceImage *detail_image;
  GtkLabel *detail_title;
  GtkLabel *detail_index;
  GtkLabel *detail_person;
  GtkLabel *detail_size;
  GtkLabel *detail_file;

  /* Owned */
  SfFaceList *faces;
  GtkSingleSelection *selection;
  GSettings *settings;

  double zoom;
};

enum {
  PROP_0,
  PROP_FACES,
  PROP_ZOOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfDatasetView, sf_dataset_view, GTK_TYPE_WIDGET)

/* The images' size, and the size they had in the files when that differs:
 * the model sees the resized ones, the user knows the files. */
static char *
size_text (const SfDataset *dataset)
{
  if (dataset->original_min_width == dataset->original_max_width
      && dataset->original_min_height == dataset->original_max_height)
    {
      if (dataset->original_min_width == dataset->width && dataset->original_min_height == dataset->height)
        return sf_strings_size (dataset->width, dataset->height);
      /* Translators: the images' size in the dataset's files, then the size they were resized to. */
      return g_strdup_printf (_("%d × %d pixels, shown at %d × %d"), dataset->original_min_width,
                              dataset->original_min_height, dataset->width, dataset->height);
    }
  /* Translators: the images in the files have several sizes: the range of widths, the range of
   * heights, then the one size they were all resized to. */
  return g_strdup_printf (_("%d to %d wide and %d to %d high, shown at %d × %d"),
                          dataset->original_min_width, dataset->original_max_width,
                          dataset->original_min_height, dataset->original_max_height, dataset->width, dataset->height);
}

static void
update_zoom_actions (SfDatasetView *self)
{
  g_autofree char *text = g_strdup_printf (_("%g×"), self->zoom);

  gtk_label_set_label (self->zoom_label, text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.zoom-in", self->zoom < SF_ZOOM_MAX);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.zoom-out", self->zoom > SF_ZOOM_MIN);
}

static void
update_details (SfDatasetView *self)
{
  SfFace *face = self->selection != NULL ? gtk_single_selection_get_selected_item (self->selection) : NULL;

  sf_face_image_set_face (self->detail_image, face);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.copy-face", face != NULL);
  if (face == NULL)
    {
      gtk_label_set_label (self->detail_title, "");
      gtk_label_set_label (self->detail_index, "");
      gtk_label_set_label (self->detail_person, "");
      gtk_label_set_label (self->detail_size, "");
      gtk_label_set_label (self->detail_file, "");
      return;
    }

  const SfDataset *dataset = sf_face_list_get_dataset (self->faces);
  int index = sf_face_get_index (face);
  int person = sf_face_get_person (face);
  g_autofree char *index_text = g_strdup_printf (_("%d of %d"), index, dataset->n_images);
  /* Translators: the person's name, then their number (counted from 0, as the labels are). */
  g_autofree char *person_text = g_strdup_printf (_("%s, label %d"), sf_face_get_person_name (face), person);
  g_autofree char *size = size_text (dataset);
  const char *path = sf_face_get_path (face);
  g_autofree char *source_text = NULL;

  if (path != NULL)
    source_text = g_strdup (path);
  else if (dataset->source != NULL)
    /* Translators: where an image without a file of its own comes from: the dataset file. */
    source_text = g_strdup_printf (_("Image %d of %s"), index, dataset->source);
  else
    source_text = g_strdup (_("Generated (built-in demo faces)"));

  gtk_label_set_label (self->detail_title, sf_face_get_person_name (face));
  gtk_label_set_label (self->detail_index, index_text);
  gtk_label_set_label (self->detail_person, person_text);
  gtk_label_set_label (self->detail_size, size);
  gtk_label_set_label (self->detail_file, source_text);
}

static void
selection_changed_cb (SfDatasetView *self)
{
  update_details (self);
}

static void
update_header (SfDatasetView *self)
{
  const SfDataset *dataset = sf_face_list_get_dataset (self->faces);
  g_autofree char *title = sf_face_list_dup_title (self->faces);
  g_autofree char *subtitle = sf_strings_dataset_summary (dataset);

  gtk_label_set_label (self->title_label, title);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->title_label),
                               dataset->source != NULL ? dataset->source : _("Built-in demo faces"));
  gtk_label_set_label (self->subtitle_label, subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->subtitle_label), subtitle);

  guint n_warnings = dataset->warnings != NULL ? dataset->warnings->len : 0;
  gtk_widget_set_visible (GTK_WIDGET (self->warnings_button), n_warnings > 0);
  if (n_warnings > 0)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      g_string_append_printf (text,
                              ngettext ("%u file was skipped:", "%u files were skipped:", n_warnings),
                              n_warnings);
      for (guint i = 0; i < n_warnings; i++)
        g_string_append_printf (text, "\n• %s", (const char *) g_ptr_array_index (dataset->warnings, i));
      gtk_label_set_label (self->warnings_label, text->str);
      g_autofree char *tooltip = g_strdup_printf (ngettext ("%u File Skipped", "%u Files Skipped", n_warnings),
                                                  n_warnings);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->warnings_button), tooltip);
    }
}

static void
update_person_dropdown (SfDatasetView *self)
{
  const SfDataset *dataset = sf_face_list_get_dataset (self->faces);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *all = g_strdup_printf (ngettext ("All people (%d face)", "All people (%d faces)",
                                                    dataset->n_images),
                                          dataset->n_images);

  gtk_string_list_append (names, all);
  for (int p = 0; p < dataset->n_people; p++)
    {
      /* Translators: a person in the person filter, with their number of faces. */
      g_autofree char *name = g_strdup_printf (_("%s (%d)"), dataset->person_names[p],
                                               sf_face_list_get_person_count (self->faces, p));
      gtk_string_list_append (names, name);
    }
  gtk_drop_down_set_model (self->person_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->person_dropdown, (guint) (sf_face_list_get_person (self->faces) + 1));
}

static void
person_selected_cb (SfDatasetView *self)
{
  if (self->faces == NULL)
    return;

  guint selected = gtk_drop_down_get_selected (self->person_dropdown);
  int person = selected == GTK_INVALID_LIST_POSITION ? -1 : (int) selected - 1;
  sf_face_list_set_person (self->faces, person);
}

static void
setup_cell_cb (GtkSignalListItemFactory *factory, GtkListItem *item, SfDatasetView *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *image = sf_face_image_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_add_css_class (box, "face-cell");
  gtk_widget_set_halign (image, GTK_ALIGN_CENTER);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 8);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  g_object_bind_property (self, "zoom", image, "zoom", G_BINDING_SYNC_CREATE);
  gtk_list_item_set_child (item, box);
}

static void
bind_cell_cb (GtkSignalListItemFactory *factory, GtkListItem *item, SfDatasetView *self)
{
  SfFace *face = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *image = gtk_widget_get_first_child (box);
  GtkWidget *label = gtk_widget_get_next_sibling (image);
  g_autofree char *description = sf_face_dup_description (face);
  const char *path = sf_face_get_path (face);
  g_autofree char *tooltip = path != NULL ? g_strdup_printf ("%s\n%s", description, path) : NULL;

  sf_face_image_set_face (SF_FACE_IMAGE (image), face);
  gtk_label_set_label (GTK_LABEL (label), sf_face_get_person_name (face));
  gtk_widget_set_tooltip_text (box, tooltip != NULL ? tooltip : description);
}

static void
unbind_cell_cb (GtkSignalListItemFactory *factory, GtkListItem *item, SfDatasetView *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);

  sf_face_image_set_face (SF_FACE_IMAGE (gtk_widget_get_first_child (box)), NULL);
}

static void
grid_activate_cb (SfDatasetView *self, guint position)
{
  gtk_single_selection_set_selected (self->selection, position);
  adw_flap_set_reveal_flap (self->flap, TRUE);
}

static void
zoom_in_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfDatasetView *self = SF_DATASET_VIEW (widget);

  sf_dataset_view_set_zoom (self, sf_zoom_step (self->zoom, +1));
}

static void
zoom_out_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfDatasetView *self = SF_DATASET_VIEW (widget);

  sf_dataset_view_set_zoom (self, sf_zoom_step (self->zoom, -1));
}

static void
zoom_reset_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  sf_dataset_view_set_zoom (SF_DATASET_VIEW (widget), 1.0);
}

static void
find_person_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfDatasetView *self = SF_DATASET_VIEW (widget);

  /* GtkDropDown opens its searchable popup on activation. */
  gtk_widget_grab_focus (GTK_WIDGET (self->person_dropdown));
  gtk_widget_activate (GTK_WIDGET (self->person_dropdown));
}

static void
toggle_details_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfDatasetView *self = SF_DATASET_VIEW (widget);

  gtk_toggle_button_set_active (self->details_button, !gtk_toggle_button_get_active (self->details_button));
}

static void
copy_face_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  SfDatasetView *self = SF_DATASET_VIEW (widget);
  SfFace *face = self->selection != NULL ? gtk_single_selection_get_selected_item (self->selection) : NULL;
  int width, height;

  if (face == NULL)
    return;
  const float *pixels = sf_face_get_pixels (face, &width, &height);
  g_autoptr (GdkTexture) texture = sf_face_texture_new (pixels, width, height);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (widget), texture);
}

static void
sf_dataset_view_dispose (GObject *object)
{
  SfDatasetView *self = SF_DATASET_VIEW (object);
  GtkWidget *child;

  if (self->grid != NULL)
    gtk_grid_view_set_model (self->grid, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_DATASET_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->faces);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sf_dataset_view_parent_class)->dispose (object);
}

static void
sf_dataset_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfDatasetView *self = SF_DATASET_VIEW (object);

  switch (prop_id)
    {
    case PROP_FACES:
      g_value_set_object (value, self->faces);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_dataset_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfDatasetView *self = SF_DATASET_VIEW (object);

  switch (prop_id)
    {
    case PROP_FACES:
      sf_dataset_view_set_faces (self, g_value_get_object (value));
      break;
    case PROP_ZOOM:
      sf_dataset_view_set_zoom (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_dataset_view_class_init (SfDatasetViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_dataset_view_dispose;
  object_class->get_property = sf_dataset_view_get_property;
  object_class->set_property = sf_dataset_view_set_property;

  properties[PROP_FACES] =
    g_param_spec_object ("faces", NULL, NULL, SF_TYPE_FACE_LIST,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, SF_ZOOM_MIN, SF_ZOOM_MAX, 2.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SF_TYPE_FACE_IMAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-dataset-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, stack);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, title_label);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, warnings_button);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, warnings_label);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, person_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, zoom_label);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, details_button);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, flap);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, grid);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, detail_image);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, detail_title);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, detail_index);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, detail_person);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, detail_size);
  gtk_widget_class_bind_template_child (widget_class, SfDatasetView, detail_file);

  gtk_widget_class_install_action (widget_class, "dataset.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "dataset.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "dataset.zoom-reset", NULL, zoom_reset_action);
  gtk_widget_class_install_action (widget_class, "dataset.find-person", NULL, find_person_action);
  gtk_widget_class_install_action (widget_class, "dataset.toggle-details", NULL, toggle_details_action);
  gtk_widget_class_install_action (widget_class, "dataset.copy-face", NULL, copy_face_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "dataset.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "dataset.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "dataset.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "dataset.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK, "dataset.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "dataset.zoom-reset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, GDK_CONTROL_MASK, "dataset.zoom-reset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "dataset.find-person", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "dataset.toggle-details", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "dataset.copy-face", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "datasetview");
}

static void
sf_dataset_view_init (SfDatasetView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->zoom = 2.0;

  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell_cb), self);
  gtk_grid_view_set_factory (self->grid, factory);
  g_object_unref (factory);
  g_signal_connect_swapped (self->grid, "activate", G_CALLBACK (grid_activate_cb), self);

  g_autoptr (GtkExpression) expression =
    gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  gtk_drop_down_set_expression (self->person_dropdown, expression);
  g_signal_connect_swapped (self->person_dropdown, "notify::selected",
                            G_CALLBACK (person_selected_cb), self);

  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "thumbnail-zoom", self, "zoom", G_SETTINGS_BIND_DEFAULT);

  gtk_stack_set_visible_child_name (self->stack, "empty");
  update_zoom_actions (self);
  update_details (self);
}

SfFaceList *
sf_dataset_view_get_faces (SfDatasetView *self)
{
  g_return_val_if_fail (SF_IS_DATASET_VIEW (self), NULL);

  return self->faces;
}

void
sf_dataset_view_set_faces (SfDatasetView *self, SfFaceList *faces)
{
  g_return_if_fail (SF_IS_DATASET_VIEW (self));
  g_return_if_fail (faces == NULL || SF_IS_FACE_LIST (faces));

  if (self->faces == faces)
    return;

  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_func (self->selection, selection_changed_cb, self);
  gtk_grid_view_set_model (self->grid, NULL);
  g_clear_object (&self->selection);
  g_set_object (&self->faces, faces);

  if (faces != NULL)
    {
      sf_face_list_set_person (faces, -1);
      self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (faces)));
      gtk_single_selection_set_autoselect (self->selection, TRUE);
      g_signal_connect_swapped (self->selection, "notify::selected-item",
                                G_CALLBACK (selection_changed_cb), self);
      gtk_grid_view_set_model (self->grid, GTK_SELECTION_MODEL (self->selection));
      update_header (self);
      update_person_dropdown (self);
      gtk_stack_set_visible_child_name (self->stack, "faces");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "empty");

  update_details (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FACES]);
}

double
sf_dataset_view_get_zoom (SfDatasetView *self)
{
  g_return_val_if_fail (SF_IS_DATASET_VIEW (self), 1.0);

  return self->zoom;
}

void
sf_dataset_view_set_zoom (SfDatasetView *self, double zoom)
{
  g_return_if_fail (SF_IS_DATASET_VIEW (self));

  zoom = sf_zoom_normalize (zoom);
  if (self->zoom == zoom)
    return;
  self->zoom = zoom;
  update_zoom_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

void
sf_dataset_view_set_person (SfDatasetView *self, int person)
{
  g_return_if_fail (SF_IS_DATASET_VIEW (self));

  if (self->faces == NULL)
    return;
  const SfDataset *dataset = sf_face_list_get_dataset (self->faces);
  if (person < 0 || person >= dataset->n_people)
    person = -1;
  gtk_drop_down_set_selected (self->person_dropdown, (guint) (person + 1));
}

void
sf_dataset_view_select_image (SfDatasetView *self, int index)
{
  g_return_if_fail (SF_IS_DATASET_VIEW (self));

  if (self->faces == NULL)
    return;
  int position = sf_face_list_find_position (self->faces, index);
  if (position < 0)
    {
      sf_dataset_view_set_person (self, -1);
      position = sf_face_list_find_position (self->faces, index);
    }
  if (position < 0)
    return;
  gtk_single_selection_set_selected (self->selection, (guint) position);
  gtk_widget_activate_action (GTK_WIDGET (self->grid), "list.scroll-to-item", "u", (guint) position);
}

int
sf_dataset_view_get_selected (SfDatasetView *self)
{
  g_return_val_if_fail (SF_IS_DATASET_VIEW (self), -1);

  SfFace *face = self->selection != NULL ? gtk_single_selection_get_selected_item (self->selection) : NULL;
  return face != NULL ? sf_face_get_index (face) : -1;
}

GtkWidget *
sf_dataset_view_new (void)
{
  return g_object_new (SF_TYPE_DATASET_VIEW, NULL);
}
