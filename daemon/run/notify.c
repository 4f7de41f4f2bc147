#include "run/notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "common/log.h"

void notify_ready(const struct notify_state *s)
{
	char line[256];
	notify_status_line(s, line, sizeof line);
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

void notify_status_line(const struct notify_state *s, char *line, size_t len)
{
	char model[96], age[24];
	if (s->learning) {
		snprintf(model, sizeof model, "learning %" PRIu64 "/%" PRIu64 " windows", s->have,
			 s->need);
	} else {
		age_text(s->model_time, age, sizeof age);
		snprintf(model, sizeof model, "model %s age %s", s->model_id, age);
	}
	snprintf(line, len, "%" PRIu64 " pkt/s, %" PRIu64 " windows, %" PRIu64 " alerts, %s%s",
		 s->packets_per_second, s->windows, s->alerts, model,
		 s->retraining ? ", retraining" : "");
}

void notify_status(const struct notify_state *s)
{
	char line[256];
	if (!getenv("NOTIFY_SOCKET")) /* not under systemd: nobody to tell */
		return;
	notify_status_line(s, line, sizeof line);
	sd_notifyf(0, "STATUS=%s", line);
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)w, (void)revents;
	sd_notify(0, "WATCHDOG=1");
}

void notify_start_watchdog(struct ev_loop *loop, ev_timer *w)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	double every = (double)usec / 2e6; /* twice per period, from the loop: a hung loop misses */
	ev_timer_init(w, on_watchdog, every, every);
	ev_timer_start(loop, w);
	log_info("systemd watchdog: a ping every %.1f s", every);
}
