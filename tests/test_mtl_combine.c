/* test_mtl_combine.c - gradient combiners against hand computations, closed
 * forms, brute-force searches and their defining properties. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <stdio.h>

#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "mtl/combine.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))
#define MAXT 8
#define MAXP 6000

static float G[MAXT * MAXP], d[MAXP];
static float alpha[MAXT];

static void fill_random(mt_rng *r, int T, size_t P, float *g)
{
    for (size_t k = 0; k < (size_t)T * P; k++) g[k] = (float)mt_rng_normal(r);
}

/* Reference Gram matrix by plain double loops. */
static void gram_ref(const float *g, int T, size_t P, double *M)
{
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            double s = 0;
            for (size_t p = 0; p < P; p++) s += (double)g[i * P + p] * g[j * P + p];
            M[i * T + j] = s;
        }
}

static double quad(const double *M, int T, const double *a) /* a^T M a */
{
    double s = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) s += a[i] * M[i * T + j] * a[j];
    return s;
}

static mt_combiner *make(mt_combine_kind kind, int T, const mt_combine_params *p)
{
    mt_combiner *c = NULL;
    assert_int_equal(combine_new(&c, kind, T, p), MT_OK);
    assert_non_null(c);
    return c;
}

static void run_ok(mt_combiner *c, int T, size_t P, const float *losses)
{
    mt_status st = combine_run(c, G, T, P, losses, d, alpha);
    if (st != MT_OK) fprintf(stderr, "combine_run: %s\n", mt_last_error());
    assert_int_equal(st, MT_OK);
}

/* d must be G^T alpha wherever the method says so */
static void assert_d_is_span(int T, size_t P)
{
    for (size_t p = 0; p < P; p++) {
        double s = 0, sa = 0;
        for (int i = 0; i < T; i++) {
            s += (double)alpha[i] * G[i * P + p];
            sa += fabs((double)alpha[i] * G[i * P + p]);
        }
        NEAR(d[p], s, 1e-5 * (1 + sa));
    }
}

static void test_mtl_combine_sum_mean_and_gram(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 1, 0);
    const int T = 3;
    const size_t P = 5000; /* crosses the 2048-column Gram blocks */
    fill_random(&r, T, P, G);
    mt_combiner *c = make(MT_COMBINE_SUM, T, NULL);
    run_ok(c, T, P, NULL);
    for (int i = 0; i < T; i++) assert_true(alpha[i] == 1.0f);
    for (size_t p = 0; p < P; p++) NEAR(d[p], (double)G[p] + G[P + p] + G[2 * P + p], 1e-5);
    double M[9];
    gram_ref(G, T, P, M);
    for (int k = 0; k < 9; k++) NEAR(combine_last_gram(c)[k], M[k], 1e-9 * fabs(M[k]) + 1e-9);
    assert_int_equal(combine_switch(c, MT_COMBINE_MEAN), MT_OK);
    run_ok(c, T, P, NULL);
    for (int i = 0; i < T; i++) NEAR(alpha[i], 1.0 / 3, 1e-7);
    for (size_t p = 0; p < P; p++) NEAR(d[p], ((double)G[p] + G[P + p] + G[2 * P + p]) / 3, 1e-5);
    combine_free(c);
}

static void test_mtl_combine_mgda_two_tasks_closed_form(void **state)
{
    (void)state;
    mt_combine_params p;
    combine_params_default(&p);
    p.mgda_norm = MT_MGDA_NORM_NONE;
    mt_combiner *c = make(MT_COMBINE_MGDA, 2, &p);
    /* orthogonal unit vectors: the midpoint */
    const float g0[4] = {1, 0, 0, 1};
    memcpy(G, g0, sizeof g0);
    run_ok(c, 2, 2, NULL);
    NEAR(alpha[0], 0.5, 1e-7);
    NEAR(d[0], 0.5, 1e-7);
    NEAR(d[1], 0.5, 1e-7);
    /* random pairs against gamma = (g2 - g1).g2 / |g1 - g2|^2 clipped */
    mt_rng r;
    mt_rng_init(&r, 2, 0);
    for (int rep = 0; rep < 50; rep++) {
        fill_random(&r, 2, 7, G);
        if (rep % 5 == 0)
            for (int k = 0; k < 7; k++) G[7 + k] = 3 * G[k] + 0.1f * G[7 + k]; /* a vertex solution */
        double a = 0, b = 0, e = 0;
        for (int k = 0; k < 7; k++) {
            double x = G[k], y = G[7 + k];
            a += (y - x) * y;
            b += (x - y) * (x - y);
        }
        e = a / b;
        if (e < 0) e = 0;
        if (e > 1) e = 1;
        run_ok(c, 2, 7, NULL);
        NEAR(alpha[0], e, 1e-6);
        NEAR(alpha[1], 1 - e, 1e-6);
        assert_d_is_span(2, 7);
    }
    combine_free(c);
}

/* T = 3: the returned point has the smallest norm in the hull (checked
 * against a fine grid of the simplex) and satisfies the KKT conditions. */
