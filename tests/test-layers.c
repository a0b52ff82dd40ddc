/* Layers and convolution: fast paths against their reference twins, and every
 * gradient against central finite differences. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "batchnorm.h"
#include "conv.h"
#include "conv-direct.h"
#include "conv-direct-bf16.h"
#include "depthwise.h"
#include "gemm.h"
#include "heads.h"
#include "layers.h"
#include "residual.h"
#include "rng.h"
#include "winograd.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static float *
random_floats (SfRng *rng, gsize n, float lo, float hi)
{
  float *x = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    x[i] = lo + (hi - lo) * (float) sf_rng_uniform (rng);
  return x;
}

/* Distinct values (k + 0.5)·step + lo in a random order: no ties within
 * 2·step/2, none within step/2 of zero when lo is a multiple of step. */
static float *
distinct_floats (SfRng *rng, gsize n, float lo, float step)
{
  int *order = g_new (int, n);
  for (gsize i = 0; i < n; i++)
    order[i] = (int) i;
  sf_rng_shuffle (rng, order, (int) n);
  float *x = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    x[i] = lo + (order[i] + 0.5f) * step;
  g_free (order);
  return x;
}

/* Returns the largest error relative to the largest |want|. */
static double
assert_close (const char *what, const float *got, const float *want, gsize n, double tol)
{
  double scale = 0, worst = 0;
  for (gsize i = 0; i < n; i++)
    scale = MAX (scale, fabs (want[i]));
  for (gsize i = 0; i < n; i++)
    {
      double err = fabs ((double) got[i] - want[i]);
      worst = MAX (worst, err / MAX (scale, 1e-6));
      if (err > tol * MAX (scale, 1e-6))
        {
          g_test_message ("%s: element %" G_GSIZE_FORMAT ": got %.9g, want %.9g (scale %g)", what, i, got[i], want[i],
                          scale);
          g_test_fail ();
          return worst;
        }
    }
  return worst;
}

typedef double (*Objective) (gpointer data);

/* Compares analytic[n] with central differences of f over the floats x[n]:
 * the relative error of the two vectors, and of every element against the
 * largest, must stay below tol. */
static void
assert_gradient (const char *what, float *x, gsize n, const float *analytic, Objective f, gpointer data, float eps,
                 double tol)
{
  double *numeric = g_new (double, n);
  double diff2 = 0, num2 = 0, ana2 = 0, largest = 0;
  for (gsize i = 0; i < n; i++)
    {
      float save = x[i];
      x[i] = save + eps;
      double up = f (data);
      float hi = x[i];
      x[i] = save - eps;
      double down = f (data);
      float lo = x[i];
      x[i] = save;
      numeric[i] = (up - down) / ((double) hi - lo);
      diff2 += (numeric[i] - analytic[i]) * (numeric[i] - analytic[i]);
      num2 += numeric[i] * numeric[i];
      ana2 += (double) analytic[i] * analytic[i];
      largest = MAX (largest, MAX (fabs (numeric[i]), fabs (analytic[i])));
    }
  double rel = sqrt (diff2) / MAX (sqrt (num2) + sqrt (ana2), 1e-12);
  if (rel > tol)
    {
      g_test_message ("%s: relative error %g > %g", what, rel, tol);
      g_test_fail ();
    }
  for (gsize i = 0; i < n; i++)
    if (fabs (numeric[i] - analytic[i]) > 10 * tol * MAX (largest, 1e-9))
      {
        g_test_message ("%s: element %" G_GSIZE_FORMAT ": numeric %.7g, analytic %.7g", what, i, numeric[i],
                        analytic[i]);
        g_test_fail ();
        break;
      }
  g_free (numeric);
}

static double
dot (const float *a, const float *r, gsize n)
{
  double sum = 0;
  for (gsize i = 0; i < n; i++)
    sum += (double) a[i] * r[i];
  return sum;
}

/* ------------------------------------------------------------------------ */
/* Convolution                                                              */

/* The fast path over N images in chunks, NCHW in and out. */
static void
fast_conv_forward (const SfConv *conv, float *out, const float *inp, const float *weight, const float *bias, int N,
                   int chunk)
{
  const SfConvShape *s = &conv->shape;
  gsize hw = (gsize) s->H * s->W, ohw = (gsize) conv->out_h * conv->out_w;
  float *cache = g_new (float, MAX (sf_conv_cache_size (conv), 1));
  float *ws = g_new (float, MAX (sf_conv_workspace_size (conv, chunk), 1));
  float *y = g_new (float, s->OC * chunk * ohw);
  SfAct none = { SF_ACT_NONE, 0 };
  sf_conv_prepare (conv, cache, weight);
  for (int i0 = 0; i0 < N; i0 += chunk)
    {
      int n = MIN (chunk, N - i0);
      sf_conv_forward (conv, y, inp + i0 * s->C * hw, n, weight, cache, ws);
      sf_bias_act_pool_forward (out + i0 * s->OC * ohw, NULL, y, ohw, n * ohw, bias, n, s->OC, conv->out_h,
                                conv->out_w, none, 1);
    }
  g_free (cache);
  g_free (ws);
  g_free (y);
}

static void
fast_conv_backward (const SfConv *conv, float *dinp, float *dweight, float *dbias, const float *dout,
                    const float *inp, const float *weight, int N, int chunk)
{
  const SfConvShape *s = &conv->shape;
  gsize hw = (gsize) s->H * s->W, ohw = (gsize) conv->out_h * conv->out_w;
  float *cache = g_new (float, MAX (sf_conv_cache_size (conv), 1));
  float *ws = g_new (float, MAX (sf_conv_workspace_size (conv, chunk), 1));
  float *dy = g_new (float, s->OC * chunk * ohw);
  float *dacc = g_new0 (float, sf_conv_dacc_size (conv));
  SfAct none = { SF_ACT_NONE, 0 };
  sf_conv_prepare (conv, cache, weight);
  for (int i0 = 0; i0 < N; i0 += chunk)
    {
      int n = MIN (chunk, N - i0);
      const float *g = dout + i0 * s->OC * ohw;
      sf_bias_act_pool_backward (dy, dbias, g, g, NULL, ohw, n * ohw, n, s->OC, conv->out_h, conv->out_w, none, 1);
      sf_conv_backward (conv, dinp != NULL ? dinp + i0 * s->C * hw : NULL, dacc, dy, inp + i0 * s->C * hw, n, weight,
                        cache, ws);
    }
  sf_conv_finish (conv, dweight, dacc);
  g_free (cache);
  g_free (ws);
  g_free (dy);
  g_free (dacc);
}

static const SfConvShape conv_shapes[] = {
  { 3, 7, 9, 4, 0 },
  { 2, 5, 3, 5, 0 },
  { 1, 1, 2, 3, 0 },
  { 4, 6, 6, 2, 0 },
  { 5, 2, 11, 3, 0 },
};

/* conv's fast path against the reference convolution on N random images in
 * chunks: output, input gradient, accumulated weight and bias gradients, and
 * the weight gradient again without an input gradient; with nchw, the
 * direct path's [n, OC, H, W] entry points too. */
static double
check_conv_within (const SfConv *conv, int N, int chunk, SfRng *rng, gboolean nchw, const char *what, double tol)
{
  double worst = 0;
  const SfConvShape s = conv->shape;
  gsize n_in = (gsize) N * s.C * s.H * s.W, n_out = (gsize) N * s.OC * conv->out_h * conv->out_w;
  gsize n_w = (gsize) s.OC * s.C * s.K * s.K, in_image = (gsize) s.C * s.H * s.W, out_image = n_out / N;
  float *x = random_floats (rng, n_in, -1, 1), *w = random_floats (rng, n_w, -1, 1);
  float *b = random_floats (rng, s.OC, -1, 1), *g = random_floats (rng, n_out, -1, 1);
  float *want = g_new (float, n_out), *got = g_new (float, n_out);
  sf_conv2d_forward_ref (want, x, w, b, N, &s);
  fast_conv_forward (conv, got, x, w, b, N, chunk);
  worst = MAX (worst, assert_close (what, got, want, n_out, tol));

  float *dx_want = g_new (float, n_in), *dx_got = g_new (float, n_in);
  float *dw_want = g_new (float, n_w), *dw_got = g_new (float, n_w);
  float *db_want = g_new0 (float, s.OC), *db_got = g_new0 (float, s.OC);
  /* Accumulation: both start from the same nonzero values. */
  for (gsize i = 0; i < n_w; i++)
    dw_want[i] = dw_got[i] = 0.25f;
  sf_conv2d_backward_ref (dx_want, dw_want, db_want, g, x, w, N, &s);
  fast_conv_backward (conv, dx_got, dw_got, db_got, g, x, w, N, chunk);
  worst = MAX (worst, assert_close (what, dx_got, dx_want, n_in, tol));
  worst = MAX (worst, assert_close (what, dw_got, dw_want, n_w, tol));
  worst = MAX (worst, assert_close (what, db_got, db_want, s.OC, tol));
  /* No input gradient asked for: the weight gradient is unchanged. */
  for (gsize i = 0; i < n_w; i++)
    dw_got[i] = 0.25f;
  memset (db_got, 0, sizeof (float) * s.OC);
  fast_conv_backward (conv, NULL, dw_got, db_got, g, x, w, N, chunk);
  worst = MAX (worst, assert_close (what, dw_got, dw_want, n_w, tol));

  if (nchw)
    {
      /* Bias added and its gradient summed in the same passes. */
      float *cache = g_new (float, sf_conv_cache_size (conv));
      float *dacc = g_new0 (float, sf_conv_dacc_size (conv));
      sf_conv_prepare (conv, cache, w);
      for (int i0 = 0; i0 < N; i0 += chunk)
        sf_conv_forward_nchw (conv, got + i0 * out_image, x + i0 * in_image, MIN (chunk, N - i0), b, cache);
      assert_close (what, got, want, n_out, 1e-5);
      memset (db_got, 0, sizeof (float) * s.OC);
      for (int i0 = 0; i0 < N; i0 += chunk)
        sf_conv_backward_nchw (conv, dx_got + i0 * in_image, dacc, db_got, g + i0 * out_image, x + i0 * in_image,
                               MIN (chunk, N - i0), cache);
      for (gsize i = 0; i < n_w; i++)
        dw_got[i] = 0.25f;
      sf_conv_finish (conv, dw_got, dacc);
      assert_close (what, dx_got, dx_want, n_in, 1e-5);
      assert_close (what, dw_got, dw_want, n_w, 1e-5);
      assert_close (what, db_got, db_want, s.OC, 1e-5);
      g_free (cache), g_free (dacc);
    }
  g_free (x), g_free (w), g_free (b), g_free (g), g_free (want), g_free (got);
  g_free (dx_want), g_free (dx_got), g_free (dw_want), g_free (dw_got), g_free (db_want), g_free (db_got);
  return worst;
}

static void
check_conv_against_reference (const SfConv *conv, int N, int chunk, SfRng *rng, gboolean nchw, const char *what)
{
  check_conv_within (conv, N, chunk, rng, nchw, what, 1e-5);
}

static void
test_conv_matches_direct (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 11);
  const int N = 5;
  for (guint shape_index = 0; shape_index < G_N_ELEMENTS (conv_shapes); shape_index++)
    for (int K = 1; K <= 7; K += 2)
      for (int algo = SF_CONV_IM2COL; algo <= SF_CONV_WINOGRAD; algo++)
        for (int chunk = 2; chunk <= N; chunk += 3)
          {
            SfConvShape s = conv_shapes[shape_index];
            s.K = K;
            SfConv conv;
            sf_conv_init (&conv, &s, (SfConvAlgo) algo);
            g_assert_cmpint (conv.algo, ==,
                             algo == SF_CONV_WINOGRAD && (K == 3 || K == 5) ? SF_CONV_WINOGRAD : SF_CONV_IM2COL);
            /* F(2×2) here, at its bound; F(4×4, 3×3) has its own test. */
            if (conv.algo == SF_CONV_WINOGRAD)
              sf_winograd_init (&conv, 2);
            g_autofree char *what = g_strdup_printf ("%s k%d C%d %dx%d OC%d chunk %d",
                                                     conv.algo == SF_CONV_WINOGRAD ? "winograd" : "im2col", K, s.C,
                                                     s.H, s.W, s.OC, chunk);
            check_conv_against_reference (&conv, N, chunk, &rng, FALSE, what);
          }
}

/* Reports the largest error relative to the largest |value| of Winograd F(m×m, k×k)
 * against the reference convolution, forward and both gradients, over
 * `shapes` (kernel size k each) at two chunk sizes of a batch of 5, with the
 * weight gradient accumulated in the transformed domain and folded per chunk
 * (conv.fold, which only large layers choose); each check fails the test
 * above `bound`. */
