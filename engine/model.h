/* The Siamese model: one tower (see spec.h) applied with shared weights to
 * both images of a pair, the Euclidean distance of the two embeddings, and a
 * head. All parameters live in one contiguous float buffer described by a
 * table of named tensors laid out as in PyTorch, gradients in a second buffer
 * of the same layout; the optimizer (the trainer's) steps over both.
 *
 * The tower runs on the 2n images of a batch at once (a's then b's), so the
 * GEMMs are large and batch norm sees one batch. Work is spread over the
 * threads of parallel.h; weight gradients are summed in a fixed order, so the
 * same seed gives the same bits on a given machine.
 *
 * A model is not thread-safe: use it from one thread at a time (copy it for
 * another thread, e.g. a UI snapshot). */
#pragma once

#include <glib.h>

#include "rng.h"
#include "spec.h"

G_BEGIN_DECLS

typedef enum {
  SF_HEAD_BCE,          /* Dense(1, sigmoid) on the distance, binary cross-entropy (the article) */
  SF_HEAD_CONTRASTIVE,  /* contrastive loss with a margin (Hadsell, Chopra, LeCun 2006) */
} SfHeadKind;

/* "bce" or "contrastive". */
const char *sf_head_kind_name  (SfHeadKind kind);
gboolean    sf_head_kind_parse (const char *name, SfHeadKind *kind);

/* One tensor of the parameter buffer, named and shaped as in the PyTorch
 * module the model corresponds to:
 *
 *   tower.<i>.weight  conv [out, in, kh, kw], dense [out, in], batch norm γ [c]
 *   tower.<i>.bias    [out] / batch norm β [c]
 *   tower.<i>.running_mean, tower.<i>.running_var   [c], not trainable (buffers)
 *   tower.<i>.<part>.weight, ...     inside a block, the same for each of its
 *                                    parts (SfOpPart.name: conv1, bn1, conv2,
 *                                    bn2, shortcut.0, shortcut.1; depthwise,
 *                                    bn1, pointwise, bn2; fc1, fc2), whose
 *                                    convolutions have no bias
 *   head.weight [1, 1], head.bias [1]               bce head only
 *
 * where <i> is the module's index in the nn.Sequential of sf_tower_to_python().
 * PyTorch's BatchNorm also has num_batches_tracked (int64, []): it equals
 * sf_model_get_train_steps(), and PyTorch fills it in if a checkpoint omits it. */
typedef struct {
  const char *name;
  int rank;
  int shape[4];
  gsize offset;        /* in floats, into sf_model_params() and sf_model_grads() */
  gsize size;          /* floats */
  gboolean trainable;
  int op;              /* index of the tower op, -1 for the head */
} SfTensorInfo;

typedef struct _SfModel SfModel;

/* Builds the model for spec (a tower spec, or the name of a preset) and
 * initialises it from seed as the article does: Glorot-uniform weights, zero
 * biases; batch norm γ = 1, β = 0, running mean 0 and variance 1. margin is
 * used by the contrastive head only (> 0). input_size: the side of the square
 * grey input images. */
SfModel            *sf_model_new              (const char *spec, SfHeadKind head, float margin, int input_size,
                                               guint64 seed, GError **error);
void                sf_model_free             (SfModel *model);
/* A deep copy of the architecture, parameters and step count (not gradients
 * or scratch memory), for another thread; NULL if memory runs out. */
SfModel            *sf_model_copy             (const SfModel *model);
/* Copies src's parameters and step count into dst, of the same architecture
 * (FALSE otherwise): refreshing a snapshot without allocating. */
gboolean            sf_model_copy_params      (SfModel *dst, const SfModel *src);

const SfTower      *sf_model_get_tower        (const SfModel *model);
const char         *sf_model_get_spec         (const SfModel *model);
SfHeadKind          sf_model_get_head         (const SfModel *model);
float               sf_model_get_margin       (const SfModel *model);
int                 sf_model_get_input_size   (const SfModel *model);
int                 sf_model_get_embedding_size (const SfModel *model);
/* Training steps taken (sf_model_train_batch calls); settable for checkpoints. */
gint64              sf_model_get_train_steps  (const SfModel *model);
void                sf_model_set_train_steps  (SfModel *model, gint64 steps);

/* The parameter buffer: every tensor of the table, back to back, in table
 * order; grads has the same layout (zero where not trainable); trainable[i]
 * is 1 where params[i] is trainable, 0 for batch norm running statistics. */
gsize               sf_model_n_params         (const SfModel *model);
float              *sf_model_params           (SfModel *model);
float              *sf_model_grads            (SfModel *model);
const guint8       *sf_model_trainable        (const SfModel *model);
/* Trainable floats only (what Keras calls trainable parameters). */
gsize               sf_model_n_trainable      (const SfModel *model);

int                 sf_model_n_tensors        (const SfModel *model);
const SfTensorInfo *sf_model_tensor           (const SfModel *model, int index);
const SfTensorInfo *sf_model_find_tensor      (const SfModel *model, const char *name);

