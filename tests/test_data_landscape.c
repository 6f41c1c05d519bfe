/* test_data_landscape.c - the two-objective landscapes: values at hand-
 * computed points and gradients against central finite differences. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "data/landscape.h"

/* Central differences of both objectives of `fn` at x (d); compares with
 * the analytic gradient to a relative tolerance. */
static void check_fd(const mt_landscape *L, const double *x0, int d)
{
    double x[16], f[2], fp[2], fm[2], g[32];
    memcpy(x, x0, (size_t)d * sizeof *x);
    L->eval(x, d, f, g);
    const double h = 1e-6;
    for (int j = 0; j < d; j++) {
        double keep = x[j];
        x[j] = keep + h;
        L->eval(x, d, fp, NULL);
        x[j] = keep - h;
        L->eval(x, d, fm, NULL);
        x[j] = keep;
        for (int i = 0; i < 2; i++) {
            double fd = (fp[i] - fm[i]) / (2 * h);
            double an = g[i * d + j];
            if (fabs(fd - an) > 1e-6 * (1 + fabs(fd)))
                fail_msg("%s: df%d/dx%d at (%g, %g, ...): analytic %.10g, finite difference %.10g",
                         L->name, i + 1, j + 1, x[0], d > 1 ? x[1] : 0.0, an, fd);
        }
    }
}

static void test_data_landscape_cagrad_values(void **state)
{
    (void)state;
    double f[2], g[4];
    /* x2 > 0: only the log terms. x = (1, 2):
     * a = 0.5(-8) + tanh 2 = -4 + tanh 2, b = 0.5(2) - tanh 2 + 2 = 3 - tanh 2 */
    double x[2] = {1, 2}, t = tanh(2.0), c1 = tanh(1.0);
    landscape_cagrad_toy(x, f, g);
    assert_float_equal(f[0], c1 * (log(fabs(-4 + t)) + 6), 1e-12);
    assert_float_equal(f[1], c1 * (log(3 - t) + 6), 1e-12);
    /* x2 < 0: only the quadratic terms. x = (3, -4): c2 = tanh 2 */
    double y[2] = {3, -4}, c2 = tanh(2.0);
    landscape_cagrad_toy(y, f, g);
    assert_float_equal(f[0], c2 * ((16 + 0.1 * 16) / 10 - 20), 1e-12);
    assert_float_equal(f[1], c2 * ((100 + 0.1 * 16) / 10 - 20), 1e-12);
    /* gradient of the quadratic part by hand: c2 * (x1 - 7)/5 */
    assert_float_equal(g[0], c2 * (3 - 7) / 5.0, 1e-12);
    assert_float_equal(g[2], c2 * (3 + 7) / 5.0, 1e-12);
    /* at (0, 0) both weights vanish, but the gradient in x2 does not */
    double z[2] = {0, 0};
    landscape_cagrad_toy(z, f, g);
    assert_float_equal(f[0], 0, 0);
    assert_float_equal(f[1], 0, 0);
    double f1l = log(3.5) + 6, f1s = (49 + 6.4) / 10 - 20;
    assert_float_equal(g[1], 0.5 * f1l - 0.5 * f1s, 1e-12);
    assert_float_equal(g[0], 0, 0);
    /* the starting points are where the papers put them */
    assert_float_equal(landscape_cagrad_starts[0][0], -8.5, 0);
    assert_float_equal(landscape_cagrad_starts[0][1], 7.5, 0);
}

static void test_data_landscape_cagrad_gradients(void **state)
{
    (void)state;
    const mt_landscape *L = landscape_find("cagrad_toy");
    assert_non_null(L);
    assert_int_equal(L->dim, 2);
    for (int s = 0; s < LANDSCAPE_CAGRAD_NSTARTS; s++) check_fd(L, landscape_cagrad_starts[s], 2);
    mt_rng r;
    mt_rng_init(&r, 4, 0);
    int checked = 0;
    while (checked < 200) {
        double x[2] = {20 * mt_rng_uniform(&r) - 10, 20 * mt_rng_uniform(&r) - 10};
        /* stay off the kinks: x2 = 0 and the zeros of a and b */
        double a = 0.5 * (-x[0] - 7) + tanh(x[1]), b = 0.5 * (-x[0] + 3) - tanh(x[1]) + 2;
        if (fabs(x[1]) < 1e-3 || fabs(a) < 1e-2 || fabs(b) < 1e-2) continue;
        check_fd(L, x, 2);
        checked++;
    }
    /* inside the clamp the log term is flat */
    double f[2], g[4], x[2] = {-7 + 2 * tanh(0.5), 0.5}; /* a = 0 exactly */
    landscape_cagrad_toy(x, f, g);
    assert_float_equal(f[0], tanh(0.25) * (log(5e-6) + 6), 1e-9);
}

