/* redis_sync: a blocking Redis client for the daemon's worker threads (the
 * retraining's feedback, a sensor's publisher, a scorer's collector), over
 * every address form of [redis] address: one server, Redis Cluster seeds,
 * or a master that Sentinels know by name (base/hostport.h).
 *
 * A command names the key it is about; where it goes is the topology's
 * decision (redis_topology.h): the node that served that key last, MOVED
 * followed (and remembered: the slot moved) and ASK (once, with ASKING
 * before it: the slot is migrating), and after a node that does not answer
 * the other seeds and the nodes met in turn (each new connection asks its
 * cluster's nodes, CLUSTER SLOTS), or the Sentinels asked for the master
 * again. A connection is kept per node. hiredis's blocking calls are
 * bounded by the timeout given, and all of them by a stop's deadline
 * (redis_sync_stop_by).
 *
 * Threads: one client per thread; the client is not shared. */
#ifndef FLOWSAD_REDIS_SYNC_H
#define FLOWSAD_REDIS_SYNC_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

struct redis_sync;

/* A client of address (the password file read now, may be NULL); who
 * prefixes its log lines. NULL after logging. */
struct redis_sync *redis_sync_new(const char *address, const char *password_file,
				  uint32_t timeout_ms, const char *who);
void redis_sync_free(struct redis_sync *r);

/* Runs the command argv[argc] (lengths len, NULL: C strings) on the node of
 * key (NULL: any). Returns the reply (an error reply too, but never a
 * redirection; freeReplyObject it), or NULL when no node answered within
 * REDIS_TOPOLOGY_MAX_HOPS tries (said once in 30 s at most until one
 * answers again, naming each node tried and how it failed or what it
 * answered). */
redisReply *redis_sync_command(struct redis_sync *r, const char *key, int argc, const char **argv,
			       const size_t *len);
/* The same with a printf-like format of hiredis (%s, %b, %lld). */
redisReply *redis_sync_format(struct redis_sync *r, const char *key, const char *fmt, ...);

/* Whether what was written to key's node (its master) reached a replica
 * within timeout_ms (WAIT 1): 1, also at once for a master without a
 * replica in step or whose INFO replication does not say (asked as struct
 * redis_replicas says: a connection's first write, after a WAIT no replica
 * acknowledged); 0 when no replica acknowledged in time; -1 when the node
 * did not answer. */
int redis_sync_replicated(struct redis_sync *r, const char *key, uint32_t timeout_ms);

/* A stop: from any thread, no connection or command begins after deadline
 * (monotonic seconds, base/duration.h), and those under way are cut to end
 * by it; a command then returns NULL. A later call moves the deadline. */
void redis_sync_stop_by(struct redis_sync *r, double deadline);
/* Whether the last command got an answer (1 before the first). */
int redis_sync_answering(const struct redis_sync *r);

/* Redirections followed and failures met so far. */
struct redis_sync_stats {
	uint64_t redirects, failures, connects;
};
const struct redis_sync_stats *redis_sync_stats(const struct redis_sync *r);

#endif
