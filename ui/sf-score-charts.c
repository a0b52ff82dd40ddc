/* Score histograms and the ROC curve drawn into a box at the origin with the
 * chart primitives of sf-chart-primitives.h: the same frame, ticks, legend and labels as
 * every plot of the app. */
#include "sf-score-charts.h"

#include <math.h>
#include <glib/gi18n.h>

#include "sf-chart-primitives.h"

/* Smaller than this, a plot area shows nothing useful: nothing is drawn. */
#define MIN_PLOT_SIZE 20.0

void
sf_score_chart_style_init_default (SfScoreChartStyle *style)
{
  g_return_if_fail (style != NULL);

  *style = (SfScoreChartStyle) {
    .foreground = { 0.14, 0.14, 0.16, 1.0 },
    .background = { 1.0, 1.0, 1.0, 1.0 },
    .same = { 0.15, 0.52, 0.30, 1.0 },       /* Adwaita green 5 */
    .different = { 0.90, 0.38, 0.00, 1.0 },  /* Adwaita orange 4 */
    .accent = { 0.11, 0.44, 0.85, 1.0 },     /* Adwaita blue 3 */
    .font = NULL,
  };
}

void
sf_score_histogram_bin (const float *scores, const float *truths, int n, int n_bins,
                        int *same, int *different)
{
  g_return_if_fail (n_bins > 0 && same != NULL && different != NULL);

  memset (same, 0, sizeof (int) * n_bins);
  memset (different, 0, sizeof (int) * n_bins);
  for (int k = 0; k < n; k++)
    {
      float s = scores[k];
      if (!isfinite (s))
        continue;
      int bin = (int) floor (CLAMP (s, 0.0f, 1.0f) * n_bins);
      bin = CLAMP (bin, 0, n_bins - 1);
      if (truths[k] > 0.5f)
        same[bin]++;
      else
        different[bin]++;
    }
}

int
sf_score_count_tick_step (int max, int max_ticks)
{
  if (max <= 0 || max_ticks <= 0)
    return 1;

  for (int power = 1; power <= G_MAXINT / 50; power *= 10)
    for (int i = 0; i < 3; i++)
      {
        static const int multiples[] = { 1, 2, 5 };
        int step = multiples[i] * power;
        if ((gint64) step * max_ticks >= max)
          return step;
      }
  return max;
}

static SfChartColor
chart_color (const GdkRGBA *rgba, double alpha)
{
  return (SfChartColor) { rgba->red, rgba->green, rgba->blue, rgba->alpha * alpha };
}

/* The chart style for a score chart: its colours and font, axes from 0. */
static void
chart_style (const SfScoreChartStyle *style, const char *x_label, const char *y_label, SfChartStyle *chart)
{
  sf_chart_style_init (chart);
  chart->foreground = chart_color (&style->foreground, 1.0);
  chart->grid = chart_color (&style->foreground, 0.12);
  chart->background = chart_color (&style->background, 1.0);
  if (style->font != NULL)
    {
      double size = (double) pango_font_description_get_size (style->font) / PANGO_SCALE;
      chart->font_family = pango_font_description_get_family (style->font);
      if (size > 0)
        chart->font_size = pango_font_description_get_size_is_absolute (style->font) ? size * 3.0 / 4.0 : size;
    }
  chart->x_label = x_label;
  chart->y_label = y_label;
  chart->x_ticks = 5;
  chart->y_ticks = 5;
  chart->padding = 4;
}

static gboolean
frame_fits (const SfChartFrame *frame)
{
  return frame->width > MIN_PLOT_SIZE && frame->height > MIN_PLOT_SIZE;
}

