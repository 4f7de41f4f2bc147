/* scorer: what happens to a window's samples when it closes. They are
 * vectorised with the model's vocabulary and scored, as they are and from
 * each side of what their source did (lib/detector/sides.h); the top_n that
 * pass the gates of a side (the alert threshold: the largest of min_score,
 * the model's calibration and the quantile of recent windows' scores; the
 * source's usual score of that side; for what it served, a new service no
 * alerted client provoked) are explained (Shapley values by expected
 * gradients), checked against their source's incident
 * (lib/alerting/incident.h), and handed to the alert sinks as JSON documents
 * (lib/alerting/alert.h), with the ends of incidents. The model can be
 * swapped between windows. */
#ifndef FLOWSAD_SCORER_H
#define FLOWSAD_SCORER_H

#include <stdint.h>

#include "alerting/alert_record.h"
#include "features/feature_spec.h"
#include "detector/model.h"
#include "detector/score_rows.h"
#include "features/window.h"

struct scorer_settings {
	uint32_t top_n;
	double min_score;
	uint32_t explain_k, explain_nsamples;
	uint32_t suppress;     /* seconds; 0: never */
	const char *observer;  /* borrowed */
};

/* Recent windows' scores raise the alert threshold to their quantile
 * (lib/detector/calibrate.h), remembered with a half-life of a day. */
#define SCORER_RECENT_QUANTILE 0.999
/* Samples vectorised and scored at once: the window is never copied whole;
 * the batch of the offline commands too (detector/score_rows.h). */
#define SCORE_BLOCK SCORE_ROWS_BLOCK
#define SCORER_RECENT_HALFLIFE 86400.0

struct scorer_stats {
	uint64_t windows, samples, alerts, suppressed;
	uint64_t incidents_ended;
	uint64_t usual;        /* above the threshold, but within their source's usual score */
	uint64_t answering;    /* served above the threshold, but provoked by others */
	uint64_t young_service_users; /* opened above it, but told as a young service's users */
	double threshold;      /* the alert threshold of the last window scored */
	int64_t last_window;   /* start of the last scored window (INT64_MIN: none) */
};

struct scorer;

/* Whether model m can score the daemon's windows: trained on network input
 * (its feature spec, parsed into *spec unless NULL; the caller frees it),
 * with background rows. Returns 0, or -1 with the reason in err. */
int scorer_check_model(const struct model *m, struct feature_spec *spec, char *err, size_t errlen);

/* A scorer with model m (taken over: the scorer frees it). The model must
 * have a feature spec (be trained on network input) and background rows.
 * Returns NULL with the reason in err. */
struct scorer *scorer_new(struct model *m, const struct scorer_settings *set, alert_sink_fn sink,
			  void *sink_ctx, char *err, size_t errlen);
void scorer_free(struct scorer *s);

/* Replaces the model (taken over) for the windows that close from now on.
 * Returns 0, or -1 with the reason in err (the old model stays). */
int scorer_set_model(struct scorer *s, struct model *m, char *err, size_t errlen);
const struct model *scorer_model(const struct scorer *s);
/* New alert settings for the windows that close from now on (suppression
 * keeps what it remembers, under the new interval). */
void scorer_set_settings(struct scorer *s, const struct scorer_settings *set);
/* The spec the window table must count with (window length, locations,
 * filter), valid until the model changes. */
const struct feature_spec *scorer_spec(const struct scorer *s);

/* Scores the samples of the window that starts at window_start (set holds
 * that window alone, host features set from b) and sends its alerts: those
 * above the threshold and above their source's usual score of a side in b,
 * then the ends of the incidents it leaves quiet; then notes every sample's
 * side scores in b (NULL: no sources' memory). */
void scorer_score(struct scorer *s, int64_t window_start, const struct sample_set *set,
		  struct baseline *b);

const struct scorer_stats *scorer_stats(const struct scorer *s);
/* The open incidents (lib/alerting/incident.h), for the caller to keep
 * across a restart. */
struct incident_table *scorer_incidents(struct scorer *s);

/* What the scorer carries from window to window besides the sources'
 * memory (the recent scores' calibration, the open incidents), as bytes
 * (*out malloc'd, *len long), so that another scorer goes on from it as
 * this one would have (a fleet's takeover). Returns 0 or -ENOMEM. */
int scorer_state_encode(const struct scorer *s, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));
/* Replaces s's calibration and open incidents with those encoded in buf.
 * Returns 0; -EINVAL with the reason in err when buf is no state of this
 * format and of s's window length, or is damaged (s unchanged); -ENOMEM. */
int scorer_state_decode(struct scorer *s, const uint8_t *buf, size_t len, char *err,
			size_t errlen) __attribute__((warn_unused_result));

#endif
