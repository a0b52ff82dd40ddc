/* What the views share: the open dataset, the current model (trained here or
 * opened from a file) with its threshold and history, the people enrolled
 * beside it, whether training runs, and the store of recorded runs. The one owner of each: views read
 * them here and listen to the notify:: signals, they keep no copies.
 * Main thread only. */
#pragma once

#include <gio/gio.h>

#include "checkpoint.h"
#include "gallery.h"
#include "runs.h"
#include "sf-face-list.h"

G_BEGIN_DECLS

#define SF_TYPE_SESSION (sf_session_get_type ())

G_DECLARE_FINAL_TYPE (SfSession, sf_session, SF, SESSION, GObject)

SfSession           *sf_session_new               (void);

/* "faces": the open dataset (never NULL once the first load finished). */
SfFaceList          *sf_session_get_faces         (SfSession *self);
void                 sf_session_set_faces         (SfSession *self, SfFaceList *faces);

/* "checkpoint": the current model with its settings and history; NULL until
 * a model is trained or opened. The checkpoint does not change while it is
 * current (replace it instead), so a worker may read its weights through a
 * copy made with sf_model_copy on the main thread; SfModel itself is not
 * reentrant. "model-path" is the file it was opened from or last saved to,
 * NULL for a model trained and not saved.
 *
 * The threshold lives in the session alone: SfCheckpoint.threshold is only
 * what the file held (or what training chose) when the checkpoint was set,
 * and it is not kept current. Views read sf_session_get_threshold, never the
 * checkpoint's field. */
const SfCheckpoint  *sf_session_get_checkpoint    (SfSession *self);
/* Takes `checkpoint`; sets "threshold" from it, clears "modified" and brings
 * the gallery beside `model_path` (see "gallery"). */
void                 sf_session_set_checkpoint    (SfSession *self, SfCheckpoint *checkpoint,
                                                   const char *model_path);
const char          *sf_session_get_model_path    (SfSession *self);
/* The current model's training history (oldest epoch first), NULL and
 * *n_epochs = 0 without a model. It changes with "checkpoint". */
const SfEpochRecord *sf_session_get_history       (SfSession *self, int *n_epochs);

/* "threshold": score >= threshold counts as the same person. Setting it
 * marks the model "modified" (it is saved in the model file). */
double               sf_session_get_threshold     (SfSession *self);
void                 sf_session_set_threshold     (SfSession *self, double threshold);

/* "modified": the model has changes not yet saved (newly trained, or a new threshold). */
gboolean             sf_session_get_modified      (SfSession *self);
void                 sf_session_set_modified      (SfSession *self, gboolean modified);

/* Saves the current model with the session's threshold, atomically; on
 * success "model-path" becomes `path` and "modified" is cleared, and when the
 * path is new the people enrolled go beside it. Fast enough for the main
 * thread (a few MB, one write and one fsync). */
gboolean             sf_session_save              (SfSession *self, const char *path, GError **error);

/* "gallery": the people enrolled without retraining; never NULL. It is kept
 * in a file beside the model ("gallery-path", sf_gallery_path_for_model):
 * setting a model from a file reads the gallery there, or, when there is
 * none, writes the people enrolled so far there; a model with no file keeps
 * them in memory ("gallery-path" NULL). A gallery file that cannot be read
 * is reported and never overwritten. The embeddings may come from an earlier
 * model (sf_gallery_is_current): whoever re-embeds them does it on a copy,
 * off the main thread, and hands the result back. */
const SfGallery     *sf_session_get_gallery       (SfSession *self);
/* Takes `gallery`, makes it "gallery" and writes it beside the model. */
void                 sf_session_set_gallery       (SfSession *self, SfGallery *gallery);
const char          *sf_session_get_gallery_path  (SfSession *self);
/* The "gallery-error" signal, (SfSession *, const char *message): the gallery
 * file could not be read or written; the message names the file. */

/* "training": a training run is under way (set by the Train view). */
gboolean             sf_session_get_training      (SfSession *self);
void                 sf_session_set_training      (SfSession *self, gboolean training);

/* The run store every run is recorded in: the user's data folder unless a
 * root was set (tests use a temporary one). "runs-changed" (no arguments)
 * tells the views to read it again, after a run was recorded, renamed or
 * deleted; setting the root emits it too. */
SfRunStore          *sf_session_get_run_store      (SfSession *self);
void                 sf_session_set_run_store_root (SfSession *self, const char *root);
void                 sf_session_runs_changed       (SfSession *self);

G_END_DECLS
