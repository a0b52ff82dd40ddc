/* The fused first block of a grey-image tower; see first-block.h. */
#include "first-block.h"

#include <string.h>

#include "batchnorm.h"
#include "conv-direct.h"
#include "simd.h"

/* The backward pass correlates the input with OC + 10 planes at once: the
 * full-size gradients, the input shifted by each of the 9 taps (for the
 * autocorrelation) and a plane of ones (for the shifted sums). */
#define EXTRA_PLANES 10

gboolean
sf_first_block_fits (const SfConv *conv, SfAct act, int pool)
{
  const SfConvShape *s = &conv->shape;
  return conv->algo == SF_CONV_DIRECT && s->C == 1 && s->K == 3 && pool == 2 && s->H % 2 == 0 && s->W % 2 == 0
         && (act.kind == SF_ACT_RELU || act.kind == SF_ACT_NONE);
}

gsize
sf_first_block_scratch_size (const SfConv *conv)
{
  const SfConvShape *s = &conv->shape;
  gsize planes = (gsize) s->OC + EXTRA_PLANES;
  return planes * s->H * s->W + planes * 9 * 16;
}

/* scratch[OC, H, W] = the convolution of one image, bias included. */
static void
convolve (float *scratch, const SfConv *conv, const float *cache, const float *bias, const float *image)
{
  const SfConvShape *s = &conv->shape;
  gsize hw = (gsize) s->H * s->W;
  SfPlaneStrides at = { (gsize) s->OC * hw, hw };
  sf_conv_direct_forward (scratch, at, bias, image, cache, 1, 1, s->OC, s->H, s->W);
}

void
sf_first_block_moments (double *sums, const SfConv *conv, const float *cache, const float *bias, const float *inp,
                        int n, float *scratch)
{
  const SfConvShape *s = &conv->shape;
  gsize hw = (gsize) s->H * s->W;
  for (int img = 0; img < n; img++)
    {
      convolve (scratch, conv, cache, bias, inp + img * hw);
      for (int o = 0; o < s->OC; o++)
        sf_shifted_sums (scratch + o * hw, hw, bias[o], &sums[2 * o], &sums[2 * o + 1]);
    }
}

void
sf_first_block_forward (float *out, guint8 *argmax, float *at_max, const SfConv *conv, const float *cache,
                        const float *bias, const float *scale, const float *shift, SfAct act, const float *inp, int n,
                        float *scratch)
{
  const SfConvShape *s = &conv->shape;
  gsize hw = (gsize) s->H * s->W, pooled = (gsize) (s->H / 2) * (s->W / 2);
  for (int img = 0; img < n; img++)
    {
      convolve (scratch, conv, cache, bias, inp + img * hw);
      for (int o = 0; o < s->OC; o++)
        {
          gsize at = ((gsize) img * s->OC + o) * pooled;
          sf_pool2_plane_forward (out + at, argmax + at, at_max + at, scratch + o * hw, s->H, s->W, scale[o],
                                  shift[o], act);
        }
    }
}

SfFirstBlockSums *
sf_first_block_sums_new (int OC)
{
  SfFirstBlockSums *sums = g_new0 (SfFirstBlockSums, 1);
  sums->OC = OC;
  sums->sum_g = g_new0 (double, OC);
  sums->sum_gx = g_new0 (double, OC);
  sums->dsparse = g_new0 (double, (gsize) OC * 9);
  return sums;
}

void
sf_first_block_sums_free (SfFirstBlockSums *sums)
{
  if (sums == NULL)
    return;
  g_free (sums->sum_g);
  g_free (sums->sum_gx);
  g_free (sums->dsparse);
  g_free (sums);
}

void
sf_first_block_sums_clear (SfFirstBlockSums *sums)
{
  memset (sums->sum_g, 0, sizeof (double) * sums->OC);
  memset (sums->sum_gx, 0, sizeof (double) * sums->OC);
  memset (sums->dsparse, 0, sizeof (double) * sums->OC * 9);
  memset (sums->shifted, 0, sizeof sums->shifted);
  memset (sums->products, 0, sizeof sums->products);
}

/* *sum_g += Σ g and *sum_gx += Σ g·x over one pooled plane, g = dout·act'(out). */
static SF_HOT void
pooled_sums (const float *dout, const float *out, const float *x, gsize n, gboolean relu, double *sum_g,
             double *sum_gx)
{
  float acc_g[16] = { 0 }, acc_gx[16] = { 0 };
  gsize i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; j++)
      {
        float g = relu && !(out[i + j] > 0) ? 0.0f : dout[i + j];
        acc_g[j] += g;
        acc_gx[j] += g * x[i + j];
      }
  double sg = 0, sgx = 0;
  for (; i < n; i++)
    {
      float g = relu && !(out[i] > 0) ? 0.0f : dout[i];
      sg += g;
      sgx += (double) g * x[i];
    }
  for (int j = 0; j < 16; j++)
    {
      sg += acc_g[j];
      sgx += acc_gx[j];
    }
  *sum_g += sg;
  *sum_gx += sgx;
}

