/* netflow: hand-built v1, v5, v7, v9 and IPFIX datagrams, including the malformed
 * ones the decoder must count and survive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/defaults.h"
#include "ingest/netflow.h"

struct got {
	int n;
	struct flow_record r[16];
};

static void collect(void *ctx, const struct flow_record *r)
{
	struct got *g = ctx;
	if (g->n < 16)
		g->r[g->n] = *r;
	g->n++;
}

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}
static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
	return 4;
}

static const ip_addr exporter = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1 } };

/* IPFIX message: header + the given sets; returns its length. */
static size_t ipfix(uint8_t *m, uint32_t seq, const uint8_t *sets, size_t len)
{
	put16(m, 10);
	put16(m + 2, (uint16_t)(16 + len));
	put32(m + 4, 1772373600);
	put32(m + 8, seq);
	put32(m + 12, 7);
	memcpy(m + 16, sets, len);
	return 16 + len;
}

/* Template 300: srcIPv4 (8), dstIPv4 (12), srcPort (7), dstPort (11), proto (4),
 * octets (1, 8 bytes), packets (2, 4 bytes), flowStartMilliseconds (152),
 * an enterprise field (skipped) and a variable-length one (skipped). */
static size_t template_set(uint8_t *s)
{
	size_t o = 4;
	o += put16(s + o, 300);
	o += put16(s + o, 10);
	static const uint16_t f[][2] = { { 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 },
					 { 1, 8 }, { 2, 4 }, { 152, 8 } };
	for (size_t i = 0; i < 8; i++) {
		o += put16(s + o, f[i][0]);
		o += put16(s + o, f[i][1]);
	}
	o += put16(s + o, 0x8000 | 1000);
	o += put16(s + o, 2);
	o += put32(s + o, 9999); /* enterprise number */
	o += put16(s + o, 82);   /* interfaceName: variable length */
	o += put16(s + o, 65535);
	put16(s, 2);
	put16(s + 2, (uint16_t)o);
	return o;
}

static size_t data_record(uint8_t *p, uint8_t last_octet, uint64_t bytes, const char *name)
{
	size_t o = 0;
	memcpy(p, (uint8_t[]){ 10, 0, 0, last_octet, 10, 0, 0, 99 }, 8);
	o = 8;
	o += put16(p + o, 40000);
	o += put16(p + o, 443);
	p[o++] = 6;
	o += put32(p + o, (uint32_t)(bytes >> 32));
	o += put32(p + o, (uint32_t)bytes);
	o += put32(p + o, 3);
	o += put32(p + o, 0x19c);       /* 1772373600123 ms = 0x19c_a0b4_... split below */
	o += put32(p + o, 0xa9a8137b);
	o += put16(p + o, 0xbeef);      /* enterprise field */
	size_t n = strlen(name);
	p[o++] = (uint8_t)n;
	memcpy(p + o, name, n);
	return o + n;
}

static size_t data_set(uint8_t *s, uint16_t id, int records)
{
	size_t o = 4;
	for (int i = 0; i < records; i++)
		o += data_record(s + o, (uint8_t)(i + 1), 1500 + (uint64_t)i, i % 2 ? "eth0" : "");
	while (o % 4)
		s[o++] = 0; /* padding */
	put16(s, id);
	put16(s + 2, (uint16_t)o);
	return o;
}

