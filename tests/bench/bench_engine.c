/* bench_engine.c - training throughput of the engine, and raw sgemm.
 *
 *   bench_engine mlp NAME B H T   hard-sharing MLP: trunk 784->H->H (ReLU),
 *                                 T heads Linear(H, H/2), ReLU, Linear(H/2, 10),
 *                                 softmax cross-entropy per head, summed; Adam.
 *   bench_engine sgemm N          C = A B with N x N matrices.
 *
 * Prints one line of key=value pairs ("mtlab name=... samples_per_s=...",
 * "sgemm n=... gflops=...") that scripts/run-bench.sh joins with the PyTorch
 * numbers from scripts/bench_torch.py. Timing rule, the same in both: a few
 * warm-up steps, then steps until BENCH_MIN_TIME seconds (default 2) have
 * passed, at least 5 of them. The engine GFLOP/s counts the matmul flops of
 * forward + backward: 3x the forward matmul flops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>

#include "core/limits.h"
#include "core/status.h"
#include "core/rng.h"
#include "core/mem.h"
#include "engine/graph.h"
#include "engine/optim.h"
#include "bench_util.h"

#define IN 784
#define CLASSES 10
#define WARMUP 5
#define MIN_STEPS 5


static int die(const char *what)
{
    fprintf(stderr, "bench_engine: %s: %s\n", what, mt_last_error());
    return 1;
}

static int bench_mlp(const char *name, int B, int H, int T)
{
    if (B <= 0 || H < 2 || T <= 0 || T > MT_MAX_TASKS) {
        fprintf(stderr, "bench_engine: mlp %s: bad sizes B=%d H=%d T=%d\n", name, B, H, T);
        return 2;
    }
    mt_graph *g = graph_new();
    if (!g) return die("graph_new");
    mt_node x = graph_input(g, "x", IN); /* (B, 784) */
    mt_node h = graph_relu(g, graph_linear(g, x, H, "trunk.0", 0));
    h = graph_relu(g, graph_linear(g, h, H, "trunk.1", 0)); /* (B, H) */
    mt_node y[MT_MAX_TASKS], loss[MT_MAX_TASKS];
    for (int t = 0; t < T; t++) {
        char pre[64];
        snprintf(pre, sizeof pre, "y.%d", t);
        y[t] = graph_input(g, pre, 1); /* (B, 1) class ids */
        snprintf(pre, sizeof pre, "head.%d.0", t);
        mt_node a = graph_relu(g, graph_linear(g, h, H / 2, pre, 1 + t));
        snprintf(pre, sizeof pre, "head.%d.1", t);
        mt_node lo = graph_linear(g, a, CLASSES, pre, 1 + t); /* (B, 10) */
        loss[t] = graph_loss_softmax_ce(g, lo, y[t], MT_NONE);
    }
    if (graph_compile(g, B) != MT_OK) return die("graph_compile");
    graph_init_params(g, 1);
    if (graph_set_batch(g, B) != MT_OK) return die("graph_set_batch");

    /* one fixed random batch, as in bench_torch.py */
    mt_rng r;
    mt_rng_init(&r, 1234, 0);
    float *xv = graph_value(g, x);
    for (size_t i = 0; i < (size_t)B * IN; i++) xv[i] = (float)mt_rng_normal(&r);
    for (int t = 0; t < T; t++) {
        float *yv = graph_value(g, y[t]);
        for (int b = 0; b < B; b++) yv[b] = (float)mt_rng_below(&r, CLASSES);
    }

    mt_params *p = graph_params(g);
    mt_optim_config cfg = optim_defaults(MT_OPTIM_ADAM);
    mt_optim opt;
    if (optim_init(&opt, &cfg, p->total) != MT_OK) return die("optim_init");

    double t_fwd = 0, t_bwd = 0, t_opt = 0, loss0 = 0, lossN = 0;
    double limit = bench_min_time(2.0), start = 0;
    int timed = 0;
    unsigned long allocs = 0;
    for (int s = 0;; s++) {
        if (s == WARMUP) {
            start = bench_now();
            t_fwd = t_bwd = t_opt = 0;
            allocs = mt_alloc_count();
        }
        double t0 = bench_now();
        params_zero_grad(p);
        graph_forward(g, MT_TRAIN);
        double t1 = bench_now();
        if (graph_backward(g, loss, NULL, T, NULL) != MT_OK) return die("graph_backward");
        double t2 = bench_now();
        if (optim_step_params(&opt, p) != MT_OK) return die("optim_step");
        double t3 = bench_now();
        t_fwd += t1 - t0;
        t_bwd += t2 - t1;
        t_opt += t3 - t2;
        double l = 0;
        for (int t = 0; t < T; t++) l += graph_value(g, loss[t])[0];
        if (s == 0) loss0 = l;
        lossN = l;
        if (s >= WARMUP) {
            timed++;
            if (timed >= MIN_STEPS && bench_now() - start >= limit) break;
        }
    }
    double elapsed = bench_now() - start;
    unsigned long step_allocs = mt_alloc_count() - allocs;
    if (!isfinite(lossN)) {
        fprintf(stderr, "bench_engine: mlp %s: loss became %g\n", name, lossN);
        return 1;
    }
    double fwd_flops = 2.0 * B *
                       ((double)IN * H + (double)H * H + T * ((double)H * (H / 2) + (H / 2) * CLASSES));
    double gflops = 3.0 * fwd_flops * timed / elapsed / 1e9;
    printf("mtlab name=%s B=%d H=%d T=%d steps=%d samples_per_s=%.1f gflops=%.2f "
           "fwd_ms=%.3f bwd_ms=%.3f optim_ms=%.3f loss0=%.4f loss=%.4f step_allocs=%lu\n",
           name, B, H, T, timed, (double)B * timed / elapsed, gflops, 1e3 * t_fwd / timed,
           1e3 * t_bwd / timed, 1e3 * t_opt / timed, loss0, lossN, step_allocs);
    optim_free(&opt);
    graph_free(g);
    return 0;
}

static int bench_sgemm(int n)
{
    if (n <= 0) return 2;
    float *a = mt_alloc_aligned((size_t)n * n * sizeof(float)); /* (n, n) */
    float *b = mt_alloc_aligned((size_t)n * n * sizeof(float)); /* (n, n) */
    float *c = mt_alloc_aligned((size_t)n * n * sizeof(float)); /* (n, n) */
    if (!a || !b || !c) return die("sgemm buffers");
    mt_rng r;
    mt_rng_init(&r, 99, 0);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = mt_rng_uniformf(&r) - 0.5f;
        b[i] = mt_rng_uniformf(&r) - 0.5f;
    }
    double limit = bench_min_time(2.0) / 2, start = 0;
    int timed = 0;
    for (int s = 0;; s++) {
        if (s == 2) start = bench_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        if (s >= 2 && ++timed >= MIN_STEPS && bench_now() - start >= limit) break;
    }
    double elapsed = bench_now() - start;
    printf("sgemm n=%d steps=%d gflops=%.2f\n", n, timed,
           2.0 * n * (double)n * n * timed / elapsed / 1e9);
    mt_free(a);
    mt_free(b);
    mt_free(c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "mlp") == 0)
        return bench_mlp(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (argc == 3 && strcmp(argv[1], "sgemm") == 0) return bench_sgemm(atoi(argv[2]));
    fprintf(stderr, "usage: bench_engine mlp NAME B H T | bench_engine sgemm N\n");
    return 2;
}
