/* test_mtl_columns.c - the column family of topologies (soft, cross_stitch,
 * sluice, jmt, tensor): finite-difference checks of every network and of
 * every penalty hook, equivalence with independent networks when the
 * mixing is the identity, forward passes and penalties recomputed by hand,
 * parameter groups, descriptions and error messages. */
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
#include "core/status.h"
#include "engine/gradcheck.h"
#include "engine/graph.h"
#include "engine_testutil.h"
#include "mtl/topo_columns.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static const char *const NAMES[] = {"a", "b", "c", "d"};

/* ---- fixture ------------------------------------------------------------ */

typedef struct {
    mt_graph *g;
    mt_topo_spec s;
    mt_topo_built b;
    mt_node x, y[MT_MAX_TASKS], loss;
    int B, d;
} fx;

static void spec_make(mt_topo_spec *s, const char *type, int T, const int *trunk, int nt, const int *outs)
{
    topo_spec_default(s);
    snprintf(s->type, sizeof s->type, "%s", type);
    s->ntrunk = nt;
    for (int l = 0; l < nt; l++) s->trunk[l] = trunk[l];
    s->act = MT_ACT_TANH; /* smooth: no kinks for the finite differences */
    s->ntasks = T;
    for (int t = 0; t < T; t++) {
        snprintf(s->task[t].name, sizeof s->task[t].name, "%s", NAMES[t]);
        s->task[t].out_dim = outs[t];
        s->task[t].nhead = -1;
    }
    topo_resolve(s);
}

static void set_num(mt_topo_spec *s, const char *key, mt_tparam_type type, double v)
{
    assert_int_equal(tparam_set_num(&s->params, key, type, v), MT_OK);
}

static void set_list(mt_topo_spec *s, const char *key, mt_tparam_type type, const double *v, int n)
{
    assert_int_equal(tparam_set_list(&s->params, key, type, v, n), MT_OK);
}

/* Builds f->s on an input (B, d), a loss per task (softmax CE for
 * out_dim > 1, else MSE) summed into f->loss, compiles, fills the inputs. */
static void fx_build(fx *f, int d, int B, unsigned long long seed)
{
    char nm[64];
    f->g = graph_new();
    f->d = d;
    f->B = B;
    f->x = graph_input(f->g, "x", d);
    assert_int_equal(topo_validate(&f->s), MT_OK);
    assert_int_equal(topo_build(f->g, &f->s, f->x, 0, 0, 0, &f->b), MT_OK);
    mt_node total = MT_NONE;
    for (int t = 0; t < f->s.ntasks; t++) {
        snprintf(nm, sizeof nm, "y.%d", t);
        f->y[t] = graph_input(f->g, nm, 1);
        mt_node l = f->s.task[t].out_dim > 1 ? graph_loss_softmax_ce(f->g, f->b.out[t], f->y[t], MT_NONE)
                                             : graph_loss_mse(f->g, f->b.out[t], f->y[t], MT_NONE);
        total = t == 0 ? l : graph_add(f->g, total, l);
    }
    f->loss = total;
    mt_status st = graph_compile(f->g, B);
    if (st) fprintf(stderr, "compile: %s\n", mt_last_error());
    assert_int_equal(st, MT_OK);
    graph_init_params(f->g, seed);
    assert_int_equal(graph_set_batch(f->g, B), MT_OK);
    tu_fill(graph_value(f->g, f->x), (size_t)B * d, seed + 1, -1, 1);
    for (int t = 0; t < f->s.ntasks; t++) {
        float *y = graph_value(f->g, f->y[t]);
        if (f->s.task[t].out_dim > 1)
            for (int b = 0; b < B; b++) y[b] = (float)((b * 7 + t) % f->s.task[t].out_dim);
        else
            tu_fill(y, (size_t)B, seed + 2 + (unsigned)t, -1, 1);
    }
}

static void fx_free(fx *f)
{
    topo_built_free(&f->s, &f->b);
    graph_free(f->g);
}

static float *pval(fx *f, const char *name, size_t *n)
{
    mt_node nd = graph_find(f->g, name);
    if (nd == MT_NONE) fprintf(stderr, "no parameter %s\n", name);
    assert_int_not_equal(nd, MT_NONE);
    if (n) *n = (size_t)graph_rows(f->g, nd) * (size_t)graph_cols(f->g, nd);
    return graph_value(f->g, nd);
}

static int pgroup(fx *f, const char *name)
{
    int i = graph_param_index(f->g, graph_find(f->g, name));
    assert_true(i >= 0);
    return graph_params(f->g)->info[i].group;
}

static const mt_topo_hooks *hooks_of(const fx *f) { return &topo_find(f->s.type)->hooks; }

static void expect_gradcheck(fx *f)
{
    gradcheck_report r;
    /* the summed loss is of order T: a wider step keeps its float32
     * rounding well under the tolerance */
    mt_status st = gradcheck_run(f->g, f->loss, 1e-2, 1e-2, &r);
    if (st) fprintf(stderr, "%s: %s\n", f->s.type, mt_last_error());
    assert_int_equal(st, MT_OK);
    assert_true(r.n_checked > 20);
}

/* The penalty hook's gradient against central differences of its value,
 * over every entry of the arena; returns the value at the current point. */
static double expect_penalty_fd(fx *f, double tol)
{
    mt_params *p = graph_params(f->g);
    const mt_topo_hooks *h = hooks_of(f);
    float *an = malloc(p->total * sizeof *an);
    assert_non_null(an);
    params_zero_grad(p);
    double v0, vp, vm;
    assert_int_equal(h->penalty(f->b.state, f->g, p, &v0), MT_OK);
    memcpy(an, p->grad, p->total * sizeof *an);
    int nonzero = 0;
    for (size_t i = 0; i < p->total; i++) {
        float old = p->data[i];
        p->data[i] = old + 1e-3f;
        float up = p->data[i];
        assert_int_equal(h->penalty(f->b.state, f->g, p, &vp), MT_OK);
        p->data[i] = old - 1e-3f;
        float dn = p->data[i];
        assert_int_equal(h->penalty(f->b.state, f->g, p, &vm), MT_OK);
        p->data[i] = old;
        double num = (vp - vm) / ((double)up - dn);
        double den = fmax(fmax(fabs(num), fabs((double)an[i])), 1e-2);
        if (fabs(num - an[i]) / den > tol)
            fprintf(stderr, "penalty gradient entry %zu: analytic %g numeric %g\n", i, (double)an[i], num);
        assert_true(fabs(num - an[i]) / den <= tol);
        nonzero += fabs(an[i]) > 1e-4;
    }
    assert_true(nonzero > 0);
    params_zero_grad(p);
    free(an);
    return v0;
}

