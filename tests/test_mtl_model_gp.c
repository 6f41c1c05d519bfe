/* test_mtl_model_gp.c - the covariance functions, the LAPACK-backed
 * positive-definite helpers and the multi-task GP (ICM): derivatives and
 * the log marginal likelihood's gradient against finite differences, the
 * posterior and the LML against a dense computation with an explicit
 * inverse, B = I against independent GPs, the exact leave-one-out
 * against refits, and the jitter policy on ill-conditioned inputs. */
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
#include "mtl/model_gp.h"
#include "mtl/model_kernel.h"
#include "docs_util.h"
#include "model_testutil.h"

/* ---- covariance functions ---------------------------------------------- */

/* The formulas by hand, in 1-D. */
static double hand_kernel(mk_kind kind, double var, double ls, double a, double b)
{
    double r = fabs(a - b);
    switch (kind) {
    case MK_RBF: return var * exp(-r * r / (2 * ls * ls));
    case MK_MATERN32: return var * (1 + sqrt(3) * r / ls) * exp(-sqrt(3) * r / ls);
    case MK_LINEAR: return var * (1 + a * b / (ls * ls));
    }
    return NAN;
}

static void test_mtl_model_kernel_values_and_derivatives(void **state)
{
    (void)state;
    const double pts[][2] = {{0.3, -1.1}, {2.0, 2.0}, {-0.7, 0.4}, {1e-9, 0}};
    for (int kind = MK_RBF; kind <= MK_LINEAR; kind++)
        for (size_t p = 0; p < sizeof pts / sizeof pts[0]; p++) {
            double a = pts[p][0], b = pts[p][1], ls = 0.8, h = 1e-6;
            mk_kernel k = {.kind = (mk_kind)kind, .var = 1.7, .ls = ls};
            double dls, v = mk_eval_dls(&k, &a, &b, 1, &dls);
            NEAR(v, hand_kernel((mk_kind)kind, 1.7, ls, a, b), 1e-14);
            double fd = (hand_kernel((mk_kind)kind, 1.7, ls * exp(h), a, b) -
                         hand_kernel((mk_kind)kind, 1.7, ls * exp(-h), a, b)) / (2 * h);
            NEAR(dls, fd, 1e-8);
        }
    /* in 3-D the distance is Euclidean */
    double a[3] = {1, 2, 3}, b[3] = {0, 0, 1};
    mk_kernel k = {.kind = MK_RBF, .var = 2, .ls = 1.5};
    NEAR(mk_eval(&k, a, b, 3), 2 * exp(-9.0 / (2 * 2.25)), 1e-14);
    double K[6];
    mk_gram(&k, a, 1, a, 2, 1, K); /* rows of 1-D points: 1 vs {1, 2} */
    NEAR(K[0], 2, 1e-15);
    NEAR(K[1], 2 * exp(-1.0 / 4.5), 1e-15);
}

/* ---- positive-definite helpers ------------------------------------------ */

static void test_mtl_model_cholesky_inverse_and_solve(void **state)
{
    (void)state;
    /* A = M M^T + I for a fixed M: well conditioned, known inverse by Gauss-Jordan */
    const int n = 5;
    double M[25], A[25], L[25], Ai[25], ref[25];
    mt_rng r;
    mt_rng_init(&r, 3, 1);
    for (int i = 0; i < 25; i++) M[i] = mt_rng_normal(&r);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = i == j;
            for (int k = 0; k < n; k++) s += M[i * n + k] * M[j * n + k];
            A[i * n + j] = s;
        }
    double jit = -1;
    assert_int_equal(mk_cholesky(A, n, L, &jit, "A"), MT_OK);
    assert_true(jit == 0);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += L[i * n + k] * L[j * n + k];
            NEAR(s, A[i * n + j], 1e-12);
            if (j > i) assert_true(L[i * n + j] == 0);
        }
    NEAR(mk_chol_logdet(L, n), dense_logdet(A, n), 1e-12);
    assert_int_equal(dense_inverse(A, n, ref), 0);
    assert_int_equal(mk_chol_inverse(L, n, Ai), MT_OK);
    for (int i = 0; i < 25; i++) NEAR(Ai[i], ref[i], 1e-12);
    /* solve with two right-hand sides */
    double B[10], X[10];
    for (int i = 0; i < 10; i++) B[i] = X[i] = mt_rng_normal(&r);
    mk_chol_solve(L, n, X, 2);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 2; c++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += ref[i * n + k] * B[k * 2 + c];
            NEAR(X[i * 2 + c], s, 1e-12);
        }
    /* in place (L aliases A) gives the same factor */
    double A2[25];
    memcpy(A2, A, sizeof A);
    assert_int_equal(mk_cholesky(A2, n, A2, NULL, "A"), MT_OK);
    for (int i = 0; i < 25; i++) NEAR(A2[i], L[i], 1e-15);
}

