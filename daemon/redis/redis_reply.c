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

int redis_reply_replicas(const redisReply *a)
{
	static const char key[] = "connected_slaves:";
	const char *at = a && a->type == REDIS_REPLY_STRING ? strstr(a->str, key) : NULL;
	return at ? atoi(at + sizeof key - 1) : -1;
}
