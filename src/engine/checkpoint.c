#include "checkpoint.h"

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
    char **meta_keys, **meta_vals; /* (nmeta) owned */
    int nmeta;
};

static int ckpt_host_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void ckpt_bswap32(unsigned char *p, size_t nwords)
{
    for (size_t i = 0; i < nwords; i++, p += 4) {
        unsigned char a = p[0], b = p[1];
        p[0] = p[3];
        p[1] = p[2];
        p[2] = b;
        p[3] = a;
    }
}

static void ckpt_fmt_shape(char *buf, size_t cap, int ndim, const int *shape)
{
    size_t n = 0;
    n += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "", shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

static size_t ckpt_elems(int ndim, const int *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    return n;
}

/* ---- writing ----------------------------------------------------------- */

typedef struct {
    const char *name;
    int ndim;
    const int *shape;
    const float *data;
    size_t n; /* floats */
} ckpt_out;

static mt_status ckpt_write_all(FILE *f, const void *buf, size_t n)
{
    if (n && fwrite(buf, 1, n, f) != n) return MT_ERR_IO;
    return MT_OK;
}

/* Floats go out little-endian whatever the host; on a little-endian host
 * that is one fwrite. */
static mt_status ckpt_write_floats(FILE *f, const float *x, size_t n)
{
    if (ckpt_host_le()) return ckpt_write_all(f, x, n * sizeof(float));
    unsigned char tmp[4096];
    while (n) {
        size_t k = n < sizeof tmp / 4 ? n : sizeof tmp / 4;
        memcpy(tmp, x, k * 4);
        ckpt_bswap32(tmp, k);
        if (ckpt_write_all(f, tmp, k * 4) != MT_OK) return MT_ERR_IO;
        x += k;
        n -= k;
    }
    return MT_OK;
}

/* The JSON header for the tensors, unpadded; caller frees with cJSON_free. */
static mt_status ckpt_header(const char *path, const ckpt_out *ts, int n,
                             const char *const *keys, const char *const *vals, int nmeta,
                             char **out)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root) return mt_fail(MT_ERR_NOMEM, "%s: out of memory building the header", path);
    mt_status st = MT_OK;
    if (nmeta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; meta && i < nmeta; i++) {
            if (!keys[i] || !vals[i]) {
                st = mt_fail(MT_ERR_ARG, "%s: metadata entry %d is NULL", path, i);
                goto done;
            }
            if (cJSON_GetObjectItemCaseSensitive(meta, keys[i])) {
                st = mt_fail(MT_ERR_ARG, "%s: metadata key %s given twice", path, keys[i]);
                goto done;
            }
            if (!cJSON_AddStringToObject(meta, keys[i], vals[i])) meta = NULL;
        }
        if (!meta) goto nomem;
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const ckpt_out *t = &ts[i];
        if (!t->name || !t->name[0] || strcmp(t->name, "__metadata__") == 0) {
            st = mt_fail(MT_ERR_ARG, "%s: tensor %d has an invalid name \"%s\"", path, i,
                         t->name ? t->name : "(null)");
            goto done;
        }
        if (cJSON_GetObjectItemCaseSensitive(root, t->name)) {
            st = mt_fail(MT_ERR_ARG, "%s: tensor %s given twice", path, t->name);
            goto done;
        }
        cJSON *o = cJSON_AddObjectToObject(root, t->name);
        if (!o || !cJSON_AddStringToObject(o, "dtype", "F32")) goto nomem;
        cJSON *sh = cJSON_AddArrayToObject(o, "shape");
        cJSON *offs = cJSON_AddArrayToObject(o, "data_offsets");
        if (!sh || !offs) goto nomem;
        for (int d = 0; d < t->ndim; d++) {
            cJSON *v = cJSON_CreateNumber(t->shape[d]);
            if (!v || !cJSON_AddItemToArray(sh, v)) goto nomem;
        }
        size_t end = off + t->n * sizeof(float);
        cJSON *b = cJSON_CreateNumber((double)off), *e = cJSON_CreateNumber((double)end);
        if (!b || !cJSON_AddItemToArray(offs, b)) goto nomem;
        if (!e || !cJSON_AddItemToArray(offs, e)) goto nomem;
        off = end;
    }
    *out = cJSON_PrintUnformatted(root);
    if (!*out) goto nomem;
    goto done;
nomem:
    st = mt_fail(MT_ERR_NOMEM, "%s: out of memory building the header", path);
done:
    cJSON_Delete(root);
    return st;
}

