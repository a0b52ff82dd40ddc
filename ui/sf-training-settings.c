/* SfTrainingSettings: one GSettings and the rules that keep its training
 * keys coherent: a preset chosen (by any view, or by writing the key) fills
 * every key from the engine's preset; any other change that departs from
 * the preset makes it "custom"; a new split kind starts from its own share.
 * Its own writes are guarded so it never reacts to them. */
#include "sf-training-settings.h"

#include <math.h>
#include <string.h>

#define APP_ID "io.github.siamesefaces.SiameseFaces"

struct _SfTrainingSettings
{
  GObject parent_instance;

  /* Owned */
  GSettings *settings;

  gboolean updating;            /* while the store writes keys itself */
};

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The store the views share; a weak pointer, so it goes with its last user. */
static SfTrainingSettings *default_store;

G_DEFINE_FINAL_TYPE (SfTrainingSettings, sf_training_settings, G_TYPE_OBJECT)

static gboolean
close_enough (double a, double b)
{
  return fabs (a - b) <= 1e-6 * MAX (fabs (a), fabs (b)) + 1e-9;
}

static int
name_index (const char *const *names, const char *name)
{
  for (int i = 0; names[i] != NULL; i++)
    if (g_strcmp0 (names[i], name) == 0)
      return i;
  return 0;
}

/* Dropout: the rate of the first drop layer in the spec, 0 without. */
static double
spec_dropout (const char *spec)
{
  g_auto (GStrv) tokens = g_strsplit_set (spec, " \t\n", -1);

  for (guint i = 0; tokens[i] != NULL; i++)
    if (g_str_has_prefix (tokens[i], "drop"))
      return g_ascii_strtod (tokens[i] + 4, NULL);
  return 0.0;
}

/* The spec with every drop layer at `rate`: none at 0; one before the last
 * layer when there was none. */
static char *
spec_with_dropout (const char *spec, double rate)
{
  g_auto (GStrv) tokens = g_strsplit_set (spec, " \t\n", -1);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  gboolean had = FALSE;

  /* "0.30" → "0.3", as specs are usually written. */
  g_ascii_formatd (number, sizeof number, "%.2f", rate);
  for (char *end = number + strlen (number) - 1; end > number && *end == '0'; end--)
    *end = '\0';
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      if (*tokens[i] == '\0')
        continue;
      if (g_str_has_prefix (tokens[i], "drop"))
        {
          had = TRUE;
          if (rate > 0)
            g_ptr_array_add (out, g_strconcat ("drop", number, NULL));
          continue;
        }
      g_ptr_array_add (out, g_strdup (tokens[i]));
    }
  if (!had && rate > 0 && out->len > 0)
    g_ptr_array_insert (out, (int) out->len - 1, g_strconcat ("drop", number, NULL));
  g_ptr_array_add (out, NULL);
  return g_strjoinv (" ", (char **) out->pdata);
}

/* Whether the settings are the preset's, the seed aside (and what the form
 * does not show: they come from a preset anyway). */
static gboolean
match_preset (const SfTrainSettings *s, SfPreset preset)
{
  SfTrainSettings p = { 0 };
  sf_train_settings_init_preset (&p, preset);
  gboolean same = g_strcmp0 (s->spec, p.spec) == 0
                  && s->head == p.head
                  && (s->head != SF_HEAD_CONTRASTIVE || close_enough (s->margin, p.margin))
                  && s->epochs == p.epochs
                  && s->batch_size == p.batch_size
                  && s->optimizer.kind == p.optimizer.kind
                  && close_enough (s->optimizer.learning_rate, p.optimizer.learning_rate)
                  && s->optimizer.schedule == p.optimizer.schedule
                  && close_enough (s->optimizer.weight_decay, p.optimizer.weight_decay)
                  && s->augment.flip == p.augment.flip
                  && (s->augment.shift > 0) == (p.augment.shift > 0)
                  && (s->augment.rotate_degrees > 0) == (p.augment.rotate_degrees > 0)
                  && (s->augment.scale > 0) == (p.augment.scale > 0)
                  && (s->augment.brightness > 0) == (p.augment.brightness > 0)
                  && s->split == p.split
                  && close_enough (s->split_share, p.split_share > 0 ? p.split_share : sf_split_default_share (p.split))
                  && s->new_pairs_each_epoch == p.new_pairs_each_epoch;
  sf_train_settings_clear (&p);
  return same;
}

