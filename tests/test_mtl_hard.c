/* test_mtl_hard.c - hard parameter sharing and the topology registry:
 * one task equals a plain network, heads attached at different depths
 * (low supervision) pass the gradient check, parameter groups and counts,
 * and the generic parameter accessors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/gradcheck.h"
#include "engine/graph.h"
#include "engine_testutil.h"
#include "mtl/topology.h"

static void spec_two_layers(mt_topo_spec *s, int ntasks)
{
    topo_spec_default(s);
    s->trunk[0] = 5;
    s->trunk[1] = 4;
    s->ntrunk = 2;
    s->head[0] = 3;
    s->nhead = 1;
    s->act = MT_ACT_TANH;
    s->ntasks = ntasks;
    for (int t = 0; t < ntasks; t++) {
        snprintf(s->task[t].name, sizeof s->task[t].name, "t%d", t);
        s->task[t].out_dim = 2;
        s->task[t].nhead = -1;
    }
    topo_resolve(s);
}

/* Hard sharing with one task is the plain MLP x -> 5 -> 4 -> 3 -> 2 with
 * the same weights: outputs equal bit for bit. */
static void test_mtl_hard_one_task_equals_plain_network(void **state)
{
    (void)state;
    mt_topo_spec s;
    spec_two_layers(&s, 1);
    assert_int_equal(topo_validate(&s), MT_OK);
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 6);
    mt_topo_built b;
    assert_int_equal(topo_build(g, &s, x, 0, 0, 0, &b), MT_OK);
    assert_int_equal(graph_compile(g, 4), MT_OK);
    graph_init_params(g, 3);

    mt_graph *p = graph_new();
    mt_node px = graph_input(p, "x", 6);
    mt_node h = graph_tanh(p, graph_linear(p, px, 5, "l0", 0));
    h = graph_tanh(p, graph_linear(p, h, 4, "l1", 0));
    h = graph_tanh(p, graph_linear(p, h, 3, "l2", 0));
    mt_node out = graph_linear(p, h, 2, "l3", 0);
    assert_int_equal(graph_compile(p, 4), MT_OK);
    /* same parameters, in the same order of creation */
    mt_params *ga = graph_params(g), *pa = graph_params(p);
    assert_int_equal(ga->count, pa->count);
    for (int i = 0; i < ga->count; i++) {
        assert_int_equal(ga->info[i].size, pa->info[i].size);
        memcpy(pa->data + pa->info[i].offset, ga->data + ga->info[i].offset, ga->info[i].size * sizeof(float));
    }
    graph_set_batch(g, 4);
    graph_set_batch(p, 4);
    tu_fill(graph_value(g, x), 24, 11, -1, 1);
    memcpy(graph_value(p, px), graph_value(g, x), 24 * sizeof(float));
    graph_forward(g, MT_EVAL);
    graph_forward(p, MT_EVAL);
    assert_memory_equal(graph_value(g, b.out[0]), graph_value(p, out), 8 * sizeof(float));
    /* the trunk is shared (group 0), the head belongs to task 1 */
    assert_int_equal(ga->info[params_find(ga, "trunk.0.weight")].group, 0);
    assert_int_equal(ga->info[params_find(ga, "head.t0.0.weight")].group, 1);
    assert_int_equal(ga->info[params_find(ga, "head.t0.out.bias")].group, 1);
    topo_count_params(g, &s, &b);
    assert_int_equal(b.n_shared, 6 * 5 + 5 + 5 * 4 + 4);
    assert_int_equal(b.n_task[0], 4 * 3 + 3 + 3 * 2 + 2);
    graph_free(g);
    graph_free(p);
}

/* Low supervision: task 0 reads trunk layer 1, task 1 the top. The
 * gradient check passes through both, task 0's loss leaves the top trunk
 * layer untouched, and MGDA-UB gets no common representation. */
