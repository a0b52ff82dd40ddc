/* Winograd F(m×m, k×k) convolution for F(2×2, 3×3), F(4×4, 3×3) and
 * F(2×2, 5×5), F(3×3, 5×5), F(4×4, 5×5): the transform matrices, the tile
 * transforms and their adjoints around per-tile GEMMs; see winograd.h. */
#include "winograd.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "simd.h"

/* ------------------------------------------------------------------------ */
/* Set-up                                                                   */

/* Inverts the n×n matrix a in place (n ≤ 8, well conditioned by construction). */
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

/* Toom-Cook F(m, r) on the points 0, 1, -1, 2, -2, 1/2, -1/2 (as many as
 * needed) and ∞ (for F(4, 3) these are Lavin and Gray's matrices):
 * y = Aᵀ[(G w) ⊙ (Bᵀ x)] is the correlation y_i = Σ_k w_k x_{i+k}. With E the
 * evaluation matrix of degree-(alpha-1) polynomials, A and G evaluate the
 * factors and Bᵀ = E⁻ᵀ; row j of G is divided by f_j = Π(p_j - p_l) and row j
 * of Bᵀ multiplied by it, which keeps Bᵀ integral up to alpha 6. F(3, 5)
 * takes 1/2 as its sixth point: -1/2 measured the same error (tests/test-layers.c). */
static void
winograd_matrices (SfConv *conv)
{
  static const double points[] = { 0, 1, -1, 2, -2, 0.5, -0.5 };
  int m = conv->m, r = conv->shape.K, alpha = conv->alpha, finite = alpha - 1;
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

/* Layers whose transformed weight-gradient accumulator [alpha², OC, C] would
 * reach this many floats (8 MiB) fold each chunk's gradient back through G
 * into [K², OC, C] instead: each worker holds one, so the article's conv384k3
 * (36 values a kernel at F(4×4, 3×3)) would need 27 MiB with 2 workers, 11
 * folded. The fold costs a pass over alpha [OC, C] planes per row of tile
 * elements and chunk, small against the chunk's GEMMs where chunks are many
 * tiles wide (docs/PERFORMANCE.md, "Peak memory on the Winograd path"). */
#define FOLD_FROM ((gsize) 1 << 21)

void
sf_winograd_init (SfConv *conv, int m)
{
  g_return_if_fail (m == 2 || (m == 4 && conv->shape.K == 3) || ((m == 3 || m == 4) && conv->shape.K == 5));
  conv->m = m;
  conv->alpha = m + conv->shape.K - 1;
  conv->tiles_h = (conv->shape.H + m - 1) / m;
  conv->tiles_w = (conv->shape.W + m - 1) / m;
  conv->tiles = conv->tiles_h * conv->tiles_w;
  conv->fold = (gsize) conv->alpha * conv->alpha * conv->shape.OC * conv->shape.C >= FOLD_FROM;
  winograd_matrices (conv);
}

gsize
sf_winograd_workspace_size (const SfConv *conv, int n)
{
  const SfConvShape *s = &conv->shape;
  gsize a2 = (gsize) conv->alpha * conv->alpha, nt = (gsize) n * conv->tiles;
  return a2 * s->C * nt + a2 * s->OC * nt + 2 * a2 * nt;
}

/* ------------------------------------------------------------------------ */
/* Tile transforms                                                          */

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
  const float *restrict s0 = s[0], *restrict s1 = s[1], *restrict s2 = s[2], *restrict s3 = s[3];
  const float *restrict s4 = s[4], *restrict s5 = s[5], *restrict s6 = s[6], *restrict s7 = s[7];
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
    case 6:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t] + c[5] * s5[t];
      break;
    case 7:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t] + c[5] * s5[t]
                 + c[6] * s6[t];
      break;
    default:
      for (gsize t = 0; t < len; t++)
        out[t] = c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t] + c[5] * s5[t]
                 + c[6] * s6[t] + c[7] * s7[t];
      break;
    }
}

