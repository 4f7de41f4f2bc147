/* Retraining wired to the windows (retraining.h). */
#include "run/retraining.h"

#include <stdlib.h>

#include "common/log.h"
#include "common/metrics.h"
#include "detector/deepsad.h"
#include "retrain/retrainer.h"

struct retraining {
	struct ev_loop *loop;
	const struct config *conf;
	const struct cli_common *common;
	struct windows *windows;
	struct retrainer *running; /* or NULL */
	uint64_t runs, failures;
	double last_seconds;
	time_t last_start; /* of the last retraining (0: none yet) */
	uint64_t grown_at; /* history windows at which a young model retrains (0: none) */
};

struct retraining *retraining_new(struct ev_loop *loop, const struct config *conf,
				  const struct cli_common *common, struct windows *w)
{
	struct retraining *t = calloc(1, sizeof *t);
	if (t)
		*t = (struct retraining){ .loop = loop, .conf = conf, .common = common,
					  .windows = w };
	return t;
}

void retraining_free(struct retraining *t)
{
	if (!t)
		return;
	retrainer_cancel(t->running);
	free(t);
}

int retraining_running(const struct retraining *t)
{
	return t && t->running != NULL;
}

static void retraining_done(void *ctx, struct retrain_result *r)
{
	struct retraining *t = ctx;
	struct windows *w = t->windows;
	uint64_t have, need;
	t->running = NULL;
	t->last_seconds = r->seconds;
	if (r->history) /* a full count, which a start with a model skips */
		windows_history_counts(w, r->history, r->history_windows);
	if (!r->model) {
		t->failures++;
		log_err("retraining failed after %.1f s: %s; %s", r->seconds, r->why,
			!windows_learning(w, &have, &need) ? "the running model stays"
							   : "still learning");
		return;
	}
	t->runs++;
	log_info("retrained in %.1f s on %zu samples (%zu known normal, %zu known anomaly; %zu "
		 "analyst verdicts): model %s", r->seconds, r->samples, r->normal, r->anomaly,
		 r->verdicts, r->model->id);
	if (!windows_stopping(w))
		windows_use_model(w, r->model);
	else
		model_free(r->model);
}

static void start_retraining(struct retraining *t, time_t now)
{
	const struct config *c = t->conf;
	struct retrain_request q = {
		.history_dir = c->history_dir, .model_path = c->model,
		.features = { .window = windows_window_seconds(t->windows) },
		.known_normal = c->known_normal, .known_anomaly = c->known_anomaly,
		.max_samples = (size_t)c->train_samples, .redis = c->redis,
		.baseline_max_hosts = (size_t)c->baseline_max_hosts,
		.baseline_horizon = c->baseline_horizon, .alert_quantile = c->train_alert_quantile,
		.trim = c->train_trim,
		.password_file = c->redis_password_file, .feedback_stream = c->feedback_stream,
		.timeout_ms = c->command_timeout_ms,
	};
	cli_fill_features(&q.features, c);
	deepsad_config_default(&q.cfg);
	q.cfg.epochs = (int)c->train_epochs;
	q.cfg.lr = c->train_lr;
	q.cfg.eta = c->train_eta;
	if (t->common->seed_given)
		q.cfg.seed = t->common->seed;
	t->last_start = now;
	log_info("retraining on the history in %s", c->history_dir);
	t->running = retrainer_start(t->loop, &q, retraining_done, t);
	if (!t->running)
		t->failures++;
}

/* Whether a model of a cold start has seen its history double, while
 * the interval's schedule would still wait longer than that history
 * spans: a first model of ten minutes knows one print job, one backup at
 * most, and the day it would keep them for is long. */
static int young_model_grown(const struct retraining *t, uint64_t have)
{
	uint64_t interval = t->conf->retrain_interval;
	return t->grown_at && have >= t->grown_at && interval &&
	       t->grown_at * windows_window_seconds(t->windows) < interval;
}

/* A first model once the history holds min_windows windows; then one each
 * time the history has doubled, until that takes longer than the
 * interval; then one every interval (0: none after the first). */
void retraining_tick(struct retraining *t, time_t now)
{
	uint64_t have, need;
	const struct config *c = t->conf;
	if (!c->history_dir || t->running || windows_stopping(t->windows) || !c->model)
		return;
	if (windows_learning(t->windows, &have, &need)) {
		if (have >= need && now >= t->last_start + 10) { /* failures retry after 10 s */
			t->grown_at = 2 * have;
			start_retraining(t, now);
		}
	} else if (young_model_grown(t, have)) {
		log_info("the history has grown to %llu windows since the first model",
			 (unsigned long long)have);
		t->grown_at = 2 * have;
		start_retraining(t, now);
	} else if (c->retrain_interval && now >= t->last_start + c->retrain_interval) {
		if (t->last_start == 0) /* the interval runs from the start */
			t->last_start = now;
		else
			start_retraining(t, now);
	}
}

void retraining_write_metrics(void *ctx, FILE *out)
{
	const struct retraining *t = ctx;
	metrics_value(out, "retrain_total", "counter", "Retrainings that gave a model.", NULL,
		      (double)t->runs);
	metrics_value(out, "retrain_failures_total", "counter",
		      "Retrainings that failed (the model stayed).", NULL, (double)t->failures);
	metrics_value(out, "retrain_last_duration_seconds", "gauge",
		      "How long the last retraining took.", NULL, t->last_seconds);
	metrics_value(out, "retrain_running", "gauge", "1 while a retraining runs.", NULL,
		      t->running != NULL);
}
