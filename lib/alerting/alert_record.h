/* alert_record: one alert as the sinks see it, and the call that hands it
 * over. The scorer makes records (the alert document of alert.h, already
 * written); the sinks (the spool, Redis, JSON lines) take them, so that a
 * sink needs this header alone, never the scorer's. */
#ifndef FLOWSAD_ALERT_RECORD_H
#define FLOWSAD_ALERT_RECORD_H

#include <stdint.h>

/* Every pointer is borrowed for the call that hands the record over. */
struct alert_record {
	int64_t window_start;
	const char *src_ip;
	double score;
	const char *json;  /* the alert document (alert.h), one line */
};

typedef void (*alert_sink_fn)(void *ctx, const struct alert_record *r);

#endif
