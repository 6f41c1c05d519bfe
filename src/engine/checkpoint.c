/* checkpoint.c - reading safetensors files: validated, then copied. */
#include "checkpoint_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>

#include "core/mem.h"

/* Offsets and shapes travel as JSON numbers (doubles): anything above 2^53
 * cannot be an exact integer and is rejected. */
#define CKPT_MAX_INT 9007199254740992.0

typedef struct {
    char *key, *val; /* owned */
} ckpt_meta;

typedef struct {
    char *name; /* owned */
    int ndim;
    int shape[MT_CKPT_MAXDIM];
    size_t begin, end; /* bytes, relative to the data block */
} ckpt_tensor;

struct mt_ckpt {
    char *path;          /* owned, for messages */
    unsigned char *file; /* (size) owned: the whole file */
    size_t size;
    const unsigned char *data; /* borrowed from file: the data block */
    size_t data_size;
    ckpt_tensor *t; /* (count) owned, sorted by begin */
    int count;
    ckpt_tensor **by_name; /* (count) owned array of pointers into t, sorted by name */
    ckpt_meta *meta;       /* (nmeta) owned, sorted by key */
    int nmeta;
};

/* ---- reading ----------------------------------------------------------- */

void checkpoint_close(mt_ckpt *c)
{
    if (!c) return;
    for (int i = 0; i < c->count; i++) mt_free(c->t[i].name);
    for (int i = 0; i < c->nmeta; i++) {
        mt_free(c->meta[i].key);
        mt_free(c->meta[i].val);
    }
    mt_free(c->meta);
    mt_free(c->by_name);
    mt_free(c->t);
    mt_free(c->file);
    mt_free(c->path);
    mt_free(c);
}

