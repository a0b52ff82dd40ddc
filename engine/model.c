/* The Siamese model's life and its passes over pairs: creation and copies,
 * training and evaluation steps, embeddings and scores; see model.h. The
 * parameter table is in model-params.c, the stages and buffers in
 * model-plan.c, running them in model-run.c. */
#include "model-private.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "heads.h"
#include "parallel.h"

/* Pairs per forward/backward piece when the tower has no batch norm. */
#define GROUP_PAIRS 64

/* ------------------------------------------------------------------------ */
/* Heads                                                                    */

static const char *head_names[] = { "bce", "contrastive" };

const char *
sf_head_kind_name (SfHeadKind kind)
{
  return (guint) kind < G_N_ELEMENTS (head_names) ? head_names[kind] : "unknown";
}

gboolean
sf_head_kind_parse (const char *name, SfHeadKind *kind)
{
  for (guint k = 0; name != NULL && k < G_N_ELEMENTS (head_names); k++)
    if (g_ascii_strcasecmp (name, head_names[k]) == 0)
      {
        *kind = (SfHeadKind) k;
        return TRUE;
      }
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Construction                                                             */

SfModel *
sf_model_new (const char *spec, SfHeadKind head, float margin, int input_size, guint64 seed, GError **error)
{
  if ((guint) head >= G_N_ELEMENTS (head_names))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "unknown head %d", (int) head);
      return NULL;
    }
  if (head == SF_HEAD_CONTRASTIVE && !(margin > 0 && isfinite (margin)))
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "the contrastive margin must be positive, not %g", margin);
      return NULL;
    }
  const char *preset = sf_spec_preset (spec);
  SfTower *tower = sf_tower_parse (preset != NULL ? preset : spec, input_size, error);
  if (tower == NULL)
    return NULL;

  SfModel *model = g_new0 (SfModel, 1);
  model->tower = tower;
  model->head = head;
  model->margin = head == SF_HEAD_CONTRASTIVE ? margin : 1.0f;
  model->seed = seed;
  model->n_workers = sf_parallel_n_workers ();
  model->n_groups = model->n_workers;
  model->fuse_first_block = TRUE;
  if (!_sf_model_build_params (model, error))
    {
      sf_model_free (model);
      return NULL;
    }
  _sf_model_initialise (model, seed);
  if (!_sf_model_plan_stages (model, error))
    {
      sf_model_free (model);
      return NULL;
    }
  return model;
}

void
sf_model_free (SfModel *model)
{
  if (model == NULL)
    return;
  _sf_model_free_buffers (model);
  _sf_model_free_stages (model);
  for (int k = 0; k < model->n_tensors; k++)
    g_free ((char *) model->tensors[k].name);
  g_free (model->tensors);
  g_free (model->params);
  g_free (model->grads);
  g_free (model->trainable);
  sf_tower_free (model->tower);
  g_free (model);
}

SfModel *
sf_model_copy (const SfModel *model)
{
  SfModel *copy = sf_model_new (model->tower->spec, model->head, model->margin, model->tower->input_size,
                                model->seed, NULL);
  if (copy == NULL)
    return NULL;
  sf_model_set_fused_first_block (copy, model->fuse_first_block);
  sf_model_copy_params (copy, model);
  return copy;
}

gboolean
sf_model_copy_params (SfModel *dst, const SfModel *src)
{
  if (dst->n_params != src->n_params || dst->head != src->head
      || g_strcmp0 (dst->tower->spec, src->tower->spec) != 0 || dst->tower->input_size != src->tower->input_size)
    return FALSE;
  memcpy (dst->params, src->params, sizeof (float) * src->n_params);
  dst->steps = src->steps;
  dst->margin = src->margin;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Public passes                                                            */

static void
stack_pairs (SfModel *model, const float *images_a, const float *images_b, int n)
{
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  memcpy (model->input, images_a, sizeof (float) * n * size);
  memcpy (model->input + n * size, images_b, sizeof (float) * n * size);
}

/* Head forward on the embeddings [2n, D]: scores[n]; returns Σ loss. */
static double
head_forward (SfModel *model, const float *embeddings, const float *targets, int n, float *scores)
{
  int D = model->tower->embedding_size;
  sf_distance_forward (model->dist, embeddings, embeddings + (gsize) n * D, n, D);
  if (model->head == SF_HEAD_BCE)
    return sf_bce_head_forward (scores, model->dist, targets, model->params[model->head_weight],
                                model->params[model->head_bias], n);
  return sf_contrastive_head_forward (scores, model->dist, targets, model->margin, n);
}

/* Into grad_buf[0] [2n, D], and the head's parameters. */
static void
head_backward (SfModel *model, const float *embeddings, const float *targets, int n, float scale)
{
  int D = model->tower->embedding_size;
  if (model->head == SF_HEAD_BCE)
    sf_bce_head_backward (model->ddist, model->grads + model->head_weight, model->grads + model->head_bias,
                          model->dist, targets, model->params[model->head_weight], model->params[model->head_bias],
                          n, scale);
  else
    sf_contrastive_head_backward (model->ddist, model->dist, targets, model->margin, n, scale);
  float *de = model->grad_buf[0];
  sf_distance_backward (de, de + (gsize) n * D, model->ddist, embeddings, embeddings + (gsize) n * D, n, D);
}

static gboolean
check_count (int n, GError **error)
{
  if (n < 1 || n > G_MAXINT / 4)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "a batch needs at least one pair, not %d", n);
      return FALSE;
    }
  return TRUE;
}

