/* libFuzzer target: the INI configuration reader. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	FILE *f;

	if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	config_init(&c);
	(void)config_read(&c, f, "fuzz", NULL);
	(void)config_lateness(&c);
	config_free(&c);
	fclose(f);
	return 0;
}
