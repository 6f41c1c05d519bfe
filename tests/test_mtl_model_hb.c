/* test_mtl_model_hb.c - the hierarchical Bayesian linear model: each
 * task's posterior and marginal likelihood against a dense computation
 * with explicit inverses, EM's objective never decreasing (full, diagonal
 * and isotropic priors, mixtures, shared noise, collinear inputs, tasks
 * with fewer examples than weights or none), the fixed point being a
 * maximum, the exact leave-one-out against refits, the prior mean and
 * the mixture recovering what generated the tasks. */
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
#include "mtl/model_hb.h"
#include "model_testutil.h"

#define MAXN 400
#define MAXD 6

typedef struct {
    int n, T, d0;
    double X[MAXN * MAXD], y[MAXN];
    int task[MAXN];
    double w[16 * MAXD]; /* the true weights (T, d0 + 1), the last the intercept */
} problem;

/* Task t has weights centre[c(t)] + spread * N(0, I) (intercept included),
 * counts[t] examples x ~ N(0, I), noise std `noise`. */
static void make_problem(problem *p, int T, int d0, const int *counts, const double *centres, const int *cluster,
                         double spread, double noise, uint64_t seed)
{
    mt_rng r;
    mt_rng_init(&r, seed, 5);
    p->T = T, p->d0 = d0, p->n = 0;
    int d = d0 + 1;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < d; i++) p->w[t * d + i] = centres[cluster[t] * d + i] + spread * mt_rng_normal(&r);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < counts[t]; k++) {
            double *x = p->X + (size_t)p->n * d0, f = p->w[t * d + d0];
            for (int i = 0; i < d0; i++) x[i] = mt_rng_normal(&r), f += p->w[t * d + i] * x[i];
            p->y[p->n] = f + noise * mt_rng_normal(&r);
            p->task[p->n++] = t;
        }
}

static const int ZERO[16] = {0};

/* Set a prior and noise by hand, run the E-step, and compare each task's
 * posterior and log marginal likelihood with the textbook formulas
 * computed densely: S = (Sigma^-1 + X^T X / s2)^-1, m = S (Sigma^-1 mu +
 * X^T y / s2), y_t ~ N(X mu, X Sigma X^T + s2 I). */
