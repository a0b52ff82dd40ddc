/* A generated pair set as a GListModel of SfPairItem (training pairs, then
 * validation pairs), narrowed by kind and part without creating any objects. */
#pragma once

#include <gio/gio.h>

#include "pairs.h"
#include "sf-face-list.h"

G_BEGIN_DECLS

typedef enum {
  SF_PAIR_KIND_ALL,
  SF_PAIR_KIND_SAME,
  SF_PAIR_KIND_DIFFERENT,
} SfPairKind;

typedef enum {
  SF_PAIR_PART_ALL,
  SF_PAIR_PART_TRAINING,
  SF_PAIR_PART_VALIDATION,
} SfPairPart;

#define SF_TYPE_PAIR_LIST (sf_pair_list_get_type ())

G_DECLARE_FINAL_TYPE (SfPairList, sf_pair_list, SF, PAIR_LIST, GObject)

/* Takes ownership of `pairs`, generated from `faces`' dataset. */
SfPairList      *sf_pair_list_new           (SfFaceList *faces, SfPairSet *pairs);
SfFaceList      *sf_pair_list_get_faces     (SfPairList *self);
const SfPairSet *sf_pair_list_get_pair_set  (SfPairList *self);
void             sf_pair_list_set_filter    (SfPairList *self, SfPairKind kind, SfPairPart part);
SfPairKind       sf_pair_list_get_kind      (SfPairList *self);
SfPairPart       sf_pair_list_get_part      (SfPairList *self);
/* Pairs of the whole set that match kind and part, whatever the current filter. */
int              sf_pair_list_count         (SfPairList *self, SfPairKind kind, SfPairPart part);

G_END_DECLS