static void
winograd_worst_error (const SfConvShape *shapes, guint n_shapes, int m, guint64 seed, double bound)
{
  SfRng rng;
  sf_rng_seed (&rng, seed);
  const int N = 5;
  double worst = 0, worst_folded = 0;
  for (guint k = 0; k < n_shapes; k++)
    for (int chunk = 2; chunk <= N; chunk += 3)
      for (int fold = 0; fold <= 1; fold++)
        {
          SfConvShape s = shapes[k];
          SfConv conv;
          sf_conv_init (&conv, &s, SF_CONV_WINOGRAD);
          sf_winograd_init (&conv, m);
          g_assert_cmpint (conv.alpha, ==, m + s.K - 1);
          g_assert_cmpint (conv.tiles, ==, ((s.H + m - 1) / m) * ((s.W + m - 1) / m));
          g_assert_false (conv.fold);
          conv.fold = fold;
          g_autofree char *what = g_strdup_printf ("winograd F(%d,%d) C%d %dx%d OC%d chunk %d%s", m, s.K, s.C, s.H,
                                                   s.W, s.OC, chunk, fold ? " folded" : "");
          double error = check_conv_within (&conv, N, chunk, &rng, FALSE, what, bound);
          if (fold)
            worst_folded = MAX (worst_folded, error);
          else
            worst = MAX (worst, error);
        }
  g_test_message ("F(%dx%d, %dx%d): largest relative error %.3g, folded %.3g", m, m, shapes[0].K, shapes[0].K, worst,
                  worst_folded);
}

/* Winograd F(4×4, 3×3) against the reference convolution, forward and both
 * gradients, on odd sides (tiles cut by the plane's edge, planes smaller
 * than one tile) and chunks that split the batch. Its transforms evaluate at
 * ±2 and weigh by up to 1/6 and 5, so float rounding grows: on these
 * shapes (C ≤ 24, values in [-1, 1]) the largest error relative to the
 * largest |value| measured 3.3e-6, against 7.2e-7 for F(2×2, 3×3) on the
 * same shapes (4.2e-6, and 2.5e-6 with the weight gradient folded per chunk,
 * since each shape also runs folded). The bound 2e-5 leaves 5× headroom; a coefficient of the
 * transforms off by 0.1 % or a wrong tile edge fails it. */
static void
test_conv_winograd_f43 (void)
{
  static const SfConvShape shapes[] = {
    { 3, 7, 9, 4, 3 }, { 2, 5, 3, 5, 3 }, { 1, 1, 2, 3, 3 }, { 5, 2, 11, 3, 3 }, { 6, 13, 10, 7, 3 },
    { 24, 9, 5, 16, 3 }, { 8, 4, 4, 8, 3 }, { 3, 17, 1, 2, 3 },
  };
  winograd_worst_error (shapes, G_N_ELEMENTS (shapes), 4, 19, 2e-5);
}

/* Winograd F(2×2, 5×5), F(3×3, 5×5) and F(4×4, 5×5) against the reference
 * convolution, forward and both gradients, on sides 3 does not divide
 * (tiles cut by the plane's edge), planes smaller than one tile, and chunks
 * that split the batch. F(3×3) adds the point 1/2 and F(4×4) 1/2 and -1/2
 * to F(2×2)'s 0, ±1, ±2, ∞; on these shapes (C ≤ 32, values in [-1, 1]) the
 * largest error relative to the largest |value| measured 1.95e-5 for F(2×2),
 * 1.31e-5 for F(3×3) and 1.14e-5 for F(4×4, 5×5) (the weight gradient, summed
 * over many tiles in the transformed domain, is the largest; on layers of
 * 32–96 channels the root mean square errors measured 1.4–3.8e-6, F(4×4)'s
 * about 1.5× F(2×2)'s; since each shape also runs with the weight
 * gradient folded per chunk: 1.37e-5, 7.9e-6, 1.05e-5, and folded 1.26e-5,
 * 9.0e-6, 1.6e-5). The bound 1e-4 leaves 5× headroom; a transform coefficient off by 0.1 % or a tile row
 * lost at the plane's edge fails it. */
static void
test_conv_winograd_f5 (void)
{
  static const SfConvShape shapes[] = {
    { 3, 7, 11, 4, 5 }, { 2, 5, 3, 5, 5 }, { 1, 1, 2, 3, 5 }, { 5, 2, 13, 3, 5 }, { 6, 13, 10, 7, 5 },
    { 24, 10, 8, 16, 5 }, { 32, 16, 16, 24, 5 }, { 3, 17, 1, 2, 5 }, { 16, 32, 32, 8, 5 },
  };
  for (int m = 2; m <= 4; m++)
    {
      winograd_worst_error (shapes, G_N_ELEMENTS (shapes), m, 23, 1e-4);
    }
}

/* The lowering picks the tile whose tiles, rounded up at the plane's edges,
 * need the fewest GEMM multiply-adds: F(4×4, ·) only on planes of 8×8 and
 * more, F(3×3, ·) only for 5×5 kernels; SF_WINOGRAD_TILE=2 forces F(2×2, ·)
 * for both kernel sizes. */
static void
test_conv_winograd_tile_choice (void)
{
  static const struct {
    SfConvShape shape;
    int m;
  } cases[] = {
    { { 32, 12, 12, 32, 3 }, 4 },
    { { 32, 8, 9, 32, 3 }, 4 },    /* 6 tiles of 36 against 20 of 16 */
    { { 64, 4, 4, 128, 3 }, 2 },   /* 4×4: fewer multiply-adds, but no faster (measured) */
    { { 32, 7, 7, 32, 3 }, 2 },    /* F(3×3, 3×3) is not offered */
    { { 96, 32, 32, 256, 5 }, 4 }, /* the article's conv256k5: 64 tiles of 64 against 121 of 49, 256 of 36 */
    { { 32, 12, 12, 32, 5 }, 4 },  /* 9 of 64 against 16 of 49, 36 of 36 */
    { { 32, 9, 9, 32, 5 }, 3 },    /* 9 of 49 against 9 of 64, 25 of 36 */
    { { 32, 6, 6, 32, 5 }, 3 },    /* under 8×8: 4 of 49 against 9 of 36 */
    { { 32, 6, 17, 32, 5 }, 3 },
    { { 64, 4, 4, 128, 5 }, 2 },   /* 4 of 36 against 4 of 49; F(4×4): 1 of 64, but slower (measured) */
  };
  SfConv conv;
  g_unsetenv ("SF_WINOGRAD_TILE");
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      const SfConvShape *s = &cases[k].shape;
      sf_conv_init (&conv, s, SF_CONV_WINOGRAD);
      g_test_message ("k%d %dx%d: F(%dx%d)", s->K, s->H, s->W, conv.m, conv.m);
      g_assert_cmpint (conv.m, ==, cases[k].m);
      g_assert_cmpint (conv.alpha, ==, cases[k].m + s->K - 1);
    }
  g_setenv ("SF_WINOGRAD_TILE", "2", TRUE);
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      sf_conv_init (&conv, &cases[k].shape, SF_CONV_WINOGRAD);
      g_assert_cmpint (conv.m, ==, 2);
      g_assert_cmpint (conv.alpha, ==, cases[k].shape.K + 1);
    }
  g_unsetenv ("SF_WINOGRAD_TILE");
}

/* Strided convolutions (im2col) against the reference on odd and even
 * sides, kernels larger than the image, and every lowering asked for. */
static void
test_conv_strided_matches_reference (void)
{
  static const SfConvShape shapes[] = {
    { 3, 7, 9, 4, 3, 2 }, { 2, 8, 8, 5, 1, 2 }, { 1, 5, 6, 3, 5, 3 }, { 4, 2, 3, 2, 7, 2 }, { 2, 16, 16, 3, 3, 4 },
  };
  SfRng rng;
  sf_rng_seed (&rng, 17);
  const int N = 4;
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    for (int algo = SF_CONV_AUTO; algo <= SF_CONV_DIRECT; algo++)
      {
        SfConvShape s = shapes[k];
        SfConv conv;
        sf_conv_init (&conv, &s, (SfConvAlgo) algo);
        g_assert_cmpint (conv.algo, ==, SF_CONV_IM2COL);
        g_assert_cmpint (conv.out_h, ==, (s.H + 2 * (s.K / 2) - s.K) / s.stride + 1);
        g_assert_cmpint (conv.out_w, ==, (s.W + 2 * (s.K / 2) - s.K) / s.stride + 1);
        g_autofree char *what = g_strdup_printf ("strided k%d s%d C%d %dx%d OC%d", s.K, s.stride, s.C, s.H, s.W, s.OC);
        check_conv_against_reference (&conv, N, 3, &rng, FALSE, what);
      }
}

