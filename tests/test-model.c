/* The Siamese model: the tensor table PyTorch expects, initialisation, the
 * whole-model gradient against finite differences for both heads, groups of
 * pairs adding up, evaluation, copies, determinism, and learning a tiny
 * dataset to 100 % with plain SGD. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "heads.h"
#include "conv-direct.h"
#include "model.h"

static void
test_head_names (void)
{
  SfHeadKind kind;
  g_assert_true (sf_head_kind_parse ("BCE", &kind));
  g_assert_cmpint (kind, ==, SF_HEAD_BCE);
  g_assert_true (sf_head_kind_parse ("contrastive", &kind));
  g_assert_cmpint (kind, ==, SF_HEAD_CONTRASTIVE);
  g_assert_false (sf_head_kind_parse ("hinge", &kind));
  g_assert_cmpstr (sf_head_kind_name (SF_HEAD_CONTRASTIVE), ==, "contrastive");
}

static void
test_article_tensors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) model = sf_model_new ("article", SF_HEAD_BCE, 1, 64, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sf_model_get_spec (model), ==, SF_SPEC_ARTICLE);
  static const struct {
    const char *name;
    int rank, shape[4];
  } want[] = {
    { "tower.0.weight", 4, { 96, 1, 11, 11 } },     { "tower.0.bias", 1, { 96 } },
    { "tower.4.weight", 4, { 256, 96, 5, 5 } },     { "tower.4.bias", 1, { 256 } },
    { "tower.8.weight", 4, { 384, 256, 3, 3 } },    { "tower.8.bias", 1, { 384 } },
    { "tower.14.weight", 2, { 1024, 384 } },        { "tower.14.bias", 1, { 1024 } },
    { "tower.15.weight", 2, { 128, 1024 } },        { "tower.15.bias", 1, { 128 } },
    { "head.weight", 2, { 1, 1 } },                 { "head.bias", 1, { 1 } },
  };
  g_assert_cmpint (sf_model_n_tensors (model), ==, G_N_ELEMENTS (want));
  gsize offset = 0;
  for (int k = 0; k < sf_model_n_tensors (model); k++)
    {
      const SfTensorInfo *t = sf_model_tensor (model, k);
      g_assert_cmpstr (t->name, ==, want[k].name);
      g_assert_cmpint (t->rank, ==, want[k].rank);
      gsize size = 1;
      for (int d = 0; d < t->rank; d++)
        {
          g_assert_cmpint (t->shape[d], ==, want[k].shape[d]);
          size *= t->shape[d];
        }
      g_assert_cmpuint (t->size, ==, size);
      g_assert_cmpuint (t->offset, ==, offset);
      g_assert_true (t->trainable);
      g_assert_true (sf_model_find_tensor (model, want[k].name) == t);
      offset += size;
    }
  g_assert_null (sf_model_find_tensor (model, "tower.1.weight"));
  /* 96·121+96 + 256·96·25+256 + 384·256·9+384 + 384·1024+1024 + 1024·128+128 + 2 */
  g_assert_cmpuint (sf_model_n_params (model), ==, 2036930);
  g_assert_cmpuint (sf_model_n_trainable (model), ==, 2036930);
  g_assert_cmpuint (offset, ==, 2036930);
  g_assert_cmpint (sf_model_get_embedding_size (model), ==, 128);

  /* Glorot-uniform weights within ±√(6 / (fan_in + fan_out)) and filling it; zero biases. */
  const float *p = sf_model_params (model);
  for (int k = 0; k < sf_model_n_tensors (model); k++)
    {
      const SfTensorInfo *t = sf_model_tensor (model, k);
      if (g_str_has_suffix (t->name, ".bias"))
        {
          for (gsize i = 0; i < t->size; i++)
            g_assert_cmpfloat (p[t->offset + i], ==, 0);
          continue;
        }
      double receptive = t->rank == 4 ? t->shape[2] * t->shape[3] : 1;
      double limit = sqrt (6.0 / (t->shape[1] * receptive + t->shape[0] * receptive));
      double largest = 0, sum = 0;
      for (gsize i = 0; i < t->size; i++)
        {
          largest = MAX (largest, fabs (p[t->offset + i]));
          sum += p[t->offset + i];
        }
      g_assert_cmpfloat (largest, <=, limit);
      if (t->size > 1000)
        {
          g_assert_cmpfloat (largest, >, 0.99 * limit);
          g_assert_cmpfloat (fabs (sum / t->size), <, 0.05 * limit);
        }
    }

  /* The head starts with a negative weight: a larger distance, a lower score. */
  g_assert_cmpfloat (p[sf_model_find_tensor (model, "head.weight")->offset], <, 0);
  for (guint64 seed = 1; seed < 20; seed++)
    {
      g_autoptr (SfModel) other = sf_model_new ("flatten dense4", SF_HEAD_BCE, 1, 4, seed, NULL);
      float w = sf_model_params (other)[sf_model_find_tensor (other, "head.weight")->offset];
      g_assert_cmpfloat (w, <, 0);
      g_assert_cmpfloat (w, >=, -sqrt (3.0));
    }

  g_autofree char *python = sf_model_to_python (model);
  g_assert_nonnull (strstr (python, "        self.tower = nn.Sequential(\n"));
  g_assert_nonnull (strstr (python, "            nn.Conv2d(1, 96, kernel_size=11, padding=5),  # 0\n"));
  g_assert_nonnull (strstr (python, "            nn.Linear(1024, 128),  # 15\n"));
  g_assert_nonnull (strstr (python, "        self.head = nn.Linear(1, 1)\n"));
}

