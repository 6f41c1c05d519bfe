/* test_e2e_methods.c - every registered method runs headless from a script,
 * and config.json records what ran: the method, its family and EVERY
 * parameter of the registry, the given values and the defaults (choices by
 * name); the topology's and the regularisers' own parameters likewise.
 * The expected keys and defaults are read from the registry itself, so a
 * new method or parameter is covered without editing this file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <ctype.h>
#include <math.h>

#include "e2e_util.h"
#include "mtl/methods.h"
#include "mtl/topology.h"

/* The run directory of experiment i (0-based) called name: "03-mgda-ub". */
static void exp_dir(const char *run, int i, const char *name, char *out, size_t n)
{
    size_t w = (size_t)snprintf(out, n, "%s/%s/%02d-", e2e_tmpdir(), run, i + 1);
    for (const char *p = name; *p && w + 1 < n; p++) out[w++] = isalnum((unsigned char)*p) ? *p : '-';
    out[w] = '\0';
}

/* obj holds every parameter of defs: the value in `given` (a Lua-ish
 * "key=value" list, choices by name) or else the default. */
static void expect_params(const char *what, const cJSON *obj, const mt_tparam_def *defs, const mt_tparams *given)
{
    for (const mt_tparam_def *d = defs; d->key; d++) {
        if (d->type == MT_TP_TABLE || d->type == MT_TP_FUNCTION) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, d->key);
        if (!v) fail_msg("%s: the record lacks parameter %s", what, d->key);
        int have = tparam_given(given, d->key);
        if (!have && (d->flags & (MT_TPF_DERIVED | MT_TPF_REQUIRED))) {
            if (!cJSON_IsNull(v)) fail_msg("%s.%s: an unresolved derived default is null", what, d->key);
            continue;
        }
        double want = tparam_num(given, defs, d->key);
        switch (d->type) {
        case MT_TP_CHOICE: {
            char name[64];
            tparam_choice_name(d, (int)want, name, sizeof name);
            if (!cJSON_IsString(v) || strcmp(v->valuestring, name) != 0)
                fail_msg("%s.%s: expected \"%s\" in config.json", what, d->key, name);
            break;
        }
        case MT_TP_BOOL:
            if (!cJSON_IsBool(v) || cJSON_IsTrue(v) != (want != 0)) fail_msg("%s.%s: wrong boolean", what, d->key);
            break;
        case MT_TP_STRING:
            if (!cJSON_IsString(v) || strcmp(v->valuestring, tparam_text(given, defs, d->key)) != 0)
                fail_msg("%s.%s: wrong text", what, d->key);
            break;
        case MT_TP_INTS:
        case MT_TP_NUMBERS:
            if (have) {
                double l[MT_TPARAM_LISTMAX];
                int n = tparam_list(given, d->key, l, MT_TPARAM_LISTMAX);
                if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != n) fail_msg("%s.%s: wrong list", what, d->key);
                for (int k = 0; k < n; k++)
                    if (cJSON_GetArrayItem(v, k)->valuedouble != l[k]) fail_msg("%s.%s[%d]: wrong", what, d->key, k);
            } else if (!cJSON_IsNumber(v) || v->valuedouble != d->dflt) {
                fail_msg("%s.%s: expected the default %g", what, d->key, d->dflt);
            }
            break;
        default:
            if (!cJSON_IsNumber(v) || fabs(v->valuedouble - want) > 1e-12 * fabs(want))
                fail_msg("%s.%s: expected %g in config.json, got %g", what, d->key, want,
                         cJSON_IsNumber(v) ? v->valuedouble : NAN);
        }
    }
}

#define DATA                                                                                                \
    "local data = mtl.data.generate { n = 64, seed = 3, fn = function(i)\n"                               \
    "  local a, b = math.sin(i), math.cos(3 * i)\n"                                                       \
    "  return { a, b, a * b }, { y1 = a + 0.5 * b, y2 = a - b * b, y3 = b - 0.3 * a } end, val = 8, test = 8 }\n"

/* One experiment per registered method with its defaults, plus variants
 * that give some parameters (a choice by name and by index, an integer, a
 * learned scalar's optimiser). */
