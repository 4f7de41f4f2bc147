#include "sinks/redis_sink.h"

#include <errno.h>
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/alert.h"
#include "base/isotime.h"
#include "common/log.h"
#include "redis/redis_topology.h"

#define BACKOFF_FIRST 0.2
#define BACKOFF_MAX 10.0
#define VERIFY_ENTRIES "64" /* newest stream entries searched for an unanswered XADD */

#define REDIS_HOLD_BYTES (16u << 20) /* alerts held while the spool cannot be written */

struct redis_sink {
	struct ev_loop *loop;
	char *stream;
	char *sent; /* once: the sets of alerts sent, a window's after it; NULL: plain XADD */
	/* where the stream goes: the node tried now (a seed, a Sentinel to ask,
	 * the master a MOVED reply or a Sentinel named), the topology's choice */
	struct redis_topology *topo;
	int node;
	int redirects; /* MOVED followed since the last alert delivered or retry */
	struct redis_replicas replicas; /* whether an XADD here waits for a replica */
	char address[HOSTPORT_MAX + 8]; /* the node's, for messages */
	uint64_t maxlen;
	double connect_timeout, command_timeout;
	uint32_t command_timeout_ms;
	struct spool *spool;
	redisAsyncContext *ac;
	int ready;       /* connected, authenticated and checked: XADDs may go */
	int in_flight;   /* an XADD is waiting for its reply */
	int unacked;     /* an XADD's reply was lost with its connection */
	int unreachable; /* the last attempt failed */
	double backoff;
	uint64_t answers;  /* connect and reply callbacks run: progress for on_deadline */
	uint64_t dropped_logged;
	/* alerts the spool could not take (its disk full): held here, oldest
	 * first, and spooled as soon as it can take them again */
	struct spool_item *held;
	size_t n_held, cap_held, held_bytes;
	int spool_failing;
	ev_timer retry, deadline;
	struct redis_sink_stats st;
};

/* A spooled alert: src_ip, window start, score and the JSON, one per line. */
struct spooled {
	char *fields[4];
};

static int parse_spooled(char *rec, struct spooled *s)
{
	for (int i = 0; i < 4; i++) {
		s->fields[i] = rec;
		char *nl = i < 3 ? strchr(rec, '\n') : NULL;
		if (i < 3 && !nl)
			return -1;
		if (nl) {
			*nl = '\0';
			rec = nl + 1;
		}
	}
	return 0;
}

/* Holds the records of a batch the spool refused (they are taken: the
 * caller no longer frees them), within REDIS_HOLD_BYTES: beyond, the
 * oldest held go, counted as lost. */
static void hold(struct redis_sink *r, struct spool_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (r->n_held == r->cap_held) {
			size_t cap = r->cap_held ? 2 * r->cap_held : 256;
			struct spool_item *more = realloc(r->held, cap * sizeof *more);
			if (!more) {
				free((void *)items[i].data);
				r->st.lost++;
				continue;
			}
			r->held = more;
			r->cap_held = cap;
		}
		r->held[r->n_held++] = items[i];
		r->held_bytes += items[i].len;
	}
	size_t drop = 0;
	while (r->held_bytes > REDIS_HOLD_BYTES && drop < r->n_held) {
		r->held_bytes -= r->held[drop].len;
		free((void *)r->held[drop++].data);
	}
	if (drop) {
		memmove(r->held, r->held + drop, (r->n_held - drop) * sizeof *r->held);
		r->n_held -= drop;
		r->st.lost += drop;
	}
	r->st.held = r->n_held;
}

static void free_held(struct redis_sink *r)
{
	for (size_t i = 0; i < r->n_held; i++)
		free((void *)r->held[i].data);
	r->n_held = r->held_bytes = 0;
	r->st.held = 0;
}

/* The held alerts to the spool, now that it may take them. */
static int spool_held(struct redis_sink *r)
{
	if (!r->n_held)
		return 0;
	if (spool_append_batch(r->spool, r->held, r->n_held) < 0)
		return -1;
	log_info("spool: writable again; %zu alerts held in memory are spooled", r->n_held);
	r->st.spooled += r->n_held;
	free_held(r);
	return 0;
}

