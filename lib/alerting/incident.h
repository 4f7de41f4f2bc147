/* incident: alerts of one source over consecutive windows, told as one
 * story. An analyst wants one scan, not one alert a window of it, and wants
 * whatever else the host does meanwhile at once.
 *
 * An incident of a source opens with its first alert and stays open while
 * the source keeps passing the alert gates, with at most INCIDENT_QUIET_SECONDS
 * (and INCIDENT_QUIET windows) of quiet in between; it ends after that much
 * quiet (or when it has lasted `longest` seconds: a week-long scan is
 * re-told each `longest`). Quiet is counted in time, not only in windows: a
 * monitor's check each minute, a beacon or a scan that pauses is one story,
 * not one incident a minute. Within its incident, a sample is a repeat, held back and
 * counted, when what leads its explanation leads one of the incident's
 * behaviours already (a behaviour: the families of its two leading features,
 * feature_family, the first leading: "fan-out+failures"), at a score at most
 * INCIDENT_ESCALATION times the incident's highest, and does not double the
 * peers or the services the incident reached. A new behaviour, new peers or
 * services, or a far higher score is alerted at once, as part of the same
 * incident. Nothing is held back behind an earlier incident: once it ends,
 * the next anomaly of the source opens a new one and is alerted.
 *
 * Time is the windows' event time, so a replay tells incidents exactly as
 * the live run did. Memory: the open incidents only (ended ones are handed
 * to the caller and forgotten); they can be kept across a restart
 * (incident_table_encode, _decode). Pure: no I/O. */
#ifndef FLOWSAD_INCIDENT_H
#define FLOWSAD_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "features/window.h"

#define INCIDENT_ESCALATION	2.0
#define INCIDENT_QUIET		3   /* quiet windows that end an incident, */
#define INCIDENT_QUIET_SECONDS	300 /* and at least this long */
#define INCIDENT_MAX_BEHAVIOURS 8 /* remembered per incident; later ones are all news */
#define INCIDENT_ID_LEN		96
#define INCIDENT_BEHAVIOUR_LEN	160

struct incident {
	char id[INCIDENT_ID_LEN]; /* "incident-<first window>-<source>" */
	char src[48];
	int64_t first, last; /* window starts of its first and latest alerted or held sample */
	uint32_t window_seconds;
	double max_score;
	uint64_t alerts;      /* alerts sent as part of it */
	uint64_t repeats;     /* samples held back in it, in all */
	uint64_t held_since;  /* held back since its latest alert */
	uint64_t held_before; /* held back between its previous alert and its latest */
	int n_behaviours;
	char behaviours[INCIDENT_MAX_BEHAVIOURS][INCIDENT_BEHAVIOUR_LEN]; /* as feature families */
	uint64_t peers[WINDOW_PEER_WORDS]; /* peers and services it reached (sketches) */
	uint64_t services[WINDOW_PEER_WORDS];
};

struct incident_table;

/* Incidents of windows window_seconds long (> 0) that last at most longest
 * seconds (0: an incident never holds anything back). NULL without memory. */
struct incident_table *incident_table_new(uint32_t window_seconds, uint32_t longest);
void incident_table_free(struct incident_table *t);
void incident_table_set_longest(struct incident_table *t, uint32_t longest);

/* What a sample that passed the alert gates is to its source's incident. */
enum incident_verdict {
	INCIDENT_OPENS,	  /* the first alert of a new incident */
	INCIDENT_GROWS,	  /* news within an open incident: alerted */
	INCIDENT_REPEATS, /* a repeat within it: held back */
};

/* Notes a sample of src (text) in the window that starts at window_start,
 * with behaviour (its name), score, and the sketches of the peers and services
 * it reached (WINDOW_PEER_WORDS words each). Returns the verdict, or -1
 * without memory (alert it, as a new incident would be). *out (unless
 * NULL) points at the incident as it is now, valid until the next call. */
int incident_note(struct incident_table *t, const char *src, int64_t window_start,
		  const char *behaviour, double score, const uint64_t *peers,
		  const uint64_t *services, const struct incident **out);

/* Ends the incidents whose latest window lies more than the quiet (the
 * longer of INCIDENT_QUIET windows and INCIDENT_QUIET_SECONDS) before
 * window_start: each is passed to ended (it may be NULL), then
 * forgotten. Returns how many ended. Incidents that began more than the
 * quiet after window_start (older traffic replayed after a restart that
 * kept them) are forgotten untold. */
typedef void (*incident_ended_fn)(void *ctx, const struct incident *inc);
size_t incident_end_quiet(struct incident_table *t, int64_t window_start, incident_ended_fn ended,
			  void *ctx);

/* The open incidents as bytes (*out malloc'd, *len its length), so that a
 * restarted process tells them on as one process would have. Returns 0 or
 * -ENOMEM. */
int incident_table_encode(const struct incident_table *t, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));
/* Replaces t's open incidents with those encoded in buf. Returns 0; -EINVAL
 * with the reason in err when buf is no incidents of this format and of t's
 * window length, or is damaged (t unchanged); -ENOMEM. */
int incident_table_decode(struct incident_table *t, const uint8_t *buf, size_t len, char *err,
			  size_t errlen) __attribute__((warn_unused_result));

#endif
