#include "features/baseline.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic_file.h"
#include "base/crc32.h"
#include "features/distinct.h"

#define N_LEVELS 6   /* opened: packets, bytes, flows, peers; failures; bytes received */
#define LEVEL_FLOWS 2
#define LEVEL_FAILURES 4
#define LEVEL_RECEIVED 5
#define N_SCALES 3
#define N_SLOW 4     /* flows opened, new peers, new services, failures: summed over minutes */
#define SLOW_HALFLIFE 300.0
#define YOUNG_PERIOD 300 /* a peer first reached within one or two of these is young */
#define SKETCH_BITS 512
#define SKETCH_WORDS (SKETCH_BITS / 64)
#define NONE UINT32_MAX
#define MAGIC "FLSDBASE"
#define FORMAT_VERSION 5u

_Static_assert(SKETCH_BITS == WINDOW_PEER_BITS, "a window's peers and a host's share one sketch");

const char *const baseline_feature_names[BASELINE_N_FEATURES] = {
	"host first_seen", "host new_peers", "host new_services", "host rise packets",
	"host rise bytes", "host rise flows", "host rise peers", "host rise failures",
	"host rise received", "host new_served", "host slow flows", "host slow new_peers",
	"host slow new_services", "host slow failures",
};

/* Half-lives of the levels, seconds of event time. */
static const double halflife[N_SCALES] = { 60, 3600, 86400 };
#define SCORE_HALFLIFE 86400.0

/* One remembered source. Stored as is in the state file (host byte order:
 * the file is a cache of this machine's daemon, not an exchange format). */
struct host {
	ip_addr src;
	int64_t first, last;         /* window starts */
	int64_t epoch;               /* half-horizon index of peers[0] / services[0] */
	uint32_t windows;            /* windows seen (saturating) */
	/* its scores, one memory a side (BASELINE_OPENED, BASELINE_SERVED) */
	uint32_t scored[BASELINE_SIDES];    /* windows scored (saturating) */
	int64_t score_last[BASELINE_SIDES]; /* the last window scored */
	float score_mean[BASELINE_SIDES], score_var[BASELINE_SIDES]; /* of log(1 + max(score, 0)) */
	float mean[N_SCALES][N_LEVELS], var[N_SCALES][N_LEVELS];
	uint64_t peers[2][SKETCH_WORDS];    /* [0] this half-horizon, [1] the previous */
	uint64_t services[2][SKETCH_WORDS];
	uint64_t served[2][SKETCH_WORDS]; /* the services it answered on */
	uint64_t clients[2][SKETCH_WORDS]; /* the peers it answered */
	/* the peers and services it first reached, the services it first served
	 * and the clients it first answered within the last YOUNG_PERIODs, once it had a
	 * repertoire ([0] this period, [1] the previous one) */
	uint64_t young[2][SKETCH_WORDS];
	uint64_t young_services[2][SKETCH_WORDS];
	uint64_t young_served[2][SKETCH_WORDS];
	uint64_t young_clients[2][SKETCH_WORDS];
	int64_t young_epoch;
	/* what it did over the last minutes (sums decayed with SLOW_HALFLIFE),
	 * and the level of log(1 + sum) (half-life a day) */
	float slow[N_SLOW], slow_mean[N_SLOW], slow_var[N_SLOW];
};

struct baseline {
	size_t cap;           /* hosts at most */
	uint32_t horizon;
	struct host *hosts;   /* [cap] */
	uint32_t *prev, *next;/* recency list over hosts: head most recent */
	uint32_t head, tail, n;
	uint32_t *index;      /* [slots] host numbers by address hash, NONE empty */
	int64_t latest;       /* the newest window remembered (INT64_MIN: none) */
	uint32_t late;        /* seconds a window may be older than latest (baseline_accept_late) */
	size_t slots;         /* a power of two, >= 2 cap */
	struct baseline_stats st;
};

