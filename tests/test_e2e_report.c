/* test_e2e_report.c - `mtlab report` end to end: the page of real runs
 * (two cross-stitch runs on blobs, one switching its weighting mid-run,
 * single-task baselines for delta_m), opened in headless Chromium: it
 * loads without a console message, its screenshot is not blank and shows
 * the task colours, and the numbers read back from the DOM are those of
 * summary.json. A hostile run folder cannot inject markup; malformed
 * folders get a message naming the file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <math.h>
#include <zlib.h>

#include "e2e_util.h"

#define BLOBS_SCRIPT                                                                                  \
    "local mtl = require 'mtl'\n"                                                                     \
    E2E_BLOBS_DATA(600, 100, 100)                                                                     \
    "return mtl.experiment {\n"                                                                       \
    "  name = 'blobs %s',\n"                                                                          \
    "  data = data,\n"                                                                                \
    "  tasks = { mtl.task.classify { name = 'cls' }, mtl.task.regress { name = 'dist' } },\n"         \
    "  topology = mtl.share.cross_stitch { trunk = { 8, 8 } },\n"                                     \
    "  optim = mtl.optim.adam { lr = 0.01 },\n"                                                       \
    "  train = { batch = 32, epochs = 4, seed = 3, baselines = true },\n"                             \
    "  %s\n"                                                                                          \
    "}\n"

static char *slurp_rel(const char *rel)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", e2e_tmpdir(), rel);
    return e2e_read(p);
}

static int group_setup(void **state)
{
    (void)state;
    char buf[4096], args[1024];
    snprintf(buf, sizeof buf, BLOBS_SCRIPT, "equal", "");
    e2e_write("equal.lua", buf);
    snprintf(buf, sizeof buf, BLOBS_SCRIPT, "switching",
             "on_epoch = function(run, e) if e == 2 then run:set_weighting('uncertainty') end end,");
    e2e_write("switch.lua", buf);
    snprintf(args, sizeof args, "run equal.lua --out a -q");
    if (e2e_run(args, NULL, NULL) != 0) return -1;
    snprintf(args, sizeof args, "run switch.lua --out b -q");
    if (e2e_run(args, NULL, NULL) != 0) return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    e2e_cleanup();
    return 0;
}

/* The value of data-value in the cell carrying `attrs` (as the page and
 * the browser's serialisation write them), or NaN. */
static double cell_value(const char *html, const char *attrs, char *shown, size_t n)
{
    const char *p = strstr(html, attrs);
    if (!p) return NAN;
    p = strstr(p, "data-value=\"");
    if (!p) return NAN;
    double v = strtod(p + 12, NULL);
    const char *gt = strchr(p, '>'), *lt = gt ? strchr(gt, '<') : NULL;
    if (shown && gt && lt) snprintf(shown, n, "%.*s", (int)(lt - gt - 1), gt + 1);
    return v;
}

/* Every number of the results tables against summary.json: data-value
 * exactly, the text shown to its 6 digits (Δm to 3 decimals). */
static void check_numbers(const char *html, int run, const char *dir)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/summary.json", dir);
    char *s = slurp_rel(rel);
    assert_non_null(s);
    cJSON *sum = cJSON_Parse(s);
    free(s);
    assert_non_null(sum);
    static const char *const keys[] = {"train_loss", "val_loss", "val_metric", "test_loss", "test_metric"};
    const cJSON *t;
    int checked = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(sum, "tasks"))
    {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const cJSON *v = cJSON_GetObjectItem(t, keys[k]);
            assert_true(cJSON_IsNumber(v));
            char attrs[256], shown[64], want[64];
            snprintf(attrs, sizeof attrs, "data-run=\"%d\" data-key=\"%s\" data-task=\"%s\"", run, keys[k],
                     t->string);
            double got = cell_value(html, attrs, shown, sizeof shown);
            assert_true(got == v->valuedouble);
            snprintf(want, sizeof want, "%.6g", v->valuedouble);
            assert_string_equal(shown, want);
            checked++;
        }
    }
    assert_int_equal(checked, 10);
    const cJSON *dm = cJSON_GetObjectItem(sum, "delta_m_percent");
    if (!dm) dm = cJSON_GetObjectItem(sum, "delta_m");
    assert_true(cJSON_IsNumber(dm));
    char attrs[64], shown[64], want[64];
    snprintf(attrs, sizeof attrs, "data-run=\"%d\" data-key=\"delta_m\"", run);
    assert_true(cell_value(html, attrs, shown, sizeof shown) == dm->valuedouble);
    snprintf(want, sizeof want, "%+.3f", dm->valuedouble);
    assert_string_equal(shown, want);
    cJSON_Delete(sum);
}

