/* SfWindow's parts that live in other files: the model-file and training
 * actions (sf-model-file-actions.c). */
#pragma once

#include "sf-window.h"

G_BEGIN_DECLS

/* Adds win.open-model, win.save-model, win.save-model-as, win.export, win.export-onnx and
 * win.train-start/-pause-resume/-stop, and keeps them enabled as the session allows. */
void     sf_model_file_actions_install       (SfWindow *self);
/* TRUE when closing must wait: a run is under way or the model is unsaved;
 * the window asks and closes again itself once that is settled. */
gboolean sf_model_file_actions_close_request (SfWindow *self);

G_END_DECLS
