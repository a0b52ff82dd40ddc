/* SfEmbeddingMap: its data, the pure drawing functions and the widget; see
 * sf-embedding-map.h. */
#include "sf-embedding-map.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "sf-face-paint.h"

#define MARGIN 16.0
#define DOT 4.0
#define ENROLLED_DOT 7.5
/* How near the pointer must be to a point for it to count, in pixels. */
#define HIT_RADIUS 6.0

/* ---- the data ---- */

static void
map_data_clear (gpointer data)
{
  SfMapData *self = data;

  g_free (self->points);
  g_strfreev (self->labels);
  g_free (self->faces);
  g_free (self->mean);
  g_free (self->components);
}

SfMapData *
sf_map_data_new (int n_points, int face_size)
{
  g_return_val_if_fail (n_points >= 0 && face_size >= 0, NULL);

  SfMapData *data = g_atomic_rc_box_new0 (SfMapData);
  data->n_points = n_points;
  data->points = g_new0 (SfMapPoint, n_points);
  data->labels = g_new0 (char *, n_points + 1);
  data->face_size = face_size;
  if (face_size > 0)
    data->faces = g_new0 (float, (gsize) n_points * face_size * face_size);
  return data;
}

SfMapData *
sf_map_data_ref (SfMapData *data)
{
  g_return_val_if_fail (data != NULL, NULL);

  return g_atomic_rc_box_acquire (data);
}

void
sf_map_data_unref (SfMapData *data)
{
  g_return_if_fail (data != NULL);

  g_atomic_rc_box_release_full (data, map_data_clear);
}

int
sf_map_data_get_n_enrolled (const SfMapData *data)
{
  g_return_val_if_fail (data != NULL, 0);

  int n = 0;
  for (int i = 0; i < data->n_points; i++)
    n += data->points[i].enrolled ? 1 : 0;
  return n;
}

void
sf_map_data_set_projection (SfMapData *data, int dimension, const float *mean, const float *components)
{
  g_return_if_fail (data != NULL && dimension > 0 && mean != NULL && components != NULL);

  g_free (data->mean);
  g_free (data->components);
  data->dimension = dimension;
  data->mean = g_memdup2 (mean, sizeof (float) * dimension);
  data->components = g_memdup2 (components, sizeof (float) * 2 * dimension);
}

gboolean
sf_map_data_project (const SfMapData *data, const float *embedding, int dimension, float *x, float *y)
{
  g_return_val_if_fail (data != NULL && embedding != NULL, FALSE);

  if (data->dimension == 0 || data->dimension != dimension)
    return FALSE;
  double px = 0, py = 0;
  for (int j = 0; j < dimension; j++)
    {
      double centred = embedding[j] - data->mean[j];
      px += centred * data->components[j];
      py += centred * data->components[dimension + j];
    }
  *x = (float) px;
  *y = (float) py;
  return TRUE;
}

/* ---- drawing, with no display ---- */

/* How projection coordinates map to the area. */
typedef struct {
  double scale, cx, cy, width, height;
} Frame;

/* The dataset's faces set the frame, so enrolling someone (or a probe far
 * out) never rescales or shifts the crowd; with no dataset faces, all do. */
static void
frame_fit (Frame *frame, const SfMapPoint *points, int n_points, double width, double height)
{
  gboolean any_dataset = FALSE;
  for (int i = 0; i < n_points && !any_dataset; i++)
    any_dataset = !points[i].enrolled;
  double lo_x = INFINITY, hi_x = -INFINITY, lo_y = INFINITY, hi_y = -INFINITY;
  for (int i = 0; i < n_points; i++)
    {
      if (any_dataset && points[i].enrolled)
        continue;
      lo_x = MIN (lo_x, points[i].x);
      hi_x = MAX (hi_x, points[i].x);
      lo_y = MIN (lo_y, points[i].y);
      hi_y = MAX (hi_y, points[i].y);
    }
  if (lo_x > hi_x)
    lo_x = hi_x = lo_y = hi_y = 0;
  /* One scale for both axes: distances on the map mean the same either way. */
  frame->scale = MIN (MAX (width - 2 * MARGIN, 1.0) / MAX (hi_x - lo_x, 1e-6),
                      MAX (height - 2 * MARGIN, 1.0) / MAX (hi_y - lo_y, 1e-6));
  frame->cx = (lo_x + hi_x) / 2;
  frame->cy = (lo_y + hi_y) / 2;
  frame->width = width;
  frame->height = height;
}

