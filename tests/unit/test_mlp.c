/* mlp and adam: every layer's gradient against finite differences, one Adam
 * step against a hand computation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detector/adam.h"
#include "detector/mlp.h"
#include "base/rng.h"

/* L = sum(out .* r): its gradient wrt the output is r. */
static double probe_loss(struct mlp *m, struct mlp_work *w, const float *x, int n,
			 const float *r, int training)
{
	const float *out = training ? mlp_forward_train(m, w, x, n) : mlp_forward(m, w, x, n);
	double s = 0;
	for (int i = 0; i < n * mlp_dim_out(m); i++)
		s += (double)out[i] * r[i];
	return s;
}

static void assert_close(double analytic, double numeric, const char *what, size_t i)
{
	double tol = 3e-3 + 1e-2 * fabs(analytic);
	if (fabs(analytic - numeric) > tol)
		fail_msg("%s[%zu]: analytic %.6g numeric %.6g", what, i, analytic, numeric);
}

/* Checks d(L)/d(params) and d(L)/d(x) of a network by central differences;
 * bn (may be NULL) adds batch normalisation, in training or inference mode. */
/* Input rows: standard normal, or (sparse) each column at a value of its
 * own but for one entry in ten, as standardised counters look. */
static void fill_input(float *x, int n, int dim, int sparse, struct rng *rng)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < dim; j++)
			x[i * dim + j] = !sparse || rng_uniform(rng) < 0.1
						 ? (float)rng_normal(rng)
						 : (float)(j % 3) * 0.5f - 0.5f;
}

static void check_gradients_bn(int n_layers, const int *sizes, const uint8_t *leaky,
			       const uint8_t *bn, int training, int sparse)
{
	struct mlp m;
	struct rng rng;
	const int n = 4;
	const float h = 1e-3f;

	rng_seed(&rng, 7);
	assert_int_equal(mlp_init(&m, n_layers, sizes, leaky), 0);
	mlp_init_he(&m, &rng);
	if (bn) {
		assert_int_equal(mlp_enable_batchnorm(&m, bn), 0);
		for (size_t i = 0; i < m.n_bn_stats; i++) /* running stats away from 0/1 */
			m.bn_stats[i] = 0.5f + (float)rng_uniform(&rng);
	}
	struct mlp_work *w = mlp_work_new(&m, n);
	assert_non_null(w);
	float *x = malloc(sizeof(float) * (size_t)(n * sizes[0]));
	float *r = malloc(sizeof(float) * (size_t)(n * mlp_dim_out(&m)));
	float *grad = malloc(sizeof(float) * m.n_params);
	float *dx = malloc(sizeof(float) * (size_t)(n * sizes[0]));
	fill_input(x, n, sizes[0], sparse, &rng);
	for (int i = 0; i < n * mlp_dim_out(&m); i++)
		r[i] = (float)rng_normal(&rng);

	probe_loss(&m, w, x, n, r, training);
	assert_int_equal(w->sparse.used, sparse); /* the path meant to be checked */
	mlp_backward(&m, w, r, n, grad, dx);
	float *dx_copy = malloc(sizeof(float) * (size_t)(n * sizes[0]));
	memcpy(dx_copy, dx, sizeof(float) * (size_t)(n * sizes[0]));

	for (size_t i = 0; i < m.n_params; i++) {
		float keep = m.params[i];
		m.params[i] = keep + h;
		double up = probe_loss(&m, w, x, n, r, training);
		m.params[i] = keep - h;
		double down = probe_loss(&m, w, x, n, r, training);
		m.params[i] = keep;
		assert_close(grad[i], (up - down) / (2 * h), "dW", i);
	}
	for (int i = 0; i < n * sizes[0]; i++) {
		float keep = x[i];
		x[i] = keep + h;
		double up = probe_loss(&m, w, x, n, r, training);
		x[i] = keep - h;
		double down = probe_loss(&m, w, x, n, r, training);
		x[i] = keep;
		assert_close(dx_copy[i], (up - down) / (2 * h), "dx", (size_t)i);
	}
	free(x);
	free(r);
	free(grad);
	free(dx);
	free(dx_copy);
	mlp_work_free(w);
	mlp_free(&m);
}

static void check_gradients(int n_layers, const int *sizes, const uint8_t *leaky)
{
	check_gradients_bn(n_layers, sizes, leaky, NULL, 0, 0);
}

static void test_batchnorm_training_gradient(void **state)
{
	(void)state;
	/* the batch statistics depend on every row: the full BN backward */
	check_gradients_bn(3, (int[]){ 6, 5, 4, 3 }, (uint8_t[]){ 1, 1, 0 }, (uint8_t[]){ 1, 1, 0 },
			   1, 0);
}

