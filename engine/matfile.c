/* The Olivetti faces as a MATLAB 5 MAT-file: find the `faces` matrix, inflating
 * compressed elements, and check every length against the bytes that remain. */
#include <string.h>
#include <glib/gi18n-lib.h>

#include "dataset.h"
#include "error.h"
#include "inflate.h"
#include "untrusted.h"

#define MAX_MAT_FILE ((gsize) 256 << 20)
#define MAX_INFLATED ((gsize) 64 << 20)

enum {
  MI_INT8 = 1, MI_UINT8 = 2, MI_INT16 = 3, MI_UINT16 = 4, MI_INT32 = 5, MI_UINT32 = 6,
  MI_SINGLE = 7, MI_DOUBLE = 9, MI_INT64 = 12, MI_UINT64 = 13, MI_MATRIX = 14, MI_COMPRESSED = 15,
};
enum { MX_CHAR = 4, MX_DOUBLE = 6, MX_SINGLE = 7, MX_UINT8 = 9 };

static gsize
type_size (guint32 type)
{
  switch (type)
    {
    case MI_INT8: case MI_UINT8: return 1;
    case MI_INT16: case MI_UINT16: return 2;
    case MI_INT32: case MI_UINT32: case MI_SINGLE: return 4;
    case MI_DOUBLE: case MI_INT64: case MI_UINT64: return 8;
    default: return 0;
    }
}

static double
read_value (const guint8 *p, guint32 type)
{
  union { guint8 b[8]; gint8 i8; guint16 u16; gint16 i16; guint32 u32; gint32 i32; float f; double d; gint64 i64; guint64 u64; } v;
  memcpy (v.b, p, type_size (type));
  switch (type)
    {
    case MI_INT8: return v.i8;
    case MI_UINT8: return v.b[0];
    case MI_INT16: return v.i16;
    case MI_UINT16: return v.u16;
    case MI_INT32: return v.i32;
    case MI_UINT32: return v.u32;
    case MI_SINGLE: return v.f;
    case MI_DOUBLE: return v.d;
    case MI_INT64: return (double) v.i64;
    case MI_UINT64: return (double) v.u64;
    default: return 0;
    }
}

/* One data element's tag: type, size and where its data starts; handles the
 * small form (size in the upper half of the type word, data in the tag). */
static gboolean
read_tag (const char *path, const guint8 *data, gsize size, gsize pos, guint32 *type, gsize *n_bytes,
          gsize *start, gsize *next, GError **error)
{
  if (size - pos < 8)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: truncated: a data element's tag needs 8 bytes, %zu remain"),
                   path, size - pos);
      return FALSE;
    }
  guint32 word, second;
  memcpy (&word, data + pos, 4);
  memcpy (&second, data + pos + 4, 4);
  if ((word >> 16) != 0)
    {
      *type = word & 0xffff;
      *n_bytes = word >> 16;
      *start = pos + 4;
      *next = pos + 8;
      if (*n_bytes > 4)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: a small data element claims %zu bytes"), path, *n_bytes);
          return FALSE;
        }
      return TRUE;
    }
  *type = word;
  *n_bytes = second;
  *start = pos + 8;
  if (*n_bytes > size - *start)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TRUNCATED, _("%s: truncated: element needs %zu bytes, %zu remain"),
                   path, *n_bytes, size - *start);
      return FALSE;
    }
  /* Compressed elements are not padded; the rest are, to 8 bytes. */
  gsize padded = *type == MI_COMPRESSED ? *n_bytes : (*n_bytes + 7) / 8 * 8;
  *next = MIN (*start + padded, size);
  return TRUE;
}


/* Parses a miMATRIX body: the dataset if it is `faces`; NULL without an
 * error for another variable; NULL with an error when the matrix is broken
 * before its name or `faces` cannot be read. */
