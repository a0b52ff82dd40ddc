/* Tower spec strings: parsing, shapes, parameter and FLOP counts, and the
 * equivalent PyTorch nn.Sequential.
 *
 * A spec is whitespace-separated tokens; a token is a layer, optionally
 * followed by "-"-joined batch norm and activation suffixes applied in order:
 *
 *   conv<F>k<K>[s<S>]
 *                 Conv2d to F channels, K×K (odd), padding K/2, stride S (1
 *                 by default: same size; else floor((H - 1) / S) + 1, as
 *                 PyTorch gives), then ReLU unless the suffixes name an
 *                 activation
 *   dense<F>      Linear to F features; no activation unless named
 *   pool[<K>]     MaxPool2d(K), K = 2 by default (floor)
 *   avgpool<K>    AvgPool2d(K): the mean of each K×K window, stride K (floor)
 *   drop<P>       Dropout with rate P, 0 ≤ P < 1 (inverted; off in evaluation)
 *   gap           global average pooling: AdaptiveAvgPool2d(1), Flatten()
 *   flatten       Flatten()
 *   l2norm        scales each (flat) vector to unit length, as
 *                 torch.nn.functional.normalize(x, dim=1) (a tiny L2Norm module
 *                 in the PyTorch source); ends a tower whose embeddings should
 *                 lie on the unit sphere
 *   bn            BatchNorm2d on images, BatchNorm1d on flat input
 *   relu | leaky[<S>] | elu[<A>]
 *                 ReLU, LeakyReLU (slope S, default 0.01, 0 ≤ S < 1),
 *                 ELU (alpha A, default 1, A > 0)
 *   linear        (suffix only) no activation: conv32k3-linear
 *
 * Blocks, each one module of its own class (SF_TORCH_BASIC_BLOCK, ...) with
 * its own layers inside; their convolutions have no bias (batch norm follows):
 *
 *   res<F>[s<S>]  residual block (ResNet's BasicBlock): conv3×3 to F, stride
 *                 S → BN → ReLU → conv3×3 F → F → BN, plus the shortcut — the
 *                 input itself when F = C and S = 1, else conv1×1 to F,
 *                 stride S → BN — then the sum → ReLU
 *   sep<F>k<K>[s<S>]
 *                 depthwise separable convolution: depthwise K×K (one filter
 *                 per channel, groups = C, stride S, padding K/2) → BN → ReLU
 *                 → pointwise conv1×1 to F → BN → ReLU
 *   se<R>         squeeze-and-excitation of the C channels, reduction R: the
 *                 mean of each channel → Linear(C, C/R) → ReLU →
 *                 Linear(C/R, C) → sigmoid → each channel times its gate
 *                 (1 ≤ R ≤ C; C/R rounded down)
 *
 * e.g. "conv32k3-bn-relu pool2 drop0.25 conv64k5-leaky0.1 gap dense128-elu".
 * The default activation of conv goes last: conv32k3-bn is conv, bn, relu;
 * write conv32k3-relu-bn for conv, relu, bn. Numbers are plain decimals.
 * The input is one grey channel of input_size × input_size; the tower must
 * end flat (gap, flatten or dense): that vector is the embedding.
 *
 * Each module of the spec, in order, is one SfOp, and its position is its
 * index in the PyTorch nn.Sequential that sf_tower_to_python() prints; that
 * index names its tensors in checkpoints (tower.<index>.weight, ...; inside
 * a block, tower.<index>.<part>.weight as tower.3.conv1.weight). gap is two
 * modules (AdaptiveAvgPool2d(1), Flatten()); a block is one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The article's network, exactly. */
#define SF_SPEC_ARTICLE \
  "conv96k11 pool2 drop0.3 conv256k5 pool2 drop0.3 conv384k3 pool2 drop0.3 gap dense1024 dense128"

/* The default: small and batch-normalised, chosen by measurement (accuracy
 * on people never seen in training, and speed) on this project's machine;
 * the towers it beat and the figures are in docs/PERFORMANCE.md, "The compact
 * tower". l2norm: unit-length embeddings for the preset's softmax pair loss. */
#define SF_SPEC_COMPACT \
  "conv16k3-bn-relu pool2 conv16k3-bn-relu pool2 conv32k3-bn-relu pool2 conv64k3-bn-relu pool2 conv128k3-bn-relu " \
  "gap dense128 l2norm"

/* Limits that refuse absurd specs before anything is allocated. */
#define SF_SPEC_MAX_UNITS 16384
#define SF_SPEC_MAX_KERNEL 31
#define SF_SPEC_MAX_POOL 8
#define SF_SPEC_MAX_STRIDE 8
#define SF_SPEC_MAX_INPUT 1024
#define SF_SPEC_MAX_PARAMS ((gsize) 1 << 28)     /* floats */
#define SF_SPEC_MAX_ACTIVATION ((gsize) 1 << 26) /* floats per image per layer */

