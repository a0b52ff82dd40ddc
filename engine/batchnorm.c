/* Batch normalisation, alone or with an activation and a max-pool after it,
 * and its training statistics; see batchnorm.h. */
#include "batchnorm.h"

#include <math.h>
#include <string.h>

#include "layers-private.h"

/* Σ (x[i] - shift) and Σ (x[i] - shift)² in one pass: 16 float partial sums,
 * then double. GCC's vector type keeps the 16 lanes one register (its
 * vectoriser interleaves two accumulator arrays instead). */
typedef float Float16 __attribute__ ((vector_size (64)));

SF_HOT void
sf_shifted_sums (const float *x, gsize n, float shift, double *sum, double *sum_sq)
{
  /* Two sums of each kind: one chain of vector adds waits on the add's
   * latency, which on AVX2 (each Float16 two halves) cost 3 % of a compact
   * training batch (docs/PERFORMANCE.md, "Where the compact epoch goes"). */
  Float16 acc = { 0 }, acc_sq = { 0 }, acc1 = { 0 }, acc_sq1 = { 0 };
  gsize i = 0;
  for (; i + 32 <= n; i += 32)
    {
      Float16 d, e;
      memcpy (&d, x + i, sizeof d);
      memcpy (&e, x + i + 16, sizeof e);
      d -= shift;
      e -= shift;
      acc += d;
      acc1 += e;
      acc_sq += d * d;
      acc_sq1 += e * e;
    }
  acc += acc1;
  acc_sq += acc_sq1;
  for (; i + 16 <= n; i += 16)
    {
      Float16 d;
      memcpy (&d, x + i, sizeof d);
      d -= shift;
      acc += d;
      acc_sq += d * d;
    }
  double s = 0, s2 = 0;
  for (; i < n; i++)
    {
      double d = (double) x[i] - shift;
      s += d;
      s2 += d * d;
    }
  for (int j = 0; j < 16; j++)
    {
      s += acc[j];
      s2 += acc_sq[j];
    }
  *sum += s;
  *sum_sq += s2;
}

/* The mean of channel c of inp[N, C, S] and Σ (x - mean)² over it, reading
 * it once: batch norm's statistics are a pass over the largest tensors of a
 * tower. The sums are of x minus the channel's first value, which keeps the
 * squares clear of cancellation when the mean is large against the spread. */
static void
channel_moments (const float *inp, int N, int C, gsize S, int c, float *mean, double *sq)
{
  float shift = inp[(gsize) c * S];
  double sum = 0, sum_sq = 0, count = (double) N * S;
  for (int n = 0; n < N; n++)
    sf_shifted_sums (inp + ((gsize) n * C + c) * S, S, shift, &sum, &sum_sq);
  double offset = sum / count;
  *mean = (float) (shift + offset);
  *sq = MAX (sum_sq - offset * sum, 0.0);
}

void
sf_batchnorm_moments (const float *inp, int N, int C, int S, int c, float *mean, double *sq)
{
  channel_moments (inp, N, C, S, c, mean, sq);
}

float
sf_batchnorm_take_statistics (float mu, double sq, double count, float *mean, float *invstd, float *running_mean,
                              float *running_var)
{
  float is = (float) (1.0 / sqrt (sq / count + SF_BN_EPS));
  *mean = mu;
  *invstd = is;
  *running_mean = (1 - SF_BN_MOMENTUM) * *running_mean + SF_BN_MOMENTUM * mu;
  double unbiased = count > 1 ? sq / (count - 1) : sq / count;
  *running_var = (float) ((1 - SF_BN_MOMENTUM) * *running_var + SF_BN_MOMENTUM * unbiased);
  return is;
}

/* ------------------------------------------------------------------------ */

SF_HOT void
sf_batchnorm_forward_train (float *out, float *mean, float *invstd, float *running_mean, float *running_var,
                            const float *inp, const float *gamma, const float *beta, int N, int C, int S,
                            SfAct act, int c0, int c1)
{
  double count = (double) N * S;
  for (int c = c0; c < c1; c++)
    {
      float mu;
      double sq;
      channel_moments (inp, N, C, S, c, &mu, &sq);
      float is = sf_batchnorm_take_statistics (mu, sq, count, &mean[c], &invstd[c], &running_mean[c], &running_var[c]);
      float scale = gamma[c] * is, shift = beta[c] - mu * scale;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * S;
          WITH_ACT (act.kind, affine_act_row (out + o, inp + o, S, scale, shift, K_, act.param));
        }
    }
}

