/* scoring: closed windows scored off the loop's thread (score_thread.h),
 * and what comes back: the alerts to the sinks (but those another scorer
 * delivered before it died: replays.h), the window's log line, the
 * history's failures (logged once an episode, with what they cost). It
 * opens what the score thread keeps (stores.h), and deletes old history
 * at most once an hour.
 *
 * Errors: sysexits codes, logged here. Threads: every function here runs
 * on the loop's thread; results come back on it (through a queue that wakes
 * it). */
#ifndef FLOWSAD_SCORING_H
#define FLOWSAD_SCORING_H

#include <ev.h>
#include <stdint.h>
#include <time.h>

#include "alerting/alerted.h"
#include "common/config.h"
#include "features/sample.h"
#include "sinks/sinks.h"
#include "windows/score_thread.h"

struct scoring;

/* The score thread with the sources' memory and the history (every segment
 * counted when cold: no model yet); alerts go to sinks. conf (renewed at a
 * reload) and sinks are borrowed. NULL with a sysexits code in *rc. */
struct scoring *scoring_start(struct ev_loop *loop, const struct config *conf, struct sinks *sinks,
			      int cold, int *rc);
/* Every window handed over scored and delivered, the memory saved; last
 * (may be NULL) gets the final counts. The counts below stay readable. */
void scoring_stop(struct scoring *s, struct score_counts *last);
/* Stops (when not yet) and frees. NULL: no-op. */
void scoring_free(struct scoring *s);

/* The closed window at start (set taken over, left empty). */
void scoring_window(struct scoring *s, int64_t start, size_t samples, struct sample_set *set);
/* The model (taken over) and settings for the windows handed over from now on. */
void scoring_model(struct scoring *s, struct model *m, const struct scorer_settings *set);
void scoring_settings(struct scoring *s, const struct scorer_settings *set);
/* The window at start, about to be handed over, was scored before by a
 * scorer that delivered done's alerts (taken over): not sent again. */
void scoring_replayed(struct scoring *s, int64_t start, struct alerted *done);
/* The sources' memory, shared and taken over (score_thread.h). NULL: no
 * sharing, b freed. */
void scoring_share_memory(struct scoring *s, memory_shared_fn fn, void *ctx);
void scoring_take_memory(struct scoring *s, struct memory_batch *b);
/* A full count of the history (a retraining's), to the score thread. NULL: no-op. */
void scoring_history_counts(struct scoring *s, uint64_t records, uint64_t windows);
/* Each second: old history deleted when due. NULL: no-op. */
void scoring_tick(struct scoring *s, time_t now);

/* The score thread's counts (zero for NULL). */
void scoring_counts(const struct scoring *s, struct score_counts *out);
/* Windows back from the score thread, in the order they were handed. */
uint64_t scoring_scored(const struct scoring *s);
/* Windows the history could not keep (its disk full, I/O errors), in all. */
uint64_t scoring_history_lost(const struct scoring *s);

#endif
