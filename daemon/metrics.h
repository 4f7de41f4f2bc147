/* metrics: Prometheus text on [metrics] listen, served by libmicrohttpd
 * inside the event loop (its epoll descriptor is watched by libev), so the
 * counters are read on the thread that writes them. GET /metrics. */
#ifndef FLOWSAD_METRICS_H
#define FLOWSAD_METRICS_H

#include <stdio.h>

struct daemon;

/* Returns a sysexits code, logging why (EX_OK when no address is set). */
int metrics_open(struct daemon *d);
void metrics_close(struct daemon *d);
/* One metric: HELP and TYPE lines, then a sample (labels: NULL or
 * "{name=\"value\",...}"). */
void metrics_value(FILE *out, const char *name, const char *type, const char *help,
		   const char *labels, double value);
/* The exposition text of the daemon's counters. */
void metrics_write(struct daemon *d, FILE *out);

#endif
