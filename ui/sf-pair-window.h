/* A pair opened large: both faces side by side with the verdict and details. */
#pragma once

#include <adwaita.h>

#include "sf-pair-item.h"

G_BEGIN_DECLS

#define SF_TYPE_PAIR_WINDOW (sf_pair_window_get_type ())

G_DECLARE_FINAL_TYPE (SfPairWindow, sf_pair_window, SF, PAIR_WINDOW, AdwWindow)

GtkWidget  *sf_pair_window_new      (SfPairItem *item);
SfPairItem *sf_pair_window_get_item (SfPairWindow *self);

G_END_DECLS
