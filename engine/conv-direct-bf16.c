/* The direct 3×3 convolution in bf16: VDPBF16PS multiplies two pairs of bf16
 * and adds both products to an fp32 sum, twice the multiply-adds of an fp32
 * FMA per instruction. The forward pass and the input gradient pair channels
 * (an image's planes are first rounded into a per-thread copy, two channels
 * interleaved per dword); the weight gradient pairs neighbouring pixels. See
 * conv-direct-bf16.h. */
#include "conv-direct-bf16.h"

#include <string.h>

#include "gemm.h"

/* As gemm.c's bf16 product: GCC on x86-64, AVX-512 paths built. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SF_NO_CLONES) \
  && !defined(SF_NO_AVX512)
#define HAVE_BF16 1
#include <immintrin.h>
#define BF16_TARGET __attribute__ ((optimize ("O3", "unroll-loops"), target ("avx512f,avx512bw,avx512vl,avx512bf16")))
#endif

#define LANES 16
#define UNROLL _Pragma ("GCC unroll 16")

gboolean
sf_conv_direct_bf16_available (void)
{
#ifdef HAVE_BF16
  return sf_gemm_cpu_has_bf16 ();
#else
  return FALSE;
#endif
}

gsize
sf_conv_direct_bf16_cache_words (int OC, int C)
{
  return (gsize) 9 * ((gsize) OC * ((C + 1) / 2) + (gsize) C * ((OC + 1) / 2));
}

const guint32 *
sf_conv_direct_bf16_flipped (const guint32 *cache, int OC, int C)
{
  return cache + (gsize) 9 * OC * ((C + 1) / 2);
}

/* bf16 of x, to nearest with ties to even, as VCVTNEPS2BF16 rounds (but for
 * subnormals, which it flushes and the weights hardly have). */
static guint32
bf16_bits (float x)
{
  union { float f; guint32 u; } v = { x };
  if ((v.u & 0x7fffffffu) > 0x7f800000u)
    return (v.u >> 16) | 0x40;  /* NaN stays NaN */
  return (v.u + 0x7fffu + ((v.u >> 16) & 1)) >> 16;
}

void
sf_conv_direct_bf16_prepare (guint32 *cache, const float *weight, int OC, int C)
{
  /* pairs[c/2, tap, o] for the forward pass; flipped[o/2, 8 - tap, c] for the
   * input gradient, the pass over dy with the roles of C and OC swapped. */
  guint32 *pairs = cache, *flipped = cache + (gsize) 9 * OC * ((C + 1) / 2);
  memset (cache, 0, sizeof (guint32) * sf_conv_direct_bf16_cache_words (OC, C));
  for (int o = 0; o < OC; o++)
    for (int c = 0; c < C; c++)
      for (int t = 0; t < 9; t++)
        {
          guint32 w = bf16_bits (weight[((gsize) o * C + c) * 9 + t]);
          pairs[((gsize) (c / 2) * 9 + t) * OC + o] |= w << (16 * (c % 2));
          flipped[((gsize) (o / 2) * 9 + (8 - t)) * C + c] |= w << (16 * (o % 2));
        }
}

#ifdef HAVE_BF16

/* A thread's copy of the planes it rounds: the engine runs passes on many
 * threads side by side. */
typedef struct {
  gpointer data;
  gsize size;
  /* The small pass's masks, for planes of plane_h × plane_w (plane_masks). */
  __mmask16 *plane_masks;
  int plane_h, plane_w;
} Scratch;

static void
scratch_free (gpointer data)
{
  Scratch *scratch = data;
  g_aligned_free (scratch->data);
  g_free (scratch->plane_masks);
  g_free (scratch);
}

static GPrivate scratch_key = G_PRIVATE_INIT (scratch_free);

static Scratch *
thread_scratch (void)
{
  Scratch *s = g_private_get (&scratch_key);
  if (s == NULL)
    {
      s = g_new0 (Scratch, 1);
      g_private_set (&scratch_key, s);
    }
  return s;
}

static gpointer
scratch (gsize bytes)
{
  Scratch *s = thread_scratch ();
  if (s->size < bytes)
    {
      g_aligned_free (s->data);
      s->data = g_aligned_alloc (bytes, 1, 64);
      s->size = bytes;
    }
  return s->data;
}

