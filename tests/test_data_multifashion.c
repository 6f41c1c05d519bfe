/* test_data_multifashion.c - item placement, max-overlap, labels, seeding
 * and the area resampling of Multi-Fashion canvases, on source images
 * built here with distinctive pixels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include "core/status.h"
#include "data/dataset.h"
#include "data/multifashion.h"

enum { NS = 6, HS = 28, S = 36 };

/* Source k has pixel (r, c) = a value unique to (k, r, c), in (0, 1]. */
static float src_pix(int k, int r, int c)
{
    return (float)(1 + k * HS * HS + r * HS + c) / (float)(NS * HS * HS);
}

static void make_source(mt_dataset *src, int constant)
{
    dataset_init(src);
    assert_int_equal(dataset_alloc(src, "src", NS, HS * HS, 1, HS, HS), MT_OK);
    mt_target *t = dataset_add_target(src, "label", MT_TARGET_CLASS, 1, 10);
    assert_non_null(t);
    for (int k = 0; k < NS; k++) {
        t->y[k] = (float)((3 * k + 1) % 10);
        for (int r = 0; r < HS; r++)
            for (int c = 0; c < HS; c++)
                src->x[k * HS * HS + r * HS + c] =
                    constant ? 0.1f * (float)(k + 1) : src_pix(k, r, c);
    }
}

/* The value a canvas must have at (y, x), computed from the placement
 * independently of the library: each item covers its own square. */
static float expect_at(const mt_dataset *src, const int *p, int y, int x)
{
    float v = 0.0f;
    for (int item = 0; item < 2; item++) {
        int row = p[item], y0 = p[2 + 2 * item], x0 = p[3 + 2 * item];
        if (y >= y0 && y < y0 + HS && x >= x0 && x < x0 + HS) {
            float s = src->x[row * HS * HS + (y - y0) * HS + (x - x0)];
            if (s > v) v = s;
        }
    }
    return v;
}

static void test_data_multifashion_placement_exact(void **state)
{
    (void)state;
    mt_dataset src, mf;
    make_source(&src, 0);
    dataset_init(&mf);
    enum { N = 40 };
    int place[N * 6];
    multifashion_opts o = {N, 0, -1, 0, NULL, 99};
    assert_int_equal(multifashion_make(&mf, &src, NULL, &o, place), MT_OK);
    assert_int_equal(mf.n, N);
    assert_int_equal(mf.h, S);
    assert_int_equal(mf.w, S);
    assert_int_equal(mf.d, S * S);
    const mt_target *L = dataset_target(&mf, "left"), *R = dataset_target(&mf, "right");
    assert_non_null(L);
    assert_non_null(R);
    assert_int_equal(L->classes, 10);
    int shifts_seen[5] = {0};
    for (int i = 0; i < N; i++) {
        const int *p = place + i * 6;
        assert_true(p[0] >= 0 && p[0] < NS && p[1] >= 0 && p[1] < NS);
        /* left near the top-left, right near the bottom-right, 0..4 px in */
        assert_true(p[2] >= 0 && p[2] <= 4 && p[3] >= 0 && p[3] <= 4);
        assert_true(p[4] >= S - HS - 4 && p[4] <= S - HS && p[5] >= S - HS - 4 && p[5] <= S - HS);
        shifts_seen[p[2]]++;
        shifts_seen[S - HS - p[5]]++;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                assert_float_equal(mf.x[i * S * S + y * S + x], expect_at(&src, p, y, x), 0);
        /* the item corners hold the first source pixels exactly */
        assert_float_equal(mf.x[i * S * S + p[2] * S + p[3]], src_pix(p[0], 0, 0), 0);
        assert_float_equal(mf.x[i * S * S + (p[4] + HS - 1) * S + p[5] + HS - 1],
                           src_pix(p[1], HS - 1, HS - 1), 0);
        assert_float_equal(L->y[i], src.targets[0].y[p[0]], 0);
        assert_float_equal(R->y[i], src.targets[0].y[p[1]], 0);
    }
    for (int s = 0; s <= 4; s++) assert_true(shifts_seen[s] > 0); /* every shift occurs */

    /* same seed: same canvases, and a prefix for a smaller n; other seed differs */
    mt_dataset again;
    dataset_init(&again);
    multifashion_opts o2 = o;
    o2.n = 10;
    assert_int_equal(multifashion_make(&again, &src, NULL, &o2, NULL), MT_OK);
    assert_memory_equal(again.x, mf.x, 10 * S * S * sizeof(float));
    o2.seed = 100;
    assert_int_equal(multifashion_make(&again, &src, NULL, &o2, NULL), MT_OK);
    assert_memory_not_equal(again.x, mf.x, 10 * S * S * sizeof(float));
    dataset_free(&again);
    dataset_free(&mf);
    dataset_free(&src);
}

/* Constant items: the overlap area follows from the shifts alone. The
 * left item spans rows [ly, ly+28), the right [8-ry', 36-ry') where
 * ry' = 36-28-corner, so they share (20+ly+ry') rows; same for columns. */