/* One training step's gradients: zeroes the gradients, runs the n pairs
 * (images_a[k], images_b[k]) [n, size, size] with targets[k] = 1 for the same
 * person, 0 otherwise, in training mode (dropout on, batch norm on the batch's
 * statistics, running statistics updated), and leaves in grads the gradient
 * of the mean loss over the pairs. Writes scores[n] (may be NULL) and the mean
 * loss. rng draws the dropout masks. Towers without batch norm run in groups
 * of 64 pairs, so memory stays bounded for any batch size; the result is the
 * same as in one piece. */
gboolean            sf_model_train_batch      (SfModel *model, const float *images_a, const float *images_b,
                                               const float *targets, int n, SfRng *rng, float *scores,
                                               double *loss, GError **error);
/* As sf_model_train_batch, but with the contrastive head the loss covers
 * every pair of the 2n images (of each group), same person where the labels
 * agree (labels_a[n], labels_b[n]): sf_all_pairs_contrastive with the
 * model's margin when temperature is 0, sf_all_pairs_softmax at that
 * temperature when it is > 0 and the tower ends with l2norm (see layers.h;
 * other towers get the contrastive loss). scores are still those of the n
 * drawn pairs; loss is the all-pairs loss. With the bce head it is
 * sf_model_train_batch. */
gboolean            sf_model_train_batch_all_pairs (SfModel *model, const float *images_a, const float *images_b,
                                                    const float *targets, const int *labels_a, const int *labels_b,
                                                    int n, float temperature, SfRng *rng, float *scores, double *loss,
                                                    GError **error);
/* A loss on embeddings that its caller computes: writes dembed[n, D] =
 * scale × the gradient of its mean over images [first, first + n) of the
 * batch, and returns that mean. */
typedef double    (*SfEmbeddingLossFunc)      (float *dembed, const float *embeddings, int first, int n, float scale,
                                               gpointer user_data);
/* One training step with such a loss (the trainer's ArcFace and CosFace,
 * identity-loss.h): zeroes the gradients, runs images[n] [n, size, size] in
 * training mode (in one piece when the tower has batch norm, in pieces of
 * 128 images otherwise), calls loss on each piece with scale = the piece's
 * share of the batch, and backpropagates what it returns into the tower's
 * gradients (the head gets none). Writes embeddings[n, D] (may be NULL) and
 * the mean loss. */
gboolean            sf_model_train_embeddings (SfModel *model, const float *images, int n, SfRng *rng,
                                               SfEmbeddingLossFunc loss, gpointer user_data, float *embeddings,
                                               double *mean_loss, GError **error);
/* Evaluation mode (no dropout, running statistics), in groups of 64 pairs:
 * scores[n] (may be NULL) and, if targets is not NULL and loss is not NULL,
 * the mean loss. */
gboolean            sf_model_evaluate_batch   (SfModel *model, const float *images_a, const float *images_b,
                                               const float *targets, int n, float *scores, double *loss,
                                               GError **error);
/* embeddings[n, embedding size] of images[n, size, size], evaluation mode. */
gboolean            sf_model_embed            (SfModel *model, const float *images, int n, float *embeddings,
                                               GError **error);

/* Test-time mirroring: embeddings[n, embedding size] = the mean of the
 * embeddings of each image and of its left-right mirror (evaluation mode),
 * scaled back to unit length when the tower ends with l2norm. Faces are
 * nearly symmetric and training flips them, so the mean is a steadier
 * embedding of the face: enrolment and identification (gallery.h) and
 * eval's rank-1 use it; pair scores (verification, the threshold) do not. */
gboolean            sf_model_embed_mirrored   (SfModel *model, const float *images, int n, float *embeddings,
                                               GError **error);

/* The distance of two embeddings, √max(Σ (a - b)², 1e-7), and the score in
 * [0, 1] the head gives that distance (bce: σ(w·d + b); contrastive:
 * 1 / (1 + (2d/m)²), see layers.h). Higher means more alike. */
float               sf_model_distance         (const SfModel *model, const float *embedding_a,
                                               const float *embedding_b);
float               sf_model_score_distance   (const SfModel *model, float distance);

/* The first block (first-block.h): where the tower starts with a 3×3
 * convolution of the grey image, batch norm, ReLU or no activation and a 2×2
 * max-pool, and the CPU has the direct convolution (AVX-512), those layers
 * run as one fused pass. On by default; FALSE runs them one by one, with the
 * same results up to rounding (the tests compare the two). Changing it drops
 * the batch buffers, which the next pass allocates again; copies keep it. */
void                sf_model_set_fused_first_block  (SfModel *model, gboolean fused);
/* TRUE when the model runs its first block fused: allowed above, and the
 * tower and the CPU fit. */
gboolean            sf_model_uses_fused_first_block (const SfModel *model);
/* Forward passes (training or evaluation) that went through the fused first
 * block since the model was made: which path ran. */
guint64             sf_model_get_first_block_passes (const SfModel *model);

/* The lowering each convolution runs as, one layer after another, e.g.
 * "conv96k11 im2col · conv256k5 Winograd F(2×2, 5×5) · conv16k3 direct
 * AVX-512": what the plan chose for this CPU and build. Free with g_free. */
char               *sf_model_describe_kernels (SfModel *model);

/* Python source rebuilding the model in PyTorch (tower and head). */
char               *sf_model_to_python        (const SfModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfModel, sf_model_free)

G_END_DECLS
