/* The network's layers other than convolution (conv.h, depthwise.h) and
 * batch norm (batchnorm.h, residual.h) — activations, max-pooling, dropout,
 * average pooling, squeeze-and-excitation, l2norm, dense — as plain
 * functions over NCHW float32 buffers: outputs first, shapes in comments.
 * Parameter gradients accumulate (+=) so the two Siamese branches and the
 * chunks of a batch add up after one zeroing per step; input gradients are
 * written (=). Dense, the only other BLAS kernel, keeps a
 * reference twin, and so does squeeze-and-excitation, which uses it. The
 * heads on the embeddings are in heads.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SF_ACT_NONE,
  SF_ACT_RELU,
  SF_ACT_LEAKY_RELU,  /* param: negative slope, 0 ≤ slope < 1 */
  SF_ACT_ELU,         /* param: alpha > 0 */
} SfActKind;

/* Every activation is monotone, and its derivative follows from its output:
 * that lets it run in place and lets a max-pool follow it without keeping the
 * unpooled values. */
typedef struct {
  SfActKind kind;
  float param;
} SfAct;

/* out[n] = act(inp[n]); out may equal inp. */
void   sf_act_forward  (float *out, const float *inp, gsize n, SfAct act);
/* dinp[n] = dout[n] · act'(x) where out[n] = act(x); dinp may equal dout. */
void   sf_act_backward (float *dinp, const float *dout, const float *out, gsize n, SfAct act);

/* Bias, activation and max-pool in one pass, for the output of a convolution.
 * Plane (i, c) of y [n images × C channels, H×W each] starts at
 * y + i·image_stride + c·channel_stride (NCHW: C·H·W and H·W; a conv chunk:
 * H·W and n·H·W). out[n, C, H/P, W/P] (NCHW, floor) = maxpool_P(act(y + bias));
 * argmax[n, C, H/P, W/P] = the position of the max in its P×P window,
 * row-major. P = 1: no pooling, out[n, C, H, W], argmax unused (may be NULL).
 * bias may be NULL. P ≤ 15. */
void   sf_bias_act_pool_forward  (float *out, guint8 *argmax, const float *y, gsize image_stride,
                                  gsize channel_stride, const float *bias, int n, int C, int H, int W,
                                  SfAct act, int P);
/* dy (laid out as y) = gradient through the above, zero off the argmax
 * positions; dbias[C] += (may be NULL). */
void   sf_bias_act_pool_backward (float *dy, float *dbias, const float *dout, const float *out,
                                  const guint8 *argmax, gsize image_stride, gsize channel_stride, int n, int C,
                                  int H, int W, SfAct act, int P);

/* One H×W plane: out/argmax[H/2, W/2] = the 2×2 max-pool of act(x·scale +
 * shift) as sf_batchnorm_pool_forward computes it, and at = x at each
 * window's maximum. */
void   sf_pool2_plane_forward    (float *out, guint8 *argmax, float *at, const float *x, int H, int W, float scale,
                                  float shift, SfAct act);

/* full[H, W] = dout·act'(out) at each 2×2 window's argmax, 0 elsewhere: the
 * gradient the pool and activation pass back to the full-size plane. */
void   sf_pool2_plane_gradient   (float *full, const float *dout, const float *out, const guint8 *argmax, int H,
                                  int W, SfAct act);

/* Inverted dropout: keep element i with probability 1 - p, drawn from seed
 * alone, as bit i of mask (bit i % 8 of byte i / 8); out[n] = inp[n] / (1 - p)
 * where kept, 0 elsewhere. 0 ≤ p < 1. mask holds sf_dropout_mask_size (n)
 * bytes, whole 64-bit words: one bit an element rather than a byte took 21
 * MiB off the article network's training memory. */
gsize  sf_dropout_mask_size (gsize n);
void   sf_dropout_forward  (float *out, guint8 *mask, const float *inp, gsize n, float p, guint64 seed);
void   sf_dropout_backward (float *dinp, const float *dout, const guint8 *mask, gsize n, float p);

