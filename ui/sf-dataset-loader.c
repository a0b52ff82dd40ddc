/* SfDatasetLoader: the bridge between sf_dataset_load on a GTask thread and the
 * main loop. Progress is coalesced (one idle at a time, carrying the latest
 * value) and every report carries a generation so older loads are dropped. */
#include "sf-dataset-loader.h"

#include "error.h"
#include "sf-worker.h"

typedef struct
{
  gatomicrefcount ref_count;
  GWeakRef loader;
  guint generation;
  int permille;   /* atomic: latest progress × 1000 */
  int pending;    /* atomic: 1 while an idle is scheduled */
} Progress;

typedef struct
{
  char *path;
  int size;
  Progress *progress;
  char *fingerprint;  /* of the loaded dataset, computed on the worker */
} LoadJob;

struct _SfDatasetLoader
{
  GObject parent_instance;

  /* Owned */
  GCancellable *cancellable;
  char *path;

  guint generation;
  gboolean loading;
  double fraction;
};

enum {
  PROP_0,
  PROP_LOADING,
  PROP_FRACTION,
  N_PROPS
};

enum {
  LOADED,
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SfDatasetLoader, sf_dataset_loader, G_TYPE_OBJECT)

static Progress *
progress_ref (Progress *progress)
{
  g_atomic_ref_count_inc (&progress->ref_count);
  return progress;
}

static void
progress_unref (gpointer data)
{
  Progress *progress = data;

  if (g_atomic_ref_count_dec (&progress->ref_count))
    {
      g_weak_ref_clear (&progress->loader);
      g_free (progress);
    }
}

static void
load_job_free (gpointer data)
{
  LoadJob *job = data;

  g_free (job->path);
  g_free (job->fingerprint);
  progress_unref (job->progress);
  g_free (job);
}

static void
set_loading (SfDatasetLoader *self, gboolean loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_fraction (SfDatasetLoader *self, double fraction)
{
  fraction = CLAMP (fraction, 0.0, 1.0);
  if (self->fraction == fraction)
    return;
  self->fraction = fraction;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

/* Main thread. */
static gboolean
apply_progress_cb (gpointer data)
{
  Progress *progress = data;

  g_atomic_int_set (&progress->pending, 0);
  g_autoptr (SfDatasetLoader) self = g_weak_ref_get (&progress->loader);
  if (self != NULL && self->loading && self->generation == progress->generation)
    set_fraction (self, g_atomic_int_get (&progress->permille) / 1000.0);
  return G_SOURCE_REMOVE;
}

/* Worker thread. */
static void
progress_cb (double fraction, gpointer data)
{
  Progress *progress = data;

  g_atomic_int_set (&progress->permille, (int) (CLAMP (fraction, 0.0, 1.0) * 1000));
  if (g_atomic_int_compare_and_exchange (&progress->pending, 0, 1))
    g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, apply_progress_cb,
                                progress_ref (progress), progress_unref);
}

/* Worker thread. */
static void
load_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  LoadJob *job = task_data;
  GError *error = NULL;
  SfLoadOptions options = {
    .size = job->size,
    .cancellable = cancellable,
    .progress = progress_cb,
    .progress_data = job->progress,
  };

  SfDataset *dataset = sf_dataset_load (job->path, &options, &error);
  if (dataset != NULL && g_cancellable_is_cancelled (cancellable))
    {
      sf_dataset_free (dataset);
      dataset = NULL;
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    }
  if (dataset == NULL)
    {
      if (error == NULL)
        g_set_error (&error, SF_ERROR, SF_ERROR_IO, "%s: could not be loaded",
                     job->path != NULL ? job->path : "demo faces");
      g_task_return_error (task, error);
      return;
    }
  job->fingerprint = sf_dataset_fingerprint (dataset);
  g_task_return_pointer (task, dataset, (GDestroyNotify) sf_dataset_free);
}

