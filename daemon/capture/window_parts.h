/* window_parts: the parts of each window, counted apart (by the capture
 * workers, and by the loop's own table for the listeners and followed
 * logs), made one window (features/merge.h) once every part has closed it.
 *
 * A part hands over the windows it closes (window_parts_add) and then says
 * how far its clock went (window_parts_mark: every window whose end plus
 * lateness is at or before that time is closed there). A window is whole
 * when every part's mark is past it, whether the part counted anything in
 * it or not; whole windows reach ready_fn in order of time, merged.
 *
 * Threads: window_parts_add and window_parts_mark run on any part's thread
 * and never wait: they hand what they are given to the loop through a queue
 * (common/queue.h), which wakes it. Every other call, and ready_fn, run on
 * the loop's thread, and each first takes in what the parts handed over. */
#ifndef FLOWSAD_WINDOW_PARTS_H
#define FLOWSAD_WINDOW_PARTS_H

#include <ev.h>
#include <stdint.h>

#include "features/merge.h"
#include "features/sample.h"

/* A whole window, merged: the set is fn's. */
typedef void (*window_ready_fn)(void *ctx, int64_t start, struct sample_set *set);

struct window_parts;

struct window_parts *window_parts_new(struct ev_loop *loop, int n_parts, uint32_t window_seconds,
				      uint32_t lateness, window_ready_fn fn, void *ctx);
/* Hands every window still waiting to fn (what is missing is not waited
 * for), then frees. */
void window_parts_free(struct window_parts *p);

/* Part i's set of the window at start (taken over; lost, and logged,
 * without memory). */
void window_parts_add(struct window_parts *p, int i, int64_t start, struct sample_set *set);
/* Part i has closed every window whose end plus lateness is at or before
 * until (INT64_MAX: it has closed all it will). Without memory the mark is
 * lost (logged): a later mark, or window_parts_free, makes up for it. */
void window_parts_mark(struct window_parts *p, int i, int64_t until);
/* The earliest of the parts' marks: every window closing at or before it
 * (its end plus lateness) has been added by all parts. */
int64_t window_parts_closed_until(struct window_parts *p);
/* The whole windows, to fn now (the loop does this on its own as parts
 * mark). */
void window_parts_deliver(struct window_parts *p);

/* Windows merged, and what the merges did. */
void window_parts_stats(struct window_parts *p, uint64_t *windows, struct merge_stats *st);

#endif
