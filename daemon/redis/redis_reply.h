/* redis_reply: what the daemon's two Redis clients (the async alert sink,
 * sinks/redis_sink.h; the blocking client, redis/redis_sync.h) read in the
 * topology's replies, read one way for both. Pure: no I/O, no logging. */
#ifndef FLOWSAD_REDIS_REPLY_H
#define FLOWSAD_REDIS_REPLY_H

#include <hiredis/hiredis.h>

#include "base/hostport.h"

/* A Sentinel's answer to SENTINEL get-master-addr-by-name (an array of the
 * host and the port) into *master. Returns 1, or 0 when it names no master
 * (nil: it knows none by that name; or anything malformed). */
int redis_reply_master(const redisReply *a, struct hostport *master);
/* A master's replicas in its answer to INFO replication
 * ("connected_slaves:N"), or -1 when the reply does not say. */
int redis_reply_replicas(const redisReply *a);

#endif
