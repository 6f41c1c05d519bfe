/* test_mtl_weighting.c - loss weighting methods against hand computations,
 * stationary points and invariants. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include <stdio.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/rng.h"
#include "core/status.h"
#include "mtl/weighting.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static mt_weighting *make(mt_weighting_kind kind, int T, const mt_weighting_params *p)
{
    mt_weighting *w = NULL;
    assert_int_equal(weighting_new(&w, kind, T, p), MT_OK);
    assert_non_null(w);
    return w;
}

static void test_mtl_weighting_equal_and_static(void **state)
{
    (void)state;
    mt_weighting *w = make(MT_WEIGHT_EQUAL, 3, NULL);
    const float L[3] = {0.5f, 2.0f, 7.0f};
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    for (int i = 0; i < 3; i++) assert_true(weighting_weights(w)[i] == 1.0f);
    assert_null(weighting_learned(w));
    weighting_free(w);

    mt_weighting_params p;
    weighting_params_default(&p);
    const float sw[3] = {0.2f, 1.0f, 3.0f};
    p.static_w = sw;
    w = make(MT_WEIGHT_STATIC, 3, &p);
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    for (int i = 0; i < 3; i++) assert_true(weighting_weights(w)[i] == sw[i]);
    /* the setter takes effect at once, mid-run */
    const float nw[3] = {1.0f, 0.0f, 0.5f};
    assert_int_equal(weighting_set_static(w, nw), MT_OK);
    for (int i = 0; i < 3; i++) assert_true(weighting_weights(w)[i] == nw[i]);
    assert_int_equal(weighting_update(w, NULL, NULL), MT_OK);
    for (int i = 0; i < 3; i++) assert_true(weighting_weights(w)[i] == nw[i]);
    const float bad[3] = {1.0f, -1.0f, 0.5f};
    assert_int_equal(weighting_set_static(w, bad), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting_set_static: weights[1] is -1 (must be finite and >= 0)");
    for (int i = 0; i < 3; i++) assert_true(weighting_weights(w)[i] == nw[i]);
    weighting_free(w);

    p.static_w = bad;
    mt_weighting *x = NULL;
    assert_int_equal(weighting_new(&x, MT_WEIGHT_STATIC, 3, &p), MT_ERR_ARG);
    assert_null(x);
    assert_string_equal(mt_last_error(), "weighting static: static_w[1] is -1 (must be finite and >= 0)");
}

/* total = c exp(-s) L + s/2 at fixed L: s* = log(2 c L). One SGD step is
 * checked by hand first, then the fixed point after many steps. */
static void test_mtl_weighting_uncertainty_stationary_point(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.opt = MT_WOPT_SGD;
    p.lr = 0.1;
    const int cls[2] = {0, 1};
    p.classify = cls;
    mt_weighting *w = make(MT_WEIGHT_UNCERTAINTY, 2, &p);
    const float L[2] = {0.3f, 2.0f};
    /* initial weights c_i: 1/2 regression, 1 classification */
    NEAR(weighting_weights(w)[0], 0.5, 1e-7);
    NEAR(weighting_weights(w)[1], 1.0, 1e-7);
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    assert_int_equal(weighting_update(w, NULL, NULL), MT_OK);
    const double *s = weighting_learned(w);
    NEAR(s[0], -0.1 * (-0.5 * 0.3f + 0.5), 1e-9);
    NEAR(s[1], -0.1 * (-1.0 * 2.0f + 0.5), 1e-9);
    NEAR(weighting_weights(w)[0], 0.5 * exp(-s[0]), 1e-6);
    for (int k = 0; k < 3000; k++) {
        assert_int_equal(weighting_prepare(w, L), MT_OK);
        assert_int_equal(weighting_update(w, NULL, NULL), MT_OK);
    }
    NEAR(s[0], log(2 * 0.5 * 0.3), 1e-6);
    NEAR(s[1], log(2 * 1.0 * 2.0), 1e-6);
    NEAR(weighting_sigma(w, 1), sqrt(4.0), 1e-5);
    /* at the fixed point every effective weight is 1/(2 L_i) */
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    NEAR(weighting_weights(w)[0], 1.0 / (2 * 0.3), 1e-4);
    NEAR(weighting_weights(w)[1], 1.0 / (2 * 2.0), 1e-5);
    assert_true(isnan(weighting_sigma(w, 5)));
    weighting_free(w);
}

