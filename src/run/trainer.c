/* trainer.c - one experiment's training loop, step by step: building the
 * network, the batches, evaluation, and the lifecycle. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "mtl/model.h"
#include "run/jsonrec.h"
#include "run/trainer_impl.h"

const char *split_kind_name(mt_split_kind s)
{
    return s == MT_SPLIT_TRAIN ? "train" : s == MT_SPLIT_VAL ? "val" : "test";
}

double tr_now_s(void)
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
    case MT_LOSS_VALUE: return graph_mean(g, out);
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
    const mt_topo_class *tc = topo_find(e->topo.type);
    if (tc && tc->hooks.init_params) tc->hooks.init_params(t->topo.state, t->g, graph_params(t->g));
    graph_set_seed(t->g, e->train.seed ^ 0x5eedULL);
    topo_count_params(t->g, &e->topo, &t->topo);
    topo_describe(&e->topo, ds->d, t->topo_text, sizeof t->topo_text);
    for (int r = 0; r < e->nreg; r++) {
        const mt_reg_class *rc = reg_find(e->reg[r].type);
        if (!rc) return mt_fail(MT_ERR_ARG, "regularizers[%d]: unknown regulariser \"%s\"", r + 1, e->reg[r].type);
        st = rc->attach(&e->reg[r], &e->topo, t->g, &t->reg_state[r]);
        if (st) return mt_fail_prefix(st, "regularizers[%d] (%s)", r + 1, e->reg[r].type);
        size_t w = strlen(t->topo_text);
        char prm[512];
        tparam_format(&e->reg[r].params, rc->params, prm, sizeof prm);
        snprintf(t->topo_text + w, sizeof t->topo_text - w, "regulariser: %s (%s)\n", rc->name, prm);
    }
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
        if (i == t->topo.shared_weight) {
            t->gw_off = t->P;
            t->gw_len = p->info[i].size;
        }
        t->sh_off[t->nsh] = p->info[i].offset;
        t->sh_len[t->nsh] = p->info[i].size;
        t->P += p->info[i].size;
        t->nsh++;
    }
    t->scratch = mt_alloc_aligned(p->total * sizeof(float));
    t->G = mt_alloc_aligned((size_t)t->T * (t->P ? t->P : 1) * sizeof(float));
    t->dvec = mt_alloc_aligned((t->P ? t->P : 1) * sizeof(float));
    if (!t->scratch || !t->G || !t->dvec) return MT_ERR_NOMEM;
    if (t->topo.shared != MT_NONE) t->R = (size_t)graph_cols(t->g, t->topo.shared);
    if (t->e.train.affinity_every > 0 && !(t->backup = mt_alloc_aligned(p->total * sizeof(float))))
        return MT_ERR_NOMEM;
    return relations_conflict_init(&t->conflicts, t->T);
}

static mt_status make_optimizer(mt_trainer *t)
{
    const mt_optim_spec *o = &t->e.optim;
    mt_optim_kind kind;
    if (strcmp(o->name, "sgd") == 0) kind = MT_OPTIM_SGD;
    else if (strcmp(o->name, "adam") == 0) kind = MT_OPTIM_ADAM;
    else if (strcmp(o->name, "adamw") == 0) kind = MT_OPTIM_ADAMW;
    else if (strcmp(o->name, "rmsprop") == 0) kind = MT_OPTIM_RMSPROP;
    else if (strcmp(o->name, "adagrad") == 0) kind = MT_OPTIM_ADAGRAD;
    else return mt_fail(MT_ERR_ARG, "optim: unknown optimiser \"%s\" (sgd, adam, adamw, rmsprop, adagrad)", o->name);
    mt_optim_config c = optim_defaults(kind);
    c.lr = o->lr;
    c.momentum = o->momentum;
    c.nesterov = o->nesterov;
    c.beta1 = o->beta1;
    c.beta2 = o->beta2;
    c.eps = o->eps;
    c.alpha = o->alpha;
    c.lr_decay = o->lr_decay;
    c.weight_decay = o->weight_decay;
    c.clip_norm = o->clip;
    if (strcmp(o->schedule, "step") == 0) c.sched.kind = MT_SCHED_STEP;
    else if (strcmp(o->schedule, "cosine") == 0) c.sched.kind = MT_SCHED_COSINE;
    else if (strcmp(o->schedule, "constant") == 0) c.sched.kind = MT_SCHED_CONSTANT;
    else if (strcmp(o->schedule, "plateau") == 0) c.sched.kind = MT_SCHED_PLATEAU;
    else return mt_fail(MT_ERR_ARG, "optim.schedule: unknown schedule \"%s\" (constant, step, cosine, plateau)", o->schedule);
    c.sched.patience = o->patience;
    c.sched.threshold = o->threshold;
    optim_plateau_init(&t->plateau);
    c.sched.warmup = o->warmup;
    c.sched.step_size = o->step_size > 0 ? o->step_size : 1;
    c.sched.gamma = o->gamma;
    c.sched.min_lr = o->min_lr;
    c.sched.total = (int)(t->total > o->warmup ? t->total : o->warmup + 1);
    mt_status st = optim_init(&t->opt, &c, tr_params(t)->total);
    return st ? mt_fail_prefix(st, "optim") : MT_OK;
}

double tr_current_lr(const mt_trainer *t)
{
    return optim_schedule_lr(&t->opt.cfg.sched, t->opt.cfg.lr, t->step);
}

/* Sets the optimiser's base rate to lr_base * lr_scale. */
static void apply_lr(mt_trainer *t)
{
    mt_optim_config c = t->opt.cfg;
    c.lr = (float)(t->lr_base * t->lr_scale);
    optim_set_config(&t->opt, &c);
    t->lr_now = tr_current_lr(t);
    if (t->mon) t->mon->lr = t->lr_now;
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
    /* no training loss is reported before the first evaluation closes a
     * window: a run that ends before it (stopped, failed) says null, not 0 */
    for (int k = 0; k < MT_MAX_TASKS; k++) t->train_loss[k] = NAN;
    const mt_split *sp = &e->data->split;
    const mt_model_class *mc = model_class_of(&e->topo); /* a model takes all the data in each step */
    t->batches_per_epoch = mc ? 1 : (sp->train.n + e->train.batch - 1) / e->train.batch;
    t->total = mc && !mc->iterative ? 1 : e->train.steps > 0 ? e->train.steps : (long)e->train.epochs * t->batches_per_epoch;
    if ((st = mc ? tr_model_build(t) : build_graph(t)) || (st = mc ? MT_OK : index_shared(t)) || (st = make_optimizer(t)) ||
        (st = tr_setup_method(t, &e->weighting)) ||
        (st = batcher_init(&t->tb, &sp->train, e->train.batch, e->train.seed, 1))) {
        trainer_free(t);
        return st;
    }
    t->last_hook_step = 0;
    if (mon) {
        snprintf(mon->experiment, sizeof mon->experiment, "%s", e->name);
        snprintf(mon->description, sizeof mon->description, "%s", e->description);
        snprintf(mon->topology, sizeof mon->topology, "%s", t->topo_text);
        mon->total_steps = t->total;
        tr_reference_levels(t, mon);
        mon->epochs = (int)((t->total + t->batches_per_epoch - 1) / t->batches_per_epoch);
        mon->state = MT_RUN_RUNNING;
    }
    t->lr_now = tr_current_lr(t);
    if (mon) mon->lr = t->lr_now;
    if (t->model) tr_model_publish_start(t);
    *out = t;
    return MT_OK;
}

