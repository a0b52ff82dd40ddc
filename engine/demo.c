/* The built-in demo faces: grey faces drawn analytically from a seed, each
 * identity with fixed traits and each image with its own pose, expression,
 * light and noise, so the app has something to learn with no download. */
#include "dataset.h"

#include <math.h>
#include <glib/gi18n-lib.h>

#include "error.h"
#include "rng.h"

#define N_IDENTITIES   20
#define N_PER_IDENTITY 10
#define MAX_MARKS      4
#define MIN_SIZE       16

/* Coordinates: "face units", x to the right and y downwards, the image
 * spanning [-1, 1] on both axes before the pose moves the face. */

typedef enum {
  HAIR_SHORT,
  HAIR_LONG,
  HAIR_RECEDING,
} HairStyle;

typedef struct {
  float x, y, radius, value, softness;
} Mark;

typedef struct {
  /* Head */
  float face_w, face_h, face_y, chin;  /* oval half-axes, centre, narrowing of the jaw */
  float skin;
  float ear;
  /* Hair */
  HairStyle hair_style;
  float hair, hair_line, hair_curve, hair_part, hair_volume;
  /* Eyes and brows */
  float eye_dx, eye_y, eye_w, eye_ratio, iris;
  float brow_gap, brow_w, brow_thick, brow_arch, brow_tilt;
  /* Nose and mouth */
  float nose_y, nose_w;
  float mouth_y, mouth_w, lip, lip_value, mouth_curve;
  /* Extras */
  gboolean glasses;
  float glasses_r, glasses_ratio, glasses_value, glasses_thick;
  gboolean beard, moustache;
  float beard_value, beard_density;
  int n_marks;
  Mark marks[MAX_MARKS];
} Identity;

typedef struct {
  float shift_x, shift_y, angle, scale, yaw;
  float smile, mouth_open, eye_open, brow_raise, gaze_x, gaze_y;
  float light[3], ambient, brightness, contrast, noise;
  float background, background_slope_x, background_slope_y, clothes;
} Variation;

typedef enum {
  SHAPE_ELLIPSE,  /* rx, ry; `egg` narrows the lower half */
  SHAPE_RING,     /* an ellipse outline `ring` wide */
  SHAPE_BAND,     /* a curved stroke: half-length rx, half-thickness ry, sagging by `curve` in the middle */
  SHAPE_ABOVE,    /* everything above y = cy + curve (x - cx)², inside the clip */
  SHAPE_BELOW,    /* everything below it, inside the clip */
} ShapeKind;

typedef struct Shape Shape;
struct Shape {
  ShapeKind kind;
  float cx, cy, rx, ry;
  float angle;
  float egg, curve, ring, taper;
  float softness;       /* edge width in pixels; 0 means one pixel */
  const Shape *clip;    /* coverage is multiplied by the clip's, if any */
};

typedef struct {
  float *pixels;  /* [size, size] */
  int size;
  /* Face units → pixel coordinates (forward) and back (inverse), as 2×3 affine maps. */
  float forward[6];
  float inverse[6];
  float pixel;    /* one pixel in face units */
} Canvas;

static inline float
smoothstep (float edge0, float edge1, float x)
{
  float t = (x - edge0) / (edge1 - edge0);
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return t * t * (3 - 2 * t);
}

static inline float
uniform (SfRng *rng, float lo, float hi)
{
  return lo + (hi - lo) * (float) sf_rng_uniform (rng);
}

static inline float
clamped_normal (SfRng *rng, float sigma, float limit)
{
  float x = sigma * (float) sf_rng_normal (rng);
  return CLAMP (x, -limit, limit);
}

/* Coverage in [0, 1] of the point (x, y) by the shape, its edges blurred over
 * `softness` pixels of `pixel` face units each. */
