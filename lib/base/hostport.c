#include "base/hostport.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static int bad(const char *text, int allow_unix, char *err, unsigned errlen)
{
	snprintf(err, errlen, "'%s': expected HOST:PORT, [IPV6]:PORT%s", text,
		 allow_unix ? " or the path of a unix socket" : "");
	return -EINVAL;
}

/* A host name or address: printable, without brackets, slashes or spaces
 * (and, outside brackets, without colons). */
static int host_ok(const char *h, size_t len, int bracketed)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '/' ||
		    (c == ':' && !bracketed))
			return 0;
	}
	return len > 0;
}

static int parse_port(const char *s, int *port)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* hostport_parse, where a host without a port is on default_port (0: a port
 * is required). */
static int parse_one(const char *text, int allow_unix, int default_port, struct hostport *out,
		     char *err, unsigned errlen)
{
	const char *colon = strrchr(text, ':'), *host = text;
	size_t len = strlen(text);
	int no_port = !colon || (text[0] == '[' && text[len - 1] == ']');

	memset(out, 0, sizeof *out);
	if (allow_unix && (text[0] == '/' || (!colon && strchr(text, '/')))) {
		if (len >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return bad(text, allow_unix, err, errlen);
		snprintf(out->host, sizeof out->host, "%s", text);
		out->unix_socket = 1;
		return 0;
	}
	if (no_port && default_port) {
		colon = text + len;
		out->port = default_port;
	} else if (!colon || parse_port(colon + 1, &out->port) < 0) {
		return bad(text, allow_unix, err, errlen);
	}
	len = (size_t)(colon - text);
	if (text[0] == '[') { /* [v6]:port */
		if (len < 3 || text[len - 1] != ']')
			return bad(text, allow_unix, err, errlen);
		host = text + 1;
		len -= 2;
	} else if (memchr(text, ':', len)) { /* a bare IPv6 address: which colon ends it? */
		return bad(text, allow_unix, err, errlen);
	}
	if (!host_ok(host, len, host != text) || len >= sizeof out->host)
		return bad(text, allow_unix, err, errlen);
	memcpy(out->host, host, len);
	return 0;
}

int hostport_parse(const char *text, int allow_unix, struct hostport *out, char *err,
		   unsigned errlen)
{
	return parse_one(text, allow_unix, 0, out, err, errlen);
}

/* hostport_parse_list, with parse_one's default_port. */
static int parse_list(const char *text, int allow_unix, int default_port, struct hostport *out,
		      int max, char *err, unsigned errlen)
{
	char one[HOSTPORT_MAX];
	int n = 0;
	for (const char *at = text;; at++) {
		const char *end = strchr(at, ',');
		size_t len = end ? (size_t)(end - at) : strlen(at);
		while (len && at[0] == ' ')
			at++, len--;
		while (len && at[len - 1] == ' ')
			len--;
		if (n == max || len >= sizeof one) {
			snprintf(err, errlen, "'%s': at most %d addresses of %d characters", text,
				 max, HOSTPORT_MAX - 1);
			return -EINVAL;
		}
		memcpy(one, at, len);
		one[len] = '\0';
		if (parse_one(one, allow_unix, default_port, &out[n++], err, errlen) < 0)
			return -EINVAL;
		if (!end)
			return n;
		at = end;
	}
}

int hostport_parse_list(const char *text, int allow_unix, struct hostport *out, int max,
			char *err, unsigned errlen)
{
	return parse_list(text, allow_unix, 0, out, max, err, errlen);
}

int hostport_parse_redis(const char *text, char *name, unsigned namelen, struct hostport *out,
			 int max, char *err, unsigned errlen)
{
	const char *at;
	name[0] = '\0';
	if (strncmp(text, "sentinel:", 9) != 0)
		return parse_list(text, 1, HOSTPORT_REDIS_PORT, out, max, err, errlen);
	at = strchr(text + 9, '@');
	if (!at || at == text + 9 || (unsigned)(at - text - 9) >= namelen ||
	    !host_ok(text + 9, (size_t)(at - text - 9), 0)) {
		snprintf(err, errlen, "'%s': expected sentinel:NAME@HOST:PORT[,HOST:PORT...]",
			 text);
		return -EINVAL;
	}
	memcpy(name, text + 9, (size_t)(at - text - 9));
	name[at - text - 9] = '\0';
	return parse_list(at + 1, 1, HOSTPORT_SENTINEL_PORT, out, max, err, errlen);
}

int hostport_redirect(const char *reply, const char *kind, struct hostport *out)
{
	size_t k = strlen(kind);
	const char *node, *colon;
	if (strncmp(reply, kind, k) != 0 || reply[k] != ' ')
		return 0;
	node = strchr(reply + k + 1, ' ');
	colon = node ? strrchr(node, ':') : NULL;
	memset(out, 0, sizeof *out);
	if (!colon || colon == node + 1 || (size_t)(colon - node - 1) >= sizeof out->host ||
	    parse_port(colon + 1, &out->port) < 0 || !host_ok(node + 1, (size_t)(colon - node - 1),
							     1))
		return -EINVAL;
	memcpy(out->host, node + 1, (size_t)(colon - node - 1));
	return 1;
}

void hostport_format(const struct hostport *h, char *buf, unsigned len)
{
	if (h->unix_socket)
		snprintf(buf, len, "%s", h->host);
	else if (strchr(h->host, ':'))
		snprintf(buf, len, "[%s]:%d", h->host, h->port);
	else
		snprintf(buf, len, "%s:%d", h->host, h->port);
}

int hostport_sockaddr(const struct hostport *h, int socktype, struct sockaddr_storage *sa,
		      socklen_t *len, char *err, unsigned errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = socktype,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV }, *ai;
	char port[8];
	int rc = 0;

	snprintf(port, sizeof port, "%d", h->port);
	if (h->unix_socket || (rc = getaddrinfo(h->host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "'%s': %s", h->host,
			 h->unix_socket ? "a unix socket where an address was expected"
					: gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}
