/* trainer_method.c - how T task losses become one update: loss weighting
 * (one backward pass) or gradient combination (one pass per task on the
 * shared parameters), and the methods' learned state. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "run/trainer_impl.h"

void tr_publish_weights(mt_trainer *t)
{
    if (!t->mon) return;
    int sigma = t->family == MT_METHOD_WEIGHTING && weighting_kind(t->W) == MT_WEIGHT_UNCERTAINTY;
    for (int k = 0; k < t->T; k++)
        series_push(&t->mon->weight[k], (double)t->step, sigma ? weighting_sigma(t->W, k) : t->w[k]);
}

/* The destinations of the per-task passes: task k's gradient of every
 * shared parameter goes straight into G's row k (in the order of the
 * shared ranges), so no pass zeroes or copies the shared block; the other
 * parameters stay in the arena. G starts at zero: the slots no pass
 * writes (batch-norm statistics, parameters a task cannot reach) stay so. */
static mt_status task_dest_setup(mt_trainer *t)
{
    mt_params *p = graph_params(t->g);
    if (!t->pdest && !(t->pdest = mt_calloc((size_t)t->T * p->count, sizeof *t->pdest))) return MT_ERR_NOMEM;
    memset(t->G, 0, (size_t)t->T * (t->P ? t->P : 1) * sizeof(float));
    size_t pos = 0;
    for (int i = 0; i < p->count; i++) {
        int sh = p->info[i].group == 0;
        for (int k = 0; k < t->T; k++)
            t->pdest[(size_t)k * p->count + i] = sh ? t->G + (size_t)k * t->P + pos : NULL;
        if (sh) pos += p->info[i].size;
    }
    t->sh_contig = t->nsh > 0;
    for (int r = 1; r < t->nsh; r++) t->sh_contig &= t->sh_off[r] == t->sh_off[r - 1] + t->sh_len[r - 1];
    return MT_OK;
}

/* Creates the method the spec names (allocation happens here, never in a
 * step), its parameters from the registry: the spec's, else the
 * defaults. On failure the trainer keeps its previous method. */
mt_status tr_setup_method(mt_trainer *t, const mt_method_spec *m)
{
    const mt_method_info *info;
    mt_status st = method_lookup(m->name, &info);
    if (st) return mt_fail_prefix(st, "weighting");
    if ((st = tparam_validate(&m->params, info->params, "weighting", info->name))) return st;
    if (t->g && (st = task_dest_setup(t))) return st; /* a non-graph model has no per-task passes */
    if (info->family == MT_METHOD_WEIGHTING) {
        mt_weighting_kind kind = (mt_weighting_kind)info->kind;
        if (kind == MT_WEIGHT_GRADNORM && (t->gw_len == 0 || t->topo.shared_weight < 0))
            return mt_fail(MT_ERR_ARG, "weighting gradnorm: the network has no shared layer to measure gradients at");
        if (weighting_needs_lookahead(kind)) {
            const mt_index *val = &t->e.data->split.val;
            if (!t->g) return mt_fail(MT_ERR_ARG, "weighting %s: needs a network (this model has no graph)", m->name);
            if (val->n == 0)
                return mt_fail(MT_ERR_ARG, "weighting %s: needs a validation split (its weights follow the "
                               "validation loss)", m->name);
            if (!t->have_vb) {
                if ((st = batcher_init(&t->vb, val, t->e.train.batch, t->e.train.seed ^ 0x76616cu, 1))) return st;
                t->have_vb = 1;
            }
            if (!t->al_backup && !(t->al_backup = mt_alloc_aligned(graph_params(t->g)->total * sizeof(float))))
                return MT_ERR_NOMEM;
        }
        float sw[MT_MAX_TASKS];
        int cls[MT_MAX_TASKS];
        for (int k = 0; k < t->T; k++) {
            sw[k] = t->e.task[k].weight;
            cls[k] = t->e.task[k].kind == MT_TARGET_CLASS || t->e.task[k].kind == MT_TARGET_BINARY;
        }
        mt_weighting_params prm;
        weighting_params_default(&prm);
        method_fill(info, &m->params, &prm);
        prm.static_w = sw;
        prm.classify = cls;
        prm.seed = t->e.train.seed;
        mt_weighting *W;
        if ((st = weighting_new(&W, kind, t->T, &prm))) return mt_fail_prefix(st, "weighting %s", m->name);
        weighting_free(t->W);
        combine_free(t->C);
        t->C = NULL;
        t->W = W;
        t->rep_grad = 0;
        t->method_window = prm.dwa_window;
        memcpy(t->w, weighting_weights(W), (size_t)t->T * sizeof(float));
    } else {
        mt_combine_kind kind = (mt_combine_kind)info->kind;
        if (t->P == 0) return mt_fail(MT_ERR_ARG, "%s: the network has no shared parameters to combine gradients on", m->name);
        mt_combine_params prm;
        combine_params_default(&prm);
        method_fill(info, &m->params, &prm);
        prm.seed = t->e.train.seed;
        int rep = prm.rep_grad != 0 || kind == MT_COMBINE_MGDA_UB || kind == MT_COMBINE_GRADDROP_REP;
        if (rep && t->topo.shared == MT_NONE)
            return mt_fail(MT_ERR_ARG, "%s with rep_grad needs one shared representation: attach every head at the "
                           "same trunk layer", m->name);
        if (rep && !t->zgrad) {
            size_t cols = (size_t)t->max_batch * t->R;
            t->zgrad = mt_alloc_aligned((size_t)t->T * cols * sizeof(float));
            t->zdir = mt_alloc_aligned(cols * sizeof(float));
            if (!t->zgrad || !t->zdir) return MT_ERR_NOMEM;
        }
        mt_combiner *C;
        if ((st = combine_new(&C, kind, t->T, &prm))) return mt_fail_prefix(st, "%s", m->name);
        int is_main[MT_MAX_TASKS]; /* aux_gate gates the auxiliary tasks */
        for (int k = 0; k < t->T; k++) is_main[k] = !t->e.task[k].aux;
        combine_set_main(C, is_main);
        if ((st = combine_reserve(C, t->P))) { /* moco, db_mtl, excess_mtl: a state per shared parameter */
            combine_free(C);
            return mt_fail_prefix(st, "%s", m->name);
        }
        combine_free(t->C);
        weighting_free(t->W);
        t->W = NULL;
        t->C = C;
        t->rep_grad = rep;
        t->method_window = 0;
        for (int k = 0; k < t->T; k++) t->w[k] = 1.0f;
    }
    t->family = info->family;
    t->win_method_n = 0;
    memset(t->win_method, 0, sizeof t->win_method);
    if (t->mon) {
        snprintf(t->mon->weighting, sizeof t->mon->weighting, "%s", m->name);
        int sigma = t->family == MT_METHOD_WEIGHTING && weighting_kind(t->W) == MT_WEIGHT_UNCERTAINTY;
        snprintf(t->mon->weight_label, sizeof t->mon->weight_label, "%s", sigma ? "sigma" : t->family == MT_METHOD_COMBINER ? "alpha" : "weight");
    }
    return MT_OK;
}

