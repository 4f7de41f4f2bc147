#include "retrain/retrainer.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "base/duration.h"
#include "store/history.h"
#include "base/isotime.h"
#include "features/labels.h"
#include "common/log.h"
#include "common/queue.h"
#include "redis/redis_sync.h"
#include "base/rng.h"
#include "retrain/trainer.h"

struct retrainer {
	struct ev_loop *loop;
	ev_async finished_w;
	struct queue *finished;   /* the worker's end to the loop, waking it */
	struct queue_link end;    /* pushed once the result is written */
	pthread_t thread;
	atomic_int cancel;
	struct retrain_request req;
	char *strings[16];            /* the request's, copied */
	retrain_done_fn done;
	void *ctx;
	struct retrain_result result;
};

/* --- labels: files and the analysts' verdicts --------------------------------------------------
 */

struct labels {
	struct label_list normal, anomaly;
};

/* One verdict entry's fields (src_ip, window_start, verdict) into the list
 * of its verdict. Returns 1 when it was one, 0 for an entry of another kind
 * (no verdict field, or another verdict), -1 when it is damaged (why in
 * err). */
static int add_verdict(const redisReply *fields, struct labels *l, char *err, size_t errlen)
{
	const char *src = NULL, *window = NULL, *verdict = NULL;
	for (size_t j = 0; j + 1 < fields->elements; j += 2) {
		const char *k = fields->element[j]->str, *v = fields->element[j + 1]->str;
		if (!k || !v)
			continue;
		if (strcmp(k, "src_ip") == 0)
			src = v;
		else if (strcmp(k, "window_start") == 0)
			window = v;
		else if (strcmp(k, "verdict") == 0)
			verdict = v;
	}
	struct label_list *to = !verdict ? NULL : strcmp(verdict, "normal") == 0 ? &l->normal
					  : strcmp(verdict, "anomaly") == 0 ? &l->anomaly : NULL;
	if (!to)
		return 0;
	return labels_add(to, window, src, err, errlen) == 0 ? 1 : -1;
}

/* The feedback stream's entries (XRANGE), or NULL when Redis did not
 * answer (redis_sync.h: any address form). */
static redisReply *feedback_entries(const struct retrain_request *q)
{
	struct redis_sync *r =
		redis_sync_new(q->redis, q->password_file, q->timeout_ms, "retraining");
	redisReply *a =
		r ? redis_sync_format(r, q->feedback_stream, "XRANGE %s - +", q->feedback_stream)
		  : NULL;
	redis_sync_free(r);
	return a;
}

/* The feedback stream's verdicts into l. A damaged entry (written by hand,
 * or by a tool gone wrong) is skipped and said, not the stream after it.
 * Returns how many verdicts were read. */
static size_t read_feedback(const struct retrain_request *q, struct labels *l)
{
	char why[384] = "", first_bad[512] = "";
	size_t verdicts = 0, damaged = 0;
	redisReply *r = q->redis ? feedback_entries(q) : NULL;
	if (!r) {
		if (q->redis)
			log_warn("retraining: no analyst feedback this time (no answer)");
		return 0;
	}
	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *e = r->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		int got = add_verdict(e->element[1], l, why, sizeof why);
		if (got < 0 && damaged++ == 0)
			snprintf(first_bad, sizeof first_bad, "%s %s: %s", q->feedback_stream,
				 e->element[0]->str ? e->element[0]->str : "?", why);
		verdicts += got > 0;
	}
	if (damaged)
		log_warn("retraining: %zu damaged feedback entries skipped (the first: %s)",
			 damaged, first_bad);
	freeReplyObject(r);
	return verdicts;
}

/* The label files, then the analysts' feedback. Returns 0, or -errno with
 * the reason in err. */
static int read_labels(const struct retrain_request *q, struct labels *l, size_t *verdicts,
		       char *err, size_t errlen)
{
	int rc = 0;
	if (q->known_normal)
		rc = labels_read_file(&l->normal, q->known_normal, err, errlen);
	if (rc == 0 && q->known_anomaly)
		rc = labels_read_file(&l->anomaly, q->known_anomaly, err, errlen);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	*verdicts = read_feedback(q, l);
	return rc;
}

/* --- the training set: labelled samples, and a reservoir of the rest ------------------------- */

