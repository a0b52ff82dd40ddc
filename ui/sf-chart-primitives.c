/* Chart primitives: tick maths, a frame with axes and labels, legend and
 * readout boxes, all in cairo with Pango text. */
#include "sf-chart-primitives.h"

#include <math.h>
#include <pango/pangocairo.h>

#define TICK_LENGTH 4.0
#define LABEL_GAP 4.0

/* 1, 2 or 5 × 10^k, whichever is nearest to raw (in ratio). */
static double
nice_step_near (double raw)
{
  double magnitude = pow (10.0, floor (log10 (raw)));
  double norm = raw / magnitude;

  if (norm < 1.5)
    return magnitude;
  if (norm < 3.0)
    return 2 * magnitude;
  if (norm < 7.0)
    return 5 * magnitude;
  return 10 * magnitude;
}

/* The next nice step above step. */
static double
nice_step_above (double step)
{
  double magnitude = pow (10.0, floor (log10 (step) + 1e-9));
  double norm = step / magnitude;

  if (norm < 1.5)
    return 2 * magnitude;
  if (norm < 3.0)
    return 5 * magnitude;
  return 10 * magnitude;
}

void
sf_chart_nice_ticks (double lo, double hi, int target, double min_step, gboolean round_out,
                     SfChartTicks *ticks)
{
  g_return_if_fail (ticks != NULL);

  if (!isfinite (lo) || !isfinite (hi))
    {
      lo = 0;
      hi = 1;
    }
  if (hi < lo)
    {
      double t = lo;
      lo = hi;
      hi = t;
    }
  if (hi - lo < 1e-12 * MAX (1.0, fabs (lo)))
    {
      double pad = min_step > 0 ? min_step : (lo != 0 ? fabs (lo) * 0.1 : 0.5);
      lo -= pad;
      hi += pad;
    }
  target = CLAMP (target, 2, SF_CHART_MAX_TICKS);

  double step = nice_step_near ((hi - lo) / (target - 1));
  while (min_step > 0 && step < min_step * (1 - 1e-9))
    step = nice_step_above (step);

  for (;;)
    {
      double first, last;
      if (round_out)
        {
          first = floor (lo / step + 1e-9) * step;
          last = ceil (hi / step - 1e-9) * step;
        }
      else
        {
          first = ceil (lo / step - 1e-9) * step;
          last = floor (hi / step + 1e-9) * step;
        }
      int n = (int) floor ((last - first) / step + 0.5) + 1;
      if (n <= SF_CHART_MAX_TICKS || !isfinite (step))
        {
          ticks->first = first;
          ticks->last = last;
          ticks->step = step;
          ticks->n = MAX (n, 0);
          return;
        }
      step = nice_step_above (step);
    }
}

double
sf_chart_tick_value (const SfChartTicks *ticks, int i)
{
  double value = ticks->first + i * ticks->step;

  /* No "-0" and no 0.30000000000000004. */
  if (fabs (value) < ticks->step * 1e-9)
    return 0.0;
  return value;
}

char *
sf_chart_format_value (double value, double step)
{
  if (!isfinite (value))
    return g_strdup ("–");
  if (step <= 0 || !isfinite (step))
    step = fabs (value) > 0 ? fabs (value) / 100 : 1;
  if (fabs (value) < step * 1e-9)
    value = 0.0;
  if (step < 1e-4 || fabs (value) >= 1e7)
    return g_strdup_printf ("%.3g", value);
  int decimals = (int) MAX (0.0, -floor (log10 (step) + 1e-9));
  /* 0.25 steps need two decimals although log10 says one. */
  double scaled = step * pow (10.0, decimals);
  if (fabs (scaled - round (scaled)) > 1e-6)
    decimals++;
  return g_strdup_printf ("%.*f", decimals, value);
}

void
sf_chart_style_init (SfChartStyle *style)
{
  g_return_if_fail (style != NULL);

  *style = (SfChartStyle) {
    .foreground = { 0, 0, 0, 1 },
    .grid = { 0, 0, 0, 0.1 },
    .background = { 1, 1, 1, 1 },
    .font_family = NULL,
    .font_size = 9,
    .x_ticks = 6,
    .y_ticks = 6,
    .padding = 6,
  };
}

void
sf_chart_set_color (cairo_t *cr, const SfChartColor *color, double alpha_scale)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha_scale);
}

