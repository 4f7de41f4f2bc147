#include "store/history.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/atomic_file.h"
#include "base/crc32.h"
#include "base/grow.h"

#define N_COUNTERS 16
#define OPENED_BYTES (4 * 8 + 2 * WINDOW_PEER_WORDS * 8) /* opened and received counts, sketches */
#define SIDES_BYTES (7 * 8 + 2 * WINDOW_PEER_WORDS * 8)  /* opened by protocol, served, refused */

struct history {
	char *dir;
	uint32_t retention;
	int fd;              /* the segment being appended to, or -1 */
	int64_t fd_day;      /* its day (days since the epoch) */
	struct history_stats st;
};

/* --- the record payload ---------------------------------------------------------------------- */

static uint64_t *counter_fields(struct window_counters *c, int i)
{
	uint64_t *f[N_COUNTERS] = {
		&c->packets, &c->bytes, &c->flows, &c->tcp_packets, &c->udp_packets,
		&c->icmp_packets, &c->other_packets, &c->dst_ips, &c->dst_ports, &c->dst_pairs,
		&c->syn_sent, &c->synack_received, &c->rst_sent, &c->rst_received,
		&c->unreach_received, &c->syn_unanswered,
	};
	return f[i];
}

static uint8_t *put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint64_t get(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

size_t history_encode(const struct net_sample *s, uint8_t *buf)
{
	struct window_counters c = s->c;
	uint32_t n = c.n_terms < WINDOW_MAX_TERMS ? c.n_terms : WINDOW_MAX_TERMS;
	uint8_t *p = put(buf, (uint64_t)s->window_start, 8);

	memcpy(p, s->src.b, 16);
	p += 16;
	for (int i = 0; i < N_COUNTERS; i++)
		p = put(p, *counter_fields(&c, i), 8);
	p = put(p, (uint32_t)c.src_location, 4);
	p = put(p, n, 4);
	for (uint32_t i = 0; i < n; i++) {
		p = put(p, c.terms[i].key, 8);
		p = put(p, c.terms[i].count, 4);
	}
	p = put(p, c.opened, 8);
	p = put(p, c.opened_packets, 8);
	p = put(p, c.opened_bytes, 8);
	p = put(p, c.received_bytes, 8);
	for (int i = 0; i < WINDOW_PEER_WORDS; i++)
		p = put(p, c.peers[i], 8);
	for (int i = 0; i < WINDOW_PEER_WORDS; i++)
		p = put(p, c.services[i], 8);
	const uint64_t sides[7] = { c.opened_tcp,   c.opened_udp, c.opened_icmp, c.served_packets,
				    c.served_bytes, c.refused,	  c.refused_to };
	for (int i = 0; i < 7; i++)
		p = put(p, sides[i], 8);
	for (int i = 0; i < WINDOW_PEER_WORDS; i++)
		p = put(p, c.clients[i], 8);
	for (int i = 0; i < WINDOW_PEER_WORDS; i++)
		p = put(p, c.served[i], 8);
	return (size_t)(p - buf);
}

int history_decode(const uint8_t *p, size_t len, struct net_sample *out, struct window_term *terms)
{
	const size_t fixed = 8 + 16 + N_COUNTERS * 8 + 4 + 4;
	if (len < fixed)
		return -1;
	uint32_t n = (uint32_t)get(p + fixed - 4, 4);
	/* records written before the opened flows were counted end at the terms;
	 * those written before the sides were told apart, at the opened flows */
	size_t terms_end = fixed + (size_t)n * 12;
	if (n > WINDOW_MAX_TERMS || (len != terms_end + OPENED_BYTES + SIDES_BYTES &&
				     len != terms_end + OPENED_BYTES && len != terms_end))
		return -1;
	int has_opened = len > terms_end, has_sides = len > terms_end + OPENED_BYTES;
	memset(out, 0, sizeof *out);
	out->window_start = (int64_t)get(p, 8);
	memcpy(out->src.b, p + 8, 16);
	p += 24;
	for (int i = 0; i < N_COUNTERS; i++, p += 8)
		*counter_fields(&out->c, i) = get(p, 8);
	out->c.src_location = (int)(int32_t)get(p, 4);
	p += 8;
	for (uint32_t i = 0; i < n; i++, p += 12)
		terms[i] = (struct window_term){ get(p, 8), (uint32_t)get(p + 8, 4), 0 };
	if (has_opened) {
		out->c.opened = get(p, 8);
		out->c.opened_packets = get(p + 8, 8);
		out->c.opened_bytes = get(p + 16, 8);
		out->c.received_bytes = get(p + 24, 8);
		p += 32;
		for (int i = 0; i < WINDOW_PEER_WORDS; i++, p += 8)
			out->c.peers[i] = get(p, 8);
		for (int i = 0; i < WINDOW_PEER_WORDS; i++, p += 8)
			out->c.services[i] = get(p, 8);
	}
	if (has_sides) {
		uint64_t *sides[7] = { &out->c.opened_tcp,   &out->c.opened_udp,
				       &out->c.opened_icmp,  &out->c.served_packets,
				       &out->c.served_bytes, &out->c.refused,
				       &out->c.refused_to };
		for (int i = 0; i < 7; i++, p += 8)
			*sides[i] = get(p, 8);
		for (int i = 0; i < WINDOW_PEER_WORDS; i++, p += 8)
			out->c.clients[i] = get(p, 8);
		for (int i = 0; i < WINDOW_PEER_WORDS; i++, p += 8)
			out->c.served[i] = get(p, 8);
	}
	out->terms = terms;
	out->c.terms = terms;
	out->c.n_terms = n;
	return 0;
}

/* --- segments ----------------------------------------------------------------------------------
 */

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

static void segment_path(const char *dir, int64_t day, char *path, size_t len)
{
	struct tm tm;
	time_t t = (time_t)(day * 86400);
	gmtime_r(&t, &tm);
	snprintf(path, len, "%s/%04d%02d%02d" HISTORY_SUFFIX, dir, tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday);
}

/* The day a segment file name stands for, or INT64_MIN when it is none. */
static int64_t segment_day(const char *name)
{
	struct tm tm = { 0 };
	int y, m, d, used = 0;
	if (sscanf(name, "%4d%2d%2d%n", &y, &m, &d, &used) != 3 || used != 8 ||
	    strcmp(name + 8, HISTORY_SUFFIX) != 0)
		return INT64_MIN;
	tm.tm_year = y - 1900, tm.tm_mon = m - 1, tm.tm_mday = d;
	return day_of((int64_t)timegm(&tm));
}

static int cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The days of dir's segments, oldest first (caller frees). Returns the
 * count, or -1 with errno. */
static long list_segments(const char *dir, int64_t **days)
{
	DIR *d = opendir(dir);
	size_t n = 0, cap = 0;
	struct dirent *e;

	*days = NULL;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int64_t day = segment_day(e->d_name);
		if (day == INT64_MIN)
			continue;
		if (grow_for_one(days, &cap, n, sizeof **days, 64) < 0) {
			closedir(d);
			return -1;
		}
		(*days)[n++] = day;
	}
	closedir(d);
	if (n)
		qsort(*days, n, sizeof **days, cmp_day);
	return (long)n;
}

