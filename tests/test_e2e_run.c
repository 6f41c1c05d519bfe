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
#define BLOBS_DATA E2E_BLOBS_DATA(600, 100, 100)

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
    e2e_no_trailing_blanks(out, "report without baselines");
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
    assert_true(strncmp(m, "step,epoch,split,task,loss,metric,weight,experiment,seed\n", 57) == 0);
    assert_int_equal(count_lines(m), 1 + 3 * 4 + 2);
    assert_non_null(strstr(m, "\n39,3,test,cls,")); /* epochs count from 1: step 39 ends epoch 3 */
    assert_non_null(strstr(m, "\n13,1,val,cls,"));
    assert_non_null(strstr(m, ",blobs,3\n")); /* the experiment and the seed end every row */
    /* every row has 9 fields and finite numbers */
    char *line = strchr(m, '\n') + 1;
    while (*line) {
        int commas = 0;
        char *e = strchr(line, '\n');
        for (char *q = line; q < e; q++) commas += *q == ',';
        assert_int_equal(commas, 8);
        line = e + 1;
    }
    free(m);
    /* summary: per-task val/test loss and metric, consistent with metrics.csv */
    snprintf(p, sizeof p, "%s/run_ok/summary.json", e2e_tmpdir());
    cJSON *sum = e2e_read_json(p);
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
    cJSON *cfg = e2e_read_json(p);
    assert_true(jnum(cfg, "train", "batch", NULL) == 32);
    assert_true(jnum(cfg, "optim", "beta2", NULL) > 0.998);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "weighting"), "method")->valuestring, "equal");
    assert_true(jnum(cfg, "data", "train", NULL) == 400);
    cJSON_Delete(cfg);
    /* events: the validation losses keyed by task name, no positional arrays */
    snprintf(p, sizeof p, "%s/run_ok/events.jsonl", e2e_tmpdir());
    char *ev = e2e_read(p);
    assert_non_null(ev);
    const char *eval = strstr(ev, "{\"event\":\"eval\"");
    assert_non_null(eval);
    cJSON *eo = cJSON_ParseWithOpts(eval, NULL, 0);
    assert_non_null(eo);
    const cJSON *vl = cJSON_GetObjectItemCaseSensitive(eo, "val_loss");
    assert_true(cJSON_IsObject(vl));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(vl, "cls")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(vl, "dist")));
    cJSON_Delete(eo);
    free(ev);
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
    cJSON *sum = e2e_read_json(p);
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
    cJSON *sum = e2e_read_json(p);
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
    e2e_no_trailing_blanks(out, "report with baselines");
    free(out);
    /* the second experiment's single-task models are the first's */
    assert_non_null(strstr(err, "static: single-task baselines reused"));
    free(err);
    char p[600];
    snprintf(p, sizeof p, "%s/two/01-equal/summary.json", e2e_tmpdir());
    cJSON *sum = e2e_read_json(p);
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
    cJSON *sum = e2e_read_json(p);
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
    cJSON *a = e2e_read_json(p);
    snprintf(p, sizeof p, "%s/load_b/summary.json", e2e_tmpdir());
    cJSON *b = e2e_read_json(p);
    double la = jnum(a, "tasks", "cls", "test_loss"), lb = jnum(b, "tasks", "cls", "test_loss");
    assert_true(fabs(la - lb) < 1e-4 * (1 + la));
    double fresh;
    cJSON_Delete(a);
    cJSON_Delete(b);
    /* the same budget from scratch is much worse than the loaded model */
    snprintf(args, sizeof args, "run '%s' --out load_c -q --set train.epochs=1 --set optim.lr=1e-12", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    snprintf(p, sizeof p, "%s/load_c/summary.json", e2e_tmpdir());
    cJSON *c = e2e_read_json(p);
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

/* experiments/01's claim (in the script). Skipped without Debian's
 * dataset-fashion-mnist. */
static void test_e2e_experiment_01_claim(void **state)
{
    (void)state;
    if (!e2e_exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) skip();
    char cwd[400];
    if (!getcwd(cwd, sizeof cwd)) abort();
    e2e_claim_holds(cwd, "01_hard_sharing_fashion", NULL, 0);
}

/* experiments/00's claim, on a tenth of its steps (the tour runs 200000
 * to be watched; the conflict fractions settle within 20000). */
static void test_e2e_experiment_00_claim(void **state)
{
    (void)state;
    char cwd[400];
    if (!getcwd(cwd, sizeof cwd)) abort();
    e2e_claim_holds(cwd, "00_workbench_tour", "--set train.steps=20000", 0);
}

/* Every script in experiments/ declares a claim (mtlab check lists it). */
static void test_e2e_every_experiment_declares_a_claim(void **state)
{
    (void)state;
    char cwd[400], cmd[1200];
    if (!getcwd(cwd, sizeof cwd)) abort();
    snprintf(cmd, sizeof cmd, "ls '%s/experiments/'*.lua > '%s/scripts.txt'", cwd, e2e_tmpdir());
    assert_int_equal(system(cmd), 0);
    char p[700];
    snprintf(p, sizeof p, "%s/scripts.txt", e2e_tmpdir());
    char *list = e2e_read(p);
    assert_non_null(list);
    int n = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char args[1200], *out = NULL;
        snprintf(args, sizeof args, "check '%s'", line);
        int rc = e2e_run(args, &out, NULL);
        /* a script whose data set is not installed cannot be checked */
        if (rc == 2 &&
            (((strstr(line, "01_hard_sharing") || strstr(line, "26_mtan")) &&
              !e2e_exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) ||
             (strstr(line, "60_seattle_weather") &&
              !e2e_exists("/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv")))) {
            free(out);
            continue;
        }
        if (rc != 0 || !out || !strstr(out, "\nclaim (") || !strstr(out, "--claims-thorough"))
            fail_msg("%s declares no claim (mtlab check: exit %d)\n%s", line, rc, out ? out : "");
        free(out);
        n++;
    }
    free(list);
    assert_true(n >= 38);
}

