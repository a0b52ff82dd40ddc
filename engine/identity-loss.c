/* ArcFace and CosFace over the training people: the margin softmax of an
 * embedding against every person's direction; see identity-loss.h. */
#include "identity-loss.h"

#include <math.h>
#include <string.h>

static const char *loss_names[] = { "pairs", "arcface", "cosface" };

const char *
sf_identity_loss_name (SfIdentityLoss loss)
{
  return (guint) loss < G_N_ELEMENTS (loss_names) ? loss_names[loss] : "unknown";
}

gboolean
sf_identity_loss_parse (const char *name, SfIdentityLoss *loss)
{
  for (guint k = 0; name != NULL && k < G_N_ELEMENTS (loss_names); k++)
    if (g_ascii_strcasecmp (name, loss_names[k]) == 0)
      {
        *loss = (SfIdentityLoss) k;
        return TRUE;
      }
  return FALSE;
}

float
sf_identity_loss_default_scale (SfIdentityLoss loss)
{
  return loss == SF_IDENTITY_LOSS_NONE ? 0.0f : 30.0f;
}

float
sf_identity_loss_default_margin (SfIdentityLoss loss)
{
  switch (loss)
    {
    case SF_IDENTITY_LOSS_ARCFACE:
      return 0.5f;
    case SF_IDENTITY_LOSS_COSFACE:
      return 0.35f;
    case SF_IDENTITY_LOSS_NONE:
    default:
      return 0.0f;
    }
}

/* ψ(c) of the true class and dψ/dc. */
static double
target_logit (SfIdentityLoss loss, double c, double m, double *slope)
{
  if (loss == SF_IDENTITY_LOSS_COSFACE)
    {
      *slope = 1;
      return c - m;
    }
  /* cos(θ + m) = c·cos m - sin θ·sin m, while θ + m ≤ π, i.e. c ≥ cos(π - m). */
  if (c > cos (G_PI - m))
    {
      /* sin θ is clamped away from 0 so the slope stays finite where c ≈ 1
       * (there the softmax is saturated and the slope barely counts). */
      double sine = sqrt (MAX (1 - c * c, 1e-6));
      *slope = cos (m) + sin (m) * c / sine;
      return c * cos (m) - sine * sin (m);
    }
  *slope = 1;
  return c - m * sin (m);
}

double
sf_identity_loss_forward_backward (float *de, float *dW, const float *e, const int *classes, const float *W, int N,
                                   int D, int C, SfIdentityLoss loss, float s, float m, float scale)
{
  g_return_val_if_fail (loss != SF_IDENTITY_LOSS_NONE && N > 0 && C > 0, NAN);
  /* ŵ [C, D] and |w| [C]. */
  g_autofree double *what = g_new (double, (gsize) C * D);
  g_autofree double *norm = g_new (double, C);
  for (int j = 0; j < C; j++)
    {
      const float *w = W + (gsize) j * D;
      double sq = 0;
      for (int k = 0; k < D; k++)
        sq += (double) w[k] * w[k];
      norm[j] = sqrt (MAX (sq, 1e-24));
      for (int k = 0; k < D; k++)
        what[(gsize) j * D + k] = w[k] / norm[j];
    }
  g_autofree double *dwhat = g_new0 (double, (gsize) C * D);
  g_autofree double *z = g_new (double, C);
  g_autofree double *g = g_new (double, C);
  double total = 0;
  for (int i = 0; i < N; i++)
    {
      const float *ei = e + (gsize) i * D;
      int y = classes[i];
      g_return_val_if_fail (y >= 0 && y < C, NAN);
      double slope = 1;
      for (int j = 0; j < C; j++)
        {
          double c = 0;
          for (int k = 0; k < D; k++)
            c += what[(gsize) j * D + k] * ei[k];
          z[j] = s * (j == y ? target_logit (loss, CLAMP (c, -1.0, 1.0), m, &slope) : c);
        }
      double top = z[0];
      for (int j = 1; j < C; j++)
        top = MAX (top, z[j]);
      double sum = 0;
      for (int j = 0; j < C; j++)
        sum += exp (z[j] - top);
      total += top + log (sum) - z[y];
      /* g_j = ∂(mean loss)/∂c_ij, already times scale. */
      for (int j = 0; j < C; j++)
        g[j] = scale * s * (exp (z[j] - top) / sum - (j == y)) * (j == y ? slope : 1) / N;
      float *dei = de + (gsize) i * D;
      for (int k = 0; k < D; k++)
        {
          double v = 0;
          for (int j = 0; j < C; j++)
            v += g[j] * what[(gsize) j * D + k];
          dei[k] = (float) v;
        }
      for (int j = 0; j < C; j++)
        for (int k = 0; k < D; k++)
          dwhat[(gsize) j * D + k] += g[j] * ei[k];
    }
  /* Through the normalisation: ∂/∂w = (I - ŵŵᵀ) ∂/∂ŵ / |w|. */
  for (int j = 0; j < C; j++)
    {
      const double *u = what + (gsize) j * D;
      double *du = dwhat + (gsize) j * D;
      double along = 0;
      for (int k = 0; k < D; k++)
        along += u[k] * du[k];
      for (int k = 0; k < D; k++)
        dW[(gsize) j * D + k] += (float) ((du[k] - along * u[k]) / norm[j]);
    }
  return total / N;
}
