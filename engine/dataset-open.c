/* Opening a dataset from a path: picks the loader by what the path is, then
 * brings every image to the model's input size. Sits on top of the loaders. */
#include "dataset.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "error.h"
#include "untrusted.h"

static gboolean
has_suffix_ci (const char *path, const char *suffix)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  return g_str_has_suffix (lower, suffix);
}

static gboolean
starts_with_matlab_magic (const char *path)
{
  guint8 head[6];
  gsize n = 0;
  return sf_untrusted_read_head (path, head, sizeof head, &n, NULL) && n == 6 && memcmp (head, "MATLAB", 6) == 0;
}

SfDataset *
sf_dataset_load (const char *path, const SfLoadOptions *options, GError **error)
{
  SfLoadOptions defaults = { 0 };
  if (options == NULL)
    options = &defaults;
  int size = options->size > 0 ? options->size : SF_DEFAULT_IMAGE_SIZE;
  if (size > SF_MAX_IMAGE_SIDE)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, _("invalid image size %d (1 to %d)"),
                   size, SF_MAX_IMAGE_SIDE);
      return NULL;
    }

  SfDataset *dataset = NULL;
  if (path == NULL)
    return sf_demo_faces_generate (size, 0, error);

  /* What the path is, said plainly when it is nothing we can read (a
   * dangling link, a loop of links, a FIFO that would block). */
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    {
      int errsv = errno;
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, sf_untrusted_errno_text (errsv));
      return NULL;
    }
  if (S_ISDIR (st.st_mode))
    dataset = sf_folder_load (path, options, error);
  else if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, sf_untrusted_mode_text (st.st_mode));
      return NULL;
    }
  else if (has_suffix_ci (path, ".mat") || starts_with_matlab_magic (path))
    dataset = sf_matfile_load_olivetti (path, error);
  else if (has_suffix_ci (path, ".pkz"))
    dataset = sf_pickle_load_olivetti (path, error);
  else
    {
      g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED,
                   _("%s: not a dataset (expected a folder of people, an Olivetti .mat or a scikit-learn .pkz)"),
                   path);
      return NULL;
    }
  if (dataset == NULL)
    return NULL;
  if (!sf_dataset_resize (dataset, size, error))
    {
      sf_dataset_free (dataset);
      return NULL;
    }
  if (options->progress != NULL)
    options->progress (1.0, options->progress_data);
  return dataset;
}
