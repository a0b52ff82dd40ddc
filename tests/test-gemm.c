/* sf_gemm: the bf16 kernel against cblas_sgemm within the bound bf16
 * rounding allows, and the fp32 setting bit for bit cblas_sgemm. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "rng.h"

typedef struct {
  int M, N, K;
  float alpha, beta;
  int pad;  /* extra columns of every matrix's leading dimension */
} Case;

/* Odd sizes; sizes beyond one packed block of rows (96), columns (480) and
 * depth (384), odd K (a zero-padded last pair); beta 0 (C unread), 1, other. */
static const Case cases[] = {
  { 1, 1, 1, 1.0f, 0.0f, 0 },
  { 7, 13, 3, 1.0f, 0.0f, 1 },
  { 37, 101, 77, 0.5f, 1.0f, 3 },
  { 100, 500, 401, -1.5f, 0.25f, 0 },
  { 9, 49, 800, 1.0f, 1.0f, 5 },
  { 200, 17, 64, 2.0f, -1.0f, 2 },
};

static float *
random_floats (SfRng *rng, gsize n)
{
  float *x = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (2 * sf_rng_uniform (rng) - 1);
  return x;
}

/* The element (r, c) of op(X), X row-major with leading dimension ld. */
static double
op_at (const float *X, int ld, gboolean trans, int r, int c)
{
  return trans ? X[(gsize) c * ld + r] : X[(gsize) r * ld + c];
}

/* Each factor rounded to bf16 (8 significant bits, nearest) is off by at
 * most u = 2^-8 of itself, so each product ab by at most (2u + u²)|ab|; the
 * fp32 sums of the kernel and of the reference add at most K·2^-24 each of
 * Σ|ab| (plus 2^-24 of |beta·C| and of the result). Per element:
 *   |got − want| ≤ |alpha|·(2^-7 + 2^-16 + 2K·2^-24)·Σ_k |a_ik·b_kj|
 *                  + 2^-22·(|beta·C_ij| + |want|).
 * Returns the largest |got − want| / Σ|alpha·a·b| seen. */
static double
check_bf16_case (const Case *c, gboolean ta, gboolean tb, SfRng *rng)
{
  int M = c->M, N = c->N, K = c->K;
  int lda = (ta ? M : K) + c->pad, ldb = (tb ? K : N) + c->pad, ldc = N + c->pad;
  g_autofree float *A = random_floats (rng, (gsize) (ta ? K : M) * lda);
  g_autofree float *B = random_floats (rng, (gsize) (tb ? N : K) * ldb);
  g_autofree float *C0 = random_floats (rng, (gsize) M * ldc);
  g_autofree float *want = g_memdup2 (C0, sizeof (float) * M * ldc);
  g_autofree float *got = g_memdup2 (C0, sizeof (float) * M * ldc);
  if (c->beta == 0.0f)
    for (gsize i = 0; i < (gsize) M * ldc; i++)
      got[i] = NAN;  /* beta 0 must not read C */

  cblas_sgemm (CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, c->alpha, A,
               lda, B, ldb, c->beta, want, ldc);
  g_assert_true (sf_gemm_bf16 (ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, c->alpha, A,
                               lda, B, ldb, c->beta, got, ldc));

  double worst = 0, worst_abs = 0;
  double factor = 1.0 / 128 + 1.0 / 65536 + 2.0 * K / 16777216.0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++)
      {
        double magnitude = 0;
        for (int k = 0; k < K; k++)
          magnitude += fabs (op_at (A, lda, ta, i, k) * op_at (B, ldb, tb, k, j));
        magnitude *= fabs (c->alpha);
        double w = want[(gsize) i * ldc + j], g = got[(gsize) i * ldc + j];
        double bound = factor * magnitude + (fabs (c->beta * C0[(gsize) i * ldc + j]) + fabs (w)) / 4194304.0;
        double err = fabs (g - w);
        if (!(err <= bound))
          {
            g_test_message ("%dx%dx%d trans %d%d: C[%d, %d] = %.9g, cblas_sgemm %.9g, bound %.3g", M, N, K, ta, tb,
                            i, j, g, w, bound);
            g_test_fail ();
            return worst;
          }
        worst = MAX (worst, err / MAX (magnitude, 1e-30));
        worst_abs = MAX (worst_abs, err);
      }
  /* The padding columns of C stay as they were. */
  for (int i = 0; i < M; i++)
    for (int j = N; j < ldc; j++)
      if (c->beta != 0.0f)
        g_assert_cmpfloat (got[(gsize) i * ldc + j], ==, C0[(gsize) i * ldc + j]);
      else
        g_assert_true (isnan (got[(gsize) i * ldc + j]));
  /* Rounded factors give a different sum somewhere: the kernel ran, not sgemm. */
  if ((gint64) M * N * K > 1000)
    g_assert_cmpfloat (worst_abs, >, 0);
  return worst;
}

static void
test_bf16_against_sgemm (void)
{
  if (!sf_gemm_cpu_has_bf16 ())
    {
      g_test_skip ("this CPU (or OS) has no AVX512_BF16: the bf16 product is not used here");
      return;
    }
  SfRng rng_state, *rng = &rng_state;
  sf_rng_seed (rng, 15);
  for (gsize n = 0; n < G_N_ELEMENTS (cases); n++)
    for (int t = 0; t < 4; t++)
      {
        double worst = check_bf16_case (&cases[n], t & 1, t >> 1, rng);
        g_test_message ("%dx%dx%d trans %d%d: worst error %.3g of sum |alpha a b|", cases[n].M, cases[n].N,
                        cases[n].K, t & 1, t >> 1, worst);
      }
}

