/* The tiny test model: the compact preset's training with a tower small
 * enough to train two or three epochs of the demo faces in a fraction of a second. */
#include "sf-test-model.h"

#define SF_TEST_SPEC "pool2 conv8k3-bn-relu pool2 gap dense16"

SfCheckpoint *
sf_test_train_checkpoint (const SfDataset *dataset, int epochs, GError **error)
{
  g_return_val_if_fail (dataset != NULL, NULL);

  SfTrainSettings settings = { 0 };
  sf_train_settings_init_preset (&settings, SF_PRESET_COMPACT);
  g_free (settings.spec);
  settings.spec = g_strdup (SF_TEST_SPEC);
  settings.epochs = epochs;
  settings.seed = 7;

  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, error);
  if (trainer == NULL || !sf_trainer_run (trainer, NULL, NULL, error))
    {
      sf_train_settings_clear (&settings);
      return NULL;
    }
  sf_train_settings_clear (&settings);

  return sf_checkpoint_new_from_trainer (trainer, dataset, 0.5f);
}
