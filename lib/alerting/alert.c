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
	/* a source with too little past has no usual score: the field is left out */
	if (a->usual == a->usual)
		json_object_set_new(json_object_get(doc, "flowsad"), "usual_score",
				    json_real(a->usual));
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
	json_decref(doc);
	return text;
}
