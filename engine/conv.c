/* Convolution by im2col + GEMM or Winograd F(2×2, k×k) + GEMM; see conv.h. */
#include "conv.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "conv-direct.h"
#include "simd.h"

/* ------------------------------------------------------------------------ */
/* Reference twins                                                          */

void
sf_conv2d_forward_ref (float *out, const float *inp, const float *weight, const float *bias, int N,
                       const SfConvShape *s)
{
  int C = s->C, H = s->H, W = s->W, OC = s->OC, K = s->K, pad = (K - 1) / 2;
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            double sum = bias != NULL ? bias[o] : 0.0;
            for (int c = 0; c < C; c++)
              for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++)
                  {
                    int iy = y + ky - pad, ix = x + kx - pad;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                      continue;
                    sum += (double) inp[(((gsize) n * C + c) * H + iy) * W + ix]
                           * weight[(((gsize) o * C + c) * K + ky) * K + kx];
                  }
            out[(((gsize) n * OC + o) * H + y) * W + x] = (float) sum;
          }
}

void
sf_conv2d_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                        const float *weight, int N, const SfConvShape *s)
{
  int C = s->C, H = s->H, W = s->W, OC = s->OC, K = s->K, pad = (K - 1) / 2;
  gsize n_in = (gsize) N * C * H * W, n_w = (gsize) OC * C * K * K;
  double *din = g_new0 (double, n_in);
  double *dw = g_new0 (double, n_w);
  double *db = g_new0 (double, OC);
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            double g = dout[(((gsize) n * OC + o) * H + y) * W + x];
            db[o] += g;
            for (int c = 0; c < C; c++)
              for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++)
                  {
                    int iy = y + ky - pad, ix = x + kx - pad;
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

/* Inverts the n×n matrix a in place (n ≤ 6, well conditioned by construction). */
static void
invert (double a[SF_WINOGRAD_MAX_ALPHA][SF_WINOGRAD_MAX_ALPHA], int n)
{
  double inv[SF_WINOGRAD_MAX_ALPHA][SF_WINOGRAD_MAX_ALPHA] = { { 0 } };
  for (int i = 0; i < n; i++)
    inv[i][i] = 1;
  for (int col = 0; col < n; col++)
    {
      int pivot = col;
      for (int r = col + 1; r < n; r++)
        if (fabs (a[r][col]) > fabs (a[pivot][col]))
          pivot = r;
      for (int k = 0; k < n; k++)
        {
          double t = a[col][k];
          a[col][k] = a[pivot][k];
          a[pivot][k] = t;
          t = inv[col][k];
          inv[col][k] = inv[pivot][k];
          inv[pivot][k] = t;
        }
      double d = a[col][col];
      for (int k = 0; k < n; k++)
        {
          a[col][k] /= d;
          inv[col][k] /= d;
        }
      for (int r = 0; r < n; r++)
        if (r != col && a[r][col] != 0)
          {
            double f = a[r][col];
            for (int k = 0; k < n; k++)
              {
                a[r][k] -= f * a[col][k];
                inv[r][k] -= f * inv[col][k];
              }
          }
    }
  memcpy (a, inv, sizeof inv);
}

/* Toom-Cook F(2, r) on the points 0, 1, -1, 2, -2 (as many as needed) and ∞:
 * y = Aᵀ[(G w) ⊙ (Bᵀ x)] is the correlation y_i = Σ_k w_k x_{i+k}. With E the
 * evaluation matrix of degree-(alpha-1) polynomials, A and G evaluate the
 * factors and Bᵀ = E⁻ᵀ; row j of G is divided by f_j = Π(p_j - p_l) and row j
 * of Bᵀ multiplied by it, which keeps Bᵀ integral. */
static void
winograd_matrices (SfConv *conv)
{
  static const double points[] = { 0, 1, -1, 2, -2 };
  int m = 2, r = conv->shape.K, alpha = r + 1, finite = alpha - 1;
  double e[SF_WINOGRAD_MAX_ALPHA][SF_WINOGRAD_MAX_ALPHA] = { { 0 } };
  double f[SF_WINOGRAD_MAX_ALPHA];
  for (int j = 0; j < finite; j++)
    {
      f[j] = 1;
      for (int l = 0; l < finite; l++)
        if (l != j)
          f[j] *= points[j] - points[l];
      for (int k = 0; k < alpha; k++)
        e[j][k] = pow (points[j], k);
    }
  f[finite] = 1;
  e[finite][alpha - 1] = 1;
  invert (e, alpha);   /* e = E⁻¹ */

  memset (conv->at, 0, sizeof conv->at);
  memset (conv->g, 0, sizeof conv->g);
  memset (conv->bt, 0, sizeof conv->bt);
  for (int j = 0; j < alpha; j++)
    {
      for (int i = 0; i < m; i++)
        conv->at[i][j] = j < finite ? (float) pow (points[j], i) : (i == m - 1);
      for (int k = 0; k < r; k++)
        conv->g[j][k] = j < finite ? (float) (pow (points[j], k) / f[j]) : (k == r - 1);
      for (int k = 0; k < alpha; k++)
        conv->bt[j][k] = (float) (e[k][j] * f[j]);
    }
  for (int i = 0; i < alpha; i++)
    for (int j = 0; j < alpha; j++)
      for (int u = 0; u < r; u++)
        for (int v = 0; v < r; v++)
          conv->gg[(i * alpha + j) * r * r + u * r + v] = conv->g[i][u] * conv->g[j][v];
}

/* The direct kernels win where C·OC / (C + OC) is small: few channels over
 * wide planes (measured one core, 8 images, forward + backward: 1→16 on
 * 32×32 76 µs against im2col's 160; 16→32 on 16×16 373 against Winograd's
 * 513; 32→64 on 16×16 1543 against 1441, so below 16). */
#define DIRECT_BELOW 16

void
sf_conv_init (SfConv *conv, const SfConvShape *shape, SfConvAlgo algo)
{
  memset (conv, 0, sizeof *conv);
  conv->shape = *shape;
  conv->pad = (shape->K - 1) / 2;
  gboolean winograd_fits = shape->K == 3 || shape->K == 5;
  gboolean direct_fits = sf_conv_direct_supported (shape->K, shape->W);
  if (algo == SF_CONV_AUTO && direct_fits && (double) shape->C * shape->OC / (shape->C + shape->OC) < DIRECT_BELOW)
    algo = SF_CONV_DIRECT;
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
    {
      conv->alpha = shape->K + 1;
      conv->tiles_h = (shape->H + 1) / 2;
      conv->tiles_w = (shape->W + 1) / 2;
      conv->tiles = conv->tiles_h * conv->tiles_w;
      winograd_matrices (conv);
    }
}

gsize
sf_conv_workspace_size (const SfConv *conv, int n)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo == SF_CONV_DIRECT)
    return 0;
  if (conv->algo == SF_CONV_IM2COL)
    return (gsize) s->C * s->K * s->K * n * s->H * s->W;
  gsize a2 = (gsize) conv->alpha * conv->alpha, nt = (gsize) n * conv->tiles;
  return a2 * s->C * nt + a2 * s->OC * nt + 2 * a2 * nt;
}

