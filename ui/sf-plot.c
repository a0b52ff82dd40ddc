/* SfPlot: the pure drawing (sf_plot_draw and its helpers) first, then the
 * widget, which draws the same function through gtk_snapshot_append_cairo. */
#include "sf-plot.h"

#include <glib/gi18n.h>
#include <math.h>

#include "sf-drawing-file.h"

#define MAX_MARKED_POINTS 60

SfPlotSeries *
sf_plot_series_new (const char *name, const SfChartColor *color, gboolean dashed, gboolean faint, gboolean thin)
{
  SfPlotSeries *series = g_new0 (SfPlotSeries, 1);

  series->name = g_strdup (name != NULL ? name : "");
  series->color = *color;
  series->dashed = dashed;
  series->faint = faint;
  series->thin = thin;
  series->points = g_array_new (FALSE, FALSE, sizeof (SfPlotPoint));
  return series;
}

void
sf_plot_series_free (SfPlotSeries *series)
{
  if (series == NULL)
    return;
  g_free (series->name);
  g_array_unref (series->points);
  g_free (series);
}

void
sf_plot_smooth (double *ys, int n, double smoothing)
{
  smoothing = CLAMP (smoothing, 0.0, 0.99);
  for (int i = 1; i < n; i++)
    if (isfinite (ys[i - 1]) && isfinite (ys[i]))
      ys[i] = smoothing * ys[i - 1] + (1 - smoothing) * ys[i];
}

static gboolean
has_points (const SfPlotData *data)
{
  for (guint s = 0; data->series != NULL && s < data->series->len; s++)
    {
      const SfPlotSeries *series = g_ptr_array_index (data->series, s);
      if (series->points->len > 0)
        return TRUE;
    }
  return FALSE;
}

static void
data_ranges (const SfPlotData *data, double *x_min, double *x_max, double *y_min, double *y_max)
{
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;

  for (guint s = 0; data->series != NULL && s < data->series->len; s++)
    {
      const SfPlotSeries *series = g_ptr_array_index (data->series, s);
      for (guint i = 0; i < series->points->len; i++)
        {
          const SfPlotPoint *p = &g_array_index (series->points, SfPlotPoint, i);
          if (!isfinite (p->x) || !isfinite (p->y))
            continue;
          x0 = MIN (x0, p->x);
          x1 = MAX (x1, p->x);
          y0 = MIN (y0, p->y);
          y1 = MAX (y1, p->y);
        }
    }
  if (isfinite (data->x_min))
    x0 = data->x_min;
  if (isfinite (data->x_max))
    x1 = MAX (data->x_max, isfinite (x1) ? x1 : data->x_max);
  if (isfinite (data->y_min))
    y0 = data->y_min;
  if (isfinite (data->y_max))
    y1 = data->y_max;
  else if (isfinite (y1) && isfinite (y0))
    y1 += (y1 - y0) * 0.05;
  if (!isfinite (x0) || !isfinite (x1))
    {
      x0 = 0;
      x1 = 1;
    }
  if (!isfinite (y0) || !isfinite (y1))
    {
      y0 = 0;
      y1 = 1;
    }
  *x_min = x0;
  *x_max = x1;
  *y_min = y0;
  *y_max = y1;
}

static void
frame_for (SfChartFrame *frame, SfChartStyle *style_out, cairo_t *cr, double width, double height,
           const SfPlotData *data, const SfChartStyle *style)
{
  double x0, x1, y0, y1;

  *style_out = *style;
  style_out->x_label = data->x_label;
  style_out->y_label = data->y_label;
  style_out->x_min_step = data->x_min_step;
  style_out->round_out_y = !isfinite (data->y_min) || !isfinite (data->y_max);
  data_ranges (data, &x0, &x1, &y0, &y1);
  sf_chart_frame_init (frame, cr, style_out, width, height, x0, x1, y0, y1);
}

/* The point of series nearest to x, or -1. */
static int
nearest_point (const SfPlotSeries *series, double x)
{
  int best = -1;
  double best_distance = INFINITY;

  for (guint i = 0; i < series->points->len; i++)
    {
      double d = fabs (g_array_index (series->points, SfPlotPoint, i).x - x);
      if (d < best_distance)
        {
          best_distance = d;
          best = (int) i;
        }
    }
  return best;
}