/* floor(a / b) for b > 0 and either sign of a. */
static int
floor_div (int a, int b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The tiles tx with 0 ≤ m·tx + off < W, as [*lo, *hi). */
static void
tile_span (int off, int m, int W, int tiles, int *lo, int *hi)
{
  int l = -floor_div (off, m);   /* ceil(-off / m) */
  int h = floor_div (W - 1 - off, m) + 1;
  *lo = CLAMP (l, 0, tiles);
  *hi = CLAMP (h, *lo, tiles);
}

/* d[tile of every image] = x[m·ty + oy, m·tx + ox], zero outside the plane.
 * planes: the n planes of one channel, plane_stride apart; d: [n * tiles]. */
static SF_HOT void
gather_tiles (float *restrict d, const float *restrict planes, gsize plane_stride, int n, int m, int H, int W,
              int tiles_h, int tiles_w, int oy, int ox)
{
  int lo, hi;
  tile_span (ox, m, W, tiles_w, &lo, &hi);
  for (int img = 0; img < n; img++)
    {
      const float *plane = planes + img * plane_stride;
      for (int ty = 0; ty < tiles_h; ty++)
        {
          float *restrict dst = d + ((gsize) img * tiles_h + ty) * tiles_w;
          int sy = m * ty + oy;
          if (sy < 0 || sy >= H)
            {
              memset (dst, 0, sizeof (float) * tiles_w);
              continue;
            }
          const float *restrict src = plane + (gsize) sy * W + ox;
          for (int tx = 0; tx < lo; tx++)
            dst[tx] = 0;
          for (int tx = lo; tx < hi; tx++)
            dst[tx] = src[m * tx];
          for (int tx = hi; tx < tiles_w; tx++)
            dst[tx] = 0;
        }
    }
}

/* The adjoint of gather_tiles with accumulation: x[m·ty + oy, m·tx + ox] += d[tile]. */
static SF_HOT void
scatter_add_tiles (float *restrict planes, gsize plane_stride, const float *restrict d, int n, int m, int H, int W,
                   int tiles_h, int tiles_w, int oy, int ox)
{
  int lo, hi;
  tile_span (ox, m, W, tiles_w, &lo, &hi);
  for (int img = 0; img < n; img++)
    {
      float *plane = planes + img * plane_stride;
      for (int ty = 0; ty < tiles_h; ty++)
        {
          int sy = m * ty + oy;
          if (sy < 0 || sy >= H)
            continue;
          const float *restrict src = d + ((gsize) img * tiles_h + ty) * tiles_w;
          float *restrict dst = plane + (gsize) sy * W + ox;
          for (int tx = lo; tx < hi; tx++)
            dst[m * tx] += src[tx];
        }
    }
}

/* Writes x[m·ty + oy, m·tx + ox] = d[tile] where inside the plane. */
static SF_HOT void
scatter_tiles (float *restrict planes, gsize plane_stride, const float *restrict d, int n, int m, int H, int W,
               int tiles_h, int tiles_w, int oy, int ox)
{
  int lo, hi;
  tile_span (ox, m, W, tiles_w, &lo, &hi);
  for (int img = 0; img < n; img++)
    {
      float *plane = planes + img * plane_stride;
      for (int ty = 0; ty < tiles_h; ty++)
        {
          int sy = m * ty + oy;
          if (sy < 0 || sy >= H)
            continue;
          const float *restrict src = d + ((gsize) img * tiles_h + ty) * tiles_w;
          float *restrict dst = plane + (gsize) sy * W + ox;
          for (int tx = lo; tx < hi; tx++)
            dst[m * tx] = src[tx];
        }
    }
}

/* Small planes have rows of one to four tiles, where gather_tiles spends its
 * time on loop overhead: they gather through a table instead, built once per
 * chunk. Tables up to this many entries (on the stack). */
#define TILE_TABLE_MAX 4096

/* src[(k·cols + l)·n·T + i] for k < rows, l < cols: the offset of
 * x[m·ty + k - off, m·tx + l - off] of tile element i of the chunk, in n
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
              int sy = conv->m * ty + k - off, sx = conv->m * tx + l - off;
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
            gather_tiles (D + (k * a + l) * nt, inp + c * hw, C * hw, n, conv->m, s->H, s->W, conv->tiles_h,
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
  int a = conv->alpha, m = conv->m, OC = s->OC;
  gsize nt = (gsize) n * conv->tiles, hw = (gsize) s->H * s->W;
  float *S = scratch;               /* [m, alpha, nT] */
  float *Y = scratch + m * a * nt;  /* [m, m, nT] */
  for (int o = 0; o < OC; o++)
    {
      for (int r = 0; r < m; r++)
        for (int j = 0; j < a; j++)
          combine (S + (r * a + j) * nt, M + ((gsize) j * OC + o) * nt, (gsize) a * OC * nt, conv->at[r], a, nt);
      for (int r = 0; r < m; r++)
        for (int q = 0; q < m; q++)
          {
            combine (Y + (r * m + q) * nt, S + r * a * nt, nt, conv->at[q], a, nt);
            scatter_tiles (y + o * n * hw, hw, Y + (r * m + q) * nt, n, m, s->H, s->W, conv->tiles_h, conv->tiles_w,
                           r, q);
          }
    }
}