static void test_mtl_model_cholesky_jitter_policy(void **state)
{
    (void)state;
    /* rank 1: x x^T with x = (1, 2, 3) is singular; a jitter is needed and reported */
    double x[3] = {1, 2, 3}, A[9], L[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) A[i * 3 + j] = x[i] * x[j];
    double jit = 0;
    assert_int_equal(mk_cholesky(A, 3, L, &jit, "rank one"), MT_OK);
    double mean = 14.0 / 3;
    assert_true(jit > 0 && jit <= MK_JITTER_MAX * mean);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += L[i * 3 + k] * L[j * 3 + k];
            NEAR(s, A[i * 3 + j] + (i == j ? jit : 0), 1e-9 * mean);
        }
    /* a matrix no jitter up to the limit rescues: an error naming it */
    double N[4] = {1, 0, 0, -1};
    assert_int_equal(mk_cholesky(N, 2, L, NULL, "the test matrix"), MT_ERR_NUMERIC);
    assert_non_null(strstr(mt_last_error(), "the test matrix"));
    assert_non_null(strstr(mt_last_error(), "not positive definite"));
    double Z[4] = {0, 0, 0, 0};
    assert_int_equal(mk_cholesky(Z, 2, L, NULL, "zeros"), MT_ERR_NUMERIC);
}

