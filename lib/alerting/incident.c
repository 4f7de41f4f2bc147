#include "alerting/incident.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32.h"
#include "base/isotime.h"

/* The open incidents, unordered: a handful at a time on a real network
 * (a flood of spoofed sources passes the gates top_n a window at most). */
struct incident_table {
	uint32_t window_seconds, longest;
	size_t n, cap;
	struct incident *open;
};

struct incident_table *incident_table_new(uint32_t window_seconds, uint32_t longest)
{
	struct incident_table *t = window_seconds ? calloc(1, sizeof *t) : NULL;
	if (t) {
		t->window_seconds = window_seconds;
		t->longest = longest;
	}
	return t;
}

void incident_table_free(struct incident_table *t)
{
	if (t)
		free(t->open);
	free(t);
}

void incident_table_set_longest(struct incident_table *t, uint32_t longest)
{
	t->longest = longest;
}

static int64_t quiet_of(const struct incident_table *t)
{
	int64_t quiet = (int64_t)INCIDENT_QUIET * t->window_seconds;
	return quiet > INCIDENT_QUIET_SECONDS ? quiet : INCIDENT_QUIET_SECONDS;
}

static int quiet_since(const struct incident_table *t, const struct incident *inc, int64_t ws)
{
	return ws - inc->last > quiet_of(t);
}

/* Whether inc began more than a quiet spell after ws: the windows went back
 * in time (a replay of older traffic after a restart that kept the open
 * incidents), and it is of another timeline. */
static int of_another_timeline(const struct incident_table *t, const struct incident *inc,
			       int64_t ws)
{
	return inc->first - ws > quiet_of(t);
}

/* src's open incident at window_start, or NULL. */
static struct incident *open_of(struct incident_table *t, const char *src, int64_t window_start)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->open[i].src, src) == 0 && t->longest &&
		    !of_another_timeline(t, &t->open[i], window_start) &&
		    !quiet_since(t, &t->open[i], window_start) &&
		    window_start - t->open[i].first < (int64_t)t->longest)
			return &t->open[i];
	return NULL;
}

/* Whether sketch w reaches at least as many values that known lacks as
 * known holds: news is a doubling of what the incident reached (a first
 * peer beside the one it had; not the next hundred addresses of a sweep
 * that reached hundreds). */
static int reaches_new(const uint64_t *known, const uint64_t *w)
{
	int fresh = 0, had = 0;
	for (int i = 0; i < WINDOW_PEER_WORDS; i++) {
		fresh += __builtin_popcountll(w[i] & ~known[i]);
		had += __builtin_popcountll(known[i]);
	}
	return fresh > 0 && fresh >= had;
}

static int has_behaviour(const struct incident *inc, const char *behaviour)
{
	for (int i = 0; i < inc->n_behaviours; i++)
		if (strcmp(inc->behaviours[i], behaviour) == 0)
			return 1;
	return 0;
}

/* Whether one of the incident's behaviours is led by what leads behaviour
 * (its first family: "fan-out" of "fan-out+volume"): more of the same,
 * whatever explains it second. */
static int has_lead(const struct incident *inc, const char *behaviour)
{
	size_t n = strcspn(behaviour, "+");
	for (int i = 0; i < inc->n_behaviours; i++)
		if (strcspn(inc->behaviours[i], "+") == n &&
		    strncmp(inc->behaviours[i], behaviour, n) == 0)
			return 1;
	return 0;
}

/* A new incident of src: in a free place, or in the place of src's earlier
 * one (ended by its length or its quiet, not yet by incident_end_quiet). */
static struct incident *open_new(struct incident_table *t, const char *src, int64_t window_start)
{
	struct incident *inc = NULL;
	for (size_t i = 0; i < t->n && !inc; i++)
		if (strcmp(t->open[i].src, src) == 0)
			inc = &t->open[i];
	if (!inc) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 16;
			struct incident *o = realloc(t->open, cap * sizeof *o);
			if (!o)
				return NULL;
			t->open = o;
			t->cap = cap;
		}
		inc = &t->open[t->n++];
	}
	char start[ISOTIME_LEN];
	isotime_format(window_start, start);
	memset(inc, 0, sizeof *inc);
	snprintf(inc->src, sizeof inc->src, "%s", src);
	snprintf(inc->id, sizeof inc->id, "incident-%s-%s", start, src);
	inc->first = window_start;
	inc->window_seconds = t->window_seconds;
	return inc;
}

static void join(struct incident *inc, int64_t window_start, const char *behaviour, double score,
		 const uint64_t *peers, const uint64_t *services)
{
	if (!has_behaviour(inc, behaviour) && inc->n_behaviours < INCIDENT_MAX_BEHAVIOURS)
		snprintf(inc->behaviours[inc->n_behaviours++], INCIDENT_BEHAVIOUR_LEN, "%s",
			 behaviour);
	for (int i = 0; i < WINDOW_PEER_WORDS; i++) {
		inc->peers[i] |= peers[i];
		inc->services[i] |= services[i];
	}
	inc->max_score = score > inc->max_score ? score : inc->max_score;
	inc->last = window_start > inc->last ? window_start : inc->last;
}