/* The reference's stride by hand: a 1×1 kernel of 1 at stride 2 picks every other pixel of every other row. */
static void
test_conv_strided_by_hand (void)
{
  SfConvShape s = { 1, 3, 4, 1, 1, 2 };
  float x[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, w = 1, y[4];
  sf_conv2d_forward_ref (y, x, &w, NULL, 1, &s);
  float want[4] = { 1, 3, 9, 11 };
  g_assert_cmpmem (y, sizeof y, want, sizeof want);
  /* 3×3 ones at stride 2 (padding 1): the sums of the neighbourhoods of (0, 0), (0, 2), (2, 0), (2, 2). */
  SfConvShape t = { 1, 3, 4, 1, 3, 2 };
  float ones[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  sf_conv2d_forward_ref (y, x, ones, NULL, 1, &t);
  float sums[4] = { 1 + 2 + 5 + 6, 2 + 3 + 4 + 6 + 7 + 8, 5 + 6 + 9 + 10, 6 + 7 + 8 + 10 + 11 + 12 };
  g_assert_cmpmem (y, sizeof y, sums, sizeof sums);
}

/* The direct path (whichever kernels run) on planes 16 to 128 wide (one to
 * four vectors a row, a row of three, and blocks of output channels cut by
 * the count), one-row planes (top and bottom edge at once) and channel
 * counts that are not powers of two: the largest error relative to the
 * largest |value|, each check failing above bound. */
static double
direct_worst_error (guint64 seed, double bound)
{
  static const SfConvShape shapes[] = {
    { 1, 5, 16, 16, 3 }, { 3, 4, 32, 8, 3 }, { 2, 3, 64, 5, 3 }, { 16, 2, 48, 7, 3 },
    { 5, 1, 16, 3, 3 }, { 7, 6, 16, 21, 3 }, { 4, 3, 128, 2, 3 }, { 2, 4, 48, 3, 3 },
  };
  SfRng rng;
  sf_rng_seed (&rng, seed);
  const int N = 3;
  double worst = 0;
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    for (int chunk = 1; chunk <= N; chunk += 2)
      {
        SfConvShape s = shapes[k];
        SfConv conv;
        sf_conv_init (&conv, &s, SF_CONV_DIRECT);
        g_assert_cmpint (conv.algo, ==, SF_CONV_DIRECT);
        g_autofree char *what = g_strdup_printf ("direct %s C%d %dx%d OC%d chunk %d", sf_conv_direct_kernels (), s.C,
                                                 s.H, s.W, s.OC, chunk);
        worst = MAX (worst, check_conv_within (&conv, N, chunk, &rng, TRUE, what, bound));
      }
  return worst;
}

static void
test_conv_direct_matches_reference (void)
{
  if (!sf_conv_direct_supported (3, 16))
    {
      g_test_skip ("this CPU has neither AVX-512 nor AVX2: the direct convolution is not used here");
      return;
    }
  direct_worst_error (13, 1e-5);
  /* Where the direct path cannot run (a plane of 3 × 12: neither 16 wide nor
   * whole vectors of 16), asking for it gives one that can. */
  SfConvShape narrow = { 2, 3, 12, 3, 3 }, wide_kernel = { 2, 4, 16, 3, 5 };
  SfConv conv;
  sf_conv_init (&conv, &narrow, SF_CONV_DIRECT);
  g_assert_cmpint (conv.algo, !=, SF_CONV_DIRECT);
  sf_conv_init (&conv, &wide_kernel, SF_CONV_DIRECT);
  g_assert_cmpint (conv.algo, !=, SF_CONV_DIRECT);
}

/* Every element of got within the bf16 bound of want: rounding both factors
 * to bf16 (8 significant bits, u = 2^-8) changes a product by at most
 * (2u + u²) of |ab|, and the fp32 sums of K terms add K·2^-24 of Σ|ab| more
 * (ours and the reference's, hence 2K), so |got − want| ≤ (2^-7 + 2^-16 +
 * 2K·2^-24)·Σ|ab| (abs_sum, the same sums of absolute values) + 2^-22·|want|.
 * Returns the largest error as a share of its bound. */
static double
assert_within_bf16_bound (const char *what, const float *got, const float *want, const float *abs_sum, gsize n,
                          double K)
{
  double worst = 0;
  for (gsize i = 0; i < n; i++)
    {
      double bound = (0x1p-7 + 0x1p-16 + 2 * K * 0x1p-24) * abs_sum[i] + 0x1p-22 * fabs (want[i]) + 1e-6;
      double error = fabs ((double) got[i] - want[i]);
      if (!(error <= bound))
        g_error ("%s: element %" G_GSIZE_FORMAT ": %.9g against %.9g, bound %.3g", what, i, got[i], want[i], bound);
      worst = MAX (worst, error / bound);
    }
  return worst;
}

static float *
absolute (const float *x, gsize n)
{
  float *a = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    a[i] = fabsf (x[i]);
  return a;
}

/* The direct path in bf16 (AVX512_BF16) on the shapes of direct_worst_error:
 * the output, the input gradient and the accumulated weight gradient each
 * within the bf16 bound of the fp32 reference, element by element; the
 * bias and its gradient, added in fp32, within the fp32 path's 1e-5. A tap's
 * weight paired with the wrong channel, or an edge lane gone wrong, fails it
 * by far. */
static void
test_conv_direct_bf16_matches_reference (void)
{
  if (!sf_conv_direct_bf16_available () || g_strcmp0 (sf_conv_direct_kernels (), "AVX-512") != 0)
    {
      g_test_skip ("this CPU (or build) has no AVX512_BF16: the direct convolution runs in fp32 here");
      return;
    }
  static const SfConvShape shapes[] = {
    { 1, 5, 16, 16, 3 }, { 3, 4, 32, 8, 3 }, { 2, 3, 64, 5, 3 }, { 16, 2, 48, 7, 3 },
    { 5, 1, 16, 3, 3 }, { 7, 6, 16, 21, 3 }, { 4, 3, 128, 2, 3 }, { 2, 4, 48, 3, 3 }, { 16, 32, 32, 16, 3 },
    /* Planes narrower than 16: several rows, or a whole plane, per vector. */
    { 6, 8, 8, 5, 3 }, { 3, 4, 4, 7, 3 }, { 2, 8, 2, 3, 3 }, { 32, 8, 8, 64, 3 }, { 17, 4, 4, 33, 3 },
    /* Two images per call of the weight kernels, then one. */
    { 3, 16, 32, 5, 3 },
  };
  sf_gemm_set_precision (SF_PRECISION_BF16);
  g_assert_true (sf_conv_direct_bf16_runs (2) && !sf_conv_direct_bf16_runs (1) && sf_conv_direct_bf16_weights_run ());
  SfRng rng;
  sf_rng_seed (&rng, 31);
  const int N = 3;
  double worst = 0, changed = 0;
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    for (int chunk = 1; chunk <= N; chunk += 2)
      {
        SfConvShape s = shapes[k];
        SfConv conv;
        sf_conv_init (&conv, &s, SF_CONV_DIRECT);
        g_assert_cmpint (conv.algo, ==, SF_CONV_DIRECT);
        g_autofree char *what = g_strdup_printf ("direct bf16 C%d %dx%d OC%d chunk %d", s.C, s.H, s.W, s.OC, chunk);
        gsize n_in = (gsize) N * s.C * s.H * s.W, n_out = (gsize) N * s.OC * s.H * s.W, n_w = (gsize) s.OC * s.C * 9;
        float *x = random_floats (&rng, n_in, -1, 1), *w = random_floats (&rng, n_w, -1, 1);
        float *b = random_floats (&rng, s.OC, -1, 1), *g = random_floats (&rng, n_out, -1, 1);
        float *ax = absolute (x, n_in), *aw = absolute (w, n_w), *ag = absolute (g, n_out);
        float *want = g_new (float, n_out), *got = g_new (float, n_out), *abs_y = g_new (float, n_out);
        sf_conv2d_forward_ref (want, x, w, b, N, &s);
        sf_conv2d_forward_ref (abs_y, ax, aw, NULL, N, &s);
        fast_conv_forward (&conv, got, x, w, b, N, chunk);
        worst = MAX (worst, assert_within_bf16_bound (what, got, want, abs_y, n_out, 9.0 * s.C));
        for (gsize i = 0; i < n_out; i++)
          changed = MAX (changed, fabs (got[i] - want[i]));

        float *dx_want = g_new (float, n_in), *dx_got = g_new (float, n_in), *abs_dx = g_new (float, n_in);
        float *dw_want = g_new (float, n_w), *dw_got = g_new (float, n_w), *abs_dw = g_new0 (float, n_w);
        float *db_want = g_new0 (float, s.OC), *db_got = g_new0 (float, s.OC), *abs_db = g_new0 (float, s.OC);
        for (gsize i = 0; i < n_w; i++)
          dw_want[i] = dw_got[i] = 0.25f;
        sf_conv2d_backward_ref (dx_want, dw_want, db_want, g, x, w, N, &s);
        sf_conv2d_backward_ref (abs_dx, abs_dw, abs_db, ag, ax, aw, N, &s);
        for (gsize i = 0; i < n_w; i++)
          abs_dw[i] += 0.25f;
        fast_conv_backward (&conv, dx_got, dw_got, db_got, g, x, w, N, chunk);
        /* One input channel: its gradient pairs output channels, as any other. */
        worst = MAX (worst, assert_within_bf16_bound (what, dx_got, dx_want, abs_dx, n_in, 9.0 * s.OC));
        worst = MAX (worst, assert_within_bf16_bound (what, dw_got, dw_want, abs_dw, n_w, (double) N * s.H * s.W));
        assert_close (what, db_got, db_want, s.OC, 1e-5);
        g_free (x), g_free (w), g_free (b), g_free (g), g_free (ax), g_free (aw), g_free (ag);
        g_free (want), g_free (got), g_free (abs_y), g_free (dx_want), g_free (dx_got), g_free (abs_dx);
        g_free (dw_want), g_free (dw_got), g_free (abs_dw), g_free (db_want), g_free (db_got), g_free (abs_db);
      }
  /* Planes narrower than 16 planned in bf16, then run in fp32 (the
   * precision changed after the plan): their plain loops, exact. */
  static const SfConvShape small[] = { { 6, 8, 8, 5, 3 }, { 3, 4, 4, 7, 3 }, { 2, 8, 2, 3, 3 } };
  for (guint k = 0; k < G_N_ELEMENTS (small); k++)
    {
      SfConv conv;
      sf_gemm_set_precision (SF_PRECISION_BF16);
      sf_conv_init (&conv, &small[k], SF_CONV_AUTO);
      g_assert_cmpint (conv.algo, ==, SF_CONV_DIRECT);
      sf_gemm_set_precision (SF_PRECISION_FP32);
      g_autofree char *what = g_strdup_printf ("direct, planned in bf16, fp32 C%d %dx%d OC%d", small[k].C, small[k].H,
                                               small[k].W, small[k].OC);
      check_conv_within (&conv, N, 2, &rng, TRUE, what, 1e-5);
      /* Planned in fp32, they take another path even when asked for this one. */
      sf_conv_init (&conv, &small[k], SF_CONV_DIRECT);
      g_assert_cmpint (conv.algo, !=, SF_CONV_DIRECT);
    }
  sf_gemm_set_precision (SF_PRECISION_DEFAULT);
  /* It ran in bf16: fp32 would have left the outputs within 1e-5. */
  g_assert_cmpfloat (changed, >, 1e-4);
  g_test_message ("direct bf16: largest error %.3g of its bound", worst);
}

/* The AVX2 kernels (the CPUs without AVX-512) on the same shapes, forced on
 * an AVX-512 machine too. They add in fp32 with FMA in the order of the
 * AVX-512 ones (the weight gradient in 8 partial sums instead of 16): the
 * largest error relative to the largest |value| measured 3.2e-7 (C ≤ 16,
 * values in [-1, 1]); the bound is the AVX-512 path's 1e-5. A tap's weight
 * or a masked edge lane gone wrong fails it. */
static void
test_conv_direct_avx2_matches_reference (void)
{
  sf_conv_direct_force_avx2 (TRUE);
  if (g_strcmp0 (sf_conv_direct_kernels (), "AVX2") != 0)
    {
      sf_conv_direct_force_avx2 (FALSE);
      g_test_skip ("this CPU has no AVX2 and FMA");
      return;
    }
  double worst = direct_worst_error (23, 1e-5);
  sf_conv_direct_force_avx2 (FALSE);
  g_test_message ("direct AVX2: largest relative error %.3g", worst);
}

/* On an AVX-512 machine: the AVX2 forward pass and input gradient give the
 * AVX-512 kernels' bits (the same operations in the same order per output),
 * so a model's outputs do not depend on which of them a CPU has. */
static void
test_conv_direct_avx2_same_bits (void)
{
  if (g_strcmp0 (sf_conv_direct_kernels (), "AVX-512") != 0)
    {
      g_test_skip ("this CPU (or build) has no AVX-512 kernels to compare with");
      return;
    }
  static const SfConvShape shapes[] = { { 3, 5, 16, 16, 3 }, { 16, 4, 64, 7, 3 }, { 5, 1, 48, 3, 3 } };
  SfRng rng;
  sf_rng_seed (&rng, 29);
  const int n = 2;
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      SfConvShape s = shapes[k];
      SfConv conv;
      sf_conv_init (&conv, &s, SF_CONV_DIRECT);
      gsize n_in = (gsize) n * s.C * s.H * s.W, n_out = (gsize) n * s.OC * s.H * s.W;
      float *x = random_floats (&rng, n_in, -1, 1), *w = random_floats (&rng, (gsize) s.OC * s.C * 9, -1, 1);
      float *b = random_floats (&rng, s.OC, -1, 1), *g = random_floats (&rng, n_out, -1, 1);
      float *cache = g_new (float, sf_conv_cache_size (&conv)), *dacc = g_new0 (float, sf_conv_dacc_size (&conv));
      float *y[2], *dx[2];
      sf_conv_prepare (&conv, cache, w);
      for (int avx2 = 0; avx2 < 2; avx2++)
        {
          sf_conv_direct_force_avx2 (avx2);
          g_assert_cmpstr (sf_conv_direct_kernels (), ==, avx2 ? "AVX2" : "AVX-512");
          y[avx2] = g_new (float, n_out);
          dx[avx2] = g_new (float, n_in);
          sf_conv_forward_nchw (&conv, y[avx2], x, n, b, cache);
          sf_conv_backward_nchw (&conv, dx[avx2], dacc, NULL, g, x, n, cache);
        }
      sf_conv_direct_force_avx2 (FALSE);
      g_assert_cmpmem (y[0], sizeof (float) * n_out, y[1], sizeof (float) * n_out);
      g_assert_cmpmem (dx[0], sizeof (float) * n_in, dx[1], sizeof (float) * n_in);
      g_free (x), g_free (w), g_free (b), g_free (g), g_free (cache), g_free (dacc);
      g_free (y[0]), g_free (y[1]), g_free (dx[0]), g_free (dx[1]);
    }
}

/* The reference itself against a hand-computed case: a 3×3 kernel of ones sums each neighbourhood. */
static void
test_conv_reference_by_hand (void)
{
  SfConvShape s = { 1, 3, 3, 1, 3 };
  float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, w[9], b = 0.5f, y[9];
  for (int i = 0; i < 9; i++)
    w[i] = 1;
  sf_conv2d_forward_ref (y, x, w, &b, 1, &s);
  float want[9] = { 12.5f, 21.5f, 16.5f, 27.5f, 45.5f, 33.5f, 24.5f, 39.5f, 28.5f };
  g_assert_cmpmem (y, sizeof y, want, sizeof want);
  /* A kernel with a single 1 at (0, 0) shifts the image down-right. */
  memset (w, 0, sizeof w);
  w[0] = 1;
  sf_conv2d_forward_ref (y, x, w, NULL, 1, &s);
  float shifted[9] = { 0, 0, 0, 0, 1, 2, 0, 4, 5 };
  g_assert_cmpmem (y, sizeof y, shifted, sizeof shifted);
}

typedef struct {
  SfConv *conv;
  float *x, *w, *b, *r, *out;
  int N, chunk;
} ConvObjective;

static double
conv_objective (gpointer data)
{
  ConvObjective *o = data;
  const SfConvShape *s = &o->conv->shape;
  fast_conv_forward (o->conv, o->out, o->x, o->w, o->b, o->N, o->chunk);
  return dot (o->out, o->r, (gsize) o->N * s->OC * o->conv->out_h * o->conv->out_w);
}

static void
test_conv_gradient (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 12);
  for (int K = 1; K <= 5; K += 2)
    for (int algo = SF_CONV_IM2COL; algo <= SF_CONV_DIRECT + 1; algo++)
      {
        if ((algo == SF_CONV_WINOGRAD && K == 1) || (algo == SF_CONV_DIRECT && (K != 3 || !sf_conv_direct_supported (3, 16))))
          continue;
        /* One past the last lowering: im2col at stride 2. */
        int stride = algo > SF_CONV_DIRECT ? 2 : 1;
        SfConvAlgo lowering = stride > 1 ? SF_CONV_IM2COL : (SfConvAlgo) algo;
        SfConvShape s = { 2, 5, lowering == SF_CONV_DIRECT ? 16 : 6, 3, K, stride };
        SfConv conv;
        sf_conv_init (&conv, &s, lowering);
        int N = 3;
        gsize n_in = (gsize) N * s.C * s.H * s.W, n_out = (gsize) N * s.OC * conv.out_h * conv.out_w;
        gsize n_w = (gsize) s.OC * s.C * K * K;
        ConvObjective o = { &conv, random_floats (&rng, n_in, -1, 1), random_floats (&rng, n_w, -1, 1),
                            random_floats (&rng, s.OC, -1, 1), random_floats (&rng, n_out, -1, 1),
                            g_new (float, n_out), N, 2 };
        float *dx = g_new (float, n_in), *dw = g_new0 (float, n_w), *db = g_new0 (float, s.OC);
        fast_conv_backward (&conv, dx, dw, db, o.r, o.x, o.w, N, 2);
        static const char *const names[] = { "auto", "im2col", "winograd", "direct" };
        g_assert_cmpint (conv.algo, ==, lowering);
        g_autofree char *what = g_strdup_printf ("conv k%d s%d %s", K, stride, names[lowering]);
        assert_gradient (what, o.x, n_in, dx, conv_objective, &o, 1e-2f, 1e-3);
        assert_gradient (what, o.w, n_w, dw, conv_objective, &o, 1e-2f, 1e-3);
        assert_gradient (what, o.b, s.OC, db, conv_objective, &o, 1e-2f, 1e-3);
        g_free (o.x), g_free (o.w), g_free (o.b), g_free (o.r), g_free (o.out);
        g_free (dx), g_free (dw), g_free (db);
      }
}

