/* test_engine_optim.c - optimizer updates against the PyTorch formulas
 * written out in double, clipping, schedules, and the params wrapper. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "core/mem.h"
#include "core/rng.h"
#include "engine/params.h"
#include "engine/optim.h"

#define N 4
#define STEPS 3

static const float P0[N] = {0.5f, -1.25f, 2.0f, 0.1f};
/* a different gradient each step, as a training run would give */
static const float G[STEPS][N] = {
    {0.3f, -0.7f, 1.1f, -0.05f},
    {-0.2f, 0.4f, 0.9f, 0.6f},
    {0.15f, -0.9f, -0.3f, 0.25f},
};
static const unsigned char MASK[N] = {1, 0, 1, 0};

static void assert_close(const float *got, const double *want, int n, double tol)
{
    for (int i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        if (err > tol * (1.0 + fabs(want[i])))
            fail_msg("element %d: got %.9g want %.9g (err %.3g)", i, (double)got[i], want[i], err);
    }
}

/* torch.optim.SGD's step for one element history, in double. */
static void ref_sgd(double *p, int n, double lr, double mu, double damp, int nesterov, double wd,
                    const unsigned char *mask, int steps)
{
    double buf[N] = {0};
    for (int s = 0; s < steps; s++)
        for (int i = 0; i < n; i++) {
            double g = G[s][i];
            if (wd != 0 && (!mask || mask[i])) g += wd * p[i];
            if (mu != 0) {
                buf[i] = s == 0 ? g : mu * buf[i] + (1 - damp) * g;
                g = nesterov ? g + mu * buf[i] : buf[i];
            }
            p[i] -= lr * g;
        }
}

/* torch.optim.Adam / AdamW for one element history, in double. */
static void ref_adam(double *p, int n, double lr, double b1, double b2, double eps, double wd,
                     int decoupled, const unsigned char *mask, int steps)
{
    double m[N] = {0}, v[N] = {0};
    for (int s = 0; s < steps; s++) {
        int t = s + 1;
        for (int i = 0; i < n; i++) {
            double g = G[s][i];
            int dec = wd != 0 && (!mask || mask[i]);
            if (dec && decoupled) p[i] *= 1 - lr * wd;
            if (dec && !decoupled) g += wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            double mhat = m[i] / (1 - pow(b1, t)), vhat = v[i] / (1 - pow(b2, t));
            p[i] -= lr * mhat / (sqrt(vhat) + eps);
        }
    }
}

static void run_steps(const mt_optim_config *cfg, float *p, const unsigned char *mask, int steps)
{
    mt_optim o;
    assert_int_equal(optim_init(&o, cfg, N), MT_OK);
    memcpy(p, P0, sizeof P0);
    for (int s = 0; s < steps; s++) assert_int_equal(optim_step(&o, p, G[s], mask), MT_OK);
    assert_int_equal(o.step, steps);
    optim_free(&o);
}

static void test_engine_optim_sgd_momentum_l2_matches_reference(void **state)
{
    (void)state;
    mt_optim_config c = optim_defaults(MT_OPTIM_SGD);
    c.lr = 0.1f;
    c.momentum = 0.9f;
    c.dampening = 0.1f;
    c.weight_decay = 0.05f;
    float p[N];
    for (int steps = 1; steps <= STEPS; steps++) {
        run_steps(&c, p, MASK, steps);
        double want[N];
        for (int i = 0; i < N; i++) want[i] = P0[i];
        ref_sgd(want, N, 0.1, 0.9, 0.1, 0, 0.05, MASK, steps);
        assert_close(p, want, N, 1e-6);
    }
    /* a hand check of element 1 (no decay) after two steps:
     * b1 = g1 = -0.7; p = -1.25 + 0.07 = -1.18;
     * b2 = 0.9*(-0.7) + 0.9*0.4 = -0.27; p = -1.18 + 0.027 = -1.153 */
    run_steps(&c, p, MASK, 2);
    assert_true(fabs(p[1] - (-1.153)) < 1e-6);
    /* plain SGD: p - lr*g */
    mt_optim_config plain = optim_defaults(MT_OPTIM_SGD);
    plain.lr = 0.5f;
    run_steps(&plain, p, NULL, 1);
    for (int i = 0; i < N; i++) assert_true(fabs(p[i] - (P0[i] - 0.5 * G[0][i])) < 1e-7);
}