static void test_e2e_methods_config_records_every_parameter(void **state)
{
    (void)state;
    /* two scripts: a script returns at most 32 experiments */
    int n = method_count(), half = (n + 1) / 2;
    static const char *const variants[][2] = {
        {"mgda", "mtl.combine.mgda { norm = 'loss', max_iter = 7 }"},
        {"mgda_ub", "mtl.combine.mgda_ub { norm = 0, tol = 1e-8 }"},
        {"cagrad", "mtl.combine.cagrad { c = 0.2, rescale = 2 }"},
        {"dwa", "mtl.weight.dwa { temp = 3, window = 1 }"},
        {"uncertainty", "mtl.weight.uncertainty { opt = 'sgd', lr = 0.1 }"},
        {"nash_mtl", "mtl.combine.nash_mtl { max_iter = 50 }"},
    };
    int nv = (int)(sizeof variants / sizeof variants[0]);
    for (int part = 0; part < 2; part++) {
        char script[8192];
        /* three tasks: krum and trimmed_mean need them with their defaults */
        size_t w = (size_t)snprintf(script, sizeof script,
            "local mtl = require 'mtl'\n" DATA
            "local base = mtl.experiment { name = 'x', data = data,\n"
            "  tasks = { mtl.task.regress { name = 'y1' }, mtl.task.regress { name = 'y2' },\n"
            "            mtl.task.regress { name = 'y3' } },\n"
            "  topology = mtl.share.hard { trunk = { 8 } }, train = { batch = 16, steps = 2, seed = 5 } }\n"
            "local list = {}\n"
            "for k, m in ipairs(mtl.method_names()) do\n"
            "  if k >= %d and k <= %d then list[#list + 1] = mtl.variant(base, { name = m, weighting = m }) end\n"
            "end\n",
            part ? half + 1 : 1, part ? n : half);
        for (int v = 0; part && v < nv; v++)
            w += (size_t)snprintf(script + w, sizeof script - w,
                                  "list[#list + 1] = mtl.variant(base, { name = 'given %s', weighting = %s })\n",
                                  variants[v][0], variants[v][1]);
        snprintf(script + w, sizeof script - w, "return list\n");
        const char *s = e2e_write(part ? "methods2.lua" : "methods.lua", script);
        char args[1024], *out, *err;
        snprintf(args, sizeof args, "run '%s' --out %s -q", s, part ? "all2" : "all");
        int rc = e2e_run(args, &out, &err);
        if (rc != 0) fprintf(stderr, "%s\n%s\n", out ? out : "", err ? err : "");
        assert_int_equal(rc, 0);
        free(out);
        free(err);
    }
    for (int i = 0; i < n + nv; i++) {
        const mt_method_info *m = i < n ? method_at(i) : method_find(variants[i - n][0]);
        assert_non_null(m);
        char name[64], dir[700], path[800];
        snprintf(name, sizeof name, i < n ? "%s" : "given %s", m->name);
        exp_dir(i < half ? "all" : "all2", i < half ? i : i - half, name, dir, sizeof dir);
        snprintf(path, sizeof path, "%s/config.json", dir);
        cJSON *cfg = e2e_read_json(path);
        const cJSON *wj = cJSON_GetObjectItemCaseSensitive(cfg, "weighting");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(wj, "method")->valuestring, m->name);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(wj, "family")->valuestring, method_family_name(m->family));
        /* method, family and the parameters: nothing else */
        assert_int_equal(cJSON_GetArraySize(wj), 2 + tparam_count(m->params));
        mt_tparams given;
        memset(&given, 0, sizeof given);
        if (i >= n) { /* the values the variant gave, by hand */
            const char *v = variants[i - n][0];
            if (!strcmp(v, "mgda")) {
                tparam_set_num(&given, "norm", MT_TP_CHOICE, 2);
                tparam_set_num(&given, "max_iter", MT_TP_INT, 7);
            } else if (!strcmp(v, "mgda_ub")) {
                tparam_set_num(&given, "norm", MT_TP_CHOICE, 0);
                tparam_set_num(&given, "tol", MT_TP_NUMBER, 1e-8);
            } else if (!strcmp(v, "cagrad")) {
                tparam_set_num(&given, "c", MT_TP_NUMBER, 0.2);
                tparam_set_num(&given, "rescale", MT_TP_INT, 2);
            } else if (!strcmp(v, "dwa")) {
                tparam_set_num(&given, "temp", MT_TP_NUMBER, 3);
                tparam_set_num(&given, "window", MT_TP_INT, 1);
            } else if (!strcmp(v, "uncertainty")) {
                tparam_set_num(&given, "opt", MT_TP_CHOICE, 0);
                tparam_set_num(&given, "lr", MT_TP_NUMBER, 0.1);
            } else {
                tparam_set_num(&given, "max_iter", MT_TP_INT, 50);
            }
        }
        expect_params(name, wj, m->params, &given);
        /* the run finished: the method really ran with these settings */
        snprintf(path, sizeof path, "%s/summary.json", dir);
        cJSON *sum = e2e_read_json(path);
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(sum, "status");
        if (!cJSON_IsString(status) || strcmp(status->valuestring, "finished") != 0)
            fail_msg("%s: status %s", name, cJSON_IsString(status) ? status->valuestring : "?");
        cJSON_Delete(sum);
        cJSON_Delete(cfg);
    }
    /* spot checks by hand, independent of the registry's accessors */
    char dir[700], path[800];
    exp_dir("all2", n - half, "given mgda", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text = e2e_read(path);
    assert_non_null(strstr(text, "\"norm\":\t\"loss\""));
    assert_non_null(strstr(text, "\"max_iter\":\t7"));
    assert_non_null(strstr(text, "\"tol\":\t1e-10"));
    free(text);
    int mgda = (int)(method_find("mgda") - method_at(0));
    exp_dir(mgda < half ? "all" : "all2", mgda < half ? mgda : mgda - half, "mgda", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    text = e2e_read(path);
    assert_non_null(strstr(text, "\"max_iter\":\t250"));
    assert_non_null(strstr(text, "\"norm\":\t\"l2\""));
    free(text);
}

/* A switch during the run (the console's run:set_weighting, the screen's
 * `w`) is recorded in events.jsonl with every parameter the method now runs
 * with: the given ones and the registry's defaults, as config.json. */
static void test_e2e_methods_switch_event_records_params(void **state)
{
    (void)state;
    const char *s = e2e_write("switch.lua",
        "local mtl = require 'mtl'\n" DATA
        "return mtl.experiment { name = 'x', data = data,\n"
        "  tasks = { mtl.task.regress { name = 'y1' }, mtl.task.regress { name = 'y2' } },\n"
        "  topology = mtl.share.hard { trunk = { 8 } }, train = { batch = 16, steps = 6, seed = 5, callback_every = 1 },\n"
        "  on_step = function(run, step)\n"
        "    if step == 2 then run:set_weighting('mgda') end\n"
        "    if step == 4 then run:set_weighting(mtl.combine.cagrad { c = 0.25 }) end\n"
        "  end }\n");
    char args[1024], *err, path[800];
    snprintf(args, sizeof args, "run '%s' --out switch -q", s);
    int rc = e2e_run(args, NULL, &err);
    if (rc) fprintf(stderr, "%s\n", err ? err : "");
    assert_int_equal(rc, 0);
    free(err);
    snprintf(path, sizeof path, "%s/switch/events.jsonl", e2e_tmpdir());
    char *text = e2e_read(path);
    assert_non_null(text);
    /* by hand (before the lines are cut below): MGDA's default max_iter, CAGrad's given c */
    assert_non_null(strstr(text, "\"method\":\"mgda\",\"params\":{"));
    assert_non_null(strstr(text, "\"max_iter\":250"));
    assert_non_null(strstr(text, "\"c\":0.25"));
    const char *const want[] = {"mgda", "cagrad"};
    int seen = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
        if (strcmp(ev->valuestring, "weighting") == 0) {
            assert_true(seen < 2);
            const char *name = cJSON_GetObjectItemCaseSensitive(o, "method")->valuestring;
            assert_string_equal(name, want[seen]);
            const mt_method_info *m = method_find(name);
            mt_tparams given;
            memset(&given, 0, sizeof given);
            if (seen == 1) tparam_set_num(&given, "c", MT_TP_NUMBER, 0.25);
            const cJSON *params = cJSON_GetObjectItemCaseSensitive(o, "params");
            assert_non_null(params);
            assert_int_equal(cJSON_GetArraySize(params), tparam_count(m->params));
            expect_params(name, params, m->params, &given);
            seen++;
        }
        cJSON_Delete(o);
        line = nl + 1;
    }
    free(text);
    assert_int_equal(seen, 2);
}

