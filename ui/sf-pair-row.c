/* SfPairRow: a recycled list row; set_item rebinds every label. */
#include "sf-pair-row.h"

#include <glib/gi18n.h>

#include "sf-face-image.h"

struct _SfPairRow
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkLabel *number_label;
  SfFaceImage *face_a;
  SfFaceImage *face_b;
  GtkWidget *mark;
  GtkImage *mark_icon;
  GtkLabel *mark_label;
  GtkLabel *people_label;
  GtkLabel *images_label;
  GtkLabel *part_label;

  /* Owned */
  SfPairItem *item;
};

G_DEFINE_FINAL_TYPE (SfPairRow, sf_pair_row, GTK_TYPE_WIDGET)

const char *
sf_pair_mark_label (gboolean same)
{
  return same ? _("Same person") : _("Different people");
}

const char *
sf_pair_mark_icon_name (gboolean same)
{
  return same ? "sf-same-symbolic" : "sf-different-symbolic";
}

const char *
sf_pair_part_label (gboolean validation)
{
  return validation ? _("Validation") : _("Training");
}

static void
sf_pair_row_dispose (GObject *object)
{
  SfPairRow *self = SF_PAIR_ROW (object);
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_PAIR_ROW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (sf_pair_row_parent_class)->dispose (object);
}

static void
sf_pair_row_class_init (SfPairRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_pair_row_dispose;

  g_type_ensure (SF_TYPE_FACE_IMAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-pair-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, number_label);
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, face_a);
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, face_b);
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, mark);
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, mark_icon);
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, mark_label);
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, people_label);
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, images_label);
  gtk_widget_class_bind_template_child (widget_class, SfPairRow, part_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pairrow");
}

static void
sf_pair_row_init (SfPairRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

SfPairItem *
sf_pair_row_get_item (SfPairRow *self)
{
  g_return_val_if_fail (SF_IS_PAIR_ROW (self), NULL);

  return self->item;
}

void
sf_pair_row_set_item (SfPairRow *self, SfPairItem *item)
{
  g_return_if_fail (SF_IS_PAIR_ROW (self));

  if (!g_set_object (&self->item, item))
    return;

  if (item == NULL)
    {
      sf_face_image_set_face (self->face_a, NULL);
      sf_face_image_set_face (self->face_b, NULL);
      return;
    }

  SfFace *a = sf_pair_item_get_face_a (item);
  SfFace *b = sf_pair_item_get_face_b (item);
  gboolean same = sf_pair_item_get_same (item);
  gboolean validation = sf_pair_item_get_validation (item);
  g_autofree char *number = g_strdup_printf ("%d", sf_pair_item_get_number (item));
  g_autofree char *people = NULL;
  /* Translators: the two images of a pair, by index. */
  g_autofree char *images = g_strdup_printf (_("Images %d and %d"), sf_face_get_index (a), sf_face_get_index (b));

  if (same)
    people = g_strdup (sf_face_get_person_name (a));
  else
    /* Translators: the two people of a pair of different people. */
    people = g_strdup_printf (_("%s and %s"), sf_face_get_person_name (a), sf_face_get_person_name (b));

  sf_face_image_set_face (self->face_a, a);
  sf_face_image_set_face (self->face_b, b);
  gtk_label_set_label (self->number_label, number);
  gtk_image_set_from_icon_name (self->mark_icon, sf_pair_mark_icon_name (same));
  gtk_label_set_label (self->mark_label, sf_pair_mark_label (same));
  gtk_label_set_label (self->people_label, people);
  gtk_label_set_label (self->images_label, images);
  gtk_label_set_label (self->part_label, sf_pair_part_label (validation));

  if (same)
    {
      gtk_widget_add_css_class (self->mark, "same");
      gtk_widget_remove_css_class (self->mark, "different");
    }
  else
    {
      gtk_widget_add_css_class (self->mark, "different");
      gtk_widget_remove_css_class (self->mark, "same");
    }
  if (validation)
    gtk_widget_add_css_class (GTK_WIDGET (self->part_label), "validation");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->part_label), "validation");

  /* Translators: a pair for screen readers: number, verdict, people, training or validation. */
  g_autofree char *description = g_strdup_printf (_("Pair %s: %s, %s, %s"), number,
                                                  sf_pair_mark_label (same), people,
                                                  sf_pair_part_label (validation));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
}

void
sf_pair_row_set_zoom (SfPairRow *self, double zoom)
{
  g_return_if_fail (SF_IS_PAIR_ROW (self));

  sf_face_image_set_zoom (self->face_a, zoom);
  sf_face_image_set_zoom (self->face_b, zoom);
}

GtkWidget *
sf_pair_row_new (void)
{
  return g_object_new (SF_TYPE_PAIR_ROW, NULL);
}
