/* Activations, max-pooling (with a convolution's bias and activation),
 * dropout, average pooling, l2norm and dense; see layers.h. */
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "layers-private.h"
#include "rng.h"

static gint pool2_widest = SF_POOL2_KERNELS_AVX512;

SfPool2Kernels
sf_pool2_kernels (SfActKind kind)
{
  SfPool2Kernels widest = g_atomic_int_get (&pool2_widest);
#if SF_POOL2_AVX512
  if (widest >= SF_POOL2_KERNELS_AVX512 && sf_pool2_avx512_usable (kind))
    return SF_POOL2_KERNELS_AVX512;
#endif
#if SF_POOL2_AVX2
  if (widest >= SF_POOL2_KERNELS_AVX2 && sf_pool2_avx2_usable (kind))
    return SF_POOL2_KERNELS_AVX2;
#endif
  (void) kind;
  (void) widest;
  return SF_POOL2_KERNELS_PLAIN;
}

void
sf_pool2_limit_kernels (SfPool2Kernels widest)
{
  g_atomic_int_set (&pool2_widest, widest);
}

/* Σ x[i], vectorisable: 16 float partial sums, then double. */
static SF_HOT double
sum_floats (const float *x, gsize n)
{
  float acc[16] = { 0 };
  gsize i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; j++)
      acc[j] += x[i + j];
  double sum = 0;
  for (; i < n; i++)
    sum += x[i];
  for (int j = 0; j < 16; j++)
    sum += acc[j];
  return sum;
}

void
sf_pool2_plane_forward (float *out, guint8 *argmax, float *at, const float *x, int H, int W, float scale,
                        float shift, SfAct act)
{
  int Ho = H / 2, Wo = W / 2;
  pool_plane (out, argmax, x, H, W, 2, scale, shift, act);
  switch (sf_pool2_kernels (act.kind))
    {
#if SF_POOL2_AVX512
    case SF_POOL2_KERNELS_AVX512:
      sf_pool2_values_at_avx512 (at, x, argmax, Ho, Wo, W);
      return;
#endif
#if SF_POOL2_AVX2
    case SF_POOL2_KERNELS_AVX2:
      sf_pool2_values_at_avx2 (at, x, argmax, Ho, Wo, W);
      return;
#endif
    default:
      break;
    }
  for (int oy = 0; oy < Ho; oy++)
    for (int ox = 0; ox < Wo; ox++)
      at[oy * Wo + ox] = x[window_index (oy, ox, argmax[oy * Wo + ox], 2, W)];
}

void
sf_pool2_plane_gradient (float *full, const float *dout, const float *out, const guint8 *argmax, int H, int W,
                         SfAct act)
{
  int Ho = H / 2, Wo = W / 2;
  SfPool2Kernels kernels = sf_pool2_kernels (act.kind);
  if (kernels != SF_POOL2_KERNELS_PLAIN)
    {
#if SF_POOL2_AVX512
      if (kernels == SF_POOL2_KERNELS_AVX512)
        sf_pool2_gradient_plane_avx512 (full, dout, out, argmax, Ho, Wo, W, act.kind);
#endif
#if SF_POOL2_AVX2
      if (kernels == SF_POOL2_KERNELS_AVX2)
        sf_pool2_gradient_plane_avx2 (full, dout, out, argmax, Ho, Wo, W, act.kind);
#endif
      /* The kernels write rows 0 .. 2·Ho - 1; an odd last row has no window. */
      if (H % 2 != 0)
        memset (full + (gsize) (H - 1) * W, 0, sizeof (float) * W);
      return;
    }
  memset (full, 0, sizeof (float) * H * W);
  for (int oy = 0; oy < Ho; oy++)
    for (int ox = 0; ox < Wo; ox++)
      {
        int i = oy * Wo + ox;
        full[window_index (oy, ox, argmax[i], 2, W)] = dout[i] * act_slope (out[i], act.kind, act.param);
      }
}