/* The topology's own parameters and each regulariser's, resolved the same
 * way; `mtlab check` shows the method's resolved parameters too. */
static void test_e2e_methods_topology_and_regs_in_config(void **state)
{
    (void)state;
    const char *s = e2e_write("topo.lua",
        "local mtl = require 'mtl'\n" DATA
        "return mtl.experiment { name = 'moe', data = data,\n"
        "  tasks = { mtl.task.regress { name = 'y1' }, mtl.task.regress { name = 'y2' } },\n"
        "  topology = mtl.share.mmoe { trunk = { 8 }, experts = 3 },\n"
        "  regularizers = { mtl.reg.block_sparse { norm = 'dirty', lambda_s = 0.5 } },\n"
        "  weighting = mtl.combine.cagrad { c = 0.25 },\n"
        "  train = { batch = 16, steps = 2 } }\n");
    char args[1024], *out, *err;
    snprintf(args, sizeof args, "run '%s' --out topo -q", s);
    assert_int_equal(e2e_run(args, &out, &err), 0);
    free(out);
    free(err);
    char path[800];
    snprintf(path, sizeof path, "%s/topo/config.json", e2e_tmpdir());
    cJSON *cfg = e2e_read_json(path);
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(cfg, "topology");
    mt_tparams given;
    memset(&given, 0, sizeof given);
    tparam_set_num(&given, "experts", MT_TP_INT, 3);
    expect_params("topology", tp, topo_find("mmoe")->params, &given);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(tp, "expert"))); /* derived: the trunk */
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(tp, "experts")->valueint, 3);
    const cJSON *regs = cJSON_GetObjectItemCaseSensitive(cfg, "regularizers");
    assert_int_equal(cJSON_GetArraySize(regs), 1);
    const cJSON *r = cJSON_GetArrayItem(regs, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "type")->valuestring, "block_sparse");
    memset(&given, 0, sizeof given);
    tparam_set_num(&given, "norm", MT_TP_CHOICE, 2);
    tparam_set_num(&given, "lambda_s", MT_TP_NUMBER, 0.5);
    expect_params("block_sparse", r, reg_find("block_sparse")->params, &given);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "norm")->valuestring, "dirty");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "layer")->valuestring, "");
    cJSON_Delete(cfg);
    snprintf(args, sizeof args, "check '%s'", s);
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    assert_non_null(strstr(out, "weighting cagrad rep_grad=false, c=0.25, rescale=1\n"));
    free(out);
}

