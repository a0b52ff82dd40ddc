/* A card of the Similarity view: both faces, the person, the score as a
 * number and a bar, the verdict at the threshold in icon and words, and
 * whether it is right where the truth is known. */
#pragma once

#include <gtk/gtk.h>

#include "sf-score-item.h"

G_BEGIN_DECLS

#define SF_TYPE_SCORE_CARD (sf_score_card_get_type ())

G_DECLARE_FINAL_TYPE (SfScoreCard, sf_score_card, SF, SCORE_CARD, GtkWidget)

GtkWidget   *sf_score_card_new      (SfScoreItem *item);
SfScoreItem *sf_score_card_get_item (SfScoreCard *self);

G_END_DECLS
