/* follow: connection logs followed as they grow, as tail -F follows them:
 * Zeek conn.log (TSV or JSON) and Suricata EVE, told apart by their first
 * bytes. Polled from the loop (once a second): what was appended since is
 * read, a line still being written waits for its end; a new file at the
 * path (rotation) is taken after the rest of the old one, a truncated file
 * is read again from its start. Where each file was left is written to a
 * positions file (every FOLLOW_SAVE_SECONDS and at the end), so a restart
 * goes on where the last run stopped; a log without a saved position is
 * followed from its end. Everything here runs on the loop's thread. */
#ifndef FLOWSAD_FOLLOW_H
#define FLOWSAD_FOLLOW_H

#include <stdint.h>
#include <time.h>

#include "features/window.h"

#define FOLLOW_SAVE_SECONDS 10

struct follower;

/* Follows the n paths (they may not exist yet), positions kept in
 * positions_path. NULL after logging why, with a sysexits code in *rc. */
struct follower *follow_open(char *const *paths, int n, const char *positions_path, int *rc);
/* Reads what the logs gained into t. Returns the records read. */
uint64_t follow_poll(struct follower *f, time_t now, struct window_table *t, window_emit_fn emit,
		     void *ctx);
/* Logs each log's counts (one line each). */
void follow_log(const struct follower *f);
/* Saves the positions and closes the logs. */
void follow_close(struct follower *f);

#endif
