/* Depthwise convolution and its reference twin; see depthwise.h. */
#include "depthwise.h"

#include <string.h>

#include "conv.h"
#include "layers-private.h"

/* The x with 0 ≤ x·S + off < W, as [*lo, *hi) within [0, len). */
static void
span (int off, int W, int S, int len, int *lo, int *hi)
{
  *lo = MIN (off >= 0 ? 0 : (-off + S - 1) / S, len);
  *hi = W - 1 - off < 0 ? *lo : CLAMP ((W - 1 - off) / S + 1, *lo, len);
}

/* dst[x] += w · src[x·S] for x in [x0, x1) */
SF_INLINE void
axpy_strided (float *restrict dst, const float *restrict src, float w, int x0, int x1, int S)
{
  if (S == 2)
    for (int x = x0; x < x1; x++)
      dst[x] += w * src[2 * x];
  else
    for (int x = x0; x < x1; x++)
      dst[x] += w * src[x * S];
}

gsize
sf_depthwise_scratch_size (int H, int W, int K, int S)
{
  int pad = K / 2;
  return S == 1 ? 2 * (gsize) (H + 2 * pad) * (W + 2 * pad) : 0;
}

/* ------------------------------------------------------------------------ */
/* Stride 1: flat loops over a padded plane                                 */

/* At stride 1 a plane is handled in the layout of its padded copy, rows
 * Wp = W + 2·pad wide: output pixel (y, x) sits at f = y·Wp + x and reads
 * padded[f + ky·Wp + kx] for tap (ky, kx), so each tap is one loop over
 * f < L = (H - 1)·Wp + W; the columns x ≥ W of that layout are discarded
 * (forward) or held at zero (backward). */

static void
pad_plane (float *padded, const float *plane, int H, int W, int pad)
{
  int Wp = W + 2 * pad;
  memset (padded, 0, sizeof (float) * (H + 2 * pad) * Wp);
  for (int y = 0; y < H; y++)
    memcpy (padded + (gsize) (y + pad) * Wp + pad, plane + (gsize) y * W, sizeof (float) * W);
}

SF_INLINE void
forward_flat (float *dst, const float *plane, const float *w, int H, int W, int K, float *scratch)
{
  int pad = K / 2, Wp = W + 2 * pad;
  gsize L = (gsize) (H - 1) * Wp + W;
  float *padded = scratch, *acc = scratch + (gsize) (H + 2 * pad) * Wp;
  pad_plane (padded, plane, H, W, pad);
  memset (acc, 0, sizeof (float) * L);
  for (int ky = 0; ky < K; ky++)
    for (int kx = 0; kx < K; kx++)
      {
        const float *restrict src = padded + (gsize) ky * Wp + kx;
        float *restrict a = acc;
        float wk = w[ky * K + kx];
        for (gsize f = 0; f < L; f++)
          a[f] += wk * src[f];
      }
  for (int y = 0; y < H; y++)
    memcpy (dst + (gsize) y * W, acc + (gsize) y * Wp, sizeof (float) * W);
}

