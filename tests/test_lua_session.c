/* test_lua_session.c - the mtl module at the library level: validation
 * messages, overrides, data built in Lua, targets from functions, the
 * console, and the gradient combiners on explicit vectors. */
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

#include "core/limits.h"
#include "lua/mtlua.h"
#include "run/trainer.h"
#include "engine/graph.h"
#include "mtl/combine.h"
#include "mtl/methods.h"

#include "lua_testutil.h"

#define HEAD "local mtl = require 'mtl'\n"
#define TABLE_DATA                                                                         \
    "local data = mtl.data.table { x = { {0,0}, {0,1}, {1,0}, {1,1}, {2,0}, {2,1}, {3,0}, {3,1}, {4,0}, {4,1} },\n" \
    "  targets = { a = { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, r = { 0.5, 1.5, 0.1, nil, 2, 3, 1, 1, 0, 0 } },\n"   \
    "  types = { r = 'regress' }, val = 2, test = 2 }\n"

static void expect_open_error(const char *name, const char *script, const char *needle)
{
    mtlua_session *s = NULL;
    mt_status st = mtlua_open(write_script(name, script), NULL, 0, &s);
    assert_int_not_equal(st, MT_OK);
    assert_null(s);
    if (!strstr(mt_last_error(), needle)) fprintf(stderr, "got: %s\nwant: %s\n", mt_last_error(), needle);
    assert_non_null(strstr(mt_last_error(), needle));
}

static void test_lua_table_data_and_masks(void **state)
{
    (void)state;
    const char *p = write_script("t.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' },\n"
        "  mtl.task.regress { name = 'r' } } }\n");
    mtlua_session *s;
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_OK);
    assert_int_equal(mtlua_count(s), 1);
    const mt_experiment *e = mtlua_experiment(s, 0);
    const mt_dataset *ds = &e->data->ds;
    assert_int_equal(ds->n, 10);
    assert_int_equal(ds->d, 2);
    assert_int_equal(e->data->split.train.n, 6);
    int a = dataset_target_index(ds, "a"), r = dataset_target_index(ds, "r");
    assert_int_equal(ds->targets[a].kind, MT_TARGET_CLASS);
    assert_int_equal(ds->targets[a].classes, 2);
    assert_int_equal(ds->targets[r].kind, MT_TARGET_REGRESS);
    /* the nil in r's list is a missing label */
    assert_non_null(ds->targets[r].mask);
    assert_int_equal(ds->targets[r].mask[3], 0);
    assert_int_equal(ds->targets[r].mask[4], 1);
    assert_true(ds->targets[r].y[5] == 3.0f);
    assert_int_equal(e->task[0].out_dim, 2);
    assert_int_equal(e->task[1].out_dim, 1);
    mtlua_close(s);
}

/* The one task limit: a script with MT_MAX_TASKS tasks opens and trains a
 * step (the monitor takes them all), one more is refused naming the
 * limit, and the Lua reference states the same limit. */
static void test_lua_task_limit(void **state)
{
    (void)state;
    char script[4096];
    snprintf(script, sizeof script,
             HEAD "local tasks = {}\n"
                  "for i = 1, %d do tasks[i] = mtl.task.binary { name = 't' .. i, target = 'a' .. (1 + (i - 1) %% %d) } end\n"
                  "return mtl.experiment { data = mtl.data.attributes { n = 200, tasks = %d, groups = 8 },\n"
                  "  tasks = tasks, topology = mtl.share.hard { trunk = { 8 } }, train = { batch = 16, steps = 2 } }\n",
             MT_MAX_TASKS, MT_MAX_TASKS, MT_MAX_TASKS);
    mtlua_session *s;
    assert_int_equal(mtlua_open(write_script("max.lua", script), NULL, 0, &s), MT_OK);
    const mt_experiment *e = mtlua_experiment(s, 0);
    assert_int_equal(e->ntasks, MT_MAX_TASKS);
    assert_int_equal(e->data->ntruth, MT_MAX_TASKS);
    mt_monitor mon;
    const char *names[MT_MAX_TASKS];
    for (int t = 0; t < MT_MAX_TASKS; t++) names[t] = e->task[t].name;
    assert_int_equal(monitor_init(&mon, MT_MAX_TASKS, names, NULL, 64), MT_OK);
    mt_trainer *t;
    assert_int_equal(trainer_new(e, &mon, &t), MT_OK);
    assert_int_equal(trainer_step(t), MT_OK);
    trainer_free(t);
    monitor_free(&mon);
    mtlua_close(s);
    snprintf(script, sizeof script,
             HEAD "local tasks = {}\n"
                  "for i = 1, %d do tasks[i] = mtl.task.binary { name = 't' .. i, target = 'a1' } end\n"
                  "return mtl.experiment { data = mtl.data.attributes { n = 200, tasks = 8 }, tasks = tasks }\n",
             MT_MAX_TASKS + 1);
    char want[64];
    snprintf(want, sizeof want, "expected 1..%d tasks, got %d", MT_MAX_TASKS, MT_MAX_TASKS + 1);
    expect_open_error("over.lua", script, want);
    FILE *f = fopen(MTLAB_ROOT "/docs/lua-api.md", "r");
    assert_non_null(f);
    static char doc[1 << 16];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    snprintf(want, sizeof want, "a list of 1..%d tasks", MT_MAX_TASKS);
    if (!strstr(doc, want)) fail_msg("docs/lua-api.md does not say \"%s\"", want);
}