static void test_engine_optim_nesterov_differs_from_momentum_as_formula(void **state)
{
    (void)state;
    mt_optim_config c = optim_defaults(MT_OPTIM_SGD);
    c.lr = 0.1f;
    c.momentum = 0.9f;
    float heavy[N], nest[N];
    run_steps(&c, heavy, NULL, STEPS);
    c.nesterov = 1;
    run_steps(&c, nest, NULL, STEPS);
    double want_h[N], want_n[N];
    for (int i = 0; i < N; i++) want_h[i] = want_n[i] = P0[i];
    ref_sgd(want_h, N, 0.1, 0.9, 0, 0, 0, NULL, STEPS);
    ref_sgd(want_n, N, 0.1, 0.9, 0, 1, 0, NULL, STEPS);
    assert_close(heavy, want_h, N, 1e-6);
    assert_close(nest, want_n, N, 1e-6);
    /* on the first step the buffer equals g, so Nesterov moves by
     * lr*(1+mu)*g against lr*g for heavy ball: exactly 1.9x as far */
    run_steps(&c, nest, NULL, 1);
    c.nesterov = 0;
    run_steps(&c, heavy, NULL, 1);
    for (int i = 0; i < N; i++) {
        double dn = nest[i] - P0[i], dh = heavy[i] - P0[i];
        assert_true(fabs(dn - 1.9 * dh) < 1e-6);
    }
}

static void test_engine_optim_adam_matches_reference(void **state)
{
    (void)state;
    mt_optim_config c = optim_defaults(MT_OPTIM_ADAM);
    c.lr = 0.01f;
    c.weight_decay = 0.1f;
    float p[N];
    for (int steps = 1; steps <= STEPS; steps++) {
        run_steps(&c, p, MASK, steps);
        double want[N];
        for (int i = 0; i < N; i++) want[i] = P0[i];
        ref_adam(want, N, 0.01, 0.9, 0.999, 1e-8, 0.1, 0, MASK, steps);
        assert_close(p, want, N, 1e-6);
    }
    /* Adam's first step moves every element by lr*sign(g) (mhat/sqrt(vhat)
     * = g/|g|), up to eps */
    c.weight_decay = 0;
    run_steps(&c, p, NULL, 1);
    for (int i = 0; i < N; i++) {
        double sign = G[0][i] > 0 ? 1 : -1;
        assert_true(fabs((p[i] - P0[i]) + 0.01 * sign) < 1e-6);
    }
}

/* torch.optim.RMSprop (centered False) and Adagrad for one element
 * history, in double. */
static void ref_rmsprop(double *p, int n, double lr, double alpha, double eps, double mu, double wd,
                        const unsigned char *mask, int steps)
{
    double v[N] = {0}, b[N] = {0};
    for (int s = 0; s < steps; s++)
        for (int i = 0; i < n; i++) {
            double g = G[s][i];
            if (wd != 0 && (!mask || mask[i])) g += wd * p[i];
            v[i] = alpha * v[i] + (1 - alpha) * g * g;
            double u = g / (sqrt(v[i]) + eps);
            if (mu > 0) {
                b[i] = mu * b[i] + u;
                u = b[i];
            }
            p[i] -= lr * u;
        }
}

static void ref_adagrad(double *p, int n, double lr, double lr_decay, double eps, double wd,
                        const unsigned char *mask, int steps)
{
    double v[N] = {0};
    for (int s = 0; s < steps; s++) {
        double clr = lr / (1 + s * lr_decay);
        for (int i = 0; i < n; i++) {
            double g = G[s][i];
            if (wd != 0 && (!mask || mask[i])) g += wd * p[i];
            v[i] += g * g;
            p[i] -= clr * g / (sqrt(v[i]) + eps);
        }
    }
}

