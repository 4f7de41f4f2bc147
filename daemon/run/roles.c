/* [role] sensor and scorer wired to the windows (roles.h). */
#include "run/roles.h"

#include <stdlib.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/metrics.h"
#include "fleet/part_collector.h"
#include "fleet/part_publisher.h"

struct roles {
	struct ev_loop *loop;
	const struct config *conf;
	struct windows *windows;
	struct sinks *sinks;
	struct part_publisher *publisher; /* a sensor's: windows go to the scorers */
	struct part_collector *collector; /* a scorer's: windows come from the sensors */
};

struct roles *roles_new(struct ev_loop *loop, const struct config *conf, struct windows *w,
			struct sinks *sinks)
{
	struct roles *r = calloc(1, sizeof *r);
	if (r)
		*r = (struct roles){ .loop = loop, .conf = conf, .windows = w, .sinks = sinks };
	return r;
}

/* A sensor's closed window, to the scorers. */
static void publish_window(void *ctx, int64_t start, struct sample_set *set)
{
	struct roles *r = ctx;
	part_publisher_window(r->publisher, start, set);
}

static void publish_closed_before(void *ctx, int64_t start)
{
	struct roles *r = ctx;
	part_publisher_closed_before(r->publisher, start);
}

/* A scorer's model, just taken into use, for the scorers that start without one. */
static void publish_model(void *ctx)
{
	struct roles *r = ctx;
	part_collector_publish_model(r->collector, r->conf->model);
}

/* [role] name, or the host's name. */
static void role_name(const struct config *c, char *buf, size_t len)
{
	if (c->role_name)
		snprintf(buf, len, "%s", c->role_name);
	else if (gethostname(buf, len) != 0 || !buf[0])
		snprintf(buf, len, "flowsad-%ld", (long)getpid());
	buf[len - 1] = '\0';
}

/* The sensor's or scorer's name and its need of Redis. Returns a sysexits
 * code. */
static int role_needs(const struct roles *r, char *name, size_t len)
{
	const struct config *c = r->conf;
	role_name(c, name, len);
	if (c->redis)
		return EX_OK;
	log_err("[role] mode = %s needs [redis] address (the streams of windows between sensors "
		"and scorers)",
		config_role_names[c->role]);
	return EX_CONFIG;
}

int roles_start_publishing(struct roles *r, const volatile sig_atomic_t *stop_asked)
{
	char name[128];
	const struct config *c = r->conf;
	struct part_publisher_config pc = { .address = c->redis,
					    .password_file = c->redis_password_file,
					    .timeout_ms = c->command_timeout_ms,
					    .stop_asked = stop_asked };
	int rc = role_needs(r, name, sizeof name);
	if (rc != EX_OK)
		return rc;
	pc.prefix = c->parts_prefix;
	pc.name = name;
	pc.n_parts = c->partitions;
	pc.window_seconds = windows_window_seconds(r->windows);
	if (!(r->publisher = part_publisher_start(&pc)))
		return EX_UNAVAILABLE;
	struct window_sink sink = { publish_window, publish_closed_before, r };
	windows_send_to(r->windows, &sink);
	log_info("sensor %s: windows of %u s to %s:0..%u", name, pc.window_seconds, pc.prefix,
		 pc.n_parts - 1);
	return EX_OK;
}

/* A merged window from the sensors: scored as one closed here. */
static void window_collected(void *ctx, int64_t start, struct sample_set *set,
			     struct alerted *done)
{
	struct roles *r = ctx;
	windows_take(r->windows, start, set, done);
}

/* The memory of a partition's sources, from the scorer that held it. */
static void memory_taken(void *ctx, struct memory_batch *b)
{
	struct roles *r = ctx;
	windows_take_memory(r->windows, b);
}

/* The memory of a window's sources (on the score thread), to keep. */
static void memory_shared(void *ctx, struct memory_batch *b)
{
	struct roles *r = ctx;
	part_collector_keep_memory(r->collector, b);
}

/* A scorer's view of [role] and [redis] (name: its buffer). Returns a
 * sysexits code. */
static int collector_config(const struct roles *r, char *name, size_t len,
			    struct part_collector_config *pc)
{
	const struct config *c = r->conf;
	*pc = (struct part_collector_config){ .address = c->redis,
					      .password_file = c->redis_password_file,
					      .timeout_ms = c->command_timeout_ms,
					      .prefix = c->parts_prefix,
					      .name = name,
					      .alert_stream = c->stream,
					      .n_parts = c->partitions,
					      .deadline_seconds = c->merge_deadline,
					      .sensors = c->role_sensors,
					      .window_seconds =
						      windows_window_seconds(r->windows),
					      .memory = memory_taken };
	return role_needs(r, name, len);
}

