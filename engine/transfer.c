/* Fine-tuning: the layer-by-layer check that two models share a tower, the
 * copy of the weights, and freezing the first layers; see transfer.h. */
#include "transfer.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "error.h"
#include "model-private.h"

int
sf_tower_n_layers (const SfTower *tower)
{
  return tower->n_ops > 0 ? tower->ops[tower->n_ops - 1].token + 1 : 0;
}

char *
sf_tower_layer_text (const SfTower *tower, int layer)
{
  g_auto (GStrv) tokens = g_strsplit (tower->spec, " ", -1);
  return layer >= 0 && layer < (int) g_strv_length (tokens) ? g_strdup (tokens[layer]) : NULL;
}

/* The ops of one layer, as PyTorch would build them, with their output
 * shapes: two layers agree when these do (conv32k3 and conv32k3-relu do). */
static char *
layer_signature (const SfTower *tower, int layer)
{
  GString *s = g_string_new (NULL);
  for (int k = 0; k < tower->n_ops; k++)
    if (tower->ops[k].token == layer)
      {
        g_autofree char *code = sf_op_to_python (&tower->ops[k]);
        const SfShape *out = &tower->ops[k].out;
        g_string_append_printf (s, "%s→%d×%d×%d;", code, out->c, out->h, out->w);
      }
  return g_string_free (s, FALSE);
}

gboolean
sf_transfer_check (const SfModel *from, const SfModel *to, GError **error)
{
  const SfTower *a = sf_model_get_tower (from), *b = sf_model_get_tower (to);
  if (a->input_size != b->input_size)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   _("input: the model file takes %d×%d images, the training %d×%d"), a->input_size,
                   a->input_size, b->input_size, b->input_size);
      return FALSE;
    }
  int n_a = sf_tower_n_layers (a), n_b = sf_tower_n_layers (b);
  for (int k = 0; k < MAX (n_a, n_b); k++)
    {
      g_autofree char *text_a = sf_tower_layer_text (a, k);
      g_autofree char *text_b = sf_tower_layer_text (b, k);
      if (k >= n_a)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                       _("layer %d: the model file ends after %d layers, the spec asks for %s"), k + 1, n_a,
                       text_b);
          return FALSE;
        }
      if (k >= n_b)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                       _("layer %d: the model file has %s, the spec ends after %d layers"), k + 1, text_a, n_b);
          return FALSE;
        }
      g_autofree char *sig_a = layer_signature (a, k);
      g_autofree char *sig_b = layer_signature (b, k);
      if (strcmp (sig_a, sig_b) != 0)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("layer %d: the model file has %s, the spec asks for %s"),
                       k + 1, text_a, text_b);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
sf_transfer_weights (SfModel *to, const SfModel *from, GError **error)
{
  if (!sf_transfer_check (from, to, error))
    return FALSE;
  gboolean same_head = sf_model_get_head (from) == sf_model_get_head (to);
  const float *source = from->params;
  for (int k = 0; k < to->n_tensors; k++)
    {
      const SfTensorInfo *t = &to->tensors[k];
      if (t->op < 0 && !same_head)
        continue;
      const SfTensorInfo *f = sf_model_find_tensor (from, t->name);
      /* The same layers give the same table; this only guards the copy. */
      if (f == NULL || f->size != t->size)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("tensor %s: not in the model file or of another size"),
                       t->name);
          return FALSE;
        }
      memcpy (to->params + t->offset, source + f->offset, sizeof (float) * t->size);
    }
  return TRUE;
}

gboolean
sf_model_freeze_layers (SfModel *model, int n_layers, GError **error)
{
  const SfTower *tower = model->tower;
  int n = sf_tower_n_layers (tower);
  if (n_layers < 0 || n_layers > n)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("cannot freeze %d layers: the spec has %d"), n_layers, n);
      return FALSE;
    }
  model->frozen_layers = n_layers;
  model->n_trainable = 0;
  for (int k = 0; k < model->n_tensors; k++)
    {
      const SfTensorInfo *t = &model->tensors[k];
      gboolean trainable = t->trainable && (t->op < 0 || tower->ops[t->op].token >= n_layers);
      memset (model->trainable + t->offset, trainable, t->size);
      if (trainable)
        model->n_trainable += t->size;
    }
  /* A stage belongs to the layer of the op it starts with (its parameters'). */
  model->frozen_stages = 0;
  while (model->frozen_stages < model->n_stages
         && tower->ops[model->stages[model->frozen_stages].op].token < n_layers)
    model->frozen_stages++;
  model->first_trained_stage = model->frozen_stages;
  while (model->first_trained_stage < model->n_stages
         && !sf_stage_has_params (&model->stages[model->first_trained_stage]))
    model->first_trained_stage++;
  if (n_layers == 0)
    model->first_trained_stage = 0;
  return TRUE;
}

int
sf_model_get_frozen_layers (const SfModel *model)
{
  return model->frozen_layers;
}