/* An exact case: small integers are exact in bf16 and their sums in fp32. */
static void
test_bf16_exact_integers (void)
{
  if (!sf_gemm_cpu_has_bf16 ())
    {
      g_test_skip ("this CPU (or OS) has no AVX512_BF16: the bf16 product is not used here");
      return;
    }
  int M = 19, N = 70, K = 33;
  g_autofree float *A = g_new (float, M * K);
  g_autofree float *B = g_new (float, K * N);
  g_autofree float *C = g_new (float, M * N);
  for (int i = 0; i < M * K; i++)
    A[i] = (float) (i % 7 - 3);
  for (int i = 0; i < K * N; i++)
    B[i] = (float) (i % 5 - 2);
  g_assert_true (sf_gemm_bf16 (CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N));
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++)
      {
        float sum = 0;
        for (int k = 0; k < K; k++)
          sum += A[i * K + k] * B[k * N + j];
        g_assert_cmpfloat (C[i * N + j], ==, sum);
      }
}

/* Each factor is rounded to the nearest bf16, ties to even (not truncated):
 * op(A)·I gives the rounded A exactly. bf16's step at 1 is 2^-7. */
static void
test_bf16_rounding (void)
{
  if (!sf_gemm_cpu_has_bf16 ())
    {
      g_test_skip ("this CPU (or OS) has no AVX512_BF16: the bf16 product is not used here");
      return;
    }
  const float step = 1.0f / 128;
  const struct {
    float x, rounded;
  } values[] = {
    { 1.0f + 0.25f * step, 1.0f },               /* below half a step: down */
    { 1.0f + 0.75f * step, 1.0f + step },        /* above half: up (truncation would go down) */
    { 1.0f + 0.5f * step, 1.0f },                /* a tie, to the even 1 */
    { 1.0f + 1.5f * step, 1.0f + 2 * step },     /* a tie, to the even 1 + 2·step */
    { -(1.0f + 0.75f * step), -(1.0f + step) },  /* the same for negatives */
    { 3.0e-3f, 0x1.8ap-9f },                     /* 0x1.89374cp-9: 7 bits 1000100, then 1…: up */
  };
  int M = G_N_ELEMENTS (values), K = 4, N = 4;
  float A[G_N_ELEMENTS (values) * 4], B[16], C[G_N_ELEMENTS (values) * 4];
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++)
      A[i * K + k] = values[i].x;
  for (int k = 0; k < K; k++)
    for (int j = 0; j < N; j++)
      B[k * N + j] = k == j;
  g_assert_true (sf_gemm_bf16 (CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N));
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++)
      g_assert_cmpfloat (C[i * N + j], ==, values[i].rounded);
}

/* sf_gemm in fp32 is cblas_sgemm bit for bit, large or small; in bf16 a
 * large product leaves OpenBLAS where the CPU allows, a small one does not. */
static void
test_precision_setting (void)
{
  SfRng rng_state, *rng = &rng_state;
  sf_rng_seed (rng, 16);
  int sizes[][3] = { { 256, 300, 200 }, { 5, 6, 7 } };
  for (int s = 0; s < 2; s++)
    for (int p = 0; p < 2; p++)
      {
        int M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
        g_autofree float *A = random_floats (rng, (gsize) M * K);
        g_autofree float *B = random_floats (rng, (gsize) K * N);
        g_autofree float *want = random_floats (rng, (gsize) M * N);
        g_autofree float *got = g_memdup2 (want, sizeof (float) * M * N);
        sf_gemm_set_precision (p == 0 ? SF_PRECISION_FP32 : SF_PRECISION_BF16);
        sf_gemm (CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 0.75f, A, K, B, K, 0.5f, got, N);
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 0.75f, A, K, B, K, 0.5f, want, N);
        gboolean same = memcmp (got, want, sizeof (float) * M * N) == 0;
        gboolean bf16_ran = p == 1 && s == 0 && sf_gemm_cpu_has_bf16 ();
        g_assert_cmpint (same, ==, !bf16_ran);
      }
  sf_gemm_set_precision (SF_PRECISION_FP32);
  g_assert_cmpstr (sf_gemm_precision_name (), ==, "fp32");
  sf_gemm_set_precision (SF_PRECISION_BF16);
  g_assert_cmpstr (sf_gemm_precision_name (), ==, sf_gemm_cpu_has_bf16 () ? "bf16" : "fp32");
  sf_gemm_set_precision (SF_PRECISION_AUTO);
  g_assert_cmpstr (sf_gemm_precision_name (), ==, sf_gemm_cpu_has_bf16 () ? "bf16" : "fp32");
  sf_gemm_set_precision (SF_PRECISION_DEFAULT);

  SfPrecision parsed = SF_PRECISION_AUTO;
  g_assert_true (sf_gemm_precision_parse ("fp32", &parsed));
  g_assert_cmpint (parsed, ==, SF_PRECISION_FP32);
  g_assert_true (sf_gemm_precision_parse ("bf16", &parsed));
  g_assert_cmpint (parsed, ==, SF_PRECISION_BF16);
  g_assert_true (sf_gemm_precision_parse ("auto", &parsed));
  g_assert_cmpint (parsed, ==, SF_PRECISION_AUTO);
  g_assert_false (sf_gemm_precision_parse ("fp16", &parsed));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gemm/bf16-against-sgemm", test_bf16_against_sgemm);
  g_test_add_func ("/gemm/bf16-exact-integers", test_bf16_exact_integers);
  g_test_add_func ("/gemm/bf16-rounding", test_bf16_rounding);
  g_test_add_func ("/gemm/precision-setting", test_precision_setting);
  return g_test_run ();
}