/* Writes every training key from settings (the seed only if asked). */
static void
store (SfTrainingSettings *self, const SfTrainSettings *s, const char *preset_name, gboolean with_seed)
{
  GSettings *g = self->settings;
  gboolean was_updating = self->updating;

  self->updating = TRUE;
  g_settings_set_string (g, "train-preset", preset_name);
  /* The spec itself, never "the preset's": it must stay when the preset becomes custom. */
  g_settings_set_string (g, "train-spec", s->spec);
  g_settings_set_string (g, "train-head", sf_head_kind_name (s->head));
  g_settings_set_double (g, "train-margin", CLAMP (s->margin, 0.01, 100));
  g_settings_set_string (g, "train-optimizer", sf_optimizer_kind_name (s->optimizer.kind));
  g_settings_set_double (g, "train-learning-rate", CLAMP (s->optimizer.learning_rate, 1e-6, 10));
  g_settings_set_string (g, "train-schedule", sf_schedule_kind_name (s->optimizer.schedule));
  g_settings_set_double (g, "train-weight-decay", CLAMP (s->optimizer.weight_decay, 0, 1));
  g_settings_set_int (g, "train-epochs", CLAMP (s->epochs, 1, 100000));
  g_settings_set_int (g, "train-batch-size", CLAMP (s->batch_size, 1, 4096));
  g_settings_set_boolean (g, "train-augment-flip", s->augment.flip);
  g_settings_set_boolean (g, "train-augment-shift", s->augment.shift > 0);
  g_settings_set_boolean (g, "train-augment-rotate", s->augment.rotate_degrees > 0);
  g_settings_set_boolean (g, "train-augment-scale", s->augment.scale > 0);
  g_settings_set_boolean (g, "train-augment-light", s->augment.brightness > 0 || s->augment.contrast > 0);
  g_settings_set_enum (g, "default-split", (int) s->split);
  gboolean default_share = s->split_share <= 0 || close_enough (s->split_share, sf_split_default_share (s->split));
  g_settings_set_double (g, "train-split-share", default_share ? 0.0 : CLAMP (s->split_share, 0, 0.9));
  if (s->split != SF_SPLIT_PAIRS)
    g_settings_set_boolean (g, "train-new-pairs", s->new_pairs_each_epoch);
  if (with_seed)
    g_settings_set_uint (g, "default-seed", (guint) MIN (s->seed, 2147483647));
  self->updating = was_updating;
}

/* The keys whose changes reach the views. */
static gboolean
is_training_key (const char *key)
{
  return (g_str_has_prefix (key, "train-") && strcmp (key, "train-smoothing") != 0)
         || strcmp (key, "default-split") == 0;
}

static void
set_key_quietly (SfTrainingSettings *self, const char *key, GVariant *value)
{
  gboolean was_updating = self->updating;

  self->updating = TRUE;
  g_settings_set_value (self->settings, key, value);
  self->updating = was_updating;
}

