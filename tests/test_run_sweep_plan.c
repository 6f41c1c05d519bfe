/* test_run_sweep_plan.c - a sweep's configurations, names, directories,
 * run order and the `mtlab run` arguments of each run; seeds lists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "run/sweep_plan.h"

static mt_sweep_spec *two_by_two(void)
{
    mt_sweep_spec *s = calloc(1, sizeof *s);
    sweep_spec_defaults(s);
    snprintf(s->script, sizeof s->script, "exp.lua");
    s->nexp = 2;
    snprintf(s->exp_name[0], sizeof s->exp_name[0], "shared bottom");
    snprintf(s->exp_name[1], sizeof s->exp_name[1], "MMoE");
    s->naxes = 2;
    mt_sweep_axis *w = &s->axis[0];
    snprintf(w->key, sizeof w->key, "weighting");
    w->nvalues = 2;
    snprintf(w->value[0], sizeof w->value[0], "equal");
    snprintf(w->label[0], sizeof w->label[0], "equal");
    snprintf(w->value[1], sizeof w->value[1], "{method=\"cagrad\",c=0.4}");
    snprintf(w->label[1], sizeof w->label[1], "cagrad");
    mt_sweep_axis *t = &s->axis[1];
    snprintf(t->key, sizeof t->key, "topology.trunk");
    t->nvalues = 1; /* one value: a setting, not part of the names */
    snprintf(t->value[0], sizeof t->value[0], "{64}");
    snprintf(t->label[0], sizeof t->label[0], "64");
    s->nseeds = 3;
    s->seed[0] = 1;
    s->seed[1] = 2;
    s->seed[2] = 10;
    return s;
}

static void test_run_sweep_plan_configs(void **state)
{
    (void)state;
    mt_sweep_spec *s = two_by_two();
    mt_sweep_plan *p;
    assert_int_equal(sweep_plan_build(s, &p), MT_OK);
    assert_int_equal(p->nconfigs, 4);
    assert_int_equal(p->nruns, 12);
    const char *names[] = {"shared bottom weighting=equal", "shared bottom weighting=cagrad", "MMoE weighting=equal",
                           "MMoE weighting=cagrad"};
    const char *dirs[] = {"shared_bottom_weighting-equal", "shared_bottom_weighting-cagrad", "mmoe_weighting-equal",
                          "mmoe_weighting-cagrad"};
    for (int c = 0; c < 4; c++) {
        assert_string_equal(p->config[c].name, names[c]);
        assert_string_equal(p->config[c].dir, dirs[c]);
        assert_int_equal(p->config[c].exp, c / 2);
        assert_int_equal(p->config[c].point[0], c % 2);
        assert_int_equal(p->config[c].point[1], 0);
    }
    /* configuration-major: the seeds of one configuration are neighbours */
    assert_int_equal(p->run[4].config, 1);
    assert_int_equal(p->run[4].seed, 1);
    assert_string_equal(p->run[5].dir, "shared_bottom_weighting-cagrad/seed-10");
    assert_int_equal(p->reference, 0);
    assert_int_equal(sweep_plan_find_config(p, "MMoE weighting=equal"), 2);
    assert_int_equal(sweep_plan_find_config(p, "mmoe_weighting-cagrad"), 3);
    assert_int_equal(sweep_plan_find_config(p, "nope"), -1);
    sweep_plan_free(p);
    free(s);
}

static void test_run_sweep_plan_argv(void **state)
{
    (void)state;
    mt_sweep_spec *s = two_by_two();
    s->nsets = 1;
    snprintf(s->set[0].key, sizeof s->set[0].key, "train.epochs");
    snprintf(s->set[0].value, sizeof s->set[0].value, "2");
    s->nseed_paths = 2;
    snprintf(s->seed_path[1], sizeof s->seed_path[1], "data.seed");
    mt_sweep_plan *p;
    assert_int_equal(sweep_plan_build(s, &p), MT_OK);
    mt_sweep_argv *a = malloc(sizeof *a);
    assert_int_equal(sweep_plan_argv(p, 10, "out dir", a), MT_OK); /* MMoE cagrad, seed 2 */
    const char *want[] = {"run", "exp.lua", "--experiment", "2", "--set", "train.epochs=2", "--set",
                          "weighting={method=\"cagrad\",c=0.4}", "--set", "topology.trunk={64}", "--set",
                          "train.seed=2", "--set", "data.seed=2", "--threads", "1", "--quiet", "--force", "--baselines",
                          "out dir", "--out", "out dir/mmoe_weighting-cagrad/seed-2"};
    assert_int_equal(a->argc, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < a->argc; i++) assert_string_equal(a->argv[i], want[i]);
    assert_null(a->argv[a->argc]);
    char cmd[2048];
    assert_true(sweep_plan_command(p, 10, "/usr/bin/mtlab", "out dir", cmd, sizeof cmd) > 0);
    assert_string_equal(cmd, "/usr/bin/mtlab run exp.lua --experiment 2 --set train.epochs=2 --set "
                             "'weighting={method=\"cagrad\",c=0.4}' --set 'topology.trunk={64}' --set train.seed=2 "
                             "--set data.seed=2 --threads 1 --quiet --force --baselines 'out dir' --out "
                             "'out dir/mmoe_weighting-cagrad/seed-2'");
    /* a single quote inside a word */
    snprintf(p->spec.script, sizeof p->spec.script, "it's.lua");
    assert_true(sweep_plan_command(p, 0, "mtlab", "o", cmd, sizeof cmd) > 0);
    assert_non_null(strstr(cmd, "mtlab run 'it'\\''s.lua' --experiment 1"));
    /* too small a buffer: nothing, not half a command */
    assert_int_equal(sweep_plan_command(p, 0, "mtlab", "o", cmd, 20), 0);
    assert_string_equal(cmd, "");
    /* the sweep's --trust and --lua-mem go to its runs */
    p->spec.trust = 1;
    p->spec.lua_mem = 4294967296ULL;
    assert_int_equal(sweep_plan_argv(p, 10, "o", a), MT_OK);
    int at = -1;
    for (int i = 0; i < a->argc; i++)
        if (strcmp(a->argv[i], "--threads") == 0) at = i;
    assert_true(at > 0 && at + 4 < a->argc);
    assert_string_equal(a->argv[at + 2], "--trust");
    assert_string_equal(a->argv[at + 3], "--lua-mem");
    assert_string_equal(a->argv[at + 4], "4294967296");
    p->spec.trust = 0;
    p->spec.lua_mem = 0;
    /* one experiment: no --experiment */
    p->spec.nexp = 1;
    assert_int_equal(sweep_plan_argv(p, 0, "o", a), MT_OK);
    assert_string_equal(a->argv[2], "--set");
    assert_int_not_equal(sweep_plan_argv(p, 12, "o", a), MT_OK);
    free(a);
    sweep_plan_free(p);
    free(s);
}

