/* Verification and identification metrics; see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <string.h>

#include "error.h"

typedef struct {
  float score;
  gboolean same;
} Scored;

static int
by_score_descending (const void *a, const void *b)
{
  float x = ((const Scored *) a)->score, y = ((const Scored *) b)->score;
  return (x < y) - (x > y);
}

void
sf_metrics_at_threshold (const float *scores, const float *truths, int n, float threshold, SfMetrics *m)
{
  m->threshold = threshold;
  m->n_pairs = n;
  m->n_same = m->n_different = 0;
  m->true_accepts = m->false_accepts = m->true_rejects = m->false_rejects = 0;
  for (int k = 0; k < n; k++)
    {
      gboolean same = truths[k] > 0.5f;
      gboolean accepted = scores[k] >= threshold;
      m->n_same += same;
      m->true_accepts += same && accepted;
      m->false_rejects += same && !accepted;
      m->false_accepts += !same && accepted;
      m->true_rejects += !same && !accepted;
    }
  m->n_different = n - m->n_same;
  m->accuracy = n > 0 ? (double) (m->true_accepts + m->true_rejects) / n : NAN;
  int accepted = m->true_accepts + m->false_accepts;
  m->precision = accepted > 0 ? (double) m->true_accepts / accepted : NAN;
  m->recall = m->n_same > 0 ? (double) m->true_accepts / m->n_same : NAN;
}

/* Scores sorted from the highest, or NULL when a class is missing. */
static Scored *
sorted_scores (const float *scores, const float *truths, int n, int *n_same)
{
  Scored *sorted = g_new (Scored, n);
  *n_same = 0;
  for (int k = 0; k < n; k++)
    {
      sorted[k] = (Scored) { scores[k], truths[k] > 0.5f };
      *n_same += sorted[k].same;
    }
  if (*n_same == 0 || *n_same == n)
    {
      g_free (sorted);
      return NULL;
    }
  qsort (sorted, n, sizeof (Scored), by_score_descending);
  return sorted;
}

SfRocPoint *
sf_metrics_roc (const float *scores, const float *truths, int n, int *n_points)
{
  int n_same = 0;
  *n_points = 0;
  g_autofree Scored *sorted = n > 0 ? sorted_scores (scores, truths, n, &n_same) : NULL;
  if (sorted == NULL)
    return NULL;
  int n_different = n - n_same;
  SfRocPoint *roc = g_new (SfRocPoint, n + 1);
  int count = 0;
  /* Above every score nothing is accepted. */
  roc[count++] = (SfRocPoint) { .threshold = nextafterf (sorted[0].score, INFINITY), .far = 0, .tar = 0 };
  int accepted_same = 0, accepted_different = 0;
  for (int k = 0; k < n;)
    {
      float score = sorted[k].score;
      /* Tied scores are accepted together: one point per distinct score. */
      for (; k < n && sorted[k].score == score; k++)
        {
          accepted_same += sorted[k].same;
          accepted_different += !sorted[k].same;
        }
      roc[count++] = (SfRocPoint) { .threshold = score, .far = (double) accepted_different / n_different,
                                    .tar = (double) accepted_same / n_same };
    }
  *n_points = count;
  return roc;
}