/* total = e^s L - s: s* = -log L, whatever the optimiser. */
static void test_mtl_weighting_imtl_l_stationary_point(void **state)
{
    (void)state;
    for (int opt = 0; opt < 2; opt++) {
        mt_weighting_params p;
        weighting_params_default(&p);
        p.opt = opt ? MT_WOPT_ADAM : MT_WOPT_SGD;
        p.lr = opt ? 0.01 : 0.2;
        mt_weighting *w = make(MT_WEIGHT_IMTL_L, 3, &p);
        const float L[3] = {0.25f, 1.0f, 3.0f};
        for (int k = 0; k < 4000; k++) {
            assert_int_equal(weighting_prepare(w, L), MT_OK);
            assert_int_equal(weighting_update(w, NULL, NULL), MT_OK);
        }
        const double *s = weighting_learned(w);
        double tol = opt ? 2e-2 : 1e-6; /* Adam hovers within ~lr */
        for (int i = 0; i < 3; i++) {
            NEAR(s[i], -log((double)L[i]), tol);
            NEAR(weighting_weights(w)[i] * L[i], 1.0, 3 * tol);
        }
        weighting_free(w);
    }
}

/* One GradNorm update worked out on paper:
 * w = (1,1,1), n = (1,2,4), L0 = (1,2,4), L = (0.5,1.5,4), alpha = 1.5.
 * G = (1,2,4), Gbar = 7/3; Ltil = (0.5,0.75,1), mean 0.75, r = (2/3,1,4/3);
 * target = 7/3 r^1.5 = (1.2701, 2.3333, 3.5923); signs (-,-,+);
 * grad = (-1,-2,+4); SGD lr 0.05: (1.05, 1.10, 0.80), sum 2.95,
 * renormalised to sum 3: x 3/2.95. */
