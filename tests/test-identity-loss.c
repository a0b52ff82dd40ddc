/* ArcFace and CosFace: values worked by hand, the guard beyond θ + m = π,
 * both gradients (embeddings and class directions, also through the tower's
 * l2norm) against finite differences; and the model's step with a loss on
 * the embeddings (sf_model_train_embeddings), against the all-pairs step,
 * against its own pieces, and against finite differences of the weights. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "heads.h"
#include "identity-loss.h"
#include "layers.h"
#include "model.h"
#include "rng.h"

typedef struct {
  float *e;             /* [N, D] the loss's input, or the l2norm's when through_norm */
  float *W;             /* [C, D] */
  const int *classes;
  int N, D, C;
  SfIdentityLoss loss;
  float s, m;
  gboolean through_norm;
} Objective;

static double
objective (const Objective *o, float *de, float *dW)
{
  g_autofree float *unit = g_new (float, o->N * o->D);
  const float *e = o->e;
  if (o->through_norm)
    {
      sf_l2norm_forward (unit, o->e, o->N, o->D);
      e = unit;
    }
  return sf_identity_loss_forward_backward (de, dW, e, o->classes, o->W, o->N, o->D, o->C, o->loss, o->s, o->m,
                                            1.0f);
}

static double
value (const Objective *o)
{
  g_autofree float *de = g_new (float, o->N * o->D);
  g_autofree float *dW = g_new0 (float, o->C * o->D);
  return objective (o, de, dW);
}

/* Central differences on every element of x, compared with analytic. */
static void
assert_gradient (const char *what, Objective *o, float *x, int n, const float *analytic)
{
  const float eps = 1e-3f;
  double diff2 = 0, num2 = 0;
  for (int i = 0; i < n; i++)
    {
      float save = x[i];
      x[i] = save + eps;
      double up = value (o);
      float hi = x[i];
      x[i] = save - eps;
      double down = value (o);
      float lo = x[i];
      x[i] = save;
      double numeric = (up - down) / ((double) hi - lo);
      diff2 += (numeric - analytic[i]) * (numeric - analytic[i]);
      num2 += numeric * numeric;
    }
  double rel = sqrt (diff2) / MAX (sqrt (num2), 1e-12);
  g_test_message ("%s: relative error %g", what, rel);
  g_assert_cmpfloat (num2, >, 1e-8);  /* a gradient worth checking */
  g_assert_cmpfloat (rel, <, 2e-3);
}

static void
test_values (void)
{
  /* e on the first axis; person 0's direction is the same axis (W's rows
   * need not be unit: they are normalised), person 1's perpendicular. */
  float e[2] = { 1, 0 }, W[4] = { 3, 0, 0, 0.5f };
  int classes[1] = { 0 };
  float de[2], dW[4] = { 0 };
  const double s = 10, m = 0.5;
  double arc = sf_identity_loss_forward_backward (de, dW, e, classes, W, 1, 2, 2, SF_IDENTITY_LOSS_ARCFACE, s, m, 1);
  g_assert_cmpfloat_with_epsilon (arc, log1p (exp (-s * cos (m))), 1e-6);
  double cos_ = sf_identity_loss_forward_backward (de, dW, e, classes, W, 1, 2, 2, SF_IDENTITY_LOSS_COSFACE, s, m,
                                                   1);
  g_assert_cmpfloat_with_epsilon (cos_, log1p (exp (-s * (1 - m))), 1e-6);
  /* Without a margin both are the normalised softmax. */
  float rotated[2] = { 0.6f, 0.8f };
  double a0 = sf_identity_loss_forward_backward (de, dW, rotated, classes, W, 1, 2, 2, SF_IDENTITY_LOSS_ARCFACE, s,
                                                 0, 1);
  double c0 = sf_identity_loss_forward_backward (de, dW, rotated, classes, W, 1, 2, 2, SF_IDENTITY_LOSS_COSFACE, s,
                                                 0, 1);
  g_assert_cmpfloat_with_epsilon (a0, c0, 1e-6);
  g_assert_cmpfloat_with_epsilon (a0, log1p (exp (s * (0.8 - 0.6))), 1e-5);
  /* The margin costs something, and the person's own direction pulls: the
   * gradient points away from it (descent moves towards it). */
  double a1 = sf_identity_loss_forward_backward (de, dW, rotated, classes, W, 1, 2, 2, SF_IDENTITY_LOSS_ARCFACE, s,
                                                 m, 1);
  g_assert_cmpfloat (a1, >, a0);
  g_assert_cmpfloat (de[0], <, 0);
  /* Facing away from its person (θ = π, past θ + m = π): the guard's
   * ψ = c - m·sin m = -1 - m·sin m, not cos(π + m), which would be higher
   * (a smaller loss for a worse face). */
  float away[2] = { -1, 0 };
  double far = sf_identity_loss_forward_backward (de, dW, away, classes, W, 1, 2, 2, SF_IDENTITY_LOSS_ARCFACE, s, m,
                                                  1);
  g_assert_cmpfloat_with_epsilon (far, log1p (exp (s * (1 + m * sin (m)))), 1e-4);
  g_assert_cmpfloat (far, >, log1p (exp (-s * cos (G_PI + m))));
  /* scale multiplies both gradients, not the loss. */
  float de2[2], dW2[4] = { 0 }, dW1[4] = { 0 };
  double l1 = sf_identity_loss_forward_backward (de, dW1, rotated, classes, W, 1, 2, 2, SF_IDENTITY_LOSS_COSFACE, s,
                                                 m, 1);
  double l2 = sf_identity_loss_forward_backward (de2, dW2, rotated, classes, W, 1, 2, 2, SF_IDENTITY_LOSS_COSFACE, s,
                                                 m, 0.25f);
  g_assert_cmpfloat (l1, ==, l2);
  for (int k = 0; k < 2; k++)
    g_assert_cmpfloat_with_epsilon (de2[k], 0.25f * de[k], 1e-6);
  for (int k = 0; k < 4; k++)
    g_assert_cmpfloat_with_epsilon (dW2[k], 0.25f * dW1[k], 1e-6);
}

