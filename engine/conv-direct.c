/* Direct 3×3 convolution with AVX-512 or AVX2+FMA for planes whose width is
 * a multiple of 16: the few-channel layers near the input, where im2col's
 * GEMMs are too thin to run near the machine's limit and Winograd's
 * transforms cost more than they save. See conv-direct.h. */
#include "conv-direct.h"

#include "conv-direct-bf16.h"
#include "gemm.h"

/* GCC on x86-64 only (the kernels use its target attributes). SF_NO_AVX512
 * (meson option avx512=false) leaves the AVX-512 kernels out (simd.h): the
 * AVX2 ones, for the CPUs without AVX-512, then run. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2 1
#define AVX2_TARGET __attribute__ ((optimize ("O3", "unroll-loops"), target ("avx2,fma")))
#ifndef SF_NO_AVX512
#define HAVE_AVX512 1
#define AVX512_TARGET __attribute__ ((optimize ("O3", "unroll-loops"), target ("avx512f")))
#endif
#endif

/* AVX-512's vector width, and the partial sums per weight in dacc (AVX2's
 * kernels fill the first 8 of them). */
#define LANES 16
#define AVX2_LANES 8
/* Loops over registers must unroll completely, or the accumulators live on the stack. */
#define UNROLL _Pragma ("GCC unroll 16")

/* Where the planes of one pass live: channel c of image i starts at
 * base + c·channel_stride + i·image_stride. */
typedef struct {
  const float *in;
  SfPlaneStrides in_at;
  float *out;
  SfPlaneStrides out_at;
  const float *wt;     /* [IC, 9, OC], for the AVX-512 kernels */
  const float *wt2;    /* [IC, OC, 9], for the AVX2 kernels */
  const float *bias;   /* [OC] or NULL */
  int IC, OC, H, W;
} Pass;

/* One instruction set's kernels. */
typedef struct {
  const char *name;
  /* The output planes of a pass over n images. */
  void (*pass) (const Pass *p, int n);
  /* dacc[o, c, 9, 16] += the weight gradient of one image's input channel c, every o. */
  void (*weights) (float *dacc, const float *dy, gsize dy_channel, const float *plane, int C, int OC, int H, int W,
                   int c);
  /* Σ of one plane of hw floats, hw a multiple of 16. */
  double (*plane_sum) (const float *x, gsize hw);
} Kernels;

static const Kernels *kernels (void);

static gint force_avx2;

void
sf_conv_direct_force_avx2 (gboolean force)
{
  g_atomic_int_set (&force_avx2, force ? 1 : 0);
}

const char *
sf_conv_direct_kernels (void)
{
  const Kernels *k = kernels ();
  return k != NULL ? k->name : NULL;
}

gboolean
sf_conv_direct_supported (int K, int W)
{
  return K == 3 && W >= LANES && W % LANES == 0 && kernels () != NULL;
}

gboolean
sf_conv_direct_small_supported (int K, int H, int W)
{
  return K == 3 && W % LANES != 0 && W % 2 == 0 && ((gsize) H * W) % LANES == 0 && kernels () != NULL
         && sf_conv_direct_bf16_available ();
}

gsize
sf_conv_direct_cache_size (int OC, int C)
{
  /* The bf16 pairs after the four fp32 layouts; a dword takes a float's place. */
  return 4 * (gsize) OC * C * 9 + sf_conv_direct_bf16_cache_words (OC, C);
}

