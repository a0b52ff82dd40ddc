/* The 2×2 max-pool kernels (pool2-avx2.c, pool2-avx512.c) against the plain
 * loops, on every kind this CPU runs: the forward pass (maxima, argmax and
 * the values there) equal to the bit, ties included; the gradient spread
 * back equal; batch norm's backward through the pool within 1e-5 (its sums
 * are added in another order). Planes of odd and even sizes cover the
 * masked tails of 8 and 16 lanes. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "batchnorm.h"
#include "layers-private.h"
#include "rng.h"

static const struct { int H, W; } shapes[] = {
  { 2, 2 }, { 3, 3 }, { 4, 6 }, { 5, 7 }, { 6, 10 }, { 8, 16 }, { 16, 16 }, { 10, 30 },
  { 12, 34 }, { 32, 32 }, { 7, 50 }, { 64, 64 }, { 4, 66 },
};

/* Values on a coarse grid, so that windows hold ties. */
static void
fill (float *x, gsize n, SfRng *rng)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) ((int) (sf_rng_uniform (rng) * 9.0) - 4) * 0.25f;
}

static void
assert_same_floats (const char *what, const float *got, const float *want, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!(got[i] == want[i]))
      g_error ("%s: element %" G_GSIZE_FORMAT ": %.9g, the plain loops %.9g", what, i, got[i], want[i]);
}

static void
assert_close (const char *what, const float *got, const float *want, gsize n, double tolerance)
{
  double scale = 0;
  for (gsize i = 0; i < n; i++)
    scale = MAX (scale, fabs (want[i]));
  for (gsize i = 0; i < n; i++)
    if (!(fabs ((double) got[i] - want[i]) <= tolerance * MAX (scale, 1e-30)))
      g_error ("%s: element %" G_GSIZE_FORMAT ": %.9g, the plain loops %.9g (largest %.3g)", what, i, got[i], want[i],
               scale);
}

/* One plane forward and back, kernels `kind` against the plain loops. */
static void
check_plane (SfPool2Kernels kind, int H, int W, SfAct act, SfRng *rng)
{
  int Ho = H / 2, Wo = W / 2;
  gsize S = (gsize) H * W, So = (gsize) Ho * Wo;
  g_autofree float *x = g_new (float, S), *dout = g_new (float, So);
  /* [0] the plain loops', [1] the kernels' */
  g_autofree float *outs = g_new0 (float, 2 * So), *ats = g_new0 (float, 2 * So), *fulls = g_new (float, 2 * S);
  g_autofree guint8 *args = g_new0 (guint8, 2 * So);
  float *out[2] = { outs, outs + So }, *at[2] = { ats, ats + So }, *full[2] = { fulls, fulls + S };
  guint8 *arg[2] = { args, args + So };
  g_autofree char *what = g_strdup_printf ("%s %dx%d act %d", kind == SF_POOL2_KERNELS_AVX2 ? "AVX2" : "AVX-512",
                                           H, W, act.kind);
  fill (x, S, rng);
  fill (dout, So, rng);
  float scale = 0.5f + (float) sf_rng_uniform (rng), shift = (float) sf_rng_uniform (rng) - 0.5f;

  for (int k = 0; k < 2; k++)
    {
      sf_pool2_limit_kernels (k == 0 ? SF_POOL2_KERNELS_PLAIN : kind);
      g_assert_cmpint (sf_pool2_kernels (act.kind), ==, k == 0 ? SF_POOL2_KERNELS_PLAIN : kind);
      sf_pool2_plane_forward (out[k], arg[k], at[k], x, H, W, scale, shift, act);
      memset (full[k], 0x7f, sizeof (float) * S);
      sf_pool2_plane_gradient (full[k], dout, out[0], arg[0], H, W, act);
    }
  assert_same_floats (what, out[1], out[0], So);
  g_assert_cmpmem (arg[1], So, arg[0], So);
  assert_same_floats (what, at[1], at[0], So);
  assert_same_floats (what, full[1], full[0], S);
}

