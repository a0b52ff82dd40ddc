/* The main window: header bar with the view switcher, the primary menu, the
 * views, dataset loading with progress, errors and drag and drop. */
#pragma once

#include <adwaita.h>

#include "sf-dataset-view.h"
#include "sf-face-list.h"
#include "sf-pairs-view.h"
#include "sf-session.h"
#include "sf-train-view.h"

G_BEGIN_DECLS

#define SF_TYPE_WINDOW (sf_window_get_type ())

G_DECLARE_FINAL_TYPE (SfWindow, sf_window, SF, WINDOW, AdwApplicationWindow)

/* The views, in switcher order, by their names in the view stack. */
extern const char * const sf_window_view_names[];

SfWindow      *sf_window_new               (GtkApplication *application);
/* Loads a dataset off the main thread: a folder, an Olivetti .mat or a
 * scikit-learn .pkz; NULL for the demo faces. A failure leaves the dataset
 * that is open in place and says why in a dialog. */
void           sf_window_open              (SfWindow *self, const char *path);
SfFaceList    *sf_window_get_faces         (SfWindow *self);
/* The path of the open dataset, NULL for the demo faces. */
const char    *sf_window_get_path          (SfWindow *self);
gboolean       sf_window_get_loading       (SfWindow *self);
const char    *sf_window_get_visible_view  (SfWindow *self);
SfDatasetView *sf_window_get_dataset_view  (SfWindow *self);
SfPairsView   *sf_window_get_pairs_view    (SfWindow *self);
/* The state the views share: dataset, current model, threshold. */
SfSession     *sf_window_get_session       (SfWindow *self);
/* The last load error shown, or NULL. */
const char    *sf_window_get_last_error    (SfWindow *self);
gboolean       sf_window_get_welcome_shown (SfWindow *self);
SfTrainView   *sf_window_get_train_view    (SfWindow *self);
/* Shows a toast (takes it). */
void           sf_window_add_toast         (SfWindow *self, AdwToast *toast);
/* Opens a model file (.safetensors) as the session's model; a bad file is
 * reported in a dialog naming it and the current model stays. */
void           sf_window_open_model        (SfWindow *self, const char *path);
/* Writes the session's model's tower to path as ONNX on a worker thread (a
 * toast when done; a failure in a dialog); what win.export-onnx does with
 * the file chosen. */
void           sf_window_export_onnx       (SfWindow *self, const char *path);
/* Hides the toast on show, if any (pictures of the window do not want it). */
void           sf_window_dismiss_toast     (SfWindow *self);

G_END_DECLS
