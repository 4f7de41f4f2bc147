#include "features/window.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "features/distinct.h"
#include "features/sample.h"

/* Windows open at once: the current one and those still within lateness. */
#define MAX_OPEN 256

enum { SEEN_IP, SEEN_PORT, SEEN_PAIR, SEEN_FLOW };

/* The flow of a sample's previous event: consecutive packets of a source
 * mostly belong to one flow, and a repeat adds no destination, port, pair,
 * flow or service (exact tables and HyperLogLog alike), so it is skipped
 * with one comparison instead of hashing and probing. */
struct sample;

struct last_flow {
	ip_addr dst;
	struct sample *receiver; /* an answering flow: the sample of the host it answers, if any */
	uint16_t sport, dport;
	uint8_t proto, valid;
	uint8_t opened; /* a packet of it was counted as opened (its flow marked) */
};

#define TERMS_INLINE 4
#define SERVING_KEPT 4

/* The protocol classes of window_counters' packet mix. */
enum { CLASS_TCP, CLASS_UDP, CLASS_ICMP, CLASS_OTHER, N_CLASSES };

/* What the packets of a sample add up to while its window is open: the
 * counters of window_counters that most packets change, by protocol class
 * where the window_counters has them so (its totals are their sums), set
 * from these once, as the window closes (fold_counts). Two cache lines. */
struct packet_counts {
	uint64_t packets[N_CLASSES];        /* tcp_packets, ...; packets */
	uint64_t opened_packets[N_CLASSES]; /* opened_tcp, ...; opened_packets */
	uint64_t bytes, opened_bytes, served_packets, served_bytes, refused;
	uint64_t syn_sent, rst_sent;
};

/* A sample's first three cache lines hold all that a packet of a flow seen
 * last reads and writes (prefetch_sample fetches them): its source,
 * its previous flow, the services it serves, its packet counts. A new flow
 * touches its distinct values and service terms, next, and the sketches of
 * its counters (prefetch_flow fetches them). */
#define SAMPLE_HOT_BYTES 192

struct sample {
	alignas(64) ip_addr src; /* as ns.src: what the window's table compares */
	struct last_flow last;
	/* the first services it served in the window (proto << 16 | port; 0:
	 * none), exact: on the sketch's 512 bits udp/53 and tcp/443 are one */
	uint32_t serving[SERVING_KEPT];
	struct packet_counts counts;
	int location; /* of the source (ns.c.src_location's, set as the window closes) */
	struct distinct seen; /* destinations, ports, pairs, flows */
	uint32_t n_terms, cap_terms;
	struct window_term *terms; /* open addressing by key (key 0 is no service: never used) */
	struct window_term inline_terms[TERMS_INLINE]; /* the first ones: most sources have few */
	struct net_sample ns;  /* what is emitted, or handed over (its host features zero) */
};
static_assert(offsetof(struct sample, seen) == SAMPLE_HOT_BYTES, "a sample's hot part");

/* A window's samples come from blocks it gives back at once when it closes
 * (to the next windows: the table's spares; or with the set it is handed
 * over in): a calloc and a free per sample cost more than counting a packet. */
#define SAMPLES_PER_BLOCK 256

struct sample_block {
	struct sample_block *next;
	size_t used;
	struct sample s[SAMPLES_PER_BLOCK];
};

/* A source's place in its window's table: the hash of its address tells
 * the samples of the other sources that probing passes apart without
 * reading them (a cache miss each). */
struct slot {
	uint64_t hash; /* distinct_hash_addr(&s->src) */
	struct sample *s; /* NULL: empty */
};

struct window {
	int64_t start;
	size_t n, cap;         /* samples, hash slots (a power of two) */
	union {
		struct slot *slots;    /* open addressing by source address */
		struct sample **order; /* as it closes, in the slots' memory: its samples
					* in address order */
	};
	struct sample_block *blocks; /* newest first */
	/* a partial table's answers to hosts without a sample here: open
	 * addressing by address, cap_answers slots (a power of two) */
	struct window_answer *answers;
	size_t n_answers, cap_answers;
};

struct window_table {
	const struct location_table *loc;
	const struct filter *filter;
	const struct filter_nets *home; /* the hosts counted (NULL: all) */
	struct location_table default_loc;
	struct { uint64_t hash; int loc; } loc_cache[4096]; /* by address hash; hash 0: empty */
	uint32_t length, lateness;
	size_t max_samples;
	int partial; /* keeps answers to hosts without a sample (window_table_set_partial) */
	int keep_distinct; /* hands the distinct values over (window_table_keep_distinct) */
	int n_open;
	struct window open[MAX_OPEN]; /* sorted by start */
	int64_t last_closed;          /* start of the newest closed window */
	int64_t recent_start;         /* window_start_of the previous event: saves a division */
	window_closed_fn on_close;
	void *on_close_ctx;
	window_hand_over_fn hand_over;
	void *hand_over_ctx;
	struct window_stats stats;
	/* the blocks of the window closed last, for the windows that follow:
	 * memory given back to the system and asked again costs a page fault a
	 * page */
	struct sample_block *spare;
	size_t first_cap; /* slots a new window starts with: what the last one needed */
	/* sources and services answered on lately, by hash of both: a relay's
	 * first forward of a window may come before its first answer there */
	struct { uint64_t key; int64_t window; } served_lately[1024];
};

int64_t window_start_of(int64_t t, uint32_t len)
{
	int64_t q = t / (int64_t)len;
	if (t % (int64_t)len < 0)
		q--;
	return q * (int64_t)len;
}

struct window_table *window_table_new(uint32_t window_seconds, uint32_t lateness_seconds,
				      size_t max_samples, const struct location_table *loc)
{
	struct window_table *t;
	if (window_seconds == 0 || max_samples == 0 || !(t = calloc(1, sizeof *t)))
		return NULL;
	location_init(&t->default_loc);
	t->loc = loc ? loc : &t->default_loc;
	t->length = window_seconds;
	t->lateness = lateness_seconds;
	t->max_samples = max_samples;
	t->last_closed = INT64_MIN;
	t->first_cap = 64;
	return t;
}

static void addr_words(const ip_addr *a, uint64_t *hi, uint64_t *lo)
{
	memcpy(hi, a->b, 8);
	memcpy(lo, a->b + 8, 8);
}

/* Memory of a sample and its slots in the window's table. */
static size_t sample_bytes(const struct sample *s)
{
	return sizeof *s + 2 * sizeof(struct slot) + distinct_bytes(&s->seen) +
	       (s->terms == s->inline_terms ? 0 : s->cap_terms * sizeof(struct window_term));
}

static void free_terms(struct sample *s)
{
	if (s->terms != s->inline_terms)
		free(s->terms);
}

static void free_sample(struct sample *s)
{
	distinct_free(&s->seen);
	free_terms(s); /* the sample itself goes with its block */
}

static int cmp_term(const void *a, const void *b)
{
	uint64_t x = ((const struct window_term *)a)->key, y = ((const struct window_term *)b)->key;
	return (x > y) - (x < y);
}

static uint32_t term_slot(const struct window_term *terms, uint32_t cap, uint64_t key)
{
	uint32_t j = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
	while (terms[j].key && terms[j].key != key)
		j = (j + 1) & (cap - 1);
	return j;
}

/* The bit of a flow (its hash) in a service's sketch of flows. */
static uint64_t term_flow_bit(uint64_t flow_hash)
{
	return 1ull << (flow_hash >> 32 & 63);
}

/* Adds one flow (its bit in the service's sketch) to the service term
 * key, and to its count when counted is set. Returns the bytes newly
 * held. */
