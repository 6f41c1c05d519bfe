/* test_mtl_model_krr.c - multi-task kernel ridge regression: the dual
 * solution against an explicit inverse, B = I against independent kernel
 * ridge per task, B = 11^T against pooled kernel ridge, the
 * mean-regularised task kernel against the primal problem of Evgeniou &
 * Pontil solved directly, the exact leave-one-out against refits, and
 * the checks on B. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "mtl/model.h"
#include "mtl/model_krr.h"
#include "model_testutil.h"

#define MAXN 64

typedef struct {
    int n, T;
    double X[MAXN], y[MAXN];
    int task[MAXN];
} problem;

static void make_problem(problem *p, int T, const int *counts, uint64_t seed)
{
    p->T = T;
    p->n = toy_problem(T, counts, seed, p->X, p->y, p->task);
}

/* The same fit with an explicit inverse: alpha = (K + ridge I)^-1 (y - c). */
static void test_mtl_model_krr_dense(void **state)
{
    (void)state;
    problem p;
    const int counts[3] = {6, 4, 9};
    make_problem(&p, 3, counts, 2);
    double B[9] = {1, 0.6, 0.2, 0.6, 1.5, -0.3, 0.2, -0.3, 0.8};
    krr_config c = {.T = 3, .kernel = {.kind = MK_MATERN32, .var = 1.2, .ls = 0.7}, .ridge = 0.05, .center = 1};
    mt_krr *k;
    assert_int_equal(krr_fit(&c, B, p.X, p.y, p.task, p.n, 1, &k), MT_OK);
    int n = p.n;
    double S[MAXN * MAXN] = {0}, Si[MAXN * MAXN], r[MAXN], a[MAXN], cen[3] = {0, 0, 0};
    for (int i = 0; i < n; i++) cen[p.task[i]] += p.y[i] / counts[p.task[i]];
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) S[i * n + j] = B[p.task[i] * 3 + p.task[j]] * mk_eval(&c.kernel, &p.X[i], &p.X[j], 1);
        S[i * n + i] += c.ridge;
        r[i] = p.y[i] - cen[p.task[i]];
    }
    assert_int_equal(dense_inverse(S, n, Si), 0);
    dense_matvec(Si, n, n, r, a);
    for (int i = 0; i < n; i++) NEAR_REL(krr_alpha(k)[i], a[i], 1e-10);
    assert_true(krr_jitter(k) == 0);
    double xs[3] = {-2.2, 0.1, 1.4}, f[3];
    for (int t = 0; t < 3; t++) {
        assert_int_equal(krr_predict(k, t, xs, 3, f), MT_OK);
        for (int q = 0; q < 3; q++) {
            double s = cen[t];
            for (int i = 0; i < n; i++) s += a[i] * B[t * 3 + p.task[i]] * mk_eval(&c.kernel, &xs[q], &p.X[i], 1);
            NEAR_REL(f[q], s, 1e-10);
        }
    }
    /* leave-one-out against n refits without the point (same centring) */
    double loo[3], ref[3] = {0, 0, 0}, e[MAXN];
    krr_loo_residuals(k, e);
    task_mse(e, p.task, n, 3, loo);
    for (int i = 0; i < n; i++) {
        double S2[MAXN * MAXN], S2i[MAXN * MAXN], r2[MAXN], a2[MAXN];
        int idx[MAXN], m = 0;
        for (int j = 0; j < n; j++)
            if (j != i) idx[m++] = j;
        for (int u = 0; u < m; u++) {
            for (int v = 0; v < m; v++) S2[u * m + v] = S[idx[u] * n + idx[v]];
            r2[u] = r[idx[u]];
        }
        assert_int_equal(dense_inverse(S2, m, S2i), 0);
        dense_matvec(S2i, m, m, r2, a2);
        double pred = cen[p.task[i]];
        for (int u = 0; u < m; u++) pred += a2[u] * S[i * n + idx[u]];
        ref[p.task[i]] += (p.y[i] - pred) * (p.y[i] - pred);
    }
    for (int t = 0; t < 3; t++) NEAR_REL(loo[t], ref[t] / counts[t], 1e-9);
    krr_free(k);
}

/* One task's data alone. */
static int subset(const problem *p, int t, double *X, double *y, int *task)
{
    int n = 0;
    for (int i = 0; i < p->n; i++)
        if (p->task[i] == t) X[n] = p->X[i], y[n] = p->y[i], task[n] = 0, n++;
    return n;
}