static void test_e2e_report_page(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(e2e_run("report a b -o two.html", &out, &err), 0);
    assert_non_null(strstr(err, "wrote two.html"));
    free(out);
    free(err);
    char *html = slurp_rel("two.html");
    assert_non_null(html);
    /* self-contained: no script, nothing to fetch, a policy that forbids both */
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "<?xml"));
    assert_non_null(strstr(html, "default-src 'none'"));
    /* the sections of two runs with curves, the switch, mixing and relations */
    const char *needles[] = {"blobs equal", "blobs switching", "id=\"curves\"", "class=\"mark\"",
                             "uncertainty", "cross-stitch alpha L1", "grad cosine", "id=\"pareto\"",
                             "class=\"pareto\"", "id=\"topology\"", "cross-stitch", "config.json", NULL};
    for (int i = 0; needles[i]; i++) {
        if (!strstr(html, needles[i])) fail_msg("report lacks %s", needles[i]);
    }
    check_numbers(html, 0, "a");
    check_numbers(html, 1, "b");
    free(html);
}

/* ---- a PNG read back, to tell a blank screenshot from a page ---------------- */

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Decodes an 8-bit RGB or RGBA, non-interlaced PNG into RGB rows. */
static unsigned char *png_rgb(const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    if (n < 33 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) != 0) return free(b), NULL;
    unsigned char *z = malloc((size_t)n);
    size_t zn = 0;
    int ch = 0;
    for (long p = 8; p + 12 <= n;) {
        uint32_t len = be32(b + p);
        const unsigned char *type = b + p + 4, *d = b + p + 8;
        if (p + 12 + (long)len > n) break;
        if (memcmp(type, "IHDR", 4) == 0) {
            *w = (int)be32(d);
            *h = (int)be32(d + 4);
            if (d[8] != 8 || (d[9] != 2 && d[9] != 6) || d[12] != 0) return free(b), free(z), NULL;
            ch = d[9] == 6 ? 4 : 3;
        } else if (memcmp(type, "IDAT", 4) == 0) {
            memcpy(z + zn, d, len);
            zn += len;
        }
        p += 12 + (long)len;
    }
    free(b);
    if (!ch) return free(z), NULL;
    size_t stride = (size_t)*w * (size_t)ch;
    uLongf rn = (uLongf)((stride + 1) * (size_t)*h);
    unsigned char *raw = malloc(rn), *rgb = malloc((size_t)*w * (size_t)*h * 3);
    if (uncompress(raw, &rn, z, (uLong)zn) != Z_OK) return free(z), free(raw), free(rgb), NULL;
    free(z);
    for (int y = 0; y < *h; y++) {
        unsigned char *row = raw + (size_t)y * (stride + 1), *cur = row + 1;
        const unsigned char *prev = y ? raw + (size_t)(y - 1) * (stride + 1) + 1 : NULL;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)ch ? cur[i - (size_t)ch] : 0, up = prev ? prev[i] : 0,
                c = prev && i >= (size_t)ch ? prev[i - (size_t)ch] : 0;
            switch (row[0]) {
            case 1: cur[i] = (unsigned char)(cur[i] + a); break;
            case 2: cur[i] = (unsigned char)(cur[i] + up); break;
            case 3: cur[i] = (unsigned char)(cur[i] + (a + up) / 2); break;
            case 4: cur[i] = (unsigned char)(cur[i] + paeth(a, up, c)); break;
            default: break;
            }
        }
        for (int x = 0; x < *w; x++) memcpy(rgb + ((size_t)y * (size_t)*w + (size_t)x) * 3, cur + (size_t)x * (size_t)ch, 3);
    }
    free(raw);
    return rgb;
}

