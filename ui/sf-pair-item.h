/* One training or validation pair as the pairs list shows it. */
#pragma once

#include <gio/gio.h>

#include "sf-face.h"

G_BEGIN_DECLS

#define SF_TYPE_PAIR_ITEM (sf_pair_item_get_type ())

G_DECLARE_FINAL_TYPE (SfPairItem, sf_pair_item, SF, PAIR_ITEM, GObject)

/* `number` counts training pairs first, then validation pairs, from 0. */
SfPairItem *sf_pair_item_new            (SfFace *a, SfFace *b, gboolean same,
                                         gboolean validation, int number);
SfFace     *sf_pair_item_get_face_a     (SfPairItem *self);
SfFace     *sf_pair_item_get_face_b     (SfPairItem *self);
gboolean    sf_pair_item_get_same       (SfPairItem *self);
gboolean    sf_pair_item_get_validation (SfPairItem *self);
int         sf_pair_item_get_number     (SfPairItem *self);

G_END_DECLS
