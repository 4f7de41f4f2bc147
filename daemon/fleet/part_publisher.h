/* part_publisher: a sensor's closed windows, to the scorers. Each window's
 * samples are encoded as partitions by source (features/part_wire.h) and
 * appended, one entry a partition, to the streams PREFIX:0 ..
 * PREFIX:N-1 (fields: sensor, window, data), so that one scorer gets all of
 * a source's samples from every sensor. Then the sensor's line in the hash
 * PREFIX:sensors says how far it is: "live CLOSED_BEFORE MS" (every window
 * starting before CLOSED_BEFORE was sent, or had no traffic here; MS: the
 * time of the line), renewed each second; at a clean stop "done ...".
 * A window is kept and sent again until Redis takes it (a master failing
 * over, a cluster resharding): windows wait in a bounded queue meanwhile.
 * Where the master has replicas, each entry waits for one of them to
 * acknowledge it (WAIT 1, the command timeout), so that a failover right
 * after the XADD does not lose it; one not acknowledged in time is counted
 * and kept.
 *
 * Threads: the functions below are called on the loop's thread; encoding
 * and sending happen on a thread of the publisher's own. */
#ifndef FLOWSAD_PART_PUBLISHER_H
#define FLOWSAD_PART_PUBLISHER_H

#include <signal.h>
#include <stdint.h>

#include "features/sample.h"

#define PUBLISH_QUEUE 4 /* windows waiting at most; then the loop waits (counted) */

struct part_publisher_config {
	const char *address, *password_file; /* [redis] */
	uint32_t timeout_ms;
	const char *prefix, *name; /* [role] */
	uint32_t n_parts, window_seconds;
	/* set (by a signal handler) once the daemon is asked to stop: a window
	 * waiting for room in the queue waits no longer (NULL: it waits) */
	const volatile sig_atomic_t *stop_asked;
};

struct part_publisher_stats {
	uint64_t windows, samples, entries, bytes; /* sent */
	uint64_t failures;     /* attempts Redis did not take */
	uint64_t unreplicated; /* entries no replica acknowledged in time */
	uint64_t waits;        /* windows the loop waited to queue */
	double last_seconds, max_seconds; /* to encode and send one window */
};

struct part_publisher;

/* Starts the publishing thread. NULL after logging. */
struct part_publisher *part_publisher_start(const struct part_publisher_config *c);
/* Queues window start's samples (set is taken over and left empty). While
 * the queue is full (Redis takes no windows) it waits, unless a stop is
 * asked: then the window is logged and dropped, so that the loop gets to
 * the stop. */
void part_publisher_window(struct part_publisher *p, int64_t start, struct sample_set *set);
/* Every window starting before t is closed (a live source's clock): said
 * to the scorers once the windows queued before are sent. */
void part_publisher_closed_before(struct part_publisher *p, int64_t t);
void part_publisher_stats(struct part_publisher *p, struct part_publisher_stats *out);
/* Sends what is queued and says "done", all within drain_seconds whatever
 * Redis does (a window not sent by then is logged and lost), stops the
 * thread and frees. NULL: no-op. */
void part_publisher_stop(struct part_publisher *p, double drain_seconds);

#endif
