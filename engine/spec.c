/* The tower spec parser; the grammar is in spec.h. */
#include "spec.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "error.h"

#define DEFAULT_LEAKY_SLOPE 0.01f
#define DEFAULT_ELU_ALPHA 1.0f

typedef struct {
  const char *token;   /* the whole token, for messages */
  int index;           /* 0-based */
  GArray *ops;         /* SfOp */
  SfShape shape;       /* the current output shape */
  GError **error;
} Parser;

static gboolean
fail (Parser *p, SfError code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Parser *p, SfError code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (p->error, SF_ERROR, code, _("tower spec: “%s” (token %d): %s"), p->token, p->index + 1, why);
  return FALSE;
}

/* A plain decimal integer: digits only. */
static gboolean
parse_int (const char *text, int *value)
{
  if (*text == '\0' || strlen (text) > 9)
    return FALSE;
  int v = 0;
  for (const char *c = text; *c != '\0'; c++)
    {
      if (!g_ascii_isdigit (*c))
        return FALSE;
      v = v * 10 + (*c - '0');
    }
  *value = v;
  return TRUE;
}

/* A plain decimal number: digits, optionally a point and more digits (".5" too). */
static gboolean
parse_number (const char *text, float *value)
{
  const char *c = text;
  int digits = 0;
  while (g_ascii_isdigit (*c))
    c++, digits++;
  if (*c == '.')
    {
      c++;
      while (g_ascii_isdigit (*c))
        c++, digits++;
    }
  if (*c != '\0' || digits == 0 || digits > 12)
    return FALSE;
  *value = (float) g_ascii_strtod (text, NULL);
  return TRUE;
}

static gsize
shape_size (const SfShape *s)
{
  return (gsize) s->c * s->h * s->w;
}

static gboolean
push (Parser *p, SfOpKind kind, int units, int kernel, float value, const SfShape *out)
{
  SfOp op = { .kind = kind, .token = p->index, .units = units, .kernel = kernel, .value = value,
              .in = p->shape, .out = *out };
  gsize in_size = shape_size (&op.in), out_size = shape_size (out);
  if (out_size > SF_SPEC_MAX_ACTIVATION)
    return fail (p, SF_ERROR_TOO_LARGE,
                 _("its output of %zu floats per image is more than the limit of %zu"),
                 out_size, SF_SPEC_MAX_ACTIVATION);
  switch (kind)
    {
    case SF_OP_CONV:
      op.n_params = (gsize) units * op.in.c * kernel * kernel + units;
      op.flops = 2.0 * op.in.c * kernel * kernel * units * out->h * out->w;
      break;
    case SF_OP_DENSE:
      op.n_params = (gsize) units * op.in.c + units;
      op.flops = 2.0 * op.in.c * units;
      break;
    case SF_OP_BATCHNORM:
      op.n_params = 2 * (gsize) op.in.c;
      op.n_buffers = 2 * (gsize) op.in.c;
      op.flops = 2.0 * in_size;
      break;
    case SF_OP_FLATTEN:
      op.flops = 0;
      break;
    case SF_OP_L2NORM:
      op.flops = 3.0 * in_size;
      break;
    case SF_OP_RELU:
    case SF_OP_LEAKY_RELU:
    case SF_OP_ELU:
    case SF_OP_MAXPOOL:
    case SF_OP_DROPOUT:
    case SF_OP_AVGPOOL:
    default:
      op.flops = (double) in_size;
      break;
    }
  g_array_append_val (p->ops, op);
  p->shape = *out;
  return TRUE;
}

static gboolean
push_same (Parser *p, SfOpKind kind, float value)
{
  SfShape out = p->shape;
  return push (p, kind, 0, 0, value, &out);
}

/* bn, relu, leaky[S], elu[A]: as a token or a suffix. Returns FALSE with no
 * error set when word is none of them. */
static gboolean
parse_norm_or_activation (Parser *p, const char *word, gboolean *handled)
{
  float value;
  *handled = TRUE;
  if (strcmp (word, "bn") == 0)
    return push_same (p, SF_OP_BATCHNORM, 0);
  if (strcmp (word, "relu") == 0)
    return push_same (p, SF_OP_RELU, 0);
  if (g_str_has_prefix (word, "leaky"))
    {
      value = DEFAULT_LEAKY_SLOPE;
      if (word[5] != '\0' && !parse_number (word + 5, &value))
        return fail (p, SF_ERROR_INVALID, _("“%s”: write a leaky ReLU as leaky or leaky<slope>, as in leaky0.1"),
                     word);
      if (!(value < 1))
        return fail (p, SF_ERROR_INVALID, _("the leaky ReLU slope must be at least 0 and below 1"));
      return push_same (p, SF_OP_LEAKY_RELU, value);
    }
  if (g_str_has_prefix (word, "elu"))
    {
      value = DEFAULT_ELU_ALPHA;
      if (word[3] != '\0' && !parse_number (word + 3, &value))
        return fail (p, SF_ERROR_INVALID, _("“%s”: write an ELU as elu or elu<alpha>, as in elu1.0"), word);
      if (!(value > 0 && value <= 100))
        return fail (p, SF_ERROR_INVALID, _("the ELU alpha must be above 0 and at most 100"));
      return push_same (p, SF_OP_ELU, value);
    }
  *handled = FALSE;
  return FALSE;
}