/* At the end: the held alerts to the spool if it takes them now, else lost. */
static void release_held(struct redis_sink *r)
{
	if (r->n_held && spool_held(r) < 0) {
		log_err("spool: still cannot write (%s): %zu alerts held in memory are lost",
			strerror(errno), r->n_held);
		r->st.lost += r->n_held;
		free_held(r);
	}
	free(r->held);
	r->held = NULL;
}

/* A batch the spool took, or not: the first refusal of an episode is
 * logged with what happens to the alerts, the recovery once. */
static void spool_batch(struct redis_sink *r, struct spool_item *items, size_t n,
			const char *window)
{
	size_t held = r->n_held;
	if (spool_held(r) == 0 && spool_append_batch(r->spool, items, n) == 0) {
		if (r->spool_failing && !held)
			log_info("spool: writable again");
		r->spool_failing = 0;
		r->st.spooled += n;
		for (size_t i = 0; i < n; i++)
			free((void *)items[i].data);
		return;
	}
	r->st.spool_failures++;
	if (!r->spool_failing)
		log_err("spool: cannot write (%s) from window %s on: alerts are held in memory "
			"(up to %d MiB, then the oldest are lost) until it can",
			strerror(errno), window, REDIS_HOLD_BYTES >> 20);
	r->spool_failing = 1;
	hold(r, items, n);
}

static void connect_now(struct redis_sink *r);

static void use_node(struct redis_sink *r, int node)
{
	r->node = node;
	hostport_format(redis_topology_host(r->topo, node), r->address, sizeof r->address);
}

/* The node tried failed: the next attempt goes where the topology says, to
 * the next seed or node met (the node may be a master that failed, and any
 * node of a cluster names the stream's master; a Sentinel, the new master).
 * The backoff bounds the redirections from here on. */
static void schedule_retry(struct redis_sink *r)
{
	redis_topology_lost(r->topo, r->node);
	use_node(r, redis_topology_node_for(r->topo, r->stream));
	r->redirects = 0;
	r->unreachable = 1;
	r->st.failures++;
	ev_timer_stop(r->loop, &r->deadline);
	ev_timer_set(&r->retry, r->backoff, 0);
	ev_timer_start(r->loop, &r->retry);
	r->backoff = r->backoff * 2 < BACKOFF_MAX ? r->backoff * 2 : BACKOFF_MAX;
}

/* Closes the connection in use; an XADD or WAIT it carried is unacked. */
static void leave_connection(struct redis_sink *r)
{
	redisAsyncContext *ac = r->ac;
	r->ac = NULL;
	r->ready = 0;
	if (r->in_flight) {
		r->unacked = 1;
		r->in_flight = 0;
	}
	r->st.connected = 0;
	ev_timer_stop(r->loop, &r->deadline);
	if (ac)
		redisAsyncFree(ac); /* its callbacks see r->ac != ac and stand aside */
}

/* Gives up the connection (a timeout, an error reply) and retries later. */
static void drop_connection(struct redis_sink *r, const char *why)
{
	log_warn("redis %s: %s; retrying in %.1f s", r->address, why, r->backoff);
	leave_connection(r);
	schedule_retry(r);
}

static void start_deadline(struct redis_sink *r, double seconds)
{
	ev_timer_stop(r->loop, &r->deadline);
	ev_timer_set(&r->deadline, seconds, 0);
	ev_timer_start(r->loop, &r->deadline);
}

/* Whether a reply is for the connection in use (a given-up one's callbacks
 * stand aside); it is progress, and its deadline is met. */
static int current_reply(struct redis_sink *r, const redisAsyncContext *ac)
{
	if (r->ac != ac)
		return 0;
	r->answers++;
	ev_timer_stop(r->loop, &r->deadline);
	return 1;
}

/* The deadline also passes while the loop is busy elsewhere (scoring a
 * large window takes seconds), with the answer waiting in the socket: it
 * is looked for before the connection is given up. */
static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct redis_sink *r = w->data;
	uint64_t answers = r->answers;
	(void)loop, (void)revents;
	if (r->st.connected)
		redisAsyncHandleRead(r->ac);
	else
		redisAsyncHandleWrite(r->ac); /* a connect completes as the socket turns writable */
	if (r->answers == answers)
		drop_connection(r, r->st.connected ? "no reply in time" : "no connection in time");
}