/* dM[alpha², OC, n*T] from dy[OC, n, H*W]: the adjoint of winograd_output. */
static void
winograd_output_adjoint (const SfConv *conv, float *dM, const float *dy, int n, float *scratch)
{
  const SfConvShape *s = &conv->shape;
  int a = conv->alpha, m = conv->m, OC = s->OC;
  gsize nt = (gsize) n * conv->tiles, hw = (gsize) s->H * s->W;
  float *dY = scratch;              /* [m, m, nT] */
  float *S = scratch + m * m * nt;  /* [alpha, m, nT] */
  float acol[SF_WINOGRAD_MAX_ALPHA][SF_WINOGRAD_MAX_M];
  for (int i = 0; i < a; i++)
    for (int r = 0; r < m; r++)
      acol[i][r] = conv->at[r][i];
  int *src = tile_table_fits (conv, n, m, m) ? g_alloca (sizeof (int) * m * m * nt) : NULL;
  if (src != NULL)
    tile_sources (src, conv, n, hw, m, m, 0);
  for (int o = 0; o < OC; o++)
    {
      for (int r = 0; r < m; r++)
        for (int q = 0; q < m; q++)
          if (src != NULL)
            gather_by_table (dY + (r * m + q) * nt, dy + o * n * hw, src + (r * m + q) * nt, nt);
          else
            gather_tiles (dY + (r * m + q) * nt, dy + o * n * hw, hw, n, m, s->H, s->W, conv->tiles_h,
                          conv->tiles_w, r, q);
      for (int i = 0; i < a; i++)
        for (int q = 0; q < m; q++)
          combine (S + (i * m + q) * nt, dY + q * nt, m * nt, acol[i], m, nt);
      for (int i = 0; i < a; i++)
        for (int j = 0; j < a; j++)
          combine (dM + ((gsize) (i * a + j) * OC + o) * nt, S + i * m * nt, nt, acol[j], m, nt);
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
            scatter_add_tiles (dinp + c * hw, C * hw, D + (k * a + l) * nt, n, conv->m, s->H, s->W, conv->tiles_h,
                               conv->tiles_w, k - conv->pad, l - conv->pad);
          }
    }
}

/* Kernels per block of fold_row: its rows of the block stay in L1. */
#define FOLD_BLOCK 1024

/* acc[k][p] += Σ_j gg_row[j·kk + k] · row[j][p] for the K² = kk planes of
 * acc and the alpha = a planes of row, `planes` values each: the weight
 * gradient of one row of tile elements brought back through G ⊗ G. */
static SF_HOT void
fold_row (float *restrict acc, float *restrict row, gsize planes, const float *gg_row, int a, int kk)
{
  for (gsize p0 = 0; p0 < planes; p0 += FOLD_BLOCK)
    {
      gsize len = MIN (FOLD_BLOCK, planes - p0);
      for (int k = 0; k < kk; k++)
        {
          /* One pass a plane of acc, its sums in registers (as in combine). */
          const float *src[SF_WINOGRAD_MAX_ALPHA];
          float c[SF_WINOGRAD_MAX_ALPHA];
          int n = 0;
          for (int j = 0; j < a; j++)
            if (gg_row[j * kk + k] != 0)
              {
                src[n] = row + j * planes + p0;
                c[n++] = gg_row[j * kk + k];
              }
          float *restrict out = acc + k * planes + p0;
          const float *restrict s0 = src[0], *restrict s1 = src[1], *restrict s2 = src[2], *restrict s3 = src[3];
          const float *restrict s4 = src[4], *restrict s5 = src[5], *restrict s6 = src[6], *restrict s7 = src[7];
          switch (n)
            {
            case 0:
              break;
            case 1:
              for (gsize t = 0; t < len; t++)
                out[t] += c[0] * s0[t];
              break;
            case 2:
              for (gsize t = 0; t < len; t++)
                out[t] += c[0] * s0[t] + c[1] * s1[t];
              break;
            case 3:
              for (gsize t = 0; t < len; t++)
                out[t] += c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t];
              break;
            case 4:
              for (gsize t = 0; t < len; t++)
                out[t] += c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t];
              break;
            case 5:
              for (gsize t = 0; t < len; t++)
                out[t] += c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t];
              break;
            case 6:
              for (gsize t = 0; t < len; t++)
                out[t] += c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t] + c[5] * s5[t];
              break;
            case 7:
              for (gsize t = 0; t < len; t++)
                out[t] += c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t] + c[5] * s5[t]
                          + c[6] * s6[t];
              break;
            default:
              for (gsize t = 0; t < len; t++)
                out[t] += c[0] * s0[t] + c[1] * s1[t] + c[2] * s2[t] + c[3] * s3[t] + c[4] * s4[t] + c[5] * s5[t]
                          + c[6] * s6[t] + c[7] * s7[t];
              break;
            }
        }
      /* Zero again for the next chunk's products, while in cache (saves GEMM a pass to clear them). */
      for (int j = 0; j < a; j++)
        memset (row + j * planes + p0, 0, sizeof (float) * len);
    }
}

