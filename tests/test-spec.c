/* Tower specs: the article's shapes, parameters and FLOPs, the grammar of
 * suffixes, the PyTorch mapping, and the exact message for every bad spec. */
#include <glib.h>
#include <string.h>

#include "error.h"
#include "spec.h"

static void
test_article (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTower) tower = sf_tower_parse (SF_SPEC_ARTICLE, 64, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tower->spec, ==, SF_SPEC_ARTICLE);
  g_assert_cmpint (tower->n_tokens, ==, 12);
  static const struct {
    SfOpKind kind;
    int c, h, w;
    gsize params;
    double flops;
  } want[] = {
    { SF_OP_CONV, 96, 64, 64, 96 * 121 + 96, 2.0 * 121 * 96 * 64 * 64 },
    { SF_OP_RELU, 96, 64, 64, 0, 96 * 64 * 64 },
    { SF_OP_MAXPOOL, 96, 32, 32, 0, 96 * 64 * 64 },
    { SF_OP_DROPOUT, 96, 32, 32, 0, 96 * 32 * 32 },
    { SF_OP_CONV, 256, 32, 32, 256 * 96 * 25 + 256, 2.0 * 96 * 25 * 256 * 32 * 32 },
    { SF_OP_RELU, 256, 32, 32, 0, 256 * 32 * 32 },
    { SF_OP_MAXPOOL, 256, 16, 16, 0, 256 * 32 * 32 },
    { SF_OP_DROPOUT, 256, 16, 16, 0, 256 * 16 * 16 },
    { SF_OP_CONV, 384, 16, 16, 384 * 256 * 9 + 384, 2.0 * 256 * 9 * 384 * 16 * 16 },
    { SF_OP_RELU, 384, 16, 16, 0, 384 * 16 * 16 },
    { SF_OP_MAXPOOL, 384, 8, 8, 0, 384 * 16 * 16 },
    { SF_OP_DROPOUT, 384, 8, 8, 0, 384 * 8 * 8 },
    { SF_OP_AVGPOOL, 384, 1, 1, 0, 384 * 8 * 8 },
    { SF_OP_FLATTEN, 384, 1, 1, 0, 0 },
    { SF_OP_DENSE, 1024, 1, 1, 384 * 1024 + 1024, 2.0 * 384 * 1024 },
    { SF_OP_DENSE, 128, 1, 1, 1024 * 128 + 128, 2.0 * 1024 * 128 },
  };
  g_assert_cmpint (tower->n_ops, ==, G_N_ELEMENTS (want));
  double flops = 0;
  gsize params = 0;
  for (int k = 0; k < tower->n_ops; k++)
    {
      const SfOp *op = &tower->ops[k];
      g_assert_cmpint (op->kind, ==, want[k].kind);
      g_assert_cmpint (op->out.c, ==, want[k].c);
      g_assert_cmpint (op->out.h, ==, want[k].h);
      g_assert_cmpint (op->out.w, ==, want[k].w);
      g_assert_cmpuint (op->n_params, ==, want[k].params);
      g_assert_cmpuint (op->n_buffers, ==, 0);
      g_assert_cmpfloat (op->flops, ==, want[k].flops);
      flops += want[k].flops;
      params += want[k].params;
    }
  g_assert_true (tower->ops[13].out.flat);
  g_assert_false (tower->ops[12].out.flat);
  g_assert_cmpint (tower->ops[0].kernel, ==, 11);
  g_assert_cmpfloat (tower->ops[3].value, ==, 0.3f);
  g_assert_cmpint (tower->ops[3].token, ==, 2);
  g_assert_cmpint (tower->ops[13].token, ==, 9);
  g_assert_cmpuint (tower->n_params, ==, 2036928);
  g_assert_cmpuint (params, ==, 2036928);
  g_assert_cmpfloat (tower->flops, ==, flops);
  g_assert_cmpint (tower->embedding_size, ==, 128);
  /* About 1.81 GFLOP per image forward, almost all in the convolutions. */
  g_assert_cmpfloat (tower->flops, >, 1.80e9);
  g_assert_cmpfloat (tower->flops, <, 1.82e9);

  g_autofree char *python = sf_tower_to_python (tower);
  g_assert_nonnull (strstr (python, "    nn.Conv2d(1, 96, kernel_size=11, padding=5),  # 0: 96×64×64, 11712 parameters\n"));
  g_assert_nonnull (strstr (python, "    nn.Dropout(0.3),  # 3: 96×32×32\n"));
  g_assert_nonnull (strstr (python, "    nn.AdaptiveAvgPool2d(1),  # 12: 384×1×1\n"));
  g_assert_nonnull (strstr (python, "    nn.Flatten(),  # 13: 384\n"));
  g_assert_nonnull (strstr (python, "    nn.Linear(1024, 128),  # 15: 128, 131200 parameters\n"));
}

