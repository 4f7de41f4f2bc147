/* redis_sink: alerts to a Redis stream, without losing any.
 *
 * Every alert is first appended to the on-disk spool (lib/store/spool.h); the
 * sink sends the spool's oldest record with XADD (the fields of docs/alerts.md), and
 * removes it from the spool when Redis acknowledged it, so alerts reach
 * the stream in order and survive Redis outages and restarts of flowsad.
 * One command is in flight at a time. hiredis 0.14 has no timeouts of its
 * own: libev timers bound connecting and each command; a connection that
 * fails or times out is dropped and retried with exponential backoff
 * (0.2 s doubling to 10 s), on the node the topology names next
 * (redis/redis_topology.h: each connection asks its cluster's nodes, so
 * that they stand in for seeds that died). When a connection drops with an XADD
 * unanswered, the next connection first looks for that alert among the
 * stream's newest entries, so it is sent once.
 *
 * A scorer's sink (once) adds each alert at most once whoever sends it: a
 * window scored again after a takeover, or by a scorer that was thought
 * dead, gives alerts of the same ids (a window, a source) that another
 * scorer may have added already. Each XADD then runs inside a script
 * (EVAL) that first looks for the alert's source in a set a window, beside
 * the stream in its cluster slot ({STREAM}:sent:WINDOW, kept
 * REDIS_SINK_ONCE_SECONDS after its last alert), adds the entry only when
 * it is not there, and marks it: look, add and mark are one step in
 * Redis, so no crash or race between two scorers comes between them. */
#ifndef FLOWSAD_REDIS_SINK_H
#define FLOWSAD_REDIS_SINK_H

#include <ev.h>
#include <stdint.h>

#include "alerting/alert_record.h"
#include "store/spool.h"

#define REDIS_SINK_ONCE_SECONDS 86400 /* how long an alert delivered is remembered (once) */

struct redis_sink_config {
	const char *address;        /* HOST:PORT or a unix socket path */
	const char *password_file;  /* NULL: no AUTH */
	const char *stream;
	uint64_t maxlen;            /* 0: no MAXLEN */
	uint32_t connect_timeout_ms, command_timeout_ms;
	int once; /* each alert added at most once (a scorer's: above) */
};

struct redis_sink_stats {
	uint64_t sent, spooled, dropped; /* dropped: pushed out of the full spool */
	uint64_t spool_failures;         /* appends the spool's disk refused (full, I/O errors) */
	uint64_t held;                   /* alerts held in memory until the spool takes them */
	uint64_t lost;                   /* alerts lost: beyond the hold, or held at the end */
	uint64_t connects, failures;     /* connections made; attempts or commands that failed */
	uint64_t redirects;              /* MOVED replies followed (Redis Cluster) */
	uint64_t unreplicated;           /* alerts no replica acknowledged in time (WAIT) */
	int connected;
};

struct redis_sink;

/* The sink on loop, spooling into sp (borrowed; it must outlive the sink).
 * Reads the password file now. Returns NULL after logging. */
struct redis_sink *redis_sink_new(struct ev_loop *loop, const struct redis_sink_config *cfg,
				  struct spool *sp);
/* Closes the connection (an XADD in flight stays in the spool). */
void redis_sink_free(struct redis_sink *r);

/* Spools n alerts (a window's, n >= 1) with one sync, and starts sending. */
void redis_sink_push_batch(struct redis_sink *r, const struct alert_record *a, size_t n);

/* Whether everything was delivered, and whether Redis was unreachable at
 * the last attempt (nothing will be delivered before the next retry). */
int redis_sink_drained(const struct redis_sink *r);
int redis_sink_unreachable(const struct redis_sink *r);
/* Tries to connect at once when waiting to retry (at exit: one last try). */
void redis_sink_retry_now(struct redis_sink *r);
const struct redis_sink_stats *redis_sink_stats(const struct redis_sink *r);

#endif
