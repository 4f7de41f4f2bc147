#include "windows/score_thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/queue.h"
#include "alerting/incident.h"
#include "base/atomic_file.h"
#include "base/grow.h"

#define BASELINE_SAVE_SECONDS 300

enum job_kind {
	JOB_WINDOW, JOB_MODEL, JOB_SETTINGS, JOB_COUNTS, JOB_EXPIRE, JOB_SHARE, JOB_MEMORY, JOB_STOP
};

struct job {
	struct queue_link link;
	enum job_kind kind;
	int64_t start;                  /* WINDOW: its start; EXPIRE: now */
	size_t samples;
	struct sample_set set;          /* WINDOW: moved in */
	struct model *model;            /* MODEL: taken over */
	struct scorer_settings settings;/* MODEL, SETTINGS (observer copied below) */
	char observer[256];
	uint64_t records, windows;      /* COUNTS */
	memory_shared_fn share;         /* SHARE */
	void *share_ctx;
	struct memory_batch *memory;    /* MEMORY: taken over */
};

struct result {
	struct queue_link link;
	struct window_result r;
	size_t cap;
};

struct score_thread {
	struct ev_loop *loop;
	ev_async results_ready;
	pthread_t thread;
	struct queue *jobs;             /* to the thread: SCORE_QUEUE windows at most */
	struct queue *results;          /* back to the loop, waking it */
	pthread_mutex_t mu;
	struct score_counts counts;     /* under mu: the thread's last published ones */
	uint64_t handed, delivered;     /* loop only */
	window_result_fn done;
	void *ctx;
	/* the thread's own */
	struct scorer *scorer;
	struct baseline *baseline;
	struct history *history;
	char *baseline_path, *incidents_path; /* NULL: the memory is not kept */
	time_t saved_at;
	char observer[256];
	struct result *collecting;      /* the window being scored */
	memory_shared_fn share;         /* its sources' memory, after each window (NULL: kept) */
	void *share_ctx;
	time_t shared_all_at;           /* the last time every source's was shared */
	struct job stop;                /* needs no memory at the end */
};

/* --- the loop's side ---------------------------------------------------------------------------
 */

/* Windows are counted in the queue's bound: the loop waits (counted) while
 * SCORE_QUEUE of them are queued; the other jobs never wait. */
static void push_job(struct score_thread *t, struct job *j)
{
	int window = j->kind == JOB_WINDOW;
	if (window) {
		pthread_mutex_lock(&t->mu);
		t->counts.held_bytes += j->set.bytes;
		pthread_mutex_unlock(&t->mu);
	}
	int rc = queue_push(t->jobs, &j->link, window);
	if (rc == 1) {
		pthread_mutex_lock(&t->mu);
		t->counts.waits++;
		pthread_mutex_unlock(&t->mu);
	}
	/* (never closed: the thread ends on JOB_STOP, the last job pushed) */
}

static struct job *new_job(enum job_kind kind)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		log_err("out of memory: a job for the score thread is lost");
	else
		j->kind = kind;
	return j;
}

static void free_result(struct result *r)
{
	for (size_t i = 0; i < r->r.n_alerts; i++) {
		free((char *)r->r.alert[i].src_ip);
		free((char *)r->r.alert[i].json);
	}
	free(r->r.alert);
	free(r);
}

/* Hands the finished windows' results to done, in order. */
static void deliver_results(struct score_thread *t)
{
	struct queue_link *l;
	while ((l = queue_try_pop(t->results))) {
		struct result *r = queue_item(l, struct result, link);
		t->delivered++;
		t->done(t->ctx, &r->r);
		free_result(r);
	}
}

static void on_results(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop, (void)revents;
	deliver_results(w->data);
}

void score_thread_window(struct score_thread *t, int64_t start, size_t samples,
			 struct sample_set *set)
{
	struct job *j = new_job(JOB_WINDOW);
	if (!j) {
		sample_set_free(set);
		return;
	}
	j->start = start;
	j->samples = samples;
	j->set = *set;
	memset(set, 0, sizeof *set);
	t->handed++;
	push_job(t, j);
}

static void copy_settings(struct job *j, const struct scorer_settings *set)
{
	j->settings = *set;
	snprintf(j->observer, sizeof j->observer, "%s", set->observer ? set->observer : "");
}

void score_thread_model(struct score_thread *t, struct model *m, const struct scorer_settings *set)
{
	struct job *j = new_job(JOB_MODEL);
	if (!j) {
		model_free(m);
		return;
	}
	j->model = m;
	copy_settings(j, set);
	push_job(t, j);
}

