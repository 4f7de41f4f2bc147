/* pca: the two leading principal components of a set of rows, for a picture
 * of the embedding space an analyst can look at. */
#ifndef FLOWSAD_PCA_H
#define FLOWSAD_PCA_H

#include <stddef.h>

/* Projects x [n, k] onto its two leading principal axes: out [n, 2].
 * explained[0..1] receive each axis's share of the total variance (0 when
 * the rows do not vary). Deterministic (power iteration from a fixed start).
 * Returns 0 or -ENOMEM. */
int pca_project2(const float *x, size_t n, int k, float *out, double explained[2])
	__attribute__((warn_unused_result));

#endif