static float
shape_cover (const Shape *shape, float x, float y, float pixel)
{
  float edge = pixel * (shape->softness > 0 ? shape->softness : 1.0f) * 0.5f;
  float dx = x - shape->cx, dy = y - shape->cy;
  if (shape->angle != 0)
    {
      float c = cosf (shape->angle), s = sinf (shape->angle);
      float along = c * dx + s * dy;
      dy = -s * dx + c * dy;
      dx = along;
    }
  float cover = 0;
  switch (shape->kind)
    {
    case SHAPE_ELLIPSE:
    case SHAPE_RING:
      {
        if (shape->egg != 0 && dy > 0)
          dx /= 1 - shape->egg * MIN (dy / shape->ry, 1.0f) * MIN (dy / shape->ry, 1.0f);
        float ex = dx / shape->rx, ey = dy / shape->ry;
        float q2 = ex * ex + ey * ey;
        /* The distance to the outline is at least |q - 1| · min (rx, ry), so
         * most pixels are plainly in or out without a square root. */
        float band = (edge + shape->ring) / MIN (shape->rx, shape->ry);
        if (q2 > (1 + band) * (1 + band))
          return 0;
        if (band < 1 && q2 < (1 - band) * (1 - band) && shape->kind == SHAPE_ELLIPSE)
          {
            cover = 1;
            break;
          }
        float q = sqrtf (q2);
        float gx = ex / shape->rx, gy = ey / shape->ry;
        float g = sqrtf (gx * gx + gy * gy);
        /* Distance to the outline, to first order: (q - 1) / |∇q|. */
        float distance = g > 1e-6f ? (q - 1) * q / g : -MIN (shape->rx, shape->ry);
        if (shape->kind == SHAPE_RING)
          distance = fabsf (distance + shape->ring * 0.5f) - shape->ring * 0.5f;
        cover = 1 - smoothstep (-edge, edge, distance);
        break;
      }
    case SHAPE_BAND:
      {
        float t = dx / shape->rx;
        float across = 1 - MIN (t * t, 1.0f);
        float centre = shape->curve * across;
        float half = shape->ry * ((1 - shape->taper) + shape->taper * sqrtf (across));
        cover = (1 - smoothstep (-edge, edge, fabsf (dy - centre) - half))
                * (1 - smoothstep (-edge, edge, fabsf (dx) - shape->rx));
        break;
      }
    case SHAPE_ABOVE:
    case SHAPE_BELOW:
      {
        float distance = dy - shape->curve * dx * dx;
        if (shape->kind == SHAPE_ABOVE)
          distance = -distance;
        cover = smoothstep (-edge, edge, distance);
        break;
      }
    }
  if (shape->clip != NULL && cover > 0)
    cover *= shape_cover (shape->clip, x, y, pixel);
  return cover;
}

/* A square around (*cx, *cy), `reach` face units to each side, that holds the whole shape. */
static float
shape_bounds (const Shape *shape, float pixel, float *cx, float *cy)
{
  if (shape->kind == SHAPE_ABOVE || shape->kind == SHAPE_BELOW)
    {
      g_assert (shape->clip != NULL);
      return shape_bounds (shape->clip, pixel, cx, cy);
    }
  *cx = shape->cx;
  *cy = shape->cy;
  return shape->rx + shape->ry + fabsf (shape->curve) + shape->ring + pixel * (shape->softness + 2);
}

static void
canvas_init (Canvas *canvas, float *pixels, int size, const Variation *v)
{
  canvas->pixels = pixels;
  canvas->size = size;
  /* pixel = (size / 2) (scale · R(angle) · face + shift + 1) - 0.5 */
  float half = size * 0.5f;
  float c = cosf (v->angle) * v->scale, s = sinf (v->angle) * v->scale;
  canvas->forward[0] = half * c;
  canvas->forward[1] = -half * s;
  canvas->forward[2] = half * (v->shift_x + 1) - 0.5f;
  canvas->forward[3] = half * s;
  canvas->forward[4] = half * c;
  canvas->forward[5] = half * (v->shift_y + 1) - 0.5f;
  float det = canvas->forward[0] * canvas->forward[4] - canvas->forward[1] * canvas->forward[3];
  canvas->inverse[0] = canvas->forward[4] / det;
  canvas->inverse[1] = -canvas->forward[1] / det;
  canvas->inverse[3] = -canvas->forward[3] / det;
  canvas->inverse[4] = canvas->forward[0] / det;
  canvas->inverse[2] = -(canvas->inverse[0] * canvas->forward[2] + canvas->inverse[1] * canvas->forward[5]);
  canvas->inverse[5] = -(canvas->inverse[3] * canvas->forward[2] + canvas->inverse[4] * canvas->forward[5]);
  canvas->pixel = 1.0f / (half * v->scale);
}

/* An ellipse tested along one pixel row: where is (q < 1)? */
typedef struct {
  float cx, cy, c, s, rx, ry;
} Span;

