/* sample: what a window table emits for one source in one window, kept
 * (a sample_set) for fitting features, vectors, the history and retraining.
 * Its host features are set from the source's own past (features/baseline.h). */
#ifndef FLOWSAD_SAMPLE_H
#define FLOWSAD_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/ip.h"
#include "features/baseline.h"
#include "features/distinct.h"
#include "features/window.h"

/* One sample as emitted by the window table, kept for fitting and vectors. */
struct net_sample {
	ip_addr src;
	struct window_counters c;   /* c.terms points at terms below */
	int64_t window_start;
	struct window_term *terms;
	float host[BASELINE_N_FEATURES]; /* relative to the source's past (sample_set_observe) */
	/* the distinct values behind dst_ips, dst_ports, dst_pairs and flows,
	 * where a part of a window keeps them to be merged exactly (a sensor's
	 * table: window_table_keep_distinct; a part read from the wire); else
	 * NULL. Owned with the sample; copies do not take it. */
	struct distinct *seen;
};

/* Samples in window order, by pointer: either copies the set made itself
 * (sample_set_add, in chunks it owns), or a closed window handed over whole
 * by its table (window_table_hand_over), whose memory the set gives back
 * through release(owner) when it is freed: no second copy of a window. */
struct sample_chunk;

struct sample_set {
	size_t n, cap;
	struct net_sample **s;
	struct sample_chunk *chunks; /* the copies' storage, newest first */
	void (*release)(void *owner);
	void *owner;
	/* a partial window's answers to hosts it has no sample of (window.h) */
	struct window_answer *answers;
	size_t n_answers;
	size_t bytes; /* a handed-over window's: the memory its samples hold (else 0) */
};

/* A window_emit_fn that appends to the sample_set ctx (terms copied).
 * Returns 0 or -ENOMEM. */
int sample_set_collect(void *ctx, int64_t window_start, const ip_addr *src,
		       const struct window_counters *c);
/* Appends a copy of s (terms and host features too). Returns 0 or -ENOMEM. */
int sample_set_add(struct sample_set *set, const struct net_sample *s)
	__attribute__((warn_unused_result));
/* Overwrites sample i (a copy the set made) with a copy of s, in its place:
 * a reservoir replaces without growing. Returns 0 or -ENOMEM (i unchanged). */
int sample_set_replace(struct sample_set *set, size_t i, const struct net_sample *s)
	__attribute__((warn_unused_result));
void sample_set_free(struct sample_set *set);
/* A hint before sample i's source is looked up in b: fetches the memory of
 * the sources some samples ahead (baseline_prefetch). */
void sample_set_prefetch(const struct sample_set *set, const struct baseline *b, size_t i);
/* Sets the host features of every sample of set from b, in the set's order
 * (which must be window order: what a window table emits), remembering
 * each sample's window in b. */
void sample_set_observe(struct sample_set *set, struct baseline *b);

#endif
