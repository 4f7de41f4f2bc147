#include "suppress.h"

#include <stdlib.h>
#include <string.h>

#include "distinct.h"

struct entry {
	uint64_t hash;  /* 0: empty */
	int64_t last;   /* when an alert was last let through */
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

/* Rehashes into a table sized for the entries still within the interval
 * of t (the others can no longer suppress anything). */
static int rebuild(struct suppressor *s, int64_t t)
{
	size_t live = 0, cap = 16;
	for (size_t i = 0; i < s->cap; i++)
		live += s->slots[i].hash && t - s->slots[i].last < s->interval;
	while (cap < 4 * (live + 1))
		cap *= 2;
	struct entry *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].hash && t - s->slots[i].last < s->interval)
			*find(slots, cap, s->slots[i].hash) = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	s->n = live;
	return 0;
}

int suppress_check(struct suppressor *s, const char *key, int64_t t)
{
	if (s->interval == 0)
		return 0;
	if ((s->n + 1) * 2 > s->cap && rebuild(s, t) < 0)
		return -1;
	uint64_t hash = distinct_hash(key, strlen(key));
	hash |= !hash;
	struct entry *e = find(s->slots, s->cap, hash);
	if (e->hash && t >= e->last && t - e->last < s->interval)
		return 1;
	s->n += !e->hash;
	e->hash = hash;
	e->last = t;
	return 0;
}