static void
test_batchnorm_tensors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) model = sf_model_new ("conv4k3-bn pool2 flatten dense3-bn", SF_HEAD_CONTRASTIVE, 2, 6, 1,
                                            &error);
  g_assert_no_error (error);
  static const char *names[] = { "tower.0.weight", "tower.0.bias", "tower.1.weight", "tower.1.bias",
                                 "tower.1.running_mean", "tower.1.running_var", "tower.5.weight", "tower.5.bias",
                                 "tower.6.weight", "tower.6.bias", "tower.6.running_mean", "tower.6.running_var" };
  g_assert_cmpint (sf_model_n_tensors (model), ==, G_N_ELEMENTS (names));
  const float *p = sf_model_params (model);
  const guint8 *trainable = sf_model_trainable (model);
  for (int k = 0; k < sf_model_n_tensors (model); k++)
    {
      const SfTensorInfo *t = sf_model_tensor (model, k);
      g_assert_cmpstr (t->name, ==, names[k]);
      gboolean buffer = g_str_has_prefix (strrchr (t->name, '.'), ".running");
      g_assert_cmpint (t->trainable, ==, !buffer);
      for (gsize i = 0; i < t->size; i++)
        g_assert_cmpint (trainable[t->offset + i], ==, !buffer);
      if (k == 2 || k == 5 || k == 8 || k == 11)   /* γ and running variance start at 1 */
        for (gsize i = 0; i < t->size; i++)
          g_assert_cmpfloat (p[t->offset + i], ==, 1);
      if (k == 3 || k == 4 || k == 9 || k == 10)
        for (gsize i = 0; i < t->size; i++)
          g_assert_cmpfloat (p[t->offset + i], ==, 0);
    }
  g_assert_cmpint (sf_model_find_tensor (model, "tower.6.weight")->shape[0], ==, 3);
  g_assert_cmpint (sf_model_find_tensor (model, "tower.5.weight")->shape[1], ==, 36);
  g_assert_cmpuint (sf_model_n_params (model), ==, 4 * 9 + 4 + 16 + 36 * 3 + 3 + 12);
  g_assert_cmpuint (sf_model_n_trainable (model), ==, sf_model_n_params (model) - 8 - 6);
  g_assert_null (sf_model_find_tensor (model, "head.weight"));

  /* Training moves the running statistics (with zero gradient: not trainable); evaluation does not. */
  float a[2 * 36], b[2 * 36], targets[2] = { 1, 0 }, scores[2];
  for (int i = 0; i < 72; i++)
    {
      a[i] = (float) ((i * 7) % 11) / 11.0f;
      b[i] = (float) ((i * 5) % 13) / 13.0f;
    }
  const SfTensorInfo *rm = sf_model_find_tensor (model, "tower.1.running_mean");
  float before[4];
  memcpy (before, p + rm->offset, sizeof before);
  double loss;
  g_assert_true (sf_model_evaluate_batch (model, a, b, targets, 2, scores, &loss, &error));
  g_assert_cmpmem (before, sizeof before, p + rm->offset, sizeof before);
  SfRng rng;
  sf_rng_seed (&rng, 3);
  g_assert_true (sf_model_train_batch (model, a, b, targets, 2, &rng, scores, &loss, &error));
  g_assert_no_error (error);
  g_assert_true (memcmp (before, p + rm->offset, sizeof before) != 0);
  g_assert_cmpint (sf_model_get_train_steps (model), ==, 1);
  const float *g = sf_model_grads (model);
  for (gsize i = 0; i < sf_model_n_params (model); i++)
    if (!trainable[i])
      g_assert_cmpfloat (g[i], ==, 0);
}

/* ------------------------------------------------------------------------ */

static float *
random_images (SfRng *rng, int n, int size)
{
  float *x = g_new (float, (gsize) n * size * size);
  for (gsize i = 0; i < (gsize) n * size * size; i++)
    x[i] = (float) sf_rng_uniform (rng);
  return x;
}