/* Published matrices, captured. */
typedef struct {
    int n;
    char name[16][48];
    int rows[16], cols[16];
    double v[16][256];
} pubs;

static void pub_cb(void *ud, const char *name, int rows, int cols, const double *v, const char *const *rl,
                   const char *const *cl, double lo, double hi)
{
    (void)rl;
    (void)cl;
    (void)lo;
    (void)hi;
    pubs *P = ud;
    assert_true(P->n < 16 && rows * cols <= 256);
    snprintf(P->name[P->n], sizeof P->name[0], "%s", name);
    P->rows[P->n] = rows;
    P->cols[P->n] = cols;
    memcpy(P->v[P->n], v, (size_t)rows * cols * sizeof *v);
    P->n++;
}

static const double *pub_find(const pubs *P, const char *name, int rows, int cols)
{
    for (int i = 0; i < P->n; i++)
        if (strcmp(P->name[i], name) == 0) {
            assert_int_equal(P->rows[i], rows);
            assert_int_equal(P->cols[i], cols);
            return P->v[i];
        }
    fprintf(stderr, "not published: %s\n", name);
    fail();
    return NULL;
}

/* ---- independent networks: the reference for the identity mixings ---- */

/* One plain tanh network per task, weights copied from f's columns
 * ("col.<task>.<l>", "head.<task>.out"); returns the graph and fills
 * out[t] and hidden[l][t] (layer outputs). */
static mt_graph *independent_nets(fx *f, mt_node *out, mt_node (*hidden)[MT_MAX_TASKS])
{
    char nm[96], src[96];
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", f->d);
    for (int t = 0; t < f->s.ntasks; t++) {
        mt_node h = x;
        for (int l = 0; l < f->s.ntrunk; l++) {
            snprintf(nm, sizeof nm, "net%d.%d", t, l);
            h = graph_tanh(g, graph_linear(g, h, f->s.trunk[l], nm, 0));
            if (hidden) hidden[l][t] = h;
        }
        snprintf(nm, sizeof nm, "net%d.out", t);
        out[t] = graph_linear(g, h, f->s.task[t].out_dim, nm, 0);
    }
    assert_int_equal(graph_compile(g, f->B), MT_OK);
    assert_int_equal(graph_set_batch(g, f->B), MT_OK);
    memcpy(graph_value(g, x), graph_value(f->g, f->x), (size_t)f->B * f->d * sizeof(float));
    const char *part[] = {"weight", "bias"};
    for (int t = 0; t < f->s.ntasks; t++)
        for (int l = 0; l <= f->s.ntrunk; l++)
            for (int k = 0; k < 2; k++) {
                if (l < f->s.ntrunk) {
                    snprintf(nm, sizeof nm, "net%d.%d.%s", t, l, part[k]);
                    snprintf(src, sizeof src, "col.%s.%d.%s", NAMES[t], l, part[k]);
                } else {
                    snprintf(nm, sizeof nm, "net%d.out.%s", t, part[k]);
                    snprintf(src, sizeof src, "head.%s.out.%s", NAMES[t], part[k]);
                }
                size_t n;
                const float *v = pval(f, src, &n);
                mt_node dst = graph_find(g, nm);
                assert_int_equal((size_t)graph_rows(g, dst) * graph_cols(g, dst), n);
                memcpy(graph_value(g, dst), v, n * sizeof(float));
            }
    graph_forward(g, MT_EVAL);
    return g;
}

static void expect_same_outputs(fx *f, mt_graph *ref, const mt_node *rout)
{
    graph_forward(f->g, MT_EVAL);
    for (int t = 0; t < f->s.ntasks; t++) {
        size_t n = (size_t)f->B * f->s.task[t].out_dim;
        float d = tu_max_abs_diff(graph_value(f->g, f->b.out[t]), graph_value(ref, rout[t]), n);
        assert_true(d <= 1e-6f);
    }
}

/* ---- soft sharing ---------------------------------------------------------- */

static void test_mtl_columns_soft_gradcheck_and_penalty(void **state)
{
    (void)state;
    static const int trunk[] = {4, 3}, outs[] = {3, 1, 2};
    for (int mode = 0; mode < 3; mode++) {
        fx f;
        spec_make(&f.s, "soft", 3, trunk, 2, outs);
        double l2[2] = {0.3, 0.1};
        set_list(&f.s, "l2", MT_TP_NUMBERS, l2, mode == 2 ? 1 : 2);
        if (mode == 1) set_num(&f.s, "distance", MT_TP_CHOICE, 1);
        set_list(&f.s, "trace", MT_TP_NUMBERS, (double[]){mode == 2 ? 0.2 : 0.0}, 1);
        fx_build(&f, 5, 6, 11 + (unsigned)mode);
        expect_gradcheck(&f);
        assert_int_equal(f.b.shared, MT_NONE);
        assert_int_equal(pgroup(&f, "col.a.0.weight"), 1);
        assert_int_equal(pgroup(&f, "col.c.1.bias"), 3);
        assert_int_equal(params_count_group(graph_params(f.g), 0), 0);
        expect_penalty_fd(&f, 2e-2);
        /* no allocation in the per-step hook */
        double v;
        unsigned long a0 = mt_alloc_count();
        assert_int_equal(hooks_of(&f)->penalty(f.b.state, f.g, graph_params(f.g), &v), MT_OK);
        assert_int_equal(mt_alloc_count(), a0);
        fx_free(&f);
    }
}

/* sum_{i<j} lambda |Wi - Wj|^2 written out; the mean form is 1/T of it. */
static double hand_pairs(fx *f, int l, double lambda)
{
    char nm[64];
    const float *w[3];
    size_t n = 0;
    for (int t = 0; t < 3; t++) {
        snprintf(nm, sizeof nm, "col.%s.%d.weight", NAMES[t], l);
        w[t] = pval(f, nm, &n);
    }
    double s = 0;
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            for (size_t q = 0; q < n; q++) s += ((double)w[i][q] - w[j][q]) * ((double)w[i][q] - w[j][q]);
    return lambda * s;
}

