/* notify: what systemd hears from flowsad (sd_notify): READY once the
 * sources are open, a STATUS line every second, WATCHDOG pings from the
 * loop at half the unit's WatchdogSec, RELOADING around SIGHUP and
 * STOPPING at SIGTERM. Outside systemd (no NOTIFY_SOCKET) these do nothing. */
#ifndef FLOWSAD_NOTIFY_H
#define FLOWSAD_NOTIFY_H

#include <stddef.h>

struct daemon;

void notify_ready(struct daemon *d);
void notify_reloading(void);
void notify_stopping(void);
/* The one-line state: packets/s, windows, alerts, model age or learning
 * progress, retraining. */
void notify_status(struct daemon *d);
void notify_status_line(struct daemon *d, char *line, size_t len);
void notify_start_watchdog(struct daemon *d);

#endif
