/* test_e2e_teaching.c - the teaching experiments run headless with the real
 * binary: why multi-task learning works (experiments 02..06, survey section
 * 4) and auxiliary tasks (experiments 50..57, survey section 5). Each test
 * runs one script as it is shipped (its own seeds) and asserts that the
 * claim the script declares held (the claim is written once, in the
 * script); beside it, checks of the machinery: delta_m recomputed by hand
 * from the per-task metrics, parameter counts, shared baselines. */
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

#define MAXRUNS 16

/* The summaries of every run of experiments/<exp>.lua, in the script's
 * order: <tmp>/<exp>/NN-<name>/summary.json for a list, or
 * <tmp>/<exp>/summary.json for a single experiment. Returns the count. */
static int load_runs(const char *exp, cJSON **runs, int max)
{
    char root[600], p[1200];
    snprintf(root, sizeof root, "%s/%s", e2e_tmpdir(), exp);
    snprintf(p, sizeof p, "%s/summary.json", root);
    if (e2e_exists(p)) {
        runs[0] = e2e_read_json(p);
        return 1;
    }
    int n = 0;
    for (int i = 1; i <= max; i++) {
        char prefix[8];
        snprintf(prefix, sizeof prefix, "%02d-", i);
        DIR *d = opendir(root);
        if (!d) fail_msg("no run directory %s", root);
        struct dirent *e;
        int found = 0;
        while ((e = readdir(d)) && !found)
            if (strncmp(e->d_name, prefix, 3) == 0) {
                snprintf(p, sizeof p, "%s/%s/summary.json", root, e->d_name);
                found = 1;
            }
        closedir(d);
        if (!found) break;
        runs[n++] = e2e_read_json(p);
    }
    return n;
}

static void free_runs(cJSON **runs, int n)
{
    for (int i = 0; i < n; i++) cJSON_Delete(runs[i]);
}

/* The run named `name` (exactly); fails the test when absent. */
static const cJSON *run_named(cJSON **runs, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(runs[i], "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0) {
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(runs[i], "status");
            if (!cJSON_IsString(st) || strcmp(st->valuestring, "finished") != 0)
                fail_msg("run \"%s\" did not finish", name);
            return runs[i];
        }
    }
    fail_msg("no run named \"%s\"", name);
    return NULL;
}

/* summary.tasks.<task>.<field> */
static double task_num(const cJSON *run, const char *task, const char *field)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(run, "tasks"), task);
    if (!t) fail_msg("no task %s in the summary", task);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, field);
    if (!cJSON_IsNumber(v)) fail_msg("tasks.%s.%s: not a number", task, field);
    return v->valuedouble;
}

static double delta_m(const cJSON *run)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, "delta_m_percent");
    if (!cJSON_IsNumber(v)) fail_msg("delta_m_percent missing (baselines = true?)");
    return v->valuedouble;
}

/* The script's claim held (exit 0, claims.json). */
static void claim_holds(const char *name) { e2e_claim_holds(MTLAB_ROOT, name, NULL, 0); }

/* --- Section 4: why MTL works ------------------------------------------ */

/* 02: its claim; and delta_m is the mean relative MSE reduction, checked
 * by hand on one run. */
static void test_e2e_teaching_implicit_data_augmentation(void **state)
{
    (void)state;
    claim_holds("02_implicit_data_augmentation");
    cJSON *runs[MAXRUNS];
    int n = load_runs("02_implicit_data_augmentation", runs, MAXRUNS);
    assert_int_equal(n, 6);
    const cJSON *r = run_named(runs, n, "independent noise s1");
    double dm = 0;
    const char *tasks[] = {"t1", "t2", "t3", "t4"};
    for (int k = 0; k < 4; k++) {
        double mt = task_num(r, tasks[k], "test_metric"), st = task_num(r, tasks[k], "single_task_metric");
        dm += 100.0 * (st - mt) / st / 4;
    }
    assert_true(fabs(dm - delta_m(r)) < 1e-3);
    free_runs(runs, n);
}

