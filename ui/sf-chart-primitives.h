/* Chart primitives in plain cairo (and Pango for text), shared by every plot
 * of the app: nice tick values, a frame that maps data to device units and
 * draws grid, axes, tick labels and axis titles, a legend box and a readout
 * label. No GTK here: a plot draws the same on a widget, a PNG or an SVG, and
 * tests draw on an image surface without a display.
 *
 * Typical use:
 *   SfChartStyle style;  sf_chart_style_init (&style);   // then set fg/labels
 *   SfChartFrame frame;
 *   sf_chart_frame_init (&frame, cr, &style, width, height, x0, x1, y0, y1);
 *   sf_chart_draw_frame (cr, &frame, &style);
 *   ... cairo_line_to (cr, sf_chart_frame_x (&frame, x), sf_chart_frame_y (&frame, y)) ...
 *   sf_chart_draw_legend (cr, &frame, &style, items, n_items, SF_CHART_CORNER_TOP_RIGHT);
 */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double red, green, blue, alpha;
} SfChartColor;

#define SF_CHART_MAX_TICKS 32

/* Tick values first, first + step, … up to last (≤ SF_CHART_MAX_TICKS of them);
 * step is 1, 2 or 5 × 10^k. */
typedef struct {
  double first;
  double last;
  double step;
  int n;
} SfChartTicks;

/* Nice ticks over [lo, hi], about `target` of them (at least 2 when lo < hi),
 * all inside [lo, hi] unless round_out, which extends the range outwards to a
 * whole tick at each end. min_step > 0 forbids finer steps (1 for epochs).
 * A degenerate or non-finite range is widened to something drawable. */
void          sf_chart_nice_ticks   (double lo, double hi, int target, double min_step, gboolean round_out,
                                     SfChartTicks *ticks);
/* The i-th tick value (computed, not accumulated: no drift). */
double        sf_chart_tick_value   (const SfChartTicks *ticks, int i);
/* A tick label with as many decimals as the step needs ("0.25", "10", "1e-05"). */
char         *sf_chart_format_value (double value, double step);

typedef struct {
  SfChartColor foreground;   /* text, axes and frame */
  SfChartColor grid;         /* light lines at the ticks */
  SfChartColor background;   /* behind the legend and the readout; alpha 0 for none */
  const char *font_family;   /* e.g. "Sans"; NULL for "Sans" */
  double font_size;          /* points at 96 dpi (device px = size × 4/3) */
  const char *x_label;       /* axis titles; NULL for none */
  const char *y_label;
  int x_ticks;               /* how many ticks to aim for on each axis */
  int y_ticks;
  double x_min_step;         /* see sf_chart_nice_ticks */
  double y_min_step;
  gboolean round_out_x;      /* extend the range to whole ticks */
  gboolean round_out_y;
  double padding;            /* around everything, device units */
} SfChartStyle;

/* Black text on a white background, 9 pt Sans, 6 ticks per axis, no rounding. */
void          sf_chart_style_init   (SfChartStyle *style);

typedef struct {
  /* The data range shown (after rounding out). */
  double x_min, x_max, y_min, y_max;
  SfChartTicks x_ticks, y_ticks;
  /* The plot area in device units. */
  double left, top, width, height;
} SfChartFrame;

/* Computes ticks and leaves room for tick labels and axis titles (measured
 * with cr's Pango context) inside a width × height drawing. */
void          sf_chart_frame_init   (SfChartFrame *frame, cairo_t *cr, const SfChartStyle *style,
                                     double width, double height,
                                     double x_min, double x_max, double y_min, double y_max);
/* Data → device, and device → data. */
double        sf_chart_frame_x      (const SfChartFrame *frame, double x);
double        sf_chart_frame_y      (const SfChartFrame *frame, double y);
double        sf_chart_frame_x_value (const SfChartFrame *frame, double device_x);
double        sf_chart_frame_y_value (const SfChartFrame *frame, double device_y);
gboolean      sf_chart_frame_contains (const SfChartFrame *frame, double device_x, double device_y);
/* Clips cr to the plot area (cairo_save first; cairo_restore after). */
void          sf_chart_frame_clip   (const SfChartFrame *frame, cairo_t *cr);

/* Grid lines, the left and bottom axes, tick labels and axis titles. */
void          sf_chart_draw_frame   (cairo_t *cr, const SfChartFrame *frame, const SfChartStyle *style);

typedef enum {
  SF_CHART_CORNER_TOP_LEFT,
  SF_CHART_CORNER_TOP_RIGHT,
  SF_CHART_CORNER_BOTTOM_LEFT,
  SF_CHART_CORNER_BOTTOM_RIGHT,
} SfChartCorner;

typedef enum {
  SF_CHART_MARK_LINE,        /* a short line (dashed if asked) */
  SF_CHART_MARK_BOX,         /* a filled square, for bars and areas */
} SfChartMark;

typedef struct {
  const char *name;
  SfChartColor color;
  SfChartMark mark;
  gboolean dashed;
  gboolean faint;            /* drawn at reduced alpha */
} SfChartLegendItem;

/* A box of mark + name rows in a corner of the plot area. */
void          sf_chart_draw_legend  (cairo_t *cr, const SfChartFrame *frame, const SfChartStyle *style,
                                     const SfChartLegendItem *items, int n_items, SfChartCorner corner);

/* A small boxed text (may hold several lines) beside the device point (x, y),
 * flipped to stay inside the plot area: hover readouts, operating points. */
void          sf_chart_draw_readout (cairo_t *cr, const SfChartFrame *frame, const SfChartStyle *style,
                                     double x, double y, const char *text);

/* A path: the rectangle at (x, y) of w × h with corners rounded by r. */
void          sf_chart_rounded_rectangle (cairo_t *cr, double x, double y, double w, double h, double r);

/* Sets cr's source to color with its alpha multiplied by alpha_scale. */
void          sf_chart_set_color    (cairo_t *cr, const SfChartColor *color, double alpha_scale);

G_END_DECLS