static void send_next(struct redis_sink *r);
static void become_ready(struct redis_sink *r);

/* Leaves the node for node to (at once: no backoff). */
static void reconnect_to(struct redis_sink *r, int to)
{
	leave_connection(r);
	use_node(r, to);
	connect_now(r);
}

/* A MOVED reply: the stream's slot is served by another node (a cluster
 * resharded, or a replica promoted). The command was not run there; it is
 * sent again at once to the node named. */
static void follow_redirect(struct redis_sink *r, int to)
{
	char from[sizeof r->address];
	snprintf(from, sizeof from, "%s", r->address);
	r->st.redirects++;
	r->redirects++;
	reconnect_to(r, to);
	log_info("redis %s: the stream's slot is served by %s", from, r->address);
}

/* Whether a reply is unusable: NULL (the connection went, and
 * on_disconnect retries), a redirection (followed), or an error, which
 * gives the connection up. */
static int reply_failed(struct redis_sink *r, const redisReply *reply, const char *command)
{
	char why[256];
	int to;
	if (!reply)
		return 1;
	if (reply->type != REDIS_REPLY_ERROR)
		return 0;
	if (redis_topology_redirect(r->topo, r->stream, reply, &to) == REDIS_REDIRECT_MOVED &&
	    r->redirects < REDIS_TOPOLOGY_MAX_HOPS) {
		follow_redirect(r, to);
		return 1;
	}
	snprintf(why, sizeof why, "%s refused: %s", command, reply->str);
	drop_connection(r, why);
	return 1;
}

/* The alert in flight is Redis's: out of the spool, the next one sent. */
static void delivered(struct redis_sink *r)
{
	if (spool_pop(r->spool) < 0)
		log_err("spool: cannot mark an alert sent: %s (it may be sent again)",
			strerror(errno));
	r->st.sent++;
	r->redirects = 0;
	send_next(r);
}

/* The answer to WAIT after an XADD: how many replicas have the alert. */
static void on_wait(redisAsyncContext *ac, void *reply_, void *privdata)
{
	struct redis_sink *r = privdata;
	redisReply *reply = reply_;

	if (!r->in_flight || !current_reply(r, ac))
		return; /* the master went first: the alert is looked for after a reconnect */
	r->in_flight = 0;
	r->unacked = !reply;
	if (reply_failed(r, reply, "WAIT"))
		return;
	if (redis_topology_replicas_waited(&r->replicas, reply) == 0)
		r->st.unreplicated++; /* no replica took it in time: INFO asked again */
	delivered(r);
}

/* A master with replicas (its INFO said so at this connection, whatever
 * the address): an alert leaves the spool once one of them has it too, so
 * that a failover cannot take it. A connection lost meanwhile leaves it
 * unacked: looked for, then sent again if it is not there. Returns 0 when
 * WAIT went out. */
static int wait_for_replica(struct redis_sink *r)
{
	char ms[REDIS_TOPOLOGY_WAIT_MS_LEN];
	const char *argv[3];
	int argc = redis_topology_wait_argv(r->command_timeout_ms, ms, argv);
	r->in_flight = 1;
	r->unacked = 1;
	if (redisAsyncCommandArgv(r->ac, on_wait, r, argc, argv, NULL) != REDIS_OK) {
		drop_connection(r, "cannot send WAIT");
		return -1;
	}
	start_deadline(r, 2 * r->command_timeout); /* WAIT itself may take command_timeout */
	return 0;
}

static void on_xadd(redisAsyncContext *ac, void *reply_, void *privdata)
{
	struct redis_sink *r = privdata;
	redisReply *reply = reply_;

	if (!r->in_flight || !current_reply(r, ac))
		return; /* a connection given up: its XADD stays spooled (unacked) */
	r->in_flight = 0;
	r->unacked = !reply; /* lost with the connection: was it added? */
	if (reply_failed(r, reply, r->sent ? "EVAL (XADD once)" : "XADD"))
		return;
	if (reply->type == REDIS_REPLY_NIL) { /* once: another scorer's, or an earlier try's */
		log_info("redis %s: an alert was in the stream already (its window was scored "
			 "again: a takeover?): not added twice",
			 r->address);
		delivered(r);
		return;
	}
	if (r->replicas.wait > 0)
		wait_for_replica(r);
	else
		delivered(r);
}

