/* ids_alert: one IDS alert as the readers of IDS logs deliver it (psykoda's
 * CSV, Suricata's EVE alert events): when, between whom, which signature. */
#ifndef FLOWSAD_IDS_ALERT_H
#define FLOWSAD_IDS_ALERT_H

#include <stdint.h>

#include "base/ip.h"

struct ids_alert {
	int64_t ts;
	ip_addr src, dst;
	uint16_t sport, dport;
	uint32_t sid;
};

typedef void (*ids_alert_fn)(void *ctx, const struct ids_alert *a);

#endif
