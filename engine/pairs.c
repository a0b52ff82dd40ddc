/* Pairs as the article draws them (one positive and one negative per image),
 * within the parts of a pairs, images or people split, and the similarity
 * test's one-pair-per-person. */
#include "pairs.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "rng.h"

/* The images of one part grouped by person, so that "another image of this
 * person" and "an image of someone else" are each one draw, with no retries. */
typedef struct {
  int n_people;
  int *offsets;   /* [n_people + 1]: person p owns members[offsets[p] .. offsets[p + 1]) */
  int *members;   /* [n_members]: image indices, by person, ascending within a person */
  int n_members;
  int *slot;      /* [n_images]: position of an image in members, -1 outside the part */
} PartIndex;

static void
part_index_init (PartIndex *index, const SfDataset *dataset, const gboolean *in_part)
{
  index->n_people = dataset->n_people;
  index->offsets = g_new0 (int, dataset->n_people + 1);
  index->slot = g_new (int, dataset->n_images);
  for (int i = 0; i < dataset->n_images; i++)
    if (in_part == NULL || in_part[i])
      index->offsets[dataset->labels[i] + 1]++;
  for (int p = 0; p < dataset->n_people; p++)
    index->offsets[p + 1] += index->offsets[p];
  index->n_members = index->offsets[dataset->n_people];
  index->members = g_new (int, MAX (index->n_members, 1));

  g_autofree int *fill = g_memdup2 (index->offsets, sizeof (int) * dataset->n_people);
  for (int i = 0; i < dataset->n_images; i++)
    {
      if (in_part == NULL || in_part[i])
        {
          int k = fill[dataset->labels[i]]++;
          index->members[k] = i;
          index->slot[i] = k;
        }
      else
        index->slot[i] = -1;
    }
}

static void
part_index_clear (PartIndex *index)
{
  g_clear_pointer (&index->offsets, g_free);
  g_clear_pointer (&index->members, g_free);
  g_clear_pointer (&index->slot, g_free);
}

static inline int
part_index_count (const PartIndex *index, int person)
{
  return index->offsets[person + 1] - index->offsets[person];
}

static int
part_index_n_people (const PartIndex *index)
{
  int n = 0;
  for (int p = 0; p < index->n_people; p++)
    n += part_index_count (index, p) > 0;
  return n;
}

/* Another image of the same person as `image`; the person has at least two. */
static int
draw_positive (const PartIndex *index, int person, int image, SfRng *rng)
{
  int first = index->offsets[person];
  int count = part_index_count (index, person);
  int k = first + (int) sf_rng_below (rng, (guint32) count - 1);
  if (k >= index->slot[image])
    k++; /* skip over the image itself */
  return index->members[k];
}

/* An image of anyone but `person`; the part holds at least one such image. */
static int
draw_negative (const PartIndex *index, int person, SfRng *rng)
{
  int first = index->offsets[person];
  int count = part_index_count (index, person);
  int k = (int) sf_rng_below (rng, (guint32) (index->n_members - count));
  if (k >= first)
    k += count; /* skip over the person's own block */
  return index->members[k];
}

static void
shuffle_pairs (SfPair *pairs, int n, SfRng *rng)
{
  for (int i = n - 1; i > 0; i--)
    {
      int j = (int) sf_rng_below (rng, (guint32) i + 1);
      SfPair t = pairs[i];
      pairs[i] = pairs[j];
      pairs[j] = t;
    }
}

/* One positive and one negative pair per image of the part, in image order;
 * people with a single image in the part are added to `lonely` (once). */
static SfPair *
make_part_pairs (const SfDataset *dataset, const PartIndex *index, SfRng *rng,
                 int *n_pairs, gboolean *lonely)
{
  gboolean has_others = part_index_n_people (index) >= 2;
  SfPair *pairs = g_new (SfPair, 2 * (gsize) MAX (index->n_members, 1));
  int n = 0;
  for (int i = 0; i < dataset->n_images; i++)
    {
      if (index->slot[i] < 0)
        continue;
      int person = dataset->labels[i];
      if (part_index_count (index, person) >= 2)
        pairs[n++] = (SfPair) { i, draw_positive (index, person, i, rng), 1.0f };
      else
        lonely[person] = TRUE;
      if (has_others)
        pairs[n++] = (SfPair) { i, draw_negative (index, person, rng), 0.0f };
    }
  *n_pairs = n;
  return pairs;
}

double
sf_split_default_share (SfSplitKind kind)
{
  switch (kind)
    {
    case SF_SPLIT_PAIRS:
      return 0.1;
    case SF_SPLIT_IMAGES:
      return 0.2;
    case SF_SPLIT_PEOPLE:
      return 0.25;
    default:
      g_return_val_if_reached (0.1);
    }
}

