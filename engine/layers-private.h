/* What the layer files (layers.c, batchnorm.c) share, private to engine/:
 * the activations as inline code specialised by kind, and the max-pooling of
 * one plane, so that each file's loops inline them as before. */
#pragma once

#include <math.h>

#include "layers.h"
#include "pool2-avx2.h"
#include "pool2-avx512.h"
#include "simd.h"

/* The loops below are written once with the activation as a parameter and
 * expanded for each kind (WITH_ACT), so that each copy is a plain loop the
 * compiler can vectorise. */
#define SF_INLINE static inline __attribute__ ((always_inline))

SF_INLINE float
act_apply (float x, SfActKind kind, float param)
{
  switch (kind)
    {
    case SF_ACT_RELU:
      return x > 0 ? x : 0.0f;
    case SF_ACT_LEAKY_RELU:
      return x > 0 ? x : param * x;
    case SF_ACT_ELU:
      return x > 0 ? x : param * expm1f (x);
    case SF_ACT_NONE:
    default:
      return x;
    }
}

/* act'(x) from y = act(x): every activation here is monotone with y > 0 ⇔ x > 0. */
SF_INLINE float
act_slope (float y, SfActKind kind, float param)
{
  switch (kind)
    {
    case SF_ACT_RELU:
      return y > 0 ? 1.0f : 0.0f;
    case SF_ACT_LEAKY_RELU:
      return y > 0 ? 1.0f : param;
    case SF_ACT_ELU:
      return y > 0 ? 1.0f : y + param;
    case SF_ACT_NONE:
    default:
      return 1.0f;
    }
}

/* Runs STATEMENT with the constant K_ set to kind. */
#define WITH_ACT(kind, STATEMENT)                 \
  G_STMT_START                                    \
  {                                               \
    switch (kind)                                 \
      {                                           \
      case SF_ACT_RELU:                           \
        {                                         \
          const SfActKind K_ = SF_ACT_RELU;       \
          STATEMENT;                              \
        }                                         \
        break;                                    \
      case SF_ACT_LEAKY_RELU:                     \
        {                                         \
          const SfActKind K_ = SF_ACT_LEAKY_RELU; \
          STATEMENT;                              \
        }                                         \
        break;                                    \
      case SF_ACT_ELU:                            \
        {                                         \
          const SfActKind K_ = SF_ACT_ELU;        \
          STATEMENT;                              \
        }                                         \
        break;                                    \
      case SF_ACT_NONE:                           \
      default:                                    \
        {                                         \
          const SfActKind K_ = SF_ACT_NONE;       \
          STATEMENT;                              \
        }                                         \
        break;                                    \
      }                                           \
  }                                               \
  G_STMT_END

/* out[i] = act(in[i] · scale + shift) */
SF_INLINE void
affine_act_row (float *restrict out, const float *restrict in, gsize n, float scale, float shift, SfActKind kind,
                float param)
{
  for (gsize i = 0; i < n; i++)
    out[i] = act_apply (in[i] * scale + shift, kind, param);
}

/* dx[i] = dout[i] · act'(x) where out[i] = act(x) */
SF_INLINE void
slope_row (float *restrict dx, const float *restrict dout, const float *restrict out, gsize n, SfActKind kind,
           float param)
{
  for (gsize i = 0; i < n; i++)
    dx[i] = dout[i] * act_slope (out[i], kind, param);
}

/* Which kernels run 2×2 max-pooling with an activation of `kind`: the widest
 * the CPU has of pool2-avx512.c and pool2-avx2.c (ReLU or none only), else
 * the plain loops of this file and batchnorm.c. */
typedef enum {
  SF_POOL2_KERNELS_PLAIN,
  SF_POOL2_KERNELS_AVX2,
  SF_POOL2_KERNELS_AVX512,
} SfPool2Kernels;

SfPool2Kernels sf_pool2_kernels (SfActKind kind);
/* From now on, in the whole process, no wider kernels than `widest`: for
 * the tests, which compare every kind the CPU has against the plain loops. */
void           sf_pool2_limit_kernels (SfPool2Kernels widest);

/* One row of 2×2 windows of v = x·scale + shift: rows r0 and r1 of x, Wo windows. */
SF_INLINE void
pool2_row (float *restrict dst, guint8 *restrict arg, const float *restrict r0, const float *restrict r1, int Wo,
           float scale, float shift, SfActKind kind, float param)
{
  for (int ox = 0; ox < Wo; ox++)
    {
      float a = r0[2 * ox] * scale + shift, b = r0[2 * ox + 1] * scale + shift;
      float c = r1[2 * ox] * scale + shift, d = r1[2 * ox + 1] * scale + shift;
      /* The first of equal values wins, as the window is read row by row. The
       * argmax is computed without branches: a scalar tail with branches on
       * random data costs ten times more (measured). */
      int s01 = b > a, s23 = d > c;
      float m01 = b > a ? b : a, m23 = d > c ? d : c;
      int s = m23 > m01;
      float m = m23 > m01 ? m23 : m01;
      int k = (s01 & ~(-s)) | ((2 + s23) & -s);
      dst[ox] = act_apply (m, kind, param);
      arg[ox] = (guint8) k;
    }
}

/* dst[Ho, Wo] = maxpool_P(act(plane·scale + shift)) with the argmax of every window. */
SF_INLINE void
pool_plane (float *dst, guint8 *arg, const float *plane, int H, int W, int P, float scale, float shift, SfAct act)
{
  int Ho = H / P, Wo = W / P;
  if (P == 2)
    {
      switch (sf_pool2_kernels (act.kind))
        {
#if SF_POOL2_AVX512
        case SF_POOL2_KERNELS_AVX512:
          sf_pool2_plane_avx512 (dst, arg, plane, H, W, scale, shift, act.kind);
          return;
#endif
#if SF_POOL2_AVX2
        case SF_POOL2_KERNELS_AVX2:
          sf_pool2_plane_avx2 (dst, arg, plane, H, W, scale, shift, act.kind);
          return;
#endif
        default:
          break;
        }
      WITH_ACT (act.kind, for (int oy = 0; oy < Ho; oy++)
                            pool2_row (dst + oy * Wo, arg + oy * Wo, plane + (gsize) 2 * oy * W,
                                       plane + (gsize) (2 * oy + 1) * W, Wo, scale, shift, K_, act.param));
      return;
    }
  for (int oy = 0; oy < Ho; oy++)
    for (int ox = 0; ox < Wo; ox++)
      {
        float m = -INFINITY;
        int k = 0;
        for (int dy = 0; dy < P; dy++)
          for (int dx = 0; dx < P; dx++)
            {
              float v = plane[(gsize) (oy * P + dy) * W + ox * P + dx] * scale + shift;
              if (v > m || (dy == 0 && dx == 0))
                {
                  m = v;
                  k = dy * P + dx;
                }
            }
        dst[oy * Wo + ox] = act_apply (m, act.kind, act.param);
        arg[oy * Wo + ox] = (guint8) k;
      }
}

/* The flat index in a W-wide plane of window (oy, ox)'s position k. */
SF_INLINE gsize
window_index (int oy, int ox, int k, int P, int W)
{
  return (gsize) (oy * P + k / P) * W + ox * P + k % P;
}
