/* Opening and reading files that may be hostile, and quoting their text;
 * see untrusted.h. */
#include "untrusted.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

const char *
sf_untrusted_errno_text (int errsv)
{
  switch (errsv)
    {
    case ENOENT:
      return _("no such file or folder");
    case ELOOP:
      return _("symbolic links that loop (or nest too deep)");
    default:
      return g_strerror (errsv);
    }
}

const char *
sf_untrusted_mode_text (guint mode)
{
  if (S_ISDIR (mode))
    return _("a folder, not a file");
  if (S_ISFIFO (mode))
    return _("a FIFO (named pipe), not a regular file");
  if (S_ISCHR (mode) || S_ISBLK (mode))
    return _("a device, not a regular file");
  if (S_ISSOCK (mode))
    return _("a socket, not a regular file");
  return _("not a regular file");
}

int
sf_untrusted_open (const char *path, goffset *size, GError **error)
{
  g_return_val_if_fail (path != NULL, -1);

  /* Without O_NONBLOCK, opening a FIFO waits for a writer forever. */
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, sf_untrusted_errno_text (errsv));
      return -1;
    }
  struct stat st;
  if (fstat (fd, &st) != 0)
    {
      int errsv = errno;
      close (fd);
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, g_strerror (errsv));
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, sf_untrusted_mode_text (st.st_mode));
      return -1;
    }
  if (size != NULL)
    *size = st.st_size;
  return fd;
}

/* Up to n bytes from fd, fewer only at the end of the file; -1 on an error. */
static gssize
read_fully (int fd, guint8 *buffer, gsize n)
{
  gsize done = 0;
  while (done < n)
    {
      gssize got = read (fd, buffer + done, MIN (n - done, (gsize) 1 << 30));
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        return -1;
      if (got == 0)
        break;
      done += (gsize) got;
    }
  return (gssize) done;
}

static gboolean
too_large (const char *path, gsize max_bytes, const char *what, GError **error)
{
  g_autofree char *limit = g_format_size (max_bytes);
  /* Translators: e.g. "face.pgm: more than 268.4 MB, too large for a face image". */
  g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: more than %s, too large for %s"), path, limit, what);
  return FALSE;
}

GBytes *
sf_untrusted_read (const char *path, gsize max_bytes, const char *what, GError **error)
{
  g_return_val_if_fail (path != NULL && what != NULL && max_bytes < G_MAXSIZE, NULL);

  goffset stated = 0;
  int fd = sf_untrusted_open (path, &stated, error);
  if (fd < 0)
    return NULL;
  if (stated < 0 || (guint64) stated > max_bytes)
    {
      close (fd);
      too_large (path, max_bytes, what, error);
      return NULL;
    }
  /* The stated size is a hint only: the file may grow, or (in /proc) claim 0. */
  gsize capacity = MAX ((gsize) stated + 1, 4096), used = 0;
  capacity = MIN (capacity, max_bytes + 1);
  guint8 *data = g_try_malloc (capacity);
  while (data != NULL)
    {
      gssize got = read_fully (fd, data + used, capacity - used);
      if (got < 0)
        {
          int errsv = errno;
          close (fd);
          g_free (data);
          g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, g_strerror (errsv));
          return NULL;
        }
      used += (gsize) got;
      if (used < capacity || capacity == max_bytes + 1)
        break;
      gsize grown = MIN (capacity * 2, max_bytes + 1);
      guint8 *more = g_try_realloc (data, grown);
      if (more == NULL)
        g_free (data);
      data = more;
      capacity = grown;
    }
  close (fd);
  if (data == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: out of memory"), path);
      return NULL;
    }
  if (used > max_bytes)
    {
      g_free (data);
      too_large (path, max_bytes, what, error);
      return NULL;
    }
  return g_bytes_new_take (g_realloc (data, MAX (used, 1)), used);
}

gboolean
sf_untrusted_read_head (const char *path, guint8 *buffer, gsize n, gsize *n_read, GError **error)
{
  g_return_val_if_fail (path != NULL && (buffer != NULL || n == 0) && n_read != NULL, FALSE);

  int fd = sf_untrusted_open (path, NULL, error);
  if (fd < 0)
    return FALSE;
  gssize got = read_fully (fd, buffer, n);
  int errsv = errno;
  close (fd);
  if (got < 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_IO, "%s: %s", path, g_strerror (errsv));
      return FALSE;
    }
  *n_read = (gsize) got;
  return TRUE;
}

char *
sf_untrusted_text (const char *bytes, gssize length, gsize max_chars)
{
  if (bytes == NULL)
    return g_strdup ("");
  gsize size = length < 0 ? strlen (bytes) : (gsize) length;
  GString *out = g_string_new (NULL);
  const char *p = bytes, *end = bytes + size;
  for (gsize chars = 0; p < end; chars++)
    {
      if (chars == max_chars)
        {
          g_string_append (out, "…");
          break;
        }
      gunichar c = g_utf8_get_char_validated (p, end - p);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }
      const char *next = g_utf8_next_char (p);
      switch (c)
        {
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case 0x1b:
          g_string_append (out, "\\e");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        default:
          /* Control and format characters (C0, DEL, C1, bidirectional
           * overrides) could move the cursor or hide text. */
          if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT
              || g_unichar_type (c) == G_UNICODE_UNASSIGNED || c == 0)
            {
              if (c < 0x100)
                g_string_append_printf (out, "\\x%02x", c);
              else
                g_string_append_printf (out, "\\u%04x", c);
            }
          else
            g_string_append_len (out, p, next - p);
          break;
        }
      p = next;
    }
  return g_string_free (out, FALSE);
}
