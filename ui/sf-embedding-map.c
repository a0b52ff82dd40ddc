/* Drawing the embedding map; see sf-embedding-map.h. */
#include "sf-embedding-map.h"

#include <math.h>

#define MARGIN 16.0
#define DOT 3.5
#define ENROLLED_DOT 7.0

void
sf_embedding_map_layout (const SfMapPoint *points, int n_points, double width, double height, double *screen_x,
                         double *screen_y)
{
  double lo_x = INFINITY, hi_x = -INFINITY, lo_y = INFINITY, hi_y = -INFINITY;
  for (int i = 0; i < n_points; i++)
    {
      lo_x = MIN (lo_x, points[i].x);
      hi_x = MAX (hi_x, points[i].x);
      lo_y = MIN (lo_y, points[i].y);
      hi_y = MAX (hi_y, points[i].y);
    }
  /* One scale for both axes: distances on the map mean the same either way. */
  double scale = MIN (MAX (width - 2 * MARGIN, 1.0) / MAX (hi_x - lo_x, 1e-6),
                      MAX (height - 2 * MARGIN, 1.0) / MAX (hi_y - lo_y, 1e-6));
  double cx = (lo_x + hi_x) / 2, cy = (lo_y + hi_y) / 2;
  for (int i = 0; i < n_points; i++)
    {
      screen_x[i] = width / 2 + (points[i].x - cx) * scale;
      screen_y[i] = height / 2 - (points[i].y - cy) * scale;
    }
}

void
sf_embedding_map_colour (int colour, gboolean dark, double *r, double *g, double *b)
{
  double hue = fmod (colour * 0.618033988749895, 1.0) * 6.0;
  double s = 0.65, v = dark ? 0.95 : 0.78;
  double f = hue - floor (hue), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch ((int) floor (hue) % 6)
    {
    case 0: *r = v, *g = t, *b = p; break;
    case 1: *r = q, *g = v, *b = p; break;
    case 2: *r = p, *g = v, *b = t; break;
    case 3: *r = p, *g = q, *b = v; break;
    case 4: *r = t, *g = p, *b = v; break;
    default: *r = v, *g = p, *b = q; break;
    }
}

static void
draw_point (cairo_t *cr, const SfMapPoint *point, double x, double y, gboolean hover, gboolean dark)
{
  double r, g, b;
  sf_embedding_map_colour (point->colour, dark, &r, &g, &b);
  double radius = point->enrolled ? ENROLLED_DOT : DOT;
  if (hover)
    radius += 2;
  cairo_new_path (cr);
  cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
  cairo_set_source_rgba (cr, r, g, b, point->enrolled || hover ? 1.0 : 0.8);
  cairo_fill_preserve (cr);
  if (point->enrolled || hover)
    {
      /* A ring in the text colour makes new people stand out from the crowd. */
      cairo_set_line_width (cr, 2);
      if (dark)
        cairo_set_source_rgb (cr, 1, 1, 1);
      else
        cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      cairo_stroke (cr);
    }
  cairo_new_path (cr);
}

void
sf_embedding_map_draw (cairo_t *cr, double width, double height, const SfMapPoint *points, int n_points, int hover,
                       gboolean dark)
{
  if (n_points <= 0 || width <= 0 || height <= 0)
    return;
  g_autofree double *xs = g_new (double, n_points);
  g_autofree double *ys = g_new (double, n_points);
  sf_embedding_map_layout (points, n_points, width, height, xs, ys);
  cairo_save (cr);
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n_points; i++)
      if (points[i].enrolled == (pass == 1) && i != hover)
        draw_point (cr, &points[i], xs[i], ys[i], FALSE, dark);
  if (hover >= 0 && hover < n_points)
    draw_point (cr, &points[hover], xs[hover], ys[hover], TRUE, dark);
  cairo_restore (cr);
}

int
sf_embedding_map_hit (const SfMapPoint *points, int n_points, double width, double height, double x, double y,
                      double radius)
{
  if (n_points <= 0)
    return -1;
  g_autofree double *xs = g_new (double, n_points);
  g_autofree double *ys = g_new (double, n_points);
  sf_embedding_map_layout (points, n_points, width, height, xs, ys);
  /* Enrolled points first: they are few, large and the ones asked about. */
  int best = -1;
  for (int pass = 0; pass < 2 && best < 0; pass++)
    {
      double limit = pass == 0 ? MAX (radius, ENROLLED_DOT) : radius;
      double best_d = limit * limit;
      for (int i = 0; i < n_points; i++)
        {
          if (pass == 0 && !points[i].enrolled)
            continue;
          double d = (xs[i] - x) * (xs[i] - x) + (ys[i] - y) * (ys[i] - y);
          if (d <= best_d)
            {
              best = i;
              best_d = d;
            }
        }
    }
  return best;
}