/* Labels returned as nil are missing: the list has holes, the mask says so. */
static void test_lua_generate_with_missing_labels(void **state)
{
    (void)state;
    const char *p = write_script("holes.lua", HEAD
        "local data = mtl.data.generate { n = 100, fn = function(i)\n"
        "  return { i / 100 }, { y = (i % 8 == 0) and (i % 2) or nil, z = i % 3 } end,\n"
        "  types = { y = 'class', z = 'class' } }\n"
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'y' } } }\n");
    mtlua_session *s;
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_OK);
    const mt_dataset *ds = &mtlua_experiment(s, 0)->data->ds;
    int y = dataset_target_index(ds, "y");
    assert_true(y >= 0);
    assert_int_equal(dataset_target_labelled(ds, y, NULL), 12); /* 8, 16, ..., 96 */
    for (int i = 0; i < 100; i++) assert_int_equal(ds->targets[y].mask[i], (i + 1) % 8 == 0);
    mtlua_close(s);
}

static void test_lua_target_function_and_overrides(void **state)
{
    (void)state;
    const char *p = write_script("f.lua", HEAD TABLE_DATA
        "return mtl.experiment { name = 'f', data = data,\n"
        "  tasks = { mtl.task.classify { name = 'a' },\n"
        "            mtl.aux.classify { name = 'half', target = function(x) return x * 3 end, from = 'a' } },\n"
        "  train = { epochs = 3 } }\n");
    char k1[] = "train.epochs=7", k2[] = "tasks[2].weight=0.25", k3[] = "optim.lr=0.5";
    mtlua_override ov[3];
    assert_int_equal(mtlua_parse_override(k1, &ov[0]), MT_OK);
    assert_int_equal(mtlua_parse_override(k2, &ov[1]), MT_OK);
    assert_int_equal(mtlua_parse_override(k3, &ov[2]), MT_OK);
    mtlua_session *s;
    assert_int_equal(mtlua_open(p, ov, 3, &s), MT_OK);
    const mt_experiment *e = mtlua_experiment(s, 0);
    assert_int_equal(e->train.epochs, 7);
    assert_true(fabsf(e->task[1].weight - 0.25f) < 1e-7f);
    assert_true(fabsf(e->optim.lr - 0.5f) < 1e-7f);
    assert_true(e->task[1].aux);
    assert_false(e->task[1].in_score);
    /* the derived target: label * 3, so classes 0 and 3 -> 4 classes */
    const mt_target *t = &e->data->ds.targets[e->task[1].target];
    assert_int_equal(t->classes, 4);
    for (int i = 0; i < 10; i++) assert_true(t->y[i] == 3.0f * (float)(i % 2));
    mtlua_close(s);
    char bad[] = "nonsense";
    assert_int_not_equal(mtlua_parse_override(bad, &ov[0]), MT_OK);
    assert_non_null(strstr(mt_last_error(), "expected key=value"));
}

static void test_lua_validation_messages(void **state)
{
    (void)state;
    expect_open_error("e1.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data,\n"
        "  tasks = { mtl.task.classify { name = 'a', classes = 'ten' } } }\n",
        "e1.lua:6: tasks[1].classes: expected a positive integer, got \"ten\"");
    expect_open_error("e2.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
        "  weighting = 'gradnrom' }\n",
        "weighting.method: unknown method \"gradnrom\" (did you mean gradnorm?)");
    expect_open_error("e3.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'r' } } }\n",
        "tasks[1].target: \"r\" holds real values; use mtl.task.regress or mtl.task.binary");
    expect_open_error("e4.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.regress { name = 'nope' } } }\n",
        "tasks[1].target: missing, and the data has no target named \"nope\" (it has: a, r)");
    expect_open_error("e5.lua", HEAD "local x = undefined_thing\n", "undefined global 'undefined_thing'");
    expect_open_error("e6.lua", HEAD "return 42\n", "the script returned 42");
    expect_open_error("e7.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
        "  weighting = mtl.weight.cagrad { c = 'big' } }\n",
        "weighting.c: expected a number, got \"big\"");
    expect_open_error("e8.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
        "  weighting = mtl.weight.pcgrad { beta = 1 } }\n",
        "weighting.beta: pcgrad has no parameter 'beta' (it takes: rep_grad)");
    expect_open_error("e9.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a', attach = 3 } } }\n",
        "tasks[1].attach: the trunk has 1 layers, got 3");
    /* a plain table's field: the line comes from the script's text */
    expect_open_error("e11.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
        "  train = {\n"
        "    epohcs = 2 } }\n",
        "e11.lua:7: train.epohcs: unknown field (did you mean 'epochs'?)");
    expect_open_error("e10.lua", HEAD
        "return mtl.experiment { data = mtl.data.generate { n = 10, fn = function(i) return { i }, { y = i % 2 } end },\n"
        "  tasks = { mtl.task.classify { name = 'y' } }, optim = mtl.optim.adam { beta2 = 2 } }\n",
        "optim.beta2: expected a number in [0, 0.999999], got 2");
}