SF_HOT void
sf_batchnorm_forward_eval (float *out, const float *inp, const float *gamma, const float *beta,
                           const float *running_mean, const float *running_var, int N, int C, int S, SfAct act,
                           int c0, int c1)
{
  for (int c = c0; c < c1; c++)
    {
      float scale = gamma[c] / sqrtf (running_var[c] + SF_BN_EPS);
      float shift = beta[c] - running_mean[c] * scale;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * S;
          WITH_ACT (act.kind, affine_act_row (out + o, inp + o, S, scale, shift, K_, act.param));
        }
    }
}

/* Σ g and Σ g·x̂ over one plane, g = dout · act'(out), x̂ = (x - mu) · is. */
SF_INLINE void
batchnorm_sums (const float *restrict dout, const float *restrict out, const float *restrict x, int S, float mu,
                float is, SfActKind kind, float param, double *sum_g, double *sum_gx)
{
  float acc_g[16] = { 0 }, acc_gx[16] = { 0 };
  int s = 0;
  for (; s + 16 <= S; s += 16)
    for (int j = 0; j < 16; j++)
      {
        float g = dout[s + j] * act_slope (out[s + j], kind, param);
        acc_g[j] += g;
        acc_gx[j] += g * ((x[s + j] - mu) * is);
      }
  for (; s < S; s++)
    {
      float g = dout[s] * act_slope (out[s], kind, param);
      *sum_g += g;
      *sum_gx += (double) g * ((x[s] - mu) * is);
    }
  for (int j = 0; j < 16; j++)
    {
      *sum_g += acc_g[j];
      *sum_gx += acc_gx[j];
    }
}

/* dx = k · (m·g - Σg - x̂·Σgx̂) over one plane. */
SF_INLINE void
batchnorm_input_row (float *restrict dx, const float *restrict dout, const float *restrict out,
                     const float *restrict x, int S, float mu, float is, float k, float m, float sum_g, float sum_gx,
                     SfActKind kind, float param)
{
  for (int s = 0; s < S; s++)
    {
      float g = dout[s] * act_slope (out[s], kind, param);
      dx[s] = k * (m * g - sum_g - (x[s] - mu) * is * sum_gx);
    }
}

SF_HOT void
sf_batchnorm_backward (float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                       const float *inp, const float *mean, const float *invstd, const float *gamma, int N, int C,
                       int S, SfAct act, int c0, int c1)
{
  double count = (double) N * S;
  for (int c = c0; c < c1; c++)
    {
      float mu = mean[c], is = invstd[c];
      double sum_g = 0, sum_gx = 0;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * S;
          WITH_ACT (act.kind, batchnorm_sums (dout + o, out + o, inp + o, S, mu, is, K_, act.param, &sum_g, &sum_gx));
        }
      dbeta[c] += (float) sum_g;
      dgamma[c] += (float) sum_gx;
      float k = gamma[c] * is / (float) count;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * S;
          WITH_ACT (act.kind, batchnorm_input_row (dinp + o, dout + o, out + o, inp + o, S, mu, is, k, (float) count,
                                                   (float) sum_g, (float) sum_gx, K_, act.param));
        }
    }
}

/* ------------------------------------------------------------------------ */

SF_HOT void
sf_batchnorm_pool_forward (float *out, guint8 *argmax, float *mean, float *invstd, float *running_mean,
                           float *running_var, const float *inp, const float *gamma, const float *beta, int N, int C,
                           int H, int W, SfAct act, int P, gboolean training, int c0, int c1)
{
  gsize S = (gsize) H * W, So = (gsize) (H / P) * (W / P);
  double count = (double) N * S;
  for (int c = c0; c < c1; c++)
    {
      float mu, is;
      if (training)
        {
          double sq;
          channel_moments (inp, N, C, S, c, &mu, &sq);
          is = sf_batchnorm_take_statistics (mu, sq, count, &mean[c], &invstd[c], &running_mean[c], &running_var[c]);
        }
      else
        {
          mu = running_mean[c];
          is = 1.0f / sqrtf (running_var[c] + SF_BN_EPS);
        }
      float scale = gamma[c] * is, shift = beta[c] - mu * scale;
      for (int n = 0; n < N; n++)
        pool_plane (out + ((gsize) n * C + c) * So, argmax + ((gsize) n * C + c) * So, inp + ((gsize) n * C + c) * S,
                    H, W, P, scale, shift, act);
    }
}

