/* The join of a residual block (spec token res): the batch norm that ends
 * its main branch, the shortcut — the block's input, or the batch norm of its
 * 1×1 projection — their sum and the ReLU after it, in one pass per channel,
 * so neither normalised branch is stored. Channels c0 ≤ c < c1 so threads can
 * split them; conventions as in batchnorm.h (statistics, momentum, ε). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One batch norm of the join. */
typedef struct {
  const float *x;                       /* [N, C, S] the values it normalises */
  const float *gamma, *beta;            /* [C] */
  float *running_mean, *running_var;    /* [C] */
  float *mean, *invstd;                 /* [C] the batch's, of the last training pass */
} SfJoinNorm;

/* out[N, C, S] = ReLU(bn(main) + shortcut), where the shortcut is
 * bn(projection), or identity[N, C, S] when projection is NULL. training: the
 * batch's statistics (saved, running ones updated); otherwise the running
 * ones. N·S ≥ 2 in training. */
void  sf_residual_join_forward  (float *out, const SfJoinNorm *main, const SfJoinNorm *projection,
                                 const float *identity, int N, int C, int S, gboolean training, int c0, int c1);

/* Through the join in training mode, from dout and out: dmain[N, C, S] = the
 * gradient of main->x; dshortcut = that of projection->x, or with the
 * identity shortcut of the identity (NULL: not wanted); dgamma, dbeta [C] of
 * main (and of projection, when not NULL) +=. */
void  sf_residual_join_backward (float *dmain, float *dshortcut, float *dgamma, float *dbeta, float *dgamma_projection,
                                 float *dbeta_projection, const float *dout, const float *out, const SfJoinNorm *main,
                                 const SfJoinNorm *projection, int N, int C, int S, int c0, int c1);

G_END_DECLS
