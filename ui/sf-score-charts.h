/* The Similarity view's two charts as pure cairo drawing: the histograms of
 * same-person and different-person scores with the threshold line, and the ROC
 * curve with the operating point. No widgets here: tests draw them on an
 * image surface with no display. */
#pragma once

#include <gtk/gtk.h>

#include "metrics.h"

G_BEGIN_DECLS

#define SF_SCORE_HISTOGRAM_BINS 20

typedef struct {
  GdkRGBA foreground;   /* text, axes and the threshold line */
  GdkRGBA background;   /* behind labels that sit on the plot */
  GdkRGBA same;         /* same-person series */
  GdkRGBA different;    /* different-person series */
  GdkRGBA accent;       /* the ROC curve and its operating point */
  const PangoFontDescription *font;  /* NULL: the default sans at 9 pt */
} SfScoreChartStyle;

/* A readable default (dark text on light ground), for tests and screenshots. */
void   sf_score_chart_style_init_default (SfScoreChartStyle *style);

/* Counts scores in [0, 1] into `n_bins` equal bins (a score of exactly 1 goes
 * into the last): same[] for truths > 0.5, different[] for the others. */
void   sf_score_histogram_bin   (const float *scores, const float *truths, int n, int n_bins,
                                 int *same, int *different);
/* Tick values for an axis from 0 to `max` (a count): 1, 2 or 5 times a power
 * of ten, at most about `max_ticks` of them. Returns the step. */
int    sf_score_count_tick_step (int max, int max_ticks);

/* The histograms in a width × height box at the origin of `cr`. scores and
 * truths may be NULL when n is 0 (an empty chart with its axes). */
void   sf_score_histogram_draw  (cairo_t *cr, int width, int height, const SfScoreChartStyle *style,
                                 const float *scores, const float *truths, int n, double threshold);
/* The ROC curve (points from sf_metrics_roc; NULL draws the empty axes) with
 * the operating point (far, tar) marked, and the AUC in a corner. */
void   sf_roc_draw              (cairo_t *cr, int width, int height, const SfScoreChartStyle *style,
                                 const SfRocPoint *points, int n_points, double auc,
                                 double far, double tar);

/* Texts for screen readers, kept current by the view. */
char  *sf_score_histogram_describe (int n_same, int n_different, double threshold);
char  *sf_roc_describe             (double auc, double threshold, double far, double tar, double accuracy);

G_END_DECLS