static void test_engine_optim_rmsprop_adagrad_match_reference(void **state)
{
    (void)state;
    mt_optim_config c = optim_defaults(MT_OPTIM_RMSPROP);
    assert_true(c.lr == 1e-2f && c.alpha == 0.99f && c.eps == 1e-8f);
    c.weight_decay = 0.1f;
    float p[N];
    for (int mu = 0; mu < 2; mu++) {
        c.momentum = mu ? 0.9f : 0.0f;
        for (int steps = 1; steps <= STEPS; steps++) {
            run_steps(&c, p, MASK, steps);
            double want[N];
            for (int i = 0; i < N; i++) want[i] = P0[i];
            ref_rmsprop(want, N, 0.01, 0.99, 1e-8, c.momentum, 0.1, MASK, steps);
            assert_close(p, want, N, 1e-6);
        }
    }
    /* by hand, element 1 (no decay), one step without momentum: v =
     * 0.01 * 0.49 = 0.0049, sqrt 0.07, p = -1.25 - 0.01 (-0.7 / 0.07) =
     * -1.15 */
    c.momentum = 0;
    run_steps(&c, p, MASK, 1);
    assert_true(fabs(p[1] - (-1.15)) < 1e-6);

    mt_optim_config a = optim_defaults(MT_OPTIM_ADAGRAD);
    assert_true(a.lr == 1e-2f && a.eps == 1e-10f && a.lr_decay == 0.0f);
    a.weight_decay = 0.1f;
    a.lr_decay = 0.5f;
    for (int steps = 1; steps <= STEPS; steps++) {
        run_steps(&a, p, MASK, steps);
        double want[N];
        for (int i = 0; i < N; i++) want[i] = P0[i];
        ref_adagrad(want, N, 0.01, 0.5, 1e-10, 0.1, MASK, steps);
        assert_close(p, want, N, 1e-6);
    }
    /* by hand: Adagrad's first step is lr * sign(g) (v = g^2); element 1,
     * two steps, lr_decay 0.5: v = 0.49 + 0.16 = 0.65, the second rate
     * 0.01 / 1.5, p = -1.25 + 0.01 - 0.01 / 1.5 * 0.4 / sqrt(0.65) */
    a.weight_decay = 0;
    run_steps(&a, p, NULL, 2);
    assert_true(fabs(p[1] - (-1.25 + 0.01 - 0.01 / 1.5 * 0.4 / sqrt(0.65))) < 1e-6);
    /* configuration errors name the field */
    c.alpha = 1.0f;
    mt_optim o;
    assert_int_equal(optim_init(&o, &c, N), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "optim: rmsprop alpha = 1 not in [0, 1)");
    a.lr_decay = -1;
    assert_int_equal(optim_init(&o, &a, N), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "optim: adagrad lr_decay = -1 must be finite and >= 0");
    assert_string_equal(optim_kind_name(MT_OPTIM_RMSPROP), "rmsprop");
    assert_string_equal(optim_kind_name(MT_OPTIM_ADAGRAD), "adagrad");
}