static int chromium_found(char *path, size_t n)
{
    const char *cands[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", NULL};
    for (int i = 0; cands[i]; i++)
        if (access(cands[i], X_OK) == 0) {
            snprintf(path, n, "%s", cands[i]);
            return 1;
        }
    return 0;
}

/* Runs headless Chromium on file `page` in the temporary folder with the
 * given mode arguments; stdout to out_file, stderr (its log) to log_file. */
static int chromium(const char *bin, const char *mode, const char *page, const char *out_file, const char *log_file)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && timeout -s KILL 120 '%s' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
             "--user-data-dir='%s/chromium-profile' --enable-logging=stderr --v=0 %s 'file://%s/%s' >'%s' 2>'%s'",
             e2e_tmpdir(), bin, e2e_tmpdir(), mode, e2e_tmpdir(), page, out_file, log_file);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

/* No console message of any kind: no script error, no blocked load. */
static void assert_quiet_console(const char *log_rel)
{
    char *log = slurp_rel(log_rel);
    assert_non_null(log);
    const char *c = strstr(log, ":CONSOLE");
    if (c) fail_msg("the browser's console: %.300s", c);
    free(log);
}

static void test_e2e_report_in_chromium(void **state)
{
    (void)state;
    char bin[256];
    if (!chromium_found(bin, sizeof bin))
        fail_msg("chromium is not installed: `sh scripts/setup.sh` (or make test) installs the Debian package");
    assert_int_equal(e2e_run("report a b -o browse.html", NULL, NULL), 0);
    /* a screenshot: not blank, and the runs' colours are on it */
    assert_int_equal(chromium(bin, "--hide-scrollbars --window-size=1280,2400 --screenshot=shot.png", "browse.html",
                              "shot.out", "shot.log"),
                     0);
    assert_quiet_console("shot.log");
    char png[600];
    snprintf(png, sizeof png, "%s/shot.png", e2e_tmpdir());
    int w = 0, h = 0;
    unsigned char *rgb = png_rgb(png, &w, &h);
    assert_non_null(rgb);
    assert_int_equal(w, 1280);
    long ink = 0, blue = 0, red = 0, total = (long)w * h;
    for (long i = 0; i < total; i++) {
        const unsigned char *p = rgb + i * 3;
        ink += p[0] < 200 || p[1] < 200 || p[2] < 200;
        blue += abs(p[0] - 0x1f) < 12 && abs(p[1] - 0x77) < 12 && abs(p[2] - 0xb4) < 12; /* run 1 */
        red += abs(p[0] - 0xd6) < 12 && abs(p[1] - 0x27) < 12 && abs(p[2] - 0x28) < 12;  /* run 2 */
    }
    free(rgb);
    print_message("screenshot %dx%d: %.2f%% ink, %ld blue and %ld red pixels\n", w, h, 100.0 * ink / total, blue,
                  red);
    assert_true(ink > total / 100); /* a blank page has none */
    assert_true(blue > 100 && red > 100);
    /* the DOM as the browser built it: the numbers of summary.json */
    assert_int_equal(chromium(bin, "--dump-dom", "browse.html", "dom.html", "dom.log"), 0);
    assert_quiet_console("dom.log");
    char *dom = slurp_rel("dom.html");
    assert_non_null(dom);
    assert_non_null(strstr(dom, "<svg"));
    check_numbers(dom, 0, "a");
    check_numbers(dom, 1, "b");
    free(dom);
}

/* s with every `from` replaced by `to` (malloc'd). */
static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + fl, from)) n++;
    char *o = malloc(strlen(s) + n * tl + 1), *w = o;
    for (const char *p = s;;) {
        const char *q = strstr(p, from);
        if (!q) {
            strcpy(w, p);
            break;
        }
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, to, tl);
        w += tl;
        p = q + fl;
    }
    return o;
}