static void
span_init (Span *span, const Shape *ellipse, float scale)
{
  span->cx = ellipse->cx;
  span->cy = ellipse->cy;
  span->c = cosf (ellipse->angle);
  span->s = sinf (ellipse->angle);
  span->rx = ellipse->rx * scale;
  span->ry = ellipse->ry * scale;
}

/* The pixels i in [*lo, *hi] of row j lie inside the ellipse; FALSE if none do. */
static gboolean
span_row (const Span *span, const Canvas *canvas, int j, float *lo, float *hi)
{
  const float *inv = canvas->inverse;
  /* Along the row, the ellipse's own coordinates are linear in i: u = ua i + ub, w = wa i + wb. */
  float dxa = inv[0], dxb = inv[1] * j + inv[2] - span->cx;
  float dya = inv[3], dyb = inv[4] * j + inv[5] - span->cy;
  float ua = (span->c * dxa + span->s * dya) / span->rx, ub = (span->c * dxb + span->s * dyb) / span->rx;
  float wa = (-span->s * dxa + span->c * dya) / span->ry, wb = (-span->s * dxb + span->c * dyb) / span->ry;
  /* q² = a i² + b i + c */
  float a = ua * ua + wa * wa, b = 2 * (ua * ub + wa * wb), c = ub * ub + wb * wb - 1;
  float discriminant = b * b - 4 * a * c;
  if (discriminant < 0 || a <= 0)
    return FALSE;
  float root = sqrtf (discriminant);
  *lo = (-b - root) / (2 * a);
  *hi = (-b + root) / (2 * a);
  return TRUE;
}

/* Blends `value` into the pixels the shape covers, times `opacity`. Rows are
 * cut to the outline's ellipse, and a plain ellipse's inside is filled without
 * evaluating its edge, which keeps big shapes cheap. */
static void
paint (Canvas *canvas, const Shape *shape, float value, float opacity)
{
  const float *f = canvas->forward;
  const float *inv = canvas->inverse;
  float cx, cy;
  float reach = shape_bounds (shape, canvas->pixel, &cx, &cy);
  float x0 = G_MAXFLOAT, y0 = G_MAXFLOAT, x1 = -G_MAXFLOAT, y1 = -G_MAXFLOAT;
  for (int corner = 0; corner < 4; corner++)
    {
      float fx = cx + (corner & 1 ? reach : -reach);
      float fy = cy + (corner & 2 ? reach : -reach);
      float px = f[0] * fx + f[1] * fy + f[2];
      float py = f[3] * fx + f[4] * fy + f[5];
      x0 = MIN (x0, px), x1 = MAX (x1, px);
      y0 = MIN (y0, py), y1 = MAX (y1, py);
    }
  int i0 = MAX (0, (int) floorf (x0)), i1 = MIN (canvas->size - 1, (int) ceilf (x1));
  int j0 = MAX (0, (int) floorf (y0)), j1 = MIN (canvas->size - 1, (int) ceilf (y1));

  /* Same bounds as shape_cover's early outs: cover is 0 beyond q = 1 + band
   * and 1 within q = 1 - band. */
  const Shape *root = shape;
  while (root->kind == SHAPE_ABOVE || root->kind == SHAPE_BELOW)
    root = root->clip;
  float edge = canvas->pixel * (root->softness > 0 ? root->softness : 1.0f) * 0.5f;
  gboolean has_solid = FALSE;
  Span outer, solid;
  if (root->kind == SHAPE_BAND)
    {
      /* The stroke lies in a rectangle, which lies in the ellipse through its corners. */
      Shape bounds = { SHAPE_ELLIPSE, root->cx, root->cy, (root->rx + edge) * G_SQRT2,
                       (fabsf (root->curve) + root->ry + edge) * G_SQRT2, .angle = root->angle };
      span_init (&outer, &bounds, 1.001f);
    }
  else
    {
      float band = (edge + root->ring) / MIN (root->rx, root->ry);
      span_init (&outer, root, (1 + band) * 1.001f);
      has_solid = root == shape && shape->kind == SHAPE_ELLIPSE && shape->clip == NULL && band < 1;
      if (has_solid)
        {
          /* The egg's lower half is narrower, but never narrower than rx (1 - egg). */
          span_init (&solid, root, (1 - band) * 0.999f);
          solid.rx *= 1 - shape->egg;
        }
    }

  for (int j = j0; j <= j1; j++)
    {
      float *row = canvas->pixels + (gsize) j * canvas->size;
      int start, stop, solid_start = i1 + 1, solid_stop = i1;
      float lo, hi;
      if (!span_row (&outer, canvas, j, &lo, &hi))
        continue;
      /* Clamped while still floats: a nearly tangent row can put the roots far away. */
      start = (int) floorf (CLAMP (lo, (float) i0, (float) i1 + 1));
      stop = (int) ceilf (CLAMP (hi, (float) i0 - 1, (float) i1));
      if (has_solid && span_row (&solid, canvas, j, &lo, &hi))
        {
          solid_start = (int) ceilf (CLAMP (lo, (float) start, (float) stop + 1));
          solid_stop = (int) floorf (CLAMP (hi, (float) start - 1, (float) stop));
        }
      for (int i = start; i <= stop; i++)
        {
          if (i >= solid_start && i <= solid_stop)
            {
              row[i] += (value - row[i]) * opacity;
              continue;
            }
          float x = inv[0] * i + inv[1] * j + inv[2];
          float y = inv[3] * i + inv[4] * j + inv[5];
          float cover = shape_cover (shape, x, y, canvas->pixel) * opacity;
          if (cover > 0)
            row[i] += (value - row[i]) * cover;
        }
    }
}

