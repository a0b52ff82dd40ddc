/* The loss and accuracy curves of training: two SfPlots, one above the other,
 * of a history (training and validation per epoch), and a small third plot of
 * the learning rate each epoch used (the schedule); earlier runs kept
 * faintly behind the current one, exponential smoothing of loss and
 * accuracy, and export of either plot or both in one picture (PNG or SVG). Each plot has the `img`
 * accessible role and a current description. */
#pragma once

#include <gtk/gtk.h>

#include "sf-plot.h"
#include "trainer.h"

G_BEGIN_DECLS

#define SF_TYPE_TRAINING_CURVES (sf_training_curves_get_type ())

G_DECLARE_FINAL_TYPE (SfTrainingCurves, sf_training_curves, SF, TRAINING_CURVES, GtkWidget)

typedef enum {
  SF_TRAINING_CURVES_LOSS,
  SF_TRAINING_CURVES_ACCURACY,
  SF_TRAINING_CURVES_BOTH,
} SfTrainingCurvesPart;

GtkWidget *sf_training_curves_new           (void);

/* The current curves become faint "earlier runs", and empty ones start on
 * an axis of `n_epochs` epochs. */
void       sf_training_curves_begin         (SfTrainingCurves *self, int n_epochs);
/* Draws `history` as the current curves. The history is read, not kept:
 * call again when it grows (only the new epochs are added) or changes. */
void       sf_training_curves_show_history  (SfTrainingCurves *self, const SfEpochRecord *history,
                                             int n_epochs);
/* "smoothing": 0 (none) … 0.99, for both plots. */
double     sf_training_curves_get_smoothing (SfTrainingCurves *self);
void       sf_training_curves_set_smoothing (SfTrainingCurves *self, double smoothing);

SfPlot    *sf_training_curves_get_loss_plot     (SfTrainingCurves *self);
SfPlot    *sf_training_curves_get_accuracy_plot (SfTrainingCurves *self);
SfPlot    *sf_training_curves_get_rate_plot     (SfTrainingCurves *self);

/* Writes one plot (800 × 450) or both, one above the other (800 × 900), as
 * PNG or, by the .svg suffix, SVG; black on white whatever the theme. */
gboolean   sf_training_curves_save          (SfTrainingCurves *self, SfTrainingCurvesPart part,
                                             const char *path, GError **error);

G_END_DECLS
