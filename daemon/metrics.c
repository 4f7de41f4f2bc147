#include "metrics.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "base/hostport.h"
#include "log.h"

#define MAX_WRITERS 8

struct metrics {
	struct ev_loop *loop;
	struct MHD_Daemon *mhd;
	ev_io io;
	ev_timer timeout;
	int n_writers;
	struct {
		metrics_writer_fn fn;
		void *ctx;
	} writers[MAX_WRITERS];
};

void metrics_value(FILE *out, const char *name, const char *type, const char *help,
		   const char *labels, double value)
{
	fprintf(out, "# HELP flowsad_%s %s\n# TYPE flowsad_%s %s\n", name, help, name, type);
	fprintf(out, "flowsad_%s%s %.17g\n", name, labels ? labels : "", value);
}

void metrics_labelled(FILE *out, const char *name, const char *labels, double value)
{
	fprintf(out, "flowsad_%s%s %.17g\n", name, labels, value);
}

void metrics_counter_family(FILE *out, const char *name, const char *help, const char *key,
			    const char *(*name_of)(int), const uint64_t *values, int n)
{
	char labels[256];
	fprintf(out, "# HELP flowsad_%s %s\n# TYPE flowsad_%s counter\n", name, help, name);
	for (int i = 0; i < n; i++) {
		snprintf(labels, sizeof labels, "{%s=\"%s\"}", key, name_of(i));
		metrics_labelled(out, name, labels, (double)values[i]);
	}
}

/* The process's own line, then every writer's. */
static void write_all(const struct metrics *m, FILE *out)
{
	metrics_value(out, "build_info", "gauge", "The running build (its version in a label).",
		      "{version=\"" FLOWSAD_VERSION "\"}", 1);
	for (int i = 0; i < m->n_writers; i++)
		m->writers[i].fn(m->writers[i].ctx, out);
}

int metrics_add(struct metrics *m, metrics_writer_fn fn, void *ctx)
{
	if (!m)
		return 0;
	if (m->n_writers == MAX_WRITERS)
		return -1;
	m->writers[m->n_writers].fn = fn;
	m->writers[m->n_writers++].ctx = ctx;
	return 0;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct metrics *m = cls;
	char *text = NULL;
	size_t len = 0;
	(void)version, (void)upload, (void)upload_size, (void)con_cls;

	/* HEAD as GET: libmicrohttpd sends the headers alone */
	int found = strcmp(url, "/metrics") == 0 &&
		    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return MHD_NO;
	if (found)
		write_all(m, out);
	else
		fputs("flowsad: GET /metrics\n", out);
	fclose(out);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	enum MHD_Result rc = MHD_queue_response(conn, found ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, r);
	MHD_destroy_response(r);
	return rc;
}

static void serve(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;
	MHD_run(m->mhd);
	ev_timer_stop(m->loop, &m->timeout);
	if (MHD_get_timeout(m->mhd, &ms) == MHD_YES) {
		ev_timer_set(&m->timeout, (double)ms / 1000.0, 0);
		ev_timer_start(m->loop, &m->timeout);
	}
}

static void on_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	serve(w->data);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	serve(w->data);
}

int metrics_open(struct ev_loop *loop, const char *listen, struct metrics **out)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct hostport hp;
	char err[HOSTPORT_MAX + 64];
	*out = NULL;
	if (!listen)
		return EX_OK;
	if (hostport_parse(listen, 0, &hp, err, sizeof err) < 0 ||
	    hostport_sockaddr(&hp, SOCK_STREAM, &sa, &salen, err, sizeof err) < 0) {
		log_err("[metrics] listen = %s", err);
		return EX_CONFIG;
	}
	struct metrics *m = calloc(1, sizeof *m);
	if (!m)
		return EX_OSERR;
	m->loop = loop;
	/* an IPv6 address takes IPv4 too ([::] is every address, as operators expect) */
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 (sa.ss_family == AF_INET6 ? MHD_USE_DUAL_STACK : 0);
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, answer, m, MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
		m->mhd ? MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		log_err("[metrics] listen = %s: cannot serve there", listen);
		if (m->mhd)
			MHD_stop_daemon(m->mhd);
		free(m);
		return EX_UNAVAILABLE;
	}
	ev_io_init(&m->io, on_ready, info->epoll_fd, EV_READ);
	ev_init(&m->timeout, on_timeout);
	m->io.data = m->timeout.data = m;
	ev_io_start(loop, &m->io);
	*out = m;
	log_info("metrics on http://%s/metrics", listen);
	return EX_OK;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	ev_io_stop(m->loop, &m->io);
	ev_timer_stop(m->loop, &m->timeout);
	MHD_stop_daemon(m->mhd);
	free(m);
}
