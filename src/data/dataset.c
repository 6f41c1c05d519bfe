/* dataset.c - the dataset container: allocation, named targets, masks,
 * gathering rows into batch buffers, and train-only standardisation. */
#include "dataset.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/mem.h"

void dataset_init(mt_dataset *ds) { memset(ds, 0, sizeof *ds); }

void dataset_free(mt_dataset *ds)
{
    if (!ds) return;
    for (int t = 0; t < ds->ntargets; t++) {
        mt_free(ds->targets[t].y);
        mt_free(ds->targets[t].mask);
        mt_free(ds->targets[t].labels);
    }
    mt_free(ds->targets);
    mt_free(ds->x_names);
    mt_free(ds->columns);
    mt_free(ds->x);
    memset(ds, 0, sizeof *ds);
}

/* Copies a name into a fixed MT_NAME field, refusing rather than silently
 * truncating: two targets that differ only after 63 characters would
 * otherwise become one. */
static mt_status copy_name(char *dst, const char *src, const char *what)
{
    if (!src) src = "";
    size_t n = strlen(src);
    if (n >= MT_NAME)
        return mt_fail(MT_ERR_ARG, "%s name '%.20s...' is %zu characters long (at most %d)", what,
                       src, n, MT_NAME - 1);
    memcpy(dst, src, n + 1);
    return MT_OK;
}

mt_status dataset_alloc(mt_dataset *ds, const char *name, int n, int d, int c, int h, int w)
{
    if (n < 0 || d < 1)
        return mt_fail(MT_ERR_ARG, "dataset '%s': bad size n=%d d=%d", name ? name : "", n, d);
    if (c > 0 && (h < 1 || w < 1 || (long long)c * h * w != d))
        return mt_fail(MT_ERR_ARG, "dataset '%s': image layout %dx%dx%d does not match d=%d",
                       name ? name : "", c, h, w, d);
    if ((unsigned long long)n * (unsigned long long)d > SIZE_MAX / sizeof(float))
        return mt_fail(MT_ERR_ARG, "dataset '%s': %d x %d inputs do not fit in memory",
                       name ? name : "", n, d);
    dataset_free(ds);
    mt_status s = copy_name(ds->name, name, "dataset");
    if (s) return s;
    ds->x = mt_alloc_aligned((size_t)n * (size_t)d * sizeof(float));
    if (!ds->x) return mt_fail_prefix(MT_ERR_NOMEM, "dataset '%s'", ds->name);
    ds->n = n;
    ds->d = d;
    if (c > 0) {
        ds->c = c;
        ds->h = h;
        ds->w = w;
    }
    return MT_OK;
}

mt_target *dataset_add_target(mt_dataset *ds, const char *name, mt_target_kind kind, int dim,
                              int classes)
{
    if (!name || !name[0]) {
        mt_fail(MT_ERR_ARG, "dataset '%s': a target needs a name", ds->name);
        return NULL;
    }
    if (dataset_target_index(ds, name) >= 0) {
        mt_fail(MT_ERR_ARG, "dataset '%s': a target named '%s' already exists", ds->name, name);
        return NULL;
    }
    if (dim < 1 || (kind == MT_TARGET_CLASS && (dim != 1 || classes < 2))) {
        mt_fail(MT_ERR_ARG, "dataset '%s': target '%s': bad dim=%d classes=%d", ds->name, name, dim,
                classes);
        return NULL;
    }
    if (kind != MT_TARGET_CLASS && kind != MT_TARGET_REGRESS && kind != MT_TARGET_BINARY) {
        mt_fail(MT_ERR_ARG, "dataset '%s': target '%s': unknown kind %d", ds->name, name,
                (int)kind);
        return NULL;
    }
    mt_target tmp;
    memset(&tmp, 0, sizeof tmp);
    if (copy_name(tmp.name, name, "target")) return NULL;
    tmp.kind = kind;
    tmp.dim = dim;
    tmp.classes = kind == MT_TARGET_CLASS ? classes : 0;
    tmp.noise_var = NAN;
    tmp.y = mt_alloc_aligned((size_t)(ds->n > 0 ? ds->n : 1) * (size_t)dim * sizeof(float));
    if (!tmp.y) return NULL;
    mt_target *nt = mt_realloc(ds->targets, (size_t)(ds->ntargets + 1) * sizeof *nt);
    if (!nt) {
        mt_free(tmp.y);
        return NULL;
    }
    ds->targets = nt;
    ds->targets[ds->ntargets] = tmp;
    return &ds->targets[ds->ntargets++];
}

