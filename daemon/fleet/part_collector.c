/* A scorer's windows from the sensors' partitions (part_collector.h). */
#include "fleet/part_collector.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/atomic_file.h"
#include "base/duration.h"
#include "base/grow.h"
#include "base/isotime.h"
#include "features/merge.h"
#include "features/part_wire.h"
#include "common/log.h"
#include "common/queue.h"
#include "redis/redis_sync.h"
#include "redis/redis_topology.h"

#define GROUP		 "flowsad-scorers"
#define LEASE_MS	 6000 /* the fleet's lease is its holder's this long after a renewal */
#define READ_COUNT	 64   /* entries read at once */
#define READY_MAX	 4    /* merged windows waiting for the loop at most */
#define MAX_SENSORS	 256
#define NAME_MAX_LEN	 128
#define ID_LEN		 48
#define ALERTS_LOOKED_AT 2000 /* newest alerts searched for a replayed window's */

struct sensor {
	char name[NAME_MAX_LEN];
	int done, silent; /* silent: said to have gone quiet */
	int64_t closed_before;
	long long beat_ms;
};

struct part {
	uint32_t k;
	char id[ID_LEN];
	char sensor[NAME_MAX_LEN];
	struct sample_set set;
};

struct waiting {
	int64_t start;
	int replayed; /* a part was claimed: read by a scorer before */
	double first; /* when its first part came (monotonic) */
	struct part *p;
	size_t n, cap;
};

struct ack {
	uint64_t seq;  /* of the window handed (0: at once) */
	int64_t start; /* the window's */
	uint32_t k;
	char id[ID_LEN];
};

/* A model to publish, on its way from the loop to the thread (asks). */
struct model_ask {
	struct queue_link link;
	char path[];
};

/* A merged window on its way to the loop (through ready, the queue), or
 * the memory of a partition's sources, ahead of its windows. */
struct ready {
	struct queue_link link;
	int64_t start;
	struct sample_set set;
	struct alerted *done;
	struct memory_batch *memory; /* non-NULL: this, not a window */
};

struct part_collector {
	struct part_collector_config c;
	char *prefix, *name;
	struct ev_loop *loop;
	ev_async ready_w;
	struct queue *ready; /* merged windows to the loop: READY_MAX at most */
	struct queue *asks;  /* models to publish, to the thread; closed: it stops */
	struct queue *kept;  /* sources' memory to keep, to the thread */
	collected_fn fn;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	uint64_t delivered; /* the first windows handed that are scored and delivered */
	struct part_collector_stats st;
	/* the thread's */
	struct redis_sync *redis;
	uint8_t *owned;	 /* [n_parts] */
	int n_owned;	 /* of them held: every one (the fleet's lease holder's), or none */
	int standing_by; /* another scorer holds the fleet's lease */
	struct sensor sensor[MAX_SENSORS];
	int n_sensors;
	struct waiting *w; /* by start */
	size_t n_w, cap_w;
	struct ack *acks;
	size_t n_acks, cap_acks;
	int64_t handed;	   /* the newest window handed: parts of it or older come late */
	uint64_t n_handed; /* windows handed in all */
	/* shared by the score thread, until their window's delivery */
	struct memory_batch **held;
	size_t n_held, cap_held;
	int64_t committed, folded; /* the window of the last commit, and up to which it is folded */
	int said_length;
	int paused;		 /* the thread has ended (part_collector_pause) */
	struct model_ask *model; /* the newest model asked for, not yet published */
};

static void key_of(const struct part_collector *p, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", p->prefix, what);
}

static void stream_of(const struct part_collector *p, uint32_t k, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u", p->prefix, k);
}

static int stopping(struct part_collector *p)
{
	return queue_closed(p->asks);
}

/* --- who is there: sensors, scorers, partitions --------------------------------------------- */

/* A hash's field-value pairs, or NULL (then nothing is changed). */
static redisReply *hash_lines(struct part_collector *p, const char *what)
{
	char key[512];
	key_of(p, what, key, sizeof key);
	redisReply *a = redis_sync_format(p->redis, key, "HGETALL %s", key);
	if (a && a->type == REDIS_REPLY_ARRAY)
		return a;
	freeReplyObject(a);
	return NULL;
}

/* The value of field name in a reply of field-value pairs, or NULL. */
static const redisReply *field(const redisReply *fields, const char *name)
{
	for (size_t i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->str && strcmp(fields->element[i]->str, name) == 0)
			return fields->element[i + 1];
	return NULL;
}

static struct sensor *sensor_named(struct part_collector *p, const char *name)
{
	for (int i = 0; i < p->n_sensors; i++)
		if (strcmp(p->sensor[i].name, name) == 0)
			return &p->sensor[i];
	if (p->n_sensors == MAX_SENSORS || strlen(name) >= NAME_MAX_LEN)
		return NULL;
	struct sensor *s = &p->sensor[p->n_sensors++];
	*s = (struct sensor){ .closed_before = INT64_MIN };
	snprintf(s->name, sizeof s->name, "%s", name);
	return s;
}

/* The sensors [role] sensors names, waited for from the start as if each
 * had spoken then: until it speaks, or for the deadline. Without them a
 * window is merged once the sensors already heard have sent it, and a
 * sensor that started after another's parts of a window came (a replay
 * read in a moment, a sensor slow to reach Redis) was left out of it: the
 * merge then depended on which process was faster. */
static void expect_sensors(struct part_collector *p, const char *names)
{
	long long now = duration_wall_ms();
	for (const char *s = names; s && *s;) {
		size_t n = strcspn(s, ", \t");
		char name[NAME_MAX_LEN];
		struct sensor *x = NULL;
		if (n > 0 && n < sizeof name) {
			memcpy(name, s, n);
			name[n] = '\0';
			x = sensor_named(p, name);
		}
		if (x)
			x->beat_ms = now;
		else if (n > 0)
			log_warn("scorer: [role] sensors: '%.*s' is not waited for (at most %d "
				 "sensors of at most %d characters)",
				 (int)n, s, MAX_SENSORS, NAME_MAX_LEN - 1);
		s += n;
		s += strspn(s, ", \t");
	}
}

/* The sensors' lines: "live|done CLOSED_BEFORE MS". */
static void refresh_sensors(struct part_collector *p)
{
	redisReply *a = hash_lines(p, "sensors");
	for (size_t i = 0; a && i + 1 < a->elements; i += 2) {
		char state[8];
		long long before, ms;
		struct sensor *s = sensor_named(p, a->element[i]->str ? a->element[i]->str : "");
		if (!s || !a->element[i + 1]->str ||
		    sscanf(a->element[i + 1]->str, "%7s %lld %lld", state, &before, &ms) != 3)
			continue;
		s->done = strcmp(state, "done") == 0;
		s->closed_before = before;
		if (ms > s->beat_ms)
			s->beat_ms = ms;
	}
	freeReplyObject(a);
}

