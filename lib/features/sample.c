#include "features/sample.h"
#include "base/grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BASELINE_AHEAD 8 /* samples between fetching a source's slot and using it */

#define CHUNK_SAMPLES 256

struct sample_chunk {
	struct sample_chunk *next;
	size_t used;
	struct net_sample s[CHUNK_SAMPLES];
};

/* Storage for one more copy (a new chunk when the newest is full). */
static struct net_sample *new_copy(struct sample_set *set)
{
	struct sample_chunk *c = set->chunks;
	if (!c || c->used == CHUNK_SAMPLES) {
		if (!(c = malloc(sizeof *c)))
			return NULL;
		c->used = 0;
		c->next = set->chunks;
		set->chunks = c;
	}
	return &c->s[c->used++];
}

/* *to = a copy of *in with terms of its own. Returns 0 or -ENOMEM. */
static int copy_sample(struct net_sample *to, const struct net_sample *in)
{
	struct window_term *terms = malloc(in->c.n_terms * sizeof *terms + 1);
	if (!terms)
		return -ENOMEM;
	if (in->c.n_terms) /* a source that only answered has none (and no table of them) */
		memcpy(terms, in->c.terms, in->c.n_terms * sizeof *terms);
	*to = *in;
	to->seen = NULL;
	to->terms = terms;
	to->c.terms = terms;
	return 0;
}

int sample_set_add(struct sample_set *set, const struct net_sample *in)
{
	struct net_sample *s;
	if (grow_for_one(&set->s, &set->cap, set->n, sizeof *set->s, 256) < 0 ||
	    !(s = new_copy(set)))
		return -ENOMEM;
	if (copy_sample(s, in) < 0) {
		set->chunks->used--;
		return -ENOMEM;
	}
	set->s[set->n++] = s;
	return 0;
}

int sample_set_replace(struct sample_set *set, size_t i, const struct net_sample *in)
{
	struct net_sample copy;
	if (copy_sample(&copy, in) < 0)
		return -ENOMEM;
	free(set->s[i]->terms);
	*set->s[i] = copy;
	return 0;
}

int sample_set_collect(void *ctx, int64_t window_start, const ip_addr *src,
		       const struct window_counters *c)
{
	struct net_sample s = { .window_start = window_start, .src = *src, .c = *c };
	return sample_set_add(ctx, &s);
}

void sample_set_prefetch(const struct sample_set *set, const struct baseline *b, size_t i)
{
	/* a handed-over window's samples lie in the order they were made, not
	 * in the set's: the sample first, its source's slot, then its host */
	if (i + 2 * BASELINE_AHEAD < set->n)
		__builtin_prefetch(set->s[i + 2 * BASELINE_AHEAD]);
	if (i + BASELINE_AHEAD < set->n)
		baseline_prefetch(b, &set->s[i + BASELINE_AHEAD]->src, 0);
	if (i + BASELINE_AHEAD / 2 < set->n)
		baseline_prefetch(b, &set->s[i + BASELINE_AHEAD / 2]->src, 1);
}

void sample_set_observe(struct sample_set *set, struct baseline *b)
{
	for (size_t i = 0; i < set->n; i++) {
		struct net_sample *s = set->s[i];
		sample_set_prefetch(set, b, i);
		baseline_observe(b, s->window_start, &s->src, &s->c, s->host);
	}
}

void sample_set_free(struct sample_set *set)
{
	if (set->release) {
		set->release(set->owner);
	} else {
		for (size_t i = 0; i < set->n; i++)
			free(set->s[i]->terms);
	}
	while (set->chunks) {
		struct sample_chunk *c = set->chunks;
		set->chunks = c->next;
		free(c);
	}
	free(set->s);
	free(set->answers);
	memset(set, 0, sizeof *set);
}
