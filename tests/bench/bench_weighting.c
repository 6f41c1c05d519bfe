/* bench_weighting.c - the cost of per-task gradients in a real training
 * step.
 *
 *   bench_weighting pertask NAME B H T [METHOD]
 *   bench_weighting tasks NAME B H T
 *
 * pertask builds the small bench model of bench_engine.c (hard sharing:
 * trunk 784 -> H -> H with ReLU, T heads H -> H/2 -> 10, softmax
 * cross-entropy, Adam) and times equal weighting (one backward pass)
 * against METHOD (default pcgrad: T backward passes into the arena, then
 * the combination). Prints one line:
 *   pertask name=NAME T=.. method=.. equal_ms=.. method_ms=.. ratio=..
 *           target=(T+1)/2 cpu_ratio=.. step_allocs=..
 *
 * tasks is the many-task case of issue 14: T binary heads of 16 units on
 * the trunk 784 -> H -> H, binary cross-entropy, and four methods: equal,
 * pcgrad, mgda, and mgda with rep_grad (per-task gradients of the shared
 * representation, one backward pass through the trunk). Prints one line:
 *   tasks name=NAME T=.. equal_ms=.. pcgrad=.. mgda=.. mgda_rep=..
 *         cpu_pcgrad=.. cpu_mgda=.. cpu_mgda_rep=..
 * the method columns as ratios to equal, of wall time and of the process's
 * CPU time (with one thread the steadier measure on a shared machine).
 *
 * Both run on a synthetic dataset through the trainer (src/run/trainer.c),
 * so the measured path is the one a run takes: batching, forward, the
 * method's backward passes, the optimiser. The trainers are timed side by
 * side in rounds of about 20 ms of each, for 3 * BENCH_MIN_TIME seconds
 * (default 1) per method; a ratio is the median over the rounds of the
 * ratio within a round (see time_methods). */
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
#define ROUND_MS 20.0   /* wall time of each method in one round */
#define MIN_ROUNDS 5
#define MAX_ROUNDS 4096


static int die(const char *what)
{
    fprintf(stderr, "bench_weighting: %s: %s\n", what, mt_last_error());
    return 1;
}

/* What differs between the two benchmarks' models. */
typedef struct {
    int B, H, T;
    int binary; /* 1: binary heads (BCE), 0: 10-class heads (CE) */
    int head;   /* hidden units of each head */
} bench_model;

/* 8 batches of random inputs with T random labels, all training. */
static mt_data_ref *make_data(const bench_model *bm)
{
    mt_data_ref *r = data_ref_new();
    if (!r) return NULL;
    int n = 8 * bm->B;
    if (dataset_alloc(&r->ds, "bench", n, IN, 0, 0, 0)) goto fail;
    mt_rng g;
    mt_rng_init(&g, 1234, 0);
    for (size_t i = 0; i < (size_t)n * IN; i++) r->ds.x[i] = (float)mt_rng_normal(&g);
    for (int t = 0; t < bm->T; t++) {
        char nm[16];
        snprintf(nm, sizeof nm, "y%d", t);
        mt_target *tg = bm->binary ? dataset_add_target(&r->ds, nm, MT_TARGET_BINARY, 1, 0)
                                   : dataset_add_target(&r->ds, nm, MT_TARGET_CLASS, 1, CLASSES);
        if (!tg) goto fail;
        for (int i = 0; i < n; i++) tg->y[i] = (float)mt_rng_below(&g, bm->binary ? 2 : CLASSES);
    }
    if (split_make(&r->split, n, n, 0, 0, 1)) goto fail;
    return r;
fail:
    data_ref_release(r);
    return NULL;
}

/* The bench model as an experiment with the given method; rep_grad >= 0
 * sets that parameter. */
