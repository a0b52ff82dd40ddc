/* What the views share: the open dataset, the current model (trained here or
 * opened from a file), its similarity threshold and whether training runs.
 * Main thread only; views listen to its notify:: signals. */
#pragma once

#include <gio/gio.h>

#include "checkpoint.h"
#include "sf-face-list.h"

G_BEGIN_DECLS

#define SF_TYPE_SESSION (sf_session_get_type ())

G_DECLARE_FINAL_TYPE (SfSession, sf_session, SF, SESSION, GObject)

SfSession          *sf_session_new              (void);

/* "faces": the open dataset (never NULL once the first load finished). */
SfFaceList         *sf_session_get_faces        (SfSession *self);
void                sf_session_set_faces        (SfSession *self, SfFaceList *faces);

/* "checkpoint": the current model with its settings, history and the
 * threshold it was saved with; NULL until a model is trained or opened. The
 * checkpoint does not change while it is current (replace it instead), so a
 * worker may read its weights through a copy made with sf_model_copy on the
 * main thread; SfModel itself is not reentrant. "model-path" is the file it
 * was opened from or last saved to, NULL for a model trained and not saved. */
const SfCheckpoint *sf_session_get_checkpoint   (SfSession *self);
/* Takes `checkpoint`; sets "threshold" from it and clears "modified". */
void                sf_session_set_checkpoint   (SfSession *self, SfCheckpoint *checkpoint,
                                                 const char *model_path);
const char         *sf_session_get_model_path   (SfSession *self);

/* "threshold": score >= threshold counts as the same person. Setting it
 * marks the model "modified" (it is saved in the model file). */
double              sf_session_get_threshold    (SfSession *self);
void                sf_session_set_threshold    (SfSession *self, double threshold);

/* "modified": the model has changes not yet saved (newly trained, or a new threshold). */
gboolean            sf_session_get_modified     (SfSession *self);
void                sf_session_set_modified     (SfSession *self, gboolean modified);

/* Saves the current model with the current threshold, atomically; on success
 * "model-path" becomes `path` and "modified" is cleared. Fast enough for the
 * main thread (a few MB, one write and one fsync). */
gboolean            sf_session_save             (SfSession *self, const char *path, GError **error);

/* "training": a training run is under way (set by the Train view). */
gboolean            sf_session_get_training     (SfSession *self);
void                sf_session_set_training     (SfSession *self, gboolean training);

G_END_DECLS