struct sampling {
	const struct labels *labels;
	struct sample_set kept;       /* the reservoir first, labelled ones appended */
	struct sample_set labelled;
	size_t cap, seen, failed;
	struct rng rng;
	struct baseline *baseline;    /* the sources' memory, rebuilt from the history */
	struct retrainer *t;
};

/* Algorithm R: the i-th unlabelled sample replaces a random one of the cap
 * kept with probability cap / i, so every sample is kept alike. */
static int sample_history(void *ctx, const struct net_sample *in)
{
	struct sampling *p = ctx;
	struct net_sample s = *in;
	if (atomic_load(&p->t->cancel))
		return 1;
	/* every sample passes through the memory, in time order, kept or not */
	baseline_observe(p->baseline, s.window_start, &s.src, &s.c, s.host);
	if (labels_match(&p->labels->normal, s.window_start, &s.src) ||
	    labels_match(&p->labels->anomaly, s.window_start, &s.src)) {
		p->failed += sample_set_add(&p->labelled, &s) < 0;
		return 0;
	}
	uint64_t j = p->seen++ < p->cap ? p->kept.n : rng_below(&p->rng, p->seen);
	if (j >= p->cap)
		return 0;
	int rc = j < p->kept.n ? sample_set_replace(&p->kept, j, &s) : sample_set_add(&p->kept, &s);
	p->failed += rc < 0;
	return 0;
}

static int join_sets(struct sample_set *into, struct sample_set *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (sample_set_add(into, from->s[i]) < 0)
			return -1;
	return 0;
}

/* --- the worker ----------------------------------------------------------------------------------
 */

static int stop_if_cancelled(void *ctx, const char *phase, int epoch, int epochs, double loss,
			     double seconds)
{
	struct retrainer *t = ctx;
	(void)phase, (void)epoch, (void)epochs, (void)loss, (void)seconds;
	return atomic_load(&t->cancel);
}

/* Fits spec and the model on the set; NULL with the reason in r->why. */
static struct model *fit(struct retrainer *t, struct sample_set *set, struct labels *l)
{
	const struct retrain_request *q = &t->req;
	struct retrain_result *r = &t->result;
	struct feature_spec spec = { 0 };
	struct dataset ds;
	char *json = NULL, err[256];
	int rc;

	if ((rc = feature_options_counting_spec(&q->features, &spec, err, sizeof err)) < 0 ||
	    (rc = feature_options_fit(&q->features, &spec, set, &json)) < 0) {
		snprintf(r->why, sizeof r->why, "%s", rc == -ENOMEM ? "out of memory" : err);
		feature_spec_free(&spec);
		return NULL;
	}
	if (feature_spec_dataset(&spec, set, &ds) < 0) {
		snprintf(r->why, sizeof r->why, "out of memory");
		feature_spec_free(&spec);
		free(json);
		return NULL;
	}
	r->normal = labels_apply(&l->normal, &ds, 1);
	r->anomaly = labels_apply(&l->anomaly, &ds, -1);
	struct trainer_settings set_ = {q->cfg,
					SCALER_ZSCORE,
					DEFAULT_BACKGROUND,
					spec.window_seconds,
					stop_if_cancelled,
					t,
					q->alert_quantile,
					q->trim};
	feature_spec_free(&spec);
	struct model *m = trainer_fit(&ds, json, &set_, &rc);
	dataset_free(&ds);
	if (!m)
		snprintf(r->why, sizeof r->why, "%s", rc == EX_DATAERR ? "the loss was not finite"
						     : "the training failed (see above)");
	return m;
}

static struct model *retrain(struct retrainer *t)
{
	const struct retrain_request *q = &t->req;
	struct retrain_result *r = &t->result;
	struct labels l = { 0 };
	struct sampling p = { .labels = &l, .cap = q->max_samples, .t = t };
	struct history_stats st;
	struct model *m = NULL;
	char err[sizeof r->why - 1];

