/* scorer's state: what a fleet's scorer commits for the one that takes over
 * (the recent scores' calibration, the open incidents) comes back exactly,
 * and bytes that are damaged, of another version or of another window
 * length are refused, with the reason, the scorer left as it was. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alerting/incident.h"
#include "base/dataset.h"
#include "detector/calibrate.h"
#include "detector/scaler.h"
#include "features/feature_spec.h"
#include "windows/scorer.h"

enum { SAMPLES = 40 };

/* Source i's sample of the window at start: a few packets to a web port. */
static void add_sample(struct sample_set *set, int64_t start, int i)
{
	struct window_term wt = { WINDOW_TERM(0, 6, 80), 1 + (uint32_t)i % 7, 0 };
	struct window_counters c = { .packets = 10 + (uint64_t)i * 3,
				     .tcp_packets = 10 + (uint64_t)i * 3,
				     .opened_packets = 10 + (uint64_t)i * 3,
				     .opened_tcp = 10 + (uint64_t)i * 3,
				     .dst_ips = 1 + (uint32_t)i % 5,
				     .terms = &wt,
				     .n_terms = 1 };
	ip_addr src = { .b = { [10] = 0xff, [11] = 0xff, [12] = 10, [15] = (uint8_t)(i + 1) } };
	sample_set_collect(set, start, &src, &c);
}

/* A small model of windows of window_seconds over set's features, as
 * training makes one for the daemon (a feature spec, background rows). */
static struct model *make_model(const struct sample_set *set, uint32_t window_seconds)
{
	struct feature_spec spec = { .window_seconds = window_seconds };
	struct dataset ds;
	location_init(&spec.loc);
	assert_int_equal(feature_spec_fit(&spec, set, 30, 1), 0);
	assert_int_equal(feature_spec_dataset(&spec, set, &ds), 0);
	struct model *m = calloc(1, sizeof *m);
	assert_non_null(m);
	deepsad_config_default(&m->cfg);
	m->cfg.n_hidden = 1;
	m->cfg.hidden[0] = 4;
	m->cfg.epochs_pretrain = 1;
	m->cfg.epochs = 2;
	assert_int_equal(scaler_fit(&m->scaler, SCALER_ZSCORE, ds.x, ds.n, ds.dim), 0);
	scaler_apply(&m->scaler, ds.x, ds.n);
	assert_int_equal(deepsad_train(&m->det, &m->cfg, ds.x, NULL, ds.n, ds.dim, NULL, NULL), 0);
	m->n_features = ds.dim;
	m->features = calloc((size_t)ds.dim, sizeof *m->features);
	for (int j = 0; j < ds.dim; j++)
		m->features[j] = strdup(ds.names[j]);
	m->n_background = 4;
	m->background = malloc(4 * (size_t)ds.dim * sizeof(float));
	memcpy(m->background, ds.x, 4 * (size_t)ds.dim * sizeof(float));
	m->window_seconds = window_seconds;
	m->feature_spec = feature_spec_to_json(&spec);
	snprintf(m->id, sizeof m->id, "test");
	dataset_free(&ds);
	feature_spec_free(&spec);
	return m;
}

static void no_alert_sink(void *ctx, const struct alert_record *a)
{
	(void)ctx, (void)a;
}

static struct scorer *make_scorer(const struct sample_set *set, uint32_t window_seconds)
{
	struct scorer_settings settings = { .top_n = 5,
					    .min_score = -100,
					    .explain_k = 3,
					    .explain_nsamples = 4,
					    .suppress = 3600 };
	char err[256];
	struct scorer *s = scorer_new(make_model(set, window_seconds), &settings, no_alert_sink,
				      NULL, err, sizeof err);
	if (!s)
		fail_msg("scorer_new: %s", err);
	return s;
}

/* s's state as bytes (the caller frees them). */
static uint8_t *state_of(const struct scorer *s, size_t *len)
{
	uint8_t *buf;
	assert_int_equal(scorer_state_encode(s, &buf, len), 0);
	return buf;
}

