/* The model's parameter table: its tensors named and shaped as in PyTorch,
 * one buffer each for parameters and gradients, the initialisation, and the
 * PyTorch source of the whole model; see model.h. */
#include "model-private.h"

#include <math.h>
#include <string.h>

#include "error.h"

/* ------------------------------------------------------------------------ */
/* The tensor table                                                         */

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

/* A block's tensors, tower.<op>.<part>.<tensor>, in the order of its parts. */
static void
add_part_tensors (GArray *table, gsize *offset, int k, const SfOp *op)
{
  for (int i = 0; i < op->n_parts; i++)
    {
      const SfOpPart *part = &op->parts[i];
      int c = part->in.c;
      if (part->name == NULL)
        continue;
      g_autofree char *weight = g_strdup_printf ("%s.weight", part->name);
      g_autofree char *bias = g_strdup_printf ("%s.bias", part->name);
      g_autofree char *running_mean = g_strdup_printf ("%s.running_mean", part->name);
      g_autofree char *running_var = g_strdup_printf ("%s.running_var", part->name);
      switch (part->kind)
        {
        case SF_OP_CONV:
          add_tensor (table, offset, k, weight, TRUE, 4, part->units, c / part->groups, part->kernel, part->kernel);
          if (part->bias)
            add_tensor (table, offset, k, bias, TRUE, 1, part->units, 0, 0, 0);
          break;
        case SF_OP_DENSE:
          add_tensor (table, offset, k, weight, TRUE, 2, part->units, c, 0, 0);
          add_tensor (table, offset, k, bias, TRUE, 1, part->units, 0, 0, 0);
          break;
        case SF_OP_BATCHNORM:
          add_tensor (table, offset, k, weight, TRUE, 1, c, 0, 0, 0);
          add_tensor (table, offset, k, bias, TRUE, 1, c, 0, 0, 0);
          add_tensor (table, offset, k, running_mean, FALSE, 1, c, 0, 0, 0);
          add_tensor (table, offset, k, running_var, FALSE, 1, c, 0, 0, 0);
          break;
        default:
          break;
        }
    }
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
        case SF_OP_RESIDUAL:
        case SF_OP_SEPARABLE:
        case SF_OP_SQUEEZE_EXCITE:
          add_part_tensors (table, &offset, k, op);
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

gboolean
_sf_model_build_params (SfModel *model, GError **error)
{
  build_tensors (model);
  model->params = g_try_new0 (float, model->n_params);
  model->grads = g_try_new0 (float, model->n_params);
  model->trainable = g_try_new0 (guint8, model->n_params);
  if (model->params == NULL || model->grads == NULL || model->trainable == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, "not enough memory for %" G_GSIZE_FORMAT " parameters",
                   model->n_params);
      return FALSE;
    }
  for (int k = 0; k < model->n_tensors; k++)
    if (model->tensors[k].trainable)
      {
        memset (model->trainable + model->tensors[k].offset, 1, model->tensors[k].size);
        model->n_trainable += model->tensors[k].size;
      }
  if (model->head == SF_HEAD_BCE)
    {
      model->head_weight = model->n_params - 2;
      model->head_bias = model->n_params - 1;
    }
  return TRUE;
}

gsize
_sf_model_tensor_offset (const SfModel *model, int op, const char *suffix)
{
  g_autofree char *name = g_strdup_printf ("tower.%d.%s", op, suffix);
  for (int k = 0; k < model->n_tensors; k++)
    if (model->tensors[k].op == op && strcmp (model->tensors[k].name, name) == 0)
      return model->tensors[k].offset;
  g_assert_not_reached ();
  return 0;
}

/* Glorot-uniform weights, zero biases, γ = 1, β = 0, running variance 1.
 * One exception: the bce head's weight takes the Glorot magnitude with a
 * negative sign, so a larger distance starts as a lower score. Started
 * positive, the head asks the tower to pull different people together;
 * measured on Olivetti, such runs (half the seeds) stay at chance for good. */
void
_sf_model_initialise (SfModel *model, guint64 seed)
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

/* ------------------------------------------------------------------------ */
/* Accessors                                                                */

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

/* ------------------------------------------------------------------------ */
/* PyTorch source                                                           */

char *
sf_model_to_python (const SfModel *model)
{
  const SfTower *tower = model->tower;
  GString *s = g_string_new ("import torch\nimport torch.nn as nn\n\n\n");
  g_autofree char *classes = sf_tower_torch_classes (tower);
  g_string_append (s, classes);
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
