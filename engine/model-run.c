/* Running a model's stages forward and backward over a batch of images,
 * spread over the thread team (parallel.h); weight gradients are summed in a
 * fixed order, so the same batch gives the same bits. */
#include "model-private.h"

#include <math.h>
#include <string.h>

#include "batchnorm.h"
#include "parallel.h"

/* Images per task of the elementwise stages. */
#define IMAGE_BLOCK 4

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
  const ConvCall *conv;  /* convolutions */
} Job;

static float *
worker_space (SfModel *model, int worker)
{
  return model->workspace + (gsize) worker * model->workspace_stride;
}

/* A direct convolution with nothing fused after it (batch norm follows)
 * reads and writes the tower's own layout: no pass of its own for the bias. */
static gboolean
writes_nchw (const ConvCall *c)
{
  return c->cs->conv.algo == SF_CONV_DIRECT && c->act.kind == SF_ACT_NONE && c->cs->pool == 1;
}

static void
conv_forward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  const ConvCall *c = job->conv;
  ConvStage *cs = c->cs;
  const SfConvShape *s = &cs->conv.shape;
  int i0 = task * cs->chunk, n = MIN (cs->chunk, job->n - i0);
  if (writes_nchw (c))
    {
      sf_conv_forward_nchw (&cs->conv, c->out + i0 * c->out_size, c->x + i0 * c->in_size, n, c->bias, cs->cache);
      return;
    }
  int H = cs->conv.out_h, W = cs->conv.out_w;
  gsize hw = (gsize) H * W;
  float *y = worker_space (job->model, worker);   /* [OC, n, Ho*Wo] */
  float *scratch = y + (gsize) s->OC * n * hw;
  sf_conv_forward (&cs->conv, y, c->x + i0 * c->in_size, n, c->weight, cs->cache, scratch);
  sf_bias_act_pool_forward (c->out + i0 * c->out_size, cs->pool > 1 ? c->aux + i0 * c->out_size : NULL, y, hw,
                            n * hw, c->bias, n, s->OC, H, W, c->act, cs->pool);
}

/* Group `task` of the images, in a fixed order, into its own accumulator. */
static void
conv_backward_task (gpointer data, int task, int worker)
{
  Job *job = data;
  SfModel *model = job->model;
  const ConvCall *c = job->conv;
  ConvStage *cs = c->cs;
  const SfConvShape *s = &cs->conv.shape;
  int H = cs->conv.out_h, W = cs->conv.out_w;
  gsize hw = (gsize) H * W;
  float *dacc = cs->dacc + task * cs->dacc_stride;
  memset (dacc, 0, sizeof (float) * sf_conv_dacc_in_use (&cs->conv));
  memset (dacc + cs->dacc_size, 0, sizeof (float) * s->OC);
  int lo = (int) ((gint64) task * job->n / model->n_groups), hi = (int) ((gint64) (task + 1) * job->n / model->n_groups);
  for (int i0 = lo; i0 < hi; i0 += cs->chunk)
    {
      int n = MIN (cs->chunk, hi - i0);
      if (writes_nchw (c))
        {
          sf_conv_backward_nchw (&cs->conv, job->dx != NULL ? job->dx + i0 * c->in_size : NULL, dacc,
                                 dacc + cs->dacc_size, job->dy + i0 * c->out_size, c->x + i0 * c->in_size, n,
                                 cs->cache);
          continue;
        }
      float *dy = worker_space (model, worker);
      float *scratch = dy + (gsize) s->OC * n * hw;
      sf_bias_act_pool_backward (dy, dacc + cs->dacc_size, job->dy + i0 * c->out_size, c->out + i0 * c->out_size,
                                 cs->pool > 1 ? c->aux + i0 * c->out_size : NULL, hw, n * hw, n, s->OC, H, W, c->act,
                                 cs->pool);
      sf_conv_backward (&cs->conv, job->dx != NULL ? job->dx + i0 * c->in_size : NULL, dacc, dy,
                        c->x + i0 * c->in_size, n, c->weight, cs->cache, scratch);
    }
}

void
_sf_model_conv_forward (SfModel *model, const ConvCall *call, int n)
{
  Job job = { .model = model, .n = n, .conv = call };
  sf_parallel_for ((n + call->cs->chunk - 1) / call->cs->chunk, conv_forward_task, &job);
}

void
_sf_model_conv_backward (SfModel *model, const ConvCall *call, int n, const float *dy, float *dx, float *dweight,
                         float *dbias)
{
  ConvStage *cs = call->cs;
  Job job = { .model = model, .n = n, .dx = dx, .dy = dy, .conv = call };
  sf_parallel_for (model->n_groups, conv_backward_task, &job);
  for (int g = 0; g < model->n_groups; g++)
    {
      const float *dacc = cs->dacc + g * cs->dacc_stride;
      sf_conv_finish (&cs->conv, dweight, dacc);
      if (dbias != NULL)
        for (int o = 0; o < cs->conv.shape.OC; o++)
          dbias[o] += dacc[cs->dacc_size + o];
    }
}

