/* sources: what the daemon reads. Live interfaces (on the loop, or spread
 * over capture workers: capture_workers.h), NetFlow/IPFIX listeners and
 * followed connection logs watched by the loop, or files replayed a step
 * at a time. What the loop reads is counted into the table its owner names
 * (hooks.table: the windows' current one); the workers count on their own
 * and hand their windows to the parts the windows give them.
 *
 * Threads: every function here runs on the loop's thread. */
#ifndef FLOWSAD_SOURCES_H
#define FLOWSAD_SOURCES_H

#include <ev.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/config.h"
#include "capture/capture_workers.h"
#include "common/cli.h"
#include "features/window.h"
#include "ingest/decode.h"

/* What the command line adds: files to replay (as fast as they read, or at
 * replay_pps frames a second) and how their format is told. */
struct sources_input {
	const struct cli_common *common;
	char *const *files;
	int n_files;
	long replay_pps;
};

struct sources_hooks {
	/* the table the loop counts into now (NULL: none yet) */
	struct window_table *(*table)(void *ctx);
	/* reading is over: no source left (exit_code EX_UNAVAILABLE), the
	 * replay's end (EX_OK) or a replayed file's failure (EX_DATAERR) */
	void (*done)(void *ctx, const char *why, int exit_code);
	void *ctx;
};

struct sources;

/* Opens the configuration's interfaces, listeners and followed logs (conf
 * is borrowed: the daemon's, renewed at a reload). Returns NULL after
 * logging why, with a sysexits code in *rc. */
struct sources *sources_open(struct ev_loop *loop, const struct config *conf,
			     const struct sources_input *in, const struct sources_hooks *hooks,
			     int *rc);
/* Starts replaying the input's files. */
void sources_start_replay(struct sources *s);
/* Each second: followed logs read, drops reported, the end noticed when no
 * source is left. */
void sources_tick(struct sources *s, time_t now);
/* Stops reading: the workers first (their windows go to their parts),
 * every source's counts logged, the loop's sources closed. */
void sources_stop(struct sources *s);
void sources_free(struct sources *s);

/* The capture workers, or NULL (interfaces read on the loop, or none). */
struct capture_workers *sources_workers(const struct sources *s);
/* Whether the loop reads a source of its own (a listener, a capture, a
 * followed log, a replay), and whether any source is live (the windows
 * then close by the wall clock too). */
int sources_listening(const struct sources *s);
int sources_live(const struct sources *s);
/* What every reader decoded (the loop's and the workers'). */
void sources_tally(const struct sources *s, struct decode_tally *sum);
/* The sources' metrics (a metrics_writer_fn of s). */
void sources_write_metrics(void *ctx, FILE *out);

#endif
