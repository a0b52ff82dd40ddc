/* Planning a sweep over training settings: a grid (every combination of
 * listed values) or a random search (values drawn from ranges or lists),
 * each combination over several seeds; and which planned runs a run store
 * already holds, so a sweep started again runs only what is missing. */
#pragma once

#include "runs.h"
#include "trainer.h"

G_BEGIN_DECLS

typedef struct _SfSweep SfSweep;

/* A sweep around base (copied): with nothing added, one combination, seed base->seed. */
SfSweep   *sf_sweep_new         (const SfTrainSettings *base);
void       sf_sweep_free        (SfSweep *sweep);
/* "NAME=V1,V2,…": NAME is a member of the settings JSON ("learning_rate",
 * "temperature", "augment"…; also "lr", "batch", and '-' for '_'). Values
 * are checked against the member's type. Not "seed": see set_seeds. */
gboolean   sf_sweep_add_grid    (SfSweep *sweep, const char *spec, GError **error);
/* "NAME=LO:HI" or "NAME=LO:HI:log" (drawn log-uniformly), for numeric
 * settings; integers are rounded. Used by random search only. */
gboolean   sf_sweep_add_range   (SfSweep *sweep, const char *spec, GError **error);
/* "0-4", "0,3,7" or a mix ("0-2,9"). */
gboolean   sf_sweep_set_seeds   (SfSweep *sweep, const char *spec, GError **error);
/* n > 0: random search of n combinations drawn with `seed` (grid lists are
 * then drawn from too); 0: the grid. */
void       sf_sweep_set_random  (SfSweep *sweep, int n, guint64 seed);

/* Every planned run, combination by combination, each over the seeds in
 * order: an array of SfTrainSettings (g_array_unref clears them), and the
 * number of combinations. FALSE when a combination is invalid. */
GArray    *sf_sweep_expand      (SfSweep *sweep, int *n_combinations, GError **error);

/* The set of keys (sf_run_key) of the store's finished runs on a dataset. */
GHashTable *sf_sweep_finished_keys (SfRunStore *store, GError **error);

/* Trains one planned run on the calling thread and records it in store
 * whatever its end: finished, stopped (cancellable cancelled: the run stops
 * within a batch) or failed (the trainer could not be built, e.g. refused
 * settings or out of memory, or training failed), with its message, so a
 * sweep moves on to the next run. Judged with rank-1 too when `rank1`.
 * callback (may be NULL) sees every training event. NULL only when the run
 * could not be recorded. */
SfRun     *sf_sweep_train_run   (SfRunStore *store, const SfDataset *dataset, const SfTrainSettings *settings,
                                 gboolean rank1, SfTrainCallback callback, gpointer user_data,
                                 GCancellable *cancellable, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfSweep, sf_sweep_free)

G_END_DECLS