/* plane[H, W] = image shifted so that plane[y, x] = image[y + dy, x + dx], 0 outside. */
static void
shifted_plane (float *plane, const float *image, int H, int W, int dy, int dx)
{
  int x0 = MAX (0, -dx), x1 = MIN (W, W - dx);
  for (int y = 0; y < H; y++)
    {
      float *row = plane + (gsize) y * W;
      int sy = y + dy;
      if (sy < 0 || sy >= H || x1 <= x0)
        {
          memset (row, 0, sizeof (float) * W);
          continue;
        }
      memset (row, 0, sizeof (float) * x0);
      memcpy (row + x0, image + (gsize) sy * W + x0 + dx, sizeof (float) * (x1 - x0));
      memset (row + x1, 0, sizeof (float) * (W - x1));
    }
}

void
sf_first_block_backward (SfFirstBlockSums *sums, const SfConv *conv, SfAct act, const float *dout, const float *out,
                         const guint8 *argmax, const float *at_max, const float *inp, int n, float *scratch)
{
  const SfConvShape *s = &conv->shape;
  int OC = s->OC, planes = OC + EXTRA_PLANES;
  gsize hw = (gsize) s->H * s->W, pooled = (gsize) (s->H / 2) * (s->W / 2);
  float *full = scratch, *partial = scratch + (gsize) planes * hw;
  SfPlaneStrides at = { (gsize) planes * hw, hw };
  float *ones = full + (gsize) (OC + 9) * hw;
  for (gsize i = 0; i < hw; i++)
    ones[i] = 1;
  for (int img = 0; img < n; img++)
    {
      const float *image = inp + img * hw;
      for (int o = 0; o < OC; o++)
        {
          gsize q = ((gsize) img * OC + o) * pooled;
          sf_pool2_plane_gradient (full + o * hw, dout + q, out + q, argmax + q, s->H, s->W, act);
          pooled_sums (dout + q, out + q, at_max + q, pooled, act.kind == SF_ACT_RELU, &sums->sum_g[o],
                       &sums->sum_gx[o]);
        }
      for (int t = 0; t < 9; t++)
        shifted_plane (full + (gsize) (OC + t) * hw, image, s->H, s->W, t / 3 - 1, t % 3 - 1);
      /* partial[plane, tap, lane] = Σ plane·(image shifted by the tap), then each
       * image's sums go to doubles, lanes in order. In fp32 whatever the
       * precision: the weight gradient is these sums less the batch norm's
       * corrections, a small difference of large terms that bf16's 8 bits
       * would swamp (docs/PERFORMANCE.md, "The direct convolution in bf16"). */
      memset (partial, 0, sizeof (float) * planes * 9 * 16);
      sf_conv_direct_backward_weight_fp32 (partial, full, at, image, 1, 1, planes, s->H, s->W);
      for (int p = 0; p < planes; p++)
        for (int t = 0; t < 9; t++)
          {
            double sum = 0;
            for (int lane = 0; lane < 16; lane++)
              sum += partial[((gsize) p * 9 + t) * 16 + lane];
            if (p < OC)
              sums->dsparse[p * 9 + t] += sum;
            else if (p < OC + 9)
              sums->products[(p - OC) * 9 + t] += sum;
            else
              sums->shifted[t] += sum;
          }
    }
}

void
sf_first_block_finish (float *dweight, float *dbias, float *dgamma, float *dbeta, SfFirstBlockSums *const *sums,
                       int n_sums, const float *weight, const float *bias, const float *gamma, const float *mean,
                       const float *invstd, double count)
{
  int OC = sums[0]->OC;
  double shifted[9] = { 0 }, products[81] = { 0 };
  for (int k = 0; k < n_sums; k++)
    {
      for (int t = 0; t < 9; t++)
        shifted[t] += sums[k]->shifted[t];
      for (int t = 0; t < 81; t++)
        products[t] += sums[k]->products[t];
    }
  for (int o = 0; o < OC; o++)
    {
      double sum_g = 0, sum_gx = 0, dsparse[9] = { 0 };
      for (int k = 0; k < n_sums; k++)
        {
          sum_g += sums[k]->sum_g[o];
          sum_gx += sums[k]->sum_gx[o];
          for (int t = 0; t < 9; t++)
            dsparse[t] += sums[k]->dsparse[o * 9 + t];
        }
      const float *w = weight + o * 9;
      double mu = mean[o], is = invstd[o];
      /* As batch norm's backward: dx = k·(count·g − Σg − x̂·Σg·x̂) spread
       * over the full-size plane, with x̂ = (x − mu)·is and
       * x = bias + Σ_u w_u·input shifted by u. */
      double sum_gxhat = is * (sum_gx - mu * sum_g);
      double k = gamma[o] * is / count;
      dbeta[o] += (float) sum_g;
      dgamma[o] += (float) sum_gxhat;
      double sum_x = bias[o] * count;
      for (int u = 0; u < 9; u++)
        sum_x += w[u] * shifted[u];
      dbias[o] += (float) (-k * sum_gxhat * is * (sum_x - mu * count));
      for (int t = 0; t < 9; t++)
        {
          double x_input = bias[o] * shifted[t];
          for (int u = 0; u < 9; u++)
            x_input += w[u] * products[u * 9 + t];
          double xhat_input = is * (x_input - mu * shifted[t]);
          dweight[o * 9 + t] += (float) (k * (count * dsparse[t] - sum_g * shifted[t] - sum_gxhat * xhat_input));
        }
    }
}
