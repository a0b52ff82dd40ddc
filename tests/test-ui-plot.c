/* The chart maths and the plot drawing, without a display: nice ticks, tick
 * labels, smoothing, the hover readout, and drawing on an image surface
 * (the series' colours appear where the data says, nothing outside). */
#include <math.h>

#include "sf-chart-primitives.h"
#include "sf-plot.h"

static void
test_ticks (void)
{
  SfChartTicks t;

  sf_chart_nice_ticks (0, 1, 6, 0, FALSE, &t);
  g_assert_cmpfloat_with_epsilon (t.step, 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (t.first, 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (t.last, 1, 1e-12);
  g_assert_cmpint (t.n, ==, 6);

  /* Inside the range unless rounded out. */
  sf_chart_nice_ticks (0.013, 0.87, 5, 0, FALSE, &t);
  g_assert_cmpfloat_with_epsilon (t.step, 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (t.first, 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (t.last, 0.8, 1e-12);
  sf_chart_nice_ticks (0.013, 0.87, 5, 0, TRUE, &t);
  g_assert_cmpfloat_with_epsilon (t.first, 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (t.last, 1, 1e-12);

  /* Epochs: whole steps only. */
  sf_chart_nice_ticks (1, 3, 6, 1, FALSE, &t);
  g_assert_cmpfloat_with_epsilon (t.step, 1, 1e-12);
  g_assert_cmpint (t.n, ==, 3);
  sf_chart_nice_ticks (1, 30, 6, 1, FALSE, &t);
  g_assert_cmpfloat_with_epsilon (t.step, 5, 1e-12);
  g_assert_cmpfloat_with_epsilon (sf_chart_tick_value (&t, 0), 5, 1e-12);
  g_assert_cmpint (t.n, ==, 6);

  /* Never more than asked for, whatever the range. */
  for (double hi = 0.001; hi < 1e6; hi *= 3.7)
    {
      sf_chart_nice_ticks (0, hi, 6, 0, TRUE, &t);
      g_assert_cmpint (t.n, >=, 2);
      g_assert_cmpint (t.n, <=, 12);
      g_assert_cmpfloat (t.first, <=, 0);
      g_assert_cmpfloat (t.last, >=, hi);
    }

  /* Degenerate and non-finite ranges still give something to draw. */
  sf_chart_nice_ticks (3, 3, 6, 0, TRUE, &t);
  g_assert_cmpint (t.n, >=, 2);
  g_assert_cmpfloat (t.first, <, 3);
  g_assert_cmpfloat (t.last, >, 3);
  sf_chart_nice_ticks (NAN, INFINITY, 6, 0, FALSE, &t);
  g_assert_cmpint (t.n, >=, 2);
  g_assert_true (isfinite (t.first) && isfinite (t.last));
}

static void
test_format (void)
{
  g_autofree char *a = sf_chart_format_value (0.4, 0.2);
  g_autofree char *b = sf_chart_format_value (0.25, 0.25);
  g_autofree char *c = sf_chart_format_value (10, 5);
  g_autofree char *d = sf_chart_format_value (-1e-17, 0.1);
  g_autofree char *e = sf_chart_format_value (NAN, 0.1);

  g_assert_cmpstr (a, ==, "0.4");
  g_assert_cmpstr (b, ==, "0.25");
  g_assert_cmpstr (c, ==, "10");
  g_assert_cmpstr (d, ==, "0.0");
  g_assert_cmpstr (e, ==, "–");
}

static void
test_smooth (void)
{
  double ys[] = { 1, 0, 0, 1 };

  sf_plot_smooth (ys, 4, 0.5);
  g_assert_cmpfloat_with_epsilon (ys[0], 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (ys[1], 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (ys[2], 0.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (ys[3], 0.625, 1e-12);

  double same[] = { 1, 2, 3 };
  sf_plot_smooth (same, 3, 0);
  g_assert_cmpfloat (same[2], ==, 3);
}

static const SfChartColor blue = { 0, 0, 1, 1 };
static const SfChartColor red = { 1, 0, 0, 1 };

static SfPlotData
make_data (GPtrArray *series)
{
  SfPlotData data = {
    .x_label = "Epoch",
    .y_label = "Loss",
    .empty_text = "nothing yet",
    .faint_label = "earlier runs",
    .series = series,
    .x_min = NAN, .x_max = NAN, .y_min = 0, .y_max = 1,
    .x_min_step = 1,
  };
  return data;
}

static void
test_readout (void)
{
  g_autoptr (GPtrArray) series = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_plot_series_free);
  SfPlotSeries *train = sf_plot_series_new ("training", &blue, FALSE, FALSE, FALSE);
  SfPlotSeries *val = sf_plot_series_new ("validation", &red, TRUE, FALSE, FALSE);
  SfPlotSeries *old = sf_plot_series_new ("training", &blue, FALSE, TRUE, FALSE);
  for (int e = 1; e <= 5; e++)
    {
      SfPlotPoint p = { e, 1.0 / e }, q = { e, 0.5 }, r = { e, 0.9 };
      g_array_append_val (train->points, p);
      g_array_append_val (val->points, q);
      g_array_append_val (old->points, r);
    }
  g_ptr_array_add (series, train);
  g_ptr_array_add (series, val);
  g_ptr_array_add (series, old);
  SfPlotData data = make_data (series);

  double snapped;
  g_autofree char *text = sf_plot_data_readout (&data, 3.3, &snapped);
  g_assert_cmpfloat (snapped, ==, 3);
  g_assert_cmpstr (text, ==, "Epoch 3\ntraining: 0.3333\nvalidation: 0.5000");

  SfPlotData empty = make_data (NULL);
  g_assert_null (sf_plot_data_readout (&empty, 1, NULL));
}

/* Pixels close to a colour. */
static int
count_colour (cairo_surface_t *surface, int x0, int y0, int x1, int y1, double r, double g, double b)
{
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  int n = 0;

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        guint32 pixel = *(const guint32 *) (data + y * stride + 4 * x);
        double pr = ((pixel >> 16) & 0xff) / 255.0, pg = ((pixel >> 8) & 0xff) / 255.0, pb = (pixel & 0xff) / 255.0;
        if (fabs (pr - r) < 0.15 && fabs (pg - g) < 0.15 && fabs (pb - b) < 0.15)
          n++;
      }
  return n;
}

static void
test_draw (void)
{
  const int width = 400, height = 300;
  g_autoptr (GPtrArray) series = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_plot_series_free);
  SfPlotSeries *line = sf_plot_series_new ("flat", &blue, FALSE, FALSE, FALSE);
  /* A flat line at y = 0.75 over epochs 1..10. */
  for (int e = 1; e <= 10; e++)
    {
      SfPlotPoint p = { e, 0.75 };
      g_array_append_val (line->points, p);
    }
  g_ptr_array_add (series, line);
  SfPlotData data = make_data (series);
  SfChartStyle style;
  sf_chart_style_init (&style);

  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  sf_plot_draw (cr, width, height, &data, &style);

  /* Where the frame puts y = 0.75 and y = 0.25. */
  SfChartStyle frame_style = style;
  frame_style.x_label = data.x_label;
  frame_style.y_label = data.y_label;
  frame_style.x_min_step = 1;
  SfChartFrame frame;
  sf_chart_frame_init (&frame, cr, &frame_style, width, height, 1, 10, 0, 1);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  int y75 = (int) sf_chart_frame_y (&frame, 0.75), y25 = (int) sf_chart_frame_y (&frame, 0.25);
  int left = (int) frame.left + 5, right = (int) (frame.left + frame.width) - 5;
  g_assert_cmpint (count_colour (surface, left, y75 - 2, right, y75 + 3, 0, 0, 1), >, frame.width / 2);
  g_assert_cmpint (count_colour (surface, left, y25 - 2, right, y25 + 3, 0, 0, 1), ==, 0);
  /* The axis labels are dark text left of and below the plot area. */
  g_assert_cmpint (count_colour (surface, 0, 0, (int) frame.left, height, 0, 0, 0), >, 20);
  g_assert_cmpint (count_colour (surface, 0, (int) (frame.top + frame.height) + 2, width, height, 0, 0, 0), >, 20);
  cairo_surface_destroy (surface);

  /* With nothing to show, and with hover and smoothing: draws, never crashes. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 50, 40);
  cr = cairo_create (surface);
  SfPlotData empty = make_data (NULL);
  sf_plot_draw (cr, 50, 40, &empty, &style);
  data.hovering = TRUE;
  data.hover_x = 25;
  data.smoothing = 0.9;
  sf_plot_draw (cr, 50, 40, &data, &style);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/plot/ticks", test_ticks);
  g_test_add_func ("/ui/plot/format", test_format);
  g_test_add_func ("/ui/plot/smooth", test_smooth);
  g_test_add_func ("/ui/plot/readout", test_readout);
  g_test_add_func ("/ui/plot/draw", test_draw);

  return g_test_run ();
}
