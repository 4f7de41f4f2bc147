/* retraining: the retraining worker (retrain/retrainer.h) wired to the
 * windows. A first model once the history holds [retrain] min_windows
 * windows (a cold start), again each time the history has doubled while
 * it spans less than the interval; then one every [retrain] interval (0:
 * none after the first). A model it makes is taken into use between windows
 * (windows_use_model), unless the windows are stopping.
 *
 * Threads: the loop's; the worker's result comes back on it (through a
 * queue that wakes it, common/queue.h). */
#ifndef FLOWSAD_RETRAINING_H
#define FLOWSAD_RETRAINING_H

#include <ev.h>
#include <stdio.h>
#include <time.h>

#include "common/cli.h"
#include "common/config.h"
#include "windows/windows.h"

struct retraining;

/* conf (renewed at a reload), common and w are borrowed and outlive it.
 * NULL without memory. */
struct retraining *retraining_new(struct ev_loop *loop, const struct config *conf,
				  const struct cli_common *common, struct windows *w);
/* Cancels a retraining that runs (its model is not taken), and frees.
 * NULL: no-op. */
void retraining_free(struct retraining *t);
/* Each second: starts a retraining when one is due. */
void retraining_tick(struct retraining *t, time_t now);
/* Whether one runs now. */
int retraining_running(const struct retraining *t);
/* The retraining metrics (a metrics_writer_fn of t). */
void retraining_write_metrics(void *ctx, FILE *out);

#endif
