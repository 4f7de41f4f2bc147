/* part_wire: a sensor's share of one closed window, as bytes on the wire,
 * for the scorer that merges the shares of every sensor (features/merge.h).
 *
 * A window's sources are spread over n_parts partitions by a hash of their
 * address, so that every sensor sends a source's sample to the same
 * partition and one scorer sees all of them; the answers a sensor saw for
 * hosts it has no sample of go with the partition of the answered host.
 * Each sample carries its exact counters, its service terms and sketches,
 * and its distinct values (destinations, ports, pairs, flows): exact while
 * the sensor held them exactly, the HyperLogLog registers beyond, so the
 * merge counts their union.
 *
 * Layout (integers little-endian; v: LEB128 varint):
 *   header   "FSPW", version u8, 3 zero bytes, window_start i64,
 *            window_seconds u32, part u32, n_parts u32, samples u32,
 *            answers u32
 *   sample   address (16 bytes), v counters (see the encoder), v location,
 *            peers and services: a mask byte of the non-zero words, then
 *            those words (u64 each); v terms, each v key delta, v count,
 *            v flows (its sketch of flows); distinct: v 0 (none), 1 with v n
 *            and n tagged values (u64, ascending; the lowest bit marks a
 *            flow opened), or 2 with DISTINCT_REGISTERS register bytes (a
 *            HyperLogLog a kind, then one of the flows opened)
 *   answer   address (16 bytes), v events, synack, rst, unreach, bytes
 * Samples come in address order; their keys ascend within a sample. */
#ifndef FLOWSAD_PART_WIRE_H
#define FLOWSAD_PART_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "features/sample.h"

#define PART_WIRE_VERSION   3
#define PART_WIRE_MAX_PARTS 4096

struct part_header {
	int64_t window_start;
	uint32_t window_seconds;
	uint32_t part, n_parts;
	uint32_t samples, answers;
};

/* A growing byte buffer: one partition's encoding. */
struct part_buf {
	uint8_t *data;
	size_t len, cap;
};

/* The partition of an address among n_parts. */
uint32_t part_wire_partition(const ip_addr *a, uint32_t n_parts);

/* Encodes set (one window, in address order) as n_parts partitions into
 * bufs[n_parts] (each emptied first, its memory reused). Returns 0 or
 * -ENOMEM. */
int part_wire_encode(const struct sample_set *set, int64_t window_start, uint32_t window_seconds,
		     uint32_t n_parts, struct part_buf *bufs) __attribute__((warn_unused_result));
void part_buf_free(struct part_buf *b);

/* Decodes one partition into *out (its samples own their terms and
 * distinct values, freed with the set) and its header into *h. Returns 0,
 * -ENOMEM, or -EBADMSG with what was expected where in err. */
int part_wire_decode(const uint8_t *data, size_t len, struct part_header *h, struct sample_set *out,
		     char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
