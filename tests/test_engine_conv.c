/* test_engine_conv.c - convolution and max pooling over the whole batch
 * against the per-example reference path: values and gradients, the
 * gradient checker on the batched path, repeated backward passes, batches
 * split into several gemms, and a few training steps giving the same
 * losses on every path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "engine/gradcheck.h"
#include "engine/graph.h"
#include "engine/optim.h"
#include "engine_testutil.h"

/* The three ways of running a convolution: over the batch with BLAS (the
 * default), per example with BLAS, per example with the reference loops. */
enum { PATH_BATCHED, PATH_PER_EXAMPLE, PATH_REFERENCE, NPATHS };

static void set_path(mt_graph *g, int path)
{
    graph_conv_per_example(g, path == PATH_PER_EXAMPLE);
    graph_use_reference_kernels(g, path == PATH_REFERENCE);
}

/* max |a - b| over max(1, max |b|): float32 rounding of sums is ~1e-7 of
 * the magnitudes involved. */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double m = 1.0, d = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(b[i]) > m) m = fabs(b[i]);
        double e = fabs((double)a[i] - b[i]);
        if (!(e <= d)) d = e;
    }
    return d / m;
}

static float *dup(const float *v, size_t n)
{
    float *c = malloc(n * sizeof *c);
    assert_non_null(c);
    memcpy(c, v, n * sizeof *c);
    return c;
}

typedef struct {
    int c, h, w, oc, k, pad, pool, batch;
} conv_case;

/* Everything a path computes on one case: the conv output, the pooled
 * output, and the gradients of x, of both convs' weights and biases. */
enum { R_Y, R_P, R_DX, R_DW, R_DB, R_DW2, R_DB2, NRES };
typedef struct {
    float *v[NRES];
    size_t n[NRES];
} conv_result;

/* x feeds two convolutions (so x's gradient is accumulated from both);
 * the first is pooled, the second summed straight in. */
static void run_case(const conv_case *cc, int path, conv_result *r)
{
    mt_graph *g = graph_new();
    mt_node x = graph_input_image(g, "x", cc->c, cc->h, cc->w);
    graph_input_grad(g, x, 1);
    mt_node y = graph_conv2d(g, x, cc->oc, cc->k, cc->pad, "a", 0);
    mt_node p = graph_maxpool(g, graph_tanh(g, y), cc->pool);
    mt_node y2 = graph_conv2d(g, x, 2, cc->k, cc->pad, "b", 0);
    mt_node L = graph_add(g, tu_project(g, p, "r"), tu_project(g, graph_sigmoid(g, y2), "r2"));
    assert_int_equal(graph_compile(g, cc->batch), MT_OK);
    graph_init_params(g, 3);
    tu_fill(graph_value(g, graph_find(g, "a.bias")), (size_t)cc->oc, 4, -0.3f, 0.3f);
    tu_fill(graph_value(g, x), (size_t)cc->batch * graph_cols(g, x), 5, -1.0f, 1.0f);
    tu_fill(graph_value(g, graph_find(g, "r")), (size_t)cc->batch * graph_cols(g, p), 6, -1.0f, 1.0f);
    tu_fill(graph_value(g, graph_find(g, "r2")), (size_t)cc->batch * graph_cols(g, y2), 7, -1.0f, 1.0f);
    set_path(g, path);
    graph_forward(g, MT_TRAIN);
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    mt_node nodes[NRES] = {y, p, x, graph_find(g, "a.weight"), graph_find(g, "a.bias"),
                           graph_find(g, "b.weight"), graph_find(g, "b.bias")};
    for (int i = 0; i < NRES; i++) {
        r->n[i] = (size_t)graph_rows(g, nodes[i]) * graph_cols(g, nodes[i]);
        r->v[i] = dup(i < R_DX ? graph_value(g, nodes[i]) : graph_grad(g, nodes[i]), r->n[i]);
    }
    graph_free(g);
}

static void free_result(conv_result *r)
{
    for (int i = 0; i < NRES; i++) free(r->v[i]);
}

/* Odd sizes, no padding and wide padding, 1x1 to 5x5 kernels, pooling
 * windows that leave rows over, a single example: the batched path gives
 * the per-example path's values and gradients to float32 rounding, and
 * the reference loops agree too. */
