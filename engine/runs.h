/* Runs: every training run kept and comparable. A run is one folder holding
 * run.json (settings, seed, dataset, history, results, status, name, group)
 * and model.safetensors (its checkpoint); a run store is a folder of such
 * folders. run.json is read as hostile input: a bad run folder gives a
 * message naming it, and the other runs still list. */
#pragma once

#include "dataset.h"
#include "evaluation.h"
#include "trainer.h"

G_BEGIN_DECLS

#define SF_RUN_JSON "run.json"
#define SF_RUN_MODEL "model.safetensors"
#define SF_RUN_FORMAT "siamese-faces-run/1"

typedef enum {
  SF_RUN_FINISHED,      /* every epoch done */
  SF_RUN_STOPPED,       /* cancelled; the model holds what was learnt so far */
  SF_RUN_FAILED,        /* e.g. a NaN loss; message says why */
} SfRunStatus;

/* The results a run is compared by; NAN when not measured. */
typedef enum {
  SF_RUN_RESULT_ACCURACY,     /* validation accuracy at the run's threshold */
  SF_RUN_RESULT_EER,
  SF_RUN_RESULT_AUC,
  SF_RUN_RESULT_TAR_FAR_1,    /* TAR at FAR 1 % */
  SF_RUN_RESULT_RANK1,        /* one-shot rank-1 over the whole dataset */
  SF_RUN_RESULT_SECONDS,      /* the run's duration */
  SF_RUN_N_RESULTS,
} SfRunResult;

typedef struct {
  int epoch;                  /* the epoch the model was taken at (0: unknown) */
  double values[SF_RUN_N_RESULTS];
  double validation_loss;     /* NAN without validation */
} SfRunMetrics;

typedef struct {
  char *id;                   /* the folder's name, unique in its store */
  char *folder;               /* the run's folder */
  char *name;                 /* user-editable; never NULL */
  char *group;                /* same settings but the seed, same dataset: sf_run_group_key */
  char *key;                  /* settings (seed included) and dataset: sf_run_key */
  char *settings_json;        /* SfTrainSettings as checkpoints store them */
  SfTrainSettings settings;
  char *dataset_fingerprint;  /* may be NULL */
  char *dataset_path;         /* may be NULL (the demo faces) */
  SfEpochRecord *history;
  int n_history;
  float threshold;            /* the model's threshold (EER rule) */
  SfRunMetrics final;         /* of the model file, judged on the run's validation pairs */
  SfRunMetrics best;          /* the best validation epoch by validation loss (from the history:
                               * only loss and accuracy known unless the model holds that epoch) */
  double duration_seconds;
  SfRunStatus status;
  char *message;              /* why it failed; may be NULL */
  gboolean has_model;         /* FALSE only for a failed run (it failed before it had a model) */
  gint64 created;             /* Unix time */
} SfRun;

const char   *sf_run_status_name     (SfRunStatus status);   /* "finished", "stopped", "failed" */
gboolean      sf_run_status_parse    (const char *name, SfRunStatus *status);
/* "accuracy", "eer", "auc", "tar_far_1", "rank1", "seconds". */
const char   *sf_run_result_name     (SfRunResult result);
gboolean      sf_run_result_parse    (const char *name, SfRunResult *result);
/* TRUE for results where more is better (all but EER and seconds). */
gboolean      sf_run_result_higher_is_better (SfRunResult result);

/* What identifies a run for resuming a sweep: a hex digest of the settings
 * (seed included) and the dataset's fingerprint. */
char         *sf_run_key             (const SfTrainSettings *settings, const char *dataset_fingerprint);
/* The same without the seed: runs of one sweep combination over seeds. */
char         *sf_run_group_key       (const SfTrainSettings *settings, const char *dataset_fingerprint);

/* Reads folder/run.json (and checks folder/model.safetensors exists, but
 * for a failed run, which may have none). A run
 * folder can be opened directly this way. Messages name the folder. */
