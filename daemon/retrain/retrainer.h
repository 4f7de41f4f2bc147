/* retrainer: fits a new model on the history in a worker thread while the
 * event loop goes on capturing and scoring.
 *
 * The training set is a uniform sample (reservoir) of at most max_samples
 * of the history's samples, plus every sample a label matches: the label
 * files and the analysts' verdicts in the feedback stream (entries src_ip,
 * window_start (optional: all of the source's samples), verdict=normal or
 * anomaly). The features are fitted anew (vocabulary, IDF), then scaling
 * and the detector; the model is written atomically to model_path and
 * handed to the loop, which takes it into use between two windows. A
 * failed training (no history, a non-finite loss, ...) leaves the running
 * model alone and says why. */
#ifndef FLOWSAD_RETRAINER_H
#define FLOWSAD_RETRAINER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "detector/deepsad.h"
#include "features/feature_options.h"

struct retrain_request {
	const char *history_dir, *model_path;
	struct feature_options features; /* window, locations, filter, vocabulary */
	const char *known_normal, *known_anomaly; /* label files */
	size_t max_samples;
	size_t baseline_max_hosts;  /* the sources' memory the features are made with */
	uint32_t baseline_horizon;
	struct deepsad_config cfg;
	double alert_quantile;      /* the model's calibration */
	double trim;                /* the robust pass (0: one training) */
	/* the feedback stream (redis NULL: none) */
	const char *redis, *password_file, *feedback_stream;
	uint32_t timeout_ms;
};

struct retrain_result {
	struct model *model;        /* NULL when it failed */
	char why[512];              /* then why */
	double seconds;
	size_t history, history_windows, samples, normal, anomaly, verdicts;
};

typedef void (*retrain_done_fn)(void *ctx, struct retrain_result *r);

struct retrainer;

/* Starts one training on a thread of its own (the request's strings are
 * copied). done runs on the loop when it ends (its end handed over through
 * a queue that wakes the loop, common/queue.h); the result's model is the
 * callee's to keep. Returns NULL after logging. */
struct retrainer *retrainer_start(struct ev_loop *loop, const struct retrain_request *req,
				  retrain_done_fn done, void *ctx);
/* Waits for a running training and frees it (at exit; done is not called). */
void retrainer_cancel(struct retrainer *t);

#endif