/* dx[s] = k·(m·g[s] - Σg - x̂[s]·Σgx̂) with g zero off the argmax positions. */
SF_INLINE void
batchnorm_pool_input_plane (float *restrict dx, const float *restrict x, gsize S, float mu, float is, float k,
                            float sum_g, float sum_gx)
{
  for (gsize s = 0; s < S; s++)
    dx[s] = -k * (sum_g + (x[s] - mu) * is * sum_gx);
}

/* 2×2 windows: Σ g and Σ g·(x - mu) over one pooled plane, g = dout · act'(out)
 * taken at the argmax of each window. */
SF_INLINE void
batchnorm_pool2_sums (const float *restrict dout, const float *restrict out, const guint8 *restrict argmax,
                      const float *restrict x, int Ho, int Wo, int W, float mu, SfActKind kind, float param,
                      float *restrict x_row, double *sum_g, double *sum_gx)
{
  float acc_g = 0, acc_gx = 0;
  for (int oy = 0; oy < Ho; oy++)
    {
      const float *r0 = x + (gsize) 2 * oy * W, *r1 = r0 + W;
      const float *d = dout + (gsize) oy * Wo, *o = out + (gsize) oy * Wo;
      const guint8 *a = argmax + (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox++)
        {
          int k = a[ox];
          const float *r = k & 2 ? r1 : r0;
          x_row[ox] = r[2 * ox + (k & 1)];
        }
      for (int ox = 0; ox < Wo; ox++)
        {
          float g = d[ox] * act_slope (o[ox], kind, param);
          acc_g += g;
          acc_gx += g * (x_row[ox] - mu);
        }
    }
  *sum_g += acc_g;
  *sum_gx += acc_gx;
}

/* 2×2 windows: dx[s] = k·(m·g[s] - Σg - x̂[s]·Σgx̂), g zero off the argmax positions. */
SF_INLINE void
batchnorm_pool2_input_plane (float *restrict dx, const float *restrict x, const float *restrict dout,
                             const float *restrict out, const guint8 *restrict argmax, int Ho, int Wo, int W,
                             float mu, float is, float k, float m, float sum_g, float sum_gx, SfActKind kind,
                             float param)
{
  gsize S = (gsize) 2 * Ho * W;
  float a0 = -k * (sum_g - mu * is * sum_gx), a1 = -k * is * sum_gx;
  for (gsize s = 0; s < S; s++)
    dx[s] = a0 + a1 * x[s];
  float km = k * m;
  for (int oy = 0; oy < Ho; oy++)
    {
      float *r0 = dx + (gsize) 2 * oy * W, *r1 = r0 + W;
      const float *d = dout + (gsize) oy * Wo, *o = out + (gsize) oy * Wo;
      const guint8 *a = argmax + (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox++)
        {
          int kk = a[ox];
          float *r = kk & 2 ? r1 : r0;
          r[2 * ox + (kk & 1)] += km * d[ox] * act_slope (o[ox], kind, param);
        }
    }
}

/* batchnorm_pool2_sums for any activation, as a plane step of pool2_backward. */
static SF_HOT void
pool2_sums_scalar (const float *dout, const float *out, const guint8 *argmax, const float *x, int Ho, int Wo, int W,
                   float mu, SfAct act, double *sum_g, double *sum_gx)
{
  float *x_row = g_alloca (sizeof (float) * MAX (Wo, 1));
  WITH_ACT (act.kind, batchnorm_pool2_sums (dout, out, argmax, x, Ho, Wo, W, mu, K_, act.param, x_row, sum_g, sum_gx));
}

/* batchnorm_pool2_input_plane for any activation, as a plane step of pool2_backward. */
static SF_HOT void
pool2_input_plane_scalar (float *dx, const float *x, const float *dout, const float *out, const guint8 *argmax,
                          int Ho, int Wo, int W, float mu, float is, float k, float m, float sum_g, float sum_gx,
                          SfAct act)
{
  WITH_ACT (act.kind, batchnorm_pool2_input_plane (dx, x, dout, out, argmax, Ho, Wo, W, mu, is, k, m, sum_g, sum_gx,
                                                   K_, act.param));
}

/* The two steps of batch norm + act + 2×2 max-pool backward over one plane
 * (its pooled plane of Ho×Wo windows, W wide, 2·Ho rows): the sums of g and
 * of g·(x - mu) at the window maxima, then the input gradient. The scalar
 * steps above take any activation; those of pool2-avx512.c and pool2-avx2.c
 * ReLU or none. */