gsize
sf_conv_cache_size (const SfConv *conv)
{
  if (conv->algo == SF_CONV_IM2COL)
    return 0;
  if (conv->algo == SF_CONV_DIRECT)
    return 2 * (gsize) conv->shape.OC * conv->shape.C * 9;
  return (gsize) conv->alpha * conv->alpha * conv->shape.OC * conv->shape.C;
}

gsize
sf_conv_dacc_size (const SfConv *conv)
{
  const SfConvShape *s = &conv->shape;
  if (conv->algo == SF_CONV_DIRECT)
    return (gsize) s->OC * s->C * 9 * 16;
  if (conv->algo != SF_CONV_WINOGRAD)
    return (gsize) s->OC * s->C * s->K * s->K;
  return sf_conv_cache_size (conv);
}

double
sf_conv_macs (const SfConvShape *s)
{
  return (double) s->C * s->K * s->K * s->OC * s->H * s->W;
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

/* ------------------------------------------------------------------------ */
/* Winograd F(2×2, k×k)                                                     */

/* out[len] = Σ_q coef[q] · in[q * stride + 0 .. len) over the nonzero
 * coefficients, in one pass: the sums of a transform stay in registers. */
static SF_HOT void
combine (float *restrict out, const float *restrict in, gsize stride, const float *coef, int terms, gsize len)
{
  const float *s[SF_WINOGRAD_MAX_ALPHA];
  float c[SF_WINOGRAD_MAX_ALPHA];
  int n = 0;
  for (int q = 0; q < terms; q++)
    if (coef[q] != 0)
      {
        s[n] = in + q * stride;
        c[n++] = coef[q];
      }
  const float *restrict s0 = s[0], *restrict s1 = s[1], *restrict s2 = s[2];
  const float *restrict s3 = s[3], *restrict s4 = s[4], *restrict s5 = s[5];
  switch (n)
    {
    case 0:
      memset (out, 0, sizeof (float) * len);
      break;
    case 1:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t];
      break;
    case 2:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t] + c[1] * s1[t];
      break;
    case 3:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t];
      break;
    case 4:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t];
      break;
    case 5:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t];
      break;
    default:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t] + c[5] * s5[t];
      break;
    }
}

