/* Augmentation as one inverse affine warp per image plus a photometric change
 * and an erased rectangle, so a cropped, flipped, shifted, rotated and scaled
 * face is resampled only once. */
#include "augment.h"

#include <math.h>
#include <string.h>

#include "error.h"

gboolean
sf_augment_enabled (const SfAugmentSettings *s)
{
  return s->flip || s->shift > 0 || s->rotate_degrees > 0 || s->scale > 0 || s->brightness > 0
         || s->contrast > 0 || s->crop > 0 || s->gamma > 0 || s->erase > 0;
}

void
sf_augment_settings_init_default (SfAugmentSettings *s)
{
  *s = (SfAugmentSettings) {
    .flip = TRUE, .shift = 0.06f, .rotate_degrees = 8, .scale = 0.08f, .brightness = 0.1f, .contrast = 0.15f,
  };
}

void
sf_augment_settings_init_strengths (SfAugmentSettings *s)
{
  sf_augment_settings_init_default (s);
  s->crop = 0.2f;
  s->gamma = 0.3f;
  s->erase = 0.5f;
}

/* Every kind, for messages. */
#define KINDS "flip, shift, rotate, scale, light, crop, gamma, erase"

/* The kinds that take a strength after '=': their field and its range. */
typedef struct {
  const char *name;
  gsize offset;
  float max;
} Strength;

static const Strength strengths[] = {
  { "shift", G_STRUCT_OFFSET (SfAugmentSettings, shift), 0.5f },
  { "rotate", G_STRUCT_OFFSET (SfAugmentSettings, rotate_degrees), 180 },
  { "scale", G_STRUCT_OFFSET (SfAugmentSettings, scale), 0.9f },
  { "crop", G_STRUCT_OFFSET (SfAugmentSettings, crop), 0.9f },
  { "gamma", G_STRUCT_OFFSET (SfAugmentSettings, gamma), 3 },
  { "erase", G_STRUCT_OFFSET (SfAugmentSettings, erase), 1 },
};

#define STRENGTH(settings, k) G_STRUCT_MEMBER (float, settings, strengths[k].offset)

/* "kind" or "kind=value" for the kinds above; FALSE when word is not one. */
static gboolean
parse_strength (const char *word, SfAugmentSettings *result, const SfAugmentSettings *defaults, GError **error)
{
  const char *equals = strchr (word, '=');
  gsize length = equals != NULL ? (gsize) (equals - word) : strlen (word);
  for (guint k = 0; k < G_N_ELEMENTS (strengths); k++)
    {
      if (strlen (strengths[k].name) != length || strncmp (word, strengths[k].name, length) != 0)
        continue;
      if (equals == NULL)
        {
          STRENGTH (result, k) = STRENGTH (defaults, k);
          return TRUE;
        }
      char *end = NULL;
      double value = g_ascii_strtod (equals + 1, &end);
      /* As a float, as it is kept: "scale=0.9" is the 0.9f the writer writes. */
      if (end == equals + 1 || *end != '\0' || !(value > 0 && (float) value <= strengths[k].max))
        {
          g_autofree char *shown = g_strescape (word, NULL);  /* from a file, to a terminal */
          g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "augment: '%s': the strength must be a number in (0, %g]",
                       shown, strengths[k].max);
          return FALSE;
        }
      STRENGTH (result, k) = (float) value;
      return TRUE;
    }
  g_autofree char *shown = g_strescape (word, NULL);  /* from a file, to a terminal */
  g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
               "augment: '%s' is not an augmentation; expected none, all, or a list of " KINDS, shown);
  return FALSE;
}

gboolean
sf_augment_settings_parse (const char *text, SfAugmentSettings *settings, GError **error)
{
  /* NULL is what json-glib's string getters give for a value of another
   * type ("augment": 1 in a model file): an error, never a crash. */
  if (text == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   "augment: no text, expected none, all, or a list of " KINDS);
      return FALSE;
    }
  SfAugmentSettings defaults, all;
  sf_augment_settings_init_strengths (&defaults);
  sf_augment_settings_init_default (&all);
  SfAugmentSettings result = { 0 };
  g_auto (GStrv) words = g_strsplit (text, ",", -1);
  for (int k = 0; words[k] != NULL; k++)
    {
      const char *word = g_strstrip (words[k]);
      if (*word == '\0' || strcmp (word, "none") == 0)
        continue;
      else if (strcmp (word, "all") == 0)
        {
          /* The defaults: the kinds added later keep what the list says. */
          float crop = result.crop, gamma = result.gamma, erase = result.erase;
          result = all;
          result.crop = crop;
          result.gamma = gamma;
          result.erase = erase;
        }
      else if (strcmp (word, "flip") == 0)
        result.flip = TRUE;
      else if (strcmp (word, "light") == 0)
        {
          result.brightness = defaults.brightness;
          result.contrast = defaults.contrast;
        }
      else if (!parse_strength (word, &result, &defaults, error))
        return FALSE;
    }
  *settings = result;
  return TRUE;
}

