/* Temporary folders and files for tests. */
#include "sf-test-files.h"

#include <math.h>
#include <glib/gstdio.h>

char *
sf_test_make_tmp_dir (const char *template)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  g_assert_nonnull (dir);
  return dir;
}

void
sf_test_remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          sf_test_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_remove (path);
}

char *
sf_test_write_pgm (const char *dir, const char *name, const float *pixels, int width, int height, int scale)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GString) bytes = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (scale, >=, 1);
  g_string_append_printf (bytes, "P5\n%d %d\n255\n", width * scale, height * scale);
  for (int y = 0; y < height * scale; y++)
    for (int x = 0; x < width * scale; x++)
      {
        float value = CLAMP (pixels[(y / scale) * width + x / scale], 0.0f, 1.0f);
        g_string_append_c (bytes, (char) (guint8) lrintf (value * 255.0f));
      }
  g_assert_true (g_file_set_contents (path, bytes->str, (gssize) bytes->len, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

int
sf_test_image_of (const SfDataset *dataset, int person, int k)
{
  for (int i = 0; i < dataset->n_images; i++)
    if (dataset->labels[i] == person && k-- == 0)
      return i;
  g_assert_not_reached ();
}