static void test_mtl_model_krr_identity_is_independent(void **state)
{
    (void)state;
    problem p;
    const int counts[3] = {8, 5, 12};
    make_problem(&p, 3, counts, 3);
    double I[9];
    krr_mean_task_kernel(3, 0, I);
    for (int i = 0; i < 9; i++) assert_true(I[i] == (i % 4 == 0));
    krr_config c = {.T = 3, .kernel = {.kind = MK_RBF, .var = 1, .ls = 0.5}, .ridge = 0.1, .center = 1};
    mt_krr *k;
    assert_int_equal(krr_fit(&c, I, p.X, p.y, p.task, p.n, 1, &k), MT_OK);
    double loo[3], e[MAXN];
    krr_loo_residuals(k, e);
    task_mse(e, p.task, p.n, 3, loo);
    double xs[4] = {-1.9, -0.4, 0.8, 2.1};
    for (int t = 0; t < 3; t++) {
        double X[MAXN], y[MAXN], one = 1, f1[4], f2[4], l1;
        int task[MAXN], n = subset(&p, t, X, y, task);
        krr_config c1 = c;
        c1.T = 1;
        mt_krr *k1;
        assert_int_equal(krr_fit(&c1, &one, X, y, task, n, 1, &k1), MT_OK);
        assert_int_equal(krr_predict(k, t, xs, 4, f1), MT_OK);
        assert_int_equal(krr_predict(k1, 0, xs, 4, f2), MT_OK);
        for (int q = 0; q < 4; q++) NEAR_REL(f1[q], f2[q], 1e-11);
        double e1[MAXN];
        krr_loo_residuals(k1, e1);
        task_mse(e1, task, n, 1, &l1);
        NEAR_REL(loo[t], l1, 1e-10);
        krr_free(k1);
    }
    krr_free(k);
}

static void test_mtl_model_krr_ones_is_pooled(void **state)
{
    (void)state;
    problem p;
    const int counts[2] = {7, 10};
    make_problem(&p, 2, counts, 4);
    double ones[4] = {1, 1, 1, 1}, one = 1;
    int zero[MAXN] = {0};
    double xs[3] = {-1, 0.3, 1.7};
    for (int center = 0; center <= 1; center++) {
        krr_config c = {.T = 2, .kernel = {.kind = MK_LINEAR, .var = 0.8, .ls = 1.3}, .ridge = 0.2, .center = center};
        mt_krr *k, *pooled;
        assert_int_equal(krr_fit(&c, ones, p.X, p.y, p.task, p.n, 1, &k), MT_OK);
        /* pooled kernel ridge on the same (per-task centred, when centring) targets */
        double yc[MAXN], cen[2] = {0, 0};
        if (center)
            for (int i = 0; i < p.n; i++) cen[p.task[i]] += p.y[i] / counts[p.task[i]];
        for (int i = 0; i < p.n; i++) yc[i] = p.y[i] - cen[p.task[i]];
        krr_config c1 = c;
        c1.T = 1;
        c1.center = 0;
        assert_int_equal(krr_fit(&c1, &one, p.X, yc, zero, p.n, 1, &pooled), MT_OK);
        double g[3], f[3];
        assert_int_equal(krr_predict(pooled, 0, xs, 3, g), MT_OK);
        for (int t = 0; t < 2; t++) {
            assert_int_equal(krr_predict(k, t, xs, 3, f), MT_OK);
            for (int q = 0; q < 3; q++) NEAR_REL(f[q], g[q] + cen[t], 1e-11);
        }
        krr_free(k);
        krr_free(pooled);
    }
}

/* With the linear kernel var (1 + x x'/ls^2), i.e. features
 * z = sqrt(var) (1, x/ls), B(lambda) with ridge g is the primal
 *   min sum_i (y_i - c - (w_0 + v_s)^T z_i)^2 + g T/lambda |w_0|^2 + g/(1-lambda) sum_t |v_t|^2,
 * solved here by its normal equations and an explicit inverse. */
static void test_mtl_model_krr_mean_regularised_primal(void **state)
{
    (void)state;
    problem p;
    const int counts[3] = {5, 9, 6};
    make_problem(&p, 3, counts, 6);
    const int T = 3, P = 2, U = (T + 1) * P;
    const double lambdas[3] = {0.2, 0.5, 0.9};
    for (int li = 0; li < 3; li++) {
        double lam = lambdas[li], g = 0.3, B[9];
        krr_mean_task_kernel(T, lam, B);
        krr_config c = {.T = T, .kernel = {.kind = MK_LINEAR, .var = 1.5, .ls = 0.9}, .ridge = g, .center = 1};
        mt_krr *k;
        assert_int_equal(krr_fit(&c, B, p.X, p.y, p.task, p.n, 1, &k), MT_OK);
        double A[64] = {0}, Ai[64], b[8] = {0}, u[8], cen[3] = {0, 0, 0};
        for (int i = 0; i < p.n; i++) cen[p.task[i]] += p.y[i] / counts[p.task[i]];
        for (int i = 0; i < p.n; i++) {
            double phi[8] = {0}, z[2] = {sqrt(c.kernel.var), sqrt(c.kernel.var) * p.X[i] / c.kernel.ls};
            for (int q = 0; q < P; q++) phi[q] = z[q], phi[(1 + p.task[i]) * P + q] = z[q];
            for (int a = 0; a < U; a++) {
                b[a] += phi[a] * (p.y[i] - cen[p.task[i]]);
                for (int e = 0; e < U; e++) A[a * U + e] += phi[a] * phi[e];
            }
        }
        for (int a = 0; a < U; a++) A[a * U + a] += a < P ? g * T / lam : g / (1 - lam);
        assert_int_equal(dense_inverse(A, U, Ai), 0);
        dense_matvec(Ai, U, U, b, u);
        double xs[3] = {-1.5, 0.2, 2.0}, f[3];
        for (int t = 0; t < T; t++) {
            assert_int_equal(krr_predict(k, t, xs, 3, f), MT_OK);
            for (int q = 0; q < 3; q++) {
                double z[2] = {sqrt(c.kernel.var), sqrt(c.kernel.var) * xs[q] / c.kernel.ls}, s = cen[t];
                for (int e = 0; e < P; e++) s += (u[e] + u[(1 + t) * P + e]) * z[e];
                NEAR_REL(f[q], s, 1e-10);
            }
        }
        krr_free(k);
    }
}

