/* redis (daemon/redis): the address and the password read once for both
 * clients, the topology's replies read one way, the topology's decisions
 * (which node next, what a redirection or a Sentinel's answer means, AUTH,
 * WAIT) as a pure state machine, and the blocking client over a real
 * redis-server: AUTH with the password file, a dead first seed passed over,
 * a node that answers MOVED (a scripted socket, as a cluster node whose
 * slot moved) followed to the server that holds the key, and a master
 * killed: back to the only seed, which names its replacement. Those are
 * skipped where redis-server is not installed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/duration.h"
#include "redis/redis_address.h"
#include "redis/redis_reply.h"
#include "redis/redis_sync.h"
#include "redis/redis_topology.h"

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
			    .str = "# Replication\r\nrole:master\r\nconnected_slaves:3\r\n"
				   "slave0:ip=10.0.0.2,port=6379,state=online,offset=90,lag=0\r\n"
				   "slave1:ip=10.0.0.3,port=6379,state=online,offset=80,lag=9\r\n"
				   "slave2:ip=10.0.0.4,port=6379,state=wait_bgsave,lag=0\r\n"
				   "master_failover_state:no-failover\r\n" },
		   none = { .type = REDIS_REPLY_STRING, .str = "connected_slaves:0\n" },
		   other = { .type = REDIS_REPLY_STRING, .str = "# Replication\r\nrole:slave\r\n" };
	struct hostport hp;
	(void)state;
	assert_int_equal(redis_reply_master(&master, &hp), 1);
	assert_string_equal(hp.host, "10.1.2.3");
	assert_int_equal(hp.port, 6380);
	assert_int_equal(redis_reply_master(&wrong, &hp), 0);
	assert_int_equal(redis_reply_master(&nil, &hp), 0);
	assert_int_equal(redis_reply_master(NULL, &hp), 0);
	/* in step: online and heard from within the lag; one hangs, one syncs */
	assert_int_equal(redis_reply_replicas_in_step(&info, 2), 1);
	assert_int_equal(redis_reply_replicas_in_step(&info, 10), 2);
	assert_int_equal(redis_reply_replicas_in_step(&none, 2), 0);
	assert_int_equal(redis_reply_replicas_in_step(&other, 2), -1);
	assert_int_equal(redis_reply_replicas_in_step(&nil, 2), -1);
}

/* --- the topology, a pure state machine ------------------------------------------------------ */

static struct redis_topology *topology(const char *address)
{
	char err[REDIS_ADDRESS_ERR];
	struct redis_topology *t = redis_topology_new(address, NULL, err, sizeof err);
	assert_non_null(t);
	return t;
}

static int port_of(const struct redis_topology *t, int node)
{
	return redis_topology_host(t, node)->port;
}

static redisReply error_reply(char *text)
{
	return (redisReply){ .type = REDIS_REPLY_ERROR, .str = text, .len = strlen(text) };
}

static void test_topology_seeds_in_turn(void **state)
{
	struct redis_topology *t = topology("127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002");
	(void)state;
	int first = redis_topology_node_for(t, "k");
	assert_int_equal(port_of(t, first), 7000);
	assert_false(redis_topology_is_sentinel(t, first));
	redis_topology_answered(t, "k", first);
	assert_int_equal(redis_topology_node_for(t, "other"), first); /* the node that answered */
	int want[] = { 7001, 7002, 7000, 7001 };
	for (int i = 0, at = first; i < 4; i++) {
		redis_topology_lost(t, at);
		at = redis_topology_node_for(t, "k");
		assert_int_equal(port_of(t, at), want[i]);
	}
	redis_topology_free(t);
}

