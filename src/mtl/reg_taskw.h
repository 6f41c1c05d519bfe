/* reg_taskw.h - the task weights a multi-task regulariser acts on.
 *
 * The regularisers of survey section 5 (block sparsity, mean-regularised
 * MTL, task clustering, task covariance) all look at one layer's weight
 * per task: W_t, a (rows_t, F) matrix whose column j reads input feature
 * j. Stacked, they form the (features x tasks) matrix of the survey:
 * feature row j holds W_t[:, j] of every task. The relationship
 * regularisers flatten W_t to a vector w_t and compare the tasks' vectors.
 *
 * Layer patterns. A regulariser's `layer` parameter names the weight by a
 * pattern in which `*` stands for the task's name: "head.*.0" binds
 * "head.<task>.0" for every task when such a parameter exists, and
 * "head.<task>.0.weight" otherwise; "col.*.1" binds a one-column-per-task
 * topology's second layer. The empty pattern (the default) means the
 * first layer of each task's head: "head.<task>.0.weight" when the task
 * has hidden head layers, "head.<task>.out.weight" when it has none (a
 * linear model per task on what the trunk gives it; with `trunk = {}` that
 * is the raw input). A parameter of more than two dimensions (a
 * convolution's (out, c, k, k)) is read as (shape[0], size / shape[0]).
 *
 * The binding keeps arena offsets, not pointers, so the hooks read the
 * arena they are handed (p->data, p->grad). */
#ifndef MT_REG_TASKW_H
#define MT_REG_TASKW_H

#include <stddef.h>
#include "core/status.h"
#include "engine/graph.h"
#include "mtl/topology.h"

typedef struct {
    int T;                        /* tasks bound, = the spec's ntasks */
    int F;                        /* features: columns of every task's weight */
    int rows[MT_MAX_TASKS];       /* task t's weight is (rows[t], F) */
    size_t off[MT_MAX_TASKS];     /* its offset (floats) in the arena's data and grad */
    size_t size;                  /* sum_t rows[t] * F */
    int equal;                    /* every rows[t] the same (vectors comparable) */
    char name[MT_MAX_TASKS][MT_PARAM_NAME]; /* the bound parameters' names */
} reg_taskw;

/* Finds every task's weight in the compiled graph g by `pattern` (see
 * above; NULL or "" = the first layer of each head). With `need_equal`,
 * the tasks' weights must have the same shape (the relationship
 * regularisers compare them entry by entry). Errors (MT_ERR_ARG) start
 * with "layer: " and name the pattern and the parameter. */
mt_status reg_taskw_bind(reg_taskw *w, const char *pattern, const mt_topo_spec *s, mt_graph *g,
                         int need_equal);

/* Entries per task when the shapes are equal: rows[0] * F. */
size_t reg_taskw_dim(const reg_taskw *w);

/* G (T, T) = the Gram matrix of the task vectors, <w_s, w_t>, in double.
 * Needs equal shapes. */
void reg_taskw_gram(const reg_taskw *w, const float *data, double *G);

/* The quadratic penalty tr(W M W^T) = sum_{s,t} M[s,t] <w_s, w_t> for a
 * symmetric M (T, T), W (D, T) holding the task vectors as columns; the
 * return value is the penalty. When grad is not NULL its gradient,
 * 2 W M (task t: 2 sum_s M[t,s] w_s), is ADDED into grad (laid out like
 * data). Needs equal shapes. Allocates nothing. */
double reg_taskw_quad(const reg_taskw *w, const float *data, float *grad, const double *M);

/* Pairwise Euclidean distances ||w_s - w_t|| (T, T) from a Gram matrix. */
void reg_taskw_distances(const double *G, int T, double *D);

#endif
