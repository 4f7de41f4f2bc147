/* libFuzzer target: the model file loader (safetensors header, metadata,
 * tensors) on arbitrary bytes. It must refuse or accept without a fault. */
#include <stddef.h>
#include <stdint.h>

#include "detector/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct model *m = model_parse(data, size, err, sizeof err);

	if (m) {
		/* an accepted model must also score */
		float score;
		if (m->n_background > 0)
			(void)deepsad_score(&m->det, m->background, 1, &score);
		model_free(m);
	}
	return 0;
}
