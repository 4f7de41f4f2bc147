/* baseline: what a source's past makes of its window: first seen, new peers
 * and services, rises above its own levels, its usual score, answering
 * sources; the bound (least recently seen forgotten), the horizon, another
 * timeline, and the state file written, read back and refused when damaged. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "features/baseline.h"
#include "features/distinct.h"

enum {
	FIRST_SEEN,
	NEW_PEERS,
	NEW_SERVICES,
	RISE_PACKETS,
	RISE_BYTES,
	RISE_FLOWS,
	RISE_PEERS,
	RISE_FAILURES,
	RISE_RECEIVED,
	NEW_SERVED
};

static ip_addr host(int n)
{
	ip_addr a = { { 0 } };
	a.b[10] = a.b[11] = 0xff;
	a.b[12] = 10, a.b[15] = (uint8_t)n;
	return a;
}

static void set_bit(uint64_t *sketch, uint64_t hash)
{
	unsigned bit = (unsigned)(hash >> 55);
	sketch[bit / 64] |= 1ull << (bit & 63);
}

/* Sets peer's bit in a sketch of peers (as window_sketch_has tests it). */
static void set_peer(uint64_t *sketch, const ip_addr *peer)
{
	set_bit(sketch, distinct_hash_addr(peer));
}

/* A window of a source that opened flows to peers [first, first + n) on one
 * service, sending `packets` packets. */
static struct window_counters window(int first, int n, uint64_t packets)
{
	struct window_counters c = { .packets = packets, .opened_packets = packets,
				     .bytes = 100 * packets, .opened_bytes = 100 * packets,
				     .opened = (uint64_t)n };
	for (int i = first; i < first + n; i++)
		set_bit(c.peers, distinct_hash2((uint64_t)i, 7));
	set_bit(c.services, distinct_hash2(80, 0x73657276));
	return c;
}

static void test_first_seen_and_new_peers(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float f[BASELINE_N_FEATURES];
	ip_addr a = host(1);
	(void)state;

	struct window_counters c = window(0, 5, 50);
	baseline_observe(b, 0, &a, &c, f);
	assert_true(f[FIRST_SEEN] == 1);
	assert_true(fabs(f[NEW_PEERS] - log1p(5)) < 0.05);  /* all new */
	assert_true(fabs(f[NEW_SERVICES] - log1p(1)) < 0.01);
	baseline_observe(b, 60, &a, &c, f);                 /* the same peers again */
	assert_true(f[FIRST_SEEN] == 0);
	assert_true(f[NEW_PEERS] < 0.01 && f[NEW_SERVICES] == 0);
	c = window(3, 20, 50);                               /* 18 of them new */
	baseline_observe(b, 120, &a, &c, f);
	assert_true(fabs(expm1(f[NEW_PEERS]) - 18) < 3);
	assert_int_equal(baseline_stats(b)->first_seen, 1);
	baseline_free(b);
}

static void test_rise_above_own_level(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float f[BASELINE_N_FEATURES];
	ip_addr busy = host(1), quiet = host(2);
	(void)state;

	for (int w = 0; w < 20; w++) {
		struct window_counters c = window(0, 3, 10000 + 100 * (w % 3));
		baseline_observe(b, 60 * w, &busy, &c, f);
		c = window(0, 3, 20 + w % 3);
		baseline_observe(b, 60 * w, &quiet, &c, f);
	}
	/* 10000 packets: the busy source's normal, forty times the quiet one's */
	struct window_counters c = window(0, 3, 10000);
	baseline_observe(b, 1200, &busy, &c, f);
	assert_true(f[RISE_PACKETS] < 1);
	baseline_observe(b, 1200, &quiet, &c, f);
	assert_true(f[RISE_PACKETS] > 3 && f[RISE_BYTES] > 3);
	assert_true(f[RISE_FLOWS] < 1 && f[RISE_FAILURES] < 1);
	/* rises need a past: none in a source's first windows */
	ip_addr fresh = host(3);
	for (int w = 0; w < BASELINE_MIN_WINDOWS; w++) {
		c = window(0, 1, w ? 100000 : 1);
		baseline_observe(b, 60 * w, &fresh, &c, f);
		assert_true(f[RISE_PACKETS] == 0);
	}
	baseline_free(b);
}

