/* test_mtl_regs.c - the multi-task regularisers (survey section 5):
 * binding by layer pattern, the proximal operators against closed forms
 * and brute-force minimisers, every penalty's gradient against finite
 * differences of its value (alone and added to a network's loss), the
 * clustered-MTL and MTRL closed-form steps against hand computations, and
 * a short training loop in which l1/l2 finds the true support. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "engine/gradcheck.h"
#include "engine/graph.h"
#include "engine/optim.h"
#include "mtl/reg_block.h"
#include "mtl/reg_relate.h"
#include "mtl/reg_taskw.h"
#include "mtl/topology.h"

/* |a - b| <= tol, printing both on failure */
#define NEAR(a, b, tol) near_((double)(a), (double)(b), (double)(tol), __FILE__, __LINE__)
static void near_(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%s:%d: %.17g vs %.17g (tol %g)\n", file, line, a, b, tol);
        _fail(file, line);
    }
}

/* ---- a tiny network: x (B, F) -> [hidden head] -> out per task, MSE ---- */

typedef struct {
    mt_graph *g;
    mt_topo_spec s;
    mt_topo_built b;
    mt_node x, y[MT_MAX_TASKS], loss; /* loss = sum of the task losses */
    int T, F, B;
} net;

static const char *const TASK_NAMES[] = {"a", "b", "c", "d", "e", "f"};

/* hidden = 0: each task a linear model "head.<t>.out" on x. */
static void net_build_type(net *n, const char *type, int ntrunk, int T, int F, int hidden, const int *out_dims,
                           uint64_t seed, int batch)
{
    memset(n, 0, sizeof *n);
    n->T = T;
    n->F = F;
    n->B = batch;
    topo_spec_default(&n->s);
    snprintf(n->s.type, sizeof n->s.type, "%s", type);
    n->s.ntrunk = ntrunk;
    n->s.trunk[0] = 4;
    n->s.nhead = hidden > 0;
    n->s.head[0] = hidden;
    n->s.act = MT_ACT_TANH;
    n->s.ntasks = T;
    for (int t = 0; t < T; t++) {
        snprintf(n->s.task[t].name, sizeof n->s.task[t].name, "%s", TASK_NAMES[t]);
        n->s.task[t].out_dim = out_dims ? out_dims[t] : 1;
        n->s.task[t].nhead = -1;
    }
    topo_resolve(&n->s);
    assert_int_equal(topo_validate(&n->s), MT_OK);
    n->g = graph_new();
    n->x = graph_input(n->g, "x", F);
    char nm[32];
    for (int t = 0; t < T; t++) {
        snprintf(nm, sizeof nm, "y.%s", TASK_NAMES[t]);
        n->y[t] = graph_input(n->g, nm, n->s.task[t].out_dim);
    }
    assert_int_equal(topo_build(n->g, &n->s, n->x, 0, 0, 0, &n->b), MT_OK);
    n->loss = MT_NONE;
    for (int t = 0; t < T; t++) {
        mt_node l = graph_loss_mse(n->g, n->b.out[t], n->y[t], MT_NONE);
        n->loss = t == 0 ? l : graph_add(n->g, n->loss, l);
    }
    assert_int_equal(graph_compile(n->g, batch), MT_OK);
    graph_init_params(n->g, seed);
    assert_int_equal(graph_set_batch(n->g, n->B), MT_OK);
    mt_rng r;
    mt_rng_init(&r, seed, 99);
    float *xv = graph_value(n->g, n->x);
    for (int i = 0; i < n->B * F; i++) xv[i] = (float)mt_rng_normal(&r);
    for (int t = 0; t < T; t++) {
        float *yv = graph_value(n->g, n->y[t]);
        for (int i = 0; i < n->B * n->s.task[t].out_dim; i++) yv[i] = (float)(0.5 * mt_rng_normal(&r));
    }
}

static void net_build_b(net *n, int T, int F, int hidden, const int *out_dims, uint64_t seed, int batch)
{
    net_build_type(n, "hard", 0, T, F, hidden, out_dims, seed, batch);
}

static void net_build(net *n, int T, int F, int hidden, const int *out_dims, uint64_t seed)
{
    net_build_b(n, T, F, hidden, out_dims, seed, 6);
}

static void net_free(net *n)
{
    topo_built_free(&n->s, &n->b);
    graph_free(n->g);
}

static float *net_weight(net *n, const char *name)
{
    mt_params *p = graph_params(n->g);
    int i = params_find(p, name);
    assert_true(i >= 0);
    return p->data + p->info[i].offset;
}

static void fill_normal(float *v, size_t n, double sd, uint64_t seed)
{
    mt_rng r;
    mt_rng_init(&r, seed, 7);
    for (size_t i = 0; i < n; i++) v[i] = (float)(sd * mt_rng_normal(&r));
}

/* ---- a regulariser attached like the trainer does ---------------------- */

typedef struct {
    const mt_reg_class *cls;
    mt_reg_spec spec;
    void *state;
} reg;

static void reg_init(reg *r, const char *name)
{
    memset(r, 0, sizeof *r);
    r->cls = reg_find(name);
    assert_non_null(r->cls);
    snprintf(r->spec.type, sizeof r->spec.type, "%s", name);
    r->spec.cls = r->cls;
}

static void reg_num(reg *r, const char *key, double v)
{
    const mt_tparam_def *d = tparam_def(r->cls->params, key);
    assert_non_null(d);
    assert_null(tparam_check(d, v));
    assert_int_equal(tparam_set_num(&r->spec.params, key, d->type, v), MT_OK);
}

static mt_status reg_attach(reg *r, net *n) { return r->cls->attach(&r->spec, &n->s, n->g, &r->state); }

static void reg_done(reg *r)
{
    if (r->state && r->cls->hooks.free) r->cls->hooks.free(r->state);
    r->state = NULL;
}

/* ---- published matrices ------------------------------------------------- */

typedef struct {
    int n;
    char name[8][32];
    int rows[8], cols[8];
    double v[8][MT_MAX_TASKS * 32];
} pubs;

static void pub_cb(void *ud, const char *name, int rows, int cols, const double *v, const char *const *rl,
                   const char *const *cl, double lo, double hi)
{
    (void)rl;
    (void)cl;
    (void)lo;
    (void)hi;
    pubs *p = ud;
    assert_true(p->n < 8);
    assert_true(rows * cols <= MT_MAX_TASKS * 32);
    snprintf(p->name[p->n], sizeof p->name[0], "%s", name);
    p->rows[p->n] = rows;
    p->cols[p->n] = cols;
    memcpy(p->v[p->n], v, (size_t)rows * (size_t)cols * sizeof *v);
    p->n++;
}