static void test_ipfix_template_then_data(void **state)
{
	uint8_t sets[1024], m[1100];
	struct got g = { 0 };
	(void)state;
	struct netflow_decoder *d = netflow_new(0, 0);
	size_t o = template_set(sets);
	o += data_set(sets + o, 300, 3);
	netflow_decode(d, &exporter, m, ipfix(m, 0, sets, o), 0, collect, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.r[0].bytes, 1500);
	assert_int_equal(g.r[2].bytes, 1502);
	assert_int_equal(g.r[1].packets, 3);
	assert_int_equal(g.r[1].src.b[15], 2);
	assert_int_equal(g.r[0].dport, 443);
	assert_int_equal(g.r[0].proto, 6);
	assert_int_equal(g.r[0].start_ms, 0x19ca9a8137bll);
	const uint64_t *c = netflow_counters(d);
	assert_int_equal(c[NF_TEMPLATES], 1);
	assert_int_equal(c[NF_RECORDS], 3);
	assert_int_equal(c[NF_TRUNCATED], 0);
	/* the next message continues the sequence: no gap; then one is skipped */
	o = data_set(sets, 300, 2);
	netflow_decode(d, &exporter, m, ipfix(m, 3, sets, o), 0, collect, &g);
	assert_int_equal(c[NF_SEQUENCE_GAPS], 0);
	netflow_decode(d, &exporter, m, ipfix(m, 40, sets, o), 0, collect, &g);
	assert_int_equal(c[NF_SEQUENCE_GAPS], 1);
	assert_int_equal(g.n, 7);
	netflow_free(d);
}

static void test_data_before_template_and_withdrawal(void **state)
{
	uint8_t sets[1024], m[1100];
	struct got g = { 0 };
	(void)state;
	struct netflow_decoder *d = netflow_new(0, 0);
	size_t o = data_set(sets, 300, 2);
	netflow_decode(d, &exporter, m, ipfix(m, 0, sets, o), 0, collect, &g);
	assert_int_equal(netflow_counters(d)[NF_NO_TEMPLATE], 1);
	assert_int_equal(g.n, 0);
	o = template_set(sets);
	netflow_decode(d, &exporter, m, ipfix(m, 0, sets, o), 0, collect, &g);
	/* withdrawal: template id 300 with field count 0 */
	uint8_t wd[8];
	put16(wd, 2), put16(wd + 2, 8), put16(wd + 4, 300), put16(wd + 6, 0);
	netflow_decode(d, &exporter, m, ipfix(m, 0, wd, 8), 0, collect, &g);
	assert_int_equal(netflow_counters(d)[NF_WITHDRAWALS], 1);
	o = data_set(sets, 300, 1);
	netflow_decode(d, &exporter, m, ipfix(m, 0, sets, o), 0, collect, &g);
	assert_int_equal(netflow_counters(d)[NF_NO_TEMPLATE], 2);
	/* another exporter's template does not apply */
	ip_addr other = exporter;
	other.b[15] = 2;
	o = data_set(sets, 300, 1);
	netflow_decode(d, &other, m, ipfix(m, 0, sets, o), 0, collect, &g);
	assert_int_equal(netflow_counters(d)[NF_NO_TEMPLATE], 3);
	assert_int_equal(g.n, 0);
	netflow_free(d);
}

static void test_malformed_sets_are_counted(void **state)
{
	uint8_t sets[1024], m[1100];
	struct got g = { 0 };
	(void)state;
	struct netflow_decoder *d = netflow_new(0, 0);
	const uint64_t *c = netflow_counters(d);
	size_t o = template_set(sets);
	/* a zero-length field in a template */
	uint8_t bad[12];
	put16(bad, 2), put16(bad + 2, 12), put16(bad + 4, 301), put16(bad + 6, 1);
	put16(bad + 8, 8), put16(bad + 10, 0);
	netflow_decode(d, &exporter, m, ipfix(m, 0, bad, 12), 0, collect, &g);
	assert_int_equal(c[NF_BAD_TEMPLATE], 1);
	/* a set length of 0 (would loop forever if trusted) and one past the end */
	uint8_t zero[4] = { 1, 44, 0, 0 };
	netflow_decode(d, &exporter, m, ipfix(m, 0, zero, 4), 0, collect, &g);
	assert_int_equal(c[NF_TRUNCATED], 1);
	o = template_set(sets);
	o += data_set(sets + o, 300, 2);
	size_t len = ipfix(m, 0, sets, o);
	put16(m + 2, (uint16_t)(len + 40)); /* message length beyond the datagram */
	netflow_decode(d, &exporter, m, len, 0, collect, &g);
	assert_int_equal(c[NF_TRUNCATED], 2);
	/* a record cut short inside its set */
	put16(m + 2, (uint16_t)len);
	size_t data_at = 16 + template_set(sets);
	put16(m + data_at + 2, 30);
	netflow_decode(d, &exporter, m, len, 0, collect, &g);
	uint64_t after = c[NF_TRUNCATED]; /* the cut record, then the garbage behind it */
	assert_true(after >= 3);
	/* too short for any header, unknown version */
	netflow_decode(d, &exporter, m, 3, 0, collect, &g);
	assert_int_equal(c[NF_TRUNCATED], after + 1);
	put16(m, 8);
	netflow_decode(d, &exporter, m, len, 0, collect, &g);
	assert_int_equal(c[NF_BAD_VERSION], 1);
	netflow_free(d);
}

