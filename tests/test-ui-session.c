/* With no display: the session as the one owner of the shared state (the
 * threshold taken from a checkpoint, marked modified when changed, written
 * from the session when saving; the history read through it; the gallery
 * read and written beside the model file). */
#include <glib/gstdio.h>
#include <string.h>

#include "sf-session.h"
#include "sf-test-files.h"
#include "sf-test-model.h"

static SfDataset *demo;
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

int
main (int argc, char **argv)
{
  GError *error = NULL;

  g_test_init (&argc, &argv, NULL);
  demo = sf_demo_faces_generate (32, 0, &error);
  g_assert_no_error (error);
  tmp_dir = sf_test_make_tmp_dir ("sf-ui-session-XXXXXX");

  g_test_add_func ("/ui-logic/session/threshold", test_threshold);
  g_test_add_func ("/ui-logic/session/gallery", test_gallery);
  int status = g_test_run ();

  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  sf_dataset_free (demo);
  return status;
}
