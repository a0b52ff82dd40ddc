/* With no display: the session as the one owner of the shared state (the
 * threshold taken from a checkpoint, marked modified when changed, written
 * from the session when saving; the history read through it; the gallery
 * read and written beside the model file), and the People view's worker job
 * (enrolment, re-embedding, the map's points). */
#include <glib/gstdio.h>
#include <string.h>

#include "sf-people-job.h"
#include "sf-session.h"
#include "sf-test-files.h"
#include "sf-test-model.h"

static SfDataset *demo;
static SfFaceList *demo_faces;   /* owns demo */
static char *tmp_dir;

static SfCheckpoint *
train (int epochs, float threshold)
{
  GError *error = NULL;
  SfCheckpoint *checkpoint = sf_test_train_checkpoint (demo, epochs, &error);
  g_assert_no_error (error);
  g_assert_nonnull (checkpoint);
  checkpoint->threshold = threshold;
  return checkpoint;
}

static char *
save_checkpoint (const SfCheckpoint *checkpoint, const char *name)
{
  GError *error = NULL;
  char *path = g_build_filename (tmp_dir, name, NULL);
  g_assert_true (sf_checkpoint_save (path, checkpoint->model, &checkpoint->settings, checkpoint->history,
                                     checkpoint->n_history, checkpoint->threshold, NULL, NULL, &error));
  g_assert_no_error (error);
  return path;
}

static SfCheckpoint *
load_checkpoint (const char *path)
{
  GError *error = NULL;
  SfCheckpoint *checkpoint = sf_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return checkpoint;
}

static void
count_cb (GObject *object, GParamSpec *pspec, gpointer data)
{
  (*(int *) data)++;
}

static void
test_threshold (void)
{
  g_autoptr (SfSession) session = sf_session_new ();
  int n_threshold = 0, n_modified = 0;
  GError *error = NULL;

  g_signal_connect (session, "notify::threshold", G_CALLBACK (count_cb), &n_threshold);
  g_signal_connect (session, "notify::modified", G_CALLBACK (count_cb), &n_modified);
  g_assert_cmpfloat (sf_session_get_threshold (session), ==, 0.5);

  /* Without a model a threshold is nothing to save. */
  sf_session_set_threshold (session, 0.6);
  g_assert_false (sf_session_get_modified (session));

  /* Setting a checkpoint sets the threshold from it, unmodified. */
  sf_session_set_checkpoint (session, train (1, 0.25f), NULL);
  g_assert_cmpfloat (sf_session_get_threshold (session), ==, 0.25f);
  g_assert_cmpint (n_threshold, ==, 2);
  g_assert_false (sf_session_get_modified (session));

  /* The history is the model's. */
  int n_epochs = -1;
  const SfEpochRecord *history = sf_session_get_history (session, &n_epochs);
  g_assert_cmpint (n_epochs, ==, 1);
  g_assert_true (history == sf_session_get_checkpoint (session)->history);

  /* Changing the threshold marks the model modified. */
  sf_session_set_threshold (session, 0.75);
  g_assert_cmpfloat (sf_session_get_threshold (session), ==, 0.75);
  g_assert_true (sf_session_get_modified (session));
  g_assert_cmpint (n_threshold, ==, 3);

  /* The checkpoint's field is what the model came with, not the live value:
   * the session neither reads nor keeps it current. Someone writing to it
   * changes neither what the views read nor what is saved. */
  SfCheckpoint *checkpoint = (SfCheckpoint *) sf_session_get_checkpoint (session);
  g_assert_cmpfloat (checkpoint->threshold, ==, 0.25f);
  checkpoint->threshold = 0.9f;
  g_assert_cmpfloat (sf_session_get_threshold (session), ==, 0.75);

  /* Saving writes the session's threshold and clears "modified". */
  g_autofree char *path = g_build_filename (tmp_dir, "threshold.safetensors", NULL);
  g_assert_true (sf_session_save (session, path, &error));
  g_assert_no_error (error);
  g_assert_false (sf_session_get_modified (session));
  g_assert_cmpstr (sf_session_get_model_path (session), ==, path);
  g_autoptr (SfCheckpoint) reread = load_checkpoint (path);
  g_assert_cmpfloat (reread->threshold, ==, 0.75f);
  g_assert_cmpint (reread->n_history, ==, 1);
  g_assert_cmpfloat (checkpoint->threshold, ==, 0.9f);   /* saving did not write it back either */
  g_assert_cmpint (n_modified, ==, 2);

  /* Opened again, the file's threshold comes back through the session. */
  sf_session_set_checkpoint (session, g_steal_pointer (&reread), path);
  g_assert_cmpfloat (sf_session_get_threshold (session), ==, 0.75f);
  g_assert_false (sf_session_get_modified (session));
}

static void
error_cb (SfSession *session, const char *message, gpointer data)
{
  char **last = data;
  g_free (*last);
  *last = g_strdup (message);
}