/* A volume rises from what one ordinary exchange carries, not from nothing:
 * a host that opens nothing, then a lookup and a request, has not risen; the
 * same host uploading megabytes has. */
static void test_no_rise_from_nothing(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float f[BASELINE_N_FEATURES];
	ip_addr server = host(1);
	(void)state;

	struct window_counters c = window(0, 0, 0);
	for (int w = 0; w < 20; w++)
		baseline_observe(b, 60 * w, &server, &c, f);
	c = window(0, 2, 4); /* 4 packets, 400 bytes */
	baseline_observe(b, 1200, &server, &c, f);
	assert_true(f[RISE_PACKETS] < 1 && f[RISE_BYTES] < 1);
	c = window(0, 1, 3000);
	c.opened_bytes = 4000000;
	baseline_observe(b, 1260, &server, &c, f);
	assert_true(f[RISE_PACKETS] > 4 && f[RISE_BYTES] > 6);
	baseline_free(b);
}

/* Usual scores are kept a side each: a server whose serving scores high
 * every window has a high usual served score and none the less a low usual
 * opened score, so what it serves never shelters what it opens. */
static void test_usual_score_by_side(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float f[BASELINE_N_FEATURES];
	ip_addr a = host(1);
	(void)state;

	struct window_counters c = window(0, 3, 100);
	for (int w = 0; w < BASELINE_MIN_SCORED; w++) {
		baseline_observe(b, 60 * w, &a, &c, f);
		assert_true(isnan(baseline_usual_score(b, &a, BASELINE_OPENED)));
		baseline_note_score(b, &a, 60 * w, BASELINE_SERVED, 400 + 200 * (w % 2), INFINITY);
		baseline_note_score(b, &a, 60 * w, BASELINE_OPENED, 4 + 2 * (w % 2), INFINITY);
	}
	double opened = baseline_usual_score(b, &a, BASELINE_OPENED);
	double served = baseline_usual_score(b, &a, BASELINE_SERVED);
	assert_true(opened > 6 && opened < 40);
	assert_true(served > 600 && served < 4000);
	assert_true(isnan(baseline_usual_score(b, &(ip_addr){ { 0 } }, BASELINE_OPENED)));
	baseline_free(b);
}

/* A window counts in the usual score up to the threshold: a flood's windows
 * scored in the tens of thousands leave a host's usual score within a few
 * times the threshold, whatever the flood's length, so its next anomaly (a
 * sweep at 8,000) is not held back; counted whole they made it hundreds of
 * thousands. */
static void test_usual_score_counts_up_to_the_threshold(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float f[BASELINE_N_FEATURES];
	ip_addr a = host(1), whole = host(2);
	struct window_counters c = window(0, 3, 100);
	(void)state;

	for (int w = 0; w < 30; w++) {
		double score = w < 4 ? 5 : 35000; /* ordinary windows, then a long flood */
		baseline_observe(b, 60 * w, &a, &c, f);
		baseline_note_score(b, &a, 60 * w, BASELINE_OPENED, score, 72);
		baseline_observe(b, 60 * w, &whole, &c, f);
		baseline_note_score(b, &whole, 60 * w, BASELINE_OPENED, score, INFINITY);
		if (w >= BASELINE_MIN_SCORED)
			assert_true(baseline_usual_score(b, &a, BASELINE_OPENED) < 8000);
	}
	assert_true(baseline_usual_score(b, &a, BASELINE_OPENED) > 72);
	assert_true(baseline_usual_score(b, &whole, BASELINE_OPENED) > 35000);
	baseline_free(b);
}

/* A host that keeps returning to a peer it first reached minutes ago (a
 * beacon), or to a service it first used minutes ago on a peer it knew (a
 * miner's session to its update mirror's port 3333), adds to its minutes'
 * new peers or new services window after window; one that returns to its
 * usual peers does not, and neither do the peers of a host's first minutes,
 * its first repertoire. */
