/* Convolution: the choice of lowering (direct, im2col or Winograd), im2col +
 * GEMM, and the reference twin; see conv.h. Winograd is in winograd.c. */
#include "conv.h"

#include <cblas.h>
#include <string.h>

#include "conv-direct.h"
#include "gemm.h"
#include "simd.h"
#include "winograd.h"

/* ------------------------------------------------------------------------ */
/* Reference twins                                                          */

int
sf_conv_out_side (int side, int stride)
{
  return stride > 1 ? (side - 1) / stride + 1 : side;
}

void
sf_conv2d_forward_ref (float *out, const float *inp, const float *weight, const float *bias, int N,
                       const SfConvShape *s)
{
  int C = s->C, H = s->H, W = s->W, OC = s->OC, K = s->K, pad = (K - 1) / 2, S = MAX (s->stride, 1);
  int Ho = sf_conv_out_side (H, S), Wo = sf_conv_out_side (W, S);
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++)
      for (int y = 0; y < Ho; y++)
        for (int x = 0; x < Wo; x++)
          {
            double sum = bias != NULL ? bias[o] : 0.0;
            for (int c = 0; c < C; c++)
              for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++)
                  {
                    int iy = y * S + ky - pad, ix = x * S + kx - pad;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                      continue;
                    sum += (double) inp[(((gsize) n * C + c) * H + iy) * W + ix]
                           * weight[(((gsize) o * C + c) * K + ky) * K + kx];
                  }
            out[(((gsize) n * OC + o) * Ho + y) * Wo + x] = (float) sum;
          }
}

void
sf_conv2d_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                        const float *weight, int N, const SfConvShape *s)
{
  int C = s->C, H = s->H, W = s->W, OC = s->OC, K = s->K, pad = (K - 1) / 2, S = MAX (s->stride, 1);
  int Ho = sf_conv_out_side (H, S), Wo = sf_conv_out_side (W, S);
  gsize n_in = (gsize) N * C * H * W, n_w = (gsize) OC * C * K * K;
  double *din = g_new0 (double, n_in);
  double *dw = g_new0 (double, n_w);
  double *db = g_new0 (double, OC);
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++)
      for (int y = 0; y < Ho; y++)
        for (int x = 0; x < Wo; x++)
          {
            double g = dout[(((gsize) n * OC + o) * Ho + y) * Wo + x];
            db[o] += g;
            for (int c = 0; c < C; c++)
              for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++)
                  {
                    int iy = y * S + ky - pad, ix = x * S + kx - pad;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                      continue;
                    gsize i = (((gsize) n * C + c) * H + iy) * W + ix;
                    gsize w = (((gsize) o * C + c) * K + ky) * K + kx;
                    dw[w] += g * inp[i];
                    din[i] += g * weight[w];
                  }
          }
  for (gsize i = 0; i < n_w; i++)
    dweight[i] += (float) dw[i];
  if (dbias != NULL)
    for (int o = 0; o < OC; o++)
      dbias[o] += (float) db[o];
  if (dinp != NULL)
    for (gsize i = 0; i < n_in; i++)
      dinp[i] = (float) din[i];
  g_free (din);
  g_free (dw);
  g_free (db);
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                   */

/* The direct kernels win where C·OC / (C + OC) is small: few channels over
 * wide planes (measured one core, 8 images, forward + backward: 1→16 on
 * 32×32 76 µs against im2col's 160; 16→32 on 16×16 373 against Winograd's
 * 513; 32→64 on 16×16 1543 against 1441, so below 16). */
#define DIRECT_BELOW 16

/* The output tile side m of a Winograd layer F(m×m, K×K): the one whose
 * tiles, rounded up at the plane's edges, need the fewest GEMM multiply-adds
 * (alpha² per tile and channel pair, alpha = m + K - 1), among m = 2 and 4
 * for K = 3 and m = 2, 3 and 4 for K = 5. Per output, F(4×4, 3×3) does 2.25
 * against F(2×2)'s 4, and for K = 5 F(3×3) 5.4 and F(4×4) 4 against 9, with
 * transforms of about the same cost per output. m = 4 only on planes of 8×8
 * and more: on 4×4 planes (one tile per image, most of it padding) a 64→128
 * 3×3 layer measured 0.96–1.0× F(2×2)'s speed, and a 64→128 5×5 layer 0.94×
 * (docs/PERFORMANCE.md). SF_WINOGRAD_TILE=2 forces F(2×2, K×K), for
 * comparison. */
