/* The sources a window's alerts went to already (alerted.h). */
#include "alerting/alerted.h"

#include <stdlib.h>
#include <string.h>

void alerted_free(struct alerted *a)
{
	for (size_t i = 0; a && i < a->n; i++)
		free(a->src[i]);
	if (a)
		free(a->src);
	free(a);
}

int alerted_holds(const struct alerted *a, const char *src)
{
	for (size_t i = 0; a && i < a->n; i++)
		if (strcmp(a->src[i], src) == 0)
			return 1;
	return 0;
}