static void test_data_landscape_lin2019(void **state)
{
    (void)state;
    const mt_landscape *L = landscape_find("lin2019");
    assert_non_null(L);
    assert_null(landscape_find("nope"));
    /* values: at x = +1/sqrt(d) f1 = 0 and f2 = 1 - exp(-4) */
    for (int d = 1; d <= 10; d += 3) {
        double x[16], f[2], g[32];
        for (int j = 0; j < d; j++) x[j] = 1 / sqrt((double)d);
        L->eval(x, d, f, g);
        assert_float_equal(f[0], 0, 1e-15);
        assert_float_equal(f[1], 1 - exp(-4.0), 1e-12);
        for (int j = 0; j < d; j++) assert_float_equal(g[j], 0, 1e-15);
        /* random points */
        mt_rng r;
        mt_rng_init(&r, 9, (uint64_t)d);
        for (int k = 0; k < 50; k++) {
            for (int j = 0; j < d; j++) x[j] = 2 * mt_rng_normal(&r) / sqrt((double)d);
            check_fd(L, x, d);
        }
    }
    /* on the Pareto segment the gradients are opposed (anti-parallel) */
    double x[2] = {0.2, 0.2}, f[2], g[4];
    landscape_lin2019(x, 2, f, g);
    double dot = g[0] * g[2] + g[1] * g[3];
    double n1 = sqrt(g[0] * g[0] + g[1] * g[1]), n2 = sqrt(g[2] * g[2] + g[3] * g[3]);
    assert_float_equal(dot / (n1 * n2), -1.0, 1e-12);
}

/* The drawn Pareto set is Pareto-stationary: at every point the two
 * gradients are opposed (cosine -1 to 1e-6, or one of them vanishes at an
 * end), and no point of the plane near it beats it in both objectives. */
static void test_data_landscape_pareto_set(void **state)
{
    (void)state;
    enum { N = 41 };
    double x[2 * N];
    const mt_landscape *c = landscape_find("cagrad_toy");
    assert_int_equal(landscape_pareto_set(c, 3, N, x), 0);
    assert_int_equal(landscape_pareto_set(c, 2, N, x), N);
    assert_float_equal(x[0], -7.0, 1e-12);
    assert_float_equal(x[2 * (N - 1)], 7.0, 1e-12);
    for (int i = 0; i < N; i++) {
        double f[2], g[4];
        assert_true(isfinite(x[2 * i + 1]));
        assert_true(x[2 * i + 1] > -8.6 && x[2 * i + 1] < -8.2); /* the valley floor */
        c->eval(x + 2 * i, 2, f, g);
        double n1 = hypot(g[0], g[1]), n2 = hypot(g[2], g[3]);
        if (n1 > 1e-6 && n2 > 1e-6) assert_float_equal((g[0] * g[2] + g[1] * g[3]) / (n1 * n2), -1.0, 1e-6);
        else assert_true(i == 0 || i == N - 1);
        /* a step in any direction makes one of the objectives worse */
        for (int k = 0; k < 16; k++) {
            double a = 2 * M_PI * k / 16, y[2] = {x[2 * i] + 1e-3 * cos(a), x[2 * i + 1] + 1e-3 * sin(a)}, h[2];
            c->eval(y, 2, h, NULL);
            assert_false(h[0] < f[0] - 1e-9 && h[1] < f[1] - 1e-9);
        }
    }
    const mt_landscape *l = landscape_find("lin2019");
    assert_int_equal(landscape_pareto_set(l, 2, N, x), N);
    for (int i = 0; i < N; i++) {
        double f[2], g[4];
        l->eval(x + 2 * i, 2, f, g);
        double n1 = hypot(g[0], g[1]), n2 = hypot(g[2], g[3]);
        assert_float_equal(x[2 * i], x[2 * i + 1], 0);
        if (n1 > 1e-9 && n2 > 1e-9) assert_float_equal((g[0] * g[2] + g[1] * g[3]) / (n1 * n2), -1.0, 1e-9);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_landscape_cagrad_values),
        cmocka_unit_test(test_data_landscape_cagrad_gradients),
        cmocka_unit_test(test_data_landscape_lin2019),
        cmocka_unit_test(test_data_landscape_pareto_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