static void test_returns_to_young_peers(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float beacon[BASELINE_N_FEATURES], usual[BASELINE_N_FEATURES];
	float fresh[BASELINE_N_FEATURES], miner[BASELINE_N_FEATURES];
	ip_addr a = host(1), u = host(2), n = host(3), m = host(4);
	struct window_counters own = window(0, 3, 20), with_c2 = window(0, 3, 20);
	struct window_counters mining = window(0, 3, 20);
	(void)state;

	set_bit(with_c2.peers, distinct_hash2(100, 7));
	set_bit(mining.services, distinct_hash2(3333, 0x73657276));
	for (int w = 0; w < 66; w++) { /* eleven minutes of its own peers */
		baseline_observe(b, 10 * w, &a, &own, beacon);
		baseline_observe(b, 10 * w, &u, &own, usual);
		baseline_observe(b, 10 * w, &m, &own, miner);
	}
	float first = 0, first_mined = 0;
	for (int w = 66; w < 84; w++) { /* three minutes: a beacon to peer 100 */
		baseline_observe(b, 10 * w, &a, &with_c2, beacon);
		baseline_observe(b, 10 * w, &u, &own, usual);
		baseline_observe(b, 10 * w, &n, &with_c2, fresh); /* its first minutes */
		baseline_observe(b, 10 * w, &m, &mining, miner);
		if (w == 67) {
			first = beacon[BASELINE_SLOW_NEW_PEERS];
			first_mined = miner[BASELINE_SLOW_NEW_SERVICES];
		}
		assert_true(usual[BASELINE_SLOW_NEW_PEERS] == 0);
		assert_true(usual[BASELINE_SLOW_NEW_SERVICES] == 0);
		assert_true(fresh[BASELINE_SLOW_NEW_PEERS] == 0);
	}
	assert_true(first > 0);
	assert_true(beacon[BASELINE_SLOW_NEW_PEERS] > first); /* its minutes add up */
	assert_true(beacon[1] == 0); /* no new peer in the window itself */
	assert_true(first_mined > 0);
	assert_true(miner[BASELINE_SLOW_NEW_SERVICES] > first_mined);
	assert_true(miner[NEW_SERVICES] == 0 && miner[BASELINE_SLOW_NEW_PEERS] == 0);
	baseline_free(b);
}

/* What is served to a host rises only where the host went somewhere new
 * for it: a large download from its usual peer is its usual; the same from a
 * peer it never used (a first pull of an export) is news. */
static void test_received_rises_with_novelty(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float f[BASELINE_N_FEATURES];
	ip_addr a = host(1);
	(void)state;

	for (int w = 0; w < 10; w++) {
		struct window_counters c = window(0, 3, 100);
		c.received_bytes = 1000;
		baseline_observe(b, 60 * w, &a, &c, f);
	}
	struct window_counters usual = window(0, 3, 100), fresh = window(50, 1, 100);
	usual.received_bytes = fresh.received_bytes = 50000000;
	baseline_observe(b, 600, &a, &fresh, f);
	assert_true(f[NEW_PEERS] > 0 && f[RISE_RECEIVED] > 3);
	baseline_observe(b, 660, &a, &usual, f);
	assert_true(f[RISE_RECEIVED] == 0);
	baseline_free(b);
}

/* host new_served: a service the host answered on and had not within the
 * horizon (a host that starts serving); the same service later is known. */
static void test_new_served(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float f[BASELINE_N_FEATURES];
	ip_addr a = host(1);
	(void)state;

	struct window_counters c = window(0, 3, 100);
	c.served[0] = 1; /* one service served from the start */
	baseline_observe(b, 0, &a, &c, f);
	assert_true(f[NEW_SERVED] > 0);
	baseline_observe(b, 60, &a, &c, f);
	assert_true(f[NEW_SERVED] == 0);
	c.served[3] = 1u << 7; /* a second one */
	baseline_observe(b, 120, &a, &c, f);
	assert_true(fabs(f[NEW_SERVED] - log1p(1)) < 0.05);
	assert_true(f[NEW_PEERS] == 0 && f[NEW_SERVICES] == 0); /* the sides apart */
	baseline_free(b);
}