/* ------------------------------------------------------------------------ */
/* Bias + activation + max-pool                                             */

typedef struct {
  float *x, *b, *r, *out;
  guint8 *arg;
  int N, C, H, W, P;
  SfAct act;
} PoolObjective;

static double
pool_objective (gpointer data)
{
  PoolObjective *o = data;
  gsize hw = (gsize) o->H * o->W;
  sf_bias_act_pool_forward (o->out, o->arg, o->x, o->C * hw, hw, o->b, o->N, o->C, o->H, o->W, o->act, o->P);
  return dot (o->out, o->r, (gsize) o->N * o->C * (o->H / o->P) * (o->W / o->P));
}

static void
test_pool_forward_by_hand (void)
{
  /* One 3×5 plane, P = 2: the floor drops the last row and column. */
  float x[15] = { 1, 5, -2, 0, 9, 3, 2, -1, -3, 9, 9, 9, 9, 9, 9 };
  float bias = -2, out[2];
  guint8 arg[2];
  SfAct relu = { SF_ACT_RELU, 0 };
  sf_bias_act_pool_forward (out, arg, x, 15, 15, &bias, 1, 1, 3, 5, relu, 2);
  g_assert_cmpfloat (out[0], ==, 3);   /* max(1, 5, 3, 2) - 2 */
  g_assert_cmpint (arg[0], ==, 1);
  g_assert_cmpfloat (out[1], ==, 0);   /* max(-2, 0, -1, -3) - 2 < 0 */
  g_assert_cmpint (arg[1], ==, 1);
  float dout[2] = { 10, 20 }, dy[15], dbias = 0;
  sf_bias_act_pool_backward (dy, &dbias, dout, out, arg, 15, 15, 1, 1, 3, 5, relu, 2);
  float want[15] = { 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  g_assert_cmpmem (dy, sizeof dy, want, sizeof want);
  g_assert_cmpfloat (dbias, ==, 10);
}

static void
test_pool_gradient (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 13);
  SfAct acts[] = { { SF_ACT_NONE, 0 }, { SF_ACT_RELU, 0 }, { SF_ACT_LEAKY_RELU, 0.1f }, { SF_ACT_ELU, 1.0f } };
  int sizes[][3] = { { 2, 6, 8 }, { 3, 7, 9 }, { 1, 3, 2 } };   /* P, H, W */
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
      {
        PoolObjective o = { .N = 2, .C = 3, .P = sizes[k][0], .H = sizes[k][1], .W = sizes[k][2], .act = acts[a] };
        gsize n_in = (gsize) o.N * o.C * o.H * o.W, n_out = (gsize) o.N * o.C * (o.H / o.P) * (o.W / o.P);
        /* Steps of 0.01 from -2: no ties and nothing within 0.005 of zero, beyond eps = 1e-3. */
        o.x = distinct_floats (&rng, n_in, -2.0f, 0.01f);
        o.b = g_new0 (float, o.C);
        o.r = random_floats (&rng, n_out, -1, 1);
        o.out = g_new (float, n_out);
        o.arg = g_new (guint8, n_out);
        pool_objective (&o);
        /* The max of act(x + b) equals act(max) for monotone act: check against the obvious loops. */
        for (int n = 0; n < o.N; n++)
          for (int c = 0; c < o.C; c++)
            for (int oy = 0; oy < o.H / o.P; oy++)
              for (int ox = 0; ox < o.W / o.P; ox++)
                {
                  float best = -INFINITY;
                  for (int dy = 0; dy < o.P; dy++)
                    for (int dx = 0; dx < o.P; dx++)
                      {
                        float v = o.x[(((gsize) n * o.C + c) * o.H + oy * o.P + dy) * o.W + ox * o.P + dx];
                        float y = v > 0 ? v : o.act.kind == SF_ACT_RELU ? 0 : o.act.kind == SF_ACT_LEAKY_RELU ? 0.1f * v
                                  : o.act.kind == SF_ACT_ELU ? expm1f (v) : v;
                        best = MAX (best, y);
                      }
                  g_assert_cmpfloat_with_epsilon (o.out[(((gsize) n * o.C + c) * (o.H / o.P) + oy) * (o.W / o.P) + ox],
                                                  best, 1e-6);
                }
        float *dx = g_new (float, n_in), *db = g_new0 (float, o.C);
        gsize hw = (gsize) o.H * o.W;
        sf_bias_act_pool_backward (dx, db, o.r, o.out, o.arg, o.C * hw, hw, o.N, o.C, o.H, o.W, o.act, o.P);
        g_autofree char *what = g_strdup_printf ("pool%d act %d %dx%d", o.P, o.act.kind, o.H, o.W);
        assert_gradient (what, o.x, n_in, dx, pool_objective, &o, 1e-3f, 1e-3);
        assert_gradient (what, o.b, o.C, db, pool_objective, &o, 1e-3f, 1e-3);
        g_free (o.x), g_free (o.b), g_free (o.r), g_free (o.out), g_free (o.arg), g_free (dx), g_free (db);
      }
}

/* ------------------------------------------------------------------------ */
/* Activations                                                              */

typedef struct {
  float *x, *r, *out;
  gsize n;
  SfAct act;
} ActObjective;

static double
act_objective (gpointer data)
{
  ActObjective *o = data;
  sf_act_forward (o->out, o->x, o->n, o->act);
  return dot (o->out, o->r, o->n);
}

static void
test_activations (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 14);
  SfAct acts[] = { { SF_ACT_NONE, 0 }, { SF_ACT_RELU, 0 }, { SF_ACT_LEAKY_RELU, 0.1f }, { SF_ACT_LEAKY_RELU, 0.01f },
                   { SF_ACT_ELU, 1.0f }, { SF_ACT_ELU, 0.5f } };
  float probe[4] = { -2, -0.5f, 0.5f, 3 };
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    {
      SfAct act = acts[a];
      /* Values by formula. */
      float y[4];
      sf_act_forward (y, probe, 4, act);
      for (int i = 0; i < 4; i++)
        {
          float x = probe[i];
          float want = act.kind == SF_ACT_NONE || x > 0 ? x
                       : act.kind == SF_ACT_RELU ? 0
                       : act.kind == SF_ACT_LEAKY_RELU ? act.param * x : act.param * expm1f (x);
          g_assert_cmpfloat_with_epsilon (y[i], want, 1e-7);
        }
      ActObjective o = { .n = 64, .act = act };
      o.x = distinct_floats (&rng, o.n, -3.2f, 0.1f);
      o.r = random_floats (&rng, o.n, -1, 1);
      o.out = g_new (float, o.n);
      act_objective (&o);
      float *dx = g_new (float, o.n);
      sf_act_backward (dx, o.r, o.out, o.n, act);
      g_autofree char *what = g_strdup_printf ("activation %d(%g)", act.kind, act.param);
      assert_gradient (what, o.x, o.n, dx, act_objective, &o, 1e-3f, 1e-3);
      /* In place gives the same. */
      act_objective (&o);
      float *inplace = g_memdup2 (o.x, sizeof (float) * o.n);
      sf_act_forward (inplace, inplace, o.n, act);
      g_assert_cmpmem (inplace, sizeof (float) * o.n, o.out, sizeof (float) * o.n);
      g_free (inplace), g_free (o.x), g_free (o.r), g_free (o.out), g_free (dx);
    }
}

/* ------------------------------------------------------------------------ */
/* Batch normalisation                                                      */

typedef struct {
  float *x, *gamma, *beta, *r, *out, *mean, *invstd, *rm, *rv;
  int N, C, S;
  SfAct act;
} BnObjective;

static double
bn_objective (gpointer data)
{
  BnObjective *o = data;
  sf_batchnorm_forward_train (o->out, o->mean, o->invstd, o->rm, o->rv, o->x, o->gamma, o->beta, o->N, o->C, o->S,
                              o->act, 0, o->C);
  return dot (o->out, o->r, (gsize) o->N * o->C * o->S);
}

static void
test_batchnorm (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 15);
  SfAct acts[] = { { SF_ACT_NONE, 0 }, { SF_ACT_ELU, 1.0f } };
  int shapes[][3] = { { 3, 2, 5 }, { 4, 3, 1 }, { 2, 2, 19 } };
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
      {
        BnObjective o = { .N = shapes[k][0], .C = shapes[k][1], .S = shapes[k][2], .act = acts[a] };
        gsize n = (gsize) o.N * o.C * o.S;
        o.x = random_floats (&rng, n, -2, 3);
        o.gamma = random_floats (&rng, o.C, 0.5f, 1.5f);
        o.beta = random_floats (&rng, o.C, -0.5f, 0.5f);
        o.r = random_floats (&rng, n, -1, 1);
        o.out = g_new (float, n);
        o.mean = g_new (float, o.C);
        o.invstd = g_new (float, o.C);
        o.rm = g_new0 (float, o.C);
        o.rv = g_new (float, o.C);
        for (int c = 0; c < o.C; c++)
          o.rv[c] = 1;
        bn_objective (&o);

        /* Statistics and running averages by formula (PyTorch: biased σ² normalises, unbiased is tracked). */
        for (int c = 0; c < o.C; c++)
          {
            double sum = 0, sq = 0, m = (double) o.N * o.S;
            for (int i = 0; i < o.N; i++)
              for (int s = 0; s < o.S; s++)
                sum += o.x[((gsize) i * o.C + c) * o.S + s];
            double mu = sum / m;
            for (int i = 0; i < o.N; i++)
              for (int s = 0; s < o.S; s++)
                sq += pow (o.x[((gsize) i * o.C + c) * o.S + s] - mu, 2);
            g_assert_cmpfloat_with_epsilon (o.mean[c], mu, 1e-5);
            g_assert_cmpfloat_with_epsilon (o.invstd[c], 1 / sqrt (sq / m + 1e-5), 1e-4);
            g_assert_cmpfloat_with_epsilon (o.rm[c], 0.1 * mu, 1e-6);
            g_assert_cmpfloat_with_epsilon (o.rv[c], 0.9 + 0.1 * sq / (m - 1), 1e-5);
          }

        float *dx = g_new (float, n), *dg = g_new0 (float, o.C), *dbeta = g_new0 (float, o.C);
        sf_batchnorm_backward (dx, dg, dbeta, o.r, o.out, o.x, o.mean, o.invstd, o.gamma, o.N, o.C, o.S, o.act, 0,
                               o.C);
        g_autofree char *what = g_strdup_printf ("batchnorm %dx%dx%d act %d", o.N, o.C, o.S, o.act.kind);
        assert_gradient (what, o.x, n, dx, bn_objective, &o, 1e-3f, 2e-3);
        assert_gradient (what, o.gamma, o.C, dg, bn_objective, &o, 1e-3f, 2e-3);
        assert_gradient (what, o.beta, o.C, dbeta, bn_objective, &o, 1e-3f, 2e-3);

        /* Evaluation: the running statistics, nothing from the batch. */
        float rm[3] = { 0.5f, -1, 2 }, rv[3] = { 4, 0.25f, 1 };
        sf_batchnorm_forward_eval (o.out, o.x, o.gamma, o.beta, rm, rv, o.N, o.C, o.S, o.act, 0, o.C);
        for (int i = 0; i < o.N; i++)
          for (int c = 0; c < o.C; c++)
            {
              gsize at = ((gsize) i * o.C + c) * o.S;
              float v = o.gamma[c] * (o.x[at] - rm[c]) / sqrtf (rv[c] + SF_BN_EPS) + o.beta[c];
              if (o.act.kind == SF_ACT_ELU && v <= 0)
                v = expm1f (v);
              g_assert_cmpfloat_with_epsilon (o.out[at], v, 1e-5);
            }
        g_free (o.x), g_free (o.gamma), g_free (o.beta), g_free (o.r), g_free (o.out), g_free (o.mean);
        g_free (o.invstd), g_free (o.rm), g_free (o.rv), g_free (dx), g_free (dg), g_free (dbeta);
      }
}