static void
test_compact_and_presets (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_cmpstr (sf_spec_preset ("article"), ==, SF_SPEC_ARTICLE);
  g_assert_cmpstr (sf_spec_preset ("Compact"), ==, SF_SPEC_COMPACT);
  g_assert_null (sf_spec_preset ("conv8k3"));
  g_autoptr (SfTower) tower = sf_tower_parse (SF_SPEC_COMPACT, 64, &error);
  g_assert_no_error (error);
  int batchnorms = 0;
  for (int k = 0; k < tower->n_ops; k++)
    if (tower->ops[k].kind == SF_OP_BATCHNORM)
      {
        batchnorms++;
        g_assert_cmpuint (tower->ops[k].n_buffers, ==, 2 * (gsize) tower->ops[k].in.c);
        g_assert_cmpstr (sf_op_torch_class (&tower->ops[k]), ==, "BatchNorm2d");
      }
  g_assert_cmpint (batchnorms, >, 0);
  g_assert_cmpuint (tower->n_buffers, >, 0);
  /* Much cheaper than the article. */
  g_assert_cmpfloat (tower->flops, <, 0.2e9);
}

static int
kinds (const SfTower *tower, SfOpKind *out, int max)
{
  for (int k = 0; k < tower->n_ops && k < max; k++)
    out[k] = tower->ops[k].kind;
  return tower->n_ops;
}

