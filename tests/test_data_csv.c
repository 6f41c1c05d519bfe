/* test_data_csv.c - CSV columns as inputs and targets, missing labels as
 * masks, quotes and CRLF, and every error with its message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
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
                 ":4: 3 fields, header has 5 (separator: comma)");
    /* a non-numeric input cell */
    expect_error(c, "a,b,age,y\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,3,0\n1,2,abc,0\n", in3, 3,
                 tg, 1, MT_ERR_FORMAT, ":7: column 'age' (3): expected a number, got 'abc'");
    /* an empty input cell is not a missing label */
    expect_error(c, "a,b,age,y\n1,,3,0\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":2: column 'b' (2): expected a number, got ''");
    /* a missing column */
    const char *const inc[] = {"a", "income"};
    expect_error(c, "a,b,y\n1,2,0\n", inc, 2, tg, 1, MT_ERR_ARG,
                 ": no column named 'income' (the header has: a, b, y; separator: comma)");
    /* a missing target column */
    csv_target tz[1] = {{"z", MT_TARGET_REGRESS, 0, NULL}};
    expect_error(c, "a,b,age,y\n1,2,3,0\n", in3, 3, tz, 1, MT_ERR_ARG,
                 ": no column named 'z' (the header has: a, b, age, y; separator: comma)");
    /* a class out of range, a fractional class, a bad binary value */
    expect_error(c, "a,b,age,y\r\n1,2,3,0\r\n1,2,3,3\r\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":3: column 'y' (4): class 3 is outside 0..2");
    expect_error(c, "a,b,age,y\n1,2,3,1.5\n", in3, 3, tg, 1, MT_ERR_FORMAT,
                 ":2: column 'y' (4): expected a class index (0, 1, ...) or a text label, got '1.5'");
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


static mt_status load_fmt(ctx *c, const char *text, csv_format *fmt, const char *const *inputs, int ni,
                          const csv_target *tg, int nt, mt_dataset *ds)
{
    write_text(c->path, text);
    dataset_init(ds);
    mt_clear_error();
    return csv_load_fmt(ds, c->path, fmt, inputs, ni, tg, nt);
}

/* The separator is found among comma, semicolon, tab and runs of spaces,
 * or given; the same numbers come out of each. */
static void test_data_csv_separators(void **state)
{
    ctx *c = *state;
    csv_target tg[1] = {{"y", MT_TARGET_REGRESS, 0, NULL}};
    static const struct {
        const char *text;
        char sep;
    } cases[] = {
        {"a,b,y\n1,2,3\n4,5,6\n", ','},
        {"a  b\ty\n1  2\t3\n4 5\t6\n", ' '}, /* columns aligned with spaces and one tab */
        {"a;b;y\n1;2;3\n4;5;6\n", ';'},
        {"a\tb\ty\n1\t2\t3\n4\t5\t6\n", '\t'},
        {"  a   b y\n 1 2   3\n4\t5 6  \n", ' '},            /* runs of spaces and tabs, leading and trailing */
        {"\"a\",\"b\",\"y\"\n\"1\",2,3\n4,5,\"6\"\n", ','},   /* quoted names and numbers */
        {"a;b;y\n1;2;3\n4;5;6\n\n", ';'},
        {"a,b;x,y\n1;2;3\n4;5;6\n", 0}, /* the header's comma is rare; ';' is on every line */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mt_dataset ds;
        csv_format f = {0};
        const char *const in_k[] = {"a", "b"};
        if (cases[k].sep == 0) {
            /* the header "a,b;x,y" read with ';': columns "a,b", "x,y"... so name them */
            const char *const names[] = {"a", "b;x", "y"};
            f.no_header = 0;
            f.sep = 0;
            mt_status st = load_fmt(c, "a;b;x;y\n1;2;3;0\n4;5;6;0\n", &f, names, 2, tg, 1, &ds);
            assert_int_equal(st, MT_ERR_ARG); /* "b;x" is not a column: the separator is ';' */
            assert_int_equal(f.sep_used, ';');
            assert_non_null(strstr(mt_last_error(), "(the header has: a, b, x, y; separator: semicolon)"));
            continue;
        }
        mt_status st = load_fmt(c, cases[k].text, &f, in_k, 2, tg, 1, &ds);
        if (st) fail_msg("case %zu: %s", k, mt_last_error());
        assert_int_equal(f.sep_used, cases[k].sep);
        assert_int_equal(ds.n, 2);
        const float want[2][3] = {{1, 2, 3}, {4, 5, 6}};
        for (int r = 0; r < 2; r++) {
            assert_float_equal(ds.x[r * 2], want[r][0], 0);
            assert_float_equal(ds.x[r * 2 + 1], want[r][1], 0);
            assert_float_equal(ds.targets[0].y[r], want[r][2], 0);
        }
        dataset_free(&ds);
    }
    /* a given separator wins over the detection: a tab file read with ';'
     * has one column */
    mt_dataset ds;
    csv_format f = {.sep = ';'};
    const char *const ab[] = {"a", "b"};
    assert_int_equal(load_fmt(c, "a\tb\ty\n1\t2\t3\n", &f, ab, 2, tg, 1, &ds), MT_ERR_ARG);
    if (!strstr(mt_last_error(), "no column named 'a' (the header has: a\tb\ty; separator: semicolon)")) fail_msg("%s", mt_last_error());
    /* a tab file keeps its empty fields (a missing label), spaces in text stay */
    f = (csv_format){0};
    csv_target tl[2] = {{"y", MT_TARGET_REGRESS, 0, NULL}, {"name", MT_TARGET_CLASS, 0, NULL}};
    assert_int_equal(load_fmt(c, "a\tb\ty\tname\n1\t2\t\tNew York\n3\t4\t5\tParis\n", &f, ab, 2, tl, 2, &ds), MT_OK);
    assert_int_equal(f.sep_used, '\t');
    assert_int_equal(ds.targets[0].mask[0], 0);
    assert_int_equal(ds.targets[0].mask[1], 1);
    assert_string_equal(ds.targets[1].labels[0], "New York");
    dataset_free(&ds);
    /* a single column is read with commas */
    const char *const in1[] = {"a"};
    f = (csv_format){0};
    assert_int_equal(load_fmt(c, "a\n1\n2\n", &f, in1, 1, NULL, 0, &ds), MT_OK);
    assert_int_equal(f.sep_used, ',');
    dataset_free(&ds);
}

/* skip: leading lines before the header (scikit-learn's Boston CSV starts
 * with "506,13"); without it, the message lists what the header holds and
 * says why. */
static void test_data_csv_skip(void **state)
{
    ctx *c = *state;
    const char *boston = "506,13,,\nCRIM,ZN,TAX,MEDV\n0.00632,18,296,24\n0.02731,0,242,21.6\n";
    const char *const in[] = {"CRIM", "ZN", "TAX"};
    csv_target tg[1] = {{"MEDV", MT_TARGET_REGRESS, 0, NULL}};
    mt_dataset ds;
    csv_format f = {.skip = 1};
    assert_int_equal(load_fmt(c, boston, &f, in, 3, tg, 1, &ds), MT_OK);
    assert_int_equal(ds.n, 2);
    assert_float_equal(ds.targets[0].y[1], 21.6f, 1e-6);
    dataset_free(&ds);
    f = (csv_format){0};
    assert_int_equal(load_fmt(c, boston, &f, in, 3, tg, 1, &ds), MT_ERR_ARG);
    char want[400];
    snprintf(want, sizeof want,
             "%s: no column named 'CRIM' (the header has: 506, 13, , ; separator: comma; that header is numbers: "
             "skip = N skips leading lines, header = false reads a file without one)",
             c->path);
    assert_string_equal(mt_last_error(), want);
    /* an error's line number counts the skipped lines */
    f = (csv_format){.skip = 1};
    assert_int_equal(load_fmt(c, "junk\nCRIM,ZN,TAX,MEDV\n1,2,3,4\n1,x,3,4\n", &f, in, 3, tg, 1, &ds), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:4: column 'ZN' (2): expected a number, got 'x'", c->path);
    assert_string_equal(mt_last_error(), want);
    /* skipping past the end */
    f = (csv_format){.skip = 5};
    assert_int_equal(load_fmt(c, "a\n1\n", &f, in, 1, NULL, 0, &ds), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: skip = 5, but the file has 2 lines", c->path);
    assert_string_equal(mt_last_error(), want);
    f = (csv_format){.skip = -1};
    assert_int_equal(load_fmt(c, "a\n1\n", &f, in, 1, NULL, 0, &ds), MT_ERR_ARG);
}

/* A file without a header: columns named as given, or by position. */
static void test_data_csv_no_header(void **state)
{
    ctx *c = *state;
    const char *lin = "191  36  50   5  162   60\n189  37  52   2  110   60\n193  38  58  12  101  101\n";
    const char *const names[] = {"Weight", "Waist", "Pulse", "Chins", "Situps", "Jumps"};
    const char *const in[] = {"Chins", "Situps", "Jumps"};
    csv_target tg[2] = {{"Weight", MT_TARGET_REGRESS, 0, NULL}, {"Pulse", MT_TARGET_REGRESS, 0, NULL}};
    mt_dataset ds;
    csv_format f = {.no_header = 1, .columns = names, .ncolumns = 6};
    assert_int_equal(load_fmt(c, lin, &f, in, 3, tg, 2, &ds), MT_OK);
    assert_int_equal(f.sep_used, ' ');
    assert_int_equal(ds.n, 3); /* the first line is a record */
    assert_float_equal(ds.x[0], 5, 0);
    assert_float_equal(ds.x[2 * 3 + 2], 101, 0);
    assert_float_equal(ds.targets[0].y[0], 191, 0);
    assert_float_equal(ds.targets[1].y[2], 58, 0);
    dataset_free(&ds);
    /* by position */
    const char *const pos_in[] = {"4", "5"};
    csv_target pt[1] = {{"1", MT_TARGET_REGRESS, 0, "weight"}};
    f = (csv_format){.no_header = 1};
    assert_int_equal(load_fmt(c, lin, &f, pos_in, 2, pt, 1, &ds), MT_OK);
    assert_int_equal(ds.n, 3);
    assert_float_equal(ds.targets[0].y[1], 189, 0);
    assert_string_equal(ds.targets[0].name, "weight");
    dataset_free(&ds);
    /* the wrong number of names; a name that is not among them */
    f = (csv_format){.no_header = 1, .columns = names, .ncolumns = 5};
    assert_int_equal(load_fmt(c, lin, &f, in, 3, tg, 2, &ds), MT_ERR_ARG);
    char want[400];
    snprintf(want, sizeof want, "%s:1: 5 column names given, but the line has 6 fields (separator: spaces)", c->path);
    assert_string_equal(mt_last_error(), want);
    const char *const bad[] = {"Chin"};
    f = (csv_format){.no_header = 1, .columns = names, .ncolumns = 6};
    assert_int_equal(load_fmt(c, lin, &f, bad, 1, tg, 2, &ds), MT_ERR_ARG);
    snprintf(want, sizeof want,
             "%s: no column named 'Chin' (the columns are: Weight, Waist, Pulse, Chins, Situps, Jumps; separator: spaces)",
             c->path);
    assert_string_equal(mt_last_error(), want);
    /* a ragged record names the first line */
    f = (csv_format){.no_header = 1};
    const char *const two[] = {"2"};
    assert_int_equal(load_fmt(c, "1 2 3\n4 5\n", &f, two, 1, NULL, 0, &ds), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:2: 2 fields, the first line has 3 (separator: spaces)", c->path);
    assert_string_equal(mt_last_error(), want);
}

/* Text class labels: indices in sorted order whatever the row order,
 * names kept, NA and empty cells missing, a declared class count; a
 * column whose kind is not given is a class when it holds text. */
static void test_data_csv_text_labels(void **state)
{
    ctx *c = *state;
    const char *w = "temp,weather,wind\n"
                    "12,sun,3\n"
                    "7,rain,5\n"
                    "9,drizzle,NA\n"
                    "3,NA,4\n"
                    "5,rain,\n"
                    "2,snow,1\n"
                    "11,,2\n";
    const char *const in[] = {"temp"};
    csv_target tg[2] = {{"weather", MT_TARGET_CLASS, 0, NULL}, {"wind", MT_TARGET_REGRESS, 0, NULL}};
    mt_dataset ds;
    csv_format f = {0};
    assert_int_equal(load_fmt(c, w, &f, in, 1, tg, 2, &ds), MT_OK);
    const mt_target *t = &ds.targets[0];
    assert_int_equal(t->kind, MT_TARGET_CLASS);
    assert_int_equal(t->classes, 4);
    static const char *const sorted[] = {"drizzle", "rain", "snow", "sun"};
    for (int k = 0; k < 4; k++) assert_string_equal(t->labels[k], sorted[k]);
    static const float want[] = {3, 1, 0, -1, 1, 2, -1};
    for (int r = 0; r < 7; r++) {
        if (want[r] < 0) assert_int_equal(t->mask[r], 0);
        else {
            assert_int_equal(t->mask[r], 1);
            assert_float_equal(t->y[r], want[r], 0);
        }
    }
    assert_int_equal(ds.targets[1].mask[2], 0); /* NA in a regression column */
    assert_int_equal(ds.targets[1].mask[4], 0);
    dataset_free(&ds);
    /* the same rows in another order give the same indices */
    assert_int_equal(load_fmt(c, "temp,weather,wind\n2,snow,1\n12,sun,3\n9,drizzle,0\n7,rain,5\n", &f, in, 1, tg, 2, &ds),
                     MT_OK);
    assert_float_equal(ds.targets[0].y[0], 2, 0);
    assert_float_equal(ds.targets[0].y[1], 3, 0);
    assert_float_equal(ds.targets[0].y[2], 0, 0);
    dataset_free(&ds);
    /* a declared class count leaves room for labels not seen; too few is an error */
    csv_target t6[1] = {{"weather", MT_TARGET_CLASS, 6, NULL}};
    assert_int_equal(load_fmt(c, w, &f, in, 1, t6, 1, &ds), MT_OK);
    assert_int_equal(ds.targets[0].classes, 6);
    assert_string_equal(ds.targets[0].labels[3], "sun");
    assert_string_equal(ds.targets[0].labels[5], "5");
    dataset_free(&ds);
    csv_target t3[1] = {{"weather", MT_TARGET_CLASS, 3, NULL}};
    assert_int_equal(load_fmt(c, w, &f, in, 1, t3, 1, &ds), MT_ERR_FORMAT);
    char want_msg[300];
    snprintf(want_msg, sizeof want_msg, "%s: column 'weather' (2): 4 distinct labels, but classes = 3", c->path);
    assert_string_equal(mt_last_error(), want_msg);
    /* numbers among text labels are labels too, even when one came first
     * and would not be a class index */
    assert_int_equal(load_fmt(c, "temp,weather\n1,1.5\n2,sun\n3,1.5\n", &f, in, 1, t3, 1, &ds), MT_OK);
    assert_string_equal(ds.targets[0].labels[0], "1.5");
    assert_float_equal(ds.targets[0].y[1], 1, 0);
    dataset_free(&ds);
    /* a guessed kind: text is a class target, numbers a regression target */
    csv_target g[2] = {{"weather", MT_TARGET_REGRESS, 0, NULL, 1}, {"wind", MT_TARGET_REGRESS, 0, NULL, 1}};
    assert_int_equal(load_fmt(c, w, &f, in, 1, g, 2, &ds), MT_OK);
    assert_int_equal(ds.targets[0].kind, MT_TARGET_CLASS);
    assert_int_equal(ds.targets[0].classes, 4);
    assert_int_equal(ds.targets[1].kind, MT_TARGET_REGRESS);
    assert_null(ds.targets[1].labels);
    assert_float_equal(ds.targets[1].y[1], 5, 0);
    dataset_free(&ds);
    /* a binary column takes no text */
    csv_target b[1] = {{"weather", MT_TARGET_BINARY, 0, NULL}};
    assert_int_equal(load_fmt(c, w, &f, in, 1, b, 1, &ds), MT_ERR_FORMAT);
    snprintf(want_msg, sizeof want_msg, "%s:2: column 'weather' (2): expected 0 or 1, got 'sun'", c->path);
    assert_string_equal(mt_last_error(), want_msg);
}

/* Regression targets standardised with the training rows' mean and sd
 * (missing labels left out), the statistics kept for original units. */
static void test_data_csv_standardize_targets(void **state)
{
    ctx *c = *state;
    const char *const in[] = {"x"};
    csv_target tg[2] = {{"y", MT_TARGET_REGRESS, 0, NULL}, {"k", MT_TARGET_CLASS, 0, NULL}};
    mt_dataset ds;
    csv_format f = {0};
    assert_int_equal(load_fmt(c, "x,y,k\n0,10,0\n1,20,1\n2,,0\n3,40,1\n4,1000,0\n", &f, in, 1, tg, 2, &ds), MT_OK);
    int tr[] = {0, 1, 2, 3}; /* row 4 (1000) is not training data */
    mt_index train = {tr, 4};
    assert_int_equal(dataset_standardize_targets(&ds, &train), MT_OK);
    const mt_target *y = &ds.targets[0];
    /* labelled train values 10, 20, 40: mean 70/3, population sd */
    double mu = 70.0 / 3, sd = sqrt(((10 - mu) * (10 - mu) + (20 - mu) * (20 - mu) + (40 - mu) * (40 - mu)) / 3);
    assert_true(fabs(y->shift - mu) < 1e-9 && fabs(y->scale - sd) < 1e-9);
    assert_float_equal(y->y[0], (10 - mu) / sd, 1e-6);
    assert_float_equal(y->y[4], (1000 - mu) / sd, 1e-4);
    assert_float_equal(y->y[4] * y->scale + y->shift, 1000, 1e-3); /* back to the original units */
    assert_true(ds.targets[1].scale == 0);                           /* a class target is left alone */
    assert_float_equal(ds.targets[1].y[1], 1, 0);
    /* twice is once */
    assert_int_equal(dataset_standardize_targets(&ds, &train), MT_OK);
    assert_float_equal(y->y[0], (10 - mu) / sd, 1e-6);
    dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_data_csv_columns_masks_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_header_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_float32_bom_and_class_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_separators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_skip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_no_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_text_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_csv_standardize_targets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
