/* The fuzz harness's readers: for each, how its seed files are made with the
 * engine's own code (nothing binary lives in the tree) and how one input is
 * read, with the checks every reader must pass (a refusal sets an error; what
 * is accepted and saved again reads back). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SF_FUZZ_ACCEPTED,
  SF_FUZZ_REFUSED,          /* with an error that names the file */
  SF_FUZZ_REFUSED_UNNAMED,  /* with an error that does not name the file */
  SF_FUZZ_LOST,             /* accepted, but what was saved from it again did not read back */
} SfFuzzOutcome;

typedef struct {
  GBytes *bytes;
  char *ext;        /* ".mat", ".safetensors", …: what the input file is called */
  int kind;         /* which read function takes it (the dataset reader has several) */
} SfFuzzSeed;

typedef struct {
  const char *name;
  const char *about;
  /* Tokens worth inserting: magic numbers, keys, opcodes. NULL-terminated. */
  const char *const *tokens;
  /* Appends SfFuzzSeed* to seeds; every seed must be accepted by run. */
  gboolean (*make_seeds) (GPtrArray *seeds, GError **error);
  /* Reads the input of kind at path; message (may be NULL) receives the
   * refusal's or the loss's message. Aborts (a finding) on a broken
   * promise: a failure without an error. */
  SfFuzzOutcome (*run) (int kind, const char *path, const guint8 *data, gsize size, char **message);
} SfFuzzReader;

/* NULL-terminated. */
extern const SfFuzzReader *const sf_fuzz_readers[];

void sf_fuzz_seed_free (SfFuzzSeed *seed);

G_END_DECLS