/* Outside the frame's span a point waits at the edge rather than off the map. */
static void
frame_place (const Frame *frame, double x, double y, double *screen_x, double *screen_y)
{
  double edge = MARGIN / 2;
  *screen_x = frame->width / 2 + (x - frame->cx) * frame->scale;
  *screen_y = frame->height / 2 - (y - frame->cy) * frame->scale;
  *screen_x = CLAMP (*screen_x, edge, MAX (frame->width - edge, edge));
  *screen_y = CLAMP (*screen_y, edge, MAX (frame->height - edge, edge));
}

void
sf_embedding_map_layout (const SfMapPoint *points, int n_points, double width, double height, double *screen_x,
                         double *screen_y)
{
  Frame frame;
  frame_fit (&frame, points, n_points, width, height);
  for (int i = 0; i < n_points; i++)
    frame_place (&frame, points[i].x, points[i].y, &screen_x[i], &screen_y[i]);
}

static void
hsv_to_rgb (double hue, double s, double v, double *r, double *g, double *b)
{
  hue = fmod (hue, 1.0) * 6.0;
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

void
sf_embedding_map_style (int colour, gboolean dark, double *hue, double *r, double *g, double *b,
                        SfMapShape *shape)
{
  colour = MAX (colour, 0);
  /* Steps of three tenths round the wheel: people next to each other in
   * the dataset get hues 108° apart; each run of ten hues changes shape. */
  int h = colour % SF_MAP_N_HUES;
  double hue_value = (double) ((h * 3) % SF_MAP_N_HUES) / SF_MAP_N_HUES;
  if (hue != NULL)
    *hue = hue_value;
  if (shape != NULL)
    *shape = (colour + colour / SF_MAP_N_HUES) % SF_MAP_N_SHAPES;
  double dr, dg, db;
  hsv_to_rgb (hue_value, 0.7, dark ? 0.95 : 0.8, &dr, &dg, &db);
  if (r != NULL)
    *r = dr, *g = dg, *b = db;
}

void
sf_embedding_map_colour (int colour, gboolean dark, double *r, double *g, double *b)
{
  sf_embedding_map_style (colour, dark, NULL, r, g, b, NULL);
}

/* A mark of about the same area whatever its shape. */
static void
shape_path (cairo_t *cr, SfMapShape shape, double x, double y, double radius)
{
  cairo_new_path (cr);
  switch (shape)
    {
    case SF_MAP_SHAPE_SQUARE:
      cairo_rectangle (cr, x - radius * 0.89, y - radius * 0.89, radius * 1.78, radius * 1.78);
      break;
    case SF_MAP_SHAPE_TRIANGLE:
      cairo_move_to (cr, x, y - radius * 1.35);
      cairo_line_to (cr, x + radius * 1.17, y + radius * 0.68);
      cairo_line_to (cr, x - radius * 1.17, y + radius * 0.68);
      cairo_close_path (cr);
      break;
    case SF_MAP_SHAPE_DIAMOND:
      cairo_move_to (cr, x, y - radius * 1.25);
      cairo_line_to (cr, x + radius * 1.25, y);
      cairo_line_to (cr, x, y + radius * 1.25);
      cairo_line_to (cr, x - radius * 1.25, y);
      cairo_close_path (cr);
      break;
    case SF_MAP_SHAPE_CIRCLE:
    default:
      cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
      break;
    }
}

static void
set_text_colour (cairo_t *cr, gboolean dark)
{
  if (dark)
    cairo_set_source_rgb (cr, 1, 1, 1);
  else
    cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
}

static void
draw_point (cairo_t *cr, const SfMapPoint *point, double x, double y, gboolean hover, gboolean dark)
{
  double r, g, b;
  SfMapShape shape;
  sf_embedding_map_style (point->colour, dark, NULL, &r, &g, &b, &shape);
  double radius = point->enrolled ? ENROLLED_DOT : DOT;
  if (hover)
    radius += 2;
  shape_path (cr, shape, x, y, radius);
  cairo_set_source_rgba (cr, r, g, b, point->enrolled || hover ? 1.0 : 0.85);
  cairo_fill_preserve (cr);
  if (point->enrolled || hover)
    {
      /* A ring in the text colour makes new people stand out from the crowd. */
      cairo_set_line_width (cr, 2);
      set_text_colour (cr, dark);
      cairo_stroke (cr);
    }
  cairo_new_path (cr);
}

/* Text beside (x, y) on a pale backing, kept inside the area. */
static void
draw_label (cairo_t *cr, const Frame *frame, double x, double y, const char *text, gboolean dark)
{
  cairo_text_extents_t extents;
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 11);
  cairo_text_extents (cr, text, &extents);
  double tx = x + ENROLLED_DOT + 4, ty = y - ENROLLED_DOT - 2;
  if (tx + extents.x_advance + 4 > frame->width)
    tx = x - ENROLLED_DOT - 4 - extents.x_advance;
  tx = MAX (tx, 2);
  ty = MAX (ty, extents.height + 2);
  cairo_new_path (cr);
  cairo_rectangle (cr, tx - 2, ty + extents.y_bearing - 2, extents.x_advance + 4, extents.height + 4);
  if (dark)
    cairo_set_source_rgba (cr, 0, 0, 0, 0.7);
  else
    cairo_set_source_rgba (cr, 1, 1, 1, 0.8);
  cairo_fill (cr);
  set_text_colour (cr, dark);
  cairo_move_to (cr, tx, ty);
  cairo_show_text (cr, text);
  cairo_new_path (cr);
}