static void test_mtl_model_hb_posterior_dense(void **state)
{
    (void)state;
    problem p;
    const int counts[3] = {6, 2, 9}; /* task 2 has fewer examples than weights */
    const double centre[3] = {1, -2, 0.5};
    make_problem(&p, 3, 2, counts, centre, ZERO, 0.3, 0.2, 1);
    hb_config c = {.T = 3, .K = 1, .cov = HB_COV_FULL, .bias = 1, .psi = 1e-3, .a = 1};
    mt_hb *h;
    assert_int_equal(hb_new(&c, p.X, p.y, p.task, p.n, 2, 1, &h), MT_OK);
    const int d = 3;
    double mu[3] = {0.4, -1.0, 0.2}, Sig[9] = {1.0, 0.3, -0.2, 0.3, 0.8, 0.1, -0.2, 0.1, 0.5}, Si[9];
    hb_set_prior(h, 0, mu, Sig, 1);
    const double noise[3] = {0.05, 0.3, 0.1};
    for (int t = 0; t < 3; t++) hb_set_noise_var(h, t, noise[t]);
    assert_int_equal(hb_estep(h), MT_OK);
    assert_int_equal(dense_inverse(Sig, d, Si), 0);
    double ll = 0;
    for (int t = 0, off = 0; t < 3; off += counts[t], t++) {
        int n = counts[t];
        double P[9], Pi[9], rhs[3], m[3];
        for (int i = 0; i < 9; i++) P[i] = Si[i];
        dense_matvec(Si, d, d, mu, rhs);
        for (int k = 0; k < n; k++) {
            double x[3] = {p.X[(off + k) * 2], p.X[(off + k) * 2 + 1], 1};
            for (int i = 0; i < d; i++) {
                rhs[i] += x[i] * p.y[off + k] / noise[t];
                for (int j = 0; j < d; j++) P[i * d + j] += x[i] * x[j] / noise[t];
            }
        }
        assert_int_equal(dense_inverse(P, d, Pi), 0);
        dense_matvec(Pi, d, d, rhs, m);
        double got[3], cov[9];
        hb_posterior(h, t, got, cov);
        for (int i = 0; i < d; i++) NEAR_REL(got[i], m[i], 1e-10);
        for (int i = 0; i < 9; i++) NEAR(cov[i], Pi[i], 1e-10);
        /* y_t's marginal: C = X Sigma X^T + s2 I (n x n) */
        double C[MAXN], Ci[MAXN], r[20], a[20];
        for (int i = 0; i < n; i++) {
            double xi[3] = {p.X[(off + i) * 2], p.X[(off + i) * 2 + 1], 1}, v[3];
            dense_matvec(Sig, d, d, xi, v);
            r[i] = p.y[off + i] - (mu[0] * xi[0] + mu[1] * xi[1] + mu[2]);
            for (int j = 0; j < n; j++) {
                double xj[3] = {p.X[(off + j) * 2], p.X[(off + j) * 2 + 1], 1};
                C[i * n + j] = v[0] * xj[0] + v[1] * xj[1] + v[2] * xj[2] + (i == j ? noise[t] : 0);
            }
        }
        assert_int_equal(dense_inverse(C, n, Ci), 0);
        dense_matvec(Ci, n, n, r, a);
        double quad = 0;
        for (int i = 0; i < n; i++) quad += r[i] * a[i];
        ll += -0.5 * (n * log(2 * M_PI) + dense_logdet(C, n) + quad);
    }
    NEAR_REL(hb_loglik(h), ll, 1e-11);
    /* the objective adds -a/2 log|Sigma| - psi/2 tr(Sigma^-1) */
    NEAR_REL(hb_objective(h), ll - 0.5 * dense_logdet(Sig, d) - 0.5 * 1e-3 * (Si[0] + Si[4] + Si[8]), 1e-11);
    /* predictions: x^T m and x^T S x */
    double xs[4] = {0.3, -1.2, 2.0, 0.5}, mean[2], var[2], m[3], cov[9];
    hb_posterior(h, 1, m, cov);
    assert_int_equal(hb_predict(h, 1, xs, 2, mean, var), MT_OK);
    for (int q = 0; q < 2; q++) {
        double x[3] = {xs[2 * q], xs[2 * q + 1], 1}, v[3];
        dense_matvec(cov, d, d, x, v);
        NEAR_REL(mean[q], m[0] * x[0] + m[1] * x[1] + m[2], 1e-12);
        NEAR_REL(var[q], v[0] * x[0] + v[1] * x[1] + v[2] * x[2], 1e-12);
    }
    hb_free(h);
}

/* Runs EM for `steps` iterations and fails if the objective ever drops by
 * more than rounding (1e-9 relative). Returns the final objective. */
static double em_monotone(mt_hb *h, int steps, const char *what)
{
    double prev = hb_objective(h), obj = prev;
    for (int s = 0; s < steps; s++) {
        assert_int_equal(hb_em_step(h, &obj), MT_OK);
        if (obj < prev - 1e-9 * fmax(1, fabs(prev)))
            fail_msg("%s: EM step %d lowered the objective from %.15g to %.15g", what, s + 1, prev, obj);
        prev = obj;
    }
    return obj;
}

static void test_mtl_model_hb_em_monotone(void **state)
{
    (void)state;
    problem p;
    const int counts[6] = {30, 4, 25, 0, 12, 18};
    const double centres[8] = {2, -1, 0.5, 1, -2, 1, 0, -1};
    const int cl[6] = {0, 0, 0, 1, 1, 1};
    make_problem(&p, 6, 3, counts, centres, cl, 0.2, 0.3, 2);
    const char *names[3] = {"full", "diag", "iso"};
    for (int cov = 0; cov < 3; cov++)
        for (int K = 1; K <= 3; K++)
            for (int shared = 0; shared <= 1; shared++) {
                hb_config c = {.T = 6, .K = K, .cov = (hb_cov)cov, .shared_noise = shared, .bias = 1, .psi = 1e-4, .a = 1};
                mt_hb *h;
                assert_int_equal(hb_new(&c, p.X, p.y, p.task, p.n, 3, 3, &h), MT_OK);
                char what[64];
                snprintf(what, sizeof what, "%s K=%d shared=%d", names[cov], K, shared);
                em_monotone(h, 150, what);
                hb_free(h);
            }
    /* nearly collinear inputs: x2 = x1 + 1e-6 noise (X^T X condition ~1e12) */
    for (int i = 0; i < p.n; i++) p.X[i * 3 + 1] = p.X[i * 3] + 1e-6 * sin(17.0 * i);
    hb_config c = {.T = 6, .K = 2, .cov = HB_COV_FULL, .bias = 1, .psi = 1e-4, .a = 1};
    mt_hb *h;
    assert_int_equal(hb_new(&c, p.X, p.y, p.task, p.n, 3, 4, &h), MT_OK);
    em_monotone(h, 150, "collinear");
    hb_free(h);
}