static void test_engine_conv_batched_matches_per_example(void **state)
{
    (void)state;
    const conv_case cases[] = {
        {1, 28, 28, 4, 5, 2, 2, 5}, {3, 7, 9, 5, 3, 0, 2, 4}, {2, 6, 5, 3, 1, 0, 3, 3},
        {4, 5, 7, 2, 5, 3, 2, 2},   {2, 8, 8, 6, 3, 1, 2, 1},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        conv_result res[NPATHS];
        for (int path = 0; path < NPATHS; path++) run_case(&cases[t], path, &res[path]);
        for (int path = 1; path < NPATHS; path++)
            for (int i = 0; i < NRES; i++) {
                assert_int_equal(res[path].n[i], res[0].n[i]);
                double d = rel_diff(res[0].v[i], res[path].v[i], res[0].n[i]);
                if (d > 2e-6)
                    print_error("case %zu path %d result %d: relative difference %g\n", t, path, i, d);
                assert_true(d <= 2e-6);
            }
        for (int path = 0; path < NPATHS; path++) free_result(&res[path]);
    }
}

/* Max pooling selects and copies: over the batch it is bit for bit the
 * per-example kernel, ties (first maximum wins) and uncovered rows
 * included, in both the overwriting and the accumulating backward. */
static void test_engine_conv_pool_batched_exact(void **state)
{
    (void)state;
    for (int k = 2; k <= 3; k++) {
        float *val[2], *grad[2];
        size_t nv = 0, nx = 0;
        for (int path = 0; path < 2; path++) {
            mt_graph *g = graph_new();
            mt_node x = graph_input_image(g, "x", 3, 7, 8);
            graph_input_grad(g, x, 1);
            mt_node p = graph_maxpool(g, x, k);
            /* x also feeds a second consumer: its gradient accumulates */
            mt_node L = graph_add(g, tu_project(g, p, "r"), graph_sum(g, graph_scale(g, x, 0.5f)));
            mt_node L2 = tu_project(g, graph_maxpool(g, graph_scale(g, x, 2.0f), k), "r2");
            assert_int_equal(graph_compile(g, 4), MT_OK);
            float *xv = graph_value(g, x);
            nx = (size_t)4 * 3 * 7 * 8;
            /* few distinct values: many ties inside windows */
            for (size_t i = 0; i < nx; i++) xv[i] = (float)((i * 7 + i / 5) % 4);
            tu_fill(graph_value(g, graph_find(g, "r")), (size_t)4 * graph_cols(g, p), 8, -1, 1);
            tu_fill(graph_value(g, graph_find(g, "r2")), (size_t)4 * graph_cols(g, p), 9, -1, 1);
            graph_conv_per_example(g, path);
            graph_forward(g, MT_TRAIN);
            mt_node both[2] = {L, L2};
            assert_int_equal(graph_backward(g, both, NULL, 2, NULL), MT_OK);
            nv = (size_t)4 * graph_cols(g, p);
            val[path] = dup(graph_value(g, p), nv);
            grad[path] = dup(graph_grad(g, x), nx);
            graph_free(g);
        }
        assert_memory_equal(val[0], val[1], nv * sizeof(float));
        assert_memory_equal(grad[0], grad[1], nx * sizeof(float));
        for (int path = 0; path < 2; path++) {
            free(val[path]);
            free(grad[path]);
        }
    }
}

/* Gradient check that prints the checker's message when it fails;
 * returns the entries checked. */
static int gc(mt_graph *g, mt_node L)
{
    gradcheck_report rep;
    mt_status s = gradcheck_run(g, L, 1e-3, 1e-2, &rep);
    if (s != MT_OK) print_error("%s\n", mt_last_error());
    assert_int_equal(s, MT_OK);
    return rep.n_checked;
}

/* The gradient checker on the batched path. Two convolutions, the second
 * with an even kernel and taking its input's gradient through col2im; the
 * loss is kept of order one (its float32 rounding over 2 eps is the
 * checker's noise floor). */