static void test_mtl_combine_mgda_min_norm_and_kkt(void **state)
{
    (void)state;
    mt_combine_params p;
    combine_params_default(&p);
    p.mgda_norm = MT_MGDA_NORM_NONE;
    mt_combiner *c = make(MT_COMBINE_MGDA, 3, &p);
    mt_rng r;
    mt_rng_init(&r, 3, 0);
    for (int rep = 0; rep < 40; rep++) {
        const size_t P = rep < 20 ? 2 : 6; /* P = 2: 0 can lie inside the hull */
        fill_random(&r, 3, P, G);
        run_ok(c, 3, P, NULL);
        double M[9], a[3] = {alpha[0], alpha[1], alpha[2]};
        gram_ref(G, 3, P, M);
        NEAR(a[0] + a[1] + a[2], 1.0, 1e-6);
        for (int i = 0; i < 3; i++) assert_true(a[i] >= 0);
        double f = quad(M, 3, a), best = INFINITY;
        const int N = 300;
        for (int i = 0; i <= N; i++)
            for (int j = 0; i + j <= N; j++) {
                double w[3] = {(double)i / N, (double)j / N, (double)(N - i - j) / N};
                double q = quad(M, 3, w);
                if (q < best) best = q;
            }
        double scale = M[0] + M[4] + M[8];
        assert_true(f <= best + 1e-6 * scale);
        /* KKT: (M a)_i >= a^T M a, equality where a_i > 0 */
        for (int i = 0; i < 3; i++) {
            double Ma = M[i * 3] * a[0] + M[i * 3 + 1] * a[1] + M[i * 3 + 2] * a[2];
            assert_true(Ma >= f - 1e-6 * scale);
            if (a[i] > 1e-4) NEAR(Ma, f, 1e-6 * scale);
        }
        assert_d_is_span(3, P);
    }
    /* 0 in the hull: d = 0 */
    const float g0[6] = {1, 0, -1, 0, 0, 1};
    memcpy(G, g0, sizeof g0);
    run_ok(c, 3, 2, NULL);
    NEAR(alpha[0], 0.5, 1e-7);
    NEAR(alpha[1], 0.5, 1e-7);
    NEAR(alpha[2], 0.0, 1e-7);
    NEAR(d[0], 0, 1e-7);
    NEAR(d[1], 0, 1e-7);
    combine_free(c);
}

/* Degenerate hulls (duplicated and nearly dependent gradients) where
 * Frank-Wolfe crawls: the exact finish must still meet the KKT conditions,
 * and forcing it from the first iteration must agree with plain FW. */
static void test_mtl_combine_mgda_degenerate_hulls(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 30, 0);
    for (int rep = 0; rep < 60; rep++) {
        int T = 3 + rep % 6;
        size_t P = rep % 3 == 0 ? 2 : (size_t)T;
        mt_combine_params p;
        combine_params_default(&p);
        p.mgda_norm = MT_MGDA_NORM_NONE;
        p.mgda_max_iter = rep % 2 ? 1 : 250;
        mt_combiner *c = make(MT_COMBINE_MGDA, T, &p);
        fill_random(&r, T, P, G);
        for (size_t k = 0; k < P; k++) {
            G[P + k] = G[k];                                            /* duplicate */
            G[2 * P + k] = G[k] + 1e-3f * (float)mt_rng_normal(&r);     /* near-duplicate */
        }
        run_ok(c, T, P, NULL);
        double M[MAXT * MAXT], a[MAXT], s = 0;
        gram_ref(G, T, P, M);
        for (int i = 0; i < T; i++) {
            a[i] = alpha[i];
            s += a[i];
            assert_true(a[i] >= 0);
        }
        NEAR(s, 1.0, 1e-6);
        double f = quad(M, T, a), scale = 0;
        for (int i = 0; i < T; i++) scale = fmax(scale, M[i * T + i]);
        for (int i = 0; i < T; i++) {
            double Ma = 0;
            for (int j = 0; j < T; j++) Ma += M[i * T + j] * a[j];
            assert_true(Ma >= f - 1e-6 * scale);
            if (a[i] > 1e-4) NEAR(Ma, f, 1e-6 * scale);
        }
        combine_free(c);
    }
}

/* Normalisations: alpha_i n_i lies on the simplex and is the min-norm
 * point of the normalised gradients. */
static void test_mtl_combine_mgda_normalisations(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 4, 0);
    fill_random(&r, 3, 5, G);
    for (int k = 0; k < 5; k++) G[k] *= 10; /* very different scales */
    const float L[3] = {2.0f, 0.5f, 1.0f};
    double M[9];
    gram_ref(G, 3, 5, M);
    for (int norm = 0; norm < 4; norm++) {
        mt_combine_params p;
        combine_params_default(&p);
        p.mgda_norm = (mt_mgda_norm)norm;
        mt_combiner *c = make(MT_COMBINE_MGDA, 3, &p);
        run_ok(c, 3, 5, L);
        double n[3], a[3], s = 0;
        for (int i = 0; i < 3; i++) {
            double g = sqrt(M[i * 4]);
            n[i] = norm == 0 ? 1 : norm == 1 ? g : norm == 2 ? L[i] : L[i] * g;
            a[i] = alpha[i] * n[i];
            s += a[i];
        }
        NEAR(s, 1.0, 1e-6);
        double Mn[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Mn[i * 3 + j] = M[i * 3 + j] / (n[i] * n[j]);
        double f = quad(Mn, 3, a);
        for (int i = 0; i < 3; i++) {
            double Ma = Mn[i * 3] * a[0] + Mn[i * 3 + 1] * a[1] + Mn[i * 3 + 2] * a[2];
            assert_true(Ma >= f - 1e-6 * (Mn[0] + Mn[4] + Mn[8]));
        }
        assert_d_is_span(3, 5);
        combine_free(c);
    }
    mt_combine_params p;
    combine_params_default(&p);
    p.mgda_norm = MT_MGDA_NORM_LOSS_PLUS;
    assert_true(combine_needs_losses(MT_COMBINE_MGDA, &p));
    assert_false(combine_needs_losses(MT_COMBINE_PCGRAD, &p));
    mt_combiner *c = make(MT_COMBINE_MGDA, 3, &p);
    assert_int_equal(combine_run(c, G, 3, 5, NULL, d, alpha), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "combine mgda: losses are NULL (needed by the loss+ normalisation)");
    combine_free(c);
}

