/* What every reader of files that may be hostile shares: opening only
 * regular files (a FIFO named face.pgm is neither waited on nor read, a
 * link to /dev/zero is refused), reading no more than the format allows
 * whatever size the file claims, naming what a path is when it cannot be
 * opened (a loop of symbolic links is not "no such file"), and showing text
 * taken from a file in a message without its control characters. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A file descriptor open for reading on path, which must be a regular file
 * (symbolic links followed): opened without blocking, then checked with
 * fstat. -1 with SF_ERROR_IO naming path and what it is otherwise. *size
 * (may be NULL) receives the size the file system states. */
int       sf_untrusted_open       (const char *path, goffset *size, GError **error);
/* The whole regular file, at most max_bytes: SF_ERROR_TOO_LARGE when it
 * states or turns out to hold more (reading stops one byte past the bound).
 * what names the content in that message, e.g. "a face image". */
GBytes   *sf_untrusted_read       (const char *path, gsize max_bytes, const char *what, GError **error);
/* The first bytes of a regular file, up to n (*n_read: fewer when it is shorter). */
gboolean  sf_untrusted_read_head  (const char *path, guint8 *buffer, gsize n, gsize *n_read, GError **error);

/* What an errno from opening or stat'ing a path means, in a few words
 * ("no such file or folder", "symbolic links that loop", or strerror). */
const char *sf_untrusted_errno_text (int errsv);
/* What a file of this st_mode is when it is not a regular file, e.g. "a
 * FIFO (named pipe), not a regular file". */
const char *sf_untrusted_mode_text  (guint mode);

/* Bytes from a file made safe to print: valid printable UTF-8 is kept,
 * control characters and invalid bytes become \n, \t, \e, \xNN, a backslash
 * is doubled, and after max_chars characters "…" ends it. length -1: up to
 * the first NUL. */
char     *sf_untrusted_text       (const char *bytes, gssize length, gsize max_chars);

G_END_DECLS