/* The claim machinery on a small script: results by index and by name,
 * a measure with a median and a margin, the verdict lines, claims.json,
 * the lone run's summary.json, exit 3, an error in a check naming its
 * line, a claim not checked with --experiment, and --claims-thorough's
 * interval recomputed here from the per-run values. */
static void test_e2e_claims_machinery(void **state)
{
    (void)state;
    const char *body =
        "local mtl = require 'mtl'\n"
        "math.randomseed(mtl.data_seed(5))\n"
        "local rows = {}\n"
        "for i = 1, 200 do local x = math.random() rows[i] = { x = { x, 1 - x }, y = 2 * x } end\n"
        "local data = mtl.data.generate { n = 200, fn = function(i) return rows[i].x, { y = rows[i].y } end,\n"
        "  types = { y = 'regress' } }\n"
        "local function exp(name) return mtl.experiment { name = name, data = data,\n"
        "  tasks = { mtl.task.regress { name = 'y' } }, topology = mtl.share.hard { trunk = { 4 } },\n"
        "  train = { batch = 20, epochs = 2 } } end\n"
        "return { exp('one'), exp('two'),\n"
        "  claim = { text = 'CLAIMTEXT',\n"
        "    check = function(r) return r[1] == r.one and r[2] == r.two and r.one.index == 1\n"
        "      and r.one.config.train.batch == 20 and r.two.status == 'finished', 'indexed alike' end,\n"
        "    measure = function(r) return { r.one.tasks.y.test_loss + 10, 5, 3 } end, statistic = 'median', above = 2,\n"
        "    seeds = { 1, 2 }, draws = { 0, 1 } } }\n";
    const char *script = e2e_write("claims.lua", body);
    char args[1200], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "run '%s' --out cl -q", script);
    assert_int_equal(e2e_run(args, &out, &err), 0);
    assert_non_null(strstr(out, "claim held: indexed alike; median of 3 = 5 > 2\n"));
    free(out);
    free(err);
    char p[700];
    snprintf(p, sizeof p, "%s/cl/claims.json", e2e_tmpdir());
    cJSON *c = e2e_read_json(p);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c, "held")));
    const cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "claims"), 0);
    assert_string_equal(cJSON_GetObjectItem(k, "text")->valuestring, "CLAIMTEXT");
    assert_true(jnum(k, "value", NULL, NULL) == 5);
    /* the first measured value is the summary's test loss (+ 10), as Lua read it */
    snprintf(p, sizeof p, "%s/cl/01-one/summary.json", e2e_tmpdir());
    cJSON *sum = e2e_read_json(p);
    assert_true(fabs(cJSON_GetArrayItem(cJSON_GetObjectItem(k, "values"), 0)->valuedouble -
                     (jnum(sum, "tasks", "y", "test_loss") + 10)) < 1e-12);
    cJSON_Delete(sum);
    cJSON_Delete(c);

    /* --experiment: one of two ran, the claim is not checked (exit 0) */
    snprintf(args, sizeof args, "run '%s' --out cl1 -q --experiment 2", script);
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    assert_non_null(strstr(out, "claim not checked: --experiment ran 1 of the script's 2 experiments"));
    free(out);

    /* a failing claim on a lone run: exit 3, in its summary.json too */
    const char *fail = e2e_write("claimfail1.lua",
        "local mtl = require 'mtl'\n"
        "return mtl.experiment { name = 'lone', data = mtl.data.generate { n = 50,\n"
        "  fn = function(i) return { i % 5 }, { y = i % 5 } end, types = { y = 'regress' } },\n"
        "  tasks = { mtl.task.regress { name = 'y' } }, train = { epochs = 1 },\n"
        "  claim = { text = 'never', check = function(r) return r.lone.tasks.y.test_loss < -1, 'no loss is negative' end } }\n");
    snprintf(args, sizeof args, "run '%s' --out clf -q", fail);
    assert_int_equal(e2e_run(args, &out, NULL), 3);
    assert_non_null(strstr(out, "claim FAILED: no loss is negative"));
    free(out);
    snprintf(p, sizeof p, "%s/clf/summary.json", e2e_tmpdir());
    sum = e2e_read_json(p);
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(sum, "claims"), 0);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(v, "held")));
    assert_string_equal(cJSON_GetObjectItem(sum, "status")->valuestring, "finished");
    cJSON_Delete(sum);

    /* --claims-thorough: 2 seeds x 2 draws; recompute the median's
     * interval: with 12 values it is [x(3), x(10)], since
     * P(B(12, 1/2) <= 2) = 0.0193 <= 0.025 < P(B <= 3) = 0.073 */
    snprintf(args, sizeof args, "run '%s' --out clt -q --claims-thorough -j 2", script);
    assert_int_equal(e2e_run(args, &out, &err), 0);
    assert_non_null(strstr(out, "claim held over seeds x draws: CLAIMTEXT"));
    free(out);
    free(err);
    snprintf(p, sizeof p, "%s/clt/claims-thorough.json", e2e_tmpdir());
    c = e2e_read_json(p);
    k = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "claims"), 0);
    assert_int_equal((int)jnum(k, "of", NULL, NULL), 4);
    assert_int_equal((int)jnum(k, "held_in", NULL, NULL), 4);
    double vals[12];
    int nv = 0;
    const cJSON *run;
    cJSON_ArrayForEach(run, cJSON_GetObjectItem(k, "runs"))
    {
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(run, "values")) if (nv < 12) vals[nv++] = x->valuedouble;
    }
    assert_int_equal(nv, 12);
    for (int i = 1; i < nv; i++)
        for (int j = i; j > 0 && vals[j - 1] > vals[j]; j--) {
            double t = vals[j];
            vals[j] = vals[j - 1];
            vals[j - 1] = t;
        }
    assert_true(jnum(k, "lo", NULL, NULL) == vals[2]);
    assert_true(jnum(k, "hi", NULL, NULL) == vals[9]);
    assert_true(jnum(k, "value", NULL, NULL) == 0.5 * (vals[5] + vals[6]));
    cJSON_Delete(c);
    /* the four runs drew different data: draw 1 moved mtl.data_seed */
    snprintf(p, sizeof p, "%s/clt/seed-1-draw-0/01-one/summary.json", e2e_tmpdir());
    cJSON *a0 = e2e_read_json(p);
    snprintf(p, sizeof p, "%s/clt/seed-1-draw-1/01-one/summary.json", e2e_tmpdir());
    cJSON *a1 = e2e_read_json(p);
    assert_true(jnum(a0, "tasks", "y", "test_loss") != jnum(a1, "tasks", "y", "test_loss"));
    cJSON_Delete(a0);
    cJSON_Delete(a1);
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
    /* after a command, and --help too (getopt_long: options anywhere) */
    char *out2;
    assert_int_equal(e2e_run("run --version", &out2, NULL), 0);
    assert_string_equal(out, out2);
    free(out2);
    free(out);
    assert_int_equal(e2e_run("check x.lua --help", &out, NULL), 0);
    assert_non_null(strstr(out, "mtlab run SCRIPT.lua"));
    free(out);
    /* --out=DIR is --out DIR; an abbreviation that fits one option is it */
    const char *s = blobs_script("eq.lua", ", epochs = 1", "");
    char args[1024];
    snprintf(args, sizeof args, "run --threads=1 '%s' --out=eqdir --quiet --experim=1", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    char p[700];
    snprintf(p, sizeof p, "%s/eqdir/summary.json", e2e_tmpdir());
    assert_true(e2e_exists(p));
    char *err;
    assert_int_equal(e2e_run("run /nonexistent/x.lua", NULL, &err), 2);
    assert_non_null(strstr(err, "/nonexistent/x.lua: cannot read the script"));
    free(err);
}