static gboolean train_batch (SfModel *model, const float *images_a, const float *images_b, const float *targets,
                             const int *labels_a, const int *labels_b, int n, SfRng *rng, float *scores,
                             double *loss, GError **error);

gboolean
sf_model_train_batch (SfModel *model, const float *images_a, const float *images_b, const float *targets, int n,
                      SfRng *rng, float *scores, double *loss, GError **error)
{
  return train_batch (model, images_a, images_b, targets, NULL, NULL, n, rng, scores, loss, error);
}

gboolean
sf_model_train_batch_all_pairs (SfModel *model, const float *images_a, const float *images_b, const float *targets,
                                const int *labels_a, const int *labels_b, int n, float temperature, SfRng *rng,
                                float *scores, double *loss, GError **error)
{
  g_return_val_if_fail (labels_a != NULL && labels_b != NULL, FALSE);
  if (model->head != SF_HEAD_CONTRASTIVE)
    labels_a = labels_b = NULL;
  /* The softmax loss wants embeddings on the unit sphere; elsewhere the contrastive one stands in. */
  const SfTower *tower = model->tower;
  model->temperature = tower->ops[tower->n_ops - 1].kind == SF_OP_L2NORM ? temperature : 0;
  gboolean ok = train_batch (model, images_a, images_b, targets, labels_a, labels_b, n, rng, scores, loss, error);
  model->temperature = 0;
  return ok;
}

static gboolean
train_batch (SfModel *model, const float *images_a, const float *images_b, const float *targets,
             const int *labels_a, const int *labels_b, int n, SfRng *rng, float *scores, double *loss,
             GError **error)
{
  g_return_val_if_fail (targets != NULL && rng != NULL, FALSE);
  if (!check_count (n, error))
    return FALSE;
  /* Batch norm needs the whole batch at once; without it pieces add up to the same gradient. */
  int group = model->has_batchnorm ? n : MIN (n, GROUP_PAIRS);
  if (!_sf_model_ensure_capacity (model, 2 * group, error))
    return FALSE;
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  memset (model->grads, 0, sizeof (float) * model->n_params);
  _sf_model_prepare_weights (model);
  double total = 0;
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      stack_pairs (model, images_a + start * size, images_b + start * size, m);
      const float *embeddings = _sf_model_forward (model, 2 * m, TRUE, rng);
      double pairs_loss = head_forward (model, embeddings, targets + start, m,
                                        scores != NULL ? scores + start : model->scores);
      if (labels_a != NULL)
        {
          /* Every pair of the group's 2m images, weighted by the group's share of the batch. */
          g_autofree int *labels = g_new (int, 2 * m);
          memcpy (labels, labels_a + start, sizeof (int) * m);
          memcpy (labels + m, labels_b + start, sizeof (int) * m);
          int D = model->tower->embedding_size;
          total += m * (model->temperature > 0
                          ? sf_all_pairs_softmax (model->grad_buf[0], embeddings, labels, 2 * m, D,
                                                  model->temperature, (float) m / n)
                          : sf_all_pairs_contrastive (model->grad_buf[0], embeddings, labels, 2 * m, D,
                                                      model->margin, (float) m / n));
        }
      else
        {
          total += pairs_loss;
          head_backward (model, embeddings, targets + start, m, 1.0f / n);
        }
      _sf_model_backward (model, 2 * m);
    }
  model->steps++;
  if (loss != NULL)
    *loss = total / n;
  return TRUE;
}