void
sf_conv_direct_prepare (float *cache, const float *weight, int OC, int C)
{
  /* For the AVX-512 kernels wt[c, tap, o] for the forward pass and
   * wt_flipped[o, tap, c] with the taps reversed for the input gradient: they
   * broadcast one weight after another along the contiguous last index. For
   * the AVX2 ones wt2[c, o, tap] and wt2_flipped[o, c, tap] reversed: a block
   * of output channels reads its weights at fixed offsets from one pointer
   * per input channel, which spares the 16 general registers. */
  gsize size = (gsize) OC * C * 9;
  /* Each layout only where a pass reads it: in fp32 the bf16 pairs are left
   * untouched, as the fp32 layouts are where both passes run in bf16. */
  if (sf_conv_direct_bf16_runs (C) || sf_conv_direct_bf16_runs (OC))
    sf_conv_direct_bf16_prepare ((guint32 *) (cache + 4 * size), weight, OC, C);
  if (sf_conv_direct_bf16_runs (C) && sf_conv_direct_bf16_runs (OC))
    return;
  float *wt = cache, *wt_flipped = cache + size, *wt2 = cache + 2 * size, *wt2_flipped = cache + 3 * size;
  for (int o = 0; o < OC; o++)
    for (int c = 0; c < C; c++)
      UNROLL for (int t = 0; t < 9; t++)
        {
          float w = weight[((gsize) o * C + c) * 9 + t];
          wt[((gsize) c * 9 + t) * OC + o] = w;
          wt_flipped[((gsize) o * 9 + (8 - t)) * C + c] = w;
          wt2[((gsize) c * OC + o) * 9 + t] = w;
          wt2_flipped[((gsize) o * C + c) * 9 + (8 - t)] = w;
        }
}

int
sf_conv_direct_dacc_lanes (void)
{
  /* The bf16 weight gradient sums each weight in one lane of a register
   * (conv-direct-bf16.c); the fp32 kernels in a register of its own. */
  return sf_conv_direct_bf16_weights_run () ? 1 : LANES;
}

void
sf_conv_direct_finish (float *dweight, const float *dacc, int OC, int C)
{
  int lanes = sf_conv_direct_dacc_lanes ();
  for (gsize w = 0; w < (gsize) OC * C * 9; w++)
    {
      float sum = 0;
      for (int lane = 0; lane < lanes; lane++)
        sum += dacc[w * lanes + lane];
      dweight[w] += sum;
    }
}

#ifdef HAVE_AVX512

/* Out[o0 .. o0+OB, row y, vectors v0 .. v0+XB) of image img, every input
 * channel and tap summed in registers. The loads one to the left and one to
 * the right are masked at the plane's edges (masked-off lanes read nothing),
 * and the rows above and below the plane are skipped: same padding without a
 * padded copy. */
#define DEFINE_ROW_KERNEL(OB, XB)                                                                                   \
  AVX512_TARGET static void row_kernel_##OB##x##XB (const Pass *p, int img, int o0, int y, int v0)                   \
  {                                                                                                                 \
    __m512 acc[OB][XB];                                                                                             \
    __mmask16 left[XB], right[XB];                                                                                  \
    int last = p->W / LANES - 1;                                                                                    \
    UNROLL for (int v = 0; v < XB; v++)                                                                                    \
      {                                                                                                             \
        left[v] = v0 + v == 0 ? 0xfffe : 0xffff;                                                                    \
        right[v] = v0 + v == last ? 0x7fff : 0xffff;                                                                \
        UNROLL for (int o = 0; o < OB; o++)                                                                         \
          acc[o][v] = p->bias != NULL ? _mm512_set1_ps (p->bias[o0 + o]) : _mm512_setzero_ps ();                    \
      }                                                                                                             \
    int ky0 = y == 0 ? 1 : 0, ky1 = y == p->H - 1 ? 2 : 3;                                                          \
    for (int c = 0; c < p->IC; c++)                                                                                 \
      {                                                                                                             \
        const float *plane = p->in + c * p->in_at.channel + img * p->in_at.image;                                        \
        const float *wc = p->wt + (gsize) c * 9 * p->OC + o0;                                                       \
        for (int ky = ky0; ky < ky1; ky++)                                                                          \
          {                                                                                                         \
            const float *row = plane + (gsize) (y + ky - 1) * p->W + v0 * LANES;                                   \
            __m512 in[3][XB];                                                                                       \
            UNROLL for (int v = 0; v < XB; v++)                                                                            \
              {                                                                                                     \
                in[0][v] = _mm512_maskz_loadu_ps (left[v], row + v * LANES - 1);                                    \
                in[1][v] = _mm512_loadu_ps (row + v * LANES);                                                       \
                in[2][v] = _mm512_maskz_loadu_ps (right[v], row + v * LANES + 1);                                   \
              }                                                                                                     \
            UNROLL for (int kx = 0; kx < 3; kx++)                                                                          \
              {                                                                                                     \
                const float *wk = wc + (gsize) (ky * 3 + kx) * p->OC;                                               \
                UNROLL for (int o = 0; o < OB; o++)                                                                        \
                  {                                                                                                 \
                    __m512 w = _mm512_set1_ps (wk[o]);                                                              \
                    UNROLL for (int v = 0; v < XB; v++)                                                                    \
                      acc[o][v] = _mm512_fmadd_ps (w, in[kx][v], acc[o][v]);                                        \
                  }                                                                                                 \
              }                                                                                                     \
          }                                                                                                         \
      }                                                                                                             \
    UNROLL for (int o = 0; o < OB; o++)                                                                                    \
      {                                                                                                             \
        float *dst = p->out + (o0 + o) * p->out_at.channel + img * p->out_at.image + (gsize) y * p->W             \
                     + v0 * LANES;                                                                                  \
        UNROLL for (int v = 0; v < XB; v++)                                                                                \
          _mm512_storeu_ps (dst + v * LANES, acc[o][v]);                                                            \
      }                                                                                                             \
  }

