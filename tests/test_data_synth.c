/* test_data_synth.c - the synthetic generators against their formulas:
 * weight cosines, empirical correlations, noise levels by least squares,
 * sigma scaling, cluster structure and sparsity. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "data/dataset.h"
#include "data/synth.h"

static double dotf(const float *a, const float *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static double cosf_(const float *a, const float *b, int n)
{
    return dotf(a, b, n) / sqrt(dotf(a, a, n) * dotf(b, b, n));
}

/* Pearson correlation of two strided float series. */
static double pearson(const float *a, const float *b, int n, int stride)
{
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) {
        ma += a[(size_t)i * stride];
        mb += b[(size_t)i * stride];
    }
    ma /= n;
    mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        double x = a[(size_t)i * stride] - ma, y = b[(size_t)i * stride] - mb;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    return sab / sqrt(saa * sbb);
}

static void test_data_synth_mmoe_two_tasks(void **state)
{
    (void)state;
    const double ps[3] = {0.7, -0.3, 1.0};
    for (int k = 0; k < 3; k++) {
        synth_mmoe_opts o;
        synth_mmoe_defaults(&o);
        o.n = 20000;
        o.d = 40;
        o.p = ps[k];
        o.c = 2.0;
        o.m = 0;
        o.noise = 0;
        float w[2 * 40];
        mt_dataset ds;
        dataset_init(&ds);
        assert_int_equal(synth_mmoe(&ds, &o, w), MT_OK);
        assert_int_equal(ds.ntargets, 2);
        assert_string_equal(ds.targets[1].name, "y2");
        assert_float_equal(cosf_(w, w + 40, 40), ps[k], 1e-6);
        assert_float_equal(sqrt(dotf(w, w, 40)), 2.0, 1e-5);
        assert_float_equal(sqrt(dotf(w + 40, w + 40, 40)), 2.0, 1e-5);
        /* y_k is exactly w_k^T x with the sines and noise off */
        for (int i = 0; i < 50; i++)
            assert_float_equal(ds.targets[0].y[i], dotf(w, ds.x + i * 40, 40), 1e-4);
        double r = pearson(ds.targets[0].y, ds.targets[1].y, ds.n, 1);
        assert_float_equal(r, ps[k], 0.03);
        dataset_free(&ds);
    }
}

static void test_data_synth_mmoe_sines_noise_seeded(void **state)
{
    (void)state;
    synth_mmoe_opts o;
    synth_mmoe_defaults(&o);
    o.n = 500;
    o.d = 20;
    o.m = 10;
    o.noise = 0.1;
    float w[2 * 20];
    mt_dataset a, b;
    dataset_init(&a);
    dataset_init(&b);
    assert_int_equal(synth_mmoe(&a, &o, w), MT_OK);
    assert_int_equal(synth_mmoe(&b, &o, NULL), MT_OK);
    assert_memory_equal(a.x, b.x, 500 * 20 * sizeof(float));
    assert_memory_equal(a.targets[1].y, b.targets[1].y, 500 * sizeof(float));
    /* the nonlinear part is a sum of m sines plus small noise: bounded by m + 5 noise,
     * and not zero */
    double dev = 0;
    for (int i = 0; i < 500; i++) {
        double e = a.targets[0].y[i] - dotf(w, a.x + i * 20, 20);
        assert_true(fabs(e) <= 10 + 5 * 0.1);
        dev += fabs(e);
    }
    assert_true(dev / 500 > 0.3);
    o.seed = 2;
    assert_int_equal(synth_mmoe(&b, &o, NULL), MT_OK);
    assert_memory_not_equal(a.x, b.x, 500 * 20 * sizeof(float));
    dataset_free(&a);
    dataset_free(&b);
}