/* Keeps the keys coherent after a change that is not the store's own. */
static void
react (SfTrainingSettings *self, const char *key)
{
  g_autofree char *name = g_settings_get_string (self->settings, "train-preset");
  SfPreset preset;

  if (strcmp (key, "train-preset") == 0)
    {
      /* A preset chosen anywhere brings all its settings. */
      if (sf_preset_parse (name, &preset))
        sf_training_settings_apply_preset (self, preset);
      return;
    }
  /* A new kind starts from its own default share. */
  if (strcmp (key, "default-split") == 0 && g_settings_get_double (self->settings, "train-split-share") != 0.0)
    set_key_quietly (self, "train-split-share", g_variant_new_double (0.0));
  if (sf_preset_parse (name, &preset))
    {
      SfTrainSettings s;
      sf_training_settings_get (self, &s);
      if (!match_preset (&s, preset))
        set_key_quietly (self, "train-preset", g_variant_new_string ("custom"));
      sf_train_settings_clear (&s);
    }
}

static void
gsettings_changed_cb (GSettings *settings, const char *key, SfTrainingSettings *self)
{
  gboolean training = is_training_key (key);

  if (!training && strcmp (key, "default-seed") != 0 && strcmp (key, "image-size") != 0)
    return;
  if (training && !self->updating)
    react (self, key);
  g_signal_emit (self, signals[CHANGED], g_quark_from_string (key), key);
}

static void
sf_training_settings_dispose (GObject *object)
{
  SfTrainingSettings *self = SF_TRAINING_SETTINGS (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sf_training_settings_parent_class)->dispose (object);
}

static void
sf_training_settings_class_init (SfTrainingSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sf_training_settings_dispose;

  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sf_training_settings_init (SfTrainingSettings *self)
{
  self->settings = g_settings_new (APP_ID);
  g_signal_connect (self->settings, "changed", G_CALLBACK (gsettings_changed_cb), self);

  /* A preset that is not "custom" is filled from the engine, which may have been tuned since. */
  g_autofree char *name = g_settings_get_string (self->settings, "train-preset");
  SfPreset preset;
  if (sf_preset_parse (name, &preset))
    sf_training_settings_apply_preset (self, preset);
}

/* GSettings string (or enum nick) ↔ a guint index into the names. */
static gboolean
get_index_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_uint (value, (guint) name_index (user_data, g_variant_get_string (variant, NULL)));
  return TRUE;
}

static GVariant *
set_index_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  const char *const *names = user_data;
  guint index = g_value_get_uint (value);

  if (index >= g_strv_length ((char **) names))
    return NULL;
  return g_variant_new_string (names[index]);
}

void
sf_training_settings_bind (SfTrainingSettings *self, const char *key, gpointer object, const char *property)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));
  g_return_if_fail (G_IS_OBJECT (object));

  g_settings_bind (self->settings, key, object, property, G_SETTINGS_BIND_DEFAULT);
}

void
sf_training_settings_bind_choice (SfTrainingSettings *self, const char *key, gpointer object, const char *property,
                                  const char *const *names)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));
  g_return_if_fail (G_IS_OBJECT (object));
  g_return_if_fail (names != NULL);

  g_settings_bind_with_mapping (self->settings, key, object, property, G_SETTINGS_BIND_DEFAULT,
                                get_index_mapping, set_index_mapping, (gpointer) names, NULL);
}

