/* test_mtl_combine_cases.c - the combiner defects found by comparing
 * against independent implementations (issue 10), as regression tests
 * with their numbers. The references are computed here, in long double
 * on the gradient vectors, by enumerating KKT active sets
 * (combine_ref.h), or by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "combine_ref.h"
#include "core/rng.h"
#include "core/status.h"
#include "mtl/combine.h"

static float d[REF_MAXP], alpha[REF_MAXT];

static mt_status run(mt_combine_kind kind, const float *G, int T, size_t P, const mt_combine_params *p)
{
    mt_combiner *c = NULL;
    assert_int_equal(combine_new(&c, kind, T, p), MT_OK);
    mt_status st = combine_run(c, G, T, P, NULL, d, alpha);
    combine_free(c);
    return st;
}

static double gdot(const float *G, size_t P, int i, const float *v) /* g_i . v */
{
    double s = 0;
    for (size_t p = 0; p < P; p++) s += (double)G[(size_t)i * P + p] * v[p];
    return s;
}

static double min_gd(const float *G, int T, size_t P)
{
    double m = INFINITY;
    for (int i = 0; i < T; i++) m = fmin(m, gdot(G, P, i, d));
    return m;
}

/* CAGrad with c and rescale 0 against the exact primal optimum: d within
 * tol_d of the optimal d (max norm), and min_i g_i.d within tol of the
 * optimum value plus what rounding d to float can change it (6e-8 |d|
 * max_i |g_i|). */
static void cagrad_vs_ref(const float *G, int T, size_t P, double c, double tol, double tol_d, ref_ld *t_ref,
                          ref_ld *d_ref)
{
    mt_combine_params p;
    combine_params_default(&p);
    p.cagrad_c = c;
    p.cagrad_rescale = 0;
    mt_status st = run(MT_COMBINE_CAGRAD, G, T, P, &p);
    if (st) fail_msg("cagrad: %s", mt_last_error());
    assert_true(ref_cagrad(G, T, P, c, t_ref, d_ref) > 0);
    double gmax = 0, dn = 0, dd = 0;
    for (int i = 0; i < T; i++) gmax = fmax(gmax, sqrt(gdot(G, P, i, G + (size_t)i * P)));
    for (size_t k = 0; k < P; k++) {
        dn += (double)(d_ref[k] * d_ref[k]);
        dd = fmax(dd, fabs(d[k] - (double)d_ref[k]));
    }
    double ours = min_gd(G, T, P), round = 1e-7 * gmax * sqrt(dn);
    if (!(fabs(ours - (double)*t_ref) <= tol + round))
        fail_msg("cagrad: min_i g_i.d = %.9g, the optimum is %.9g (tolerance %g + %g)", ours, (double)*t_ref, tol,
                 round);
    if (!(dd <= tol_d + 1e-7 * sqrt(dn))) fail_msg("cagrad: d is %g from the optimal d", dd);
}

/* The solver used to stop when an iteration changed the point by less
 * than 1e-13, measured from the extrapolated point: at the corner of the
 * simplex the projected step snapped back and it ended with d = (1.9000,
 * 1.6333, 3.3015), min_i g_i.d = 0.099. The optimum is 0.330 at d ~
 * (2.0302, 1.6103, 3.2981). */
static void test_mtl_combine_cases_cagrad_corner(void **state)
{
    (void)state;
    const float G[9] = {4, 5.2f, 2.8f, 0, 0, 0.1f, 1.7f, -0.3f, -0.8f};
    ref_ld t, dr[3];
    cagrad_vs_ref(G, 3, 3, 1.0, 1e-9, 0, &t, dr);
    assert_float_equal((double)t, 0.329813, 1e-5);
    const double want[3] = {2.030248, 1.610348, 3.298131};
    for (int k = 0; k < 3; k++) {
        assert_float_equal(d[k], want[k], 1e-5);
        assert_float_equal(d[k], (double)dr[k], 1e-6);
    }
    assert_float_equal(min_gd(G, 3, 3), 0.329813, 1e-5);
}

/* Random Jacobians whose row norms run from 0.1 to 183 (c = 0.5): the old
 * solver reached min_i g_i.d = -33.5 where the optimum was +2.69. Here
 * every one of 60 draws (3 to 5 tasks in 3 to 8 dimensions) matches the
 * exact optimum to 1e-9 of max |g_i| (|g0| + r), beyond float rounding. */
