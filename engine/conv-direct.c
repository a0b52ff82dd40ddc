/* Direct 3×3 convolution with AVX-512 for planes whose width is a multiple of
 * 16: the few-channel layers near the input, where im2col's GEMMs are too
 * thin to run near the machine's limit and Winograd's transforms cost more
 * than they save. See conv-direct.h. */
#include "conv-direct.h"

#include <string.h>

/* SF_NO_AVX512 (meson option avx512=false) leaves the kernels out: every
 * layer then takes conv.c's other lowerings (simd.h). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SF_NO_AVX512)
#include <immintrin.h>
#define HAVE_DIRECT 1
#define DIRECT_TARGET __attribute__ ((optimize ("O3", "unroll-loops"), target ("avx512f")))
#endif

#define LANES 16
/* Loops over registers must unroll completely, or the accumulators live on the stack. */
#define UNROLL _Pragma ("GCC unroll 16")

gboolean
sf_conv_direct_supported (int K, int W)
{
#ifdef HAVE_DIRECT
  return K == 3 && W >= LANES && W % LANES == 0 && __builtin_cpu_supports ("avx512f");
#else
  (void) K;
  (void) W;
  return FALSE;
#endif
}

void
sf_conv_direct_prepare (float *wt, float *wt_flipped, const float *weight, int OC, int C)
{
  /* wt[c, tap, o] for the forward pass and wt_flipped[o, tap, c] with the
   * taps reversed for the input gradient: the kernels broadcast one weight
   * after another along the contiguous last index. */
  for (int o = 0; o < OC; o++)
    for (int c = 0; c < C; c++)
      UNROLL for (int t = 0; t < 9; t++)
        {
          float w = weight[((gsize) o * C + c) * 9 + t];
          wt[((gsize) c * 9 + t) * OC + o] = w;
          wt_flipped[((gsize) o * 9 + (8 - t)) * C + c] = w;
        }
}

void
sf_conv_direct_finish (float *dweight, const float *dacc, int OC, int C)
{
  for (gsize w = 0; w < (gsize) OC * C * 9; w++)
    {
      float sum = 0;
      for (int lane = 0; lane < LANES; lane++)
        sum += dacc[w * LANES + lane];
      dweight[w] += sum;
    }
}

#ifdef HAVE_DIRECT

/* Where the planes of one pass live: channel c of image i starts at
 * base + c·channel_stride + i·image_stride. */
typedef struct {
  const float *in;
  SfPlaneStrides in_at;
  float *out;
  SfPlaneStrides out_at;
  const float *wt;     /* [IC, 9, OC] */
  const float *bias;   /* [OC] or NULL */
  int IC, OC, H, W;
} Pass;

/* Out[o0 .. o0+OB, row y, vectors v0 .. v0+XB) of image img, every input
 * channel and tap summed in registers. The loads one to the left and one to
 * the right are masked at the plane's edges (masked-off lanes read nothing),
 * and the rows above and below the plane are skipped: same padding without a
 * padded copy. */
#define DEFINE_ROW_KERNEL(OB, XB)                                                                                   \
  DIRECT_TARGET static void row_kernel_##OB##x##XB (const Pass *p, int img, int o0, int y, int v0)                   \
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
run_pass (const Pass *p, int n)
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

void
sf_conv_direct_forward (float *y, SfPlaneStrides y_at, const float *bias, const float *inp, const float *wt, int n,
                        int C, int OC, int H, int W)
{
  gsize hw = (gsize) H * W;
  Pass p = { inp, { (gsize) C * hw, hw }, y, y_at, wt, bias, C, OC, H, W };
  run_pass (&p, n);
}

void
sf_conv_direct_backward_input (float *dinp, const float *dy, SfPlaneStrides dy_at, const float *wt_flipped, int n,
                               int C, int OC, int H, int W)
{
  gsize hw = (gsize) H * W;
  Pass p = { dy, dy_at, dinp, { (gsize) C * hw, hw }, wt_flipped, NULL, OC, C, H, W };
  run_pass (&p, n);
}