/* 16 dwords: bf16 of lo in the low halves, of hi in the high. */
BF16_TARGET static inline __m512i
pair_up (__m512 lo, __m512 hi)
{
  __m512i l = _mm512_cvtepu16_epi32 ((__m256i) _mm512_cvtneps_pbh (lo));
  __m512i h = _mm512_cvtepu16_epi32 ((__m256i) _mm512_cvtneps_pbh (hi));
  return _mm512_or_si512 (l, _mm512_slli_epi32 (h, 16));
}

/* dst[c/2, pixel] = the pair of channels c and c + 1 of one image (the last
 * paired with zero when C is odd). */
BF16_TARGET static void
pair_channels (guint32 *dst, const float *img, gsize channel, int C, gsize hw)
{
  for (int c = 0; c < C; c += 2, dst += hw)
    {
      const float *lo = img + c * channel, *hi = c + 1 < C ? lo + channel : NULL;
      for (gsize i = 0; i < hw; i += LANES)
        {
          __m512 h = hi != NULL ? _mm512_loadu_ps (hi + i) : _mm512_setzero_ps ();
          _mm512_store_si512 (dst + i, pair_up (_mm512_loadu_ps (lo + i), h));
        }
    }
}

/* out[o0 .. o0+OB, row y, vectors v0 .. v0+XB) of one image from its paired
 * planes: conv-direct.c's row kernel with a dword (two channels) per lane. */
#define DEFINE_ROW_KERNEL(OB, XB)                                                                                   \
  BF16_TARGET static void row_kernel_##OB##x##XB (const Pass *p, const guint32 *pairs, int img, int o0, int y,      \
                                                  int v0)                                                           \
  {                                                                                                                 \
    __m512 acc[OB][XB];                                                                                             \
    __mmask16 left[XB], right[XB];                                                                                  \
    int last = p->W / LANES - 1;                                                                                    \
    gsize hw = (gsize) p->H * p->W;                                                                                 \
    UNROLL for (int v = 0; v < XB; v++)                                                                             \
      {                                                                                                             \
        left[v] = v0 + v == 0 ? 0xfffe : 0xffff;                                                                    \
        right[v] = v0 + v == last ? 0x7fff : 0xffff;                                                                \
        UNROLL for (int o = 0; o < OB; o++)                                                                         \
          acc[o][v] = p->bias != NULL ? _mm512_set1_ps (p->bias[o0 + o]) : _mm512_setzero_ps ();                    \
      }                                                                                                             \
    int ky0 = y == 0 ? 1 : 0, ky1 = y == p->H - 1 ? 2 : 3;                                                          \
    for (int c = 0; c < p->ICP; c++)                                                                                \
      {                                                                                                             \
        const guint32 *plane = pairs + c * hw;                                                                      \
        const guint32 *wc = p->wt + (gsize) c * 9 * p->OC + o0;                                                     \
        for (int ky = ky0; ky < ky1; ky++)                                                                          \
          {                                                                                                         \
            const guint32 *row = plane + (gsize) (y + ky - 1) * p->W + v0 * LANES;                                  \
            __m512i in[3][XB];                                                                                      \
            UNROLL for (int v = 0; v < XB; v++)                                                                     \
              {                                                                                                     \
                in[0][v] = _mm512_maskz_loadu_epi32 (left[v], row + v * LANES - 1);                                 \
                in[1][v] = _mm512_loadu_si512 (row + v * LANES);                                                    \
                in[2][v] = _mm512_maskz_loadu_epi32 (right[v], row + v * LANES + 1);                                \
              }                                                                                                     \
            UNROLL for (int kx = 0; kx < 3; kx++)                                                                   \
              {                                                                                                     \
                const guint32 *wk = wc + (gsize) (ky * 3 + kx) * p->OC;                                             \
                UNROLL for (int o = 0; o < OB; o++)                                                                 \
                  {                                                                                                 \
                    __m512bh w = (__m512bh) _mm512_set1_epi32 ((int) wk[o]);                                        \
                    UNROLL for (int v = 0; v < XB; v++)                                                             \
                      acc[o][v] = _mm512_dpbf16_ps (acc[o][v], w, (__m512bh) in[kx][v]);                            \
                  }                                                                                                 \
              }                                                                                                     \
          }                                                                                                         \
      }                                                                                                             \
    UNROLL for (int o = 0; o < OB; o++)                                                                             \
      {                                                                                                             \
        float *dst = p->out + (o0 + o) * p->out_at.channel + img * p->out_at.image + (gsize) y * p->W              \
                     + v0 * LANES;                                                                                  \
        UNROLL for (int v = 0; v < XB; v++)                                                                         \
          _mm512_storeu_ps (dst + v * LANES, acc[o][v]);                                                            \
      }                                                                                                             \
  }