int dataset_target_index(const mt_dataset *ds, const char *name)
{
    if (!name) return -1;
    for (int t = 0; t < ds->ntargets; t++)
        if (strcmp(ds->targets[t].name, name) == 0) return t;
    return -1;
}

mt_target *dataset_target(mt_dataset *ds, const char *name)
{
    int t = dataset_target_index(ds, name);
    return t < 0 ? NULL : &ds->targets[t];
}

unsigned char *dataset_target_mask(mt_dataset *ds, int t)
{
    if (t < 0 || t >= ds->ntargets) {
        mt_fail(MT_ERR_ARG, "dataset '%s': no target %d", ds->name, t);
        return NULL;
    }
    mt_target *tg = &ds->targets[t];
    if (!tg->mask) {
        tg->mask = mt_alloc((size_t)(ds->n > 0 ? ds->n : 1));
        if (!tg->mask) return NULL;
        memset(tg->mask, 1, (size_t)ds->n);
    }
    return tg->mask;
}

int dataset_target_labelled(const mt_dataset *ds, int t, const mt_index *set)
{
    if (t < 0 || t >= ds->ntargets) return 0;
    const mt_target *tg = &ds->targets[t];
    int n = set ? set->n : ds->n, count = 0;
    for (int i = 0; i < n; i++) {
        int r = set ? set->idx[i] : i;
        count += !tg->mask || tg->mask[r];
    }
    return count;
}

mt_status dataset_check_index(const mt_dataset *ds, const mt_index *set, const char *what)
{
    for (int i = 0; i < set->n; i++)
        if (set->idx[i] < 0 || set->idx[i] >= ds->n)
            return mt_fail(MT_ERR_ARG, "dataset '%s': %s index %d (position %d) is outside 0..%d",
                           ds->name, what, set->idx[i], i, ds->n - 1);
    return MT_OK;
}

/* Statistics in double, over the train rows only: validation and test rows
 * must not leak into the scaling the model is trained with. */
mt_status dataset_standardize(mt_dataset *ds, const mt_index *train, float *mean, float *std)
{
    if (!train || train->n < 1)
        return mt_fail(MT_ERR_ARG, "dataset '%s': standardisation needs a non-empty train split",
                       ds->name);
    mt_status s = dataset_check_index(ds, train, "train");
    if (s) return s;
    int d = ds->d;
    double *acc = mt_calloc((size_t)d * 2, sizeof *acc); /* (2, d): mean, then M2 */
    if (!acc) return MT_ERR_NOMEM;
    double *mu = acc, *m2 = acc + d;
    for (int i = 0; i < train->n; i++) {
        const float *row = ds->x + (size_t)train->idx[i] * (size_t)d;
        for (int j = 0; j < d; j++) mu[j] += row[j];
    }
    for (int j = 0; j < d; j++) mu[j] /= train->n;
    for (int i = 0; i < train->n; i++) {
        const float *row = ds->x + (size_t)train->idx[i] * (size_t)d;
        for (int j = 0; j < d; j++) {
            double e = row[j] - mu[j];
            m2[j] += e * e;
        }
    }
    for (int j = 0; j < d; j++) {
        double sd = sqrt(m2[j] / train->n);
        if (sd < 1e-6) sd = 1.0;
        m2[j] = sd;
    }
    for (int i = 0; i < ds->n; i++) {
        float *row = ds->x + (size_t)i * (size_t)d;
        for (int j = 0; j < d; j++) row[j] = (float)((row[j] - mu[j]) / m2[j]);
    }
    for (int j = 0; j < d; j++) {
        if (mean) mean[j] = (float)mu[j];
        if (std) std[j] = (float)m2[j];
    }
    mt_free(acc);
    return MT_OK;
}

