/* windows: the window table the loop counts into (and, with capture
 * workers, their windows merged: window_parts.h), each closed window handed
 * to the score thread (score_thread.h: the sources' memory, scoring and
 * explaining, the history) or to a sink of windows (a sensor's), and what
 * comes back (alerts to the sinks, the window's log line), the --samples
 * rows, and the model in use. A daemon without a model yet (a cold start)
 * counts and keeps history only, until the history holds enough windows to
 * train the first one. Retraining (run/retraining.h), the fleet
 * (run/roles.h) and the metrics (run/run_metrics.h) are wired from run/.
 *
 * Threads: every function here runs on the loop's thread; what the score
 * thread hands back arrives on it (through a queue that wakes it). */
#ifndef FLOWSAD_WINDOWS_H
#define FLOWSAD_WINDOWS_H

#include <ev.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "alerting/alerted.h"
#include "common/config.h"
#include "common/cli.h"
#include "detector/model.h"
#include "features/merge.h"
#include "features/sample.h"
#include "features/window.h"
#include "windows/score_thread.h"
#include "sinks/sinks.h"
#include "capture/sources.h"

/* What the windows borrow from the daemon. */
struct windows_context {
	struct ev_loop *loop;
	const struct config *conf;       /* the daemon's, renewed at a reload */
	const struct cli_common *common; /* the command line's feature options and seed */
	struct sinks *sinks;
	struct sources *sources;         /* their capture workers count windows too */
	uint32_t lateness;               /* seconds a window waits for late events */
};

struct windows;

struct windows *windows_new(const struct windows_context *c);
/* Stops everything (a retraining cancelled, the windows closed and scored,
 * the score thread ended) and frees. */
void windows_free(struct windows *w);

/* The score thread with the sources' memory (read from its state file) and
 * the history (every segment counted when cold: no model yet). Returns a
 * sysexits code. */
int windows_start_scoring(struct windows *w, int cold);
/* The table (and the workers' tables) for the model in use or, without
 * one, the configuration. Returns a sysexits code. */
int windows_open(struct windows *w);
/* Takes model m into use between windows (the first one ends learning). A
 * model that counts otherwise (window length, locations, filter) needs new
 * tables: the open windows are closed and scored first, with the old
 * model. Returns a sysexits code; m is taken over either way. */
int windows_use_model(struct windows *w, struct model *m);
/* The configuration's alert settings to the scorer. */
void windows_apply_settings(struct windows *w);

/* Each second: live windows close by the wall clock, old history is
 * deleted (at most once an hour), retraining starts when due. */
void windows_tick(struct windows *w, time_t now);
/* Closes every open window and hands it to the score thread; from then on
 * a retraining's model is not taken. */
void windows_flush(struct windows *w);
/* Frees the tables (after windows_flush). */
void windows_close(struct windows *w);
/* Where closed windows go instead of the score thread: a sensor's, to the
 * scorers (the fleet's publisher, wired by run/). window takes set over
 * (leaving it empty); closed_before, with live sources, says each second
 * that every window starting before start is out. */
struct window_sink {
	void (*window)(void *ctx, int64_t start, struct sample_set *set);
	void (*closed_before)(void *ctx, int64_t start);
	void *ctx;
};
/* Sends closed windows to sink from now on (NULL: to the score thread).
 * The sink must stay until windows_close. */
void windows_send_to(struct windows *w, const struct window_sink *sink);
/* A whole window from elsewhere (a scorer's: the sensors' parts merged by
 * the fleet's collector), scored as one closed here. done (taken over;
 * NULL: none) holds the sources whose alerts of it were delivered before:
 * theirs are not sent again. */
void windows_take(struct windows *w, int64_t start, struct sample_set *set, struct alerted *done);
/* A scorer's sources' memory: shared after each window (score_thread.h),
 * and taken over from the scorer that held a partition before, ahead of the
 * windows taken after it. Without scoring: b is freed, nothing shared. */
void windows_share_memory(struct windows *w, memory_shared_fn fn, void *ctx);
void windows_take_memory(struct windows *w, struct memory_batch *b);
/* fn(ctx) after each model taken into use (a scorer publishes it). */
void windows_on_model(struct windows *w, void (*fn)(void *ctx), void *ctx);
/* The window length the table counts with (0 before windows_open). */
uint32_t windows_window_seconds(const struct windows *w);
/* Windows back from the score thread so far, in the order they were handed. */
uint64_t windows_scored(const struct windows *w);
/* Every window handed over scored and delivered (or, a sensor's, sent),
 * the memory saved. */
void windows_stop_scoring(struct windows *w, struct score_counts *last);

/* The table the loop counts into (NULL while none). */
struct window_table *windows_table(const struct windows *w);
/* The windows' counts (the loop's table and the workers'). */
void windows_stats(const struct windows *w, struct window_stats *sum);
/* The score thread's counts (zero before it starts). */
void windows_counts(const struct windows *w, struct score_counts *out);
/* Whether the daemon is still waiting for its first model, and how far
 * the history is towards it. */
int windows_learning(const struct windows *w, uint64_t *have, uint64_t *need);
/* The model in use: its id ("" while learning) and when it was made. */
const char *windows_model_id(const struct windows *w, time_t *made);
/* The most memory the samples alive at once held: the open windows' and
 * those being scored (seen at each window's close and each second). */
size_t windows_peak_samples(const struct windows *w);
/* Whether windows_flush was called: the end, no new model is taken. */
int windows_stopping(const struct windows *w);
/* A full count of the history (a retraining's: a start with a model counts
 * only the newest segment), to the score thread. */
void windows_history_counts(struct windows *w, uint64_t records, uint64_t windows);
/* Windows the history could not keep (its disk full, I/O errors), in all. */
uint64_t windows_history_lost(const struct windows *w);
/* With capture workers, the windows merged from their parts and what the
 * merges did: returns 1; 0 (nothing written) without workers. */
int windows_merge_stats(const struct windows *w, uint64_t *windows, struct merge_stats *st);

#endif
