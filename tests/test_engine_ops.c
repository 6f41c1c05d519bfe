/* test_engine_ops.c - every op: forward values against a hand computation,
 * gradients through the finite-difference checker. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include "core/status.h"
#include "engine/gradcheck.h"
#include "engine/graph.h"
#include "engine_testutil.h"

/* Gradient check that prints the checker's message when it fails. */
static int gc_checked(mt_graph *g, mt_node L, mt_mode mode, double eps, double tol)
{
    gradcheck_report rep;
    mt_status s = gradcheck_run_mode(g, L, mode, eps, tol, &rep);
    if (s != MT_OK) print_error("%s\n", mt_last_error());
    assert_int_equal(s, MT_OK);
    assert_true(rep.n_checked > 0);
    return rep.n_checked;
}

static int gc(mt_graph *g, mt_node L) { return gc_checked(g, L, MT_TRAIN, 1e-3, 1e-2); }

static float *val(mt_graph *g, const char *name) { return graph_value(g, graph_find(g, name)); }

/* An input of `cols` columns filled from `seed`, taking a gradient. */
static mt_node in_grad(mt_graph *g, const char *name, int cols)
{
    mt_node x = graph_input(g, name, cols);
    graph_input_grad(g, x, 1);
    return x;
}

static void compile_fill(mt_graph *g, int batch, unsigned long long seed)
{
    assert_int_equal(graph_compile(g, batch), MT_OK);
    graph_init_params(g, seed);
    graph_set_seed(g, seed);
    for (int i = 0; i < graph_node_count(g); i++) {
        const char *k = graph_node_kind(g, i);
        if (strcmp(k, "input") == 0 || strcmp(k, "const") == 0)
            tu_fill(graph_value(g, i), (size_t)graph_rows(g, i) * graph_cols(g, i), seed + 17 * (unsigned)i,
                    -1.0f, 1.0f);
    }
}

/* op(a) op(b) for every transpose combination, parameter by parameter and
 * batched by parameter, against a naive product. */
static void test_engine_ops_matmul_transposes(void **state)
{
    (void)state;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            mt_graph *g = graph_new();
            mt_init u = {MT_INIT_UNIFORM, 1.0f, 0};
            mt_node A = graph_param(g, "A", ta ? 3 : 2, ta ? 2 : 3, u, 0, 1);
            mt_node B = graph_param(g, "B", tb ? 4 : 3, tb ? 3 : 4, u, 0, 1);
            mt_node C = graph_matmul(g, A, B, ta, tb);
            mt_node R = graph_const(g, "R", 2, 4);
            mt_node L = graph_sum(g, graph_mul(g, C, R));
            mt_node x = in_grad(g, "x", 3);
            mt_node xb = graph_matmul(g, x, B, 0, tb); /* (B, 4) */
            mt_node z = in_grad(g, "z", 4);
            mt_node xtz = graph_matmul(g, x, z, 1, 0); /* (3, 4): sums over the batch */
            mt_node L2 = graph_add(g, graph_sum(g, graph_mul(g, xb, z)),
                                   graph_mean(g, graph_mul(g, xtz, xtz)));
            compile_fill(g, 5, 3 + (unsigned)(ta * 2 + tb));
            assert_int_equal(graph_rows(g, C), 2);
            assert_int_equal(graph_cols(g, C), 4);
            assert_int_equal(graph_rows(g, xtz), 3);
            assert_false(graph_is_batched(g, xtz));
            graph_forward(g, MT_TRAIN);
            const float *a = graph_value(g, A), *b = graph_value(g, B), *c = graph_value(g, C);
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 4; j++) {
                    double s = 0.0;
                    for (int k = 0; k < 3; k++)
                        s += (double)(ta ? a[k * 2 + i] : a[i * 3 + k]) *
                             (tb ? b[j * 3 + k] : b[k * 4 + j]);
                    assert_float_equal(c[i * 4 + j], s, 1e-5);
                }
            const float *xv = graph_value(g, x), *zv = graph_value(g, z), *m = graph_value(g, xtz);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++) {
                    double s = 0.0;
                    for (int r = 0; r < 5; r++) s += (double)xv[r * 3 + i] * zv[r * 4 + j];
                    assert_float_equal(m[i * 4 + j], s, 1e-5);
                }
            assert_int_equal(gc(g, L), 6 + 12);
            gc(g, L2);
            graph_free(g);
        }
}