SF_HOT void
sf_act_forward (float *out, const float *inp, gsize n, SfAct act)
{
  /* out may equal inp: element by element, that is safe. */
  WITH_ACT (act.kind, for (gsize i = 0; i < n; i++) out[i] = act_apply (inp[i], K_, act.param));
}

SF_HOT void
sf_act_backward (float *dinp, const float *dout, const float *out, gsize n, SfAct act)
{
  WITH_ACT (act.kind, for (gsize i = 0; i < n; i++) dinp[i] = dout[i] * act_slope (out[i], K_, act.param));
}

/* ------------------------------------------------------------------------ */

SF_HOT void
sf_bias_act_pool_forward (float *out, guint8 *argmax, const float *y, gsize image_stride, gsize channel_stride,
                          const float *bias, int n, int C, int H, int W, SfAct act, int P)
{
  int Ho = H / P, Wo = W / P;
  for (int img = 0; img < n; img++)
    for (int c = 0; c < C; c++)
      {
        const float *plane = y + img * image_stride + c * channel_stride;
        float *dst = out + ((gsize) img * C + c) * Ho * Wo;
        float b = bias != NULL ? bias[c] : 0.0f;
        if (P == 1)
          WITH_ACT (act.kind, affine_act_row (dst, plane, (gsize) H * W, 1.0f, b, K_, act.param));
        else
          pool_plane (dst, argmax + ((gsize) img * C + c) * Ho * Wo, plane, H, W, P, 1.0f, b, act);
      }
}

SF_HOT void
sf_bias_act_pool_backward (float *dy, float *dbias, const float *dout, const float *out, const guint8 *argmax,
                           gsize image_stride, gsize channel_stride, int n, int C, int H, int W, SfAct act, int P)
{
  int Ho = H / P, Wo = W / P;
  float *g = g_alloca (sizeof (float) * MAX (Wo, 1));
  for (int c = 0; c < C; c++)
    {
      double db = 0;
      for (int img = 0; img < n; img++)
        {
          float *plane = dy + img * image_stride + c * channel_stride;
          gsize o0 = ((gsize) img * C + c) * Ho * Wo;
          if (P == 1)
            {
              WITH_ACT (act.kind, slope_row (plane, dout + o0, out + o0, (gsize) H * W, K_, act.param));
              db += sum_floats (plane, (gsize) H * W);
              continue;
            }
          if (P == 2 && sf_pool2_kernels (act.kind) != SF_POOL2_KERNELS_PLAIN)
            {
              /* The plane in one pass of vector stores; db as below. */
              sf_pool2_plane_gradient (plane, dout + o0, out + o0, argmax + o0, H, W, act);
              for (int oy = 0; oy < Ho; oy++)
                {
                  WITH_ACT (act.kind, slope_row (g, dout + o0 + oy * Wo, out + o0 + oy * Wo, Wo, K_, act.param));
                  db += sum_floats (g, Wo);
                }
              continue;
            }
          /* Zero, then the gradient at the argmax of every window. */
          memset (plane, 0, sizeof (float) * H * W);
          for (int oy = 0; oy < Ho; oy++)
            {
              WITH_ACT (act.kind, slope_row (g, dout + o0 + oy * Wo, out + o0 + oy * Wo, Wo, K_, act.param));
              const guint8 *arg = argmax + o0 + oy * Wo;
              float *r0 = plane + (gsize) oy * P * W;
              for (int ox = 0; ox < Wo; ox++)
                r0[window_index (0, ox, arg[ox], P, W)] = g[ox];
              db += sum_floats (g, Wo);
            }
        }
      if (dbias != NULL)
        dbias[c] += (float) db;
    }
}

/* ------------------------------------------------------------------------ */

gsize
sf_dropout_mask_size (gsize n)
{
  return (n + 63) / 64 * 8;
}

