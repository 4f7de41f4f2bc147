/* grow: room for one more element at the end of an array that doubles. */
#ifndef FLOWSAD_GROW_H
#define FLOWSAD_GROW_H

#include <stddef.h>

/* When n has reached *cap, reallocates *array (a pointer to the array's
 * pointer) to twice the capacity, or to first elements of elem bytes when
 * it had none. Returns 0, or -ENOMEM with the array left as it was. */
int grow_for_one(void *array, size_t *cap, size_t n, size_t elem, size_t first)
	__attribute__((warn_unused_result));

#endif
