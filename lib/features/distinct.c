#include "features/distinct.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KIND_SHIFT 62
#define VALUE_MASK ((1ull << KIND_SHIFT) - 1)
/* A tagged value: its kind in the top bits, its mark in the lowest (a
 * value is the same value marked or not: its place and its registers come
 * from the bits between). */
#define MARK 1ull

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t distinct_hash2(uint64_t a, uint64_t b)
{
	/* one mixing round over both words: b is rotated and multiplied so that
	 * (a, b) and (b, a) differ */
	return mix(a ^ ((b << 32 | b >> 32) * 0x9e3779b97f4a7c15ull));
}

uint64_t distinct_hash(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len;

	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = mix(h ^ w) + 0x9e3779b97f4a7c15ull;
		p += 8;
		len -= 8;
	}
	uint64_t tail = 0;
	memcpy(&tail, p, len);
	return mix(h ^ tail ^ ((uint64_t)len << 56));
}

static uint64_t *slots_of(struct distinct *d)
{
	return d->slots ? d->slots : d->inline_slots;
}

/* Borrowed values (distinct_adopt): slots set, but no table of them. */
static int borrowed(const struct distinct *d)
{
	return d->slots && d->cap == 0;
}

/* The entries to look at for the values: a table's slots (0: empty), or
 * the borrowed values. */
static const uint64_t *entries(const struct distinct *d, uint32_t *n)
{
	*n = borrowed(d) ? d->n : d->cap;
	return d->slots ? d->slots : d->inline_slots;
}

/* One register update of the HyperLogLog at regs from a tagged value.
 * Returns 1 when it raised the register. */
static int hll_raise(uint8_t *regs, uint64_t tagged)
{
	uint64_t v = tagged & VALUE_MASK & ~MARK;
	uint32_t idx = (uint32_t)(v >> (KIND_SHIFT - DISTINCT_HLL_BITS));
	uint64_t rest = v << (64 - KIND_SHIFT + DISTINCT_HLL_BITS) |
			(1ull << (64 - KIND_SHIFT + DISTINCT_HLL_BITS - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank <= regs[idx])
		return 0;
	regs[idx] = rank;
	return 1;
}

/* A tagged value into its kind's HyperLogLog, and into the marked values'
 * when marked. Returns as distinct_add_marked. */
static int hll_add(uint8_t *hll, uint64_t tagged)
{
	int rc = hll_raise(hll + ((tagged >> KIND_SHIFT) << DISTINCT_HLL_BITS), tagged) ?
			 DISTINCT_ADDED : 0;
	if (tagged & MARK &&
	    hll_raise(hll + ((size_t)DISTINCT_KINDS << DISTINCT_HLL_BITS), tagged))
		rc |= DISTINCT_MARKED;
	return rc;
}

static int to_hll(struct distinct *d)
{
	uint32_t n;
	const uint64_t *s = entries(d, &n);
	d->hll = calloc(DISTINCT_REGISTERS, 1);
	if (!d->hll)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		if (s[i])
			hll_add(d->hll, s[i]);
	if (!borrowed(d))
		free(d->slots);
	d->slots = NULL;
	d->cap = 0;
	return 0;
}

/* Values are hashes already: their low bits (above the mark) index the
 * table. */
static uint32_t home_slot(uint64_t v, uint32_t cap)
{
	return (uint32_t)(v >> 1) & (cap - 1);
}

static void place(uint64_t *slots, uint32_t cap, uint64_t v)
{
	uint32_t j = home_slot(v, cap);
	while (slots[j])
		j = (j + 1) & (cap - 1);
	slots[j] = v;
}

static int grow(struct distinct *d)
{
	uint32_t cap = d->cap * 2;
	uint64_t *slots = calloc(cap, sizeof *slots), *old = slots_of(d);
	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->cap; i++)
		if (old[i])
			place(slots, cap, old[i]);
	free(d->slots);
	d->slots = slots;
	d->cap = cap;
	return 0;
}

static int add_tagged(struct distinct *d, uint64_t v);