SF_HOT void
sf_dropout_forward (float *out, guint8 *mask, const float *inp, gsize n, float p, guint64 seed)
{
  /* keep when a 32-bit uniform is ≥ p·2³²: two draws per 64-bit number. */
  double t = (double) p * 4294967296.0;
  guint32 threshold = (guint32) MIN (t, 4294967295.0);
  float scale = 1.0f / (1.0f - p);
  SfRng rng;
  sf_rng_seed (&rng, seed);
  for (gsize i0 = 0; i0 < n; i0 += 64)
    {
      gsize m = MIN (64, n - i0);
      guint8 keep[64];
      for (gsize j = 0; j < m; j += 2)
        {
          guint64 r = sf_rng_next (&rng);
          keep[j] = (guint32) r >= threshold;
          if (j + 1 < m)
            keep[j + 1] = (guint32) (r >> 32) >= threshold;
        }
      guint64 bits = 0;
      for (gsize j = 0; j < m; j++)
        bits |= (guint64) keep[j] << j;
      bits = GUINT64_TO_LE (bits);
      memcpy (mask + i0 / 8, &bits, sizeof bits);
      for (gsize j = 0; j < m; j++)
        out[i0 + j] = keep[j] ? inp[i0 + j] * scale : 0.0f;
    }
}

SF_HOT void
sf_dropout_backward (float *dinp, const float *dout, const guint8 *mask, gsize n, float p)
{
  float scale = 1.0f / (1.0f - p);
  for (gsize i0 = 0; i0 < n; i0 += 64)
    {
      gsize m = MIN (64, n - i0);
      guint64 bits;
      memcpy (&bits, mask + i0 / 8, sizeof bits);
      bits = GUINT64_FROM_LE (bits);
      for (gsize j = 0; j < m; j++)
        dinp[i0 + j] = (bits >> j) & 1 ? dout[i0 + j] * scale : 0.0f;
    }
}

/* ------------------------------------------------------------------------ */

SF_HOT void
sf_avgpool_forward (float *out, const float *inp, int N, int C, int S)
{
  for (gsize i = 0; i < (gsize) N * C; i++)
    out[i] = (float) (sum_floats (inp + i * S, S) / S);
}

void
sf_avgpool_backward (float *dinp, const float *dout, int N, int C, int S)
{
  for (gsize i = 0; i < (gsize) N * C; i++)
    {
      float g = dout[i] / (float) S;
      for (int s = 0; s < S; s++)
        dinp[i * S + s] = g;
    }
}

/* ------------------------------------------------------------------------ */

SF_HOT void
sf_avgpool_window_forward (float *out, const float *inp, int N, int C, int H, int W, int K)
{
  int Ho = H / K, Wo = W / K;
  float inv = 1.0f / (float) (K * K);
  for (gsize i = 0; i < (gsize) N * C; i++)
    {
      const float *plane = inp + i * H * W;
      float *dst = out + i * Ho * Wo;
      for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
          {
            float sum = 0;
            for (int dy = 0; dy < K; dy++)
              for (int dx = 0; dx < K; dx++)
                sum += plane[(gsize) (oy * K + dy) * W + ox * K + dx];
            dst[oy * Wo + ox] = sum * inv;
          }
    }
}

void
sf_avgpool_window_backward (float *dinp, const float *dout, int N, int C, int H, int W, int K)
{
  int Ho = H / K, Wo = W / K;
  float inv = 1.0f / (float) (K * K);
  memset (dinp, 0, sizeof (float) * N * C * H * W);
  for (gsize i = 0; i < (gsize) N * C; i++)
    {
      float *plane = dinp + i * H * W;
      const float *g = dout + i * Ho * Wo;
      for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
          for (int dy = 0; dy < K; dy++)
            for (int dx = 0; dx < K; dx++)
              plane[(gsize) (oy * K + dy) * W + ox * K + dx] = g[oy * Wo + ox] * inv;
    }
}

/* ------------------------------------------------------------------------ */

typedef void (*DenseForward) (float *out, const float *inp, const float *weight, const float *bias, int N, int C,
                              int OC);
typedef void (*DenseBackward) (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                               const float *weight, int N, int C, int OC);

