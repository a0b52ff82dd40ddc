/* Depthwise convolution (one K×K filter per channel, groups = channels, no
 * bias), the first half of a separable convolution (spec token sep): padding
 * K/2, any stride, over NCHW float32. Plane by plane in plain loops the
 * compiler vectorises (a channel's K² multiply-adds per pixel are too few for
 * a GEMM): at stride 1 over a copy of the plane with its zero border, so each
 * tap is one long loop over the whole plane rather than many short rows; a
 * reference twin in double serves the tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Floats of scratch the two passes below need (per thread). */
gsize sf_depthwise_scratch_size (int H, int W, int K, int S);

/* out[n, C, Ho, Wo] = the depthwise convolution of inp[n, C, H, W] with
 * weight[C, 1, K, K] at stride S, for channels c0 ≤ c < c1 (so threads can
 * split images or channels); Ho = (H - 1)/S + 1, Wo likewise. */
void  sf_depthwise_forward      (float *out, const float *inp, const float *weight, int n, int C, int H, int W,
                                 int K, int S, int c0, int c1, float *scratch);
/* For channels c0 ≤ c < c1: dweight[C, 1, K, K] +=, dinp[n, C, H, W] = (may be NULL). */
void  sf_depthwise_backward     (float *dinp, float *dweight, const float *dout, const float *inp,
                                 const float *weight, int n, int C, int H, int W, int K, int S, int c0, int c1,
                                 float *scratch);

/* Reference twins (tests only), every channel, loops in double. */
void  sf_depthwise_forward_ref  (float *out, const float *inp, const float *weight, int n, int C, int H, int W,
                                 int K, int S);
void  sf_depthwise_backward_ref (float *dinp, float *dweight, const float *dout, const float *inp,
                                 const float *weight, int n, int C, int H, int W, int K, int S);

G_END_DECLS
