/* Order statistics: the tail quantile that sets the alert threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "base/rng.h"
#include "base/stats.h"

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* n draws of a Pareto law with tail index 1/alpha above 1, sorted. */
static float *pareto_sample(size_t n, double alpha, uint64_t seed)
{
	struct rng r;
	float *x = malloc(n * sizeof *x);
	assert_non_null(x);
	rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)pow(1.0 - rng_uniform(&r), -1.0 / alpha);
	qsort(x, n, sizeof *x, cmp_float);
	return x;
}

/* A quantile beyond the last few samples is read from the tail's shape:
 * over many draws of 3,000 it stays near the law's (the 0.999 quantile of
 * a Pareto law of index 2 is 31.6), where the nearest rank, the third
 * highest sample, wanders with the luck of the draw. */
static void test_tail_quantile_extrapolates(void **state)
{
	const size_t n = 3000, draws = 200;
	const double q = 0.999, truth = pow(1.0 - q, -1.0 / 2.0);
	double sq_tail = 0, sq_rank = 0;
	(void)state;
	for (size_t d = 0; d < draws; d++) {
		float *x = pareto_sample(n, 2.0, 1 + d);
		double tail = stats_tail_quantile(x, n, q);
		double rank = x[(size_t)(q * (double)(n - 1) + 0.5)];
		sq_tail += pow(log(tail / truth), 2);
		sq_rank += pow(log(rank / truth), 2);
		free(x);
	}
	double rms_tail = sqrt(sq_tail / draws), rms_rank = sqrt(sq_rank / draws);
	assert_true(rms_tail < 0.25);
	assert_true(rms_tail < 0.8 * rms_rank);
}

/* Where enough samples lie beyond the quantile, or the tail is not
 * positive, or there are too few samples, it is the nearest rank. */
static void test_tail_quantile_nearest_rank(void **state)
{
	float x[400];
	(void)state;
	for (int i = 0; i < 400; i++)
		x[i] = (float)i - 390; /* the tail's floor is at most 0 */
	assert_float_equal(stats_tail_quantile(x, 400, 0.999), x[399], 0);
	for (int i = 0; i < 400; i++)
		x[i] = (float)(i + 1);
	/* 40 samples beyond the 0.9 quantile: more than sqrt(400) */
	assert_float_equal(stats_tail_quantile(x, 400, 0.9), x[359], 0);
	assert_float_equal(stats_tail_quantile(x, 50, 0.999), x[49], 0);
	assert_true(isnan(stats_tail_quantile(x, 0, 0.999)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tail_quantile_extrapolates),
		cmocka_unit_test(test_tail_quantile_nearest_rank),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