static void make_experiment(mt_experiment *e, mt_data_ref *data, const bench_model *bm, const char *method,
                            int rep_grad)
{
    experiment_defaults(e);
    snprintf(e->name, sizeof e->name, "bench %s", method);
    e->data = data;
    data_ref_retain(data);
    e->ntasks = bm->T;
    e->topo.trunk[0] = e->topo.trunk[1] = bm->H;
    e->topo.ntrunk = 2;
    e->topo.head[0] = bm->head;
    e->topo.nhead = 1;
    e->topo.act = MT_ACT_RELU;
    e->topo.ntasks = bm->T;
    for (int t = 0; t < bm->T; t++) {
        mt_task_spec *k = &e->task[t];
        snprintf(k->name, sizeof k->name, "t%d", t);
        k->target = t;
        k->kind = bm->binary ? MT_TARGET_BINARY : MT_TARGET_CLASS;
        k->out_dim = bm->binary ? 1 : CLASSES;
        k->loss = bm->binary ? MT_LOSS_BCE : MT_LOSS_CE;
        k->metric = MT_METRIC_ACCURACY;
        k->weight = 1;
        k->in_score = 1;
        mt_topo_task *tt = &e->topo.task[t];
        snprintf(tt->name, sizeof tt->name, "t%d", t);
        tt->out_dim = k->out_dim;
        tt->nhead = -1;
    }
    topo_resolve(&e->topo);
    snprintf(e->weighting.name, sizeof e->weighting.name, "%s", method);
    if (rep_grad >= 0) tparam_set_num(&e->weighting.params, "rep_grad", MT_TP_BOOL, rep_grad);
    e->train.batch = bm->B;
    e->train.steps = 1000000000L;
    e->train.eval_every = 1000000000;      /* no evaluation while timing */
    e->train.relations_every = 1000000000; /* relation matrices at step 0 only */
    e->train.seed = 1;
}

