/* test_e2e_data.c - real-world CSV end to end: mtl.data.csv's options
 * (separator, skip, header or named columns, text labels, standardised
 * targets) through `mtlab run`, what config.json records of them, and the
 * claims of experiments/60_seattle_weather.lua on a data set a Debian
 * package ships (python3-vega-datasets). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <math.h>

#include "e2e_util.h"

#define SEATTLE "/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv"

/* o.a.b.c.d, each after the first optional (NULL). */
static const cJSON *at4(const cJSON *o, const char *a, const char *b, const char *c, const char *d)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (c) x = cJSON_GetObjectItemCaseSensitive(x, c);
    if (d) x = cJSON_GetObjectItemCaseSensitive(x, d);
    return x;
}
static const cJSON *at(const cJSON *o, const char *a, const char *b, const char *c) { return at4(o, a, b, c, NULL); }

static double num4(const cJSON *o, const char *a, const char *b, const char *c, const char *d)
{
    const cJSON *x = at4(o, a, b, c, d);
    if (!cJSON_IsNumber(x)) fail_msg("%s.%s.%s.%s: not a number", a, b ? b : "", c ? c : "", d ? d : "");
    return x->valuedouble;
}
static double num(const cJSON *o, const char *a, const char *b, const char *c) { return num4(o, a, b, c, NULL); }

/* A semicolon file behind two lines of preamble, word labels with NA and
 * an empty cell, a regression target standardised: the run trains, and
 * config.json says how the file was read (the separator found, the label
 * of each class index, the training statistics); the mse in summary.json
 * is in the original units. */
static void test_e2e_data_csv_options(void **state)
{
    (void)state;
    char csv[8192];
    size_t w = (size_t)snprintf(csv, sizeof csv, "exported by a spreadsheet\n\"rows: 60\"\nx1;x2;sky;temp\n");
    static const char *const sky[] = {"sun", "rain", "fog"};
    for (int i = 0; i < 60; i++) {
        double x1 = (i % 10) * 0.3, x2 = (i % 7) - 3.0;
        const char *label = i == 5 ? "NA" : i == 6 ? "" : sky[i % 3];
        w += (size_t)snprintf(csv + w, sizeof csv - w, "%.2f;%.1f;%s;%.3f\n", x1, x2, label, 100 + 20 * x1 - 3 * x2);
    }
    e2e_write("sky.csv", csv);
    e2e_write("sky.lua",
              "local mtl = require 'mtl'\n"
              "return mtl.experiment { name = 'sky',\n"
              "  data = mtl.data.csv { path = 'sky.csv', skip = 2, inputs = { 'x1', 'x2' },\n"
              "    targets = { 'sky', 'temp' }, standardize_targets = true, val = 10, test = 10 },\n"
              "  tasks = { mtl.task.classify { name = 'sky' }, mtl.task.regress { name = 'temp' } },\n"
              "  topology = mtl.share.hard { trunk = { 8 } },\n"
              "  optim = mtl.optim.adam { lr = 0.01 },\n"
              "  train = { batch = 8, epochs = 5, seed = 2 } }\n");
    char *out = NULL, *err = NULL;
    int rc = e2e_run("run sky.lua --out sky --quiet", &out, &err);
    if (rc) fprintf(stderr, "%s\n%s\n", out ? out : "", err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);
    char p[700];
    snprintf(p, sizeof p, "%s/sky/config.json", e2e_tmpdir());
    cJSON *cfg = e2e_read_json(p);
    assert_string_equal(at(cfg, "data", "params", "sep")->valuestring, ";");
    assert_int_equal((int)num(cfg, "data", "params", "skip"), 2);
    const cJSON *labels = at(cfg, "data", "labels", "sky");
    assert_int_equal(cJSON_GetArraySize(labels), 3);
    static const char *const sorted[] = {"fog", "rain", "sun"};
    for (int k = 0; k < 3; k++) assert_string_equal(cJSON_GetArrayItem(labels, k)->valuestring, sorted[k]);
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(cfg, "tasks");
    assert_string_equal(at(cJSON_GetArrayItem(tasks, 0), "kind", NULL, NULL)->valuestring, "class");
    assert_int_equal((int)num(cJSON_GetArrayItem(tasks, 0), "classes", NULL, NULL), 3);
    double sd = num4(cfg, "data", "standardized_targets", "temp", "sd");
    double mean = num4(cfg, "data", "standardized_targets", "temp", "mean");
    assert_true(sd > 1 && mean > 90 && mean < 160); /* temp = 100 + 20 x1 - 3 x2 */
    assert_null(at(cfg, "data", "standardized_targets", "sky")); /* a class is left alone */
    cJSON_Delete(cfg);
    /* the loss is in z-score units, the mse in the original ones */
    snprintf(p, sizeof p, "%s/sky/summary.json", e2e_tmpdir());
    cJSON *sum = e2e_read_json(p);
    double loss = num(sum, "tasks", "temp", "test_loss"), mse = num(sum, "tasks", "temp", "test_metric");
    assert_true(fabs(mse - loss * sd * sd) <= 1e-4 * mse);
    cJSON_Delete(sum);
    /* mtlab check says what each class index stands for, and the scaling */
    char *chk = NULL;
    assert_int_equal(e2e_run("check sky.lua", &chk, NULL), 0);
    assert_non_null(strstr(chk, "labels 0 fog, 1 rain, 2 sun\n"));
    assert_non_null(strstr(chk, "standardised: mean "));
    free(chk);
    /* the rows ended with the missing labels (NA, empty) out of the counts:
     * 60 rows, 2 without a sky label */
    snprintf(p, sizeof p, "%s/sky/metrics.csv", e2e_tmpdir());
    char *m = e2e_read(p);
    assert_non_null(strstr(m, ",sky,2\n"));
    free(m);
}

