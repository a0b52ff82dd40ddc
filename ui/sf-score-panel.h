/* How a model does on its validation pairs at one threshold: the pair counts,
 * AUC and EER, the score histograms with the threshold line, the ROC curve
 * with the operating point, the confusion counts, and the buttons that move
 * the threshold to the EER or the best-accuracy point. It shows an
 * SfEvaluation it is given; it scores nothing. */
#pragma once

#include <gtk/gtk.h>

#include "evaluation.h"

G_BEGIN_DECLS

#define SF_TYPE_SCORE_PANEL (sf_score_panel_get_type ())

G_DECLARE_FINAL_TYPE (SfScorePanel, sf_score_panel, SF, SCORE_PANEL, GtkWidget)

GtkWidget          *sf_score_panel_new             (void);

/* Takes `evaluation` (immutable from then on); NULL shows the placeholder. */
void                sf_score_panel_set_evaluation  (SfScorePanel *self, SfEvaluation *evaluation);
const SfEvaluation *sf_score_panel_get_evaluation  (SfScorePanel *self);
/* What the panel says while it has no evaluation: that one is being made, or
 * why there is none. */
void                sf_score_panel_set_placeholder (SfScorePanel *self, const char *text);

/* "threshold": where the counts are taken, the histogram's line and the ROC
 * curve's operating point (bind it to the owner of the threshold). */
double              sf_score_panel_get_threshold   (SfScorePanel *self);
void                sf_score_panel_set_threshold   (SfScorePanel *self, double threshold);
/* The confusion counts at "threshold"; NULL without an evaluation. */
const SfMetrics    *sf_score_panel_get_counts      (SfScorePanel *self);

/* The threshold `rule` picks on the evaluation (sf_evaluation_choose_threshold);
 * FALSE when there is none to pick (no evaluation, or a class is missing). */
gboolean            sf_score_panel_get_rule_threshold (SfScorePanel *self, SfThresholdRule rule, float *threshold);

/* Its two buttons activate "similarity.use-eer-threshold" and
 * "similarity.use-best-threshold": actions of the view that holds it, which
 * own the choice (they set the session's threshold). */

G_END_DECLS