/* OB·XB accumulators and 3·XB loaded inputs fit the 32 vector registers. */
DEFINE_ROW_KERNEL (16, 1)
DEFINE_ROW_KERNEL (8, 1)
DEFINE_ROW_KERNEL (4, 1)
DEFINE_ROW_KERNEL (2, 1)
DEFINE_ROW_KERNEL (1, 1)
DEFINE_ROW_KERNEL (8, 2)
DEFINE_ROW_KERNEL (4, 2)
DEFINE_ROW_KERNEL (2, 2)
DEFINE_ROW_KERNEL (1, 2)
DEFINE_ROW_KERNEL (4, 4)
DEFINE_ROW_KERNEL (2, 4)
DEFINE_ROW_KERNEL (1, 4)

typedef void (*RowKernel) (const Pass *p, int img, int o0, int y, int v0);

/* By vectors per row (1, 2, 4) and output channels (1, 2, 4, ...). */
static const RowKernel row_kernels[3][5] = {
  { row_kernel_1x1, row_kernel_2x1, row_kernel_4x1, row_kernel_8x1, row_kernel_16x1 },
  { row_kernel_1x2, row_kernel_2x2, row_kernel_4x2, row_kernel_8x2, NULL },
  { row_kernel_1x4, row_kernel_2x4, row_kernel_4x4, NULL, NULL },
};

static void
run_pass_avx512 (const Pass *p, int n)
{
  int vectors = p->W / LANES;
  for (int img = 0; img < n; img++)
    for (int v0 = 0; v0 < vectors;)
      {
        int xi = vectors - v0 >= 4 ? 2 : vectors - v0 >= 2 ? 1 : 0;
        for (int o0 = 0; o0 < p->OC;)
          {
            int oi = 4 - xi;
            while ((1 << oi) > p->OC - o0 || row_kernels[xi][oi] == NULL)
              oi--;
            for (int y = 0; y < p->H; y++)
              row_kernels[xi][oi] (p, img, o0, y, v0);
            o0 += 1 << oi;
          }
        v0 += 1 << xi;
      }
}

/* dacc[o0 .. o0+OB, c, 9, 16 lanes] += dy[o] times the input of channel c
 * shifted by each tap, over one image's pixels: nine accumulators per output
 * channel, kept as vectors (sf_conv_direct_finish adds the lanes) so that a
 * call costs no horizontal sums and the loop can go image by image, each
 * image's planes staying in cache for every channel pair. Two output rows a
 * step: they share two of the four input rows they read (a lone last row
 * reads a zero gradient for its partner). */