/* A whitespace-separated file without a header (as Linnerud's): columns
 * named in the script, or by position; the separator given or found. */
static void test_e2e_data_csv_no_header(void **state)
{
    (void)state;
    char csv[4096];
    size_t w = 0;
    for (int i = 0; i < 40; i++)
        w += (size_t)snprintf(csv + w, sizeof csv - w, "%s%d  %d\t%d   %d\n", i % 2 ? " " : "", 150 + i, 30 + i % 9,
                              5 + i % 13, 60 - i % 17);
    e2e_write("lin.txt", csv);
    e2e_write("lin.lua",
              "local mtl = require 'mtl'\n"
              "local named = mtl.data.csv { path = 'lin.txt', header = false,\n"
              "  columns = { 'weight', 'waist', 'chins', 'jumps' }, inputs = { 'chins', 'jumps' },\n"
              "  targets = { 'weight', 'waist' }, standardize = true, standardize_targets = true }\n"
              "local byplace = mtl.data.csv { path = 'lin.txt', sep = ' ', header = false,\n"
              "  inputs = { '3', '4' }, targets = { '1' } }\n"
              "return { mtl.experiment { name = 'named', data = named,\n"
              "    tasks = { mtl.task.regress { name = 'weight' }, mtl.task.regress { name = 'waist' } },\n"
              "    topology = mtl.share.hard { trunk = { 4 } }, train = { batch = 8, epochs = 1 } },\n"
              "  mtl.experiment { name = 'by place', data = byplace,\n"
              "    tasks = { mtl.task.regress { name = 'w', target = '1' } },\n"
              "    topology = mtl.share.hard { trunk = { 4 } }, train = { batch = 8, epochs = 1 } } }\n");
    char *out = NULL, *err = NULL;
    int rc = e2e_run("run lin.lua --out lin --quiet", &out, &err);
    if (rc) fprintf(stderr, "%s\n%s\n", out ? out : "", err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);
    char p[700];
    snprintf(p, sizeof p, "%s/lin/01-named/config.json", e2e_tmpdir());
    cJSON *cfg = e2e_read_json(p);
    assert_string_equal(at(cfg, "data", "params", "sep")->valuestring, " ");
    assert_true(cJSON_IsFalse(at(cfg, "data", "params", "header")));
    assert_int_equal((int)num(cfg, "data", "examples", NULL), 40); /* the first line is a record */
    assert_non_null(at(cfg, "data", "standardized_targets", "waist"));
    /* the file's columns as named, and the inputs among them */
    const cJSON *cols = at(cfg, "data", "columns", NULL);
    assert_int_equal(cJSON_GetArraySize(cols), 4);
    assert_string_equal(cJSON_GetArrayItem(cols, 3)->valuestring, "jumps");
    const cJSON *ins = at(cfg, "data", "inputs", NULL);
    assert_int_equal(cJSON_GetArraySize(ins), 2);
    assert_string_equal(cJSON_GetArrayItem(ins, 0)->valuestring, "chins");
    cJSON_Delete(cfg);
    snprintf(p, sizeof p, "%s/lin/02-by-place/config.json", e2e_tmpdir());
    cfg = e2e_read_json(p);
    assert_int_equal((int)num(cfg, "data", "examples", NULL), 40);
    assert_string_equal(cJSON_GetArrayItem(at(cfg, "data", "columns", NULL), 0)->valuestring, "1");
    assert_string_equal(at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cfg, "tasks"), 0), "target", NULL, NULL)->valuestring,
                        "1");
    cJSON_Delete(cfg);
}

