/* test_engine_custom.c - graph_custom: user callbacks as graph nodes.
 * Forward values and gradients are checked against formulas worked out
 * by hand in the test (and against finite differences with the engine's
 * checker); gradients reach only the operands that want one, accumulate
 * with other consumers, stop at an op without backward, and a step with
 * custom nodes allocates nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "core/status.h"
#include "engine/gradcheck.h"
#include "engine/graph.h"
#include "engine_testutil.h"

/* What the callbacks saw, for the tests to inspect. */
typedef struct {
    int fwd_calls, bwd_calls;
    int last_out_rows;
    int last_in_rows[4];
    int din_given[4]; /* 1 when din[k] was not NULL in the last backward */
} calls;

/* out (B, 2): out[b,0] = sum_j w_j x_bj^2, out[b,1] = w_2 sin(x_b0).
 * Operands: x (B, 3), w (1, 3). */
static void quad_fwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols,
                     int n_in, float *out, int out_rows, int out_cols)
{
    calls *c = ud;
    c->fwd_calls++;
    c->last_out_rows = out_rows;
    for (int k = 0; k < n_in; k++) c->last_in_rows[k] = in_rows[k];
    const float *x = in[0], *w = in[1];
    int d = in_cols[0];
    for (int b = 0; b < out_rows; b++) {
        const float *xb = x + (size_t)b * d;
        float s = 0.0f;
        for (int j = 0; j < d; j++) s += w[j] * xb[j] * xb[j];
        out[(size_t)b * out_cols] = s;
        out[(size_t)b * out_cols + 1] = w[2] * sinf(xb[0]);
    }
}

static void quad_bwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols,
                     int n_in, const float *out, const float *dout, int out_rows, int out_cols,
                     float *const *din)
{
    (void)in_rows;
    (void)out;
    calls *c = ud;
    c->bwd_calls++;
    for (int k = 0; k < n_in; k++) c->din_given[k] = din[k] != NULL;
    const float *x = in[0], *w = in[1];
    int d = in_cols[0];
    for (int b = 0; b < out_rows; b++) {
        const float *xb = x + (size_t)b * d;
        float d0 = dout[(size_t)b * out_cols], d1 = dout[(size_t)b * out_cols + 1];
        if (din[0]) {
            float *dx = din[0] + (size_t)b * d;
            for (int j = 0; j < d; j++) dx[j] += d0 * 2.0f * w[j] * xb[j];
            dx[0] += d1 * w[2] * cosf(xb[0]);
        }
        if (din[1]) {
            for (int j = 0; j < d; j++) din[1][j] += d0 * xb[j] * xb[j];
            din[1][2] += d1 * sinf(xb[0]);
        }
    }
}

/* Forward values and both gradients against the formulas, then the
 * finite-difference check on x and w. */
