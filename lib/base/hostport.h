/* hostport: the one way flowsad reads an address with a port: "HOST:PORT",
 * "[IPV6]:PORT" (the brackets are required for IPv6: "::1:6379" is
 * ambiguous), or, where a unix socket is allowed, a path (starting with
 * "/", or any text without a colon). Used by the Redis address, the NetFlow
 * listeners and the metrics endpoint. */
#ifndef FLOWSAD_HOSTPORT_H
#define FLOWSAD_HOSTPORT_H

#include <sys/socket.h>

#define HOSTPORT_MAX 256

struct hostport {
	char host[HOSTPORT_MAX];  /* without brackets; the path for a unix socket */
	int port;                 /* 1..65535; 0 for a unix socket */
	int unix_socket;
};

/* Parses text into *out. allow_unix: a path is a unix socket. Returns 0,
 * or -EINVAL with what was expected in err. */
int hostport_parse(const char *text, int allow_unix, struct hostport *out, char *err,
		   unsigned errlen) __attribute__((warn_unused_result));

/* A parsed numeric address (not a unix socket) as a socket address to bind
 * or connect, for socktype (SOCK_DGRAM, SOCK_STREAM). Names are not looked
 * up: a listener binds to an address. Returns 0, or -EINVAL with the reason
 * in err. */
int hostport_sockaddr(const struct hostport *h, int socktype, struct sockaddr_storage *sa,
		      socklen_t *len, char *err, unsigned errlen)
	__attribute__((warn_unused_result));

#endif
