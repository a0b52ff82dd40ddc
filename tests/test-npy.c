/* The .npy writer: the exact v1.0 layout, and (where numpy is installed) numpy reads it back. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "error.h"
#include "npy.h"

static char *
temp_dir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("sf-npy-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
remove_dir (const char *dir)
{
  GDir *handle = g_dir_open (dir, 0, NULL);
  const char *name;
  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  if (handle != NULL)
    g_dir_close (handle);
  g_rmdir (dir);
}

static void
test_float32_layout (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "images.npy", NULL);
  float data[2 * 3 * 4];
  for (int i = 0; i < 24; i++)
    data[i] = i * 0.5f;
  gsize shape[3] = { 2, 3, 4 };
  GError *error = NULL;
  g_assert_true (sf_npy_write_float32 (path, data, shape, 3, &error));
  g_assert_no_error (error);

  g_autofree char *bytes = NULL;
  gsize size = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  g_assert_cmpmem (bytes, 8, "\x93NUMPY\x01\x00", 8);
  gsize header_len = (guint8) bytes[8] | ((guint8) bytes[9] << 8);
  g_assert_cmpuint ((10 + header_len) % 64, ==, 0);
  g_assert_cmpuint (size, ==, 10 + header_len + sizeof data);
  g_autofree char *header = g_strndup (bytes + 10, header_len);
  g_assert_true (g_str_has_prefix (header, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }"));
  g_assert_true (g_str_has_suffix (header, "\n"));
  g_assert_cmpmem (bytes + 10 + header_len, sizeof data, data, sizeof data);
  remove_dir (dir);
}

static void
test_int32_one_dimension (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "labels.npy", NULL);
  gint32 labels[5] = { 0, 0, 1, 1, 7 };
  gsize shape[1] = { 5 };
  GError *error = NULL;
  g_assert_true (sf_npy_write_int32 (path, labels, shape, 1, &error));
  g_autofree char *bytes = NULL;
  gsize size = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  gsize header_len = (guint8) bytes[8] | ((guint8) bytes[9] << 8);
  g_autofree char *header = g_strndup (bytes + 10, header_len);
  /* A one-element tuple needs its trailing comma in Python. */
  g_assert_nonnull (strstr (header, "'shape': (5,)"));
  g_assert_nonnull (strstr (header, "'<i4'"));
  g_assert_cmpmem (bytes + 10 + header_len, sizeof labels, labels, sizeof labels);
  remove_dir (dir);
}

static void
test_unwritable_path_fails_cleanly (void)
{
  float data[1] = { 1 };
  gsize shape[1] = { 1 };
  GError *error = NULL;
  g_assert_false (sf_npy_write_float32 ("/nonexistent-dir/x.npy", data, shape, 1, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent-dir/x.npy"));
  g_error_free (error);
}

static void
test_numpy_reads_it (void)
{
  /* Debian's python3 (where python3-numpy installs) before whatever PATH prefers. */
  g_autofree char *python = g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)
                              ? g_strdup ("/usr/bin/python3") : g_find_program_in_path ("python3");
  const char *check = "import numpy";
  if (python == NULL)
    {
      g_test_skip ("python3 is not installed");
      return;
    }
  int status = 0;
  g_spawn_sync (NULL, (char *[]) { python, "-c", (char *) check, NULL }, NULL,
                G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                &status, NULL);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_skip ("python3 has no numpy");
      return;
    }

  g_autofree char *dir = temp_dir ();
  g_autofree char *images = g_build_filename (dir, "images.npy", NULL);
  g_autofree char *labels = g_build_filename (dir, "labels.npy", NULL);
  float data[3 * 2 * 2] = { 0, 0.25f, 0.5f, 1, 2, 3, 4, 5, 6, 7, 8, 9.5f };
  gint32 ids[3] = { 4, -1, 2 };
  g_assert_true (sf_npy_write_float32 (images, data, (gsize[]) { 3, 2, 2 }, 3, NULL));
  g_assert_true (sf_npy_write_int32 (labels, ids, (gsize[]) { 3 }, 1, NULL));
  const char *script =
    "import sys, numpy as np\n"
    "a = np.load(sys.argv[1]); b = np.load(sys.argv[2])\n"
    "assert a.dtype == np.float32 and a.shape == (3, 2, 2), (a.dtype, a.shape)\n"
    "assert a[0, 0, 1] == 0.25 and a[2, 1, 1] == 9.5\n"
    "assert b.dtype == np.int32 and b.tolist() == [4, -1, 2], b\n";
  g_autofree char *err = NULL;
  g_assert_true (g_spawn_sync (NULL, (char *[]) { python, "-c", (char *) script, images, labels, NULL },
                               NULL, 0, NULL, NULL, NULL, &err, &status, NULL));
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("numpy could not read the files: %s", err);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/npy/float32-layout", test_float32_layout);
  g_test_add_func ("/npy/int32-1d", test_int32_one_dimension);
  g_test_add_func ("/npy/unwritable", test_unwritable_path_fails_cleanly);
  g_test_add_func ("/npy/numpy-reads-it", test_numpy_reads_it);
  return g_test_run ();
}