const char *
sf_split_kind_name (SfSplitKind kind)
{
  switch (kind)
    {
    case SF_SPLIT_PAIRS:
      return "pairs";
    case SF_SPLIT_IMAGES:
      return "images";
    case SF_SPLIT_PEOPLE:
      return "people";
    default:
      return "unknown";
    }
}

gboolean
sf_split_kind_parse (const char *name, SfSplitKind *kind)
{
  static const SfSplitKind kinds[] = { SF_SPLIT_PAIRS, SF_SPLIT_IMAGES, SF_SPLIT_PEOPLE };

  g_return_val_if_fail (kind != NULL, FALSE);
  if (name == NULL)
    return FALSE;
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (strcmp (name, sf_split_kind_name (kinds[k])) == 0)
      {
        *kind = kinds[k];
        return TRUE;
      }
  return FALSE;
}

void
sf_pair_set_free (SfPairSet *pairs)
{
  if (pairs == NULL)
    return;
  g_free (pairs->train);
  g_free (pairs->validation);
  g_free (pairs->held_out);
  g_free (pairs->lonely_people);
  g_free (pairs);
}

/* Marks a share of each person's images as held out: max (2, round (share ×
 * count)) of a person with four or more, keeping at least two for training. */
static void
hold_out_images (const SfDataset *dataset, double share, SfRng *rng, gboolean *held_out)
{
  PartIndex all;
  part_index_init (&all, dataset, NULL);
  g_autofree int *order = g_new (int, MAX (all.n_members, 1));
  memcpy (order, all.members, sizeof (int) * all.n_members);
  for (int p = 0; p < dataset->n_people; p++)
    {
      int count = part_index_count (&all, p);
      if (count < 4)
        continue;
      int n_held = MAX (2, (int) lround (share * count));
      n_held = MIN (n_held, count - 2);
      int *images = order + all.offsets[p];
      sf_rng_shuffle (rng, images, count);
      for (int k = 0; k < n_held; k++)
        held_out[images[k]] = TRUE;
    }
  part_index_clear (&all);
}

/* Marks every image of round (share × people) whole people as held out, at
 * least two people on each side. */
static gboolean
hold_out_people (const SfDataset *dataset, double share, SfRng *rng, gboolean *held_out,
                 GError **error)
{
  g_autofree int *counts = sf_dataset_person_counts (dataset);
  g_autofree int *present = g_new (int, dataset->n_people);
  int n_present = 0;
  for (int p = 0; p < dataset->n_people; p++)
    if (counts[p] > 0)
      present[n_present++] = p;
  if (n_present < 4)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   "a people split needs at least 4 people (2 to train on, 2 to validate on); "
                   "this dataset has %d", n_present);
      return FALSE;
    }
  int n_held = (int) lround (share * n_present);
  n_held = CLAMP (n_held, 2, n_present - 2);
  sf_rng_shuffle (rng, present, n_present);
  g_autofree gboolean *person_held = g_new0 (gboolean, dataset->n_people);
  for (int k = 0; k < n_held; k++)
    person_held[present[k]] = TRUE;
  for (int i = 0; i < dataset->n_images; i++)
    held_out[i] = person_held[dataset->labels[i]];
  return TRUE;
}

/* A part makes pairs of both kinds when it has images of two people or more. */
static gboolean
check_part (const char *what, const PartIndex *index, SfSplitKind kind, GError **error)
{
  int n_people = part_index_n_people (index);
  if (index->n_members == 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_EMPTY,
                   "%s split: no images for %s%s", sf_split_kind_name (kind), what,
                   kind == SF_SPLIT_IMAGES ? " (images are held out only from people with 4 or more)" : "");
      return FALSE;
    }
  if (n_people < 2)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_EMPTY,
                   "%s split: the %s images belong to a single person, so they make no "
                   "pairs of different people", sf_split_kind_name (kind), what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
labels_in_range (const SfDataset *dataset)
{
  for (int i = 0; i < dataset->n_images; i++)
    if (dataset->labels[i] < 0 || dataset->labels[i] >= dataset->n_people)
      return FALSE;
  return TRUE;
}