static void
check_gradients (SfIdentityLoss loss, float s, float m, gboolean through_norm)
{
  enum { N = 9, D = 5, C = 4 };
  SfRng rng;
  sf_rng_seed (&rng, 5 + loss);
  float e[N * D], W[C * D], de[N * D], dW[C * D] = { 0 };
  int classes[N];
  for (int i = 0; i < N * D; i++)
    e[i] = (float) sf_rng_normal (&rng);
  for (int i = 0; i < C * D; i++)
    W[i] = (float) sf_rng_normal (&rng) * 0.7f;
  if (!through_norm)
    sf_l2norm_forward (e, e, N, D);
  for (int i = 0; i < N; i++)
    classes[i] = i % C;
  Objective o = { e, W, classes, N, D, C, loss, s, m, through_norm };
  g_autofree float *unit = g_new (float, N * D);
  objective (&o, de, dW);
  const char *name = sf_identity_loss_name (loss);
  if (through_norm)
    {
      /* What the tower sees: the l2norm layer's backward turns de into its input's gradient. */
      float dx[N * D];
      sf_l2norm_forward (unit, e, N, D);
      sf_l2norm_backward (dx, de, unit, e, N, D);
      assert_gradient (name, &o, e, N * D, dx);
    }
  else
    assert_gradient (name, &o, e, N * D, de);
  assert_gradient (name, &o, W, C * D, dW);
}

static void
test_arcface_gradients (void)
{
  check_gradients (SF_IDENTITY_LOSS_ARCFACE, 8, 0.5f, FALSE);
  check_gradients (SF_IDENTITY_LOSS_ARCFACE, 30, 0.5f, TRUE);
  /* A margin so large that some samples are past the guard. */
  check_gradients (SF_IDENTITY_LOSS_ARCFACE, 4, 2.0f, FALSE);
}

static void
test_cosface_gradients (void)
{
  check_gradients (SF_IDENTITY_LOSS_COSFACE, 8, 0.35f, FALSE);
  check_gradients (SF_IDENTITY_LOSS_COSFACE, 30, 0.35f, TRUE);
}

static void
test_names (void)
{
  SfIdentityLoss loss = SF_IDENTITY_LOSS_NONE;
  g_assert_true (sf_identity_loss_parse ("ArcFace", &loss));
  g_assert_cmpint (loss, ==, SF_IDENTITY_LOSS_ARCFACE);
  g_assert_true (sf_identity_loss_parse ("pairs", &loss));
  g_assert_cmpint (loss, ==, SF_IDENTITY_LOSS_NONE);
  g_assert_false (sf_identity_loss_parse ("sphereface", &loss));
  g_assert_false (sf_identity_loss_parse (NULL, &loss));
  g_assert_cmpstr (sf_identity_loss_name (SF_IDENTITY_LOSS_COSFACE), ==, "cosface");
  g_assert_cmpfloat (sf_identity_loss_default_margin (SF_IDENTITY_LOSS_ARCFACE), ==, 0.5f);
  g_assert_cmpfloat (sf_identity_loss_default_margin (SF_IDENTITY_LOSS_COSFACE), ==, 0.35f);
}

