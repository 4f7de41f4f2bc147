#include "alerting/alert.h"

#include <jansson.h>
#include <stdio.h>

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

char *alert_incident_end_json(const struct incident *inc, const char *observer, int64_t created)
{
	char at[ISOTIME_LEN], start[ISOTIME_LEN], end[ISOTIME_LEN];
	isotime_format(created, at);
	isotime_format(inc->first, start);
	isotime_format(inc->last + inc->window_seconds, end);
	json_t *doc = json_pack(
		"{s:s, s:{s:s}, s:{s:s, s:s, s:s, s:[s, s], s:[s], s:s, s:s, s:f}, s:{s:s}, "
		"s:{s:s}, s:{s:o}}",
		"@timestamp", at, "ecs", "version", ALERT_ECS_VERSION, "event", "id", inc->id,
		"kind", "event", "module", "flowsad", "category", "network", "intrusion_detection",
		"type", "end", "start", start, "end", end, "risk_score", inc->max_score, "source",
		"ip", inc->src, "observer", "name", observer ? observer : "", "flowsad", "incident",
		incident_object(inc));
	if (!doc)
		return NULL;
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
	json_decref(doc);
	return text;
}

char *alert_json(const struct alert *a)
{
	char created[ISOTIME_LEN], start[ISOTIME_LEN], end[ISOTIME_LEN], id[64 + ISOTIME_LEN];

	isotime_format(a->created, created);
	isotime_format(a->window_start, start);
	isotime_format(a->window_start + a->window_seconds, end);
	snprintf(id, sizeof id, "flowsad-%s-%s", start, a->src_ip);
	json_t *doc = json_pack(
		"{s:s, s:{s:s}, s:{s:s, s:s, s:s, s:[s, s], s:[s], s:s, s:s, s:f}, s:{s:s}, "
		"s:{s:s},"
		" s:{s:f, s:f, s:f, s:i, s:I, s:s, s:s, s:I, s:o}}",
		"@timestamp", created, "ecs", "version", ALERT_ECS_VERSION, "event", "id", id,
		"kind", "alert", "module", "flowsad", "category", "network", "intrusion_detection",
		"type", "info", "start", start, "end", end, "risk_score", a->score, "source", "ip",
		a->src_ip, "observer", "name", a->observer ? a->observer : "", "flowsad", "score",
		a->score, "raw_score", a->raw_score, "threshold", a->threshold, "rank", a->rank,
		"window_seconds", (json_int_t)a->window_seconds, "model_id", a->model_id,
		"behaviour", a->behaviour ? a->behaviour : "", "repeats", (json_int_t)a->repeats,
		"explanation", explanation(a));
	if (!doc)
		return NULL;
	json_t *fs = json_object_get(doc, "flowsad");
	json_object_set_new(fs, "side", json_string(a->side ? a->side : "opened"));
	if (a->incident)
		json_object_set_new(fs, "incident", incident_object(a->incident));
	if (a->answered_by) { /* the hosts that refused it: ECS related.ip, the source first */
		json_t *ips = json_array();
		json_array_append_new(ips, json_string(a->src_ip));
		for (int i = 0; i < a->n_related; i++)
			json_array_append_new(ips, json_string(a->related[i]));
		json_object_set_new(doc, "related", json_pack("{s:o}", "ip", ips));
		json_object_set_new(fs, "answered_by", json_integer((json_int_t)a->answered_by));
	}
	/* a source with too little past has no usual score: the field is left out */
	if (a->usual == a->usual)
		json_object_set_new(json_object_get(doc, "flowsad"), "usual_score",
				    json_real(a->usual));
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
	json_decref(doc);
	return text;
}