/* Best effort: makes the rename itself durable. */
static void ckpt_sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0) n = 1; /* "/file" */
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static mt_status ckpt_write(const char *path, const ckpt_out *ts, int n, const char *const *keys,
                            const char *const *vals, int nmeta)
{
    char *json = NULL;
    mt_status st = ckpt_header(path, ts, n, keys, vals, nmeta, &json);
    if (st != MT_OK) return st;
    size_t jlen = strlen(json);
    size_t hlen = (jlen + 7) & ~(size_t)7;

    char tmp[4096];
    int tn = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (tn < 0 || (size_t)tn >= sizeof tmp) {
        cJSON_free(json);
        return mt_fail(MT_ERR_ARG, "%s: path too long", path);
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int e = errno;
        cJSON_free(json);
        return mt_fail(MT_ERR_IO, "%s: cannot create %s: %s", path, tmp, strerror(e));
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    static const char spaces[8] = "        ";
    int bad = ckpt_write_all(f, len8, 8) != MT_OK || ckpt_write_all(f, json, jlen) != MT_OK ||
              ckpt_write_all(f, spaces, hlen - jlen) != MT_OK;
    cJSON_free(json);
    for (int i = 0; i < n && !bad; i++) bad = ckpt_write_floats(f, ts[i].data, ts[i].n) != MT_OK;
    if (!bad) bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(tmp);
        return mt_fail(MT_ERR_IO, "%s: writing %s failed: %s", path, tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return mt_fail(MT_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(e));
    }
    ckpt_sync_dir(path);
    return MT_OK;
}

static mt_status ckpt_collect(const char *path, const mt_params *p, const mt_ckpt_block *extra,
                              int nextra, ckpt_out **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!p->data) return mt_fail(MT_ERR_STATE, "%s: parameters not allocated", path);
    if (nextra < 0) return mt_fail(MT_ERR_ARG, "%s: negative block count", path);
    ckpt_out *ts = mt_calloc((size_t)p->count + (size_t)nextra + 1, sizeof *ts);
    if (!ts) return MT_ERR_NOMEM;
    int k = 0;
    for (int i = 0; i < p->count; i++, k++) {
        const mt_param_info *pi = &p->info[i];
        ts[k] = (ckpt_out){pi->name, pi->ndim, pi->shape, p->data + pi->offset, pi->size};
    }
    for (int i = 0; i < nextra; i++, k++) {
        const mt_ckpt_block *b = &extra[i];
        if (b->ndim < 0 || b->ndim > MT_CKPT_MAXDIM) {
            mt_free(ts);
            return mt_fail(MT_ERR_ARG, "%s: block %s: rank %d not in 0..%d", path,
                           b->name ? b->name : "(null)", b->ndim, MT_CKPT_MAXDIM);
        }
        for (int d = 0; d < b->ndim; d++)
            if (b->shape[d] < 0) {
                mt_free(ts);
                return mt_fail(MT_ERR_ARG, "%s: block %s: dimension %d is %d", path,
                               b->name ? b->name : "(null)", d, b->shape[d]);
            }
        ts[k] = (ckpt_out){b->name, b->ndim, b->shape, b->data, ckpt_elems(b->ndim, b->shape)};
        if (ts[k].n && !b->data) {
            mt_free(ts);
            return mt_fail(MT_ERR_ARG, "%s: block %s has no data", path, b->name);
        }
    }
    *out = ts;
    *n = k;
    return MT_OK;
}

mt_status checkpoint_save_ex(const char *path, const mt_params *p, const mt_ckpt_block *extra,
                             int nextra, const char *const *meta_keys,
                             const char *const *meta_vals, int nmeta)
{
    ckpt_out *ts;
    int n;
    mt_status st = ckpt_collect(path, p, extra, nextra, &ts, &n);
    if (st != MT_OK) return st;
    st = ckpt_write(path, ts, n, meta_keys, meta_vals, nmeta);
    mt_free(ts);
    return st;
}

mt_status checkpoint_save(const char *path, const mt_params *p, const char *const *meta_keys,
                          const char *const *meta_vals, int nmeta)
{
    return checkpoint_save_ex(path, p, NULL, 0, meta_keys, meta_vals, nmeta);
}

/* ---- reading ----------------------------------------------------------- */

