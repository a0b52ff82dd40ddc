/* SfTrainingRun: one engine trainer on its worker thread, bridged to the
 * main loop. Events arrive as signals on the main thread, coalesced (batch
 * progress: the latest only; epoch records: every one, in order, also kept
 * as the run's history); events of
 * an older run are dropped; the worker is joined only after it has reported
 * its end, so the main loop never waits for it. GLib/GIO only. */
#pragma once

#include <gio/gio.h>

#include "sf-face-list.h"
#include "trainer.h"

G_BEGIN_DECLS

#define SF_TYPE_TRAINING_RUN (sf_training_run_get_type ())

G_DECLARE_FINAL_TYPE (SfTrainingRun, sf_training_run, SF, TRAINING_RUN, GObject)

SfTrainingRun         *sf_training_run_new          (void);

/* Builds a trainer for faces' dataset (kept alive by a reference) and starts
 * it. FALSE with the reason when the settings are refused (bad spec, bad
 * numbers) or a run is under way. A finished run's trainer is replaced. */
gboolean               sf_training_run_start        (SfTrainingRun *self, SfFaceList *faces,
                                                     const SfTrainSettings *settings, GError **error);
/* The same, the model starting from init's weights (fine-tuning,
 * sf_trainer_new_from; init is copied, NULL starts from scratch). */
gboolean               sf_training_run_start_from   (SfTrainingRun *self, SfFaceList *faces,
                                                     const SfTrainSettings *settings, const SfModel *init,
                                                     GError **error);
void                   sf_training_run_pause        (SfTrainingRun *self);
void                   sf_training_run_resume       (SfTrainingRun *self);
/* Asks the worker to stop within a batch; "cancelled" follows. */
void                   sf_training_run_cancel       (SfTrainingRun *self);

/* "running": started and its end not yet delivered (it falls after the
 * "finished", "cancelled" or "failed" signal). "paused": while running. */
gboolean               sf_training_run_get_running  (SfTrainingRun *self);
gboolean               sf_training_run_get_paused   (SfTrainingRun *self);
/* The latest progress (kind BATCH, EPOCH or STARTED); zeroed before the first. */
const SfTrainEvent    *sf_training_run_get_progress (SfTrainingRun *self);
/* Seconds the run has trained, pauses excluded. */
double                 sf_training_run_get_active_seconds (SfTrainingRun *self);
/* The epochs the last run has reported so far, in order (n_epochs set when
 * not NULL); empty before the first. Main thread; valid until the next
 * epoch is delivered or the next run starts. */
const SfEpochRecord   *sf_training_run_get_history  (SfTrainingRun *self, int *n_epochs);
/* The trainer of the last run (its model, pairs, settings and history), or
 * NULL; read its model only when not running. */
SfTrainer             *sf_training_run_get_trainer  (SfTrainingRun *self);
SfFaceList            *sf_training_run_get_faces    (SfTrainingRun *self);

G_END_DECLS
