/* alerted: the sources whose alerts of one window are delivered already. A
 * window that a killed scorer had scored, read again by another scorer
 * (daemon/fleet), comes with them, so that their alerts are not sent
 * twice. */
#ifndef FLOWSAD_ALERTED_H
#define FLOWSAD_ALERTED_H

#include <stddef.h>

struct alerted {
	size_t n, cap;
	char **src; /* [n] malloc'd source addresses, as alerts write them */
};

/* Frees a and its strings; NULL: no-op. */
void alerted_free(struct alerted *a);
/* Whether a (NULL: none) holds src. */
int alerted_holds(const struct alerted *a, const char *src);

#endif
