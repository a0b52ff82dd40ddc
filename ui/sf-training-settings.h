/* The training settings the Train and Model views share, kept in GSettings:
 * the keys read as an SfTrainSettings and written from one, presets, when
 * the settings are "custom", the spec's dropout and the split's share. No
 * widgets: a test drives it with GSETTINGS_BACKEND=memory and no display. */
#pragma once

#include <gio/gio.h>

#include "trainer.h"

G_BEGIN_DECLS

#define SF_TYPE_TRAINING_SETTINGS (sf_training_settings_get_type ())

G_DECLARE_FINAL_TYPE (SfTrainingSettings, sf_training_settings, SF, TRAINING_SETTINGS, GObject)

/* The store the views share (a new reference; created on first use, gone
 * with its last user). One store reacts to each change, so a preset is
 * filled in once and two views never undo each other's writes. */
SfTrainingSettings *sf_training_settings_dup_default (void);
/* A store of its own on the application's GSettings (tests). */
SfTrainingSettings *sf_training_settings_new         (void);

/* ::changed (const char *key), detailed by the key: a training key (also
 * default-split, default-seed, image-size) changed, emitted once the store
 * has brought the other keys in line (a preset filled in, "custom" set). */

/* Two-way bindings of a key to a property of any GObject (a form's rows). */
void      sf_training_settings_bind          (SfTrainingSettings *self, const char *key, gpointer object,
                                              const char *property);
/* A string key (or enum nick) to a guint property such as "selected": the
 * index of the key's value in `names` (NULL-terminated, kept by the caller). */
void      sf_training_settings_bind_choice   (SfTrainingSettings *self, const char *key, gpointer object,
                                              const char *property, const char *const *names);

/* The settings the next run uses (what the form does not show, such as
 * Adam's β or the augmentation strengths, comes from the preset). Clear
 * them with sf_train_settings_clear. */
void      sf_training_settings_get           (SfTrainingSettings *self, SfTrainSettings *settings);
gboolean  sf_training_settings_validate      (SfTrainingSettings *self, GError **error);
/* Writes every key from `settings` (an opened model's), the seed too; the
 * preset becomes the one they match, else "custom". */
void      sf_training_settings_set           (SfTrainingSettings *self, const SfTrainSettings *settings);

/* "compact", "article" or "custom". */
char     *sf_training_settings_dup_preset_name (SfTrainingSettings *self);
/* Fills every key from the engine's preset, the seed aside. */
void      sf_training_settings_apply_preset  (SfTrainingSettings *self, SfPreset preset);
/* Whether the settings differ from every preset (the seed aside). */
gboolean  sf_training_settings_is_custom     (SfTrainingSettings *self);

/* The tower spec of the next run: the key's own, or the preset's when empty. */
char     *sf_training_settings_dup_spec      (SfTrainingSettings *self);
void      sf_training_settings_set_spec      (SfTrainingSettings *self, const char *spec);
SfHeadKind sf_training_settings_get_head     (SfTrainingSettings *self);
double    sf_training_settings_get_margin    (SfTrainingSettings *self);
/* The input side the spec is drawn and counted at (the Preferences' image size). */
int       sf_training_settings_get_image_size (SfTrainingSettings *self);
/* The rate of the spec's first drop layer, 0 without one. Setting it
 * rewrites every drop layer (none at 0; one before the last layer when the
 * spec had none). */
double    sf_training_settings_get_dropout   (SfTrainingSettings *self);
void      sf_training_settings_set_dropout   (SfTrainingSettings *self, double rate);
/* The held-out share of the split (its default unless set); the split's
 * default is stored as 0, so another split starts from its own default. */
double    sf_training_settings_get_split_share (SfTrainingSettings *self);
void      sf_training_settings_set_split_share (SfTrainingSettings *self, double share);
SfSplitKind sf_training_settings_get_split   (SfTrainingSettings *self);

/* Fine-tuning: where the next run's weights start (train-start-from), the
 * model file for SF_START_MODEL_FILE (NULL when none is chosen), and the
 * layers to freeze (0 from scratch, whatever the key holds; settings.freeze
 * from sf_training_settings_get follows the same rule). */
typedef enum {
  SF_START_SCRATCH,
  SF_START_CURRENT_MODEL,
  SF_START_MODEL_FILE,
} SfStartFrom;

SfStartFrom sf_training_settings_get_start_from (SfTrainingSettings *self);
void        sf_training_settings_set_start_from (SfTrainingSettings *self, SfStartFrom start);
char       *sf_training_settings_dup_init_file  (SfTrainingSettings *self);
void        sf_training_settings_set_init_file  (SfTrainingSettings *self, const char *path);
int         sf_training_settings_get_freeze     (SfTrainingSettings *self);
/* The key's values in SfStartFrom's order, for sf_training_settings_bind_choice. */
extern const char *const sf_start_from_names[];

G_END_DECLS
