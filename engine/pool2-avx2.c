/* The AVX2 kernels of 2×2 max-pooling (ReLU or no activation) for the
 * pooling and batch norm passes; see pool2-avx2.h. */
#include "pool2-avx2.h"

#if SF_POOL2_AVX2

#include <immintrin.h>
#include <string.h>

#define AVX2_TARGET __attribute__ ((optimize ("O3"), target ("avx2,fma")))

gboolean
sf_pool2_avx2_usable (SfActKind kind)
{
  return (kind == SF_ACT_RELU || kind == SF_ACT_NONE) && __builtin_cpu_supports ("avx2")
         && __builtin_cpu_supports ("fma");
}

/* All bits set in the first n of 8 lanes. */
AVX2_TARGET static inline __m256i
first_lanes (int n)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 (n), _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

/* The first n floats of p (n may be ≤ 0 or ≥ 8), zero beyond; a plain load
 * when all 8 are wanted. A masked load reads nothing past the mask. */
AVX2_TARGET static inline __m256
load_first (const float *p, int n)
{
  return n >= 8 ? _mm256_loadu_ps (p) : _mm256_maskload_ps (p, first_lanes (n));
}

AVX2_TARGET static inline void
store_first (float *p, int n, __m256 v)
{
  if (n >= 8)
    _mm256_storeu_ps (p, v);
  else if (n > 0)
    _mm256_maskstore_ps (p, first_lanes (n), v);
}

/* The argmax bytes of windows 0 .. n - 1 (n ≤ 8) as 32-bit lanes, 0 beyond. */
AVX2_TARGET static inline __m256i
load_argmax (const guint8 *argmax, int n)
{
  guint8 bytes[8] = { 0 };
  memcpy (bytes, argmax, n);
  return _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) bytes));
}

AVX2_TARGET static inline void
store_argmax (guint8 *argmax, int n, __m256i k)
{
  __m128i words = _mm_packus_epi32 (_mm256_castsi256_si128 (k), _mm256_extracti128_si256 (k, 1));
  guint8 bytes[16];
  _mm_storeu_si128 ((__m128i *) bytes, _mm_packus_epi16 (words, words));
  memcpy (argmax, bytes, n);
}

/* The 2·n floats of r (n ≤ 8 windows) split into even and odd columns. */
AVX2_TARGET static inline void
load_columns (const float *r, int n, __m256 *even, __m256 *odd)
{
  __m256 lo = load_first (r, 2 * n), hi = load_first (r + 8, 2 * n - 8);
  /* Per 128-bit half: [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6]; then the middle
   * quarters swap places. */
  __m256 e = _mm256_shuffle_ps (lo, hi, _MM_SHUFFLE (2, 0, 2, 0));
  __m256 o = _mm256_shuffle_ps (lo, hi, _MM_SHUFFLE (3, 1, 3, 1));
  *even = _mm256_castpd_ps (_mm256_permute4x64_pd (_mm256_castps_pd (e), _MM_SHUFFLE (3, 1, 2, 0)));
  *odd = _mm256_castpd_ps (_mm256_permute4x64_pd (_mm256_castps_pd (o), _MM_SHUFFLE (3, 1, 2, 0)));
}

/* even and odd columns interleaved: columns 0-7 in *lo, 8-15 in *hi. */
AVX2_TARGET static inline void
interleave_columns (__m256 even, __m256 odd, __m256 *lo, __m256 *hi)
{
  __m256 l = _mm256_unpacklo_ps (even, odd), h = _mm256_unpackhi_ps (even, odd);
  *lo = _mm256_permute2f128_ps (l, h, 0x20);
  *hi = _mm256_permute2f128_ps (l, h, 0x31);
}

/* Lanes whose place k (2·row + column in the window) has bit `bit` set. */
AVX2_TARGET static inline __m256
place_has (__m256i k, int bit)
{
  __m256i b = _mm256_set1_epi32 (bit);
  return _mm256_castsi256_ps (_mm256_cmpeq_epi32 (_mm256_and_si256 (k, b), b));
}

/* g = dout · act'(out) and the argmax of windows 0 .. n - 1 (0 beyond n). */
AVX2_TARGET static inline __m256
load_gradient (const float *dout, const float *out, const guint8 *argmax, int n, SfActKind kind, __m256i *k)
{
  *k = load_argmax (argmax, n);
  __m256 d = load_first (dout, n);
  if (kind != SF_ACT_RELU)
    return d;
  return _mm256_and_ps (d, _mm256_cmp_ps (load_first (out, n), _mm256_setzero_ps (), _CMP_GT_OQ));
}