static void test_v5_signed_uptime(void **state)
{
	uint8_t m[24 + 48] = { 0 };
	struct got g = { 0 };
	(void)state;
	put16(m, 5), put16(m + 2, 1);
	put32(m + 4, 40);             /* sysUpTime 40 ms */
	put32(m + 8, 1772373600);     /* unix_secs */
	uint8_t *f = m + 24;
	memcpy(f, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	put32(f + 16, 5), put32(f + 20, 300);
	put32(f + 24, (uint32_t)-60000); /* first: one minute before the uptime origin */
	put32(f + 28, 10);
	put16(f + 32, 1234), put16(f + 34, 22);
	f[37] = 0x02, f[38] = 6;
	struct netflow_decoder *d = netflow_new(0, 0);
	netflow_decode(d, &exporter, m, sizeof m, 0, collect, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].start_ms, 1772373600000ll - 40 - 60000);
	assert_int_equal(g.r[0].end_ms, 1772373600000ll - 30);
	assert_int_equal(g.r[0].tcp_flags, 0x02);
	put16(m + 2, 2); /* claims two records, holds one */
	netflow_decode(d, &exporter, m, sizeof m, 0, collect, &g);
	assert_int_equal(netflow_counters(d)[NF_TRUNCATED], 1);
	netflow_free(d);
}

/* v1 (16-byte header, flags at 40) and v7 (52-byte records): the same
 * flow as v5 reads it. */
static void test_v1_and_v7(void **state)
{
	uint8_t m[24 + 2 * 52] = { 0 };
	struct got g = { 0 };
	(void)state;
	for (int version = 1; version <= 7; version += 6) {
		size_t hdr = version == 1 ? 16 : 24, rec = version == 1 ? 48 : 52;
		memset(m, 0, sizeof m);
		put16(m, (uint16_t)version), put16(m + 2, 2);
		put32(m + 4, 100000), put32(m + 8, 1772373600);
		for (int i = 0; i < 2; i++) {
			uint8_t *f = m + hdr + rec * (size_t)i;
			memcpy(f, (uint8_t[]){ 10, 0, 0, (uint8_t)(1 + i), 10, 0, 0, 2 }, 8);
			put32(f + 16, 3), put32(f + 20, 180);
			put32(f + 24, 99000), put32(f + 28, 99500);
			put16(f + 32, 40000), put16(f + 34, 443);
			f[version == 1 ? 40 : 37] = 0x12, f[38] = 6;
		}
		g.n = 0;
		struct netflow_decoder *d = netflow_new(0, 0);
		netflow_decode(d, &exporter, m, hdr + 2 * rec, 0, collect, &g);
		assert_int_equal(netflow_counters(d)[NF_BAD_VERSION], 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.r[1].src.b[15], 2);
		assert_int_equal(g.r[1].packets, 3);
		assert_int_equal(g.r[1].bytes, 180);
		assert_int_equal(g.r[1].dport, 443);
		assert_int_equal(g.r[1].proto, 6);
		assert_int_equal(g.r[1].tcp_flags, 0x12);
		assert_int_equal(g.r[1].start_ms, 1772373600000ll - 1000);
		netflow_decode(d, &exporter, m, hdr + rec, 0, collect, &g); /* one record short */
		assert_int_equal(netflow_counters(d)[NF_TRUNCATED], 1);
		netflow_free(d);
	}
}

