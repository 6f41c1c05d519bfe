/* test_run_auto_lambda.c - Auto-Lambda's meta step in the trainer against
 * the bilevel objective differentiated here by central differences in
 * lambda: F(lambda) = sum over the primary tasks of their validation loss
 * after the virtual step theta - a sum_j lambda_j grad L_j(theta). The
 * trainer differentiates along the validation gradient in theta instead
 * (h_i = grad L_i . v), so the two are independent computations of the
 * same hypergradient. Full batches (the training batch is the whole
 * training split, the validation batch the whole validation split) make
 * the batches known here without reading the trainer's batchers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "run/experiment.h"
#include "run/trainer.h"
#include "run/trainer_impl.h"
#include "run_testutil.h"

enum { NTR = 64, NVAL = 32, D = 6, T = 3 };

static double target(int t, const float *x)
{
    return t == 0 ? x[0] + 0.5 * x[1] : t == 1 ? x[0] - x[2] * x[3] : 0.8 * x[0] + 0.3 * x[4];
}

static mt_data_ref *make_data(int nval) { return run_regress_data("al", NTR + nval, D, T, 11, target, NTR, nval); }

static void make_experiment(mt_experiment *e, int nval)
{
    experiment_defaults(e);
    e->data = make_data(nval);
    e->topo.trunk[0] = 12;
    e->topo.ntrunk = 1;
    e->topo.head[0] = 6;
    e->topo.nhead = 1;
    e->topo.act = MT_ACT_TANH;
    run_regress_tasks(e, T);
    e->task[2].aux = 1; /* task 2 auxiliary: not in the validation objective */
    e->task[2].in_score = 0;
    topo_resolve(&e->topo);
    snprintf(e->weighting.name, sizeof e->weighting.name, "auto_lambda");
    assert_int_equal(tparam_set_num(&e->weighting.params, "opt", MT_TP_CHOICE, 0), MT_OK); /* sgd */
    assert_int_equal(tparam_set_num(&e->weighting.params, "lr", MT_TP_NUMBER, 1.0), MT_OK);
    snprintf(e->optim.name, sizeof e->optim.name, "sgd");
    e->optim.momentum = 0;
    e->optim.lr = 0.2f;
    e->train.batch = NTR; /* one batch: the whole training split */
    e->train.steps = 3;
    e->train.eval_every = 1000;
    e->train.relations_every = 1000;
}

static void load(mt_trainer *t, const mt_index *set)
{
    const mt_dataset *ds = &t->e.data->ds;
    graph_set_batch(t->g, set->n);
    dataset_gather_x(ds, set->idx, set->n, graph_value(t->g, t->x));
    for (int k = 0; k < t->T; k++)
        dataset_gather_y(ds, t->e.task[k].target, set->idx, set->n, graph_value(t->g, t->y[k]),
                         graph_value(t->g, t->m[k]));
}

/* F(lambda) in double sums of the float network. */
static double objective(mt_trainer *t, const float *theta0, float *const *g, const double *lambda, double a)
{
    mt_params *p = graph_params(t->g);
    for (size_t q = 0; q < p->total; q++) {
        double s = 0;
        for (int j = 0; j < T; j++) s += lambda[j] * g[j][q];
        p->data[q] = (float)(theta0[q] - a * s);
    }
    load(t, &t->e.data->split.val);
    graph_forward(t->g, MT_EVAL);
    double f = 0;
    for (int k = 0; k < T; k++)
        if (!t->e.task[k].aux) f += graph_value(t->g, t->loss[k])[0];
    memcpy(p->data, theta0, p->total * sizeof(float));
    return f;
}

static void test_run_auto_lambda_hypergradient(void **state)
{
    (void)state;
    mt_experiment e;
    make_experiment(&e, NVAL);
    mt_trainer *t;
    assert_int_equal(trainer_new(&e, NULL, &t), MT_OK);
    experiment_free(&e);
    mt_params *p = graph_params(t->g);
    float *theta0 = malloc(p->total * sizeof(float)), *g[T];
    memcpy(theta0, p->data, p->total * sizeof(float));
    /* each task's gradient on the whole training split */
    load(t, &t->e.data->split.train);
    graph_forward(t->g, MT_TRAIN);
    for (int j = 0; j < T; j++) {
        g[j] = calloc(p->total, sizeof(float));
        mt_backward_opts o = {g[j], MT_NONE, -1};
        assert_int_equal(graph_backward(t->g, &t->loss[j], NULL, 1, &o), MT_OK);
    }
    double a = 0.2, lam[T] = {1, 1, 1}, ref[T], delta = 1e-2, scale = 0;
    for (int i = 0; i < T; i++) {
        double lp[T], lm[T];
        memcpy(lp, lam, sizeof lam);
        memcpy(lm, lam, sizeof lam);
        lp[i] += delta;
        lm[i] -= delta;
        ref[i] = (objective(t, theta0, g, lp, a) - objective(t, theta0, g, lm, a)) / (2 * delta);
        scale = fmax(scale, fabs(ref[i]));
    }
    assert_true(scale > 1e-3); /* a real signal, not round-off */
    assert_int_equal(trainer_step(t), MT_OK);
    const double *l = weighting_learned(t->W);
    for (int i = 0; i < T; i++) {
        double h = 1.0 - l[i]; /* SGD with rate 1 from lambda = 1 */
        fprintf(stderr, "  task %d: hypergradient %.6g, by differences in lambda %.6g\n", i, h, ref[i]);
        if (!(fabs(h - ref[i]) <= 1e-3 * scale))
            fail_msg("task %d: the trainer's hypergradient %.6g, d F / d lambda here %.6g", i, h, ref[i]);
        assert_true(t->w[i] == (float)l[i]); /* the step used the new weights */
    }
    /* the step itself: theta0 - a sum lambda_new_j g_j */
    for (size_t q = 0; q < p->total; q++) {
        double s = 0;
        for (int j = 0; j < T; j++) s += l[j] * g[j][q];
        double want = theta0[q] - a * s;
        if (!(fabs(p->data[q] - want) <= 1e-5 * (1 + fabs(want))))
            fail_msg("parameter %zu: %g after the step, expected %g", q, p->data[q], want);
    }
    for (int j = 0; j < T; j++) free(g[j]);
    free(theta0);
    assert_int_equal(trainer_step(t), MT_OK); /* the validation batcher goes on */
    trainer_free(t);
    /* without a validation split it is refused by name */
    make_experiment(&e, 0);
    assert_int_not_equal(trainer_new(&e, NULL, &t), MT_OK);
    if (!strstr(mt_last_error(), "auto_lambda: needs a validation split")) fail_msg("%s", mt_last_error());
    experiment_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_auto_lambda_hypergradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
