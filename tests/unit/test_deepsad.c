/* deepsad: loss gradients for all three label kinds, training behaviour,
 * detection quality on a planted set, determinism. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detector/deepsad.h"
#include "base/rng.h"
#include "base/stats.h"

enum { N_TRAIN = 1200, N_TEST = 600, DIM = 16, LATENT = 3 };

/* Normal rows lie near a 3-dimensional subspace of R^16; anomalies are
 * isotropic noise of the same overall energy, off that subspace. */
struct planted {
	float train[N_TRAIN * DIM], test[N_TEST * DIM];
	uint8_t test_anomaly[N_TEST];
};

static void draw_row(struct rng *r, const float *basis, int anomaly, float *row)
{
	double z[LATENT];
	for (int k = 0; k < LATENT; k++)
		z[k] = rng_normal(r);
	for (int j = 0; j < DIM; j++) {
		double v = 0;
		if (anomaly)
			v = rng_normal(r) * 1.0;
		else
			for (int k = 0; k < LATENT; k++)
				v += z[k] * basis[k * DIM + j];
		row[j] = (float)(v + 0.05 * rng_normal(r));
	}
}

static struct planted *make_planted(uint64_t seed)
{
	struct planted *p = calloc(1, sizeof *p);
	float basis[LATENT * DIM];
	struct rng r;

	rng_seed(&r, seed);
	for (int i = 0; i < LATENT * DIM; i++)
		basis[i] = (float)(rng_normal(&r) / sqrt(LATENT));
	for (int i = 0; i < N_TRAIN; i++)
		draw_row(&r, basis, 0, p->train + i * DIM);
	for (int i = 0; i < N_TEST; i++) {
		p->test_anomaly[i] = i % 20 == 0;
		draw_row(&r, basis, p->test_anomaly[i], p->test + i * DIM);
	}
	return p;
}

static void small_config(struct deepsad_config *cfg)
{
	deepsad_config_default(cfg);
	cfg->n_hidden = 3;
	cfg->hidden[0] = 32;
	cfg->hidden[1] = 16;
	cfg->hidden[2] = 8;
	cfg->epochs_pretrain = 15;
	cfg->epochs = 25;
	cfg->seed = 11;
}

static void check_loss_gradient(int8_t label)
{
	enum { N = 3, K = 4 };
	float emb[N * K], grad[N * K];
	const float center[K] = { 0.1f, -0.2f, 0.3f, 0.15f };
	int8_t y[N] = { label, label, label };
	struct rng r;

	rng_seed(&r, (uint64_t)(label + 5));
	for (int i = 0; i < N * K; i++)
		emb[i] = (float)rng_normal(&r);
	deepsad_sad_loss(emb, center, y, N, K, 2.0, grad);
	for (int i = 0; i < N * K; i++) {
		const float h = 1e-3f;
		float keep = emb[i];
		emb[i] = keep + h;
		double up = deepsad_sad_loss(emb, center, y, N, K, 2.0, NULL);
		emb[i] = keep - h;
		double down = deepsad_sad_loss(emb, center, y, N, K, 2.0, NULL);
		emb[i] = keep;
		double num = (up - down) / (2 * h);
		if (fabs(num - grad[i]) > 1e-3 + 1e-2 * fabs(num))
			fail_msg("label %d grad[%d]: analytic %g numeric %g", label, i, grad[i],
				 num);
	}
}

static void test_sad_loss_gradient_unlabelled(void **state)
{
	(void)state;
	check_loss_gradient(0);
}

static void test_sad_loss_gradient_known_normal(void **state)
{
	(void)state;
	check_loss_gradient(1);
}

static void test_sad_loss_gradient_known_anomaly(void **state)
{
	(void)state;
	check_loss_gradient(-1);
}

static void test_sad_loss_values(void **state)
{
	/* one row at distance^2 4 from the centre, eta 2 */
	const float emb[2] = { 2, 0 }, center[2] = { 0, 0 };
	(void)state;
	assert_float_equal(deepsad_sad_loss(emb, center, (int8_t[]){ 0 }, 1, 2, 2.0, NULL), 4.0,
			   1e-9);
	assert_float_equal(deepsad_sad_loss(emb, center, (int8_t[]){ 1 }, 1, 2, 2.0, NULL),
			   2.0 * (4.0 + 1e-6), 1e-9);
	assert_float_equal(deepsad_sad_loss(emb, center, (int8_t[]){ -1 }, 1, 2, 2.0, NULL),
			   2.0 / (4.0 + 1e-6), 1e-9);
}

