/* location and feature_spec: CIDR lookup, the vocabulary's IDF and minimum
 * count, feature values and names, and the spec's JSON round trip. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "features/feature_spec.h"

static ip_addr addr(const char *text)
{
	ip_addr a = { 0 };
	uint8_t v4[4];
	if (inet_pton(AF_INET, text, v4) == 1) {
		a.b[10] = a.b[11] = 0xff;
		memcpy(a.b + 12, v4, 4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, a.b), 1);
	}
	return a;
}

static void test_location_lookup(void **state)
{
	struct location_table t;
	(void)state;
	location_init(&t);
	assert_int_equal(location_add(&t, "10.77.0.0/16", "lan"), 0);
	assert_int_equal(location_add(&t, "10.77.1.0/24", "dmz"), 0);
	assert_int_equal(location_add(&t, "2001:db8::/32", "v6net"), 0);
	ip_addr a = addr("10.77.1.5"), b = addr("10.77.9.9"), c = addr("192.168.1.1"),
		    d = addr("8.8.8.8"), e = addr("2001:db8::1"), f = addr("fe80::1");
	assert_string_equal(t.names[location_of(&t, &a)], "dmz"); /* longest prefix */
	assert_string_equal(t.names[location_of(&t, &b)], "lan");
	assert_string_equal(t.names[location_of(&t, &c)], "private");
	assert_string_equal(t.names[location_of(&t, &d)], "global");
	assert_string_equal(t.names[location_of(&t, &e)], "v6net");
	assert_string_equal(t.names[location_of(&t, &f)], "private");
	/* multicast on the link or in the site never leaves it; global scope does */
	ip_addr rs = addr("ff02::2"), mdns = addr("224.0.0.251"), ssdp = addr("239.255.255.250"),
		bcast = addr("255.255.255.255"), wide = addr("ff0e::101"), glop = addr("233.1.2.3");
	assert_string_equal(t.names[location_of(&t, &rs)], "private");
	assert_string_equal(t.names[location_of(&t, &mdns)], "private");
	assert_string_equal(t.names[location_of(&t, &ssdp)], "private");
	assert_string_equal(t.names[location_of(&t, &bcast)], "private");
	assert_string_equal(t.names[location_of(&t, &wide)], "global");
	assert_string_equal(t.names[location_of(&t, &glop)], "global");
	assert_int_equal(location_add(&t, "10.0.0.0/33", "x"), -EINVAL);
	assert_int_equal(location_add(&t, "nonsense", "x"), -EINVAL);
	assert_int_equal(location_add(&t, "10.0.0.0/8", "head office"), 0); /* psykoda's names */
	assert_int_equal(location_add(&t, "10.0.0.0/8", "a->b"), -EINVAL);
}

static void test_location_file_errors(void **state)
{
	struct location_table t;
	char err[256];
	const char *text = "# comment\n10.0.0.0/8, corp\n\nnot-a-line\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	(void)state;
	location_init(&t);
	assert_int_equal(location_read(&t, f, "loc.csv", err, sizeof err), -EINVAL);
	assert_string_equal(err, "loc.csv:4: expected CIDR,name");
	assert_int_equal(t.n, 1);
	fclose(f);
}

/* Samples whose terms are given as (dst location, proto, port, flows). */
static void add_sample(struct sample_set *set, int src_loc, const uint32_t (*terms)[4], int n)
{
	struct window_term wt[8];
	struct window_counters c = { .packets = 10,
				     .tcp_packets = 5,
				     .udp_packets = 5,
				     .opened_packets = 10,
				     .opened_tcp = 5,
				     .opened_udp = 5,
				     .dst_ips = 3,
				     .src_location = src_loc };
	for (int i = 0; i < n; i++)
		wt[i] = (struct window_term){ WINDOW_TERM(terms[i][0], terms[i][1], terms[i][2]),
					      terms[i][3], 0 };
	c.terms = wt;
	c.n_terms = (uint32_t)n;
	ip_addr src = { 0 };
	sample_set_collect(set, 60 * (int64_t)set->n, &src, &c);
}

