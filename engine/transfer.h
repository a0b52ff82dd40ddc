/* Fine-tuning (transfer learning): a model starts from another's weights,
 * which must be of the same tower, and may keep its first layers fixed.
 *
 * A layer here is a spec token (a block is one), numbered from 1 as the
 * Model view lists them: in the compact spec "conv16k3-bn-relu pool2 ..."
 * layer 1 is the convolution with its batch norm and ReLU, layer 2 the pool.
 * Freezing n layers keeps every tensor of the first n tokens as it is: the
 * weights and biases, and batch norm's running statistics too, because those
 * layers run in training as in evaluation (on the running statistics, without
 * dropout), so the features they hand on are the ones the model started with. */
#pragma once

#include "model.h"

G_BEGIN_DECLS

/* The layers (spec tokens) of a tower. */
int          sf_tower_n_layers          (const SfTower *tower);
/* Layer `layer`'s token as the spec writes it (0-based; NULL past the end). */
char        *sf_tower_layer_text        (const SfTower *tower, int layer);

/* TRUE when to can take from's weights: the same input size and the same
 * layers. Otherwise SF_ERROR_INVALID naming the first difference, e.g.
 * "layer 3: the model file has conv256k5, the spec asks for conv128k5". */
gboolean     sf_transfer_check          (const SfModel *from, const SfModel *to, GError **error);
/* Copies from's tower tensors into to (after sf_transfer_check) and, when
 * both have the bce head, the head's; with different heads to keeps its own
 * fresh head: the tower is what transfers. */
gboolean     sf_transfer_weights        (SfModel *to, const SfModel *from, GError **error);

/* Keeps the first n_layers layers of model fixed in training (see above): they
 * are no longer trainable (sf_model_trainable, sf_model_n_trainable), and
 * backpropagation stops at the first layer with parameters after them. 0
 * trains every layer again. FALSE when n_layers is past the tower's layers.
 * Copies of the model (sf_model_copy) are not frozen. */
gboolean     sf_model_freeze_layers     (SfModel *model, int n_layers, GError **error);
int          sf_model_get_frozen_layers (const SfModel *model);

G_END_DECLS