typedef struct {
  SfModel *model;
  float *a, *b, *targets;
  int n;
  guint64 rng_seed;
} Batch;

static double
batch_loss (Batch *batch)
{
  SfRng rng;
  sf_rng_seed (&rng, batch->rng_seed);   /* the same dropout masks every time */
  double loss;
  g_autoptr (GError) error = NULL;
  g_assert_true (sf_model_train_batch (batch->model, batch->a, batch->b, batch->targets, batch->n, &rng, NULL, &loss,
                                       &error));
  return loss;
}

/* The analytic gradient of the mean loss against central differences, tensor by tensor. */
static void
check_model_gradient (const char *spec, SfHeadKind head, int size, float eps)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) model = sf_model_new (spec, head, 1.5f, size, 7, &error);
  g_assert_no_error (error);
  SfRng rng;
  sf_rng_seed (&rng, 8);
  Batch batch = { model, random_images (&rng, 5, size), random_images (&rng, 5, size), g_new (float, 5), 5, 9 };
  for (int k = 0; k < 5; k++)
    batch.targets[k] = k % 2;
  /* Make one pair nearly identical: the distance near its smallest values. */
  memcpy (batch.b, batch.a, sizeof (float) * size * size);
  batch.b[0] += 0.05f;
  /* Give the biases some value so nothing sits exactly at a kink. */
  float *p = sf_model_params (model);
  for (int k = 0; k < sf_model_n_tensors (model); k++)
    {
      const SfTensorInfo *t = sf_model_tensor (model, k);
      if (g_str_has_suffix (t->name, ".bias"))
        for (gsize i = 0; i < t->size; i++)
          p[t->offset + i] = (float) (0.2 * sf_rng_uniform (&rng) - 0.1);
    }
  batch_loss (&batch);
  gsize n = sf_model_n_params (model);
  float *analytic = g_memdup2 (sf_model_grads (model), sizeof (float) * n);
  const guint8 *trainable = sf_model_trainable (model);
  double total = 0;
  for (gsize i = 0; i < n; i++)
    total += (double) analytic[i] * analytic[i];
  total = sqrt (total);
  g_assert_cmpfloat (total, >, 0);
  for (int k = 0; k < sf_model_n_tensors (model); k++)
    {
      const SfTensorInfo *t = sf_model_tensor (model, k);
      if (!t->trainable)
        continue;
      double diff2 = 0, num2 = 0, ana2 = 0;
      for (gsize i = t->offset; i < t->offset + t->size; i++)
        {
          g_assert_true (trainable[i]);
          float save = p[i];
          p[i] = save + eps;
          double up = batch_loss (&batch);
          float hi = p[i];
          p[i] = save - eps;
          double down = batch_loss (&batch);
          float lo = p[i];
          p[i] = save;
          double numeric = (up - down) / ((double) hi - lo);
          diff2 += (numeric - analytic[i]) * (numeric - analytic[i]);
          num2 += numeric * numeric;
          ana2 += (double) analytic[i] * analytic[i];
        }
      /* Some gradients are exactly zero: a bias before batch norm, the biases of the last linear layers
       * (they cancel in a - b). There the error is measured against the whole gradient, as the rounding
       * noise of the differences grows as 1/eps. */
      double rel = sqrt (diff2) / MAX (sqrt (num2) + sqrt (ana2), 1e-5 / eps * total);
      g_test_message ("%s %s %s: |g| %.3g, relative error %.2g", spec, sf_head_kind_name (head), t->name, sqrt (ana2),
                      rel);
      if (!(rel < 2e-2))
        {
          g_test_message ("gradient of %s wrong", t->name);
          g_test_fail ();
        }
    }
  g_free (analytic);
  g_free (batch.a), g_free (batch.b), g_free (batch.targets);
}

static const char *gradient_spec =
  "conv3k3-bn-elu pool2 drop0.25 conv4k5-leaky0.2 pool2 conv3k1-elu flatten dense6-bn-elu dense4";

static void
test_gradient_bce (void)
{
  /* The error of the differences grows as eps²: batch norm curves a lot. */
  check_model_gradient (gradient_spec, SF_HEAD_BCE, 8, 1e-3f);
}

static void
test_gradient_contrastive (void)
{
  check_model_gradient (gradient_spec, SF_HEAD_CONTRASTIVE, 8, 1e-3f);
}

static void
test_gradient_l2norm (void)
{
  /* Embeddings on the unit sphere: margin 1.5 keeps different pairs inside it. */
  check_model_gradient ("conv3k3-bn-relu pool2 conv4k3 gap dense6 l2norm", SF_HEAD_CONTRASTIVE, 8, 1e-3f);
}