/* Looks for the alert's source in its window's set, adds the entry (the
 * XADD's arguments from ARGV[3] on) and marks it, as one step; nil when it
 * was there. */
static const char ONCE_SCRIPT[] =
	"if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then return false end "
	"local id = redis.call('XADD', KEYS[1], unpack(ARGV, 3)) "
	"redis.call('SADD', KEYS[2], ARGV[2]) "
	"redis.call('EXPIRE', KEYS[2], ARGV[1]) "
	"return id";

#define ADD_ARGS_MAX 20
#define TEXT(x) #x
#define DECIMAL(x) TEXT(x)
#define ONCE_SECONDS DECIMAL(REDIS_SINK_ONCE_SECONDS)

/* The command that adds alert a (its JSON alert): XADD, or the script
 * around it (once), with the set's key written into key[len]; the
 * arguments borrowed from a, alert, maxlen and key. Returns argc. */
static int add_argv(const struct redis_sink *r, const struct spooled *a, const char *alert,
		    const char *maxlen, char *key, size_t len, const char *argv[ADD_ARGS_MAX])
{
	int n = 0;
	if (r->sent) {
		snprintf(key, len, "%s%s", r->sent, a->fields[1]);
		argv[n++] = "EVAL", argv[n++] = ONCE_SCRIPT, argv[n++] = "2";
		argv[n++] = r->stream, argv[n++] = key;
		argv[n++] = ONCE_SECONDS, argv[n++] = a->fields[0];
	} else {
		argv[n++] = "XADD", argv[n++] = r->stream;
	}
	if (r->maxlen)
		argv[n++] = "MAXLEN", argv[n++] = "~", argv[n++] = maxlen;
	argv[n++] = "*";
	argv[n++] = "src_ip", argv[n++] = a->fields[0];
	argv[n++] = "window_start", argv[n++] = a->fields[1];
	argv[n++] = "score", argv[n++] = a->fields[2];
	argv[n++] = "alert", argv[n++] = alert;
	return n;
}

static void send_next(struct redis_sink *r)
{
	char *rec = NULL, maxlen[24], key[1024];
	const char *argv[ADD_ARGS_MAX];
	uint32_t len;
	struct spooled a;

	if (!r->ready || r->in_flight)
		return;
	if (redis_topology_replicas_due(&r->replicas, ev_now(r->loop))) {
		r->ready = 0; /* INFO replication first (become_ready), then the XADD */
		become_ready(r);
		return;
	}
	int got = spool_peek(r->spool, &rec, &len);
	if (got <= 0) {
		if (got < 0)
			log_err("spool: cannot read: %s", strerror(errno));
		return;
	}
	if (parse_spooled(rec, &a) < 0) { /* checksummed, so only a bug writes these */
		log_err("spool: malformed alert record skipped");
		spool_pop(r->spool);
		free(rec);
		send_next(r);
		return;
	}
	snprintf(maxlen, sizeof maxlen, "%" PRIu64, r->maxlen);
	char *upgraded = alert_upgrade(a.fields[3]); /* spooled by an earlier version */
	int argc = add_argv(r, &a, upgraded ? upgraded : a.fields[3], maxlen, key, sizeof key,
			    argv);
	int sent = redisAsyncCommandArgv(r->ac, on_xadd, r, argc, argv, NULL) == REDIS_OK;
	free(upgraded); /* the command holds a copy */
	free(rec);
	if (!sent) {
		drop_connection(r, "cannot send XADD");
		return;
	}
	r->in_flight = 1;
	start_deadline(r, r->command_timeout);
}