static void test_engine_ops_elementwise_add_sub_mul_scale(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = in_grad(g, "x", 4), z = in_grad(g, "z", 4);
    /* 0.5 (x + z)(x - z) = 0.5 (x^2 - z^2) */
    mt_node y = graph_scale(g, graph_mul(g, graph_add(g, x, z), graph_sub(g, x, z)), 0.5f);
    mt_node L = tu_project(g, y, "r");
    compile_fill(g, 3, 1);
    graph_forward(g, MT_TRAIN);
    const float *xv = val(g, "x"), *zv = val(g, "z"), *rv = val(g, "r");
    for (int i = 0; i < 12; i++)
        assert_float_equal(graph_value(g, y)[i], 0.5f * (xv[i] * xv[i] - zv[i] * zv[i]), 1e-6);
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    for (int i = 0; i < 12; i++) {
        assert_float_equal(graph_grad(g, x)[i], rv[i] * xv[i], 1e-6);
        assert_float_equal(graph_grad(g, z)[i], -rv[i] * zv[i], 1e-6);
    }
    assert_int_equal(gc(g, L), 24);
    graph_free(g);
}

static void test_engine_ops_concat_and_slice(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = in_grad(g, "x", 2), z = in_grad(g, "z", 3);
    mt_node xs[2] = {x, z};
    mt_node c = graph_concat(g, xs, 2);
    mt_node s = graph_slice_cols(g, c, 1, 3); /* x1, z0, z1 */
    mt_node y = graph_tanh(g, s);             /* curvature, so the check means something */
    mt_node L = tu_project(g, y, "r");
    compile_fill(g, 4, 2);
    graph_forward(g, MT_TRAIN);
    const float *xv = val(g, "x"), *zv = val(g, "z"), *cv = graph_value(g, c), *sv = graph_value(g, s);
    assert_int_equal(graph_cols(g, c), 5);
    for (int b = 0; b < 4; b++) {
        for (int j = 0; j < 2; j++) assert_true(cv[b * 5 + j] == xv[b * 2 + j]);
        for (int j = 0; j < 3; j++) assert_true(cv[b * 5 + 2 + j] == zv[b * 3 + j]);
        assert_true(sv[b * 3 + 0] == xv[b * 2 + 1]);
        assert_true(sv[b * 3 + 1] == zv[b * 3 + 0]);
        assert_true(sv[b * 3 + 2] == zv[b * 3 + 1]);
    }
    gc(g, L);
    /* z's last column is sliced away: its gradient is exactly zero */
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    for (int b = 0; b < 4; b++) assert_true(graph_grad(g, z)[b * 3 + 2] == 0.0f);
    assert_true(graph_grad(g, x)[0] == 0.0f);
    graph_free(g);
}

static void test_engine_ops_lincomb_flows_into_coefficients(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node xs[3] = {in_grad(g, "a", 4), in_grad(g, "b", 4), in_grad(g, "c", 4)};
    mt_node coef = graph_param(g, "alpha", 2, 5, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 0, 0);
    mt_node y = graph_lincomb(g, xs, 3, coef, 1, 2);
    mt_node L = tu_project(g, graph_sigmoid(g, y), "r");
    compile_fill(g, 3, 4);
    graph_forward(g, MT_TRAIN);
    const float *cf = graph_value(g, coef) + 5 + 2;
    for (int i = 0; i < 12; i++) {
        float want = cf[0] * val(g, "a")[i] + cf[1] * val(g, "b")[i] + cf[2] * val(g, "c")[i];
        assert_float_equal(graph_value(g, y)[i], want, 1e-6);
    }
    assert_int_equal(gc(g, L), 10 + 36);
    /* coefficients outside row 1, columns 2..4 get no gradient */
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    const float *dc = graph_grad(g, coef);
    for (int j = 0; j < 10; j++) {
        if (j >= 7) assert_true(dc[j] != 0.0f);
        else assert_true(dc[j] == 0.0f);
    }
    graph_free(g);
}

static void test_engine_ops_gate_mixes_experts(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node xs[3] = {in_grad(g, "e0", 4), in_grad(g, "e1", 4), in_grad(g, "e2", 4)};
    mt_node logits = in_grad(g, "gl", 3);
    mt_node gate = graph_softmax(g, logits);
    mt_node y = graph_gate(g, xs, 3, gate);
    mt_node L = tu_project(g, graph_tanh(g, y), "r");
    compile_fill(g, 3, 5);
    graph_forward(g, MT_TRAIN);
    const float *gv = graph_value(g, gate);
    for (int b = 0; b < 3; b++)
        for (int j = 0; j < 4; j++) {
            float want = 0.0f;
            for (int e = 0; e < 3; e++) want += gv[b * 3 + e] * graph_value(g, xs[e])[b * 4 + j];
            assert_float_equal(graph_value(g, y)[b * 4 + j], want, 1e-6);
        }
    assert_int_equal(gc(g, L), 36 + 9);
    graph_free(g);
}

