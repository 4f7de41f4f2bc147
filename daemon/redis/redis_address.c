/* [redis] address and password_file, read once (redis_address.h). */
#include "redis/redis_address.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int redis_address_read_password(struct redis_address *a, const char *path, char *err,
				size_t errlen)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	int ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	line[ok ? strcspn(line, "\r\n") : 0] = '\0';
	if (!line[0]) {
		snprintf(err, errlen, "%s:1: expected the Redis password", path);
		return -EINVAL;
	}
	char *space = strchr(line, ' ');
	if (space) {
		*space = '\0';
		a->user = strdup(line);
	}
	a->password = strdup(space ? space + 1 : line);
	if (!a->password || (space && !a->user)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int redis_address_parse(struct redis_address *a, const char *address, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->n_seeds = hostport_parse_redis(address, a->master_name, sizeof a->master_name, a->seeds,
					  REDIS_MAX_SEEDS, err, (unsigned)errlen);
	return a->n_seeds < 0 ? -EINVAL : 0;
}

void redis_address_free(struct redis_address *a)
{
	if (!a)
		return;
	free(a->user);
	free(a->password);
	a->user = a->password = NULL;
}

int redis_address_has_topology(const struct redis_address *a)
{
	return a->n_seeds > 1 || a->master_name[0] != '\0';
}