/* Whether a sensor has said nothing for the deadline (a live one only). */
static int silent(const struct part_collector *p, const struct sensor *s, long long now_ms)
{
	return !s->done && now_ms - s->beat_ms > (long long)p->c.deadline_seconds * 1000;
}

/* This scorer's line in PREFIX:scorers renewed; the live scorers counted
 * (0: Redis did not say). */
static int count_scorers(struct part_collector *p)
{
	char key[512], ms[24];
	key_of(p, "scorers", key, sizeof key);
	long long now = duration_wall_ms();
	snprintf(ms, sizeof ms, "%lld", now);
	freeReplyObject(redis_sync_format(p->redis, key, "HSET %s %s %s", key, p->name, ms));
	redisReply *a = hash_lines(p, "scorers");
	int n = 0;
	for (size_t i = 0; a && i + 1 < a->elements; i += 2)
		n += a->element[i]->str && a->element[i + 1]->str &&
		     now - atoll(a->element[i + 1]->str) < LEASE_MS;
	freeReplyObject(a);
	return n;
}

static int take_entry(struct part_collector *p, uint32_t k, const redisReply *e, int claimed);

/* The entries of partition k that other scorers read and never
 * acknowledged (a dead one's, or this one's before a restart). */
static void claim_pending(struct part_collector *p, uint32_t k)
{
	char key[512], cursor[ID_LEN] = "0-0";
	stream_of(p, k, key, sizeof key);
	uint64_t claimed = 0, committed = 0;
	for (int rounds = 0; rounds < 10000; rounds++) {
		redisReply *a = redis_sync_format(p->redis, key,
						  "XAUTOCLAIM %s " GROUP " %s 0 %s COUNT 100", key,
						  p->name, cursor);
		if (!a || a->type != REDIS_REPLY_ARRAY || a->elements < 2 ||
		    a->element[0]->type != REDIS_REPLY_STRING ||
		    a->element[1]->type != REDIS_REPLY_ARRAY) {
			if (a && a->type == REDIS_REPLY_ERROR)
				log_warn("scorer: %s: XAUTOCLAIM: %s", key, a->str);
			freeReplyObject(a);
			break;
		}
		for (size_t i = 0; i < a->element[1]->elements; i++)
			committed += (uint64_t)take_entry(p, k, a->element[1]->element[i], 1);
		claimed += a->element[1]->elements;
		snprintf(cursor, sizeof cursor, "%s", a->element[0]->str);
		freeReplyObject(a);
		if (strcmp(cursor, "0-0") == 0)
			break;
	}
	pthread_mutex_lock(&p->lock);
	p->st.claimed += claimed;
	pthread_mutex_unlock(&p->lock);
	if (claimed)
		log_info("scorer: partition %u: %" PRIu64 " entries claimed that were read and "
			 "never acknowledged",
			 k, claimed);
	if (committed)
		log_info("scorer: partition %u: %" PRIu64 " of them of windows scored and kept "
			 "before: acknowledged unscored",
			 k, committed);
}

/* Who holds the lease at key, into holder[NAME_MAX_LEN]: 1 (a scorer,
 * this one or another), 0 (none: it expired, or a failover lost it), -1
 * (Redis did not say). */
static int lease_holder(struct part_collector *p, const char *key, char *holder)
{
	redisReply *a = redis_sync_format(p->redis, key, "GET %s", key);
	int held = !a || a->type == REDIS_REPLY_ERROR ? -1 : a->type == REDIS_REPLY_STRING;
	snprintf(holder, NAME_MAX_LEN, "%s", held == 1 ? a->str : "");
	freeReplyObject(a);
	return held;
}

/* The lease at key, new (SET NX): whether this scorer has it now. */
static int new_lease(struct part_collector *p, const char *key)
{
	redisReply *a =
		redis_sync_format(p->redis, key, "SET %s %s NX PX %d", key, p->name, LEASE_MS);
	int held = a && a->type == REDIS_REPLY_STATUS;
	freeReplyObject(a);
	return held;
}

/* The fleet's lease (PREFIX:lease), renewed when it is this scorer's, taken
 * when it is free: 1 (this scorer's), 0 (another's, named in
 * holder[NAME_MAX_LEN]), -1 (Redis did not say). */
static int hold_lease(struct part_collector *p, char *holder)
{
	char key[512];
	key_of(p, "lease", key, sizeof key);
	int held = lease_holder(p, key, holder);
	if (held == 0 && new_lease(p, key)) {
		if (p->n_owned)
			log_info("scorer: the fleet's lease had gone (a failover?); taken again");
		return 1;
	}
	if (held == 0)
		held = lease_holder(p, key, holder); /* another took it meanwhile */
	if (held != 1)
		return -1;
	if (strcmp(holder, p->name) != 0)
		return 0;
	freeReplyObject(redis_sync_format(p->redis, key, "PEXPIRE %s %d", key, LEASE_MS));
	return 1;
}

/* --- the sources' memory and the scorer's state --------------------------------------------------
 * What a scorer learnt by a window is committed in three steps once the window's alerts are
 * delivered, so that a scorer killed at any point leaves the memory either as it was before the
 * window (which the next scorer then scores again, whole, over it: the same alerts) or after it
 * (the next scorer acknowledges the window's entries unscored):
 * 1. the records of the window's sources to each partition's staged hash (a field a source, and
 *    "window", the window; "full" when they are every source), in the slot of PREFIX:memory:K;
 * 2. the commit: the window and the scorer's state (scorer_state_encode: its calibration, its
 *    open incidents) to PREFIX:memory in one HSET;
 * 3. each staged hash folded into PREFIX:memory:K (emptied first when "full") by a script, then
 *    the window's entries acknowledged.
 * A scorer that takes the partitions folds what was staged up to the commit's window, drops
 * what was staged after it, and reads the memory. */

#define MEMORY_PAIRS 256 /* field-value pairs an HSET at most */

/* Folds a staged hash (KEYS[2]) of a window up to ARGV[1] into the memory (KEYS[1]); one
 * staged after it is dropped. Fields of 16 bytes are sources' addresses. */
