#include "features/merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The parts a merged set holds, and the services of its joined samples. */
struct merged_parts {
	struct window_term **joined_terms;
	size_t n_joined, cap_joined;
	int n;
	struct sample_set part[];
};

static void release_parts(void *owner)
{
	struct merged_parts *m = owner;
	for (size_t i = 0; i < m->n_joined; i++)
		free(m->joined_terms[i]);
	free(m->joined_terms);
	for (int i = 0; i < m->n; i++)
		sample_set_free(&m->part[i]);
	free(m);
}

/* The order of addresses (memcmp's), a word at a time. */
static int addr_cmp(const ip_addr *a, const ip_addr *b)
{
	uint64_t x[2], y[2];
	memcpy(x, a->b, sizeof x);
	memcpy(y, b->b, sizeof y);
	for (int i = 0; i < 2; i++) {
		uint64_t p = __builtin_bswap64(x[i]), q = __builtin_bswap64(y[i]);
		if (p != q)
			return p < q ? -1 : 1;
	}
	return 0;
}

/* a's and b's services (both sorted by key) summed into a new array. A
 * copy (a set that made its samples) frees a sample's terms itself: the
 * new array replaces a's; a table's are its own, and m keeps the new one.
 * Without memory, a keeps its own. */
static void join_terms(struct merged_parts *m, struct net_sample *a, int a_is_copy,
		       const struct net_sample *b)
{
	uint32_t na = a->c.n_terms, nb = b->c.n_terms, i = 0, j = 0, k = 0;
	struct window_term *t = malloc(((size_t)na + nb) * sizeof *t + 1);
	if (!t)
		return;
	if (!a_is_copy && m->n_joined == m->cap_joined) {
		size_t cap = m->cap_joined ? 2 * m->cap_joined : 16;
		struct window_term **v = realloc(m->joined_terms, cap * sizeof *v);
		if (!v) {
			free(t);
			return;
		}
		m->joined_terms = v;
		m->cap_joined = cap;
	}
	while (i < na || j < nb) {
		if (j == nb || (i < na && a->c.terms[i].key < b->c.terms[j].key))
			t[k++] = a->c.terms[i++];
		else if (i == na || b->c.terms[j].key < a->c.terms[i].key)
			t[k++] = b->c.terms[j++];
		else { /* the same service in both */
			t[k] = a->c.terms[i++];
			t[k].flows |= b->c.terms[j].flows;
			t[k++].count += b->c.terms[j++].count;
		}
	}
	if (a_is_copy)
		free(a->terms);
	else
		m->joined_terms[m->n_joined++] = t;
	a->terms = t;
	a->c.terms = t;
	a->c.n_terms = k;
}

static void unanswered(struct window_counters *c)
{
	uint64_t answered = c->synack_received + c->rst_received;
	c->syn_unanswered = c->syn_sent > answered ? c->syn_sent - answered : 0;
}

/* The distinct counts of a source in two parts (flows opened too): the
 * union of their values where both kept them (sensors: exact while small),
 * counted as a whole table counts its own; else the sum (capture workers:
 * exact when the parts saw different flows). Returns whether they were
 * joined as a union. */
static int join_distinct(struct net_sample *a, const struct net_sample *b)
{
	struct window_counters *x = &a->c;
	const struct window_counters *y = &b->c;
	if (a->seen && b->seen && distinct_union(a->seen, b->seen) == 0) {
		window_count_distinct(x, a->seen);
		return 1;
	}
	x->flows += y->flows, x->opened += y->opened;
	x->dst_ips += y->dst_ips, x->dst_ports += y->dst_ports, x->dst_pairs += y->dst_pairs;
	return 0;
}

/* b's counts added to a: the same source in another part. */
static void join_sample(struct merged_parts *m, struct net_sample *a, int a_is_copy,
			const struct net_sample *b)
{
	struct window_counters *x = &a->c;
	const struct window_counters *y = &b->c;
	x->packets += y->packets, x->bytes += y->bytes;
	x->tcp_packets += y->tcp_packets, x->udp_packets += y->udp_packets;
	x->icmp_packets += y->icmp_packets, x->other_packets += y->other_packets;
	int united = join_distinct(a, b);
	x->syn_sent += y->syn_sent, x->synack_received += y->synack_received;
	x->rst_sent += y->rst_sent, x->rst_received += y->rst_received;
	x->unreach_received += y->unreach_received;
	x->opened_packets += y->opened_packets;
	x->opened_bytes += y->opened_bytes, x->received_bytes += y->received_bytes;
	x->opened_tcp += y->opened_tcp, x->opened_udp += y->opened_udp;
	x->opened_icmp += y->opened_icmp;
	x->served_packets += y->served_packets, x->served_bytes += y->served_bytes;
	x->refused += y->refused, x->refused_to |= y->refused_to;
	for (int w = 0; w < WINDOW_PEER_WORDS; w++) {
		x->peers[w] |= y->peers[w];
		x->services[w] |= y->services[w];
		x->clients[w] |= y->clients[w];
		x->served[w] |= y->served[w];
	}
	unanswered(x);
	join_terms(m, a, a_is_copy, b);
	if (united)
		window_count_terms(a->terms, x->n_terms, a->seen);
}

