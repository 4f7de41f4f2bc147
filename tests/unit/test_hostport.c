/* hostport: the address forms flowsad takes, and the ones it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/hostport.h"

static void test_forms(void **state)
{
	struct hostport h;
	char err[256];
	(void)state;
	assert_int_equal(hostport_parse("127.0.0.1:6379", 1, &h, err, sizeof err), 0);
	assert_string_equal(h.host, "127.0.0.1");
	assert_int_equal(h.port, 6379);
	assert_false(h.unix_socket);
	assert_int_equal(hostport_parse("[::1]:6379", 1, &h, err, sizeof err), 0);
	assert_string_equal(h.host, "::1");
	assert_int_equal(h.port, 6379);
	assert_int_equal(hostport_parse("[::]:9100", 0, &h, err, sizeof err), 0);
	assert_string_equal(h.host, "::");
	assert_int_equal(hostport_parse("redis.example:7000", 0, &h, err, sizeof err), 0);
	assert_string_equal(h.host, "redis.example");
	assert_int_equal(hostport_parse("/run/redis/redis.sock", 1, &h, err, sizeof err), 0);
	assert_true(h.unix_socket);
	assert_string_equal(h.host, "/run/redis/redis.sock");
	assert_int_equal(hostport_parse("./redis.sock", 1, &h, err, sizeof err), 0); /* a '/' */
	assert_true(h.unix_socket);
	assert_int_equal(hostport_parse("localhost:6380", 1, &h, err, sizeof err), 0);
	assert_false(h.unix_socket);
	assert_string_equal(h.host, "localhost");
}

/* A Redis host without a port is on Redis's port (a Sentinel on its own),
 * not a unix socket of that name. */
static void test_redis_default_ports(void **state)
{
	struct hostport h[4];
	char err[256], name[64];
	(void)state;
	assert_int_equal(
		hostport_parse_redis("localhost", name, sizeof name, h, 4, err, sizeof err), 1);
	assert_false(h[0].unix_socket);
	assert_string_equal(h[0].host, "localhost");
	assert_int_equal(h[0].port, 6379);
	assert_int_equal(hostport_parse_redis("[::1], 10.0.0.1:7000, /run/r.sock", name,
					      sizeof name, h, 4, err, sizeof err),
			 3);
	assert_string_equal(h[0].host, "::1");
	assert_int_equal(h[0].port, 6379);
	assert_int_equal(h[1].port, 7000);
	assert_true(h[2].unix_socket);
	assert_int_equal(hostport_parse_redis("sentinel:m@s1,s2:26380", name, sizeof name, h, 4,
					      err, sizeof err),
			 2);
	assert_int_equal(h[0].port, 26379);
	assert_int_equal(h[1].port, 26380);
	/* elsewhere a port is required, and a name without one is no path */
	assert_int_equal(hostport_parse("localhost", 0, h, err, sizeof err), -22);
	assert_int_equal(hostport_parse("localhost", 1, h, err, sizeof err), -22);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"::1:6379",        /* a bare IPv6 address: ambiguous */
		"[::1]",           /* no port */
		"[::1:6379",       /* no closing bracket */
		"[]:6379",
		"host:0", "host:65536", "host:http", "host:", ":6379",
		"[[x]:38", "a b:80", "a/b:80", "]x:80",  /* not a host */
		"/a/path/without/a/colon/allowed/here",
	};
	struct hostport h;
	char err[256];
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int allow_unix = bad[i][0] != '/'; /* the path: where sockets are not allowed */
		assert_int_equal(hostport_parse(bad[i], allow_unix, &h, err, sizeof err), -22);
		assert_non_null(strstr(err, "expected HOST:PORT, [IPV6]:PORT"));
	}
	char longer[400];
	memset(longer, 'a', sizeof longer - 1);
	longer[0] = '/';
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(hostport_parse(longer, 1, &h, err, sizeof err), -22); /* beyond sun_path */
}

/* Redis Cluster seeds as a list, and the node of a MOVED or ASK reply. */
static void test_lists_and_redirects(void **state)
{
	struct hostport h[4];
	char err[256], text[HOSTPORT_MAX + 8];
	(void)state;
	assert_int_equal(hostport_parse_list("127.0.0.1:7000, [::1]:7001,/run/r.sock", 1, h, 4, err,
					     sizeof err),
			 3);
	assert_int_equal(h[1].port, 7001);
	assert_string_equal(h[1].host, "::1");
	assert_true(h[2].unix_socket);
	assert_int_equal(hostport_parse_list("127.0.0.1:7000", 1, h, 4, err, sizeof err), 1);
	assert_int_equal(hostport_parse_list("a:1,b:2,c:3,d:4,e:5", 1, h, 4, err, sizeof err), -22);
	assert_int_equal(hostport_parse_list("a:1,,b:2", 1, h, 4, err, sizeof err), -22);
	assert_int_equal(hostport_parse_list("a:1,::1:7", 1, h, 4, err, sizeof err), -22);

	char name[64];
	assert_int_equal(hostport_parse_redis("sentinel:alerts@127.0.0.1:26379,[::1]:26380", name,
					      sizeof name, h, 4, err, sizeof err),
			 2);
	assert_string_equal(name, "alerts");
	assert_int_equal(h[1].port, 26380);
	assert_int_equal(hostport_parse_redis("127.0.0.1:7000,127.0.0.1:7001", name, sizeof name, h,
					      4, err, sizeof err),
			 2);
	assert_string_equal(name, "");
	assert_int_equal(hostport_parse_redis("sentinel:@127.0.0.1:1", name, sizeof name, h, 4,
					      err, sizeof err),
			 -22);
	assert_int_equal(hostport_parse_redis("sentinel:x", name, sizeof name, h, 4, err,
					      sizeof err),
			 -22);
	assert_non_null(strstr(err, "sentinel:NAME@"));

	assert_int_equal(hostport_redirect("MOVED 3999 127.0.0.1:6381", "MOVED", h), 1);
	assert_string_equal(h[0].host, "127.0.0.1");
	assert_int_equal(h[0].port, 6381);
	assert_int_equal(hostport_redirect("MOVED 3999 ::1:6381", "MOVED", h), 1); /* no brackets */
	hostport_format(h, text, sizeof text);
	assert_string_equal(text, "[::1]:6381");
	assert_int_equal(hostport_redirect("ASK 3999 10.0.0.2:7002", "ASK", h), 1);
	assert_int_equal(hostport_redirect("ASK 3999 10.0.0.2:7002", "MOVED", h), 0);
	assert_int_equal(hostport_redirect("ERR unknown command", "MOVED", h), 0);
	assert_int_equal(hostport_redirect("MOVED 3999", "MOVED", h), -22);
	assert_int_equal(hostport_redirect("MOVED 3999 host:0", "MOVED", h), -22);
	assert_int_equal(hostport_redirect("MOVED 1 :80", "MOVED", h), -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_redis_default_ports),
		cmocka_unit_test(test_lists_and_redirects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