static void test_data_synth_mmoe_correlation_matrix(void **state)
{
    (void)state;
    const double R[9] = {1, 0.5, 0.2, 0.5, 1, -0.3, 0.2, -0.3, 1};
    synth_mmoe_opts o;
    synth_mmoe_defaults(&o);
    o.n = 20000;
    o.d = 30;
    o.ntasks = 3;
    o.R = R;
    o.m = 0;
    o.noise = 0;
    float w[3 * 30];
    mt_dataset ds;
    dataset_init(&ds);
    assert_int_equal(synth_mmoe(&ds, &o, w), MT_OK);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            assert_float_equal(cosf_(w + 30 * i, w + 30 * j, 30), R[i * 3 + j], 1e-6);
            assert_float_equal(pearson(ds.targets[i].y, ds.targets[j].y, ds.n, 1), R[i * 3 + j],
                               0.03);
        }
    dataset_free(&ds);

    /* bad matrices and options */
    const double asym[4] = {1, 0.5, 0.3, 1}, diag[4] = {1, 0.5, 0.5, 0.9};
    const double notpsd[9] = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1};
    o.ntasks = 2;
    o.R = asym;
    mt_clear_error();
    assert_int_equal(synth_mmoe(&ds, &o, NULL), MT_ERR_ARG);
    assert_string_equal(
        mt_last_error(),
        "mmoe synthetic: correlation matrix is not symmetric: R[0][1] = 0.5 but R[1][0] = 0.3");
    o.R = diag;
    assert_int_equal(synth_mmoe(&ds, &o, NULL), MT_ERR_ARG);
    assert_string_equal(
        mt_last_error(),
        "mmoe synthetic: R[1][1] = 0.9: the diagonal of a correlation matrix must be 1");
    o.ntasks = 3;
    o.R = notpsd;
    assert_int_equal(synth_mmoe(&ds, &o, NULL), MT_ERR_ARG);
    const char *want =
        "mmoe synthetic: correlation matrix is not positive semi-definite (pivot 2 is ";
    assert_memory_equal(mt_last_error(), want, strlen(want));
    o.R = NULL;
    assert_int_equal(synth_mmoe(&ds, &o, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "mmoe synthetic: 3 tasks need a correlation matrix R");
    o.ntasks = 2;
    o.p = 1.5;
    assert_int_equal(synth_mmoe(&ds, &o, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "mmoe synthetic: correlation p = 1.5 is outside [-1, 1]");
    assert_int_equal(ds.n, 0);
    dataset_free(&ds);
}

static double stdev(const float *v, size_t n)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++) m += v[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (double)n);
}

static void test_data_synth_gradnorm_sigma(void **state)
{
    (void)state;
    synth_gradnorm_opts o;
    synth_gradnorm_defaults(&o);
    o.n = 200;
    o.ntasks = 3;
    const double sig1[3] = {1, 1, 1}, sig[3] = {1, 2, 5};
    mt_dataset a, b;
    dataset_init(&a);
    dataset_init(&b);
    o.sigma = sig1;
    assert_int_equal(synth_gradnorm(&a, &o), MT_OK);
    o.sigma = sig;
    assert_int_equal(synth_gradnorm(&b, &o), MT_OK);
    assert_int_equal(b.d, 250);
    assert_int_equal(b.targets[2].dim, 100);
    size_t ny = 200 * 100;
    /* same draws, different sigma: exactly proportional */
    for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < ny; i++)
            assert_float_equal(b.targets[t].y[i], sig[t] * a.targets[t].y[i], 1e-6 * sig[t]);
    /* output scales follow sigma (different eps per task, so not exact) */
    double s0 = stdev(b.targets[0].y, ny);
    assert_float_equal(stdev(b.targets[1].y, ny) / s0, 2.0, 0.1);
    assert_float_equal(stdev(b.targets[2].y, ny) / s0, 5.0, 0.25);
    /* with variance 10 and 3.5 over 250 inputs the tanh is mostly saturated */
    int sat = 0;
    for (size_t i = 0; i < ny; i++) sat += fabsf(a.targets[0].y[i]) > 0.95f;
    assert_true(sat > (int)(0.9 * (double)ny));
    dataset_free(&a);
    dataset_free(&b);
}

/* In the linear range of tanh, atanh(y_j) / x = (B + eps_i)_j: its spread
 * over j measures the variances, and the share of B between two tasks
 * their correlation b_var / (b_var + eps_var). */
static void test_data_synth_gradnorm_variances(void **state)
{
    (void)state;
    synth_gradnorm_opts o;
    synth_gradnorm_defaults(&o);
    o.n = 1;
    o.d_in = 1;
    o.d_out = 20000;
    o.b_var = 3e-4;
    o.eps_var = 1e-4;
    mt_dataset ds;
    dataset_init(&ds);
    assert_int_equal(synth_gradnorm(&ds, &o), MT_OK);
    double x = ds.x[0];
    assert_true(fabs(x) > 0.05);
    float *m1 = malloc(20000 * sizeof(float)), *m2 = malloc(20000 * sizeof(float));
    assert_non_null(m1);
    assert_non_null(m2);
    for (int j = 0; j < 20000; j++) {
        m1[j] = (float)(atanh(ds.targets[0].y[j]) / x);
        m2[j] = (float)(atanh(ds.targets[1].y[j]) / x);
    }
    double v1 = stdev(m1, 20000), v2 = stdev(m2, 20000);
    assert_float_equal(v1 * v1, 4e-4, 4e-4 * 0.05);
    assert_float_equal(v2 * v2, 4e-4, 4e-4 * 0.05);
    assert_float_equal(pearson(m1, m2, 20000, 1), 0.75, 0.02);
    free(m1);
    free(m2);
    dataset_free(&ds);
}

