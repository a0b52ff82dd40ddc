/* siamese-faces-cli enroll, identify and verify: a gallery of people beside a
 * model, matched without retraining. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint.h"
#include "cli-common.h"
#include "error.h"
#include "gallery.h"
#include "untrusted.h"

static SfCheckpoint *
load_checkpoint (const char *path)
{
  GError *error = NULL;
  SfCheckpoint *checkpoint = sf_checkpoint_load (path, &error);
  if (checkpoint == NULL)
    cli_fail_with (error);
  return checkpoint;
}

/* The image files an argument names: the file itself, or every image directly inside a folder. */
static gboolean
expand_images (const char *arg, GPtrArray *paths)
{
  if (g_file_test (arg, G_FILE_TEST_IS_DIR))
    {
      GError *error = NULL;
      g_auto (GStrv) files = sf_face_list_folder (arg, &error);
      if (files == NULL)
        {
          cli_fail_with (error);
          return FALSE;
        }
      for (char **f = files; *f != NULL; f++)
        g_ptr_array_add (paths, g_strdup (*f));
      return TRUE;
    }
  GStatBuf st;
  if (g_stat (arg, &st) != 0)
    {
      /* Say what the path is: missing, a loop of links, unreadable. */
      int errsv = errno;
      g_printerr ("siamese-faces-cli: %s: %s\n", arg, sf_untrusted_errno_text (errsv));
      return FALSE;
    }
  g_ptr_array_add (paths, g_strdup (arg));
  return TRUE;
}

/* ---- enroll ---- */

int
cli_run_enroll (int argc, char **argv)
{
  g_autofree char *name = NULL;
  g_autofree char *people_dir = NULL;
  int shots = 0;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "The person's name", "NAME" },
    { "people", 0, 0, G_OPTION_ARG_FILENAME, &people_dir, "Enrol every subfolder of DIR as a person named after it", "DIR" },
    { "shots", 0, 0, G_OPTION_ARG_INT, &shots, "Enrol only the first N images of each person (default: all)", "N" },
    { NULL }
  };
  if (!cli_parse_options ("enroll", "MODEL GALLERY --name NAME IMAGE|FOLDER…", entries, &argc, &argv))
    return 2;
  if (argc < 3)
    {
      g_printerr ("siamese-faces-cli: enroll: give MODEL and GALLERY\n");
      return 2;
    }
  if ((name == NULL) == (people_dir == NULL))
    {
      g_printerr ("siamese-faces-cli: enroll: give either --name NAME with images, or --people DIR\n");
      return 2;
    }
  if (name != NULL && argc < 4)
    {
      g_printerr ("siamese-faces-cli: enroll: give the image files or folders of %s\n", name);
      return 2;
    }
  if (people_dir != NULL && argc > 3)
    {
      g_printerr ("siamese-faces-cli: enroll: unexpected argument '%s' with --people\n", argv[3]);
      return 2;
    }
  if (shots < 0)
    {
      g_printerr ("siamese-faces-cli: --shots %d: expected a positive number\n", shots);
      return 2;
    }
  const char *gallery_path = argv[2];
  g_autoptr (SfCheckpoint) checkpoint = load_checkpoint (argv[1]);
  if (checkpoint == NULL)
    return 1;
  SfModel *model = checkpoint->model;

  GError *error = NULL;
  g_autoptr (SfGallery) gallery = NULL;
  if (g_file_test (gallery_path, G_FILE_TEST_EXISTS))
    {
      gallery = sf_gallery_load (gallery_path, &error);
      if (gallery == NULL)
        {
          cli_fail_with (error);
          return 1;
        }
    }
  else
    gallery = sf_gallery_new (sf_model_get_input_size (model));

  /* name → image paths, in order. */
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) lists = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  if (name != NULL)
    {
      GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (lists, paths);
      g_ptr_array_add (names, g_strdup (name));
      for (int k = 3; k < argc; k++)
        if (!expand_images (argv[k], paths))
          return 1;
    }
  else
    {
      g_autoptr (SfDataset) dataset = NULL;
      SfLoadOptions options = { .size = sf_model_get_input_size (model) };
      /* The folder loader gives the people, names and files in the dataset's natural order. */
      dataset = sf_folder_load (people_dir, &options, &error);
      if (dataset == NULL)
        {
          cli_fail_with (error);
          return 1;
        }
      for (int p = 0; p < dataset->n_people; p++)
        {
          GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (lists, paths);
          g_ptr_array_add (names, g_strdup (dataset->person_names[p]));
          for (int i = 0; i < dataset->n_images; i++)
            if (dataset->labels[i] == p && dataset->image_paths[i] != NULL)
              g_ptr_array_add (paths, g_strdup (dataset->image_paths[i]));
        }
    }

  for (guint k = 0; k < names->len; k++)
    {
      GPtrArray *paths = lists->pdata[k];
      int n = shots > 0 ? MIN (shots, (int) paths->len) : (int) paths->len;
      if (!sf_gallery_enroll_files (gallery, model, names->pdata[k], (const char *const *) paths->pdata, n, &error))
        {
          cli_fail_with (error);
          return 1;
        }
      g_print ("Enrolled %s: %d image%s\n", (const char *) names->pdata[k], n, n == 1 ? "" : "s");
    }
  if (!sf_gallery_save (gallery, gallery_path, &error))
    {
      cli_fail_with (error);
      return 1;
    }
  g_print ("Saved %s: %d people, %d faces\n", gallery_path, sf_gallery_get_n_people (gallery),
           sf_gallery_get_n_faces (gallery));
  return 0;
}

