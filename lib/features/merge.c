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

static int addr_cmp(const ip_addr *a, const ip_addr *b)
{
	return memcmp(a->b, b->b, sizeof a->b);
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

/* The distinct counts of a source in two parts: the union of their
 * values where both kept them (sensors: exact while small), else the sum
 * (capture workers: exact when the parts saw different flows). */
static void join_distinct(struct net_sample *a, const struct net_sample *b)
{
	struct window_counters *x = &a->c;
	const struct window_counters *y = &b->c;
	if (a->seen && b->seen && distinct_union(a->seen, b->seen) == 0) {
		window_count_distinct(x, a->seen);
		return;
	}
	x->flows += y->flows;
	x->dst_ips += y->dst_ips, x->dst_ports += y->dst_ports, x->dst_pairs += y->dst_pairs;
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
	join_distinct(a, b);
	x->syn_sent += y->syn_sent, x->synack_received += y->synack_received;
	x->rst_sent += y->rst_sent, x->rst_received += y->rst_received;
	x->unreach_received += y->unreach_received;
	x->opened += y->opened, x->opened_packets += y->opened_packets;
	x->opened_bytes += y->opened_bytes, x->received_bytes += y->received_bytes;
	for (int w = 0; w < WINDOW_PEER_WORDS; w++) {
		x->peers[w] |= y->peers[w];
		x->services[w] |= y->services[w];
	}
	unanswered(x);
	join_terms(m, a, a_is_copy, b);
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
		s->c.synack_received += a->synack;
		s->c.rst_received += a->rst;
		s->c.unreach_received += a->unreach;
		s->c.received_bytes += a->bytes;
		unanswered(&s->c);
		st->answers++;
	}
}

/* The part whose next sample comes first by address, or -1 when all are
 * taken. */
static int next_part(const struct sample_set *parts, const size_t *at, int n)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (at[i] < parts[i].n &&
		    (best < 0 ||
		     addr_cmp(&parts[i].s[at[i]]->src, &parts[best].s[at[best]]->src) < 0))
			best = i;
	return best;
}

int sample_set_merge(struct sample_set *parts, int n, struct sample_set *out,
		     struct merge_stats *st)
{
	struct merge_stats none;
	size_t total = 0, *at = calloc((size_t)n + 1, sizeof *at);
	for (int i = 0; i < n; i++)
		total += parts[i].n;
	struct merged_parts *m = malloc(sizeof *m + (size_t)n * sizeof m->part[0]);
	struct net_sample **v = malloc(total * sizeof *v + 1);

	memset(out, 0, sizeof *out);
	if (!at || !m || !v) {
		free(at), free(m), free(v);
		return -ENOMEM;
	}
	if (!st)
		st = &none;
	*m = (struct merged_parts){ .n = n };
	size_t k = 0;
	int last = -1; /* the part of v[k - 1] */
	for (int i; (i = next_part(parts, at, n)) >= 0;) {
		struct net_sample *s = parts[i].s[at[i]++];
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
	return 0;
}