/* MGDA-UB solves the same problem on representation gradients. */
static void test_mtl_combine_mgda_ub(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 5, 0);
    fill_random(&r, 4, 9, G);
    mt_combiner *a = make(MT_COMBINE_MGDA, 4, NULL), *b = make(MT_COMBINE_MGDA_UB, 4, NULL);
    run_ok(a, 4, 9, NULL);
    float ref[4];
    memcpy(ref, alpha, sizeof ref);
    assert_int_equal(combine_run(b, G, 4, 9, NULL, NULL, alpha), MT_OK); /* no direction needed */
    for (int i = 0; i < 4; i++) assert_true(alpha[i] == ref[i]);
    combine_free(a);
    combine_free(b);
}

/* g1 = (-4,1,1), g2 = (6,1,1): g1.g2 = -22, |g1|^2 = 18, |g2|^2 = 38.
 * g1' = g1 + 22/38 g2 = (-10,30,30)/19, g2' = g2 + 22/18 g1 = (10,20,20)/9,
 * alpha = (1 + 11/9, 1 + 11/19). */
static void test_mtl_combine_pcgrad_hand_and_property(void **state)
{
    (void)state;
    mt_combiner *c = make(MT_COMBINE_PCGRAD, 2, NULL);
    const float g0[6] = {-4, 1, 1, 6, 1, 1};
    memcpy(G, g0, sizeof g0);
    run_ok(c, 2, 3, NULL);
    NEAR(alpha[0], 20.0 / 9, 1e-6);
    NEAR(alpha[1], 30.0 / 19, 1e-6);
    NEAR(d[0], -10.0 / 19 + 10.0 / 9, 1e-5);
    NEAR(d[1], 30.0 / 19 + 20.0 / 9, 1e-5);
    NEAR(d[2], 30.0 / 19 + 20.0 / 9, 1e-5);
    /* random pairs: after projection neither conflicts with the other */
    mt_rng r;
    mt_rng_init(&r, 6, 0);
    int conflicted = 0;
    for (int rep = 0; rep < 100; rep++) {
        fill_random(&r, 2, 5, G);
        double M[4];
        gram_ref(G, 2, 5, M);
        run_ok(c, 2, 5, NULL);
        /* g1' = g1 + (alpha2 - 1) g2, g2' = g2 + (alpha1 - 1) g1 */
        double c12 = alpha[1] - 1.0, c21 = alpha[0] - 1.0;
        double p1 = M[1] + c12 * M[3], p2 = M[2] + c21 * M[0];
        if (M[1] < 0) {
            conflicted++;
            NEAR(p1, 0, 1e-5 * M[3]);
            NEAR(p2, 0, 1e-5 * M[0]);
        } else {
            assert_true(alpha[0] == 1.0f && alpha[1] == 1.0f);
        }
        assert_true(p1 >= -1e-5 * M[3] && p2 >= -1e-5 * M[0]);
    }
    assert_true(conflicted > 20);
    combine_free(c);

    /* T = 4: d is G^T alpha; the same seed gives the same order */
    mt_combine_params p;
    combine_params_default(&p);
    p.seed = 9;
    mt_combiner *a = make(MT_COMBINE_PCGRAD, 4, &p), *b = make(MT_COMBINE_PCGRAD, 4, &p);
    fill_random(&r, 4, 11, G);
    run_ok(a, 4, 11, NULL);
    assert_d_is_span(4, 11);
    float ra[4];
    memcpy(ra, alpha, sizeof ra);
    run_ok(b, 4, 11, NULL);
    assert_memory_equal(ra, alpha, sizeof ra);
    combine_free(a);
    combine_free(b);
}

