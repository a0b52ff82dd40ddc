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
  if (S == 1)
    for (int x = x0; x < x1; x++)
      dst[x] += w * src[x];
  else
    for (int x = x0; x < x1; x++)
      dst[x] += w * src[x * S];
}

SF_HOT void
sf_depthwise_forward (float *out, const float *inp, const float *weight, int n, int C, int H, int W, int K, int S,
                      int c0, int c1)
{
  int pad = K / 2, Ho = sf_conv_out_side (H, S), Wo = sf_conv_out_side (W, S);
  for (int i = 0; i < n; i++)
    for (int c = c0; c < c1; c++)
      {
        const float *plane = inp + ((gsize) i * C + c) * H * W;
        const float *w = weight + (gsize) c * K * K;
        float *dst = out + ((gsize) i * C + c) * Ho * Wo;
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

SF_HOT void
sf_depthwise_backward (float *dinp, float *dweight, const float *dout, const float *inp, const float *weight, int n,
                       int C, int H, int W, int K, int S, int c0, int c1)
{
  int pad = K / 2, Ho = sf_conv_out_side (H, S), Wo = sf_conv_out_side (W, S);
  for (int c = c0; c < c1; c++)
    {
      const float *w = weight + (gsize) c * K * K;
      for (int ky = 0; ky < K; ky++)
        for (int kx = 0; kx < K; kx++)
          {
            int x0, x1, off = kx - pad;
            span (off, W, S, Wo, &x0, &x1);
            double sum = 0;
            for (int i = 0; i < n; i++)
              {
                const float *plane = inp + ((gsize) i * C + c) * H * W;
                const float *g = dout + ((gsize) i * C + c) * Ho * Wo;
                float acc = 0;
                for (int oy = 0; oy < Ho; oy++)
                  {
                    int iy = oy * S + ky - pad;
                    if (iy < 0 || iy >= H)
                      continue;
                    const float *src = plane + (gsize) iy * W + off, *row = g + (gsize) oy * Wo;
                    for (int x = x0; x < x1; x++)
                      acc += row[x] * src[x * S];
                  }
                sum += acc;
              }
            dweight[(gsize) c * K * K + ky * K + kx] += (float) sum;
          }
      if (dinp == NULL)
        continue;
      for (int i = 0; i < n; i++)
        {
          float *dplane = dinp + ((gsize) i * C + c) * H * W;
          const float *g = dout + ((gsize) i * C + c) * Ho * Wo;
          memset (dplane, 0, sizeof (float) * H * W);
          for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++)
              {
                int x0, x1, off = kx - pad;
                span (off, W, S, Wo, &x0, &x1);
                float wk = w[ky * K + kx];
                for (int oy = 0; oy < Ho; oy++)
                  {
                    int iy = oy * S + ky - pad;
                    if (iy < 0 || iy >= H)
                      continue;
                    float *dst = dplane + (gsize) iy * W + off;
                    const float *row = g + (gsize) oy * Wo;
                    if (S == 1)
                      for (int x = x0; x < x1; x++)
                        dst[x] += wk * row[x];
                    else
                      for (int x = x0; x < x1; x++)
                        dst[x * S] += wk * row[x];
                  }
              }
        }
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
                    sum += (double) inp[(((gsize) i * C + c) * H + iy) * W + ix] * weight[((gsize) c * K + ky) * K + kx];
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