/* 03: its claim; both runs train against the same "a alone" baseline. */
static void test_e2e_teaching_attention_focusing(void **state)
{
    (void)state;
    claim_holds("03_attention_focusing");
    cJSON *runs[MAXRUNS];
    int n = load_runs("03_attention_focusing", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *rel = run_named(runs, n, "a + rel"), *unrel = run_named(runs, n, "a + unrel");
    assert_true(fabs(task_num(rel, "a", "single_task_metric") - task_num(unrel, "a", "single_task_metric")) < 1e-9);
    free_runs(runs, n);
}

static void test_e2e_teaching_eavesdropping(void **state)
{
    (void)state;
    claim_holds("04_eavesdropping");
}

static void test_e2e_teaching_representation_bias(void **state)
{
    (void)state;
    claim_holds("05_representation_bias");
}

/* 06: its claim; and the two networks have the columns the header says:
 * hard sharing one trunk, no sharing six. */
static void test_e2e_teaching_regularisation(void **state)
{
    (void)state;
    claim_holds("06_regularisation");
    cJSON *runs[MAXRUNS];
    int n = load_runs("06_regularisation", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *none = run_named(runs, n, "no sharing"), *hard = run_named(runs, n, "hard sharing");
    const cJSON *pn = cJSON_GetObjectItemCaseSensitive(none, "params"), *ph = cJSON_GetObjectItemCaseSensitive(hard, "params");
    double tot_n = cJSON_GetObjectItemCaseSensitive(pn, "total")->valuedouble;
    double tot_h = cJSON_GetObjectItemCaseSensitive(ph, "total")->valuedouble;
    /* 10-32-8 trunk: 10*32+32 + 32*8+8 = 616; linear heads 9 each */
    assert_true(tot_h == 616 + 6 * 9);
    assert_true(tot_n == 6 * (616 + 9));
    free_runs(runs, n);
}

/* --- Section 5: auxiliary tasks ----------------------------------------- */

/* 50: its claim; the auxiliary tasks stay out of delta_m, which is steer's
 * relative accuracy gain. */
static void test_e2e_teaching_related_auxiliary(void **state)
{
    (void)state;
    claim_holds("50_related_auxiliary");
    cJSON *runs[MAXRUNS];
    int n = load_runs("50_related_auxiliary", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *rel = run_named(runs, n, "steer + related aux");
    double with_rel = task_num(rel, "steer", "test_metric"), alone = task_num(rel, "steer", "single_task_metric");
    assert_true(fabs(delta_m(rel) - 100.0 * (with_rel - alone) / alone) < 1e-3);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rel, "tasks"), "curvature"), "aux")));
    free_runs(runs, n);
}

static void test_e2e_teaching_adversarial(void **state)
{
    (void)state;
    claim_holds("51_adversarial");
}

static void test_e2e_teaching_hints(void **state)
{
    (void)state;
    claim_holds("52_hints");
}

static void test_e2e_teaching_focusing_attention(void **state)
{
    (void)state;
    claim_holds("53_focusing_attention");
}

/* 54: its claim; the control trains against the same single-task
 * baselines, seed by seed. */
static void test_e2e_teaching_quantisation_smoothing(void **state)
{
    (void)state;
    claim_holds("54_quantisation_smoothing");
    cJSON *runs[MAXRUNS];
    int n = load_runs("54_quantisation_smoothing", runs, MAXRUNS);
    assert_int_equal(n, 6);
    for (int s = 1; s <= 3; s++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "stars + score s%d", s);
        snprintf(b, sizeof b, "stars + stars as number s%d", s);
        assert_true(fabs(task_num(run_named(runs, n, a), "stars", "single_task_metric") -
                         task_num(run_named(runs, n, b), "stars", "single_task_metric")) < 1e-9);
    }
    free_runs(runs, n);
}