/* A run folder whose names carry markup: the page shows them as text. */
static void test_e2e_report_escapes_hostile_folder(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && rm -rf evil && cp -r a evil", e2e_tmpdir());
    assert_int_equal(system(cmd), 0);
    /* the experiment's name, and the task "dist" (in the summary, the
     * config, the matrices' labels and metrics.csv) */
    const char *files[] = {"config.json", "summary.json", "relations.jsonl", "events.jsonl", "metrics.csv"};
    for (int i = 0; i < 5; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "evil/%s", files[i]);
        char *s = slurp_rel(rel);
        assert_non_null(s);
        char *t1 = replace_all(s, "blobs equal", "<img src=x onerror=alert(1)><script>alert(2)</script>");
        char *t2 = replace_all(t1, "\"dist\"", "\"d<b>i\\\"st</b>\"");
        char *t3 = replace_all(t2, ",dist,", ",\"d<b>i\"\"st</b>\",");
        e2e_write(rel, t3);
        free(s);
        free(t1);
        free(t2);
        free(t3);
    }
    char *out, *err;
    int rc = e2e_run("report evil -o evil.html", &out, &err);
    if (rc) fail_msg("report on the hostile folder: %s", err);
    free(out);
    free(err);
    char *html = slurp_rel("evil.html");
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<b>"));
    assert_non_null(strstr(html, "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;"));
    assert_non_null(strstr(html, "d&lt;b&gt;i&quot;st&lt;/b&gt;"));
    /* the task is still found by its (hostile) name in every file */
    assert_non_null(strstr(html, "data-key=\"test_loss\" data-task=\"d&lt;b&gt;i&quot;st&lt;/b&gt;\""));
    free(html);
    char bin[256];
    if (chromium_found(bin, sizeof bin)) {
        assert_int_equal(chromium(bin, "--dump-dom", "evil.html", "evil-dom.html", "evil.log"), 0);
        assert_quiet_console("evil.log");
        char *dom = slurp_rel("evil-dom.html");
        assert_null(strstr(dom, "<img"));
        assert_null(strstr(dom, "<script"));
        assert_null(strstr(dom, "<b>"));
        free(dom);
    }
}

/* A CSV data set's text labels and standardised target, as config.json
 * records them (data.labels, data.standardized_targets), are on the page,
 * escaped: each class index with its name, the target's mean and sd to the
 * digits shown. */
static void test_e2e_report_csv_data_meaning(void **state)
{
    (void)state;
    static const char *const kinds[] = {"sun", "<i>rain</i>", "fog & mist"};
    char csv[8192];
    size_t w = (size_t)snprintf(csv, sizeof csv, "x1,x2,sky,temp\n");
    for (int i = 0; i < 60; i++)
        w += (size_t)snprintf(csv + w, sizeof csv - w, "%d,%d,%s,%d\n", i % 7, i % 5, kinds[i % 3], 10 + 3 * (i % 11));
    e2e_write("sky.csv", csv);
    e2e_write("sky.lua",
              "local mtl = require 'mtl'\n"
              "return mtl.experiment { name = 'sky',\n"
              "  data = mtl.data.csv { path = 'sky.csv', inputs = { 'x1', 'x2' },\n"
              "    targets = { 'sky', 'temp' }, standardize_targets = true, val = 10, test = 10 },\n"
              "  tasks = { mtl.task.classify { name = 'sky' }, mtl.task.regress { name = 'temp' } },\n"
              "  topology = mtl.share.hard { trunk = { 4 } },\n"
              "  train = { batch = 8, epochs = 1, seed = 2 } }\n");
    char *out = NULL, *err = NULL;
    int rc = e2e_run("run sky.lua --out sky -q", &out, &err);
    if (rc) fail_msg("run sky.lua: %s", err);
    free(out);
    free(err);
    rc = e2e_run("report sky -o sky.html", &out, &err);
    if (rc) fail_msg("report sky: %s", err);
    free(out);
    free(err);
    char *cfgs = slurp_rel("sky/config.json");
    cJSON *cfg = cJSON_Parse(cfgs);
    free(cfgs);
    assert_non_null(cfg);
    const cJSON *d = cJSON_GetObjectItem(cfg, "data");
    const cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "labels"), "sky");
    const cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "standardized_targets"), "temp");
    assert_int_equal(cJSON_GetArraySize(labels), 3);
    char *html = slurp_rel("sky.html");
    assert_non_null(html);
    assert_null(strstr(html, "<i>"));
    /* the row of the class names, in the order of their indices */
    char want[512];
    size_t n = (size_t)snprintf(want, sizeof want, "<tr><th>sky</th><td>classes: ");
    for (int k = 0; k < 3; k++) {
        const char *name = cJSON_GetArrayItem(labels, k)->valuestring;
        const char *shown = strcmp(name, "<i>rain</i>") == 0  ? "&lt;i&gt;rain&lt;/i&gt;"
                            : strcmp(name, "fog & mist") == 0 ? "fog &amp; mist"
                                                              : name;
        assert_true(strcmp(name, "sun") == 0 || shown != name);
        n += (size_t)snprintf(want + n, sizeof want - n, "%s%d = %s", k ? ", " : "", k, shown);
    }
    if (!strstr(html, want)) fail_msg("the page lacks \"%s\"", want);
    /* temp's mean and sd: those of the training rows, as config.json has them */
    double mean = cJSON_GetObjectItem(st, "mean")->valuedouble, sd = cJSON_GetObjectItem(st, "sd")->valuedouble;
    assert_true(sd > 0 && mean > 10 && mean < 40);
    snprintf(want, sizeof want, "<tr><th>temp</th><td>standardised: mean %.6g, sd %.6g", mean, sd);
    if (!strstr(html, want)) fail_msg("the page lacks \"%s\"", want);
    cJSON_Delete(cfg);
    free(html);
}