static void expect_state(const struct scorer *s, const uint8_t *want, size_t want_len)
{
	size_t len;
	uint8_t *got = state_of(s, &len);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, len);
	free(got);
}

struct fixture {
	struct sample_set set;
	struct scorer *from, *to; /* from: windows scored, incidents open; to: new */
	uint8_t *state;
	size_t len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	uint64_t none[WINDOW_PEER_WORDS] = { 0 };
	for (int i = 0; i < SAMPLES; i++)
		add_sample(&f->set, 600, i);
	f->from = make_scorer(&f->set, 60);
	f->to = make_scorer(&f->set, 60);
	for (int64_t w = 600; w < 900; w += 60) /* the calibration learns windows' scores */
		scorer_score(f->from, w, &f->set, NULL);
	assert_int_equal(incident_note(scorer_incidents(f->from), "10.0.0.7", 900, "fan-out+volume",
				       6.5, none, none, NULL),
			 INCIDENT_OPENS);
	assert_int_equal(incident_note(scorer_incidents(f->from), "10.0.0.9", 960, "volume", 4.0,
				       none, none, NULL),
			 INCIDENT_OPENS);
	f->state = state_of(f->from, &f->len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sample_set_free(&f->set);
	scorer_free(f->from);
	scorer_free(f->to);
	free(f->state);
	free(f);
	return 0;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	char err[256];
	size_t fresh_len;
	uint8_t *fresh = state_of(f->to, &fresh_len);
	/* the calibration (after the 16-byte head) learnt from the windows scored */
	assert_memory_not_equal(fresh + 16, f->state + 16, sizeof(struct calibrator));
	assert_int_equal(scorer_state_decode(f->to, f->state, f->len, err, sizeof err), 0);
	expect_state(f->to, f->state, f->len);
	/* the incidents go on: a repeat of the open one is held back */
	uint64_t none[WINDOW_PEER_WORDS] = { 0 };
	assert_int_equal(incident_note(scorer_incidents(f->to), "10.0.0.7", 1020, "fan-out+volume",
				       6.0, none, none, NULL),
			 INCIDENT_REPEATS);
	free(fresh);
}

/* buf[len] refused by a new scorer, err containing why, the scorer as it was. */
static void expect_refused(void **state, const uint8_t *buf, size_t len, const char *why)
{
	struct fixture *f = *state;
	char err[256];
	size_t before_len;
	uint8_t *before = state_of(f->to, &before_len);
	assert_int_equal(scorer_state_decode(f->to, buf, len, err, sizeof err), -EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s' does not say '%s'", err, why);
	expect_state(f->to, before, before_len);
	free(before);
}

static void test_damaged_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t *buf = malloc(f->len);
	memcpy(buf, f->state, f->len);
	buf[100] ^= 0x40; /* in the calibration */
	expect_refused(state, buf, f->len, "calibration is damaged");
	memcpy(buf, f->state, f->len);
	buf[f->len - 10] ^= 0x40; /* in the incidents */
	expect_refused(state, buf, f->len, "checksum");
	expect_refused(state, f->state, f->len - 1, "length");
	expect_refused(state, f->state, 20, "not a flowsad scorer's state");
	memcpy(buf, f->state, f->len);
	buf[8] = 99; /* the version */
	expect_refused(state, buf, f->len, "format 99");
	free(buf);
}

static void test_other_window_length_refused(void **state)
{
	struct fixture *f = *state;
	char err[256];
	size_t len;
	struct scorer *s = make_scorer(&f->set, 120);
	uint8_t *before = state_of(s, &len);
	assert_int_equal(scorer_state_decode(s, f->state, f->len, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "60-second windows"));
	expect_state(s, before, len);
	free(before);
	scorer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_window_length_refused, setup, teardown),
	};
	return cmocka_run_group_tests_name("scorer_state", tests, NULL, NULL);
}