void checkpoint_close(mt_ckpt *c)
{
    if (!c) return;
    for (int i = 0; i < c->count; i++) mt_free(c->t[i].name);
    for (int i = 0; i < c->nmeta; i++) {
        mt_free(c->meta_keys[i]);
        mt_free(c->meta_vals[i]);
    }
    mt_free(c->meta_keys);
    mt_free(c->meta_vals);
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

static mt_status ckpt_parse_meta(mt_ckpt *c, const cJSON *meta)
{
    if (!cJSON_IsObject(meta))
        return mt_fail(MT_ERR_FORMAT, "%s: __metadata__ is not an object", c->path);
    int n = cJSON_GetArraySize(meta);
    c->meta_keys = mt_calloc((size_t)n + 1, sizeof(char *));
    c->meta_vals = mt_calloc((size_t)n + 1, sizeof(char *));
    if (!c->meta_keys || !c->meta_vals) return MT_ERR_NOMEM;
    const cJSON *e;
    cJSON_ArrayForEach(e, meta)
    {
        if (!cJSON_IsString(e))
            return mt_fail(MT_ERR_FORMAT, "%s: __metadata__ entry %s is not a string", c->path,
                           e->string);
        c->meta_keys[c->nmeta] = mt_strdup(e->string);
        c->meta_vals[c->nmeta] = mt_strdup(e->valuestring);
        c->nmeta++;
        if (!c->meta_keys[c->nmeta - 1] || !c->meta_vals[c->nmeta - 1]) return MT_ERR_NOMEM;
    }
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
        if (checkpoint_find(c, e->string) >= 0) {
            st = mt_fail(MT_ERR_FORMAT, "%s: tensor %s appears twice", c->path, e->string);
            goto done;
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
    for (int i = 0; i < c->count; i++)
        if (strcmp(c->t[i].name, name) == 0) return i;
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
    for (int i = 0; i < c->nmeta; i++)
        if (strcmp(c->meta_keys[i], key) == 0) return c->meta_vals[i];
    return NULL;
}

static mt_status ckpt_check_shape(const mt_ckpt *c, const ckpt_tensor *t, int ndim,
                                  const int *shape, const char *what)
{
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
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
    if (!ignore_unknown) {
        for (int k = 0; k < c->count; k++) {
            const char *name = c->t[k].name;
            int known = params_find(p, name) >= 0;
            for (int j = 0; !known && j < nextra; j++) known = strcmp(extra[j].name, name) == 0;
            if (!known)
                return mt_fail(MT_ERR_FORMAT, "%s: tensor %s in the file is not part of the model",
                               c->path, name);
        }
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

/* Blocks "optim.m.<name>" and "optim.v.<name>" viewing o's buffers with
 * each parameter's shape; names live in one allocation freed with blocks. */
static mt_status ckpt_optim_blocks(const char *path, const mt_params *p, const mt_optim *o,
                                   mt_ckpt_block **out, char **names)
{
    *out = NULL;
    *names = NULL;
    if (!o->m || o->n != p->total)
        return mt_fail(MT_ERR_SHAPE, "%s: optimizer holds %zu floats but the arena has %zu", path,
                       o->n, p->total);
    size_t stride = MT_PARAM_NAME + 16;
    mt_ckpt_block *b = mt_calloc((size_t)p->count * 2 + 1, sizeof *b);
    char *nm = mt_calloc((size_t)p->count * 2 + 1, stride);
    if (!b || !nm) {
        mt_free(b);
        mt_free(nm);
        return MT_ERR_NOMEM;
    }
    for (int i = 0; i < p->count; i++)
        for (int w = 0; w < 2; w++) {
            const mt_param_info *pi = &p->info[i];
            mt_ckpt_block *x = &b[2 * i + w];
            char *s = nm + (size_t)(2 * i + w) * stride;
            snprintf(s, stride, "optim.%c.%s", w ? 'v' : 'm', pi->name);
            x->name = s;
            x->ndim = pi->ndim;
            memcpy(x->shape, pi->shape, (size_t)pi->ndim * sizeof(int));
            x->data = (w ? o->v : o->m) + pi->offset;
        }
    *out = b;
    *names = nm;
    return MT_OK;
}

mt_status checkpoint_save_train(const char *path, const mt_params *p, const mt_optim *o,
                                const char *const *meta_keys, const char *const *meta_vals,
                                int nmeta)
{
    if (nmeta < 0) return mt_fail(MT_ERR_ARG, "%s: negative metadata count", path);
    mt_ckpt_block *b;
    char *names;
    mt_status st = ckpt_optim_blocks(path, p, o, &b, &names);
    if (st != MT_OK) return st;
    const char **keys = mt_calloc((size_t)nmeta + 3, sizeof *keys);
    const char **vals = mt_calloc((size_t)nmeta + 3, sizeof *vals);
    if (!keys || !vals) {
        st = MT_ERR_NOMEM;
    } else {
        char t[32], s[32];
        snprintf(t, sizeof t, "%ld", o->t);
        snprintf(s, sizeof s, "%ld", o->step);
        for (int i = 0; i < nmeta; i++) {
            keys[i] = meta_keys[i];
            vals[i] = meta_vals[i];
        }
        keys[nmeta] = "optim.kind";
        vals[nmeta] = optim_kind_name(o->cfg.kind);
        keys[nmeta + 1] = "optim.t";
        vals[nmeta + 1] = t;
        keys[nmeta + 2] = "optim.step";
        vals[nmeta + 2] = s;
        st = checkpoint_save_ex(path, p, b, 2 * p->count, keys, vals, nmeta + 3);
    }
    mt_free(keys);
    mt_free(vals);
    mt_free(b);
    mt_free(names);
    return st;
}

static int ckpt_meta_long(const mt_ckpt *c, const char *key, long *out)
{
    const char *v = checkpoint_meta(c, key);
    if (!v || !*v) return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (*end || errno || x < 0) return 0;
    *out = x;
    return 1;
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
    if (st == MT_OK) {
        const char *kind = checkpoint_meta(c, "optim.kind");
        if (!kind || !ckpt_meta_long(c, "optim.t", &t) || !ckpt_meta_long(c, "optim.step", &step))
            st = mt_fail(MT_ERR_FORMAT,
                         "%s: no optimizer state (metadata optim.kind, optim.t, optim.step)",
                         path);
        else if (strcmp(kind, optim_kind_name(o->cfg.kind)) != 0)
            st = mt_fail(MT_ERR_STATE, "%s: optimizer state is for %s, not %s", path, kind,
                         optim_kind_name(o->cfg.kind));
    }
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
