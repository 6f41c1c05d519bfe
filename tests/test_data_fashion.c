/* test_data_fashion.c - the IDX reader and the Fashion-MNIST loader: valid
 * files written here with zlib, every malformed case with its message, and
 * the real data set when it is installed. */
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
#include <zlib.h>

#include "core/status.h"
#include "data/dataset.h"
#include "data/fashion.h"
#include "core/mem.h"
#include "data/idx.h"

typedef struct {
    char dir[64];
    char path[256];
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    if (!c) return -1;
    strcpy(c->dir, "/tmp/mtlab_idx_XXXXXX");
    if (!mkdtemp(c->dir)) {
        free(c);
        return -1;
    }
    *state = c;
    return 0;
}

static const char *const all_names[] = {
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
    "x.gz",
    "x",
};

static int teardown(void **state)
{
    ctx *c = *state;
    char p[256];
    for (size_t i = 0; i < sizeof all_names / sizeof *all_names; i++) {
        snprintf(p, sizeof p, "%s/%s", c->dir, all_names[i]);
        unlink(p);
    }
    rmdir(c->dir);
    free(c);
    return 0;
}

static const char *path_in(ctx *c, const char *name)
{
    snprintf(c->path, sizeof c->path, "%s/%s", c->dir, name);
    return c->path;
}

/* Writes an IDX file: magic, dims, then `len` payload bytes; gzip or plain. */
static void write_idx(const char *path, int gz, uint32_t magic, const uint32_t *dims, int ndims,
                      const unsigned char *payload, size_t len)
{
    unsigned char head[16];
    size_t h = 0;
    uint32_t words[4] = {magic, 0, 0, 0};
    for (int i = 0; i < ndims; i++) words[i + 1] = dims[i];
    for (int i = 0; i <= ndims; i++) {
        head[h++] = (unsigned char)(words[i] >> 24);
        head[h++] = (unsigned char)(words[i] >> 16);
        head[h++] = (unsigned char)(words[i] >> 8);
        head[h++] = (unsigned char)words[i];
    }
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, head, (unsigned)h), (int)h);
        if (len) assert_int_equal(gzwrite(f, payload, (unsigned)len), (int)len);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(head, 1, h, f), h);
        if (len) assert_int_equal(fwrite(payload, 1, len, f), len);
        fclose(f);
    }
}

/* A small valid Fashion-like set: images of H x W with pixel
 * (i, r, c) = (i*31 + r*7 + c) % 256, labels i % 10. */
enum { H = 4, W = 3 };

static unsigned char pix(int i, int r, int c)
{
    return (unsigned char)((i * 31 + r * 7 + c) % 256);
}

static void write_set(ctx *c, const char *prefix, int n, int gz)
{
    unsigned char *img = malloc((size_t)n * H * W), *lab = malloc((size_t)n);
    assert_non_null(img);
    assert_non_null(lab);
    for (int i = 0; i < n; i++) {
        lab[i] = (unsigned char)(i % 10);
        for (int r = 0; r < H; r++)
            for (int k = 0; k < W; k++) img[(i * H + r) * W + k] = pix(i, r, k);
    }
    char name[64];
    uint32_t di[3] = {(uint32_t)n, H, W}, dl[1] = {(uint32_t)n};
    snprintf(name, sizeof name, "%s-images-idx3-ubyte%s", prefix, gz ? ".gz" : "");
    write_idx(path_in(c, name), gz, 0x803, di, 3, img, (size_t)n * H * W);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte%s", prefix, gz ? ".gz" : "");
    write_idx(path_in(c, name), gz, 0x801, dl, 1, lab, (size_t)n);
    free(img);
    free(lab);
}

