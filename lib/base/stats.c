#include "base/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static double sorted_median(const float *s, size_t n)
{
	return n % 2 ? s[n / 2] : 0.5 * ((double)s[n / 2 - 1] + s[n / 2]);
}

double stats_median(const float *x, size_t n)
{
	float *s;
	double med;

	if (n == 0 || !(s = malloc(n * sizeof *s)))
		return NAN;
	memcpy(s, x, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_float);
	med = sorted_median(s, n);
	free(s);
	return med;
}

double stats_mad(const float *x, size_t n, double median)
{
	float *dev;
	double mad;

	if (n == 0 || !(dev = malloc(n * sizeof *dev)))
		return NAN;
	for (size_t i = 0; i < n; i++)
		dev[i] = (float)fabs(x[i] - median);
	mad = stats_median(dev, n);
	free(dev);
	return mad;
}

struct ranked {
	float score;
	uint8_t positive;
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_float(&((const struct ranked *)a)->score, &((const struct ranked *)b)->score);
}

double stats_auc(const float *score, const uint8_t *positive, size_t n)
{
	struct ranked *r = malloc(n * sizeof *r);
	double rank_sum = 0, n_pos = 0;

	if (!r)
		return NAN;
	for (size_t i = 0; i < n; i++)
		r[i] = (struct ranked){ score[i], positive[i] ? 1 : 0 };
	qsort(r, n, sizeof *r, cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && r[j].score == r[i].score)
			j++;
		double mid_rank = 0.5 * (double)(i + 1 + j); /* average of ranks i+1..j */
		for (size_t k = i; k < j; k++)
			if (r[k].positive) {
				rank_sum += mid_rank;
				n_pos++;
			}
		i = j;
	}
	free(r);
	double n_neg = (double)n - n_pos;
	if (n_pos == 0 || n_neg == 0)
		return NAN;
	return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
}

/* The empirical quantile q of sorted[0..n), nearest rank. */
static double nearest_rank(const float *sorted, size_t n, double q)
{
	return sorted[(size_t)(q * (double)(n - 1) + 0.5)];
}

double stats_tail_quantile(const float *sorted, size_t n, double q)
{
	if (n == 0)
		return NAN;
	size_t k = (size_t)sqrt((double)n);
	double beyond = (1.0 - q) * (double)n; /* the samples expected above it */
	double u = k < n ? sorted[n - 1 - k] : 0;
	if (k < STATS_TAIL_MIN || beyond >= (double)k || !(u > 0))
		return nearest_rank(sorted, n, q);
	double shape = 0; /* Hill's estimate of the tail index */
	for (size_t i = 0; i < k; i++)
		shape += log(sorted[n - 1 - i] / u);
	shape /= (double)k;
	return u * pow((double)k / beyond, shape);
}