/* Reduce-on-plateau's rule by hand: threshold 0.1, patience 1. */
static void test_engine_optim_plateau_rule(void **state)
{
    (void)state;
    mt_plateau p;
    optim_plateau_init(&p);
    /* 10 (best), 9.5 (not below 9: bad 1), 9.2 (bad 2 > 1: reduce, count
     * restarts), 8.9 (below 9: best), NaN (bad 1), 8.5 (bad 2: reduce;
     * 8.5 is not below 8.01) */
    const double v[6] = {10, 9.5, 9.2, 8.9, NAN, 8.5};
    const int want[6] = {0, 0, 1, 0, 0, 1};
    for (int i = 0; i < 6; i++) assert_int_equal(optim_plateau_step(&p, v[i], 0.1, 1), want[i]);
    assert_true(p.best == 8.9 && p.bad == 0);
    /* patience 0: every value that does not improve reduces */
    optim_plateau_init(&p);
    assert_int_equal(optim_plateau_step(&p, 1.0, 0.0, 0), 0);
    assert_int_equal(optim_plateau_step(&p, 1.0, 0.0, 0), 1);
    assert_int_equal(optim_plateau_step(&p, 0.5, 0.0, 0), 0);
    /* the schedule leaves the rate alone (the caller lowers it) */
    mt_schedule s = {.kind = MT_SCHED_PLATEAU, .warmup = 2, .patience = 3, .gamma = 0.5f, .threshold = 1e-4f};
    assert_true(optim_schedule_lr(&s, 0.1f, 0) == 0.05f);
    assert_true(optim_schedule_lr(&s, 0.1f, 100) == 0.1f);
    mt_optim_config c = optim_defaults(MT_OPTIM_ADAM);
    c.sched = s;
    c.sched.gamma = 1.0f;
    mt_optim o;
    assert_int_equal(optim_init(&o, &c, 1), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "optim: plateau schedule gamma = 1 not in (0, 1)");
    assert_string_equal(optim_sched_name(MT_SCHED_PLATEAU), "plateau");
}

static void test_engine_optim_adamw_decay_is_decoupled(void **state)
{
    (void)state;
    mt_optim_config cw = optim_defaults(MT_OPTIM_ADAMW);
    cw.lr = 0.01f;
    cw.weight_decay = 0.5f;
    mt_optim_config ca = cw;
    ca.kind = MT_OPTIM_ADAM;
    float pw[N], pa[N];
    run_steps(&cw, pw, MASK, STEPS);
    run_steps(&ca, pa, MASK, STEPS);
    double want_w[N], want_a[N];
    for (int i = 0; i < N; i++) want_w[i] = want_a[i] = P0[i];
    ref_adam(want_w, N, 0.01, 0.9, 0.999, 1e-8, 0.5, 1, MASK, STEPS);
    ref_adam(want_a, N, 0.01, 0.9, 0.999, 1e-8, 0.5, 0, MASK, STEPS);
    assert_close(pw, want_w, N, 1e-6);
    assert_close(pa, want_a, N, 1e-6);
    for (int i = 0; i < N; i++) {
        if (MASK[i])
            assert_true(fabs(pw[i] - pa[i]) > 1e-4); /* the two decays differ */
        else
            assert_true(pw[i] == pa[i]);             /* no decay: same update */
    }
    /* first AdamW step by hand, element 0: p*(1 - lr*wd) - lr*sign(g) */
    run_steps(&cw, pw, MASK, 1);
    assert_true(fabs(pw[0] - (0.5 * (1 - 0.005) - 0.01)) < 1e-6);
}

static void test_engine_optim_clip_scales_to_max_norm(void **state)
{
    (void)state;
    float g[3] = {3.0f, -4.0f, 12.0f}; /* norm 13 */
    double pre = optim_clip_grad_norm(g, 3, 6.5);
    assert_true(fabs(pre - 13.0) < 1e-9);
    assert_true(fabs(g[0] - 1.5f) < 1e-6 && fabs(g[1] + 2.0f) < 1e-6 && fabs(g[2] - 6.0f) < 1e-6);
    assert_true(fabs(optim_grad_norm(g, 3) - 6.5) < 1e-5);
    /* below the threshold: untouched */
    pre = optim_clip_grad_norm(g, 3, 100.0);
    assert_true(fabs(pre - 6.5) < 1e-5);
    assert_true(g[0] == 1.5f);

    /* clipping inside a step: SGD lr 1 moves by exactly the clipped grad,
     * and the caller's gradient is not modified */
    mt_optim_config c = optim_defaults(MT_OPTIM_SGD);
    c.lr = 1.0f;
    c.clip_norm = 1.0f;
    mt_optim o;
    assert_int_equal(optim_init(&o, &c, 3), MT_OK);
    float p[3] = {0, 0, 0};
    const float gg[3] = {3.0f, -4.0f, 12.0f};
    assert_int_equal(optim_step(&o, p, gg, NULL), MT_OK);
    assert_true(fabs(o.last_norm - 13.0f) < 1e-5);
    assert_true(fabs(optim_grad_norm(p, 3) - 1.0) < 1e-6);
    assert_true(fabs(p[2] + 12.0 / 13.0) < 1e-6);
    assert_true(gg[0] == 3.0f);
    /* a NaN gradient is refused and nothing moves */
    const float bad[3] = {1.0f, NAN, 0.0f};
    float before[3];
    memcpy(before, p, sizeof p);
    assert_int_equal(optim_step(&o, p, bad, NULL), MT_ERR_NUMERIC);
    assert_string_equal(mt_last_error(), "optim: gradient norm is nan at step 1; update skipped");
    assert_memory_equal(p, before, sizeof p);
    assert_int_equal(o.step, 1);
    optim_free(&o);
}