static const char FOLD_SCRIPT[] =
	"local w = tonumber(redis.call('HGET', KEYS[2], 'window')) "
	"if w and w <= tonumber(ARGV[1]) then "
	"if redis.call('HEXISTS', KEYS[2], 'full') == 1 then redis.call('DEL', KEYS[1]) end "
	"local f = redis.call('HGETALL', KEYS[2]) "
	"for i = 1, #f, 2 do "
	"if #f[i] == 16 then redis.call('HSET', KEYS[1], f[i], f[i + 1]) end end end "
	"redis.call('DEL', KEYS[2]) "
	"return 1";

static void memory_of(const struct part_collector *p, uint32_t k, char *buf, size_t len)
{
	snprintf(buf, len, "%s:memory:%u", p->prefix, k);
}

/* The key of partition k's staged records (in the slot of its memory).
 * Returns 0, or -1 when the prefix's braces give no such key (said). */
static int staged_of(const struct part_collector *p, uint32_t k, char *buf, size_t len)
{
	char memory[512];
	memory_of(p, k, memory, sizeof memory);
	if (redis_topology_slot_sibling(memory, ":staged", buf, len) == 0)
		return 0;
	log_err("scorer: %s: no key shares its slot ([role] prefix: braces that are no hash "
		"tag?): the sources' memory is not kept",
		memory);
	return -1;
}

/* Step 1 for partition k: the records of b whose source is in k (part[i]:
 * record i's) staged for the commit of window (after a DEL of what was
 * staged, marked full, when b holds every source), in HSETs of at most
 * MEMORY_PAIRS. Returns 0, or -1 when Redis did not take them. */
static int stage_partition(struct part_collector *p, uint32_t k, const struct memory_batch *b,
			   const uint32_t *part, int64_t window)
{
	enum { ARGS = 6 + 2 * MEMORY_PAIRS };
	const char *argv[ARGS];
	size_t len[ARGS];
	ip_addr src[ARGS / 2];
	char key[512], when[24];
	int rc = staged_of(p, k, key, sizeof key);
	if (rc == 0 && b->full) {
		redisReply *r = redis_sync_format(p->redis, key, "DEL %s", key);
		rc = r && r->type != REDIS_REPLY_ERROR ? 0 : -1;
		freeReplyObject(r);
	}
	snprintf(when, sizeof when, "%lld", (long long)window);
	argv[0] = "HSET", len[0] = 4, argv[1] = key, len[1] = strlen(key);
	argv[2] = "window", len[2] = 6, argv[3] = when, len[3] = strlen(when);
	argv[4] = "full", len[4] = 4, argv[5] = "1", len[5] = 1;
	int argc = b->full ? 6 : 4; /* the first HSET marks the window */
	for (size_t i = 0; rc == 0; argc = 2) {
		for (; i < b->n && argc < ARGS; i++) {
			if (part[i] != k)
				continue;
			const uint8_t *rec = b->rec + i * b->size;
			ip_addr *a = &src[argc / 2];
			baseline_record_source(rec, a);
			argv[argc] = (const char *)a->b, len[argc++] = sizeof a->b;
			argv[argc] = (const char *)rec, len[argc++] = b->size;
		}
		if (argc == 2)
			break;
		redisReply *r = redis_sync_command(p->redis, key, argc, argv, len);
		rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
		freeReplyObject(r);
	}
	return rc;
}

/* Step 1: the memory of the batches held up to window, staged for every
 * partition held. Returns 0, or -1 when Redis did not take it. */
static int stage_held(struct part_collector *p, int64_t window)
{
	int failed = 0;
	for (size_t j = 0; j < p->n_held && !failed && p->held[j]->window <= window; j++) {
		const struct memory_batch *b = p->held[j];
		uint32_t *part = malloc((b->n + 1) * sizeof *part);
		failed = !part;
		for (size_t i = 0; part && i < b->n; i++) {
			ip_addr src;
			baseline_record_source(b->rec + i * b->size, &src);
			part[i] = part_wire_partition(&src, p->c.n_parts);
		}
		for (uint32_t k = 0; k < p->c.n_parts && !failed; k++)
			failed = p->owned[k] && stage_partition(p, k, b, part, window) < 0;
		free(part);
	}
	return failed ? -1 : 0;
}

/* Step 2: window and the newest state held up to it, to PREFIX:memory.
 * Returns 0, or -1 when Redis did not take them. */
static int write_commit(struct part_collector *p, int64_t window)
{
	const struct memory_batch *last = NULL;
	for (size_t j = 0; j < p->n_held && p->held[j]->window <= window; j++)
		if (p->held[j]->state)
			last = p->held[j];
	char key[512];
	key_of(p, "memory", key, sizeof key);
	redisReply *r = last ? redis_sync_format(p->redis, key, "HSET %s window %lld state %b", key,
						 (long long)window, last->state, last->state_len)
			     : redis_sync_format(p->redis, key, "HSET %s window %lld", key,
						 (long long)window);
	int rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
	freeReplyObject(r);
	return rc;
}

/* Step 3 for partition k: what was staged up to window folded into its
 * memory, what was staged after it dropped. Returns 0, or -1. */
static int fold_partition(struct part_collector *p, uint32_t k, int64_t window)
{
	char memory[512], staged[512], when[24];
	memory_of(p, k, memory, sizeof memory);
	if (staged_of(p, k, staged, sizeof staged) < 0)
		return -1;
	snprintf(when, sizeof when, "%lld", (long long)window);
	redisReply *r = redis_sync_format(p->redis, memory, "EVAL %s 2 %s %s %s", FOLD_SCRIPT,
					  memory, staged, when);
	int rc = r && r->type == REDIS_REPLY_INTEGER ? 0 : -1;
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warn("scorer: %s: the staged memory is not folded in: %s", memory, r->str);
	freeReplyObject(r);
	return rc;
}

/* Step 3 for every partition held, up to the commit's window. */
static int fold_held(struct part_collector *p)
{
	for (uint32_t k = 0; k < p->c.n_parts; k++)
		if (p->owned[k] && fold_partition(p, k, p->committed) < 0)
			return -1;
	return 0;
}

/* Forgets the batches held up to window (all of them when window is INT64_MAX). */
static void forget_held(struct part_collector *p, int64_t window)
{
	size_t j = 0;
	for (; j < p->n_held && p->held[j]->window <= window; j++)
		free(p->held[j]);
	if (j) /* (held is NULL before the first batch) */
		memmove(p->held, p->held + j, (p->n_held - j) * sizeof *p->held);
	p->n_held -= j;
}

/* The batches the score thread shared since the last look, held until their window is
 * delivered. */
