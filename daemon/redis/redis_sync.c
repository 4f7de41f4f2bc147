/* A blocking Redis client over nodes, seeds and Sentinels (redis_sync.h). */
#include "redis/redis_sync.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/duration.h"
#include "common/log.h"
#include "redis/redis_topology.h"

#define SAY_EVERY 30 /* seconds between two lines about no node answering */
#define WHY_LEN	  160 /* how a node failed, for the line about no node answering */

/* How a try failed: in words, and whether the node answered (a
 * redirection, a refusal) or stayed silent (no connection, no answer in
 * time, not tried at all: stopping). */
struct failure {
	char why[WHY_LEN];
	int answered;
};

/* What one node did in a command's tries (a line of the message when no
 * node took the command). */
struct tried {
	int node, times, answered;
	char why[WHY_LEN];
};

struct tries {
	struct tried t[REDIS_TOPOLOGY_MAX_HOPS];
	int n, hops;
};

/* Fills f: answered or silent, and why. */
static void failed(struct failure *f, int answered, const char *why, const char *detail)
{
	f->answered = answered;
	snprintf(f->why, sizeof f->why, "%s%s", why, detail ? detail : "");
}

/* The connection to a node of the topology (same index). */
struct conn {
	redisContext *c;
	unsigned generation; /* the node's when connected (redis_topology_generation) */
	struct redis_replicas replicas; /* whether a write here waits for a replica */
};

struct redis_sync {
	char who[32];
	uint32_t timeout_ms;
	struct redis_topology *topo;
	struct conn conn[REDIS_TOPOLOGY_MAX_NODES];
	int failing, said; /* no node answers; and that was said */
	time_t said_at;    /* when it was said last: once in SAY_EVERY at most */
	_Atomic double stop_by; /* no try begins after (monotonic; INFINITY: none) */
	struct redis_sync_stats st;
};

struct redis_sync *redis_sync_new(const char *address, const char *password_file,
				  uint32_t timeout_ms, const char *who)
{
	struct redis_sync *r = calloc(1, sizeof *r);
	char err[REDIS_ADDRESS_ERR];
	if (!r) {
		log_err("%s: out of memory", who);
		return NULL;
	}
	snprintf(r->who, sizeof r->who, "%s", who);
	r->timeout_ms = timeout_ms;
	atomic_init(&r->stop_by, INFINITY);
	r->topo = redis_topology_new(address, password_file, err, sizeof err);
	if (r->topo)
		return r;
	log_err("%s: redis %s", who, err);
	redis_sync_free(r);
	return NULL;
}

void redis_sync_free(struct redis_sync *r)
{
	if (!r)
		return;
	for (int i = 0; i < REDIS_TOPOLOGY_MAX_NODES; i++)
		redisFree(r->conn[i].c);
	redis_topology_free(r->topo);
	free(r);
}

const struct redis_sync_stats *redis_sync_stats(const struct redis_sync *r)
{
	return &r->st;
}

void redis_sync_stop_by(struct redis_sync *r, double deadline)
{
	atomic_store(&r->stop_by, deadline);
}

int redis_sync_answering(const struct redis_sync *r)
{
	return !r->failing;
}

/* What a connection or a command may take now: the timeout, or less to
 * end by stop_by; 0 when stop_by has passed (nothing begins). */
static struct timeval time_left(const struct redis_sync *r)
{
	double left = atomic_load(&r->stop_by) - duration_monotonic(), t = r->timeout_ms / 1000.0;
	if (left < t)
		t = left > 0 ? left : 0;
	struct timeval tv = { (time_t)t, (suseconds_t)((t - (time_t)t) * 1e6) };
	return tv;
}

static int out_of_time(struct timeval tv)
{
	return tv.tv_sec == 0 && tv.tv_usec == 0;
}

/* What went wrong on c, in words: a timeout as such. */
static const char *failure_of(const redisContext *c)
{
	if (c->err == REDIS_ERR_IO && strcmp(c->errstr, strerror(EAGAIN)) == 0)
		return "no answer in time";
	return c->errstr[0] ? c->errstr : "no answer";
}