static mt_status ckpt_read_file(mt_ckpt *c)
{
    FILE *f = fopen(c->path, "rb");
    if (!f) return mt_fail(MT_ERR_IO, "%s: cannot open: %s", c->path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return mt_fail(MT_ERR_IO, "%s: not a regular file", c->path);
    }
    c->size = (size_t)sb.st_size;
    c->file = mt_alloc(c->size ? c->size : 1);
    if (!c->file) {
        fclose(f);
        return mt_fail_prefix(MT_ERR_NOMEM, "%s", c->path);
    }
    size_t got = c->size ? fread(c->file, 1, c->size, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (got != c->size || err)
        return mt_fail(MT_ERR_IO, "%s: read %zu of %zu bytes", c->path, got, c->size);
    return MT_OK;
}

/* A JSON number that is an exact integer in [0, max]. */
static int ckpt_json_uint(const cJSON *v, double max, double *out)
{
    if (!cJSON_IsNumber(v)) return 0;
    double x = v->valuedouble;
    if (!(x >= 0 && x <= max) || x != (double)(uint64_t)x) return 0;
    *out = x;
    return 1;
}

static int ckpt_cmp_meta(const void *a, const void *b)
{
    return strcmp(((const ckpt_meta *)a)->key, ((const ckpt_meta *)b)->key);
}

/* Keys sorted for binary search; a key given twice is an error (JSON
 * allows it, but which value would be meant?). */
static mt_status ckpt_parse_meta(mt_ckpt *c, const cJSON *meta)
{
    if (!cJSON_IsObject(meta))
        return mt_fail(MT_ERR_FORMAT, "%s: __metadata__ is not an object", c->path);
    int n = cJSON_GetArraySize(meta);
    c->meta = mt_calloc((size_t)n + 1, sizeof *c->meta);
    if (!c->meta) return MT_ERR_NOMEM;
    const cJSON *e;
    cJSON_ArrayForEach(e, meta)
    {
        if (!cJSON_IsString(e))
            return mt_fail(MT_ERR_FORMAT, "%s: __metadata__ entry %s is not a string", c->path,
                           e->string);
        ckpt_meta *m = &c->meta[c->nmeta++];
        m->key = mt_strdup(e->string);
        m->val = mt_strdup(e->valuestring);
        if (!m->key || !m->val) return MT_ERR_NOMEM;
    }
    qsort(c->meta, (size_t)c->nmeta, sizeof *c->meta, ckpt_cmp_meta);
    for (int i = 1; i < c->nmeta; i++)
        if (strcmp(c->meta[i - 1].key, c->meta[i].key) == 0)
            return mt_fail(MT_ERR_FORMAT, "%s: __metadata__ key %s appears twice", c->path,
                           c->meta[i].key);
    return MT_OK;
}

static mt_status ckpt_parse_tensor(mt_ckpt *c, const cJSON *e, ckpt_tensor *t)
{
    const char *name = e->string;
    if (!cJSON_IsObject(e))
        return mt_fail(MT_ERR_FORMAT, "%s: tensor %s: entry is not an object", c->path, name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dtype))
        return mt_fail(MT_ERR_FORMAT, "%s: tensor %s: missing dtype", c->path, name);
    if (strcmp(dtype->valuestring, "F32") != 0)
        return mt_fail(MT_ERR_FORMAT, "%s: tensor %s: unsupported dtype %s (only F32)", c->path,
                       name, dtype->valuestring);
    if (!cJSON_IsArray(shape))
        return mt_fail(MT_ERR_FORMAT, "%s: tensor %s: missing shape", c->path, name);
    int nd = cJSON_GetArraySize(shape);
    if (nd > MT_CKPT_MAXDIM)
        return mt_fail(MT_ERR_FORMAT, "%s: tensor %s: rank %d exceeds %d", c->path, name, nd,
                       MT_CKPT_MAXDIM);
    t->ndim = nd;
    double elems = 1;
    for (int d = 0; d < nd; d++) {
        double x;
        if (!ckpt_json_uint(cJSON_GetArrayItem(shape, d), 2147483647.0, &x))
            return mt_fail(MT_ERR_FORMAT, "%s: tensor %s: shape[%d] is not a non-negative int",
                           c->path, name, d);
        t->shape[d] = (int)x;
        elems *= x;
    }
    double b, en;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        !ckpt_json_uint(cJSON_GetArrayItem(offs, 0), CKPT_MAX_INT, &b) ||
        !ckpt_json_uint(cJSON_GetArrayItem(offs, 1), CKPT_MAX_INT, &en))
        return mt_fail(MT_ERR_FORMAT, "%s: tensor %s: data_offsets is not [begin,end]", c->path,
                       name);
    char sh[128];
    ckpt_fmt_shape(sh, sizeof sh, t->ndim, t->shape);
    if (b > en || en > (double)c->data_size)
        return mt_fail(MT_ERR_FORMAT,
                       "%s: tensor %s: data_offsets [%.0f,%.0f] outside the data block of %zu bytes",
                       c->path, name, b, en, c->data_size);
    /* exact in double: both sides are below 2^53 or elems is far larger */
    if (en - b != elems * 4.0)
        return mt_fail(MT_ERR_FORMAT,
                       "%s: tensor %s: data_offsets [%.0f,%.0f] do not match shape %s of F32",
                       c->path, name, b, en, sh);
    t->begin = (size_t)b;
    t->end = (size_t)en;
    return MT_OK;
}

