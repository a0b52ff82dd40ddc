/* Activations, pooling, batch norm, dropout, dense, distance and heads; see layers.h. */
#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "rng.h"
#include "simd.h"

/* The loops below are written once with the activation as a parameter and
 * expanded for each kind (WITH_ACT), so that each copy is a plain loop the
 * compiler can vectorise. */
#define SF_INLINE static inline __attribute__ ((always_inline))

SF_INLINE float
act_apply (float x, SfActKind kind, float param)
{
  switch (kind)
    {
    case SF_ACT_RELU:
      return x > 0 ? x : 0.0f;
    case SF_ACT_LEAKY_RELU:
      return x > 0 ? x : param * x;
    case SF_ACT_ELU:
      return x > 0 ? x : param * expm1f (x);
    case SF_ACT_NONE:
    default:
      return x;
    }
}

/* act'(x) from y = act(x): every activation here is monotone with y > 0 ⇔ x > 0. */
SF_INLINE float
act_slope (float y, SfActKind kind, float param)
{
  switch (kind)
    {
    case SF_ACT_RELU:
      return y > 0 ? 1.0f : 0.0f;
    case SF_ACT_LEAKY_RELU:
      return y > 0 ? 1.0f : param;
    case SF_ACT_ELU:
      return y > 0 ? 1.0f : y + param;
    case SF_ACT_NONE:
    default:
      return 1.0f;
    }
}

/* Runs STATEMENT with the constant K_ set to kind. */
#define WITH_ACT(kind, STATEMENT)                 \
  G_STMT_START                                    \
  {                                               \
    switch (kind)                                 \
      {                                           \
      case SF_ACT_RELU:                           \
        {                                         \
          const SfActKind K_ = SF_ACT_RELU;       \
          STATEMENT;                              \
        }                                         \
        break;                                    \
      case SF_ACT_LEAKY_RELU:                     \
        {                                         \
          const SfActKind K_ = SF_ACT_LEAKY_RELU; \
          STATEMENT;                              \
        }                                         \
        break;                                    \
      case SF_ACT_ELU:                            \
        {                                         \
          const SfActKind K_ = SF_ACT_ELU;        \
          STATEMENT;                              \
        }                                         \
        break;                                    \
      case SF_ACT_NONE:                           \
      default:                                    \
        {                                         \
          const SfActKind K_ = SF_ACT_NONE;       \
          STATEMENT;                              \
        }                                         \
        break;                                    \
      }                                           \
  }                                               \
  G_STMT_END

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

/* Σ (x[i] - shift) and Σ (x[i] - shift)², as sum_floats, in one pass. GCC's
 * vector type keeps the 16 lanes one register (its vectoriser interleaves two
 * accumulator arrays instead). */
typedef float Float16 __attribute__ ((vector_size (64)));

