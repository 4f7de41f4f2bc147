/* A sensor's windows to the partition streams (part_publisher.h). */
#include "fleet/part_publisher.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/duration.h"
#include "base/isotime.h"
#include "features/part_wire.h"
#include "common/log.h"
#include "common/queue.h"
#include "redis/redis_sync.h"

#define RETRY_FIRST 0.2 /* seconds before sending again, doubling */
#define RETRY_MAX   5.0
#define PUSH_SLICE  0.2 /* seconds a full queue is waited on between looks at a stop */

/* A closed window on its way to the publishing thread (through windows). */
struct queued {
	struct queue_link link;
	int64_t start;
	struct sample_set set;
};

struct part_publisher {
	struct part_publisher_config c;
	char *prefix, *name;
	pthread_t thread;
	struct queue *windows;   /* PUBLISH_QUEUE at most, the one being sent among them */
	pthread_mutex_t lock;    /* the fields below */
	uint64_t queued;	 /* windows queued in all */
	int64_t frontier;	 /* closed_before as the loop said it */
	uint64_t frontier_after; /* ... once this many windows are sent */
	int stopping;
	double drain_until; /* stopping: give up sending after this (monotonic) */
	struct part_publisher_stats st;
	/* the thread's */
	struct redis_sync *redis;
	struct part_buf *bufs;
	uint32_t sent_parts; /* of the window being sent */
	uint64_t sent;	     /* windows sent (or given up) */
	int64_t said_before; /* the frontier said last */
};

/* The sensor's line in PREFIX:sensors. Returns 0 or -1. */
static int say_state(struct part_publisher *p, const char *state)
{
	char key[512], value[96];
	snprintf(key, sizeof key, "%s:sensors", p->prefix);
	snprintf(value, sizeof value, "%s %" PRId64 " %lld", state, p->said_before,
		 duration_wall_ms());
	redisReply *a = redis_sync_format(p->redis, key, "HSET %s %s %s", key, p->name, value);
	int ok = a && a->type != REDIS_REPLY_ERROR;
	freeReplyObject(a);
	return ok ? 0 : -1;
}

/* The partitions of window w not sent yet. Returns 0 when all are, -1
 * when Redis did not take one (the next try starts there). */
static int send_parts(struct part_publisher *p, const struct queued *w)
{
	char key[512], window[24];
	snprintf(window, sizeof window, "%" PRId64, w->start);
	for (; p->sent_parts < p->c.n_parts; p->sent_parts++) {
		const struct part_buf *b = &p->bufs[p->sent_parts];
		snprintf(key, sizeof key, "%s:%u", p->prefix, p->sent_parts);
		const char *argv[] = { "XADD",	 key,	  "*",
				       "sensor", p->name, "window",
				       window,	 "data",  (const char *)b->data };
		size_t len[] = {
			4, strlen(key), 1, 6, strlen(p->name), 6, strlen(window), 4, b->len
		};
		redisReply *a = redis_sync_command(p->redis, key, 9, argv, len);
		int ok = a && a->type == REDIS_REPLY_STRING;
		/* not acknowledged by a replica in time: kept, the master has it */
		int unreplicated = ok && redis_sync_replicated(p->redis, key, p->c.timeout_ms) == 0;
		if (a && !ok)
			log_warn("sensor: %s: %s", key,
				 a->type == REDIS_REPLY_ERROR ? a->str : "?");
		freeReplyObject(a);
		if (!ok)
			return -1;
		pthread_mutex_lock(&p->lock);
		p->st.entries++;
		p->st.bytes += b->len;
		p->st.unreplicated += (uint64_t)unreplicated;
		pthread_mutex_unlock(&p->lock);
	}
	return 0;
}

/* Window w encoded and sent, again and again until Redis takes it or the
 * drain time is over. Returns 0, or -1 when given up. */