/* experiments/60_seattle_weather.lua: its claim held (written once, in the
 * script); here what the machinery must give on every run: the word
 * labels in sorted order, and the test mse in C^2 equal to the test loss
 * (z-score units) times the training sd squared. */
static void test_e2e_data_seattle_claims(void **state)
{
    (void)state;
    if (!e2e_exists(SEATTLE)) {
        print_message("test_e2e_data_seattle_claims: SKIPPED: %s is missing (python3-vega-datasets: sh scripts/setup.sh)\n",
                      SEATTLE);
        skip();
    }
    const char *top = e2e_claim_holds(MTLAB_ROOT, "60_seattle_weather", NULL, 0);
    for (int s = 1; s <= 5; s++) {
        char dir[800], p[900];
        snprintf(dir, sizeof dir, "%s/%02d-seattle-weather-s%d", top, s, s);
        snprintf(p, sizeof p, "%s/config.json", dir);
        cJSON *cfg = e2e_read_json(p);
        const cJSON *labels = at(cfg, "data", "labels", "weather");
        static const char *const sorted[] = {"drizzle", "fog", "rain", "snow", "sun"};
        assert_int_equal(cJSON_GetArraySize(labels), 5);
        for (int k = 0; k < 5; k++) assert_string_equal(cJSON_GetArrayItem(labels, k)->valuestring, sorted[k]);
        double sd = num4(cfg, "data", "standardized_targets", "temp_max", "sd");
        cJSON_Delete(cfg);
        snprintf(p, sizeof p, "%s/summary.json", dir);
        cJSON *sum = e2e_read_json(p);
        double mse = num(sum, "tasks", "temp_max", "test_metric"), loss = num(sum, "tasks", "temp_max", "test_loss");
        cJSON_Delete(sum);
        if (!(fabs(mse - loss * sd * sd) <= 1e-4 * mse))
            fail_msg("seed %d: mse %.6g is not loss %.6g x sd^2 %.6g", s, mse, loss, sd * sd);
    }
    /* PyTorch reads the same file the same way (separator, word labels,
     * standardised target) and gets the same test losses from the
     * checkpoint, where Debian's python3-torch is installed */
    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        print_message("test_e2e_data_seattle_claims: the PyTorch check SKIPPED: python3-torch is not installed\n");
        return;
    }
    char cmd[2048], log[700];
    snprintf(log, sizeof log, "%s/torch.txt", e2e_tmpdir());
    snprintf(cmd, sizeof cmd,
             "cd '%s' && /usr/bin/python3 '%s/scripts/torch_load_checkpoint.py' 01-seattle-weather-s1 >'%s' 2>&1", top,
             MTLAB_ROOT, log);
    int prc = system(cmd);
    char *text = e2e_read(log);
    if (prc != 0 || !text || !strstr(text, "the losses agree")) fail_msg("torch_load_checkpoint.py:\n%s", text ? text : "");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_data_csv_options),
        cmocka_unit_test(test_e2e_data_csv_no_header),
        cmocka_unit_test(test_e2e_data_seattle_claims),
    };
    return cmocka_run_group_tests_name("e2e data", tests, NULL, e2e_teardown);
}
