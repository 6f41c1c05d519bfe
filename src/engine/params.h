/* params.h - every parameter of a model in one flat arena.
 *
 * Parameters are registered (name, shape, group) before the arena is
 * allocated; each gets an offset into one float block `data` and the same
 * offset into `grad`, so the optimizer, gradient clipping, checkpointing,
 * per-task gradient extraction and "number of parameters" are flat loops. */
#ifndef MT_PARAMS_H
#define MT_PARAMS_H

#include <stddef.h>
#include "core/status.h"

#define MT_PARAM_MAXDIM 4
#define MT_PARAM_NAME 96

typedef struct {
    char name[MT_PARAM_NAME]; /* stable, dotted: "trunk.0.weight" */
    int ndim;
    int shape[MT_PARAM_MAXDIM];
    size_t offset; /* into data/grad, in floats */
    size_t size;   /* product of shape */
    int group;     /* caller's tag: topologies use 0 = shared, 1+k = task k */
    int decay;     /* 1: weight decay applies (matrices); 0: biases, norms, mixing */
} mt_param_info;

typedef struct {
    float *data; /* (total) owned, 64-byte aligned; NULL until params_alloc */
    float *grad; /* (total) owned */
    size_t total;
    mt_param_info *info; /* (count) owned */
    int count, cap;
} mt_params;

void params_init(mt_params *p);
/* Registers a parameter; returns its index, or -1 (error recorded) on a
 * duplicate name, bad shape or after params_alloc. */
int params_add(mt_params *p, const char *name, int ndim, const int *shape, int group, int decay);
/* Allocates data and grad (zeroed). */
mt_status params_alloc(mt_params *p);
int params_find(const mt_params *p, const char *name); /* index or -1 */
void params_zero_grad(mt_params *p);
size_t params_count_group(const mt_params *p, int group); /* floats in group */
void params_free(mt_params *p);

#endif
