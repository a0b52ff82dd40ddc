/* safetensors: round trip, crafted corrupt files, truncation at every length, atomic saves. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "error.h"
#include "safetensors.h"

static char *dir;

static char *
path_in_dir (const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static void
write_bytes (const char *path, const void *data, gsize size)
{
  g_assert_true (g_file_set_contents (path, data, (gssize) size, NULL));
}

/* A file with the given JSON header (padded) and `data_size` bytes of data. */
static char *
craft (const char *name, const char *header, gsize data_size)
{
  char *path = path_in_dir (name);
  gsize len = strlen (header);
  GByteArray *bytes = g_byte_array_new ();
  guint64 le = GUINT64_TO_LE ((guint64) len);
  g_byte_array_append (bytes, (const guint8 *) &le, 8);
  g_byte_array_append (bytes, (const guint8 *) header, (guint) len);
  for (gsize k = 0; k < data_size; k++)
    g_byte_array_append (bytes, (const guint8 *) "\0", 1);
  write_bytes (path, bytes->data, bytes->len);
  g_byte_array_unref (bytes);
  return path;
}

static void
write_valid (const char *path)
{
  float weights[6] = { 1, 2, 3, 4, 5, 6.5f };
  float bias[2] = { -1, 0.25f };
  SfTensorView tensors[] = {
    { .name = "tower.0.weight", .dtype = SF_DTYPE_F32, .rank = 2, .shape = { 2, 3 }, .data = weights, .n_bytes = sizeof weights },
    { .name = "tower.0.bias", .dtype = SF_DTYPE_F32, .rank = 1, .shape = { 2 }, .data = bias, .n_bytes = sizeof bias },
  };
  const char *metadata[] = { "format", "test", "history", "[{\"epoch\": 1}]", NULL };
  GError *error = NULL;
  g_assert_true (sf_safetensors_write (path, tensors, 2, metadata, &error));
  g_assert_no_error (error);
}

static void
test_round_trip (void)
{
  g_autofree char *path = path_in_dir ("model.safetensors");
  write_valid (path);
  GError *error = NULL;
  g_autoptr (SfSafetensors) file = sf_safetensors_read (path, &error);
  g_assert_no_error (error);
  SfTensorView view;
  g_assert_true (sf_safetensors_get (file, "tower.0.weight", &view));
  g_assert_cmpint (view.dtype, ==, SF_DTYPE_F32);
  g_assert_cmpint (view.rank, ==, 2);
  g_assert_cmpint (view.shape[0], ==, 2);
  g_assert_cmpint (view.shape[1], ==, 3);
  g_assert_cmpfloat (((const float *) view.data)[5], ==, 6.5f);
  g_assert_true (sf_safetensors_get (file, "tower.0.bias", &view));
  g_assert_cmpfloat (((const float *) view.data)[1], ==, 0.25f);
  g_assert_false (sf_safetensors_get (file, "nothing", &view));
  g_assert_cmpstr (sf_safetensors_get_metadata (file, "history"), ==, "[{\"epoch\": 1}]");
  g_assert_null (sf_safetensors_get_metadata (file, "absent"));
  int n = 0;
  g_autofree const char **names = sf_safetensors_names (file, &n);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpstr (names[0], ==, "tower.0.bias");

  /* The header length is a multiple of 8 so the data is aligned. */
  g_autofree char *bytes = NULL;
  gsize size;
  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  guint64 header_len;
  memcpy (&header_len, bytes, 8);
  g_assert_cmpuint (GUINT64_FROM_LE (header_len) % 8, ==, 0);
  g_assert_cmpuint (size, ==, 8 + GUINT64_FROM_LE (header_len) + 32);
}

static void
expect_error (const char *path, int code, const char *needle)
{
  GError *error = NULL;
  SfSafetensors *file = sf_safetensors_read (path, &error);
  if (file != NULL)
    g_error ("%s was accepted, expected an error containing '%s'", path, needle);
  g_assert_error (error, SF_ERROR, code);
  g_assert_nonnull (strstr (error->message, path));
  if (strstr (error->message, needle) == NULL)
    g_error ("'%s' lacks '%s'", error->message, needle);
  g_error_free (error);
}

