/* Optimizers over one contiguous parameter buffer, and the learning-rate schedule. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SF_OPTIMIZER_ADAM,
  SF_OPTIMIZER_RMSPROP,
  SF_OPTIMIZER_SGD,
} SfOptimizerKind;

typedef enum {
  SF_SCHEDULE_CONSTANT,
  SF_SCHEDULE_STEP,    /* multiply by step_gamma every step_epochs epochs */
  SF_SCHEDULE_COSINE,  /* cosine from the base rate to 0 over all epochs */
} SfScheduleKind;

typedef struct {
  SfOptimizerKind kind;
  float learning_rate;
  float beta1;         /* Adam; also the momentum of SGD */
  float beta2;         /* Adam; also RMSprop's rho */
  float epsilon;
  float weight_decay;  /* L2: weight_decay * w is added to every trainable gradient */
  SfScheduleKind schedule;
  int step_epochs;
  float step_gamma;
} SfOptimizerSettings;

typedef struct _SfOptimizer SfOptimizer;

/* The article's Adam: lr 1e-3, β 0.9/0.999, ε 1e-7 (Keras defaults). */
void          sf_optimizer_settings_init_adam (SfOptimizerSettings *settings);
const char   *sf_optimizer_kind_name   (SfOptimizerKind kind);
gboolean      sf_optimizer_kind_parse  (const char *name, SfOptimizerKind *kind);
const char   *sf_schedule_kind_name    (SfScheduleKind kind);
gboolean      sf_schedule_kind_parse   (const char *name, SfScheduleKind *kind);
gboolean      sf_optimizer_settings_validate (const SfOptimizerSettings *settings, GError **error);

SfOptimizer  *sf_optimizer_new   (const SfOptimizerSettings *settings, gsize n_params, GError **error);
void          sf_optimizer_free  (SfOptimizer *optimizer);
/* The learning rate for a 0-based epoch out of n_epochs. */
float         sf_optimizer_rate_at (const SfOptimizerSettings *settings, int epoch, int n_epochs);
/* One update of params[i] from grads[i] where trainable is NULL or trainable[i] != 0. */
void          sf_optimizer_step  (SfOptimizer *optimizer, float *params, const float *grads,
                                  const guint8 *trainable, float learning_rate);
/* Steps taken so far (Adam's bias correction uses it). */
gint64        sf_optimizer_steps (const SfOptimizer *optimizer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfOptimizer, sf_optimizer_free)

G_END_DECLS
