/* test_e2e_run.c - `mtlab run` and `mtlab check` end to end: the files of a
 * run directory and their contents, every class of error with its message,
 * reproducibility, baselines and delta_m, interruption. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <math.h>
#include <signal.h>

#include "e2e_util.h"

/* Two tasks on blobs: a 3-class label and a regression of the distance. */
#define BLOBS_DATA                                                              \
    "math.randomseed(7)\n"                                                      \
    "local data = mtl.data.generate { n = 600, val = 100, test = 100,\n"        \
    "  fn = function(i)\n"                                                      \
    "    local c = math.fmod(i, 3)\n"                                                   \
    "    local x = { math.random() + c, math.random() - c, math.random() }\n"   \
    "    return x, { cls = c, dist = x[1] * 0.5 + x[3] }\n"                     \
    "  end, types = { cls = 'class', dist = 'regress' } }\n"

static const char *blobs_script(const char *name, const char *extra_train, const char *extra)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "local mtl = require 'mtl'\n" BLOBS_DATA
             "return mtl.experiment {\n"
             "  name = 'blobs',\n"
             "  data = data,\n"
             "  tasks = { mtl.task.classify { name = 'cls' },\n"
             "            mtl.task.regress { name = 'dist' } },\n"
             "  topology = mtl.share.hard { trunk = { 16 }, head = { 8 } },\n"
             "  optim = mtl.optim.adam { lr = 0.01 },\n"
             "  train = { batch = 32, epochs = 3, seed = 3 %s },\n"
             "  %s\n"
             "}\n",
             extra_train, extra);
    return e2e_write(name, buf);
}

static cJSON *read_json(const char *path)
{
    char *s = e2e_read(path);
    assert_non_null(s);
    cJSON *o = cJSON_Parse(s);
    free(s);
    assert_non_null(o);
    return o;
}

static double jnum(const cJSON *o, const char *a, const char *b, const char *c)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (c) x = cJSON_GetObjectItemCaseSensitive(x, c);
    assert_true(cJSON_IsNumber(x));
    return x->valuedouble;
}

static void test_e2e_run_writes_every_file(void **state)
{
    (void)state;
    const char *s = blobs_script("ok.lua", "", "");
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "run '%s' --out run_ok", s);
    int rc = e2e_run(args, &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "blobs"));
    assert_non_null(strstr(out, "cls"));
    free(out);
    free(err);
    char p[600];
    const char *files[] = {"config.json", "metrics.csv", "events.jsonl", "relations.jsonl", "summary.json",
                           "checkpoint.safetensors"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/run_ok/%s", e2e_tmpdir(), files[i]);
        assert_true(e2e_exists(p));
    }
    /* metrics.csv: header, then (train, val) x 2 tasks per epoch, plus test */
    snprintf(p, sizeof p, "%s/run_ok/metrics.csv", e2e_tmpdir());
    char *m = e2e_read(p);
    assert_true(strncmp(m, "step,epoch,split,task,loss,metric,weight\n", 41) == 0);
    assert_int_equal(count_lines(m), 1 + 3 * 4 + 2);
    assert_non_null(strstr(m, "\n39,3,test,cls,")); /* epochs count from 1: step 39 ends epoch 3 */
    assert_non_null(strstr(m, "\n13,1,val,cls,"));
    /* every row has 7 fields and finite numbers */
    char *line = strchr(m, '\n') + 1;
    while (*line) {
        int commas = 0;
        char *e = strchr(line, '\n');
        for (char *q = line; q < e; q++) commas += *q == ',';
        assert_int_equal(commas, 6);
        line = e + 1;
    }
    free(m);
    /* summary: per-task val/test loss and metric, consistent with metrics.csv */
    snprintf(p, sizeof p, "%s/run_ok/summary.json", e2e_tmpdir());
    cJSON *sum = read_json(p);
    assert_string_equal(cJSON_GetObjectItem(sum, "status")->valuestring, "finished");
    double acc = jnum(sum, "tasks", "cls", "test_metric");
    assert_true(acc > 0.6 && acc <= 1.0); /* separable blobs */
    assert_true(jnum(sum, "tasks", "dist", "test_loss") < 1.0);
    assert_true(jnum(sum, "steps", NULL, NULL) == 3 * 13); /* 400 train / 32 -> 13 batches */
    assert_true(jnum(sum, "samples_per_s", NULL, NULL) > 0);
    assert_true(jnum(sum, "params", "shared", NULL) == 3 * 16 + 16);
    cJSON_Delete(sum);
    /* config: the resolved experiment, defaults included */
    snprintf(p, sizeof p, "%s/run_ok/config.json", e2e_tmpdir());
    cJSON *cfg = read_json(p);
    assert_true(jnum(cfg, "train", "batch", NULL) == 32);
    assert_true(jnum(cfg, "optim", "beta2", NULL) > 0.998);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "weighting"), "method")->valuestring, "equal");
    assert_true(jnum(cfg, "data", "train", NULL) == 400);
    cJSON_Delete(cfg);
    /* relations: a 2x2 cosine matrix with unit diagonal */
    snprintf(p, sizeof p, "%s/run_ok/relations.jsonl", e2e_tmpdir());
    char *r = e2e_read(p);
    cJSON *first = cJSON_Parse(r);
    assert_non_null(first);
    assert_string_equal(cJSON_GetObjectItem(first, "name")->valuestring, "grad cosine");
    assert_true(jnum(first, "step", NULL, NULL) == 1); /* the step whose batch it measured */
    cJSON *v = cJSON_GetObjectItem(first, "values");
    assert_true(fabs(cJSON_GetArrayItem(cJSON_GetArrayItem(v, 0), 0)->valuedouble - 1.0) < 1e-6);
    double off = cJSON_GetArrayItem(cJSON_GetArrayItem(v, 0), 1)->valuedouble;
    assert_true(off >= -1.0 && off <= 1.0);
    cJSON_Delete(first);
    free(r);
}

