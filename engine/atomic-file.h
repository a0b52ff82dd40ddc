/* Saving a file so that a crash or kill -9 at any moment leaves the old file
 * or the new one, never a mix, and no litter: the bytes go to a temporary
 * file beside the target, TARGET.partial-XXXXXX, which its save holds locked
 * (flock) until it is fsynced and renamed over the target. Every save first
 * removes the temporaries of the same target that no running save holds, so
 * what a killed save left behind goes at the next save. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TARGET + this + six letters or digits: the only names ever removed. */
#define SF_ATOMIC_FILE_INFIX ".partial-"

typedef struct _SfAtomicFile SfAtomicFile;

/* Removes path's stale temporaries, then creates and locks a new one. */
SfAtomicFile *sf_atomic_file_begin          (const char *path, GError **error);
gboolean      sf_atomic_file_write          (SfAtomicFile *file, const void *data, gsize size, GError **error);
/* fsync, rename over the target, fsync of the folder; frees file either way
 * (on failure the temporary is removed and the target is as it was). */
gboolean      sf_atomic_file_commit         (SfAtomicFile *file, GError **error);
/* Removes the temporary and frees file. */
void          sf_atomic_file_abort          (SfAtomicFile *file);
const char   *sf_atomic_file_get_temp_path  (const SfAtomicFile *file);

/* begin, write, commit. */
gboolean      sf_atomic_file_save           (const char *path, const void *data, gsize size, GError **error);

/* Removes the files named path + SF_ATOMIC_FILE_INFIX + six letters or
 * digits that are regular files no save holds locked (empty ones only after
 * a minute: their save may not have locked them yet). Returns how many. */
int           sf_atomic_file_remove_stale   (const char *path);

G_END_DECLS
