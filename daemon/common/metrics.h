/* metrics: Prometheus text on [metrics] listen, served by libmicrohttpd
 * inside the event loop (its epoll descriptor is watched by libev), so the
 * counters are read on the loop's thread, which writes them. GET (or HEAD)
 * /metrics: flowsad_build_info and the standard process_* metrics (from
 * /proc), then what each writer added writes; another method is answered
 * 405. The endpoint knows no other module: each brings its own writer. */
#ifndef FLOWSAD_METRICS_H
#define FLOWSAD_METRICS_H

#include <ev.h>
#include <stdint.h>
#include <stdio.h>

struct metrics;

/* Writes a module's metrics (its ctx) to out. */
typedef void (*metrics_writer_fn)(void *ctx, FILE *out);

/* Serves listen ("host:port", "[v6]:port") in loop; *out NULL when listen
 * is NULL. Returns a sysexits code, logging why. */
int metrics_open(struct ev_loop *loop, const char *listen, struct metrics **out);
/* Adds a writer, called at every request in the order added (nothing with
 * m NULL). Returns 0, or -1 when there are too many. */
int metrics_add(struct metrics *m, metrics_writer_fn fn, void *ctx);
void metrics_close(struct metrics *m);

/* A family's HELP and TYPE lines; its samples (metrics_labelled) follow at
 * once, before any other family's lines. */
void metrics_family(FILE *out, const char *name, const char *type, const char *help);
/* One metric: HELP and TYPE lines, then a sample (labels: NULL or
 * "{name=\"value\",...}"). */
void metrics_value(FILE *out, const char *name, const char *type, const char *help,
		   const char *labels, double value);
/* A sample alone (its family's HELP and TYPE written before). */
void metrics_labelled(FILE *out, const char *name, const char *labels, double value);
/* A counter family labelled by key: one sample per name_of(i), i < n. */
void metrics_counter_family(FILE *out, const char *name, const char *help, const char *key,
			    const char *(*name_of)(int), const uint64_t *values, int n);

#endif
