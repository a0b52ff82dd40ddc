/* SfEmbeddingMap: its data, the pure drawing functions and the widget; see
 * sf-embedding-map.h. */
#include "sf-embedding-map.h"

#include <glib/gi18n.h>
#include <math.h>

#include "sf-face-paint.h"

#define MARGIN 16.0
#define DOT 3.5
#define ENROLLED_DOT 7.0
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

/* ---- drawing, with no display ---- */

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
  sf_embedding_map_draw_shown (cr, width, height, points, n_points, hover, dark, SF_MAP_SHOW_ALL);
}

void
sf_embedding_map_draw_shown (cairo_t *cr, double width, double height, const SfMapPoint *points, int n_points,
                             int hover, gboolean dark, SfMapShow show)
{
  if (n_points <= 0 || width <= 0 || height <= 0)
    return;
  g_autofree double *xs = g_new (double, n_points);
  g_autofree double *ys = g_new (double, n_points);
  sf_embedding_map_layout (points, n_points, width, height, xs, ys);
  cairo_save (cr);
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n_points; i++)
      if (points[i].enrolled == (pass == 1) && i != hover && sf_map_point_shown (&points[i], show))
        draw_point (cr, &points[i], xs[i], ys[i], FALSE, dark);
  if (hover >= 0 && hover < n_points && sf_map_point_shown (&points[hover], show))
    draw_point (cr, &points[hover], xs[hover], ys[hover], TRUE, dark);
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
  sf_embedding_map_draw_shown (cr, width, height, self->data->points, self->data->n_points, self->hover,
                               is_dark (self), self->show);
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