typedef struct {
  float *out;
  SfPlaneStrides out_at;
  const guint32 *wt;   /* [ICP, 9, OC] pairs */
  const float *bias;
  int ICP, OC, H, W;   /* ICP: channel pairs */
} Pass;

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

typedef void (*RowKernel) (const Pass *p, const guint32 *pairs, int img, int o0, int y, int v0);

static const RowKernel row_kernels[3][5] = {
  { row_kernel_1x1, row_kernel_2x1, row_kernel_4x1, row_kernel_8x1, row_kernel_16x1 },
  { row_kernel_1x2, row_kernel_2x2, row_kernel_4x2, row_kernel_8x2, NULL },
  { row_kernel_1x4, row_kernel_2x4, row_kernel_4x4, NULL, NULL },
};

static void
run_pass (const Pass *p, const float *in, SfPlaneStrides in_at, int IC, int n)
{
  gsize hw = (gsize) p->H * p->W;
  guint32 *pairs = scratch (sizeof (guint32) * p->ICP * hw);
  int vectors = p->W / LANES;
  for (int img = 0; img < n; img++)
    {
      pair_channels (pairs, in + img * in_at.image, in_at.channel, IC, hw);
      for (int v0 = 0; v0 < vectors;)
        {
          int xi = vectors - v0 >= 4 ? 2 : vectors - v0 >= 2 ? 1 : 0;
          for (int o0 = 0; o0 < p->OC;)
            {
              int oi = 4 - xi;
              while ((1 << oi) > p->OC - o0 || row_kernels[xi][oi] == NULL)
                oi--;
              for (int y = 0; y < p->H; y++)
                row_kernels[xi][oi] (p, pairs, img, o0, y, v0);
              o0 += 1 << oi;
            }
          v0 += 1 << xi;
        }
    }
}

/* Out[o0 .. o0+OB] at vectors v0 .. v0+XB of a chunk's planes, for planes
 * narrower than 16 (8×8, 4×4: a vector holds several rows, or a whole
 * plane): vector v is pixels 16·(v mod per_image) … of image v / per_image,
 * and masks (plane_masks) zero the lanes whose shifted pixel lies outside
 * its plane. Consecutive vectors may be different images: a block still
 * shares each weight among XB vectors. */
#define DEFINE_VEC_KERNEL(OB, XB)                                                                                   \
  BF16_TARGET static void vec_kernel_##OB##x##XB (const Pass *p, const guint32 *pairs, const __mmask16 *masks,      \
                                                  int o0, int v0)                                                   \
  {                                                                                                                 \
    gsize hw = (gsize) p->H * p->W;                                                                                 \
    int per_image = (int) (hw / LANES);                                                                             \
    const guint32 *base[XB];                                                                                        \
    const __mmask16 *m[XB];                                                                                         \
    float *dst[XB];                                                                                                 \
    __m512 acc[OB][XB];                                                                                             \
    UNROLL for (int v = 0; v < XB; v++)                                                                             \
      {                                                                                                             \
        int img = (v0 + v) / per_image, q = (v0 + v) % per_image;                                                  \
        base[v] = pairs + (gsize) img * p->ICP * hw + q * LANES;                                                    \
        m[v] = masks + q * 9;                                                                                       \
        dst[v] = p->out + img * p->out_at.image + q * LANES;                                                        \
        UNROLL for (int o = 0; o < OB; o++)                                                                         \
          acc[o][v] = p->bias != NULL ? _mm512_set1_ps (p->bias[o0 + o]) : _mm512_setzero_ps ();                    \
      }                                                                                                             \
    for (int c = 0; c < p->ICP; c++)                                                                                \
      {                                                                                                             \
        const guint32 *wc = p->wt + (gsize) c * 9 * p->OC + o0;                                                     \
        UNROLL for (int t = 0; t < 9; t++)                                                                          \
          {                                                                                                         \
            __m512i x[XB];                                                                                          \
            UNROLL for (int v = 0; v < XB; v++)                                                                     \
              {                                                                                                     \
                const guint32 *at = base[v] + c * hw + (t / 3 - 1) * p->W + (t % 3 - 1);                           \
                x[v] = t == 4 ? _mm512_loadu_si512 (at) : _mm512_maskz_loadu_epi32 (m[v][t], at);                  \
              }                                                                                                     \
            UNROLL for (int o = 0; o < OB; o++)                                                                     \
              {                                                                                                     \
                __m512bh w = (__m512bh) _mm512_set1_epi32 ((int) wc[t * p->OC + o]);                                \
                UNROLL for (int v = 0; v < XB; v++)                                                                 \
                  acc[o][v] = _mm512_dpbf16_ps (acc[o][v], w, (__m512bh) x[v]);                                     \
              }                                                                                                     \
          }                                                                                                         \
      }                                                                                                             \
    UNROLL for (int o = 0; o < OB; o++)                                                                             \
      UNROLL for (int v = 0; v < XB; v++)                                                                           \
        _mm512_storeu_ps (dst[v] + (o0 + o) * p->out_at.channel, acc[o][v]);                                       \
  }

