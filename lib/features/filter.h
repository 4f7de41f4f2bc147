/* filter: which traffic a detection unit looks at (psykoda's "detection
 * units"): monitored source networks, destination ports included or
 * excluded, sources, destinations and IDS signatures excluded. An excluded
 * event is not counted at all; an event from a source outside the monitored
 * networks makes no sample of its own but still counts as an answer to the
 * monitored host it goes to. The filter is stored with the model, so that
 * scoring sees what training saw. */
#ifndef FLOWSAD_FILTER_H
#define FLOWSAD_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "base/ip.h"

#define FILTER_MAX_NETS 1024
#define FILTER_MAX_SIDS 4096

struct filter_nets {
	int n;
	struct {
		ip_addr net;
		int prefix;
	} e[FILTER_MAX_NETS];
};

struct filter {
	struct filter_nets monitor, exclude_src, exclude_dst;
	int has_include, has_exclude;
	uint8_t include_port[65536 / 8], exclude_port[65536 / 8];
	int n_sids;
	uint32_t exclude_sid[FILTER_MAX_SIDS]; /* sorted */
};

/* Everything passes. */
void filter_init(struct filter *f);
/* Parsers of the option texts; each returns 0 or -EINVAL.
 * nets: "10.0.0.0/8,2001:db8::/32"; ports: "22,80,8000-8100"; sids: "2013028,2001219". */
int filter_add_nets(struct filter_nets *n, const char *text) __attribute__((warn_unused_result));
int filter_add_ports(uint8_t *bits, const char *text) __attribute__((warn_unused_result));
int filter_add_sids(struct filter *f, const char *text) __attribute__((warn_unused_result));

/* The parts of a filter by name, as the configuration's keys and the
 * model's JSON name them. */
enum filter_part {
	FILTER_MONITOR,
	FILTER_EXCLUDE_SRC,
	FILTER_EXCLUDE_DST,
	FILTER_INCLUDE_PORTS,
	FILTER_EXCLUDE_PORTS,
	FILTER_EXCLUDE_SIDS,
	FILTER_N_PARTS,
};
extern const char *const filter_part_names[FILTER_N_PARTS]; /* "monitor", "exclude_src", ... */
/* Adds the text of one part (the parsers above). Returns 0 or -EINVAL. */
int filter_add_part(struct filter *f, enum filter_part part, const char *text)
	__attribute__((warn_unused_result));
int filter_active(const struct filter *f);
/* Whether a lies in one of the networks of n. */
int filter_nets_match(const struct filter_nets *n, const ip_addr *a);

/* Whether an event is counted at all (ports: destination port when the
 * event has one; sid: 0 when none). */
int filter_counts(const struct filter *f, const ip_addr *src, const ip_addr *dst,
		  int has_port, uint16_t dport, uint32_t sid);
/* Whether src gets samples (inside the monitored networks, or no such list). */
int filter_monitored(const struct filter *f, const ip_addr *src);

/* The filter as JSON text (caller frees; NULL when nothing is filtered) and back. */
char *filter_to_json(const struct filter *f);
int filter_from_json(struct filter *f, const char *json) __attribute__((warn_unused_result));

#endif