static void test_engine_ops_sum_and_mean(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = in_grad(g, "x", 3);
    mt_node p = graph_param(g, "p", 2, 3, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 0, 0);
    mt_node s = graph_sum(g, x), m = graph_mean(g, graph_mul(g, p, p));
    mt_node L = graph_add(g, graph_scale(g, s, 2.0f), m);
    compile_fill(g, 4, 6);
    assert_int_equal(graph_set_batch(g, 3), MT_OK);
    graph_forward(g, MT_TRAIN);
    double hs = 0.0, hm = 0.0;
    for (int i = 0; i < 9; i++) hs += val(g, "x")[i];
    for (int i = 0; i < 6; i++) hm += (double)graph_value(g, p)[i] * graph_value(g, p)[i] / 6.0;
    assert_float_equal(graph_value(g, s)[0], hs, 1e-6);
    assert_float_equal(graph_value(g, m)[0], hm, 1e-6);
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    for (int i = 0; i < 9; i++) assert_float_equal(graph_grad(g, x)[i], 2.0f, 1e-7);
    for (int i = 0; i < 6; i++)
        assert_float_equal(graph_grad(g, p)[i], graph_value(g, p)[i] / 3.0f, 1e-6);
    assert_int_equal(gc(g, L), 9 + 6);
    graph_free(g);
}

typedef mt_node (*unary_fn)(mt_graph *, mt_node);
static mt_node leaky(mt_graph *g, mt_node x) { return graph_leaky_relu(g, x, 0.1f); }

static double ref_act(int k, double v)
{
    switch (k) {
    case 0: return v > 0 ? v : 0;
    case 1: return v > 0 ? v : 0.1 * v;
    case 2: return tanh(v);
    case 3: return 1.0 / (1.0 + exp(-v));
    default: return 0.5 * v * (1.0 + tanh(sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    }
}

static void test_engine_ops_activations(void **state)
{
    (void)state;
    unary_fn fns[5] = {graph_relu, leaky, graph_tanh, graph_sigmoid, graph_gelu};
    const char *kinds[5] = {"relu", "leaky_relu", "tanh", "sigmoid", "gelu"};
    for (int k = 0; k < 5; k++) {
        mt_graph *g = graph_new();
        mt_node x = in_grad(g, "x", 5);
        mt_node y = fns[k](g, x);
        mt_node L = tu_project(g, y, "r");
        compile_fill(g, 4, 7);
        assert_string_equal(graph_node_kind(g, y), kinds[k]);
        float *xv = graph_value(g, x);
        tu_fill_away(xv, 20, 8, 0.05f, 3.0f); /* no kinks within eps */
        xv[0] = 30.0f;                          /* saturation */
        xv[1] = -30.0f;
        graph_forward(g, MT_TRAIN);
        for (int i = 0; i < 20; i++)
            assert_float_equal(graph_value(g, y)[i], ref_act(k, xv[i]), 2e-6 * (1 + fabs(xv[i])));
        /* the check wants a loss of order one: back off the saturated inputs */
        xv[0] = 0.7f;
        xv[1] = -0.4f;
        gc(g, L);
        graph_free(g);
    }
    /* a known value: gelu(1) with the tanh approximation */
    float one = 1.0f, out;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 1), y = graph_gelu(g, x);
    assert_int_equal(graph_compile(g, 1), MT_OK);
    graph_value(g, x)[0] = one;
    graph_forward(g, MT_EVAL);
    out = graph_value(g, y)[0];
    assert_float_equal(out, 0.841192f, 1e-5);
    graph_free(g);
}

static void test_engine_ops_softmax_rows(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = in_grad(g, "x", 4);
    mt_node y = graph_softmax(g, x);
    mt_node L = tu_project(g, y, "r");
    compile_fill(g, 3, 9);
    float *xv = graph_value(g, x);
    xv[0] = 1000.0f; /* must not overflow */
    xv[1] = 999.0f;
    graph_forward(g, MT_TRAIN);
    const float *yv = graph_value(g, y);
    assert_float_equal(yv[0], 1.0 / (1.0 + exp(-1.0) + exp(xv[2] - 1000.0) + exp(xv[3] - 1000.0)),
                       1e-6);
    for (int b = 1; b < 3; b++) {
        double s = 0.0, e[4];
        for (int j = 0; j < 4; j++) s += e[j] = exp(xv[b * 4 + j]);
        for (int j = 0; j < 4; j++) assert_float_equal(yv[b * 4 + j], e[j] / s, 1e-6);
    }
    xv[0] = 0.5f;
    xv[1] = -0.2f;
    gc(g, L);
    graph_free(g);
}

static void test_engine_ops_dropout_rate_scale_and_replay(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 256);
    mt_node y = graph_dropout(g, x, 0.3f);
    assert_int_equal(graph_compile(g, 64), MT_OK);
    size_t n = 64 * 256;
    float *xv = graph_value(g, x);
    for (size_t i = 0; i < n; i++) xv[i] = 2.0f;
    graph_set_seed(g, 42);
    graph_forward(g, MT_TRAIN);
    float *first = malloc(n * sizeof(float));
    memcpy(first, graph_value(g, y), n * sizeof(float));
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (first[i] != 0.0f) {
            kept++;
            assert_float_equal(first[i], 2.0f / 0.7f, 1e-6);
        }
    }
    double rate = (double)kept / (double)n; /* sd of the rate ~ 0.0036 */
    assert_true(fabs(rate - 0.7) < 0.015);
    /* the next pass draws a new mask; the same seed replays both */
    graph_forward(g, MT_TRAIN);
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += (first[i] != 0.0f) == (graph_value(g, y)[i] != 0.0f);
    assert_true(same < n - n / 10);
    graph_set_seed(g, 42);
    graph_forward(g, MT_TRAIN);
    assert_memory_equal(first, graph_value(g, y), n * sizeof(float));
    graph_forward(g, MT_EVAL);
    for (size_t i = 0; i < n; i++) assert_true(graph_value(g, y)[i] == 2.0f);
    free(first);
    graph_free(g);

    /* gradients through a fixed mask, between two layers */
    g = graph_new();
    mt_node xi = in_grad(g, "x", 6);
    mt_node th = graph_tanh(g, graph_linear(g, xi, 8, "l0", 0));
    mt_node h = graph_dropout(g, th, 0.5f);
    mt_node L = tu_project(g, graph_linear(g, h, 3, "l1", 0), "r");
    compile_fill(g, 4, 10);
    gc(g, L);
    /* dropped units pass no gradient */
    graph_forward(g, MT_TRAIN);
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    int dropped = 0;
    for (int i = 0; i < 32; i++)
        if (graph_value(g, h)[i] == 0.0f) {
            dropped++;
            assert_true(graph_grad(g, th)[i] == 0.0f);
        } else {
            assert_float_equal(graph_value(g, h)[i], 2.0f * graph_value(g, th)[i], 1e-6);
            assert_true(graph_grad(g, th)[i] != 0.0f);
        }
    assert_true(dropped > 4 && dropped < 28);
    graph_free(g);
}

