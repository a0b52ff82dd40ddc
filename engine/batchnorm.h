/* Batch normalisation over NCHW float32 (or flat [N, C]) with its activation
 * fused, and optionally the max-pool after it, for channels c0 ≤ c < c1 so
 * threads can split the channels; and the training statistics the fused first
 * block (first-block.h) shares. Conventions as in layers.h. */
#pragma once

#include <glib.h>

#include "layers.h"

G_BEGIN_DECLS

/* Batch normalisation as in PyTorch: y = γ (x - μ) / √(σ² + ε) + β with the
 * batch's μ and biased σ² in training, the running ones in evaluation; the
 * running statistics move by momentum 0.1 towards the batch's μ and its
 * unbiased σ². ε = 1e-5 is PyTorch's default, so a checkpoint's BatchNorm
 * layers behave the same in torch.nn.BatchNorm2d() as built by default. */
#define SF_BN_EPS 1e-5f
#define SF_BN_MOMENTUM 0.1f

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
void   sf_batchnorm_pool_backward (float *dinp, float *dgamma, float *dbeta, const float *dout, const float *out,
                                   const guint8 *argmax, const float *inp, const float *mean, const float *invstd,
                                   const float *gamma, int N, int C, int H, int W, SfAct act, int P, int c0, int c1);

/* Training batch norm's statistics of one channel: *mean = mu and *invstd
 * from the count values whose squared deviations from mu sum to sq; the
 * running mean and variance (unbiased) move toward them by SF_BN_MOMENTUM.
 * Returns *invstd. */
float  sf_batchnorm_take_statistics (float mu, double sq, double count, float *mean, float *invstd,
                                     float *running_mean, float *running_var);

/* The mean of channel c of inp[N, C, S] and *sq = Σ (x - mean)² over it, in
 * one pass, as training batch norm takes them. */
void   sf_batchnorm_moments      (const float *inp, int N, int C, int S, int c, float *mean, double *sq);

/* *sum += Σ (x[i] - shift), *sum_sq += Σ (x[i] - shift)², in one pass. */
void   sf_shifted_sums           (const float *x, gsize n, float shift, double *sum, double *sum_sq);

G_END_DECLS
