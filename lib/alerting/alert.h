/* alert: one anomalous sample as the alert document that sinks deliver
 * (docs/alerts.md): ECS-style field names, so that a SIEM maps it without
 * help, and flowsad's own fields under "flowsad". */
#ifndef FLOWSAD_ALERT_H
#define FLOWSAD_ALERT_H

#include <stdint.h>

#include "alerting/incident.h"

/* The Elastic Common Schema version the field names follow. */
#define ALERT_ECS_VERSION "8.11.0"

#define ALERT_MAX_RELATED 16

struct alert_feature {
	const char *name;
	double shap;   /* Shapley value, raw score units */
	double value;  /* the feature's value in the sample */
};

struct alert {
	int64_t window_start;
	uint32_t window_seconds;
	const char *src_ip;
	const char *side;              /* "opened" (what the source started) or "served" */
	double score, raw_score;
	int rank;                      /* 1 = the window's most anomalous */
	const char *model_id, *observer;
	int64_t created;               /* @timestamp: when it was scored (epoch seconds) */
	int n_features;
	const struct alert_feature *features; /* the explanation, largest Shapley value first */
	double threshold;              /* the score it had to exceed */
	double usual;                  /* its source's usual score (NAN: too little past) */
	const char *behaviour;         /* what explains it, as families ("fan-out+failures") */
	uint64_t repeats;              /* held back in its incident since its previous alert */
	int n_related;
	const char *const *related;    /* [n_related] hosts that refused the source's probes */
	uint64_t answered_by;          /* how many did (related lists ALERT_MAX_RELATED at most) */
	const struct incident *incident; /* the incident it belongs to (NULL: none) */
};

/* The alert as one line of compact JSON (no newline; caller frees), or
 * NULL without memory. event.id is "flowsad-<window start>-<src_ip>": one
 * sample gives at most one alert, so consumers can deduplicate on it. */
char *alert_json(const struct alert *a);

/* The document that tells an incident ended (docs/alerts.md): event.kind
 * "event", event.type ["end"], the incident's window span and counts under
 * flowsad.incident. One line of compact JSON (caller frees), or NULL
 * without memory. */
char *alert_incident_end_json(const struct incident *inc, const char *observer, int64_t created);

#endif
