/* Training and validation pairs as the article makes them, the three ways of
 * splitting a dataset, and the similarity test's pairs. */
#pragma once

#include "dataset.h"

G_BEGIN_DECLS

typedef struct {
  int a;        /* image index */
  int b;        /* image index, never equal to a */
  float same;   /* 1 for the same person, 0 for different people */
} SfPair;

typedef enum {
  SF_SPLIT_PAIRS,   /* the article: shuffle all pairs, hold out a share of them */
  SF_SPLIT_IMAGES,  /* hold out a share of each person's images */
  SF_SPLIT_PEOPLE,  /* hold out whole people, never seen in training */
} SfSplitKind;

typedef struct {
  SfSplitKind kind;
  double validation_share;   /* of pairs, images or people, by kind */
  guint64 seed;
  SfPair *train;
  int n_train;
  SfPair *validation;
  int n_validation;
  /* [n_images]: TRUE for images in the held-out part (images and people
   * splits; for the pairs split every image may appear on both sides). */
  gboolean *held_out;
  int n_images;
  /* People who got no positive pair because they have a single image
   * (in their part of the split). */
  int *lonely_people;
  int n_lonely_people;
} SfPairSet;

/* The default share held out for each kind: 0.1 of pairs (the article), 0.2 of
 * each person's images, 0.25 of people (10 of the 40 ORL people). */
double      sf_split_default_share (SfSplitKind kind);
const char *sf_split_kind_name     (SfSplitKind kind);
gboolean    sf_split_kind_parse    (const char *name, SfSplitKind *kind);

/* For every image of a part, one positive pair (a random other image of the
 * same person) and one negative (a random image of another person), both drawn
 * within that same part. Seeded: same dataset, kind, share and seed give the
 * same pairs. share <= 0 means the kind's default. Fails when a part ends up
 * with no pairs at all, or the dataset has fewer than two people. */
SfPairSet  *sf_pairs_generate (const SfDataset *dataset, SfSplitKind kind, double share,
                               guint64 seed, GError **error);
void        sf_pair_set_free  (SfPairSet *pairs);

/* The article's similarity test: `image` paired with one random other image of
 * every person (for its own person an image other than itself, when there is
 * one). Returns n_people pairs or fewer; *n_pairs receives the count. */
SfPair     *sf_pairs_test     (const SfDataset *dataset, int image, guint64 seed, int *n_pairs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfPairSet, sf_pair_set_free)

G_END_DECLS