/* Borrowed values copied into a table of the count's own. */
static int own_values(struct distinct *d)
{
	const uint64_t *v = d->slots;
	uint32_t n = d->n;
	memset(d, 0, sizeof *d);
	for (uint32_t i = 0; i < n; i++) {
		int rc = add_tagged(d, v[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A value found in the table marked when v is: returns DISTINCT_MARKED when
 * that is new. */
static int mark_known(struct distinct *d, uint64_t *slot, uint64_t v)
{
	if (!(v & MARK) || (*slot & MARK))
		return 0;
	*slot |= MARK;
	d->marked++;
	return DISTINCT_MARKED;
}

/* Adds a value tagged with its kind (the top bits) and mark (the lowest);
 * as distinct_add_marked. */
static int add_tagged(struct distinct *d, uint64_t v)
{
	int rc;
	if (borrowed(d) && (rc = own_values(d)) < 0)
		return rc;
	if (d->hll)
		return hll_add(d->hll, v);
	if (d->cap == 0)
		d->cap = DISTINCT_INLINE;
	/* keep the load under 3/4 (at the limit the table holds its values) */
	if ((d->n + 1) * 4 > d->cap * 3 && d->n < DISTINCT_EXACT_MAX && (rc = grow(d)) < 0)
		return rc;
	uint64_t *s = slots_of(d);
	uint32_t j = home_slot(v, d->cap);
	while (s[j]) {
		if ((s[j] | MARK) == (v | MARK))
			return mark_known(d, &s[j], v);
		j = (j + 1) & (d->cap - 1);
	}
	/* a value beyond the limit: estimated from now on, as a union beyond it is */
	if (d->n >= DISTINCT_EXACT_MAX)
		return (rc = to_hll(d)) < 0 ? rc : hll_add(d->hll, v);
	s[j] = v;
	d->n++;
	d->count[v >> KIND_SHIFT]++;
	d->marked += (uint32_t)(v & MARK);
	return DISTINCT_ADDED | (v & MARK ? DISTINCT_MARKED : 0);
}

/* A hash tagged with its kind and mark; never 0 (0 marks empty slots). */
static uint64_t tagged_value(int kind, uint64_t hash, int mark)
{
	uint64_t v = (hash & VALUE_MASK & ~MARK) | (uint64_t)kind << KIND_SHIFT;
	return v | (uint64_t)!v << 1 | (mark ? MARK : 0);
}

int distinct_add(struct distinct *d, int kind, uint64_t hash)
{
	return add_tagged(d, tagged_value(kind, hash, 0));
}

int distinct_add_marked(struct distinct *d, int kind, uint64_t hash, int mark)
{
	return add_tagged(d, tagged_value(kind, hash, mark));
}

uint32_t distinct_values(const struct distinct *d, uint64_t *out)
{
	uint32_t n = 0, cap;
	const uint64_t *s = entries(d, &cap);
	for (uint32_t i = 0; !d->hll && i < cap; i++)
		if (s[i])
			out[n++] = s[i];
	return n;
}

void distinct_adopt(struct distinct *d, const uint64_t *values, uint32_t n)
{
	memset(d, 0, sizeof *d);
	if (n == 0)
		return;
	d->slots = (uint64_t *)values; /* borrowed: never written, never freed */
	d->n = n;
	for (uint32_t i = 0; i < n; i++) {
		d->count[values[i] >> KIND_SHIFT]++;
		d->marked += (uint32_t)(values[i] & MARK);
	}
}

int distinct_add_value(struct distinct *d, uint64_t value)
{
	return add_tagged(d, value | (uint64_t)!value << 1);
}

const uint8_t *distinct_registers(const struct distinct *d)
{
	return d->hll;
}

int distinct_join_registers(struct distinct *d, const uint8_t *regs)
{
	if (!d->hll) {
		if (d->cap == 0 && !borrowed(d))
			d->cap = DISTINCT_INLINE;
		int rc = to_hll(d);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < DISTINCT_REGISTERS; i++)
		if (regs[i] > d->hll[i])
			d->hll[i] = regs[i];
	return 0;
}

int distinct_union(struct distinct *into, const struct distinct *from)
{
	if (from->hll)
		return distinct_join_registers(into, from->hll);
	uint32_t n;
	const uint64_t *s = entries(from, &n);
	for (uint32_t i = 0; i < n; i++)
		if (s[i]) {
			int rc = add_tagged(into, s[i]);
			if (rc < 0)
				return rc;
		}
	return 0;
}

/* The HyperLogLog estimate of the registers at regs. */
static uint64_t estimate(const uint8_t *regs)
{
	const double m = 1u << DISTINCT_HLL_BITS, alpha = 0.7213 / (1 + 1.079 / m);
	double sum = 0;
	int zeros = 0;
	for (uint32_t i = 0; i < (1u << DISTINCT_HLL_BITS); i++) {
		sum += ldexp(1.0, -regs[i]);
		zeros += regs[i] == 0;
	}
	double est = alpha * m * m / sum;
	if (est <= 2.5 * m && zeros) /* small range: linear counting */
		est = m * log(m / zeros);
	return (uint64_t)(est + 0.5);
}

uint64_t distinct_count(const struct distinct *d, int kind)
{
	return d->hll ? estimate(d->hll + ((size_t)kind << DISTINCT_HLL_BITS)) : d->count[kind];
}

uint64_t distinct_count_marked(const struct distinct *d)
{
	return d->hll ? estimate(d->hll + ((size_t)DISTINCT_KINDS << DISTINCT_HLL_BITS))
		      : d->marked;
}

void distinct_free(struct distinct *d)
{
	if (!borrowed(d))
		free(d->slots);
	free(d->hll);
	memset(d, 0, sizeof *d);
}

size_t distinct_bytes(const struct distinct *d)
{
	if (d->hll)
		return DISTINCT_REGISTERS;
	return d->slots && !borrowed(d) ? d->cap * sizeof(uint64_t) : 0;
}

uint64_t distinct_hash_addr(const ip_addr *a)
{
	uint64_t hi, lo;
	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return distinct_hash2(hi, lo);
}