/* The tiles tx with 0 ≤ 2·tx + off < W, as [*lo, *hi). */
static void
tile_span (int off, int W, int tiles, int *lo, int *hi)
{
  /* ceil(-off / 2) and floor((W - 1 - off) / 2) + 1 for either sign. */
  int l = -off > 0 ? (-off + 1) / 2 : -((off) / 2);
  int h = W - 1 - off >= 0 ? (W - 1 - off) / 2 + 1 : -((off - W + 1 + 1) / 2) + 1;
  *lo = CLAMP (l, 0, tiles);
  *hi = CLAMP (h, *lo, tiles);
}

/* d[tile of every image] = x[2·ty + oy, 2·tx + ox], zero outside the plane.
 * planes: the n planes of one channel, plane_stride apart; d: [n * tiles]. */
static SF_HOT void
gather_tiles (float *restrict d, const float *restrict planes, gsize plane_stride, int n, int H, int W,
              int tiles_h, int tiles_w, int oy, int ox)
{
  int lo, hi;
  tile_span (ox, W, tiles_w, &lo, &hi);
  for (int img = 0; img < n; img++)
    {
      const float *plane = planes + img * plane_stride;
      for (int ty = 0; ty < tiles_h; ty++)
        {
          float *restrict dst = d + ((gsize) img * tiles_h + ty) * tiles_w;
          int sy = 2 * ty + oy;
          if (sy < 0 || sy >= H)
            {
              memset (dst, 0, sizeof (float) * tiles_w);
              continue;
            }
          const float *restrict src = plane + (gsize) sy * W + ox;
          for (int tx = 0; tx < lo; tx++)
            dst[tx] = 0;
          for (int tx = lo; tx < hi; tx++)
            dst[tx] = src[2 * tx];
          for (int tx = hi; tx < tiles_w; tx++)
            dst[tx] = 0;
        }
    }
}

/* The adjoint of gather_tiles with accumulation: x[2·ty + oy, 2·tx + ox] += d[tile]. */
static SF_HOT void
scatter_add_tiles (float *restrict planes, gsize plane_stride, const float *restrict d, int n, int H, int W,
                   int tiles_h, int tiles_w, int oy, int ox)
{
  int lo, hi;
  tile_span (ox, W, tiles_w, &lo, &hi);
  for (int img = 0; img < n; img++)
    {
      float *plane = planes + img * plane_stride;
      for (int ty = 0; ty < tiles_h; ty++)
        {
          int sy = 2 * ty + oy;
          if (sy < 0 || sy >= H)
            continue;
          const float *restrict src = d + ((gsize) img * tiles_h + ty) * tiles_w;
          float *restrict dst = plane + (gsize) sy * W + ox;
          for (int tx = lo; tx < hi; tx++)
            dst[2 * tx] += src[tx];
        }
    }
}

/* Writes x[2·ty + oy, 2·tx + ox] = d[tile] where inside the plane. */
static SF_HOT void
scatter_tiles (float *restrict planes, gsize plane_stride, const float *restrict d, int n, int H, int W,
               int tiles_h, int tiles_w, int oy, int ox)
{
  int lo, hi;
  tile_span (ox, W, tiles_w, &lo, &hi);
  for (int img = 0; img < n; img++)
    {
      float *plane = planes + img * plane_stride;
      for (int ty = 0; ty < tiles_h; ty++)
        {
          int sy = 2 * ty + oy;
          if (sy < 0 || sy >= H)
            continue;
          const float *restrict src = d + ((gsize) img * tiles_h + ty) * tiles_w;
          float *restrict dst = plane + (gsize) sy * W + ox;
          for (int tx = lo; tx < hi; tx++)
            dst[2 * tx] = src[tx];
        }
    }
}

