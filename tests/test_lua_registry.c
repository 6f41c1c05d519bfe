/* test_lua_registry.c - the data constructors' registry (src/lua): the
 * same parameter schema as methods and topologies (tparam.h), defaults
 * that agree with the generators' C defaults (src/data/synth.h), the
 * constructors the Lua half offers, validation messages, resolved split
 * sizes, and the data tables of docs/lua-api.md equal to the registry's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/synth.h"
#include "docs_util.h"
#include "lua/lua_internal.h"

#include "lua_testutil.h"

static void test_lua_registry_sources_share_the_schema(void **state)
{
    (void)state;
    int n = db_source_count();
    assert_int_equal(n, 12);
    for (int i = 0; i < n; i++) {
        const db_source *s = db_source_at(i);
        if (tparam_lint(s->params, s->name)) fail_msg("%s", mt_last_error());
        assert_ptr_equal(db_source_find(s->name), s);
        assert_non_null(s->build);
        assert_true(s->summary && strlen(s->summary) > 10);
        for (int j = 0; j < i; j++) assert_string_not_equal(db_source_at(j)->name, s->name);
        /* a value struct holds every stored parameter */
        int stored = 0;
        for (const mt_tparam_def *d = s->params; d->key; d++) stored += d->type != MT_TP_TABLE && d->type != MT_TP_FUNCTION;
        assert_true(stored <= MT_TPARAM_MAX);
    }
    assert_null(db_source_find("nope"));
}

/* The generators' own defaults (synth_*_defaults, for C callers) are the
 * registry's: filling their members from the schema changes nothing. */
static void test_lua_registry_generator_defaults_agree(void **state)
{
    (void)state;
    synth_mmoe_opts m1, m2;
    synth_mmoe_defaults(&m1);
    m2 = m1;
    tparam_fill(db_source_find("mmoe")->params, NULL, &m2);
    assert_memory_equal(&m1, &m2, sizeof m1);
    synth_gradnorm_opts g1, g2;
    synth_gradnorm_defaults(&g1);
    g2 = g1;
    tparam_fill(db_source_find("gradnorm")->params, NULL, &g2);
    assert_memory_equal(&g1, &g2, sizeof g1);
    synth_kendall_opts k1, k2;
    synth_kendall_defaults(&k1);
    k2 = k1;
    tparam_fill(db_source_find("kendall")->params, NULL, &k2);
    assert_memory_equal(&k1, &k2, sizeof k1);
    synth_cluster_opts c1, c2;
    synth_cluster_defaults(&c1);
    c2 = c1;
    tparam_fill(db_source_find("related")->params, NULL, &c2);
    assert_memory_equal(&c1, &c2, sizeof c1);
    synth_attr_opts a1, a2;
    synth_attr_defaults(&a1);
    a2 = a1;
    tparam_fill(db_source_find("attributes")->params, NULL, &a2);
    assert_memory_equal(&a1, &a2, sizeof a1);
    /* and the fill does reach the members */
    mt_tparams p;
    memset(&p, 0, sizeof p);
    tparam_set_num(&p, "tasks", MT_TP_INT, 5);
    tparam_set_num(&p, "within", MT_TP_NUMBER, 0.75);
    tparam_fill(db_source_find("related")->params, &p, &c2);
    assert_int_equal(c2.ntasks, 5);
    assert_true(c2.within == 0.75);
}

/* mtl.data.<name> exists for every registered constructor and for no
 * other; validation speaks as it does for methods. */
