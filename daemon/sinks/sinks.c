#include "sinks/sinks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/hostport.h"
#include "sinks/jsonl_sink.h"
#include "common/log.h"
#include "common/metrics.h"
#include "sinks/redis_sink.h"
#include "sinks/sample_csv.h"
#include "store/spool.h"

struct sinks {
	struct spool *spool;
	struct redis_sink *redis;
	struct jsonl_sink *jsonl;
	struct sample_csv samples;
	int samples_failed;         /* --samples could not be written: no more rows */
	uint64_t drain_failures;    /* the Redis sink's failures when the drain began */
};

static int open_samples(struct sinks *s, const char *path)
{
	if (!path)
		return EX_OK;
	s->samples.out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!s->samples.out) {
		log_err("%s: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	sample_csv_header(s->samples.out);
	return EX_OK;
}

static int open_redis(struct sinks *s, struct ev_loop *loop, const struct config *c)
{
	char err[512];

	if (!(s->spool = spool_open(c->spool_dir, c->spool_max_bytes, err, sizeof err))) {
		log_err("spool: %s", err);
		return EX_CANTCREAT;
	}
	if (!spool_is_open(s->spool)) /* a full disk: capture and scoring need none of it */
		log_err("spool: %s; alerts Redis cannot take are held in memory until it can be "
			"made", err);
	if (spool_stats(s->spool)->cut_bytes)
		log_warn("spool: %" PRIu64 " bytes of a torn record cut at the end",
			 spool_stats(s->spool)->cut_bytes);
	/* a bad address or password file: the sink says which; a scorer's
	 * alerts may come twice (a window scored again after a takeover) */
	struct redis_sink_config rc = { c->redis,
					c->redis_password_file,
					c->stream,
					c->maxlen,
					c->connect_timeout_ms,
					c->command_timeout_ms,
					.once = c->role == CONFIG_ROLE_SCORER };
	return (s->redis = redis_sink_new(loop, &rc, s->spool)) ? EX_OK : EX_CONFIG;
}

/* The alert sinks c configures: JSON lines (or standard output when there
 * is no other), Redis through the spool. */
static int open_alerts(struct sinks *s, struct ev_loop *loop, const struct config *c)
{
	if (!c->redis && !c->jsonl)
		log_warn("no alert sink configured ([redis] address, [jsonl] path): alerts go to "
			 "standard output");
	if ((c->jsonl || !c->redis) && !(s->jsonl = jsonl_sink_open(c->jsonl ? c->jsonl : "-")))
		return EX_CANTCREAT;
	return c->redis ? open_redis(s, loop, c) : EX_OK;
}

struct sinks *sinks_open(struct ev_loop *loop, const struct config *c, const char *samples_path,
			 int *rc)
{
	struct sinks *s = calloc(1, sizeof *s);

	*rc = EX_OSERR;
	if (s && (*rc = open_samples(s, samples_path)) == EX_OK &&
	    (c->role == CONFIG_ROLE_SENSOR /* a sensor makes no alerts: its scorers do */ ||
	     (*rc = open_alerts(s, loop, c)) == EX_OK))
		return s;
	sinks_close(s);
	return NULL;
}

void sinks_close(struct sinks *s)
{
	if (!s)
		return;
	redis_sink_free(s->redis);
	spool_close(s->spool);
	jsonl_sink_close(s->jsonl);
	if (s->samples.out && s->samples.out != stdout)
		fclose(s->samples.out);
	free(s);
}

void sinks_deliver(struct sinks *s, const struct alert_record *a, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; s->jsonl && i < n; i++)
		jsonl_sink_push(s->jsonl, &a[i]);
	if (s->redis && n)
		redis_sink_push_batch(s->redis, a, n);
}

void sinks_sample(struct sinks *s, int64_t start, const ip_addr *src,
		  const struct window_counters *c)
{
	if (!s || !s->samples.out || s->samples_failed)
		return;
	int rc = sample_csv_row(&s->samples, start, src, c);
	if (rc == 0)
		return;
	s->samples_failed = 1; /* the copy for the user; scoring goes on */
	log_err("--samples: write error: %s; no more rows are written", strerror(-rc));
}

void sinks_window_done(struct sinks *s)
{
	if (s && s->samples.out)
		fflush(s->samples.out);
}

void sinks_reopen(struct sinks *s)
{
	if (s->jsonl)
		jsonl_sink_reopen(s->jsonl);
}

void sinks_start_drain(struct sinks *s)
{
	if (!s->redis)
		return;
	s->drain_failures = redis_sink_stats(s->redis)->failures;
	if (!redis_sink_drained(s->redis))
		redis_sink_retry_now(s->redis);
}

int sinks_drained(struct sinks *s)
{
	return !s->redis || redis_sink_drained(s->redis) ||
	       (redis_sink_unreachable(s->redis) &&
		redis_sink_stats(s->redis)->failures > s->drain_failures);
}

void sinks_log_undelivered(const struct sinks *s)
{
	if (s->redis && !redis_sink_drained(s->redis))
		log_warn("%" PRIu64 " alerts stay in the spool; they are sent at the next start",
			 spool_stats(s->spool)->pending);
}

void sinks_write_metrics(void *ctx, FILE *out)
{
	const struct sinks *s = ctx;
	if (!s || !s->redis)
		return;
	const struct redis_sink_stats *r = redis_sink_stats(s->redis);
	const struct {
		const char *name, *type, *help;
		double value;
	} m[] = {
		{ "redis_sent_total", "counter", "Alerts Redis acknowledged.", (double)r->sent },
		{ "redis_spooled", "gauge", "Alerts waiting in the spool.",
		  (double)spool_stats(s->spool)->pending },
		{ "redis_spool_dropped_total", "counter", "Alerts the spool's bound pushed out.",
		  (double)r->dropped },
		{ "redis_connected", "gauge", "1 while connected to Redis.", r->connected },
		{ "redis_connects_total", "counter", "Connections made to Redis.",
		  (double)r->connects },
		{ "redis_failures_total", "counter", "Connection attempts or commands that failed.",
		  (double)r->failures },
		{ "redis_redirects_total", "counter",
		  "MOVED replies followed: the stream's slot served by another cluster node.",
		  (double)r->redirects },
		{ "redis_unreplicated_total", "counter",
		  "Alerts delivered that no replica acknowledged in time (cluster, sentinel).",
		  (double)r->unreplicated },
		{ "spool_write_failures_total", "counter",
		  "Batches of alerts the spool's disk refused (full, I/O errors).",
		  (double)r->spool_failures },
		{ "spool_held_in_memory", "gauge",
		  "Alerts held in memory until the spool can be written again.", (double)r->held },
		{ "alerts_lost_total", "counter",
		  "Alerts lost: beyond the memory hold, or held when flowsad stopped.",
		  (double)r->lost },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		metrics_value(out, m[i].name, m[i].type, m[i].help, NULL, m[i].value);
}
