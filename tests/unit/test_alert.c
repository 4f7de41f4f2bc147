/* alert and incident: the alert document's fields, and incidents (repeats
 * held back within them). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alerting/alert.h"
#include "alerting/incident.h"
#include "alerting/summary.h"

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
	/* event time: the window's end, whenever it was scored */
	assert_string_equal(ts, "2026-11-29T11:10:00Z");
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

/* The ECS fields of an alert beside its score: when it was scored, what it
 * is, how long its window, how risky, who saw it, which hosts it concerns,
 * and a line that says it in words. */
static void test_alert_ecs_fields(void **state)
{
	(void)state;
	struct alert_feature f[2] = { { "fanout dst_ips", 4.5, 120 },
				      { "tcp syn_unanswered", 1.25, 300 } };
	const char *const refused[] = { "10.77.1.10", "10.77.1.11" };
	struct window_counters c = { .opened = 150, .syn_sent = 150, .syn_unanswered = 140 };
	c.peers[0] = 0x7fff; /* 15 hosts */
	c.services[1] = 0x3ff; /* 10 ports */
	struct alert a = { .window_start = 1795950540,
			   .window_seconds = 60,
			   .src_ip = "10.77.3.15",
			   .score = 300,
			   .threshold = 3,
			   .model_id = "cb5a7c873baa79dc",
			   .observer = "sensor-1",
			   .created = 1795950610,
			   .n_features = 2,
			   .features = f,
			   .behaviour = "fan-out+failures",
			   .n_related = 2,
			   .related = refused,
			   .related_count = 2,
			   .counts = &c };
	char *text = alert_json(&a);
	json_t *doc = json_loads(text, 0, NULL);
	const char *created, *dataset, *message, *otype, *product, *vendor, *version;
	json_int_t duration, severity;
	double norm;
	json_t *ips;
	assert_int_equal(json_unpack(doc,
				     "{s:s, s:{s:s, s:s, s:I, s:F, s:I}, s:{s:s, s:s, s:s, s:s},"
				     " s:{s:o}}",
				     "message", &message, "event", "created", &created, "dataset",
				     &dataset, "duration", &duration, "risk_score_norm", &norm,
				     "severity", &severity, "observer", "type", &otype, "product",
				     &product, "vendor", &vendor, "version", &version, "related",
				     "ip", &ips),
			 0);
	assert_string_equal(created, "2026-11-29T11:10:10Z");
	assert_string_equal(dataset, "flowsad.alert");
	assert_int_equal(duration, 60000000000LL);
	assert_true(norm == 100 && severity == 4); /* a hundred times its threshold */
	assert_string_equal(otype, "ids");
	assert_string_equal(product, "flowsad");
	assert_string_equal(vendor, "flowsad");
	assert_string_equal(version, FLOWSAD_VERSION);
	assert_int_equal(json_array_size(ips), 3);
	assert_string_equal(json_string_value(json_array_get(ips, 0)), "10.77.3.15");
	assert_string_equal(json_string_value(json_array_get(ips, 2)), "10.77.1.11");
	assert_string_equal(message, "10.77.3.15 opened 150 flows to 15 hosts on 10 ports; "
				     "it got no answer to 140 of 150 SYNs");
	json_decref(doc);
	free(text);
	/* nobody answered: related.ip still names the source */
	a.n_related = 0;
	a.related_count = 0;
	text = alert_json(&a);
	doc = json_loads(text, 0, NULL);
	assert_int_equal(json_unpack(doc, "{s:{s:o}}", "related", "ip", &ips), 0);
	assert_int_equal(json_array_size(ips), 1);
	assert_null(json_object_get(json_object_get(doc, "flowsad"), "answered_by"));
	json_decref(doc);
	free(text);
	/* a young service told for its users: they are its related hosts, counted
	 * as service_users */
	a.side = "served";
	a.n_related = 2;
	a.related_count = 3;
	text = alert_json(&a);
	doc = json_loads(text, 0, NULL);
	json_int_t users = 0;
	assert_int_equal(json_unpack(doc, "{s:{s:o}, s:{s:I}}", "related", "ip", &ips, "flowsad",
				     "service_users", &users),
			 0);
	assert_int_equal(json_array_size(ips), 3);
	assert_int_equal(users, 3);
	assert_null(json_object_get(json_object_get(doc, "flowsad"), "answered_by"));
	json_decref(doc);
	free(text);
}

