/* test_mtl_landscape.c - the "landscape" topology: a point x whose two
 * task outputs are analytic objectives. Values are checked against the
 * formulas written out again here, gradients against central differences
 * of those formulas (and the engine's checker), the start point, offset,
 * published matrices, description and validation messages; and plain
 * gradient descent on the equal-weighted sum of Lin et al.'s concave
 * problem ends at the interior minimiser found here by bisection, not in
 * the middle of the front. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/status.h"
#include "engine/gradcheck.h"
#include "engine/graph.h"
#include "mtl/topology.h"

/* ---- the objectives, written out again from their definitions ---------- */

static double clamped_log(double v) { return log(fmax(fabs(v), 5e-6)); }

/* CAGrad's toy (Liu et al. 2021) as its public script writes it. */
static void toy_ref(double x1, double x2, double *f)
{
    double c1 = fmax(tanh(0.5 * x2), 0.0), c2 = fmax(-tanh(0.5 * x2), 0.0);
    double f1l = clamped_log(0.5 * (-x1 - 7.0) + tanh(x2)) + 6.0;
    double f2l = clamped_log(0.5 * (-x1 + 3.0) - tanh(x2) + 2.0) + 6.0;
    double f1s = ((x1 - 7.0) * (x1 - 7.0) + 0.1 * (x2 + 8.0) * (x2 + 8.0)) / 10.0 - 20.0;
    double f2s = ((x1 + 7.0) * (x1 + 7.0) + 0.1 * (x2 + 8.0) * (x2 + 8.0)) / 10.0 - 20.0;
    f[0] = c1 * f1l + c2 * f1s;
    f[1] = c1 * f2l + c2 * f2s;
}

/* Lin et al. 2019: f1 = 1 - exp(-|x - 1/sqrt(d)|^2), f2 with +. */
static void lin_ref(const double *x, int d, double *f)
{
    double s = 1.0 / sqrt((double)d), a = 0, b = 0;
    for (int j = 0; j < d; j++) {
        a += (x[j] - s) * (x[j] - s);
        b += (x[j] + s) * (x[j] + s);
    }
    f[0] = 1.0 - exp(-a);
    f[1] = 1.0 - exp(-b);
}

/* ---- a network around the topology -------------------------------------- */

typedef struct {
    mt_topo_spec s;
    mt_graph *g;
    mt_topo_built b;
    mt_node loss[2];
} net;

static void spec_landscape(mt_topo_spec *s, const char *problem, int ntasks)
{
    topo_spec_default(s);
    snprintf(s->type, sizeof s->type, "landscape");
    s->ntasks = ntasks;
    for (int t = 0; t < ntasks; t++) {
        snprintf(s->task[t].name, sizeof s->task[t].name, "f%d", t + 1);
        s->task[t].out_dim = 1;
        s->task[t].nhead = -1;
    }
    if (problem) tparam_set_num(&s->params, "problem", MT_TP_CHOICE, strcmp(problem, "lin2019") == 0);
    topo_resolve(s);
}

/* Builds, compiles (batch 3: outputs must be the same on every row),
 * initialises like the trainer does: parameters, then the class's hook. */
static void net_build(net *n)
{
    assert_int_equal(topo_validate(&n->s), MT_OK);
    n->g = graph_new();
    mt_node x = graph_input(n->g, "x", 1);
    assert_int_equal(topo_build(n->g, &n->s, x, 0, 0, 0, &n->b), MT_OK);
    for (int k = 0; k < 2; k++) n->loss[k] = graph_mean(n->g, n->b.out[k]);
    assert_int_equal(graph_compile(n->g, 3), MT_OK);
    graph_init_params(n->g, 1);
    const mt_topo_class *c = topo_find("landscape");
    assert_non_null(c);
    assert_non_null(c->hooks.init_params);
    c->hooks.init_params(n->b.state, n->g, graph_params(n->g));
    topo_count_params(n->g, &n->s, &n->b);
}

static void net_free(net *n)
{
    topo_built_free(&n->s, &n->b);
    graph_free(n->g);
}

