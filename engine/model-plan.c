/* Planning a model's computation: the tower's ops grouped into stages (a
 * layer with the activation and max-pool after it; the first block fused),
 * their scratch, and the buffers a batch of images needs. */
#include "model-private.h"

#include "aligned.h"
#include "conv-direct.h"
#include "depthwise.h"
#include "error.h"

/* Scratch per worker for one convolution chunk, and the most images per chunk:
 * small chunks keep the GEMM operands in cache. The workspace is the largest
 * layer's chunk, so the budget sets part of the peak memory; at 8 MiB the
 * article's conv256k5 (F(4×4, 5×5), 6.5 MiB per image) would run one image
 * per chunk, saving 14 MiB with 2 workers but costing 22 % more CPU time per
 * epoch with Haswell kernels (docs/PERFORMANCE.md, "Winograd F(3×3, 5×5)"). */
#define CHUNK_BUDGET_BYTES ((gsize) 16 << 20)
#define MAX_CHUNK 8
#define MAX_SMALL_PLANE_CHUNK 32

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

/* The first stage with parameters as a first block (first-block.h) when it is
 * a lone convolution of the grey image that batch norm, ReLU and a 2×2 pool
 * follow, and the CPU runs the direct convolution. */
static void
fuse_first_block (SfModel *model)
{
  int s = model->first_param_stage;
  if (s + 1 >= model->n_stages)
    return;
  Stage *conv = &model->stages[s], *bn = &model->stages[s + 1];
  if (conv->kind != STAGE_CONV || bn->kind != STAGE_BATCHNORM || conv->act.kind != SF_ACT_NONE
      || conv->bias == NO_TENSOR || conv->u.conv.pool != 1
      || !sf_first_block_fits (&conv->u.conv.conv, bn->act, bn->u.bn.pool))
    return;
  conv->u.conv.first_block = TRUE;
  conv->u.conv.sums = g_new0 (SfFirstBlockSums *, model->n_groups);
  for (int g = 0; g < model->n_groups; g++)
    conv->u.conv.sums[g] = sf_first_block_sums_new (conv->out.c);
  model->workspace_stride = SF_ALIGN_FLOATS (MAX (model->stages_workspace, sf_first_block_scratch_size (&conv->u.conv.conv)));
}

/* Back to the layers one by one. */
static void
unfuse_first_block (SfModel *model)
{
  for (int s = 0; s < model->n_stages; s++)
    {
      ConvStage *cs = &model->stages[s].u.conv;
      if (model->stages[s].kind != STAGE_CONV || !cs->first_block)
        continue;
      for (int g = 0; g < model->n_groups; g++)
        sf_first_block_sums_free (cs->sums[g]);
      g_clear_pointer (&cs->sums, g_free);
      cs->first_block = FALSE;
    }
  model->workspace_stride = SF_ALIGN_FLOATS (model->stages_workspace);
}

/* Inside blocks the direct 3×3 kernels are asked for up to a larger
 * C·OC/(C + OC) than conv.c's own choice (which plain towers keep, so that
 * they train to the same bits): measured one core, 8 images, forward +
 * backward, best of 30, machine under load: 32→32 on 16×16 direct 620 µs
 * against Winograd's 987, 48→48 1624 against 2264, 32→64 1314 against 1439,
 * 64→64 2623 against 2521. The AVX2 kernels (CPUs without AVX-512) are
 * not asked for beyond conv.c's choice: there 32→32 on 16×16 measured 1181
 * µs direct against Winograd's 824 (build avx512=false, Haswell kernels). */
#define BLOCK_DIRECT_BELOW 32

/* A convolution's lowering, chunks, weight transform and the size of its
 * gradient accumulators (share_dacc places them); *workspace grows to the
 * scratch its chunks need per worker. in_block: a convolution inside a
 * residual block. */
