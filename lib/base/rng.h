/* rng: a small seeded generator (xoshiro256**, seeded by splitmix64), so that
 * training, shuffles and explanation draws repeat exactly for a given seed on
 * every platform. Not for cryptography. */
#ifndef FLOWSAD_RNG_H
#define FLOWSAD_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Standard normal (Box-Muller; one value per call, nothing cached). */
double rng_normal(struct rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle(struct rng *r, uint32_t *idx, size_t n);

#endif