static void test_topology_back_to_one_seed(void **state)
{
	struct redis_topology *t = topology("127.0.0.1:7000");
	char moved[] = "MOVED 866 127.0.0.1:7005", again[] = "MOVED 866 127.0.0.1:7004";
	redisReply to_master = error_reply(moved), to_promoted = error_reply(again);
	int seed = redis_topology_node_for(t, "k"), master, promoted;
	(void)state;
	assert_int_equal(redis_topology_redirect(t, "k", &to_master, &master),
			 REDIS_REDIRECT_MOVED);
	assert_int_equal(port_of(t, master), 7005);
	redis_topology_answered(t, "k", master); /* a route of its own: not the default */
	assert_int_equal(redis_topology_node_for(t, "k"), master);
	assert_int_equal(redis_topology_serving(t, "other"), -1);
	redis_topology_lost(t, master); /* killed: back to the seed, which names its replica */
	assert_int_equal(redis_topology_serving(t, "k"), -1);
	assert_int_equal(redis_topology_node_for(t, "k"), seed);
	assert_int_equal(redis_topology_redirect(t, "k", &to_promoted, &promoted),
			 REDIS_REDIRECT_MOVED);
	assert_int_equal(redis_topology_node_for(t, "k"), promoted);
	assert_int_equal(port_of(t, promoted), 7004);
	redis_topology_lost(t, seed); /* the seed itself gone: a node met stands in */
	assert_int_equal(redis_topology_node_for(t, "other"), promoted);
	redis_topology_lost(t, promoted); /* every node failed: all are tried again */
	assert_int_not_equal(redis_topology_node_for(t, "other"), -1);
	redis_topology_free(t);
}

static void test_topology_redirections(void **state)
{
	struct redis_topology *t = topology("127.0.0.1:7000");
	char ask[] = "ASK 3999 127.0.0.1:7002", moved[] = "MOVED 3999 ::1:7003",
	     wrongtype[] = "WRONGTYPE Operation against a key", bad[] = "MOVED 3999 nowhere";
	redisReply asked = error_reply(ask), move = error_reply(moved);
	redisReply other = error_reply(wrongtype), malformed = error_reply(bad),
		   status = { .type = REDIS_REPLY_STATUS, .str = moved };
	int seed = redis_topology_node_for(t, NULL), node = -1;
	(void)state;
	assert_int_equal(redis_topology_redirect(t, "k", &asked, &node), REDIS_REDIRECT_ASK);
	assert_int_equal(port_of(t, node), 7002);
	assert_int_equal(redis_topology_node_for(t, "k"), seed); /* ASK: once, not remembered */
	assert_int_equal(redis_topology_redirect(t, "k", &move, &node), REDIS_REDIRECT_MOVED);
	assert_string_equal(redis_topology_host(t, node)->host, "::1");
	assert_int_equal(redis_topology_node_for(t, "k"), node);
	assert_int_equal(redis_topology_serving(t, "j"), -1); /* only k moved */
	assert_int_equal(redis_topology_redirect(t, "k", &other, &node), REDIS_REDIRECT_NONE);
	assert_int_equal(redis_topology_redirect(t, "k", &malformed, &node), REDIS_REDIRECT_NONE);
	assert_int_equal(redis_topology_redirect(t, "k", &status, &node), REDIS_REDIRECT_NONE);
	assert_int_equal(redis_topology_redirect(t, "k", NULL, &node), REDIS_REDIRECT_NONE);
	redis_topology_free(t);
}

static redisReply string_reply(char *text)
{
	return (redisReply){ .type = REDIS_REPLY_STRING, .str = text, .len = strlen(text) };
}

/* One seed that names its cluster (CLUSTER SLOTS) and then dies: the nodes
 * it named stand in for it, each in turn, the failed ones last. */
