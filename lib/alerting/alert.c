#include "alerting/alert.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alerting/summary.h"
#include "base/isotime.h"

static json_t *explanation(const struct alert *a)
{
	json_t *list = json_array();
	for (int i = 0; list && i < a->n_features; i++)
		json_array_append_new(
			list, json_pack("{s:s, s:f, s:f}", "feature", a->features[i].name, "shap",
					a->features[i].shap, "value", a->features[i].value));
	return list;
}

/* The incident's fields, as an alert and its end carry them. */
static json_t *incident_object(const struct incident *inc)
{
	char first[ISOTIME_LEN], last[ISOTIME_LEN];
	isotime_format(inc->first, first);
	isotime_format(inc->last + inc->window_seconds, last);
	json_t *names = json_array();
	for (int i = 0; names && i < inc->n_behaviours; i++)
		json_array_append_new(names, json_string(inc->behaviours[i]));
	return json_pack("{s:s, s:s, s:s, s:f, s:I, s:I, s:o}", "id", inc->id, "start", first,
			 "end", last, "max_score", inc->max_score, "alerts",
			 (json_int_t)inc->alerts, "repeats", (json_int_t)inc->repeats, "behaviours",
			 names);
}

double alert_risk_norm(double score, double threshold)
{
	if (!(score > threshold))
		return 0;
	if (!(threshold > 0)) /* a ratio to nothing: as far over as can be */
		return 100;
	double norm = ALERT_RISK_PER_DECADE * log10(score / threshold);
	return norm < 100 ? norm : 100;
}

int alert_severity(double risk_norm)
{
	return risk_norm <= 21 ? 1 : risk_norm <= 47 ? 2 : risk_norm <= 73 ? 3 : 4;
}

/* The fields of event both documents share: the span [start, end) in
 * epoch seconds, category and type (arrays, ECS allowed values). */
static json_t *event_object(const char *id, const char *kind, const char *dataset,
			    json_t *category, json_t *type, int64_t created, int64_t start,
			    int64_t end, double risk_score)
{
	char at[ISOTIME_LEN], from[ISOTIME_LEN], to[ISOTIME_LEN];
	isotime_format(created, at);
	isotime_format(start, from);
	isotime_format(end, to);
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:I, s:f}", "id", id,
			 "kind", kind, "module", "flowsad", "dataset", dataset, "category",
			 category, "type", type, "created", at, "start", from, "end", to,
			 "duration", (json_int_t)(end - start) * 1000000000, "risk_score",
			 risk_score);
}

static json_t *observer_object(const char *name)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name ? name : "", "type", "ids",
			 "product", "flowsad", "vendor", "flowsad", "version", FLOWSAD_VERSION);
}

/* related.ip: the source, then the n hosts of ip. */
static json_t *related_object(const char *src, const char *const *ip, int n)
{
	json_t *ips = json_array();
	json_array_append_new(ips, json_string(src));
	for (int i = 0; ips && i < n; i++)
		json_array_append_new(ips, json_string(ip[i]));
	return json_pack("{s:o}", "ip", ips);
}

/* The document as one line; NULL (doc not built, or no memory) passes. */
static char *dump(json_t *doc)
{
	if (!doc)
		return NULL;
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
	json_decref(doc);
	return text;
}

/* The line of an incident's end: its source, counts and highest score. */
static void incident_message(const struct incident *inc, char *buf, size_t len)
{
	snprintf(buf, len, "%s: incident over after %llu alert%s (%llu repeat%s held back), "
		 "highest score %.1f", inc->src, (unsigned long long)inc->alerts,
		 inc->alerts == 1 ? "" : "s", (unsigned long long)inc->repeats,
		 inc->repeats == 1 ? "" : "s", inc->max_score);
}