static void test_data_fashion_loads_small_set(void **state)
{
    ctx *c = *state;
    write_set(c, "train", 25, 1);
    write_set(c, "t10k", 12, 0); /* plain files are read too */
    mt_dataset ds;
    dataset_init(&ds);
    fashion_opts o = {c->dir, -1, -1};
    int ntr = -1;
    assert_int_equal(fashion_load(&ds, &o, &ntr), MT_OK);
    assert_int_equal(ntr, 25);
    assert_int_equal(ds.n, 37);
    assert_int_equal(ds.d, H * W);
    assert_int_equal(ds.c, 1);
    assert_int_equal(ds.h, H);
    assert_int_equal(ds.w, W);
    mt_target *lab = dataset_target(&ds, "label"), *grp = dataset_target(&ds, "group");
    assert_non_null(lab);
    assert_non_null(grp);
    assert_int_equal(lab->classes, 10);
    assert_int_equal(grp->classes, 4);
    for (int row = 0; row < ds.n; row++) {
        int i = row < 25 ? row : row - 25; /* index within its file */
        for (int r = 0; r < H; r++)
            for (int k = 0; k < W; k++)
                assert_float_equal(ds.x[row * H * W + r * W + k], pix(i, r, k) / 255.0, 1e-7);
        assert_float_equal(lab->y[row], (float)(i % 10), 0);
    }
    /* the documented group mapping, checked by name */
    static const int expect_group[10] = {0, 1, 0, 0, 0, 2, 0, 2, 3, 2};
    for (int row = 0; row < ds.n; row++)
        assert_float_equal(grp->y[row], (float)expect_group[(int)lab->y[row]], 0);
    assert_string_equal(fashion_group_names[fashion_group_of[8]], "bags and accessories");
    assert_string_equal(fashion_class_names[9], "Ankle boot");

    /* a user-defined relabelling: "is footwear" */
    int shoe[10] = {0, 0, 0, 0, 0, 1, 0, 1, 0, 1};
    assert_int_equal(dataset_relabel(&ds, "label", shoe, 10, "shoe"), MT_OK);
    mt_target *sh = dataset_target(&ds, "shoe");
    for (int row = 0; row < ds.n; row++)
        assert_float_equal(sh->y[row], (float)shoe[(int)ds.targets[0].y[row]], 0);

    /* keeping fewer examples keeps the first ones */
    fashion_opts o2 = {c->dir, 7, 3};
    mt_dataset small;
    dataset_init(&small);
    assert_int_equal(fashion_load(&small, &o2, &ntr), MT_OK);
    assert_int_equal(ntr, 7);
    assert_int_equal(small.n, 10);
    assert_memory_equal(small.x, ds.x, 7 * H * W * sizeof(float));
    assert_memory_equal(small.x + 7 * H * W, ds.x + 25 * H * W, 3 * H * W * sizeof(float));

    /* the loaded boundary feeds split_make_fixed */
    mt_split sp;
    assert_int_equal(split_make_fixed(&sp, ds.n, 25, 5, 1), MT_OK);
    assert_int_equal(sp.train.n, 20);
    assert_int_equal(sp.test.n, 12);
    split_free(&sp);

    o2.n_train = 26;
    mt_clear_error();
    assert_int_equal(fashion_load(&small, &o2, NULL), MT_ERR_ARG);
    char want[512];
    snprintf(
        want, sizeof want,
        "fashion-mnist: asked for 26 training examples but %s/train-images-idx3-ubyte.gz has 25",
        c->dir);
    assert_string_equal(mt_last_error(), want);
    assert_int_equal(small.n, 0); /* left empty on error */
    dataset_free(&small);
    dataset_free(&ds);
}

