/* Atomic saves with findable temporaries; see atomic-file.h. */
#include "atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* An unlocked empty temporary younger than this may belong to a save that
 * has created it and not yet locked it. */
#define FRESH_SECONDS 60

struct _SfAtomicFile {
  char *path;
  char *temp_path;
  int fd;
};

static gboolean
fail_errno (GError **error, int saved_errno, const char *path, const char *what)
{
  g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s: %s", path, what, g_strerror (saved_errno));
  return FALSE;
}

/* name is base + SF_ATOMIC_FILE_INFIX + six of mkstemp's letters and digits. */
static gboolean
is_temp_name (const char *name, const char *base)
{
  gsize base_len = strlen (base), infix_len = strlen (SF_ATOMIC_FILE_INFIX);
  if (strlen (name) != base_len + infix_len + 6 || strncmp (name, base, base_len) != 0
      || strncmp (name + base_len, SF_ATOMIC_FILE_INFIX, infix_len) != 0)
    return FALSE;
  for (const char *c = name + base_len + infix_len; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c))
      return FALSE;
  return TRUE;
}

int
sf_atomic_file_remove_stale (const char *path)
{
  g_return_val_if_fail (path != NULL, 0);

  g_autofree char *dir_name = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr (GDir) dir = g_dir_open (dir_name, 0, NULL);
  if (dir == NULL)
    return 0;
  int removed = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!is_temp_name (name, base))
        continue;
      g_autofree char *temp = g_build_filename (dir_name, name, NULL);
      int fd = open (temp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0)
        continue;
      struct stat held, named;
      /* The lock of a running save fails ours; a dead one's went with its process. */
      if (fstat (fd, &held) == 0 && S_ISREG (held.st_mode) && flock (fd, LOCK_EX | LOCK_NB) == 0
          && (held.st_size > 0 || now - (gint64) held.st_mtime > FRESH_SECONDS)
          && lstat (temp, &named) == 0 && named.st_dev == held.st_dev && named.st_ino == held.st_ino
          && unlink (temp) == 0)
        removed++;
      close (fd);
    }
  return removed;
}

SfAtomicFile *
sf_atomic_file_begin (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  sf_atomic_file_remove_stale (path);
  char *temp = g_strconcat (path, SF_ATOMIC_FILE_INFIX "XXXXXX", NULL);
  int fd = g_mkstemp_full (temp, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      fail_errno (error, errno, path, _("cannot create a temporary file beside it"));
      g_free (temp);
      return NULL;
    }
  /* Before any byte is written: a non-empty unlocked temporary is stale. */
  if (flock (fd, LOCK_EX) != 0)
    {
      fail_errno (error, errno, path, _("cannot lock its temporary file"));
      close (fd);
      g_unlink (temp);
      g_free (temp);
      return NULL;
    }
  SfAtomicFile *file = g_new0 (SfAtomicFile, 1);
  file->path = g_strdup (path);
  file->temp_path = temp;
  file->fd = fd;
  return file;
}

gboolean
sf_atomic_file_write (SfAtomicFile *file, const void *data, gsize size, GError **error)
{
  g_return_val_if_fail (file != NULL && (data != NULL || size == 0), FALSE);

  const guint8 *p = data;
  while (size > 0)
    {
      gssize n = write (file->fd, p, MIN (size, (gsize) 1 << 30));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fail_errno (error, n < 0 ? errno : ENOSPC, file->path, _("cannot write"));
      p += n;
      size -= (gsize) n;
    }
  return TRUE;
}

static void
atomic_file_free (SfAtomicFile *file)
{
  if (file->fd >= 0)
    close (file->fd);
  g_free (file->path);
  g_free (file->temp_path);
  g_free (file);
}

void
sf_atomic_file_abort (SfAtomicFile *file)
{
  if (file == NULL)
    return;
  g_unlink (file->temp_path);
  atomic_file_free (file);
}

gboolean
sf_atomic_file_commit (SfAtomicFile *file, GError **error)
{
  g_return_val_if_fail (file != NULL, FALSE);

  if (fsync (file->fd) != 0)
    {
      fail_errno (error, errno, file->path, _("cannot write"));
      sf_atomic_file_abort (file);
      return FALSE;
    }
  if (rename (file->temp_path, file->path) != 0)
    {
      fail_errno (error, errno, file->path, _("cannot replace it"));
      sf_atomic_file_abort (file);
      return FALSE;
    }
  /* The rename itself survives a power cut only once the folder is on disk;
   * a folder that cannot be fsynced (some file systems) is no error. */
  g_autofree char *dir_name = g_path_get_dirname (file->path);
  int dir_fd = open (dir_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  atomic_file_free (file);
  return TRUE;
}

const char *
sf_atomic_file_get_temp_path (const SfAtomicFile *file)
{
  return file->temp_path;
}

gboolean
sf_atomic_file_save (const char *path, const void *data, gsize size, GError **error)
{
  SfAtomicFile *file = sf_atomic_file_begin (path, error);
  if (file == NULL)
    return FALSE;
  if (!sf_atomic_file_write (file, data, size, error))
    {
      sf_atomic_file_abort (file);
      return FALSE;
    }
  return sf_atomic_file_commit (file, error);
}
