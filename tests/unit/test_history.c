/* history: samples written and read back whole, day segments, a torn tail
 * cut at open, a corrupt record, expiry. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/history.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/flowsad-history-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);
	(void)state;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	return rmdir(dir);
}

/* A window of n samples starting at t; sample i has i+1 terms. */
static void make_window(struct sample_set *set, int64_t t, int n, struct window_term *terms)
{
	struct net_sample *store = calloc((size_t)n, sizeof *store);
	set->n = (size_t)n;
	set->s = calloc((size_t)n, sizeof *set->s);
	for (int i = 0; i < n; i++) {
		struct net_sample *s = set->s[i] = &store[i];
		s->window_start = t;
		s->src.b[10] = s->src.b[11] = 0xff;
		s->src.b[15] = (uint8_t)i;
		s->c.packets = 1000u + (uint64_t)i;
		s->c.syn_unanswered = 7;
		s->c.src_location = i - 1;
		s->c.n_terms = (uint32_t)i + 1;
		s->c.terms = s->terms = terms;
	}
}

static void free_window(struct sample_set *set)
{
	free(set->s[0]); /* the samples' storage, made in one piece */
	free(set->s);
}

struct seen {
	int n;
	int64_t first, last;
	uint64_t packets, terms, term_counts;
};

static int count_sample(void *ctx, const struct net_sample *s)
{
	struct seen *v = ctx;
	if (v->n++ == 0)
		v->first = s->window_start;
	v->last = s->window_start;
	v->packets += s->c.packets;
	v->terms += s->c.n_terms;
	for (uint32_t i = 0; i < s->c.n_terms; i++)
		v->term_counts += s->c.terms[i].count;
	return 0;
}

static void test_round_trip_and_segments(void **state)
{
	char err[256];
	struct window_term terms[8];
	struct history_stats st;
	(void)state;
	for (int i = 0; i < 8; i++)
		terms[i] = (struct window_term){ (uint64_t)i << 40 | 443, (uint32_t)i + 1, 0 };
	struct history *h = history_open(dir, 86400 * 30, 1, err, sizeof err);
	assert_non_null(h);
	const int64_t day = 1795910400; /* 2026-11-29 00:00 UTC */
	int64_t starts[] = { day + 3600, day + 7200, day + 86400 + 60 }; /* two days */
	for (int w = 0; w < 3; w++) {
		struct sample_set set;
		make_window(&set, starts[w], 5, terms);
		assert_int_equal(history_append(h, &set), 0);
		free_window(&set);
	}
	assert_int_equal(history_stats(h)->records, 15);
	assert_int_equal(history_stats(h)->windows, 3);
	history_close(h);

	struct seen v = { 0 };
	assert_int_equal(history_scan(dir, count_sample, &v, &st), 0);
	assert_int_equal(v.n, 15);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.windows, 3);
	assert_int_equal(v.first, starts[0]);
	assert_int_equal(v.last, starts[2]);
	assert_int_equal(v.packets, 3 * (1000 + 1001 + 1002 + 1003 + 1004));
	assert_int_equal(v.terms, 3 * (1 + 2 + 3 + 4 + 5));
	assert_int_equal(v.term_counts, 3 * (1 + 3 + 6 + 10 + 15));
	char path[256];
	snprintf(path, sizeof path, "%s/20261129.hist", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/20261130.hist", dir);
	assert_int_equal(access(path, F_OK), 0);

	h = history_open(dir, 86400 * 30, 0, err, sizeof err); /* quick: the newest day alone */
	assert_int_equal(history_stats(h)->windows, 1);
	assert_int_equal(history_stats(h)->records, 5);
	assert_int_equal(history_stats(h)->segments, 2);
	assert_int_equal(history_stats(h)->last_window, starts[2]);
	history_close(h);
	h = history_open(dir, 86400, 1, err, sizeof err); /* a day's retention */
	assert_int_equal(history_stats(h)->windows, 3);
	assert_int_equal(history_expire(h, day + 86400 + 86400 + 10), 1); /* the first day went */
	history_close(h);
	v = (struct seen){ 0 };
	assert_int_equal(history_scan(dir, count_sample, &v, &st), 0);
	assert_int_equal(v.n, 5);
}

