/* run_testutil.h - fixtures for the trainer's tests (test_run_*.c): small
 * regression data sets built in memory and their tasks. Include after
 * cmocka.h. */
#ifndef MT_RUN_TESTUTIL_H
#define MT_RUN_TESTUTIL_H

#include <stdio.h>
#include "core/rng.h"
#include "run/experiment.h"

/* The value of regression target t at input x. */
typedef double (*run_target_fn)(int t, const float *x);

/* n rows of d standard normal inputs (mt_rng seed, stream 0) and T
 * regression targets "y0".."y<T-1>", y_t = target(t, x); split into
 * n_train, n_val and the rest test (split seed 1). */
static inline mt_data_ref *run_regress_data(const char *name, int n, int d, int T, uint64_t seed,
                                            run_target_fn target, int n_train, int n_val)
{
    mt_data_ref *r = data_ref_new();
    assert_non_null(r);
    assert_int_equal(dataset_alloc(&r->ds, name, n, d, 0, 0, 0), MT_OK);
    mt_rng g;
    mt_rng_init(&g, seed, 0);
    for (size_t i = 0; i < (size_t)n * d; i++) r->ds.x[i] = (float)mt_rng_normal(&g);
    for (int t = 0; t < T; t++) {
        char nm[8];
        snprintf(nm, sizeof nm, "y%d", t);
        mt_target *tg = dataset_add_target(&r->ds, nm, MT_TARGET_REGRESS, 1, 0);
        assert_non_null(tg);
        for (int i = 0; i < n; i++) tg->y[i] = (float)target(t, r->ds.x + (size_t)i * d);
    }
    assert_int_equal(split_make(&r->split, n, n_train, n_val, n - n_train - n_val, 1), MT_OK);
    return r;
}

/* T regression tasks "y0".."y<T-1>" on those targets (MSE, weight 1, all
 * in the score), each with the topology's default head. */
static inline void run_regress_tasks(mt_experiment *e, int T)
{
    e->ntasks = T;
    e->topo.ntasks = T;
    for (int t = 0; t < T; t++) {
        mt_task_spec *k = &e->task[t];
        snprintf(k->name, sizeof k->name, "y%d", t);
        k->target = t;
        k->kind = MT_TARGET_REGRESS;
        k->out_dim = 1;
        k->loss = MT_LOSS_MSE;
        k->metric = MT_METRIC_MSE;
        k->weight = 1;
        k->in_score = 1;
        mt_topo_task *tt = &e->topo.task[t];
        snprintf(tt->name, sizeof tt->name, "y%d", t);
        tt->out_dim = 1;
        tt->nhead = -1;
    }
}

#endif