char *
sf_plot_data_readout (const SfPlotData *data, double x, double *snapped_x)
{
  double snapped = NAN, best = INFINITY;

  /* Snap to the nearest point of the sparse series (epochs), else of any. */
  for (int pass = 0; pass < 2 && !isfinite (snapped); pass++)
    for (guint s = 0; data->series != NULL && s < data->series->len; s++)
      {
        const SfPlotSeries *series = g_ptr_array_index (data->series, s);
        if (series->faint || (pass == 0 && series->thin))
          continue;
        int i = nearest_point (series, x);
        if (i < 0)
          continue;
        double px = g_array_index (series->points, SfPlotPoint, i).x;
        if (fabs (px - x) < best)
          {
            best = fabs (px - x);
            snapped = px;
          }
      }
  if (!isfinite (snapped))
    return NULL;

  GString *text = g_string_new (NULL);
  g_autofree char *x_text = sf_chart_format_value (snapped, fabs (snapped - round (snapped)) < 1e-9 ? 1 : 0.01);
  g_string_append_printf (text, "%s %s", data->x_label != NULL ? data->x_label : "x", x_text);
  for (guint s = 0; s < data->series->len; s++)
    {
      const SfPlotSeries *series = g_ptr_array_index (data->series, s);
      if (series->faint)
        continue;
      int i = nearest_point (series, snapped);
      if (i < 0)
        continue;
      const SfPlotPoint *p = &g_array_index (series->points, SfPlotPoint, i);
      if (fabs (p->x - snapped) > 0.5)
        continue;
      g_string_append_printf (text, "\n%s: %.4f", series->name, p->y);
    }
  if (snapped_x != NULL)
    *snapped_x = snapped;
  return g_string_free (text, FALSE);
}

static void
draw_series (cairo_t *cr, const SfChartFrame *frame, const SfPlotSeries *series, double smoothing)
{
  guint n = series->points->len;
  if (n == 0)
    return;

  g_autofree double *ys = g_new (double, n);
  for (guint i = 0; i < n; i++)
    ys[i] = g_array_index (series->points, SfPlotPoint, i).y;
  gboolean smoothed = smoothing > 0 && n > 1;
  if (smoothed)
    sf_plot_smooth (ys, (int) n, smoothing);

  double alpha = series->faint ? 0.3 : 1.0;
  double width = series->thin ? 1.0 : (series->faint ? 1.5 : 2.0);
  double dash[] = { 6, 4 };

  cairo_save (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);

  /* Smoothing shows the raw values faintly behind the average. */
  for (int layer = smoothed ? 0 : 1; layer < 2; layer++)
    {
      gboolean started = FALSE;
      cairo_new_path (cr);
      for (guint i = 0; i < n; i++)
        {
          const SfPlotPoint *p = &g_array_index (series->points, SfPlotPoint, i);
          double y = layer == 0 ? p->y : ys[i];
          if (!isfinite (p->x) || !isfinite (y))
            {
              started = FALSE;
              continue;
            }
          double dx = sf_chart_frame_x (frame, p->x), dy = sf_chart_frame_y (frame, y);
          if (started)
            cairo_line_to (cr, dx, dy);
          else
            cairo_move_to (cr, dx, dy);
          started = TRUE;
        }
      sf_chart_set_color (cr, &series->color, layer == 0 ? alpha * 0.3 : alpha);
      cairo_set_line_width (cr, layer == 0 ? 1.0 : width);
      cairo_set_dash (cr, dash, series->dashed && layer == 1 ? 2 : 0, 0);
      cairo_stroke (cr);
    }
  cairo_set_dash (cr, NULL, 0, 0);

  if (!series->thin && !series->faint && n <= MAX_MARKED_POINTS)
    {
      sf_chart_set_color (cr, &series->color, alpha);
      for (guint i = 0; i < n; i++)
        {
          const SfPlotPoint *p = &g_array_index (series->points, SfPlotPoint, i);
          if (!isfinite (p->x) || !isfinite (ys[i]))
            continue;
          cairo_new_sub_path (cr);
          cairo_arc (cr, sf_chart_frame_x (frame, p->x), sf_chart_frame_y (frame, ys[i]), 2.5, 0, 2 * G_PI);
        }
      cairo_fill (cr);
    }
  cairo_restore (cr);
}

