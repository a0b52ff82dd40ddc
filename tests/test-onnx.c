/* The ONNX export without Python: what the file says (names, shapes, opset,
 * weights, metadata) read back with protobuf-c, a layer it does not know
 * refused by name, and the save atomic (an existing file stays as it was when
 * the export fails, no temporaries left). onnx-roundtrip.sh runs the files
 * in real clients. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "onnx.pb-c.h"

#include "atomic-file.h"
#include "checkpoint.h"
#include "error.h"
#include "onnx-export.h"
#include "sf-test-files.h"

static SfModel *
new_model (const char *spec, int size)
{
  GError *error = NULL;
  SfModel *model = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, size, 7, &error);
  g_assert_no_error (error);
  return model;
}

static const char *
metadata (const Onnx__ModelProto *proto, const char *key)
{
  for (gsize k = 0; k < proto->n_metadata_props; k++)
    if (strcmp (proto->metadata_props[k]->key, key) == 0)
      return proto->metadata_props[k]->value;
  return NULL;
}

static void
assert_dims (const Onnx__ValueInfoProto *info, const char *name, int rank, const gint64 *dims)
{
  g_assert_cmpstr (info->name, ==, name);
  g_assert_cmpint (info->type->value_case, ==, ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE);
  g_assert_cmpint (info->type->tensor_type->elem_type, ==, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
  const Onnx__TensorShapeProto *shape = info->type->tensor_type->shape;
  g_assert_cmpuint (shape->n_dim, ==, rank);
  /* Any batch size: a named dimension, not a number. */
  g_assert_cmpint (shape->dim[0]->value_case, ==, ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM);
  for (int d = 1; d < rank; d++)
    {
      g_assert_cmpint (shape->dim[d]->value_case, ==, ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE);
      g_assert_cmpint (shape->dim[d]->dim_value, ==, dims[d]);
    }
}

/* The compact tower at 32×32: its layers in order as ONNX operators, the
 * input and output named and shaped, the weights the model's, the pixel
 * scaling and threshold in the metadata. */
static void
test_compact_graph (void)
{
  g_autoptr (GError) error = NULL;
  SfModel *model = new_model (SF_SPEC_COMPACT, 32);
  /* Not the initial values, so a weight copied from the wrong place shows. */
  float *params = sf_model_params (model);
  for (gsize k = 0; k < sf_model_n_params (model); k++)
    params[k] += 0.001f * (float) (k % 97);
  g_autoptr (GBytes) bytes = sf_onnx_export_serialize (model, 0.625f, &error);
  g_assert_no_error (error);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  Onnx__ModelProto *proto = onnx__model_proto__unpack (NULL, size, data);
  g_assert_nonnull (proto);

  g_assert_cmpint (proto->ir_version, ==, 7);
  g_assert_cmpuint (proto->n_opset_import, ==, 1);
  g_assert_cmpstr (proto->opset_import[0]->domain, ==, "");
  g_assert_cmpint (proto->opset_import[0]->version, ==, 13);
  const Onnx__GraphProto *graph = proto->graph;
  g_assert_cmpuint (graph->n_input, ==, 1);
  g_assert_cmpuint (graph->n_output, ==, 1);
  gint64 input_dims[] = { 0, 1, 32, 32 };
  gint64 output_dims[] = { 0, 128 };
  assert_dims (graph->input[0], "image", 4, input_dims);
  assert_dims (graph->output[0], "embedding", 2, output_dims);

  /* conv-bn-relu pool2 four times, conv-bn-relu, gap, dense128, l2norm (the
   * sum of squares, its root, repeated, divided). */
  GString *ops = g_string_new (NULL);
  for (gsize k = 0; k < graph->n_node; k++)
    g_string_append_printf (ops, "%s%s", k > 0 ? " " : "", graph->node[k]->op_type);
  g_assert_cmpstr (ops->str, ==,
                   "Conv BatchNormalization Relu MaxPool Conv BatchNormalization Relu MaxPool "
                   "Conv BatchNormalization Relu MaxPool Conv BatchNormalization Relu MaxPool "
                   "Conv BatchNormalization Relu GlobalAveragePool Flatten Gemm "
                   "Mul MatMul Sqrt Add MatMul Div");
  g_string_free (ops, TRUE);
  g_assert_cmpstr (graph->node[graph->n_node - 1]->output[0], ==, "embedding");

  /* Every weight and batch norm statistic, under its PyTorch name, bit for bit. */
  int found = 0;
  for (gsize k = 0; k < graph->n_initializer; k++)
    {
      const Onnx__TensorProto *tensor = graph->initializer[k];
      const SfTensorInfo *info = sf_model_find_tensor (model, tensor->name);
      if (info == NULL)
        {
          g_assert_true (g_str_has_prefix (tensor->name, "const."));
          continue;
        }
      found++;
      g_assert_cmpint (tensor->data_type, ==, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
      g_assert_cmpuint (tensor->n_dims, ==, info->rank);
      for (int d = 0; d < info->rank; d++)
        g_assert_cmpint (tensor->dims[d], ==, info->shape[d]);
      g_assert_cmpmem (tensor->raw_data.data, tensor->raw_data.len, params + info->offset,
                       info->size * sizeof (float));
    }
  /* The tower's tensors: the model's, less the head's (contrastive: none). */
  g_assert_cmpint (found, ==, sf_model_n_tensors (model));

  g_assert_cmpstr (metadata (proto, "pixel_scaling"), ==, SF_CHECKPOINT_PIXEL_SCALING);
  g_assert_cmpstr (metadata (proto, "spec"), ==, SF_SPEC_COMPACT);
  g_assert_cmpstr (metadata (proto, "input_size"), ==, "32");
  g_assert_cmpstr (metadata (proto, "threshold"), ==, "0.625");
  g_assert_nonnull (strstr (proto->doc_string, SF_CHECKPOINT_PIXEL_SCALING));
  onnx__model_proto__free_unpacked (proto, NULL);
  sf_model_free (model);
}

/* Dropout is off in inference: the article's tower has no node for it. */
static void
test_article_drops_dropout (void)
{
  g_autoptr (GError) error = NULL;
  SfModel *model = new_model (SF_SPEC_ARTICLE, 32);
  g_autoptr (GBytes) bytes = sf_onnx_export_serialize (model, NAN, &error);
  g_assert_no_error (error);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  Onnx__ModelProto *proto = onnx__model_proto__unpack (NULL, size, data);
  g_assert_nonnull (proto);
  int convs = 0;
  for (gsize k = 0; k < proto->graph->n_node; k++)
    {
      g_assert_cmpstr (proto->graph->node[k]->op_type, !=, "Dropout");
      convs += strcmp (proto->graph->node[k]->op_type, "Conv") == 0;
    }
  g_assert_cmpint (convs, ==, 3);
  /* No threshold given: none recorded. */
  g_assert_null (metadata (proto, "threshold"));
  onnx__model_proto__free_unpacked (proto, NULL);
  sf_model_free (model);
}

/* A layer kind the export does not know (here one the parser only puts
 * inside blocks, standing for any future layer) is refused with its
 * position, token and class; so is a block's part. */
static void
test_refuses_unknown_layer (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTower) tower = sf_tower_parse ("conv8k3 pool2 se2 gap dense4", 16, &error);
  g_assert_no_error (error);
  g_assert_true (sf_onnx_export_check_tower (tower, &error));
  g_assert_no_error (error);

  /* ops: conv, relu, pool, se, avgpool, flatten, dense */
  g_assert_cmpint (tower->ops[2].kind, ==, SF_OP_MAXPOOL);
  tower->ops[2].kind = SF_OP_ADD;
  g_assert_false (sf_onnx_export_check_tower (tower, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "layer 2"));
  g_assert_nonnull (strstr (error->message, "“pool2”"));
  g_clear_error (&error);
  tower->ops[2].kind = SF_OP_MAXPOOL;

  SfOp *se = &tower->ops[3];
  g_assert_cmpint (se->kind, ==, SF_OP_SQUEEZE_EXCITE);
  g_assert_cmpint (se->parts[se->n_parts - 1].kind, ==, SF_OP_SCALE);
  se->parts[se->n_parts - 1].kind = SF_OP_ELU;
  g_assert_false (sf_onnx_export_check_tower (tower, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "layer 3"));
  g_assert_nonnull (strstr (error->message, "“se2”"));
  g_assert_nonnull (strstr (error->message, "SqueezeExcite"));
}

