/* Tower spec strings: parsing, shapes, parameter and FLOP counts, and the
 * equivalent PyTorch nn.Sequential.
 *
 * A spec is whitespace-separated tokens; a token is a layer, optionally
 * followed by "-"-joined batch norm and activation suffixes applied in order:
 *
 *   conv<F>k<K>   Conv2d to F channels, K×K (odd), same padding, stride 1,
 *                 then ReLU unless the suffixes name an activation
 *   dense<F>      Linear to F features; no activation unless named
 *   pool[<K>]     MaxPool2d(K), K = 2 by default (floor)
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
 * e.g. "conv32k3-bn-relu pool2 drop0.25 conv64k5-leaky0.1 gap dense128-elu".
 * The default activation of conv goes last: conv32k3-bn is conv, bn, relu;
 * write conv32k3-relu-bn for conv, relu, bn. Numbers are plain decimals.
 * The input is one grey channel of input_size × input_size; the tower must
 * end flat (gap, flatten or dense): that vector is the embedding.
 *
 * Each module of the spec, in order, is one SfOp, and its position is its
 * index in the PyTorch nn.Sequential that sf_tower_to_python() prints; that
 * index names its tensors in checkpoints (tower.<index>.weight, ...). gap is
 * two modules (AdaptiveAvgPool2d(1), Flatten()). */
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
#define SF_SPEC_MAX_INPUT 1024
#define SF_SPEC_MAX_PARAMS ((gsize) 1 << 28)     /* floats */
#define SF_SPEC_MAX_ACTIVATION ((gsize) 1 << 26) /* floats per image per layer */

typedef enum {
  SF_OP_CONV,        /* nn.Conv2d(in, units, kernel, padding=kernel // 2) */
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
} SfOpKind;

/* A tensor's shape per image: c×h×w, or c features when flat (h = w = 1). */
typedef struct {
  int c, h, w;
  gboolean flat;
} SfShape;

typedef struct {
  SfOpKind kind;
  int token;          /* 0-based index of the spec token it comes from */
  int units;          /* conv: output channels; dense: output features */
  int kernel;         /* conv: kernel side; maxpool: window and stride */
  float value;        /* dropout: rate; leaky: slope; elu: alpha */
  SfShape in, out;
  gsize n_params;     /* trainable floats */
  gsize n_buffers;    /* non-trainable floats (batch norm running statistics) */
  double flops;       /* forward, per image: 2 per multiply-add of conv and dense, 2 per element for
                       * batch norm, 1 per input element for the rest (0 for flatten) */
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

/* The PyTorch source of the one module torch.nn lacks, defined ahead of the
 * nn.Sequential by sf_tower_to_python() and sf_model_to_python() when the
 * tower has an l2norm (eps 1e-12 as in F.normalize and SF_L2NORM_EPS). */
#define SF_TORCH_L2NORM \
  "class L2Norm(nn.Module):\n" \
  "    \"\"\"Scales each row to unit length (spec token l2norm).\"\"\"\n\n" \
  "    def forward(self, x):\n" \
  "        return nn.functional.normalize(x, dim=1, eps=1e-12)\n"

/* TRUE when the tower has an op of this kind. */
gboolean    sf_tower_has_op         (const SfTower *tower, SfOpKind kind);

/* The PyTorch class, e.g. "Conv2d", "BatchNorm1d". */
const char *sf_op_torch_class       (const SfOp *op);
/* The PyTorch constructor, e.g. "nn.Conv2d(1, 96, kernel_size=11, padding=5)". */
char       *sf_op_to_python         (const SfOp *op);
/* Python source building the tower as `tower = nn.Sequential(...)`, each
 * module commented with its index, output shape and parameter count. */
char       *sf_tower_to_python      (const SfTower *tower);
/* "96×32×32" or "128". */
char       *sf_shape_to_string      (const SfShape *shape);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfTower, sf_tower_free)

G_END_DECLS
