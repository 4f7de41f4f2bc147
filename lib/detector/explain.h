/* explain: Shapley values of the anomaly score by expected gradients, as
 * SHAP's GradientExplainer computes them for the seed's detector.
 *
 * For a row x and background rows B: phi_j = E[ d score/d x_j (b + a (x - b))
 * * (x_j - b_j) ] over b drawn uniformly from B and a ~ U(0, 1), estimated
 * with nsamples draws, all of a row's draws in one batch through the
 * network. For a score quadratic in x (a linear encoder) these converge to
 * the interventional Shapley values with B as the background distribution;
 * they always sum, in expectation, to score(x) - mean score(B). Inputs and
 * background are in the model's scaled space; values are in raw score units. */
#ifndef FLOWSAD_EXPLAIN_H
#define FLOWSAD_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "detector/deepsad.h"

struct explainer;

/* A reusable explainer for d over background [n_bg, dim] (borrowed while the
 * explainer lives), nsamples draws per row. Returns NULL without memory or
 * for bad sizes. */
struct explainer *explain_new(const struct deepsad *d, const float *background, int n_bg,
			      int nsamples);
void explain_free(struct explainer *e);

/* Shapley values of row x [dim] into phi [dim]. The draws come from seed
 * alone, so a row's explanation does not depend on which rows came before. */
void explain_row(struct explainer *e, const float *x, uint64_t seed, float *phi);

/* The seed of a sample's explanation: the model's seed and the sample's
 * identity (its window and source; either may be empty for a matrix row,
 * then its row number tells it apart). Every path that explains a sample
 * (detect, the daemon) draws the same, so they give the same values. */
uint64_t explain_seed(uint64_t model_seed, int64_t window_start, const char *src, uint64_t row);

/* The seed's presentation, in place on phi [dim] of a row whose unscaled
 * feature values are value [dim]: a feature whose value is 0 gets 0 (zero
 * correction), then the non-zero features are shifted so that the smallest
 * becomes 1. */
void explain_zero_correct(const float *value, float *phi, int dim);
void explain_shift_to_one(const float *value, float *phi, int dim);

#endif