/* Method parameters come from the registry: ranges, types, names with a
 * suggestion, choices by name or index, defaults filled in. */
static void test_lua_method_parameters(void **state)
{
    (void)state;
#define TASKS_A "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
    expect_open_error("w1.lua", HEAD TABLE_DATA TASKS_A "  weighting = mtl.weight.nash_mtl { max_iter = 0 } }\n",
                      "w1.lua:6: weighting.max_iter: expected an integer in 1..1000000, got 0");
    expect_open_error("w2.lua", HEAD TABLE_DATA TASKS_A "  weighting = mtl.weight.dwa { window = 2.5 } }\n",
                      "weighting.window: expected an integer >= 0, got 2.5");
    expect_open_error("w3.lua", HEAD TABLE_DATA TASKS_A "  weighting = mtl.combine.gradvac { betta = 0.1 } }\n",
                      "weighting.betta: gradvac has no parameter 'betta' (did you mean 'beta'?)");
    expect_open_error("w4.lua", HEAD TABLE_DATA TASKS_A "  weighting = mtl.combine.cagrad { radius = 0.1 } }\n",
                      "weighting.radius: cagrad has no parameter 'radius' (it takes: rep_grad, c, rescale)");
    expect_open_error("w5.lua", HEAD TABLE_DATA TASKS_A "  weighting = mtl.combine.mgda { norm = 'l1' } }\n",
                      "weighting.norm: expected one of none, l2, loss, loss+, got \"l1\" (did you mean \"l2\"?)");
    expect_open_error("w6.lua", HEAD TABLE_DATA TASKS_A "  weighting = mtl.combine.mgda { norm = 4 } }\n",
                      "weighting.norm: expected one of none, l2, loss, loss+ (or an index 0..3), got 4");
    expect_open_error("w7.lua", HEAD TABLE_DATA TASKS_A "  weighting = mtl.weight.uncertainty { opt = true } }\n",
                      "weighting.opt: expected one of sgd, adam, got true");
    expect_open_error("w8.lua", HEAD TABLE_DATA TASKS_A "  weighting = mtl.weight.gradnrom { } }\n",
                      "weighting.method: unknown method \"gradnrom\" (did you mean gradnorm?)");
    /* the same words through --set */
    const char *p = write_script("w9.lua", HEAD TABLE_DATA TASKS_A "  weighting = 'mgda' }\n");
    char k1[] = "weighting.norm", v1[] = "loss+", k2[] = "weighting.max_iter", v2[] = "9";
    mtlua_override ov[2] = {{k1, v1}, {k2, v2}};
    mtlua_session *s = NULL;
    assert_int_equal(mtlua_open(p, ov, 2, &s), MT_OK);
    const mt_experiment *e = mtlua_experiment(s, 0);
    assert_string_equal(e->weighting.name, "mgda");
    const mt_method_info *m = method_find("mgda");
    assert_true(tparam_num(&e->weighting.params, m->params, "norm") == MT_MGDA_NORM_LOSS_PLUS);
    assert_true(tparam_num(&e->weighting.params, m->params, "max_iter") == 9);
    assert_true(tparam_num(&e->weighting.params, m->params, "tol") == 1e-10); /* default */
    assert_int_equal(e->weighting.params.n, 2);
    mtlua_close(s);
    char k3[] = "weighting.norm", v3[] = "2";
    mtlua_override ov3[1] = {{k3, v3}};
    assert_int_equal(mtlua_open(p, ov3, 1, &s), MT_OK);
    assert_true(tparam_num(&mtlua_experiment(s, 0)->weighting.params, m->params, "norm") == MT_MGDA_NORM_LOSS);
    mtlua_close(s);
    char k4[] = "weighting.tol", v4[] = "1";
    mtlua_override ov4[1] = {{k4, v4}};
    assert_int_not_equal(mtlua_open(p, ov4, 1, &s), MT_OK);
    assert_non_null(strstr(mt_last_error(), "weighting.tol: expected a number in [1e-16, 0.01], got 1"));
    /* the message names the override that holds the bad value */
    char k5[] = "weighting", v5[] = "gradnorm", k6[] = "weighting.alpha", v6[] = "20";
    mtlua_override ov5[2] = {{k5, v5}, {k6, v6}};
    assert_int_not_equal(mtlua_open(p, ov5, 2, &s), MT_OK);
    assert_string_equal(mt_last_error(), "--set weighting.alpha=20: weighting.alpha: expected a number in [0, 10], got 20");
#undef TASKS_A
}

