/* run_metrics: what the windows count, as Prometheus metrics, each a
 * metrics_writer_fn of a struct windows (common/metrics.h). cmd_run adds
 * them, with the sources', the fleet's, the sinks' and the retraining's, in
 * the order of the scrape: windows, role, alerts (then the sinks), model
 * (then retraining). */
#ifndef FLOWSAD_RUN_METRICS_H
#define FLOWSAD_RUN_METRICS_H

#include <stdio.h>

/* The window table's and the capture workers' merges. */
void run_metrics_windows(void *ctx, FILE *out);
/* The scorer's alerts, the score thread's queue, the sources' memory. */
void run_metrics_alerts(void *ctx, FILE *out);
/* Learning, the history, the model in use. */
void run_metrics_model(void *ctx, FILE *out);

#endif