/* Least squares y = a x + b in closed form; returns the residual std. */
static double fit(const float *x, const float *y, int n, double *a, double *b)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    *a = sxy / sxx;
    *b = my - *a * mx;
    double rss = 0;
    for (int i = 0; i < n; i++) {
        double e = y[i] - (*a * x[i] + *b);
        rss += e * e;
    }
    return sqrt(rss / (n - 2));
}

static void test_data_synth_kendall_noise(void **state)
{
    (void)state;
    for (int normal = 0; normal < 2; normal++) {
        synth_kendall_opts o;
        synth_kendall_defaults(&o);
        o.n = 20000;
        o.x_normal = normal;
        mt_dataset ds;
        dataset_init(&ds);
        assert_int_equal(synth_kendall(&ds, &o), MT_OK);
        assert_int_equal(ds.d, 1);
        double a, b;
        double s1 = fit(ds.x, ds.targets[0].y, ds.n, &a, &b);
        assert_float_equal(s1, 10.0, 0.3);
        assert_float_equal(a, 2.0, normal ? 0.25 : 0.4);
        assert_float_equal(b, 8.0, 0.25);
        double s2 = fit(ds.x, ds.targets[1].y, ds.n, &a, &b);
        assert_float_equal(s2, 1.0, 0.03);
        /* the declared noise (the loss plot's floor) is the residual spread measured */
        assert_float_equal(sqrt(ds.targets[0].noise_var), s1, 0.3);
        assert_float_equal(sqrt(ds.targets[1].noise_var), s2, 0.03);
        assert_float_equal(a, 3.0, 0.05);
        assert_float_equal(b, 3.0, 0.03);
        float lo = 0, hi = 0;
        for (int i = 0; i < ds.n; i++) {
            if (ds.x[i] < lo) lo = ds.x[i];
            if (ds.x[i] > hi) hi = ds.x[i];
        }
        if (normal)
            assert_true(hi > 3.0f && lo < -3.0f);
        else
            assert_true(hi < 1.0f && lo >= -1.0f && hi > 0.99f && lo < -0.99f);
        dataset_free(&ds);
    }
}