#define DEFINE_WEIGHT_KERNEL(OB)                                                                                    \
  AVX512_TARGET static void weight_kernel_##OB (float *dacc, const float *dy, gsize dy_channel, const float *plane, \
                                                int C, int H, int W, int o0, int c)                                 \
  {                                                                                                                 \
    __m512 acc[OB][9];                                                                                              \
    float *out[OB];                                                                                                 \
    UNROLL for (int o = 0; o < OB; o++)                                                                             \
      {                                                                                                             \
        out[o] = dacc + ((gsize) (o0 + o) * C + c) * 9 * LANES;                                                    \
        UNROLL for (int t = 0; t < 9; t++)                                                                          \
          acc[o][t] = _mm512_loadu_ps (out[o] + t * LANES);                                                        \
      }                                                                                                             \
    int vectors = W / LANES;                                                                                        \
    for (int y = 0; y < H; y += 2)                                                                                  \
      for (int v = 0; v < vectors; v++)                                                                             \
        {                                                                                                           \
          __m512 d[OB][2];                                                                                          \
          UNROLL for (int o = 0; o < OB; o++)                                                                       \
            {                                                                                                       \
              const float *g = dy + o * dy_channel + (gsize) y * W + v * LANES;                                    \
              d[o][0] = _mm512_loadu_ps (g);                                                                        \
              d[o][1] = y + 1 < H ? _mm512_loadu_ps (g + W) : _mm512_setzero_ps ();                                \
            }                                                                                                       \
          __mmask16 left = v == 0 ? 0xfffe : 0xffff, right = v == vectors - 1 ? 0x7fff : 0xffff;                   \
          UNROLL for (int i = 0; i < 4; i++)                                                                        \
            {                                                                                                       \
              int sy = y + i - 1;                                                                                   \
              if (sy < 0 || sy >= H)                                                                                \
                continue;                                                                                           \
              const float *row = plane + (gsize) sy * W + v * LANES;                                               \
              __m512 in[3] = { _mm512_maskz_loadu_ps (left, row - 1), _mm512_loadu_ps (row),                       \
                               _mm512_maskz_loadu_ps (right, row + 1) };                                            \
              UNROLL for (int kx = 0; kx < 3; kx++)                                                                 \
                UNROLL for (int o = 0; o < OB; o++)                                                                 \
                  {                                                                                                 \
                    if (i < 3)                                                                                      \
                      acc[o][i * 3 + kx] = _mm512_fmadd_ps (d[o][0], in[kx], acc[o][i * 3 + kx]);                   \
                    if (i > 0)                                                                                      \
                      acc[o][(i - 1) * 3 + kx] = _mm512_fmadd_ps (d[o][1], in[kx], acc[o][(i - 1) * 3 + kx]);       \
                  }                                                                                                 \
            }                                                                                                       \
        }                                                                                                           \
    UNROLL for (int o = 0; o < OB; o++)                                                                             \
      UNROLL for (int t = 0; t < 9; t++)                                                                            \
        _mm512_storeu_ps (out[o] + t * LANES, acc[o][t]);                                                          \
  }

DEFINE_WEIGHT_KERNEL (2)
DEFINE_WEIGHT_KERNEL (1)

static void
weights_avx512 (float *dacc, const float *dy, gsize dy_channel, const float *plane, int C, int OC, int H, int W, int c)
{
  int o0 = 0;
  for (; o0 + 2 <= OC; o0 += 2)
    weight_kernel_2 (dacc, dy + o0 * dy_channel, dy_channel, plane, C, H, W, o0, c);
  for (; o0 < OC; o0++)
    weight_kernel_1 (dacc, dy + o0 * dy_channel, dy_channel, plane, C, H, W, o0, c);
}

AVX512_TARGET static double
plane_sum_avx512 (const float *x, gsize hw)
{
  __m512 acc = _mm512_setzero_ps ();
  for (gsize i = 0; i < hw; i += LANES)
    acc = _mm512_add_ps (acc, _mm512_loadu_ps (x + i));
  return _mm512_reduce_add_ps (acc);
}

static const Kernels avx512_kernels = { "AVX-512", run_pass_avx512, weights_avx512, plane_sum_avx512 };

#endif

#ifdef HAVE_AVX2

/* The AVX-512 kernels' twins in 8 lanes and 16 registers, for the CPUs
 * without AVX-512: the same order of operations for each output, so the
 * forward pass and the input gradient give the AVX-512 kernels' bits. A
 * block is XB vectors of a row and OB output channels: two vectors and up to
 * 6 channels (12 accumulators, a tap's two inputs and a weight fill 15 of the
 * 16 registers), or four vectors where a pass has fewer than 4 channels, so
 * that there are still enough sums in flight. The loads one to the left of a
 * row's first vector and one to the right of its last are masked
 * (masked-off lanes read nothing). */
