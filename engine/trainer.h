/* Training a Siamese model on a dataset's pairs, on a worker thread, with
 * progress reported through a callback. Pause, resume and cancel take effect
 * within one batch. */
#pragma once

#include "augment.h"
#include "dataset.h"
#include "identity-loss.h"
#include "model.h"
#include "optimizer.h"
#include "pairs.h"

G_BEGIN_DECLS

/* The weights a run ends with: the last epoch's, or those of the epoch with
 * the lowest validation loss or EER (scored as in training, unmirrored). */
typedef enum {
  SF_KEEP_LAST,
  SF_KEEP_BEST_LOSS,
  SF_KEEP_BEST_EER,
} SfKeepBest;

gboolean     sf_keep_best_parse (const char *name, SfKeepBest *keep);  /* "last", "loss", "eer" */
const char  *sf_keep_best_name  (SfKeepBest keep);

typedef struct {
  char *spec;                      /* tower spec (owned) */
  SfHeadKind head;
  float margin;                    /* contrastive head only */
  int epochs;
  int batch_size;
  SfOptimizerSettings optimizer;
  SfAugmentSettings augment;
  SfSplitKind split;
  double split_share;              /* <= 0: the split's default */
  guint64 seed;
  gboolean new_pairs_each_epoch;   /* the article draws its pairs once */
  gboolean all_pairs;              /* contrastive head: the loss covers every pair of images in a
                                    * batch, not only the drawn pairs (sf_model_train_batch_all_pairs) */
  float temperature;               /* with all_pairs and a tower ending with l2norm: > 0 for the
                                    * softmax loss at this temperature (sf_all_pairs_softmax; the
                                    * margin then only scales the score), 0 for the contrastive loss
                                    * over the pairs (always used by other towers) */
  SfIdentityLoss identity_loss;    /* not NONE: ArcFace or CosFace over the training people instead of
                                    * the pair loss; a tower ending with l2norm and the contrastive head
                                    * (whose score maps distance to [0, 1]) */
  float identity_scale;            /* s of the identity loss, > 0 */
  float identity_margin;           /* m: radians for ArcFace, cosine for CosFace */
  float pair_weight;               /* with an identity loss and all_pairs: > 0 adds the all-pairs loss
                                    * (softmax at `temperature`, or contrastive) times this; 0 for the
                                    * identity loss alone */
  SfKeepBest keep_best;            /* which epoch's weights the model ends with */
  int patience;                    /* with keep_best: stop after this many epochs without a better
                                    * validation value; 0 never stops early */
  /* Fine-tuning (sf_trainer_new_from, transfer.h): where the run started and what it kept fixed. */
  int freeze;                      /* the first N layers (spec tokens, from 1) keep their weights */
  char *init_name;                 /* the model file the weights came from (its base name); NULL: from scratch */
  char *init_fingerprint;          /* their sf_model_fingerprint (gallery.h; set by the trainer) */
  int init_epochs;                 /* the epochs of that file's history */
} SfTrainSettings;

/* The compact preset's softmax temperature, chosen over seeds 0-4
 * (docs/PERFORMANCE.md, "Why the compact preset is what it is"). */
#define SF_SOFTMAX_TEMPERATURE 0.3f

typedef enum {
  SF_PRESET_ARTICLE,
  SF_PRESET_COMPACT,
} SfPreset;

/* Fills settings with a preset: `article` is the article's exact network and
 * settings; `compact` the fast default. Frees any spec already there. */
void         sf_train_settings_init_preset (SfTrainSettings *settings, SfPreset preset);
void         sf_train_settings_clear       (SfTrainSettings *settings);
void         sf_train_settings_copy        (SfTrainSettings *dst, const SfTrainSettings *src);
gboolean     sf_preset_parse               (const char *name, SfPreset *preset);
const char  *sf_preset_name                (SfPreset preset);
gboolean     sf_train_settings_validate    (const SfTrainSettings *settings, GError **error);
/* The settings as one JSON object (for checkpoints), and back. */
char        *sf_train_settings_to_json     (const SfTrainSettings *settings);
gboolean     sf_train_settings_from_json   (SfTrainSettings *settings, const char *json, GError **error);

/* One epoch of history. Validation values are NAN when there is no validation part. */
typedef struct {
  int epoch;                 /* 1-based */
  double loss;
  double accuracy;
  double validation_loss;
  double validation_accuracy;
  double seconds;
  double pairs_per_second;
  double learning_rate;
} SfEpochRecord;