/* sums[K²] += the weight gradient of one plane; dplane (may be NULL) = its input gradient. */
SF_INLINE void
backward_flat (float *dplane, double *sums, const float *g, const float *plane, const float *w, int H, int W, int K,
               float *scratch)
{
  int pad = K / 2, Wp = W + 2 * pad, Hp = H + 2 * pad;
  gsize L = (gsize) (H - 1) * Wp + W;
  float *padded = scratch, *gp = scratch + (gsize) Hp * Wp;
  pad_plane (padded, plane, H, W, pad);
  /* The gradient in the padded rows' layout, zero where the layout has no pixel. */
  memset (gp, 0, sizeof (float) * Hp * Wp);
  for (int y = 0; y < H; y++)
    memcpy (gp + (gsize) y * Wp, g + (gsize) y * W, sizeof (float) * W);
  for (int ky = 0; ky < K; ky++)
    for (int kx = 0; kx < K; kx++)
      {
        const float *restrict src = padded + (gsize) ky * Wp + kx;
        const float *restrict gr = gp;
        float acc[16] = { 0 };
        gsize f = 0;
        for (; f + 16 <= L; f += 16)
          for (int j = 0; j < 16; j++)
            acc[j] += gr[f + j] * src[f + j];
        for (int j = 0; j < (int) (L - f); j++)
          acc[j] += gr[f + j] * src[f + j];
        double sum = 0;
        for (int j = 0; j < 16; j++)
          sum += acc[j];
        sums[ky * K + kx] += sum;
      }
  if (dplane == NULL)
    return;
  /* The input gradient in the padded layout (reusing `padded`), its interior copied out. */
  float *dp = padded;
  memset (dp, 0, sizeof (float) * Hp * Wp);
  for (int ky = 0; ky < K; ky++)
    for (int kx = 0; kx < K; kx++)
      {
        float *restrict d = dp + (gsize) ky * Wp + kx;
        const float *restrict gr = gp;
        float wk = w[ky * K + kx];
        for (gsize f = 0; f < L; f++)
          d[f] += wk * gr[f];
      }
  for (int y = 0; y < H; y++)
    memcpy (dplane + (gsize) y * W, dp + (gsize) (y + pad) * Wp + pad, sizeof (float) * W);
}

/* ------------------------------------------------------------------------ */
/* Any stride: row by row                                                   */

SF_HOT void
sf_depthwise_forward (float *out, const float *inp, const float *weight, int n, int C, int H, int W, int K, int S,
                      int c0, int c1, float *scratch)
{
  int pad = K / 2, Ho = sf_conv_out_side (H, S), Wo = sf_conv_out_side (W, S);
  for (int i = 0; i < n; i++)
    for (int c = c0; c < c1; c++)
      {
        const float *plane = inp + ((gsize) i * C + c) * H * W;
        const float *w = weight + (gsize) c * K * K;
        float *dst = out + ((gsize) i * C + c) * Ho * Wo;
        if (S == 1)
          {
            forward_flat (dst, plane, w, H, W, K, scratch);
            continue;
          }
        memset (dst, 0, sizeof (float) * Ho * Wo);
        for (int ky = 0; ky < K; ky++)
          for (int kx = 0; kx < K; kx++)
            {
              int x0, x1, off = kx - pad;
              span (off, W, S, Wo, &x0, &x1);
              for (int oy = 0; oy < Ho; oy++)
                {
                  int iy = oy * S + ky - pad;
                  if (iy < 0 || iy >= H)
                    continue;
                  axpy_strided (dst + (gsize) oy * Wo, plane + (gsize) iy * W + off, w[ky * K + kx], x0, x1, S);
                }
            }
      }
}

/* acc[j] += row[x]·src[x·S] over [x0, x1), x = x0 + j mod 16: 16 float lanes
 * (a plain float sum would not vectorise), the short rest in the first lanes. */
SF_INLINE void
dot_strided (float *restrict acc, const float *restrict row, const float *restrict src, int x0, int x1, int S)
{
  int x = x0;
  for (; x + 16 <= x1; x += 16)
    for (int j = 0; j < 16; j++)
      acc[j] += row[x + j] * src[(x + j) * S];
  for (int j = 0; j < x1 - x; j++)
    acc[j] += row[x + j] * src[(x + j) * S];
}

