/* sinks: where the daemon's output goes, owned here. Alerts: the Redis
 * stream (through the on-disk spool), JSON lines, or standard output when
 * no sink is configured. Samples: the --samples CSV of every closed
 * window's samples. All of it runs on the loop's thread. */
#ifndef FLOWSAD_SINKS_H
#define FLOWSAD_SINKS_H

#include <ev.h>
#include <stdio.h>

#include "alerting/alert_record.h"
#include "common/config.h"
#include "features/window.h"

struct sinks;

/* Opens what c configures, and samples_path (NULL: none; "-": standard
 * output). NULL after logging why, with a sysexits code in *rc. */
struct sinks *sinks_open(struct ev_loop *loop, const struct config *c, const char *samples_path,
			 int *rc);
void sinks_close(struct sinks *s);

/* A window's n alerts to every sink (Redis: spooled with one sync). */
void sinks_deliver(struct sinks *s, const struct alert_record *a, size_t n);
/* One sample's row to the --samples CSV (nothing without one). A write
 * error is logged once and the rows stop; the rest goes on. */
void sinks_sample(struct sinks *s, int64_t start, const ip_addr *src,
		  const struct window_counters *c);
/* A window's rows are all written: flush them. */
void sinks_window_done(struct sinks *s);
/* SIGHUP: the JSON-lines file reopened (after log rotation). */
void sinks_reopen(struct sinks *s);

/* Stopping: one more delivery attempt now. Then sinks_drained says when
 * the alerts are out (or Redis gave up since): after that, what is left
 * waits in the spool for the next start (logged). */
void sinks_start_drain(struct sinks *s);
int sinks_drained(struct sinks *s);
void sinks_log_undelivered(const struct sinks *s);

/* The sinks' metrics (Prometheus text) to out: a metrics_writer_fn of a
 * struct sinks (NULL: none). */
void sinks_write_metrics(void *ctx, FILE *out);

#endif