/* The sample of host to in v[n] (address order), or NULL. */
static struct net_sample *find_host(struct net_sample **v, size_t n, const ip_addr *to)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&v[mid]->src, to);
		if (c == 0)
			return v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void apply_answers(const struct sample_set *part, struct sample_set *out,
			  struct merge_stats *st)
{
	for (size_t i = 0; i < part->n_answers; i++) {
		const struct window_answer *a = &part->answers[i];
		struct net_sample *s = find_host(out->s, out->n, &a->to);
		if (!s) {
			st->answers_unmatched++;
			continue;
		}
		window_answer_apply(&s->c, a);
		unanswered(&s->c);
		st->answers++;
	}
}

/* The parts by their next sample's address, smallest first: a binary heap
 * of part indexes, so that merging many parts (a scorer merges every
 * sensor's partitions) costs a few comparisons a sample. */
struct heap {
	const struct sample_set *parts;
	size_t *at; /* [part]: its next sample */
	int *h, n;
};

static const ip_addr *head(const struct heap *q, int i)
{
	return &q->parts[q->h[i]].s[q->at[q->h[i]]]->src;
}

static void sift_down(struct heap *q, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->n && addr_cmp(head(q, l), head(q, m)) < 0)
			m = l;
		if (r < q->n && addr_cmp(head(q, r), head(q, m)) < 0)
			m = r;
		if (m == i)
			return;
		int t = q->h[i];
		q->h[i] = q->h[m];
		q->h[m] = t;
		i = m;
	}
}

static void make_heap(struct heap *q, int n)
{
	q->n = 0;
	for (int i = 0; i < n; i++)
		if (q->parts[i].n)
			q->h[q->n++] = i;
	for (int i = q->n / 2 - 1; i >= 0; i--)
		sift_down(q, i);
}

/* The next sample by address into *s, and its part (which moves on to
 * its next one), or -1 when all are taken. */
static int take_next(struct heap *q, struct net_sample **s)
{
	if (q->n == 0)
		return -1;
	int best = q->h[0];
	*s = q->parts[best].s[q->at[best]++];
	if (q->at[best] == q->parts[best].n)
		q->h[0] = q->h[--q->n];
	sift_down(q, 0);
	return best;
}

int sample_set_merge(struct sample_set *parts, int n, struct sample_set *out,
		     struct merge_stats *st)
{
	struct merge_stats none;
	size_t total = 0, *at = calloc((size_t)n + 1, sizeof *at);
	int *order = malloc(((size_t)n + 1) * sizeof *order);
	for (int i = 0; i < n; i++)
		total += parts[i].n;
	struct merged_parts *m = malloc(sizeof *m + (size_t)n * sizeof m->part[0]);
	struct net_sample **v = malloc(total * sizeof *v + 1);

	memset(out, 0, sizeof *out);
	if (!at || !order || !m || !v) {
		free(at), free(order), free(m), free(v);
		return -ENOMEM;
	}
	if (!st)
		st = &none;
	*m = (struct merged_parts){ .n = n };
	struct heap q = { parts, at, order, 0 };
	make_heap(&q, n);
	size_t k = 0;
	int last = -1; /* the part of v[k - 1] */
	struct net_sample *s;
	for (int i; (i = take_next(&q, &s)) >= 0;) {
		if (k > 0 && ip_addr_equal(&v[k - 1]->src, &s->src)) {
			join_sample(m, v[k - 1], !parts[last].release, s);
			st->joined++;
		} else {
			v[k++] = s;
			last = i;
		}
	}
	*out = (struct sample_set){ .n = k, .cap = total, .s = v, .release = release_parts,
				    .owner = m };
	for (int i = 0; i < n; i++)
		out->bytes += parts[i].bytes;
	for (int i = 0; i < n; i++) {
		apply_answers(&parts[i], out, st);
		m->part[i] = parts[i];
		memset(&parts[i], 0, sizeof parts[i]);
	}
	free(at);
	free(order);
	return 0;
}