static void test_engine_ops_grad_reverse(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = in_grad(g, "x", 3);
    mt_node y = graph_grad_reverse(g, x, 0.5f);
    mt_node L = tu_project(g, graph_mul(g, y, y), "r");
    compile_fill(g, 2, 11);
    graph_forward(g, MT_TRAIN);
    assert_memory_equal(graph_value(g, y), graph_value(g, x), 6 * sizeof(float));
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    const float *xv = val(g, "x"), *rv = val(g, "r");
    /* d/dx sum r x^2 = 2 r x, reversed and scaled by 0.5 */
    for (int i = 0; i < 6; i++) assert_float_equal(graph_grad(g, x)[i], -rv[i] * xv[i], 1e-6);
    graph_free(g);
}

/* Batch norm of a (B, n) matrix: per column, train and eval. */
static void test_engine_ops_batchnorm_dense(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = in_grad(g, "x", 3);
    mt_node y = graph_batchnorm(g, x, "bn", 0);
    mt_node L = tu_project(g, graph_tanh(g, y), "r");
    compile_fill(g, 6, 12);
    tu_fill(val(g, "bn.gamma"), 3, 1, 0.5f, 1.5f);
    tu_fill(val(g, "bn.beta"), 3, 2, -0.5f, 0.5f);
    mt_params *p = graph_params(g);
    float *rm = p->data + p->info[params_find(p, "bn.running_mean")].offset;
    float *rvar = p->data + p->info[params_find(p, "bn.running_var")].offset;
    graph_forward(g, MT_TRAIN);
    const float *xv = val(g, "x"), *gm = val(g, "bn.gamma"), *bt = val(g, "bn.beta");
    for (int j = 0; j < 3; j++) {
        double mu = 0, var = 0;
        for (int b = 0; b < 6; b++) mu += xv[b * 3 + j] / 6.0;
        for (int b = 0; b < 6; b++) var += (xv[b * 3 + j] - mu) * (xv[b * 3 + j] - mu) / 6.0;
        for (int b = 0; b < 6; b++) {
            double want = gm[j] * (xv[b * 3 + j] - mu) / sqrt(var + 1e-5) + bt[j];
            assert_float_equal(graph_value(g, y)[b * 3 + j], want, 1e-5);
        }
        assert_float_equal(rm[j], 0.1 * mu, 1e-6);
        assert_float_equal(rvar[j], 0.9 + 0.1 * var * 6.0 / 5.0, 1e-6);
    }
    gc(g, L);
    /* eval: the running statistics, and their own gradient path */
    rm[0] = 0.2f;
    rvar[0] = 0.5f;
    graph_forward(g, MT_EVAL);
    for (int b = 0; b < 6; b++) {
        double want = gm[0] * (xv[b * 3] - 0.2) / sqrt(0.5 + 1e-5) + bt[0];
        assert_float_equal(graph_value(g, y)[b * 3], want, 1e-5);
    }
    gc_checked(g, L, MT_EVAL, 1e-3, 1e-2);
    graph_free(g);
}