/* The score's place over its threshold, as a log ratio: 0 at the
 * threshold, 50 at ten times, capped at 100; severity in four bands. */
static void test_alert_risk_mapping(void **state)
{
	(void)state;
	assert_true(alert_risk_norm(3, 3) == 0);
	assert_true(alert_risk_norm(2, 3) == 0);
	assert_true(fabs(alert_risk_norm(30, 3) - 50) < 1e-9);
	assert_true(fabs(alert_risk_norm(300, 3) - 100) < 1e-9);
	assert_true(alert_risk_norm(3e6, 3) == 100);
	assert_true(alert_risk_norm(5, 0) == 100);
	assert_true(alert_risk_norm(NAN, 3) == 0);
	assert_int_equal(alert_severity(0), 1);
	assert_int_equal(alert_severity(21), 1);
	assert_int_equal(alert_severity(30), 2);
	assert_int_equal(alert_severity(60), 3);
	assert_int_equal(alert_severity(100), 4);
}

/* Each behaviour family told in words with the sample's own counts; the
 * second family follows the first. */
static void test_summary_families(void **state)
{
	(void)state;
	struct window_counters c = {
		.opened = 12,
		.opened_packets = 3000,
		.opened_bytes = 2100000,
		.opened_tcp = 2900,
		.opened_udp = 60,
		.opened_icmp = 40,
		.syn_sent = 20,
		.synack_received = 1,
		.syn_unanswered = 19,
		.rst_received = 30,
		.unreach_received = 2,
		.served_packets = 500,
		.served_bytes = 640,
	};
	c.peers[0] = 0x7;    /* 3 hosts */
	c.services[0] = 0x1; /* 1 port */
	c.clients[3] = 0x3;  /* 2 clients */
	c.served[7] = 0x1;   /* 1 service */
	static const struct {
		const char *behaviour, *line;
	} cases[] = {
		{ "fan-out", "h opened 12 flows to 3 hosts on 1 port" },
		{ "volume+fan-out",
		  "h sent 2.1 MB in 3000 packets over 12 flows; it opened 12 flows to 3 hosts on 1 "
		  "port" },
		{ "failures", "h got no answer to 19 of 20 SYNs, was refused 20 times, got 2 ICMP "
			      "unreachables" },
		{ "tcp", "h sent 20 SYNs and got 1 SYN-ACK back" },
		{ "protocol-mix", "h sent 2900 TCP, 60 UDP, 40 ICMP and 0 other packets" },
		{ "new-source", "h is new (not seen within the horizon); it opened 12 flows to 3 "
				"hosts on 1 port" },
		{ "services",
		  "h reached services it had not used recently (1 port in the window)" },
		{ "serving", "h served 640 bytes in 500 packets to 2 clients on 1 service" },
		{ "svc private->private tcp/22+volume",
		  "h opened 12 flows to 3 hosts on 1 port, private->private tcp/22 among them; it "
		  "sent 2.1 MB in 3000 packets over 12 flows" },
		{ "none", "h opened 12 flows to 3 hosts on 1 port" },
		/* what it opened is told once, whichever families tell it */
		{ "fan-out+svc private->private tcp/9100",
		  "h opened 12 flows to 3 hosts on 1 port, private->private tcp/9100 among them" },
		{ "svc private->private tcp/53+svc private->private tcp/8443",
		  "h opened 12 flows to 3 hosts on 1 port, private->private tcp/53 and "
		  "private->private tcp/8443 among them" },
		{ "svc private->private tcp/22+fan-out",
		  "h opened 12 flows to 3 hosts on 1 port, private->private tcp/22 among them" },
	};
	char line[SUMMARY_LEN];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(summary_write(line, sizeof line, "h", cases[i].behaviour, &c),
				    cases[i].line);
	/* failures of earlier windows only: said so, with no count made up */
	struct window_counters quiet = { 0 };
	assert_string_equal(summary_write(line, sizeof line, "h", "failures", &quiet),
			    "h failed to connect more than usual over recent windows");
	/* a short buffer cuts the line, never overflows it */
	assert_string_equal(summary_write(line, 12, "10.77.3.15", "fan-out", &c), "10.77.3.15 ");
}

