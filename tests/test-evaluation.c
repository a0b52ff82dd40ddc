/* Evaluation: pair scores against scoring by hand, the pairs a model is judged
 * on, the article's probe test (partners, skipped people, seeds, scores), and
 * the thresholds by their properties: at the EER threshold false accepts and
 * false rejects balance, the best-accuracy threshold beats every other. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "evaluation.h"
#include "rng.h"

#define SIZE 16
#define SPEC "conv4k3-bn-relu pool2 conv8k3-bn-relu gap dense8"

static SfModel *
small_model (void)
{
  GError *error = NULL;
  SfModel *model = sf_model_new (SPEC, SF_HEAD_CONTRASTIVE, 2.0f, SIZE, 7, &error);
  g_assert_no_error (error);
  return model;
}

static SfDataset *
demo (guint64 seed)
{
  GError *error = NULL;
  SfDataset *dataset = sf_demo_faces_generate (SIZE, seed, &error);
  g_assert_no_error (error);
  return dataset;
}

/* `keep` decides which images of `source` stay; people keep their indices
 * (and names) even when none of their images stays. With `second`, its
 * images follow as people n_people … */
static SfDataset *
rebuild (const SfDataset *source, const SfDataset *second, const gboolean *keep)
{
  int n = 0;
  for (int i = 0; i < source->n_images; i++)
    n += keep == NULL || keep[i];
  int n_second = second != NULL ? second->n_images : 0;
  int n_people = source->n_people + (second != NULL ? second->n_people : 0);
  GError *error = NULL;
  SfDataset *dataset = sf_dataset_new (SF_DATASET_FORMAT_DEMO, n + n_second, SIZE, SIZE, n_people, &error);
  g_assert_no_error (error);
  gsize side = SIZE * SIZE;
  int k = 0;
  for (int i = 0; i < source->n_images; i++)
    if (keep == NULL || keep[i])
      {
        memcpy (dataset->pixels + k * side, sf_dataset_image (source, i), side * sizeof (float));
        dataset->labels[k++] = source->labels[i];
      }
  for (int i = 0; i < n_second; i++)
    {
      memcpy (dataset->pixels + k * side, sf_dataset_image (second, i), side * sizeof (float));
      dataset->labels[k++] = source->n_people + second->labels[i];
    }
  for (int p = 0; p < n_people; p++)
    dataset->person_names[p] = g_strdup_printf ("Person %d", p + 1);
  return dataset;
}

/* A pair scored the long way: each face embedded on its own (mirrored). */
static float
score_by_hand (SfModel *model, const float *a, const float *b)
{
  int D = sf_model_get_embedding_size (model);
  g_autofree float *ea = g_new (float, D);
  g_autofree float *eb = g_new (float, D);
  GError *error = NULL;
  g_assert_true (sf_model_embed_mirrored (model, a, 1, ea, &error));
  g_assert_true (sf_model_embed_mirrored (model, b, 1, eb, &error));
  g_assert_no_error (error);
  return sf_model_score_distance (model, sf_model_distance (model, ea, eb));
}

static void
test_score_pairs_by_hand (void)
{
  /* 400 faces: more than one group of embeddings in sf_evaluation_score_pairs. */
  g_autoptr (SfDataset) first = demo (0);
  g_autoptr (SfDataset) second = demo (1);
  g_autoptr (SfDataset) dataset = rebuild (first, second, NULL);
  g_autoptr (SfModel) model = small_model ();
  enum { N = 300 };
  SfPair pairs[2 * N];
  SfRng rng;
  sf_rng_seed (&rng, 3);
  for (int k = 0; k < N; k++)
    {
      int a = (int) sf_rng_below (&rng, dataset->n_images);
      int b = (a + 1 + (int) sf_rng_below (&rng, dataset->n_images - 1)) % dataset->n_images;
      pairs[k] = (SfPair) { a, b, dataset->labels[a] == dataset->labels[b] };
      pairs[N + k] = (SfPair) { b, a, pairs[k].same };
    }
  float scores[2 * N];
  GError *error = NULL;
  g_assert_true (sf_evaluation_score_pairs (model, dataset, pairs, 2 * N, scores, &error));
  g_assert_no_error (error);
  gboolean seen_late = FALSE;
  for (int k = 0; k < N; k++)
    {
      float expected = score_by_hand (model, sf_dataset_image (dataset, pairs[k].a),
                                      sf_dataset_image (dataset, pairs[k].b));
      g_assert_cmpfloat_with_epsilon (scores[k], expected, 1e-5);
      /* Turned around, the very same score. */
      g_assert_cmpfloat (scores[N + k], ==, scores[k]);
      seen_late |= pairs[k].a >= 256 || pairs[k].b >= 256;
    }
  g_assert_true (seen_late);
}

