/* The Siamese model: tensor table, stages of fused layers, forward and
 * backward over a batch of pairs; see model.h. */
#include "model.h"

#include <math.h>
#include <string.h>

#include "batchnorm.h"
#include "conv.h"
#include "error.h"
#include "first-block.h"
#include "heads.h"
#include "layers.h"
#include "parallel.h"

/* Pairs per forward/backward piece when the tower has no batch norm. */
#define GROUP_PAIRS 64
/* Scratch per worker for one convolution chunk, and the most images per chunk:
 * small chunks keep the GEMM operands in cache. */
#define CHUNK_BUDGET_BYTES ((gsize) 16 << 20)
#define MAX_CHUNK 8
/* Images per task of the elementwise stages. */
#define IMAGE_BLOCK 4

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
  int n_workers;
  int n_groups;              /* weight-gradient accumulators per conv stage */
  gsize workspace_stride;    /* floats per worker */
  gsize max_size;            /* the largest per-image tensor, floats */

  /* Sized for `capacity` images. */
  int capacity;
  float *input;              /* [capacity, size²] */
  float *grad_buf[2];        /* [capacity, max_size] */
  float *workspace;          /* [n_workers, workspace_stride] */
  float *dist, *ddist, *scores;  /* [capacity / 2] */
};

/* ------------------------------------------------------------------------ */
/* Heads                                                                    */

static const char *head_names[] = { "bce", "contrastive" };

const char *
sf_head_kind_name (SfHeadKind kind)
{
  return (guint) kind < G_N_ELEMENTS (head_names) ? head_names[kind] : "unknown";
}

