/* The AVX-512 kernels of 2×2 max-pooling (ReLU or no activation) for the
 * pooling, batch norm and first-block passes; see pool2-avx512.h. */
#include "pool2-avx512.h"

#if SF_POOL2_AVX512

#include <immintrin.h>

#define AVX512_TARGET __attribute__ ((optimize ("O3"), target ("avx512f,avx512bw,avx512vl")))

gboolean
sf_pool2_avx512_usable (SfActKind kind)
{
  return (kind == SF_ACT_RELU || kind == SF_ACT_NONE) && __builtin_cpu_supports ("avx512f")
         && __builtin_cpu_supports ("avx512bw") && __builtin_cpu_supports ("avx512vl");
}

/* The floats of p where mask is set, zero elsewhere; a plain load when all
 * are set, which measured faster than a masked one. */
AVX512_TARGET static inline __m512
masked_load (__mmask16 mask, const float *p)
{
  return mask == 0xffff ? _mm512_loadu_ps (p) : _mm512_maskz_loadu_ps (mask, p);
}

/* Stores the floats of v where mask is set, as masked_load. */
AVX512_TARGET static inline void
masked_store (float *p, __mmask16 mask, __m512 v)
{
  if (mask == 0xffff)
    _mm512_storeu_ps (p, v);
  else
    _mm512_mask_storeu_ps (p, mask, v);
}