static float *net_x(net *n) { return graph_value(n->g, graph_find(n->g, "landscape.x")); }

/* grad f_k at the current x from the graph, into g (d). */
static void net_grad(net *n, int k, double *g)
{
    mt_params *p = graph_params(n->g);
    graph_forward(n->g, MT_TRAIN);
    params_zero_grad(p);
    assert_int_equal(graph_backward(n->g, &n->loss[k], NULL, 1, NULL), MT_OK);
    const float *gx = graph_grad(n->g, graph_find(n->g, "landscape.x"));
    int d = graph_cols(n->g, graph_find(n->g, "landscape.x"));
    for (int j = 0; j < d; j++) g[j] = gx[j];
}

/* ---- tests ---------------------------------------------------------------- */

/* The structure: one shared (1, 2) parameter, group 0, the last shared
 * weight; no shared representation; the default start is the first of
 * the papers' start points; every output row holds the objective. */
static void test_mtl_landscape_structure_and_values(void **state)
{
    (void)state;
    net n;
    spec_landscape(&n.s, NULL, 2);
    net_build(&n);
    mt_params *p = graph_params(n.g);
    assert_int_equal(p->count, 1);
    assert_string_equal(p->info[0].name, "landscape.x");
    assert_int_equal(p->info[0].group, 0);
    assert_int_equal((int)p->info[0].size, 2);
    assert_int_equal(n.b.shared, MT_NONE);
    assert_int_equal(n.b.shared_weight, 0); /* a param index after topo_count_params */
    assert_int_equal((int)n.b.n_shared, 2);
    assert_int_equal((int)n.b.n_task[0], 0);
    assert_string_equal(graph_node_kind(n.g, n.b.out[1]), "landscape.f2");
    float *x = net_x(&n);
    assert_float_equal(x[0], -8.5, 0);
    assert_float_equal(x[1], 7.5, 0);
    const double pts[4][2] = {{-8.5, 7.5}, {9.0, -1.0}, {-2.0, 3.0}, {3.0, -4.0}};
    for (int i = 0; i < 4; i++) {
        x[0] = (float)pts[i][0];
        x[1] = (float)pts[i][1];
        double f[2];
        toy_ref(x[0], x[1], f);
        graph_forward(n.g, MT_EVAL);
        for (int k = 0; k < 2; k++) {
            const float *o = graph_value(n.g, n.b.out[k]);
            for (int b = 0; b < 3; b++) assert_float_equal(o[b], f[k], 1e-4 * (1 + fabs(f[k])));
            assert_float_equal(graph_value(n.g, n.loss[k])[0], f[k], 1e-4 * (1 + fabs(f[k])));
        }
    }
    net_free(&n);
}

/* Each task's gradient is the exact gradient of its objective: central
 * differences of the formulas above, at points on both sides of x2 = 0. */
static void test_mtl_landscape_cagrad_gradients_match_differences(void **state)
{
    (void)state;
    net n;
    spec_landscape(&n.s, "cagrad_toy", 2);
    net_build(&n);
    float *x = net_x(&n);
    const double pts[5][2] = {{-8.5, 7.5}, {-8.5, -5.0}, {9.0, 9.0}, {-7.5, -0.5}, {2.0, 0.7}};
    for (int i = 0; i < 5; i++) {
        x[0] = (float)pts[i][0];
        x[1] = (float)pts[i][1];
        double x1 = x[0], x2 = x[1], h = 1e-6;
        for (int k = 0; k < 2; k++) {
            double g[2], fp[2], fm[2], num[2];
            net_grad(&n, k, g);
            toy_ref(x1 + h, x2, fp);
            toy_ref(x1 - h, x2, fm);
            num[0] = (fp[k] - fm[k]) / (2 * h);
            toy_ref(x1, x2 + h, fp);
            toy_ref(x1, x2 - h, fm);
            num[1] = (fp[k] - fm[k]) / (2 * h);
            for (int j = 0; j < 2; j++) assert_float_equal(g[j], num[j], 1e-4 * (1 + fabs(num[j])));
        }
    }
    net_free(&n);
}