#define AVX2_BLOCK 6

/* acc[o][v] += the taps of one input row (kernel row ky) times its weights. */
#define TAP_ROW_AVX2(OB, XB, row, ky)                                                                               \
  UNROLL for (int kx = 0; kx < 3; kx++)                                                                             \
    {                                                                                                               \
      __m256 x[XB];                                                                                                 \
      UNROLL for (int v = 0; v < XB; v++)                                                                           \
        if (kx == 0 && v == 0)                                                                                      \
          x[v] = _mm256_maskload_ps (row - 1, left);                                                                \
        else if (kx == 2 && v == XB - 1)                                                                            \
          x[v] = _mm256_maskload_ps (row + v * AVX2_LANES + 1, right);                                              \
        else                                                                                                        \
          x[v] = _mm256_loadu_ps (row + v * AVX2_LANES + kx - 1);                                                   \
      UNROLL for (int o = 0; o < OB; o++)                                                                           \
        {                                                                                                           \
          __m256 w = _mm256_set1_ps (wt[o * 9 + (ky) * 3 + kx]);                                                    \
          UNROLL for (int v = 0; v < XB; v++)                                                                       \
            acc[o][v] = _mm256_fmadd_ps (w, x[v], acc[o][v]);                                                       \
        }                                                                                                           \
    }

/* out[o0 .. o0+OB, every row, vectors v0 .. v0+XB) of image img. Inside the
 * plane the three kernel rows run unrolled; the top and bottom rows leave
 * out the row outside. wt2's [IC, OC, 9] puts a block's weights of one input
 * channel at fixed offsets from one pointer. */
#define DEFINE_BLOCK_KERNEL_AVX2(OB, XB)                                                                            \
  AVX2_TARGET static void block2_kernel_##OB##x##XB (const Pass *p, int img, int o0, int v0)                        \
  {                                                                                                                 \
    __m256i all = _mm256_set1_epi32 (-1);                                                                           \
    __m256i left = v0 == 0 ? _mm256_setr_epi32 (0, -1, -1, -1, -1, -1, -1, -1) : all;                              \
    __m256i right = v0 + XB == p->W / AVX2_LANES ? _mm256_setr_epi32 (-1, -1, -1, -1, -1, -1, -1, 0) : all;        \
    gsize W = p->W, channel = p->in_at.channel, weights = (gsize) p->OC * 9;                                        \
    const float *in0 = p->in + img * p->in_at.image + v0 * AVX2_LANES;                                              \
    float *out0 = p->out + o0 * p->out_at.channel + img * p->out_at.image + v0 * AVX2_LANES;                        \
    for (int y = 0; y < p->H; y++)                                                                                  \
      {                                                                                                             \
        __m256 acc[OB][XB];                                                                                         \
        UNROLL for (int o = 0; o < OB; o++)                                                                         \
          UNROLL for (int v = 0; v < XB; v++)                                                                       \
            acc[o][v] = p->bias != NULL ? _mm256_set1_ps (p->bias[o0 + o]) : _mm256_setzero_ps ();                  \
        const float *in = in0 + y * W, *wt = p->wt2 + (gsize) o0 * 9;                                               \
        gboolean top = y == 0, bottom = y == p->H - 1;                                                              \
        if (!top && !bottom)                                                                                        \
          for (int c = 0; c < p->IC; c++, in += channel, wt += weights)                                             \
            {                                                                                                       \
              const float *above = in - W, *below = in + W;                                                         \
              TAP_ROW_AVX2 (OB, XB, above, 0);                                                                      \
              TAP_ROW_AVX2 (OB, XB, in, 1);                                                                         \
              TAP_ROW_AVX2 (OB, XB, below, 2);                                                                      \
            }                                                                                                       \
        else                                                                                                        \
          for (int c = 0; c < p->IC; c++, in += channel, wt += weights)                                             \
            {                                                                                                       \
              if (!top)                                                                                             \
                {                                                                                                   \
                  const float *above = in - W;                                                                      \
                  TAP_ROW_AVX2 (OB, XB, above, 0);                                                                  \
                }                                                                                                   \
              TAP_ROW_AVX2 (OB, XB, in, 1);                                                                         \
              if (!bottom)                                                                                          \
                {                                                                                                   \
                  const float *below = in + W;                                                                      \
                  TAP_ROW_AVX2 (OB, XB, below, 2);                                                                  \
                }                                                                                                   \
            }                                                                                                       \
        float *out = out0 + y * W;                                                                                  \
        UNROLL for (int o = 0; o < OB; o++)                                                                         \
          UNROLL for (int v = 0; v < XB; v++)                                                                       \
            _mm256_storeu_ps (out + o * p->out_at.channel + v * AVX2_LANES, acc[o][v]);                             \
      }                                                                                                             \
  }

