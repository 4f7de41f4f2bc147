/* A blocking Redis client over nodes, seeds and Sentinels (redis_sync.h). */
#include "redis/redis_sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/hostport.h"
#include "common/log.h"
#include "redis/redis_address.h"
#include "redis/redis_reply.h"

#define MAX_NODES 64    /* connections kept: a cluster's masters and replicas */
#define MAX_ROUTES 1024 /* keys whose node is remembered */
#define MAX_HOPS 16     /* redirections and other nodes tried for one command */
#define SAY_EVERY 30    /* seconds between two lines about no node answering */

struct node {
	struct hostport hp;
	redisContext *c;
	int replicas; /* the master's, asked once a connection (-1: not yet) */
};

struct route {
	char *key;
	int node;
};

struct redis_sync {
	char who[32];
	uint32_t timeout_ms;
	struct redis_address addr; /* seeds (or Sentinels), the master's name, AUTH */
	int next_seed;
	struct node node[MAX_NODES];
	int n_nodes, current; /* current: the node of commands without a route */
	struct route route[MAX_ROUTES];
	int n_routes;
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
	r->current = -1;
	if (redis_address_parse(&r->addr, address, err, sizeof err) < 0)
		log_err("%s: redis address %s", who, err);
	else if (!password_file ||
		 redis_address_read_password(&r->addr, password_file, err, sizeof err) == 0)
		return r;
	else
		log_err("%s", err);
	redis_sync_free(r);
	return NULL;
}

void redis_sync_free(struct redis_sync *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->n_nodes; i++)
		redisFree(r->node[i].c);
	for (int i = 0; i < r->n_routes; i++)
		free(r->route[i].key);
	redis_address_free(&r->addr);
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
	if (!r->addr.password)
		return 0;
	redisReply *a = r->addr.user ? redisCommand(c, "AUTH %s %s", r->addr.user, r->addr.password)
				: redisCommand(c, "AUTH %s", r->addr.password);
	int ok = a && a->type != REDIS_REPLY_ERROR;
	if (a && !ok)
		log_warn("%s: redis AUTH refused: %s", r->who, a->str);
	freeReplyObject(a);
	return ok ? 0 : -1;
}

/* The index of node hp, added when new (the oldest unused slot reused
 * when full). */
static int node_of(struct redis_sync *r, const struct hostport *hp)
{
	for (int i = 0; i < r->n_nodes; i++)
		if (r->node[i].hp.port == hp->port && strcmp(r->node[i].hp.host, hp->host) == 0)
			return i;
	int i = r->n_nodes < MAX_NODES ? r->n_nodes++ : MAX_NODES - 1;
	redisFree(r->node[i].c);
	r->node[i] = (struct node){ .hp = *hp };
	return i;
}

/* The master the first Sentinel that answers names, or -1. */
static int sentinel_master(struct redis_sync *r)
{
	for (int i = 0; i < r->addr.n_seeds; i++) {
		redisContext *c = connect_to(r, &r->addr.seeds[i]);
		const char *name = r->addr.master_name;
		redisReply *a = c ? redisCommand(c, "SENTINEL get-master-addr-by-name %s", name)
				  : NULL;
		struct hostport m;
		int found = redis_reply_master(a, &m);
		freeReplyObject(a);
		redisFree(c);
		if (found)
			return node_of(r, &m);
	}
	return -1;
}

/* The node to try after a failure: the next seed, or the master the
 * Sentinels name now. */
static int another_node(struct redis_sync *r)
{
	if (r->addr.master_name[0])
		return sentinel_master(r);
	r->next_seed = (r->next_seed + 1) % r->addr.n_seeds;
	return node_of(r, &r->addr.seeds[r->next_seed]);
}

static int route_of(const struct redis_sync *r, const char *key)
{
	for (int i = 0; key && i < r->n_routes; i++)
		if (strcmp(r->route[i].key, key) == 0)
			return r->route[i].node;
	return -1;
}

static void remember_route(struct redis_sync *r, const char *key, int node)
{
	for (int i = 0; i < r->n_routes; i++)
		if (strcmp(r->route[i].key, key) == 0) {
			r->route[i].node = node;
			return;
		}
	char *copy = r->n_routes < MAX_ROUTES ? strdup(key) : NULL;
	if (copy)
		r->route[r->n_routes++] = (struct route){ copy, node };
}

/* A connection to node i, made (and authenticated) when there is none. */
static redisContext *connection(struct redis_sync *r, int i)
{
	struct node *n = &r->node[i];
	if (!n->c && (n->c = connect_to(r, &n->hp)) != NULL) {
		r->st.connects++;
		n->replicas = -1;
		if (authenticate(r, n->c) < 0) {
			redisFree(n->c);
			n->c = NULL;
		}
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
	if (c) {
		redisFree(c);
		r->node[i].c = NULL;
	}
	return NULL;
}

static redisReply *send_formatted(struct redis_sync *r, const char *key, const char *cmd,
				  size_t len)
{
	int i = route_of(r, key), asking = 0;
	if (i < 0)
		i = r->current >= 0	? r->current
		    : r->addr.master_name[0] ? sentinel_master(r)
					: node_of(r, &r->addr.seeds[0]);
	for (int hop = 0; hop < MAX_HOPS && i >= 0; hop++) {
		redisReply *a = send_on(r, i, cmd, len, asking);
		struct hostport to;
		asking = 0;
		if (!a) {
			r->st.failures++;
			i = another_node(r);
			continue;
		}
		if (a->type == REDIS_REPLY_ERROR && hostport_redirect(a->str, "MOVED", &to) == 1) {
			i = node_of(r, &to);
			if (key)
				remember_route(r, key, i);
		} else if (a->type == REDIS_REPLY_ERROR &&
			   hostport_redirect(a->str, "ASK", &to) == 1) {
			i = node_of(r, &to);
			asking = 1;
		} else {
			r->current = route_of(r, key) < 0 ? i : r->current;
			if (r->failing && r->said)
				log_info("%s: redis answers again", r->who);
			r->failing = r->said = 0;
			return a;
		}
		r->st.redirects++;
		freeReplyObject(a);
	}
	time_t now = time(NULL);
	if (!r->failing && now >= r->said_at + SAY_EVERY) {
		log_warn("%s: no redis node answers (%d tried); retrying", r->who, MAX_HOPS);
		r->said = 1;
		r->said_at = now;
	}
	r->failing = 1;
	r->current = -1;
	return NULL;
}

int redis_sync_replicated(struct redis_sync *r, const char *key, uint32_t timeout_ms)
{
	int i = route_of(r, key);
	if (i < 0)
		i = r->current;
	struct node *n = i >= 0 ? &r->node[i] : NULL;
	if (!n || !n->c)
		return -1;
	if (n->replicas < 0) {
		redisReply *a = redisCommand(n->c, "INFO replication");
		n->replicas = redis_reply_replicas(a);
		freeReplyObject(a);
		if (n->replicas < 0)
			return -1;
	}
	if (n->replicas == 0)
		return 1;
	redisReply *a = redisCommand(n->c, "WAIT 1 %u", timeout_ms);
	int rc = a && a->type == REDIS_REPLY_INTEGER ? a->integer > 0 : -1;
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
