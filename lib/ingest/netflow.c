#include "ingest/netflow.h"

#include "base/defaults.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DOMAINS 16
#define VARLEN 65535

struct nf_field {
	uint16_t id, len; /* len VARLEN: IPFIX variable length */
	uint32_t pen;     /* enterprise number, 0 for IANA */
};

struct nf_template {
	uint32_t domain;
	uint16_t id, n_fields;
	uint8_t options;
	struct nf_field f[NETFLOW_MAX_FIELDS];
};

struct nf_domain {
	uint32_t id, expected, prev_seq;
	int known;
};

struct nf_exporter {
	ip_addr addr;
	uint64_t heard;      /* the decoder's datagram count at its last datagram */
	int n_templates;
	struct nf_template **t; /* [max_templates] */
	int n_domains;
	struct nf_domain dom[MAX_DOMAINS];
	int64_t sys_init_ms; /* IPFIX 160 from options data; 0 unknown */
};

struct netflow_decoder {
	int n_exporters, max_exporters, max_templates;
	struct nf_exporter **ex; /* [max_exporters] */
	uint64_t counters[NF_N_COUNTERS];
};

static const char *const counter_names[NF_N_COUNTERS] = {
	"datagrams", "records", "templates", "withdrawals", "no_template", "sequence_gaps",
	"bad_version", "truncated", "bad_template", "template_limit", "exporters_evicted",
};

const char *netflow_counter_name(enum netflow_counter c)
{
	return (unsigned)c < NF_N_COUNTERS ? counter_names[c] : "?";
}

const uint64_t *netflow_counters(const struct netflow_decoder *d)
{
	return d->counters;
}

struct netflow_decoder *netflow_new(int max_exporters, int max_templates)
{
	struct netflow_decoder *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->max_exporters = max_exporters > 0 ? max_exporters : DEFAULT_NETFLOW_EXPORTERS;
	d->max_templates = max_templates > 0 ? max_templates : DEFAULT_NETFLOW_TEMPLATES;
	if (!(d->ex = calloc((size_t)d->max_exporters, sizeof *d->ex))) {
		free(d);
		return NULL;
	}
	return d;
}

static void forget_templates(struct nf_exporter *e)
{
	for (int j = 0; j < e->n_templates; j++)
		free(e->t[j]);
	e->n_templates = 0;
}

void netflow_free(struct netflow_decoder *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n_exporters; i++) {
		forget_templates(d->ex[i]);
		free(d->ex[i]->t);
		free(d->ex[i]);
	}
	free(d->ex);
	free(d);
}

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The exporter silent longest, made new for address a. */
static struct nf_exporter *evict_exporter(struct netflow_decoder *d, const ip_addr *a)
{
	struct nf_exporter *e = d->ex[0];
	for (int i = 1; i < d->n_exporters; i++)
		if (d->ex[i]->heard < e->heard)
			e = d->ex[i];
	forget_templates(e);
	struct nf_template **t = e->t;
	memset(e, 0, sizeof *e);
	e->t = t;
	e->addr = *a;
	d->counters[NF_EXPORTERS_EVICTED]++;
	return e;
}

static struct nf_exporter *exporter_of(struct netflow_decoder *d, const ip_addr *a)
{
	for (int i = 0; i < d->n_exporters; i++)
		if (memcmp(d->ex[i]->addr.b, a->b, 16) == 0)
			return d->ex[i];
	if (d->n_exporters == d->max_exporters)
		return evict_exporter(d, a);
	struct nf_exporter *e = calloc(1, sizeof *e);
	if (!e || !(e->t = calloc((size_t)d->max_templates, sizeof *e->t))) {
		free(e);
		return NULL;
	}
	e->addr = *a;
	d->ex[d->n_exporters++] = e;
	return e;
}

/* Checks the sequence number against the one expected; next is what the
 * following datagram should carry. alt, when not 0, is another count this
 * datagram may have been numbered after: some IPFIX exporters (softflowd)
 * number a message after its own flow records rather than before them. */