static void test_e2e_run_is_reproducible(void **state)
{
    (void)state;
    const char *s = blobs_script("repro.lua", "", "");
    char args[1024];
    snprintf(args, sizeof args, "run '%s' --out rep1 -q", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    snprintf(args, sizeof args, "run '%s' --out rep2 -q", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    snprintf(args, sizeof args, "run '%s' --out rep3 -q --seed 4", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    char p[600];
    snprintf(p, sizeof p, "%s/rep1/metrics.csv", e2e_tmpdir());
    char *a = e2e_read(p);
    snprintf(p, sizeof p, "%s/rep2/metrics.csv", e2e_tmpdir());
    char *b = e2e_read(p);
    snprintf(p, sizeof p, "%s/rep3/metrics.csv", e2e_tmpdir());
    char *c = e2e_read(p);
    assert_string_equal(a, b);
    assert_true(strcmp(a, c) != 0); /* another seed, other numbers */
    free(a);
    free(b);
    free(c);
}

/* Runs a script expected to fail with exit code `code` and a stderr that
 * contains every needle. */
static void expect_error(const char *name, const char *script, const char *extra_args, int code,
                         const char *const *needles)
{
    const char *s = e2e_write(name, script);
    char args[1024], *err;
    snprintf(args, sizeof args, "run '%s' --out err_%s %s", s, name, extra_args);
    int rc = e2e_run(args, NULL, &err);
    for (const char *const *n = needles; *n; n++) {
        if (!strstr(err, *n)) fprintf(stderr, "missing \"%s\" in:\n%s\n", *n, err);
        assert_non_null(strstr(err, *n));
    }
    assert_int_equal(rc, code);
    free(err);
}

static void test_e2e_error_syntax(void **state)
{
    (void)state;
    const char *needles[] = {"syntax.lua:3:", "expected", NULL};
    expect_error("syntax.lua", "local mtl = require 'mtl'\nlocal x = {\nreturn = 3\n", "", 2, needles);
}

static void test_e2e_error_bad_field(void **state)
{
    (void)state;
    const char *needles[] = {"badfield.lua:", "tasks[2].classes: expected a positive integer, got \"ten\"", NULL};
    expect_error("badfield.lua",
                 "local mtl = require 'mtl'\n" BLOBS_DATA
                 "return mtl.experiment { data = data,\n"
                 "  tasks = { mtl.task.classify { name = 'cls' },\n"
                 "            mtl.task.classify { name = 'c2', target = 'cls', classes = 'ten' } } }\n",
                 "", 2, needles);
}

static void test_e2e_error_unknown_field_suggests(void **state)
{
    (void)state;
    const char *needles[] = {"train.epohcs: unknown field (did you mean 'epochs'?)", NULL};
    expect_error("typo.lua",
                 "local mtl = require 'mtl'\n" BLOBS_DATA
                 "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'cls' } },\n"
                 "  train = { epohcs = 2 } }\n",
                 "", 2, needles);
}

static void test_e2e_error_undefined_global(void **state)
{
    (void)state;
    const char *needles[] = {"global.lua:2:", "undefined global 'mtl_typo'", "traceback", NULL};
    expect_error("global.lua", "local mtl = require 'mtl'\nlocal x = mtl_typo.data\n", "", 2, needles);
}

static void test_e2e_error_callback(void **state)
{
    (void)state;
    const char *needles[] = {"on_step callback", "cb.lua:", "attempt to", NULL};
    char script[4096];
    snprintf(script, sizeof script,
             "local mtl = require 'mtl'\n" BLOBS_DATA
             "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'cls' } },\n"
             "  on_step = function(run, step)\n"
             "    if step == 5 then return nil + 1 end\n"
             "  end }\n");
    expect_error("cb.lua", script, "", 2, needles);
}

static void test_e2e_error_nan_keeps_metrics(void **state)
{
    (void)state;
    /* a regression target of 1e30 overflows the squared error */
    const char *needles[] = {"task 'big': loss is", "at step 1", "diverged", NULL};
    expect_error("nan.lua",
                 "local mtl = require 'mtl'\n"
                 "local d = mtl.data.generate { n = 100, fn = function(i)\n"
                 "  return { i / 100 }, { big = 1e30 * (i % 2) } end, types = { big = 'regress' } }\n"
                 "return mtl.experiment { data = d, tasks = { mtl.task.regress { name = 'big' } },\n"
                 "  train = { batch = 10, epochs = 1 } }\n",
                 "", 1, needles);
    char p[600];
    snprintf(p, sizeof p, "%s/err_nan.lua/summary.json", e2e_tmpdir());
    cJSON *sum = read_json(p);
    assert_string_equal(cJSON_GetObjectItem(sum, "status")->valuestring, "diverged");
    assert_non_null(strstr(cJSON_GetObjectItem(sum, "message")->valuestring, "'big'"));
    cJSON_Delete(sum);
    snprintf(p, sizeof p, "%s/err_nan.lua/checkpoint.safetensors", e2e_tmpdir());
    assert_true(e2e_exists(p));
    snprintf(p, sizeof p, "%s/err_nan.lua/events.jsonl", e2e_tmpdir());
    char *ev = e2e_read(p);
    assert_non_null(strstr(ev, "\"event\":\"diverged\""));
    free(ev);
}

static void test_e2e_error_bad_set(void **state)
{
    (void)state;
    const char *s = blobs_script("set.lua", "", "");
    char args[1024], *err;
    snprintf(args, sizeof args, "run '%s' --set train.batch=zero", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "train.batch: expected a positive integer, got \"zero\""));
    free(err);
    /* an error in a field an override set is the override's */
    snprintf(args, sizeof args, "run '%s' --set train.epoch=2", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "--set train.epoch=2: train.epoch: unknown field (did you mean 'epochs'?)"));
    free(err);
    snprintf(args, sizeof args, "run '%s' --set 'tasks[3].weight=0.5'", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "--set tasks[3].weight=0.5: 'tasks' has 2 entries, there is no [3]"));
    free(err);
    /* lists as Lua constructors, and optim=NAME keeps optim.lr */
    char *out;
    snprintf(args, sizeof args, "check '%s' --set 'topology.trunk={12, 6}' --set optim.lr=0.5 --set optim=sgd", s);
    assert_int_equal(e2e_run(args, &out, &err), 0);
    assert_non_null(strstr(out, "trunk.1  dense 6"));
    assert_non_null(strstr(out, "optim     sgd lr 0.5"));
    free(out);
    free(err);
    snprintf(args, sizeof args, "check '%s' --set 'topology.trunk={12, x}'", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "--set topology.trunk={12, x}: a --set table holds data, not code: expected a number, "
                                "a quoted string, true, false or a table (for a string, write \"x\") at character 6 "
                                "of the value, found 'x}'"));
    free(err);
    /* a table value is data: code in it never runs (this one would hang) */
    snprintf(args, sizeof args, "check '%s' --set 'train={(function() while true do end end)()}'", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "at character 2 of the value, found '(function() ...'"));
    free(err);
    /* integers that overflow are errors naming the field's range, not saturated */
    snprintf(args, sizeof args, "check '%s' --set train.epochs=99999999999999999999", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "--set train.epochs=99999999999999999999: train.epochs: expected an integer in "
                                "1..1000000, got 1e+20"));
    free(err);
    snprintf(args, sizeof args, "run '%s' --set nonsense", s);
    assert_int_equal(e2e_run(args, NULL, &err), 2);
    assert_non_null(strstr(err, "--set nonsense: expected key=value"));
    free(err);
    snprintf(args, sizeof args,
             "run '%s' --set train.epochs=2 --set weighting=static --set 'tasks[2].weight=0.5' --out set_ok -q", s);
    assert_int_equal(e2e_run(args, NULL, &err), 0);
    free(err);
    char p[600];
    snprintf(p, sizeof p, "%s/set_ok/summary.json", e2e_tmpdir());
    cJSON *sum = read_json(p);
    assert_true(jnum(sum, "steps", NULL, NULL) == 26);
    cJSON_Delete(sum);
    /* the "loss weights" matrix: tasks x evaluations, labelled by step */
    snprintf(p, sizeof p, "%s/set_ok/relations.jsonl", e2e_tmpdir());
    char *rel = e2e_read(p), *last = NULL;
    for (char *q = strstr(rel, "\"name\":\"loss weights\""); q; q = strstr(q + 1, "\"name\":\"loss weights\""))
        last = q;
    assert_non_null(last);
    while (last > rel && last[-1] != '\n') last--;
    char *nl = strchr(last, '\n');
    if (nl) *nl = '\0';
    cJSON *m = cJSON_Parse(last);
    assert_non_null(m);
    assert_true(jnum(m, "cols", NULL, NULL) == 2);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "col_labels"), 1)->valuestring, "26");
    cJSON *vals = cJSON_GetObjectItem(m, "values");
    assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(vals, 0), 1)->valuedouble == 1.0);
    assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(vals, 1), 1)->valuedouble == 0.5);
    cJSON_Delete(m);
    free(rel);
}