/* Per-task gradients of the shared parameters, each from its own backward
 * pass, overwritten into G (T, P); with only_group -1 the task-specific
 * parameters accumulate their own tasks' gradients in the arena. */
static mt_status per_task_gradients(mt_trainer *t, int only_group)
{
    int count = graph_params(t->g)->count;
    for (int k = 0; k < t->T; k++) {
        mt_backward_opts o = {.param_grad = NULL, .stop = MT_NONE, .only_group = only_group,
                              .param_dest = t->pdest + (size_t)k * count, .overwrite = 1};
        mt_status st = graph_backward(t->g, &t->loss[k], NULL, 1, &o);
        if (st) return st;
    }
    return MT_OK;
}

/* G alone, touching only the shared parameters: the arena's gradient is
 * left alone (relations, GradNorm's norms). The forward pass of the batch
 * must be current. */
mt_status tr_task_gradients(mt_trainer *t) { return per_task_gradients(t, 0); }

/* The combined direction into the arena's shared ranges: straight there
 * when they are one run, else through dvec. */
static mt_status combine_into_arena(mt_trainer *t, const float *lf)
{
    mt_params *p = graph_params(t->g);
    float *d = t->sh_contig ? p->grad + t->sh_off[0] : t->dvec;
    mt_status st = combine_run(t->C, t->G, t->T, t->P, lf, d, t->w);
    if (st || t->sh_contig) return st;
    for (int r = 0; r < t->nsh; r++) {
        memcpy(p->grad + t->sh_off[r], d, t->sh_len[r] * sizeof(float));
        d += t->sh_len[r];
    }
    return MT_OK;
}

/* Representation gradients (rep_grad; MGDA-UB, Sener & Koltun 2018, for
 * MGDA). Each task's backward pass stops at the shared representation Z
 * (B, R): it gives the task's own head parameters their gradient in the
 * arena, and g_k = dL_k/dZ. The combiner turns G_Z (T, B*R) into one
 * direction d_Z, and one backward pass takes d_Z down the trunk. So the
 * trunk is traversed once instead of T times.
 *
 * The shared update is J^T d_Z, J = dZ/dtheta_shared. For sum and mean,
 * d_Z = sum_k w_k g_k with fixed w and J^T d_Z is exactly the parameter-
 * space result. Every other combiner computes its weights (or its
 * projections, sign drops) from the geometry of the g_k, i.e. from
 * G_Z G_Z^T instead of G_theta G_theta^T = G_Z J J^T G_Z^T: the same only
 * when J J^T acts as a multiple of the identity on the span of the g_k.
 * MGDA-UB's justification is a bound: the min-norm point for Z bounds the
 * one for theta, not equals it. */
