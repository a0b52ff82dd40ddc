/* safetensors: round trip, crafted corrupt files (deeply nested and
 * oversized headers among them), truncation at every length, special files,
 * atomic saves that never write what cannot be read back, and the stale
 * temporaries of a killed save removed by the next one. */
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include "atomic-file.h"
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
  expect_error (bad_json, SF_ERROR_FORMAT, "the JSON header: not JSON");

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

/* header repeated to depth: open × depth + close × depth inside a tensor entry. */
static char *
craft_nested (const char *name, const char *open, const char *close, int depth)
{
  GString *header = g_string_new ("{\"t\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1], \"x\": ");
  for (int k = 0; k < depth; k++)
    g_string_append (header, open);
  for (int k = 0; k < depth; k++)
    g_string_append (header, close);
  g_string_append (header, "}}");
  char *path = craft (name, header->str, 1);
  g_string_free (header, TRUE);
  return path;
}

/* 100,000 nested brackets overflow json-glib's recursive parser: without
 * the scan before it this test dies of a stack overflow. */
static void
test_nested_and_oversized_headers (void)
{
  g_autofree char *arrays = craft_nested ("nested-arrays", "[", "]", 100000);
  expect_error (arrays, SF_ERROR_FORMAT, "the JSON header: arrays and objects nested deeper than 3 levels");
  g_autofree char *objects = craft_nested ("nested-objects", "{\"a\": ", "}", 100000);
  expect_error (objects, SF_ERROR_FORMAT, "nested deeper than 3 levels");
  /* The deepest a valid header goes (an array in a tensor entry) still reads. */
  g_autofree char *three = craft ("three", "{\"t\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1);
  GError *error = NULL;
  g_autoptr (SfSafetensors) file = sf_safetensors_read (three, &error);
  g_assert_no_error (error);
  /* Comments would hide brackets from the scan: refused, as the format does. */
  g_autofree char *comment = craft ("comment", "{\"t\": // \"\n [[[[1]]]]}", 0);
  expect_error (comment, SF_ERROR_FORMAT, "not JSON: unexpected '/'");

  /* Too many values for the parser's memory, refused by the scan. */
  GString *header = g_string_new ("{\"t\": {\"dtype\": \"U8\", \"shape\": [");
  for (gsize k = 0; k < SF_SAFETENSORS_MAX_HEADER_VALUES; k++)
    g_string_append (header, "1,");
  g_string_append (header, "1], \"data_offsets\": [0, 1]}}");
  g_autofree char *values = craft ("values", header->str, 1);
  g_string_free (header, TRUE);
  expect_error (values, SF_ERROR_TOO_LARGE, "more than 1048576 values");

  /* A header length beyond the limit is refused before anything is read. */
  g_autofree char *long_header = path_in_dir ("long-header");
  guint64 le = GUINT64_TO_LE (SF_SAFETENSORS_MAX_HEADER + 1);
  write_bytes (long_header, &le, 8);
  expect_error (long_header, SF_ERROR_TOO_LARGE, "absurd");
}

/* A FIFO would block the open forever, /dev/zero read without end: only regular files are opened. */
static void
test_special_files (void)
{
  g_autofree char *fifo = path_in_dir ("fifo.safetensors");
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  expect_error (fifo, SF_ERROR_IO, "not a regular file");
  g_unlink (fifo);
  expect_error ("/dev/zero", SF_ERROR_IO, "not a regular file");
  expect_error (dir, SF_ERROR_IO, "not a regular file");
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

/* What a file that could not be read back would be is never written. */
static void
test_unreadable_is_not_written (void)
{
  g_autofree char *path = path_in_dir ("unreadable.safetensors");
  write_valid (path);
  g_autofree char *before = NULL;
  gsize before_size;
  g_assert_true (g_file_get_contents (path, &before, &before_size, NULL));

  float x = 1;
  SfTensorView good = { .name = "x", .dtype = SF_DTYPE_F32, .rank = 1, .shape = { 1 }, .data = &x, .n_bytes = 4 };
  /* A metadata value that is not UTF-8 (a path from a non-UTF-8 file name). */
  const char *latin1[] = { "source", "/data/caf\xe9", NULL };
  GError *error = NULL;
  g_assert_false (sf_safetensors_write (path, &good, 1, latin1, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "not saved: it could not be read back"));
  g_clear_error (&error);
  /* A tensor name that is not UTF-8. */
  SfTensorView bad_name = good;
  bad_name.name = "x\xff";
  g_assert_false (sf_safetensors_write (path, &bad_name, 1, NULL, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);

  g_autofree char *after = NULL;
  gsize after_size;
  g_assert_true (g_file_get_contents (path, &after, &after_size, NULL));
  g_assert_cmpmem (before, before_size, after, after_size);
}

static int
count_temporaries (const char *base)
{
  g_autofree char *prefix = g_strconcat (base, SF_ATOMIC_FILE_INFIX, NULL);
  GDir *listing = g_dir_open (dir, 0, NULL);
  int n = 0;
  const char *name;
  while ((name = g_dir_read_name (listing)) != NULL)
    n += g_str_has_prefix (name, prefix);
  g_dir_close (listing);
  return n;
}

/* A child that starts saving path, writes half a file, says so on ready and
 * waits there: a save in progress, as a kill -9 would find it. */
static GPid
start_save_and_wait (const char *path, const int ready[2])
{
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* Never outlives the test, even one that fails before killing it. */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      alarm (120);
      SfAtomicFile *file = sf_atomic_file_begin (path, NULL);
      char half[4096] = { 0 };
      if (file == NULL || !sf_atomic_file_write (file, half, sizeof half, NULL) || write (ready[1], "r", 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  /* A child that fails never writes: the poll's minute is only a failsafe. */
  struct pollfd wait_for = { .fd = ready[0], .events = POLLIN };
  g_assert_cmpint (poll (&wait_for, 1, 60000), ==, 1);
  char c;
  g_assert_cmpint (read (ready[0], &c, 1), ==, 1);
  return pid;
}

static void
test_stale_temporaries (void)
{
  g_autofree char *path = path_in_dir ("target.safetensors");
  int pipe_fds[2];
  g_assert_cmpint (pipe (pipe_fds), ==, 0);

  /* A save killed with -9 leaves its temporary; a running one's is kept. */
  GPid killed = start_save_and_wait (path, pipe_fds);
  GPid running = start_save_and_wait (path, pipe_fds);
  g_assert_cmpint (count_temporaries ("target.safetensors"), ==, 2);
  kill (killed, SIGKILL);
  g_assert_cmpint (waitpid (killed, NULL, 0), ==, killed);
  g_assert_cmpint (count_temporaries ("target.safetensors"), ==, 2);

  /* Files that only look alike, and another target's temporaries, stay. */
  const char *bystanders[] = {
    "target.safetensors.partial-notes", "target.safetensors.partial-AbC1234", "target.safetensors.backup",
    "target.safetensors.partial-Ab.123", "other.safetensors.partial-AbC123",
  };
  for (guint k = 0; k < G_N_ELEMENTS (bystanders); k++)
    {
      g_autofree char *p = path_in_dir (bystanders[k]);
      write_bytes (p, "keep me", 7);
    }
  /* An empty one a save may just have created, not yet locked, stays; one
   * that has been empty for hours goes, as does a stale one with data. */
  g_autofree char *fresh = path_in_dir ("target.safetensors.partial-Fresh1");
  write_bytes (fresh, "", 0);
  g_autofree char *old_empty = path_in_dir ("target.safetensors.partial-0ld000");
  write_bytes (old_empty, "", 0);
  struct utimbuf hours_ago = { .actime = time (NULL) - 7200, .modtime = time (NULL) - 7200 };
  g_assert_cmpint (g_utime (old_empty, &hours_ago), ==, 0);
  g_autofree char *stale = path_in_dir ("target.safetensors.partial-St4le9");
  write_bytes (stale, "half a model", 12);
  /* A link with the name is not followed, nor removed. */
  g_autofree char *link = path_in_dir ("target.safetensors.partial-L1nk00");
  g_autofree char *victim = path_in_dir ("victim");
  write_bytes (victim, "precious", 8);
  g_assert_cmpint (symlink (victim, link), ==, 0);
  g_assert_cmpint (count_temporaries ("target.safetensors"), ==, 2 + 3 + 3 + 1);

  write_valid (path);
  /* Left: the running save's, the fresh empty one, the link, and the three look-alikes with the prefix. */
  g_assert_cmpint (count_temporaries ("target.safetensors"), ==, 1 + 1 + 1 + 3);
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (old_empty, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (victim, G_FILE_TEST_EXISTS));
  for (guint k = 0; k < G_N_ELEMENTS (bystanders); k++)
    {
      g_autofree char *p = path_in_dir (bystanders[k]);
      g_assert_true (g_file_test (p, G_FILE_TEST_EXISTS));
    }
  GError *error = NULL;
  g_autoptr (SfSafetensors) file = sf_safetensors_read (path, &error);
  g_assert_no_error (error);

  /* Once the running save is killed too, the next save removes its temporary. */
  kill (running, SIGKILL);
  g_assert_cmpint (waitpid (running, NULL, 0), ==, running);
  g_assert_cmpint (sf_atomic_file_remove_stale (path), ==, 1);
  g_assert_cmpint (count_temporaries ("target.safetensors"), ==, 1 + 1 + 3);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
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
  g_test_add_func ("/safetensors/nested-and-oversized-headers", test_nested_and_oversized_headers);
  g_test_add_func ("/safetensors/special-files", test_special_files);
  g_test_add_func ("/safetensors/unreadable-is-not-written", test_unreadable_is_not_written);
  g_test_add_func ("/safetensors/stale-temporaries", test_stale_temporaries);
  int status = g_test_run ();
  remove_dir ();
  g_free (dir);
  return status;
}
