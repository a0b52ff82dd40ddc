/* Throwaway timing of the model (not a test): one epoch of the article's
 * setting, 720 training pairs in batches of 64 and 80 validation pairs, with
 * nominal GFLOP/s (direct-convolution FLOPs over wall time) and peak RSS.
 *
 *   cc -O2 tests/bench-model.c -Iengine $(pkg-config --cflags glib-2.0) \
 *      build-net/engine/libsf-engine.a $(pkg-config --libs glib-2.0 gio-2.0 json-glib-1.0 libpng zlib openblas) -lm
 *   ./a.out [spec|article|compact] [batch] [epochs] [train pairs] [validation pairs] */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "blas.h"
#include "model.h"
#include "parallel.h"

int
main (int argc, char **argv)
{
  sf_blas_ensure_fast_kernels (argc, argv);
  const char *spec = argc > 1 ? argv[1] : "article";
  int batch = argc > 2 ? atoi (argv[2]) : 64;
  int epochs = argc > 3 ? atoi (argv[3]) : 3;
  int n_train = argc > 4 ? atoi (argv[4]) : 720;
  int n_valid = argc > 5 ? atoi (argv[5]) : 80;
  const int size = 64;
  GError *error = NULL;
  SfModel *model = sf_model_new (spec, SF_HEAD_BCE, 1, size, 1, &error);
  if (model == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  SfRng rng;
  sf_rng_seed (&rng, 1);
  gsize image = (gsize) size * size;
  float *a = g_new (float, (gsize) batch * image), *b = g_new (float, (gsize) batch * image);
  float *targets = g_new (float, batch), *scores = g_new (float, batch);
  for (gsize i = 0; i < (gsize) batch * image; i++)
    {
      a[i] = (float) sf_rng_uniform (&rng);
      b[i] = (float) sf_rng_uniform (&rng);
    }
  for (int k = 0; k < batch; k++)
    targets[k] = k % 2;

  const SfTower *tower = sf_model_get_tower (model);
  /* Nominal: forward 2 images per pair; training 3× forward minus the first conv's input gradient. */
  double first_conv = tower->ops[0].kind == SF_OP_CONV ? tower->ops[0].flops : 0;
  double train_flops = 2 * (3 * tower->flops - first_conv), eval_flops = 2 * tower->flops;
  double epoch_flops = n_train * train_flops + n_valid * eval_flops;
  printf ("%s\nkernels %s, %d workers, %.3f GFLOP per pair forward, %.2f TFLOP per epoch\n", sf_model_get_spec (model),
          sf_blas_kernel_name (), sf_parallel_n_workers (), eval_flops / 1e9, epoch_flops / 1e12);

  double best_epoch = 1e9, best_batch = 1e9;
  for (int e = 0; e < epochs; e++)
    {
      gint64 t0 = g_get_monotonic_time ();
      for (int start = 0; start < n_train; start += batch)
        {
          int n = MIN (batch, n_train - start);
          double loss;
          gint64 tb = g_get_monotonic_time ();
          if (!sf_model_train_batch (model, a, b, targets, n, &rng, scores, &loss, &error))
            {
              fprintf (stderr, "%s\n", error->message);
              return 1;
            }
          /* Stand-in for the optimizer: a plain SGD pass over the buffer. */
          float *p = sf_model_params (model), *g = sf_model_grads (model);
          for (gsize i = 0; i < sf_model_n_params (model); i++)
            p[i] -= 1e-4f * g[i];
          if (n == batch)
            best_batch = MIN (best_batch, (g_get_monotonic_time () - tb) / 1e6);
        }
      gint64 t1 = g_get_monotonic_time ();
      for (int start = 0; start < n_valid; start += batch)
        {
          int n = MIN (batch, n_valid - start);
          double loss;
          if (!sf_model_evaluate_batch (model, a, b, targets, n, scores, &loss, &error))
            return 1;
        }
      gint64 t2 = g_get_monotonic_time ();
      double seconds = (t2 - t0) / 1e6;
      best_epoch = MIN (best_epoch, seconds);
      printf ("epoch %d: %.2f s (train %.2f s, validation %.2f s), %.0f GFLOP/s nominal\n", e + 1, seconds,
              (t1 - t0) / 1e6, (t2 - t1) / 1e6, epoch_flops / seconds / 1e9);
      fflush (stdout);
    }
  struct rusage usage;
  getrusage (RUSAGE_SELF, &usage);
  printf ("best epoch %.2f s (%.0f GFLOP/s nominal); best batch of %d pairs %.3f s (%.0f GFLOP/s); peak RSS %.0f MiB\n",
          best_epoch, epoch_flops / best_epoch / 1e9, batch, best_batch, batch * train_flops / best_batch / 1e9,
          usage.ru_maxrss / 1024.0);
  sf_model_free (model);
  return 0;
}
