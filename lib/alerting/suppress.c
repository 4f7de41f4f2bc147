#include "alerting/suppress.h"

#include <stdlib.h>
#include <string.h>

#include "features/distinct.h"

struct entry {
	uint64_t hash;    /* of (key, behaviour); 0: empty */
	int64_t last;     /* when an alert was last let through */
	double score;     /* its score */
	uint64_t repeats; /* held back since */
};

struct suppressor {
	uint32_t interval;
	size_t n, cap;  /* cap: a power of two, or 0 */
	struct entry *slots;
};

struct suppressor *suppress_new(uint32_t interval)
{
	struct suppressor *s = calloc(1, sizeof *s);
	if (s)
		s->interval = interval;
	return s;
}

void suppress_free(struct suppressor *s)
{
	if (s)
		free(s->slots);
	free(s);
}

void suppress_set_interval(struct suppressor *s, uint32_t interval)
{
	s->interval = interval;
}

static struct entry *find(struct entry *slots, size_t cap, uint64_t hash)
{
	size_t j = hash & (cap - 1);
	while (slots[j].hash && slots[j].hash != hash)
		j = (j + 1) & (cap - 1);
	return &slots[j];
}

static int live(const struct suppressor *s, const struct entry *e, int64_t t)
{
	return e->hash && t >= e->last && t - e->last < s->interval;
}

/* Rehashes into a table sized for the entries still within the interval
 * of t (the others can no longer suppress anything). */
static int rebuild(struct suppressor *s, int64_t t)
{
	size_t n = 0, cap = 16;
	for (size_t i = 0; i < s->cap; i++)
		n += live(s, &s->slots[i], t);
	while (cap < 4 * (n + 1))
		cap *= 2;
	struct entry *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (live(s, &s->slots[i], t))
			*find(slots, cap, s->slots[i].hash) = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	s->n = n;
	return 0;
}

int suppress_check(struct suppressor *s, const char *key, uint64_t behaviour, int64_t t,
		   double score, uint64_t *repeats)
{
	*repeats = 0;
	if (s->interval == 0)
		return 0;
	if ((s->n + 1) * 2 > s->cap && rebuild(s, t) < 0)
		return -1;
	uint64_t hash = distinct_hash2(distinct_hash(key, strlen(key)), behaviour);
	hash |= !hash;
	struct entry *e = find(s->slots, s->cap, hash);
	if (live(s, e, t) && score <= SUPPRESS_ESCALATION * e->score) {
		e->repeats++;
		return 1;
	}
	if (e->hash)
		*repeats = e->repeats;
	else
		s->n++;
	*e = (struct entry){ hash, t, score, 0 };
	return 0;
}
