/* SfScoreCard: built once per item; only the verdict and the right/wrong
 * mark change afterwards, on the item's notify::accepted. */
#include "sf-score-card.h"

#include <glib/gi18n.h>

#include "sf-face-image.h"
#include "sf-pair-row.h"

struct _SfScoreCard
{
  GtkWidget parent_instance;

  /* Template widgets */
  SfFaceImage *face_test;
  SfFaceImage *face_partner;
  GtkLabel *person_label;
  GtkLabel *score_label;
  GtkLevelBar *score_bar;
  GtkWidget *verdict;
  GtkImage *verdict_icon;
  GtkLabel *verdict_label;
  GtkWidget *truth;
  GtkImage *truth_icon;
  GtkLabel *truth_label;

  /* Owned */
  SfScoreItem *item;
  gulong accepted_handler;
};

G_DEFINE_FINAL_TYPE (SfScoreCard, sf_score_card, GTK_TYPE_WIDGET)

static void
set_class (GtkWidget *widget, const char *name, gboolean on)
{
  if (on)
    gtk_widget_add_css_class (widget, name);
  else
    gtk_widget_remove_css_class (widget, name);
}

static void
update_verdict (SfScoreCard *self)
{
  gboolean accepted = sf_score_item_get_accepted (self->item);
  int right = sf_score_item_get_right (self->item);
  SfFace *partner = sf_score_item_get_partner (self->item);

  set_class (GTK_WIDGET (self), "accepted", accepted);
  set_class (self->verdict, "same", accepted);
  set_class (self->verdict, "different", !accepted);
  gtk_image_set_from_icon_name (self->verdict_icon, sf_pair_mark_icon_name (accepted));
  gtk_label_set_label (self->verdict_label, sf_pair_mark_label (accepted));

  gtk_widget_set_visible (self->truth, right >= 0);
  set_class (self->truth, "right", right == 1);
  set_class (self->truth, "wrong", right == 0);
  gtk_image_set_from_icon_name (self->truth_icon, right == 1 ? "object-select-symbolic" : "window-close-symbolic");
  gtk_label_set_label (self->truth_label, right == 1 ? _("Right") : _("Wrong"));

  g_autofree char *score = g_strdup_printf ("%.3f", sf_score_item_get_score (self->item));
  g_autofree char *description = NULL;
  if (right >= 0)
    /* Translators: a card for screen readers: person, score, verdict, right or wrong. */
    description = g_strdup_printf (_("%s: score %s, %s, %s"), sf_face_get_person_name (partner), score,
                                   sf_pair_mark_label (accepted), right == 1 ? _("Right") : _("Wrong"));
  else
    /* Translators: a card for screen readers: person, score, verdict. */
    description = g_strdup_printf (_("%s: score %s, %s"), sf_face_get_person_name (partner), score,
                                   sf_pair_mark_label (accepted));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
}

static void
accepted_changed_cb (SfScoreItem *item, GParamSpec *pspec, SfScoreCard *self)
{
  update_verdict (self);
}

static void
sf_score_card_dispose (GObject *object)
{
  SfScoreCard *self = SF_SCORE_CARD (object);
  GtkWidget *child;

  if (self->item != NULL)
    g_clear_signal_handler (&self->accepted_handler, self->item);
  g_clear_object (&self->item);
  gtk_widget_dispose_template (GTK_WIDGET (self), SF_TYPE_SCORE_CARD);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (sf_score_card_parent_class)->dispose (object);
}

static void
sf_score_card_class_init (SfScoreCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_score_card_dispose;

  g_type_ensure (SF_TYPE_FACE_IMAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/siamesefaces/SiameseFaces/ui/sf-score-card.ui");
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, face_test);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, face_partner);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, person_label);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, score_label);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, score_bar);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, verdict);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, verdict_icon);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, truth);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, truth_icon);
  gtk_widget_class_bind_template_child (widget_class, SfScoreCard, truth_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "scorecard");
}

static void
sf_score_card_init (SfScoreCard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The bar shows the score only; the verdict has its own words and colour. */
  gtk_level_bar_remove_offset_value (self->score_bar, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (self->score_bar, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (self->score_bar, GTK_LEVEL_BAR_OFFSET_FULL);
}

SfScoreItem *
sf_score_card_get_item (SfScoreCard *self)
{
  g_return_val_if_fail (SF_IS_SCORE_CARD (self), NULL);

  return self->item;
}

GtkWidget *
sf_score_card_new (SfScoreItem *item)
{
  g_return_val_if_fail (SF_IS_SCORE_ITEM (item), NULL);

  SfScoreCard *self = g_object_new (SF_TYPE_SCORE_CARD, NULL);
  SfFace *test = sf_score_item_get_test (item);
  SfFace *partner = sf_score_item_get_partner (item);
  float score = sf_score_item_get_score (item);
  g_autofree char *score_text = g_strdup_printf ("%.3f", score);
  g_autofree char *partner_text = sf_face_dup_description (partner);

  self->item = g_object_ref (item);
  sf_face_image_set_face (self->face_test, test);
  sf_face_image_set_face (self->face_partner, partner);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->face_partner), partner_text);
  if (sf_score_item_get_held_out (item))
    {
      /* Translators: a person never seen in training (the validation part of the split), e.g. "s3 (held out)". */
      g_autofree char *name = g_strdup_printf (_("%s (held out)"), sf_face_get_person_name (partner));
      gtk_label_set_label (self->person_label, name);
      gtk_widget_add_css_class (GTK_WIDGET (self), "held-out");
    }
  else
    gtk_label_set_label (self->person_label, sf_face_get_person_name (partner));
  gtk_label_set_label (self->score_label, score_text);
  gtk_level_bar_set_value (self->score_bar, CLAMP (score, 0.0f, 1.0f));
  self->accepted_handler = g_signal_connect (item, "notify::accepted", G_CALLBACK (accepted_changed_cb), self);
  update_verdict (self);
  return GTK_WIDGET (self);
}