static const double *pub_get(const pubs *p, const char *name, int rows, int cols)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0) {
            assert_int_equal(p->rows[i], rows);
            assert_int_equal(p->cols[i], cols);
            return p->v[i];
        }
    fail_msg("matrix \"%s\" was not published", name);
    return NULL;
}

/* ---- gradient checks ------------------------------------------------------ */

/* The penalty hook's gradient against central differences of its value,
 * over every entry of the arena (entries the penalty does not read must
 * get no gradient). The penalty is computed in double from float data, so
 * the differences are accurate to ~1e-6. */
static void check_penalty_gradient(reg *r, net *n)
{
    mt_params *p = graph_params(n->g);
    float *ga = calloc(p->total, sizeof *ga), *scratch = calloc(p->total, sizeof *scratch);
    mt_params q = *p;
    q.grad = ga;
    double v0;
    assert_int_equal(r->cls->hooks.penalty(r->state, n->g, &q, &v0), MT_OK);
    assert_true(v0 > 0);
    q.grad = scratch;
    int nonzero = 0;
    for (size_t i = 0; i < p->total; i++) {
        float x0 = p->data[i];
        double vp, vm;
        p->data[i] = x0 + 1e-2f;
        float xp = p->data[i];
        assert_int_equal(r->cls->hooks.penalty(r->state, n->g, &q, &vp), MT_OK);
        p->data[i] = x0 - 1e-2f;
        float xm = p->data[i];
        assert_int_equal(r->cls->hooks.penalty(r->state, n->g, &q, &vm), MT_OK);
        p->data[i] = x0;
        double num = (vp - vm) / ((double)xp - (double)xm);
        NEAR(ga[i], num, 1e-4 * (1 + fabs(num)));
        nonzero += ga[i] != 0;
    }
    assert_true(nonzero > 0);
    free(ga);
    free(scratch);
}

/* The trainer's order: backward of the summed loss into the arena's
 * gradient, then the penalty hook adds its part. The sum must be the
 * derivative of loss + penalty (finite differences of the forward pass
 * plus the penalty's value, float32: loose tolerance). Also runs the
 * engine's checker on the network itself. */
static void check_total_gradient(reg *r, net *n)
{
    gradcheck_report rep;
    mt_status gst = gradcheck_run(n->g, n->loss, 3e-3, 2e-2, &rep);
    if (gst) fail_msg("%s", mt_last_error());
    assert_true(rep.n_checked > 0);
    mt_params *p = graph_params(n->g);
    graph_forward(n->g, MT_TRAIN);
    params_zero_grad(p);
    assert_int_equal(graph_backward(n->g, &n->loss, NULL, 1, NULL), MT_OK);
    double pen;
    assert_int_equal(r->cls->hooks.penalty(r->state, n->g, p, &pen), MT_OK);
    float *ga = malloc(p->total * sizeof *ga), *scratch = calloc(p->total, sizeof *scratch);
    memcpy(ga, p->grad, p->total * sizeof *ga);
    mt_params q = *p;
    q.grad = scratch;
    for (size_t i = 0; i < p->total; i++) {
        float x0 = p->data[i];
        double f[2], xs[2];
        for (int k = 0; k < 2; k++) {
            p->data[i] = x0 + (k ? -3e-3f : 3e-3f);
            xs[k] = p->data[i];
            graph_forward(n->g, MT_TRAIN);
            double v;
            assert_int_equal(r->cls->hooks.penalty(r->state, n->g, &q, &v), MT_OK);
            f[k] = graph_value(n->g, n->loss)[0] + v;
        }
        p->data[i] = x0;
        double num = (f[0] - f[1]) / (xs[0] - xs[1]);
        double den = fmax(fmax(fabs(num), fabs((double)ga[i])), 1e-2);
        if (!(fabs(num - ga[i]) / den <= 2e-2))
            fail_msg("entry %zu (%s...): analytic %g, numeric %g, loss %g", i, p->info[0].name, (double)ga[i], num,
                     graph_value(n->g, n->loss)[0]);
    }
    graph_forward(n->g, MT_TRAIN);
    free(ga);
    free(scratch);
}

/* ---- binding ---------------------------------------------------------------- */

static void test_mtl_regs_registry_and_binding(void **state)
{
    (void)state;
    assert_int_equal(reg_class_count(), 4);
    const char *names[] = {"block_sparse", "mean_reg", "cluster", "task_cov"};
    for (int i = 0; i < 4; i++) {
        const mt_reg_class *c = reg_find(names[i]);
        assert_non_null(c);
        assert_non_null(c->attach);
        assert_non_null(c->hooks.free);
        assert_non_null(c->hooks.publish);
        assert_non_null(tparam_def(c->params, "layer"));
    }
    net n;
    int outs[3] = {1, 2, 1};
    net_build(&n, 3, 4, 0, outs, 1);
    reg_taskw w;
    /* default: the first head layer, here the linear output */
    assert_int_equal(reg_taskw_bind(&w, "", &n.s, n.g, 0), MT_OK);
    assert_int_equal(w.T, 3);
    assert_int_equal(w.F, 4);
    assert_string_equal(w.name[1], "head.b.out.weight");
    assert_int_equal(w.rows[1], 2);
    assert_int_equal(w.equal, 0);
    assert_int_equal(w.size, (size_t)(1 + 2 + 1) * 4);
    mt_params *p = graph_params(n.g);
    assert_int_equal(w.off[2], p->info[params_find(p, "head.c.out.weight")].offset);
    /* an explicit pattern, with and without the ".weight" */
    assert_int_equal(reg_taskw_bind(&w, "head.*.out", &n.s, n.g, 0), MT_OK);
    assert_string_equal(w.name[0], "head.a.out.weight");
    /* errors name the field, the pattern and the parameter */
    mt_clear_error();
    assert_int_equal(reg_taskw_bind(&w, "head.*.out.bias", &n.s, n.g, 0), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "layer: \"head.b.out.bias\" reads 2 features but \"head.a.out.bias\" "
                                         "reads 1; the tasks' weights must share their input");
    assert_int_equal(reg_taskw_bind(&w, "head.a.out", &n.s, n.g, 0), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "layer: pattern \"head.a.out\" must hold exactly one '*'"));
    assert_int_equal(reg_taskw_bind(&w, "*.*", &n.s, n.g, 0), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "exactly one '*'"));
    assert_int_equal(reg_taskw_bind(&w, "head.*.7", &n.s, n.g, 0), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "layer: no parameter \"head.a.7.weight\" for task 'a' (pattern \"head.*.7\")");
    assert_int_equal(reg_taskw_bind(&w, "", &n.s, n.g, 1), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "\"head.b.out.weight\" is (2, 4) but \"head.a.out.weight\" is (1, 4)"));
    assert_non_null(strstr(mt_last_error(), "must have the same shape"));
    /* the relationship regularisers refuse unequal shapes at attach */
    reg r;
    reg_init(&r, "mean_reg");
    assert_int_equal(reg_attach(&r, &n), MT_ERR_ARG);
    assert_null(r.state);
    assert_non_null(strstr(mt_last_error(), "must have the same shape"));
    net_free(&n);

    /* with a hidden head layer, the default is "head.<t>.0" */
    net_build(&n, 2, 5, 3, NULL, 2);
    assert_int_equal(reg_taskw_bind(&w, NULL, &n.s, n.g, 1), MT_OK);
    assert_string_equal(w.name[0], "head.a.0.weight");
    assert_int_equal(w.rows[0], 3);
    assert_int_equal(w.F, 5);
    assert_int_equal(reg_taskw_dim(&w), 15);
    /* the output layers read 3 hidden units each */
    assert_int_equal(reg_taskw_bind(&w, "head.*.out", &n.s, n.g, 1), MT_OK);
    assert_int_equal(w.F, 3);
    net_free(&n);
}