/* Whether the stream's newest entries hold the unanswered alert. */
static int stream_holds(const redisReply *reply, const struct spooled *a)
{
	for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
		const redisReply *e = reply->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		const redisReply *f = e->element[1];
		int src = 0, window = 0;
		for (size_t j = 0; j + 1 < f->elements; j += 2) {
			const char *k = f->element[j]->str, *v = f->element[j + 1]->str;
			if (!k || !v)
				continue;
			src |= strcmp(k, "src_ip") == 0 && strcmp(v, a->fields[0]) == 0;
			window |= strcmp(k, "window_start") == 0 && strcmp(v, a->fields[1]) == 0;
		}
		if (src && window)
			return 1;
	}
	return 0;
}

static void on_verify(redisAsyncContext *ac, void *reply_, void *privdata)
{
	struct redis_sink *r = privdata;
	redisReply *reply = reply_;
	char *rec = NULL;
	uint32_t len;
	struct spooled a;

	if (!current_reply(r, ac))
		return;
	if (reply_failed(r, reply, "XREVRANGE"))
		return;
	if (spool_peek(r->spool, &rec, &len) == 1 && parse_spooled(rec, &a) == 0 &&
	    stream_holds(reply, &a)) {
		log_info("redis %s: the alert sent before the connection dropped had arrived",
			 r->address);
		spool_pop(r->spool);
		r->st.sent++;
	}
	free(rec);
	r->unacked = 0;
	r->ready = 1;
	send_next(r);
}

static void on_replication(redisAsyncContext *ac, void *reply_, void *privdata);

static void become_ready(struct redis_sink *r)
{
	r->backoff = BACKOFF_FIRST;
	r->unreachable = 0;
	if (redis_topology_replicas_due(&r->replicas, ev_now(r->loop))) { /* a replica in step? */
		const char *argv[] = { "INFO", "replication" };
		if (redisAsyncCommandArgv(r->ac, on_replication, r, 2, argv, NULL) != REDIS_OK)
			drop_connection(r, "cannot send INFO");
		else
			start_deadline(r, r->command_timeout);
		return;
	}
	if (!r->unacked) {
		r->ready = 1;
		send_next(r);
		return;
	}
	const char *argv[] = { "XREVRANGE", r->stream, "+", "-", "COUNT", VERIFY_ENTRIES };
	if (redisAsyncCommandArgv(r->ac, on_verify, r, 6, argv, NULL) != REDIS_OK)
		drop_connection(r, "cannot send XREVRANGE");
	else
		start_deadline(r, r->command_timeout);
}

/* The master's answer to INFO replication: WAIT for a replica only where
 * one is in step with the master, or every alert would wait out the
 * timeout. A refusal (an ACL user without INFO) is no replica. */
static void on_replication(redisAsyncContext *ac, void *reply_, void *privdata)
{
	struct redis_sink *r = privdata;
	redisReply *reply = reply_;

	if (!current_reply(r, ac) || !reply)
		return; /* (no reply: the connection went, and on_disconnect retries) */
	redis_topology_replicas_heard(&r->replicas, reply, ev_now(r->loop));
	become_ready(r);
}

/* A cluster node's answer to CLUSTER SLOTS: its nodes are met, the
 * fallback seeds if the seeds die (a refusal, a server without cluster
 * support, meets none). */
static void on_nodes(redisAsyncContext *ac, void *reply_, void *privdata)
{
	struct redis_sink *r = privdata;

	if (!current_reply(r, ac) || !reply_)
		return; /* (no reply: the connection went, and on_disconnect retries) */
	(void)redis_topology_met(r->topo, reply_);
	become_ready(r);
}

static void meet_nodes(struct redis_sink *r)
{
	if (redisAsyncCommand(r->ac, on_nodes, r, "CLUSTER SLOTS") != REDIS_OK)
		drop_connection(r, "cannot send CLUSTER SLOTS");
	else
		start_deadline(r, r->command_timeout);
}

static void on_auth(redisAsyncContext *ac, void *reply_, void *privdata)
{
	struct redis_sink *r = privdata;
	redisReply *reply = reply_;

	if (!current_reply(r, ac))
		return;
	if (!reply_failed(r, reply, "AUTH"))
		meet_nodes(r);
}

/* A sentinel's answer to SENTINEL get-master-addr-by-name: the master's
 * address (nil: it knows no master by that name). */
