/* The engine's GError domain: every failure the engine reports carries one of these codes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SF_ERROR (sf_error_quark ())

typedef enum {
  SF_ERROR_IO,          /* the file could not be opened, read or written */
  SF_ERROR_FORMAT,      /* the bytes are not what the format says */
  SF_ERROR_TRUNCATED,   /* the file ends before its content does */
  SF_ERROR_TOO_LARGE,   /* a size is absurd and was refused before allocating */
  SF_ERROR_UNSUPPORTED, /* a valid file of a kind we do not read */
  SF_ERROR_EMPTY,       /* nothing usable was found */
  SF_ERROR_INVALID,     /* an argument or setting is out of range */
  SF_ERROR_CANCELLED,   /* the caller cancelled the work */
  SF_ERROR_NUMERIC,     /* NaN or Inf appeared */
} SfError;

GQuark sf_error_quark (void);

G_END_DECLS