static void test_mtl_combine_cases_cagrad_spread_norms(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 1010, 0);
    float G[REF_MAXT * REF_MAXP];
    for (int rep = 0; rep < 60; rep++) {
        int T = 3 + rep % 3;
        size_t P = (size_t)(3 + rep % 6);
        double gmax = 0, g0[REF_MAXP] = {0};
        for (int i = 0; i < T; i++) {
            double nr = 0.1 * pow(1830.0, (double)i / (T - 1)); /* 0.1 .. 183 */
            double v[REF_MAXP], n = 0;
            for (size_t p = 0; p < P; p++) {
                v[p] = mt_rng_normal(&r);
                n += v[p] * v[p];
            }
            for (size_t p = 0; p < P; p++) {
                G[(size_t)i * P + p] = (float)(v[p] * nr / sqrt(n));
                g0[p] += G[(size_t)i * P + p] / T;
            }
            gmax = fmax(gmax, nr);
        }
        double g0n = 0;
        for (size_t p = 0; p < P; p++) g0n += g0[p] * g0[p];
        g0n = sqrt(g0n);
        ref_ld t, dr[REF_MAXP];
        cagrad_vs_ref(G, T, P, 0.5, 1e-9 * gmax * 1.5 * g0n, 0, &t, dr);
    }
}

/* Nearly opposed gradients: g2 = -2 g1 + e z with e = 1e-7. The weights
 * are about 1e6 and d a difference of such multiples; with the weights
 * rounded to float before d was formed, d was 0.1 off (min_i g_i.d =
 * -0.111; the optimum is 0, 7.3e-9 for these float inputs). The solve and
 * the combination in double give the optimum to 2e-8. d itself is
 * determined only to about 1e-3 here: its third component hangs on the
 * 1e-7 part of g2, which the Gram matrix holds to a few per cent. */
static void test_mtl_combine_cases_cagrad_nearly_opposed(void **state)
{
    (void)state;
    const float G[9] = {1, 0.3f, 0, -2, -0.6f, 1e-7f, 0.2f, 1, 0.5f};
    ref_ld t, dr[3];
    cagrad_vs_ref(G, 3, 3, 0.5, 2e-8, 1e-3, &t, dr);
    assert_float_equal((double)t, 7.33e-9, 1e-10);
    assert_float_equal(dr[0], -0.0862385, 1e-6);
    assert_float_equal(dr[1], 0.2874618, 1e-6);
    assert_float_equal(dr[2], 0.2200440, 1e-6);
    assert_true(fabsf(alpha[0]) > 1e5); /* the weights are large: d is a cancellation */
}

/* UPGrad's regulariser (reg = 1e-8 on the trace-normalised Gram) gave
 * d = (-4.95, 0.50) for g1 = (1, 0), g2 = (-1000, 1): d . g1 < 0. The
 * exact solve gives PCGrad / 2 (two tasks): g1' = g1 - (g1.g2/|g2|^2) g2 =
 * (1, 1000) / 1000001, g2' = g2 - (g1.g2/|g1|^2) g1 = (0, 1), d = (g1' +
 * g2') / 2. */
