/* Naming the kernels a model's convolutions run as, from the stages the plan
 * chose (model-plan.c), so that a benchmark can say why a machine gives what
 * it gives. */
#include "model-private.h"

#include <string.h>

#include "conv-direct.h"

/* The layer's name in the spec: its token without the suffixes ("conv16k3"
 * for "conv16k3-bn-relu"). */
static char *
layer_name (char **tokens, const SfOp *op)
{
  const char *token = op->token < (int) g_strv_length (tokens) ? tokens[op->token] : "?";
  return g_strndup (token, strcspn (token, "-"));
}

static void
append_lowering (GString *out, const ConvStage *cs)
{
  const SfConv *conv = &cs->conv;
  switch (conv->algo)
    {
    case SF_CONV_WINOGRAD:
      /* The tile as the plan set it: every F(m×m, K×K) conv.c offers. */
      g_string_append_printf (out, "Winograd F(%d×%d, %d×%d)", conv->m, conv->m, conv->shape.K, conv->shape.K);
      break;
    case SF_CONV_DIRECT:
      /* conv-direct.c's kernels: AVX-512 or AVX2, and where bf16 runs, which passes. */
      if (cs->first_block)
        g_string_append_printf (out, "fused first block (direct %s)", sf_conv_direct_kernels ());
      else
        g_string_append_printf (out, "direct %s%s", sf_conv_direct_kernels (),
                                sf_conv_direct_bf16_runs (conv->shape.C) ? " bf16" : "");
      break;
    case SF_CONV_IM2COL:
    default:
      g_string_append (out, "im2col");
      break;
    }
}

char *
sf_model_describe_kernels (SfModel *model)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_auto (GStrv) tokens = g_strsplit (model->tower->spec, " ", -1);
  GString *out = g_string_new (NULL);
  for (int s = 0; s < model->n_stages; s++)
    {
      const Stage *st = &model->stages[s];
      const SfOp *op = &model->tower->ops[st->op];
      if (st->kind != STAGE_CONV && st->kind != STAGE_RESIDUAL)
        continue;
      g_autofree char *name = layer_name (tokens, op);
      if (out->len > 0)
        g_string_append (out, " · ");
      g_string_append_printf (out, "%s ", name);
      if (st->kind == STAGE_CONV)
        {
          /* A separable convolution's stage is its pointwise half; depthwise.c runs the other. */
          if (op->kind == SF_OP_SEPARABLE)
            g_string_append (out, "pointwise ");
          append_lowering (out, &st->u.conv);
          continue;
        }
      const ResidualStage *res = st->u.res;
      g_string_append (out, "(conv1 ");
      append_lowering (out, &res->conv1);
      g_string_append (out, ", conv2 ");
      append_lowering (out, &res->conv2);
      if (res->projection)
        {
          g_string_append (out, ", shortcut ");
          append_lowering (out, &res->shortcut);
        }
      g_string_append (out, ")");
    }
  if (out->len == 0)
    g_string_append (out, "none");
  return g_string_free (out, FALSE);
}
