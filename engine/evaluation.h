/* Judging a model: the pairs it is judged on, their scores, the threshold it
 * keeps, and the article's test of one probe face against every person.
 * One immutable SfEvaluation is what `eval`, `similarity`, the Similarity,
 * Train and People views all read. */
#pragma once

#include "dataset.h"
#include "metrics.h"
#include "model.h"
#include "pairs.h"
#include "trainer.h"

G_BEGIN_DECLS

/* Scores of pairs in evaluation mode: each face embedded once, averaged with
 * its mirror's embedding (sf_model_embed_mirrored, as the gallery embeds), so
 * a pair scores the same whichever way a face is turned. scores[n_pairs]. */
gboolean      sf_evaluation_score_pairs (SfModel *model, const SfDataset *dataset, const SfPair *pairs,
                                         int n_pairs, float *scores, GError **error);

/* How many images to give sf_model_embed_mirrored at once: as many as fit
 * in 256 MiB of the model's batch buffers (at most 256), so a model whose
 * input size was raised by hand embeds a few at a time. The gallery embeds
 * in the same groups. */
int           sf_evaluation_group_size  (SfModel *model);

/* The pairs a model is judged on: on the dataset it was trained on
 * (trained_fingerprint equals the dataset's), the very validation pairs of its
 * training; on any other dataset, every pair the article's recipe makes (pairs
 * split, share 0.1). Returns the generated set (its held_out marks the
 * held-out images) and sets *pairs (g_free), *n_pairs and *same_data.
 * dataset_fingerprint is the dataset's sf_dataset_fingerprint when the caller
 * keeps it (NULL: computed here, a hash of every pixel). */
SfPairSet    *sf_evaluation_pairs       (const SfDataset *dataset, const char *dataset_fingerprint,
                                         const SfTrainSettings *settings, const char *trained_fingerprint,
                                         gboolean *same_data, SfPair **pairs, int *n_pairs, GError **error);

typedef enum {
  SF_THRESHOLD_EER,            /* false accepts and false rejects balance: what a trained model keeps */
  SF_THRESHOLD_BEST_ACCURACY,  /* the most right verdicts on these very pairs */
} SfThresholdRule;

/* What one model scored on one set of pairs. Immutable once made: read it
 * from any thread. */
typedef struct {
  SfPairSet *pair_set;         /* the generated set the pairs come from (held_out marks images) */
  SfPair *pairs;               /* [n_pairs] indices into the dataset judged */
  float *scores;               /* [n_pairs] */
  float *truths;               /* [n_pairs] 1 same person, 0 different */
  int n_pairs;
  gboolean same_data;          /* the model's own validation pairs, not the article's recipe on other data */
  SfSplitKind split;           /* the split the pairs were drawn with */
  SfMetrics metrics;           /* at `metrics.threshold`, and over every threshold */
  SfRocPoint *roc;             /* [n_roc]; NULL when a class is missing */
  int n_roc;
  double rank1;                /* one-shot rank-1 over the whole dataset; NAN unless asked for or no probe */
  int rank1_probes;
} SfEvaluation;

typedef enum {
  SF_EVALUATION_DEFAULT = 0,
  SF_EVALUATION_RANK1 = 1 << 0,   /* also embed every image for rank-1 identification (eval) */
} SfEvaluationFlags;

/* Judges `model` on `dataset` (the pairs of sf_evaluation_pairs) with the
 * counts at `threshold`. NULL with the reason when nothing can be scored. */
SfEvaluation *sf_evaluation_new          (SfModel *model, const SfDataset *dataset, const SfTrainSettings *settings,
                                          const char *trained_fingerprint, float threshold,
                                          SfEvaluationFlags flags, GError **error);
/* A trainer's own validation pairs (call it when the trainer is not running),
 * judged at the threshold the model should keep:
 * sf_evaluation_choose_threshold (…, SF_THRESHOLD_EER). With no validation
 * pairs: an evaluation of no pairs, threshold 0.5, NAN metrics. */
SfEvaluation *sf_evaluation_new_for_trainer (SfTrainer *trainer, GError **error);
/* Scores already made (a copy of the trainer's model, a test's crafted set):
 * no pairs (pairs and pair_set NULL), no rank-1. NULL when n <= 0 or a score
 * is not finite. */
SfEvaluation *sf_evaluation_new_from_scores (const float *scores, const float *truths, int n, float threshold,
                                             GError **error);
void          sf_evaluation_free         (SfEvaluation *evaluation);

/* The confusion counts at another threshold (cheap: for a slider). */
void          sf_evaluation_at_threshold (const SfEvaluation *evaluation, float threshold, SfMetrics *counts);
/* The threshold a rule picks on these pairs; 0.5 when there are no pairs or a
 * class is missing. The EER rule is the one a trained model keeps. */
float         sf_evaluation_choose_threshold (const SfEvaluation *evaluation, SfThresholdRule rule);

/* ---- the article's test: one probe face against one face of every person ---- */

typedef struct {
  int image;                   /* dataset index of the partner */
  int person;                  /* its person */
  float score;
} SfProbeMatch;

typedef struct {
  int probe_image;             /* dataset index of the probe, -1 for an outside image */
  int probe_person;            /* -1 for an outside image */
  SfProbeMatch *matches;       /* [n_matches] in person order; people with no image are skipped */
  int n_matches;
} SfProbeTest;

/* The probe is dataset image `probe_image`, or, when it is -1, `probe_pixels`
 * (an image of the dataset's size). Its partners: for a dataset face the
 * article's sf_pairs_test (for its own person another image than itself);
 * for an outside face one random image of every person that has one. The
 * seed picks the partners; the same arguments give the same test, in the CLI
 * and the GUI alike. */
SfProbeTest  *sf_probe_test_new          (SfModel *model, const SfDataset *dataset, int probe_image,
                                          const float *probe_pixels, guint64 seed, GError **error);
void          sf_probe_test_free         (SfProbeTest *test);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfEvaluation, sf_evaluation_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfProbeTest, sf_probe_test_free)

G_END_DECLS