/* Lin et al. in 3-D from a broadcast start, with an offset: the losses
 * move by the offset, the gradients match the closed form
 * 2 (x_j -+ 1/sqrt(d)) exp(-|x -+ 1/sqrt(d)|^2), and the engine's
 * finite-difference checker agrees on the sum of both losses. */
static void test_mtl_landscape_lin2019_offset_and_gradients(void **state)
{
    (void)state;
    net n;
    spec_landscape(&n.s, "lin2019", 2);
    tparam_set_num(&n.s.params, "dim", MT_TP_INT, 3);
    double st = 0.3;
    tparam_set_list(&n.s.params, "start", MT_TP_NUMBERS, &st, 1);
    tparam_set_num(&n.s.params, "offset", MT_TP_NUMBER, 5.0);
    net_build(&n);
    float *x = net_x(&n);
    for (int j = 0; j < 3; j++) assert_float_equal(x[j], 0.3, 1e-7);
    x[1] = -0.2f;
    x[2] = 0.45f;
    double xd[3] = {x[0], x[1], x[2]}, f[2], s = 1.0 / sqrt(3.0);
    lin_ref(xd, 3, f);
    graph_forward(n.g, MT_EVAL);
    assert_float_equal(graph_value(n.g, n.loss[0])[0], f[0] + 5.0, 1e-5);
    assert_float_equal(graph_value(n.g, n.loss[1])[0], f[1] + 5.0, 1e-5);
    for (int k = 0; k < 2; k++) {
        double g[3], sign = k == 0 ? -1.0 : 1.0, e = 1.0 - f[k];
        net_grad(&n, k, g);
        for (int j = 0; j < 3; j++) assert_float_equal(g[j], 2.0 * (xd[j] + sign * s) * e, 1e-5);
    }
    net_free(&n);

    /* the checker on a network whose loss is the sum of both objectives */
    mt_topo_spec sp;
    spec_landscape(&sp, "lin2019", 2);
    tparam_set_num(&sp.params, "dim", MT_TP_INT, 3);
    mt_graph *g = graph_new();
    mt_topo_built b;
    assert_int_equal(topo_build(g, &sp, graph_input(g, "x", 1), 0, 0, 0, &b), MT_OK);
    mt_node L = graph_add(g, graph_mean(g, b.out[0]), graph_mean(g, b.out[1]));
    assert_int_equal(graph_compile(g, 2), MT_OK);
    topo_find("landscape")->hooks.init_params(b.state, g, graph_params(g));
    gradcheck_report rep;
    assert_int_equal(gradcheck_run(g, L, 1e-3, 1e-2, &rep), MT_OK);
    assert_int_equal(rep.n_checked, 3);
    topo_built_free(&sp, &b);
    graph_free(g);
}

/* What the evaluation publishes: the plane's picture (the first time),
 * the point and the raw objectives. */
#define PIC_N ((MT_LANDSCAPE_GRID + 3) * MT_LANDSCAPE_GRID)
typedef struct {
    int n;
    char name[4][32];
    int rows[4], cols[4];
    double v[4][PIC_N];
} published;

static void collect(void *ud, const char *name, int rows, int cols, const double *v,
                    const char *const *rl, const char *const *cl, double lo, double hi)
{
    (void)rl, (void)cl, (void)lo, (void)hi;
    published *p = ud;
    if (p->n >= 4) return;
    snprintf(p->name[p->n], sizeof p->name[p->n], "%s", name);
    p->rows[p->n] = rows;
    p->cols[p->n] = cols;
    for (int i = 0; i < rows * cols && i < PIC_N; i++) p->v[p->n][i] = v[i];
    p->n++;
}

