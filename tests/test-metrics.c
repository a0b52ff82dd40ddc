/* Verification metrics on hand-computed cases, ties, brute-force AUC, rank-1. */
#include <glib.h>
#include <math.h>

#include "error.h"
#include "metrics.h"
#include "rng.h"

static void
test_hand_computed (void)
{
  /* same: 0.9 0.8 0.4; different: 0.7 0.3 0.2 */
  float scores[] = { 0.9f, 0.8f, 0.4f, 0.7f, 0.3f, 0.2f };
  float truths[] = { 1, 1, 1, 0, 0, 0 };
  SfMetrics m;
  GError *error = NULL;
  g_assert_true (sf_metrics_compute (scores, truths, 6, 0.5f, &m, &error));
  g_assert_cmpint (m.true_accepts, ==, 2);
  g_assert_cmpint (m.false_accepts, ==, 1);
  g_assert_cmpint (m.true_rejects, ==, 2);
  g_assert_cmpint (m.false_rejects, ==, 1);
  g_assert_cmpfloat_with_epsilon (m.accuracy, 4.0 / 6, 1e-12);
  g_assert_cmpfloat_with_epsilon (m.precision, 2.0 / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (m.recall, 2.0 / 3, 1e-12);
  /* Pairs (same, different) ranked right: 0.9 and 0.8 beat all 3, 0.4 beats 2: 8 of 9. */
  g_assert_cmpfloat_with_epsilon (m.auc, 8.0 / 9, 1e-12);
  /* Accepting >= 0.8 gives FAR 0, TAR 2/3 → accuracy 5/6, between 0.8 and 0.7. */
  g_assert_cmpfloat_with_epsilon (m.best_accuracy, 5.0 / 6, 1e-12);
  g_assert_cmpfloat_with_epsilon (m.best_threshold, 0.75f, 1e-6);
  g_assert_cmpfloat_with_epsilon (m.tar_at_far_1, 2.0 / 3, 1e-12);
  /* FAR - FRR: at 0.8 it is 0 - 1/3, at 0.7 it is 1/3 - 1/3 = 0: the EER is 1/3 at 0.7. */
  g_assert_cmpfloat_with_epsilon (m.eer, 1.0 / 3, 1e-9);
  g_assert_cmpfloat_with_epsilon (m.eer_threshold, 0.7f, 1e-6);
}

static void
test_ties_count_half (void)
{
  float scores[] = { 0.5f, 0.5f, 0.5f, 0.5f };
  float truths[] = { 1, 0, 1, 0 };
  SfMetrics m;
  g_assert_true (sf_metrics_compute (scores, truths, 4, 0.5f, &m, NULL));
  g_assert_cmpfloat_with_epsilon (m.auc, 0.5, 1e-12);
  int n = 0;
  g_autofree SfRocPoint *roc = sf_metrics_roc (scores, truths, 4, &n);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpfloat (roc[1].far, ==, 1.0);
  g_assert_cmpfloat (roc[1].tar, ==, 1.0);
}

static void
test_perfect_and_inverted (void)
{
  float scores[] = { 0.9f, 0.8f, 0.2f, 0.1f };
  float truths[] = { 1, 1, 0, 0 };
  float inverted[] = { 0, 0, 1, 1 };
  SfMetrics m;
  g_assert_true (sf_metrics_compute (scores, truths, 4, 0.5f, &m, NULL));
  g_assert_cmpfloat (m.auc, ==, 1.0);
  g_assert_cmpfloat (m.eer, ==, 0.0);
  g_assert_cmpfloat (m.best_accuracy, ==, 1.0);
  g_assert_cmpfloat (m.tar_at_far_1, ==, 1.0);
  g_assert_cmpfloat_with_epsilon (m.best_threshold, 0.5f, 1e-6);
  g_assert_true (sf_metrics_compute (scores, inverted, 4, 0.5f, &m, NULL));
  g_assert_cmpfloat (m.auc, ==, 0.0);
  g_assert_cmpfloat (m.eer, ==, 1.0);
}

static void
test_choose_threshold (void)
{
  /* The hand-computed case: the EER threshold 0.7. */
  float scores[] = { 0.9f, 0.8f, 0.4f, 0.7f, 0.3f, 0.2f };
  float truths[] = { 1, 1, 1, 0, 0, 0 };
  g_assert_cmpfloat_with_epsilon (sf_metrics_choose_threshold (scores, truths, 6), 0.7f, 1e-6);
  /* Perfectly separated: midway between the classes, not on an edge. */
  float apart[] = { 0.9f, 0.8f, 0.3f, 0.1f };
  float apart_truths[] = { 1, 1, 0, 0 };
  g_assert_cmpfloat_with_epsilon (sf_metrics_choose_threshold (apart, apart_truths, 4), 0.55f, 1e-6);
  /* One class only, or nothing: 0.5. */
  float same[] = { 1, 1, 1 };
  g_assert_cmpfloat (sf_metrics_choose_threshold (scores, same, 3), ==, 0.5f);
  g_assert_cmpfloat (sf_metrics_choose_threshold (scores, truths, 0), ==, 0.5f);
}

static void
test_auc_equals_mann_whitney (void)
{
  SfRng rng;
  sf_rng_seed (&rng, 5);
  enum { N = 300 };
  float scores[N], truths[N];
  for (int k = 0; k < N; k++)
    {
      truths[k] = sf_rng_below (&rng, 2);
      /* Coarse scores make many ties. */
      scores[k] = (float) (sf_rng_below (&rng, 20) + 4 * truths[k]) / 24.0f;
    }
  double wins = 0, comparisons = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      if (truths[i] > 0.5f && truths[j] < 0.5f)
        {
          wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
          comparisons++;
        }
  SfMetrics m;
  g_assert_true (sf_metrics_compute (scores, truths, N, 0.5f, &m, NULL));
  g_assert_cmpfloat_with_epsilon (m.auc, wins / comparisons, 1e-9);
  g_assert_cmpfloat (m.eer, >, 0.0);
  g_assert_cmpfloat (m.eer, <, 0.5);
}

static void
test_degenerate (void)
{
  SfMetrics m;
  GError *error = NULL;
  g_assert_false (sf_metrics_compute (NULL, NULL, 0, 0.5f, &m, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
  float nan_scores[] = { 0.1f, NAN };
  float truths[] = { 1, 0 };
  g_assert_false (sf_metrics_compute (nan_scores, truths, 2, 0.5f, &m, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_NUMERIC);
  g_clear_error (&error);
  /* One class only: counts work, curve measures are undefined. */
  float scores[] = { 0.9f, 0.1f };
  float all_same[] = { 1, 1 };
  g_assert_true (sf_metrics_compute (scores, all_same, 2, 0.5f, &m, &error));
  g_assert_cmpint (m.true_accepts, ==, 1);
  g_assert_true (isnan (m.auc));
  g_assert_true (isnan (m.eer));
  g_assert_true (isnan (m.precision) == FALSE);
  int n = 5;
  g_assert_null (sf_metrics_roc (scores, all_same, 2, &n));
  g_assert_cmpint (n, ==, 0);
}

static void
test_rank1 (void)
{
  /* 2-D embeddings: person 0 near (0,0), person 1 near (10,0), one probe of person 1 sits near person 0. */
  float e[] = { 0, 0, 10, 0, 0.5f, 0, 9, 1, 1, 0.2f };
  int labels[] = { 0, 1, 0, 1, 1 };
  int probes = 0;
  double r = sf_metrics_rank1 (e, 5, 2, labels, &probes);
  g_assert_cmpint (probes, ==, 3);
  g_assert_cmpfloat_with_epsilon (r, 2.0 / 3, 1e-12);
  int ignored[] = { -1, -1, -1, -1, -1 };
  g_assert_true (isnan (sf_metrics_rank1 (e, 5, 2, ignored, &probes)));
  g_assert_cmpint (probes, ==, 0);
}

static void
test_json (void)
{
  float scores[] = { 0.9f, 0.1f };
  float truths[] = { 1, 0 };
  SfMetrics m;
  g_assert_true (sf_metrics_compute (scores, truths, 2, 0.5f, &m, NULL));
  g_autoptr (JsonNode) node = sf_metrics_to_json (&m);
  JsonObject *o = json_node_get_object (node);
  g_assert_cmpfloat (json_object_get_double_member (o, "accuracy"), ==, 1.0);
  g_assert_cmpint (json_object_get_int_member (o, "pairs"), ==, 2);
  g_assert_true (json_object_has_member (o, "tar_at_far_1_percent"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/choose-threshold", test_choose_threshold);
  g_test_add_func ("/metrics/hand-computed", test_hand_computed);
  g_test_add_func ("/metrics/ties", test_ties_count_half);
  g_test_add_func ("/metrics/perfect-inverted", test_perfect_and_inverted);
  g_test_add_func ("/metrics/auc-mann-whitney", test_auc_equals_mann_whitney);
  g_test_add_func ("/metrics/degenerate", test_degenerate);
  g_test_add_func ("/metrics/rank1", test_rank1);
  g_test_add_func ("/metrics/json", test_json);
  return g_test_run ();
}