static gboolean
has_temporaries (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;
  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    if (strstr (name, SF_ATOMIC_FILE_INFIX) != NULL)
      return TRUE;
  return FALSE;
}

/* The save replaces an existing file with the export, and a failed export
 * (a refused layer) leaves it as it was; neither leaves temporaries. */
static void
test_save_is_atomic (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = sf_test_make_tmp_dir ("sf-onnx-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "tower.onnx", NULL);
  g_assert_true (g_file_set_contents (path, "an older file", -1, NULL));

  SfModel *model = new_model ("conv8k3-bn pool2 sep8k3 res16s2 gap dense8 l2norm", 16);
  g_assert_true (sf_onnx_export_save (path, model, 0.5f, &error));
  g_assert_no_error (error);
  g_autoptr (GBytes) expected = sf_onnx_export_serialize (model, 0.5f, &error);
  g_assert_no_error (error);
  g_autofree char *written = NULL;
  gsize size = 0;
  g_assert_true (g_file_get_contents (path, &written, &size, NULL));
  g_assert_cmpmem (written, size, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
  g_assert_false (has_temporaries (dir));

  /* The model's own tower made unexportable: the save fails, naming the
   * layer, and the file written above stays. */
  SfTower *tower = (SfTower *) sf_model_get_tower (model);
  SfOpKind kind = tower->ops[3].kind;
  tower->ops[3].kind = SF_OP_SCALE;
  g_assert_false (sf_onnx_export_save (path, model, 0.5f, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "tower.onnx"));
  g_assert_nonnull (strstr (error->message, "layer 3"));
  g_clear_error (&error);
  tower->ops[3].kind = kind;
  g_autofree char *after = NULL;
  g_assert_true (g_file_get_contents (path, &after, &size, NULL));
  g_assert_cmpmem (after, size, written, g_bytes_get_size (expected));
  g_assert_false (has_temporaries (dir));

  /* A folder that does not exist: an I/O error, nothing made. */
  g_autofree char *nowhere = g_build_filename (dir, "missing", "tower.onnx", NULL);
  g_assert_false (sf_onnx_export_save (nowhere, model, 0.5f, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_IO);
  g_assert_false (g_file_test (nowhere, G_FILE_TEST_EXISTS));

  sf_model_free (model);
  sf_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/onnx/compact-graph", test_compact_graph);
  g_test_add_func ("/onnx/article-drops-dropout", test_article_drops_dropout);
  g_test_add_func ("/onnx/refuses-unknown-layer", test_refuses_unknown_layer);
  g_test_add_func ("/onnx/save-is-atomic", test_save_is_atomic);
  return g_test_run ();
}