/* Planes 16 wide take the direct convolution on AVX-512 machines: before
 * batch norm it writes the tower's layout itself (bias included), before
 * ELU and pooling it goes through the fused stage; both are checked (smooth
 * activations: 16×16 planes have too many ReLU kinks for differences). */
static void
test_gradient_direct_conv (void)
{
  check_model_gradient ("conv3k3-bn-elu conv4k3-elu pool2 conv5k3 gap dense6", SF_HEAD_BCE, 16, 1e-3f);
}

/* The fused first block (first-block.h): a grey image's 3×3 convolution,
 * batch norm, ReLU or nothing, and a 2×2 pool on planes 16 wide. Steps of
 * 1e-4: with 1e-3 some of the 64 windows change their maximum and the first
 * layer's differences are off by 1-2 % (the layer-by-layer path too). */
static void
test_gradient_first_block (void)
{
  check_model_gradient ("conv3k3-bn pool2 conv4k3-elu gap dense6", SF_HEAD_BCE, 16, 1e-4f);
  check_model_gradient ("conv3k3-bn-relu pool2 conv4k3-elu gap dense6", SF_HEAD_CONTRASTIVE, 16, 1e-4f);
}

/* The fused first block against the same tower computed layer by layer
 * (sf_model_set_fused_first_block): losses, every gradient, the running
 * statistics and the scores in evaluation agree over a few training steps,
 * and each side ran the path it names. */
static void
test_first_block_matches_layers (void)
{
  if (!sf_conv_direct_supported (3, 16))
    {
      g_test_skip ("this CPU has no AVX-512: the first block is not fused here");
      return;
    }
  const char *spec = "conv5k3-bn-relu pool2 conv4k3-bn-relu pool2 gap dense6 l2norm";
  const int size = 32, n = 6;
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) fused = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, size, 3, &error);
  g_assert_no_error (error);
  g_autoptr (SfModel) layers = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, size, 3, &error);
  g_assert_no_error (error);
  sf_model_set_fused_first_block (layers, FALSE);
  g_assert_true (sf_model_uses_fused_first_block (fused));
  g_assert_false (sf_model_uses_fused_first_block (layers));
  SfRng rng;
  sf_rng_seed (&rng, 4);
  g_autofree float *a = random_images (&rng, n, size), *b = random_images (&rng, n, size);
  float targets[6] = { 1, 0, 1, 0, 0, 1 }, scores_fused[6], scores_layers[6];
  gsize n_params = sf_model_n_params (fused);
  for (int step = 0; step < 3; step++)
    {
      double loss_fused, loss_layers;
      SfRng r1, r2;
      sf_rng_seed (&r1, 10 + step);
      sf_rng_seed (&r2, 10 + step);
      g_assert_true (sf_model_train_batch (fused, a, b, targets, n, &r1, NULL, &loss_fused, &error));
      g_assert_true (sf_model_train_batch (layers, a, b, targets, n, &r2, NULL, &loss_layers, &error));
      g_assert_cmpfloat_with_epsilon (loss_fused, loss_layers, 1e-5 * MAX (1, fabs (loss_layers)));
      const float *g1 = sf_model_grads (fused), *g2 = sf_model_grads (layers);
      double largest = 0, worst = 0;
      for (gsize i = 0; i < n_params; i++)
        {
          largest = MAX (largest, fabs (g2[i]));
          worst = MAX (worst, fabs (g1[i] - g2[i]));
        }
      g_test_message ("step %d: loss %.6f / %.6f, largest gradient %.3g, largest difference %.3g", step, loss_fused,
                      loss_layers, largest, worst);
      g_assert_cmpfloat (largest, >, 0);
      g_assert_cmpfloat (worst, <, 1e-4 * largest);
      /* The same small step on both, so the next batch sees moved weights. */
      float *p1 = sf_model_params (fused), *p2 = sf_model_params (layers);
      const guint8 *trainable = sf_model_trainable (fused);
      for (gsize i = 0; i < n_params; i++)
        if (trainable[i])
          {
            p1[i] -= 0.1f * g2[i];
            p2[i] -= 0.1f * g2[i];
          }
        else
          g_assert_cmpfloat_with_epsilon (p1[i], p2[i], 1e-5 * MAX (1, fabs (p2[i])));
    }
  double loss;
  g_assert_true (sf_model_evaluate_batch (fused, a, b, targets, n, scores_fused, &loss, &error));
  g_assert_true (sf_model_evaluate_batch (layers, a, b, targets, n, scores_layers, &loss, &error));
  for (int k = 0; k < n; k++)
    g_assert_cmpfloat_with_epsilon (scores_fused[k], scores_layers[k], 1e-5);
  /* Three training passes and one evaluation: all fused on one side, none on the other. */
  g_assert_cmpuint (sf_model_get_first_block_passes (fused), ==, 4);
  g_assert_cmpuint (sf_model_get_first_block_passes (layers), ==, 0);

  /* A copy keeps the choice; switched back on, the block runs fused again. */
  g_autoptr (SfModel) copy = sf_model_copy (layers);
  g_assert_false (sf_model_uses_fused_first_block (copy));
  sf_model_set_fused_first_block (layers, TRUE);
  g_assert_true (sf_model_uses_fused_first_block (layers));
  g_assert_true (sf_model_evaluate_batch (layers, a, b, targets, n, scores_layers, &loss, &error));
  g_assert_cmpuint (sf_model_get_first_block_passes (layers), ==, 1);
  g_assert_true (sf_model_evaluate_batch (copy, a, b, targets, n, scores_layers, &loss, &error));
  g_assert_cmpuint (sf_model_get_first_block_passes (copy), ==, 0);

  /* A tower whose first convolution has its own activation has no first block to fuse. */
  g_autoptr (SfModel) plain = sf_model_new ("conv5k3-relu pool2 conv4k3-bn-relu pool2 gap dense6", SF_HEAD_BCE, 1, size,
                                            3, &error);
  g_assert_no_error (error);
  g_assert_false (sf_model_uses_fused_first_block (plain));
}