/* dacc[o0 .. o0+OB, c, 9, 16 lanes] += dy[o] times the input of channel c
 * shifted by each tap, over one image's pixels: nine accumulators per output
 * channel, kept as vectors (sf_conv_direct_finish adds the lanes) so that a
 * call costs no horizontal sums and the loop can go image by image, each
 * image's planes staying in cache for every channel pair. Two output rows a
 * step: they share two of the four input rows they read (a lone last row
 * reads a zero gradient for its partner). */
#define DEFINE_WEIGHT_KERNEL(OB)                                                                                    \
  DIRECT_TARGET static void weight_kernel_##OB (float *dacc, const float *dy, gsize dy_channel, const float *plane, \
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

/* Σ of one plane of hw floats, hw a multiple of 16. */
DIRECT_TARGET static double
plane_sum (const float *x, gsize hw)
{
  __m512 acc = _mm512_setzero_ps ();
  for (gsize i = 0; i < hw; i += LANES)
    acc = _mm512_add_ps (acc, _mm512_loadu_ps (x + i));
  return _mm512_reduce_add_ps (acc);
}

void
sf_conv_direct_backward_weight (float *dacc, float *dbias, const float *dy, SfPlaneStrides dy_at, const float *inp,
                                int n, int C, int OC, int H, int W)
{
  gsize hw = (gsize) H * W;
  for (int img = 0; img < n; img++)
    for (int c = 0; c < C; c++)
      {
        const float *g = dy + img * dy_at.image, *plane = inp + ((gsize) img * C + c) * hw;
        int o0 = 0;
        for (; o0 + 2 <= OC; o0 += 2)
          weight_kernel_2 (dacc, g + o0 * dy_at.channel, dy_at.channel, plane, C, H, W, o0, c);
        for (; o0 < OC; o0++)
          weight_kernel_1 (dacc, g + o0 * dy_at.channel, dy_at.channel, plane, C, H, W, o0, c);
      }
  if (dbias == NULL)
    return;
  for (int o = 0; o < OC; o++)
    {
      double sum = 0;
      for (int img = 0; img < n; img++)
        sum += plane_sum (dy + o * dy_at.channel + img * dy_at.image, hw);
      dbias[o] += (float) sum;
    }
}

#else

/* Never called: sf_conv_direct_supported() is FALSE here. */
void
sf_conv_direct_forward (G_GNUC_UNUSED float *y, G_GNUC_UNUSED SfPlaneStrides y_at, G_GNUC_UNUSED const float *bias,
                        G_GNUC_UNUSED const float *inp, G_GNUC_UNUSED const float *wt, G_GNUC_UNUSED int n,
                        G_GNUC_UNUSED int C, G_GNUC_UNUSED int OC, G_GNUC_UNUSED int H, G_GNUC_UNUSED int W)
{
  g_assert_not_reached ();
}

void
sf_conv_direct_backward_input (G_GNUC_UNUSED float *dinp, G_GNUC_UNUSED const float *dy,
                               G_GNUC_UNUSED SfPlaneStrides dy_at, G_GNUC_UNUSED const float *wt_flipped,
                               G_GNUC_UNUSED int n, G_GNUC_UNUSED int C, G_GNUC_UNUSED int OC, G_GNUC_UNUSED int H,
                               G_GNUC_UNUSED int W)
{
  g_assert_not_reached ();
}

void
sf_conv_direct_backward_weight (G_GNUC_UNUSED float *dacc, G_GNUC_UNUSED float *dbias, G_GNUC_UNUSED const float *dy,
                                G_GNUC_UNUSED SfPlaneStrides dy_at, G_GNUC_UNUSED const float *inp,
                                G_GNUC_UNUSED int n, G_GNUC_UNUSED int C, G_GNUC_UNUSED int OC, G_GNUC_UNUSED int H,
                                G_GNUC_UNUSED int W)
{
  g_assert_not_reached ();
}

#endif