mt_status dataset_standardize_targets(mt_dataset *ds, const mt_index *train)
{
    if (!train || train->n < 1)
        return mt_fail(MT_ERR_ARG, "dataset '%s': standardising targets needs a non-empty train split", ds->name);
    mt_status s = dataset_check_index(ds, train, "train");
    if (s) return s;
    for (int t = 0; t < ds->ntargets; t++) {
        mt_target *tg = &ds->targets[t];
        if (tg->kind != MT_TARGET_REGRESS || tg->scale > 0 || tg->dim != 1) continue;
        double mu = 0, m2 = 0;
        int n = 0;
        for (int i = 0; i < train->n; i++) {
            int r = train->idx[i];
            if (tg->mask && !tg->mask[r]) continue;
            n++;
            double d = tg->y[r] - mu;
            mu += d / n;
            m2 += d * (tg->y[r] - mu); /* Welford: one pass, no cancellation */
        }
        double sd = n > 0 ? sqrt(m2 / n) : 0;
        if (!(sd >= 1e-12)) continue;
        for (int i = 0; i < ds->n; i++)
            if (!tg->mask || tg->mask[i]) tg->y[i] = (float)((tg->y[i] - mu) / sd);
        tg->shift = mu;
        tg->scale = sd;
    }
    return MT_OK;
}

char **dataset_names(const char *const *names, int n)
{
    size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(char *);
    for (int i = 0; i < n; i++) bytes += strlen(names[i]) + 1;
    char **block = mt_alloc(bytes);
    if (!block) return NULL;
    char *w = (char *)(block + n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]) + 1;
        memcpy(w, names[i], len);
        block[i] = w;
        w += len;
    }
    return block;
}

mt_status dataset_set_labels(mt_dataset *ds, int t, const char *const *names, int n)
{
    if (t < 0 || t >= ds->ntargets || n != ds->targets[t].classes)
        return mt_fail(MT_ERR_ARG, "dataset '%s': %d label names for a target of %d classes", ds->name, n,
                       t >= 0 && t < ds->ntargets ? ds->targets[t].classes : 0);
    char **block = dataset_names(names, n);
    if (!block) return MT_ERR_NOMEM;
    mt_free(ds->targets[t].labels);
    ds->targets[t].labels = block;
    return MT_OK;
}

void dataset_gather_x(const mt_dataset *ds, const int *rows, int nrows, float *x)
{
    size_t d = (size_t)ds->d;
    for (int i = 0; i < nrows; i++)
        memcpy(x + (size_t)i * d, ds->x + (size_t)rows[i] * d, d * sizeof(float));
}

void dataset_gather_y(const mt_dataset *ds, int t, const int *rows, int nrows, float *y, float *m)
{
    const mt_target *tg = &ds->targets[t];
    size_t k = (size_t)tg->dim;
    for (int i = 0; i < nrows; i++) {
        memcpy(y + (size_t)i * k, tg->y + (size_t)rows[i] * k, k * sizeof(float));
        if (m) m[i] = (!tg->mask || tg->mask[rows[i]]) ? 1.0f : 0.0f;
    }
}

mt_status dataset_relabel(mt_dataset *ds, const char *from, const int *map, int nmap,
                          const char *name)
{
    int src = dataset_target_index(ds, from);
    if (src < 0)
        return mt_fail(MT_ERR_ARG, "dataset '%s': relabel: no target named '%s'", ds->name,
                       from ? from : "(null)");
    const mt_target *st = &ds->targets[src];
    if (st->kind != MT_TARGET_CLASS)
        return mt_fail(MT_ERR_ARG, "dataset '%s': relabel: target '%s' is not a class target",
                       ds->name, st->name);
    if (!map || nmap < st->classes)
        return mt_fail(MT_ERR_ARG,
                       "dataset '%s': relabel '%s': the map has %d entries but '%s' has %d classes",
                       ds->name, name ? name : "", nmap, st->name, st->classes);
    int classes = 0;
    for (int c = 0; c < st->classes; c++) {
        if (map[c] < 0)
            return mt_fail(MT_ERR_ARG, "dataset '%s': relabel '%s': map[%d] = %d is negative",
                           ds->name, name ? name : "", c, map[c]);
        if (map[c] + 1 > classes) classes = map[c] + 1;
    }
    if (classes < 2) classes = 2; /* a class target needs at least two classes */
    mt_target *nt = dataset_add_target(ds, name, MT_TARGET_CLASS, 1, classes);
    if (!nt) return mt_last_status() ? mt_last_status() : MT_ERR_NOMEM;
    st = &ds->targets[src]; /* the targets array may have moved */
    for (int i = 0; i < ds->n; i++) {
        int c = (int)st->y[i];
        nt->y[i] = (c >= 0 && c < st->classes) ? (float)map[c] : 0.0f;
    }
    if (st->mask) {
        nt->mask = mt_alloc((size_t)(ds->n > 0 ? ds->n : 1));
        if (!nt->mask) return MT_ERR_NOMEM;
        memcpy(nt->mask, st->mask, (size_t)ds->n);
    }
    return MT_OK;
}
