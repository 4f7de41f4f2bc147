#include "features/part_wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/location.h"

#define HEADER_BYTES	   36
#define VARINT_MAX	   10
#define DISTINCT_NONE	   0
#define DISTINCT_EXACT	   1
#define DISTINCT_ESTIMATED 2

/* The counters a sample carries, in wire order. */
#define C(field) offsetof(struct window_counters, field)
static const size_t counter_at[] = {
	C(packets),	   C(bytes),	      C(flows),
	C(tcp_packets),	   C(udp_packets),    C(icmp_packets),
	C(other_packets),  C(dst_ips),	      C(dst_ports),
	C(dst_pairs),	   C(syn_sent),	      C(synack_received),
	C(rst_sent),	   C(rst_received),   C(unreach_received),
	C(syn_unanswered), C(opened),	      C(opened_packets),
	C(opened_bytes),   C(received_bytes), C(opened_tcp),
	C(opened_udp),	   C(opened_icmp),    C(served_packets),
	C(served_bytes),   C(refused),	      C(refused_to),
};
#undef C
#define N_COUNTERS (sizeof counter_at / sizeof counter_at[0])

uint32_t part_wire_partition(const ip_addr *a, uint32_t n_parts)
{
	/* the high bits: the low ones index the window tables */
	return (uint32_t)((distinct_hash_addr(a) >> 32) % n_parts);
}

/* --- encoding ------------------------------------------------------------------------------ */

