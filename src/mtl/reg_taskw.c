/* reg_taskw.c - binding a regulariser to one layer's weight per task, and
 * the quadratic task-relationship penalty tr(W M W^T). */
#include "reg_taskw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* pattern with its one '*' replaced by the task name; 0 if it does not fit. */
static int expand(char *out, size_t n, const char *pattern, const char *task)
{
    const char *star = strchr(pattern, '*');
    int r = snprintf(out, n, "%.*s%s%s", (int)(star - pattern), pattern, task, star + 1);
    return r > 0 && (size_t)r < n;
}

/* The parameter a (pattern, task) names: the expansion itself, else the
 * expansion + ".weight". -1 when neither exists; `tried` gets the last name. */
static int find_task_param(const mt_params *p, const char *pattern, const char *task, char *tried, size_t n)
{
    char base[MT_PARAM_NAME];
    if (!expand(base, sizeof base, pattern, task)) {
        snprintf(tried, n, "%s", pattern);
        return -1;
    }
    int i = params_find(p, base);
    if (i >= 0) {
        snprintf(tried, n, "%s", base);
        return i;
    }
    snprintf(tried, n, "%s.weight", base);
    return params_find(p, tried);
}

mt_status reg_taskw_bind(reg_taskw *w, const char *pattern, const mt_topo_spec *s, mt_graph *g,
                         int need_equal)
{
    memset(w, 0, sizeof *w);
    mt_params *p = graph_params(g);
    if (!p || !p->data) return mt_fail(MT_ERR_STATE, "layer: the network is not compiled yet");
    if (s->ntasks < 1 || s->ntasks > MT_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "layer: %d tasks (1..%d supported)", s->ntasks, MT_MAX_TASKS);
    int dflt = !pattern || !pattern[0];
    if (!dflt) {
        const char *star = strchr(pattern, '*');
        if (!star || strchr(star + 1, '*'))
            return mt_fail(MT_ERR_ARG,
                           "layer: pattern \"%s\" must hold exactly one '*' standing for the task name "
                           "(e.g. \"head.*.0\")",
                           pattern);
    }
    w->T = s->ntasks;
    w->equal = 1;
    for (int t = 0; t < w->T; t++) {
        const char *task = s->task[t].name;
        char tried[MT_PARAM_NAME + 8];
        int i;
        if (dflt) {
            i = find_task_param(p, "head.*.0", task, tried, sizeof tried);
            if (i < 0) i = find_task_param(p, "head.*.out", task, tried, sizeof tried);
            if (i < 0)
                return mt_fail(MT_ERR_ARG,
                               "layer: task '%s' has no head layer \"head.%s.0.weight\" or \"head.%s.out.weight\" "
                               "(this topology names its layers otherwise: give layer = \"<name with *>\")",
                               task, task, task);
        } else {
            i = find_task_param(p, pattern, task, tried, sizeof tried);
            if (i < 0)
                return mt_fail(MT_ERR_ARG, "layer: no parameter \"%s\" for task '%s' (pattern \"%s\")", tried, task,
                               pattern);
        }
        const mt_param_info *pi = &p->info[i];
        for (int u = 0; u < t; u++)
            if (strcmp(w->name[u], pi->name) == 0)
                return mt_fail(MT_ERR_ARG, "layer: tasks '%s' and '%s' share the parameter \"%s\"; "
                                           "the regulariser needs one weight per task",
                               s->task[u].name, task, pi->name);
        int rows = pi->ndim >= 2 ? pi->shape[0] : 1; /* a vector is one row */
        if (rows < 1 || pi->size % (size_t)rows != 0 || pi->size == 0)
            return mt_fail(MT_ERR_ARG, "layer: parameter \"%s\" has no usable shape", pi->name);
        int F = (int)(pi->size / (size_t)rows);
        if (t == 0) {
            w->F = F;
        } else if (F != w->F) {
            return mt_fail(MT_ERR_ARG, "layer: \"%s\" reads %d features but \"%s\" reads %d; the tasks' weights "
                                       "must share their input",
                           pi->name, F, w->name[0], w->F);
        }
        if (t > 0 && rows != w->rows[0]) w->equal = 0;
        if (need_equal && !w->equal)
            return mt_fail(MT_ERR_ARG,
                           "layer: \"%s\" is (%d, %d) but \"%s\" is (%d, %d); this regulariser compares the "
                           "tasks' weights entry by entry, so they must have the same shape",
                           pi->name, rows, F, w->name[0], w->rows[0], w->F);
        w->rows[t] = rows;
        w->off[t] = pi->offset;
        w->size += pi->size;
        snprintf(w->name[t], sizeof w->name[t], "%s", pi->name);
    }
    return MT_OK;
}

size_t reg_taskw_dim(const reg_taskw *w) { return (size_t)w->rows[0] * (size_t)w->F; }

void reg_taskw_gram(const reg_taskw *w, const float *data, double *G)
{
    size_t D = reg_taskw_dim(w);
    for (int s = 0; s < w->T; s++)
        for (int t = s; t < w->T; t++) {
            const float *a = data + w->off[s], *b = data + w->off[t];
            double acc = 0;
            for (size_t i = 0; i < D; i++) acc += (double)a[i] * (double)b[i];
            G[s * w->T + t] = G[t * w->T + s] = acc;
        }
}

/* One pass over the entries: for entry i, the T task values, then the
 * gradient 2 (M w)_t of each task from them; the penalty is the same
 * quadratic form summed over entries. */
double reg_taskw_quad(const reg_taskw *w, const float *data, float *grad, const double *M)
{
    int T = w->T;
    size_t D = reg_taskw_dim(w);
    double val = 0, x[MT_MAX_TASKS];
    for (size_t i = 0; i < D; i++) {
        for (int t = 0; t < T; t++) x[t] = data[w->off[t] + i];
        for (int t = 0; t < T; t++) {
            double mx = 0;
            for (int s = 0; s < T; s++) mx += M[t * T + s] * x[s];
            val += x[t] * mx;
            if (grad) grad[w->off[t] + i] += (float)(2.0 * mx);
        }
    }
    return val;
}

void reg_taskw_distances(const double *G, int T, double *D)
{
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) {
            double d2 = G[s * T + s] + G[t * T + t] - 2 * G[s * T + t];
            D[s * T + t] = s == t ? 0.0 : sqrt(d2 > 0 ? d2 : 0.0);
        }
}