static int
winograd_tile (const SfConvShape *s)
{
  if (g_strcmp0 (g_getenv ("SF_WINOGRAD_TILE"), "2") == 0)
    return 2;
  int best = 2, largest = s->H >= 8 && s->W >= 8 ? 4 : s->K == 5 ? 3 : 2;
  double fewest = G_MAXDOUBLE;
  for (int m = 2; m <= largest; m++)
    {
      if (s->K == 3 && m == 3)
        continue;
      double alpha = m + s->K - 1;
      double macs = alpha * alpha * ((s->H + m - 1) / m) * ((s->W + m - 1) / m);
      if (macs < fewest)
        {
          fewest = macs;
          best = m;
        }
    }
  return best;
}

void
sf_conv_init (SfConv *conv, const SfConvShape *shape, SfConvAlgo algo)
{
  memset (conv, 0, sizeof *conv);
  conv->shape = *shape;
  conv->shape.stride = MAX (shape->stride, 1);
  conv->pad = (shape->K - 1) / 2;
  conv->out_h = sf_conv_out_side (shape->H, conv->shape.stride);
  conv->out_w = sf_conv_out_side (shape->W, conv->shape.stride);
  if (conv->shape.stride > 1)
    {
      /* Winograd and the direct kernels compute every output pixel. */
      conv->algo = SF_CONV_IM2COL;
      return;
    }
  gboolean winograd_fits = shape->K == 3 || shape->K == 5;
  gboolean direct_fits = sf_conv_direct_supported (shape->K, shape->W);
  if (algo == SF_CONV_AUTO && direct_fits && (double) shape->C * shape->OC / (shape->C + shape->OC) < DIRECT_BELOW)
    algo = SF_CONV_DIRECT;
  if (sf_conv_direct_small_supported (shape->K, shape->H, shape->W)
      && sf_conv_direct_bf16_runs (MIN (shape->C, shape->OC)))
    {
      /* In bf16, planes of 8×8 and 4×4 (the last layers of the compact
       * tower) run faster direct than in Winograd's F(4×4) and F(2×2), whose
       * transforms cost more than their GEMMs there (docs/PERFORMANCE.md,
       * "The direct convolution in bf16"). In fp32 they have no direct
       * kernels but plain loops: not even asked for, they take another path. */
      direct_fits = TRUE;
      if (algo == SF_CONV_AUTO)
        algo = SF_CONV_DIRECT;
    }
  if (algo == SF_CONV_AUTO || (algo == SF_CONV_DIRECT && !direct_fits))
    {
      /* Winograd saves (K² - alpha²/4)·C·OC multiply-adds per output pixel and
       * costs transforms of about alpha²/4·(C + OC) values, each worth some
       * 15 multiply-adds of GEMM time here (measured): worth it when
       * C·OC / (C + OC) is large enough. */
      double harmonic = (double) shape->C * shape->OC / (shape->C + shape->OC);
      double needed = shape->K == 3 ? 12 : 6;
      algo = winograd_fits && harmonic >= needed ? SF_CONV_WINOGRAD : SF_CONV_IM2COL;
    }
  else if (algo == SF_CONV_WINOGRAD && !winograd_fits)
    algo = SF_CONV_IM2COL;
  conv->algo = algo;
  if (algo == SF_CONV_WINOGRAD)
    sf_winograd_init (conv, winograd_tile (shape));
}

gsize
sf_conv_workspace_size (const SfConv *conv, int n)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo == SF_CONV_DIRECT)
    return 0;
  if (conv->algo == SF_CONV_IM2COL)
    {
      gsize cols = (gsize) s->C * s->K * s->K * n * conv->out_h * conv->out_w;
      /* Strided: one padded plane after the columns. */
      return s->stride > 1 ? cols + (gsize) (s->H + 2 * conv->pad) * (s->W + 2 * conv->pad) : cols;
    }
  return sf_winograd_workspace_size (conv, n);
}

gsize
sf_conv_cache_size (const SfConv *conv)
{
  if (conv->algo == SF_CONV_IM2COL)
    return 0;
  if (conv->algo == SF_CONV_DIRECT)
    return sf_conv_direct_cache_size (conv->shape.OC, conv->shape.C);
  return (gsize) conv->alpha * conv->alpha * conv->shape.OC * conv->shape.C;
}