/* The level each task's loss cannot beat, for the loss plot: chance (log
 * K) for a K-class cross-entropy, the noise variance of a generated
 * target for an MSE. */
void tr_reference_levels(const mt_trainer *t, mt_monitor *mon)
{
    for (int k = 0; k < t->e.ntasks && k < mon->ntasks; k++) {
        const mt_task_spec *ts = &t->e.task[k];
        const mt_target *tg = &t->e.data->ds.targets[ts->target];
        mon->ref_level[k] = NAN;
        mon->ref_label[k][0] = '\0';
        if (ts->loss == MT_LOSS_CE && tg->kind == MT_TARGET_CLASS && tg->classes >= 2) {
            mon->ref_level[k] = log((double)tg->classes);
            snprintf(mon->ref_label[k], sizeof mon->ref_label[k], "chance");
        } else if (ts->loss == MT_LOSS_MSE && tg->kind == MT_TARGET_REGRESS && isfinite(tg->noise_var)) {
            /* a standardised target's loss is in its units: y / scale */
            mon->ref_level[k] = tg->scale > 0 ? tg->noise_var / (tg->scale * tg->scale) : tg->noise_var;
            snprintf(mon->ref_label[k], sizeof mon->ref_label[k], "noise floor");
        }
    }
}

/* Frees what belongs to the built network (not the data, batches or
 * method), leaving those fields empty. */