static gboolean
plan_conv (SfModel *model, ConvStage *cs, const SfConvShape *shape, int pool, gboolean in_block, gsize *workspace)
{
  SfConvAlgo algo = SF_CONV_AUTO;
  if (in_block && (double) shape->C * shape->OC / (shape->C + shape->OC) < BLOCK_DIRECT_BELOW
      && g_strcmp0 (sf_conv_direct_kernels (), "AVX-512") == 0)
    algo = SF_CONV_DIRECT;   /* AUTO where it does not fit */
  sf_conv_init (&cs->conv, shape, algo);
  cs->pool = pool;
  gsize per_image = sf_conv_workspace_size (&cs->conv, 1) + (gsize) shape->OC * cs->conv.out_h * cs->conv.out_w;
  /* The direct path's weight gradient keeps 16 partial sums per weight and
   * adds a chunk's into them: on planes of 8×8 and 4×4 a chunk of 8 images
   * is little work for a pass over them (64→128 channels: 4.7 MB). */
  gsize max_chunk = cs->conv.algo == SF_CONV_DIRECT && shape->W % 16 != 0 ? MAX_SMALL_PLANE_CHUNK : MAX_CHUNK;
  cs->chunk = (int) CLAMP (CHUNK_BUDGET_BYTES / (sizeof (float) * per_image), 1, max_chunk);
  *workspace = MAX (*workspace, per_image * cs->chunk);
  cs->cache = sf_aligned_try_alloc (sf_conv_cache_size (&cs->conv), sizeof (float));
  cs->dacc_size = sf_conv_dacc_size (&cs->conv);
  cs->dacc_stride = SF_ALIGN_FLOATS (cs->dacc_size + shape->OC);
  return cs->cache != NULL;
}

/* The conv stages of stage st (a residual block has up to three). */
static int
stage_convs (Stage *st, ConvStage *convs[3])
{
  if (st->kind == STAGE_CONV)
    {
      convs[0] = &st->u.conv;
      return 1;
    }
  if (st->kind != STAGE_RESIDUAL || st->u.res == NULL)
    return 0;
  convs[0] = &st->u.res->conv1;
  convs[1] = &st->u.res->conv2;
  convs[2] = &st->u.res->shortcut;
  return st->u.res->projection ? 3 : 2;
}

/* One set of weight-gradient accumulators for all conv stages: a conv's
 * accumulators live only within its _sf_model_conv_backward (cleared at its
 * start, summed into the gradient at its end), and the stages run backward
 * one after another. Separate sets cost the article's network 12 MiB. */
static gboolean
share_dacc (SfModel *model)
{
  gsize largest = 0;
  ConvStage *convs[3];
  for (int s = 0; s < model->n_stages; s++)
    for (int k = stage_convs (&model->stages[s], convs) - 1; k >= 0; k--)
      largest = MAX (largest, convs[k]->dacc_stride);
  model->dacc_pool = sf_aligned_try_alloc (largest * model->n_groups, sizeof (float));
  for (int s = 0; s < model->n_stages; s++)
    for (int k = stage_convs (&model->stages[s], convs) - 1; k >= 0; k--)
      convs[k]->dacc = model->dacc_pool;
  return model->dacc_pool != NULL;
}

static void
free_conv (ConvStage *cs, int n_groups)
{
  sf_aligned_free (cs->cache);
  for (int g = 0; cs->sums != NULL && g < n_groups; g++)
    sf_first_block_sums_free (cs->sums[g]);
  g_free (cs->sums);
}

/* A batch norm of op k, part `name`, over C channels. */
static gboolean
plan_block_norm (SfModel *model, BlockNorm *bn, int k, const char *name, int C)
{
  g_autofree char *weight = g_strdup_printf ("%s.weight", name);
  g_autofree char *bias = g_strdup_printf ("%s.bias", name);
  g_autofree char *running_mean = g_strdup_printf ("%s.running_mean", name);
  g_autofree char *running_var = g_strdup_printf ("%s.running_var", name);
  bn->weight = _sf_model_tensor_offset (model, k, weight);
  bn->bias = _sf_model_tensor_offset (model, k, bias);
  bn->running_mean = _sf_model_tensor_offset (model, k, running_mean);
  bn->running_var = _sf_model_tensor_offset (model, k, running_var);
  bn->mean = g_try_new0 (float, C);
  bn->invstd = g_try_new0 (float, C);
  return bn->mean != NULL && bn->invstd != NULL;
}

