/* The network's layers other than convolution (see conv.h), as plain
 * functions over NCHW float32 buffers: outputs first, shapes in comments.
 * Parameter gradients accumulate (+=) so the two Siamese branches and the
 * chunks of a batch add up after one zeroing per step; input gradients are
 * written (=). Dense, the only other BLAS kernel, keeps a reference twin. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Batch normalisation as in PyTorch: y = γ (x - μ) / √(σ² + ε) + β with the
 * batch's μ and biased σ² in training, the running ones in evaluation; the
 * running statistics move by momentum 0.1 towards the batch's μ and its
 * unbiased σ². ε = 1e-5 is PyTorch's default, so a checkpoint's BatchNorm
 * layers behave the same in torch.nn.BatchNorm2d() as built by default. */
#define SF_BN_EPS 1e-5f
#define SF_BN_MOMENTUM 0.1f

/* The distance clamp of the article: d = √max(Σ (a - b)², 1e-7). */
#define SF_DISTANCE_MIN_SQUARE 1e-7f

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

/* Batch normalisation over inp[N, C, S] (S = H·W; S = 1 after a dense layer),
 * with act applied to its output, for channels c0 ≤ c < c1 (so threads can
 * split the channels). Training saves mean[C] and invstd[C] = 1/√(σ² + ε) and
 * updates running_mean[C], running_var[C]. N·S ≥ 2. */
void   sf_batchnorm_forward_train (float *out, float *mean, float *invstd, float *running_mean,
                                   float *running_var, const float *inp, const float *gamma, const float *beta,
                                   int N, int C, int S, SfAct act, int c0, int c1);
void   sf_batchnorm_forward_eval  (float *out, const float *inp, const float *gamma, const float *beta,
                                   const float *running_mean, const float *running_var, int N, int C, int S,
                                   SfAct act, int c0, int c1);
/* dinp[N,C,S] =, dgamma[C] +=, dbeta[C] += through act and training-mode BN. */
void   sf_batchnorm_backward      (float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                   const float *inp, const float *mean, const float *invstd, const float *gamma,
                                   int N, int C, int S, SfAct act, int c0, int c1);

/* Batch norm, act and a P×P max-pool in one pass over inp[N, C, H, W] (as
 * sf_batchnorm_forward_* then sf_bias_act_pool_forward without bias), so the
 * full-size normalised tensor is never stored: out[N, C, H/P, W/P] and
 * argmax. training: the batch's statistics (saved, running ones updated);
 * otherwise the running ones (mean, invstd unused). */
void   sf_batchnorm_pool_forward  (float *out, guint8 *argmax, float *mean, float *invstd, float *running_mean,
                                   float *running_var, const float *inp, const float *gamma, const float *beta,
                                   int N, int C, int H, int W, SfAct act, int P, gboolean training, int c0, int c1);
/* dinp[N, C, H, W] =, dgamma[C] +=, dbeta[C] += through the above in training mode. */
/* One H×W plane: out/argmax[H/2, W/2] = the 2×2 max-pool of act(x·scale +
 * shift) as sf_batchnorm_pool_forward computes it, and at = x at each
 * window's maximum. */
void   sf_pool2_plane_forward    (float *out, guint8 *argmax, float *at, const float *x, int H, int W, float scale,
                                  float shift, SfAct act);

/* full[H, W] = dout·act'(out) at each 2×2 window's argmax, 0 elsewhere: the
 * gradient the pool and activation pass back to the full-size plane. */
void   sf_pool2_plane_gradient   (float *full, const float *dout, const float *out, const guint8 *argmax, int H,
                                  int W, SfAct act);

/* Training batch norm's statistics of one channel: *mean = mu and *invstd
 * from the count values whose squared deviations from mu sum to sq; the
 * running mean and variance (unbiased) move toward them by SF_BN_MOMENTUM.
 * Returns *invstd. */
float  sf_batchnorm_take_statistics (float mu, double sq, double count, float *mean, float *invstd,
                                     float *running_mean, float *running_var);

/* *sum += Σ (x[i] - shift), *sum_sq += Σ (x[i] - shift)², in one pass. */
void   sf_shifted_sums           (const float *x, gsize n, float shift, double *sum, double *sum_sq);

