/* Winograd F(m×m, 3×3) for m = 2, 4 and F(m×m, 5×5) for m = 2, 3, 4: the lowering
 * sf_conv_* choose when there are enough channels (see conv.h; private to
 * engine/). Layouts as in conv.h: y and dy [OC, n, H*W], the cache U [alpha², OC, C]. */
#pragma once

#include "conv.h"

G_BEGIN_DECLS

/* Fills m (the output tile side: 2 or 4 for K = 3; 2, 3 or 4 for K = 5), alpha, the tile counts
 * and the transform matrices of conv (shape set). */
void  sf_winograd_init            (SfConv *conv, int m);
/* Floats of scratch for a chunk of n images. */
gsize sf_winograd_workspace_size  (const SfConv *conv, int n);
/* cache = U = G w Gᵀ of every kernel of weight[OC, C, K, K]. */
void  sf_winograd_prepare         (const SfConv *conv, float *cache, const float *weight);
/* dweight[OC, C, K, K] += dacc [alpha², OC, C] brought back through G (with
 * conv->fold: dacc [K², OC, C], already brought back). */
void  sf_winograd_finish          (const SfConv *conv, float *dweight, const float *dacc);
/* y[OC, n, H*W] = conv(inp[n, C, H, W]) without bias. */
void  sf_winograd_forward         (const SfConv *conv, float *y, const float *inp, int n, const float *cache,
                                   float *workspace);
/* dacc [alpha², OC, C] (with conv->fold [K², OC, C]) += the weight gradient;
 * dinp[n, C, H, W] = the input gradient unless dinp is NULL. */
void  sf_winograd_backward        (const SfConv *conv, float *dinp, float *dacc, const float *dy, const float *inp,
                                   int n, const float *cache, float *workspace);

G_END_DECLS
