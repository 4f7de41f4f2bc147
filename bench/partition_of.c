/* bench/partition_of: the partition of each source address read on stdin
 * (one a line), as a sensor assigns it (part_wire_partition): prints
 * "ADDRESS PARTITION" a line. BENCH=fleet uses it to tell which alerts a
 * scorer that took over a dead one's partitions owes.
 *
 * usage: partition_of N_PARTITIONS <addresses */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ip.h"
#include "features/part_wire.h"

int main(int argc, char **argv)
{
	char line[256];
	long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	if (n <= 0 || n > 65536) {
		fprintf(stderr, "usage: partition_of N_PARTITIONS <addresses\n");
		return 64;
	}
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\r\n")] = 0;
		ip_addr a;
		if (!line[0] || ip_addr_parse(line, &a, NULL) != 0)
			continue;
		printf("%s %u\n", line, part_wire_partition(&a, (uint32_t)n));
	}
	return 0;
}