static size_t count_term(struct sample *s, uint64_t key, uint64_t flow_bit, int counted)
{
	size_t grown = 0;
	if ((s->n_terms + 1) * 2 > s->cap_terms) {
		if (s->n_terms >= WINDOW_MAX_TERMS)
			goto existing_only;
		uint32_t cap = s->cap_terms ? s->cap_terms * 2 : TERMS_INLINE;
		struct window_term *t =
			cap == TERMS_INLINE ? s->inline_terms : calloc(cap, sizeof *t);
		if (!t)
			goto existing_only;
		for (uint32_t i = 0; i < s->cap_terms; i++)
			if (s->terms[i].key)
				t[term_slot(t, cap, s->terms[i].key)] = s->terms[i];
		size_t held = s->terms == s->inline_terms ? 0 : s->cap_terms * sizeof *t;
		free_terms(s);
		grown = (t == s->inline_terms ? 0 : cap * sizeof *t) - held;
		s->terms = t;
		s->cap_terms = cap;
	}
	uint32_t j = term_slot(s->terms, s->cap_terms, key);
	s->n_terms += !s->terms[j].key;
	s->terms[j].key = key;
	s->terms[j].count += (uint32_t)counted;
	s->terms[j].flows |= flow_bit;
	return grown;
existing_only:
	if (s->cap_terms) {
		j = term_slot(s->terms, s->cap_terms, key);
		if (s->terms[j].key == key) {
			s->terms[j].count += (uint32_t)counted;
			s->terms[j].flows |= flow_bit;
		}
	}
	return 0;
}

/* Sorts n terms by key: most samples have a few, which an insertion sort
 * puts in order in a tenth of qsort's time (a call a comparison). */
static void sort_terms(struct window_term *terms, uint32_t n)
{
	if (n > 16) {
		qsort(terms, n, sizeof *terms, cmp_term);
		return;
	}
	for (uint32_t i = 1; i < n; i++) {
		struct window_term x = terms[i];
		uint32_t j = i;
		for (; j > 0 && terms[j - 1].key > x.key; j--)
			terms[j] = terms[j - 1];
		terms[j] = x;
	}
}

/* Sorts the terms into the first n_terms slots for the emit call. */
static void compact_terms(struct sample *s)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->cap_terms; i++)
		if (s->terms[i].key)
			s->terms[n++] = s->terms[i];
	sort_terms(s->terms, n);
	s->ns.terms = s->terms;
	s->ns.c.terms = s->terms;
	s->ns.c.n_terms = n;
}

/* src's slot in w's table (empty when it has none), hash its
 * distinct_hash_addr. src NULL: the first with its hash, without reading a
 * sample (a guess, to prefetch). */
static struct slot *find_slot(const struct window *w, const ip_addr *src, uint64_t hash)
{
	size_t j = (size_t)hash & (w->cap - 1);
	while (w->slots[j].s &&
	       (w->slots[j].hash != hash || (src && !ip_addr_equal(&w->slots[j].s->src, src))))
		j = (j + 1) & (w->cap - 1);
	return &w->slots[j];
}

/* Doubles the window's table; a new one starts with first_cap slots. */
static int grow_window(struct window *w, size_t first_cap)
{
	size_t cap = w->cap ? w->cap * 2 : first_cap;
	struct slot *slots = calloc(cap, sizeof *slots), *old = w->slots;
	size_t old_cap = w->cap;

	if (!slots)
		return -ENOMEM;
	w->slots = slots;
	w->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].s)
			*find_slot(w, &old[i].s->src, old[i].hash) = old[i];
	free(old);
	return 0;
}

static struct window *find_window(struct window_table *t, int64_t start)
{
	for (int i = 0; i < t->n_open; i++)
		if (t->open[i].start == start)
			return &t->open[i];
	return NULL;
}

/* A sample with a copy of its address: sorting reads keys in a row, not
 * samples spread over megabytes. */
struct keyed_sample {
	ip_addr src;
	struct sample *s;
};

/* One stable counting pass of a radix sort on byte i of the address. */
static void radix_pass(const struct keyed_sample *from, struct keyed_sample *to, size_t n, int i)
{
	size_t at[256] = { 0 }, sum = 0;
	for (size_t j = 0; j < n; j++)
		at[from[j].src.b[i]]++;
	for (int v = 0; v < 256; v++) {
		size_t c = at[v];
		at[v] = sum;
		sum += c;
	}
	for (size_t j = 0; j < n; j++)
		to[at[from[j].src.b[i]]++] = from[j];
}

static int cmp_sample(const void *a, const void *b)
{
	return memcmp((*(struct sample *const *)a)->ns.src.b,
		      (*(struct sample *const *)b)->ns.src.b, 16);
}

/* Sorts v by address: a radix sort from the last byte over the bytes that
 * differ at all (four for a window of IPv4 sources); qsort without memory
 * for the keys. */
static void sort_by_address(struct sample **v, size_t n)
{
	struct keyed_sample *k = malloc(2 * n * sizeof *k + 1), *other;
	uint64_t first[2], word[2], differ[2] = { 0, 0 };
	uint8_t differs[16];

	if (!k) {
		qsort(v, n, sizeof *v, cmp_sample);
		return;
	}
	other = k + n;
	for (size_t j = 0; j < n; j++) {
		k[j] = (struct keyed_sample){ v[j]->ns.src, v[j] };
		addr_words(&k[j].src, &word[0], &word[1]);
		if (j == 0)
			memcpy(first, word, sizeof first);
		differ[0] |= word[0] ^ first[0];
		differ[1] |= word[1] ^ first[1];
	}
	memcpy(differs, differ, sizeof differs);
	for (int i = 15; i >= 0; i--) {
		if (!differs[i])
			continue;
		radix_pass(k, other, n, i);
		struct keyed_sample *t = k;
		k = other;
		other = t;
	}
	for (size_t j = 0; j < n; j++)
		v[j] = k[j].s;
	free(k < other ? k : other);
}

void window_count_distinct(struct window_counters *c, const struct distinct *seen)
{
	c->dst_ips = distinct_count(seen, SEEN_IP);
	c->dst_ports = distinct_count(seen, SEEN_PORT);
	c->dst_pairs = distinct_count(seen, SEEN_PAIR);
	c->flows = distinct_count(seen, SEEN_FLOW);
	c->opened = distinct_count_marked(seen);
}

/* Bits set in a word, without the POPCNT instruction (not in the x86-64
 * baseline: the compiler's builtin is then a table lookup a byte). */
static int popcount64(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (int)((x * 0x0101010101010101ull) >> 56);
}

/* Linear counting: how many distinct values set `set` of a sketch's
 * `bits` bits (all of them set reads as one fewer, the most it can tell). */
static double linear_count(int set, int bits)
{
	set -= set >= bits;
	return -bits * log(1.0 - (double)set / bits);
}

/* How many flows a service's sketch holds. */
static uint32_t term_flows(uint64_t sketch)
{
	return (uint32_t)(linear_count(popcount64(sketch), 64) + 0.5);
}

void window_count_terms(struct window_term *terms, uint32_t n, const struct distinct *seen)
{
	if (!seen || !distinct_registers(seen))
		return;
	for (uint32_t i = 0; i < n; i++)
		if (WINDOW_TERM_PROTO(terms[i].key) != WINDOW_PROTO_SID)
			terms[i].count = term_flows(terms[i].flows);
}

static uint64_t sum_classes(const uint64_t *by_class)
{
	uint64_t sum = 0;
	for (int i = 0; i < N_CLASSES; i++)
		sum += by_class[i];
	return sum;
}