/* Reads the whole records of one segment, calling fn for each (when fn is
 * not NULL). Returns the offset after the last whole record (where a torn
 * tail begins), or -1 when the file cannot be read or fn stopped. */
static int64_t scan_segment(const char *path, history_sample_fn fn, void *ctx,
			    struct history_stats *st)
{
	FILE *f = fopen(path, "rb");
	uint8_t head[HISTORY_RECORD_HEADER], *buf = malloc(HISTORY_MAX_RECORD);
	struct window_term *terms = malloc(WINDOW_MAX_TERMS * sizeof *terms);
	int64_t good = 0, last = st->last_window;
	struct net_sample s;

	if (!f || !buf || !terms) {
		if (f)
			fclose(f);
		free(buf);
		free(terms);
		return -1;
	}
	while (fread(head, 1, sizeof head, f) == sizeof head) {
		uint32_t len = (uint32_t)get(head, 4);
		if (len > HISTORY_MAX_RECORD || fread(buf, 1, len, f) != len ||
		    crc32_ieee(buf, len) != (uint32_t)get(head + 4, 4) ||
		    history_decode(buf, len, &s, terms) < 0)
			break;
		good += HISTORY_RECORD_HEADER + len;
		st->records++;
		st->windows += s.window_start != last;
		last = st->last_window = s.window_start;
		if (fn && fn(ctx, &s) != 0) {
			good = -1;
			break;
		}
	}
	if (good >= 0 && fseek(f, 0, SEEK_END) == 0 && ftell(f) > good)
		st->cut_bytes += (uint64_t)(ftell(f) - good);
	fclose(f);
	free(buf);
	free(terms);
	return good;
}

int history_scan(const char *dir, history_sample_fn fn, void *ctx, struct history_stats *st)
{
	struct history_stats local = { .last_window = INT64_MIN };
	int64_t *days;
	char path[4096];
	long n = list_segments(dir, &days);

	if (!st)
		st = &local;
	*st = local;
	if (n < 0)
		return -1;
	for (long i = 0; i < n; i++) {
		segment_path(dir, days[i], path, sizeof path);
		st->segments++;
		if (scan_segment(path, fn, ctx, st) < 0 && fn)
			break;
	}
	free(days);
	return 0;
}