static void check_sequence(struct netflow_decoder *d, struct nf_exporter *e, uint32_t domain,
			   uint32_t seq, uint32_t next, uint32_t alt)
{
	struct nf_domain *dom = NULL;
	for (int i = 0; i < e->n_domains; i++)
		if (e->dom[i].id == domain)
			dom = &e->dom[i];
	if (!dom && e->n_domains < MAX_DOMAINS) {
		dom = &e->dom[e->n_domains++];
		dom->id = domain;
	}
	if (!dom)
		return;
	if (dom->known && dom->expected != seq && !(alt && seq - dom->prev_seq == alt))
		d->counters[NF_SEQUENCE_GAPS]++;
	dom->expected = next;
	dom->prev_seq = seq;
	dom->known = 1;
}

static struct nf_template **find_template(struct nf_exporter *e, uint32_t domain, uint16_t id)
{
	for (int i = 0; i < e->n_templates; i++)
		if (e->t[i]->domain == domain && e->t[i]->id == id)
			return &e->t[i];
	return NULL;
}

static void withdraw(struct netflow_decoder *d, struct nf_exporter *e, uint32_t domain, uint16_t id)
{
	struct nf_template **t = find_template(e, domain, id);
	if (!t)
		return;
	free(*t);
	*t = e->t[--e->n_templates];
	d->counters[NF_WITHDRAWALS]++;
}

static void store_template(struct netflow_decoder *d, struct nf_exporter *e,
			   const struct nf_template *nt)
{
	struct nf_template **slot = find_template(e, nt->domain, nt->id);
	if (!slot) {
		if (e->n_templates == d->max_templates) {
			d->counters[NF_TEMPLATE_LIMIT]++;
			return;
		}
		struct nf_template *t = malloc(sizeof *t);
		if (!t)
			return;
		slot = &e->t[e->n_templates++];
		*slot = t;
	}
	**slot = *nt;
	d->counters[NF_TEMPLATES]++;
}

/* Template records of one set: v9/IPFIX templates and options templates.
 * A malformed record is counted (truncated or bad_template) and the rest of
 * the set skipped. */
static void parse_templates(struct netflow_decoder *d, struct nf_exporter *e, uint32_t domain,
			   const uint8_t *p, size_t len, int ipfix, int options)
{
	while (len >= 4) {
		struct nf_template nt = { .domain = domain, .options = (uint8_t)options };
		size_t scope_len;
		nt.id = (uint16_t)be(p, 2);
		size_t count = be(p + 2, 2);
		p += 4, len -= 4;
		if (options && !ipfix) { /* v9: id, scope length, option length, in bytes */
			if (len < 2)
				goto truncated;
			scope_len = count;
			count = (scope_len + be(p, 2)) / 4;
			p += 2, len -= 2;
		} else if (options) { /* IPFIX: the scope field count; scope fields come first */
			if (len < 2)
				goto truncated;
			p += 2, len -= 2;
		}
		if (ipfix && count == 0) { /* withdrawal */
			withdraw(d, e, domain, nt.id);
			continue;
		}
		if (nt.id < 256 || count > NETFLOW_MAX_FIELDS || count == 0) {
			d->counters[NF_BAD_TEMPLATE]++;
			return;
		}
		for (size_t i = 0; i < count; i++) {
			if (len < 4)
				goto truncated;
			struct nf_field f = { (uint16_t)be(p, 2), (uint16_t)be(p + 2, 2), 0 };
			p += 4, len -= 4;
			if (ipfix && (f.id & 0x8000)) {
				if (len < 4)
					goto truncated;
				f.id &= 0x7fff;
				f.pen = (uint32_t)be(p, 4);
				p += 4, len -= 4;
			}
			if (f.len == 0 || (f.len == VARLEN && !ipfix)) {
				d->counters[NF_BAD_TEMPLATE]++;
				return;
			}
			nt.f[nt.n_fields++] = f;
		}
		store_template(d, e, &nt);
	}
	return;
truncated:
	d->counters[NF_TRUNCATED]++;
}