static void test_engine_optim_schedules_exact_values(void **state)
{
    (void)state;
    mt_schedule s = {.kind = MT_SCHED_CONSTANT};
    assert_true(optim_schedule_lr(&s, 0.1f, 0) == 0.1f);
    assert_true(optim_schedule_lr(&s, 0.1f, 12345) == 0.1f);

    s = (mt_schedule){.kind = MT_SCHED_STEP, .step_size = 10, .gamma = 0.5f};
    assert_true(optim_schedule_lr(&s, 0.8f, 0) == 0.8f);
    assert_true(optim_schedule_lr(&s, 0.8f, 9) == 0.8f);
    assert_true(optim_schedule_lr(&s, 0.8f, 10) == 0.4f);
    assert_true(optim_schedule_lr(&s, 0.8f, 29) == 0.2f);
    assert_true(optim_schedule_lr(&s, 0.8f, 30) == 0.1f);

    s = (mt_schedule){.kind = MT_SCHED_COSINE, .total = 100, .min_lr = 0.1f};
    assert_true(fabs(optim_schedule_lr(&s, 1.0f, 0) - 1.0) < 1e-7);
    assert_true(fabs(optim_schedule_lr(&s, 1.0f, 50) - 0.55) < 1e-7);       /* halfway */
    assert_true(fabs(optim_schedule_lr(&s, 1.0f, 25) - (0.1 + 0.9 * (1 + sqrt(0.5)) / 2)) < 1e-6);
    assert_true(optim_schedule_lr(&s, 1.0f, 100) == 0.1f);
    assert_true(optim_schedule_lr(&s, 1.0f, 1000) == 0.1f);

    /* warm-up: lr*(s+1)/warmup, then the decay starts from the full rate */
    s = (mt_schedule){.kind = MT_SCHED_COSINE, .warmup = 4, .total = 14, .min_lr = 0.0f};
    assert_true(fabs(optim_schedule_lr(&s, 2.0f, 0) - 0.5) < 1e-7);
    assert_true(fabs(optim_schedule_lr(&s, 2.0f, 2) - 1.5) < 1e-7);
    assert_true(fabs(optim_schedule_lr(&s, 2.0f, 4) - 2.0) < 1e-7);
    assert_true(fabs(optim_schedule_lr(&s, 2.0f, 9) - 1.0) < 1e-6);   /* k = 5 of 10 */
    s = (mt_schedule){.kind = MT_SCHED_STEP, .warmup = 2, .step_size = 3, .gamma = 0.1f};
    assert_true(fabs(optim_schedule_lr(&s, 1.0f, 1) - 1.0) < 1e-7);
    assert_true(fabs(optim_schedule_lr(&s, 1.0f, 4) - 1.0) < 1e-7);
    assert_true(fabs(optim_schedule_lr(&s, 1.0f, 5) - 0.1) < 1e-7);

    /* the optimizer uses the schedule: step k uses lr(k) */
    mt_optim_config c = optim_defaults(MT_OPTIM_SGD);
    c.lr = 1.0f;
    c.sched = (mt_schedule){.kind = MT_SCHED_STEP, .warmup = 2, .step_size = 1, .gamma = 0.5f};
    mt_optim o;
    assert_int_equal(optim_init(&o, &c, 1), MT_OK);
    float p = 0.0f;
    const float g = 1.0f;
    const double lrs[5] = {0.5, 1.0, 1.0, 0.5, 0.25};
    double want = 0;
    for (int k = 0; k < 5; k++) {
        assert_int_equal(optim_step(&o, &p, &g, NULL), MT_OK);
        want -= lrs[k];
        assert_true(fabs(o.last_lr - lrs[k]) < 1e-7);
        assert_true(fabs(p - want) < 1e-6);
    }
    optim_free(&o);
}