void
sf_training_settings_get (SfTrainingSettings *self, SfTrainSettings *s)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));
  g_return_if_fail (s != NULL);

  GSettings *g = self->settings;
  SfPreset preset = SF_PRESET_COMPACT;
  g_autofree char *preset_name = g_settings_get_string (g, "train-preset");
  g_autofree char *optimizer = g_settings_get_string (g, "train-optimizer");
  g_autofree char *schedule = g_settings_get_string (g, "train-schedule");

  sf_preset_parse (preset_name, &preset);
  memset (s, 0, sizeof *s);
  sf_train_settings_init_preset (s, preset);
  g_free (s->spec);
  s->spec = sf_training_settings_dup_spec (self);
  s->head = sf_training_settings_get_head (self);
  s->margin = (float) g_settings_get_double (g, "train-margin");
  s->epochs = g_settings_get_int (g, "train-epochs");
  s->batch_size = g_settings_get_int (g, "train-batch-size");
  sf_optimizer_kind_parse (optimizer, &s->optimizer.kind);
  s->optimizer.learning_rate = (float) g_settings_get_double (g, "train-learning-rate");
  sf_schedule_kind_parse (schedule, &s->optimizer.schedule);
  s->optimizer.weight_decay = (float) g_settings_get_double (g, "train-weight-decay");

  /* The switches turn the engine's default strengths on or off. */
  SfAugmentSettings strengths;
  sf_augment_settings_init_default (&strengths);
  s->augment = (SfAugmentSettings) { 0 };
  s->augment.flip = g_settings_get_boolean (g, "train-augment-flip");
  if (g_settings_get_boolean (g, "train-augment-shift"))
    s->augment.shift = strengths.shift;
  if (g_settings_get_boolean (g, "train-augment-rotate"))
    s->augment.rotate_degrees = strengths.rotate_degrees;
  if (g_settings_get_boolean (g, "train-augment-scale"))
    s->augment.scale = strengths.scale;
  if (g_settings_get_boolean (g, "train-augment-light"))
    {
      s->augment.brightness = strengths.brightness;
      s->augment.contrast = strengths.contrast;
    }
  s->split = sf_training_settings_get_split (self);
  s->split_share = sf_training_settings_get_split_share (self);
  s->seed = g_settings_get_uint (g, "default-seed");
  s->new_pairs_each_epoch = g_settings_get_boolean (g, "train-new-pairs") && s->split != SF_SPLIT_PAIRS;
  s->freeze = sf_training_settings_get_freeze (self);
}

gboolean
sf_training_settings_validate (SfTrainingSettings *self, GError **error)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), FALSE);

  SfTrainSettings s;
  sf_training_settings_get (self, &s);
  gboolean valid = sf_train_settings_validate (&s, error);
  sf_train_settings_clear (&s);
  return valid;
}

void
sf_training_settings_set (SfTrainingSettings *self, const SfTrainSettings *settings)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));
  g_return_if_fail (settings != NULL);

  const char *preset_name = "custom";
  if (match_preset (settings, SF_PRESET_COMPACT))
    preset_name = sf_preset_name (SF_PRESET_COMPACT);
  else if (match_preset (settings, SF_PRESET_ARTICLE))
    preset_name = sf_preset_name (SF_PRESET_ARTICLE);
  store (self, settings, preset_name, TRUE);
}

char *
sf_training_settings_dup_preset_name (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), NULL);

  return g_settings_get_string (self->settings, "train-preset");
}

void
sf_training_settings_apply_preset (SfTrainingSettings *self, SfPreset preset)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));

  SfTrainSettings s = { 0 };
  sf_train_settings_init_preset (&s, preset);
  store (self, &s, sf_preset_name (preset), FALSE);
  sf_train_settings_clear (&s);
}

gboolean
sf_training_settings_is_custom (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), TRUE);

  SfTrainSettings s;
  sf_training_settings_get (self, &s);
  gboolean custom = !match_preset (&s, SF_PRESET_COMPACT)
                    && !match_preset (&s, SF_PRESET_ARTICLE);
  sf_train_settings_clear (&s);
  return custom;
}

char *
sf_training_settings_dup_spec (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), NULL);

  g_autofree char *spec = g_settings_get_string (self->settings, "train-spec");
  g_autofree char *preset = g_settings_get_string (self->settings, "train-preset");

  if (*g_strstrip (spec) != '\0')
    return g_steal_pointer (&spec);
  /* A custom preset with no spec of its own falls back to the default's. */
  const char *own = sf_spec_preset (preset);
  return g_strdup (own != NULL ? own : SF_SPEC_COMPACT);
}

void
sf_training_settings_set_spec (SfTrainingSettings *self, const char *spec)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));
  g_return_if_fail (spec != NULL);

  g_autofree char *saved = g_settings_get_string (self->settings, "train-spec");
  if (g_strcmp0 (saved, spec) != 0)
    g_settings_set_string (self->settings, "train-spec", spec);
}

