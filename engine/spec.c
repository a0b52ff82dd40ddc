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
check_size (Parser *p, const SfShape *out)
{
  gsize out_size = shape_size (out);
  if (out_size > SF_SPEC_MAX_ACTIVATION)
    return fail (p, SF_ERROR_TOO_LARGE,
                 _("its output of %zu floats per image is more than the limit of %zu"),
                 out_size, SF_SPEC_MAX_ACTIVATION);
  return TRUE;
}

static gboolean
push_stride (Parser *p, SfOpKind kind, int units, int kernel, int stride, float value, const SfShape *out)
{
  SfOp op = { .kind = kind, .token = p->index, .units = units, .kernel = kernel, .stride = stride, .value = value,
              .in = p->shape, .out = *out };
  gsize in_size = shape_size (&op.in);
  if (!check_size (p, out))
    return FALSE;
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
    case SF_OP_AVGPOOL_WINDOW:
    default:
      op.flops = (double) in_size;
      break;
    }
  g_array_append_val (p->ops, op);
  p->shape = *out;
  return TRUE;
}

static gboolean
push (Parser *p, SfOpKind kind, int units, int kernel, float value, const SfShape *out)
{
  return push_stride (p, kind, units, kernel, 1, value, out);
}

/* ------------------------------------------------------------------------ */
/* Blocks                                                                   */

/* The output side of a K×K window at stride S with padding K/2 (K odd). */
static int
strided_side (int side, int stride)
{
  return (side - 1) / stride + 1;
}

/* Appends a part to a block op, with its counts; returns its output shape. */
static SfShape
add_part (SfOp *op, const char *name, SfOpKind kind, int units, int kernel, int stride, int groups,
          gboolean shortcut, const SfShape *in)
{
  g_assert (op->n_parts < SF_OP_MAX_PARTS);
  SfOpPart *part = &op->parts[op->n_parts++];
  *part = (SfOpPart) { .name = name, .kind = kind, .units = units, .kernel = kernel, .stride = stride,
                       .groups = groups, .shortcut = shortcut, .in = *in, .out = *in };
  gsize in_size = shape_size (in);
  switch (kind)
    {
    case SF_OP_CONV:
      part->out = (SfShape) { units, strided_side (in->h, stride), strided_side (in->w, stride), FALSE };
      part->n_params = (gsize) units * (in->c / groups) * kernel * kernel;
      part->flops = 2.0 * (in->c / groups) * kernel * kernel * units * part->out.h * part->out.w;
      break;
    case SF_OP_BATCHNORM:
      part->n_params = 2 * (gsize) in->c;
      part->n_buffers = 2 * (gsize) in->c;
      part->flops = 2.0 * in_size;
      break;
    case SF_OP_DENSE:
      part->out = (SfShape) { units, 1, 1, TRUE };
      part->bias = TRUE;
      part->n_params = (gsize) units * in->c + units;
      part->flops = 2.0 * in->c * units;
      break;
    case SF_OP_AVGPOOL:
      part->out = (SfShape) { in->c, 1, 1, TRUE };
      part->flops = (double) in_size;
      break;
    case SF_OP_RELU:
    case SF_OP_SIGMOID:
    case SF_OP_ADD:
    case SF_OP_SCALE:
    default:
      part->flops = (double) in_size;
      break;
    }
  op->n_params += part->n_params;
  op->n_buffers += part->n_buffers;
  op->flops += part->flops;
  return part->out;
}

/* res<F>[s<S>]: ResNet's BasicBlock, as SF_TORCH_BASIC_BLOCK builds it. */
static gboolean
push_residual (Parser *p, int units, int stride)
{
  SfShape in = p->shape;
  SfOp op = { .kind = SF_OP_RESIDUAL, .token = p->index, .units = units, .kernel = 3, .stride = stride,
              .projection = stride != 1 || in.c != units, .in = in };
  SfShape x = add_part (&op, "conv1", SF_OP_CONV, units, 3, stride, 1, FALSE, &in);
  x = add_part (&op, "bn1", SF_OP_BATCHNORM, 0, 0, 1, 1, FALSE, &x);
  x = add_part (&op, NULL, SF_OP_RELU, 0, 0, 1, 1, FALSE, &x);
  x = add_part (&op, "conv2", SF_OP_CONV, units, 3, 1, 1, FALSE, &x);
  x = add_part (&op, "bn2", SF_OP_BATCHNORM, 0, 0, 1, 1, FALSE, &x);
  if (op.projection)
    {
      SfShape s = add_part (&op, "shortcut.0", SF_OP_CONV, units, 1, stride, 1, TRUE, &in);
      add_part (&op, "shortcut.1", SF_OP_BATCHNORM, 0, 0, 1, 1, TRUE, &s);
    }
  x = add_part (&op, NULL, SF_OP_ADD, 0, 0, 1, 1, FALSE, &x);
  op.out = add_part (&op, NULL, SF_OP_RELU, 0, 0, 1, 1, FALSE, &x);
  if (!check_size (p, &op.out))
    return FALSE;
  g_array_append_val (p->ops, op);
  p->shape = op.out;
  return TRUE;
}