/* A connection to hp, or NULL with f. */
static redisContext *connect_to(const struct redis_sync *r, const struct hostport *hp,
				struct failure *f)
{
	struct timeval tv = time_left(r);
	if (out_of_time(tv)) {
		failed(f, 0, "not tried: stopping", NULL);
		return NULL;
	}
	redisContext *c = hp->unix_socket ? redisConnectUnixWithTimeout(hp->host, tv)
					  : redisConnectWithTimeout(hp->host, hp->port, tv);
	if (c && !c->err && redisSetTimeout(c, tv) == REDIS_OK)
		return c;
	failed(f, 0, c ? failure_of(c) : "out of memory", NULL);
	redisFree(c);
	return NULL;
}

/* The command's timeout on c, cut to end by stop_by. Returns 0, or -1
 * (with f) when stop_by has passed. */
static int bound(const struct redis_sync *r, redisContext *c, struct failure *f)
{
	struct timeval tv = time_left(r);
	if (!out_of_time(tv) && redisSetTimeout(c, tv) == REDIS_OK)
		return 0;
	failed(f, 0, "not tried: stopping", NULL);
	return -1;
}

/* AUTH on a new connection to a data node. Returns 0, or -1 with f. */
static int authenticate(struct redis_sync *r, redisContext *c, struct failure *f)
{
	const char *argv[3];
	int argc = redis_topology_auth_argv(r->topo, argv);
	if (!argc)
		return 0;
	redisReply *a = redisCommandArgv(c, argc, argv, NULL);
	int ok = a && a->type != REDIS_REPLY_ERROR;
	if (a && !ok) {
		log_warn("%s: redis AUTH refused: %s", r->who, a->str);
		failed(f, 1, "AUTH refused: ", a->str);
	} else if (!a) {
		failed(f, 0, "AUTH: ", failure_of(c));
	}
	freeReplyObject(a);
	return ok ? 0 : -1;
}

/* The nodes of the cluster a new connection is to, met (CLUSTER SLOTS): the
 * fallback seeds when the seeds die. Returns 0, or -1 with why when the
 * connection failed (a refusal, a server without cluster support, is no
 * failure). */
static int meet_nodes(struct redis_sync *r, redisContext *c, struct failure *f)
{
	redisReply *a = redisCommand(c, "CLUSTER SLOTS");
	if (!a) {
		failed(f, 0, "CLUSTER SLOTS: ", failure_of(c));
		return -1;
	}
	(void)redis_topology_met(r->topo, a);
	freeReplyObject(a);
	return 0;
}

/* The master Sentinel node names, or -1 with f (the Sentinel lost). A
 * connection to a Sentinel lasts one question. */
static int ask_sentinel(struct redis_sync *r, int node, struct failure *f)
{
	const char *argv[3];
	int argc = redis_topology_sentinel_argv(r->topo, argv);
	redisContext *c = connect_to(r, redis_topology_host(r->topo, node), f);
	redisReply *a = c ? redisCommandArgv(c, argc, argv, NULL) : NULL;
	int master = redis_topology_sentinel_answer(r->topo, a);
	if (c && master < 0)
		failed(f, a != NULL, a ? "names no master by that name" : failure_of(c), NULL);
	freeReplyObject(a);
	redisFree(c);
	if (master < 0)
		redis_topology_lost(r->topo, node);
	return master;
}

static void drop(struct conn *n)
{
	redisFree(n->c);
	n->c = NULL;
}

/* A connection to data node i, made (authenticated, and its cluster's
 * nodes met) when there is none; one to the host that had the slot before
 * is closed. NULL with f. */
