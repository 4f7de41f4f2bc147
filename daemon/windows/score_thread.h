/* score_thread: what happens to a closed window, on a thread of its own, so
 * that the thread that reads packets and datagrams never waits for the
 * detector. A window's samples are handed over (moved, not copied) through
 * a bounded queue (common/queue.h); on the thread, each window passes through the sources'
 * memory (lib/features/baseline.h), is scored and explained (scorer.h) and appended
 * to the history; its alerts come back to the loop, in window order, for
 * the sinks, through a second queue that wakes the loop. Models, alert
 * settings and history chores go through the first queue (never waiting
 * for room), so they take effect between the windows handed over before
 * and after them.
 *
 * Threads: every function here is called on the loop's thread. The scorer,
 * the baseline and the history belong to the score thread once started
 * (until score_thread_stop returns); the loop reads their counts through
 * score_thread_stats. */
#ifndef FLOWSAD_SCORE_THREAD_H
#define FLOWSAD_SCORE_THREAD_H

#include <ev.h>
#include <stdint.h>

#include "common/queue.h"
#include "features/baseline.h"
#include "store/history.h"
#include "detector/model.h"
#include "windows/scorer.h"

#define SCORE_QUEUE 2 /* closed windows waiting at most; then the loop waits (counted) */

/* A window as it comes back to the loop. */
struct window_result {
	int64_t start;
	size_t samples;
	int scored;                     /* 0: no model yet (learning) */
	uint64_t alerts, suppressed;    /* of this window */
	double threshold;
	size_t n_alerts;
	struct alert_record *alert;     /* [n_alerts], for the sinks; valid during the call */
	int history_failed;             /* errno of a history append that failed, or 0 */
	uint64_t history_windows;       /* windows in the history with this one */
	int baseline_reset;             /* the sources' memory started afresh at this window */
};
typedef void (*window_result_fn)(void *ctx, const struct window_result *r);

struct score_counts {
	struct scorer_stats scorer;     /* zero while learning */
	struct baseline_stats baseline;
	struct history_stats history;   /* zero without a history */
	uint64_t waits;                 /* windows the loop had to wait to hand over */
	uint64_t pending;               /* handed over, not yet back */
	size_t held_bytes;              /* memory of the samples handed over, not yet freed */
};

struct score_thread;

/* Starts the thread. b (the sources' memory) and h (the history, may be
 * NULL) are taken over; baseline_path (may be NULL) is where the memory is
 * saved every BASELINE_SAVE_SECONDS and at stop. done runs on the loop for
 * every window, in order. Returns NULL after logging. */
struct score_thread *score_thread_start(struct ev_loop *loop, struct baseline *b,
					struct history *h, const char *baseline_path,
					window_result_fn done, void *ctx);
/* Hands over the window that starts at start; set's samples move to the
 * thread (set is left empty). Waits while SCORE_QUEUE windows are queued. */
void score_thread_window(struct score_thread *t, int64_t start, size_t samples,
			 struct sample_set *set);
/* The model (taken over; checked with scorer_check_model before) and the
 * alert settings for the windows handed over from now on. */
void score_thread_model(struct score_thread *t, struct model *m, const struct scorer_settings *set);
void score_thread_settings(struct score_thread *t, const struct scorer_settings *set);
/* History chores, on the thread that appends to it. */
void score_thread_history_counts(struct score_thread *t, uint64_t records, uint64_t windows);
void score_thread_expire_history(struct score_thread *t, int64_t now);

/* Sources' memory on its way between processes (a scorer's partitions,
 * taken over by another): n records (baseline_export_host) of size bytes,
 * back to back, and the scorer's state (scorer_state_encode) after the
 * same window. */
struct memory_batch {
	struct queue_link link;
	size_t n, size;
	int full;	  /* every source remembered: what is not in it is forgotten */
	int64_t window;	  /* the memory is that after this window (INT64_MIN: none) */
	uint8_t *state;	  /* state_len bytes in the batch, after the records (NULL: none) */
	size_t state_len;
	uint8_t rec[];
};
/* A batch of room for n records (n = 0: none yet) and a state of
 * state_len bytes (0: none), or NULL without memory; one free() frees it. */
struct memory_batch *memory_batch_new(size_t n, size_t state_len);
/* Told, on the score thread, after each window scored, the memory of its
 * sources, or every MEMORY_FULL_SECONDS of every source, with the scorer's
 * state then (b is fn's): a batch every window, also one without sources. */
#define MEMORY_FULL_SECONDS 300
typedef void (*memory_shared_fn)(void *ctx, struct memory_batch *b);
/* From the windows handed over from now on, their sources' memory goes to
 * fn (a scorer's, for the scorer that may take its partitions over). */
void score_thread_share_memory(struct score_thread *t, memory_shared_fn fn, void *ctx);
/* Another process's memory of some sources and its scorer's state (b taken
 * over), taken in before the windows handed over after it are scored. */
void score_thread_take_memory(struct score_thread *t, struct memory_batch *b);

/* The thread's counts, as of the last window it finished. */
void score_thread_counts(struct score_thread *t, struct score_counts *out);
/* Finishes every window handed over (their results delivered through done
 * before it returns), saves the memory, stops the thread and frees it with
 * the scorer, the baseline and the history; last (may be NULL) gets the
 * final counts. NULL is a no-op (last zeroed). */
void score_thread_stop(struct score_thread *t, struct score_counts *last);

#endif