static int reserve(struct part_buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

/* The writers below need room reserved before. */
static void put_bytes(struct part_buf *b, const void *p, size_t n)
{
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_fixed(struct part_buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b->data[b->len++] = (uint8_t)(v >> (8 * i));
}

static void put_varint(struct part_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		b->data[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (uint8_t)v;
}

static void put_sketch(struct part_buf *b, const uint64_t *words)
{
	size_t mask_at = b->len;
	uint8_t mask = 0;
	b->data[b->len++] = 0;
	for (int i = 0; i < WINDOW_PEER_WORDS; i++)
		if (words[i]) {
			mask |= (uint8_t)(1u << i);
			put_fixed(b, words[i], 8);
		}
	b->data[mask_at] = mask;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int put_distinct(struct part_buf *b, const struct distinct *d)
{
	const uint8_t *regs = d ? distinct_registers(d) : NULL;
	if (!d || regs) {
		if (reserve(b, 1 + (regs ? DISTINCT_REGISTERS : 0)) < 0)
			return -ENOMEM;
		put_varint(b, d ? DISTINCT_ESTIMATED : DISTINCT_NONE);
		if (regs)
			put_bytes(b, regs, DISTINCT_REGISTERS);
		return 0;
	}
	if (reserve(b, 1 + VARINT_MAX + (size_t)d->n * 8) < 0)
		return -ENOMEM;
	uint64_t few[64], *v = d->n <= 64 ? few : malloc(d->n * sizeof *v);
	if (!v)
		return -ENOMEM;
	uint32_t n = distinct_values(d, v);
	qsort(v, n, sizeof *v, cmp_u64); /* one encoding, whatever the table's order */
	put_varint(b, DISTINCT_EXACT);
	put_varint(b, n);
	for (uint32_t i = 0; i < n; i++)
		put_fixed(b, v[i], 8);
	if (v != few)
		free(v);
	return 0;
}

static int put_sample(struct part_buf *b, const struct net_sample *s)
{
	const struct window_counters *c = &s->c;
	size_t most = 16 + (N_COUNTERS + 2) * VARINT_MAX + 4 * (1 + WINDOW_PEER_WORDS * 8) +
		      (size_t)c->n_terms * 3 * VARINT_MAX;
	if (reserve(b, most) < 0)
		return -ENOMEM;
	put_bytes(b, s->src.b, 16);
	for (size_t i = 0; i < N_COUNTERS; i++)
		put_varint(b, *(const uint64_t *)((const char *)c + counter_at[i]));
	put_varint(b, (uint64_t)c->src_location);
	put_sketch(b, c->peers);
	put_sketch(b, c->services);
	put_sketch(b, c->clients);
	put_sketch(b, c->served);
	put_varint(b, c->n_terms);
	for (uint32_t i = 0; i < c->n_terms; i++) {
		put_varint(b, c->terms[i].key - (i ? c->terms[i - 1].key : 0));
		put_varint(b, c->terms[i].count);
		put_varint(b, c->terms[i].flows);
	}
	return put_distinct(b, s->seen);
}

static int put_answer(struct part_buf *b, const struct window_answer *a)
{
	if (reserve(b, 16 + 5 * VARINT_MAX) < 0)
		return -ENOMEM;
	put_bytes(b, a->to.b, 16);
	put_varint(b, a->events);
	put_varint(b, a->synack);
	put_varint(b, a->rst);
	put_varint(b, a->unreach);
	put_varint(b, a->bytes);
	return 0;
}

static void put_header(struct part_buf *b, const struct part_header *h)
{
	b->len = 0;
	put_bytes(b, "FSPW", 4);
	put_fixed(b, PART_WIRE_VERSION, 4);
	put_fixed(b, (uint64_t)h->window_start, 8);
	put_fixed(b, h->window_seconds, 4);
	put_fixed(b, h->part, 4);
	put_fixed(b, h->n_parts, 4);
	put_fixed(b, h->samples, 4);
	put_fixed(b, h->answers, 4);
}

int part_wire_encode(const struct sample_set *set, int64_t window_start, uint32_t window_seconds,
		     uint32_t n_parts, struct part_buf *bufs)
{
	struct part_header *h = calloc(n_parts, sizeof *h);
	if (!h)
		return -ENOMEM;
	int rc = 0;
	for (uint32_t k = 0; k < n_parts && rc == 0; k++) {
		h[k] = (struct part_header){ window_start, window_seconds, k, n_parts, 0, 0 };
		bufs[k].len = HEADER_BYTES; /* written last, with the counts */
		rc = reserve(&bufs[k], 0);
	}
	for (size_t i = 0; i < set->n && rc == 0; i++) {
		uint32_t k = part_wire_partition(&set->s[i]->src, n_parts);
		h[k].samples++;
		rc = put_sample(&bufs[k], set->s[i]);
	}
	for (size_t i = 0; i < set->n_answers && rc == 0; i++) {
		uint32_t k = part_wire_partition(&set->answers[i].to, n_parts);
		h[k].answers++;
		rc = put_answer(&bufs[k], &set->answers[i]);
	}
	for (uint32_t k = 0; k < n_parts && rc == 0; k++) {
		size_t len = bufs[k].len;
		put_header(&bufs[k], &h[k]);
		bufs[k].len = len;
	}
	free(h);
	return rc;
}

void part_buf_free(struct part_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* --- decoding ------------------------------------------------------------------------------ */

struct reader {
	const uint8_t *p, *end, *start;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct reader *r, const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = 1;
	int n = snprintf(r->err, r->errlen, "byte %zu: ", (size_t)(r->p - r->start));
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static const uint8_t *take(struct reader *r, size_t n, const char *what)
{
	if (r->failed || (size_t)(r->end - r->p) < n) {
		fail(r, "expected %s (%zu bytes), the part ends", what, n);
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	return p;
}

static uint64_t get_fixed(struct reader *r, int n, const char *what)
{
	const uint8_t *p = take(r, (size_t)n, what);
	uint64_t v = 0;
	for (int i = n - 1; p && i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_varint(struct reader *r, const char *what)
{
	uint64_t v = 0;
	for (int shift = 0; !r->failed && shift < 64; shift += 7) {
		if (r->p == r->end)
			break;
		uint8_t byte = *r->p++;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	fail(r, "expected %s (a varint)", what);
	return 0;
}

static uint64_t get_bounded(struct reader *r, uint64_t most, const char *what)
{
	uint64_t v = get_varint(r, what);
	if (v > most)
		fail(r, "expected %s of at most %llu, got %llu", what, (unsigned long long)most,
		     (unsigned long long)v);
	return v <= most ? v : 0;
}

static void get_sketch(struct reader *r, uint64_t *words)
{
	uint8_t mask = (uint8_t)get_fixed(r, 1, "a sketch's word mask");
	for (int i = 0; i < WINDOW_PEER_WORDS; i++)
		words[i] = mask >> i & 1 ? get_fixed(r, 8, "a sketch word") : 0;
}

/* The decoded samples a set holds, their terms in one array in sample
 * order (a merge may point a sample at joined terms of its own). */
struct decoded_part {
	size_t n;
	struct net_sample *samples;
	struct distinct *seen;
	struct window_term *terms;
	size_t n_terms, cap_terms;
	uint64_t *values; /* the exact counts' values, in sample order (distinct_adopt) */
	size_t n_values, cap_values;
};

/* Room for more elements of size elem at the end of *array (n used of
 * *cap). Returns 0 or -ENOMEM. */
static int room_for(void *array, size_t *cap, size_t n, size_t more, size_t elem)
{
	if (n + more <= *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 1024;
	while (c < n + more)
		c *= 2;
	void *grown = realloc(*(void **)array, c * elem);
	if (!grown)
		return -ENOMEM;
	*(void **)array = grown;
	*cap = c;
	return 0;
}

/* A sample's terms, at the end of the part's (pointed at once all are
 * read: the array moves as it grows). */
static int get_terms(struct reader *r, struct decoded_part *d, struct net_sample *s)
{
	uint32_t n = (uint32_t)get_bounded(r, WINDOW_MAX_TERMS, "the number of terms");
	s->c.n_terms = 0;
	if (n == 0)
		return 0;
	if (room_for(&d->terms, &d->cap_terms, d->n_terms, n, sizeof *d->terms) < 0)
		return -ENOMEM;
	struct window_term *t = d->terms + d->n_terms;
	uint64_t key = 0;
	for (uint32_t i = 0; i < n && !r->failed; i++) {
		uint64_t delta = get_varint(r, "a term's key");
		if (delta == 0 || key + delta < key)
			fail(r, "expected term keys ascending");
		key += delta;
		uint32_t count = (uint32_t)get_bounded(r, UINT32_MAX, "a count");
		t[i] = (struct window_term){ key, count, get_varint(r, "a term's flows") };
	}
	d->n_terms += n;
	s->c.n_terms = n;
	return 0;
}

/* A sample's distinct values: registers joined into d, or exact values
 * at the end of the part's, which d borrows once all are read (d->n holds
 * their number until then). */
static int get_distinct(struct reader *r, struct decoded_part *dp, struct distinct *d)
{
	uint64_t mode = get_bounded(r, DISTINCT_ESTIMATED, "a distinct mode (0, 1 or 2)");
	if (mode == DISTINCT_ESTIMATED) {
		const uint8_t *regs = take(r, DISTINCT_REGISTERS, "the registers");
		for (size_t i = 0; regs && i < DISTINCT_REGISTERS; i++)
			if (regs[i] > 64 - DISTINCT_HLL_BITS)
				fail(r, "expected registers of at most %d", 64 - DISTINCT_HLL_BITS);
		return regs && !r->failed ? distinct_join_registers(d, regs) : 0;
	}
	uint64_t n = mode == DISTINCT_EXACT
			     ? get_bounded(r, 2 * DISTINCT_EXACT_MAX, "distinct values")
			     : 0;
	d->n = 0;
	if (n == 0)
		return 0;
	if (room_for(&dp->values, &dp->cap_values, dp->n_values, n, sizeof *dp->values) < 0)
		return -ENOMEM;
	uint64_t *v = dp->values + dp->n_values;
	for (uint64_t i = 0; i < n && !r->failed; i++) {
		v[i] = get_fixed(r, 8, "a distinct value");
		if (v[i] == 0 || (i > 0 && v[i] <= v[i - 1]))
			fail(r, "expected distinct values ascending, none 0");
	}
	dp->n_values += n;
	d->n = (uint32_t)n;
	return 0;
}

static int get_sample(struct reader *r, struct decoded_part *d, struct net_sample *s,
		      struct distinct *seen)
{
	const uint8_t *src = take(r, 16, "a source address");
	if (src)
		memcpy(s->src.b, src, 16);
	for (size_t i = 0; i < N_COUNTERS; i++)
		*(uint64_t *)((char *)&s->c + counter_at[i]) = get_varint(r, "a counter");
	s->c.src_location = (int)get_bounded(r, LOCATION_MAX + 1, "a location index");
	get_sketch(r, s->c.peers);
	get_sketch(r, s->c.services);
	get_sketch(r, s->c.clients);
	get_sketch(r, s->c.served);
	if (get_terms(r, d, s) < 0)
		return -ENOMEM;
	s->seen = seen;
	int rc = get_distinct(r, d, seen);
	if (!seen->hll && !seen->n) /* none kept: the merge sums its counts */
		s->seen = NULL;
	return rc;
}

static void get_answer(struct reader *r, struct window_answer *a)
{
	const uint8_t *to = take(r, 16, "an answered address");
	if (to)
		memcpy(a->to.b, to, 16);
	a->events = (uint32_t)get_bounded(r, UINT32_MAX, "answer events");
	a->synack = (uint32_t)get_bounded(r, UINT32_MAX, "SYN-ACKs");
	a->rst = (uint32_t)get_bounded(r, UINT32_MAX, "RSTs");
	a->unreach = (uint32_t)get_bounded(r, UINT32_MAX, "unreachables");
	a->bytes = get_varint(r, "answered bytes");
}

static void get_header(struct reader *r, struct part_header *h)
{
	const uint8_t *magic = take(r, 4, "the magic FSPW");
	if (magic && memcmp(magic, "FSPW", 4) != 0)
		fail(r, "expected the magic FSPW");
	uint32_t version = (uint32_t)get_fixed(r, 4, "the version");
	if (!r->failed && version != PART_WIRE_VERSION)
		fail(r, "expected version %d, got %u", PART_WIRE_VERSION, version);
	h->window_start = (int64_t)get_fixed(r, 8, "the window start");
	h->window_seconds = (uint32_t)get_fixed(r, 4, "the window length");
	h->part = (uint32_t)get_fixed(r, 4, "the partition");
	h->n_parts = (uint32_t)get_fixed(r, 4, "the number of partitions");
	h->samples = (uint32_t)get_fixed(r, 4, "the number of samples");
	h->answers = (uint32_t)get_fixed(r, 4, "the number of answers");
	if (r->failed)
		return;
	if (h->window_seconds == 0 || h->n_parts == 0 || h->n_parts > PART_WIRE_MAX_PARTS ||
	    h->part >= h->n_parts)
		fail(r, "expected a window length and partition %u < %u <= %d", h->part, h->n_parts,
		     PART_WIRE_MAX_PARTS);
	/* every sample takes at least 16 + N_COUNTERS + 5 bytes, an answer 21 */
	else if ((uint64_t)h->samples * (16 + N_COUNTERS + 5) + (uint64_t)h->answers * 21 >
		 (uint64_t)(r->end - r->p))
		fail(r, "expected %u samples and %u answers, the part is too short", h->samples,
		     h->answers);
}

static void release_decoded(void *owner)
{
	struct decoded_part *d = owner;
	for (size_t i = 0; i < d->n; i++)
		distinct_free(&d->seen[i]);
	free(d->samples);
	free(d->terms);
	free(d->values);
	free(d->seen);
	free(d);
}

static int get_samples(struct reader *r, const struct part_header *h, struct decoded_part *d,
		       struct sample_set *out)
{
	for (uint32_t i = 0; i < h->samples && !r->failed; i++) {
		struct net_sample *s = &d->samples[i];
		s->window_start = h->window_start;
		d->n = i + 1; /* its terms and values freed with the set from now */
		if (get_sample(r, d, s, &d->seen[i]) < 0)
			return -ENOMEM;
		out->s[i] = s;
		out->bytes += sizeof *s + sizeof d->seen[i] + distinct_bytes(&d->seen[i]);
		if (i > 0 && memcmp(out->s[i - 1]->src.b, s->src.b, 16) >= 0)
			fail(r, "expected samples in address order");
	}
	out->n = d->n;
	if (r->failed)
		return 0; /* refused whole: its values may be cut short, nothing is adopted */
	out->bytes += d->n_terms * sizeof *d->terms + d->n_values * sizeof *d->values;
	size_t at = 0, v = 0; /* the arrays are where they stay now */
	for (size_t i = 0; i < d->n; i++) {
		struct net_sample *s = &d->samples[i];
		s->terms = s->c.n_terms ? d->terms + at : NULL;
		s->c.terms = s->terms;
		at += s->c.n_terms;
		if (s->seen && !s->seen->hll) {
			uint32_t n = s->seen->n;
			distinct_adopt(s->seen, d->values + v, n);
			v += n;
		}
	}
	return 0;
}

int part_wire_decode(const uint8_t *data, size_t len, struct part_header *h, struct sample_set *out,
		     char *err, size_t errlen)
{
	struct reader r = { data, data + len, data, err, errlen, 0 };
	memset(out, 0, sizeof *out);
	get_header(&r, h);
	if (r.failed)
		return -EBADMSG;
	struct decoded_part *d = calloc(1, sizeof *d);
	out->release = release_decoded;
	out->owner = d;
	if (d) {
		d->samples = calloc((size_t)h->samples + 1, sizeof *d->samples);
		d->seen = calloc((size_t)h->samples + 1, sizeof *d->seen);
		out->s = malloc(((size_t)h->samples + 1) * sizeof *out->s);
		out->answers = calloc((size_t)h->answers + 1, sizeof *out->answers);
	}
	int rc = !d || !d->samples || !d->seen || !out->s || !out->answers
			 ? -ENOMEM
			 : get_samples(&r, h, d, out);
	for (uint32_t i = 0; rc == 0 && i < h->answers && !r.failed; i++)
		get_answer(&r, &out->answers[out->n_answers++]);
	if (rc == 0 && !r.failed && r.p != r.end)
		fail(&r, "expected the part to end after its answers");
	if (!d) {
		out->release = NULL;
		out->owner = NULL;
	}
	if (rc < 0 || r.failed) {
		sample_set_free(out);
		return rc < 0 ? rc : -EBADMSG;
	}
	return 0;
}