/* Small planes have rows of one to four tiles, where gather_tiles spends its
 * time on loop overhead: they gather through a table instead, built once per
 * chunk. Tables up to this many entries (on the stack). */
#define TILE_TABLE_MAX 4096

/* src[(k·cols + l)·n·T + i] for k < rows, l < cols: the offset of
 * x[2·ty + k - off, 2·tx + l - off] of tile element i of the chunk, in n
 * planes plane_stride apart; -1 outside the plane. */
static void
tile_sources (int *src, const SfConv *conv, int n, gsize plane_stride, int rows, int cols, int off)
{
  const SfConvShape *s = &conv->shape;
  for (int k = 0; k < rows; k++)
    for (int l = 0; l < cols; l++)
      for (int img = 0; img < n; img++)
        for (int ty = 0; ty < conv->tiles_h; ty++)
          for (int tx = 0; tx < conv->tiles_w; tx++)
            {
              int sy = 2 * ty + k - off, sx = 2 * tx + l - off;
              gboolean inside = sy >= 0 && sy < s->H && sx >= 0 && sx < s->W;
              *src++ = inside ? (int) (img * plane_stride) + sy * s->W + sx : -1;
            }
}

static gboolean
tile_table_fits (const SfConv *conv, int n, int rows, int cols)
{
  return conv->tiles_w < 8 && (gsize) rows * cols * n * conv->tiles <= TILE_TABLE_MAX;
}

/* gather_tiles through a tile_sources table. */
static SF_HOT void
gather_by_table (float *restrict d, const float *restrict planes, const int *restrict src, gsize len)
{
  for (gsize i = 0; i < len; i++)
    d[i] = src[i] >= 0 ? planes[src[i]] : 0.0f;
}

/* V[alpha², C, n*T]: V_ij = Σ_kl Bᵀ_ik Bᵀ_jl d_kl for every input tile d. */
static void
winograd_input (const SfConv *conv, float *V, const float *inp, int n, float *scratch)
{
  const SfConvShape *s = &conv->shape;
  int a = conv->alpha, C = s->C;
  gsize nt = (gsize) n * conv->tiles, hw = (gsize) s->H * s->W;
  float *D = scratch;                /* [k, l, nT] */
  float *R = scratch + a * a * nt;   /* [k, j, nT] */
  int *src = tile_table_fits (conv, n, a, a) ? g_alloca (sizeof (int) * a * a * nt) : NULL;
  if (src != NULL)
    tile_sources (src, conv, n, C * hw, a, a, conv->pad);
  for (int c = 0; c < C; c++)
    {
      for (int k = 0; k < a; k++)
        for (int l = 0; l < a; l++)
          if (src != NULL)
            gather_by_table (D + (k * a + l) * nt, inp + c * hw, src + (k * a + l) * nt, nt);
          else
            gather_tiles (D + (k * a + l) * nt, inp + c * hw, C * hw, n, s->H, s->W, conv->tiles_h,
                          conv->tiles_w, k - conv->pad, l - conv->pad);
      for (int k = 0; k < a; k++)
        for (int j = 0; j < a; j++)
          combine (R + (k * a + j) * nt, D + k * a * nt, nt, conv->bt[j], a, nt);
      for (int i = 0; i < a; i++)
        for (int j = 0; j < a; j++)
          combine (V + ((gsize) (i * a + j) * C + c) * nt, R + j * nt, a * nt, conv->bt[i], a, nt);
    }
}

