/* SfSweepPlot: dots and means drawn on a chart frame through
 * gtk_snapshot_append_cairo; see sf-sweep-plot.h. */
#include "sf-sweep-plot.h"

#include <glib/gi18n.h>
#include <math.h>

#include "sf-chart-primitives.h"

struct _SfSweepPlot
{
  GtkWidget parent_instance;

  char *setting_title;
  char *metric_title;
  gboolean lower_is_better;
  GArray *runs;      /* SfPlotPoint */
  GArray *means;     /* SfPlotPoint */
  char *description;
};

G_DEFINE_FINAL_TYPE (SfSweepPlot, sf_sweep_plot, GTK_TYPE_WIDGET)

static const SfChartColor run_color = { 0.21, 0.52, 0.89, 0.6 };
static const SfChartColor mean_color = { 0.90, 0.38, 0.00, 1.0 };

gboolean
sf_sweep_plot_get_log_x (SfSweepPlot *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_PLOT (self), FALSE);

  double lo = INFINITY, hi = -INFINITY;
  for (guint i = 0; i < self->runs->len; i++)
    {
      double x = g_array_index (self->runs, SfPlotPoint, i).x;
      lo = MIN (lo, x);
      hi = MAX (hi, x);
    }
  return self->runs->len > 0 && lo > 0 && hi / lo >= 10;
}

static double
x_of (gboolean log_x, double x)
{
  return log_x ? log10 (x) : x;
}

static void
dot (cairo_t *cr, double x, double y, double r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, r, 0, 2 * G_PI);
}

static void
diamond (cairo_t *cr, double x, double y, double r)
{
  cairo_move_to (cr, x, y - r);
  cairo_line_to (cr, x + r, y);
  cairo_line_to (cr, x, y + r);
  cairo_line_to (cr, x - r, y);
  cairo_close_path (cr);
}

static void
sf_sweep_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SfSweepPlot *self = SF_SWEEP_PLOT (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  GdkRGBA fg;
  SfChartStyle style;
  SfChartFrame frame;

  if (width <= 0 || height <= 0)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  sf_chart_style_init (&style);
  style.foreground = (SfChartColor) { fg.red, fg.green, fg.blue, fg.alpha };
  style.grid = (SfChartColor) { fg.red, fg.green, fg.blue, 0.1 };
  style.background = (fg.red + fg.green + fg.blue) / 3 > 0.5 ? (SfChartColor) { 0.19, 0.19, 0.19, 1 }
                                                             : (SfChartColor) { 1, 1, 1, 1 };
  gboolean log_x = sf_sweep_plot_get_log_x (self);
  /* Translators: an axis title, e.g. "Learning rate (log₁₀)". */
  g_autofree char *x_label = log_x ? g_strdup_printf (_("%s (log₁₀)"), self->setting_title)
                                   : g_strdup (self->setting_title);
  style.x_label = x_label;
  style.y_label = self->metric_title;

  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (guint i = 0; i < self->runs->len; i++)
    {
      SfPlotPoint p = g_array_index (self->runs, SfPlotPoint, i);
      x0 = MIN (x0, x_of (log_x, p.x));
      x1 = MAX (x1, x_of (log_x, p.x));
      y0 = MIN (y0, p.y);
      y1 = MAX (y1, p.y);
    }
  if (self->runs->len == 0)
    {
      x0 = y0 = 0;
      x1 = y1 = 1;
    }
  /* Room beside the outermost values, and a flat metric still shows. */
  double dx = x1 > x0 ? (x1 - x0) * 0.1 : MAX (fabs (x0) * 0.1, 0.5);
  double dy = y1 > y0 ? (y1 - y0) * 0.1 : MAX (fabs (y0) * 0.1, 0.01);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  sf_chart_frame_init (&frame, cr, &style, width, height, x0 - dx, x1 + dx, y0 - dy, y1 + dy);
  sf_chart_draw_frame (cr, &frame, &style);
  if (self->runs->len == 0)
    {
      cairo_destroy (cr);
      return;
    }
  cairo_save (cr);
  sf_chart_frame_clip (&frame, cr);
  sf_chart_set_color (cr, &run_color, 1);
  for (guint i = 0; i < self->runs->len; i++)
    {
      SfPlotPoint p = g_array_index (self->runs, SfPlotPoint, i);
      dot (cr, sf_chart_frame_x (&frame, x_of (log_x, p.x)), sf_chart_frame_y (&frame, p.y), 3.5);
    }
  cairo_fill (cr);
  for (guint i = 0; i < self->means->len; i++)
    {
      SfPlotPoint p = g_array_index (self->means, SfPlotPoint, i);
      diamond (cr, sf_chart_frame_x (&frame, x_of (log_x, p.x)), sf_chart_frame_y (&frame, p.y), 6);
    }
  sf_chart_set_color (cr, &mean_color, 1);
  cairo_fill_preserve (cr);
  sf_chart_set_color (cr, &style.background, 1);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  cairo_restore (cr);

  SfChartLegendItem items[] = {
    /* Translators: the legend of a sweep's plot: one dot per run. */
    { _("Each seed"), run_color, SF_CHART_MARK_BOX, FALSE, FALSE },
    /* Translators: the legend of a sweep's plot: the mean over a combination's seeds. */
    { _("Mean over seeds"), mean_color, SF_CHART_MARK_BOX, FALSE, FALSE },
  };
  sf_chart_draw_legend (cr, &frame, &style, items, G_N_ELEMENTS (items),
                        self->lower_is_better ? SF_CHART_CORNER_TOP_RIGHT : SF_CHART_CORNER_BOTTOM_RIGHT);
  cairo_destroy (cr);
}