static void test_data_multifashion_max_overlap_counts(void **state)
{
    (void)state;
    mt_dataset src, mf;
    make_source(&src, 1);
    dataset_init(&mf);
    enum { N = 30 };
    int place[N * 6];
    multifashion_opts o = {N, 0, 4, 0, "label", 5};
    assert_int_equal(multifashion_make(&mf, &src, NULL, &o, place), MT_OK);
    int checked = 0;
    for (int i = 0; i < N; i++) {
        const int *p = place + i * 6;
        float va = 0.1f * (float)(p[0] + 1), vb = 0.1f * (float)(p[1] + 1);
        if (va == vb) continue; /* same value: the overlap is not visible */
        int ry = S - HS - p[4], rx = S - HS - p[5];
        int overlap = (20 + p[2] + ry) * (20 + p[3] + rx);
        float hi = va > vb ? va : vb, lo = va > vb ? vb : va;
        int n_hi = 0, n_lo = 0, n_zero = 0;
        for (int k = 0; k < S * S; k++) {
            float v = mf.x[i * S * S + k];
            if (v == hi)
                n_hi++;
            else if (v == lo)
                n_lo++;
            else if (v == 0.0f)
                n_zero++;
            else
                fail_msg("unexpected pixel value %g", (double)v);
        }
        assert_int_equal(n_hi, HS * HS);
        assert_int_equal(n_lo, HS * HS - overlap);
        assert_int_equal(n_zero, S * S - 2 * HS * HS + overlap);
        checked++;
    }
    assert_true(checked > N / 2);
    dataset_free(&mf);
    dataset_free(&src);
}

/* Area resampling against a direct 2-D integration in double. */
static void test_data_multifashion_resize_area(void **state)
{
    (void)state;
    mt_dataset src, big, small;
    make_source(&src, 0);
    dataset_init(&big);
    dataset_init(&small);
    multifashion_opts o = {4, 0, -1, 0, NULL, 3};
    assert_int_equal(multifashion_make(&big, &src, NULL, &o, NULL), MT_OK);
    o.out_size = 28;
    assert_int_equal(multifashion_make(&small, &src, NULL, &o, NULL), MT_OK);
    assert_int_equal(small.d, 28 * 28);
    assert_int_equal(small.h, 28);
    const double s = 36.0 / 28.0;
    for (int i = 0; i < 4; i++) {
        const float *cv = big.x + i * S * S;
        const float *rs = small.x + i * 28 * 28;
        double sum_big = 0, sum_small = 0;
        for (int k = 0; k < S * S; k++) sum_big += cv[k];
        for (int k = 0; k < 28 * 28; k++) sum_small += rs[k];
        /* the box filter preserves the mean */
        assert_float_equal(sum_small / (28 * 28), sum_big / (S * S), 1e-6);
        for (int a = 0; a < 28; a += 3)
            for (int b = 0; b < 28; b += 5) {
                double acc = 0;
                for (int m = 0; m < S; m++)
                    for (int k = 0; k < S; k++) {
                        double oy = fmin((a + 1) * s, m + 1.0) - fmax(a * s, (double)m);
                        double ox = fmin((b + 1) * s, k + 1.0) - fmax(b * s, (double)k);
                        if (oy > 0 && ox > 0) acc += oy * ox * cv[m * S + k];
                    }
                assert_float_equal(rs[a * 28 + b], acc / (s * s), 1e-6);
            }
    }
    /* by hand: output (0,0) = mean over [0, 9/7)^2 = (c00 + 2/7 (c01 + c10) + 4/49 c11) / (81/49)
     */
    const float *cv = big.x;
    double hand =
        (cv[0] + (2.0 / 7.0) * (cv[1] + cv[S]) + (4.0 / 49.0) * cv[S + 1]) / (81.0 / 49.0);
    assert_float_equal(small.x[0], hand, 1e-6);
    dataset_free(&big);
    dataset_free(&small);
    dataset_free(&src);
}

static void test_data_multifashion_split_and_errors(void **state)
{
    (void)state;
    mt_dataset src, mf;
    make_source(&src, 1);
    dataset_init(&mf);
    /* rows 0..3 train, 4..5 test: values 0.1..0.4 vs 0.5..0.6 */
    multifashion_opts o = {0, 0, -1, 0, NULL, 8};
    assert_int_equal(multifashion_make_split(&mf, &src, 4, 20, 10, &o), MT_OK);
    assert_int_equal(mf.n, 30);
    for (int i = 0; i < 30; i++) {
        float mx = 0;
        for (int k = 0; k < S * S; k++)
            if (mf.x[i * S * S + k] > mx) mx = mf.x[i * S * S + k];
        if (i < 20)
            assert_true(mx < 0.45f);
        else
            assert_true(mx > 0.45f);
        /* labels come from the right half of the source too */
        float lt = mf.targets[0].y[i];
        int found = 0;
        for (int k = i < 20 ? 0 : 4; k < (i < 20 ? 4 : 6); k++) found |= src.targets[0].y[k] == lt;
        assert_true(found);
    }
    /* restricted to an index list */
    int rows[2] = {2, 5};
    mt_index from = {rows, 2};
    int place[8 * 6];
    o.n = 8;
    assert_int_equal(multifashion_make(&mf, &src, &from, &o, place), MT_OK);
    for (int i = 0; i < 8; i++) {
        assert_true(place[i * 6] == 2 || place[i * 6] == 5);
        assert_true(place[i * 6 + 1] == 2 || place[i * 6 + 1] == 5);
    }

    mt_clear_error();
    o.canvas = 30;
    assert_int_equal(multifashion_make(&mf, &src, NULL, &o, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "multi-fashion: a 30x30 canvas cannot hold 28x28 items shifted by up to 4");
    o.canvas = 0;
    o.target = "colour";
    assert_int_equal(multifashion_make(&mf, &src, NULL, &o, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "multi-fashion: the source has no target named 'colour'");
    o.target = NULL;
    rows[1] = 6;
    assert_int_equal(multifashion_make(&mf, &src, &from, &o, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "dataset 'src': source index 6 (position 1) is outside 0..5");
    dataset_free(&mf);
    dataset_free(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_multifashion_placement_exact),
        cmocka_unit_test(test_data_multifashion_max_overlap_counts),
        cmocka_unit_test(test_data_multifashion_resize_area),
        cmocka_unit_test(test_data_multifashion_split_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