static void test_engine_custom_values_and_gradients_by_hand(void **state)
{
    (void)state;
    calls c = {0};
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 3);
    graph_input_grad(g, x, 1);
    mt_node w = graph_param(g, "w", 1, 3, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 0, 0);
    mt_node ops[2] = {x, w};
    mt_node y = graph_custom(g, "quad", ops, 2, MT_ROWS_BATCHED, 2, quad_fwd, quad_bwd, &c);
    mt_node L = tu_project(g, y, "r");
    assert_int_equal(graph_compile(g, 4), MT_OK);
    graph_init_params(g, 5);
    assert_string_equal(graph_node_kind(g, y), "quad");
    assert_true(graph_is_batched(g, y));
    assert_int_equal(graph_cols(g, y), 2);
    float *xv = graph_value(g, x), *rv = graph_value(g, graph_find(g, "r"));
    tu_fill(xv, 12, 1, -1.5f, 1.5f);
    tu_fill(rv, 8, 2, 0.5f, 1.0f);
    const float *wv = graph_value(g, w);

    graph_forward(g, MT_TRAIN);
    assert_int_equal(c.fwd_calls, 1);
    assert_int_equal(c.last_out_rows, 4);
    assert_int_equal(c.last_in_rows[0], 4); /* batched operand: the batch */
    assert_int_equal(c.last_in_rows[1], 1); /* fixed operand: its rows */
    const float *yv = graph_value(g, y);
    double Lref = 0.0, dw[3] = {0, 0, 0}, dx[12] = {0};
    for (int b = 0; b < 4; b++) {
        const float *xb = xv + b * 3;
        double q = 0.0;
        for (int j = 0; j < 3; j++) q += (double)wv[j] * xb[j] * xb[j];
        double s = (double)wv[2] * sin((double)xb[0]);
        assert_float_equal(yv[b * 2], q, 1e-5);
        assert_float_equal(yv[b * 2 + 1], s, 1e-5);
        double r0 = rv[b * 2], r1 = rv[b * 2 + 1];
        Lref += r0 * q + r1 * s;
        for (int j = 0; j < 3; j++) {
            dw[j] += r0 * xb[j] * xb[j];
            dx[b * 3 + j] = r0 * 2.0 * wv[j] * xb[j];
        }
        dw[2] += r1 * sin((double)xb[0]);
        dx[b * 3] += r1 * wv[2] * cos((double)xb[0]);
    }
    assert_float_equal(graph_value(g, L)[0], Lref, 1e-4);

    params_zero_grad(graph_params(g));
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    assert_int_equal(c.bwd_calls, 1);
    assert_true(c.din_given[0] && c.din_given[1]);
    const float *gw = graph_grad(g, w), *gx = graph_grad(g, x);
    for (int j = 0; j < 3; j++) assert_float_equal(gw[j], dw[j], 1e-4);
    for (int e = 0; e < 12; e++) assert_float_equal(gx[e], dx[e], 1e-4);

    gradcheck_report rep;
    assert_int_equal(gradcheck_run(g, L, 1e-3, 1e-2, &rep), MT_OK);
    assert_int_equal(rep.n_checked, 3 + 12);
    graph_free(g);
}

/* Rosenbrock's function of a (1, 2) parameter as a (1, 1) custom node,
 * back-propagated from directly (the node is the loss). */
static void rosen_fwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols,
                      int n_in, float *out, int out_rows, int out_cols)
{
    (void)ud, (void)in_rows, (void)in_cols, (void)n_in, (void)out_rows, (void)out_cols;
    double a = in[0][0], b = in[0][1];
    out[0] = (float)((1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a));
}

static void rosen_bwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols,
                      int n_in, const float *out, const float *dout, int out_rows, int out_cols,
                      float *const *din)
{
    (void)ud, (void)in_rows, (void)in_cols, (void)n_in, (void)out, (void)out_rows, (void)out_cols;
    double a = in[0][0], b = in[0][1];
    din[0][0] += (float)(dout[0] * (-2 * (1 - a) - 400 * a * (b - a * a)));
    din[0][1] += (float)(dout[0] * 200 * (b - a * a));
}

static void test_engine_custom_scalar_node_is_a_loss(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node p = graph_param(g, "p", 1, 2, (mt_init){MT_INIT_ZEROS, 0, 0}, 0, 0);
    mt_node f = graph_custom(g, NULL, &p, 1, 1, 1, rosen_fwd, rosen_bwd, NULL);
    assert_int_equal(graph_compile(g, 3), MT_OK);
    assert_string_equal(graph_node_kind(g, f), "custom");
    assert_false(graph_is_batched(g, f));
    assert_int_equal(graph_rows(g, f), 1);
    float *pv = graph_value(g, p);
    pv[0] = -0.5f;
    pv[1] = 0.75f;
    graph_forward(g, MT_TRAIN);
    /* (1.5)^2 + 100 (0.75 - 0.25)^2 = 2.25 + 25 */
    assert_float_equal(graph_value(g, f)[0], 27.25, 1e-4);
    float two = 2.0f;
    assert_int_equal(graph_backward(g, &f, &two, 1, NULL), MT_OK);
    const float *gp = graph_grad(g, p);
    /* 2 * (-2 (1.5) - 400 (-0.5)(0.5)) = 2 * 97, 2 * 200 (0.5) = 200 */
    assert_float_equal(gp[0], 194.0, 1e-3);
    assert_float_equal(gp[1], 200.0, 1e-3);
    /* a point where the loss is of order one for the checker */
    pv[0] = 0.9f;
    pv[1] = 0.8f;
    assert_int_equal(gradcheck_run(g, f, 1e-3, 1e-2, NULL), MT_OK);
    graph_free(g);
}