static void hold_shared(struct part_collector *p)
{
	struct queue_link *l;
	while ((l = queue_try_pop(p->kept))) {
		struct memory_batch *b = queue_item(l, struct memory_batch, link);
		if (grow_for_one(&p->held, &p->cap_held, p->n_held, sizeof *p->held, 16) == 0) {
			p->held[p->n_held++] = b;
			continue;
		}
		log_err("scorer: out of memory: the memory of window %lld is not kept",
			(long long)b->window);
		free(b);
	}
}

/* The newest window whose alerts are delivered (INT64_MIN: none since the
 * last acknowledgement). */
static int64_t newest_delivered(struct part_collector *p)
{
	pthread_mutex_lock(&p->lock);
	uint64_t delivered = p->delivered;
	pthread_mutex_unlock(&p->lock);
	int64_t newest = INT64_MIN;
	for (size_t i = 0; i < p->n_acks; i++)
		if (p->acks[i].seq && p->acks[i].seq <= delivered && p->acks[i].start > newest)
			newest = p->acks[i].start;
	return newest;
}

/* Whether the fleet's lease is still this scorer's: 1, or 0 (another's,
 * none, or Redis did not say). */
static int still_holding(struct part_collector *p)
{
	char key[512], holder[NAME_MAX_LEN];
	key_of(p, "lease", key, sizeof key);
	return lease_holder(p, key, holder) == 1 && strcmp(holder, p->name) == 0;
}

