/* 2×2 max-pooling with AVX2 and FMA, 8 windows per step (private to engine/):
 * the twins of pool2-avx512.h for CPUs without AVX-512 (Zen 3, Intel client
 * CPUs), where the plain loops of layers-private.h and batchnorm.c, whose
 * argmax selects GCC does not vectorise, took a quarter of the compact
 * preset's epoch. ReLU or no activation only; each function computes what
 * its AVX-512 twin computes, with 8 lanes where that one has 16 (so sums may
 * round differently). Call them only when sf_pool2_kernels() says so. */
#pragma once

#include <glib.h>

#include "layers.h"

G_BEGIN_DECLS

/* GCC on x86-64 only (target attributes); SF_NO_CLONES leaves them out with
 * the other CPU-specific code (simd.h). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SF_NO_CLONES)
#define SF_POOL2_AVX2 1
#else
#define SF_POOL2_AVX2 0
#endif

#if SF_POOL2_AVX2

/* TRUE when the CPU has AVX2 and FMA and kind is ReLU or none. */
gboolean sf_pool2_avx2_usable (SfActKind kind);

void     sf_pool2_plane_avx2 (float *dst, guint8 *arg, const float *plane, int H, int W, float scale, float shift,
                              SfActKind kind);
void     sf_pool2_values_at_avx2 (float *at, const float *x, const guint8 *argmax, int Ho, int Wo, int W);
void     sf_pool2_gradient_plane_avx2 (float *full, const float *dout, const float *out, const guint8 *argmax,
                                       int Ho, int Wo, int W, SfActKind kind);
void     sf_batchnorm_pool2_sums_avx2 (const float *dout, const float *out, const guint8 *argmax, const float *x,
                                       int Ho, int Wo, int W, float mu, SfAct act, double *sum_g, double *sum_gx);
void     sf_batchnorm_pool2_input_plane_avx2 (float *dx, const float *x, const float *dout, const float *out,
                                              const guint8 *argmax, int Ho, int Wo, int W, float mu, float is,
                                              float k, float m, float sum_g, float sum_gx, SfAct act);

#endif

G_END_DECLS