static void test_data_synth_clusters(void **state)
{
    (void)state;
    synth_cluster_opts o;
    synth_cluster_defaults(&o);
    o.ntasks = 6;
    o.nclusters = 3;
    o.d = 40;
    o.support = 8;
    const int counts[6] = {300, 400, 500, 300, 0, 600};
    const double noise[6] = {0.1, 0.5, 1.0, 2.0, 1.0, 0.3};
    o.n_per_task = counts;
    o.noise_per_task = noise;
    mt_dataset ds;
    dataset_init(&ds);
    synth_cluster_truth tr;
    assert_int_equal(synth_clustered(&ds, &o, &tr), MT_OK);
    assert_int_equal(ds.n, 2100);
    assert_int_equal(ds.ntargets, 6);
    /* balanced clusters */
    int size[3] = {0};
    for (int t = 0; t < 6; t++) {
        assert_true(tr.cluster[t] >= 0 && tr.cluster[t] < 3);
        size[tr.cluster[t]]++;
    }
    for (int k = 0; k < 3; k++) assert_int_equal(size[k], 2);
    /* support: ascending, distinct; zero weights outside it */
    unsigned char in_sup[40] = {0};
    for (int j = 0; j < 8; j++) {
        if (j) assert_true(tr.support_idx[j] > tr.support_idx[j - 1]);
        in_sup[tr.support_idx[j]] = 1;
    }
    for (int t = 0; t < 6; t++)
        for (int j = 0; j < 40; j++) {
            if (!in_sup[j])
                assert_float_equal(tr.w[t * 40 + j], 0.0f, 0);
            else
                assert_true(tr.w[t * 40 + j] != 0.0f);
        }
    /* within-cluster cosines high, across-cluster low */
    for (int s = 0; s < 6; s++)
        for (int t = s + 1; t < 6; t++) {
            double cs = cosf_(tr.w + 40 * s, tr.w + 40 * t, 40);
            if (tr.cluster[s] == tr.cluster[t])
                assert_true(cs > 0.95);
            else
                assert_true(fabs(cs) < 0.2);
        }
    /* per-task counts, ownership and noise */
    int row = 0;
    for (int t = 0; t < 6; t++) {
        assert_int_equal(dataset_target_labelled(&ds, t, NULL), counts[t]);
        double rss = 0;
        for (int e = 0; e < counts[t]; e++, row++) {
            for (int u = 0; u < 6; u++) assert_int_equal(ds.targets[u].mask[row], u == t);
            double r = ds.targets[t].y[row] - dotf(tr.w + 40 * t, ds.x + (size_t)row * 40, 40);
            rss += r * r;
        }
        if (counts[t]) assert_float_equal(sqrt(rss / counts[t]), noise[t], 0.12 * noise[t]);
    }
    synth_cluster_truth_free(&tr);

    /* shared: every example labelled for every task, same weights for the same seed */
    synth_cluster_truth tr2;
    o.n_per_task = NULL;
    o.shared = 1;
    o.n_each = 100;
    assert_int_equal(synth_clustered(&ds, &o, &tr2), MT_OK);
    assert_int_equal(ds.n, 100);
    for (int t = 0; t < 6; t++) {
        assert_null(ds.targets[t].mask);
        assert_int_equal(dataset_target_labelled(&ds, t, NULL), 100);
    }
    synth_cluster_truth_free(&tr2);

    o.nclusters = 7;
    mt_clear_error();
    assert_int_equal(synth_clustered(&ds, &o, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "clustered synthetic: bad sizes (tasks=6 clusters=7 d=40 support=8; needs "
                        "1 <= clusters <= tasks, clusters <= support <= d)");
    o.nclusters = 2;
    o.n_per_task = counts;
    assert_int_equal(synth_clustered(&ds, &o, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "clustered synthetic: n_per_task cannot be used with shared examples");
    dataset_free(&ds);
}

/* Many binary attributes: seeded and stream-stable, balanced groups,
 * labels correlated inside a group and not across, thresholds setting the
 * prevalence (bias 0: every attribute near one half), inputs inside the
 * tanh's range without input noise, and errors naming the bad option. */
static void test_data_synth_attributes(void **state)
{
    (void)state;
    synth_attr_opts o;
    synth_attr_defaults(&o);
    assert_int_equal(o.ntasks, 40);
    o.n = 20000;
    o.input_noise = 0;
    mt_dataset a, b;
    dataset_init(&a);
    dataset_init(&b);
    int group[40];
    assert_int_equal(synth_attributes(&a, &o, group), MT_OK);
    assert_int_equal(a.ntargets, 40);
    assert_int_equal(a.targets[0].kind, MT_TARGET_BINARY);
    assert_string_equal(a.targets[39].name, "a40");
    int size[8] = {0};
    for (int t = 0; t < 40; t++) size[group[t]]++;
    for (int g = 0; g < 8; g++) assert_int_equal(size[g], 5);
    for (size_t i = 0; i < (size_t)o.n * o.d; i++) assert_true(fabsf(a.x[i]) < 1.0f);
    /* a shorter draw is a prefix of the longer one */
    synth_attr_opts o2 = o;
    o2.n = 500;
    assert_int_equal(synth_attributes(&b, &o2, NULL), MT_OK);
    assert_memory_equal(a.x, b.x, (size_t)500 * o.d * sizeof(float));
    for (int t = 0; t < 40; t++) assert_memory_equal(a.targets[t].y, b.targets[t].y, 500 * sizeof(float));
    /* phi coefficients of the labels, within and across groups */
    double within = 0, across = 0;
    int nw = 0, na = 0;
    for (int s2 = 0; s2 < 40; s2++)
        for (int t = s2 + 1; t < 40; t++) {
            double r = pearson(a.targets[s2].y, a.targets[t].y, o.n, 1);
            if (group[s2] == group[t]) within += r, nw++;
            else across += r, na++;
        }
    within /= nw;
    across /= na;
    if (!(within > 0.3 && fabs(across) < 0.05)) fail_msg("label phi within %.3f, across %.3f", within, across);
    dataset_free(&b);
    /* no thresholds: every attribute is as often on as off */
    o.bias = 0;
    assert_int_equal(synth_attributes(&b, &o, NULL), MT_OK);
    for (int t = 0; t < 40; t++) {
        double on = 0;
        for (int e = 0; e < o.n; e++) on += b.targets[t].y[e];
        assert_float_equal(on / o.n, 0.5, 0.03);
    }
    dataset_free(&b);
    dataset_free(&a);
    synth_attr_defaults(&o);
    o.groups = 41;
    assert_int_equal(synth_attributes(&a, &o, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "groups <= tasks"));
    synth_attr_defaults(&o);
    o.noise = -1;
    assert_int_equal(synth_attributes(&a, &o, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "noise=-1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_synth_mmoe_two_tasks),
        cmocka_unit_test(test_data_synth_mmoe_sines_noise_seeded),
        cmocka_unit_test(test_data_synth_mmoe_correlation_matrix),
        cmocka_unit_test(test_data_synth_gradnorm_sigma),
        cmocka_unit_test(test_data_synth_gradnorm_variances),
        cmocka_unit_test(test_data_synth_kendall_noise),
        cmocka_unit_test(test_data_synth_clusters),
        cmocka_unit_test(test_data_synth_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
