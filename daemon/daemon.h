/* daemon: the state of flowsad run and the parts of its event loop.
 *
 *   cmd_run.c      options and settings, start and stop, signals, the tick:
 *                  it wires the modules below
 *   sources.c      live interfaces (capture_workers.c: read and counted by
 *                  worker threads), NetFlow/IPFIX listeners, followed logs,
 *                  file replay: a module of its own state (sources.h)
 *   run_windows.c  the window table, the workers' windows merged
 *                  (window_parts.c), the hand-over of closed windows to the
 *                  score thread, the model and its retraining
 *   notify.c       systemd: READY, STATUS, WATCHDOG, RELOADING, STOPPING
 *   metrics.c      the Prometheus endpoint: each module adds its writer
 *
 * Everything runs on the loop's thread but the score thread (score_thread.c:
 * the sources' memory, scoring and explaining, the history), which gets
 * closed windows through a bounded queue and hands their alerts back
 * through an ev_async, and the retraining worker (retrainer.c), which hands
 * its model back the same way. */
#ifndef FLOWSAD_DAEMON_H
#define FLOWSAD_DAEMON_H

#include <ev.h>
#include <stdint.h>
#include <time.h>

#include "cli.h"
#include "base/config.h"
#include "store/history.h"

#include "retrainer.h"
#include "scorer.h"
#include "score_thread.h"
#include "sinks.h"
#include "sources.h"
#include "window_parts.h"

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

struct retrain_stats {
	uint64_t runs, failures;
	double last_seconds;
	time_t last_start;              /* of the last retraining (0: none yet) */
};

/* The model in use, as the loop knows it (the score thread has the model). */
struct model_brief {
	char id[MODEL_ID_LEN];
	char *feature_spec;             /* NULL while learning (no model yet) */
	int n_features;
	uint32_t window_seconds;
};

struct daemon {
	struct ev_loop *loop;
	struct run_args *args;
	struct config conf;
	/* windows and the model */
	struct model_brief model;
	struct score_thread *scoring;
	struct window_table *table;
	struct feature_spec table_spec; /* what the table counts with */
	char *table_key;                /* that spec without vocabulary, to compare models */
	uint32_t lateness;
	struct sample_set pending;      /* the closing window's samples */
	struct window_parts *parts;     /* with workers: windows in parts (the loop last) */
	struct retrainer *retraining;   /* running, or NULL */
	struct retrain_stats retrain;
	uint64_t history_lost;          /* windows the history could not keep, in all */
	int history_failing;            /* the last window could not be kept */
	time_t model_time;              /* when the model in use was made */
	time_t expire_at;               /* when old history is next looked for */
	struct sources *sources;
	time_t progress_at;             /* a replay's last progress line */
	struct sinks *sinks;            /* alerts and --samples */
	/* the process */
	ev_timer tick, drain, watchdog;
	ev_signal sig_term, sig_int, sig_hup;
	double drain_until;
	uint64_t status_frames;         /* frames at the last STATUS line */
	struct metrics *metrics;
	int stopping, exit_code;
};

/* cmd_run.c */
void daemon_stop(struct daemon *d, const char *why);

/* run_windows.c */
int windows_open(struct daemon *d);
/* Closes every open window and hands it to the score thread. */
void windows_flush(struct daemon *d);
void windows_close(struct daemon *d);
/* The windows' counts (the loop's table and the workers'). */
void windows_stats(const struct daemon *d, struct window_stats *sum);
struct model *windows_load_model(const char *path);
int windows_use_model(struct daemon *d, struct model *m);
/* The configuration's alert settings to the scorer. */
void windows_apply_settings(struct daemon *d);
/* The score thread with the sources' memory (read from its state file) and
 * the history (every segment counted when cold: no model yet), and its end
 * (every window handed over scored and delivered, the memory saved). */
int windows_start_scoring(struct daemon *d, int cold);
void windows_stop_scoring(struct daemon *d, struct score_counts *last);
/* The score thread's counts (zero before it starts). */
void windows_counts(const struct daemon *d, struct score_counts *out);
/* Deletes history past its retention, at most once an hour. */
void windows_expire_history(struct daemon *d, time_t now);
void windows_schedule_retraining(struct daemon *d, time_t now);
/* Whether the daemon is still waiting for its first model, and how far
 * the history is towards it. */
int windows_learning(const struct daemon *d, uint64_t *have, uint64_t *need);
/* The windows', scoring's, alerts' (sinks too) and model's metrics (a
 * metrics_writer_fn of d). */
void windows_write_metrics(void *ctx, FILE *out);

#endif