static void test_mtl_combine_cases_upgrad_spread_and_opposed(void **state)
{
    (void)state;
    const float G1[4] = {1, 0, -1000, 1};
    assert_int_equal(run(MT_COMBINE_UPGRAD, G1, 2, 2, NULL), MT_OK);
    assert_float_equal(d[0], 0.5 / 1000001.0, 1e-12);
    assert_float_equal(d[1], 0.5 * (1 + 1000 / 1000001.0), 1e-7);
    assert_true(gdot(G1, 2, 0, d) >= 0 && gdot(G1, 2, 1, d) >= 0);
    /* exactly opposed rows (reg = 0 used to fail here): the projections
     * vanish, d = 0, and d . g_j >= 0 up to round-off of the 1000 scale */
    const float G2[4] = {1, 0, -1000, 0};
    const float G3[6] = {3, -2, 1, -6, 4, -2};
    const float *Gs[2] = {G2, G3};
    const size_t Ps[2] = {2, 3};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(run(MT_COMBINE_UPGRAD, Gs[k], 2, Ps[k], NULL), MT_OK);
        for (size_t p = 0; p < Ps[k]; p++) assert_true(fabsf(d[p]) <= 1e-12f);
        for (int j = 0; j < 2; j++) assert_true(gdot(Gs[k], Ps[k], j, d) >= -1e-9);
        ref_ld Gd[2] = {0};
        assert_int_equal(ref_upgrad(Gs[k], 2, Ps[k], Gd), 0);
        assert_true(fabsl(Gd[0]) < 1e-12L && fabsl(Gd[1]) < 1e-9L);
    }
    /* three tasks, one opposed pair 1000x apart, one independent */
    const float G4[9] = {1, 0, 0, -1000, 0, 0, 0.5f, 0.5f, 1};
    assert_int_equal(run(MT_COMBINE_UPGRAD, G4, 3, 3, NULL), MT_OK);
    ref_ld Gd[3] = {0};
    assert_int_equal(ref_upgrad(G4, 3, 3, Gd), 0);
    for (int j = 0; j < 3; j++) {
        double gd = gdot(G4, 3, j, d);
        assert_true(gd >= -1e-9 * 1000);
        assert_float_equal(gd, (double)Gd[j], 1e-6 * (1 + fabsl(Gd[j])));
    }
}

/* IMTL-G with more tasks than parameters silently returned d ~ 0; now it
 * is the documented error, named once ("combine imtl_g: " was doubled by
 * the Lua wrapper; test_lua_session checks that end). */
static void test_mtl_combine_cases_imtl_g_too_many_tasks(void **state)
{
    (void)state;
    const float G1[6] = {1, 0, 0, 1, 1, 1};
    assert_int_equal(run(MT_COMBINE_IMTL_G, G1, 3, 2, NULL), MT_ERR_NUMERIC);
    assert_string_equal(mt_last_error(), "combine imtl_g: 3 tasks with a nonzero gradient in 2 dimensions are "
                                         "linearly dependent; IMTL-G needs independent gradients (at most 2 tasks)");
    mt_rng r;
    mt_rng_init(&r, 77, 0);
    float G[REF_MAXT * REF_MAXP];
    for (int P = 1; P <= 5; P++) {
        for (int k = 0; k < 6 * P; k++) G[k] = (float)mt_rng_normal(&r);
        assert_int_equal(run(MT_COMBINE_IMTL_G, G, P + 1, (size_t)P, NULL), MT_ERR_NUMERIC);
        const char *e = mt_last_error();
        assert_non_null(strstr(e, "linearly dependent"));
        assert_true(strncmp(e, "combine imtl_g: ", 16) == 0 && !strstr(e + 16, "combine imtl_g"));
        /* with one task fewer they are independent: equal projections */
        if (P >= 2) {
            assert_int_equal(run(MT_COMBINE_IMTL_G, G, P, (size_t)P, NULL), MT_OK);
            double u0 = gdot(G, (size_t)P, 0, d) / sqrt(gdot(G, (size_t)P, 0, G));
            for (int i = 1; i < P; i++) {
                const float *gi = G + (size_t)i * P;
                double ui = gdot(G, (size_t)P, i, d) / sqrt(gdot(gi, (size_t)P, 0, gi));
                assert_float_equal(ui, u0, 1e-4 * (1 + fabs(u0)));
            }
        }
    }
    /* a third gradient in the plane of the first two (exactly, in float) */
    const float G2[9] = {1, 0, 0, 0, 1, 0, 2, -3, 0};
    assert_int_equal(run(MT_COMBINE_IMTL_G, G2, 3, 3, NULL), MT_ERR_NUMERIC);
    assert_string_equal(mt_last_error(), "combine imtl_g: the task gradients are linearly dependent (rank 2 of 3); "
                                         "IMTL-G needs independent gradients");
}

/* The new aggregators on small vectors, against results worked out by
 * hand (the working is in each comment). */
static void expect_d(const char *m, const float *want, size_t P, double tol)
{
    for (size_t p = 0; p < P; p++)
        if (!(fabs(d[p] - want[p]) <= tol)) fail_msg("%s: d[%zu] = %.9g, by hand %.9g", m, p, d[p], want[p]);
}

