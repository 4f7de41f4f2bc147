/* merge: the parts of one window, counted apart, made one window.
 *
 * Capture workers each count a share of the traffic in a table of their
 * own (window_table_set_partial); the kernel gives all the packets of a
 * source to one worker, so a source's sample is whole in one part. What
 * crosses parts are answers: a SYN-ACK counted by the answering host's
 * worker also tells the SYN's sender it was answered. Each part keeps those
 * for hosts it has no sample of, and the merge applies them.
 *
 * A source seen by several parts (packets of one inner source reaching
 * two workers through tunnels with different outer sources) is made one
 * sample: its counters and services summed, its sketches joined, and its
 * distinct counts (destinations, ports, pairs, flows) summed, which is
 * exact when the parts saw different flows, as tunnels do. Samples that
 * kept their distinct values (net_sample.seen: sensors' parts, read from
 * the wire by features/part_wire.h) count the union of them instead: exact
 * while exact, a HyperLogLog union beyond, and their flows opened and
 * services are then counted from the union as a whole table counts its own
 * (window_count_distinct, window_count_terms): the same sample, in either
 * regime. Packets, and services while exact, are summed: exact when each
 * flow was seen by one part. */
#ifndef FLOWSAD_MERGE_H
#define FLOWSAD_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "features/sample.h"

struct merge_stats {
	uint64_t joined;           /* samples made of several parts' samples */
	uint64_t answers;          /* answers applied to a sample of another part */
	uint64_t answers_unmatched;/* answers to hosts no part had a sample of */
};

/* Merges the n sets of one window (each in address order, as a table
 * hands a window over) into *out, in address order. The parts are taken
 * over (out gives their memory back when it is freed) and left empty;
 * st (may be NULL) adds what was done. Returns 0, or -ENOMEM with the parts
 * as they were and out empty. */
int sample_set_merge(struct sample_set *parts, int n, struct sample_set *out,
		     struct merge_stats *st) __attribute__((warn_unused_result));

#endif
