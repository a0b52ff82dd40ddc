/* xoshiro256** (Blackman & Vigna), seeded with splitmix64. */
#include "rng.h"

#include <math.h>

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
sf_rng_seed (SfRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
}

guint64
sf_rng_next (SfRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

guint32
sf_rng_below (SfRng *rng, guint32 n)
{
  g_return_val_if_fail (n > 0, 0);
  /* Lemire's method would be faster; rejection keeps it obviously unbiased. */
  guint64 limit = G_MAXUINT64 - (G_MAXUINT64 % n);
  guint64 r;
  do
    r = sf_rng_next (rng);
  while (r >= limit);
  return (guint32) (r % n);
}

double
sf_rng_uniform (SfRng *rng)
{
  return (sf_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

double
sf_rng_normal (SfRng *rng)
{
  double u1 = 1.0 - sf_rng_uniform (rng); /* (0, 1]: log is finite */
  double u2 = sf_rng_uniform (rng);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

void
sf_rng_shuffle (SfRng *rng, int *items, int n)
{
  for (int i = n - 1; i > 0; i--)
    {
      int j = (int) sf_rng_below (rng, (guint32) i + 1);
      int t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
}
