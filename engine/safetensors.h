/* The safetensors file format: an 8-byte little-endian header length, a JSON
 * header naming every tensor's dtype, shape and byte range, then the raw
 * little-endian data. Files written here load in Python's safetensors and
 * PyTorch as they are; files read here are validated before anything is used. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SF_SAFETENSORS_MAX_RANK 8
/* Refused before parsing: Rust's safetensors refuses headers over 100 MB too. */
#define SF_SAFETENSORS_MAX_HEADER ((guint64) 100 << 20)
#define SF_SAFETENSORS_MAX_FILE ((guint64) 4 << 30)
/* The header is an object of objects holding arrays: nothing deeper is valid. */
#define SF_SAFETENSORS_MAX_DEPTH 3
/* Values in the header (a tensor takes about a dozen), bounding the parser's memory. */
#define SF_SAFETENSORS_MAX_HEADER_VALUES ((gsize) 1 << 20)

typedef enum {
  SF_DTYPE_F32,
  SF_DTYPE_I32,
  SF_DTYPE_I64,
  SF_DTYPE_U8,
} SfDtype;

typedef struct {
  const char *name;
  SfDtype dtype;
  int rank;
  gint64 shape[SF_SAFETENSORS_MAX_RANK];
  const void *data;   /* little-endian bytes; for a read file, inside its mapping */
  gsize n_bytes;
} SfTensorView;

typedef struct _SfSafetensors SfSafetensors;

const char     *sf_dtype_name (SfDtype dtype);
gsize           sf_dtype_size (SfDtype dtype);

/* The bytes of a file holding the tensors in the order given and metadata
 * (NULL-terminated alternating keys and values, or NULL); path is named in
 * messages only. */
GBytes         *sf_safetensors_serialize (const char *path, const SfTensorView *tensors, int n_tensors,
                                          const char *const *metadata, GError **error);
/* TRUE when sf_safetensors_parse accepts bytes; otherwise an
 * SF_ERROR_INVALID saying the file was not saved and why. */
gboolean        sf_safetensors_check_readable (GBytes *bytes, const char *path, GError **error);
/* Serializes, checks that the bytes read back (a file we could not read is
 * never written), and saves them atomically (atomic-file.h). */
gboolean        sf_safetensors_write (const char *path, const SfTensorView *tensors, int n_tensors,
                                      const char *const *metadata, GError **error);

/* Opens only regular files (a FIFO neither hangs nor is read). */
SfSafetensors  *sf_safetensors_read  (const char *path, GError **error);
/* Validates bytes as a safetensors file, keeping a reference to them;
 * path is named in messages. */
SfSafetensors  *sf_safetensors_parse (GBytes *bytes, const char *path, GError **error);
void            sf_safetensors_free  (SfSafetensors *file);
/* FALSE when there is no tensor of that name. */
gboolean        sf_safetensors_get   (const SfSafetensors *file, const char *name, SfTensorView *view);
/* The tensor names, sorted; free the array only (g_free). */
const char    **sf_safetensors_names (const SfSafetensors *file, int *n_names);
/* NULL when the key is absent. */
const char     *sf_safetensors_get_metadata (const SfSafetensors *file, const char *key);
const char     *sf_safetensors_path  (const SfSafetensors *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfSafetensors, sf_safetensors_free)

G_END_DECLS