static void test_mtl_model_adam_ascends(void **state)
{
    (void)state;
    /* f(x) = -(x0 - 3)^2 - (x1 + 1)^2: Adam climbs to (3, -1); a fixed entry stays */
    mk_adam a;
    assert_int_equal(mk_adam_init(&a, 3), MT_OK);
    mk_adam_cfg c = {.lr = 0.05, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    double th[3] = {0, 0, 5}, g[3];
    unsigned char fixed[3] = {0, 0, 1};
    for (int s = 0; s < 2000; s++) {
        g[0] = -2 * (th[0] - 3);
        g[1] = -2 * (th[1] + 1);
        g[2] = 1;
        mk_adam_ascend(&a, &c, th, g, fixed);
    }
    NEAR(th[0], 3, 1e-3);
    NEAR(th[1], -1, 1e-3);
    assert_true(th[2] == 5);
    mk_adam_free(&a);
}

/* ---- the GP ------------------------------------------------------------ */

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

/* Moves theta off its starting point so every gradient entry is exercised. */
static void perturb(mt_gp *g, uint64_t seed)
{
    mt_rng r;
    mt_rng_init(&r, seed, 11);
    double *th = gp_theta(g);
    for (int i = 0; i < gp_ntheta(g); i++) th[i] += 0.3 * mt_rng_normal(&r);
}

static void check_gradient(const problem *p, mk_kind kind, int rank, uint64_t seed)
{
    mt_gp *g;
    gp_config c = {.T = p->T, .rank = rank, .kernel = kind};
    assert_int_equal(gp_new(&c, p->X, p->y, p->task, p->n, 1, seed, &g), MT_OK);
    perturb(g, seed);
    int nt = gp_ntheta(g);
    double grad[64], lml;
    assert_true(nt <= 64);
    assert_int_equal(gp_lml(g, &lml, grad), MT_OK);
    double *th = gp_theta(g);
    for (int i = 0; i < nt; i++) {
        double h = 1e-5, keep = th[i], lp, lm;
        th[i] = keep + h;
        assert_int_equal(gp_lml(g, &lp, NULL), MT_OK);
        th[i] = keep - h;
        assert_int_equal(gp_lml(g, &lm, NULL), MT_OK);
        th[i] = keep;
        double fd = (lp - lm) / (2 * h);
        if (!(fabs(fd - grad[i]) <= 1e-6 * fmax(1, fabs(fd))))
            fail_msg("kernel %d rank %d: dLML/dtheta[%d] = %.10g, finite difference %.10g", kind, rank, i, grad[i], fd);
    }
    gp_free(g);
}

static void test_mtl_model_gp_gradient_finite_differences(void **state)
{
    (void)state;
    problem p;
    const int counts[3] = {5, 9, 7};
    make_problem(&p, 3, counts, 1);
    for (int kind = MK_RBF; kind <= MK_LINEAR; kind++)
        for (int rank = 0; rank <= 3; rank++) check_gradient(&p, (mk_kind)kind, rank, 10 + (uint64_t)rank);
    /* one task, and a task without any data (predicted through B only) */
    const int one[1] = {12}, empty[3] = {6, 0, 8};
    make_problem(&p, 1, one, 2);
    check_gradient(&p, MK_RBF, 1, 3);
    make_problem(&p, 3, empty, 3);
    check_gradient(&p, MK_MATERN32, 2, 4);
}

/* The dense reference in original units, with hand kernels:
 * Sigma = C[s_i, s_j] k1(x_i, x_j) + diag(noise), r = y - mu. */
typedef struct {
    double S[MAXN * MAXN], Si[MAXN * MAXN], r[MAXN], C[16], mu[4], noise[4], ls;
    mk_kind kind;
} dense_ref;

static void dense_build(dense_ref *d, mt_gp *g, const problem *p, mk_kind kind)
{
    int n = p->n, T = p->T;
    gp_task_cov(g, d->C);
    mk_kernel k = gp_kernel(g);
    d->ls = k.ls;
    d->kind = kind;
    for (int t = 0; t < T; t++) d->mu[t] = gp_task_mean(g, t), d->noise[t] = gp_noise_var(g, t);
    /* gp_task_cov includes var: divide k by it, i.e. use the unit-variance kernel */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            d->S[i * n + j] = d->C[p->task[i] * T + p->task[j]] * hand_kernel(kind, 1, d->ls, p->X[i], p->X[j]);
        d->S[i * n + i] += d->noise[p->task[i]];
        d->r[i] = p->y[i] - d->mu[p->task[i]];
    }
    assert_int_equal(dense_inverse(d->S, n, d->Si), 0);
}

static void test_mtl_model_gp_posterior_dense(void **state)
{
    (void)state;
    problem p;
    const int counts[3] = {4, 10, 6};
    make_problem(&p, 3, counts, 5);
    for (int kind = MK_RBF; kind <= MK_LINEAR; kind++) {
        mt_gp *g;
        gp_config c = {.T = 3, .rank = 2, .kernel = (mk_kind)kind};
        assert_int_equal(gp_new(&c, p.X, p.y, p.task, p.n, 1, 9, &g), MT_OK);
        perturb(g, 21);
        dense_ref d;
        dense_build(&d, g, &p, (mk_kind)kind);
        int n = p.n;
        /* the LML */
        double a[MAXN], lml, quad = 0;
        dense_matvec(d.Si, n, n, d.r, a);
        for (int i = 0; i < n; i++) quad += d.r[i] * a[i];
        assert_int_equal(gp_lml(g, &lml, NULL), MT_OK);
        NEAR_REL(lml, -0.5 * quad - 0.5 * dense_logdet(d.S, n) - 0.5 * n * log(2 * M_PI), 1e-10);
        assert_true(gp_jitter(g) == 0);
        /* the posterior of every task at points inside and outside the data */
        double xs[5] = {-3, -1.2, 0, 0.7, 2.5}, mean[5], var[5];
        for (int t = 0; t < 3; t++) {
            assert_int_equal(gp_predict(g, t, xs, 5, mean, var), MT_OK);
            for (int q = 0; q < 5; q++) {
                double ks[MAXN], v[MAXN];
                for (int i = 0; i < n; i++) ks[i] = d.C[t * 3 + p.task[i]] * hand_kernel((mk_kind)kind, 1, d.ls, xs[q], p.X[i]);
                dense_matvec(d.Si, n, n, ks, v);
                double m = d.mu[t], s = d.C[t * 3 + t] * hand_kernel((mk_kind)kind, 1, d.ls, xs[q], xs[q]);
                for (int i = 0; i < n; i++) m += ks[i] * a[i], s -= ks[i] * v[i];
                NEAR_REL(mean[q], m, 1e-10);
                NEAR(var[q], s, 1e-10 * fmax(1, d.C[t * 3 + t]));
            }
        }
        /* the leave-one-out errors against n refits (theta held) */
        double loo[3], ref[3] = {0, 0, 0}, e[MAXN];
        assert_int_equal(gp_loo_residuals(g, e), MT_OK);
        task_mse(e, p.task, n, 3, loo);
        for (int i = 0; i < n; i++) {
            /* Sigma without row and column i */
            double S[MAXN * MAXN], Si[MAXN * MAXN], ks[MAXN], rr[MAXN], w[MAXN];
            int m = 0, idx[MAXN];
            for (int j = 0; j < n; j++)
                if (j != i) idx[m++] = j;
            for (int u = 0; u < m; u++) {
                for (int v2 = 0; v2 < m; v2++) S[u * m + v2] = d.S[idx[u] * n + idx[v2]];
                ks[u] = d.S[i * n + idx[u]];
                rr[u] = d.r[idx[u]];
            }
            assert_int_equal(dense_inverse(S, m, Si), 0);
            dense_matvec(Si, m, m, rr, w);
            double pred = d.mu[p.task[i]];
            for (int u = 0; u < m; u++) pred += ks[u] * w[u];
            ref[p.task[i]] += (p.y[i] - pred) * (p.y[i] - pred);
        }
        for (int t = 0; t < 3; t++) NEAR_REL(loo[t], ref[t] / counts[t], 1e-9);
        gp_free(g);
    }
}