/* Batch norm of an image node: statistics per channel over (B, H, W). */
static void test_engine_ops_batchnorm_image(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input_image(g, "x", 2, 3, 3);
    graph_input_grad(g, x, 1);
    mt_node y = graph_batchnorm(g, x, "bn", 0);
    mt_node L = tu_project(g, graph_sigmoid(g, y), "r");
    compile_fill(g, 2, 13);
    assert_int_equal(graph_cols(g, graph_find(g, "bn.gamma")), 2);
    tu_fill(val(g, "bn.gamma"), 2, 3, 0.5f, 1.5f);
    graph_forward(g, MT_TRAIN);
    const float *xv = val(g, "x"), *gm = val(g, "bn.gamma");
    for (int c = 0; c < 2; c++) {
        double mu = 0, var = 0;
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < 9; s++) mu += xv[b * 18 + c * 9 + s] / 18.0;
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < 9; s++) {
                double d = xv[b * 18 + c * 9 + s] - mu;
                var += d * d / 18.0;
            }
        for (int b = 0; b < 2; b++)
            for (int s = 0; s < 9; s++) {
                double want = gm[c] * (xv[b * 18 + c * 9 + s] - mu) / sqrt(var + 1e-5);
                assert_float_equal(graph_value(g, y)[b * 18 + c * 9 + s], want, 1e-5);
            }
    }
    gc(g, L);
    graph_free(g);
}

static void test_engine_ops_layernorm(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = in_grad(g, "x", 5);
    mt_node y = graph_layernorm(g, x, "ln", 1);
    mt_node L = tu_project(g, graph_tanh(g, y), "r");
    compile_fill(g, 3, 14);
    tu_fill(val(g, "ln.gamma"), 5, 4, 0.5f, 1.5f);
    tu_fill(val(g, "ln.beta"), 5, 5, -0.5f, 0.5f);
    graph_forward(g, MT_TRAIN);
    const float *xv = val(g, "x"), *gm = val(g, "ln.gamma"), *bt = val(g, "ln.beta");
    for (int b = 0; b < 3; b++) {
        double mu = 0, var = 0;
        for (int j = 0; j < 5; j++) mu += xv[b * 5 + j] / 5.0;
        for (int j = 0; j < 5; j++) var += (xv[b * 5 + j] - mu) * (xv[b * 5 + j] - mu) / 5.0;
        for (int j = 0; j < 5; j++) {
            double want = gm[j] * (xv[b * 5 + j] - mu) / sqrt(var + 1e-5) + bt[j];
            assert_float_equal(graph_value(g, y)[b * 5 + j], want, 1e-5);
        }
    }
    assert_int_equal(graph_params(g)->info[0].group, 1);
    gc(g, L);
    graph_free(g);
}

/* Direct convolution, independent of im2col. */
static double conv_ref(const float *x, const float *w, const float *bias, int c, int h, int wd,
                       int k, int pad, int o, int oy, int ox)
{
    double s = bias[o];
    for (int ci = 0; ci < c; ci++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                int iy = oy + ky - pad, ix = ox + kx - pad;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s += (double)x[(ci * h + iy) * wd + ix] * w[((o * c + ci) * k + ky) * k + kx];
            }
    return s;
}