SfPairSet *
sf_pairs_generate (const SfDataset *dataset, SfSplitKind kind, double share, guint64 seed,
                   GError **error)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (kind != SF_SPLIT_PAIRS && kind != SF_SPLIT_IMAGES && kind != SF_SPLIT_PEOPLE)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "unknown split kind %d", (int) kind);
      return NULL;
    }
  if (isnan (share) || share >= 1)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   "validation share %g: expected a number below 1 (0 or less for the default)", share);
      return NULL;
    }
  if (share <= 0)
    share = sf_split_default_share (kind);
  if (!labels_in_range (dataset))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID,
                   "the dataset labels an image with a person outside 0 to %d", dataset->n_people - 1);
      return NULL;
    }
  g_autofree int *counts = sf_dataset_person_counts (dataset);
  int n_present = 0;
  for (int p = 0; p < dataset->n_people; p++)
    n_present += counts[p] > 0;
  if (n_present < 2)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_EMPTY,
                   "pairs need at least two people; the dataset has %d", n_present);
      return NULL;
    }

  SfRng rng;
  sf_rng_seed (&rng, seed);
  g_autoptr (SfPairSet) set = g_new0 (SfPairSet, 1);
  set->kind = kind;
  set->validation_share = share;
  set->seed = seed;
  set->n_images = dataset->n_images;
  set->held_out = g_new0 (gboolean, MAX (dataset->n_images, 1));
  g_autofree gboolean *lonely = g_new0 (gboolean, dataset->n_people);

  if (kind == SF_SPLIT_PAIRS)
    {
      PartIndex all;
      part_index_init (&all, dataset, NULL);
      int n_pairs;
      SfPair *pairs = make_part_pairs (dataset, &all, &rng, &n_pairs, lonely);
      part_index_clear (&all);
      shuffle_pairs (pairs, n_pairs, &rng);
      int n_validation = (int) lround (share * n_pairs);
      if (n_validation == 0 || n_validation == n_pairs)
        {
          g_set_error (error, SF_ERROR, SF_ERROR_EMPTY,
                       "pairs split: holding out %g of %d pairs leaves no %s pairs",
                       share, n_pairs, n_validation == 0 ? "validation" : "training");
          g_free (pairs);
          return NULL;
        }
      set->n_validation = n_validation;
      set->validation = g_memdup2 (pairs, sizeof (SfPair) * n_validation);
      set->n_train = n_pairs - n_validation;
      set->train = g_memdup2 (pairs + n_validation, sizeof (SfPair) * set->n_train);
      g_free (pairs);
    }
  else
    {
      if (kind == SF_SPLIT_IMAGES)
        hold_out_images (dataset, share, &rng, set->held_out);
      else if (!hold_out_people (dataset, share, &rng, set->held_out, error))
        return NULL;

      g_autofree gboolean *in_train = g_new (gboolean, MAX (dataset->n_images, 1));
      for (int i = 0; i < dataset->n_images; i++)
        in_train[i] = !set->held_out[i];
      PartIndex train, validation;
      part_index_init (&train, dataset, in_train);
      part_index_init (&validation, dataset, set->held_out);
      gboolean ok = check_part ("training", &train, kind, error)
                    && check_part ("validation", &validation, kind, error);
      if (ok)
        {
          set->train = make_part_pairs (dataset, &train, &rng, &set->n_train, lonely);
          set->validation = make_part_pairs (dataset, &validation, &rng, &set->n_validation, lonely);
        }
      part_index_clear (&train);
      part_index_clear (&validation);
      if (!ok)
        return NULL;
      shuffle_pairs (set->train, set->n_train, &rng);
      shuffle_pairs (set->validation, set->n_validation, &rng);
    }

  set->lonely_people = g_new (int, dataset->n_people);
  for (int p = 0; p < dataset->n_people; p++)
    if (lonely[p])
      set->lonely_people[set->n_lonely_people++] = p;
  return g_steal_pointer (&set);
}

SfPair *
sf_pairs_test (const SfDataset *dataset, int image, guint64 seed, int *n_pairs)
{
  if (n_pairs != NULL)
    *n_pairs = 0;
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (n_pairs != NULL, NULL);
  g_return_val_if_fail (image >= 0 && image < dataset->n_images, NULL);
  g_return_val_if_fail (labels_in_range (dataset), NULL);

  SfRng rng;
  sf_rng_seed (&rng, seed);
  PartIndex all;
  part_index_init (&all, dataset, NULL);
  int own = dataset->labels[image];
  SfPair *pairs = g_new (SfPair, dataset->n_people);
  int n = 0;
  for (int p = 0; p < dataset->n_people; p++)
    {
      int count = part_index_count (&all, p);
      if (p == own && count >= 2)
        pairs[n++] = (SfPair) { image, draw_positive (&all, p, image, &rng), 1.0f };
      else if (p != own && count >= 1)
        pairs[n++] = (SfPair) { image, all.members[all.offsets[p] + (int) sf_rng_below (&rng, (guint32) count)],
                                0.0f };
    }
  part_index_clear (&all);
  *n_pairs = n;
  return pairs;
}