/* The corner with the fewest points near it, so the legend hides little. */
static SfChartCorner
emptiest_corner (const SfChartFrame *frame, const SfPlotData *data)
{
  static const SfChartCorner order[] = {
    SF_CHART_CORNER_TOP_RIGHT, SF_CHART_CORNER_BOTTOM_RIGHT,
    SF_CHART_CORNER_TOP_LEFT, SF_CHART_CORNER_BOTTOM_LEFT,
  };
  int counts[4] = { 0 };

  for (guint s = 0; s < data->series->len; s++)
    {
      const SfPlotSeries *series = g_ptr_array_index (data->series, s);
      for (guint i = 0; i < series->points->len; i++)
        {
          const SfPlotPoint *p = &g_array_index (series->points, SfPlotPoint, i);
          double fx = (sf_chart_frame_x (frame, p->x) - frame->left) / frame->width;
          double fy = (sf_chart_frame_y (frame, p->y) - frame->top) / frame->height;
          gboolean right = fx > 0.55, left = fx < 0.45, top = fy < 0.4, bottom = fy > 0.6;
          counts[0] += right && top;
          counts[1] += right && bottom;
          counts[2] += left && top;
          counts[3] += left && bottom;
        }
    }
  int best = 0;
  for (int i = 1; i < 4; i++)
    if (counts[i] < counts[best])
      best = i;
  return order[best];
}

void
sf_plot_draw (cairo_t *cr, double width, double height, const SfPlotData *data, const SfChartStyle *style)
{
  g_return_if_fail (cr != NULL && data != NULL && style != NULL);

  SfChartStyle frame_style;
  SfChartFrame frame;
  frame_for (&frame, &frame_style, cr, width, height, data, style);
  sf_chart_draw_frame (cr, &frame, &frame_style);

  if (!has_points (data))
    {
      if (data->empty_text != NULL)
        sf_chart_draw_readout (cr, &frame, &frame_style, frame.left + frame.width / 2 - 60,
                               frame.top + frame.height / 2 + 10, data->empty_text);
      return;
    }

  cairo_save (cr);
  sf_chart_frame_clip (&frame, cr);
  for (int faint = 1; faint >= 0; faint--)
    for (guint s = 0; s < data->series->len; s++)
      {
        const SfPlotSeries *series = g_ptr_array_index (data->series, s);
        if (series->faint == faint)
          draw_series (cr, &frame, series, data->smoothing);
      }
  cairo_restore (cr);

  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (SfChartLegendItem));
  gboolean faint_listed = FALSE;
  for (guint s = 0; s < data->series->len; s++)
    {
      const SfPlotSeries *series = g_ptr_array_index (data->series, s);
      SfChartLegendItem item = { series->name, series->color, SF_CHART_MARK_LINE, series->dashed, series->faint };
      if (series->faint)
        {
          if (faint_listed || data->faint_label == NULL)
            continue;
          faint_listed = TRUE;
          item.name = data->faint_label;
          item.color = style->foreground;
          item.dashed = FALSE;
        }
      g_array_append_val (items, item);
    }
  sf_chart_draw_legend (cr, &frame, &frame_style, (SfChartLegendItem *) items->data, (int) items->len,
                        emptiest_corner (&frame, data));

  if (data->hovering && sf_chart_frame_contains (&frame, data->hover_x, frame.top + 1))
    {
      double snapped;
      g_autofree char *text = sf_plot_data_readout (data, sf_chart_frame_x_value (&frame, data->hover_x), &snapped);
      if (text != NULL)
        {
          double x = floor (sf_chart_frame_x (&frame, snapped)) + 0.5;
          double top_y = frame.top + frame.height;
          cairo_save (cr);
          sf_chart_set_color (cr, &style->foreground, 0.4);
          cairo_set_line_width (cr, 1.0);
          cairo_move_to (cr, x, frame.top);
          cairo_line_to (cr, x, frame.top + frame.height);
          cairo_stroke (cr);
          for (guint s = 0; s < data->series->len; s++)
            {
              const SfPlotSeries *series = g_ptr_array_index (data->series, s);
              int i = series->faint ? -1 : nearest_point (series, snapped);
              if (i < 0)
                continue;
              const SfPlotPoint *p = &g_array_index (series->points, SfPlotPoint, i);
              if (fabs (p->x - snapped) > 0.5 || !isfinite (p->y))
                continue;
              double y = sf_chart_frame_y (&frame, p->y);
              top_y = MIN (top_y, y);
              sf_chart_set_color (cr, &series->color, 1.0);
              cairo_arc (cr, x, y, 4, 0, 2 * G_PI);
              cairo_fill (cr);
            }
          cairo_restore (cr);
          sf_chart_draw_readout (cr, &frame, &frame_style, x, top_y, text);
        }
    }
}