static void
squeeze_excite_forward (DenseForward dense, float *out, float *squeeze, float *hidden, float *gate, const float *inp,
                        const float *w1, const float *b1, const float *w2, const float *b2, int N, int C, int S, int R)
{
  sf_avgpool_forward (squeeze, inp, N, C, S);
  dense (hidden, squeeze, w1, b1, N, C, R);
  for (gsize i = 0; i < (gsize) N * R; i++)
    hidden[i] = hidden[i] > 0 ? hidden[i] : 0.0f;
  dense (gate, hidden, w2, b2, N, R, C);
  for (gsize i = 0; i < (gsize) N * C; i++)
    {
      gate[i] = 1.0f / (1.0f + expf (-gate[i]));
      const float *x = inp + i * S;
      float *y = out + i * S, k = gate[i];
      for (int s = 0; s < S; s++)
        y[s] = x[s] * k;
    }
}

static void
squeeze_excite_backward (DenseBackward dense, float *dinp, float *dw1, float *db1, float *dw2, float *db2,
                         const float *dout, const float *inp, const float *squeeze, const float *hidden,
                         const float *gate, const float *w1, const float *w2, int N, int C, int S, int R,
                         float *scratch)
{
  float *dgate = scratch, *dsqueeze = scratch + (gsize) N * C, *dhidden = dsqueeze + (gsize) N * C;
  /* Through the scaling to the gate, and through σ: σ' = σ (1 - σ). */
  for (gsize i = 0; i < (gsize) N * C; i++)
    {
      const float *x = inp + i * S, *g = dout + i * S;
      double sum = 0;
      for (int s = 0; s < S; s++)
        sum += (double) g[s] * x[s];
      dgate[i] = (float) sum * gate[i] * (1.0f - gate[i]);
    }
  dense (dhidden, dw2, db2, dgate, hidden, w2, N, R, C);
  for (gsize i = 0; i < (gsize) N * R; i++)
    if (!(hidden[i] > 0))
      dhidden[i] = 0;
  dense (dsqueeze, dw1, db1, dhidden, squeeze, w1, N, C, R);
  if (dinp == NULL)
    return;
  /* Both paths into the input: the scaling, and the mean the gate came from. */
  for (gsize i = 0; i < (gsize) N * C; i++)
    {
      const float *g = dout + i * S;
      float *dx = dinp + i * S, k = gate[i], m = dsqueeze[i] / (float) S;
      for (int s = 0; s < S; s++)
        dx[s] = g[s] * k + m;
    }
}

void
sf_squeeze_excite_forward (float *out, float *squeeze, float *hidden, float *gate, const float *inp, const float *w1,
                           const float *b1, const float *w2, const float *b2, int N, int C, int S, int R)
{
  squeeze_excite_forward (sf_dense_forward, out, squeeze, hidden, gate, inp, w1, b1, w2, b2, N, C, S, R);
}

void
sf_squeeze_excite_backward (float *dinp, float *dw1, float *db1, float *dw2, float *db2, const float *dout,
                            const float *inp, const float *squeeze, const float *hidden, const float *gate,
                            const float *w1, const float *w2, int N, int C, int S, int R, float *scratch)
{
  squeeze_excite_backward (sf_dense_backward, dinp, dw1, db1, dw2, db2, dout, inp, squeeze, hidden, gate, w1, w2, N,
                           C, S, R, scratch);
}

void
sf_squeeze_excite_forward_ref (float *out, float *squeeze, float *hidden, float *gate, const float *inp,
                               const float *w1, const float *b1, const float *w2, const float *b2, int N, int C,
                               int S, int R)
{
  squeeze_excite_forward (sf_dense_forward_ref, out, squeeze, hidden, gate, inp, w1, b1, w2, b2, N, C, S, R);
}