void score_thread_settings(struct score_thread *t, const struct scorer_settings *set)
{
	struct job *j = new_job(JOB_SETTINGS);
	if (j) {
		copy_settings(j, set);
		push_job(t, j);
	}
}

void score_thread_history_counts(struct score_thread *t, uint64_t records, uint64_t windows)
{
	struct job *j = new_job(JOB_COUNTS);
	if (j) {
		j->records = records;
		j->windows = windows;
		push_job(t, j);
	}
}

void score_thread_expire_history(struct score_thread *t, int64_t now)
{
	struct job *j = new_job(JOB_EXPIRE);
	if (j) {
		j->start = now;
		push_job(t, j);
	}
}

struct memory_batch *memory_batch_new(size_t n, size_t state_len)
{
	size_t size = baseline_record_size();
	struct memory_batch *b = malloc(sizeof *b + (n ? n : 1) * size + state_len);
	if (b)
		*b = (struct memory_batch){ .n = 0, .size = size, .window = INT64_MIN,
					    .state = state_len ? b->rec + n * size : NULL,
					    .state_len = state_len };
	return b;
}

void score_thread_share_memory(struct score_thread *t, memory_shared_fn fn, void *ctx)
{
	struct job *j = new_job(JOB_SHARE);
	if (j) {
		j->share = fn;
		j->share_ctx = ctx;
		push_job(t, j);
	}
}

void score_thread_take_memory(struct score_thread *t, struct memory_batch *b)
{
	struct job *j = new_job(JOB_MEMORY);
	if (!j) {
		free(b);
		return;
	}
	j->memory = b;
	push_job(t, j);
}

void score_thread_counts(struct score_thread *t, struct score_counts *out)
{
	pthread_mutex_lock(&t->mu);
	*out = t->counts;
	pthread_mutex_unlock(&t->mu);
	out->pending = t->handed - t->delivered;
}

/* --- the thread's side -------------------------------------------------------------------------
 */

/* The scorer's alert sink: the alert joins the window's result. */
static void collect_alert(void *ctx, const struct alert_record *a)
{
	struct score_thread *t = ctx;
	struct result *r = t->collecting;
	if (grow_for_one(&r->r.alert, &r->cap, r->r.n_alerts, sizeof *r->r.alert, 8) < 0) {
		log_err("out of memory: the alert for %s is lost", a->src_ip);
		return;
	}
	char *src = strdup(a->src_ip), *json = strdup(a->json);
	if (!src || !json) {
		free(src), free(json);
		log_err("out of memory: the alert for %s is lost", a->src_ip);
		return;
	}
	r->r.alert[r->r.n_alerts++] = (struct alert_record){ a->window_start, src, a->score, json };
}

/* The sources' memory to its files: the baseline, and beside it the open
 * incidents, so that a restarted process tells them on as one process
 * would have (a repeat after a restart is still a repeat). */
static void save_memory(struct score_thread *t)
{
	char err[512];
	uint8_t *buf;
	size_t len;
	if (baseline_save(t->baseline, t->baseline_path, err, sizeof err) < 0)
		log_err("baseline not kept: %s", err);
	if (!t->scorer)
		return;
	if (incident_table_encode(scorer_incidents(t->scorer), &buf, &len) < 0) {
		log_err("open incidents not kept: out of memory");
		return;
	}
	if (atomic_file_replace_bytes(t->incidents_path, buf, len, err, sizeof err) < 0)
		log_err("open incidents not kept: %s", err);
	free(buf);
}

static void save_memory_now_and_then(struct score_thread *t, time_t now)
{
	if (!t->baseline_path || now < t->saved_at + BASELINE_SAVE_SECONDS)
		return;
	t->saved_at = now;
	save_memory(t);
}

/* The open incidents the last run kept, into the first scorer's. */
static void load_incidents(struct score_thread *t)
{
	char err[512], why[256];
	uint8_t *buf;
	size_t len;
	int rc = atomic_file_read(t->incidents_path, &buf, &len, err, sizeof err);
	if (rc == 0) {
		rc = incident_table_decode(scorer_incidents(t->scorer), buf, len, why, sizeof why);
		if (rc < 0)
			snprintf(err, sizeof err, "%s: %s", t->incidents_path, why);
		free(buf);
	}
	if (rc < 0 && rc != -ENOENT)
		log_warn("incidents %s; none open at the start", err);
}

