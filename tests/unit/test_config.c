/* config: defaults, every kind of value, lists, and errors with their lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <cmocka.h>

#include "common/config.h"

/* Reads text as a file named t.conf; errors land in *msgs (caller frees). */
static int read_text(struct config *c, const char *text, char **msgs)
{
	size_t len;
	FILE *in = fmemopen((void *)text, strlen(text), "r"), *err = open_memstream(msgs, &len);
	config_init(c);
	int n = config_read(c, in, "t.conf", err);
	fclose(in);
	fclose(err);
	return n;
}

static void test_defaults(void **state)
{
	struct config c;
	char *msgs;
	(void)state;
	assert_int_equal(read_text(&c, "", &msgs), 0);
	assert_int_equal(c.top_n, 5);
	assert_true(c.min_score == 3.0);
	assert_int_equal(c.suppress, 3600);
	assert_int_equal(c.pcap_buffer, 64u << 20);
	assert_string_equal(c.stream, "flowsad:alerts");
	assert_null(c.redis);
	assert_int_equal(config_lateness(&c), 5); /* packets alone */
	assert_int_equal(c.log_level, LOG_INFO);
	config_free(&c);
	free(msgs);
}

static void test_values(void **state)
{
	struct config c;
	char *msgs;
	(void)state;
	const char *text = "; a comment\n"
			   "[capture]\ninterface = eth0\ninterface = eth1\nbuffer = 8M\n"
			   "[netflow]\nlisten = 0.0.0.0:2055\nmax_exporters = 1000\n"
			   "[window]\nlength = 5m\n"
			   "[alerts]\nmin_score = 2.5\nsuppress = 0\n"
			   "[redis]\naddress = /run/redis.sock\ncommand_timeout = 250ms\n"
			   "connect_timeout = 3s\nmaxlen = 1K\n"
			   "[daemon]\nlog_level = debug\n";
	assert_int_equal(read_text(&c, text, &msgs), 0);
	assert_int_equal(c.n_interfaces, 2);
	assert_string_equal(c.interfaces[1], "eth1");
	assert_int_equal(c.pcap_buffer, 8u << 20);
	assert_int_equal(c.n_listen, 1);
	assert_int_equal(c.nf_max_exporters, 1000);
	assert_int_equal(c.nf_max_templates, 256); /* the default */
	assert_int_equal(c.window, 300);
	assert_true(c.min_score == 2.5);
	assert_int_equal(c.suppress, 0);
	assert_string_equal(c.redis, "/run/redis.sock");
	assert_int_equal(c.command_timeout_ms, 250);
	assert_int_equal(c.connect_timeout_ms, 3000);
	assert_int_equal(c.maxlen, 1024);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(config_lateness(&c), 3600); /* flow records are collected */
	config_free(&c);
	free(msgs);
}

static void test_errors_name_their_lines(void **state)
{
	struct config c;
	char *msgs;
	(void)state;
	const char *text = "stray = 1\n"              /* 1: outside any section */
			   "[alerts]\n"
			   "top_n = 0\n"              /* 3: below its range */
			   "min_score = high\n"       /* 4 */
			   "explain_k = 3x\n"         /* 5 */
			   "colour = red\n"           /* 6: unknown key */
			   "[window]\nlength = 5 minutes\n" /* 8 */
			   "lateness = soon\n"        /* 9 */
			   "[capture]\nbuffer = 12Q\n" /* 11 */
			   "[spool]\nmax_bytes = 1\n" /* 13: below 4096 */
			   "[nowhere]\nkey = v\n";    /* 15 */
	assert_int_equal(read_text(&c, text, &msgs), 10);
	const char *expected[] = { "t.conf:1: stray", "t.conf:3: top_n: expected",
				   "t.conf:4: min_score: expected", "t.conf:5: explain_k: expected",
				   "t.conf:6: unknown key 'colour' in [alerts]",
				   "t.conf:8: length: expected", "t.conf:9: lateness: expected",
				   "t.conf:11: buffer: expected", "t.conf:13: max_bytes: expected",
				   "t.conf:15: unknown section [nowhere]" };
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		if (!strstr(msgs, expected[i]))
			fail_msg("missing \"%s\" in:\n%s", expected[i], msgs);
	config_free(&c);
	free(msgs);
}

/* Numeric keys say their range when a value is out of it or malformed. */
static void test_errors_give_ranges(void **state)
{
	struct config c;
	char *msgs;
	(void)state;
	const char *text = "[capture]\nsnaplen = 10\nbuffer = 1K\n"
			   "[retrain]\ntrim = 0.9\nhistory_retention = 0\n"
			   "[redis]\ncommand_timeout = 20m\n";
	assert_int_equal(read_text(&c, text, &msgs), 5);
	const char *expected[] = {
		"t.conf:2: snaplen: expected a whole number from 64 to 262144",
		"t.conf:3: buffer: expected a size from 64K to 4G",
		"t.conf:5: trim: expected a number from 0 to 0.5",
		"t.conf:6: history_retention: expected a duration from 1s to 366d",
		"t.conf:8: command_timeout: expected a duration from 1ms to 10m",
	};
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		if (!strstr(msgs, expected[i]))
			fail_msg("missing \"%s\" in:\n%s", expected[i], msgs);
	config_free(&c);
	free(msgs);
}