/* f(p) = p0^2 + 3 p1 broadcast over the batch: every row holds f, and the
 * batch mean's gradient is f'(p) whatever the batch, which the callback
 * sees as its row count. */
static void bcast_fwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols,
                      int n_in, float *out, int out_rows, int out_cols)
{
    (void)in_rows, (void)in_cols, (void)n_in, (void)out_cols;
    calls *c = ud;
    c->fwd_calls++;
    c->last_out_rows = out_rows;
    float v = in[0][0] * in[0][0] + 3.0f * in[0][1];
    for (int b = 0; b < out_rows; b++) out[b] = v;
}

static void bcast_bwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols,
                      int n_in, const float *out, const float *dout, int out_rows, int out_cols,
                      float *const *din)
{
    (void)in_rows, (void)in_cols, (void)n_in, (void)out, (void)out_cols;
    calls *c = ud;
    c->bwd_calls++;
    double s = 0.0;
    for (int b = 0; b < out_rows; b++) s += dout[b];
    din[0][0] += (float)(s * 2.0 * in[0][0]);
    din[0][1] += (float)(s * 3.0);
}

static void test_engine_custom_broadcast_over_batch(void **state)
{
    (void)state;
    calls c = {0};
    mt_graph *g = graph_new();
    mt_node p = graph_param(g, "p", 1, 2, (mt_init){MT_INIT_ZEROS, 0, 0}, 0, 0);
    mt_node f = graph_custom(g, "bcast", &p, 1, MT_ROWS_BATCHED, 1, bcast_fwd, bcast_bwd, &c);
    mt_node L = graph_mean(g, f);
    assert_int_equal(graph_compile(g, 8), MT_OK);
    float *pv = graph_value(g, p);
    pv[0] = 1.5f;
    pv[1] = -0.25f;
    const int batches[2] = {5, 2};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(graph_set_batch(g, batches[i]), MT_OK);
        graph_forward(g, MT_TRAIN);
        assert_int_equal(c.last_out_rows, batches[i]);
        assert_int_equal(graph_rows(g, f), batches[i]);
        for (int b = 0; b < batches[i]; b++) assert_float_equal(graph_value(g, f)[b], 1.5, 1e-6);
        assert_float_equal(graph_value(g, L)[0], 1.5, 1e-6);
        params_zero_grad(graph_params(g));
        assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
        assert_float_equal(graph_grad(g, p)[0], 3.0, 1e-5);
        assert_float_equal(graph_grad(g, p)[1], 3.0, 1e-5);
    }
    assert_int_equal(c.fwd_calls, 2);
    assert_int_equal(c.bwd_calls, 2);
    graph_free(g);
}

/* din is NULL for a constant, for an input without graph_input_grad and
 * for a parameter outside only_group; the others get their gradient. */
static void test_engine_custom_din_only_where_wanted(void **state)
{
    (void)state;
    calls c = {0};
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 3);                 /* no input grad */
    mt_node w0 = graph_param(g, "w0", 1, 3, (mt_init){MT_INIT_ONES, 0, 0}, 0, 0);
    mt_node w1 = graph_param(g, "w1", 1, 3, (mt_init){MT_INIT_ONES, 0, 0}, 1, 0);
    mt_node k = graph_const(g, "k", 1, 3);
    /* quad reads operands 0 (x) and 1 (w); 2 and 3 ride along */
    mt_node ops[4] = {x, w0, w1, k};
    mt_node y = graph_custom(g, "quad", ops, 4, MT_ROWS_BATCHED, 2, quad_fwd, quad_bwd, &c);
    mt_node L = graph_sum(g, y);
    assert_int_equal(graph_compile(g, 2), MT_OK);
    tu_fill(graph_value(g, x), 6, 3, -1, 1);
    graph_forward(g, MT_TRAIN);
    mt_backward_opts o = {.param_grad = NULL, .stop = MT_NONE, .only_group = 0};
    assert_int_equal(graph_backward(g, &L, NULL, 1, &o), MT_OK);
    assert_int_equal(c.bwd_calls, 1);
    assert_int_equal(c.din_given[0], 0);
    assert_int_equal(c.din_given[1], 1);
    assert_int_equal(c.din_given[2], 0);
    assert_int_equal(c.din_given[3], 0);
    o.only_group = 1;
    assert_int_equal(graph_backward(g, &L, NULL, 1, &o), MT_OK);
    assert_int_equal(c.din_given[1], 0);
    assert_int_equal(c.din_given[2], 1);
    /* nothing below wants a gradient: the callback is not called at all */
    o.only_group = 7;
    assert_int_equal(graph_backward(g, &L, NULL, 1, &o), MT_OK);
    assert_int_equal(c.bwd_calls, 2);
    graph_free(g);
}