char *alert_incident_end_json(const struct incident *inc, const char *observer, int64_t created)
{
	char at[ISOTIME_LEN], message[SUMMARY_LEN];
	int64_t end = inc->last + inc->window_seconds;
	isotime_format(end, at);
	incident_message(inc, message, sizeof message);
	/* ECS expects event.type "end" of category network, not of intrusion_detection */
	json_t *event = event_object(inc->id, "event", ALERT_DATASET_INCIDENT,
				     json_pack("[s]", "network"), json_pack("[s]", "end"), created,
				     inc->first, end, inc->max_score);
	return dump(json_pack("{s:s, s:{s:s}, s:s, s:o, s:{s:s}, s:o, s:o, s:{s:o}}", "@timestamp",
			      at, "ecs", "version", ALERT_ECS_VERSION, "message", message, "event",
			      event, "source", "ip", inc->src, "observer",
			      observer_object(observer), "related",
			      related_object(inc->src, NULL, 0), "flowsad", "incident",
			      incident_object(inc)));
}

/* The alert's event: its window, its score and the score's place over
 * the threshold. */
static json_t *alert_event(const struct alert *a, const char *id)
{
	int64_t end = a->window_start + a->window_seconds;
	json_t *event = event_object(id, "alert", ALERT_DATASET,
				     json_pack("[s, s]", "network", "intrusion_detection"),
				     json_pack("[s]", "info"), a->created, a->window_start, end,
				     a->score);
	double norm = alert_risk_norm(a->score, a->threshold);
	/* two decimals: a norm of 6e-06 says nothing 0 does not */
	json_object_set_new(event, "risk_score_norm", json_real(round(norm * 100) / 100));
	json_object_set_new(event, "severity", json_integer(alert_severity(norm)));
	return event;
}

static json_t *flowsad_object(const struct alert *a)
{
	json_t *fs = json_pack("{s:f, s:f, s:f, s:i, s:I, s:s, s:s, s:I, s:o, s:s}", "score",
			       a->score, "raw_score", a->raw_score, "threshold", a->threshold,
			       "rank", a->rank, "window_seconds", (json_int_t)a->window_seconds,
			       "model_id", a->model_id, "behaviour",
			       a->behaviour ? a->behaviour : "", "repeats",
			       (json_int_t)a->repeats, "explanation", explanation(a), "side",
			       a->side ? a->side : "opened");
	if (fs && a->incident)
		json_object_set_new(fs, "incident", incident_object(a->incident));
	/* absent when none: "answered_by" the refusals an opened side provoked,
	 * "service_users" the clients a served side told of as its young service's users */
	if (fs && a->related_count)
		json_object_set_new(fs, a->side && !strcmp(a->side, "served") ? "service_users"
									  : "answered_by",
				    json_integer((json_int_t)a->related_count));
	/* a source with too little past has no usual score: the field is left out */
	if (fs && a->usual == a->usual)
		json_object_set_new(fs, "usual_score", json_real(a->usual));
	return fs;
}

char *alert_json(const struct alert *a)
{
	char at[ISOTIME_LEN], start[ISOTIME_LEN], id[64 + ISOTIME_LEN], message[SUMMARY_LEN];

	isotime_format(a->window_start + a->window_seconds, at);
	isotime_format(a->window_start, start);
	snprintf(id, sizeof id, "flowsad-%s-%s", start, a->src_ip);
	summary_write(message, sizeof message, a->src_ip, a->behaviour, a->counts);
	return dump(json_pack("{s:s, s:{s:s}, s:s, s:o, s:{s:s}, s:o, s:o, s:o}", "@timestamp",
			      at, "ecs", "version", ALERT_ECS_VERSION, "message", message, "event",
			      alert_event(a, id), "source", "ip", a->src_ip, "observer",
			      observer_object(a->observer), "related",
			      related_object(a->src_ip, a->related, a->n_related), "flowsad",
			      flowsad_object(a)));
}

char *alert_upgrade(const char *json)
{
	json_t *doc = json_loads(json, 0, NULL), *event = json_object_get(doc, "event");
	json_t *at = json_object_get(doc, "@timestamp"), *end = json_object_get(event, "end");
	if (!json_is_string(at) || !json_is_string(end) || json_object_get(event, "created")) {
		json_decref(doc);
		return NULL;
	}
	json_object_set(event, "created", at);
	json_object_set(doc, "@timestamp", end);
	return dump(doc);
}
