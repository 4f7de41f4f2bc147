/* capture_workers: capture on every core. Each worker is a thread with a
 * capture handle of its own on every interface, the handles of an
 * interface joined in one fanout group (fanout.h: all the packets of a
 * source reach one worker); it reads, decodes and counts its share into a
 * window table of its own (a partial one: answers across shares are kept)
 * and hands each window it closes to the window parts (window_parts.h),
 * which give the loop every window whole, merged.
 *
 * Threads: every function here runs on the loop's thread; the workers run
 * their own loop (poll, read, count, close windows by the wall clock each
 * second) and publish their counts once a second. */
#ifndef FLOWSAD_CAPTURE_WORKERS_H
#define FLOWSAD_CAPTURE_WORKERS_H

#include <stdint.h>

#include "features/filter.h"
#include "features/location.h"
#include "features/window.h"
#include "ingest/decode.h"
#include "capture/capture.h"
#include "capture/window_parts.h"

struct capture_workers;

/* Opens n_workers handles on each of the interfaces (a sysexits code in
 * *rc and NULL on failure, logged). Nothing is read before start. */
struct capture_workers *capture_workers_open(char *const *ifaces, int n_ifaces, int n_workers,
					     const struct capture_options *o, int *rc);
/* Closes the handles (the workers stopped first). */
void capture_workers_close(struct capture_workers *w);

/* How the workers' tables count (window.h); loc and filter are borrowed
 * until stop. */
struct worker_tables {
	uint32_t window_seconds, lateness;
	size_t max_samples;
	const struct location_table *loc;
	const struct filter *filter;
	const struct filter_nets *home; /* a sensor's: window_table_set_home */
	int keep_distinct; /* a sensor's: window_table_keep_distinct */
};
/* Starts the workers, worker i being part i of parts. Returns a sysexits
 * code. */
int capture_workers_start(struct capture_workers *w, const struct worker_tables *t,
			  struct window_parts *parts);
/* Stops the workers (if running): each closes every window it holds into
 * the parts and marks itself done. */
void capture_workers_stop(struct capture_workers *w);

int capture_workers_count(const struct capture_workers *w);
/* Handles still reading (a handle that fails is closed, the others go on). */
int capture_workers_open_handles(struct capture_workers *w);

/* Counts as last published (at most a second old; exact once stopped). */
void capture_workers_packets(struct capture_workers *w, int iface, uint64_t *received,
			     uint64_t *dropped);
void capture_workers_tally(struct capture_workers *w, struct decode_tally *sum);
void capture_workers_window_stats(struct capture_workers *w, struct window_stats *sum);
/* Frames worker i read in all. */
uint64_t capture_workers_frames(struct capture_workers *w, int i);

#endif