static void test_mse_loss_gradient(void **state)
{
	float out[6] = { 1, 2, 3, 4, 5, 6 }, x[6] = { 0, 2, 1, 4, 4, 7 }, grad[6];
	(void)state;
	double loss = deepsad_mse_loss(out, x, 2, 3, grad);
	assert_float_equal(loss, (1 + 0 + 4 + 0 + 1 + 1) / 6.0, 1e-9);
	assert_float_equal(grad[0], 2.0 * 1 / 6, 1e-7);
	assert_float_equal(grad[5], 2.0 * -1 / 6, 1e-7);
}

static void test_training_lowers_loss_and_detects(void **state)
{
	struct planted *p = make_planted(42);
	struct deepsad_config cfg;
	struct deepsad d;
	float score[N_TEST];
	(void)state;

	small_config(&cfg);
	assert_int_equal(deepsad_train(&d, &cfg, p->train, NULL, N_TRAIN, DIM, NULL, NULL), 0);
	assert_true(d.loss_pretrain[cfg.epochs_pretrain - 1] < d.loss_pretrain[0]);
	assert_true(d.loss_train[d.best_epoch] < d.loss_train[0]);
	for (int j = 0; j < 8; j++)
		assert_true(fabsf(d.center[j]) >= DEEPSAD_CENTER_MIN);
	assert_int_equal(deepsad_score(&d, p->test, N_TEST, score), 0);
	double auc = stats_auc(score, p->test_anomaly, N_TEST);
	print_message("planted AUC %.4f\n", auc);
	assert_true(auc >= 0.95);
	/* no hypersphere collapse: scores spread out */
	double med = stats_median(score, N_TEST);
	assert_true(stats_mad(score, N_TEST, med) > 1e-3 * med);
	assert_true(d.score_mad > 0);
	/* a typical training row scales near 0, an anomaly far above */
	assert_true(fabs(deepsad_scaled(&d, d.score_median)) < 1e-9);
	deepsad_free(&d);
	free(p);
}

static void test_batchnorm_network_detects(void **state)
{
	struct planted *p = make_planted(45);
	struct deepsad_config cfg;
	struct deepsad d;
	float score[N_TEST];
	(void)state;

	small_config(&cfg);
	cfg.batchnorm = 1;
	cfg.init_uniform = 1;
	assert_int_equal(deepsad_train(&d, &cfg, p->train, NULL, N_TRAIN, DIM, NULL, NULL), 0);
	assert_int_equal(d.enc.n_bn_stats, 2 * (32 + 16));
	assert_int_equal(deepsad_score(&d, p->test, N_TEST, score), 0);
	double auc = stats_auc(score, p->test_anomaly, N_TEST);
	print_message("planted AUC with batch normalisation %.4f\n", auc);
	assert_true(auc >= 0.95);
	/* one row cannot give batch statistics */
	deepsad_free(&d);
	assert_int_equal(deepsad_train(&d, &cfg, p->train, NULL, 1, DIM, NULL, NULL), -EINVAL);
	free(p);
}

static void test_known_anomalies_raise_their_scores(void **state)
{
	struct planted *p = make_planted(43);
	struct deepsad_config cfg;
	struct deepsad plain, labelled;
	int8_t y[N_TRAIN + 30] = { 0 };
	float *x = malloc(sizeof(float) * (N_TRAIN + 30) * DIM);
	float s_plain[30], s_labelled[30];
	struct rng r;
	(void)state;

	/* 30 labelled anomalies: rows of pure noise appended to the training set */
	memcpy(x, p->train, sizeof(float) * N_TRAIN * DIM);
	rng_seed(&r, 5);
	for (int i = 0; i < 30 * DIM; i++)
		x[N_TRAIN * DIM + i] = (float)rng_normal(&r);
	for (int i = 0; i < 30; i++)
		y[N_TRAIN + i] = -1;
	small_config(&cfg);
	assert_int_equal(deepsad_train(&plain, &cfg, x, NULL, N_TRAIN + 30, DIM, NULL, NULL), 0);
	assert_int_equal(deepsad_train(&labelled, &cfg, x, y, N_TRAIN + 30, DIM, NULL, NULL), 0);
	assert_int_equal(deepsad_score(&plain, x + N_TRAIN * DIM, 30, s_plain), 0);
	assert_int_equal(deepsad_score(&labelled, x + N_TRAIN * DIM, 30, s_labelled), 0);
	/* compare on the robust scale: labelled anomalies end up much further out */
	double a = deepsad_scaled(&plain, stats_median(s_plain, 30));
	double b = deepsad_scaled(&labelled, stats_median(s_labelled, 30));
	print_message("median scaled score of the 30 rows: unlabelled %.1f, labelled %.1f\n", a, b);
	assert_true(b > a);
	deepsad_free(&plain);
	deepsad_free(&labelled);
	free(x);
	free(p);
}