static gboolean
matches_equal (const SfProbeTest *x, const SfProbeTest *y)
{
  return x->n_matches == y->n_matches
         && memcmp (x->matches, y->matches, sizeof (SfProbeMatch) * (gsize) x->n_matches) == 0;
}

/* One match per person with an image (`missing` has none), in person order,
 * each partner of the person it names, never the probe itself. */
static void
assert_partners (const SfDataset *dataset, const SfProbeTest *test, int missing)
{
  g_autofree int *counts = sf_dataset_person_counts (dataset);
  int expected = 0;
  for (int p = 0; p < dataset->n_people; p++)
    expected += counts[p] > (p == test->probe_person ? 1 : 0);
  g_assert_cmpint (test->n_matches, ==, expected);
  for (int k = 0; k < test->n_matches; k++)
    {
      const SfProbeMatch *m = &test->matches[k];
      g_assert_cmpint (m->image, >=, 0);
      g_assert_cmpint (m->image, <, dataset->n_images);
      g_assert_cmpint (m->image, !=, test->probe_image);
      g_assert_cmpint (m->person, ==, dataset->labels[m->image]);
      g_assert_cmpint (m->person, !=, missing);
      if (k > 0)
        g_assert_cmpint (m->person, >, test->matches[k - 1].person);
      g_assert_true (m->score >= 0 && m->score <= 1);
    }
}

/* The scores sf_evaluation_score_pairs gives the probe's pairs. */
static void
assert_scores_of_pairs (SfModel *model, const SfDataset *dataset, const SfProbeTest *test)
{
  g_autofree SfPair *pairs = g_new (SfPair, MAX (test->n_matches, 1));
  g_autofree float *scores = g_new (float, MAX (test->n_matches, 1));
  for (int k = 0; k < test->n_matches; k++)
    pairs[k] = (SfPair) { test->probe_image, test->matches[k].image,
                          test->matches[k].person == test->probe_person };
  GError *error = NULL;
  g_assert_true (sf_evaluation_score_pairs (model, dataset, pairs, test->n_matches, scores, &error));
  g_assert_no_error (error);
  for (int k = 0; k < test->n_matches; k++)
    g_assert_cmpfloat (test->matches[k].score, ==, scores[k]);
}

static void
test_probe_dataset_face (void)
{
  g_autoptr (SfDataset) dataset = demo (0);
  g_autoptr (SfModel) model = small_model ();
  const int probes[] = { 0, 57, 199 };
  GError *error = NULL;
  for (guint k = 0; k < G_N_ELEMENTS (probes); k++)
    {
      g_autoptr (SfProbeTest) test = sf_probe_test_new (model, dataset, probes[k], NULL, 5, &error);
      g_assert_no_error (error);
      g_assert_cmpint (test->probe_image, ==, probes[k]);
      g_assert_cmpint (test->probe_person, ==, dataset->labels[probes[k]]);
      assert_partners (dataset, test, -1);
      assert_scores_of_pairs (model, dataset, test);

      g_autoptr (SfProbeTest) again = sf_probe_test_new (model, dataset, probes[k], NULL, 5, &error);
      g_assert_true (matches_equal (test, again));
      g_autoptr (SfProbeTest) other = sf_probe_test_new (model, dataset, probes[k], NULL, 6, &error);
      g_assert_false (matches_equal (test, other));
    }
}