static void
test_corrupt_files (void)
{
  g_autofree char *empty = path_in_dir ("empty");
  write_bytes (empty, "", 0);
  expect_error (empty, SF_ERROR_TRUNCATED, "truncated");

  g_autofree char *short_header = path_in_dir ("short");
  write_bytes (short_header, "\x10\0\0", 3);
  expect_error (short_header, SF_ERROR_TRUNCATED, "truncated");

  g_autofree char *beyond = path_in_dir ("beyond");
  write_bytes (beyond, "\x40\0\0\0\0\0\0\0{}", 10);
  expect_error (beyond, SF_ERROR_TRUNCATED, "header needs 64 bytes");

  g_autofree char *absurd = path_in_dir ("absurd");
  write_bytes (absurd, "\0\0\0\0\0\0\0\x10{}", 10);
  expect_error (absurd, SF_ERROR_TOO_LARGE, "absurd");

  g_autofree char *bad_json = craft ("bad-json", "{\"a\": [1, 2", 0);
  expect_error (bad_json, SF_ERROR_FORMAT, "bad JSON");

  g_autofree char *array = craft ("array", "[1, 2, 3]       ", 0);
  expect_error (array, SF_ERROR_FORMAT, "JSON object");

  g_autofree char *dtype = craft ("dtype", "{\"t\": {\"dtype\": \"Q7\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4);
  expect_error (dtype, SF_ERROR_UNSUPPORTED, "dtype");

  g_autofree char *mismatch = craft ("mismatch", "{\"t\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8);
  expect_error (mismatch, SF_ERROR_FORMAT, "do not hold 3 values");

  g_autofree char *range = craft ("range", "{\"t\": {\"dtype\": \"F32\", \"shape\": [100], \"data_offsets\": [0, 400]}}", 300);
  expect_error (range, SF_ERROR_TRUNCATED, "beyond the 300 bytes");

  g_autofree char *overlap = craft ("overlap",
                                    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                                    " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12);
  expect_error (overlap, SF_ERROR_FORMAT, "overlaps");

  g_autofree char *negative = craft ("negative", "{\"t\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4);
  expect_error (negative, SF_ERROR_FORMAT, "non-negative");

  g_autofree char *meta = craft ("meta", "{\"__metadata__\": {\"a\": 5}}", 0);
  expect_error (meta, SF_ERROR_FORMAT, "not a string");

  g_autofree char *trailing = craft ("trailing", "{\"t\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 5);
  expect_error (trailing, SF_ERROR_FORMAT, "belong to none");

  g_autofree char *gap = craft ("gap", "{\"t\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [2, 4]}}", 4);
  expect_error (gap, SF_ERROR_FORMAT, "gap");

  g_autofree char *huge_shape = craft ("huge", "{\"t\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296], \"data_offsets\": [0, 4]}}", 4);
  expect_error (huge_shape, SF_ERROR_TOO_LARGE, "too large");

  expect_error ("/no/such/model.safetensors", SF_ERROR_IO, "");
}

static void
test_every_truncation_and_flip (void)
{
  g_autofree char *path = path_in_dir ("source.safetensors");
  write_valid (path);
  g_autofree char *bytes = NULL;
  gsize size;
  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  g_autofree char *cut = path_in_dir ("cut.safetensors");
  for (gsize len = 0; len < size; len++)
    {
      write_bytes (cut, bytes, len);
      GError *error = NULL;
      SfSafetensors *file = sf_safetensors_read (cut, &error);
      /* Every proper prefix lacks data the header promises. */
      g_assert_null (file);
      g_assert_nonnull (error);
      g_error_free (error);
    }
  g_autofree char *copy = g_memdup2 (bytes, size);
  int accepted = 0;
  for (gsize pos = 0; pos < size - 32; pos++)
    for (int bit = 0; bit < 8; bit += 3)
      {
        memcpy (copy, bytes, size);
        copy[pos] ^= (char) (1 << bit);
        write_bytes (cut, copy, size);
        GError *error = NULL;
        SfSafetensors *file = sf_safetensors_read (cut, &error);
        if (file != NULL)
          {
            accepted++;
            sf_safetensors_free (file);
          }
        else
          g_error_free (error);
      }
  /* Some flips (inside a name or a metadata string) still make a valid file. */
  g_assert_cmpint (accepted, >, 0);
}

static void
test_atomic_save_keeps_old_file (void)
{
  g_autofree char *path = path_in_dir ("keep.safetensors");
  write_valid (path);
  g_autofree char *before = NULL;
  gsize before_size;
  g_assert_true (g_file_get_contents (path, &before, &before_size, NULL));

  /* A save whose tensors lie about their size fails before touching the file. */
  float x = 1;
  SfTensorView bad = { .name = "x", .dtype = SF_DTYPE_F32, .rank = 1, .shape = { 3 }, .data = &x, .n_bytes = 4 };
  GError *error = NULL;
  g_assert_false (sf_safetensors_write (path, &bad, 1, NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);

  /* A save into a path that is a folder fails and leaves no temporary files. */
  g_autofree char *folder = path_in_dir ("a-folder");
  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  SfTensorView good = { .name = "x", .dtype = SF_DTYPE_F32, .rank = 1, .shape = { 1 }, .data = &x, .n_bytes = 4 };
  g_assert_false (sf_safetensors_write (folder, &good, 1, NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_IO);
  g_clear_error (&error);
  g_rmdir (folder);

  g_autofree char *after = NULL;
  gsize after_size;
  g_assert_true (g_file_get_contents (path, &after, &after_size, NULL));
  g_assert_cmpmem (before, before_size, after, after_size);
  GDir *listing = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (listing)) != NULL)
    g_assert_null (strstr (name, "keep.safetensors."));
  g_dir_close (listing);
}

static void
remove_dir (void)
{
  GDir *listing = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = path_in_dir (name);
      g_unlink (path);
    }
  g_dir_close (listing);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("sf-safetensors-XXXXXX", NULL);
  g_test_add_func ("/safetensors/round-trip", test_round_trip);
  g_test_add_func ("/safetensors/corrupt-files", test_corrupt_files);
  g_test_add_func ("/safetensors/truncation-and-flips", test_every_truncation_and_flip);
  g_test_add_func ("/safetensors/atomic-save", test_atomic_save_keeps_old_file);
  int status = g_test_run ();
  remove_dir ();
  g_free (dir);
  return status;
}
