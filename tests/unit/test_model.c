/* model: exact round trip through a file, and refusal of broken files with a
 * message that names the problem. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "detector/model.h"
#include "base/rng.h"

enum { N = 300, DIM = 6 };

static char dir[64];

static struct model *make_model_bn(int batchnorm)
{
	static char *names[DIM] = { "a", "b", "port 22", "c", "d", "e" };
	struct model *m = calloc(1, sizeof *m);
	float *x = malloc(sizeof(float) * N * DIM);
	struct rng r;

	rng_seed(&r, 9);
	for (int i = 0; i < N * DIM; i++)
		x[i] = (float)rng_normal(&r);
	deepsad_config_default(&m->cfg);
	m->cfg.n_hidden = 2;
	m->cfg.hidden[0] = 5;
	m->cfg.hidden[1] = 3;
	m->cfg.epochs_pretrain = 2;
	m->cfg.epochs = 3;
	m->cfg.batchnorm = batchnorm;
	m->cfg.init_uniform = batchnorm;
	assert_int_equal(scaler_fit(&m->scaler, SCALER_ZSCORE, x, N, DIM), 0);
	scaler_apply(&m->scaler, x, N);
	assert_int_equal(deepsad_train(&m->det, &m->cfg, x, NULL, N, DIM, NULL, NULL), 0);
	m->n_features = DIM;
	m->features = calloc(DIM, sizeof(char *));
	for (int j = 0; j < DIM; j++)
		m->features[j] = strdup(names[j]);
	m->n_background = 10;
	m->background = malloc(sizeof(float) * 10 * DIM);
	memcpy(m->background, x, sizeof(float) * 10 * DIM);
	m->window_seconds = 3600;
	m->train_rows = N;
	m->data_start = 1772370000;
	m->data_end = 1772373600;
	m->created_at = 1772380000;
	free(x);
	return m;
}

static struct model *make_model(void)
{
	return make_model_bn(0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/flowsad-test-model.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static char *path_of(const char *name)
{
	static char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	uint8_t *buf = malloc(*len);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/* The same weights give the same scores; frees both. */
static void expect_same_scores(struct model *m, struct model *back)
{
	float s1[10], s2[10];
	assert_int_equal(deepsad_score(&m->det, m->background, 10, s1), 0);
	assert_int_equal(deepsad_score(&back->det, back->background, 10, s2), 0);
	assert_memory_equal(s1, s2, sizeof s1);
	model_free(back);
	model_free(m);
}

static void test_round_trip_is_exact(void **state)
{
	struct model *m = make_model();
	char err[256];
	(void)state;

	assert_int_equal(model_save(m, path_of("m.safetensors"), err, sizeof err), 0);
	struct model *back = model_load(path_of("m.safetensors"), err, sizeof err);
	if (!back)
		fail_msg("%s", err);
	assert_string_equal(back->id, m->id);
	assert_int_equal(back->det.enc.n_layers, 2);
	assert_memory_equal(back->det.enc.params, m->det.enc.params,
			    m->det.enc.n_params * sizeof(float));
	assert_memory_equal(back->det.center, m->det.center, 3 * sizeof(float));
	assert_memory_equal(back->scaler.offset, m->scaler.offset, DIM * sizeof(float));
	assert_memory_equal(back->scaler.mult, m->scaler.mult, DIM * sizeof(float));
	assert_memory_equal(back->background, m->background, 10 * DIM * sizeof(float));
	assert_true(back->det.score_median == m->det.score_median);
	assert_true(back->det.score_mad == m->det.score_mad);
	assert_string_equal(back->features[2], "port 22");
	assert_int_equal(back->window_seconds, 3600);
	assert_int_equal(back->data_start, m->data_start);
	assert_int_equal(back->created_at, m->created_at);
	assert_int_equal(back->det.n_loss_train, 3);
	assert_true(back->det.loss_train[2] == m->det.loss_train[2]);
	assert_int_equal(back->cfg.hidden[1], 3);
	expect_same_scores(m, back);
}

static void test_round_trip_batchnorm(void **state)
{
	struct model *m = make_model_bn(1);
	char err[256];
	(void)state;

	assert_int_equal(m->det.enc.n_bn_stats, 2 * 5);
	assert_int_equal(model_save(m, path_of("bn.safetensors"), err, sizeof err), 0);
	struct model *back = model_load(path_of("bn.safetensors"), err, sizeof err);
	if (!back)
		fail_msg("%s", err);
	assert_true(back->det.enc.bn[0] && !back->det.enc.bn[1]);
	assert_true(back->cfg.batchnorm && back->cfg.init_uniform);
	assert_memory_equal(back->det.enc.bn_stats, m->det.enc.bn_stats, 10 * sizeof(float));
	expect_same_scores(m, back);
}

/* Saves a good model, lets mutate() change the header JSON or the bytes, and
 * checks that loading fails with a message containing expect. */
