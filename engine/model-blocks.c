/* Running the stages of the blocks — a residual block, a separable
 * convolution's depthwise half, squeeze-and-excitation — and of average
 * pooling over windows, forward and backward, over the thread team. The
 * convolutions of a residual block go through the same paths as the tower's
 * own (direct, Winograd or im2col, _sf_model_conv_*), its batch norms through
 * batchnorm.h and its join through residual.h. */
#include "model-private.h"

#include <string.h>

#include "batchnorm.h"
#include "depthwise.h"
#include "parallel.h"
#include "residual.h"

/* Images per task of the image-parallel loops. */
#define IMAGE_BLOCK 4

typedef struct {
  SfModel *model;
  Stage *stage;
  int n;
  const float *x;        /* [n, in_size] */
  const float *dy;       /* [n, out_size] */
  float *dx;             /* [n, in_size] or NULL */
  const float *add;      /* dx += add */
  gboolean training;
  int n_tasks;
  /* A batch norm inside a residual block: its input, output and their gradients. */
  const BlockNorm *norm;
  const float *norm_x;
  float *norm_y, *norm_dx;
  const float *norm_dy;
} BlockJob;

static float *
worker_space (SfModel *model, int worker)
{
  return model->workspace + (gsize) worker * model->workspace_stride;
}

static void
channel_range (const BlockJob *job, int C, int task, int *c0, int *c1)
{
  *c0 = (int) ((gint64) task * C / job->n_tasks);
  *c1 = (int) ((gint64) (task + 1) * C / job->n_tasks);
}

static int
image_tasks (int n)
{
  return (n + IMAGE_BLOCK - 1) / IMAGE_BLOCK;
}

/* ------------------------------------------------------------------------ */
/* Residual block                                                           */

static const SfAct relu = { SF_ACT_RELU, 0 };

static SfJoinNorm
join_norm (SfModel *model, const BlockNorm *bn, const float *x)
{
  float *p = model->params;
  return (SfJoinNorm) { x, p + bn->weight, p + bn->bias, p + bn->running_mean, p + bn->running_var, bn->mean,
                        bn->invstd };
}

/* bn1 and its ReLU: norm_y = ReLU(bn(norm_x)). */
static void
norm_forward_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  const BlockNorm *bn = job->norm;
  float *p = job->model->params;
  int C = job->stage->out.c, S = job->stage->out.h * job->stage->out.w, c0, c1;
  channel_range (job, C, task, &c0, &c1);
  if (job->training)
    sf_batchnorm_forward_train (job->norm_y, bn->mean, bn->invstd, p + bn->running_mean, p + bn->running_var,
                                job->norm_x, p + bn->weight, p + bn->bias, job->n, C, S, relu, c0, c1);
  else
    sf_batchnorm_forward_eval (job->norm_y, job->norm_x, p + bn->weight, p + bn->bias, p + bn->running_mean,
                               p + bn->running_var, job->n, C, S, relu, c0, c1);
}

static void
norm_backward_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  const BlockNorm *bn = job->norm;
  float *p = job->model->params, *g = job->model->grads;
  int C = job->stage->out.c, S = job->stage->out.h * job->stage->out.w, c0, c1;
  channel_range (job, C, task, &c0, &c1);
  sf_batchnorm_backward (job->norm_dx, g + bn->weight, g + bn->bias, job->norm_dy, job->norm_y, job->norm_x,
                         bn->mean, bn->invstd, p + bn->weight, job->n, C, S, relu, c0, c1);
}

static void
join_forward_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  Stage *st = job->stage;
  ResidualStage *res = st->u.res;
  int C = st->out.c, S = st->out.h * st->out.w, c0, c1;
  channel_range (job, C, task, &c0, &c1);
  SfJoinNorm main = join_norm (job->model, &res->bn2, res->c2);
  SfJoinNorm projection = join_norm (job->model, &res->bn_shortcut, res->cs);
  sf_residual_join_forward (st->out_buf, &main, res->projection ? &projection : NULL, job->x, job->n, C, S,
                            job->training, c0, c1);
}

/* dmain → block_grad[0]; the projection's input gradient → block_grad[1],
 * or the identity's → dx. */
