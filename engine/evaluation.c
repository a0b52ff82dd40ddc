/* Judging a model: scoring pairs in evaluation mode, the pairs a model is
 * judged on, the threshold it keeps, and the article's probe test; see
 * evaluation.h. */
#include "evaluation.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "rng.h"

/* What the images embedded together may take in the model's batch buffers:
 * the number of images follows from the model's size, so a model whose
 * input size was raised by hand evaluates in small groups instead of asking
 * for gigabytes. */
#define GROUP_BUDGET_BYTES ((gsize) 256 << 20)
#define MAX_GROUP 256

/* Bytes of batch buffers one image takes in a forward pass, as the model
 * allocates them per image (model-plan.c): its input, every layer's output
 * with a byte each for pooling's and dropout's masks, and the two gradient
 * buffers of the largest layer. Fused layers share buffers, so this is an
 * upper bound. */
static gsize
bytes_per_image (SfModel *model)
{
  const SfTower *tower = sf_model_get_tower (model);
  gsize floats = (gsize) tower->input_size * tower->input_size, largest = floats, masks = 0;
  for (int k = 0; k < tower->n_ops; k++)
    {
      const SfShape *out = &tower->ops[k].out;
      gsize size = (gsize) out->c * out->h * out->w;
      floats += size;
      masks += size;
      largest = MAX (largest, size);
    }
  return sizeof (float) * (floats + 2 * largest) + masks;
}

int
sf_evaluation_group_size (SfModel *model)
{
  /* Each image goes through with its mirror image (sf_model_embed_mirrored). */
  gsize per_image = 2 * bytes_per_image (model);
  return (int) CLAMP (GROUP_BUDGET_BYTES / per_image, 1, MAX_GROUP);
}

/* Mirrored embeddings [n, D] of the dataset's images[n] (NULL: all of them,
 * n = n_images), in groups of sf_evaluation_group_size. */