static void test_sparse_input_gradient(void **state)
{
	(void)state;
	/* inputs mostly at one value a column take the sparse first layer, in
	 * training (batch statistics after it) and in inference */
	for (int training = 0; training <= 1; training++)
		check_gradients_bn(3, (int[]){ 40, 6, 5, 3 }, (uint8_t[]){ 1, 1, 0 },
				   (uint8_t[]){ 1, 1, 0 }, training, 1);
}

/* The sparse first layer against the plain product, forward and weight
 * gradient, on a batch as wide as the daemon's scoring blocks see. */
static void test_sparse_first_layer_matches_product(void **state)
{
	enum { N = 64, IN = 300, OUT = 24 };
	struct mlp m;
	struct rng rng;
	static float x[N * IN], r[N * OUT], grad[IN * OUT];
	(void)state;
	rng_seed(&rng, 11);
	assert_int_equal(mlp_init(&m, 1, (int[]){ IN, OUT }, (uint8_t[]){ 0 }), 0);
	mlp_init_uniform(&m, &rng);
	struct mlp_work *w = mlp_work_new(&m, N);
	fill_input(x, N, IN, 1, &rng);
	for (int i = 0; i < N * OUT; i++)
		r[i] = (float)rng_normal(&rng);
	const float *out = mlp_forward(&m, w, x, N);
	assert_int_equal(w->sparse.used, 1);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < OUT; j++) {
			double z = 0;
			for (int k = 0; k < IN; k++)
				z += (double)x[i * IN + k] * m.w[0][k * OUT + j];
			assert_float_equal(out[i * OUT + j], z, 1e-4 * (1 + fabs(z)));
		}
	mlp_backward(&m, w, r, N, grad, NULL);
	for (int k = 0; k < IN; k++)
		for (int j = 0; j < OUT; j++) {
			double g = 0;
			for (int i = 0; i < N; i++)
				g += (double)x[i * IN + k] * r[i * OUT + j];
			assert_float_equal(grad[k * OUT + j], g, 1e-4 * (1 + fabs(g)));
		}
	mlp_work_free(w);
	mlp_free(&m);
}

static void test_batchnorm_inference_gradient(void **state)
{
	(void)state;
	/* running statistics are constants: the gradient explanations need */
	check_gradients_bn(3, (int[]){ 6, 5, 4, 3 }, (uint8_t[]){ 1, 1, 0 }, (uint8_t[]){ 1, 1, 0 },
			   0, 0);
}

static void test_batchnorm_running_statistics(void **state)
{
	struct mlp m;
	(void)state;
	assert_int_equal(mlp_init(&m, 1, (int[]){ 1, 1 }, (uint8_t[]){ 0 }), 0);
	assert_int_equal(mlp_enable_batchnorm(&m, (uint8_t[]){ 1 }), 0);
	m.w[0][0] = 1.0f;
	struct mlp_work *w = mlp_work_new(&m, 4);
	/* batch {1, 3}: mean 2, variance 1 (unbiased 2); output +-1/sqrt(1 + eps) */
	const float *out = mlp_forward_train(&m, w, (float[]){ 1, 3 }, 2);
	assert_float_equal(out[0], -1.0 / sqrt(1 + MLP_BN_EPS), 1e-6);
	assert_float_equal(m.bn_mean[0][0], 0.1 * 2, 1e-6);
	assert_float_equal(m.bn_var[0][0], 0.9 * 1 + 0.1 * 2, 1e-6);
	/* inference uses the running statistics */
	out = mlp_forward(&m, w, (float[]){ 0.2f }, 1);
	assert_float_equal(out[0], 0.0, 1e-6);
	mlp_work_free(w);
	mlp_free(&m);
}

static void test_uniform_init_bounds(void **state)
{
	struct mlp m;
	struct rng rng;
	(void)state;
	rng_seed(&rng, 4);
	assert_int_equal(mlp_init(&m, 1, (int[]){ 100, 50 }, (uint8_t[]){ 0 }), 0);
	mlp_init_uniform(&m, &rng);
	for (size_t i = 0; i < m.n_params; i++)
		assert_true(fabsf(m.params[i]) <= 0.1f);
	double var = mlp_weight_sq(&m) / (double)m.n_params;
	assert_true(fabs(var - 0.01 / 3) < 0.1 * 0.01 / 3);
	mlp_free(&m);
}

static void test_linear_layer_gradient(void **state)
{
	(void)state;
	check_gradients(1, (int[]){ 6, 3 }, (uint8_t[]){ 0 });
}

static void test_leaky_layer_gradient(void **state)
{
	(void)state;
	check_gradients(1, (int[]){ 5, 7 }, (uint8_t[]){ 1 });
}

