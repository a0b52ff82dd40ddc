/* What the files of the model share (private to engine/): the stages a
 * tower runs as, the model's fields, and the functions the files call across.
 * model-params.c holds the parameter table, model-plan.c the stages and
 * buffers, model-run.c runs them (model-blocks.c the stages of the blocks),
 * model.c holds the public passes. */
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
  STAGE_AVGPOOL_WINDOW,
  STAGE_DEPTHWISE,  /* a separable convolution's first half; its norms and pointwise conv are stages of their own */
  STAGE_SQUEEZE_EXCITE,
  STAGE_RESIDUAL,   /* a whole residual block */
} StageKind;

/* A parameter offset for a tensor that is not there (a convolution without bias). */
#define NO_TENSOR G_MAXSIZE

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

/* A batch norm inside a residual block. */
typedef struct {
  gsize weight, bias, running_mean, running_var;   /* parameter offsets */
  float *mean, *invstd;                             /* [C] of the last training forward */
} BlockNorm;

/* conv1 → bn1 → ReLU → conv2 → bn2, the shortcut (the input, or conv → bn),
 * then the sum and ReLU (residual.h). Planned in model-plan.c, run in
 * model-blocks.c. */
typedef struct {
  ConvStage conv1, conv2, shortcut;   /* shortcut: with a projection only */
  gsize weight1, weight2, weight_shortcut;
  BlockNorm bn1, bn2, bn_shortcut;
  gboolean projection;
  /* [capacity, out_size] each: conv1's output, after bn1 and ReLU, conv2's, the shortcut conv's */
  float *c1, *a1, *c2, *cs;
} ResidualStage;

typedef struct {
  int hidden;                   /* C / R */
  gsize w1, b1, w2, b2;         /* fc1, fc2 */
  float *squeeze, *gate;        /* [capacity, C] */
  float *hidden_out;            /* [capacity, hidden] */
  float *scratch;               /* [capacity, 2 C + hidden] */
} SqueezeExciteStage;

typedef struct {
  int kernel, stride;
} DepthwiseStage;

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
    PoolStage pool;        /* max-pool and average pool over windows */
    DropoutStage drop;
    DepthwiseStage dw;
    SqueezeExciteStage se;
    ResidualStage *res;
  } u;
} Stage;

/* Whether a stage has parameters of its own (where backpropagation can stop). */
static inline gboolean
sf_stage_has_params (const Stage *st)
{
  switch (st->kind)
    {
    case STAGE_CONV:
    case STAGE_BATCHNORM:
    case STAGE_DENSE:
    case STAGE_DEPTHWISE:
    case STAGE_SQUEEZE_EXCITE:
    case STAGE_RESIDUAL:
      return TRUE;
    default:
      return FALSE;
    }
}

/* One convolution over a batch of n images, NCHW in and out: a conv
 * stage's, or one inside a block. */
typedef struct {
  ConvStage *cs;
  const float *weight, *bias;  /* bias NULL: none */
  SfAct act;                   /* fused after it, then cs->pool */
  const float *x;              /* [n, in_size] */
  float *out;                  /* [n, out_size] */
  guint8 *aux;                 /* [n, out_size] argmax when cs->pool > 1 */
  gsize in_size, out_size;
} ConvCall;

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
  /* Fine-tuning (transfer.h): the first frozen_layers spec tokens keep their
   * weights. Stages before frozen_stages run as in evaluation (batch norm on
   * its running statistics, which stay as they are; no dropout); backward
   * stops at first_trained_stage, the first stage with parameters after them. */
  int frozen_layers;
  int frozen_stages;
  int first_trained_stage;
  gboolean has_batchnorm;
  gboolean fuse_first_block; /* sf_model_set_fused_first_block: fuse it where it fits */
  guint64 first_block_passes;  /* forward passes through the fused first block */
  int n_workers;
  int n_groups;              /* weight-gradient accumulators per conv stage */
  gsize stages_workspace;    /* floats per worker the stages need without a first block */
  gsize workspace_stride;    /* floats per worker */
  gsize max_size;            /* the largest per-image tensor, floats */
  float *dacc_pool;          /* every conv stage's dacc: one runs backward at a time */

  /* Sized for `capacity` images. */
  int capacity;
  float *input;              /* [capacity, size²] */
  float *grad_buf[2];        /* [capacity, max_size] */
  float *workspace;          /* [n_workers, workspace_stride] */
  float *block_grad[2];      /* [capacity, block_size]: gradients inside a residual block */
  gsize block_size;          /* floats per image of the largest residual block's output; 0 without one */
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
/* call's convolution of n images, over the thread team. */
void           _sf_model_conv_forward     (SfModel *model, const ConvCall *call, int n);
/* Through call's convolution from dy [n, out_size]: dx [n, in_size] = (NULL:
 * not wanted), dweight +=, dbias += (NULL: no bias). */
void           _sf_model_conv_backward    (SfModel *model, const ConvCall *call, int n, const float *dy, float *dx,
                                           float *dweight, float *dbias);
/* The channel tasks for C channels. */
int            _sf_model_channel_tasks    (const SfModel *model, int C);

/* model-blocks.c: the stages of the blocks (residual, depthwise,
 * squeeze-and-excitation) and of average pooling over windows. Stage s's
 * input x [n, in_size]; its output goes to its out_buf. */
void           _sf_model_block_forward    (SfModel *model, int s, const float *x, int n, gboolean training);
/* From dy (which it may overwrite): dx = (NULL for the first stage with
 * parameters), the parameters' gradients +=. */
void           _sf_model_block_backward   (SfModel *model, int s, const float *x, float *dy, float *dx, int n);

G_END_DECLS