/* ---- proximal operators ----------------------------------------------------- */

/* prox of tau ||.||_inf by brute force: for a fixed t = ||x||_inf the best
 * x clips v at t, so minimise the convex f(t) = 1/2 sum (|v_i| - t)_+^2 +
 * tau t over [0, max |v|]: bisection on its increasing derivative
 * f'(t) = tau - sum (|v_i| - t)_+. */
static void brute_prox_linf(const double *v, int n, double tau, double *x)
{
    double lo = 0, hi = 0;
    for (int i = 0; i < n; i++) hi = fmax(hi, fabs(v[i]));
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi), d = tau;
        for (int i = 0; i < n; i++) d -= fmax(fabs(v[i]) - mid, 0);
        if (d > 0) hi = mid;
        else lo = mid;
    }
    double t = 0.5 * (lo + hi);
    for (int i = 0; i < n; i++) x[i] = fabs(v[i]) > t ? copysign(t, v[i]) : v[i];
}

/* Projection on the l1 ball by bisection on theta: sum (|v_i| - theta)_+ = z. */
static void brute_project_l1(const double *v, int n, double z, double *x)
{
    double l1 = 0, lo = 0, hi = 0;
    for (int i = 0; i < n; i++) l1 += fabs(v[i]), hi = fmax(hi, fabs(v[i]));
    double theta = 0;
    if (l1 > z) {
        for (int it = 0; it < 200; it++) {
            double mid = 0.5 * (lo + hi), s = 0;
            for (int i = 0; i < n; i++) s += fmax(fabs(v[i]) - mid, 0);
            if (s > z) lo = mid;
            else hi = mid;
        }
        theta = 0.5 * (lo + hi);
    }
    for (int i = 0; i < n; i++) x[i] = copysign(fmax(fabs(v[i]) - theta, 0), v[i]);
}

static void test_mtl_regs_prox_linf_moreau(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 5, 1);
    double v[9], x[9], ref[9], proj[9], bp[9], work[9];
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + (int)mt_rng_below(&r, 9);
        for (int i = 0; i < n; i++) v[i] = mt_rng_normal(&r);
        double l1 = 0;
        for (int i = 0; i < n; i++) l1 += fabs(v[i]);
        /* thresholds below, around and above ||v||_1 */
        double tau = l1 * (0.05 + 1.2 * mt_rng_uniform(&r));
        memcpy(x, v, sizeof v);
        reg_prox_linf(x, n, tau, work);
        brute_prox_linf(v, n, tau, ref);
        for (int i = 0; i < n; i++) NEAR(x[i], ref[i], 1e-9);
        /* Moreau: prox_{tau ||.||_inf}(v) + P_{tau B1}(v) = v */
        memcpy(proj, v, sizeof v);
        double theta = reg_project_l1ball(proj, n, tau, work);
        brute_project_l1(v, n, tau, bp);
        double pl1 = 0;
        for (int i = 0; i < n; i++) {
            NEAR(proj[i], bp[i], 1e-9);
            NEAR(x[i] + proj[i], v[i], 1e-12);
            pl1 += fabs(proj[i]);
        }
        if (l1 > tau) {
            NEAR(pl1, tau, 1e-9); /* on the sphere */
            assert_true(theta > 0);
        } else {
            assert_true(theta == 0);
            for (int i = 0; i < n; i++) assert_true(x[i] == 0.0); /* exactly zero */
        }
    }
    /* tau = 0: identity; z = 0 projects to the origin */
    double u[3] = {1, -2, 0.5}, w3[3];
    memcpy(x, u, sizeof u);
    reg_prox_linf(x, 3, 0, w3);
    for (int i = 0; i < 3; i++) assert_true(x[i] == u[i]);
    memcpy(x, u, sizeof u);
    NEAR(reg_project_l1ball(x, 3, 0, w3), 2.0, 1e-15);
    for (int i = 0; i < 3; i++) assert_true(x[i] == 0.0);
    /* hand value: v = (3, 1, -1), tau = 2: P_{2 B1}(v) = (2, 0, 0), prox = (1, 1, -1) */
    double h[3] = {3, 1, -1};
    reg_prox_linf(h, 3, 2, w3);
    NEAR(h[0], 1, 1e-15);
    NEAR(h[1], 1, 1e-15);
    NEAR(h[2], -1, 1e-15);
    /* l2 and l1 operators */
    double a[2] = {3, 4};
    reg_prox_l2(a, 2, 1); /* norm 5 -> 4 */
    NEAR(a[0], 2.4, 1e-15);
    NEAR(a[1], 3.2, 1e-15);
    reg_prox_l2(a, 2, 4.0001);
    assert_true(a[0] == 0 && a[1] == 0);
    double b[3] = {0.5, -2, 1};
    reg_prox_l1(b, 3, 1);
    assert_true(b[0] == 0);
    NEAR(b[1], -1, 1e-15);
    assert_true(b[2] == 0);
}