static void test_deep_encoder_gradient(void **state)
{
	(void)state;
	/* encoder shape: leaky hidden layers, linear bottleneck */
	check_gradients(4, (int[]){ 9, 8, 8, 6, 3 }, (uint8_t[]){ 1, 1, 1, 0 });
}

static void test_autoencoder_gradient(void **state)
{
	(void)state;
	/* autoencoder shape: leaky everywhere but the output, bottleneck included */
	check_gradients(4, (int[]){ 7, 5, 3, 5, 7 }, (uint8_t[]){ 1, 1, 1, 0 });
}

static void test_forward_matches_hand_computation(void **state)
{
	struct mlp m;
	(void)state;
	assert_int_equal(mlp_init(&m, 2, (int[]){ 2, 2, 1 }, (uint8_t[]){ 1, 0 }), 0);
	/* W0 = [[1, -1], [2, 0.5]], W1 = [[1], [3]] */
	memcpy(m.w[0], (float[]){ 1, -1, 2, 0.5f }, sizeof(float) * 4);
	memcpy(m.w[1], (float[]){ 1, 3 }, sizeof(float) * 2);
	struct mlp_work *w = mlp_work_new(&m, 1);
	/* x = [1, -1]: z0 = [1 - 2, -1 - 0.5] = [-1, -1.5] -> leaky [-0.3, -0.45];
	 * out = -0.3 + 3 * -0.45 = -1.65 */
	const float *out = mlp_forward(&m, w, (float[]){ 1, -1 }, 1);
	assert_float_equal(out[0], -1.65f, 1e-6);
	mlp_work_free(w);
	mlp_free(&m);
}

static void test_adam_two_steps_by_hand(void **state)
{
	struct adam a;
	float p[2] = { 1.0f, -2.0f };
	const float g[2] = { 0.5f, -0.1f };
	(void)state;
	assert_int_equal(adam_init(&a, 2, 0.1f), 0);
	/* step 1: m = 0.1 g, v = 0.001 g^2, step size 0.1 sqrt(0.001) / 0.1 */
	adam_step(&a, p, g);
	assert_float_equal(p[0], 0.900000632f, 1e-6);
	assert_float_equal(p[1], -1.900003162f, 1e-6);
	adam_step(&a, p, g);
	assert_float_equal(p[0], 0.800001080f, 1e-6);
	assert_float_equal(p[1], -1.800005399f, 1e-6);
	adam_reset(&a);
	assert_int_equal(a.t, 0);
	adam_free(&a);
}

static void test_he_init_variance(void **state)
{
	struct mlp m;
	struct rng rng;
	(void)state;
	rng_seed(&rng, 3);
	assert_int_equal(mlp_init(&m, 1, (int[]){ 200, 200 }, (uint8_t[]){ 0 }), 0);
	mlp_init_he(&m, &rng);
	double var = mlp_weight_sq(&m) / (double)m.n_params;
	assert_true(fabs(var - 2.0 / 200) < 0.1 * (2.0 / 200));
	mlp_free(&m);
}

static void test_bad_sizes_refused(void **state)
{
	struct mlp m;
	(void)state;
	assert_int_not_equal(mlp_init(&m, 0, (int[]){ 3 }, (uint8_t[]){ 0 }), 0);
	assert_int_not_equal(mlp_init(&m, 1, (int[]){ 3, 0 }, (uint8_t[]){ 0 }), 0);
	assert_int_not_equal(mlp_init(&m, MLP_MAX_LAYERS + 1, (int[MLP_MAX_LAYERS + 2]){ 1 },
				      (uint8_t[MLP_MAX_LAYERS + 1]){ 0 }), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linear_layer_gradient),
		cmocka_unit_test(test_leaky_layer_gradient),
		cmocka_unit_test(test_deep_encoder_gradient),
		cmocka_unit_test(test_autoencoder_gradient),
		cmocka_unit_test(test_batchnorm_training_gradient),
		cmocka_unit_test(test_batchnorm_inference_gradient),
		cmocka_unit_test(test_batchnorm_running_statistics),
		cmocka_unit_test(test_sparse_input_gradient),
		cmocka_unit_test(test_sparse_first_layer_matches_product),
		cmocka_unit_test(test_uniform_init_bounds),
		cmocka_unit_test(test_forward_matches_hand_computation),
		cmocka_unit_test(test_adam_two_steps_by_hand),
		cmocka_unit_test(test_he_init_variance),
		cmocka_unit_test(test_bad_sizes_refused),
	};
	return cmocka_run_group_tests_name("mlp", tests, NULL, NULL);
}