static void publish(struct score_thread *t, struct result *r)
{
	pthread_mutex_lock(&t->mu);
	if (t->scorer)
		t->counts.scorer = *scorer_stats(t->scorer);
	t->counts.baseline = *baseline_stats(t->baseline);
	if (t->history)
		t->counts.history = *history_stats(t->history);
	pthread_mutex_unlock(&t->mu);
	if (r && queue_push(t->results, &r->link, 0) < 0) /* (never closed) */
		free_result(r);
}

/* A window's samples given back, and no longer counted as held. */
static void free_window(struct score_thread *t, struct job *j)
{
	size_t held = j->set.bytes;
	sample_set_free(&j->set);
	pthread_mutex_lock(&t->mu);
	t->counts.held_bytes -= held;
	pthread_mutex_unlock(&t->mu);
}

/* The memory of the window's sources, or every MEMORY_FULL_SECONDS of
 * every source, with the scorer's state, to whoever shares it. */
static void share_memory(struct score_thread *t, int64_t window, const struct sample_set *set,
			 time_t now)
{
	int full = now >= t->shared_all_at + MEMORY_FULL_SECONDS;
	size_t n = full ? baseline_stats(t->baseline)->hosts : set->n, state_len = 0;
	uint8_t *state = NULL;
	if (!t->share)
		return;
	int no_state = t->scorer && scorer_state_encode(t->scorer, &state, &state_len) < 0;
	struct memory_batch *b = no_state ? NULL : memory_batch_new(n, state_len);
	if (!b) {
		log_err("out of memory: the memory of window %lld is not shared",
			(long long)window);
		free(state);
		return;
	}
	b->window = window;
	if (state_len)
		memcpy(b->state, state, state_len);
	free(state);
	if (full) {
		b->full = 1;
		b->n = baseline_export_hosts(t->baseline, b->rec, n);
		t->shared_all_at = now;
	} else {
		for (size_t i = 0; i < set->n; i++)
			b->n += (size_t)baseline_export_host(t->baseline, &set->s[i]->src,
							     b->rec + b->n * b->size);
	}
	t->share(t->share_ctx, b);
}

/* Another process's memory of its sources, in place of this one's. */
static void take_memory(struct score_thread *t, struct memory_batch *b)
{
	char err[256];
	size_t bad = 0;
	for (size_t i = 0; i < b->n; i++)
		bad += baseline_import_host(t->baseline, b->rec + i * b->size, b->size, err,
					    sizeof err) < 0;
	if (bad)
		log_warn("%zu of %zu sources' memory taken over were refused (%s)", bad, b->n,
			 err);
	if (b->state && !t->scorer)
		log_warn("the calibration and open incidents taken over are dropped: no model yet");
	else if (b->state && scorer_state_decode(t->scorer, b->state, b->state_len, err,
						  sizeof err) < 0)
		log_warn("the calibration and open incidents taken over were refused (%s): this "
			 "scorer's go on",
			 err);
	free(b);
}

static void score_window(struct score_thread *t, struct job *j)
{
	struct result *r = calloc(1, sizeof *r);
	if (!r) {
		log_err("out of memory: window %lld not scored", (long long)j->start);
		free_window(t, j);
		return;
	}
	r->r.start = j->start;
	r->r.samples = j->samples;
	uint64_t resets = baseline_stats(t->baseline)->resets;
	sample_set_observe(&j->set, t->baseline);
	r->r.baseline_reset = baseline_stats(t->baseline)->resets != resets;
	if (t->scorer) {
		const struct scorer_stats *st = scorer_stats(t->scorer);
		uint64_t alerts = st->alerts, suppressed = st->suppressed;
		t->collecting = r;
		scorer_score(t->scorer, j->start, &j->set, t->baseline);
		t->collecting = NULL;
		r->r.scored = 1;
		r->r.alerts = st->alerts - alerts;
		r->r.suppressed = st->suppressed - suppressed;
		r->r.threshold = st->threshold;
	}
	share_memory(t, j->start, &j->set, time(NULL));
	if (t->history && j->set.n && history_append(t->history, &j->set) < 0)
		r->r.history_failed = errno;
	r->r.history_windows = t->history ? history_stats(t->history)->windows : 0;
	free_window(t, j);
	save_memory_now_and_then(t, time(NULL));
	publish(t, r);
}

