/* SfPeopleJob: enrol, re-embed, project; see sf-people-job.h. */
#include "sf-people-job.h"

#include <glib/gi18n.h>
#include <string.h>

#include "image.h"
#include "pca.h"
#include "sf-worker.h"

struct _SfPeopleJob
{
  /* Owned copies of what the job reads, and a reference to the faces */
  SfModel *model;
  SfGallery *gallery;
  GPtrArray *enrolments;      /* SfEnrolment* */
  SfFaceList *faces;          /* keeps the dataset below alive and unchanged */
  const float *dataset_pixels;  /* [n_dataset, dataset_size²] */
  int n_dataset;
  int dataset_size;
  const int *labels;          /* [n_dataset] */
  gboolean *held_out;         /* [n_dataset] or NULL */
  SfMapData *fitted;          /* an earlier map whose projection and dataset points are reused, or NULL */
  char *const *person_names;  /* [n_people], the dataset's */
  int n_people;

  /* Results */
  gboolean gallery_changed;
  GPtrArray *errors;          /* char*, NULL-terminated */
  SfMapData *map;
};

SfEnrolment *
sf_enrolment_new_files (const char *name, const char *const *paths)
{
  g_return_val_if_fail (name != NULL && paths != NULL, NULL);

  SfEnrolment *e = g_new0 (SfEnrolment, 1);
  e->name = g_strdup (name);
  e->paths = g_strdupv ((char **) paths);
  e->n = (int) g_strv_length (e->paths);
  return e;
}

SfEnrolment *
sf_enrolment_new_face (const char *name, const float *pixels, int size, const char *path)
{
  g_return_val_if_fail (name != NULL && pixels != NULL && size > 0, NULL);

  SfEnrolment *e = g_new0 (SfEnrolment, 1);
  e->name = g_strdup (name);
  e->pixels = g_memdup2 (pixels, sizeof (float) * size * size);
  e->n = 1;
  e->size = size;
  if (path != NULL)
    {
      e->paths = g_new0 (char *, 2);
      e->paths[0] = g_strdup (path);
    }
  return e;
}

void
sf_enrolment_free (SfEnrolment *e)
{
  if (e == NULL)
    return;
  g_free (e->name);
  g_strfreev (e->paths);
  g_free (e->pixels);
  g_free (e);
}

static SfEnrolment *
enrolment_copy (const SfEnrolment *e)
{
  SfEnrolment *copy = g_new0 (SfEnrolment, 1);
  copy->name = g_strdup (e->name);
  copy->paths = g_strdupv (e->paths);
  copy->pixels = e->pixels != NULL ? g_memdup2 (e->pixels, sizeof (float) * e->n * e->size * e->size) : NULL;
  copy->n = e->n;
  copy->size = e->size;
  return copy;
}

SfPeopleJob *
sf_people_job_new (const SfModel *model, const SfGallery *gallery, GPtrArray *enrolments, SfFaceList *faces)
{
  g_return_val_if_fail (model != NULL && gallery != NULL, NULL);

  SfModel *copy = sf_model_copy (model);
  if (copy == NULL)
    return NULL;
  SfPeopleJob *job = g_new0 (SfPeopleJob, 1);
  job->model = copy;
  job->gallery = sf_gallery_copy (gallery);
  job->enrolments = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_enrolment_free);
  for (guint k = 0; enrolments != NULL && k < enrolments->len; k++)
    g_ptr_array_add (job->enrolments, enrolment_copy (enrolments->pdata[k]));
  job->errors = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (job->errors, NULL);
  const SfDataset *dataset = faces != NULL ? sf_face_list_get_dataset (faces) : NULL;
  if (dataset != NULL && dataset->width == dataset->height)
    {
      job->faces = g_object_ref (faces);
      job->n_dataset = dataset->n_images;
      job->dataset_size = dataset->width;
      job->dataset_pixels = dataset->pixels;
      job->labels = dataset->labels;
      job->n_people = dataset->n_people;
      job->person_names = dataset->person_names;
    }
  return job;
}

void
sf_people_job_free (SfPeopleJob *job)
{
  if (job == NULL)
    return;
  sf_model_free (job->model);
  g_clear_pointer (&job->gallery, sf_gallery_free);
  g_ptr_array_unref (job->enrolments);
  g_clear_object (&job->faces);
  g_free (job->held_out);
  g_clear_pointer (&job->fitted, sf_map_data_unref);
  g_ptr_array_unref (job->errors);
  g_clear_pointer (&job->map, sf_map_data_unref);
  g_free (job);
}

