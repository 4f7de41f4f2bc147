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
/* The nodes a CLUSTER SLOTS reply names (masters and replicas, each slot
 * range's), up to max into nodes, in the order named, repeats included;
 * an entry without a usable host ("" or "?": the node does not say) is
 * left out. Returns how many were written: 0 for anything else (an error
 * reply: a server without cluster support). */
int redis_reply_cluster_nodes(const redisReply *a, struct hostport *nodes, int max);
/* A master's replicas in step with it, in its answer to INFO replication:
 * those listed online ("slaveN:...,state=online,...,lag=L") whose last
 * acknowledgement is at most max_lag seconds old (a replica acknowledges
 * every second; one that hangs, SIGSTOPped or cut off, stays connected
 * until the master's repl-timeout while its lag grows). -1 when the reply
 * does not say ("connected_slaves:" missing: not INFO replication). */
int redis_reply_replicas_in_step(const redisReply *a, int max_lag);

#endif