/* Global average pooling: out[N, C] = mean of inp[N, C, S] over S. */
void   sf_avgpool_forward  (float *out, const float *inp, int N, int C, int S);
void   sf_avgpool_backward (float *dinp, const float *dout, int N, int C, int S);

/* Average pooling over K×K windows at stride K (nn.AvgPool2d(K)):
 * out[N, C, H/K, W/K] (floor) = the mean of each window of inp[N, C, H, W]. */
void   sf_avgpool_window_forward  (float *out, const float *inp, int N, int C, int H, int W, int K);
/* dinp[N, C, H, W] = dout shared evenly over each window; 0 where the floor drops rows or columns. */
void   sf_avgpool_window_backward (float *dinp, const float *dout, int N, int C, int H, int W, int K);

/* Squeeze-and-excitation (spec token se) over inp[N, C, S], R hidden units:
 * squeeze[N, C] = the mean of each channel; hidden[N, R] = ReLU(squeeze ·
 * w1[R, C]ᵀ + b1); gate[N, C] = σ(hidden · w2[C, R]ᵀ + b2); out[N, C, S] =
 * inp · gate of its channel. The two small GEMMs are sf_dense_forward's. */
void   sf_squeeze_excite_forward      (float *out, float *squeeze, float *hidden, float *gate, const float *inp,
                                       const float *w1, const float *b1, const float *w2, const float *b2, int N,
                                       int C, int S, int R);
/* dinp[N, C, S] = (may be NULL); dw1, db1, dw2, db2 +=; scratch: N·(2C + R) floats. */
void   sf_squeeze_excite_backward     (float *dinp, float *dw1, float *db1, float *dw2, float *db2,
                                       const float *dout, const float *inp, const float *squeeze, const float *hidden,
                                       const float *gate, const float *w1, const float *w2, int N, int C, int S,
                                       int R, float *scratch);
/* Reference twins (tests only): the same with sf_dense_*_ref. */
void   sf_squeeze_excite_forward_ref  (float *out, float *squeeze, float *hidden, float *gate, const float *inp,
                                       const float *w1, const float *b1, const float *w2, const float *b2, int N,
                                       int C, int S, int R);
void   sf_squeeze_excite_backward_ref (float *dinp, float *dw1, float *db1, float *dw2, float *db2,
                                       const float *dout, const float *inp, const float *squeeze, const float *hidden,
                                       const float *gate, const float *w1, const float *w2, int N, int C, int S,
                                       int R, float *scratch);

/* L2 normalisation of each row of inp[N, C] (torch.nn.functional.normalize,
 * dim 1): out = inp / max(‖inp‖, SF_L2NORM_EPS); out may equal inp. */
#define SF_L2NORM_EPS 1e-12f
void   sf_l2norm_forward   (float *out, const float *inp, int N, int C);
/* dinp[N, C] = (dout - out·⟨out, dout⟩) / max(‖inp‖, ε), from out and inp. */
void   sf_l2norm_backward  (float *dinp, const float *dout, const float *out, const float *inp, int N, int C);

/* Dense: out[N, OC] = inp[N, C] · weight[OC, C]ᵀ + bias[OC] (cblas_sgemm). */
void   sf_dense_forward      (float *out, const float *inp, const float *weight, const float *bias, int N, int C,
                              int OC);
/* dinp[N, C] = (may be NULL), dweight[OC, C] +=, dbias[OC] +=. */
void   sf_dense_backward     (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                              const float *weight, int N, int C, int OC);
/* Reference twins (tests only): loops in double. */
void   sf_dense_forward_ref  (float *out, const float *inp, const float *weight, const float *bias, int N, int C,
                              int OC);
void   sf_dense_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                              const float *weight, int N, int C, int OC);

G_END_DECLS
