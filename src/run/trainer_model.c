/* trainer_model.c - the trainer's path for a non-graph model (kernel
 * ridge, the multi-task GP, hierarchical Bayes; mtl/model.h): what a
 * model can be asked to do, building it from the training split, its
 * steps and evaluations, the posterior band it publishes, and its
 * checkpoints. Everything it records goes through the same monitor
 * series, matrices and recorder as a network's, so the screen, the run
 * directory and the comparison need no special case. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "engine/kernels.h"
#include "mtl/model.h"
#include "run/trainer_impl.h"

/* ---- what a model can be asked to do ------------------------------------- */

static const char *kind_name(mt_target_kind k)
{
    return k == MT_TARGET_CLASS ? "classification" : k == MT_TARGET_BINARY ? "binary" : "regression";
}

mt_status experiment_validate_model(const mt_experiment *e)
{
    const mt_model_class *mc = model_class_of(&e->topo);
    if (!mc) return MT_OK;
    const char *nm = e->topo.type;
    for (int k = 0; k < e->ntasks; k++) {
        const mt_task_spec *ts = &e->task[k];
        if (ts->kind != MT_TARGET_REGRESS)
            return mt_fail(MT_ERR_ARG,
                           "tasks[%d] (%s): a %s task, but the %s model has a Gaussian likelihood and predicts "
                           "real values: use mtl.task.regress, or a network (mtl.share.*) for classification",
                           k + 1, ts->name, kind_name(ts->kind), nm);
        if (ts->loss != MT_LOSS_MSE && ts->loss != MT_LOSS_L1 && ts->loss != MT_LOSS_HUBER)
            return mt_fail(MT_ERR_ARG, "tasks[%d].loss: \"%s\" is not a loss the %s model can report (mse, l1, huber)",
                           k + 1, loss_kind_name(ts->loss), nm);
        if (ts->out_dim != 1)
            return mt_fail(MT_ERR_ARG, "tasks[%d] (%s): %d outputs, but the %s model predicts one real value per task",
                           k + 1, ts->name, ts->out_dim, nm);
        if (e->topo.task[k].grad_reverse > 0 || e->topo.task[k].detach)
            return mt_fail(MT_ERR_ARG,
                           "tasks[%d] (%s): reverse and detach act on a network's shared layers; the %s model has none",
                           k + 1, ts->name, nm);
    }
    if (strcmp(e->weighting.name, "equal") != 0)
        return mt_fail(MT_ERR_ARG,
                       "weighting: the %s model fits %s, not a weighted sum of task losses; leave weighting = \"equal\"",
                       nm, mc->fits);
    if (e->nreg > 0)
        return mt_fail(MT_ERR_ARG, "regularizers: they act on a network's parameters; the %s model fits %s", nm,
                       mc->fits);
    if (mc->uses_adam && strcmp(e->optim.name, "adam") != 0)
        return mt_fail(MT_ERR_ARG,
                       "optim: the %s model learns its hyperparameters with Adam (optim = mtl.optim.adam { lr = 0.05 }), "
                       "got %s",
                       nm, e->optim.name);
    int targets[MT_MAX_TASKS];
    for (int k = 0; k < e->ntasks; k++) targets[k] = e->task[k].target;
    return model_check_data(&e->topo, &e->data->ds, &e->data->split.train, targets);
}

/* ---- building ------------------------------------------------------------ */

mt_params *tr_params(mt_trainer *t) { return t->model ? &t->model->arena : graph_params(t->g); }

mt_status tr_model_build(mt_trainer *t)
{
    const mt_experiment *e = &t->e;
    int targets[MT_MAX_TASKS];
    for (int k = 0; k < t->T; k++) targets[k] = e->task[k].target;
    mt_model *m;
    mt_status st = model_new(&e->topo, &e->data->ds, &e->data->split.train, targets, e->train.seed, &m);
    if (st) return st;
    t->model = m;
    t->topo.state = m; /* freed by the class's hook with the topology */
    t->topo.shared = MT_NONE;
    t->topo.shared_weight = -1;
    t->topo.n_shared = params_count_group(&m->arena, 0);
    for (int k = 0; k < t->T; k++) t->topo.n_task[k] = params_count_group(&m->arena, 1 + k);
    size_t w = topo_describe(&e->topo, e->data->ds.d, t->topo_text, sizeof t->topo_text);
    w = topo_appendf(t->topo_text, sizeof t->topo_text, w, "  %d training pairs:", m->n);
    for (int k = 0; k < t->T; k++) {
        int c = 0;
        for (int i = 0; i < m->n; i++) c += m->task[i] == k;
        w = topo_appendf(t->topo_text, sizeof t->topo_text, w, " %s %d", e->task[k].name, c);
    }
    topo_appendf(t->topo_text, sizeof t->topo_text, w, "\n");
    return MT_OK;
}