static void test_topology_nodes_met(void **state)
{
	struct redis_topology *t = topology("127.0.0.1:7000");
	char host[] = "127.0.0.1", unknown[] = "?", err[] = "ERR cluster support disabled";
	redisReply h = string_reply(host), q = string_reply(unknown);
	redisReply p[] = { { .type = REDIS_REPLY_INTEGER, .integer = 7000 },
			   { .type = REDIS_REPLY_INTEGER, .integer = 7001 },
			   { .type = REDIS_REPLY_INTEGER, .integer = 7002 } };
	redisReply *n0[] = { &h, &p[0] }, *n1[] = { &h, &p[1] }, *n2[] = { &h, &p[2] },
		   *nq[] = { &q, &p[2] };
	redisReply e0 = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = n0 },
		   e1 = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = n1 },
		   e2 = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = n2 },
		   eq = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = nq };
	redisReply *r1[] = { &p[0], &p[0], &e0, &e1 }, *r2[] = { &p[1], &p[1], &e2, &eq };
	redisReply range1 = { .type = REDIS_REPLY_ARRAY, .elements = 4, .element = r1 },
		   range2 = { .type = REDIS_REPLY_ARRAY, .elements = 4, .element = r2 };
	redisReply *ranges[] = { &range1, &range2 };
	redisReply slots = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = ranges },
		   refused = error_reply(err);
	struct hostport hp[8];
	(void)state;
	assert_int_equal(redis_reply_cluster_nodes(&slots, hp, 8), 3); /* "?" left out */
	assert_int_equal(hp[2].port, 7002);
	assert_int_equal(redis_reply_cluster_nodes(&slots, hp, 2), 2);
	assert_int_equal(redis_reply_cluster_nodes(&refused, hp, 8), 0);
	int seed = redis_topology_node_for(t, "k");
	assert_int_equal(redis_topology_met(t, &refused), 0);
	assert_int_equal(redis_topology_met(t, &slots), 2); /* the seed was known */
	redis_topology_answered(t, "k", seed);
	redis_topology_lost(t, seed); /* killed */
	int next = redis_topology_node_for(t, "k");
	assert_int_equal(port_of(t, next), 7001);
	redis_topology_lost(t, next);
	assert_int_equal(port_of(t, redis_topology_node_for(t, "k")), 7002);
	redis_topology_free(t);
	t = topology("sentinel:alerts@127.0.0.1:26379");
	assert_int_equal(redis_topology_met(t, &slots), 0); /* the Sentinels name the master */
	redis_topology_free(t);
}

static void test_topology_full_table(void **state)
{
	struct redis_topology *t = topology("127.0.0.1:7000");
	char text[64];
	int node = -1, first = -1;
	(void)state;
	(void)redis_topology_node_for(t, NULL);
	for (int i = 1; i < REDIS_TOPOLOGY_MAX_NODES; i++) { /* the seed and 63 others: full */
		snprintf(text, sizeof text, "MOVED 1 127.0.0.1:%d", 8000 + i);
		redisReply moved = error_reply(text);
		assert_int_equal(redis_topology_redirect(t, "k", &moved, &node),
				 REDIS_REDIRECT_MOVED);
	}
	assert_int_equal(node, REDIS_TOPOLOGY_MAX_NODES - 1);
	unsigned generation = redis_topology_generation(t, node);
	snprintf(text, sizeof text, "MOVED 1 127.0.0.1:9000");
	redisReply moved = error_reply(text);
	assert_int_equal(redis_topology_redirect(t, "j", &moved, &first), REDIS_REDIRECT_MOVED);
	assert_int_equal(first, node); /* the last slot given to another host */
	assert_int_not_equal(redis_topology_generation(t, node), generation);
	assert_int_equal(port_of(t, first), 9000);
	assert_int_equal(redis_topology_serving(t, "k"), -1); /* k's route went with the host */
	redis_topology_free(t);
}

