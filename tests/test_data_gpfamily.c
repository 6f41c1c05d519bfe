/* test_data_gpfamily.c - the related 1-D task family of the multi-task GP:
 * its functions have exactly the asked correlation over the input range,
 * the layout and split are as documented, the same seed gives the same
 * bytes, and bad correlations are refused with a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "data/gpfamily.h"

/* The correlation of the noiseless functions over the generator's own
 * grid (2001 points on [-range, range]) is R to rounding; on a finer grid
 * of the same range it is R to within the grid's discretisation. */
static void test_data_gpfamily_exact_correlation(void **state)
{
    (void)state;
    gpfam_opts o;
    gpfam_defaults(&o);
    o.ntasks = 3;
    const double R[9] = {1, 0.9, -0.3, 0.9, 1, 0, -0.3, 0, 1};
    o.R = R;
    o.range = 4;
    for (int grid = 2001; grid <= 8001; grid += 6000) {
        double *x = malloc(sizeof *x * (size_t)grid), *f = malloc(sizeof *f * 3 * (size_t)grid);
        for (int i = 0; i < grid; i++) x[i] = -o.range + 2 * o.range * i / (grid - 1);
        assert_int_equal(gpfam_truth(&o, x, grid, f), MT_OK);
        double mean[3] = {0, 0, 0}, C[9] = {0};
        for (int t = 0; t < 3; t++)
            for (int i = 0; i < grid; i++) mean[t] += f[(size_t)t * grid + i] / grid;
        for (int s = 0; s < 3; s++)
            for (int t = 0; t < 3; t++)
                for (int i = 0; i < grid; i++)
                    C[s * 3 + t] += (f[(size_t)s * grid + i] - mean[s]) * (f[(size_t)t * grid + i] - mean[t]) / grid;
        double tol = grid == 2001 ? 1e-9 : 0.02;
        for (int s = 0; s < 3; s++)
            for (int t = 0; t < 3; t++)
                if (!(fabs(C[s * 3 + t] / sqrt(C[s * 3 + s] * C[t * 3 + t]) - R[s * 3 + t]) <= tol))
                    fail_msg("grid %d: correlation [%d][%d] %.12f, asked %.3f", grid, s, t,
                             C[s * 3 + t] / sqrt(C[s * 3 + s] * C[t * 3 + t]), R[s * 3 + t]);
        if (grid == 2001) /* and unit variance */
            for (int t = 0; t < 3; t++) assert_true(fabs(C[t * 4] - 1) < 1e-9);
        free(x);
        free(f);
    }
}

static void test_data_gpfamily_layout_and_seed(void **state)
{
    (void)state;
    gpfam_opts o;
    gpfam_defaults(&o);
    const int n[2] = {5, 50};
    o.n_train = n;
    o.n_val = 7;
    o.n_test = 11;
    mt_dataset a, b;
    mt_split sa, sb;
    dataset_init(&a);
    dataset_init(&b);
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    assert_int_equal(gpfam_make(&a, &sa, &o), MT_OK);
    assert_int_equal(a.n, 73);
    assert_int_equal(a.d, 1);
    assert_int_equal(a.ntargets, 2);
    assert_string_equal(a.targets[1].name, "t2");
    assert_int_equal(sa.train.n, 55);
    assert_int_equal(sa.val.n, 7);
    assert_int_equal(sa.test.n, 11);
    for (int i = 0; i < 55; i++) { /* the first 5 are A's alone, the next 50 B's */
        assert_int_equal(sa.train.idx[i], i);
        assert_int_equal(a.targets[0].mask[i], i < 5);
        assert_int_equal(a.targets[1].mask[i], i >= 5);
    }
    for (int i = 55; i < 73; i++) assert_true(a.targets[0].mask[i] && a.targets[1].mask[i]);
    for (int i = 0; i < a.n; i++) assert_true(fabs(a.x[i]) <= o.range);
    /* the same seed, the same bytes; another seed, other data */
    assert_int_equal(gpfam_make(&b, &sb, &o), MT_OK);
    assert_memory_equal(a.x, b.x, sizeof(float) * 73);
    assert_memory_equal(a.targets[1].y, b.targets[1].y, sizeof(float) * 73);
    o.seed = 2;
    assert_int_equal(gpfam_make(&b, &sb, &o), MT_OK);
    assert_true(memcmp(a.targets[1].y, b.targets[1].y, sizeof(float) * 73) != 0);
    dataset_free(&a);
    dataset_free(&b);
    split_free(&sa);
    split_free(&sb);
}

static void test_data_gpfamily_refusals(void **state)
{
    (void)state;
    gpfam_opts o;
    gpfam_defaults(&o);
    mt_dataset ds;
    mt_split sp;
    dataset_init(&ds);
    memset(&sp, 0, sizeof sp);
    o.ntasks = 3;
    const double bad[9] = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1}; /* not positive semi-definite */
    o.R = bad;
    assert_int_equal(gpfam_make(&ds, &sp, &o), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "gp_family: correlation matrix is not positive semi-definite"));
    assert_int_equal(ds.n, 0);
    o.R = NULL;
    o.rho = 1; /* rank one: allowed, every task the same function */
    assert_int_equal(gpfam_make(&ds, &sp, &o), MT_OK);
    o.ntasks = 0;
    assert_int_equal(gpfam_make(&ds, &sp, &o), MT_ERR_ARG);
    dataset_free(&ds);
    split_free(&sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_gpfamily_exact_correlation),
        cmocka_unit_test(test_data_gpfamily_layout_and_seed),
        cmocka_unit_test(test_data_gpfamily_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