int incident_note(struct incident_table *t, const char *src, int64_t window_start,
		  const char *behaviour, double score, const uint64_t *peers,
		  const uint64_t *services, const struct incident **out)
{
	struct incident *inc = open_of(t, src, window_start);
	int verdict = INCIDENT_GROWS;

	if (!inc) {
		if (!(inc = open_new(t, src, window_start)))
			return -1;
		verdict = INCIDENT_OPENS;
	} else if (has_lead(inc, behaviour) && score <= INCIDENT_ESCALATION * inc->max_score &&
		   !reaches_new(inc->peers, peers) && !reaches_new(inc->services, services)) {
		verdict = INCIDENT_REPEATS;
	}
	join(inc, window_start, behaviour, score, peers, services);
	if (verdict == INCIDENT_REPEATS) {
		inc->repeats++;
		inc->held_since++;
	} else {
		inc->alerts++;
		inc->held_before = inc->held_since;
		inc->held_since = 0;
	}
	if (out)
		*out = inc;
	return verdict;
}

size_t incident_end_quiet(struct incident_table *t, int64_t window_start, incident_ended_fn ended,
			  void *ctx)
{
	size_t gone = 0;
	for (size_t i = 0; i < t->n;) {
		int other = of_another_timeline(t, &t->open[i], window_start);
		if (other || quiet_since(t, &t->open[i], window_start)) {
			if (ended && !other)
				ended(ctx, &t->open[i]);
			t->open[i] = t->open[--t->n];
			gone += !other;
		} else {
			i++;
		}
	}
	return gone;
}

/* --- the open incidents kept across a restart --------------------------------------------------
 * MAGIC, u32 version, u32 sizeof(struct incident), u32 window seconds, u32 count, the incidents,
 * u32 CRC-32 of everything before it. */

static const char INCIDENTS_MAGIC[8] = "FSADINC";
#define INCIDENTS_VERSION 1
#define INCIDENTS_HEADER  (8 + 4 + 4 + 4 + 4)

int incident_table_encode(const struct incident_table *t, uint8_t **out, size_t *len)
{
	size_t size = INCIDENTS_HEADER + t->n * sizeof(struct incident) + 4;
	uint8_t *buf = calloc(1, size);
	uint32_t head[4] = { INCIDENTS_VERSION, sizeof(struct incident), t->window_seconds,
			     (uint32_t)t->n };
	if (!buf)
		return -ENOMEM;
	memcpy(buf, INCIDENTS_MAGIC, 8);
	memcpy(buf + 8, head, sizeof head);
	if (t->n)
		memcpy(buf + INCIDENTS_HEADER, t->open, t->n * sizeof(struct incident));
	uint32_t crc = crc32_ieee(buf, size - 4);
	memcpy(buf + size - 4, &crc, 4);
	*out = buf;
	*len = size;
	return 0;
}

static int terminated(const char *s, size_t n)
{
	return memchr(s, 0, n) != NULL;
}

/* Window starts a file may hold: far beyond any capture's, near enough to
 * zero that the differences of two never overflow. */
#define INCIDENT_TIME_BOUND ((int64_t)1 << 40)

/* Whether inc, read from a file, is one incident_note could have made. */
static int incident_is_sane(const struct incident *inc, uint32_t window_seconds)
{
	if (!terminated(inc->id, sizeof inc->id) || !terminated(inc->src, sizeof inc->src) ||
	    inc->window_seconds != window_seconds || inc->first > inc->last ||
	    inc->first < -INCIDENT_TIME_BOUND || inc->last > INCIDENT_TIME_BOUND ||
	    inc->n_behaviours < 0 || inc->n_behaviours > INCIDENT_MAX_BEHAVIOURS ||
	    !isfinite(inc->max_score))
		return 0;
	for (int i = 0; i < inc->n_behaviours; i++)
		if (!terminated(inc->behaviours[i], INCIDENT_BEHAVIOUR_LEN))
			return 0;
	return 1;
}

int incident_table_decode(struct incident_table *t, const uint8_t *buf, size_t len, char *err,
			  size_t errlen)
{
	uint32_t head[4], crc;
	if (len < INCIDENTS_HEADER + 4 || memcmp(buf, INCIDENTS_MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a flowsad incidents file");
		return -EINVAL;
	}
	memcpy(head, buf + 8, sizeof head);
	if (head[0] != INCIDENTS_VERSION || head[1] != sizeof(struct incident)) {
		snprintf(err, errlen, "incidents format %u (%u-byte incidents), expected %u (%zu)",
			 head[0], head[1], INCIDENTS_VERSION, sizeof(struct incident));
		return -EINVAL;
	}
	if (head[2] != t->window_seconds) {
		snprintf(err, errlen, "incidents of %u-second windows, the model's are %u", head[2],
			 t->window_seconds);
		return -EINVAL;
	}
	if (head[3] > (len - INCIDENTS_HEADER - 4) / sizeof(struct incident) ||
	    len != INCIDENTS_HEADER + head[3] * sizeof(struct incident) + 4) {
		snprintf(err, errlen, "the file's length does not match its %u incidents", head[3]);
		return -EINVAL;
	}
	memcpy(&crc, buf + len - 4, 4);
	if (crc != crc32_ieee(buf, len - 4)) {
		snprintf(err, errlen, "checksum mismatch: the file is damaged");
		return -EINVAL;
	}
	struct incident *open = head[3] ? malloc(head[3] * sizeof *open) : NULL;
	if (head[3] && !open) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (head[3])
		memcpy(open, buf + INCIDENTS_HEADER, head[3] * sizeof *open);
	for (uint32_t i = 0; i < head[3]; i++)
		if (!incident_is_sane(&open[i], t->window_seconds)) {
			snprintf(err, errlen, "incident %u: not one this version makes", i);
			free(open);
			return -EINVAL;
		}
	free(t->open);
	t->open = open;
	t->n = t->cap = head[3];
	return 0;
}
