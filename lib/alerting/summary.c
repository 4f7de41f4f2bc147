#include "alerting/summary.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "features/feature_spec.h"

/* A line being written: appends past its end are cut, never overflow. */
struct line {
	char *buf;
	size_t len, at;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	if (l->at + 1 >= l->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(l->buf + l->at, l->len - l->at, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->at = l->at + (size_t)n < l->len ? l->at + (size_t)n : l->len - 1;
}

/* "1 host", "15 hosts" */
static void add_count(struct line *l, double n, const char *noun)
{
	n = round(n);
	add(l, "%.0f %s%s", n, noun, n == 1 ? "" : "s");
}

/* Bytes in decimal units an analyst reads at a glance ("2.1 MB"). */
static void add_bytes(struct line *l, uint64_t b)
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB" };
	if (b < 10000) {
		add_count(l, (double)b, "byte");
		return;
	}
	double v = (double)b / 1000;
	int u = 0;
	while (v >= 1000 && u < 3)
		v /= 1000, u++;
	add(l, "%.1f %s", v, unit[u]);
}

static void say_fanout(struct line *l, const struct window_counters *c)
{
	add(l, "opened ");
	add_count(l, (double)c->opened, "flow");
	add(l, " to ");
	add_count(l, window_sketch_count(c->peers), "host");
	add(l, " on ");
	add_count(l, window_sketch_count(c->services), "port");
}

static void say_volume(struct line *l, const struct window_counters *c)
{
	add(l, "sent ");
	add_bytes(l, c->opened_bytes);
	add(l, " in ");
	add_count(l, (double)c->opened_packets, "packet");
	add(l, " over ");
	add_count(l, (double)c->opened, "flow");
}

/* Its probes' failures as the features count them: RSTs up to its SYNs (a
 * flood's victim gets RSTs for answers it never sent). */
static void say_failures(struct line *l, const struct window_counters *c)
{
	uint64_t rst = window_refusals(c);
	const char *sep = "";
	if (c->syn_unanswered) {
		add(l, "got no answer to %llu of ", (unsigned long long)c->syn_unanswered);
		add_count(l, (double)c->syn_sent, "SYN");
		sep = ", ";
	}
	if (rst) {
		add(l, "%swas refused ", sep);
		add_count(l, (double)rst, "time");
		sep = ", ";
	}
	if (c->unreach_received) {
		add(l, "%sgot ", sep);
		add_count(l, (double)c->unreach_received, "ICMP unreachable");
		sep = ", ";
	}
	if (!*sep) /* the failures of earlier windows (host slow failures) */
		add(l, "failed to connect more than usual over recent windows");
}

static void say_tcp(struct line *l, const struct window_counters *c)
{
	add(l, "sent ");
	add_count(l, (double)c->syn_sent, "SYN");
	add(l, " and got ");
	add_count(l, (double)c->synack_received, "SYN-ACK");
	add(l, " back");
}

static void say_protocol_mix(struct line *l, const struct window_counters *c)
{
	uint64_t other = c->opened_packets - c->opened_tcp - c->opened_udp - c->opened_icmp;
	add(l, "sent %llu TCP, %llu UDP, %llu ICMP and %llu other packets",
	    (unsigned long long)c->opened_tcp, (unsigned long long)c->opened_udp,
	    (unsigned long long)c->opened_icmp, (unsigned long long)other);
}

static void say_new_source(struct line *l, const struct window_counters *c)
{
	(void)c;
	add(l, "is new (not seen within the horizon)");
}

static void say_services(struct line *l, const struct window_counters *c)
{
	add(l, "reached services it had not used recently (");
	add_count(l, window_sketch_count(c->services), "port");
	add(l, " in the window)");
}

static void say_serving(struct line *l, const struct window_counters *c)
{
	add(l, "served ");
	add_bytes(l, c->served_bytes);
	add(l, " in ");
	add_count(l, (double)c->served_packets, "packet");
	add(l, " to ");
	add_count(l, window_sketch_count(c->clients), "client");
	add(l, " on ");
	add_count(l, window_sketch_count(c->served), "service");
}

typedef void (*say_fn)(struct line *l, const struct window_counters *c);

static const struct {
	const char *family;
	say_fn say;
} sayings[] = {
	{ "fan-out", say_fanout },	     { "volume", say_volume },
	{ "failures", say_failures },	     { "tcp", say_tcp },
	{ "protocol-mix", say_protocol_mix }, { "new-source", say_new_source },
	{ "services", say_services },	     { "serving", say_serving },
};

static int is_service_term(const char *family, size_t n)
{
	return n > 4 && strncmp(family, "svc ", 4) == 0;
}

/* Whether family (its first n characters) is told by what it opened. */
static int told_as_fanout(const char *family, size_t n)
{
	return is_service_term(family, n) || (n == 7 && strncmp(family, "fan-out", 7) == 0);
}

/* What it opened, naming the service terms among the two families a and b
 * (either may be "fan-out" or absent): "private->private tcp/22 among them". */
static void say_opened(struct line *l, const char *a, size_t an, const char *b, size_t bn,
		       const struct window_counters *c)
{
	const char *sep = ", ";
	say_fanout(l, c);
	if (is_service_term(a, an)) {
		add(l, "%s%.*s", sep, (int)an - 4, a + 4);
		sep = " and ";
	}
	if (b && is_service_term(b, bn))
		add(l, "%s%.*s", sep, (int)bn - 4, b + 4);
	if (is_service_term(a, an) || (b && is_service_term(b, bn)))
		add(l, " among them");
}

/* family (its first n characters) told about c. A service term's name
 * ("svc private->private tcp/22") is told as what it opened, to it. */
static void say(struct line *l, const char *family, size_t n, const struct window_counters *c)
{
	for (size_t i = 0; i < sizeof sayings / sizeof sayings[0]; i++)
		if (strlen(sayings[i].family) == n && strncmp(sayings[i].family, family, n) == 0) {
			sayings[i].say(l, c);
			return;
		}
	say_opened(l, family, n, NULL, 0, c);
}

char *summary_write(char *buf, size_t len, const char *src, const char *behaviour,
		    const struct window_counters *c)
{
	struct line l = { buf, len, 0 };
	if (len)
		buf[0] = '\0';
	if (!behaviour || !*behaviour || strcmp(behaviour, "none") == 0)
		behaviour = "fan-out";
	/* the first '+' parts the families, as incidents part them (has_lead) */
	size_t lead = strcspn(behaviour, "+");
	if (!c) {
		add(&l, "%s: %s", src, behaviour);
		return buf;
	}
	add(&l, "%s ", src);
	const char *second = behaviour + lead + 1;
	if (behaviour[lead] == '+' && told_as_fanout(behaviour, lead) &&
	    told_as_fanout(second, strlen(second))) { /* one clause, not the same twice */
		say_opened(&l, behaviour, lead, second, strlen(second), c);
		return buf;
	}
	say(&l, behaviour, lead, c);
	if (behaviour[lead] == '+') {
		add(&l, "; it ");
		say(&l, second, strlen(second), c);
	} else if (strcmp(behaviour, "new-source") == 0) { /* its counts, not its newness alone */
		add(&l, "; it ");
		say_fanout(&l, c);
	}
	return buf;
}

void summary_behaviour(const struct alert_feature *f, int k, char *name, size_t len)
{
	const char *fam[2];
	int n = 0;
	for (int i = 0; i < k && n < 2; i++)
		if (f[i].shap > 0 && f[i].value != 0 &&
		    (n == 0 || strcmp(fam[0], feature_family(f[i].name)) != 0))
			fam[n++] = feature_family(f[i].name);
	snprintf(name, len, "%s%s%s", n ? fam[0] : "none", n == 2 ? "+" : "", n == 2 ? fam[1] : "");
}
