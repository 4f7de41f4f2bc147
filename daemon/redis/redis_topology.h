/* redis_topology: where the daemon's Redis clients send what, decided once
 * for both (the async alert sink, sinks/redis_sink.h; the blocking client,
 * redis/redis_sync.h). Pure: no I/O, no logging; the clients do the I/O
 * and ask it every decision.
 *
 * It holds [redis] address and the password (redis_address.h), the nodes
 * known (an index each: the seeds, then the nodes met: named by a MOVED or
 * ASK reply, a Sentinel, or a cluster node's answer to CLUSTER SLOTS), the
 * node that served each key last, and the node that answered last. A
 * command about a key goes to the node that served that key last (a MOVED
 * reply moved it there), else to the node that answered last, else to the
 * next node in turn: a Redis Cluster node, the one server, or a Sentinel to
 * ask for the master. A node that fails is forgotten as both, and tried
 * after the others that have not failed: so the next command goes to
 * another seed, or to a node met when the seeds are dead (a cluster given
 * one seed that was then killed), and any live node of a cluster names the
 * replica promoted in a dead master's place. With Sentinels only the
 * Sentinels are taken in turn: they name the new master.
 *
 * A write to a master with replicas waits (WAIT) for one of them, so that
 * a failover cannot take it, as long as one is in step with the master:
 * read in the master's answer to INFO replication, asked at a connection's
 * first write and again when a WAIT went unacknowledged (struct
 * redis_replicas), so that a replica that hangs or dies costs one timeout,
 * not one a write.
 *
 * Errors: 0 or -errno, the reason in the caller's buffer; constructors
 * NULL. Threads: one topology per client; not shared. */
#ifndef FLOWSAD_REDIS_TOPOLOGY_H
#define FLOWSAD_REDIS_TOPOLOGY_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hostport.h"
#include "redis/redis_address.h"

#define REDIS_TOPOLOGY_MAX_NODES 64    /* a cluster's masters and replicas, seeds, Sentinels */
#define REDIS_TOPOLOGY_MAX_ROUTES 1024 /* keys whose node is remembered */
#define REDIS_TOPOLOGY_MAX_HOPS 16     /* redirections followed for one command */
#define REDIS_TOPOLOGY_WAIT_MS_LEN 12  /* room for WAIT's timeout in milliseconds */

struct redis_topology;

/* The topology of address, the password file read now (NULL: no AUTH).
 * NULL with the reason in err[errlen] (REDIS_ADDRESS_ERR is room enough):
 * "address " and what was expected, the file's error with its path, or out
 * of memory. */
struct redis_topology *redis_topology_new(const char *address, const char *password_file,
					  char *err, size_t errlen);
/* Accepts NULL. */
void redis_topology_free(struct redis_topology *t);

/* Node's address (borrowed: valid while the topology lives; the slot may
 * change host, redis_topology_generation). */
const struct hostport *redis_topology_host(const struct redis_topology *t, int node);
/* Whether node is a Sentinel to ask for the master (not a data node). */
int redis_topology_is_sentinel(const struct redis_topology *t, int node);
/* Changes when node's slot is given to another host (the table of
 * REDIS_TOPOLOGY_MAX_NODES full): a connection kept under an older
 * generation is to another host and must be closed. */
unsigned redis_topology_generation(const struct redis_topology *t, int node);

/* The node that serves key (NULL: any) as far as known: the one that served
 * key last, else the one that answered last; -1 when neither is known. */
int redis_topology_serving(const struct redis_topology *t, const char *key);
/* The node a command about key (NULL: any) goes to: the one serving it, else
 * the next node in turn (above). */
int redis_topology_node_for(struct redis_topology *t, const char *key);
/* Node answered a command about key (NULL: any) with no redirection:
 * where key has no route of its own, commands go there from now on. */
void redis_topology_answered(struct redis_topology *t, const char *key, int node);
/* Node failed (no connection, lost, a refusal, a Sentinel that knew no
 * master): no key is routed to it any more, commands without a route go
 * to the next node in turn, and it is tried after those that have not
 * failed until it answers again. */
void redis_topology_lost(struct redis_topology *t, int node);
/* A data node's answer to CLUSTER SLOTS (any other reply, an error from a
 * server without cluster support, is nothing): the nodes it names are met,
 * fallback seeds from now on, as many as the table has room for. Nothing
 * with Sentinels. Returns how many were new. */
