/* Compiler hints for the engine's hot elementwise loops (private to engine/). */
#pragma once

/* The build is -O2 for baseline x86-64, where GCC does not vectorise loops of
 * unknown length. SF_HOT compiles a function at -O3 in three versions
 * (AVX-512, AVX2+FMA, baseline) chosen at load time by the CPU; without
 * trapping math, so that comparisons become vector selects (the engine never
 * enables floating-point traps). Building with -DSF_NO_CLONES keeps one plain
 * copy; with SF_NO_AVX512 (meson option avx512=false) the AVX-512 copy is
 * left out, as are the engine's other AVX-512 kernels (README, "Switches"). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SF_NO_CLONES)
#ifdef SF_NO_AVX512
#define SF_HOT __attribute__ ((optimize ("O3", "no-trapping-math"), target_clones ("arch=x86-64-v3", "default")))
#else
#define SF_HOT __attribute__ ((optimize ("O3", "no-trapping-math"), target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef SF_HOT
#define SF_HOT
#endif