/* Sets c's packet counters from what the packets added up to. */
static void fold_counts(struct window_counters *c, const struct packet_counts *k)
{
	c->packets = sum_classes(k->packets);
	c->tcp_packets = k->packets[CLASS_TCP];
	c->udp_packets = k->packets[CLASS_UDP];
	c->icmp_packets = k->packets[CLASS_ICMP];
	c->other_packets = k->packets[CLASS_OTHER];
	c->opened_packets = sum_classes(k->opened_packets);
	c->opened_tcp = k->opened_packets[CLASS_TCP];
	c->opened_udp = k->opened_packets[CLASS_UDP];
	c->opened_icmp = k->opened_packets[CLASS_ICMP];
	c->bytes = k->bytes;
	c->opened_bytes = k->opened_bytes;
	c->served_packets = k->served_packets;
	c->served_bytes = k->served_bytes;
	c->refused = k->refused;
	c->syn_sent = k->syn_sent;
	c->rst_sent = k->rst_sent;
}

static void finish_counters(struct sample *s)
{
	struct window_counters *c = &s->ns.c;
	fold_counts(c, &s->counts);
	c->src_location = s->location;
	uint64_t answered = c->synack_received + c->rst_received;
	window_count_distinct(c, &s->seen);
	c->syn_unanswered = c->syn_sent > answered ? c->syn_sent - answered : 0;
	compact_terms(s);
	window_count_terms(s->terms, c->n_terms, &s->seen);
}

/* A new block, zeroed: mapped with its pages populated at once. A page
 * fault a page (its trap, its zeroing and its charge one page at a time)
 * cost the counting thread a quarter of its time on a flood of new
 * sources, where every window's blocks are new when windows are handed
 * over (their consumer frees the blocks). NULL when out of memory. */
static struct sample_block *block_new(void)
{
	void *b = mmap(NULL, sizeof(struct sample_block), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return b == MAP_FAILED ? NULL : b;
}

static void block_free(struct sample_block *b)
{
	munmap(b, sizeof *b);
}

static void free_blocks(struct sample_block *b)
{
	while (b) {
		struct sample_block *next = b->next;
		block_free(b);
		b = next;
	}
}

/* A closed window's blocks, owned by the sample set they were handed in. */
struct handed_window {
	struct sample_block *blocks;
};

static void release_handed(void *owner)
{
	struct handed_window *h = owner;
	while (h->blocks) {
		struct sample_block *b = h->blocks;
		for (size_t i = 0; i < b->used; i++)
			free_sample(&b->s[i]);
		h->blocks = b->next;
		block_free(b);
	}
	free(h);
}

/* The source's sample in window w, or NULL when it has none. */
static struct sample *find_sample(struct window *w, const ip_addr *src)
{
	return w->cap ? find_slot(w, src, distinct_hash_addr(src))->s : NULL;
}

/* Answers that came before their host's first packet of the window (a flow
 * record of the answering side exported ahead of the opener's, an ICMP error
 * a capture stamped ahead of the packet it quotes) join its sample as the
 * window closes; what is left went to hosts without a sample here. */
static void fold_answers(struct window *w)
{
	for (size_t i = 0; i < w->cap_answers; i++) {
		struct window_answer *a = &w->answers[i];
		struct sample *s = a->events ? find_sample(w, &a->to) : NULL;
		if (s) {
			window_answer_apply(&s->ns.c, a);
			a->events = 0; /* the table is only walked from here on */
		}
	}
}

/* The window's answers to hosts without a sample, packed at the start of
 * their table, go with the set. */
static void hand_over_answers(struct window_table *t, struct window *w, struct sample_set *set)
{
	size_t n = 0;
	for (size_t i = 0; i < w->cap_answers; i++)
		if (w->answers[i].events)
			w->answers[n++] = w->answers[i];
	t->stats.bytes -= w->cap_answers * sizeof *w->answers;
	set->answers = w->answers;
	set->n_answers = n;
	w->answers = NULL;
	w->n_answers = w->cap_answers = 0;
}

/* Hands the n sorted samples of window w over as a set, its blocks with
 * them. Returns 0, -ENOMEM (nothing handed: w is as it was), or fn's
 * refusal. */
static int hand_over(struct window_table *t, struct window *w, size_t n)
{
	struct handed_window *h = malloc(sizeof *h);
	struct net_sample **s = malloc(n * sizeof *s + 1);
	if (!h || !s) {
		free(h);
		free(s);
		return -ENOMEM;
	}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		struct sample *x = w->order[i];
		t->stats.bytes -= sample_bytes(x);
		if (t->keep_distinct)
			x->ns.seen = &x->seen;
		else
			distinct_free(&x->seen); /* counted: not needed any more */
		kept += sample_bytes(x);
		s[i] = &x->ns;
	}
	h->blocks = w->blocks;
	w->blocks = NULL;
	struct sample_set set = { .n = n, .cap = n, .s = s, .release = release_handed, .owner = h,
				  .bytes = kept };
	hand_over_answers(t, w, &set);
	return t->hand_over(t->hand_over_ctx, w->start, &set);
}

/* Offers each of the n sorted samples of window w to emit and frees it.
 * Returns how many the consumer refused; *rc gets its first error. */
static size_t emit_each(struct window_table *t, struct window *w, size_t n, window_emit_fn emit,
			void *ctx, int *rc)
{
	size_t refused = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 4 < n)
			__builtin_prefetch(w->order[i + 4]);
		int erc = emit ? emit(ctx, w->start, &w->order[i]->ns.src, &w->order[i]->ns.c) : 0;
		if (erc < 0) {
			refused++;
			*rc = *rc ? *rc : erc;
		}
		t->stats.bytes -= sample_bytes(w->order[i]);
		free_sample(w->order[i]);
	}
	return refused;
}

/* Emits (or hands over) and frees the oldest open window. A sample the consumer could not
 * take is counted as refused; the others are still offered. Returns 0 or
 * the consumer's first error. */
static int close_oldest(struct window_table *t, window_emit_fn emit, void *ctx)
{
	struct window *w = &t->open[0];
	size_t n = 0, refused = 0;
	int rc = 0;

	fold_answers(w); /* while the table still finds them */
	/* in the order of memory, which the next step cannot be; the table
	 * (cap > n) then holds the samples to sort, no longer hashed */
	for (struct sample_block *b = w->blocks; b; b = b->next)
		for (size_t i = 0; i < b->used; i++) {
			finish_counters(&b->s[i]);
			w->order[n++] = &b->s[i];
		}
	sort_by_address(w->order, n);
	if (!t->hand_over) {
		refused = emit_each(t, w, n, emit, ctx, &rc);
	} else if ((rc = hand_over(t, w, n)) < 0) {
		refused = n;
		if (w->blocks) /* no memory to hand them over: freed here */
			emit_each(t, w, n, NULL, NULL, &rc);
	}
	t->stats.samples += n - refused;
	t->stats.refused += refused;
	t->stats.windows++;
	t->last_closed = w->start;
	for (t->first_cap = 64; t->first_cap < 2 * n; t->first_cap *= 2)
		;
	free(w->slots);
	t->stats.bytes -= w->cap_answers * sizeof *w->answers; /* not handed over: dropped */
	free(w->answers);
	free_blocks(t->spare);
	t->spare = w->blocks;
	memmove(&t->open[0], &t->open[1], sizeof t->open[0] * (size_t)(t->n_open - 1));
	t->n_open--;
	if (t->on_close)
		t->on_close(t->on_close_ctx, t->last_closed, n - refused, refused);
	return rc;
}

static int close_until(struct window_table *t, int64_t now, window_emit_fn emit, void *ctx)
{
	int rc = 0, erc;
	while (t->n_open > 0 && t->open[0].start + t->length + t->lateness <= now)
		if ((erc = close_oldest(t, emit, ctx)) < 0 && rc == 0)
			rc = erc;
	return rc;
}

int window_table_advance(struct window_table *t, int64_t now, window_emit_fn emit, void *ctx)
{
	return close_until(t, now, emit, ctx);
}

void window_table_on_close(struct window_table *t, window_closed_fn fn, void *ctx)
{
	t->on_close = fn;
	t->on_close_ctx = ctx;
}

