/* filter: parsing, what counts, and the JSON round trip. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "features/filter.h"

static ip_addr v4(const char *text)
{
	ip_addr a = { 0 };
	a.b[10] = a.b[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, text, a.b + 12), 1);
	return a;
}

static void test_counts_and_monitors(void **state)
{
	struct filter *f = malloc(sizeof *f);
	(void)state;
	filter_init(f);
	assert_false(filter_active(f));
	assert_int_equal(filter_add_nets(&f->monitor, "10.0.0.0/8, 192.168.1.0/24"), 0);
	assert_int_equal(filter_add_nets(&f->exclude_dst, "10.9.9.9"), 0);
	f->has_exclude = 1;
	assert_int_equal(filter_add_ports(f->exclude_port, "53,6000-6010"), 0);
	assert_int_equal(filter_add_sids(f, "2013028,1"), 0);
	assert_true(filter_active(f));
	ip_addr in = v4("10.1.2.3"), out = v4("8.8.8.8"), bad = v4("10.9.9.9");
	assert_true(filter_monitored(f, &in));
	assert_false(filter_monitored(f, &out));
	assert_true(filter_counts(f, &in, &out, 1, 80, 0));
	assert_false(filter_counts(f, &in, &out, 1, 53, 0));
	assert_false(filter_counts(f, &in, &out, 1, 6005, 0));
	assert_true(
		filter_counts(f, &in, &out, 0, 53, 0)); /* no port: the port rules do not apply */
	assert_false(filter_counts(f, &in, &bad, 1, 80, 0));
	assert_false(filter_counts(f, &in, &out, 1, 80, 2013028));
	assert_true(filter_counts(f, &in, &out, 1, 80, 2013029));
	assert_int_equal(filter_add_ports(f->exclude_port, "70-60"), -EINVAL);
	assert_int_equal(filter_add_ports(f->exclude_port, "65536"), -EINVAL);
	assert_int_equal(filter_add_nets(&f->monitor, "10.0.0.0/99"), -EINVAL);
	assert_int_equal(filter_add_sids(f, "x"), -EINVAL);
	free(f);
}

static void test_json_round_trip(void **state)
{
	struct filter *f = malloc(sizeof *f), *g = malloc(sizeof *g);
	(void)state;
	filter_init(f);
	assert_null(filter_to_json(f));
	assert_int_equal(filter_add_nets(&f->monitor, "10.0.0.0/8,2001:db8::/32"), 0);
	f->has_include = 1;
	assert_int_equal(filter_add_ports(f->include_port, "22,80,8000-8002"), 0);
	assert_int_equal(filter_add_sids(f, "7"), 0);
	char *json = filter_to_json(f);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"8000-8002\""));
	assert_int_equal(filter_from_json(g, json), 0);
	assert_memory_equal(&f->monitor, &g->monitor, sizeof f->monitor);
	assert_memory_equal(f->include_port, g->include_port, sizeof f->include_port);
	assert_int_equal(g->has_include, 1);
	assert_int_equal(g->n_sids, 1);
	assert_int_equal(g->exclude_sid[0], 7);
	assert_int_equal(filter_from_json(g, "[]"), -EINVAL);
	free(json);
	free(f);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_monitors),
		cmocka_unit_test(test_json_round_trip),
	};
	return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}