/* The group soft-threshold through the regulariser on a hand-made
 * (features x tasks) matrix: row j is kept iff ||w_j|| > lr * lambda, then
 * scaled by 1 - lr * lambda / ||w_j||. Task b has two outputs, so its row
 * part has two entries. */
static void test_mtl_regs_block_l1l2_closed_form(void **state)
{
    (void)state;
    net n;
    int outs[3] = {1, 2, 1};
    net_build(&n, 3, 4, 0, outs, 3);
    float *wa = net_weight(&n, "head.a.out.weight"); /* (1, 4) */
    float *wb = net_weight(&n, "head.b.out.weight"); /* (2, 4) */
    float *wc = net_weight(&n, "head.c.out.weight"); /* (1, 4) */
    /* rows: (a, b0, b1, c) per feature */
    const float rows[4][4] = {
        {0.03f, -0.04f, 0.0f, 0.0f},  /* norm 0.05: zero */
        {0.3f, 0.0f, 0.0f, -0.4f},    /* norm 0.5: scaled by 0.8 */
        {0.06f, 0.02f, -0.05f, 0.0f}, /* norm ~0.0812: zero */
        {1.0f, 2.0f, -2.0f, 4.0f},    /* norm 5: scaled by 0.98 */
    };
    for (int j = 0; j < 4; j++) {
        wa[j] = rows[j][0];
        wb[j] = rows[j][1];
        wb[4 + j] = rows[j][2];
        wc[j] = rows[j][3];
    }
    float *bias = net_weight(&n, "head.a.out.bias");
    bias[0] = 0.01f; /* biases are not regularised */
    reg r;
    reg_init(&r, "block_sparse");
    reg_num(&r, "lambda", 0.2);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    assert_null(r.cls->hooks.penalty);
    double lr = 0.5, tau = lr * 0.2;
    unsigned long allocs = mt_alloc_count();
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, graph_params(n.g), lr, 1), MT_OK);
    assert_int_equal(mt_alloc_count(), allocs);
    for (int j = 0; j < 4; j++) {
        double nrm = 0;
        for (int k = 0; k < 4; k++) nrm += (double)rows[j][k] * rows[j][k];
        nrm = sqrt(nrm);
        double scale = nrm > tau ? 1 - tau / nrm : 0;
        const float got[4] = {wa[j], wb[j], wb[4 + j], wc[j]};
        for (int k = 0; k < 4; k++) {
            if (scale == 0) assert_true(got[k] == 0.0f); /* exactly */
            else NEAR(got[k], rows[j][k] * scale, 1e-6);
        }
    }
    NEAR(wa[1], 0.3 * 0.8, 1e-6);
    NEAR(wc[3], 4 * 0.98, 1e-6);
    assert_true(bias[0] == 0.01f);
    /* published: row norms per task and the features each task uses */
    pubs pb = {0};
    unsigned long allocs2 = mt_alloc_count();
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    assert_int_equal(mt_alloc_count(), allocs2);
    const double *use = pub_get(&pb, "feature use", 3, 4);
    for (int j = 0; j < 4; j++) {
        NEAR(use[0 * 4 + j], fabs(wa[j]), 1e-7);
        NEAR(use[1 * 4 + j], sqrt((double)wb[j] * wb[j] + (double)wb[4 + j] * wb[4 + j]), 1e-7);
        NEAR(use[2 * 4 + j], fabs(wc[j]), 1e-7);
    }
    const double *act = pub_get(&pb, "active features", 1, 3);
    NEAR(act[0], 2, 0); /* a: features 1 and 3 */
    NEAR(act[1], 1, 0); /* b: feature 3 only (its feature-1 entries are 0) */
    NEAR(act[2], 2, 0);
    reg_done(&r);
    net_free(&n);
}

/* l1/linf through the regulariser: a row with ||row||_1 <= lr * lambda
 * becomes exactly zero; another is clipped as the brute-force prox says. */
static void test_mtl_regs_block_l1linf_rows(void **state)
{
    (void)state;
    net n;
    net_build(&n, 3, 5, 0, NULL, 4);
    float *w[3] = {net_weight(&n, "head.a.out.weight"), net_weight(&n, "head.b.out.weight"),
                   net_weight(&n, "head.c.out.weight")};
    fill_normal(w[0], 5, 1, 1);
    fill_normal(w[1], 5, 1, 2);
    fill_normal(w[2], 5, 1, 3);
    w[0][2] = 0.1f, w[1][2] = -0.2f, w[2][2] = 0.05f; /* l1 0.35 <= tau = 0.4 */
    double before[5][3];
    for (int j = 0; j < 5; j++)
        for (int t = 0; t < 3; t++) before[j][t] = w[t][j];
    reg r;
    reg_init(&r, "block_sparse");
    reg_num(&r, "norm", 1); /* l1/linf */
    reg_num(&r, "lambda", 4);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, graph_params(n.g), 0.1, 1), MT_OK);
    for (int j = 0; j < 5; j++) {
        double ref[3];
        brute_prox_linf(before[j], 3, 0.4, ref);
        for (int t = 0; t < 3; t++) NEAR(w[t][j], ref[t], 1e-6);
    }
    for (int t = 0; t < 3; t++) assert_true(w[t][2] == 0.0f);
    /* lr = 0 (a warm-up step) changes nothing */
    float keep = w[0][0];
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, graph_params(n.g), 0.0, 2), MT_OK);
    assert_true(w[0][0] == keep);
    mt_clear_error();
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, graph_params(n.g), NAN, 3), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "block_sparse: learning rate"));
    reg_done(&r);
    net_free(&n);
}

/* The dirty model W = S + B: with both strengths 0 the network's W follows
 * the optimiser exactly; with strengths, S and B take half of W's move and
 * their own prox with step lr/2 (soft-threshold on S, row-wise l1/linf on
 * B), computed here independently. */
