/* trainer.c - one experiment's training loop, step by step. */
#include "trainer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/mem.h"
#include "engine/checkpoint.h"
#include "engine/graph.h"
#include "engine/optim.h"

struct mt_trainer {
    mt_experiment e; /* copy; holds a data reference */
    mt_monitor *mon; /* borrowed, may be NULL */
    mt_recorder rec;
    mt_hooks hooks;
    int T;

    mt_graph *g;
    mt_topo_built topo;
    mt_node x;
    mt_node y[MT_MAX_TASKS], m[MT_MAX_TASKS], loss[MT_MAX_TASKS];
    int max_batch;

    mt_optim opt;
    mt_batcher tb;
    long step, total;
    int epoch, batches_per_epoch;
    long last_hook_step;
    double lr_base, lr_scale, lr_now;
    float w[MT_MAX_TASKS]; /* current loss weights */

    /* training statistics over the window since the last evaluation */
    double win_loss[MT_MAX_TASKS], win_hit[MT_MAX_TASKS], win_cnt[MT_MAX_TASKS];
    long win_steps;
    double train_loss[MT_MAX_TASKS];
    double step_loss[MT_MAX_TASKS];
    mt_eval_result val, test;
    int have_val, have_test;

    /* the shared parameters, as ranges of the arena */
    int nsh;
    size_t *sh_off, *sh_len; /* (nsh) */
    size_t P;                /* floats in all shared ranges */
    float *scratch;          /* (params total) per-task backward destination */
    float *G;                /* (T, P) per-task gradients of the shared parameters */

    double busy_s;           /* seconds spent inside trainer_step */
    long samples;
    char topo_text[8192];
};