void   sf_batchnorm_pool_backward (float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                   const guint8 *argmax, const float *inp, const float *mean, const float *invstd,
                                   const float *gamma, int N, int C, int H, int W, SfAct act, int P, int c0, int c1);

/* Inverted dropout: mask[n] ∈ {0, 1}, 1 with probability 1 - p, drawn from
 * seed alone; out[n] = inp[n] · mask[n] / (1 - p). 0 ≤ p < 1. */
void   sf_dropout_forward  (float *out, guint8 *mask, const float *inp, gsize n, float p, guint64 seed);
void   sf_dropout_backward (float *dinp, const float *dout, const guint8 *mask, gsize n, float p);

/* Global average pooling: out[N, C] = mean of inp[N, C, S] over S. */
void   sf_avgpool_forward  (float *out, const float *inp, int N, int C, int S);
void   sf_avgpool_backward (float *dinp, const float *dout, int N, int C, int S);

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

/* dist[N] = √max(Σ_j (ea[k, j] - eb[k, j])², 1e-7) for embeddings ea, eb [N, D]. */
void   sf_distance_forward  (float *dist, const float *ea, const float *eb, int N, int D);
/* dea[N, D] = ddist · ∂dist/∂ea and deb = -dea; zero where the clamp holds. */
void   sf_distance_backward (float *dea, float *deb, const float *ddist, const float *ea, const float *eb, int N,
                             int D);

/* The heads. targets[N]: 1 for a pair of the same person, 0 otherwise.
 *
 * bce (the article): z = w·d + b, score = σ(z), loss_k = -[y log σ(z) +
 * (1 - y) log(1 - σ(z))], computed as softplus(z) - y·z (exact, no clipping).
 *
 * contrastive (Hadsell, Chopra, LeCun 2006): loss_k = y·d² + (1 - y)·max(m - d, 0)²,
 * without the ½ factors of the paper (the convention of the Keras Siamese
 * example); score = 1 / (1 + (2d/m)²), strictly decreasing in d: 1 for equal
 * embeddings, ½ at d = m/2 (midway between where the loss pulls same pairs and
 * pushes different ones), ⅕ at the margin.
 *
 * Forward writes scores[N] and returns Σ_k loss_k (NAN if targets is NULL).
 * Backward writes ddist[N] = scale · ∂(Σ_k loss_k)/∂d (scale = 1/batch for a
 * mean) and, for bce, dw += and db += the same for w and b. */
double sf_bce_head_forward          (float *scores, const float *dist, const float *targets, float w, float b,
                                     int N);
void   sf_bce_head_backward         (float *ddist, float *dw, float *db, const float *dist, const float *targets,
                                     float w, float b, int N, float scale);
double sf_contrastive_head_forward  (float *scores, const float *dist, const float *targets, float margin, int N);
void   sf_contrastive_head_backward (float *ddist, const float *dist, const float *targets, float margin, int N,
                                     float scale);
float  sf_contrastive_score         (float d, float margin);
/* The contrastive loss over every pair (i < j) of the N embeddings e[N, D],
 * same person where labels agree: the mean of d² over the same pairs plus the
 * mean of max(margin - d, 0)² over the different pairs closer than the margin
 * (the ones that still teach something). de[N, D] = scale × its gradient.
 * Returns the loss (0 when no pair counts). */
double sf_all_pairs_contrastive     (float *de, const float *e, const int *labels, int N, int D, float margin,
                                     float scale);
/* The softmax (NCA, Goldberger et al. 2004) loss over every pair of the N
 * embeddings e[N, D]: each embedding i with another of its person (labels
 * agree) is an anchor; p_ij = exp(-d²_ij / T) / Σ_(k≠i) exp(-d²_ik / T), and
 * the loss is the mean over the anchors of -log Σ_(j same as i) p_ij: every
 * other face of the batch competes, the closest strangers most. Meant for
 * embeddings on the unit sphere (a tower ending with l2norm), where d² ≤ 4;
 * T, the temperature, > 0. de[N, D] = scale × its gradient. Returns the loss
 * (0 when there is no anchor). */
double sf_all_pairs_softmax         (float *de, const float *e, const int *labels, int N, int D, float temperature,
                                     float scale);

G_END_DECLS
