/* test_engine_gradcheck.c - the checker itself: it catches wrong gradients,
 * names them, and leaves the graph as it found it. */
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

/* grad_reverse's backward is deliberately not the derivative of its
 * forward: the checker must see every entry through it as wrong. */
static void test_engine_gradcheck_catches_wrong_gradient(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 3);
    graph_input_grad(g, x, 1);
    mt_node L = tu_project(g, graph_tanh(g, graph_grad_reverse(g, x, 1.0f)), "r");
    assert_int_equal(graph_compile(g, 2), MT_OK);
    tu_fill(graph_value(g, x), 6, 1, -1, 1);
    tu_fill(graph_value(g, graph_find(g, "r")), 6, 2, 0.5f, 1.0f);
    gradcheck_report rep;
    mt_clear_error();
    assert_int_equal(gradcheck_run(g, L, 1e-3, 1e-2, &rep), MT_ERR_NUMERIC);
    assert_int_equal(rep.n_checked, 6);
    assert_int_equal(rep.n_failed, 6);
    assert_non_null(strstr(mt_last_error(), "gradcheck: 6 of 6 entries off; worst x["));
    assert_non_null(strstr(mt_last_error(), "relative error 2 > tol 0.01"));
    assert_float_equal(rep.worst_analytic, -rep.worst_numeric, 1e-3 * fabs(rep.worst_numeric));
    assert_float_equal(rep.max_rel_err, 2.0, 1e-3);
    graph_free(g);
}

/* A relu evaluated exactly at its kink: analytic 0, numeric 1/2 times the
 * upstream gradient. The report names the entry. */
static void test_engine_gradcheck_names_the_kink(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 2);
    graph_input_grad(g, x, 1);
    mt_node L = graph_sum(g, graph_relu(g, x));
    assert_int_equal(graph_compile(g, 2), MT_OK);
    float *xv = graph_value(g, x);
    xv[0] = 0.5f;
    xv[1] = -0.5f;
    xv[2] = 0.0f; /* row 1, column 0 */
    xv[3] = 0.25f;
    gradcheck_report rep;
    assert_int_equal(gradcheck_run(g, L, 1e-3, 1e-2, &rep), MT_ERR_NUMERIC);
    assert_int_equal(rep.n_failed, 1);
    assert_string_equal(rep.worst, "x[1,0]");
    assert_float_equal(rep.worst_analytic, 0.0, 0);
    assert_float_equal(rep.worst_numeric, 0.5, 1e-4);
    assert_float_equal(rep.max_abs_err, 0.5, 1e-4);
    graph_free(g);
}

/* After a check: parameters (running statistics included) unchanged, the
 * arena's gradient untouched, and the dropout stream one pass further on,
 * exactly as after one forward pass. */
static void test_engine_gradcheck_leaves_graph_as_found(void **state)
{
    (void)state;
    mt_graph *gs[2];
    mt_node Ls[2];
    for (int k = 0; k < 2; k++) {
        mt_graph *g = graph_new();
        mt_node x = graph_input(g, "x", 4);
        mt_node h = graph_batchnorm(g, graph_linear(g, x, 5, "l0", 0), "bn", 0);
        h = graph_dropout(g, graph_tanh(g, h), 0.4f);
        Ls[k] = tu_project(g, graph_linear(g, h, 2, "l1", 0), "r");
        assert_int_equal(graph_compile(g, 6), MT_OK);
        graph_init_params(g, 3);
        graph_set_seed(g, 8);
        tu_fill(graph_value(g, x), 24, 4, -1, 1);
        tu_fill(graph_value(g, graph_find(g, "r")), 12, 5, -1, 1);
        gs[k] = g;
    }
    mt_params *p = graph_params(gs[0]);
    for (size_t i = 0; i < p->total; i++) p->grad[i] = (float)i;
    float *before = malloc(p->total * sizeof(float));
    memcpy(before, p->data, p->total * sizeof(float));
    gradcheck_report rep;
    assert_int_equal(gradcheck_run(gs[0], Ls[0], 1e-3, 2e-2, &rep), MT_OK);
    assert_int_equal(rep.n_failed, 0);
    assert_true(rep.max_rel_err <= 2e-2);
    /* 4*5 + 5 + 2*5 (gamma, beta) + 5*2 + 2, running stats not included */
    assert_int_equal(rep.n_checked, 20 + 5 + 10 + 10 + 2);
    assert_memory_equal(before, p->data, p->total * sizeof(float));
    for (size_t i = 0; i < p->total; i++) assert_true(p->grad[i] == (float)i);
    /* graph 1 runs one plain forward; then both run one more */
    graph_forward(gs[1], MT_TRAIN);
    assert_float_equal(graph_value(gs[0], Ls[0])[0], graph_value(gs[1], Ls[1])[0], 0);
    graph_forward(gs[0], MT_TRAIN);
    graph_forward(gs[1], MT_TRAIN);
    assert_float_equal(graph_value(gs[0], Ls[0])[0], graph_value(gs[1], Ls[1])[0], 0);
    /* graph_grad on a parameter still reads the arena */
    assert_ptr_equal(graph_grad(gs[0], graph_find(gs[0], "l0.weight")),
                     p->grad + p->info[params_find(p, "l0.weight")].offset);
    free(before);
    graph_free(gs[0]);
    graph_free(gs[1]);
}

static void test_engine_gradcheck_argument_errors(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 2);
    mt_node L = graph_sum(g, x);
    assert_int_equal(gradcheck_run(g, L, 1e-3, 1e-2, NULL), MT_ERR_STATE);
    assert_string_equal(mt_last_error(), "gradcheck: graph not compiled");
    assert_int_equal(graph_compile(g, 2), MT_OK);
    assert_int_equal(gradcheck_run(g, x, 1e-3, 1e-2, NULL), MT_ERR_SHAPE);
    assert_string_equal(mt_last_error(), "gradcheck: node 0 (input) is not a (1, 1) loss");
    assert_int_equal(gradcheck_run(g, L, 0.0, 1e-2, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "gradcheck: eps 0 and tol 0.01 must be positive");
    assert_int_equal(gradcheck_run(g, 42, 1e-3, 1e-2, NULL), MT_ERR_ARG);
    /* an input without graph_input_grad is not checked: nothing to compare */
    gradcheck_report rep;
    assert_int_equal(gradcheck_run(g, L, 1e-3, 1e-2, &rep), MT_OK);
    assert_int_equal(rep.n_checked, 0);
    graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_gradcheck_catches_wrong_gradient),
        cmocka_unit_test(test_engine_gradcheck_names_the_kink),
        cmocka_unit_test(test_engine_gradcheck_leaves_graph_as_found),
        cmocka_unit_test(test_engine_gradcheck_argument_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