/* The three steps for the windows delivered up to window. */
static void commit_window(struct part_collector *p, int64_t window)
{
	if (stage_held(p, window) < 0 || write_commit(p, window) < 0) {
		pthread_mutex_lock(&p->lock);
		p->st.memory_lost++;
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->committed = window;
	forget_held(p, window);
	if (fold_held(p) == 0)
		p->folded = window;
}

static void acknowledge(struct part_collector *p);

/* The memory of the windows delivered committed (the three steps; a fold
 * that failed first), then their entries acknowledged; what Redis did not
 * take is tried again at the next look, and the entries wait for it. A
 * scorer that lost the lease (its holder's memory now) writes nothing. */
static void commit(struct part_collector *p)
{
	hold_shared(p);
	if (!p->n_owned)
		forget_held(p, INT64_MAX);
	int64_t window = newest_delivered(p);
	int due = p->folded < p->committed || window > p->committed;
	if (p->n_owned && due && still_holding(p)) {
		if (p->folded < p->committed && fold_held(p) == 0)
			p->folded = p->committed;
		if (p->folded == p->committed && window > p->committed)
			commit_window(p, window);
	}
	acknowledge(p);
}

void part_collector_keep_memory(struct part_collector *p, struct memory_batch *b)
{
	if (queue_push(p->kept, &b->link, 0) < 0) /* (never closed) */
		free(b);
}

/* b to the loop, ahead of the windows: 0, or -1 (freed). */
static int hand_memory(struct part_collector *p, struct memory_batch *b)
{
	struct ready *item = malloc(sizeof *item);
	if (item) {
		*item = (struct ready){ .memory = b };
		if (queue_push(p->ready, &item->link, 0) == 0) /* (closed: stopping) */
			return 0;
	}
	free(item);
	free(b);
	return -1;
}

/* The last commit: its window into *window (INT64_MIN: none), and its
 * state to the loop. Returns 0, or -1 when Redis did not say. */
static int take_commit(struct part_collector *p, int64_t *window)
{
	char key[512], when[ISOTIME_LEN];
	key_of(p, "memory", key, sizeof key);
	redisReply *a = redis_sync_format(p->redis, key, "HGETALL %s", key);
	const redisReply *w = a && a->type == REDIS_REPLY_ARRAY ? field(a, "window") : NULL,
			 *state = w ? field(a, "state") : NULL;
	*window = w && w->str ? atoll(w->str) : INT64_MIN;
	int rc = a && a->type == REDIS_REPLY_ARRAY ? 0 : -1;
	struct memory_batch *b =
		state && state->type == REDIS_REPLY_STRING ? memory_batch_new(0, state->len) : NULL;
	if (b) {
		memcpy(b->state, state->str, state->len);
		b->window = *window;
	}
	freeReplyObject(a);
	if (b && hand_memory(p, b) == 0)
		log_info("scorer: the calibration and open incidents after window %s taken over",
			 isotime_format(*window, when));
	return rc;
}

/* Partition k's sources' memory, to the loop ahead of its windows. */
static void take_memory(struct part_collector *p, uint32_t k)
{
	char key[512];
	memory_of(p, k, key, sizeof key);
	redisReply *r = redis_sync_format(p->redis, key, "HGETALL %s", key);
	size_t n = r && r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
	struct memory_batch *b = n ? memory_batch_new(n, 0) : NULL;
	if (n && !b)
		log_err("scorer: partition %u: out of memory to take its sources' memory", k);
	for (size_t i = 0; b && i < n; i++) {
		const redisReply *v = r->element[2 * i + 1];
		if (v->type == REDIS_REPLY_STRING && v->len == b->size)
			memcpy(b->rec + b->n++ * b->size, v->str, b->size);
	}
	freeReplyObject(r);
	size_t got = b ? b->n : 0;
	if (b && hand_memory(p, b) == 0)
		log_info("scorer: partition %u: the memory of %zu sources taken over", k, got);
}

/* Takes partition k: its group, and when the fleet's windows come to this
 * scorer now (fresh), its sources' memory up to the last commit's window;
 * then what is pending in it. Returns whether it is held now. */
static int take_partition(struct part_collector *p, uint32_t k, int fresh)
{
	char stream[512];
	stream_of(p, k, stream, sizeof stream);
	redisReply *a = redis_sync_format(p->redis, stream, "XGROUP CREATE %s " GROUP " 0 MKSTREAM",
					  stream);
	if (!a || (a->type == REDIS_REPLY_ERROR && strncmp(a->str, "BUSYGROUP", 9) != 0)) {
		log_warn("scorer: %s: cannot make its group: %s", stream, a ? a->str : "no answer");
		freeReplyObject(a);
		return 0;
	}
	freeReplyObject(a);
	if (fresh && fold_partition(p, k, p->committed) < 0)
		return 0;
	if (fresh)
		take_memory(p, k);
	p->owned[k] = 1;
	p->n_owned++;
	claim_pending(p, k);
	return 1;
}

static void release_partition(struct part_collector *p, uint32_t k);

/* Takes every partition not held: the fleet's windows are this scorer's
 * to score, whole. Taking over (none held), it goes on from the last
 * commit, and takes all of them or none (tried again at the next look):
 * a partition taken later would come without its sources' memory. */
static void take_all(struct part_collector *p)
{
	int fresh = !p->n_owned;
	int64_t window;
	if (fresh) { /* the windows after the commit are scored (again) from here */
		if (take_commit(p, &window) < 0)
			return;
		p->committed = p->folded = p->handed = window;
	}
	for (uint32_t k = 0; k < p->c.n_parts; k++)
		if (!p->owned[k] && take_partition(p, k, fresh))
			log_info("scorer: partition %u taken", k);
	if (!fresh || p->n_owned == (int)p->c.n_parts)
		return;
	log_warn("scorer: %d of %u partitions taken: they are given back, and all taken again "
		 "at the next look",
		 p->n_owned, p->c.n_parts);
	for (uint32_t k = 0; k < p->c.n_parts; k++)
		if (p->owned[k])
			release_partition(p, k);
}

/* Lets partition k go: its parts not merged yet, and those merged whose
 * memory is not committed, stay pending in the group for the scorer that
 * takes it (XAUTOCLAIM). */
static void release_partition(struct part_collector *p, uint32_t k)
{
	for (size_t i = 0; i < p->n_w; i++) {
		struct waiting *w = &p->w[i];
		size_t kept = 0;
		for (size_t j = 0; j < w->n; j++)
			if (w->p[j].k == k)
				sample_set_free(&w->p[j].set);
			else
				w->p[kept++] = w->p[j];
		w->n = kept;
	}
	size_t left = 0; /* windows of its parts alone wait no more */
	for (size_t i = 0; i < p->n_w; i++)
		if (p->w[i].n)
			p->w[left++] = p->w[i];
		else
			free(p->w[i].p);
	p->n_w = left;
	left = 0;
	for (size_t i = 0; i < p->n_acks; i++)
		if (p->acks[i].k != k)
			p->acks[left++] = p->acks[i];
	p->n_acks = left;
	p->owned[k] = 0;
	p->n_owned--;
}

/* Gives every partition held up: scorer holder holds the fleet's lease. */
static void give_all(struct part_collector *p, const char *holder)
{
	for (uint32_t k = 0; k < p->c.n_parts; k++)
		if (p->owned[k]) {
			log_info("scorer: partition %u goes to scorer %s, which holds the fleet's "
				 "lease",
				 k, holder);
			release_partition(p, k);
		}
}

/* One scorer scores the fleet's windows, whole: the holder of the fleet's
 * lease holds every partition; the others stand by to take them over. */
static void balance_partitions(struct part_collector *p)
{
	char holder[NAME_MAX_LEN];
	int n = count_scorers(p);
	int held = n ? hold_lease(p, holder) : -1; /* -1: Redis did not say: nothing changes */
	if (held == 1 && p->n_owned < (int)p->c.n_parts)
		take_all(p);
	else if (held == 0 && p->n_owned)
		give_all(p, holder);
	if (held == 0 && !p->standing_by)
		log_info("scorer: scorer %s scores the fleet's windows; this one stands by to take "
			 "them over",
			 holder);
	if (held >= 0)
		p->standing_by = held == 0;
	long long now = duration_wall_ms();
	int live = 0;
	for (int i = 0; i < p->n_sensors; i++)
		live += !p->sensor[i].done && !silent(p, &p->sensor[i], now);
	pthread_mutex_lock(&p->lock);
	p->st.owned = p->n_owned;
	if (n)
		p->st.scorers = n;
	p->st.sensors = live;
	pthread_mutex_unlock(&p->lock);
}

/* --- parts into windows ----------------------------------------------------------------------- */

static void ack_later(struct part_collector *p, uint64_t seq, int64_t start, uint32_t k,
		      const char *id)
{
	if (grow_for_one(&p->acks, &p->cap_acks, p->n_acks, sizeof *p->acks, 64) < 0) {
		log_err("scorer: out of memory: entry %s stays pending", id);
		return;
	}
	struct ack *a = &p->acks[p->n_acks++];
	a->seq = seq;
	a->start = start;
	a->k = k;
	snprintf(a->id, sizeof a->id, "%s", id);
}

static struct waiting *waiting_at(struct part_collector *p, int64_t start)
{
	size_t i = 0;
	while (i < p->n_w && p->w[i].start < start)
		i++;
	if (i < p->n_w && p->w[i].start == start)
		return &p->w[i];
	if (grow_for_one(&p->w, &p->cap_w, p->n_w, sizeof *p->w, 16) < 0)
		return NULL;
	memmove(&p->w[i + 1], &p->w[i], (p->n_w - i) * sizeof *p->w);
	p->n_w++;
	p->w[i] = (struct waiting){ .start = start, .first = duration_monotonic() };
	return &p->w[i];
}

/* Decodes entry e of partition k, checked against what this scorer reads. */
static int decode_entry(struct part_collector *p, uint32_t k, const redisReply *data,
			struct part_header *h, struct sample_set *set, char *why, size_t len)
{
	if (part_wire_decode((const uint8_t *)data->str, data->len, h, set, why, len) < 0)
		return -1;
	if (h->part == k && h->n_parts == p->c.n_parts && h->window_seconds == p->c.window_seconds)
		return 0;
	snprintf(why, len,
		 "partition %u of %u, windows of %u s (expected %u of %u, %u s: "
		 "[role] partitions and [window] length must agree)",
		 h->part, h->n_parts, h->window_seconds, k, p->c.n_parts, p->c.window_seconds);
	sample_set_free(set);
	return -1;
}

static void count_dropped(struct part_collector *p, uint64_t *counter)
{
	pthread_mutex_lock(&p->lock);
	(*counter)++;
	pthread_mutex_unlock(&p->lock);
}

/* Entry e of partition k (claimed: read by a scorer before) to its
 * window. Returns 1 when it is a claimed entry of a window committed
 * before (its alerts delivered, its memory kept): acknowledged unscored;
 * else 0. */
static int take_entry(struct part_collector *p, uint32_t k, const redisReply *e, int claimed)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !e->element[0]->str ||
	    e->element[1]->type != REDIS_REPLY_ARRAY)
		return 0;
	const char *id = e->element[0]->str;
	const redisReply *sensor = field(e->element[1], "sensor"),
			 *data = field(e->element[1], "data");
	struct part_header h;
	struct part x = { .k = k };
	char why[256] = "no sensor or data field", when[ISOTIME_LEN];
	double t0 = duration_monotonic();
	if (!sensor || !sensor->str || !data || !data->str ||
	    decode_entry(p, k, data, &h, &x.set, why, sizeof why) < 0) {
		if (p->said_length++ < 10)
			log_err("scorer: %s:%u entry %s: %s; dropped", p->prefix, k, id, why);
		count_dropped(p, &p->st.bad);
		ack_later(p, 0, INT64_MIN, k, id);
		return 0;
	}
	if (claimed && h.window_start <= p->committed) {
		sample_set_free(&x.set);
		ack_later(p, 0, h.window_start, k, id);
		return 1;
	}
	if (h.window_start <= p->handed) {
		log_warn("scorer: a part of window %s from sensor %s came after the window was "
			 "scored (%zu samples); dropped: raise [role] deadline?",
			 isotime_format(h.window_start, when), sensor->str, x.set.n);
		sample_set_free(&x.set);
		count_dropped(p, &p->st.late);
		ack_later(p, 0, h.window_start, k, id);
		return 0;
	}
	struct waiting *w = waiting_at(p, h.window_start);
	if (!w || grow_for_one(&w->p, &w->cap, w->n, sizeof *w->p, 8) < 0) {
		log_err("scorer: out of memory: entry %s stays pending", id);
		sample_set_free(&x.set);
		return 0;
	}
	snprintf(x.id, sizeof x.id, "%s", id);
	snprintf(x.sensor, sizeof x.sensor, "%s", sensor->str);
	w->p[w->n++] = x;
	w->replayed |= claimed;
	struct sensor *from = sensor_named(p, sensor->str);
	long long now = duration_wall_ms();
	if (from && now > from->beat_ms) /* a part is a sign of life too */
		from->beat_ms = now;
	pthread_mutex_lock(&p->lock);
	p->st.parts++;
	p->st.samples_in += x.set.n;
	p->st.merge_seconds += duration_monotonic() - t0;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* Reads what is new in partition k. Returns how many entries came. */