gboolean
sf_head_kind_parse (const char *name, SfHeadKind *kind)
{
  for (guint k = 0; name != NULL && k < G_N_ELEMENTS (head_names); k++)
    if (g_ascii_strcasecmp (name, head_names[k]) == 0)
      {
        *kind = (SfHeadKind) k;
        return TRUE;
      }
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Construction                                                             */

static gsize
shape_size (const SfShape *s)
{
  return (gsize) s->c * s->h * s->w;
}

static SfAct
act_of (const SfOp *op)
{
  switch (op->kind)
    {
    case SF_OP_RELU:
      return (SfAct) { SF_ACT_RELU, 0 };
    case SF_OP_LEAKY_RELU:
      return (SfAct) { SF_ACT_LEAKY_RELU, op->value };
    case SF_OP_ELU:
      return (SfAct) { SF_ACT_ELU, op->value };
    default:
      return (SfAct) { SF_ACT_NONE, 0 };
    }
}

static gboolean
is_act (const SfTower *tower, int k)
{
  return k < tower->n_ops && act_of (&tower->ops[k]).kind != SF_ACT_NONE;
}

static void
add_tensor (GArray *table, gsize *offset, int op, const char *suffix, gboolean trainable, int rank, int d0, int d1,
            int d2, int d3)
{
  SfTensorInfo t = { 0 };
  t.name = op >= 0 ? g_strdup_printf ("tower.%d.%s", op, suffix) : g_strdup_printf ("head.%s", suffix);
  t.rank = rank;
  int dims[4] = { d0, d1, d2, d3 };
  t.size = 1;
  for (int k = 0; k < rank; k++)
    {
      t.shape[k] = dims[k];
      t.size *= (gsize) dims[k];
    }
  t.offset = *offset;
  t.trainable = trainable;
  t.op = op;
  *offset += t.size;
  g_array_append_val (table, t);
}

static void
build_tensors (SfModel *model)
{
  GArray *table = g_array_new (FALSE, TRUE, sizeof (SfTensorInfo));
  gsize offset = 0;
  const SfTower *tower = model->tower;
  for (int k = 0; k < tower->n_ops; k++)
    {
      const SfOp *op = &tower->ops[k];
      int c = op->in.c;
      switch (op->kind)
        {
        case SF_OP_CONV:
          add_tensor (table, &offset, k, "weight", TRUE, 4, op->units, c, op->kernel, op->kernel);
          add_tensor (table, &offset, k, "bias", TRUE, 1, op->units, 0, 0, 0);
          break;
        case SF_OP_DENSE:
          add_tensor (table, &offset, k, "weight", TRUE, 2, op->units, c, 0, 0);
          add_tensor (table, &offset, k, "bias", TRUE, 1, op->units, 0, 0, 0);
          break;
        case SF_OP_BATCHNORM:
          add_tensor (table, &offset, k, "weight", TRUE, 1, c, 0, 0, 0);
          add_tensor (table, &offset, k, "bias", TRUE, 1, c, 0, 0, 0);
          add_tensor (table, &offset, k, "running_mean", FALSE, 1, c, 0, 0, 0);
          add_tensor (table, &offset, k, "running_var", FALSE, 1, c, 0, 0, 0);
          break;
        default:
          break;
        }
    }
  if (model->head == SF_HEAD_BCE)
    {
      add_tensor (table, &offset, -1, "weight", TRUE, 2, 1, 1, 0, 0);
      add_tensor (table, &offset, -1, "bias", TRUE, 1, 1, 0, 0, 0);
    }
  model->n_tensors = (int) table->len;
  model->tensors = (SfTensorInfo *) g_array_free (table, FALSE);
  model->n_params = offset;
}

/* The offset of tensor `suffix` of op k. */
static gsize
tensor_offset (const SfModel *model, int op, const char *suffix)
{
  for (int k = 0; k < model->n_tensors; k++)
    if (model->tensors[k].op == op && g_str_has_suffix (model->tensors[k].name, suffix)
        && model->tensors[k].name[strlen (model->tensors[k].name) - strlen (suffix) - 1] == '.')
      return model->tensors[k].offset;
  g_assert_not_reached ();
  return 0;
}

/* Glorot-uniform weights, zero biases, γ = 1, β = 0, running variance 1.
 * One exception: the bce head's weight takes the Glorot magnitude with a
 * negative sign, so a larger distance starts as a lower score. Started
 * positive, the head asks the tower to pull different people together;
 * measured on Olivetti, such runs (half the seeds) stay at chance for good. */
static void
initialise (SfModel *model, guint64 seed)
{
  SfRng rng;
  sf_rng_seed (&rng, seed ^ G_GUINT64_CONSTANT (0x77656967687473));   /* "weights" */
  memset (model->params, 0, sizeof (float) * model->n_params);
  for (int k = 0; k < model->n_tensors; k++)
    {
      const SfTensorInfo *t = &model->tensors[k];
      float *p = model->params + t->offset;
      if (g_str_has_suffix (t->name, ".weight") && t->rank >= 2)
        {
          /* fan_in = in·kh·kw, fan_out = out·kh·kw (Keras). */
          double receptive = t->rank == 4 ? (double) t->shape[2] * t->shape[3] : 1.0;
          double fan_in = t->shape[1] * receptive, fan_out = t->shape[0] * receptive;
          double limit = sqrt (6.0 / (fan_in + fan_out));
          for (gsize i = 0; i < t->size; i++)
            p[i] = (float) ((2.0 * sf_rng_uniform (&rng) - 1.0) * limit);
          if (t->op < 0)
            p[0] = -fabsf (p[0]);
        }
      else if (g_str_has_suffix (t->name, ".weight") || g_str_has_suffix (t->name, ".running_var"))
        for (gsize i = 0; i < t->size; i++)
          p[i] = 1.0f;
    }
}

/* The first stage with parameters as a first block (first-block.h) when it is
 * a lone convolution of the grey image that batch norm, ReLU and a 2×2 pool
 * follow, and the CPU runs the direct convolution. SF_NO_FIRST_BLOCK in the
 * environment keeps the layers apart (the tests compare the two). */
static void
fuse_first_block (SfModel *model, gsize *workspace)
{
  int s = model->first_param_stage;
  if (s + 1 >= model->n_stages || g_getenv ("SF_NO_FIRST_BLOCK") != NULL)
    return;
  Stage *conv = &model->stages[s], *bn = &model->stages[s + 1];
  if (conv->kind != STAGE_CONV || bn->kind != STAGE_BATCHNORM || conv->act.kind != SF_ACT_NONE
      || conv->u.conv.pool != 1 || !sf_first_block_fits (&conv->u.conv.conv, bn->act, bn->u.bn.pool))
    return;
  conv->u.conv.first_block = TRUE;
  conv->u.conv.sums = g_new0 (SfFirstBlockSums *, model->n_groups);
  for (int g = 0; g < model->n_groups; g++)
    conv->u.conv.sums[g] = sf_first_block_sums_new (conv->out.c);
  *workspace = MAX (*workspace, sf_first_block_scratch_size (&conv->u.conv.conv));
}

static gboolean
build_stages (SfModel *model, GError **error)
{
  const SfTower *tower = model->tower;
  GArray *stages = g_array_new (FALSE, TRUE, sizeof (Stage));
  gsize max_size = (gsize) tower->input_size * tower->input_size;
  gsize workspace = 0;
  gboolean ok = TRUE;
  for (int k = 0; k < tower->n_ops;)
    {
      const SfOp *op = &tower->ops[k];
      Stage st = { .op = k, .in = op->in, .act = { SF_ACT_NONE, 0 } };
      int last = k;
      switch (op->kind)
        {
        case SF_OP_CONV:
          {
            st.kind = STAGE_CONV;
            ConvStage *cs = &st.u.conv;
            SfConvShape shape = { op->in.c, op->in.h, op->in.w, op->units, op->kernel };
            sf_conv_init (&cs->conv, &shape, SF_CONV_AUTO);
            st.weight = tensor_offset (model, k, "weight");
            st.bias = tensor_offset (model, k, "bias");
            if (is_act (tower, last + 1))
              st.act = act_of (&tower->ops[++last]);
            cs->pool = 1;
            if (last + 1 < tower->n_ops && tower->ops[last + 1].kind == SF_OP_MAXPOOL)
              cs->pool = tower->ops[++last].kernel;
            gsize hw = (gsize) op->in.h * op->in.w;
            gsize per_image = sf_conv_workspace_size (&cs->conv, 1) + (gsize) op->units * hw;
            cs->chunk = (int) CLAMP (CHUNK_BUDGET_BYTES / (sizeof (float) * per_image), 1, MAX_CHUNK);
            workspace = MAX (workspace, per_image * cs->chunk);
            cs->cache = g_try_new (float, MAX (sf_conv_cache_size (&cs->conv), 1));
            cs->dacc_size = sf_conv_dacc_size (&cs->conv);
            cs->dacc_stride = cs->dacc_size + op->units;
            cs->dacc = g_try_new (float, cs->dacc_stride * model->n_groups);
            ok = ok && cs->cache != NULL && cs->dacc != NULL;
            break;
          }
        case SF_OP_BATCHNORM:
          st.kind = STAGE_BATCHNORM;
          st.weight = tensor_offset (model, k, "weight");
          st.bias = tensor_offset (model, k, "bias");
          st.running_mean = tensor_offset (model, k, "running_mean");
          st.running_var = tensor_offset (model, k, "running_var");
          st.u.bn.mean = g_try_new0 (float, op->in.c);
          st.u.bn.invstd = g_try_new0 (float, op->in.c);
          ok = ok && st.u.bn.mean != NULL && st.u.bn.invstd != NULL;
          if (is_act (tower, last + 1))
            st.act = act_of (&tower->ops[++last]);
          st.u.bn.pool = 1;
          if (last + 1 < tower->n_ops && tower->ops[last + 1].kind == SF_OP_MAXPOOL)
            st.u.bn.pool = tower->ops[++last].kernel;
          model->has_batchnorm = TRUE;
          break;
        case SF_OP_DENSE:
          st.kind = STAGE_DENSE;
          st.weight = tensor_offset (model, k, "weight");
          st.bias = tensor_offset (model, k, "bias");
          if (is_act (tower, last + 1))
            st.act = act_of (&tower->ops[++last]);
          break;
        case SF_OP_RELU:
        case SF_OP_LEAKY_RELU:
        case SF_OP_ELU:
          st.kind = STAGE_ACT;
          st.act = act_of (op);
          break;
        case SF_OP_MAXPOOL:
          st.kind = STAGE_POOL;
          st.u.pool.size = op->kernel;
          break;
        case SF_OP_DROPOUT:
          st.kind = STAGE_DROPOUT;
          st.u.drop.rate = op->value;
          break;
        case SF_OP_AVGPOOL:
          st.kind = STAGE_AVGPOOL;
          break;
        case SF_OP_L2NORM:
          st.kind = STAGE_L2NORM;
          break;
        case SF_OP_FLATTEN:
        default:
          /* Flatten moves no memory: no stage. */
          k++;
          continue;
        }
      st.out = tower->ops[last].out;
      st.in_size = shape_size (&st.in);
      st.out_size = shape_size (&st.out);
      max_size = MAX (max_size, MAX (st.in_size, st.out_size));
      g_array_append_val (stages, st);
      k = last + 1;
    }
  model->n_stages = (int) stages->len;
  model->stages = (Stage *) g_array_free (stages, FALSE);
  model->first_param_stage = model->n_stages;
  for (int s = model->n_stages - 1; s >= 0; s--)
    if (model->stages[s].kind == STAGE_CONV || model->stages[s].kind == STAGE_BATCHNORM
        || model->stages[s].kind == STAGE_DENSE)
      model->first_param_stage = s;
  fuse_first_block (model, &workspace);
  model->max_size = max_size;
  model->workspace_stride = workspace;
  if (!ok)
    g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, "not enough memory for the layers of “%s”", tower->spec);
  return ok;
}