static void test_mtl_landscape_publishes_position_and_objectives(void **state)
{
    (void)state;
    net n;
    spec_landscape(&n.s, NULL, 2);
    tparam_set_num(&n.s.params, "offset", MT_TP_NUMBER, 25.0);
    double st[2] = {9.0, -1.0};
    tparam_set_list(&n.s.params, "start", MT_TP_NUMBERS, st, 2);
    net_build(&n);
    static published p;
    memset(&p, 0, sizeof p);
    topo_find("landscape")->hooks.publish(n.b.state, n.g, collect, &p);
    assert_int_equal(p.n, 3);
    /* the picture of the plane first (the matrix pane opens on it) */
    enum { G = MT_LANDSCAPE_GRID };
    assert_string_equal(p.name[0], MT_LANDSCAPE_MATRIX);
    assert_int_equal(p.rows[0], G + 3);
    assert_int_equal(p.cols[0], G);
    const double head[6] = {-10, 10, -10, 10, 9.0, -1.0};
    for (int j = 0; j < 6; j++) assert_float_equal(p.v[0][j], head[j], 0);
    assert_true(isnan(p.v[0][6]));
    double f[2];
    for (int r = 0; r < G; r += 7)
        for (int c = 0; c < G; c += 5) {
            toy_ref(-10 + 20.0 * c / (G - 1), 10 - 20.0 * r / (G - 1), f);
            assert_float_equal(p.v[0][(1 + r) * G + c], f[0] + f[1], 1e-9 * (1 + fabs(f[0] + f[1])));
        }
    for (int c = 0; c < G; c++) { /* the Pareto set along the valley floor */
        assert_float_equal(p.v[0][(G + 1) * G + c], -7 + 14.0 * c / (G - 1), 1e-12);
        assert_true(fabs(p.v[0][(G + 2) * G + c] + 8.4) < 0.2);
    }
    assert_string_equal(p.name[1], MT_LANDSCAPE_POSITION);
    assert_int_equal(p.rows[1], 1);
    assert_int_equal(p.cols[1], 2);
    assert_float_equal(p.v[1][0], 9.0, 0);
    assert_float_equal(p.v[1][1], -1.0, 0);
    assert_string_equal(p.name[2], "objectives");
    toy_ref(9.0, -1.0, f);
    assert_float_equal(p.v[2][0], f[0], 1e-9); /* without the offset */
    assert_float_equal(p.v[2][1], f[1], 1e-9);
    /* once: later evaluations publish the point and the objectives only */
    memset(&p, 0, sizeof p);
    topo_find("landscape")->hooks.publish(n.b.state, n.g, collect, &p);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.name[0], MT_LANDSCAPE_POSITION);
    net_free(&n);
}

static void test_mtl_landscape_describe(void **state)
{
    (void)state;
    mt_topo_spec s;
    spec_landscape(&s, NULL, 2);
    snprintf(s.task[0].name, sizeof s.task[0].name, "left");
    tparam_set_num(&s.params, "offset", MT_TP_NUMBER, 25.0);
    char buf[512];
    size_t w = topo_describe(&s, 1, buf, sizeof buf);
    assert_int_equal(w, strlen(buf));
    assert_non_null(strstr(buf, "landscape cagrad_toy, d = 2"));
    assert_non_null(strstr(buf, "x [shared, 1x2] starts at (-8.5, 7.5)"));
    assert_non_null(strstr(buf, "+--> left = f1(x) +25"));
    assert_non_null(strstr(buf, "+--> f2 = f2(x) +25"));
    for (char *line = buf; *line;) { /* every line fits the topology pane */
        size_t len = strcspn(line, "\n");
        assert_true(len <= 70);
        line += len + (line[len] == '\n');
    }
    spec_landscape(&s, "lin2019", 2);
    tparam_set_num(&s.params, "dim", MT_TP_INT, 10);
    topo_describe(&s, 1, buf, sizeof buf);
    assert_non_null(strstr(buf, "starts at (0.8, -0.8, 0.8, -0.8, ...)"));
}

