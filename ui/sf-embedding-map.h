/* The 2-D map of embeddings: points (a PCA projection) coloured by person,
 * enrolled faces drawn larger with a ring. Pure functions of a cairo context
 * and the points, so tests draw it on an image surface with no display. */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  float x, y;        /* the projection, any range */
  int colour;        /* index of the person's colour */
  gboolean enrolled; /* a gallery face rather than a dataset face */
} SfMapPoint;

/* Where point i lands in a width × height area (a margin kept, aspect kept). */
void sf_embedding_map_layout (const SfMapPoint *points, int n_points, double width, double height,
                              double *screen_x, double *screen_y);
/* Draws the points (dataset faces first, enrolled ones on top); `hover` (or
 * -1) is drawn highlighted. dark: light points on a dark background. */
void sf_embedding_map_draw   (cairo_t *cr, double width, double height, const SfMapPoint *points,
                              int n_points, int hover, gboolean dark);
/* The point nearest (x, y) within `radius` pixels, -1 if none; enrolled points win ties. */
int  sf_embedding_map_hit    (const SfMapPoint *points, int n_points, double width, double height,
                              double x, double y, double radius);
/* A distinct colour for person index `colour` (golden-ratio hues). */
void sf_embedding_map_colour (int colour, gboolean dark, double *r, double *g, double *b);

G_END_DECLS