static void
identity_init (Identity *id, SfRng *rng, HairStyle hair_style, gboolean glasses, gboolean beard)
{
  id->face_w = uniform (rng, 0.48f, 0.62f);
  id->face_h = uniform (rng, 0.64f, 0.78f);
  id->face_y = uniform (rng, -0.02f, 0.08f);
  id->chin = uniform (rng, 0.05f, 0.45f);
  id->skin = uniform (rng, 0.42f, 0.82f);
  id->ear = uniform (rng, 0.8f, 1.2f);

  id->hair_style = hair_style;
  float r = (float) sf_rng_uniform (rng);
  id->hair = r < 0.6f ? uniform (rng, 0.05f, 0.3f) : r < 0.88f ? uniform (rng, 0.3f, 0.5f) : uniform (rng, 0.75f, 0.92f);
  /* Hair must stand out from the skin. */
  if (fabsf (id->hair - id->skin) < 0.2f)
    id->hair = MAX (id->skin - 0.3f, 0.05f);
  id->hair_curve = uniform (rng, 0.1f, 1.4f);
  id->hair_part = uniform (rng, -0.3f, 0.3f) * id->face_w;
  id->hair_volume = uniform (rng, 0.04f, 0.16f);

  id->eye_y = id->face_y - id->face_h * uniform (rng, 0.0f, 0.16f);
  id->eye_dx = id->face_w * uniform (rng, 0.34f, 0.46f);
  id->eye_w = uniform (rng, 0.08f, 0.12f);
  id->eye_ratio = uniform (rng, 0.38f, 0.6f);
  id->iris = uniform (rng, 0.08f, 0.45f);
  id->brow_gap = uniform (rng, 0.09f, 0.16f);
  id->brow_w = id->eye_w * uniform (rng, 1.0f, 1.5f);
  id->brow_thick = uniform (rng, 0.01f, 0.03f);
  id->brow_arch = uniform (rng, -0.045f, 0.005f);
  id->brow_tilt = uniform (rng, -0.3f, 0.25f);
  float line = (id->face_y - id->eye_y) / id->face_h + uniform (rng, 0.3f, 0.6f);
  if (hair_style == HAIR_RECEDING)
    line += 0.2f;
  id->hair_line = id->face_y - id->face_h * line;

  id->nose_y = id->face_y + id->face_h * uniform (rng, 0.1f, 0.3f);
  id->nose_w = id->face_w * uniform (rng, 0.11f, 0.22f);
  id->mouth_y = MIN (id->nose_y + uniform (rng, 0.11f, 0.2f), id->face_y + id->face_h * 0.62f);
  id->mouth_w = id->face_w * uniform (rng, 0.26f, 0.45f);
  id->lip = uniform (rng, 0.012f, 0.032f);
  id->lip_value = id->skin * uniform (rng, 0.5f, 0.8f);
  id->mouth_curve = uniform (rng, -0.02f, 0.035f);

  id->glasses = glasses;
  id->glasses_r = id->eye_w * uniform (rng, 1.5f, 1.9f);
  id->glasses_ratio = uniform (rng, 0.65f, 1.0f);
  id->glasses_value = uniform (rng, 0.03f, 0.3f);
  id->glasses_thick = uniform (rng, 0.012f, 0.028f);
  id->beard = beard;
  id->moustache = beard ? sf_rng_below (rng, 3) > 0 : sf_rng_below (rng, 6) == 0;
  id->beard_value = CLAMP (id->hair * uniform (rng, 0.7f, 1.1f), 0.03f, 0.9f);
  id->beard_density = uniform (rng, 0.5f, 0.85f);

  id->n_marks = (int) sf_rng_below (rng, MAX_MARKS + 1);
  for (int k = 0; k < id->n_marks; k++)
    {
      Mark *mark = &id->marks[k];
      gboolean mole = sf_rng_below (rng, 3) > 0;
      mark->x = id->face_w * uniform (rng, -0.7f, 0.7f);
      mark->y = id->face_y + id->face_h * uniform (rng, -0.05f, 0.6f);
      mark->radius = mole ? uniform (rng, 0.012f, 0.028f) : uniform (rng, 0.08f, 0.16f);
      mark->value = id->skin * (mole ? uniform (rng, 0.35f, 0.7f) : uniform (rng, 0.8f, 1.15f));
      mark->softness = mole ? 1.5f : 12.0f;
    }
}