int redis_topology_met(struct redis_topology *t, const redisReply *slots);

enum redis_redirect {
	REDIS_REDIRECT_NONE,  /* not a redirection: the command's own answer */
	REDIS_REDIRECT_MOVED, /* key's slot moved: the node named serves key from now on */
	REDIS_REDIRECT_ASK,   /* key's slot is migrating: the node named, once, after ASKING */
};
/* What reply to a command about key (NULL: any) says: for MOVED and ASK the
 * node named goes to *node (for MOVED, remembered as key's route). A
 * malformed redirection is no redirection (an error reply). */
enum redis_redirect redis_topology_redirect(struct redis_topology *t, const char *key,
					    const redisReply *reply, int *node);

/* The question for a Sentinel (SENTINEL get-master-addr-by-name NAME) into
 * argv; returns argc. */
int redis_topology_sentinel_argv(const struct redis_topology *t, const char *argv[3]);
/* A Sentinel's answer: the master's node, where commands without a route
 * go from now on; -1 when it names none (the caller loses the Sentinel,
 * and the next is asked). */
int redis_topology_sentinel_answer(struct redis_topology *t, const redisReply *reply);
/* The master's name the Sentinels are asked for ("" without Sentinels). */
const char *redis_topology_master_name(const struct redis_topology *t);

/* AUTH for a new connection to a data node into argv (borrowed from the
 * topology): returns argc, 2 (a password) or 3 (an ACL user and its
 * password), or 0 when there is no password. */
int redis_topology_auth_argv(const struct redis_topology *t, const char *argv[3]);

#define REDIS_TOPOLOGY_REPLICA_LAG 2	   /* seconds since a replica's last ack: in step */
#define REDIS_TOPOLOGY_REPLICAS_RECHECK 30 /* seconds between two looks for a replica back */

/* Whether a write on a master waits for one of its replicas, from the
 * master's answer to INFO replication: 1 when one is in step with it
 * (redis_reply_replicas_in_step, REDIS_TOPOLOGY_REPLICA_LAG); 0 when none
 * is (none at all, or each hangs), or the answer does not say (INFO
 * refused to an ACL user, no answer): then no write waits. */
int redis_topology_wait_needed(const redisReply *info);

/* Whether the writes on one connection wait for a replica, kept by the
 * client a connection: asked (INFO replication) before its first write,
 * again after a WAIT that no replica acknowledged in time (the replica
 * hangs or died: every write would wait the whole timeout), and while no
 * write waits, every REDIS_TOPOLOGY_REPLICAS_RECHECK seconds (a replica
 * may be back). Times are monotonic seconds. */
struct redis_replicas {
	int wait;	 /* 1 writes wait, 0 they do not, -1 to be asked */
	double asked_at; /* when INFO answered last */
};
/* A new connection's: to be asked. */
void redis_topology_replicas_reset(struct redis_replicas *w);
/* Whether INFO replication is to be asked before the next write. */
int redis_topology_replicas_due(const struct redis_replicas *w, double now);
/* The master's answer to INFO replication (any reply: NULL, a refusal). */
void redis_topology_replicas_heard(struct redis_replicas *w, const redisReply *info, double now);
/* WAIT's answer (redis_topology_wait_answer, returned): none acknowledged
 * in time makes INFO due again. */
int redis_topology_replicas_waited(struct redis_replicas *w, const redisReply *answer);

/* WAIT for one replica within timeout_ms into argv, the milliseconds
 * written into ms (borrowed by argv); returns argc. */
int redis_topology_wait_argv(uint32_t timeout_ms, char ms[REDIS_TOPOLOGY_WAIT_MS_LEN],
			     const char *argv[3]);
/* WAIT's answer: 1 when a replica had the write in time, 0 when none had,
 * -1 when it is no answer (NULL, an error). */
int redis_topology_wait_answer(const redisReply *a);

/* A key that a Redis Cluster serves in key's slot (so that one script may
 * write both), key followed by suffix, into buf[len]: key itself when its
 * first {...} is a hash tag (a non-empty one), else key between braces, a
 * tag of its own. Returns 0; -EINVAL when key holds braces that are no
 * hash tag (no name can share its slot then), -ENAMETOOLONG. */
int redis_topology_slot_sibling(const char *key, const char *suffix, char *buf, size_t len);

#endif
