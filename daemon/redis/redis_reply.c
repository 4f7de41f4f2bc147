/* The topology's replies, read once for both clients (redis_reply.h). */
#include "redis/redis_reply.h"

#include <ctype.h>
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

/* The value of field NAME ("state", "lag") in a replica's line of INFO
 * ("slave0:ip=...,port=...,state=online,offset=...,lag=0"), into buf;
 * NULL when the line has none. */
static const char *replica_field(const char *line, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	for (const char *at = strchr(line, ':'); at; at = strchr(at + 1, ',')) {
		if (strncmp(at + 1, name, n) != 0 || at[1 + n] != '=')
			continue;
		snprintf(buf, len, "%.*s", (int)strcspn(at + 2 + n, ",\r\n"), at + 2 + n);
		return buf;
	}
	return NULL;
}

int redis_reply_replicas_in_step(const redisReply *a, int max_lag)
{
	if (!a || a->type != REDIS_REPLY_STRING || !strstr(a->str, "connected_slaves:"))
		return -1;
	int n = 0;
	char line[256], state[32], lag[16];
	for (const char *at = a->str; at && *at; at = strchr(at, '\n'), at = at ? at + 1 : NULL) {
		if (strncmp(at, "slave", 5) != 0 || !isdigit((unsigned char)at[5]))
			continue;
		snprintf(line, sizeof line, "%.*s", (int)strcspn(at, "\r\n"), at);
		n += replica_field(line, "state", state, sizeof state) &&
		     strcmp(state, "online") == 0 && replica_field(line, "lag", lag, sizeof lag) &&
		     atoi(lag) <= max_lag;
	}
	return n;
}
