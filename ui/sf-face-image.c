/* SfFaceImage: measures as side × zoom and paints with cairo, nearest
 * neighbour at whole zooms, so a 64-pixel face stays 64 sharp squares. */
#include "sf-face-image.h"

#include <math.h>

#include "sf-face-paint.h"

/* The side reserved before a face arrives, so empty cells keep their place. */
#define PLACEHOLDER_SIDE 64
/* What a fitting image asks for at least, so it never collapses to nothing. */
#define FIT_MIN_SIDE 96

struct _SfFaceImage
{
  GtkWidget parent_instance;

  /* Owned */
  SfFace *face;
  cairo_surface_t *surface;   /* the face's pixels, made on first draw */

  double zoom;
};

enum {
  PROP_0,
  PROP_FACE,
  PROP_ZOOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SfFaceImage, sf_face_image, GTK_TYPE_WIDGET)

static void
face_size (SfFaceImage *self, int *width, int *height)
{
  if (self->face != NULL)
    sf_face_get_pixels (self->face, width, height);
  else
    *width = *height = PLACEHOLDER_SIDE;
}

static void
sf_face_image_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                       int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  SfFaceImage *self = SF_FACE_IMAGE (widget);
  int width, height;

  face_size (self, &width, &height);
  int side = orientation == GTK_ORIENTATION_HORIZONTAL ? width : height;
  if (self->zoom > 0)
    *minimum = *natural = sf_zoom_pixels (side, self->zoom);
  else
    {
      *minimum = MIN (side, FIT_MIN_SIDE);
      *natural = MAX (side, FIT_MIN_SIDE);
    }
}

static void
sf_face_image_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SfFaceImage *self = SF_FACE_IMAGE (widget);
  int width, height;

  if (self->face == NULL)
    return;

  face_size (self, &width, &height);
  int avail_width = gtk_widget_get_width (widget);
  int avail_height = gtk_widget_get_height (widget);
  double zoom = self->zoom > 0 ? self->zoom : sf_zoom_fit (width, height, avail_width, avail_height);
  if (!(zoom > 0))
    return;

  double w = width * zoom, h = height * zoom;
  /* Whole-pixel origin: a half-pixel offset would smear every face pixel. */
  double x = floor ((avail_width - w) / 2);
  double y = floor ((avail_height - h) / 2);

  if (self->surface == NULL)
    {
      const float *pixels = sf_face_get_pixels (self->face, NULL, NULL);
      self->surface = sf_face_surface_new (pixels, width, height);
    }

  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x, y, w, h));
  sf_face_paint (cr, self->surface, x, y, zoom);
  cairo_destroy (cr);
}

static void
sf_face_image_dispose (GObject *object)
{
  SfFaceImage *self = SF_FACE_IMAGE (object);

  g_clear_object (&self->face);
  g_clear_pointer (&self->surface, cairo_surface_destroy);

  G_OBJECT_CLASS (sf_face_image_parent_class)->dispose (object);
}

static void
sf_face_image_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfFaceImage *self = SF_FACE_IMAGE (object);

  switch (prop_id)
    {
    case PROP_FACE:
      g_value_set_object (value, self->face);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_face_image_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SfFaceImage *self = SF_FACE_IMAGE (object);

  switch (prop_id)
    {
    case PROP_FACE:
      sf_face_image_set_face (self, g_value_get_object (value));
      break;
    case PROP_ZOOM:
      sf_face_image_set_zoom (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_face_image_class_init (SfFaceImageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sf_face_image_dispose;
  object_class->get_property = sf_face_image_get_property;
  object_class->set_property = sf_face_image_set_property;

  widget_class->measure = sf_face_image_measure;
  widget_class->snapshot = sf_face_image_snapshot;

  properties[PROP_FACE] =
    g_param_spec_object ("face", NULL, NULL, SF_TYPE_FACE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, 0.0, 64.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "faceimage");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sf_face_image_init (SfFaceImage *self)
{
  self->zoom = 1.0;
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

SfFace *
sf_face_image_get_face (SfFaceImage *self)
{
  g_return_val_if_fail (SF_IS_FACE_IMAGE (self), NULL);

  return self->face;
}

void
sf_face_image_set_face (SfFaceImage *self, SfFace *face)
{
  g_return_if_fail (SF_IS_FACE_IMAGE (self));
  g_return_if_fail (face == NULL || SF_IS_FACE (face));

  if (self->face == face)
    return;

  int old_width, old_height, width, height;
  face_size (self, &old_width, &old_height);
  g_set_object (&self->face, face);
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  face_size (self, &width, &height);

  if (face != NULL)
    {
      g_autofree char *description = sf_face_dup_description (face);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                      -1);
    }
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL);

  if (width != old_width || height != old_height)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FACE]);
}

double
sf_face_image_get_zoom (SfFaceImage *self)
{
  g_return_val_if_fail (SF_IS_FACE_IMAGE (self), 1.0);

  return self->zoom;
}

void
sf_face_image_set_zoom (SfFaceImage *self, double zoom)
{
  g_return_if_fail (SF_IS_FACE_IMAGE (self));

  zoom = MAX (zoom, 0.0);
  if (self->zoom == zoom)
    return;
  self->zoom = zoom;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

GtkWidget *
sf_face_image_new (void)
{
  return g_object_new (SF_TYPE_FACE_IMAGE, NULL);
}
