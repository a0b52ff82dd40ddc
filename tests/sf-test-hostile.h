/* For tests: crafted hostile model files and galleries, made at test run time
 * from valid ones (nothing binary lives in the tree), each with what its
 * refusal must say. The engine tests load them; the UI test opens them in
 * the window, where each must end in a dialog or a toast, never a crash. */
#pragma once

#include "model.h"

G_BEGIN_DECLS

typedef struct {
  char *name;     /* what the case is, for test messages */
  char *path;     /* the file to open */
  char *needle;   /* the refusal says this, besides the file's name */
} SfTestHostileFile;

void       sf_test_hostile_file_free      (SfTestHostileFile *file);

/* Bad model files in dir, each made from a valid save of model (input size
 * at most 64, a bce or contrastive head): nested JSON in the header, in
 * 'history' and in 'settings', wrong types and ranges in the metadata, an
 * input size whose activations outgrow the spec limits, control characters,
 * a FIFO. A GPtrArray of SfTestHostileFile*. */
GPtrArray *sf_test_write_hostile_models    (const char *dir, SfModel *model);
/* Bad galleries in dir, each beside a valid copy of model's file: path is
 * that NAME.safetensors, the gallery NAME.gallery; the needle is what the
 * gallery's refusal says. One of them names model's fingerprint but holds
 * narrower embeddings. */
GPtrArray *sf_test_write_hostile_galleries (const char *dir, SfModel *model);

/* Copies the safetensors file at from to to with metadata keys replaced
 * (NULL-terminated key, value pairs; a NULL value removes the key). */
void       sf_test_rewrite_metadata        (const char *from, const char *to, const char *const *changes);

G_END_DECLS