static void
add_error (SfPeopleJob *job, const char *message)
{
  g_ptr_array_insert (job->errors, job->errors->len - 1, g_strdup (message));
}

static float *
resized (const float *pixels, int n, int from, int to)
{
  gsize area = (gsize) to * to;
  float *out = g_new (float, n * area);
  for (int i = 0; i < n; i++)
    {
      if (from == to)
        memcpy (out + i * area, pixels + i * area, sizeof (float) * area);
      else
        sf_image_resize_area (pixels + (gsize) i * from * from, from, from, out + i * area, to, to);
    }
  return out;
}

static void
enrol (SfPeopleJob *job, GCancellable *cancellable)
{
  int size = sf_model_get_input_size (job->model);
  GError *error = NULL;

  for (guint k = 0; k < job->enrolments->len; k++)
    {
      SfEnrolment *e = job->enrolments->pdata[k];
      gboolean ok;
      if (e->pixels != NULL)
        {
          g_autofree float *pixels = resized (e->pixels, e->n, e->size, size);
          ok = sf_gallery_enroll (job->gallery, job->model, e->name, pixels, (const char *const *) e->paths, e->n,
                                  &error);
        }
      else
        ok = sf_gallery_enroll_files (job->gallery, job->model, e->name, (const char *const *) e->paths, e->n,
                                      &error);
      if (ok)
        job->gallery_changed = TRUE;
      else
        {
          add_error (job, error->message);
          g_clear_error (&error);
        }
      if (g_cancellable_is_cancelled (cancellable))
        return;
    }
}

/* Point i's colour: the dataset's person, and a dataset person enrolled keeps their colour. */
static int
enrolled_colour (SfPeopleJob *job, int face)
{
  int person = sf_gallery_get_face_person (job->gallery, face);
  const char *name = sf_gallery_get_person_name (job->gallery, person);
  int colour = job->n_people + person;
  for (int p = 0; p < job->n_people; p++)
    if (g_strcmp0 (job->person_names[p], name) == 0)
      colour = p;
  return colour;
}

/* The projection of the earlier map, when it was made for this dataset by
 * this model (the caller's word) and can be reused: then the dataset's
 * faces keep their places and need not be embedded again. */
static gboolean
can_reuse (SfPeopleJob *job, int D)
{
  SfMapData *fitted = job->fitted;

  if (fitted == NULL || fitted->dimension != D || fitted->mean == NULL)
    return FALSE;
  return fitted->n_points - sf_map_data_get_n_enrolled (fitted) == job->n_dataset;
}

/* The dataset's faces fix the plane (a PCA of their embeddings, mirrored
 * as the gallery embeds), fitted once per model and dataset; enrolled faces
 * are projected into it, so enrolling someone moves nobody. With no dataset
 * faces, the enrolled faces fit it. */
