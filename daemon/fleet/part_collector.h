/* part_collector: a scorer's windows, made of the sensors' partitions
 * (part_publisher.h). One scorer scores the fleet's windows, each whole,
 * as one host would: top_n, the threshold's calibration and the gates are
 * about a whole window, and the sources' memory goes from one window to
 * the next. It holds the fleet's lease (PREFIX:lease, renewed each second)
 * and with it every partition, read in the consumer group
 * "flowsad-scorers"; the other scorers (PREFIX:scorers, a line each,
 * renewed each second) stand by, and when the lease expires (6 s after
 * the last renewal) or is given up at a clean stop one of them takes it,
 * with the entries the other read and never acknowledged (XAUTOCLAIM).
 *
 * A window is merged (features/merge.h) and handed to the loop when, for
 * every partition, every sensor has sent its part or says it has
 * closed the window (part_publisher.h), or has gone silent for [role]
 * deadline (said once), or when deadline has passed since the window's
 * first part came; what was missing is counted and said. Parts that come
 * for a window already handed are counted late, and dropped. A window
 * with entries claimed from another scorer comes with the sources whose
 * alerts of it the alert stream holds already (that scorer delivered them
 * before it died), so that they are not sent twice. Once a window is
 * scored and its alerts delivered (part_collector_delivered), what the
 * scorer learnt by it (the sources' memory, baseline.h, in
 * PREFIX:memory:K; the calibration and open incidents, scorer.h, in
 * PREFIX:memory) is committed, and then its entries are acknowledged and
 * deleted: the scorer that takes over goes on from the last commit, and
 * scores the windows after it again, whole, over the memory they were
 * scored over (the same alerts). The model a scorer takes into use is
 * published for the others (sensors need none).
 *
 * Threads: the functions below run on the loop's thread; reading, merging
 * and acknowledging on a thread of the collector's own; the windows come
 * back to the loop through an ev_async. */
#ifndef FLOWSAD_PART_COLLECTOR_H
#define FLOWSAD_PART_COLLECTOR_H

#include <ev.h>
#include <stdint.h>
#include <stdio.h>

#include "alerting/alerted.h"
#include "features/sample.h"
#include "windows/score_thread.h"

struct part_collector_config {
	const char *address, *password_file; /* [redis] */
	uint32_t timeout_ms;
	const char *prefix, *name; /* [role] */
	const char *alert_stream;  /* [redis] stream */
	uint32_t n_parts, deadline_seconds;
	/* [role] sensors: the fleet's sensors by name, separated by commas or
	 * blanks, waited for from the start as if each had just spoken (NULL:
	 * only the sensors heard in Redis are waited for) */
	const char *sensors;
	uint32_t window_seconds; /* what the model expects */
	/* on the loop's thread, ahead of the first window taken over: the
	 * memory of the sources and the scorer's state that the scorer before
	 * committed (b is memory's); NULL: none taken over */
	void (*memory)(void *ctx, struct memory_batch *b);
};

/* A merged window, on the loop's thread: set and done are fn's. done: the
 * sources whose alerts of it are in the alert stream already (a window a
 * killed scorer had scored, read again here; NULL: none). */
typedef void (*collected_fn)(void *ctx, int64_t start, struct sample_set *set,
			     struct alerted *done);

struct part_collector_stats {
	uint64_t parts, samples_in;  /* partitions read, their samples */
	uint64_t windows, samples;   /* windows merged, their samples */
	uint64_t late, bad;	     /* parts dropped: too late, or unreadable */
	uint64_t incomplete;	     /* windows merged without every sensor's part */
	uint64_t claimed;	     /* entries claimed from other scorers */
	uint64_t acked;		     /* entries acknowledged (and deleted) */
	uint64_t memory_lost;	     /* commits Redis did not take (each tried again) */
	double merge_seconds;	     /* decoding and merging, in all */
	int owned, sensors, scorers; /* partitions held; sensors and scorers known live */
};

struct part_collector;

struct part_collector *part_collector_start(struct ev_loop *loop,
					    const struct part_collector_config *c, collected_fn fn,
					    void *ctx);
/* The first windows handed (that many, in the order they came to fn) are
 * scored and their alerts delivered: their entries can go. */
void part_collector_delivered(struct part_collector *p, uint64_t windows);
void part_collector_stats(struct part_collector *p, struct part_collector_stats *out);
/* The memory of the sources of a window scored and the scorer's state
 * after it (b taken over; from any thread), committed once the window's
 * alerts are delivered, for the scorer that takes over (PREFIX:memory:K,
 * a field a source: its record; a batch of every source, b->full, also
 * forgets the others). */
void part_collector_keep_memory(struct part_collector *p, struct memory_batch *b);
/* The model at path (just taken into use) to PREFIX:model, for scorers
 * that start without one. */
void part_collector_publish_model(struct part_collector *p, const char *path);
/* The fleet's model from PREFIX:model to path (a scorer's first start).
 * Returns 0, or -1 when there is none (or Redis did not answer). */
int part_collector_fetch_model(const struct part_collector_config *c, const char *path);
/* Stops reading and handing windows (those the loop has not taken stay
 * pending in the streams, for the next scorer to claim), within the
 * command timeout whatever Redis does. NULL: no-op. */
void part_collector_pause(struct part_collector *p);
/* After the last window was scored: commits and acknowledges what was
 * delivered (the rest stays pending), gives the lease up to the other
 * scorers at once, and frees; within the command timeout, and at once
 * when Redis did not answer the last command (then everything stays
 * pending, for the scorer that takes over when the lease expires). NULL:
 * no-op. */
void part_collector_stop(struct part_collector *p);

#endif