SfModel *
sf_model_new (const char *spec, SfHeadKind head, float margin, int input_size, guint64 seed, GError **error)
{
  if ((guint) head >= G_N_ELEMENTS (head_names))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "unknown head %d", (int) head);
      return NULL;
    }
  if (head == SF_HEAD_CONTRASTIVE && !(margin > 0 && isfinite (margin)))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "the contrastive margin must be positive, not %g", margin);
      return NULL;
    }
  const char *preset = sf_spec_preset (spec);
  SfTower *tower = sf_tower_parse (preset != NULL ? preset : spec, input_size, error);
  if (tower == NULL)
    return NULL;

  SfModel *model = g_new0 (SfModel, 1);
  model->tower = tower;
  model->head = head;
  model->margin = head == SF_HEAD_CONTRASTIVE ? margin : 1.0f;
  model->seed = seed;
  model->n_workers = sf_parallel_n_workers ();
  model->n_groups = model->n_workers;
  build_tensors (model);
  model->params = g_try_new0 (float, model->n_params);
  model->grads = g_try_new0 (float, model->n_params);
  model->trainable = g_try_new0 (guint8, model->n_params);
  if (model->params == NULL || model->grads == NULL || model->trainable == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, "not enough memory for %" G_GSIZE_FORMAT " parameters",
                   model->n_params);
      sf_model_free (model);
      return NULL;
    }
  for (int k = 0; k < model->n_tensors; k++)
    if (model->tensors[k].trainable)
      {
        memset (model->trainable + model->tensors[k].offset, 1, model->tensors[k].size);
        model->n_trainable += model->tensors[k].size;
      }
  if (head == SF_HEAD_BCE)
    {
      model->head_weight = model->n_params - 2;
      model->head_bias = model->n_params - 1;
    }
  initialise (model, seed);
  if (!build_stages (model, error))
    {
      sf_model_free (model);
      return NULL;
    }
  return model;
}

static void
free_buffers (SfModel *model)
{
  for (int s = 0; s < model->n_stages; s++)
    {
      g_clear_pointer (&model->stages[s].out_buf, g_free);
      g_clear_pointer (&model->stages[s].aux, g_free);
      if (model->stages[s].kind == STAGE_BATCHNORM)
        g_clear_pointer (&model->stages[s].u.bn.at_max, g_free);
    }
  g_clear_pointer (&model->input, g_free);
  g_clear_pointer (&model->grad_buf[0], g_free);
  g_clear_pointer (&model->grad_buf[1], g_free);
  g_clear_pointer (&model->workspace, g_free);
  g_clear_pointer (&model->dist, g_free);
  g_clear_pointer (&model->ddist, g_free);
  g_clear_pointer (&model->scores, g_free);
  model->capacity = 0;
}

void
sf_model_free (SfModel *model)
{
  if (model == NULL)
    return;
  free_buffers (model);
  for (int s = 0; s < model->n_stages; s++)
    {
      Stage *st = &model->stages[s];
      if (st->kind == STAGE_CONV)
        {
          g_free (st->u.conv.cache);
          g_free (st->u.conv.dacc);
          for (int g = 0; st->u.conv.sums != NULL && g < model->n_groups; g++)
            sf_first_block_sums_free (st->u.conv.sums[g]);
          g_free (st->u.conv.sums);
        }
      else if (st->kind == STAGE_BATCHNORM)
        {
          g_free (st->u.bn.mean);
          g_free (st->u.bn.invstd);
        }
    }
  g_free (model->stages);
  for (int k = 0; k < model->n_tensors; k++)
    g_free ((char *) model->tensors[k].name);
  g_free (model->tensors);
  g_free (model->params);
  g_free (model->grads);
  g_free (model->trainable);
  sf_tower_free (model->tower);
  g_free (model);
}

SfModel *
sf_model_copy (const SfModel *model)
{
  SfModel *copy = sf_model_new (model->tower->spec, model->head, model->margin, model->tower->input_size,
                                model->seed, NULL);
  if (copy != NULL)
    sf_model_copy_params (copy, model);
  return copy;
}

gboolean
sf_model_copy_params (SfModel *dst, const SfModel *src)
{
  if (dst->n_params != src->n_params || dst->head != src->head
      || g_strcmp0 (dst->tower->spec, src->tower->spec) != 0 || dst->tower->input_size != src->tower->input_size)
    return FALSE;
  memcpy (dst->params, src->params, sizeof (float) * src->n_params);
  dst->steps = src->steps;
  dst->margin = src->margin;
  return TRUE;
}

static gboolean
after_first_block (const SfModel *model, int s)
{
  return s > 0 && model->stages[s - 1].kind == STAGE_CONV && model->stages[s - 1].u.conv.first_block;
}

/* Buffers for n images (2 per pair). */
static gboolean
ensure_capacity (SfModel *model, int n, GError **error)
{
  if (n <= model->capacity)
    return TRUE;
  free_buffers (model);
  gsize in0 = (gsize) model->tower->input_size * model->tower->input_size;
  gboolean ok = TRUE;
  gsize total = 0;
#define TRY_NEW(ptr, type, count)                   \
  G_STMT_START                                      \
  {                                                 \
    gsize count_ = (count);                         \
    total += count_ * sizeof (type);                \
    ptr = g_try_new (type, MAX (count_, 1));        \
    ok = ok && ptr != NULL;                         \
  }                                                 \
  G_STMT_END
  TRY_NEW (model->input, float, n * in0);
  TRY_NEW (model->grad_buf[0], float, n * model->max_size);
  TRY_NEW (model->grad_buf[1], float, n * model->max_size);
  TRY_NEW (model->workspace, float, model->n_workers * model->workspace_stride);
  TRY_NEW (model->dist, float, n / 2 + 1);
  TRY_NEW (model->ddist, float, n / 2 + 1);
  TRY_NEW (model->scores, float, n / 2 + 1);
  for (int s = 0; s < model->n_stages; s++)
    {
      Stage *st = &model->stages[s];
      if (st->kind == STAGE_CONV && st->u.conv.first_block)
        continue;
      TRY_NEW (st->out_buf, float, n * st->out_size);
      if (st->kind == STAGE_BATCHNORM && after_first_block (model, s))
        TRY_NEW (st->u.bn.at_max, float, n * st->out_size);
      gboolean argmax = st->kind == STAGE_POOL || (st->kind == STAGE_CONV && st->u.conv.pool > 1)
                        || (st->kind == STAGE_BATCHNORM && st->u.bn.pool > 1);
      if (argmax || st->kind == STAGE_DROPOUT)
        TRY_NEW (st->aux, guint8, n * st->out_size);
    }
#undef TRY_NEW
  if (!ok)
    {
      g_autofree char *amount = g_format_size (total);
      free_buffers (model);
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, "not enough memory for a batch of %d images (%s)", n,
                   amount);
      return FALSE;
    }
  model->capacity = n;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Forward and backward of the stages                                       */

