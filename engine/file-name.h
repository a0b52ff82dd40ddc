/* File names kept inside files. A name is bytes in the file system's
 * encoding, not always UTF-8, while JSON (safetensors metadata) holds only
 * UTF-8: a name is stored as its display form for people to read and, when
 * that form is not the name itself, as its bytes percent-encoded (RFC 3986,
 * slashes kept so it stays legible), so any name comes back as it was. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The bytes of name percent-encoded, whatever their encoding: ASCII. */
char     *sf_file_name_encode           (const char *name);
/* The percent-encoded bytes of name, or NULL when its display form
 * (g_filename_display_name) is the name itself and says it all. */
char     *sf_file_name_encode_if_needed (const char *name);
/* The bytes of an encoded name: FALSE when encoded is not percent-encoding
 * of a non-empty name without NUL bytes. */
gboolean  sf_file_name_decode           (const char *encoded, char **name);

G_END_DECLS
