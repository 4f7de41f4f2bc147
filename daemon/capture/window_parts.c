#include "capture/window_parts.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "common/log.h"

/* A window some part has handed over, waiting for the others. */
struct waiting {
	int64_t start;
	struct sample_set *set; /* [n_parts]; empty where a part counted nothing */
};

struct window_parts {
	struct ev_loop *loop;
	ev_async ready_w;
	int n_parts;
	uint32_t length, lateness;
	window_ready_fn fn;
	void *ctx;
	pthread_mutex_t lock; /* the fields below */
	int64_t *mark;        /* [n_parts] */
	struct waiting *w;    /* by start */
	size_t n, cap;
	uint64_t windows;
	struct merge_stats merged;
};

static void on_ready(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop, (void)revents;
	window_parts_deliver(w->data);
}

struct window_parts *window_parts_new(struct ev_loop *loop, int n_parts, uint32_t window_seconds,
				      uint32_t lateness, window_ready_fn fn, void *ctx)
{
	struct window_parts *p = calloc(1, sizeof *p);
	if (!p || !(p->mark = calloc((size_t)n_parts, sizeof *p->mark))) {
		free(p);
		return NULL;
	}
	for (int i = 0; i < n_parts; i++)
		p->mark[i] = INT64_MIN;
	p->loop = loop;
	p->n_parts = n_parts;
	p->length = window_seconds;
	p->lateness = lateness;
	p->fn = fn;
	p->ctx = ctx;
	pthread_mutex_init(&p->lock, NULL);
	ev_async_init(&p->ready_w, on_ready);
	p->ready_w.data = p;
	ev_async_start(loop, &p->ready_w);
	return p;
}

/* The waiting window at start, made when new (NULL without memory). Under
 * the lock. */
static struct waiting *waiting_at(struct window_parts *p, int64_t start)
{
	size_t i = 0;
	while (i < p->n && p->w[i].start < start)
		i++;
	if (i < p->n && p->w[i].start == start)
		return &p->w[i];
	struct sample_set *sets = calloc((size_t)p->n_parts, sizeof *sets);
	if (!sets || grow_for_one(&p->w, &p->cap, p->n, sizeof *p->w, 8) < 0) {
		free(sets);
		return NULL;
	}
	memmove(&p->w[i + 1], &p->w[i], (p->n - i) * sizeof *p->w);
	p->w[i] = (struct waiting){ start, sets };
	p->n++;
	return &p->w[i];
}

static int whole(const struct window_parts *p, int64_t start)
{
	int64_t closes = start + (int64_t)p->length + (int64_t)p->lateness;
	for (int i = 0; i < p->n_parts; i++)
		if (p->mark[i] < closes)
			return 0;
	return 1;
}

void window_parts_add(struct window_parts *p, int i, int64_t start, struct sample_set *set)
{
	pthread_mutex_lock(&p->lock);
	struct waiting *w = waiting_at(p, start);
	if (w)
		w->set[i] = *set;
	pthread_mutex_unlock(&p->lock);
	if (!w) {
		log_err("out of memory: a part of %zu samples of a window was lost", set->n);
		sample_set_free(set);
	}
	memset(set, 0, sizeof *set);
}

void window_parts_mark(struct window_parts *p, int i, int64_t until)
{
	pthread_mutex_lock(&p->lock);
	if (until > p->mark[i]) /* a part's clock only goes forward */
		p->mark[i] = until;
	int ready = p->n > 0 && whole(p, p->w[0].start);
	pthread_mutex_unlock(&p->lock);
	if (ready)
		ev_async_send(p->loop, &p->ready_w);
}

/* Merges the parts of w into one set (a part alone is taken as it is). */
static void merge_parts(struct window_parts *p, struct waiting *w, struct sample_set *out)
{
	struct merge_stats st = { 0 };
	if (sample_set_merge(w->set, p->n_parts, out, &st) < 0) {
		size_t lost = 0;
		for (int i = 0; i < p->n_parts; i++) {
			lost += w->set[i].n;
			sample_set_free(&w->set[i]);
		}
		log_err("out of memory: the %zu samples of a window were lost in merging", lost);
	}
	pthread_mutex_lock(&p->lock);
	p->windows++;
	p->merged.joined += st.joined;
	p->merged.answers += st.answers;
	p->merged.answers_unmatched += st.answers_unmatched;
	pthread_mutex_unlock(&p->lock);
	free(w->set);
}

/* Takes the oldest waiting window if it is whole (or if all are to go). */
static int take_oldest(struct window_parts *p, int all, struct waiting *out)
{
	pthread_mutex_lock(&p->lock);
	int taken = p->n > 0 && (all || whole(p, p->w[0].start));
	if (taken) {
		*out = p->w[0];
		memmove(&p->w[0], &p->w[1], --p->n * sizeof *p->w);
	}
	pthread_mutex_unlock(&p->lock);
	return taken;
}

static void deliver(struct window_parts *p, int all)
{
	struct waiting w;
	while (take_oldest(p, all, &w)) {
		struct sample_set merged;
		merge_parts(p, &w, &merged);
		p->fn(p->ctx, w.start, &merged);
	}
}

int64_t window_parts_closed_until(struct window_parts *p)
{
	pthread_mutex_lock(&p->lock);
	int64_t until = INT64_MAX;
	for (int i = 0; i < p->n_parts; i++)
		if (p->mark[i] < until)
			until = p->mark[i];
	pthread_mutex_unlock(&p->lock);
	return until;
}

void window_parts_deliver(struct window_parts *p)
{
	deliver(p, 0);
}

void window_parts_free(struct window_parts *p)
{
	if (!p)
		return;
	deliver(p, 1);
	ev_async_stop(p->loop, &p->ready_w);
	pthread_mutex_destroy(&p->lock);
	free(p->mark);
	free(p->w);
	free(p);
}

void window_parts_stats(struct window_parts *p, uint64_t *windows, struct merge_stats *st)
{
	pthread_mutex_lock(&p->lock);
	*windows = p->windows;
	*st = p->merged;
	pthread_mutex_unlock(&p->lock);
}