/* At EM's fixed point the objective is at a maximum: moving the prior
 * mean or a noise variance a little either way does not raise it. */
static void test_mtl_model_hb_fixed_point_is_maximum(void **state)
{
    (void)state;
    problem p;
    const int counts[5] = {20, 15, 25, 10, 30};
    const double centre[3] = {1.5, -0.5, 2};
    make_problem(&p, 5, 2, counts, centre, ZERO, 0.4, 0.5, 3);
    hb_config c = {.T = 5, .K = 1, .cov = HB_COV_FULL, .bias = 1, .psi = 1e-3, .a = 1};
    mt_hb *h;
    assert_int_equal(hb_new(&c, p.X, p.y, p.task, p.n, 2, 1, &h), MT_OK);
    double best = em_monotone(h, 3000, "to convergence");
    double mu[3], Sig[9];
    memcpy(mu, hb_prior_mean(h, 0), sizeof mu);
    memcpy(Sig, hb_prior_cov(h, 0), sizeof Sig);
    for (int i = 0; i < 3; i++)
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double m2[3] = {mu[0], mu[1], mu[2]};
            m2[i] += sgn * 1e-3;
            hb_set_prior(h, 0, m2, Sig, 1);
            assert_int_equal(hb_estep(h), MT_OK);
            assert_true(hb_objective(h) <= best + 1e-9 * fabs(best));
        }
    hb_set_prior(h, 0, mu, Sig, 1);
    double v = hb_noise_var(h, 2);
    for (int sgn = -1; sgn <= 1; sgn += 2) {
        hb_set_noise_var(h, 2, v * (1 + sgn * 1e-3));
        assert_int_equal(hb_estep(h), MT_OK);
        assert_true(hb_objective(h) <= best + 1e-9 * fabs(best));
    }
    hb_free(h);
}

/* Leave-one-out: the formula against refitting the posterior mean without
 * the point (prior and noise held). */
static void test_mtl_model_hb_loo(void **state)
{
    (void)state;
    problem p;
    const int counts[2] = {8, 5};
    const double centre[2] = {1, 0.5};
    make_problem(&p, 2, 1, counts, centre, ZERO, 0.5, 0.3, 4);
    hb_config c = {.T = 2, .K = 1, .cov = HB_COV_FULL, .bias = 1, .psi = 1e-3, .a = 1};
    mt_hb *h;
    assert_int_equal(hb_new(&c, p.X, p.y, p.task, p.n, 1, 1, &h), MT_OK);
    for (int s = 0; s < 20; s++) assert_int_equal(hb_em_step(h, NULL), MT_OK);
    double loo[2], ref[2] = {0, 0}, Si[4], e[MAXN];
    hb_loo_residuals(h, e);
    task_mse(e, p.task, p.n, 2, loo);
    const double *mu = hb_prior_mean(h, 0);
    assert_int_equal(dense_inverse(hb_prior_cov(h, 0), 2, Si), 0);
    for (int i = 0; i < p.n; i++) {
        int t = p.task[i];
        double s2 = hb_noise_var(h, t), P[4], Pi[4] = {0}, rhs[2], m[2];
        memcpy(P, Si, sizeof P);
        dense_matvec(Si, 2, 2, mu, rhs);
        for (int j = 0; j < p.n; j++) {
            if (j == i || p.task[j] != t) continue;
            double x[2] = {p.X[j], 1};
            for (int a = 0; a < 2; a++) {
                rhs[a] += x[a] * p.y[j] / s2;
                for (int b = 0; b < 2; b++) P[a * 2 + b] += x[a] * x[b] / s2;
            }
        }
        assert_int_equal(dense_inverse(P, 2, Pi), 0);
        dense_matvec(Pi, 2, 2, rhs, m);
        double res = p.y[i] - (m[0] * p.X[i] + m[1]);
        ref[t] += res * res;
    }
    for (int t = 0; t < 2; t++) NEAR_REL(loo[t], ref[t] / counts[t], 1e-9);
    hb_free(h);
}

