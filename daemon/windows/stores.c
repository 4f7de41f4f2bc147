/* The score thread's stores, opened from the configuration (stores.h). */
#include "windows/stores.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "common/log.h"

struct baseline *stores_open_baseline(const struct config *c, char **path)
{
	char err[512];
	struct baseline *b = baseline_new((size_t)c->baseline_max_hosts, c->baseline_horizon);

	*path = NULL;
	if (!b) {
		log_err("out of memory for the memory of %" PRIu64 " sources",
			c->baseline_max_hosts);
		return NULL;
	}
	if (c->baseline_state)
		*path = strdup(c->baseline_state);
	else if (c->history_dir && asprintf(path, "%s/baseline.state", c->history_dir) < 0)
		*path = NULL;
	if (!*path)
		return b;
	int rc = baseline_load(b, *path, err, sizeof err);
	if (rc == 0)
		log_info("baseline %s: %" PRIu64 " sources remembered", *path,
			 baseline_stats(b)->hosts);
	else if (rc != -ENOENT)
		log_warn("baseline: %s; starting with no memory of the sources", err);
	return b;
}

int stores_open_history(const struct config *c, int cold, struct history **h)
{
	char err[512];
	*h = NULL;
	if (!c->history_dir)
		return EX_OK;
	if (!(*h = history_open(c->history_dir, c->history_retention, cold, err, sizeof err))) {
		log_err("history: %s", err);
		return EX_CANTCREAT;
	}
	const struct history_stats *st = history_stats(*h);
	if (st->cut_bytes)
		log_warn("history: %" PRIu64 " bytes of a torn record cut at the end",
			 st->cut_bytes);
	log_info("history %s: %" PRIu64 " samples in %" PRIu64 " windows", c->history_dir,
		 st->records, st->windows);
	return EX_OK;
}
