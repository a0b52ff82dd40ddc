/* The Train view: the form of the training settings (SfTrainingSettings,
 * shared with the Model and Pairs views), Start/Pause/Resume/Stop, progress
 * of the whole run and of the epoch, and live loss, accuracy and learning
 * rate curves. An ended run's model becomes the session's by itself only
 * when there is none, or when the run finished and the current model is the
 * previous run's, never saved; a stopped run never replaces a model. Else it
 * waits here for "Use This Model". */
#pragma once

#include <gtk/gtk.h>

#include "sf-runs-view.h"
#include "sf-session.h"
#include "sf-training-curves.h"
#include "sf-training-run.h"

G_BEGIN_DECLS

#define SF_TYPE_TRAIN_VIEW (sf_train_view_get_type ())

G_DECLARE_FINAL_TYPE (SfTrainView, sf_train_view, SF, TRAIN_VIEW, GtkWidget)

GtkWidget *sf_train_view_new         (void);
/* The shared state the view shows; set once by the window. */
void       sf_train_view_set_session (SfTrainView *self, SfSession *session);

/* The same as the train.start/pause/resume/stop actions. */
gboolean   sf_train_view_start       (SfTrainView *self, GError **error);
void       sf_train_view_pause       (SfTrainView *self);
void       sf_train_view_resume      (SfTrainView *self);
void       sf_train_view_stop        (SfTrainView *self);
/* "running": a run is under way (also while it winds down); "paused". */
gboolean   sf_train_view_get_running (SfTrainView *self);
gboolean   sf_train_view_get_paused  (SfTrainView *self);

/* The last run's model while it is not the session's (the run ended and a
 * model it may not replace was current), else NULL. */
const SfCheckpoint *sf_train_view_get_ended_model (SfTrainView *self);
/* "Use This Model" (train.use-run, Ctrl+U): the ended run's model becomes
 * the session's; when the current one has unsaved changes, a dialog asks
 * first. FALSE when there is no such model or a run is under way. */
gboolean   sf_train_view_use_run     (SfTrainView *self);

SfTrainingCurves *sf_train_view_get_curves (SfTrainView *self);
/* The "Compare Runs" page: every run recorded, ended runs of this view too. */
SfRunsView *sf_train_view_get_runs_view (SfTrainView *self);
/* Shows the page "curves" or "runs" (Compare Runs), as Alt+V and Alt+C do. */
void       sf_train_view_show_page   (SfTrainView *self, const char *name);
/* The bridge to the trainer of the current (or last) run. */
SfTrainingRun *sf_train_view_get_run   (SfTrainView *self);
/* The history the curves show, read where it lives: the current run's
 * (sf_training_run_get_history), or once the run has become the session's
 * model, and for an opened model, the session checkpoint's. */
const SfEpochRecord *sf_train_view_get_history (SfTrainView *self, int *n_epochs);

/* Writes the history (.csv) or both plots in one picture (.png, .svg). */
gboolean   sf_train_view_export      (SfTrainView *self, const char *path, GError **error);

G_END_DECLS