/* IPFIX flowStart/EndMicroseconds (154/155) and Nanoseconds (156/157) are
 * NTP timestamps: the flow lands at its own time, not the export's. */
static void test_ipfix_ntp_times(void **state)
{
	uint8_t sets[128], m[160];
	struct got g = { 0 };
	(void)state;
	for (uint16_t start_ie = 154; start_ie <= 156; start_ie += 2) {
		size_t o = 0;
		o += put16(sets + o, 2), o += put16(sets + o, 4 + 4 + 4 * 4);
		o += put16(sets + o, 400), o += put16(sets + o, 4);
		o += put16(sets + o, 8), o += put16(sets + o, 4);
		o += put16(sets + o, 12), o += put16(sets + o, 4);
		o += put16(sets + o, start_ie), o += put16(sets + o, 8);
		o += put16(sets + o, (uint16_t)(start_ie + 1)), o += put16(sets + o, 8);
		size_t data = o;
		o += put16(sets + o, 400), o += put16(sets + o, 4 + 24);
		memcpy(sets + o, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8), o += 8;
		/* 2026-03-01T14:00:00.250Z and one second later, from 1900 */
		uint64_t ntp = (uint64_t)(1772373600ull + 2208988800ull) << 32 | 0x40000000u;
		o += put32(sets + o, (uint32_t)(ntp >> 32)), o += put32(sets + o, (uint32_t)ntp);
		ntp += 1ull << 32;
		o += put32(sets + o, (uint32_t)(ntp >> 32)), o += put32(sets + o, (uint32_t)ntp);
		assert_int_equal(o - data, 28);
		g.n = 0;
		struct netflow_decoder *d = netflow_new(0, 0);
		netflow_decode(d, &exporter, m, ipfix(m, 0, sets, o), 0, collect, &g);
		assert_int_equal(g.n, 1);
		assert_int_equal(g.r[0].start_ms, 1772373600250ll);
		assert_int_equal(g.r[0].end_ms, 1772373601250ll);
		netflow_free(d);
	}
}

static void test_template_limit(void **state)
{
	uint8_t m[64];
	struct got g = { 0 };
	(void)state;
	struct netflow_decoder *d = netflow_new(0, 0);
	for (int i = 0; i < DEFAULT_NETFLOW_TEMPLATES + 5; i++) {
		uint8_t t[12];
		put16(t, 2), put16(t + 2, 12), put16(t + 4, (uint16_t)(256 + i)), put16(t + 6, 1);
		put16(t + 8, 8), put16(t + 10, 4);
		netflow_decode(d, &exporter, m, ipfix(m, 0, t, 12), 0, collect, &g);
	}
	assert_int_equal(netflow_counters(d)[NF_TEMPLATES], DEFAULT_NETFLOW_TEMPLATES);
	assert_int_equal(netflow_counters(d)[NF_TEMPLATE_LIMIT], 5);
	netflow_free(d);
}

/* An exporter that redefines a template mid-stream (another size): the
 * records after it are read by the new one; a sequence number that wraps is
 * no gap; a template of more fields than any exporter sends is refused. */
