/* bench/gen_features: the daemon's own training rows for the detector
 * benchmark: the first ROWS samples of a history (bench/gen_history),
 * their host features from the sources' memory as the retraining worker
 * sets them, fitted and vectorised with the default feature options
 * (hourly windows), written as float32 rows that bench/speed and the
 * PyTorch peer both read.
 * usage: gen_features HISTORY_DIR OUT.f32 ROWS   (prints "ROWS DIM") */
#include <stdio.h>
#include <stdlib.h>

#include "base/defaults.h"
#include "features/baseline.h"
#include "features/feature_options.h"
#include "store/history.h"

struct first_rows {
	struct sample_set set;
	struct baseline *memory;
	size_t want;
	int failed;
};

static int take(void *ctx, const struct net_sample *in)
{
	struct first_rows *f = ctx;
	struct net_sample s = *in;
	if (f->set.n == f->want)
		return 1;
	baseline_observe(f->memory, s.window_start, &s.src, &s.c, s.host);
	f->failed |= sample_set_add(&f->set, &s) < 0;
	return f->failed;
}

int main(int argc, char **argv)
{
	struct first_rows f = { .want = argc == 4 ? strtoul(argv[3], NULL, 10) : 0 };
	struct feature_options o = { .window = 3600 };
	struct feature_spec spec = { 0 };
	struct dataset ds;
	char err[256], *json = NULL;

	if (!f.want)
		return fprintf(stderr, "usage: gen_features HISTORY_DIR OUT.f32 ROWS\n"), 64;
	f.memory = baseline_new(DEFAULT_BASELINE_MAX_HOSTS, DEFAULT_BASELINE_HORIZON);
	if (!f.memory || history_scan(argv[1], take, &f, NULL) < 0 || f.failed || f.set.n < f.want)
		return fprintf(stderr, "gen_features: %s: fewer than %zu samples\n", argv[1],
			       f.want),
		       65;
	if (feature_options_counting_spec(&o, &spec, err, sizeof err) < 0 ||
	    feature_options_fit(&o, &spec, &f.set, &json) < 0 ||
	    feature_spec_dataset(&spec, &f.set, &ds) < 0)
		return fprintf(stderr, "gen_features: cannot vectorise\n"), 71;
	FILE *out = fopen(argv[2], "wb");
	if (!out ||
	    fwrite(ds.x, sizeof *ds.x, ds.n * (size_t)ds.dim, out) != ds.n * (size_t)ds.dim ||
	    fclose(out) != 0)
		return fprintf(stderr, "gen_features: cannot write %s\n", argv[2]), 74;
	printf("%zu %d\n", ds.n, ds.dim);
	dataset_free(&ds);
	feature_spec_free(&spec);
	free(json);
	sample_set_free(&f.set);
	baseline_free(f.memory);
	return 0;
}