/* Runs k steps of t; their wall and CPU milliseconds per step. */
static int time_steps(mt_trainer *t, int k, double *ms, double *cpu_ms)
{
    double start = bench_now(), cpu0 = bench_cpu_now();
    for (int s = 0; s < k; s++)
        if (trainer_step(t) != MT_OK) return 0;
    *cpu_ms = 1e3 * (bench_cpu_now() - cpu0) / k;
    *ms = 1e3 * (bench_now() - start) / k;
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Times trainers of the model with each method (rep[i] >= 0 sets
 * rep_grad), paired: a round runs a few steps of every method in turn
 * (about ROUND_MS of each), so the methods of one round see the same
 * machine, and each method's ratio to method 0 is taken within the
 * round. ratio[i] and cpu[i] get the medians over the rounds of the wall
 * and CPU-time ratios (the machine is shared: a round that another job
 * disturbs moves the median little, where a best-of-blocks comparison
 * pairs one method's quiet moment with another's busy one); ms0 the
 * median wall ms per step of method 0. Rounds run until BLOCKS * nm *
 * BENCH_MIN_TIME seconds have passed. */
static int time_methods(const char *name, const bench_model *bm, int nm, const char *const *methods,
                        const int *rep, double *ms0, double *ratio, double *cpu,
                        unsigned long *step_allocs)
{
    mt_data_ref *data = make_data(bm);
    if (!data) return die("data");
    mt_experiment e[8];
    mt_trainer *tr[8];
    for (int i = 0; i < nm; i++) {
        make_experiment(&e[i], data, bm, methods[i], rep[i]);
        if (trainer_new(&e[i], NULL, &tr[i]) != MT_OK) return die(methods[i]);
    }
    data_ref_release(data);
    int ok = 1, ksteps[8];
    for (int i = 0; i < nm && ok; i++) {
        for (int s = 0; s < WARMUP && ok; s++) ok = trainer_step(tr[i]) == MT_OK;
        double ms = 0, c = 0;
        ok = ok && time_steps(tr[i], 1, &ms, &c);
        ksteps[i] = ms >= ROUND_MS ? 1 : (int)ceil(ROUND_MS / ms);
    }
    if (!ok) return die("warm-up step");
    double limit = BLOCKS * nm * bench_min_time(1.0), start = bench_now();
    static double r_wall[8][MAX_ROUNDS], r_cpu[8][MAX_ROUNDS];
    int n = 0;
    unsigned long allocs = mt_alloc_count();
    while (ok && n < MAX_ROUNDS && (n < MIN_ROUNDS || bench_now() - start < limit)) {
        double ms[8], c[8];
        for (int i = 0; i < nm && ok; i++) ok = time_steps(tr[i], ksteps[i], &ms[i], &c[i]);
        if (!ok) break;
        for (int i = 0; i < nm; i++) {
            r_wall[i][n] = i ? ms[i] / ms[0] : ms[0];
            r_cpu[i][n] = c[i] / c[0];
        }
        n++;
    }
    if (!ok) return die("step");
    *step_allocs = mt_alloc_count() - allocs;
    *ms0 = median(r_wall[0], n);
    for (int i = 1; i < nm; i++) {
        ratio[i] = median(r_wall[i], n);
        cpu[i] = median(r_cpu[i], n);
    }
    for (int i = 0; i < nm; i++) {
        const double *l = trainer_step_loss(tr[i]);
        for (int k = 0; k < bm->T; k++)
            if (!isfinite(l[k])) {
                fprintf(stderr, "bench_weighting: %s: a loss of %s became non-finite\n", name, methods[i]);
                return 1;
            }
        trainer_free(tr[i]);
        experiment_free(&e[i]);
    }
    return 0;
}

static int bench_pertask(const char *name, int B, int H, int T, const char *method)
{
    if (B <= 0 || H < 2 || T < 2 || T > MT_MAX_TASKS) {
        fprintf(stderr, "bench_weighting: pertask %s: bad sizes B=%d H=%d T=%d\n", name, B, H, T);
        return 2;
    }
    bench_model bm = {B, H, T, 0, H / 2};
    const char *methods[2] = {"equal", method};
    int rep[2] = {-1, -1};
    double ms0, ratio[2], cpu[2];
    unsigned long allocs;
    int rc = time_methods(name, &bm, 2, methods, rep, &ms0, ratio, cpu, &allocs);
    if (rc) return rc;
    printf("pertask name=%s B=%d H=%d T=%d method=%s equal_ms=%.3f method_ms=%.3f ratio=%.2f "
           "target=%.1f cpu_ratio=%.2f step_allocs=%lu\n",
           name, B, H, T, method, ms0, ms0 * ratio[1], ratio[1], (T + 1) / 2.0, cpu[1], allocs);
    return 0;
}

static int bench_tasks(const char *name, int B, int H, int T)
{
    if (B <= 0 || H < 2 || T < 2 || T > MT_MAX_TASKS) {
        fprintf(stderr, "bench_weighting: tasks %s: bad sizes B=%d H=%d T=%d\n", name, B, H, T);
        return 2;
    }
    bench_model bm = {B, H, T, 1, 16};
    const char *methods[4] = {"equal", "pcgrad", "mgda", "mgda"};
    int rep[4] = {-1, -1, 0, 1};
    double ms0, ratio[4], cpu[4];
    unsigned long allocs;
    int rc = time_methods(name, &bm, 4, methods, rep, &ms0, ratio, cpu, &allocs);
    if (rc) return rc;
    printf("tasks name=%s B=%d H=%d T=%d equal_ms=%.3f pcgrad=%.2f mgda=%.2f mgda_rep=%.2f target=2 "
           "cpu_pcgrad=%.2f cpu_mgda=%.2f cpu_mgda_rep=%.2f step_allocs=%lu\n",
           name, B, H, T, ms0, ratio[1], ratio[2], ratio[3], cpu[1], cpu[2], cpu[3], allocs);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "pertask") == 0)
        return bench_pertask(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]),
                             argc == 7 ? argv[6] : "pcgrad");
    if (argc == 6 && strcmp(argv[1], "tasks") == 0)
        return bench_tasks(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    fprintf(stderr, "usage: bench_weighting pertask NAME B H T [METHOD] | bench_weighting tasks NAME B H T\n");
    return 2;
}