void window_table_hand_over(struct window_table *t, window_hand_over_fn fn, void *ctx)
{
	t->hand_over = fn;
	t->hand_over_ctx = ctx;
}

int window_table_flush(struct window_table *t, window_emit_fn emit, void *ctx)
{
	int rc = 0, erc;
	while (t->n_open > 0)
		if ((erc = close_oldest(t, emit, ctx)) < 0 && rc == 0)
			rc = erc;
	return rc;
}

void window_table_free(struct window_table *t)
{
	if (!t)
		return;
	t->on_close = NULL;
	window_table_flush(t, NULL, NULL);
	free_blocks(t->spare);
	free(t);
}

void window_table_set_partial(struct window_table *t)
{
	t->partial = 1;
}

void window_table_keep_distinct(struct window_table *t)
{
	t->keep_distinct = 1;
	t->partial = 1;
}

void window_table_set_filter(struct window_table *t, const struct filter *f)
{
	t->filter = f;
}

void window_table_set_home(struct window_table *t, const struct filter_nets *home)
{
	t->home = home;
}

static int at_home(const struct window_table *t, const ip_addr *a)
{
	return !t->home || filter_nets_match(t->home, a);
}

const struct window_stats *window_table_stats(const struct window_table *t)
{
	return &t->stats;
}

/* The window for start, opened if needed (NULL when it closed already or
 * too many are open). */
static struct window *open_window(struct window_table *t, int64_t start)
{
	struct window *w = find_window(t, start);
	if (w)
		return w;
	if (start <= t->last_closed || t->n_open == MAX_OPEN)
		return NULL;
	int i = t->n_open;
	while (i > 0 && t->open[i - 1].start > start)
		i--;
	memmove(&t->open[i + 1], &t->open[i], sizeof t->open[0] * (size_t)(t->n_open - i));
	memset(&t->open[i], 0, sizeof t->open[i]);
	t->open[i].start = start;
	t->n_open++;
	return &t->open[i];
}

/* A zeroed sample from the window's newest block (when full, a spare block
 * or a new one). */
static struct sample *new_sample(struct window_table *t, struct window *w)
{
	struct sample_block *b = w->blocks;
	if (!b || b->used == SAMPLES_PER_BLOCK) {
		if ((b = t->spare)) {
			t->spare = b->next;
			memset(b, 0, sizeof *b); /* at once: cheaper than a sample at a time */
		} else if (!(b = block_new())) {
			return NULL;
		}
		b->next = w->blocks;
		w->blocks = b;
	}
	return &b->s[b->used++];
}

static struct window_answer *answer_slot(struct window_answer *a, size_t cap, const ip_addr *to)
{
	size_t j = (size_t)distinct_hash_addr(to) & (cap - 1);
	while (a[j].events && !ip_addr_equal(&a[j].to, to))
		j = (j + 1) & (cap - 1);
	return &a[j];
}

/* The window's answers to host to (a partial table's, for a host without a
 * sample here), made when new; NULL when the window holds as many as it
 * may hold samples, or without memory (the answer is then not counted). */
static struct window_answer *answers_to(struct window_table *t, struct window *w,
					 const ip_addr *to)
{
	if ((w->n_answers + 1) * 2 > w->cap_answers) {
		size_t cap = w->cap_answers ? 2 * w->cap_answers : 64;
		struct window_answer *a = w->n_answers < t->max_samples ? calloc(cap, sizeof *a)
									 : NULL;
		if (!a) {
			struct window_answer *e =
				w->cap_answers ? answer_slot(w->answers, w->cap_answers, to) : NULL;
			return e && e->events ? e : NULL;
		}
		for (size_t i = 0; i < w->cap_answers; i++)
			if (w->answers[i].events)
				*answer_slot(a, cap, &w->answers[i].to) = w->answers[i];
		t->stats.bytes += (cap - w->cap_answers) * sizeof *a;
		free(w->answers);
		w->answers = a;
		w->cap_answers = cap;
	}
	struct window_answer *e = answer_slot(w->answers, w->cap_answers, to);
	if (!e->events) {
		e->to = *to;
		w->n_answers++;
	}
	e->events++;
	return e;
}

/* location_of through a direct-mapped cache: destinations repeat a lot,
 * and a source has a sample in every window it sends in. */
static int cached_location(struct window_table *t, const ip_addr *a, uint64_t hash)
{
	size_t i = hash & (sizeof t->loc_cache / sizeof t->loc_cache[0] - 1);
	hash |= !hash;
	if (t->loc_cache[i].hash != hash) {
		t->loc_cache[i].hash = hash;
		t->loc_cache[i].loc = location_of(t->loc, a);
	}
	return t->loc_cache[i].loc;
}

/* The source's sample in window w (hash: its distinct_hash_addr), created
 * when new; NULL in *out when the window is full of sources (counted as
 * evicted). Returns 0 or -ENOMEM. */
static int add_sample(struct window_table *t, struct window *w, const ip_addr *src, uint64_t hash,
		      struct sample **out)
{
	struct slot *slot;

	*out = NULL;
	if (!w->cap && grow_window(w, t->first_cap) < 0)
		return -ENOMEM;
	slot = find_slot(w, src, hash);
	if ((*out = slot->s))
		return 0;
	if (w->n >= t->max_samples) {
		t->stats.evicted++;
		return 0;
	}
	if ((w->n + 1) * 2 > w->cap) {
		if (grow_window(w, t->first_cap) < 0)
			return -ENOMEM;
		slot = find_slot(w, src, hash);
	}
	struct sample *s = new_sample(t, w);
	if (!s)
		return -ENOMEM;
	s->src = s->ns.src = *src;
	s->ns.window_start = w->start;
	s->location = cached_location(t, src, hash);
	*slot = (struct slot){ hash, s };
	w->n++;
	t->stats.bytes += sample_bytes(s);
	*out = s;
	return 0;
}

/* What one packet or one flow record adds, in the same terms. */
struct event {
	int64_t ts;
	const ip_addr *src, *dst;
	uint64_t src_hash;      /* distinct_hash_addr(src): its sample's place */
	uint8_t proto, has_ports;
	uint8_t answer;         /* it answers another host's initiative */
	uint8_t refusal;        /* an answer that refuses it: a RST or an ICMP error */
	uint8_t housekeeping;   /* the link's (neighbour discovery, group membership) */
	uint8_t relay;          /* opened to the service it serves: for its clients */
	uint16_t sport, dport;
	uint64_t packets, bytes, syn_sent, rst_sent;
	/* of packets and bytes, the pure TCP ACKs: they acknowledge data, send none */
	uint64_t ack_packets, ack_bytes;
	/* what it tells about another sample: an answer to its SYNs, a RST, or an
	 * ICMP unreachable quoting its packets */
	const ip_addr *reply_to;
	uint64_t synack, rst, unreach;
	uint32_t sid;           /* IDS alerts: the signature */
};

/* Whether a packet or flow to dst continues the previous flow l. */
static int continues(const struct last_flow *l, const ip_addr *dst, uint8_t proto, int has_ports,
		     uint16_t sport, uint16_t dport)
{
	return l->valid && l->proto == proto && l->sport == (has_ports ? sport : 0) &&
	       l->dport == (has_ports ? dport : 0) && ip_addr_equal(&l->dst, dst);
}

/* Whether a flow's packet ev is one it opened with (its flow is marked). */
static int opens(const struct event *ev)
{
	return !ev->answer && !ev->relay;
}

/* Whether ev continues the sample's previous flow and adds nothing to it
 * (a packet that opens a flow seen so far as answers does: it marks it);
 * remembers it if not. */