static void test_mtl_columns_soft_closed_forms(void **state)
{
    (void)state;
    static const int trunk[] = {4, 3}, outs[] = {2, 2, 2};
    double v;
    /* L2: pairs, and to the mean = pairs / T */
    for (int mode = 0; mode < 2; mode++) {
        fx f;
        spec_make(&f.s, "soft", 3, trunk, 2, outs);
        set_list(&f.s, "l2", MT_TP_NUMBERS, (double[]){0.5, 2.0}, 2);
        set_num(&f.s, "distance", MT_TP_CHOICE, mode);
        fx_build(&f, 5, 4, 21);
        assert_int_equal(hooks_of(&f)->penalty(f.b.state, f.g, graph_params(f.g), &v), MT_OK);
        double ref = hand_pairs(&f, 0, 0.5) + hand_pairs(&f, 1, 2.0);
        NEAR(v, mode == 0 ? ref : ref / 3, 1e-9 * (1 + ref));
        /* published distances are the Frobenius distances */
        pubs P = {0};
        hooks_of(&f)->publish(f.b.state, f.g, pub_cb, &P);
        const double *D = pub_find(&P, "soft distance L2", 3, 3);
        const float *wa = pval(&f, "col.a.1.weight", NULL), *wc = pval(&f, "col.c.1.weight", NULL);
        double s = 0;
        for (int q = 0; q < 12; q++) s += ((double)wa[q] - wc[q]) * ((double)wa[q] - wc[q]);
        NEAR(D[0 * 3 + 2], sqrt(s), 1e-9);
        NEAR(D[2 * 3 + 0], sqrt(s), 1e-9);
        NEAR(D[1 * 3 + 1], 0, 0);
        fx_free(&f);
    }
    /* trace norm, two tasks: s1 + s2 = sqrt(a + c + 2 sqrt(ac - b^2)) from
     * the Gram entries a = |w1|^2, b = <w1, w2>, c = |w2|^2 */
    {
        fx f;
        spec_make(&f.s, "soft", 2, trunk, 1, outs);
        set_list(&f.s, "l2", MT_TP_NUMBERS, (double[]){0}, 1);
        set_list(&f.s, "trace", MT_TP_NUMBERS, (double[]){0.7}, 1);
        fx_build(&f, 5, 4, 23);
        const float *w1 = pval(&f, "col.a.0.weight", NULL);
        float *w2 = pval(&f, "col.b.0.weight", NULL);
        double a = 0, b = 0, c = 0;
        for (int q = 0; q < 20; q++) {
            a += (double)w1[q] * w1[q];
            b += (double)w1[q] * w2[q];
            c += (double)w2[q] * w2[q];
        }
        assert_int_equal(hooks_of(&f)->penalty(f.b.state, f.g, graph_params(f.g), &v), MT_OK);
        NEAR(v, 0.7 * sqrt(a + c + 2 * sqrt(a * c - b * b)), 1e-7);
        /* the published spectrum: sigma_k^2 are the Gram's eigenvalues */
        double e1 = 0.5 * (a + c + sqrt((a - c) * (a - c) + 4 * b * b)), e2 = 0.5 * (a + c - sqrt((a - c) * (a - c) + 4 * b * b));
        pubs P = {0};
        hooks_of(&f)->publish(f.b.state, f.g, pub_cb, &P);
        const double *sp = pub_find(&P, "soft spectrum L1", 1, 2);
        NEAR(sp[0], sqrt(e1) / (sqrt(e1) + sqrt(e2)), 1e-7);
        NEAR(sp[1], sqrt(e2) / (sqrt(e1) + sqrt(e2)), 1e-7);
        /* rank one: w2 = -2 w1 gives sqrt(5) |w1|, and the gradient is the
         * unit direction [w1; -2 w1] / (sqrt(5) |w1|) (the zero subgradient
         * across the null direction) */
        for (int q = 0; q < 20; q++) w2[q] = -2 * w1[q];
        mt_params *p = graph_params(f.g);
        params_zero_grad(p);
        assert_int_equal(hooks_of(&f)->penalty(f.b.state, f.g, p, &v), MT_OK);
        NEAR(v, 0.7 * sqrt(5 * a), 1e-6);
        const float *g1 = graph_grad(f.g, graph_find(f.g, "col.a.0.weight"));
        const float *g2 = graph_grad(f.g, graph_find(f.g, "col.b.0.weight"));
        for (int q = 0; q < 20; q++) {
            NEAR(g1[q], 0.7 * w1[q] / sqrt(5 * a), 1e-5);
            NEAR(g2[q], 0.7 * -2 * w1[q] / sqrt(5 * a), 1e-5);
        }
        fx_free(&f);
    }
}

static void test_mtl_columns_soft_errors(void **state)
{
    (void)state;
    static const int trunk[] = {4, 3}, outs[] = {2, 2};
    mt_topo_spec s;
    spec_make(&s, "soft", 2, trunk, 2, outs);
    set_list(&s, "l2", MT_TP_NUMBERS, (double[]){1, 2, 3}, 3);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.l2: 3 entries for 2 trunk layers"));
    spec_make(&s, "soft", 2, trunk, 0, outs);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.trunk"));
    spec_make(&s, "soft", 2, trunk, 2, outs);
    set_num(&s, "tracee", MT_TP_NUMBER, 1);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.tracee: soft takes no such parameter"));
}

/* ---- cross-stitch ------------------------------------------------------------ */

static void test_mtl_columns_stitch_gradcheck(void **state)
{
    (void)state;
    static const int trunk[] = {4, 3}, outs[] = {3, 1, 2};
    for (int pc = 0; pc < 2; pc++) {
        fx f;
        spec_make(&f.s, "cross_stitch", 3, trunk, 2, outs);
        set_num(&f.s, "per_channel", MT_TP_BOOL, pc);
        set_num(&f.s, "init", MT_TP_NUMBER, 0.6);
        fx_build(&f, 5, 6, 31 + (unsigned)pc);
        /* the alphas start at the documented values */
        size_t n;
        if (pc) {
            const float *aa = pval(&f, "stitch.1.alpha.a.a", &n), *ab = pval(&f, "stitch.1.alpha.a.b", NULL);
            assert_int_equal(n, 3);
            NEAR(aa[2], 0.6, 1e-7);
            NEAR(ab[0], 0.2, 1e-7);
        } else {
            const float *a = pval(&f, "stitch.0.alpha", &n);
            assert_int_equal(n, 9);
            NEAR(a[0], 0.6, 1e-7);
            NEAR(a[1], 0.2, 1e-7);
            NEAR(a[5], 0.2, 1e-7);
        }
        expect_gradcheck(&f);
        fx_free(&f);
    }
}