static void test_e2e_check_prints_topology(void **state)
{
    (void)state;
    const char *s = blobs_script("check.lua", "", "");
    char args[1024], *out;
    snprintf(args, sizeof args, "check '%s'", s);
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    assert_non_null(strstr(out, "trunk.0  dense 16"));
    assert_non_null(strstr(out, "+--> cls: dense 8 -> out 3"));
    assert_non_null(strstr(out, "+--> dist: dense 8 -> out 1"));
    /* shared: 3*16+16 = 64; cls head: 16*8+8 + 8*3+3 = 163; dist: 136+9 = 145 */
    assert_non_null(strstr(out, "params    372 total, 64 shared, cls 163, dist 145"));
    free(out);
}

static void test_e2e_several_experiments_and_baselines(void **state)
{
    (void)state;
    const char *s = e2e_write("two.lua",
                              "local mtl = require 'mtl'\n" BLOBS_DATA
                              "local base = mtl.experiment { name = 'equal', data = data,\n"
                              "  tasks = { mtl.task.classify { name = 'cls' }, mtl.task.regress { name = 'dist' } },\n"
                              "  topology = mtl.share.hard { trunk = { 16 } },\n"
                              "  optim = mtl.optim.adam { lr = 0.01 },\n"
                              "  train = { batch = 32, epochs = 2, baselines = true } }\n"
                              "return { base, mtl.variant(base, { name = 'static', weighting = 'static' }) }\n");
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "run '%s' --out two", s);
    assert_int_equal(e2e_run(args, &out, &err), 0);
    assert_non_null(strstr(out, "delta_m"));
    free(out);
    /* the second experiment's single-task models are the first's */
    assert_non_null(strstr(err, "static: single-task baselines reused"));
    free(err);
    char p[600];
    snprintf(p, sizeof p, "%s/two/01-equal/summary.json", e2e_tmpdir());
    cJSON *sum = read_json(p);
    /* delta_m from the summary's own numbers: accuracy up is good, mse down is good */
    double a = jnum(sum, "tasks", "cls", "test_metric"), ab = jnum(sum, "tasks", "cls", "single_task_metric");
    double m = jnum(sum, "tasks", "dist", "test_metric"), mb = jnum(sum, "tasks", "dist", "single_task_metric");
    double expect = 100.0 * ((a - ab) / ab - (m - mb) / mb) / 2.0;
    assert_true(fabs(jnum(sum, "delta_m_percent", NULL, NULL) - expect) < 1e-6 * (1 + fabs(expect)));
    cJSON_Delete(sum);
    snprintf(p, sizeof p, "%s/two/02-static/summary.json", e2e_tmpdir());
    assert_true(e2e_exists(p));
    /* a second run into the same directory (--force) reuses the cached baselines */
    snprintf(args, sizeof args, "run '%s' --out two --force", s);
    assert_int_equal(e2e_run(args, NULL, &err), 0);
    assert_non_null(strstr(err, "baselines reused"));
    free(err);
    /* ... but not after a setting that changes what they learn */
    snprintf(args, sizeof args, "run '%s' --out two --force --set optim.weight_decay=0.001", s);
    assert_int_equal(e2e_run(args, NULL, &err), 0);
    assert_null(strstr(err, "equal: single-task baselines reused"));
    free(err);
}

