#include "capture/capture_workers.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "capture/fanout.h"
#include "common/log.h"

#define WORKER_STEP 4096   /* frames read from a handle before looking at the others */
#define POLL_MS 250        /* a quiet worker still closes its windows each second */
#define FANOUT_TRIES 64    /* group ids tried: another program may hold one */
#define MIN_SHARE (4u << 20) /* the least kernel buffer a worker's handle gets */

struct worker {
	struct capture_workers *all;
	int index;
	pthread_t thread;
	struct capture *cap[CONFIG_MAX_LIST]; /* NULL once failed */
	struct decode_tally tally;            /* what its handles decoded */
	struct window_table *table;           /* while running */
	/* published once a second, under all->lock */
	struct decode_tally tally_seen;
	struct window_stats stats_seen;
	uint64_t received[CONFIG_MAX_LIST], dropped[CONFIG_MAX_LIST];
	int open_handles;
};

struct capture_workers {
	int n, n_ifaces, running;
	/* an eventfd, written to stop the workers; not common/queue: a worker
	 * sleeps in poll on its capture handles, where only a descriptor wakes it */
	int wake;
	atomic_int stopping;
	pthread_mutex_t lock;
	struct window_parts *parts;
	struct worker w[];
};

/* Joins the handles of interface i to one fanout group: the first id free
 * for all of them. */
static int join_group(struct capture_workers *cw, int i, const char *iface)
{
	int base = (int)((unsigned)getpid() * 31u) & 0xffff, rc = -EINVAL;
	for (int t = 0; t < FANOUT_TRIES; t++) {
		int id = (base + t * CONFIG_MAX_LIST + i) & 0xffff;
		if ((rc = fanout_join(capture_fd(cw->w[0].cap[i]), id)) == -EINVAL || rc == -EEXIST)
			continue;
		for (int k = 1; k < cw->n && rc == 0; k++)
			rc = fanout_join(capture_fd(cw->w[k].cap[i]), id);
		break;
	}
	if (rc < 0)
		log_err("%s: cannot spread the capture over %d workers (PACKET_FANOUT): %s", iface,
			cw->n, strerror(-rc));
	return rc < 0 ? EX_OSERR : EX_OK;
}