static void test_mtl_regs_dirty_model(void **state)
{
    (void)state;
    net n;
    net_build(&n, 2, 4, 0, NULL, 5);
    float *w[2] = {net_weight(&n, "head.a.out.weight"), net_weight(&n, "head.b.out.weight")};
    float w0[2][4], delta[2][4];
    for (int t = 0; t < 2; t++) {
        fill_normal(w[t], 4, 1, 10 + (uint64_t)t);
        fill_normal(delta[t], 4, 0.1, 20 + (uint64_t)t);
        memcpy(w0[t], w[t], sizeof w0[t]);
    }
    mt_params *p = graph_params(n.g);

    reg r;
    reg_init(&r, "block_sparse");
    reg_num(&r, "norm", 2);
    reg_num(&r, "lambda_s", 0);
    reg_num(&r, "lambda_b", 0);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    for (int t = 0; t < 2; t++)
        for (int j = 0; j < 4; j++) w[t][j] += delta[t][j]; /* "the optimiser" */
    float moved[2][4];
    memcpy(moved[0], w[0], sizeof moved[0]);
    memcpy(moved[1], w[1], sizeof moved[1]);
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, p, 0.1, 1), MT_OK);
    for (int t = 0; t < 2; t++)
        for (int j = 0; j < 4; j++) NEAR(w[t][j], moved[t][j], 1e-6);
    reg_done(&r);

    /* strengths on: S0 = B0 = W0/2 */
    for (int t = 0; t < 2; t++) memcpy(w[t], w0[t], sizeof w0[t]);
    reg_init(&r, "block_sparse");
    reg_num(&r, "norm", 2);
    reg_num(&r, "lambda_s", 3);
    reg_num(&r, "lambda_b", 5);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    for (int t = 0; t < 2; t++)
        for (int j = 0; j < 4; j++) w[t][j] += delta[t][j];
    double lr = 0.2, ts = 0.5 * lr * 3, tb = 0.5 * lr * 5;
    double S[2][4], Bm[4][2];
    for (int t = 0; t < 2; t++)
        for (int j = 0; j < 4; j++) {
            double half = 0.5 * delta[t][j], s = 0.5 * w0[t][j] + half;
            S[t][j] = copysign(fmax(fabs(s) - ts, 0), s);
            Bm[j][t] = 0.5 * w0[t][j] + half;
        }
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, p, lr, 1), MT_OK);
    for (int j = 0; j < 4; j++) {
        double bref[2];
        brute_prox_linf(Bm[j], 2, tb, bref);
        for (int t = 0; t < 2; t++) NEAR(w[t][j], S[t][j] + bref[t], 2e-6);
    }
    /* a huge lambda_s empties S; B keeps every feature (lambda_b 0) */
    reg_done(&r);
    for (int t = 0; t < 2; t++) memcpy(w[t], w0[t], sizeof w0[t]);
    reg_init(&r, "block_sparse");
    reg_num(&r, "norm", 2);
    reg_num(&r, "lambda_s", 1e4);
    reg_num(&r, "lambda_b", 0);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, p, 0.1, 1), MT_OK);
    pubs pb = {0};
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    const double *bs = pub_get(&pb, "dirty B/S features", 2, 2);
    NEAR(bs[0], 4, 0); /* B of task a: 4 features */
    NEAR(bs[1], 4, 0);
    NEAR(bs[2], 0, 0); /* S: none */
    NEAR(bs[3], 0, 0);
    reg_done(&r);
    net_free(&n);
}

/* ---- relationship penalties ------------------------------------------------ */

static void test_mtl_regs_mean_reg_value_and_gradient(void **state)
{
    (void)state;
    net n;
    net_build(&n, 3, 4, 2, NULL, 6); /* head.<t>.0: (2, 4) per task */
    reg r;
    reg_init(&r, "mean_reg");
    reg_num(&r, "lambda", 0.7);
    reg_num(&r, "lambda_mean", 0.3);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    /* the value against the definition */
    const float *w[3] = {net_weight(&n, "head.a.0.weight"), net_weight(&n, "head.b.0.weight"),
                         net_weight(&n, "head.c.0.weight")};
    double spread = 0, mean2 = 0;
    for (int i = 0; i < 8; i++) {
        double m = ((double)w[0][i] + w[1][i] + w[2][i]) / 3.0;
        for (int t = 0; t < 3; t++) spread += (w[t][i] - m) * (w[t][i] - m);
        mean2 += m * m;
    }
    mt_params *p = graph_params(n.g);
    float *scratch = calloc(p->total, sizeof *scratch);
    mt_params q = *p;
    q.grad = scratch;
    double v;
    unsigned long allocs = mt_alloc_count();
    assert_int_equal(r.cls->hooks.penalty(r.state, n.g, &q, &v), MT_OK);
    assert_int_equal(mt_alloc_count(), allocs);
    NEAR(v, 0.7 * spread + 0.3 * 3 * mean2, 1e-9);
    /* the gradient: 2 lambda (w_t - mean) + 2 lambda_mean mean */
    const float *g0 = scratch + p->info[params_find(p, "head.a.0.weight")].offset;
    for (int i = 0; i < 8; i++) {
        double m = ((double)w[0][i] + w[1][i] + w[2][i]) / 3.0;
        NEAR(g0[i], 2 * 0.7 * (w[0][i] - m) + 2 * 0.3 * m, 1e-6);
    }
    free(scratch);
    check_penalty_gradient(&r, &n);
    check_total_gradient(&r, &n);
    /* published distances against the vectors */
    pubs pb = {0};
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    const double *D = pub_get(&pb, "task distance", 3, 3);
    const double *dm = pub_get(&pb, "distance to mean", 1, 3);
    for (int s = 0; s < 3; s++)
        for (int t = 0; t < 3; t++) {
            double d2 = 0;
            for (int i = 0; i < 8; i++) d2 += (w[s][i] - w[t][i]) * (w[s][i] - w[t][i]);
            NEAR(D[s * 3 + t], sqrt(d2), 1e-6);
        }
    double dsum = 0;
    for (int t = 0; t < 3; t++) dsum += dm[t] * dm[t];
    NEAR(dsum, spread, 1e-6);
    reg_done(&r);
    net_free(&n);
}

/* Vectors in R^3, the brute-force within-cluster sum of squares. */
static double within_ss(const double *X, int T, int D, const int *assign, int K)
{
    double ss = 0;
    for (int c = 0; c < K; c++) {
        double m[8] = {0};
        int cnt = 0;
        for (int t = 0; t < T; t++)
            if (assign[t] == c) {
                cnt++;
                for (int d = 0; d < D; d++) m[d] += X[t * D + d];
            }
        if (!cnt) continue;
        for (int t = 0; t < T; t++)
            if (assign[t] == c)
                for (int d = 0; d < D; d++) ss += (X[t * D + d] - m[d] / cnt) * (X[t * D + d] - m[d] / cnt);
    }
    return ss;
}

static void gram_of(const double *X, int T, int D, double *G)
{
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) {
            double a = 0;
            for (int d = 0; d < D; d++) a += X[s * D + d] * X[t * D + d];
            G[s * T + t] = a;
        }
}