static size_t read_partition(struct part_collector *p, uint32_t k)
{
	char key[512];
	stream_of(p, k, key, sizeof key);
	redisReply *a = redis_sync_format(p->redis, key,
					  "XREADGROUP GROUP " GROUP " %s COUNT %d STREAMS %s >",
					  p->name, READ_COUNT, key);
	size_t n = 0;
	if (a && a->type == REDIS_REPLY_ARRAY && a->elements == 1 &&
	    a->element[0]->type == REDIS_REPLY_ARRAY && a->element[0]->elements == 2) {
		const redisReply *entries = a->element[0]->element[1];
		for (size_t i = 0; i < entries->elements; i++)
			take_entry(p, k, entries->element[i], 0);
		n = entries->elements;
	} else if (a && a->type == REDIS_REPLY_ERROR && strncmp(a->str, "NOGROUP", 7) == 0) {
		/* the stream went (deleted by hand?): taken again at the next look */
		p->owned[k] = 0;
		p->n_owned--;
	}
	freeReplyObject(a);
	return n;
}

/* --- windows out ------------------------------------------------------------------------------ */

static int has_part(const struct waiting *w, uint32_t k, const char *sensor)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->p[i].k == k && strcmp(w->p[i].sensor, sensor) == 0)
			return 1;
	return 0;
}

/* The parts window w still waits for: (partition, sensor) pairs without a
 * part from a sensor that is live and has not closed the window. */
static int missing_parts(struct part_collector *p, const struct waiting *w, char *who, size_t len)
{
	long long now = duration_wall_ms();
	int missing = 0;
	who[0] = '\0';
	for (int s = 0; s < p->n_sensors; s++) {
		const struct sensor *x = &p->sensor[s];
		if (x->closed_before > w->start || silent(p, x, now))
			continue;
		for (uint32_t k = 0; k < p->c.n_parts; k++)
			if (p->owned[k] && !has_part(w, k, x->name)) {
				if (!missing++ || !strstr(who, x->name))
					snprintf(who + strlen(who), len - strlen(who), "%s%s",
						 who[0] ? ", " : "", x->name);
			}
	}
	return missing;
}

/* Says which sensors went silent (once an episode) or spoke again. */
static void note_silences(struct part_collector *p)
{
	long long now = duration_wall_ms();
	for (int s = 0; s < p->n_sensors; s++) {
		struct sensor *x = &p->sensor[s];
		int quiet = silent(p, x, now);
		if (quiet && !x->silent)
			log_warn("scorer: sensor %s has said nothing for %u s: windows are merged "
				 "without it",
				 x->name, p->c.deadline_seconds);
		else if (!quiet && x->silent)
			log_info("scorer: sensor %s speaks again", x->name);
		x->silent = quiet;
	}
}

/* The sources the alert stream's newest entries hold for the window at
 * start (a replayed window: the scorer that read it before may have
 * delivered its alerts). NULL when none (or Redis did not say). */
static struct alerted *alerted_in(struct part_collector *p, int64_t start)
{
	char when[ISOTIME_LEN];
	const char *stream = p->c.alert_stream;
	redisReply *a = redis_sync_format(p->redis, stream, "XREVRANGE %s + - COUNT %d", stream,
					  ALERTS_LOOKED_AT);
	struct alerted *done = calloc(1, sizeof *done);
	isotime_format(start, when);
	for (size_t i = 0; done && a && a->type == REDIS_REPLY_ARRAY && i < a->elements; i++) {
		const redisReply *e = a->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		const redisReply *w = field(e->element[1], "window_start"),
				 *src = field(e->element[1], "src_ip");
		char *copy = w && w->str && src && src->str && strcmp(w->str, when) == 0
				     ? strdup(src->str)
				     : NULL;
		if (copy &&
		    grow_for_one(&done->src, &done->cap, done->n, sizeof *done->src, 8) == 0)
			done->src[done->n++] = copy;
		else
			free(copy);
	}
	freeReplyObject(a);
	if (done && !done->n) {
		alerted_free(done);
		done = NULL;
	}
	return done;
}

/* Waits while the loop has READY_MAX windows to take. Returns 0 (set and
 * done are the loop's), or -1 when stopping (they are still the caller's). */