/* ---- The model's step with a loss on the embeddings ---- */

#define SIDE 16

typedef struct {
  const int *labels;       /* [n] */
  const float *W;          /* [C, D] */
  float *dW;
  int C;
  float temperature;       /* > 0: the all-pairs softmax instead of ArcFace */
} LossData;

static double
loss_cb (float *dembed, const float *embeddings, int first, int n, float scale, gpointer data)
{
  LossData *d = data;
  int D = 8;
  if (d->temperature > 0)
    return sf_all_pairs_softmax (dembed, embeddings, d->labels + first, n, D, d->temperature, scale);
  return sf_identity_loss_forward_backward (dembed, d->dW, embeddings, d->labels + first, d->W, n, D, d->C,
                                            SF_IDENTITY_LOSS_ARCFACE, 10, 0.4f, scale);
}

static float *
random_images (int n, guint64 seed)
{
  SfRng rng;
  sf_rng_seed (&rng, seed);
  float *images = g_new (float, (gsize) n * SIDE * SIDE);
  for (int k = 0; k < n * SIDE * SIDE; k++)
    images[k] = (float) sf_rng_uniform (&rng);
  return images;
}

/* With the all-pairs softmax as the caller's loss, the step is exactly
 * sf_model_train_batch_all_pairs's: same loss, same gradient bits. */
static void
test_model_step_matches_all_pairs (void)
{
  const char *spec = "conv4k3-bn-relu pool2 conv8k3-bn-relu gap dense8 l2norm";
  enum { PAIRS = 6 };
  GError *error = NULL;
  g_autoptr (SfModel) a = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, SIDE, 3, &error);
  g_autoptr (SfModel) b = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, SIDE, 3, &error);
  g_assert_no_error (error);
  g_autofree float *images = random_images (2 * PAIRS, 4);
  int labels[2 * PAIRS] = { 0, 1, 2, 0, 1, 2, 1, 2, 0, 0, 2, 1 };
  float targets[PAIRS];
  for (int k = 0; k < PAIRS; k++)
    targets[k] = labels[k] == labels[PAIRS + k];
  SfRng ra, rb;
  sf_rng_seed (&ra, 1);
  sf_rng_seed (&rb, 1);
  double loss_a = 0, loss_b = 0;
  g_assert_true (sf_model_train_batch_all_pairs (a, images, images + PAIRS * SIDE * SIDE, targets, labels,
                                                 labels + PAIRS, PAIRS, 0.3f, &ra, NULL, &loss_a, &error));
  LossData data = { labels, NULL, NULL, 0, 0.3f };
  float embeddings[2 * PAIRS * 8];
  g_assert_true (sf_model_train_embeddings (b, images, 2 * PAIRS, &rb, loss_cb, &data, embeddings, &loss_b,
                                            &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (loss_a, ==, loss_b);
  g_assert_cmpfloat (loss_a, >, 0);
  g_assert_cmpmem (sf_model_grads (a), sf_model_n_params (a) * sizeof (float), sf_model_grads (b),
                   sf_model_n_params (b) * sizeof (float));
  g_assert_cmpint (sf_model_get_train_steps (b), ==, 1);
  /* The embeddings it hands back are the tower's, on the unit sphere. */
  for (int i = 0; i < 2 * PAIRS; i++)
    {
      double sq = 0;
      for (int k = 0; k < 8; k++)
        sq += embeddings[i * 8 + k] * embeddings[i * 8 + k];
      g_assert_cmpfloat_with_epsilon (sq, 1, 1e-5);
    }
}

/* A tower without batch norm runs in pieces of 128 images: the step equals
 * the pieces' own steps, weighted by their share. */
static void
test_model_step_in_pieces (void)
{
  const char *spec = "conv4k3 pool2 gap dense8 l2norm";
  enum { N = 150, C = 5, FIRST = 128 };
  GError *error = NULL;
  g_autoptr (SfModel) model = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, SIDE, 3, &error);
  g_assert_no_error (error);
  g_autofree float *images = random_images (N, 6);
  int labels[N];
  for (int i = 0; i < N; i++)
    labels[i] = i % C;
  float W[C * 8], dW[C * 8];
  SfRng rng;
  sf_rng_seed (&rng, 2);
  for (int k = 0; k < C * 8; k++)
    W[k] = (float) sf_rng_normal (&rng);
  LossData data = { labels, W, dW, C, 0 };
  gsize n_params = sf_model_n_params (model);
  double whole = 0, head = 0, tail = 0;
  g_assert_true (sf_model_train_embeddings (model, images, N, &rng, loss_cb, &data, NULL, &whole, &error));
  g_autofree float *g_whole = g_memdup2 (sf_model_grads (model), n_params * sizeof (float));
  g_assert_true (sf_model_train_embeddings (model, images, FIRST, &rng, loss_cb, &data, NULL, &head, &error));
  g_autofree float *g_head = g_memdup2 (sf_model_grads (model), n_params * sizeof (float));
  LossData rest = { labels + FIRST, W, dW, C, 0 };
  g_assert_true (sf_model_train_embeddings (model, images + FIRST * SIDE * SIDE, N - FIRST, &rng, loss_cb, &rest,
                                            NULL, &tail, &error));
  const float *g_tail = sf_model_grads (model);
  g_assert_cmpfloat_with_epsilon (whole, (FIRST * head + (N - FIRST) * tail) / N, 1e-6);
  double diff = 0, norm = 0;
  for (gsize k = 0; k < n_params; k++)
    {
      double expected = ((double) FIRST * g_head[k] + (double) (N - FIRST) * g_tail[k]) / N;
      diff += (g_whole[k] - expected) * (g_whole[k] - expected);
      norm += expected * expected;
    }
  g_assert_cmpfloat (norm, >, 0);
  g_assert_cmpfloat (sqrt (diff / norm), <, 1e-5);
}