/* Cuts a torn or corrupt tail off the newest segment (a crash stops a write
 * there; older segments are left as they are for inspection), counting its
 * records into h->st unless they were counted already. */
static int check_newest(struct history *h, const char *path, int counted, char *err, size_t errlen)
{
	struct history_stats tail = { .last_window = INT64_MIN };
	int64_t good = scan_segment(path, NULL, NULL, &tail);
	if (good < 0)
		return 0; /* unreadable: appending will say so */
	if (tail.cut_bytes && truncate(path, (off_t)good) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	h->st.cut_bytes = tail.cut_bytes;
	h->st.last_window = tail.last_window;
	if (!counted) {
		h->st.records += tail.records;
		h->st.windows += tail.windows;
	}
	return 0;
}

struct history *history_open(const char *dir, uint32_t retention_seconds, int count_all, char *err,
			     size_t errlen)
{
	struct history *h = calloc(1, sizeof *h);
	int64_t *days = NULL;
	char path[4096];
	long n;

	if (!h || !(h->dir = strdup(dir))) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->fd = -1;
	h->retention = retention_seconds;
	if ((mkdir(dir, 0750) < 0 && errno != EEXIST) || (n = list_segments(dir, &days)) < 0 ||
	    (count_all && history_scan(dir, NULL, NULL, &h->st) < 0)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(days);
		history_close(h);
		return NULL;
	}
	h->st.segments = (uint64_t)n;
	h->st.cut_bytes = 0; /* history_scan counted every bad tail; one is cut below */
	if (n > 0) {
		segment_path(dir, days[n - 1], path, sizeof path);
		if (check_newest(h, path, count_all, err, errlen) < 0) {
			free(days);
			history_close(h);
			return NULL;
		}
	}
	free(days);
	return h;
}

void history_set_counts(struct history *h, uint64_t records, uint64_t windows)
{
	h->st.records = records;
	h->st.windows = windows;
}

void history_close(struct history *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h->dir);
	free(h);
}

const struct history_stats *history_stats(const struct history *h)
{
	return &h->st;
}

static int segment_for(struct history *h, int64_t window_start)
{
	char path[4096];
	int64_t day = day_of(window_start);
	if (h->fd >= 0 && h->fd_day == day)
		return 0;
	if (h->fd >= 0)
		close(h->fd);
	segment_path(h->dir, day, path, sizeof path);
	h->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (h->fd < 0)
		return -1;
	h->fd_day = day;
	return 0;
}

int history_append(struct history *h, const struct sample_set *set)
{
	if (set->n == 0)
		return 0;
	uint8_t *buf = malloc(HISTORY_RECORD_HEADER + HISTORY_MAX_RECORD);
	int rc = buf && segment_for(h, set->s[0]->window_start) == 0 ? 0 : -1;
	off_t before = rc == 0 ? lseek(h->fd, 0, SEEK_END) : -1;
	for (size_t i = 0; rc == 0 && i < set->n; i++) {
		size_t len = history_encode(set->s[i], buf + HISTORY_RECORD_HEADER);
		put(buf, len, 4);
		put(buf + 4, crc32_ieee(buf + HISTORY_RECORD_HEADER, len), 4);
		size_t total = HISTORY_RECORD_HEADER + len;
		/* a short write (the disk filling) is retried: its errno then says why */
		if (atomic_file_write_all(h->fd, buf, total) < 0)
			rc = -1;
	}
	if (rc == 0 && fdatasync(h->fd) < 0)
		rc = -1;
	if (rc < 0 && before >= 0) { /* a window is kept whole or not at all: later windows */
		int saved = errno, cut = ftruncate(h->fd, before); /* must not follow a torn one */
		(void)cut;
		errno = saved;
	}
	free(buf);
	if (rc == 0) {
		h->st.records += set->n;
		h->st.windows += set->s[0]->window_start != h->st.last_window;
		h->st.last_window = set->s[0]->window_start;
	}
	return rc;
}

int history_expire(struct history *h, int64_t now)
{
	int64_t *days;
	char path[4096];
	long n = list_segments(h->dir, &days);
	int gone = 0;

	for (long i = 0; i < n; i++) {
		if ((days[i] + 1) * 86400 + (int64_t)h->retention > now)
			break;
		segment_path(h->dir, days[i], path, sizeof path);
		if (h->fd >= 0 && h->fd_day == days[i]) {
			close(h->fd);
			h->fd = -1;
		}
		gone += unlink(path) == 0;
	}
	free(days);
	return gone;
}
