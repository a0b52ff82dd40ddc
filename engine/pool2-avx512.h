/* 2×2 max-pooling with AVX-512, 16 windows per step (private to engine/): GCC
 * does not vectorise the argmax selects of the plain loops (layers-private.h),
 * which made this pass the costliest of the compact preset. ReLU or no
 * activation only; each function computes what its plain twin computes, with
 * the same operations. Call them only when sf_pool2_avx512_usable() says so. */
#pragma once

#include <glib.h>

#include "layers.h"

G_BEGIN_DECLS

/* GCC on x86-64 only (the kernels use its target attributes); SF_NO_CLONES
 * and SF_NO_AVX512 leave them out with the other CPU-specific code (simd.h). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SF_NO_CLONES) \
  && !defined(SF_NO_AVX512)
#define SF_POOL2_AVX512 1
#else
#define SF_POOL2_AVX512 0
#endif

#if SF_POOL2_AVX512

/* TRUE when the CPU has AVX-512 (F, BW, VL) and kind is ReLU or none. */
gboolean sf_pool2_avx512_usable (SfActKind kind);

/* dst/arg[H/2, W/2] = the 2×2 max-pool of act(plane·scale + shift) and each window's argmax. */
void     sf_pool2_plane_avx512 (float *dst, guint8 *arg, const float *plane, int H, int W, float scale, float shift,
                                SfActKind kind);
/* at[Ho, Wo] = x at each window's argmax. */
void     sf_pool2_values_at_avx512 (float *at, const float *x, const guint8 *argmax, int Ho, int Wo, int W);
/* Rows 0 .. 2·Ho - 1 of full[·, W]: dout·act'(out) at each window's argmax, 0 elsewhere. */
void     sf_pool2_gradient_plane_avx512 (float *full, const float *dout, const float *out, const guint8 *argmax,
                                         int Ho, int Wo, int W, SfActKind kind);

/* The two plane steps of batch norm + act + 2×2 max-pool backward (batchnorm.c
 * runs them): *sum_g += Σ g, *sum_gx += Σ g·(x - mu) with g = dout·act'(out)
 * at the window maxima; then dx[2·Ho, W] = a0 + a1·x, plus k·m·g at the maxima. */
void     sf_batchnorm_pool2_sums_avx512 (const float *dout, const float *out, const guint8 *argmax, const float *x,
                                         int Ho, int Wo, int W, float mu, SfAct act, double *sum_g, double *sum_gx);
void     sf_batchnorm_pool2_input_plane_avx512 (float *dx, const float *x, const float *dout, const float *out,
                                                const guint8 *argmax, int Ho, int Wo, int W, float mu, float is,
                                                float k, float m, float sum_g, float sum_gx, SfAct act);

#endif

G_END_DECLS