static void
test_suffix_grammar (void)
{
  static const struct {
    const char *spec;
    int n;
    SfOpKind kinds[8];
  } cases[] = {
    { "conv8k3 gap", 4, { SF_OP_CONV, SF_OP_RELU, SF_OP_AVGPOOL, SF_OP_FLATTEN } },
    { "conv8k3-bn gap", 5, { SF_OP_CONV, SF_OP_BATCHNORM, SF_OP_RELU, SF_OP_AVGPOOL, SF_OP_FLATTEN } },
    { "conv8k3-relu-bn gap", 5, { SF_OP_CONV, SF_OP_RELU, SF_OP_BATCHNORM, SF_OP_AVGPOOL, SF_OP_FLATTEN } },
    { "conv8k3-linear flatten", 2, { SF_OP_CONV, SF_OP_FLATTEN } },
    { "conv8k3-bn-linear flatten", 3, { SF_OP_CONV, SF_OP_BATCHNORM, SF_OP_FLATTEN } },
    { "conv8k3-elu0.5 pool flatten dense4", 5, { SF_OP_CONV, SF_OP_ELU, SF_OP_MAXPOOL, SF_OP_FLATTEN, SF_OP_DENSE } },
    { "flatten dense16-bn-leaky0.2 dense4", 5, { SF_OP_FLATTEN, SF_OP_DENSE, SF_OP_BATCHNORM, SF_OP_LEAKY_RELU,
                                                 SF_OP_DENSE } },
    { " conv4k1\tbn relu leaky elu drop0 pool3  flatten\n", 8, { SF_OP_CONV, SF_OP_RELU, SF_OP_BATCHNORM, SF_OP_RELU,
                                                                 SF_OP_LEAKY_RELU, SF_OP_ELU, SF_OP_DROPOUT,
                                                                 SF_OP_MAXPOOL } },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SfTower) tower = sf_tower_parse (cases[k].spec, 9, &error);
      g_assert_no_error (error);
      SfOpKind got[16];
      int n = kinds (tower, got, 16);
      if (k == G_N_ELEMENTS (cases) - 1)
        n = MIN (n, 8);
      else
        g_assert_cmpint (n, ==, cases[k].n);
      for (int i = 0; i < cases[k].n; i++)
        g_assert_cmpint (got[i], ==, cases[k].kinds[i]);
    }

  g_autoptr (GError) error = NULL;
  g_autoptr (SfTower) tower = sf_tower_parse (" conv4k1\tbn relu leaky elu drop0 pool3  flatten\n", 9, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tower->spec, ==, "conv4k1 bn relu leaky elu drop0 pool3 flatten");
  g_assert_cmpfloat (tower->ops[4].value, ==, 0.01f);   /* leaky: PyTorch's default slope */
  g_assert_cmpfloat (tower->ops[5].value, ==, 1.0f);    /* elu: alpha 1 */
  g_assert_cmpint (tower->ops[7].out.h, ==, 3);
  g_assert_cmpint (tower->ops[8].out.c, ==, 36);
  g_assert_cmpint (tower->embedding_size, ==, 36);

  g_autoptr (SfTower) flat = sf_tower_parse ("flatten dense16-bn-leaky0.2 dense4", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sf_op_torch_class (&flat->ops[2]), ==, "BatchNorm1d");
  g_autofree char *leaky = sf_op_to_python (&flat->ops[3]);
  g_assert_cmpstr (leaky, ==, "nn.LeakyReLU(0.2)");
  g_autofree char *dense = sf_op_to_python (&flat->ops[1]);
  g_assert_cmpstr (dense, ==, "nn.Linear(25, 16)");
  g_assert_cmpuint (flat->n_params, ==, 25 * 16 + 16 + 2 * 16 + 16 * 4 + 4);
  g_assert_cmpuint (flat->n_buffers, ==, 2 * 16);

  /* l2norm: no parameters, the shape kept, its own module in the PyTorch source. */
  g_autoptr (SfTower) unit = sf_tower_parse ("conv4k3 gap dense8 l2norm", 16, &error);
  g_assert_no_error (error);
  g_assert_cmpint (unit->n_ops, ==, 6);
  g_assert_cmpint (unit->ops[5].kind, ==, SF_OP_L2NORM);
  g_assert_cmpuint (unit->ops[5].n_params, ==, 0);
  g_assert_true (unit->ops[5].out.flat);
  g_assert_cmpint (unit->embedding_size, ==, 8);
  g_assert_true (sf_tower_has_op (unit, SF_OP_L2NORM));
  g_assert_false (sf_tower_has_op (flat, SF_OP_L2NORM));
  g_autofree char *unit_python = sf_tower_to_python (unit);
  g_assert_nonnull (strstr (unit_python, "class L2Norm(nn.Module):"));
  g_assert_nonnull (strstr (unit_python, "    L2Norm(),  # 5: 8\n"));
  g_autofree char *flat_python = sf_tower_to_python (flat);
  g_assert_null (strstr (flat_python, "L2Norm"));
}