gsize
sf_conv_dacc_in_use (const SfConv *conv)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo == SF_CONV_DIRECT)
    return (gsize) s->OC * s->C * 9 * sf_conv_direct_dacc_lanes ();
  return sf_conv_dacc_size (conv);
}

gsize
sf_conv_dacc_size (const SfConv *conv)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo == SF_CONV_DIRECT)
    return (gsize) s->OC * s->C * 9 * 16;
  if (conv->algo != SF_CONV_WINOGRAD)
    return (gsize) s->OC * s->C * s->K * s->K;
  if (conv->fold)
    return (gsize) (s->K * s->K + conv->alpha) * s->OC * s->C;   /* sums, then one row of the chunk's */
  return sf_conv_cache_size (conv);
}

double
sf_conv_macs (const SfConvShape *s)
{
  return (double) s->C * s->K * s->K * s->OC * sf_conv_out_side (s->H, s->stride) * sf_conv_out_side (s->W, s->stride);
}

double
sf_conv_gemm_macs (const SfConv *conv)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo != SF_CONV_WINOGRAD)
    return sf_conv_macs (s);
  return (double) conv->alpha * conv->alpha * s->OC * s->C * conv->tiles;
}

/* ------------------------------------------------------------------------ */
/* im2col                                                                   */

/* The x for which 0 ≤ x + off < W, as [*lo, *hi). */
static void
valid_span (int off, int W, int len, int *lo, int *hi)
{
  *lo = CLAMP (-off, 0, len);
  *hi = CLAMP (W - off, *lo, len);
}

/* cols[C*K*K, n*H*W]: row (c, ky, kx) holds the input shifted by (ky, kx). */
static SF_HOT void
im2col (float *cols, const float *inp, int n, const SfConvShape *s, int pad)
{
  int C = s->C, H = s->H, W = s->W, K = s->K;
  gsize hw = (gsize) H * W, nhw = (gsize) n * hw;
  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < K; ky++)
      for (int kx = 0; kx < K; kx++)
        {
          float *row = cols + ((gsize) (c * K + ky) * K + kx) * nhw;
          int x0, x1;
          valid_span (kx - pad, W, W, &x0, &x1);
          for (int img = 0; img < n; img++)
            {
              const float *plane = inp + ((gsize) img * C + c) * hw;
              for (int y = 0; y < H; y++)
                {
                  float *dst = row + img * hw + (gsize) y * W;
                  int sy = y + ky - pad;
                  if (sy < 0 || sy >= H)
                    {
                      memset (dst, 0, sizeof (float) * W);
                      continue;
                    }
                  const float *src = plane + (gsize) sy * W + (kx - pad);
                  for (int x = 0; x < x0; x++)
                    dst[x] = 0;
                  if (x1 > x0)
                    memcpy (dst + x0, src + x0, sizeof (float) * (x1 - x0));
                  for (int x = x1; x < W; x++)
                    dst[x] = 0;
                }
            }
        }
}

/* dinp[n,C,H,W] = the adjoint of im2col applied to dcols. */
static SF_HOT void
col2im (float *dinp, const float *dcols, int n, const SfConvShape *s, int pad)
{
  int C = s->C, H = s->H, W = s->W, K = s->K;
  gsize hw = (gsize) H * W, nhw = (gsize) n * hw;
  memset (dinp, 0, sizeof (float) * n * C * hw);
  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < K; ky++)
      for (int kx = 0; kx < K; kx++)
        {
          const float *row = dcols + ((gsize) (c * K + ky) * K + kx) * nhw;
          int x0, x1;
          valid_span (kx - pad, W, W, &x0, &x1);
          for (int img = 0; img < n; img++)
            {
              float *plane = dinp + ((gsize) img * C + c) * hw;
              for (int y = 0; y < H; y++)
                {
                  int sy = y + ky - pad;
                  if (sy < 0 || sy >= H)
                    continue;
                  const float *restrict src = row + img * hw + (gsize) y * W;
                  float *restrict dst = plane + (gsize) sy * W + (kx - pad);
                  for (int x = x0; x < x1; x++)
                    dst[x] += src[x];
                }
            }
        }
}

/* The plane with its border of pad zeros: padded[(H + 2 pad), (W + 2 pad)]. */
static void
pad_plane (float *padded, const float *plane, int H, int W, int pad)
{
  int Wp = W + 2 * pad;
  memset (padded, 0, sizeof (float) * Wp * pad);
  for (int y = 0; y < H; y++)
    {
      float *row = padded + (gsize) (y + pad) * Wp;
      memset (row, 0, sizeof (float) * pad);
      memcpy (row + pad, plane + (gsize) y * W, sizeof (float) * W);
      memset (row + pad + W, 0, sizeof (float) * pad);
    }
  memset (padded + (gsize) (H + pad) * Wp, 0, sizeof (float) * Wp * pad);
}