static void
variation_init (Variation *v, SfRng *rng, const Identity *id)
{
  v->shift_x = clamped_normal (rng, 0.04f, 0.09f);
  v->shift_y = clamped_normal (rng, 0.04f, 0.09f);
  v->angle = clamped_normal (rng, 0.07f, 0.16f);
  v->scale = uniform (rng, 0.9f, 1.08f);
  v->yaw = uniform (rng, -0.25f, 0.25f);

  v->smile = id->mouth_curve + uniform (rng, -0.02f, 0.04f);
  v->mouth_open = sf_rng_below (rng, 4) == 0 ? uniform (rng, 0.008f, 0.04f) : 0;
  v->eye_open = sf_rng_below (rng, 12) == 0 ? 0.12f : uniform (rng, 0.6f, 1.1f);
  v->brow_raise = uniform (rng, -0.012f, 0.02f);
  v->gaze_x = uniform (rng, -0.3f, 0.3f);
  v->gaze_y = uniform (rng, -0.15f, 0.15f);

  float lx = uniform (rng, -0.9f, 0.9f), ly = uniform (rng, -0.7f, 0.2f), lz = 1.0f;
  float norm = sqrtf (lx * lx + ly * ly + lz * lz);
  v->light[0] = lx / norm, v->light[1] = ly / norm, v->light[2] = lz / norm;
  v->ambient = uniform (rng, 0.3f, 0.6f);
  v->brightness = uniform (rng, -0.08f, 0.08f);
  v->contrast = uniform (rng, 0.8f, 1.15f);
  v->noise = uniform (rng, 0.01f, 0.035f);

  v->background = uniform (rng, 0.12f, 0.6f);
  v->background_slope_x = uniform (rng, -0.12f, 0.12f);
  v->background_slope_y = uniform (rng, -0.12f, 0.12f);
  v->clothes = uniform (rng, 0.1f, 0.8f);
}

static void
paint_eye (Canvas *canvas, const Identity *id, const Variation *v, float cx, float side)
{
  /* The eye turned away from the viewer looks narrower. */
  float w = id->eye_w * (1 - 0.35f * v->yaw * side);
  float h = w * id->eye_ratio;
  float cy = id->eye_y;

  Shape socket = { SHAPE_ELLIPSE, cx, cy - h * 0.3f, w * 1.35f, h * 1.9f, .softness = 6 };
  paint (canvas, &socket, id->skin * 0.82f, 0.5f);

  float open = h * v->eye_open;
  Shape sclera = { SHAPE_ELLIPSE, cx, cy, w, MAX (open, 0.004f), .angle = -0.08f * side };
  paint (canvas, &sclera, MIN (id->skin + 0.25f, 0.95f), 1);
  Shape iris = { SHAPE_ELLIPSE, cx + v->gaze_x * w * 0.45f, cy + v->gaze_y * h, h * 0.95f, h * 0.95f,
                 .clip = &sclera };
  paint (canvas, &iris, id->iris, 1);
  Shape pupil = { SHAPE_ELLIPSE, iris.cx, iris.cy, h * 0.4f, h * 0.4f, .clip = &sclera };
  paint (canvas, &pupil, 0.03f, 1);
  Shape lid = { SHAPE_BAND, cx, cy - open * 0.9f, w * 1.05f, 0.008f + 0.004f * v->eye_open,
                .curve = -open * 0.25f, .taper = 0.6f, .angle = -0.08f * side };
  paint (canvas, &lid, id->skin * 0.3f, 0.9f);
}