typedef enum {
  SF_TRAIN_EVENT_STARTED,
  SF_TRAIN_EVENT_BATCH,      /* after every training batch */
  SF_TRAIN_EVENT_EPOCH,      /* after every epoch, with its record */
  SF_TRAIN_EVENT_FINISHED,   /* all epochs done */
  SF_TRAIN_EVENT_CANCELLED,  /* stopped by sf_trainer_cancel; the model keeps what it learnt */
  SF_TRAIN_EVENT_FAILED,     /* message says why (e.g. NaN loss) */
} SfTrainEventKind;

typedef struct {
  SfTrainEventKind kind;
  int epoch;                 /* 1-based, the epoch under way */
  int n_epochs;
  int batch;                 /* 1-based within the epoch */
  int n_batches;
  double batch_loss;
  double epoch_loss;         /* running mean over the epoch so far */
  double epoch_accuracy;
  double elapsed_seconds;    /* since the run started */
  SfEpochRecord record;      /* SF_TRAIN_EVENT_EPOCH */
  const char *message;       /* SF_TRAIN_EVENT_FAILED */
} SfTrainEvent;

/* Called on the thread that trains. The event is valid during the call only. */
typedef void (*SfTrainCallback) (const SfTrainEvent *event, gpointer user_data);

typedef struct _SfTrainer SfTrainer;

/* Builds the model, its pairs and its optimizer. The dataset must outlive the trainer. */
SfTrainer      *sf_trainer_new        (const SfDataset *dataset, const SfTrainSettings *settings,
                                       GError **error);
/* Fine-tuning: as sf_trainer_new, but the model starts from init's weights
 * (sf_transfer_weights: the same layers and input size, or an error naming
 * the first layer that differs) and keeps settings->freeze layers fixed
 * (sf_model_freeze_layers). The trainer's settings take init's fingerprint;
 * init_name and init_epochs are the caller's to fill in. With init NULL the
 * run starts from scratch: the settings' init_* and freeze are cleared. */
SfTrainer      *sf_trainer_new_from   (const SfDataset *dataset, const SfTrainSettings *settings,
                                       const SfModel *init, GError **error);
void            sf_trainer_free       (SfTrainer *trainer);

/* Trains on the calling thread until done, cancelled or failed; returns FALSE
 * with the error on failure (cancel is not a failure). */
gboolean        sf_trainer_run        (SfTrainer *trainer, SfTrainCallback callback, gpointer user_data,
                                       GError **error);
/* Trains on a new worker thread; join with sf_trainer_join. */
gboolean        sf_trainer_start      (SfTrainer *trainer, SfTrainCallback callback, gpointer user_data,
                                       GError **error);
/* Waits for the worker; returns what sf_trainer_run would have. */
gboolean        sf_trainer_join       (SfTrainer *trainer, GError **error);
/* Thread-safe, from any thread. */
void            sf_trainer_pause      (SfTrainer *trainer);
void            sf_trainer_resume     (SfTrainer *trainer);
void            sf_trainer_cancel     (SfTrainer *trainer);
gboolean        sf_trainer_is_paused  (SfTrainer *trainer);
/* Blocks until the run has stopped for a pause (TRUE: no batch runs until
 * sf_trainer_resume or sf_trainer_cancel), or the run is over or timeout_ms
 * passed (FALSE). For whoever must know a pause took effect: a test, a view
 * that says "Paused" only once it is true. */
gboolean        sf_trainer_wait_paused (SfTrainer *trainer, guint timeout_ms);

SfModel        *sf_trainer_get_model  (SfTrainer *trainer);
const SfPairSet *sf_trainer_get_pairs (SfTrainer *trainer);
const SfTrainSettings *sf_trainer_get_settings (SfTrainer *trainer);
const SfDataset *sf_trainer_get_dataset (SfTrainer *trainer);
/* The identity loss's classes: the number of people it trains on, and
 * (class_of_person may be NULL) each dataset person's class, -1 for people
 * who are not classes (held out). 0 and NULL without an identity loss. */
int             sf_trainer_get_identity_classes (SfTrainer *trainer, const int **class_of_person);
/* The epoch whose weights the model holds (1-based; 0 before the first):
 * the last one, or with settings.keep_best the best one once the run is
 * over. Read it when the trainer is not running. */
int             sf_trainer_get_model_epoch (SfTrainer *trainer);
/* The epochs completed so far (read it when the trainer is not running). */
const SfEpochRecord *sf_trainer_get_history (SfTrainer *trainer, int *n_epochs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfTrainer, sf_trainer_free)

G_END_DECLS