static int repeats_last_flow(struct sample *s, const struct event *ev)
{
	struct last_flow *l = &s->last;
	uint16_t sport = ev->has_ports ? ev->sport : 0, dport = ev->has_ports ? ev->dport : 0;
	if (continues(l, ev->dst, ev->proto, ev->has_ports, ev->sport, ev->dport)) {
		if (l->opened || !opens(ev))
			return 1;
		l->opened = 1;
		return 0;
	}
	*l = (struct last_flow){ .dst = *ev->dst, .sport = sport, .dport = dport,
				 .proto = ev->proto, .valid = 1, .opened = (uint8_t)opens(ev) };
	return 0;
}

static unsigned sketch_bit(uint64_t hash)
{
	return (unsigned)(hash >> 55); /* WINDOW_PEER_BITS = 2^9 */
}

static void set_bit(uint64_t *sketch, uint64_t hash)
{
	unsigned bit = sketch_bit(hash);
	sketch[bit / 64] |= 1ull << (bit & 63);
}

static int has_bit(const uint64_t *sketch, uint64_t hash)
{
	unsigned bit = sketch_bit(hash);
	return (int)(sketch[bit / 64] >> (bit & 63) & 1);
}

int window_sketch_has(const uint64_t *sketch, const ip_addr *peer)
{
	return has_bit(sketch, distinct_hash_addr(peer));
}

/* A service (protocol and port) as the served sketch holds it. */
static uint64_t service_hash(uint8_t proto, uint16_t port)
{
	return distinct_hash2((uint64_t)proto << 16 | port, 0x73727664);
}

uint64_t window_refused_bit(const ip_addr *peer)
{
	return 1ull << (distinct_hash_addr(peer) >> 58);
}

double window_sketch_count(const uint64_t *sketch)
{
	int pop = 0;
	for (int i = 0; i < WINDOW_PEER_WORDS; i++)
		pop += popcount64(sketch[i]);
	return linear_count(pop, WINDOW_PEER_BITS);
}

/* A flow the source answered, to destination hash ip: served (a client,
 * from a service port) or refused (a prober). */
static void note_answered(struct window_counters *c, const struct event *ev, uint64_t ip)
{
	if (ev->refusal) {
		c->refused_to |= window_refused_bit(ev->dst);
	} else {
		set_bit(c->clients, ip);
		set_bit(c->served, service_hash(ev->proto, ev->sport));
	}
}

static int protocol_class(uint8_t proto)
{
	switch (proto) {
	case IP_PROTO_TCP: return CLASS_TCP;
	case IP_PROTO_UDP: return CLASS_UDP;
	case IP_PROTO_ICMP: case IP_PROTO_ICMPV6: return CLASS_ICMP;
	default: return CLASS_OTHER;
	}
}

/* What one event adds to the counts of its side: opened, served or refused.
 * The pure ACKs of a flow it opened are the host receiving (a download's
 * acknowledgments), not sending. */
static void count_side(struct packet_counts *k, const struct event *ev, int class)
{
	if (ev->housekeeping)
		return;
	if (ev->refusal) {
		k->refused += ev->packets;
	} else if (ev->answer || ev->relay) {
		k->served_packets += ev->packets;
		k->served_bytes += ev->bytes;
	} else {
		k->opened_packets[class] += ev->packets - ev->ack_packets;
		k->opened_bytes += ev->bytes - ev->ack_bytes;
	}
}

/* A flow the source opened, to destination hash ip and service term. */
static void note_opened(struct window_counters *c, uint64_t ip, uint64_t term)
{
	set_bit(c->peers, ip);
	set_bit(c->services, distinct_hash2(term, 0x73657276));
}

/* The key of a source (its address hash) and a service in the table's
 * memory of what was served lately (never 0: an empty slot), and its slot. */
static uint64_t served_key(const struct window_table *t, uint64_t src_hash, uint32_t service,
			   size_t *slot)
{
	uint64_t key = (src_hash ^ (service * 0x9e3779b97f4a7c15ull)) | 1;
	*slot = key & (sizeof t->served_lately / sizeof t->served_lately[0] - 1);
	return key;
}

/* Whether the source (its address hash) answered on service in the window
 * starting at window or in the one before. */
static int served_lately(const struct window_table *t, uint64_t src_hash, uint32_t service,
			 int64_t window)
{
	size_t slot;
	uint64_t key = served_key(t, src_hash, service, &slot);
	return t->served_lately[slot].key == key &&
	       t->served_lately[slot].window >= window - (int64_t)t->length;
}

/* Whether ev, a flow the source opened, goes out to the internet on a
 * service it serves in the window, or served in the one before (a
 * window's first forward comes before its first answer): a DNS server
 * forwarding its clients' queries, a mail relay. What its clients make it
 * do (a tunnel through the resolver) is theirs. Inside the networks it is
 * its own: a file server reaching other hosts' SMB, a monitor checking the
 * port of the backup agent it also runs. */
static int relays(struct window_table *t, const struct sample *s, const struct event *ev)
{
	if (ev->answer || !ev->has_ports)
		return 0;
	uint32_t service = (uint32_t)ev->proto << 16 | ev->dport;
	int serving = 0;
	for (int i = 0; i < SERVING_KEPT && s->serving[i] && !serving; i++)
		serving = s->serving[i] == service;
	return (serving || served_lately(t, ev->src_hash, service, s->ns.window_start)) &&
	       cached_location(t, ev->dst, distinct_hash_addr(ev->dst)) == LOCATION_GLOBAL;
}

/* Remembers the service ev answered on, among the window's first
 * SERVING_KEPT (a resolver serves one; a host serving more relays on the
 * first few only), and in the table's memory of what was served lately. */
static void keep_serving(struct window_table *t, struct sample *s, const struct event *ev)
{
	uint32_t service = (uint32_t)ev->proto << 16 | ev->sport;
	size_t slot;
	uint64_t key = served_key(t, ev->src_hash, service, &slot);
	t->served_lately[slot].key = key;
	t->served_lately[slot].window = s->ns.window_start;
	for (int i = 0; i < SERVING_KEPT; i++) {
		if (s->serving[i] == service)
			return;
		if (!s->serving[i]) {
			s->serving[i] = service;
			return;
		}
	}
}

/* The service term of a flow the source opened to ev's destination (hash
 * ip): ports from WINDOW_EPHEMERAL up are one. */
static uint64_t opened_term(struct window_table *t, const struct event *ev, uint64_t ip)
{
	int service = ev->has_ports ? (ev->dport >= WINDOW_EPHEMERAL ? WINDOW_EPHEMERAL : ev->dport)
				    : 0;
	return WINDOW_TERM(cached_location(t, ev->dst, ip), ev->proto, service);
}

/* What a flow (flow_hash) tells of the source's sides: the sketches of
 * what it answered or opened, and for a flow it opened, its service; its
 * service's count when the flow is newly opened (opened_now) while the
 * distinct values are exact. Sketch bits set again change nothing: an
 * estimated sample, which cannot tell a new flow (a value may raise no
 * register), sets them at every flow change, so that they hold what a
 * sensor seeing part of the flows sets; its services are counted from
 * their sketches of flows as the window closes. A relayed flow is its
 * clients' work, on no side of its own. */
static void note_flow(struct window_table *t, struct sample *s, const struct event *ev,
		      uint64_t ip, uint64_t flow_hash, int opened_now)
{
	if (ev->relay)
		return;
	if (ev->answer) {
		note_answered(&s->ns.c, ev, ip);
		if (!ev->refusal && ev->has_ports)
			keep_serving(t, s, ev);
		return;
	}
	uint64_t term = opened_term(t, ev, ip);
	note_opened(&s->ns.c, ip, term);
	t->stats.bytes += count_term(s, term, term_flow_bit(flow_hash), opened_now && !s->seen.hll);
}