static void expect_failure(const char *args, int code, const char *const *needles)
{
    char *out, *err;
    int rc = e2e_run(args, &out, &err);
    if (rc != code) fail_msg("mtlab %s: exit %d, expected %d; stderr: %s", args, rc, code, err);
    for (int i = 0; needles[i]; i++)
        if (!strstr(err, needles[i])) fail_msg("mtlab %s: stderr lacks '%s': %s", args, needles[i], err);
    free(out);
    free(err);
}

static void test_e2e_report_malformed_folders(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && rm -rf badcfg badsum nocsv empty && cp -r a badcfg && cp -r a badsum && cp -r a nocsv && "
             "mkdir empty && printf '{\"name\": \"x\", ' > badcfg/config.json && printf '{\"tasks\": [1,' > "
             "badsum/summary.json && rm nocsv/metrics.csv",
             e2e_tmpdir());
    assert_int_equal(system(cmd), 0);
    const char *cfg[] = {"badcfg/config.json", "not a JSON object", NULL};
    expect_failure("report badcfg -o x.html", 1, cfg);
    const char *sum[] = {"badsum/summary.json", "not a JSON object", NULL};
    expect_failure("report a badsum -o x.html", 1, sum);
    const char *csv[] = {"nocsv/metrics.csv", NULL};
    expect_failure("report nocsv -o x.html", 1, csv);
    const char *none[] = {"empty", "no config.json", NULL};
    expect_failure("report empty -o x.html", 2, none);
    const char *missing[] = {"nowhere", "no such folder", NULL};
    expect_failure("report nowhere", 2, missing);
    const char *usage[] = {"no run folder given", NULL};
    expect_failure("report -o x.html", 2, usage);
    const char *value[] = {"-o needs a value", NULL};
    expect_failure("report a -o", 2, value);
    const char *steps[] = {"--steps x", NULL};
    expect_failure("report a --steps x", 2, steps);
    /* nothing was left behind by the failures */
    char p[600];
    snprintf(p, sizeof p, "%s/x.html", e2e_tmpdir());
    assert_false(e2e_exists(p));
}

/* A sweep's layout (<config>/seed-<n>/): every run found, each seed named
 * by its folder, the matrices at the steps asked for. */
