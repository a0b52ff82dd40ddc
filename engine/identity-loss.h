/* Identity-aware losses over the training people: each person is a class
 * with a learnt direction (a row of W), and an embedding on the unit sphere
 * is pulled towards its person's direction and away from the others', with
 * a margin. Scoring stays a pair score (the distance of two embeddings), so
 * W is the trainer's, never part of the model. Conventions as in layers.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SF_IDENTITY_LOSS_NONE,     /* the pair losses only */
  SF_IDENTITY_LOSS_ARCFACE,  /* additive angular margin, s·cos(θ + m) (Deng et al. 2019) */
  SF_IDENTITY_LOSS_COSFACE,  /* large-margin cosine, s·(cos θ - m) (Wang et al. 2018) */
} SfIdentityLoss;

/* "pairs" (none), "arcface", "cosface". */
const char *sf_identity_loss_name           (SfIdentityLoss loss);
gboolean    sf_identity_loss_parse          (const char *name, SfIdentityLoss *loss);
/* The literature's defaults: s = 30 for both (on our 30 identities
 * docs/PERFORMANCE.md measures smaller ones), m = 0.5 rad for ArcFace and
 * 0.35 for CosFace; 0 for none. */
float       sf_identity_loss_default_scale  (SfIdentityLoss loss);
float       sf_identity_loss_default_margin (SfIdentityLoss loss);

/* The loss of N embeddings e[N, D] (unit length: a tower ending with l2norm)
 * of people classes[N] in [0, C), against the class directions W[C, D]
 * (any non-zero rows; normalised here, ŵ_j = w_j / |w_j|). With
 * c_ij = ŵ_j · e_i, the logits are z_ij = s·c_ij for j ≠ y_i and
 * z_iy = s·ψ(c_iy), where ψ(c) = cos(θ + m) (θ = acos c) for ArcFace, as
 * long as θ + m ≤ π, and c - m·sin m beyond, where cos(θ + m) would turn back
 * up (the usual guard, so ψ keeps falling with θ); ψ(c) = c - m for CosFace.
 * Returns the mean over i of the cross-entropy -log softmax(z_i)[y_i];
 * writes de[N, D] = scale × its gradient, and adds scale × its gradient to
 * dW[C, D]. (The gradient along e_i itself is left in: the l2norm layer's
 * backward takes it out.) */
double      sf_identity_loss_forward_backward (float *de, float *dW, const float *e, const int *classes,
                                               const float *W, int N, int D, int C, SfIdentityLoss loss,
                                               float s, float m, float scale);

G_END_DECLS