static void on_sentinel(redisAsyncContext *ac, void *reply_, void *privdata)
{
	struct redis_sink *r = privdata;
	redisReply *reply = reply_;
	const char *name = redis_topology_master_name(r->topo);
	char from[sizeof r->address], why[256];

	if (!current_reply(r, ac))
		return;
	if (reply_failed(r, reply, "SENTINEL"))
		return;
	int master = redis_topology_sentinel_answer(r->topo, reply);
	if (master < 0) {
		snprintf(why, sizeof why, "the sentinel knows no master named %s", name);
		drop_connection(r, why);
		return;
	}
	snprintf(from, sizeof from, "%s", r->address);
	reconnect_to(r, master);
	log_info("redis sentinel %s: master %s is %s", from, name, r->address);
}

static void ask_sentinel(struct redis_sink *r)
{
	const char *argv[3];
	int argc = redis_topology_sentinel_argv(r->topo, argv);
	if (redisAsyncCommandArgv(r->ac, on_sentinel, r, argc, argv, NULL) != REDIS_OK)
		drop_connection(r, "cannot ask the sentinel");
	else
		start_deadline(r, r->command_timeout);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_sink *r = ac->data;

	if (!current_reply(r, ac))
		return;
	if (status != REDIS_OK) {
		if (!r->unreachable)
			log_warn("redis %s: cannot connect: %s; alerts are spooled", r->address,
				 ac->errstr);
		r->ac = NULL; /* hiredis frees it after this call */
		schedule_retry(r);
		return;
	}
	if (redis_topology_is_sentinel(r->topo, r->node)) {
		ask_sentinel(r);
		return;
	}
	r->st.connects++;
	r->st.connected = 1;
	log_info("redis %s: connected", r->address);
	const char *argv[3];
	int argc = redis_topology_auth_argv(r->topo, argv);
	if (!argc) {
		meet_nodes(r);
		return;
	}
	if (redisAsyncCommandArgv(r->ac, on_auth, r, argc, argv, NULL) != REDIS_OK)
		drop_connection(r, "cannot send AUTH");
	else
		start_deadline(r, r->command_timeout);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_sink *r = ac->data;
	(void)status;
	if (r->ac != ac)
		return;
	r->ac = NULL;
	r->ready = 0;
	r->st.connected = 0;
	if (r->in_flight) {
		r->unacked = 1;
		r->in_flight = 0;
	}
	log_warn("redis %s: connection lost (%s); alerts are spooled", r->address,
		 ac->errstr[0] ? ac->errstr : "closed");
	r->backoff = BACKOFF_FIRST;
	schedule_retry(r);
}

