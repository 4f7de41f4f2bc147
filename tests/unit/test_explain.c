/* explain: expected gradients against brute-force Shapley values, and the
 * properties an analyst relies on. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detector/explain.h"
#include "base/rng.h"

enum { DIM = 6, K = 3, NBG = 4 };

/* A detector whose encoder is one linear layer: score(x) = ||x W - c||^2,
 * quadratic in x. */
static void linear_detector(struct deepsad *d, struct rng *r)
{
	memset(d, 0, sizeof *d);
	assert_int_equal(mlp_init(&d->enc, 1, (int[]){ DIM, K }, (uint8_t[]){ 0 }), 0);
	for (size_t i = 0; i < d->enc.n_params; i++)
		d->enc.params[i] = (float)rng_normal(r);
	d->center = malloc(K * sizeof(float));
	for (int j = 0; j < K; j++)
		d->center[j] = (float)rng_normal(r);
}

static double score_of(const struct deepsad *d, const double *x)
{
	double s = 0;
	for (int j = 0; j < K; j++) {
		double e = -d->center[j];
		for (int i = 0; i < DIM; i++)
			e += x[i] * d->enc.w[0][i * K + j];
		s += e * e;
	}
	return s;
}

static double factorial(int n)
{
	return n <= 1 ? 1 : n * factorial(n - 1);
}

/* Interventional Shapley values: the mean over background rows b of the
 * Shapley values of the game v(S) = score(x on S, b elsewhere), by brute
 * force over all 2^DIM coalitions. */
static void exact_shapley(const struct deepsad *d, const float *x, const float *bg, double *phi)
{
	memset(phi, 0, DIM * sizeof *phi);
	for (int b = 0; b < NBG; b++) {
		for (int i = 0; i < DIM; i++) {
			for (unsigned s = 0; s < (1u << DIM); s++) {
				if (s & (1u << i))
					continue;
				double with[DIM], without[DIM];
				int size = __builtin_popcount(s);
				for (int j = 0; j < DIM; j++) {
					without[j] = (s & (1u << j)) ? x[j] : bg[b * DIM + j];
					with[j] = without[j];
				}
				with[i] = x[i];
				double w = factorial(size) * factorial(DIM - size - 1) /
					   factorial(DIM);
				phi[i] += w * (score_of(d, with) - score_of(d, without)) / NBG;
			}
		}
	}
}

static void random_rows(struct rng *r, float *x, int n, double scale)
{
	for (int i = 0; i < n; i++)
		x[i] = (float)(scale * rng_normal(r));
}

static void test_converges_to_exact_shapley(void **state)
{
	struct rng r;
	struct deepsad d;
	float x[DIM], bg[NBG * DIM], phi[DIM];
	double exact[DIM], max = 0;
	(void)state;

	rng_seed(&r, 1);
	linear_detector(&d, &r);
	random_rows(&r, bg, NBG * DIM, 1.0);
	random_rows(&r, x, DIM, 2.0);
	exact_shapley(&d, x, bg, exact);
	struct explainer *e = explain_new(&d, bg, NBG, 200000);
	assert_non_null(e);
	explain_row(e, x, 7, phi);
	for (int i = 0; i < DIM; i++)
		max = fmax(max, fabs(exact[i]));
	for (int i = 0; i < DIM; i++) {
		print_message("feature %d: expected gradients %.4f, exact %.4f\n", i, phi[i],
			      exact[i]);
		assert_true(fabs(phi[i] - exact[i]) <= 0.02 * max);
	}
	explain_free(e);
	deepsad_free(&d);
}

/* A small trained-looking network: two layers with LeakyReLU. */
static void deep_detector(struct deepsad *d, struct rng *r)
{
	memset(d, 0, sizeof *d);
	assert_int_equal(mlp_init(&d->enc, 2, (int[]){ DIM, 5, K }, (uint8_t[]){ 1, 0 }), 0);
	mlp_init_he(&d->enc, r);
	d->center = malloc(K * sizeof(float));
	for (int j = 0; j < K; j++)
		d->center[j] = 0.3f;
}

