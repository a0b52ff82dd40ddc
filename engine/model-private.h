/* What the files of the model share (private to engine/): the stages a
 * tower runs as, the model's fields, and the functions the files call across.
 * model-params.c holds the parameter table, model-plan.c the stages and
 * buffers, model-run.c runs them, model.c holds the public passes. */
#pragma once

#include "conv.h"
#include "first-block.h"
#include "layers.h"
#include "model.h"

G_BEGIN_DECLS

typedef enum {
  STAGE_CONV,       /* conv [+ activation] [+ max-pool] */
  STAGE_BATCHNORM,  /* batch norm [+ activation] [+ max-pool] */
  STAGE_DENSE,      /* dense [+ activation] */
  STAGE_ACT,
  STAGE_POOL,
  STAGE_DROPOUT,
  STAGE_AVGPOOL,
  STAGE_L2NORM,
} StageKind;

typedef struct {
  SfConv conv;
  int pool;            /* window of the fused max-pool; 1 for none */
  int chunk;           /* images per chunk */
  float *cache;        /* Winograd weight transform */
  float *dacc;         /* [n_groups, dacc_stride]: weight gradient, then the OC bias gradients */
  gsize dacc_size;     /* floats of the weight part */
  gsize dacc_stride;
  /* Fused with the batch-norm stage after it (first-block.h): this stage
   * computes nothing itself and has no output buffer. */
  gboolean first_block;
  SfFirstBlockSums **sums;   /* [n_groups] */
} ConvStage;

typedef struct {
  float *mean;         /* [C] of the last training forward */
  float *invstd;       /* [C] */
  int pool;            /* window of the fused max-pool; 1 for none */
  float *at_max;       /* after a first block: [capacity, out_size] the values before the norm at the maxima */
} BatchNormStage;

typedef struct {
  int size;
} PoolStage;

typedef struct {
  float rate;
} DropoutStage;

typedef struct {
  StageKind kind;
  int op;              /* the tower op it starts at */
  SfShape in, out;
  gsize in_size, out_size;    /* floats per image */
  SfAct act;                  /* fused (conv, batch norm, dense) or the stage's own (act) */
  gsize weight, bias;         /* parameter offsets: conv, dense; batch norm γ, β */
  gsize running_mean, running_var;
  float *out_buf;             /* [capacity, out_size] */
  guint8 *aux;                /* argmax or dropout mask, [capacity, out_size] */
  const float *y;             /* the output of the last forward */
  union {
    ConvStage conv;
    BatchNormStage bn;
    PoolStage pool;
    DropoutStage drop;
  } u;
} Stage;

struct _SfModel {
  SfTower *tower;
  SfHeadKind head;
  float margin;
  float temperature;         /* > 0 during sf_model_train_batch_all_pairs with the softmax loss */
  guint64 seed;
  gint64 steps;

  SfTensorInfo *tensors;
  int n_tensors;
  gsize n_params;
  gsize n_trainable;
  float *params;
  float *grads;
  guint8 *trainable;
  gsize head_weight, head_bias;

  Stage *stages;
  int n_stages;
  int first_param_stage;     /* stages before it have no parameters: no gradient flows into them */
  gboolean has_batchnorm;
  gboolean fuse_first_block; /* sf_model_set_fused_first_block: fuse it where it fits */
  guint64 first_block_passes;  /* forward passes through the fused first block */
  int n_workers;
  int n_groups;              /* weight-gradient accumulators per conv stage */
  gsize stages_workspace;    /* floats per worker the stages need without a first block */
  gsize workspace_stride;    /* floats per worker */
  gsize max_size;            /* the largest per-image tensor, floats */

  /* Sized for `capacity` images. */
  int capacity;
  float *input;              /* [capacity, size²] */
  float *grad_buf[2];        /* [capacity, max_size] */
  float *workspace;          /* [n_workers, workspace_stride] */
  float *dist, *ddist, *scores;  /* [capacity / 2] */
};

static inline gboolean
_sf_model_after_first_block (const SfModel *model, int s)
{
  return s > 0 && model->stages[s - 1].kind == STAGE_CONV && model->stages[s - 1].u.conv.first_block;
}

/* model-params.c */
/* The tensor table and the parameter, gradient and trainable buffers. */
gboolean       _sf_model_build_params     (SfModel *model, GError **error);
/* The offset of tensor `suffix` ("weight", "running_mean", ...) of tower op `op`. */
gsize          _sf_model_tensor_offset    (const SfModel *model, int op, const char *suffix);
/* The article's initialisation from seed (Glorot-uniform weights, zero biases). */
void           _sf_model_initialise       (SfModel *model, guint64 seed);

/* model-plan.c */
/* The stages of the tower and their own memory (not the batch buffers). */
gboolean       _sf_model_plan_stages      (SfModel *model, GError **error);
void           _sf_model_free_stages      (SfModel *model);
/* Buffers for n images (2 per pair). */
gboolean       _sf_model_ensure_capacity  (SfModel *model, int n, GError **error);
void           _sf_model_free_buffers     (SfModel *model);

/* model-run.c */
/* The Winograd weight transforms, once per call: the weights do not change within one. */
void           _sf_model_prepare_weights  (SfModel *model);
/* Runs the tower on input[n, size²]; returns the embeddings [n, D]. */
const float   *_sf_model_forward          (SfModel *model, int n, gboolean training, SfRng *rng);
/* From dembed = grad_buf[0] [n, D], accumulates every parameter gradient. */
void           _sf_model_backward         (SfModel *model, int n);

G_END_DECLS