static void test_mtl_combine_graddrop_purity_and_signs(void **state)
{
    (void)state;
    mt_combiner *c = make(MT_COMBINE_GRADDROP, 2, NULL);
    const size_t P = 6000;
    /* first half g = (3, -1): purity (1 + 2/4)/2 = 0.75; second half (1, 1) */
    for (size_t p = 0; p < P; p++) {
        G[p] = p < P / 2 ? 3.0f : 1.0f;
        G[P + p] = p < P / 2 ? -1.0f : 1.0f;
    }
    run_ok(c, 2, P, NULL);
    int pos = 0;
    for (size_t p = 0; p < P / 2; p++) {
        assert_true(d[p] == 3.0f || d[p] == -1.0f);
        pos += d[p] == 3.0f;
    }
    for (size_t p = P / 2; p < P; p++) assert_true(d[p] == 2.0f);
    NEAR((double)pos / (P / 2), 0.75, 0.025);
    /* alpha is the least-squares fit: G (d - G^T alpha) = 0 */
    double res0 = 0, res1 = 0;
    for (size_t p = 0; p < P; p++) {
        double e = d[p] - (alpha[0] * G[p] + alpha[1] * G[P + p]);
        res0 += e * G[p];
        res1 += e * G[P + p];
    }
    NEAR(res0, 0, 1e-2);
    NEAR(res1, 0, 1e-2);
    combine_free(c);

    /* random: every coordinate keeps only one sign */
    mt_rng r;
    mt_rng_init(&r, 7, 0);
    c = make(MT_COMBINE_GRADDROP, 4, NULL);
    fill_random(&r, 4, 500, G);
    run_ok(c, 4, 500, NULL);
    for (size_t p = 0; p < 500; p++) {
        double sp = 0, sn = 0;
        for (int i = 0; i < 4; i++) {
            double g = G[i * 500 + p];
            if (g > 0) sp += g;
            else sn += g;
        }
        assert_true(fabs(d[p] - sp) < 1e-5 || fabs(d[p] - sn) < 1e-5);
    }
    combine_free(c);
    /* leak = 1 keeps everything: the sum */
    mt_combine_params p;
    combine_params_default(&p);
    p.graddrop_leak = 1.0;
    c = make(MT_COMBINE_GRADDROP, 4, &p);
    run_ok(c, 4, 500, NULL);
    for (size_t q = 0; q < 500; q++) NEAR(d[q], (double)G[q] + G[500 + q] + G[1000 + q] + G[1500 + q], 1e-5);
    for (int i = 0; i < 4; i++) NEAR(alpha[i], 1.0, 1e-5);
    assert_int_equal(combine_run(c, G, 4, 500, NULL, NULL, alpha), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "combine graddrop: d_out is NULL (graddrop's direction is not G^T alpha)");
    combine_free(c);
}

static void pair_with_cos(float *g, double rho, double n1, double n2)
{
    /* g1 = n1 (1, 0, 0), g2 = n2 (rho, sqrt(1 - rho^2), 0) */
    g[0] = (float)n1;
    g[1] = 0;
    g[2] = 0;
    g[3] = (float)(n2 * rho);
    g[4] = (float)(n2 * sqrt(1 - rho * rho));
    g[5] = 0;
}

/* After the adjustment cos(g1', g2) equals the target exactly. */
static void test_mtl_combine_gradvac_hits_target(void **state)
{
    (void)state;
    mt_combine_params p;
    combine_params_default(&p);
    p.gradvac_beta = 0.5;
    mt_combiner *c = make(MT_COMBINE_GRADVAC, 2, &p);
    double M[4];
    /* step 1: targets 0, cos -0.6 */
    pair_with_cos(G, -0.6, 2.0, 0.5);
    gram_ref(G, 2, 3, M);
    double rho1 = M[1] / sqrt(M[0] * M[3]);
    run_ok(c, 2, 3, NULL);
    double c12 = alpha[1] - 1.0, c21 = alpha[0] - 1.0;
    double g1g2 = M[1] + c12 * M[3], n1 = sqrt(M[0] + 2 * c12 * M[1] + c12 * c12 * M[3]);
    NEAR(g1g2 / (n1 * sqrt(M[3])), 0.0, 1e-6);
    double g2g1 = M[2] + c21 * M[0], n2 = sqrt(M[3] + 2 * c21 * M[2] + c21 * c21 * M[0]);
    NEAR(g2g1 / (n2 * sqrt(M[0])), 0.0, 1e-6);
    NEAR(combine_gradvac_target(c, 0, 1), 0.5 * rho1, 1e-7);
    NEAR(combine_gradvac_target(c, 1, 0), 0.5 * rho1, 1e-7);
    /* step 2: target -0.3, cos -0.8 < target: lifted to exactly -0.3 */
    double phi = combine_gradvac_target(c, 0, 1);
    pair_with_cos(G, -0.8, 1.0, 3.0);
    gram_ref(G, 2, 3, M);
    double rho2 = M[1] / sqrt(M[0] * M[3]);
    run_ok(c, 2, 3, NULL);
    c12 = alpha[1] - 1.0;
    g1g2 = M[1] + c12 * M[3];
    n1 = sqrt(M[0] + 2 * c12 * M[1] + c12 * c12 * M[3]);
    NEAR(g1g2 / (n1 * sqrt(M[3])), phi, 1e-6);
    NEAR(combine_gradvac_target(c, 0, 1), 0.5 * phi + 0.5 * rho2, 1e-7);
    assert_d_is_span(2, 3);
    /* step 3: cos 0.2 above the target: nothing changes */
    pair_with_cos(G, 0.2, 1.0, 1.0);
    run_ok(c, 2, 3, NULL);
    assert_true(alpha[0] == 1.0f && alpha[1] == 1.0f);
    assert_true(isnan(combine_gradvac_target(c, 1, 1)));
    combine_free(c);
}

/* CAGrad's defining objective: d maximises min_i d.g_i over the ball
 * |d - g0| <= c |g0|. Checked against random points of the ball and
 * against the dual function on a grid of the simplex. */
