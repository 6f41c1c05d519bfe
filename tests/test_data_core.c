/* test_data_core.c - the dataset container, splits, the batcher,
 * standardisation and gathering with masks. */
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

/* Marks every index in a list; fails on one outside 0..n-1 or seen twice. */
static void mark_all(const mt_index *ix, int n, unsigned char *seen)
{
    for (int i = 0; i < ix->n; i++) {
        assert_true(ix->idx[i] >= 0 && ix->idx[i] < n);
        assert_int_equal(seen[ix->idx[i]], 0);
        seen[ix->idx[i]] = 1;
    }
}

static void test_data_split_disjoint_cover_seeded(void **state)
{
    (void)state;
    const int n = 1000;
    mt_split a, b, c;
    assert_int_equal(split_make(&a, n, 600, 150, -1, 7), MT_OK);
    assert_int_equal(a.train.n, 600);
    assert_int_equal(a.val.n, 150);
    assert_int_equal(a.test.n, 250);
    unsigned char seen[1000] = {0};
    mark_all(&a.train, n, seen);
    mark_all(&a.val, n, seen);
    mark_all(&a.test, n, seen);
    for (int i = 0; i < n; i++) assert_int_equal(seen[i], 1); /* cover */

    /* same seed, same split; other seed, another one */
    assert_int_equal(split_make(&b, n, 600, 150, -1, 7), MT_OK);
    assert_memory_equal(a.train.idx, b.train.idx, 600 * sizeof(int));
    assert_memory_equal(a.test.idx, b.test.idx, 250 * sizeof(int));
    assert_int_equal(split_make(&c, n, 600, 150, -1, 8), MT_OK);
    int same = 0;
    for (int i = 0; i < 600; i++) same += a.train.idx[i] == c.train.idx[i];
    assert_true(same < 30);
    /* shuffled, not the identity */
    int inorder = 0;
    for (int i = 0; i < 600; i++) inorder += a.train.idx[i] == i;
    assert_true(inorder < 30);

    /* explicit test size leaves examples unused */
    split_free(&b);
    assert_int_equal(split_make(&b, n, 100, 0, 50, 7), MT_OK);
    assert_int_equal(b.train.n + b.val.n + b.test.n, 150);

    split_subsample_train(&a, 500);
    assert_int_equal(a.train.n, 500);
    split_subsample_train(&a, 5000); /* larger than the list: no change */
    assert_int_equal(a.train.n, 500);
    split_free(&a);
    split_free(&b);
    split_free(&c);
    split_free(&c); /* idempotent on a freed split */
}

static void test_data_split_subsample_is_prefix(void **state)
{
    (void)state;
    mt_split a, b;
    assert_int_equal(split_make(&a, 300, 200, 50, -1, 3), MT_OK);
    assert_int_equal(split_make(&b, 300, 200, 50, -1, 3), MT_OK);
    split_subsample_train(&b, 20);
    assert_int_equal(b.train.n, 20);
    assert_memory_equal(a.train.idx, b.train.idx, 20 * sizeof(int));
    assert_memory_equal(a.val.idx, b.val.idx, 50 * sizeof(int)); /* val untouched */
    split_free(&a);
    split_free(&b);
}

static void test_data_split_errors(void **state)
{
    (void)state;
    mt_split sp;
    mt_clear_error();
    assert_int_equal(split_make(&sp, 100, 80, 30, -1, 1), MT_ERR_ARG);
    assert_string_equal(
        mt_last_error(),
        "split: train 80 + val 30 + test 0 = 110 examples, but the dataset has 100");
    assert_int_equal(split_make(&sp, 100, 50, 20, 40, 1), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "= 110 examples"));
    assert_int_equal(split_make(&sp, 100, -1, 20, 40, 1), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "negative size"));
    assert_int_equal(split_make_fixed(&sp, 100, 90, 95, 1), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "90 train+val examples with 95 for validation"));
    split_free(&sp);
}

static void test_data_split_fixed_keeps_boundary(void **state)
{
    (void)state;
    mt_split sp;
    assert_int_equal(split_make_fixed(&sp, 700, 600, 100, 5), MT_OK);
    assert_int_equal(sp.train.n, 500);
    assert_int_equal(sp.val.n, 100);
    assert_int_equal(sp.test.n, 100);
    for (int i = 0; i < sp.train.n; i++) assert_true(sp.train.idx[i] < 600);
    for (int i = 0; i < sp.val.n; i++) assert_true(sp.val.idx[i] < 600);
    for (int i = 0; i < sp.test.n; i++) assert_int_equal(sp.test.idx[i], 600 + i);
    unsigned char seen[700] = {0};
    mark_all(&sp.train, 700, seen);
    mark_all(&sp.val, 700, seen);
    mark_all(&sp.test, 700, seen);
    for (int i = 0; i < 700; i++) assert_int_equal(seen[i], 1);
    split_free(&sp);
}

