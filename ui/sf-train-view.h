/* The Train view: the training settings (in GSettings, shared with the Model
 * and Pairs views), Start/Pause/Resume/Stop, progress, and live loss and
 * accuracy curves. A finished or stopped run becomes the session's model. */
#pragma once

#include <gtk/gtk.h>

#include "sf-plot.h"
#include "sf-session.h"
#include "trainer.h"

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

/* The settings the next run would use, read from GSettings. */
void       sf_train_view_get_settings (SfTrainView *self, SfTrainSettings *settings);
SfPlot    *sf_train_view_get_loss_plot     (SfTrainView *self);
SfPlot    *sf_train_view_get_accuracy_plot (SfTrainView *self);
/* The curves shown: the current run's epochs, or the opened model's history. */
const SfEpochRecord *sf_train_view_get_history (SfTrainView *self, int *n_epochs);

/* Writes the history (.csv) or both plots in one picture (.png, .svg). */
gboolean   sf_train_view_export      (SfTrainView *self, const char *path, GError **error);

G_END_DECLS