/* Every flow of the source counts in its distinct values, whatever its side
 * (a relayed one too: the counters are those of all its packets). */
static void count_destinations(struct window_table *t, struct window *w, struct sample *s,
			       const struct event *ev)
{
	if (ev->housekeeping || repeats_last_flow(s, ev))
		return;
	if (ev->answer) /* found once a flow: its next packets reuse it */
		s->last.receiver = find_sample(w, ev->dst);
	size_t before = distinct_bytes(&s->seen);
	uint64_t port = (uint64_t)ev->proto << 16 | (ev->has_ports ? ev->dport : 0);
	uint64_t ip = distinct_hash_addr(ev->dst);

	uint64_t flow = distinct_hash2(ip, port | (uint64_t)ev->sport << 32);
	/* a flow is marked opened by any packet it opened with (the flows
	 * opened are then the same whatever the order, or the counter, of its
	 * packets) */
	int added = distinct_add_marked(&s->seen, SEEN_FLOW, flow, opens(ev));
	/* while counts are exact, a flow seen before brings no new destination,
	 * port or pair: most packets skip those (estimates must see every value).
	 * The table may have grown even for a known flow: account for it below. */
	if (added > 0 || s->seen.hll) {
		distinct_add(&s->seen, SEEN_IP, ip);
		if (ev->has_ports)
			distinct_add(&s->seen, SEEN_PORT, distinct_hash2(port, 0x706f7274));
		distinct_add(&s->seen, SEEN_PAIR, distinct_hash2(ip, port));
		note_flow(t, s, ev, ip, flow, added > 0 && (added & DISTINCT_MARKED));
	}
	t->stats.bytes += distinct_bytes(&s->seen) - before;
}

/* The window of the packets counted last: the next ones' most likely. */
static const struct window *recent_window(const struct window_table *t)
{
	for (int i = 0; i < t->n_open; i++)
		if (t->open[i].start == t->recent_start)
			return t->open[i].cap ? &t->open[i] : NULL;
	return NULL;
}

/* Fetches the slot of the source with hash in w's table. */
static void prefetch_slot(const struct window *w, uint64_t hash)
{
	__builtin_prefetch(&w->slots[(size_t)hash & (w->cap - 1)]);
}

/* Fetches the cache lines of the bytes [from, to). */
static void prefetch_lines(const void *from, const void *to)
{
	for (uintptr_t line = (uintptr_t)from & ~(uintptr_t)63; line < (uintptr_t)to; line += 64)
		__builtin_prefetch((const void *)line);
}

/* Fetches the hot part of the sample in that slot (prefetch_slot some
 * packets before). */
static void prefetch_sample(const struct window *w, uint64_t hash)
{
	const struct sample *s = find_slot(w, NULL, hash)->s;
	if (s)
		prefetch_lines(s, &s->seen);
}

/* When packet p (its source's hash) starts a new flow of its sample
 * (fetched by prefetch_sample some packets before), fetches what that
 * touches: the distinct values, the service terms, the sketches. */
static void prefetch_flow(const struct window *w, const struct packet_info *p, uint64_t hash)
{
	const struct sample *s = find_slot(w, NULL, hash)->s;
	if (!s || continues(&s->last, &p->dst, p->proto, p->has_ports, p->sport, p->dport))
		return;
	prefetch_lines(&s->seen, &s->ns);
	prefetch_lines(&s->ns.c.opened, &s->ns.c.refused_to + 1);
}

static int64_t event_window_start(struct window_table *t, int64_t ts)
{
	if ((uint64_t)ts - (uint64_t)t->recent_start >= t->length) /* also when ts is earlier */
		t->recent_start = window_start_of(ts, t->length);
	return t->recent_start;
}

/* What a host of the operator's networks served to ev's receiver (what the
 * internet serves is a client's day; a refusal is a failure of the
 * receiver's): its bytes received. s is the sender's sample, whose flow
 * remembers its receiver, or NULL when the sender has none here. */
static void credit_received(struct window_table *t, struct window *w, const struct event *ev,
			    const struct sample *s)
{
	if (!ev->answer || ev->refusal)
		return;
	int src_location = s ? s->location : cached_location(t, ev->src, ev->src_hash);
	if (src_location == LOCATION_GLOBAL)
		return;
	struct sample *r = s ? s->last.receiver : find_sample(w, ev->dst);
	struct window_answer *a;
	if (r)
		r->ns.c.received_bytes += ev->bytes;
	else if (at_home(t, ev->dst) && (a = answers_to(t, w, ev->dst)))
		a->bytes += ev->bytes;
}

static int add_event(struct window_table *t, const struct event *ev, window_emit_fn emit, void *ctx,
		     struct sample **out)
{
	int64_t start = event_window_start(t, ev->ts);
	int closed = close_until(t, ev->ts, emit, ctx);
	if (out)
		*out = NULL;
	if (t->filter &&
	    !filter_counts(t->filter, ev->src, ev->dst, ev->has_ports, ev->dport, ev->sid)) {
		t->stats.filtered++;
		return closed;
	}
	struct window *w = open_window(t, start);
	if (!w) {
		t->stats.late++;
		return closed;
	}
	if (ev->reply_to) { /* most events have no reply to count: no lookup */
		struct sample *r = find_sample(w, ev->reply_to);
		struct window_answer *a;
		if (r) {
			r->ns.c.synack_received += ev->synack;
			r->ns.c.rst_received += ev->rst;
			r->ns.c.unreach_received += ev->unreach;
		} else if (at_home(t, ev->reply_to) && (a = answers_to(t, w, ev->reply_to))) {
			a->synack += (uint32_t)ev->synack;
			a->rst += (uint32_t)ev->rst;
			a->unreach += (uint32_t)ev->unreach;
		}
	}
	if ((t->filter && !filter_monitored(t->filter, ev->src)) || !at_home(t, ev->src)) {
		/* no sample of its own; what it answers counts for whom it answers */
		credit_received(t, w, ev, NULL);
		return closed;
	}
	struct sample *s;
	int rc = add_sample(t, w, ev->src, ev->src_hash, &s);
	if (out)
		*out = s;
	if (!s)
		return rc < 0 ? rc : closed;
	struct event relayed;
	if (relays(t, s, ev)) {
		relayed = *ev;
		relayed.relay = 1;
		ev = &relayed;
	}
	struct packet_counts *k = &s->counts;
	int class = protocol_class(ev->proto);
	k->packets[class] += ev->packets;
	k->bytes += ev->bytes;
	k->syn_sent += ev->syn_sent;
	k->rst_sent += ev->rst_sent;
	count_side(k, ev, class);
	count_destinations(t, w, s, ev);
	credit_received(t, w, ev, s);
	if (t->stats.bytes > t->stats.peak_bytes)
		t->stats.peak_bytes = t->stats.bytes;
	return closed;
}

/* IPv6 neighbour discovery and multicast listeners (ICMPv6 130-137, 143),
 * IGMP: the link keeping itself, as ARP does (which is no IP at all). */
static int is_housekeeping(uint8_t proto, uint8_t icmp_type)
{
	return proto == IP_PROTO_IGMP ||
	       (proto == IP_PROTO_ICMPV6 && ((icmp_type >= 130 && icmp_type <= 137) ||
					    icmp_type == 143));
}