static gboolean
probe_nearest_rank (const SfMapProbe *probe, const SfMapPoint *point, int *rank)
{
  if (probe == NULL || !probe->shown || !point->enrolled)
    return FALSE;
  for (int k = 0; k < MIN (probe->n_nearest, SF_MAP_MAX_NEAREST); k++)
    if (probe->nearest[k] == point->gallery_person)
      {
        *rank = k + 1;
        return TRUE;
      }
  return FALSE;
}

/* The probe: lines to its nearest people's faces, a ranked ring on each,
 * and a cross in a ring where the probe lands. */
static void
draw_probe (cairo_t *cr, const Frame *frame, const SfMapPoint *points, int n_points, const double *xs,
            const double *ys, const SfMapProbe *probe, gboolean dark)
{
  double px, py;
  frame_place (frame, probe->x, probe->y, &px, &py);
  int first_of_rank[SF_MAP_MAX_NEAREST] = { -1, -1, -1 };
  cairo_set_line_width (cr, 1.5);
  for (int i = 0; i < n_points; i++)
    {
      int rank;
      if (!probe_nearest_rank (probe, &points[i], &rank))
        continue;
      if (first_of_rank[rank - 1] < 0)
        first_of_rank[rank - 1] = i;
      set_text_colour (cr, dark);
      cairo_new_path (cr);
      cairo_move_to (cr, px, py);
      cairo_line_to (cr, xs[i], ys[i]);
      cairo_stroke (cr);
      cairo_arc (cr, xs[i], ys[i], ENROLLED_DOT + 4, 0, 2 * G_PI);
      cairo_stroke (cr);
    }
  for (int k = 0; k < SF_MAP_MAX_NEAREST; k++)
    if (first_of_rank[k] >= 0)
      {
        char rank[8];
        g_snprintf (rank, sizeof rank, "%d", k + 1);
        draw_label (cr, frame, xs[first_of_rank[k]], ys[first_of_rank[k]], rank, dark);
      }
  cairo_new_path (cr);
  cairo_arc (cr, px, py, ENROLLED_DOT + 2, 0, 2 * G_PI);
  if (dark)
    cairo_set_source_rgba (cr, 0, 0, 0, 0.8);
  else
    cairo_set_source_rgba (cr, 1, 1, 1, 0.9);
  cairo_fill_preserve (cr);
  set_text_colour (cr, dark);
  cairo_set_line_width (cr, 2.5);
  cairo_stroke (cr);
  double arm = ENROLLED_DOT - 1;
  cairo_move_to (cr, px - arm, py);
  cairo_line_to (cr, px + arm, py);
  cairo_move_to (cr, px, py - arm);
  cairo_line_to (cr, px, py + arm);
  cairo_stroke (cr);
  cairo_new_path (cr);
}

gboolean
sf_map_point_shown (const SfMapPoint *point, SfMapShow show)
{
  if (point->enrolled)
    return TRUE;
  return (show & (point->held_out ? SF_MAP_SHOW_HELD_OUT : SF_MAP_SHOW_TRAINING)) != 0;
}

