/* SfEmbeddingMap: the 2-D map of embeddings (a PCA projection the engine
 * makes, fitted on the dataset's faces), points marked by person (a hue and
 * a shape each, so forty people stay apart), enrolled faces drawn larger with
 * a ring, the probe being identified with its nearest people ranked, the
 * face and name under the pointer in a tooltip and beside the point. The
 * dataset's faces set the frame: enrolled faces and the probe are placed in
 * it without moving anyone. The widget shows an
 * immutable SfMapData, built off the main thread and swapped in on it; it has
 * the img accessible role and keeps a description of what it shows. The
 * drawing is a pure function of a cairo context and the points, so tests draw
 * it on an image surface with no display. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct {
  float x, y;        /* the projection, any range */
  int colour;        /* index of the person's colour */
  gboolean enrolled; /* a gallery face rather than a dataset face */
  gboolean held_out; /* a dataset face held out of the model's training */
  int gallery_person; /* an enrolled face's person in the gallery; -1 for dataset faces */
} SfMapPoint;

/* The marks' shapes: with SF_MAP_N_HUES hues, forty people get forty
 * different (hue, shape) pairs. */
typedef enum {
  SF_MAP_SHAPE_CIRCLE,
  SF_MAP_SHAPE_SQUARE,
  SF_MAP_SHAPE_TRIANGLE,
  SF_MAP_SHAPE_DIAMOND,
  SF_MAP_N_SHAPES
} SfMapShape;
#define SF_MAP_N_HUES 10

/* The probe being identified, in the projection's coordinates, and the
 * gallery people nearest it, best first (their enrolled faces get a rank). */
#define SF_MAP_MAX_NEAREST 3
typedef struct {
  gboolean shown;
  float x, y;
  int n_nearest;
  int nearest[SF_MAP_MAX_NEAREST];
} SfMapProbe;

/* Which dataset faces are drawn (enrolled faces always are). Hidden points
 * keep their place in the layout, so the map does not move. */
typedef enum {
  SF_MAP_SHOW_TRAINING = 1 << 0,
  SF_MAP_SHOW_HELD_OUT = 1 << 1,
  SF_MAP_SHOW_ALL = SF_MAP_SHOW_TRAINING | SF_MAP_SHOW_HELD_OUT,
} SfMapShow;

/* Point i is drawn (and can be hit) under `show`. */
gboolean    sf_map_point_shown               (const SfMapPoint *point, SfMapShow show);

/* What the map shows. Filled by whoever makes it, then never changed once
 * shared (sf_map_data_ref); freed with the last reference. */
typedef struct {
  SfMapPoint *points;  /* [n_points]: dataset faces first, then enrolled faces */
  int n_points;
  char **labels;       /* [n_points + 1]: each point's tooltip text, NULL-terminated */
  float *faces;        /* [n_points, face_size, face_size]: each point's face; NULL when face_size is 0 */
  int face_size;
  /* The projection, so later faces land in the same layout: an embedding e
   * goes to ((e - mean)·components[0], (e - mean)·components[1]). */
  int dimension;       /* of the embeddings; 0 when unknown */
  float *mean;         /* [dimension] */
  float *components;   /* [2, dimension] */
} SfMapData;

/* Zeroed points, NULL labels and (when face_size > 0) zeroed faces. */
SfMapData  *sf_map_data_new                  (int n_points, int face_size);
SfMapData  *sf_map_data_ref                  (SfMapData *data);
void        sf_map_data_unref                (SfMapData *data);
int         sf_map_data_get_n_enrolled       (const SfMapData *data);
/* Keeps a copy of the projection (see SfMapData). */
void        sf_map_data_set_projection       (SfMapData *data, int dimension, const float *mean,
                                              const float *components);
/* Where an embedding [dimension] lands; FALSE when the data has no projection
 * of that dimension. */
gboolean    sf_map_data_project              (const SfMapData *data, const float *embedding, int dimension,
                                              float *x, float *y);

/* Where point i lands in a width × height area (a margin kept, aspect kept):
 * the dataset's faces (or, with none, all points) fill the area, and
 * enrolled faces outside their span stay at its edge. */
void        sf_embedding_map_layout          (const SfMapPoint *points, int n_points, double width, double height,
                                              double *screen_x, double *screen_y);
/* Draws the points (dataset faces first, enrolled ones on top); `hover` (or
 * -1) is drawn highlighted. dark: light points on a dark background. */
void        sf_embedding_map_draw            (cairo_t *cr, double width, double height, const SfMapPoint *points,
                                              int n_points, int hover, gboolean dark);
/* As sf_embedding_map_draw, only the points `show` shows, with the probe
 * (may be NULL) and, beside the hovered point, `hover_label` (may be NULL). */
void        sf_embedding_map_draw_shown      (cairo_t *cr, double width, double height, const SfMapPoint *points,
                                              int n_points, int hover, gboolean dark, SfMapShow show,
                                              const SfMapProbe *probe, const char *hover_label);
/* The point nearest (x, y) within `radius` pixels, -1 if none; enrolled points win ties. */
int         sf_embedding_map_hit             (const SfMapPoint *points, int n_points, double width, double height,
                                              double x, double y, double radius);
/* As sf_embedding_map_hit, among the points `show` shows. */
int         sf_embedding_map_hit_shown       (const SfMapPoint *points, int n_points, double width, double height,
                                              double x, double y, double radius, SfMapShow show);
/* The mark of person index `colour`: one of SF_MAP_N_HUES hues (neighbours
 * far apart on the wheel) and one of the shapes, the pair differing for any
 * SF_MAP_N_HUES × SF_MAP_N_SHAPES people in a row. hue in [0, 1). */
void        sf_embedding_map_style           (int colour, gboolean dark, double *hue, double *r, double *g,
                                              double *b, SfMapShape *shape);
/* The colour alone (see sf_embedding_map_style). */
void        sf_embedding_map_colour          (int colour, gboolean dark, double *r, double *g, double *b);

#define SF_TYPE_EMBEDDING_MAP (sf_embedding_map_get_type ())

G_DECLARE_FINAL_TYPE (SfEmbeddingMap, sf_embedding_map, SF, EMBEDDING_MAP, GtkWidget)

GtkWidget  *sf_embedding_map_new             (void);
/* Shows `data` (takes a reference); NULL: nothing to show yet. */
void        sf_embedding_map_set_data        (SfEmbeddingMap *self, SfMapData *data);
/* What is shown, NULL when nothing is. */
SfMapData  *sf_embedding_map_get_data        (SfEmbeddingMap *self);
/* "show": which dataset faces are drawn; SF_MAP_SHOW_ALL at first. */
SfMapShow   sf_embedding_map_get_show        (SfEmbeddingMap *self);
void        sf_embedding_map_set_show        (SfEmbeddingMap *self, SfMapShow show);
/* Marks the probe and its nearest people (copied; NULL or !shown: none). */
void        sf_embedding_map_set_probe       (SfEmbeddingMap *self, const SfMapProbe *probe);
const SfMapProbe *sf_embedding_map_get_probe (SfEmbeddingMap *self);
/* "description": what the map shows, in a sentence; also its accessible description. */
const char *sf_embedding_map_get_description (SfEmbeddingMap *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfMapData, sf_map_data_unref)

G_END_DECLS
