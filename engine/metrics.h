/* How good a verification model is: from scores in [0, 1] (higher = more
 * alike) and truths (1 same person, 0 different), the confusion at a
 * threshold, the ROC curve and its AUC, the equal error rate, the threshold of
 * best accuracy, TAR at FAR 1 %; and one-shot rank-1 identification. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  float threshold;      /* a pair is accepted as "same" when score >= threshold */
  double far;           /* false accepts / different pairs */
  double tar;           /* true accepts / same pairs */
} SfRocPoint;

typedef struct {
  int n_pairs;
  int n_same;
  int n_different;
  /* At `threshold`: */
  float threshold;
  int true_accepts;
  int false_accepts;
  int true_rejects;
  int false_rejects;
  double accuracy;
  double precision;     /* NAN when nothing is accepted */
  double recall;        /* the TAR; NAN without same pairs */
  /* Over every threshold (NAN where a class is missing): */
  double auc;
  double eer;           /* where FAR = FRR, interpolated between ROC points */
  float eer_threshold;
  double best_accuracy;
  float best_threshold; /* midway between the two scores it separates */
  double tar_at_far_1;  /* the largest TAR with FAR <= 1 % */
} SfMetrics;

/* FALSE with SF_ERROR_INVALID when n <= 0 or a score is not finite. */
gboolean    sf_metrics_compute (const float *scores, const float *truths, int n, float threshold,
                                SfMetrics *metrics, GError **error);
/* The confusion counts at one threshold only (cheap: for a slider). */
void        sf_metrics_at_threshold (const float *scores, const float *truths, int n, float threshold,
                                     SfMetrics *metrics);
/* The threshold a trained model keeps (callers ask sf_evaluation_choose_threshold
 * with SF_THRESHOLD_EER, which applies this rule): the equal-error-rate
 * threshold of the scores (false accepts and false rejects balance there, so
 * it suits people never seen in training better than the threshold of best
 * accuracy, which fits these very pairs); midway between the classes when
 * they separate perfectly; 0.5 when a class is missing or n <= 0. */
float       sf_metrics_choose_threshold (const float *scores, const float *truths, int n);
/* ROC points from (0, 0) (threshold above every score) to (1, 1), one per
 * distinct score, FAR non-decreasing. NULL when a class is missing. */
SfRocPoint *sf_metrics_roc (const float *scores, const float *truths, int n, int *n_points);

/* One-shot identification: the first image of every person (in index order)
 * is the gallery, the others are probes; the share of probes whose nearest
 * gallery embedding (Euclidean) is their own person's. embeddings[n, dim].
 * NAN when there is no probe; *n_probes receives the count. */
double      sf_metrics_rank1 (const float *embeddings, int n, int dim, const int *labels, int *n_probes);

JsonNode   *sf_metrics_to_json (const SfMetrics *metrics);

G_END_DECLS