typedef struct {
  SfModel *model;
  Stage *stage;
  int n;                 /* images */
  const float *x;        /* stage input [n, in_size] */
  float *dx;             /* input gradient [n, in_size], NULL for the first stage */
  const float *dy;       /* output gradient [n, out_size] */
  gboolean training;
  guint64 seed;
  int n_tasks;
  double *moments;       /* first block: [n_tasks, 2·C] */
  const float *scale, *shift;  /* first block: [C] batch norm as an affine map */
} Job;

static float *
worker_space (SfModel *model, int worker)
{
  return model->workspace + (gsize) worker * model->workspace_stride;
}

/* A direct convolution with nothing fused after it (batch norm follows)
 * reads and writes the tower's own layout: no pass of its own for the bias. */
static gboolean
writes_nchw (const Stage *st)
{
  return st->u.conv.conv.algo == SF_CONV_DIRECT && st->act.kind == SF_ACT_NONE && st->u.conv.pool == 1;
}

static void
conv_forward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  Stage *st = job->stage;
  ConvStage *cs = &st->u.conv;
  const SfConvShape *s = &cs->conv.shape;
  int i0 = task * cs->chunk, n = MIN (cs->chunk, job->n - i0);
  if (writes_nchw (st))
    {
      sf_conv_forward_nchw (&cs->conv, st->out_buf + i0 * st->out_size, job->x + i0 * st->in_size, n,
                            job->model->params + st->bias, cs->cache);
      return;
    }
  gsize hw = (gsize) s->H * s->W;
  float *y = worker_space (job->model, worker);   /* [OC, n, H*W] */
  float *scratch = y + (gsize) s->OC * n * hw;
  sf_conv_forward (&cs->conv, y, job->x + i0 * st->in_size, n, job->model->params + st->weight, cs->cache,
                   scratch);
  sf_bias_act_pool_forward (st->out_buf + i0 * st->out_size, cs->pool > 1 ? st->aux + i0 * st->out_size : NULL, y,
                            hw, n * hw, job->model->params + st->bias, n, s->OC, s->H, s->W, st->act, cs->pool);
}

/* Group `task` of the images, in a fixed order, into its own accumulator. */
static void
conv_backward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  SfModel *model = job->model;
  Stage *st = job->stage;
  ConvStage *cs = &st->u.conv;
  const SfConvShape *s = &cs->conv.shape;
  gsize hw = (gsize) s->H * s->W;
  float *dacc = cs->dacc + task * cs->dacc_stride;
  memset (dacc, 0, sizeof (float) * cs->dacc_stride);
  int lo = (int) ((gint64) task * job->n / model->n_groups), hi = (int) ((gint64) (task + 1) * job->n / model->n_groups);
  for (int i0 = lo; i0 < hi; i0 += cs->chunk)
    {
      int n = MIN (cs->chunk, hi - i0);
      if (writes_nchw (st))
        {
          sf_conv_backward_nchw (&cs->conv, job->dx != NULL ? job->dx + i0 * st->in_size : NULL, dacc,
                                 dacc + cs->dacc_size, job->dy + i0 * st->out_size, job->x + i0 * st->in_size, n,
                                 cs->cache);
          continue;
        }
      float *dy = worker_space (model, worker);
      float *scratch = dy + (gsize) s->OC * n * hw;
      sf_bias_act_pool_backward (dy, dacc + cs->dacc_size, job->dy + i0 * st->out_size,
                                 st->out_buf + i0 * st->out_size, cs->pool > 1 ? st->aux + i0 * st->out_size : NULL,
                                 hw, n * hw, n, s->OC, s->H, s->W, st->act, cs->pool);
      sf_conv_backward (&cs->conv, job->dx != NULL ? job->dx + i0 * st->in_size : NULL, dacc, dy,
                        job->x + i0 * st->in_size, n, model->params + st->weight, cs->cache, scratch);
    }
}

static void
channel_range (const Job *job, int task, int *c0, int *c1)
{
  int C = job->stage->in.c;
  *c0 = (int) ((gint64) task * C / job->n_tasks);
  *c1 = (int) ((gint64) (task + 1) * C / job->n_tasks);
}

static void
batchnorm_forward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  Stage *st = job->stage;
  float *p = job->model->params;
  int c0, c1, C = st->in.c, S = st->in.h * st->in.w;
  channel_range (job, task, &c0, &c1);
  if (st->u.bn.pool > 1)
    sf_batchnorm_pool_forward (st->out_buf, st->aux, st->u.bn.mean, st->u.bn.invstd, p + st->running_mean,
                               p + st->running_var, job->x, p + st->weight, p + st->bias, job->n, C, st->in.h,
                               st->in.w, st->act, st->u.bn.pool, job->training, c0, c1);
  else if (job->training)
    sf_batchnorm_forward_train (st->out_buf, st->u.bn.mean, st->u.bn.invstd, p + st->running_mean,
                                p + st->running_var, job->x, p + st->weight, p + st->bias, job->n, C, S, st->act, c0,
                                c1);
  else
    sf_batchnorm_forward_eval (st->out_buf, job->x, p + st->weight, p + st->bias, p + st->running_mean,
                               p + st->running_var, job->n, C, S, st->act, c0, c1);
}