/* B held at I (rank 0, kappa = 1 fixed): the LML is the sum of the tasks'
 * and the posteriors are those of independent GPs with the same kernel. */
static void test_mtl_model_gp_identity_B_is_independent(void **state)
{
    (void)state;
    problem p;
    const int counts[3] = {7, 3, 11};
    make_problem(&p, 3, counts, 8);
    mt_gp *g, *single[3];
    gp_config c = {.T = 3, .rank = 0, .kernel = MK_MATERN32, .fixed = GP_FIX_B | GP_FIX_KERNEL};
    assert_int_equal(gp_new(&c, p.X, p.y, p.task, p.n, 1, 1, &g), MT_OK);
    double *th = gp_theta(g);
    th[0] = log(1.3);
    th[1] = log(0.6);
    for (int t = 0; t < 3; t++) assert_true(th[gp_th_kappa(g, t)] == 0); /* B = I */
    double lml_sum = 0;
    for (int t = 0; t < 3; t++) {
        double X[MAXN], y[MAXN];
        int task[MAXN], n = 0;
        for (int i = 0; i < p.n; i++)
            if (p.task[i] == t) X[n] = p.X[i], y[n] = p.y[i], task[n] = 0, n++;
        gp_config c1 = {.T = 1, .rank = 0, .kernel = MK_MATERN32, .fixed = GP_FIX_B | GP_FIX_KERNEL};
        assert_int_equal(gp_new(&c1, X, y, task, n, 1, 1, &single[t]), MT_OK);
        double *s = gp_theta(single[t]);
        s[0] = th[0];
        s[1] = th[1];
    }
    /* learning noise and means only: the problems separate, so Adam moves
     * each task's parameters exactly as in its own GP */
    mk_adam am, as[3];
    mk_adam_cfg ac = {.lr = 0.05, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    assert_int_equal(mk_adam_init(&am, gp_ntheta(g)), MT_OK);
    for (int t = 0; t < 3; t++) assert_int_equal(mk_adam_init(&as[t], gp_ntheta(single[t])), MT_OK);
    for (int step = 0; step < 30; step++) {
        assert_int_equal(gp_step(g, &am, &ac, NULL), MT_OK);
        for (int t = 0; t < 3; t++) assert_int_equal(gp_step(single[t], &as[t], &ac, NULL), MT_OK);
    }
    double lml;
    assert_int_equal(gp_lml(g, &lml, NULL), MT_OK);
    double xs[4] = {-2.5, -0.3, 0.2, 1.9};
    for (int t = 0; t < 3; t++) {
        double l1;
        assert_int_equal(gp_lml(single[t], &l1, NULL), MT_OK);
        lml_sum += l1;
        NEAR_REL(gp_noise_var(g, t), gp_noise_var(single[t], 0), 1e-12);
        NEAR_REL(gp_task_mean(g, t), gp_task_mean(single[t], 0), 1e-12);
        double m1[4], v1[4], m2[4], v2[4];
        assert_int_equal(gp_predict(g, t, xs, 4, m1, v1), MT_OK);
        assert_int_equal(gp_predict(single[t], 0, xs, 4, m2, v2), MT_OK);
        for (int q = 0; q < 4; q++) {
            NEAR_REL(m1[q], m2[q], 1e-10);
            NEAR_REL(v1[q], v2[q], 1e-10);
        }
        gp_free(single[t]);
        mk_adam_free(&as[t]);
    }
    NEAR_REL(lml, lml_sum, 1e-10);
    mk_adam_free(&am);
    gp_free(g);
}

/* Adam on the LML: the likelihood rises, and a two-task family with
 * strongly correlated tasks learns a strongly correlated B. */
static void test_mtl_model_gp_learning_raises_lml(void **state)
{
    (void)state;
    problem p;
    const int counts[2] = {20, 20};
    make_problem(&p, 2, counts, 4); /* both tasks are scaled copies of sin(1.5x) */
    mt_gp *g;
    gp_config c = {.T = 2, .rank = 1, .kernel = MK_RBF};
    assert_int_equal(gp_new(&c, p.X, p.y, p.task, p.n, 1, 2, &g), MT_OK);
    mk_adam a;
    mk_adam_cfg ac = {.lr = 0.05, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    assert_int_equal(mk_adam_init(&a, gp_ntheta(g)), MT_OK);
    double first = 0, last = 0;
    for (int s = 0; s < 300; s++) assert_int_equal(gp_step(g, &a, &ac, s == 0 ? &first : NULL), MT_OK);
    assert_int_equal(gp_lml(g, &last, NULL), MT_OK);
    assert_true(last > first + 10);
    double B[4];
    gp_task_B(g, B);
    double corr = B[1] / sqrt(B[0] * B[3]);
    if (!(corr > 0.9)) fail_msg("learned task correlation %.3f", corr);
    mk_adam_free(&a);
    gp_free(g);
}

/* Nearly duplicated inputs (1e-9 apart) with the noise at its floor and a
 * huge signal variance: the covariance is numerically singular, the
 * jitter policy rescues it, and the gradient still matches finite
 * differences (of the jittered likelihood) where the problem is merely
 * ill-conditioned. */
static void test_mtl_model_gp_ill_conditioned(void **state)
{
    (void)state;
    double X[8], y[8];
    int task[8];
    for (int i = 0; i < 8; i++) {
        X[i] = (i / 2) * 0.5 + (i % 2) * 1e-9; /* pairs of near-duplicates within a task */
        y[i] = sin(X[i]) + (i % 2) * 1e-3;
        task[i] = (i / 4) % 2;
    }
    mt_gp *g;
    gp_config c = {.T = 2, .rank = 1, .kernel = MK_RBF};
    assert_int_equal(gp_new(&c, X, y, task, 8, 1, 1, &g), MT_OK);
    double *th = gp_theta(g);
    th[0] = log(1e12);
    for (int t = 0; t < 2; t++) th[gp_th_noise(g, t)] = -60; /* at the floor 1e-6 */
    double lml, mean[3], var[3], xs[3] = {0.25, 1.0, 3.0};
    assert_int_equal(gp_lml(g, &lml, NULL), MT_OK);
    assert_true(isfinite(lml));
    assert_true(gp_jitter(g) > 0);
    assert_int_equal(gp_predict(g, 0, xs, 3, mean, var), MT_OK);
    for (int q = 0; q < 3; q++) assert_true(isfinite(mean[q]) && var[q] >= 0);
    /* variance 1 against noise 1e-5 at the same near-duplicates (condition
     * number about 1e5): no jitter, and the gradient is still exact */
    problem p = {.n = 8, .T = 2};
    memcpy(p.X, X, sizeof X);
    memcpy(p.y, y, sizeof y);
    memcpy(p.task, task, sizeof task);
    gp_free(g);
    mt_gp *h;
    assert_int_equal(gp_new(&c, p.X, p.y, p.task, p.n, 1, 1, &h), MT_OK);
    double *t2 = gp_theta(h);
    for (int t = 0; t < 2; t++) t2[gp_th_noise(h, t)] = log(1e-5);
    double grad[16], base;
    assert_int_equal(gp_lml(h, &base, grad), MT_OK);
    assert_true(gp_jitter(h) == 0);
    for (int i = 0; i < gp_ntheta(h); i++) {
        double e = 1e-6, keep = t2[i], lp, lm;
        t2[i] = keep + e;
        assert_int_equal(gp_lml(h, &lp, NULL), MT_OK);
        t2[i] = keep - e;
        assert_int_equal(gp_lml(h, &lm, NULL), MT_OK);
        t2[i] = keep;
        double fd = (lp - lm) / (2 * e);
        if (!(fabs(fd - grad[i]) <= 1e-4 * fmax(1, fabs(fd))))
            fail_msg("ill-conditioned: dLML/dtheta[%d] = %.10g, finite difference %.10g", i, grad[i], fd);
    }
    gp_free(h);
}

static void test_mtl_model_gp_bad_input(void **state)
{
    (void)state;
    double X[2] = {0, 1}, y[2] = {0, NAN};
    int task[2] = {0, 3};
    mt_gp *g = NULL;
    gp_config c = {.T = 2, .rank = 1, .kernel = MK_RBF};
    assert_int_equal(gp_new(&c, X, y, task, 2, 1, 1, &g), MT_ERR_ARG);
    assert_null(g);
    gp_config bad = {.T = 2, .rank = 3, .kernel = MK_RBF};
    y[1] = 1;
    task[1] = 1;
    assert_int_equal(gp_new(&bad, X, y, task, 2, 1, 1, &g), MT_ERR_ARG);
    assert_int_equal(gp_new(&c, X, y, task, 2, 1, 1, &g), MT_OK);
    double mean;
    assert_int_equal(gp_predict(g, 5, X, 1, &mean, NULL), MT_ERR_ARG);
    gp_theta(g)[1] = NAN;
    assert_int_equal(gp_lml(g, NULL, NULL), MT_ERR_NUMERIC);
    assert_non_null(strstr(mt_last_error(), "not finite"));
    gp_free(g);
}

/* Every model's float view (what checkpoints hold): stored, then loaded
 * into a fresh model of the same data, it predicts what the first did
 * (to float32 rounding) - through the arena's aligned offsets. */
static void test_mtl_model_view_round_trip(void **state)
{
    (void)state;
    problem p;
    const int counts[3] = {6, 9, 4};
    make_problem(&p, 3, counts, 12);
    mt_dataset ds;
    dataset_init(&ds);
    assert_int_equal(dataset_alloc(&ds, "toy", p.n, 1, 0, 0, 0), MT_OK);
    int targets[3];
    for (int t = 0; t < 3; t++) {
        char nm[8];
        snprintf(nm, sizeof nm, "t%d", t);
        assert_non_null(dataset_add_target(&ds, nm, MT_TARGET_REGRESS, 1, 0));
        unsigned char *mask = dataset_target_mask(&ds, t);
        for (int i = 0; i < p.n; i++) {
            ds.targets[t].y[i] = (float)p.y[i];
            mask[i] = p.task[i] == t;
        }
        targets[t] = t;
    }
    for (int i = 0; i < p.n; i++) ds.x[i] = (float)p.X[i];
    mt_index train = {.idx = malloc(sizeof(int) * (size_t)p.n), .n = p.n};
    for (int i = 0; i < p.n; i++) train.idx[i] = i;
    static const char *const types[] = {"gp", "krr", "hier_bayes"};
    for (int k = 0; k < 3; k++) {
        mt_topo_spec s;
        topo_spec_default(&s);
        snprintf(s.type, sizeof s.type, "%s", types[k]);
        s.ntasks = 3;
        for (int t = 0; t < 3; t++) snprintf(s.task[t].name, sizeof s.task[t].name, "t%d", t), s.task[t].out_dim = 1;
        if (k == 0) tparam_set_num(&s.params, "rank", MT_TP_INT, 2);
        if (k == 2) tparam_set_num(&s.params, "clusters", MT_TP_INT, 2);
        assert_int_equal(topo_validate(&s), MT_OK);
        mt_model *a, *b;
        assert_int_equal(model_new(&s, &ds, &train, targets, 3, &a), MT_OK);
        assert_int_equal(model_new(&s, &ds, &train, targets, 4, &b), MT_OK);
        mk_adam_cfg ac = {.lr = 0.05, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
        double obj;
        for (int st = 0; st < 25; st++) assert_int_equal(a->cls->step(a, &ac, a->loo, &obj), MT_OK);
        size_t n = a->arena.total;
        float *am = calloc(n, sizeof *am), *av = calloc(n, sizeof *av);
        long t_adam = -1;
        a->cls->save(a, am, av, &t_adam);
        memcpy(b->arena.data, a->arena.data, n * sizeof(float));
        assert_int_equal(b->cls->load(b, am, av, t_adam), MT_OK);
        double xs[3] = {-1.3, 0.2, 1.7}, ma[3], mb[3], va[3], vb[3];
        for (int t = 0; t < 3; t++) {
            assert_int_equal(a->cls->predict(a, t, xs, 3, ma, va), MT_OK);
            assert_int_equal(b->cls->predict(b, t, xs, 3, mb, vb), MT_OK);
            for (int q = 0; q < 3; q++) {
                if (!(fabs(ma[q] - mb[q]) <= 1e-4 * fmax(1, fabs(ma[q]))))
                    fail_msg("%s task %d: mean %.8g after loading %.8g", types[k], t, ma[q], mb[q]);
                if (k != 1 && !(fabs(va[q] - vb[q]) <= 1e-3 * fmax(1e-3, va[q])))
                    fail_msg("%s task %d: variance %.8g after loading %.8g", types[k], t, va[q], vb[q]);
            }
        }
        /* the arena's padding is real: some parameter does not start where the previous ended */
        int gaps = 0;
        for (int i = 1; i < a->arena.count; i++)
            gaps += a->arena.info[i].offset != a->arena.info[i - 1].offset + a->arena.info[i - 1].size;
        assert_true(gaps > 0);
        free(am);
        free(av);
        model_free(a);
        model_free(b);
    }
    free(train.idx);
    dataset_free(&ds);
}

/* The models' reference in docs/lua-api.md is what the registry generates
 * (make docs), and every model's parameters pass the schema's lint. */
static void test_mtl_model_docs_match_registry(void **state)
{
    (void)state;
    size_t n = model_markdown(NULL, 0);
    char *gen = malloc(n + 1);
    assert_non_null(gen);
    assert_int_equal(model_markdown(gen, n + 1), n);
    assert_true(docs_section_matches(MTLAB_ROOT "/docs/lua-api.md", "models", gen));
    int models = 0;
    for (int i = 0; i < topo_class_count(); i++) {
        const mt_topo_class *c = topo_class_at(i);
        if (!c->model) continue;
        models++;
        if (tparam_lint(c->params, c->name)) fail_msg("%s", mt_last_error());
        char row[64];
        snprintf(row, sizeof row, "| `mtl.model.%s` |", c->name);
        assert_non_null(strstr(gen, row));
        assert_null(c->build);
    }
    assert_int_equal(models, 3);
    free(gen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_model_kernel_values_and_derivatives),
        cmocka_unit_test(test_mtl_model_cholesky_inverse_and_solve),
        cmocka_unit_test(test_mtl_model_cholesky_jitter_policy),
        cmocka_unit_test(test_mtl_model_adam_ascends),
        cmocka_unit_test(test_mtl_model_gp_gradient_finite_differences),
        cmocka_unit_test(test_mtl_model_gp_posterior_dense),
        cmocka_unit_test(test_mtl_model_gp_identity_B_is_independent),
        cmocka_unit_test(test_mtl_model_gp_learning_raises_lml),
        cmocka_unit_test(test_mtl_model_gp_ill_conditioned),
        cmocka_unit_test(test_mtl_model_gp_bad_input),
        cmocka_unit_test(test_mtl_model_docs_match_registry),
        cmocka_unit_test(test_mtl_model_view_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
