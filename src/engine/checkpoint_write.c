/* checkpoint_write.c - writing safetensors files atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>

#include "core/mem.h"
#include "engine/checkpoint_impl.h"

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

static int ckpt_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *ckpt_first_duplicate(const char *const *names, int n)
{
    if (n < 2) return NULL;
    const char **s = mt_alloc((size_t)n * sizeof *s);
    if (!s) { /* fall back to the slow way rather than fail */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                if (strcmp(names[i], names[j]) == 0) return names[i];
        return NULL;
    }
    memcpy(s, names, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, ckpt_cmp_str);
    const char *dup = NULL;
    for (int i = 1; i < n && !dup; i++)
        if (strcmp(s[i - 1], s[i]) == 0) dup = s[i];
    mt_free(s);
    return dup;
}

/* Removes "<base>.tmp.<pid>" files beside path that a killed writer left:
 * those whose process no longer exists (a live writer's file is kept).
 * Best effort: a failure here never stops the save. */
static void ckpt_remove_orphans(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t dn = slash ? (size_t)(slash - path) : 0;
    if (dn >= sizeof dir) return;
    if (slash) {
        memcpy(dir, path, dn ? dn : 1);
        dir[dn ? dn : 1] = '\0';
    } else {
        strcpy(dir, ".");
    }
    DIR *d = opendir(dir);
    if (!d) return;
    size_t bn = strlen(base);
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (strncmp(nm, base, bn) != 0 || strncmp(nm + bn, ".tmp.", 5) != 0) continue;
        const char *digits = nm + bn + 5;
        char *end;
        errno = 0;
        long pid = strtol(digits, &end, 10);
        if (!*digits || *end || errno || pid <= 0 || (pid_t)pid != pid) continue;
        if (pid != (long)getpid() && !(kill((pid_t)pid, 0) != 0 && errno == ESRCH)) continue;
        char full[8192];
        snprintf(full, sizeof full, "%s/%s", dir, nm);
        unlink(full);
    }
    closedir(d);
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
    for (int i = 0; i < nmeta; i++)
        if (!keys[i] || !vals[i]) {
            st = mt_fail(MT_ERR_ARG, "%s: metadata entry %d is NULL", path, i);
            goto done;
        }
    const char *dup = ckpt_first_duplicate(keys, nmeta);
    if (dup) {
        st = mt_fail(MT_ERR_ARG, "%s: metadata key %s given twice", path, dup);
        goto done;
    }
    const char **names = mt_calloc((size_t)n + 1, sizeof *names);
    if (!names) goto nomem;
    for (int i = 0; i < n; i++) names[i] = ts[i].name ? ts[i].name : "";
    dup = ckpt_first_duplicate(names, n);
    mt_free(names);
    if (dup) {
        st = mt_fail(MT_ERR_ARG, "%s: tensor %s given twice", path, dup);
        goto done;
    }
    if (nmeta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; meta && i < nmeta; i++) {
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
    ckpt_remove_orphans(path);
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

/* ---- parameters plus optimizer state ------------------------------------ */

mt_status ckpt_optim_blocks(const char *path, const mt_params *p, const mt_optim *o, mt_ckpt_block **out,
                            char **names)
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