/* sep<F>k<K>[s<S>], as SF_TORCH_SEPARABLE_CONV builds it. */
static gboolean
push_separable (Parser *p, int units, int kernel, int stride)
{
  SfShape in = p->shape;
  SfOp op = { .kind = SF_OP_SEPARABLE, .token = p->index, .units = units, .kernel = kernel, .stride = stride,
              .in = in };
  SfShape x = add_part (&op, "depthwise", SF_OP_CONV, in.c, kernel, stride, in.c, FALSE, &in);
  if (!check_size (p, &x))
    return FALSE;
  x = add_part (&op, "bn1", SF_OP_BATCHNORM, 0, 0, 1, 1, FALSE, &x);
  x = add_part (&op, NULL, SF_OP_RELU, 0, 0, 1, 1, FALSE, &x);
  x = add_part (&op, "pointwise", SF_OP_CONV, units, 1, 1, 1, FALSE, &x);
  x = add_part (&op, "bn2", SF_OP_BATCHNORM, 0, 0, 1, 1, FALSE, &x);
  op.out = add_part (&op, NULL, SF_OP_RELU, 0, 0, 1, 1, FALSE, &x);
  if (!check_size (p, &op.out))
    return FALSE;
  g_array_append_val (p->ops, op);
  p->shape = op.out;
  return TRUE;
}

/* se<R>, as SF_TORCH_SQUEEZE_EXCITE builds it. */
static gboolean
push_squeeze_excite (Parser *p, int reduction)
{
  SfShape in = p->shape;
  int hidden = in.c / reduction;
  SfOp op = { .kind = SF_OP_SQUEEZE_EXCITE, .token = p->index, .units = hidden, .stride = 1,
              .value = (float) reduction, .in = in };
  SfShape x = add_part (&op, NULL, SF_OP_AVGPOOL, 0, 0, 1, 1, FALSE, &in);
  x = add_part (&op, "fc1", SF_OP_DENSE, hidden, 0, 1, 1, FALSE, &x);
  x = add_part (&op, NULL, SF_OP_RELU, 0, 0, 1, 1, FALSE, &x);
  x = add_part (&op, "fc2", SF_OP_DENSE, in.c, 0, 1, 1, FALSE, &x);
  add_part (&op, NULL, SF_OP_SIGMOID, 0, 0, 1, 1, FALSE, &x);
  op.out = add_part (&op, NULL, SF_OP_SCALE, 0, 0, 1, 1, FALSE, &in);
  g_array_append_val (p->ops, op);
  p->shape = op.out;
  return TRUE;
}

/* text is <a>[<letters[0]><b>][<letters[1]><c>]...: plain decimal integers,
 * the first required, each other one optional but in that order; present[i]
 * says which were given. */
static gboolean
parse_fields (const char *text, const char *letters, int *values, gboolean *present)
{
  int n = (int) strlen (letters);
  const char *c = text;
  for (int f = 0; f <= n; f++)
    {
      present[f] = FALSE;
      if (f > 0)
        {
          if (*c != letters[f - 1])
            continue;
          c++;
        }
      const char *start = c;
      while (g_ascii_isdigit (*c))
        c++;
      g_autofree char *digits = g_strndup (start, c - start);
      if (!parse_int (digits, &values[f]))
        return FALSE;
      present[f] = TRUE;
    }
  return *c == '\0';
}

static gboolean
check_units (Parser *p, int units)
{
  if (units < 1 || units > SF_SPEC_MAX_UNITS)
    return fail (p, SF_ERROR_INVALID, _("the number of filters must be 1 to %d"), SF_SPEC_MAX_UNITS);
  return TRUE;
}

static gboolean
check_kernel (Parser *p, int kernel)
{
  if (kernel < 1 || kernel > SF_SPEC_MAX_KERNEL || kernel % 2 == 0)
    return fail (p, SF_ERROR_INVALID, _("the kernel size must be odd, 1 to %d (same padding)"), SF_SPEC_MAX_KERNEL);
  return TRUE;
}

static gboolean
check_stride (Parser *p, int stride)
{
  if (stride < 1 || stride > SF_SPEC_MAX_STRIDE)
    return fail (p, SF_ERROR_INVALID, _("the stride must be 1 to %d"), SF_SPEC_MAX_STRIDE);
  return TRUE;
}