typedef struct {
  void (*sums) (const float *dout, const float *out, const guint8 *argmax, const float *x, int Ho, int Wo, int W,
                float mu, SfAct act, double *sum_g, double *sum_gx);
  void (*input_plane) (float *dx, const float *x, const float *dout, const float *out, const guint8 *argmax, int Ho,
                       int Wo, int W, float mu, float is, float k, float m, float sum_g, float sum_gx, SfAct act);
} Pool2Steps;

static const Pool2Steps pool2_scalar = { pool2_sums_scalar, pool2_input_plane_scalar };
#if SF_POOL2_AVX512
static const Pool2Steps pool2_avx512 = { sf_batchnorm_pool2_sums_avx512, sf_batchnorm_pool2_input_plane_avx512 };
#endif
#if SF_POOL2_AVX2
static const Pool2Steps pool2_avx2 = { sf_batchnorm_pool2_sums_avx2, sf_batchnorm_pool2_input_plane_avx2 };
#endif

/* sf_batchnorm_pool_backward for 2×2 windows and an even H, plane by plane with steps. */
static void
pool2_backward (const Pool2Steps *steps, float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                const guint8 *argmax, const float *inp, const float *mean, const float *invstd, const float *gamma,
                int N, int C, int H, int W, SfAct act, int c0, int c1)
{
  int Ho = H / 2, Wo = W / 2;
  gsize S = (gsize) H * W, So = (gsize) Ho * Wo;
  double count = (double) N * S;
  for (int c = c0; c < c1; c++)
    {
      float mu = mean[c], is = invstd[c];
      double sum_g = 0, sum_gxm = 0;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * So;
          steps->sums (dout + o, out + o, argmax + o, inp + ((gsize) n * C + c) * S, Ho, Wo, W, mu, act, &sum_g,
                       &sum_gxm);
        }
      double sum_gx = sum_gxm * is;
      dbeta[c] += (float) sum_g;
      dgamma[c] += (float) sum_gx;
      float k = gamma[c] * is / (float) count;
      if (dinp == NULL)
        continue;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * So, i = ((gsize) n * C + c) * S;
          steps->input_plane (dinp + i, inp + i, dout + o, out + o, argmax + o, Ho, Wo, W, mu, is, k, (float) count,
                              (float) sum_g, (float) sum_gx, act);
        }
    }
}

SF_HOT void
sf_batchnorm_pool_backward (float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                            const guint8 *argmax, const float *inp, const float *mean, const float *invstd,
                            const float *gamma, int N, int C, int H, int W, SfAct act, int P, int c0, int c1)
{
  if (P == 2 && H % 2 == 0)
    {
      const Pool2Steps *steps = &pool2_scalar;
      switch (sf_pool2_kernels (act.kind))
        {
#if SF_POOL2_AVX512
        case SF_POOL2_KERNELS_AVX512:
          steps = &pool2_avx512;
          break;
#endif
#if SF_POOL2_AVX2
        case SF_POOL2_KERNELS_AVX2:
          steps = &pool2_avx2;
          break;
#endif
        default:
          break;
        }
      pool2_backward (steps, dinp, dgamma, dbeta, dout, out, argmax, inp, mean, invstd, gamma, N, C, H, W, act, c0,
                      c1);
      return;
    }
  int Ho = H / P, Wo = W / P;
  gsize S = (gsize) H * W, So = (gsize) Ho * Wo;
  double count = (double) N * S;
  for (int c = c0; c < c1; c++)
    {
      float mu = mean[c], is = invstd[c];
      /* Only the argmax positions carry a gradient into batch norm. */
      double sum_g = 0, sum_gx = 0;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * So;
          const float *x = inp + ((gsize) n * C + c) * S;
          for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++)
              {
                gsize i = o + (gsize) oy * Wo + ox;
                float g = dout[i] * act_slope (out[i], act.kind, act.param);
                sum_g += g;
                sum_gx += (double) g * ((x[window_index (oy, ox, argmax[i], P, W)] - mu) * is);
              }
        }
      dbeta[c] += (float) sum_g;
      dgamma[c] += (float) sum_gx;
      float k = gamma[c] * is / (float) count, m = (float) count;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * So;
          float *dx = dinp + ((gsize) n * C + c) * S;
          batchnorm_pool_input_plane (dx, inp + ((gsize) n * C + c) * S, S, mu, is, k, (float) sum_g,
                                      (float) sum_gx);
          for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++)
              {
                gsize i = o + (gsize) oy * Wo + ox;
                float g = dout[i] * act_slope (out[i], act.kind, act.param);
                dx[window_index (oy, ox, argmax[i], P, W)] += k * m * g;
              }
        }
    }
}
