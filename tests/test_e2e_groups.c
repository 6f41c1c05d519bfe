/* test_e2e_groups.c - task grouping (survey section 6.9): experiment 27
 * run headless with the real binary. The claim the script declares must
 * hold (written once, in the script), on the shipped data and on another
 * draw; the published "group affinity" is checked independently: its
 * labels put the true clusters in two blocks, and the proposed grouping
 * scores at least as much as every other split into two groups, by a
 * score written out here. Bad declarations of mtl.search.groups name the
 * field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <dirent.h>
#include <math.h>

#include "e2e_util.h"

#ifndef MTLAB_ROOT
#define MTLAB_ROOT "."
#endif

/* The last "group affinity" of a run folder's relations.jsonl: T x T
 * values and the row labels (task names). Returns T. */
static int group_affinity(const char *dir, double *v, char names[][32])
{
    char p[900];
    snprintf(p, sizeof p, "%s/relations.jsonl", dir);
    char *s = e2e_read(p);
    assert_non_null(s);
    int T = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        if (!o) continue;
        const cJSON *nm = cJSON_GetObjectItem(o, "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, "group affinity") == 0) {
            T = cJSON_GetObjectItem(o, "rows")->valueint;
            const cJSON *rows = cJSON_GetObjectItem(o, "values"), *labels = cJSON_GetObjectItem(o, "row_labels");
            for (int i = 0; i < T; i++) {
                snprintf(names[i], 32, "%s", cJSON_GetArrayItem(labels, i)->valuestring);
                for (int j = 0; j < T; j++)
                    v[i * T + j] = cJSON_GetArrayItem(cJSON_GetArrayItem(rows, i), j)->valuedouble;
            }
        }
        cJSON_Delete(o);
    }
    free(s);
    return T;
}

/* The total affinity of a grouping (groups.h), written out again. */
static double score(const double *A, int T, const int *g)
{
    double s = 0;
    for (int i = 0; i < T; i++) {
        double sum = 0;
        int m = 0;
        for (int j = 0; j < T; j++)
            if (j != i && g[j] == g[i]) sum += A[j * T + i], m++;
        if (m) s += sum / m;
    }
    return s;
}

static void check_run(const char *extra)
{
    const char *top = e2e_claim_holds(MTLAB_ROOT, "27_task_grouping", extra, 0);
    char dir[900];
    snprintf(dir, sizeof dir, "%s/01-groups", top);
    double A[64];
    char names[8][32];
    int T = group_affinity(dir, A, names);
    assert_int_equal(T, 6);
    /* the true cluster of each task (config.json: data.clusters, by task
     * index) in the matrix's order */
    char p[900];
    snprintf(p, sizeof p, "%s/config.json", dir);
    cJSON *cfg = e2e_read_json(p);
    const cJSON *cl = cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "data"), "clusters");
    assert_int_equal(cJSON_GetArraySize(cl), 6);
    int c[6];
    for (int i = 0; i < T; i++) {
        int task = atoi(names[i] + 4); /* "task<k>" */
        assert_true(task >= 1 && task <= 6);
        c[i] = cJSON_GetArrayItem(cl, task - 1)->valueint;
    }
    cJSON_Delete(cfg);
    /* two blocks: the first three rows one cluster, the last three the other */
    for (int i = 0; i < T; i++) assert_int_equal(c[i] == c[0], i < 3);
    /* the grouping shown (the blocks) is the best split into two groups */
    int shown[6] = {0, 0, 0, 1, 1, 1};
    double best = score(A, T, shown);
    for (int code = 1; code < (1 << T) - 1; code++) {
        int g[6];
        for (int i = 0; i < T; i++) g[i] = code >> i & 1;
        assert_true(score(A, T, g) <= best + 1e-12);
    }
    /* the single-task baselines make delta_m: every run reports it */
    const char *runs[] = {"01-groups", "02-all-in-one", "03-all-apart"};
    for (int r = 0; r < 3; r++) {
        snprintf(p, sizeof p, "%s/%s/summary.json", top, runs[r]);
        cJSON *s = e2e_read_json(p);
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(s, "delta_m_percent")));
        cJSON_Delete(s);
    }
}

static void test_e2e_groups_claim(void **state)
{
    (void)state;
    check_run(NULL);
}