static void test_engine_ops_conv2d(void **state)
{
    (void)state;
    int cfg[2][3] = {{3, 1, 5}, {2, 0, 4}}; /* k, pad, h = w */
    for (int t = 0; t < 2; t++) {
        int k = cfg[t][0], pad = cfg[t][1], hw = cfg[t][2], oh = hw + 2 * pad - k + 1;
        float *ref_out = NULL;
        for (int ref = 0; ref < 2; ref++) {
            mt_graph *g = graph_new();
            mt_node x = graph_input_image(g, "x", 2, hw, hw);
            graph_input_grad(g, x, 1);
            mt_node y = graph_conv2d(g, x, 3, k, pad, "conv", 0);
            mt_node L = tu_project(g, graph_tanh(g, y), "r");
            compile_fill(g, 2, 15);
            graph_use_reference_kernels(g, ref);
            tu_fill(val(g, "conv.bias"), 3, 6, -0.5f, 0.5f);
            graph_forward(g, MT_TRAIN);
            int cc, hh, ww;
            assert_true(graph_image_shape(g, y, &cc, &hh, &ww));
            assert_true(cc == 3 && hh == oh && ww == oh);
            const float *xv = val(g, "x"), *wv = val(g, "conv.weight"), *bv = val(g, "conv.bias");
            const float *yv = graph_value(g, y);
            for (int b = 0; b < 2; b++)
                for (int o = 0; o < 3; o++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < oh; ox++) {
                            double want = conv_ref(xv + b * 2 * hw * hw, wv, bv, 2, hw, hw, k, pad,
                                                   o, oy, ox);
                            assert_float_equal(yv[((b * 3 + o) * oh + oy) * oh + ox], want, 1e-5);
                        }
            size_t n = (size_t)2 * 3 * oh * oh;
            if (!ref) {
                ref_out = malloc(n * sizeof(float));
                memcpy(ref_out, yv, n * sizeof(float));
            } else {
                assert_true(tu_max_abs_diff(ref_out, yv, n) < 1e-5f);
                free(ref_out);
            }
            gc(g, L);
            graph_free(g);
        }
    }
}

static void test_engine_ops_maxpool_and_flatten(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input_image(g, "x", 2, 5, 5); /* 5x5 pools to 2x2, last row/col unused */
    graph_input_grad(g, x, 1);
    mt_node p = graph_maxpool(g, x, 2);
    mt_node f = graph_flatten(g, p);
    mt_node L = tu_project(g, graph_tanh(g, f), "r");
    compile_fill(g, 2, 16);
    assert_int_equal(graph_cols(g, p), 8);
    float *xv = val(g, "x");
    /* distinct values 0.05 apart in a scrambled order: no ties within eps */
    for (int i = 0; i < 100; i++) xv[i] = 0.05f * (float)((i * 37) % 100) - 2.5f;
    graph_forward(g, MT_TRAIN);
    for (int b = 0; b < 2; b++)
        for (int c = 0; c < 2; c++)
            for (int oy = 0; oy < 2; oy++)
                for (int ox = 0; ox < 2; ox++) {
                    float m = -1e9f;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++)
                            m = fmaxf(m, xv[b * 50 + c * 25 + (oy * 2 + dy) * 5 + ox * 2 + dx]);
                    assert_true(graph_value(g, f)[b * 8 + c * 4 + oy * 2 + ox] == m);
                }
    gc(g, L);
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    int nonzero = 0;
    for (int i = 0; i < 100; i++) nonzero += graph_grad(g, x)[i] != 0.0f;
    assert_int_equal(nonzero, 16); /* one winner per window */
    graph_free(g);
}

/* A small LeNet: conv, relu, pool, conv, relu, pool, flatten, dense, CE. */
static void test_engine_ops_lenet_gradcheck(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input_image(g, "x", 1, 8, 8);
    mt_node y = graph_input(g, "y", 1);
    mt_node h = graph_maxpool(g, graph_relu(g, graph_conv2d(g, x, 2, 3, 1, "c1", 0)), 2);
    h = graph_maxpool(g, graph_relu(g, graph_conv2d(g, h, 3, 3, 1, "c2", 0)), 2);
    mt_node o = graph_linear(g, graph_flatten(g, h), 4, "out", 1);
    mt_node L = graph_loss_softmax_ce(g, o, y, MT_NONE);
    compile_fill(g, 2, 17);
    tu_fill(val(g, "c1.bias"), 2, 7, 0.05f, 0.2f);
    float *yv = val(g, "y");
    yv[0] = 1;
    yv[1] = 3;
    assert_int_equal(gc_checked(g, L, MT_TRAIN, 1e-3, 2e-2), 18 + 2 + 54 + 3 + 48 + 4);
    graph_free(g);
}

/* ---- losses ---------------------------------------------------------------- */

