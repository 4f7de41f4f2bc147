#include "detector/model.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic_file.h"
#include "base/isotime.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model files are little-endian; add byte swapping for this platform"
#endif

#define MAX_TENSORS (3 * MLP_MAX_LAYERS + 8)

struct tensor {
	char name[32];
	const float *data;
	int64_t shape[2];
	int ndim;
};

static int set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The tensors of m in file order. */
static int list_tensors(const struct model *m, struct tensor *t)
{
	const struct mlp *enc = &m->det.enc;
	int n = 0;

	for (int l = 0; l < enc->n_layers; l++) {
		t[n] = (struct tensor){ .data = enc->w[l], .ndim = 2,
					.shape = { enc->sizes[l], enc->sizes[l + 1] } };
		snprintf(t[n++].name, sizeof t[0].name, "encoder.%d.weight", l);
		if (!enc->bn[l])
			continue;
		t[n] = (struct tensor){ .data = enc->bn_mean[l],
					.ndim = 1,
					.shape = { enc->sizes[l + 1] } };
		snprintf(t[n++].name, sizeof t[0].name, "encoder.%d.bn_mean", l);
		t[n] = (struct tensor){ .data = enc->bn_var[l],
					.ndim = 1,
					.shape = { enc->sizes[l + 1] } };
		snprintf(t[n++].name, sizeof t[0].name, "encoder.%d.bn_var", l);
	}
	t[n++] = (struct tensor){ "center", m->det.center, { mlp_dim_out(enc), 0 }, 1 };
	t[n++] = (struct tensor){ "scaler.offset", m->scaler.offset, { m->n_features, 0 }, 1 };
	t[n++] = (struct tensor){ "scaler.mult", m->scaler.mult, { m->n_features, 0 }, 1 };
	if (m->n_background > 0)
		t[n++] = (struct tensor){ "background", m->background,
					  { m->n_background, m->n_features }, 2 };
	return n;
}

static size_t tensor_bytes(const struct tensor *t)
{
	size_t n = sizeof(float);
	for (int i = 0; i < t->ndim; i++)
		n *= (size_t)t->shape[i];
	return n;
}

/* FNV-1a over the tensors and feature names: equal models, equal ids. */
static void compute_id(const struct model *m, const struct tensor *t, int nt, char *id)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < nt; i++) {
		const unsigned char *p = (const unsigned char *)t[i].data;
		for (size_t k = 0, n = tensor_bytes(&t[i]); k < n; k++)
			h = (h ^ p[k]) * 0x100000001b3ull;
	}
	for (int j = 0; j < m->n_features; j++)
		for (const char *p = m->features[j]; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	snprintf(id, MODEL_ID_LEN, "%016llx", (unsigned long long)h);
}