/* LibMTL's names and any case name the registry's method and topology;
 * config.json records the registry's names. */
static void test_e2e_libmtl_names(void **state)
{
    (void)state;
    const char *s = blobs_script("libmtl.lua", ", epochs = 1", "weighting = 'EW',");
    char args[1024];
    snprintf(args, sizeof args, "run '%s' --out libmtl --quiet --set weighting=PCGrad --set topology.type=HPS", s);
    assert_int_equal(e2e_run(args, NULL, NULL), 0);
    char p[700];
    snprintf(p, sizeof p, "%s/libmtl/config.json", e2e_tmpdir());
    cJSON *o = e2e_read_json(p);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "weighting");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(w, "method")->valuestring, "pcgrad");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(w, "family")->valuestring, "combiner");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "topology");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "kind")->valuestring, "hard");
    cJSON_Delete(o);
    snprintf(args, sizeof args, "check '%s'", s);
    char *out;
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    assert_non_null(strstr(out, "equal"));
    free(out);
}

/* The events of a run folder, one parsed object each (at most n). */
static int read_events(const char *dir, cJSON **ev, int n)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s/events.jsonl", e2e_tmpdir(), dir);
    char *s = e2e_read(p), *line = s;
    assert_non_null(s);
    int k = 0;
    while (line && *line && k < n) {
        char *e = strchr(line, '\n');
        if (e) *e = '\0';
        ev[k++] = cJSON_Parse(line);
        line = e ? e + 1 : NULL;
    }
    free(s);
    return k;
}