/* Main thread. */
static void
load_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SfDatasetLoader *self = SF_DATASET_LOADER (source);
  LoadJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  SfDataset *dataset = g_task_propagate_pointer (G_TASK (result), &error);
  if (job->progress->generation != self->generation)
    {
      g_clear_pointer (&dataset, sf_dataset_free);
      return;
    }

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->path, g_free);
  set_fraction (self, dataset != NULL ? 1.0 : 0.0);
  set_loading (self, FALSE);

  if (dataset != NULL)
    {
      g_autoptr (SfFaceList) list = sf_face_list_new (dataset);
      sf_face_list_take_fingerprint (list, g_steal_pointer (&job->fingerprint));
      g_signal_emit (self, signals[LOADED], 0, list, job->path);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
           && !g_error_matches (error, SF_ERROR, SF_ERROR_CANCELLED))
    g_signal_emit (self, signals[FAILED], 0, job->path, error);
}

static void
sf_dataset_loader_dispose (GObject *object)
{
  SfDatasetLoader *self = SF_DATASET_LOADER (object);

  sf_dataset_loader_cancel (self);

  G_OBJECT_CLASS (sf_dataset_loader_parent_class)->dispose (object);
}

static void
sf_dataset_loader_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SfDatasetLoader *self = SF_DATASET_LOADER (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sf_dataset_loader_class_init (SfDatasetLoaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sf_dataset_loader_dispose;
  object_class->get_property = sf_dataset_loader_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* ::loaded (SfFaceList *list, const char *path): path is NULL for the demo faces. */
  signals[LOADED] =
    g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, SF_TYPE_FACE_LIST, G_TYPE_STRING);
  /* ::failed (const char *path, GError *error) */
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);
}

static void
sf_dataset_loader_init (SfDatasetLoader *self)
{
}

void
sf_dataset_loader_load (SfDatasetLoader *self, const char *path, int size)
{
  g_return_if_fail (SF_IS_DATASET_LOADER (self));

  sf_dataset_loader_cancel (self);

  Progress *progress = g_new0 (Progress, 1);
  g_atomic_ref_count_init (&progress->ref_count);
  g_weak_ref_init (&progress->loader, self);
  progress->generation = self->generation;

  LoadJob *job = g_new0 (LoadJob, 1);
  job->path = g_strdup (path);
  job->size = size;
  job->progress = progress;

  self->cancellable = g_cancellable_new ();
  self->path = g_strdup (path);
  set_fraction (self, 0.0);
  set_loading (self, TRUE);

  g_autoptr (GTask) task = g_task_new (self, self->cancellable, load_done_cb, NULL);
  g_task_set_source_tag (task, sf_dataset_loader_load);
  g_task_set_task_data (task, job, load_job_free);
  /* The result is checked against the generation instead. */
  g_task_set_check_cancellable (task, FALSE);
  sf_worker_run_in_thread (task, load_thread);
}

void
sf_dataset_loader_cancel (SfDatasetLoader *self)
{
  g_return_if_fail (SF_IS_DATASET_LOADER (self));

  self->generation++;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->path, g_free);
  set_loading (self, FALSE);
}

gboolean
sf_dataset_loader_get_loading (SfDatasetLoader *self)
{
  g_return_val_if_fail (SF_IS_DATASET_LOADER (self), FALSE);

  return self->loading;
}

double
sf_dataset_loader_get_fraction (SfDatasetLoader *self)
{
  g_return_val_if_fail (SF_IS_DATASET_LOADER (self), 0.0);

  return self->fraction;
}

const char *
sf_dataset_loader_get_path (SfDatasetLoader *self)
{
  g_return_val_if_fail (SF_IS_DATASET_LOADER (self), NULL);

  return self->path;
}

SfDatasetLoader *
sf_dataset_loader_new (void)
{
  return g_object_new (SF_TYPE_DATASET_LOADER, NULL);
}
