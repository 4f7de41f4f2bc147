#include "base/grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int grow_for_one(void *array, size_t *cap, size_t n, size_t elem, size_t first)
{
	void *p;

	if (n < *cap)
		return 0;
	size_t want = *cap ? *cap * 2 : first;
	memcpy(&p, array, sizeof p);
	if (!(p = realloc(p, want * elem)))
		return -ENOMEM;
	memcpy(array, &p, sizeof p);
	*cap = want;
	return 0;
}