/* The unmasked Adam loop has a 4-wide SIMD body and a scalar tail; the
 * masked loop is scalar. On 11 elements with an all-ones mask both must
 * agree with each other and with the double reference, for Adam and AdamW. */
static void test_engine_optim_vector_and_scalar_paths_agree(void **state)
{
    (void)state;
    enum { M = 11 };
    float x0[M], g[STEPS][M];
    unsigned char ones[M];
    mt_rng r;
    mt_rng_init(&r, 5, 0);
    for (int i = 0; i < M; i++) {
        x0[i] = (float)mt_rng_normal(&r);
        ones[i] = 1;
        for (int s = 0; s < STEPS; s++) g[s][i] = (float)mt_rng_normal(&r);
    }
    for (int kind = MT_OPTIM_ADAM; kind <= MT_OPTIM_ADAMW; kind++) {
        mt_optim_config c = optim_defaults((mt_optim_kind)kind);
        c.lr = 0.05f;
        c.weight_decay = 0.3f;
        mt_optim a, b;
        assert_int_equal(optim_init(&a, &c, M), MT_OK);
        assert_int_equal(optim_init(&b, &c, M), MT_OK);
        float pa[M], pb[M];
        double want[M], m[M] = {0}, v[M] = {0};
        memcpy(pa, x0, sizeof pa);
        memcpy(pb, x0, sizeof pb);
        for (int i = 0; i < M; i++) want[i] = x0[i];
        for (int s = 0; s < STEPS; s++) {
            assert_int_equal(optim_step(&a, pa, g[s], NULL), MT_OK);
            assert_int_equal(optim_step(&b, pb, g[s], ones), MT_OK);
            for (int i = 0; i < M; i++) {
                double gi = g[s][i];
                if (kind == MT_OPTIM_ADAMW)
                    want[i] *= 1 - 0.05 * 0.3;
                else
                    gi += 0.3 * want[i];
                m[i] = 0.9 * m[i] + 0.1 * gi;
                v[i] = 0.999 * v[i] + 0.001 * gi * gi;
                want[i] -= 0.05 * (m[i] / (1 - pow(0.9, s + 1))) /
                           (sqrt(v[i] / (1 - pow(0.999, s + 1))) + 1e-8);
            }
        }
        assert_close(pa, want, M, 1e-6);
        for (int i = 0; i < M; i++) assert_true(fabsf(pa[i] - pb[i]) <= 1e-6f * (1 + fabsf(pa[i])));
        for (int i = 0; i < M; i++) assert_true(fabsf(a.v[i] - b.v[i]) <= 1e-6f * b.v[i]);
        optim_free(&a);
        optim_free(&b);
    }
}

/* f(x) = 0.5 sum_i a_i (x_i - c_i)^2, gradient a_i (x_i - c_i). */
static void test_engine_optim_sgd_minimises_quadratic(void **state)
{
    (void)state;
    const float a[3] = {1.0f, 4.0f, 0.5f}, cc[3] = {2.0f, -1.0f, 3.0f};
    for (int nesterov = 0; nesterov <= 1; nesterov++) {
        mt_optim_config c = optim_defaults(MT_OPTIM_SGD);
        c.lr = 0.1f;
        c.momentum = 0.8f;
        c.nesterov = nesterov;
        mt_optim o;
        assert_int_equal(optim_init(&o, &c, 3), MT_OK);
        float x[3] = {0, 0, 0}, g[3];
        double f0 = 0;
        for (int i = 0; i < 3; i++) f0 += 0.5 * a[i] * (x[i] - cc[i]) * (x[i] - cc[i]);
        for (int s = 0; s < 300; s++) {
            for (int i = 0; i < 3; i++) g[i] = a[i] * (x[i] - cc[i]);
            assert_int_equal(optim_step(&o, x, g, NULL), MT_OK);
        }
        double f = 0;
        for (int i = 0; i < 3; i++) {
            f += 0.5 * a[i] * (x[i] - cc[i]) * (x[i] - cc[i]);
            assert_true(fabs(x[i] - cc[i]) < 1e-4);
        }
        assert_true(f < 1e-6 * f0);
        optim_free(&o);
    }
}