/* What a host began serving lately: once it has been seen for ten minutes,
 * a service it serves for the first time and the clients it answers for the
 * first time are young for five to ten minutes (and the service news in its
 * host new_served meanwhile); what it serves and whom it
 * answers in its first minutes is its repertoire. */
static void test_serves_young(void **state)
{
	struct baseline *b = baseline_new(100, 86400);
	float f[BASELINE_N_FEATURES];
	ip_addr a = host(1), fresh = host(2), old = host(3), user = host(4);
	(void)state;

	struct window_counters c = window(0, 3, 100);
	c.served[0] = 1;
	set_peer(c.clients, &old);
	for (int64_t t = 0; t <= 600; t += 60)
		baseline_observe(b, t, &a, &c, f);
	assert_false(baseline_serves_young(b, &a, c.served)); /* its repertoire */
	assert_false(baseline_young_client(b, &a, &old));
	struct window_counters now = c;
	now.served[3] = 1u << 7; /* a second service, at 660, to a new client */
	set_peer(now.clients, &user);
	baseline_observe(b, 660, &a, &now, f);
	assert_true(f[NEW_SERVED] > 0);
	assert_true(baseline_serves_young(b, &a, now.served));
	assert_false(baseline_serves_young(b, &a, c.served)); /* the old service alone */
	assert_true(baseline_young_client(b, &a, &user));
	assert_false(baseline_young_client(b, &a, &old));
	baseline_observe(b, 840, &a, &now, f); /* served on, in the next period */
	assert_true(fabs(f[NEW_SERVED] - log1p(1)) < 0.05); /* news while young */
	assert_true(baseline_serves_young(b, &a, now.served));
	assert_true(baseline_young_client(b, &a, &user));
	baseline_observe(b, 1260, &a, &now, f); /* two periods on: known, not young */
	assert_true(f[NEW_SERVED] == 0);
	assert_false(baseline_serves_young(b, &a, now.served));
	assert_false(baseline_young_client(b, &a, &user));
	/* a host that serves something new in its first minutes */
	baseline_observe(b, 1260, &fresh, &c, f);
	c.served[5] = 1;
	set_peer(c.clients, &user);
	baseline_observe(b, 1320, &fresh, &c, f);
	assert_true(f[NEW_SERVED] > 0);
	assert_false(baseline_serves_young(b, &fresh, c.served));
	assert_false(baseline_young_client(b, &fresh, &user));
	assert_false(baseline_serves_young(b, &(ip_addr){ 0 }, c.served)); /* unknown */

	/* a's window reaches user (first answered, and now first reached: young)
	 * and, later, a peer it never reached besides: news besides user */
	struct window_counters to = window(0, 3, 20);
	baseline_observe(b, 1380, &a, &to, f);
	set_peer(to.peers, &user);
	baseline_observe(b, 1440, &a, &to, f);
	assert_false(baseline_young_besides(b, &a, &to, &user));
	assert_true(baseline_young_besides(b, &a, &to, &old)); /* user is young for a */
	set_peer(to.peers, &fresh);
	baseline_observe(b, 1500, &a, &to, f);
	assert_true(baseline_young_besides(b, &a, &to, &user));
	struct window_counters two = window(0, 3, 20); /* two young services */
	set_bit(two.services, distinct_hash2(3333, 0x73657276));
	set_bit(two.services, distinct_hash2(4444, 0x73657276));
	baseline_observe(b, 1560, &a, &two, f);
	assert_true(baseline_young_besides(b, &a, &two, &user));
	baseline_free(b);
}