static void test_mtl_combine_cagrad_objective(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 8, 0);
    mt_combine_params p;
    combine_params_default(&p);
    p.cagrad_c = 0.0;
    mt_combiner *c = make(MT_COMBINE_CAGRAD, 3, &p);
    fill_random(&r, 3, 4, G);
    run_ok(c, 3, 4, NULL);
    for (int i = 0; i < 3; i++) NEAR(alpha[i], 1.0 / 3, 1e-7);
    combine_free(c);

    p.cagrad_c = 0.5;
    p.cagrad_rescale = 0;
    c = make(MT_COMBINE_CAGRAD, 3, &p);
    for (int rep = 0; rep < 8; rep++) {
        const size_t P = 4;
        fill_random(&r, 3, P, G);
        if (rep % 2) /* a strong conflict */
            for (size_t k = 0; k < P; k++) G[k] = -0.7f * G[P + k] + 0.2f * G[k];
        double M[9];
        gram_ref(G, 3, P, M);
        run_ok(c, 3, P, NULL);
        double a[3] = {alpha[0], alpha[1], alpha[2]}, g0[4] = {0}, dd[4] = {0};
        for (size_t k = 0; k < P; k++) {
            for (int i = 0; i < 3; i++) {
                g0[k] += G[i * P + k] / 3.0;
                dd[k] += a[i] * G[i * P + k];
            }
        }
        double g0n = 0, dist = 0;
        for (size_t k = 0; k < P; k++) {
            g0n += g0[k] * g0[k];
            dist += (dd[k] - g0[k]) * (dd[k] - g0[k]);
        }
        double rad = 0.5 * sqrt(g0n);
        assert_true(sqrt(dist) <= rad * (1 + 1e-6));
        double ours = INFINITY;
        for (int i = 0; i < 3; i++) {
            double s = M[i * 3] * a[0] + M[i * 3 + 1] * a[1] + M[i * 3 + 2] * a[2];
            if (s < ours) ours = s;
        }
        /* brute force over the ball (the optimum is on the sphere) */
        double best = -INFINITY;
        for (int s = 0; s < 20000; s++) {
            double u[4], un = 0;
            for (int k = 0; k < 4; k++) {
                u[k] = mt_rng_normal(&r);
                un += u[k] * u[k];
            }
            double worst = INFINITY;
            for (int i = 0; i < 3; i++) {
                double v = 0;
                for (size_t k = 0; k < P; k++) v += (g0[k] + rad * u[k] / sqrt(un)) * G[i * P + k];
                if (v < worst) worst = v;
            }
            if (worst > best) best = worst;
        }
        double scale = M[0] + M[4] + M[8];
        assert_true(ours >= best - 1e-7 * scale);
        /* dual: min_w g_w.g0 + rad |g_w| >= ours (weak duality) and close */
        double dual = INFINITY;
        const int N = 200;
        for (int i = 0; i <= N; i++)
            for (int j = 0; i + j <= N; j++) {
                double w[3] = {(double)i / N, (double)j / N, (double)(N - i - j) / N};
                double lin = 0;
                for (int x = 0; x < 3; x++)
                    for (int y = 0; y < 3; y++) lin += w[x] * M[x * 3 + y] / 3.0;
                double v = lin + rad * sqrt(fmax(quad(M, 3, w), 0));
                if (v < dual) dual = v;
            }
        assert_true(ours <= dual + 1e-6 * scale);
        assert_true(ours >= dual - 2e-2 * scale);
    }
    /* rescale 1 divides by 1 + c^2 */
    float a0[3];
    memcpy(a0, alpha, sizeof a0);
    combine_free(c);
    p.cagrad_rescale = 1;
    c = make(MT_COMBINE_CAGRAD, 3, &p);
    run_ok(c, 3, 4, NULL);
    for (int i = 0; i < 3; i++) NEAR(alpha[i], a0[i] / 1.25, 1e-6);
    combine_free(c);
}

/* g1 = (1,0), g2 = (0,2): d = a g1 + (1-a) g2 with d.u1 = d.u2 gives a = 2/3. */
static void test_mtl_combine_imtl_g_equal_projections(void **state)
{
    (void)state;
    mt_combiner *c = make(MT_COMBINE_IMTL_G, 2, NULL);
    const float g0[4] = {1, 0, 0, 2};
    memcpy(G, g0, sizeof g0);
    run_ok(c, 2, 2, NULL);
    NEAR(alpha[0], 2.0 / 3, 1e-6);
    NEAR(alpha[1], 1.0 / 3, 1e-6);
    /* dependent gradients: no solution */
    const float g1[4] = {1, 1, 2, 2};
    memcpy(G, g1, sizeof g1);
    assert_int_equal(combine_run(c, G, 2, 2, NULL, d, alpha), MT_ERR_NUMERIC);
    assert_string_equal(mt_last_error(), "combine imtl_g: the task gradients are linearly dependent (rank 1 of 2); "
                                         "IMTL-G needs independent gradients");
    combine_free(c);

    mt_rng r;
    mt_rng_init(&r, 9, 0);
    for (int T = 2; T <= 5; T++) {
        c = make(MT_COMBINE_IMTL_G, T, NULL);
        fill_random(&r, T, 8, G);
        for (int k = 0; k < 8; k++) G[k] *= 20; /* unequal magnitudes */
        run_ok(c, T, 8, NULL);
        double s = 0, proj[5];
        for (int i = 0; i < T; i++) {
            s += alpha[i];
            double dg = 0, gg = 0;
            for (int k = 0; k < 8; k++) {
                dg += (double)d[k] * G[i * 8 + k];
                gg += (double)G[i * 8 + k] * G[i * 8 + k];
            }
            proj[i] = dg / sqrt(gg);
        }
        NEAR(s, 1.0, 1e-5);
        for (int i = 1; i < T; i++) NEAR(proj[i], proj[0], 1e-4 * (1 + fabs(proj[0])));
        assert_d_is_span(T, 8);
        combine_free(c);
    }
    /* a zero gradient (masked task) is left out */
    c = make(MT_COMBINE_IMTL_G, 3, NULL);
    const float g2[6] = {1, 0, 0, 0, 0, 2};
    memcpy(G, g2, sizeof g2);
    run_ok(c, 3, 2, NULL);
    NEAR(alpha[0], 2.0 / 3, 1e-6);
    assert_true(alpha[1] == 0.0f);
    NEAR(alpha[2], 1.0 / 3, 1e-6);
    combine_free(c);
}