static void
batchnorm_backward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  Stage *st = job->stage;
  float *p = job->model->params, *g = job->model->grads;
  int c0, c1, C = st->in.c, S = st->in.h * st->in.w;
  channel_range (job, task, &c0, &c1);
  if (st->u.bn.pool > 1)
    sf_batchnorm_pool_backward (job->dx, g + st->weight, g + st->bias, job->dy, st->out_buf, st->aux, job->x,
                                st->u.bn.mean, st->u.bn.invstd, p + st->weight, job->n, C, st->in.h, st->in.w,
                                st->act, st->u.bn.pool, c0, c1);
  else
    sf_batchnorm_backward (job->dx, g + st->weight, g + st->bias, job->dy, st->out_buf, job->x, st->u.bn.mean,
                         st->u.bn.invstd, p + st->weight, job->n, C, S, st->act, c0, c1);
}

static void
image_range (const Job *job, int task, int *i0, int *n)
{
  *i0 = task * IMAGE_BLOCK;
  *n = MIN (IMAGE_BLOCK, job->n - *i0);
}

static void
elementwise_forward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  Stage *st = job->stage;
  int i0, n;
  image_range (job, task, &i0, &n);
  const float *x = job->x + i0 * st->in_size;
  float *y = st->out_buf + i0 * st->out_size;
  gsize hw = (gsize) st->in.h * st->in.w;
  switch (st->kind)
    {
    case STAGE_ACT:
      sf_act_forward (y, x, n * st->in_size, st->act);
      break;
    case STAGE_POOL:
      sf_bias_act_pool_forward (y, st->aux + i0 * st->out_size, x, st->in.c * hw, hw, NULL, n, st->in.c, st->in.h,
                                st->in.w, st->act, st->u.pool.size);
      break;
    case STAGE_DROPOUT:
      for (int i = i0; i < i0 + n; i++)
        sf_dropout_forward (st->out_buf + i * st->out_size, st->aux + i * st->out_size, job->x + i * st->in_size,
                            st->in_size, st->u.drop.rate,
                            job->seed ^ ((guint64) (i + 1) * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
elementwise_backward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  Stage *st = job->stage;
  int i0, n;
  image_range (job, task, &i0, &n);
  float *dx = job->dx + i0 * st->in_size;
  const float *dy = job->dy + i0 * st->out_size;
  gsize hw = (gsize) st->in.h * st->in.w;
  switch (st->kind)
    {
    case STAGE_ACT:
      sf_act_backward (dx, dy, st->out_buf + i0 * st->out_size, n * st->in_size, st->act);
      break;
    case STAGE_POOL:
      sf_bias_act_pool_backward (dx, NULL, dy, st->out_buf + i0 * st->out_size, st->aux + i0 * st->out_size,
                                 st->in.c * hw, hw, n, st->in.c, st->in.h, st->in.w, st->act, st->u.pool.size);
      break;
    case STAGE_DROPOUT:
      sf_dropout_backward (dx, dy, st->aux + i0 * st->in_size, n * st->in_size, st->u.drop.rate);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Images per task of a first block's forward pass. */
#define FIRST_BLOCK_IMAGES 4

static void
first_block_moments_task (gpointer data, int task, int worker)
{
  Job *job = data;
  Stage *bn = job->stage, *conv = bn - 1;
  int i0 = task * FIRST_BLOCK_IMAGES, n = MIN (FIRST_BLOCK_IMAGES, job->n - i0);
  sf_first_block_moments (job->moments + (gsize) task * 2 * bn->in.c, &conv->u.conv.conv, conv->u.conv.cache,
                          job->model->params + conv->bias, job->x + i0 * conv->in_size, n,
                          worker_space (job->model, worker));
}

static void
first_block_forward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  Stage *bn = job->stage, *conv = bn - 1;
  int i0 = task * FIRST_BLOCK_IMAGES, n = MIN (FIRST_BLOCK_IMAGES, job->n - i0);
  gsize at = (gsize) i0 * bn->out_size;
  sf_first_block_forward (bn->out_buf + at, bn->aux + at, bn->u.bn.at_max + at, &conv->u.conv.conv,
                          conv->u.conv.cache, job->model->params + conv->bias, job->scale, job->shift, bn->act,
                          job->x + i0 * conv->in_size, n, worker_space (job->model, worker));
}

/* Group `task` of the images, in a fixed order, into its own sums. */
static void
first_block_backward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  SfModel *model = job->model;
  Stage *bn = job->stage, *conv = bn - 1;
  SfFirstBlockSums *sums = conv->u.conv.sums[task];
  sf_first_block_sums_clear (sums);
  int lo = (int) ((gint64) task * job->n / model->n_groups), hi = (int) ((gint64) (task + 1) * job->n / model->n_groups);
  for (int i0 = lo; i0 < hi; i0 += FIRST_BLOCK_IMAGES)
    {
      int n = MIN (FIRST_BLOCK_IMAGES, hi - i0);
      gsize at = (gsize) i0 * bn->out_size;
      sf_first_block_backward (sums, &conv->u.conv.conv, bn->act, job->dy + at, bn->out_buf + at, bn->aux + at,
                               bn->u.bn.at_max + at, job->x + i0 * conv->in_size, n, worker_space (model, worker));
    }
}

/* Stage s, a batch norm after a first block: the block's statistics (in
 * training), then its pooled output from the input images x. */
static void
first_block_forward (SfModel *model, int s, const float *x, int n, gboolean training)
{
  Stage *bn = &model->stages[s], *conv = bn - 1;
  const float *p = model->params;
  int C = bn->in.c, n_tasks = (n + FIRST_BLOCK_IMAGES - 1) / FIRST_BLOCK_IMAGES;
  g_autofree float *scale = g_new (float, C);
  g_autofree float *shift = g_new (float, C);
  Job job = { .model = model, .stage = bn, .n = n, .x = x, .training = training, .n_tasks = n_tasks,
              .scale = scale, .shift = shift };
  g_autofree double *moments = training ? g_new0 (double, (gsize) n_tasks * 2 * C) : NULL;
  if (training)
    {
      job.moments = moments;
      sf_parallel_for (n_tasks, first_block_moments_task, &job);
    }
  double count = (double) n * bn->in.h * bn->in.w;
  float *running_mean = model->params + bn->running_mean, *running_var = model->params + bn->running_var;
  for (int c = 0; c < C; c++)
    {
      float mu, is;
      if (training)
        {
          /* Summed in task order: the same batch gives the same statistics. */
          double sum = 0, sum_sq = 0;
          for (int t = 0; t < n_tasks; t++)
            {
              sum += moments[(gsize) t * 2 * C + 2 * c];
              sum_sq += moments[(gsize) t * 2 * C + 2 * c + 1];
            }
          double offset = sum / count, sq = MAX (sum_sq - offset * sum, 0.0);
          mu = (float) (p[conv->bias + c] + offset);
          is = sf_batchnorm_take_statistics (mu, sq, count, &bn->u.bn.mean[c], &bn->u.bn.invstd[c],
                                             &running_mean[c], &running_var[c]);
        }
      else
        {
          mu = running_mean[c];
          is = 1.0f / sqrtf (running_var[c] + SF_BN_EPS);
        }
      scale[c] = p[bn->weight + c] * is;
      shift[c] = p[bn->bias + c] - mu * scale[c];
    }
  sf_parallel_for (n_tasks, first_block_forward_task, &job);
}

static void
first_block_backward (SfModel *model, int s, const float *x, const float *dy, int n)
{
  Stage *bn = &model->stages[s], *conv = bn - 1;
  Job job = { .model = model, .stage = bn, .n = n, .x = x, .dy = dy, .training = TRUE };
  sf_parallel_for (model->n_groups, first_block_backward_task, &job);
  float *p = model->params, *g = model->grads;
  sf_first_block_finish (g + conv->weight, g + conv->bias, g + bn->weight, g + bn->bias, conv->u.conv.sums,
                         model->n_groups, p + conv->weight, p + conv->bias, p + bn->weight, bn->u.bn.mean,
                         bn->u.bn.invstd, (double) n * bn->in.h * bn->in.w);
}

static int
image_tasks (int n)
{
  return (n + IMAGE_BLOCK - 1) / IMAGE_BLOCK;
}

static int
channel_tasks (const SfModel *model, int C)
{
  return MIN (C, 4 * model->n_workers);
}

/* The Winograd weight transforms, once per call: the weights do not change within one. */
static void
prepare_weights (SfModel *model)
{
  for (int s = 0; s < model->n_stages; s++)
    if (model->stages[s].kind == STAGE_CONV)
      sf_conv_prepare (&model->stages[s].u.conv.conv, model->stages[s].u.conv.cache,
                       model->params + model->stages[s].weight);
}

/* Runs the tower on input[n, size²]; returns the embeddings [n, D]. */
static const float *
forward (SfModel *model, int n, gboolean training, SfRng *rng)
{
  const float *x = model->input;
  for (int s = 0; s < model->n_stages; s++)
    {
      Stage *st = &model->stages[s];
      Job job = { .model = model, .stage = st, .n = n, .x = x, .training = training };
      switch (st->kind)
        {
        case STAGE_CONV:
          if (st->u.conv.first_block)
            {
              /* The batch norm stage after it reads the images themselves. */
              st->y = x;
              break;
            }
          sf_parallel_for ((n + st->u.conv.chunk - 1) / st->u.conv.chunk, conv_forward_task, &job);
          st->y = st->out_buf;
          break;
        case STAGE_BATCHNORM:
          if (after_first_block (model, s))
            {
              first_block_forward (model, s, x, n, training);
              st->y = st->out_buf;
              break;
            }
          job.n_tasks = channel_tasks (model, st->in.c);
          sf_parallel_for (job.n_tasks, batchnorm_forward_task, &job);
          st->y = st->out_buf;
          break;
        case STAGE_DENSE:
          sf_dense_forward (st->out_buf, x, model->params + st->weight, model->params + st->bias, n, st->in.c,
                            st->out.c);
          if (st->act.kind != SF_ACT_NONE)
            sf_act_forward (st->out_buf, st->out_buf, (gsize) n * st->out_size, st->act);
          st->y = st->out_buf;
          break;
        case STAGE_DROPOUT:
          if (!training)
            {
              st->y = x;
              break;
            }
          job.seed = sf_rng_next (rng);
          sf_parallel_for (image_tasks (n), elementwise_forward_task, &job);
          st->y = st->out_buf;
          break;
        case STAGE_ACT:
        case STAGE_POOL:
          sf_parallel_for (image_tasks (n), elementwise_forward_task, &job);
          st->y = st->out_buf;
          break;
        case STAGE_AVGPOOL:
          sf_avgpool_forward (st->out_buf, x, n, st->in.c, st->in.h * st->in.w);
          st->y = st->out_buf;
          break;
        case STAGE_L2NORM:
          sf_l2norm_forward (st->out_buf, x, n, st->in.c);
          st->y = st->out_buf;
          break;
        default:
          g_assert_not_reached ();
        }
      x = st->y;
    }
  return x;
}

/* From dembed = grad_buf[0] [n, D], accumulates every parameter gradient. */
static void
backward (SfModel *model, int n)
{
  int cur = 0;
  for (int s = model->n_stages - 1; s >= model->first_param_stage; s--)
    {
      Stage *st = &model->stages[s];
      const float *x = s > 0 ? model->stages[s - 1].y : model->input;
      float *dy = model->grad_buf[cur];
      float *dx = s > model->first_param_stage ? model->grad_buf[1 - cur] : NULL;
      Job job = { .model = model, .stage = st, .n = n, .x = x, .dx = dx, .dy = dy, .training = TRUE };
      switch (st->kind)
        {
        case STAGE_CONV:
          {
            ConvStage *cs = &st->u.conv;
            if (cs->first_block)
              break;  /* its gradients came with the batch norm stage's */
            sf_parallel_for (model->n_groups, conv_backward_task, &job);
            float *dw = model->grads + st->weight, *db = model->grads + st->bias;
            for (int g = 0; g < model->n_groups; g++)
              {
                const float *dacc = cs->dacc + g * cs->dacc_stride;
                sf_conv_finish (&cs->conv, dw, dacc);
                for (int o = 0; o < st->out.c; o++)
                  db[o] += dacc[cs->dacc_size + o];
              }
            break;
          }
        case STAGE_BATCHNORM:
          if (after_first_block (model, s))
            {
              first_block_backward (model, s, x, dy, n);
              break;
            }
          if (dx == NULL)
            {
              /* The first stage: its input needs no gradient, but γ and β do. */
              dx = model->grad_buf[1 - cur];
              job.dx = dx;
            }
          job.n_tasks = channel_tasks (model, st->in.c);
          sf_parallel_for (job.n_tasks, batchnorm_backward_task, &job);
          break;
        case STAGE_DENSE:
          if (st->act.kind != SF_ACT_NONE)
            sf_act_backward (dy, dy, st->out_buf, (gsize) n * st->out_size, st->act);
          sf_dense_backward (dx, model->grads + st->weight, model->grads + st->bias, dy, x,
                             model->params + st->weight, n, st->in.c, st->out.c);
          break;
        case STAGE_ACT:
        case STAGE_POOL:
        case STAGE_DROPOUT:
          if (dx != NULL)
            sf_parallel_for (image_tasks (n), elementwise_backward_task, &job);
          break;
        case STAGE_AVGPOOL:
          if (dx != NULL)
            sf_avgpool_backward (dx, dy, n, st->in.c, st->in.h * st->in.w);
          break;
        case STAGE_L2NORM:
          if (dx != NULL)
            sf_l2norm_backward (dx, dy, st->out_buf, x, n, st->in.c);
          break;
        default:
          g_assert_not_reached ();
        }
      cur = 1 - cur;
    }
}

/* ------------------------------------------------------------------------ */
/* Public passes                                                            */

static void
stack_pairs (SfModel *model, const float *images_a, const float *images_b, int n)
{
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  memcpy (model->input, images_a, sizeof (float) * n * size);
  memcpy (model->input + n * size, images_b, sizeof (float) * n * size);
}

/* Head forward on the embeddings [2n, D]: scores[n]; returns Σ loss. */
static double
head_forward (SfModel *model, const float *embeddings, const float *targets, int n, float *scores)
{
  int D = model->tower->embedding_size;
  sf_distance_forward (model->dist, embeddings, embeddings + (gsize) n * D, n, D);
  if (model->head == SF_HEAD_BCE)
    return sf_bce_head_forward (scores, model->dist, targets, model->params[model->head_weight],
                                model->params[model->head_bias], n);
  return sf_contrastive_head_forward (scores, model->dist, targets, model->margin, n);
}

/* Into grad_buf[0] [2n, D], and the head's parameters. */
static void
head_backward (SfModel *model, const float *embeddings, const float *targets, int n, float scale)
{
  int D = model->tower->embedding_size;
  if (model->head == SF_HEAD_BCE)
    sf_bce_head_backward (model->ddist, model->grads + model->head_weight, model->grads + model->head_bias,
                          model->dist, targets, model->params[model->head_weight], model->params[model->head_bias],
                          n, scale);
  else
    sf_contrastive_head_backward (model->ddist, model->dist, targets, model->margin, n, scale);
  float *de = model->grad_buf[0];
  sf_distance_backward (de, de + (gsize) n * D, model->ddist, embeddings, embeddings + (gsize) n * D, n, D);
}

static gboolean
check_count (int n, GError **error)
{
  if (n < 1 || n > G_MAXINT / 4)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "a batch needs at least one pair, not %d", n);
      return FALSE;
    }
  return TRUE;
}