static void
paint_face (Canvas *canvas, const Identity *id, const Variation *v)
{
  float turn = v->yaw * id->face_w;
  float skin = id->skin;

  Shape shoulders = { SHAPE_ELLIPSE, 0, id->face_y + id->face_h + 0.6f, 1.1f, 0.55f, .softness = 2 };
  paint (canvas, &shoulders, v->clothes, 1);

  /* Hair behind the head: a cap a little larger than the face, down to the shoulders if long. */
  Shape back = { SHAPE_ELLIPSE, turn * 0.05f, id->face_y - id->hair_volume * 0.5f,
                 id->face_w + id->hair_volume, id->face_h + id->hair_volume * 0.7f, .softness = 1.5f };
  if (id->hair_style == HAIR_LONG)
    {
      Shape fall = { SHAPE_ELLIPSE, back.cx, id->face_y + id->face_h * 0.55f,
                     id->face_w + id->hair_volume * 1.3f, id->face_h * 1.05f, .softness = 2 };
      paint (canvas, &fall, id->hair, 1);
    }
  if (id->hair_style == HAIR_LONG)
    paint (canvas, &back, id->hair, 1);
  else if (id->hair_style == HAIR_SHORT)
    {
      /* Cut at the ears. */
      Shape cap = { SHAPE_ABOVE, back.cx, id->eye_y + 0.06f, .softness = 3, .clip = &back };
      paint (canvas, &cap, id->hair, 1);
    }
  else
    {
      /* A ring of hair around the sides only. */
      Shape sides = { SHAPE_BELOW, back.cx, id->eye_y - id->face_h * 0.35f, .curve = -0.3f, .softness = 3,
                      .clip = &back };
      Shape sides_cut = { SHAPE_ABOVE, back.cx, id->eye_y + 0.1f, .softness = 3, .clip = &sides };
      paint (canvas, &sides_cut, id->hair, 0.95f);
    }

  Shape neck = { SHAPE_ELLIPSE, turn * 0.05f, id->face_y + id->face_h * 1.0f,
                 id->face_w * 0.55f, id->face_h * 0.55f };
  paint (canvas, &neck, skin * 0.8f, 1);
  for (float side = -1; side <= 1; side += 2)
    {
      Shape ear = { SHAPE_ELLIPSE, side * id->face_w * 0.97f + turn * 0.05f, id->eye_y + 0.08f,
                    0.065f * id->ear * (1 - 0.3f * v->yaw * side), 0.13f * id->ear };
      paint (canvas, &ear, skin * 0.9f, 1);
    }

  Shape face = { SHAPE_ELLIPSE, turn * 0.12f, id->face_y, id->face_w, id->face_h, .egg = id->chin };
  paint (canvas, &face, skin, 1);

  for (int k = 0; k < id->n_marks; k++)
    {
      const Mark *mark = &id->marks[k];
      Shape blob = { SHAPE_ELLIPSE, mark->x + turn * 0.3f, mark->y, mark->radius, mark->radius,
                     .softness = mark->softness, .clip = &face };
      paint (canvas, &blob, mark->value, 1);
    }

  if (id->beard)
    {
      /* Chin, jaw and sideburns; the cheeks stay bare. */
      Shape beard = { SHAPE_BELOW, turn * 0.3f, id->mouth_y + 0.015f, .curve = -0.9f, .softness = 4,
                      .clip = &face };
      paint (canvas, &beard, id->beard_value, id->beard_density);
    }

  if (id->hair_style != HAIR_RECEDING)
    {
      /* Clipped to a face a pixel larger, so no seam of skin shows through the face's soft edge. */
      Shape under_hair = face;
      under_hair.rx += canvas->pixel;
      under_hair.ry += canvas->pixel;
      Shape fringe = { SHAPE_ABOVE, id->hair_part + turn * 0.2f, id->hair_line, .curve = id->hair_curve,
                       .softness = 1.5f, .clip = &under_hair };
      paint (canvas, &fringe, id->hair, 1);
    }

  float features_x = turn * 0.3f;
  for (float side = -1; side <= 1; side += 2)
    {
      float cx = side * id->eye_dx + features_x;
      Shape brow = { SHAPE_BAND, cx, id->eye_y - id->brow_gap - v->brow_raise, id->brow_w, id->brow_thick,
                     .angle = side * id->brow_tilt, .curve = id->brow_arch, .taper = 0.5f };
      paint (canvas, &brow, MIN (id->hair, skin * 0.5f), 0.95f);
      paint_eye (canvas, id, v, cx, side);
    }

  /* The nose sticks out most, so it moves most when the head turns. */
  float nose_x = turn * 0.5f;
  float light_side = v->light[0] > 0 ? -1 : 1;
  Shape ridge = { SHAPE_BAND, nose_x + light_side * id->nose_w * 0.6f, (id->eye_y + id->nose_y) * 0.5f,
                  (id->nose_y - id->eye_y) * 0.45f, id->nose_w * 0.25f, .angle = G_PI / 2, .softness = 5 };
  paint (canvas, &ridge, skin * 0.7f, 0.5f);
  Shape tip = { SHAPE_ELLIPSE, nose_x, id->nose_y - 0.01f, id->nose_w * 0.6f, id->nose_w * 0.45f,
                .softness = 4 };
  paint (canvas, &tip, MIN (skin * 1.12f, 1.0f), 0.6f);
  for (float side = -1; side <= 1; side += 2)
    {
      Shape nostril = { SHAPE_ELLIPSE, nose_x + side * id->nose_w * 0.5f, id->nose_y + 0.01f,
                        id->nose_w * 0.3f, id->nose_w * 0.16f, .angle = side * 0.4f, .softness = 1.5f };
      paint (canvas, &nostril, skin * 0.35f, 0.9f);
    }

  float mouth_x = turn * 0.25f;
  if (id->moustache)
    {
      Shape moustache = { SHAPE_BAND, mouth_x, id->mouth_y - id->lip - 0.03f, id->mouth_w * 1.1f, 0.022f,
                          .curve = -0.02f, .taper = 0.7f, .softness = 2 };
      paint (canvas, &moustache, id->beard_value, id->beard_density);
    }
  Shape lips = { SHAPE_BAND, mouth_x, id->mouth_y, id->mouth_w, id->lip + v->mouth_open,
                 .curve = v->smile, .taper = 0.8f, .softness = 1.2f };
  paint (canvas, &lips, id->lip_value, 1);
  Shape line = { SHAPE_BAND, mouth_x, id->mouth_y, id->mouth_w * 0.95f, 0.006f + v->mouth_open * 0.8f,
                 .curve = v->smile, .taper = 0.9f };
  paint (canvas, &line, id->lip_value * 0.35f, 1);

  if (id->glasses)
    {
      for (float side = -1; side <= 1; side += 2)
        {
          float cx = side * id->eye_dx + features_x;
          Shape lens = { SHAPE_ELLIPSE, cx, id->eye_y + 0.01f, id->glasses_r,
                         id->glasses_r * id->glasses_ratio };
          paint (canvas, &lens, 0.9f, 0.12f);
          Shape frame = lens;
          frame.kind = SHAPE_RING;
          frame.ring = id->glasses_thick;
          paint (canvas, &frame, id->glasses_value, 1);
        }
      float gap = id->eye_dx - id->glasses_r;
      Shape bridge = { SHAPE_BAND, features_x, id->eye_y - 0.01f, MAX (gap, 0.01f) + 0.01f,
                       id->glasses_thick * 0.5f, .curve = -0.015f };
      paint (canvas, &bridge, id->glasses_value, 1);
    }
}