static ResidualStage *
plan_residual (SfModel *model, int k, gsize *workspace, gboolean *ok)
{
  const SfOp *op = &model->tower->ops[k];
  ResidualStage *res = g_new0 (ResidualStage, 1);
  int C = op->in.c, F = op->units;
  SfConvShape conv1 = { C, op->in.h, op->in.w, F, 3, op->stride };
  SfConvShape conv2 = { F, op->out.h, op->out.w, F, 3, 1 };
  *ok = plan_conv (model, &res->conv1, &conv1, 1, TRUE, workspace) && *ok;
  *ok = plan_conv (model, &res->conv2, &conv2, 1, TRUE, workspace) && *ok;
  res->weight1 = _sf_model_tensor_offset (model, k, "conv1.weight");
  res->weight2 = _sf_model_tensor_offset (model, k, "conv2.weight");
  *ok = plan_block_norm (model, &res->bn1, k, "bn1", F) && *ok;
  *ok = plan_block_norm (model, &res->bn2, k, "bn2", F) && *ok;
  res->projection = op->projection;
  if (op->projection)
    {
      SfConvShape shortcut = { C, op->in.h, op->in.w, F, 1, op->stride };
      *ok = plan_conv (model, &res->shortcut, &shortcut, 1, TRUE, workspace) && *ok;
      res->weight_shortcut = _sf_model_tensor_offset (model, k, "shortcut.0.weight");
      *ok = plan_block_norm (model, &res->bn_shortcut, k, "shortcut.1", F) && *ok;
    }
  return res;
}

static void
free_residual (ResidualStage *res, int n_groups)
{
  if (res == NULL)
    return;
  free_conv (&res->conv1, n_groups);
  free_conv (&res->conv2, n_groups);
  free_conv (&res->shortcut, n_groups);
  BlockNorm *norms[] = { &res->bn1, &res->bn2, &res->bn_shortcut };
  for (guint i = 0; i < G_N_ELEMENTS (norms); i++)
    {
      g_free (norms[i]->mean);
      g_free (norms[i]->invstd);
    }
  g_free (res);
}

/* A batch norm stage over `in` with ReLU, from the tensors of op k's part `name` (inside a separable conv). */
static Stage
part_batchnorm_stage (SfModel *model, int k, const char *name, const SfShape *in, gboolean *ok)
{
  g_autofree char *weight = g_strdup_printf ("%s.weight", name);
  g_autofree char *bias = g_strdup_printf ("%s.bias", name);
  g_autofree char *running_mean = g_strdup_printf ("%s.running_mean", name);
  g_autofree char *running_var = g_strdup_printf ("%s.running_var", name);
  Stage st = { .kind = STAGE_BATCHNORM, .op = k, .in = *in, .out = *in, .act = { SF_ACT_RELU, 0 } };
  st.weight = _sf_model_tensor_offset (model, k, weight);
  st.bias = _sf_model_tensor_offset (model, k, bias);
  st.running_mean = _sf_model_tensor_offset (model, k, running_mean);
  st.running_var = _sf_model_tensor_offset (model, k, running_var);
  st.u.bn.mean = g_try_new0 (float, in->c);
  st.u.bn.invstd = g_try_new0 (float, in->c);
  st.u.bn.pool = 1;
  *ok = *ok && st.u.bn.mean != NULL && st.u.bn.invstd != NULL;
  return st;
}

static void
append_stage (GArray *stages, Stage *st, gsize *max_size)
{
  st->in_size = shape_size (&st->in);
  st->out_size = shape_size (&st->out);
  *max_size = MAX (*max_size, MAX (st->in_size, st->out_size));
  g_array_append_val (stages, *st);
}