/* Many tasks around one weight vector: the learned prior mean approaches
 * it, closer than any single task's least-squares fit would be on average;
 * the mixture with K = 2 separates two well-apart clusters. */
static void test_mtl_model_hb_recovers_structure(void **state)
{
    (void)state;
    static problem p;
    int counts[12];
    for (int t = 0; t < 12; t++) counts[t] = 15;
    const double centre[3] = {1.0, -2.0, 0.5};
    make_problem(&p, 12, 2, counts, centre, ZERO, 0.2, 0.5, 5);
    hb_config c = {.T = 12, .K = 1, .cov = HB_COV_FULL, .bias = 1, .psi = 1e-4, .a = 1};
    mt_hb *h;
    assert_int_equal(hb_new(&c, p.X, p.y, p.task, p.n, 2, 1, &h), MT_OK);
    em_monotone(h, 300, "common weights");
    const double *mu = hb_prior_mean(h, 0);
    double err = sqrt((mu[0] - 1) * (mu[0] - 1) + (mu[1] + 2) * (mu[1] + 2) + (mu[2] - 0.5) * (mu[2] - 0.5));
    if (!(err < 0.25)) fail_msg("prior mean (%.3f, %.3f, %.3f), distance %.3f from the common weights", mu[0], mu[1], mu[2], err);
    hb_free(h);
    /* two clusters, (3, 3, 0) and (-3, -3, 0) */
    const double centres[6] = {3, 3, 0, -3, -3, 0};
    const int cl[12] = {0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1};
    make_problem(&p, 12, 2, counts, centres, cl, 0.3, 0.5, 6);
    hb_config c2 = {.T = 12, .K = 2, .cov = HB_COV_FULL, .bias = 1, .psi = 1e-4, .a = 1};
    assert_int_equal(hb_new(&c2, p.X, p.y, p.task, p.n, 2, 2, &h), MT_OK);
    em_monotone(h, 200, "two clusters");
    for (int s = 0; s < 12; s++)
        for (int t = 0; t < 12; t++) {
            double co = hb_resp(h, s, 0) * hb_resp(h, t, 0) + hb_resp(h, s, 1) * hb_resp(h, t, 1);
            if (cl[s] == cl[t]) assert_true(co > 0.99);
            else assert_true(co < 0.01);
        }
    NEAR(hb_prior_weight(h, 0) + hb_prior_weight(h, 1), 1, 1e-12);
    hb_free(h);
}

static void test_mtl_model_hb_bad_input(void **state)
{
    (void)state;
    double X[2] = {0, 1}, y[2] = {1, 2};
    int task[2] = {0, 1};
    mt_hb *h = NULL;
    hb_config c = {.T = 2, .K = 3, .cov = HB_COV_FULL, .bias = 1, .psi = 1e-3, .a = 1};
    assert_int_equal(hb_new(&c, X, y, task, 2, 1, 1, &h), MT_ERR_ARG); /* K > T */
    c.K = 1;
    c.psi = 0;
    assert_int_equal(hb_new(&c, X, y, task, 2, 1, 1, &h), MT_ERR_ARG);
    c.psi = 1e-3;
    y[1] = INFINITY;
    assert_int_equal(hb_new(&c, X, y, task, 2, 1, 1, &h), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "observation 2"));
    assert_null(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_model_hb_posterior_dense),
        cmocka_unit_test(test_mtl_model_hb_em_monotone),
        cmocka_unit_test(test_mtl_model_hb_fixed_point_is_maximum),
        cmocka_unit_test(test_mtl_model_hb_loo),
        cmocka_unit_test(test_mtl_model_hb_recovers_structure),
        cmocka_unit_test(test_mtl_model_hb_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