/* Runs one epoch, copying the order it yields; checks batch sizes. */
static void one_epoch(mt_batcher *b, int n, int batch, int *out)
{
    const int *rows;
    int got = 0, k;
    while ((k = batcher_next(b, &rows)) > 0) {
        assert_true(k == batch || (k < batch && got + k == n));
        memcpy(out + got, rows, (size_t)k * sizeof(int));
        got += k;
    }
    assert_int_equal(got, n);
}

static void test_data_batcher_epochs(void **state)
{
    (void)state;
    enum { N = 103, B = 10 };
    mt_index set;
    int ids[N];
    for (int i = 0; i < N; i++) ids[i] = 1000 + 3 * i; /* dataset indices, not positions */
    set.idx = ids;
    set.n = N;
    mt_batcher b1, b2, b3;
    assert_int_equal(batcher_init(&b1, &set, B, 11, 1), MT_OK);
    assert_int_equal(batcher_init(&b2, &set, B, 11, 1), MT_OK);
    assert_int_equal(batcher_init(&b3, &set, B, 12, 1), MT_OK);
    int e0[N], e1[N], f0[N], f1[N], g0[N];
    one_epoch(&b1, N, B, e0);
    assert_int_equal(b1.epoch, 1);
    one_epoch(&b1, N, B, e1);
    one_epoch(&b2, N, B, f0);
    one_epoch(&b2, N, B, f1);
    one_epoch(&b3, N, B, g0);
    /* every index exactly once per epoch */
    int *ep[2] = {e0, e1};
    for (int e = 0; e < 2; e++) {
        int count[N] = {0};
        for (int i = 0; i < N; i++) {
            int v = ep[e][i];
            assert_true(v >= 1000 && (v - 1000) % 3 == 0 && (v - 1000) / 3 < N);
            count[(v - 1000) / 3]++;
        }
        for (int i = 0; i < N; i++) assert_int_equal(count[i], 1);
    }
    /* a different order each epoch, the same for the same seed */
    assert_memory_equal(e0, f0, sizeof e0);
    assert_memory_equal(e1, f1, sizeof e1);
    assert_memory_not_equal(e0, e1, sizeof e0);
    assert_memory_not_equal(e0, g0, sizeof e0);
    batcher_free(&b1);
    batcher_free(&b2);
    batcher_free(&b3);

    /* without shuffling the set's own order */
    assert_int_equal(batcher_init(&b1, &set, 7, 11, 0), MT_OK);
    one_epoch(&b1, N, 7, e0);
    assert_memory_equal(e0, ids, sizeof ids);
    batcher_free(&b1);

    mt_clear_error();
    assert_int_equal(batcher_init(&b1, &set, 0, 1, 1), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "batch size 0"));
}

/* Standardisation must use the train rows only: the test computes the mean
 * and (population) std of the train rows by hand, then changes validation
 * rows wildly and checks the statistics do not move. */