static PangoLayout *
create_layout (cairo_t *cr, const SfChartStyle *style, const char *text)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_new ();

  pango_font_description_set_family (font, style->font_family != NULL ? style->font_family : "Sans");
  pango_font_description_set_absolute_size (font, style->font_size * 4.0 / 3.0 * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_text (layout, text != NULL ? text : "", -1);
  return layout;
}

static void
text_size (cairo_t *cr, const SfChartStyle *style, const char *text, double *width, double *height)
{
  PangoLayout *layout = create_layout (cr, style, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  g_object_unref (layout);
  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
}

/* Draws text with its box's (xalign, yalign) point at (x, y). */
static void
show_text (cairo_t *cr, const SfChartStyle *style, const char *text, double x, double y,
           double xalign, double yalign)
{
  PangoLayout *layout = create_layout (cr, style, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, round (x - xalign * w), round (y - yalign * h));
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

void
sf_chart_frame_init (SfChartFrame *frame, cairo_t *cr, const SfChartStyle *style,
                     double width, double height,
                     double x_min, double x_max, double y_min, double y_max)
{
  g_return_if_fail (frame != NULL && cr != NULL && style != NULL);

  sf_chart_nice_ticks (x_min, x_max, style->x_ticks, style->x_min_step, style->round_out_x, &frame->x_ticks);
  sf_chart_nice_ticks (y_min, y_max, style->y_ticks, style->y_min_step, style->round_out_y, &frame->y_ticks);
  /* The ticks widened a degenerate range; show what they cover. */
  frame->x_min = style->round_out_x || !(x_max > x_min) ? MIN (x_min, frame->x_ticks.first) : x_min;
  frame->x_max = style->round_out_x || !(x_max > x_min) ? MAX (x_max, frame->x_ticks.last) : x_max;
  frame->y_min = style->round_out_y || !(y_max > y_min) ? MIN (y_min, frame->y_ticks.first) : y_min;
  frame->y_max = style->round_out_y || !(y_max > y_min) ? MAX (y_max, frame->y_ticks.last) : y_max;
  if (!isfinite (frame->x_min) || !isfinite (frame->x_max) || !(frame->x_max > frame->x_min))
    {
      frame->x_min = frame->x_ticks.first;
      frame->x_max = frame->x_ticks.last;
    }
  if (!isfinite (frame->y_min) || !isfinite (frame->y_max) || !(frame->y_max > frame->y_min))
    {
      frame->y_min = frame->y_ticks.first;
      frame->y_max = frame->y_ticks.last;
    }

  double line_height, y_label_width = 0, x_label_width = 0;
  text_size (cr, style, "0", NULL, &line_height);
  for (int i = 0; i < frame->y_ticks.n; i++)
    {
      g_autofree char *text = sf_chart_format_value (sf_chart_tick_value (&frame->y_ticks, i),
                                                     frame->y_ticks.step);
      double w;
      text_size (cr, style, text, &w, NULL);
      y_label_width = MAX (y_label_width, w);
    }
  if (frame->x_ticks.n > 0)
    {
      g_autofree char *text = sf_chart_format_value (sf_chart_tick_value (&frame->x_ticks, frame->x_ticks.n - 1),
                                                     frame->x_ticks.step);
      text_size (cr, style, text, &x_label_width, NULL);
    }

  double left = style->padding + y_label_width + TICK_LENGTH + LABEL_GAP;
  if (style->y_label != NULL)
    left += line_height + LABEL_GAP;
  double bottom = style->padding + line_height + TICK_LENGTH + LABEL_GAP;
  if (style->x_label != NULL)
    bottom += line_height + LABEL_GAP;
  double top = style->padding + line_height / 2;
  double right = style->padding + x_label_width / 2;

  frame->left = round (left);
  frame->top = round (top);
  frame->width = MAX (1.0, round (width - left - right));
  frame->height = MAX (1.0, round (height - top - bottom));
}

double
sf_chart_frame_x (const SfChartFrame *frame, double x)
{
  return frame->left + (x - frame->x_min) / (frame->x_max - frame->x_min) * frame->width;
}

double
sf_chart_frame_y (const SfChartFrame *frame, double y)
{
  return frame->top + frame->height - (y - frame->y_min) / (frame->y_max - frame->y_min) * frame->height;
}

double
sf_chart_frame_x_value (const SfChartFrame *frame, double device_x)
{
  return frame->x_min + (device_x - frame->left) / frame->width * (frame->x_max - frame->x_min);
}

double
sf_chart_frame_y_value (const SfChartFrame *frame, double device_y)
{
  return frame->y_min + (frame->top + frame->height - device_y) / frame->height * (frame->y_max - frame->y_min);
}

gboolean
sf_chart_frame_contains (const SfChartFrame *frame, double device_x, double device_y)
{
  return device_x >= frame->left && device_x <= frame->left + frame->width
         && device_y >= frame->top && device_y <= frame->top + frame->height;
}

void
sf_chart_frame_clip (const SfChartFrame *frame, cairo_t *cr)
{
  cairo_rectangle (cr, frame->left, frame->top, frame->width, frame->height);
  cairo_clip (cr);
}

void
sf_chart_draw_frame (cairo_t *cr, const SfChartFrame *frame, const SfChartStyle *style)
{
  g_return_if_fail (cr != NULL && frame != NULL && style != NULL);

  double bottom = frame->top + frame->height;
  double right = frame->left + frame->width;

  cairo_save (cr);
  cairo_set_line_width (cr, 1.0);

  /* Grid at the ticks (pixel-aligned: 1 px lines on half pixels). */
  sf_chart_set_color (cr, &style->grid, 1.0);
  for (int i = 0; i < frame->x_ticks.n; i++)
    {
      double x = floor (sf_chart_frame_x (frame, sf_chart_tick_value (&frame->x_ticks, i))) + 0.5;
      cairo_move_to (cr, x, frame->top);
      cairo_line_to (cr, x, bottom);
    }
  for (int i = 0; i < frame->y_ticks.n; i++)
    {
      double y = floor (sf_chart_frame_y (frame, sf_chart_tick_value (&frame->y_ticks, i))) + 0.5;
      cairo_move_to (cr, frame->left, y);
      cairo_line_to (cr, right, y);
    }
  cairo_stroke (cr);

  /* Axes and tick marks. */
  sf_chart_set_color (cr, &style->foreground, 0.6);
  cairo_move_to (cr, frame->left - 0.5, frame->top);
  cairo_line_to (cr, frame->left - 0.5, bottom + 0.5);
  cairo_line_to (cr, right, bottom + 0.5);
  for (int i = 0; i < frame->x_ticks.n; i++)
    {
      double x = floor (sf_chart_frame_x (frame, sf_chart_tick_value (&frame->x_ticks, i))) + 0.5;
      cairo_move_to (cr, x, bottom + 0.5);
      cairo_line_to (cr, x, bottom + 0.5 + TICK_LENGTH);
    }
  for (int i = 0; i < frame->y_ticks.n; i++)
    {
      double y = floor (sf_chart_frame_y (frame, sf_chart_tick_value (&frame->y_ticks, i))) + 0.5;
      cairo_move_to (cr, frame->left - 0.5, y);
      cairo_line_to (cr, frame->left - 0.5 - TICK_LENGTH, y);
    }
  cairo_stroke (cr);

  /* Tick labels. */
  sf_chart_set_color (cr, &style->foreground, 0.8);
  for (int i = 0; i < frame->x_ticks.n; i++)
    {
      double value = sf_chart_tick_value (&frame->x_ticks, i);
      g_autofree char *text = sf_chart_format_value (value, frame->x_ticks.step);
      show_text (cr, style, text, sf_chart_frame_x (frame, value), bottom + TICK_LENGTH + LABEL_GAP, 0.5, 0.0);
    }
  for (int i = 0; i < frame->y_ticks.n; i++)
    {
      double value = sf_chart_tick_value (&frame->y_ticks, i);
      g_autofree char *text = sf_chart_format_value (value, frame->y_ticks.step);
      show_text (cr, style, text, frame->left - TICK_LENGTH - LABEL_GAP, sf_chart_frame_y (frame, value), 1.0, 0.5);
    }

  /* Axis titles. */
  sf_chart_set_color (cr, &style->foreground, 1.0);
  double line_height;
  text_size (cr, style, "0", NULL, &line_height);
  if (style->x_label != NULL)
    show_text (cr, style, style->x_label, frame->left + frame->width / 2,
               bottom + TICK_LENGTH + LABEL_GAP + line_height + LABEL_GAP, 0.5, 0.0);
  if (style->y_label != NULL)
    {
      cairo_save (cr);
      cairo_translate (cr, style->padding, frame->top + frame->height / 2);
      cairo_rotate (cr, -G_PI / 2);
      show_text (cr, style, style->y_label, 0, 0, 0.5, 0.0);
      cairo_restore (cr);
    }
  cairo_restore (cr);
}

void
sf_chart_rounded_rectangle (cairo_t *cr, double x, double y, double w, double h, double r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
fill_box (cairo_t *cr, const SfChartStyle *style, double x, double y, double w, double h)
{
  sf_chart_rounded_rectangle (cr, x + 0.5, y + 0.5, w, h, 4);
  if (style->background.alpha > 0)
    {
      sf_chart_set_color (cr, &style->background, 0.9);
      cairo_fill_preserve (cr);
    }
  sf_chart_set_color (cr, &style->foreground, 0.25);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);
}

void
sf_chart_draw_legend (cairo_t *cr, const SfChartFrame *frame, const SfChartStyle *style,
                      const SfChartLegendItem *items, int n_items, SfChartCorner corner)
{
  g_return_if_fail (cr != NULL && frame != NULL && style != NULL);
  if (n_items <= 0)
    return;

  const double mark_width = 18, gap = 6, pad = 6, margin = 8;
  double line_height = 0, text_width = 0;
  for (int i = 0; i < n_items; i++)
    {
      double w, h;
      text_size (cr, style, items[i].name, &w, &h);
      text_width = MAX (text_width, w);
      line_height = MAX (line_height, h);
    }
  double box_w = round (pad + mark_width + gap + text_width + pad);
  double box_h = round (pad + n_items * line_height + pad);
  gboolean right = corner == SF_CHART_CORNER_TOP_RIGHT || corner == SF_CHART_CORNER_BOTTOM_RIGHT;
  gboolean bottom = corner == SF_CHART_CORNER_BOTTOM_LEFT || corner == SF_CHART_CORNER_BOTTOM_RIGHT;
  double x = right ? frame->left + frame->width - margin - box_w : frame->left + margin;
  double y = bottom ? frame->top + frame->height - margin - box_h : frame->top + margin;

  cairo_save (cr);
  fill_box (cr, style, x, y, box_w, box_h);
  for (int i = 0; i < n_items; i++)
    {
      const SfChartLegendItem *item = &items[i];
      double row_y = y + pad + i * line_height;
      double mid = row_y + line_height / 2;
      double alpha = item->faint ? 0.35 : 1.0;

      sf_chart_set_color (cr, &item->color, alpha);
      if (item->mark == SF_CHART_MARK_BOX)
        {
          cairo_rectangle (cr, x + pad + mark_width / 2 - 5, mid - 5, 10, 10);
          cairo_fill (cr);
        }
      else
        {
          double dash[] = { 4, 3 };
          cairo_set_line_width (cr, 2.0);
          cairo_set_dash (cr, dash, item->dashed ? 2 : 0, 0);
          cairo_move_to (cr, x + pad, round (mid));
          cairo_line_to (cr, x + pad + mark_width, round (mid));
          cairo_stroke (cr);
          cairo_set_dash (cr, NULL, 0, 0);
        }
      sf_chart_set_color (cr, &style->foreground, item->faint ? 0.6 : 1.0);
      show_text (cr, style, item->name, x + pad + mark_width + gap, row_y, 0.0, 0.0);
    }
  cairo_restore (cr);
}

void
sf_chart_draw_readout (cairo_t *cr, const SfChartFrame *frame, const SfChartStyle *style,
                       double x, double y, const char *text)
{
  g_return_if_fail (cr != NULL && frame != NULL && style != NULL);
  if (text == NULL || *text == '\0')
    return;

  const double pad = 5, offset = 10;
  double w, h;
  text_size (cr, style, text, &w, &h);
  double box_w = round (w + 2 * pad), box_h = round (h + 2 * pad);
  double bx = x + offset, by = y - offset - box_h;

  if (bx + box_w > frame->left + frame->width)
    bx = x - offset - box_w;
  if (bx < frame->left)
    bx = frame->left;
  if (by < frame->top)
    by = y + offset;
  if (by + box_h > frame->top + frame->height)
    by = MAX (frame->top, frame->top + frame->height - box_h);
  bx = round (bx);
  by = round (by);

  cairo_save (cr);
  fill_box (cr, style, bx, by, box_w, box_h);
  sf_chart_set_color (cr, &style->foreground, 1.0);
  show_text (cr, style, text, bx + pad, by + pad, 0.0, 0.0);
  cairo_restore (cr);
}