static void
set_color (cairo_t *cr, const GdkRGBA *color, double alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

/* A dashed vertical line across the plot at data x. */
static void
draw_vertical_line (cairo_t *cr, const SfChartFrame *frame, double x, double width)
{
  double dashes[] = { 4.0, 3.0 };
  double device_x = round (sf_chart_frame_x (frame, x)) + 0.5;

  cairo_set_line_width (cr, width);
  cairo_set_dash (cr, dashes, 2, 0);
  cairo_move_to (cr, device_x, frame->top);
  cairo_line_to (cr, device_x, frame->top + frame->height);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

/* The size of the legend box sf_chart_draw_legend draws for `items`
 * (its text laid out as the chart primitives lay it out). */
static void
legend_size (cairo_t *cr, const SfChartStyle *chart, const SfChartLegendItem *items, int n_items, double *width,
             double *height)
{
  const double mark_width = 18, gap = 6, pad = 6;
  double line_height = 0, text_width = 0;
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_new ();

  pango_font_description_set_family (font, chart->font_family != NULL ? chart->font_family : "Sans");
  pango_font_description_set_absolute_size (font, chart->font_size * 4.0 / 3.0 * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  for (int i = 0; i < n_items; i++)
    {
      int w, h;
      pango_layout_set_text (layout, items[i].name, -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      text_width = MAX (text_width, w);
      line_height = MAX (line_height, h);
    }
  g_object_unref (layout);
  *width = round (pad + mark_width + gap + text_width + pad);
  *height = round (pad + n_items * line_height + pad);
}

void
sf_score_histogram_draw (cairo_t *cr, int width, int height, const SfScoreChartStyle *style,
                         const float *scores, const float *truths, int n, double threshold)
{
  g_return_if_fail (cr != NULL && style != NULL);
  g_return_if_fail (n == 0 || (scores != NULL && truths != NULL));

  int same[SF_SCORE_HISTOGRAM_BINS], different[SF_SCORE_HISTOGRAM_BINS];
  sf_score_histogram_bin (scores, truths, n, SF_SCORE_HISTOGRAM_BINS, same, different);
  int max = 1;
  for (int b = 0; b < SF_SCORE_HISTOGRAM_BINS; b++)
    max = MAX (max, MAX (same[b], different[b]));

  SfChartStyle chart;
  SfChartFrame frame;
  /* The threshold's value goes in the axis title: inside the plot it would
   * collide with the legend whenever the plot is narrow. */
  /* Translators: the histogram's x-axis title; %.3f is the threshold. */
  g_autofree char *x_title = g_strdup_printf (_("Score · threshold %.3f"), threshold);
  chart_style (style, x_title, _("Pairs"), &chart);
  chart.y_min_step = 1;
  chart.round_out_y = TRUE;
  /* The legend goes in the top corner with fewer tall bars, and the y axis
   * reaches high enough that no bar under it rises into it. */
  int left_height = 0, right_height = 0;
  for (int b = 0; b < SF_SCORE_HISTOGRAM_BINS / 2; b++)
    {
      left_height = MAX (left_height, MAX (same[b], different[b]));
      int r = SF_SCORE_HISTOGRAM_BINS - 1 - b;
      right_height = MAX (right_height, MAX (same[r], different[r]));
    }
  gboolean legend_left = left_height <= right_height;
  SfChartLegendItem items[] = {
    { _("Same person"), chart_color (&style->same, 0.7), SF_CHART_MARK_BOX, FALSE, FALSE },
    { _("Different people"), chart_color (&style->different, 0.7), SF_CHART_MARK_BOX, FALSE, FALSE },
  };
  double legend_w = 0, legend_h = 0;
  const double legend_margin = 8, clearance = 3;
  legend_size (cr, &chart, items, G_N_ELEMENTS (items), &legend_w, &legend_h);
  double y_max = max;
  for (int pass = 0; pass < 3; pass++)
    {
      sf_chart_frame_init (&frame, cr, &chart, width, height, 0.0, 1.0, 0.0, y_max);
      if (!frame_fits (&frame))
        return;
      double x0 = legend_left ? frame.left + legend_margin : frame.left + frame.width - legend_margin - legend_w;
      double bin_w = frame.width / SF_SCORE_HISTOGRAM_BINS;
      int b0 = CLAMP ((int) floor ((x0 - frame.left) / bin_w), 0, SF_SCORE_HISTOGRAM_BINS - 1);
      int b1 = CLAMP ((int) floor ((x0 + legend_w - frame.left) / bin_w), 0, SF_SCORE_HISTOGRAM_BINS - 1);
      int under = 0;
      for (int b = b0; b <= b1; b++)
        under = MAX (under, MAX (same[b], different[b]));
      double room = frame.height - (legend_margin + legend_h + clearance);
      if (under == 0 || room <= 0 || sf_chart_frame_y (&frame, under) >= frame.top + frame.height - room)
        break;
      y_max = MAX (y_max, ceil (under * frame.height / room));
    }

  cairo_save (cr);
  sf_chart_draw_frame (cr, &frame, &chart);

  /* Both series as overlapping translucent bars with a solid outline, so
   * where they overlap both stay visible. */
  double bin_width = frame.width / SF_SCORE_HISTOGRAM_BINS;
  double base = sf_chart_frame_y (&frame, 0.0);
  cairo_set_line_width (cr, 1.0);
  for (int series = 0; series < 2; series++)
    {
      const int *counts = series == 0 ? different : same;
      const GdkRGBA *color = series == 0 ? &style->different : &style->same;
      for (int b = 0; b < SF_SCORE_HISTOGRAM_BINS; b++)
        {
          if (counts[b] == 0)
            continue;
          double x = frame.left + b * bin_width;
          double y = sf_chart_frame_y (&frame, counts[b]);
          cairo_rectangle (cr, x + 1, y, bin_width - 2, base - y);
          set_color (cr, color, 0.45);
          cairo_fill_preserve (cr);
          set_color (cr, color, 1.0);
          cairo_stroke (cr);
        }
    }

  /* The threshold: a dashed line across the plot. */
  double t = CLAMP (threshold, 0.0, 1.0);
  set_color (cr, &style->foreground, 0.9);
  draw_vertical_line (cr, &frame, t, 1.5);

  sf_chart_draw_legend (cr, &frame, &chart, items, G_N_ELEMENTS (items),
                        legend_left ? SF_CHART_CORNER_TOP_LEFT : SF_CHART_CORNER_TOP_RIGHT);


  cairo_restore (cr);
}

void
sf_roc_draw (cairo_t *cr, int width, int height, const SfScoreChartStyle *style,
             const SfRocPoint *points, int n_points, double auc, double far, double tar)
{
  g_return_if_fail (cr != NULL && style != NULL);
  g_return_if_fail (n_points == 0 || points != NULL);

  SfChartStyle chart;
  SfChartFrame frame;
  chart_style (style, _("False accept rate"), _("True accept rate"), &chart);
  sf_chart_frame_init (&frame, cr, &chart, width, height, 0.0, 1.0, 0.0, 1.0);
  if (!frame_fits (&frame))
    return;

  cairo_save (cr);
  sf_chart_draw_frame (cr, &frame, &chart);

  /* Chance: the diagonal. */
  double dashes[] = { 3.0, 3.0 };
  set_color (cr, &style->foreground, 0.3);
  cairo_set_line_width (cr, 1.0);
  cairo_set_dash (cr, dashes, 2, 0);
  cairo_move_to (cr, sf_chart_frame_x (&frame, 0), sf_chart_frame_y (&frame, 0));
  cairo_line_to (cr, sf_chart_frame_x (&frame, 1), sf_chart_frame_y (&frame, 1));
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);

  if (points != NULL && n_points > 0)
    {
      set_color (cr, &style->accent, 1.0);
      cairo_set_line_width (cr, 2.0);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      for (int k = 0; k < n_points; k++)
        {
          double x = sf_chart_frame_x (&frame, CLAMP (points[k].far, 0.0, 1.0));
          double y = sf_chart_frame_y (&frame, CLAMP (points[k].tar, 0.0, 1.0));
          if (k == 0)
            cairo_move_to (cr, x, y);
          else
            cairo_line_to (cr, x, y);
        }
      cairo_stroke (cr);
    }

  if (isfinite (far) && isfinite (tar))
    {
      double x = sf_chart_frame_x (&frame, CLAMP (far, 0.0, 1.0));
      double y = sf_chart_frame_y (&frame, CLAMP (tar, 0.0, 1.0));
      cairo_arc (cr, x, y, 5.0, 0, 2 * G_PI);
      set_color (cr, &style->accent, 1.0);
      cairo_fill_preserve (cr);
      set_color (cr, &style->foreground, 1.0);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
    }

  if (isfinite (auc))
    {
      /* Translators: the area under the ROC curve, drawn in the chart. */
      g_autofree char *label = g_strdup_printf (_("AUC %.3f"), auc);
      sf_chart_draw_readout (cr, &frame, &chart, frame.left + frame.width, frame.top + frame.height, label);
    }

  cairo_restore (cr);
}

char *
sf_score_histogram_describe (int n_same, int n_different, double threshold)
{
  /* Translators: the histogram chart for screen readers. */
  return g_strdup_printf (_("Histogram of the scores of %d same-person and %d different-person pairs; threshold %.3f"),
                          n_same, n_different, threshold);
}

char *
sf_roc_describe (double auc, double threshold, double far, double tar, double accuracy)
{
  /* Translators: the ROC chart for screen readers. */
  return g_strdup_printf (_("ROC curve, AUC %.3f; at threshold %.3f: false accept rate %.3f, true accept rate %.3f, accuracy %.3f"),
                          auc, threshold, far, tar, accuracy);
}
