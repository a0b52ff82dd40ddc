/* Pairs and splits: the article's counts, correct labels, no self-pairs, no
 * leakage between the parts of an images or people split, lonely people,
 * repeatability, refusals, and the similarity test's one pair per person. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "dataset.h"
#include "error.h"
#include "pairs.h"

/* counts[p] images of person p, 4×4 pixels each. With `interleave`, the people's
 * images are dealt out in turn instead of lying in one block per person. */
static SfDataset *
make_dataset (const int *counts, int n_people, gboolean interleave)
{
  int n_images = 0;
  for (int p = 0; p < n_people; p++)
    n_images += counts[p];
  SfDataset *dataset = sf_dataset_new (SF_DATASET_FORMAT_DEMO, n_images, 4, 4, n_people, NULL);
  g_assert_nonnull (dataset);
  g_autofree int *left = g_memdup2 (counts, sizeof (int) * n_people);
  int i = 0;
  for (int round = 0; i < n_images; round++)
    for (int p = 0; p < n_people; p++)
      {
        int take = interleave ? MIN (left[p], 1) : left[p];
        for (int k = 0; k < take; k++)
          dataset->labels[i++] = p;
        left[p] -= take;
      }
  for (int p = 0; p < n_people; p++)
    dataset->person_names[p] = g_strdup_printf ("Person %d", p + 1);
  return dataset;
}

static SfDataset *
make_uniform_dataset (int n_people, int per_person)
{
  g_autofree int *counts = g_new (int, n_people);
  for (int p = 0; p < n_people; p++)
    counts[p] = per_person;
  return make_dataset (counts, n_people, FALSE);
}

/* Every pair is well formed; returns the number of positive pairs. */
static int
check_pairs (const SfDataset *dataset, const SfPair *pairs, int n_pairs)
{
  int positives = 0;
  for (int k = 0; k < n_pairs; k++)
    {
      const SfPair *pair = &pairs[k];
      g_assert_cmpint (pair->a, >=, 0);
      g_assert_cmpint (pair->a, <, dataset->n_images);
      g_assert_cmpint (pair->b, >=, 0);
      g_assert_cmpint (pair->b, <, dataset->n_images);
      g_assert_cmpint (pair->a, !=, pair->b);
      gboolean same = dataset->labels[pair->a] == dataset->labels[pair->b];
      g_assert_cmpfloat (pair->same, ==, same ? 1.0f : 0.0f);
      positives += same;
    }
  return positives;
}

/* Each image of the part is the first of exactly one positive pair (none if its
 * person is alone in the part) and exactly one negative pair. */
static void
check_one_positive_one_negative (const SfDataset *dataset, const SfPair *train, int n_train,
                                 const SfPair *validation, int n_validation, const gboolean *lonely)
{
  g_autofree int *positives = g_new0 (int, dataset->n_images);
  g_autofree int *negatives = g_new0 (int, dataset->n_images);
  for (int k = 0; k < n_train + n_validation; k++)
    {
      const SfPair *pair = k < n_train ? &train[k] : &validation[k - n_train];
      if (pair->same > 0.5f)
        positives[pair->a]++;
      else
        negatives[pair->a]++;
    }
  for (int i = 0; i < dataset->n_images; i++)
    {
      g_assert_cmpint (positives[i], ==, lonely[dataset->labels[i]] ? 0 : 1);
      g_assert_cmpint (negatives[i], ==, 1);
    }
}

static void
test_split_kind_names (void)
{
  SfSplitKind kind = SF_SPLIT_PAIRS;
  g_assert_true (sf_split_kind_parse ("images", &kind));
  g_assert_cmpint (kind, ==, SF_SPLIT_IMAGES);
  g_assert_true (sf_split_kind_parse ("people", &kind));
  g_assert_cmpint (kind, ==, SF_SPLIT_PEOPLE);
  g_assert_true (sf_split_kind_parse ("pairs", &kind));
  g_assert_cmpint (kind, ==, SF_SPLIT_PAIRS);

  const char *bad[] = { "sideways", "", "Pairs", "people ", "image" };
  for (gsize k = 0; k < G_N_ELEMENTS (bad); k++)
    {
      kind = SF_SPLIT_IMAGES;
      g_assert_false (sf_split_kind_parse (bad[k], &kind));
      g_assert_cmpint (kind, ==, SF_SPLIT_IMAGES);
    }
  g_assert_false (sf_split_kind_parse (NULL, &kind));

  const SfSplitKind kinds[] = { SF_SPLIT_PAIRS, SF_SPLIT_IMAGES, SF_SPLIT_PEOPLE };
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_assert_true (sf_split_kind_parse (sf_split_kind_name (kinds[k]), &kind));
      g_assert_cmpint (kind, ==, kinds[k]);
    }
  g_assert_cmpfloat (sf_split_default_share (SF_SPLIT_PAIRS), ==, 0.1);
  g_assert_cmpfloat (sf_split_default_share (SF_SPLIT_IMAGES), ==, 0.2);
  g_assert_cmpfloat (sf_split_default_share (SF_SPLIT_PEOPLE), ==, 0.25);
}