static void
test_bad_specs (void)
{
  static const struct {
    const char *spec;
    int size;
    int code;
    const char *message;
  } cases[] = {
    { "", 64, SF_ERROR_INVALID, "tower spec: empty; give layers, as in “conv32k3 pool2 gap dense64”" },
    { "   ", 64, SF_ERROR_INVALID, "tower spec: empty; give layers, as in “conv32k3 pool2 gap dense64”" },
    { "conv8k3 foo gap", 64, SF_ERROR_INVALID,
      "tower spec: “foo” (token 2): unknown layer; use conv, dense, pool, drop, gap, flatten, l2norm, bn, relu, leaky or elu" },
    { "conv8k3 l2norm gap", 64, SF_ERROR_INVALID,
      "tower spec: “l2norm” (token 2): l2norm needs a flat input; put it after gap, flatten or dense" },
    { "conv8x3 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8x3” (token 1): write a convolution as conv<filters>k<kernel>, as in conv32k3" },
    { "conv8k gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k” (token 1): write a convolution as conv<filters>k<kernel>, as in conv32k3" },
    { "conv8k4 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k4” (token 1): the kernel size must be odd, 1 to 31 (same padding)" },
    { "conv0k3 gap", 64, SF_ERROR_INVALID, "tower spec: “conv0k3” (token 1): the number of filters must be 1 to 16384" },
    { "conv-8k3 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv-8k3” (token 1): write a convolution as conv<filters>k<kernel>, as in conv32k3" },
    { "conv8k3 dense10", 64, SF_ERROR_INVALID,
      "tower spec: “dense10” (token 2): a dense layer needs a flat input; put gap or flatten before it" },
    { "gap conv8k3", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k3” (token 2): a convolution needs an image input, but its input is flat" },
    { "gap pool2", 64, SF_ERROR_INVALID,
      "tower spec: “pool2” (token 2): a max-pool needs an image input, but its input is flat" },
    { "pool2 pool2 pool2", 4, SF_ERROR_INVALID,
      "tower spec: “pool2” (token 3): its 1×1 input is smaller than the 2×2 window" },
    { "pool9 gap", 64, SF_ERROR_INVALID, "tower spec: “pool9” (token 1): the pool size must be 2 to 8" },
    { "poolx gap", 64, SF_ERROR_INVALID,
      "tower spec: “poolx” (token 1): write a max-pool as pool or pool<size>, as in pool2" },
    { "conv8k3 drop1 gap", 64, SF_ERROR_INVALID,
      "tower spec: “drop1” (token 2): the dropout rate must be at least 0 and below 1" },
    { "conv8k3 drop gap", 64, SF_ERROR_INVALID,
      "tower spec: “drop” (token 2): write dropout as drop<rate>, as in drop0.3" },
    { "conv8k3 drop-0.1 gap", 64, SF_ERROR_INVALID,
      "tower spec: “drop-0.1” (token 2): only conv and dense take “-” suffixes; write “drop-0.1” as separate tokens" },
    { "conv8k3 drop0.1e2 gap", 64, SF_ERROR_INVALID,
      "tower spec: “drop0.1e2” (token 2): write dropout as drop<rate>, as in drop0.3" },
    { "conv8k3-foo gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k3-foo” (token 1): unknown suffix “foo”; use bn, relu, leaky, elu or linear" },
    { "conv8k3-pool2 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k3-pool2” (token 1): unknown suffix “pool2”; use bn, relu, leaky, elu or linear" },
    { "conv8k3--bn gap", 64, SF_ERROR_INVALID, "tower spec: “conv8k3--bn” (token 1): an empty name between “-”" },
    { "conv8k3-leaky1.5 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k3-leaky1.5” (token 1): the leaky ReLU slope must be at least 0 and below 1" },
    { "conv8k3-leakyx gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k3-leakyx” (token 1): “leakyx”: write a leaky ReLU as leaky or leaky<slope>, as in leaky0.1" },
    { "conv8k3 elu0 gap", 64, SF_ERROR_INVALID,
      "tower spec: “elu0” (token 2): the ELU alpha must be above 0 and at most 100" },
    { "conv8k3 gap linear", 64, SF_ERROR_INVALID,
      "tower spec: “linear” (token 3): linear only follows conv or dense, as in dense128-linear" },
    { "dense0", 64, SF_ERROR_INVALID, "tower spec: “dense0” (token 1): the number of features must be 1 to 16384" },
    { "flatten densex", 64, SF_ERROR_INVALID,
      "tower spec: “densex” (token 2): write a dense layer as dense<features>, as in dense128" },
    { "conv8k3 pool2", 64, SF_ERROR_INVALID,
      "tower spec: the tower ends with 8×32×32 images; end it with gap, flatten or a dense layer to give an embedding" },
    { "conv8k3 gap", 0, SF_ERROR_INVALID, "tower spec: the input size must be 1 to 1024, not 0" },
    { "flatten dense16384 dense16384", 64, SF_ERROR_TOO_LARGE,
      "tower spec: “dense16384” (token 3): the tower would have more than 268435456 parameters" },
    { "conv16384k31 gap", 1024, SF_ERROR_TOO_LARGE,
      "tower spec: “conv16384k31” (token 1): its output of 17179869184 floats per image is more than the limit of "
      "67108864" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (GError) error = NULL;
      SfTower *tower = sf_tower_parse (cases[k].spec, cases[k].size, &error);
      g_assert_null (tower);
      g_assert_error (error, SF_ERROR, cases[k].code);
      g_assert_cmpstr (error->message, ==, cases[k].message);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spec/article", test_article);
  g_test_add_func ("/spec/compact-and-presets", test_compact_and_presets);
  g_test_add_func ("/spec/suffix-grammar", test_suffix_grammar);
  g_test_add_func ("/spec/bad", test_bad_specs);
  return g_test_run ();
}
