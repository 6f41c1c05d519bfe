/* test_data_csv.c - CSV columns as inputs and targets, missing labels as
 * masks, quotes and CRLF, and every error with its message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "data/csv.h"
#include "data/dataset.h"

typedef struct {
    char dir[64];
    char path[128];
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    if (!c) return -1;
    strcpy(c->dir, "/tmp/mtlab_csv_XXXXXX");
    if (!mkdtemp(c->dir)) {
        free(c);
        return -1;
    }
    snprintf(c->path, sizeof c->path, "%s/data.csv", c->dir);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    unlink(c->path);
    rmdir(c->dir);
    free(c);
    return 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static const char *const in2[] = {"age", "height"};

static void test_data_csv_columns_masks_quotes(void **state)
{
    ctx *c = *state;
    write_text(c->path, "id,age,name,height,smoker,group,income\r\n"
                        "1,30,\"Smith, John\",1.80,1,2,50000\r\n"
                        "2, 41 ,\"say \"\"hi\"\"\",1.65,,0,\r\n"
                        "\r\n"
                        "3,25,plain,1.7e0,0,,42.5\n"
                        "4,-2.5,x,0,1,1,-1"); /* no final newline */
    csv_target tg[3] = {
        {"smoker", MT_TARGET_BINARY, 0, NULL},
        {"group", MT_TARGET_CLASS, 0, "grp"},
        {"income", MT_TARGET_REGRESS, 0, NULL},
    };
    mt_dataset ds;
    dataset_init(&ds);
    assert_int_equal(csv_load(&ds, c->path, in2, 2, tg, 3), MT_OK);
    assert_string_equal(ds.name, "data.csv");
    assert_int_equal(ds.n, 4);
    assert_int_equal(ds.d, 2);
    const float x[4][2] = {{30, 1.80f}, {41, 1.65f}, {25, 1.7f}, {-2.5f, 0}};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++) assert_float_equal(ds.x[i * 2 + j], x[i][j], 1e-6);
    assert_int_equal(ds.ntargets, 3);
    const mt_target *sm = dataset_target(&ds, "smoker"), *gr = dataset_target(&ds, "grp"),
                    *inc = dataset_target(&ds, "income");
    assert_non_null(sm);
    assert_non_null(gr);
    assert_non_null(inc);
    assert_int_equal(sm->kind, MT_TARGET_BINARY);
    assert_int_equal(gr->classes, 3); /* inferred: largest label 2 */
    /* labels and masks */
    const float ysm[4] = {1, 0, 0, 1}, ygr[4] = {2, 0, 0, 1}, yin[4] = {50000, 0, 42.5f, -1};
    const unsigned char msm[4] = {1, 0, 1, 1}, mgr[4] = {1, 1, 0, 1}, min[4] = {1, 0, 1, 1};
    for (int i = 0; i < 4; i++) {
        if (msm[i]) assert_float_equal(sm->y[i], ysm[i], 0);
        if (mgr[i]) assert_float_equal(gr->y[i], ygr[i], 0);
        if (min[i]) assert_float_equal(inc->y[i], yin[i], 1e-3);
    }
    assert_memory_equal(sm->mask, msm, 4);
    assert_memory_equal(gr->mask, mgr, 4);
    assert_memory_equal(inc->mask, min, 4);
    /* gather sees the masks */
    int rows[2] = {1, 3};
    float yb[2], mb[2];
    dataset_gather_y(&ds, 0, rows, 2, yb, mb);
    assert_float_equal(mb[0], 0, 0);
    assert_float_equal(mb[1], 1, 0);
    assert_float_equal(yb[1], 1, 0);

    /* a fully labelled target has no mask; explicit class count */
    csv_target t2[1] = {{"group", MT_TARGET_CLASS, 5, NULL}};
    const char *const in1[] = {"id"};
    assert_int_equal(csv_load(&ds, c->path, in1, 1, t2, 1), MT_OK);
    assert_int_equal(ds.targets[0].classes, 5);
    assert_non_null(ds.targets[0].mask); /* row 3 lacks a group */
    assert_int_equal(dataset_target_labelled(&ds, 0, NULL), 3);
    csv_target t3[1] = {{"age", MT_TARGET_REGRESS, 0, NULL}};
    assert_int_equal(csv_load(&ds, c->path, in1, 1, t3, 1), MT_OK);
    assert_null(ds.targets[0].mask);
    dataset_free(&ds);
}

static void expect_error(ctx *c, const char *text, const char *const *inputs, int ninputs,
                         const csv_target *tg, int ntg, mt_status want_status,
                         const char *want_tail)
{
    write_text(c->path, text);
    mt_dataset ds;
    dataset_init(&ds);
    mt_clear_error();
    assert_int_equal(csv_load(&ds, c->path, inputs, ninputs, tg, ntg), want_status);
    char want[512];
    snprintf(want, sizeof want, "%s%s", c->path, want_tail);
    assert_string_equal(mt_last_error(), want);
    assert_int_equal(ds.n, 0);
    assert_null(ds.x);
    dataset_free(&ds);
}