typedef struct {
  float *x, *gamma, *beta, *r, *out, *mean, *invstd, *rm, *rv;
  guint8 *arg;
  int N, C, H, W, P;
  SfAct act;
} BnPoolObjective;

static double
bn_pool_objective (gpointer data)
{
  BnPoolObjective *o = data;
  sf_batchnorm_pool_forward (o->out, o->arg, o->mean, o->invstd, o->rm, o->rv, o->x, o->gamma, o->beta, o->N, o->C,
                             o->H, o->W, o->act, o->P, TRUE, 0, o->C);
  return dot (o->out, o->r, (gsize) o->N * o->C * (o->H / o->P) * (o->W / o->P));
}

static void
test_batchnorm_pool (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 20);
  SfAct acts[] = { { SF_ACT_RELU, 0 }, { SF_ACT_ELU, 1.0f } };
  /* N, C, H, W, P; 4×36 spans more than the 16 windows of one vector step. */
  int shapes[][5] = { { 3, 2, 6, 4, 2 }, { 2, 3, 7, 5, 2 }, { 2, 2, 6, 5, 2 }, { 2, 2, 7, 6, 3 }, { 1, 2, 4, 36, 2 } };
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
      {
        BnPoolObjective o = { .N = shapes[k][0], .C = shapes[k][1], .H = shapes[k][2], .W = shapes[k][3],
                              .P = shapes[k][4], .act = acts[a] };
        gsize n = (gsize) o.N * o.C * o.H * o.W, n_out = (gsize) o.N * o.C * (o.H / o.P) * (o.W / o.P);
        o.x = distinct_floats (&rng, n, -1.0f, 2.0f / n);
        o.gamma = g_new (float, o.C);
        o.beta = g_new (float, o.C);
        for (int c = 0; c < o.C; c++)
          {
            o.gamma[c] = c % 2 ? -0.7f : 1.3f;   /* a negative γ turns the max into the min */
            o.beta[c] = 0.123f * (c + 1);
          }
        o.r = random_floats (&rng, n_out, -1, 1);
        o.out = g_new (float, n_out);
        o.arg = g_new (guint8, n_out);
        o.mean = g_new (float, o.C);
        o.invstd = g_new (float, o.C);
        o.rm = g_new0 (float, o.C);
        o.rv = g_new (float, o.C);
        for (int c = 0; c < o.C; c++)
          o.rv[c] = 1;
        bn_pool_objective (&o);

        /* The same as batch norm, then pooling. */
        float *full = g_new (float, n), *want = g_new (float, n_out), *m2 = g_new (float, o.C);
        float *s2 = g_new (float, o.C), *rm2 = g_new0 (float, o.C), *rv2 = g_new (float, o.C);
        guint8 *arg2 = g_new (guint8, n_out);
        for (int c = 0; c < o.C; c++)
          rv2[c] = 1;
        gsize hw = (gsize) o.H * o.W;
        sf_batchnorm_forward_train (full, m2, s2, rm2, rv2, o.x, o.gamma, o.beta, o.N, o.C, (int) hw, o.act, 0, o.C);
        SfAct none = { SF_ACT_NONE, 0 };
        sf_bias_act_pool_forward (want, arg2, full, o.C * hw, hw, NULL, o.N, o.C, o.H, o.W, none, o.P);
        assert_close ("batchnorm-pool forward", o.out, want, n_out, 1e-5);
        /* The same windows' maxima, wherever ReLU did not flatten them into ties at zero. */
        for (gsize i = 0; i < n_out; i++)
          if (o.out[i] > 0)
            g_assert_cmpint (o.arg[i], ==, arg2[i]);
        assert_close ("batchnorm-pool running mean", o.rm, rm2, o.C, 1e-6);
        assert_close ("batchnorm-pool running var", o.rv, rv2, o.C, 1e-6);
        /* Evaluation mode uses the running statistics. */
        float *eval = g_new (float, n_out);
        sf_batchnorm_forward_eval (full, o.x, o.gamma, o.beta, o.rm, o.rv, o.N, o.C, (int) hw, o.act, 0, o.C);
        sf_bias_act_pool_forward (want, arg2, full, o.C * hw, hw, NULL, o.N, o.C, o.H, o.W, none, o.P);
        sf_batchnorm_pool_forward (eval, o.arg, NULL, NULL, o.rm, o.rv, o.x, o.gamma, o.beta, o.N, o.C, o.H, o.W, o.act,
                                   o.P, FALSE, 0, o.C);
        assert_close ("batchnorm-pool evaluation", eval, want, n_out, 1e-5);

        bn_pool_objective (&o);
        float *dx = g_new (float, n), *dg = g_new0 (float, o.C), *db = g_new0 (float, o.C);
        sf_batchnorm_pool_backward (dx, dg, db, o.r, o.out, o.arg, o.x, o.mean, o.invstd, o.gamma, o.N, o.C, o.H, o.W,
                                    o.act, o.P, 0, o.C);
        g_autofree char *what = g_strdup_printf ("batchnorm-pool %dx%dx%dx%d P%d act %d", o.N, o.C, o.H, o.W, o.P,
                                                 o.act.kind);
        assert_gradient (what, o.x, n, dx, bn_pool_objective, &o, 1e-4f, 5e-3);
        assert_gradient (what, o.gamma, o.C, dg, bn_pool_objective, &o, 1e-3f, 2e-3);
        assert_gradient (what, o.beta, o.C, db, bn_pool_objective, &o, 1e-3f, 2e-3);
        g_free (o.x), g_free (o.gamma), g_free (o.beta), g_free (o.r), g_free (o.out), g_free (o.arg);
        g_free (o.mean), g_free (o.invstd), g_free (o.rm), g_free (o.rv), g_free (full), g_free (want);
        g_free (m2), g_free (s2), g_free (rm2), g_free (rv2), g_free (arg2), g_free (eval);
        g_free (dx), g_free (dg), g_free (db);
      }
}

/* ------------------------------------------------------------------------ */
/* Dropout, average pooling, dense                                          */

typedef struct {
  float *x, *r, *out;
  guint8 *mask;
  gsize n;
  float p;
  guint64 seed;
} DropObjective;

static double
drop_objective (gpointer data)
{
  DropObjective *o = data;
  sf_dropout_forward (o->out, o->mask, o->x, o->n, o->p, o->seed);
  return dot (o->out, o->r, o->n);
}

static void
test_dropout (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 16);
  gsize n = 20001;
  float *x = random_floats (&rng, n, 0.5f, 1.5f), *y = g_new (float, n), *y2 = g_new (float, n);
  /* One bit an element, in whole 64-bit words. */
  gsize bytes = sf_dropout_mask_size (n);
  g_assert_cmpuint (bytes, ==, (n + 63) / 64 * 8);
  guint8 *mask = g_new (guint8, bytes), *mask2 = g_new (guint8, bytes);
  sf_dropout_forward (y, mask, x, n, 0.3f, 99);
  gsize kept = 0;
  for (gsize i = 0; i < n; i++)
    {
      gboolean keep = (mask[i / 8] >> (i % 8)) & 1;
      g_assert_cmpfloat (y[i], ==, keep ? x[i] * (1.0f / 0.7f) : 0.0f);
      kept += keep;
    }
  /* 0.7·n ± 5σ (σ ≈ 65). */
  g_assert_cmpfloat (fabs ((double) kept - 0.7 * n), <, 5 * sqrt (n * 0.21));
  /* Same seed, same mask; another seed, another mask; rate 0 keeps all. */
  sf_dropout_forward (y2, mask2, x, n, 0.3f, 99);
  g_assert_cmpmem (mask, bytes, mask2, bytes);
  sf_dropout_forward (y2, mask2, x, n, 0.3f, 100);
  g_assert_true (memcmp (mask, mask2, bytes) != 0);
  sf_dropout_forward (y2, mask2, x, n, 0.0f, 5);
  g_assert_cmpmem (y2, sizeof (float) * n, x, sizeof (float) * n);

  /* Backward with a fixed mask (the forward's, same seed) against differences. */
  DropObjective o = { .n = 50, .p = 0.4f, .seed = 7 };
  o.x = random_floats (&rng, o.n, -1, 1);
  o.r = random_floats (&rng, o.n, -1, 1);
  o.out = g_new (float, o.n);
  o.mask = g_new (guint8, sf_dropout_mask_size (o.n));
  drop_objective (&o);
  float *dx = g_new (float, o.n);
  sf_dropout_backward (dx, o.r, o.mask, o.n, o.p);
  assert_gradient ("dropout", o.x, o.n, dx, drop_objective, &o, 1e-2f, 1e-4);
  g_free (o.x), g_free (o.r), g_free (o.out), g_free (o.mask), g_free (dx);
  g_free (x), g_free (y), g_free (y2), g_free (mask), g_free (mask2);
}

typedef struct {
  float *x, *r, *out;
  int N, C, S;
} GapObjective;

static double
gap_objective (gpointer data)
{
  GapObjective *o = data;
  sf_avgpool_forward (o->out, o->x, o->N, o->C, o->S);
  return dot (o->out, o->r, (gsize) o->N * o->C);
}

static void
test_avgpool (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 17);
  GapObjective o = { .N = 3, .C = 4, .S = 37 };
  gsize n = (gsize) o.N * o.C * o.S;
  o.x = random_floats (&rng, n, -1, 1);
  o.r = random_floats (&rng, o.N * o.C, -1, 1);
  o.out = g_new (float, o.N * o.C);
  gap_objective (&o);
  double sum = 0;
  for (int s = 0; s < o.S; s++)
    sum += o.x[o.S + s];
  g_assert_cmpfloat_with_epsilon (o.out[1], sum / o.S, 1e-6);
  float *dx = g_new (float, n);
  sf_avgpool_backward (dx, o.r, o.N, o.C, o.S);
  assert_gradient ("avgpool", o.x, n, dx, gap_objective, &o, 1e-2f, 1e-4);
  g_free (o.x), g_free (o.r), g_free (o.out), g_free (dx);
}

/* ------------------------------------------------------------------------ */
/* Average pooling over windows                                             */

typedef struct {
  float *x, *r, *out;
  int N, C, H, W, K;
} WindowObjective;

static double
window_objective (gpointer data)
{
  WindowObjective *o = data;
  sf_avgpool_window_forward (o->out, o->x, o->N, o->C, o->H, o->W, o->K);
  return dot (o->out, o->r, (gsize) o->N * o->C * (o->H / o->K) * (o->W / o->K));
}

