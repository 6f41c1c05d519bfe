/* test_e2e_tree.c - the branching-tree search (mtl.search.tree):
 * experiment 61 run headless with the real binary. The claim the script
 * declares must hold (written once, in the script), on the shipped data
 * and on another draw; the tree the "tree" run trained is checked
 * independently from its config.json: fafs with layer 1 shared and
 * layer 2 split along the true clusters, every round done. Bad
 * declarations of mtl.search.tree name the field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <math.h>

#include "e2e_util.h"

#ifndef MTLAB_ROOT
#define MTLAB_ROOT "."
#endif

static void check_run(const char *extra)
{
    const char *top = e2e_claim_holds(MTLAB_ROOT, "61_branching_tree", extra, 0);
    char dir[900];
    snprintf(dir, sizeof dir, "%s/01-tree", top);
    cJSON *cfg = e2e_read_json_in(dir, "config.json");
    const cJSON *topo = cJSON_GetObjectItem(cfg, "topology");
    assert_string_equal(cJSON_GetObjectItem(topo, "kind")->valuestring, "fafs");
    assert_int_equal(cJSON_GetObjectItem(topo, "done")->valueint, 2);
    const cJSON *groups = cJSON_GetObjectItem(topo, "groups");
    assert_int_equal(cJSON_GetArraySize(groups), 2);
    assert_true(cJSON_GetArrayItem(groups, 0)->valuedouble == 0);
    /* layer 2: one hex digit per task, task 1 first; two tasks share a
     * digit exactly when they share a cluster */
    long code = (long)cJSON_GetArrayItem(groups, 1)->valuedouble;
    const cJSON *cl = cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "data"), "clusters");
    int digit[6];
    for (int t = 5; t >= 0; t--, code /= 16) digit[t] = (int)(code % 16);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            assert_int_equal(digit[i] == digit[j],
                             cJSON_GetArrayItem(cl, i)->valueint == cJSON_GetArrayItem(cl, j)->valueint);
    cJSON_Delete(cfg);
    /* all in one: the same topology, one branch per layer */
    snprintf(dir, sizeof dir, "%s/02-all-in-one", top);
    cfg = e2e_read_json_in(dir, "config.json");
    groups = cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "topology"), "groups");
    for (int l = 0; l < 2; l++) assert_true(cJSON_GetArrayItem(groups, l)->valuedouble == 0);
    cJSON_Delete(cfg);
}

static void test_e2e_tree_claim(void **state)
{
    (void)state;
    check_run(NULL);
}

static void test_e2e_tree_claim_other_draw(void **state)
{
    (void)state;
    check_run("--draw 1 --seed 2 --force");
}

/* Mistakes in the declaration are messages naming the field and line. */
static void test_e2e_tree_bad_declarations(void **state)
{
    (void)state;
    static const struct {
        const char *fields, *message;
    } cases[] = {
        {"cost = 1, budgit = 10", "search.tree.budgit: unknown field (did you mean 'budget'?)"},
        {"cost = { 1, 2, 3 }, budget = 10", "search.tree.cost: expected a number or a list of 2 numbers"},
        {"cost = { 1, -2 }, budget = 10", "search.tree.cost[2]: expected a finite number >= 0, got -2"},
        {"budget = 10", "search.tree.cost: expected a number or a list of 2 numbers"},
        {"cost = 1, budget = 10, base = mtl.variant(base, { topology = mtl.share.mmoe {} })",
         "search.tree.base.topology: expected mtl.share.hard"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "local mtl = require 'mtl'\n"
                 "local base = mtl.experiment { data = mtl.data.related { tasks = 3, n_each = 50 },\n"
                 "  tasks = { mtl.task.regress { name = 'task1' }, mtl.task.regress { name = 'task2' },\n"
                 "            mtl.task.regress { name = 'task3' } }, topology = mtl.share.hard { trunk = { 4, 4 } } }\n"
                 "local t = { base = base, %s }\n"
                 "return (mtl.search.tree(t))\n",
                 cases[i].fields);
        e2e_write("bad_tree.lua", text);
        char *out = NULL, *err = NULL;
        int rc = e2e_run("check bad_tree.lua", &out, &err);
        assert_int_equal(rc, 2);
        if (!err || !strstr(err, cases[i].message) || !strstr(err, "bad_tree.lua:6"))
            fail_msg("case %zu: expected \"%s\" at bad_tree.lua:6, got: %s", i, cases[i].message, err ? err : "");
        free(out);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_tree_claim),
        cmocka_unit_test(test_e2e_tree_claim_other_draw),
        cmocka_unit_test(test_e2e_tree_bad_declarations),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2e_cleanup();
    return rc;
}