const char *split_kind_name(mt_split_kind s)
{
    return s == MT_SPLIT_TRAIN ? "train" : s == MT_SPLIT_VAL ? "val" : "test";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static mt_node task_loss(mt_graph *g, const mt_task_spec *k, mt_node out, mt_node y, mt_node m)
{
    switch (k->loss) {
    case MT_LOSS_CE: return graph_loss_softmax_ce(g, out, y, m);
    case MT_LOSS_MSE: return graph_loss_mse(g, out, y, m);
    case MT_LOSS_L1: return graph_loss_l1(g, out, y, m);
    case MT_LOSS_HUBER: return graph_loss_huber(g, out, y, m, k->huber_delta > 0 ? k->huber_delta : 1.0f);
    case MT_LOSS_BCE: return graph_loss_bce_logits(g, out, y, m);
    }
    return MT_NONE;
}

static mt_status build_graph(mt_trainer *t)
{
    const mt_experiment *e = &t->e;
    const mt_dataset *ds = &e->data->ds;
    t->g = graph_new();
    if (!t->g) return MT_ERR_NOMEM;
    int image = ds->c > 0 && e->topo.nconv > 0;
    t->x = image ? graph_input_image(t->g, "x", ds->c, ds->h, ds->w) : graph_input(t->g, "x", ds->d);
    char nm[96];
    for (int k = 0; k < t->T; k++) {
        const mt_task_spec *ts = &e->task[k];
        const mt_target *tg = &ds->targets[ts->target];
        snprintf(nm, sizeof nm, "y.%s", ts->name);
        t->y[k] = graph_input(t->g, nm, tg->dim);
        snprintf(nm, sizeof nm, "mask.%s", ts->name);
        t->m[k] = graph_input(t->g, nm, 1);
    }
    mt_status st = topo_build(t->g, &e->topo, t->x, image ? ds->c : 0, ds->h, ds->w, &t->topo);
    if (st) return st;
    for (int k = 0; k < t->T; k++)
        t->loss[k] = task_loss(t->g, &e->task[k], t->topo.out[k], t->y[k], t->m[k]);
    t->max_batch = e->train.batch > 256 ? e->train.batch : 256;
    st = graph_compile(t->g, t->max_batch);
    if (st) return mt_fail_prefix(st, "building the network");
    graph_init_params(t->g, e->train.seed);
    graph_set_seed(t->g, e->train.seed ^ 0x5eedULL);
    topo_count_params(t->g, &e->topo, &t->topo);
    topo_describe(&e->topo, ds->d, t->topo_text, sizeof t->topo_text);
    return MT_OK;
}

static mt_status index_shared(mt_trainer *t)
{
    mt_params *p = graph_params(t->g);
    t->sh_off = mt_calloc((size_t)p->count + 1, sizeof *t->sh_off);
    t->sh_len = mt_calloc((size_t)p->count + 1, sizeof *t->sh_len);
    if (!t->sh_off || !t->sh_len) return MT_ERR_NOMEM;
    for (int i = 0; i < p->count; i++) {
        if (p->info[i].group != 0) continue;
        t->sh_off[t->nsh] = p->info[i].offset;
        t->sh_len[t->nsh] = p->info[i].size;
        t->P += p->info[i].size;
        t->nsh++;
    }
    t->scratch = mt_alloc_aligned(p->total * sizeof(float));
    t->G = mt_alloc_aligned((size_t)t->T * (t->P ? t->P : 1) * sizeof(float));
    if (!t->scratch || !t->G) return MT_ERR_NOMEM;
    return MT_OK;
}

static mt_status make_optimizer(mt_trainer *t)
{
    const mt_optim_spec *o = &t->e.optim;
    mt_optim_kind kind;
    if (strcmp(o->name, "sgd") == 0) kind = MT_OPTIM_SGD;
    else if (strcmp(o->name, "adam") == 0) kind = MT_OPTIM_ADAM;
    else if (strcmp(o->name, "adamw") == 0) kind = MT_OPTIM_ADAMW;
    else return mt_fail(MT_ERR_ARG, "optim: unknown optimiser \"%s\" (sgd, adam, adamw)", o->name);
    mt_optim_config c = optim_defaults(kind);
    c.lr = o->lr;
    c.momentum = o->momentum;
    c.nesterov = o->nesterov;
    c.beta1 = o->beta1;
    c.beta2 = o->beta2;
    c.eps = o->eps;
    c.weight_decay = o->weight_decay;
    c.clip_norm = o->clip;
    if (strcmp(o->schedule, "step") == 0) c.sched.kind = MT_SCHED_STEP;
    else if (strcmp(o->schedule, "cosine") == 0) c.sched.kind = MT_SCHED_COSINE;
    else if (strcmp(o->schedule, "constant") == 0) c.sched.kind = MT_SCHED_CONSTANT;
    else return mt_fail(MT_ERR_ARG, "optim.schedule: unknown schedule \"%s\" (constant, step, cosine)", o->schedule);
    c.sched.warmup = o->warmup;
    c.sched.step_size = o->step_size > 0 ? o->step_size : 1;
    c.sched.gamma = o->gamma;
    c.sched.min_lr = o->min_lr;
    c.sched.total = (int)(t->total > o->warmup ? t->total : o->warmup + 1);
    mt_status st = optim_init(&t->opt, &c, graph_params(t->g)->total);
    return st ? mt_fail_prefix(st, "optim") : MT_OK;
}

static double current_lr(const mt_trainer *t)
{
    return optim_schedule_lr(&t->opt.cfg.sched, t->opt.cfg.lr, t->step);
}

/* Sets the optimiser's base rate to lr_base * lr_scale. */
static void apply_lr(mt_trainer *t)
{
    mt_optim_config c = t->opt.cfg;
    c.lr = (float)(t->lr_base * t->lr_scale);
    optim_set_config(&t->opt, &c);
    t->lr_now = current_lr(t);
    if (t->mon) t->mon->lr = t->lr_now;
}

static void publish_weights(mt_trainer *t)
{
    if (!t->mon) return;
    for (int k = 0; k < t->T; k++) series_push(&t->mon->weight[k], (double)t->step, t->w[k]);
}

static mt_status reset_weighting(mt_trainer *t)
{
    const char *nm = t->e.weighting.name;
    for (int k = 0; k < t->T; k++) {
        if (strcmp(nm, "equal") == 0) t->w[k] = 1.0f;
        else if (strcmp(nm, "static") == 0) t->w[k] = t->e.task[k].weight;
        else
            return mt_fail(MT_ERR_ARG, "weighting: unknown method \"%s\"", nm);
    }
    if (t->mon) snprintf(t->mon->weighting, sizeof t->mon->weighting, "%s", nm);
    return MT_OK;
}

mt_status trainer_new(const mt_experiment *e, mt_monitor *mon, mt_trainer **out)
{
    *out = NULL;
    mt_status st = experiment_validate(e);
    if (st) return st;
    mt_trainer *t = mt_calloc(1, sizeof *t);
    if (!t) return MT_ERR_NOMEM;
    t->e = *e;
    data_ref_retain(t->e.data);
    t->mon = mon;
    t->T = e->ntasks;
    t->lr_base = e->optim.lr;
    t->lr_scale = 1.0;
    const mt_split *sp = &e->data->split;
    t->batches_per_epoch = (sp->train.n + e->train.batch - 1) / e->train.batch;
    t->total = e->train.steps > 0 ? e->train.steps : (long)e->train.epochs * t->batches_per_epoch;
    if ((st = build_graph(t)) || (st = index_shared(t)) || (st = make_optimizer(t)) ||
        (st = reset_weighting(t)) ||
        (st = batcher_init(&t->tb, &sp->train, e->train.batch, e->train.seed, 1))) {
        trainer_free(t);
        return st;
    }
    t->last_hook_step = -1;
    if (mon) {
        snprintf(mon->experiment, sizeof mon->experiment, "%s", e->name);
        snprintf(mon->description, sizeof mon->description, "%s", e->description);
        snprintf(mon->topology, sizeof mon->topology, "%s", t->topo_text);
        mon->total_steps = t->total;
        mon->epochs = (int)((t->total + t->batches_per_epoch - 1) / t->batches_per_epoch);
        mon->state = MT_RUN_RUNNING;
    }
    t->lr_now = current_lr(t);
    if (mon) mon->lr = t->lr_now;
    *out = t;
    return MT_OK;
}

void trainer_free(mt_trainer *t)
{
    if (!t) return;
    optim_free(&t->opt);
    batcher_free(&t->tb);
    graph_free(t->g);
    mt_free(t->sh_off);
    mt_free(t->sh_len);
    mt_free(t->scratch);
    mt_free(t->G);
    experiment_free(&t->e);
    mt_free(t);
}

void trainer_set_recorder(mt_trainer *t, const mt_recorder *r) { t->rec = *r; }
void trainer_set_hooks(mt_trainer *t, const mt_hooks *h) { t->hooks = *h; }

/* Copies one batch of inputs, targets and masks into the graph. */
static void load_batch(mt_trainer *t, const int *rows, int n)
{
    const mt_dataset *ds = &t->e.data->ds;
    graph_set_batch(t->g, n);
    dataset_gather_x(ds, rows, n, graph_value(t->g, t->x));
    for (int k = 0; k < t->T; k++)
        dataset_gather_y(ds, t->e.task[k].target, rows, n, graph_value(t->g, t->y[k]),
                         graph_value(t->g, t->m[k]));
}

/* Accumulates, for task k on the current batch, the metric's numerator
 * (hits, or squared/absolute error) and the labelled count. */
static void batch_metric(mt_trainer *t, int k, int n, double *num, double *cnt)
{
    const mt_task_spec *ts = &t->e.task[k];
    const float *o = graph_value(t->g, t->topo.out[k]); /* (n, out_dim) */
    const float *y = graph_value(t->g, t->y[k]);        /* (n, dim) */
    const float *m = graph_value(t->g, t->m[k]);        /* (n, 1) */
    int od = ts->out_dim, yd = graph_cols(t->g, t->y[k]);
    for (int b = 0; b < n; b++) {
        if (m[b] == 0.0f) continue;
        const float *ob = o + (size_t)b * od, *yb = y + (size_t)b * yd;
        switch (ts->metric) {
        case MT_METRIC_ACCURACY:
            if (ts->kind == MT_TARGET_CLASS) {
                int best = 0;
                for (int j = 1; j < od; j++)
                    if (ob[j] > ob[best]) best = j;
                *num += best == (int)yb[0];
                *cnt += 1;
            } else {
                for (int j = 0; j < yd; j++) *num += (ob[j] > 0.0f) == (yb[j] > 0.5f);
                *cnt += yd;
            }
            break;
        case MT_METRIC_MSE:
            for (int j = 0; j < yd; j++) *num += (double)(ob[j] - yb[j]) * (ob[j] - yb[j]);
            *cnt += yd;
            break;
        case MT_METRIC_MAE:
            for (int j = 0; j < yd; j++) *num += fabs((double)ob[j] - yb[j]);
            *cnt += yd;
            break;
        case MT_METRIC_LOSS: break;
        }
    }
}

static double mask_count(mt_trainer *t, int k, int n)
{
    const float *m = graph_value(t->g, t->m[k]);
    double c = 0;
    for (int b = 0; b < n; b++) c += m[b];
    return c;
}

mt_status trainer_evaluate(mt_trainer *t, mt_split_kind split, mt_eval_result *out)
{
    const mt_split *sp = &t->e.data->split;
    const mt_index *set = split == MT_SPLIT_TEST ? &sp->test : split == MT_SPLIT_VAL ? &sp->val : &sp->train;
    memset(out, 0, sizeof *out);
    double lsum[MT_MAX_TASKS] = {0}, num[MT_MAX_TASKS] = {0}, cnt[MT_MAX_TASKS] = {0};
    double lcnt[MT_MAX_TASKS] = {0};
    for (int s = 0; s < set->n; s += t->max_batch) {
        int n = set->n - s < t->max_batch ? set->n - s : t->max_batch;
        load_batch(t, set->idx + s, n);
        graph_forward(t->g, MT_EVAL);
        for (int k = 0; k < t->T; k++) {
            double c = mask_count(t, k, n);
            lsum[k] += graph_value(t->g, t->loss[k])[0] * c;
            lcnt[k] += c;
            batch_metric(t, k, n, &num[k], &cnt[k]);
        }
    }
    for (int k = 0; k < t->T; k++) {
        out->n[k] = (int)lcnt[k];
        out->loss[k] = lcnt[k] > 0 ? lsum[k] / lcnt[k] : NAN;
        out->metric[k] = t->e.task[k].metric == MT_METRIC_LOSS ? out->loss[k]
                         : cnt[k] > 0                          ? num[k] / cnt[k]
                                                               : NAN;
    }
    return MT_OK;
}

static void record_metric(mt_trainer *t, mt_split_kind split, int k, double loss, double metric)
{
    if (t->rec.metric)
        t->rec.metric(t->rec.ud, t->step, t->epoch, split, t->e.task[k].name, loss, metric, t->w[k]);
}

static void record_matrix(mt_trainer *t, const char *name, int rows, int cols, const double *v,
                          double lo, double hi)
{
    const char *labels[MT_MAX_TASKS];
    for (int k = 0; k < t->T; k++) labels[k] = t->e.task[k].name;
    mt_matrix *mx = NULL;
    if (t->mon) {
        mx = monitor_matrix(t->mon, name, rows, cols, rows == t->T ? labels : NULL,
                            cols == t->T ? labels : NULL);
        if (mx) {
            memcpy(mx->v, v, (size_t)rows * (size_t)cols * sizeof *v);
            mx->lo = lo;
            mx->hi = hi;
            mx->step = t->step;
            mx->valid = 1;
        }
    }
    if (t->rec.matrix) {
        char rl[MT_MAX_TASKS][MT_MON_NAME], cl[MT_MAX_TASKS][MT_MON_NAME];
        for (int k = 0; k < MT_MAX_TASKS; k++) {
            snprintf(rl[k], MT_MON_NAME, "%s", k < t->T && rows == t->T ? labels[k] : "");
            snprintf(cl[k], MT_MON_NAME, "%s", k < t->T && cols == t->T ? labels[k] : "");
        }
        t->rec.matrix(t->rec.ud, t->step, name, rows, cols, v, (const char(*)[MT_MON_NAME])rl,
                      (const char(*)[MT_MON_NAME])cl);
    }
}

/* Per-task gradients of the shared parameters on the current batch, each
 * from its own backward pass that stops at the shared part: G (T, P). The
 * forward pass of the batch must be current. */
static mt_status task_gradients(mt_trainer *t)
{
    mt_backward_opts o = {.param_grad = t->scratch, .stop = MT_NONE, .only_group = 0};
    for (int k = 0; k < t->T; k++) {
        for (int r = 0; r < t->nsh; r++) memset(t->scratch + t->sh_off[r], 0, t->sh_len[r] * sizeof(float));
        mt_status st = graph_backward(t->g, &t->loss[k], NULL, 1, &o);
        if (st) return st;
        float *row = t->G + (size_t)k * t->P;
        for (int r = 0; r < t->nsh; r++) {
            memcpy(row, t->scratch + t->sh_off[r], t->sh_len[r] * sizeof(float));
            row += t->sh_len[r];
        }
    }
    return MT_OK;
}

/* The gradient-relation matrices of the current batch: cosine and
 * magnitude similarity of the task gradients on the shared parameters. */
static mt_status publish_relations(mt_trainer *t)
{
    if (t->P == 0 || t->T < 2) return MT_OK;
    mt_status st = task_gradients(t);
    if (st) return st;
    int T = t->T;
    double gram[MT_MAX_TASKS * MT_MAX_TASKS], cosm[MT_MAX_TASKS * MT_MAX_TASKS];
    double gms[MT_MAX_TASKS * MT_MAX_TASKS], norms[MT_MAX_TASKS];
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) {
            const float *a = t->G + (size_t)i * t->P, *b = t->G + (size_t)j * t->P;
            double s = 0;
            for (size_t p = 0; p < t->P; p++) s += (double)a[p] * b[p];
            gram[i * T + j] = gram[j * T + i] = s;
        }
    for (int i = 0; i < T; i++) norms[i] = sqrt(gram[i * T + i]);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            double d = norms[i] * norms[j];
            cosm[i * T + j] = d > 0 ? gram[i * T + j] / d : 0;
            double q = norms[i] * norms[i] + norms[j] * norms[j];
            gms[i * T + j] = q > 0 ? 2 * d / q : 0;
        }
    record_matrix(t, "grad cosine", T, T, cosm, -1, 1);
    record_matrix(t, "grad magnitude sim", T, T, gms, 0, 1);
    record_matrix(t, "grad norm", 1, T, norms, 0, 0);
    return MT_OK;
}

