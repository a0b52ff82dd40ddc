/* The engine's error domain. */
#include "error.h"

G_DEFINE_QUARK (sf-error-quark, sf_error)