static void test_mtl_combine_cases_new_aggregators_by_hand(void **state)
{
    (void)state;
    mt_combine_params p;
    combine_params_default(&p);
    /* ConFIG: u1 = (1, 0), u2 = (0, 1), v = (1, 1), v^ = v / sqrt 2,
     * length (g1 + g2) . v^ = 3 / sqrt 2, d = (1.5, 1.5) */
    const float G1[4] = {1, 0, 0, 2};
    assert_int_equal(run(MT_COMBINE_CONFIG, G1, 2, 2, &p), MT_OK);
    expect_d("config", (const float[]){1.5f, 1.5f}, 2, 1e-6);
    /* DualProj: g1 = (1, 0), g2 = (-2, 1), mean (-0.5, 0.5) conflicts
     * with g1; the dual cone is {v1 >= 0, v2 >= 2 v1}; the nearest point
     * of it is on the ray (0, 1): (0, 0.5) (distance 0.5; the other ray
     * (1, 2) gives (0.1, 0.2), distance 0.67) */
    const float G2[4] = {1, 0, -2, 1};
    assert_int_equal(run(MT_COMBINE_DUALPROJ, G2, 2, 2, &p), MT_OK);
    expect_d("dualproj", (const float[]){0.0f, 0.5f}, 2, 1e-6);
    /* FairGrad on orthogonal gradients: M = diag(n_i^2), so n_i^2 a_i =
     * a_i^(-1/p) and a_i = n_i^(-2p / (p + 1)); p = 2: a = (1, 2^(-4/3)) */
    const float G3[4] = {1, 0, 0, 2};
    p.fairgrad_alpha = 2;
    assert_int_equal(run(MT_COMBINE_FAIRGRAD, G3, 2, 2, &p), MT_OK);
    assert_true(fabs(alpha[0] - 1.0) < 1e-6 && fabs(alpha[1] - pow(2.0, -4.0 / 3.0)) < 1e-6);
    p.fairgrad_alpha = 1; /* Nash-MTL: a_i = 1 / n_i */
    assert_int_equal(run(MT_COMBINE_FAIRGRAD, G3, 2, 2, &p), MT_OK);
    assert_true(fabs(alpha[0] - 1.0) < 1e-6 && fabs(alpha[1] - 0.5) < 1e-6);
    /* SDMGrad, lambda 1: g1 = (2, 0), g2 = (0, 1), g0 = (1, 0.5); h1 =
     * (3, 0.5), h2 = (1, 1.5); on the segment the unconstrained optimum
     * gamma = h2 . (h2 - h1) / |h1 - h2|^2 = -0.1 is clamped to 0: w = (0,
     * 1), z = h2, d = z / 2 = (0.5, 0.75), alpha = ((0 + 1/2) / 2,
     * (1 + 1/2) / 2) */
    const float G4[4] = {2, 0, 0, 1};
    p.sdmgrad_lambda = 1;
    assert_int_equal(run(MT_COMBINE_SDMGRAD, G4, 2, 2, &p), MT_OK);
    expect_d("sdmgrad", (const float[]){0.5f, 0.75f}, 2, 1e-6);
    assert_true(fabs(alpha[0] - 0.25) < 1e-6 && fabs(alpha[1] - 0.75) < 1e-6);
    /* Krum, f = 1, m = 3: three gradients near (1, 0) and one at (10,
     * 10); a score sums the squared distances to the T - f - 2 = 1
     * nearest: 0.01 for each near one, |(10, 10) - (1.1, 0)|^2 = 179.21
     * for the outlier. The three are averaged: d = (1, 0). */
    const float G5[8] = {1, 0, 1.1f, 0, 0.9f, 0, 10, 10};
    p.krum_f = 1;
    p.krum_m = 3;
    assert_int_equal(run(MT_COMBINE_KRUM, G5, 4, 2, &p), MT_OK);
    expect_d("krum", (const float[]){1.0f, 0.0f}, 2, 1e-6);
    assert_true(alpha[3] == 0.0f);
    p.krum_f = 2; /* 4 tasks are too few for f = 2 */
    mt_combiner *c = NULL;
    assert_int_equal(combine_new(&c, MT_COMBINE_KRUM, 4, &p), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "combine krum: f = 2 needs at least f + 3 = 5 tasks, there are 4");
    /* Trimmed mean, trim 1 of 3: the coordinate-wise median (2, 0) */
    const float G6[6] = {1, 5, 2, -1, 100, 0};
    p.trim = 1;
    assert_int_equal(run(MT_COMBINE_TRIMMED_MEAN, G6, 3, 2, &p), MT_OK);
    expect_d("trimmed_mean", (const float[]){2.0f, 0.0f}, 2, 0);
}