/* sf_model_embed_mirrored: the mean of the image's and its mirror's
 * embeddings, so an image and its mirror embed alike; back on the unit
 * sphere after l2norm. */
static void
test_embed_mirrored (void)
{
  const int size = 8, n = 3;
  const char *specs[] = { "conv4k3-bn-relu pool2 conv6k3-relu gap dense5", "conv4k3-relu flatten dense5 l2norm" };
  for (guint s = 0; s < G_N_ELEMENTS (specs); s++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SfModel) model = sf_model_new (specs[s], SF_HEAD_CONTRASTIVE, 1, size, 3, &error);
      g_assert_no_error (error);
      SfRng rng;
      sf_rng_seed (&rng, 4);
      float *a = random_images (&rng, n, size), *m = g_new (float, n * size * size);
      for (int i = 0; i < n * size; i++)
        for (int x = 0; x < size; x++)
          m[i * size + x] = a[i * size + size - 1 - x];
      int D = sf_model_get_embedding_size (model);
      float *plain = g_new (float, 2 * n * D), *mirrored = g_new (float, n * D), *of_mirror = g_new (float, n * D);
      g_assert_true (sf_model_embed (model, a, n, plain, &error));
      g_assert_true (sf_model_embed (model, m, n, plain + n * D, &error));
      g_assert_true (sf_model_embed_mirrored (model, a, n, mirrored, &error));
      g_assert_true (sf_model_embed_mirrored (model, m, n, of_mirror, &error));
      for (int i = 0; i < n; i++)
        {
          double norm = 0, sq = 0;
          for (int k = 0; k < D; k++)
            sq += pow (0.5 * (plain[i * D + k] + plain[(n + i) * D + k]), 2);
          for (int k = 0; k < D; k++)
            {
              double want = 0.5 * (plain[i * D + k] + plain[(n + i) * D + k]);
              if (s == 1)
                want /= sqrt (sq);
              g_assert_cmpfloat_with_epsilon (mirrored[i * D + k], want, 1e-5);
              g_assert_cmpfloat_with_epsilon (of_mirror[i * D + k], mirrored[i * D + k], 1e-5);
              norm += (double) mirrored[i * D + k] * mirrored[i * D + k];
            }
          if (s == 1)
            g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
        }
      g_free (a), g_free (m), g_free (plain), g_free (mirrored), g_free (of_mirror);
    }
}

static void
test_gradient_article_like (void)
{
  /* The article's layer kinds at a small size: im2col k5, Winograd k3, fused pooling, dropout, gap, dense. */
  /* ReLU and max-pool kinks everywhere: a small eps so few are crossed. */
  check_model_gradient ("conv4k5 pool2 drop0.3 conv5k3 pool2 drop0.3 gap dense6 dense3", SF_HEAD_BCE, 9, 1e-4f);
}

/* ------------------------------------------------------------------------ */

