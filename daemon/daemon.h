/* daemon: the state of flowsad run and the parts of its event loop.
 *
 *   cmd_run.c      options and settings, start and stop, signals, the tick
 *   run_sources.c  live interfaces, NetFlow/IPFIX listeners, file replay
 *   run_windows.c  the window table, the hand-over of closed windows to the
 *                  score thread, the model and its retraining
 *   capture_workers.c  live interfaces read and counted by worker threads,
 *                  whose windows window_parts.c merges for the loop
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
#include "follow.h"

#include "capture_workers.h"
#include "pcap_input.h"
#include "window_parts.h"

#include "retrainer.h"
#include "sinks.h"
#include "score_thread.h"
#include "scorer.h"
#include "udp_input.h"

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

struct source_watch {
	ev_io io;
	struct daemon *d;
	const char *name;
	struct capture *capture;        /* or */
	struct udp_listener *udp;
	int iface;                      /* read by the workers: the interface index (else -1) */
	uint64_t drops_seen;            /* drops already reported */
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
	/* sources */
	struct netflow_decoder *nf;
	struct decode_tally tally;      /* the loop's own reading (replays) */
	struct capture_workers *workers;/* live interfaces read by worker threads, or NULL */
	struct filter_nets allow;
	struct source_watch live[2 * CONFIG_MAX_LIST];
	int n_live;
	int next_file;
	struct follower *follow;        /* followed connection logs, or NULL */
	struct capture *replay;
	enum input_format replay_format;
	ev_idle replay_w;               /* as fast as it goes, or */
	ev_timer pacing_w;              /* replay_pps / PACING_HZ frames per turn */
	time_t progress_at;
	struct sinks *sinks;            /* alerts and --samples */
	/* the process */
	ev_timer tick, drain, watchdog;
	ev_signal sig_term, sig_int, sig_hup;
	double drain_until;
	struct metrics *metrics;
	int stopping, exit_code;
};

/* cmd_run.c */
void daemon_stop(struct daemon *d, const char *why);

/* run_sources.c */
int sources_open_live(struct daemon *d);
void sources_close(struct daemon *d);
void sources_start_replay(struct daemon *d);
void sources_report_drops(struct daemon *d);
/* Each source's counts at the end (frames and windows: cmd_run.c, once the
 * last window is flushed). */
void sources_log(struct daemon *d);
/* The sources' metrics (a metrics_writer_fn of d). */
void sources_write_metrics(void *ctx, FILE *out);
/* A source's counts as a line; returns its drops so far. */
uint64_t sources_counts(const struct source_watch *s, char *line, size_t len);
/* Whether a source the loop reads is open (a listener, a capture on the
 * loop, a followed log, a replay). */
int sources_listening(const struct daemon *d);
/* What every reader decoded (the loop's and the workers'). */
void sources_tally(const struct daemon *d, struct decode_tally *sum);

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
