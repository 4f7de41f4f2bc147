/* A blocking Redis client over nodes, seeds and Sentinels (redis_sync.h). */
#include "redis/redis_sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "redis/redis_topology.h"

#define SAY_EVERY 30 /* seconds between two lines about no node answering */

/* The connection to a node of the topology (same index). */
struct conn {
	redisContext *c;
	unsigned generation; /* the node's when connected (redis_topology_generation) */
	int wait;            /* a write here waits for a replica: -1 not asked yet */
};

struct redis_sync {
	char who[32];
	uint32_t timeout_ms;
	struct redis_topology *topo;
	struct conn conn[REDIS_TOPOLOGY_MAX_NODES];
	int failing, said; /* no node answers; and that was said */
	time_t said_at;    /* when it was said last: once in SAY_EVERY at most */
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

static redisContext *connect_to(const struct redis_sync *r, const struct hostport *hp)
{
	struct timeval tv = { r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000 };
	redisContext *c = hp->unix_socket ? redisConnectUnixWithTimeout(hp->host, tv)
					  : redisConnectWithTimeout(hp->host, hp->port, tv);
	if (c && !c->err && redisSetTimeout(c, tv) == REDIS_OK)
		return c;
	redisFree(c);
	return NULL;
}

/* AUTH on a new connection to a data node. Returns 0 or -1. */
static int authenticate(struct redis_sync *r, redisContext *c)
{
	const char *argv[3];
	int argc = redis_topology_auth_argv(r->topo, argv);
	if (!argc)
		return 0;
	redisReply *a = redisCommandArgv(c, argc, argv, NULL);
	int ok = a && a->type != REDIS_REPLY_ERROR;
	if (a && !ok)
		log_warn("%s: redis AUTH refused: %s", r->who, a->str);
	freeReplyObject(a);
	return ok ? 0 : -1;
}

/* The master Sentinel node names, or -1 (the Sentinel lost). A connection
 * to a Sentinel lasts one question. */
static int ask_sentinel(struct redis_sync *r, int node)
{
	const char *argv[3];
	int argc = redis_topology_sentinel_argv(r->topo, argv);
	redisContext *c = connect_to(r, redis_topology_host(r->topo, node));
	redisReply *a = c ? redisCommandArgv(c, argc, argv, NULL) : NULL;
	int master = redis_topology_sentinel_answer(r->topo, a);
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

/* A connection to data node i, made (and authenticated) when there is
 * none; one to the host that had the slot before is closed. */
static redisContext *connection(struct redis_sync *r, int i)
{
	struct conn *n = &r->conn[i];
	unsigned generation = redis_topology_generation(r->topo, i);
	if (n->c && n->generation != generation)
		drop(n);
	if (!n->c && (n->c = connect_to(r, redis_topology_host(r->topo, i))) != NULL) {
		r->st.connects++;
		n->generation = generation;
		n->wait = -1;
		if (authenticate(r, n->c) < 0)
			drop(n);
	}
	return n->c;
}

/* One formatted command on node i (after ASKING when asking). NULL when the
 * connection failed (then dropped). */
static redisReply *send_on(struct redis_sync *r, int i, const char *cmd, size_t len, int asking)
{
	redisContext *c = connection(r, i);
	void *reply = NULL;
	if (c && asking)
		redisAppendCommand(c, "ASKING");
	if (c && redisAppendFormattedCommand(c, cmd, len) == REDIS_OK &&
	    (!asking || (redisGetReply(c, &reply) == REDIS_OK && (freeReplyObject(reply), 1))) &&
	    redisGetReply(c, &reply) == REDIS_OK)
		return reply;
	if (c)
		drop(&r->conn[i]);
	return NULL;
}

/* No node answered: said once in SAY_EVERY seconds at most, until one does. */
static void say_failing(struct redis_sync *r)
{
	time_t now = time(NULL);
	if (!r->failing && now >= r->said_at + SAY_EVERY) {
		log_warn("%s: no redis node answers (%d tried); retrying", r->who,
			 REDIS_TOPOLOGY_MAX_HOPS);
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
	for (int hop = 0; hop < REDIS_TOPOLOGY_MAX_HOPS; hop++) {
		if (redis_topology_is_sentinel(r->topo, i)) {
			int master = ask_sentinel(r, i);
			i = master >= 0 ? master : redis_topology_node_for(r->topo, key);
			continue;
		}
		redisReply *a = send_on(r, i, cmd, len, asking);
		if (!a) {
			r->st.failures++;
			redis_topology_lost(r->topo, i);
			i = redis_topology_node_for(r->topo, key);
			asking = 0;
			continue;
		}
		enum redis_redirect to = redis_topology_redirect(r->topo, key, a, &i);
		if (to == REDIS_REDIRECT_NONE) {
			redis_topology_answered(r->topo, key, i);
			say_answering(r);
			return a;
		}
		asking = to == REDIS_REDIRECT_ASK;
		r->st.redirects++;
		freeReplyObject(a);
	}
	say_failing(r);
	return NULL;
}

int redis_sync_replicated(struct redis_sync *r, const char *key, uint32_t timeout_ms)
{
	int i = redis_topology_serving(r->topo, key);
	struct conn *n = i >= 0 ? &r->conn[i] : NULL;
	if (!n || !n->c)
		return -1;
	if (n->wait < 0) {
		redisReply *a = redisCommand(n->c, "INFO replication");
		if (!a)
			return -1;
		n->wait = redis_topology_wait_needed(a);
		freeReplyObject(a);
	}
	if (!n->wait)
		return 1;
	char ms[REDIS_TOPOLOGY_WAIT_MS_LEN];
	const char *argv[3];
	int argc = redis_topology_wait_argv(timeout_ms, ms, argv);
	redisReply *a = redisCommandArgv(n->c, argc, argv, NULL);
	int rc = redis_topology_wait_answer(a);
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