static void
test_groups_add_up (void)
{
  /* No batch norm: 70 pairs run as 64 + 6 and must give the weighted mean of the two. */
  const char *spec = "conv4k3 pool2 conv4k5-elu gap dense5";
  const int size = 10, n = 70;
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) model = sf_model_new (spec, SF_HEAD_BCE, 1, size, 3, &error);
  g_assert_no_error (error);
  SfRng rng;
  sf_rng_seed (&rng, 4);
  float *a = random_images (&rng, n, size), *b = random_images (&rng, n, size), targets[70], scores[70], part[70];
  for (int k = 0; k < n; k++)
    targets[k] = k % 3 == 0;
  gsize np = sf_model_n_params (model);
  double loss_all, loss_64, loss_6;
  g_assert_true (sf_model_train_batch (model, a, b, targets, n, &rng, scores, &loss_all, &error));
  float *g_all = g_memdup2 (sf_model_grads (model), sizeof (float) * np);
  g_assert_true (sf_model_train_batch (model, a, b, targets, 64, &rng, part, &loss_64, &error));
  float *g_64 = g_memdup2 (sf_model_grads (model), sizeof (float) * np);
  g_assert_true (sf_model_train_batch (model, a + 64 * size * size, b + 64 * size * size, targets + 64, 6, &rng,
                                       part + 64, &loss_6, &error));
  const float *g_6 = sf_model_grads (model);
  g_assert_cmpfloat_with_epsilon (loss_all, (64 * loss_64 + 6 * loss_6) / 70, 1e-6);
  g_assert_cmpmem (scores, sizeof scores, part, sizeof part);
  double largest = 0;
  for (gsize i = 0; i < np; i++)
    largest = MAX (largest, fabs (g_all[i]));
  for (gsize i = 0; i < np; i++)
    g_assert_cmpfloat (fabs (g_all[i] - (64.0 * g_64[i] + 6.0 * g_6[i]) / 70), <=, 1e-5 * largest);
  g_free (a), g_free (b), g_free (g_all), g_free (g_64);
}

static void
test_evaluate_embed_copy (void)
{
  const char *spec = "conv4k3-bn-relu pool2 drop0.5 conv6k3-relu gap dense5";
  const int size = 8, n = 9;
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) model = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, size, 5, &error);
  g_assert_no_error (error);
  SfRng rng;
  sf_rng_seed (&rng, 6);
  float *a = random_images (&rng, n, size), *b = random_images (&rng, n, size), targets[9];
  for (int k = 0; k < n; k++)
    targets[k] = k % 2;
  float s1[9], s2[9], s3[9];
  double l1, l2, l3;
  /* One training step so the running statistics are not the initial ones. */
  g_assert_true (sf_model_train_batch (model, a, b, targets, n, &rng, s3, &l3, &error));
  g_assert_true (sf_model_evaluate_batch (model, a, b, targets, n, s1, &l1, &error));
  g_assert_true (sf_model_evaluate_batch (model, a, b, targets, n, s2, &l2, &error));
  g_assert_cmpmem (s1, sizeof s1, s2, sizeof s2);   /* no dropout in evaluation */
  g_assert_cmpfloat (l1, ==, l2);
  double none;
  g_assert_true (sf_model_evaluate_batch (model, a, b, NULL, n, NULL, &none, &error));
  g_assert_true (isnan (none));

  /* Scores from embeddings, distance and the head's map agree with the batch. */
  int D = sf_model_get_embedding_size (model);
  float *ea = g_new (float, n * D), *eb = g_new (float, n * D);
  g_assert_true (sf_model_embed (model, a, n, ea, &error));
  g_assert_true (sf_model_embed (model, b, n, eb, &error));
  for (int k = 0; k < n; k++)
    {
      float d = sf_model_distance (model, ea + k * D, eb + k * D);
      g_assert_cmpfloat_with_epsilon (sf_model_score_distance (model, d), s1[k], 1e-5);
      g_assert_cmpfloat_with_epsilon (sf_model_score_distance (model, d), sf_contrastive_score (d, 2), 1e-7);
    }

  /* A copy scores the same; after more training, copy_params catches it up. */
  g_autoptr (SfModel) copy = sf_model_copy (model);
  g_assert_true (sf_model_evaluate_batch (copy, a, b, targets, n, s2, &l2, &error));
  g_assert_cmpmem (s1, sizeof s1, s2, sizeof s2);
  g_assert_true (sf_model_train_batch (model, a, b, targets, n, &rng, s3, &l3, &error));
  for (gsize i = 0; i < sf_model_n_params (model); i++)
    sf_model_params (model)[i] -= 0.1f * sf_model_grads (model)[i];
  g_assert_true (sf_model_evaluate_batch (model, a, b, targets, n, s1, &l1, &error));
  g_assert_true (memcmp (s1, s2, sizeof s1) != 0);
  g_assert_true (sf_model_copy_params (copy, model));
  g_assert_cmpint (sf_model_get_train_steps (copy), ==, 2);
  g_assert_true (sf_model_evaluate_batch (copy, a, b, targets, n, s2, &l2, &error));
  g_assert_cmpmem (s1, sizeof s1, s2, sizeof s2);
  g_autoptr (SfModel) other = sf_model_new ("conv4k3 gap", SF_HEAD_CONTRASTIVE, 2, size, 5, &error);
  g_assert_false (sf_model_copy_params (other, model));
  g_free (a), g_free (b), g_free (ea), g_free (eb);
}

