/* The join of a residual block; see residual.h. */
#include "residual.h"

#include <math.h>

#include "batchnorm.h"
#include "layers-private.h"

/* scale and shift of a norm's affine map for channel c, taking the batch's
 * statistics in training. */
static void
norm_affine (const SfJoinNorm *norm, int N, int C, int S, int c, gboolean training, float *scale, float *shift)
{
  float mu, is;
  if (training)
    {
      double sq;
      sf_batchnorm_moments (norm->x, N, C, S, c, &mu, &sq);
      is = sf_batchnorm_take_statistics (mu, sq, (double) N * S, &norm->mean[c], &norm->invstd[c],
                                         &norm->running_mean[c], &norm->running_var[c]);
    }
  else
    {
      mu = norm->running_mean[c];
      is = 1.0f / sqrtf (norm->running_var[c] + SF_BN_EPS);
    }
  *scale = norm->gamma[c] * is;
  *shift = norm->beta[c] - mu * *scale;
}

SF_HOT void
sf_residual_join_forward (float *out, const SfJoinNorm *main, const SfJoinNorm *projection, const float *identity,
                          int N, int C, int S, gboolean training, int c0, int c1)
{
  for (int c = c0; c < c1; c++)
    {
      float a, b, p = 0, q = 0;
      norm_affine (main, N, C, S, c, training, &a, &b);
      if (projection != NULL)
        norm_affine (projection, N, C, S, c, training, &p, &q);
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * S;
          const float *restrict x = main->x + o;
          float *restrict y = out + o;
          if (projection != NULL)
            {
              const float *restrict z = projection->x + o;
              for (int s = 0; s < S; s++)
                {
                  float v = x[s] * a + b + (z[s] * p + q);
                  y[s] = v > 0 ? v : 0.0f;
                }
            }
          else
            {
              const float *restrict z = identity + o;
              for (int s = 0; s < S; s++)
                {
                  float v = x[s] * a + b + z[s];
                  y[s] = v > 0 ? v : 0.0f;
                }
            }
        }
    }
}

/* dout where out > 0, else 0; both read unconditionally, so loops vectorise. */
SF_INLINE float
relu_gradient (float dout, float out)
{
  return dout * (out > 0 ? 1.0f : 0.0f);
}

/* Σ g, Σ g·(x - mu) over one plane, g = dout where out > 0. */
SF_INLINE void
join_sums (const float *restrict dout, const float *restrict out, const float *restrict x, int S, float mu,
           double *sum_g, double *sum_gx)
{
  float acc_g[16] = { 0 }, acc_gx[16] = { 0 };
  int s = 0;
  for (; s + 16 <= S; s += 16)
    for (int j = 0; j < 16; j++)
      {
        float g = relu_gradient (dout[s + j], out[s + j]);
        acc_g[j] += g;
        acc_gx[j] += g * (x[s + j] - mu);
      }
  for (; s < S; s++)
    {
      float g = relu_gradient (dout[s], out[s]);
      *sum_g += g;
      *sum_gx += (double) g * (x[s] - mu);
    }
  for (int j = 0; j < 16; j++)
    {
      *sum_g += acc_g[j];
      *sum_gx += acc_gx[j];
    }
}

/* dx = k·(m·g - Σg - x̂·Σgx̂) over one plane, g = dout where out > 0; and
 * with the identity shortcut (dg not NULL) dg = g. */
SF_INLINE void
join_input_row (float *restrict dx, float *restrict dg, const float *restrict dout, const float *restrict out,
                const float *restrict x, int S, float mu, float is, float k, float m, float sum_g, float sum_gx)
{
  float a = -k * (sum_g - mu * is * sum_gx), b = -k * is * sum_gx, km = k * m;
  if (dg != NULL)
    for (int s = 0; s < S; s++)
      {
        float g = relu_gradient (dout[s], out[s]);
        dx[s] = km * g + a + b * x[s];
        dg[s] = g;
      }
  else
    for (int s = 0; s < S; s++)
      dx[s] = km * relu_gradient (dout[s], out[s]) + a + b * x[s];
}

SF_HOT void
sf_residual_join_backward (float *dmain, float *dshortcut, float *dgamma, float *dbeta, float *dgamma_projection,
                           float *dbeta_projection, const float *dout, const float *out, const SfJoinNorm *main,
                           const SfJoinNorm *projection, int N, int C, int S, int c0, int c1)
{
  double count = (double) N * S;
  for (int c = c0; c < c1; c++)
    {
      float mu = main->mean[c], is = main->invstd[c];
      float mu_p = projection != NULL ? projection->mean[c] : 0, is_p = projection != NULL ? projection->invstd[c] : 0;
      double sum_g = 0, sum_gx = 0, sum_g_p = 0, sum_gx_p = 0;
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * S;
          join_sums (dout + o, out + o, main->x + o, S, mu, &sum_g, &sum_gx);
          if (projection != NULL)
            join_sums (dout + o, out + o, projection->x + o, S, mu_p, &sum_g_p, &sum_gx_p);
        }
      sum_gx *= is;
      sum_gx_p *= is_p;
      dbeta[c] += (float) sum_g;
      dgamma[c] += (float) sum_gx;
      float k = main->gamma[c] * is / (float) count;
      float k_p = projection != NULL ? projection->gamma[c] * is_p / (float) count : 0;
      if (projection != NULL)
        {
          dbeta_projection[c] += (float) sum_g_p;
          dgamma_projection[c] += (float) sum_gx_p;
        }
      for (int n = 0; n < N; n++)
        {
          gsize o = ((gsize) n * C + c) * S;
          float *didentity = projection == NULL && dshortcut != NULL ? dshortcut + o : NULL;
          join_input_row (dmain + o, didentity, dout + o, out + o, main->x + o, S, mu, is, k, (float) count,
                          (float) sum_g, (float) sum_gx);
          if (projection != NULL && dshortcut != NULL)
            join_input_row (dshortcut + o, NULL, dout + o, out + o, projection->x + o, S, mu_p, is_p, k_p,
                            (float) count, (float) sum_g_p, (float) sum_gx_p);
        }
    }
}
