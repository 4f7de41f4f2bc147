/* The topology's replies, read once for both clients (redis_reply.h). */
#include "redis/redis_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int redis_reply_master(const redisReply *a, struct hostport *master)
{
	memset(master, 0, sizeof *master);
	if (!a || a->type != REDIS_REPLY_ARRAY || a->elements != 2 ||
	    a->element[0]->type != REDIS_REPLY_STRING ||
	    a->element[1]->type != REDIS_REPLY_STRING ||
	    strlen(a->element[0]->str) >= sizeof master->host)
		return 0;
	snprintf(master->host, sizeof master->host, "%s", a->element[0]->str);
	master->port = atoi(a->element[1]->str);
	if (master->port < 1 || master->port > 65535) {
		memset(master, 0, sizeof *master);
		return 0;
	}
	return 1;
}

/* A CLUSTER SLOTS node entry ([host, port, id, ...]) into *hp. Returns 1,
 * or 0 when it names no reachable node. */
static int slot_node(const redisReply *e, struct hostport *hp)
{
	memset(hp, 0, sizeof *hp);
	if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_INTEGER)
		return 0;
	const char *host = e->element[0]->str;
	if (!host[0] || strcmp(host, "?") == 0 || strlen(host) >= sizeof hp->host ||
	    e->element[1]->integer < 1 || e->element[1]->integer > 65535)
		return 0;
	snprintf(hp->host, sizeof hp->host, "%s", host);
	hp->port = (int)e->element[1]->integer;
	return 1;
}

int redis_reply_cluster_nodes(const redisReply *a, struct hostport *nodes, int max)
{
	int n = 0;
	for (size_t i = 0; a && a->type == REDIS_REPLY_ARRAY && i < a->elements; i++) {
		/* [first slot, last slot, master, replicas...] */
		const redisReply *range = a->element[i];
		size_t entries = range->type == REDIS_REPLY_ARRAY ? range->elements : 0;
		for (size_t j = 2; j < entries && n < max; j++)
			n += slot_node(range->element[j], &nodes[n]);
	}
	return n;
}

int redis_reply_replicas(const redisReply *a)
{
	static const char key[] = "connected_slaves:";
	const char *at = a && a->type == REDIS_REPLY_STRING ? strstr(a->str, key) : NULL;
	return at ? atoi(at + sizeof key - 1) : -1;
}