static void
join_backward_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  SfModel *model = job->model;
  Stage *st = job->stage;
  ResidualStage *res = st->u.res;
  float *g = model->grads;
  int C = st->out.c, S = st->out.h * st->out.w, c0, c1;
  channel_range (job, C, task, &c0, &c1);
  SfJoinNorm main = join_norm (model, &res->bn2, res->c2);
  SfJoinNorm projection = join_norm (model, &res->bn_shortcut, res->cs);
  float *dshortcut = res->projection ? model->block_grad[1] : job->dx;
  sf_residual_join_backward (model->block_grad[0], dshortcut, g + res->bn2.weight, g + res->bn2.bias,
                             res->projection ? g + res->bn_shortcut.weight : NULL,
                             res->projection ? g + res->bn_shortcut.bias : NULL, job->dy, st->out_buf, &main,
                             res->projection ? &projection : NULL, job->n, C, S, c0, c1);
}

static void
add_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  gsize size = job->stage->in_size;
  int i0 = task * IMAGE_BLOCK, n = MIN (IMAGE_BLOCK, job->n - i0);
  float *restrict dx = job->dx + i0 * size;
  const float *restrict add = job->add + i0 * size;
  for (gsize i = 0; i < n * size; i++)
    dx[i] += add[i];
}

static ConvCall
block_conv (SfModel *model, ConvStage *cs, gsize weight, const float *x, float *out, gsize in_size, gsize out_size)
{
  return (ConvCall) { .cs = cs, .weight = model->params + weight, .act = { SF_ACT_NONE, 0 }, .x = x, .out = out,
                      .in_size = in_size, .out_size = out_size };
}

static void
residual_forward (SfModel *model, Stage *st, const float *x, int n, gboolean training)
{
  ResidualStage *res = st->u.res;
  gsize in_size = st->in_size, size = st->out_size;
  ConvCall conv1 = block_conv (model, &res->conv1, res->weight1, x, res->c1, in_size, size);
  _sf_model_conv_forward (model, &conv1, n);
  BlockJob job = { .model = model, .stage = st, .n = n, .x = x, .training = training,
                   .n_tasks = _sf_model_channel_tasks (model, st->out.c), .norm = &res->bn1, .norm_x = res->c1,
                   .norm_y = res->a1 };
  sf_parallel_for (job.n_tasks, norm_forward_task, &job);
  ConvCall conv2 = block_conv (model, &res->conv2, res->weight2, res->a1, res->c2, size, size);
  _sf_model_conv_forward (model, &conv2, n);
  if (res->projection)
    {
      ConvCall shortcut = block_conv (model, &res->shortcut, res->weight_shortcut, x, res->cs, in_size, size);
      _sf_model_conv_forward (model, &shortcut, n);
    }
  sf_parallel_for (job.n_tasks, join_forward_task, &job);
}

/* dy is free once the join has read it: conv1's input gradient goes there
 * before it is added to dx. */
static void
residual_backward (SfModel *model, Stage *st, const float *x, float *dy, float *dx, int n)
{
  ResidualStage *res = st->u.res;
  float *g = model->grads, *d0 = model->block_grad[0], *d1 = model->block_grad[1];
  gsize in_size = st->in_size, size = st->out_size;
  BlockJob job = { .model = model, .stage = st, .n = n, .x = x, .dy = dy, .dx = dx,
                   .n_tasks = _sf_model_channel_tasks (model, st->out.c) };
  /* d0 = conv2's output gradient; d1 (projection) or dx (identity) = the shortcut's. */
  sf_parallel_for (job.n_tasks, join_backward_task, &job);
  if (res->projection)
    {
      ConvCall shortcut = block_conv (model, &res->shortcut, res->weight_shortcut, x, res->cs, in_size, size);
      _sf_model_conv_backward (model, &shortcut, n, d1, dx, g + res->weight_shortcut, NULL);
    }
  ConvCall conv2 = block_conv (model, &res->conv2, res->weight2, res->a1, res->c2, size, size);
  _sf_model_conv_backward (model, &conv2, n, d0, d1, g + res->weight2, NULL);
  job.norm = &res->bn1;
  job.norm_x = res->c1;
  job.norm_y = res->a1;
  job.norm_dy = d1;
  job.norm_dx = d0;
  sf_parallel_for (job.n_tasks, norm_backward_task, &job);
  ConvCall conv1 = block_conv (model, &res->conv1, res->weight1, x, res->c1, in_size, size);
  _sf_model_conv_backward (model, &conv1, n, d0, dx != NULL ? dy : NULL, g + res->weight1, NULL);
  if (dx != NULL)
    {
      job.add = dy;
      sf_parallel_for (image_tasks (n), add_task, &job);
    }
}

