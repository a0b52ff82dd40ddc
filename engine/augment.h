/* Training-time augmentation of one face: flip, shift, rotation, scale,
 * brightness and contrast, drawn from an explicit RNG. */
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
} SfAugmentSettings;

/* TRUE when any transformation is switched on. */
gboolean sf_augment_enabled (const SfAugmentSettings *settings);
/* Moderate defaults for faces: flip, 6 % shift, 8°, 8 % scale, 0.1 brightness, 0.15 contrast. */
void     sf_augment_settings_init_default (SfAugmentSettings *settings);
/* Parses a comma list such as "flip,shift,rotate,scale,light" (or "none", "all")
 * into settings with the default strengths. text NULL (a value of the wrong
 * type in a file) is an SF_ERROR_INVALID; errors name the field, "augment". */
gboolean sf_augment_settings_parse (const char *text, SfAugmentSettings *settings, GError **error);
char    *sf_augment_settings_to_string (const SfAugmentSettings *settings);

/* dst [height, width] ← a random transformation of src [height, width]
 * (bilinear sampling, edges clamped, values clamped to [0, 1]). */
void     sf_augment_image (const SfAugmentSettings *settings, SfRng *rng,
                           const float *src, float *dst, int height, int width);

G_END_DECLS