/* `mtlab --list-methods` prints the registry; --markdown the docs' text;
 * --list-data and --list-topologies the other registries. */
static void test_e2e_methods_list(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(e2e_run("--list-methods", &out, &err), 0);
    for (int i = 0; i < method_count(); i++) {
        char line[64];
        snprintf(line, sizeof line, "\n  %-12s %s", method_at(i)->name, method_at(i)->summary);
        if (!strstr(out, line)) fail_msg("--list-methods lacks %s", method_at(i)->name);
    }
    assert_non_null(strstr(out, "max_iter = 250"));
    free(out);
    free(err);
    assert_int_equal(e2e_run("--list-methods --markdown", &out, NULL), 0);
    size_t n = method_markdown(NULL, 0);
    char *gen = malloc(n + 1);
    method_markdown(gen, n + 1);
    assert_string_equal(out, gen);
    free(gen);
    free(out);
    assert_int_equal(e2e_run("--list-methods --html", NULL, &err), 2);
    assert_non_null(strstr(err, "usage: mtlab --list-methods [--markdown]"));
    free(err);
    assert_int_equal(e2e_run("--list-topologies", &out, NULL), 0);
    assert_non_null(strstr(out, "\n  mmoe "));
    assert_non_null(strstr(out, "\n  block_sparse "));
    assert_non_null(strstr(out, "experts = 4"));
    free(out);
    assert_int_equal(e2e_run("--list-data", &out, NULL), 0);
    assert_non_null(strstr(out, "\n  kendall "));
    assert_non_null(strstr(out, "n = required"));
    free(out);
    assert_int_equal(e2e_run("--help", &out, NULL), 0);
    assert_non_null(strstr(out, "--list-methods [--markdown]"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_methods_config_records_every_parameter),
        cmocka_unit_test(test_e2e_methods_switch_event_records_params),
        cmocka_unit_test(test_e2e_methods_topology_and_regs_in_config),
        cmocka_unit_test(test_e2e_methods_list),
    };
    return cmocka_run_group_tests_name("e2e methods", tests, NULL, e2e_teardown);
}
