/* One card of the Similarity view: the test face paired with one face of a
 * person, the pair's score, whether the truth is known, and whether the
 * score reaches the current threshold. */
#pragma once

#include <gio/gio.h>

#include "sf-face.h"

G_BEGIN_DECLS

#define SF_TYPE_SCORE_ITEM (sf_score_item_get_type ())

G_DECLARE_FINAL_TYPE (SfScoreItem, sf_score_item, SF, SCORE_ITEM, GObject)

/* truth: 1 the same person, 0 different people, -1 unknown (an outside image). */
SfScoreItem *sf_score_item_new           (SfFace *test, SfFace *partner, float score, int truth);
SfFace      *sf_score_item_get_test      (SfScoreItem *self);
SfFace      *sf_score_item_get_partner   (SfScoreItem *self);
float        sf_score_item_get_score     (SfScoreItem *self);
int          sf_score_item_get_truth     (SfScoreItem *self);
int          sf_score_item_get_person    (SfScoreItem *self);
/* The partner's person was held out of training (set before a card shows it). */
gboolean     sf_score_item_get_held_out  (SfScoreItem *self);
void         sf_score_item_set_held_out  (SfScoreItem *self, gboolean held_out);
/* "accepted": score >= the threshold last set (notifies only on a change). */
gboolean     sf_score_item_get_accepted  (SfScoreItem *self);
void         sf_score_item_set_threshold (SfScoreItem *self, float threshold);
/* 1 the verdict is right, 0 wrong, -1 unknown. */
int          sf_score_item_get_right     (SfScoreItem *self);

G_END_DECLS
