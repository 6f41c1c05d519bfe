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

/* Creates the method the spec names (allocation happens here, never in a
 * step), its parameters from the registry: the spec's, else the
 * defaults. On failure the trainer keeps its previous method. */
mt_status tr_setup_method(mt_trainer *t, const mt_method_spec *m)
{
    const mt_method_info *info;
    mt_status st = method_lookup(m->name, &info);
    if (st) return mt_fail_prefix(st, "weighting");
    if ((st = tparam_validate(&m->params, info->params, "weighting", info->name))) return st;
    if (info->family == MT_METHOD_WEIGHTING) {
        mt_weighting_kind kind = (mt_weighting_kind)info->kind;
        if (kind == MT_WEIGHT_GRADNORM && (t->gw_len == 0 || t->topo.shared_weight < 0))
            return mt_fail(MT_ERR_ARG, "weighting gradnorm: the network has no shared layer to measure gradients at");
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
        t->mgda_ub = 0;
        t->method_window = prm.dwa_window;
        memcpy(t->w, weighting_weights(W), (size_t)t->T * sizeof(float));
    } else {
        mt_combine_kind kind = (mt_combine_kind)info->kind;
        if (t->P == 0) return mt_fail(MT_ERR_ARG, "%s: the network has no shared parameters to combine gradients on", m->name);
        int ub = kind == MT_COMBINE_MGDA_UB;
        if (ub && t->topo.shared == MT_NONE)
            return mt_fail(MT_ERR_ARG, "mgda_ub needs one shared representation: attach every head at the same trunk layer");
        mt_combine_params prm;
        combine_params_default(&prm);
        method_fill(info, &m->params, &prm);
        prm.seed = t->e.train.seed;
        if (ub && !t->zgrad) {
            t->zgrad = mt_alloc_aligned((size_t)t->T * (size_t)t->max_batch * t->R * sizeof(float));
            if (!t->zgrad) return MT_ERR_NOMEM;
        }
        mt_combiner *C;
        if ((st = combine_new(&C, kind, t->T, &prm))) return mt_fail_prefix(st, "%s", m->name);
        combine_free(t->C);
        weighting_free(t->W);
        t->W = NULL;
        t->C = C;
        t->mgda_ub = ub;
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
 * pass, into G (T, P): before each pass the shared ranges of `dest` (laid
 * out like the arena) are zeroed, after it they are copied out. */
static mt_status per_task_gradients(mt_trainer *t, float *dest, const mt_backward_opts *o)
{
    for (int k = 0; k < t->T; k++) {
        for (int r = 0; r < t->nsh; r++) memset(dest + t->sh_off[r], 0, t->sh_len[r] * sizeof(float));
        mt_status st = graph_backward(t->g, &t->loss[k], NULL, 1, o);
        if (st) return st;
        float *row = t->G + (size_t)k * t->P;
        for (int r = 0; r < t->nsh; r++) {
            memcpy(row, dest + t->sh_off[r], t->sh_len[r] * sizeof(float));
            row += t->sh_len[r];
        }
    }
    return MT_OK;
}

/* G through the scratch buffer, touching only the shared parameters: the
 * arena's gradient is left alone (relations, GradNorm's norms). The
 * forward pass of the batch must be current. */
mt_status tr_task_gradients(mt_trainer *t)
{
    mt_backward_opts o = {.param_grad = t->scratch, .stop = MT_NONE, .only_group = 0};
    return per_task_gradients(t, t->scratch, &o);
}

/* G written straight through the arena's gradient, so the task-specific
 * parameters end with their own task's gradient and no pass is spent on
 * them twice. The caller then writes the combined shared gradient back. */
static mt_status task_gradients_inplace(mt_trainer *t)
{
    return per_task_gradients(t, graph_params(t->g)->grad, NULL);
}

static void write_shared(mt_trainer *t, const float *d)
{
    mt_params *p = graph_params(t->g);
    for (int r = 0; r < t->nsh; r++) {
        memcpy(p->grad + t->sh_off[r], d, t->sh_len[r] * sizeof(float));
        d += t->sh_len[r];
    }
}

/* MGDA-UB (Sener & Koltun 2018): the min-norm weights of the gradients
 * with respect to the shared representation Z, each from a backward pass
 * that stops at Z, then one full backward with those weights. */
static mt_status mgda_ub_weights(mt_trainer *t, const float *lf, int n)
{
    size_t cols = (size_t)n * t->R;
    mt_backward_opts o = {.param_grad = t->scratch, .stop = t->topo.shared, .only_group = -1};
    for (int k = 0; k < t->T; k++) {
        mt_status st = graph_backward(t->g, &t->loss[k], NULL, 1, &o);
        if (st) return st;
        memcpy(t->zgrad + (size_t)k * cols, graph_grad(t->g, t->topo.shared), cols * sizeof(float));
    }
    return combine_run(t->C, t->zgrad, t->T, cols, lf, NULL, t->w);
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
    params_zero_grad(p);
    if (t->mgda_ub) {
        if ((st = mgda_ub_weights(t, lf, n))) return mt_fail_prefix(st, "mgda_ub at step %ld", t->step + 1);
        if (need_G && (st = tr_task_gradients(t))) return st;
        return graph_backward(t->g, t->loss, t->w, t->T, NULL);
    }
    if ((st = task_gradients_inplace(t))) return st;
    if ((st = combine_run(t->C, t->G, t->T, t->P, lf, t->dvec, t->w)))
        return mt_fail_prefix(st, "%s at step %ld", combine_kind_name(combine_kind(t->C)), t->step + 1);
    write_shared(t, t->dvec);
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
