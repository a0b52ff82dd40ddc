/* The engine's matrix product: OpenBLAS's sgemm, or for large products on
 * CPUs with AVX512_BF16 a bf16 kernel of our own (see gemm.h). Debian 12's
 * OpenBLAS 0.3.21 declares cblas_sbgemm but does not export it. */
#include "gemm.h"

#include <cpuid.h>

#include "blas.h"

/* GCC on x86-64 only (the kernel uses its target attributes); SF_NO_CLONES
 * and SF_NO_AVX512 (meson option avx512=false) leave it out with the other
 * CPU-specific code (simd.h). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SF_NO_CLONES) \
  && !defined(SF_NO_AVX512)
#define SF_GEMM_BF16 1
#else
#define SF_GEMM_BF16 0
#endif

/* Products worth packing to bf16, measured one-threaded on Zen 5 against
 * OpenBLAS's SkylakeX sgemm (docs/PERFORMANCE.md, "bf16"): below ~2^20
 * multiply-adds packing costs what the faster multiplies save; fewer than
 * 96 columns waste much of the 48-column micro-kernel; a K below 32 (the
 * Winograd weight transforms' 9 to 36) or fewer than 16 rows leave too
 * little to multiply per packed element. */
static gboolean
worth_bf16 (int M, int N, int K)
{
  return N >= 96 && K >= 32 && M >= 16 && (gint64) M * N * K >= (gint64) 1 << 20;
}

static gint precision_setting = SF_PRECISION_DEFAULT;

gboolean
sf_gemm_cpu_has_bf16 (void)
{
  static gsize cached = 0;
  if (g_once_init_enter (&cached))
    {
      gboolean has = FALSE;
#if SF_GEMM_BF16
      unsigned int eax, ebx, ecx, edx;
      /* sf_blas_cpu_has_avx512() checks that the OS saves the ZMM registers. */
      if (sf_blas_cpu_has_avx512 () && __get_cpuid_count (7, 0, &eax, &ebx, &ecx, &edx) && eax >= 1
          && __get_cpuid_count (7, 1, &eax, &ebx, &ecx, &edx))
        has = (eax & (1u << 5)) != 0;  /* CPUID.(7,1):EAX bit 5, AVX512_BF16 */
#endif
      g_once_init_leave (&cached, has ? 2 : 1);
    }
  return cached == 2;
}

void
sf_gemm_set_precision (SfPrecision precision)
{
  g_return_if_fail (precision == SF_PRECISION_FP32 || precision == SF_PRECISION_BF16
                    || precision == SF_PRECISION_AUTO);
  g_atomic_int_set (&precision_setting, precision);
}

gboolean
sf_gemm_precision_parse (const char *name, SfPrecision *precision)
{
  if (g_strcmp0 (name, "fp32") == 0)
    *precision = SF_PRECISION_FP32;
  else if (g_strcmp0 (name, "bf16") == 0)
    *precision = SF_PRECISION_BF16;
  else if (g_strcmp0 (name, "auto") == 0)
    *precision = SF_PRECISION_AUTO;
  else
    return FALSE;
  return TRUE;
}

gboolean
sf_gemm_uses_bf16 (void)
{
  return g_atomic_int_get (&precision_setting) != SF_PRECISION_FP32 && sf_gemm_cpu_has_bf16 ();
}

const char *
sf_gemm_precision_name (void)
{
  return sf_gemm_uses_bf16 () ? "bf16" : "fp32";
}

#if SF_GEMM_BF16

#include <immintrin.h>

#define BF16_TARGET __attribute__ ((optimize ("O3"), target ("avx512f,avx512bw,avx512vl,avx512bf16")))

/* The micro-kernel computes an MR × NR block of C from panels of K pairs:
 * A's as MR dwords (two bf16 of one row, k even in the low half) per pair,
 * B's as NR dwords (two bf16 of one column) per pair, which is the layout
 * VDPBF16PS multiplies. 8 × 48 keeps 24 accumulators, 3 B vectors and a
 * broadcast in the 32 registers. KC, MC and NC size the packed blocks for
 * L1 (a 36 KiB B panel), L2 (a 72 KiB A block, a 360 KiB B block). */
#define MR 8
#define NR 48
#define KC 384
#define MC 96
#define NC 480

