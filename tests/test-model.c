/* The Siamese model: the tensor table PyTorch expects, initialisation, the
 * whole-model gradient against finite differences for both heads, groups of
 * pairs adding up, evaluation, copies, determinism, and learning a tiny
 * dataset to 100 % with plain SGD. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "error.h"
#include "heads.h"
#include "batchnorm.h"
#include "conv.h"
#include "conv-direct.h"
#include "conv-direct-bf16.h"
#include "depthwise.h"
#include "gemm.h"
#include "layers.h"
#include "model.h"
#include "model-private.h"   /* the buffers' placement, for /model/buffers-on-cache-lines */

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

/* The blocks' tensors: named and shaped as the PyTorch modules of
 * SF_TORCH_BASIC_BLOCK, SF_TORCH_SEPARABLE_CONV and SF_TORCH_SQUEEZE_EXCITE
 * name them, in the order of their state_dict(). */
static void
test_block_tensors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) model = sf_model_new ("conv4k3s2-bn res4 res6s2 sep8k3s2 se2 avgpool2 gap dense5",
                                            SF_HEAD_CONTRASTIVE, 2, 32, 1, &error);
  g_assert_no_error (error);
  static const struct {
    const char *name;
    int rank, shape[4];
  } want[] = {
    { "tower.0.weight", 4, { 4, 1, 3, 3 } },           { "tower.0.bias", 1, { 4 } },
    { "tower.1.weight", 1, { 4 } },                    { "tower.1.bias", 1, { 4 } },
    { "tower.1.running_mean", 1, { 4 } },              { "tower.1.running_var", 1, { 4 } },
    { "tower.3.conv1.weight", 4, { 4, 4, 3, 3 } },     { "tower.3.bn1.weight", 1, { 4 } },
    { "tower.3.bn1.bias", 1, { 4 } },                  { "tower.3.bn1.running_mean", 1, { 4 } },
    { "tower.3.bn1.running_var", 1, { 4 } },           { "tower.3.conv2.weight", 4, { 4, 4, 3, 3 } },
    { "tower.3.bn2.weight", 1, { 4 } },                { "tower.3.bn2.bias", 1, { 4 } },
    { "tower.3.bn2.running_mean", 1, { 4 } },          { "tower.3.bn2.running_var", 1, { 4 } },
    { "tower.4.conv1.weight", 4, { 6, 4, 3, 3 } },     { "tower.4.bn1.weight", 1, { 6 } },
    { "tower.4.bn1.bias", 1, { 6 } },                  { "tower.4.bn1.running_mean", 1, { 6 } },
    { "tower.4.bn1.running_var", 1, { 6 } },           { "tower.4.conv2.weight", 4, { 6, 6, 3, 3 } },
    { "tower.4.bn2.weight", 1, { 6 } },                { "tower.4.bn2.bias", 1, { 6 } },
    { "tower.4.bn2.running_mean", 1, { 6 } },          { "tower.4.bn2.running_var", 1, { 6 } },
    { "tower.4.shortcut.0.weight", 4, { 6, 4, 1, 1 } }, { "tower.4.shortcut.1.weight", 1, { 6 } },
    { "tower.4.shortcut.1.bias", 1, { 6 } },           { "tower.4.shortcut.1.running_mean", 1, { 6 } },
    { "tower.4.shortcut.1.running_var", 1, { 6 } },    { "tower.5.depthwise.weight", 4, { 6, 1, 3, 3 } },
    { "tower.5.bn1.weight", 1, { 6 } },                { "tower.5.bn1.bias", 1, { 6 } },
    { "tower.5.bn1.running_mean", 1, { 6 } },          { "tower.5.bn1.running_var", 1, { 6 } },
    { "tower.5.pointwise.weight", 4, { 8, 6, 1, 1 } }, { "tower.5.bn2.weight", 1, { 8 } },
    { "tower.5.bn2.bias", 1, { 8 } },                  { "tower.5.bn2.running_mean", 1, { 8 } },
    { "tower.5.bn2.running_var", 1, { 8 } },           { "tower.6.fc1.weight", 2, { 4, 8 } },
    { "tower.6.fc1.bias", 1, { 4 } },                  { "tower.6.fc2.weight", 2, { 8, 4 } },
    { "tower.6.fc2.bias", 1, { 8 } },                  { "tower.10.weight", 2, { 5, 8 } },
    { "tower.10.bias", 1, { 5 } },
  };
  g_assert_cmpint (sf_model_n_tensors (model), ==, G_N_ELEMENTS (want));
  gsize offset = 0, buffers = 0;
  const float *p = sf_model_params (model);
  for (int k = 0; k < sf_model_n_tensors (model); k++)
    {
      const SfTensorInfo *t = sf_model_tensor (model, k);
      g_assert_cmpstr (t->name, ==, want[k].name);
      g_assert_cmpint (t->rank, ==, want[k].rank);
      for (int d = 0; d < t->rank; d++)
        g_assert_cmpint (t->shape[d], ==, want[k].shape[d]);
      g_assert_cmpuint (t->offset, ==, offset);
      offset += t->size;
      gboolean running = strstr (t->name, ".running_") != NULL;
      g_assert_cmpint (t->trainable, ==, !running);
      if (running)
        buffers += t->size;
      /* Batch norm γ and running variances start at 1, β and running means at 0, weights Glorot. */
      if (t->rank == 1 && (g_str_has_suffix (t->name, "running_var") || !g_str_has_suffix (t->name, "mean"))
          && (g_str_has_suffix (t->name, "running_var") || (g_str_has_suffix (t->name, ".weight"))))
        for (gsize i = 0; i < t->size; i++)
          g_assert_cmpfloat (p[t->offset + i], ==, 1);
      if (g_str_has_suffix (t->name, ".bias") || g_str_has_suffix (t->name, "running_mean"))
        for (gsize i = 0; i < t->size; i++)
          g_assert_cmpfloat (p[t->offset + i], ==, 0);
      if (t->rank >= 2)
        {
          double receptive = t->rank == 4 ? t->shape[2] * t->shape[3] : 1, largest = 0;
          double limit = sqrt (6.0 / (t->shape[1] * receptive + t->shape[0] * receptive));
          for (gsize i = 0; i < t->size; i++)
            largest = MAX (largest, fabs (p[t->offset + i]));
          g_assert_cmpfloat (largest, <=, limit);
          g_assert_cmpfloat (largest, >, 0);
        }
    }
  const SfTower *tower = sf_model_get_tower (model);
  g_assert_cmpuint (sf_model_n_params (model), ==, offset);
  g_assert_cmpuint (sf_model_n_trainable (model), ==, tower->n_params);
  g_assert_cmpuint (buffers, ==, tower->n_buffers);

  g_autofree char *python = sf_model_to_python (model);
  g_assert_nonnull (strstr (python, "class BasicBlock(nn.Module):"));
  g_assert_true (strstr (python, "class BasicBlock(nn.Module):") < strstr (python, "class Siamese(nn.Module):"));
  g_assert_nonnull (strstr (python, "            BasicBlock(4, 6, stride=2),  # 4\n"));
  g_assert_nonnull (strstr (python, "            SeparableConv(6, 8, kernel_size=3, stride=2),  # 5\n"));
  g_assert_nonnull (strstr (python, "            SqueezeExcite(8, reduction=2),  # 6\n"));
  g_assert_nonnull (strstr (python, "            nn.AvgPool2d(2),  # 7\n"));
}