static void test_data_idx_truncated(void **state)
{
    ctx *c = *state;
    unsigned char buf[1000];
    for (int i = 0; i < 1000; i++) buf[i] = (unsigned char)i;
    uint32_t dims[3] = {60000, 28, 28};
    const char *p = path_in(c, "train-images-idx3-ubyte.gz");
    write_idx(p, 1, 0x803, dims, 3, buf, sizeof buf);
    mt_idx ix;
    char want[512];
    snprintf(want, sizeof want,
             "%s: truncated: header says 60000 images of 28x28 (47040000 bytes) but only 1000 "
             "bytes follow",
             p);
    /* whether all or only the first few items are asked for */
    mt_clear_error();
    assert_int_equal(idx_read_u8(p, 3, -1, "images", &ix), MT_ERR_FORMAT);
    assert_string_equal(mt_last_error(), want);
    assert_null(ix.data);
    mt_clear_error();
    assert_int_equal(idx_read_u8(p, 3, 1, "images", &ix), MT_ERR_FORMAT);
    assert_string_equal(mt_last_error(), want);

    /* a plain file, too short for the labels it declares */
    uint32_t dl[1] = {10};
    p = path_in(c, "x");
    write_idx(p, 0, 0x801, dl, 1, buf, 4);
    assert_int_equal(idx_read_u8(p, 1, 2, "labels", &ix), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: truncated: header says 10 labels (10 bytes) but only 4 bytes follow", p);
    assert_string_equal(mt_last_error(), want);

    /* a header cut in the middle of its dimensions */
    write_idx(p, 0, 0x803, dims, 1, NULL, 0);
    assert_int_equal(idx_read_u8(p, 3, -1, "images", &ix), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: truncated: the header needs 12 bytes of dimensions but only 4 follow", p);
    assert_string_equal(mt_last_error(), want);

    /* a gzip stream cut short: the compressed file loses its tail */
    unsigned char *big = malloc(20000);
    assert_non_null(big);
    for (int i = 0; i < 20000; i++) big[i] = (unsigned char)((i * 2654435761u) >> 24);
    uint32_t d2[3] = {25, 20, 40};
    p = path_in(c, "x.gz");
    write_idx(p, 1, 0x803, d2, 3, big, 20000);
    free(big);
    FILE *f = fopen(p, "rb+");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fclose(f);
    assert_int_equal(truncate(p, sz / 2), 0);
    mt_clear_error();
    assert_int_equal(idx_read_u8(p, 3, -1, "images", &ix), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: truncated: header says 25 images of 20x40 (20000 bytes) but only ", p);
    assert_memory_equal(mt_last_error(), want, strlen(want));
    int followed = atoi(mt_last_error() + strlen(want));
    assert_true(followed > 0 && followed < 20000);
}

/* A 16-byte header that claims 60000 images of 4096x4096 (a terabyte)
 * is "truncated", said before anything is allocated: plain (the file size
 * is exact) and gzip (memory grows only with the data that arrives). */
static void test_data_idx_huge_claim(void **state)
{
    ctx *c = *state;
    uint32_t dims[3] = {60000, 4096, 4096};
    mt_idx ix;
    char want[512];
    for (int gz = 0; gz < 2; gz++) {
        const char *p = path_in(c, gz ? "huge.gz" : "huge");
        write_idx(p, gz, 0x803, dims, 3, (const unsigned char *)"abc", 3);
        size_t allocs = mt_alloc_count();
        mt_clear_error();
        assert_int_equal(idx_read_u8(p, 3, -1, "images", &ix), MT_ERR_FORMAT);
        snprintf(want, sizeof want,
                 "%s: truncated: header says 60000 images of 4096x4096 (1006632960000 bytes) but only 3 "
                 "bytes follow", p);
        assert_string_equal(mt_last_error(), want);
        assert_null(ix.data);
        assert_true(mt_alloc_count() - allocs <= 1); /* at most the first 1 MiB chunk (gzip) */
    }
}

static void test_data_idx_bad_magic_and_dims(void **state)
{
    ctx *c = *state;
    unsigned char buf[64] = {0};
    uint32_t dl[1] = {10};
    const char *p = path_in(c, "x.gz");
    mt_idx ix;
    char want[512];
    /* an images magic where labels are expected */
    write_idx(p, 1, 0x803, dl, 1, buf, 10);
    assert_int_equal(idx_read_u8(p, 1, -1, "labels", &ix), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: bad magic 0x00000803: expected 0x00000801 (IDX of unsigned bytes, 1 dimension)",
             p);
    assert_string_equal(mt_last_error(), want);
    /* a float IDX (type 0x0d) */
    write_idx(p, 1, 0xd01, dl, 1, buf, 40);
    assert_int_equal(idx_read_u8(p, 1, -1, "labels", &ix), MT_ERR_FORMAT);
    assert_non_null(strstr(mt_last_error(), "bad magic 0x00000d01"));
    /* more bytes than the header declares */
    write_idx(p, 1, 0x801, dl, 1, buf, 15);
    assert_int_equal(idx_read_u8(p, 1, -1, "labels", &ix), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: header says 10 labels (10 bytes) but 15 bytes follow", p);
    assert_string_equal(mt_last_error(), want);
    /* ... also detected when only a few items are asked for (from the trailer) */
    assert_int_equal(idx_read_u8(p, 1, 3, "labels", &ix), MT_ERR_FORMAT);
    assert_string_equal(mt_last_error(), want);
    /* a zero dimension */
    uint32_t dz[3] = {2, 0, 5};
    write_idx(p, 1, 0x803, dz, 3, buf, 0);
    assert_int_equal(idx_read_u8(p, 3, -1, "images", &ix), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: dimension 1 is 0 (must be 1..2147483647)", p);
    assert_string_equal(mt_last_error(), want);
    /* an empty file */
    write_idx(p, 0, 0, dz, 0, buf, 0);
    assert_int_equal(truncate(p, 2), 0);
    assert_int_equal(idx_read_u8(p, 3, -1, "images", &ix), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: truncated: 2 bytes, too short for an IDX header", p);
    assert_string_equal(mt_last_error(), want);
    /* a missing file */
    assert_int_equal(idx_read_u8(path_in(c, "nope.gz"), 1, -1, "labels", &ix), MT_ERR_IO);
    assert_non_null(strstr(mt_last_error(), "nope.gz: cannot open: No such file"));
}

static void test_data_idx_gzip_corruption(void **state)
{
    ctx *c = *state;
    enum { N = 50000 };
    unsigned char *buf = malloc(N);
    assert_non_null(buf);
    for (int i = 0; i < N; i++)
        buf[i] = (unsigned char)((i * 2654435761u) >> 27); /* compressible */
    uint32_t d[3] = {50, 40, 25};
    const char *p = path_in(c, "x.gz");
    write_idx(p, 1, 0x803, d, 3, buf, N);
    mt_idx ix;
    assert_int_equal(idx_read_u8(p, 3, -1, "images", &ix), MT_OK); /* intact: reads */
    assert_int_equal(ix.kept, 50);
    assert_memory_equal(ix.data, buf, N);
    idx_free(&ix);
    /* flip bytes in the middle of the deflate stream */
    FILE *f = fopen(p, "rb+");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    for (long off = sz / 3; off < sz / 3 + 16; off++) {
        fseek(f, off, SEEK_SET);
        int ch = fgetc(f);
        fseek(f, off, SEEK_SET);
        fputc(ch ^ 0x5a, f);
    }
    fclose(f);
    free(buf);
    mt_clear_error();
    assert_int_equal(idx_read_u8(p, 3, -1, "images", &ix), MT_ERR_FORMAT);
    char want[512];
    snprintf(want, sizeof want, "%s: corrupt gzip data: ", p);
    assert_memory_equal(mt_last_error(), want, strlen(want));
    assert_true(strlen(mt_last_error()) > strlen(want)); /* zlib's diagnosis follows */
    assert_null(ix.data);
}

static void test_data_fashion_count_and_label_errors(void **state)
{
    ctx *c = *state;
    write_set(c, "train", 20, 1);
    write_set(c, "t10k", 5, 1);
    /* labels file with one label fewer than images */
    unsigned char lab[20];
    for (int i = 0; i < 20; i++) lab[i] = (unsigned char)(i % 10);
    uint32_t dl[1] = {19};
    write_idx(path_in(c, "train-labels-idx1-ubyte.gz"), 1, 0x801, dl, 1, lab, 19);
    mt_dataset ds;
    dataset_init(&ds);
    fashion_opts o = {c->dir, -1, -1};
    char want[512];
    mt_clear_error();
    assert_int_equal(fashion_load(&ds, &o, NULL), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s/train-images-idx3-ubyte.gz has 20 images but %s/train-labels-idx1-ubyte.gz has 19 "
             "labels",
             c->dir, c->dir);
    assert_string_equal(mt_last_error(), want);
    /* a label of 12 */
    dl[0] = 20;
    lab[13] = 12;
    write_idx(path_in(c, "train-labels-idx1-ubyte.gz"), 1, 0x801, dl, 1, lab, 20);
    assert_int_equal(fashion_load(&ds, &o, NULL), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s/train-labels-idx1-ubyte.gz: label 12 of item 13 is outside 0..9", c->dir);
    assert_string_equal(mt_last_error(), want);
    /* ... not read, so not an error, when only the first 10 are kept */
    o.n_train = 10;
    assert_int_equal(fashion_load(&ds, &o, NULL), MT_OK);
    assert_int_equal(ds.n, 15);
    /* a missing file */
    char p[512];
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", c->dir);
    unlink(p);
    assert_int_equal(fashion_load(&ds, &o, NULL), MT_ERR_IO);
    snprintf(want, sizeof want,
             "fashion-mnist: neither %s/t10k-labels-idx1-ubyte.gz nor %s/t10k-labels-idx1-ubyte is "
             "readable",
             c->dir, c->dir);
    assert_string_equal(mt_last_error(), want);
    assert_int_equal(fashion_available(c->dir), 0);
    dataset_free(&ds);
}

static void test_data_fashion_real(void **state)
{
    (void)state;
    if (!fashion_available(NULL)) skip();
    mt_dataset ds;
    dataset_init(&ds);
    int ntr = 0;
    assert_int_equal(fashion_load(&ds, NULL, &ntr), MT_OK);
    assert_int_equal(ntr, 60000);
    assert_int_equal(ds.n, 70000);
    assert_int_equal(ds.d, 784);
    assert_int_equal(ds.h, 28);
    int hist_tr[10] = {0}, hist_te[10] = {0}, ghist[4] = {0};
    const mt_target *lab = dataset_target(&ds, "label"), *grp = dataset_target(&ds, "group");
    for (int i = 0; i < ds.n; i++) {
        int y = (int)lab->y[i];
        assert_true(y >= 0 && y < 10);
        if (i < ntr)
            hist_tr[y]++;
        else
            hist_te[y]++;
        ghist[(int)grp->y[i]]++;
    }
    for (int k = 0; k < 10; k++) {
        assert_int_equal(hist_tr[k], 6000);
        assert_int_equal(hist_te[k], 1000);
    }
    assert_int_equal(ghist[0], 5 * 7000);
    assert_int_equal(ghist[1], 7000);
    assert_int_equal(ghist[2], 3 * 7000);
    assert_int_equal(ghist[3], 7000);
    float lo = 1, hi = 0;
    double sum = 0;
    for (size_t i = 0; i < (size_t)ds.n * 784; i++) {
        float v = ds.x[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        sum += v;
    }
    assert_float_equal(lo, 0.0f, 0);
    assert_float_equal(hi, 1.0f, 0);
    double mean = sum / ((double)ds.n * 784);
    assert_true(mean > 0.2 && mean < 0.4); /* Fashion-MNIST's mean pixel is about 0.286 */
    dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_data_fashion_loads_small_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_idx_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_idx_huge_claim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_idx_bad_magic_and_dims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_idx_gzip_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_fashion_count_and_label_errors, setup, teardown),
        cmocka_unit_test(test_data_fashion_real),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