static void test_lua_variants_share_data(void **state)
{
    (void)state;
    const char *p = write_script("v.lua", HEAD TABLE_DATA
        "local base = mtl.experiment { name = 'base', data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
        "  train = { epochs = 2, batch = 4 } }\n"
        "return { base, mtl.variant(base, { name = 'other', weighting = 'static', train = { epochs = 5 } }) }\n");
    mtlua_session *s;
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_OK);
    assert_int_equal(mtlua_count(s), 2);
    const mt_experiment *a = mtlua_experiment(s, 0), *b = mtlua_experiment(s, 1);
    assert_ptr_equal(a->data, b->data); /* one dataset */
    assert_string_equal(b->name, "other");
    assert_string_equal(b->weighting.name, "static");
    assert_int_equal(b->train.epochs, 5);
    assert_int_equal(b->train.batch, 4); /* merged, not replaced */
    assert_int_equal(a->train.epochs, 2);
    mtlua_close(s);
}

static void test_lua_console_eval(void **state)
{
    (void)state;
    const char *p = write_script("c.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' }, mtl.task.regress { name = 'r' } },\n"
        "  weighting = 'static', train = { batch = 2, epochs = 1 } }\n");
    mtlua_session *s;
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_OK);
    mt_trainer *t;
    assert_int_equal(trainer_new(mtlua_experiment(s, 0), NULL, &t), MT_OK);
    mtlua_attach(s, 0, t);
    char out[1024];
    assert_int_equal(mtlua_eval(s, "1 + 2", out, sizeof out), MT_OK);
    assert_string_equal(out, "3");
    assert_int_equal(mtlua_eval(s, "run:set_weight('r', 0.5)", out, sizeof out), MT_OK);
    assert_int_equal(mtlua_eval(s, "run:weights()", out, sizeof out), MT_OK);
    assert_string_equal(out, "{ a = 1, r = 0.5 }");
    assert_true(fabsf(trainer_weights(t)[1] - 0.5f) < 1e-7f);
    assert_int_equal(mtlua_eval(s, "run:set_lr(0.25)", out, sizeof out), MT_OK);
    assert_true(fabs(trainer_lr(t) - 0.25) < 1e-7);
    assert_int_equal(mtlua_eval(s, "run:set_weighting('pcgrad')", out, sizeof out), MT_OK);
    assert_string_equal(trainer_weighting_name(t), "pcgrad");
    assert_int_not_equal(mtlua_eval(s, "run:set_weight('zz', 1)", out, sizeof out), MT_OK);
    assert_non_null(strstr(out, "no task named 'zz'"));
    assert_int_not_equal(mtlua_eval(s, "nil + 1", out, sizeof out), MT_OK);
    assert_non_null(strstr(out, "console:1:"));
    mtlua_attach(s, 0, NULL);
    trainer_free(t);
    mtlua_close(s);
}

/* PCGrad on {-4,1,1}, {6,1,1} by hand: g1.g2 = -22, |g1|^2 = 18,
 * |g2|^2 = 38; g1' = g1 + 22/38 g2, g2' = g2 + 22/18 g1; d = g1' + g2',
 * alpha = (1 + 22/18, 1 + 22/38). */