static void test_mtl_regs_kmeans_against_brute_force(void **state)
{
    (void)state;
    /* two clear clusters, interleaved */
    const double X[6 * 3] = {5, 0, 0.1, 0, 5, 0, 5.2, 0.1, 0, 0.1, 4.9, 0.2, 4.8, -0.1, 0, 0, 5.1, -0.1};
    double G[36];
    int as[6];
    gram_of(X, 6, 3, G);
    reg_kmeans_gram(G, 6, 2, as);
    const int truth[6] = {0, 1, 0, 1, 0, 1};
    for (int i = 0; i < 6; i++) assert_int_equal(as[i], truth[i]);
    /* random instances: as good as the best of all 3^7 labellings */
    mt_rng r;
    mt_rng_init(&r, 11, 0);
    for (int trial = 0; trial < 20; trial++) {
        double Y[7 * 3], H[49];
        for (int i = 0; i < 21; i++) Y[i] = mt_rng_normal(&r);
        gram_of(Y, 7, 3, H);
        int a[7], lab[7];
        double ss = reg_kmeans_gram(H, 7, 3, a);
        NEAR(ss, within_ss(Y, 7, 3, a, 3), 1e-9);
        int used[3] = {0};
        for (int i = 0; i < 7; i++) {
            assert_true(a[i] >= 0 && a[i] < 3);
            used[a[i]] = 1;
        }
        assert_true(used[0] && used[1] && used[2]);
        assert_int_equal(a[0], 0); /* labels in order of first appearance */
        double best = INFINITY;
        for (int code = 0; code < 2187; code++) {
            int c = code;
            for (int i = 0; i < 7; i++) lab[i] = c % 3, c /= 3;
            best = fmin(best, within_ss(Y, 7, 3, lab, 3));
        }
        NEAR(ss, best, 1e-9);
    }
    /* K = 1 and K = T */
    reg_kmeans_gram(G, 6, 1, as);
    for (int i = 0; i < 6; i++) assert_int_equal(as[i], 0);
    NEAR(reg_kmeans_gram(G, 6, 6, as), 0, 1e-12);
    for (int i = 0; i < 6; i++) assert_int_equal(as[i], i);
}

/* tr(W M W^T) with the cluster matrix equals the paper's three terms. */
static void test_mtl_regs_cluster_norm_terms(void **state)
{
    (void)state;
    const int T = 5, D = 4;
    float data[5 * 4];
    fill_normal(data, 20, 1, 3);
    reg_taskw w;
    memset(&w, 0, sizeof w);
    w.T = T;
    w.F = D;
    w.equal = 1;
    for (int t = 0; t < T; t++) w.rows[t] = 1, w.off[t] = (size_t)t * D;
    const int as[5] = {0, 1, 0, 1, 1};
    double M[25];
    const double em = 0.3, eb = 0.5, ew = 2.0;
    reg_cluster_matrix(as, T, em, eb, ew, M);
    double gm[4] = {0}, cm[2][4] = {{0}}, cnt[2] = {0};
    for (int t = 0; t < T; t++) {
        cnt[as[t]]++;
        for (int d = 0; d < D; d++) gm[d] += (double)data[t * D + d] / T, cm[as[t]][d] += data[t * D + d];
    }
    double mean_t = 0, between = 0, within = 0;
    for (int d = 0; d < D; d++) {
        mean_t += gm[d] * gm[d];
        for (int c = 0; c < 2; c++) {
            double x = cm[c][d] / cnt[c] - gm[d];
            between += cnt[c] * x * x;
        }
        for (int t = 0; t < T; t++) {
            double x = data[t * D + d] - cm[as[t]][d] / cnt[as[t]];
            within += x * x;
        }
    }
    float grad[20] = {0};
    double v = reg_taskw_quad(&w, data, grad, M);
    NEAR(v, em * T * mean_t + eb * between + ew * within, 1e-9);
    /* the gradient 2 W M against differences */
    for (int i = 0; i < 20; i++) {
        float x0 = data[i];
        data[i] = x0 + 0.01f;
        float xp = data[i];
        double vp = reg_taskw_quad(&w, data, NULL, M);
        data[i] = x0 - 0.01f;
        float xm = data[i];
        double vm = reg_taskw_quad(&w, data, NULL, M);
        data[i] = x0;
        NEAR(grad[i], (vp - vm) / ((double)xp - xm), 1e-4);
    }
}

/* Tasks a, c near one vector and b, d near another: the first reassignment
 * finds them; the penalty's gradient is checked before and after. */
static void test_mtl_regs_cluster_assignment_and_gradient(void **state)
{
    (void)state;
    net n;
    net_build(&n, 4, 3, 0, NULL, 7);
    const float centre[2][3] = {{1, -1, 0.5f}, {-0.5f, 1, 1}};
    const char *names[4] = {"head.a.out.weight", "head.b.out.weight", "head.c.out.weight", "head.d.out.weight"};
    float *w[4];
    for (int t = 0; t < 4; t++) {
        w[t] = net_weight(&n, names[t]);
        fill_normal(w[t], 3, 0.1, 30 + (uint64_t)t);
        for (int j = 0; j < 3; j++) w[t][j] += centre[t % 2][j];
    }
    reg r;
    reg_init(&r, "cluster");
    reg_num(&r, "clusters", 2);
    reg_num(&r, "update_every", 10);
    reg_num(&r, "eps_m", 0.1);
    reg_num(&r, "eps_b", 0.2);
    reg_num(&r, "eps_w", 1.0);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    mt_params *p = graph_params(n.g);
    pubs pb = {0};
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    const double *co = pub_get(&pb, "cluster co-membership", 4, 4);
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < 4; t++) NEAR(co[s * 4 + t], s == t, 0); /* each its own, at first */
    check_penalty_gradient(&r, &n);
    /* not yet due at step 9, due at 10 */
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, p, 0.1, 9), MT_OK);
    memset(&pb, 0, sizeof pb);
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    NEAR(pub_get(&pb, "cluster co-membership", 4, 4)[2], 0, 0);
    unsigned long allocs = mt_alloc_count();
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, p, 0.1, 10), MT_OK);
    assert_int_equal(mt_alloc_count(), allocs);
    memset(&pb, 0, sizeof pb);
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    co = pub_get(&pb, "cluster co-membership", 4, 4);
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < 4; t++) NEAR(co[s * 4 + t], (s % 2) == (t % 2), 0);
    /* the penalty now matches the three terms with clusters {a, c}, {b, d} */
    float *scratch = calloc(p->total, sizeof *scratch);
    mt_params q = *p;
    q.grad = scratch;
    double v, ref = 0, gm[3] = {0};
    assert_int_equal(r.cls->hooks.penalty(r.state, n.g, &q, &v), MT_OK);
    for (int j = 0; j < 3; j++) {
        for (int t = 0; t < 4; t++) gm[j] += w[t][j] / 4.0;
        ref += 0.1 * 4 * gm[j] * gm[j];
        for (int c = 0; c < 2; c++) {
            double cmj = 0.5 * ((double)w[c][j] + w[c + 2][j]);
            ref += 0.2 * 2 * (cmj - gm[j]) * (cmj - gm[j]);
            ref += 1.0 * ((w[c][j] - cmj) * (w[c][j] - cmj) + (w[c + 2][j] - cmj) * (w[c + 2][j] - cmj));
        }
    }
    NEAR(v, ref, 1e-9);
    free(scratch);
    check_penalty_gradient(&r, &n);
    check_total_gradient(&r, &n);
    reg_done(&r);
    /* errors */
    reg_init(&r, "cluster");
    reg_num(&r, "clusters", 5);
    mt_clear_error();
    assert_int_equal(reg_attach(&r, &n), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "clusters: 5 clusters for 4 tasks (at most one cluster per task)");
    reg_init(&r, "cluster");
    reg_num(&r, "eps_b", 0.5);
    reg_num(&r, "eps_w", 0.1);
    assert_int_equal(reg_attach(&r, &n), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "eps_w: 0.1 is below eps_b = 0.5"));
    net_free(&n);
}

