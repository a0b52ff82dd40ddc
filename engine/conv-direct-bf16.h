/* The direct 3×3 convolution's bf16 kernels (AVX512_BF16's VDPBF16PS: bf16
 * factors, fp32 sums), for conv-direct.c when the precision setting asks for
 * bf16 and the CPU has it. Private to engine/. */
#pragma once

#include <glib.h>

#include "conv-direct.h"

G_BEGIN_DECLS

/* TRUE when this build has the kernels and this CPU can run them. */
gboolean sf_conv_direct_bf16_available   (void);

/* Dwords of the weights sf_conv_direct_bf16_prepare writes. */
gsize    sf_conv_direct_bf16_cache_words (int OC, int C);

/* cache = the weights [OC, C, 3, 3] as bf16 pairs: input channels paired for
 * the forward pass, output channels paired (taps reversed) for the input
 * gradient; an odd count is paired with zero. */
void     sf_conv_direct_bf16_prepare     (guint32 *cache, const float *weight, int OC, int C);

/* The pairs of the input gradient's pass, inside cache. */
const guint32 *sf_conv_direct_bf16_flipped (const guint32 *cache, int OC, int C);

/* out = the convolution of in (IC channels, at in_at) with the paired
 * weights wt (prepare's forward pairs, or the flipped ones with IC and OC
 * swapped) plus bias (if not NULL), over n images; W a multiple of 16. */
void     sf_conv_direct_bf16_pass        (float *out, SfPlaneStrides out_at, const float *bias, const float *in,
                                          SfPlaneStrides in_at, const guint32 *wt, int IC, int OC, int H, int W,
                                          int n);

/* dacc[OC, C, 3, 3] += the gradient of the weights from dy (at dy_at) and
 * inp [n, C, H, W], both rounded to bf16 (one partial sum per weight:
 * sf_conv_direct_dacc_lanes). */
void     sf_conv_direct_bf16_weights     (float *dacc, const float *dy, SfPlaneStrides dy_at, const float *inp, int n,
                                          int C, int OC, int H, int W);

G_END_DECLS
