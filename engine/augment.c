/* Augmentation as one inverse affine warp per image plus a photometric change,
 * so a flipped, shifted, rotated and scaled face is resampled only once. */
#include "augment.h"

#include <math.h>
#include <string.h>

#include "error.h"

gboolean
sf_augment_enabled (const SfAugmentSettings *s)
{
  return s->flip || s->shift > 0 || s->rotate_degrees > 0 || s->scale > 0 || s->brightness > 0
         || s->contrast > 0;
}

void
sf_augment_settings_init_default (SfAugmentSettings *s)
{
  *s = (SfAugmentSettings) {
    .flip = TRUE, .shift = 0.06f, .rotate_degrees = 8, .scale = 0.08f, .brightness = 0.1f, .contrast = 0.15f,
  };
}

gboolean
sf_augment_settings_parse (const char *text, SfAugmentSettings *settings, GError **error)
{
  /* NULL is what json-glib's string getters give for a value of another
   * type ("augment": 1 in a model file): an error, never a crash. */
  if (text == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   "augment: no text, expected none, all, or a list of flip, shift, rotate, scale, light");
      return FALSE;
    }
  SfAugmentSettings defaults;
  sf_augment_settings_init_default (&defaults);
  SfAugmentSettings result = { 0 };
  g_auto (GStrv) words = g_strsplit (text, ",", -1);
  for (int k = 0; words[k] != NULL; k++)
    {
      const char *word = g_strstrip (words[k]);
      if (*word == '\0' || strcmp (word, "none") == 0)
        continue;
      else if (strcmp (word, "all") == 0)
        result = defaults;
      else if (strcmp (word, "flip") == 0)
        result.flip = TRUE;
      else if (strcmp (word, "shift") == 0)
        result.shift = defaults.shift;
      else if (strcmp (word, "rotate") == 0)
        result.rotate_degrees = defaults.rotate_degrees;
      else if (strcmp (word, "scale") == 0)
        result.scale = defaults.scale;
      else if (strcmp (word, "light") == 0)
        {
          result.brightness = defaults.brightness;
          result.contrast = defaults.contrast;
        }
      else
        {
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                       "augment: '%s' is not an augmentation; expected none, all, or a list of flip, shift, rotate, scale, light",
                       word);
          return FALSE;
        }
    }
  *settings = result;
  return TRUE;
}

char *
sf_augment_settings_to_string (const SfAugmentSettings *s)
{
  if (!sf_augment_enabled (s))
    return g_strdup ("none");
  GString *text = g_string_new (NULL);
  if (s->flip)
    g_string_append (text, ",flip");
  if (s->shift > 0)
    g_string_append (text, ",shift");
  if (s->rotate_degrees > 0)
    g_string_append (text, ",rotate");
  if (s->scale > 0)
    g_string_append (text, ",scale");
  if (s->brightness > 0 || s->contrast > 0)
    g_string_append (text, ",light");
  char *joined = g_strdup (text->str + 1); /* past the leading comma */
  g_string_free (text, TRUE);
  return joined;
}

static float
symmetric (SfRng *rng, float amplitude)
{
  return amplitude > 0 ? (float) ((2 * sf_rng_uniform (rng) - 1) * amplitude) : 0;
}

void
sf_augment_image (const SfAugmentSettings *s, SfRng *rng, const float *src, float *dst,
                  int height, int width)
{
  /* Draw every random number, used or not, so a setting does not shift the
   * stream of the others. */
  gboolean flip = s->flip && sf_rng_uniform (rng) < 0.5;
  float dx = symmetric (rng, s->shift) * width;
  float dy = symmetric (rng, s->shift) * height;
  float angle = symmetric (rng, s->rotate_degrees) * (float) G_PI / 180;
  float zoom = 1 + symmetric (rng, s->scale);
  float brightness = symmetric (rng, s->brightness);
  float contrast = 1 + symmetric (rng, s->contrast);

  /* Inverse map: for each destination pixel, where it comes from in src. */
  float cx = (width - 1) * 0.5f, cy = (height - 1) * 0.5f;
  float c = cosf (angle) / zoom, sn = sinf (angle) / zoom;
  double sum = 0;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        float u = x - cx - dx, v = y - cy - dy;
        float sx = c * u + sn * v + cx;
        float sy = -sn * u + c * v + cy;
        if (flip)
          sx = (width - 1) - sx;
        sx = CLAMP (sx, 0, width - 1);
        sy = CLAMP (sy, 0, height - 1);
        int x0 = (int) sx, y0 = (int) sy;
        int x1 = MIN (x0 + 1, width - 1), y1 = MIN (y0 + 1, height - 1);
        float fx = sx - x0, fy = sy - y0;
        float top = src[y0 * width + x0] * (1 - fx) + src[y0 * width + x1] * fx;
        float bottom = src[y1 * width + x0] * (1 - fx) + src[y1 * width + x1] * fx;
        float value = top * (1 - fy) + bottom * fy;
        dst[y * width + x] = value;
        sum += value;
      }
  if (brightness == 0 && contrast == 1)
    return;
  float mean = (float) (sum / ((double) width * height));
  for (int k = 0; k < width * height; k++)
    dst[k] = CLAMP ((dst[k] - mean) * contrast + mean + brightness, 0.0f, 1.0f);
}