typedef struct {
  guint32 *a;
  guint32 *b;
} PackBuffers;

static void
pack_buffers_free (gpointer data)
{
  PackBuffers *buffers = data;
  g_aligned_free (buffers->a);
  g_aligned_free (buffers->b);
  g_free (buffers);
}

/* Per thread: the engine runs many single-threaded products side by side. */
static GPrivate pack_key = G_PRIVATE_INIT (pack_buffers_free);

static PackBuffers *
pack_buffers (void)
{
  PackBuffers *buffers = g_private_get (&pack_key);
  if (buffers == NULL)
    {
      buffers = g_new (PackBuffers, 1);
      buffers->a = g_aligned_alloc ((gsize) MC * (KC / 2), sizeof (guint32), 64);
      buffers->b = g_aligned_alloc ((gsize) NC * (KC / 2), sizeof (guint32), 64);
      g_private_set (&pack_key, buffers);
    }
  return buffers;
}

static inline __mmask16
first_lanes (int n)
{
  return n >= 16 ? 0xffff : n <= 0 ? 0 : (__mmask16) ((1u << n) - 1);
}

/* 16 dwords: bf16 (ties to even) of lo in the low halves, of hi in the high. */
BF16_TARGET static inline __m512i
pair_up (__m512 lo, __m512 hi)
{
  __m512i l = _mm512_cvtepu16_epi32 ((__m256i) _mm512_cvtneps_pbh (lo));
  __m512i h = _mm512_cvtepu16_epi32 ((__m256i) _mm512_cvtneps_pbh (hi));
  return _mm512_or_si512 (l, _mm512_slli_epi32 (h, 16));
}

/* Pairs from two rows of a row-major matrix: dst[p·stride + j] for j < width
 * (≤ 16; zero from n on) pairs src[2p·ld + j] with src[(2p+1)·ld + j], for
 * p < (kc + 1) / 2; the row kc of an odd kc is zero. */
BF16_TARGET static void
pack_rows (guint32 *dst, int stride, int width, const float *src, gsize ld, int kc, int n)
{
  __mmask16 mask = first_lanes (n), store = first_lanes (width);
  for (int k = 0; k < kc; k += 2, dst += stride)
    {
      __m512 lo = n > 0 ? _mm512_maskz_loadu_ps (mask, src + k * ld) : _mm512_setzero_ps ();
      __m512 hi = n > 0 && k + 1 < kc ? _mm512_maskz_loadu_ps (mask, src + (k + 1) * ld) : _mm512_setzero_ps ();
      _mm512_mask_storeu_epi32 (dst, store, pair_up (lo, hi));
    }
}

/* Transposes the 16 × 16 dwords of r in place: r[j][i] becomes r[i][j]. */
BF16_TARGET static inline void
transpose_16x16 (__m512i r[16])
{
  __m512i t[16], u[16];
#pragma GCC unroll 8
  for (int i = 0; i < 16; i += 2)
    {
      t[i] = _mm512_unpacklo_epi32 (r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_epi32 (r[i], r[i + 1]);
    }
  /* Per 128-bit lane, u[4g + c] holds rows 4g .. 4g + 3 of the lane's column c. */
#pragma GCC unroll 4
  for (int g = 0; g < 16; g += 4)
    {
      u[g] = _mm512_unpacklo_epi64 (t[g], t[g + 2]);
      u[g + 1] = _mm512_unpackhi_epi64 (t[g], t[g + 2]);
      u[g + 2] = _mm512_unpacklo_epi64 (t[g + 1], t[g + 3]);
      u[g + 3] = _mm512_unpackhi_epi64 (t[g + 1], t[g + 3]);
    }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++)
    {
      __m512i v = _mm512_shuffle_i32x4 (u[c], u[4 + c], 0x88), w = _mm512_shuffle_i32x4 (u[c], u[4 + c], 0xdd);
      __m512i x = _mm512_shuffle_i32x4 (u[8 + c], u[12 + c], 0x88), y = _mm512_shuffle_i32x4 (u[8 + c], u[12 + c], 0xdd);
      r[c] = _mm512_shuffle_i32x4 (v, x, 0x88);
      r[8 + c] = _mm512_shuffle_i32x4 (v, x, 0xdd);
      r[4 + c] = _mm512_shuffle_i32x4 (w, y, 0x88);
      r[12 + c] = _mm512_shuffle_i32x4 (w, y, 0xdd);
    }
}