static mt_status evaluate_and_publish(mt_trainer *t)
{
    /* the training window */
    for (int k = 0; k < t->T; k++) {
        double l = t->win_steps ? t->win_loss[k] / (double)t->win_steps : NAN;
        double mtr = t->e.task[k].metric == MT_METRIC_LOSS ? l
                     : t->win_cnt[k] > 0                 ? t->win_hit[k] / t->win_cnt[k]
                                                         : NAN;
        t->train_loss[k] = l;
        record_metric(t, MT_SPLIT_TRAIN, k, l, mtr);
        t->win_loss[k] = t->win_hit[k] = t->win_cnt[k] = 0;
    }
    t->win_steps = 0;
    if (t->e.data->split.val.n > 0) {
        mt_status st = trainer_evaluate(t, MT_SPLIT_VAL, &t->val);
        if (st) return st;
        t->have_val = 1;
        for (int k = 0; k < t->T; k++) {
            record_metric(t, MT_SPLIT_VAL, k, t->val.loss[k], t->val.metric[k]);
            if (t->mon) {
                series_push(&t->mon->val_loss[k], (double)t->step, t->val.loss[k]);
                series_push(&t->mon->val_metric[k], (double)t->step, t->val.metric[k]);
            }
        }
    }
    if (t->rec.event) {
        char js[4096];
        size_t w = (size_t)snprintf(js, sizeof js, "{\"event\":\"eval\",\"step\":%ld,\"epoch\":%d,\"lr\":%.9g,\"val_loss\":[",
                                    t->step, t->epoch, t->lr_now);
        for (int k = 0; k < t->T && w < sizeof js - 64; k++)
            w += (size_t)snprintf(js + w, sizeof js - w, "%s%.9g", k ? "," : "",
                                  t->have_val && isfinite(t->val.loss[k]) ? t->val.loss[k] : -1.0);
        snprintf(js + w, sizeof js - w, "]}");
        t->rec.event(t->rec.ud, js);
    }
    if (t->hooks.on_eval) return t->hooks.on_eval(t->hooks.ud, t->step);
    return MT_OK;
}

