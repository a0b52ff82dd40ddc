/* Planning a model's computation: the tower's ops grouped into stages (a
 * layer with the activation and max-pool after it; the first block fused),
 * their scratch, and the buffers a batch of images needs. */
#include "model-private.h"

#include "error.h"

/* Scratch per worker for one convolution chunk, and the most images per chunk:
 * small chunks keep the GEMM operands in cache. */
#define CHUNK_BUDGET_BYTES ((gsize) 16 << 20)
#define MAX_CHUNK 8

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
      || conv->u.conv.pool != 1 || !sf_first_block_fits (&conv->u.conv.conv, bn->act, bn->u.bn.pool))
    return;
  conv->u.conv.first_block = TRUE;
  conv->u.conv.sums = g_new0 (SfFirstBlockSums *, model->n_groups);
  for (int g = 0; g < model->n_groups; g++)
    conv->u.conv.sums[g] = sf_first_block_sums_new (conv->out.c);
  model->workspace_stride = MAX (model->stages_workspace, sf_first_block_scratch_size (&conv->u.conv.conv));
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
  model->workspace_stride = model->stages_workspace;
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
            if (op->stride != 1)
              {
                g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "“%s”: this engine cannot run strides yet",
                             tower->spec);
                g_array_unref (stages);
                return FALSE;
              }
            st.kind = STAGE_CONV;
            ConvStage *cs = &st.u.conv;
            SfConvShape shape = { op->in.c, op->in.h, op->in.w, op->units, op->kernel };
            sf_conv_init (&cs->conv, &shape, SF_CONV_AUTO);
            st.weight = _sf_model_tensor_offset (model, k, "weight");
            st.bias = _sf_model_tensor_offset (model, k, "bias");
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
        case SF_OP_AVGPOOL_WINDOW:
        case SF_OP_RESIDUAL:
        case SF_OP_SEPARABLE:
        case SF_OP_SQUEEZE_EXCITE:
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "“%s”: this engine cannot run %s yet", tower->spec,
                       sf_op_torch_class (op));
          g_array_unref (stages);
          return FALSE;
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
  model->max_size = max_size;
  model->stages_workspace = workspace;
  model->workspace_stride = workspace;
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
}

void
_sf_model_free_buffers (SfModel *model)
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
      if (st->kind == STAGE_BATCHNORM && _sf_model_after_first_block (model, s))
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