/* y[OC, n, H*W] from M[alpha², OC, n*T]: Y = Aᵀ M A per tile. */
static void
winograd_output (const SfConv *conv, float *y, const float *M, int n, float *scratch)
{
  const SfConvShape *s = &conv->shape;
  int a = conv->alpha, OC = s->OC;
  gsize nt = (gsize) n * conv->tiles, hw = (gsize) s->H * s->W;
  float *S = scratch;               /* [2, alpha, nT] */
  float *Y = scratch + 2 * a * nt;  /* [2, 2, nT] */
  for (int o = 0; o < OC; o++)
    {
      for (int r = 0; r < 2; r++)
        for (int j = 0; j < a; j++)
          combine (S + (r * a + j) * nt, M + ((gsize) j * OC + o) * nt, (gsize) a * OC * nt, conv->at[r], a, nt);
      for (int r = 0; r < 2; r++)
        for (int q = 0; q < 2; q++)
          {
            combine (Y + (r * 2 + q) * nt, S + r * a * nt, nt, conv->at[q], a, nt);
            scatter_tiles (y + o * n * hw, hw, Y + (r * 2 + q) * nt, n, s->H, s->W, conv->tiles_h, conv->tiles_w,
                           r, q);
          }
    }
}

/* dM[alpha², OC, n*T] from dy[OC, n, H*W]: the adjoint of winograd_output. */
static void
winograd_output_adjoint (const SfConv *conv, float *dM, const float *dy, int n, float *scratch)
{
  const SfConvShape *s = &conv->shape;
  int a = conv->alpha, OC = s->OC;
  gsize nt = (gsize) n * conv->tiles, hw = (gsize) s->H * s->W;
  float *dY = scratch;            /* [2, 2, nT] */
  float *S = scratch + 4 * nt;    /* [alpha, 2, nT] */
  float acol[SF_WINOGRAD_MAX_ALPHA][2];
  for (int i = 0; i < a; i++)
    for (int r = 0; r < 2; r++)
      acol[i][r] = conv->at[r][i];
  int *src = tile_table_fits (conv, n, 2, 2) ? g_alloca (sizeof (int) * 4 * nt) : NULL;
  if (src != NULL)
    tile_sources (src, conv, n, hw, 2, 2, 0);
  for (int o = 0; o < OC; o++)
    {
      for (int r = 0; r < 2; r++)
        for (int q = 0; q < 2; q++)
          if (src != NULL)
            gather_by_table (dY + (r * 2 + q) * nt, dy + o * n * hw, src + (r * 2 + q) * nt, nt);
          else
            gather_tiles (dY + (r * 2 + q) * nt, dy + o * n * hw, hw, n, s->H, s->W, conv->tiles_h,
                          conv->tiles_w, r, q);
      for (int i = 0; i < a; i++)
        for (int q = 0; q < 2; q++)
          combine (S + (i * 2 + q) * nt, dY + q * nt, 2 * nt, acol[i], 2, nt);
      for (int i = 0; i < a; i++)
        for (int j = 0; j < a; j++)
          combine (dM + ((gsize) (i * a + j) * OC + o) * nt, S + i * 2 * nt, nt, acol[j], 2, nt);
    }
}

/* dinp[n,C,H,W] from dV[alpha², C, n*T]: the adjoint of winograd_input. */
static void
winograd_input_adjoint (const SfConv *conv, float *dinp, const float *dV, int n, float *scratch)
{
  const SfConvShape *s = &conv->shape;
  int a = conv->alpha, C = s->C;
  gsize nt = (gsize) n * conv->tiles, hw = (gsize) s->H * s->W;
  float *R = scratch;               /* [i, l, nT] */
  float *D = scratch + a * a * nt;  /* [k, l, nT] */
  float bcol[SF_WINOGRAD_MAX_ALPHA][SF_WINOGRAD_MAX_ALPHA];
  for (int k = 0; k < a; k++)
    for (int i = 0; i < a; i++)
      bcol[k][i] = conv->bt[i][k];
  memset (dinp, 0, sizeof (float) * n * C * hw);
  for (int c = 0; c < C; c++)
    {
      for (int i = 0; i < a; i++)
        for (int l = 0; l < a; l++)
          combine (R + (i * a + l) * nt, dV + ((gsize) i * a * C + c) * nt, (gsize) C * nt, bcol[l], a, nt);
      for (int k = 0; k < a; k++)
        for (int l = 0; l < a; l++)
          {
            combine (D + (k * a + l) * nt, R + l * nt, a * nt, bcol[k], a, nt);
            scatter_add_tiles (dinp + c * hw, C * hw, D + (k * a + l) * nt, n, s->H, s->W, conv->tiles_h,
                               conv->tiles_w, k - conv->pad, l - conv->pad);
          }
    }
}