static void test_engine_optim_params_decay_flags_and_no_alloc(void **state)
{
    (void)state;
    mt_params p;
    params_init(&p);
    int ws[2] = {2, 3}, bs[1] = {3};
    assert_int_equal(params_add(&p, "l.weight", 2, ws, 0, 1), 0);
    assert_int_equal(params_add(&p, "l.bias", 1, bs, 0, 0), 1);
    assert_int_equal(params_alloc(&p), MT_OK);
    for (size_t i = 0; i < p.total; i++) {
        p.data[i] = 1.0f;
        p.grad[i] = 0.0f;
    }
    mt_optim_config c = optim_defaults(MT_OPTIM_ADAMW);
    c.lr = 0.1f;
    c.weight_decay = 0.5f;
    mt_optim o;
    assert_int_equal(optim_init(&o, &c, p.total), MT_OK);
    unsigned long before = mt_alloc_count();
    for (int s = 0; s < 3; s++) assert_int_equal(optim_step_params(&o, &p), MT_OK);
    assert_int_equal(mt_alloc_count(), before);
    /* zero gradient: only the decay moves the weights, (1 - 0.05)^3;
     * biases stay at 1 */
    const mt_param_info *w = &p.info[0], *b = &p.info[1];
    for (size_t i = 0; i < w->size; i++)
        assert_true(fabs(p.data[w->offset + i] - pow(0.95, 3)) < 1e-6);
    for (size_t i = 0; i < b->size; i++) assert_true(p.data[b->offset + i] == 1.0f);

    /* a second optimizer for a separate array (e.g. loss weights) */
    mt_optim ow;
    mt_optim_config cs = optim_defaults(MT_OPTIM_SGD);
    cs.lr = 0.25f;
    assert_int_equal(optim_init(&ow, &cs, 2), MT_OK);
    float lw[2] = {1.0f, 2.0f};
    const float dlw[2] = {2.0f, -4.0f};
    assert_int_equal(optim_step(&ow, lw, dlw, NULL), MT_OK);
    assert_true(lw[0] == 0.5f && lw[1] == 3.0f);
    optim_free(&ow);

    /* wrong size */
    mt_optim small;
    assert_int_equal(optim_init(&small, &c, 5), MT_OK);
    assert_int_equal(optim_step_params(&small, &p), MT_ERR_SHAPE);
    char want[128];
    snprintf(want, sizeof want, "optim: initialised for 5 floats but the arena has %zu", p.total);
    assert_string_equal(mt_last_error(), want);
    optim_free(&small);
    optim_free(&o);
    params_free(&p);
}