static SfGallery *
gallery_with (const SfGallery *gallery, SfModel *model, const char *name, int person)
{
  GError *error = NULL;
  SfGallery *copy = sf_gallery_copy (gallery);
  const float *pixels = sf_dataset_image (demo, sf_test_image_of (demo, person, 0));
  g_assert_true (sf_gallery_enroll (copy, model, name, pixels, NULL, 1, &error));
  g_assert_no_error (error);
  return copy;
}

static int
people_in_file (const char *path)
{
  GError *error = NULL;
  g_autoptr (SfGallery) gallery = sf_gallery_load (path, &error);
  g_assert_no_error (error);
  return sf_gallery_get_n_people (gallery);
}

static void
test_gallery (void)
{
  g_autoptr (SfSession) session = sf_session_new ();
  g_autofree char *last_error = NULL;
  int n_gallery = 0, n_path = 0;

  g_signal_connect (session, "gallery-error", G_CALLBACK (error_cb), &last_error);
  g_signal_connect (session, "notify::gallery", G_CALLBACK (count_cb), &n_gallery);
  g_signal_connect (session, "notify::gallery-path", G_CALLBACK (count_cb), &n_path);
  g_assert_nonnull (sf_session_get_gallery (session));
  g_assert_cmpint (sf_gallery_get_n_people (sf_session_get_gallery (session)), ==, 0);
  g_assert_null (sf_session_get_gallery_path (session));

  /* A model with no file: the people stay in memory. */
  SfCheckpoint *trained = train (1, 0.5f);
  g_autofree char *first = save_checkpoint (trained, "first.safetensors");
  g_autofree char *first_gallery = g_build_filename (tmp_dir, "first.gallery", NULL);
  sf_session_set_checkpoint (session, trained, NULL);
  SfModel *model = trained->model;
  sf_session_set_gallery (session, gallery_with (sf_session_get_gallery (session), model, "Ann", 0));
  g_assert_cmpint (n_gallery, ==, 1);
  g_assert_null (sf_session_get_gallery_path (session));
  g_assert_false (g_file_test (first_gallery, G_FILE_TEST_EXISTS));

  /* Opened from a file with no gallery beside it: the people go there. */
  sf_session_set_checkpoint (session, load_checkpoint (first), first);
  model = sf_session_get_checkpoint (session)->model;
  g_assert_cmpstr (sf_session_get_gallery_path (session), ==, first_gallery);
  g_assert_cmpint (n_path, ==, 1);
  g_assert_cmpint (people_in_file (first_gallery), ==, 1);

  /* Every change is written beside the model. */
  sf_session_set_gallery (session, gallery_with (sf_session_get_gallery (session), model, "Bob", 1));
  g_assert_cmpint (people_in_file (first_gallery), ==, 2);

  /* Saved under a new name: the people go along. */
  g_autofree char *second = g_build_filename (tmp_dir, "second.safetensors", NULL);
  g_autofree char *second_gallery = g_build_filename (tmp_dir, "second.gallery", NULL);
  g_assert_true (sf_session_save (session, second, NULL));
  g_assert_cmpstr (sf_session_get_gallery_path (session), ==, second_gallery);
  g_assert_cmpint (people_in_file (second_gallery), ==, 2);
  sf_session_set_gallery (session, gallery_with (sf_session_get_gallery (session), model, "Cid", 2));
  g_assert_cmpint (people_in_file (second_gallery), ==, 3);
  g_assert_cmpint (people_in_file (first_gallery), ==, 2);

  /* Opening the first model again reads the people beside it. */
  sf_session_set_checkpoint (session, load_checkpoint (first), first);
  g_assert_cmpint (sf_gallery_get_n_people (sf_session_get_gallery (session)), ==, 2);
  g_assert_cmpint (sf_gallery_find_person (sf_session_get_gallery (session), "Cid"), ==, -1);
  g_assert_null (last_error);

  /* A gallery file that cannot be read is reported and left alone. */
  g_autofree char *third = save_checkpoint (sf_session_get_checkpoint (session), "third.safetensors");
  g_autofree char *third_gallery = g_build_filename (tmp_dir, "third.gallery", NULL);
  g_assert_true (g_file_set_contents (third_gallery, "not a gallery", -1, NULL));
  sf_session_set_checkpoint (session, load_checkpoint (third), third);
  model = sf_session_get_checkpoint (session)->model;
  g_assert_nonnull (last_error);
  g_assert_nonnull (strstr (last_error, "third.gallery"));
  g_assert_null (sf_session_get_gallery_path (session));
  sf_session_set_gallery (session, gallery_with (sf_session_get_gallery (session), model, "Dee", 3));
  g_autofree char *contents = NULL;
  g_assert_true (g_file_get_contents (third_gallery, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "not a gallery");
}

static SfPeopleJob *
run_job (SfModel *model, const SfGallery *gallery, GPtrArray *enrolments)
{
  SfPeopleJob *job = sf_people_job_new (model, gallery, enrolments, demo_faces);
  g_assert_nonnull (job);
  sf_people_job_run (job, NULL);
  g_assert_null (sf_people_job_get_errors (job)[0]);
  return job;
}

static void
test_people_job (void)
{
  g_autoptr (SfCheckpoint) first = train (1, 0.5f);
  g_autoptr (SfCheckpoint) second = train (2, 0.5f);
  g_autoptr (SfGallery) empty = sf_gallery_new (demo->width);
  g_autoptr (GPtrArray) enrolments = g_ptr_array_new_with_free_func ((GDestroyNotify) sf_enrolment_free);
  int ann = sf_test_image_of (demo, 4, 0);

  /* Nothing to enrol and nothing to re-embed: no new gallery, the dataset mapped. */
  g_autoptr (SfPeopleJob) idle = run_job (first->model, empty, NULL);
  g_assert_null (sf_people_job_steal_gallery (idle));
  SfMapData *map = sf_people_job_get_map (idle);
  g_assert_nonnull (map);
  g_assert_cmpint (map->n_points, ==, demo->n_images);
  g_assert_cmpint (sf_map_data_get_n_enrolled (map), ==, 0);
  g_assert_cmpint (map->face_size, ==, sf_model_get_input_size (first->model));
  for (int i = 0; i < demo->n_images; i++)
    g_assert_cmpint (map->points[i].colour, ==, demo->labels[i]);
  g_assert_cmpmem (map->faces + (gsize) ann * demo->width * demo->width, sizeof (float) * demo->width * demo->width,
                   sf_dataset_image (demo, ann), sizeof (float) * demo->width * demo->width);

  /* Enrolled: a new gallery, the enrolled face last on the map, in the colour
   * of the dataset person of that name. */
  g_ptr_array_add (enrolments, sf_enrolment_new_face (demo->person_names[4], sf_dataset_image (demo, ann), demo->width,
                                                      NULL));
  g_autoptr (SfPeopleJob) enrol = run_job (first->model, empty, enrolments);
  g_autoptr (SfGallery) enrolled = sf_people_job_steal_gallery (enrol);
  g_assert_nonnull (enrolled);
  g_assert_cmpint (sf_gallery_get_n_people (enrolled), ==, 1);
  map = sf_people_job_get_map (enrol);
  g_assert_cmpint (map->n_points, ==, demo->n_images + 1);
  g_assert_true (map->points[demo->n_images].enrolled);
  g_assert_cmpint (map->points[demo->n_images].colour, ==, 4);
  g_assert_true (g_str_has_prefix (map->labels[demo->n_images], demo->person_names[4]));

  /* Current embeddings: nothing to hand back. Another model: re-embedded. */
  g_autoptr (SfPeopleJob) same = run_job (first->model, enrolled, NULL);
  g_assert_null (sf_people_job_steal_gallery (same));
  g_assert_false (sf_gallery_is_current (enrolled, second->model));
  g_autoptr (SfPeopleJob) other = run_job (second->model, enrolled, NULL);
  g_autoptr (SfGallery) reembedded = sf_people_job_steal_gallery (other);
  g_assert_nonnull (reembedded);
  g_assert_true (sf_gallery_is_current (reembedded, second->model));

  /* A bad file is reported, the others enrolled. */
  g_autofree char *bad = g_build_filename (tmp_dir, "bad.pgm", NULL);
  g_assert_true (g_file_set_contents (bad, "P5\n9999999 1\n255\n", -1, NULL));
  const char *bad_paths[] = { bad, NULL };
  g_ptr_array_add (enrolments, sf_enrolment_new_files ("Bad", bad_paths));
  g_autoptr (SfPeopleJob) mixed = sf_people_job_new (first->model, empty, enrolments, demo_faces);
  sf_people_job_run (mixed, NULL);
  g_assert_nonnull (sf_people_job_get_errors (mixed)[0]);
  g_assert_nonnull (strstr (sf_people_job_get_errors (mixed)[0], "bad.pgm"));
  g_autoptr (SfGallery) partly = sf_people_job_steal_gallery (mixed);
  g_assert_cmpint (sf_gallery_get_n_people (partly), ==, 1);
}

int
main (int argc, char **argv)
{
  GError *error = NULL;

  g_test_init (&argc, &argv, NULL);
  demo = sf_demo_faces_generate (32, 0, &error);
  g_assert_no_error (error);
  demo_faces = sf_face_list_new (demo);
  tmp_dir = sf_test_make_tmp_dir ("sf-ui-session-XXXXXX");

  g_test_add_func ("/ui-logic/session/threshold", test_threshold);
  g_test_add_func ("/ui-logic/session/gallery", test_gallery);
  g_test_add_func ("/ui-logic/people-job", test_people_job);
  int status = g_test_run ();

  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  g_object_unref (demo_faces);
  return status;
}
