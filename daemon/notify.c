#include "notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon.h"
#include "log.h"

void notify_ready(struct daemon *d)
{
	char line[256];
	notify_status_line(d, line, sizeof line);
	sd_notifyf(0, "READY=1\nSTATUS=%s", line);
}

void notify_reloading(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* MONOTONIC_USEC lets systemd 253+ match the reload to this message */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now.tv_sec * 1000000ull +
			   (unsigned long long)now.tv_nsec / 1000);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: closing the open windows, delivering alerts");
}

static void age_text(time_t since, char *buf, size_t len)
{
	long s = (long)(time(NULL) - since);
	if (s < 120)
		snprintf(buf, len, "%lds", s);
	else if (s < 7200)
		snprintf(buf, len, "%ldm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%ldh", s / 3600);
	else
		snprintf(buf, len, "%ldd", s / 86400);
}

void notify_status_line(struct daemon *d, char *line, size_t len)
{
	static uint64_t last_frames; /* the loop's alone: the rate over the last second */
	const struct window_stats *ws = d->table ? window_table_stats(d->table) : NULL;
	uint64_t frames = d->tally.frames, have, need;
	char model[96], age[24];
	struct score_counts n;

	windows_counts(d, &n);
	if (windows_learning(d, &have, &need)) {
		snprintf(model, sizeof model, "learning %" PRIu64 "/%" PRIu64 " windows", have,
			 need);
	} else {
		age_text(d->model_time, age, sizeof age);
		snprintf(model, sizeof model, "model %s age %s", d->model.id, age);
	}
	snprintf(line, len, "%" PRIu64 " pkt/s, %" PRIu64 " windows, %" PRIu64 " alerts, %s%s",
		 frames - last_frames, ws ? ws->windows : 0,
		 n.scorer.alerts, model,
		 d->retraining ? ", retraining" : "");
	last_frames = frames;
}

void notify_status(struct daemon *d)
{
	char line[256];
	if (!getenv("NOTIFY_SOCKET")) /* not under systemd: nobody to tell */
		return;
	notify_status_line(d, line, sizeof line);
	sd_notifyf(0, "STATUS=%s", line);
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)w, (void)revents;
	sd_notify(0, "WATCHDOG=1");
}

void notify_start_watchdog(struct daemon *d)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	double every = (double)usec / 2e6; /* twice per period, from the loop: a hung loop misses */
	ev_timer_init(&d->watchdog, on_watchdog, every, every);
	ev_timer_start(d->loop, &d->watchdog);
	log_info("systemd watchdog: a ping every %.1f s", every);
}