/* The stateful methods by hand on two tasks in two dimensions. */
static void test_mtl_combine_cases_stateful_by_hand(void **state)
{
    (void)state;
    mt_combiner *c = NULL;
    /* MoCo, t = 1 (beta_1 = 0.5, gamma_1 = 0.1): g1 = (3, 0), L1 = 1,
     * g2 = (0, 1), L2 = 2: h = (1, 0), (0, 2); y = h / 2 = (0.5, 0), (0,
     * 1); Y Y^T = diag(0.25, 1); lambda = (0.5, 0.5) - 0.1 (0.125, 0.5) =
     * (0.4875, 0.45), projected (sum 0.9375: + 0.03125 each) = (0.51875,
     * 0.48125); d = Y^T lambda = (0.259375, 0.48125) */
    const float G[4] = {3, 0, 0, 1}, L[2] = {1, 2};
    assert_int_equal(combine_new(&c, MT_COMBINE_MOCO, 2, NULL), MT_OK);
    assert_int_equal(combine_run(c, G, 2, 2, L, d, alpha), MT_ERR_STATE); /* no state yet */
    assert_string_equal(mt_last_error(), "combine moco: no state reserved (combine_reserve) before combine_run");
    assert_int_equal(combine_reserve(c, 2), MT_OK);
    assert_int_equal(combine_run(c, G, 2, 2, L, d, alpha), MT_OK);
    expect_d("moco", (const float[]){0.259375f, 0.48125f}, 2, 1e-7);
    assert_int_equal(combine_run(c, G, 2, 3, L, d, alpha), MT_ERR_SHAPE);
    combine_free(c);
    /* DB-MTL, t = 1 (beta 0.9): b = 0.1 g / L = (0.3, 0), (0, 0.05);
     * each scaled to the largest norm 0.3: d = (0.3, 0.3). Scaling a
     * task's gradient and loss together changes nothing (log-loss). */
    assert_int_equal(combine_new(&c, MT_COMBINE_DB_MTL, 2, NULL), MT_OK);
    assert_int_equal(combine_reserve(c, 2), MT_OK);
    assert_int_equal(combine_run(c, G, 2, 2, L, d, alpha), MT_OK);
    expect_d("db_mtl", (const float[]){0.3f, 0.3f}, 2, 1e-7);
    combine_reset(c);
    const float G2[4] = {3, 0, 0, 1000}, L2[2] = {1, 2000};
    assert_int_equal(combine_run(c, G2, 2, 2, L2, d, alpha), MT_OK);
    expect_d("db_mtl scaled", (const float[]){0.3f, 0.3f}, 2, 1e-7);
    combine_free(c);
    /* ExcessMTL (step 0.01): call 1 g1 = (1, 0), g2 = (0, 2) sets the
     * references e0 = 1 / sqrt(1 + 1e-7), 4 / sqrt(4 + 1e-7), w = (1, 1);
     * call 2 g1 = (2, 0), g2 = (0, 2): A = 5, 8, e = 4 / sqrt(5 + 1e-7),
     * 4 / sqrt(8 + 1e-7); w_i = exp(0.01 e_i / e0_i), scaled to sum 2 */
    const float Ga[4] = {1, 0, 0, 2}, Gb[4] = {2, 0, 0, 2};
    assert_int_equal(combine_new(&c, MT_COMBINE_EXCESS_MTL, 2, NULL), MT_OK);
    assert_int_equal(combine_reserve(c, 2), MT_OK);
    assert_int_equal(combine_run(c, Ga, 2, 2, NULL, d, alpha), MT_OK);
    assert_true(alpha[0] == 1.0f && alpha[1] == 1.0f);
    assert_int_equal(combine_run(c, Gb, 2, 2, NULL, d, alpha), MT_OK);
    double w1 = exp(0.01 * (4 / sqrt(5 + 1e-7)) / (1 / sqrt(1 + 1e-7)));
    double w2 = exp(0.01 * (4 / sqrt(8 + 1e-7)) / (4 / sqrt(4 + 1e-7)));
    assert_true(fabs(alpha[0] - 2 * w1 / (w1 + w2)) < 1e-6 && fabs(alpha[1] - 2 * w2 / (w1 + w2)) < 1e-6);
    expect_d("excess_mtl", (const float[]){(float)(4 * w1 / (w1 + w2)), (float)(4 * w2 / (w1 + w2))}, 2, 1e-6);
    combine_free(c);
}

