/* test_engine_checkpoint.c - safetensors checkpoints: exact bytes, round
 * trips, every corruption with its message, atomic writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"
#include "core/rng.h"
#include "engine/params.h"
#include "engine/optim.h"
#include "engine/checkpoint.h"

typedef struct {
    char dir[256];
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    if (!c) return -1;
    strcpy(c->dir, "/tmp/mtlab-ckpt-XXXXXX");
    if (!mkdtemp(c->dir)) return -1;
    *state = c;
    return 0;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            chmod(p, 0700);
            remove_tree(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    ctx *c = *state;
    remove_tree(c->dir);
    free(c);
    return 0;
}

static void path_in(const ctx *c, const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", c->dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

/* Number of directory entries containing ".tmp." (leftover temp files). */
static int count_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    closedir(d);
    return n;
}

static size_t read_all(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void write_all(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

/* A file from a header string and `ndata` bytes of data (0x11 each). */
static void write_raw(const char *path, const char *json, size_t ndata)
{
    size_t n = strlen(json);
    unsigned char *b = calloc(1, 8 + n + ndata + 1);
    assert_non_null(b);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(b + 8, json, n);
    memset(b + 8 + n, 0x11, ndata);
    write_all(path, b, 8 + n + ndata);
    free(b);
}

/* "trunk.0.weight" (3, 4) decayed, "trunk.0.bias" (4), "head.a.weight" (2, 4). */
static void make_params(mt_params *p, uint64_t seed)
{
    params_init(p);
    int w[2] = {3, 4}, b[1] = {4}, h[2] = {2, 4};
    assert_int_equal(params_add(p, "trunk.0.weight", 2, w, 0, 1), 0);
    assert_int_equal(params_add(p, "trunk.0.bias", 1, b, 0, 0), 1);
    assert_int_equal(params_add(p, "head.a.weight", 2, h, 1, 1), 2);
    assert_int_equal(params_alloc(p), MT_OK);
    mt_rng r;
    mt_rng_init(&r, seed, 0);
    for (size_t i = 0; i < p->total; i++) p->data[i] = (float)mt_rng_normal(&r);
}

static void test_engine_checkpoint_exact_bytes(void **state)
{
    ctx *c = *state;
    char path[256];
    path_in(c, "tiny.safetensors", path, sizeof path);
    mt_params p;
    params_init(&p);
    int s2[1] = {2}, s1[2] = {1, 1};
    params_add(&p, "w", 1, s2, 0, 1);
    params_add(&p, "b", 2, s1, 0, 0);
    assert_int_equal(params_alloc(&p), MT_OK);
    p.data[p.info[0].offset] = 1.0f;
    p.data[p.info[0].offset + 1] = -2.0f;
    p.data[p.info[1].offset] = 0.5f;
    const char *k[1] = {"format"}, *v[1] = {"pt"};
    assert_int_equal(checkpoint_save(path, &p, k, v, 1), MT_OK);

    const char *json = "{\"__metadata__\":{\"format\":\"pt\"},"
                       "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]}}";
    size_t jn = strlen(json);           /* 141 */
    size_t hn = (jn + 7) / 8 * 8;       /* 144: padded to 8 bytes */
    assert_int_equal(jn, 141);
    unsigned char buf[512];
    size_t n = read_all(path, buf, sizeof buf);
    assert_int_equal(n, 8 + hn + 12);
    const unsigned char len8[8] = {144, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(buf, len8, 8);
    assert_memory_equal(buf + 8, json, jn);
    for (size_t i = jn; i < hn; i++) assert_int_equal(buf[8 + i], ' ');
    /* IEEE 754 little-endian: 1.0 = 3F800000, -2.0 = C0000000, 0.5 = 3F000000 */
    const unsigned char data[12] = {0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 0, 0, 0, 0x3F};
    assert_memory_equal(buf + 8 + hn, data, 12);
    assert_int_equal(count_temp_files(c->dir), 0);
    params_free(&p);
}

static void test_engine_checkpoint_round_trip_bit_exact(void **state)
{
    ctx *c = *state;
    char path[256];
    path_in(c, "rt.safetensors", path, sizeof path);
    mt_params a, b;
    make_params(&a, 1);
    /* values that a text format would lose */
    a.data[0] = -0.0f;
    a.data[1] = 1e-42f; /* denormal */
    a.data[2] = 3.4028235e38f;
    a.data[3] = 0.1f;
    const char *k[2] = {"script", "step"}, *v[2] = {"exp/01_hard.lua", "1200"};
    assert_int_equal(checkpoint_save(path, &a, k, v, 2), MT_OK);
    make_params(&b, 2);
    assert_true(memcmp(a.data, b.data, a.total * sizeof(float)) != 0);
    assert_int_equal(checkpoint_load(path, &b), MT_OK);
    for (int i = 0; i < a.count; i++)
        assert_memory_equal(a.data + a.info[i].offset, b.data + b.info[i].offset,
                            a.info[i].size * sizeof(float));

    mt_ckpt *ck;
    assert_int_equal(checkpoint_open(path, &ck), MT_OK);
    assert_int_equal(checkpoint_count(ck), 3);
    assert_string_equal(checkpoint_name(ck, 0), "trunk.0.weight"); /* by offset */
    assert_string_equal(checkpoint_name(ck, 2), "head.a.weight");
    int sh[MT_CKPT_MAXDIM];
    assert_int_equal(checkpoint_shape(ck, checkpoint_find(ck, "head.a.weight"), sh), 2);
    assert_int_equal(sh[0], 2);
    assert_int_equal(sh[1], 4);
    assert_string_equal(checkpoint_meta(ck, "script"), "exp/01_hard.lua");
    assert_string_equal(checkpoint_meta(ck, "step"), "1200");
    assert_null(checkpoint_meta(ck, "nope"));
    float bias[4];
    int bs[1] = {4}, wrong[1] = {5};
    assert_int_equal(checkpoint_read(ck, "trunk.0.bias", bias, 1, bs), MT_OK);
    assert_memory_equal(bias, a.data + a.info[1].offset, sizeof bias);
    assert_int_equal(checkpoint_read(ck, "trunk.0.bias", bias, 1, wrong), MT_ERR_SHAPE);
    char want[1024];
    snprintf(want, sizeof want,
             "%s: tensor trunk.0.bias has shape [4] but the destination is [5]", path);
    assert_string_equal(mt_last_error(), want);
    checkpoint_close(ck);
    params_free(&a);
    params_free(&b);
}

static void test_engine_checkpoint_missing_extra_and_shape(void **state)
{
    ctx *c = *state;
    char path[256], want[1024];
    path_in(c, "m.safetensors", path, sizeof path);
    mt_params a;
    make_params(&a, 3);
    assert_int_equal(checkpoint_save(path, &a, NULL, NULL, 0), MT_OK);

    /* a model with one more parameter: it is missing from the file */
    mt_params b;
    params_init(&b);
    int w[2] = {3, 4}, bs[1] = {4}, h[2] = {2, 4}, x[1] = {7};
    params_add(&b, "trunk.0.weight", 2, w, 0, 1);
    params_add(&b, "trunk.0.bias", 1, bs, 0, 0);
    params_add(&b, "head.a.weight", 2, h, 1, 1);
    params_add(&b, "head.b.weight", 1, x, 2, 1);
    assert_int_equal(params_alloc(&b), MT_OK);
    assert_int_equal(checkpoint_load(path, &b), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: tensor head.b.weight missing from the file", path);
    assert_string_equal(mt_last_error(), want);
    /* nothing was written into the model */
    for (size_t i = 0; i < b.total; i++) assert_true(b.data[i] == 0.0f);
    params_free(&b);

    /* a model with fewer parameters: the file has an extra tensor */
    params_init(&b);
    params_add(&b, "trunk.0.weight", 2, w, 0, 1);
    params_add(&b, "trunk.0.bias", 1, bs, 0, 0);
    assert_int_equal(params_alloc(&b), MT_OK);
    assert_int_equal(checkpoint_load(path, &b), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: tensor head.a.weight in the file is not part of the model",
             path);
    assert_string_equal(mt_last_error(), want);
    /* ... which can be allowed */
    assert_int_equal(checkpoint_load_ex(path, &b, NULL, 0, 1), MT_OK);
    assert_memory_equal(b.data, a.data, 12 * sizeof(float));
    params_free(&b);

    /* same names, another shape */
    params_init(&b);
    int w2[2] = {4, 3};
    params_add(&b, "trunk.0.weight", 2, w2, 0, 1);
    params_add(&b, "trunk.0.bias", 1, bs, 0, 0);
    params_add(&b, "head.a.weight", 2, h, 1, 1);
    assert_int_equal(params_alloc(&b), MT_OK);
    assert_int_equal(checkpoint_load(path, &b), MT_ERR_SHAPE);
    snprintf(want, sizeof want,
             "%s: tensor trunk.0.weight has shape [3,4] but the parameter is [4,3]", path);
    assert_string_equal(mt_last_error(), want);
    params_free(&b);
    params_free(&a);
}

typedef struct {
    const char *json;
    size_t ndata;
    const char *msg; /* after "<path>: " */
} corrupt_case;

static void test_engine_checkpoint_corrupt_files(void **state)
{
    ctx *c = *state;
    char path[256], want[1024];
    path_in(c, "x.safetensors", path, sizeof path);
    mt_params p;
    params_init(&p);
    int s[2] = {3, 4};
    params_add(&p, "trunk.0.weight", 2, s, 0, 1);
    assert_int_equal(params_alloc(&p), MT_OK);
    const char *W = "\"trunk.0.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],";
    char j[16][512];
    snprintf(j[0], sizeof j[0], "{%s\"data_offsets\":[0,40]}}", W);
    snprintf(j[1], sizeof j[1], "{\"trunk.0.weight\":{\"dtype\":\"F16\",\"shape\":[3,4],"
                                "\"data_offsets\":[0,24]}}");
    snprintf(j[2], sizeof j[2], "{%s\"data_offsets\":[8,56]}}", W);
    snprintf(j[3], sizeof j[3], "{%s\"data_offsets\":[0,48]},"
                                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[40,48]}}",
             W);
    snprintf(j[4], sizeof j[4], "{%s\"data_offsets\":[48,0]}}", W);
    snprintf(j[5], sizeof j[5], "{\"trunk.0.weight\":{\"dtype\":\"F32\",\"shape\":[3,-4],"
                                "\"data_offsets\":[0,48]}}");
    snprintf(j[6], sizeof j[6], "{%s\"data_offsets\":[0,48]}} xx", W);
    snprintf(j[7], sizeof j[7], "{\"__metadata__\":{\"step\":12},%s\"data_offsets\":[0,48]}}", W);
    snprintf(j[8], sizeof j[8], "{%s\"data_offsets\":[0,48]},%s\"data_offsets\":[0,48]}}", W, W);
    snprintf(j[9], sizeof j[9], "[1,2,3]");
    snprintf(j[10], sizeof j[10], "{\"trunk.0.weight\":{\"shape\":[3,4],\"data_offsets\":[0,48]}}");
    snprintf(j[11], sizeof j[11], "{%s\"data_offsets\":[0.5,48]}}", W);
    const corrupt_case cases[] = {
        {j[0], 48, "tensor trunk.0.weight: data_offsets [0,40] do not match shape [3,4] of F32"},
        {j[1], 48, "tensor trunk.0.weight: unsupported dtype F16 (only F32)"},
        {j[2], 48,
         "tensor trunk.0.weight: data_offsets [8,56] outside the data block of 48 bytes"},
        {j[3], 48, "tensors trunk.0.weight [0,48] and b [40,48] overlap"},
        {j[4], 48, "tensor trunk.0.weight: data_offsets [48,0] outside the data block of 48 bytes"},
        {j[5], 48, "tensor trunk.0.weight: shape[1] is not a non-negative int"},
        {j[6], 48, "unexpected bytes after the JSON header at byte 71"},
        {j[7], 48, "__metadata__ entry step is not a string"},
        {j[8], 96, "tensor trunk.0.weight appears twice"},
        {j[9], 0, "header is not a JSON object"},
        {j[10], 48, "tensor trunk.0.weight: missing dtype"},
        {j[11], 48, "tensor trunk.0.weight: data_offsets is not [begin,end]"},
        /* the offending character '@' is at byte 14 of the header */
        {"{\"a\":{\"dtype\":@}}", 0, "header is not valid JSON at byte 14"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_raw(path, cases[i].json, cases[i].ndata);
        mt_ckpt *ck = NULL;
        mt_status st = checkpoint_open(path, &ck);
        assert_null(ck);
        assert_int_equal(st, MT_ERR_FORMAT);
        snprintf(want, sizeof want, "%s: %s", path, cases[i].msg);
        if (strcmp(mt_last_error(), want) != 0)
            fail_msg("case %zu: got \"%s\" want \"%s\"", i, mt_last_error(), want);
        /* the loader refuses the same file and leaves the model alone */
        p.data[0] = 7.0f;
        assert_int_equal(checkpoint_load(path, &p), MT_ERR_FORMAT);
        assert_true(p.data[0] == 7.0f);
    }

    /* header length beyond the file */
    unsigned char b[120];
    memset(b, ' ', sizeof b);
    uint64_t big = 9999999;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(big >> (8 * i));
    write_all(path, b, sizeof b);
    assert_int_equal(checkpoint_load(path, &p), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: header length 9999999 exceeds file size 120", path);
    assert_string_equal(mt_last_error(), want);
    /* a header length near 2^64 must not wrap around */
    memset(b, 0xFF, 8);
    write_all(path, b, sizeof b);
    assert_int_equal(checkpoint_load(path, &p), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: header length 18446744073709551615 exceeds file size 120", path);
    assert_string_equal(mt_last_error(), want);
    /* shorter than the length field */
    write_all(path, b, 5);
    assert_int_equal(checkpoint_load(path, &p), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: file is 5 bytes, too short for the header length", path);
    assert_string_equal(mt_last_error(), want);
    /* a good file cut short: its offsets now run past the data */
    mt_params q;
    make_params(&q, 4);
    assert_int_equal(checkpoint_save(path, &q, NULL, NULL, 0), MT_OK);
    unsigned char full[4096];
    size_t n = read_all(path, full, sizeof full);
    write_all(path, full, n - 4);
    assert_int_equal(checkpoint_load(path, &q), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: tensor head.a.weight: data_offsets [64,96] outside the data block of 92 bytes",
             path);
    assert_string_equal(mt_last_error(), want);
    params_free(&q);
    /* no file */
    path_in(c, "absent.safetensors", path, sizeof path);
    assert_int_equal(checkpoint_load(path, &p), MT_ERR_IO);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    assert_string_equal(mt_last_error(), want);
    params_free(&p);
}

static void test_engine_checkpoint_atomic_write(void **state)
{
    ctx *c = *state;
    char path[256], want[1024];
    path_in(c, "keep.safetensors", path, sizeof path);
    mt_params small, big;
    make_params(&small, 5);
    assert_int_equal(checkpoint_save(path, &small, NULL, NULL, 0), MT_OK);
    unsigned char before[4096], after[4096];
    size_t nb = read_all(path, before, sizeof before);

    /* the write fails half way (file size limit): the old file survives */
    params_init(&big);
    int s[2] = {64, 64};
    params_add(&big, "trunk.0.weight", 2, s, 0, 1);
    assert_int_equal(params_alloc(&big), MT_OK);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    mt_status st = checkpoint_save(path, &big, NULL, NULL, 0);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(st, MT_ERR_IO);
    snprintf(want, sizeof want, "%s: writing %s.tmp.%ld failed: File too large", path, path,
             (long)getpid());
    assert_string_equal(mt_last_error(), want);
    size_t na = read_all(path, after, sizeof after);
    assert_int_equal(na, nb);
    assert_memory_equal(before, after, nb);
    assert_int_equal(count_temp_files(c->dir), 0);

    /* the target is a directory: the rename fails, the temp file goes */
    char dpath[256];
    path_in(c, "adir", dpath, sizeof dpath);
    assert_int_equal(mkdir(dpath, 0700), 0);
    assert_int_equal(checkpoint_save(dpath, &small, NULL, NULL, 0), MT_ERR_IO);
    snprintf(want, sizeof want, "%s: cannot rename %s.tmp.%ld into place: Is a directory", dpath,
             dpath, (long)getpid());
    assert_string_equal(mt_last_error(), want);
    assert_int_equal(count_temp_files(c->dir), 0);

    /* a path in a directory that does not exist */
    path_in(c, "no/such/dir/x.safetensors", dpath, sizeof dpath);
    assert_int_equal(checkpoint_save(dpath, &small, NULL, NULL, 0), MT_ERR_IO);
    snprintf(want, sizeof want, "%s: cannot create %s.tmp.%ld: No such file or directory", dpath,
             dpath, (long)getpid());
    assert_string_equal(mt_last_error(), want);

    /* a read-only directory (permissions do not bind root, so only then) */
    if (geteuid() != 0) {
        char ro[256], rp[512];
        path_in(c, "ro", ro, sizeof ro);
        assert_int_equal(mkdir(ro, 0700), 0);
        snprintf(rp, sizeof rp, "%s/ck.safetensors", ro);
        assert_int_equal(checkpoint_save(rp, &small, NULL, NULL, 0), MT_OK);
        nb = read_all(rp, before, sizeof before);
        assert_int_equal(chmod(ro, 0500), 0);
        assert_int_equal(checkpoint_save(rp, &big, NULL, NULL, 0), MT_ERR_IO);
        assert_non_null(strstr(mt_last_error(), "Permission denied"));
        na = read_all(rp, after, sizeof after);
        assert_int_equal(na, nb);
        assert_memory_equal(before, after, nb);
        chmod(ro, 0700);
    }

    /* bad names are refused before anything is written */
    float x[2] = {1, 2};
    mt_ckpt_block dup = {.name = "trunk.0.bias", .ndim = 1, .shape = {2}, .data = x};
    assert_int_equal(checkpoint_save_ex(path, &small, &dup, 1, NULL, NULL, 0), MT_ERR_ARG);
    snprintf(want, sizeof want, "%s: tensor trunk.0.bias given twice", path);
    assert_string_equal(mt_last_error(), want);
    na = read_all(path, after, sizeof after);
    assert_memory_equal(before, after, nb);
    params_free(&small);
    params_free(&big);
}

/* RMSprop (with momentum: both buffers) and Adagrad (the sum of squares)
 * resume bit for bit from a checkpoint. */
static void test_engine_checkpoint_rmsprop_adagrad_round_trip(void **state)
{
    ctx *c = *state;
    char path[256];
    path_in(c, "rms.safetensors", path, sizeof path);
    for (int kind = MT_OPTIM_RMSPROP; kind <= MT_OPTIM_ADAGRAD; kind++) {
        mt_params a, b;
        make_params(&a, 6);
        mt_optim oa, ob;
        mt_optim_config cfg = optim_defaults((mt_optim_kind)kind);
        cfg.momentum = kind == MT_OPTIM_RMSPROP ? 0.9f : 0.0f;
        cfg.lr_decay = kind == MT_OPTIM_ADAGRAD ? 0.1f : 0.0f;
        assert_int_equal(optim_init(&oa, &cfg, a.total), MT_OK);
        mt_rng r;
        mt_rng_init(&r, 9, 0);
        for (int s = 0; s < 3; s++) {
            for (size_t i = 0; i < a.total; i++) a.grad[i] = (float)mt_rng_normal(&r);
            assert_int_equal(optim_step_params(&oa, &a), MT_OK);
        }
        assert_int_equal(checkpoint_save_train(path, &a, &oa, NULL, NULL, 0), MT_OK);
        make_params(&b, 7);
        assert_int_equal(optim_init(&ob, &cfg, b.total), MT_OK);
        assert_int_equal(checkpoint_load_train(path, &b, &ob), MT_OK);
        assert_int_equal(ob.t, 3);
        for (int i = 0; i < a.count; i++) {
            size_t o = a.info[i].offset, n = a.info[i].size * sizeof(float);
            assert_memory_equal(oa.m + o, ob.m + o, n);
            assert_memory_equal(oa.v + o, ob.v + o, n);
        }
        for (int s = 0; s < 2; s++) { /* Adagrad's lr_decay uses t: it must resume too */
            for (size_t i = 0; i < a.total; i++) a.grad[i] = b.grad[i] = (float)mt_rng_normal(&r);
            assert_int_equal(optim_step_params(&oa, &a), MT_OK);
            assert_int_equal(optim_step_params(&ob, &b), MT_OK);
        }
        for (int i = 0; i < a.count; i++)
            assert_memory_equal(a.data + a.info[i].offset, b.data + b.info[i].offset, a.info[i].size * sizeof(float));
        mt_ckpt *ck;
        assert_int_equal(checkpoint_open(path, &ck), MT_OK);
        assert_string_equal(checkpoint_meta(ck, "optim.kind"), optim_kind_name((mt_optim_kind)kind));
        checkpoint_close(ck);
        optim_free(&oa);
        optim_free(&ob);
        params_free(&a);
        params_free(&b);
    }
}

static void test_engine_checkpoint_train_state_round_trip(void **state)
{
    ctx *c = *state;
    char path[256], want[1024];
    path_in(c, "train.safetensors", path, sizeof path);
    mt_params a, b;
    make_params(&a, 6);
    mt_optim oa, ob;
    mt_optim_config cfg = optim_defaults(MT_OPTIM_ADAMW);
    assert_int_equal(optim_init(&oa, &cfg, a.total), MT_OK);
    mt_rng r;
    mt_rng_init(&r, 9, 0);
    for (int s = 0; s < 3; s++) {
        for (size_t i = 0; i < a.total; i++) a.grad[i] = (float)mt_rng_normal(&r);
        assert_int_equal(optim_step_params(&oa, &a), MT_OK);
    }
    const char *k[1] = {"script"}, *v[1] = {"t.lua"};
    assert_int_equal(checkpoint_save_train(path, &a, &oa, k, v, 1), MT_OK);

    make_params(&b, 7);
    assert_int_equal(optim_init(&ob, &cfg, b.total), MT_OK);
    assert_int_equal(checkpoint_load_train(path, &b, &ob), MT_OK);
    assert_int_equal(ob.t, 3);
    assert_int_equal(ob.step, 3);
    for (int i = 0; i < a.count; i++) {
        size_t o = a.info[i].offset, n = a.info[i].size * sizeof(float);
        assert_memory_equal(a.data + o, b.data + o, n);
        assert_memory_equal(oa.m + o, ob.m + o, n);
        assert_memory_equal(oa.v + o, ob.v + o, n);
    }
    /* training resumes identically */
    for (size_t i = 0; i < a.total; i++) a.grad[i] = b.grad[i] = (float)mt_rng_normal(&r);
    assert_int_equal(optim_step_params(&oa, &a), MT_OK);
    assert_int_equal(optim_step_params(&ob, &b), MT_OK);
    for (int i = 0; i < a.count; i++)
        assert_memory_equal(a.data + a.info[i].offset, b.data + b.info[i].offset,
                            a.info[i].size * sizeof(float));

    mt_ckpt *ck;
    assert_int_equal(checkpoint_open(path, &ck), MT_OK);
    assert_int_equal(checkpoint_count(ck), 9);
    assert_true(checkpoint_find(ck, "optim.m.trunk.0.weight") >= 0);
    assert_true(checkpoint_find(ck, "optim.v.head.a.weight") >= 0);
    assert_string_equal(checkpoint_meta(ck, "optim.kind"), "adamw");
    assert_string_equal(checkpoint_meta(ck, "script"), "t.lua");
    checkpoint_close(ck);

    /* weights only: strict load names the optimizer tensor, lenient works */
    assert_int_equal(checkpoint_load(path, &b), MT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: tensor optim.m.trunk.0.weight in the file is not part of "
                                "the model", path);
    assert_string_equal(mt_last_error(), want);
    assert_int_equal(checkpoint_load_ex(path, &b, NULL, 0, 1), MT_OK);

    /* a different optimizer kind is refused */
    mt_optim os;
    mt_optim_config cs = optim_defaults(MT_OPTIM_SGD);
    assert_int_equal(optim_init(&os, &cs, b.total), MT_OK);
    assert_int_equal(checkpoint_load_train(path, &b, &os), MT_ERR_STATE);
    snprintf(want, sizeof want, "%s: optimizer state is for adamw, not sgd", path);
    assert_string_equal(mt_last_error(), want);
    /* a weights-only file has no optimizer state */
    char wpath[256];
    path_in(c, "weights.safetensors", wpath, sizeof wpath);
    assert_int_equal(checkpoint_save(wpath, &a, NULL, NULL, 0), MT_OK);
    assert_int_equal(checkpoint_load_train(wpath, &b, &ob), MT_ERR_FORMAT);
    snprintf(want, sizeof want,
             "%s: no optimizer state (metadata optim.kind, optim.t, optim.step)", wpath);
    assert_string_equal(mt_last_error(), want);
    optim_free(&os);
    optim_free(&oa);
    optim_free(&ob);
    params_free(&a);
    params_free(&b);
}

/* Replaces `from` by `to` in the JSON header of the safetensors file at
 * path, keeping the data block (offsets are relative to it). */
static void rewrite_header(const char *path, const char *from, const char *to)
{
    static unsigned char buf[1 << 16], out[1 << 16];
    size_t n = read_all(path, buf, sizeof buf);
    uint64_t h = 0;
    for (int i = 0; i < 8; i++) h |= (uint64_t)buf[i] << (8 * i);
    char json[8192];
    assert_true(h < sizeof json);
    memcpy(json, buf + 8, h);
    json[h] = '\0';
    char *at = strstr(json, from);
    assert_non_null(at);
    char nj[8192];
    snprintf(nj, sizeof nj, "%.*s%s%s", (int)(at - json), json, to, at + strlen(from));
    size_t nh = strlen(nj);
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)((uint64_t)nh >> (8 * i));
    memcpy(out + 8, nj, nh);
    memcpy(out + 8 + nh, buf + 8 + h, n - 8 - h);
    write_all(path, out, 8 + nh + n - 8 - h);
}

/* Every optimiser counter in the metadata is checked before use; a value
 * that would overflow t + 1 in the update (UB, then NaN) names the file
 * and the key, and nothing is loaded. */
static void test_engine_checkpoint_metadata_validated(void **state)
{
    ctx *c = *state;
    char path[256], want[1024];
    path_in(c, "meta.safetensors", path, sizeof path);
    mt_params a, b;
    make_params(&a, 6);
    make_params(&b, 7);
    mt_optim oa, ob;
    mt_optim_config cfg = optim_defaults(MT_OPTIM_ADAM);
    assert_int_equal(optim_init(&oa, &cfg, a.total), MT_OK);
    assert_int_equal(optim_init(&ob, &cfg, b.total), MT_OK);
    for (int s = 0; s < 3; s++) assert_int_equal(optim_step_params(&oa, &a), MT_OK);
    const struct {
        const char *from, *to, *msg;
    } cases[] = {
        {"\"optim.t\":\"3\"", "\"optim.t\":\"9223372036854775807\"",
         "metadata optim.t = \"9223372036854775807\": expected a whole number in 0..1000000000000000"},
        {"\"optim.t\":\"3\"", "\"optim.t\":\"-1\"", "metadata optim.t = \"-1\": expected a whole number"},
        {"\"optim.t\":\"3\"", "\"optim.t\":\" 3\"", "metadata optim.t = \" 3\": expected a whole number"},
        {"\"optim.t\":\"3\"", "\"optim.t\":\"\"", "metadata optim.t = \"\": expected a whole number"},
        {"\"optim.step\":\"3\"", "\"optim.step\":\"99999999999999999999999999999999999999999999999\"",
         "metadata optim.step = \"9999999999999999999999999999999999999999...\": expected a whole number"},
        {"\"optim.t\":\"3\"", "\"optim.t\":\"4\"", "metadata optim.t = 4 exceeds optim.step = 3"},
        {"\"optim.kind\":\"adam\"", "\"optim.kind\":\"lion\"",
         "metadata optim.kind = \"lion\": expected sgd, adam, adamw, rmsprop or adagrad"},
        {"\"optim.kind\":\"adam\"", "\"optim.kind\":\"adam\",\"optim.kind\":\"sgd\"",
         "__metadata__ key optim.kind appears twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(checkpoint_save_train(path, &a, &oa, NULL, NULL, 0), MT_OK);
        rewrite_header(path, cases[i].from, cases[i].to);
        float before = b.data[0];
        assert_int_equal(checkpoint_load_train(path, &b, &ob), MT_ERR_FORMAT);
        snprintf(want, sizeof want, "%s: %s", path, cases[i].msg);
        if (strncmp(mt_last_error(), want, strlen(want)) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s...\"", i, mt_last_error(), want);
        assert_true(b.data[0] == before); /* nothing loaded */
        assert_int_equal(ob.t, 0);
    }
    /* the largest accepted counter still gives a finite update */
    ob.t = ob.step = OPTIM_MAX_STEPS;
    for (size_t i = 0; i < b.total; i++) b.grad[i] = 1.0f;
    assert_int_equal(optim_step_params(&ob, &b), MT_OK);
    for (size_t i = 0; i < b.total; i++) assert_true(isfinite(b.data[i]));
    optim_free(&oa);
    optim_free(&ob);
    params_free(&a);
    params_free(&b);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 80 000 zero-size tensors (a 4.6 MB header) took 55 s when every entry
 * searched the ones before it; sorting makes it a fraction of a second.
 * The bound is generous (loaded machines, sanitizers) yet 10x below the
 * quadratic time. */
static void test_engine_checkpoint_many_entries(void **state)
{
    ctx *c = *state;
    char path[256];
    path_in(c, "many.safetensors", path, sizeof path);
    enum { N = 80000 };
    size_t cap = (size_t)N * 64 + 64, w = 0;
    char *json = malloc(cap);
    assert_non_null(json);
    json[w++] = '{';
    for (int i = 0; i < N; i++)
        w += (size_t)snprintf(json + w, cap - w, "%s\"t%05d\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}",
                              i ? "," : "", N - 1 - i);
    json[w++] = '}';
    json[w] = '\0';
    write_raw(path, json, 0);
    free(json);
    double t0 = mono_s();
    mt_ckpt *ck;
    assert_int_equal(checkpoint_open(path, &ck), MT_OK);
    assert_int_equal(checkpoint_count(ck), N);
    char name[16];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "t%05d", i);
        assert_true(checkpoint_find(ck, name) >= 0);
    }
    assert_int_equal(checkpoint_find(ck, "t80000"), -1);
    checkpoint_close(ck);
    double secs = mono_s() - t0;
    fprintf(stderr, "  %d entries opened and found in %.2fs\n", N, secs);
    assert_true(secs < 5.0);
    /* a duplicate among them is still found, naming it */
    json = malloc(cap);
    w = 0;
    json[w++] = '{';
    for (int i = 0; i < N; i++)
        w += (size_t)snprintf(json + w, cap - w, "%s\"t%05d\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}",
                              i ? "," : "", i == N - 1 ? 1234 : i);
    json[w++] = '}';
    json[w] = '\0';
    write_raw(path, json, 0);
    free(json);
    assert_int_equal(checkpoint_open(path, &ck), MT_ERR_FORMAT);
    char want[512];
    snprintf(want, sizeof want, "%s: tensor t01234 appears twice", path);
    assert_string_equal(mt_last_error(), want);
}

/* A write killed half way leaves "<file>.tmp.<pid>"; the next write into
 * the folder removes it, but not the temporary file of a live writer. */
static void test_engine_checkpoint_removes_orphans(void **state)
{
    ctx *c = *state;
    char path[256], orphan[512], live[512], other[512];
    path_in(c, "ck.safetensors", path, sizeof path);
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    snprintf(orphan, sizeof orphan, "%s.tmp.%ld", path, (long)dead);
    snprintf(live, sizeof live, "%s.tmp.%ld", path, (long)getppid());
    path_in(c, "other.safetensors.tmp.1", other, sizeof other);
    write_all(orphan, "half a checkpoint", 17);
    write_all(live, "being written", 13);
    write_all(other, "another file's", 14);
    mt_params p;
    make_params(&p, 3);
    assert_int_equal(checkpoint_save(path, &p, NULL, NULL, 0), MT_OK);
    struct stat sb;
    assert_int_not_equal(stat(orphan, &sb), 0);
    assert_int_equal(stat(live, &sb), 0);
    assert_int_equal(stat(other, &sb), 0);
    params_free(&p);
}

/* Random byte flips and truncations of a valid file: every outcome is a
 * clean success or a format error naming the file (ASan checks that no
 * read leaves the buffer). */
static void test_engine_checkpoint_mutations_never_crash(void **state)
{
    ctx *c = *state;
    char path[256], mpath[256];
    path_in(c, "good.safetensors", path, sizeof path);
    path_in(c, "mut.safetensors", mpath, sizeof mpath);
    mt_params p;
    make_params(&p, 8);
    const char *k[1] = {"note"}, *v[1] = {"mutation source"};
    assert_int_equal(checkpoint_save(path, &p, k, v, 1), MT_OK);
    unsigned char good[4096], mut[4096];
    size_t n = read_all(path, good, sizeof good);
    size_t hdr = 8 + (size_t)good[0] + ((size_t)good[1] << 8);
    mt_rng r;
    mt_rng_init(&r, 11, 0);
    int ok = 0, bad = 0;
    for (int it = 0; it < 400; it++) {
        memcpy(mut, good, n);
        size_t len = n;
        if (it % 4 == 3) {
            len = (size_t)mt_rng_below(&r, n);
        } else {
            int flips = 1 + (int)mt_rng_below(&r, 3);
            for (int f = 0; f < flips; f++)
                mut[mt_rng_below(&r, hdr)] = (unsigned char)mt_rng_below(&r, 256);
        }
        write_all(mpath, mut, len);
        mt_ckpt *ck = NULL;
        mt_status st = checkpoint_open(mpath, &ck);
        if (st == MT_OK) {
            ok++;
            checkpoint_close(ck);
        } else {
            bad++;
            assert_int_equal(st, MT_ERR_FORMAT);
            assert_null(ck);
            assert_true(strncmp(mt_last_error(), mpath, strlen(mpath)) == 0);
        }
    }
    assert_true(bad > 200);
    params_free(&p);
}

/* A vector parameter is stored with PyTorch's shape [n]; a checkpoint
 * written before that, with [1, n], still loads (weights and optimiser
 * moments); [2, n/2] or [n, 1] are still refused. */
static void test_engine_checkpoint_vectors_and_old_shapes(void **state)
{
    ctx *c = *state;
    char path[256];
    path_in(c, "old.safetensors", path, sizeof path);
    mt_params old, cur;
    params_init(&old);
    params_init(&cur);
    int w[2] = {3, 2}, row[2] = {1, 4}, vec[1] = {4};
    assert_true(params_add(&old, "l.weight", 2, w, 0, 1) >= 0);
    assert_true(params_add(&old, "l.bias", 2, row, 0, 0) >= 0);
    assert_true(params_add(&cur, "l.weight", 2, w, 0, 1) >= 0);
    assert_true(params_add(&cur, "l.bias", 1, vec, 0, 0) >= 0);
    assert_int_equal(params_alloc(&old), MT_OK);
    assert_int_equal(params_alloc(&cur), MT_OK);
    for (size_t i = 0; i < old.total; i++) old.data[i] = (float)i + 0.5f;
    mt_optim oo, oc;
    mt_optim_config cfg = optim_defaults(MT_OPTIM_ADAM);
    assert_int_equal(optim_init(&oo, &cfg, old.total), MT_OK);
    assert_int_equal(optim_init(&oc, &cfg, cur.total), MT_OK);
    for (size_t i = 0; i < old.total; i++) old.grad[i] = (float)i - 3.0f;
    assert_int_equal(optim_step_params(&oo, &old), MT_OK);
    assert_int_equal(checkpoint_save_train(path, &old, &oo, NULL, NULL, 0), MT_OK);
    assert_int_equal(checkpoint_load_train(path, &cur, &oc), MT_OK);
    for (int i = 0; i < old.count; i++) {
        size_t a = old.info[i].offset, b = cur.info[i].offset, n = old.info[i].size * sizeof(float);
        assert_int_equal(old.info[i].size, cur.info[i].size);
        assert_memory_equal(old.data + a, cur.data + b, n);
        assert_memory_equal(oo.m + a, oc.m + b, n);
        assert_memory_equal(oo.v + a, oc.v + b, n);
    }
    /* the new file says [4], and loads back into the old [1, 4] only as
     * what it is: a vector is never widened into another matrix */
    path_in(c, "new.safetensors", path, sizeof path);
    assert_int_equal(checkpoint_save(path, &cur, NULL, NULL, 0), MT_OK);
    mt_ckpt *ck;
    assert_int_equal(checkpoint_open(path, &ck), MT_OK);
    int shape[MT_CKPT_MAXDIM];
    assert_int_equal(checkpoint_shape(ck, checkpoint_find(ck, "l.bias"), shape), 1);
    assert_int_equal(shape[0], 4);
    checkpoint_close(ck);
    assert_int_equal(checkpoint_load(path, &old), MT_ERR_SHAPE);
    assert_non_null(strstr(mt_last_error(), "tensor l.bias has shape [4] but the parameter is [1,4]"));
    mt_params other;
    params_init(&other);
    int col[2] = {4, 1};
    assert_true(params_add(&other, "l.weight", 2, w, 0, 1) >= 0);
    assert_true(params_add(&other, "l.bias", 2, col, 0, 0) >= 0);
    assert_int_equal(params_alloc(&other), MT_OK);
    assert_int_equal(checkpoint_load(path, &other), MT_ERR_SHAPE);
    assert_non_null(strstr(mt_last_error(), "tensor l.bias has shape [4] but the parameter is [4,1]"));
    optim_free(&oo);
    optim_free(&oc);
    params_free(&old);
    params_free(&cur);
    params_free(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_exact_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_round_trip_bit_exact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_missing_extra_and_shape, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_corrupt_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_atomic_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_rmsprop_adagrad_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_train_state_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_metadata_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_many_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_removes_orphans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_vectors_and_old_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_checkpoint_mutations_never_crash, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