static void fill_mask(float *m, int n, unsigned pattern)
{
    for (int i = 0; i < n; i++) m[i] = (pattern >> i) & 1 ? 1.0f : 0.0f;
}

static void test_engine_ops_loss_regression(void **state)
{
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        mt_graph *g = graph_new();
        mt_node p = in_grad(g, "p", 3), t = in_grad(g, "t", 3), m = graph_input(g, "m", 1);
        mt_node L = kind == 0 ? graph_loss_mse(g, p, t, m)
                    : kind == 1 ? graph_loss_l1(g, p, t, m)
                                : graph_loss_huber(g, p, t, m, 0.5f);
        compile_fill(g, 5, 18);
        float *pv = val(g, "p"), *tv = val(g, "t"), *mv = val(g, "m");
        float r[15];
        tu_fill_away(r, 15, 9, 0.05f, 1.2f); /* residuals off 0 and off +-delta */
        for (int i = 0; i < 15; i++) {
            if (fabsf(fabsf(r[i]) - 0.5f) < 0.02f) r[i] *= 1.1f;
            tv[i] = pv[i] - r[i];
        }
        fill_mask(mv, 5, 0x1b); /* rows 0, 1, 3, 4 */
        tv[2 * 3] = NAN;         /* an unlabelled row may hold anything */
        graph_forward(g, MT_TRAIN);
        double num = 0.0;
        for (int b = 0; b < 5; b++) {
            if (mv[b] == 0.0f) continue;
            double s = 0.0;
            for (int j = 0; j < 3; j++) {
                double a = fabs((double)pv[b * 3 + j] - tv[b * 3 + j]);
                s += kind == 0 ? a * a : kind == 1 ? a : (a <= 0.5 ? 0.5 * a * a : 0.5 * (a - 0.25));
            }
            num += s / 3.0;
        }
        assert_float_equal(graph_value(g, L)[0], num / 4.0, 1e-6);
        gc(g, L);
        /* no labels at all: the loss and every gradient are zero */
        fill_mask(mv, 5, 0);
        graph_forward(g, MT_TRAIN);
        assert_true(graph_value(g, L)[0] == 0.0f);
        assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
        for (int i = 0; i < 15; i++) assert_true(graph_grad(g, p)[i] == 0.0f);
        graph_free(g);
    }
}

static void test_engine_ops_loss_softmax_ce(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node z = in_grad(g, "z", 4), y = graph_input(g, "y", 1), m = graph_input(g, "m", 1);
    mt_node L = graph_loss_softmax_ce(g, z, y, m);
    mt_node L2 = graph_loss_softmax_ce(g, z, y, MT_NONE);
    compile_fill(g, 4, 19);
    float *zv = val(g, "z"), *yv = val(g, "y"), *mv = val(g, "m");
    float cls[4] = {0, 3, 2, 1};
    memcpy(yv, cls, sizeof cls);
    fill_mask(mv, 4, 0xd); /* rows 0, 2, 3 */
    zv[8] = 1000.0f;       /* row 2: huge logits stay finite */
    zv[9] = -1000.0f;
    graph_forward(g, MT_TRAIN);
    double tot = 0.0, tot_all = 0.0;
    for (int b = 0; b < 4; b++) {
        double mx = -INFINITY, s = 0.0;
        for (int j = 0; j < 4; j++) mx = fmax(mx, zv[b * 4 + j]);
        for (int j = 0; j < 4; j++) s += exp(zv[b * 4 + j] - mx);
        double l = mx + log(s) - zv[b * 4 + (int)cls[b]];
        tot_all += l / 4.0;
        if (mv[b] != 0.0f) tot += l / 3.0;
    }
    assert_true(isfinite(graph_value(g, L)[0]));
    assert_float_equal(graph_value(g, L)[0], tot, 1e-4);
    assert_float_equal(graph_value(g, L2)[0], tot_all, 1e-4);
    zv[8] = 0.3f;
    zv[9] = -0.7f;
    gc(g, L);
    gc(g, L2);
    /* the gradient w.r.t. logits is (softmax - onehot) / count */
    graph_forward(g, MT_TRAIN);
    assert_int_equal(graph_backward(g, &L2, NULL, 1, NULL), MT_OK);
    for (int b = 0; b < 4; b++) {
        double s = 0.0;
        for (int j = 0; j < 4; j++) s += exp(zv[b * 4 + j]);
        for (int j = 0; j < 4; j++) {
            double want = (exp(zv[b * 4 + j]) / s - (j == (int)cls[b])) / 4.0;
            assert_float_equal(graph_grad(g, z)[b * 4 + j], want, 1e-6);
        }
    }
    graph_free(g);
}