static int ckpt_cmp_begin(const void *a, const void *b)
{
    const ckpt_tensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int ckpt_cmp_name(const void *a, const void *b)
{
    return strcmp((*(const ckpt_tensor *const *)a)->name, (*(const ckpt_tensor *const *)b)->name);
}

/* The name index (and with it the duplicate check) by sorting: a header
 * of n entries costs O(n log n), not a search per entry. */
static mt_status ckpt_index_names(mt_ckpt *c)
{
    c->by_name = mt_calloc((size_t)c->count + 1, sizeof *c->by_name);
    if (!c->by_name) return MT_ERR_NOMEM;
    for (int i = 0; i < c->count; i++) c->by_name[i] = &c->t[i];
    qsort(c->by_name, (size_t)c->count, sizeof *c->by_name, ckpt_cmp_name);
    for (int i = 1; i < c->count; i++)
        if (strcmp(c->by_name[i - 1]->name, c->by_name[i]->name) == 0)
            return mt_fail(MT_ERR_FORMAT, "%s: tensor %s appears twice", c->path, c->by_name[i]->name);
    return MT_OK;
}

static mt_status ckpt_parse(mt_ckpt *c)
{
    if (c->size < 8)
        return mt_fail(MT_ERR_FORMAT, "%s: file is %zu bytes, too short for the header length",
                       c->path, c->size);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)c->file[i] << (8 * i);
    if (n > (uint64_t)(c->size - 8))
        return mt_fail(MT_ERR_FORMAT, "%s: header length %" PRIu64 " exceeds file size %zu",
                       c->path, n, c->size);
    const char *hdr = (const char *)c->file + 8;
    c->data = c->file + 8 + n;
    c->data_size = c->size - 8 - (size_t)n;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0);
    if (!root) {
        size_t at = end && end >= hdr ? (size_t)(end - hdr) : 0;
        return mt_fail(MT_ERR_FORMAT, "%s: header is not valid JSON at byte %zu", c->path, at);
    }
    mt_status st = MT_OK;
    for (const char *q = end; q < hdr + n; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
            st = mt_fail(MT_ERR_FORMAT, "%s: unexpected bytes after the JSON header at byte %zu",
                         c->path, (size_t)(q - hdr));
            goto done;
        }
    if (!cJSON_IsObject(root)) {
        st = mt_fail(MT_ERR_FORMAT, "%s: header is not a JSON object", c->path);
        goto done;
    }
    int total = cJSON_GetArraySize(root);
    c->t = mt_calloc((size_t)total + 1, sizeof *c->t);
    if (!c->t) {
        st = MT_ERR_NOMEM;
        goto done;
    }
    const cJSON *e;
    int seen_meta = 0;
    cJSON_ArrayForEach(e, root)
    {
        if (strcmp(e->string, "__metadata__") == 0) {
            if (seen_meta++) {
                st = mt_fail(MT_ERR_FORMAT, "%s: __metadata__ appears twice", c->path);
                goto done;
            }
            if ((st = ckpt_parse_meta(c, e)) != MT_OK) goto done;
            continue;
        }
        ckpt_tensor *t = &c->t[c->count];
        if ((st = ckpt_parse_tensor(c, e, t)) != MT_OK) goto done;
        if (!(t->name = mt_strdup(e->string))) {
            st = MT_ERR_NOMEM;
            goto done;
        }
        c->count++;
    }
    qsort(c->t, (size_t)c->count, sizeof *c->t, ckpt_cmp_begin);
    if ((st = ckpt_index_names(c)) != MT_OK) goto done;
    for (int i = 1; i < c->count; i++) {
        const ckpt_tensor *a = &c->t[i - 1], *b = &c->t[i];
        if (b->begin < a->end) {
            st = mt_fail(MT_ERR_FORMAT, "%s: tensors %s [%zu,%zu] and %s [%zu,%zu] overlap",
                         c->path, a->name, a->begin, a->end, b->name, b->begin, b->end);
            goto done;
        }
    }
done:
    cJSON_Delete(root);
    return st;
}

mt_status checkpoint_open(const char *path, mt_ckpt **out)
{
    *out = NULL;
    mt_ckpt *c = mt_calloc(1, sizeof *c);
    if (!c) return MT_ERR_NOMEM;
    c->path = mt_strdup(path);
    if (!c->path) {
        checkpoint_close(c);
        return MT_ERR_NOMEM;
    }
    mt_status st = ckpt_read_file(c);
    if (st == MT_OK) st = ckpt_parse(c);
    if (st != MT_OK) {
        if (st == MT_ERR_NOMEM) mt_fail(MT_ERR_NOMEM, "%s: out of memory reading", path);
        checkpoint_close(c);
        return st;
    }
    *out = c;
    return MT_OK;
}

int checkpoint_count(const mt_ckpt *c) { return c->count; }

const char *checkpoint_name(const mt_ckpt *c, int i)
{
    return i >= 0 && i < c->count ? c->t[i].name : NULL;
}