static gboolean
is_activation (SfOpKind kind)
{
  return kind == SF_OP_RELU || kind == SF_OP_LEAKY_RELU || kind == SF_OP_ELU;
}

static gboolean
parse_token (Parser *p, const char *token)
{
  g_auto (GStrv) words = g_strsplit (token, "-", -1);
  const char *word = words[0];
  gboolean conv = g_str_has_prefix (word, "conv");
  gboolean dense = g_str_has_prefix (word, "dense");
  gboolean handled;
  SfShape out;

  for (int k = 0; words[k] != NULL; k++)
    if (words[k][0] == '\0')
      return fail (p, SF_ERROR_INVALID, _("an empty name between “-”"));
  if (words[1] != NULL && !conv && !dense)
    return fail (p, SF_ERROR_INVALID, _("only conv and dense take “-” suffixes; write “%s” as separate tokens"),
                 token);

  if (conv)
    {
      int units, kernel;
      const char *k = strchr (word + 4, 'k');
      g_autofree char *filters = k != NULL ? g_strndup (word + 4, k - (word + 4)) : NULL;
      if (k == NULL || !parse_int (filters, &units) || !parse_int (k + 1, &kernel))
        return fail (p, SF_ERROR_INVALID, _("write a convolution as conv<filters>k<kernel>, as in conv32k3"));
      if (units < 1 || units > SF_SPEC_MAX_UNITS)
        return fail (p, SF_ERROR_INVALID, _("the number of filters must be 1 to %d"), SF_SPEC_MAX_UNITS);
      if (kernel < 1 || kernel > SF_SPEC_MAX_KERNEL || kernel % 2 == 0)
        return fail (p, SF_ERROR_INVALID, _("the kernel size must be odd, 1 to %d (same padding)"), SF_SPEC_MAX_KERNEL);
      if (p->shape.flat)
        return fail (p, SF_ERROR_INVALID, _("a convolution needs an image input, but its input is flat"));
      out = (SfShape) { units, p->shape.h, p->shape.w, FALSE };
      if (!push (p, SF_OP_CONV, units, kernel, 0, &out))
        return FALSE;
    }
  else if (dense)
    {
      int units;
      if (!parse_int (word + 5, &units))
        return fail (p, SF_ERROR_INVALID, _("write a dense layer as dense<features>, as in dense128"));
      if (units < 1 || units > SF_SPEC_MAX_UNITS)
        return fail (p, SF_ERROR_INVALID, _("the number of features must be 1 to %d"), SF_SPEC_MAX_UNITS);
      if (!p->shape.flat)
        return fail (p, SF_ERROR_INVALID, _("a dense layer needs a flat input; put gap or flatten before it"));
      out = (SfShape) { units, 1, 1, TRUE };
      if (!push (p, SF_OP_DENSE, units, 0, 0, &out))
        return FALSE;
    }
  else if (g_str_has_prefix (word, "pool"))
    {
      int size = 2;
      if (word[4] != '\0' && !parse_int (word + 4, &size))
        return fail (p, SF_ERROR_INVALID, _("write a max-pool as pool or pool<size>, as in pool2"));
      if (size < 2 || size > SF_SPEC_MAX_POOL)
        return fail (p, SF_ERROR_INVALID, _("the pool size must be 2 to %d"), SF_SPEC_MAX_POOL);
      if (p->shape.flat)
        return fail (p, SF_ERROR_INVALID, _("a max-pool needs an image input, but its input is flat"));
      if (p->shape.h < size || p->shape.w < size)
        return fail (p, SF_ERROR_INVALID, _("its %d×%d input is smaller than the %d×%d window"), p->shape.h,
                     p->shape.w, size, size);
      out = (SfShape) { p->shape.c, p->shape.h / size, p->shape.w / size, FALSE };
      return push (p, SF_OP_MAXPOOL, 0, size, 0, &out);
    }
  else if (g_str_has_prefix (word, "drop"))
    {
      float rate;
      if (!parse_number (word + 4, &rate))
        return fail (p, SF_ERROR_INVALID, _("write dropout as drop<rate>, as in drop0.3"));
      if (!(rate < 1))
        return fail (p, SF_ERROR_INVALID, _("the dropout rate must be at least 0 and below 1"));
      return push_same (p, SF_OP_DROPOUT, rate);
    }
  else if (strcmp (word, "gap") == 0)
    {
      if (p->shape.flat)
        return fail (p, SF_ERROR_INVALID, _("global average pooling needs an image input, but its input is flat"));
      out = (SfShape) { p->shape.c, 1, 1, FALSE };
      if (!push (p, SF_OP_AVGPOOL, 0, 0, 0, &out))
        return FALSE;
      out.flat = TRUE;
      return push (p, SF_OP_FLATTEN, 0, 0, 0, &out);
    }
  else if (strcmp (word, "flatten") == 0)
    {
      out = (SfShape) { (int) shape_size (&p->shape), 1, 1, TRUE };
      return push (p, SF_OP_FLATTEN, 0, 0, 0, &out);
    }
  else if (strcmp (word, "l2norm") == 0)
    {
      if (!p->shape.flat)
        return fail (p, SF_ERROR_INVALID, _("l2norm needs a flat input; put it after gap, flatten or dense"));
      return push_same (p, SF_OP_L2NORM, 0);
    }
  else if (strcmp (word, "linear") == 0)
    return fail (p, SF_ERROR_INVALID, _("linear only follows conv or dense, as in dense128-linear"));
  else
    {
      if (parse_norm_or_activation (p, word, &handled))
        return TRUE;
      if (handled)
        return FALSE;
      return fail (p, SF_ERROR_INVALID,
                   _("unknown layer; use conv, dense, pool, drop, gap, flatten, l2norm, bn, relu, leaky or elu"));
    }

  /* conv or dense: the suffixes, then conv's default activation. */
  gboolean activated = FALSE;
  for (int k = 1; words[k] != NULL; k++)
    {
      if (strcmp (words[k], "linear") == 0)
        {
          activated = TRUE;
          continue;
        }
      if (!parse_norm_or_activation (p, words[k], &handled))
        {
          if (handled)
            return FALSE;
          return fail (p, SF_ERROR_INVALID, _("unknown suffix “%s”; use bn, relu, leaky, elu or linear"), words[k]);
        }
      if (is_activation (g_array_index (p->ops, SfOp, p->ops->len - 1).kind))
        activated = TRUE;
    }
  if (conv && !activated)
    return push_same (p, SF_OP_RELU, 0);
  return TRUE;
}