static void test_e2e_report_sweep_folder(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && rm -rf sw && mkdir -p sw/equal sw/switching && cp -r a sw/equal/seed-1 && "
             "cp -r a sw/equal/seed-2 && cp -r b sw/switching/seed-1 && printf 'config,quantity\\nequal,1\\n' > sw/sweep.csv",
             e2e_tmpdir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(e2e_run("report sw --steps 1,26 -o sw.html", NULL, NULL), 0);
    char *html = slurp_rel("sw.html");
    assert_non_null(html);
    assert_non_null(strstr(html, "3 runs from"));
    assert_non_null(strstr(html, "equal/seed-1"));
    assert_non_null(strstr(html, "equal/seed-2"));
    assert_non_null(strstr(html, "blobs switching"));
    assert_non_null(strstr(html, "class=\"sweep\""));
    assert_non_null(strstr(html, "at step 1 (the update of step 1)"));
    assert_non_null(strstr(html, "at step 26 (the update of step 26)"));
    free(html);
}

/* Claim verdicts in summary.json (helper-independent shapes: a list of
 * objects, a verdict word, a boolean) are shown, escaped and coloured. */
static void test_e2e_report_claims(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd '%s' && rm -rf claimed && cp -r a claimed", e2e_tmpdir());
    assert_int_equal(system(cmd), 0);
    char *s = slurp_rel("claimed/summary.json");
    cJSON *sum = cJSON_Parse(s);
    free(s);
    assert_non_null(sum);
    cJSON *list = cJSON_AddArrayToObject(sum, "claims");
    cJSON *c1 = cJSON_CreateObject(), *c2 = cJSON_CreateObject();
    cJSON_AddStringToObject(c1, "claim", "<b>mixing</b> beats columns");
    cJSON_AddStringToObject(c1, "verdict", "holds");
    cJSON_AddStringToObject(c2, "claim", "y3 stays apart");
    cJSON_AddBoolToObject(c2, "holds", 0);
    cJSON_AddItemToArray(list, c1);
    cJSON_AddItemToArray(list, c2);
    char *text = cJSON_Print(sum);
    e2e_write("claimed/summary.json", text);
    free(text);
    cJSON_Delete(sum);
    assert_int_equal(e2e_run("report claimed -o claims.html", NULL, NULL), 0);
    char *html = slurp_rel("claims.html");
    assert_non_null(html);
    assert_null(strstr(html, "No claim verdicts"));
    assert_non_null(strstr(html, "&lt;b&gt;mixing&lt;/b&gt; beats columns"));
    assert_non_null(strstr(html, "<span class=\"holds\">holds</span>"));
    assert_non_null(strstr(html, "<span class=\"fails\">does not hold</span>"));
    assert_null(strstr(html, "<b>"));
    free(html);
}

/* A landscape run: its point's path over the shaded landscape and the
 * path of its objectives, from the position and objectives matrices. */
static void test_e2e_report_landscape_paths(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "run '%s/experiments/40_landscape_combiners.lua' --experiment 6 --out land -q",
             MTLAB_ROOT);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    assert_int_equal(e2e_run("report land -o land.html", NULL, NULL), 0);
    char *html = slurp_rel("land.html");
    assert_non_null(html);
    const char *needles[] = {"href=\"#landscape\"", "id=\"landscape\"", "class=\"background\"",
                             "class=\"path\" data-run=\"0\"", "f2 against f1", "class=\"start\"",
                             "class=\"end\"", NULL};
    for (int i = 0; needles[i]; i++)
        if (!strstr(html, needles[i])) fail_msg("landscape report lacks %s", needles[i]);
    /* two paths: the plane and the objectives */
    int paths = 0;
    for (const char *p = strstr(html, "class=\"path\""); p; p = strstr(p + 1, "class=\"path\"")) paths++;
    assert_int_equal(paths, 2);
    /* the paths are not among the relation matrices */
    assert_null(strstr(html, "<text x=\"12\" y=\"20\" font-size=\"14\" font-weight=\"bold\">position</text>"));
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_report_page),
        cmocka_unit_test(test_e2e_report_in_chromium),
        cmocka_unit_test(test_e2e_report_escapes_hostile_folder),
        cmocka_unit_test(test_e2e_report_malformed_folders),
        cmocka_unit_test(test_e2e_report_sweep_folder),
        cmocka_unit_test(test_e2e_report_landscape_paths),
        cmocka_unit_test(test_e2e_report_claims),
        cmocka_unit_test(test_e2e_report_csv_data_meaning),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
