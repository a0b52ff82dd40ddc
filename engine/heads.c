/* The heads on the distance of two embeddings (bce, contrastive) and the
 * losses over every pair of a batch; see heads.h. */
#include "heads.h"

#include <math.h>
#include <string.h>

static double
squared_distance (const float *a, const float *b, int D)
{
  double sum = 0;
  for (int j = 0; j < D; j++)
    {
      double d = (double) a[j] - b[j];
      sum += d * d;
    }
  return sum;
}

void
sf_distance_forward (float *dist, const float *ea, const float *eb, int N, int D)
{
  for (int k = 0; k < N; k++)
    dist[k] = (float) sqrt (MAX (squared_distance (ea + (gsize) k * D, eb + (gsize) k * D, D),
                                 (double) SF_DISTANCE_MIN_SQUARE));
}

void
sf_distance_backward (float *dea, float *deb, const float *ddist, const float *ea, const float *eb, int N, int D)
{
  for (int k = 0; k < N; k++)
    {
      const float *a = ea + (gsize) k * D, *b = eb + (gsize) k * D;
      double sq = squared_distance (a, b, D);
      float *da = dea + (gsize) k * D, *db = deb + (gsize) k * D;
      if (sq < SF_DISTANCE_MIN_SQUARE)
        {
          memset (da, 0, sizeof (float) * D);
          memset (db, 0, sizeof (float) * D);
          continue;
        }
      double f = ddist[k] / sqrt (sq);
      for (int j = 0; j < D; j++)
        {
          da[j] = (float) (f * ((double) a[j] - b[j]));
          db[j] = -da[j];
        }
    }
}

/* ------------------------------------------------------------------------ */

static double
sigmoid (double z)
{
  if (z >= 0)
    return 1.0 / (1.0 + exp (-z));
  double e = exp (z);
  return e / (1.0 + e);
}

double
sf_bce_head_forward (float *scores, const float *dist, const float *targets, float w, float b, int N)
{
  double loss = 0;
  for (int k = 0; k < N; k++)
    {
      double z = (double) w * dist[k] + b;
      scores[k] = (float) sigmoid (z);
      if (targets != NULL)
        loss += MAX (z, 0.0) + log1p (exp (-fabs (z))) - targets[k] * z;
    }
  return targets != NULL ? loss : NAN;
}

void
sf_bce_head_backward (float *ddist, float *dw, float *db, const float *dist, const float *targets, float w,
                      float b, int N, float scale)
{
  double sum_w = 0, sum_b = 0;
  for (int k = 0; k < N; k++)
    {
      double z = (double) w * dist[k] + b;
      double dz = scale * (sigmoid (z) - targets[k]);
      ddist[k] = (float) (dz * w);
      sum_w += dz * dist[k];
      sum_b += dz;
    }
  *dw += (float) sum_w;
  *db += (float) sum_b;
}

float
sf_contrastive_score (float d, float margin)
{
  float r = 2.0f * d / margin;
  return 1.0f / (1.0f + r * r);
}

double
sf_contrastive_head_forward (float *scores, const float *dist, const float *targets, float margin, int N)
{
  double loss = 0;
  for (int k = 0; k < N; k++)
    {
      double d = dist[k];
      scores[k] = sf_contrastive_score (dist[k], margin);
      if (targets != NULL)
        {
          double gap = MAX (margin - d, 0.0);
          loss += targets[k] * d * d + (1 - targets[k]) * gap * gap;
        }
    }
  return targets != NULL ? loss : NAN;
}

void
sf_contrastive_head_backward (float *ddist, const float *dist, const float *targets, float margin, int N,
                              float scale)
{
  for (int k = 0; k < N; k++)
    {
      double d = dist[k], gap = MAX (margin - d, 0.0);
      ddist[k] = (float) (scale * (2 * targets[k] * d - 2 * (1 - targets[k]) * gap));
    }
}