static gboolean train_batch (SfModel *model, const float *images_a, const float *images_b, const float *targets,
                             const int *labels_a, const int *labels_b, int n, SfRng *rng, float *scores,
                             double *loss, GError **error);

gboolean
sf_model_train_batch (SfModel *model, const float *images_a, const float *images_b, const float *targets, int n,
                      SfRng *rng, float *scores, double *loss, GError **error)
{
  return train_batch (model, images_a, images_b, targets, NULL, NULL, n, rng, scores, loss, error);
}

gboolean
sf_model_train_batch_all_pairs (SfModel *model, const float *images_a, const float *images_b, const float *targets,
                                const int *labels_a, const int *labels_b, int n, float temperature, SfRng *rng,
                                float *scores, double *loss, GError **error)
{
  g_return_val_if_fail (labels_a != NULL && labels_b != NULL, FALSE);
  if (model->head != SF_HEAD_CONTRASTIVE)
    labels_a = labels_b = NULL;
  /* The softmax loss wants embeddings on the unit sphere; elsewhere the contrastive one stands in. */
  const SfTower *tower = model->tower;
  model->temperature = tower->ops[tower->n_ops - 1].kind == SF_OP_L2NORM ? temperature : 0;
  gboolean ok = train_batch (model, images_a, images_b, targets, labels_a, labels_b, n, rng, scores, loss, error);
  model->temperature = 0;
  return ok;
}

