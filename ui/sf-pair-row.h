/* One row of the Pairs view: both faces, a same/different mark in icon and
 * words, who they are, and whether the pair trains or validates. */
#pragma once

#include <gtk/gtk.h>

#include "sf-pair-item.h"

G_BEGIN_DECLS

#define SF_TYPE_PAIR_ROW (sf_pair_row_get_type ())

G_DECLARE_FINAL_TYPE (SfPairRow, sf_pair_row, SF, PAIR_ROW, GtkWidget)

GtkWidget  *sf_pair_row_new      (void);
SfPairItem *sf_pair_row_get_item (SfPairRow *self);
void        sf_pair_row_set_item (SfPairRow *self, SfPairItem *item);
void        sf_pair_row_set_zoom (SfPairRow *self, double zoom);

/* The mark's words and icon, shared with the pair window. */
const char *sf_pair_mark_label     (gboolean same);
const char *sf_pair_mark_icon_name (gboolean same);
const char *sf_pair_part_label     (gboolean validation);

G_END_DECLS