static const char *ev_name(const cJSON *e) { return cJSON_GetObjectItemCaseSensitive(e, "event")->valuestring; }
static double ev_num(const cJSON *e, const char *k) { return cJSON_GetObjectItemCaseSensitive(e, k)->valuedouble; }

/* run:set_lr from a script's callback is an "lr" event, why "set", with
 * the step it happened at and the rate as float32 holds it. */
static void test_e2e_run_set_lr_recorded(void **state)
{
    (void)state;
    const char *s = blobs_script("setlr.lua", "",
                                 "on_epoch = function(run, e) if e == 2 then run:set_lr(0.003) end end,");
    char args[1024];
    snprintf(args, sizeof args, "run '%s' --out run_setlr -q", s);
    char *out = NULL, *err = NULL;
    if (e2e_run(args, &out, &err) != 0) fail_msg("setlr.lua: %s", err);
    free(out);
    free(err);
    cJSON *ev[400];
    int n = read_events("run_setlr", ev, 400), lr_events = 0;
    long total = -1, end = -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(ev_name(ev[i]), "start") == 0) total = (long)ev_num(ev[i], "total_steps");
        if (strcmp(ev_name(ev[i]), "finish") == 0) end = (long)ev_num(ev[i], "step");
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(ev_name(ev[i]), "lr") != 0) continue;
        lr_events++;
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(ev[i], "why")->valuestring, "set");
        assert_null(cJSON_GetObjectItemCaseSensitive(ev[i], "factor"));
        assert_true(fabs(ev_num(ev[i], "lr") - 0.003) <= 1e-9); /* float32 written shortest: 0.003 */
        /* the end of epoch 2 of 3: two thirds of the steps */
        assert_int_equal((long)ev_num(ev[i], "step") * 3, 2 * total);
    }
    assert_int_equal(lr_events, 1);
    assert_int_equal(end, total);
    for (int i = 0; i < n; i++) cJSON_Delete(ev[i]);
}