/* im2col at a stride S > 1: cols[C*K*K, n*Ho*Wo], row (c, ky, kx) holding
 * input (oy·S + ky - pad, ox·S + kx - pad), 0 outside. Each input plane is
 * first copied with its zero border into `padded`, so the copies below have
 * no edges to test. */
static SF_HOT void
im2col_strided (float *cols, float *scratch, const float *inp, int n, const SfConv *conv)
{
  const SfConvShape *s = &conv->shape;
  int C = s->C, H = s->H, W = s->W, K = s->K, S = s->stride, Ho = conv->out_h, Wo = conv->out_w, pad = conv->pad;
  int Wp = W + 2 * pad;
  gsize hw = (gsize) H * W, ohw = (gsize) Ho * Wo, nohw = (gsize) n * ohw;
  const float *padded = scratch;
  for (int c = 0; c < C; c++)
    for (int img = 0; img < n; img++)
      {
        const float *plane = inp + ((gsize) img * C + c) * hw;
        if (pad > 0)
          pad_plane (scratch, plane, H, W, pad);
        else
          padded = plane;
        for (int ky = 0; ky < K; ky++)
          for (int kx = 0; kx < K; kx++)
            {
              float *restrict dst = cols + ((gsize) (c * K + ky) * K + kx) * nohw + img * ohw;
              for (int y = 0; y < Ho; y++)
                {
                  const float *restrict src = padded + (gsize) (y * S + ky) * Wp + kx;
                  float *restrict row = dst + (gsize) y * Wo;
                  /* Stride 2, the usual one, as a constant: two loads and a permute a vector. */
                  if (S == 2)
                    for (int x = 0; x < Wo; x++)
                      row[x] = src[2 * x];
                  else
                    for (int x = 0; x < Wo; x++)
                      row[x] = src[x * S];
                }
            }
      }
}

/* dinp[n,C,H,W] = the adjoint of im2col_strided applied to dcols, summed in
 * `padded` and its interior copied out. */
static SF_HOT void
col2im_strided (float *dinp, float *padded, const float *dcols, int n, const SfConv *conv)
{
  const SfConvShape *s = &conv->shape;
  int C = s->C, H = s->H, W = s->W, K = s->K, S = s->stride, Ho = conv->out_h, Wo = conv->out_w, pad = conv->pad;
  int Hp = H + 2 * pad, Wp = W + 2 * pad;
  gsize hw = (gsize) H * W, ohw = (gsize) Ho * Wo, nohw = (gsize) n * ohw;
  for (int c = 0; c < C; c++)
    for (int img = 0; img < n; img++)
      {
        memset (padded, 0, sizeof (float) * Hp * Wp);
        for (int ky = 0; ky < K; ky++)
          for (int kx = 0; kx < K; kx++)
            {
              const float *restrict src = dcols + ((gsize) (c * K + ky) * K + kx) * nohw + img * ohw;
              for (int y = 0; y < Ho; y++)
                {
                  float *restrict dst = padded + (gsize) (y * S + ky) * Wp + kx;
                  const float *restrict row = src + (gsize) y * Wo;
                  if (S == 2)
                    for (int x = 0; x < Wo; x++)
                      dst[2 * x] += row[x];
                  else
                    for (int x = 0; x < Wo; x++)
                      dst[x * S] += row[x];
                }
            }
        float *plane = dinp + ((gsize) img * C + c) * hw;
        for (int y = 0; y < H; y++)
          memcpy (plane + (gsize) y * W, padded + (gsize) (y + pad) * Wp + pad, sizeof (float) * W);
      }
}

/* ------------------------------------------------------------------------ */
/* Passes                                                                   */

void
sf_conv_prepare (const SfConv *conv, float *cache, const float *weight)
{
  if (conv->algo == SF_CONV_DIRECT)
    {
      sf_conv_direct_prepare (cache, weight, conv->shape.OC, conv->shape.C);
      return;
    }
  if (conv->algo == SF_CONV_WINOGRAD)
    sf_winograd_prepare (conv, cache, weight);
}

