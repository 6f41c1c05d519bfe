#include "params.h"

#include <string.h>
#include "core/mem.h"

void params_init(mt_params *p) { memset(p, 0, sizeof *p); }

int params_add(mt_params *p, const char *name, int ndim, const int *shape, int group, int decay)
{
    if (p->data) {
        mt_fail(MT_ERR_STATE, "parameter %s: added after the arena was allocated", name);
        return -1;
    }
    if (strlen(name) >= MT_PARAM_NAME) {
        mt_fail(MT_ERR_ARG, "parameter name too long: %s", name);
        return -1;
    }
    if (ndim < 1 || ndim > MT_PARAM_MAXDIM) {
        mt_fail(MT_ERR_ARG, "parameter %s: rank %d not in 1..%d", name, ndim, MT_PARAM_MAXDIM);
        return -1;
    }
    if (params_find(p, name) >= 0) {
        mt_fail(MT_ERR_ARG, "parameter %s: name used twice", name);
        return -1;
    }
    size_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0) {
            mt_fail(MT_ERR_ARG, "parameter %s: dimension %d is %d", name, i, shape[i]);
            return -1;
        }
        size *= (size_t)shape[i];
    }
    size_t cap = (size_t)p->cap;
    if (mt_grow((void **)&p->info, &cap, (size_t)p->count + 1, sizeof *p->info) != MT_OK) return -1;
    p->cap = (int)cap;
    mt_param_info *pi = &p->info[p->count];
    memset(pi, 0, sizeof *pi);
    strcpy(pi->name, name);
    pi->ndim = ndim;
    memcpy(pi->shape, shape, (size_t)ndim * sizeof *shape);
    /* keep every parameter 16-float aligned so kernels see aligned rows */
    pi->offset = (p->total + 15) & ~(size_t)15;
    pi->size = size;
    pi->group = group;
    pi->decay = decay;
    p->total = pi->offset + size;
    return p->count++;
}

mt_status params_alloc(mt_params *p)
{
    if (p->data) return MT_OK;
    p->data = mt_alloc_aligned(p->total * sizeof(float));
    p->grad = mt_alloc_aligned(p->total * sizeof(float));
    if (!p->data || !p->grad) return MT_ERR_NOMEM;
    return MT_OK;
}

int params_find(const mt_params *p, const char *name)
{
    for (int i = 0; i < p->count; i++)
        if (strcmp(p->info[i].name, name) == 0) return i;
    return -1;
}

void params_zero_grad(mt_params *p)
{
    if (p->grad) memset(p->grad, 0, p->total * sizeof(float));
}

size_t params_count_group(const mt_params *p, int group)
{
    size_t n = 0;
    for (int i = 0; i < p->count; i++)
        if (p->info[i].group == group) n += p->info[i].size;
    return n;
}

void params_free(mt_params *p)
{
    mt_free(p->data);
    mt_free(p->grad);
    mt_free(p->info);
    params_init(p);
}