static redisContext *connection(struct redis_sync *r, int i, struct failure *f)
{
	struct conn *n = &r->conn[i];
	unsigned generation = redis_topology_generation(r->topo, i);
	if (n->c && n->generation != generation)
		drop(n);
	if (!n->c && (n->c = connect_to(r, redis_topology_host(r->topo, i), f)) != NULL) {
		r->st.connects++;
		n->generation = generation;
		redis_topology_replicas_reset(&n->replicas);
		if (authenticate(r, n->c, f) < 0 || meet_nodes(r, n->c, f) < 0)
			drop(n);
	}
	return n->c;
}

/* One formatted command on node i (after ASKING when asking). NULL with f
 * when the connection failed (then dropped). */
static redisReply *send_on(struct redis_sync *r, int i, const char *cmd, size_t len, int asking,
			   struct failure *f)
{
	redisContext *c = connection(r, i, f);
	void *reply = NULL;
	if (!c || bound(r, c, f) < 0)
		return NULL;
	if (asking)
		redisAppendCommand(c, "ASKING");
	if (redisAppendFormattedCommand(c, cmd, len) == REDIS_OK &&
	    (!asking || (redisGetReply(c, &reply) == REDIS_OK && (freeReplyObject(reply), 1))) &&
	    redisGetReply(c, &reply) == REDIS_OK)
		return reply;
	failed(f, 0, failure_of(c), NULL);
	drop(&r->conn[i]);
	return NULL;
}

/* What node did at a try: the last outcome kept, the tries counted. */
static void note_try(struct tries *t, int node, const struct failure *f)
{
	int i = 0;
	while (i < t->n && t->t[i].node != node)
		i++;
	if (i == t->n)
		t->t[t->n++] = (struct tried){ .node = node };
	t->t[i].times++;
	t->t[i].answered |= f->answered;
	snprintf(t->t[i].why, sizeof t->t[i].why, "%s", f->why);
	t->hops++;
}

static const char *tries_word(int n)
{
	return n == 1 ? "try" : "tries";
}

/* Each node tried, what it did last and how often, into buf; the number
 * of nodes that answered at some try (a redirection, a refusal) returned. */
static int describe_tries(const struct redis_sync *r, const struct tries *t, char *buf,
			  size_t len)
{
	char hp[HOSTPORT_MAX + 8];
	int answered = 0;
	buf[0] = '\0';
	for (int i = 0; i < t->n; i++) {
		size_t at = strlen(buf);
		hostport_format(redis_topology_host(r->topo, t->t[i].node), hp, sizeof hp);
		snprintf(buf + at, len - at, "%s%s %s%s (%d %s)", i ? "; " : "", hp,
			 t->t[i].answered ? "answered " : "", t->t[i].why, t->t[i].times,
			 tries_word(t->t[i].times));
		answered += t->t[i].answered;
	}
	return answered;
}

/* No node took the command about key: said once in SAY_EVERY seconds at
 * most, until one does, with each node tried and how it failed (or what it
 * answered): "no redis node answers" only when none did. A command the
 * stop's deadline kept from any try is said as such. */
static void say_failing(struct redis_sync *r, const char *key, const struct tries *t)
{
	time_t now = time(NULL);
	char nodes[1024], what[600], tried[64];
	if (!r->failing && now >= r->said_at + SAY_EVERY) {
		int answered = describe_tries(r, t, nodes, sizeof nodes);
		const char *then = out_of_time(time_left(r)) ? "given up: stopping" : "retrying";
		snprintf(what, sizeof what, "%s%s", key ? "the command on " : "the command",
			 key ? key : "");
		snprintf(tried, sizeof tried, "%d %s tried", t->n, t->n == 1 ? "node" : "nodes");
		if (!t->n)
			log_info("%s: stopping: %s not sent to redis", r->who, what);
		else if (!answered)
			log_warn("%s: no redis node answers (%s, %d %s: %s); %s", r->who, tried,
				 t->hops, tries_word(t->hops), nodes, then);
		else
			log_warn("%s: no redis node takes %s (%s, %d answered, %d %s: %s); %s",
				 r->who, what, tried, answered, t->hops, tries_word(t->hops), nodes,
				 then);
		r->said = 1;
		r->said_at = now;
	}
	r->failing = 1;
}

