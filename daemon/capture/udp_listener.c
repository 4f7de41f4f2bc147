#include "capture/udp_listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/hostport.h"
#include "common/log.h"

#define BATCH 32
#define DATAGRAM_MAX 65536

struct udp_listener {
	int fd;
	char *address;
	const struct filter_nets *allow;
	struct udp_listener_stats st;
	uint8_t (*buf)[DATAGRAM_MAX];            /* [BATCH] */
	struct sockaddr_storage from[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	char control[BATCH][CMSG_SPACE(sizeof(uint32_t))];
};

static int bind_socket(struct udp_listener *l, const char *address, uint64_t rcvbuf)
{
	struct hostport hp;
	struct sockaddr_storage sa;
	socklen_t salen;
	char err[HOSTPORT_MAX + 64];
	int one = 1, size = rcvbuf > INT32_MAX ? INT32_MAX : (int)rcvbuf, got = 0;
	socklen_t len = sizeof got;

	if (hostport_parse(address, 0, &hp, err, sizeof err) < 0 ||
	    hostport_sockaddr(&hp, SOCK_DGRAM, &sa, &salen, err, sizeof err) < 0) {
		log_err("%s", err);
		return EX_CONFIG;
	}
	l->fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, salen) < 0) {
		log_err("%s: cannot listen: %s", address, strerror(errno));
		return errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE;
	}
	/* RCVBUFFORCE passes net.core.rmem_max when we may; else the kernel caps it */
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
		setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	getsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
	if ((uint64_t)got / 2 < rcvbuf)
		log_warn("%s: receive buffer %d bytes, not %llu (raise net.core.rmem_max)", address,
			 got / 2, (unsigned long long)rcvbuf);
	setsockopt(l->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
	return EX_OK;
}

struct udp_listener *udp_listener_open(const char *address, uint64_t rcvbuf,
				       const struct filter_nets *allow, int *rc)
{
	struct udp_listener *l = calloc(1, sizeof *l);
	if (!l || !(l->buf = malloc(BATCH * sizeof *l->buf)) || !(l->address = strdup(address))) {
		log_err("%s: out of memory", address);
		*rc = EX_OSERR;
		udp_listener_close(l);
		return NULL;
	}
	l->fd = -1;
	l->allow = allow && allow->n ? allow : NULL;
	if ((*rc = bind_socket(l, address, rcvbuf)) != EX_OK) {
		udp_listener_close(l);
		return NULL;
	}
	return l;
}

void udp_listener_close(struct udp_listener *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
	free(l->address);
	free(l);
}

int udp_listener_fd(const struct udp_listener *l)
{
	return l->fd;
}

const struct udp_listener_stats *udp_listener_stats(const struct udp_listener *l)
{
	return &l->st;
}

static void sockaddr_to_addr(const struct sockaddr_storage *ss, ip_addr *a)
{
	memset(a, 0, sizeof *a);
	if (ss->ss_family == AF_INET) {
		ip_addr_from_v4(a, (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr);
	} else if (ss->ss_family == AF_INET6) {
		memcpy(a->b, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	}
}

/* The socket's overflow counter, carried by every datagram's control data. */
static void read_drops(struct udp_listener *l, struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t drops;
			memcpy(&drops, CMSG_DATA(c), sizeof drops);
			l->st.kernel_drops = drops;
		}
}

int udp_listener_step(struct udp_listener *l, int max, struct netflow_decoder *nf,
		      struct window_table *t, window_emit_fn emit, void *ctx)
{
	struct window_flow_sink sink = { t, emit, ctx, 0 };
	int total = 0;

	while (total < max) {
		for (int i = 0; i < BATCH; i++) {
			l->iov[i] = (struct iovec){ l->buf[i], DATAGRAM_MAX };
			l->msgs[i].msg_hdr = (struct msghdr){
				.msg_name = &l->from[i],
				.msg_namelen = sizeof l->from[i],
				.msg_iov = &l->iov[i],
				.msg_iovlen = 1,
				.msg_control = l->control[i],
				.msg_controllen = sizeof l->control[i],
			};
		}
		int n = recvmmsg(l->fd, l->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			log_err("%s: %s", l->address, strerror(errno));
			return -1;
		}
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
		for (int i = 0; i < n; i++) {
			ip_addr exporter;
			sockaddr_to_addr(&l->from[i], &exporter);
			read_drops(l, &l->msgs[i].msg_hdr);
			if (l->allow && !filter_nets_match(l->allow, &exporter)) {
				l->st.refused++;
				continue;
			}
			l->st.datagrams++;
			l->st.bytes += l->msgs[i].msg_len;
			netflow_decode(nf, &exporter, l->buf[i], l->msgs[i].msg_len, now_ms,
				       window_flow_sink_add, &sink);
		}
		total += n;
		if (sink.failed) {
			log_err("%s: out of memory", l->address);
			return -1;
		}
		if (n < BATCH)
			break;
	}
	return total;
}