static void
test_probe_skips_people_without_images (void)
{
  g_autoptr (SfDataset) full = demo (0);
  g_autoptr (SfModel) model = small_model ();
  /* People 3 and 4 lose every image, 5 and 7 … 18 all but one: the
   * outside face and its partners are then fewer than the people. */
  g_autofree gboolean *keep = g_new (gboolean, full->n_images);
  g_autofree int *kept = g_new0 (int, full->n_people);
  for (int i = 0; i < full->n_images; i++)
    {
      int p = full->labels[i];
      keep[i] = p != 3 && p != 4 && ((p != 5 && (p < 7 || p > 18)) || kept[p] == 0);
      kept[p] += keep[i];
    }
  g_autoptr (SfDataset) dataset = rebuild (full, NULL, keep);
  g_assert_cmpint (dataset->n_people, ==, full->n_people);
  GError *error = NULL;

  for (int probe = 0; probe < dataset->n_images; probe += 23)
    {
      g_autoptr (SfProbeTest) test = sf_probe_test_new (model, dataset, probe, NULL, 1, &error);
      g_assert_no_error (error);
      assert_partners (dataset, test, 3);
      assert_scores_of_pairs (model, dataset, test);
    }
  /* The single face of person 5 has no partner of its own person. */
  int lonely = -1;
  for (int i = 0; i < dataset->n_images; i++)
    if (dataset->labels[i] == 5)
      lonely = i;
  g_autoptr (SfProbeTest) alone = sf_probe_test_new (model, dataset, lonely, NULL, 1, &error);
  g_assert_cmpint (alone->n_matches, ==, dataset->n_people - 3);
  assert_partners (dataset, alone, 3);

  g_autoptr (SfDataset) stranger = demo (9);
  g_autoptr (SfProbeTest) outside = sf_probe_test_new (model, dataset, -1, sf_dataset_image (stranger, 0), 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outside->n_matches, ==, dataset->n_people - 2);
  assert_partners (dataset, outside, 3);
}

static void
test_probe_outside_face (void)
{
  g_autoptr (SfDataset) dataset = demo (0);
  g_autoptr (SfDataset) stranger = demo (9);
  g_autoptr (SfModel) model = small_model ();
  const float *probe = sf_dataset_image (stranger, 42);
  GError *error = NULL;
  g_autoptr (SfProbeTest) test = sf_probe_test_new (model, dataset, -1, probe, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test->probe_image, ==, -1);
  g_assert_cmpint (test->probe_person, ==, -1);
  /* One partner for every person, in person order. */
  g_assert_cmpint (test->n_matches, ==, dataset->n_people);
  assert_partners (dataset, test, -1);
  for (int k = 0; k < test->n_matches; k++)
    g_assert_cmpint (test->matches[k].person, ==, k);
  for (int k = 0; k < test->n_matches; k++)
    g_assert_cmpfloat_with_epsilon (test->matches[k].score,
                                    score_by_hand (model, probe, sf_dataset_image (dataset, test->matches[k].image)),
                                    1e-5);

  g_autoptr (SfProbeTest) again = sf_probe_test_new (model, dataset, -1, probe, 4, &error);
  g_assert_true (matches_equal (test, again));
  g_autoptr (SfProbeTest) other = sf_probe_test_new (model, dataset, -1, probe, 8, &error);
  g_assert_false (matches_equal (test, other));
}

/* ---- the pairs a model is judged on ---- */

static void
small_settings (SfTrainSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  sf_train_settings_init_preset (settings, SF_PRESET_COMPACT);
  g_free (settings->spec);
  settings->spec = g_strdup (SPEC);
  settings->epochs = 1;
  settings->batch_size = 32;
  settings->seed = 11;
}

typedef struct {
  int true_accepts, false_accepts, true_rejects, false_rejects;
} Counts;

static Counts
count_at (const float *scores, const float *truths, int n, float threshold)
{
  Counts c = { 0 };
  for (int k = 0; k < n; k++)
    {
      gboolean same = truths[k] == 1, accepted = scores[k] >= threshold;
      c.true_accepts += same && accepted;
      c.false_accepts += !same && accepted;
      c.true_rejects += !same && !accepted;
      c.false_rejects += same && !accepted;
    }
  return c;
}

static void
assert_counts (const SfMetrics *m, Counts c)
{
  g_assert_cmpint (m->true_accepts, ==, c.true_accepts);
  g_assert_cmpint (m->false_accepts, ==, c.false_accepts);
  g_assert_cmpint (m->true_rejects, ==, c.true_rejects);
  g_assert_cmpint (m->false_rejects, ==, c.false_rejects);
}