DEFINE_VEC_KERNEL (16, 1)
DEFINE_VEC_KERNEL (8, 1)
DEFINE_VEC_KERNEL (4, 1)
DEFINE_VEC_KERNEL (2, 1)
DEFINE_VEC_KERNEL (1, 1)
DEFINE_VEC_KERNEL (8, 2)
DEFINE_VEC_KERNEL (4, 2)
DEFINE_VEC_KERNEL (2, 2)
DEFINE_VEC_KERNEL (1, 2)
DEFINE_VEC_KERNEL (4, 4)
DEFINE_VEC_KERNEL (2, 4)
DEFINE_VEC_KERNEL (1, 4)

typedef void (*VecKernel) (const Pass *p, const guint32 *pairs, const __mmask16 *masks, int o0, int v0);

static const VecKernel vec_kernels[3][5] = {
  { vec_kernel_1x1, vec_kernel_2x1, vec_kernel_4x1, vec_kernel_8x1, vec_kernel_16x1 },
  { vec_kernel_1x2, vec_kernel_2x2, vec_kernel_4x2, vec_kernel_8x2, NULL },
  { vec_kernel_1x4, vec_kernel_2x4, vec_kernel_4x4, NULL, NULL },
};

/* The small pass's masks: for each vector of 16 pixels of an H × W plane
 * and each tap, the lanes whose shifted pixel lies inside the plane. Kept
 * per thread for the next call of the same shape. */
static const __mmask16 *
plane_masks (int H, int W)
{
  Scratch *s = thread_scratch ();
  if (s->plane_masks == NULL || s->plane_h != H || s->plane_w != W)
    {
      gsize vectors = (gsize) H * W / LANES;
      g_free (s->plane_masks);
      s->plane_masks = g_new (__mmask16, 9 * vectors);
      s->plane_h = H, s->plane_w = W;
      for (gsize v = 0; v < vectors; v++)
        for (int t = 0; t < 9; t++)
          {
            int dy = t / 3 - 1, dx = t % 3 - 1;
            unsigned int m = 0;
            for (int lane = 0; lane < LANES; lane++)
              {
                int y = (int) ((v * LANES + lane) / W) + dy, x = (int) ((v * LANES + lane) % W) + dx;
                if (y >= 0 && y < H && x >= 0 && x < W)
                  m |= 1u << lane;
              }
            s->plane_masks[v * 9 + t] = (__mmask16) m;
          }
    }
  return s->plane_masks;
}

static void
run_small_pass (const Pass *p, const float *in, SfPlaneStrides in_at, int IC, int n)
{
  gsize hw = (gsize) p->H * p->W;
  int per_image = (int) (hw / LANES), vectors = n * per_image;
  guint32 *pairs = scratch (sizeof (guint32) * (gsize) n * p->ICP * hw);
  const __mmask16 *masks = plane_masks (p->H, p->W);
  for (int img = 0; img < n; img++)
    pair_channels (pairs + (gsize) img * p->ICP * hw, in + img * in_at.image, in_at.channel, IC, hw);
  for (int v0 = 0; v0 < vectors;)
    {
      int xi = vectors - v0 >= 4 ? 2 : vectors - v0 >= 2 ? 1 : 0;
      for (int o0 = 0; o0 < p->OC;)
        {
          int oi = 4 - xi;
          while ((1 << oi) > p->OC - o0 || vec_kernels[xi][oi] == NULL)
            oi--;
          vec_kernels[xi][oi] (p, pairs, masks, o0, v0);
          o0 += 1 << oi;
        }
      v0 += 1 << xi;
    }
}