static gboolean
embed_images (SfModel *model, const SfDataset *dataset, const int *images, int n, float *embeddings, GError **error)
{
  int group = sf_evaluation_group_size (model);
  gsize D = (gsize) sf_model_get_embedding_size (model);
  gsize image_size = (gsize) dataset->height * dataset->width;
  g_autofree float *pixels = images != NULL ? g_new (float, (gsize) MIN (MAX (n, 1), group) * image_size) : NULL;
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      const float *batch = sf_dataset_image (dataset, start);
      if (images != NULL)
        {
          for (int k = 0; k < m; k++)
            memcpy (pixels + k * image_size, sf_dataset_image (dataset, images[start + k]), image_size * sizeof (float));
          batch = pixels;
        }
      if (!sf_model_embed_mirrored (model, batch, m, embeddings + (gsize) start * D, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
sf_evaluation_score_pairs (SfModel *model, const SfDataset *dataset, const SfPair *pairs, int n_pairs,
                           float *scores, GError **error)
{
  /* Each face once, however many pairs it is in: slot[image] is its row of
   * the embeddings, -1 if no pair has it. */
  int D = sf_model_get_embedding_size (model);
  g_autofree int *slot = g_new (int, MAX (dataset->n_images, 1));
  g_autofree int *faces = g_new (int, MAX (dataset->n_images, 1));
  int n_faces = 0;
  for (int i = 0; i < dataset->n_images; i++)
    slot[i] = -1;
  for (int k = 0; k < n_pairs; k++)
    for (int side = 0; side < 2; side++)
      {
        int image = side == 0 ? pairs[k].a : pairs[k].b;
        if (slot[image] < 0)
          {
            slot[image] = n_faces;
            faces[n_faces++] = image;
          }
      }
  g_autofree float *embeddings = g_new (float, (gsize) MAX (n_faces, 1) * D);
  if (!embed_images (model, dataset, faces, n_faces, embeddings, error))
    return FALSE;
  for (int k = 0; k < n_pairs; k++)
    scores[k] = sf_model_score_distance (model, sf_model_distance (model, embeddings + (gsize) slot[pairs[k].a] * D,
                                                                   embeddings + (gsize) slot[pairs[k].b] * D));
  return TRUE;
}

SfPairSet *
sf_evaluation_pairs (const SfDataset *dataset, const char *dataset_fingerprint, const SfTrainSettings *settings,
                     const char *trained_fingerprint, gboolean *same_data, SfPair **pairs, int *n_pairs,
                     GError **error)
{
  g_return_val_if_fail (dataset != NULL && settings != NULL && same_data != NULL, NULL);
  g_return_val_if_fail (pairs != NULL && n_pairs != NULL, NULL);

  g_autofree char *computed = dataset_fingerprint == NULL ? sf_dataset_fingerprint (dataset) : NULL;
  const char *fingerprint = dataset_fingerprint != NULL ? dataset_fingerprint : computed;
  gboolean same = trained_fingerprint != NULL && g_strcmp0 (trained_fingerprint, fingerprint) == 0;
  SfPairSet *set = sf_pairs_generate (dataset, same ? settings->split : SF_SPLIT_PAIRS,
                                      same ? settings->split_share : 0.1, settings->seed, error);
  if (set == NULL)
    return NULL;

  int n = same ? set->n_validation : set->n_train + set->n_validation;
  SfPair *chosen = g_new (SfPair, MAX (n, 1));
  if (same)
    memcpy (chosen, set->validation, sizeof (SfPair) * (gsize) n);
  else
    {
      memcpy (chosen, set->train, sizeof (SfPair) * (gsize) set->n_train);
      memcpy (chosen + set->n_train, set->validation, sizeof (SfPair) * (gsize) set->n_validation);
    }
  *same_data = same;
  *pairs = chosen;
  *n_pairs = n;
  return set;
}

/* ---- SfEvaluation ---- */

static void
metrics_unknown (SfMetrics *m, int n, float threshold)
{
  memset (m, 0, sizeof *m);
  m->n_pairs = n;
  m->threshold = threshold;
  m->accuracy = m->precision = m->recall = NAN;
  m->auc = m->eer = m->best_accuracy = m->tar_at_far_1 = NAN;
  m->eer_threshold = m->best_threshold = NAN;
}

/* Scores and truths given: the metrics at `threshold` and the ROC curve. */
static gboolean
evaluation_measure (SfEvaluation *evaluation, float threshold, GError **error)
{
  if (!sf_metrics_compute (evaluation->scores, evaluation->truths, evaluation->n_pairs, threshold,
                           &evaluation->metrics, error))
    return FALSE;
  evaluation->roc = sf_metrics_roc (evaluation->scores, evaluation->truths, evaluation->n_pairs, &evaluation->n_roc);
  return TRUE;
}

static SfEvaluation *
evaluation_alloc (int n_pairs)
{
  SfEvaluation *evaluation = g_new0 (SfEvaluation, 1);
  evaluation->n_pairs = n_pairs;
  evaluation->pairs = g_new (SfPair, MAX (n_pairs, 1));
  evaluation->scores = g_new (float, MAX (n_pairs, 1));
  evaluation->truths = g_new (float, MAX (n_pairs, 1));
  evaluation->rank1 = NAN;
  return evaluation;
}

SfEvaluation *
sf_evaluation_new_from_scores (const float *scores, const float *truths, int n, float threshold, GError **error)
{
  g_return_val_if_fail (n == 0 || (scores != NULL && truths != NULL), NULL);

  g_autoptr (SfEvaluation) evaluation = evaluation_alloc (n);
  g_clear_pointer (&evaluation->pairs, g_free);
  if (n > 0)
    {
      memcpy (evaluation->scores, scores, sizeof (float) * (gsize) n);
      memcpy (evaluation->truths, truths, sizeof (float) * (gsize) n);
    }
  if (!evaluation_measure (evaluation, threshold, error))
    return NULL;
  return g_steal_pointer (&evaluation);
}

/* One-shot identification as `eval` reports it: on the same data, only the
 * held-out images (all of them for the pairs split, where every image is on
 * both sides); on other data, every image. */
static gboolean
evaluation_rank1 (SfEvaluation *evaluation, SfModel *model, const SfDataset *dataset, GError **error)
{
  gsize D = (gsize) sf_model_get_embedding_size (model);
  g_autofree float *embeddings = g_new (float, (gsize) MAX (dataset->n_images, 1) * D);
  if (!embed_images (model, dataset, NULL, dataset->n_images, embeddings, error))
    return FALSE;
  g_autofree int *labels = g_new (int, MAX (dataset->n_images, 1));
  for (int i = 0; i < dataset->n_images; i++)
    labels[i] = !evaluation->same_data || evaluation->split == SF_SPLIT_PAIRS || evaluation->pair_set->held_out[i]
                  ? dataset->labels[i]
                  : -1;
  evaluation->rank1 = sf_metrics_rank1 (embeddings, dataset->n_images, (int) D, labels, &evaluation->rank1_probes);
  return TRUE;
}

SfEvaluation *
sf_evaluation_new (SfModel *model, const SfDataset *dataset, const SfTrainSettings *settings,
                   const char *trained_fingerprint, float threshold, SfEvaluationFlags flags, GError **error)
{
  g_return_val_if_fail (model != NULL && dataset != NULL && settings != NULL, NULL);

  gboolean same_data = FALSE;
  g_autofree SfPair *pairs = NULL;
  int n = 0;
  g_autoptr (SfPairSet) set = sf_evaluation_pairs (dataset, NULL, settings, trained_fingerprint, &same_data, &pairs,
                                                   &n, error);
  if (set == NULL)
    return NULL;

  g_autoptr (SfEvaluation) evaluation = g_new0 (SfEvaluation, 1);
  evaluation->pair_set = g_steal_pointer (&set);
  evaluation->pairs = g_steal_pointer (&pairs);
  evaluation->n_pairs = n;
  evaluation->scores = g_new (float, MAX (n, 1));
  evaluation->truths = g_new (float, MAX (n, 1));
  evaluation->same_data = same_data;
  evaluation->split = same_data ? settings->split : SF_SPLIT_PAIRS;
  evaluation->rank1 = NAN;
  for (int k = 0; k < n; k++)
    evaluation->truths[k] = evaluation->pairs[k].same;
  if (!sf_evaluation_score_pairs (model, dataset, evaluation->pairs, n, evaluation->scores, error)
      || !evaluation_measure (evaluation, threshold, error))
    return NULL;
  if ((flags & SF_EVALUATION_RANK1) && !evaluation_rank1 (evaluation, model, dataset, error))
    return NULL;
  return g_steal_pointer (&evaluation);
}

static SfPairSet *
pair_set_copy (const SfPairSet *set)
{
  SfPairSet *copy = g_new (SfPairSet, 1);
  *copy = *set;
  copy->train = g_memdup2 (set->train, sizeof (SfPair) * (gsize) set->n_train);
  copy->validation = g_memdup2 (set->validation, sizeof (SfPair) * (gsize) set->n_validation);
  copy->held_out = g_memdup2 (set->held_out, sizeof (gboolean) * (gsize) set->n_images);
  copy->lonely_people = g_memdup2 (set->lonely_people, sizeof (int) * (gsize) set->n_lonely_people);
  return copy;
}

SfEvaluation *
sf_evaluation_new_for_trainer (SfTrainer *trainer, GError **error)
{
  g_return_val_if_fail (trainer != NULL, NULL);

  const SfPairSet *set = sf_trainer_get_pairs (trainer);
  const SfTrainSettings *settings = sf_trainer_get_settings (trainer);
  int n = set->n_validation;
  g_autoptr (SfEvaluation) evaluation = evaluation_alloc (n);
  evaluation->pair_set = pair_set_copy (set);
  evaluation->same_data = TRUE;
  evaluation->split = settings->split;
  if (n > 0)
    memcpy (evaluation->pairs, set->validation, sizeof (SfPair) * (gsize) n);
  for (int k = 0; k < n; k++)
    evaluation->truths[k] = evaluation->pairs[k].same;
  if (n == 0)
    {
      metrics_unknown (&evaluation->metrics, 0, 0.5f);
      return g_steal_pointer (&evaluation);
    }
  if (!sf_evaluation_score_pairs (sf_trainer_get_model (trainer), sf_trainer_get_dataset (trainer), evaluation->pairs,
                                  n, evaluation->scores, error))
    return NULL;

  float threshold = sf_metrics_choose_threshold (evaluation->scores, evaluation->truths, n);
  /* A model that scores a pair as NaN still gets saved (with the 0.5 the
   * rule then picks), as it always was: only the metrics stay unknown. */
  if (!evaluation_measure (evaluation, threshold, NULL))
    {
      metrics_unknown (&evaluation->metrics, n, threshold);
      sf_metrics_at_threshold (evaluation->scores, evaluation->truths, n, threshold, &evaluation->metrics);
    }
  return g_steal_pointer (&evaluation);
}

void
sf_evaluation_free (SfEvaluation *evaluation)
{
  if (evaluation == NULL)
    return;
  g_clear_pointer (&evaluation->pair_set, sf_pair_set_free);
  g_free (evaluation->pairs);
  g_free (evaluation->scores);
  g_free (evaluation->truths);
  g_free (evaluation->roc);
  g_free (evaluation);
}

void
sf_evaluation_at_threshold (const SfEvaluation *evaluation, float threshold, SfMetrics *counts)
{
  g_return_if_fail (evaluation != NULL && counts != NULL);

  *counts = evaluation->metrics;
  sf_metrics_at_threshold (evaluation->scores, evaluation->truths, evaluation->n_pairs, threshold, counts);
}

float
sf_evaluation_choose_threshold (const SfEvaluation *evaluation, SfThresholdRule rule)
{
  g_return_val_if_fail (evaluation != NULL, 0.5f);

  if (evaluation->n_pairs <= 0)
    return 0.5f;
  switch (rule)
    {
    case SF_THRESHOLD_EER:
      return sf_metrics_choose_threshold (evaluation->scores, evaluation->truths, evaluation->n_pairs);
    case SF_THRESHOLD_BEST_ACCURACY:
      return isfinite (evaluation->metrics.best_threshold) ? evaluation->metrics.best_threshold : 0.5f;
    default:
      g_return_val_if_reached (0.5f);
    }
}

/* ---- the article's probe test ---- */

/* For an outside face: one random image of every person that has one. */
static int
outside_partners (const SfDataset *dataset, guint64 seed, int *partners)
{
  SfRng rng;
  sf_rng_seed (&rng, seed);
  g_autofree int *counts = sf_dataset_person_counts (dataset);
  int n = 0;
  for (int p = 0; p < dataset->n_people; p++)
    {
      if (counts[p] == 0)
        continue;
      int pick = (int) sf_rng_below (&rng, (guint32) counts[p]);
      for (int i = 0; i < dataset->n_images; i++)
        if (dataset->labels[i] == p && pick-- == 0)
          {
            partners[n++] = i;
            break;
          }
    }
  return n;
}

SfProbeTest *
sf_probe_test_new (SfModel *model, const SfDataset *dataset, int probe_image, const float *probe_pixels,
                   guint64 seed, GError **error)
{
  g_return_val_if_fail (model != NULL && dataset != NULL, NULL);
  g_return_val_if_fail (probe_image >= -1 && probe_image < dataset->n_images, NULL);
  g_return_val_if_fail (probe_image >= 0 || probe_pixels != NULL, NULL);

  g_autoptr (SfProbeTest) test = g_new0 (SfProbeTest, 1);
  test->probe_image = probe_image;
  test->probe_person = probe_image >= 0 ? dataset->labels[probe_image] : -1;

  if (probe_image >= 0)
    {
      int n = 0;
      g_autofree SfPair *pairs = sf_pairs_test (dataset, probe_image, seed, &n);
      g_autofree float *scores = g_new (float, MAX (n, 1));
      if (!sf_evaluation_score_pairs (model, dataset, pairs, n, scores, error))
        return NULL;
      test->matches = g_new (SfProbeMatch, MAX (n, 1));
      test->n_matches = n;
      for (int k = 0; k < n; k++)
        test->matches[k] = (SfProbeMatch) { .image = pairs[k].b, .person = dataset->labels[pairs[k].b],
                                            .score = scores[k] };
      return g_steal_pointer (&test);
    }

  g_autofree int *partners = g_new (int, MAX (dataset->n_people, 1));
  int n = outside_partners (dataset, seed, partners);
  test->matches = g_new (SfProbeMatch, MAX (n, 1));
  test->n_matches = n;
  if (n == 0)
    return g_steal_pointer (&test);

  /* A small dataset scored like any other: image 0 the probe, images 1 … n
   * its partners. Scoring reads no labels: one person holds them all (more
   * people than images would be refused when some have no image). */
  g_autoptr (SfDataset) set = sf_dataset_new (dataset->format, n + 1, dataset->height, dataset->width, 1, error);
  if (set == NULL)
    return NULL;
  gsize side = (gsize) dataset->height * dataset->width;
  g_autofree SfPair *pairs = g_new (SfPair, n);
  g_autofree float *scores = g_new (float, n);
  memcpy (set->pixels, probe_pixels, sizeof (float) * side);
  for (int k = 0; k < n; k++)
    {
      memcpy (set->pixels + (k + 1) * side, sf_dataset_image (dataset, partners[k]), sizeof (float) * side);
      pairs[k] = (SfPair) { 0, k + 1, 0.0f };
    }
  if (!sf_evaluation_score_pairs (model, set, pairs, n, scores, error))
    return NULL;
  for (int k = 0; k < n; k++)
    test->matches[k] = (SfProbeMatch) { .image = partners[k], .person = dataset->labels[partners[k]],
                                        .score = scores[k] };
  return g_steal_pointer (&test);
}

void
sf_probe_test_free (SfProbeTest *test)
{
  if (test == NULL)
    return;
  g_free (test->matches);
  g_free (test);
}