static void test_e2e_sigint_stops_cleanly(void **state)
{
    (void)state;
    /* a callback that spins forever: SIGINT must interrupt it */
    char script[4096];
    snprintf(script, sizeof script,
             "local mtl = require 'mtl'\n" BLOBS_DATA
             "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'cls' } },\n"
             "  train = { epochs = 1000 },\n"
             "  on_step = function(run, step) if step == 3 then while true do end end end }\n");
    const char *s = e2e_write("spin.lua", script);
    char cmd[2048], cwd[400];
    if (!getcwd(cwd, sizeof cwd)) abort();
    const char *bin = e2e_binary();
    snprintf(cmd, sizeof cmd,
             /* poll for the run folder's config.json (written just before the
              * first step) instead of a fixed sleep: a loaded machine can take
              * longer than any sleep to get there */
             "cd '%s' && { '%s%s%s' run '%s' --out spin >/dev/null 2>spin.err & pid=$!; i=0; "
             "while [ ! -s spin/config.json ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; sleep 0.5; "
             "kill -INT $pid; wait $pid; echo $? > spin.rc; }",
             e2e_tmpdir(), bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin, s);
    assert_int_equal(system(cmd), 0);
    char p[600];
    snprintf(p, sizeof p, "%s/spin.rc", e2e_tmpdir());
    char *rc = e2e_read(p);
    assert_int_equal(atoi(rc), 1);
    free(rc);
    snprintf(p, sizeof p, "%s/spin.err", e2e_tmpdir());
    char *err = e2e_read(p);
    assert_non_null(strstr(err, "interrupted"));
    free(err);
    snprintf(p, sizeof p, "%s/spin/summary.json", e2e_tmpdir());
    cJSON *sum = read_json(p);
    assert_string_equal(cJSON_GetObjectItem(sum, "status")->valuestring, "interrupted");
    cJSON_Delete(sum);
    snprintf(p, sizeof p, "%s/spin/metrics.csv", e2e_tmpdir());
    assert_true(e2e_exists(p));
}