double
sf_all_pairs_softmax (float *de, const float *e, const int *labels, int N, int D, float temperature, float scale)
{
  memset (de, 0, sizeof (float) * N * D);
  /* s[i, j] = d²(i, j) / T; g[i, j] = ∂(anchor i's term)/∂d²(i, j). */
  g_autofree double *s = g_new (double, (gsize) N * N);
  g_autofree double *g = g_new0 (double, (gsize) N * N);
  int n_anchors = 0;
  for (int i = 0; i < N; i++)
    {
      gboolean has = FALSE;
      for (int j = 0; j < N; j++)
        {
          s[(gsize) i * N + j] = squared_distance (e + (gsize) i * D, e + (gsize) j * D, D) / temperature;
          has = has || (j != i && labels[j] == labels[i]);
        }
      n_anchors += has;
    }
  if (n_anchors == 0)
    return 0;
  double loss = 0;
  for (int i = 0; i < N; i++)
    {
      const double *si = s + (gsize) i * N;
      double lo = G_MAXDOUBLE;
      gboolean has = FALSE;
      for (int j = 0; j < N; j++)
        if (j != i)
          {
            lo = MIN (lo, si[j]);
            has = has || labels[j] == labels[i];
          }
      if (!has)
        continue;
      /* exp (lo - s) ≤ 1: no overflow, and the nearest term is 1. */
      double all = 0, same = 0;
      for (int j = 0; j < N; j++)
        if (j != i)
          {
            double w = exp (lo - si[j]);
            all += w;
            if (labels[j] == labels[i])
              same += w;
          }
      loss += (log (all) - log (same)) / n_anchors;
      for (int j = 0; j < N; j++)
        if (j != i)
          {
            double w = exp (lo - si[j]);
            double dloss = (labels[j] == labels[i] ? w / same : 0) - w / all;
            g[(gsize) i * N + j] += dloss / temperature / n_anchors;
          }
    }
  /* ∂d²(i, j)/∂e_i = 2 (e_i - e_j) = -∂d²(i, j)/∂e_j. */
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      {
        double gij = g[(gsize) i * N + j];
        if (gij == 0)
          continue;
        float f = (float) (scale * 2 * gij);
        float *di = de + (gsize) i * D, *dj = de + (gsize) j * D;
        const float *ei = e + (gsize) i * D, *ej = e + (gsize) j * D;
        for (int k = 0; k < D; k++)
          {
            float v = f * (ei[k] - ej[k]);
            di[k] += v;
            dj[k] -= v;
          }
      }
  return loss;
}

double
sf_all_pairs_contrastive (float *de, const float *e, const int *labels, int N, int D, float margin, float scale)
{
  gsize n_pairs = (gsize) N * (N - 1) / 2;
  g_autofree float *dist = g_new (float, MAX (n_pairs, 1));
  int n_same = 0, n_active = 0;
  double sum_same = 0, sum_active = 0;
  gsize p = 0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++, p++)
      {
        double sq = squared_distance (e + (gsize) i * D, e + (gsize) j * D, D);
        double d = sqrt (MAX (sq, (double) SF_DISTANCE_MIN_SQUARE));
        dist[p] = (float) d;
        if (labels[i] == labels[j])
          {
            n_same++;
            sum_same += d * d;
          }
        else if (d < margin)
          {
            n_active++;
            sum_active += (margin - d) * (margin - d);
          }
      }
  memset (de, 0, sizeof (float) * N * D);
  double w_same = n_same > 0 ? scale / (double) n_same : 0, w_active = n_active > 0 ? scale / (double) n_active : 0;
  p = 0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++, p++)
      {
        double d = dist[p], ddist;
        if (labels[i] == labels[j])
          ddist = w_same * 2 * d;
        else if (d < margin)
          ddist = -w_active * 2 * (margin - d);
        else
          continue;
        if (d * d < SF_DISTANCE_MIN_SQUARE)
          continue;
        float f = (float) (ddist / d);
        float *di = de + (gsize) i * D, *dj = de + (gsize) j * D;
        const float *ei = e + (gsize) i * D, *ej = e + (gsize) j * D;
        for (int k = 0; k < D; k++)
          {
            float g = f * (ei[k] - ej[k]);
            di[k] += g;
            dj[k] -= g;
          }
      }
  return (n_same > 0 ? sum_same / n_same : 0) + (n_active > 0 ? sum_active / n_active : 0);
}
