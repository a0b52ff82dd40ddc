/* A trained model in one safetensors file: the tensors as the equivalent
 * PyTorch module names them, and in __metadata__ the format version, tower
 * spec, head, input size, pixel scaling, training settings, history, chosen
 * threshold and the fingerprint of the dataset it was trained on. */
#pragma once

#include "model.h"
#include "trainer.h"

G_BEGIN_DECLS

#define SF_CHECKPOINT_FORMAT "siamese-faces/1"
#define SF_CHECKPOINT_PIXEL_SCALING "grey float32 in [0, 1]; Olivetti: global min-max as scikit-learn; files: value / maxval; resized by area averaging"

typedef struct {
  SfModel *model;
  SfTrainSettings settings;
  SfEpochRecord *history;
  int n_history;
  float threshold;              /* score >= threshold means "same person" */
  char *dataset_fingerprint;    /* may be NULL */
  char *dataset_source;         /* may be NULL */
  /* Metadata 'epoch' and 'kept': the epoch whose weights these are (1-based;
   * 0 when unknown, as in files older than the key) and the rule that chose
   * it (last, or best by loss or EER); epoch may be below n_history. */
  int epoch;
  SfKeepBest kept;
} SfCheckpoint;

/* Writes a temporary file beside path, fsyncs it and renames it over path. */
gboolean      sf_checkpoint_save (const char *path, SfModel *model, const SfTrainSettings *settings,
                                  const SfEpochRecord *history, int n_history, float threshold,
                                  const char *dataset_fingerprint, const char *dataset_source,
                                  GError **error);
/* The same, saying which epoch the weights are of (`epoch` > 0, chosen by
 * `kept`; 0 writes no key). */
gboolean      sf_checkpoint_save_epoch (const char *path, SfModel *model, const SfTrainSettings *settings,
                                        const SfEpochRecord *history, int n_history, float threshold,
                                        const char *dataset_fingerprint, const char *dataset_source,
                                        int epoch, SfKeepBest kept, GError **error);
/* Saves a whole checkpoint, its epoch too, with `threshold`. */
gboolean      sf_checkpoint_write (const char *path, const SfCheckpoint *checkpoint, float threshold,
                                   GError **error);
/* What a finished or stopped run keeps: a copy of the trainer's model, its
 * settings and history, `threshold`, and the dataset's fingerprint and
 * source, and the epoch the model holds. NULL when the model cannot be
 * copied (out of memory). Call it when the trainer is not running. */
SfCheckpoint *sf_checkpoint_new_from_trainer (SfTrainer *trainer, const SfDataset *dataset, float threshold);
/* Reads and validates every tensor against the spec in its metadata. */
SfCheckpoint *sf_checkpoint_load (const char *path, GError **error);
void          sf_checkpoint_free (SfCheckpoint *checkpoint);

/* The history as a JSON array and back (also used by the GUI's CSV export). */
char         *sf_history_to_json   (const SfEpochRecord *history, int n_history);
gboolean      sf_history_from_json (const char *json, SfEpochRecord **history, int *n_history, GError **error);
/* CSV with a header line: epoch,loss,accuracy,val_loss,val_accuracy,seconds,pairs_per_second,learning_rate */
char         *sf_history_to_csv    (const SfEpochRecord *history, int n_history);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfCheckpoint, sf_checkpoint_free)

G_END_DECLS