/* Directional light on the head as a rough ellipsoid, then the camera's
 * brightness and contrast, then sensor noise. */
static void
light_and_noise (Canvas *canvas, const Identity *id, const Variation *v, SfRng *rng)
{
  const float *inv = canvas->inverse;
  const float *light = v->light;
  float head_w = id->face_w + 0.08f, head_h = id->face_h + 0.08f;
  float head_x = v->yaw * id->face_w * 0.12f;
  /* Shades are relative to a surface facing the camera, which keeps its value. */
  float diffuse = (1 - v->ambient) / (v->ambient + (1 - v->ambient) * light[2]);
  float ambient = v->ambient / (v->ambient + (1 - v->ambient) * light[2]);
  float offset = 0.5f - 0.5f * v->contrast + v->brightness;
  int size = canvas->size;
  for (int j = 0; j < size; j++)
    {
      float *row = canvas->pixels + (gsize) j * size;
      for (int i = 0; i < size; i++)
        {
          float x = inv[0] * i + inv[1] * j + inv[2];
          float y = inv[3] * i + inv[4] * j + inv[5];
          /* Outside the head the surface faces the camera, with a gentle gradient. */
          float lambert = light[2] + 0.3f * (light[0] * x + light[1] * y);
          float nx = (x - head_x) / head_w, ny = (y - id->face_y) / head_h;
          float q2 = nx * nx + ny * ny;
          if (q2 < 1.05f)
            {
              float inside = 1 - smoothstep (0.8f, 1.05f, q2);
              float nz = sqrtf (MAX (1 - q2, 0.0f));
              float head = MAX (nx * light[0] + ny * light[1] + nz * light[2], 0.0f);
              lambert += (head - lambert) * inside;
            }
          float value = row[i] * (ambient + diffuse * lambert) * v->contrast + offset;
          /* Triangular noise from the two halves of one draw. */
          guint64 bits = sf_rng_next (rng);
          value += v->noise * ((float) (bits >> 40) + (float) ((bits >> 8) & 0xffffff) - 16777215.0f)
                   * (1.0f / 16777216.0f);
          row[i] = value < 0 ? 0 : value > 1 ? 1 : value;
        }
    }
}