/* ------------------------------------------------------------------------ */
/* Passes                                                                   */

void
sf_winograd_prepare (const SfConv *conv, float *cache, const float *weight)
{
  /* cache[alpha², OC·C] = (G ⊗ G)[alpha², K²] · weight[OC·C, K²]ᵀ */
  const SfConvShape *s = &conv->shape;
  int a2 = conv->alpha * conv->alpha, kk = s->K * s->K, planes = s->OC * s->C;
  sf_gemm (CblasRowMajor, CblasNoTrans, CblasTrans, a2, planes, kk, 1.0f, conv->gg, kk, weight, kk, 0.0f, cache,
               planes);
}

void
sf_winograd_finish (const SfConv *conv, float *dweight, const float *dacc)
{
  /* dweight[OC·C, K²] += dacc[alpha², OC·C]ᵀ · (G ⊗ G)[alpha², K²] */
  const SfConvShape *s = &conv->shape;
  int a2 = conv->alpha * conv->alpha, kk = s->K * s->K, planes = s->OC * s->C;
  if (conv->fold)
    {
      for (int p = 0; p < planes; p++)
        for (int k = 0; k < kk; k++)
          dweight[(gsize) p * kk + k] += dacc[(gsize) k * planes + p];
      return;
    }
  sf_gemm (CblasRowMajor, CblasTrans, CblasNoTrans, planes, kk, a2, 1.0f, dacc, planes, conv->gg, kk, 1.0f,
               dweight, kk);
}

void
sf_winograd_forward (const SfConv *conv, float *y, const float *inp, int n, const float *cache, float *workspace)
{
  const SfConvShape *s = &conv->shape;
  int a2 = conv->alpha * conv->alpha, C = s->C, OC = s->OC, nt = n * conv->tiles;
  float *V = workspace;
  float *M = V + (gsize) a2 * C * nt;
  float *scratch = M + (gsize) a2 * OC * nt;
  winograd_input (conv, V, inp, n, scratch);
  for (int t = 0; t < a2; t++)
    sf_gemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, OC, nt, C, 1.0f, cache + (gsize) t * OC * C, C,
                 V + (gsize) t * C * nt, nt, 0.0f, M + (gsize) t * OC * nt, nt);
  winograd_output (conv, y, M, n, scratch);
}

void
sf_winograd_backward (const SfConv *conv, float *dinp, float *dacc, const float *dy, const float *inp, int n,
                      const float *cache, float *workspace)
{
  const SfConvShape *s = &conv->shape;
  int a2 = conv->alpha * conv->alpha, C = s->C, OC = s->OC, nt = n * conv->tiles;
  float *V = workspace;
  float *dM = V + (gsize) a2 * C * nt;
  float *scratch = dM + (gsize) a2 * OC * nt;
  winograd_input (conv, V, inp, n, scratch);
  winograd_output_adjoint (conv, dM, dy, n, scratch);
  if (conv->fold)
    {
      /* Row by row of tile elements: the row's products into the scratch after the sums, then folded in. */
      int a = conv->alpha, kk = s->K * s->K;
      gsize planes = (gsize) OC * C;
      float *row = dacc + kk * planes;
      for (int i = 0; i < a; i++)
        {
          for (int j = 0; j < a; j++)
            {
              int t = i * a + j;
              sf_gemm (CblasRowMajor, CblasNoTrans, CblasTrans, OC, C, nt, 1.0f, dM + (gsize) t * OC * nt, nt,
                       V + (gsize) t * C * nt, nt, 1.0f, row + j * planes, C);
            }
          fold_row (dacc, row, planes, conv->gg + i * a * kk, a, kk);
        }
    }
  else
    for (int t = 0; t < a2; t++)
      sf_gemm (CblasRowMajor, CblasNoTrans, CblasTrans, OC, C, nt, 1.0f, dM + (gsize) t * OC * nt, nt,
                   V + (gsize) t * C * nt, nt, 1.0f, dacc + (gsize) t * OC * C, C);
  if (dinp == NULL)
    return;
  /* dV overwrites V, which the weight gradient no longer needs. */
  for (int t = 0; t < a2; t++)
    sf_gemm (CblasRowMajor, CblasTrans, CblasNoTrans, C, nt, OC, 1.0f, cache + (gsize) t * OC * C, C,
                 dM + (gsize) t * OC * nt, nt, 0.0f, V + (gsize) t * C * nt, nt);
  winograd_input_adjoint (conv, dinp, V, n, scratch);
}