/* x at the maxima k of windows 0 .. n - 1 whose rows start at r0 and r1. */
AVX2_TARGET static inline __m256
value_at_max (const float *r0, const float *r1, int n, __m256i k)
{
  __m256 e0, o0, e1, o1;
  load_columns (r0, n, &e0, &o0);
  load_columns (r1, n, &e1, &o1);
  __m256 col = place_has (k, 1);
  __m256 top = _mm256_blendv_ps (e0, o0, col), bottom = _mm256_blendv_ps (e1, o1, col);
  return _mm256_blendv_ps (top, bottom, place_has (k, 2));
}

/* *sum_g += the lanes of acc_g, *sum_gx += those of acc_gx, lane by lane in order. */
AVX2_TARGET static inline void
add_lanes_in_order (__m256 acc_g, __m256 acc_gx, double *sum_g, double *sum_gx)
{
  float lanes_g[8], lanes_gx[8];
  _mm256_storeu_ps (lanes_g, acc_g);
  _mm256_storeu_ps (lanes_gx, acc_gx);
  for (int j = 0; j < 8; j++)
    {
      *sum_g += lanes_g[j];
      *sum_gx += lanes_gx[j];
    }
}

/* m = act(max of a, b, c, d) after ·scale + shift, k its place, with the
 * operations of pool2_row (layers-private.h): the same results. */
AVX2_TARGET static inline void
window_max (__m256 a, __m256 b, __m256 c, __m256 d, float scale, float shift, SfActKind kind, __m256 *max,
            __m256i *place)
{
  __m256 vscale = _mm256_set1_ps (scale), vshift = _mm256_set1_ps (shift);
  a = _mm256_add_ps (_mm256_mul_ps (a, vscale), vshift);
  b = _mm256_add_ps (_mm256_mul_ps (b, vscale), vshift);
  c = _mm256_add_ps (_mm256_mul_ps (c, vscale), vshift);
  d = _mm256_add_ps (_mm256_mul_ps (d, vscale), vshift);
  __m256 s01 = _mm256_cmp_ps (b, a, _CMP_GT_OQ), s23 = _mm256_cmp_ps (d, c, _CMP_GT_OQ);
  __m256 m01 = _mm256_blendv_ps (a, b, s01), m23 = _mm256_blendv_ps (c, d, s23);
  __m256 s = _mm256_cmp_ps (m23, m01, _CMP_GT_OQ);
  __m256 m = _mm256_blendv_ps (m01, m23, s);
  const __m256i one = _mm256_set1_epi32 (1), two = _mm256_set1_epi32 (2);
  __m256i k01 = _mm256_and_si256 (_mm256_castps_si256 (s01), one);
  __m256i k23 = _mm256_add_epi32 (two, _mm256_and_si256 (_mm256_castps_si256 (s23), one));
  *place = _mm256_castps_si256 (_mm256_blendv_ps (_mm256_castsi256_ps (k01), _mm256_castsi256_ps (k23), s));
  if (kind == SF_ACT_RELU)
    m = _mm256_and_ps (m, _mm256_cmp_ps (m, _mm256_setzero_ps (), _CMP_GT_OQ));
  *max = m;
}

AVX2_TARGET void
sf_pool2_plane_avx2 (float *dst, guint8 *arg, const float *plane, int H, int W, float scale, float shift,
                     SfActKind kind)
{
  int Ho = H / 2, Wo = W / 2;
  for (int oy = 0; oy < Ho; oy++)
    {
      const float *r0 = plane + (gsize) 2 * oy * W, *r1 = r0 + W;
      float *d = dst + (gsize) oy * Wo;
      guint8 *a = arg + (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 8)
        {
          int n = MIN (8, Wo - ox);
          __m256 e0, o0, e1, o1, m;
          __m256i k;
          load_columns (r0 + 2 * ox, n, &e0, &o0);
          load_columns (r1 + 2 * ox, n, &e1, &o1);
          window_max (e0, o0, e1, o1, scale, shift, kind, &m, &k);
          store_first (d + ox, n, m);
          store_argmax (a + ox, n, k);
        }
    }
}

/* at[oy, ox] = x at the argmax of window (oy, ox), 8 windows a step. */
AVX2_TARGET void
sf_pool2_values_at_avx2 (float *at, const float *x, const guint8 *argmax, int Ho, int Wo, int W)
{
  for (int oy = 0; oy < Ho; oy++)
    {
      const float *r0 = x + (gsize) 2 * oy * W, *r1 = r0 + W;
      gsize o = (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 8)
        {
          int n = MIN (8, Wo - ox);
          __m256i k = load_argmax (argmax + o + ox, n);
          store_first (at + o + ox, n, value_at_max (r0 + 2 * ox, r1 + 2 * ox, n, k));
        }
    }
}

