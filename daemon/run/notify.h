/* notify: what systemd hears from flowsad (sd_notify): READY once the
 * sources are open, a STATUS line every second, WATCHDOG pings from the
 * loop at half the unit's WatchdogSec, RELOADING around SIGHUP and
 * STOPPING at SIGTERM. Outside systemd (no NOTIFY_SOCKET) these do nothing.
 * Threads: the loop's. It knows the daemon only by the state it is given. */
#ifndef FLOWSAD_NOTIFY_H
#define FLOWSAD_NOTIFY_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The state the STATUS line tells. */
struct notify_state {
	uint64_t packets_per_second, windows, alerts;
	int learning;                 /* no model yet: have of need windows */
	uint64_t have, need;
	const char *model_id;
	time_t model_time;
	int retraining;
};

void notify_ready(const struct notify_state *s);
void notify_reloading(void);
void notify_stopping(void);
/* The one-line state: packets/s, windows, alerts, model age or learning
 * progress, retraining. */
void notify_status(const struct notify_state *s);
void notify_status_line(const struct notify_state *s, char *line, size_t len);
/* Pings from w on loop, when systemd watches. */
void notify_start_watchdog(struct ev_loop *loop, ev_timer *w);

#endif
