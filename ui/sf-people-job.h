/* The People view's heavy work as one job for a worker thread: enrol the
 * people waiting, re-embed the gallery when the model changed, and place
 * every dataset face and enrolled face on the embedding map (the engine's
 * PCA, fitted on the dataset's faces, enrolled faces projected into it).
 * The job owns copies of what it reads, so the main thread carries on
 * meanwhile; whoever starts jobs drops the results of one that is no longer
 * the newest. No widgets: tests may run it directly. */
#pragma once

#include <gio/gio.h>

#include "dataset.h"
#include "gallery.h"
#include "sf-embedding-map.h"
#include "sf-face-list.h"

G_BEGIN_DECLS

/* One person to enrol: image files, or pixels (a dataset's face). */
typedef struct {
  char *name;
  char **paths;     /* the files to load, or where the pixels came from; may be NULL with pixels */
  float *pixels;    /* [n, size, size], or NULL to load `paths` */
  int n;
  int size;
} SfEnrolment;

SfEnrolment *sf_enrolment_new_files   (const char *name, const char *const *paths);
/* One face [size, size], copied; `path` (may be NULL) is the file it came from. */
SfEnrolment *sf_enrolment_new_face    (const char *name, const float *pixels, int size, const char *path);
void         sf_enrolment_free        (SfEnrolment *enrolment);

typedef struct _SfPeopleJob SfPeopleJob;

/* Copies model, gallery and the enrolments (SfEnrolment*, may be NULL), and
 * keeps a reference to faces, whose dataset does not change while the list
 * lives (faces may be NULL; faces that are not square stay off the map): a
 * copy of every pixel took the main thread 20 ms for ORL. NULL when the
 * model cannot be copied (out of memory). */
SfPeopleJob *sf_people_job_new        (const SfModel *model, const SfGallery *gallery, GPtrArray *enrolments,
                                       SfFaceList *faces);
void         sf_people_job_free       (SfPeopleJob *job);
/* Marks the dataset faces held out of training on the map (a copy is kept;
 * held_out[n_images] of the job's dataset, NULL: none). */
void         sf_people_job_set_held_out (SfPeopleJob *job, const gboolean *held_out);

/* A map an earlier job made for the same model and dataset (NULL: none;
 * a reference is kept): its projection and dataset points are reused, so
 * the dataset's faces keep their places and are not embedded again. The
 * caller drops it when the model or the dataset changes. */
void         sf_people_job_set_fitted (SfPeopleJob *job, SfMapData *map);

/* The work, on whatever thread calls it; stops early when cancelled. */
void         sf_people_job_run        (SfPeopleJob *job, GCancellable *cancellable);
/* Runs the job (taken) on a worker thread; `callback` gets it back on this
 * thread's main context through sf_people_job_run_finish. */
void         sf_people_job_run_async  (SfPeopleJob *job, gpointer source_object, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
/* The finished job, owned by `result`. */
SfPeopleJob *sf_people_job_run_finish (GAsyncResult *result);

/* The gallery after enrolling and re-embedding (transfer full), NULL when
 * neither changed it or it was taken already. */
SfGallery   *sf_people_job_steal_gallery (SfPeopleJob *job);
/* The map (borrowed), NULL when there are fewer than two faces or the
 * projection failed. */
SfMapData   *sf_people_job_get_map    (SfPeopleJob *job);
/* What went wrong (bad files, an embedding that failed), NULL-terminated. */
const char *const *sf_people_job_get_errors (SfPeopleJob *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfPeopleJob, sf_people_job_free)

G_END_DECLS