static SfDataset *
parse_matrix (const char *path, const guint8 *data, gsize size, GError **error)
{
  gsize pos = 0, start, next, n_bytes;
  guint32 type;
  /* Array flags. */
  if (!read_tag (path, data, size, pos, &type, &n_bytes, &start, &next, error))
    return NULL;
  if (type != MI_UINT32 || n_bytes < 8)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: a matrix without array flags"), path);
      return NULL;
    }
  guint32 flags;
  memcpy (&flags, data + start, 4);
  guint32 klass = flags & 0xff;
  pos = next;
  /* Dimensions. */
  if (!read_tag (path, data, size, pos, &type, &n_bytes, &start, &next, error))
    return NULL;
  if (type != MI_INT32 || n_bytes % 4 != 0 || n_bytes == 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: a matrix without dimensions"), path);
      return NULL;
    }
  int n_dims = (int) (n_bytes / 4);
  gint32 dims[2] = { 0, 0 };
  gboolean two_d = n_dims == 2;
  if (two_d)
    memcpy (dims, data + start, 8);
  pos = next;
  /* Name. */
  if (!read_tag (path, data, size, pos, &type, &n_bytes, &start, &next, error))
    return NULL;
  if (type != MI_INT8)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: a matrix without a name"), path);
      return NULL;
    }
  g_autofree char *name = g_strndup ((const char *) data + start, n_bytes);
  if (strcmp (name, "faces") != 0)
    return NULL;
  pos = next;
  if (klass == MX_CHAR || (klass != MX_DOUBLE && klass != MX_SINGLE && klass != MX_UINT8 && !(klass >= 8 && klass <= 15)))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED, _("%s: faces is not a numeric matrix (class %u)"), path, klass);
      return NULL;
    }
  if (!two_d || dims[0] != 4096 || dims[1] <= 0 || dims[1] % 10 != 0 || dims[1] > SF_MAX_IMAGES)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: faces is %d×%d, expected 4096 × a multiple of 10"), path,
                   two_d ? dims[0] : n_dims, two_d ? dims[1] : 0);
      return NULL;
    }
  /* Real part: its storage type may be narrower than the class. */
  if (!read_tag (path, data, size, pos, &type, &n_bytes, &start, &next, error))
    return NULL;
  gsize element = type_size (type);
  gsize n_values = (gsize) 4096 * dims[1];
  if (element == 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED, _("%s: faces stores its values as type %u"), path, type);
      return NULL;
    }
  if (n_bytes != n_values * element)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: faces holds %zu bytes, its dimensions need %zu"),
                   path, n_bytes, n_values * element);
      return NULL;
    }
  float *values = g_try_new (float, n_values);
  if (values == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, _("%s: out of memory"), path);
      return NULL;
    }
  for (gsize k = 0; k < n_values; k++)
    values[k] = (float) read_value (data + start + k * element, type);
  SfDataset *dataset = sf_dataset_from_olivetti_values (SF_DATASET_FORMAT_MAT, path, values, dims[1], error);
  g_free (values);
  return dataset;
}

SfDataset *
sf_matfile_load_olivetti (const char *path, GError **error)
{
  g_autoptr (GBytes) contents = sf_untrusted_read (path, MAX_MAT_FILE, _("the Olivetti faces"), error);
  if (contents == NULL)
    return NULL;
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (contents, &size);
  SfDataset *dataset = NULL;
  if (size < 128 || memcmp (data, "MATLAB", 6) != 0)
    {
      g_set_error (error, SF_ERROR, size < 128 ? SF_ERROR_TRUNCATED : SF_ERROR_FORMAT,
                   /* Translators: the reason is "shorter than its 128-byte header" or "wrong magic". */
                   _("%s: not a MATLAB 5 MAT-file (%s)"), path,
                   size < 128 ? _("shorter than its 128-byte header") : _("wrong magic"));
      goto done;
    }
  if (data[126] != 'I' || data[127] != 'M')
    {
      g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED, _("%s: big-endian or unknown MAT-file byte order"), path);
      goto done;
    }
  if (data[124] != 0x00 || data[125] != 0x01)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_UNSUPPORTED, _("%s: MAT-file version %02x%02x (only version 5 is read)"), path,
                   data[125], data[124]);
      goto done;
    }
  for (gsize pos = 128; pos < size && dataset == NULL;)
    {
      guint32 type;
      gsize n_bytes, start, next;
      if (!read_tag (path, data, size, pos, &type, &n_bytes, &start, &next, error))
        goto done;
      GError *local = NULL;
      if (type == MI_COMPRESSED)
        {
          gsize inflated_size = 0;
          g_autofree guint8 *inflated = sf_inflate (path, data + start, n_bytes, MAX_INFLATED, &inflated_size, error);
          if (inflated == NULL)
            goto done;
          guint32 inner_type;
          gsize inner_bytes, inner_start, inner_next;
          if (!read_tag (path, inflated, inflated_size, 0, &inner_type, &inner_bytes, &inner_start, &inner_next, error))
            goto done;
          if (inner_type == MI_MATRIX)
            dataset = parse_matrix (path, inflated + inner_start, inner_bytes, &local);
        }
      else if (type == MI_MATRIX)
        dataset = parse_matrix (path, data + start, n_bytes, &local);
      /* A matrix broken before its name may be the faces: the file is damaged. */
      if (local != NULL)
        {
          g_propagate_error (error, local);
          goto done;
        }
      pos = next;
    }
  if (dataset == NULL)
    g_set_error (error, SF_ERROR, SF_ERROR_FORMAT, _("%s: no variable named 'faces'"), path);

done:
  return dataset;
}