static int eval_due(const mt_trainer *t)
{
    int every = t->e.train.eval_every > 0 ? t->e.train.eval_every : t->batches_per_epoch;
    return t->step % every == 0 || t->step == t->total;
}

static int relations_due(const mt_trainer *t)
{
    int every = t->e.train.relations_every > 0 ? t->e.train.relations_every
                : t->e.train.eval_every > 0    ? t->e.train.eval_every
                                               : t->batches_per_epoch;
    return (t->step + 1) % every == 0 || t->step == 0;
}

mt_status trainer_step(mt_trainer *t)
{
    if (trainer_finished(t)) return mt_fail(MT_ERR_STATE, "%s: training already finished", t->e.name);
    double t0 = now_s();
    const int *rows;
    int n = batcher_next(&t->tb, &rows);
    if (n == 0) {
        t->epoch++;
        if (t->hooks.on_epoch) {
            mt_status st = t->hooks.on_epoch(t->hooks.ud, t->epoch);
            if (st) return st;
        }
        n = batcher_next(&t->tb, &rows);
    }
    load_batch(t, rows, n);
    graph_forward(t->g, MT_TRAIN);
    double lv[MT_MAX_TASKS];
    for (int k = 0; k < t->T; k++) {
        lv[k] = graph_value(t->g, t->loss[k])[0];
        if (!isfinite(lv[k]))
            return mt_fail(MT_ERR_NUMERIC, "task '%s': loss is %s at step %ld (epoch %d)",
                           t->e.task[k].name, isnan(lv[k]) ? "NaN" : "Inf", t->step + 1, t->epoch + 1);
    }
    if (relations_due(t)) {
        mt_status st = publish_relations(t);
        if (st) return st;
    }
    mt_params *p = graph_params(t->g);
    params_zero_grad(p);
    mt_status st = graph_backward(t->g, t->loss, t->w, t->T, NULL);
    if (st) return st;
    double gn = optim_grad_norm(p->grad, p->total);
    if (!isfinite(gn))
        return mt_fail(MT_ERR_NUMERIC, "gradient norm is %s at step %ld (epoch %d)",
                       isnan(gn) ? "NaN" : "Inf", t->step + 1, t->epoch + 1);
    t->lr_now = current_lr(t);
    st = optim_step_params(&t->opt, p);
    if (st) return st;
    t->step++;
    t->samples += n;
    for (int k = 0; k < t->T; k++) {
        t->win_loss[k] += lv[k];
        t->step_loss[k] = lv[k];
        batch_metric(t, k, n, &t->win_hit[k], &t->win_cnt[k]);
        if (t->mon) series_push(&t->mon->train_loss[k], (double)t->step, lv[k]);
    }
    t->win_steps++;
    publish_weights(t);
    t->busy_s += now_s() - t0;
    if (t->mon) {
        t->mon->step = t->step;
        t->mon->epoch = t->epoch;
        t->mon->lr = t->lr_now;
        t->mon->samples_per_s = trainer_samples_per_s(t);
    }
    if (eval_due(t)) {
        st = evaluate_and_publish(t);
        if (st) return st;
    }
    if (t->hooks.on_step && t->step - t->last_hook_step >= t->e.train.callback_every) {
        t->last_hook_step = t->step;
        return t->hooks.on_step(t->hooks.ud, t->step);
    }
    return MT_OK;
}