static void
test_determinism (void)
{
  const char *spec = "conv4k3-bn-relu pool2 drop0.3 conv6k5 pool2 drop0.2 gap dense5";
  const int size = 12, n = 7;
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) m1 = sf_model_new (spec, SF_HEAD_BCE, 1, size, 42, &error);
  g_autoptr (SfModel) m2 = sf_model_new (spec, SF_HEAD_BCE, 1, size, 42, &error);
  g_autoptr (SfModel) m3 = sf_model_new (spec, SF_HEAD_BCE, 1, size, 43, &error);
  gsize np = sf_model_n_params (m1);
  g_assert_cmpmem (sf_model_params (m1), np * 4, sf_model_params (m2), np * 4);
  g_assert_true (memcmp (sf_model_params (m1), sf_model_params (m3), np * 4) != 0);

  SfRng data;
  sf_rng_seed (&data, 1);
  float *a = random_images (&data, n, size), *b = random_images (&data, n, size), targets[7], s1[7], s2[7];
  for (int k = 0; k < n; k++)
    targets[k] = k % 2;
  SfRng r1, r2;
  sf_rng_seed (&r1, 77);
  sf_rng_seed (&r2, 77);
  for (int step = 0; step < 3; step++)
    {
      double l1, l2;
      g_assert_true (sf_model_train_batch (m1, a, b, targets, n, &r1, s1, &l1, &error));
      g_assert_true (sf_model_train_batch (m2, a, b, targets, n, &r2, s2, &l2, &error));
      g_assert_cmpmem (&l1, sizeof l1, &l2, sizeof l2);
      g_assert_cmpmem (s1, sizeof s1, s2, sizeof s2);
      g_assert_cmpmem (sf_model_grads (m1), np * 4, sf_model_grads (m2), np * 4);
      for (gsize i = 0; i < np; i++)
        {
          sf_model_params (m1)[i] -= 0.05f * sf_model_grads (m1)[i];
          sf_model_params (m2)[i] -= 0.05f * sf_model_grads (m2)[i];
        }
    }
  g_assert_cmpmem (sf_model_params (m1), np * 4, sf_model_params (m2), np * 4);
  /* Another dropout stream gives other gradients. */
  SfRng r3;
  sf_rng_seed (&r3, 78);
  float *g1 = g_memdup2 (sf_model_grads (m1), np * 4);
  double l3;
  g_assert_true (sf_model_train_batch (m2, a, b, targets, n, &r3, s2, &l3, &error));
  g_assert_true (sf_model_train_batch (m1, a, b, targets, n, &r1, s1, &l3, &error));
  g_assert_true (memcmp (sf_model_grads (m1), sf_model_grads (m2), np * 4) != 0);
  g_free (g1), g_free (a), g_free (b);
}

/* ------------------------------------------------------------------------ */

/* 4 people × 5 images of 12×12: a random pattern per person, plus noise and a
 * brightness change per image; pairs: every same pair and as many different. */