static mt_status rep_grad_gradient(mt_trainer *t, const float *lf, int n)
{
    size_t cols = (size_t)n * t->R;
    mt_backward_opts o = {.param_grad = NULL, .stop = t->topo.shared, .only_group = -1};
    for (int k = 0; k < t->T; k++) {
        mt_status st = graph_backward(t->g, &t->loss[k], NULL, 1, &o);
        if (st) return st;
        memcpy(t->zgrad + (size_t)k * cols, graph_grad(t->g, t->topo.shared), cols * sizeof(float));
    }
    mt_status st = combine_kind(t->C) == MT_COMBINE_GRADDROP_REP
                       ? combine_graddrop_rep(t->C, t->zgrad, t->T, n, (int)t->R, graph_value(t->g, t->topo.shared),
                                              t->zdir, t->w)
                       : combine_run(t->C, t->zgrad, t->T, cols, lf, t->zdir, t->w);
    if (st) return st;
    return graph_backward_from(t->g, t->topo.shared, t->zdir, NULL);
}

/* Builds this step's gradient in the arena according to the method, and
 * leaves G filled when `need_G`. */
mt_status tr_method_gradient(mt_trainer *t, const double *lv, int n, int need_G)
{
    mt_params *p = graph_params(t->g);
    float lf[MT_MAX_TASKS];
    for (int k = 0; k < t->T; k++) lf[k] = (float)lv[k];
    mt_status st;
    if (t->family == MT_METHOD_WEIGHTING) {
        if ((st = weighting_prepare(t->W, lf))) return mt_fail_prefix(st, "step %ld", t->step + 1);
        memcpy(t->w, weighting_weights(t->W), (size_t)t->T * sizeof(float));
        if (need_G || weighting_needs_grad_norms(weighting_kind(t->W))) {
            if ((st = tr_task_gradients(t))) return st;
            for (int k = 0; k < t->T; k++) {
                const float *g = t->G + (size_t)k * t->P + t->gw_off;
                double s2 = 0;
                for (size_t q = 0; q < t->gw_len; q++) s2 += (double)g[q] * g[q];
                t->gnorm[k] = (float)sqrt(s2);
            }
        }
        params_zero_grad(p);
        return graph_backward(t->g, t->loss, t->w, t->T, NULL);
    }
    if (t->rep_grad) {
        params_zero_grad(p);
        if ((st = rep_grad_gradient(t, lf, n)))
            return mt_fail_prefix(st, "%s (rep_grad) at step %ld", combine_kind_name(combine_kind(t->C)), t->step + 1);
        return need_G ? tr_task_gradients(t) : MT_OK;
    }
    /* the combination writes the shared ranges whole: only the
     * task-specific ones, which the passes accumulate into, need zeros */
    for (int i = 0; i < p->count; i++)
        if (p->info[i].group != 0) memset(p->grad + p->info[i].offset, 0, p->info[i].size * sizeof(float));
    if ((st = per_task_gradients(t, -1))) return st;
    if ((st = combine_into_arena(t, lf)))
        return mt_fail_prefix(st, "%s at step %ld", combine_kind_name(combine_kind(t->C)), t->step + 1);
    return MT_OK;
}

/* After the optimiser step: the method's learned scalars, and DWA's
 * windows (an epoch, or `window` steps). */
mt_status tr_method_after_step(mt_trainer *t, const double *lv, int epoch_ended)
{
    if (t->family != MT_METHOD_WEIGHTING) return MT_OK;
    mt_status st = weighting_update(t->W, weighting_needs_grad_norms(weighting_kind(t->W)) ? t->gnorm : NULL, NULL);
    if (st) return st;
    for (int k = 0; k < t->T; k++) t->win_method[k] += lv[k];
    t->win_method_n++;
    long window = t->method_window;
    int end = window > 0 ? t->win_method_n >= window : epoch_ended;
    if (end && t->win_method_n > 0) {
        float mean[MT_MAX_TASKS];
        for (int k = 0; k < t->T; k++) mean[k] = (float)(t->win_method[k] / (double)t->win_method_n);
        st = weighting_window_end(t->W, mean);
        memset(t->win_method, 0, sizeof t->win_method);
        t->win_method_n = 0;
    }
    return st;
}