static void test_lua_methods_on_vectors(void **state)
{
    (void)state;
    const char *p = write_script("m.lua", HEAD
        "local d, a = mtl.methods.pcgrad { { -4, 1, 1 }, { 6, 1, 1 } }\n"
        "local e1 = { -4 + 22/38*6 + 6 + 22/18*-4, 1 + 22/38 + 1 + 22/18, 1 + 22/38 + 1 + 22/18 }\n"
        "for i = 1, 3 do assert(math.abs(d[i] - e1[i]) < 1e-5, 'd' .. i .. '=' .. d[i]) end\n"
        "assert(math.abs(a[1] - (1 + 22/18)) < 1e-5 and math.abs(a[2] - (1 + 22/38)) < 1e-5)\n"
        "local m, w = mtl.methods.mgda({ { 2, 0 }, { 0, 1 } }, { norm = 'none' })\n"
        /* min-norm point of the segment between (2,0) and (0,1): (0.4, 0.8) */
        "assert(math.abs(m[1] - 0.4) < 1e-5 and math.abs(m[2] - 0.8) < 1e-5, m[1] .. ' ' .. m[2])\n"
        /* with l2 normalisation: the unit vectors weigh 1/2 each -> alpha (1/4, 1/2) on the raw ones */
        "local m2, w2 = mtl.methods.mgda { { 2, 0 }, { 0, 1 } }\n"
        "assert(math.abs(w2[1] - 0.25) < 1e-5 and math.abs(w2[2] - 0.5) < 1e-5, w2[1] .. ' ' .. w2[2])\n"
        "assert(math.abs(m2[1] - 0.5) < 1e-5 and math.abs(m2[2] - 0.5) < 1e-5)\n"
        "local ok, err = pcall(mtl.methods.nope, { { 1 } })\n"
        "assert(not ok and err:find('unknown method'))\n"
        /* options are the registry's parameters: checked, choices by index */
        "ok, err = pcall(mtl.methods.cagrad, { { 1, 0 }, { 0, 1 } }, { c = -1 })\n"
        "assert(not ok and err == 'mtl.methods.cagrad: opts.c: expected a number in [0, 100], got -1', err)\n"
        "ok, err = pcall(mtl.methods.cagrad, { { 1, 0 }, { 0, 1 } }, { cc = 1 })\n"
        "assert(not ok and err:find(\"opts.cc: cagrad has no parameter 'cc' %(did you mean 'c'%?%)\"), err)\n"
        "ok, err = pcall(mtl.methods.uncertainty, { { 1, 0 } })\n"
        "assert(not ok and err:find('a loss%-weighting method, not a gradient combiner'), err)\n"
        "local m3 = mtl.methods.mgda({ { 2, 0 }, { 0, 1 } }, { norm = 0 })\n"
        "assert(math.abs(m3[1] - 0.4) < 1e-5 and math.abs(m3[2] - 0.8) < 1e-5)\n"
        /* the combiner's error, named once: 3 tasks in 2 dimensions are dependent */
        "local ok2, err2 = pcall(mtl.methods.imtl_g, { { 1, 0 }, { 0, 1 }, { 1, 1 } })\n"
        "assert(not ok2 and err2:find('^combine imtl_g: 3 tasks with a nonzero gradient in 2 dimensions')\n"
        "       and not err2:find('combine imtl_g: combine'), err2)\n"
        "return nil\n");
    mtlua_session *s = NULL;
    mt_status st = mtlua_open(p, NULL, 0, &s);
    /* the asserts passed, so the script reached `return nil` */
    if (!strstr(mt_last_error(), "returned nothing")) fprintf(stderr, "%s\n", mt_last_error());
    assert_int_equal(st, MT_ERR_SCRIPT);
    assert_non_null(strstr(mt_last_error(), "the script returned nothing"));
}

/* An adversarial task's head reads the trunk through a gradient reversal:
 * the trunk's gradient from that task is exactly the negated gradient of
 * the same network without the reversal (lambda = 1), while its head's own
 * gradient is unchanged. */