static void test_bound_horizon_and_timeline(void **state)
{
	struct baseline *b = baseline_new(2, 3600);
	float f[BASELINE_N_FEATURES];
	ip_addr a = host(1), c2 = host(2), c3 = host(3);
	struct window_counters c = window(0, 2, 10);
	(void)state;

	baseline_observe(b, 0, &a, &c, f);
	baseline_observe(b, 60, &c2, &c, f);
	baseline_observe(b, 120, &a, &c, f);  /* a is now the most recent */
	baseline_observe(b, 180, &c3, &c, f); /* evicts c2, the least recently seen */
	assert_int_equal(baseline_stats(b)->evicted, 1);
	assert_int_equal(baseline_stats(b)->hosts, 2);
	baseline_observe(b, 240, &a, &c, f);
	assert_true(f[FIRST_SEEN] == 0);
	baseline_observe(b, 240, &c2, &c, f);
	assert_true(f[FIRST_SEEN] == 1);      /* forgotten */

	/* peers older than the horizon are new again; a source silent for longer is new */
	baseline_observe(b, 240 + 3600 + 60, &a, &c, f);
	assert_true(f[FIRST_SEEN] == 1);
	/* another timeline: a window older than the newest starts afresh */
	baseline_observe(b, 60, &a, &c, f);
	assert_int_equal(baseline_stats(b)->resets, 1);
	assert_int_equal(baseline_stats(b)->hosts, 1);
	/* a fleet's scorer: a window up to 15 min late is late, not another timeline */
	baseline_accept_late(b, 900);
	baseline_observe(b, 1200, &a, &c, f);
	baseline_observe(b, 360, &c2, &c, f);
	assert_int_equal(baseline_stats(b)->resets, 1);
	assert_int_equal(baseline_stats(b)->hosts, 2);
	baseline_observe(b, 240, &c3, &c, f); /* 960 s late: another timeline */
	assert_int_equal(baseline_stats(b)->resets, 2);
	baseline_free(b);
}

/* Ten windows of hosts 0 .. n-1, each with its score. */
static void remember_windows(struct baseline *b, int n)
{
	float f[BASELINE_N_FEATURES];
	for (int w = 0; w < 10; w++)
		for (int h = 0; h < n; h++) {
			uint64_t packets = (uint64_t)(100 * (h + 1) + w);
			struct window_counters c = window(h, 2 + w % 3, packets);
			ip_addr a = host(h);
			baseline_observe(b, 60 * w, &a, &c, f);
			baseline_note_score(b, &a, 60 * w, BASELINE_OPENED, h + w, INFINITY);
		}
}

/* Hosts 0 .. n-1 have the same usual scores in a and b, and their next
 * window (at 600) the same features, none of them new. */
static void assert_goes_on_alike(struct baseline *a, struct baseline *b, int n)
{
	float fa[BASELINE_N_FEATURES], fb[BASELINE_N_FEATURES];
	for (int h = 0; h < n; h++) {
		struct window_counters c = window(h + 1, 4, 5000);
		ip_addr src = host(h);
		assert_true(baseline_usual_score(a, &src, BASELINE_OPENED) ==
			    baseline_usual_score(b, &src, BASELINE_OPENED));
		baseline_observe(a, 600, &src, &c, fa);
		baseline_observe(b, 600, &src, &c, fb);
		assert_memory_equal(fa, fb, sizeof fa);
		assert_float_equal(fb[FIRST_SEEN], 0, 0);
	}
}

static void test_state_file(void **state)
{
	char path[] = "/tmp/flowsad-baseline-XXXXXX", err[256];
	struct baseline *b = baseline_new(100, 86400), *back = baseline_new(100, 86400);
	(void)state;

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	remember_windows(b, 5);
	assert_int_equal(baseline_save(b, path, err, sizeof err), 0);
	assert_int_equal(baseline_load(back, path, err, sizeof err), 0);
	assert_int_equal(baseline_stats(back)->hosts, 5);
	/* the same window gives the same features and usual scores after the round trip */
	assert_goes_on_alike(b, back, 5);

	uint8_t *buf;
	size_t len;
	assert_int_equal(baseline_encode(b, &buf, &len), 0);
	buf[len / 2] ^= 1; /* damaged: the checksum says so */
	assert_int_equal(baseline_decode(back, buf, len, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "checksum"));
	buf[len / 2] ^= 1;
	assert_int_equal(baseline_decode(back, buf, len - 1, err, sizeof err), -EINVAL);
	assert_int_equal(baseline_decode(back, buf, 7, err, sizeof err), -EINVAL);
	assert_int_equal(baseline_decode(back, buf, len, err, sizeof err), 0);
	/* a smaller bound keeps the most recently seen */
	struct baseline *small = baseline_new(2, 86400);
	assert_int_equal(baseline_decode(small, buf, len, err, sizeof err), 0);
	assert_int_equal(baseline_stats(small)->hosts, 2);
	ip_addr last = host(4);
	assert_false(isnan(baseline_usual_score(small, &last, BASELINE_OPENED)));
	assert_int_equal(baseline_load(back, "/nonexistent/baseline", err, sizeof err), -ENOENT);
	free(buf);
	unlink(path);
	baseline_free(small);
	baseline_free(back);
	baseline_free(b);
}

