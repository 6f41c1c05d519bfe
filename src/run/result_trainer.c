/* result_trainer.c - the numbers of a run from its trainer (see result.h). */
#include <math.h>
#include <stdio.h>
#include "result.h"

void result_from_trainer(const mt_trainer *t, const mt_baselines *b, const char *status, mt_run_result *r)
{
    result_clear(r);
    const mt_experiment *e = trainer_experiment(t);
    const mt_eval_result *val = trainer_last_val(t), *test = trainer_last_test(t);
    snprintf(r->name, sizeof r->name, "%s", e->name);
    snprintf(r->status, sizeof r->status, "%s", status);
    r->steps = trainer_step_count(t);
    r->total_steps = trainer_total_steps(t);
    r->ntasks = e->ntasks;
    double mtl[MT_MAX_TASKS];
    for (int k = 0; k < e->ntasks; k++) {
        snprintf(r->task[k], sizeof r->task[k], "%s", e->task[k].name);
        r->aux[k] = e->task[k].aux;
        snprintf(r->metric_name[k], sizeof r->metric_name[k], "%s", metric_kind_name(e->task[k].metric));
        r->higher_better[k] = metric_higher_is_better(e->task[k].metric);
        r->loss[MT_RES_TRAIN][k] = trainer_train_loss(t)[k];
        if (val) {
            r->loss[MT_RES_VAL][k] = val->loss[k];
            r->metric[MT_RES_VAL][k] = val->metric[k];
        }
        if (test) {
            r->loss[MT_RES_TEST][k] = test->loss[k];
            r->metric[MT_RES_TEST][k] = test->metric[k];
        }
        mtl[k] = test ? test->metric[k] : val ? val->metric[k] : NAN;
        if (b && b->have) r->single_task_metric[k] = b->metric[k];
    }
    if (b && b->have) {
        r->have_baselines = 1;
        r->delta_m = delta_m(e, mtl, b);
    }
}