gboolean
_sf_model_plan_stages (SfModel *model, GError **error)
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
            SfConvShape shape = { op->in.c, op->in.h, op->in.w, op->units, op->kernel, op->stride };
            st.weight = _sf_model_tensor_offset (model, k, "weight");
            st.bias = _sf_model_tensor_offset (model, k, "bias");
            if (is_act (tower, last + 1))
              st.act = act_of (&tower->ops[++last]);
            int pool = 1;
            if (last + 1 < tower->n_ops && tower->ops[last + 1].kind == SF_OP_MAXPOOL)
              pool = tower->ops[++last].kernel;
            ok = plan_conv (model, &st.u.conv, &shape, pool, FALSE, &workspace) && ok;
            break;
          }
        case SF_OP_SEPARABLE:
          {
            /* depthwise, bn1 + ReLU, pointwise, then bn2 + ReLU as this stage. */
            const SfOpPart *parts = op->parts;
            Stage dw = { .kind = STAGE_DEPTHWISE, .op = k, .in = op->in, .out = parts[0].out,
                         .act = { SF_ACT_NONE, 0 }, .bias = NO_TENSOR };
            dw.weight = _sf_model_tensor_offset (model, k, "depthwise.weight");
            dw.u.dw.kernel = op->kernel;
            dw.u.dw.stride = op->stride;
            workspace = MAX (workspace, sf_depthwise_scratch_size (op->in.h, op->in.w, op->kernel, op->stride));
            append_stage (stages, &dw, &max_size);
            Stage bn1 = part_batchnorm_stage (model, k, "bn1", &parts[1].in, &ok);
            append_stage (stages, &bn1, &max_size);
            Stage pw = { .kind = STAGE_CONV, .op = k, .in = parts[3].in, .out = parts[3].out,
                         .act = { SF_ACT_NONE, 0 }, .bias = NO_TENSOR };
            pw.weight = _sf_model_tensor_offset (model, k, "pointwise.weight");
            SfConvShape shape = { parts[3].in.c, parts[3].in.h, parts[3].in.w, op->units, 1, 1 };
            ok = plan_conv (model, &pw.u.conv, &shape, 1, FALSE, &workspace) && ok;
            append_stage (stages, &pw, &max_size);
            st = part_batchnorm_stage (model, k, "bn2", &parts[4].in, &ok);
            model->has_batchnorm = TRUE;
            break;
          }
        case SF_OP_RESIDUAL:
          st.kind = STAGE_RESIDUAL;
          st.u.res = plan_residual (model, k, &workspace, &ok);
          model->block_size = MAX (model->block_size, shape_size (&op->out));
          model->has_batchnorm = TRUE;
          break;
        case SF_OP_SQUEEZE_EXCITE:
          st.kind = STAGE_SQUEEZE_EXCITE;
          st.u.se.hidden = op->units;
          st.u.se.w1 = _sf_model_tensor_offset (model, k, "fc1.weight");
          st.u.se.b1 = _sf_model_tensor_offset (model, k, "fc1.bias");
          st.u.se.w2 = _sf_model_tensor_offset (model, k, "fc2.weight");
          st.u.se.b2 = _sf_model_tensor_offset (model, k, "fc2.bias");
          break;
        case SF_OP_AVGPOOL_WINDOW:
          st.kind = STAGE_AVGPOOL_WINDOW;
          st.u.pool.size = op->kernel;
          break;
        case SF_OP_BATCHNORM:
          st.kind = STAGE_BATCHNORM;
          st.weight = _sf_model_tensor_offset (model, k, "weight");
          st.bias = _sf_model_tensor_offset (model, k, "bias");
          st.running_mean = _sf_model_tensor_offset (model, k, "running_mean");
          st.running_var = _sf_model_tensor_offset (model, k, "running_var");
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
          st.weight = _sf_model_tensor_offset (model, k, "weight");
          st.bias = _sf_model_tensor_offset (model, k, "bias");
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
      append_stage (stages, &st, &max_size);
      k = last + 1;
    }
  model->n_stages = (int) stages->len;
  model->stages = (Stage *) g_array_free (stages, FALSE);
  model->first_param_stage = model->n_stages;
  for (int s = model->n_stages - 1; s >= 0; s--)
    if (sf_stage_has_params (&model->stages[s]))
      model->first_param_stage = s;
  ok = share_dacc (model) && ok;
  model->max_size = max_size;
  model->stages_workspace = workspace;
  model->workspace_stride = SF_ALIGN_FLOATS (workspace);
  if (model->fuse_first_block)
    fuse_first_block (model);
  if (!ok)
    g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, "not enough memory for the layers of “%s”", tower->spec);
  return ok;
}

void
_sf_model_free_stages (SfModel *model)
{
  for (int s = 0; s < model->n_stages; s++)
    {
      Stage *st = &model->stages[s];
      if (st->kind == STAGE_CONV)
        free_conv (&st->u.conv, model->n_groups);
      else if (st->kind == STAGE_BATCHNORM)
        {
          g_free (st->u.bn.mean);
          g_free (st->u.bn.invstd);
        }
      else if (st->kind == STAGE_RESIDUAL)
        free_residual (st->u.res, model->n_groups);
    }
  g_clear_pointer (&model->dacc_pool, sf_aligned_free);
  g_free (model->stages);
}

