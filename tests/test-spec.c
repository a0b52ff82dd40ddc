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

/* Strided convolutions, average pools and the blocks: shapes as PyTorch
 * gives them, counts summed from the parts, the PyTorch source. */
static void
test_blocks (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfTower) tower = sf_tower_parse ("conv16k3s2-bn-relu res16 res32s2 sep64k3s2 se4 avgpool2 gap dense8", 32,
                                              &error);
  g_assert_no_error (error);
  static const struct {
    SfOpKind kind;
    int c, h, w, stride, n_parts;
    gsize params, buffers;
  } want[] = {
    { SF_OP_CONV, 16, 16, 16, 2, 0, 16 * 9 + 16, 0 },
    { SF_OP_BATCHNORM, 16, 16, 16, 1, 0, 32, 32 },
    { SF_OP_RELU, 16, 16, 16, 1, 0, 0, 0 },
    { SF_OP_RESIDUAL, 16, 16, 16, 1, 7, 2 * 16 * 16 * 9 + 4 * 16, 4 * 16 },
    { SF_OP_RESIDUAL, 32, 8, 8, 2, 9, 32 * 16 * 9 + 32 * 32 * 9 + 32 * 16 + 6 * 32, 6 * 32 },
    { SF_OP_SEPARABLE, 64, 4, 4, 2, 6, 32 * 9 + 2 * 32 + 64 * 32 + 2 * 64, 2 * 32 + 2 * 64 },
    { SF_OP_SQUEEZE_EXCITE, 64, 4, 4, 1, 6, 64 * 16 + 16 + 16 * 64 + 64, 0 },
    { SF_OP_AVGPOOL_WINDOW, 64, 2, 2, 1, 0, 0, 0 },
    { SF_OP_AVGPOOL, 64, 1, 1, 1, 0, 0, 0 },
    { SF_OP_FLATTEN, 64, 1, 1, 1, 0, 0, 0 },
    { SF_OP_DENSE, 8, 1, 1, 1, 0, 64 * 8 + 8, 0 },
  };
  g_assert_cmpint (tower->n_ops, ==, G_N_ELEMENTS (want));
  gsize params = 0, buffers = 0;
  for (int k = 0; k < tower->n_ops; k++)
    {
      const SfOp *op = &tower->ops[k];
      g_assert_cmpint (op->kind, ==, want[k].kind);
      g_assert_cmpint (op->out.c, ==, want[k].c);
      g_assert_cmpint (op->out.h, ==, want[k].h);
      g_assert_cmpint (op->out.w, ==, want[k].w);
      g_assert_cmpint (op->stride, ==, want[k].stride);
      g_assert_cmpint (op->n_parts, ==, want[k].n_parts);
      g_assert_cmpuint (op->n_params, ==, want[k].params);
      g_assert_cmpuint (op->n_buffers, ==, want[k].buffers);
      params += op->n_params;
      buffers += op->n_buffers;
      /* A block's counts are its parts' (its sum or scaling has FLOPs, no parameters). */
      gsize part_params = 0;
      double part_flops = 0;
      for (int i = 0; i < op->n_parts; i++)
        {
          part_params += op->parts[i].n_params;
          part_flops += op->parts[i].flops;
        }
      if (op->n_parts > 0)
        {
          g_assert_cmpuint (part_params, ==, op->n_params);
          g_assert_cmpfloat (part_flops, ==, op->flops);
          g_assert_true (op->parts[0].in.c == op->in.c && op->parts[0].in.h == op->in.h);
          g_assert_true (op->parts[op->n_parts - 1].out.c == op->out.c && op->parts[op->n_parts - 1].out.h == op->out.h);
        }
    }
  g_assert_cmpuint (tower->n_params, ==, params);
  g_assert_cmpuint (tower->n_buffers, ==, buffers);
  g_assert_cmpint (tower->embedding_size, ==, 8);

  /* The identity residual block: conv1, bn1, ReLU, conv2, bn2, the sum, ReLU. */
  const SfOp *res = &tower->ops[3];
  g_assert_false (res->projection);
  static const SfOpKind res_kinds[] = { SF_OP_CONV, SF_OP_BATCHNORM, SF_OP_RELU, SF_OP_CONV, SF_OP_BATCHNORM,
                                        SF_OP_ADD, SF_OP_RELU };
  static const char *const res_names[] = { "conv1", "bn1", NULL, "conv2", "bn2", NULL, NULL };
  for (int i = 0; i < res->n_parts; i++)
    {
      g_assert_cmpint (res->parts[i].kind, ==, res_kinds[i]);
      g_assert_cmpstr (res->parts[i].name, ==, res_names[i]);
      g_assert_false (res->parts[i].shortcut);
    }
  /* 2·(16·9·16·16²) per convolution, 2·4096 per batch norm, 4096 per ReLU and for the sum. */
  g_assert_cmpfloat (res->flops, ==, 2 * 2.0 * 16 * 9 * 16 * 256 + 2 * 2.0 * 4096 + 3 * 4096.0);
  g_assert_cmpstr (sf_op_part_torch_class (&res->parts[5]), ==, "add");

  /* The projection: its shortcut conv1×1 with the block's stride, and batch norm. */
  const SfOp *down = &tower->ops[4];
  g_assert_true (down->projection);
  g_assert_cmpint (down->parts[0].stride, ==, 2);
  g_assert_cmpint (down->parts[0].out.h, ==, 8);
  g_assert_cmpint (down->parts[3].stride, ==, 1);
  g_assert_cmpstr (down->parts[5].name, ==, "shortcut.0");
  g_assert_true (down->parts[5].shortcut);
  g_assert_cmpint (down->parts[5].kernel, ==, 1);
  g_assert_cmpint (down->parts[5].stride, ==, 2);
  g_assert_cmpint (down->parts[5].out.c, ==, 32);
  g_assert_cmpint (down->parts[5].out.h, ==, 8);
  g_assert_cmpstr (down->parts[6].name, ==, "shortcut.1");
  g_assert_true (down->parts[6].shortcut);
  g_assert_false (down->parts[7].shortcut);
  g_assert_cmpint (down->parts[7].kind, ==, SF_OP_ADD);

  /* Separable: depthwise (groups = C) with the stride, then pointwise. */
  const SfOp *sep = &tower->ops[5];
  g_assert_cmpstr (sep->parts[0].name, ==, "depthwise");
  g_assert_cmpint (sep->parts[0].groups, ==, 32);
  g_assert_cmpint (sep->parts[0].out.c, ==, 32);
  g_assert_cmpint (sep->parts[0].out.h, ==, 4);
  g_assert_cmpfloat (sep->parts[0].flops, ==, 2.0 * 9 * 32 * 16);
  g_assert_cmpstr (sep->parts[3].name, ==, "pointwise");
  g_assert_cmpint (sep->parts[3].groups, ==, 1);
  g_assert_cmpint (sep->parts[3].kind, ==, SF_OP_CONV);

  /* Squeeze-and-excitation: 64 channels squeezed to 16. */
  const SfOp *se = &tower->ops[6];
  g_assert_cmpint (se->units, ==, 16);
  g_assert_cmpfloat (se->value, ==, 4);
  g_assert_true (se->parts[0].out.flat);
  g_assert_cmpint (se->parts[1].out.c, ==, 16);
  g_assert_cmpstr (se->parts[3].name, ==, "fc2");
  g_assert_cmpint (se->parts[4].kind, ==, SF_OP_SIGMOID);
  g_assert_cmpint (se->parts[5].kind, ==, SF_OP_SCALE);

  g_autofree char *python = sf_tower_to_python (tower);
  g_assert_nonnull (strstr (python, "class BasicBlock(nn.Module):"));
  g_assert_nonnull (strstr (python, "class SeparableConv(nn.Module):"));
  g_assert_nonnull (strstr (python, "class SqueezeExcite(nn.Module):"));
  g_assert_null (strstr (python, "L2Norm"));
  g_assert_nonnull (strstr (python, "    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),  # 0: 16×16×16, 160 parameters\n"));
  g_assert_nonnull (strstr (python, "    BasicBlock(16, 16),  # 3: 16×16×16, 4672 parameters\n"));
  g_assert_nonnull (strstr (python, "    BasicBlock(16, 32, stride=2),  # 4: 32×8×8, 14528 parameters\n"));
  g_assert_nonnull (strstr (python, "    SeparableConv(32, 64, kernel_size=3, stride=2),  # 5: 64×4×4, 2528 parameters\n"));
  g_assert_nonnull (strstr (python, "    SqueezeExcite(64, reduction=4),  # 6: 64×4×4, 2128 parameters\n"));
  g_assert_nonnull (strstr (python, "    nn.AvgPool2d(2),  # 7: 64×2×2\n"));

  /* Output sizes of strided windows on odd sides: floor((H + 2·(K/2) - K) / S) + 1. */
  static const struct {
    const char *spec;
    int size, side;
  } sides[] = {
    { "conv4k3s2 gap", 7, 4 }, { "conv4k5s3 gap", 10, 4 }, { "conv4k1s2 gap", 5, 3 }, { "conv4k7s4 gap", 9, 3 },
    { "res4s2 gap", 7, 4 },    { "res4s3 gap", 1, 1 },     { "sep4k5s2 gap", 9, 5 },  { "avgpool3 gap", 8, 2 },
  };
  for (guint k = 0; k < G_N_ELEMENTS (sides); k++)
    {
      g_autoptr (SfTower) t = sf_tower_parse (sides[k].spec, sides[k].size, &error);
      g_assert_no_error (error);
      g_assert_cmpint (t->ops[0].out.h, ==, sides[k].side);
      g_assert_cmpint (t->ops[0].out.w, ==, sides[k].side);
    }
  /* A stride of 1 written out is the plain layer; stride on a 1×1 image still projects, as in PyTorch. */
  g_autoptr (SfTower) one = sf_tower_parse ("conv4k3s1 res4s1 res4s3 gap", 1, &error);
  g_assert_no_error (error);
  g_autofree char *one_python = sf_tower_to_python (one);
  g_assert_nonnull (strstr (one_python, "nn.Conv2d(1, 4, kernel_size=3, padding=1),"));
  g_assert_nonnull (strstr (one_python, "BasicBlock(4, 4),"));
  g_assert_false (one->ops[2].projection);
  g_assert_true (one->ops[3].projection);
  g_assert_true (sf_tower_has_op (one, SF_OP_RESIDUAL));
  g_assert_false (sf_tower_has_op (one, SF_OP_SEPARABLE));
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
      "tower spec: “foo” (token 2): unknown layer; use conv, dense, pool, avgpool, drop, gap, flatten, l2norm, bn, relu, "
      "leaky, elu, res, sep or se" },
    { "conv8k3 l2norm gap", 64, SF_ERROR_INVALID,
      "tower spec: “l2norm” (token 2): l2norm needs a flat input; put it after gap, flatten or dense" },
    { "conv8x3 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8x3” (token 1): write a convolution as conv<filters>k<kernel> or conv<filters>k<kernel>s<stride>, "
      "as in conv32k3 or conv32k3s2" },
    { "conv8k gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k” (token 1): write a convolution as conv<filters>k<kernel> or conv<filters>k<kernel>s<stride>, "
      "as in conv32k3 or conv32k3s2" },
    { "conv8k4 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k4” (token 1): the kernel size must be odd, 1 to 31 (same padding)" },
    { "conv0k3 gap", 64, SF_ERROR_INVALID, "tower spec: “conv0k3” (token 1): the number of filters must be 1 to 16384" },
    { "conv-8k3 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv-8k3” (token 1): write a convolution as conv<filters>k<kernel> or conv<filters>k<kernel>s<stride>, "
      "as in conv32k3 or conv32k3s2" },
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
    { "conv8k3s0 gap", 64, SF_ERROR_INVALID, "tower spec: “conv8k3s0” (token 1): the stride must be 1 to 8" },
    { "conv8k3s9 gap", 64, SF_ERROR_INVALID, "tower spec: “conv8k3s9” (token 1): the stride must be 1 to 8" },
    { "conv8k3s gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8k3s” (token 1): write a convolution as conv<filters>k<kernel> or conv<filters>k<kernel>s<stride>, "
      "as in conv32k3 or conv32k3s2" },
    { "conv8s2k3 gap", 64, SF_ERROR_INVALID,
      "tower spec: “conv8s2k3” (token 1): write a convolution as conv<filters>k<kernel> or conv<filters>k<kernel>s<stride>, "
      "as in conv32k3 or conv32k3s2" },
    { "res gap", 64, SF_ERROR_INVALID,
      "tower spec: “res” (token 1): write a residual block as res<filters> or res<filters>s<stride>, as in res32 or "
      "res64s2" },
    { "res16k3 gap", 64, SF_ERROR_INVALID,
      "tower spec: “res16k3” (token 1): write a residual block as res<filters> or res<filters>s<stride>, as in res32 or "
      "res64s2" },
    { "res0 gap", 64, SF_ERROR_INVALID, "tower spec: “res0” (token 1): the number of filters must be 1 to 16384" },
    { "res16s9 gap", 64, SF_ERROR_INVALID, "tower spec: “res16s9” (token 1): the stride must be 1 to 8" },
    { "gap res16", 64, SF_ERROR_INVALID,
      "tower spec: “res16” (token 2): a residual block needs an image input, but its input is flat" },
    { "res16-bn gap", 64, SF_ERROR_INVALID,
      "tower spec: “res16-bn” (token 1): only conv and dense take “-” suffixes; write “res16-bn” as separate tokens" },
    { "sep16 gap", 64, SF_ERROR_INVALID,
      "tower spec: “sep16” (token 1): write a separable convolution as sep<filters>k<kernel> or "
      "sep<filters>k<kernel>s<stride>, as in sep64k3 or sep64k3s2" },
    { "sep16k4 gap", 64, SF_ERROR_INVALID,
      "tower spec: “sep16k4” (token 1): the kernel size must be odd, 1 to 31 (same padding)" },
    { "sep16k3s0 gap", 64, SF_ERROR_INVALID, "tower spec: “sep16k3s0” (token 1): the stride must be 1 to 8" },
    { "flatten sep16k3", 64, SF_ERROR_INVALID,
      "tower spec: “sep16k3” (token 2): a separable convolution needs an image input, but its input is flat" },
    { "conv8k3 se gap", 64, SF_ERROR_INVALID,
      "tower spec: “se” (token 2): write squeeze-and-excitation as se<reduction>, as in se4" },
    { "conv8k3 se0 gap", 64, SF_ERROR_INVALID,
      "tower spec: “se0” (token 2): the reduction must be 1 to the 8 channels of its input" },
    { "conv8k3 se9 gap", 64, SF_ERROR_INVALID,
      "tower spec: “se9” (token 2): the reduction must be 1 to the 8 channels of its input" },
    { "conv8k3 gap se2", 64, SF_ERROR_INVALID,
      "tower spec: “se2” (token 3): squeeze-and-excitation needs an image input, but its input is flat" },
    { "avgpool gap", 64, SF_ERROR_INVALID,
      "tower spec: “avgpool” (token 1): write an average pool as avgpool<size>, as in avgpool2" },
    { "avgpool1 gap", 64, SF_ERROR_INVALID, "tower spec: “avgpool1” (token 1): the pool size must be 2 to 8" },
    { "avgpool4 gap", 3, SF_ERROR_INVALID,
      "tower spec: “avgpool4” (token 1): its 3×3 input is smaller than the 4×4 window" },
    { "flatten avgpool2", 64, SF_ERROR_INVALID,
      "tower spec: “avgpool2” (token 2): an average pool needs an image input, but its input is flat" },
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