static void say_answering(struct redis_sync *r)
{
	if (r->failing && r->said)
		log_info("%s: redis answers again", r->who);
	r->failing = r->said = 0;
}

/* The command on the node the topology names for key, redirections
 * followed and failed nodes left for the seeds, within
 * REDIS_TOPOLOGY_MAX_HOPS tries. */
static redisReply *send_formatted(struct redis_sync *r, const char *key, const char *cmd,
				  size_t len)
{
	int i = redis_topology_node_for(r->topo, key), asking = 0;
	struct tries tries = { .n = 0 };
	struct failure f;
	for (int hop = 0; hop < REDIS_TOPOLOGY_MAX_HOPS && !out_of_time(time_left(r)); hop++) {
		if (redis_topology_is_sentinel(r->topo, i)) {
			int master = ask_sentinel(r, i, &f);
			if (master < 0)
				note_try(&tries, i, &f);
			i = master >= 0 ? master : redis_topology_node_for(r->topo, key);
			continue;
		}
		redisReply *a = send_on(r, i, cmd, len, asking, &f);
		if (!a) {
			r->st.failures++;
			note_try(&tries, i, &f);
			redis_topology_lost(r->topo, i);
			i = redis_topology_node_for(r->topo, key);
			asking = 0;
			continue;
		}
		int from = i;
		enum redis_redirect to = redis_topology_redirect(r->topo, key, a, &i);
		if (to == REDIS_REDIRECT_NONE) {
			redis_topology_answered(r->topo, key, i);
			say_answering(r);
			return a;
		}
		failed(&f, 1, a->str, NULL);
		note_try(&tries, from, &f);
		asking = to == REDIS_REDIRECT_ASK;
		r->st.redirects++;
		freeReplyObject(a);
	}
	say_failing(r, key, &tries);
	return NULL;
}

int redis_sync_replicated(struct redis_sync *r, const char *key, uint32_t timeout_ms)
{
	int i = redis_topology_serving(r->topo, key);
	struct conn *n = i >= 0 ? &r->conn[i] : NULL;
	struct failure f;
	if (!n || !n->c || bound(r, n->c, &f) < 0)
		return -1;
	if (redis_topology_replicas_due(&n->replicas, duration_monotonic())) {
		redisReply *a = redisCommand(n->c, "INFO replication");
		if (!a) {
			drop(n); /* no answer: the connection is of no more use */
			return -1;
		}
		redis_topology_replicas_heard(&n->replicas, a, duration_monotonic());
		freeReplyObject(a);
	}
	if (!n->replicas.wait)
		return 1;
	char ms[REDIS_TOPOLOGY_WAIT_MS_LEN];
	const char *argv[3];
	/* WAIT gives up a tenth before the connection would: its answer that
	 * no replica acknowledged is heard, and the connection kept */
	int argc = redis_topology_wait_argv(timeout_ms - timeout_ms / 10, ms, argv);
	redisReply *a = redisCommandArgv(n->c, argc, argv, NULL);
	int rc = redis_topology_replicas_waited(&n->replicas, a);
	if (!a)
		drop(n);
	freeReplyObject(a);
	return rc;
}

redisReply *redis_sync_command(struct redis_sync *r, const char *key, int argc, const char **argv,
			       const size_t *len)
{
	char *cmd;
	int n = redisFormatCommandArgv(&cmd, argc, argv, len);
	if (n < 0)
		return NULL;
	redisReply *a = send_formatted(r, key, cmd, (size_t)n);
	redisFreeCommand(cmd);
	return a;
}

redisReply *redis_sync_format(struct redis_sync *r, const char *key, const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	va_start(ap, fmt);
	int n = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	redisReply *a = send_formatted(r, key, cmd, (size_t)n);
	redisFreeCommand(cmd);
	return a;
}