static void test_topology_sentinels(void **state)
{
	struct redis_topology *t = topology("sentinel:alerts@127.0.0.1:26379,127.0.0.1:26380");
	redisReply host = { .type = REDIS_REPLY_STRING, .str = "127.0.0.1" },
		   port = { .type = REDIS_REPLY_STRING, .str = "6380" };
	redisReply *two[] = { &host, &port };
	redisReply master = { .type = REDIS_REPLY_ARRAY, .elements = 2, .element = two },
		   nil = { .type = REDIS_REPLY_NIL };
	const char *argv[3];
	(void)state;
	int sentinel = redis_topology_node_for(t, "k");
	assert_true(redis_topology_is_sentinel(t, sentinel));
	assert_int_equal(port_of(t, sentinel), 26379);
	assert_int_equal(redis_topology_sentinel_argv(t, argv), 3);
	assert_string_equal(argv[1], "get-master-addr-by-name");
	assert_string_equal(argv[2], "alerts");
	assert_string_equal(redis_topology_master_name(t), "alerts");
	assert_int_equal(redis_topology_sentinel_answer(t, &nil), -1);
	int m = redis_topology_sentinel_answer(t, &master);
	assert_false(redis_topology_is_sentinel(t, m));
	assert_int_equal(port_of(t, m), 6380);
	assert_int_equal(redis_topology_node_for(t, "k"), m);
	redis_topology_lost(t, m); /* failed over: the next Sentinel is asked */
	int next = redis_topology_node_for(t, "k");
	assert_true(redis_topology_is_sentinel(t, next));
	assert_int_equal(port_of(t, next), 26380);
	redis_topology_free(t);
}

/* Keys in a stream's slot, checked against the cluster's rule by hand:
 * only a non-empty first {...} is hashed. */
static void test_slot_sibling(void **state)
{
	char buf[64];
	(void)state;
	assert_int_equal(redis_topology_slot_sibling("flowsad:alerts", ":sent", buf, sizeof buf),
			 0);
	assert_string_equal(buf, "{flowsad:alerts}:sent");
	assert_int_equal(redis_topology_slot_sibling("a{site1}b", ":sent", buf, sizeof buf), 0);
	assert_string_equal(buf, "a{site1}b:sent");
	assert_int_equal(redis_topology_slot_sibling("a{b", ":x", buf, sizeof buf), -EINVAL);
	assert_int_equal(redis_topology_slot_sibling("a}b", ":x", buf, sizeof buf), -EINVAL);
	assert_int_equal(redis_topology_slot_sibling("{}a", ":x", buf, sizeof buf), -EINVAL);
	assert_int_equal(redis_topology_slot_sibling("flowsad:alerts", ":sent", buf, 21),
			 -ENAMETOOLONG);
	assert_int_equal(redis_topology_slot_sibling("flowsad:alerts", ":sent", buf, 22), 0);
}