static void test_lua_registry_constructors_and_messages(void **state)
{
    (void)state;
    mtlua_session *s = NULL;
    const char *p = write_script("names.lua",
        "local mtl = require 'mtl'\n"
        "local names = require('mtl.core').data_names()\n"
        "assert(#names == 12)\n"
        "for _, n in ipairs(names) do assert(type(mtl.data[n]) == 'function', n) end\n"
        "local ok, err = pcall(function() return mtl.data.mnist end)\n"
        "assert(not ok and err:find('mtl.data.mnist: no such constructor'), err)\n"
        "return nil\n");
    assert_int_equal(mtlua_open(p, NULL, 0, &s), MT_ERR_SCRIPT);
    if (!strstr(mt_last_error(), "returned nothing")) fail_msg("%s", mt_last_error());
    static const char *const bad[][2] = {
        {"mtl.data.mmoe { tasks = 2, p = 2 }", "data.p: expected a number in [-1, 1], got 2"},
        {"mtl.data.mmoe { taks = 3 }", "data.taks: mtl.data.mmoe has no parameter 'taks' (did you mean 'tasks'?)"},
        {"mtl.data.kendall { normal = 1 }", "data.normal: expected true or false, got 1"},
        {"mtl.data.generate { n = 1, fn = print }", "data.n: expected an integer in 2..10000000, got 1"},
        {"mtl.data.generate { n = 5 }", "data.fn: required field is missing (function(i) returning x,"},
        {"mtl.data.csv { path = 'x.csv', inputs = 'a', targets = { 'b' } }", "data.inputs: expected a table, got \"a\""},
        {"mtl.data.related { tasks = 2, clusters = 1, n_per_task = { 10, 20, 30 } }",
         "data.n_per_task: 3 entries for 2 tasks"},
        {"mtl.data.gradnorm { sigmas = { 1, 'a' } }", "data.sigmas[2]: expected a number, got \"a\""},
        {"mtl.data.landscape { train = 3 }", "data.train: mtl.data.landscape has no parameter 'train' (it takes none)"},
        {"mtl.data.kendall { seed = 2^60 }", "data.seed: expected an integer in 0..9007199254740991, got 1.15292e+18"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "local mtl = require 'mtl'\n"
                 "return mtl.experiment { data = %s,\n"
                 "  tasks = { mtl.task.regress { name = 'y1' } } }\n",
                 bad[i][0]);
        assert_int_not_equal(mtlua_open(write_script("bad.lua", text), NULL, 0, &s), MT_OK);
        if (!strstr(mt_last_error(), bad[i][1])) fail_msg("%s\n  got:  %s\n  want: %s", bad[i][0], mt_last_error(), bad[i][1]);
    }
}

/* The values a builder resolves (an inline split's sizes, the default
 * sigmas) are stored with the given ones, for config.json. */
static void test_lua_registry_resolved_values(void **state)
{
    (void)state;
    const char *p = write_script("ok.lua",
        "local mtl = require 'mtl'\n"
        "local g = mtl.data.generate { n = 50, val = 5, fn = function(i) return { i }, { y = i % 3 } end }\n"
        "return { mtl.experiment { name = 'g', data = g, tasks = { mtl.task.classify { name = 'y' } } },\n"
        "         mtl.experiment { name = 'k', data = mtl.data.gradnorm { d_in = 4, d_out = 2, train = 20, val = 4, test = 4 },\n"
        "           tasks = { mtl.task.regress { name = 't1' } } } }\n");
    mtlua_session *s = NULL;
    if (mtlua_open(p, NULL, 0, &s)) fail_msg("%s", mt_last_error());
    const mt_data_ref *r = mtlua_experiment(s, 0)->data;
    assert_string_equal(r->constructor, "generate");
    assert_true(tparam_num(&r->params, r->defs, "n") == 50);
    assert_true(tparam_num(&r->params, r->defs, "val") == 5);   /* given */
    assert_true(tparam_num(&r->params, r->defs, "test") == 10); /* 20% */
    assert_true(tparam_num(&r->params, r->defs, "train") == 35); /* the rest */
    assert_int_equal(r->split.train.n, 35);
    assert_string_equal(r->source, "generate(n=50, train=35, val=5, test=10, seed=1, standardize=false)");
    r = mtlua_experiment(s, 1)->data;
    double sig[4];
    assert_int_equal(tparam_list(&r->params, "sigmas", sig, 4), 2);
    assert_true(sig[0] == 1 && sig[1] == 1);
    mtlua_close(s);
}

static void test_lua_registry_docs_match(void **state)
{
    (void)state;
    char *gen = docs_generate(mtlua_data_markdown);
    assert_non_null(gen);
    assert_true(docs_section_matches(MTLAB_ROOT "/docs/lua-api.md", "data", gen));
    for (int i = 0; i < db_source_count(); i++) {
        char row[64];
        snprintf(row, sizeof row, "| `mtl.data.%s` |", db_source_at(i)->name);
        assert_non_null(strstr(gen, row));
    }
    free(gen);
    gen = docs_generate(mtlua_data_text);
    assert_non_null(gen);
    assert_non_null(strstr(gen, "      size = 36              8..36"));
    free(gen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lua_registry_sources_share_the_schema),
        cmocka_unit_test(test_lua_registry_generator_defaults_agree),
        cmocka_unit_test(test_lua_registry_constructors_and_messages),
        cmocka_unit_test(test_lua_registry_resolved_values),
        cmocka_unit_test(test_lua_registry_docs_match),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
