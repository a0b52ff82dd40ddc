/* Principal component analysis of a few hundred embeddings, for the 2-D map:
 * the covariance's leading eigenvectors from LAPACK's ssyevr (in OpenBLAS). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Centres points[n, d] and projects them onto their k leading principal
 * components (1 ≤ k ≤ d): projected[n, k]. components[k, d] (may be NULL)
 * receives the unit directions, each signed so its largest entry is positive;
 * variances[k] (may be NULL) the variance along each, largest first. The mean
 * of the points goes to mean[d] (may be NULL). n ≥ 1; with n = 1 every
 * projection is 0. */
gboolean sf_pca (const float *points, int n, int d, int k, float *projected, float *components,
                 float *variances, float *mean, GError **error);

/* Projects points[n, d] onto components[k, d] around mean[d] (what sf_pca
 * gave for other points): projected[n, k]. Points fitted later land in the
 * same plane as the ones the components were fitted on. */
void     sf_pca_project (const float *points, int n, int d, int k, const float *mean, const float *components,
                         float *projected);

G_END_DECLS
