/* PCA through the covariance matrix and LAPACK's ssyevr; see pca.h. */
#include "pca.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "error.h"

/* LAPACK's symmetric eigensolver (Relatively Robust Representations), exported
 * by OpenBLAS; Debian ships no lapacke.h for it. The trailing lengths are the
 * hidden lengths of the character arguments of a gfortran-built LAPACK. */
extern void ssyevr_ (const char *jobz, const char *range, const char *uplo, const int *n, float *a, const int *lda,
                     const float *vl, const float *vu, const int *il, const int *iu, const float *abstol, int *m,
                     float *w, float *z, const int *ldz, int *isuppz, float *work, const int *lwork, int *iwork,
                     const int *liwork, int *info, size_t jobz_len, size_t range_len, size_t uplo_len);

gboolean
sf_pca (const float *points, int n, int d, int k, float *projected, float *components, float *variances,
        float *mean, GError **error)
{
  g_return_val_if_fail (points != NULL && projected != NULL, FALSE);

  if (n < 1 || d < 1 || k < 1 || k > d || d > 1 << 14)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_INVALID, "PCA of %d points of dimension %d onto %d components", n, d, k);
      return FALSE;
    }

  /* centred[n, d] = points - mean; covariance[d, d] = centredᵀ centred / max(n - 1, 1). */
  g_autofree double *sum = g_new0 (double, d);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      sum[j] += points[(gsize) i * d + j];
  g_autofree float *mu = g_new (float, d);
  for (int j = 0; j < d; j++)
    mu[j] = (float) (sum[j] / n);
  g_autofree float *centred = g_new (float, (gsize) n * d);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      {
        float v = points[(gsize) i * d + j] - mu[j];
        if (!isfinite (v))
          {
            g_set_error (error, SF_ERROR, SF_ERROR_NUMERIC, "PCA: point %d is not finite", i);
            return FALSE;
          }
        centred[(gsize) i * d + j] = v;
      }
  g_autofree float *covariance = g_new0 (float, (gsize) d * d);
  cblas_ssyrk (CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0f / MAX (n - 1, 1), centred, d, 0.0f, covariance, d);

  /* Row-major upper is column-major lower: the same symmetric matrix. */
  int il = d - k + 1, iu = d, m = 0, info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  float vl = 0, vu = 0, abstol = 0, work_query = 0;
  g_autofree float *w = g_new (float, d);
  g_autofree float *z = g_new (float, (gsize) d * k);
  g_autofree int *isuppz = g_new (int, 2 * (gsize) k);
  ssyevr_ ("V", "I", "L", &d, covariance, &d, &vl, &vu, &il, &iu, &abstol, &m, w, z, &d, isuppz, &work_query, &lwork,
           &iwork_query, &liwork, &info, 1, 1, 1);
  if (info != 0)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_NUMERIC, "PCA: ssyevr's workspace query failed (info %d)", info);
      return FALSE;
    }
  lwork = MAX ((int) work_query, 26 * d);
  liwork = MAX (iwork_query, 10 * d);
  g_autofree float *work = g_new (float, lwork);
  g_autofree int *iwork = g_new (int, liwork);
  ssyevr_ ("V", "I", "L", &d, covariance, &d, &vl, &vu, &il, &iu, &abstol, &m, w, z, &d, isuppz, work, &lwork, iwork,
           &liwork, &info, 1, 1, 1);
  if (info != 0 || m != k)
    {
      g_set_error (error, SF_ERROR, SF_ERROR_NUMERIC, "PCA: ssyevr failed (info %d, %d of %d eigenvalues)", info, m, k);
      return FALSE;
    }

  /* ssyevr gives ascending eigenvalues: component c is column k - 1 - c of z. */
  g_autofree float *basis = g_new (float, (gsize) k * d);
  for (int c = 0; c < k; c++)
    {
      const float *column = z + (gsize) (k - 1 - c) * d;
      int largest = 0;
      for (int j = 1; j < d; j++)
        if (fabsf (column[j]) > fabsf (column[largest]))
          largest = j;
      float sign = column[largest] < 0 ? -1.0f : 1.0f;
      for (int j = 0; j < d; j++)
        basis[(gsize) c * d + j] = sign * column[j];
      if (variances != NULL)
        variances[c] = MAX (w[k - 1 - c], 0.0f);
    }
  /* projected[n, k] = centred[n, d] basisᵀ[d, k] */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, k, d, 1.0f, centred, d, basis, d, 0.0f, projected, k);
  if (components != NULL)
    memcpy (components, basis, sizeof (float) * k * d);
  if (mean != NULL)
    memcpy (mean, mu, sizeof (float) * d);
  return TRUE;
}

void
sf_pca_project (const float *points, int n, int d, int k, const float *mean, const float *components,
                float *projected)
{
  g_return_if_fail (points != NULL && mean != NULL && components != NULL && projected != NULL);

  for (int i = 0; i < n; i++)
    for (int c = 0; c < k; c++)
      {
        double sum = 0;
        for (int j = 0; j < d; j++)
          sum += (double) (points[(gsize) i * d + j] - mean[j]) * components[(gsize) c * d + j];
        projected[(gsize) i * k + c] = (float) sum;
      }
}