/* ---- losses as the network's are defined -------------------------------- */

/* The task's loss and metric numerator over pred and y (n floats), with
 * the engine's own definitions (engine/kernels.h). */
static void task_loss(const mt_task_spec *ts, const float *pred, const float *y, int n, double *loss, double *num)
{
    double den;
    switch (ts->loss) {
    case MT_LOSS_L1: *loss = kern_l1_forward(pred, y, NULL, n, 1, &den); break;
    case MT_LOSS_HUBER:
        *loss = kern_huber_forward(pred, y, NULL, n, 1, ts->huber_delta > 0 ? ts->huber_delta : 1.0f, &den);
        break;
    default: *loss = kern_mse_forward(pred, y, NULL, n, 1, &den); break;
    }
    *num = ts->metric == MT_METRIC_MAE ? kern_l1_forward(pred, y, NULL, n, 1, &den)
                                       : kern_mse_forward(pred, y, NULL, n, 1, &den);
    *loss = n ? *loss / n : NAN;
}

/* ---- the posterior band -------------------------------------------------- */

/* For one input dimension and up to MT_MON_BAND_TASKS tasks: the grid,
 * each task's posterior mean and sd on it, and (up to the grid's length)
 * its training points, in the layout monitor.h describes. */
void tr_model_publish_band(mt_trainer *t)
{
    mt_model *m = t->model;
    int T = t->T, G = MT_MON_BAND_GRID;
    if (m->d != 1 || T > MT_MON_BAND_TASKS) return;
    int rows = 1 + 4 * T;
    double *v = mt_alloc((size_t)rows * G * sizeof *v);
    if (!v) return;
    double lo = m->X[0], hi = m->X[0];
    for (int i = 1; i < m->n; i++) lo = fmin(lo, m->X[i]), hi = fmax(hi, m->X[i]);
    double pad = hi > lo ? 0.05 * (hi - lo) : 1;
    for (int j = 0; j < G; j++) v[j] = lo - pad + (hi - lo + 2 * pad) * j / (G - 1);
    char names[1 + 4 * MT_MON_BAND_TASKS][MT_MON_NAME];
    const char *labels[1 + 4 * MT_MON_BAND_TASKS];
    snprintf(names[0], MT_MON_NAME, "x");
    static const char *const part[4] = {"mean", "sd", "data x", "data y"};
    for (int k = 0; k < T; k++) {
        double *mean = v + (size_t)(1 + 4 * k) * G, *sd = mean + G, *px = sd + G, *py = px + G;
        if (m->cls->predict(m, k, v, G, mean, sd)) {
            for (int j = 0; j < G; j++) mean[j] = sd[j] = NAN;
        }
        for (int j = 0; j < G; j++) sd[j] = isnan(sd[j]) ? NAN : sqrt(sd[j]);
        /* the task's points, every step-th when there are more than fit */
        int cnt = 0;
        for (int i = 0; i < m->n; i++) cnt += m->task[i] == k;
        int step = (cnt + G - 1) / G, seen = 0, c = 0;
        for (int j = 0; j < G; j++) px[j] = py[j] = NAN;
        for (int i = 0; i < m->n && c < G; i++) {
            if (m->task[i] != k) continue;
            if (seen++ % (step ? step : 1) == 0) px[c] = m->X[i], py[c++] = m->y[i];
        }
        for (int p = 0; p < 4; p++)
            snprintf(names[1 + 4 * k + p], MT_MON_NAME, "%.40s %s", t->e.task[k].name, part[p]);
    }
    for (int r = 0; r < rows; r++) labels[r] = names[r];
    tr_record_matrix_labelled(t, MT_MON_BAND, rows, G, v, 0, 0, labels, NULL);
    mt_free(v);
}

/* The band and the class's matrices, as at an evaluation: at the start,
 * so the picture shows the model before it learns anything. */
void tr_model_publish_start(mt_trainer *t)
{
    if (t->mon) snprintf(t->mon->weight_label, sizeof t->mon->weight_label, "sigma"); /* each task's noise sd */
    tr_model_publish_band(t);
    tr_publish_learned(t);
}

/* ---- a step -------------------------------------------------------------- */