static void
test_avgpool_window (void)
{
  /* One 3×5 plane, K = 2: the floor drops the last row and column. */
  float x[15] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 }, y[2];
  sf_avgpool_window_forward (y, x, 1, 1, 3, 5, 2);
  float want[2] = { (1 + 2 + 6 + 7) / 4.0f, (3 + 4 + 8 + 9) / 4.0f };
  g_assert_cmpmem (y, sizeof y, want, sizeof want);
  float g[2] = { 4, 8 }, dx[15];
  sf_avgpool_window_backward (dx, g, 1, 1, 3, 5, 2);
  float dwant[15] = { 1, 1, 2, 2, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0 };
  g_assert_cmpmem (dx, sizeof dx, dwant, sizeof dwant);

  SfRng rng;
  sf_rng_seed (&rng, 29);
  WindowObjective o = { .N = 2, .C = 3, .H = 7, .W = 6, .K = 3 };
  gsize n = (gsize) o.N * o.C * o.H * o.W, m = (gsize) o.N * o.C * 2 * 2;
  o.x = random_floats (&rng, n, -1, 1);
  o.r = random_floats (&rng, m, -1, 1);
  o.out = g_new (float, m);
  float *grad = g_new (float, n);
  sf_avgpool_window_backward (grad, o.r, o.N, o.C, o.H, o.W, o.K);
  assert_gradient ("avgpool window", o.x, n, grad, window_objective, &o, 1e-2f, 1e-4);
  g_free (o.x), g_free (o.r), g_free (o.out), g_free (grad);
}

/* ------------------------------------------------------------------------ */
/* Depthwise convolution                                                    */

typedef struct {
  float *x, *w, *r, *out, *scratch;
  int N, C, H, W, K, S;
  gboolean reference;
} DepthwiseObjective;

static double
depthwise_objective (gpointer data)
{
  DepthwiseObjective *o = data;
  if (o->reference)
    sf_depthwise_forward_ref (o->out, o->x, o->w, o->N, o->C, o->H, o->W, o->K, o->S);
  else
    sf_depthwise_forward (o->out, o->x, o->w, o->N, o->C, o->H, o->W, o->K, o->S, 0, o->C, o->scratch);
  return dot (o->out, o->r, (gsize) o->N * o->C * sf_conv_out_side (o->H, o->S) * sf_conv_out_side (o->W, o->S));
}

/* The fast path against the reference twin (split over channel ranges as the
 * model does), both against finite differences, and the reference against a
 * full convolution whose kernels are zero off the diagonal. */
static void
test_depthwise (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 31);
  /* N, C, H, W, K, S */
  int shapes[][6] = { { 2, 3, 7, 9, 3, 1 }, { 3, 2, 8, 8, 3, 2 }, { 1, 4, 5, 6, 5, 3 }, { 2, 2, 3, 2, 7, 1 },
                      { 2, 3, 16, 16, 3, 2 }, { 2, 2, 1, 1, 3, 1 }, { 1, 3, 19, 5, 5, 1 }, { 2, 2, 32, 32, 3, 1 } };
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      DepthwiseObjective o = { .N = shapes[k][0], .C = shapes[k][1], .H = shapes[k][2], .W = shapes[k][3],
                               .K = shapes[k][4], .S = shapes[k][5] };
      int Ho = sf_conv_out_side (o.H, o.S), Wo = sf_conv_out_side (o.W, o.S);
      gsize n_in = (gsize) o.N * o.C * o.H * o.W, n_out = (gsize) o.N * o.C * Ho * Wo, n_w = (gsize) o.C * o.K * o.K;
      o.x = random_floats (&rng, n_in, -1, 1);
      o.w = random_floats (&rng, n_w, -1, 1);
      o.r = random_floats (&rng, n_out, -1, 1);
      o.out = g_new (float, n_out);
      o.scratch = g_new (float, MAX (sf_depthwise_scratch_size (o.H, o.W, o.K, o.S), 1));
      g_autofree char *what = g_strdup_printf ("depthwise %dx%dx%dx%d k%d s%d", o.N, o.C, o.H, o.W, o.K, o.S);

      float *want = g_new (float, n_out), *got = g_new (float, n_out);
      sf_depthwise_forward_ref (want, o.x, o.w, o.N, o.C, o.H, o.W, o.K, o.S);
      for (int c = 0; c < o.C; c++)
        sf_depthwise_forward (got, o.x, o.w, o.N, o.C, o.H, o.W, o.K, o.S, c, c + 1, o.scratch);
      assert_close (what, got, want, n_out, 1e-5);

      /* The same as a full convolution with zero kernels across channels. */
      float *full = g_new0 (float, (gsize) o.C * n_w);
      for (int c = 0; c < o.C; c++)
        memcpy (full + ((gsize) c * o.C + c) * o.K * o.K, o.w + (gsize) c * o.K * o.K, sizeof (float) * o.K * o.K);
      SfConvShape cs = { o.C, o.H, o.W, o.C, o.K, o.S };
      sf_conv2d_forward_ref (got, o.x, full, NULL, o.N, &cs);
      assert_close (what, got, want, n_out, 1e-6);

      float *dx_want = g_new (float, n_in), *dx_got = g_new (float, n_in);
      float *dw_want = g_new (float, n_w), *dw_got = g_new (float, n_w);
      for (gsize i = 0; i < n_w; i++)
        dw_want[i] = dw_got[i] = 0.5f;   /* accumulates */
      sf_depthwise_backward_ref (dx_want, dw_want, o.r, o.x, o.w, o.N, o.C, o.H, o.W, o.K, o.S);
      sf_depthwise_backward (dx_got, dw_got, o.r, o.x, o.w, o.N, o.C, o.H, o.W, o.K, o.S, 0, 1, o.scratch);
      sf_depthwise_backward (dx_got, dw_got, o.r, o.x, o.w, o.N, o.C, o.H, o.W, o.K, o.S, 1, o.C, o.scratch);
      assert_close (what, dx_got, dx_want, n_in, 1e-5);
      assert_close (what, dw_got, dw_want, n_w, 1e-5);
      for (gsize i = 0; i < n_w; i++)
        dw_want[i] -= 0.5f;
      o.reference = TRUE;
      assert_gradient (what, o.x, n_in, dx_want, depthwise_objective, &o, 1e-2f, 1e-3);
      assert_gradient (what, o.w, n_w, dw_want, depthwise_objective, &o, 1e-2f, 1e-3);
      o.reference = FALSE;
      assert_gradient (what, o.w, n_w, dw_want, depthwise_objective, &o, 1e-2f, 1e-3);
      /* No input gradient asked for: the weight gradient still comes. */
      for (gsize i = 0; i < n_w; i++)
        dw_got[i] = 0;
      sf_depthwise_backward (NULL, dw_got, o.r, o.x, o.w, o.N, o.C, o.H, o.W, o.K, o.S, 0, o.C, o.scratch);
      assert_close (what, dw_got, dw_want, n_w, 1e-5);
      g_free (o.x), g_free (o.w), g_free (o.r), g_free (o.out), g_free (o.scratch), g_free (want), g_free (got);
      g_free (full);
      g_free (dx_want), g_free (dx_got), g_free (dw_want), g_free (dw_got);
    }
}

/* ------------------------------------------------------------------------ */
/* The join of a residual block                                             */

typedef struct {
  float *x, *z, *gamma, *beta, *gamma_p, *beta_p, *r, *out;
  float *mean, *invstd, *rm, *rv, *mean_p, *invstd_p, *rm_p, *rv_p;
  int N, C, S;
  gboolean projection;
} JoinObjective;

static void
join_norms (JoinObjective *o, SfJoinNorm *main, SfJoinNorm *projection)
{
  *main = (SfJoinNorm) { o->x, o->gamma, o->beta, o->rm, o->rv, o->mean, o->invstd };
  *projection = (SfJoinNorm) { o->z, o->gamma_p, o->beta_p, o->rm_p, o->rv_p, o->mean_p, o->invstd_p };
}

static double
join_objective (gpointer data)
{
  JoinObjective *o = data;
  SfJoinNorm main, projection;
  join_norms (o, &main, &projection);
  sf_residual_join_forward (o->out, &main, o->projection ? &projection : NULL, o->z, o->N, o->C, o->S, TRUE, 0, o->C);
  return dot (o->out, o->r, (gsize) o->N * o->C * o->S);
}

/* The join against batch norm, the sum and ReLU one by one (batchnorm.c),
 * training and evaluation, and its gradients against finite differences. */
static void
test_residual_join (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 37);
  int shapes[][3] = { { 3, 2, 5 }, { 2, 3, 19 }, { 4, 2, 1 } };
  for (int projection = 0; projection <= 1; projection++)
    for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
      {
        JoinObjective o = { .N = shapes[k][0], .C = shapes[k][1], .S = shapes[k][2], .projection = projection };
        gsize n = (gsize) o.N * o.C * o.S;
        o.x = random_floats (&rng, n, -2, 3);
        o.z = random_floats (&rng, n, -1, 2);
        o.gamma = random_floats (&rng, o.C, 0.5f, 1.5f);
        o.beta = random_floats (&rng, o.C, -0.5f, 0.5f);
        o.gamma_p = random_floats (&rng, o.C, 0.5f, 1.5f);
        o.beta_p = random_floats (&rng, o.C, -0.5f, 0.5f);
        o.r = random_floats (&rng, n, -1, 1);
        o.out = g_new (float, n);
        float **state[] = { &o.mean, &o.invstd, &o.rm, &o.rv, &o.mean_p, &o.invstd_p, &o.rm_p, &o.rv_p };
        for (guint i = 0; i < G_N_ELEMENTS (state); i++)
          *state[i] = random_floats (&rng, o.C, 0.5f, 2);
        g_autofree char *what = g_strdup_printf ("join %dx%dx%d projection %d", o.N, o.C, o.S, projection);

        /* One by one: batch norm of each branch (the same running statistics before), the sum, ReLU. */
        float *a = g_new (float, n), *b = g_new (float, n), *want = g_new (float, n);
        float *rm = g_memdup2 (o.rm, sizeof (float) * o.C), *rv = g_memdup2 (o.rv, sizeof (float) * o.C);
        float *rm_p = g_memdup2 (o.rm_p, sizeof (float) * o.C), *rv_p = g_memdup2 (o.rv_p, sizeof (float) * o.C);
        float *mean = g_new (float, o.C), *invstd = g_new (float, o.C);
        SfAct none = { SF_ACT_NONE, 0 }, relu = { SF_ACT_RELU, 0 };
        sf_batchnorm_forward_train (a, mean, invstd, rm, rv, o.x, o.gamma, o.beta, o.N, o.C, o.S, none, 0, o.C);
        if (projection)
          sf_batchnorm_forward_train (b, mean, invstd, rm_p, rv_p, o.z, o.gamma_p, o.beta_p, o.N, o.C, o.S, none, 0,
                                      o.C);
        for (gsize i = 0; i < n; i++)
          a[i] += projection ? b[i] : o.z[i];
        sf_act_forward (want, a, n, relu);
        join_objective (&o);
        assert_close (what, o.out, want, n, 1e-5);
        assert_close (what, o.rm, rm, o.C, 1e-6);
        assert_close (what, o.rv, rv, o.C, 1e-6);
        if (projection)
          {
            assert_close (what, o.rm_p, rm_p, o.C, 1e-6);
            assert_close (what, o.rv_p, rv_p, o.C, 1e-6);
          }
        else
          assert_close (what, o.rm_p, rm_p, o.C, 0);   /* an identity shortcut has no statistics */

        /* Evaluation: the running statistics. */
        SfJoinNorm main, proj;
        join_norms (&o, &main, &proj);
        sf_batchnorm_forward_eval (a, o.x, o.gamma, o.beta, o.rm, o.rv, o.N, o.C, o.S, none, 0, o.C);
        sf_batchnorm_forward_eval (b, o.z, o.gamma_p, o.beta_p, o.rm_p, o.rv_p, o.N, o.C, o.S, none, 0, o.C);
        for (gsize i = 0; i < n; i++)
          a[i] += projection ? b[i] : o.z[i];
        sf_act_forward (want, a, n, relu);
        sf_residual_join_forward (o.out, &main, projection ? &proj : NULL, o.z, o.N, o.C, o.S, FALSE, 0, o.C);
        assert_close (what, o.out, want, n, 1e-5);

        join_objective (&o);
        float *dx = g_new (float, n), *dz = g_new (float, n);
        float *dg = g_new0 (float, o.C), *db = g_new0 (float, o.C), *dg_p = g_new0 (float, o.C), *db_p = g_new0 (float, o.C);
        sf_residual_join_backward (dx, dz, dg, db, dg_p, db_p, o.r, o.out, &main, projection ? &proj : NULL, o.N, o.C,
                                   o.S, 0, o.C);
        assert_gradient (what, o.x, n, dx, join_objective, &o, 1e-3f, 2e-3);
        assert_gradient (what, o.z, n, dz, join_objective, &o, 1e-3f, 2e-3);
        assert_gradient (what, o.gamma, o.C, dg, join_objective, &o, 1e-3f, 2e-3);
        assert_gradient (what, o.beta, o.C, db, join_objective, &o, 1e-3f, 2e-3);
        if (projection)
          {
            assert_gradient (what, o.gamma_p, o.C, dg_p, join_objective, &o, 1e-3f, 2e-3);
            assert_gradient (what, o.beta_p, o.C, db_p, join_objective, &o, 1e-3f, 2e-3);
          }
        for (guint i = 0; i < G_N_ELEMENTS (state); i++)
          g_free (*state[i]);
        g_free (o.x), g_free (o.z), g_free (o.gamma), g_free (o.beta), g_free (o.gamma_p), g_free (o.beta_p);
        g_free (o.r), g_free (o.out), g_free (a), g_free (b), g_free (want), g_free (rm), g_free (rv), g_free (rm_p);
        g_free (rv_p), g_free (mean), g_free (invstd), g_free (dx), g_free (dz), g_free (dg), g_free (db);
        g_free (dg_p), g_free (db_p);
      }
}