static void test_engine_optim_reset_and_reconfigure(void **state)
{
    (void)state;
    mt_optim_config c = optim_defaults(MT_OPTIM_SGD);
    c.lr = 0.1f;
    c.momentum = 0.9f;
    mt_optim o;
    assert_int_equal(optim_init(&o, &c, N), MT_OK);
    float p[N];
    memcpy(p, P0, sizeof p);
    assert_int_equal(optim_step(&o, p, G[0], NULL), MT_OK);
    assert_int_equal(optim_step(&o, p, G[1], NULL), MT_OK);
    /* after a reset the momentum restarts: the next step is lr*g */
    optim_reset_state(&o);
    assert_int_equal(o.t, 0);
    assert_int_equal(o.step, 2);
    float q[N];
    memcpy(q, p, sizeof q);
    assert_int_equal(optim_step(&o, p, G[2], NULL), MT_OK);
    for (int i = 0; i < N; i++) assert_true(fabs(p[i] - (q[i] - 0.1f * G[2][i])) < 1e-7);

    /* switching to Adam live resets moments: the next step is lr*sign(g) */
    mt_optim_config ca = optim_defaults(MT_OPTIM_ADAM);
    ca.lr = 0.01f;
    assert_int_equal(optim_set_config(&o, &ca), MT_OK);
    memcpy(q, p, sizeof q);
    assert_int_equal(optim_step(&o, p, G[0], NULL), MT_OK);
    for (int i = 0; i < N; i++)
        assert_true(fabs((p[i] - q[i]) + 0.01 * (G[0][i] > 0 ? 1 : -1)) < 1e-6);
    assert_int_equal(o.step, 4);

    /* a bad config is refused and the old one kept */
    ca.beta2 = 1.5f;
    assert_int_equal(optim_set_config(&o, &ca), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "optim: beta2 = 1.5 not in [0, 1)");
    assert_true(o.cfg.beta2 == 0.999f);
    optim_free(&o);
}

static void test_engine_optim_config_errors(void **state)
{
    (void)state;
    mt_optim o;
    mt_optim_config c = optim_defaults(MT_OPTIM_SGD);
    c.nesterov = 1;
    assert_int_equal(optim_init(&o, &c, 3), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "optim: nesterov needs momentum > 0 and dampening = 0 (got 0, 0)");
    optim_free(&o);
    c = optim_defaults(MT_OPTIM_ADAM);
    c.lr = -1.0f;
    assert_int_equal(optim_config_check(&c), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "optim: lr = -1 must be finite and >= 0");
    c = optim_defaults(MT_OPTIM_ADAM);
    c.eps = 0.0f;
    assert_int_equal(optim_config_check(&c), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "optim: eps = 0 must be finite and > 0");
    c = optim_defaults(MT_OPTIM_ADAM);
    c.sched = (mt_schedule){.kind = MT_SCHED_COSINE, .warmup = 10, .total = 10};
    assert_int_equal(optim_config_check(&c), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "optim: cosine schedule total = 10 must exceed warmup = 10");
    c.sched = (mt_schedule){.kind = MT_SCHED_STEP, .step_size = 0, .gamma = 0.1f};
    assert_int_equal(optim_config_check(&c), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "optim: step schedule step_size = 0 must be > 0");
    c = optim_defaults(MT_OPTIM_SGD);
    c.weight_decay = NAN;
    assert_int_equal(optim_config_check(&c), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "optim: weight_decay = nan must be finite and >= 0");
    /* stepping an uninitialised optimizer is a state error, not a crash */
    memset(&o, 0, sizeof o);
    float x = 0, g = 1;
    assert_int_equal(optim_step(&o, &x, &g, NULL), MT_ERR_STATE);
    assert_string_equal(optim_kind_name(MT_OPTIM_ADAMW), "adamw");
    assert_string_equal(optim_sched_name(MT_SCHED_COSINE), "cosine");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_optim_sgd_momentum_l2_matches_reference),
        cmocka_unit_test(test_engine_optim_nesterov_differs_from_momentum_as_formula),
        cmocka_unit_test(test_engine_optim_adam_matches_reference),
        cmocka_unit_test(test_engine_optim_rmsprop_adagrad_match_reference),
        cmocka_unit_test(test_engine_optim_plateau_rule),
        cmocka_unit_test(test_engine_optim_adamw_decay_is_decoupled),
        cmocka_unit_test(test_engine_optim_clip_scales_to_max_norm),
        cmocka_unit_test(test_engine_optim_schedules_exact_values),
        cmocka_unit_test(test_engine_optim_vector_and_scalar_paths_agree),
        cmocka_unit_test(test_engine_optim_sgd_minimises_quadratic),
        cmocka_unit_test(test_engine_optim_params_decay_flags_and_no_alloc),
        cmocka_unit_test(test_engine_optim_reset_and_reconfigure),
        cmocka_unit_test(test_engine_optim_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