/* Pairs along n contiguous lines (n ≤ 16; width, 8 or 16, lines stored, zero
 * from n on): dst[p·stride + i] pairs src[i·ld + 2p] with src[i·ld + 2p + 1],
 * for p < (kc + 1) / 2 (an odd kc's last pair has a zero high half). Sixteen
 * pairs of each line at a time, turned by a register transpose: a scatter
 * store measured several times slower. */
BF16_TARGET static void
pack_lines (guint32 *dst, int stride, int width, const float *src, gsize ld, int kc, int n)
{
  __m512i r[16];
  for (int k = 0; k < kc; k += 32)
    {
      __mmask16 lo_mask = first_lanes (kc - k), hi_mask = first_lanes (kc - k - 16);
      for (int i = 0; i < 16; i++)
        if (i < n)
          {
            __m512 lo = _mm512_maskz_loadu_ps (lo_mask, src + i * ld + k);
            __m512 hi = _mm512_maskz_loadu_ps (hi_mask, src + i * ld + k + 16);
            r[i] = (__m512i) _mm512_cvtne2ps_pbh (hi, lo);
          }
        else
          r[i] = _mm512_setzero_si512 ();
      transpose_16x16 (r);
      int pairs = MIN (16, (kc - k + 1) / 2);
      guint32 *at = dst + (gsize) (k / 2) * stride;
      for (int q = 0; q < pairs; q++, at += stride)
        if (width == 16)
          _mm512_storeu_si512 (at, r[q]);
        else
          _mm256_storeu_si256 ((__m256i *) at, _mm512_castsi512_si256 (r[q]));
    }
}

void
sf_gemm_pack_pairs (guint32 *dst, int stride, const float *src, gsize ld, int kc, int n)
{
  g_return_if_fail (sf_gemm_cpu_has_bf16 () && n >= 0 && n <= 16);
  pack_lines (dst, stride, 16, src, ld, kc, n);
}

/* Packs op(A)[ic .. ic + mc, pc .. pc + kc] into panels of MR rows. */
BF16_TARGET static void
pack_a (guint32 *dst, enum CBLAS_TRANSPOSE trans, const float *A, int lda, int ic, int mc, int pc, int kc)
{
  int kcp = (kc + 1) / 2;
  for (int ir = 0; ir < mc; ir += MR, dst += (gsize) kcp * MR)
    {
      int rows = MIN (MR, mc - ir);
      if (trans == CblasNoTrans)
        pack_lines (dst, MR, MR, A + (gsize) (ic + ir) * lda + pc, lda, kc, rows);
      else
        pack_rows (dst, MR, MR, A + (gsize) pc * lda + ic + ir, lda, kc, rows);
    }
}

/* Packs op(B)[pc .. pc + kc, jc .. jc + nc] into panels of NR columns. */
BF16_TARGET static void
pack_b (guint32 *dst, enum CBLAS_TRANSPOSE trans, const float *B, int ldb, int jc, int nc, int pc, int kc)
{
  int kcp = (kc + 1) / 2;
  for (int jr = 0; jr < nc; jr += NR, dst += (gsize) kcp * NR)
    {
      int cols = MIN (NR, nc - jr);
      for (int v = 0; v < NR; v += 16)
        {
          /* Columns past the edge are zeros; their address is never formed. */
          int j = MIN (jc + jr + v, jc + nc - 1);
          if (trans == CblasNoTrans)
            pack_rows (dst + v, NR, 16, B + (gsize) pc * ldb + j, ldb, kc, cols - v);
          else
            pack_lines (dst + v, NR, 16, B + (gsize) j * ldb + pc, ldb, kc, cols - v);
        }
    }
}

