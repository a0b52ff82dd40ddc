/* The first block of a grey-image tower — a 3×3 convolution of the one input
 * channel, batch norm, ReLU (or none) and a 2×2 max-pool — computed image by
 * image in cache, so that its full-size planes, the widest tensors of the
 * tower, never go to memory. Training runs the convolution twice (batch norm
 * needs every image's statistics before any output); the backward pass
 * rebuilds the weight gradient from the pooled gradient, the values before
 * the norm at the window maxima and the input's 3×3 autocorrelation. */
#pragma once

#include <glib.h>

#include "conv.h"
#include "layers.h"

G_BEGIN_DECLS

/* TRUE when conv (the tower's first layer with parameters: no input
 * gradient) followed by batch norm, act and a pool of this size can be fused:
 * conv runs as the direct convolution (conv-direct.h: AVX-512 or AVX2). */
gboolean sf_first_block_fits (const SfConv *conv, SfAct act, int pool);

/* Floats of scratch per worker: one image's full-size output. */
gsize    sf_first_block_scratch_size (const SfConv *conv);

/* sums[2·o] += Σ (x - bias[o]), sums[2·o + 1] += Σ (x - bias[o])² over the
 * convolution x of inp[n, H, W]; cache as sf_conv_prepare makes it. */
void     sf_first_block_moments (double *sums, const SfConv *conv, const float *cache, const float *bias,
                                 const float *inp, int n, float *scratch);

/* out/argmax[n, OC, H/2, W/2] = the max-pool of act(x·scale[o] + shift[o]);
 * at_max[n, OC, H/2, W/2] = x at each window's maximum. */
void     sf_first_block_forward (float *out, guint8 *argmax, float *at_max, const SfConv *conv, const float *cache,
                                 const float *bias, const float *scale, const float *shift, SfAct act,
                                 const float *inp, int n, float *scratch);

/* One group's sums for the backward pass; zeroed by _clear. */
typedef struct {
  int OC;
  double *sum_g;      /* [OC] Σ g, g = the gradient at the window maxima before the norm's scale */
  double *sum_gx;     /* [OC] Σ g·x, x at the maxima */
  double *dsparse;    /* [OC, 9]: Σ g·(input shifted by each tap), g spread back to full size */
  double shifted[9];  /* Σ input shifted by each tap, over the output pixels */
  double products[81];  /* [9, 9] Σ of the products of two shifted inputs */
} SfFirstBlockSums;

SfFirstBlockSums *sf_first_block_sums_new   (int OC);
void              sf_first_block_sums_free  (SfFirstBlockSums *sums);
void              sf_first_block_sums_clear (SfFirstBlockSums *sums);

/* Adds images inp[n, H, W] with their pooled output gradient dout to sums. */
void     sf_first_block_backward (SfFirstBlockSums *sums, const SfConv *conv, SfAct act, const float *dout,
                                  const float *out, const guint8 *argmax, const float *at_max, const float *inp,
                                  int n, float *scratch);

/* The gradients from every group's sums: dweight[OC, 9], dbias[OC] of the
 * convolution and dgamma, dbeta[OC] of the norm are added to; mean and
 * invstd are the batch's, count its images times H·W. */
void     sf_first_block_finish (float *dweight, float *dbias, float *dgamma, float *dbeta,
                                SfFirstBlockSums *const *sums, int n_sums, const float *weight, const float *bias,
                                const float *gamma, const float *mean, const float *invstd, double count);

G_END_DECLS