int checkpoint_find(const mt_ckpt *c, const char *name)
{
    int lo = 0, hi = c->count - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, r = strcmp(c->by_name[mid]->name, name);
        if (r == 0) return (int)(c->by_name[mid] - c->t);
        if (r < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

int checkpoint_shape(const mt_ckpt *c, int i, int *shape)
{
    if (i < 0 || i >= c->count) return -1;
    memcpy(shape, c->t[i].shape, (size_t)c->t[i].ndim * sizeof *shape);
    return c->t[i].ndim;
}

const char *checkpoint_meta(const mt_ckpt *c, const char *key)
{
    const ckpt_meta k = {(char *)key, NULL};
    const ckpt_meta *m = c->nmeta ? bsearch(&k, c->meta, (size_t)c->nmeta, sizeof *c->meta, ckpt_cmp_meta) : NULL;
    return m ? m->val : NULL;
}

static mt_status ckpt_check_shape(const mt_ckpt *c, const ckpt_tensor *t, int ndim,
                                  const int *shape, const char *what)
{
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    /* checkpoints before vectors took PyTorch's shape stored [n] as [1, n] */
    if (!same && ndim == 1 && t->ndim == 2 && t->shape[0] == 1 && t->shape[1] == shape[0]) same = 1;
    if (same) return MT_OK;
    char a[128], b[128];
    ckpt_fmt_shape(a, sizeof a, t->ndim, t->shape);
    ckpt_fmt_shape(b, sizeof b, ndim, shape);
    return mt_fail(MT_ERR_SHAPE, "%s: tensor %s has shape %s but the %s is %s", c->path, t->name,
                   a, what, b);
}

static void ckpt_copy(const mt_ckpt *c, const ckpt_tensor *t, float *dst)
{
    size_t bytes = t->end - t->begin;
    memcpy(dst, c->data + t->begin, bytes);
    if (!ckpt_host_le()) ckpt_bswap32((unsigned char *)dst, bytes / 4);
}

mt_status checkpoint_read(const mt_ckpt *c, const char *name, float *dst, int ndim,
                          const int *shape)
{
    int i = checkpoint_find(c, name);
    if (i < 0) return mt_fail(MT_ERR_FORMAT, "%s: no tensor %s in the file", c->path, name);
    mt_status st = ckpt_check_shape(c, &c->t[i], ndim, shape, "destination");
    if (st != MT_OK) return st;
    ckpt_copy(c, &c->t[i], dst);
    return MT_OK;
}

/* Checks everything first, then copies, so a failed load leaves p and the
 * blocks as they were. */
static mt_status ckpt_load_from(const mt_ckpt *c, mt_params *p, mt_ckpt_block *extra, int nextra,
                                int ignore_unknown)
{
    if (!p->data) return mt_fail(MT_ERR_STATE, "%s: parameters not allocated", c->path);
    int missing = 0, first_missing = -1;
    for (int i = 0; i < p->count + nextra; i++) {
        const char *name = i < p->count ? p->info[i].name : extra[i - p->count].name;
        int k = checkpoint_find(c, name);
        if (k < 0) {
            if (!missing++) first_missing = i;
            continue;
        }
        mt_status st = i < p->count
                           ? ckpt_check_shape(c, &c->t[k], p->info[i].ndim, p->info[i].shape,
                                              "parameter")
                           : ckpt_check_shape(c, &c->t[k], extra[i - p->count].ndim,
                                              extra[i - p->count].shape, "block");
        if (st != MT_OK) return st;
    }
    if (missing) {
        int i = first_missing;
        const char *name = i < p->count ? p->info[i].name : extra[i - p->count].name;
        if (missing == 1)
            return mt_fail(MT_ERR_FORMAT, "%s: tensor %s missing from the file", c->path, name);
        return mt_fail(MT_ERR_FORMAT, "%s: tensor %s and %d more missing from the file", c->path,
                       name, missing - 1);
    }
    /* every name asked for was found once (names are unique on both
     * sides), so the file holds more exactly when it has more tensors */
    if (!ignore_unknown && c->count > p->count + nextra) {
        unsigned char *used = mt_calloc((size_t)c->count, 1);
        if (!used) return MT_ERR_NOMEM;
        for (int i = 0; i < p->count + nextra; i++)
            used[checkpoint_find(c, i < p->count ? p->info[i].name : extra[i - p->count].name)] = 1;
        int k = 0;
        while (used[k]) k++;
        mt_free(used);
        return mt_fail(MT_ERR_FORMAT, "%s: tensor %s in the file is not part of the model", c->path,
                       c->t[k].name);
    }
    for (int i = 0; i < p->count; i++)
        ckpt_copy(c, &c->t[checkpoint_find(c, p->info[i].name)], p->data + p->info[i].offset);
    for (int j = 0; j < nextra; j++)
        ckpt_copy(c, &c->t[checkpoint_find(c, extra[j].name)], extra[j].data);
    return MT_OK;
}

mt_status checkpoint_load_ex(const char *path, mt_params *p, mt_ckpt_block *extra, int nextra,
                             int ignore_unknown)
{
    mt_ckpt *c;
    mt_status st = checkpoint_open(path, &c);
    if (st != MT_OK) return st;
    st = ckpt_load_from(c, p, extra, nextra, ignore_unknown);
    checkpoint_close(c);
    return st;
}

mt_status checkpoint_load(const char *path, mt_params *p)
{
    return checkpoint_load_ex(path, p, NULL, 0, 0);
}

/* ---- parameters plus optimizer state ------------------------------------ */

/* A counter from the metadata: a whole number in 0..OPTIM_MAX_STEPS,
 * digits only. A value past the bound would overflow the optimiser's
 * arithmetic (t + 1), so it is refused with the file and the key. */
static mt_status ckpt_meta_count(const mt_ckpt *c, const char *key, long *out)
{
    const char *v = checkpoint_meta(c, key);
    int ok = v && *v && strlen(v) <= 20;
    for (const char *q = v; ok && *q; q++) ok = *q >= '0' && *q <= '9';
    unsigned long long x = ok ? strtoull(v, NULL, 10) : 0;
    if (!ok || x > (unsigned long long)OPTIM_MAX_STEPS)
        return mt_fail(MT_ERR_FORMAT, "%s: metadata %s = \"%.40s%s\": expected a whole number in 0..%ld",
                       c->path, key, v ? v : "", v && strlen(v) > 40 ? "..." : "", OPTIM_MAX_STEPS);
    *out = (long)x;
    return MT_OK;
}

/* The optimiser's metadata, each value checked before anything is used. */
static mt_status ckpt_optim_meta(const mt_ckpt *c, const mt_optim *o, long *t, long *step)
{
    const char *kind = checkpoint_meta(c, "optim.kind");
    if (!kind || !checkpoint_meta(c, "optim.t") || !checkpoint_meta(c, "optim.step"))
        return mt_fail(MT_ERR_FORMAT, "%s: no optimizer state (metadata optim.kind, optim.t, optim.step)",
                       c->path);
    int known = 0;
    for (int k = 0; k < MT_OPTIM_KIND_COUNT; k++) known |= strcmp(kind, optim_kind_name((mt_optim_kind)k)) == 0;
    if (!known)
        return mt_fail(MT_ERR_FORMAT, "%s: metadata optim.kind = \"%.40s\": expected sgd, adam, adamw, rmsprop or adagrad",
                       c->path, kind);
    if (strcmp(kind, optim_kind_name(o->cfg.kind)) != 0)
        return mt_fail(MT_ERR_STATE, "%s: optimizer state is for %s, not %s", c->path, kind,
                       optim_kind_name(o->cfg.kind));
    mt_status st = ckpt_meta_count(c, "optim.t", t);
    if (st == MT_OK) st = ckpt_meta_count(c, "optim.step", step);
    if (st == MT_OK && *t > *step)
        st = mt_fail(MT_ERR_FORMAT, "%s: metadata optim.t = %ld exceeds optim.step = %ld (updates since a reset "
                     "cannot outnumber all updates)", c->path, *t, *step);
    return st;
}

mt_status checkpoint_load_train(const char *path, mt_params *p, mt_optim *o)
{
    mt_ckpt_block *b;
    char *names;
    mt_status st = ckpt_optim_blocks(path, p, o, &b, &names);
    if (st != MT_OK) return st;
    mt_ckpt *c = NULL;
    st = checkpoint_open(path, &c);
    long t = 0, step = 0;
    if (st == MT_OK) st = ckpt_optim_meta(c, o, &t, &step);
    if (st == MT_OK) st = ckpt_load_from(c, p, b, 2 * p->count, 0);
    if (st == MT_OK) {
        o->t = t;
        o->step = step;
    }
    checkpoint_close(c);
    mt_free(b);
    mt_free(names);
    return st;
}