void
sf_embedding_map_draw (cairo_t *cr, double width, double height, const SfMapPoint *points, int n_points, int hover,
                       gboolean dark)
{
  sf_embedding_map_draw_shown (cr, width, height, points, n_points, hover, dark, SF_MAP_SHOW_ALL, NULL, NULL);
}

void
sf_embedding_map_draw_shown (cairo_t *cr, double width, double height, const SfMapPoint *points, int n_points,
                             int hover, gboolean dark, SfMapShow show, const SfMapProbe *probe,
                             const char *hover_label)
{
  if (n_points <= 0 || width <= 0 || height <= 0)
    return;
  g_autofree double *xs = g_new (double, n_points);
  g_autofree double *ys = g_new (double, n_points);
  Frame frame;
  frame_fit (&frame, points, n_points, width, height);
  for (int i = 0; i < n_points; i++)
    frame_place (&frame, points[i].x, points[i].y, &xs[i], &ys[i]);
  cairo_save (cr);
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n_points; i++)
      if (points[i].enrolled == (pass == 1) && i != hover && sf_map_point_shown (&points[i], show))
        draw_point (cr, &points[i], xs[i], ys[i], FALSE, dark);
  if (probe != NULL && probe->shown)
    draw_probe (cr, &frame, points, n_points, xs, ys, probe, dark);
  if (hover >= 0 && hover < n_points && sf_map_point_shown (&points[hover], show))
    {
      draw_point (cr, &points[hover], xs[hover], ys[hover], TRUE, dark);
      if (hover_label != NULL)
        draw_label (cr, &frame, xs[hover], ys[hover], hover_label, dark);
    }
  cairo_restore (cr);
}

int
sf_embedding_map_hit (const SfMapPoint *points, int n_points, double width, double height, double x, double y,
                      double radius)
{
  return sf_embedding_map_hit_shown (points, n_points, width, height, x, y, radius, SF_MAP_SHOW_ALL);
}

int
sf_embedding_map_hit_shown (const SfMapPoint *points, int n_points, double width, double height, double x, double y,
                            double radius, SfMapShow show)
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
          if ((pass == 0 && !points[i].enrolled) || !sf_map_point_shown (&points[i], show))
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

/* ---- the widget ---- */

struct _SfEmbeddingMap
{
  GtkWidget parent_instance;

  SfMapData *data;     /* owned reference; NULL while there is nothing to show */
  int hover;           /* the point under the pointer, -1 if none */
  SfMapShow show;
  SfMapProbe probe;
  char *description;
};

enum {
  PROP_0,
  PROP_DESCRIPTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfEmbeddingMap, sf_embedding_map, GTK_TYPE_WIDGET)

/* Light points on a dark theme: the text colour says which theme is on. */
static gboolean
is_dark (SfEmbeddingMap *self)
{
  GdkRGBA fg;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  return (fg.red + fg.green + fg.blue) / 3 > 0.5;
}

static int
hit (SfEmbeddingMap *self, double x, double y)
{
  if (self->data == NULL)
    return -1;
  return sf_embedding_map_hit_shown (self->data->points, self->data->n_points,
                                     gtk_widget_get_width (GTK_WIDGET (self)), gtk_widget_get_height (GTK_WIDGET (self)),
                                     x, y, HIT_RADIUS, self->show);
}