static void
test_article_pairs (void)
{
  g_autoptr (SfDataset) dataset = make_uniform_dataset (40, 10);
  GError *error = NULL;
  g_autoptr (SfPairSet) pairs = sf_pairs_generate (dataset, SF_SPLIT_PAIRS, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pairs->kind, ==, SF_SPLIT_PAIRS);
  g_assert_cmpfloat (pairs->validation_share, ==, 0.1);
  g_assert_cmpint (pairs->n_train, ==, 720);
  g_assert_cmpint (pairs->n_validation, ==, 80);
  g_assert_cmpint (pairs->n_images, ==, 400);
  g_assert_cmpint (pairs->n_lonely_people, ==, 0);
  for (int i = 0; i < 400; i++)
    g_assert_false (pairs->held_out[i]);

  int positives = check_pairs (dataset, pairs->train, pairs->n_train)
                  + check_pairs (dataset, pairs->validation, pairs->n_validation);
  g_assert_cmpint (positives, ==, 400);
  gboolean lonely[40] = { FALSE };
  check_one_positive_one_negative (dataset, pairs->train, pairs->n_train, pairs->validation,
                                   pairs->n_validation, lonely);

  /* Shuffled: validation is not simply the last images' pairs, and both parts
   * mix positives and negatives. */
  int validation_positives = check_pairs (dataset, pairs->validation, pairs->n_validation);
  g_assert_cmpint (validation_positives, >, 20);
  g_assert_cmpint (validation_positives, <, 60);
  int low_images = 0;
  for (int k = 0; k < pairs->n_validation; k++)
    low_images += pairs->validation[k].a < 200;
  g_assert_cmpint (low_images, >, 20);

  /* Partners are drawn at random: negatives reach many people, and positives
   * many of a person's images. */
  int hit_people[40] = { 0 };
  int hit_images[400] = { 0 };
  for (int k = 0; k < pairs->n_train + pairs->n_validation; k++)
    {
      const SfPair *pair = k < pairs->n_train ? &pairs->train[k] : &pairs->validation[k - pairs->n_train];
      if (pair->same > 0.5f)
        hit_images[pair->b]++;
      else
        hit_people[dataset->labels[pair->b]]++;
    }
  int people_hit = 0, images_hit = 0;
  for (int p = 0; p < 40; p++)
    people_hit += hit_people[p] > 0;
  for (int i = 0; i < 400; i++)
    images_hit += hit_images[i] > 0;
  g_assert_cmpint (people_hit, >=, 35);
  g_assert_cmpint (images_hit, >=, 200);
}

static void
test_lonely_person (void)
{
  const int counts[] = { 5, 1, 4, 3, 1 };
  g_autoptr (SfDataset) dataset = make_dataset (counts, G_N_ELEMENTS (counts), TRUE);
  GError *error = NULL;
  g_autoptr (SfPairSet) pairs = sf_pairs_generate (dataset, SF_SPLIT_PAIRS, 0.2, 3, &error);
  g_assert_no_error (error);
  /* 14 images: 14 negatives, and positives for the 12 images of people with company. */
  g_assert_cmpint (pairs->n_train + pairs->n_validation, ==, 26);
  g_assert_cmpint (pairs->n_validation, ==, 5); /* round (0.2 × 26) */
  int positives = check_pairs (dataset, pairs->train, pairs->n_train)
                  + check_pairs (dataset, pairs->validation, pairs->n_validation);
  g_assert_cmpint (positives, ==, 12);
  g_assert_cmpint (pairs->n_lonely_people, ==, 2);
  g_assert_cmpint (pairs->lonely_people[0], ==, 1);
  g_assert_cmpint (pairs->lonely_people[1], ==, 4);
  const gboolean lonely[] = { FALSE, TRUE, FALSE, FALSE, TRUE };
  check_one_positive_one_negative (dataset, pairs->train, pairs->n_train, pairs->validation,
                                   pairs->n_validation, lonely);
}