static void test_same_seed_same_model(void **state)
{
	struct planted *p = make_planted(44);
	struct deepsad_config cfg;
	struct deepsad a, b, c;
	(void)state;

	small_config(&cfg);
	cfg.epochs_pretrain = 3;
	cfg.epochs = 3;
	assert_int_equal(deepsad_train(&a, &cfg, p->train, NULL, N_TRAIN, DIM, NULL, NULL), 0);
	assert_int_equal(deepsad_train(&b, &cfg, p->train, NULL, N_TRAIN, DIM, NULL, NULL), 0);
	cfg.seed++;
	assert_int_equal(deepsad_train(&c, &cfg, p->train, NULL, N_TRAIN, DIM, NULL, NULL), 0);
	assert_memory_equal(a.enc.params, b.enc.params, a.enc.n_params * sizeof(float));
	assert_memory_equal(a.center, b.center, 8 * sizeof(float));
	assert_memory_not_equal(a.enc.params, c.enc.params, a.enc.n_params * sizeof(float));
	deepsad_free(&a);
	deepsad_free(&b);
	deepsad_free(&c);
	free(p);
}

static void test_bad_config_refused(void **state)
{
	struct deepsad_config cfg;
	struct deepsad d;
	float x[4] = { 1, 2, 3, 4 };
	(void)state;
	deepsad_config_default(&cfg);
	cfg.eta = 0;
	assert_int_equal(deepsad_train(&d, &cfg, x, NULL, 2, 2, NULL, NULL), -EINVAL);
	deepsad_config_default(&cfg);
	assert_int_equal(deepsad_train(&d, &cfg, x, NULL, 0, 2, NULL, NULL), -EINVAL);
}

static void test_non_finite_loss_is_reported(void **state)
{
	struct deepsad_config cfg;
	struct deepsad d;
	float x[8] = { 1, 2, NAN, 4, 1, 2, 3, 4 };
	(void)state;
	small_config(&cfg);
	assert_int_equal(deepsad_train(&d, &cfg, x, NULL, 2, 4, NULL, NULL), -EDOM);
}

/* Stops after the second epoch it is told of. */
static int stop_at_two(void *ctx, const char *phase, int epoch, int epochs, double loss,
		       double seconds)
{
	int *calls = ctx;
	(void)phase, (void)epoch, (void)epochs, (void)loss, (void)seconds;
	return ++*calls == 2;
}

static void test_progress_can_cancel(void **state)
{
	struct deepsad_config cfg;
	struct deepsad d;
	float x[40];
	int calls = 0;
	(void)state;
	for (int i = 0; i < 40; i++)
		x[i] = (float)(i % 7);
	small_config(&cfg);
	assert_int_equal(deepsad_train(&d, &cfg, x, NULL, 10, 4, stop_at_two, &calls), -ECANCELED);
	assert_int_equal(calls, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sad_loss_gradient_unlabelled),
		cmocka_unit_test(test_sad_loss_gradient_known_normal),
		cmocka_unit_test(test_sad_loss_gradient_known_anomaly),
		cmocka_unit_test(test_sad_loss_values),
		cmocka_unit_test(test_mse_loss_gradient),
		cmocka_unit_test(test_training_lowers_loss_and_detects),
		cmocka_unit_test(test_batchnorm_network_detects),
		cmocka_unit_test(test_known_anomalies_raise_their_scores),
		cmocka_unit_test(test_same_seed_same_model),
		cmocka_unit_test(test_bad_config_refused),
		cmocka_unit_test(test_non_finite_loss_is_reported),
		cmocka_unit_test(test_progress_can_cancel),
	};
	return cmocka_run_group_tests_name("deepsad", tests, NULL, NULL);
}