static void test_engine_conv_batched_gradcheck(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input_image(g, "x", 2, 9, 7);
    graph_input_grad(g, x, 1);
    mt_node h = graph_tanh(g, graph_conv2d(g, x, 3, 3, 1, "c1", 0));
    h = graph_tanh(g, graph_conv2d(g, h, 4, 2, 1, "c2", 0)); /* (4, 10, 8) */
    mt_node L = tu_project(g, h, "r");
    assert_int_equal(graph_compile(g, 3), MT_OK);
    graph_init_params(g, 21);
    tu_fill(graph_value(g, x), (size_t)3 * 2 * 9 * 7, 22, -1, 1);
    tu_fill(graph_value(g, graph_find(g, "r")), (size_t)3 * graph_cols(g, h), 23, -0.05f, 0.05f);
    tu_fill(graph_value(g, graph_find(g, "c1.bias")), 3, 24, -0.2f, 0.2f);
    graph_conv_per_example(g, 0);
    /* x, both weights and biases */
    assert_int_equal(gc(g, L), 3 * 2 * 9 * 7 + 3 * 2 * 9 + 3 + 4 * 3 * 4 + 4);
    graph_free(g);
}

/* And on the batched max pooling, 2x2 and 3x3 windows with rows left
 * over; the inputs are distinct and 0.0125 apart, so no window's maximum
 * changes within eps. */
static void test_engine_conv_pool_batched_gradcheck(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input_image(g, "x", 3, 7, 8);
    graph_input_grad(g, x, 1);
    mt_node p2 = graph_maxpool(g, x, 2), p3 = graph_maxpool(g, x, 3);
    mt_node L = graph_add(g, tu_project(g, graph_tanh(g, p2), "r2"),
                          tu_project(g, graph_tanh(g, p3), "r3"));
    assert_int_equal(graph_compile(g, 2), MT_OK);
    float *xv = graph_value(g, x);
    for (int i = 0; i < 2 * 168; i++) xv[i] = 0.05f * (float)((i * 97) % 336) / 4.0f - 2.0f;
    tu_fill(graph_value(g, graph_find(g, "r2")), (size_t)2 * graph_cols(g, p2), 25, -0.3f, 0.3f);
    tu_fill(graph_value(g, graph_find(g, "r3")), (size_t)2 * graph_cols(g, p3), 26, -0.3f, 0.3f);
    graph_conv_per_example(g, 0);
    assert_int_equal(gc(g, L), 2 * 168);
    graph_free(g);
}

/* A layer whose lowered batch exceeds GRAPH_CONV_COL_FLOATS runs in
 * several gemms; the results stay those of the per-example path. Two
 * backward passes after one forward give the same gradients (the kept
 * lowering is not spoiled by the first), whole batch or not. */
static void test_engine_conv_chunks_and_repeated_backward(void **state)
{
    (void)state;
    /* 2 channels of 32x32, 5x5, pad 2: 50 * 1024 floats per example, so a
     * batch of 12 needs several chunks and one of 3 fits one */
    const int C = 2, H = 32, B = 12;
    assert_true((size_t)B * C * 25 * H * H > GRAPH_CONV_COL_FLOATS);
    assert_true((size_t)3 * C * 25 * H * H <= GRAPH_CONV_COL_FLOATS);
    float *grads[2][2], *dxs[2];
    size_t nw = 0, nx = (size_t)B * C * H * H;
    for (int path = 0; path < 2; path++) {
        mt_graph *g = graph_new();
        mt_node x = graph_input_image(g, "x", C, H, H);
        graph_input_grad(g, x, 1);
        mt_node y = graph_conv2d(g, x, 2, 5, 2, "c", 0);
        mt_node L = tu_project(g, graph_maxpool(g, y, 2), "r");
        assert_int_equal(graph_compile(g, B), MT_OK);
        graph_init_params(g, 31);
        tu_fill(graph_value(g, x), nx, 32, -1, 1);
        tu_fill(graph_value(g, graph_find(g, "r")), (size_t)B * 2 * (H / 2) * (H / 2), 33, -1, 1);
        graph_conv_per_example(g, path);
        mt_params *pr = graph_params(g);
        nw = pr->total;
        for (int batch = B; batch >= 3; batch -= 9) { /* 12: several chunks; 3: one */
            assert_int_equal(graph_set_batch(g, batch), MT_OK);
            graph_forward(g, MT_TRAIN);
            float *first = calloc(nw, sizeof(float)), *second = calloc(nw, sizeof(float));
            mt_backward_opts o1 = {first, MT_NONE, -1}, o2 = {second, MT_NONE, -1};
            assert_int_equal(graph_backward(g, &L, NULL, 1, &o1), MT_OK);
            assert_int_equal(graph_backward(g, &L, NULL, 1, &o2), MT_OK);
            assert_memory_equal(first, second, nw * sizeof(float));
            free(second);
            if (batch == B) {
                grads[path][0] = first;
                dxs[path] = dup(graph_grad(g, x), nx);
            } else {
                grads[path][1] = first;
            }
        }
        graph_free(g);
    }
    for (int i = 0; i < 2; i++) {
        double d = rel_diff(grads[0][i], grads[1][i], nw);
        assert_true(d <= 2e-6);
        free(grads[0][i]);
        free(grads[1][i]);
    }
    assert_true(rel_diff(dxs[0], dxs[1], nx) <= 2e-6);
    free(dxs[0]);
    free(dxs[1]);
}