static void reset(struct baseline *b)
{
	memset(b->index, 0xff, b->slots * sizeof *b->index);
	b->head = b->tail = NONE;
	b->n = 0;
	b->st.hosts = 0;
	b->latest = INT64_MIN;
}

void baseline_accept_late(struct baseline *b, uint32_t seconds)
{
	b->late = seconds;
}

struct baseline *baseline_new(size_t max_hosts, uint32_t horizon)
{
	struct baseline *b = calloc(1, sizeof *b);
	if (!b || max_hosts < 1 || max_hosts >= NONE / 2 || horizon < 2) {
		free(b);
		return NULL;
	}
	b->cap = max_hosts;
	b->horizon = horizon;
	b->slots = 16;
	while (b->slots < 2 * max_hosts)
		b->slots *= 2;
	b->hosts = malloc(max_hosts * sizeof *b->hosts);
	b->prev = malloc(max_hosts * sizeof *b->prev);
	b->next = malloc(max_hosts * sizeof *b->next);
	b->index = malloc(b->slots * sizeof *b->index);
	if (!b->hosts || !b->prev || !b->next || !b->index) {
		baseline_free(b);
		return NULL;
	}
	reset(b);
	return b;
}

void baseline_free(struct baseline *b)
{
	if (!b)
		return;
	free(b->hosts);
	free(b->prev);
	free(b->next);
	free(b->index);
	free(b);
}

const struct baseline_stats *baseline_stats(const struct baseline *b)
{
	return &b->st;
}

/* --- the table: open addressing by address, a recency list --------------------------------- */

static size_t home_slot(const struct baseline *b, const ip_addr *a)
{
	return (size_t)distinct_hash_addr(a) & (b->slots - 1); /* a few lookups a sample */
}

/* The slot holding a, or the empty slot where it would go. */
static size_t find_slot(const struct baseline *b, const ip_addr *a)
{
	size_t i = home_slot(b, a);
	while (b->index[i] != NONE && !ip_addr_equal(&b->hosts[b->index[i]].src, a))
		i = (i + 1) & (b->slots - 1);
	return i;
}

void baseline_prefetch(const struct baseline *b, const ip_addr *src, int stage)
{
	size_t i = home_slot(b, src);
	if (stage == 0)
		__builtin_prefetch(&b->index[i]);
	else if (b->index[i] != NONE)
		__builtin_prefetch(&b->hosts[b->index[i]]);
}

/* Empties slot i, moving later entries of its probe run back (linear
 * probing's deletion: no tombstones). */
