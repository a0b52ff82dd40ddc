/* Getting OpenBLAS's fast kernels on CPUs it does not recognise, and naming
 * the kernels in use, OpenBLAS's and the engine's own. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* OpenBLAS 0.3.21 picks its Haswell (AVX2) kernels on AVX-512 CPUs it does not
 * know, at half the speed of its SkylakeX kernels. It reads OPENBLAS_CORETYPE
 * in its library constructor, before main() runs, so the only way to choose is
 * to set the variable and start the program again.
 *
 * Call first thing in main(). If OPENBLAS_CORETYPE is unset and the CPU and the
 * OS support AVX-512 (F, CD, DQ, BW, VL), sets OPENBLAS_CORETYPE=SkylakeX and
 * re-executes /proc/self/exe with argv (NULL-terminated, as main() receives
 * it); that call does not return. A marker variable (SF_BLAS_REEXEC) stops a
 * second attempt. Returns TRUE when nothing needed doing (the variable was
 * set already, or the CPU lacks AVX-512), FALSE when the fast kernels were
 * wanted but could not be had (the program goes on with the kernels it has).
 * A build without AVX-512 (meson option avx512=false) sets Haswell instead,
 * the AVX2 kernels a CPU without AVX-512 gets. To run without the
 * re-execution (under a debugger, say), set OPENBLAS_CORETYPE yourself
 * (README, "Switches"). */
gboolean    sf_blas_reexec_for_fast_kernels (int argc, char **argv);

/* Whether the CPU and the OS support the AVX-512 subset of Skylake-X. */
gboolean    sf_blas_cpu_has_avx512 (void);

/* The kernel set OpenBLAS runs, e.g. "SkylakeX" or "Haswell". */
const char *sf_blas_kernel_name (void);

/* OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64". */
const char *sf_blas_config (void);

/* The engine's own vector code in use: the copy of simd.h's hot loops the
 * CPU gets, e.g. "x86-64-v4 (AVX-512)", "x86-64-v3 (AVX2, FMA)",
 * "baseline x86-64"; a build without AVX-512 adds "; AVX-512 off (build
 * option)". */
const char *sf_engine_simd_level (void);

G_END_DECLS
