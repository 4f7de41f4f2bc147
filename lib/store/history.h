/* history: the closed windows' samples, raw counters and service terms, kept
 * on disk for retraining.
 *
 * DIR holds one segment file a UTC day, YYYYMMDD.hist, named by the windows
 * it holds. A segment is a run of records, one a sample: a 4-byte length, a
 * CRC-32 of the payload, the payload (history_encode). A window's records
 * are written together and synced. Opening for appending checks the newest
 * segment and cuts a torn tail (a crash mid-write) after its last whole
 * record; readers stop at the first bad record of a segment and count what
 * they skipped. Segments older than the retention are deleted. */
#ifndef FLOWSAD_HISTORY_H
#define FLOWSAD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "features/sample.h"

#define HISTORY_SUFFIX ".hist"
#define HISTORY_RECORD_HEADER 8
#define HISTORY_MAX_RECORD                                                                         \
	(64 + 16 * 8 + 8 + WINDOW_MAX_TERMS * 12 + 4 * 8 + 2 * WINDOW_PEER_WORDS * 8 + 7 * 8 +     \
	 2 * WINDOW_PEER_WORDS * 8)

struct history_stats {
	uint64_t records;    /* samples held */
	uint64_t windows;    /* windows held (counted as their starts change) */
	uint64_t cut_bytes;  /* torn tail removed at open */
	uint64_t segments;
	int64_t last_window; /* start of the newest window held (INT64_MIN: none) */
};

struct history;

/* Opens dir for appending (creating it), cutting a torn tail off the newest
 * segment. With count_all every segment is read to count its samples and
 * windows (for a cold start, which waits for a number of windows); without,
 * only the newest is, so that a daemon with weeks of history starts at once
 * (the counts then start from that segment, and history_set_counts puts in
 * a full count when one is made). Returns NULL with the reason in err. */
struct history *history_open(const char *dir, uint32_t retention_seconds, int count_all, char *err,
			     size_t errlen);
void history_set_counts(struct history *h, uint64_t records, uint64_t windows);
void history_close(struct history *h);

/* Appends a window's samples (all of set, which holds one window) and syncs.
 * Returns 0 or -1 with errno. */
int history_append(struct history *h, const struct sample_set *set);
/* Deletes the segments whose day ended more than the retention before now.
 * Returns how many went. */
int history_expire(struct history *h, int64_t now);
const struct history_stats *history_stats(const struct history *h);

/* Calls fn for every sample in dir, oldest segment first (s->c.terms and
 * s->terms are valid during the call). fn returns 0 to go on. Returns 0, or
 * -1 with errno when dir cannot be read. st (may be NULL) gets the counts;
 * its cut_bytes are the bytes skipped after bad records. */
typedef int (*history_sample_fn)(void *ctx, const struct net_sample *s);
int history_scan(const char *dir, history_sample_fn fn, void *ctx, struct history_stats *st);

/* One sample as a record payload into buf [HISTORY_MAX_RECORD]; returns
 * its length. And back: returns 0, or -1 for a malformed payload; terms
 * [WINDOW_MAX_TERMS] receives the terms (out->terms and out->c.terms point
 * at it). */
size_t history_encode(const struct net_sample *s, uint8_t *buf);
int history_decode(const uint8_t *p, size_t len, struct net_sample *out, struct window_term *terms);

#endif