static void clear_slot(struct baseline *b, size_t i)
{
	size_t j = i;
	b->index[i] = NONE;
	for (;;) {
		j = (j + 1) & (b->slots - 1);
		if (b->index[j] == NONE)
			return;
		size_t home = home_slot(b, &b->hosts[b->index[j]].src);
		/* the entry at j may move to i when its home is not within (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			b->index[i] = b->index[j];
			b->index[j] = NONE;
			i = j;
		}
	}
}

static void unlink_host(struct baseline *b, uint32_t h)
{
	if (b->prev[h] != NONE)
		b->next[b->prev[h]] = b->next[h];
	else
		b->head = b->next[h];
	if (b->next[h] != NONE)
		b->prev[b->next[h]] = b->prev[h];
	else
		b->tail = b->prev[h];
}

static void push_front(struct baseline *b, uint32_t h)
{
	b->prev[h] = NONE;
	b->next[h] = b->head;
	if (b->head != NONE)
		b->prev[b->head] = h;
	b->head = h;
	if (b->tail == NONE)
		b->tail = h;
}

/* A fresh host for src: a free one, or the least recently seen one. */
static uint32_t take_host(struct baseline *b, const ip_addr *src)
{
	uint32_t h;
	if (b->n < b->cap) {
		h = b->n++;
	} else {
		h = b->tail;
		unlink_host(b, h);
		clear_slot(b, find_slot(b, &b->hosts[h].src));
		b->st.evicted++;
	}
	memset(&b->hosts[h], 0, sizeof b->hosts[h]);
	b->hosts[h].src = *src;
	b->index[find_slot(b, src)] = h;
	push_front(b, h);
	b->st.hosts = b->n;
	return h;
}

/* --- features ------------------------------------------------------------------------------- */

/* Moves n pairs of sketches (sketch[k][0] the current period, [1] the
 * previous one) from period *at to epoch: the current one becomes the
 * previous one, and what is older is forgotten. */
static void rotate(uint64_t (*const *sketch)[SKETCH_WORDS], size_t n, int64_t *at, int64_t epoch)
{
	if (epoch <= *at)
		return;
	for (size_t k = 0; k < n; k++) {
		if (epoch == *at + 1)
			memcpy(sketch[k][1], sketch[k][0], sizeof sketch[k][0]);
		else
			memset(sketch[k][1], 0, sizeof sketch[k][1]);
		memset(sketch[k][0], 0, sizeof sketch[k][0]);
	}
	*at = epoch;
}

/* Moves the sketches to the half-horizon epoch, and the young ones to the
 * YOUNG_PERIOD of window_start. */
static void rotate_sketches(struct host *h, int64_t epoch, int64_t window_start)
{
	uint64_t(*const sketch[])[SKETCH_WORDS] = { h->peers, h->services, h->served, h->clients };
	uint64_t(*const young[])[SKETCH_WORDS] = { h->young, h->young_services, h->young_served,
						    h->young_clients };
	rotate(sketch, sizeof sketch / sizeof sketch[0], &h->epoch, epoch);
	rotate(young, sizeof young / sizeof young[0], &h->young_epoch,
	       window_start / YOUNG_PERIOD - (window_start % YOUNG_PERIOD < 0));
}

/* The window's levels (v) and their logs (x). A volume's log starts at
 * what one ordinary exchange carries (a handshake, a request and its close;
 * a full-size packet of bytes): from a quiet host's nothing to a lookup and
 * a request is no rise, an upload of megabytes is. */
static void levels_of(const struct window_counters *c, double *v, double *x)
{
	static const double floor[N_LEVELS] = { 10, 1500, 1, 1, 1, 1500 };
	v[0] = (double)c->opened_packets;
	v[1] = (double)c->opened_bytes;
	v[2] = (double)c->opened;
	v[3] = window_sketch_count(c->peers);
	v[LEVEL_FAILURES] = (double)(c->syn_unanswered + window_refusals(c) + c->unreach_received);
	v[LEVEL_RECEIVED] = (double)c->received_bytes;
	for (int i = 0; i < N_LEVELS; i++)
		x[i] = log(v[i] + floor[i]);
}

/* How many values the window's sketch w holds that the host's two sketches
 * (known[0] | known[1]) do not. */
static double new_values(const uint64_t known[2][SKETCH_WORDS], const uint64_t *w)
{
	uint64_t k[SKETCH_WORDS], both[SKETCH_WORDS];
	for (int i = 0; i < SKETCH_WORDS; i++) {
		k[i] = known[0][i] | known[1][i];
		both[i] = k[i] | w[i];
	}
	double n = window_sketch_count(both) - window_sketch_count(k);
	return n > 0 ? n : 0;
}

/* The values of a window's sketch w that a host first saw in the last
 * minutes (either of its young sketches), into out. */
static void young_of(const uint64_t young[2][SKETCH_WORDS], const uint64_t *w, uint64_t *out)
{
	for (int i = 0; i < SKETCH_WORDS; i++)
		out[i] = w[i] & (young[0][i] | young[1][i]);
}

/* How many of the window's peers and services h first reached in the last
 * minutes (returns to what is young for it: into young[0] and [1]); the
 * window's new peers and services become young, and so do the services it
 * serves and the clients it answers for the first time, once h has been seen
 * for two periods (before, all it reaches or serves is its first
 * repertoire). A beacon or a miner's session returns, window after window,
 * to where the host had never been until minutes before: a new peer, or a
 * port of a known one (its update mirror's, where it now mines). */
static void young_returns(struct host *h, int64_t window_start, const struct window_counters *c,
			  double *returns)
{
	uint64_t peers[SKETCH_WORDS], services[SKETCH_WORDS];
	int grown = h->windows && window_start - h->first >= 2 * YOUNG_PERIOD;
	young_of(h->young, c->peers, peers);
	young_of(h->young_services, c->services, services);
	for (int i = 0; grown && i < SKETCH_WORDS; i++) {
		h->young[0][i] |= c->peers[i] & ~(h->peers[0][i] | h->peers[1][i]);
		h->young_services[0][i] |=
			c->services[i] & ~(h->services[0][i] | h->services[1][i]);
		h->young_served[0][i] |= c->served[i] & ~(h->served[0][i] | h->served[1][i]);
		h->young_clients[0][i] |= c->clients[i] & ~(h->clients[0][i] | h->clients[1][i]);
	}
	returns[0] = window_sketch_count(peers);
	returns[1] = window_sketch_count(services);
}

/* New peers and services of the window against what h remembers. A
 * service it serves is news while it is young too (first served in the
 * last minutes): a host that starts serving is one for those minutes, not
 * for the first window of them. */
static void novelty(const struct host *h, const struct window_counters *c, float *out)
{
	uint64_t young[SKETCH_WORDS];
	young_of(h->young_served, c->served, young);
	out[BASELINE_NEW_PEERS] = (float)log1p(new_values(h->peers, c->peers));
	out[BASELINE_NEW_SERVICES] = (float)log1p(new_values(h->services, c->services));
	out[BASELINE_NEW_SERVED] =
		(float)log1p(new_values(h->served, c->served) + window_sketch_count(young));
}

/* Largest positive deviation of x above h's levels, in its standard
 * deviations; the variance has a floor of 1 (a factor e in the count), so
 * that a source with a steady history is not alarmed by a packet more. */
static void rises(const struct host *h, const double *x, float *out)
{
	_Static_assert(3 + N_LEVELS == BASELINE_NEW_SERVED, "rises lie between novelty's");
	for (int i = 0; i < N_LEVELS; i++) {
		/* what is served to a host is the server's doing, unless the host
		 * went somewhere new for it (a first pull of an export): a large
		 * download from its usual mirror is its usual */
		if (i == LEVEL_RECEIVED && out[BASELINE_NEW_PEERS] == 0 &&
		    out[BASELINE_NEW_SERVICES] == 0)
			continue;
		double z = 0;
		for (int s = 0; s < N_SCALES; s++) {
			double d = (x[i] - h->mean[s][i]) / sqrt(h->var[s][i] + 1.0);
			z = d > z ? d : z;
		}
		out[3 + i] = (float)z;
	}
}

/* One step of a decayed mean and variance: a plain mean over the first n
 * values, then a weight by the event time gap (seconds) since the last. */
static void decay_step(float *mean, float *var, double x, uint32_t n, double gap, double half)
{
	double a = 1.0 - exp2(-(gap > 0 ? gap : 0) / half), first = 1.0 / (n + 1.0);
	a = a > first ? a : first;
	double d = x - *mean;
	*mean += (float)(a * d);
	*var = (float)((1 - a) * (*var + a * d * d));
}

/* What the source did over the last minutes: its slow sums grow by the
 * window (x: its levels; out: its novelty, set), and how far each sum is
 * above its own level, in its own deviations (as rises), goes to out. A
 * slow scan, low-rate guessing or a beacon adds little to one window and
 * much to a sum over minutes; a host's own minutes are what it is compared
 * with. A sum speaks only while the window adds to it (more flows than the
 * host's daily level, a new peer or service, a failure): once the episode
 * is over, its minutes fade without alerting on the host's next ordinary
 * windows. */
static void slow_sums(struct host *h, int64_t window_start, const double *v, const double *x,
		      const double *young, float *out, int rise)
{
	double gap = h->windows ? (double)(window_start - h->last) : 0;
	double keep = exp2(-(gap > 0 ? gap : 0) / SLOW_HALFLIFE);
	const double add[N_SLOW] = { v[LEVEL_FLOWS], expm1(out[BASELINE_NEW_PEERS]) + young[0],
				     expm1(out[BASELINE_NEW_SERVICES]) + young[1],
				     v[LEVEL_FAILURES] };
	const int adds[N_SLOW] = { x[LEVEL_FLOWS] > h->mean[N_SCALES - 1][LEVEL_FLOWS],
				   add[1] > 0.5, add[2] > 0.5, add[3] > 0.5 };
	for (int i = 0; i < N_SLOW; i++) {
		h->slow[i] = (float)(h->slow[i] * keep + add[i]);
		double level = log1p(h->slow[i]);
		if (rise && adds[i]) {
			double z = (level - h->slow_mean[i]) / sqrt(h->slow_var[i] + 1.0);
			out[BASELINE_SLOW + i] = (float)(z > 0 ? z : 0);
		}
		decay_step(&h->slow_mean[i], &h->slow_var[i], level, h->windows, gap,
			   halflife[N_SCALES - 1]);
	}
}

/* Adds the window to h's memory. */
static void remember(struct host *h, int64_t window_start, const struct window_counters *c,
		     const double *x)
{
	double gap = h->windows ? (double)(window_start - h->last) : 0;
	for (int s = 0; s < N_SCALES; s++)
		for (int i = 0; i < N_LEVELS; i++)
			decay_step(&h->mean[s][i], &h->var[s][i], x[i], h->windows, gap,
				   halflife[s]);
	for (int i = 0; i < SKETCH_WORDS; i++) {
		h->peers[0][i] |= c->peers[i];
		h->services[0][i] |= c->services[i];
		h->served[0][i] |= c->served[i];
		h->clients[0][i] |= c->clients[i];
	}
	if (h->windows == 0)
		h->first = window_start;
	h->last = window_start > h->last || h->windows == 0 ? window_start : h->last;
	h->windows += h->windows < UINT32_MAX;
}

void baseline_observe(struct baseline *b, int64_t window_start, const ip_addr *src,
		      const struct window_counters *c, float *out)
{
	int64_t half = b->horizon / 2;
	int64_t epoch =
		window_start >= 0 ? window_start / half : -((-window_start + half - 1) / half);
	double v[N_LEVELS], x[N_LEVELS];
	uint32_t i = b->index[find_slot(b, src)];
	struct host *h = i == NONE ? NULL : &b->hosts[i];

	/* another timeline (a replay of older traffic), not a late window */
	if (b->latest != INT64_MIN && window_start < b->latest - (int64_t)b->late) {
		reset(b);
		b->st.resets++;
		i = NONE;
		h = NULL;
	}
	if (window_start > b->latest)
		b->latest = window_start;
	b->st.observed++;
	levels_of(c, v, x);
	if (h && window_start - h->last > (int64_t)b->horizon)
		memset(&h->first, 0,
		       sizeof *h - offsetof(struct host, first)); /* silent too long */
	if (!h)
		h = &b->hosts[i = take_host(b, src)];
	else {
		unlink_host(b, i);
		push_front(b, i);
	}
	rotate_sketches(h, epoch, window_start);
	memset(out, 0, BASELINE_N_FEATURES * sizeof *out);
	if (h->windows == 0) {
		out[0] = 1;
		b->st.first_seen++;
		/* all it does is new: its peers and services, and no level to rise above */
		struct host none = { 0 };
		novelty(&none, c, out);
	} else {
		novelty(h, c, out);
		if (h->windows >= BASELINE_MIN_WINDOWS)
			rises(h, x, out);
	}
	double young[2];
	young_returns(h, window_start, c, young);
	slow_sums(h, window_start, v, x, young, out, h->windows >= BASELINE_MIN_WINDOWS);
	remember(h, window_start, c, x);
}

/* --- scores ----------------------------------------------------------------------------------- */

static struct host *find_host(const struct baseline *b, const ip_addr *src)
{
	uint32_t i = b->index[find_slot(b, src)];
	return i == NONE ? NULL : &b->hosts[i];
}

double baseline_usual_score(const struct baseline *b, const ip_addr *src, int side)
{
	const struct host *h = find_host(b, src);
	if (!h || h->scored[side] < BASELINE_MIN_SCORED)
		return NAN;
	return expm1(h->score_mean[side] + BASELINE_SCORE_SIGMAS * sqrt(h->score_var[side] + 0.01));
}

void baseline_note_score(struct baseline *b, const ip_addr *src, int64_t window_start, int side,
			 double score, double threshold)
{
	struct host *h = find_host(b, src);
	if (!h || !isfinite(score))
		return;
	double gap = h->scored[side] ? (double)(window_start - h->score_last[side]) : 0;
	double capped = score < threshold ? score : threshold;
	decay_step(&h->score_mean[side], &h->score_var[side], log1p(capped > 0 ? capped : 0),
		   h->scored[side], gap, SCORE_HALFLIFE);
	h->score_last[side] = window_start;
	h->scored[side] += h->scored[side] < UINT32_MAX;
}

int baseline_serves_young(const struct baseline *b, const ip_addr *src, const uint64_t *served)
{
	const struct host *h = find_host(b, src);
	uint64_t young[SKETCH_WORDS] = { 0 };
	if (h)
		young_of(h->young_served, served, young);
	for (int i = 0; i < SKETCH_WORDS; i++)
		if (young[i])
			return 1;
	return 0;
}

int baseline_young_besides(const struct baseline *b, const ip_addr *src,
			   const struct window_counters *c, const ip_addr *peer)
{
	const struct host *h = find_host(b, src);
	uint64_t peers[SKETCH_WORDS], services[SKETCH_WORDS];
	int n_peers = 0, n_services = 0;
	if (!h)
		return 0;
	young_of(h->young, c->peers, peers);
	young_of(h->young_services, c->services, services);
	for (int i = 0; i < SKETCH_WORDS; i++) {
		n_peers += __builtin_popcountll(peers[i]);
		n_services += __builtin_popcountll(services[i]);
	}
	if (n_peers && window_sketch_has(peers, peer))
		n_peers--;
	return n_peers > 0 || n_services > 1;
}

double baseline_young_clients(const struct baseline *b, const ip_addr *src,
			      const uint64_t *clients)
{
	const struct host *h = find_host(b, src);
	uint64_t young[SKETCH_WORDS] = { 0 };
	if (h)
		young_of(h->young_clients, clients, young);
	return window_sketch_count(young);
}

int baseline_young_client(const struct baseline *b, const ip_addr *src, const ip_addr *client)
{
	const struct host *h = find_host(b, src);
	return h && (window_sketch_has(h->young_clients[0], client) ||
		     window_sketch_has(h->young_clients[1], client));
}

/* --- the state file ----------------------------------------------------------------------------
 * MAGIC, u32 version, u32 sizeof(struct host), u64 hosts, the hosts least
 * recently seen first, u32 CRC-32 of everything before it. */

#define FILE_HEADER (8 + 4 + 4 + 8)

int baseline_encode(const struct baseline *b, uint8_t **out, size_t *len)
{
	size_t n = b->n, size = FILE_HEADER + n * sizeof(struct host) + 4;
	uint8_t *buf = malloc(size), *p = buf;
	uint32_t version = FORMAT_VERSION, hsize = sizeof(struct host);
	uint64_t count = n;

	if (!buf)
		return -ENOMEM;
	memcpy(p, MAGIC, 8);
	memcpy(p + 8, &version, 4);
	memcpy(p + 12, &hsize, 4);
	memcpy(p + 16, &count, 8);
	p += FILE_HEADER;
	for (uint32_t h = b->tail; h != NONE; h = b->prev[h], p += sizeof(struct host))
		memcpy(p, &b->hosts[h], sizeof(struct host));
	uint32_t crc = crc32_ieee(buf, size - 4);
	memcpy(p, &crc, 4);
	*out = buf;
	*len = size;
	return 0;
}

/* Whether t is a time the arithmetic on times (gaps, epochs) never
 * overflows with: within a quarter of int64's range. */
static int time_is_sane(int64_t t)
{
	return t >= -(INT64_MAX / 4) && t <= INT64_MAX / 4;
}

static int host_is_sane(const struct host *h)
{
	if (!time_is_sane(h->first) || !time_is_sane(h->last) || !time_is_sane(h->epoch) ||
	    !time_is_sane(h->young_epoch))
		return 0;
	for (int side = 0; side < BASELINE_SIDES; side++)
		if (!time_is_sane(h->score_last[side]))
			return 0;
	for (int s = 0; s < N_SCALES; s++)
		for (int i = 0; i < N_LEVELS; i++)
			if (!isfinite(h->mean[s][i]) || !isfinite(h->var[s][i]) || h->var[s][i] < 0)
				return 0;
	for (int side = 0; side < BASELINE_SIDES; side++)
		if (!isfinite(h->score_mean[side]) || !isfinite(h->score_var[side]) ||
		    h->score_var[side] < 0)
			return 0;
	for (int i = 0; i < N_SLOW; i++)
		if (!isfinite(h->slow[i]) || h->slow[i] < 0 || !isfinite(h->slow_mean[i]) ||
		    !isfinite(h->slow_var[i]) || h->slow_var[i] < 0)
			return 0;
	return 1;
}

/* Whether buf's format (u32 version, u32 host size, at fmt) is this
 * version's, and, below, whether its last four bytes are the CRC-32 of the
 * rest; what ("file", "record") names it in err otherwise. */
static int format_is_ours(const uint8_t *fmt, const char *what, char *err, size_t errlen)
{
	uint32_t version, hsize;
	memcpy(&version, fmt, 4);
	memcpy(&hsize, fmt + 4, 4);
	if (version == FORMAT_VERSION && hsize == sizeof(struct host))
		return 1;
	snprintf(err, errlen, "baseline %s of format %u (%u-byte hosts), expected %u (%zu)", what,
		 version, hsize, FORMAT_VERSION, sizeof(struct host));
	return 0;
}

static int checksum_holds(const uint8_t *buf, size_t len, const char *what, char *err,
			  size_t errlen)
{
	uint32_t crc;
	memcpy(&crc, buf + len - 4, 4);
	if (crc == crc32_ieee(buf, len - 4))
		return 1;
	snprintf(err, errlen, "checksum mismatch: the %s is damaged", what);
	return 0;
}

int baseline_decode(struct baseline *b, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	uint64_t count;

	if (len < FILE_HEADER + 4 || memcmp(buf, MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a flowsad baseline file");
		return -EINVAL;
	}
	memcpy(&count, buf + 16, 8);
	if (!format_is_ours(buf + 8, "file", err, errlen))
		return -EINVAL;
	if (count > (len - FILE_HEADER - 4) / sizeof(struct host) ||
	    len != FILE_HEADER + count * sizeof(struct host) + 4) {
		snprintf(err, errlen, "the file's length does not match its %llu hosts",
			 (unsigned long long)count);
		return -EINVAL;
	}
	if (!checksum_holds(buf, len, "file", err, errlen))
		return -EINVAL;
	for (uint64_t i = 0; i < count; i++) {
		struct host h;
		memcpy(&h, buf + FILE_HEADER + i * sizeof h, sizeof h);
		if (!host_is_sane(&h)) {
			snprintf(err, errlen,
				 "host %llu: a level is not finite, or a time out of range",
				 (unsigned long long)i);
			return -EINVAL;
		}
	}
	reset(b);
	/* least recently seen first: each one read becomes the most recent, and
	 * when the file holds more than the bound the oldest are pushed out */
	const uint8_t *p = buf + FILE_HEADER;
	for (uint64_t i = 0; i < count; i++, p += sizeof(struct host)) {
		struct host h;
		memcpy(&h, p, sizeof h);
		if (b->index[find_slot(b, &h.src)] != NONE) { /* never written so: damaged */
			reset(b);
			snprintf(err, errlen, "host %llu: a source given twice",
				 (unsigned long long)i);
			return -EINVAL;
		}
		b->hosts[take_host(b, &h.src)] = h;
		b->latest = h.last > b->latest ? h.last : b->latest;
	}
	return 0;
}

/* --- one source's record ------------------------------------------------------------------------
 * u32 version, u32 sizeof(struct host), the host, u32 CRC-32 of what is
 * before it. */

#define RECORD_HEADER 8

size_t baseline_record_size(void)
{
	return RECORD_HEADER + sizeof(struct host) + 4;
}

static void write_record(const struct host *h, uint8_t *rec)
{
	uint32_t version = FORMAT_VERSION, hsize = sizeof(struct host);
	memcpy(rec, &version, 4);
	memcpy(rec + 4, &hsize, 4);
	memcpy(rec + RECORD_HEADER, h, sizeof *h);
	uint32_t crc = crc32_ieee(rec, RECORD_HEADER + sizeof *h);
	memcpy(rec + RECORD_HEADER + sizeof *h, &crc, 4);
}

int baseline_export_host(const struct baseline *b, const ip_addr *src, uint8_t *rec)
{
	const struct host *h = find_host(b, src);
	if (h)
		write_record(h, rec);
	return h != NULL;
}

size_t baseline_export_hosts(const struct baseline *b, uint8_t *rec, size_t max)
{
	size_t n = 0, size = baseline_record_size();
	for (uint32_t h = b->head; h != NONE && n < max; h = b->next[h])
		write_record(&b->hosts[h], rec + n++ * size);
	return n;
}

void baseline_record_source(const uint8_t *rec, ip_addr *src)
{
	memcpy(src, rec + RECORD_HEADER + offsetof(struct host, src), sizeof *src);
}

int baseline_import_host(struct baseline *b, const uint8_t *rec, size_t len, char *err,
			 size_t errlen)
{
	struct host h;
	if (len != baseline_record_size()) {
		snprintf(err, errlen, "a record of %zu bytes, expected %zu", len,
			 baseline_record_size());
		return -EINVAL;
	}
	if (!format_is_ours(rec, "record", err, errlen) ||
	    !checksum_holds(rec, len, "record", err, errlen))
		return -EINVAL;
	memcpy(&h, rec + RECORD_HEADER, sizeof h);
	if (!host_is_sane(&h)) {
		snprintf(err, errlen, "a level is not finite, or a time out of range");
		return -EINVAL;
	}
	uint32_t i = b->index[find_slot(b, &h.src)];
	if (i != NONE && b->hosts[i].windows && b->hosts[i].last > h.last)
		return 0; /* what b saw since is newer */
	if (i == NONE) {
		i = take_host(b, &h.src);
	} else {
		unlink_host(b, i);
		push_front(b, i);
	}
	b->hosts[i] = h;
	b->latest = h.last > b->latest ? h.last : b->latest;
	return 0;
}

int baseline_save(const struct baseline *b, const char *path, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	if (baseline_encode(b, &buf, &len) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	int rc = atomic_file_replace_bytes(path, buf, len, err, errlen);
	free(buf);
	return rc;
}

int baseline_load(struct baseline *b, const char *path, char *err, size_t errlen)
{
	char why[256];
	uint8_t *buf;
	size_t len;
	int rc = atomic_file_read(path, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = baseline_decode(b, buf, len, why, sizeof why)) < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	free(buf);
	return rc;
}
