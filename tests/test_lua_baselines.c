/* test_lua_baselines.c - src/run/baselines.c on experiments built from
 * scripts: the cache key (a hash of the canonical configuration JSON)
 * stays the same for what a single-task model does not see (the weighting,
 * the experiment's name) and changes with what it does (data by content,
 * optimiser, seed, targets, heads); delta_m by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua/mtlua.h"
#include "run/baselines.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mtlab-bl-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* `data_seed` changes the data's content, nothing else */
static const char *script(int data_seed)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/s%d.lua", dir, data_seed);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "local mtl = require 'mtl'\n"
            "return mtl.experiment { name = 'e',\n"
            "  data = mtl.data.mmoe { tasks = 2, d = 4, train = 40, val = 10, test = 10, seed = %d },\n"
            "  tasks = { mtl.task.regress { name = 'a', target = 'y1' }, mtl.task.regress { name = 'b', target = 'y2' } },\n"
            "  topology = mtl.share.hard { trunk = { 4 }, head = { 2 } },\n"
            "  train = { batch = 8, epochs = 1, seed = 1, baselines = true } }\n",
            data_seed);
    fclose(f);
    return path;
}

/* The cache file name of the script's experiment with the overrides. */
static void key_of(int data_seed, const char *set_key, const char *set_value, char *path, size_t n)
{
    mtlua_override ov[1] = {{set_key, set_value}};
    mtlua_session *s;
    if (mtlua_open(script(data_seed), ov, set_key ? 1 : 0, &s)) fail_msg("%s", mt_last_error());
    assert_int_equal(baselines_cache_path(mtlua_experiment(s, 0), "cache", path, n), MT_OK);
    mtlua_close(s);
}

static void test_lua_baselines_cache_key(void **state)
{
    (void)state;
    char base[256], again[256], other[256];
    key_of(1, NULL, NULL, base, sizeof base);
    key_of(1, NULL, NULL, again, sizeof again);
    assert_string_equal(base, again);
    assert_int_equal(strncmp(base, "cache/baselines-", 16), 0);
    assert_int_equal((int)strlen(base), 16 + 16 + 5);
    /* what a single-task model does not see */
    static const char *const same[][2] = {{"weighting", "pcgrad"}, {"name", "other"}, {"tasks[1].weight", "0.5"}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        key_of(1, same[i][0], same[i][1], other, sizeof other);
        if (strcmp(other, base) != 0) fail_msg("--set %s=%s changed the key", same[i][0], same[i][1]);
    }
    /* what it does, and where its learning curve is sampled (its slopes are
     * cached too) */
    static const char *const differ[][2] = {{"train.eval_every", "3"}, {"optim.lr", "0.02"}, {"train.seed", "2"}, {"train.batch", "4"},
                                            {"topology.trunk", "{5}"}, {"tasks[2].target", "y1"},
                                            {"tasks[1].loss", "l1"}};
    for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++) {
        key_of(1, differ[i][0], differ[i][1], other, sizeof other);
        if (strcmp(other, base) == 0) fail_msg("--set %s=%s left the key unchanged", differ[i][0], differ[i][1]);
    }
    /* the data by content: the same declaration with another seed */
    key_of(2, NULL, NULL, other, sizeof other);
    assert_string_not_equal(other, base);
}

static void test_lua_baselines_config_json(void **state)
{
    (void)state;
    mtlua_session *s;
    assert_int_equal(mtlua_open(script(1), NULL, 0, &s), MT_OK);
    const mt_experiment *e = mtlua_experiment(s, 0);
    cJSON *o = baselines_config_json(e);
    assert_non_null(o);
    char fp[32];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)baselines_data_fingerprint(e->data));
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "fingerprint")->valuestring, fp);
    const cJSON *tasks = cJSON_GetObjectItem(o, "tasks");
    assert_int_equal(cJSON_GetArraySize(tasks), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, 1), "target")->valuestring, "y2");
    assert_null(cJSON_GetObjectItem(o, "weighting"));
    cJSON_Delete(o);
    mtlua_close(s);
}

/* delta_m = mean over scored tasks of +-(M - M_single) / M_single, in %:
 * accuracy 0.9 against 0.8 is +12.5%, an MSE of 0.2 against 0.25 is +20%
 * (lower is better): +16.25%. */
static void test_lua_baselines_delta_m(void **state)
{
    (void)state;
    mt_experiment e;
    experiment_defaults(&e);
    e.ntasks = 3;
    e.task[0].metric = MT_METRIC_ACCURACY;
    e.task[0].in_score = 1;
    e.task[1].metric = MT_METRIC_MSE;
    e.task[1].in_score = 1;
    e.task[2].metric = MT_METRIC_MSE;
    e.task[2].in_score = 0; /* an auxiliary task does not count */
    mt_baselines b = {.have = 1, .metric = {0.8, 0.25, 1.0}};
    const double mtl[] = {0.9, 0.2, 5.0};
    assert_true(fabs(delta_m(&e, mtl, &b) - 16.25) < 1e-12);
    b.have = 0;
    assert_true(isnan(delta_m(&e, mtl, &b)));
    b.have = 1;
    b.metric[0] = 0; /* a zero baseline cannot be divided by: left out */
    b.metric[1] = NAN;
    assert_true(isnan(delta_m(&e, mtl, &b)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lua_baselines_cache_key),
        cmocka_unit_test(test_lua_baselines_config_json),
        cmocka_unit_test(test_lua_baselines_delta_m),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