/* ---- MTRL ----------------------------------------------------------------- */

static void test_mtl_regs_taskcov_omega_hand(void **state)
{
    (void)state;
    /* 2 x 2: sqrt(A) = (A + sqrt(det A) I) / sqrt(tr A + 2 sqrt(det A)) */
    const double A[4] = {4, 2, 2, 3};
    double Om[4], Oi[4];
    assert_int_equal(reg_taskcov_omega(A, 2, 0, Om, Oi), MT_OK);
    double sd = sqrt(8.0), den = sqrt(7 + 2 * sd);
    double S[4] = {(4 + sd) / den, 2 / den, 2 / den, (3 + sd) / den};
    double tr = S[0] + S[3];
    for (int k = 0; k < 4; k++) NEAR(Om[k], S[k] / tr, 1e-12);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) NEAR(Oi[i * 2 + 0] * Om[0 * 2 + j] + Oi[i * 2 + 1] * Om[1 * 2 + j], i == j, 1e-10);
    /* orthogonal tasks: Omega = diag(|w_t|) / sum |w_t| */
    const double D3[9] = {9, 0, 0, 0, 1, 0, 0, 0, 4};
    double O3[9];
    assert_int_equal(reg_taskcov_omega(D3, 3, 0, O3, NULL), MT_OK);
    NEAR(O3[0], 3.0 / 6, 1e-12);
    NEAR(O3[4], 1.0 / 6, 1e-12);
    NEAR(O3[8], 2.0 / 6, 1e-12);
    NEAR(O3[1], 0, 1e-12);
    /* the ridge: G = diag(1, 0), eps 0.02 -> A = diag(1.01, 0.01) */
    const double G2[4] = {1, 0, 0, 0};
    assert_int_equal(reg_taskcov_omega(G2, 2, 0.02, Om, Oi), MT_OK);
    NEAR(Om[0], sqrt(1.01) / (sqrt(1.01) + 0.1), 1e-12);
    NEAR(Oi[3], (sqrt(1.01) + 0.1) / 0.1, 1e-9);
    mt_clear_error();
    assert_int_equal(reg_taskcov_omega(G2, 2, 0, Om, Oi), MT_ERR_NUMERIC);
    assert_non_null(strstr(mt_last_error(), "not positive definite"));
    const double bad[4] = {1, NAN, NAN, 1};
    assert_int_equal(reg_taskcov_omega(bad, 2, 0.1, Om, Oi), MT_ERR_NUMERIC);
    assert_non_null(strstr(mt_last_error(), "non-finite"));
}

static void test_mtl_regs_task_cov_update_and_gradient(void **state)
{
    (void)state;
    net n;
    net_build(&n, 3, 4, 0, NULL, 8);
    reg r;
    reg_init(&r, "task_cov");
    reg_num(&r, "lambda", 0.4);
    reg_num(&r, "update_every", 5);
    reg_num(&r, "eps", 0.01);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    mt_params *p = graph_params(n.g);
    const float *w[3] = {net_weight(&n, "head.a.out.weight"), net_weight(&n, "head.b.out.weight"),
                         net_weight(&n, "head.c.out.weight")};
    /* Omega = I / T at first: the penalty is lambda/2 * T * sum ||w_t||^2 */
    double sq = 0;
    for (int t = 0; t < 3; t++)
        for (int j = 0; j < 4; j++) sq += (double)w[t][j] * w[t][j];
    float *scratch = calloc(p->total, sizeof *scratch);
    mt_params q = *p;
    q.grad = scratch;
    double v;
    assert_int_equal(r.cls->hooks.penalty(r.state, n.g, &q, &v), MT_OK);
    NEAR(v, 0.2 * 3 * sq, 1e-9);
    check_penalty_gradient(&r, &n);
    /* the closed-form update at step 5 */
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, p, 0.1, 5), MT_OK);
    double G[9], Om[9], Oi[9];
    for (int s = 0; s < 3; s++)
        for (int t = 0; t < 3; t++) {
            double a = 0;
            for (int j = 0; j < 4; j++) a += (double)w[s][j] * w[t][j];
            G[s * 3 + t] = a;
        }
    assert_int_equal(reg_taskcov_omega(G, 3, 0.01, Om, Oi), MT_OK);
    pubs pb = {0};
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    const double *P = pub_get(&pb, "task covariance", 3, 3);
    const double *C = pub_get(&pb, "task correlation", 3, 3);
    double tr = 0;
    for (int k = 0; k < 9; k++) NEAR(P[k], Om[k], 1e-12);
    for (int t = 0; t < 3; t++) tr += P[t * 3 + t], NEAR(C[t * 3 + t], 1, 1e-12);
    NEAR(tr, 1, 1e-12);
    NEAR(C[1], P[1] / sqrt(P[0] * P[4]), 1e-12);
    /* Omega^2 is proportional to W^T W + ridge */
    double ridge = 0.01 * (G[0] + G[4] + G[8]) / 3, O2[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            O2[i * 3 + j] = 0;
            for (int k = 0; k < 3; k++) O2[i * 3 + j] += P[i * 3 + k] * P[k * 3 + j];
        }
    double c = (G[0] + ridge) / O2[0];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) NEAR(O2[i * 3 + j] * c, G[i * 3 + j] + (i == j) * ridge, 1e-9 * c);
    /* the penalty now uses Omega^-1 */
    assert_int_equal(r.cls->hooks.penalty(r.state, n.g, &q, &v), MT_OK);
    double ref = 0;
    for (int k = 0; k < 9; k++) ref += 0.2 * Oi[k] * G[k];
    NEAR(v, ref, 1e-9 * fabs(ref));
    free(scratch);
    check_penalty_gradient(&r, &n);
    check_total_gradient(&r, &n);
    reg_done(&r);
    net_free(&n);
}