static void test_completeness(void **state)
{
	struct rng r;
	struct deepsad d;
	float x[DIM], bg[NBG * DIM], phi[DIM], s_x, s_bg[NBG];
	(void)state;

	rng_seed(&r, 2);
	deep_detector(&d, &r);
	random_rows(&r, bg, NBG * DIM, 1.0);
	random_rows(&r, x, DIM, 2.0);
	struct explainer *e = explain_new(&d, bg, NBG, 100000);
	explain_row(e, x, 3, phi);
	assert_int_equal(deepsad_score(&d, x, 1, &s_x), 0);
	assert_int_equal(deepsad_score(&d, bg, NBG, s_bg), 0);
	double sum = 0, gap = s_x - (s_bg[0] + s_bg[1] + s_bg[2] + s_bg[3]) / NBG;
	for (int i = 0; i < DIM; i++)
		sum += phi[i];
	print_message("sum of Shapley values %.4f, score(x) - mean score(background) %.4f\n", sum,
		      gap);
	assert_true(fabs(sum - gap) <= 0.02 * fabs(gap) + 1e-3);
	explain_free(e);
	deepsad_free(&d);
}

static void test_ignored_feature_gets_zero(void **state)
{
	struct rng r;
	struct deepsad d;
	float x[DIM], bg[NBG * DIM], phi[DIM];
	(void)state;

	rng_seed(&r, 3);
	deep_detector(&d, &r);
	memset(d.enc.w[0] + 2 * 5, 0, 5 * sizeof(float)); /* input 2 feeds nothing */
	random_rows(&r, bg, NBG * DIM, 1.0);
	random_rows(&r, x, DIM, 2.0);
	struct explainer *e = explain_new(&d, bg, NBG, 500);
	explain_row(e, x, 3, phi);
	assert_true(phi[2] == 0.0f);
	assert_true(phi[0] != 0.0f);
	explain_free(e);
	deepsad_free(&d);
}

static void test_same_seed_same_values(void **state)
{
	struct rng r;
	struct deepsad d;
	float x[DIM], bg[NBG * DIM], a[DIM], b[DIM], c[DIM];
	(void)state;

	rng_seed(&r, 4);
	deep_detector(&d, &r);
	random_rows(&r, bg, NBG * DIM, 1.0);
	random_rows(&r, x, DIM, 2.0);
	struct explainer *e = explain_new(&d, bg, NBG, 200);
	explain_row(e, x, 11, a);
	explain_row(e, bg, 99, c); /* another row between: no influence */
	explain_row(e, x, 11, b);
	assert_memory_equal(a, b, sizeof a);
	explain_row(e, x, 12, c);
	assert_memory_not_equal(a, c, sizeof a);
	explain_free(e);
	deepsad_free(&d);
}

static void test_planted_feature_is_top(void **state)
{
	enum { N = 800, D = 8 };
	struct rng r;
	struct deepsad_config cfg;
	struct deepsad d;
	float *x = malloc(sizeof(float) * N * D), row[D], phi[D];
	(void)state;

	rng_seed(&r, 5);
	for (int i = 0; i < N; i++) { /* correlated normal traffic */
		double z = rng_normal(&r);
		for (int j = 0; j < D; j++)
			x[i * D + j] = (float)(z + 0.3 * rng_normal(&r));
	}
	deepsad_config_default(&cfg);
	cfg.n_hidden = 3;
	cfg.hidden[0] = 16;
	cfg.hidden[1] = 8;
	cfg.hidden[2] = 4;
	cfg.epochs = 10;
	assert_int_equal(deepsad_train(&d, &cfg, x, NULL, N, D, NULL, NULL), 0);
	memcpy(row, x, sizeof row);
	row[5] += 6.0f; /* feature 5 breaks the pattern */
	struct explainer *e = explain_new(&d, x, 100, 200);
	explain_row(e, row, 1, phi);
	int top = 0;
	for (int j = 1; j < D; j++)
		top = phi[j] > phi[top] ? j : top;
	assert_int_equal(top, 5);
	explain_free(e);
	deepsad_free(&d);
	free(x);
}

static void test_seed_presentation(void **state)
{
	const float value[5] = { 3, 0, 1, 0, 2 };
	float phi[5] = { 0.5f, 9.0f, -0.25f, -4.0f, 0.0f };
	(void)state;
	explain_zero_correct(value, phi, 5);
	assert_true(phi[1] == 0 && phi[3] == 0 && phi[0] == 0.5f);
	explain_shift_to_one(value, phi, 5);
	/* the smallest non-zero-valued feature (index 2, -0.25) becomes 1 */
	assert_float_equal(phi[2], 1.0, 1e-6);
	assert_float_equal(phi[0], 1.75, 1e-6);
	assert_float_equal(phi[4], 1.25, 1e-6);
	assert_true(phi[1] == 0 && phi[3] == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converges_to_exact_shapley),
		cmocka_unit_test(test_completeness),
		cmocka_unit_test(test_ignored_feature_gets_zero),
		cmocka_unit_test(test_same_seed_same_values),
		cmocka_unit_test(test_planted_feature_is_top),
		cmocka_unit_test(test_seed_presentation),
	};
	return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