static void
update_description (SfSweepPlot *self)
{
  g_autofree char *title = g_strdup_printf (_("%s against %s"), self->metric_title, self->setting_title);
  GString *text = g_string_new (title);
  int best = -1;

  for (guint i = 0; i < self->means->len; i++)
    {
      double y = g_array_index (self->means, SfPlotPoint, i).y;
      double b = best >= 0 ? g_array_index (self->means, SfPlotPoint, best).y : NAN;
      if (best < 0 || (self->lower_is_better ? y < b : y > b))
        best = (int) i;
    }
  if (self->runs->len == 0)
    g_string_append_printf (text, ": %s", _("no runs yet"));
  else
    {
      g_string_append_printf (text, ngettext (": %u run", ": %u runs", self->runs->len), self->runs->len);
      if (best >= 0)
        {
          SfPlotPoint p = g_array_index (self->means, SfPlotPoint, best);
          /* Translators: in a plot's description, e.g. "; best mean 0.051 at 0.003". */
          g_string_append_printf (text, _("; best mean %.3g at %g"), p.y, p.x);
        }
    }
  g_free (self->description);
  self->description = g_string_free (text, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->description, -1);
}

static void
sf_sweep_plot_finalize (GObject *object)
{
  SfSweepPlot *self = SF_SWEEP_PLOT (object);

  g_free (self->setting_title);
  g_free (self->metric_title);
  g_array_unref (self->runs);
  g_array_unref (self->means);
  g_free (self->description);
  G_OBJECT_CLASS (sf_sweep_plot_parent_class)->finalize (object);
}

static void
sf_sweep_plot_class_init (SfSweepPlotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sf_sweep_plot_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = sf_sweep_plot_snapshot;
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_IMG);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "sweepplot");
}

static void
sf_sweep_plot_init (SfSweepPlot *self)
{
  self->setting_title = g_strdup ("");
  self->metric_title = g_strdup ("");
  self->runs = g_array_new (FALSE, FALSE, sizeof (SfPlotPoint));
  self->means = g_array_new (FALSE, FALSE, sizeof (SfPlotPoint));
  gtk_widget_set_size_request (GTK_WIDGET (self), 260, 200);
  update_description (self);
}

GtkWidget *
sf_sweep_plot_new (void)
{
  return g_object_new (SF_TYPE_SWEEP_PLOT, NULL);
}

void
sf_sweep_plot_set_axes (SfSweepPlot *self, const char *setting_title, const char *metric_title,
                        gboolean lower_is_better)
{
  g_return_if_fail (SF_IS_SWEEP_PLOT (self));

  g_free (self->setting_title);
  self->setting_title = g_strdup (setting_title);
  g_free (self->metric_title);
  self->metric_title = g_strdup (metric_title);
  self->lower_is_better = lower_is_better;
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_finite (GArray *array, const SfPlotPoint *points, guint n)
{
  g_array_set_size (array, 0);
  for (guint i = 0; i < n; i++)
    if (isfinite (points[i].x) && isfinite (points[i].y))
      g_array_append_val (array, points[i]);
}

void
sf_sweep_plot_set_points (SfSweepPlot *self, const SfPlotPoint *runs, guint n_runs, const SfPlotPoint *means,
                          guint n_means)
{
  g_return_if_fail (SF_IS_SWEEP_PLOT (self));

  set_finite (self->runs, runs, n_runs);
  set_finite (self->means, means, n_means);
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
sf_sweep_plot_get_n_runs (SfSweepPlot *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_PLOT (self), 0);

  return self->runs->len;
}

guint
sf_sweep_plot_get_n_means (SfSweepPlot *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_PLOT (self), 0);

  return self->means->len;
}

const SfPlotPoint *
sf_sweep_plot_get_run (SfSweepPlot *self, guint index)
{
  g_return_val_if_fail (SF_IS_SWEEP_PLOT (self) && index < self->runs->len, NULL);

  return &g_array_index (self->runs, SfPlotPoint, index);
}

const SfPlotPoint *
sf_sweep_plot_get_mean (SfSweepPlot *self, guint index)
{
  g_return_val_if_fail (SF_IS_SWEEP_PLOT (self) && index < self->means->len, NULL);

  return &g_array_index (self->means, SfPlotPoint, index);
}

const char *
sf_sweep_plot_get_description (SfSweepPlot *self)
{
  g_return_val_if_fail (SF_IS_SWEEP_PLOT (self), NULL);

  return self->description;
}