/* f(a, b) = sum_j a_j b_j. Given the same parameter twice and also summed
 * by another consumer: d/dp of f(p, p) + sum(p) = 2 p + 1. */
static void dot_fwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols,
                    int n_in, float *out, int out_rows, int out_cols)
{
    (void)ud, (void)in_rows, (void)n_in, (void)out_rows, (void)out_cols;
    float s = 0.0f;
    for (int j = 0; j < in_cols[0]; j++) s += in[0][j] * in[1][j];
    out[0] = s;
}

static void dot_bwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols,
                    int n_in, const float *out, const float *dout, int out_rows, int out_cols,
                    float *const *din)
{
    (void)ud, (void)in_rows, (void)n_in, (void)out, (void)out_rows, (void)out_cols;
    for (int j = 0; j < in_cols[0]; j++) {
        if (din[0]) din[0][j] += dout[0] * in[1][j];
        if (din[1]) din[1][j] += dout[0] * in[0][j];
    }
}

static void test_engine_custom_gradients_accumulate(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node p = graph_param(g, "p", 1, 4, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 0, 0);
    mt_node ops[2] = {p, p};
    mt_node f = graph_custom(g, "dot", ops, 2, 1, 1, dot_fwd, dot_bwd, NULL);
    mt_node L = graph_add(g, f, graph_sum(g, p));
    /* a non-parameter operand too: h = tanh(p) fed twice */
    mt_node h = graph_tanh(g, p);
    mt_node hops[2] = {h, h};
    mt_node L2 = graph_add(g, L, graph_custom(g, "dot", hops, 2, 1, 1, dot_fwd, dot_bwd, NULL));
    assert_int_equal(graph_compile(g, 1), MT_OK);
    graph_init_params(g, 9);
    const float *pv = graph_value(g, p);
    graph_forward(g, MT_TRAIN);
    params_zero_grad(graph_params(g));
    assert_int_equal(graph_backward(g, &L2, NULL, 1, NULL), MT_OK);
    const float *gp = graph_grad(g, p);
    for (int j = 0; j < 4; j++) {
        double t = tanh((double)pv[j]);
        /* d/dp [p^2 + p + tanh(p)^2] */
        assert_float_equal(gp[j], 2.0 * pv[j] + 1.0 + 2.0 * t * (1.0 - t * t), 1e-5);
    }
    assert_int_equal(gradcheck_run(g, L2, 1e-3, 1e-2, NULL), MT_OK);
    graph_free(g);
}

/* Without a backward callback nothing flows through the node, while the
 * parameter's other path still carries its gradient. */
static void test_engine_custom_without_backward_stops_gradient(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node p = graph_param(g, "p", 1, 3, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 0, 0);
    mt_node q = graph_param(g, "q", 1, 3, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 0, 0);
    mt_node ops[2] = {p, q};
    mt_node f = graph_custom(g, "frozen", ops, 2, 1, 1, dot_fwd, NULL, NULL);
    mt_node L = graph_add(g, f, graph_sum(g, graph_scale(g, q, 2.0f)));
    assert_int_equal(graph_compile(g, 1), MT_OK);
    graph_init_params(g, 4);
    graph_forward(g, MT_TRAIN);
    const float *pv = graph_value(g, p), *qv = graph_value(g, q);
    double dot = 0.0;
    for (int j = 0; j < 3; j++) dot += (double)pv[j] * qv[j];
    assert_float_equal(graph_value(g, f)[0], dot, 1e-6);
    params_zero_grad(graph_params(g));
    assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    for (int j = 0; j < 3; j++) {
        assert_float_equal(graph_grad(g, p)[j], 0.0, 0);
        assert_float_equal(graph_grad(g, q)[j], 2.0, 1e-6);
    }
    graph_free(g);
}