static void
test_evaluation_of_a_model (void)
{
  g_autoptr (SfDataset) dataset = demo (0);
  g_autoptr (SfModel) model = small_model ();
  SfTrainSettings settings;
  small_settings (&settings);
  g_assert_cmpint (settings.split, ==, SF_SPLIT_PEOPLE);
  g_autofree char *fingerprint = sf_dataset_fingerprint (dataset);
  GError *error = NULL;

  /* On the dataset it was trained on: its training's validation pairs. */
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  g_assert_no_error (error);
  const SfPairSet *trained = sf_trainer_get_pairs (trainer);
  g_autoptr (SfEvaluation) own = sf_evaluation_new (model, dataset, &settings, fingerprint, 0.4f,
                                                    SF_EVALUATION_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (own->same_data);
  g_assert_cmpint (own->split, ==, SF_SPLIT_PEOPLE);
  g_assert_cmpint (own->n_pairs, ==, trained->n_validation);
  g_assert_cmpmem (own->pairs, sizeof (SfPair) * own->n_pairs, trained->validation,
                   sizeof (SfPair) * trained->n_validation);
  g_assert_cmpmem (own->pair_set->held_out, sizeof (gboolean) * dataset->n_images, trained->held_out,
                   sizeof (gboolean) * trained->n_images);
  for (int k = 0; k < own->n_pairs; k++)
    g_assert_cmpfloat (own->truths[k], ==, own->pairs[k].same);
  for (int k = 0; k < own->n_pairs; k += 17)
    g_assert_cmpfloat_with_epsilon (own->scores[k],
                                    score_by_hand (model, sf_dataset_image (dataset, own->pairs[k].a),
                                                   sf_dataset_image (dataset, own->pairs[k].b)),
                                    1e-5);
  /* Counted at the threshold given, and at any other (the slider). */
  g_assert_cmpfloat (own->metrics.threshold, ==, 0.4f);
  assert_counts (&own->metrics, count_at (own->scores, own->truths, own->n_pairs, 0.4f));
  SfMetrics slider;
  sf_evaluation_at_threshold (own, 0.7f, &slider);
  g_assert_cmpfloat (slider.threshold, ==, 0.7f);
  assert_counts (&slider, count_at (own->scores, own->truths, own->n_pairs, 0.7f));
  g_assert_cmpfloat (slider.auc, ==, own->metrics.auc);
  g_assert_nonnull (own->roc);
  g_assert_cmpint (own->n_roc, >, 1);
  g_assert_true (isnan (own->rank1));

  /* Rank-1 on the held-out people: the first face of each is the gallery. */
  g_autoptr (SfEvaluation) ranked = sf_evaluation_new (model, dataset, &settings, fingerprint, 0.4f,
                                                       SF_EVALUATION_RANK1, &error);
  g_assert_no_error (error);
  int held_images = 0, held_people = 0;
  g_autofree gboolean *person_held = g_new0 (gboolean, dataset->n_people);
  for (int i = 0; i < dataset->n_images; i++)
    if (trained->held_out[i])
      {
        held_images++;
        held_people += !person_held[dataset->labels[i]];
        person_held[dataset->labels[i]] = TRUE;
      }
  g_assert_cmpint (held_people, >, 0);
  g_assert_cmpint (ranked->rank1_probes, ==, held_images - held_people);
  g_assert_true (ranked->rank1 >= 0 && ranked->rank1 <= 1);

  /* Any other dataset: every pair of the article's recipe, every image a probe. */
  g_autoptr (SfEvaluation) foreign = sf_evaluation_new (model, dataset, &settings, "another dataset", 0.4f,
                                                        SF_EVALUATION_RANK1, &error);
  g_assert_no_error (error);
  g_autoptr (SfPairSet) recipe = sf_pairs_generate (dataset, SF_SPLIT_PAIRS, 0.1, settings.seed, &error);
  g_assert_false (foreign->same_data);
  g_assert_cmpint (foreign->split, ==, SF_SPLIT_PAIRS);
  g_assert_cmpint (foreign->n_pairs, ==, recipe->n_train + recipe->n_validation);
  g_assert_cmpint (foreign->rank1_probes, ==, dataset->n_images - dataset->n_people);
  sf_train_settings_clear (&settings);
}

/* ---- thresholds, by their properties ---- */

/* False accepts minus false rejects, as rates, accepting scores >= threshold. */
static double
far_minus_frr (const float *scores, const float *truths, int n, float threshold)
{
  Counts c = count_at (scores, truths, n, threshold);
  int n_same = c.true_accepts + c.false_rejects, n_different = n - n_same;
  return (double) c.false_accepts / n_different - (double) c.false_rejects / n_same;
}

/* At the EER threshold the rates cross: FAR - FRR changes sign between it and
 * the next score up or down (ties move together). */
static void
assert_rates_cross (const float *scores, const float *truths, int n, float threshold)
{
  float below = -INFINITY, at_or_above = INFINITY;
  for (int k = 0; k < n; k++)
    {
      if (scores[k] < threshold)
        below = MAX (below, scores[k]);
      else
        at_or_above = MIN (at_or_above, scores[k]);
    }
  double here = far_minus_frr (scores, truths, n, threshold);
  double looser = far_minus_frr (scores, truths, n, below);
  double stricter = far_minus_frr (scores, truths, n, nextafterf (at_or_above, INFINITY));
  g_assert_true ((here <= 0 && looser >= 0) || (here >= 0 && stricter <= 0));
}

/* Overlapping classes of unequal size, no two scores alike. */
static void
crafted_scores (guint64 seed, float *scores, float *truths, int n_same, int n)
{
  SfRng rng;
  sf_rng_seed (&rng, seed);
  for (int k = 0; k < n; k++)
    {
      truths[k] = k < n_same;
      double centre = k < n_same ? 0.62 : 0.45;
      scores[k] = (float) CLAMP (centre + 0.13 * sf_rng_normal (&rng), 0.001, 0.999);
    }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      g_assert_cmpfloat (scores[i], !=, scores[j]);
}

static int
by_value (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

static int
right_at (const float *scores, const float *truths, int n, float threshold)
{
  Counts c = count_at (scores, truths, n, threshold);
  return c.true_accepts + c.true_rejects;
}

static void
test_eer_threshold_balances_errors (void)
{
  enum { N_SAME = 37, N = 120 };
  float scores[N], truths[N];
  GError *error = NULL;
  for (guint64 seed = 0; seed < 20; seed++)
    {
      crafted_scores (seed, scores, truths, N_SAME, N);
      g_autoptr (SfEvaluation) evaluation = sf_evaluation_new_from_scores (scores, truths, N, 0.5f, &error);
      g_assert_no_error (error);
      float threshold = sf_evaluation_choose_threshold (evaluation, SF_THRESHOLD_EER);
      /* One score moves one rate by one step: they meet within it. */
      double step = MAX (1.0 / N_SAME, 1.0 / (N - N_SAME));
      g_assert_cmpfloat (fabs (far_minus_frr (scores, truths, N, threshold)), <=, step + 1e-12);
      assert_rates_cross (scores, truths, N, threshold);
    }

  /* Classes apart: no error on either side, the threshold between them. */
  float apart[] = { 0.9f, 0.8f, 0.3f, 0.1f };
  float apart_truths[] = { 1, 1, 0, 0 };
  g_autoptr (SfEvaluation) separated = sf_evaluation_new_from_scores (apart, apart_truths, 4, 0.5f, &error);
  float threshold = sf_evaluation_choose_threshold (separated, SF_THRESHOLD_EER);
  g_assert_cmpfloat (threshold, >, 0.3f);
  g_assert_cmpfloat (threshold, <, 0.8f);
  g_assert_cmpfloat (far_minus_frr (apart, apart_truths, 4, threshold), ==, 0);

  /* A class missing, or no pairs at all: 0.5 by either rule. */
  float same[] = { 1, 1, 1, 1 };
  g_autoptr (SfEvaluation) one_class = sf_evaluation_new_from_scores (apart, same, 4, 0.5f, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (sf_evaluation_choose_threshold (one_class, SF_THRESHOLD_EER), ==, 0.5f);
  g_assert_cmpfloat (sf_evaluation_choose_threshold (one_class, SF_THRESHOLD_BEST_ACCURACY), ==, 0.5f);
  SfEvaluation empty = { .rank1 = NAN };
  g_assert_cmpfloat (sf_evaluation_choose_threshold (&empty, SF_THRESHOLD_EER), ==, 0.5f);
  g_assert_cmpfloat (sf_evaluation_choose_threshold (&empty, SF_THRESHOLD_BEST_ACCURACY), ==, 0.5f);
  g_assert_null (sf_evaluation_new_from_scores (apart, apart_truths, 0, 0.5f, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_best_accuracy_threshold_is_best (void)
{
  enum { N_SAME = 37, N = 120 };
  float scores[N], truths[N], sorted[N];
  GError *error = NULL;
  for (guint64 seed = 0; seed < 20; seed++)
    {
      crafted_scores (seed, scores, truths, N_SAME, N);
      g_autoptr (SfEvaluation) evaluation = sf_evaluation_new_from_scores (scores, truths, N, 0.5f, &error);
      g_assert_no_error (error);
      float threshold = sf_evaluation_choose_threshold (evaluation, SF_THRESHOLD_BEST_ACCURACY);

      /* Every threshold that makes a difference: above all, below all, and
       * every midpoint between neighbouring scores. */
      memcpy (sorted, scores, sizeof scores);
      qsort (sorted, N, sizeof (float), by_value);
      int best = MAX (right_at (scores, truths, N, nextafterf (sorted[N - 1], INFINITY)),
                      right_at (scores, truths, N, sorted[0]));
      for (int k = 0; k + 1 < N; k++)
        best = MAX (best, right_at (scores, truths, N, (sorted[k] + sorted[k + 1]) / 2));
      g_assert_cmpint (right_at (scores, truths, N, threshold), ==, best);
      g_assert_cmpfloat_with_epsilon (evaluation->metrics.best_accuracy, (double) best / N, 1e-12);
    }
}

/* ---- a trainer's own evaluation ---- */

static void
test_evaluation_for_trainer (void)
{
  g_autoptr (SfDataset) dataset = demo (0);
  SfTrainSettings settings;
  small_settings (&settings);
  settings.split = SF_SPLIT_IMAGES;
  settings.split_share = 0;
  GError *error = NULL;
  g_autoptr (SfTrainer) trainer = sf_trainer_new (dataset, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (sf_trainer_run (trainer, NULL, NULL, &error));
  g_assert_no_error (error);

  g_autoptr (SfEvaluation) evaluation = sf_evaluation_new_for_trainer (trainer, &error);
  g_assert_no_error (error);
  const SfPairSet *pairs = sf_trainer_get_pairs (trainer);
  g_assert_true (evaluation->same_data);
  g_assert_cmpint (evaluation->split, ==, SF_SPLIT_IMAGES);
  g_assert_cmpint (evaluation->n_pairs, ==, pairs->n_validation);
  g_assert_cmpmem (evaluation->pairs, sizeof (SfPair) * evaluation->n_pairs, pairs->validation,
                   sizeof (SfPair) * pairs->n_validation);
  g_assert_true (evaluation->pair_set != pairs);
  SfModel *model = sf_trainer_get_model (trainer);
  for (int k = 0; k < evaluation->n_pairs; k += 11)
    g_assert_cmpfloat_with_epsilon (evaluation->scores[k],
                                    score_by_hand (model, sf_dataset_image (dataset, evaluation->pairs[k].a),
                                                   sf_dataset_image (dataset, evaluation->pairs[k].b)),
                                    1e-5);
  /* Judged at the threshold the model keeps: where its error rates cross. */
  float threshold = sf_evaluation_choose_threshold (evaluation, SF_THRESHOLD_EER);
  g_assert_cmpfloat (evaluation->metrics.threshold, ==, threshold);
  g_assert_cmpfloat (threshold, >, 0);
  g_assert_cmpfloat (threshold, <, 1);
  assert_rates_cross (evaluation->scores, evaluation->truths, evaluation->n_pairs, threshold);
  assert_counts (&evaluation->metrics, count_at (evaluation->scores, evaluation->truths, evaluation->n_pairs,
                                                 threshold));
  sf_train_settings_clear (&settings);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/evaluation/score-pairs-by-hand", test_score_pairs_by_hand);
  g_test_add_func ("/evaluation/probe-dataset-face", test_probe_dataset_face);
  g_test_add_func ("/evaluation/probe-skips-people-without-images", test_probe_skips_people_without_images);
  g_test_add_func ("/evaluation/probe-outside-face", test_probe_outside_face);
  g_test_add_func ("/evaluation/of-a-model", test_evaluation_of_a_model);
  g_test_add_func ("/evaluation/eer-threshold-balances-errors", test_eer_threshold_balances_errors);
  g_test_add_func ("/evaluation/best-accuracy-threshold-is-best", test_best_accuracy_threshold_is_best);
  g_test_add_func ("/evaluation/for-trainer", test_evaluation_for_trainer);
  return g_test_run ();
}
