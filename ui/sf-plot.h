/* SfPlot: a line plot widget (series of (x, y) points with a name, a colour
 * and dashed/faint/thin flags; nice axes, a legend, the values under the
 * pointer, exponential smoothing) and the pure function that draws it, which
 * needs only cairo: tests call it on an image surface, exports on PNG and
 * SVG surfaces. The widget has the `img` accessible role and keeps its
 * description current ("Loss at epoch 12: training 0.081, validation 0.094"). */
#pragma once

#include <gtk/gtk.h>

#include "sf-chart-primitives.h"

G_BEGIN_DECLS

typedef struct {
  double x, y;
} SfPlotPoint;

typedef struct {
  char *name;
  SfChartColor color;
  gboolean dashed;
  gboolean faint;      /* earlier runs: drawn light, left out of the readout */
  gboolean thin;       /* dense series (per batch): 1 px, no markers */
  GArray *points;      /* SfPlotPoint, x ascending */
} SfPlotSeries;

typedef struct {
  const char *x_label;
  const char *y_label;
  const char *empty_text;    /* shown while no series has a point; may be NULL */
  const char *faint_label;   /* one legend entry for all faint series; NULL: none */
  GPtrArray *series;         /* SfPlotSeries */
  double x_min, x_max;       /* NAN: from the data */
  double y_min, y_max;       /* NAN: from the data */
  double x_min_step;         /* 1 for whole epochs; 0 for any */
  double smoothing;          /* 0 (none) … 0.99: weight of the past in the moving average */
  gboolean hovering;
  double hover_x;            /* device x of the pointer while hovering */
} SfPlotData;

/* Draws data into a width × height area of cr with style's colours and
 * font; style's labels and tick settings are taken from data where set. */
void      sf_plot_draw              (cairo_t *cr, double width, double height, const SfPlotData *data,
                                     const SfChartStyle *style);
/* The exponential moving average of ys in place: y'[0] = y[0],
 * y'[i] = smoothing · y'[i-1] + (1 - smoothing) · y[i]. */
void      sf_plot_smooth            (double *ys, int n, double smoothing);
/* The readout for data x (the nearest point of every non-faint series), or NULL. */
char     *sf_plot_data_readout      (const SfPlotData *data, double x, double *snapped_x);

SfPlotSeries *sf_plot_series_new    (const char *name, const SfChartColor *color, gboolean dashed,
                                     gboolean faint, gboolean thin);
void      sf_plot_series_free       (SfPlotSeries *series);

#define SF_TYPE_PLOT (sf_plot_get_type ())

G_DECLARE_FINAL_TYPE (SfPlot, sf_plot, SF, PLOT, GtkWidget)

GtkWidget *sf_plot_new              (void);

/* A new series; returns its index. */
guint      sf_plot_add_series       (SfPlot *self, const char *name, const SfChartColor *color,
                                     gboolean dashed, gboolean faint, gboolean thin);
void       sf_plot_add_point        (SfPlot *self, guint series, double x, double y);
/* Replaces the points of a series (x ascending) with a copy of `points`. */
void       sf_plot_set_points       (SfPlot *self, guint series, const SfPlotPoint *points, guint n_points);
guint      sf_plot_get_n_series     (SfPlot *self);
const SfPlotSeries *sf_plot_get_series (SfPlot *self, guint series);
/* Points of a series. */
guint      sf_plot_get_n_points     (SfPlot *self, guint series);
/* Removes every series (or only the faint ones). */
void       sf_plot_clear            (SfPlot *self);
void       sf_plot_clear_faint      (SfPlot *self);

/* "title" names the plot in its description; "x-label", "y-label" the axes. */
void       sf_plot_set_title        (SfPlot *self, const char *title);
void       sf_plot_set_labels       (SfPlot *self, const char *x_label, const char *y_label);
void       sf_plot_set_empty_text   (SfPlot *self, const char *text);
void       sf_plot_set_faint_label  (SfPlot *self, const char *text);
/* NAN for "from the data". */
void       sf_plot_set_x_range      (SfPlot *self, double x_min, double x_max);
void       sf_plot_set_y_range      (SfPlot *self, double y_min, double y_max);
/* "smoothing" property, 0 … 0.99. */
double     sf_plot_get_smoothing    (SfPlot *self);
void       sf_plot_set_smoothing    (SfPlot *self, double smoothing);
/* The text screen readers get; also the "description" property. */
const char *sf_plot_get_description (SfPlot *self);
/* Simulates the pointer at device x (NAN: gone); returns the readout shown, or NULL. */
const char *sf_plot_hover           (SfPlot *self, double x);

/* Renders the plot at width × height to a PNG or (by the .svg suffix) an SVG file. */
gboolean   sf_plot_save             (SfPlot *self, const char *path, int width, int height, GError **error);

G_END_DECLS