static void test_mtl_hard_attach_depths(void **state)
{
    (void)state;
    mt_topo_spec s;
    spec_two_layers(&s, 2);
    s.task[0].attach = 1;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 6);
    mt_topo_built b;
    assert_int_equal(topo_build(g, &s, x, 0, 0, 0, &b), MT_OK);
    assert_int_equal(b.shared, MT_NONE);
    mt_node l0 = tu_project(g, b.out[0], "r0"), l1 = tu_project(g, b.out[1], "r1");
    mt_node both = graph_add(g, l0, l1);
    assert_int_equal(graph_compile(g, 3), MT_OK);
    graph_init_params(g, 7);
    graph_set_batch(g, 3);
    tu_fill(graph_value(g, x), 18, 1, -1, 1);
    tu_fill(graph_value(g, graph_find(g, "r0")), 6, 2, -1, 1);
    tu_fill(graph_value(g, graph_find(g, "r1")), 6, 3, -1, 1);
    gradcheck_report rep;
    assert_int_equal(gradcheck_run(g, both, 1e-3, 2e-2, &rep), MT_OK);
    assert_int_equal(rep.n_failed, 0);
    assert_true(rep.n_checked > 50);
    /* task 0 alone: no gradient on trunk.1 */
    mt_params *p = graph_params(g);
    params_zero_grad(p);
    graph_forward(g, MT_TRAIN);
    assert_int_equal(graph_backward(g, &l0, NULL, 1, NULL), MT_OK);
    const mt_param_info *top = &p->info[params_find(p, "trunk.1.weight")];
    const mt_param_info *low = &p->info[params_find(p, "trunk.0.weight")];
    double top_norm = 0, low_norm = 0;
    for (size_t i = 0; i < top->size; i++) top_norm += fabs(p->grad[top->offset + i]);
    for (size_t i = 0; i < low->size; i++) low_norm += fabs(p->grad[low->offset + i]);
    assert_true(top_norm == 0.0);
    assert_true(low_norm > 0.0);
    char text[2048];
    topo_describe(&s, 6, text, sizeof text);
    /* t0's head is drawn right after trunk.0, before trunk.1 */
    char *a = strstr(text, "+--> t0"), *t1 = strstr(text, "trunk.1");
    assert_non_null(a);
    assert_non_null(t1);
    assert_true(a < t1);
    graph_free(g);
}

static void test_mtl_hard_validation_messages(void **state)
{
    (void)state;
    mt_topo_spec s;
    spec_two_layers(&s, 2);
    s.task[1].attach = 3;
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "tasks[2].attach: expected a trunk layer 1..2 (0 = last), got 3");
    spec_two_layers(&s, 2);
    snprintf(s.type, sizeof s.type, "hardd");
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology: unknown sharing \"hardd\" (available: hard"));
    spec_two_layers(&s, 2);
    s.dropout = 1.0f;
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "topology.dropout: expected a value in [0, 1), got 1");
}

static void test_mtl_registry_params(void **state)
{
    (void)state;
    /* every class can be found by its name, and names are unique */
    for (int i = 0; i < topo_class_count(); i++) {
        const mt_topo_class *c = topo_class_at(i);
        assert_ptr_equal(topo_find(c->name), c);
        assert_true(c->build != NULL || c->model != NULL); /* a network, or a model (model.h) */
        assert_non_null(c->summary);
    }
    for (int i = 0; i < reg_class_count(); i++) assert_ptr_equal(reg_find(reg_class_at(i)->name), reg_class_at(i));
    assert_null(topo_find("nope"));
    static const mt_tparam_def defs[] = {
        {"alpha", MT_TP_NUMBER, 0.5, 0, 1, NULL, "a"},
        {"norm", MT_TP_CHOICE, 1, 0, 2, "a|bb|c", "n"},
        {"sizes", MT_TP_INTS, 0, 1, 100, NULL, "s"},
        {"on", MT_TP_BOOL, 0, 0, 1, NULL, "b"},
        {NULL, 0, 0, 0, 0, NULL, NULL},
    };
    mt_tparams p;
    memset(&p, 0, sizeof p);
    assert_true(tparam_num(&p, defs, "alpha") == 0.5);
    assert_int_equal(tparam_set_num(&p, "alpha", MT_TP_NUMBER, 0.25), MT_OK);
    assert_true(tparam_num(&p, defs, "alpha") == 0.25);
    double l[3] = {3, 4, 5}, got[8];
    assert_int_equal(tparam_set_list(&p, "sizes", MT_TP_INTS, l, 3), MT_OK);
    assert_int_equal(tparam_list(&p, "sizes", got, 8), 3);
    assert_true(got[2] == 5);
    char buf[256];
    tparam_format(&p, defs, buf, sizeof buf);
    assert_string_equal(buf, "alpha=0.25, norm=bb, sizes={3,4,5}, on=false");
    assert_null(tparam_check(&defs[0], 1.0));
    assert_string_equal(tparam_check(&defs[0], 1.5), "expected a number in [0, 1], got 1.5");
    assert_string_equal(tparam_check(&defs[2], 2.5), "expected an integer in 1..100, got 2.5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_hard_one_task_equals_plain_network),
        cmocka_unit_test(test_mtl_hard_attach_depths),
        cmocka_unit_test(test_mtl_hard_validation_messages),
        cmocka_unit_test(test_mtl_registry_params),
    };
    return cmocka_run_group_tests_name("mtl hard sharing", tests, NULL, NULL);
}
