/* Buffers on cache-line boundaries, for the activations and scratch the
 * vector kernels stream through (private to engine/). glibc's malloc puts a
 * large block 16 bytes past a page boundary, so without this every 64-byte
 * vector load of a plane straddled two cache lines (docs/PERFORMANCE.md,
 * "Buffers on cache lines"). */
#pragma once

#include <glib.h>
#include <stdlib.h>

#define SF_ALIGNMENT 64

/* n floats rounded up to whole cache lines: the stride between per-worker
 * or per-group pieces of one aligned buffer. */
#define SF_ALIGN_FLOATS(n) ((((gsize) (n)) + 15) / 16 * 16)

/* n_blocks · block_size bytes at a multiple of SF_ALIGNMENT, or NULL when that
 * overflows or memory is short; free with sf_aligned_free. */
static inline gpointer
sf_aligned_try_alloc (gsize n_blocks, gsize block_size)
{
  if (block_size != 0 && n_blocks > G_MAXSIZE / block_size)
    return NULL;
  void *p = NULL;
  if (posix_memalign (&p, SF_ALIGNMENT, MAX (n_blocks * block_size, 1)) != 0)
    return NULL;
  return p;
}

static inline void
sf_aligned_free (gpointer p)
{
  free (p);
}