/* ------------------------------------------------------------------------ */
/* Squeeze-and-excitation                                                   */

typedef struct {
  float *x, *w1, *b1, *w2, *b2, *r, *out, *squeeze, *hidden, *gate;
  int N, C, S, R;
} SeObjective;

static double
se_objective (gpointer data)
{
  SeObjective *o = data;
  sf_squeeze_excite_forward (o->out, o->squeeze, o->hidden, o->gate, o->x, o->w1, o->b1, o->w2, o->b2, o->N, o->C,
                             o->S, o->R);
  return dot (o->out, o->r, (gsize) o->N * o->C * o->S);
}

static void
test_squeeze_excite (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 41);
  int shapes[][4] = { { 3, 8, 5, 2 }, { 2, 4, 1, 4 }, { 2, 6, 9, 1 } };
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      SeObjective o = { .N = shapes[k][0], .C = shapes[k][1], .S = shapes[k][2], .R = shapes[k][3] };
      gsize n = (gsize) o.N * o.C * o.S, nc = (gsize) o.N * o.C;
      o.x = random_floats (&rng, n, -1, 2);
      o.w1 = random_floats (&rng, (gsize) o.R * o.C, -1, 1);
      o.b1 = random_floats (&rng, o.R, -0.2f, 0.3f);
      o.w2 = random_floats (&rng, (gsize) o.C * o.R, -1, 1);
      o.b2 = random_floats (&rng, o.C, -0.5f, 0.5f);
      o.r = random_floats (&rng, n, -1, 1);
      o.out = g_new (float, n);
      o.squeeze = g_new (float, nc);
      o.hidden = g_new (float, (gsize) o.N * o.R);
      o.gate = g_new (float, nc);
      g_autofree char *what = g_strdup_printf ("squeeze-excite %dx%dx%d r%d", o.N, o.C, o.S, o.R);
      se_objective (&o);

      /* The gate by formula for one image and channel; the output is the input times it. */
      int i = o.N - 1, c = 1;
      double mean[64], z = o.b2[c];
      for (int cc = 0; cc < o.C; cc++)
        {
          mean[cc] = 0;
          for (int s = 0; s < o.S; s++)
            mean[cc] += o.x[((gsize) i * o.C + cc) * o.S + s] / o.S;
        }
      for (int h = 0; h < o.R; h++)
        {
          double v = o.b1[h];
          for (int cc = 0; cc < o.C; cc++)
            v += o.w1[h * o.C + cc] * mean[cc];
          z += o.w2[c * o.R + h] * MAX (v, 0);
        }
      double gate = 1 / (1 + exp (-z));
      g_assert_cmpfloat_with_epsilon (o.gate[i * o.C + c], gate, 1e-5);
      gsize at = ((gsize) i * o.C + c) * o.S;
      g_assert_cmpfloat_with_epsilon (o.out[at], o.x[at] * gate, 1e-5);

      /* BLAS against the reference twin, and both against finite differences. */
      float *out_ref = g_new (float, n), *sq_ref = g_new (float, nc), *hid_ref = g_new (float, (gsize) o.N * o.R);
      float *gate_ref = g_new (float, nc);
      sf_squeeze_excite_forward_ref (out_ref, sq_ref, hid_ref, gate_ref, o.x, o.w1, o.b1, o.w2, o.b2, o.N, o.C, o.S,
                                     o.R);
      assert_close (what, o.out, out_ref, n, 1e-5);
      gsize n_scratch = (gsize) o.N * (2 * o.C + o.R);
      float *scratch = g_new (float, n_scratch);
      float *grads[2][5];
      gsize sizes[5] = { n, (gsize) o.R * o.C, o.R, (gsize) o.C * o.R, o.C };
      for (int t = 0; t < 2; t++)
        for (int g = 0; g < 5; g++)
          grads[t][g] = g == 0 ? g_new (float, sizes[g]) : g_new0 (float, sizes[g]);
      sf_squeeze_excite_backward (grads[0][0], grads[0][1], grads[0][2], grads[0][3], grads[0][4], o.r, o.x, o.squeeze,
                                  o.hidden, o.gate, o.w1, o.w2, o.N, o.C, o.S, o.R, scratch);
      sf_squeeze_excite_backward_ref (grads[1][0], grads[1][1], grads[1][2], grads[1][3], grads[1][4], o.r, o.x,
                                      o.squeeze, o.hidden, o.gate, o.w1, o.w2, o.N, o.C, o.S, o.R, scratch);
      float *params[5] = { o.x, o.w1, o.b1, o.w2, o.b2 };
      for (int g = 0; g < 5; g++)
        {
          assert_close (what, grads[0][g], grads[1][g], sizes[g], 1e-5);
          assert_gradient (what, params[g], sizes[g], grads[0][g], se_objective, &o, 1e-3f, 2e-3);
        }
      for (int t = 0; t < 2; t++)
        for (int g = 0; g < 5; g++)
          g_free (grads[t][g]);
      g_free (o.x), g_free (o.w1), g_free (o.b1), g_free (o.w2), g_free (o.b2), g_free (o.r), g_free (o.out);
      g_free (o.squeeze), g_free (o.hidden), g_free (o.gate), g_free (out_ref), g_free (sq_ref), g_free (hid_ref);
      g_free (gate_ref), g_free (scratch);
    }
}

static double
l2norm_objective (gpointer data)
{
  GapObjective *o = data;
  sf_l2norm_forward (o->out, o->x, o->N, o->C);
  return dot (o->out, o->r, (gsize) o->N * o->C);
}

static void
test_l2norm (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 23);
  GapObjective o = { .N = 5, .C = 7 };
  gsize n = (gsize) o.N * o.C;
  o.x = random_floats (&rng, n, -2, 2);
  o.r = random_floats (&rng, n, -1, 1);
  o.out = g_new (float, n);
  l2norm_objective (&o);
  for (int i = 0; i < o.N; i++)
    {
      double sq = 0, xsq = 0;
      for (int c = 0; c < o.C; c++)
        sq += (double) o.out[i * o.C + c] * o.out[i * o.C + c], xsq += (double) o.x[i * o.C + c] * o.x[i * o.C + c];
      g_assert_cmpfloat_with_epsilon (sq, 1.0, 1e-6);
      g_assert_cmpfloat_with_epsilon (o.out[i * o.C], o.x[i * o.C] / sqrt (xsq), 1e-6);
    }
  float *dx = g_new (float, n);
  sf_l2norm_backward (dx, o.r, o.out, o.x, o.N, o.C);
  assert_gradient ("l2norm", o.x, n, dx, l2norm_objective, &o, 1e-2f, 1e-3);
  /* In place, and a zero row stays zero (no division by zero). */
  memset (o.x, 0, sizeof (float) * o.C);
  sf_l2norm_forward (o.x, o.x, o.N, o.C);
  for (int c = 0; c < o.C; c++)
    g_assert_cmpfloat (o.x[c], ==, 0.0f);
  g_free (o.x), g_free (o.r), g_free (o.out), g_free (dx);
}

typedef struct {
  float *x, *w, *b, *r, *out;
  int N, C, OC;
} DenseObjective;

static double
dense_objective (gpointer data)
{
  DenseObjective *o = data;
  sf_dense_forward (o->out, o->x, o->w, o->b, o->N, o->C, o->OC);
  return dot (o->out, o->r, (gsize) o->N * o->OC);
}

static void
test_dense (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 18);
  int shapes[][3] = { { 1, 1, 1 }, { 3, 7, 5 }, { 17, 33, 9 }, { 2, 130, 65 } };
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      DenseObjective o = { .N = shapes[k][0], .C = shapes[k][1], .OC = shapes[k][2] };
      gsize n_in = (gsize) o.N * o.C, n_out = (gsize) o.N * o.OC, n_w = (gsize) o.OC * o.C;
      o.x = random_floats (&rng, n_in, -1, 1);
      o.w = random_floats (&rng, n_w, -1, 1);
      o.b = random_floats (&rng, o.OC, -1, 1);
      o.r = random_floats (&rng, n_out, -1, 1);
      o.out = g_new (float, n_out);
      float *want = g_new (float, n_out);
      sf_dense_forward_ref (want, o.x, o.w, o.b, o.N, o.C, o.OC);
      dense_objective (&o);
      assert_close ("dense forward", o.out, want, n_out, 1e-5);

      float *dx = g_new (float, n_in), *dw = g_new0 (float, n_w), *db = g_new0 (float, o.OC);
      float *dx_ref = g_new (float, n_in), *dw_ref = g_new0 (float, n_w), *db_ref = g_new0 (float, o.OC);
      sf_dense_backward (dx, dw, db, o.r, o.x, o.w, o.N, o.C, o.OC);
      sf_dense_backward_ref (dx_ref, dw_ref, db_ref, o.r, o.x, o.w, o.N, o.C, o.OC);
      assert_close ("dense dx", dx, dx_ref, n_in, 1e-5);
      assert_close ("dense dw", dw, dw_ref, n_w, 1e-5);
      assert_close ("dense db", db, db_ref, o.OC, 1e-5);
      /* Gradients accumulate. */
      sf_dense_backward (NULL, dw, db, o.r, o.x, o.w, o.N, o.C, o.OC);
      for (gsize i = 0; i < n_w; i++)
        dw_ref[i] *= 2;
      assert_close ("dense dw twice", dw, dw_ref, n_w, 1e-5);
      memset (dw, 0, sizeof (float) * n_w);
      memset (db, 0, sizeof (float) * o.OC);
      sf_dense_backward (dx, dw, db, o.r, o.x, o.w, o.N, o.C, o.OC);
      assert_gradient ("dense x", o.x, n_in, dx, dense_objective, &o, 1e-2f, 1e-3);
      assert_gradient ("dense w", o.w, n_w, dw, dense_objective, &o, 1e-2f, 1e-3);
      assert_gradient ("dense b", o.b, o.OC, db, dense_objective, &o, 1e-2f, 1e-3);
      g_free (o.x), g_free (o.w), g_free (o.b), g_free (o.r), g_free (o.out), g_free (want);
      g_free (dx), g_free (dw), g_free (db), g_free (dx_ref), g_free (dw_ref), g_free (db_ref);
    }
}

/* ------------------------------------------------------------------------ */
/* Distance and heads                                                       */

typedef struct {
  float *a, *b, *r, *dist;
  int N, D;
} DistObjective;

static double
dist_objective (gpointer data)
{
  DistObjective *o = data;
  sf_distance_forward (o->dist, o->a, o->b, o->N, o->D);
  return dot (o->dist, o->r, o->N);
}