SfTower *
sf_tower_parse (const char *spec, int input_size, GError **error)
{
  if (input_size < 1 || input_size > SF_SPEC_MAX_INPUT)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("tower spec: the input size must be 1 to %d, not %d"),
                   SF_SPEC_MAX_INPUT, input_size);
      return NULL;
    }
  if (spec == NULL)
    spec = "";
  g_auto (GStrv) tokens = g_strsplit_set (spec, " \t\n\r\f\v", -1);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();
  for (int k = 0; tokens[k] != NULL; k++)
    if (tokens[k][0] != '\0')
      g_ptr_array_add (kept, tokens[k]);
  if (kept->len == 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("tower spec: empty; give layers, as in “%s”"),
                   "conv32k3 pool2 gap dense64");
      return NULL;
    }

  Parser p = { .ops = g_array_new (FALSE, TRUE, sizeof (SfOp)), .shape = { 1, input_size, input_size, FALSE },
               .error = error };
  gsize n_params = 0, n_buffers = 0;
  for (guint k = 0; k < kept->len; k++)
    {
      p.token = kept->pdata[k];
      p.index = (int) k;
      guint before = p.ops->len;
      if (!parse_token (&p, p.token))
        {
          g_array_unref (p.ops);
          return NULL;
        }
      for (guint i = before; i < p.ops->len; i++)
        {
          n_params += g_array_index (p.ops, SfOp, i).n_params;
          n_buffers += g_array_index (p.ops, SfOp, i).n_buffers;
        }
      if (n_params + n_buffers > SF_SPEC_MAX_PARAMS)
        {
          fail (&p, SF_ERROR_TOO_LARGE, _("the tower would have more than %zu parameters"),
                SF_SPEC_MAX_PARAMS);
          g_array_unref (p.ops);
          return NULL;
        }
    }
  if (!p.shape.flat)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   _("tower spec: the tower ends with %d×%d×%d images; end it with gap, flatten or a dense layer "
                   "to give an embedding"), p.shape.c, p.shape.h, p.shape.w);
      g_array_unref (p.ops);
      return NULL;
    }

  SfTower *tower = g_new0 (SfTower, 1);
  g_ptr_array_add (kept, NULL);
  tower->spec = g_strjoinv (" ", (char **) kept->pdata);
  tower->input_size = input_size;
  tower->n_tokens = (int) kept->len - 1;
  tower->n_ops = (int) p.ops->len;
  tower->ops = (SfOp *) g_array_free (p.ops, FALSE);
  tower->embedding_size = p.shape.c;
  tower->n_params = n_params;
  tower->n_buffers = n_buffers;
  for (int k = 0; k < tower->n_ops; k++)
    tower->flops += tower->ops[k].flops;
  return tower;
}

