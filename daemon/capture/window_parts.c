#include "capture/window_parts.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "common/log.h"
#include "common/queue.h"

/* What a part hands over, through the queue: a window it closed, or how
 * far its clock went. One queue for both keeps a part's order: a window is
 * taken in before the mark that says it is closed there. */
struct handed {
	struct queue_link link;
	int part;
	int is_mark;
	int64_t start;          /* a window's */
	struct sample_set set;  /* a window's, taken over */
	int64_t until;          /* a mark's */
};

/* A window some part has handed over, waiting for the others. */
struct waiting {
	int64_t start;
	struct sample_set *set; /* [n_parts]; empty where a part counted nothing */
};

struct window_parts {
	struct ev_loop *loop;
	ev_async handed_w;
	struct queue *handed; /* from the parts to the loop, waking it */
	int n_parts;
	uint32_t length, lateness;
	window_ready_fn fn;
	void *ctx;
	/* the loop's alone */
	int64_t *mark;     /* [n_parts] */
	struct waiting *w; /* by start */
	size_t n, cap;
	uint64_t windows;
	struct merge_stats merged;
};

static void on_handed(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop, (void)revents;
	window_parts_deliver(w->data);
}

struct window_parts *window_parts_new(struct ev_loop *loop, int n_parts, uint32_t window_seconds,
				      uint32_t lateness, window_ready_fn fn, void *ctx)
{
	struct window_parts *p = calloc(1, sizeof *p);
	if (!p || !(p->mark = calloc((size_t)n_parts, sizeof *p->mark)) ||
	    !(p->handed = queue_new(0))) {
		if (p)
			free(p->mark);
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
	ev_async_init(&p->handed_w, on_handed);
	p->handed_w.data = p;
	ev_async_start(loop, &p->handed_w);
	queue_wake(p->handed, loop, &p->handed_w);
	return p;
}

/* The waiting window at start, made when new (NULL without memory). */
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

/* A part's window into the one waiting at its start. */
static void take_window(struct window_parts *p, struct handed *h)
{
	struct waiting *w = waiting_at(p, h->start);
	if (w) {
		w->set[h->part] = h->set;
		return;
	}
	log_err("out of memory: a part of %zu samples of a window was lost", h->set.n);
	sample_set_free(&h->set);
}

/* Everything the parts have handed over so far, taken into the waiting
 * windows and the marks. */
static void take_handed(struct window_parts *p)
{
	struct queue_link *l;
	while ((l = queue_try_pop(p->handed))) {
		struct handed *h = queue_item(l, struct handed, link);
		if (!h->is_mark)
			take_window(p, h);
		else if (h->until > p->mark[h->part]) /* a part's clock only goes forward */
			p->mark[h->part] = h->until;
		free(h);
	}
}

static int whole(const struct window_parts *p, int64_t start)
{
	int64_t closes = start + (int64_t)p->length + (int64_t)p->lateness;
	for (int i = 0; i < p->n_parts; i++)
		if (p->mark[i] < closes)
			return 0;
	return 1;
}

/* Part i's item to the loop; NULL without memory (logged: what was lost). */
static struct handed *new_handed(int i, const char *what)
{
	struct handed *h = calloc(1, sizeof *h);
	if (h)
		h->part = i;
	else
		log_err("out of memory: %s of part %d was lost", what, i);
	return h;
}

/* h to the loop; uncounted, as a part never waits for the loop. */
static void hand_over(struct window_parts *p, struct handed *h)
{
	if (queue_push(p->handed, &h->link, 0) < 0) { /* (never closed) */
		sample_set_free(&h->set);
		free(h);
	}
}

void window_parts_add(struct window_parts *p, int i, int64_t start, struct sample_set *set)
{
	struct handed *h = new_handed(i, "a window");
	if (!h) {
		sample_set_free(set);
		return;
	}
	h->start = start;
	h->set = *set;
	memset(set, 0, sizeof *set);
	hand_over(p, h);
}

void window_parts_mark(struct window_parts *p, int i, int64_t until)
{
	struct handed *h = new_handed(i, "how far the clock went");
	if (!h)
		return;
	h->is_mark = 1;
	h->until = until;
	hand_over(p, h);
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
	p->windows++;
	p->merged.joined += st.joined;
	p->merged.answers += st.answers;
	p->merged.answers_unmatched += st.answers_unmatched;
	free(w->set);
}

/* Takes the oldest waiting window if it is whole (or if all are to go). */
static int take_oldest(struct window_parts *p, int all, struct waiting *out)
{
	if (p->n == 0 || !(all || whole(p, p->w[0].start)))
		return 0;
	*out = p->w[0];
	memmove(&p->w[0], &p->w[1], --p->n * sizeof *p->w);
	return 1;
}

static void deliver(struct window_parts *p, int all)
{
	struct waiting w;
	take_handed(p);
	while (take_oldest(p, all, &w)) {
		struct sample_set merged;
		merge_parts(p, &w, &merged);
		p->fn(p->ctx, w.start, &merged);
	}
}

int64_t window_parts_closed_until(struct window_parts *p)
{
	take_handed(p);
	int64_t until = INT64_MAX;
	for (int i = 0; i < p->n_parts; i++)
		if (p->mark[i] < until)
			until = p->mark[i];
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
	ev_async_stop(p->loop, &p->handed_w);
	queue_free(p->handed);
	free(p->mark);
	free(p->w);
	free(p);
}

void window_parts_stats(struct window_parts *p, uint64_t *windows, struct merge_stats *st)
{
	*windows = p->windows;
	*st = p->merged;
}
