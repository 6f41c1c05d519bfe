/* bench_lenet.c - training throughput of a small convolutional network.
 *
 *   bench_lenet NAME B N [per_example]
 *
 * The LeNet-style hard-sharing network of the issue on Fashion-MNIST: the
 * first N training images, input (1, 28, 28); two 5x5 convolutions of 16
 * and 32 channels (padding 2), each with ReLU and 2x2 max-pooling; a shared
 * dense layer of 128 (ReLU); two heads, dense 64 (ReLU) -> 10 classes (the
 * item) and -> 4 classes (its coarse group); softmax cross-entropy summed
 * (equal weighting); Adam (lr 1e-3); batches of B. It runs through the
 * trainer, the path a run takes (batching, forward, backward, optimiser).
 * scripts/bench_torch.py lenet is the same model in PyTorch.
 *
 * Timing rule, as in bench_engine.c: WARMUP steps, then steps until
 * BENCH_MIN_TIME seconds (default 2) have passed, at least MIN_STEPS; with
 * BENCH_STEPS=N exactly N steps (at least MIN_STEPS) after the warm-up, so
 * that two whole processes do the same work and can be timed from outside
 * (scripts/bench_torch.py lenet does the same). With
 * `per_example` the convolutions run one example at a time (the reference
 * layout), to measure what batching them buys. Prints one line:
 *   lenet name=.. B=.. n=.. steps=.. samples_per_s=.. peak_mb=.. loss0=.. loss=..
 * peak_mb is the process's peak resident set (getrusage). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "data/fashion.h"
#include "engine/graph.h"
#include "run/experiment.h"
#include "run/trainer.h"
#include "bench_util.h"

#define WARMUP 5
#define MIN_STEPS 5

static int die(const char *what)
{
    fprintf(stderr, "bench_lenet: %s: %s\n", what, mt_last_error());
    return 1;
}

static mt_data_ref *load_data(int n)
{
    mt_data_ref *r = data_ref_new();
    if (!r) return NULL;
    fashion_opts fo = {.dir = NULL, .n_train = n, .n_test = 0};
    int ntr = 0;
    if (fashion_load(&r->ds, &fo, &ntr) || /* targets "label" and "group" */
        split_make(&r->split, r->ds.n, r->ds.n, 0, 0, 1)) {
        data_ref_release(r);
        return NULL;
    }
    return r;
}

static void add_task(mt_experiment *e, const char *name, const char *target, int classes)
{
    int t = e->ntasks++;
    mt_task_spec *k = &e->task[t];
    snprintf(k->name, sizeof k->name, "%s", name);
    k->target = dataset_target_index(&e->data->ds, target);
    k->kind = MT_TARGET_CLASS;
    k->out_dim = classes;
    k->loss = MT_LOSS_CE;
    k->metric = MT_METRIC_ACCURACY;
    k->weight = 1;
    k->in_score = 1;
    mt_topo_task *tt = &e->topo.task[t];
    snprintf(tt->name, sizeof tt->name, "%s", name);
    tt->out_dim = classes;
    tt->nhead = -1;
}

static void make_experiment(mt_experiment *e, mt_data_ref *data, int B)
{
    experiment_defaults(e);
    snprintf(e->name, sizeof e->name, "lenet");
    e->data = data;
    data_ref_retain(data);
    e->topo.conv[0] = 16;
    e->topo.conv[1] = 32;
    e->topo.nconv = 2;
    e->topo.trunk[0] = 128;
    e->topo.ntrunk = 1;
    e->topo.head[0] = 64;
    e->topo.nhead = 1;
    e->topo.act = MT_ACT_RELU;
    add_task(e, "item", "label", FASHION_CLASSES);
    add_task(e, "group", "group", FASHION_GROUPS);
    e->topo.ntasks = e->ntasks;
    topo_resolve(&e->topo);
    e->train.batch = B;
    e->train.steps = 1000000000L;
    e->train.eval_every = 1000000000;      /* no evaluation while timing */
    e->train.relations_every = 1000000000; /* relation matrices at step 0 only */
    e->train.seed = 1;
}

static int bench_lenet(const char *name, int B, int n, int per_example)
{
    if (B <= 0 || n < B) {
        fprintf(stderr, "bench_lenet: %s: bad sizes B=%d n=%d\n", name, B, n);
        return 2;
    }
    mt_data_ref *data = load_data(n);
    if (!data) return die("Fashion-MNIST");
    mt_experiment e;
    make_experiment(&e, data, B);
    data_ref_release(data);
    mt_trainer *tr;
    if (trainer_new(&e, NULL, &tr) != MT_OK) return die("trainer_new");
    if (per_example) graph_conv_per_example(trainer_graph(tr), 1);
    double loss0 = 0, loss = 0, limit = bench_min_time(2.0), start = 0, cpu0 = 0;
    const char *fixed = getenv("BENCH_STEPS");
    int steps = fixed ? atoi(fixed) : 0;
    int timed = 0;
    for (int s = 0;; s++) {
        if (s == WARMUP) {
            start = bench_now();
            cpu0 = bench_cpu_now();
        }
        if (trainer_step(tr) != MT_OK) return die("trainer_step");
        const double *l = trainer_step_loss(tr);
        loss = l[0] + l[1];
        if (s == 0) loss0 = loss;
        if (s >= WARMUP && ++timed >= MIN_STEPS && (steps > 0 ? timed >= steps : bench_now() - start >= limit))
            break;
    }
    double elapsed = bench_now() - start, cpu = bench_cpu_now() - cpu0;
    if (!isfinite(loss)) {
        fprintf(stderr, "bench_lenet: %s: the loss became %g\n", name, loss);
        return 1;
    }
    printf("lenet name=%s B=%d n=%d path=%s steps=%d samples_per_s=%.1f cpu_samples_per_s=%.1f peak_mb=%.1f loss0=%.4f "
           "loss=%.4f\n",
           name, B, n, per_example ? "per_example" : "batched", timed, (double)B * timed / elapsed,
           (double)B * timed / cpu,
           bench_peak_mb(), loss0, loss);
    trainer_free(tr);
    experiment_free(&e);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 4 || (argc == 5 && strcmp(argv[4], "per_example") == 0)))
        return bench_lenet(argv[1], atoi(argv[2]), atoi(argv[3]), argc == 5);
    fprintf(stderr, "usage: bench_lenet NAME B N [per_example]\n");
    return 2;
}