static void test_mtl_combine_nash_bargaining(void **state)
{
    (void)state;
    /* orthogonal: alpha_i = 1 / |g_i| */
    mt_combiner *c = make(MT_COMBINE_NASH_MTL, 2, NULL);
    const float g0[4] = {2, 0, 0, 1};
    memcpy(G, g0, sizeof g0);
    run_ok(c, 2, 2, NULL);
    NEAR(alpha[0], 0.5, 1e-7);
    NEAR(alpha[1], 1.0, 1e-7);
    /* opposite gradients have no solution */
    const float g1[4] = {1, 1, -1, -1};
    memcpy(G, g1, sizeof g1);
    assert_int_equal(combine_run(c, G, 2, 2, NULL, d, alpha), MT_ERR_NUMERIC);
    assert_true(strncmp(mt_last_error(), "combine nash_mtl: no solution of alpha_i (G G^T alpha)_i = 1 after 100 "
                                         "Newton steps (residual ",
                        86) == 0);
    combine_free(c);
    mt_rng r;
    mt_rng_init(&r, 10, 0);
    for (int rep = 0; rep < 30; rep++) {
        int T = 2 + rep % 5;
        size_t P = (size_t)T + 3;
        c = make(MT_COMBINE_NASH_MTL, T, NULL);
        fill_random(&r, T, P, G);
        for (size_t k = 0; k < P; k++) G[k] *= (float)(1 + rep); /* scale spread */
        double M[MAXT * MAXT];
        gram_ref(G, T, P, M);
        run_ok(c, T, P, NULL);
        for (int i = 0; i < T; i++) {
            double Ma = 0;
            for (int j = 0; j < T; j++) Ma += M[i * T + j] * (double)alpha[j];
            assert_true(alpha[i] > 0);
            /* float alpha: the residual is limited by its 1e-7 rounding */
            NEAR((double)alpha[i] * Ma, 1.0, 1e-6);
        }
        assert_d_is_span(T, P);
        combine_free(c);
    }
}

/* Householder reflection of R^n by unit v: H x = x - 2 v (v.x). */
static void householder(int n, const double *v, double *H)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) H[i * n + j] = (i == j) - 2 * v[i] * v[j];
}

static void test_mtl_combine_aligned_mtl(void **state)
{
    (void)state;
    mt_combiner *c = make(MT_COMBINE_ALIGNED_MTL, 2, NULL);
    /* orthogonal, singular values 3 and 1: B = diag(1/3, 1) */
    const float g0[4] = {3, 0, 0, 1};
    memcpy(G, g0, sizeof g0);
    run_ok(c, 2, 2, NULL);
    NEAR(alpha[0], 1.0 / 3, 1e-6);
    NEAR(alpha[1], 1.0, 1e-6);
    NEAR(d[0], 1.0, 1e-6);
    NEAR(d[1], 1.0, 1e-6);
    /* rank one, g2 = 2 g1: v = (1,2)/sqrt5, alpha = v (v.1) = (3/5, 6/5) */
    const float g1[4] = {1, 0, 2, 0};
    memcpy(G, g1, sizeof g1);
    run_ok(c, 2, 2, NULL);
    NEAR(alpha[0], 0.6, 1e-6);
    NEAR(alpha[1], 1.2, 1e-6);
    NEAR(d[0], 3.0, 1e-5);
    combine_free(c);

    /* G = U S W^T with known singular values (3, 2, 0.5): alpha =
     * s_min U S^-1 U^T 1, and the aligned gradients B G = s_min U W^T
     * have Gram s_min^2 I: condition number 1. */
    const int T = 3;
    const size_t P = 5;
    double u[3] = {1, 2, -1}, w[5] = {0.5, -1, 2, 1, 0.3}, U[9], W[25], S[3] = {3, 2, 0.5};
    double un = sqrt(6.0), wn = 0;
    for (int k = 0; k < 5; k++) wn += w[k] * w[k];
    for (int k = 0; k < 3; k++) u[k] /= un;
    for (int k = 0; k < 5; k++) w[k] /= sqrt(wn);
    householder(3, u, U);
    householder(5, w, W);
    for (int i = 0; i < T; i++)
        for (size_t p = 0; p < P; p++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += U[i * 3 + k] * S[k] * W[p * 5 + k];
            G[i * P + p] = (float)s;
        }
    c = make(MT_COMBINE_ALIGNED_MTL, T, NULL);
    run_ok(c, T, P, NULL);
    double ref[3] = {0}, Bm[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += U[i * 3 + k] / S[k] * U[j * 3 + k];
            Bm[i * 3 + j] = 0.5 * s;
            ref[i] += Bm[i * 3 + j];
        }
    for (int i = 0; i < 3; i++) NEAR(alpha[i], ref[i], 2e-5);
    /* the aligned system B G: Gram 0.25 I */
    double Gh[3 * 5];
    for (int i = 0; i < 3; i++)
        for (size_t p = 0; p < P; p++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += Bm[i * 3 + k] * G[k * P + p];
            Gh[i * P + p] = s;
        }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (size_t p = 0; p < P; p++) s += Gh[i * P + p] * Gh[j * P + p];
            NEAR(s, i == j ? 0.25 : 0.0, 1e-5);
        }
    /* and d is the sum of the aligned gradients: |d|^2 = T s_min^2 */
    double dn = 0;
    for (size_t p = 0; p < P; p++) dn += (double)d[p] * d[p];
    NEAR(dn, 3 * 0.25, 1e-5);
    combine_free(c);
}