/* A training step through custom nodes allocates nothing. */
static void test_engine_custom_step_allocates_nothing(void **state)
{
    (void)state;
    calls c = {0};
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 3);
    mt_node w = graph_param(g, "w", 1, 3, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 0, 0);
    mt_node ops[2] = {x, w};
    mt_node y = graph_custom(g, "quad", ops, 2, MT_ROWS_BATCHED, 2, quad_fwd, quad_bwd, &c);
    mt_node L = graph_mean(g, y);
    assert_int_equal(graph_compile(g, 16), MT_OK);
    graph_init_params(g, 2);
    tu_fill(graph_value(g, x), 48, 6, -1, 1);
    graph_forward(g, MT_TRAIN); /* warm: first-touch effects outside the count */
    unsigned long before = mt_alloc_count();
    for (int s = 0; s < 20; s++) {
        graph_set_batch(g, s % 2 ? 16 : 7);
        graph_forward(g, MT_TRAIN);
        params_zero_grad(graph_params(g));
        assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
    }
    assert_int_equal(mt_alloc_count(), before);
    assert_int_equal(c.fwd_calls, 21);
    assert_int_equal(c.bwd_calls, 20);
    graph_free(g);
}

/* Build errors are sticky and name the op. */
static void test_engine_custom_build_errors(void **state)
{
    (void)state;
    mt_node none = MT_NONE;
    struct {
        const char *kind;
        int n, rows, cols, nofwd, missing;
        mt_status st;
        const char *msg;
    } cases[] = {
        {"sq", 1, 1, 1, 1, 0, MT_ERR_ARG, "custom sq: a forward function is required"},
        {"sq", 1, 1, 0, 0, 0, MT_ERR_SHAPE, "custom sq: bad output shape (1, 0)"},
        {"sq", 1, -2, 3, 0, 0, MT_ERR_SHAPE, "custom sq: bad output shape (-2, 3)"},
        {"sq", 0, 1, 1, 0, 0, MT_ERR_ARG, "custom sq: needs at least one operand, got 0"},
        {"sq", 1, 1, 1, 0, 1, MT_ERR_ARG, "custom sq: an operand is missing (MT_NONE)"},
        {"a_kind_name_that_is_far_too_long_", 1, 1, 1, 0, 0, MT_ERR_ARG,
         "kind name longer than 31 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mt_graph *g = graph_new();
        mt_node p = graph_param(g, "p", 1, 2, (mt_init){MT_INIT_ZEROS, 0, 0}, 0, 0);
        mt_clear_error();
        mt_node f = graph_custom(g, cases[i].kind, cases[i].missing ? &none : &p, cases[i].n,
                                 cases[i].rows, cases[i].cols, cases[i].nofwd ? NULL : rosen_fwd,
                                 rosen_bwd, NULL);
        assert_int_equal(f, MT_NONE);
        assert_non_null(strstr(mt_last_error(), cases[i].msg));
        /* sticky: a later builder on it fails too, and compile reports the first error */
        assert_int_equal(graph_sum(g, f), MT_NONE);
        assert_int_equal(graph_compile(g, 1), cases[i].st);
        assert_non_null(strstr(mt_last_error(), cases[i].msg));
        graph_free(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_custom_values_and_gradients_by_hand),
        cmocka_unit_test(test_engine_custom_scalar_node_is_a_loss),
        cmocka_unit_test(test_engine_custom_broadcast_over_batch),
        cmocka_unit_test(test_engine_custom_din_only_where_wanted),
        cmocka_unit_test(test_engine_custom_gradients_accumulate),
        cmocka_unit_test(test_engine_custom_without_backward_stops_gradient),
        cmocka_unit_test(test_engine_custom_step_allocates_nothing),
        cmocka_unit_test(test_engine_custom_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