SF_HOT void
sf_depthwise_backward (float *dinp, float *dweight, const float *dout, const float *inp, const float *weight, int n,
                       int C, int H, int W, int K, int S, int c0, int c1, float *scratch)
{
  int pad = K / 2, Ho = sf_conv_out_side (H, S), Wo = sf_conv_out_side (W, S);
  double *sums = g_alloca (sizeof (double) * K * K);
  for (int c = c0; c < c1; c++)
    {
      const float *w = weight + (gsize) c * K * K;
      memset (sums, 0, sizeof (double) * K * K);
      /* Image by image, so one plane and its gradient stay in cache for all K² taps. */
      for (int i = 0; i < n; i++)
        {
          const float *plane = inp + ((gsize) i * C + c) * H * W;
          const float *g = dout + ((gsize) i * C + c) * Ho * Wo;
          float *dplane = dinp != NULL ? dinp + ((gsize) i * C + c) * H * W : NULL;
          if (S == 1)
            {
              backward_flat (dplane, sums, g, plane, w, H, W, K, scratch);
              continue;
            }
          if (dplane != NULL)
            memset (dplane, 0, sizeof (float) * H * W);
          for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++)
              {
                int x0, x1, off = kx - pad;
                span (off, W, S, Wo, &x0, &x1);
                float wk = w[ky * K + kx], acc[16] = { 0 };
                for (int oy = 0; oy < Ho; oy++)
                  {
                    int iy = oy * S + ky - pad;
                    if (iy < 0 || iy >= H)
                      continue;
                    const float *src = plane + (gsize) iy * W + off, *row = g + (gsize) oy * Wo;
                    dot_strided (acc, row, src, x0, x1, S);
                    if (dplane == NULL)
                      continue;
                    float *restrict dst = dplane + (gsize) iy * W + off;
                    for (int x = x0; x < x1; x++)
                      dst[x * S] += wk * row[x];
                  }
                double sum = 0;
                for (int j = 0; j < 16; j++)
                  sum += acc[j];
                sums[ky * K + kx] += sum;
              }
        }
      for (int k = 0; k < K * K; k++)
        dweight[(gsize) c * K * K + k] += (float) sums[k];
    }
}

/* ------------------------------------------------------------------------ */
/* Reference twins                                                          */

void
sf_depthwise_forward_ref (float *out, const float *inp, const float *weight, int n, int C, int H, int W, int K,
                          int S)
{
  int pad = K / 2, Ho = sf_conv_out_side (H, S), Wo = sf_conv_out_side (W, S);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < C; c++)
      for (int y = 0; y < Ho; y++)
        for (int x = 0; x < Wo; x++)
          {
            double sum = 0;
            for (int ky = 0; ky < K; ky++)
              for (int kx = 0; kx < K; kx++)
                {
                  int iy = y * S + ky - pad, ix = x * S + kx - pad;
                  if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                    sum += (double) inp[(((gsize) i * C + c) * H + iy) * W + ix]
                           * weight[((gsize) c * K + ky) * K + kx];
                }
            out[(((gsize) i * C + c) * Ho + y) * Wo + x] = (float) sum;
          }
}

void
sf_depthwise_backward_ref (float *dinp, float *dweight, const float *dout, const float *inp, const float *weight,
                           int n, int C, int H, int W, int K, int S)
{
  int pad = K / 2, Ho = sf_conv_out_side (H, S), Wo = sf_conv_out_side (W, S);
  gsize n_in = (gsize) n * C * H * W, n_w = (gsize) C * K * K;
  double *din = g_new0 (double, n_in);
  double *dw = g_new0 (double, n_w);
  for (int i = 0; i < n; i++)
    for (int c = 0; c < C; c++)
      for (int y = 0; y < Ho; y++)
        for (int x = 0; x < Wo; x++)
          {
            double g = dout[(((gsize) i * C + c) * Ho + y) * Wo + x];
            for (int ky = 0; ky < K; ky++)
              for (int kx = 0; kx < K; kx++)
                {
                  int iy = y * S + ky - pad, ix = x * S + kx - pad;
                  if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                    continue;
                  gsize at = (((gsize) i * C + c) * H + iy) * W + ix, k = ((gsize) c * K + ky) * K + kx;
                  dw[k] += g * inp[at];
                  din[at] += g * weight[k];
                }
          }
  for (gsize k = 0; k < n_w; k++)
    dweight[k] += (float) dw[k];
  if (dinp != NULL)
    for (gsize k = 0; k < n_in; k++)
      dinp[k] = (float) din[k];
  g_free (din);
  g_free (dw);
}