static int push_ready(struct part_collector *p, int64_t start, struct sample_set *set,
		      struct alerted *done)
{
	struct ready *r;
	while (!(r = malloc(sizeof *r))) { /* a window lost would shift the acknowledgements */
		if (stopping(p))
			return -1;
		log_err("scorer: out of memory to hand window %lld over; trying again",
			(long long)start);
		sleep(1);
	}
	*r = (struct ready){ .start = start, .set = *set, .done = done };
	size_t n = set->n;
	if (queue_push(p->ready, &r->link, 1) < 0) { /* closed: stopping */
		free(r);
		return -1;
	}
	pthread_mutex_lock(&p->lock);
	p->st.windows++;
	p->st.samples += n;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* The oldest waiting window merged and handed, its entries to acknowledge
 * once delivered. Returns 0, or -1 (nothing handed). */
static int hand_oldest(struct part_collector *p, int at_deadline, const char *missing)
{
	struct waiting w = p->w[0];
	struct sample_set *sets = malloc((w.n + 1) * sizeof *sets), merged;
	char when[ISOTIME_LEN];
	double t0 = duration_monotonic();
	if (!sets)
		return -1;
	for (size_t i = 0; i < w.n; i++)
		sets[i] = w.p[i].set;
	int rc = sample_set_merge(sets, (int)w.n, &merged, NULL);
	free(sets);
	if (rc < 0)
		return -1;
	pthread_mutex_lock(&p->lock);
	p->st.merge_seconds += duration_monotonic() - t0;
	p->st.incomplete += at_deadline;
	pthread_mutex_unlock(&p->lock);
	if (at_deadline)
		log_warn("scorer: window %s merged at the deadline without the parts of %s",
			 isotime_format(w.start, when), missing);
	p->n_handed++;
	for (size_t i = 0; i < w.n; i++)
		ack_later(p, p->n_handed, w.start, w.p[i].k, w.p[i].id);
	p->handed = w.start;
	free(w.p);
	memmove(&p->w[0], &p->w[1], --p->n_w * sizeof *p->w);
	struct alerted *done = w.replayed ? alerted_in(p, w.start) : NULL;
	if (push_ready(p, w.start, &merged, done) < 0) {
		sample_set_free(&merged); /* stopping: its entries stay pending */
		alerted_free(done);
	}
	return 0;
}

static void hand_ready(struct part_collector *p)
{
	char who[512];
	note_silences(p);
	while (p->n_w > 0) {
		int missing = missing_parts(p, &p->w[0], who, sizeof who);
		int late = duration_monotonic() - p->w[0].first >= p->c.deadline_seconds;
		if ((missing && !late) || hand_oldest(p, missing > 0, who) < 0)
			return;
	}
}

/* Acknowledges and deletes the entries of the windows committed (and
 * folded), and those dropped. */
static void acknowledge(struct part_collector *p)
{
	size_t kept = 0, acked = 0;
	for (size_t i = 0; i < p->n_acks; i++) {
		struct ack *a = &p->acks[i];
		char key[512];
		stream_of(p, a->k, key, sizeof key);
		redisReply *r = a->seq == 0 || a->start <= p->folded
					? redis_sync_format(p->redis, key, "XACK %s " GROUP " %s",
							    key, a->id)
					: NULL;
		if (r && r->type == REDIS_REPLY_INTEGER) {
			freeReplyObject(redis_sync_format(p->redis, key, "XDEL %s %s", key, a->id));
			acked++;
		} else {
			p->acks[kept++] = *a;
		}
		freeReplyObject(r);
	}
	p->n_acks = kept;
	pthread_mutex_lock(&p->lock);
	p->st.acked += acked;
	pthread_mutex_unlock(&p->lock);
}

/* l, a model asked for, in place of an older one not yet published. */
static void take_ask(struct part_collector *p, struct queue_link *l)
{
	free(p->model);
	p->model = queue_item(l, struct model_ask, link);
}

/* A tenth of a second, or less when the loop asks for something. */
static void wait_a_little(struct part_collector *p)
{
	struct queue_link *l = queue_pop_wait(p->asks, 0.1);
	if (l)
		take_ask(p, l);
}

/* --- the model ------------------------------------------------------------------------------- */

#define MODEL_MAX_BYTES (1u << 30)

/* The whole file at path (malloc'd, *len bytes), or NULL with errno. */
static char *read_model(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size = -1;
	if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    (unsigned long)size <= MODEL_MAX_BYTES && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size + 1)) && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	if (f)
		fclose(f);
	*len = size > 0 ? (size_t)size : 0;
	return buf;
}

/* The newest model asked for, to PREFIX:model. */
static void publish_model(struct part_collector *p)
{
	struct queue_link *l;
	while ((l = queue_try_pop(p->asks)))
		take_ask(p, l);
	struct model_ask *ask = p->model;
	p->model = NULL;
	if (!ask)
		return;
	const char *path = ask->path;
	size_t len;
	char key[512], *model = read_model(path, &len);
	key_of(p, "model", key, sizeof key);
	redisReply *a =
		model ? redis_sync_format(p->redis, key, "SET %s %b", key, model, len) : NULL;
	if (!model)
		log_warn("scorer: %s: %s: the model is not published", path, strerror(errno));
	else if (a && a->type == REDIS_REPLY_STATUS)
		log_info("scorer: the model in use published to %s (%zu bytes)", key, len);
	else
		log_warn("scorer: the model could not be published to %s: %s", key,
			 a && a->type == REDIS_REPLY_ERROR ? a->str : "no answer");
	freeReplyObject(a);
	free(model);
	free(ask);
}

void part_collector_publish_model(struct part_collector *p, const char *path)
{
	size_t len = strlen(path) + 1;
	struct model_ask *ask = malloc(sizeof *ask + len);
	if (!ask) {
		log_warn("scorer: %s: out of memory: the model is not published", path);
		return;
	}
	memcpy(ask->path, path, len);
	if (queue_push(p->asks, &ask->link, 0) < 0) /* paused: nothing is published */
		free(ask);
}

int part_collector_fetch_model(const struct part_collector_config *c, const char *path)
{
	struct redis_sync *r =
		redis_sync_new(c->address, c->password_file, c->timeout_ms, "scorer");
	char key[512], err[512];
	snprintf(key, sizeof key, "%s:model", c->prefix);
	redisReply *a = r ? redis_sync_format(r, key, "GET %s", key) : NULL;
	int rc = -1;
	if (a && a->type == REDIS_REPLY_STRING) {
		rc = atomic_file_replace_bytes(path, a->str, a->len, err, sizeof err);
		if (rc < 0)
			log_err("scorer: the fleet's model: %s", err);
		else
			log_info("scorer: the fleet's model from %s saved to %s", key, path);
	}
	freeReplyObject(a);
	redis_sync_free(r);
	return rc < 0 ? -1 : 0;
}