/* FALSE with the message when the input is flat. */
static gboolean
check_image (Parser *p, const char *message)
{
  if (p->shape.flat)
    return fail (p, SF_ERROR_INVALID, "%s", message);
  return TRUE;
}

/* res, sep, se and avgpool: TRUE with *handled when word is one of them. */
static gboolean
parse_block (Parser *p, const char *word, gboolean *handled)
{
  int v[3];
  gboolean given[3];
  *handled = TRUE;
  if (g_str_has_prefix (word, "res"))
    {
      if (!parse_fields (word + 3, "s", v, given))
        return fail (p, SF_ERROR_INVALID,
                     _("write a residual block as res<filters> or res<filters>s<stride>, as in res32 or res64s2"));
      int stride = given[1] ? v[1] : 1;
      if (!check_units (p, v[0]) || !check_stride (p, stride)
          || !check_image (p, _("a residual block needs an image input, but its input is flat")))
        return FALSE;
      return push_residual (p, v[0], stride);
    }
  if (g_str_has_prefix (word, "sep"))
    {
      if (!parse_fields (word + 3, "ks", v, given) || !given[1])
        return fail (p, SF_ERROR_INVALID,
                     _("write a separable convolution as sep<filters>k<kernel> or sep<filters>k<kernel>s<stride>, "
                       "as in sep64k3 or sep64k3s2"));
      int stride = given[2] ? v[2] : 1;
      if (!check_units (p, v[0]) || !check_kernel (p, v[1]) || !check_stride (p, stride)
          || !check_image (p, _("a separable convolution needs an image input, but its input is flat")))
        return FALSE;
      return push_separable (p, v[0], v[1], stride);
    }
  if (g_str_has_prefix (word, "se"))
    {
      if (!parse_int (word + 2, &v[0]))
        return fail (p, SF_ERROR_INVALID,
                     _("write squeeze-and-excitation as se<reduction>, as in se4"));
      if (!check_image (p, _("squeeze-and-excitation needs an image input, but its input is flat")))
        return FALSE;
      if (v[0] < 1 || v[0] > p->shape.c)
        return fail (p, SF_ERROR_INVALID, _("the reduction must be 1 to the %d channels of its input"), p->shape.c);
      return push_squeeze_excite (p, v[0]);
    }
  if (g_str_has_prefix (word, "avgpool"))
    {
      int size;
      if (!parse_int (word + 7, &size))
        return fail (p, SF_ERROR_INVALID, _("write an average pool as avgpool<size>, as in avgpool2"));
      if (size < 2 || size > SF_SPEC_MAX_POOL)
        return fail (p, SF_ERROR_INVALID, _("the pool size must be 2 to %d"), SF_SPEC_MAX_POOL);
      if (!check_image (p, _("an average pool needs an image input, but its input is flat")))
        return FALSE;
      if (p->shape.h < size || p->shape.w < size)
        return fail (p, SF_ERROR_INVALID, _("its %d×%d input is smaller than the %d×%d window"), p->shape.h,
                     p->shape.w, size, size);
      SfShape out = { p->shape.c, p->shape.h / size, p->shape.w / size, FALSE };
      return push (p, SF_OP_AVGPOOL_WINDOW, 0, size, 0, &out);
    }
  *handled = FALSE;
  return FALSE;
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
      int v[3];
      gboolean given[3];
      if (!parse_fields (word + 4, "ks", v, given) || !given[1])
        return fail (p, SF_ERROR_INVALID,
                     _("write a convolution as conv<filters>k<kernel> or conv<filters>k<kernel>s<stride>, as in "
                       "conv32k3 or conv32k3s2"));
      int units = v[0], kernel = v[1], stride = given[2] ? v[2] : 1;
      if (!check_units (p, units) || !check_kernel (p, kernel) || !check_stride (p, stride))
        return FALSE;
      if (p->shape.flat)
        return fail (p, SF_ERROR_INVALID, _("a convolution needs an image input, but its input is flat"));
      out = (SfShape) { units, strided_side (p->shape.h, stride), strided_side (p->shape.w, stride), FALSE };
      if (!push_stride (p, SF_OP_CONV, units, kernel, stride, 0, &out))
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
      gboolean ok = parse_block (p, word, &handled);
      if (handled)
        return ok;
      if (parse_norm_or_activation (p, word, &handled))
        return TRUE;
      if (handled)
        return FALSE;
      return fail (p, SF_ERROR_INVALID,
                   _("unknown layer; use conv, dense, pool, avgpool, drop, gap, flatten, l2norm, bn, relu, leaky, "
                     "elu, res, sep or se"));
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

/* A spec may come from a file someone sent: it is refused before it is
 * split, however long. 4096 bytes hold some 200 layers with their suffixes
 * (the presets are under 150 bytes); layers and suffixes are counted too,
 * for a spec of short words (100,000 "-leaky" suffixes in a model file hung
 * the fuzzer). */
#define MAX_SPEC_BYTES 4096
#define MAX_SPEC_WORDS 512

/* Refuses a spec over the limits above with one line saying which. */
static gboolean
check_spec_length (const char *spec, GError **error)
{
  gsize length = strnlen (spec, MAX_SPEC_BYTES + 1);
  if (length > MAX_SPEC_BYTES)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE,
                   _("tower spec: longer than the %d characters a spec may have"), MAX_SPEC_BYTES);
      return FALSE;
    }
  /* Words: runs of characters between white space and "-". */
  int words = 0;
  gboolean in_word = FALSE;
  for (const char *c = spec; *c != '\0'; c++)
    {
      gboolean separator = g_ascii_isspace (*c) || *c == '-';
      if (!separator && !in_word)
        words++;
      in_word = !separator;
    }
  if (words > MAX_SPEC_WORDS)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE,
                   _("tower spec: %d layers and suffixes, more than the %d a spec may have"), words,
                   MAX_SPEC_WORDS);
      return FALSE;
    }
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
  if (!check_spec_length (spec, error))
    return NULL;
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
    case SF_OP_AVGPOOL_WINDOW:
      return "AvgPool2d";
    case SF_OP_RESIDUAL:
      return "BasicBlock";
    case SF_OP_SEPARABLE:
      return "SeparableConv";
    case SF_OP_SQUEEZE_EXCITE:
      return "SqueezeExcite";
    case SF_OP_SIGMOID:
      return "Sigmoid";
    default:
      return "Identity";
    }
}