static void test_data_standardize_train_only(void **state)
{
    (void)state;
    mt_dataset ds;
    dataset_init(&ds);
    assert_int_equal(dataset_alloc(&ds, "toy", 6, 2, 0, 0, 0), MT_OK);
    /* column 0: train rows 0,2,4 = 1,2,3 -> mean 2, std sqrt(2/3)
     * column 1: constant 5 on train -> std treated as 1 */
    float x[6][2] = {{1, 5}, {100, -7}, {2, 5}, {-50, 9}, {3, 5}, {4, 5}};
    memcpy(ds.x, x, sizeof x);
    int tr[3] = {0, 2, 4};
    mt_index train = {tr, 3};
    float mean[2], sd[2];
    assert_int_equal(dataset_standardize(&ds, &train, mean, sd), MT_OK);
    assert_float_equal(mean[0], 2.0f, 1e-6);
    assert_float_equal(sd[0], sqrtf(2.0f / 3.0f), 1e-6);
    assert_float_equal(mean[1], 5.0f, 1e-6);
    assert_float_equal(sd[1], 1.0f, 1e-6);
    float s0 = sqrtf(2.0f / 3.0f);
    for (int i = 0; i < 6; i++) {
        assert_float_equal(ds.x[2 * i], (x[i][0] - 2.0f) / s0, 1e-4);
        assert_float_equal(ds.x[2 * i + 1], x[i][1] - 5.0f, 1e-5);
    }
    /* changing the non-train rows changes nothing in the statistics */
    memcpy(ds.x, x, sizeof x);
    ds.x[2 * 1] = 1e6f;
    ds.x[2 * 3 + 1] = -1e6f;
    float mean2[2], sd2[2];
    assert_int_equal(dataset_standardize(&ds, &train, mean2, sd2), MT_OK);
    assert_memory_equal(mean, mean2, sizeof mean);
    assert_memory_equal(sd, sd2, sizeof sd);

    mt_index empty = {tr, 0};
    assert_int_equal(dataset_standardize(&ds, &empty, NULL, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "non-empty train split"));
    int bad[1] = {6};
    mt_index oob = {bad, 1};
    assert_int_equal(dataset_standardize(&ds, &oob, NULL, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "dataset 'toy': train index 6 (position 0) is outside 0..5");
    dataset_free(&ds);
}

static void test_data_targets_gather_masks(void **state)
{
    (void)state;
    mt_dataset ds;
    dataset_init(&ds);
    assert_int_equal(dataset_alloc(&ds, "img", 5, 12, 3, 2, 2), MT_OK);
    assert_int_equal(ds.c * ds.h * ds.w, 12);
    for (int i = 0; i < 5 * 12; i++) ds.x[i] = (float)i;
    mt_target *cls = dataset_add_target(&ds, "label", MT_TARGET_CLASS, 1, 4);
    assert_non_null(cls);
    for (int i = 0; i < 5; i++) cls->y[i] = (float)(i % 4);
    mt_target *reg = dataset_add_target(&ds, "pos", MT_TARGET_REGRESS, 2, 0);
    assert_non_null(reg);
    cls = &ds.targets[0]; /* the array may have moved */
    for (int i = 0; i < 10; i++) reg->y[i] = 0.5f * (float)i;
    unsigned char *m = dataset_target_mask(&ds, 1);
    assert_non_null(m);
    for (int i = 0; i < 5; i++) assert_int_equal(m[i], 1);
    m[1] = 0;
    m[3] = 0;
    assert_int_equal(dataset_target_labelled(&ds, 1, NULL), 3);
    assert_int_equal(dataset_target_labelled(&ds, 0, NULL), 5);
    assert_int_equal(dataset_target_index(&ds, "pos"), 1);
    assert_int_equal(dataset_target_index(&ds, "nope"), -1);
    assert_null(dataset_target(&ds, "nope"));

    int rows[3] = {4, 1, 3};
    float xb[3 * 12], yb[3 * 2], mb[3];
    dataset_gather_x(&ds, rows, 3, xb);
    for (int r = 0; r < 3; r++)
        for (int j = 0; j < 12; j++)
            assert_float_equal(xb[r * 12 + j], (float)(rows[r] * 12 + j), 0);
    dataset_gather_y(&ds, 1, rows, 3, yb, mb);
    for (int r = 0; r < 3; r++) {
        assert_float_equal(yb[2 * r], 0.5f * (float)(2 * rows[r]), 0);
        assert_float_equal(yb[2 * r + 1], 0.5f * (float)(2 * rows[r] + 1), 0);
    }
    assert_float_equal(mb[0], 1.0f, 0);
    assert_float_equal(mb[1], 0.0f, 0);
    assert_float_equal(mb[2], 0.0f, 0);
    float yc[3], mc[3];
    dataset_gather_y(&ds, 0, rows, 3, yc, mc); /* no mask: all ones */
    for (int r = 0; r < 3; r++) {
        assert_float_equal(yc[r], (float)(rows[r] % 4), 0);
        assert_float_equal(mc[r], 1.0f, 0);
    }

    /* relabel: {0,1,2,3} -> {1,0,1,0}, keeps the original */
    int map[4] = {1, 0, 1, 0};
    assert_int_equal(dataset_relabel(&ds, "label", map, 4, "parity"), MT_OK);
    mt_target *par = dataset_target(&ds, "parity");
    assert_non_null(par);
    assert_int_equal(par->classes, 2);
    for (int i = 0; i < 5; i++) assert_float_equal(par->y[i], (float)map[i % 4], 0);
    assert_non_null(dataset_target(&ds, "label"));

    mt_clear_error();
    assert_null(dataset_add_target(&ds, "pos", MT_TARGET_REGRESS, 1, 0));
    assert_string_equal(mt_last_error(), "dataset 'img': a target named 'pos' already exists");
    assert_int_equal(dataset_relabel(&ds, "pos", map, 4, "x"), MT_ERR_ARG);
    assert_string_equal(mt_last_error(),
                        "dataset 'img': relabel: target 'pos' is not a class target");
    assert_int_equal(dataset_relabel(&ds, "label", map, 3, "x"), MT_ERR_ARG);
    assert_string_equal(
        mt_last_error(),
        "dataset 'img': relabel 'x': the map has 3 entries but 'label' has 4 classes");
    assert_int_equal(dataset_relabel(&ds, "missing", map, 4, "x"), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "dataset 'img': relabel: no target named 'missing'");
    assert_int_equal(dataset_alloc(&ds, "bad", 4, 10, 3, 2, 2), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "dataset 'bad': image layout 3x2x2 does not match d=10");
    dataset_free(&ds);
    dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_split_disjoint_cover_seeded),
        cmocka_unit_test(test_data_split_subsample_is_prefix),
        cmocka_unit_test(test_data_split_errors),
        cmocka_unit_test(test_data_split_fixed_keeps_boundary),
        cmocka_unit_test(test_data_batcher_epochs),
        cmocka_unit_test(test_data_standardize_train_only),
        cmocka_unit_test(test_data_targets_gather_masks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