gboolean
sf_metrics_compute (const float *scores, const float *truths, int n, float threshold, SfMetrics *m,
                    GError **error)
{
  memset (m, 0, sizeof *m);
  if (n <= 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "no pairs to evaluate");
      return FALSE;
    }
  for (int k = 0; k < n; k++)
    if (!isfinite (scores[k]))
      {
        g_set_error (error, SF_ERROR, SF_ERROR_NUMERIC, "score %d is not a finite number", k);
        return FALSE;
      }
  sf_metrics_at_threshold (scores, truths, n, threshold, m);
  m->auc = m->eer = m->best_accuracy = m->tar_at_far_1 = NAN;
  m->eer_threshold = m->best_threshold = NAN;

  int n_points = 0;
  g_autofree SfRocPoint *roc = sf_metrics_roc (scores, truths, n, &n_points);
  if (roc == NULL)
    return TRUE;

  double auc = 0;
  for (int k = 1; k < n_points; k++)
    auc += (roc[k].far - roc[k - 1].far) * (roc[k].tar + roc[k - 1].tar) / 2;
  m->auc = auc;

  /* EER: FAR rises and FRR = 1 - TAR falls along the curve; interpolate
   * linearly between the two points where FAR - FRR changes sign. */
  for (int k = 1; k < n_points; k++)
    {
      double before = roc[k - 1].far - (1 - roc[k - 1].tar);
      double after = roc[k].far - (1 - roc[k].tar);
      if (after >= 0)
        {
          double t = (after - before) > 0 ? -before / (after - before) : 0;
          m->eer = roc[k - 1].far + t * (roc[k].far - roc[k - 1].far);
          float top = MIN (roc[k - 1].threshold, 1.0f);
          m->eer_threshold = (float) (top + t * (roc[k].threshold - top));
          break;
        }
    }

  /* Best accuracy: accepting the scores >= the k-th distinct score; the
   * threshold sits midway between that score and the next one down. */
  for (int k = 0; k < n_points; k++)
    {
      double accuracy = (roc[k].tar * m->n_same + (1 - roc[k].far) * m->n_different) / n;
      if (accuracy > m->best_accuracy || isnan (m->best_accuracy))
        {
          m->best_accuracy = accuracy;
          if (k == 0)
            m->best_threshold = MIN (1.0f, roc[0].threshold);
          else if (k + 1 < n_points)
            m->best_threshold = (roc[k].threshold + roc[k + 1].threshold) / 2;
          else
            m->best_threshold = roc[k].threshold;
        }
      if (roc[k].far <= 0.01 && (isnan (m->tar_at_far_1) || roc[k].tar > m->tar_at_far_1))
        m->tar_at_far_1 = roc[k].tar;
    }
  return TRUE;
}

float
sf_metrics_choose_threshold (const float *scores, const float *truths, int n)
{
  SfMetrics m;
  if (n <= 0 || !sf_metrics_compute (scores, truths, n, 0.5f, &m, NULL) || !isfinite (m.eer))
    return 0.5f;
  float threshold = m.eer > 0 ? m.eer_threshold : m.best_threshold;
  return isfinite (threshold) ? threshold : 0.5f;
}

double
sf_metrics_rank1 (const float *embeddings, int n, int dim, const int *labels, int *n_probes)
{
  int max_label = -1;
  for (int i = 0; i < n; i++)
    max_label = MAX (max_label, labels[i]);
  *n_probes = 0;
  if (max_label < 0)
    return NAN;
  g_autofree int *gallery = g_new (int, max_label + 1);
  for (int p = 0; p <= max_label; p++)
    gallery[p] = -1;
  for (int i = 0; i < n; i++)
    if (labels[i] >= 0 && gallery[labels[i]] < 0)
      gallery[labels[i]] = i;

  int right = 0, probes = 0;
  for (int i = 0; i < n; i++)
    {
      if (labels[i] < 0 || gallery[labels[i]] == i)
        continue;
      const float *probe = embeddings + (gsize) i * dim;
      double best = INFINITY;
      int best_person = -1;
      for (int p = 0; p <= max_label; p++)
        {
          if (gallery[p] < 0)
            continue;
          const float *g = embeddings + (gsize) gallery[p] * dim;
          double d = 0;
          for (int j = 0; j < dim; j++)
            d += (double) (probe[j] - g[j]) * (probe[j] - g[j]);
          if (d < best)
            {
              best = d;
              best_person = p;
            }
        }
      right += best_person == labels[i];
      probes++;
    }
  *n_probes = probes;
  return probes > 0 ? (double) right / probes : NAN;
}

static void
add_number (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

JsonNode *
sf_metrics_to_json (const SfMetrics *m)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_int (b, "pairs", m->n_pairs);
  add_int (b, "same_pairs", m->n_same);
  add_int (b, "different_pairs", m->n_different);
  add_number (b, "threshold", m->threshold);
  add_int (b, "true_accepts", m->true_accepts);
  add_int (b, "false_accepts", m->false_accepts);
  add_int (b, "true_rejects", m->true_rejects);
  add_int (b, "false_rejects", m->false_rejects);
  add_number (b, "accuracy", m->accuracy);
  add_number (b, "precision", m->precision);
  add_number (b, "recall", m->recall);
  add_number (b, "auc", m->auc);
  add_number (b, "eer", m->eer);
  add_number (b, "eer_threshold", m->eer_threshold);
  add_number (b, "best_accuracy", m->best_accuracy);
  add_number (b, "best_threshold", m->best_threshold);
  add_number (b, "tar_at_far_1_percent", m->tar_at_far_1);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