static void test_template_change_wrap_and_huge(void **state)
{
	uint8_t sets[1024], m[1100], t[12], r[12];
	struct got g = { 0 };
	(void)state;
	struct netflow_decoder *d = netflow_new(0, 0);
	const uint64_t *c = netflow_counters(d);
	size_t o = template_set(sets);
	o += data_set(sets + o, 300, 1);
	netflow_decode(d, &exporter, m, ipfix(m, 0xffffffff, sets, o), 0, collect, &g);
	assert_int_equal(g.n, 1);
	/* 300 again: one field, a 4-byte source address; then a record of it */
	put16(t, 2), put16(t + 2, 12), put16(t + 4, 300), put16(t + 6, 1);
	put16(t + 8, 8), put16(t + 10, 4);
	netflow_decode(d, &exporter, m, ipfix(m, 0, t, 12), 0, collect, &g); /* 0: wrapped */
	put16(r, 300), put16(r + 2, 8), memcpy(r + 4, (uint8_t[]){ 10, 9, 8, 7 }, 4);
	netflow_decode(d, &exporter, m, ipfix(m, 0, r, 8), 0, collect, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.r[1].src.b[12], 10);
	assert_int_equal(g.r[1].src.b[15], 7);
	assert_int_equal(g.r[1].bytes, 0); /* the old layout's fields are not read into it */
	assert_int_equal(c[NF_SEQUENCE_GAPS], 0);
	assert_int_equal(c[NF_TRUNCATED], 0);
	/* NETFLOW_MAX_FIELDS + 1 fields: refused whole */
	size_t n = 4 + 4 + 4 * (NETFLOW_MAX_FIELDS + 1);
	put16(sets, 2), put16(sets + 2, (uint16_t)n), put16(sets + 4, 301);
	put16(sets + 6, NETFLOW_MAX_FIELDS + 1);
	for (int i = 0; i < NETFLOW_MAX_FIELDS + 1; i++)
		put16(sets + 8 + 4 * i, 8), put16(sets + 10 + 4 * i, 4);
	netflow_decode(d, &exporter, m, ipfix(m, 1, sets, n), 0, collect, &g);
	assert_int_equal(c[NF_BAD_TEMPLATE], 1);
	netflow_free(d);
}

/* Beyond the bound the exporter silent longest is forgotten, its templates
 * with it; a busier one keeps its own. */
static void test_exporter_eviction(void **state)
{
	uint8_t sets[1024], m[1100];
	struct got g = { 0 };
	ip_addr a = exporter, b = exporter, c = exporter;
	(void)state;
	b.b[15] = 2, c.b[15] = 3;
	struct netflow_decoder *d = netflow_new(2, 0);
	size_t o = template_set(sets);
	netflow_decode(d, &a, m, ipfix(m, 0, sets, o), 0, collect, &g);
	netflow_decode(d, &b, m, ipfix(m, 0, sets, o), 0, collect, &g);
	o = data_set(sets, 300, 1);
	netflow_decode(d, &a, m, ipfix(m, 0, sets, o), 0, collect, &g); /* a heard last */
	netflow_decode(d, &c, m, ipfix(m, 0, sets, o), 0, collect, &g); /* b goes for c */
	const uint64_t *n = netflow_counters(d);
	assert_int_equal(n[NF_EXPORTERS_EVICTED], 1);
	assert_int_equal(n[NF_NO_TEMPLATE], 1); /* c's data before c's template */
	netflow_decode(d, &a, m, ipfix(m, 1, sets, o), 0, collect, &g);
	assert_int_equal(g.n, 2); /* a kept its template */
	netflow_decode(d, &b, m, ipfix(m, 1, sets, o), 0, collect, &g);
	assert_int_equal(n[NF_EXPORTERS_EVICTED], 2); /* b comes back as new (c goes) */
	assert_int_equal(n[NF_NO_TEMPLATE], 2);       /* its template went with it */
	assert_int_equal(g.n, 2);
	netflow_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipfix_template_then_data),
		cmocka_unit_test(test_data_before_template_and_withdrawal),
		cmocka_unit_test(test_malformed_sets_are_counted),
		cmocka_unit_test(test_v5_signed_uptime),
		cmocka_unit_test(test_template_limit),
		cmocka_unit_test(test_exporter_eviction),
		cmocka_unit_test(test_template_change_wrap_and_huge),
		cmocka_unit_test(test_v1_and_v7),
		cmocka_unit_test(test_ipfix_ntp_times),
	};
	return cmocka_run_group_tests_name("netflow", tests, NULL, NULL);
}