int roles_fetch_model(struct roles *r)
{
	char name[128];
	struct part_collector_config pc;
	if (collector_config(r, name, sizeof name, &pc) != EX_OK ||
	    part_collector_fetch_model(&pc, r->conf->model) < 0)
		return EX_UNAVAILABLE;
	return EX_OK;
}

int roles_start_collecting(struct roles *r)
{
	char name[128];
	struct part_collector_config pc;
	int rc = collector_config(r, name, sizeof name, &pc);
	if (rc != EX_OK)
		return rc;
	if (!(r->collector = part_collector_start(r->loop, &pc, window_collected, r)))
		return EX_UNAVAILABLE;
	windows_share_memory(r->windows, memory_shared, r);
	time_t made;
	if (windows_model_id(r->windows, &made)[0]) /* a model in use: for the others too */
		part_collector_publish_model(r->collector, r->conf->model);
	windows_on_model(r->windows, publish_model, r);
	log_info("scorer %s: windows of %u s from %s:0..%u, waiting at most %u s for sensors", name,
		 pc.window_seconds, pc.prefix, pc.n_parts - 1, pc.deadline_seconds);
	return EX_OK;
}

/* A scorer's windows scored, their alerts out: their entries can go. */
void roles_tick(struct roles *r)
{
	if (r->collector && sinks_drained(r->sinks))
		part_collector_delivered(r->collector, windows_scored(r->windows));
}

void roles_pause(struct roles *r)
{
	if (r)
		part_collector_pause(r->collector);
}

void roles_stop_publishing(struct roles *r)
{
	if (!r || !r->publisher)
		return;
	/* a sensor's stop waits for Redis as long as one command may */
	part_publisher_stop(r->publisher, r->conf->command_timeout_ms / 1000.0);
	r->publisher = NULL;
	windows_send_to(r->windows, NULL);
}

void roles_free(struct roles *r)
{
	if (!r)
		return;
	roles_stop_publishing(r);
	roles_tick(r);
	part_collector_stop(r->collector);
	free(r);
}

void roles_write_metrics(void *ctx, FILE *out)
{
	const struct roles *w = ctx;
	if (w->publisher) {
		struct part_publisher_stats s;
		part_publisher_stats(w->publisher, &s);
		metrics_value(out, "sensor_windows_total", "counter",
			      "Windows sent to the scorers.", NULL, (double)s.windows);
		metrics_value(out, "sensor_bytes_total", "counter",
			      "Bytes of partitions sent to the scorers.", NULL, (double)s.bytes);
		metrics_value(out, "sensor_failures_total", "counter",
			      "Attempts to send a window that Redis did not take.", NULL,
			      (double)s.failures);
		metrics_value(out, "sensor_unreplicated_total", "counter",
			      "Entries sent that no replica acknowledged in time (WAIT).", NULL,
			      (double)s.unreplicated);
		metrics_value(out, "sensor_last_send_duration_seconds", "gauge",
			      "How long the last window took to encode and send.", NULL,
			      s.last_seconds);
	}
	if (!w->collector)
		return;
	struct part_collector_stats s;
	part_collector_stats(w->collector, &s);
	metrics_value(out, "scorer_parts_total", "counter", "Sensors' partitions read.", NULL,
		      (double)s.parts);
	metrics_value(out, "scorer_parts_dropped_total", "counter",
		      "Partitions dropped: late (their window was scored) or unreadable.",
		      "{why=\"late\"}", (double)s.late);
	metrics_labelled(out, "scorer_parts_dropped_total", "{why=\"unreadable\"}", (double)s.bad);
	metrics_value(out, "scorer_windows_incomplete_total", "counter",
		      "Windows merged at the deadline without every sensor's part.", NULL,
		      (double)s.incomplete);
	metrics_value(out, "scorer_claimed_total", "counter",
		      "Entries claimed that another scorer read and never acknowledged.", NULL,
		      (double)s.claimed);
	metrics_value(out, "scorer_memory_lost_total", "counter",
		      "Commits of the sources' memory Redis did not take (tried again; a "
		      "scorer taking over meanwhile scores those windows again).",
		      NULL, (double)s.memory_lost);
	metrics_value(out, "scorer_partitions", "gauge", "Partitions this scorer holds.", NULL,
		      s.owned);
	metrics_value(out, "scorer_sensors", "gauge", "Sensors heard within [role] deadline.", NULL,
		      s.sensors);
}