DEFINE_BLOCK_KERNEL_AVX2 (1, 2)
DEFINE_BLOCK_KERNEL_AVX2 (2, 2)
DEFINE_BLOCK_KERNEL_AVX2 (3, 2)
DEFINE_BLOCK_KERNEL_AVX2 (4, 2)
DEFINE_BLOCK_KERNEL_AVX2 (5, 2)
DEFINE_BLOCK_KERNEL_AVX2 (6, 2)
DEFINE_BLOCK_KERNEL_AVX2 (1, 4)
DEFINE_BLOCK_KERNEL_AVX2 (2, 4)
DEFINE_BLOCK_KERNEL_AVX2 (3, 4)

typedef void (*BlockKernel) (const Pass *p, int img, int o0, int v0);

/* By output channels, for two vectors and for four. */
static const BlockKernel block_kernels[AVX2_BLOCK + 1] = {
  NULL, block2_kernel_1x2, block2_kernel_2x2, block2_kernel_3x2, block2_kernel_4x2, block2_kernel_5x2,
  block2_kernel_6x2,
};
static const BlockKernel wide_block_kernels[4] = { NULL, block2_kernel_1x4, block2_kernel_2x4, block2_kernel_3x4 };

static void
run_pass_avx2 (const Pass *p, int n)
{
  int vectors = p->W / AVX2_LANES;
  for (int img = 0; img < n; img++)
    for (int v0 = 0; v0 < vectors;)
      {
        if (p->OC < 4 && vectors - v0 >= 4)
          {
            wide_block_kernels[p->OC] (p, img, 0, v0);
            v0 += 4;
            continue;
          }
        for (int o0 = 0; o0 < p->OC; o0 += AVX2_BLOCK)
          block_kernels[MIN (AVX2_BLOCK, p->OC - o0)] (p, img, o0, v0);
        v0 += 2;
      }
}

/* dacc[o, c, 9, first 8 lanes] += dy[o] times the input of channel c shifted
 * by each tap, over one image's pixels, as weight_kernel_1 above: nine
 * accumulators, two output rows a step. */
AVX2_TARGET static void
weight2_kernel (float *dacc, const float *dy, const float *plane, int C, int H, int W, int o, int c)
{
  __m256 acc[9];
  float *out = dacc + ((gsize) o * C + c) * 9 * LANES;
  UNROLL for (int t = 0; t < 9; t++)
    acc[t] = _mm256_loadu_ps (out + t * LANES);
  int vectors = W / AVX2_LANES;
  __m256i all = _mm256_set1_epi32 (-1);
  __m256i left_edge = _mm256_setr_epi32 (0, -1, -1, -1, -1, -1, -1, -1);
  __m256i right_edge = _mm256_setr_epi32 (-1, -1, -1, -1, -1, -1, -1, 0);
  for (int y = 0; y < H; y += 2)
    for (int v = 0; v < vectors; v++)
      {
        const float *g = dy + (gsize) y * W + v * AVX2_LANES;
        __m256 d0 = _mm256_loadu_ps (g);
        __m256 d1 = y + 1 < H ? _mm256_loadu_ps (g + W) : _mm256_setzero_ps ();
        __m256i left = v == 0 ? left_edge : all, right = v == vectors - 1 ? right_edge : all;
        UNROLL for (int i = 0; i < 4; i++)
          {
            int sy = y + i - 1;
            if (sy < 0 || sy >= H)
              continue;
            const float *row = plane + (gsize) sy * W + v * AVX2_LANES;
            UNROLL for (int kx = 0; kx < 3; kx++)
              {
                __m256 in = kx == 0   ? _mm256_maskload_ps (row - 1, left)
                            : kx == 1 ? _mm256_loadu_ps (row)
                                      : _mm256_maskload_ps (row + 1, right);
                if (i < 3)
                  acc[i * 3 + kx] = _mm256_fmadd_ps (d0, in, acc[i * 3 + kx]);
                if (i > 0)
                  acc[(i - 1) * 3 + kx] = _mm256_fmadd_ps (d1, in, acc[(i - 1) * 3 + kx]);
              }
          }
      }
  UNROLL for (int t = 0; t < 9; t++)
    _mm256_storeu_ps (out + t * LANES, acc[t]);
}