SfHeadKind
sf_training_settings_get_head (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), SF_HEAD_CONTRASTIVE);

  g_autofree char *name = g_settings_get_string (self->settings, "train-head");
  SfHeadKind head;
  if (!sf_head_kind_parse (name, &head))
    head = SF_HEAD_CONTRASTIVE;
  return head;
}

double
sf_training_settings_get_margin (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), 1.0);

  return g_settings_get_double (self->settings, "train-margin");
}

int
sf_training_settings_get_image_size (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), SF_DEFAULT_IMAGE_SIZE);

  return g_settings_get_int (self->settings, "image-size");
}

double
sf_training_settings_get_dropout (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), 0.0);

  g_autofree char *spec = sf_training_settings_dup_spec (self);
  return spec_dropout (spec);
}

void
sf_training_settings_set_dropout (SfTrainingSettings *self, double rate)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));

  g_autofree char *spec = sf_training_settings_dup_spec (self);
  if (fabs (spec_dropout (spec) - rate) < 1e-6)
    return;
  g_autofree char *changed = spec_with_dropout (spec, rate);
  g_settings_set_string (self->settings, "train-spec", changed);
}

SfSplitKind
sf_training_settings_get_split (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), SF_SPLIT_PEOPLE);

  return (SfSplitKind) g_settings_get_enum (self->settings, "default-split");
}

double
sf_training_settings_get_split_share (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), 0.0);

  double share = g_settings_get_double (self->settings, "train-split-share");
  return share > 0 ? share : sf_split_default_share (sf_training_settings_get_split (self));
}

void
sf_training_settings_set_split_share (SfTrainingSettings *self, double share)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));

  double stored = close_enough (share, sf_split_default_share (sf_training_settings_get_split (self))) ? 0.0 : share;
  g_settings_set_double (self->settings, "train-split-share", stored);
}

SfTrainingSettings *
sf_training_settings_new (void)
{
  return g_object_new (SF_TYPE_TRAINING_SETTINGS, NULL);
}

SfTrainingSettings *
sf_training_settings_dup_default (void)
{
  if (default_store != NULL)
    return g_object_ref (default_store);
  default_store = sf_training_settings_new ();
  g_object_add_weak_pointer (G_OBJECT (default_store), (gpointer *) &default_store);
  return default_store;
}

const char *const sf_start_from_names[] = { "scratch", "current", "file", NULL };

SfStartFrom
sf_training_settings_get_start_from (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), SF_START_SCRATCH);

  g_autofree char *name = g_settings_get_string (self->settings, "train-start-from");
  return (SfStartFrom) name_index (sf_start_from_names, name);
}

void
sf_training_settings_set_start_from (SfTrainingSettings *self, SfStartFrom start)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));
  g_return_if_fail ((guint) start <= SF_START_MODEL_FILE);

  g_settings_set_string (self->settings, "train-start-from", sf_start_from_names[start]);
}

char *
sf_training_settings_dup_init_file (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), NULL);

  g_autofree char *path = g_settings_get_string (self->settings, "train-init-file");
  return *path != '\0' ? g_steal_pointer (&path) : NULL;
}

void
sf_training_settings_set_init_file (SfTrainingSettings *self, const char *path)
{
  g_return_if_fail (SF_IS_TRAINING_SETTINGS (self));

  g_settings_set_string (self->settings, "train-init-file", path != NULL ? path : "");
}

int
sf_training_settings_get_freeze (SfTrainingSettings *self)
{
  g_return_val_if_fail (SF_IS_TRAINING_SETTINGS (self), 0);

  if (sf_training_settings_get_start_from (self) == SF_START_SCRATCH)
    return 0;
  return g_settings_get_int (self->settings, "train-freeze");
}
