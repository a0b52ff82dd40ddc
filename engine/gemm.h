/* The engine's matrix product: cblas_sgemm, or on CPUs with AVX512_BF16 a
 * product of bf16-rounded factors with fp32 accumulation, by a process-wide
 * precision setting. */
#pragma once

#include <cblas.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SF_PRECISION_FP32,  /* cblas_sgemm, always */
  SF_PRECISION_BF16,  /* bf16 factors, fp32 sums, where the CPU has AVX512_BF16 (else fp32) */
  SF_PRECISION_AUTO,  /* the best the CPU has: today the same as BF16 */
} SfPrecision;

/* The precision when nothing sets one: fp32, so that the engine's results
 * (evaluation, galleries, exports, the tests' gradient checks) are the same
 * bits on every CPU. The command line's train and bench ask for auto, where
 * bf16 takes 25-35 % off the compact preset's epoch with its accuracy over
 * seeds unchanged (docs/PERFORMANCE.md, "The direct convolution in bf16"). */
#define SF_PRECISION_DEFAULT SF_PRECISION_FP32

/* Sets the precision of every later sf_gemm() and direct convolution in the
 * process (the default is SF_PRECISION_DEFAULT). Set it before a model is
 * made: the plan gives planes of 8×8 and 4×4 the direct path only where
 * bf16 runs. Not while products run. */
void        sf_gemm_set_precision (SfPrecision precision);

/* Parses "fp32", "bf16" or "auto"; FALSE on anything else. */
gboolean    sf_gemm_precision_parse (const char *name, SfPrecision *precision);

/* TRUE when the CPU and the OS support AVX512_BF16 (and AVX-512 F, BW, VL). */
gboolean    sf_gemm_cpu_has_bf16 (void);

/* TRUE when the setting asks for bf16 and the CPU has it: what the
 * engine's other bf16 kernels (the direct convolution's) follow too. */
gboolean    sf_gemm_uses_bf16 (void);

/* "fp32" or "bf16": what sf_gemm() runs now for products large enough to
 * leave OpenBLAS (small ones always run in fp32). */
const char *sf_gemm_precision_name (void);

/* C = alpha·op(A)·op(B) + beta·C with cblas_sgemm's arguments; row-major
 * only. In bf16, each element of A and B is rounded to bf16 (nearest, ties
 * to even) and the products are summed in fp32; alpha and beta apply in fp32.
 * beta == 0 never reads C. */
void        sf_gemm (enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans_a, enum CBLAS_TRANSPOSE trans_b, int M, int N,
                     int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C,
                     int ldc);

/* The bf16 product itself, whatever the setting and the size (for tests);
 * FALSE, with C untouched, when the CPU lacks AVX512_BF16. */
gboolean    sf_gemm_bf16 (enum CBLAS_TRANSPOSE trans_a, enum CBLAS_TRANSPOSE trans_b, int M, int N, int K, float alpha,
                          const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* For the engine's other bf16 kernels, on CPUs with AVX512_BF16 only:
 * dst[p·stride + i] = the bf16 pair (src[i·ld + 2p], src[i·ld + 2p + 1]),
 * the first in the low half, for lines i < n (n ≤ 16; lines n to 15 are
 * zero) and p < (kc + 1) / 2: sixteen lines turned into pairs of columns. */
void        sf_gemm_pack_pairs (guint32 *dst, int stride, const float *src, gsize ld, int kc, int n);

G_END_DECLS