int trainer_finished(const mt_trainer *t) { return t->step >= t->total; }

mt_status trainer_finish(mt_trainer *t)
{
    if (t->e.data->split.val.n > 0 && !t->have_val) {
        mt_status st = trainer_evaluate(t, MT_SPLIT_VAL, &t->val);
        if (st) return st;
        t->have_val = 1;
    }
    if (t->e.data->split.test.n > 0) {
        mt_status st = trainer_evaluate(t, MT_SPLIT_TEST, &t->test);
        if (st) return st;
        t->have_test = 1;
        for (int k = 0; k < t->T; k++) record_metric(t, MT_SPLIT_TEST, k, t->test.loss[k], t->test.metric[k]);
    }
    if (t->mon && t->mon->state == MT_RUN_RUNNING) t->mon->state = MT_RUN_FINISHED;
    return MT_OK;
}

long trainer_step_count(const mt_trainer *t) { return t->step; }
long trainer_total_steps(const mt_trainer *t) { return t->total; }
int trainer_epoch(const mt_trainer *t) { return t->epoch; }
double trainer_epochs_done(const mt_trainer *t) { return (double)t->step / t->batches_per_epoch; }
const double *trainer_step_loss(const mt_trainer *t) { return t->step_loss; }
double trainer_samples_per_s(const mt_trainer *t) { return t->busy_s > 0 ? (double)t->samples / t->busy_s : 0; }
double trainer_lr(const mt_trainer *t) { return t->lr_now; }