static json_t *double_array(const double *v, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

static json_t *training_json(const struct model *m)
{
	const struct deepsad_config *c = &m->cfg;
	json_t *hidden = json_array();

	for (int i = 0; i < c->n_hidden; i++)
		json_array_append_new(hidden, json_integer(c->hidden[i]));
	return json_pack("{s:o, s:b, s:s, s:f, s:f, s:f, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, "
			 "s:i, s:o, s:o}",
			 "hidden", hidden, "batchnorm", c->batchnorm, "init",
			 c->init_uniform ? "uniform" : "he-normal", "eta", c->eta, "lam", c->lam,
			 "lr", c->lr, "lr_milestone", c->lr_milestone, "batch_size", c->batch_size,
			 "epochs_pretrain", c->epochs_pretrain, "epochs", c->epochs, "seed",
			 (json_int_t)c->seed, "rows", (json_int_t)m->train_rows, "known_normal",
			 (json_int_t)m->train_normal, "known_anomaly", (json_int_t)m->train_anomaly,
			 "best_epoch", m->det.best_epoch + 1, "loss_pretrain",
			 double_array(m->det.loss_pretrain, m->det.n_loss_pretrain), "loss_train",
			 double_array(m->det.loss_train, m->det.n_loss_train));
}

/* Metadata values are strings (safetensors); structured ones hold JSON text. */
static void meta_set(json_t *meta, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void meta_set(json_t *meta, const char *key, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_object_set_new(meta, key, json_string(buf));
}

static void meta_set_json(json_t *meta, const char *key, json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT);
	json_object_set_new(meta, key, json_string(text ? text : "null"));
	free(text);
	json_decref(value);
}

static json_t *build_header(struct model *m, const struct tensor *t, int nt)
{
	json_t *hdr = json_object(), *meta = json_object(), *names = json_array();
	char when[ISOTIME_LEN];
	size_t off = 0;

	compute_id(m, t, nt, m->id);
	meta_set(meta, "format", "%s", MODEL_FORMAT);
	meta_set(meta, "format_version", "%d", MODEL_FORMAT_VERSION);
	meta_set(meta, "model_id", "%s", m->id);
	for (int j = 0; j < m->n_features; j++)
		json_array_append_new(names, json_string(m->features[j]));
	meta_set_json(meta, "features", names);
	meta_set(meta, "scaler", "%s", scaler_kind_name(m->scaler.kind));
	meta_set(meta, "score_median", "%.17g", m->det.score_median);
	meta_set(meta, "score_mad", "%.17g", m->det.score_mad);
	meta_set(meta, "window_seconds", "%u", m->window_seconds);
	meta_set(meta, "calibration_quantile", "%.17g", m->calib_quantile);
	meta_set(meta, "calibration_threshold", "%.17g", m->calib_threshold);
	meta_set(meta, "calibration_top", "%.17g", m->calib_top);
	meta_set_json(meta, "training", training_json(m));
	meta_set(meta, "data_start", "%s",
		 m->data_start ? isotime_format(m->data_start, when) : "");
	meta_set(meta, "data_end", "%s", m->data_end ? isotime_format(m->data_end, when) : "");
	meta_set(meta, "created_at", "%s", isotime_format(m->created_at, when));
	json_object_set_new(meta, "feature_spec",
			    json_string(m->feature_spec ? m->feature_spec : ""));
	json_object_set_new(hdr, "__metadata__", meta);
	for (int i = 0; i < nt; i++) {
		size_t n = tensor_bytes(&t[i]);
		json_t *shape = json_array();
		for (int k = 0; k < t[i].ndim; k++)
			json_array_append_new(shape, json_integer(t[i].shape[k]));
		json_object_set_new(hdr, t[i].name,
				    json_pack("{s:s, s:o, s:[I,I]}", "dtype", "F32", "shape", shape,
					      "data_offsets", (json_int_t)off,
					      (json_int_t)(off + n)));
		off += n;
	}
	return hdr;
}

struct model_text {
	const char *header;
	const struct tensor *t;
	int nt;
};

static int write_model(int fd, void *ctx)
{
	const struct model_text *m = ctx;
	size_t hlen = strlen(m->header), padded = (hlen + 7) & ~(size_t)7;
	uint64_t len_le = padded;
	int rc = atomic_file_write_all(fd, &len_le, 8);

	if (rc == 0)
		rc = atomic_file_write_all(fd, m->header, hlen);
	if (rc == 0 && padded > hlen)
		rc = atomic_file_write_all(fd, "        ", padded - hlen);
	for (int i = 0; rc == 0 && i < m->nt; i++)
		rc = atomic_file_write_all(fd, m->t[i].data, tensor_bytes(&m->t[i]));
	return rc;
}

int model_save(struct model *m, const char *path, char *err, size_t errlen)
{
	struct tensor t[MAX_TENSORS];
	int nt = list_tensors(m, t);
	json_t *hdr = build_header(m, t, nt);
	char *header = json_dumps(hdr, JSON_COMPACT);

	json_decref(hdr);
	if (!header)
		return set_err(err, errlen, "%s: out of memory", path), -ENOMEM;
	struct model_text text = { header, t, nt };
	int rc = atomic_file_replace(path, write_model, &text, err, errlen);
	free(header);
	return rc;
}

/* --- loading ---------------------------------------------------------------- */

struct loader {
	const uint8_t *data; /* the tensor buffer after the header */
	size_t data_len;
	json_t *hdr, *meta;
	int used;            /* tensors consumed, to find unknown ones */
	char *err;
	size_t errlen;
};

/* Looks up tensor name of ndim dimensions; want[i] > 0 demands that extent.
 * Copies its values into a new array (the file buffer is not aligned for
 * floats) and checks them finite. Returns NULL with err set, or when
 * optional and absent (then *absent = 1). */
static float *get_tensor(struct loader *ld, const char *name, int ndim, const int64_t *want,
			 int64_t *shape, int *absent)
{
	json_t *t = json_object_get(ld->hdr, name), *jshape, *offs;
	const char *dtype;
	size_t count = 1;

	if (absent)
		*absent = !t;
	if (!t) {
		if (!absent)
			set_err(ld->err, ld->errlen, "tensor '%s' is missing", name);
		return NULL;
	}
	ld->used++;
	if (json_unpack(t, "{s:s, s:o, s:o}", "dtype", &dtype, "shape", &jshape, "data_offsets",
			&offs) < 0 || !json_is_array(jshape) || !json_is_array(offs) ||
	    json_array_size(offs) != 2)
		return set_err(ld->err, ld->errlen,
			       "tensor '%s': expected dtype, shape and data_offsets", name),
		       NULL;
	if (strcmp(dtype, "F32") != 0)
		return set_err(ld->err, ld->errlen, "tensor '%s': dtype %s, expected F32", name,
			       dtype),
		       NULL;
	if ((int)json_array_size(jshape) != ndim)
		return set_err(ld->err, ld->errlen, "tensor '%s': %zu dimensions, expected %d",
			       name, json_array_size(jshape), ndim),
		       NULL;
	for (int i = 0; i < ndim; i++) {
		json_t *e = json_array_get(jshape, (size_t)i);
		shape[i] = json_is_integer(e) ? json_integer_value(e) : -1;
		if (shape[i] < 1 || shape[i] > (1 << 24) || (want[i] > 0 && shape[i] != want[i]))
			return set_err(ld->err, ld->errlen,
				       "tensor '%s': dimension %d is %lld, expected %lld", name, i,
				       (long long)shape[i], (long long)want[i]),
			       NULL;
		count *= (size_t)shape[i];
		if (count > ((size_t)1 << 31))
			return set_err(ld->err, ld->errlen, "tensor '%s' is too large", name), NULL;
	}
	json_t *b = json_array_get(offs, 0), *e = json_array_get(offs, 1);
	json_int_t begin = json_is_integer(b) ? json_integer_value(b) : -1;
	json_int_t end = json_is_integer(e) ? json_integer_value(e) : -1;
	if (begin < 0 || end < begin || (size_t)end > ld->data_len ||
	    (size_t)(end - begin) != count * sizeof(float))
		return set_err(ld->err, ld->errlen,
			       "tensor '%s': data_offsets [%lld, %lld] do not fit "
			       "its shape in a %zu-byte buffer",
			       name, (long long)begin, (long long)end, ld->data_len),
		       NULL;
	float *v = malloc(count * sizeof *v);
	if (!v)
		return set_err(ld->err, ld->errlen, "out of memory"), NULL;
	memcpy(v, ld->data + begin, count * sizeof *v);
	for (size_t i = 0; i < count; i++)
		if (!isfinite(v[i])) {
			free(v);
			return set_err(ld->err, ld->errlen, "tensor '%s': value %zu is not finite",
				       name, i),
			       NULL;
		}
	return v;
}

static const char *meta_str(struct loader *ld, const char *key)
{
	const char *s = json_string_value(json_object_get(ld->meta, key));
	if (!s)
		set_err(ld->err, ld->errlen, "metadata '%s' is missing", key);
	return s;
}

static int meta_double(struct loader *ld, const char *key, double *out)
{
	const char *s = meta_str(ld, key);
	char *end;
	if (!s)
		return -EINVAL;
	*out = strtod(s, &end);
	if (end == s || *end || !isfinite(*out))
		return set_err(ld->err, ld->errlen,
			       "metadata '%s': expected a finite number, got '%s'", key, s);
	return 0;
}

static int meta_time(struct loader *ld, const char *key, int64_t *out)
{
	const char *s = meta_str(ld, key);
	if (!s)
		return -EINVAL;
	*out = 0;
	if (*s && isotime_parse(s, out) < 0)
		return set_err(ld->err, ld->errlen,
			       "metadata '%s': expected an ISO 8601 time, got '%s'", key, s);
	return 0;
}

static int load_features(struct loader *ld, struct model *m)
{
	const char *s = meta_str(ld, "features");
	json_t *a = s ? json_loads(s, 0, NULL) : NULL;
	int rc = 0;

	if (!s)
		return -EINVAL;
	if (!json_is_array(a) || json_array_size(a) < 1 ||
	    json_array_size(a) > MODEL_MAX_FEATURES) {
		json_decref(a);
		return set_err(ld->err, ld->errlen,
			       "metadata 'features': expected a JSON array of names");
	}
	m->n_features = (int)json_array_size(a);
	m->features = calloc((size_t)m->n_features, sizeof *m->features);
	for (int j = 0; rc == 0 && j < m->n_features; j++) {
		const char *name = json_string_value(json_array_get(a, (size_t)j));
		if (!m->features)
			rc = set_err(ld->err, ld->errlen, "out of memory");
		else if (!name)
			rc = set_err(ld->err, ld->errlen,
				     "metadata 'features': entry %d is not a string", j);
		else if (!(m->features[j] = strdup(name)))
			rc = set_err(ld->err, ld->errlen, "out of memory");
	}
	json_decref(a);
	return rc;
}

static int load_history(struct loader *ld, json_t *arr, double **out, int *n)
{
	size_t len = json_array_size(arr);
	*n = (int)len;
	*out = calloc(len + 1, sizeof **out);
	if (!*out)
		return set_err(ld->err, ld->errlen, "out of memory");
	for (size_t i = 0; i < len; i++)
		(*out)[i] = json_number_value(json_array_get(arr, i));
	return 0;
}

static int load_training(struct loader *ld, struct model *m)
{
	const char *s = meta_str(ld, "training");
	json_t *t = s ? json_loads(s, 0, NULL) : NULL, *hidden = NULL, *lp = NULL, *lt = NULL;
	struct deepsad_config *c = &m->cfg;
	json_int_t seed = 0, rows = 0, normal = 0, anomaly = 0;
	int best = 0, rc;

	if (!s)
		return -EINVAL;
	const char *init = "";
	rc = json_unpack(t,
			 "{s:o, s:b, s:s, s:F, s:F, s:F, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, "
			 "s:i, s:o, s:o}",
			 "hidden", &hidden, "batchnorm", &c->batchnorm, "init", &init, "eta",
			 &c->eta, "lam", &c->lam, "lr", &c->lr, "lr_milestone", &c->lr_milestone,
			 "batch_size", &c->batch_size, "epochs_pretrain", &c->epochs_pretrain,
			 "epochs", &c->epochs, "seed", &seed, "rows", &rows, "known_normal",
			 &normal, "known_anomaly", &anomaly, "best_epoch", &best, "loss_pretrain",
			 &lp, "loss_train", &lt);
	if (rc < 0 || !json_is_array(hidden) || !json_is_array(lp) || !json_is_array(lt) ||
	    json_array_size(hidden) > DEEPSAD_MAX_HIDDEN) {
		json_decref(t);
		return set_err(ld->err, ld->errlen,
			       "metadata 'training': expected the training record");
	}
	c->init_uniform = strcmp(init, "uniform") == 0;
	c->n_hidden = (int)json_array_size(hidden);
	for (int i = 0; i < c->n_hidden; i++)
		c->hidden[i] = (int)json_integer_value(json_array_get(hidden, (size_t)i));
	c->seed = (uint64_t)seed;
	m->train_rows = (size_t)rows;
	m->train_normal = (size_t)normal;
	m->train_anomaly = (size_t)anomaly;
	m->det.best_epoch = best - 1;
	rc = load_history(ld, lp, &m->det.loss_pretrain, &m->det.n_loss_pretrain);
	if (rc == 0)
		rc = load_history(ld, lt, &m->det.loss_train, &m->det.n_loss_train);
	json_decref(t);
	return rc;
}

/* Running statistics of the layers that have them; both or neither. */
static int load_batchnorm(struct loader *ld, struct mlp *enc)
{
	uint8_t bn[MLP_MAX_LAYERS] = { 0 };
	float *mean[MLP_MAX_LAYERS] = { 0 }, *var[MLP_MAX_LAYERS] = { 0 };
	char name[32];
	int rc = 0;

	for (int l = 0; l < enc->n_layers && rc == 0; l++) {
		int64_t want[1] = { enc->sizes[l + 1] }, shape[1];
		int no_mean, no_var;
		snprintf(name, sizeof name, "encoder.%d.bn_mean", l);
		mean[l] = get_tensor(ld, name, 1, want, shape, &no_mean);
		snprintf(name, sizeof name, "encoder.%d.bn_var", l);
		var[l] = get_tensor(ld, name, 1, want, shape, &no_var);
		if (no_mean != no_var)
			rc = set_err(ld->err, ld->errlen,
				     "layer %d has only one of bn_mean and bn_var", l);
		else if (!no_mean && (!mean[l] || !var[l]))
			rc = -EINVAL;
		bn[l] = !no_mean;
		for (int j = 0; rc == 0 && bn[l] && j < enc->sizes[l + 1]; j++)
			if (var[l][j] < 0)
				rc = set_err(ld->err, ld->errlen, "tensor '%s': negative variance",
					     name);
	}
	if (rc == 0 && mlp_enable_batchnorm(enc, bn) < 0)
		rc = set_err(ld->err, ld->errlen, "out of memory");
	for (int l = 0; l < enc->n_layers; l++) {
		if (rc == 0 && bn[l]) {
			memcpy(enc->bn_mean[l], mean[l], sizeof(float) * (size_t)enc->sizes[l + 1]);
			memcpy(enc->bn_var[l], var[l], sizeof(float) * (size_t)enc->sizes[l + 1]);
		}
		free(mean[l]);
		free(var[l]);
	}
	return rc;
}

static int load_encoder(struct loader *ld, struct model *m)
{
	float *w[MLP_MAX_LAYERS + 1] = { 0 };
	int sizes[MLP_MAX_LAYERS + 1], n_layers = 0, rc = 0;
	uint8_t leaky[MLP_MAX_LAYERS];
	char name[32];

	sizes[0] = m->n_features;
	for (;; n_layers++) {
		int64_t want[2] = { sizes[n_layers], 0 }, shape[2];
		int absent;
		snprintf(name, sizeof name, "encoder.%d.weight", n_layers);
		if (n_layers > MLP_MAX_LAYERS) {
			rc = set_err(ld->err, ld->errlen, "more than %d encoder layers",
				     MLP_MAX_LAYERS);
			break;
		}
		w[n_layers] = get_tensor(ld, name, 2, want, shape, &absent);
		if (absent)
			break;
		if (!w[n_layers]) {
			rc = -EINVAL;
			break;
		}
		sizes[n_layers + 1] = (int)shape[1];
	}
	if (rc == 0 && n_layers == 0)
		rc = set_err(ld->err, ld->errlen, "tensor 'encoder.0.weight' is missing");
	for (int l = 0; l < n_layers; l++)
		leaky[l] = l < n_layers - 1;
	if (rc == 0 && mlp_init(&m->det.enc, n_layers, sizes, leaky) < 0)
		rc = set_err(ld->err, ld->errlen, "out of memory");
	for (int l = 0; l < n_layers; l++) {
		if (rc == 0)
			memcpy(m->det.enc.w[l], w[l],
			       sizeof(float) * (size_t)sizes[l] * (size_t)sizes[l + 1]);
		free(w[l]);
	}
	return rc == 0 ? load_batchnorm(ld, &m->det.enc) : rc;
}

static int load_tensors(struct loader *ld, struct model *m)
{
	int64_t shape[2], want_k[1] = { mlp_dim_out(&m->det.enc) },
			  want_d[2] = { m->n_features, 0 };
	int absent, kind;
	const char *sk;

	if (!(m->det.center = get_tensor(ld, "center", 1, want_k, shape, NULL)))
		return -EINVAL;
	if (!(sk = meta_str(ld, "scaler")))
		return -EINVAL;
	if ((kind = scaler_kind_parse(sk)) < 0)
		return set_err(ld->err, ld->errlen, "metadata 'scaler': unknown kind '%s'", sk);
	m->scaler.kind = (enum scaler_kind)kind;
	m->scaler.dim = m->n_features;
	if (!(m->scaler.offset = get_tensor(ld, "scaler.offset", 1, want_d, shape, NULL)) ||
	    !(m->scaler.mult = get_tensor(ld, "scaler.mult", 1, want_d, shape, NULL)))
		return -EINVAL;
	int64_t want_bg[2] = { 0, m->n_features };
	m->background = get_tensor(ld, "background", 2, want_bg, shape, &absent);
	if (!absent && !m->background)
		return -EINVAL;
	m->n_background = absent ? 0 : (int)shape[0];
	/* every tensor in the header must be one of ours */
	if ((size_t)ld->used != json_object_size(ld->hdr) - 1)
		return set_err(ld->err, ld->errlen, "the header lists %zu tensors, %d expected",
			       json_object_size(ld->hdr) - 1, ld->used);
	return 0;
}

/* Optional: absent or empty for matrix models. Kept as the text it is: the
 * features stage reads it (vectorize_model_spec checks it against the
 * model's features). */
static int load_feature_spec(struct loader *ld, struct model *m)
{
	json_t *v = json_object_get(ld->meta, "feature_spec");
	const char *s = json_string_value(v);

	if (v && !s)
		return set_err(ld->err, ld->errlen, "metadata 'feature_spec' must be a string");
	if (!s || !*s)
		return 0;
	if (!(m->feature_spec = strdup(s)))
		return set_err(ld->err, ld->errlen, "out of memory");
	return 0;
}

static int load_meta(struct loader *ld, struct model *m)
{
	const char *fmt, *ver, *id;
	double window;

	ld->meta = json_object_get(ld->hdr, "__metadata__");
	if (!json_is_object(ld->meta))
		return set_err(ld->err, ld->errlen, "no __metadata__ object in the header");
	if (!(fmt = meta_str(ld, "format")) || !(ver = meta_str(ld, "format_version")))
		return -EINVAL;
	if (strcmp(fmt, MODEL_FORMAT) != 0)
		return set_err(ld->err, ld->errlen, "format '%s', expected '%s'", fmt,
			       MODEL_FORMAT);
	if (atoi(ver) != MODEL_FORMAT_VERSION)
		return set_err(ld->err, ld->errlen,
			       "format version %s; this flowsad reads version %d", ver,
			       MODEL_FORMAT_VERSION);
	if (!(id = meta_str(ld, "model_id")))
		return -EINVAL;
	snprintf(m->id, sizeof m->id, "%s", id);
	if (load_features(ld, m) < 0 || load_training(ld, m) < 0 ||
	    meta_double(ld, "score_median", &m->det.score_median) < 0 ||
	    meta_double(ld, "score_mad", &m->det.score_mad) < 0 ||
	    meta_double(ld, "window_seconds", &window) < 0 ||
	    meta_time(ld, "data_start", &m->data_start) < 0 ||
	    meta_time(ld, "data_end", &m->data_end) < 0 ||
	    meta_time(ld, "created_at", &m->created_at) < 0)
		return -EINVAL;
	if (!(m->det.score_mad > 0))
		return set_err(ld->err, ld->errlen, "metadata 'score_mad' must be positive");
	/* optional: models made before calibration have none */
	if (json_object_get(ld->meta, "calibration_quantile") &&
	    (meta_double(ld, "calibration_quantile", &m->calib_quantile) < 0 ||
	     meta_double(ld, "calibration_threshold", &m->calib_threshold) < 0 ||
	     meta_double(ld, "calibration_top", &m->calib_top) < 0))
		return -EINVAL;
	if (m->calib_quantile < 0 || m->calib_quantile > 1)
		return set_err(ld->err, ld->errlen,
			       "metadata 'calibration_quantile' must be in [0, 1]");
	if (load_feature_spec(ld, m) < 0)
		return -EINVAL;
	if (window < 0 || window > 366 * 86400.0)
		return set_err(ld->err, ld->errlen, "metadata 'window_seconds' out of range");
	m->window_seconds = (uint32_t)window;
	return 0;
}

/* The id is a hash of the tensors and feature names: a file whose bytes
 * changed on disk after it was written (a flipped bit, a bad sector) loads
 * no more, where it would have scored with damaged weights. */
static int check_id(const struct model *m, char *err, size_t errlen)
{
	struct tensor t[MAX_TENSORS];
	char id[MODEL_ID_LEN];
	compute_id(m, t, list_tensors(m, t), id);
	if (strcmp(id, m->id) == 0)
		return 0;
	set_err(err, errlen, "its tensors hash to %s, not to its model_id %s: the file is damaged",
		id, m->id);
	return -EINVAL;
}

struct model *model_parse(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen };
	struct model *m = calloc(1, sizeof *m);
	uint64_t hlen;
	json_error_t jerr;
	int rc = -EINVAL;

	if (!m)
		return set_err(err, errlen, "out of memory"), NULL;
	if (len < 8) {
		set_err(err, errlen, "%zu bytes: too short for a safetensors header", len);
		goto out;
	}
	memcpy(&hlen, buf, 8);
	if (hlen < 2 || hlen > MODEL_MAX_HEADER || hlen > len - 8) {
		set_err(err, errlen, "header length %llu does not fit a %zu-byte file",
			(unsigned long long)hlen, len);
		goto out;
	}
	ld.hdr = json_loadb((const char *)buf + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(ld.hdr)) {
		set_err(err, errlen, "header JSON: %s (column %d)",
			ld.hdr ? "not an object" : jerr.text, jerr.column);
		goto out;
	}
	ld.data = buf + 8 + hlen;
	ld.data_len = len - 8 - (size_t)hlen;
	rc = load_meta(&ld, m);
	if (rc == 0)
		rc = load_encoder(&ld, m);
	if (rc == 0)
		rc = load_tensors(&ld, m);
	if (rc == 0)
		rc = check_id(m, err, errlen);
out:
	json_decref(ld.hdr);
	if (rc < 0) {
		model_free(m);
		return NULL;
	}
	return m;
}