/* Nash-MTL's options from the authors' code: reusing alpha for k steps,
 * warm start (same solution) and clipping |d|. */
static void test_mtl_combine_cases_nash_options(void **state)
{
    (void)state;
    enum { T = 3, P = 5, N = 4 };
    float G[N][T * P], cold[N][T], dd[N][P];
    mt_rng r;
    mt_rng_init(&r, 7, 0);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < T * P; k++) G[n][k] = (float)mt_rng_normal(&r);
    for (int n = 0; n < N; n++) {
        assert_int_equal(run(MT_COMBINE_NASH_MTL, G[n], T, P, NULL), MT_OK);
        memcpy(cold[n], alpha, sizeof alpha[0] * T);
        memcpy(dd[n], d, sizeof d[0] * P);
    }
    mt_combine_params p;
    combine_params_default(&p);
    mt_combiner *c = NULL;
    /* update every 3: calls 0 and 3 solve, calls 1 and 2 reuse call 0's */
    p.nash_update_every = 3;
    assert_int_equal(combine_new(&c, MT_COMBINE_NASH_MTL, T, &p), MT_OK);
    for (int n = 0; n < N; n++) {
        assert_int_equal(combine_run(c, G[n], T, P, NULL, d, alpha), MT_OK);
        int src = n < 3 ? 0 : 3;
        for (int i = 0; i < T; i++) assert_true(alpha[i] == cold[src][i]);
    }
    combine_free(c);
    /* warm start: the same fixed point to the tolerance */
    p.nash_update_every = 1;
    p.nash_warm_start = 1;
    assert_int_equal(combine_new(&c, MT_COMBINE_NASH_MTL, T, &p), MT_OK);
    for (int n = 0; n < N; n++) {
        assert_int_equal(combine_run(c, G[n], T, P, NULL, d, alpha), MT_OK);
        for (int i = 0; i < T; i++) assert_true(fabs(alpha[i] - cold[n][i]) <= 1e-6 * fabs(cold[n][i]));
    }
    combine_free(c);
    /* max_norm: half of |d| scales d by exactly 1/2; twice |d| leaves it */
    double n0 = 0;
    for (int k = 0; k < P; k++) n0 += (double)dd[0][k] * dd[0][k];
    n0 = sqrt(n0);
    p.nash_warm_start = 0;
    for (int twice = 0; twice < 2; twice++) {
        p.nash_max_norm = twice ? 2 * n0 : 0.5 * n0;
        assert_int_equal(run(MT_COMBINE_NASH_MTL, G[0], T, P, &p), MT_OK);
        double f = twice ? 1.0 : 0.5, nd = 0;
        for (int k = 0; k < P; k++) {
            assert_true(fabs(d[k] - f * dd[0][k]) <= 1e-6 * n0);
            nd += (double)d[k] * d[k];
        }
        assert_true(fabs(sqrt(nd) - f * n0) <= 1e-6 * n0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_combine_cases_cagrad_corner),
        cmocka_unit_test(test_mtl_combine_cases_cagrad_spread_norms),
        cmocka_unit_test(test_mtl_combine_cases_cagrad_nearly_opposed),
        cmocka_unit_test(test_mtl_combine_cases_upgrad_spread_and_opposed),
        cmocka_unit_test(test_mtl_combine_cases_imtl_g_too_many_tasks),
        cmocka_unit_test(test_mtl_combine_cases_new_aggregators_by_hand),
        cmocka_unit_test(test_mtl_combine_cases_nash_options),
        cmocka_unit_test(test_mtl_combine_cases_stateful_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