static void
render (float *pixels, int size, const Identity *id, const Variation *v, SfRng *rng)
{
  for (int j = 0; j < size; j++)
    for (int i = 0; i < size; i++)
      {
        float x = (i + 0.5f) * 2 / size - 1, y = (j + 0.5f) * 2 / size - 1;
        pixels[(gsize) j * size + i] = v->background + v->background_slope_x * x + v->background_slope_y * y;
      }
  Canvas canvas;
  canvas_init (&canvas, pixels, size, v);
  paint_face (&canvas, id, v);
  light_and_noise (&canvas, id, v, rng);
}

SfDataset *
sf_demo_faces_generate (int size, guint64 seed, GError **error)
{
  if (size < MIN_SIZE || size > SF_MAX_IMAGE_SIDE)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("demo faces: invalid image size %d (%d to %d)"),
                   size, MIN_SIZE, SF_MAX_IMAGE_SIDE);
      return NULL;
    }
  SfDataset *dataset = sf_dataset_new (SF_DATASET_FORMAT_DEMO, N_IDENTITIES * N_PER_IDENTITY, size, size,
                                       N_IDENTITIES, error);
  if (dataset == NULL)
    return NULL;

  SfRng rng;
  sf_rng_seed (&rng, seed);
  /* Fixed shares of the distinctive extras, dealt out at random, so every seed
   * has some glasses, beards, long hair and receding hair lines. */
  int hair[N_IDENTITIES], glasses[N_IDENTITIES], beard[N_IDENTITIES];
  for (int p = 0; p < N_IDENTITIES; p++)
    {
      hair[p] = p < 6 ? HAIR_LONG : p < 9 ? HAIR_RECEDING : HAIR_SHORT;
      glasses[p] = p < 5;
      beard[p] = p < 4;
    }
  sf_rng_shuffle (&rng, hair, N_IDENTITIES);
  sf_rng_shuffle (&rng, glasses, N_IDENTITIES);
  sf_rng_shuffle (&rng, beard, N_IDENTITIES);

  for (int p = 0; p < N_IDENTITIES; p++)
    {
      Identity id;
      identity_init (&id, &rng, (HairStyle) hair[p], glasses[p], beard[p]);
      dataset->person_names[p] = g_strdup_printf ("Demo %d", p + 1);
      for (int k = 0; k < N_PER_IDENTITY; k++)
        {
          int index = p * N_PER_IDENTITY + k;
          Variation v;
          variation_init (&v, &rng, &id);
          render (dataset->pixels + (gsize) index * size * size, size, &id, &v, &rng);
          dataset->labels[index] = p;
        }
    }
  return dataset;
}
