/* Training-time augmentation of one face: flip, shift, rotation, scale,
 * brightness and contrast, random resized crop, gamma and random erasing,
 * drawn from an explicit RNG. */
#pragma once

#include <glib.h>

#include "rng.h"

G_BEGIN_DECLS

typedef struct {
  gboolean flip;          /* mirror left-right with probability 1/2 */
  float shift;            /* up to ± this share of the side, e.g. 0.08 */
  float rotate_degrees;   /* up to ± this many degrees */
  float scale;            /* zoom by 1 ± this, e.g. 0.08 */
  float brightness;       /* add up to ± this, e.g. 0.1 */
  float contrast;         /* multiply the deviation from the mean by 1 ± this */
  /* The kinds below draw from a stream of their own (sf_augment_image), so
   * the ones above draw the same numbers with or without them. */
  float crop;             /* random resized crop: a region of 1 - crop to all of the area, aspect
                           * 3:4 to 4:3, anywhere in the face, stretched to the whole, e.g. 0.2 */
  float gamma;            /* raise to a power between 1 / (1 + gamma) and 1 + gamma, e.g. 0.3 */
  float erase;            /* random erasing: with this probability one rectangle of 2 to 20 % of
                           * the face (aspect 1:3 to 3:1) becomes noise, e.g. 0.5 */
} SfAugmentSettings;

/* TRUE when any transformation is switched on. */
gboolean sf_augment_enabled (const SfAugmentSettings *settings);
/* Moderate defaults for faces: flip, 6 % shift, 8°, 8 % scale, 0.1 brightness, 0.15 contrast
 * (the compact preset's augmentation; crop, gamma and erase off). */
void     sf_augment_settings_init_default (SfAugmentSettings *settings);
/* The strengths crop, gamma and erase take when named without one: 0.2, 0.3 and 0.5. */
void     sf_augment_settings_init_strengths (SfAugmentSettings *settings);
/* Parses a comma list such as "flip,shift,rotate,scale,light" (or "none", or
 * "all" for the defaults above) into settings with the default strengths;
 * shift, rotate, scale, crop, gamma and erase take another after '=', as in
 * "flip,crop=0.3,erase=0.25". text NULL (a value of the wrong type in a
 * file) is an SF_ERROR_INVALID; errors name the field, "augment". */
gboolean sf_augment_settings_parse (const char *text, SfAugmentSettings *settings, GError **error);
char    *sf_augment_settings_to_string (const SfAugmentSettings *settings);

/* dst [height, width] ← a random transformation of src [height, width]
 * (bilinear sampling, edges clamped, values clamped to [0, 1]): one warp
 * (crop, then shift, rotation, scale and flip), gamma, contrast and
 * brightness, then erasing. Same settings and RNG state, same result; the
 * RNG advances by 7 draws, and one more when crop, gamma or erase is on. */
void     sf_augment_image (const SfAugmentSettings *settings, SfRng *rng,
                           const float *src, float *dst, int height, int width);

G_END_DECLS