void
sf_conv_finish (const SfConv *conv, float *dweight, const float *dacc)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo == SF_CONV_DIRECT)
    {
      sf_conv_direct_finish (dweight, dacc, s->OC, s->C);
      return;
    }
  if (conv->algo == SF_CONV_WINOGRAD)
    {
      sf_winograd_finish (conv, dweight, dacc);
      return;
    }
  gsize size = sf_conv_dacc_size (conv);
  for (gsize i = 0; i < size; i++)
    dweight[i] += dacc[i];
}

void
sf_conv_forward (const SfConv *conv, float *y, const float *inp, int n, const float *weight,
                 const float *cache, float *workspace)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo == SF_CONV_DIRECT)
    {
      SfPlaneStrides y_at = { (gsize) s->H * s->W, (gsize) n * s->H * s->W };
      sf_conv_direct_forward (y, y_at, NULL, inp, cache, n, s->C, s->OC, s->H, s->W);
      return;
    }
  if (conv->algo == SF_CONV_IM2COL)
    {
      int ckk = s->C * s->K * s->K, nhw = n * conv->out_h * conv->out_w;
      if (s->stride > 1)
        im2col_strided (workspace, workspace + (gsize) ckk * nhw, inp, n, conv);
      else
        im2col (workspace, inp, n, s, conv->pad);
      sf_gemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, s->OC, nhw, ckk, 1.0f, weight, ckk, workspace, nhw,
                   0.0f, y, nhw);
      return;
    }
  sf_winograd_forward (conv, y, inp, n, cache, workspace);
}

void
sf_conv_forward_nchw (const SfConv *conv, float *out, const float *inp, int n, const float *bias, const float *cache)
{
  const SfConvShape *s = &conv->shape;
  g_return_if_fail (conv->algo == SF_CONV_DIRECT);
  SfPlaneStrides out_at = { (gsize) s->OC * s->H * s->W, (gsize) s->H * s->W };
  sf_conv_direct_forward (out, out_at, bias, inp, cache, n, s->C, s->OC, s->H, s->W);
}

void
sf_conv_backward_nchw (const SfConv *conv, float *dinp, float *dacc, float *dbias, const float *dout,
                       const float *inp, int n, const float *cache)
{
  const SfConvShape *s = &conv->shape;
  g_return_if_fail (conv->algo == SF_CONV_DIRECT);
  SfPlaneStrides dout_at = { (gsize) s->OC * s->H * s->W, (gsize) s->H * s->W };
  sf_conv_direct_backward_weight (dacc, dbias, dout, dout_at, inp, n, s->C, s->OC, s->H, s->W);
  if (dinp != NULL)
    sf_conv_direct_backward_input (dinp, dout, dout_at, cache, n, s->C, s->OC, s->H, s->W);
}

void
sf_conv_backward (const SfConv *conv, float *dinp, float *dacc, const float *dy, const float *inp, int n,
                  const float *weight, const float *cache, float *workspace)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo == SF_CONV_DIRECT)
    {
      SfPlaneStrides dy_at = { (gsize) s->H * s->W, (gsize) n * s->H * s->W };
      sf_conv_direct_backward_weight (dacc, NULL, dy, dy_at, inp, n, s->C, s->OC, s->H, s->W);
      if (dinp != NULL)
        sf_conv_direct_backward_input (dinp, dy, dy_at, cache, n, s->C, s->OC, s->H, s->W);
      return;
    }
  if (conv->algo == SF_CONV_IM2COL)
    {
      int ckk = s->C * s->K * s->K, nhw = n * conv->out_h * conv->out_w;
      if (s->stride > 1)
        im2col_strided (workspace, workspace + (gsize) ckk * nhw, inp, n, conv);
      else
        im2col (workspace, inp, n, s, conv->pad);
      sf_gemm (CblasRowMajor, CblasNoTrans, CblasTrans, s->OC, ckk, nhw, 1.0f, dy, nhw, workspace, nhw, 1.0f,
                   dacc, ckk);
      if (dinp == NULL)
        return;
      sf_gemm (CblasRowMajor, CblasTrans, CblasNoTrans, ckk, nhw, s->OC, 1.0f, weight, ckk, dy, nhw, 0.0f,
                   workspace, nhw);
      if (s->stride > 1)
        col2im_strided (dinp, workspace + (gsize) ckk * nhw, workspace, n, conv);
      else
        col2im (dinp, workspace, n, s, conv->pad);
      return;
    }
  sf_winograd_backward (conv, dinp, dacc, dy, inp, n, cache, workspace);
}
