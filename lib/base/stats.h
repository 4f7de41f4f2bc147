/* stats: order statistics and ranking measures over score vectors. */
#ifndef FLOWSAD_STATS_H
#define FLOWSAD_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Median of x[0..n) (n > 0; x is not modified). Returns NAN when n == 0 or
 * memory runs out. */
double stats_median(const float *x, size_t n);
/* Median absolute deviation from median. */
double stats_mad(const float *x, size_t n, double median);
/* Area under the ROC curve of scores against labels (1 = positive), ties
 * counted half (Mann-Whitney U). Returns NAN without both classes. */
double stats_auc(const float *score, const uint8_t *positive, size_t n);
/* The quantile q of sorted[0..n) (ascending). Where fewer than sqrt(n)
 * samples lie above it, it is extrapolated from the sqrt(n) highest (the
 * Weissman estimator with Hill's tail index: a Pareto tail), instead of
 * read from the two or three highest samples, which are the luck of the
 * draw; the nearest rank otherwise, or when the tail is not positive. */
#define STATS_TAIL_MIN 10
double stats_tail_quantile(const float *sorted, size_t n, double q);

#endif