/* ------------------------------------------------------------------------ */
/* Depthwise convolution, average pooling over windows                      */

static void
depthwise_forward_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  Stage *st = job->stage;
  int i0 = task * IMAGE_BLOCK, n = MIN (IMAGE_BLOCK, job->n - i0);
  sf_depthwise_forward (st->out_buf + i0 * st->out_size, job->x + i0 * st->in_size, job->model->params + st->weight,
                        n, st->in.c, st->in.h, st->in.w, st->u.dw.kernel, st->u.dw.stride, 0, st->in.c,
                        worker_space (job->model, worker));
}

/* Channels split: each task owns its channels' weight gradient. */
static void
depthwise_backward_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  Stage *st = job->stage;
  int c0, c1;
  channel_range (job, st->in.c, task, &c0, &c1);
  sf_depthwise_backward (job->dx, job->model->grads + st->weight, job->dy, job->x, job->model->params + st->weight,
                         job->n, st->in.c, st->in.h, st->in.w, st->u.dw.kernel, st->u.dw.stride, c0, c1,
                         worker_space (job->model, worker));
}

static void
window_forward_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  Stage *st = job->stage;
  int i0 = task * IMAGE_BLOCK, n = MIN (IMAGE_BLOCK, job->n - i0);
  sf_avgpool_window_forward (st->out_buf + i0 * st->out_size, job->x + i0 * st->in_size, n, st->in.c, st->in.h,
                             st->in.w, st->u.pool.size);
}

static void
window_backward_task (gpointer data, int task, int worker)
{
  BlockJob *job = data;
  Stage *st = job->stage;
  int i0 = task * IMAGE_BLOCK, n = MIN (IMAGE_BLOCK, job->n - i0);
  sf_avgpool_window_backward (job->dx + i0 * st->in_size, job->dy + i0 * st->out_size, n, st->in.c, st->in.h,
                              st->in.w, st->u.pool.size);
}

/* ------------------------------------------------------------------------ */

void
_sf_model_block_forward (SfModel *model, int s, const float *x, int n, gboolean training)
{
  Stage *st = &model->stages[s];
  BlockJob job = { .model = model, .stage = st, .n = n, .x = x, .training = training };
  float *p = model->params;
  switch (st->kind)
    {
    case STAGE_RESIDUAL:
      residual_forward (model, st, x, n, training);
      break;
    case STAGE_DEPTHWISE:
      sf_parallel_for (image_tasks (n), depthwise_forward_task, &job);
      break;
    case STAGE_AVGPOOL_WINDOW:
      sf_parallel_for (image_tasks (n), window_forward_task, &job);
      break;
    case STAGE_SQUEEZE_EXCITE:
      {
        SqueezeExciteStage *se = &st->u.se;
        sf_squeeze_excite_forward (st->out_buf, se->squeeze, se->hidden_out, se->gate, x, p + se->w1, p + se->b1,
                                   p + se->w2, p + se->b2, n, st->in.c, st->in.h * st->in.w, se->hidden);
        break;
      }
    default:
      g_assert_not_reached ();
    }
}

void
_sf_model_block_backward (SfModel *model, int s, const float *x, float *dy, float *dx, int n)
{
  Stage *st = &model->stages[s];
  BlockJob job = { .model = model, .stage = st, .n = n, .x = x, .dy = dy, .dx = dx, .training = TRUE };
  float *p = model->params, *g = model->grads;
  switch (st->kind)
    {
    case STAGE_RESIDUAL:
      residual_backward (model, st, x, dy, dx, n);
      break;
    case STAGE_DEPTHWISE:
      job.n_tasks = _sf_model_channel_tasks (model, st->in.c);
      sf_parallel_for (job.n_tasks, depthwise_backward_task, &job);
      break;
    case STAGE_AVGPOOL_WINDOW:
      if (dx != NULL)
        sf_parallel_for (image_tasks (n), window_backward_task, &job);
      break;
    case STAGE_SQUEEZE_EXCITE:
      {
        SqueezeExciteStage *se = &st->u.se;
        sf_squeeze_excite_backward (dx, g + se->w1, g + se->b1, g + se->w2, g + se->b2, dy, x, se->squeeze,
                                    se->hidden_out, se->gate, p + se->w1, p + se->w2, n, st->in.c,
                                    st->in.h * st->in.w, se->hidden, se->scratch);
        break;
      }
    default:
      g_assert_not_reached ();
    }
}