static void test_mtl_weighting_gradnorm_hand_update(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.opt = MT_WOPT_SGD;
    p.lr = 0.05;
    p.gradnorm_alpha = 1.5;
    mt_weighting *w = make(MT_WEIGHT_GRADNORM, 3, &p);
    assert_true(weighting_needs_grad_norms(MT_WEIGHT_GRADNORM));
    assert_false(weighting_needs_grad_norms(MT_WEIGHT_DWA));
    const float L0[3] = {1, 2, 4}, L1[3] = {0.5f, 1.5f, 4}, n[3] = {1, 2, 4};
    assert_int_equal(weighting_prepare(w, L0), MT_OK); /* records L(0) */
    /* at t = 0 every ratio is 1: targets are Gbar; G = (1,2,4), Gbar = 7/3 */
    assert_int_equal(weighting_update(w, n, NULL), MT_OK);
    double e0[3] = {1 + 0.05 * 1, 1 + 0.05 * 2, 1 - 0.05 * 4};
    double s0 = e0[0] + e0[1] + e0[2];
    for (int i = 0; i < 3; i++) NEAR(weighting_weights(w)[i], e0[i] * 3 / s0, 1e-6);

    /* second update from these weights with the new losses */
    double wv[3];
    for (int i = 0; i < 3; i++) wv[i] = e0[i] * 3 / s0;
    double G[3], gbar = 0, lt[3], lbar = 0;
    for (int i = 0; i < 3; i++) {
        G[i] = wv[i] * n[i];
        gbar += G[i] / 3;
        lt[i] = (double)L1[i] / L0[i];
        lbar += lt[i] / 3;
    }
    double e1[3], s1 = 0;
    for (int i = 0; i < 3; i++) {
        double target = gbar * pow(lt[i] / lbar, 1.5);
        e1[i] = wv[i] - 0.05 * (G[i] > target ? 1 : -1) * n[i];
        s1 += e1[i];
    }
    assert_int_equal(weighting_prepare(w, L1), MT_OK);
    assert_int_equal(weighting_update(w, n, NULL), MT_OK);
    for (int i = 0; i < 3; i++) NEAR(weighting_weights(w)[i], e1[i] * 3 / s1, 1e-6);

    /* without gradient norms GradNorm cannot update */
    assert_int_equal(weighting_prepare(w, L1), MT_OK);
    assert_int_equal(weighting_update(w, NULL, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting gradnorm: grad_norms is NULL (gradnorm needs ||grad_W L_i|| "
                                         "at the last shared layer)");
    weighting_free(w);
}

/* Whatever the losses and norms, the weights stay positive and sum to T. */
static void test_mtl_weighting_gradnorm_sum_invariant(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.lr = 0.3; /* large, to push weights to the floor */
    const int T = 5;
    mt_weighting *w = make(MT_WEIGHT_GRADNORM, T, &p);
    mt_rng r;
    mt_rng_init(&r, 11, 0);
    int hit_floor = 0;
    for (int k = 0; k < 2000; k++) {
        float L[5], n[5];
        for (int i = 0; i < T; i++) {
            L[i] = (float)(0.01 + 5 * mt_rng_uniform(&r));
            n[i] = (float)(i == 0 ? 50 * mt_rng_uniform(&r) : mt_rng_uniform(&r));
        }
        assert_int_equal(weighting_prepare(w, L), MT_OK);
        assert_int_equal(weighting_update(w, n, NULL), MT_OK);
        double s = 0;
        for (int i = 0; i < T; i++) {
            float wi = weighting_weights(w)[i];
            assert_true(wi > 0.0f);
            hit_floor += wi < 0.01f;
            s += wi;
        }
        NEAR(s, T, 1e-4);
    }
    assert_true(hit_floor > 0);
    weighting_free(w);
}

static void test_mtl_weighting_dwa_windows(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.dwa_temp = 2.0;
    mt_weighting *w = make(MT_WEIGHT_DWA, 2, &p);
    const float L[2] = {1, 1};
    const float win1[2] = {1.0f, 1.0f}, win2[2] = {0.5f, 1.0f}, win3[2] = {0.4f, 0.5f};
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    assert_true(weighting_weights(w)[0] == 1.0f && weighting_weights(w)[1] == 1.0f);
    assert_int_equal(weighting_window_end(w, win1), MT_OK);
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    assert_true(weighting_weights(w)[0] == 1.0f && weighting_weights(w)[1] == 1.0f);
    assert_int_equal(weighting_window_end(w, win2), MT_OK);
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    /* r = (0.5, 1): w = 2 e^{r/2} / sum */
    double a = exp(0.25), b = exp(0.5);
    NEAR(weighting_weights(w)[0], 2 * a / (a + b), 1e-6);
    NEAR(weighting_weights(w)[1], 2 * b / (a + b), 1e-6);
    assert_int_equal(weighting_window_end(w, win3), MT_OK);
    /* r = (0.8, 0.5) */
    a = exp(0.4);
    b = exp(0.25);
    NEAR(weighting_weights(w)[0], 2 * a / (a + b), 1e-6);
    NEAR(weighting_weights(w)[1], 2 * b / (a + b), 1e-6);
    const float zero[2] = {0.0f, 1.0f};
    assert_int_equal(weighting_window_end(w, zero), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting dwa: mean_losses[0] is 0 (must be > 0)");
    weighting_free(w);
}

static void test_mtl_weighting_rlw_random_softmax(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.seed = 5;
    mt_weighting *a = make(MT_WEIGHT_RLW, 4, &p), *b = make(MT_WEIGHT_RLW, 4, &p);
    p.seed = 6;
    mt_weighting *c = make(MT_WEIGHT_RLW, 4, &p);
    const float L[4] = {1, 2, 3, 4};
    double mean[4] = {0}, prev0 = -1;
    int changed = 0, differs = 0;
    const int N = 4000;
    for (int k = 0; k < N; k++) {
        assert_int_equal(weighting_prepare(a, L), MT_OK);
        assert_int_equal(weighting_prepare(b, L), MT_OK);
        assert_int_equal(weighting_prepare(c, L), MT_OK);
        double s = 0;
        for (int i = 0; i < 4; i++) {
            float wi = weighting_weights(a)[i];
            assert_true(wi > 0.0f);
            assert_true(wi == weighting_weights(b)[i]); /* same seed, same draws */
            differs += wi != weighting_weights(c)[i];
            s += wi;
            mean[i] += wi / N;
        }
        NEAR(s, 4.0, 1e-5);
        changed += weighting_weights(a)[0] != prev0;
        prev0 = weighting_weights(a)[0];
    }
    assert_int_equal(changed, N);
    assert_true(differs > 3 * N);
    /* exchangeable weights summing to 4 have mean 1 */
    for (int i = 0; i < 4; i++) NEAR(mean[i], 1.0, 0.05);
    weighting_free(a);
    weighting_free(b);
    weighting_free(c);
}

static void test_mtl_weighting_scale_invariant(void **state)
{
    (void)state;
    mt_weighting *w = make(MT_WEIGHT_SCALE_INV, 3, NULL);
    const float L[3] = {0.5f, 4.0f, 0.01f};
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    /* d/dtheta log L_i = grad L_i / L_i */
    for (int i = 0; i < 3; i++) NEAR(weighting_weights(w)[i], 1.0 / L[i], 1e-6 / L[i]);
    const float Lz[3] = {0.5f, 0.0f, 1.0f};
    assert_int_equal(weighting_prepare(w, Lz), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting scale_inv: losses[1] is 0 (must be > 0)");
    const float Ln[3] = {0.5f, NAN, 1.0f};
    assert_int_equal(weighting_prepare(w, Ln), MT_ERR_NUMERIC);
    assert_string_equal(mt_last_error(), "weighting scale_inv: losses[1] is nan");
    weighting_free(w);
}

/* FAMO by hand: xi = 0, L(t) = (1, 2): z = (1/2, 1/2),
 * c = 1/(0.5/1 + 0.5/2) = 4/3, w = c z / L = (2/3, 1/3).
 * L(t+1) = (0.5, 1.8): delta = (log 2, log(2/1.8)),
 * grad_j = z_j (delta_j - zbar.delta) + gamma xi_j, SGD xi -= lr grad. */
static void test_mtl_weighting_famo_hand_update(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.opt = MT_WOPT_SGD;
    p.lr = 0.5;
    p.famo_gamma = 0.1;
    mt_weighting *w = make(MT_WEIGHT_FAMO, 2, &p);
    const float L[2] = {1.0f, 2.0f}, La[2] = {0.5f, 1.8f};
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    NEAR(weighting_weights(w)[0], 2.0 / 3, 1e-7);
    NEAR(weighting_weights(w)[1], 1.0 / 3, 1e-7);
    assert_int_equal(weighting_update(w, NULL, La), MT_OK);
    double d1 = log(2.0), d2 = log(2.0 / (double)1.8f), db = 0.5 * (d1 + d2);
    double x1 = -0.5 * 0.5 * (d1 - db), x2 = -0.5 * 0.5 * (d2 - db);
    const double *xi = weighting_learned(w);
    NEAR(xi[0], x1, 1e-9);
    NEAR(xi[1], x2, 1e-9);
    assert_true(xi[0] < xi[1]); /* task 0 improved faster: less weight */
    /* second step: weight decay enters, and weights follow z / L */
    assert_int_equal(weighting_prepare(w, La), MT_OK);
    double z1 = exp(x1) / (exp(x1) + exp(x2)), z2 = 1 - z1;
    double ic = z1 / 0.5 + z2 / (double)1.8f;
    NEAR(weighting_weights(w)[0], z1 / 0.5 / ic, 1e-6);
    NEAR(weighting_weights(w)[1], z2 / (double)1.8f / ic, 1e-6);
    const float Lb[2] = {0.45f, 1.0f};
    assert_int_equal(weighting_update(w, NULL, Lb), MT_OK);
    double e1 = log(0.5) - log((double)0.45f), e2 = log((double)1.8f) - log(1.0);
    double eb = z1 * e1 + z2 * e2;
    NEAR(xi[0], x1 - 0.5 * (z1 * (e1 - eb) + 0.1 * x1), 1e-9);
    NEAR(xi[1], x2 - 0.5 * (z2 * (e2 - eb) + 0.1 * x2), 1e-9);

    /* deferred mode: passing the after-losses to the next prepare gives
     * the same logits as passing them to update */
    mt_weighting *d = make(MT_WEIGHT_FAMO, 2, &p);
    assert_int_equal(weighting_prepare(d, L), MT_OK);
    assert_int_equal(weighting_update(d, NULL, NULL), MT_OK);
    assert_int_equal(weighting_prepare(d, La), MT_OK);
    NEAR(weighting_learned(d)[0], x1, 1e-12);
    NEAR(weighting_learned(d)[1], x2, 1e-12);
    weighting_free(d);
    weighting_free(w);

    /* Adam's first step moves each logit by lr against the gradient sign */
    weighting_params_default(&p);
    p.lr = 0.025;
    p.famo_gamma = 0.0;
    w = make(MT_WEIGHT_FAMO, 2, &p);
    assert_int_equal(weighting_prepare(w, L), MT_OK);
    assert_int_equal(weighting_update(w, NULL, La), MT_OK);
    NEAR(weighting_learned(w)[0], -0.025, 1e-8);
    NEAR(weighting_learned(w)[1], 0.025, 1e-8);
    weighting_free(w);
}

/* Drives a method through a fixed sequence and records its weights. */
static void drive(mt_weighting *w, int steps, uint64_t seed, float *out /* (steps, 3) */)
{
    mt_rng r;
    mt_rng_init(&r, seed, 1);
    for (int k = 0; k < steps; k++) {
        float L[3], n[3];
        for (int i = 0; i < 3; i++) {
            L[i] = (float)(0.1 + mt_rng_uniform(&r));
            n[i] = (float)mt_rng_uniform(&r);
        }
        assert_int_equal(weighting_prepare(w, L), MT_OK);
        memcpy(out + 3 * k, weighting_weights(w), 3 * sizeof(float));
        assert_int_equal(weighting_update(w, n, NULL), MT_OK);
        if (k % 4 == 3) assert_int_equal(weighting_window_end(w, L), MT_OK);
    }
}

/* The user switches method mid-run: a reset method must behave exactly like
 * a fresh one (GradNorm's L(0), DWA's history, learned scalars, moments,
 * RLW's stream, FAMO's pending update). */
static void test_mtl_weighting_reset_is_fresh(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.seed = 3;
    for (int k = 0; k < MT_WEIGHT_KIND_COUNT; k++) {
        float a[3 * 20], b[3 * 20];
        mt_weighting *fresh = make((mt_weighting_kind)k, 3, &p);
        drive(fresh, 20, 9, a);
        weighting_free(fresh);
        /* another method's history, then switch */
        mt_weighting *used = make(MT_WEIGHT_GRADNORM, 3, &p);
        drive(used, 13, 4, b);
        assert_int_equal(weighting_switch(used, (mt_weighting_kind)k), MT_OK);
        drive(used, 7, 5, b);
        weighting_reset(used);
        drive(used, 20, 9, b);
        assert_memory_equal(a, b, sizeof a);
        weighting_free(used);
    }
}

static void test_mtl_weighting_errors_and_names(void **state)
{
    (void)state;
    mt_weighting *w = NULL;
    char want[80];
    snprintf(want, sizeof want, "weighting equal: task count %d out of range 1..%d", MT_MAX_TASKS + 1,
             MT_MAX_TASKS);
    assert_int_equal(weighting_new(&w, MT_WEIGHT_EQUAL, MT_MAX_TASKS + 1, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), want);
    assert_int_equal(weighting_new(&w, MT_WEIGHT_EQUAL, MT_MAX_TASKS, NULL), MT_OK);
    weighting_free(w);
    w = NULL;
    assert_int_equal(weighting_new(&w, MT_WEIGHT_EQUAL, 0, NULL), MT_ERR_ARG);
    mt_weighting_params p;
    weighting_params_default(&p);
    p.lr = -1;
    assert_int_equal(weighting_new(&w, MT_WEIGHT_UNCERTAINTY, 2, &p), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting uncertainty: lr: expected a number in [1e-09, 10], got -1");
    w = make(MT_WEIGHT_UNCERTAINTY, 2, NULL);
    assert_int_equal(weighting_update(w, NULL, NULL), MT_ERR_STATE);
    assert_string_equal(mt_last_error(), "weighting uncertainty: weighting_update called without weighting_prepare");
    weighting_free(w);
    mt_weighting_kind k;
    assert_int_equal(weighting_kind_parse("famo", &k), MT_OK);
    assert_int_equal(k, MT_WEIGHT_FAMO);
    assert_string_equal(weighting_kind_name(MT_WEIGHT_SCALE_INV), "scale_inv");
    assert_int_equal(weighting_kind_parse("gradnrom", &k), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting: unknown method \"gradnrom\" (expected equal, static, "
                                         "uncertainty, gradnorm, dwa, rlw, scale_inv, imtl_l, famo, gls, auto_lambda or stch)");
}

/* RLW's two scales: the same draws, summing to T (tasks) or 1 (one, as
 * LibMTL). With T = 4 the division by T is exact in float. */
static void test_mtl_weighting_rlw_total_one(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.seed = 9;
    mt_weighting *a = make(MT_WEIGHT_RLW, 4, &p);
    p.rlw_total = 1;
    mt_weighting *b = make(MT_WEIGHT_RLW, 4, &p);
    const float L[4] = {1, 2, 3, 4};
    for (int k = 0; k < 100; k++) {
        assert_int_equal(weighting_prepare(a, L), MT_OK);
        assert_int_equal(weighting_prepare(b, L), MT_OK);
        double s = 0;
        for (int i = 0; i < 4; i++) {
            assert_true(weighting_weights(b)[i] == weighting_weights(a)[i] / 4.0f);
            s += weighting_weights(b)[i];
        }
        NEAR(s, 1.0, 1e-6);
    }
    weighting_free(a);
    weighting_free(b);
}

/* The weights are the gradient of the method's total: central finite
 * differences of total(L) in double, step 1e-6 L_i. */
static void fd_weights(double (*total)(const double *, int, const double *, double), const double *L, int T,
                       const double *z, double mu, double *g)
{
    for (int i = 0; i < T; i++) {
        double Lp[8], Lm[8], h = 1e-6 * L[i];
        memcpy(Lp, L, sizeof(double) * (size_t)T);
        memcpy(Lm, L, sizeof(double) * (size_t)T);
        Lp[i] += h;
        Lm[i] -= h;
        g[i] = (total(Lp, T, z, mu) - total(Lm, T, z, mu)) / (2 * h);
    }
}

static double gls_total(const double *L, int T, const double *z, double mu)
{
    (void)z;
    (void)mu;
    double p = 1;
    for (int i = 0; i < T; i++) p *= L[i];
    return pow(p, 1.0 / T);
}

static double stch_total(const double *L, int T, const double *z, double mu)
{
    double s = 0;
    for (int i = 0; i < T; i++) s += exp(log(L[i] / z[i]) / mu);
    return T * mu * log(s);
}

static void test_mtl_weighting_gls_geometric_mean(void **state)
{
    (void)state;
    mt_weighting *w = make(MT_WEIGHT_GLS, 2, NULL);
    /* by hand: L = (1, 4), (prod)^(1/2) = 2, w = 2 / (2 L) = (1, 0.25) */
    assert_int_equal(weighting_prepare(w, (const float[]){1, 4}), MT_OK);
    assert_true(weighting_weights(w)[0] == 1.0f && weighting_weights(w)[1] == 0.25f);
    weighting_free(w);
    /* spread over 1e6 and three tasks: the finite-difference gradient */
    w = make(MT_WEIGHT_GLS, 3, NULL);
    const float Lf[3] = {1e-3f, 2.5f, 900.0f};
    const double L[3] = {1e-3f, 2.5f, 900.0f};
    double g[3];
    assert_int_equal(weighting_prepare(w, Lf), MT_OK);
    fd_weights(gls_total, L, 3, NULL, 0, g);
    for (int i = 0; i < 3; i++) NEAR(weighting_weights(w)[i], g[i], 1e-6 * fabs(g[i]));
    /* losses must be positive */
    assert_int_equal(weighting_prepare(w, (const float[]){1, 0, 2}), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "weighting gls: losses[1] is 0 (must be > 0)");
    weighting_free(w);
}

static void test_mtl_weighting_stch_smooth_max(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    p.stch_warmup = 2;
    mt_weighting *w = make(MT_WEIGHT_STCH, 2, &p);
    /* warm-up: w = 1 / L, the nadir the mean of (1, 2) and (3, 2) = (2, 2) */
    assert_int_equal(weighting_prepare(w, (const float[]){1, 2}), MT_OK);
    assert_true(weighting_weights(w)[0] == 1.0f && weighting_weights(w)[1] == 0.5f);
    assert_int_equal(weighting_prepare(w, (const float[]){3, 2}), MT_OK);
    /* L = (2, 4): r = (0, log 2), softmax (1/3, 2/3), w = 2 s / L = (1/3, 1/3) */
    assert_int_equal(weighting_prepare(w, (const float[]){2, 4}), MT_OK);
    NEAR(weighting_weights(w)[0], 1.0 / 3, 1e-7);
    NEAR(weighting_weights(w)[1], 1.0 / 3, 1e-7);
    weighting_free(w);
    /* no warm-up, mu 0.1 and 1, losses spread over 1e4: the weights are
     * the finite-difference gradient of T mu log sum exp(log(L / z) / mu) */
    for (int k = 0; k < 2; k++) {
        p.stch_warmup = 0;
        p.stch_mu = k ? 1.0 : 0.1;
        w = make(MT_WEIGHT_STCH, 3, &p);
        const float z[3] = {0.5f, 20.0f, 3.0f}, Lf[3] = {0.3f, 25.0f, 2.0f};
        const double zd[3] = {0.5f, 20.0f, 3.0f}, L[3] = {0.3f, 25.0f, 2.0f};
        double g[3];
        assert_int_equal(weighting_prepare(w, z), MT_OK); /* the nadir */
        assert_int_equal(weighting_prepare(w, Lf), MT_OK);
        fd_weights(stch_total, L, 3, zd, p.stch_mu, g);
        for (int i = 0; i < 3; i++) NEAR(weighting_weights(w)[i], g[i], 1e-6 * fabs(g[i]) + 1e-12);
        weighting_free(w);
    }
}

/* Auto-Lambda's meta step: one optimiser step on lambda (start 1) along
 * the hypergradient the trainer hands it; by hand with SGD, rate 0.1:
 * (1, 1) - 0.1 (1, -2) = (0.9, 1.2). Other kinds refuse it. */
static void test_mtl_weighting_auto_lambda_meta_step(void **state)
{
    (void)state;
    mt_weighting_params p;
    weighting_params_default(&p);
    assert_true(p.al_lr == 1e-4);
    p.opt = MT_WOPT_SGD;
    p.al_lr = 0.1;
    mt_weighting *w = make(MT_WEIGHT_AUTO_LAMBDA, 2, &p);
    assert_true(weighting_needs_lookahead(MT_WEIGHT_AUTO_LAMBDA) && !weighting_needs_lookahead(MT_WEIGHT_EQUAL));
    assert_int_equal(weighting_prepare(w, (const float[]){1, 2}), MT_OK);
    assert_true(weighting_weights(w)[0] == 1.0f && weighting_weights(w)[1] == 1.0f);
    assert_int_equal(weighting_meta_step(w, (const double[]){1, -2}), MT_OK);
    NEAR(weighting_weights(w)[0], 0.9, 1e-7);
    NEAR(weighting_weights(w)[1], 1.2, 1e-7);
    NEAR(weighting_learned(w)[1], 1.2, 1e-12);
    assert_int_equal(weighting_meta_step(w, (const double[]){NAN, 0}), MT_ERR_NUMERIC);
    weighting_free(w);
    w = make(MT_WEIGHT_EQUAL, 2, NULL);
    assert_int_equal(weighting_meta_step(w, (const double[]){1, 1}), MT_ERR_STATE);
    weighting_free(w);
}

/* The trainer calls prepare/update every step: no allocation there. */
static void test_mtl_weighting_no_alloc_per_step(void **state)
{
    (void)state;
    mt_weighting *w[MT_WEIGHT_KIND_COUNT];
    for (int k = 0; k < MT_WEIGHT_KIND_COUNT; k++) w[k] = make((mt_weighting_kind)k, 3, NULL);
    unsigned long before = mt_alloc_count();
    float out[3 * 10];
    for (int k = 0; k < MT_WEIGHT_KIND_COUNT; k++) {
        drive(w[k], 10, 1, out);
        assert_int_equal(weighting_switch(w[k], MT_WEIGHT_FAMO), MT_OK);
    }
    assert_int_equal(mt_alloc_count(), before);
    for (int k = 0; k < MT_WEIGHT_KIND_COUNT; k++) weighting_free(w[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_weighting_equal_and_static),
        cmocka_unit_test(test_mtl_weighting_uncertainty_stationary_point),
        cmocka_unit_test(test_mtl_weighting_imtl_l_stationary_point),
        cmocka_unit_test(test_mtl_weighting_gradnorm_hand_update),
        cmocka_unit_test(test_mtl_weighting_gradnorm_sum_invariant),
        cmocka_unit_test(test_mtl_weighting_dwa_windows),
        cmocka_unit_test(test_mtl_weighting_rlw_random_softmax),
        cmocka_unit_test(test_mtl_weighting_rlw_total_one),
        cmocka_unit_test(test_mtl_weighting_gls_geometric_mean),
        cmocka_unit_test(test_mtl_weighting_stch_smooth_max),
        cmocka_unit_test(test_mtl_weighting_auto_lambda_meta_step),
        cmocka_unit_test(test_mtl_weighting_scale_invariant),
        cmocka_unit_test(test_mtl_weighting_famo_hand_update),
        cmocka_unit_test(test_mtl_weighting_reset_is_fresh),
        cmocka_unit_test(test_mtl_weighting_errors_and_names),
        cmocka_unit_test(test_mtl_weighting_no_alloc_per_step),
    };
    return cmocka_run_group_tests_name("mtl_weighting", tests, NULL, NULL);
}