static void free_network(mt_trainer *t)
{
    for (int r = 0; r < t->e.nreg; r++) {
        const mt_reg_class *rc = reg_find(t->e.reg[r].type);
        if (t->reg_state[r] && rc && rc->hooks.free) rc->hooks.free(t->reg_state[r]);
        t->reg_state[r] = NULL;
    }
    topo_built_free(&t->e.topo, &t->topo);
    optim_free(&t->opt);
    relations_conflict_free(&t->conflicts);
    mt_free(t->dvec);
    mt_free(t->zgrad);
    mt_free(t->zdir);
    mt_free(t->backup);
    mt_free(t->al_backup);
    t->al_backup = NULL;
    graph_free(t->g);
    mt_free(t->sh_off);
    mt_free(t->sh_len);
    mt_free(t->pdest);
    t->pdest = NULL;
    mt_free(t->scratch);
    mt_free(t->G);
    t->dvec = t->zgrad = t->zdir = t->backup = t->scratch = t->G = NULL;
    t->sh_off = t->sh_len = NULL;
    t->g = NULL;
    t->nsh = 0;
    t->P = t->R = t->gw_off = t->gw_len = 0;
}

void trainer_free(mt_trainer *t)
{
    if (!t) return;
    free_network(t);
    batcher_free(&t->tb);
    if (t->have_vb) batcher_free(&t->vb);
    weighting_free(t->W);
    combine_free(t->C);
    experiment_free(&t->e);
    mt_free(t);
}

/* The network again from t->e.topo (changed by a restructure hook): every
 * parameter and optimiser moment whose name and size survive is carried
 * over, so training goes on where it was. */
static mt_status rebuild_network(mt_trainer *t)
{
    mt_trainer old = *t;
    t->g = NULL;
    t->sh_off = t->sh_len = NULL;
    t->pdest = NULL;
    t->dvec = t->zgrad = t->zdir = t->backup = t->scratch = t->G = NULL;
    memset(&t->opt, 0, sizeof t->opt);
    memset(&t->conflicts, 0, sizeof t->conflicts);
    memset(t->reg_state, 0, sizeof t->reg_state);
    memset(&t->topo, 0, sizeof t->topo);
    t->nsh = 0;
    t->P = t->R = t->gw_off = t->gw_len = 0;
    long opt_step = old.opt.step, opt_t = old.opt.t;
    mt_status st;
    if ((st = build_graph(t)) || (st = index_shared(t)) || (st = make_optimizer(t))) {
        free_network(t);
        mt_trainer keep = *t;
        *t = old;
        t->W = keep.W;
        t->C = keep.C;
        return st;
    }
    mt_params *np = graph_params(t->g), *op = graph_params(old.g);
    const mt_topo_class *tc = topo_find(t->e.topo.type);
    for (int i = 0; i < np->count; i++) {
        int j = params_find(op, np->info[i].name);
        char src[MT_PARAM_NAME];
        if (j < 0 && tc && tc->hooks.inherit && tc->hooks.inherit(old.topo.state, np->info[i].name, src, sizeof src))
            j = params_find(op, src); /* a new branch starts as a copy of its parent */
        if (j < 0 || op->info[j].size != np->info[i].size) continue;
        size_t a = np->info[i].offset, b = op->info[j].offset, n = np->info[i].size;
        memcpy(np->data + a, op->data + b, n * sizeof(float));
        memcpy(t->opt.m + a, old.opt.m + b, n * sizeof(float));
        memcpy(t->opt.v + a, old.opt.v + b, n * sizeof(float));
    }
    t->opt.step = opt_step;
    t->opt.t = opt_t;
    free_network(&old);
    t->restructures++;
    mt_method_spec m = t->e.weighting;
    if (t->C) { /* the combiner keeps its kind; rep_grad needs a new buffer size */
        combine_free(t->C);
        t->C = NULL;
    }
    if ((st = tr_setup_method(t, &m))) return st;
    if (t->mon) {
        snprintf(t->mon->topology, sizeof t->mon->topology, "%s", t->topo_text);
        monitor_log(t->mon, 1, "step %ld: the network was restructured (%zu parameters)", t->step,
                    trainer_params_total(t));
    }
    return MT_OK;
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

double tr_metric_units(const mt_trainer *t, int k, double metric)
{
    const mt_task_spec *ts = &t->e.task[k];
    const mt_target *tg = &t->e.data->ds.targets[ts->target];
    if (!(tg->scale > 0)) return metric;
    if (ts->metric == MT_METRIC_MSE) return metric * tg->scale * tg->scale;
    if (ts->metric == MT_METRIC_MAE) return metric * tg->scale;
    return metric;
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
    if (t->model) return tr_model_evaluate(t, split, out);
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
                         : cnt[k] > 0                          ? tr_metric_units(t, k, num[k] / cnt[k])
                                                               : NAN;
    }
    return MT_OK;
}