void
sf_squeeze_excite_backward_ref (float *dinp, float *dw1, float *db1, float *dw2, float *db2, const float *dout,
                                const float *inp, const float *squeeze, const float *hidden, const float *gate,
                                const float *w1, const float *w2, int N, int C, int S, int R, float *scratch)
{
  squeeze_excite_backward (sf_dense_backward_ref, dinp, dw1, db1, dw2, db2, dout, inp, squeeze, hidden, gate, w1, w2,
                           N, C, S, R, scratch);
}

/* ------------------------------------------------------------------------ */

static double
row_norm (const float *x, int C)
{
  double sq = 0;
  for (int c = 0; c < C; c++)
    sq += (double) x[c] * x[c];
  return MAX (sqrt (sq), (double) SF_L2NORM_EPS);
}

void
sf_l2norm_forward (float *out, const float *inp, int N, int C)
{
  for (int n = 0; n < N; n++)
    {
      const float *x = inp + (gsize) n * C;
      float *y = out + (gsize) n * C;
      double inv = 1.0 / row_norm (x, C);
      for (int c = 0; c < C; c++)
        y[c] = (float) (x[c] * inv);
    }
}

void
sf_l2norm_backward (float *dinp, const float *dout, const float *out, const float *inp, int N, int C)
{
  for (int n = 0; n < N; n++)
    {
      const float *x = inp + (gsize) n * C, *y = out + (gsize) n * C, *dy = dout + (gsize) n * C;
      float *dx = dinp + (gsize) n * C;
      double norm = row_norm (x, C), dot = 0;
      for (int c = 0; c < C; c++)
        dot += (double) y[c] * dy[c];
      /* Below ε the output is x / ε, linear in x. */
      if (norm <= (double) SF_L2NORM_EPS)
        dot = 0;
      for (int c = 0; c < C; c++)
        dx[c] = (float) ((dy[c] - y[c] * dot) / norm);
    }
}

/* ------------------------------------------------------------------------ */

void
sf_dense_forward (float *out, const float *inp, const float *weight, const float *bias, int N, int C, int OC)
{
  sf_gemm (CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C, weight, C, 0.0f, out, OC);
  if (bias != NULL)
    for (int n = 0; n < N; n++)
      for (int o = 0; o < OC; o++)
        out[(gsize) n * OC + o] += bias[o];
}

void
sf_dense_backward (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                   const float *weight, int N, int C, int OC)
{
  sf_gemm (CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
  if (dbias != NULL)
    for (int o = 0; o < OC; o++)
      {
        double sum = 0;
        for (int n = 0; n < N; n++)
          sum += dout[(gsize) n * OC + o];
        dbias[o] += (float) sum;
      }
  if (dinp != NULL)
    sf_gemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC, weight, C, 0.0f, dinp, C);
}

void
sf_dense_forward_ref (float *out, const float *inp, const float *weight, const float *bias, int N, int C, int OC)
{
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++)
      {
        double sum = bias != NULL ? bias[o] : 0.0;
        for (int c = 0; c < C; c++)
          sum += (double) inp[(gsize) n * C + c] * weight[(gsize) o * C + c];
        out[(gsize) n * OC + o] = (float) sum;
      }
}

void
sf_dense_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                       const float *weight, int N, int C, int OC)
{
  for (int o = 0; o < OC; o++)
    {
      for (int c = 0; c < C; c++)
        {
          double sum = 0;
          for (int n = 0; n < N; n++)
            sum += (double) dout[(gsize) n * OC + o] * inp[(gsize) n * C + c];
          dweight[(gsize) o * C + c] += (float) sum;
        }
      if (dbias != NULL)
        {
          double sum = 0;
          for (int n = 0; n < N; n++)
            sum += dout[(gsize) n * OC + o];
          dbias[o] += (float) sum;
        }
    }
  if (dinp != NULL)
    for (int n = 0; n < N; n++)
      for (int c = 0; c < C; c++)
        {
          double sum = 0;
          for (int o = 0; o < OC; o++)
            sum += (double) dout[(gsize) n * OC + o] * weight[(gsize) o * C + c];
          dinp[(gsize) n * C + c] = (float) sum;
        }
}
