/* location: where an address is, by a CIDR-to-name table (psykoda's
 * location table), with "private" (RFC 1918, RFC 6598, loopback, link-local,
 * IPv6 ULA) and "global" for the addresses no entry covers. */
#ifndef FLOWSAD_LOCATION_H
#define FLOWSAD_LOCATION_H

#include <stddef.h>
#include <stdio.h>

#include "base/ip.h"

#define LOCATION_MAX 200 /* named entries; indexes fit a byte with the two defaults */
#define LOCATION_NAME_LEN 32
#define LOCATION_PRIVATE 0 /* the two names every table has */
#define LOCATION_GLOBAL 1

struct location_table {
	int n;
	struct location_entry {
		ip_addr net;   /* masked network, v4-mapped for IPv4 */
		int prefix;        /* of the 128-bit form */
		int name;          /* index into names */
	} entry[LOCATION_MAX];
	int n_private;         /* the private ranges, parsed once by location_init */
	struct location_entry private_entry[16];
	int n_names;           /* names[0] "private", names[1] "global", then the table's */
	char names[LOCATION_MAX + 2][LOCATION_NAME_LEN];
};

/* An empty table: every address is "private" or "global". */
void location_init(struct location_table *t);
/* Adds "CIDR,name" lines from f (# comments and blank lines skipped).
 * Returns 0, or -EINVAL with "name:line: reason" in err. */
int location_read(struct location_table *t, FILE *f, const char *name, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Adds one entry. Returns 0 or -EINVAL. */
int location_add(struct location_table *t, const char *cidr, const char *name)
	__attribute__((warn_unused_result));
/* The name index of the longest matching entry, else 0 (private) or 1 (global). */
int location_of(const struct location_table *t, const ip_addr *a);

#endif