/* The convolution of conv stage st on its input x. */
static ConvCall
stage_conv_call (SfModel *model, Stage *st, const float *x)
{
  return (ConvCall) { .cs = &st->u.conv, .weight = model->params + st->weight,
                      .bias = st->bias != NO_TENSOR ? model->params + st->bias : NULL, .act = st->act, .x = x,
                      .out = st->out_buf, .aux = st->aux, .in_size = st->in_size, .out_size = st->out_size };
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
        sf_dropout_forward (st->out_buf + i * st->out_size, st->aux + i * sf_dropout_mask_size (st->out_size),
                            job->x + i * st->in_size, st->in_size, st->u.drop.rate,
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
      /* Each image's mask starts a word of its own (no two threads share one). */
      for (int i = 0; i < n; i++)
        sf_dropout_backward (dx + i * st->in_size, dy + i * st->out_size,
                             st->aux + (i0 + i) * sf_dropout_mask_size (st->out_size), st->in_size, st->u.drop.rate);
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
  model->first_block_passes++;
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

int
_sf_model_channel_tasks (const SfModel *model, int C)
{
  return MIN (C, 4 * model->n_workers);
}

void
_sf_model_prepare_weights (SfModel *model)
{
  for (int s = 0; s < model->n_stages; s++)
    {
      Stage *st = &model->stages[s];
      if (st->kind == STAGE_CONV)
        sf_conv_prepare (&st->u.conv.conv, st->u.conv.cache, model->params + st->weight);
      else if (st->kind == STAGE_RESIDUAL)
        {
          ResidualStage *res = st->u.res;
          sf_conv_prepare (&res->conv1.conv, res->conv1.cache, model->params + res->weight1);
          sf_conv_prepare (&res->conv2.conv, res->conv2.cache, model->params + res->weight2);
          if (res->projection)
            sf_conv_prepare (&res->shortcut.conv, res->shortcut.cache, model->params + res->weight_shortcut);
        }
    }
}

const float *
_sf_model_forward (SfModel *model, int n, gboolean training_pass, SfRng *rng)
{
  const float *x = model->input;
  for (int s = 0; s < model->n_stages; s++)
    {
      Stage *st = &model->stages[s];
      /* Frozen layers run as in evaluation, whatever the pass. */
      gboolean training = training_pass && s >= model->frozen_stages;
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
          {
            ConvCall call = stage_conv_call (model, st, x);
            _sf_model_conv_forward (model, &call, n);
            st->y = st->out_buf;
            break;
          }
        case STAGE_BATCHNORM:
          if (_sf_model_after_first_block (model, s))
            {
              first_block_forward (model, s, x, n, training);
              st->y = st->out_buf;
              break;
            }
          job.n_tasks = _sf_model_channel_tasks (model, st->in.c);
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
        case STAGE_AVGPOOL_WINDOW:
        case STAGE_DEPTHWISE:
        case STAGE_SQUEEZE_EXCITE:
        case STAGE_RESIDUAL:
          _sf_model_block_forward (model, s, x, n, training);
          st->y = st->out_buf;
          break;
        default:
          g_assert_not_reached ();
        }
      x = st->y;
    }
  return x;
}

void
_sf_model_backward (SfModel *model, int n)
{
  int cur = 0;
  /* Frozen layers need neither their gradients nor those of their input. */
  int first = MAX (model->first_param_stage, model->first_trained_stage);
  for (int s = model->n_stages - 1; s >= first; s--)
    {
      Stage *st = &model->stages[s];
      const float *x = s > 0 ? model->stages[s - 1].y : model->input;
      float *dy = model->grad_buf[cur];
      float *dx = s > first ? model->grad_buf[1 - cur] : NULL;
      Job job = { .model = model, .stage = st, .n = n, .x = x, .dx = dx, .dy = dy, .training = TRUE };
      switch (st->kind)
        {
        case STAGE_CONV:
          {
            ConvStage *cs = &st->u.conv;
            if (cs->first_block)
              break;  /* its gradients came with the batch norm stage's */
            ConvCall call = stage_conv_call (model, st, x);
            _sf_model_conv_backward (model, &call, n, dy, dx, model->grads + st->weight,
                                     st->bias != NO_TENSOR ? model->grads + st->bias : NULL);
            break;
          }
        case STAGE_BATCHNORM:
          if (_sf_model_after_first_block (model, s))
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
          job.n_tasks = _sf_model_channel_tasks (model, st->in.c);
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
        case STAGE_AVGPOOL_WINDOW:
        case STAGE_DEPTHWISE:
        case STAGE_SQUEEZE_EXCITE:
        case STAGE_RESIDUAL:
          _sf_model_block_backward (model, s, x, dy, dx, n);
          break;
        default:
          g_assert_not_reached ();
        }
      cur = 1 - cur;
    }
}

gboolean
sf_model_train_embeddings (SfModel *model, const float *images, int n, SfRng *rng, SfEmbeddingLossFunc loss,
                           gpointer user_data, float *embeddings, double *mean_loss, GError **error)
{
  g_return_val_if_fail (n >= 1 && n <= G_MAXINT / 4 && rng != NULL && loss != NULL, FALSE);
  /* Batch norm needs the whole batch at once; without it, pieces of 128
   * images (sf_model_train_batch's 64 pairs) keep memory bounded. */
  int group = model->has_batchnorm ? n : MIN (n, 128);
  if (!_sf_model_ensure_capacity (model, group, error))
    return FALSE;
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  int D = model->tower->embedding_size;
  memset (model->grads, 0, sizeof (float) * model->n_params);
  _sf_model_prepare_weights (model);
  double total = 0;
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      memcpy (model->input, images + start * size, sizeof (float) * m * size);
      const float *e = _sf_model_forward (model, m, TRUE, rng);
      if (embeddings != NULL)
        memcpy (embeddings + (gsize) start * D, e, sizeof (float) * m * D);
      total += m * loss (model->grad_buf[0], e, start, m, (float) m / n, user_data);
      _sf_model_backward (model, m);
    }
  model->steps++;
  if (mean_loss != NULL)
    *mean_loss = total / n;
  return TRUE;
}