static void test_run_sweep_plan_names_unique(void **state)
{
    (void)state;
    mt_sweep_spec *s = two_by_two();
    /* two experiments of one name, one axis whose labels repeat */
    snprintf(s->exp_name[1], sizeof s->exp_name[1], "shared bottom");
    snprintf(s->axis[0].label[1], sizeof s->axis[0].label[1], "equal");
    mt_sweep_plan *p;
    assert_int_equal(sweep_plan_build(s, &p), MT_OK);
    assert_string_equal(p->config[0].name, "shared bottom weighting=equal");
    assert_string_equal(p->config[1].name, "shared bottom weighting=equal #2");
    assert_string_equal(p->config[2].name, "shared bottom weighting=equal #3");
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(p->config[i].name, p->config[j].name);
            assert_string_not_equal(p->config[i].dir, p->config[j].dir);
        }
    sweep_plan_free(p);
    /* nothing varies: the configuration is named after the experiment */
    s->nexp = 1;
    s->naxes = 0;
    assert_int_equal(sweep_plan_build(s, &p), MT_OK);
    assert_int_equal(p->nconfigs, 1);
    assert_string_equal(p->config[0].name, "shared bottom");
    assert_string_equal(p->config[0].dir, "shared_bottom");
    sweep_plan_free(p);
    free(s);
}

static void test_run_sweep_plan_errors(void **state)
{
    (void)state;
    mt_sweep_spec *s = two_by_two();
    mt_sweep_plan *p;
    snprintf(s->reference, sizeof s->reference, "MMoE weighting=cagrad");
    assert_int_equal(sweep_plan_build(s, &p), MT_OK);
    assert_int_equal(p->reference, 3);
    sweep_plan_free(p);
    snprintf(s->reference, sizeof s->reference, "mmoe");
    assert_int_equal(sweep_plan_build(s, &p), MT_ERR_ARG);
    assert_null(p);
    assert_non_null(strstr(mt_last_error(), "reference 'mmoe': no such configuration (there are: shared bottom "
                                            "weighting=equal, shared bottom weighting=cagrad, MMoE"));
    s->reference[0] = '\0';
    s->nseeds = 0;
    assert_int_equal(sweep_plan_build(s, &p), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "sweep.seeds: no seeds"));
    s->nseeds = 1;
    s->axis[1].nvalues = 0;
    assert_int_equal(sweep_plan_build(s, &p), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "sweep.grid[\"topology.trunk\"]: no values"));
    free(s);
}

static void test_run_sweep_seeds(void **state)
{
    (void)state;
    unsigned long long v[16];
    int n;
    assert_int_equal(sweep_parse_seeds("1..3,7", v, 16, &n), MT_OK);
    assert_int_equal(n, 4);
    assert_true(v[0] == 1 && v[1] == 2 && v[2] == 3 && v[3] == 7);
    assert_int_equal(sweep_parse_seeds("0", v, 16, &n), MT_OK);
    assert_true(n == 1 && v[0] == 0);
    assert_int_equal(sweep_parse_seeds("1..10", v, 16, &n), MT_OK);
    assert_true(n == 10 && v[9] == 10);
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"3..1", "'3..1' is not a range"}, {"1,1", "seed 1 given twice"}, {"1..3,2", "seed 2 given twice"},
        {"a", "'a' is not a non-negative integer"}, {"-1", "'-1' is not a non-negative"}, {"1,", "ends with a comma"},
        {"", "empty"}, {"1..17", "more than 16 seeds"}, {"99999999999999999999", "not a non-negative integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sweep_parse_seeds(bad[i].text, v, 16, &n), MT_ERR_ARG);
        if (!strstr(mt_last_error(), bad[i].msg)) fail_msg("%s: got '%s'", bad[i].text, mt_last_error());
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_sweep_plan_configs),
        cmocka_unit_test(test_run_sweep_plan_argv),
        cmocka_unit_test(test_run_sweep_plan_names_unique),
        cmocka_unit_test(test_run_sweep_plan_errors),
        cmocka_unit_test(test_run_sweep_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
