/* SfSweepDialog: the GUI's sweep. The user picks the settings to vary (and
 * their values), the seeds and the metric; the planned runs are those of
 * engine/sweep.c (the same grid expansion as `siamese-faces-cli sweep`),
 * trained one after another on a worker thread, skipping those the run store
 * holds finished (so a sweep started again runs only what is missing). Each
 * recorded run reaches the session's run store (the Runs table fills as it
 * goes) and the plots of the metric against each varied setting (a dot per
 * seed, the mean marked); Stop ends the run under way (kept, stopped) and the
 * sweep; "Use Best Settings" writes the best combination's settings into the
 * shared training settings. One dialog per window; closing it hides it and
 * the sweep goes on. */
#pragma once

#include <adwaita.h>

#include "runs.h"
#include "sf-session.h"
#include "sf-sweep-plot.h"

G_BEGIN_DECLS

#define SF_TYPE_SWEEP_DIALOG (sf_sweep_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SfSweepDialog, sf_sweep_dialog, SF, SWEEP_DIALOG, AdwWindow)

/* Shows the sweep dialog of `parent` (made on first use, transient for it,
 * destroyed with it, which stops its sweep) for `session`. */
SfSweepDialog *sf_sweep_dialog_present       (GtkWindow *parent, SfSession *session);

/* The values to try of a setting ("learning_rate", "batch_size", "epochs",
 * "weight_decay", "temperature", "margin"), comma-separated; "" varies nothing. */
void           sf_sweep_dialog_set_values    (SfSweepDialog *self, const char *setting, const char *values);
void           sf_sweep_dialog_set_seeds     (SfSweepDialog *self, const char *seeds);
/* What the plots and "best" compare by: SF_RUN_RESULT_EER (default),
 * _ACCURACY, _AUC, _TAR_FAR_1 or _RANK1. */
void           sf_sweep_dialog_set_metric    (SfSweepDialog *self, SfRunResult metric);

/* sweep.start (Ctrl+Return): FALSE with the reason when the values, seeds or
 * settings are refused, no faces are loaded, or training is under way. */
gboolean       sf_sweep_dialog_start         (SfSweepDialog *self, GError **error);
/* sweep.stop (Shift+F5): the run under way stops within a batch, is kept as
 * stopped, and no further run starts. */
void           sf_sweep_dialog_stop          (SfSweepDialog *self);
gboolean       sf_sweep_dialog_get_running   (SfSweepDialog *self);
/* sweep.use-best (Ctrl+B): FALSE when no combination has a result yet. */
gboolean       sf_sweep_dialog_use_best      (SfSweepDialog *self);

/* Runs planned by the last start, and those of them now in the store. */
guint          sf_sweep_dialog_get_n_planned (SfSweepDialog *self);
guint          sf_sweep_dialog_get_n_done    (SfSweepDialog *self);
/* The plots, one per varied setting, in the order of the rows. */
guint          sf_sweep_dialog_get_n_plots   (SfSweepDialog *self);
SfSweepPlot   *sf_sweep_dialog_get_plot      (SfSweepDialog *self, guint index);

G_END_DECLS