static void test_topology_auth_and_wait(void **state)
{
	char err[REDIS_ADDRESS_ERR], dir[] = "/tmp/flowsad-test-redis-XXXXXX", path[64], ms[12];
	const char *argv[3];
	redisReply info = { .type = REDIS_REPLY_STRING,
			    .str = "# Replication\r\nrole:master\r\nconnected_slaves:1\r\n"
				   "slave0:ip=10.0.0.2,port=6379,state=online,offset=9,lag=1\r\n" },
		   hangs = { .type = REDIS_REPLY_STRING,
			     .str = "connected_slaves:1\r\n"
				    "slave0:ip=10.0.0.2,port=6379,state=online,lag=7\r\n" },
		   alone = { .type = REDIS_REPLY_STRING, .str = "connected_slaves:0\r\n" },
		   refused = { .type = REDIS_REPLY_ERROR, .str = "NOPERM no INFO for you" },
		   one = { .type = REDIS_REPLY_INTEGER, .integer = 1 },
		   none = { .type = REDIS_REPLY_INTEGER, .integer = 0 };
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/pw", dir);
	struct redis_topology *t = topology("127.0.0.1:7000");
	assert_int_equal(redis_topology_auth_argv(t, argv), 0);
	redis_topology_free(t);
	write_file(path, "s3cret\n");
	t = redis_topology_new("127.0.0.1:7000", path, err, sizeof err);
	assert_int_equal(redis_topology_auth_argv(t, argv), 2);
	assert_string_equal(argv[1], "s3cret");
	redis_topology_free(t);
	write_file(path, "flowsad s3cret\n");
	t = redis_topology_new("127.0.0.1:7000", path, err, sizeof err);
	assert_int_equal(redis_topology_auth_argv(t, argv), 3);
	assert_string_equal(argv[1], "flowsad");
	assert_string_equal(argv[2], "s3cret");
	redis_topology_free(t);
	unlink(path);
	assert_null(redis_topology_new("127.0.0.1:7000", path, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_null(redis_topology_new("127.0.0.1:1,,127.0.0.1:2", NULL, err, sizeof err));
	assert_memory_equal(err, "address ", 8);
	rmdir(dir);

	assert_true(redis_topology_wait_needed(&info));
	assert_false(redis_topology_wait_needed(&alone));
	assert_false(redis_topology_wait_needed(&hangs));
	assert_false(redis_topology_wait_needed(&refused));
	assert_false(redis_topology_wait_needed(NULL));
	assert_int_equal(redis_topology_wait_argv(250, ms, argv), 3);
	assert_string_equal(argv[0], "WAIT");
	assert_string_equal(argv[1], "1");
	assert_string_equal(argv[2], "250");
	assert_int_equal(redis_topology_wait_answer(&one), 1);
	assert_int_equal(redis_topology_wait_answer(&none), 0);
	assert_int_equal(redis_topology_wait_answer(&refused), -1);
	assert_int_equal(redis_topology_wait_answer(NULL), -1);

	/* per connection: asked before the first write, again after a WAIT no
	 * replica acknowledged, and now and then while none is waited for */
	struct redis_replicas w;
	redis_topology_replicas_reset(&w);
	assert_true(redis_topology_replicas_due(&w, 100));
	redis_topology_replicas_heard(&w, &info, 100);
	assert_int_equal(w.wait, 1);
	assert_false(redis_topology_replicas_due(&w, 1000)); /* waiting: WAIT says when not */
	assert_int_equal(redis_topology_replicas_waited(&w, &one), 1);
	assert_false(redis_topology_replicas_due(&w, 1000));
	assert_int_equal(redis_topology_replicas_waited(&w, &none), 0);
	assert_true(redis_topology_replicas_due(&w, 1000));
	redis_topology_replicas_heard(&w, &hangs, 1000);
	assert_int_equal(w.wait, 0);
	assert_false(redis_topology_replicas_due(&w, 1000 + REDIS_TOPOLOGY_REPLICAS_RECHECK - 1));
	assert_true(redis_topology_replicas_due(&w, 1000 + REDIS_TOPOLOGY_REPLICAS_RECHECK));
	assert_int_equal(redis_topology_replicas_waited(&w, NULL), -1); /* no answer: as it was */
	assert_int_equal(w.wait, 0);
	redis_topology_replicas_heard(&w, NULL, 2000);
	assert_int_equal(w.wait, 0);
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

/* A node that answers every command with MOVED to the real server
 * to_port (changed while it runs: a failover). */
struct scripted {
	int fd;
	atomic_int to_port, answered;
};

static void *scripted_node(void *arg)
{
	struct scripted *n = arg;
	int c = accept(n->fd, NULL, NULL);
	char buf[4096], moved[64];
	ssize_t got;
	while (c >= 0 && (got = read(c, buf, sizeof buf)) > 0) {
		/* one answer a command: "*N" at a line's start */
		for (ssize_t i = 0; i < got; i++)
			if (buf[i] == '*' && (i == 0 || buf[i - 1] == '\n')) {
				snprintf(moved, sizeof moved, "-MOVED 1234 127.0.0.1:%d\r\n",
					 atomic_load(&n->to_port));
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
	assert_int_equal(atomic_load(&node.answered), 2); /* CLUSTER SLOTS, then SET */
	assert_true(redis_sync_stats(r)->redirects >= 1);
	assert_true(redis_sync_stats(r)->failures >= 1);
	assert_int_equal(redis_sync_replicated(r, "k", 100), 1); /* no replicas: at once */
	redis_sync_free(r);
	shutdown(node.fd, SHUT_RDWR);
	close(node.fd);
	pthread_join(t, NULL);
}

/* A stop's deadline cuts a command to a node that never answers (as a
 * SIGSTOPped one: the kernel accepts, nobody reads) short of the timeout,
 * and no command begins after it. */
static void test_stop_by(void **state)
{
	int fd, port = free_port(1, &fd);
	char address[64];
	(void)state;
	assert_true(port > 0);
	snprintf(address, sizeof address, "127.0.0.1:%d", port);
	struct redis_sync *r = redis_sync_new(address, NULL, 5000, "test");
	assert_non_null(r);
	assert_true(redis_sync_answering(r));
	double t0 = duration_monotonic();
	redis_sync_stop_by(r, t0 + 0.3);
	assert_null(redis_sync_format(r, "k", "GET %s", "k"));
	double took = duration_monotonic() - t0;
	assert_true(took >= 0.25 && took < 2.0);
	assert_false(redis_sync_answering(r));
	t0 = duration_monotonic();
	assert_null(redis_sync_format(r, "k", "GET %s", "k"));
	assert_true(duration_monotonic() - t0 < 0.1);
	redis_sync_free(r);
	close(fd);
}

/* One seed, the key's master killed and a replica promoted elsewhere: the
 * client goes back to its only seed, which names the new master. */
static void test_lost_master_back_to_one_seed(void **state)
{
	struct server *s = *state, promoted;
	if (!s->port)
		skip();
	struct scripted node = { .to_port = s->port };
	int seed_port = free_port(1, &node.fd);
	pthread_t t;
	char address[64];
	signal(SIGPIPE, SIG_IGN); /* a write to the killed master must fail, not kill the test */
	assert_true(seed_port > 0);
	assert_int_equal(start_server(&promoted), 0);
	assert_int_equal(pthread_create(&t, NULL, scripted_node, &node), 0);
	snprintf(address, sizeof address, "127.0.0.1:%d", seed_port);
	struct redis_sync *r = redis_sync_new(address, NULL, 2000, "test");
	redisReply *a = redis_sync_format(r, "k", "SET %s %s", "k", "before");
	assert_non_null(a);
	freeReplyObject(a);
	stop_server(s); /* the master killed; the seed names its replacement */
	s->port = 0;
	atomic_store(&node.to_port, promoted.port);
	a = redis_sync_format(r, "k", "SET %s %s", "k", "after");
	assert_non_null(a);
	assert_int_equal(a->type, REDIS_REPLY_STATUS);
	freeReplyObject(a);
	assert_int_equal(atomic_load(&node.answered), 3); /* CLUSTER SLOTS, SET, SET */
	assert_int_equal(redis_sync_stats(r)->failures, 1);
	redis_sync_free(r);
	redisContext *c = redisConnect("127.0.0.1", promoted.port);
	a = redisCommand(c, "GET k");
	assert_string_equal(a->str, "after");
	freeReplyObject(a);
	redisFree(c);
	stop_server(&promoted);
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
		cmocka_unit_test(test_slot_sibling),
		cmocka_unit_test(test_topology_seeds_in_turn),
		cmocka_unit_test(test_topology_back_to_one_seed),
		cmocka_unit_test(test_topology_redirections),
		cmocka_unit_test(test_topology_nodes_met),
		cmocka_unit_test(test_topology_full_table),
		cmocka_unit_test(test_topology_sentinels),
		cmocka_unit_test(test_topology_auth_and_wait),
		cmocka_unit_test_setup_teardown(test_moved_and_dead_seed, setup, teardown),
		cmocka_unit_test(test_stop_by),
		cmocka_unit_test_setup_teardown(test_lost_master_back_to_one_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