static void test_lua_adversarial_task_reverses_trunk_gradient(void **state)
{
    (void)state;
#define ADV(task)                                                                           \
    HEAD TABLE_DATA "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' },\n" \
                    "  " task " }, topology = mtl.share.hard { trunk = { 4 } },\n"                    \
                    "  train = { batch = 6, epochs = 1, seed = 5 } }\n"
    const char *s1 = ADV("mtl.task.regress { name = 'r' }");
    const char *s2 = ADV("mtl.aux.adversarial { type = 'regress', reverse = 1, name = 'r' }");
#define ADV3 ADV("mtl.aux.probe { type = 'regress', name = 'r' }")
    mtlua_session *a, *b;
    assert_int_equal(mtlua_open(write_script("adv1.lua", s1), NULL, 0, &a), MT_OK);
    assert_int_equal(mtlua_open(write_script("adv2.lua", s2), NULL, 0, &b), MT_OK);
    assert_true(mtlua_experiment(b, 0)->topo.task[1].grad_reverse == 1.0f);
    assert_true(mtlua_experiment(b, 0)->task[1].aux);
    mt_trainer *ta, *tb;
    assert_int_equal(trainer_new(mtlua_experiment(a, 0), NULL, &ta), MT_OK);
    assert_int_equal(trainer_new(mtlua_experiment(b, 0), NULL, &tb), MT_OK);
    struct mt_graph *ga = trainer_graph(ta), *gb = trainer_graph(tb);
    /* same seed, same parameters; one forward on the same inputs */
    const mt_experiment *e = mtlua_experiment(a, 0);
    int rows[6] = {0, 1, 2, 3, 4, 5};
    struct mt_graph *gs[2] = {ga, gb};
    for (int k = 0; k < 2; k++) {
        graph_set_batch(gs[k], 6);
        dataset_gather_x(&e->data->ds, rows, 6, graph_value(gs[k], graph_find(gs[k], "x")));
        dataset_gather_y(&e->data->ds, e->task[1].target, rows, 6, graph_value(gs[k], graph_find(gs[k], "y.r")),
                         graph_value(gs[k], graph_find(gs[k], "mask.r")));
        dataset_gather_y(&e->data->ds, e->task[0].target, rows, 6, graph_value(gs[k], graph_find(gs[k], "y.a")),
                         graph_value(gs[k], graph_find(gs[k], "mask.a")));
        graph_forward(gs[k], MT_EVAL);
    }
    mt_params *pa = graph_params(ga), *pb = graph_params(gb);
    assert_int_equal(pa->total, pb->total);
    assert_memory_equal(pa->data, pb->data, pa->total * sizeof(float));
    /* the loss of task r is the last loss node: find it as the mean of y.r's consumer */
    int n = graph_node_count(ga);
    mt_node la = MT_NONE;
    for (int i = n - 1; i >= 0 && la == MT_NONE; i--)
        if (strcmp(graph_node_kind(ga, i), "loss_mse") == 0 || strcmp(graph_node_kind(ga, i), "mse") == 0) la = i;
    assert_int_not_equal(la, MT_NONE);
    mt_node lb = la + 1; /* the reversal node comes before the head in b */
    assert_string_equal(graph_node_kind(gb, lb), graph_node_kind(ga, la));
    params_zero_grad(pa);
    params_zero_grad(pb);
    assert_int_equal(graph_backward(ga, &la, NULL, 1, NULL), MT_OK);
    assert_int_equal(graph_backward(gb, &lb, NULL, 1, NULL), MT_OK);
    int checked = 0;
    for (int i = 0; i < pa->count; i++) {
        const mt_param_info *pi = &pa->info[i];
        for (size_t j = 0; j < pi->size; j++) {
            float ga_ = pa->grad[pi->offset + j], gb_ = pb->grad[pi->offset + j];
            if (pi->group == 0) assert_true(fabsf(ga_ + gb_) <= 1e-6f * (1 + fabsf(ga_)));
            else assert_true(fabsf(ga_ - gb_) <= 1e-6f * (1 + fabsf(ga_)));
            checked += ga_ != 0;
        }
    }
    assert_true(checked > 4);
    /* a probe (stop-gradient): the head's gradient as before, none into the trunk */
    const char *s3 = ADV3;
    mtlua_session *c;
    assert_int_equal(mtlua_open(write_script("adv3.lua", s3), NULL, 0, &c), MT_OK);
    assert_true(mtlua_experiment(c, 0)->topo.task[1].detach);
    mt_trainer *tc;
    assert_int_equal(trainer_new(mtlua_experiment(c, 0), NULL, &tc), MT_OK);
    struct mt_graph *gc = trainer_graph(tc);
    graph_set_batch(gc, 6);
    dataset_gather_x(&e->data->ds, rows, 6, graph_value(gc, graph_find(gc, "x")));
    dataset_gather_y(&e->data->ds, e->task[1].target, rows, 6, graph_value(gc, graph_find(gc, "y.r")),
                     graph_value(gc, graph_find(gc, "mask.r")));
    dataset_gather_y(&e->data->ds, e->task[0].target, rows, 6, graph_value(gc, graph_find(gc, "y.a")),
                     graph_value(gc, graph_find(gc, "mask.a")));
    graph_forward(gc, MT_EVAL);
    mt_params *pc = graph_params(gc);
    params_zero_grad(pc);
    assert_int_equal(graph_backward(gc, &lb, NULL, 1, NULL), MT_OK);
    for (int i = 0; i < pc->count; i++) {
        const mt_param_info *pi = &pc->info[i];
        for (size_t j = 0; j < pi->size; j++) {
            float g1 = pa->grad[pi->offset + j], g3 = pc->grad[pi->offset + j];
            if (pi->group == 0) assert_true(g3 == 0.0f);
            else assert_true(fabsf(g1 - g3) <= 1e-6f * (1 + fabsf(g1)));
        }
    }
    trainer_free(tc);
    mtlua_close(c);
    trainer_free(ta);
    trainer_free(tb);
    mtlua_close(a);
    mtlua_close(b);
}

/* Callbacks get the run and the step; callback_every = 3 calls on_step at
 * steps 3, 6, 9, ...; on_epoch at each epoch; run:stop() ends the run. */
static void test_lua_callbacks_schedule_and_stop(void **state)
{
    (void)state;
    const char *p = write_script("cb.lua", HEAD TABLE_DATA
        "calls = {}\n"
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
        "  train = { batch = 2, epochs = 4, callback_every = 3 },\n"
        "  on_step = function(run, step) calls[#calls + 1] = step; assert(run:step() == step)\n"
        "    if step == 9 then run:stop() end end }\n");
    mtlua_session *s;
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_OK);
    mt_trainer *t;
    assert_int_equal(trainer_new(mtlua_experiment(s, 0), NULL, &t), MT_OK);
    mtlua_attach(s, 0, t);
    mt_status st = MT_OK;
    while (!st && !trainer_finished(t)) st = trainer_step(t);
    assert_int_equal(st, MT_ERR_INTERRUPTED);
    assert_non_null(strstr(mt_last_error(), "run:stop()"));
    assert_int_equal(trainer_step_count(t), 9);
    char out[256];
    assert_int_equal(mtlua_eval(s, "table.concat(calls, ',')", out, sizeof out), MT_OK);
    assert_string_equal(out, "3,6,9");
    mtlua_attach(s, 0, NULL);
    trainer_free(t);
    mtlua_close(s);
}

/* Every call into Lua is protected: a field read or write through a
 * metamethod that raises, while validating, applying --set or formatting
 * a console result, comes back as an error with the script line and a
 * traceback, never a panic. */