/* ",kind", or ",kind=value" when value is not the default strength. */
static void
append_strength (GString *text, guint k, float value, float fallback)
{
  if (!(value > 0))
    return;
  g_string_append_printf (text, ",%s", strengths[k].name);
  if (value == fallback)
    return;
  /* The shortest text that reads back as the same float. */
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  for (int digits = 6; digits <= 9; digits++)
    {
      char format[8];
      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (number, sizeof number, format, value);
      if ((float) g_ascii_strtod (number, NULL) == value)
        break;
    }
  g_string_append_printf (text, "=%s", number);
}

char *
sf_augment_settings_to_string (const SfAugmentSettings *s)
{
  if (!sf_augment_enabled (s))
    return g_strdup ("none");
  GString *text = g_string_new (NULL);
  if (s->flip)
    g_string_append (text, ",flip");
  SfAugmentSettings defaults;
  sf_augment_settings_init_strengths (&defaults);
  for (guint k = 0; k < G_N_ELEMENTS (strengths); k++)
    {
      /* light in its place, after scale */
      if (strcmp (strengths[k].name, "crop") == 0 && (s->brightness > 0 || s->contrast > 0))
        g_string_append (text, ",light");
      append_strength (text, k, STRENGTH (s, k), STRENGTH (&defaults, k));
    }
  char *joined = g_strdup (text->str + 1); /* past the leading comma */
  g_string_free (text, TRUE);
  return joined;
}

static float
symmetric (SfRng *rng, float amplitude)
{
  return amplitude > 0 ? (float) ((2 * sf_rng_uniform (rng) - 1) * amplitude) : 0;
}

/* The kinds drawn from the second stream: crop, gamma, erase. */
static gboolean
uses_second_stream (const SfAugmentSettings *s)
{
  return s->crop > 0 || s->gamma > 0 || s->erase > 0;
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

  /* The later kinds: a stream of their own, seeded by one more draw, so
   * the numbers above are those of the settings without them. */
  gboolean second = uses_second_stream (s);
  gboolean crop = FALSE, erase = FALSE;
  float crop_x = 0, crop_y = 0, crop_w = 1, crop_h = 1, power = 1;
  int erase_x = 0, erase_y = 0, erase_w = 0, erase_h = 0;
  SfRng more;
  if (second)
    {
      sf_rng_seed (&more, sf_rng_next (rng));
      /* Random resized crop: area share, log-aspect, position (as shares of the side). */
      float area = 1 - (float) sf_rng_uniform (&more) * s->crop;
      float aspect = expf (symmetric (&more, logf (4.0f / 3)));
      float fx = (float) sf_rng_uniform (&more), fy = (float) sf_rng_uniform (&more);
      crop = s->crop > 0;
      if (crop)
        {
          crop_w = MIN (sqrtf (area * aspect), 1.0f);
          crop_h = MIN (sqrtf (area / aspect), 1.0f);
          crop_x = fx * (1 - crop_w) * width;
          crop_y = fy * (1 - crop_h) * height;
        }
      float log_power = symmetric (&more, log1pf (s->gamma));
      power = s->gamma > 0 ? expf (log_power) : 1;
      /* Random erasing: whether, area share, log-aspect, position. */
      erase = sf_rng_uniform (&more) < s->erase;
      double erase_area = (0.02 + 0.18 * sf_rng_uniform (&more)) * width * height;
      double erase_aspect = exp (symmetric (&more, logf (3)));
      double ex = sf_rng_uniform (&more), ey = sf_rng_uniform (&more);
      erase_h = CLAMP ((int) lround (sqrt (erase_area * erase_aspect)), 1, height);
      erase_w = CLAMP ((int) lround (sqrt (erase_area / erase_aspect)), 1, width);
      erase_x = MIN ((int) (ex * (width - erase_w + 1)), width - erase_w);
      erase_y = MIN ((int) (ey * (height - erase_h + 1)), height - erase_h);
    }

  /* Inverse map: for each destination pixel, where it comes from in src. */
  float cx = (width - 1) * 0.5f, cy = (height - 1) * 0.5f;
  float c = cosf (angle) / zoom, sn = sinf (angle) / zoom;
  double sum = 0;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        float px = x, py = y;
        if (crop)
          {
            /* Where the destination pixel's centre falls in the cropped region. */
            px = crop_x + (x + 0.5f) * crop_w - 0.5f;
            py = crop_y + (y + 0.5f) * crop_h - 0.5f;
          }
        float u = px - cx - dx, v = py - cy - dy;
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
  if (power != 1)
    {
      sum = 0;
      for (int k = 0; k < width * height; k++)
        {
          dst[k] = powf (CLAMP (dst[k], 0.0f, 1.0f), power);
          sum += dst[k];
        }
    }
  if (brightness != 0 || contrast != 1)
    {
      float mean = (float) (sum / ((double) width * height));
      for (int k = 0; k < width * height; k++)
        dst[k] = CLAMP ((dst[k] - mean) * contrast + mean + brightness, 0.0f, 1.0f);
    }
  if (erase)
    for (int y = erase_y; y < erase_y + erase_h; y++)
      for (int x = erase_x; x < erase_x + erase_w; x++)
        dst[y * width + x] = (float) sf_rng_uniform (&more);
}