void
sf_tower_free (SfTower *tower)
{
  if (tower == NULL)
    return;
  g_free (tower->spec);
  g_free (tower->ops);
  g_free (tower);
}

const char *
sf_spec_preset (const char *name)
{
  if (name == NULL)
    return NULL;
  if (g_ascii_strcasecmp (name, "article") == 0)
    return SF_SPEC_ARTICLE;
  if (g_ascii_strcasecmp (name, "compact") == 0)
    return SF_SPEC_COMPACT;
  return NULL;
}

gboolean
sf_tower_has_op (const SfTower *tower, SfOpKind kind)
{
  for (int k = 0; k < tower->n_ops; k++)
    if (tower->ops[k].kind == kind)
      return TRUE;
  return FALSE;
}

const char *
sf_op_torch_class (const SfOp *op)
{
  switch (op->kind)
    {
    case SF_OP_CONV:
      return "Conv2d";
    case SF_OP_BATCHNORM:
      return op->in.flat ? "BatchNorm1d" : "BatchNorm2d";
    case SF_OP_RELU:
      return "ReLU";
    case SF_OP_LEAKY_RELU:
      return "LeakyReLU";
    case SF_OP_ELU:
      return "ELU";
    case SF_OP_MAXPOOL:
      return "MaxPool2d";
    case SF_OP_DROPOUT:
      return "Dropout";
    case SF_OP_AVGPOOL:
      return "AdaptiveAvgPool2d";
    case SF_OP_FLATTEN:
      return "Flatten";
    case SF_OP_DENSE:
      return "Linear";
    case SF_OP_L2NORM:
      return "L2Norm";
    default:
      return "Identity";
    }
}

char *
sf_op_to_python (const SfOp *op)
{
  const char *name = sf_op_torch_class (op);
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  switch (op->kind)
    {
    case SF_OP_CONV:
      return g_strdup_printf ("nn.%s(%d, %d, kernel_size=%d, padding=%d)", name, op->in.c, op->units, op->kernel,
                              op->kernel / 2);
    case SF_OP_DENSE:
      return g_strdup_printf ("nn.%s(%d, %d)", name, op->in.c, op->units);
    case SF_OP_BATCHNORM:
      return g_strdup_printf ("nn.%s(%d)", name, op->in.c);
    case SF_OP_MAXPOOL:
      return g_strdup_printf ("nn.%s(%d)", name, op->kernel);
    case SF_OP_AVGPOOL:
      return g_strdup_printf ("nn.%s(1)", name);
    case SF_OP_DROPOUT:
    case SF_OP_LEAKY_RELU:
    case SF_OP_ELU:
      g_ascii_formatd (number, sizeof number, "%g", op->value);
      return g_strdup_printf ("nn.%s(%s)", name, number);
    case SF_OP_L2NORM:
      return g_strdup_printf ("%s()", name);
    case SF_OP_RELU:
    case SF_OP_FLATTEN:
    default:
      return g_strdup_printf ("nn.%s()", name);
    }
}

char *
sf_shape_to_string (const SfShape *shape)
{
  if (shape->flat)
    return g_strdup_printf ("%d", shape->c);
  return g_strdup_printf ("%d×%d×%d", shape->c, shape->h, shape->w);
}

char *
sf_tower_to_python (const SfTower *tower)
{
  GString *s = g_string_new ("import torch.nn as nn\n\n");
  if (sf_tower_has_op (tower, SF_OP_L2NORM))
    g_string_append (s, SF_TORCH_L2NORM "\n\n");
  g_string_append_printf (s, "# %s\n# input: 1×%d×%d\n", tower->spec, tower->input_size, tower->input_size);
  g_string_append (s, "tower = nn.Sequential(\n");
  for (int k = 0; k < tower->n_ops; k++)
    {
      const SfOp *op = &tower->ops[k];
      g_autofree char *code = sf_op_to_python (op);
      g_autofree char *shape = sf_shape_to_string (&op->out);
      g_string_append_printf (s, "    %s,  # %d: %s", code, k, shape);
      if (op->n_params > 0)
        g_string_append_printf (s, ", %" G_GSIZE_FORMAT " parameters", op->n_params);
      g_string_append_c (s, '\n');
    }
  g_string_append (s, ")\n");
  return g_string_free (s, FALSE);
}
