#include "experiment.h"

#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "mtl/model.h"

const char *loss_kind_name(mt_loss_kind k)
{
    switch (k) {
    case MT_LOSS_CE: return "cross_entropy";
    case MT_LOSS_MSE: return "mse";
    case MT_LOSS_L1: return "l1";
    case MT_LOSS_HUBER: return "huber";
    case MT_LOSS_BCE: return "bce";
    case MT_LOSS_VALUE: return "value";
    }
    return "?";
}

const char *metric_kind_name(mt_metric_kind k)
{
    switch (k) {
    case MT_METRIC_ACCURACY: return "accuracy";
    case MT_METRIC_MSE: return "mse";
    case MT_METRIC_MAE: return "mae";
    case MT_METRIC_LOSS: return "loss";
    }
    return "?";
}

int metric_higher_is_better(mt_metric_kind k) { return k == MT_METRIC_ACCURACY; }

mt_data_ref *data_ref_new(void)
{
    mt_data_ref *r = mt_calloc(1, sizeof *r);
    if (!r) return NULL;
    dataset_init(&r->ds);
    r->refs = 1;
    return r;
}

void data_ref_retain(mt_data_ref *r)
{
    if (r) r->refs++;
}

void data_ref_release(mt_data_ref *r)
{
    if (!r || --r->refs > 0) return;
    dataset_free(&r->ds);
    split_free(&r->split);
    mt_free(r);
}

void experiment_defaults(mt_experiment *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "experiment");
    topo_spec_default(&e->topo);
    snprintf(e->weighting.name, sizeof e->weighting.name, "equal");
    mt_optim_spec *o = &e->optim;
    snprintf(o->name, sizeof o->name, "adam");
    o->lr = 1e-3f;
    o->momentum = 0.9f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    snprintf(o->schedule, sizeof o->schedule, "constant");
    o->step_size = 1000;
    o->gamma = 0.1f;
    o->patience = 10;
    o->threshold = 1e-4f;
    o->alpha = 0.99f;
    mt_train_spec *t = &e->train;
    t->batch = 64;
    t->epochs = 1;
    t->seed = 1;
    t->callback_every = 0;
}

void experiment_free(mt_experiment *e)
{
    data_ref_release(e->data);
    e->data = NULL;
}

mt_status experiment_validate(const mt_experiment *e)
{
    if (!e->data) return mt_fail(MT_ERR_ARG, "data: no dataset given");
    const mt_dataset *ds = &e->data->ds;
    if (e->ntasks < 1) return mt_fail(MT_ERR_ARG, "tasks: expected at least one task");
    if (e->ntasks > MT_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "tasks: %d tasks, at most %d supported", e->ntasks, MT_MAX_TASKS);
    for (int i = 0; i < e->ntasks; i++) {
        const mt_task_spec *t = &e->task[i];
        for (int j = 0; j < i; j++)
            if (strcmp(e->task[j].name, t->name) == 0)
                return mt_fail(MT_ERR_ARG, "tasks[%d].name: \"%s\" is used by tasks[%d] too", i + 1,
                               t->name, j + 1);
        if (t->target < 0 || t->target >= ds->ntargets)
            return mt_fail(MT_ERR_ARG, "tasks[%d].target: no such target in the data", i + 1);
        const mt_target *tg = &ds->targets[t->target];
        if (t->kind == MT_TARGET_CLASS && tg->kind != MT_TARGET_CLASS)
            return mt_fail(MT_ERR_ARG,
                           "tasks[%d] (%s): a classification task needs class labels, but target "
                           "\"%s\" holds %s values",
                           i + 1, t->name, tg->name,
                           tg->kind == MT_TARGET_REGRESS ? "real" : "binary");
        if (t->kind == MT_TARGET_CLASS && t->out_dim < tg->classes)
            return mt_fail(MT_ERR_ARG, "tasks[%d].classes: %d, but target \"%s\" has %d classes",
                           i + 1, t->out_dim, tg->name, tg->classes);
        if (t->kind != MT_TARGET_CLASS && t->out_dim != tg->dim)
            return mt_fail(MT_ERR_ARG, "tasks[%d] (%s): target \"%s\" has %d columns, task outputs %d",
                           i + 1, t->name, tg->name, tg->dim, t->out_dim);
        if (!(t->weight >= 0))
            return mt_fail(MT_ERR_ARG, "tasks[%d].weight: expected a number >= 0, got %g", i + 1,
                           (double)t->weight);
    }
    if (e->train.batch < 1)
        return mt_fail(MT_ERR_ARG, "train.batch: expected a positive integer, got %d", e->train.batch);
    if (e->train.epochs < 1 && e->train.steps < 1)
        return mt_fail(MT_ERR_ARG, "train: give epochs or steps (a positive integer)");
    if (e->data->split.train.n < 1)
        return mt_fail(MT_ERR_ARG, "data: the training split is empty");
    if (!(e->optim.lr > 0))
        return mt_fail(MT_ERR_ARG, "optim.lr: expected a positive number, got %g", (double)e->optim.lr);
    mt_status st = topo_validate(&e->topo);
    return st ? st : experiment_validate_model(e);
}

void experiment_single_task(const mt_experiment *e, int t, mt_experiment *out)
{
    *out = *e;
    snprintf(out->name, sizeof out->name, "single:%s", e->task[t].name);
    out->ntasks = 1;
    out->task[0] = e->task[t];
    out->task[0].weight = 1;
    out->topo.ntasks = 1;
    out->topo.task[0] = e->topo.task[t];
    model_single_task(&out->topo, t, e->ntasks); /* a model's parameters for one task */
    /* task groups: one task is one group (its `groups` list has a number
     * per task of the full experiment) */
    if (strcmp(out->topo.type, "groups") == 0) memset(&out->topo.params, 0, sizeof out->topo.params);
    /* a fixed fafs tree (one hex digit per task of the full experiment):
     * one task's tree has one branch per layer */
    if (strcmp(out->topo.type, "fafs") == 0 && tparam_given(&out->topo.params, "groups")) {
        double zero[MT_TOPO_MAXLAYERS] = {0};
        tparam_set_list(&out->topo.params, "groups", MT_TP_INTS, zero, out->topo.ntrunk);
    }
    snprintf(out->weighting.name, sizeof out->weighting.name, "equal");
    memset(&out->weighting.params, 0, sizeof out->weighting.params);
    out->train.baselines = 0;
    out->train.affinity_every = 0;
    data_ref_retain(out->data);
}
