/* File names that survive a trip through UTF-8 metadata; see file-name.h. */
#include "file-name.h"

#include <string.h>

char *
sf_file_name_encode (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_uri_escape_bytes ((const guint8 *) name, strlen (name), "/");
}

char *
sf_file_name_encode_if_needed (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  g_autofree char *shown = g_filename_display_name (name);
  if (strcmp (shown, name) == 0)
    return NULL;
  return sf_file_name_encode (name);
}

gboolean
sf_file_name_decode (const char *encoded, char **name)
{
  g_return_val_if_fail (encoded != NULL && name != NULL, FALSE);

  g_autoptr (GBytes) raw = g_uri_unescape_bytes (encoded, -1, NULL, NULL);
  gsize length = 0;
  const char *bytes = raw != NULL ? g_bytes_get_data (raw, &length) : NULL;
  if (raw == NULL || length == 0 || memchr (bytes, '\0', length) != NULL)
    return FALSE;
  *name = g_strndup (bytes, length);
  return TRUE;
}