/* ArcFace through the whole tower, batch norm in training mode included:
 * the weights' gradient against finite differences of the loss (a smooth
 * tower, ELU and no max-pool, so no kink sits between the two probes). */
static void
test_model_step_gradient (void)
{
  const char *spec = "conv4k3-bn-elu conv6k3-bn-elu gap dense8 l2norm";
  enum { N = 12, C = 4 };
  GError *error = NULL;
  g_autoptr (SfModel) model = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, SIDE, 8, &error);
  g_assert_no_error (error);
  g_autofree float *images = random_images (N, 7);
  int labels[N];
  for (int i = 0; i < N; i++)
    labels[i] = i % C;
  float W[C * 8], dW[C * 8];
  SfRng rng;
  sf_rng_seed (&rng, 3);
  for (int k = 0; k < C * 8; k++)
    W[k] = (float) sf_rng_normal (&rng);
  LossData data = { labels, W, dW, C, 0 };
  g_assert_true (sf_model_train_embeddings (model, images, N, &rng, loss_cb, &data, NULL, NULL, &error));
  gsize n_params = sf_model_n_params (model);
  g_autofree float *analytic = g_memdup2 (sf_model_grads (model), n_params * sizeof (float));
  float *params = sf_model_params (model);
  const guint8 *trainable = sf_model_trainable (model);
  double diff2 = 0, num2 = 0;
  int checked = 0;
  for (gsize k = 0; k < n_params; k += 7)
    {
      if (!trainable[k])
        continue;
      const float eps = 3e-3f;
      float save = params[k];
      double up, down;
      params[k] = save + eps;
      g_assert_true (sf_model_train_embeddings (model, images, N, &rng, loss_cb, &data, NULL, &up, &error));
      params[k] = save - eps;
      g_assert_true (sf_model_train_embeddings (model, images, N, &rng, loss_cb, &data, NULL, &down, &error));
      params[k] = save;
      double numeric = (up - down) / (2 * eps);
      diff2 += (numeric - analytic[k]) * (numeric - analytic[k]);
      num2 += numeric * numeric;
      checked++;
    }
  double rel = sqrt (diff2 / MAX (num2, 1e-30));
  g_test_message ("%d weights, relative error %g", checked, rel);
  g_assert_cmpint (checked, >, 20);
  g_assert_cmpfloat (num2, >, 1e-8);
  g_assert_cmpfloat (rel, <, 1e-3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/identity-loss/values", test_values);
  g_test_add_func ("/identity-loss/arcface-gradients", test_arcface_gradients);
  g_test_add_func ("/identity-loss/cosface-gradients", test_cosface_gradients);
  g_test_add_func ("/identity-loss/names", test_names);
  g_test_add_func ("/identity-loss/model-step-matches-all-pairs", test_model_step_matches_all_pairs);
  g_test_add_func ("/identity-loss/model-step-in-pieces", test_model_step_in_pieces);
  g_test_add_func ("/identity-loss/model-step-gradient", test_model_step_gradient);
  return g_test_run ();
}
