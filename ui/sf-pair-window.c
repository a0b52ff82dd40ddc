/* SfPairWindow: a modal window that shows one pair; Escape closes it. */
#include "sf-pair-window.h"

#include <glib/gi18n.h>

#include "sf-face-image.h"
#include "sf-face-paint.h"
#include "sf-face-list.h"
#include "sf-pair-row.h"

/* Faces are shown at about this many pixels, at a whole zoom. */
#define FACE_PIXELS 256

struct _SfPairWindow
{
  AdwWindow parent_instance;

  /* Template widgets */
  AdwWindowTitle *window_title;
  SfFaceImage *face_a;
  SfFaceImage *face_b;
  GtkLabel *name_a;
  GtkLabel *name_b;
  GtkLabel *info_a;
  GtkLabel *info_b;
  GtkWidget *mark;
  GtkImage *mark_icon;
  GtkLabel *mark_label;
  GtkLabel *part_label;

  /* Owned */
  SfPairItem *item;
};

G_DEFINE_FINAL_TYPE (SfPairWindow, sf_pair_window, ADW_TYPE_WINDOW)

static char *
face_info (SfFace *face)
{
  const char *path = sf_face_get_path (face);

  if (path != NULL)
    /* Translators: an image's index, then its file. */
    return g_strdup_printf (_("Image %d\n%s"), sf_face_get_index (face), path);
  return g_strdup_printf (_("Image %d"), sf_face_get_index (face));
}

static void
sf_pair_window_dispose (GObject *object)
{
  SfPairWindow *self = SF_PAIR_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_PAIR_WINDOW);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (sf_pair_window_parent_class)->dispose (object);
}

static void
sf_pair_window_class_init (SfPairWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_pair_window_dispose;

  g_type_ensure (SF_TYPE_FACE_IMAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-pair-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, face_a);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, face_b);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, name_a);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, name_b);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, info_a);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, info_b);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, mark);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, mark_icon);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, mark_label);
  gtk_widget_class_bind_template_child (widget_class, SfPairWindow, part_label);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sf_pair_window_init (SfPairWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

SfPairItem *
sf_pair_window_get_item (SfPairWindow *self)
{
  g_return_val_if_fail (SF_IS_PAIR_WINDOW (self), NULL);

  return self->item;
}

GtkWidget *
sf_pair_window_new (SfPairItem *item)
{
  g_return_val_if_fail (SF_IS_PAIR_ITEM (item), NULL);

  SfPairWindow *self = g_object_new (SF_TYPE_PAIR_WINDOW, NULL);
  SfFace *a = sf_pair_item_get_face_a (item);
  SfFace *b = sf_pair_item_get_face_b (item);
  gboolean same = sf_pair_item_get_same (item);
  gboolean validation = sf_pair_item_get_validation (item);
  g_autofree char *title = g_strdup_printf (_("Pair %d"), sf_pair_item_get_number (item));
  g_autofree char *info_a = face_info (a);
  g_autofree char *info_b = face_info (b);

  self->item = g_object_ref (item);
  gtk_window_set_title (GTK_WINDOW (self), title);
  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title, sf_pair_mark_label (same));
  int width, height;
  sf_face_get_pixels (a, &width, &height);
  double zoom = sf_zoom_for_target (MAX (width, height), FACE_PIXELS);
  sf_face_image_set_zoom (self->face_a, zoom);
  sf_face_image_set_zoom (self->face_b, zoom);
  sf_face_image_set_face (self->face_a, a);
  sf_face_image_set_face (self->face_b, b);
  gtk_label_set_label (self->name_a, sf_face_get_person_name (a));
  gtk_label_set_label (self->name_b, sf_face_get_person_name (b));
  gtk_label_set_label (self->info_a, info_a);
  gtk_label_set_label (self->info_b, info_b);
  gtk_image_set_from_icon_name (self->mark_icon, sf_pair_mark_icon_name (same));
  gtk_label_set_label (self->mark_label, sf_pair_mark_label (same));
  gtk_label_set_label (self->part_label, sf_pair_part_label (validation));
  gtk_widget_add_css_class (self->mark, same ? "same" : "different");
  if (validation)
    gtk_widget_add_css_class (GTK_WIDGET (self->part_label), "validation");
  return GTK_WIDGET (self);
}