static void connect_now(struct redis_sink *r)
{
	const struct hostport *hp = redis_topology_host(r->topo, r->node);
	redisAsyncContext *ac = hp->unix_socket ? redisAsyncConnectUnix(hp->host)
						: redisAsyncConnect(hp->host, hp->port);
	if (!ac || ac->err) {
		if (!r->unreachable)
			log_warn("redis %s: cannot connect: %s; alerts are spooled", r->address,
				 ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		schedule_retry(r);
		return;
	}
	ac->data = r;
	r->ac = ac;
	redis_topology_replicas_reset(&r->replicas);
	redisLibevAttach(r->loop, ac);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	start_deadline(r, r->connect_timeout);
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	connect_now(w->data);
}

/* The prefix of the sets of alerts sent (once), in the stream's slot. A
 * stream whose braces are no hash tag has none: its alerts are added with
 * XADD, and said so. Returns -1 out of memory. */
static int once_keys(struct redis_sink *r)
{
	char key[512];
	int rc = redis_topology_slot_sibling(r->stream, ":sent:", key, sizeof key);
	if (rc < 0) {
		log_warn("redis: stream %s: %s: an alert of a window scored twice (a takeover) may "
			 "be added twice",
			 r->stream,
			 rc == -EINVAL ? "its braces are no hash tag" : "the name is too long");
		return 0;
	}
	if (!(r->sent = strdup(key)))
		log_err("out of memory");
	return r->sent ? 0 : -1;
}

struct redis_sink *redis_sink_new(struct ev_loop *loop, const struct redis_sink_config *cfg,
				  struct spool *sp)
{
	struct redis_sink *r = calloc(1, sizeof *r);
	char err[REDIS_ADDRESS_ERR];
	if (!r || !(r->stream = strdup(cfg->stream))) {
		log_err("out of memory");
		redis_sink_free(r);
		return NULL;
	}
	if (!(r->topo = redis_topology_new(cfg->address, cfg->password_file, err, sizeof err))) {
		log_err("redis %s", err);
		redis_sink_free(r);
		return NULL;
	}
	use_node(r, redis_topology_node_for(r->topo, r->stream));
	r->loop = loop;
	r->spool = sp;
	r->maxlen = cfg->maxlen;
	r->connect_timeout = cfg->connect_timeout_ms / 1000.0;
	r->command_timeout = cfg->command_timeout_ms / 1000.0;
	r->command_timeout_ms = cfg->command_timeout_ms;
	r->backoff = BACKOFF_FIRST;
	if (cfg->once && once_keys(r) < 0) {
		redis_sink_free(r);
		return NULL;
	}
	r->unacked = spool_stats(sp)->pending > 0; /* a crash may have come between XADD and pop */
	r->dropped_logged = spool_stats(sp)->dropped;
	ev_timer_init(&r->retry, on_retry, 0, 0);
	ev_timer_init(&r->deadline, on_deadline, 0, 0);
	r->retry.data = r->deadline.data = r;
	if (spool_stats(sp)->pending)
		log_info("spool: %" PRIu64 " alerts from before wait to be sent",
			 spool_stats(sp)->pending);
	connect_now(r);
	return r;
}

void redis_sink_free(struct redis_sink *r)
{
	if (!r)
		return;
	if (r->loop) {
		ev_timer_stop(r->loop, &r->retry);
		ev_timer_stop(r->loop, &r->deadline);
	}
	if (r->ac) {
		redisAsyncContext *ac = r->ac;
		r->ac = NULL;
		redisAsyncFree(ac);
	}
	release_held(r);
	free(r->stream);
	free(r->sent);
	redis_topology_free(r->topo);
	free(r);
}

void redis_sink_push_batch(struct redis_sink *r, const struct alert_record *a, size_t n)
{
	struct spool_item *items = calloc(n + 1, sizeof *items);
	char **rec = calloc(n + 1, sizeof *rec), when[ISOTIME_LEN];
	size_t ok = 0;

	for (size_t i = 0; items && rec && i < n; i++) {
		int len = asprintf(&rec[i], "%s\n%s\n%.6g\n%s", a[i].src_ip,
				   isotime_format(a[i].window_start, when), a[i].score, a[i].json);
		if (len < 0) {
			rec[i] = NULL;
			break;
		}
		items[ok++] = (struct spool_item){ rec[i], (uint32_t)len };
	}
	/* one sync for the window's alerts */
	if (ok < n) {
		log_err("out of memory: %zu alerts of window %s are lost", n,
			isotime_format(a[0].window_start, when));
		r->st.lost += n;
		for (size_t i = 0; rec && i < n; i++)
			free(rec[i]);
	} else {
		spool_batch(r, items, n, isotime_format(a[0].window_start, when));
	}
	free(rec);
	free(items);
	const struct spool_stats *st = spool_stats(r->spool);
	if (st->dropped > r->dropped_logged) {
		log_warn("spool: full; %" PRIu64 " oldest alerts dropped (%" PRIu64 " in all)",
			 st->dropped - r->dropped_logged, st->dropped);
		r->st.dropped += st->dropped - r->dropped_logged;
		r->dropped_logged = st->dropped;
	}
	send_next(r);
}

int redis_sink_drained(const struct redis_sink *r)
{
	return spool_stats(r->spool)->pending == 0 && !r->in_flight;
}

void redis_sink_retry_now(struct redis_sink *r)
{
	if (r->ac || !ev_is_active(&r->retry))
		return;
	ev_timer_stop(r->loop, &r->retry);
	r->backoff = BACKOFF_FIRST;
	connect_now(r);
}

int redis_sink_unreachable(const struct redis_sink *r)
{
	return r->unreachable;
}

const struct redis_sink_stats *redis_sink_stats(const struct redis_sink *r)
{
	return &r->st;
}