static void
weights_avx2 (float *dacc, const float *dy, gsize dy_channel, const float *plane, int C, int OC, int H, int W, int c)
{
  for (int o = 0; o < OC; o++)
    weight2_kernel (dacc, dy + o * dy_channel, plane, C, H, W, o, c);
}

AVX2_TARGET static double
plane_sum_avx2 (const float *x, gsize hw)
{
  __m256 acc = _mm256_setzero_ps ();
  for (gsize i = 0; i < hw; i += AVX2_LANES)
    acc = _mm256_add_ps (acc, _mm256_loadu_ps (x + i));
  float lanes[AVX2_LANES];
  _mm256_storeu_ps (lanes, acc);
  double sum = 0;
  for (int lane = 0; lane < AVX2_LANES; lane++)
    sum += lanes[lane];
  return sum;
}

static const Kernels avx2_kernels = { "AVX2", run_pass_avx2, weights_avx2, plane_sum_avx2 };

#endif

/* Planes narrower than 16 (8×8, 4×4) have only bf16 kernels
 * (conv-direct-bf16.c): the plan gives them the direct path only where bf16
 * runs. Should the precision change after that, these plain loops keep the
 * results right, slowly. */
static void
run_pass_plain (const Pass *p, int n)
{
  int H = p->H, W = p->W;
  for (int img = 0; img < n; img++)
    for (int o = 0; o < p->OC; o++)
      {
        float *out = p->out + o * p->out_at.channel + img * p->out_at.image;
        for (int i = 0; i < H * W; i++)
          out[i] = p->bias != NULL ? p->bias[o] : 0.0f;
        for (int c = 0; c < p->IC; c++)
          {
            const float *plane = p->in + c * p->in_at.channel + img * p->in_at.image;
            for (int t = 0; t < 9; t++)
              {
                float w = p->wt[((gsize) c * 9 + t) * p->OC + o];
                int dy = t / 3 - 1, dx = t % 3 - 1;
                for (int y = MAX (0, -dy); y < MIN (H, H - dy); y++)
                  for (int x = MAX (0, -dx); x < MIN (W, W - dx); x++)
                    out[y * W + x] += w * plane[(y + dy) * W + x + dx];
              }
          }
      }
}

static void
weights_plain (float *dacc, const float *dy, gsize dy_channel, const float *plane, int C, int OC, int H, int W, int c)
{
  for (int o = 0; o < OC; o++)
    for (int t = 0; t < 9; t++)
      {
        int sy = t / 3 - 1, sx = t % 3 - 1;
        float sum = 0;
        for (int y = MAX (0, -sy); y < MIN (H, H - sy); y++)
          for (int x = MAX (0, -sx); x < MIN (W, W - sx); x++)
            sum += dy[o * dy_channel + y * W + x] * plane[(y + sy) * W + x + sx];
        dacc[(((gsize) o * C + c) * 9 + t) * LANES] += sum;
      }
}