static void test_torn_tail_is_cut(void **state)
{
	char err[256], path[256];
	struct window_term terms[8] = { { 1, 1, 0 } };
	struct stat sb;
	(void)state;
	struct history *h = history_open(dir, 86400, 1, err, sizeof err);
	struct sample_set set;
	make_window(&set, 1795910400, 3, terms);
	assert_int_equal(history_append(h, &set), 0);
	history_close(h);
	snprintf(path, sizeof path, "%s/20261129.hist", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(truncate(path, sb.st_size - 5), 0); /* SIGKILL mid-write */

	struct seen v = { 0 };
	struct history_stats st;
	assert_int_equal(history_scan(dir, count_sample, &v, &st), 0);
	assert_int_equal(v.n, 2); /* up to the last whole record */
	assert_true(st.cut_bytes > 0);
	h = history_open(dir, 86400, 1, err, sizeof err);
	assert_non_null(h);
	assert_true(history_stats(h)->cut_bytes > 0);
	assert_int_equal(history_append(h, &set), 0); /* appends after the cut */
	history_close(h);
	v = (struct seen){ 0 };
	assert_int_equal(history_scan(dir, count_sample, &v, &st), 0);
	assert_int_equal(v.n, 5);
	assert_int_equal(st.cut_bytes, 0);
	free_window(&set);
}

static void test_decode_refuses_malformed(void **state)
{
	uint8_t buf[HISTORY_MAX_RECORD];
	struct window_term terms[WINDOW_MAX_TERMS], t[2] = { { 5, 1, 0 }, { 6, 2, 0 } };
	struct net_sample s = { .window_start = -60 }, out;
	(void)state;
	const size_t sides = 7 * 8 + 2 * WINDOW_PEER_WORDS * 8; /* opened by protocol, served */
	const size_t tail = sides + 4 * 8 + 2 * WINDOW_PEER_WORDS * 8; /* and opened, received */
	s.c.packets = 42;
	s.c.n_terms = 2;
	s.c.terms = t;
	s.c.peers[0] = 0x81;
	s.c.services[WINDOW_PEER_WORDS - 1] = 1ull << 63;
	s.c.opened = 7;
	s.c.opened_bytes = 1500;
	s.c.served_bytes = 9000;
	s.c.refused_to = 1ull << 40;
	s.c.clients[2] = 4;
	s.c.received_bytes = 1 << 20;
	size_t len = history_encode(&s, buf);
	assert_int_equal(history_decode(buf, len, &out, terms), 0);
	assert_int_equal(out.window_start, -60);
	assert_int_equal(out.c.packets, 42);
	assert_int_equal(out.c.terms[1].key, 6);
	assert_true(memcmp(out.c.peers, s.c.peers, sizeof s.c.peers) == 0);
	assert_true(memcmp(out.c.services, s.c.services, sizeof s.c.services) == 0);
	assert_int_equal(out.c.opened, 7);
	assert_int_equal(out.c.opened_bytes, 1500);
	assert_int_equal(out.c.received_bytes, 1 << 20);
	assert_int_equal(out.c.served_bytes, 9000);
	assert_int_equal(out.c.refused_to, 1ull << 40);
	assert_int_equal(out.c.clients[2], 4);
	/* a record written before the sides were told apart: read, served nothing */
	assert_int_equal(history_decode(buf, len - sides, &out, terms), 0);
	assert_int_equal(out.c.opened, 7);
	assert_int_equal(out.c.served_bytes, 0);
	/* a record written before opened flows were counted: read, with none */
	assert_int_equal(history_decode(buf, len - tail, &out, terms), 0);
	assert_int_equal(out.c.peers[0], 0);
	assert_int_equal(out.c.opened, 0);
	assert_int_equal(out.c.terms[1].count, 2);
	assert_int_equal(history_decode(buf, len - 1, &out, terms), -1);
	assert_int_equal(history_decode(buf, len + 12, &out, terms), -1);
	buf[len - tail - 2 * 12 - 4] = 0xff; /* a term count beyond the bound */
	assert_int_equal(history_decode(buf, len, &out, terms), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_and_segments, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_torn_tail_is_cut, make_dir, remove_dir),
		cmocka_unit_test(test_decode_refuses_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