static int send_window(struct part_publisher *p, const struct queued *w)
{
	double t0 = duration_monotonic(), wait = RETRY_FIRST;
	char when[ISOTIME_LEN];
	if (part_wire_encode(&w->set, w->start, p->c.window_seconds, p->c.n_parts, p->bufs) < 0) {
		log_err("sensor: window %s: out of memory to encode %zu samples",
			isotime_format(w->start, when), w->set.n);
		return -1;
	}
	p->sent_parts = 0;
	while (send_parts(p, w) < 0) {
		pthread_mutex_lock(&p->lock);
		p->st.failures++;
		int give_up = p->stopping && duration_monotonic() + wait > p->drain_until;
		pthread_mutex_unlock(&p->lock);
		if (give_up) {
			log_err("sensor: window %s not sent by the stop's deadline (%zu samples, "
				"%u of %u partitions sent): Redis did not take the others in time",
				isotime_format(w->start, when), w->set.n, p->sent_parts,
				p->c.n_parts);
			return -1;
		}
		struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
		nanosleep(&ts, NULL);
		wait = wait * 2 < RETRY_MAX ? wait * 2 : RETRY_MAX;
	}
	double secs = duration_monotonic() - t0;
	pthread_mutex_lock(&p->lock);
	p->st.windows++;
	p->st.samples += w->set.n;
	p->st.last_seconds = secs;
	if (secs > p->st.max_seconds)
		p->st.max_seconds = secs;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* The frontier to say now: what the loop said, once the windows queued
 * before it are sent, and past every window sent. */
static void advance_frontier(struct part_publisher *p, int64_t sent_start)
{
	if (sent_start != INT64_MIN && sent_start + 1 > p->said_before)
		p->said_before = sent_start + 1;
	if (p->sent >= p->frontier_after && p->frontier > p->said_before)
		p->said_before = p->frontier;
}

/* Sends the windows as they come, and says the sensor is live (with its
 * frontier) at each window and at least once a second; at the stop (the
 * queue closed) the windows still queued are sent first. */
static void *publishing(void *arg)
{
	struct part_publisher *p = arg;
	double next_beat = 0;
	for (;;) {
		struct queue_link *l = queue_pop_wait(p->windows, next_beat - duration_monotonic());
		if (!l && queue_closed(p->windows))
			break;
		int64_t sent_start = INT64_MIN;
		if (l) {
			struct queued *w = queue_item(l, struct queued, link);
			int rc = send_window(p, w);
			sent_start = rc == 0 ? w->start : INT64_MIN;
			sample_set_free(&w->set);
			free(w);
		}
		pthread_mutex_lock(&p->lock);
		if (l)
			p->sent++;
		advance_frontier(p, sent_start);
		pthread_mutex_unlock(&p->lock);
		if (say_state(p, "live") == 0 || sent_start == INT64_MIN)
			next_beat = duration_monotonic() + 1;
	}
	p->said_before = INT64_MAX; /* nothing more comes from here */
	if (say_state(p, "done") < 0)
		log_warn("sensor: could not tell the scorers this sensor is done: they wait for "
			 "it until [role] deadline");
	return NULL;
}

static void free_publisher(struct part_publisher *p)
{
	for (uint32_t k = 0; p->bufs && k < p->c.n_parts; k++)
		part_buf_free(&p->bufs[k]);
	free(p->bufs);
	queue_free(p->windows);
	redis_sync_free(p->redis);
	free(p->prefix);
	free(p->name);
	free(p);
}

struct part_publisher *part_publisher_start(const struct part_publisher_config *c)
{
	struct part_publisher *p = calloc(1, sizeof *p);
	if (!p || !(p->bufs = calloc(c->n_parts, sizeof *p->bufs)) ||
	    !(p->prefix = strdup(c->prefix)) || !(p->name = strdup(c->name))) {
		log_err("sensor: out of memory");
		if (p)
			free_publisher(p);
		return NULL;
	}
	/* the window being sent counts in the bound: it is no longer queued */
	if (!(p->windows = queue_new(PUBLISH_QUEUE - 1))) {
		log_err("sensor: out of memory");
		free_publisher(p);
		return NULL;
	}
	p->c = *c;
	p->said_before = INT64_MIN;
	p->frontier = INT64_MIN;
	if (!(p->redis = redis_sync_new(c->address, c->password_file, c->timeout_ms, "sensor"))) {
		free_publisher(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	int rc = pthread_create(&p->thread, NULL, publishing, p);
	if (rc != 0) {
		log_err("sensor: cannot start the publishing thread: %s", strerror(rc));
		free_publisher(p);
		return NULL;
	}
	pthread_setname_np(p->thread, "flowsad-publish");
	return p;
}

void part_publisher_window(struct part_publisher *p, int64_t start, struct sample_set *set)
{
	char when[ISOTIME_LEN];
	struct queued *w = malloc(sizeof *w);
	if (!w) {
		log_err("sensor: window %s not sent (%zu samples): out of memory",
			isotime_format(start, when), set->n);
		sample_set_free(set);
		return;
	}
	*w = (struct queued){ .start = start, .set = *set };
	memset(set, 0, sizeof *set);
	pthread_mutex_lock(&p->lock);
	p->queued++; /* before the thread can have sent it */
	pthread_mutex_unlock(&p->lock);
	/* (never closed before part_publisher_stop, on this same thread) */
	int rc, waited = 0;
	while ((rc = queue_push_wait(p->windows, &w->link, PUSH_SLICE)) == -ETIMEDOUT &&
	       !(p->c.stop_asked && *p->c.stop_asked))
		waited = 1;
	pthread_mutex_lock(&p->lock);
	p->st.waits += rc == 1 || waited;
	p->queued -= rc == -ETIMEDOUT;
	pthread_mutex_unlock(&p->lock);
	if (rc == -ETIMEDOUT) {
		log_err("sensor: window %s not sent (%zu samples): asked to stop while Redis "
			"takes no windows",
			isotime_format(start, when), w->set.n);
		sample_set_free(&w->set);
		free(w);
	}
}

void part_publisher_closed_before(struct part_publisher *p, int64_t t)
{
	pthread_mutex_lock(&p->lock);
	if (t > p->frontier) {
		p->frontier = t;
		p->frontier_after = p->queued;
	}
	pthread_mutex_unlock(&p->lock);
}

void part_publisher_stats(struct part_publisher *p, struct part_publisher_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	pthread_mutex_unlock(&p->lock);
}

void part_publisher_stop(struct part_publisher *p, double drain_seconds)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	p->drain_until = duration_monotonic() + drain_seconds;
	pthread_mutex_unlock(&p->lock);
	redis_sync_stop_by(p->redis, p->drain_until); /* a command under way ends by then */
	queue_close(p->windows); /* what is queued is sent, then the thread ends */
	pthread_join(p->thread, NULL);
	if (p->st.unreplicated)
		log_warn("sensor: %" PRIu64 " entries no replica acknowledged in time (kept by "
			 "their masters alone)",
			 p->st.unreplicated);
	log_info("sensor: %" PRIu64 " windows sent (%" PRIu64 " samples, %" PRIu64 " entries, "
		 "%.1f MiB; the slowest window in %.3f s)",
		 p->st.windows, p->st.samples, p->st.entries, (double)p->st.bytes / (1 << 20),
		 p->st.max_seconds);
	pthread_mutex_destroy(&p->lock);
	free_publisher(p);
}
