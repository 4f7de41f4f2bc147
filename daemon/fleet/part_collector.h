/* part_collector: a scorer's windows, made of the sensors' partitions
 * (part_publisher.h). The scorers share the partitions: each one counts
 * the live scorers (PREFIX:scorers, a line each, renewed each second),
 * takes its share of the partitions by a lease (PREFIX:lease:K, renewed;
 * a dead scorer's leases expire and the others take its share), and reads
 * its partitions' streams in the consumer group "flowsad-scorers". A taken
 * partition's entries that another scorer read and never acknowledged are
 * claimed (XAUTOCLAIM), so a killed scorer's windows are scored by another.
 *
 * A window is merged (features/merge.h) and handed to the loop when, for
 * every partition held, every sensor has sent its part or says it has
 * closed the window (part_publisher.h), or has gone silent for [role]
 * deadline (said once), or when deadline has passed since the window's
 * first part came; what was missing is counted and said. Parts that come
 * for a window already handed are counted late, and dropped. A window
 * with entries claimed from another scorer comes with the sources whose
 * alerts of it the alert stream holds already (that scorer delivered them
 * before it died), so that they are not sent twice. Entries are
 * acknowledged and deleted once their window is scored and its alerts are
 * delivered (part_collector_delivered). The model a scorer takes into use
 * is published for the others (sensors need none). Each partition's
 * sources' memory (baseline.h: their levels, peers, usual scores) is kept
 * beside its stream, window by window, so that the scorer that takes the
 * partition over goes on with it instead of seeing every source as new.
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
	/* on the loop's thread, ahead of a partition's first window here: the
	 * memory of its sources kept by the scorer that held it before (b is
	 * memory's); NULL: none taken over */
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
	uint64_t memory_lost;	     /* sources' memory Redis did not take (batches) */
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
/* The memory of some sources (b taken over; from any thread), kept in
 * PREFIX:memory:K for the partitions held, for the scorer that takes one
 * over (a field a source: its record); a batch of every source
 * (b->full) also forgets the others. */
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
/* After the last window was scored: acknowledges what was delivered (the
 * rest stays pending), gives the partitions up to the other scorers at
 * once, and frees; within the command timeout, and at once when Redis did
 * not answer the last command (then everything stays pending, for the
 * scorer that takes the partitions when their leases expire). NULL: no-op. */
void part_collector_stop(struct part_collector *p);

#endif