/* C[m ≤ MR, n ≤ NR] = alpha·(A panel · B panel) + beta·C (beta 0: C unread). */
BF16_TARGET static void
kernel (int kcp, const guint32 *ap, const guint32 *bp, float *c, int ldc, int m, int n, float alpha, float beta)
{
  __m512 acc[MR][3];
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 3
    for (int v = 0; v < 3; v++)
      acc[i][v] = _mm512_setzero_ps ();
  for (int p = 0; p < kcp; p++, ap += MR, bp += NR)
    {
      __m512bh b0 = (__m512bh) _mm512_load_si512 (bp);
      __m512bh b1 = (__m512bh) _mm512_load_si512 (bp + 16);
      __m512bh b2 = (__m512bh) _mm512_load_si512 (bp + 32);
#pragma GCC unroll 8
      for (int i = 0; i < MR; i++)
        {
          __m512bh a = (__m512bh) _mm512_set1_epi32 ((int) ap[i]);
          acc[i][0] = _mm512_dpbf16_ps (acc[i][0], a, b0);
          acc[i][1] = _mm512_dpbf16_ps (acc[i][1], a, b1);
          acc[i][2] = _mm512_dpbf16_ps (acc[i][2], a, b2);
        }
    }
  __m512 va = _mm512_set1_ps (alpha), vb = _mm512_set1_ps (beta);
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++)
    {
      if (i >= m)
        break;
#pragma GCC unroll 3
      for (int v = 0; v < 3; v++)
        {
          __mmask16 mask = first_lanes (n - 16 * v);
          if (mask == 0)
            break;
          float *at = c + (gsize) i * ldc + 16 * v;
          __m512 r = _mm512_mul_ps (acc[i][v], va);
          if (beta != 0.0f)
            r = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (mask, at), r);
          _mm512_mask_storeu_ps (at, mask, r);
        }
    }
}

BF16_TARGET static void
gemm_bf16 (enum CBLAS_TRANSPOSE trans_a, enum CBLAS_TRANSPOSE trans_b, int M, int N, int K, float alpha,
           const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  PackBuffers *buffers = pack_buffers ();
  for (int jc = 0; jc < N; jc += NC)
    {
      int nc = MIN (NC, N - jc);
      for (int pc = 0; pc < K; pc += KC)
        {
          int kc = MIN (KC, K - pc), kcp = (kc + 1) / 2;
          /* Later blocks of K add to what the first wrote. */
          float beta_block = pc == 0 ? beta : 1.0f;
          pack_b (buffers->b, trans_b, B, ldb, jc, nc, pc, kc);
          for (int ic = 0; ic < M; ic += MC)
            {
              int mc = MIN (MC, M - ic);
              pack_a (buffers->a, trans_a, A, lda, ic, mc, pc, kc);
              for (int jr = 0; jr < nc; jr += NR)
                for (int ir = 0; ir < mc; ir += MR)
                  kernel (kcp, buffers->a + (gsize) (ir / MR) * kcp * MR, buffers->b + (gsize) (jr / NR) * kcp * NR,
                          C + (gsize) (ic + ir) * ldc + jc + jr, ldc, MIN (MR, mc - ir), MIN (NR, nc - jr), alpha,
                          beta_block);
            }
        }
    }
}

#endif /* SF_GEMM_BF16 */

#if !SF_GEMM_BF16
void
sf_gemm_pack_pairs (guint32 *dst, int stride, const float *src, gsize ld, int kc, int n)
{
  (void) dst, (void) stride, (void) src, (void) ld, (void) kc, (void) n;
  g_return_if_reached ();
}
#endif

gboolean
sf_gemm_bf16 (enum CBLAS_TRANSPOSE trans_a, enum CBLAS_TRANSPOSE trans_b, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
#if SF_GEMM_BF16
  if (!sf_gemm_cpu_has_bf16 ())
    return FALSE;
  if (M <= 0 || N <= 0)
    return TRUE;
  if (K <= 0 || alpha == 0.0f)
    {
      /* Nothing to multiply: C = beta·C, as cblas_sgemm does it. */
      cblas_sgemm (CblasRowMajor, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return TRUE;
    }
  gemm_bf16 (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return TRUE;
#else
  (void) trans_a, (void) trans_b, (void) M, (void) N, (void) K, (void) alpha, (void) A, (void) lda;
  (void) B, (void) ldb, (void) beta, (void) C, (void) ldc;
  return FALSE;
#endif
}

void
sf_gemm (enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans_a, enum CBLAS_TRANSPOSE trans_b, int M, int N, int K,
         float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  if (order == CblasRowMajor && worth_bf16 (M, N, K) && sf_gemm_uses_bf16 ()
      && sf_gemm_bf16 (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
    return;
  cblas_sgemm (order, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
