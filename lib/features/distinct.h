/* distinct: how many different values of up to DISTINCT_KINDS kinds a sample
 * saw (destination addresses, ports, pairs, flows), in one table so that
 * counting a packet touches one small array. Exact up to DISTINCT_EXACT_MAX
 * values in all (64-bit hashes; collisions are negligible at these sizes),
 * the first DISTINCT_INLINE of them without any allocation; beyond, one
 * HyperLogLog per kind of 2^DISTINCT_HLL_BITS registers: relative standard
 * error 1.04 / sqrt(4096) = 1.6 %, 16 KiB per saturated table. */
#ifndef FLOWSAD_DISTINCT_H
#define FLOWSAD_DISTINCT_H

#include <stddef.h>
#include <stdint.h>

#include "base/ip.h"

#define DISTINCT_KINDS 4
#define DISTINCT_EXACT_MAX 4096
#define DISTINCT_INLINE 16
#define DISTINCT_HLL_BITS 12
/* bytes: a HyperLogLog a kind, and one of the marked values */
#define DISTINCT_REGISTERS ((size_t)(DISTINCT_KINDS + 1) << DISTINCT_HLL_BITS)

/* What distinct_add_marked found: the value new, the value marked now (new
 * and marked, or known before and marked at last). Once estimated: a
 * register of its kind raised, a register of the marked values raised. */
#define DISTINCT_ADDED 1
#define DISTINCT_MARKED 2

struct distinct {
	uint32_t n, cap;                  /* exact mode: values held, slots */
	uint32_t count[DISTINCT_KINDS];   /* exact counts per kind */
	uint32_t marked;                  /* exact count of the marked values */
	uint64_t *slots;                  /* NULL: the inline ones; 0 marks empty */
	uint8_t *hll;                     /* [DISTINCT_REGISTERS] once estimated */
	uint64_t inline_slots[DISTINCT_INLINE];
};

/* Adds a value of kind (0..DISTINCT_KINDS-1) given by its 64-bit hash.
 * Returns 1 when the value is new (exactly while exact; once estimated,
 * when it changed a register, which undercounts), 0 when seen before, or
 * -ENOMEM (the value is then not counted). The struct must
 * not move once values are added (the inline slots are used in place). */
int distinct_add(struct distinct *d, int kind, uint64_t hash);
/* Adds a value as distinct_add, marked when mark is set: the marked values
 * are a subset counted on their own (the window table marks the flows a
 * source opened), exact while the count is exact, then a HyperLogLog of
 * them. A value known unmarked is marked when added marked: a mark is the
 * OR of the adds, whatever their order. Returns DISTINCT_ADDED and
 * DISTINCT_MARKED bits (0: nothing new), or -ENOMEM. */
int distinct_add_marked(struct distinct *d, int kind, uint64_t hash, int mark);
uint64_t distinct_count(const struct distinct *d, int kind);
/* How many marked values (exact while exact, else estimated). */
uint64_t distinct_count_marked(const struct distinct *d);
void distinct_free(struct distinct *d);

/* Two counts made apart (sensors, capture workers) made one: the union of
 * their values (and of their marks), exact while both are exact and the
 * union stays within DISTINCT_EXACT_MAX, else the registers' maximum (a
 * HyperLogLog union). Whether a count is exact depends on how many values
 * it holds, not on the order they came in: a union is exact exactly when
 * one count of all the values would be, and its estimate is that count's.
 * Returns 0 or -ENOMEM (into then holds part of from). */
int distinct_union(struct distinct *into, const struct distinct *from);
/* What a count is made of, to carry it elsewhere (features/part_wire.h):
 * while exact, its d->n values, each tagged with its kind and mark, into out
 * (returns how many; 0 once estimated); once estimated, its
 * DISTINCT_REGISTERS registers (NULL while exact). */
uint32_t distinct_values(const struct distinct *d, uint64_t *out);
const uint8_t *distinct_registers(const struct distinct *d);
/* And back: a tagged value added (as distinct_add), registers joined (the
 * count becomes an estimate). Return as distinct_add; 0 or -ENOMEM. */
int distinct_add_value(struct distinct *d, uint64_t value);
int distinct_join_registers(struct distinct *d, const uint8_t *regs);
/* d (as made by memset 0, or freed) counts the n values (tagged, distinct,
 * none 0) it borrows: it reads them where they are, and copies them into a
 * table of its own before anything is added (a part read from the wire
 * seldom needs more than its counts). The values must outlive d's use of
 * them. */
void distinct_adopt(struct distinct *d, const uint64_t *values, uint32_t n);
/* Heap bytes held, for memory accounting. */
size_t distinct_bytes(const struct distinct *d);

/* A 64-bit hash of len bytes (seeded mixing; not cryptographic). */
uint64_t distinct_hash(const void *data, size_t len);
/* A 64-bit hash of two words: cheaper for fixed-size keys. */
uint64_t distinct_hash2(uint64_t a, uint64_t b);
/* An address's hash: distinct_hash2 of its two words (the window table's
 * and the sources' memory's key). */
uint64_t distinct_hash_addr(const ip_addr *a);

#endif