/* alpha = I: exactly the independent networks (scalar and per unit) */
static void test_mtl_columns_stitch_identity_is_independent(void **state)
{
    (void)state;
    static const int trunk[] = {4, 3}, outs[] = {3, 1, 2};
    char nm[64];
    for (int pc = 0; pc < 2; pc++) {
        fx f;
        spec_make(&f.s, "cross_stitch", 3, trunk, 2, outs);
        set_num(&f.s, "per_channel", MT_TP_BOOL, pc);
        fx_build(&f, 5, 6, 41);
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    if (pc) {
                        snprintf(nm, sizeof nm, "stitch.%d.alpha.%s.%s", l, NAMES[i], NAMES[j]);
                        size_t n;
                        float *a = pval(&f, nm, &n);
                        for (size_t u = 0; u < n; u++) a[u] = i == j;
                    } else {
                        snprintf(nm, sizeof nm, "stitch.%d.alpha", l);
                        pval(&f, nm, NULL)[i * 3 + j] = i == j;
                    }
                }
        mt_node rout[MT_MAX_TASKS];
        mt_graph *ref = independent_nets(&f, rout, NULL);
        expect_same_outputs(&f, ref, rout);
        graph_free(ref);
        fx_free(&f);
    }
}

/* One stitched layer with a general alpha, recomputed by hand:
 * out_i = Wo_i (sum_j alpha_ij tanh(W_j x + b_j)) + bo_i. */
static void test_mtl_columns_stitch_mix_by_hand(void **state)
{
    (void)state;
    static const int trunk[] = {3}, outs[] = {2, 1};
    const double A[2][2] = {{0.7, 0.3}, {-0.2, 1.1}};
    char nm[64];
    for (int pc = 0; pc < 2; pc++) {
        fx f;
        spec_make(&f.s, "cross_stitch", 2, trunk, 1, outs);
        set_num(&f.s, "per_channel", MT_TP_BOOL, pc);
        fx_build(&f, 4, 5, 51);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                if (pc) {
                    snprintf(nm, sizeof nm, "stitch.0.alpha.%s.%s", NAMES[i], NAMES[j]);
                    float *a = pval(&f, nm, NULL);
                    for (int u = 0; u < 3; u++) a[u] = (float)(A[i][j] * (1 + 0.5 * u));
                } else {
                    pval(&f, "stitch.0.alpha", NULL)[i * 2 + j] = (float)A[i][j];
                }
            }
        graph_forward(f.g, MT_EVAL);
        const float *x = graph_value(f.g, f.x);
        double h[2][5][3];
        for (int t = 0; t < 2; t++) {
            snprintf(nm, sizeof nm, "col.%s.0.weight", NAMES[t]);
            const float *W = pval(&f, nm, NULL);
            snprintf(nm, sizeof nm, "col.%s.0.bias", NAMES[t]);
            const float *bb = pval(&f, nm, NULL);
            for (int b = 0; b < 5; b++)
                for (int u = 0; u < 3; u++) {
                    double z = bb[u];
                    for (int k = 0; k < 4; k++) z += (double)W[u * 4 + k] * x[b * 4 + k];
                    h[t][b][u] = tanh(z);
                }
        }
        for (int i = 0; i < 2; i++) {
            snprintf(nm, sizeof nm, "head.%s.out.weight", NAMES[i]);
            const float *Wo = pval(&f, nm, NULL);
            snprintf(nm, sizeof nm, "head.%s.out.bias", NAMES[i]);
            const float *bo = pval(&f, nm, NULL);
            const float *o = graph_value(f.g, f.b.out[i]);
            for (int b = 0; b < 5; b++)
                for (int c = 0; c < outs[i]; c++) {
                    double z = bo[c];
                    for (int u = 0; u < 3; u++) {
                        double m = 0;
                        for (int j = 0; j < 2; j++) m += A[i][j] * (pc ? 1 + 0.5 * u : 1) * h[j][b][u];
                        z += Wo[c * 3 + u] * m;
                    }
                    NEAR(o[b * outs[i] + c], z, 1e-5);
                }
        }
        /* published: alpha itself, or its mean over the units */
        pubs P = {0};
        hooks_of(&f)->publish(f.b.state, f.g, pub_cb, &P);
        const double *M = pub_find(&P, "cross-stitch alpha L1", 2, 2);
        for (int k = 0; k < 4; k++) NEAR(M[k], A[k / 2][k % 2] * (pc ? 1.5 : 1), 1e-6);
        fx_free(&f);
    }
}

static void test_mtl_columns_stitch_groups_and_errors(void **state)
{
    (void)state;
    static const int trunk[] = {4, 3}, outs[] = {2, 2};
    fx f;
    spec_make(&f.s, "cross_stitch", 2, trunk, 2, outs);
    set_list(&f.s, "after", MT_TP_INTS, (double[]){1}, 1);
    fx_build(&f, 5, 4, 61);
    /* layer 1 reaches the other task through the stitch; layer 2 does not */
    assert_int_equal(pgroup(&f, "col.a.0.weight"), 0);
    assert_int_equal(pgroup(&f, "col.b.0.bias"), 0);
    assert_int_equal(pgroup(&f, "col.a.1.weight"), 1);
    assert_int_equal(pgroup(&f, "col.b.1.weight"), 2);
    assert_int_equal(pgroup(&f, "stitch.0.alpha"), 0);
    assert_int_equal(graph_find(f.g, "stitch.1.alpha"), MT_NONE);
    fx_free(&f);
    mt_topo_spec s;
    spec_make(&s, "cross_stitch", 2, trunk, 2, outs);
    set_list(&s, "after", MT_TP_INTS, (double[]){1, 3}, 2);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.after[2]: expected a trunk layer 1..2, got 3"));
    set_list(&s, "after", MT_TP_INTS, (double[]){2, 2}, 2);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "layer 2 listed twice"));
}

/* ---- sluice ---------------------------------------------------------------- */