/* A '#' after a value starts a comment; one inside a word does not. */
static void test_comment_after_value(void **state)
{
	struct config c;
	char *msgs;
	(void)state;
	const char *text = "[alerts]\ntop_n = 7 # a few\nobserver = edge#1\t# the name\n"
			   "[window]\nlateness = 0s  # no waiting\n";
	assert_int_equal(read_text(&c, text, &msgs), 0);
	assert_int_equal(c.top_n, 7);
	assert_string_equal(c.observer, "edge#1");
	assert_int_equal(config_lateness(&c), 0);
	config_free(&c);
	free(msgs);
}

/* A misspelt key or section is answered with the nearest known one. */
static void test_misspelt_names_suggested(void **state)
{
	struct config c;
	char *msgs;
	(void)state;
	const char *text = "[redis]\nadress = /run/r.sock\n"
			   "[alerts]\nstream = s\ncolour = red\n"
			   "[alert]\ntop_n = 3\n";
	assert_int_equal(read_text(&c, text, &msgs), 4);
	const char *expected[] = {
		"t.conf:2: unknown key 'adress' in [redis] (did you mean 'address'?)",
		"t.conf:4: unknown key 'stream' in [alerts] (did you mean [redis] stream?)",
		"t.conf:7: unknown section [alert] (key 'top_n'; did you mean [alerts]?)",
	};
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		if (!strstr(msgs, expected[i]))
			fail_msg("missing \"%s\" in:\n%s", expected[i], msgs);
	assert_non_null(strstr(msgs, "t.conf:5: unknown key 'colour' in [alerts]\n"));
	config_free(&c);
	free(msgs);
}

static void test_syntax_error(void **state)
{
	struct config c;
	char *msgs;
	(void)state;
	assert_int_equal(
		read_text(&c, "[alerts]\ntop_n = 3\nthis line has no equals sign\n", &msgs), 1);
	assert_non_null(strstr(msgs, "t.conf:3: expected 'key = value'"));
	config_free(&c);
	free(msgs);
}

static void test_list_bound(void **state)
{
	struct config c;
	char *msgs, text[2048] = "[capture]\n";
	(void)state;
	for (int i = 0; i <= CONFIG_MAX_LIST; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text), "interface = eth%d\n", i);
	assert_int_equal(read_text(&c, text, &msgs), 1);
	assert_int_equal(c.n_interfaces, CONFIG_MAX_LIST);
	assert_non_null(strstr(msgs, "at most 16"));
	config_free(&c);
	free(msgs);
}

/* [unit NAME] sections: psykoda's detection units, each its own filter. */
static void test_units(void **state)
{
	struct config c;
	char *msgs = NULL;
	(void)state;
	const char *text = "[features]\nmonitor = 10.0.0.0/8\n"
			   "[unit web]\nmonitor = 10.1.0.0/16\ninclude_ports = 80,443\n"
			   "[unit all-else]\n"
			   "[unit web]\nexclude_src = 10.1.9.9\n";
	assert_int_equal(read_text(&c, text, &msgs), 0);
	assert_int_equal(c.n_units, 2);
	assert_string_equal(c.units[0].name, "web");
	assert_string_equal(c.units[0].monitor, "10.1.0.0/16");
	assert_string_equal(c.units[0].include_ports, "80,443");
	assert_string_equal(c.units[0].exclude_src, "10.1.9.9"); /* the section again adds */
	assert_string_equal(c.units[1].name, "all-else"); /* a unit of no keys: everything */
	assert_null(c.units[1].monitor);
	assert_string_equal(c.monitor, "10.0.0.0/8");
	config_free(&c);
	free(msgs);
	assert_int_equal(read_text(&c, "[unit ../x]\nmonitor = 10.0.0.0/8\n"
				       "[unit ok]\nvocabulary = 3\n", &msgs), 2);
	assert_non_null(strstr(msgs, "t.conf:1: [unit ../x]: expected a name"));
	assert_non_null(strstr(msgs, "t.conf:4: unknown key 'vocabulary' in [unit ok]"));
	config_free(&c);
	free(msgs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors_name_their_lines),
		cmocka_unit_test(test_errors_give_ranges),
		cmocka_unit_test(test_comment_after_value),
		cmocka_unit_test(test_misspelt_names_suggested),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_list_bound),
		cmocka_unit_test(test_units),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