void
sf_conv_prepare (const SfConv *conv, float *cache, const float *weight)
{
  if (conv->algo == SF_CONV_DIRECT)
    {
      gsize size = (gsize) conv->shape.OC * conv->shape.C * 9;
      sf_conv_direct_prepare (cache, cache + size, weight, conv->shape.OC, conv->shape.C);
      return;
    }
  if (conv->algo != SF_CONV_WINOGRAD)
    return;
  /* cache[alpha², OC·C] = (G ⊗ G)[alpha², K²] · weight[OC·C, K²]ᵀ */
  const SfConvShape *s = &conv->shape;
  int a2 = conv->alpha * conv->alpha, kk = s->K * s->K, planes = s->OC * s->C;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, a2, planes, kk, 1.0f, conv->gg, kk, weight, kk, 0.0f, cache,
               planes);
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
  if (conv->algo != SF_CONV_WINOGRAD)
    {
      gsize size = sf_conv_dacc_size (conv);
      for (gsize i = 0; i < size; i++)
        dweight[i] += dacc[i];
      return;
    }
  /* dweight[OC·C, K²] += dacc[alpha², OC·C]ᵀ · (G ⊗ G)[alpha², K²] */
  int a2 = conv->alpha * conv->alpha, kk = s->K * s->K, planes = s->OC * s->C;
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, planes, kk, a2, 1.0f, dacc, planes, conv->gg, kk, 1.0f,
               dweight, kk);
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
      int ckk = s->C * s->K * s->K, nhw = n * s->H * s->W;
      im2col (workspace, inp, n, s, conv->pad);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, s->OC, nhw, ckk, 1.0f, weight, ckk, workspace, nhw,
                   0.0f, y, nhw);
      return;
    }
  int a2 = conv->alpha * conv->alpha, C = s->C, OC = s->OC, nt = n * conv->tiles;
  float *V = workspace;
  float *M = V + (gsize) a2 * C * nt;
  float *scratch = M + (gsize) a2 * OC * nt;
  winograd_input (conv, V, inp, n, scratch);
  for (int t = 0; t < a2; t++)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, OC, nt, C, 1.0f, cache + (gsize) t * OC * C, C,
                 V + (gsize) t * C * nt, nt, 0.0f, M + (gsize) t * OC * nt, nt);
  winograd_output (conv, y, M, n, scratch);
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
    sf_conv_direct_backward_input (dinp, dout, dout_at, cache + (gsize) s->OC * s->C * 9, n, s->C, s->OC, s->H,
                                   s->W);
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
        sf_conv_direct_backward_input (dinp, dy, dy_at, cache + (gsize) s->OC * s->C * 9, n, s->C, s->OC, s->H, s->W);
      return;
    }
  if (conv->algo == SF_CONV_IM2COL)
    {
      int ckk = s->C * s->K * s->K, nhw = n * s->H * s->W;
      im2col (workspace, inp, n, s, conv->pad);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, s->OC, ckk, nhw, 1.0f, dy, nhw, workspace, nhw, 1.0f,
                   dacc, ckk);
      if (dinp == NULL)
        return;
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, ckk, nhw, s->OC, 1.0f, weight, ckk, dy, nhw, 0.0f,
                   workspace, nhw);
      col2im (dinp, workspace, n, s, conv->pad);
      return;
    }
  int a2 = conv->alpha * conv->alpha, C = s->C, OC = s->OC, nt = n * conv->tiles;
  float *V = workspace;
  float *dM = V + (gsize) a2 * C * nt;
  float *scratch = dM + (gsize) a2 * OC * nt;
  winograd_input (conv, V, inp, n, scratch);
  winograd_output_adjoint (conv, dM, dy, n, scratch);
  for (int t = 0; t < a2; t++)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, OC, C, nt, 1.0f, dM + (gsize) t * OC * nt, nt,
                 V + (gsize) t * C * nt, nt, 1.0f, dacc + (gsize) t * OC * C, C);
  if (dinp == NULL)
    return;
  /* dV overwrites V, which the weight gradient no longer needs. */
  for (int t = 0; t < a2; t++)
    cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, C, nt, OC, 1.0f, cache + (gsize) t * OC * C, C,
                 dM + (gsize) t * OC * nt, nt, 0.0f, V + (gsize) t * C * nt, nt);
  winograd_input_adjoint (conv, dinp, V, n, scratch);
}
