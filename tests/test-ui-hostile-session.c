/* With no display, so AddressSanitizer can watch it too: the GUI's own path
 * for files people send each other. Each crafted hostile gallery
 * (sf-test-hostile.c) beside a good model is refused by the session
 * ("gallery-error" naming the gallery and the problem) or, when it loads, by
 * the People view's job; the job once copied past the embeddings of a gallery
 * that named the model but held narrower ones. */
#include <glib/gstdio.h>
#include <string.h>

#include "checkpoint.h"
#include "sf-people-job.h"
#include "sf-session.h"
#include "sf-test-files.h"
#include "sf-test-hostile.h"

static char *tmp_dir;

static void
gallery_error_cb (SfSession *session, const char *message, char **last)
{
  g_free (*last);
  *last = g_strdup (message);
}

static void
test_galleries (void)
{
  GError *error = NULL;
  g_autoptr (SfModel) model = sf_model_new ("conv4k3-bn-relu pool2 gap dense8", SF_HEAD_CONTRASTIVE, 2.0f, 16, 3,
                                            &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) files = sf_test_write_hostile_galleries (tmp_dir, model);
  SfDataset *demo = sf_demo_faces_generate (16, 0, &error);
  g_assert_no_error (error);
  g_autoptr (SfFaceList) demo_faces = sf_face_list_new (demo);   /* owns demo */

  for (guint k = 0; k < files->len; k++)
    {
      SfTestHostileFile *file = files->pdata[k];
      g_autofree char *model_name = g_path_get_basename (file->path);
      g_autofree char *base = g_strndup (model_name, strlen (model_name) - strlen (".safetensors"));
      g_autofree char *gallery = g_strconcat (base, ".gallery", NULL);
      g_autoptr (SfSession) session = sf_session_new ();
      g_autofree char *message = NULL;
      g_signal_connect (session, "gallery-error", G_CALLBACK (gallery_error_cb), &message);
      SfCheckpoint *checkpoint = sf_checkpoint_load (file->path, &error);
      g_assert_no_error (error);
      sf_session_set_checkpoint (session, checkpoint, file->path);
      if (message == NULL)
        {
          /* Loaded: the People view's job must refuse it. */
          g_autoptr (SfPeopleJob) job = sf_people_job_new (checkpoint->model, sf_session_get_gallery (session), NULL,
                                                           demo_faces);
          sf_people_job_run (job, NULL);
          const char *const *errors = sf_people_job_get_errors (job);
          g_assert_nonnull (errors[0]);
          message = g_strdup (errors[0]);
          g_assert_null (sf_people_job_get_map (job));
        }
      g_test_message ("%s: %s", file->name, message);
      if (strstr (message, gallery) == NULL || strstr (message, file->needle) == NULL)
        g_error ("%s: '%s' lacks '%s' or '%s'", file->name, message, gallery, file->needle);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmp_dir = sf_test_make_tmp_dir ("sf-hostile-session-XXXXXX");
  g_test_add_func ("/ui/hostile-session/galleries", test_galleries);
  int status = g_test_run ();
  sf_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
