/* alert: one anomalous sample as the alert document that sinks deliver
 * (docs/alerts.md): ECS-style field names, so that a SIEM maps it without
 * help, and flowsad's own fields under "flowsad". */
#ifndef FLOWSAD_ALERT_H
#define FLOWSAD_ALERT_H

#include <stdint.h>

#include "alerting/incident.h"

/* The Elastic Common Schema version the field names follow. */
#define ALERT_ECS_VERSION "8.11.0"
/* event.dataset of alerts and of incidents' ends */
#define ALERT_DATASET	       "flowsad.alert"
#define ALERT_DATASET_INCIDENT "flowsad.incident"
/* event.risk_score_norm per tenfold of the score over its threshold: 0 at
 * the threshold, 50 at ten times it, 100 (the cap) at a hundred times. */
#define ALERT_RISK_PER_DECADE 50.0

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
	int64_t created;               /* event.created: when it was scored (epoch seconds) */
	int n_features;
	const struct alert_feature *features; /* the explanation, largest Shapley value first */
	double threshold;              /* the score it had to exceed */
	double usual;                  /* its source's usual score (NAN: too little past) */
	const char *behaviour;         /* what explains it, as families ("fan-out+failures") */
	uint64_t repeats;              /* held back in its incident since its previous alert */
	/* [n_related] the hosts it tells of: those that refused the source's
	 * probes (opened side), or the first users of its young service (served) */
	int n_related;
	const char *const *related;
	uint64_t related_count;        /* how many (related lists ALERT_MAX_RELATED at most) */
	const struct incident *incident; /* the incident it belongs to (NULL: none) */
	const struct window_counters *counts; /* the sample's, for message (NULL: none) */
};

/* event.risk_score_norm of a score over its threshold:
 * ALERT_RISK_PER_DECADE * log10(score / threshold), within [0, 100]; 100
 * when the threshold is not positive, 0 when the score does not exceed it. */
double alert_risk_norm(double score, double threshold);
/* event.severity of a normalised risk score, in the bands of Elastic's
 * detection rules: 1 low (up to 21), 2 medium (47), 3 high (73), 4 critical. */
int alert_severity(double risk_norm);

/* The alert as one line of compact JSON (no newline; caller frees), or
 * NULL without memory. event.id is "flowsad-<window start>-<src_ip>": one
 * sample gives at most one alert, so consumers can deduplicate on it.
 * @timestamp is the window's end (event time: a replay gives the capture's
 * dates), event.created the time of scoring. */
char *alert_json(const struct alert *a);

/* The document that tells an incident ended (docs/alerts.md): event.kind
 * "event", event.type ["end"], @timestamp the end of its last window,
 * event.created the time it is told, the incident's window span and counts
 * under flowsad.incident. One line of compact JSON (caller frees), or NULL
 * without memory. */
char *alert_incident_end_json(const struct incident *inc, const char *observer, int64_t created);

/* A document (alert or incident end) spooled by an earlier flowsad, whose
 * @timestamp was the time of scoring and which had no event.created,
 * brought to this contract: that time becomes event.created and @timestamp
 * the end of its window (event.end). Returns the new document (one line,
 * caller frees), or NULL when json needs nothing (it has event.created, or
 * is not such a document) or memory ran out: then it is sent as it is. */
char *alert_upgrade(const char *json);

#endif