static gboolean
train_batch (SfModel *model, const float *images_a, const float *images_b, const float *targets,
             const int *labels_a, const int *labels_b, int n, SfRng *rng, float *scores, double *loss,
             GError **error)
{
  g_return_val_if_fail (targets != NULL && rng != NULL, FALSE);
  if (!check_count (n, error))
    return FALSE;
  /* Batch norm needs the whole batch at once; without it pieces add up to the same gradient. */
  int group = model->has_batchnorm ? n : MIN (n, GROUP_PAIRS);
  if (!ensure_capacity (model, 2 * group, error))
    return FALSE;
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  memset (model->grads, 0, sizeof (float) * model->n_params);
  prepare_weights (model);
  double total = 0;
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      stack_pairs (model, images_a + start * size, images_b + start * size, m);
      const float *embeddings = forward (model, 2 * m, TRUE, rng);
      double pairs_loss = head_forward (model, embeddings, targets + start, m,
                                        scores != NULL ? scores + start : model->scores);
      if (labels_a != NULL)
        {
          /* Every pair of the group's 2m images, weighted by the group's share of the batch. */
          g_autofree int *labels = g_new (int, 2 * m);
          memcpy (labels, labels_a + start, sizeof (int) * m);
          memcpy (labels + m, labels_b + start, sizeof (int) * m);
          int D = model->tower->embedding_size;
          total += m * (model->temperature > 0
                          ? sf_all_pairs_softmax (model->grad_buf[0], embeddings, labels, 2 * m, D,
                                                  model->temperature, (float) m / n)
                          : sf_all_pairs_contrastive (model->grad_buf[0], embeddings, labels, 2 * m, D,
                                                      model->margin, (float) m / n));
        }
      else
        {
          total += pairs_loss;
          head_backward (model, embeddings, targets + start, m, 1.0f / n);
        }
      backward (model, 2 * m);
    }
  model->steps++;
  if (loss != NULL)
    *loss = total / n;
  return TRUE;
}

gboolean
sf_model_evaluate_batch (SfModel *model, const float *images_a, const float *images_b, const float *targets,
                         int n, float *scores, double *loss, GError **error)
{
  if (!check_count (n, error))
    return FALSE;
  int group = MIN (n, GROUP_PAIRS);
  if (!ensure_capacity (model, 2 * group, error))
    return FALSE;
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  prepare_weights (model);
  double total = 0;
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      stack_pairs (model, images_a + start * size, images_b + start * size, m);
      const float *embeddings = forward (model, 2 * m, FALSE, NULL);
      total += head_forward (model, embeddings, targets != NULL ? targets + start : NULL, m,
                             scores != NULL ? scores + start : model->scores);
    }
  if (loss != NULL)
    *loss = targets != NULL ? total / n : NAN;
  return TRUE;
}

