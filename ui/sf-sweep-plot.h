/* SfSweepPlot: a sweep's chosen metric against one varied setting — a dot
 * per run (each seed) and a mark per combination's mean over its seeds —
 * drawn with the chart primitives (a log axis when the values span a
 * decade or more). The widget has the `img` role and a description that
 * names the best mean. */
#pragma once

#include <gtk/gtk.h>

#include "sf-plot.h"

G_BEGIN_DECLS

#define SF_TYPE_SWEEP_PLOT (sf_sweep_plot_get_type ())

G_DECLARE_FINAL_TYPE (SfSweepPlot, sf_sweep_plot, SF, SWEEP_PLOT, GtkWidget)

GtkWidget   *sf_sweep_plot_new          (void);
/* The axes: the setting (x) and the metric (y); lower_is_better says which
 * mean the description calls best. */
void         sf_sweep_plot_set_axes     (SfSweepPlot *self, const char *setting_title, const char *metric_title,
                                         gboolean lower_is_better);
/* Replaces the points: one per run (x the setting's value, y the metric)
 * and one per combination's mean. Points that are not finite are left out. */
void         sf_sweep_plot_set_points   (SfSweepPlot *self, const SfPlotPoint *runs, guint n_runs,
                                         const SfPlotPoint *means, guint n_means);
guint        sf_sweep_plot_get_n_runs   (SfSweepPlot *self);
guint        sf_sweep_plot_get_n_means  (SfSweepPlot *self);
const SfPlotPoint *sf_sweep_plot_get_run  (SfSweepPlot *self, guint index);
const SfPlotPoint *sf_sweep_plot_get_mean (SfSweepPlot *self, guint index);
/* Whether the x axis is logarithmic (positive values spanning ≥ 10×). */
gboolean     sf_sweep_plot_get_log_x    (SfSweepPlot *self);
const char  *sf_sweep_plot_get_description (SfSweepPlot *self);

G_END_DECLS