/* A class index outside 0..n-1 never reads memory: the loss turns NaN and
 * the message names the row; a masked row may hold any label. */
static void test_engine_ops_loss_softmax_ce_bad_target(void **state)
{
    (void)state;
    float bad[4] = {4.0f, -1.0f, 1.5f, NAN};
    for (int k = 0; k < 4; k++) {
        mt_graph *g = graph_new();
        mt_node z = in_grad(g, "z", 4), y = graph_input(g, "y", 1), m = graph_input(g, "m", 1);
        mt_node L = graph_loss_softmax_ce(g, z, y, m);
        compile_fill(g, 3, 20);
        float *yv = val(g, "y"), *mv = val(g, "m");
        yv[0] = 1;
        yv[1] = bad[k];
        yv[2] = 2;
        fill_mask(mv, 3, 0x7);
        mt_clear_error();
        graph_forward(g, MT_TRAIN);
        assert_true(isnan(graph_value(g, L)[0]));
        assert_int_equal(mt_last_status(), MT_ERR_NUMERIC);
        assert_non_null(strstr(mt_last_error(), "at row 1 is not a class in 0..3"));
        /* backward survives; the bad row gets no gradient */
        assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
        for (int j = 0; j < 4; j++) assert_true(graph_grad(g, z)[4 + j] == 0.0f);
        /* masked out, the same label is harmless */
        fill_mask(mv, 3, 0x5);
        graph_forward(g, MT_TRAIN);
        assert_true(isfinite(graph_value(g, L)[0]));
        graph_free(g);
    }
}

static void test_engine_ops_loss_bce_logits(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node z = in_grad(g, "z", 3), t = in_grad(g, "t", 3), m = graph_input(g, "m", 1);
    mt_node L = graph_loss_bce_logits(g, z, t, m);
    compile_fill(g, 4, 21);
    float *zv = val(g, "z"), *tv = val(g, "t"), *mv = val(g, "m");
    for (int i = 0; i < 12; i++) tv[i] = (i * 5) % 3 == 0 ? 1.0f : 0.0f;
    tv[4] = 0.3f; /* soft targets work too */
    zv[0] = 100.0f;
    tv[0] = 0.0f; /* loss 100, not inf */
    zv[1] = -100.0f;
    tv[1] = 1.0f;
    fill_mask(mv, 4, 0xb);
    graph_forward(g, MT_TRAIN);
    double num = 0.0;
    for (int b = 0; b < 4; b++) {
        if (mv[b] == 0.0f) continue;
        double s = 0.0;
        for (int j = 0; j < 3; j++) {
            double zz = zv[b * 3 + j], tt = tv[b * 3 + j];
            /* the naive form, safe here except for the two huge logits */
            double l = fabs(zz) > 50 ? fabs(zz) : -(tt * log(1 / (1 + exp(-zz))) +
                                                    (1 - tt) * log(1 - 1 / (1 + exp(-zz))));
            s += l;
        }
        num += s / 3.0;
    }
    assert_float_equal(graph_value(g, L)[0], num / 3.0, 1e-4);
    zv[0] = 0.4f;
    zv[1] = -0.9f;
    gc(g, L);
    graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_ops_matmul_transposes),
        cmocka_unit_test(test_engine_ops_elementwise_add_sub_mul_scale),
        cmocka_unit_test(test_engine_ops_concat_and_slice),
        cmocka_unit_test(test_engine_ops_lincomb_flows_into_coefficients),
        cmocka_unit_test(test_engine_ops_gate_mixes_experts),
        cmocka_unit_test(test_engine_ops_sum_and_mean),
        cmocka_unit_test(test_engine_ops_activations),
        cmocka_unit_test(test_engine_ops_softmax_rows),
        cmocka_unit_test(test_engine_ops_dropout_rate_scale_and_replay),
        cmocka_unit_test(test_engine_ops_grad_reverse),
        cmocka_unit_test(test_engine_ops_batchnorm_dense),
        cmocka_unit_test(test_engine_ops_batchnorm_image),
        cmocka_unit_test(test_engine_ops_layernorm),
        cmocka_unit_test(test_engine_ops_conv2d),
        cmocka_unit_test(test_engine_ops_maxpool_and_flatten),
        cmocka_unit_test(test_engine_ops_lenet_gradcheck),
        cmocka_unit_test(test_engine_ops_loss_regression),
        cmocka_unit_test(test_engine_ops_loss_softmax_ce),
        cmocka_unit_test(test_engine_ops_loss_softmax_ce_bad_target),
        cmocka_unit_test(test_engine_ops_loss_bce_logits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