static void test_lua_metamethod_errors_are_caught(void **state)
{
    (void)state;
    expect_open_error("mm1.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
        "  train = setmetatable({ batch = 2 }, { __index = function() error('boom in index') end }) }\n",
        "mm1.lua:6: boom in index");
    assert_non_null(strstr(mt_last_error(), "stack traceback"));
    /* --set writes through __newindex */
    const char *p = write_script("mm2.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } },\n"
        "  train = setmetatable({}, { __newindex = function() error('boom in newindex') end }) }\n");
    mtlua_override ov = {"train.epochs", "2"};
    mtlua_session *s = NULL;
    assert_int_not_equal(mtlua_open(p, &ov, 1, &s), MT_OK);
    assert_null(s);
    assert_non_null(strstr(mt_last_error(), "boom in newindex"));
    /* the list of experiments has a raising __len */
    expect_open_error("mm3.lua", HEAD TABLE_DATA
        "local e = mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } } }\n"
        "return setmetatable({ e }, { __len = function() error('boom in len') end })\n",
        "boom in len");
    /* the console: a result whose __tostring raises, a global table that
     * refuses new keys */
    p = write_script("mm4.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } } }\n");
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_OK);
    char out[2048];
    assert_int_not_equal(mtlua_eval(s, "setmetatable({}, { __tostring = function() error('boom in tostring') end })",
                                    out, sizeof out), MT_OK);
    assert_non_null(strstr(out, "boom in tostring"));
    assert_int_equal(mtlua_eval(s, "setmetatable(_G, { __newindex = function() error('no new globals') end })", out,
                                sizeof out), MT_OK);
    assert_int_equal(mtlua_eval(s, "1 + 1", out, sizeof out), MT_OK);
    assert_string_equal(out, "2");
    /* tables three deep print their third level by address */
    assert_int_equal(mtlua_eval(s, "{ { { 1 } }, 2 }", out, sizeof out), MT_OK);
    assert_true(strncmp(out, "{ { table: ", 11) == 0);
    assert_non_null(strstr(out, " }, 2 }"));
    /* a syntax error is the message alone, without a traceback */
    assert_int_not_equal(mtlua_eval(s, "1 +", out, sizeof out), MT_OK);
    assert_non_null(strstr(out, "console:1:"));
    assert_null(strstr(out, "traceback"));
    mtlua_close(s);
}

typedef struct {
    char text[512];
    size_t n;
    int pauses[2];
} host_log;

static void host_write(void *ud, const char *text, size_t n)
{
    host_log *h = ud;
    for (size_t i = 0; i < n && h->n + 1 < sizeof h->text; i++) h->text[h->n++] = text[i];
    h->text[h->n] = '\0';
}

static int host_pause(void *ud, int i, int pause)
{
    host_log *h = ud;
    (void)i;
    h->pauses[pause]++;
    return 1;
}

/* print and io.write go to the host (the workbench's console), from the
 * console and from callbacks; run:pause() and run:resume() ask the host
 * and answer false without one; run:matrix() returns the monitor's
 * matrix as a table, by index and by label. */
static void test_lua_host_print_pause_matrix(void **state)
{
    (void)state;
    const char *p = write_script("h.lua", HEAD TABLE_DATA
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' }, mtl.task.regress { name = 'r' } },\n"
        "  train = { batch = 2, epochs = 2, relations_every = 1 },\n"
        "  on_epoch = function(run, epoch) print('epoch', epoch) io.write('w', 1, '|') end }\n");
    mtlua_session *s;
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_OK);
    char out[2048];
    assert_int_equal(mtlua_eval(s, "run:pause()", out, sizeof out), MT_OK);
    assert_string_equal(out, "false"); /* headless: nothing to pause */
    host_log h = {0};
    mtlua_host host = {.ud = &h, .pause = host_pause};
    mtlua_set_host(s, &host);
    mtlua_set_print(host_write, &h);
    mt_monitor mon;
    const char *names[] = {"a", "r"};
    assert_int_equal(monitor_init(&mon, 2, names, NULL, 64), MT_OK);
    mt_trainer *t;
    assert_int_equal(trainer_new(mtlua_experiment(s, 0), &mon, &t), MT_OK);
    mtlua_attach(s, 0, t);
    while (!trainer_finished(t)) assert_int_equal(trainer_step(t), MT_OK);
    assert_string_equal(h.text, "epoch\t1\nw1|");
    h.n = 0;
    assert_int_equal(mtlua_eval(s, "print(1, 'x', nil)", out, sizeof out), MT_OK);
    assert_string_equal(h.text, "1\tx\tnil\n");
    assert_string_equal(out, "");
    assert_int_equal(mtlua_eval(s, "run:pause(), run:resume()", out, sizeof out), MT_OK);
    assert_string_equal(out, "true\ttrue");
    assert_int_equal(h.pauses[1], 1);
    assert_int_equal(h.pauses[0], 1);
    /* the matrix as a table */
    const mt_matrix *x = monitor_find_matrix(&mon, "grad cosine");
    assert_non_null(x);
    assert_int_equal(mtlua_eval(s, "run:matrix('grad cosine')[1][2]", out, sizeof out), MT_OK);
    char want[64];
    snprintf(want, sizeof want, "%.6g", x->v[1]);
    assert_string_equal(out, want);
    assert_int_equal(mtlua_eval(s, "run:matrix('grad cosine').a.r == run:matrix('grad cosine')[1][2]", out, sizeof out),
                     MT_OK);
    assert_string_equal(out, "true");
    assert_int_equal(mtlua_eval(s, "run:matrix('grad cosine').rows, run:matrix('grad cosine').step", out, sizeof out),
                     MT_OK);
    snprintf(want, sizeof want, "2\t%ld", x->step);
    assert_string_equal(out, want);
    /* the mean over the run: the Welford mean of every update */
    assert_int_equal(mtlua_eval(s, "run:matrix('grad cosine', 'mean')[2][1]", out, sizeof out), MT_OK);
    snprintf(want, sizeof want, "%.6g", x->mean[2]);
    assert_string_equal(out, want);
    assert_int_not_equal(mtlua_eval(s, "run:matrix('nope')", out, sizeof out), MT_OK);
    assert_non_null(strstr(out, "\"grad cosine\""));
    mtlua_set_print(NULL, NULL);
    mtlua_attach(s, 0, NULL);
    trainer_free(t);
    monitor_free(&mon);
    mtlua_close(s);
}