static void record_metric(mt_trainer *t, mt_split_kind split, int k, double loss, double metric)
{
    if (t->rec.metric)
        t->rec.metric(t->rec.ud, t->step, t->epoch + 1, split, t->e.task[k].name, loss, metric, t->w[k]);
}

/* Hands the recorder one event line built with cJSON (consumes ev). */
static void tr_record_event(mt_trainer *t, cJSON *ev)
{
    char *s = jrec_print(ev);
    if (s) t->rec.event(t->rec.ud, s);
    cJSON_free(s);
    cJSON_Delete(ev);
}

/* Reduce-on-plateau: the monitored value is the sum of the tasks'
 * validation losses (the training window's without a validation split);
 * when optim_plateau_step says so, the base rate is multiplied by gamma,
 * not below min_lr, and an "lr" event records it. */
static void plateau_after_eval(mt_trainer *t)
{
    const mt_schedule *s = &t->opt.cfg.sched;
    if (s->kind != MT_SCHED_PLATEAU) return;
    double v = 0.0;
    for (int k = 0; k < t->T; k++) v += t->have_val ? t->val.loss[k] : t->train_loss[k];
    if (!optim_plateau_step(&t->plateau, v, s->threshold, s->patience)) return;
    double cur = t->lr_base * t->lr_scale, next = fmax(cur * s->gamma, (double)s->min_lr);
    if (!(cur - next > 1e-6 * cur)) return; /* at the floor already (min_lr is a float) */
    t->lr_scale *= next / cur;
    apply_lr(t);
    if (t->rec.event) {
        cJSON *ev = jrec_event("lr", t->step);
        cJSON_AddStringToObject(ev, "why", "plateau");
        cJSON_AddItemToObject(ev, "lr", jrec_f32((float)t->lr_now));
        cJSON_AddItemToObject(ev, "monitored", jrec_num(v));
        tr_record_event(t, ev);
    }
}

