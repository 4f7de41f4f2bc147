/* redis_address: what [redis] address and password_file say, read once for
 * every Redis client of the daemon (the alert sink, sinks/redis_sink.h; the
 * blocking client of the fleet and of retraining, redis/redis_sync.h) and
 * for check-config.
 *
 * An address is one server (HOST:PORT or a unix socket path), the seeds of
 * a Redis Cluster (a list), or Sentinels and the name of the master they
 * watch (lib/base/hostport.h says the syntax). A password file's first line
 * is "PASSWORD", or "USER PASSWORD" for an ACL user.
 *
 * Errors: 0 or -errno, the reason in the caller's buffer; nothing is
 * logged here. */
#ifndef FLOWSAD_REDIS_ADDRESS_H
#define FLOWSAD_REDIS_ADDRESS_H

#include <stddef.h>

#include "base/hostport.h"

#define REDIS_MAX_SEEDS 16 /* Redis Cluster nodes (or Sentinels) an address may list */
#define REDIS_ADDRESS_ERR  (HOSTPORT_MAX + 1100) /* room for any reason given here */

struct redis_address {
	char master_name[128];                  /* Sentinel: the master's name ("" otherwise) */
	struct hostport seeds[REDIS_MAX_SEEDS]; /* the server, the cluster's seeds, or Sentinels */
	int n_seeds;
	char *user, *password;                  /* AUTH (malloc'd): NULL without a password */
};

/* Parses address into *a (zeroed first: no password). Returns 0, or
 * -EINVAL with what was expected in err. */
int redis_address_parse(struct redis_address *a, const char *address, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Reads the password file at path into a->user and a->password. Returns 0;
 * -EINVAL when its first line is empty, the errno of a file that cannot be
 * read, or -ENOMEM; the reason (with the path) in err. */
int redis_address_read_password(struct redis_address *a, const char *path, char *err,
				size_t errlen) __attribute__((warn_unused_result));
/* The password's copies; a may be zeroed or half parsed. */
void redis_address_free(struct redis_address *a);

/* Whether the address needs the nodes to be asked who is master and who
 * replicates it (Sentinels, or several cluster seeds), rather than being one
 * server as given. */
int redis_address_has_topology(const struct redis_address *a);

#endif