/* Batch norm + act + pool backward over N×C planes. */
static void
check_batchnorm (SfPool2Kernels kind, int H, int W, SfAct act, SfRng *rng)
{
  const int N = 3, C = 2;
  int Ho = H / 2, Wo = W / 2;
  gsize S = (gsize) N * C * H * W, So = (gsize) N * C * Ho * Wo;
  g_autofree float *x = g_new (float, S), *dout = g_new (float, So);
  g_autofree float *out = g_new (float, So);
  g_autofree guint8 *arg = g_new (guint8, So);
  float gamma[2] = { 1.3f, 0.7f }, beta[2] = { 0.1f, -0.2f }, mean[2], invstd[2], rm[2] = { 0 }, rv[2] = { 1, 1 };
  g_autofree float *dxs = g_new (float, 2 * S);
  float *dx[2] = { dxs, dxs + S };
  float dg[2][2] = { { 0 } }, db[2][2] = { { 0 } };
  g_autofree char *what = g_strdup_printf ("batch norm %s %dx%d act %d",
                                           kind == SF_POOL2_KERNELS_AVX2 ? "AVX2" : "AVX-512", H, W, act.kind);
  for (gsize i = 0; i < S; i++)
    x[i] = (float) sf_rng_uniform (rng) * 2 - 1;
  fill (dout, So, rng);

  sf_pool2_limit_kernels (SF_POOL2_KERNELS_PLAIN);
  sf_batchnorm_pool_forward (out, arg, mean, invstd, rm, rv, x, gamma, beta, N, C, H, W, act, 2, TRUE, 0, C);
  for (int k = 0; k < 2; k++)
    {
      sf_pool2_limit_kernels (k == 0 ? SF_POOL2_KERNELS_PLAIN : kind);
      sf_batchnorm_pool_backward (dx[k], dg[k], db[k], dout, out, arg, x, mean, invstd, gamma, N, C, H, W, act, 2, 0,
                                  C);
    }
  assert_close (what, dx[1], dx[0], S, 1e-5);
  assert_close (what, dg[1], dg[0], C, 1e-5);
  assert_close (what, db[1], db[0], C, 1e-5);
}

static void
check_kind (SfPool2Kernels kind)
{
  SfAct acts[] = { { SF_ACT_RELU, 0 }, { SF_ACT_NONE, 0 } };
  SfRng rng_state, *rng = &rng_state;

  sf_rng_seed (rng, 7);

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (gsize a = 0; a < G_N_ELEMENTS (acts); a++)
      {
        check_plane (kind, shapes[s].H, shapes[s].W, acts[a], rng);
        if (shapes[s].H % 2 == 0)
          check_batchnorm (kind, shapes[s].H, shapes[s].W, acts[a], rng);
      }
  /* Other activations keep the plain loops. */
  g_assert_cmpint (sf_pool2_kernels (SF_ACT_LEAKY_RELU), ==, SF_POOL2_KERNELS_PLAIN);
  sf_pool2_limit_kernels (SF_POOL2_KERNELS_AVX512);
}

static void
test_avx2 (void)
{
#if SF_POOL2_AVX2
  if (sf_pool2_avx2_usable (SF_ACT_RELU))
    {
      check_kind (SF_POOL2_KERNELS_AVX2);
      return;
    }
#endif
  g_test_skip ("this build or CPU has no AVX2 pooling kernels");
}

static void
test_avx512 (void)
{
#if SF_POOL2_AVX512
  if (sf_pool2_avx512_usable (SF_ACT_RELU))
    {
      check_kind (SF_POOL2_KERNELS_AVX512);
      return;
    }
#endif
  g_test_skip ("this build or CPU has no AVX-512 pooling kernels");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pool2/avx2-matches-plain", test_avx2);
  g_test_add_func ("/pool2/avx512-matches-plain", test_avx512);
  return g_test_run ();
}