/* Leaves cleanly: the partitions to the other scorers at once. */
static void leave(struct part_collector *p)
{
	char key[512];
	for (uint32_t k = 0; k < p->c.n_parts; k++)
		if (p->owned[k])
			release_partition(p, k);
	key_of(p, "lease", key, sizeof key);
	if (still_holding(p))
		freeReplyObject(redis_sync_format(p->redis, key, "DEL %s", key));
	key_of(p, "scorers", key, sizeof key);
	freeReplyObject(redis_sync_format(p->redis, key, "HDEL %s %s", key, p->name));
}

static void *collecting(void *arg)
{
	struct part_collector *p = arg;
	double next_look = 0;
	while (!stopping(p)) {
		/* the sensors before the streams: a window is whole when the
		 * sensors known before its parts were read have sent or closed it */
		refresh_sensors(p);
		if (duration_monotonic() >= next_look) {
			balance_partitions(p);
			next_look = duration_monotonic() + 1;
		}
		size_t got = 0;
		for (uint32_t k = 0; k < p->c.n_parts && !stopping(p); k++)
			for (size_t n = READ_COUNT; p->owned[k] && n == READ_COUNT;)
				got += n = read_partition(p, k);
		hand_ready(p);
		commit(p);
		publish_model(p);
		if (!got)
			wait_a_little(p);
	}
	return NULL;
}

/* --- the loop's side -------------------------------------------------------------------------- */

static void take_ready(struct ev_loop *loop, ev_async *w, int revents)
{
	struct part_collector *p = w->data;
	(void)loop, (void)revents;
	struct queue_link *l;
	while ((l = queue_try_pop(p->ready))) {
		struct ready *r = queue_item(l, struct ready, link);
		if (!r->memory)
			p->fn(p->ctx, r->start, &r->set, r->done);
		else if (p->c.memory)
			p->c.memory(p->ctx, r->memory);
		else
			free(r->memory);
		free(r);
	}
}

static void free_collector(struct part_collector *p)
{
	for (size_t i = 0; i < p->n_w; i++) {
		for (size_t j = 0; j < p->w[i].n; j++)
			sample_set_free(&p->w[i].p[j].set);
		free(p->w[i].p);
	}
	free(p->w);
	free(p->acks);
	free(p->owned);
	forget_held(p, INT64_MAX);
	free(p->held);
	struct queue_link *l;
	while (p->asks && (l = queue_try_pop(p->asks)))
		take_ask(p, l);
	free(p->model);
	while (p->kept && (l = queue_try_pop(p->kept)))
		free(queue_item(l, struct memory_batch, link));
	queue_free(p->kept);
	queue_free(p->asks);
	queue_free(p->ready);
	redis_sync_free(p->redis);
	free(p->prefix);
	free(p->name);
	free(p);
}

struct part_collector *part_collector_start(struct ev_loop *loop,
					    const struct part_collector_config *c, collected_fn fn,
					    void *ctx)
{
	struct part_collector *p = calloc(1, sizeof *p);
	if (!p || !(p->owned = calloc(c->n_parts, 1)) || !(p->prefix = strdup(c->prefix)) ||
	    !(p->name = strdup(c->name))) {
		log_err("scorer: out of memory");
		if (p)
			free_collector(p);
		return NULL;
	}
	p->c = *c;
	p->loop = loop;
	p->fn = fn;
	p->ctx = ctx;
	p->handed = p->committed = p->folded = INT64_MIN;
	expect_sensors(p, c->sensors);
	if (!(p->ready = queue_new(READY_MAX)) || !(p->asks = queue_new(0)) ||
	    !(p->kept = queue_new(0))) {
		log_err("scorer: out of memory");
		free_collector(p);
		return NULL;
	}
	if (!(p->redis = redis_sync_new(c->address, c->password_file, c->timeout_ms, "scorer"))) {
		free_collector(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	ev_async_init(&p->ready_w, take_ready);
	p->ready_w.data = p;
	ev_async_start(loop, &p->ready_w);
	queue_wake(p->ready, loop, &p->ready_w);
	int rc = pthread_create(&p->thread, NULL, collecting, p);
	if (rc != 0) {
		log_err("scorer: cannot start the collecting thread: %s", strerror(rc));
		ev_async_stop(loop, &p->ready_w);
		free_collector(p);
		return NULL;
	}
	pthread_setname_np(p->thread, "flowsad-collect");
	return p;
}

void part_collector_delivered(struct part_collector *p, uint64_t windows)
{
	pthread_mutex_lock(&p->lock);
	if (windows > p->delivered)
		p->delivered = windows;
	pthread_mutex_unlock(&p->lock);
}

void part_collector_stats(struct part_collector *p, struct part_collector_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	pthread_mutex_unlock(&p->lock);
}

/* When a stop's Redis commands must have ended: one timeout from now. */
static double stop_deadline(const struct part_collector *p)
{
	return duration_monotonic() + p->c.timeout_ms / 1000.0;
}

void part_collector_pause(struct part_collector *p)
{
	if (!p || p->paused)
		return;
	redis_sync_stop_by(p->redis, stop_deadline(p)); /* a command under way ends by then */
	queue_close(p->asks); /* the thread stops at its next look */
	queue_close(p->ready); /* a hand-over waiting for room gives up */
	pthread_join(p->thread, NULL);
	p->paused = 1;
	struct queue_link *l;
	while ((l = queue_try_pop(p->ready))) { /* not scored: they stay pending */
		struct ready *r = queue_item(l, struct ready, link);
		sample_set_free(&r->set);
		alerted_free(r->done);
		free(r->memory);
		free(r);
	}
	ev_async_stop(p->loop, &p->ready_w);
}

void part_collector_stop(struct part_collector *p)
{
	if (!p)
		return;
	part_collector_pause(p);
	/* the thread has ended: its client is the caller's now */
	if (redis_sync_answering(p->redis)) {
		redis_sync_stop_by(p->redis, stop_deadline(p));
		commit(p);
		leave(p);
	} else {
		log_warn("scorer: redis does not answer: %zu entries stay pending, and the "
			 "partitions go to the other scorers when their leases expire",
			 p->n_acks);
	}
	log_info("scorer: %" PRIu64 " partitions read (%" PRIu64 " samples), %" PRIu64
		 " windows merged (%" PRIu64 " samples) in %.3f s of decoding and merging; %" PRIu64
		 " late, %" PRIu64 " unreadable, %" PRIu64 " incomplete, %" PRIu64 " claimed",
		 p->st.parts, p->st.samples_in, p->st.windows, p->st.samples, p->st.merge_seconds,
		 p->st.late, p->st.bad, p->st.incomplete, p->st.claimed);
	pthread_mutex_destroy(&p->lock);
	free_collector(p);
}
