/* Where each Redis command goes, decided once for both clients
 * (redis_topology.h). */
#include "redis/redis_topology.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis/redis_reply.h"

struct node {
	struct hostport hp;
	int sentinel;
	unsigned generation;
	int failed; /* lost since it last answered: tried after the others */
};

struct route {
	char *key;
	int node;
};

struct redis_topology {
	struct redis_address addr; /* seeds (or Sentinels), the master's name, AUTH */
	int next;		   /* the node tried next without a route (in turn) */
	/* the seeds first (indices 0 .. n_seeds-1), then the nodes met */
	struct node node[REDIS_TOPOLOGY_MAX_NODES];
	int n_nodes;
	int current; /* the node that answered last (-1: none, go to the seeds) */
	struct route route[REDIS_TOPOLOGY_MAX_ROUTES];
	int n_routes;
};

/* No key goes to node any more (its routes forgotten). */
static void forget_routes(struct redis_topology *t, int node)
{
	for (int i = 0; i < t->n_routes; i++)
		if (t->route[i].node == node) {
			free(t->route[i].key);
			t->route[i--] = t->route[--t->n_routes];
		}
	if (t->current == node)
		t->current = -1;
}

/* The index of node hp (a Sentinel or a data node), added when new; when
 * the table is full the last slot changes host. */
static int node_of(struct redis_topology *t, const struct hostport *hp, int sentinel)
{
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->node[i];
		if (n->hp.port == hp->port && n->sentinel == sentinel &&
		    strcmp(n->hp.host, hp->host) == 0)
			return i;
	}
	int i = t->n_nodes < REDIS_TOPOLOGY_MAX_NODES ? t->n_nodes++ : REDIS_TOPOLOGY_MAX_NODES - 1;
	forget_routes(t, i);
	t->node[i] = (struct node){ *hp, sentinel, t->node[i].generation + 1, 0 };
	return i;
}

struct redis_topology *redis_topology_new(const char *address, const char *password_file,
					  char *err, size_t errlen)
{
	struct redis_topology *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->current = -1;
	char why[REDIS_ADDRESS_ERR];
	int rc = redis_address_parse(&t->addr, address, why, sizeof why);
	if (rc < 0)
		snprintf(err, errlen, "address %s", why);
	else if (password_file)
		rc = redis_address_read_password(&t->addr, password_file, err, errlen);
	if (rc < 0) {
		redis_topology_free(t);
		return NULL;
	}
	for (int i = 0; i < t->addr.n_seeds; i++)
		(void)node_of(t, &t->addr.seeds[i], t->addr.master_name[0] != '\0');
	return t;
}

void redis_topology_free(struct redis_topology *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n_routes; i++)
		free(t->route[i].key);
	redis_address_free(&t->addr);
	free(t);
}

const struct hostport *redis_topology_host(const struct redis_topology *t, int node)
{
	return &t->node[node].hp;
}

int redis_topology_is_sentinel(const struct redis_topology *t, int node)
{
	return t->node[node].sentinel;
}

unsigned redis_topology_generation(const struct redis_topology *t, int node)
{
	return t->node[node].generation;
}

void redis_topology_lost(struct redis_topology *t, int node)
{
	forget_routes(t, node);
	t->node[node].failed = 1;
}

int redis_topology_met(struct redis_topology *t, const redisReply *slots)
{
	struct hostport hp[REDIS_TOPOLOGY_MAX_NODES];
	int n = redis_reply_cluster_nodes(slots, hp, REDIS_TOPOLOGY_MAX_NODES), added = 0;
	for (int i = 0; i < n && !t->addr.master_name[0]; i++) {
		int known = t->n_nodes;
		if (t->n_nodes < REDIS_TOPOLOGY_MAX_NODES) /* a full table keeps its nodes */
			added += node_of(t, &hp[i], 0) == known;
	}
	return added;
}

static int route_of(const struct redis_topology *t, const char *key)
{
	for (int i = 0; key && i < t->n_routes; i++)
		if (strcmp(t->route[i].key, key) == 0)
			return t->route[i].node;
	return -1;
}

/* Key's route set to node; beyond REDIS_TOPOLOGY_MAX_ROUTES keys (or
 * without memory) key goes unrouted, and is redirected again. */
static void remember_route(struct redis_topology *t, const char *key, int node)
{
	for (int i = 0; i < t->n_routes; i++)
		if (strcmp(t->route[i].key, key) == 0) {
			t->route[i].node = node;
			return;
		}
	char *copy = t->n_routes < REDIS_TOPOLOGY_MAX_ROUTES ? strdup(key) : NULL;
	if (copy)
		t->route[t->n_routes++] = (struct route){ copy, node };
}

int redis_topology_serving(const struct redis_topology *t, const char *key)
{
	int i = route_of(t, key);
	return i >= 0 ? i : t->current;
}