SF_HOT void
sf_shifted_sums (const float *x, gsize n, float shift, double *sum, double *sum_sq)
{
  Float16 acc = { 0 }, acc_sq = { 0 };
  gsize i = 0;
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

/* out[i] = act(in[i] · scale + shift) */
SF_INLINE void
affine_act_row (float *restrict out, const float *restrict in, gsize n, float scale, float shift, SfActKind kind,
                float param)
{
  for (gsize i = 0; i < n; i++)
    out[i] = act_apply (in[i] * scale + shift, kind, param);
}

/* dx[i] = dout[i] · act'(x) where out[i] = act(x) */
SF_INLINE void
slope_row (float *restrict dx, const float *restrict dout, const float *restrict out, gsize n, SfActKind kind,
           float param)
{
  for (gsize i = 0; i < n; i++)
    dx[i] = dout[i] * act_slope (out[i], kind, param);
}

/* One row of 2×2 windows of v = x·scale + shift: rows r0 and r1 of x, Wo windows. */
SF_INLINE void
pool2_row (float *restrict dst, guint8 *restrict arg, const float *restrict r0, const float *restrict r1, int Wo,
           float scale, float shift, SfActKind kind, float param)
{
  for (int ox = 0; ox < Wo; ox++)
    {
      float a = r0[2 * ox] * scale + shift, b = r0[2 * ox + 1] * scale + shift;
      float c = r1[2 * ox] * scale + shift, d = r1[2 * ox + 1] * scale + shift;
      /* The first of equal values wins, as the window is read row by row. The
       * argmax is computed without branches: a scalar tail with branches on
       * random data costs ten times more (measured). */
      int s01 = b > a, s23 = d > c;
      float m01 = b > a ? b : a, m23 = d > c ? d : c;
      int s = m23 > m01;
      float m = m23 > m01 ? m23 : m01;
      int k = (s01 & ~(-s)) | ((2 + s23) & -s);
      dst[ox] = act_apply (m, kind, param);
      arg[ox] = (guint8) k;
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SF_NO_CLONES)
/* 2×2 windows with AVX-512, 16 windows of a row per step: GCC does not
 * vectorise the argmax selects of the plain loops above, which made this
 * pass the costliest of the compact preset. ReLU or no activation only. */
#define POOL2_AVX512 1
#define AVX512_TARGET __attribute__ ((optimize ("O3"), target ("avx512f,avx512bw,avx512vl")))

static gboolean
pool2_avx512_usable (SfActKind kind)
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

AVX512_TARGET static void
batchnorm_pool2_sums_avx512 (const float *dout, const float *out, const guint8 *argmax, const float *x, int Ho,
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

AVX512_TARGET static void
batchnorm_pool2_input_plane_avx512 (float *dx, const float *x, const float *dout, const float *out,
                                    const guint8 *argmax, int Ho, int Wo, int W, float mu, float is, float k,
                                    float m, float sum_g, float sum_gx, SfActKind kind)
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

/* 2×2 max-pooling of act(x·scale + shift) over one plane. */
AVX512_TARGET static void
pool2_plane_avx512 (float *dst, guint8 *arg, const float *plane, int H, int W, float scale, float shift,
                    SfActKind kind)
{
  int Ho = H / 2, Wo = W / 2;
  if (pool2_block_fits (Ho, Wo, W))
    {
      /* Planes come one at a time, mostly of one width: set up once per width. */
      static __thread Pool2Block blk;
      static __thread int blk_w;
      if (blk_w != W)
        {
          pool2_block_init (&blk, W, Wo);
          blk_w = W;
        }
      pool2_plane_block (&blk, dst, arg, plane, Ho * Wo, scale, shift, kind);
      return;
    }
  for (int oy = 0; oy < Ho; oy++)
    pool2_row_avx512 (dst + oy * Wo, arg + oy * Wo, plane + (gsize) 2 * oy * W, plane + (gsize) (2 * oy + 1) * W,
                      Wo, scale, shift, kind);
}

/* sf_batchnorm_pool_backward for 2×2 windows and an even H. */
AVX512_TARGET static void
batchnorm_pool2_backward_avx512 (float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                 const guint8 *argmax, const float *inp, const float *mean, const float *invstd,
                                 const float *gamma, int N, int C, int H, int W, SfActKind kind, int c0, int c1)
{
  int Ho = H / 2, Wo = W / 2;
  gsize S = (gsize) H * W, So = (gsize) Ho * Wo;
  double count = (double) N * S;
  Pool2Block block;
  gboolean by_block = pool2_block_fits (Ho, Wo, W);
  if (by_block)
    pool2_block_init (&block, W, Wo);
  for (int c = c0; c < c1; c++)
    {
      float mu = mean[c], is = invstd[c];
      double sum_g = 0, sum_gxm = 0;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * So;
          if (by_block)
            batchnorm_pool2_block_sums (&block, dout + o, out + o, argmax + o, inp + ((gsize) n * C + c) * S,
                                        (int) So, mu, kind, &sum_g, &sum_gxm);
          else
            batchnorm_pool2_sums_avx512 (dout + o, out + o, argmax + o, inp + ((gsize) n * C + c) * S, Ho, Wo, W,
                                         mu, kind, &sum_g, &sum_gxm);
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
          if (by_block)
            batchnorm_pool2_block_input_plane (&block, dinp + i, inp + i, dout + o, out + o, argmax + o, (int) So,
                                               mu, is, k, (float) count, (float) sum_g, (float) sum_gx, kind);
          else
            batchnorm_pool2_input_plane_avx512 (dinp + i, inp + i, dout + o, out + o, argmax + o, Ho, Wo, W, mu, is,
                                                k, (float) count, (float) sum_g, (float) sum_gx, kind);
        }
    }
}

/* at[oy, ox] = x at the argmax of window (oy, ox), 16 windows a step. */
AVX512_TARGET static void
pool2_values_at_avx512 (float *at, const float *x, const guint8 *argmax, int Ho, int Wo, int W)
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
AVX512_TARGET static void
pool2_gradient_plane_avx512 (float *full, const float *dout, const float *out, const guint8 *argmax, int Ho, int Wo,
                             int W, SfActKind kind)
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
#else
#define POOL2_AVX512 0
#endif

/* dst[Ho, Wo] = maxpool_P(act(plane·scale + shift)) with the argmax of every window. */
SF_INLINE void
pool_plane (float *dst, guint8 *arg, const float *plane, int H, int W, int P, float scale, float shift, SfAct act)
{
  int Ho = H / P, Wo = W / P;
  if (P == 2)
    {
#if POOL2_AVX512
      if (pool2_avx512_usable (act.kind))
        {
          pool2_plane_avx512 (dst, arg, plane, H, W, scale, shift, act.kind);
          return;
        }
#endif
      WITH_ACT (act.kind, for (int oy = 0; oy < Ho; oy++)
                            pool2_row (dst + oy * Wo, arg + oy * Wo, plane + (gsize) 2 * oy * W,
                                       plane + (gsize) (2 * oy + 1) * W, Wo, scale, shift, K_, act.param));
      return;
    }
  for (int oy = 0; oy < Ho; oy++)
    for (int ox = 0; ox < Wo; ox++)
      {
        float m = -INFINITY;
        int k = 0;
        for (int dy = 0; dy < P; dy++)
          for (int dx = 0; dx < P; dx++)
            {
              float v = plane[(gsize) (oy * P + dy) * W + ox * P + dx] * scale + shift;
              if (v > m || (dy == 0 && dx == 0))
                {
                  m = v;
                  k = dy * P + dx;
                }
            }
        dst[oy * Wo + ox] = act_apply (m, act.kind, act.param);
        arg[oy * Wo + ox] = (guint8) k;
      }
}

/* The flat index in a W-wide plane of window (oy, ox)'s position k. */
SF_INLINE gsize
window_index (int oy, int ox, int k, int P, int W)
{
  return (gsize) (oy * P + k / P) * W + ox * P + k % P;
}

void
sf_pool2_plane_forward (float *out, guint8 *argmax, float *at, const float *x, int H, int W, float scale,
                        float shift, SfAct act)
{
  int Ho = H / 2, Wo = W / 2;
  pool_plane (out, argmax, x, H, W, 2, scale, shift, act);
#if POOL2_AVX512
  if (pool2_avx512_usable (act.kind))
    {
      pool2_values_at_avx512 (at, x, argmax, Ho, Wo, W);
      return;
    }
#endif
  for (int oy = 0; oy < Ho; oy++)
    for (int ox = 0; ox < Wo; ox++)
      at[oy * Wo + ox] = x[window_index (oy, ox, argmax[oy * Wo + ox], 2, W)];
}

void
sf_pool2_plane_gradient (float *full, const float *dout, const float *out, const guint8 *argmax, int H, int W,
                         SfAct act)
{
  int Ho = H / 2, Wo = W / 2;
#if POOL2_AVX512
  if (pool2_avx512_usable (act.kind))
    {
      pool2_gradient_plane_avx512 (full, dout, out, argmax, Ho, Wo, W, act.kind);
      if (H % 2 != 0)
        memset (full + (gsize) (H - 1) * W, 0, sizeof (float) * W);
      return;
    }
#endif
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


SF_HOT void
sf_batchnorm_pool_backward (float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                            const guint8 *argmax, const float *inp, const float *mean, const float *invstd,
                            const float *gamma, int N, int C, int H, int W, SfAct act, int P, int c0, int c1)
{
  int Ho = H / P, Wo = W / P;
  if (P == 2 && H % 2 == 0)
    {
#if POOL2_AVX512
      if (pool2_avx512_usable (act.kind))
        {
          batchnorm_pool2_backward_avx512 (dinp, dgamma, dbeta, dout, out, argmax, inp, mean, invstd, gamma, N, C,
                                           H, W, act.kind, c0, c1);
          return;
        }
#endif
      gsize S = (gsize) H * W, So = (gsize) Ho * Wo;
      float *x_row = g_alloca (sizeof (float) * MAX (Wo, 1));
      double count = (double) N * S;
      for (int c = c0; c < c1; c++)
        {
          float mu = mean[c], is = invstd[c];
          double sum_g = 0, sum_gxm = 0;
          for (int n = 0; n < N; n++)
            {
              gsize o = ((gsize) n * C + c) * So;
              WITH_ACT (act.kind, batchnorm_pool2_sums (dout + o, out + o, argmax + o, inp + ((gsize) n * C + c) * S,
                                                        Ho, Wo, W, mu, K_, act.param, x_row, &sum_g, &sum_gxm));
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
              WITH_ACT (act.kind, batchnorm_pool2_input_plane (dinp + i, inp + i, dout + o, out + o, argmax + o, Ho,
                                                               Wo, W, mu, is, k, (float) count, (float) sum_g,
                                                               (float) sum_gx, K_, act.param));
            }
        }
      return;
    }
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

/* ------------------------------------------------------------------------ */

SF_HOT void
sf_dropout_forward (float *out, guint8 *mask, const float *inp, gsize n, float p, guint64 seed)
{
  /* keep when a 32-bit uniform is ≥ p·2³²: two draws per 64-bit number. */
  double t = (double) p * 4294967296.0;
  guint32 threshold = (guint32) MIN (t, 4294967295.0);
  float scale = 1.0f / (1.0f - p);
  SfRng rng;
  sf_rng_seed (&rng, seed);
  for (gsize i = 0; i < n; i += 2)
    {
      guint64 r = sf_rng_next (&rng);
      mask[i] = (guint32) r >= threshold;
      if (i + 1 < n)
        mask[i + 1] = (guint32) (r >> 32) >= threshold;
    }
  for (gsize i = 0; i < n; i++)
    out[i] = mask[i] ? inp[i] * scale : 0.0f;
}

SF_HOT void
sf_dropout_backward (float *dinp, const float *dout, const guint8 *mask, gsize n, float p)
{
  float scale = 1.0f / (1.0f - p);
  for (gsize i = 0; i < n; i++)
    dinp[i] = mask[i] ? dout[i] * scale : 0.0f;
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
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C, weight, C, 0.0f, out, OC);
  if (bias != NULL)
    for (int n = 0; n < N; n++)
      for (int o = 0; o < OC; o++)
        out[(gsize) n * OC + o] += bias[o];
}

void
sf_dense_backward (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                   const float *weight, int N, int C, int OC)
{
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
  if (dbias != NULL)
    for (int o = 0; o < OC; o++)
      {
        double sum = 0;
        for (int n = 0; n < N; n++)
          sum += dout[(gsize) n * OC + o];
        dbias[o] += (float) sum;
      }
  if (dinp != NULL)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC, weight, C, 0.0f, dinp, C);
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

/* ------------------------------------------------------------------------ */

static double
squared_distance (const float *a, const float *b, int D)
{
  double sum = 0;
  for (int j = 0; j < D; j++)
    {
      double d = (double) a[j] - b[j];
      sum += d * d;
    }
  return sum;
}

void
sf_distance_forward (float *dist, const float *ea, const float *eb, int N, int D)
{
  for (int k = 0; k < N; k++)
    dist[k] = (float) sqrt (MAX (squared_distance (ea + (gsize) k * D, eb + (gsize) k * D, D),
                                 (double) SF_DISTANCE_MIN_SQUARE));
}

void
sf_distance_backward (float *dea, float *deb, const float *ddist, const float *ea, const float *eb, int N, int D)
{
  for (int k = 0; k < N; k++)
    {
      const float *a = ea + (gsize) k * D, *b = eb + (gsize) k * D;
      double sq = squared_distance (a, b, D);
      float *da = dea + (gsize) k * D, *db = deb + (gsize) k * D;
      if (sq < SF_DISTANCE_MIN_SQUARE)
        {
          memset (da, 0, sizeof (float) * D);
          memset (db, 0, sizeof (float) * D);
          continue;
        }
      double f = ddist[k] / sqrt (sq);
      for (int j = 0; j < D; j++)
        {
          da[j] = (float) (f * ((double) a[j] - b[j]));
          db[j] = -da[j];
        }
    }
}

/* ------------------------------------------------------------------------ */

static double
sigmoid (double z)
{
  if (z >= 0)
    return 1.0 / (1.0 + exp (-z));
  double e = exp (z);
  return e / (1.0 + e);
}

double
sf_bce_head_forward (float *scores, const float *dist, const float *targets, float w, float b, int N)
{
  double loss = 0;
  for (int k = 0; k < N; k++)
    {
      double z = (double) w * dist[k] + b;
      scores[k] = (float) sigmoid (z);
      if (targets != NULL)
        loss += MAX (z, 0.0) + log1p (exp (-fabs (z))) - targets[k] * z;
    }
  return targets != NULL ? loss : NAN;
}

void
sf_bce_head_backward (float *ddist, float *dw, float *db, const float *dist, const float *targets, float w,
                      float b, int N, float scale)
{
  double sum_w = 0, sum_b = 0;
  for (int k = 0; k < N; k++)
    {
      double z = (double) w * dist[k] + b;
      double dz = scale * (sigmoid (z) - targets[k]);
      ddist[k] = (float) (dz * w);
      sum_w += dz * dist[k];
      sum_b += dz;
    }
  *dw += (float) sum_w;
  *db += (float) sum_b;
}

float
sf_contrastive_score (float d, float margin)
{
  float r = 2.0f * d / margin;
  return 1.0f / (1.0f + r * r);
}

double
sf_contrastive_head_forward (float *scores, const float *dist, const float *targets, float margin, int N)
{
  double loss = 0;
  for (int k = 0; k < N; k++)
    {
      double d = dist[k];
      scores[k] = sf_contrastive_score (dist[k], margin);
      if (targets != NULL)
        {
          double gap = MAX (margin - d, 0.0);
          loss += targets[k] * d * d + (1 - targets[k]) * gap * gap;
        }
    }
  return targets != NULL ? loss : NAN;
}

void
sf_contrastive_head_backward (float *ddist, const float *dist, const float *targets, float margin, int N,
                              float scale)
{
  for (int k = 0; k < N; k++)
    {
      double d = dist[k], gap = MAX (margin - d, 0.0);
      ddist[k] = (float) (scale * (2 * targets[k] * d - 2 * (1 - targets[k]) * gap));
    }
}

double
sf_all_pairs_softmax (float *de, const float *e, const int *labels, int N, int D, float temperature, float scale)
{
  memset (de, 0, sizeof (float) * N * D);
  /* s[i, j] = d²(i, j) / T; g[i, j] = ∂(anchor i's term)/∂d²(i, j). */
  g_autofree double *s = g_new (double, (gsize) N * N);
  g_autofree double *g = g_new0 (double, (gsize) N * N);
  int n_anchors = 0;
  for (int i = 0; i < N; i++)
    {
      gboolean has = FALSE;
      for (int j = 0; j < N; j++)
        {
          s[(gsize) i * N + j] = squared_distance (e + (gsize) i * D, e + (gsize) j * D, D) / temperature;
          has = has || (j != i && labels[j] == labels[i]);
        }
      n_anchors += has;
    }
  if (n_anchors == 0)
    return 0;
  double loss = 0;
  for (int i = 0; i < N; i++)
    {
      const double *si = s + (gsize) i * N;
      double lo = G_MAXDOUBLE;
      gboolean has = FALSE;
      for (int j = 0; j < N; j++)
        if (j != i)
          {
            lo = MIN (lo, si[j]);
            has = has || labels[j] == labels[i];
          }
      if (!has)
        continue;
      /* exp (lo - s) ≤ 1: no overflow, and the nearest term is 1. */
      double all = 0, same = 0;
      for (int j = 0; j < N; j++)
        if (j != i)
          {
            double w = exp (lo - si[j]);
            all += w;
            if (labels[j] == labels[i])
              same += w;
          }
      loss += (log (all) - log (same)) / n_anchors;
      for (int j = 0; j < N; j++)
        if (j != i)
          {
            double w = exp (lo - si[j]);
            double dloss = (labels[j] == labels[i] ? w / same : 0) - w / all;
            g[(gsize) i * N + j] += dloss / temperature / n_anchors;
          }
    }
  /* ∂d²(i, j)/∂e_i = 2 (e_i - e_j) = -∂d²(i, j)/∂e_j. */
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      {
        double gij = g[(gsize) i * N + j];
        if (gij == 0)
          continue;
        float f = (float) (scale * 2 * gij);
        float *di = de + (gsize) i * D, *dj = de + (gsize) j * D;
        const float *ei = e + (gsize) i * D, *ej = e + (gsize) j * D;
        for (int k = 0; k < D; k++)
          {
            float v = f * (ei[k] - ej[k]);
            di[k] += v;
            dj[k] -= v;
          }
      }
  return loss;
}

double
sf_all_pairs_contrastive (float *de, const float *e, const int *labels, int N, int D, float margin, float scale)
{
  gsize n_pairs = (gsize) N * (N - 1) / 2;
  g_autofree float *dist = g_new (float, MAX (n_pairs, 1));
  int n_same = 0, n_active = 0;
  double sum_same = 0, sum_active = 0;
  gsize p = 0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++, p++)
      {
        double sq = squared_distance (e + (gsize) i * D, e + (gsize) j * D, D);
        double d = sqrt (MAX (sq, (double) SF_DISTANCE_MIN_SQUARE));
        dist[p] = (float) d;
        if (labels[i] == labels[j])
          {
            n_same++;
            sum_same += d * d;
          }
        else if (d < margin)
          {
            n_active++;
            sum_active += (margin - d) * (margin - d);
          }
      }
  memset (de, 0, sizeof (float) * N * D);
  double w_same = n_same > 0 ? scale / (double) n_same : 0, w_active = n_active > 0 ? scale / (double) n_active : 0;
  p = 0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++, p++)
      {
        double d = dist[p], ddist;
        if (labels[i] == labels[j])
          ddist = w_same * 2 * d;
        else if (d < margin)
          ddist = -w_active * 2 * (margin - d);
        else
          continue;
        if (d * d < SF_DISTANCE_MIN_SQUARE)
          continue;
        float f = (float) (ddist / d);
        float *di = de + (gsize) i * D, *dj = de + (gsize) j * D;
        const float *ei = e + (gsize) i * D, *ej = e + (gsize) j * D;
        for (int k = 0; k < D; k++)
          {
            float g = f * (ei[k] - ej[k]);
            di[k] += g;
            dj[k] -= g;
          }
      }
  return (n_same > 0 ? sum_same / n_same : 0) + (n_active > 0 ? sum_active / n_active : 0);
}