/* The widget. */

struct _SfPlot
{
  GtkWidget parent_instance;

  /* Owned */
  GPtrArray *series;
  char *title;
  char *x_label;
  char *y_label;
  char *empty_text;
  char *faint_label;
  char *description;
  char *readout;

  double x_min, x_max, y_min, y_max;
  double smoothing;
  gboolean hovering;
  double hover_x;
};

enum {
  PROP_0,
  PROP_SMOOTHING,
  PROP_DESCRIPTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfPlot, sf_plot, GTK_TYPE_WIDGET)

static void
get_data (SfPlot *self, SfPlotData *data)
{
  *data = (SfPlotData) {
    .x_label = self->x_label,
    .y_label = self->y_label,
    .empty_text = self->empty_text,
    .faint_label = self->faint_label,
    .series = self->series,
    .x_min = self->x_min,
    .x_max = self->x_max,
    .y_min = self->y_min,
    .y_max = self->y_max,
    .x_min_step = 1,
    .smoothing = self->smoothing,
    .hovering = self->hovering,
    .hover_x = self->hover_x,
  };
}

static void
widget_style (SfPlot *self, SfChartStyle *style)
{
  GdkRGBA fg;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  PangoFontDescription *font = pango_context_get_font_description (gtk_widget_get_pango_context (GTK_WIDGET (self)));
  gboolean dark = (fg.red + fg.green + fg.blue) / 3 > 0.5;

  sf_chart_style_init (style);
  style->foreground = (SfChartColor) { fg.red, fg.green, fg.blue, fg.alpha };
  style->grid = (SfChartColor) { fg.red, fg.green, fg.blue, 0.1 };
  style->background = dark ? (SfChartColor) { 0.19, 0.19, 0.19, 1 } : (SfChartColor) { 1, 1, 1, 1 };
  if (font != NULL)
    {
      style->font_family = pango_font_description_get_family (font);
      if (pango_font_description_get_size (font) > 0)
        style->font_size = pango_font_description_get_size (font) / (double) PANGO_SCALE * 0.9;
    }
}