/* The next node in turn that has not failed, among the seeds and the nodes
 * met (with Sentinels, the Sentinels alone: a master they named is asked
 * for again); when every one has failed, they are all tried again. */
static int next_in_turn(struct redis_topology *t)
{
	int n = t->addr.master_name[0] ? t->addr.n_seeds : t->n_nodes, i = t->next % n;
	for (int k = 0; k < n && t->node[i].failed; k++)
		i = (i + 1) % n;
	if (t->node[i].failed)
		for (int j = 0; j < n; j++)
			t->node[j].failed = 0;
	t->next = (i + 1) % n;
	return i;
}

int redis_topology_node_for(struct redis_topology *t, const char *key)
{
	int i = redis_topology_serving(t, key);
	return i >= 0 ? i : next_in_turn(t);
}

void redis_topology_answered(struct redis_topology *t, const char *key, int node)
{
	t->node[node].failed = 0;
	if (route_of(t, key) < 0)
		t->current = node;
}

enum redis_redirect redis_topology_redirect(struct redis_topology *t, const char *key,
					    const redisReply *reply, int *node)
{
	struct hostport to;
	if (!reply || reply->type != REDIS_REPLY_ERROR)
		return REDIS_REDIRECT_NONE;
	if (hostport_redirect(reply->str, "MOVED", &to) == 1) {
		*node = node_of(t, &to, 0);
		if (key)
			remember_route(t, key, *node);
		return REDIS_REDIRECT_MOVED;
	}
	if (hostport_redirect(reply->str, "ASK", &to) == 1) {
		*node = node_of(t, &to, 0);
		return REDIS_REDIRECT_ASK;
	}
	return REDIS_REDIRECT_NONE;
}

int redis_topology_sentinel_argv(const struct redis_topology *t, const char *argv[3])
{
	argv[0] = "SENTINEL";
	argv[1] = "get-master-addr-by-name";
	argv[2] = t->addr.master_name;
	return 3;
}

int redis_topology_sentinel_answer(struct redis_topology *t, const redisReply *reply)
{
	struct hostport master;
	if (!redis_reply_master(reply, &master))
		return -1;
	t->current = node_of(t, &master, 0);
	t->node[t->current].failed = 0;
	return t->current;
}

const char *redis_topology_master_name(const struct redis_topology *t)
{
	return t->addr.master_name;
}

int redis_topology_auth_argv(const struct redis_topology *t, const char *argv[3])
{
	if (!t->addr.password)
		return 0;
	argv[0] = "AUTH";
	argv[1] = t->addr.user ? t->addr.user : t->addr.password;
	argv[2] = t->addr.password;
	return t->addr.user ? 3 : 2;
}

int redis_topology_wait_needed(const redisReply *info)
{
	return redis_reply_replicas_in_step(info, REDIS_TOPOLOGY_REPLICA_LAG) > 0;
}

void redis_topology_replicas_reset(struct redis_replicas *w)
{
	*w = (struct redis_replicas){ .wait = -1 };
}

int redis_topology_replicas_due(const struct redis_replicas *w, double now)
{
	return w->wait < 0 || (!w->wait && now - w->asked_at >= REDIS_TOPOLOGY_REPLICAS_RECHECK);
}

void redis_topology_replicas_heard(struct redis_replicas *w, const redisReply *info, double now)
{
	w->wait = redis_topology_wait_needed(info);
	w->asked_at = now;
}

int redis_topology_replicas_waited(struct redis_replicas *w, const redisReply *answer)
{
	int rc = redis_topology_wait_answer(answer);
	if (rc == 0)
		w->wait = -1;
	return rc;
}

int redis_topology_wait_argv(uint32_t timeout_ms, char ms[REDIS_TOPOLOGY_WAIT_MS_LEN],
			     const char *argv[3])
{
	snprintf(ms, REDIS_TOPOLOGY_WAIT_MS_LEN, "%" PRIu32, timeout_ms);
	argv[0] = "WAIT";
	argv[1] = "1";
	argv[2] = ms;
	return 3;
}

int redis_topology_wait_answer(const redisReply *a)
{
	if (!a || a->type != REDIS_REPLY_INTEGER)
		return -1;
	return a->integer > 0;
}

/* Redis Cluster hashes only the part between the first '{' and the first
 * '}' after it, when that part is not empty (CLUSTER KEYSLOT). */
int redis_topology_slot_sibling(const char *key, const char *suffix, char *buf, size_t len)
{
	const char *open = strchr(key, '{'), *close = open ? strchr(open + 1, '}') : NULL;
	int n;
	if (open && close && close > open + 1)
		n = snprintf(buf, len, "%s%s", key, suffix);
	else if (!open && !strchr(key, '}'))
		n = snprintf(buf, len, "{%s}%s", key, suffix);
	else
		return -EINVAL;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