/* Tab in the console: run: methods, mtl. names (before mtl is a global),
 * fields of nested tables, globals; raw reads, so a raising __index does
 * not matter. */
static void test_lua_console_completion(void **state)
{
    (void)state;
    const char *p = write_script("comp.lua", HEAD TABLE_DATA
        "trap = setmetatable({}, { __index = function() error('no') end })\n"
        "return mtl.experiment { data = data, tasks = { mtl.task.classify { name = 'a' } } }\n");
    mtlua_session *s;
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_OK);
    char ins[64], list[512];
    int got = mtlua_complete(s, "run:ma", ins, sizeof ins, list, sizeof list);
    if (got != 2) fprintf(stderr, "completion: %d [%s] %s\n", got, list, mt_last_error());
    assert_int_equal(got, 2);
    assert_string_equal(ins, "tri");
    assert_string_equal(list, "matrices  matrix");
    assert_int_equal(mtlua_complete(s, "x = run:set_w", ins, sizeof ins, list, sizeof list), 2);
    assert_string_equal(ins, "eight");
    assert_string_equal(list, "set_weight  set_weighting");
    assert_int_equal(mtlua_complete(s, "run:pau", ins, sizeof ins, list, sizeof list), 1);
    assert_string_equal(ins, "se("); /* a unique method opens its call */
    assert_int_equal(mtlua_complete(s, "mtl.task.cl", ins, sizeof ins, list, sizeof list), 1);
    assert_string_equal(ins, "assify");
    assert_int_equal(mtlua_complete(s, "print(mtl.optim.a", ins, sizeof ins, list, sizeof list), 3);
    assert_string_equal(list, "adagrad  adam  adamw");
    /* constructors made on demand: their names from the registries */
    assert_int_equal(mtlua_complete(s, "mtl.share.ha", ins, sizeof ins, list, sizeof list), 1);
    assert_string_equal(ins, "rd");
    assert_int_equal(mtlua_complete(s, "mtl.combine.pcg", ins, sizeof ins, list, sizeof list), 1);
    assert_string_equal(ins, "rad");
    assert_int_equal(mtlua_complete(s, "tra", ins, sizeof ins, list, sizeof list), 1);
    assert_string_equal(ins, "p");
    assert_int_equal(mtlua_complete(s, "trap.x", ins, sizeof ins, list, sizeof list), 0);
    assert_int_equal(mtlua_complete(s, "nothing.here.", ins, sizeof ins, list, sizeof list), 0);
    assert_int_equal(mtlua_complete(s, "run:zzz", ins, sizeof ins, list, sizeof list), 0);
    assert_string_equal(ins, "");
    mtlua_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lua_table_data_and_masks),
        cmocka_unit_test(test_lua_task_limit),
        cmocka_unit_test(test_lua_generate_with_missing_labels),
        cmocka_unit_test(test_lua_target_function_and_overrides),
        cmocka_unit_test(test_lua_validation_messages),
        cmocka_unit_test(test_lua_variants_share_data),
        cmocka_unit_test(test_lua_console_eval),
        cmocka_unit_test(test_lua_methods_on_vectors),
        cmocka_unit_test(test_lua_method_parameters),
        cmocka_unit_test(test_lua_adversarial_task_reverses_trunk_gradient),
        cmocka_unit_test(test_lua_callbacks_schedule_and_stop),
        cmocka_unit_test(test_lua_metamethod_errors_are_caught),
        cmocka_unit_test(test_lua_host_print_pause_matrix),
        cmocka_unit_test(test_lua_console_completion),
    };
    return cmocka_run_group_tests_name("lua session", tests, setup, teardown);
}
