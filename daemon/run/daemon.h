/* daemon: the state of flowsad run, wired from modules that keep their own.
 *
 *   cmd_run.c      options and settings, start and stop, signals, the tick:
 *                  it wires the modules below and holds nothing else
 *   sources.c      live interfaces (capture_workers.c: read and counted by
 *                  worker threads), NetFlow/IPFIX listeners, followed logs,
 *                  file replay
 *   windows.c      the window table, the workers' windows merged
 *                  (window_parts.c), the hand-over of closed windows to the
 *                  scoring (scoring.c, on score_thread.c), the model in use
 *   roles.c        [role] sensor and scorer: the fleet wired to the windows
 *   retraining.c   the retraining worker (retrainer.c) wired to the windows
 *   sinks.c        the alert sinks (spool, Redis, JSON lines) and --samples
 *   notify.c       systemd: READY, STATUS, WATCHDOG, RELOADING, STOPPING
 *   metrics.c      the Prometheus endpoint: each module adds its writer
 *                  (the windows' in run_metrics.c)
 *
 * Everything runs on the loop's thread but the capture workers, the score
 * thread, the fleet's publisher and collector, and the retraining worker.
 * What they hand over crosses only through common/queue.h (bounded where
 * it says so; a queue to the loop wakes it): closed windows to the score
 * thread and their alerts back, the workers' windows to the loop, a new
 * model back from the retraining worker; the counts they publish are read
 * under a lock. Each module's header says which. */
#ifndef FLOWSAD_DAEMON_H
#define FLOWSAD_DAEMON_H

#include <ev.h>
#include <stdint.h>
#include <time.h>

#include "common/config.h"
#include "common/cli.h"
#include "sinks/sinks.h"
#include "capture/sources.h"
#include "run/retraining.h"
#include "run/roles.h"
#include "windows/windows.h"

/* What the command line says; it overrides the file, also after SIGHUP. */
struct run_args {
	struct cli_common common;       /* its config is moved to config_path */
	const char *config_path;
	const char *ifaces[CONFIG_MAX_LIST], *redis, *stream, *jsonl, *samples, *spool, *model;
	int n_ifaces;
	char **files;
	int n_files;
	long replay_pps;                /* 0: as fast as it goes */
};

struct daemon {
	struct ev_loop *loop;
	struct run_args *args;
	struct config conf;
	struct sources *sources;
	struct windows *windows;
	struct roles *roles;            /* [role] sensor or scorer: the fleet */
	struct retraining *retraining;
	struct sinks *sinks;            /* alerts and --samples */
	struct metrics *metrics;
	time_t progress_at;             /* a replay's last progress line */
	uint64_t status_frames;         /* frames at the last STATUS line */
	ev_timer tick, drain, watchdog;
	ev_signal sig_term, sig_int, sig_hup;
	double drain_until;
	int stopping, exit_code;
};

#endif