const char *
sf_op_part_torch_class (const SfOpPart *part)
{
  switch (part->kind)
    {
    case SF_OP_CONV:
      return "Conv2d";
    case SF_OP_BATCHNORM:
      return "BatchNorm2d";
    case SF_OP_RELU:
      return "ReLU";
    case SF_OP_DENSE:
      return "Linear";
    case SF_OP_SIGMOID:
      return "Sigmoid";
    case SF_OP_AVGPOOL:
      return "mean";
    case SF_OP_ADD:
      return "add";
    case SF_OP_SCALE:
      return "mul";
    default:
      return "Identity";
    }
}

char *
sf_op_to_python (const SfOp *op)
{
  const char *name = sf_op_torch_class (op);
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *stride = op->stride > 1 ? g_strdup_printf (", stride=%d", op->stride) : g_strdup ("");
  switch (op->kind)
    {
    case SF_OP_CONV:
      return g_strdup_printf ("nn.%s(%d, %d, kernel_size=%d%s, padding=%d)", name, op->in.c, op->units, op->kernel,
                              stride, op->kernel / 2);
    case SF_OP_DENSE:
      return g_strdup_printf ("nn.%s(%d, %d)", name, op->in.c, op->units);
    case SF_OP_BATCHNORM:
      return g_strdup_printf ("nn.%s(%d)", name, op->in.c);
    case SF_OP_MAXPOOL:
    case SF_OP_AVGPOOL_WINDOW:
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
    case SF_OP_RESIDUAL:
      return g_strdup_printf ("%s(%d, %d%s)", name, op->in.c, op->units, stride);
    case SF_OP_SEPARABLE:
      return g_strdup_printf ("%s(%d, %d, kernel_size=%d%s)", name, op->in.c, op->units, op->kernel, stride);
    case SF_OP_SQUEEZE_EXCITE:
      return g_strdup_printf ("%s(%d, reduction=%d)", name, op->in.c, (int) op->value);
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
sf_tower_torch_classes (const SfTower *tower)
{
  static const struct {
    SfOpKind kind;
    const char *source;
  } classes[] = {
    { SF_OP_RESIDUAL, SF_TORCH_BASIC_BLOCK },
    { SF_OP_SEPARABLE, SF_TORCH_SEPARABLE_CONV },
    { SF_OP_SQUEEZE_EXCITE, SF_TORCH_SQUEEZE_EXCITE },
    { SF_OP_L2NORM, SF_TORCH_L2NORM },
  };
  GString *s = g_string_new (NULL);
  for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
    if (sf_tower_has_op (tower, classes[k].kind))
      g_string_append_printf (s, "%s\n\n", classes[k].source);
  return g_string_free (s, FALSE);
}

char *
sf_tower_to_python (const SfTower *tower)
{
  GString *s = g_string_new ("import torch.nn as nn\n\n");
  g_autofree char *classes = sf_tower_torch_classes (tower);
  g_string_append (s, classes);
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