static float *random_images (SfRng *rng, int n, int size);

/* A checkpoint of a tower with every block keeps every tensor under its
 * nested name, batch norm running statistics included, and loads back to the
 * same embeddings. */
static void
test_block_checkpoint (void)
{
  g_autoptr (GError) error = NULL;
  const char *spec = "conv4k3s2-bn res4 res6s2 sep8k3s2 se2 avgpool2 gap dense5 l2norm";
  g_autoptr (SfModel) model = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, 32, 3, &error);
  g_assert_no_error (error);
  SfRng rng;
  sf_rng_seed (&rng, 4);
  float *a = random_images (&rng, 4, 32), *b = random_images (&rng, 4, 32), targets[4] = { 1, 0, 1, 0 };
  double loss;
  g_assert_true (sf_model_train_batch (model, a, b, targets, 4, &rng, NULL, &loss, &error));
  for (gsize i = 0; i < sf_model_n_params (model); i++)
    sf_model_params (model)[i] -= 0.1f * sf_model_grads (model)[i];
  const SfTensorInfo *rv = sf_model_find_tensor (model, "tower.4.shortcut.1.running_var");
  g_assert_nonnull (rv);
  g_assert_cmpfloat (sf_model_params (model)[rv->offset], !=, 1);   /* moved by the step */

  g_autofree char *dir = g_dir_make_tmp ("sf-test-model-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "blocks.safetensors", NULL);
  SfTrainSettings settings = { 0 };
  sf_train_settings_init_preset (&settings, SF_PRESET_COMPACT);
  g_assert_true (sf_checkpoint_save (path, model, &settings, NULL, 0, 0.5f, NULL, NULL, &error));
  g_assert_no_error (error);
  sf_train_settings_clear (&settings);
  g_autoptr (SfCheckpoint) loaded = sf_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sf_model_get_spec (loaded->model), ==, spec);
  gsize np = sf_model_n_params (model);
  g_assert_cmpuint (sf_model_n_params (loaded->model), ==, np);
  g_assert_cmpmem (sf_model_params (loaded->model), np * 4, sf_model_params (model), np * 4);
  int D = sf_model_get_embedding_size (model);
  float *e1 = g_new (float, 4 * D), *e2 = g_new (float, 4 * D);
  g_assert_true (sf_model_embed (model, a, 4, e1, &error));
  g_assert_true (sf_model_embed (loaded->model, a, 4, e2, &error));
  g_assert_cmpmem (e1, 4 * D * 4, e2, 4 * D * 4);
  g_unlink (path);
  g_rmdir (dir);
  g_free (a), g_free (b), g_free (e1), g_free (e2);
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
      /* Large tensors (the Winograd blocks') by a sample of some 400 elements spread over them. */
      gsize step = MAX (t->size / 400, 1);
      for (gsize i = t->offset; i < t->offset + t->size; i += step)
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
      /* A weight without gradient is a dead part of the network: nothing checked there. */
      if (t->rank >= 2 && ana2 == 0)
        {
          g_test_message ("%s has no gradient to check", t->name);
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
check_first_block_matches_layers (void)
{
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

static void
test_first_block_matches_layers (void)
{
  if (!sf_conv_direct_supported (3, 16))
    {
      g_test_skip ("this CPU has neither AVX-512 nor AVX2: the first block is not fused here");
      return;
    }
  check_first_block_matches_layers ();
}

static double
relative_l2 (const float *got, const float *want, gsize n)
{
  double diff = 0, norm = 0;
  for (gsize i = 0; i < n; i++)
    {
      diff += ((double) got[i] - want[i]) * ((double) got[i] - want[i]);
      norm += (double) want[i] * want[i];
    }
  return sqrt (diff / norm);
}

static double
cosine (const float *a, const float *b, gsize n)
{
  double ab = 0, aa = 0, bb = 0;
  for (gsize i = 0; i < n; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return ab / sqrt (aa * bb);
}

/* bf16 (AVX512_BF16) against fp32 on a tower with every kind of direct
 * convolution: 32×32 and 16×16 planes, and 8×8 and 4×4 ones, which take the
 * direct path only in bf16; the fused first block stays fp32. Same weights,
 * same images: the embeddings within 2 % (relative L2; measured 0.3 %). The
 * gradients of a Siamese loss at random weights depend on differences of
 * nearly equal embeddings and on ReLU and batch-norm boundaries, which
 * bf16's rounding moves: they are checked for direction (cosine above 0.9;
 * measured 0.98-0.99, while a pass paired wrongly gives about 0), each
 * kernel's own error bound being /conv/direct-bf16's. */
static void
test_bf16_matches_fp32 (void)
{
  if (!sf_conv_direct_bf16_available () || g_strcmp0 (sf_conv_direct_kernels (), "AVX-512") != 0)
    {
      g_test_skip ("this CPU (or build) has no AVX512_BF16");
      return;
    }
  const char *spec = "conv8k3-bn-relu pool2 conv8k3-bn-relu pool2 conv16k3-bn-relu pool2 conv32k3-bn-relu gap "
                     "dense16 l2norm";
  const int size = 32, n = 8;
  g_autoptr (GError) error = NULL;
  sf_gemm_set_precision (SF_PRECISION_BF16);
  g_autoptr (SfModel) half = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, size, 3, &error);
  g_assert_no_error (error);
  g_autofree char *kernels = sf_model_describe_kernels (half);
  sf_gemm_set_precision (SF_PRECISION_FP32);
  g_autoptr (SfModel) full = sf_model_new (spec, SF_HEAD_CONTRASTIVE, 2, size, 3, &error);
  g_assert_no_error (error);
  g_autofree char *full_kernels = sf_model_describe_kernels (full);
  g_test_message ("bf16: %s; fp32: %s", kernels, full_kernels);
  g_assert_nonnull (strstr (kernels, "conv8k3 direct AVX-512 bf16"));
  g_assert_nonnull (strstr (kernels, "conv32k3 direct AVX-512 bf16"));  /* the 4×4 planes */
  g_assert_null (strstr (full_kernels, "bf16"));
  gsize n_params = sf_model_n_params (full);
  memcpy (sf_model_params (half), sf_model_params (full), sizeof (float) * n_params);
  SfRng rng;
  sf_rng_seed (&rng, 5);
  g_autofree float *a = random_images (&rng, n, size), *b = random_images (&rng, n, size);
  float targets[8] = { 1, 0, 1, 0, 0, 1, 1, 0 };
  for (int step = 0; step < 2; step++)
    {
      int dim = sf_model_get_embedding_size (full);
      g_autofree float *e_half = g_new (float, (gsize) n * dim), *e_full = g_new (float, (gsize) n * dim);
      sf_gemm_set_precision (SF_PRECISION_BF16);
      g_assert_true (sf_model_embed (half, a, n, e_half, &error));
      sf_gemm_set_precision (SF_PRECISION_FP32);
      g_assert_true (sf_model_embed (full, a, n, e_full, &error));
      double embedding_error = relative_l2 (e_half, e_full, (gsize) n * dim);

      double loss_half, loss_full;
      SfRng r1, r2;
      sf_rng_seed (&r1, 20 + step);
      sf_rng_seed (&r2, 20 + step);
      sf_gemm_set_precision (SF_PRECISION_BF16);
      g_assert_true (sf_model_train_batch (half, a, b, targets, n, &r1, NULL, &loss_half, &error));
      sf_gemm_set_precision (SF_PRECISION_FP32);
      g_assert_true (sf_model_train_batch (full, a, b, targets, n, &r2, NULL, &loss_full, &error));
      const float *g1 = sf_model_grads (half), *g2 = sf_model_grads (full);
      double direction = cosine (g1, g2, n_params);
      g_test_message ("step %d: embeddings %.4f apart (relative L2); loss %.6f (bf16) / %.6f (fp32); gradients' "
                      "cosine %.5f", step, embedding_error, loss_half, loss_full, direction);
      g_assert_cmpfloat (embedding_error, >, 0);   /* bf16 did run */
      g_assert_cmpfloat (embedding_error, <, 0.02);
      g_assert_cmpfloat (fabs (loss_half - loss_full), <, 0.01 * fabs (loss_full));
      g_assert_cmpfloat (direction, >, 0.9);
      float *p1 = sf_model_params (half), *p2 = sf_model_params (full);
      for (gsize i = 0; i < n_params; i++)
        {
          p1[i] -= 0.1f * g2[i];
          p2[i] -= 0.1f * g2[i];
        }
    }
  sf_gemm_set_precision (SF_PRECISION_DEFAULT);
}

/* The same with the direct convolution's AVX2 kernels (the CPUs without
 * AVX-512), forced on an AVX-512 machine too: the fused block and the
 * layer-by-layer path both run them. */
static void
test_first_block_matches_layers_avx2 (void)
{
  sf_conv_direct_force_avx2 (TRUE);
  if (g_strcmp0 (sf_conv_direct_kernels (), "AVX2") != 0)
    {
      sf_conv_direct_force_avx2 (FALSE);
      g_test_skip ("this CPU has no AVX2 and FMA");
      return;
    }
  check_first_block_matches_layers ();
  sf_conv_direct_force_avx2 (FALSE);
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

/* The new layers: strided convolution, residual blocks with an identity and
 * a projection shortcut (the first one as the first layer, whose input needs
 * no gradient), separable convolution, squeeze-and-excitation, average
 * pooling over windows. ReLU kinks inside the blocks: small steps. */
static void
test_gradient_blocks (void)
{
  check_model_gradient ("conv3k3s2-bn-elu res3 res4s2 gap dense6", SF_HEAD_BCE, 8, 1e-4f);
  check_model_gradient ("res3 sep4k3s2 se1 avgpool2 gap dense6 l2norm", SF_HEAD_CONTRASTIVE, 8, 1e-4f);
  check_model_gradient ("conv3k3-elu sep5k5 res5 se2 conv5k3s2-elu avgpool2 flatten dense6", SF_HEAD_BCE, 7, 1e-4f);
}

/* A residual block's convolutions on the fast paths of the plain ones: the
 * direct kernels on planes 16 wide (AVX-512), Winograd with 24 channels on
 * 4×4 planes. */
static void
test_gradient_blocks_fast_paths (void)
{
  check_model_gradient ("conv3k3-bn-elu res3 avgpool2 gap dense6", SF_HEAD_BCE, 16, 1e-4f);
  check_model_gradient ("conv24k3-bn-elu res24 gap dense4", SF_HEAD_CONTRASTIVE, 4, 3e-4f);
}

/* ------------------------------------------------------------------------ */
/* The reference tower: every op in plain loops (the reference twins), for
 * comparing the model's fast paths with                                    */

typedef struct {
  SfModel *model;
  gboolean training;
  float *running;   /* a copy of the parameters whose running statistics the reference updates */
} Reference;

static const float *
ref_tensor (Reference *r, int op, const char *suffix)
{
  g_autofree char *name = g_strdup_printf ("tower.%d.%s", op, suffix);
  const SfTensorInfo *t = sf_model_find_tensor (r->model, name);
  g_assert_nonnull (t);
  return sf_model_params (r->model) + t->offset;
}

/* Batch norm of x[N, C, S] in place, as PyTorch's: batch statistics (biased
 * variance) in training, moving the running ones (unbiased) by 0.1. */
static void
ref_batchnorm (Reference *r, float *x, int N, int C, int S, int op, const char *part)
{
  g_autofree char *w = g_strdup_printf ("%s%sweight", part, *part ? "." : "");
  g_autofree char *b = g_strdup_printf ("%s%sbias", part, *part ? "." : "");
  g_autofree char *m = g_strdup_printf ("%s%srunning_mean", part, *part ? "." : "");
  g_autofree char *v = g_strdup_printf ("%s%srunning_var", part, *part ? "." : "");
  const float *gamma = ref_tensor (r, op, w), *beta = ref_tensor (r, op, b);
  const float *rm = ref_tensor (r, op, m), *rv = ref_tensor (r, op, v);
  float *rm_new = r->running + (rm - sf_model_params (r->model)), *rv_new = r->running + (rv - sf_model_params (r->model));
  for (int c = 0; c < C; c++)
    {
      double mean = rm[c], var = rv[c];
      if (r->training)
        {
          double sum = 0, sq = 0, count = (double) N * S;
          for (int n = 0; n < N; n++)
            for (int s = 0; s < S; s++)
              sum += x[((gsize) n * C + c) * S + s];
          mean = sum / count;
          for (int n = 0; n < N; n++)
            for (int s = 0; s < S; s++)
              sq += pow (x[((gsize) n * C + c) * S + s] - mean, 2);
          var = sq / count;
          rm_new[c] = (float) (0.9 * rm[c] + 0.1 * mean);
          rv_new[c] = (float) (0.9 * rv[c] + 0.1 * sq / (count - 1));
        }
      for (int n = 0; n < N; n++)
        for (int s = 0; s < S; s++)
          {
            float *e = &x[((gsize) n * C + c) * S + s];
            *e = (float) (gamma[c] * (*e - mean) / sqrt (var + SF_BN_EPS) + beta[c]);
          }
    }
}

static void
ref_relu (float *x, gsize n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = MAX (x[i], 0.0f);
}

/* out = conv(x) of op's tensor `weight` (and bias, if given). */
static float *
ref_conv (Reference *r, const float *x, int N, const SfShape *in, int OC, int K, int S, int op, const char *weight,
          const char *bias)
{
  SfConvShape shape = { in->c, in->h, in->w, OC, K, S };
  float *out = g_new (float, (gsize) N * OC * sf_conv_out_side (in->h, S) * sf_conv_out_side (in->w, S));
  sf_conv2d_forward_ref (out, x, ref_tensor (r, op, weight), bias != NULL ? ref_tensor (r, op, bias) : NULL, N,
                         &shape);
  return out;
}

/* The tower on x[N, …] (consumed); returns the embeddings [N, D]. */
static float *
ref_tower (Reference *r, float *x, int N)
{
  const SfTower *tower = sf_model_get_tower (r->model);
  for (int k = 0; k < tower->n_ops; k++)
    {
      const SfOp *op = &tower->ops[k];
      gsize in = (gsize) op->in.c * op->in.h * op->in.w, out = (gsize) op->out.c * op->out.h * op->out.w;
      int S = op->out.h * op->out.w;
      float *y = NULL;
      switch (op->kind)
        {
        case SF_OP_CONV:
          y = ref_conv (r, x, N, &op->in, op->units, op->kernel, op->stride, k, "weight", "bias");
          break;
        case SF_OP_BATCHNORM:
          ref_batchnorm (r, x, N, op->in.c, op->in.h * op->in.w, k, "");
          break;
        case SF_OP_RELU:
          ref_relu (x, N * in);
          break;
        case SF_OP_ELU:
          for (gsize i = 0; i < N * in; i++)
            x[i] = x[i] > 0 ? x[i] : op->value * expm1f (x[i]);
          break;
        case SF_OP_AVGPOOL:
          y = g_new (float, N * out);
          for (gsize i = 0; i < N * out; i++)
            {
              double sum = 0;
              for (int s = 0; s < op->in.h * op->in.w; s++)
                sum += x[i * op->in.h * op->in.w + s];
              y[i] = (float) (sum / (op->in.h * op->in.w));
            }
          break;
        case SF_OP_AVGPOOL_WINDOW:
          y = g_new0 (float, N * out);
          for (gsize i = 0; i < (gsize) N * op->in.c; i++)
            for (int oy = 0; oy < op->out.h; oy++)
              for (int ox = 0; ox < op->out.w; ox++)
                {
                  double sum = 0;
                  for (int dy = 0; dy < op->kernel; dy++)
                    for (int dx = 0; dx < op->kernel; dx++)
                      sum += x[(i * op->in.h + oy * op->kernel + dy) * op->in.w + ox * op->kernel + dx];
                  y[(i * op->out.h + oy) * op->out.w + ox] = (float) (sum / (op->kernel * op->kernel));
                }
          break;
        case SF_OP_FLATTEN:
          break;
        case SF_OP_DENSE:
          y = g_new (float, N * out);
          sf_dense_forward_ref (y, x, ref_tensor (r, k, "weight"), ref_tensor (r, k, "bias"), N, op->in.c, op->units);
          break;
        case SF_OP_L2NORM:
          sf_l2norm_forward (x, x, N, op->in.c);
          break;
        case SF_OP_RESIDUAL:
          {
            float *a = ref_conv (r, x, N, &op->in, op->units, 3, op->stride, k, "conv1.weight", NULL);
            ref_batchnorm (r, a, N, op->units, S, k, "bn1");
            ref_relu (a, N * out);
            y = ref_conv (r, a, N, &op->out, op->units, 3, 1, k, "conv2.weight", NULL);
            ref_batchnorm (r, y, N, op->units, S, k, "bn2");
            float *shortcut = x;
            if (op->projection)
              {
                shortcut = ref_conv (r, x, N, &op->in, op->units, 1, op->stride, k, "shortcut.0.weight", NULL);
                ref_batchnorm (r, shortcut, N, op->units, S, k, "shortcut.1");
              }
            for (gsize i = 0; i < N * out; i++)
              y[i] = MAX (y[i] + shortcut[i], 0.0f);
            if (shortcut != x)
              g_free (shortcut);
            g_free (a);
            break;
          }
        case SF_OP_SEPARABLE:
          {
            const SfShape *mid = &op->parts[0].out;
            gsize mid_size = (gsize) mid->c * mid->h * mid->w;
            float *d = g_new (float, N * mid_size);
            sf_depthwise_forward_ref (d, x, ref_tensor (r, k, "depthwise.weight"), N, op->in.c, op->in.h, op->in.w,
                                      op->kernel, op->stride);
            ref_batchnorm (r, d, N, mid->c, mid->h * mid->w, k, "bn1");
            ref_relu (d, N * mid_size);
            y = ref_conv (r, d, N, mid, op->units, 1, 1, k, "pointwise.weight", NULL);
            ref_batchnorm (r, y, N, op->units, S, k, "bn2");
            ref_relu (y, N * out);
            g_free (d);
            break;
          }
        case SF_OP_SQUEEZE_EXCITE:
          {
            int C = op->in.c, R = op->units;
            float *sq = g_new (float, (gsize) N * C), *hid = g_new (float, (gsize) N * R), *gate = g_new (float, (gsize) N * C);
            y = g_new (float, N * out);
            sf_squeeze_excite_forward_ref (y, sq, hid, gate, x, ref_tensor (r, k, "fc1.weight"),
                                           ref_tensor (r, k, "fc1.bias"), ref_tensor (r, k, "fc2.weight"),
                                           ref_tensor (r, k, "fc2.bias"), N, C, S, R);
            g_free (sq), g_free (hid), g_free (gate);
            break;
          }
        default:
          g_assert_not_reached ();
        }
      if (y != NULL)
        {
          g_free (x);
          x = y;
        }
    }
  return x;
}

/* The model's fast paths (direct, Winograd, im2col, the fused join) against
 * the reference tower: embeddings in evaluation, scores and the running
 * statistics of a training step (batch statistics over both images of every
 * pair), and evaluation again after the step. */
static void
test_blocks_match_reference (void)
{
  static const struct {
    const char *spec;
    int size;
  } cases[] = {
    /* res4 on 16×16 planes: direct (AVX-512); res6s2: im2col stride 2 and 1×1 projection; sep on 8×8. */
    { "conv4k3s2-bn-relu res4 res6s2 sep8k3s2 se2 avgpool2 gap dense5 l2norm", 32 },
    /* 24 channels: Winograd inside the blocks. */
    { "conv24k3-bn-relu res24 res24s2 se3 gap dense6", 8 },
    /* A block first (its input the image itself), a separable conv of one channel. */
    { "res2 sep3k3 conv4k3s3-relu gap dense4", 9 },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const int n = 6, size = cases[c].size;
      g_autoptr (GError) error = NULL;
      g_autoptr (SfModel) model = sf_model_new (cases[c].spec, SF_HEAD_BCE, 1, size, 11, &error);
      g_assert_no_error (error);
      SfRng rng;
      sf_rng_seed (&rng, 12);
      /* Some life in the batch norms and biases. */
      float *p = sf_model_params (model);
      for (int k = 0; k < sf_model_n_tensors (model); k++)
        {
          const SfTensorInfo *t = sf_model_tensor (model, k);
          if (t->rank == 1)
            for (gsize i = 0; i < t->size; i++)
              p[t->offset + i] += (float) (g_str_has_suffix (t->name, "running_var") ? sf_rng_uniform (&rng)
                                                                                       : 0.4 * sf_rng_uniform (&rng) - 0.2);
        }
      int D = sf_model_get_embedding_size (model);
      gsize np = sf_model_n_params (model), px = (gsize) size * size;
      float *a = random_images (&rng, n, size), *b = random_images (&rng, n, size), targets[6], scores[6];
      for (int k = 0; k < n; k++)
        targets[k] = k % 2;
      g_autofree char *what = g_strdup (cases[c].spec);

      for (int round = 0; round < 2; round++)
        {
          /* Evaluation. */
          float *got = g_new (float, 2 * n * D);
          g_assert_true (sf_model_embed (model, a, n, got, &error));
          g_assert_true (sf_model_embed (model, b, n, got + n * D, &error));
          Reference r = { model, FALSE, g_memdup2 (p, sizeof (float) * np) };
          float *x = g_new (float, 2 * n * px);
          memcpy (x, a, sizeof (float) * n * px);
          memcpy (x + n * px, b, sizeof (float) * n * px);
          float *want = ref_tower (&r, x, 2 * n);
          for (int i = 0; i < 2 * n * D; i++)
            if (fabs (got[i] - want[i]) > 1e-4 * MAX (1, fabs (want[i])))
              {
                g_test_message ("%s: evaluation embedding %d: %g, reference %g", what, i, got[i], want[i]);
                g_test_fail ();
                break;
              }
          g_free (got), g_free (want), g_free (r.running);

          /* Training: one batch of the 2n images; the bce head's scores from the reference's embeddings. */
          r = (Reference) { model, TRUE, g_memdup2 (p, sizeof (float) * np) };
          x = g_new (float, 2 * n * px);
          memcpy (x, a, sizeof (float) * n * px);
          memcpy (x + n * px, b, sizeof (float) * n * px);
          want = ref_tower (&r, x, 2 * n);
          double loss;
          g_assert_true (sf_model_train_batch (model, a, b, targets, n, &rng, scores, &loss, &error));
          for (int k = 0; k < n; k++)
            {
              float d = sf_model_distance (model, want + k * D, want + (n + k) * D);
              float score = sf_model_score_distance (model, d);
              if (fabs (scores[k] - score) > 1e-4)
                {
                  g_test_message ("%s: training score %d: %g, reference %g", what, k, scores[k], score);
                  g_test_fail ();
                }
            }
          for (int k = 0; k < sf_model_n_tensors (model); k++)
            {
              const SfTensorInfo *t = sf_model_tensor (model, k);
              if (t->trainable)
                continue;
              for (gsize i = t->offset; i < t->offset + t->size; i++)
                if (fabs (p[i] - r.running[i]) > 1e-4 * MAX (1, fabs (r.running[i])))
                  {
                    g_test_message ("%s: %s: %g, reference %g", what, t->name, p[i], r.running[i]);
                    g_test_fail ();
                    break;
                  }
            }
          g_free (want), g_free (r.running);
          /* A step of plain gradient descent, then again. */
          for (gsize i = 0; i < np; i++)
            p[i] -= 0.05f * sf_model_grads (model)[i];
        }
      g_free (a), g_free (b);
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

static gboolean
on_cache_line (const void *p)
{
  return p == NULL || (guintptr) p % 64 == 0;
}

static void
test_buffers_on_cache_lines (void)
{
  /* The compact preset's stages (a fused first block, direct and Winograd
   * convolutions, batch norm, pooling) and a batch large enough that glibc
   * maps its buffers, 16 bytes past a page boundary, when unaligned. */
  const int size = 64, n = 40;
  g_autoptr (GError) error = NULL;
  g_autoptr (SfModel) model = sf_model_new ("compact", SF_HEAD_CONTRASTIVE, 2, size, 9, &error);
  g_assert_no_error (error);
  SfRng rng;
  sf_rng_seed (&rng, 3);
  float *a = random_images (&rng, n, size), *b = random_images (&rng, n, size), targets[40];
  for (int k = 0; k < n; k++)
    targets[k] = k % 2;
  double loss;
  g_assert_true (sf_model_train_batch (model, a, b, targets, n, &rng, NULL, &loss, &error));
  g_assert_true (on_cache_line (model->input));
  g_assert_true (on_cache_line (model->grad_buf[0]));
  g_assert_true (on_cache_line (model->grad_buf[1]));
  g_assert_cmpuint (model->workspace_stride % 16, ==, 0);
  for (int w = 0; w < model->n_workers; w++)
    g_assert_true (on_cache_line (model->workspace + (gsize) w * model->workspace_stride));
  int convs = 0;
  for (int s = 0; s < model->n_stages; s++)
    {
      Stage *st = &model->stages[s];
      g_assert_true (on_cache_line (st->out_buf));
      g_assert_true (on_cache_line (st->aux));
      if (st->kind != STAGE_CONV)
        continue;
      convs++;
      ConvStage *cs = &st->u.conv;
      g_assert_true (on_cache_line (cs->cache));
      for (int g = 0; g < model->n_groups && cs->dacc != NULL; g++)
        g_assert_true (on_cache_line (cs->dacc + (gsize) g * cs->dacc_stride));
    }
  g_assert_cmpint (convs, ==, 5);
  g_free (a), g_free (b);
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
  g_test_add_func ("/model/block-tensors", test_block_tensors);
  g_test_add_func ("/model/block-checkpoint", test_block_checkpoint);
  g_test_add_func ("/model/gradient/bce", test_gradient_bce);
  g_test_add_func ("/model/gradient/contrastive", test_gradient_contrastive);
  g_test_add_func ("/model/gradient/article-like", test_gradient_article_like);
  g_test_add_func ("/model/gradient/l2norm", test_gradient_l2norm);
  g_test_add_func ("/model/gradient/direct-conv", test_gradient_direct_conv);
  g_test_add_func ("/model/gradient/first-block", test_gradient_first_block);
  g_test_add_func ("/model/gradient/blocks", test_gradient_blocks);
  g_test_add_func ("/model/gradient/blocks-fast-paths", test_gradient_blocks_fast_paths);
  g_test_add_func ("/model/blocks-match-reference", test_blocks_match_reference);
  g_test_add_func ("/model/first-block-matches-layers", test_first_block_matches_layers);
  g_test_add_func ("/model/first-block-matches-layers-avx2", test_first_block_matches_layers_avx2);
  g_test_add_func ("/model/bf16-matches-fp32", test_bf16_matches_fp32);
  g_test_add_func ("/model/embed-mirrored", test_embed_mirrored);
  g_test_add_func ("/model/groups-add-up", test_groups_add_up);
  g_test_add_func ("/model/buffers-on-cache-lines", test_buffers_on_cache_lines);
  g_test_add_func ("/model/evaluate-embed-copy", test_evaluate_embed_copy);
  g_test_add_func ("/model/determinism", test_determinism);
  g_test_add_func ("/model/overfit/bce", test_overfit_bce);
  g_test_add_func ("/model/overfit/contrastive", test_overfit_contrastive);
  g_test_add_func ("/model/errors", test_errors);
  return g_test_run ();
}