mt_status tr_evaluate_and_publish(mt_trainer *t)
{
    if (t->model) tr_model_publish_band(t); /* first: the matrix pane opens on it */
    tr_publish_learned(t);
    if (!t->model) tr_publish_weight_history(t);
    tr_publish_sigma(t);
    /* the training window */
    for (int k = 0; k < t->T; k++) {
        double l = t->win_steps ? t->win_loss[k] / (double)t->win_steps : NAN;
        double mtr = t->e.task[k].metric == MT_METRIC_LOSS ? l
                     : t->win_cnt[k] > 0                 ? tr_metric_units(t, k, t->win_hit[k] / t->win_cnt[k])
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
        t->val_count++;
        for (int k = 0; k < t->T; k++) {
            record_metric(t, MT_SPLIT_VAL, k, t->val.loss[k], t->val.metric[k]);
            if (t->mon) {
                series_push(&t->mon->val_loss[k], (double)t->step, t->val.loss[k]);
                series_push(&t->mon->val_metric[k], (double)t->step, t->val.metric[k]);
            }
        }
    }
    plateau_after_eval(t);
    if (t->rec.event) {
        cJSON *ev = jrec_event("eval", t->step);
        cJSON_AddNumberToObject(ev, "epoch", t->epoch + 1);
        cJSON_AddItemToObject(ev, "lr", jrec_f32((float)t->lr_now));
        /* keyed by task, as summary.json: a reader needs no task order */
        cJSON *vl = cJSON_AddObjectToObject(ev, "val_loss");
        for (int k = 0; k < t->T; k++)
            cJSON_AddItemToObject(vl, t->e.task[k].name, jrec_num(t->have_val ? t->val.loss[k] : NAN));
        tr_record_event(t, ev);
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

/* Whether every value is finite, by the exponent bits: a plain integer
 * loop the compiler vectorises, a fraction of the cost of a norm. */
static int all_finite(const float *v, size_t n)
{
    uint32_t bad[8] = {0}, w;
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (int j = 0; j < 8; j++) {
            memcpy(&w, v + k + (size_t)j, sizeof w); /* the bits, without breaking aliasing rules */
            bad[j] |= (uint32_t)((w & 0x7f800000u) == 0x7f800000u);
        }
    uint32_t any = 0;
    for (; k < n; k++) {
        memcpy(&w, v + k, sizeof w);
        any |= (uint32_t)((w & 0x7f800000u) == 0x7f800000u);
    }
    for (int j = 0; j < 8; j++) any |= bad[j];
    return !any;
}

static int affinity_due(const mt_trainer *t)
{
    return t->backup && t->T > 1 && t->P > 0 && (t->step + 1) % t->e.train.affinity_every == 0;
}

/* Auto-Lambda's meta step (Liu et al. 2022), with the arena holding this
 * batch's weighted gradient g = sum_j lambda_j grad L_j(theta):
 *   theta' = theta - a g (a virtual SGD step at the step's rate a);
 *   v = grad of the primary tasks' loss at theta' on a validation batch
 *       (evaluation mode: no dropout);
 *   h_i = grad L_i(theta) . v by central differences along v on the
 *       training batch, (L_i(theta + e v) - L_i(theta - e v)) / (2 e),
 *       e = 0.01 / |v| (the authors' and DARTS' approximation: the
 *       weighted training loss is linear in lambda, so this is the whole
 *       hypergradient up to O(e^2));
 *   lambda takes one step along -a h (weighting_meta_step);
 * then theta is restored and the step's gradient recomputed with the new
 * weights. */
static mt_status auto_lambda_step(mt_trainer *t, const int *rows, int n)
{
    mt_params *p = graph_params(t->g);
    if (!t->al_backup)
        return mt_fail(MT_ERR_STATE, "weighting auto_lambda: the network was rebuilt (restructuring topologies are "
                                     "not supported)");
    memcpy(t->al_backup, p->data, p->total * sizeof(float));
    double a = tr_current_lr(t);
    for (size_t q = 0; q < p->total; q++) p->data[q] -= (float)(a * p->grad[q]);
    const int *vrows;
    int vn = batcher_next(&t->vb, &vrows);
    if (vn == 0) vn = batcher_next(&t->vb, &vrows); /* the end of a pass: the next one starts */
    load_batch(t, vrows, vn);
    graph_forward(t->g, MT_EVAL);
    float wv[MT_MAX_TASKS];
    int nprimary = 0;
    for (int k = 0; k < t->T; k++) nprimary += wv[k] = t->e.task[k].aux ? 0.0f : 1.0f;
    if (nprimary == 0)
        for (int k = 0; k < t->T; k++) wv[k] = 1.0f;
    params_zero_grad(p);
    mt_status st = graph_backward(t->g, t->loss, wv, t->T, NULL);
    memcpy(p->data, t->al_backup, p->total * sizeof(float));
    if (st) return st;
    double vv = 0.0;
    for (size_t q = 0; q < p->total; q++) vv += (double)p->grad[q] * p->grad[q];
    double h[MT_MAX_TASKS] = {0};
    if (vv > 0.0 && isfinite(vv)) {
        double e = 0.01 / sqrt(vv), lp[MT_MAX_TASKS];
        load_batch(t, rows, n);
        for (int side = 0; side < 2; side++) {
            double sg = side ? -e : e;
            for (size_t q = 0; q < p->total; q++) p->data[q] = (float)(t->al_backup[q] + sg * p->grad[q]);
            graph_forward(t->g, MT_EVAL);
            for (int k = 0; k < t->T; k++) {
                double l = graph_value(t->g, t->loss[k])[0];
                if (side) h[k] = -a * (lp[k] - l) / (2.0 * e);
                else lp[k] = l;
            }
        }
        memcpy(p->data, t->al_backup, p->total * sizeof(float));
    }
    if ((st = weighting_meta_step(t->W, h))) return mt_fail_prefix(st, "step %ld", t->step + 1);
    memcpy(t->w, weighting_weights(t->W), (size_t)t->T * sizeof(float));
    load_batch(t, rows, n);
    graph_forward(t->g, MT_TRAIN);
    params_zero_grad(p);
    return graph_backward(t->g, t->loss, t->w, t->T, NULL);
}

mt_status trainer_step(mt_trainer *t)
{
    if (trainer_finished(t)) return mt_fail(MT_ERR_STATE, "%s: training already finished", t->e.name);
    t->in_step = 0;
    if (t->model) return tr_model_step(t);
    if (t->step == 0) tr_publish_label_stats(t);
    double t0 = tr_now_s();
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
        if (!isfinite(lv[k])) {
            t->diverged = 1;
            return mt_fail(MT_ERR_NUMERIC, "task '%s': loss is %s at step %ld (epoch %d)",
                           t->e.task[k].name, isnan(lv[k]) ? "NaN" : "Inf", t->step + 1, t->epoch + 1);
        }
    }
    int rel = t->T > 1 && t->P > 0 && relations_due(t), aff = affinity_due(t);
    mt_status st = tr_method_gradient(t, lv, n, rel || aff);
    if (!st && t->family == MT_METHOD_WEIGHTING && weighting_needs_lookahead(weighting_kind(t->W)))
        st = auto_lambda_step(t, rows, n);
    if (st) return st;
    t->in_step = 1;
    if (rel && (st = tr_publish_relations(t))) {
        t->in_step = 0;
        return st;
    }
    if (aff) {
        /* the lookahead changes the graph's activations: keep the gradient */
        mt_params *p = graph_params(t->g);
        memcpy(t->scratch, p->grad, p->total * sizeof(float));
        st = tr_publish_affinity(t);
        memcpy(p->grad, t->scratch, p->total * sizeof(float));
        if (st) return st;
    }
    mt_params *p = graph_params(t->g);
    tr_hook_list hl;
    tr_collect_hooks(t, &hl);
    t->penalty = 0;
    for (int i = 0; i < hl.n; i++) {
        double v = 0;
        if (hl.h[i]->penalty && (st = hl.h[i]->penalty(hl.state[i], t->g, p, &v))) return st;
        t->penalty += v;
    }
    if (!all_finite(p->grad, p->total)) {
        t->diverged = 1;
        return mt_fail(MT_ERR_NUMERIC, "the gradient is not finite at step %ld (epoch %d)", t->step + 1,
                       t->epoch + 1);
    }
    t->lr_now = tr_current_lr(t);
    st = optim_step_params(&t->opt, p);
    if (st) return st;
    t->step++;
    t->in_step = 0;
    t->samples += n;
    for (int i = 0; i < hl.n; i++)
        if (hl.h[i]->after_step && (st = hl.h[i]->after_step(hl.state[i], t->g, p, t->lr_now, t->step))) return st;
    int epoch_ended = t->step % t->batches_per_epoch == 0;
    if ((st = tr_method_after_step(t, lv, epoch_ended))) return st;
    for (int k = 0; k < t->T; k++) {
        t->win_loss[k] += lv[k];
        t->step_loss[k] = lv[k];
        batch_metric(t, k, n, &t->win_hit[k], &t->win_cnt[k]);
        if (t->mon) series_push(&t->mon->train_loss[k], (double)t->step, lv[k]);
    }
    t->win_steps++;
    tr_publish_weights(t);
    const mt_topo_class *tc = topo_find(t->e.topo.type);
    if (tc && tc->hooks.restructure) {
        mt_topo_spec next = t->e.topo;
        if (tc->hooks.restructure(t->topo.state, t->g, t->step, &next)) {
            mt_topo_spec prev = t->e.topo;
            t->e.topo = next;
            if ((st = rebuild_network(t))) {
                t->e.topo = prev;
                return mt_fail_prefix(st, "restructuring at step %ld", t->step);
            }
        }
    }
    return tr_step_done(t, t0);
}

/* The on_step callback when it falls due (throttled by callback_every). */
static mt_status call_on_step(mt_trainer *t)
{
    int every = t->e.train.callback_every;
    int due = every > 0 ? t->step - t->last_hook_step >= every : t->hook_s <= 0.1 * t->busy_s;
    if (t->hooks.on_step && due) {
        t->last_hook_step = t->step;
        double h0 = tr_now_s();
        mt_status st = t->hooks.on_step(t->hooks.ud, t->step);
        t->hook_s += tr_now_s() - h0;
        return st;
    }
    return MT_OK;
}

mt_status tr_step_done(mt_trainer *t, double t0)
{
    t->busy_s += tr_now_s() - t0;
    if (t->mon) {
        t->mon->step = t->step;
        t->mon->epoch = t->epoch + 1;
        t->mon->lr = t->lr_now;
        t->mon->samples_per_s = trainer_samples_per_s(t);
    }
    if (eval_due(t)) {
        mt_status st = tr_evaluate_and_publish(t);
        if (st) return st;
    }
    return call_on_step(t);
}

int trainer_finished(const mt_trainer *t) { return t->step >= t->total; }
int trainer_diverged(const mt_trainer *t) { return t->diverged; }

mt_status trainer_finish(mt_trainer *t)
{
    if (t->e.data->split.val.n > 0 && !t->have_val) {
        mt_status st = trainer_evaluate(t, MT_SPLIT_VAL, &t->val);
        if (st) return st;
        t->have_val = 1;
        t->val_count++;
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
    if (t->W) {
        float sw[MT_MAX_TASKS];
        for (int k = 0; k < t->T; k++) sw[k] = t->e.task[k].weight;
        mt_status st = weighting_set_static(t->W, sw);
        if (st) return st;
        if (weighting_kind(t->W) == MT_WEIGHT_STATIC) t->w[task] = (float)w;
    }
    return MT_OK;
}

mt_status trainer_set_weighting(mt_trainer *t, const mt_method_spec *m)
{
    if (t->model && strcmp(m->name, "equal") != 0)
        return mt_fail(MT_ERR_ARG, "%s: the %s model fits its own objective; loss weighting does not apply", m->name,
                       t->e.topo.type);
    mt_status st = tr_setup_method(t, m);
    if (st) return st;
    t->e.weighting = *m;
    if (t->mon) monitor_log(t->mon, 1, "step %ld: weighting -> %s", t->step, m->name);
    if (t->rec.event) {
        cJSON *ev = jrec_event("weighting", t->step);
        cJSON_AddStringToObject(ev, "method", m->name);
        /* every parameter the method now runs with, the registry's defaults
         * included, as config.json records the first one */
        const mt_method_info *mi = method_find(m->name);
        if (ev && mi) jrec_params(cJSON_AddObjectToObject(ev, "params"), &t->e.weighting.params, mi->params);
        tr_record_event(t, ev);
    }
    return MT_OK;
}

const char *trainer_weighting_name(const mt_trainer *t) { return t->e.weighting.name; }
const mt_experiment *trainer_experiment(const mt_trainer *t) { return &t->e; }
mt_monitor *trainer_monitor(const mt_trainer *t) { return t->mon; }
const mt_eval_result *trainer_last_val(const mt_trainer *t) { return t->have_val ? &t->val : NULL; }
long trainer_val_count(const mt_trainer *t) { return t->val_count; }
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

/* Parameters and the optimiser's moments, so a run can go on from here. */
mt_status trainer_save_checkpoint(mt_trainer *t, const char *path)
{
    char step[32];
    snprintf(step, sizeof step, "%ld", t->step);
    const char *keys[] = {"mtlab.experiment", "mtlab.step", "mtlab.weighting"};
    const char *vals[] = {t->e.name, step, t->e.weighting.name};
    if (t->model) tr_model_sync(t);
    return checkpoint_save_train(path, tr_params(t), &t->opt, keys, vals, 3);
}

/* The parameters of a checkpoint; its optimiser moments too when it has
 * them (a file written by mtlab), so training goes on smoothly. */
mt_status trainer_load_checkpoint(mt_trainer *t, const char *path)
{
    mt_ckpt *c;
    mt_status st = checkpoint_open(path, &c);
    if (st) return st;
    mt_params *p = tr_params(t);
    char probe[MT_PARAM_NAME + 16];
    snprintf(probe, sizeof probe, "optim.m.%s", p->count ? p->info[0].name : "");
    int with_optim = p->count && checkpoint_find(c, probe) >= 0;
    checkpoint_close(c);
    st = with_optim ? checkpoint_load_train(path, p, &t->opt) : checkpoint_load_ex(path, p, NULL, 0, 1);
    return !st && t->model ? tr_model_restore(t, with_optim) : st;
}