static void test_e2e_teaching_predicting_inputs(void **state)
{
    (void)state;
    claim_holds("55_predicting_inputs");
}

static void test_e2e_teaching_using_the_future(void **state)
{
    (void)state;
    claim_holds("56_using_the_future");
}

static void test_e2e_teaching_representation_learning(void **state)
{
    (void)state;
    claim_holds("57_representation_learning");
}

/* --seed N offsets the seeds of a script that runs several itself
 * (mtl.seeds): 57 with --seed 4 runs seeds 4, 5, 6, not seed 4 three
 * times; --draw 1 moves the seed math.randomseed gets (mtl.data_seed) and
 * so the data. Checked with mtlab check's resolved seeds and the data
 * seeds config.json records. */
static void test_e2e_teaching_seed_offsets_and_draws(void **state)
{
    (void)state;
    char args[1024], *out = NULL;
    snprintf(args, sizeof args, "check '%s/experiments/57_representation_learning.lua' --seed 4", MTLAB_ROOT);
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    assert_non_null(strstr(out, "reconstruct inputs s4"));
    assert_non_null(strstr(out, "reconstruct inputs s5"));
    assert_non_null(strstr(out, "reconstruct inputs s6"));
    assert_non_null(strstr(out, "seed 4\n"));
    assert_non_null(strstr(out, "seed 6\n"));
    free(out);
    /* a script of one seed: --seed sets it */
    snprintf(args, sizeof args, "check '%s/experiments/03_attention_focusing.lua' --seed 7", MTLAB_ROOT);
    assert_int_equal(e2e_run(args, &out, NULL), 0);
    assert_non_null(strstr(out, "seed 7\n"));
    assert_null(strstr(out, "seed 1\n"));
    free(out);
    /* --draw: a different data set (the mtl.data seed moves by 1000) */
    char *out0 = NULL, *out1 = NULL;
    snprintf(args, sizeof args, "check '%s/experiments/31_mean_regularised.lua'", MTLAB_ROOT);
    assert_int_equal(e2e_run(args, &out0, NULL), 0);
    snprintf(args, sizeof args, "run '%s/experiments/31_mean_regularised.lua' --draw 2 --out draw2 -q --set train.epochs=1",
             MTLAB_ROOT);
    /* one epoch: the runs finish, the claim cannot hold: exit 3 */
    assert_int_equal(e2e_run(args, &out1, NULL), 3);
    assert_non_null(strstr(out1, "claim FAILED: "));
    char p[700];
    snprintf(p, sizeof p, "%s/draw2/01-independent/config.json", e2e_tmpdir());
    cJSON *c = e2e_read_json(p);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "data"), "params"), "seed");
    assert_true(cJSON_IsNumber(seed));
    assert_int_equal((long)seed->valuedouble, 5 + 2 * 1000);
    cJSON_Delete(c);
    free(out0);
    free(out1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_teaching_implicit_data_augmentation),
        cmocka_unit_test(test_e2e_teaching_attention_focusing),
        cmocka_unit_test(test_e2e_teaching_eavesdropping),
        cmocka_unit_test(test_e2e_teaching_representation_bias),
        cmocka_unit_test(test_e2e_teaching_regularisation),
        cmocka_unit_test(test_e2e_teaching_related_auxiliary),
        cmocka_unit_test(test_e2e_teaching_adversarial),
        cmocka_unit_test(test_e2e_teaching_hints),
        cmocka_unit_test(test_e2e_teaching_focusing_attention),
        cmocka_unit_test(test_e2e_teaching_quantisation_smoothing),
        cmocka_unit_test(test_e2e_teaching_predicting_inputs),
        cmocka_unit_test(test_e2e_teaching_using_the_future),
        cmocka_unit_test(test_e2e_teaching_representation_learning),
        cmocka_unit_test(test_e2e_teaching_seed_offsets_and_draws),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2e_cleanup();
    return rc;
}
