/* roles: [role] sensor and scorer, the fleet (fleet/) wired to the
 * windows (windows/). A sensor's closed windows go to the scorers through
 * the publisher, a sink of windows (windows_send_to); a scorer's windows
 * come from the sensors through the collector, a source of windows
 * (windows_take), and each model it takes into use is published for the
 * others. A daemon of [role] single has a roles object that does nothing.
 *
 * Errors: sysexits codes, logged here (run/'s convention). Threads: the
 * loop's; the publisher and the collector keep threads of their own. */
#ifndef FLOWSAD_ROLES_H
#define FLOWSAD_ROLES_H

#include <ev.h>
#include <signal.h>
#include <stdio.h>

#include "common/config.h"
#include "sinks/sinks.h"
#include "windows/windows.h"

struct roles;

/* The roles of conf (borrowed, renewed at a reload) over windows and sinks
 * (borrowed: they outlive the roles). NULL without memory. */
struct roles *roles_new(struct ev_loop *loop, const struct config *conf, struct windows *w,
			struct sinks *sinks);
/* A scorer without a model: the one the fleet's scorers published, saved
 * at [model] path. Returns a sysexits code (EX_UNAVAILABLE: none). */
int roles_fetch_model(struct roles *r);
/* A sensor: each closed window goes to the scorers instead of being scored
 * here; call after windows_open (stop_asked: part_publisher_config's). A
 * scorer: windows come from the sensors to be scored here. Return a sysexits
 * code. */
int roles_start_publishing(struct roles *r, const volatile sig_atomic_t *stop_asked);
int roles_start_collecting(struct roles *r);
/* Each second: a scorer's windows scored and their alerts delivered let
 * their entries go. */
void roles_tick(struct roles *r);
/* At the stop, before the windows are flushed: no more windows are taken
 * from the sensors. */
void roles_pause(struct roles *r);
/* After windows_close: the windows sent (waiting at most a drain time);
 * call before windows_stop_scoring. */
void roles_stop_publishing(struct roles *r);
/* After the scoring stopped: what was delivered acknowledged, the
 * partitions given up, and frees. NULL: no-op. */
void roles_free(struct roles *r);
/* The sensor's or scorer's metrics (a metrics_writer_fn of r). */
void roles_write_metrics(void *ctx, FILE *out);

#endif
