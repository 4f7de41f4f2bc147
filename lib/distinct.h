/* distinct: how many different values a sample saw (destination addresses,
 * ports, pairs, flows). Exact up to DISTINCT_EXACT_MAX values (a set of
 * 64-bit hashes; collisions are negligible at these sizes), then a
 * HyperLogLog of 2^DISTINCT_HLL_BITS registers: relative standard error
 * 1.04 / sqrt(4096) = 1.6 %, 4 KiB per saturated counter. */
#ifndef FLOWSAD_DISTINCT_H
#define FLOWSAD_DISTINCT_H

#include <stddef.h>
#include <stdint.h>

#define DISTINCT_EXACT_MAX 4096
#define DISTINCT_HLL_BITS 12

struct distinct {
	uint32_t n, cap;    /* exact mode: values held, slots */
	uint64_t *slots;    /* open addressing; 0 marks an empty slot */
	uint8_t *hll;       /* non-NULL once past the exact bound */
};

/* Adds a value given by its 64-bit hash. Returns 0 or -ENOMEM (the value
 * is then not counted). */
int distinct_add(struct distinct *d, uint64_t hash);
uint64_t distinct_count(const struct distinct *d);
void distinct_free(struct distinct *d);
/* Bytes held, for memory accounting. */
size_t distinct_bytes(const struct distinct *d);

/* A 64-bit hash of len bytes (seeded mixing; not cryptographic). */
uint64_t distinct_hash(const void *data, size_t len);

#endif
