/* An explicit, seedable random number generator: the same seed gives the same
 * sequence on every machine, so pairs, demo faces and training are repeatable. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* xoshiro256** state, seeded through splitmix64. */
typedef struct {
  guint64 s[4];
} SfRng;

void    sf_rng_seed     (SfRng *rng, guint64 seed);
guint64 sf_rng_next     (SfRng *rng);
/* Uniform in [0, n); n > 0. Unbiased (rejection sampling). */
guint32 sf_rng_below    (SfRng *rng, guint32 n);
/* Uniform in [0, 1). */
double  sf_rng_uniform  (SfRng *rng);
/* Standard normal (Box-Muller). */
double  sf_rng_normal   (SfRng *rng);
/* Fisher-Yates shuffle of n ints. */
void    sf_rng_shuffle  (SfRng *rng, int *items, int n);

G_END_DECLS