/* window_table_add, src_hash the packet's distinct_hash_addr. */
static int count_packet(struct window_table *t, const struct packet_info *p, uint64_t src_hash,
			window_emit_fn emit, void *ctx)
{
	int tcp = p->proto == IP_PROTO_TCP, syn = tcp && (p->tcp_flags & TCP_SYN),
	    ack = tcp && (p->tcp_flags & TCP_ACK);
	int rst = tcp && (p->tcp_flags & TCP_RST),
	    icmp_error = p->has_inner && decode_is_icmp_error(p);
	/* A reset refuses a connection attempt when it answers a segment
	 * without ACK, a SYN: then it has sequence number zero and ACK set
	 * (RFC 9293, 3.10.7.1). Any other reset aborts a connection either side
	 * held: a client's after the answer it wanted (a port check, a SYN
	 * scan), or a server's; it is its sender's packet like the rest. */
	int refusing_rst = rst && ack && !syn && p->tcp_seq == 0;
	int echo_reply = (p->proto == IP_PROTO_ICMP && p->icmp_type == 0) ||
			 (p->proto == IP_PROTO_ICMPV6 && p->icmp_type == 129);
	int pure_ack =
		ack && !(p->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST)) && p->payload_len == 0;
	struct event ev = {
		.ts = p->ts_sec, .src = &p->src, .src_hash = src_hash, .dst = &p->dst,
		.proto = p->proto,
		.has_ports = p->has_ports, .sport = p->sport, .dport = p->dport,
		.answer = icmp_error || echo_reply || refusing_rst || (syn && ack) ||
			  (!syn && p->has_ports && p->sport < p->dport),
		.refusal = icmp_error || refusing_rst,
		.housekeeping = is_housekeeping(p->proto, p->icmp_type),
		.packets = 1,
		.bytes = p->ip_len,
		.syn_sent = syn && !ack,
		.rst_sent = rst,
		.ack_packets = (uint64_t)pure_ack,
		.ack_bytes = pure_ack ? p->ip_len : 0,
		.reply_to = icmp_error			   ? &p->inner_src
			    : (syn && ack) || refusing_rst ? &p->dst
							   : NULL,
		.synack = syn && ack,
		.rst = refusing_rst,
		.unreach = icmp_error && decode_is_unreachable(p),
	};
	t->stats.packets++;
	return add_event(t, &ev, emit, ctx, NULL);
}

int window_table_add(struct window_table *t, const struct packet_info *p, window_emit_fn emit,
		     void *ctx)
{
	return count_packet(t, p, distinct_hash_addr(&p->src), emit, ctx);
}

/* A batch is counted as a pipeline: a packet's record is fetched first
 * (another thread wrote it), BATCH_DEPTH packets before it is counted; then
 * its source is hashed and its slot in the window's table fetched, then the
 * sample the slot points to, then, for a new flow, what that touches: each
 * step some packets after the one before, so that the memory it needs has
 * come by then. */
#define BATCH_DEPTH 32
#define SLOT_LAG 16   /* packets from fetching the record to hashing its source */
#define SAMPLE_LAG 24 /* to fetching its sample */
#define FLOW_LAG 28   /* to fetching what a new flow touches */
#define HASHES_KEPT 32 /* a power of two above BATCH_DEPTH - SLOT_LAG */

/* What counting reads of a packet record: its first 84 bytes. */
static void prefetch_record(const struct packet_info *p)
{
	__builtin_prefetch(p);
	__builtin_prefetch(&p->dst);
	__builtin_prefetch(&p->payload_len);
}

/* Whether step i of the pipeline over n packets has a packet lag steps
 * behind it, *j. */
static int behind(size_t i, size_t lag, size_t n, size_t *j)
{
	*j = i - lag;
	return i >= lag && *j < n;
}

int window_table_add_batch(struct window_table *t, const struct packet_info *p, size_t n,
			   window_emit_fn emit, void *ctx)
{
	uint64_t hash[HASHES_KEPT];
	int rc = 0;
	size_t j;
	for (size_t i = 0; i < n + BATCH_DEPTH && rc == 0; i++) {
		const struct window *w = recent_window(t);
		if (i < n)
			prefetch_record(&p[i]);
		if (behind(i, SLOT_LAG, n, &j)) {
			hash[j % HASHES_KEPT] = distinct_hash_addr(&p[j].src);
			if (w)
				prefetch_slot(w, hash[j % HASHES_KEPT]);
		}
		if (w && behind(i, SAMPLE_LAG, n, &j))
			prefetch_sample(w, hash[j % HASHES_KEPT]);
		if (w && behind(i, FLOW_LAG, n, &j))
			prefetch_flow(w, &p[j], hash[j % HASHES_KEPT]);
		if (behind(i, BATCH_DEPTH, n, &j))
			rc = count_packet(t, &p[j], hash[j % HASHES_KEPT], emit, ctx);
	}
	return rc;
}

/* What a flow record is to the conversation: an answer to
 * another host's initiative, one that refuses it (a RST), one that accepts
 * it (a SYN-ACK). */
struct flow_role {
	int answer, refused, synack;
};

/* The role its reader gives r (a connection log knows who opened), or,
 * when it does not know, the guess from flags and ports: a flow's flags
 * are the OR of its packets'; its initiator sent SYN from a higher port (or
 * SYN alone: a probe); the answering side's flow carries SYN and ACK from
 * the lower port, or SYN and ACK alone from any port: the SYN-ACKs of a
 * host flooded from random ports (an opener's flow sends more than its
 * handshake: data, a FIN or a RST). */
static struct flow_role flow_role_of(const struct flow_record *r, int has_ports)
{
	int tcp = r->proto == IP_PROTO_TCP, syn = tcp && (r->tcp_flags & TCP_SYN),
	    ack = tcp && (r->tcp_flags & TCP_ACK), rst = tcp && (r->tcp_flags & TCP_RST);
	struct flow_role f = { 0 };

	switch (r->direction) {
	case FLOW_DIRECTION_OPENER: break;
	case FLOW_DIRECTION_ANSWER:
		f.answer = 1;
		f.synack = syn && ack;
		f.refused = rst && !f.synack;
		break;
	default:
		f.synack = syn && ack &&
			   (r->sport < r->dport || !(r->tcp_flags & (TCP_PSH | TCP_FIN | TCP_RST)));
		f.refused = rst && !syn;
		f.answer = f.synack || f.refused ||
			   (has_ports && !(syn && !ack) && r->sport < r->dport);
		break;
	}
	return f;
}

/* The payload a packet that sends data carries at least, on average: a
 * request, a command, a keystroke's encrypted record. */
#define RECORD_DATA_MIN 64

/* The pure ACKs in a TCP record of the side that opened, and their bytes.
 * A record sums its packets, so they are told from what its bytes can
 * carry: each packet has at least a bare header (40 bytes over IPv4, 60
 * over IPv6), what the record holds beyond its headers is at most its
 * payload, and a packet that sends data carries RECORD_DATA_MIN of it. The
 * packets left over, but for a SYN, a FIN and a RST, are acknowledgments: a
 * download's record is hundreds of bare ACKs, its opener receiving (as a
 * capture counts them), not sending. */
static void record_acknowledgments(const struct flow_record *r, struct event *ev)
{
	uint64_t header = r->family == 6 ? 60 : 40;
	if (r->proto != IP_PROTO_TCP || ev->answer || r->packets > r->bytes / header)
		return; /* (bytes below the headers: a reader's payload count, not known) */
	uint64_t payload = r->bytes - r->packets * header;
	uint64_t own = (payload + RECORD_DATA_MIN - 1) / RECORD_DATA_MIN +
		       !!(r->tcp_flags & TCP_SYN) + !!(r->tcp_flags & TCP_FIN) +
		       !!(r->tcp_flags & TCP_RST);
	if (own >= r->packets)
		return;
	ev->ack_packets = r->packets - own;
	ev->ack_bytes = ev->ack_packets * header;
}

/* A flow's counts are spread over at most this many windows, its last ones:
 * what falls before them is counted late at once (a flow of days in minute
 * windows would otherwise cost a step a window, long closed). */
#define WINDOW_MAX_SPLIT 1024

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* What of total falls in the first upto of a duration (0 < upto <= duration,
 * milliseconds): shares of consecutive parts add up to total exactly. */