/* dW[o, c, tap] for OB blocks of 16 output channels from ob0 and input
 * channel c, over a chunk's pixels two at a time: a lane is an output
 * channel, its pair two neighbouring pixels of dy (dy_pairs[ob, pair, 16]),
 * against the same two pixels of the input shifted by the tap, broadcast from
 * a copy with a zero border (padded[c, image, H + 2, W + 2]). The sums add
 * into dacc[OC, C, 3, 3], one per weight. */
#define DEFINE_WEIGHT_KERNEL(OB)                                                                                    \
  BF16_TARGET static void weight_kernel_##OB (float *dacc, const guint32 *dy_pairs, gsize pairs_per_block,         \
                                              const guint16 *padded, int n, int C, int OC, int H, int W, int ob0,  \
                                              int c)                                                                \
  {                                                                                                                 \
    __m512 acc[OB][9];                                                                                              \
    UNROLL for (int b = 0; b < OB; b++)                                                                             \
      UNROLL for (int t = 0; t < 9; t++)                                                                            \
        acc[b][t] = _mm512_setzero_ps ();                                                                           \
    int PW = W + 2;                                                                                                 \
    gsize padded_plane = (gsize) (H + 2) * PW;                                                                      \
    const guint32 *d0 = dy_pairs + ob0 * pairs_per_block * LANES;                                                   \
    for (int img = 0; img < n; img++)                                                                               \
      {                                                                                                             \
        const guint16 *plane = padded + ((gsize) c * n + img) * padded_plane + PW + 1;                             \
        for (int y = 0; y < H; y++)                                                                                 \
          for (int x = 0; x < W; x += 2, d0 += LANES)                                                               \
            {                                                                                                       \
              __m512bh d[OB];                                                                                       \
              UNROLL for (int b = 0; b < OB; b++)                                                                   \
                d[b] = (__m512bh) _mm512_load_si512 (d0 + b * pairs_per_block * LANES);                             \
              const guint16 *at = plane + y * PW + x;                                                               \
              UNROLL for (int t = 0; t < 9; t++)                                                                    \
                {                                                                                                   \
                  guint32 pair;                                                                                     \
                  memcpy (&pair, at + (t / 3 - 1) * PW + (t % 3 - 1), sizeof pair);                                 \
                  __m512bh xv = (__m512bh) _mm512_set1_epi32 ((int) pair);                                          \
                  UNROLL for (int b = 0; b < OB; b++)                                                               \
                    acc[b][t] = _mm512_dpbf16_ps (acc[b][t], d[b], xv);                                             \
                }                                                                                                   \
            }                                                                                                       \
      }                                                                                                             \
    UNROLL for (int b = 0; b < OB; b++)                                                                             \
      UNROLL for (int t = 0; t < 9; t++)                                                                            \
        {                                                                                                           \
          float sums[LANES];                                                                                        \
          _mm512_storeu_ps (sums, acc[b][t]);                                                                       \
          for (int j = 0; j < LANES; j++)                                                                           \
            {                                                                                                       \
              int o = (ob0 + b) * LANES + j;                                                                        \
              if (o < OC)                                                                                           \
                dacc[((gsize) o * C + c) * 9 + t] += sums[j];                                             \
            }                                                                                                       \
        }                                                                                                           \
  }

DEFINE_WEIGHT_KERNEL (3)
DEFINE_WEIGHT_KERNEL (2)
DEFINE_WEIGHT_KERNEL (1)

/* dst = the w floats of src in bf16 (masked: any w up to 16 a step). */
BF16_TARGET static void
round_row (guint16 *dst, const float *src, int w)
{
  for (int x = 0; x < w; x += LANES)
    {
      __mmask16 mask = w - x >= LANES ? 0xffff : (__mmask16) ((1u << (w - x)) - 1);
      __m256i r = (__m256i) _mm512_cvtneps_pbh (_mm512_maskz_loadu_ps (mask, src + x));
      _mm256_mask_storeu_epi16 (dst + x, mask, r);
    }
}