static void expect_refused(void (*mutate)(json_t *hdr, uint8_t *data, size_t *data_len),
			   size_t truncate_to, const char *expect)
{
	struct model *m = make_model();
	char err[512];
	size_t len;

	assert_int_equal(model_save(m, path_of("good"), err, sizeof err), 0);
	model_free(m);
	uint8_t *buf = read_file(path_of("good"), &len);
	if (mutate) {
		uint64_t hlen;
		memcpy(&hlen, buf, 8);
		json_t *hdr = json_loadb((char *)buf + 8, hlen, 0, NULL);
		assert_non_null(hdr);
		size_t data_len = len - 8 - hlen;
		uint8_t *data = malloc(data_len + 64);
		memcpy(data, buf + 8 + hlen, data_len);
		mutate(hdr, data, &data_len);
		char *text = json_dumps(hdr, JSON_COMPACT);
		uint64_t nh = strlen(text);
		free(buf);
		len = 8 + nh + data_len;
		buf = malloc(len);
		memcpy(buf, &nh, 8);
		memcpy(buf + 8, text, nh);
		memcpy(buf + 8 + nh, data, data_len);
		free(text);
		free(data);
		json_decref(hdr);
	}
	if (truncate_to)
		len = truncate_to < len ? truncate_to : len;
	FILE *f = fopen(path_of("bad"), "wb");
	fwrite(buf, 1, len, f);
	fclose(f);
	free(buf);
	struct model *bad = model_load(path_of("bad"), err, sizeof err);
	assert_null(bad);
	if (!strstr(err, expect))
		fail_msg("error '%s' does not mention '%s'", err, expect);
	assert_non_null(strstr(err, path_of("bad")));
}

static void set_meta(json_t *hdr, const char *key, const char *value)
{
	json_object_set_new(json_object_get(hdr, "__metadata__"), key, json_string(value));
}

static void wrong_version(json_t *hdr, uint8_t *data, size_t *len)
{
	(void)data, (void)len;
	set_meta(hdr, "format_version", "2");
}

static void wrong_format(json_t *hdr, uint8_t *data, size_t *len)
{
	(void)data, (void)len;
	set_meta(hdr, "format", "pytorch");
}

static void wrong_shape(json_t *hdr, uint8_t *data, size_t *len)
{
	(void)data, (void)len;
	json_t *t = json_object_get(hdr, "encoder.1.weight");
	json_array_set_new(json_object_get(t, "shape"), 0, json_integer(4));
}

static void nan_weight(json_t *hdr, uint8_t *data, size_t *len)
{
	const float nan = NAN;
	(void)hdr, (void)len;
	memcpy(data + 4, &nan, sizeof nan);
}

static void missing_center(json_t *hdr, uint8_t *data, size_t *len)
{
	(void)data, (void)len;
	json_object_del(hdr, "center");
}

static void bad_features(json_t *hdr, uint8_t *data, size_t *len)
{
	(void)data, (void)len;
	set_meta(hdr, "features", "[\"a\", 3]");
}

static void short_data(json_t *hdr, uint8_t *data, size_t *len)
{
	(void)hdr, (void)data;
	*len -= 8;
}

static void zero_mad(json_t *hdr, uint8_t *data, size_t *len)
{
	(void)data, (void)len;
	set_meta(hdr, "score_mad", "0");
}

/* Files cut short, of another format or version, of wrong shapes, holding
 * non-finite numbers: each refused with its reason. */
static void test_damaged_files_refused(void **state)
{
	static const struct {
		void (*mutate)(json_t *hdr, uint8_t *data, size_t *data_len);
		size_t truncate_to;
		const char *expect;
	} cases[] = {
		{ NULL, 5, "too short" },
		{ NULL, 200, "header length" },
		{ wrong_version, 0, "format version 2; this flowsad reads version 1" },
		{ wrong_format, 0, "format 'pytorch'" },
		{ wrong_shape, 0, "encoder.1.weight" },
		{ missing_center, 0, "'center' is missing" },
		{ short_data, 0, "do not fit" },
		{ nan_weight, 0, "not finite" },
		{ zero_mad, 0, "score_mad" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_refused(cases[i].mutate, cases[i].truncate_to, cases[i].expect);
}

static void test_bad_json_refused(void **state)
{
	struct model *m = make_model();
	char err[512];
	size_t len;
	(void)state;

	assert_int_equal(model_save(m, path_of("good"), err, sizeof err), 0);
	model_free(m);
	uint8_t *buf = read_file(path_of("good"), &len);
	buf[8] = 'x'; /* the header no longer starts a JSON value */
	struct model *bad = model_parse(buf, len, err, sizeof err);
	assert_null(bad);
	assert_non_null(strstr(err, "header JSON"));
	free(buf);
	expect_refused(bad_features, 0, "features");
}

static void test_missing_file_named(void **state)
{
	char err[256];
	(void)state;
	assert_null(model_load(path_of("absent"), err, sizeof err));
	assert_non_null(strstr(err, "No such file"));
}

/* The threshold run alerts at and detect reports by: the calibration, where
 * there is one and it is above min_score. */
static void test_alert_threshold(void **state)
{
	struct model m = { 0 };
	(void)state;
	assert_float_equal(model_alert_threshold(&m, 3), 3, 0); /* no calibration */
	m.calib_quantile = 0.999;
	m.calib_threshold = 176.8;
	assert_float_equal(model_alert_threshold(&m, 3), 176.8, 0);
	assert_float_equal(model_alert_threshold(&m, 500), 500, 0);
	m.calib_quantile = 0; /* a threshold without its quantile is no calibration */
	assert_float_equal(model_alert_threshold(&m, 3), 3, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_is_exact),
		cmocka_unit_test(test_round_trip_batchnorm),
		cmocka_unit_test(test_damaged_files_refused),
		cmocka_unit_test(test_bad_json_refused),
		cmocka_unit_test(test_missing_file_named),
		cmocka_unit_test(test_alert_threshold),
	};
	return cmocka_run_group_tests_name("model", tests, setup, teardown);
}