static void test_mtl_columns_sluice_gradcheck_and_penalty(void **state)
{
    (void)state;
    static const int trunk[] = {4, 4}, outs[] = {3, 1};
    fx f;
    spec_make(&f.s, "sluice", 2, trunk, 2, outs);
    set_num(&f.s, "ortho", MT_TP_NUMBER, 0.5);
    fx_build(&f, 5, 6, 71);
    size_t n;
    const float *a = pval(&f, "sluice.1.alpha", &n);
    assert_int_equal(n, 16);
    NEAR(a[0], 0.9, 1e-7);
    NEAR(a[1], 0.1 / 3, 1e-7);
    const float *beta = pval(&f, "sluice.beta.b", &n);
    assert_int_equal(n, 2);
    NEAR(beta[0], 0.5, 0);
    assert_int_equal(pgroup(&f, "sluice.beta.b"), 2);
    assert_int_equal(pgroup(&f, "col.b.1.weight"), 0);
    expect_gradcheck(&f);
    expect_penalty_fd(&f, 2e-2);
    fx_free(&f);
    /* three subspaces of 6 units, three tasks */
    static const int trunk3[] = {6}, outs3[] = {2, 1, 2};
    spec_make(&f.s, "sluice", 3, trunk3, 1, outs3);
    set_num(&f.s, "subspaces", MT_TP_INT, 3);
    set_num(&f.s, "ortho", MT_TP_NUMBER, 0.3);
    fx_build(&f, 4, 5, 73);
    expect_gradcheck(&f);
    expect_penalty_fd(&f, 2e-2);
    fx_free(&f);
}

/* ortho * sum_{s<s'} |A_s A_s'^T|^2 written out; zero for orthogonal rows */
static void test_mtl_columns_sluice_ortho_by_hand(void **state)
{
    (void)state;
    static const int trunk[] = {4}, outs[] = {2, 2};
    fx f;
    spec_make(&f.s, "sluice", 2, trunk, 1, outs);
    set_num(&f.s, "ortho", MT_TP_NUMBER, 0.25);
    fx_build(&f, 3, 4, 81);
    double ref = 0, v, rel[2];
    for (int t = 0; t < 2; t++) {
        char nm[64];
        snprintf(nm, sizeof nm, "col.%s.0.weight", NAMES[t]);
        const float *W = pval(&f, nm, NULL); /* (4, 3): rows 0-1 subspace 1, rows 2-3 subspace 2 */
        double f2 = 0, na = 0, nb = 0;
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++) {
                double d = 0;
                for (int k = 0; k < 3; k++) d += (double)W[r * 3 + k] * W[(2 + c) * 3 + k];
                f2 += d * d;
            }
        for (int k = 0; k < 6; k++) {
            na += (double)W[k] * W[k];
            nb += (double)W[6 + k] * W[6 + k];
        }
        ref += f2;
        rel[t] = f2 / (na * nb);
    }
    assert_int_equal(hooks_of(&f)->penalty(f.b.state, f.g, graph_params(f.g), &v), MT_OK);
    NEAR(v, 0.25 * ref, 1e-6 * (1 + ref));
    pubs P = {0};
    hooks_of(&f)->publish(f.b.state, f.g, pub_cb, &P);
    const double *ov = pub_find(&P, "sluice subspace overlap", 2, 1);
    NEAR(ov[0], rel[0], 1e-6);
    NEAR(ov[1], rel[1], 1e-6);
    assert_true(rel[0] > 0 && rel[0] <= 1);
    /* subspace 1 spans e1, e2 and subspace 2 spans e3 in both columns */
    for (int t = 0; t < 2; t++) {
        char nm[64];
        snprintf(nm, sizeof nm, "col.%s.0.weight", NAMES[t]);
        float *W = pval(&f, nm, NULL);
        const float o[12] = {1, 2, 0, -3, 1, 0, 0, 0, 2, 0, 0, -1};
        memcpy(W, o, sizeof o);
    }
    assert_int_equal(hooks_of(&f)->penalty(f.b.state, f.g, graph_params(f.g), &v), MT_OK);
    NEAR(v, 0, 0);
    P.n = 0;
    hooks_of(&f)->publish(f.b.state, f.g, pub_cb, &P);
    NEAR(pub_find(&P, "sluice subspace overlap", 2, 1)[1], 0, 0);
    fx_free(&f);
}

/* alpha = I and beta one-hot on the last layer: independent networks; beta
 * (0.25, 0.75): the head reads 0.25 h1 + 0.75 h2 of those networks. */
static void test_mtl_columns_sluice_identity_is_independent(void **state)
{
    (void)state;
    static const int trunk[] = {4, 4}, outs[] = {3, 1};
    fx f;
    spec_make(&f.s, "sluice", 2, trunk, 2, outs);
    fx_build(&f, 5, 6, 91);
    for (int l = 0; l < 2; l++) {
        char nm[64];
        snprintf(nm, sizeof nm, "sluice.%d.alpha", l);
        float *a = pval(&f, nm, NULL);
        for (int k = 0; k < 16; k++) a[k] = k / 4 == k % 4;
    }
    for (int t = 0; t < 2; t++) {
        float *b = pval(&f, t ? "sluice.beta.b" : "sluice.beta.a", NULL);
        b[0] = 0;
        b[1] = 1;
    }
    mt_node rout[MT_MAX_TASKS], hid[MT_TOPO_MAXLAYERS][MT_MAX_TASKS];
    mt_graph *ref = independent_nets(&f, rout, hid);
    expect_same_outputs(&f, ref, rout);
    float *b = pval(&f, "sluice.beta.a", NULL);
    b[0] = 0.25f;
    b[1] = 0.75f;
    graph_forward(f.g, MT_EVAL);
    const float *h1 = graph_value(ref, hid[0][0]), *h2 = graph_value(ref, hid[1][0]);
    const float *Wo = pval(&f, "head.a.out.weight", NULL), *bo = pval(&f, "head.a.out.bias", NULL);
    const float *o = graph_value(f.g, f.b.out[0]);
    for (int r = 0; r < 6; r++)
        for (int c = 0; c < 3; c++) {
            double z = bo[c];
            for (int u = 0; u < 4; u++) z += Wo[c * 4 + u] * (0.25 * h1[r * 4 + u] + 0.75 * h2[r * 4 + u]);
            NEAR(o[r * 3 + c], z, 1e-5);
        }
    pubs P = {0};
    hooks_of(&f)->publish(f.b.state, f.g, pub_cb, &P);
    const double *B = pub_find(&P, "sluice beta", 2, 2);
    NEAR(B[0], 0.25, 1e-7);
    NEAR(B[3], 1, 0);
    const double *A = pub_find(&P, "sluice alpha L2", 4, 4);
    NEAR(A[5], 1, 0);
    NEAR(A[6], 0, 0);
    graph_free(ref);
    fx_free(&f);
}

static void test_mtl_columns_sluice_errors(void **state)
{
    (void)state;
    static const int outs[] = {2, 2};
    mt_topo_spec s;
    spec_make(&s, "sluice", 2, (int[]){4, 6}, 2, outs);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.trunk[2]"));
    assert_non_null(strstr(mt_last_error(), "same width"));
    spec_make(&s, "sluice", 2, (int[]){5}, 1, outs);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.subspaces: 2 does not divide the layer width 5"));
    spec_make(&s, "sluice", 2, (int[]){4}, 1, outs);
    s.task[1].attach = 1;
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "tasks[2].attach"));
}

