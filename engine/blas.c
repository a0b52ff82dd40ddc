/* OpenBLAS kernel selection: see blas.h for why this re-executes the program. */
#include "blas.h"

#include <cblas.h>
#include <cpuid.h>
#include <stdlib.h>
#include <unistd.h>

#define REEXEC_MARKER "SF_BLAS_REEXEC"

/* A build without AVX-512 (meson option avx512=false) stands in for a CPU
 * without it: OpenBLAS gets the AVX2 kernels such a CPU would run, not the
 * SkylakeX ones, nor its own pick (SkylakeX on the Intel CPUs it knows). */
#ifdef SF_NO_AVX512
#define WANTED_CORETYPE "Haswell"
#else
#define WANTED_CORETYPE "SkylakeX"
#endif

gboolean
sf_blas_cpu_has_avx512 (void)
{
#if defined(__x86_64__) || defined(__i386__)
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid (1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE))
    return FALSE;
  /* XCR0: SSE, AVX, opmask, upper halves of ZMM0-15 and ZMM16-31 enabled by the OS. */
  unsigned int xcr0_lo, xcr0_hi;
  __asm__ volatile ("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0xe6) != 0xe6)
    return FALSE;
  if (!__get_cpuid_count (7, 0, &eax, &ebx, &ecx, &edx))
    return FALSE;
  const unsigned int needed = bit_AVX512F | bit_AVX512DQ | bit_AVX512CD | bit_AVX512BW | bit_AVX512VL;
  return (ebx & needed) == needed;
#else
  return FALSE;
#endif
}

gboolean
sf_blas_reexec_for_fast_kernels (int argc, char **argv)
{
  if (g_getenv ("OPENBLAS_CORETYPE") != NULL)
    return TRUE;
  if (!sf_blas_cpu_has_avx512 ())
    return TRUE;
  if (g_getenv (REEXEC_MARKER) != NULL || argc < 1 || argv == NULL || argv[0] == NULL)
    return FALSE;
  /* setenv, not g_setenv: nothing else runs yet, and execv passes environ on. */
  if (setenv ("OPENBLAS_CORETYPE", WANTED_CORETYPE, 1) != 0 || setenv (REEXEC_MARKER, "1", 1) != 0)
    return FALSE;
  execv ("/proc/self/exe", argv);
  /* Still here: exec failed. Do not leave a kernel choice the running library never saw. */
  unsetenv ("OPENBLAS_CORETYPE");
  return FALSE;
}

const char *
sf_blas_kernel_name (void)
{
  const char *name = openblas_get_corename ();
  return name != NULL ? name : "unknown";
}

const char *
sf_blas_config (void)
{
  const char *config = openblas_get_config ();
  return config != NULL ? config : "unknown";
}

#ifdef SF_NO_AVX512
#define AVX512_OFF "; AVX-512 off (build option)"
#else
#define AVX512_OFF ""
#endif

const char *
sf_engine_simd_level (void)
{
#if !(defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__))
  return "portable C";
#elif defined(SF_NO_CLONES)
  return "baseline x86-64 (SF_NO_CLONES)" AVX512_OFF;
#else
  /* The tests of the dispatch of simd.h's target_clones. */
#ifndef SF_NO_AVX512
  if (__builtin_cpu_supports ("x86-64-v4"))
    return "x86-64-v4 (AVX-512)";
#endif
  if (__builtin_cpu_supports ("x86-64-v3"))
    return "x86-64-v3 (AVX2, FMA)" AVX512_OFF;
  return "baseline x86-64" AVX512_OFF;
#endif
}