static void test_mtl_model_krr_bad_B_and_ill_conditioned(void **state)
{
    (void)state;
    problem p;
    const int counts[2] = {4, 4};
    make_problem(&p, 2, counts, 7);
    krr_config c = {.T = 2, .kernel = {.kind = MK_RBF, .var = 1, .ls = 1}, .ridge = 0.1, .center = 1};
    mt_krr *k = NULL;
    double asym[4] = {1, 0.5, 0.4, 1}, indef[4] = {1, 2, 2, 1};
    assert_int_equal(krr_fit(&c, asym, p.X, p.y, p.task, p.n, 1, &k), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "not symmetric"));
    assert_int_equal(krr_fit(&c, indef, p.X, p.y, p.task, p.n, 1, &k), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "positive semi-definite"));
    assert_null(k);
    /* duplicated inputs with a ridge of 1e-14 against a kernel of scale 1e6:
     * singular to double precision, rescued by the jitter and reported */
    double X[6] = {0, 0, 0, 1, 1, 1}, y[6] = {1, 1.1, 0.9, 2, 2.1, 1.9}, ones[4] = {1, 1, 1, 1};
    int task[6] = {0, 0, 1, 0, 1, 1};
    krr_config tiny = {.T = 2, .kernel = {.kind = MK_RBF, .var = 1e6, .ls = 1}, .ridge = 1e-14, .center = 0};
    assert_int_equal(krr_fit(&tiny, ones, X, y, task, 6, 1, &k), MT_OK);
    assert_true(krr_jitter(k) > 0);
    double f[2], xs[2] = {0, 1};
    assert_int_equal(krr_predict(k, 0, xs, 2, f), MT_OK);
    /* the fit at the data is near the mean of the duplicates (pooled by B = 11^T) */
    NEAR(f[0], 1.0, 0.05);
    NEAR(f[1], 2.0, 0.05);
    krr_free(k);
}

/* The single-task baselines get each model's one-task form: a given B
 * becomes the task's diagonal entry, rank and clusters at most 1. */
static void test_mtl_model_single_task_params(void **state)
{
    (void)state;
    mt_topo_spec s;
    topo_spec_default(&s);
    for (int t = 0; t < 3; t++) s.task[t].out_dim = 1;
    snprintf(s.type, sizeof s.type, "krr");
    s.ntasks = 3;
    assert_int_equal(tparam_set_str(&s.params, "B", "1 .5 0; .5 2.5 .1; 0 .1 1"), MT_OK);
    assert_int_equal(topo_validate(&s), MT_OK);
    model_single_task(&s, 1, 3);
    s.ntasks = 1;
    assert_string_equal(tparam_str(&s.params, "B", ""), "2.5");
    assert_int_equal(topo_validate(&s), MT_OK);
    topo_spec_default(&s);
    s.task[0].out_dim = 1;
    snprintf(s.type, sizeof s.type, "gp");
    s.ntasks = 1;
    tparam_set_num(&s.params, "rank", MT_TP_INT, 3);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    model_single_task(&s, 0, 4);
    assert_true(tparam_num(&s.params, NULL, "rank") == 1);
    assert_int_equal(topo_validate(&s), MT_OK);
    topo_spec_default(&s);
    s.task[0].out_dim = 1;
    snprintf(s.type, sizeof s.type, "hier_bayes");
    s.ntasks = 1;
    tparam_set_num(&s.params, "clusters", MT_TP_INT, 2);
    model_single_task(&s, 0, 4);
    assert_true(tparam_num(&s.params, NULL, "clusters") == 1);
    assert_int_equal(topo_validate(&s), MT_OK);
    /* a network is left alone */
    topo_spec_default(&s);
    s.ntasks = 1;
    model_single_task(&s, 0, 2);
    assert_int_equal(s.params.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_model_krr_dense),
        cmocka_unit_test(test_mtl_model_krr_identity_is_independent),
        cmocka_unit_test(test_mtl_model_krr_ones_is_pooled),
        cmocka_unit_test(test_mtl_model_krr_mean_regularised_primal),
        cmocka_unit_test(test_mtl_model_krr_bad_B_and_ill_conditioned),
        cmocka_unit_test(test_mtl_model_single_task_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
