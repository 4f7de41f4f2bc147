/* libFuzzer target: the matrix CSV reader on arbitrary text. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ingest/matrix_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct dataset ds;
	FILE *f;

	if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	if (matrix_csv_read(&ds, f, "fuzz", err, sizeof err) == 0)
		dataset_free(&ds);
	fclose(f);
	return 0;
}