static void test_data_csv_errors(void **state)
{
    ctx *c = *state;
    csv_target tg[1] = {{"y", MT_TARGET_CLASS, 3, NULL}};
    const char *const in3[] = {"a", "b", "age"};
    /* a ragged row */
    expect_error(c, "a,b,age,d,y\n1,2,3,4,0\n1,2,3,4,1\n1,2,3\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":4: 3 fields, header has 5");
    /* a non-numeric input cell */
    expect_error(c, "a,b,age,y\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,abc,0\n", in3, 3,
                 tg, 1, MT_ERR_FORMAT, ":7: column 'age' (3): expected a number, got 'abc'");
    /* an empty input cell is not a missing label */
    expect_error(c, "a,b,age,y\n1,,3,0\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":2: column 'b' (2): expected a number, got ''");
    /* a missing column */
    const char *const inc[] = {"a", "income"};
    expect_error(c, "a,b,y\n1,2,0\n", inc, 2, tg, 1, MT_ERR_ARG, ": no column named 'income'");
    /* a missing target column */
    csv_target tz[1] = {{"z", MT_TARGET_REGRESS, 0, NULL}};
    expect_error(c, "a,b,age,y\n1,2,3,0\n", in3, 3, tz, 1, MT_ERR_ARG, ": no column named 'z'");
    /* a class out of range, a fractional class, a bad binary value */
    expect_error(c, "a,b,age,y\r\n1,2,3,0\r\n1,2,3,3\r\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":3: column 'y' (4): class 3 is outside 0..2");
    expect_error(c, "a,b,age,y\n1,2,3,1.5\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":2: column 'y' (4): expected a class index (0, 1, ...), got '1.5'");
    csv_target tb[1] = {{"y", MT_TARGET_BINARY, 0, NULL}};
    expect_error(c, "a,b,age,y\n1,2,3,2\n", in3, 3, tb, 1, MT_ERR_FORMAT,
                 ":2: column 'y' (4): expected 0 or 1, got '2'");
    /* quoting mistakes */
    expect_error(c, "a,b,age,y\n1,\"2,3,0\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":2: field 2: unterminated quote");
    expect_error(c, "a,b,age,y\n1,\"2\"x,3,0\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":2: field 2: text after the closing quote");
    /* a duplicated header name, non-finite numbers, an empty file */
    expect_error(c, "a,b,age,a,y\n1,2,3,4,0\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ": column 'a' appears twice in the header (1 and 4)");
    expect_error(c, "a,b,age,y\n1,2,inf,0\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":2: column 'age' (3): expected a number, got 'inf'");
    expect_error(c, "\n\r\n", in3, 3, tg, 1, MT_ERR_FORMAT, ": empty file (no header row)");
    /* a file that is not there */
    mt_dataset ds;
    dataset_init(&ds);
    assert_int_equal(csv_load(&ds, "/nonexistent/d.csv", in3, 3, tg, 1), MT_ERR_IO);
    assert_string_equal(mt_last_error(),
                        "/nonexistent/d.csv: cannot open: No such file or directory");
}

/* A header and nothing else names the file (and the header's line), not
 * an empty split later on. */
static void test_data_csv_header_only(void **state)
{
    ctx *c = *state;
    csv_target tg[1] = {{"y", MT_TARGET_REGRESS, 0, NULL}};
    const char *const in1[] = {"a"};
    expect_error(c, "a,y\n", in1, 1, tg, 1, MT_ERR_FORMAT, ": no data rows after the header (line 1)");
    expect_error(c, "\n\na,y\n\n \n", in1, 1, tg, 1, MT_ERR_FORMAT, ": no data rows after the header (line 3)");
}

/* Values a float32 cannot hold are refused where they stand, not turned
 * into Inf that "diverges" later; a UTF-8 byte order mark is not part of
 * the first column's name; a stray huge class label is reported with the
 * range of the rest of its column instead of sizing a 10-million-way head. */
static void test_data_csv_float32_bom_and_class_range(void **state)
{
    ctx *c = *state;
    csv_target tr[1] = {{"y", MT_TARGET_REGRESS, 0, NULL}};
    const char *const in1[] = {"a"};
    expect_error(c, "a,y\n1,2\n1e39,3\n", in1, 1, tr, 1, MT_ERR_FORMAT,
                 ":3: column 'a' (1): 1e39 does not fit in a float32 (at most 3.40282e+38)");
    expect_error(c, "a,y\n1,2\n3,-4e38\n", in1, 1, tr, 1, MT_ERR_FORMAT,
                 ":3: column 'y' (2): -4e38 does not fit in a float32 (at most 3.40282e+38)");
    /* the largest float and a value that underflows to 0 are fine */
    write_text(c->path, "\xEF\xBB\xBF" "a,y\n3.4028234e38,1e-50\n");
    mt_dataset ds;
    dataset_init(&ds);
    assert_int_equal(csv_load(&ds, c->path, in1, 1, tr, 1), MT_OK);
    assert_int_equal(ds.n, 1);
    assert_true(ds.x[0] == 3.4028234e38f);
    assert_true(ds.targets[0].y[0] == 0.0f);
    dataset_free(&ds);
    /* class labels: 0..4 and one 9999999 */
    csv_target tc[1] = {{"y", MT_TARGET_CLASS, 0, NULL}};
    expect_error(c, "a,y\n1,0\n1,4\n1,9999999\n1,2\n", in1, 1, tc, 1, MT_ERR_FORMAT,
                 ":4: column 'y' (2): class label 9999999 exceeds the limit of 65536 classes "
                 "(1 such label; the column's other labels run 0..4)");
    expect_error(c, "a,y\n1,70000\n1,1e39\n", in1, 1, tc, 1, MT_ERR_FORMAT,
                 ":2: column 'y' (2): class label 70000 exceeds the limit of 65536 classes "
                 "(2 such labels; the column has no other labels)");
    /* the largest allowed class count is fine */
    write_text(c->path, "a,y\n1,65535\n2,0\n");
    assert_int_equal(csv_load(&ds, c->path, in1, 1, tc, 1), MT_OK);
    assert_int_equal(ds.targets[0].classes, 65536);
    dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_data_csv_columns_masks_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_header_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_float32_bom_and_class_range, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