struct flow_times {
	int64_t header_ms;  /* export time */
	int64_t uptime_ms;  /* v5/v9: sysUpTime at export; -1 for IPFIX */
	int64_t init_ms;    /* IPFIX: system init time, 0 when unknown */
	int64_t first_up, last_up, first_abs, last_abs;
	int have_up, have_abs;
};

/* An uptime-relative stamp in epoch ms (signed 32-bit difference). */
static int64_t from_uptime(const struct flow_times *t, int64_t up)
{
	if (t->uptime_ms >= 0)
		return t->header_ms - (int32_t)(uint32_t)((uint32_t)t->uptime_ms - (uint32_t)up);
	if (t->init_ms)
		return t->init_ms + (int32_t)(uint32_t)up;
	return t->header_ms;
}

/* An absolute time field (seconds or milliseconds since the epoch) in
 * milliseconds; an exporter's nonsense is held at the year 10000, so that
 * no later arithmetic on it overflows. */
static int64_t epoch_ms(uint64_t x, int64_t per_unit)
{
	const int64_t max_ms = 253402300800000; /* 10000-01-01 */
	return x > (uint64_t)(max_ms / per_unit) ? max_ms : (int64_t)x * per_unit;
}

/* An NTP timestamp (RFC 7011 dateTimeMicroseconds and dateTimeNanoseconds:
 * seconds since 1900, then a binary fraction) in epoch milliseconds. */
static int64_t ntp_ms(uint64_t x)
{
	const int64_t era = 2208988800; /* seconds from 1900 to 1970 */
	int64_t ms = ((int64_t)(x >> 32) - era) * 1000 + (int64_t)(((x & 0xffffffff) * 1000) >> 32);
	return ms < 0 ? 0 : ms;
}

static void apply_field(const struct nf_field *f, const uint8_t *v, size_t n, struct flow_record *r,
			struct flow_times *t, struct nf_exporter *e)
{
	if (f->pen)
		return;
	uint64_t x = n <= 8 ? be(v, n) : 0;
	switch (f->id) {
	case 1: case 85: r->bytes = x; break;
	case 2: case 86: r->packets = x; break;
	case 4: r->proto = (uint8_t)x; break;
	case 6: r->tcp_flags = (uint8_t)x; break;
	case 7: r->sport = (uint16_t)x; break;
	case 11: r->dport = (uint16_t)x; break;
	case 32: case 139: if (!r->dport) r->dport = (uint16_t)x; break;
	case 8: case 12:
		if (n == 4) {
			ip_addr *a = f->id == 8 ? &r->src : &r->dst;
			ip_addr_from_v4(a, v);
			r->family = 4;
		}
		break;
	case 27: case 28:
		if (n == 16) {
			memcpy((f->id == 27 ? &r->src : &r->dst)->b, v, 16);
			r->family = 6;
		}
		break;
	case 22: t->first_up = (int64_t)x; t->have_up = 1; break;
	case 21: t->last_up = (int64_t)x; break;
	case 150: t->first_abs = epoch_ms(x, 1000); t->have_abs = 1; break;
	case 151: t->last_abs = epoch_ms(x, 1000); break;
	case 152: t->first_abs = epoch_ms(x, 1); t->have_abs = 1; break;
	case 153: t->last_abs = epoch_ms(x, 1); break;
	case 154: case 156: t->first_abs = ntp_ms(x); t->have_abs = 1; break;
	case 155: case 157: t->last_abs = ntp_ms(x); break;
	case 160: e->sys_init_ms = epoch_ms(x, 1); break;
	default: break;
	}
}

/* Data records of one set (options records included) are added to *n;
 * returns -1 when a record overruns the set. */