/* Rows 2·oy and 2·oy + 1 of full: g at each window's argmax, 0 elsewhere. */
AVX2_TARGET void
sf_pool2_gradient_plane_avx2 (float *full, const float *dout, const float *out, const guint8 *argmax, int Ho,
                              int Wo, int W, SfActKind kind)
{
  for (int oy = 0; oy < Ho; oy++)
    {
      float *d0 = full + (gsize) 2 * oy * W, *d1 = d0 + W;
      gsize o = (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 8)
        {
          int n = MIN (8, Wo - ox);
          __m256i k;
          __m256 g = load_gradient (dout + o + ox, out + o + ox, argmax + o + ox, n, kind, &k);
          __m256 col = place_has (k, 1), row = place_has (k, 2);
          __m256 top = _mm256_andnot_ps (row, g), bottom = _mm256_and_ps (row, g);
          __m256 lo, hi;
          interleave_columns (_mm256_andnot_ps (col, top), _mm256_and_ps (col, top), &lo, &hi);
          store_first (d0 + 2 * ox, 2 * n, lo);
          store_first (d0 + 2 * ox + 8, 2 * n - 8, hi);
          interleave_columns (_mm256_andnot_ps (col, bottom), _mm256_and_ps (col, bottom), &lo, &hi);
          store_first (d1 + 2 * ox, 2 * n, lo);
          store_first (d1 + 2 * ox + 8, 2 * n - 8, hi);
        }
      for (int s = 2 * Wo; s < W; s++)
        d0[s] = d1[s] = 0;
    }
}

AVX2_TARGET void
sf_batchnorm_pool2_sums_avx2 (const float *dout, const float *out, const guint8 *argmax, const float *x, int Ho,
                              int Wo, int W, float mu, SfAct act, double *sum_g, double *sum_gx)
{
  __m256 acc_g = _mm256_setzero_ps (), acc_gx = _mm256_setzero_ps (), vmu = _mm256_set1_ps (mu);
  for (int oy = 0; oy < Ho; oy++)
    {
      const float *r0 = x + (gsize) 2 * oy * W, *r1 = r0 + W;
      gsize o = (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 8)
        {
          int n = MIN (8, Wo - ox);
          __m256i k;
          __m256 g = load_gradient (dout + o + ox, out + o + ox, argmax + o + ox, n, act.kind, &k);
          __m256 xv = value_at_max (r0 + 2 * ox, r1 + 2 * ox, n, k);
          acc_g = _mm256_add_ps (acc_g, g);
          acc_gx = _mm256_fmadd_ps (g, _mm256_sub_ps (xv, vmu), acc_gx);
        }
    }
  add_lanes_in_order (acc_g, acc_gx, sum_g, sum_gx);
}

/* dx[2·Ho, W] = a0 + a1·x, plus k·m·g at the window maxima. */
AVX2_TARGET void
sf_batchnorm_pool2_input_plane_avx2 (float *dx, const float *x, const float *dout, const float *out,
                                     const guint8 *argmax, int Ho, int Wo, int W, float mu, float is, float k,
                                     float m, float sum_g, float sum_gx, SfAct act)
{
  float a0 = -k * (sum_g - mu * is * sum_gx), a1 = -k * is * sum_gx;
  __m256 va0 = _mm256_set1_ps (a0), va1 = _mm256_set1_ps (a1), vkm = _mm256_set1_ps (k * m);
  for (int oy = 0; oy < Ho; oy++)
    {
      const float *x0 = x + (gsize) 2 * oy * W, *x1 = x0 + W;
      float *d0 = dx + (gsize) 2 * oy * W, *d1 = d0 + W;
      gsize o = (gsize) oy * Wo;
      for (int ox = 0; ox < Wo; ox += 8)
        {
          int n = MIN (8, Wo - ox);
          __m256i kk;
          __m256 v = _mm256_mul_ps (vkm, load_gradient (dout + o + ox, out + o + ox, argmax + o + ox, n, act.kind,
                                                        &kk));
          __m256 col = place_has (kk, 1), row = place_has (kk, 2);
          __m256 top = _mm256_andnot_ps (row, v), bottom = _mm256_and_ps (row, v);
          const float *xs[2] = { x0 + 2 * ox, x1 + 2 * ox };
          float *ds[2] = { d0 + 2 * ox, d1 + 2 * ox };
          __m256 halves[2] = { top, bottom };
          for (int r = 0; r < 2; r++)
            {
              __m256 lo, hi;
              interleave_columns (_mm256_andnot_ps (col, halves[r]), _mm256_and_ps (col, halves[r]), &lo, &hi);
              lo = _mm256_add_ps (_mm256_fmadd_ps (va1, load_first (xs[r], 2 * n), va0), lo);
              hi = _mm256_add_ps (_mm256_fmadd_ps (va1, load_first (xs[r] + 8, 2 * n - 8), va0), hi);
              store_first (ds[r], 2 * n, lo);
              store_first (ds[r] + 8, 2 * n - 8, hi);
            }
        }
      /* An odd last column belongs to no window. */
      for (int s = 2 * Wo; s < W; s++)
        {
          d0[s] = a0 + a1 * x0[s];
          d1[s] = a0 + a1 * x1[s];
        }
    }
}

#endif /* SF_POOL2_AVX2 */
