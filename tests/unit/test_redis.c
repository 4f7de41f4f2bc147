/* redis (daemon/redis): the address and the password read once for both
 * clients, the topology's replies read one way, and the blocking client
 * over a real redis-server: AUTH with the password file, a dead first seed
 * passed over, and a node that answers MOVED (a scripted socket, as a
 * cluster node whose slot moved) followed to the server that holds the
 * key. Skipped where redis-server is not installed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "redis/redis_address.h"
#include "redis/redis_reply.h"
#include "redis/redis_sync.h"

static void test_address(void **state)
{
	struct redis_address a;
	char err[REDIS_ADDRESS_ERR];
	(void)state;
	assert_int_equal(redis_address_parse(&a, "127.0.0.1:7000", err, sizeof err), 0);
	assert_int_equal(a.n_seeds, 1);
	assert_int_equal(a.seeds[0].port, 7000);
	assert_false(redis_address_has_topology(&a));
	assert_int_equal(redis_address_parse(&a, "10.0.0.1:7000,10.0.0.2:7001", err, sizeof err),
			 0);
	assert_int_equal(a.n_seeds, 2);
	assert_true(redis_address_has_topology(&a));
	assert_int_equal(redis_address_parse(&a, "sentinel:alerts@10.0.0.1,10.0.0.2:26380", err,
					     sizeof err),
			 0);
	assert_string_equal(a.master_name, "alerts");
	assert_int_equal(a.n_seeds, 2);
	assert_int_equal(a.seeds[0].port, 26379);
	assert_true(redis_address_has_topology(&a));
	assert_int_equal(redis_address_parse(&a, "127.0.0.1:1,,127.0.0.1:2", err, sizeof err),
			 -EINVAL);
	assert_true(err[0] != '\0');
	redis_address_free(&a);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_password_file(void **state)
{
	struct redis_address a = { 0 };
	char err[REDIS_ADDRESS_ERR], dir[] = "/tmp/flowsad-test-redis-XXXXXX", path[64];
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/pw", dir);
	write_file(path, "s3cret\n");
	assert_int_equal(redis_address_read_password(&a, path, err, sizeof err), 0);
	assert_null(a.user);
	assert_string_equal(a.password, "s3cret");
	redis_address_free(&a);
	write_file(path, "flowsad s3cret\r\nignored\n"); /* an ACL user */
	assert_int_equal(redis_address_read_password(&a, path, err, sizeof err), 0);
	assert_string_equal(a.user, "flowsad");
	assert_string_equal(a.password, "s3cret");
	redis_address_free(&a);
	write_file(path, "\n");
	assert_int_equal(redis_address_read_password(&a, path, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, ":1: expected the Redis password"));
	redis_address_free(&a);
	unlink(path);
	assert_int_equal(redis_address_read_password(&a, path, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, path));
	rmdir(dir);
}

static void test_replies(void **state)
{
	redisReply host = { .type = REDIS_REPLY_STRING, .str = "10.1.2.3" },
		   port = { .type = REDIS_REPLY_STRING, .str = "6380" },
		   bad_port = { .type = REDIS_REPLY_STRING, .str = "70000" };
	redisReply *two[] = { &host, &port }, *bad[] = { &host, &bad_port };
	redisReply master = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = two },
		   wrong = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = bad },
		   nil = { .type = REDIS_REPLY_NIL },
		   info = { .type = REDIS_REPLY_STRING,
			    .str = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" },
		   other = { .type = REDIS_REPLY_STRING, .str = "# Replication\r\nrole:slave\r\n" };
	struct hostport hp;
	(void)state;
	assert_int_equal(redis_reply_master(&master, &hp), 1);
	assert_string_equal(hp.host, "10.1.2.3");
	assert_int_equal(hp.port, 6380);
	assert_int_equal(redis_reply_master(&wrong, &hp), 0);
	assert_int_equal(redis_reply_master(&nil, &hp), 0);
	assert_int_equal(redis_reply_master(NULL, &hp), 0);
	assert_int_equal(redis_reply_replicas(&info), 2);
	assert_int_equal(redis_reply_replicas(&other), -1);
	assert_int_equal(redis_reply_replicas(&nil), -1);
}

/* --- against a real redis-server ------------------------------------------------------------ */

/* A TCP port free now, on 127.0.0.1 (listening when listen_too). */
static int free_port(int listen_too, int *fd_out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || (listen_too && listen(fd, 8) < 0))
		return -1;
	if (listen_too)
		*fd_out = fd;
	else
		close(fd);
	return ntohs(sa.sin_port);
}

struct server {
	pid_t pid;
	int port;
};