static uint64_t share_until(uint64_t total, int64_t upto, int64_t duration)
{
	return (uint64_t)((unsigned __int128)total * (uint64_t)upto / (uint64_t)duration);
}

/* What of a record's packets (or bytes: total) came in the first upto
 * milliseconds of its duration. Spread evenly, as a steady flow sends; or,
 * at_ends, the first half of its packets at its first packet and the rest
 * at its last: a TCP record too sparse to have a packet in every window it
 * spans is a handshake and a teardown with silence between (a short
 * connection, or two that reused a port minutes apart, merged by the
 * exporter), and an even spread would invent a flow in each window of the
 * silence. */
static uint64_t record_share(const struct flow_record *r, uint64_t total, int64_t upto,
			     int at_ends)
{
	int64_t dur = r->end_ms - r->start_ms;
	if (!at_ends)
		return share_until(total, upto, dur);
	if (upto >= dur)
		return total;
	uint64_t head = r->packets - r->packets / 2;
	return (uint64_t)((unsigned __int128)total * head / r->packets);
}

/* Counts a flow that lasted past the end of the window it started in in
 * each window its duration covers, its packets and bytes by their share
 * there (record_share); a window's part with no packet is not counted, but
 * for the first, which holds the record's first packet. The once-a-flow
 * counts (SYNs, answers, RSTs) go with it. */
static int add_flow_pro_rata(struct window_table *t, const struct flow_record *r, struct event ev,
			     window_emit_fn emit, void *ctx)
{
	int64_t len = (int64_t)t->length * 1000;
	int64_t w = floor_div(r->start_ms, len) * len, last = floor_div(r->end_ms - 1, len) * len;
	uint64_t packets = 0, bytes = 0, acks = ev.ack_packets;
	uint64_t ack_size = acks ? ev.ack_bytes / acks : 0;
	int unreach = ev.unreach != 0, rc = 0, first = 1;
	int at_ends = r->proto == IP_PROTO_TCP && r->packets &&
		      r->packets <= (uint64_t)((last - w) / len);

	t->stats.split++;
	if ((last - w) / len >= WINDOW_MAX_SPLIT) {
		first = 0;
		w = last - (WINDOW_MAX_SPLIT - 1) * len;
		packets = record_share(r, r->packets, w - r->start_ms, at_ends);
		bytes = record_share(r, r->bytes, w - r->start_ms, at_ends);
		t->stats.late++;
	}
	for (; w <= last; w += len, first = 0) {
		int64_t from = w > r->start_ms ? w : r->start_ms;
		int64_t upto = (w + len < r->end_ms ? w + len : r->end_ms) - r->start_ms;
		int64_t part = (int64_t)record_share(r, r->packets, upto, at_ends) -
			       (int64_t)packets,
			part_bytes = (int64_t)record_share(r, r->bytes, upto, at_ends) -
				     (int64_t)bytes;
		if (first && part < 1 && r->packets) {
			/* the record starts with a packet: its first window has one,
			 * and with it what happens once (a SYN the answer's record
			 * puts in this window too, not wherever its share rounds up) */
			part = 1;
			if (part_bytes < (int64_t)(r->bytes / r->packets))
				part_bytes = (int64_t)(r->bytes / r->packets);
		}
		ev.packets = part > 0 ? (uint64_t)part : 0;
		ev.bytes = part_bytes > 0 ? (uint64_t)part_bytes : 0;
		if (!ev.packets)
			continue;
		/* its acknowledgments by the same share */
		ev.ack_packets = (uint64_t)((unsigned __int128)acks * ev.packets / r->packets);
		ev.ack_bytes = ev.ack_packets * ack_size;
		ev.ack_bytes = ev.ack_bytes < ev.bytes ? ev.ack_bytes : ev.bytes;
		packets += ev.packets;
		bytes += ev.bytes;
		ev.ts = floor_div(from, 1000);
		ev.unreach = unreach ? ev.packets : 0;
		int added = add_event(t, &ev, emit, ctx, NULL);
		rc = rc < 0 ? rc : added;
		ev.syn_sent = ev.rst_sent = ev.synack = ev.rst = 0;
		ev.reply_to = NULL;
	}
	return rc;
}

/* Counts one flow record. NetFlow puts ICMP type * 256 + code in the
 * destination port: ICMP answers and errors are known by their type, from
 * whichever side. */
int window_table_add_flow(struct window_table *t, const struct flow_record *r, window_emit_fn emit,
			  void *ctx)
{
	int syn = r->proto == IP_PROTO_TCP && (r->tcp_flags & TCP_SYN);
	int rst = r->proto == IP_PROTO_TCP && (r->tcp_flags & TCP_RST);
	int unreach = (r->proto == IP_PROTO_ICMP && r->dport >> 8 == 3) ||
		      (r->proto == IP_PROTO_ICMPV6 && r->dport >> 8 == 1);
	int has_ports = ip_proto_has_ports(r->proto);
	int icmp_answer =
		(r->proto == IP_PROTO_ICMP &&
		 (r->dport >> 8 == 0 || r->dport >> 8 == 3 || r->dport >> 8 == 11)) ||
		(r->proto == IP_PROTO_ICMPV6 && (r->dport >> 8 == 129 || r->dport >> 8 < 4));
	struct flow_role role = flow_role_of(r, has_ports);
	struct event ev = {
		.ts = floor_div(r->start_ms, 1000),
		.src = &r->src,
		.src_hash = distinct_hash_addr(&r->src),
		.dst = &r->dst,
		.proto = r->proto,
		.has_ports = (uint8_t)has_ports,
		.sport = has_ports ? r->sport : 0,
		.dport = has_ports ? r->dport : 0,
		.answer = icmp_answer || role.answer,
		.refusal = role.refused ||
			   (icmp_answer && r->dport >> 8 != 0 && r->dport >> 8 != 129),
		.housekeeping = is_housekeeping(r->proto, (uint8_t)(r->dport >> 8)),
		.packets = r->packets,
		.bytes = r->bytes,
		.syn_sent = syn && !role.synack,
		.rst_sent = rst,
		.reply_to = role.synack || role.refused || unreach ? &r->dst : NULL,
		.synack = role.synack,
		.rst = role.refused,
		.unreach = unreach ? r->packets : 0,
	};
	record_acknowledgments(r, &ev);
	int64_t len = (int64_t)t->length * 1000;
	t->stats.packets++; /* a record is one event, however many windows it spans */
	if (r->end_ms > (floor_div(r->start_ms, len) + 1) * len)
		return add_flow_pro_rata(t, r, ev, emit, ctx);
	return add_event(t, &ev, emit, ctx, NULL);
}

int window_table_add_alert(struct window_table *t, int64_t ts, const ip_addr *src,
			   const ip_addr *dst, uint16_t sport, uint16_t dport, uint32_t sid,
			   window_emit_fn emit, void *ctx)
{
	struct event ev = { .ts = ts,
			    .src = src,
			    .src_hash = distinct_hash_addr(src),
			    .dst = dst,
			    .proto = WINDOW_PROTO_ANY,
			    .has_ports = 1,
			    .sport = sport,
			    .dport = dport,
			    .packets = 1,
			    .sid = sid };
	struct sample *s;
	t->stats.packets++;
	int rc = add_event(t, &ev, emit, ctx, &s);
	if (rc == 0 && s) {
		t->stats.bytes +=
			count_term(s, WINDOW_TERM(cached_location(t, dst, distinct_hash_addr(dst)),
						  WINDOW_PROTO_SID, sid), 0, 1);
	}
	return rc;
}

void window_flow_sink_add(void *sink, const struct flow_record *r)
{
	struct window_flow_sink *s = sink;
	if (window_table_add_flow(s->t, r, s->emit, s->ctx) < 0)
		s->failed = 1;
}