void
_sf_model_free_buffers (SfModel *model)
{
  for (int s = 0; s < model->n_stages; s++)
    {
      g_clear_pointer (&model->stages[s].out_buf, sf_aligned_free);
      g_clear_pointer (&model->stages[s].aux, sf_aligned_free);
      if (model->stages[s].kind == STAGE_BATCHNORM)
        g_clear_pointer (&model->stages[s].u.bn.at_max, sf_aligned_free);
      if (model->stages[s].kind == STAGE_RESIDUAL)
        {
          ResidualStage *res = model->stages[s].u.res;
          g_clear_pointer (&res->c1, sf_aligned_free);
          g_clear_pointer (&res->a1, sf_aligned_free);
          g_clear_pointer (&res->c2, sf_aligned_free);
          g_clear_pointer (&res->cs, sf_aligned_free);
        }
      if (model->stages[s].kind == STAGE_SQUEEZE_EXCITE)
        {
          SqueezeExciteStage *se = &model->stages[s].u.se;
          g_clear_pointer (&se->squeeze, sf_aligned_free);
          g_clear_pointer (&se->gate, sf_aligned_free);
          g_clear_pointer (&se->hidden_out, sf_aligned_free);
          g_clear_pointer (&se->scratch, sf_aligned_free);
        }
    }
  g_clear_pointer (&model->block_grad[0], sf_aligned_free);
  g_clear_pointer (&model->block_grad[1], sf_aligned_free);
  g_clear_pointer (&model->input, sf_aligned_free);
  g_clear_pointer (&model->grad_buf[0], sf_aligned_free);
  g_clear_pointer (&model->grad_buf[1], sf_aligned_free);
  g_clear_pointer (&model->workspace, sf_aligned_free);
  g_clear_pointer (&model->dist, sf_aligned_free);
  g_clear_pointer (&model->ddist, sf_aligned_free);
  g_clear_pointer (&model->scores, sf_aligned_free);
  model->capacity = 0;
}

gboolean
_sf_model_ensure_capacity (SfModel *model, int n, GError **error)
{
  if (n <= model->capacity)
    return TRUE;
  _sf_model_free_buffers (model);
  gsize in0 = (gsize) model->tower->input_size * model->tower->input_size;
  gboolean ok = TRUE;
  gsize total = 0;
#define TRY_NEW(ptr, type, count)                   \
  G_STMT_START                                      \
  {                                                 \
    gsize count_ = (count);                         \
    total += count_ * sizeof (type);                \
    ptr = sf_aligned_try_alloc (count_, sizeof (type)); \
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
      if (st->kind == STAGE_BATCHNORM && _sf_model_after_first_block (model, s))
        TRY_NEW (st->u.bn.at_max, float, n * st->out_size);
      gboolean argmax = st->kind == STAGE_POOL || (st->kind == STAGE_CONV && st->u.conv.pool > 1)
                        || (st->kind == STAGE_BATCHNORM && st->u.bn.pool > 1);
      if (argmax)
        TRY_NEW (st->aux, guint8, n * st->out_size);
      if (st->kind == STAGE_DROPOUT)
        TRY_NEW (st->aux, guint8, n * sf_dropout_mask_size (st->out_size));
      if (st->kind == STAGE_RESIDUAL)
        {
          ResidualStage *res = st->u.res;
          TRY_NEW (res->c1, float, n * st->out_size);
          TRY_NEW (res->a1, float, n * st->out_size);
          TRY_NEW (res->c2, float, n * st->out_size);
          if (res->projection)
            TRY_NEW (res->cs, float, n * st->out_size);
        }
      if (st->kind == STAGE_SQUEEZE_EXCITE)
        {
          SqueezeExciteStage *se = &st->u.se;
          TRY_NEW (se->squeeze, float, (gsize) n * st->in.c);
          TRY_NEW (se->gate, float, (gsize) n * st->in.c);
          TRY_NEW (se->hidden_out, float, (gsize) n * se->hidden);
          TRY_NEW (se->scratch, float, (gsize) n * (2 * st->in.c + se->hidden));
        }
    }
  if (model->block_size > 0)
    {
      TRY_NEW (model->block_grad[0], float, n * model->block_size);
      TRY_NEW (model->block_grad[1], float, n * model->block_size);
    }
#undef TRY_NEW
  if (!ok)
    {
      g_autofree char *amount = g_format_size (total);
      _sf_model_free_buffers (model);
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, "not enough memory for a batch of %d images (%s)", n,
                   amount);
      return FALSE;
    }
  model->capacity = n;
  return TRUE;
}

void
sf_model_set_fused_first_block (SfModel *model, gboolean fused)
{
  g_return_if_fail (model != NULL);
  fused = !!fused;
  if (fused == model->fuse_first_block)
    return;
  /* The fused block keeps other buffers than its layers (first-block.h). */
  _sf_model_free_buffers (model);
  model->fuse_first_block = fused;
  if (fused)
    fuse_first_block (model);
  else
    unfuse_first_block (model);
}

gboolean
sf_model_uses_fused_first_block (const SfModel *model)
{
  for (int s = 0; s < model->n_stages; s++)
    if (model->stages[s].kind == STAGE_CONV && model->stages[s].u.conv.first_block)
      return TRUE;
  return FALSE;
}