	rng_seed(&p.rng, q->cfg.seed); /* the same history gives the same sample */
	if (!(p.baseline = baseline_new(q->baseline_max_hosts, q->baseline_horizon))) {
		snprintf(r->why, sizeof r->why, "out of memory");
	} else if (read_labels(q, &l, &r->verdicts, err, sizeof err) < 0) {
		snprintf(r->why, sizeof r->why, "%s", err);
	} else if (history_scan(q->history_dir, sample_history, &p, &st) < 0) {
		snprintf(r->why, sizeof r->why, "%s: %s", q->history_dir, strerror(errno));
	} else if (p.failed || join_sets(&p.kept, &p.labelled) < 0) {
		snprintf(r->why, sizeof r->why, "out of memory");
	} else if (atomic_load(&t->cancel)) {
		snprintf(r->why, sizeof r->why, "cancelled");
	} else if (p.kept.n == 0) {
		snprintf(r->why, sizeof r->why, "the history holds no samples");
	} else {
		r->history = st.records;
		r->history_windows = st.windows;
		r->samples = p.kept.n;
		log_info("retraining on %zu of %llu samples in the history (%zu labelled)",
			 p.kept.n, (unsigned long long)st.records, p.labelled.n);
		m = fit(t, &p.kept, &l);
	}
	if (m && model_save(m, q->model_path, err, sizeof err) < 0) {
		snprintf(r->why, sizeof r->why, "%s", err);
		model_free(m);
		m = NULL;
	}
	baseline_free(p.baseline);
	sample_set_free(&p.kept);
	sample_set_free(&p.labelled);
	labels_free(&l.normal);
	labels_free(&l.anomaly);
	return m;
}

static void *run_worker(void *arg)
{
	struct retrainer *t = arg;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t->result.model = retrain(t);
	t->result.seconds = duration_since(&t0);
	if (queue_push(t->finished, &t->end, 0) < 0) /* (never closed) */
		log_err("retraining: its end could not be told");
	return NULL;
}

static void free_retrainer(struct retrainer *t)
{
	for (size_t i = 0; i < sizeof t->strings / sizeof t->strings[0]; i++)
		free(t->strings[i]);
	queue_free(t->finished);
	free(t);
}

static void on_finished(struct ev_loop *loop, ev_async *w, int revents)
{
	struct retrainer *t = w->data;
	(void)revents;
	if (!queue_try_pop(t->finished)) /* the result is the loop's once popped */
		return;
	ev_async_stop(loop, w);
	pthread_join(t->thread, NULL);
	t->done(t->ctx, &t->result);
	free_retrainer(t);
}

/* The request with its strings copied into t (they may change at SIGHUP). */
static int copy_request(struct retrainer *t, const struct retrain_request *q)
{
	const char **fields[] = {
		&t->req.history_dir, &t->req.model_path, &t->req.redis, &t->req.password_file,
		&t->req.feedback_stream, &t->req.features.locations,
		&t->req.features.monitor, &t->req.features.include_ports,
		&t->req.features.exclude_ports, &t->req.features.exclude_src,
		&t->req.features.exclude_dst, &t->req.features.exclude_sids, &t->req.known_normal,
		&t->req.known_anomaly,
	};
	t->req = *q;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (!*fields[i])
			continue;
		if (!(t->strings[i] = strdup(*fields[i])))
			return -1;
		*fields[i] = t->strings[i];
	}
	return 0;
}

struct retrainer *retrainer_start(struct ev_loop *loop, const struct retrain_request *req,
				  retrain_done_fn done, void *ctx)
{
	struct retrainer *t = calloc(1, sizeof *t);
	if (!t || !(t->finished = queue_new(0)) || copy_request(t, req) < 0) {
		log_err("retraining: out of memory");
		if (t)
			free_retrainer(t);
		return NULL;
	}
	t->loop = loop;
	t->done = done;
	t->ctx = ctx;
	ev_async_init(&t->finished_w, on_finished);
	t->finished_w.data = t;
	ev_async_start(loop, &t->finished_w);
	queue_wake(t->finished, loop, &t->finished_w);
	if (pthread_create(&t->thread, NULL, run_worker, t) != 0) {
		log_err("retraining: cannot start a thread: %s", strerror(errno));
		ev_async_stop(loop, &t->finished_w);
		free_retrainer(t);
		return NULL;
	}
	pthread_setname_np(t->thread, "flowsad-retrain");
	return t;
}

void retrainer_cancel(struct retrainer *t)
{
	if (!t)
		return;
	atomic_store(&t->cancel, 1);
	pthread_join(t->thread, NULL);
	ev_async_stop(t->loop, &t->finished_w);
	model_free(t->result.model);
	free_retrainer(t);
}