/* The widest kernels this build and CPU have, or NULL. */
static const Kernels *
kernels (void)
{
#ifdef HAVE_AVX512
  if (__builtin_cpu_supports ("avx512f") && !g_atomic_int_get (&force_avx2))
    return &avx512_kernels;
#endif
#ifdef HAVE_AVX2
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return &avx2_kernels;
#endif
  return NULL;
}

gboolean
sf_conv_direct_bf16_weights_run (void)
{
  /* Pixels pair: any channel count gains. */
  return sf_conv_direct_bf16_runs (2);
}

gboolean
sf_conv_direct_bf16_runs (int C)
{
  /* One channel would pair with zero: half the multiplies wasted, no gain. */
#ifdef HAVE_AVX512
  return C >= 2 && kernels () == &avx512_kernels && sf_gemm_uses_bf16 () && sf_conv_direct_bf16_available ();
#else
  (void) C;
  return FALSE;
#endif
}

static void
run_pass (const Pass *p, int n)
{
  const Kernels *k = kernels ();
  g_return_if_fail (k != NULL);
  if (p->W % LANES != 0)
    run_pass_plain (p, n);
  else
    k->pass (p, n);
}

void
sf_conv_direct_forward (float *y, SfPlaneStrides y_at, const float *bias, const float *inp, const float *cache, int n,
                        int C, int OC, int H, int W)
{
  gsize hw = (gsize) H * W, size = (gsize) OC * C * 9;
  SfPlaneStrides inp_at = { (gsize) C * hw, hw };
  if (sf_conv_direct_bf16_runs (C))
    {
      sf_conv_direct_bf16_pass (y, y_at, bias, inp, inp_at, (const guint32 *) (cache + 4 * size), C, OC, H, W, n);
      return;
    }
  Pass p = { inp, inp_at, y, y_at, cache, cache + 2 * size, bias, C, OC, H, W };
  run_pass (&p, n);
}

void
sf_conv_direct_backward_input (float *dinp, const float *dy, SfPlaneStrides dy_at, const float *cache, int n, int C,
                               int OC, int H, int W)
{
  gsize hw = (gsize) H * W, size = (gsize) OC * C * 9;
  SfPlaneStrides dinp_at = { (gsize) C * hw, hw };
  if (sf_conv_direct_bf16_runs (OC))
    {
      const guint32 *flipped = sf_conv_direct_bf16_flipped ((const guint32 *) (cache + 4 * size), OC, C);
      sf_conv_direct_bf16_pass (dinp, dinp_at, NULL, dy, dy_at, flipped, OC, C, H, W, n);
      return;
    }
  Pass p = { dy, dy_at, dinp, dinp_at, cache + size, cache + 3 * size, NULL, OC, C, H, W };
  run_pass (&p, n);
}

void
sf_conv_direct_backward_weight_fp32 (float *dacc, const float *dy, SfPlaneStrides dy_at, const float *inp, int n, int C,
                                     int OC, int H, int W)
{
  const Kernels *k = kernels ();
  g_return_if_fail (k != NULL);
  gsize hw = (gsize) H * W;
  for (int img = 0; img < n; img++)
    for (int c = 0; c < C; c++)
      (W % LANES != 0 ? weights_plain : k->weights) (dacc, dy + img * dy_at.image, dy_at.channel,
                                                      inp + ((gsize) img * C + c) * hw, C, OC, H, W, c);
}

void
sf_conv_direct_backward_weight (float *dacc, float *dbias, const float *dy, SfPlaneStrides dy_at, const float *inp,
                                int n, int C, int OC, int H, int W)
{
  const Kernels *k = kernels ();
  g_return_if_fail (k != NULL);
  gsize hw = (gsize) H * W;
  if (sf_conv_direct_bf16_weights_run ())
    sf_conv_direct_bf16_weights (dacc, dy, dy_at, inp, n, C, OC, H, W);
  else
    sf_conv_direct_backward_weight_fp32 (dacc, dy, dy_at, inp, n, C, OC, H, W);
  if (dbias == NULL)
    return;
  for (int o = 0; o < OC; o++)
    {
      double sum = 0;
      for (int img = 0; img < n; img++)
        sum += k->plane_sum (dy + o * dy_at.channel + img * dy_at.image, hw);
      dbias[o] += (float) sum;
    }
}