static void
set_hover (SfEmbeddingMap *self, int hover)
{
  if (self->hover == hover)
    return;
  self->hover = hover;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
update_description (SfEmbeddingMap *self)
{
  g_autofree char *text = NULL;

  if (self->data == NULL || self->data->n_points == 0)
    text = g_strdup (_("Appears once the model has embedded the faces"));
  else
    {
      int n_enrolled = sf_map_data_get_n_enrolled (self->data);
      text = g_strdup_printf (_("%d dataset faces and %d enrolled faces, first two principal components"),
                              self->data->n_points - n_enrolled, n_enrolled);
    }
  if (g_strcmp0 (text, self->description) == 0)
    return;
  g_free (self->description);
  self->description = g_steal_pointer (&text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->description, -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
}

static void
motion_cb (GtkEventControllerMotion *motion, double x, double y, SfEmbeddingMap *self)
{
  set_hover (self, hit (self, x, y));
}

static void
leave_cb (GtkEventControllerMotion *motion, SfEmbeddingMap *self)
{
  set_hover (self, -1);
}

static gboolean
sf_embedding_map_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  SfEmbeddingMap *self = SF_EMBEDDING_MAP (widget);
  int point = hit (self, x, y);

  if (point < 0 || self->data->labels[point] == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, self->data->labels[point]);
  if (self->data->faces != NULL)
    {
      int size = self->data->face_size;
      g_autoptr (GdkTexture) texture = sf_face_texture_new (self->data->faces + (gsize) point * size * size, size,
                                                            size);
      gtk_tooltip_set_icon (tooltip, GDK_PAINTABLE (texture));
    }
  return TRUE;
}

static void
sf_embedding_map_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SfEmbeddingMap *self = SF_EMBEDDING_MAP (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  if (self->data == NULL || self->data->n_points == 0 || width <= 0 || height <= 0)
    return;
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  const char *hover_label = self->hover >= 0 ? self->data->labels[self->hover] : NULL;
  sf_embedding_map_draw_shown (cr, width, height, self->data->points, self->data->n_points, self->hover,
                               is_dark (self), self->show, &self->probe, hover_label);
  cairo_destroy (cr);
}

static void
sf_embedding_map_finalize (GObject *object)
{
  SfEmbeddingMap *self = SF_EMBEDDING_MAP (object);

  g_clear_pointer (&self->data, sf_map_data_unref);
  g_free (self->description);

  G_OBJECT_CLASS (sf_embedding_map_parent_class)->finalize (object);
}

static void
sf_embedding_map_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfEmbeddingMap *self = SF_EMBEDDING_MAP (object);

  switch (prop_id)
    {
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_embedding_map_class_init (SfEmbeddingMapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sf_embedding_map_finalize;
  object_class->get_property = sf_embedding_map_get_property;
  widget_class->snapshot = sf_embedding_map_snapshot;
  widget_class->query_tooltip = sf_embedding_map_query_tooltip;

  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "embeddingmap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sf_embedding_map_init (SfEmbeddingMap *self)
{
  self->hover = -1;
  self->show = SF_MAP_SHOW_ALL;
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);

  GtkEventController *motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  update_description (self);
}

void
sf_embedding_map_set_data (SfEmbeddingMap *self, SfMapData *data)
{
  g_return_if_fail (SF_IS_EMBEDDING_MAP (self));

  if (data != NULL)
    sf_map_data_ref (data);
  g_clear_pointer (&self->data, sf_map_data_unref);
  self->data = data;
  self->hover = -1;
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

SfMapData *
sf_embedding_map_get_data (SfEmbeddingMap *self)
{
  g_return_val_if_fail (SF_IS_EMBEDDING_MAP (self), NULL);

  return self->data;
}

SfMapShow
sf_embedding_map_get_show (SfEmbeddingMap *self)
{
  g_return_val_if_fail (SF_IS_EMBEDDING_MAP (self), SF_MAP_SHOW_ALL);

  return self->show;
}

void
sf_embedding_map_set_show (SfEmbeddingMap *self, SfMapShow show)
{
  g_return_if_fail (SF_IS_EMBEDDING_MAP (self));

  if (self->show == show)
    return;
  self->show = show;
  self->hover = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
sf_embedding_map_set_probe (SfEmbeddingMap *self, const SfMapProbe *probe)
{
  g_return_if_fail (SF_IS_EMBEDDING_MAP (self));

  SfMapProbe none = { 0 };
  if (probe == NULL || !probe->shown)
    probe = &none;
  if (memcmp (&self->probe, probe, sizeof *probe) == 0)
    return;
  self->probe = *probe;
  self->probe.n_nearest = CLAMP (self->probe.n_nearest, 0, SF_MAP_MAX_NEAREST);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const SfMapProbe *
sf_embedding_map_get_probe (SfEmbeddingMap *self)
{
  g_return_val_if_fail (SF_IS_EMBEDDING_MAP (self), NULL);

  return &self->probe;
}

const char *
sf_embedding_map_get_description (SfEmbeddingMap *self)
{
  g_return_val_if_fail (SF_IS_EMBEDDING_MAP (self), NULL);

  return self->description;
}

GtkWidget *
sf_embedding_map_new (void)
{
  return g_object_new (SF_TYPE_EMBEDDING_MAP, NULL);
}