/* ---- identify ---- */

int
cli_run_identify (int argc, char **argv)
{
  int top = 5;
  double threshold = -1;
  GOptionEntry entries[] = {
    { "top", 0, 0, G_OPTION_ARG_INT, &top, "Show the best K people (default 5)", "K" },
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold, "Scores at or above it name the person (default: the model's)", "X" },
    { NULL }
  };
  if (!cli_parse_options ("identify", "MODEL GALLERY IMAGE|FOLDER…", entries, &argc, &argv))
    return 2;
  if (argc < 4)
    {
      g_printerr ("siamese-faces-cli: identify: give MODEL, GALLERY and a probe IMAGE\n");
      return 2;
    }
  if (top < 1)
    {
      g_printerr ("siamese-faces-cli: --top %d: expected a positive number\n", top);
      return 2;
    }
  g_autoptr (SfCheckpoint) checkpoint = load_checkpoint (argv[1]);
  if (checkpoint == NULL)
    return 1;
  SfModel *model = checkpoint->model;
  if (threshold < 0)
    threshold = checkpoint->threshold;
  GError *error = NULL;
  g_autoptr (SfGallery) gallery = sf_gallery_load (argv[2], &error);
  if (gallery == NULL)
    {
      cli_fail_with (error);
      return 1;
    }
  if (sf_gallery_get_n_people (gallery) == 0)
    {
      g_printerr ("siamese-faces-cli: %s: nobody is enrolled\n", argv[2]);
      return 1;
    }
  if (!sf_gallery_update (gallery, model, &error))
    {
      cli_fail_with (error);
      return 1;
    }
  g_autoptr (GPtrArray) probes = g_ptr_array_new_with_free_func (g_free);
  for (int k = 3; k < argc; k++)
    if (!expand_images (argv[k], probes))
      return 1;

  /* One probe: a ranked table. Several: one line each (path, verdict, best person, score). */
  gboolean table = probes->len == 1;
  int size = sf_model_get_input_size (model);
  for (guint k = 0; k < probes->len; k++)
    {
      const char *path = probes->pdata[k];
      g_autofree float *pixels = sf_face_load (path, size, &error);
      if (pixels == NULL)
        {
          cli_fail_with (error);
          return 1;
        }
      int n = 0;
      g_autofree SfCandidate *candidates = sf_gallery_identify (gallery, model, pixels, &n, &error);
      if (candidates == NULL)
        {
          cli_fail_with (error);
          return 1;
        }
      gboolean known = candidates[0].score >= threshold;
      const char *best = sf_gallery_get_person_name (gallery, candidates[0].person);
      if (!table)
        {
          g_print ("%s\t%s\t%s\t%.4f\n", path, known ? best : "unknown", best, candidates[0].score);
          continue;
        }
      g_print ("Probe: %s, threshold %.4f\n\n", path, threshold);
      g_print ("%4s  %-6s  %-8s  %s\n", "rank", "score", "distance", "person");
      for (int c = 0; c < MIN (top, n); c++)
        g_print ("%4d  %.4f  %8.4f  %s%s\n", c + 1, candidates[c].score, candidates[c].distance,
                 sf_gallery_get_person_name (gallery, candidates[c].person),
                 candidates[c].score >= threshold ? "" : "  (below the threshold)");
      if (known)
        g_print ("\nIdentified: %s (score %.4f)\n", best, candidates[0].score);
      else
        g_print ("\nUnknown person: nobody scores %.4f or more (best: %s, %.4f)\n", threshold, best,
                 candidates[0].score);
    }
  return 0;
}

/* ---- verify ---- */

int
cli_run_verify (int argc, char **argv)
{
  double threshold = -1;
  GOptionEntry entries[] = {
    { "threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold, "Scores at or above it mean the same person (default: the model's)", "X" },
    { NULL }
  };
  if (!cli_parse_options ("verify", "MODEL IMAGE IMAGE", entries, &argc, &argv))
    return 2;
  if (argc != 4)
    {
      g_printerr ("siamese-faces-cli: verify: give MODEL and two IMAGE files\n");
      return 2;
    }
  g_autoptr (SfCheckpoint) checkpoint = load_checkpoint (argv[1]);
  if (checkpoint == NULL)
    return 1;
  SfModel *model = checkpoint->model;
  if (threshold < 0)
    threshold = checkpoint->threshold;
  int size = sf_model_get_input_size (model);
  GError *error = NULL;
  g_autofree float *a = sf_face_load (argv[2], size, &error);
  g_autofree float *b = a != NULL ? sf_face_load (argv[3], size, &error) : NULL;
  float score = 0, distance = 0;
  if (b == NULL || !sf_verify_faces (model, a, b, &score, &distance, &error))
    {
      cli_fail_with (error);
      return 1;
    }
  g_print ("Score %.4f (distance %.4f), threshold %.4f: %s\n", score, distance, threshold,
           score >= threshold ? "same person" : "different people");
  return 0;
}
