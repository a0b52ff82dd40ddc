/* Direct 3×3 convolution (same padding, stride 1) with AVX-512, or with
 * AVX2+FMA on the CPUs without it, for planes whose width is a multiple of
 * 16, and in bf16 for smaller planes too (sf_conv_direct_small_supported).
 * The input is [n, C, H, W]; the output and its gradient are planes at the
 * strides given: [OC, n, H, W] as conv.h's other paths, or [n, OC, H, W]
 * straight into the next layer's input. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Plane (image i, channel c) starts i·image + c·channel floats in. */
typedef struct {
  gsize image, channel;
} SfPlaneStrides;

/* TRUE when this CPU and a K×K kernel over planes W wide can use the direct path. */
gboolean sf_conv_direct_supported       (int K, int W);

/* TRUE when a K×K kernel over H × W planes narrower than 16 (W even, H·W a
 * multiple of 16: 8×8, 4×4) can take the direct path: bf16 kernels exist for them on
 * this CPU (conv-direct-bf16.h). Where bf16 does not run they take plain
 * loops, correct but slow: give them the direct path only where it does. */
gboolean sf_conv_direct_small_supported (int K, int H, int W);

/* The kernels that run: "AVX-512", "AVX2" (x86-64-v3: AVX2 and FMA), or
 * NULL where neither can (another CPU, or not GCC on x86-64). A build with
 * meson option avx512=false has only the AVX2 ones. */
const char *sf_conv_direct_kernels      (void);

/* TRUE: the AVX2 kernels even where the CPU has AVX-512, so that the tests
 * check them on such a machine too; FALSE (the default): the widest. Set it
 * while no convolution runs. Both write the same layouts, so a model planned
 * with one may run with the other. */
void     sf_conv_direct_force_avx2      (gboolean force);

/* TRUE when a pass over C input channels (the forward pass; for the input
 * gradient, OC) runs in bf16: the precision setting (gemm.h) asks for it,
 * the CPU has AVX512_BF16 and C ≥ 2. The weight gradient's, whatever C. */
gboolean sf_conv_direct_bf16_runs       (int C);
gboolean sf_conv_direct_bf16_weights_run (void);

/* Floats of the cache that sf_conv_direct_prepare fills. */
gsize    sf_conv_direct_cache_size      (int OC, int C);

/* cache = the weights [OC, C, 3, 3] rearranged for the two passes below,
 * in the layouts of both kernels. */
void     sf_conv_direct_prepare         (float *cache, const float *weight, int OC, int C);

/* y = the convolution of inp[n, C, H, W] plus bias (if not NULL). */
void     sf_conv_direct_forward         (float *y, SfPlaneStrides y_at, const float *bias, const float *inp,
                                         const float *cache, int n, int C, int OC, int H, int W);

/* dinp[n, C, H, W] = the gradient of the input from dy. */
void     sf_conv_direct_backward_input  (float *dinp, const float *dy, SfPlaneStrides dy_at, const float *cache,
                                         int n, int C, int OC, int H, int W);

/* dacc[OC, C, 3, 3, lanes] += the gradient of the weights in `lanes`
 * partial sums each (sf_conv_direct_dacc_lanes: 16, of which the AVX2
 * kernels use the first 8; 1 where the weight gradient runs in bf16);
 * dbias[OC] += that of the bias if not NULL. */
void     sf_conv_direct_backward_weight (float *dacc, float *dbias, const float *dy, SfPlaneStrides dy_at,
                                         const float *inp, int n, int C, int OC, int H, int W);

/* The same in fp32 whatever the precision, in 16 partial sums (8 with the
 * AVX2 kernels) per weight, without the bias. */
void     sf_conv_direct_backward_weight_fp32 (float *dacc, const float *dy, SfPlaneStrides dy_at, const float *inp,
                                              int n, int C, int OC, int H, int W);

/* The partial sums per weight in dacc now: 16, or 1 in bf16. At most 16:
 * size dacc for 16. */
int      sf_conv_direct_dacc_lanes      (void);

/* dweight[OC, C, 3, 3] += the sums of dacc's partial sums. */
void     sf_conv_direct_finish          (float *dweight, const float *dacc, int OC, int C);

G_END_DECLS