static void
test_distance (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 19);
  DistObjective o = { .N = 4, .D = 6 };
  o.a = random_floats (&rng, o.N * o.D, -1, 1);
  o.b = random_floats (&rng, o.N * o.D, -1, 1);
  o.r = random_floats (&rng, o.N, -1, 1);
  o.dist = g_new (float, o.N);
  /* Pair 2: identical embeddings; pair 3: closer than the clamp. */
  memcpy (o.b + 2 * o.D, o.a + 2 * o.D, sizeof (float) * o.D);
  memcpy (o.b + 3 * o.D, o.a + 3 * o.D, sizeof (float) * o.D);
  o.b[3 * o.D] += 1e-4f;
  dist_objective (&o);
  double sq = 0;
  for (int j = 0; j < o.D; j++)
    sq += pow (o.a[j] - o.b[j], 2);
  g_assert_cmpfloat_with_epsilon (o.dist[0], sqrt (sq), 1e-6);
  g_assert_cmpfloat_with_epsilon (o.dist[2], sqrt (1e-7), 1e-9);
  g_assert_cmpfloat_with_epsilon (o.dist[3], sqrt (1e-7), 1e-9);

  float *da = g_new (float, o.N * o.D), *db = g_new (float, o.N * o.D);
  sf_distance_backward (da, db, o.r, o.a, o.b, o.N, o.D);
  for (int j = 0; j < 2 * o.D; j++)
    {
      g_assert_cmpfloat (da[2 * o.D + j], ==, 0);   /* clamped: zero gradient, not NaN */
      g_assert_cmpfloat (db[2 * o.D + j], ==, -da[2 * o.D + j]);
    }
  /* Away from the clamp the differences agree; at it they are zero too (d is constant there). */
  /* eps small enough to stay inside the clamp (the distances are floats: 1e-7 / eps of noise). */
  assert_gradient ("distance a", o.a, o.N * o.D, da, dist_objective, &o, 1e-4f, 5e-3);
  assert_gradient ("distance b", o.b, o.N * o.D, db, dist_objective, &o, 1e-4f, 5e-3);
  g_free (o.a), g_free (o.b), g_free (o.r), g_free (o.dist), g_free (da), g_free (db);
}

typedef struct {
  float *dist, *targets, *scores;
  float w, b, margin;
  int N;
  gboolean bce;
} HeadObjective;

static double
head_objective (gpointer data)
{
  HeadObjective *o = data;
  if (o->bce)
    return sf_bce_head_forward (o->scores, o->dist, o->targets, o->w, o->b, o->N);
  return sf_contrastive_head_forward (o->scores, o->dist, o->targets, o->margin, o->N);
}

static void
test_bce_head (void)
{
  float dist[6] = { 0.1f, 0.5f, 1.2f, 2.0f, 3.5f, 0.01f }, targets[6] = { 1, 0, 1, 0, 1, 0 }, scores[6];
  HeadObjective o = { dist, targets, scores, -1.7f, 0.9f, 1, 6, TRUE };
  double loss = head_objective (&o);
  double want = 0;
  for (int k = 0; k < 6; k++)
    {
      double p = 1 / (1 + exp (-(o.w * dist[k] + o.b)));
      g_assert_cmpfloat_with_epsilon (scores[k], p, 1e-6);
      want -= targets[k] * log (p) + (1 - targets[k]) * log (1 - p);
    }
  g_assert_cmpfloat_with_epsilon (loss, want, 1e-6);
  /* Extreme logits stay finite. */
  float far = 1e4f, one = 1, zero = 0, s;
  g_assert_true (isfinite (sf_bce_head_forward (&s, &far, &one, 1, 0, 1)));
  g_assert_true (isfinite (sf_bce_head_forward (&s, &far, &zero, -1, 0, 1)));
  g_assert_null (NULL);
  g_assert_true (isnan (sf_bce_head_forward (&s, &far, NULL, 1, 0, 1)));

  float ddist[6], dw = 0, db = 0;
  sf_bce_head_backward (ddist, &dw, &db, dist, targets, o.w, o.b, 6, 1.0f);
  assert_gradient ("bce d", dist, 6, ddist, head_objective, &o, 1e-3f, 1e-4);
  assert_gradient ("bce w", &o.w, 1, &dw, head_objective, &o, 1e-3f, 1e-4);
  assert_gradient ("bce b", &o.b, 1, &db, head_objective, &o, 1e-3f, 1e-4);
  /* scale multiplies. */
  float half[6], dw2 = 0, db2 = 0;
  sf_bce_head_backward (half, &dw2, &db2, dist, targets, o.w, o.b, 6, 0.5f);
  g_assert_cmpfloat_with_epsilon (half[2], 0.5f * ddist[2], 1e-7);
  g_assert_cmpfloat_with_epsilon (dw2, 0.5f * dw, 1e-7);
}

static void
test_contrastive_head (void)
{
  /* Same pairs (y = 1) and different ones inside and beyond the margin 1.5. */
  float dist[6] = { 0.2f, 1.1f, 0.3f, 1.0f, 2.0f, 1.7f }, targets[6] = { 1, 1, 0, 0, 0, 0 }, scores[6];
  HeadObjective o = { dist, targets, scores, 0, 0, 1.5f, 6, FALSE };
  double loss = head_objective (&o);
  double want = 0.04 + 1.21 + 1.44 + 0.25 + 0 + 0;
  g_assert_cmpfloat_with_epsilon (loss, want, 1e-6);
  float ddist[6];
  sf_contrastive_head_backward (ddist, dist, targets, o.margin, 6, 1.0f);
  g_assert_cmpfloat_with_epsilon (ddist[0], 0.4, 1e-6);
  g_assert_cmpfloat_with_epsilon (ddist[2], -2 * 1.2, 1e-6);
  g_assert_cmpfloat (ddist[4], ==, 0);
  assert_gradient ("contrastive d", dist, 6, ddist, head_objective, &o, 1e-3f, 1e-4);

  /* The score: 1 at 0, ½ at m/2, ⅕ at m, strictly decreasing. */
  g_assert_cmpfloat (sf_contrastive_score (0, 2), ==, 1);
  g_assert_cmpfloat_with_epsilon (sf_contrastive_score (1, 2), 0.5, 1e-7);
  g_assert_cmpfloat_with_epsilon (sf_contrastive_score (2, 2), 0.2, 1e-7);
  float last = 2;
  for (float d = 0; d < 10; d += 0.25f)
    {
      float s = sf_contrastive_score (d, 2);
      g_assert_cmpfloat (s, <, last);
      g_assert_cmpfloat (s, >, 0);
      last = s;
    }
}

typedef struct {
  float *e;
  const int *labels;
  int N, D;
  float margin;
} AllPairsObjective;

static double
all_pairs_objective (gpointer data)
{
  AllPairsObjective *o = data;
  g_autofree float *de = g_new (float, o->N * o->D);
  return sf_all_pairs_contrastive (de, o->e, o->labels, o->N, o->D, o->margin, 1.0f);
}

static void
test_all_pairs_contrastive (void)
{
  /* Three points on a line, two of one person: d(0,1) = 1, d(0,2) = d(1,2) = 0.5; margin 1. */
  float e[3] = { 0, 1, 0.5f };
  int labels[3] = { 7, 7, 3 };
  float de[3];
  double loss = sf_all_pairs_contrastive (de, e, labels, 3, 1, 1.0f, 1.0f);
  /* Same: 1²; different, both within the margin: the mean of (1 - 0.5)², 0.25. */
  g_assert_cmpfloat_with_epsilon (loss, 1.25, 1e-6);
  /* Random embeddings, several people: the gradient against finite differences. */
  SfRng rng;
  sf_rng_seed (&rng, 5);
  enum { N = 10, D = 4 };
  float x[N * D], dx[N * D];
  int people[N];
  for (int i = 0; i < N * D; i++)
    x[i] = (float) sf_rng_uniform (&rng);
  for (int i = 0; i < N; i++)
    people[i] = i % 3;
  AllPairsObjective o = { x, people, N, D, 1.2f };
  sf_all_pairs_contrastive (dx, x, people, N, D, o.margin, 1.0f);
  assert_gradient ("all-pairs contrastive", x, N * D, dx, all_pairs_objective, &o, 1e-3f, 1e-3);
  /* scale multiplies the gradient. */
  float dx2[N * D];
  sf_all_pairs_contrastive (dx2, x, people, N, D, o.margin, 0.5f);
  g_assert_cmpfloat_with_epsilon (dx2[3], 0.5f * dx[3], 1e-6);
}

typedef struct {
  float *e;
  const int *labels;
  int N, D;
  float temperature;
} SoftmaxObjective;

static double
softmax_objective (gpointer data)
{
  SoftmaxObjective *o = data;
  g_autofree float *de = g_new (float, o->N * o->D);
  return sf_all_pairs_softmax (de, o->e, o->labels, o->N, o->D, o->temperature, 1.0f);
}

static void
test_all_pairs_softmax (void)
{
  /* The same three points at temperature 1: anchors 0 and 1 (2 has nobody of
   * its own), each with its partner at d² = 1 and the stranger at d² = 0.25:
   * -log (e⁻¹ / (e⁻¹ + e^-0.25)) each. */
  float e[3] = { 0, 1, 0.5f };
  int labels[3] = { 7, 7, 3 };
  float de[3];
  double loss = sf_all_pairs_softmax (de, e, labels, 3, 1, 1.0f, 1.0f);
  g_assert_cmpfloat_with_epsilon (loss, 1 + log (exp (-1.0) + exp (-0.25)), 1e-6);
  /* The partners are pulled together, the stranger pushed away from both: by symmetry it stays put. */
  g_assert_cmpfloat (de[0], <, 0);
  g_assert_cmpfloat (de[1], >, 0);
  g_assert_cmpfloat_with_epsilon (de[2], 0, 1e-6);
  /* Nobody with a partner: no loss, no gradient. */
  int alone[3] = { 1, 2, 3 };
  g_assert_cmpfloat (sf_all_pairs_softmax (de, e, alone, 3, 1, 1.0f, 1.0f), ==, 0);
  g_assert_cmpfloat (de[0], ==, 0);

  /* Unit vectors, several people, a low temperature: against finite differences. */
  SfRng rng;
  sf_rng_seed (&rng, 9);
  enum { N = 10, D = 4 };
  float x[N * D], dx[N * D], dx2[N * D];
  int people[N];
  for (int i = 0; i < N * D; i++)
    x[i] = (float) sf_rng_uniform (&rng) - 0.5f;
  sf_l2norm_forward (x, x, N, D);
  for (int i = 0; i < N; i++)
    people[i] = i % 3;
  SoftmaxObjective o = { x, people, N, D, 0.2f };
  sf_all_pairs_softmax (dx, x, people, N, D, o.temperature, 1.0f);
  assert_gradient ("all-pairs softmax", x, N * D, dx, softmax_objective, &o, 1e-3f, 1e-3);
  sf_all_pairs_softmax (dx2, x, people, N, D, o.temperature, 0.5f);
  g_assert_cmpfloat_with_epsilon (dx2[3], 0.5f * dx[3], 1e-6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/conv/reference-by-hand", test_conv_reference_by_hand);
  g_test_add_func ("/conv/matches-direct", test_conv_matches_direct);
  g_test_add_func ("/conv/direct", test_conv_direct_matches_reference);
  g_test_add_func ("/conv/direct-bf16", test_conv_direct_bf16_matches_reference);
  g_test_add_func ("/conv/direct-avx2", test_conv_direct_avx2_matches_reference);
  g_test_add_func ("/conv/direct-avx2-same-bits", test_conv_direct_avx2_same_bits);
  g_test_add_func ("/conv/winograd-f43", test_conv_winograd_f43);
  g_test_add_func ("/conv/winograd-f5", test_conv_winograd_f5);
  g_test_add_func ("/conv/winograd-tile-choice", test_conv_winograd_tile_choice);
  g_test_add_func ("/conv/strided", test_conv_strided_matches_reference);
  g_test_add_func ("/conv/strided-by-hand", test_conv_strided_by_hand);
  g_test_add_func ("/conv/gradient", test_conv_gradient);
  g_test_add_func ("/pool/by-hand", test_pool_forward_by_hand);
  g_test_add_func ("/pool/gradient", test_pool_gradient);
  g_test_add_func ("/activations", test_activations);
  g_test_add_func ("/batchnorm", test_batchnorm);
  g_test_add_func ("/batchnorm-pool", test_batchnorm_pool);
  g_test_add_func ("/dropout", test_dropout);
  g_test_add_func ("/avgpool", test_avgpool);
  g_test_add_func ("/avgpool-window", test_avgpool_window);
  g_test_add_func ("/depthwise", test_depthwise);
  g_test_add_func ("/residual-join", test_residual_join);
  g_test_add_func ("/squeeze-excite", test_squeeze_excite);
  g_test_add_func ("/l2norm", test_l2norm);
  g_test_add_func ("/dense", test_dense);
  g_test_add_func ("/distance", test_distance);
  g_test_add_func ("/head/bce", test_bce_head);
  g_test_add_func ("/head/contrastive", test_contrastive_head);
  g_test_add_func ("/head/all-pairs-contrastive", test_all_pairs_contrastive);
  g_test_add_func ("/head/all-pairs-softmax", test_all_pairs_softmax);
  return g_test_run ();
}