gboolean
sf_model_evaluate_batch (SfModel *model, const float *images_a, const float *images_b, const float *targets,
                         int n, float *scores, double *loss, GError **error)
{
  if (!check_count (n, error))
    return FALSE;
  int group = MIN (n, GROUP_PAIRS);
  if (!_sf_model_ensure_capacity (model, 2 * group, error))
    return FALSE;
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  _sf_model_prepare_weights (model);
  double total = 0;
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      stack_pairs (model, images_a + start * size, images_b + start * size, m);
      const float *embeddings = _sf_model_forward (model, 2 * m, FALSE, NULL);
      total += head_forward (model, embeddings, targets != NULL ? targets + start : NULL, m,
                             scores != NULL ? scores + start : model->scores);
    }
  if (loss != NULL)
    *loss = targets != NULL ? total / n : NAN;
  return TRUE;
}

gboolean
sf_model_embed (SfModel *model, const float *images, int n, float *embeddings, GError **error)
{
  if (!check_count (n, error))
    return FALSE;
  int group = MIN (n, 2 * GROUP_PAIRS);
  if (!_sf_model_ensure_capacity (model, group, error))
    return FALSE;
  gsize size = (gsize) model->tower->input_size * model->tower->input_size;
  int D = model->tower->embedding_size;
  _sf_model_prepare_weights (model);
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      memcpy (model->input, images + start * size, sizeof (float) * m * size);
      const float *e = _sf_model_forward (model, m, FALSE, NULL);
      memcpy (embeddings + (gsize) start * D, e, sizeof (float) * m * D);
    }
  return TRUE;
}

gboolean
sf_model_embed_mirrored (SfModel *model, const float *images, int n, float *embeddings, GError **error)
{
  if (!check_count (n, error))
    return FALSE;
  int group = MIN (n, 2 * GROUP_PAIRS);
  if (!_sf_model_ensure_capacity (model, 2 * group, error))
    return FALSE;
  int side = model->tower->input_size;
  gsize size = (gsize) side * side;
  int D = model->tower->embedding_size;
  const SfTower *tower = model->tower;
  gboolean unit = tower->ops[tower->n_ops - 1].kind == SF_OP_L2NORM;
  _sf_model_prepare_weights (model);
  for (int start = 0; start < n; start += group)
    {
      int m = MIN (group, n - start);
      /* The images, then their mirrors, in one pass (as one batch would be). */
      memcpy (model->input, images + start * size, sizeof (float) * m * size);
      for (int i = 0; i < m; i++)
        for (int y = 0; y < side; y++)
          {
            const float *row = images + (start + i) * size + (gsize) y * side;
            float *mirror = model->input + (m + i) * size + (gsize) y * side;
            for (int x = 0; x < side; x++)
              mirror[x] = row[side - 1 - x];
          }
      const float *e = _sf_model_forward (model, 2 * m, FALSE, NULL);
      for (int i = 0; i < m; i++)
        {
          float *out = embeddings + (gsize) (start + i) * D;
          const float *a = e + (gsize) i * D, *b = e + (gsize) (m + i) * D;
          for (int k = 0; k < D; k++)
            out[k] = 0.5f * (a[k] + b[k]);
          if (unit)
            sf_l2norm_forward (out, out, 1, D);
        }
    }
  return TRUE;
}

float
sf_model_distance (const SfModel *model, const float *embedding_a, const float *embedding_b)
{
  float d;
  sf_distance_forward (&d, embedding_a, embedding_b, 1, model->tower->embedding_size);
  return d;
}

float
sf_model_score_distance (const SfModel *model, float distance)
{
  float score;
  if (model->head == SF_HEAD_BCE)
    sf_bce_head_forward (&score, &distance, NULL, model->params[model->head_weight],
                         model->params[model->head_bias], 1);
  else
    sf_contrastive_head_forward (&score, &distance, NULL, model->margin, 1);
  return score;
}

/* ------------------------------------------------------------------------ */
/* Accessors                                                                */

const SfTower *
sf_model_get_tower (const SfModel *model)
{
  return model->tower;
}

const char *
sf_model_get_spec (const SfModel *model)
{
  return model->tower->spec;
}

SfHeadKind
sf_model_get_head (const SfModel *model)
{
  return model->head;
}

float
sf_model_get_margin (const SfModel *model)
{
  return model->margin;
}

int
sf_model_get_input_size (const SfModel *model)
{
  return model->tower->input_size;
}

int
sf_model_get_embedding_size (const SfModel *model)
{
  return model->tower->embedding_size;
}

gint64
sf_model_get_train_steps (const SfModel *model)
{
  return model->steps;
}

void
sf_model_set_train_steps (SfModel *model, gint64 steps)
{
  model->steps = steps;
}

guint64
sf_model_get_first_block_passes (const SfModel *model)
{
  return model->first_block_passes;
}