void
sf_conv_direct_bf16_pass (float *out, SfPlaneStrides out_at, const float *bias, const float *in,
                          SfPlaneStrides in_at, const guint32 *wt, int IC, int OC, int H, int W, int n)
{
  g_return_if_fail (sf_conv_direct_bf16_available () && ((gsize) H * W) % LANES == 0);
  Pass p = { out, out_at, wt, bias, (IC + 1) / 2, OC, H, W };
  if (W % LANES == 0)
    run_pass (&p, in, in_at, IC, n);
  else
    run_small_pass (&p, in, in_at, IC, n);
}

/* Images per call of the weight kernels: enough pixel pairs (512) that its
 * sums, added into dacc once a call, cost little, and no more, so that the
 * rounded copies stay small (70 KB for a 32×32 layer of 16 channels). */
#define WEIGHT_PIXELS 1024

void
sf_conv_direct_bf16_weights (float *dacc, const float *dy, SfPlaneStrides dy_at, const float *inp, int n, int C,
                             int OC, int H, int W)
{
  g_return_if_fail (sf_conv_direct_bf16_available () && ((gsize) H * W) % LANES == 0);
  gsize hw = (gsize) H * W;
  int group = (int) CLAMP ((WEIGHT_PIXELS + hw - 1) / hw, 1, (gsize) n);
  int blocks = (OC + LANES - 1) / LANES, PW = W + 2;
  gsize padded_plane = (gsize) (H + 2) * PW, most_pairs = (gsize) group * hw / 2;
  gsize pairs_bytes = sizeof (guint32) * LANES * most_pairs * blocks;
  guint8 *buffer = scratch (pairs_bytes + sizeof (guint16) * padded_plane * group * C);
  guint32 *dy_pairs = (guint32 *) buffer;
  guint16 *padded = (guint16 *) (buffer + pairs_bytes);
  for (int i0 = 0; i0 < n; i0 += group)
    {
      int m = MIN (group, n - i0);
      gsize pairs_per_block = (gsize) m * hw / 2;
      for (int b = 0; b < blocks; b++)
        for (int img = 0; img < m; img++)
          sf_gemm_pack_pairs (dy_pairs + ((gsize) b * pairs_per_block + img * hw / 2) * LANES, LANES,
                              dy + (gsize) b * LANES * dy_at.channel + (i0 + img) * dy_at.image, dy_at.channel,
                              (int) hw, MIN (LANES, OC - b * LANES));
      memset (padded, 0, sizeof (guint16) * padded_plane * m * C);
      for (int c = 0; c < C; c++)
        for (int img = 0; img < m; img++)
          {
            guint16 *plane = padded + ((gsize) c * m + img) * padded_plane + PW + 1;
            const float *src = inp + ((gsize) (i0 + img) * C + c) * hw;
            for (int y = 0; y < H; y++)
              round_row (plane + y * PW, src + (gsize) y * W, W);
          }
      for (int c = 0; c < C; c++)
        {
          int b = 0;
          for (; b + 3 <= blocks; b += 3)
            weight_kernel_3 (dacc, dy_pairs, pairs_per_block, padded, m, C, OC, H, W, b, c);
          if (blocks - b == 2)
            weight_kernel_2 (dacc, dy_pairs, pairs_per_block, padded, m, C, OC, H, W, b, c);
          else if (blocks - b == 1)
            weight_kernel_1 (dacc, dy_pairs, pairs_per_block, padded, m, C, OC, H, W, b, c);
        }
    }
}

#else

void
sf_conv_direct_bf16_pass (float *out, SfPlaneStrides out_at, const float *bias, const float *in,
                          SfPlaneStrides in_at, const guint32 *wt, int IC, int OC, int H, int W, int n)
{
  (void) out, (void) out_at, (void) bias, (void) in, (void) in_at, (void) wt, (void) IC, (void) OC, (void) H;
  (void) W, (void) n;
  g_return_if_reached ();
}

void
sf_conv_direct_bf16_weights (float *dacc, const float *dy, SfPlaneStrides dy_at, const float *inp, int n, int C,
                             int OC, int H, int W)
{
  (void) dacc, (void) dy, (void) dy_at, (void) inp, (void) n, (void) C, (void) OC, (void) H, (void) W;
  g_return_if_reached ();
}

#endif