static int start_server(struct server *s)
{
	char port[16];
	s->port = free_port(0, NULL);
	snprintf(port, sizeof port, "%d", s->port);
	s->pid = fork();
	if (s->pid == 0) {
		int null = open("/dev/null", 0);
		dup2(null, 1), dup2(null, 2);
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
		       "--save", "", "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		redisContext *c = redisConnect("127.0.0.1", s->port);
		int up = c && !c->err;
		redisFree(c);
		if (up)
			return 0;
		int status;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			return -1; /* no redis-server */
		usleep(50 * 1000);
	}
	return -1;
}

static void stop_server(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
}

static int setup(void **state)
{
	struct server *s = calloc(1, sizeof *s);
	*state = s;
	if (start_server(s) < 0)
		s->port = 0;
	return 0;
}

static int teardown(void **state)
{
	struct server *s = *state;
	if (s->port)
		stop_server(s);
	free(s);
	return 0;
}

/* A node that answers every command with MOVED to the real server. */
struct scripted {
	int fd, to_port;
	int answered;
};

static void *scripted_node(void *arg)
{
	struct scripted *n = arg;
	int c = accept(n->fd, NULL, NULL);
	char buf[4096], moved[64];
	ssize_t got;
	snprintf(moved, sizeof moved, "-MOVED 1234 127.0.0.1:%d\r\n", n->to_port);
	while (c >= 0 && (got = read(c, buf, sizeof buf)) > 0) {
		/* one answer a command: "*N" at a line's start */
		for (ssize_t i = 0; i < got; i++)
			if (buf[i] == '*' && (i == 0 || buf[i - 1] == '\n')) {
				if (write(c, moved, strlen(moved)) < 0)
					break;
				n->answered++;
			}
	}
	if (c >= 0)
		close(c);
	return NULL;
}

static void test_moved_and_dead_seed(void **state)
{
	struct server *s = *state;
	if (!s->port)
		skip();
	struct scripted node = { .to_port = s->port };
	int scripted_port = free_port(1, &node.fd), dead_port = free_port(0, NULL);
	pthread_t t;
	char address[128];
	assert_true(scripted_port > 0 && dead_port > 0);
	assert_int_equal(pthread_create(&t, NULL, scripted_node, &node), 0);
	/* the first seed refuses connections, the second answers MOVED */
	snprintf(address, sizeof address, "127.0.0.1:%d,127.0.0.1:%d", dead_port, scripted_port);
	struct redis_sync *r = redis_sync_new(address, NULL, 2000, "test");
	assert_non_null(r);
	redisReply *a = redis_sync_format(r, "k", "SET %s %s", "k", "v");
	assert_non_null(a);
	assert_int_equal(a->type, REDIS_REPLY_STATUS);
	freeReplyObject(a);
	a = redis_sync_format(r, "k", "GET %s", "k"); /* on the node the key moved to */
	assert_non_null(a);
	assert_string_equal(a->str, "v");
	freeReplyObject(a);
	assert_int_equal(node.answered, 1);
	assert_true(redis_sync_stats(r)->redirects >= 1);
	assert_true(redis_sync_stats(r)->failures >= 1);
	assert_int_equal(redis_sync_replicated(r, "k", 100), 1); /* no replicas: at once */
	redis_sync_free(r);
	shutdown(node.fd, SHUT_RDWR);
	close(node.fd);
	pthread_join(t, NULL);
}

static void test_auth(void **state)
{
	struct server *s = *state;
	if (!s->port)
		skip();
	char address[64], dir[] = "/tmp/flowsad-test-redis-XXXXXX", good[64], bad[64];
	assert_non_null(mkdtemp(dir));
	snprintf(good, sizeof good, "%s/good", dir);
	snprintf(bad, sizeof bad, "%s/bad", dir);
	write_file(good, "s3cret\n");
	write_file(bad, "wrong\n");
	snprintf(address, sizeof address, "127.0.0.1:%d", s->port);
	redisContext *c = redisConnect("127.0.0.1", s->port);
	redisReply *a = redisCommand(c, "CONFIG SET requirepass s3cret");
	assert_non_null(a);
	freeReplyObject(a);
	redisFree(c);

	struct redis_sync *r = redis_sync_new(address, good, 2000, "test");
	assert_non_null(r);
	a = redis_sync_format(r, NULL, "PING");
	assert_non_null(a);
	assert_string_equal(a->str, "PONG");
	freeReplyObject(a);
	redis_sync_free(r);
	r = redis_sync_new(address, bad, 2000, "test"); /* refused: no node answers */
	assert_non_null(r);
	assert_null(redis_sync_format(r, NULL, "PING"));
	redis_sync_free(r);
	assert_null(redis_sync_new(address, "/nonexistent/pw", 2000, "test"));
	unlink(good), unlink(bad), rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_replies),
		cmocka_unit_test_setup_teardown(test_moved_and_dead_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