struct model *model_load(const char *path, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	char why[512];

	if (atomic_file_read(path, &buf, &len, err, errlen) < 0)
		return NULL;
	struct model *m = model_parse(buf, len, why, sizeof why);
	if (!m)
		snprintf(err, errlen, "%s: not a valid flowsad model: %s", path, why);
	free(buf);
	return m;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	deepsad_free(&m->det);
	scaler_free(&m->scaler);
	if (m->features)
		for (int j = 0; j < m->n_features; j++)
			free(m->features[j]);
	free(m->features);
	free(m->background);
	free(m->feature_spec);
	free(m);
}

double model_alert_threshold(const struct model *m, double min_score)
{
	return m->calib_quantile > 0 && m->calib_threshold > min_score ? m->calib_threshold
								       : min_score;
}

struct json_t *model_info(const struct model *m)
{
	json_t *features = json_array(), *layers = json_array();
	char created[ISOTIME_LEN], start[ISOTIME_LEN], end[ISOTIME_LEN];

	for (int j = 0; j < m->n_features; j++)
		json_array_append_new(features, json_string(m->features[j]));
	for (int l = 0; l <= m->det.enc.n_layers; l++)
		json_array_append_new(layers, json_integer(m->det.enc.sizes[l]));
	json_t *spec = m->feature_spec ? json_loads(m->feature_spec, 0, NULL) : NULL;
	json_t *info = json_pack(
		"{s:s, s:s, s:i, s:s, s:o, s:o, s:s, s:f, s:f, s:i, s:i, s:s?, s:s?, s:o, s:o}",
		"model_id", m->id, "format", MODEL_FORMAT, "format_version", MODEL_FORMAT_VERSION,
		"created_at", isotime_format(m->created_at, created), "features", features,
		"layers", layers, "scaler", scaler_kind_name(m->scaler.kind), "score_median",
		m->det.score_median, "score_mad", m->det.score_mad, "window_seconds",
		(int)m->window_seconds, "background_rows", m->n_background, "data_start",
		m->data_start ? isotime_format(m->data_start, start) : NULL, "data_end",
		m->data_end ? isotime_format(m->data_end, end) : NULL, "training", training_json(m),
		"feature_spec", spec ? spec : json_null());
	json_object_set_new(info, "calibration",
			    json_pack("{s:f, s:f, s:f}", "quantile", m->calib_quantile, "threshold",
				      m->calib_threshold, "top", m->calib_top));
	return info;
}