/* An alert spooled by an earlier flowsad (@timestamp its scoring time, no
 * event.created) goes out under this contract; a current one as it is. */
/* A behaviour names the two leading families that raised the score and
 * that the sample has: a service it did not use, raising the score by its
 * absence, is not named (it made a message say "tcp/3306 among them" of a
 * resolver that had only forwarded DNS). */
static void test_summary_behaviour(void **state)
{
	char name[160];
	(void)state;
	const struct alert_feature f[] = {
		{ "host slow new_peers", 256, 1.09 },
		{ "svc private->private tcp/3306", 9, 0 },
		{ "host rise peers", 5, 0.69 },
		{ "volume bytes", -2, 5.2 },
	};
	summary_behaviour(f, 4, name, sizeof name);
	assert_string_equal(name, "fan-out");
	const struct alert_feature g[] = {
		{ "svc private->private tcp/22", 40, 3.0 },
		{ "tcp syn_unanswered", 12, 2.1 },
		{ "volume flows", 3, 2.0 },
	};
	summary_behaviour(g, 3, name, sizeof name);
	assert_string_equal(name, "svc private->private tcp/22+failures");
	summary_behaviour(g, 0, name, sizeof name);
	assert_string_equal(name, "none");
}

static void test_alert_upgrade(void **state)
{
	(void)state;
	char *text = alert_upgrade("{\"@timestamp\":\"2026-12-07T03:09:36Z\",\"event\":"
				   "{\"kind\":\"alert\",\"end\":\"2026-11-29T11:10:20Z\"},"
				   "\"score\":8797.332}");
	assert_non_null(text);
	assert_string_equal(text, "{\"@timestamp\":\"2026-11-29T11:10:20Z\",\"event\":{\"kind\":"
				  "\"alert\",\"end\":\"2026-11-29T11:10:20Z\",\"created\":"
				  "\"2026-12-07T03:09:36Z\"},\"score\":8797.332}");
	free(text);
	struct alert a = { .window_start = 1795950540, .window_seconds = 60, .src_ip = "h",
			   .model_id = "m" };
	text = alert_json(&a);
	assert_null(alert_upgrade(text));
	free(text);
	assert_null(alert_upgrade("not json"));
}

static const uint64_t none[WINDOW_PEER_WORDS];

/* incident_note of src with behaviour b at t (10-s windows), score 10,
 * nothing new reached */
static int note(struct incident_table *t, const char *src, const char *b, int64_t t0)
{
	return incident_note(t, src, t0, b, 10, none, none, NULL);
}

static void count_end(void *ctx, const struct incident *inc)
{
	(void)inc;
	++*(int *)ctx;
}

/* One scan over consecutive windows is one incident; a quiet spell of five
 * minutes (at least INCIDENT_QUIET windows) ends it, and the next anomaly of
 * the source is alerted as a new one. */
static void test_incident_spans_consecutive_windows(void **state)
{
	(void)state;
	struct incident_table *t = incident_table_new(10, 3600);
	const struct incident *inc;
	int ended = 0;
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 0), INCIDENT_OPENS);
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 10), INCIDENT_REPEATS);
	assert_int_equal(note(t, "10.0.0.2", "fan-out", 10), INCIDENT_OPENS); /* another source */
	/* four quiet minutes (a monitor's check each minute, a scan that pauses): the same */
	assert_int_equal(incident_note(t, "10.0.0.1", 250, "fan-out", 12, none, none, &inc),
			 INCIDENT_REPEATS);
	assert_int_equal(inc->first, 0);
	assert_int_equal(inc->last, 250);
	assert_int_equal(inc->repeats, 2);
	assert_int_equal(incident_end_quiet(t, 310, count_end, &ended), 0);
	assert_int_equal(incident_end_quiet(t, 320, count_end, &ended), 1); /* 10.0.0.2's */
	/* five quiet minutes end it: told once, and the same behaviour is news again */
	assert_int_equal(incident_end_quiet(t, 560, count_end, &ended), 1);
	assert_int_equal(ended, 2);
	assert_int_equal(incident_note(t, "10.0.0.1", 560, "fan-out", 10, none, none, &inc),
			 INCIDENT_OPENS);
	assert_string_equal(inc->id, "incident-1970-01-01T00:09:20Z-10.0.0.1");
	/* an incident lasting longer than `longest` is told again */
	for (int64_t w = 570; w < 560 + 3600; w += 10)
		assert_int_equal(note(t, "10.0.0.1", "fan-out", w), INCIDENT_REPEATS);
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 560 + 3600), INCIDENT_OPENS);
	incident_table_free(t);
	/* windows of five minutes: INCIDENT_QUIET of them, not five minutes */
	t = incident_table_new(300, 86400);
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 0), INCIDENT_OPENS);
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 900), INCIDENT_REPEATS);
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 2100), INCIDENT_OPENS);
	incident_table_free(t);
	t = incident_table_new(10, 0); /* 0: nothing held back */
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 0), INCIDENT_OPENS);
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 10), INCIDENT_OPENS);
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 0), INCIDENT_OPENS); /* a late window */
	incident_table_free(t);
}

