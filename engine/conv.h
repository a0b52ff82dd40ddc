/* 2-D convolution, padding K/2, odd kernels, over NCHW float32: lowered to
 * cblas_sgemm by im2col, or at stride 1 by Winograd F(2×2, 3×3) or
 * F(4×4, 3×3), F(2×2, 5×5), F(3×3, 5×5) or F(4×4, 5×5) (the same linear map
 * with 2.25×, 4×, 2.8×, 4.6× and 6.25× fewer multiplications; its backward
 * pass is its exact adjoint) or the direct 3×3 kernels. The fast
 * paths work on chunks of images so the caller bounds memory and spreads
 * chunks over threads; a direct reference twin serves the tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int C, H, W;   /* input channels and image size */
  int OC;        /* output channels */
  int K;         /* kernel side, odd */
  int stride;    /* 0 or 1: the output is H×W; S > 1: (H - 1)/S + 1 × (W - 1)/S + 1, as PyTorch's
                  * floor((H + 2·(K/2) - K)/S) + 1 */
} SfConvShape;

typedef enum {
  SF_CONV_AUTO,      /* Winograd or direct where it applies, else im2col */
  SF_CONV_IM2COL,    /* any shape; the only one for strides above 1 */
  SF_CONV_WINOGRAD,  /* K = 3 or 5, stride 1 only; AUTO otherwise */
  SF_CONV_DIRECT,    /* K = 3, stride 1, W a multiple of 16, AVX-512 or AVX2; AUTO otherwise */
} SfConvAlgo;

#define SF_WINOGRAD_MAX_ALPHA 8
#define SF_WINOGRAD_MAX_M     4

typedef struct {
  SfConvShape shape; /* stride 1 or more */
  SfConvAlgo algo;   /* resolved: IM2COL, WINOGRAD or DIRECT */
  int pad;           /* (K - 1) / 2 */
  int out_h, out_w;  /* the output's size */
  /* Winograd F(m×m, K×K): tiles of alpha×alpha inputs give m×m outputs. */
  int m;             /* 2 or 4 for K = 3; 2, 3 or 4 for K = 5 */
  int alpha;         /* m + K - 1 */
  int tiles_h, tiles_w, tiles;
  gboolean fold;     /* the weight-gradient accumulator is [K², OC, C], folded per chunk (large layers; winograd.c) */
  float at[SF_WINOGRAD_MAX_M][SF_WINOGRAD_MAX_ALPHA];      /* Aᵀ [m, alpha] */
  float g[SF_WINOGRAD_MAX_ALPHA][SF_WINOGRAD_MAX_ALPHA];   /* G [alpha, K] */
  float bt[SF_WINOGRAD_MAX_ALPHA][SF_WINOGRAD_MAX_ALPHA];  /* Bᵀ [alpha, alpha] */
  /* G ⊗ G [alpha², K²]: U = G w Gᵀ for every kernel at once is one GEMM. */
  float gg[SF_WINOGRAD_MAX_ALPHA * SF_WINOGRAD_MAX_ALPHA * (SF_WINOGRAD_MAX_ALPHA - 1) * (SF_WINOGRAD_MAX_ALPHA - 1)];
} SfConv;

/* Reference twins (tests only): direct loops in double.
 * out[N,OC,Ho,Wo] = conv(inp[N,C,H,W], weight[OC,C,K,K]) + bias[OC] (bias may be NULL). */
void  sf_conv2d_forward_ref  (float *out, const float *inp, const float *weight, const float *bias, int N,
                              const SfConvShape *shape);
/* dweight[OC,C,K,K] += , dbias[OC] += (may be NULL); dinp[N,C,H,W] = (may be NULL). */
void  sf_conv2d_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                              const float *weight, int N, const SfConvShape *shape);

/* The output side of a side-long input at this stride (0 or 1: the same). */
int   sf_conv_out_side        (int side, int stride);

/* The fast path. In a chunk of n images the conv output y and its gradient
 * dy are laid out [OC, n, Ho*Wo] (channel-major, as GEMM writes them). */
void  sf_conv_init            (SfConv *conv, const SfConvShape *shape, SfConvAlgo algo);
/* Floats of scratch for a chunk of n images, per thread. */
gsize sf_conv_workspace_size  (const SfConv *conv, int n);
/* Floats of the weight transform (Winograd U [alpha², OC, C]; 0 for im2col). */
gsize sf_conv_cache_size      (const SfConv *conv);
/* Floats of a weight-gradient accumulator: [OC, C, K, K] or Winograd [alpha², OC, C]
 * (with fold: [K², OC, C] and the scratch of alpha [OC, C] planes after it). */
gsize sf_conv_dacc_size       (const SfConv *conv);
/* The part of those floats the kernels of the current precision write: the
 * rest need no clearing. */
gsize sf_conv_dacc_in_use     (const SfConv *conv);
/* cache = transform of weight[OC,C,K,K]; once per forward pass. */
void  sf_conv_prepare         (const SfConv *conv, float *cache, const float *weight);
/* y[OC, n, Ho*Wo] = conv(inp[n,C,H,W]) without bias. */
void  sf_conv_forward         (const SfConv *conv, float *y, const float *inp, int n, const float *weight,
                               const float *cache, float *workspace);
/* dacc += weight gradient of the chunk (in the accumulator's layout; zero it
 * whole before the first chunk: a folding layer keeps its scratch at zero);
 * dinp[n,C,H,W] = input gradient, unless dinp is NULL. dy[OC, n, Ho*Wo]. */
void  sf_conv_backward        (const SfConv *conv, float *dinp, float *dacc, const float *dy, const float *inp,
                               int n, const float *weight, const float *cache, float *workspace);
/* dweight[OC,C,K,K] += dacc brought back from the accumulator's layout. */
void  sf_conv_finish          (const SfConv *conv, float *dweight, const float *dacc);

/* The direct path only, with [n, OC, H, W] output and output gradient: the
 * bias is added in the same pass, and its gradient (dbias, if not NULL)
 * accumulated; no layout change between the layers. */
void  sf_conv_forward_nchw    (const SfConv *conv, float *out, const float *inp, int n, const float *bias,
                               const float *cache);
void  sf_conv_backward_nchw   (const SfConv *conv, float *dinp, float *dacc, float *dbias, const float *dout,
                               const float *inp, int n, const float *cache);

/* Multiply-adds of the direct convolution per image, and those the chosen
 * lowering does in GEMMs (forward). */
double sf_conv_macs           (const SfConvShape *shape);
double sf_conv_gemm_macs      (const SfConv *conv);

G_END_DECLS