void trainer_scale_lr(mt_trainer *t, double factor)
{
    t->lr_scale *= factor;
    apply_lr(t);
}

void trainer_set_lr(mt_trainer *t, double lr)
{
    t->lr_base = lr;
    t->lr_scale = 1.0;
    apply_lr(t);
}

const float *trainer_weights(const mt_trainer *t) { return t->w; }

mt_status trainer_set_static_weight(mt_trainer *t, int task, double w)
{
    if (task < 0 || task >= t->T) return mt_fail(MT_ERR_ARG, "no task %d", task + 1);
    if (!(w >= 0)) return mt_fail(MT_ERR_ARG, "weight must be >= 0, got %g", w);
    t->e.task[task].weight = (float)w;
    if (strcmp(t->e.weighting.name, "static") == 0) t->w[task] = (float)w;
    return MT_OK;
}

mt_status trainer_set_weighting(mt_trainer *t, const mt_method_spec *m)
{
    mt_method_spec old = t->e.weighting;
    t->e.weighting = *m;
    mt_status st = reset_weighting(t);
    if (st) {
        t->e.weighting = old;
        reset_weighting(t);
        return st;
    }
    if (t->mon) monitor_log(t->mon, 1, "step %ld: weighting -> %s", t->step, m->name);
    if (t->rec.event) {
        char js[256];
        snprintf(js, sizeof js, "{\"event\":\"weighting\",\"step\":%ld,\"method\":\"%s\"}", t->step, m->name);
        t->rec.event(t->rec.ud, js);
    }
    return MT_OK;
}