/* A source's memory moved to another process record by record (a scorer
 * taking a partition over) gives the same features and usual scores as
 * if it had stayed; a record of a source the taker saw later is not taken;
 * a damaged record is refused and changes nothing. */
static void test_host_records(void **state)
{
	char err[256];
	struct baseline *b = baseline_new(100, 86400), *taker = baseline_new(100, 86400);
	float f1[BASELINE_N_FEATURES], f2[BASELINE_N_FEATURES];
	size_t size = baseline_record_size();
	uint8_t *rec = malloc(size);
	(void)state;
	assert_non_null(rec);
	remember_windows(b, 3);
	ip_addr unknown = host(9), src;
	assert_int_equal(baseline_export_host(b, &unknown, rec), 0);
	for (int h = 0; h < 3; h++) {
		ip_addr a = host(h);
		assert_int_equal(baseline_export_host(b, &a, rec), 1);
		baseline_record_source(rec, &src);
		assert_memory_equal(&src, &a, sizeof a);
		assert_int_equal(baseline_import_host(taker, rec, size, err, sizeof err), 0);
	}
	assert_int_equal(baseline_stats(taker)->hosts, 3);
	/* every source at once: the most recently seen first */
	uint8_t *all = malloc(4 * size);
	assert_non_null(all);
	assert_int_equal(baseline_export_hosts(b, all, 4), 3);
	assert_int_equal(baseline_export_hosts(b, all, 2), 2);
	baseline_record_source(all, &src);
	ip_addr last = host(2);
	assert_memory_equal(&src, &last, sizeof src);
	assert_int_equal(baseline_export_host(b, &last, rec), 1);
	assert_memory_equal(all, rec, size);
	free(all);
	assert_goes_on_alike(b, taker, 3);
	/* the taker saw host 0 at 600 since: the older record is not taken */
	ip_addr a0 = host(0);
	struct baseline *old = baseline_new(100, 86400);
	struct window_counters c = window(0, 2, 100);
	baseline_observe(old, 0, &a0, &c, f1);
	assert_int_equal(baseline_export_host(old, &a0, rec), 1);
	assert_int_equal(baseline_import_host(taker, rec, size, err, sizeof err), 0);
	baseline_observe(b, 660, &a0, &c, f1);
	baseline_observe(taker, 660, &a0, &c, f2);
	assert_memory_equal(f1, f2, sizeof f1);
	/* damaged, or of another length: refused */
	rec[size / 2] ^= 1;
	assert_int_equal(baseline_import_host(taker, rec, size, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "checksum"));
	rec[size / 2] ^= 1;
	assert_int_equal(baseline_import_host(taker, rec, size - 1, err, sizeof err), -EINVAL);
	free(rec);
	baseline_free(old);
	baseline_free(taker);
	baseline_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_seen_and_new_peers),
		cmocka_unit_test(test_rise_above_own_level),
		cmocka_unit_test(test_no_rise_from_nothing),
		cmocka_unit_test(test_usual_score_by_side),
		cmocka_unit_test(test_usual_score_counts_up_to_the_threshold),
		cmocka_unit_test(test_returns_to_young_peers),
		cmocka_unit_test(test_new_served),
		cmocka_unit_test(test_received_rises_with_novelty),
		cmocka_unit_test(test_serves_young),
		cmocka_unit_test(test_bound_horizon_and_timeline),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_host_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