static void
overfit (SfHeadKind head)
{
  const int size = 12, people = 4, per = 5, n_images = people * per;
  SfRng rng;
  sf_rng_seed (&rng, 2024);
  float *images = g_new (float, n_images * size * size);
  for (int p = 0; p < people; p++)
    {
      float base[144];
      for (int i = 0; i < size * size; i++)
        base[i] = (float) sf_rng_uniform (&rng);
      for (int k = 0; k < per; k++)
        {
          float gain = 0.8f + 0.4f * (float) sf_rng_uniform (&rng);
          for (int i = 0; i < size * size; i++)
            images[(p * per + k) * size * size + i] = gain * base[i] + 0.15f * (float) sf_rng_uniform (&rng);
        }
    }
  GArray *pa = g_array_new (FALSE, FALSE, sizeof (int)), *pb = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < n_images; i++)
    for (int j = i + 1; j < n_images; j++)
      if (i / per == j / per || (i + j) % 5 == 0)
        {
          g_array_append_val (pa, i);
          g_array_append_val (pb, j);
        }
  int n = (int) pa->len;
  float *a = g_new (float, n * size * size), *b = g_new (float, n * size * size), *targets = g_new (float, n);
  float *scores = g_new (float, n);
  int same = 0;
  for (int k = 0; k < n; k++)
    {
      int i = g_array_index (pa, int, k), j = g_array_index (pb, int, k);
      memcpy (a + k * size * size, images + i * size * size, sizeof (float) * size * size);
      memcpy (b + k * size * size, images + j * size * size, sizeof (float) * size * size);
      targets[k] = i / per == j / per;
      same += (int) targets[k];
    }
  g_assert_cmpint (same, ==, people * per * (per - 1) / 2);
  g_assert_cmpint (n - same, >=, 30);

  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) model = sf_model_new ("conv8k3-bn-relu pool2 conv16k3-bn-relu gap dense16", head, 2.0f, size,
                                            1, &error);
  g_assert_no_error (error);
  float *p = sf_model_params (model), *g = sf_model_grads (model);
  const guint8 *trainable = sf_model_trainable (model);
  gsize np = sf_model_n_params (model);
  float *velocity = g_new0 (float, np);
  double loss = 0, first = 0;
  for (int step = 0; step < 300; step++)
    {
      g_assert_true (sf_model_train_batch (model, a, b, targets, n, &rng, scores, &loss, &error));
      if (step == 0)
        first = loss;
      /* SGD with momentum 0.9. */
      for (gsize i = 0; i < np; i++)
        if (trainable[i])
          {
            velocity[i] = 0.9f * velocity[i] - 0.05f * g[i];
            p[i] += velocity[i];
          }
    }
  g_assert_true (sf_model_evaluate_batch (model, a, b, targets, n, scores, &loss, &error));
  int right = 0;
  for (int k = 0; k < n; k++)
    right += (scores[k] >= 0.5f) == (targets[k] > 0.5f);
  g_test_message ("%s: loss %.4f → %.4f, %d of %d right", sf_head_kind_name (head), first, loss, right, n);
  g_assert_cmpint (right, ==, n);
  g_assert_cmpfloat (loss, <, 0.5 * first);
  g_free (images), g_free (a), g_free (b), g_free (targets), g_free (scores), g_free (velocity);
  g_array_unref (pa), g_array_unref (pb);
}

static void
test_overfit_bce (void)
{
  overfit (SF_HEAD_BCE);
}

static void
test_overfit_contrastive (void)
{
  overfit (SF_HEAD_CONTRASTIVE);
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (sf_model_new ("conv8k3 bogus", SF_HEAD_BCE, 1, 32, 1, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "tower spec: “bogus” (token 2): unknown layer; use conv, dense, pool, avgpool, drop, gap, flatten, "
                   "l2norm, bn, relu, leaky, elu, res, sep or se");
  g_clear_error (&error);
  g_assert_null (sf_model_new ("conv8k3 gap", SF_HEAD_CONTRASTIVE, 0, 32, 1, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "the contrastive margin must be positive, not 0");
  g_clear_error (&error);
  g_autoptr (SfModel) model = sf_model_new ("compact", SF_HEAD_BCE, 1, 32, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sf_model_get_spec (model), ==, SF_SPEC_COMPACT);
  float x[32 * 32] = { 0 }, t = 1, s;
  double loss;
  SfRng rng;
  sf_rng_seed (&rng, 1);
  g_assert_false (sf_model_train_batch (model, x, x, &t, 0, &rng, &s, &loss, &error));
  g_assert_error (error, SF_ERROR, SF_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "a batch needs at least one pair, not 0");
  g_clear_error (&error);
  /* One pair of identical images: the distance clamp, finite loss and gradients. */
  g_assert_true (sf_model_train_batch (model, x, x, &t, 1, &rng, &s, &loss, &error));
  g_assert_true (isfinite (loss));
  for (gsize i = 0; i < sf_model_n_params (model); i++)
    g_assert_true (isfinite (sf_model_grads (model)[i]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/head-names", test_head_names);
  g_test_add_func ("/model/article-tensors", test_article_tensors);
  g_test_add_func ("/model/batchnorm-tensors", test_batchnorm_tensors);
  g_test_add_func ("/model/gradient/bce", test_gradient_bce);
  g_test_add_func ("/model/gradient/contrastive", test_gradient_contrastive);
  g_test_add_func ("/model/gradient/article-like", test_gradient_article_like);
  g_test_add_func ("/model/gradient/l2norm", test_gradient_l2norm);
  g_test_add_func ("/model/gradient/direct-conv", test_gradient_direct_conv);
  g_test_add_func ("/model/gradient/first-block", test_gradient_first_block);
  g_test_add_func ("/model/first-block-matches-layers", test_first_block_matches_layers);
  g_test_add_func ("/model/embed-mirrored", test_embed_mirrored);
  g_test_add_func ("/model/groups-add-up", test_groups_add_up);
  g_test_add_func ("/model/evaluate-embed-copy", test_evaluate_embed_copy);
  g_test_add_func ("/model/determinism", test_determinism);
  g_test_add_func ("/model/overfit/bce", test_overfit_bce);
  g_test_add_func ("/model/overfit/contrastive", test_overfit_contrastive);
  g_test_add_func ("/model/errors", test_errors);
  return g_test_run ();
}
