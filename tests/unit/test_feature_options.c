/* feature_options: option texts to a feature spec, with errors returned
 * (never logged) naming the option or the file and line; and base/ip's
 * address and network parsing that the options rest on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/defaults.h"
#include "base/ip.h"
#include "features/feature_options.h"

static void test_addresses_and_networks(void **state)
{
	ip_addr a, net;
	uint8_t family;
	int prefix;
	char text[IP_ADDR_STRLEN];
	(void)state;

	assert_int_equal(ip_addr_parse("192.0.2.7", &a, &family), 0);
	assert_int_equal(family, 4);
	assert_true(ip_addr_is_v4(&a));
	assert_string_equal(ip_addr_str(&a, text), "192.0.2.7");
	assert_int_equal(ip_addr_parse("2001:db8::1", &a, &family), 0);
	assert_int_equal(family, 6);
	assert_false(ip_addr_is_v4(&a));
	assert_int_equal(ip_addr_parse("192.0.2", &a, NULL), -EINVAL);

	assert_int_equal(ip_parse_cidr("10.1.2.3/8", &net, &prefix), 0);
	assert_int_equal(prefix, 96 + 8);
	assert_string_equal(ip_addr_str(&net, text), "10.0.0.0"); /* masked */
	assert_int_equal(ip_addr_parse("10.200.0.1", &a, NULL), 0);
	assert_true(ip_in_net(&a, &net, prefix));
	assert_int_equal(ip_addr_parse("11.0.0.1", &a, NULL), 0);
	assert_false(ip_in_net(&a, &net, prefix));
	assert_int_equal(ip_parse_cidr("10.0.0.0/33", &net, &prefix), -EINVAL);
	assert_int_equal(ip_parse_cidr("2001:db8::/129", &net, &prefix), -EINVAL);
	assert_true(ip_proto_has_ports(IP_PROTO_SCTP));
	assert_false(ip_proto_has_ports(IP_PROTO_ICMP));
}

static void test_defaults_without_options(void **state)
{
	struct feature_options o = { 0 };
	struct feature_spec spec = { 0 };
	char err[256] = "";
	(void)state;

	assert_int_equal(feature_options_counting_spec(&o, &spec, err, sizeof err), 0);
	assert_int_equal(spec.window_seconds, DEFAULT_WINDOW_SECONDS);
	assert_true(spec.host_features);
	assert_null(spec.filter); /* nothing filtered: no filter at all */
	assert_int_equal(spec.loc.n, 0);
	assert_false(feature_options_filter_given(&o));
	feature_spec_free(&spec);
}

static void test_bad_option_is_named(void **state)
{
	struct feature_options o = { .window = 300, .monitor = "10.0.0.0/8",
				     .exclude_ports = "80-70" };
	struct feature_spec spec = { 0 };
	char err[256] = "";
	(void)state;

	assert_true(feature_options_filter_given(&o));
	assert_int_equal(feature_options_counting_spec(&o, &spec, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "exclude-ports: expected ports and ranges"));
	assert_non_null(strstr(err, "'80-70'"));
	feature_spec_free(&spec);

	o.exclude_ports = "22";
	assert_int_equal(feature_options_counting_spec(&o, &spec, err, sizeof err), 0);
	assert_int_equal(spec.window_seconds, 300);
	assert_non_null(spec.filter);
	assert_int_equal(spec.filter->monitor.n, 1);
	feature_spec_free(&spec);
}

static void test_location_file_errors(void **state)
{
	char path[] = "/tmp/flowsad-locXXXXXX", err[512] = "";
	struct feature_options o = { .locations = "/nonexistent/flowsad-locations.csv" };
	struct location_table loc;
	(void)state;

	assert_int_equal(feature_options_locations(&o, &loc, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/flowsad-locations.csv: "));

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("10.0.0.0/8,office\nnot-a-network,lab\n", f);
	fclose(f);
	o.locations = path;
	assert_int_equal(feature_options_locations(&o, &loc, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
}

static void test_fit_gives_the_spec_as_json(void **state)
{
	struct feature_options o = { .vocabulary = 5, .min_df = 1 };
	struct feature_spec spec = { 0 }, back;
	struct sample_set set = { 0 };
	char err[256], *json;
	(void)state;

	assert_int_equal(feature_options_counting_spec(&o, &spec, err, sizeof err), 0);
	assert_int_equal(feature_options_fit(&o, &spec, &set, &json), 0);
	assert_non_null(json);
	assert_int_equal(feature_spec_from_json(&back, json, err, sizeof err), 0);
	assert_int_equal(back.window_seconds, spec.window_seconds);
	assert_int_equal(feature_spec_dim(&back), feature_spec_dim(&spec));
	feature_spec_free(&back);
	feature_spec_free(&spec);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses_and_networks),
		cmocka_unit_test(test_defaults_without_options),
		cmocka_unit_test(test_bad_option_is_named),
		cmocka_unit_test(test_location_file_errors),
		cmocka_unit_test(test_fit_gives_the_spec_as_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
