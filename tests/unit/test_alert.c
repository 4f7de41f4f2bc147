/* alert and suppress: the alert document's fields, and repeat suppression. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alerting/alert.h"
#include "alerting/suppress.h"

static void test_alert_document(void **state)
{
	(void)state;
	struct alert_feature f[2] = { { "fanout dst_ips", 4.5, 120 },
				      { "tcp syn_sent", 1.25, 300 } };
	struct alert a = { .window_start = 1795950540,
			   .window_seconds = 60,
			   .src_ip = "10.77.0.18",
			   .score = 10.5,
			   .raw_score = 32.25,
			   .rank = 2,
			   .model_id = "cb5a7c873baa79dc",
			   .observer = "sensor-1",
			   .created = 1795950610,
			   .n_features = 2,
			   .features = f };
	char *text = alert_json(&a);
	assert_non_null(text);
	assert_null(strchr(text, '\n')); /* one line: a JSON-lines record as it is */
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);
	assert_non_null(doc);
	const char *ts, *id, *kind, *module, *start, *end, *ip, *observer, *model, *name;
	double risk, score, raw, shap, value;
	int rank, window;
	assert_int_equal(json_unpack(doc,
				     "{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:F}, s:{s:s}, s:{s:s},"
				     " s:{s:F, s:F, s:i, s:i, s:s, s:[{s:s, s:F, s:F}, *]}}",
				     "@timestamp", &ts, "event", "id", &id, "kind", &kind, "module",
				     &module, "start", &start, "end", &end, "risk_score", &risk,
				     "source", "ip", &ip, "observer", "name", &observer, "flowsad",
				     "score", &score, "raw_score", &raw, "rank", &rank,
				     "window_seconds", &window, "model_id", &model, "explanation",
				     "feature", &name, "shap", &shap, "value", &value),
			 0);
	assert_string_equal(ts, "2026-11-29T11:10:10Z");
	assert_string_equal(id, "flowsad-2026-11-29T11:09:00Z-10.77.0.18");
	assert_string_equal(kind, "alert");
	assert_string_equal(module, "flowsad");
	assert_string_equal(start, "2026-11-29T11:09:00Z");
	assert_string_equal(end, "2026-11-29T11:10:00Z");
	assert_string_equal(ip, "10.77.0.18");
	assert_string_equal(observer, "sensor-1");
	assert_string_equal(model, "cb5a7c873baa79dc");
	assert_string_equal(name, "fanout dst_ips");
	assert_true(risk == 10.5 && score == 10.5 && raw == 32.25 && shap == 4.5 && value == 120);
	assert_int_equal(rank, 2);
	assert_int_equal(window, 60);
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(doc, "flowsad"), "explanation")),
		2);
	/* ECS: its version, category and type as arrays of the allowed values */
	const char *ecs, *cat1, *cat2, *type;
	assert_int_equal(json_unpack(doc, "{s:{s:s}, s:{s:[s, s], s:[s]}}", "ecs", "version", &ecs,
				     "event", "category", &cat1, &cat2, "type", &type), 0);
	assert_string_equal(ecs, ALERT_ECS_VERSION);
	assert_string_equal(cat1, "network");
	assert_string_equal(cat2, "intrusion_detection");
	assert_string_equal(type, "info");
	json_decref(doc);
	free(text);
}

/* suppress_check with behaviour b and score 10, the repeats ignored */
static int check(struct suppressor *s, const char *ip, uint64_t b, int64_t t)
{
	uint64_t repeats;
	return suppress_check(s, ip, b, t, 10, &repeats);
}

static void test_suppression(void **state)
{
	(void)state;
	struct suppressor *s = suppress_new(3600);
	assert_int_equal(check(s, "10.0.0.1", 1, 1000), 0);
	assert_int_equal(check(s, "10.0.0.1", 1, 1060), 1);   /* within the hour */
	assert_int_equal(check(s, "10.0.0.2", 1, 1060), 0);   /* another source */
	assert_int_equal(check(s, "10.0.0.1", 1, 4599), 1);
	assert_int_equal(check(s, "10.0.0.1", 1, 4600), 0);   /* an hour later: sent again */
	assert_int_equal(check(s, "10.0.0.1", 1, 4660), 1);   /* and a new hour starts */
	for (int i = 0; i < 5000; i++) {                      /* many sources, purged as they age */
		char ip[32];
		snprintf(ip, sizeof ip, "10.1.%d.%d", i / 256, i % 256);
		assert_int_equal(check(s, ip, 1, 10000 + i * 10), 0);
	}
	assert_int_equal(check(s, "10.1.19.135", 1, 10000 + 4999 * 10), 1); /* the last one */
	suppress_free(s);
	s = suppress_new(0); /* 0: never suppress */
	assert_int_equal(check(s, "10.0.0.1", 1, 1), 0);
	assert_int_equal(check(s, "10.0.0.1", 1, 2), 0);
	suppress_free(s);
}

static void test_suppression_by_behaviour(void **state)
{
	(void)state;
	struct suppressor *s = suppress_new(3600);
	uint64_t repeats = 99;
	assert_int_equal(suppress_check(s, "10.0.0.1", 7, 0, 10, &repeats), 0);
	assert_int_equal(repeats, 0);
	/* the same behaviour repeats: held back, counted */
	assert_int_equal(suppress_check(s, "10.0.0.1", 7, 60, 12, &repeats), 1);
	assert_int_equal(suppress_check(s, "10.0.0.1", 7, 120, 20, &repeats), 1);
	/* a new behaviour of the same source alerts at once */
	assert_int_equal(suppress_check(s, "10.0.0.1", 8, 180, 10, &repeats), 0);
	assert_int_equal(repeats, 0);
	/* the same behaviour far above the score last sent (more than twice) alerts, and
	 * says it stands for the two held back */
	assert_int_equal(suppress_check(s, "10.0.0.1", 7, 240, 20.5, &repeats), 0);
	assert_int_equal(repeats, 2);
	/* from then on, repeats are measured against the new score */
	assert_int_equal(suppress_check(s, "10.0.0.1", 7, 300, 40, &repeats), 1);
	assert_int_equal(suppress_check(s, "10.0.0.1", 7, 240 + 3600, 15, &repeats), 0);
	assert_int_equal(repeats, 1);
	suppress_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_document),
		cmocka_unit_test(test_suppression),
		cmocka_unit_test(test_suppression_by_behaviour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