typedef enum {
  SF_OP_CONV,        /* nn.Conv2d(in, units, kernel, stride=stride, padding=kernel // 2) */
  SF_OP_BATCHNORM,   /* nn.BatchNorm2d(c), or nn.BatchNorm1d(c) on flat input */
  SF_OP_RELU,        /* nn.ReLU() */
  SF_OP_LEAKY_RELU,  /* nn.LeakyReLU(value) */
  SF_OP_ELU,         /* nn.ELU(value) */
  SF_OP_MAXPOOL,     /* nn.MaxPool2d(kernel) */
  SF_OP_DROPOUT,     /* nn.Dropout(value) */
  SF_OP_AVGPOOL,     /* nn.AdaptiveAvgPool2d(1), the first half of gap */
  SF_OP_FLATTEN,     /* nn.Flatten() */
  SF_OP_DENSE,       /* nn.Linear(in, units) */
  SF_OP_L2NORM,      /* L2Norm(): F.normalize(x, dim=1), see SF_TORCH_L2NORM */
  SF_OP_AVGPOOL_WINDOW,  /* nn.AvgPool2d(kernel) */
  SF_OP_RESIDUAL,    /* BasicBlock(in, units, stride), see SF_TORCH_BASIC_BLOCK */
  SF_OP_SEPARABLE,   /* SeparableConv(in, units, kernel, stride), see SF_TORCH_SEPARABLE_CONV */
  SF_OP_SQUEEZE_EXCITE,  /* SqueezeExcite(c, reduction), see SF_TORCH_SQUEEZE_EXCITE */
  /* Only as parts of a block (SfOpPart), never as ops of a tower: */
  SF_OP_SIGMOID,     /* the gate of squeeze-and-excitation */
  SF_OP_ADD,         /* a residual block's sum of its branches */
  SF_OP_SCALE,       /* squeeze-and-excitation: each channel times its gate */
} SfOpKind;

/* A tensor's shape per image: c×h×w, or c features when flat (h = w = 1). */
typedef struct {
  int c, h, w;
  gboolean flat;
} SfShape;

/* One layer inside a block op (res, sep, se), in the order the forward pass
 * runs them, for pictures and counts; the block's op sums their counts (plus
 * the sum or scaling that joins them). */
typedef struct {
  const char *name;   /* the PyTorch attribute that holds it ("conv1", "bn1", "shortcut.0", "fc1"), which
                       * names its tensors (tower.<i>.<name>.weight); NULL for functions (ReLU, sigmoid, the
                       * mean of squeeze-and-excitation, the sum, the scaling) */
  SfOpKind kind;      /* SF_OP_CONV, _BATCHNORM, _RELU, _DENSE, _AVGPOOL (a channel's mean), _SIGMOID, _ADD, _SCALE */
  int units;          /* conv: output channels; dense: output features */
  int kernel, stride; /* conv */
  int groups;         /* conv: 1, or the input channels for a depthwise convolution */
  gboolean bias;      /* conv, dense: has a bias tensor */
  gboolean shortcut;  /* res: on the shortcut branch (the other parts are the main branch, then the sum and
                       * its ReLU) */
  SfShape in, out;
  gsize n_params, n_buffers;
  double flops;
} SfOpPart;

#define SF_OP_MAX_PARTS 10

typedef struct {
  SfOpKind kind;
  int token;          /* 0-based index of the spec token it comes from */
  int units;          /* conv, res, sep: output channels; dense: output features; se: C/R */
  int kernel;         /* conv, sep: kernel side; maxpool, avgpool window: window and stride; res: 3 */
  int stride;         /* conv, res, sep: stride (1 unless s<S> is given); 1 for the others */
  float value;        /* dropout: rate; leaky: slope; elu: alpha; se: the reduction R */
  gboolean projection;  /* res: the shortcut is conv1×1 + BN (channels or size change), not the input */
  SfShape in, out;
  gsize n_params;     /* trainable floats */
  gsize n_buffers;    /* non-trainable floats (batch norm running statistics) */
  double flops;       /* forward, per image: 2 per multiply-add of conv and dense, 2 per element for
                       * batch norm, 1 per input element for the rest (0 for flatten), 1 per output
                       * element for a block's sum or scaling */
  SfOpPart parts[SF_OP_MAX_PARTS];   /* blocks only */
  int n_parts;
} SfOp;

typedef struct {
  char *spec;         /* the tokens joined by single spaces */
  int input_size;
  int n_tokens;
  SfOp *ops;          /* the nn.Sequential, in order */
  int n_ops;
  int embedding_size;
  gsize n_params;     /* trainable floats, tower only */
  gsize n_buffers;
  double flops;       /* forward, per image */
} SfTower;