/* ---- joint many-task model ---------------------------------------------------- */

static void test_mtl_columns_jmt_gradcheck(void **state)
{
    (void)state;
    static const int trunk[] = {4}, outs[] = {3, 1, 2};
    for (int emb = 0; emb < 2; emb++) {
        fx f;
        spec_make(&f.s, "jmt", 3, trunk, 1, outs);
        set_num(&f.s, "label_embed", MT_TP_BOOL, emb);
        set_num(&f.s, "embed", MT_TP_INT, 2);
        fx_build(&f, 5, 6, 101 + (unsigned)emb);
        expect_gradcheck(&f);
        /* level 2 reads input 5 + level 1 (4) + the label embedding of a (2) */
        mt_node w1 = graph_find(f.g, "jmt.1.weight");
        assert_int_equal(graph_cols(f.g, w1), 5 + 4 + (emb ? 2 : 0));
        /* level 3 embeds b's single output: softmax would be constant */
        if (emb) assert_int_equal(graph_cols(f.g, graph_find(f.g, "jmt.2.weight")), 5 + 4 + 2);
        assert_int_equal(pgroup(&f, "jmt.0.weight"), 0);
        assert_int_equal(pgroup(&f, "jmt.1.weight"), 0); /* tasks b and c */
        assert_int_equal(pgroup(&f, "jmt.2.weight"), 3); /* task c only */
        assert_int_equal(pgroup(&f, "head.a.out.weight"), emb ? 0 : 1);
        assert_int_equal(pgroup(&f, "head.b.out.weight"), emb ? 0 : 2); /* used by b and, embedded, by c */
        assert_int_equal(pgroup(&f, "head.c.out.weight"), 3);
        if (emb) assert_int_equal(pgroup(&f, "jmt.embed.b"), 3);
        fx_free(&f);
    }
}

/* Two levels recomputed by hand: h1 = tanh(W0 x + b0), oa = Wa h1 + ba,
 * e = softmax(oa) E, h2 = tanh(W1 [x, h1, e] + b1), ob = Wb h2 + bb. */
static void test_mtl_columns_jmt_forward_by_hand(void **state)
{
    (void)state;
    static const int trunk[] = {4, 3}, outs[] = {3, 2};
    fx f;
    spec_make(&f.s, "jmt", 2, trunk, 2, outs);
    set_num(&f.s, "label_embed", MT_TP_BOOL, 1);
    set_num(&f.s, "embed", MT_TP_INT, 2);
    fx_build(&f, 3, 4, 111);
    graph_forward(f.g, MT_EVAL);
    const float *x = graph_value(f.g, f.x);
    const float *W0 = pval(&f, "jmt.0.weight", NULL), *b0 = pval(&f, "jmt.0.bias", NULL);
    const float *Wa = pval(&f, "head.a.out.weight", NULL), *ba = pval(&f, "head.a.out.bias", NULL);
    const float *E = pval(&f, "jmt.embed.a", NULL);
    const float *W1 = pval(&f, "jmt.1.weight", NULL), *b1 = pval(&f, "jmt.1.bias", NULL);
    const float *Wb = pval(&f, "head.b.out.weight", NULL), *bb = pval(&f, "head.b.out.bias", NULL);
    for (int r = 0; r < 4; r++) {
        double in2[9], oa[3], pa[3], mx = -1e30, z = 0, ob;
        for (int k = 0; k < 3; k++) in2[k] = x[r * 3 + k];
        for (int u = 0; u < 4; u++) {
            double s = b0[u];
            for (int k = 0; k < 3; k++) s += (double)W0[u * 3 + k] * x[r * 3 + k];
            in2[3 + u] = tanh(s);
        }
        for (int c = 0; c < 3; c++) {
            oa[c] = ba[c];
            for (int u = 0; u < 4; u++) oa[c] += (double)Wa[c * 4 + u] * in2[3 + u];
            NEAR(graph_value(f.g, f.b.out[0])[r * 3 + c], oa[c], 1e-5);
            if (oa[c] > mx) mx = oa[c];
        }
        for (int c = 0; c < 3; c++) z += exp(oa[c] - mx);
        for (int c = 0; c < 3; c++) pa[c] = exp(oa[c] - mx) / z;
        for (int e = 0; e < 2; e++) {
            in2[7 + e] = 0;
            for (int c = 0; c < 3; c++) in2[7 + e] += pa[c] * E[c * 2 + e];
        }
        double h2[3];
        for (int u = 0; u < 3; u++) {
            double s = b1[u];
            for (int k = 0; k < 9; k++) s += (double)W1[u * 9 + k] * in2[k];
            h2[u] = tanh(s);
        }
        for (int c = 0; c < 2; c++) {
            ob = bb[c];
            for (int u = 0; u < 3; u++) ob += (double)Wb[c * 3 + u] * h2[u];
            NEAR(graph_value(f.g, f.b.out[1])[r * 2 + c], ob, 1e-5);
        }
    }
    fx_free(&f);
}

/* Successive regularisation: the anchor is the snapshot one step back; the
 * penalty covers the levels below the top and nothing else. */
