#include "features/sample.h"
#include "base/grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BASELINE_AHEAD 8 /* samples between fetching a source's slot and using it */

int sample_set_add(struct sample_set *set, const struct net_sample *in)
{
	if (grow_for_one(&set->s, &set->cap, set->n, sizeof *set->s, 256) < 0)
		return -ENOMEM;
	struct net_sample *s = &set->s[set->n];
	*s = *in;
	s->terms = malloc(in->c.n_terms * sizeof *s->terms + 1);
	if (!s->terms)
		return -ENOMEM;
	memcpy(s->terms, in->c.terms, in->c.n_terms * sizeof *s->terms);
	s->c.terms = s->terms;
	set->n++;
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
	if (i + BASELINE_AHEAD < set->n)
		baseline_prefetch(b, &set->s[i + BASELINE_AHEAD].src, 0);
	if (i + BASELINE_AHEAD / 2 < set->n)
		baseline_prefetch(b, &set->s[i + BASELINE_AHEAD / 2].src, 1);
}

void sample_set_observe(struct sample_set *set, struct baseline *b)
{
	for (size_t i = 0; i < set->n; i++) {
		struct net_sample *s = &set->s[i];
		sample_set_prefetch(set, b, i);
		baseline_observe(b, s->window_start, &s->src, &s->c, s->host);
	}
}

void sample_set_free(struct sample_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->s[i].terms);
	free(set->s);
	memset(set, 0, sizeof *set);
}