/* Reduce-on-plateau: the "lr" events are exactly the evaluations where
 * PyTorch's rule (replayed here on the eval events' validation losses:
 * improvement = below best (1 - threshold), reduce after more than
 * `patience` evaluations without one) says to reduce, each lr is the
 * previous times gamma, never below min_lr. keep_best = 'cls': a "best"
 * event at each new highest validation accuracy, and best.safetensors
 * holds that step's parameters (reloaded with a learning rate of 1e-12,
 * the first evaluation gives the same accuracy). */
static void test_e2e_run_plateau_and_keep_best(void **state)
{
    (void)state;
    const char *s = blobs_script("plateau.lua", ", eval_every = 4, keep_best = 'cls'", "");
    char text[4096], *read = e2e_read(s);
    assert_non_null(read);
    snprintf(text, sizeof text, "%s", read);
    free(read);
    char *o = strstr(text, "mtl.optim.adam { lr = 0.01 }");
    assert_non_null(o);
    char script[4096];
    snprintf(script, sizeof script, "%.*smtl.optim.adam { lr = 0.01, schedule = 'plateau', patience = 1, "
                                    "threshold = 0.2, min_lr = 1e-4 }%s",
             (int)(o - text), text, o + strlen("mtl.optim.adam { lr = 0.01 }"));
    s = e2e_write("plateau.lua", script);
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "run '%s' --out run_plateau -q --set train.epochs=6", s);
    if (e2e_run(args, &out, &err) != 0) fail_msg("%s", err);
    free(out);
    free(err);
    cJSON *ev[400];
    int n = read_events("run_plateau", ev, 400);
    /* the learning rate the run started from, as config.json records it:
     * 0.01, or 0.01 x (1 + 1e-6) under MTLAB_E2E_LR_SCALE (check-portable) */
    char cfgp[700];
    snprintf(cfgp, sizeof cfgp, "%s/run_plateau/config.json", e2e_tmpdir());
    cJSON *cfg = e2e_read_json(cfgp);
    double lr0 = jnum(cfg, "optim", "lr", NULL);
    cJSON_Delete(cfg);
    assert_true(fabs(lr0 - 0.01) < 1e-7);
    double best = INFINITY, lr = lr0, best_acc = -1;
    int bad = 0, reductions = 0, bests = 0;
    long best_step = -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(ev_name(ev[i]), "eval") == 0) {
            const cJSON *vl = cJSON_GetObjectItemCaseSensitive(ev[i], "val_loss");
            double v = cJSON_GetArrayItem(vl, 0)->valuedouble + cJSON_GetArrayItem(vl, 1)->valuedouble;
            int reduce = 0;
            if (v < best * (1 - 0.2f)) {
                best = v;
                bad = 0;
            } else if (++bad > 1) {
                bad = 0;
                reduce = fmax(lr * 0.1f, 1e-4f) < lr * (1 - 1e-6);
            }
            /* the lr event, when there is one, comes just before its eval */
            int has = i > 0 && strcmp(ev_name(ev[i - 1]), "lr") == 0 && ev_num(ev[i - 1], "step") == ev_num(ev[i], "step");
            if (reduce != has) fail_msg("step %g: the rule says %d, the run %d", ev_num(ev[i], "step"), reduce, has);
            if (reduce) {
                lr = fmax(lr * 0.1f, 1e-4f);
                assert_float_equal(ev_num(ev[i - 1], "lr"), lr, 1e-6 * lr);
                reductions++;
            }
            assert_float_equal(ev_num(ev[i], "lr"), lr, 1e-6 * lr);
        }
        if (strcmp(ev_name(ev[i]), "best") == 0) {
            double acc = ev_num(ev[i], "value");
            assert_true(acc > best_acc);
            best_acc = acc;
            best_step = (long)ev_num(ev[i], "step");
            bests++;
        }
    }
    for (int i = 0; i < n; i++) cJSON_Delete(ev[i]);
    assert_true(reductions >= 2); /* 0.01 -> 0.001 -> 1e-4, then the floor */
    assert_true(bests >= 2);
    /* the best checkpoint reloaded: its accuracy at the first evaluation */
    snprintf(args, sizeof args,
             "run '%s' --out run_plateau_best -q --load run_plateau/best.safetensors --set optim.lr=1e-12 --set optim.min_lr=0 "
             "--set train.epochs=1 --set train.eval_every=1",
             s);
    if (e2e_run(args, &out, &err) != 0) fail_msg("%s", err);
    free(out);
    free(err);
    char p[600];
    snprintf(p, sizeof p, "%s/run_plateau_best/metrics.csv", e2e_tmpdir());
    char *m = e2e_read(p), want[64];
    assert_non_null(m);
    snprintf(want, sizeof want, "\n1,1,val,cls,");
    char *row = strstr(m, want);
    assert_non_null(row);
    double loss, acc;
    assert_int_equal(sscanf(row + strlen(want), "%lf,%lf", &loss, &acc), 2);
    if (!(fabs(acc - best_acc) < 1e-9))
        fail_msg("best.safetensors (step %ld) gives accuracy %g, the best event said %g", best_step, acc, best_acc);
    free(m);
    /* a name that is neither dm nor a task */
    snprintf(args, sizeof args, "run '%s' --out run_plateau_bad -q --set train.keep_best=cl", s);
    assert_int_not_equal(e2e_run(args, &out, &err), 0);
    assert_non_null(strstr(err, "train.keep_best = \"cl\" is neither \"dm\" nor a task (tasks: cls, dist)"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_run_writes_every_file),
        cmocka_unit_test(test_e2e_run_plateau_and_keep_best),
        cmocka_unit_test(test_e2e_run_set_lr_recorded),
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
        cmocka_unit_test(test_e2e_experiment_00_claim),
        cmocka_unit_test(test_e2e_every_experiment_declares_a_claim),
        cmocka_unit_test(test_e2e_claims_machinery),
        cmocka_unit_test(test_e2e_help_and_version),
        cmocka_unit_test(test_e2e_libmtl_names),
    };
    return cmocka_run_group_tests_name("e2e run", tests, NULL, e2e_teardown);
}