static void test_e2e_groups_claim_other_draw(void **state)
{
    (void)state;
    check_run("--draw 2 --seed 3 --force");
}

/* Mistakes in the declaration are messages naming the field and line. */
static void test_e2e_groups_bad_declarations(void **state)
{
    (void)state;
    static const struct {
        const char *fields, *message;
    } cases[] = {
        {"k = 2, budgit = 10", "search.groups.budgit: unknown field (did you mean 'budget'?)"},
        {"k = 7, budget = 10", "search.groups.k: expected an integer from 1 to 3, got 7"},
        {"budget = 10", "search.groups.k: expected an integer from 1 to 3, got nil"},
        {"k = 2, budget = 10, base = mtl.variant(base, { topology = mtl.share.mmoe {} })",
         "search.groups.base.topology: expected mtl.share.hard"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "local mtl = require 'mtl'\n"
                 "local base = mtl.experiment { data = mtl.data.related { tasks = 3, n_each = 50 },\n"
                 "  tasks = { mtl.task.regress { name = 'task1' }, mtl.task.regress { name = 'task2' },\n"
                 "            mtl.task.regress { name = 'task3' } } }\n"
                 "local t = { base = base, %s }\n"
                 "return (mtl.search.groups(t))\n",
                 cases[i].fields);
        e2e_write("bad_groups.lua", text);
        char *out = NULL, *err = NULL;
        int rc = e2e_run("check bad_groups.lua", &out, &err);
        assert_int_equal(rc, 2);
        if (!err || !strstr(err, cases[i].message) || !strstr(err, "bad_groups.lua:6"))
            fail_msg("case %zu: expected \"%s\" at bad_groups.lua:6, got: %s", i, cases[i].message, err ? err : "");
        free(out);
        free(err);
    }
}

/* run:publish: a script's matrix reaches relations.jsonl and
 * summary.json with its labels; a ragged row is an error naming it. */
static void test_e2e_groups_run_publish(void **state)
{
    (void)state;
    e2e_write("publish.lua",
              "local mtl = require 'mtl'\n"
              "return mtl.experiment { data = mtl.data.related { tasks = 2, n_each = 50 },\n"
              "  tasks = { mtl.task.regress { name = 'task1' }, mtl.task.regress { name = 'task2' } },\n"
              "  train = { steps = 4, eval_every = 2 },\n"
              "  on_eval = function(run) run:publish('mine', { { 1, 2, 3 }, { 4, 5, 6 } }, nil, { 'a', 'b', 'c' }) end }\n");
    char *out = NULL, *err = NULL;
    assert_int_equal(e2e_run("run publish.lua --out publish -q", &out, &err), 0);
    free(out);
    free(err);
    char p[900];
    snprintf(p, sizeof p, "%s/publish/summary.json", e2e_tmpdir());
    cJSON *s = e2e_read_json(p);
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "matrices"), "mine");
    assert_non_null(m);
    const cJSON *last = cJSON_GetObjectItem(m, "last");
    assert_int_equal(cJSON_GetArraySize(last), 2);
    assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(last, 1), 2)->valuedouble == 6);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "row_labels"), 1)->valuestring, "task2");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "col_labels"), 2)->valuestring, "c");
    cJSON_Delete(s);
    e2e_write("publish_bad.lua",
              "local mtl = require 'mtl'\n"
              "return mtl.experiment { data = mtl.data.related { tasks = 2, n_each = 50 },\n"
              "  tasks = { mtl.task.regress { name = 'task1' }, mtl.task.regress { name = 'task2' } },\n"
              "  train = { steps = 4, eval_every = 2 },\n"
              "  on_eval = function(run) run:publish('mine', { { 1, 2, 3 }, { 4, 5 } }) end }\n");
    assert_int_equal(e2e_run("run publish_bad.lua --out publish_bad -q", &out, &err), 2); /* a script error */
    if (!err || !strstr(err, "run:publish: row 2 has 2 numbers (expected as many as row 1)"))
        fail_msg("got: %s", err ? err : "");
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_groups_claim),
        cmocka_unit_test(test_e2e_groups_claim_other_draw),
        cmocka_unit_test(test_e2e_groups_bad_declarations),
        cmocka_unit_test(test_e2e_groups_run_publish),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2e_cleanup();
    return rc;
}