static void use_model(struct score_thread *t, struct job *j)
{
	char err[512];
	j->settings.observer = t->observer;
	snprintf(t->observer, sizeof t->observer, "%s", j->observer);
	int first = !t->scorer;
	int ok = !first ? scorer_set_model(t->scorer, j->model, err, sizeof err) == 0
			: (t->scorer = scorer_new(j->model, &j->settings, collect_alert, t, err,
						  sizeof err)) != NULL;
	if (!ok) { /* checked on the loop before: only memory can fail here */
		log_err("model refused: %s", err);
		model_free(j->model);
		return;
	}
	scorer_set_settings(t->scorer, &j->settings);
	if (first && t->incidents_path)
		load_incidents(t);
}

static void *run(void *arg)
{
	struct score_thread *t = arg;
	for (;;) {
		struct job *j = queue_item(queue_pop(t->jobs), struct job, link);
		enum job_kind kind = j->kind;
		switch (kind) {
		case JOB_WINDOW: score_window(t, j); break;
		case JOB_MODEL: use_model(t, j); break;
		case JOB_SETTINGS:
			snprintf(t->observer, sizeof t->observer, "%s", j->observer);
			j->settings.observer = t->observer;
			if (t->scorer)
				scorer_set_settings(t->scorer, &j->settings);
			break;
		case JOB_COUNTS:
			if (t->history)
				history_set_counts(t->history, j->records, j->windows);
			publish(t, NULL);
			break;
		case JOB_EXPIRE: {
			int gone = t->history ? history_expire(t->history, j->start) : 0;
			if (gone > 0)
				log_info("history: %d day(s) past the retention deleted", gone);
			break;
		}
		case JOB_SHARE:
			t->share = j->share;
			t->share_ctx = j->share_ctx;
			break;
		case JOB_MEMORY: take_memory(t, j->memory); break;
		case JOB_STOP: break;
		}
		if (kind == JOB_STOP)
			return NULL;
		free(j);
	}
}

/* --- lifecycle ---------------------------------------------------------------------------------
 */

struct score_thread *score_thread_start(struct ev_loop *loop, struct baseline *b,
					struct history *h, const char *baseline_path,
					window_result_fn done, void *ctx)
{
	struct score_thread *t = calloc(1, sizeof *t);
	int no_paths = t && baseline_path &&
		       (!(t->baseline_path = strdup(baseline_path)) ||
			asprintf(&t->incidents_path, "%s.incidents", baseline_path) < 0);
	if (!t || no_paths) {
		if (t)
			free(t->baseline_path);
		free(t);
		log_err("out of memory");
		return NULL;
	}
	t->loop = loop;
	t->baseline = b;
	t->history = h;
	t->done = done;
	t->ctx = ctx;
	t->saved_at = time(NULL);
	pthread_mutex_init(&t->mu, NULL);
	t->jobs = queue_new(SCORE_QUEUE);
	t->results = queue_new(0);
	int rc = t->jobs && t->results ? 0 : ENOMEM;
	ev_async_init(&t->results_ready, on_results);
	t->results_ready.data = t;
	if (rc == 0) {
		publish(t, NULL);
		ev_async_start(loop, &t->results_ready);
		queue_wake(t->results, loop, &t->results_ready);
		rc = pthread_create(&t->thread, NULL, run, t);
		if (rc != 0)
			ev_async_stop(loop, &t->results_ready);
	}
	if (rc != 0) {
		log_err("cannot start the score thread: %s", strerror(rc));
		queue_free(t->jobs);
		queue_free(t->results);
		pthread_mutex_destroy(&t->mu);
		free(t->baseline_path);
		free(t->incidents_path);
		free(t);
		return NULL;
	}
	pthread_setname_np(t->thread, "flowsad-score");
	return t;
}

void score_thread_stop(struct score_thread *t, struct score_counts *last)
{
	if (last)
		memset(last, 0, sizeof *last);
	if (!t)
		return;
	t->stop.kind = JOB_STOP;
	push_job(t, &t->stop);
	pthread_join(t->thread, NULL);
	deliver_results(t);
	ev_async_stop(t->loop, &t->results_ready);
	if (last)
		score_thread_counts(t, last);
	if (t->baseline_path)
		save_memory(t);
	scorer_free(t->scorer);
	baseline_free(t->baseline);
	history_close(t->history);
	queue_free(t->jobs);
	queue_free(t->results);
	pthread_mutex_destroy(&t->mu);
	free(t->baseline_path);
	free(t->incidents_path);
	free(t);
}