struct capture_workers *capture_workers_open(char *const *ifaces, int n_ifaces, int n_workers,
					     const struct capture_options *o, int *rc)
{
	struct capture_workers *cw = calloc(1, sizeof *cw + (size_t)n_workers * sizeof cw->w[0]);
	*rc = EX_OSERR;
	if (!cw)
		return NULL;
	cw->n = n_workers;
	cw->n_ifaces = n_ifaces;
	pthread_mutex_init(&cw->lock, NULL);
	if ((cw->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		log_err("eventfd: %s", strerror(errno));
		capture_workers_close(cw);
		return NULL;
	}
	/* an interface's buffer is shared: each worker takes its share of the
	 * traffic, and of the memory (the rings are mapped into the process) */
	struct capture_options share = *o;
	share.buffer = o->buffer / (uint64_t)n_workers > MIN_SHARE ? o->buffer / (uint64_t)n_workers
								  : MIN_SHARE;
	*rc = EX_OK;
	for (int i = 0; i < n_ifaces && *rc == EX_OK; i++) {
		for (int k = 0; k < n_workers && *rc == EX_OK; k++) {
			cw->w[k].all = cw;
			cw->w[k].index = k;
			cw->w[k].cap[i] = capture_open_live(ifaces[i], &share, &cw->w[k].tally, rc);
			cw->w[k].open_handles += cw->w[k].cap[i] != NULL;
		}
		if (*rc == EX_OK && (*rc = join_group(cw, i, ifaces[i])) == EX_OK)
			log_info("capturing on %s with %d workers", ifaces[i], n_workers);
	}
	if (*rc != EX_OK) {
		capture_workers_close(cw);
		return NULL;
	}
	return cw;
}

void capture_workers_close(struct capture_workers *cw)
{
	if (!cw)
		return;
	capture_workers_stop(cw);
	for (int k = 0; k < cw->n; k++)
		for (int i = 0; i < cw->n_ifaces; i++)
			capture_close(cw->w[k].cap[i]);
	if (cw->wake > 0)
		close(cw->wake);
	pthread_mutex_destroy(&cw->lock);
	free(cw);
}

/* The worker's counts where the loop can read them. */
static void publish(struct worker *k)
{
	struct capture_workers *cw = k->all;
	uint64_t received[CONFIG_MAX_LIST], dropped[CONFIG_MAX_LIST];
	int open = 0;
	for (int i = 0; i < cw->n_ifaces; i++)
		if (k->cap[i]) {
			capture_counts(k->cap[i], &received[i], &dropped[i]);
			open++;
		}
	pthread_mutex_lock(&cw->lock);
	k->tally_seen = k->tally;
	if (k->table)
		k->stats_seen = *window_table_stats(k->table);
	for (int i = 0; i < cw->n_ifaces; i++)
		if (k->cap[i]) {
			k->received[i] = received[i];
			k->dropped[i] = dropped[i];
		}
	k->open_handles = open;
	pthread_mutex_unlock(&cw->lock);
}

static int to_parts(void *ctx, int64_t start, struct sample_set *set)
{
	struct worker *k = ctx;
	window_parts_add(k->all->parts, k->index, start, set);
	return 0;
}

/* Reads what each handle has waiting; a handle that fails is closed (the
 * error logged by the capture). */
static void read_handles(struct worker *k)
{
	for (int i = 0; i < k->all->n_ifaces; i++)
		if (k->cap[i] &&
		    capture_step(k->cap[i], WORKER_STEP, k->table, NULL, NULL, NULL) < 0) {
			log_err("worker %d: a capture closed after the error above", k->index);
			publish(k); /* its last counts */
			pthread_mutex_lock(&k->all->lock);
			capture_close(k->cap[i]);
			k->cap[i] = NULL;
			pthread_mutex_unlock(&k->all->lock);
		}
}

static void *work(void *arg)
{
	struct worker *k = arg;
	struct capture_workers *cw = k->all;
	struct pollfd fds[CONFIG_MAX_LIST + 1];
	time_t marked = 0;
	char name[16];

	snprintf(name, sizeof name, "flowsad-cap%d", k->index);
	pthread_setname_np(pthread_self(), name);
	while (!atomic_load(&cw->stopping)) {
		int n = 0;
		for (int i = 0; i < cw->n_ifaces; i++)
			if (k->cap[i])
				fds[n++] = (struct pollfd){ .fd = capture_fd(k->cap[i]),
							    .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = cw->wake, .events = POLLIN };
		if (poll(fds, (nfds_t)n, POLL_MS) < 0 && errno != EINTR)
			log_err("worker %d: poll: %s", k->index, strerror(errno));
		read_handles(k);
		time_t now = time(NULL);
		if (now != marked) { /* windows close by the wall clock too */
			window_table_advance(k->table, (int64_t)now, NULL, NULL);
			publish(k);
			window_parts_mark(cw->parts, k->index, (int64_t)now);
			marked = now;
		}
	}
	return NULL;
}

int capture_workers_start(struct capture_workers *cw, const struct worker_tables *t,
			  struct window_parts *parts)
{
	uint64_t drained;
	if (read(cw->wake, &drained, sizeof drained) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
	atomic_store(&cw->stopping, 0);
	cw->parts = parts;
	for (int k = 0; k < cw->n; k++) {
		struct worker *w = &cw->w[k];
		if (!(w->table = window_table_new(t->window_seconds, t->lateness, t->max_samples,
						  t->loc)))
			return EX_OSERR;
		window_table_set_filter(w->table, t->filter);
		window_table_set_home(w->table, t->home);
		window_table_set_partial(w->table);
		if (t->keep_distinct)
			window_table_keep_distinct(w->table);
		window_table_hand_over(w->table, to_parts, w);
	}
	for (int k = 0; k < cw->n; k++) {
		int err = pthread_create(&cw->w[k].thread, NULL, work, &cw->w[k]);
		if (err) {
			log_err("cannot start capture worker %d: %s", k, strerror(err));
			cw->n = k; /* the ones started are stopped; the others never read */
			cw->running = 1;
			return EX_OSERR;
		}
	}
	cw->running = 1;
	return EX_OK;
}

void capture_workers_stop(struct capture_workers *cw)
{
	uint64_t one = 1;
	if (!cw || !cw->running)
		return;
	atomic_store(&cw->stopping, 1);
	if (write(cw->wake, &one, sizeof one) < 0)
		log_warn("eventfd: %s", strerror(errno));
	for (int k = 0; k < cw->n; k++)
		pthread_join(cw->w[k].thread, NULL);
	for (int k = 0; k < cw->n; k++) {
		struct worker *w = &cw->w[k];
		window_table_flush(w->table, NULL, NULL);
		publish(w);
		window_parts_mark(cw->parts, k, INT64_MAX);
		window_table_free(w->table);
		w->table = NULL;
	}
	cw->running = 0;
}

int capture_workers_count(const struct capture_workers *cw)
{
	return cw->n;
}

int capture_workers_open_handles(struct capture_workers *cw)
{
	int open = 0;
	pthread_mutex_lock(&cw->lock);
	for (int k = 0; k < cw->n; k++)
		open += cw->w[k].open_handles;
	pthread_mutex_unlock(&cw->lock);
	return open;
}

void capture_workers_packets(struct capture_workers *cw, int iface, uint64_t *received,
			     uint64_t *dropped)
{
	*received = *dropped = 0;
	pthread_mutex_lock(&cw->lock);
	for (int k = 0; k < cw->n; k++) {
		*received += cw->w[k].received[iface];
		*dropped += cw->w[k].dropped[iface];
	}
	pthread_mutex_unlock(&cw->lock);
}

void capture_workers_tally(struct capture_workers *cw, struct decode_tally *sum)
{
	pthread_mutex_lock(&cw->lock);
	for (int k = 0; k < cw->n; k++)
		decode_tally_merge(sum, &cw->w[k].tally_seen);
	pthread_mutex_unlock(&cw->lock);
}

void capture_workers_window_stats(struct capture_workers *cw, struct window_stats *sum)
{
	pthread_mutex_lock(&cw->lock);
	for (int k = 0; k < cw->n; k++) {
		const struct window_stats *s = &cw->w[k].stats_seen;
		sum->packets += s->packets;
		sum->late += s->late;
		sum->split += s->split;
		sum->evicted += s->evicted;
		sum->filtered += s->filtered;
		sum->samples += s->samples;
		sum->refused += s->refused;
		sum->bytes += s->bytes;
		sum->peak_bytes += s->peak_bytes;
	}
	pthread_mutex_unlock(&cw->lock);
}

uint64_t capture_workers_frames(struct capture_workers *cw, int i)
{
	pthread_mutex_lock(&cw->lock);
	uint64_t frames = cw->w[i].tally_seen.frames;
	pthread_mutex_unlock(&cw->lock);
	return frames;
}
