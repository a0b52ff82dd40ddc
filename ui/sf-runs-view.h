/* The Runs panel: every recorded run of the session's run store in a
 * sortable table (one column per setting that differs between the runs, one
 * per result), the validation curves of the runs selected overlaid in
 * distinct colours with a legend, and rename, delete, CSV export and "Use
 * This Model". Bad run folders are listed as problems; the rest still show. */
#pragma once

#include <gtk/gtk.h>

#include "runs.h"
#include "sf-plot.h"
#include "sf-session.h"
#include "sf-training-run.h"

G_BEGIN_DECLS

#define SF_TYPE_RUNS_VIEW (sf_runs_view_get_type ())

G_DECLARE_FINAL_TYPE (SfRunsView, sf_runs_view, SF, RUNS_VIEW, GtkWidget)

GtkWidget     *sf_runs_view_new              (void);
/* The session whose run store the panel lists; set once. */
void           sf_runs_view_set_session      (SfRunsView *self, SfSession *session);
/* Reads the store again (the session's "runs-changed" does it too). */
void           sf_runs_view_reload           (SfRunsView *self);

/* Whether the run store changed while the view was not shown: the table is
 * read again when the view is shown (on a worker thread, then filled a few
 * rows a frame) or asked for its runs (at once), not when it changes. */
gboolean       sf_runs_view_get_stale        (SfRunsView *self);
/* TRUE while a read on the worker or the paced fill after it is under way. */
gboolean       sf_runs_view_get_loading      (SfRunsView *self);

/* The runs listed, oldest first (the table's own order is the user's sort). */
guint          sf_runs_view_get_n_runs       (SfRunsView *self);
const SfRun   *sf_runs_view_get_run          (SfRunsView *self, guint position);
/* What could not be read, one message per bad folder (NULL-terminated). */
const char *const *sf_runs_view_get_problems (SfRunsView *self);
GtkColumnView *sf_runs_view_get_column_view  (SfRunsView *self);
/* Selects exactly the runs at `positions` (in the store's order). */
void           sf_runs_view_select           (SfRunsView *self, const guint *positions, guint n_positions);

/* The overlaid validation curves of the selected runs, one series a run. */
SfPlot        *sf_runs_view_get_loss_plot    (SfRunsView *self);
SfPlot        *sf_runs_view_get_accuracy_plot (SfRunsView *self);

/* The selected runs (all when none is) as CSV. */
gboolean       sf_runs_view_export_csv       (SfRunsView *self, const char *path, GError **error);
/* "Use This Model" (runs.use, Ctrl+U in the panel): the one selected run's
 * model becomes the session's; a current model with unsaved changes is
 * asked about first. FALSE when not exactly one run is selected or its model
 * cannot be read (a message says why). */
gboolean       sf_runs_view_use_selected     (SfRunsView *self);
/* "Use Its Settings" (runs.use-settings): the one selected run's settings,
 * seed included, fill the training form (the shared SfTrainingSettings). */
gboolean       sf_runs_view_use_settings     (SfRunsView *self);

/* Keeps a training run that failed (at its "failed" signal) in the
 * session's run store, marked failed with `reason`; the table follows. Its
 * model is kept only when it can be saved (not NaN). */
void           sf_runs_view_record_failed    (SfRunsView *self, SfTrainingRun *run, const char *reason);

G_END_DECLS