/* Any topology: the task columns of soft sharing ("col.<task>.0", its own
 * pull is not called here) bound by pattern; the penalty's gradient and
 * the network's plus the penalty's checked as for the heads. */
static void test_mtl_regs_on_task_columns(void **state)
{
    (void)state;
    if (!topo_find("soft")) skip();
    net n;
    net_build_type(&n, "soft", 1, 3, 5, 0, NULL, 12, 6);
    reg r;
    reg_init(&r, "task_cov");
    tparam_set_str(&r.spec.params, "layer", "col.*.0");
    reg_num(&r, "lambda", 0.3);
    reg_num(&r, "update_every", 1);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    assert_int_equal(r.cls->hooks.after_step(r.state, n.g, graph_params(n.g), 0.1, 1), MT_OK);
    check_penalty_gradient(&r, &n);
    check_total_gradient(&r, &n);
    reg_done(&r);
    reg_init(&r, "block_sparse");
    tparam_set_str(&r.spec.params, "layer", "col.*.0");
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    pubs pb = {0};
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    const double *act = pub_get(&pb, "active features", 1, 3);
    for (int t = 0; t < 3; t++) NEAR(act[t], 5, 0); /* (4, 5) columns, nothing pruned yet */
    reg_done(&r);
    net_free(&n);
}

/* ---- a training loop ----------------------------------------------------- */

/* Three linear tasks on 6 features, of which only 0..2 matter. SGD with
 * the l1/l2 prox after every step (the trainer's order): the irrelevant
 * rows end exactly at zero, the relevant ones stay. Then l1/linf and the
 * dirty model on the same problem. */
static void train_support(int norm, int out_zero[6])
{
    net n;
    net_build_b(&n, 3, 6, 0, NULL, 9, 32);
    const double wtrue[3][3] = {{1.0, -0.8, 0.6}, {0.9, -1.0, 0.4}, {1.1, -0.7, 0.8}};
    reg r;
    reg_init(&r, "block_sparse");
    reg_num(&r, "norm", norm);
    reg_num(&r, "lambda", 0.3);
    reg_num(&r, "lambda_s", 0.3);
    reg_num(&r, "lambda_b", 0.3);
    assert_int_equal(reg_attach(&r, &n), MT_OK);
    mt_params *p = graph_params(n.g);
    mt_optim o;
    mt_optim_config cfg = optim_defaults(MT_OPTIM_SGD);
    cfg.lr = 0.05f;
    assert_int_equal(optim_init(&o, &cfg, p->total), MT_OK);
    mt_rng rng;
    mt_rng_init(&rng, 4, 4);
    float *xv = graph_value(n.g, n.x);
    for (int step = 1; step <= 600; step++) {
        for (int b = 0; b < n.B; b++) {
            for (int j = 0; j < 6; j++) xv[b * 6 + j] = (float)mt_rng_normal(&rng);
            for (int t = 0; t < 3; t++) {
                double y = 0.01 * mt_rng_normal(&rng);
                for (int j = 0; j < 3; j++) y += wtrue[t][j] * xv[b * 6 + j];
                graph_value(n.g, n.y[t])[b] = (float)y;
            }
        }
        graph_forward(n.g, MT_TRAIN);
        params_zero_grad(p);
        assert_int_equal(graph_backward(n.g, &n.loss, NULL, 1, NULL), MT_OK);
        assert_int_equal(optim_step_params(&o, p), MT_OK);
        assert_int_equal(r.cls->hooks.after_step(r.state, n.g, p, cfg.lr, step), MT_OK);
    }
    const char *names[3] = {"head.a.out.weight", "head.b.out.weight", "head.c.out.weight"};
    for (int j = 0; j < 6; j++) {
        int zero = 1;
        for (int t = 0; t < 3; t++) zero &= net_weight(&n, names[t])[j] == 0.0f;
        out_zero[j] = zero;
    }
    pubs pb = {0};
    r.cls->hooks.publish(r.state, n.g, pub_cb, &pb);
    const double *act = pub_get(&pb, "active features", 1, 3);
    for (int t = 0; t < 3; t++) {
        int used = 0;
        for (int j = 0; j < 6; j++) used += net_weight(&n, names[t])[j] != 0.0f;
        NEAR(act[t], used, 0);
    }
    optim_free(&o);
    reg_done(&r);
    net_free(&n);
}

static void test_mtl_regs_training_finds_support(void **state)
{
    (void)state;
    for (int norm = 0; norm < 3; norm++) {
        int zero[6];
        train_support(norm, zero);
        for (int j = 0; j < 3; j++) assert_false(zero[j]);
        for (int j = 3; j < 6; j++) assert_true(zero[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_regs_registry_and_binding),
        cmocka_unit_test(test_mtl_regs_prox_linf_moreau),
        cmocka_unit_test(test_mtl_regs_block_l1l2_closed_form),
        cmocka_unit_test(test_mtl_regs_block_l1linf_rows),
        cmocka_unit_test(test_mtl_regs_dirty_model),
        cmocka_unit_test(test_mtl_regs_mean_reg_value_and_gradient),
        cmocka_unit_test(test_mtl_regs_kmeans_against_brute_force),
        cmocka_unit_test(test_mtl_regs_cluster_norm_terms),
        cmocka_unit_test(test_mtl_regs_cluster_assignment_and_gradient),
        cmocka_unit_test(test_mtl_regs_taskcov_omega_hand),
        cmocka_unit_test(test_mtl_regs_task_cov_update_and_gradient),
        cmocka_unit_test(test_mtl_regs_on_task_columns),
        cmocka_unit_test(test_mtl_regs_training_finds_support),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