static int parse_data(struct netflow_decoder *d, struct nf_exporter *e,
		      const struct nf_template *tpl, const uint8_t *p, size_t len,
		      struct flow_times base, flow_record_fn emit, void *ctx, uint32_t *n_records)
{
	for (;;) {
		struct flow_record r = { 0 };
		struct flow_times t = base;
		const uint8_t *q = p;
		size_t left = len;
		int ok = 1;
		for (int i = 0; i < tpl->n_fields && ok; i++) {
			size_t n = tpl->f[i].len;
			if (n == VARLEN) { /* RFC 7011 7: 1 byte, or 255 and 2 more */
				if (left < 1)
					ok = 0;
				else if (q[0] < 255)
					n = q[0], q++, left--;
				else if (left < 3)
					ok = 0;
				else
					n = be(q + 1, 2), q += 3, left -= 3;
			}
			if (!ok || left < n) {
				ok = 0;
				break;
			}
			apply_field(&tpl->f[i], q, n, &r, &t, e);
			q += n, left -= n;
		}
		if (!ok) /* the rest is padding if it is shorter than a record; else damage */
			return left == len && len < 4 ? 0 : -1;
		p = q, len = left;
		(*n_records)++;
		if (tpl->options) {
			if (len == 0)
				return 0;
			continue;
		}
		r.start_ms = t.have_abs	 ? t.first_abs
			     : t.have_up ? from_uptime(&t, t.first_up)
					 : t.header_ms;
		r.end_ms = t.have_abs  ? t.last_abs
			   : t.have_up ? from_uptime(&t, t.last_up)
				       : r.start_ms;
		d->counters[NF_RECORDS]++;
		if (r.family && emit)
			emit(ctx, &r);
		if (len == 0)
			return 0;
	}
}

/* The fixed layouts of NetFlow v1, v5 and v7: a header of hdr bytes (v5
 * and v7 with a flow sequence number), then count records of rec bytes,
 * whose fields sit where v5 has them but for the TCP flags of v1. */
struct fixed_format {
	size_t hdr, rec, flags_at;
	int has_sequence;
};

static const struct fixed_format v1_format = { 16, 48, 40, 0 };
static const struct fixed_format v5_format = { 24, 48, 37, 1 };
static const struct fixed_format v7_format = { 24, 52, 37, 1 };

static void decode_fixed(struct netflow_decoder *d, struct nf_exporter *e, const uint8_t *p,
			 size_t len, const struct fixed_format *fmt, flow_record_fn emit, void *ctx)
{
	size_t count = be(p + 2, 2);
	if (len < fmt->hdr || len < fmt->hdr + fmt->rec * count) {
		d->counters[NF_TRUNCATED]++;
		return;
	}
	struct flow_times t = { .header_ms = (int64_t)be(p + 8, 4) * 1000 +
					     (int64_t)be(p + 12, 4) / 1000000,
				.uptime_ms = (int64_t)be(p + 4, 4) };
	if (fmt->has_sequence) { /* v7 has no engine id: one sequence per exporter */
		uint32_t seq = (uint32_t)be(p + 16, 4);
		uint32_t engine = fmt == &v5_format ? (uint32_t)be(p + 20, 2) : 0;
		check_sequence(d, e, engine, seq, seq + (uint32_t)count, 0);
	}
	for (size_t i = 0; i < count; i++) {
		const uint8_t *f = p + fmt->hdr + fmt->rec * i;
		struct flow_record r = { .family = 4 };
		ip_addr_from_v4(&r.src, f);
		ip_addr_from_v4(&r.dst, f + 4);
		r.packets = be(f + 16, 4);
		r.bytes = be(f + 20, 4);
		r.start_ms = from_uptime(&t, (int64_t)be(f + 24, 4));
		r.end_ms = from_uptime(&t, (int64_t)be(f + 28, 4));
		r.sport = (uint16_t)be(f + 32, 2);
		r.dport = (uint16_t)be(f + 34, 2);
		r.tcp_flags = f[fmt->flags_at];
		r.proto = f[38];
		d->counters[NF_RECORDS]++;
		if (emit)
			emit(ctx, &r);
	}
}