static void
test_images_split (void)
{
  const int counts[] = { 10, 10, 4, 3, 2, 1, 12, 5 };
  const int n_people = G_N_ELEMENTS (counts);
  g_autoptr (SfDataset) dataset = make_dataset (counts, n_people, TRUE);
  GError *error = NULL;
  g_autoptr (SfPairSet) pairs = sf_pairs_generate (dataset, SF_SPLIT_IMAGES, 0, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (pairs->validation_share, ==, 0.2);

  /* max (2, round (0.2 × count)) of people with 4 or more, keeping 2 for training. */
  const int expected_held[] = { 2, 2, 2, 0, 0, 0, 2, 2 };
  int held[G_N_ELEMENTS (counts)] = { 0 };
  int n_held = 0;
  for (int i = 0; i < dataset->n_images; i++)
    if (pairs->held_out[i])
      {
        held[dataset->labels[i]]++;
        n_held++;
      }
  for (int p = 0; p < n_people; p++)
    g_assert_cmpint (held[p], ==, expected_held[p]);

  check_pairs (dataset, pairs->train, pairs->n_train);
  check_pairs (dataset, pairs->validation, pairs->n_validation);
  for (int k = 0; k < pairs->n_train; k++)
    {
      g_assert_false (pairs->held_out[pairs->train[k].a]);
      g_assert_false (pairs->held_out[pairs->train[k].b]);
    }
  for (int k = 0; k < pairs->n_validation; k++)
    {
      g_assert_true (pairs->held_out[pairs->validation[k].a]);
      g_assert_true (pairs->held_out[pairs->validation[k].b]);
    }
  /* Training: 37 images, one negative each, a positive each but for the lone image. */
  g_assert_cmpint (pairs->n_train, ==, 2 * (dataset->n_images - n_held) - 1);
  g_assert_cmpint (pairs->n_validation, ==, 2 * n_held);
  g_assert_cmpint (pairs->n_lonely_people, ==, 1);
  g_assert_cmpint (pairs->lonely_people[0], ==, 5);
  const gboolean lonely[G_N_ELEMENTS (counts)] = { [5] = TRUE };
  check_one_positive_one_negative (dataset, pairs->train, pairs->n_train, pairs->validation,
                                   pairs->n_validation, lonely);

  /* A larger share: half of each person's images, still two left to train on. */
  g_autoptr (SfPairSet) half = sf_pairs_generate (dataset, SF_SPLIT_IMAGES, 0.5, 5, &error);
  g_assert_no_error (error);
  const int expected_half[] = { 5, 5, 2, 0, 0, 0, 6, 3 };
  memset (held, 0, sizeof held);
  for (int i = 0; i < dataset->n_images; i++)
    held[dataset->labels[i]] += half->held_out[i];
  for (int p = 0; p < n_people; p++)
    g_assert_cmpint (held[p], ==, expected_half[p]);
}

static void
test_people_split (void)
{
  g_autoptr (SfDataset) dataset = make_uniform_dataset (40, 10);
  GError *error = NULL;
  g_autoptr (SfPairSet) pairs = sf_pairs_generate (dataset, SF_SPLIT_PEOPLE, 0, 11, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (pairs->validation_share, ==, 0.25);

  /* Whole people held out: every image of a person on the same side. */
  gboolean person_held[40];
  int n_held_people = 0;
  for (int p = 0; p < 40; p++)
    {
      person_held[p] = pairs->held_out[p * 10];
      for (int k = 1; k < 10; k++)
        g_assert_cmpint (pairs->held_out[p * 10 + k], ==, person_held[p]);
      n_held_people += person_held[p];
    }
  g_assert_cmpint (n_held_people, ==, 10);
  g_assert_cmpint (pairs->n_train, ==, 600);
  g_assert_cmpint (pairs->n_validation, ==, 200);

  check_pairs (dataset, pairs->train, pairs->n_train);
  check_pairs (dataset, pairs->validation, pairs->n_validation);
  for (int k = 0; k < pairs->n_train; k++)
    {
      g_assert_false (person_held[dataset->labels[pairs->train[k].a]]);
      g_assert_false (person_held[dataset->labels[pairs->train[k].b]]);
    }
  for (int k = 0; k < pairs->n_validation; k++)
    {
      g_assert_true (person_held[dataset->labels[pairs->validation[k].a]]);
      g_assert_true (person_held[dataset->labels[pairs->validation[k].b]]);
    }
  gboolean lonely[40] = { FALSE };
  check_one_positive_one_negative (dataset, pairs->train, pairs->n_train, pairs->validation,
                                   pairs->n_validation, lonely);

  /* The seed picks who is held out. */
  g_autoptr (SfPairSet) other = sf_pairs_generate (dataset, SF_SPLIT_PEOPLE, 0, 12, &error);
  g_assert_no_error (error);
  g_assert_false (memcmp (pairs->held_out, other->held_out, sizeof (gboolean) * 400) == 0);
}

static void
test_people_split_small (void)
{
  /* 5 people: round (0.25 × 5) = 1, raised to 2; single-image people are lonely. */
  const int counts[] = { 3, 1, 4, 2, 1 };
  g_autoptr (SfDataset) dataset = make_dataset (counts, G_N_ELEMENTS (counts), FALSE);
  GError *error = NULL;
  for (guint64 seed = 0; seed < 20; seed++)
    {
      g_autoptr (SfPairSet) pairs = sf_pairs_generate (dataset, SF_SPLIT_PEOPLE, 0, seed, &error);
      g_assert_no_error (error);
      gboolean person_held[5] = { FALSE };
      for (int i = 0; i < dataset->n_images; i++)
        person_held[dataset->labels[i]] |= pairs->held_out[i];
      int n_held = 0;
      for (int p = 0; p < 5; p++)
        n_held += person_held[p];
      g_assert_cmpint (n_held, ==, 2);
      check_pairs (dataset, pairs->train, pairs->n_train);
      check_pairs (dataset, pairs->validation, pairs->n_validation);
      for (int k = 0; k < pairs->n_validation; k++)
        g_assert_true (person_held[dataset->labels[pairs->validation[k].a]]
                       && person_held[dataset->labels[pairs->validation[k].b]]);
      for (int k = 0; k < pairs->n_train; k++)
        g_assert_true (!person_held[dataset->labels[pairs->train[k].a]]
                       && !person_held[dataset->labels[pairs->train[k].b]]);
      g_assert_cmpint (pairs->n_lonely_people, ==, 2);
      g_assert_cmpint (pairs->lonely_people[0], ==, 1);
      g_assert_cmpint (pairs->lonely_people[1], ==, 4);
    }

  /* Three people cannot give two to each side. */
  const int three[] = { 4, 4, 4 };
  g_autoptr (SfDataset) small = make_dataset (three, 3, FALSE);
  g_assert_null (sf_pairs_generate (small, SF_SPLIT_PEOPLE, 0, 0, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
}

static gboolean
same_pairs (const SfPairSet *a, const SfPairSet *b)
{
  return a->n_train == b->n_train && a->n_validation == b->n_validation
         && memcmp (a->train, b->train, sizeof (SfPair) * a->n_train) == 0
         && memcmp (a->validation, b->validation, sizeof (SfPair) * a->n_validation) == 0
         && memcmp (a->held_out, b->held_out, sizeof (gboolean) * a->n_images) == 0;
}

static void
test_repeatable (void)
{
  const int counts[] = { 10, 7, 1, 9, 10, 4, 10, 8 };
  g_autoptr (SfDataset) dataset = make_dataset (counts, G_N_ELEMENTS (counts), TRUE);
  const SfSplitKind kinds[] = { SF_SPLIT_PAIRS, SF_SPLIT_IMAGES, SF_SPLIT_PEOPLE };
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      GError *error = NULL;
      g_autoptr (SfPairSet) a = sf_pairs_generate (dataset, kinds[k], 0, 42, &error);
      g_assert_no_error (error);
      g_autoptr (SfPairSet) b = sf_pairs_generate (dataset, kinds[k], 0, 42, &error);
      g_assert_no_error (error);
      g_autoptr (SfPairSet) c = sf_pairs_generate (dataset, kinds[k], 0, 43, &error);
      g_assert_no_error (error);
      g_assert_true (same_pairs (a, b));
      g_assert_false (same_pairs (a, c));
      g_assert_cmpuint (a->seed, ==, 42);
      g_assert_cmpint (a->kind, ==, kinds[k]);
    }
}

static void
test_refusals (void)
{
  g_autoptr (SfDataset) dataset = make_uniform_dataset (6, 5);
  const double bad_shares[] = { 1.0, 1.5, NAN, INFINITY };
  for (gsize k = 0; k < G_N_ELEMENTS (bad_shares); k++)
    {
      GError *error = NULL;
      g_assert_null (sf_pairs_generate (dataset, SF_SPLIT_PAIRS, bad_shares[k], 0, &error));
      g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
      g_clear_error (&error);
    }

  /* A negative share means the default, like zero. */
  GError *error = NULL;
  g_autoptr (SfPairSet) by_default = sf_pairs_generate (dataset, SF_SPLIT_IMAGES, -1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (by_default->validation_share, ==, 0.2);

  /* One person: no negative pairs anywhere. */
  const int one[] = { 10 };
  g_autoptr (SfDataset) alone = make_dataset (one, 1, FALSE);
  const SfSplitKind kinds[] = { SF_SPLIT_PAIRS, SF_SPLIT_IMAGES, SF_SPLIT_PEOPLE };
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_assert_null (sf_pairs_generate (alone, kinds[k], 0, 0, &error));
      g_assert_error (error, SF_ERROR, SF_ERROR_EMPTY);
      g_assert_nonnull (strstr (error->message, "two people"));
      g_clear_error (&error);
    }

  /* Two people with one image each: 2 pairs, and 10% of them is no pair at all. */
  const int two[] = { 1, 1 };
  g_autoptr (SfDataset) tiny = make_dataset (two, 2, FALSE);
  g_assert_null (sf_pairs_generate (tiny, SF_SPLIT_PAIRS, 0, 0, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "validation"));
  g_clear_error (&error);

  /* Nobody has the 4 images an images split needs to hold any out. */
  const int few[] = { 3, 3, 2 };
  g_autoptr (SfDataset) sparse = make_dataset (few, 3, FALSE);
  g_assert_null (sf_pairs_generate (sparse, SF_SPLIT_IMAGES, 0, 0, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "validation"));
  g_clear_error (&error);

  /* Only one person has images to hold out: validation would have no negatives. */
  const int lopsided[] = { 8, 3, 2 };
  g_autoptr (SfDataset) uneven = make_dataset (lopsided, 3, FALSE);
  g_assert_null (sf_pairs_generate (uneven, SF_SPLIT_IMAGES, 0, 0, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_EMPTY);
  g_assert_nonnull (strstr (error->message, "single person"));
  g_clear_error (&error);

  /* Labels that do not name a person are refused, not read out of bounds. */
  g_autoptr (SfDataset) broken = make_uniform_dataset (3, 3);
  broken->labels[4] = 3;
  g_assert_null (sf_pairs_generate (broken, SF_SPLIT_PAIRS, 0, 0, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_similarity_pairs (void)
{
  g_autoptr (SfDataset) dataset = make_uniform_dataset (40, 10);
  for (int image = 0; image < 400; image += 37)
    {
      int n = -1;
      g_autofree SfPair *pairs = sf_pairs_test (dataset, image, 9, &n);
      g_assert_cmpint (n, ==, 40);
      g_assert_cmpint (check_pairs (dataset, pairs, n), ==, 1);
      gboolean seen[40] = { FALSE };
      for (int k = 0; k < n; k++)
        {
          g_assert_cmpint (pairs[k].a, ==, image);
          int person = dataset->labels[pairs[k].b];
          g_assert_false (seen[person]);
          seen[person] = TRUE;
        }
      int again_n = 0;
      g_autofree SfPair *again = sf_pairs_test (dataset, image, 9, &again_n);
      g_assert_cmpint (again_n, ==, n);
      g_assert_cmpmem (pairs, sizeof (SfPair) * n, again, sizeof (SfPair) * again_n);
    }

  /* A person with a single image has nobody of its own to compare with. */
  const int counts[] = { 3, 1, 2 };
  g_autoptr (SfDataset) small = make_dataset (counts, 3, FALSE);
  int n = -1;
  g_autofree SfPair *lone = sf_pairs_test (small, 3, 0, &n);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpint (check_pairs (small, lone, n), ==, 0);
  g_autofree SfPair *pair_of_two = sf_pairs_test (small, 4, 0, &n);
  g_assert_cmpint (n, ==, 3);
  g_assert_cmpint (check_pairs (small, pair_of_two, n), ==, 1);
  for (int k = 0; k < n; k++)
    if (pair_of_two[k].same > 0.5f)
      g_assert_cmpint (pair_of_two[k].b, ==, 5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pairs/split-kind-names", test_split_kind_names);
  g_test_add_func ("/pairs/article", test_article_pairs);
  g_test_add_func ("/pairs/lonely-person", test_lonely_person);
  g_test_add_func ("/pairs/images-split", test_images_split);
  g_test_add_func ("/pairs/people-split", test_people_split);
  g_test_add_func ("/pairs/people-split-small", test_people_split_small);
  g_test_add_func ("/pairs/repeatable", test_repeatable);
  g_test_add_func ("/pairs/refusals", test_refusals);
  g_test_add_func ("/pairs/similarity", test_similarity_pairs);
  return g_test_run ();
}