/* --load starts from a checkpoint: with a learning rate of ~0 the loaded
 * model's test loss is the saved model's; a mismatched checkpoint is a
 * clear error. */
static void test_e2e_load_checkpoint(void **state)
{
    (void)state;
    const char *s = blobs_script("load.lua", "", "");
    char args[1024], *err;
    snprintf(args, sizeof args, "run '%s' --out load_a -q", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    snprintf(args, sizeof args, "run '%s' --out load_b -q --load load_a/checkpoint.safetensors --set train.epochs=1 --set optim.lr=1e-12", s);
    assert_int_equal(e2e_run(args, NULL, &err), 0);
    free(err);
    char p[600];
    snprintf(p, sizeof p, "%s/load_a/summary.json", e2e_tmpdir());
    cJSON *a = read_json(p);
    snprintf(p, sizeof p, "%s/load_b/summary.json", e2e_tmpdir());
    cJSON *b = read_json(p);
    double la = jnum(a, "tasks", "cls", "test_loss"), lb = jnum(b, "tasks", "cls", "test_loss");
    assert_true(fabs(la - lb) < 1e-4 * (1 + la));
    double fresh;
    cJSON_Delete(a);
    cJSON_Delete(b);
    /* the same budget from scratch is much worse than the loaded model */
    snprintf(args, sizeof args, "run '%s' --out load_c -q --set train.epochs=1 --set optim.lr=1e-12", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    snprintf(p, sizeof p, "%s/load_c/summary.json", e2e_tmpdir());
    cJSON *c = read_json(p);
    fresh = jnum(c, "tasks", "cls", "test_loss");
    cJSON_Delete(c);
    assert_true(fresh > lb + 0.1);
    /* another network's checkpoint */
    snprintf(args, sizeof args, "run '%s' --out load_d -q --load load_a/checkpoint.safetensors --set topology.trunk=32", s);
    assert_int_equal(e2e_run(args, NULL, &err), 1);
    assert_non_null(strstr(err, "load_a/checkpoint.safetensors"));
    assert_non_null(strstr(err, "trunk.0.weight"));
    free(err);
}

/* experiments/01's claim: hard sharing is on par with the single-task
 * baselines on 1000 Fashion-MNIST images (delta_m > -2%), with both tasks
 * well above chance. Skipped without Debian's dataset-fashion-mnist. */
static void test_e2e_experiment_01_claim(void **state)
{
    (void)state;
    if (!e2e_exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) skip();
    char cwd[400], args[1024], *out;
    if (!getcwd(cwd, sizeof cwd)) abort();
    snprintf(args, sizeof args, "run '%s/experiments/01_hard_sharing_fashion.lua' --out e01 -q", cwd);
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    free(out);
    char p[600];
    snprintf(p, sizeof p, "%s/e01/summary.json", e2e_tmpdir());
    cJSON *sum = read_json(p);
    double dm = jnum(sum, "delta_m_percent", NULL, NULL);
    fprintf(stderr, "  01: delta_m %.2f%%\n", dm);
    assert_true(dm > -2.0);
    assert_true(jnum(sum, "tasks", "item", "test_metric") > 0.7);
    assert_true(jnum(sum, "tasks", "group", "test_metric") > 0.9);
    cJSON_Delete(sum);
}

static void test_e2e_help_and_version(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(e2e_run("--help", &out, NULL), 0);
    assert_non_null(strstr(out, "mtlab run SCRIPT.lua"));
    assert_non_null(strstr(out, "--set KEY=VALUE"));
    free(out);
    assert_int_equal(e2e_run("--version", &out, NULL), 0);
    assert_non_null(strstr(out, "mtlab "));
    free(out);
    char *err;
    assert_int_equal(e2e_run("run /nonexistent/x.lua", NULL, &err), 2);
    assert_non_null(strstr(err, "/nonexistent/x.lua: cannot read the script"));
    free(err);
}

static int teardown_all(void **state)
{
    (void)state;
    e2e_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_run_writes_every_file),
        cmocka_unit_test(test_e2e_run_is_reproducible),
        cmocka_unit_test(test_e2e_error_syntax),
        cmocka_unit_test(test_e2e_error_bad_field),
        cmocka_unit_test(test_e2e_error_unknown_field_suggests),
        cmocka_unit_test(test_e2e_error_undefined_global),
        cmocka_unit_test(test_e2e_error_callback),
        cmocka_unit_test(test_e2e_error_nan_keeps_metrics),
        cmocka_unit_test(test_e2e_error_bad_set),
        cmocka_unit_test(test_e2e_check_prints_topology),
        cmocka_unit_test(test_e2e_several_experiments_and_baselines),
        cmocka_unit_test(test_e2e_sigint_stops_cleanly),
        cmocka_unit_test(test_e2e_load_checkpoint),
        cmocka_unit_test(test_e2e_experiment_01_claim),
        cmocka_unit_test(test_e2e_help_and_version),
    };
    return cmocka_run_group_tests_name("e2e run", tests, NULL, teardown_all);
}