static void test_mtl_landscape_validation_messages(void **state)
{
    (void)state;
    mt_topo_spec s;
    spec_landscape(&s, NULL, 3);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "tasks: the landscape topology needs exactly 2 tasks (one per objective), got 3");
    spec_landscape(&s, NULL, 2);
    s.task[1].out_dim = 4;
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "tasks[2] (f2): a landscape objective is one number, but the task has 4 outputs");
    spec_landscape(&s, "cagrad_toy", 2);
    tparam_set_num(&s.params, "dim", MT_TP_INT, 3);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "topology.dim: cagrad_toy is 2-dimensional, got 3");
    spec_landscape(&s, "lin2019", 2);
    tparam_set_num(&s.params, "dim", MT_TP_INT, 4);
    double st[3] = {1, 2, 3};
    tparam_set_list(&s.params, "start", MT_TP_NUMBERS, st, 3);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "topology.start: 3 numbers for a 4-dimensional lin2019 (give 4, or 1 for every coordinate)");
    spec_landscape(&s, NULL, 2);
    tparam_set_num(&s.params, "alpha", MT_TP_NUMBER, 1);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "topology.alpha: landscape takes no such parameter");
    /* build validates too (a spec that skipped topo_validate) */
    spec_landscape(&s, NULL, 1);
    mt_graph *g = graph_new();
    mt_topo_built b;
    assert_int_equal(topo_build(g, &s, graph_input(g, "x", 1), 0, 0, 0, &b), MT_ERR_ARG);
    assert_null(b.state);
    graph_free(g);
}

/* Gradient descent on f1 + f2 of Lin et al.'s problem (a concave front)
 * from a point near the middle of the Pareto set: linear scalarisation
 * leaves the middle (a maximum of f1 + f2 along the diagonal) for an
 * interior minimiser near one end. On the diagonal x = t (1,..,1)/sqrt(d)
 * the sum's derivative is proportional to
 *     (t - 1) exp(-(t - 1)^2) + (t + 1) exp(-(t + 1)^2),
 * whose root in (0, 1) is found here by bisection. */
static double lin_sum_root(void)
{
    double lo = 0.05, hi = 1.0;
    for (int i = 0; i < 200; i++) {
        double t = 0.5 * (lo + hi);
        double v = (t - 1) * exp(-(t - 1) * (t - 1)) + (t + 1) * exp(-(t + 1) * (t + 1));
        if (v < 0) lo = t;
        else hi = t;
    }
    return 0.5 * (lo + hi);
}

static void test_mtl_landscape_equal_sum_leaves_middle_of_concave_front(void **state)
{
    (void)state;
    net n;
    spec_landscape(&n.s, "lin2019", 2);
    double st[2] = {0.05, 0.02}; /* just off the middle, off the diagonal */
    tparam_set_list(&n.s.params, "start", MT_TP_NUMBERS, st, 2);
    net_build(&n);
    mt_params *p = graph_params(n.g);
    float *x = net_x(&n);
    mt_node L[2] = {n.loss[0], n.loss[1]};
    for (int it = 0; it < 3000; it++) {
        graph_forward(n.g, MT_TRAIN);
        params_zero_grad(p);
        assert_int_equal(graph_backward(n.g, L, NULL, 2, NULL), MT_OK);
        for (int j = 0; j < 2; j++) x[j] -= 0.1f * p->grad[j];
    }
    double t = lin_sum_root(), s = 1.0 / sqrt(2.0);
    assert_true(t > 0.5 && t < 1.0);
    /* on the diagonal, at +t (the start leaned that way) */
    assert_float_equal(x[0], t * s, 1e-3);
    assert_float_equal(x[1], t * s, 1e-3);
    double xd[2] = {x[0], x[1]}, f[2];
    lin_ref(xd, 2, f);
    assert_true(f[0] < 0.1 && f[1] > 0.9); /* one objective nearly solved, the other not */
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_landscape_structure_and_values),
        cmocka_unit_test(test_mtl_landscape_cagrad_gradients_match_differences),
        cmocka_unit_test(test_mtl_landscape_lin2019_offset_and_gradients),
        cmocka_unit_test(test_mtl_landscape_publishes_position_and_objectives),
        cmocka_unit_test(test_mtl_landscape_describe),
        cmocka_unit_test(test_mtl_landscape_validation_messages),
        cmocka_unit_test(test_mtl_landscape_equal_sum_leaves_middle_of_concave_front),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