/* The open incidents outlive a restart: encoded and decoded into a new
 * table, a repeat is still a repeat and the incident keeps its id; a file of
 * another window length, or damaged, is refused and the table unchanged. */
static void test_incidents_kept_across_a_restart(void **state)
{
	(void)state;
	struct incident_table *t = incident_table_new(10, 3600), *again;
	const struct incident *inc;
	char err[256];
	uint8_t *buf;
	size_t len;
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 0), INCIDENT_OPENS);
	assert_int_equal(note(t, "10.0.0.2", "volume", 10), INCIDENT_OPENS);
	assert_int_equal(incident_table_encode(t, &buf, &len), 0);

	again = incident_table_new(10, 3600);
	assert_int_equal(incident_table_decode(again, buf, len, err, sizeof err), 0);
	assert_int_equal(incident_note(again, "10.0.0.1", 20, "fan-out", 10, none, none, &inc),
			 INCIDENT_REPEATS);
	assert_string_equal(inc->id, "incident-1970-01-01T00:00:00Z-10.0.0.1");
	assert_int_equal(note(again, "10.0.0.2", "volume", 20), INCIDENT_REPEATS);
	incident_table_free(again);

	/* older traffic replayed after the restart: another timeline, whose
	 * windows open incidents of their own; the kept ones are forgotten untold */
	again = incident_table_new(10, 3600);
	assert_int_equal(incident_table_decode(again, buf, len, err, sizeof err), 0);
	int ended = 0;
	assert_int_equal(incident_end_quiet(again, -3600, count_end, &ended), 0);
	assert_int_equal(ended, 0);
	assert_int_equal(note(again, "10.0.0.1", "fan-out", -3600), INCIDENT_OPENS);
	incident_table_free(again);

	again = incident_table_new(60, 3600);
	assert_int_equal(incident_table_decode(again, buf, len, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "10-second windows"));
	buf[len / 2] ^= 1;
	assert_int_equal(incident_table_decode(t, buf, len, err, sizeof err), -EINVAL);
	assert_string_equal(err, "checksum mismatch: the file is damaged");
	assert_int_equal(incident_table_decode(t, buf, 7, err, sizeof err), -EINVAL);
	assert_int_equal(note(t, "10.0.0.1", "fan-out", 20), INCIDENT_REPEATS); /* unchanged */
	free(buf);
	incident_table_free(again);
	incident_table_free(t);
}

/* What leads an explanation is its behaviour: a sweep explained by its
 * fan-out, then by fan-out and volume, is one behaviour; led by volume, it
 * is news. */
static void test_incident_behaviour_is_its_lead(void **state)
{
	(void)state;
	struct incident_table *t = incident_table_new(10, 3600);
	const struct incident *inc;
	assert_int_equal(incident_note(t, "h", 0, "fan-out+protocol-mix", 10, none, none, &inc),
			 INCIDENT_OPENS);
	assert_int_equal(incident_note(t, "h", 10, "fan-out+volume", 10, none, none, &inc),
			 INCIDENT_REPEATS);
	assert_int_equal(incident_note(t, "h", 20, "volume+fan-out", 10, none, none, &inc),
			 INCIDENT_GROWS);
	assert_int_equal(inc->n_behaviours, 3);
	incident_table_free(t);
}

