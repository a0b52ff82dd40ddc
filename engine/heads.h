/* The Siamese heads: the distance of two embeddings, the bce and contrastive
 * heads on it, and the losses over every pair of a batch's embeddings.
 * Conventions as in layers.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The distance clamp of the article: d = √max(Σ (a - b)², 1e-7). */
#define SF_DISTANCE_MIN_SQUARE 1e-7f

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