/* A spec from a file is refused by its length before it is parsed: 100,000
 * "-leaky" suffixes hung the model reader. The longest spec allowed parses,
 * one word more does not, and so for bytes. */
static void
test_length_limits (void)
{
  GString *spec = g_string_new ("flatten dense4");
  while (spec->len + strlen ("-leaky") <= 4096)
    g_string_append (spec, "-leaky");
  g_autoptr (GError) error = NULL;
  /* 680 suffixes: within the bytes, too many words. */
  SfTower *tower = sf_tower_parse (spec->str, 8, &error);
  g_assert_null (tower);
  g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==, "tower spec: 682 layers and suffixes, more than the 512 a spec may have");
  g_clear_error (&error);

  /* 512 words parse, 513 do not. */
  g_string_assign (spec, "flatten dense4");
  for (int k = 2; k < 512; k++)
    g_string_append (spec, "-leaky");
  g_autoptr (SfTower) longest = sf_tower_parse (spec->str, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpint (longest->n_tokens, ==, 2);
  g_string_append (spec, "-elu");
  g_assert_null (sf_tower_parse (spec->str, 8, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==, "tower spec: 513 layers and suffixes, more than the 512 a spec may have");
  g_clear_error (&error);

  /* 4096 bytes parse (white space counts), 4097 do not; 100,000 suffixes are refused at once. */
  g_string_assign (spec, "flatten dense4");
  g_string_append_printf (spec, "%*s", 4096 - (int) spec->len, "");
  g_assert_cmpuint (spec->len, ==, 4096);
  g_autoptr (SfTower) padded = sf_tower_parse (spec->str, 8, &error);
  g_assert_no_error (error);
  g_string_append_c (spec, ' ');
  g_assert_null (sf_tower_parse (spec->str, 8, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==, "tower spec: longer than the 4096 characters a spec may have");
  g_clear_error (&error);
  g_string_assign (spec, "flatten dense4");
  for (int k = 0; k < 100000; k++)
    g_string_append (spec, "-leaky");
  g_assert_null (sf_tower_parse (spec->str, 8, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_TOO_LARGE);
  g_string_free (spec, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spec/article", test_article);
  g_test_add_func ("/spec/compact-and-presets", test_compact_and_presets);
  g_test_add_func ("/spec/suffix-grammar", test_suffix_grammar);
  g_test_add_func ("/spec/blocks", test_blocks);
  g_test_add_func ("/spec/bad", test_bad_specs);
  g_test_add_func ("/spec/length-limits", test_length_limits);
  return g_test_run ();
}