/* v9 and IPFIX: a header, then sets of templates, options templates and data. */
static void decode_sets(struct netflow_decoder *d, struct nf_exporter *e, const uint8_t *p,
			size_t len, int ipfix, flow_record_fn emit, void *ctx)
{
	size_t hdr = ipfix ? 16 : 20;
	struct flow_times t = { .uptime_ms = -1 };
	uint32_t domain, seq;

	if (len < hdr) {
		d->counters[NF_TRUNCATED]++;
		return;
	}
	if (ipfix) {
		size_t msg_len = be(p + 2, 2);
		if (msg_len < hdr || msg_len > len) {
			d->counters[NF_TRUNCATED]++;
			return;
		}
		len = msg_len;
		t.header_ms = (int64_t)be(p + 4, 4) * 1000;
		seq = (uint32_t)be(p + 8, 4);
		domain = (uint32_t)be(p + 12, 4);
	} else {
		t.uptime_ms = (int64_t)be(p + 4, 4);
		t.header_ms = (int64_t)be(p + 8, 4) * 1000;
		seq = (uint32_t)be(p + 12, 4);
		domain = (uint32_t)be(p + 16, 4);
	}
	uint32_t n_records = 0;
	uint64_t flows_before = d->counters[NF_RECORDS];
	p += hdr, len -= hdr;
	while (len >= 4) {
		size_t id = be(p, 2), set_len = be(p + 2, 2);
		if (set_len < 4 || set_len > len) {
			d->counters[NF_TRUNCATED]++;
			break;
		}
		const uint8_t *body = p + 4;
		size_t body_len = set_len - 4;
		t.init_ms = e->sys_init_ms;
		int tmpl = ipfix ? id == 2 : id == 0, opts = ipfix ? id == 3 : id == 1;
		if (tmpl || opts) {
			parse_templates(d, e, domain, body, body_len, ipfix, opts);
		} else if (id >= 256) {
			struct nf_template **tpl = find_template(e, domain, (uint16_t)id);
			if (!tpl)
				d->counters[NF_NO_TEMPLATE]++;
			else if (parse_data(d, e, *tpl, body, body_len, t, emit, ctx, &n_records) <
				 0)
				d->counters[NF_TRUNCATED]++;
		}
		p += set_len, len -= set_len;
	}
	/* v9 numbers datagrams; IPFIX numbers data records */
	uint32_t flows = (uint32_t)(d->counters[NF_RECORDS] - flows_before);
	check_sequence(d, e, domain, seq, seq + (ipfix ? n_records : 1), ipfix ? flows : 0);
}

void netflow_decode(struct netflow_decoder *d, const ip_addr *exporter, const uint8_t *data,
		    size_t len, int64_t recv_ms, flow_record_fn emit, void *ctx)
{
	(void)recv_ms;
	d->counters[NF_DATAGRAMS]++;
	if (len < 4) {
		d->counters[NF_TRUNCATED]++;
		return;
	}
	struct nf_exporter *e = exporter_of(d, exporter);
	if (!e) /* no memory for it */
		return;
	e->heard = d->counters[NF_DATAGRAMS];
	switch (be(data, 2)) {
	case 1: decode_fixed(d, e, data, len, &v1_format, emit, ctx); break;
	case 5: decode_fixed(d, e, data, len, &v5_format, emit, ctx); break;
	case 7: decode_fixed(d, e, data, len, &v7_format, emit, ctx); break;
	case 9: decode_sets(d, e, data, len, 0, emit, ctx); break;
	case 10: decode_sets(d, e, data, len, 1, emit, ctx); break;
	default: d->counters[NF_BAD_VERSION]++; break;
	}
}