static void test_mtl_columns_jmt_successive_regularisation(void **state)
{
    (void)state;
    static const int trunk[] = {4}, outs[] = {3, 2};
    fx f;
    spec_make(&f.s, "jmt", 2, trunk, 1, outs);
    set_num(&f.s, "label_embed", MT_TP_BOOL, 1);
    set_num(&f.s, "succ", MT_TP_NUMBER, 0.4);
    fx_build(&f, 3, 4, 121);
    mt_params *p = graph_params(f.g);
    const mt_topo_hooks *h = hooks_of(&f);
    double v;
    /* step 1: no anchor yet */
    assert_int_equal(h->penalty(f.b.state, f.g, p, &v), MT_OK);
    NEAR(v, 0, 0);
    float *before = malloc(p->total * sizeof(float));
    memcpy(before, p->data, p->total * sizeof(float));
    /* the "optimiser" moves every parameter */
    tu_fill(p->grad, p->total, 5, -0.1f, 0.1f);
    for (size_t i = 0; i < p->total; i++) p->data[i] += p->grad[i];
    assert_int_equal(h->after_step(f.b.state, f.g, p, 0.1, 1), MT_OK);
    /* step 2: the pull toward the values before step 1, lower levels only */
    double ref = 0;
    int lower = 0, upper = 0;
    for (int i = 0; i < p->count; i++) {
        const char *nm = p->info[i].name;
        int is_lower = strncmp(nm, "jmt.0.", 6) == 0 || strncmp(nm, "head.a.", 7) == 0 || strcmp(nm, "jmt.embed.a") == 0;
        lower += is_lower;
        upper += !is_lower;
        for (size_t q = 0; is_lower && q < p->info[i].size; q++) {
            double d = (double)p->data[p->info[i].offset + q] - before[p->info[i].offset + q];
            ref += d * d;
        }
    }
    assert_int_equal(lower, 5); /* jmt.0.{weight,bias}, head.a.out.{weight,bias}, jmt.embed.a */
    assert_true(upper >= 4);
    params_zero_grad(p);
    unsigned long a0 = mt_alloc_count();
    assert_int_equal(h->penalty(f.b.state, f.g, p, &v), MT_OK);
    assert_int_equal(mt_alloc_count(), a0);
    NEAR(v, 0.4 * ref, 1e-6 * (1 + ref));
    for (int i = 0; i < p->count; i++) {
        const char *nm = p->info[i].name;
        int is_lower = strncmp(nm, "jmt.0.", 6) == 0 || strncmp(nm, "head.a.", 7) == 0 || strcmp(nm, "jmt.embed.a") == 0;
        for (size_t q = 0; q < p->info[i].size; q++) {
            size_t o = p->info[i].offset + q;
            NEAR(p->grad[o], is_lower ? 0.8 * ((double)p->data[o] - before[o]) : 0.0, 1e-6);
        }
    }
    expect_penalty_fd(&f, 2e-2);
    /* another step: the anchor moves to the values after step 1 */
    memcpy(before, p->data, p->total * sizeof(float));
    for (size_t i = 0; i < p->total; i++) p->data[i] -= 0.05f;
    assert_int_equal(h->after_step(f.b.state, f.g, p, 0.1, 2), MT_OK);
    assert_int_equal(h->penalty(f.b.state, f.g, p, &v), MT_OK);
    size_t nlow = 0;
    for (int i = 0; i < p->count; i++) {
        const char *nm = p->info[i].name;
        if (strncmp(nm, "jmt.0.", 6) == 0 || strncmp(nm, "head.a.", 7) == 0 || strcmp(nm, "jmt.embed.a") == 0)
            nlow += p->info[i].size;
    }
    NEAR(v, 0.4 * 0.05 * 0.05 * (double)nlow, 1e-4 * v);
    free(before);
    fx_free(&f);
}

static void test_mtl_columns_jmt_levels_and_errors(void **state)
{
    (void)state;
    static const int outs[] = {2, 2, 2};
    mt_topo_spec s;
    spec_make(&s, "jmt", 3, (int[]){4}, 1, outs);
    set_list(&s, "levels", MT_TP_INTS, (double[]){1, 3, 3}, 3);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.levels: no task at level 2"));
    set_list(&s, "levels", MT_TP_INTS, (double[]){1, 2}, 2);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.levels: 2 entries for 3 tasks"));
    spec_make(&s, "jmt", 3, (int[]){4, 4}, 2, outs);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.trunk: 2 widths for 3 levels"));
    /* two tasks share the lower level */
    fx f;
    spec_make(&f.s, "jmt", 3, (int[]){4, 3}, 2, outs);
    set_list(&f.s, "levels", MT_TP_INTS, (double[]){1, 2, 1}, 3);
    fx_build(&f, 5, 4, 131);
    assert_int_equal(topo_jmt_level(&f.s, 2), 0);
    assert_int_equal(topo_jmt_level(&f.s, 1), 1);
    assert_int_equal(topo_jmt_level(&f.s, 3), -1);
    assert_int_equal(pgroup(&f, "jmt.1.weight"), 2);
    assert_int_equal(graph_cols(f.g, graph_find(f.g, "jmt.1.weight")), 5 + 4);
    expect_gradcheck(&f);
    fx_free(&f);
}

/* ---- tensor factorisation ------------------------------------------------------ */

static void test_mtl_columns_tensor_gradcheck(void **state)
{
    (void)state;
    static const int trunk[] = {4, 3}, outs[] = {3, 1, 2};
    for (int tt = 0; tt < 2; tt++) {
        fx f;
        spec_make(&f.s, "tensor", 3, trunk, 2, outs);
        set_num(&f.s, "method", MT_TP_CHOICE, tt);
        set_list(&f.s, "rank", MT_TP_INTS, (double[]){2}, 1);
        fx_build(&f, 5, 6, 141 + (unsigned)tt);
        expect_gradcheck(&f);
        assert_int_equal(pgroup(&f, tt ? "tensor.1.g1" : "tensor.1.u1"), 0);
        assert_int_equal(pgroup(&f, tt ? "tensor.0.g3.b" : "tensor.0.u3.b"), 2);
        assert_int_equal(pgroup(&f, "tensor.0.c.bias"), 3);
        fx_free(&f);
    }
}

/* Full-rank Tucker: W[i, o, t] = sum G[a, b, c] U1[i, a] U2[o, b] U3[t, c]
 * computed directly; the tensor train likewise. */
