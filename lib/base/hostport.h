/* hostport: the one way flowsad reads an address with a port: "HOST:PORT",
 * "[IPV6]:PORT" (the brackets are required for IPv6: "::1:6379" is
 * ambiguous), or, where a unix socket is allowed, a path (starting with
 * "/", or any text with a '/' and no colon: "./redis.sock"; "localhost" is a
 * host). Used by the Redis address, the NetFlow listeners and the metrics
 * endpoint. */
#ifndef FLOWSAD_HOSTPORT_H
#define FLOWSAD_HOSTPORT_H

#include <sys/socket.h>

#define HOSTPORT_MAX 256
#define HOSTPORT_REDIS_PORT 6379     /* of a Redis host given without one */
#define HOSTPORT_SENTINEL_PORT 26379 /* of a Sentinel given without one */

struct hostport {
	char host[HOSTPORT_MAX];  /* without brackets; the path for a unix socket */
	int port;                 /* 1..65535; 0 for a unix socket */
	int unix_socket;
};

/* Parses text into *out. allow_unix: a path is a unix socket. Returns 0,
 * or -EINVAL with what was expected in err. */
int hostport_parse(const char *text, int allow_unix, struct hostport *out, char *err,
		   unsigned errlen) __attribute__((warn_unused_result));

/* A comma-separated list of addresses (Redis Cluster seeds: "h1:7000,
 * h2:7000"; a single address is a list of one) into out[max]. Returns how
 * many, or -EINVAL with the bad one in err. */
int hostport_parse_list(const char *text, int allow_unix, struct hostport *out, int max,
			char *err, unsigned errlen) __attribute__((warn_unused_result));

/* A Redis address: "sentinel:NAME@ADDRESSES" is the master that the
 * Sentinels listed (hostport_parse_list) know by NAME, and NAME goes to
 * name[namelen]; anything else is a list of nodes (one server, or Redis
 * Cluster seeds) and name is "". A host without a port is on Redis's
 * (HOSTPORT_REDIS_PORT; a Sentinel's, HOSTPORT_SENTINEL_PORT). Returns how
 * many addresses, or -EINVAL with what was expected in err. */
int hostport_parse_redis(const char *text, char *name, unsigned namelen, struct hostport *out,
			 int max, char *err, unsigned errlen) __attribute__((warn_unused_result));

/* The node of a Redis Cluster redirection, an error reply "MOVED SLOT
 * HOST:PORT" (or "ASK SLOT HOST:PORT"), into *out; an IPv6 host comes
 * without brackets there. Returns 1 for a redirection of that kind
 * (kind: "MOVED" or "ASK"), 0 for another reply, -EINVAL for a malformed
 * one. */
int hostport_redirect(const char *reply, const char *kind, struct hostport *out);

/* The address as text (IPv6 in brackets, a socket's path as is). */
void hostport_format(const struct hostport *h, char *buf, unsigned len);

/* A parsed numeric address (not a unix socket) as a socket address to bind
 * or connect, for socktype (SOCK_DGRAM, SOCK_STREAM). Names are not looked
 * up: a listener binds to an address. Returns 0, or -EINVAL with the reason
 * in err. */
int hostport_sockaddr(const struct hostport *h, int socktype, struct sockaddr_storage *sa,
		      socklen_t *len, char *err, unsigned errlen)
	__attribute__((warn_unused_result));

#endif