/* g1 = (1,0), g2 = (-1,1): projecting g1/2 onto the dual cone gives
 * v = (1/2, 1/4), g2/2 gives (1/2, 1/2); alpha = (1, 3/4), d = (1/4, 3/4). */
static void test_mtl_combine_upgrad(void **state)
{
    (void)state;
    mt_combine_params p;
    combine_params_default(&p);
    p.upgrad_reg = 0.0;
    mt_combiner *c = make(MT_COMBINE_UPGRAD, 2, &p);
    const float g0[4] = {1, 0, -1, 1};
    memcpy(G, g0, sizeof g0);
    run_ok(c, 2, 2, NULL);
    NEAR(alpha[0], 1.0, 1e-6);
    NEAR(alpha[1], 0.75, 1e-6);
    NEAR(d[0], 0.25, 1e-6);
    NEAR(d[1], 0.75, 1e-6);
    combine_free(c);

    mt_rng r;
    mt_rng_init(&r, 11, 0);
    int conflicting = 0;
    for (int rep = 0; rep < 40; rep++) {
        int T = 2 + rep % 5;
        size_t P = rep % 2 ? (size_t)T + 4 : 3;
        c = make(MT_COMBINE_UPGRAD, T, rep % 3 ? NULL : &p);
        fill_random(&r, T, P, G);
        double M[MAXT * MAXT];
        gram_ref(G, T, P, M);
        run_ok(c, T, P, NULL);
        int conflict = 0;
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) conflict |= M[i * T + j] < 0;
        conflicting += conflict;
        double tr = 0;
        for (int i = 0; i < T; i++) tr += M[i * T + i];
        for (int j = 0; j < T; j++) {
            double dg = 0;
            for (int i = 0; i < T; i++) dg += M[j * T + i] * (double)alpha[i];
            assert_true(dg >= -1e-6 * tr);
        }
        assert_d_is_span(T, P);
        combine_free(c);
    }
    assert_true(conflicting > 20);
    /* no conflict: exactly the mean */
    c = make(MT_COMBINE_UPGRAD, 3, NULL);
    for (int k = 0; k < 3 * 6; k++) G[k] = (float)fabs(mt_rng_normal(&r));
    run_ok(c, 3, 6, NULL);
    for (int i = 0; i < 3; i++) NEAR(alpha[i], 1.0 / 3, 1e-7);
    combine_free(c);
}

/* A reset combiner behaves like a fresh one (GradVac's EMA, the stream). */
static void test_mtl_combine_reset_is_fresh(void **state)
{
    (void)state;
    mt_rng r;
    float seqa[10][4], seqb[10][4];
    const float L4[4] = {1, 2, 3, 4};
    for (int kind = 0; kind < MT_COMBINE_KIND_COUNT; kind++) {
        if (kind == MT_COMBINE_NASH_MTL || kind == MT_COMBINE_IMTL_G) continue; /* stateless; needs PD */
        if (kind == MT_COMBINE_GRADDROP_REP) continue; /* needs Z: its draws are checked in the property suite */
        mt_combiner *f = make((mt_combine_kind)kind, 4, NULL);
        assert_int_equal(combine_reserve(f, 6), MT_OK); /* moco, db_mtl, excess_mtl */
        mt_rng_init(&r, 12, 0);
        for (int s = 0; s < 10; s++) {
            fill_random(&r, 4, 6, G);
            run_ok(f, 4, 6, L4);
            memcpy(seqa[s], alpha, sizeof seqa[s]);
        }
        combine_free(f);
        mt_combiner *u = make(MT_COMBINE_GRADVAC, 4, NULL);
        mt_rng_init(&r, 13, 0);
        for (int s = 0; s < 5; s++) {
            fill_random(&r, 4, 6, G);
            run_ok(u, 4, 6, L4);
        }
        assert_int_equal(combine_switch(u, (mt_combine_kind)kind), MT_OK);
        assert_int_equal(combine_reserve(u, 6), MT_OK);
        fill_random(&r, 4, 6, G);
        run_ok(u, 4, 6, L4);
        combine_reset(u);
        mt_rng_init(&r, 12, 0);
        for (int s = 0; s < 10; s++) {
            fill_random(&r, 4, 6, G);
            run_ok(u, 4, 6, L4);
            memcpy(seqb[s], alpha, sizeof seqb[s]);
        }
        assert_memory_equal(seqa, seqb, sizeof seqa);
        combine_free(u);
    }
}