gboolean
sf_model_embed (SfModel *model, const float *images, int n, float *embeddings, GError **error)
{
  if (!check_count (n, error))
    return FALSE;
  int group = MIN (n, 2 * GROUP_PAIRS);
  if (!ensure_capacity (model, group, error))
    return FALSE;
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  int D = model->tower->embedding_size;
  prepare_weights (model);
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      memcpy (model->input, images + start * size, sizeof (float) * m * size);
      const float *e = forward (model, m, FALSE, NULL);
      memcpy (embeddings + (gsize) start * D, e, sizeof (float) * m * D);
    }
  return TRUE;
}

gboolean
sf_model_embed_mirrored (SfModel *model, const float *images, int n, float *embeddings, GError **error)
{
  if (!check_count (n, error))
    return FALSE;
  int group = MIN (n, 2 * GROUP_PAIRS);
  if (!ensure_capacity (model, 2 * group, error))
    return FALSE;
  int side = model->tower->input_size;
  gsize size = (gsize) side * side;
  int D = model->tower->embedding_size;
  const SfTower *tower = model->tower;
  gboolean unit = tower->ops[tower->n_ops - 1].kind == SF_OP_L2NORM;
  prepare_weights (model);
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      /* The images, then their mirrors, in one pass (as one batch would be). */
      memcpy (model->input, images + start * size, sizeof (float) * m * size);
      for (int i = 0; i < m; i++)
        for (int y = 0; y < side; y++)
          {
            const float *row = images + (start + i) * size + (gsize) y * side;
            float *mirror = model->input + (m + i) * size + (gsize) y * side;
            for (int x = 0; x < side; x++)
              mirror[x] = row[side - 1 - x];
          }
      const float *e = forward (model, 2 * m, FALSE, NULL);
      for (int i = 0; i < m; i++)
        {
          float *out = embeddings + (gsize) (start + i) * D;
          const float *a = e + (gsize) i * D, *b = e + (gsize) (m + i) * D;
          for (int k = 0; k < D; k++)
            out[k] = 0.5f * (a[k] + b[k]);
          if (unit)
            sf_l2norm_forward (out, out, 1, D);
        }
    }
  return TRUE;
}

float
sf_model_distance (const SfModel *model, const float *embedding_a, const float *embedding_b)
{
  float d;
  sf_distance_forward (&d, embedding_a, embedding_b, 1, model->tower->embedding_size);
  return d;
}

float
sf_model_score_distance (const SfModel *model, float distance)
{
  float score;
  if (model->head == SF_HEAD_BCE)
    sf_bce_head_forward (&score, &distance, NULL, model->params[model->head_weight],
                         model->params[model->head_bias], 1);
  else
    sf_contrastive_head_forward (&score, &distance, NULL, model->margin, 1);
  return score;
}

/* ------------------------------------------------------------------------ */
/* Accessors                                                                */

const SfTower *
sf_model_get_tower (const SfModel *model)
{
  return model->tower;
}

const char *
sf_model_get_spec (const SfModel *model)
{
  return model->tower->spec;
}

SfHeadKind
sf_model_get_head (const SfModel *model)
{
  return model->head;
}

float
sf_model_get_margin (const SfModel *model)
{
  return model->margin;
}

int
sf_model_get_input_size (const SfModel *model)
{
  return model->tower->input_size;
}

int
sf_model_get_embedding_size (const SfModel *model)
{
  return model->tower->embedding_size;
}

gint64
sf_model_get_train_steps (const SfModel *model)
{
  return model->steps;
}

void
sf_model_set_train_steps (SfModel *model, gint64 steps)
{
  model->steps = steps;
}

gsize
sf_model_n_params (const SfModel *model)
{
  return model->n_params;
}

gsize
sf_model_n_trainable (const SfModel *model)
{
  return model->n_trainable;
}

float *
sf_model_params (SfModel *model)
{
  return model->params;
}

float *
sf_model_grads (SfModel *model)
{
  return model->grads;
}

const guint8 *
sf_model_trainable (const SfModel *model)
{
  return model->trainable;
}

int
sf_model_n_tensors (const SfModel *model)
{
  return model->n_tensors;
}

const SfTensorInfo *
sf_model_tensor (const SfModel *model, int index)
{
  g_return_val_if_fail (index >= 0 && index < model->n_tensors, NULL);
  return &model->tensors[index];
}

const SfTensorInfo *
sf_model_find_tensor (const SfModel *model, const char *name)
{
  for (int k = 0; k < model->n_tensors; k++)
    if (g_strcmp0 (model->tensors[k].name, name) == 0)
      return &model->tensors[k];
  return NULL;
}

char *
sf_model_to_python (const SfModel *model)
{
  const SfTower *tower = model->tower;
  GString *s = g_string_new ("import torch\nimport torch.nn as nn\n\n\n");
  if (sf_tower_has_op (tower, SF_OP_L2NORM))
    g_string_append (s, SF_TORCH_L2NORM "\n\n");
  g_string_append_printf (s, "class Siamese(nn.Module):\n"
                             "    \"\"\"%s; head %s; input 1×%d×%d\"\"\"\n\n"
                             "    def __init__(self):\n"
                             "        super().__init__()\n"
                             "        self.tower = nn.Sequential(\n",
                          tower->spec, sf_head_kind_name (model->head), tower->input_size, tower->input_size);
  for (int k = 0; k < tower->n_ops; k++)
    {
      g_autofree char *code = sf_op_to_python (&tower->ops[k]);
      g_string_append_printf (s, "            %s,  # %d\n", code, k);
    }
  g_string_append (s, "        )\n");
  if (model->head == SF_HEAD_BCE)
    g_string_append (s, "        self.head = nn.Linear(1, 1)\n");
  g_string_append (s, "\n    def forward(self, a, b):\n"
                      "        # Both images of every pair in one batch, as batch norm saw them in training.\n"
                      "        ea, eb = self.tower(torch.cat([a, b])).chunk(2)\n"
                      "        d = torch.sqrt(torch.clamp(((ea - eb) ** 2).sum(1), min=1e-7))\n");
  if (model->head == SF_HEAD_BCE)
    g_string_append (s, "        return torch.sigmoid(self.head(d[:, None]))[:, 0]  # score: 1 = same person\n");
  else
    {
      char margin[G_ASCII_DTOSTR_BUF_SIZE];
      g_ascii_formatd (margin, sizeof margin, "%g", model->margin);
      g_string_append_printf (s, "        return 1 / (1 + (2 * d / %s) ** 2)  # score: 1 = same person\n", margin);
    }
  return g_string_free (s, FALSE);
}