static void test_mtl_columns_tensor_reconstruction(void **state)
{
    (void)state;
    static const int trunk[] = {4}, outs[] = {2, 2};
    const int in = 3, out = 4, T = 2;
    for (int tt = 0; tt < 2; tt++) {
        fx f;
        spec_make(&f.s, "tensor", T, trunk, 1, outs);
        set_num(&f.s, "method", MT_TP_CHOICE, tt);
        set_list(&f.s, "rank", MT_TP_INTS, (double[]){99}, 1); /* capped at the modes */
        fx_build(&f, in, 3, 151);
        graph_forward(f.g, MT_EVAL);
        char nm[64];
        for (int t = 0; t < T; t++) {
            const float *W = graph_value(f.g, topo_tensor_weight(&f.b, 0, t)); /* (out, in) */
            assert_int_equal(graph_rows(f.g, topo_tensor_weight(&f.b, 0, t)), out);
            for (int i = 0; i < in; i++)
                for (int o = 0; o < out; o++) {
                    double ref = 0;
                    if (!tt) {
                        size_t n1, n2, nc, n3;
                        const float *U1 = pval(&f, "tensor.0.u1", &n1), *U2 = pval(&f, "tensor.0.u2", &n2);
                        const float *G = pval(&f, "tensor.0.core", &nc);
                        snprintf(nm, sizeof nm, "tensor.0.u3.%s", NAMES[t]);
                        const float *U3 = pval(&f, nm, &n3);
                        assert_int_equal(n1, in * in); /* r1 = 3 */
                        assert_int_equal(n2, out * out); /* r2 = 4 */
                        assert_int_equal(n3, T); /* r3 = 2 */
                        assert_int_equal(nc, in * out * T);
                        for (int a = 0; a < in; a++)
                            for (int b = 0; b < out; b++)
                                for (int c = 0; c < T; c++)
                                    ref += (double)G[a * (T * out) + c * out + b] * U1[i * in + a] * U2[o * out + b] * U3[c];
                    } else {
                        size_t n1, n2, n3;
                        const float *G1 = pval(&f, "tensor.0.g1", &n1), *G2 = pval(&f, "tensor.0.g2", &n2);
                        snprintf(nm, sizeof nm, "tensor.0.g3.%s", NAMES[t]);
                        const float *G3 = pval(&f, nm, &n3);
                        int r1 = (int)(n1 / in), r2 = (int)n3;
                        assert_int_equal(r1, in); /* min(in, out*T) */
                        assert_int_equal(r2, T);
                        assert_int_equal(n2, (size_t)r1 * r2 * out);
                        for (int a = 0; a < r1; a++)
                            for (int c = 0; c < r2; c++) ref += (double)G1[i * r1 + a] * G2[a * (r2 * out) + c * out + o] * G3[c];
                    }
                    NEAR(W[o * in + i], ref, 1e-5);
                }
        }
        assert_int_equal(topo_tensor_weight(&f.b, 1, 0), MT_NONE);
        assert_int_equal(topo_tensor_weight(&f.b, 0, 2), MT_NONE);
        fx_free(&f);
    }
    /* another class's state is not a tensor */
    fx f;
    spec_make(&f.s, "soft", 2, trunk, 1, outs);
    fx_build(&f, 3, 2, 153);
    assert_int_equal(topo_tensor_weight(&f.b, 0, 0), MT_NONE);
    fx_free(&f);
    mt_topo_spec s;
    spec_make(&s, "tensor", 2, trunk, 1, outs);
    set_list(&s, "rank", MT_TP_INTS, (double[]){2, 2}, 2);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.rank: 2 entries; tucker takes one number or 3"));
}

/* ---- every class ------------------------------------------------------------ */

static void test_mtl_columns_describe(void **state)
{
    (void)state;
    const char *types[] = {"soft", "cross_stitch", "sluice", "jmt", "tensor"};
    const char *expect[] = {"pulled together", "[X] stitch", "alpha 4x4", "label emb", "core (2,2,2)"};
    static const int outs[] = {3, 2};
    for (int k = 0; k < 5; k++) {
        mt_topo_spec s;
        spec_make(&s, types[k], 2, (int[]){4, 4}, k == 3 ? 2 : 2, outs);
        s.task[1].aux = 1;
        if (k == 3) set_num(&s, "label_embed", MT_TP_BOOL, 1);
        if (k == 4) set_list(&s, "rank", MT_TP_INTS, (double[]){2}, 1);
        assert_int_equal(topo_validate(&s), MT_OK);
        char buf[4096];
        size_t n = topo_describe(&s, 20, buf, sizeof buf);
        assert_int_equal(n, strlen(buf));
        assert_non_null(strstr(buf, expect[k]));
        assert_non_null(strstr(buf, "b (aux)"));
        assert_non_null(strstr(buf, "input 20"));
        for (const char *line = buf; *line;) {
            const char *e = strchr(line, '\n');
            size_t len = e ? (size_t)(e - line) : strlen(line);
            if (len > 70) fprintf(stderr, "%s: line too long: %.*s\n", types[k], (int)len, line);
            assert_true(len <= 70);
            line += len + (e ? 1 : 0);
        }
        /* truncation is safe */
        char small[16];
        topo_describe(&s, 20, small, sizeof small);
        assert_true(strlen(small) < sizeof small);
        assert_non_null(topo_find(types[k])->summary);
    }
}

/* Parameter counts by group agree with the documented shapes. */
static void test_mtl_columns_param_counts(void **state)
{
    (void)state;
    static const int outs[] = {2, 1};
    fx f;
    spec_make(&f.s, "tensor", 2, (int[]){4}, 1, outs);
    set_list(&f.s, "rank", MT_TP_INTS, (double[]){2, 3, 1}, 3);
    fx_build(&f, 5, 2, 161);
    topo_count_params(f.g, &f.s, &f.b);
    /* shared: u1 5x2, u2 4x3, core 2x(1*3); task: u3 1, bias 4, head (2 or 1)x4 + bias */
    assert_int_equal(f.b.n_shared, 10 + 12 + 6);
    assert_int_equal(f.b.n_task[0], 1 + 4 + 8 + 2);
    assert_int_equal(f.b.n_task[1], 1 + 4 + 4 + 1);
    assert_int_equal(f.b.shared_weight, graph_param_index(f.g, graph_find(f.g, "tensor.0.u1")));
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_columns_soft_gradcheck_and_penalty),
        cmocka_unit_test(test_mtl_columns_soft_closed_forms),
        cmocka_unit_test(test_mtl_columns_soft_errors),
        cmocka_unit_test(test_mtl_columns_stitch_gradcheck),
        cmocka_unit_test(test_mtl_columns_stitch_identity_is_independent),
        cmocka_unit_test(test_mtl_columns_stitch_mix_by_hand),
        cmocka_unit_test(test_mtl_columns_stitch_groups_and_errors),
        cmocka_unit_test(test_mtl_columns_sluice_gradcheck_and_penalty),
        cmocka_unit_test(test_mtl_columns_sluice_ortho_by_hand),
        cmocka_unit_test(test_mtl_columns_sluice_identity_is_independent),
        cmocka_unit_test(test_mtl_columns_sluice_errors),
        cmocka_unit_test(test_mtl_columns_jmt_gradcheck),
        cmocka_unit_test(test_mtl_columns_jmt_forward_by_hand),
        cmocka_unit_test(test_mtl_columns_jmt_successive_regularisation),
        cmocka_unit_test(test_mtl_columns_jmt_levels_and_errors),
        cmocka_unit_test(test_mtl_columns_tensor_gradcheck),
        cmocka_unit_test(test_mtl_columns_tensor_reconstruction),
        cmocka_unit_test(test_mtl_columns_describe),
        cmocka_unit_test(test_mtl_columns_param_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