static void
project (SfPeopleJob *job, GCancellable *cancellable)
{
  int size = sf_model_get_input_size (job->model);
  int n_gallery = sf_gallery_get_n_faces (job->gallery);
  int n = job->n_dataset + n_gallery;
  int D = sf_model_get_embedding_size (job->model);
  GError *error = NULL;

  if (n < 2 || D < 2)
    return;
  gboolean reuse = can_reuse (job, D);
  int n_fit = job->n_dataset >= 2 ? job->n_dataset : n;
  if (!reuse && n_fit < 2)
    return;
  g_autofree float *embeddings = g_try_new (float, (gsize) n * D);
  g_autofree float *faces = job->n_dataset > 0 ? resized (job->dataset_pixels, job->n_dataset, job->dataset_size, size)
                                               : NULL;
  if (embeddings == NULL
      || (!reuse && job->n_dataset > 0
          && !sf_model_embed_mirrored (job->model, faces, job->n_dataset, embeddings, &error)))
    {
      add_error (job, error != NULL ? error->message : _("Out of memory for the map"));
      g_clear_error (&error);
      return;
    }
  for (int i = 0; i < n_gallery; i++)
    memcpy (embeddings + (gsize) (job->n_dataset + i) * D, sf_gallery_get_face_embedding (job->gallery, i),
            sizeof (float) * D);
  if (g_cancellable_is_cancelled (cancellable))
    return;
  g_autofree float *plane = g_new (float, (gsize) n * 2);
  g_autofree float *mean = g_new (float, D);
  g_autofree float *components = g_new (float, 2 * (gsize) D);
  if (reuse)
    {
      memcpy (mean, job->fitted->mean, sizeof (float) * D);
      memcpy (components, job->fitted->components, sizeof (float) * 2 * D);
      for (int i = 0; i < job->n_dataset; i++)
        {
          plane[2 * i] = job->fitted->points[i].x;
          plane[2 * i + 1] = job->fitted->points[i].y;
        }
    }
  else if (!sf_pca (embeddings, n_fit, D, 2, plane, components, NULL, mean, &error))
    {
      add_error (job, error->message);
      g_clear_error (&error);
      return;
    }
  for (int i = reuse ? job->n_dataset : n_fit; i < n; i++)
    sf_pca_project (embeddings + (gsize) i * D, 1, D, 2, mean, components, plane + 2 * i);

  gsize area = (gsize) size * size;
  SfMapData *map = sf_map_data_new (n, size);
  sf_map_data_set_projection (map, D, mean, components);
  for (int i = 0; i < n; i++)
    {
      SfMapPoint *point = &map->points[i];
      point->x = plane[2 * i];
      point->y = plane[2 * i + 1];
      point->enrolled = i >= job->n_dataset;
      point->gallery_person = -1;
      if (!point->enrolled)
        {
          point->colour = job->labels[i];
          point->held_out = job->held_out != NULL && job->held_out[i];
          if (point->held_out)
            /* Translators: a point of the map: a person's name and a dataset image number, held out of training. */
            map->labels[i] = g_strdup_printf (_("%s, dataset image %d, held out of training"),
                                              job->person_names[job->labels[i]], i);
          else
            map->labels[i] = g_strdup_printf (_("%s, dataset image %d"), job->person_names[job->labels[i]], i);
          memcpy (map->faces + i * area, faces + i * area, sizeof (float) * area);
        }
      else
        {
          int face = i - job->n_dataset;
          point->colour = enrolled_colour (job, face);
          point->gallery_person = sf_gallery_get_face_person (job->gallery, face);
          map->labels[i] = g_strdup_printf (_("%s, enrolled"),
                                            sf_gallery_get_person_name (job->gallery, point->gallery_person));
          memcpy (map->faces + i * area, sf_gallery_get_face_pixels (job->gallery, face), sizeof (float) * area);
        }
    }
  job->map = map;
}

void
sf_people_job_set_fitted (SfPeopleJob *job, SfMapData *map)
{
  g_return_if_fail (job != NULL);

  g_clear_pointer (&job->fitted, sf_map_data_unref);
  if (map != NULL)
    job->fitted = sf_map_data_ref (map);
}

void
sf_people_job_set_held_out (SfPeopleJob *job, const gboolean *held_out)
{
  g_return_if_fail (job != NULL);

  g_clear_pointer (&job->held_out, g_free);
  if (held_out != NULL && job->n_dataset > 0)
    job->held_out = g_memdup2 (held_out, sizeof (gboolean) * job->n_dataset);
}

void
sf_people_job_run (SfPeopleJob *job, GCancellable *cancellable)
{
  g_return_if_fail (job != NULL);

  GError *error = NULL;

  enrol (job, cancellable);
  if (g_cancellable_is_cancelled (cancellable))
    return;
  if (!sf_gallery_is_current (job->gallery, job->model))
    {
      if (!sf_gallery_update (job->gallery, job->model, &error))
        {
          add_error (job, error->message);
          g_clear_error (&error);
          return;
        }
      job->gallery_changed = TRUE;
    }
  project (job, cancellable);
}

static void
run_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  sf_people_job_run (task_data, cancellable);
}

void
sf_people_job_run_async (SfPeopleJob *job, gpointer source_object, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (job != NULL);

  GTask *task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, sf_people_job_run_async);
  g_task_set_task_data (task, job, (GDestroyNotify) sf_people_job_free);
  sf_worker_run_in_thread (task, run_in_thread);
  g_object_unref (task);
}

SfPeopleJob *
sf_people_job_run_finish (GAsyncResult *result)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_get_task_data (G_TASK (result));
}

SfGallery *
sf_people_job_steal_gallery (SfPeopleJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);

  if (!job->gallery_changed)
    return NULL;
  job->gallery_changed = FALSE;
  return g_steal_pointer (&job->gallery);
}

SfMapData *
sf_people_job_get_map (SfPeopleJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);

  return job->map;
}

const char *const *
sf_people_job_get_errors (SfPeopleJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);

  return (const char *const *) job->errors->pdata;
}
