/* The Pairs view: the training and validation pairs the trainer will use,
 * filtered by kind and part, regenerated with a split and a seed. */
#pragma once

#include <gtk/gtk.h>

#include "pairs.h"
#include "sf-face-list.h"
#include "sf-pair-list.h"

G_BEGIN_DECLS

#define SF_TYPE_PAIRS_VIEW (sf_pairs_view_get_type ())

G_DECLARE_FINAL_TYPE (SfPairsView, sf_pairs_view, SF, PAIRS_VIEW, GtkWidget)

GtkWidget  *sf_pairs_view_new            (void);
SfFaceList *sf_pairs_view_get_faces      (SfPairsView *self);
/* Generates pairs for `faces` (off the main thread) with the current split and seed. */
void        sf_pairs_view_set_faces      (SfPairsView *self, SfFaceList *faces);
/* The pairs shown, NULL while none are generated; ::notify::pair-list tells when they change. */
SfPairList *sf_pairs_view_get_pair_list  (SfPairsView *self);
gboolean    sf_pairs_view_get_busy       (SfPairsView *self);
SfSplitKind sf_pairs_view_get_split_kind (SfPairsView *self);
void        sf_pairs_view_set_split_kind (SfPairsView *self, SfSplitKind kind);
guint       sf_pairs_view_get_seed       (SfPairsView *self);
void        sf_pairs_view_set_seed       (SfPairsView *self, guint seed);
void        sf_pairs_view_set_filter     (SfPairsView *self, SfPairKind kind, SfPairPart part);
/* Opens the pair at `position` of the filtered list in its own window. */
GtkWindow  *sf_pairs_view_open_pair      (SfPairsView *self, guint position);

G_END_DECLS
