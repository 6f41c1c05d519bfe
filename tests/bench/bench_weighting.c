/* bench_weighting.c - the cost of per-task gradients in a real training
 * step.
 *
 *   bench_weighting pertask NAME B H T [METHOD]
 *
 * Builds the small bench model of bench_engine.c (hard sharing: trunk
 * 784 -> H -> H with ReLU, T heads H -> H/2 -> 10, softmax cross-entropy,
 * Adam) as an mt_experiment on a synthetic dataset, and drives it through
 * the trainer (src/run/trainer.c), so the measured path is the one a run
 * takes: batching, forward, the method's backward passes, the optimiser.
 * Two trainers, one with equal weighting (one backward pass) and one with
 * METHOD (default pcgrad: T backward passes into the arena, then the
 * combination), are timed in alternating blocks; the best block of each
 * counts. Prints one line:
 *   pertask name=NAME T=.. method=.. equal_ms=.. method_ms=.. ratio=..
 *           target=(T+1)/2 step_allocs=..
 * Timing: BENCH_MIN_TIME seconds (default 1) per block, 3 blocks each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "run/experiment.h"
#include "run/trainer.h"
#include "bench_util.h"

#define IN 784
#define CLASSES 10
#define WARMUP 5
#define MIN_STEPS 5
#define BLOCKS 3


static int die(const char *what)
{
    fprintf(stderr, "bench_weighting: %s: %s\n", what, mt_last_error());
    return 1;
}

/* 8 batches of random inputs with T random 10-class labels, all training. */
static mt_data_ref *make_data(int B, int T)
{
    mt_data_ref *r = data_ref_new();
    if (!r) return NULL;
    int n = 8 * B;
    if (dataset_alloc(&r->ds, "bench", n, IN, 0, 0, 0)) goto fail;
    mt_rng g;
    mt_rng_init(&g, 1234, 0);
    for (size_t i = 0; i < (size_t)n * IN; i++) r->ds.x[i] = (float)mt_rng_normal(&g);
    for (int t = 0; t < T; t++) {
        char nm[16];
        snprintf(nm, sizeof nm, "y%d", t);
        mt_target *tg = dataset_add_target(&r->ds, nm, MT_TARGET_CLASS, 1, CLASSES);
        if (!tg) goto fail;
        for (int i = 0; i < n; i++) tg->y[i] = (float)mt_rng_below(&g, CLASSES);
    }
    if (split_make(&r->split, n, n, 0, 0, 1)) goto fail;
    return r;
fail:
    data_ref_release(r);
    return NULL;
}

/* The bench model as an experiment with the given method. */
static void make_experiment(mt_experiment *e, mt_data_ref *data, int B, int H, int T, const char *method)
{
    experiment_defaults(e);
    snprintf(e->name, sizeof e->name, "pertask %s", method);
    e->data = data;
    data_ref_retain(data);
    e->ntasks = T;
    e->topo.trunk[0] = e->topo.trunk[1] = H;
    e->topo.ntrunk = 2;
    e->topo.head[0] = H / 2;
    e->topo.nhead = 1;
    e->topo.act = MT_ACT_RELU;
    e->topo.ntasks = T;
    for (int t = 0; t < T; t++) {
        mt_task_spec *k = &e->task[t];
        snprintf(k->name, sizeof k->name, "t%d", t);
        k->target = t;
        k->kind = MT_TARGET_CLASS;
        k->out_dim = CLASSES;
        k->loss = MT_LOSS_CE;
        k->metric = MT_METRIC_ACCURACY;
        k->weight = 1;
        k->in_score = 1;
        mt_topo_task *tt = &e->topo.task[t];
        snprintf(tt->name, sizeof tt->name, "t%d", t);
        tt->out_dim = CLASSES;
        tt->nhead = -1;
    }
    topo_resolve(&e->topo);
    snprintf(e->weighting.name, sizeof e->weighting.name, "%s", method);
    e->train.batch = B;
    e->train.steps = 1000000000L;
    e->train.eval_every = 1000000000;      /* no evaluation while timing */
    e->train.relations_every = 1000000000; /* relation matrices at step 0 only */
    e->train.seed = 1;
}

/* Milliseconds per step over a block of at least min_time seconds. */
static double time_block(mt_trainer *t, double limit, int *ok)
{
    int steps = 0;
    double start = bench_now();
    do {
        if (trainer_step(t) != MT_OK) {
            *ok = 0;
            return NAN;
        }
        steps++;
    } while (steps < MIN_STEPS || bench_now() - start < limit);
    return 1e3 * (bench_now() - start) / steps;
}

static int bench_pertask(const char *name, int B, int H, int T, const char *method)
{
    if (B <= 0 || H < 2 || T < 2 || T > MT_MAX_TASKS) {
        fprintf(stderr, "bench_weighting: pertask %s: bad sizes B=%d H=%d T=%d\n", name, B, H, T);
        return 2;
    }
    mt_data_ref *data = make_data(B, T);
    if (!data) return die("data");
    mt_experiment e[2];
    const char *methods[2] = {"equal", method};
    mt_trainer *tr[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        make_experiment(&e[i], data, B, H, T, methods[i]);
        if (trainer_new(&e[i], NULL, &tr[i]) != MT_OK) return die(methods[i]);
    }
    data_ref_release(data);
    int ok = 1;
    for (int i = 0; i < 2; i++)
        for (int s = 0; s < WARMUP && ok; s++) ok = trainer_step(tr[i]) == MT_OK;
    if (!ok) return die("warm-up step");
    double best[2] = {INFINITY, INFINITY}, limit = bench_min_time(1.0);
    unsigned long allocs = mt_alloc_count();
    for (int b = 0; b < BLOCKS && ok; b++)
        for (int i = 0; i < 2 && ok; i++) {
            double ms = time_block(tr[i], limit, &ok);
            if (ms < best[i]) best[i] = ms;
        }
    if (!ok) return die("step");
    unsigned long step_allocs = mt_alloc_count() - allocs;
    const double *l0 = trainer_step_loss(tr[0]), *l1 = trainer_step_loss(tr[1]);
    for (int k = 0; k < T; k++)
        if (!isfinite(l0[k]) || !isfinite(l1[k])) {
            fprintf(stderr, "bench_weighting: pertask %s: a loss became non-finite\n", name);
            return 1;
        }
    printf("pertask name=%s B=%d H=%d T=%d method=%s equal_ms=%.3f method_ms=%.3f ratio=%.2f "
           "target=%.1f step_allocs=%lu\n",
           name, B, H, T, method, best[0], best[1], best[1] / best[0], (T + 1) / 2.0, step_allocs);
    for (int i = 0; i < 2; i++) {
        trainer_free(tr[i]);
        experiment_free(&e[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "pertask") == 0)
        return bench_pertask(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]),
                             argc == 7 ? argv[6] : "pcgrad");
    fprintf(stderr, "usage: bench_weighting pertask NAME B H T [METHOD]\n");
    return 2;
}
