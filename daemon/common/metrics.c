#include "common/metrics.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/hostport.h"
#include "common/log.h"

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

void metrics_family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP flowsad_%s %s\n# TYPE flowsad_%s %s\n", name, help, name, type);
}

void metrics_value(FILE *out, const char *name, const char *type, const char *help,
		   const char *labels, double value)
{
	metrics_family(out, name, type, help);
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
	metrics_family(out, name, "counter", help);
	for (int i = 0; i < n; i++) {
		snprintf(labels, sizeof labels, "{%s=\"%s\"}", key, name_of(i));
		metrics_labelled(out, name, labels, (double)values[i]);
	}
}

/* A metric of the standard process_ family (no flowsad_ prefix: every
 * Prometheus client library exports these under the same names). */
static void process_value(FILE *out, const char *name, const char *type, const char *help,
			  double value)
{
	fprintf(out, "# HELP process_%s %s\n# TYPE process_%s %s\n", name, help, name, type);
	fprintf(out, "process_%s %.17g\n", name, value);
}

/* What the metrics take of /proc/self/stat (proc(5)): fields 14 utime, 15
 * stime, 22 starttime, 23 vsize and 24 rss. The command name, field 2, may
 * hold spaces and parentheses: the fields are counted from its last ')'. */
struct proc_stat {
	unsigned long long utime, stime, start; /* clock ticks; start since boot */
	unsigned long long vsize;               /* bytes */
	long long rss;                          /* pages */
};

static int read_proc_stat(struct proc_stat *st)
{
	char buf[1024], *after_name;
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f)
		return -1;
	buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
	fclose(f);
	if (!(after_name = strrchr(buf, ')')))
		return -1;
	int got = sscanf(after_name + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
			 "%*d %*d %*d %*d %*d %*d %llu %llu %lld",
			 &st->utime, &st->stime, &st->start, &st->vsize, &st->rss);
	return got == 5 ? 0 : -1;
}

/* The boot time in seconds since the epoch, to the clock tick (starttime's
 * unit). From the clocks, not /proc/stat: the unit's ProcSubset=pid hides
 * that file. */
static double boot_time(double tick)
{
	struct timespec now, since_boot;
	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_BOOTTIME, &since_boot);
	double t = (double)(now.tv_sec - since_boot.tv_sec) +
		   1e-9 * (double)(now.tv_nsec - since_boot.tv_nsec);
	return round(t * tick) / tick;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the listing's own descriptor */
}

/* The process_ metrics Prometheus client libraries export, from /proc. */
static void write_process(FILE *out)
{
	struct proc_stat st;
	struct rlimit lim;
	double tick = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
	int fds = open_fds();

	if (read_proc_stat(&st) == 0) {
		process_value(out, "cpu_seconds_total", "counter",
			      "CPU time the process used, user and system.",
			      (double)(st.utime + st.stime) / tick);
		process_value(out, "resident_memory_bytes", "gauge",
			      "Memory the process holds in RAM.", (double)st.rss * page);
		process_value(out, "virtual_memory_bytes", "gauge",
			      "Address space the process maps.", (double)st.vsize);
		process_value(out, "start_time_seconds", "gauge",
			      "When the process started, in seconds since the epoch.",
			      boot_time(tick) + (double)st.start / tick);
	}
	if (fds >= 0)
		process_value(out, "open_fds", "gauge", "File descriptors the process has open.",
			      fds);
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0)
		process_value(out, "max_fds", "gauge",
			      "File descriptors it may open (RLIMIT_NOFILE).",
			      lim.rlim_cur == RLIM_INFINITY ? -1 : (double)lim.rlim_cur);
}

/* The process's own lines, then every writer's. */
static void write_all(const struct metrics *m, FILE *out)
{
	metrics_value(out, "build_info", "gauge", "The running build (its version in a label).",
		      "{version=\"" FLOWSAD_VERSION "\"}", 1);
	write_process(out);
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
	int readable = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int found = strcmp(url, "/metrics") == 0;
	unsigned status = !readable ? MHD_HTTP_METHOD_NOT_ALLOWED
			  : found   ? MHD_HTTP_OK
				    : MHD_HTTP_NOT_FOUND;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return MHD_NO;
	if (status == MHD_HTTP_OK)
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
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
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