/* Parses spec for input_size × input_size grey images. Errors (SF_ERROR_INVALID,
 * or SF_ERROR_TOO_LARGE past the limits above) quote the offending token. */
SfTower    *sf_tower_parse          (const char *spec, int input_size, GError **error);
void        sf_tower_free           (SfTower *tower);

/* "article" or "compact" (any case) → its spec; NULL for other names. */
const char *sf_spec_preset          (const char *name);

/* The PyTorch source of the modules torch.nn lacks, defined ahead of the
 * nn.Sequential by sf_tower_to_python() and sf_model_to_python() when the
 * tower uses them (sf_tower_torch_classes()). l2norm: eps 1e-12 as in
 * F.normalize and SF_L2NORM_EPS. */
#define SF_TORCH_L2NORM \
  "class L2Norm(nn.Module):\n" \
  "    \"\"\"Scales each row to unit length (spec token l2norm).\"\"\"\n\n" \
  "    def forward(self, x):\n" \
  "        return nn.functional.normalize(x, dim=1, eps=1e-12)\n"

#define SF_TORCH_BASIC_BLOCK \
  "class BasicBlock(nn.Module):\n" \
  "    \"\"\"Residual block (spec token res<F>[s<S>]), ResNet's BasicBlock.\"\"\"\n\n" \
  "    def __init__(self, cin, cout, stride=1):\n" \
  "        super().__init__()\n" \
  "        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)\n" \
  "        self.bn1 = nn.BatchNorm2d(cout)\n" \
  "        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)\n" \
  "        self.bn2 = nn.BatchNorm2d(cout)\n" \
  "        self.shortcut = nn.Sequential()\n" \
  "        if stride != 1 or cin != cout:\n" \
  "            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),\n" \
  "                                          nn.BatchNorm2d(cout))\n\n" \
  "    def forward(self, x):\n" \
  "        y = self.bn1(self.conv1(x)).relu()\n" \
  "        y = self.bn2(self.conv2(y))\n" \
  "        return (y + self.shortcut(x)).relu()\n"

#define SF_TORCH_SEPARABLE_CONV \
  "class SeparableConv(nn.Module):\n" \
  "    \"\"\"Depthwise separable convolution (spec token sep<F>k<K>[s<S>]).\"\"\"\n\n" \
  "    def __init__(self, cin, cout, kernel_size, stride=1):\n" \
  "        super().__init__()\n" \
  "        self.depthwise = nn.Conv2d(cin, cin, kernel_size, stride=stride, padding=kernel_size // 2,\n" \
  "                                   groups=cin, bias=False)\n" \
  "        self.bn1 = nn.BatchNorm2d(cin)\n" \
  "        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)\n" \
  "        self.bn2 = nn.BatchNorm2d(cout)\n\n" \
  "    def forward(self, x):\n" \
  "        x = self.bn1(self.depthwise(x)).relu()\n" \
  "        return self.bn2(self.pointwise(x)).relu()\n"

#define SF_TORCH_SQUEEZE_EXCITE \
  "class SqueezeExcite(nn.Module):\n" \
  "    \"\"\"Squeeze-and-excitation (spec token se<R>): channels scaled by a gate.\"\"\"\n\n" \
  "    def __init__(self, channels, reduction):\n" \
  "        super().__init__()\n" \
  "        self.fc1 = nn.Linear(channels, channels // reduction)\n" \
  "        self.fc2 = nn.Linear(channels // reduction, channels)\n\n" \
  "    def forward(self, x):\n" \
  "        gate = self.fc2(self.fc1(x.mean((2, 3))).relu()).sigmoid()\n" \
  "        return x * gate[:, :, None, None]\n"

/* The definitions of the classes above that the tower uses, each followed by
 * two blank lines; "" when it uses none. */
char       *sf_tower_torch_classes  (const SfTower *tower);

/* TRUE when the tower has an op of this kind. */
gboolean    sf_tower_has_op         (const SfTower *tower, SfOpKind kind);

/* The PyTorch class, e.g. "Conv2d", "BatchNorm1d". */
const char *sf_op_torch_class       (const SfOp *op);
/* The PyTorch constructor, e.g. "nn.Conv2d(1, 96, kernel_size=11, padding=5)". */
char       *sf_op_to_python         (const SfOp *op);
/* Python source building the tower as `tower = nn.Sequential(...)`, each
 * module commented with its index, output shape and parameter count. */
char       *sf_tower_to_python      (const SfTower *tower);
/* The label of a block's part: its PyTorch class ("Conv2d", "BatchNorm2d",
 * "ReLU", "Linear", "Sigmoid"), or for the functions of a forward() "mean",
 * "add", "mul". */
const char *sf_op_part_torch_class  (const SfOpPart *part);
/* "96×32×32" or "128". */
char       *sf_shape_to_string      (const SfShape *shape);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfTower, sf_tower_free)

G_END_DECLS