const char *trainer_weighting_name(const mt_trainer *t) { return t->e.weighting.name; }
const mt_experiment *trainer_experiment(const mt_trainer *t) { return &t->e; }
const mt_eval_result *trainer_last_val(const mt_trainer *t) { return t->have_val ? &t->val : NULL; }
const mt_eval_result *trainer_last_test(const mt_trainer *t) { return t->have_test ? &t->test : NULL; }
const double *trainer_train_loss(const mt_trainer *t) { return t->train_loss; }
struct mt_graph *trainer_graph(mt_trainer *t) { return t->g; }
size_t trainer_params_shared(const mt_trainer *t) { return t->topo.n_shared; }
size_t trainer_params_task(const mt_trainer *t, int task) { return t->topo.n_task[task]; }
size_t trainer_params_total(const mt_trainer *t)
{
    size_t n = t->topo.n_shared;
    for (int k = 0; k < t->T; k++) n += t->topo.n_task[k];
    return n;
}
const char *trainer_topology_text(const mt_trainer *t) { return t->topo_text; }

mt_status trainer_save_checkpoint(mt_trainer *t, const char *path)
{
    char step[32];
    snprintf(step, sizeof step, "%ld", t->step);
    const char *keys[] = {"mtlab.experiment", "mtlab.step", "mtlab.weighting"};
    const char *vals[] = {t->e.name, step, t->e.weighting.name};
    return checkpoint_save(path, graph_params(t->g), keys, vals, 3);
}

mt_status trainer_load_checkpoint(mt_trainer *t, const char *path)
{
    return checkpoint_load(path, graph_params(t->g));
}