static void test_vocabulary_idf_and_values(void **state)
{
	struct sample_set set = { 0 };
	struct feature_spec spec = { .window_seconds = 60 };
	struct dataset ds;
	(void)state;
	location_init(&spec.loc);
	/* tcp/80 in all 4 samples, udp/53 in 2, tcp/22 in 1 (below min_df 2) */
	static const uint32_t s1[][4] = { { 0, 6, 80, 3 }, { 0, 17, 53, 250 }, { 1, 6, 22, 1 } };
	static const uint32_t s2[][4] = { { 0, 6, 80, 1 }, { 0, 17, 53, 1 } };
	static const uint32_t s3[][4] = { { 0, 6, 80, 1 } };
	add_sample(&set, 0, s1, 3);
	add_sample(&set, 0, s2, 2);
	add_sample(&set, 0, s3, 1);
	add_sample(&set, 0, s3, 1);
	assert_int_equal(feature_spec_fit(&spec, &set, 30, 2), 0);
	assert_int_equal(spec.n_terms, 2);
	/* highest IDF first: udp/53 (df 2) then tcp/80 (df 4) */
	assert_float_equal(spec.terms[0].idf, log(1 + 4.0 / 2), 1e-12);
	assert_float_equal(spec.terms[1].idf, log(1 + 4.0 / 4), 1e-12);
	assert_int_equal(feature_spec_dataset(&spec, &set, &ds), 0);
	assert_int_equal(ds.dim, FEATURES_N_FIXED + 2);
	assert_string_equal(ds.names[0], "volume packets");
	assert_string_equal(ds.names[FEATURES_N_FIXED], "svc private->private udp/53");
	assert_string_equal(ds.names[FEATURES_N_FIXED + 1], "svc private->private tcp/80");
	const float *row = ds.x;
	assert_float_equal(row[0], log1p(10.0), 1e-6);
	assert_string_equal(ds.names[9], "proto tcp");
	assert_float_equal(row[9], log1p(5.0), 1e-6);
	assert_int_equal(feature_side(ds.names[9]), 0);
	assert_string_equal(ds.names[13], "serve packets");
	assert_int_equal(feature_side(ds.names[13]), 1);
	assert_float_equal(row[13], 0, 0); /* it served nothing */
	/* 250 flows are clipped at 100, times the IDF */
	assert_float_equal(row[FEATURES_N_FIXED], 100 * log(3.0), 1e-4);
	assert_float_equal(row[FEATURES_N_FIXED + 1], 3 * log(2.0), 1e-5);
	assert_float_equal(ds.x[3 * ds.dim + FEATURES_N_FIXED], 0, 0); /* sample 4 has no udp/53 */
	assert_int_equal(feature_spec_fit(&spec, &set, 1, 1), 0); /* vocabulary size bound */
	assert_int_equal(spec.n_terms, 1);
	dataset_free(&ds);
	feature_spec_free(&spec);
	sample_set_free(&set);
}

static void test_json_round_trip(void **state)
{
	struct sample_set set = { 0 };
	struct feature_spec spec = { .window_seconds = 90 }, back;
	struct dataset a, b;
	char err[256];
	(void)state;
	location_init(&spec.loc);
	assert_int_equal(location_add(&spec.loc, "10.77.0.0/24", "lan"), 0);
	assert_int_equal(location_add(&spec.loc, "2001:db8::/48", "v6"), 0);
	static const uint32_t s1[][4] = { { 2, 6, WINDOW_EPHEMERAL, 4 }, { 3, 1, 0, 2 } };
	add_sample(&set, 2, s1, 2);
	add_sample(&set, 2, s1, 2);
	assert_int_equal(feature_spec_fit(&spec, &set, 30, 1), 0);
	char *json = feature_spec_to_json(&spec);
	assert_non_null(json);
	assert_int_equal(feature_spec_from_json(&back, json, err, sizeof err), 0);
	assert_int_equal(back.window_seconds, 90);
	assert_int_equal(back.loc.n, 2);
	assert_int_equal(feature_spec_dataset(&spec, &set, &a), 0);
	assert_int_equal(feature_spec_dataset(&back, &set, &b), 0);
	assert_string_equal(a.names[FEATURES_N_FIXED], "svc lan->lan tcp/ephemeral");
	assert_string_equal(a.names[FEATURES_N_FIXED + 1], "svc lan->v6 icmp");
	for (int j = 0; j < a.dim; j++)
		assert_string_equal(a.names[j], b.names[j]);
	assert_memory_equal(a.x, b.x, a.n * (size_t)a.dim * sizeof(float));
	feature_spec_free(&back);
	assert_int_equal(feature_spec_from_json(&back, "{\"window_seconds\": 0}", err, sizeof err),
			 -EINVAL);
	free(json);
	dataset_free(&a);
	dataset_free(&b);
	feature_spec_free(&spec);
	feature_spec_free(&back);
	sample_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_location_lookup),
		cmocka_unit_test(test_location_file_errors),
		cmocka_unit_test(test_vocabulary_idf_and_values),
		cmocka_unit_test(test_json_round_trip),
	};
	return cmocka_run_group_tests_name("feature_spec", tests, NULL, NULL);
}