static void test_mtl_combine_no_alloc_and_errors(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 14, 0);
    mt_combiner *c[MT_COMBINE_KIND_COUNT];
    for (int k = 0; k < MT_COMBINE_KIND_COUNT; k++) {
        c[k] = make((mt_combine_kind)k, 4, NULL);
        assert_int_equal(combine_reserve(c[k], 3000), MT_OK); /* the state of moco, db_mtl, excess_mtl */
    }
    const float L[4] = {1, 2, 3, 4};
    fill_random(&r, 4, 3000, G);
    unsigned long before = mt_alloc_count();
    for (int k = 0; k < MT_COMBINE_KIND_COUNT; k++) {
        if (k == MT_COMBINE_GRADDROP_REP) { /* the representation version: G as (4, 60 x 50) */
            static float Zr[3000];
            for (int q = 0; q < 3000; q++) Zr[q] = (float)(q % 7) - 3.0f;
            assert_int_equal(combine_graddrop_rep(c[k], G, 4, 60, 50, Zr, d, alpha), MT_OK);
            continue;
        }
        run_ok(c[k], 4, 3000, L);
    }
    assert_int_equal(mt_alloc_count(), before);

    assert_int_equal(combine_run(c[0], G, 3, 10, NULL, d, alpha), MT_ERR_SHAPE);
    assert_string_equal(mt_last_error(), "combine sum: G has 3 task rows but the combiner was made for 4");
    G[2 * 10 + 4] = NAN;
    assert_int_equal(combine_run(c[4], G, 4, 10, NULL, d, alpha), MT_ERR_NUMERIC);
    assert_string_equal(mt_last_error(), "combine pcgrad: the gradient of task 2 is not finite");
    for (int k = 0; k < MT_COMBINE_KIND_COUNT; k++) combine_free(c[k]);

    mt_combine_params p;
    combine_params_default(&p);
    p.cagrad_rescale = 3;
    mt_combiner *x = NULL;
    assert_int_equal(combine_new(&x, MT_COMBINE_CAGRAD, 2, &p), MT_ERR_ARG);
    assert_null(x);
    assert_string_equal(mt_last_error(), "combine cagrad: rescale: expected an integer in 0..2, got 3");
    mt_combine_kind k;
    assert_int_equal(combine_kind_parse("nash_mtl", &k), MT_OK);
    assert_int_equal(k, MT_COMBINE_NASH_MTL);
    assert_string_equal(combine_kind_name(MT_COMBINE_ALIGNED_MTL), "aligned_mtl");
    assert_int_equal(combine_kind_parse("pcgard", &k), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "combine: unknown method \"pcgard\" (expected sum, mean, aux_gate, mgda, mgda_ub, "
                                         "pcgrad, graddrop, graddrop_rep, gradvac, cagrad, imtl_g, nash_mtl, aligned_mtl, upgrad, dualproj, config, fairgrad, sdmgrad, krum, trimmed_mean, moco, db_mtl or excess_mtl)");
    mt_mgda_norm n;
    assert_int_equal(combine_mgda_norm_parse("loss+", &n), MT_OK);
    assert_int_equal(n, MT_MGDA_NORM_LOSS_PLUS);
    assert_int_equal(combine_mgda_norm_parse("l1", &n), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "combine mgda: unknown normalisation \"l1\" (expected one of none, l2, loss, loss+)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_combine_sum_mean_and_gram),
        cmocka_unit_test(test_mtl_combine_mgda_two_tasks_closed_form),
        cmocka_unit_test(test_mtl_combine_mgda_min_norm_and_kkt),
        cmocka_unit_test(test_mtl_combine_mgda_degenerate_hulls),
        cmocka_unit_test(test_mtl_combine_mgda_normalisations),
        cmocka_unit_test(test_mtl_combine_mgda_ub),
        cmocka_unit_test(test_mtl_combine_pcgrad_hand_and_property),
        cmocka_unit_test(test_mtl_combine_graddrop_purity_and_signs),
        cmocka_unit_test(test_mtl_combine_gradvac_hits_target),
        cmocka_unit_test(test_mtl_combine_cagrad_objective),
        cmocka_unit_test(test_mtl_combine_imtl_g_equal_projections),
        cmocka_unit_test(test_mtl_combine_nash_bargaining),
        cmocka_unit_test(test_mtl_combine_aligned_mtl),
        cmocka_unit_test(test_mtl_combine_upgrad),
        cmocka_unit_test(test_mtl_combine_reset_is_fresh),
        cmocka_unit_test(test_mtl_combine_no_alloc_and_errors),
    };
    return cmocka_run_group_tests_name("mtl_combine", tests, NULL, NULL);
}
