/* Adam (Keras's form, as the article used), RMSprop and SGD with momentum,
 * updating one flat parameter buffer in place. */
#include "optimizer.h"

#include <math.h>
#include <string.h>

#include "error.h"

struct _SfOptimizer {
  SfOptimizerSettings settings;
  gsize n_params;
  float *first;   /* Adam's m, SGD's velocity */
  float *second;  /* Adam's v, RMSprop's mean square */
  gint64 steps;
};

void
sf_optimizer_settings_init_adam (SfOptimizerSettings *settings)
{
  *settings = (SfOptimizerSettings) {
    .kind = SF_OPTIMIZER_ADAM,
    .learning_rate = 1e-3f,
    .beta1 = 0.9f,
    .beta2 = 0.999f,
    .epsilon = 1e-7f,
    .weight_decay = 0,
    .schedule = SF_SCHEDULE_CONSTANT,
    .step_epochs = 10,
    .step_gamma = 0.5f,
  };
}

static const char *optimizer_names[] = { "adam", "rmsprop", "sgd" };
static const char *schedule_names[] = { "constant", "step", "cosine" };

const char *
sf_optimizer_kind_name (SfOptimizerKind kind)
{
  return (guint) kind < G_N_ELEMENTS (optimizer_names) ? optimizer_names[kind] : "unknown";
}

gboolean
sf_optimizer_kind_parse (const char *name, SfOptimizerKind *kind)
{
  for (guint k = 0; k < G_N_ELEMENTS (optimizer_names); k++)
    if (g_ascii_strcasecmp (name, optimizer_names[k]) == 0)
      {
        *kind = (SfOptimizerKind) k;
        return TRUE;
      }
  return FALSE;
}

const char *
sf_schedule_kind_name (SfScheduleKind kind)
{
  return (guint) kind < G_N_ELEMENTS (schedule_names) ? schedule_names[kind] : "unknown";
}

gboolean
sf_schedule_kind_parse (const char *name, SfScheduleKind *kind)
{
  for (guint k = 0; k < G_N_ELEMENTS (schedule_names); k++)
    if (g_ascii_strcasecmp (name, schedule_names[k]) == 0)
      {
        *kind = (SfScheduleKind) k;
        return TRUE;
      }
  return FALSE;
}

gboolean
sf_optimizer_settings_validate (const SfOptimizerSettings *s, GError **error)
{
  const char *problem = NULL;
  if ((guint) s->kind >= G_N_ELEMENTS (optimizer_names))
    problem = "unknown optimizer";
  else if (!(s->learning_rate > 0 && s->learning_rate <= 10))
    problem = "learning rate must be in (0, 10]";
  else if (!(s->beta1 >= 0 && s->beta1 < 1) || !(s->beta2 >= 0 && s->beta2 < 1))
    problem = "betas and momentum must be in [0, 1)";
  else if (!(s->epsilon > 0 && s->epsilon < 1))
    problem = "epsilon must be in (0, 1)";
  else if (!(s->weight_decay >= 0 && s->weight_decay < 1))
    problem = "weight decay must be in [0, 1)";
  else if ((guint) s->schedule >= G_N_ELEMENTS (schedule_names))
    problem = "unknown learning-rate schedule";
  else if (s->schedule == SF_SCHEDULE_STEP && (s->step_epochs < 1 || !(s->step_gamma > 0 && s->step_gamma <= 1)))
    problem = "step schedule needs step epochs >= 1 and a factor in (0, 1]";
  if (problem != NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "optimizer: %s", problem);
      return FALSE;
    }
  return TRUE;
}

SfOptimizer *
sf_optimizer_new (const SfOptimizerSettings *settings, gsize n_params, GError **error)
{
  if (!sf_optimizer_settings_validate (settings, error))
    return NULL;
  SfOptimizer *optimizer = g_new0 (SfOptimizer, 1);
  optimizer->settings = *settings;
  optimizer->n_params = n_params;
  optimizer->first = g_try_new0 (float, MAX (n_params, 1));
  optimizer->second = g_try_new0 (float, MAX (n_params, 1));
  if (optimizer->first == NULL || optimizer->second == NULL)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_TOO_LARGE, "optimizer: out of memory for %" G_GSIZE_FORMAT " parameters",
                   n_params);
      sf_optimizer_free (optimizer);
      return NULL;
    }
  return optimizer;
}

void
sf_optimizer_free (SfOptimizer *optimizer)
{
  if (optimizer == NULL)
    return;
  g_free (optimizer->first);
  g_free (optimizer->second);
  g_free (optimizer);
}

gint64
sf_optimizer_steps (const SfOptimizer *optimizer)
{
  return optimizer->steps;
}

float
sf_optimizer_rate_at (const SfOptimizerSettings *settings, int epoch, int n_epochs)
{
  float rate = settings->learning_rate;
  switch (settings->schedule)
    {
    case SF_SCHEDULE_STEP:
      return rate * powf (settings->step_gamma, (float) (epoch / MAX (settings->step_epochs, 1)));
    case SF_SCHEDULE_COSINE:
      if (n_epochs <= 1)
        return rate;
      return rate * 0.5f * (1.0f + cosf ((float) G_PI * epoch / (float) n_epochs));
    case SF_SCHEDULE_CONSTANT:
    default:
      return rate;
    }
}

void
sf_optimizer_step (SfOptimizer *optimizer, float *params, const float *grads,
                   const guint8 *trainable, float learning_rate)
{
  const SfOptimizerSettings *s = &optimizer->settings;
  float *m = optimizer->first;
  float *v = optimizer->second;
  const float decay = s->weight_decay;
  optimizer->steps++;

  switch (s->kind)
    {
    case SF_OPTIMIZER_ADAM:
      {
        /* Keras: lr_t = lr·√(1−β2^t)/(1−β1^t); w −= lr_t·m/(√v + ε̂). */
        double t = (double) optimizer->steps;
        float rate = (float) (learning_rate * sqrt (1.0 - pow (s->beta2, t)) / (1.0 - pow (s->beta1, t)));
        for (gsize i = 0; i < optimizer->n_params; i++)
          {
            if (trainable != NULL && !trainable[i])
              continue;
            float g = grads[i] + decay * params[i];
            m[i] = s->beta1 * m[i] + (1 - s->beta1) * g;
            v[i] = s->beta2 * v[i] + (1 - s->beta2) * g * g;
            params[i] -= rate * m[i] / (sqrtf (v[i]) + s->epsilon);
          }
        break;
      }
    case SF_OPTIMIZER_RMSPROP:
      for (gsize i = 0; i < optimizer->n_params; i++)
        {
          if (trainable != NULL && !trainable[i])
            continue;
          float g = grads[i] + decay * params[i];
          v[i] = s->beta2 * v[i] + (1 - s->beta2) * g * g;
          params[i] -= learning_rate * g / (sqrtf (v[i]) + s->epsilon);
        }
      break;
    case SF_OPTIMIZER_SGD:
      for (gsize i = 0; i < optimizer->n_params; i++)
        {
          if (trainable != NULL && !trainable[i])
            continue;
          float g = grads[i] + decay * params[i];
          m[i] = s->beta1 * m[i] + g;
          params[i] -= learning_rate * m[i];
        }
      break;
    }
}