static void
update_description (SfPlot *self)
{
  GString *text = g_string_new (self->title != NULL ? self->title : _("Plot"));
  const SfPlotSeries *last = NULL;

  for (guint s = 0; s < self->series->len; s++)
    {
      const SfPlotSeries *series = g_ptr_array_index (self->series, s);
      if (!series->faint && !series->thin && series->points->len > 0)
        last = series;
    }
  if (last == NULL)
    g_string_append_printf (text, ": %s", self->empty_text != NULL ? self->empty_text : _("no data"));
  else
    {
      double x = g_array_index (last->points, SfPlotPoint, last->points->len - 1).x;
      g_autofree char *readout = NULL;
      SfPlotData data;
      get_data (self, &data);
      readout = sf_plot_data_readout (&data, x, NULL);
      if (readout != NULL)
        {
          g_strdelimit (readout, "\n", ';');
          g_string_append_printf (text, ". %s", readout);
        }
    }
  if (g_strcmp0 (self->description, text->str) == 0)
    {
      g_string_free (text, TRUE);
      return;
    }
  g_free (self->description);
  self->description = g_string_free (text, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->description, -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
}

static void
changed (SfPlot *self)
{
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
sf_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SfPlot *self = SF_PLOT (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  SfChartStyle style;
  SfPlotData data;

  if (width <= 0 || height <= 0)
    return;
  widget_style (self, &style);
  get_data (self, &data);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  sf_plot_draw (cr, width, height, &data, &style);
  cairo_destroy (cr);
}

static void
motion_cb (GtkEventControllerMotion *controller, double x, double y, SfPlot *self)
{
  sf_plot_hover (self, x);
}

static void
leave_cb (GtkEventControllerMotion *controller, SfPlot *self)
{
  sf_plot_hover (self, NAN);
}

static void
sf_plot_finalize (GObject *object)
{
  SfPlot *self = SF_PLOT (object);

  g_ptr_array_unref (self->series);
  g_free (self->title);
  g_free (self->x_label);
  g_free (self->y_label);
  g_free (self->empty_text);
  g_free (self->faint_label);
  g_free (self->description);
  g_free (self->readout);

  G_OBJECT_CLASS (sf_plot_parent_class)->finalize (object);
}

static void
sf_plot_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfPlot *self = SF_PLOT (object);

  switch (prop_id)
    {
    case PROP_SMOOTHING:
      g_value_set_double (value, self->smoothing);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_plot_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfPlot *self = SF_PLOT (object);

  switch (prop_id)
    {
    case PROP_SMOOTHING:
      sf_plot_set_smoothing (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_plot_class_init (SfPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sf_plot_finalize;
  object_class->get_property = sf_plot_get_property;
  object_class->set_property = sf_plot_set_property;
  widget_class->snapshot = sf_plot_snapshot;

  properties[PROP_SMOOTHING] =
    g_param_spec_double ("smoothing", NULL, NULL, 0.0, 0.99, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "plot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sf_plot_init (SfPlot *self)
{
  self->series = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_plot_series_free);
  self->x_min = self->x_max = self->y_min = self->y_max = NAN;
  self->hover_x = NAN;

  GtkEventController *motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "enter", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_widget_set_size_request (GTK_WIDGET (self), 240, 180);
  update_description (self);
}

guint
sf_plot_add_series (SfPlot *self, const char *name, const SfChartColor *color, gboolean dashed, gboolean faint,
                    gboolean thin)
{
  g_return_val_if_fail (SF_IS_PLOT (self), 0);
  g_return_val_if_fail (color != NULL, 0);

  g_ptr_array_add (self->series, sf_plot_series_new (name, color, dashed, faint, thin));
  changed (self);
  return self->series->len - 1;
}

void
sf_plot_add_point (SfPlot *self, guint series, double x, double y)
{
  g_return_if_fail (SF_IS_PLOT (self));
  g_return_if_fail (series < self->series->len);

  SfPlotPoint point = { x, y };
  g_array_append_val (((SfPlotSeries *) g_ptr_array_index (self->series, series))->points, point);
  changed (self);
}

void
sf_plot_set_points (SfPlot *self, guint series, const SfPlotPoint *points, guint n_points)
{
  g_return_if_fail (SF_IS_PLOT (self));
  g_return_if_fail (series < self->series->len);
  g_return_if_fail (points != NULL || n_points == 0);

  GArray *own = ((SfPlotSeries *) g_ptr_array_index (self->series, series))->points;
  g_array_set_size (own, 0);
  g_array_append_vals (own, points, n_points);
  changed (self);
}

guint
sf_plot_get_n_series (SfPlot *self)
{
  g_return_val_if_fail (SF_IS_PLOT (self), 0);

  return self->series->len;
}

const SfPlotSeries *
sf_plot_get_series (SfPlot *self, guint series)
{
  g_return_val_if_fail (SF_IS_PLOT (self), NULL);
  g_return_val_if_fail (series < self->series->len, NULL);

  return g_ptr_array_index (self->series, series);
}

guint
sf_plot_get_n_points (SfPlot *self, guint series)
{
  g_return_val_if_fail (SF_IS_PLOT (self), 0);
  g_return_val_if_fail (series < self->series->len, 0);

  return ((SfPlotSeries *) g_ptr_array_index (self->series, series))->points->len;
}

void
sf_plot_clear (SfPlot *self)
{
  g_return_if_fail (SF_IS_PLOT (self));

  g_ptr_array_set_size (self->series, 0);
  changed (self);
}

void
sf_plot_clear_faint (SfPlot *self)
{
  g_return_if_fail (SF_IS_PLOT (self));

  for (guint s = self->series->len; s > 0; s--)
    if (((SfPlotSeries *) g_ptr_array_index (self->series, s - 1))->faint)
      g_ptr_array_remove_index (self->series, s - 1);
  changed (self);
}

void
sf_plot_set_title (SfPlot *self, const char *title)
{
  g_return_if_fail (SF_IS_PLOT (self));

  g_free (self->title);
  self->title = g_strdup (title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  changed (self);
}

void
sf_plot_set_labels (SfPlot *self, const char *x_label, const char *y_label)
{
  g_return_if_fail (SF_IS_PLOT (self));

  g_free (self->x_label);
  g_free (self->y_label);
  self->x_label = g_strdup (x_label);
  self->y_label = g_strdup (y_label);
  changed (self);
}

void
sf_plot_set_empty_text (SfPlot *self, const char *text)
{
  g_return_if_fail (SF_IS_PLOT (self));

  g_free (self->empty_text);
  self->empty_text = g_strdup (text);
  changed (self);
}

void
sf_plot_set_faint_label (SfPlot *self, const char *text)
{
  g_return_if_fail (SF_IS_PLOT (self));

  g_free (self->faint_label);
  self->faint_label = g_strdup (text);
  changed (self);
}

void
sf_plot_set_x_range (SfPlot *self, double x_min, double x_max)
{
  g_return_if_fail (SF_IS_PLOT (self));

  self->x_min = x_min;
  self->x_max = x_max;
  changed (self);
}

void
sf_plot_set_y_range (SfPlot *self, double y_min, double y_max)
{
  g_return_if_fail (SF_IS_PLOT (self));

  self->y_min = y_min;
  self->y_max = y_max;
  changed (self);
}

double
sf_plot_get_smoothing (SfPlot *self)
{
  g_return_val_if_fail (SF_IS_PLOT (self), 0.0);

  return self->smoothing;
}

void
sf_plot_set_smoothing (SfPlot *self, double smoothing)
{
  g_return_if_fail (SF_IS_PLOT (self));

  smoothing = CLAMP (smoothing, 0.0, 0.99);
  if (self->smoothing == smoothing)
    return;
  self->smoothing = smoothing;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMOOTHING]);
}

const char *
sf_plot_get_description (SfPlot *self)
{
  g_return_val_if_fail (SF_IS_PLOT (self), NULL);

  return self->description;
}

const char *
sf_plot_hover (SfPlot *self, double x)
{
  g_return_val_if_fail (SF_IS_PLOT (self), NULL);

  self->hovering = isfinite (x);
  self->hover_x = x;
  g_clear_pointer (&self->readout, g_free);
  if (self->hovering)
    {
      /* The frame depends on text sizes: measure on a scratch surface. */
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
      cairo_t *cr = cairo_create (surface);
      SfChartStyle style, frame_style;
      SfChartFrame frame;
      SfPlotData data;
      widget_style (self, &style);
      get_data (self, &data);
      frame_for (&frame, &frame_style, cr, gtk_widget_get_width (GTK_WIDGET (self)),
                 gtk_widget_get_height (GTK_WIDGET (self)), &data, &style);
      if (sf_chart_frame_contains (&frame, x, frame.top + 1))
        self->readout = sf_plot_data_readout (&data, sf_chart_frame_x_value (&frame, x), NULL);
      cairo_destroy (cr);
      cairo_surface_destroy (surface);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return self->readout;
}

typedef struct
{
  SfPlotData data;
  SfChartStyle style;
} SaveData;

static void
save_draw (cairo_t *cr, double width, double height, gpointer user_data)
{
  SaveData *save = user_data;

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_plot_draw (cr, width, height, &save->data, &save->style);
}

gboolean
sf_plot_save (SfPlot *self, const char *path, int width, int height, GError **error)
{
  g_return_val_if_fail (SF_IS_PLOT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  SfDrawingFileOptions options = { sf_drawing_format_for_path (path), width, height, 1.0, NULL, NULL };
  SaveData save;

  /* Files get black on white whatever the theme. */
  sf_chart_style_init (&save.style);
  get_data (self, &save.data);
  save.data.hovering = FALSE;
  return sf_drawing_file_save (path, &options, save_draw, &save, error);
}

GtkWidget *
sf_plot_new (void)
{
  return g_object_new (SF_TYPE_PLOT, NULL);
}