mt_status tr_model_step(mt_trainer *t)
{
    mt_model *m = t->model;
    double t0 = tr_now_s();
    if (t->step > 0) { /* every step is a pass over all the training data */
        t->epoch++;
        if (t->hooks.on_epoch) {
            mt_status st = t->hooks.on_epoch(t->hooks.ud, t->epoch);
            if (st) return st;
        }
    }
    t->lr_now = tr_current_lr(t);
    mk_adam_cfg c = {.lr = t->lr_now, .beta1 = t->opt.cfg.beta1, .beta2 = t->opt.cfg.beta2, .eps = t->opt.cfg.eps};
    double obj;
    mt_status st = m->cls->step(m, &c, m->loo, &obj);
    if (st) return mt_fail_prefix(st, "step %ld", t->step + 1);
    m->objective = obj;
    /* each task's leave-one-out loss, by the task's own loss */
    float *e = mt_alloc((size_t)m->n * sizeof *e), *zero = mt_calloc((size_t)m->n, sizeof *zero);
    if (!e || !zero) {
        mt_free(e);
        mt_free(zero);
        return MT_ERR_NOMEM;
    }
    double sd[MT_MAX_TASKS];
    m->cls->noise_sd(m, sd);
    t->step++;
    t->samples += m->n;
    for (int k = 0; k < t->T; k++) {
        int n = 0;
        for (int i = 0; i < m->n; i++)
            if (m->task[i] == k) e[n++] = (float)m->loo[i];
        double loss = NAN, num = 0;
        if (n) task_loss(&t->e.task[k], e, zero, n, &loss, &num);
        t->step_loss[k] = loss;
        t->win_loss[k] += loss;
        t->win_hit[k] += num;
        t->win_cnt[k] += n;
        if (t->mon) {
            series_push(&t->mon->train_loss[k], (double)t->step, loss);
            series_push(&t->mon->weight[k], (double)t->step, isnan(sd[k]) ? t->w[k] : sd[k]);
        }
    }
    mt_free(e);
    mt_free(zero);
    t->win_steps++;
    return tr_step_done(t, t0);
}

/* ---- evaluation ---------------------------------------------------------- */

mt_status tr_model_evaluate(mt_trainer *t, mt_split_kind split, mt_eval_result *out)
{
    const mt_split *sp = &t->e.data->split;
    const mt_index *set = split == MT_SPLIT_TEST ? &sp->test : split == MT_SPLIT_VAL ? &sp->val : &sp->train;
    const mt_dataset *ds = &t->e.data->ds;
    mt_model *m = t->model;
    int d = ds->d;
    memset(out, 0, sizeof *out);
    double *X = mt_alloc(((size_t)set->n * d + 1) * sizeof *X), *mean = mt_alloc(((size_t)set->n + 1) * sizeof *mean);
    float *p = mt_alloc(((size_t)set->n + 1) * sizeof *p), *y = mt_alloc(((size_t)set->n + 1) * sizeof *y);
    mt_status st = X && mean && p && y ? MT_OK : MT_ERR_NOMEM;
    for (int k = 0; !st && k < t->T; k++) {
        const mt_task_spec *ts = &t->e.task[k];
        const mt_target *tg = &ds->targets[ts->target];
        int n = 0;
        for (int i = 0; i < set->n; i++) {
            int row = set->idx[i];
            if (tg->mask && !tg->mask[row]) continue;
            for (int j = 0; j < d; j++) X[(size_t)n * d + j] = ds->x[(size_t)row * d + j];
            y[n++] = tg->y[row];
        }
        out->n[k] = n;
        out->loss[k] = out->metric[k] = NAN;
        if (!n) continue;
        if ((st = m->cls->predict(m, k, X, n, mean, NULL))) break;
        for (int i = 0; i < n; i++) p[i] = (float)mean[i];
        double num;
        task_loss(ts, p, y, n, &out->loss[k], &num);
        out->metric[k] = ts->metric == MT_METRIC_LOSS ? out->loss[k] : tr_metric_units(t, k, num / n);
    }
    mt_free(X);
    mt_free(mean);
    mt_free(p);
    mt_free(y);
    return st;
}

/* ---- checkpoints --------------------------------------------------------- */

void tr_model_sync(mt_trainer *t)
{
    long at = 0;
    t->model->cls->save(t->model, t->opt.m, t->opt.v, &at);
    t->opt.t = at;
    t->opt.step = t->step;
}

mt_status tr_model_restore(mt_trainer *t, int with_optim)
{
    mt_status st = t->model->cls->load(t->model, with_optim ? t->opt.m : NULL, with_optim ? t->opt.v : NULL, t->opt.t);
    return st ? mt_fail_prefix(st, "loading the model") : MT_OK;
}
