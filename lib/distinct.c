#include "distinct.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
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

static void hll_add(uint8_t *hll, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> (64 - DISTINCT_HLL_BITS));
	uint64_t rest = hash << DISTINCT_HLL_BITS | (1ull << (DISTINCT_HLL_BITS - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank > hll[idx])
		hll[idx] = rank;
}

static int to_hll(struct distinct *d)
{
	d->hll = calloc(1u << DISTINCT_HLL_BITS, 1);
	if (!d->hll)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->cap; i++)
		if (d->slots[i])
			hll_add(d->hll, d->slots[i]);
	free(d->slots);
	d->slots = NULL;
	d->cap = 0;
	return 0;
}

static int grow(struct distinct *d)
{
	uint32_t cap = d->cap ? d->cap * 2 : 8;
	uint64_t *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->cap; i++) {
		uint64_t h = d->slots[i];
		if (!h)
			continue;
		uint32_t j = (uint32_t)h & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = h;
	}
	free(d->slots);
	d->slots = slots;
	d->cap = cap;
	return 0;
}

int distinct_add(struct distinct *d, uint64_t hash)
{
	if (d->hll) {
		hll_add(d->hll, hash);
		return 0;
	}
	hash |= !hash; /* 0 marks empty slots */
	if ((d->n + 1) * 4 > d->cap * 3) { /* keep the load under 3/4 */
		int rc = d->n >= DISTINCT_EXACT_MAX ? to_hll(d) : grow(d);
		if (rc < 0)
			return rc;
		if (d->hll) {
			hll_add(d->hll, hash);
			return 0;
		}
	}
	uint32_t j = (uint32_t)hash & (d->cap - 1);
	while (d->slots[j]) {
		if (d->slots[j] == hash)
			return 0;
		j = (j + 1) & (d->cap - 1);
	}
	d->slots[j] = hash;
	d->n++;
	return 0;
}

uint64_t distinct_count(const struct distinct *d)
{
	if (!d->hll)
		return d->n;
	const double m = 1u << DISTINCT_HLL_BITS, alpha = 0.7213 / (1 + 1.079 / m);
	double sum = 0;
	int zeros = 0;
	for (uint32_t i = 0; i < (1u << DISTINCT_HLL_BITS); i++) {
		sum += ldexp(1.0, -d->hll[i]);
		zeros += d->hll[i] == 0;
	}
	double est = alpha * m * m / sum;
	if (est <= 2.5 * m && zeros) /* small range: linear counting */
		est = m * log(m / zeros);
	return (uint64_t)(est + 0.5);
}

void distinct_free(struct distinct *d)
{
	free(d->slots);
	free(d->hll);
	memset(d, 0, sizeof *d);
}

size_t distinct_bytes(const struct distinct *d)
{
	return d->hll ? (1u << DISTINCT_HLL_BITS) : d->cap * sizeof(uint64_t);
}
