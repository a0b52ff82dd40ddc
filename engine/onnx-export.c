/* The tower as an ONNX graph, one tower op (or block part) at a time, in the
 * model's inference mode; see onnx-export.h. Every protobuf-c message and
 * array is allocated from one list freed at the end (Export.owned). */
#include "onnx-export.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "onnx.pb-c.h"

#include "atomic-file.h"
#include "batchnorm.h"
#include "checkpoint.h"
#include "error.h"
#include "layers.h"

/* No node has more attributes or inputs than this. */
#define MAX_ATTRIBUTES 6
#define MAX_INPUTS 5

typedef struct {
  SfModel *model;
  const SfTower *tower;
  GPtrArray *owned;         /* g_free'd at the end: every message, array and string below */
  GPtrArray *nodes;         /* Onnx__NodeProto *, in graph order */
  GPtrArray *initializers;  /* Onnx__TensorProto * */
  int n_constants;
  GError **error;
} Export;

static gpointer
own (Export *e, gpointer data)
{
  g_ptr_array_add (e->owned, data);
  return data;
}

static char *
own_printf (Export *e, const char *format, ...) G_GNUC_PRINTF (2, 3);

static char *
own_printf (Export *e, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  char *text = g_strdup_vprintf (format, args);
  va_end (args);
  return own (e, text);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */

static Onnx__NodeProto *
add_node (Export *e, const char *op_type, const char *name, const char *output, int n_inputs,
          const char *const *inputs)
{
  g_assert (n_inputs <= MAX_INPUTS);
  Onnx__NodeProto *node = own (e, g_new (Onnx__NodeProto, 1));
  onnx__node_proto__init (node);
  node->op_type = own (e, g_strdup (op_type));
  node->name = own (e, g_strdup (name));
  node->input = own (e, g_new0 (char *, MAX_INPUTS));
  for (int k = 0; k < n_inputs; k++)
    node->input[k] = own (e, g_strdup (inputs[k]));
  node->n_input = n_inputs;
  node->output = own (e, g_new0 (char *, 1));
  node->output[0] = own (e, g_strdup (output));
  node->n_output = 1;
  node->attribute = own (e, g_new0 (Onnx__AttributeProto *, MAX_ATTRIBUTES));
  g_ptr_array_add (e->nodes, node);
  return node;
}

static Onnx__AttributeProto *
add_attribute (Export *e, Onnx__NodeProto *node, const char *name, Onnx__AttributeProto__AttributeType type)
{
  g_assert (node->n_attribute < MAX_ATTRIBUTES);
  Onnx__AttributeProto *attribute = own (e, g_new (Onnx__AttributeProto, 1));
  onnx__attribute_proto__init (attribute);
  attribute->name = own (e, g_strdup (name));
  attribute->has_type = TRUE;
  attribute->type = type;
  node->attribute[node->n_attribute++] = attribute;
  return attribute;
}

static void
set_int (Export *e, Onnx__NodeProto *node, const char *name, gint64 value)
{
  Onnx__AttributeProto *attribute = add_attribute (e, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  attribute->has_i = TRUE;
  attribute->i = value;
}

static void
set_float (Export *e, Onnx__NodeProto *node, const char *name, float value)
{
  Onnx__AttributeProto *attribute = add_attribute (e, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  attribute->has_f = TRUE;
  attribute->f = value;
}

static void
set_string (Export *e, Onnx__NodeProto *node, const char *name, const char *value)
{
  Onnx__AttributeProto *attribute = add_attribute (e, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  attribute->has_s = TRUE;
  attribute->s.data = (guint8 *) own (e, g_strdup (value));
  attribute->s.len = strlen (value);
}

/* The same value `count` times, e.g. kernel_shape [k, k]. */
static void
set_ints (Export *e, Onnx__NodeProto *node, const char *name, gint64 value, int count)
{
  Onnx__AttributeProto *attribute = add_attribute (e, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  attribute->ints = own (e, g_new (int64_t, count));
  for (int k = 0; k < count; k++)
    attribute->ints[k] = value;
  attribute->n_ints = count;
}

/* A float32 initializer of the given dims holding the n floats at data,
 * which it borrows (they must outlive the export): raw_data is little-endian,
 * as ONNX requires and as the engine's floats are. */
static void
add_initializer (Export *e, const char *name, const float *data, gsize n, const gint64 *dims, int rank)
{
  G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);
  Onnx__TensorProto *tensor = own (e, g_new (Onnx__TensorProto, 1));
  onnx__tensor_proto__init (tensor);
  tensor->name = own (e, g_strdup (name));
  tensor->has_data_type = TRUE;
  tensor->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  tensor->dims = own (e, g_new (int64_t, MAX (rank, 1)));
  for (int d = 0; d < rank; d++)
    tensor->dims[d] = dims[d];
  tensor->n_dims = rank;
  tensor->has_raw_data = TRUE;
  tensor->raw_data.data = (guint8 *) data;   /* only read, by the packer */
  tensor->raw_data.len = n * sizeof (float);
  g_ptr_array_add (e->initializers, tensor);
}

/* The model's tensor `name` as an initializer of its own shape, or of
 * `dims` when given (the same floats seen as another shape). */
static gboolean
add_weight (Export *e, const char *name, const gint64 *dims, int rank)
{
  const SfTensorInfo *info = sf_model_find_tensor (e->model, name);
  if (info == NULL)
    {
      g_set_error (e->error, SF_ERROR, SF_ERROR_FORMAT, _("the model has no tensor %s"), name);
      return FALSE;
    }
  gint64 own_dims[4];
  if (dims == NULL)
    {
      for (int d = 0; d < info->rank; d++)
        own_dims[d] = info->shape[d];
      dims = own_dims;
      rank = info->rank;
    }
  add_initializer (e, name, sf_model_params (e->model) + info->offset, info->size, dims, rank);
  return TRUE;
}

/* A constant that is not a weight (an epsilon, the scales of a resize), of
 * the given dims or, when NULL, a vector. */
static const char *
add_constant (Export *e, const char *what, const float *values, int n, const gint64 *dims, int rank)
{
  const char *name = own_printf (e, "const.%s.%d", what, e->n_constants++);
  gint64 vector[1] = { n };
  const float *copy = own (e, g_memdup2 (values, n * sizeof (float)));
  add_initializer (e, name, copy, n, dims != NULL ? dims : vector, dims != NULL ? rank : 1);
  return name;
}

static Onnx__ValueInfoProto *
value_info (Export *e, const char *name, int rank, const gint64 *dims)
{
  Onnx__ValueInfoProto *info = own (e, g_new (Onnx__ValueInfoProto, 1));
  onnx__value_info_proto__init (info);
  info->name = own (e, g_strdup (name));
  Onnx__TypeProto *type = own (e, g_new (Onnx__TypeProto, 1));
  onnx__type_proto__init (type);
  Onnx__TypeProto__Tensor *tensor = own (e, g_new (Onnx__TypeProto__Tensor, 1));
  onnx__type_proto__tensor__init (tensor);
  tensor->has_elem_type = TRUE;
  tensor->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  Onnx__TensorShapeProto *shape = own (e, g_new (Onnx__TensorShapeProto, 1));
  onnx__tensor_shape_proto__init (shape);
  shape->dim = own (e, g_new0 (Onnx__TensorShapeProto__Dimension *, rank));
  shape->n_dim = rank;
  for (int d = 0; d < rank; d++)
    {
      Onnx__TensorShapeProto__Dimension *dim = own (e, g_new (Onnx__TensorShapeProto__Dimension, 1));
      onnx__tensor_shape_proto__dimension__init (dim);
      /* The batch: any number of images. */
      if (d == 0)
        {
          dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
          dim->dim_param = own (e, g_strdup ("N"));
        }
      else
        {
          dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
          dim->dim_value = dims[d];
        }
      shape->dim[d] = dim;
    }
  tensor->shape = shape;
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type->tensor_type = tensor;
  info->type = type;
  return info;
}

static Onnx__StringStringEntryProto *
entry (Export *e, const char *key, const char *value)
{
  Onnx__StringStringEntryProto *pair = own (e, g_new (Onnx__StringStringEntryProto, 1));
  onnx__string_string_entry_proto__init (pair);
  pair->key = own (e, g_strdup (key));
  pair->value = own (e, g_strdup (value));
  return pair;
}

/* ------------------------------------------------------------------------ */
/* Layers                                                                   */

/* Conv2d(units, kernel, stride, padding kernel / 2, groups) of the tensors
 * prefix.weight [units, in / groups, k, k] and prefix.bias if the model has it. */
static const char *
emit_conv (Export *e, const char *prefix, const char *x, int kernel, int stride, int groups)
{
  const char *weight = own_printf (e, "%s.weight", prefix);
  const char *bias = own_printf (e, "%s.bias", prefix);
  gboolean has_bias = sf_model_find_tensor (e->model, bias) != NULL;
  if (!add_weight (e, weight, NULL, 0) || (has_bias && !add_weight (e, bias, NULL, 0)))
    return NULL;
  const char *inputs[] = { x, weight, bias };
  Onnx__NodeProto *node = add_node (e, "Conv", prefix, prefix, has_bias ? 3 : 2, inputs);
  set_ints (e, node, "kernel_shape", kernel, 2);
  set_ints (e, node, "strides", stride, 2);
  set_ints (e, node, "pads", kernel / 2, 4);
  set_int (e, node, "group", groups);
  return prefix;
}

/* Linear(in, units) of prefix.weight [units, in] and prefix.bias: Gemm on a
 * flat N×in input, or a 1×1 convolution on an N×in×1×1 one (inside
 * squeeze-and-excitation, whose gate stays 4-D). */
static const char *
emit_dense (Export *e, const char *prefix, const char *x, gboolean spatial)
{
  const char *weight = own_printf (e, "%s.weight", prefix);
  const char *bias = own_printf (e, "%s.bias", prefix);
  const SfTensorInfo *info = sf_model_find_tensor (e->model, weight);
  if (info == NULL || info->rank != 2)
    {
      g_set_error (e->error, SF_ERROR, SF_ERROR_FORMAT, _("the model has no matrix %s"), weight);
      return NULL;
    }
  gint64 dims[4] = { info->shape[0], info->shape[1], 1, 1 };
  if (!add_weight (e, weight, spatial ? dims : NULL, spatial ? 4 : 0) || !add_weight (e, bias, NULL, 0))
    return NULL;
  const char *inputs[] = { x, weight, bias };
  if (spatial)
    {
      Onnx__NodeProto *node = add_node (e, "Conv", prefix, prefix, 3, inputs);
      set_ints (e, node, "kernel_shape", 1, 2);
    }
  else
    {
      Onnx__NodeProto *node = add_node (e, "Gemm", prefix, prefix, 3, inputs);
      set_int (e, node, "transB", 1);
    }
  return prefix;
}

/* BatchNormalization in inference mode: the running statistics. */
static const char *
emit_batchnorm (Export *e, const char *prefix, const char *x)
{
  const char *suffixes[] = { "weight", "bias", "running_mean", "running_var" };
  const char *inputs[5] = { x };
  for (int k = 0; k < 4; k++)
    {
      inputs[k + 1] = own_printf (e, "%s.%s", prefix, suffixes[k]);
      if (!add_weight (e, inputs[k + 1], NULL, 0))
        return NULL;
    }
  Onnx__NodeProto *node = add_node (e, "BatchNormalization", prefix, prefix, 5, inputs);
  set_float (e, node, "epsilon", SF_BN_EPS);
  return prefix;
}

static const char *
emit_unary (Export *e, const char *op_type, const char *name, const char *x)
{
  add_node (e, op_type, name, name, 1, &x);
  return name;
}

static const char *
emit_binary (Export *e, const char *op_type, const char *name, const char *x, const char *y)
{
  const char *inputs[] = { x, y };
  add_node (e, op_type, name, name, 2, inputs);
  return name;
}

/* x / (‖x‖ + eps), rows of N×D. L2Norm divides by max(‖x‖, eps); the two
 * agree to the last bit for any norm above 1e-5 and both give 0 for 0.
 * OpenCV 4.6 reads neither Max nor Clip with a constant bound, nor
 * LpNormalization; its ReduceL2 fixes the batch size at 1; and it does not
 * always broadcast N×1 over N×D. Hence: the sum of squares as a product with
 * a column of ones, its square root, and that repeated over the D columns as
 * a product with a row of ones (exact). */
static const char *
emit_l2norm (Export *e, const char *name, const char *x, int features)
{
  g_autofree float *ones = g_new (float, features);
  for (int k = 0; k < features; k++)
    ones[k] = 1;
  gint64 column[2] = { features, 1 };
  gint64 row[2] = { 1, features };
  float eps = SF_L2NORM_EPS;
  const char *squares = emit_binary (e, "Mul", own_printf (e, "%s.squares", name), x, x);
  const char *sum = emit_binary (e, "MatMul", own_printf (e, "%s.sum", name), squares,
                                 add_constant (e, "ones", ones, features, column, 2));
  const char *norm = emit_unary (e, "Sqrt", own_printf (e, "%s.norm", name), sum);
  const char *guarded = emit_binary (e, "Add", own_printf (e, "%s.guarded", name), norm,
                                     add_constant (e, "l2norm_eps", &eps, 1, NULL, 1));
  const char *repeated = emit_binary (e, "MatMul", own_printf (e, "%s.repeated", name), guarded,
                                      add_constant (e, "ones", ones, features, row, 2));
  return emit_binary (e, "Div", name, x, repeated);
}

/* x × gate, x N×C×H×W and gate N×C×1×1. OpenCV 4.6 cannot broadcast that
 * Mul, so the gate is first repeated over H×W (a nearest resize of a 1×1
 * image copies its one value: exact). */
static const char *
emit_scale (Export *e, const char *name, const char *x, const char *gate, const SfShape *shape)
{
  float scales[4] = { 1, 1, shape->h, shape->w };
  const char *repeated = own_printf (e, "%s.repeated", name);
  const char *inputs[] = { gate, "", add_constant (e, "resize_scales", scales, 4, NULL, 1) };
  Onnx__NodeProto *node = add_node (e, "Resize", repeated, repeated, 3, inputs);   /* "": no roi */
  set_string (e, node, "mode", "nearest");
  return emit_binary (e, "Mul", name, x, repeated);
}

/* ------------------------------------------------------------------------ */
/* The tower                                                                */

static gboolean
op_supported (SfOpKind kind)
{
  switch (kind)
    {
    case SF_OP_CONV:
    case SF_OP_BATCHNORM:
    case SF_OP_RELU:
    case SF_OP_LEAKY_RELU:
    case SF_OP_ELU:
    case SF_OP_MAXPOOL:
    case SF_OP_DROPOUT:
    case SF_OP_AVGPOOL:
    case SF_OP_FLATTEN:
    case SF_OP_DENSE:
    case SF_OP_L2NORM:
    case SF_OP_AVGPOOL_WINDOW:
    case SF_OP_RESIDUAL:
    case SF_OP_SEPARABLE:
    case SF_OP_SQUEEZE_EXCITE:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
part_supported (SfOpKind kind)
{
  switch (kind)
    {
    case SF_OP_CONV:
    case SF_OP_BATCHNORM:
    case SF_OP_RELU:
    case SF_OP_SIGMOID:
    case SF_OP_AVGPOOL:
    case SF_OP_DENSE:
    case SF_OP_ADD:
    case SF_OP_SCALE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* "layer 3 of the tower (“se4”, SqueezeExcite)", and its part when given. */
static void
refuse (const SfTower *tower, int index, const SfOpPart *part, GError **error)
{
  const SfOp *op = &tower->ops[index];
  g_auto (GStrv) tokens = g_strsplit (tower->spec, " ", -1);
  const char *token = op->token >= 0 && op->token < (int) g_strv_length (tokens) ? tokens[op->token] : "?";
  if (part == NULL)
    g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED,
                 /* Translators: e.g. "layer 3 of the tower (“se4”, SqueezeExcite) has no ONNX export". */
                 _("layer %d of the tower (“%s”, %s) has no ONNX export"), index, token, sf_op_torch_class (op));
  else
    g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED,
                 /* Translators: e.g. "layer 3 of the tower (“se4”, SqueezeExcite): its part mul has no ONNX export". */
                 _("layer %d of the tower (“%s”, %s): its part %s has no ONNX export"), index, token,
                 sf_op_torch_class (op), sf_op_part_torch_class (part));
}

gboolean
sf_onnx_export_check_tower (const SfTower *tower, GError **error)
{
  g_return_val_if_fail (tower != NULL, FALSE);

  for (int k = 0; k < tower->n_ops; k++)
    {
      const SfOp *op = &tower->ops[k];
      if (!op_supported (op->kind))
        {
          refuse (tower, k, NULL, error);
          return FALSE;
        }
      for (int p = 0; p < op->n_parts; p++)
        if (!part_supported (op->parts[p].kind))
          {
            refuse (tower, k, &op->parts[p], error);
            return FALSE;
          }
    }
  return TRUE;
}

/* A block's parts in order (spec.h): the main branch from x, the shortcut
 * branch (res) from x too, the sum of both, and (se) x times the gate. */
static const char *
emit_block (Export *e, int index, const char *x)
{
  const SfOp *op = &e->tower->ops[index];
  const char *trunk = x, *side = x;
  for (int k = 0; k < op->n_parts; k++)
    {
      const SfOpPart *part = &op->parts[k];
      const char *name = part->name != NULL ? own_printf (e, "tower.%d.%s", index, part->name)
                                            : own_printf (e, "tower.%d.%s_%d", index, sf_op_part_torch_class (part), k);
      const char **value = part->shortcut ? &side : &trunk;
      switch (part->kind)
        {
        case SF_OP_CONV:
          *value = emit_conv (e, name, *value, part->kernel, part->stride, part->groups);
          break;
        case SF_OP_BATCHNORM:
          *value = emit_batchnorm (e, name, *value);
          break;
        case SF_OP_RELU:
          *value = emit_unary (e, "Relu", name, *value);
          break;
        case SF_OP_SIGMOID:
          *value = emit_unary (e, "Sigmoid", name, *value);
          break;
        case SF_OP_AVGPOOL:
          *value = emit_unary (e, "GlobalAveragePool", name, *value);
          break;
        case SF_OP_DENSE:
          /* Only squeeze-and-excitation has one, on the N×C×1×1 mean. */
          *value = emit_dense (e, name, *value, TRUE);
          break;
        case SF_OP_ADD:
          trunk = emit_binary (e, "Add", name, trunk, side);
          break;
        case SF_OP_SCALE:
          trunk = emit_scale (e, name, x, trunk, &op->in);
          break;
        default:
          refuse (e->tower, index, part, e->error);
          return NULL;
        }
      if (*value == NULL)
        return NULL;
    }
  return trunk;
}

/* Tower op `index` applied to the value x: the name of its output, or x
 * itself for dropout (off in inference). */
static const char *
emit_op (Export *e, int index, const char *x)
{
  const SfOp *op = &e->tower->ops[index];
  const char *name = own_printf (e, "tower.%d", index);
  Onnx__NodeProto *node;
  switch (op->kind)
    {
    case SF_OP_CONV:
      return emit_conv (e, name, x, op->kernel, op->stride, 1);
    case SF_OP_BATCHNORM:
      return emit_batchnorm (e, name, x);
    case SF_OP_RELU:
      return emit_unary (e, "Relu", name, x);
    case SF_OP_LEAKY_RELU:
      node = add_node (e, "LeakyRelu", name, name, 1, &x);
      set_float (e, node, "alpha", op->value);
      return name;
    case SF_OP_ELU:
      node = add_node (e, "Elu", name, name, 1, &x);
      set_float (e, node, "alpha", op->value);
      return name;
    case SF_OP_MAXPOOL:
    case SF_OP_AVGPOOL_WINDOW:
      /* PyTorch's MaxPool2d(k) and AvgPool2d(k): stride k, no padding, floor. */
      node = add_node (e, op->kind == SF_OP_MAXPOOL ? "MaxPool" : "AveragePool", name, name, 1, &x);
      set_ints (e, node, "kernel_shape", op->kernel, 2);
      set_ints (e, node, "strides", op->kernel, 2);
      return name;
    case SF_OP_DROPOUT:
      return x;
    case SF_OP_AVGPOOL:
      return emit_unary (e, "GlobalAveragePool", name, x);
    case SF_OP_FLATTEN:
      node = add_node (e, "Flatten", name, name, 1, &x);
      set_int (e, node, "axis", 1);
      return name;
    case SF_OP_DENSE:
      return emit_dense (e, name, x, FALSE);
    case SF_OP_L2NORM:
      return emit_l2norm (e, name, x, op->in.c);
    case SF_OP_RESIDUAL:
    case SF_OP_SEPARABLE:
    case SF_OP_SQUEEZE_EXCITE:
      return emit_block (e, index, x);
    default:
      refuse (e->tower, index, NULL, e->error);
      return NULL;
    }
}

/* ------------------------------------------------------------------------ */
/* The model around it                                                      */

static char *
format_number (double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_formatd (text, sizeof text, "%.9g", value));
}

/* How the model scores two embeddings a, b: its head on their distance. */
static char *
score_formula (SfModel *model)
{
  const char *distance = "d = sqrt(max(sum((a - b)^2), 1e-7))";
  if (sf_model_get_head (model) == SF_HEAD_BCE)
    {
      const SfTensorInfo *w = sf_model_find_tensor (model, "head.weight");
      const SfTensorInfo *b = sf_model_find_tensor (model, "head.bias");
      const float *params = sf_model_params (model);
      g_autofree char *weight = format_number (w != NULL ? params[w->offset] : NAN);
      g_autofree char *bias = format_number (b != NULL ? params[b->offset] : NAN);
      return g_strdup_printf ("%s; score = 1 / (1 + exp(-(%s * d + %s)))", distance, weight, bias);
    }
  g_autofree char *margin = format_number (sf_model_get_margin (model));
  return g_strdup_printf ("%s; score = 1 / (1 + (2 * d / %s)^2)", distance, margin);
}

/* The parsed file has what was meant: one input and one output as named and
 * shaped, every node input defined before use, every weight the model's. */
static gboolean
verify (const guint8 *data, gsize size, SfModel *model, GError **error)
{
  const SfTower *tower = sf_model_get_tower (model);
  Onnx__ModelProto *back = onnx__model_proto__unpack (NULL, size, data);
  if (back == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("the ONNX bytes written do not parse back"));
      return FALSE;
    }
  const char *problem = NULL;
  g_autofree char *detail = NULL;
  g_autoptr (GHashTable) defined = g_hash_table_new (g_str_hash, g_str_equal);
  Onnx__GraphProto *graph = back->graph;
  gint64 input_dims[4] = { 0, 1, tower->input_size, tower->input_size };
  gint64 output_dims[2] = { 0, tower->embedding_size };
  if (back->ir_version != SF_ONNX_IR_VERSION || back->n_opset_import != 1
      || back->opset_import[0]->version != SF_ONNX_OPSET || graph == NULL)
    problem = "version or opset";
  else if (graph->n_input != 1 || g_strcmp0 (graph->input[0]->name, SF_ONNX_INPUT_NAME) != 0
           || graph->n_output != 1 || g_strcmp0 (graph->output[0]->name, SF_ONNX_OUTPUT_NAME) != 0)
    problem = "inputs or outputs";
  for (int io = 0; problem == NULL && io < 2; io++)
    {
      Onnx__ValueInfoProto *info = io == 0 ? graph->input[0] : graph->output[0];
      const gint64 *dims = io == 0 ? input_dims : output_dims;
      int rank = io == 0 ? 4 : 2;
      Onnx__TensorShapeProto *shape = info->type != NULL && info->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
                                      ? info->type->tensor_type->shape : NULL;
      if (shape == NULL || (int) shape->n_dim != rank)
        problem = "the shape of an input or output";
      for (int d = 1; problem == NULL && d < rank; d++)
        if (shape->dim[d]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
            || shape->dim[d]->dim_value != dims[d])
          problem = "the shape of an input or output";
    }
  if (problem == NULL)
    g_hash_table_add (defined, graph->input[0]->name);
  for (gsize k = 0; problem == NULL && k < graph->n_initializer; k++)
    {
      Onnx__TensorProto *tensor = graph->initializer[k];
      g_hash_table_add (defined, tensor->name);
      if (!g_str_has_prefix (tensor->name, "tower."))
        continue;
      const SfTensorInfo *info = sf_model_find_tensor (model, tensor->name);
      const float *params = sf_model_params (model) + (info != NULL ? info->offset : 0);
      gboolean same = info != NULL && tensor->raw_data.len == info->size * sizeof (float);
      same = same && memcmp (tensor->raw_data.data, params, tensor->raw_data.len) == 0;
      if (!same)
        {
          problem = "a weight";
          detail = g_strdup (tensor->name);
        }
    }
  for (gsize k = 0; problem == NULL && k < graph->n_node; k++)
    {
      Onnx__NodeProto *node = graph->node[k];
      for (gsize i = 0; problem == NULL && i < node->n_input; i++)
        if (node->input[i][0] != '\0' && !g_hash_table_contains (defined, node->input[i]))
          {
            problem = "a node's input";
            detail = g_strdup (node->input[i]);
          }
      for (gsize o = 0; o < node->n_output; o++)
        g_hash_table_add (defined, node->output[o]);
    }
  if (problem == NULL && !g_hash_table_contains (defined, SF_ONNX_OUTPUT_NAME))
    problem = "the output";
  if (problem != NULL)
    g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("the ONNX file read back differs from the model (%s%s%s)"),
                 problem, detail != NULL ? ": " : "", detail != NULL ? detail : "");
  /* The hash table holds strings of `back`: gone first. */
  g_clear_pointer (&defined, g_hash_table_unref);
  onnx__model_proto__free_unpacked (back, NULL);
  return problem == NULL;
}

/* The graph of e's tower, the model around it, packed and verified. */
static GBytes *
export_model (Export *e, float threshold, GError **error)
{
  const SfTower *tower = e->tower;
  SfModel *model = e->model;
  const char *x = SF_ONNX_INPUT_NAME;
  for (int k = 0; k < tower->n_ops && x != NULL; k++)
    x = emit_op (e, k, x);
  if (x == NULL)
    return NULL;
  /* The last value is the embedding: its node's output takes the name. */
  Onnx__NodeProto *last = e->nodes->len > 0 ? g_ptr_array_index (e->nodes, e->nodes->len - 1) : NULL;
  if (last != NULL && strcmp (last->output[0], x) == 0)
    last->output[0] = SF_ONNX_OUTPUT_NAME;
  else
    add_node (e, "Identity", SF_ONNX_OUTPUT_NAME, SF_ONNX_OUTPUT_NAME, 1, &x);

  int size = tower->input_size;
  gint64 input_dims[4] = { 0, 1, size, size };
  gint64 output_dims[2] = { 0, tower->embedding_size };
  Onnx__ValueInfoProto *input = value_info (e, SF_ONNX_INPUT_NAME, 4, input_dims);
  Onnx__ValueInfoProto *output = value_info (e, SF_ONNX_OUTPUT_NAME, 2, output_dims);
  Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
  graph.name = "tower";
  graph.node = (Onnx__NodeProto **) e->nodes->pdata;
  graph.n_node = e->nodes->len;
  graph.initializer = (Onnx__TensorProto **) e->initializers->pdata;
  graph.n_initializer = e->initializers->len;
  graph.input = &input;
  graph.n_input = 1;
  graph.output = &output;
  graph.n_output = 1;

  Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
  Onnx__OperatorSetIdProto *opsets[] = { &opset };
  opset.domain = "";
  opset.has_version = TRUE;
  opset.version = SF_ONNX_OPSET;

  gboolean unit = tower->n_ops > 0 && tower->ops[tower->n_ops - 1].kind == SF_OP_L2NORM;
  char *input_size = own_printf (e, "%d", size);
  char *embedding_size = own_printf (e, "%d", tower->embedding_size);
  char *score = own (e, score_formula (model));
  char *threshold_text = own (e, format_number (threshold));
  char *doc = own_printf (e,
    "Siamese Faces tower \"%s\", in inference mode (no dropout; batch norm on its running statistics). "
    "Input \"%s\": float32 N×1×%d×%d, pixels %s. Output \"%s\": float32 N×%d%s. "
    "Two faces a, b: %s; the same person when score >= %s. The app scores each face by the mean of its "
    "embedding and its left-right mirror image's%s.",
    tower->spec, SF_ONNX_INPUT_NAME, size, size, SF_CHECKPOINT_PIXEL_SCALING, SF_ONNX_OUTPUT_NAME,
    tower->embedding_size, unit ? ", unit length" : "", score, isnan (threshold) ? "the chosen threshold" : threshold_text,
    unit ? ", scaled back to unit length" : "");
  Onnx__StringStringEntryProto *metadata[] = {
    entry (e, "spec", tower->spec),
    entry (e, "input_size", input_size),
    entry (e, "embedding_size", embedding_size),
    entry (e, "pixel_scaling", SF_CHECKPOINT_PIXEL_SCALING),
    entry (e, "head", sf_head_kind_name (sf_model_get_head (model))),
    entry (e, "score", score),
    entry (e, "threshold", threshold_text),   /* last: left out when there is none */
  };

  Onnx__ModelProto proto = ONNX__MODEL_PROTO__INIT;
  proto.has_ir_version = TRUE;
  proto.ir_version = SF_ONNX_IR_VERSION;
  proto.opset_import = opsets;
  proto.n_opset_import = 1;
  proto.producer_name = "siamese-faces";
  proto.producer_version = PACKAGE_VERSION;
  proto.doc_string = doc;
  proto.graph = &graph;
  proto.metadata_props = metadata;
  proto.n_metadata_props = G_N_ELEMENTS (metadata) - (isnan (threshold) ? 1 : 0);

  /* Protobuf parsers stop at 2 GiB. */
  gsize packed_size = onnx__model_proto__get_packed_size (&proto);
  guint8 *data = packed_size < G_MAXINT32 ? g_try_malloc (MAX (packed_size, 1)) : NULL;
  if (data == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("the ONNX file would take %llu bytes"),
                   (unsigned long long) packed_size);
      return NULL;
    }
  gsize written = onnx__model_proto__pack (&proto, data);
  if (written != packed_size)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("the ONNX file came out at the wrong size"));
      g_free (data);
      return NULL;
    }
  if (!verify (data, written, model, error))
    {
      g_free (data);
      return NULL;
    }
  return g_bytes_new_take (data, written);
}

GBytes *
sf_onnx_export_serialize (SfModel *model, float threshold, GError **error)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  const SfTower *tower = sf_model_get_tower (model);
  if (!sf_onnx_export_check_tower (tower, error))
    return NULL;
  Export e = {
    .model = model,
    .tower = tower,
    .owned = g_ptr_array_new_with_free_func (g_free),
    .nodes = g_ptr_array_new (),
    .initializers = g_ptr_array_new (),
    .error = error,
  };
  GBytes *bytes = export_model (&e, threshold, error);
  g_ptr_array_unref (e.nodes);
  g_ptr_array_unref (e.initializers);
  g_ptr_array_unref (e.owned);
  return bytes;
}

gboolean
sf_onnx_export_save (const char *path, SfModel *model, float threshold, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);

  GError *local = NULL;
  g_autoptr (GBytes) bytes = sf_onnx_export_serialize (model, threshold, &local);
  if (bytes == NULL)
    {
      g_autofree char *name = g_filename_display_name (path);
      g_set_error (error, local->domain, local->code, "%s: %s", name, local->message);
      g_error_free (local);
      return FALSE;
    }
  gsize size;
  const void *data = g_bytes_get_data (bytes, &size);
  return sf_atomic_file_save (path, data, size, error);
}