/* A small two-task LeNet trained for a few Adam steps on every path: the
 * same losses step by step (to float32 rounding, which Adam's
 * normalisation keeps from growing over so few steps). */
static void test_engine_conv_training_paths_agree(void **state)
{
    (void)state;
    enum { STEPS = 6, B = 8 };
    double loss[NPATHS][STEPS][2];
    for (int path = 0; path < NPATHS; path++) {
        mt_graph *g = graph_new();
        mt_node x = graph_input_image(g, "x", 1, 12, 12);
        mt_node ya = graph_input(g, "ya", 1), yb = graph_input(g, "yb", 1);
        mt_node h = graph_maxpool(g, graph_relu(g, graph_conv2d(g, x, 4, 3, 1, "c1", 0)), 2);
        h = graph_maxpool(g, graph_relu(g, graph_conv2d(g, h, 6, 3, 1, "c2", 0)), 2);
        h = graph_relu(g, graph_linear(g, graph_flatten(g, h), 16, "d", 0));
        mt_node L[2] = {graph_loss_softmax_ce(g, graph_linear(g, h, 5, "a", 1), ya, MT_NONE),
                        graph_loss_softmax_ce(g, graph_linear(g, h, 3, "b", 2), yb, MT_NONE)};
        assert_int_equal(graph_compile(g, B), MT_OK);
        graph_init_params(g, 41);
        set_path(g, path);
        mt_optim_config cfg = optim_defaults(MT_OPTIM_ADAM);
        cfg.lr = 1e-2f;
        mt_optim opt;
        assert_int_equal(optim_init(&opt, &cfg, graph_params(g)->total), MT_OK);
        for (int s = 0; s < STEPS; s++) {
            tu_fill(graph_value(g, x), (size_t)B * 144, 50 + (unsigned)s, 0, 1);
            for (int b = 0; b < B; b++) {
                graph_value(g, ya)[b] = (float)((b + s) % 5);
                graph_value(g, yb)[b] = (float)((b * 2 + s) % 3);
            }
            graph_forward(g, MT_TRAIN);
            params_zero_grad(graph_params(g));
            assert_int_equal(graph_backward(g, L, NULL, 2, NULL), MT_OK);
            assert_int_equal(optim_step_params(&opt, graph_params(g)), MT_OK);
            loss[path][s][0] = graph_value(g, L[0])[0];
            loss[path][s][1] = graph_value(g, L[1])[0];
        }
        optim_free(&opt);
        graph_free(g);
    }
    for (int path = 1; path < NPATHS; path++)
        for (int s = 0; s < STEPS; s++)
            for (int t = 0; t < 2; t++)
                assert_float_equal(loss[path][s][t], loss[0][s][t], 1e-5 * fabs(loss[0][s][t]));
    /* and the steps trained something */
    assert_true(loss[0][STEPS - 1][0] + loss[0][STEPS - 1][1] < loss[0][0][0] + loss[0][0][1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_conv_batched_matches_per_example),
        cmocka_unit_test(test_engine_conv_pool_batched_exact),
        cmocka_unit_test(test_engine_conv_batched_gradcheck),
        cmocka_unit_test(test_engine_conv_pool_batched_gradcheck),
        cmocka_unit_test(test_engine_conv_chunks_and_repeated_backward),
        cmocka_unit_test(test_engine_conv_training_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
