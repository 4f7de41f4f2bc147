/* stores: what the score thread keeps across windows, opened from the
 * configuration: the sources' memory (lib/features/baseline.h, [baseline])
 * and the history of closed windows (lib/store/history.h, [history]).
 * Failures are logged here. */
#ifndef FLOWSAD_STORES_H
#define FLOWSAD_STORES_H

#include "common/config.h"
#include "features/baseline.h"
#include "store/history.h"

/* The sources' memory, read from its state file ([baseline] state, or
 * baseline.state in the history's folder; a missing file is no memory).
 * *path: that file (malloc'd), or NULL without one. NULL without memory. */
struct baseline *stores_open_baseline(const struct config *c, char **path);
/* The history (*h NULL without [history] dir): every segment is counted on
 * a cold start (it waits for a number of windows), only the newest with a
 * model. Returns a sysexits code. */
int stores_open_history(const struct config *c, int cold, struct history **h);

#endif