/* The 2·n floats of r (n ≤ 16 windows) split into even and odd columns. */
AVX512_TARGET static inline void
pool2_load_columns (const float *r, int n, __m512 *even, __m512 *odd)
{
  const __m512i iota = _mm512_set_epi32 (15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i idx_even = _mm512_add_epi32 (iota, iota);
  const __m512i idx_odd = _mm512_add_epi32 (idx_even, _mm512_set1_epi32 (1));
  __mmask16 lo_mask = n >= 8 ? 0xffff : (__mmask16) ((1u << (2 * n)) - 1);
  __mmask16 hi_mask = n > 8 ? (__mmask16) ((1u << (2 * (n - 8))) - 1) : 0;
  __m512 lo = masked_load (lo_mask, r), hi = masked_load (hi_mask, r + 16);
  *even = _mm512_permutex2var_ps (lo, idx_even, hi);
  *odd = _mm512_permutex2var_ps (lo, idx_odd, hi);
}

/* Stores the 2·n floats a0 + a1·r + (even, odd columns interleaved) to dst. */
AVX512_TARGET static inline void
pool2_store_columns (float *dst, const float *r, int n, __m512 a0, __m512 a1, __m512 even, __m512 odd)
{
  const __m512i idx_lo = _mm512_set_epi32 (23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i idx_hi = _mm512_add_epi32 (idx_lo, _mm512_set1_epi32 (8));
  __mmask16 lo_mask = n >= 8 ? 0xffff : (__mmask16) ((1u << (2 * n)) - 1);
  __mmask16 hi_mask = n > 8 ? (__mmask16) ((1u << (2 * (n - 8))) - 1) : 0;
  __m512 lo = _mm512_fmadd_ps (a1, masked_load (lo_mask, r), a0);
  __m512 hi = _mm512_fmadd_ps (a1, masked_load (hi_mask, r + 16), a0);
  lo = _mm512_add_ps (lo, _mm512_permutex2var_ps (even, idx_lo, odd));
  hi = _mm512_add_ps (hi, _mm512_permutex2var_ps (even, idx_hi, odd));
  masked_store (dst, lo_mask, lo);
  masked_store (dst + 16, hi_mask, hi);
}

/* g = dout · act'(out) and the argmax of windows ox .. ox + n - 1 (0 beyond n). */
AVX512_TARGET static inline __m512
pool2_load_gradient (const float *dout, const float *out, const guint8 *argmax, int n, SfActKind kind,
                     __m512i *k)
{
  __mmask16 mask = (__mmask16) ((1u << n) - 1);
  *k = _mm512_cvtepu8_epi32 (_mm_maskz_loadu_epi8 (mask, argmax));
  __m512 d = masked_load (mask, dout);
  if (kind != SF_ACT_RELU)
    return d;
  __mmask16 positive = _mm512_cmp_ps_mask (masked_load (mask, out), _mm512_setzero_ps (), _CMP_GT_OQ);
  return _mm512_maskz_mov_ps (positive, d);
}

/* x at the maxima k (2·row + column) of windows 0 .. n - 1 whose rows start at r0 and r1. */
AVX512_TARGET static inline __m512
pool2_value_at_max (const float *r0, const float *r1, int n, __m512i k)
{
  const __m512i one = _mm512_set1_epi32 (1), two = _mm512_set1_epi32 (2);
  __m512 e0, o0, e1, o1;
  pool2_load_columns (r0, n, &e0, &o0);
  pool2_load_columns (r1, n, &e1, &o1);
  __mmask16 col = _mm512_test_epi32_mask (k, one), row = _mm512_test_epi32_mask (k, two);
  __m512 top = _mm512_mask_blend_ps (col, e0, o0), bottom = _mm512_mask_blend_ps (col, e1, o1);
  return _mm512_mask_blend_ps (row, top, bottom);
}

/* *sum_g += the lanes of acc_g, *sum_gx += those of acc_gx, lane by lane in
 * order (not a reduction tree), so the sums round as the scalar path does. */
AVX512_TARGET static inline void
add_lanes_in_order (__m512 acc_g, __m512 acc_gx, double *sum_g, double *sum_gx)
{
  float lanes_g[16], lanes_gx[16];
  _mm512_storeu_ps (lanes_g, acc_g);
  _mm512_storeu_ps (lanes_gx, acc_gx);
  for (int j = 0; j < 16; j++)
    {
      *sum_g += lanes_g[j];
      *sum_gx += lanes_gx[j];
    }
}

/* batchnorm_pool2_sums of batchnorm.c for any plane, 16 windows of a row per step. */
AVX512_TARGET static void
batchnorm_pool2_row_sums (const float *dout, const float *out, const guint8 *argmax, const float *x, int Ho,
                             int Wo, int W, float mu, SfActKind kind, double *sum_g, double *sum_gx)
{
  __m512 acc_g = _mm512_setzero_ps (), acc_gx = _mm512_setzero_ps (), vmu = _mm512_set1_ps (mu);
  for (int oy = 0; oy < Ho; oy++)
    {
      const float *r0 = x + (gsize) 2 * oy * W, *r1 = r0 + W;
      gsize o = (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 16)
        {
          int n = MIN (16, Wo - ox);
          __m512i k;
          __m512 g = pool2_load_gradient (dout + o + ox, out + o + ox, argmax + o + ox, n, kind, &k);
          __m512 xv = pool2_value_at_max (r0 + 2 * ox, r1 + 2 * ox, n, k);
          acc_g = _mm512_add_ps (acc_g, g);
          acc_gx = _mm512_fmadd_ps (g, _mm512_sub_ps (xv, vmu), acc_gx);
        }
    }
  add_lanes_in_order (acc_g, acc_gx, sum_g, sum_gx);
}

/* batchnorm_pool2_input_plane of batchnorm.c for any plane, 16 windows of a row per step. */
AVX512_TARGET static void
batchnorm_pool2_row_input_plane (float *dx, const float *x, const float *dout, const float *out,
                                 const guint8 *argmax, int Ho, int Wo, int W, float mu, float is, float k, float m,
                                 float sum_g, float sum_gx, SfActKind kind)
{
  float a0 = -k * (sum_g - mu * is * sum_gx), a1 = -k * is * sum_gx;
  __m512 va0 = _mm512_set1_ps (a0), va1 = _mm512_set1_ps (a1), vkm = _mm512_set1_ps (k * m);
  const __m512i one = _mm512_set1_epi32 (1), two = _mm512_set1_epi32 (2);
  for (int oy = 0; oy < Ho; oy++)
    {
      const float *x0 = x + (gsize) 2 * oy * W, *x1 = x0 + W;
      float *d0 = dx + (gsize) 2 * oy * W, *d1 = d0 + W;
      gsize o = (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 16)
        {
          int n = MIN (16, Wo - ox);
          __m512i kk;
          __m512 v = _mm512_mul_ps (vkm, pool2_load_gradient (dout + o + ox, out + o + ox, argmax + o + ox, n,
                                                                 kind, &kk));
          __mmask16 col = _mm512_test_epi32_mask (kk, one), row = _mm512_test_epi32_mask (kk, two);
          pool2_store_columns (d0 + 2 * ox, x0 + 2 * ox, n, va0, va1, _mm512_maskz_mov_ps (~col & ~row, v),
                               _mm512_maskz_mov_ps (col & ~row, v));
          pool2_store_columns (d1 + 2 * ox, x1 + 2 * ox, n, va0, va1, _mm512_maskz_mov_ps (~col & row, v),
                               _mm512_maskz_mov_ps (col & row, v));
        }
      /* An odd last column belongs to no window. */
      for (int s = 2 * Wo; s < W; s++)
        {
          d0[s] = a0 + a1 * x0[s];
          d1[s] = a0 + a1 * x1[s];
        }
    }
}

/* Planes whose 2×2 windows come 16 at a time from 64 consecutive floats of x
 * (W = 2·Wo with Wo dividing 16: every pooled plane of up to 16×16): the
 * windows of several rows share one vector step. Lane e of input vector z
 * (position q = 16·z + e of the block) belongs to window lane[z][e] at
 * place[z][e] = 2·row + column within the window. */
typedef struct {
  __m512i lane[4], place[4];
  __m512i pick[4];        /* for window lane l: position of place p, modulo 32 */
  __mmask16 pick_hi[4];   /* lanes whose position is in the second half (or beyond) */
} Pool2Block;

static gboolean
pool2_block_fits (int Ho, int Wo, int W)
{
  return W == 2 * Wo && Wo <= 16 && 16 % Wo == 0 && Ho > 0;
}

AVX512_TARGET static void
pool2_block_init (Pool2Block *b, int W, int Wo)
{
  /* W and Wo are powers of two here: shifts and masks, cheap once per plane. */
  const __m512i iota = _mm512_set_epi32 (15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i one = _mm512_set1_epi32 (1);
  __m512i w_shift = _mm512_set1_epi32 (__builtin_ctz (W)), wo_shift = _mm512_set1_epi32 (__builtin_ctz (Wo));
  __m512i w_mask = _mm512_set1_epi32 (W - 1), wo_mask = _mm512_set1_epi32 (Wo - 1);
  for (int z = 0; z < 4; z++)
    {
      __m512i q = _mm512_add_epi32 (iota, _mm512_set1_epi32 (16 * z));
      __m512i r = _mm512_srlv_epi32 (q, w_shift), c = _mm512_and_si512 (q, w_mask);
      b->lane[z] = _mm512_add_epi32 (_mm512_sllv_epi32 (_mm512_srli_epi32 (r, 1), wo_shift), _mm512_srli_epi32 (c, 1));
      b->place[z] = _mm512_add_epi32 (_mm512_slli_epi32 (_mm512_and_si512 (r, one), 1), _mm512_and_si512 (c, one));
    }
  __m512i row = _mm512_slli_epi32 (_mm512_srlv_epi32 (iota, wo_shift), 1);
  __m512i col = _mm512_slli_epi32 (_mm512_and_si512 (iota, wo_mask), 1);
  for (int p = 0; p < 4; p++)
    {
      __m512i q = _mm512_add_epi32 (_mm512_sllv_epi32 (_mm512_add_epi32 (row, _mm512_set1_epi32 (p / 2)), w_shift),
                                    _mm512_add_epi32 (col, _mm512_set1_epi32 (p % 2)));
      b->pick[p] = _mm512_and_si512 (q, _mm512_set1_epi32 (31));
      b->pick_hi[p] = _mm512_cmpge_epi32_mask (q, _mm512_set1_epi32 (32));
    }
}

/* The tables for planes W wide (pool2_block_fits), built once per thread and
 * width: planes come one at a time, mostly of one width. */
AVX512_TARGET static const Pool2Block *
pool2_block_for (int W)
{
  static __thread Pool2Block blk;
  static __thread int blk_w;
  if (blk_w != W)
    {
      pool2_block_init (&blk, W, W / 2);
      blk_w = W;
    }
  return &blk;
}

/* The mask of the first n of 16 lanes. */
AVX512_TARGET static inline __mmask16
first_lanes (int n)
{
  return n >= 16 ? 0xffff : n <= 0 ? 0 : (__mmask16) ((1u << n) - 1);
}

AVX512_TARGET static void
batchnorm_pool2_block_sums (const Pool2Block *b, const float *dout, const float *out, const guint8 *argmax,
                            const float *x, int So, float mu, SfActKind kind, double *sum_g, double *sum_gx)
{
  __m512 acc_g = _mm512_setzero_ps (), acc_gx = _mm512_setzero_ps (), vmu = _mm512_set1_ps (mu);
  for (int j = 0; j < So; j += 16)
    {
      int n = MIN (16, So - j);
      __m512i k;
      __m512 g = pool2_load_gradient (dout + j, out + j, argmax + j, n, kind, &k);
      acc_g = _mm512_add_ps (acc_g, g);
      const float *xb = x + (gsize) 4 * j;
      for (int z = 0; z < 4; z++)
        {
          __mmask16 at_max = _mm512_cmpeq_epi32_mask (_mm512_permutexvar_epi32 (b->lane[z], k), b->place[z]);
          __m512 gq = _mm512_maskz_permutexvar_ps (at_max, b->lane[z], g);
          __m512 xq = masked_load (first_lanes (4 * n - 16 * z), xb + 16 * z);
          acc_gx = _mm512_fmadd_ps (gq, _mm512_sub_ps (xq, vmu), acc_gx);
        }
    }
  add_lanes_in_order (acc_g, acc_gx, sum_g, sum_gx);
}

AVX512_TARGET static void
batchnorm_pool2_block_input_plane (const Pool2Block *b, float *dx, const float *x, const float *dout,
                                   const float *out, const guint8 *argmax, int So, float mu, float is, float k,
                                   float m, float sum_g, float sum_gx, SfActKind kind)
{
  __m512 va0 = _mm512_set1_ps (-k * (sum_g - mu * is * sum_gx)), va1 = _mm512_set1_ps (-k * is * sum_gx);
  __m512 vkm = _mm512_set1_ps (k * m);
  for (int j = 0; j < So; j += 16)
    {
      int n = MIN (16, So - j);
      __m512i kk;
      __m512 v = _mm512_mul_ps (vkm, pool2_load_gradient (dout + j, out + j, argmax + j, n, kind, &kk));
      for (int z = 0; z < 4; z++)
        {
          __mmask16 live = first_lanes (4 * n - 16 * z);
          __mmask16 at_max = _mm512_cmpeq_epi32_mask (_mm512_permutexvar_epi32 (b->lane[z], kk), b->place[z]);
          __m512 xq = masked_load (live, x + (gsize) 4 * j + 16 * z);
          __m512 dq = _mm512_add_ps (_mm512_fmadd_ps (va1, xq, va0),
                                     _mm512_maskz_permutexvar_ps (at_max, b->lane[z], v));
          masked_store (dx + (gsize) 4 * j + 16 * z, live, dq);
        }
    }
}

/* m = act(max of a, b, c, d) after ·scale + shift, k its place, as pool2_row
 * computes them (the same operations, so the same results). */
AVX512_TARGET static inline void
pool2_window_max (__m512 a, __m512 b, __m512 c, __m512 d, float scale, float shift, SfActKind kind, __m512 *max,
                  __m512i *place)
{
  __m512 vscale = _mm512_set1_ps (scale), vshift = _mm512_set1_ps (shift);
  a = _mm512_add_ps (_mm512_mul_ps (a, vscale), vshift);
  b = _mm512_add_ps (_mm512_mul_ps (b, vscale), vshift);
  c = _mm512_add_ps (_mm512_mul_ps (c, vscale), vshift);
  d = _mm512_add_ps (_mm512_mul_ps (d, vscale), vshift);
  __mmask16 s01 = _mm512_cmp_ps_mask (b, a, _CMP_GT_OQ), s23 = _mm512_cmp_ps_mask (d, c, _CMP_GT_OQ);
  __m512 m01 = _mm512_mask_blend_ps (s01, a, b), m23 = _mm512_mask_blend_ps (s23, c, d);
  __mmask16 s = _mm512_cmp_ps_mask (m23, m01, _CMP_GT_OQ);
  __m512 m = _mm512_mask_blend_ps (s, m01, m23);
  const __m512i one = _mm512_set1_epi32 (1), two = _mm512_set1_epi32 (2);
  *place = _mm512_mask_blend_epi32 (s, _mm512_maskz_mov_epi32 (s01, one), _mm512_mask_add_epi32 (two, s23, two, one));
  if (kind == SF_ACT_RELU)
    m = _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (m, _mm512_setzero_ps (), _CMP_GT_OQ), m);
  *max = m;
}

/* pool2_row for one row of Wo windows, 16 per step. */
AVX512_TARGET static void
pool2_row_avx512 (float *dst, guint8 *arg, const float *r0, const float *r1, int Wo, float scale, float shift,
                  SfActKind kind)
{
  for (int ox = 0; ox < Wo; ox += 16)
    {
      int n = MIN (16, Wo - ox);
      __m512 a, b, c, d, m;
      __m512i k;
      pool2_load_columns (r0 + 2 * ox, n, &a, &b);
      pool2_load_columns (r1 + 2 * ox, n, &c, &d);
      pool2_window_max (a, b, c, d, scale, shift, kind, &m, &k);
      masked_store (dst + ox, first_lanes (n), m);
      _mm_mask_storeu_epi8 (arg + ox, first_lanes (n), _mm512_cvtepi32_epi8 (k));
    }
}

/* pool2_row for a whole plane that pool2_block_fits, 16 windows per step. */
AVX512_TARGET static void
pool2_plane_block (const Pool2Block *blk, float *dst, guint8 *arg, const float *x, int So, float scale, float shift,
                   SfActKind kind)
{
  for (int j = 0; j < So; j += 16)
    {
      int n = MIN (16, So - j);
      __m512 in[4], v[4], m;
      __m512i k;
      for (int z = 0; z < 4; z++)
        in[z] = masked_load (first_lanes (4 * n - 16 * z), x + (gsize) 4 * j + 16 * z);
      for (int p = 0; p < 4; p++)
        v[p] = _mm512_mask_blend_ps (blk->pick_hi[p], _mm512_permutex2var_ps (in[0], blk->pick[p], in[1]),
                                     _mm512_permutex2var_ps (in[2], blk->pick[p], in[3]));
      pool2_window_max (v[0], v[1], v[2], v[3], scale, shift, kind, &m, &k);
      masked_store (dst + j, first_lanes (n), m);
      _mm_mask_storeu_epi8 (arg + j, first_lanes (n), _mm512_cvtepi32_epi8 (k));
    }
}

AVX512_TARGET void
sf_pool2_plane_avx512 (float *dst, guint8 *arg, const float *plane, int H, int W, float scale, float shift,
                       SfActKind kind)
{
  int Ho = H / 2, Wo = W / 2;
  if (pool2_block_fits (Ho, Wo, W))
    {
      pool2_plane_block (pool2_block_for (W), dst, arg, plane, Ho * Wo, scale, shift, kind);
      return;
    }
  for (int oy = 0; oy < Ho; oy++)
    pool2_row_avx512 (dst + oy * Wo, arg + oy * Wo, plane + (gsize) 2 * oy * W, plane + (gsize) (2 * oy + 1) * W,
                      Wo, scale, shift, kind);
}

AVX512_TARGET void
sf_batchnorm_pool2_sums_avx512 (const float *dout, const float *out, const guint8 *argmax, const float *x, int Ho,
                                int Wo, int W, float mu, SfAct act, double *sum_g, double *sum_gx)
{
  if (pool2_block_fits (Ho, Wo, W))
    batchnorm_pool2_block_sums (pool2_block_for (W), dout, out, argmax, x, Ho * Wo, mu, act.kind, sum_g, sum_gx);
  else
    batchnorm_pool2_row_sums (dout, out, argmax, x, Ho, Wo, W, mu, act.kind, sum_g, sum_gx);
}

AVX512_TARGET void
sf_batchnorm_pool2_input_plane_avx512 (float *dx, const float *x, const float *dout, const float *out,
                                       const guint8 *argmax, int Ho, int Wo, int W, float mu, float is, float k,
                                       float m, float sum_g, float sum_gx, SfAct act)
{
  if (pool2_block_fits (Ho, Wo, W))
    batchnorm_pool2_block_input_plane (pool2_block_for (W), dx, x, dout, out, argmax, Ho * Wo, mu, is, k, m, sum_g,
                                       sum_gx, act.kind);
  else
    batchnorm_pool2_row_input_plane (dx, x, dout, out, argmax, Ho, Wo, W, mu, is, k, m, sum_g, sum_gx, act.kind);
}

/* at[oy, ox] = x at the argmax of window (oy, ox), 16 windows a step. */
AVX512_TARGET void
sf_pool2_values_at_avx512 (float *at, const float *x, const guint8 *argmax, int Ho, int Wo, int W)
{
  for (int oy = 0; oy < Ho; oy++)
    {
      const float *r0 = x + (gsize) 2 * oy * W, *r1 = r0 + W;
      gsize o = (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 16)
        {
          int n = MIN (16, Wo - ox);
          __mmask16 mask = (__mmask16) ((1u << n) - 1);
          __m512i k = _mm512_cvtepu8_epi32 (_mm_maskz_loadu_epi8 (mask, argmax + o + ox));
          masked_store (at + o + ox, mask, pool2_value_at_max (r0 + 2 * ox, r1 + 2 * ox, n, k));
        }
    }
}

/* Rows 2·oy and 2·oy + 1 of full: g at each window's argmax, 0 elsewhere. */
AVX512_TARGET void
sf_pool2_gradient_plane_avx512 (float *full, const float *dout, const float *out, const guint8 *argmax, int Ho,
                                int Wo, int W, SfActKind kind)
{
  const __m512i one = _mm512_set1_epi32 (1), two = _mm512_set1_epi32 (2);
  const __m512i idx_lo = _mm512_set_epi32 (23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i idx_hi = _mm512_add_epi32 (idx_lo, _mm512_set1_epi32 (8));
  for (int oy = 0; oy < Ho; oy++)
    {
      float *d0 = full + (gsize) 2 * oy * W, *d1 = d0 + W;
      gsize o = (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 16)
        {
          int n = MIN (16, Wo - ox);
          __mmask16 lo_mask = n >= 8 ? 0xffff : (__mmask16) ((1u << (2 * n)) - 1);
          __mmask16 hi_mask = n > 8 ? (__mmask16) ((1u << (2 * (n - 8))) - 1) : 0;
          __m512i k;
          __m512 g = pool2_load_gradient (dout + o + ox, out + o + ox, argmax + o + ox, n, kind, &k);
          __mmask16 col = _mm512_test_epi32_mask (k, one), row = _mm512_test_epi32_mask (k, two);
          __m512 e0 = _mm512_maskz_mov_ps (~col & ~row, g), o0 = _mm512_maskz_mov_ps (col & ~row, g);
          __m512 e1 = _mm512_maskz_mov_ps (~col & row, g), o1 = _mm512_maskz_mov_ps (col & row, g);
          masked_store (d0 + 2 * ox, lo_mask, _mm512_permutex2var_ps (e0, idx_lo, o0));
          masked_store (d0 + 2 * ox + 16, hi_mask, _mm512_permutex2var_ps (e0, idx_hi, o0));
          masked_store (d1 + 2 * ox, lo_mask, _mm512_permutex2var_ps (e1, idx_lo, o1));
          masked_store (d1 + 2 * ox + 16, hi_mask, _mm512_permutex2var_ps (e1, idx_hi, o1));
        }
      for (int s = 2 * Wo; s < W; s++)
        d0[s] = d1[s] = 0;
    }
}

#endif /* SF_POOL2_AVX512 */