SfRun        *sf_run_load            (const char *folder, GError **error);
void          sf_run_free            (SfRun *run);
/* Renames the run and rewrites its run.json atomically. */
gboolean      sf_run_set_name        (SfRun *run, const char *name, GError **error);
/* Removes the run's folder: run.json, the model and their stale temporaries
 * only (a folder holding anything else stays, with an error). */
gboolean      sf_run_delete          (SfRun *run, GError **error);
/* The run's model file. */
char         *sf_run_get_model_path  (const SfRun *run);
/* One setting as text for tables ("0.001", "cosine"), by its name in the
 * settings JSON ("learning_rate", "seed"); NULL when the run has none. */
char         *sf_run_get_setting     (const SfRun *run, const char *name);

typedef struct _SfRunStore SfRunStore;

/* g_get_user_data_dir ()/siamese-faces/runs */
char         *sf_run_store_default_root (void);
/* A store rooted at root (NULL: the default); the folder is made on the
 * first run recorded. */
SfRunStore   *sf_run_store_new       (const char *root);
void          sf_run_store_free      (SfRunStore *store);
const char   *sf_run_store_get_root  (SfRunStore *store);
/* Every run in the store, oldest first (GPtrArray of SfRun, freeing them).
 * A folder that is not a good run adds one message naming it to *problems
 * (GPtrArray of strings; may be NULL) and the rest still list. A missing
 * root is an empty store; FALSE only when the root cannot be read. */
GPtrArray    *sf_run_store_list      (SfRunStore *store, GPtrArray **problems, GError **error);

/* Records what a trainer (not running) did as a new run in the store: saves
 * its model with its settings, history and threshold as model.safetensors,
 * judges it on its validation pairs (rank-1 too when `rank1`), and writes
 * run.json last (a folder without it is an unfinished run). `evaluation`,
 * when given, is the trainer's own (sf_evaluation_new_for_trainer) and saves
 * judging it again; `message` says why a failed run failed. */
SfRun        *sf_run_store_record    (SfRunStore *store, SfTrainer *trainer, const SfDataset *dataset,
                                      SfRunStatus status, const char *message, double duration_seconds,
                                      const SfEvaluation *evaluation, gboolean rank1, GError **error);

/* Records a run that failed before a trainer could train (the dataset
 * could not be read, the settings refused, out of memory): run.json only,
 * status failed, with `message`. The dataset's fingerprint and path may be
 * NULL (unknown). */
SfRun        *sf_run_store_record_failure (SfRunStore *store, const SfTrainSettings *settings,
                                           const char *dataset_fingerprint, const char *dataset_path,
                                           const char *message, double duration_seconds, GError **error);

/* ---- comparing runs ---- */

/* The settings (names in the settings JSON, in its order) whose values
 * differ between the runs; NULL-terminated (g_strfreev). */
char        **sf_runs_differing_settings (SfRun *const *runs, guint n_runs);
/* CSV with a header: id, name, group, status, dataset, one column per
 * differing setting, then epochs, best_epoch, threshold and every result. */
char         *sf_runs_to_csv         (SfRun *const *runs, guint n_runs);

/* One group's results over its runs (of any status but failed). */
typedef struct {
  char *group;
  SfRun *example;             /* its first run (not owned): settings, dataset */
  int n_runs;
  double mean[SF_RUN_N_RESULTS];
  double sd[SF_RUN_N_RESULTS];  /* sample standard deviation; 0 for one run; NAN-free means skip NANs */
} SfRunGroupSummary;

/* Groups runs (runs must outlive the result), sorted by `sort_by`'s mean,
 * best first, unmeasured last. GPtrArray of SfRunGroupSummary. */
GPtrArray    *sf_runs_summarize      (SfRun *const *runs, guint n_runs, SfRunResult sort_by);
void          sf_run_group_summary_free (SfRunGroupSummary *summary);
/* The summary as CSV (group, n_runs, the differing settings, mean and sd of
 * every result) and as JSON. */
char         *sf_runs_summary_to_csv  (GPtrArray *summaries);
char         *sf_runs_summary_to_json (GPtrArray *summaries);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfRun, sf_run_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfRunStore, sf_run_store_free)

G_END_DECLS