/* Within an incident, news is alerted: a new behaviour, new peers or
 * services, a score more than twice its highest; the alert after held-back
 * repeats says how many it stands for. */
static void test_incident_news_is_alerted(void **state)
{
	(void)state;
	struct incident_table *t = incident_table_new(10, 3600);
	const struct incident *inc;
	uint64_t peers[WINDOW_PEER_WORDS] = { 1 }, more[WINDOW_PEER_WORDS] = { 3 };
	assert_int_equal(incident_note(t, "h", 0, "fan-out", 10, peers, none, &inc),
			 INCIDENT_OPENS);
	assert_int_equal(incident_note(t, "h", 10, "fan-out", 12, peers, none, &inc),
			 INCIDENT_REPEATS);
	assert_int_equal(incident_note(t, "h", 20, "volume", 12, peers, none, &inc),
			 INCIDENT_GROWS);
	assert_int_equal(inc->held_before, 1);
	assert_int_equal(inc->n_behaviours, 2);
	assert_int_equal(incident_note(t, "h", 30, "fan-out", 12, more, none, &inc),
			 INCIDENT_GROWS);
	assert_int_equal(incident_note(t, "h", 40, "fan-out", 12, peers, more, &inc),
			 INCIDENT_GROWS);
	assert_int_equal(incident_note(t, "h", 50, "fan-out", 25, more, more, &inc),
			 INCIDENT_GROWS);
	assert_int_equal(incident_note(t, "h", 60, "fan-out", 50, more, more, &inc),
			 INCIDENT_REPEATS);
	assert_int_equal(inc->alerts, 5);
	assert_true(inc->max_score == 50);
	/* its end: an event, not an alert, with the incident's story */
	char *text = alert_incident_end_json(inc, "sensor-1", 86400);
	json_t *doc = json_loads(text, 0, NULL);
	const char *kind, *type, *id, *at, *created, *dataset, *category, *message, *product, *rel;
	json_int_t alerts, repeats, duration;
	assert_int_equal(json_unpack(doc,
				     "{s:s, s:s, s:{s:s, s:[s!], s:[s!], s:s, s:s, s:I},"
				     " s:{s:s}, s:{s:[s!]}, s:{s:{s:s, s:I, s:I}}}",
				     "@timestamp", &at, "message", &message, "event", "kind", &kind,
				     "category", &category, "type", &type, "dataset", &dataset,
				     "created", &created, "duration", &duration, "observer",
				     "product", &product, "related", "ip", &rel, "flowsad",
				     "incident", "id", &id, "alerts", &alerts, "repeats", &repeats),
			 0);
	assert_string_equal(kind, "event");
	assert_string_equal(type, "end");
	assert_string_equal(category, "network"); /* where ECS expects "end" */
	assert_string_equal(dataset, "flowsad.incident");
	/* event time: the end of its last window (60 s); told a day after 0 */
	assert_string_equal(at, "1970-01-01T00:01:10Z");
	assert_string_equal(created, "1970-01-02T00:00:00Z");
	assert_int_equal(duration, 70000000000LL);
	assert_string_equal(product, "flowsad");
	assert_string_equal(rel, "h");
	assert_string_equal(message, "h: incident over after 5 alerts (2 repeats held back), "
				     "highest score 50.0");
	assert_int_equal(alerts, 5);
	assert_int_equal(repeats, 2);
	json_decref(doc);
	free(text);
	incident_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_document),
		cmocka_unit_test(test_alert_ecs_fields),
		cmocka_unit_test(test_alert_risk_mapping),
		cmocka_unit_test(test_alert_upgrade),
		cmocka_unit_test(test_summary_families),
		cmocka_unit_test(test_summary_behaviour),
		cmocka_unit_test(test_incident_spans_consecutive_windows),
		cmocka_unit_test(test_incidents_kept_across_a_restart),
		cmocka_unit_test(test_incident_news_is_alerted),
		cmocka_unit_test(test_incident_behaviour_is_its_lead),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
