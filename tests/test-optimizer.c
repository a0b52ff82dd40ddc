/* Optimizers against hand-computed updates, schedules, and settings validation. */
#include <glib.h>
#include <math.h>

#include "error.h"
#include "optimizer.h"

static void
test_adam_first_steps (void)
{
  SfOptimizerSettings s;
  sf_optimizer_settings_init_adam (&s);
  g_autoptr (SfOptimizer) opt = sf_optimizer_new (&s, 2, NULL);
  float w[2] = { 1.0f, -2.0f };
  float g[2] = { 0.5f, -4.0f };
  sf_optimizer_step (opt, w, g, NULL, s.learning_rate);
  /* First Adam step moves each weight by ≈ lr·sign(g) (m/√v = ±1 after bias correction). */
  g_assert_cmpfloat_with_epsilon (w[0], 1.0f - 1e-3f, 1e-6);
  g_assert_cmpfloat_with_epsilon (w[1], -2.0f + 1e-3f, 1e-6);

  /* Second step by the formula, in double. */
  double m = 0.9 * (0.1 * 0.5) + 0.1 * 0.5, v = 0.999 * (0.001 * 0.25) + 0.001 * 0.25;
  double rate = 1e-3 * sqrt (1 - 0.999 * 0.999) / (1 - 0.9 * 0.9);
  double expected = (1.0 - 1e-3) - rate * m / (sqrt (v) + 1e-7);
  sf_optimizer_step (opt, w, g, NULL, s.learning_rate);
  g_assert_cmpfloat_with_epsilon (w[0], expected, 1e-6);
  g_assert_cmpint (sf_optimizer_steps (opt), ==, 2);
}

static void
test_trainable_mask (void)
{
  SfOptimizerSettings s;
  sf_optimizer_settings_init_adam (&s);
  s.kind = SF_OPTIMIZER_SGD;
  s.beta1 = 0.9f;
  s.learning_rate = 0.1f;
  g_autoptr (SfOptimizer) opt = sf_optimizer_new (&s, 3, NULL);
  float w[3] = { 1, 1, 1 };
  float g[3] = { 1, 1, 1 };
  guint8 mask[3] = { 1, 0, 1 };
  sf_optimizer_step (opt, w, g, mask, 0.1f);
  g_assert_cmpfloat_with_epsilon (w[0], 0.9f, 1e-6);
  g_assert_cmpfloat (w[1], ==, 1.0f);
  sf_optimizer_step (opt, w, g, mask, 0.1f);
  /* velocity 0.9·1 + 1 = 1.9 */
  g_assert_cmpfloat_with_epsilon (w[0], 0.9f - 0.19f, 1e-6);
}

static void
test_rmsprop_and_decay (void)
{
  SfOptimizerSettings s;
  sf_optimizer_settings_init_adam (&s);
  s.kind = SF_OPTIMIZER_RMSPROP;
  s.beta2 = 0.9f;
  s.weight_decay = 0.5f;
  g_autoptr (SfOptimizer) opt = sf_optimizer_new (&s, 1, NULL);
  float w[1] = { 2 };
  float g[1] = { 1 };
  sf_optimizer_step (opt, w, g, NULL, 0.01f);
  double grad = 1 + 0.5 * 2, v = 0.1 * grad * grad;
  g_assert_cmpfloat_with_epsilon (w[0], 2 - 0.01 * grad / (sqrt (v) + 1e-7), 1e-6);
}

static void
test_schedules (void)
{
  SfOptimizerSettings s;
  sf_optimizer_settings_init_adam (&s);
  g_assert_cmpfloat (sf_optimizer_rate_at (&s, 50, 100), ==, 1e-3f);
  s.schedule = SF_SCHEDULE_STEP;
  s.step_epochs = 10;
  s.step_gamma = 0.5f;
  g_assert_cmpfloat_with_epsilon (sf_optimizer_rate_at (&s, 9, 100), 1e-3f, 1e-9);
  g_assert_cmpfloat_with_epsilon (sf_optimizer_rate_at (&s, 25, 100), 0.25e-3f, 1e-9);
  s.schedule = SF_SCHEDULE_COSINE;
  g_assert_cmpfloat_with_epsilon (sf_optimizer_rate_at (&s, 0, 100), 1e-3f, 1e-9);
  g_assert_cmpfloat_with_epsilon (sf_optimizer_rate_at (&s, 50, 100), 0.5e-3f, 1e-9);
  g_assert_cmpfloat (sf_optimizer_rate_at (&s, 99, 100), <, 1e-6f);
}

static void
test_validation_and_names (void)
{
  SfOptimizerSettings s;
  sf_optimizer_settings_init_adam (&s);
  s.learning_rate = -1;
  GError *error = NULL;
  g_assert_null (sf_optimizer_new (&s, 4, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_clear_error (&error);
  sf_optimizer_settings_init_adam (&s);
  s.beta1 = 1;
  g_assert_false (sf_optimizer_settings_validate (&s, &error));
  g_clear_error (&error);

  SfOptimizerKind kind;
  g_assert_true (sf_optimizer_kind_parse ("RMSprop", &kind));
  g_assert_cmpint (kind, ==, SF_OPTIMIZER_RMSPROP);
  g_assert_false (sf_optimizer_kind_parse ("lbfgs", &kind));
  SfScheduleKind schedule;
  g_assert_true (sf_schedule_kind_parse ("cosine", &schedule));
  g_assert_cmpstr (sf_schedule_kind_name (schedule), ==, "cosine");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/optimizer/adam", test_adam_first_steps);
  g_test_add_func ("/optimizer/trainable-mask", test_trainable_mask);
  g_test_add_func ("/optimizer/rmsprop-decay", test_rmsprop_and_decay);
  g_test_add_func ("/optimizer/schedules", test_schedules);
  g_test_add_func ("/optimizer/validation", test_validation_and_names);
  return g_test_run ();
}
