/* test_e2e_teaching.c - the teaching experiments run headless with the real
 * binary: why multi-task learning works (experiments 02..06, survey section
 * 4) and auxiliary tasks (experiments 50..57, survey section 5). Each test
 * runs one script as it is shipped (its own seeds) and asserts the claim
 * its header makes, from summary.json (per-task test metrics, train and
 * validation losses, delta_m) with the margins the header states. */
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

/* Runs experiments/<name>.lua into <tmp>/<name>; asserts success. */
static void run_experiment(const char *name)
{
    char args[1024], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "run '%s/experiments/%s.lua' --out '%s' -q", MTLAB_ROOT, name, name);
    int rc = e2e_run(args, &out, &err);
    if (rc != 0) fprintf(stderr, "mtlab run %s: exit %d\n%s\n%s\n", name, rc, out ? out : "", err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);
}

static cJSON *read_json(const char *path)
{
    char *s = e2e_read(path);
    if (!s) fail_msg("cannot read %s", path);
    cJSON *o = cJSON_Parse(s);
    free(s);
    if (!o) fail_msg("%s: not JSON", path);
    return o;
}

/* The summaries of every run of experiments/<exp>.lua, in the script's
 * order: <tmp>/<exp>/NN-<name>/summary.json for a list, or
 * <tmp>/<exp>/summary.json for a single experiment. Returns the count. */
static int load_runs(const char *exp, cJSON **runs, int max)
{
    char root[600], p[1200];
    snprintf(root, sizeof root, "%s/%s", e2e_tmpdir(), exp);
    snprintf(p, sizeof p, "%s/summary.json", root);
    if (e2e_exists(p)) {
        runs[0] = read_json(p);
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
        runs[n++] = read_json(p);
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
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(run, "delta_m");
    if (!cJSON_IsNumber(v)) fail_msg("delta_m missing (baselines = true?)");
    return v->valuedouble;
}

/* The mean of `field` over the main (non-auxiliary) tasks of a run. */
static double main_mean(const cJSON *run, const char *field)
{
    const cJSON *t;
    double s = 0;
    int k = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(run, "tasks"))
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "aux"))) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, field);
        assert_true(cJSON_IsNumber(v));
        s += v->valuedouble;
        k++;
    }
    assert_true(k > 0);
    return s / k;
}

/* The mean delta_m of the runs "<prefix> s1" .. "<prefix> s<seeds>". */
static double mean_delta_m(cJSON **runs, int n, const char *prefix, int seeds)
{
    double s = 0;
    char name[128];
    for (int i = 1; i <= seeds; i++) {
        snprintf(name, sizeof name, "%s s%d", prefix, i);
        s += delta_m(run_named(runs, n, name));
    }
    return s / seeds;
}

/* The mean of tasks.<task>.<field> over the runs "<prefix> s1".."s<seeds>". */
static double mean_task(cJSON **runs, int n, const char *prefix, int seeds, const char *task, const char *field)
{
    double s = 0;
    char name[128];
    for (int i = 1; i <= seeds; i++) {
        snprintf(name, sizeof name, "%s s%d", prefix, i);
        s += task_num(run_named(runs, n, name), task, field);
    }
    return s / seeds;
}

/* --- Section 4: why MTL works ------------------------------------------ */

/* 02: four tasks with independent noise on 100 examples beat their
 * single-task networks by more than 10% (mean over 3 seeds), and by more
 * than the same tasks whose labels share one noise draw. */
static void test_e2e_teaching_implicit_data_augmentation(void **state)
{
    (void)state;
    run_experiment("02_implicit_data_augmentation");
    cJSON *runs[MAXRUNS];
    int n = load_runs("02_implicit_data_augmentation", runs, MAXRUNS);
    assert_int_equal(n, 6);
    double indep = mean_delta_m(runs, n, "independent noise", 3);
    double same = mean_delta_m(runs, n, "same noise", 3);
    fprintf(stderr, "  02: delta_m independent %.1f%%, same noise %.1f%%\n", indep, same);
    assert_true(indep > 10.0);
    assert_true(indep > same);
    /* delta_m is the mean relative MSE reduction: check one run by hand */
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

/* 03: the related task cuts a's test MSE below 0.75 of a alone; the
 * unrelated one does not (above 0.9 of a alone). */
static void test_e2e_teaching_attention_focusing(void **state)
{
    (void)state;
    run_experiment("03_attention_focusing");
    cJSON *runs[MAXRUNS];
    int n = load_runs("03_attention_focusing", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *rel = run_named(runs, n, "a + rel"), *unrel = run_named(runs, n, "a + unrel");
    double alone = task_num(rel, "a", "single_task_metric");
    /* both runs train the same "a alone" baseline */
    assert_true(fabs(alone - task_num(unrel, "a", "single_task_metric")) < 1e-9);
    double r = task_num(rel, "a", "test_metric") / alone, u = task_num(unrel, "a", "test_metric") / alone;
    fprintf(stderr, "  03: a's test MSE / alone: with rel %.3f, with unrel %.3f\n", r, u);
    assert_true(r < 0.75);
    assert_true(u > 0.9);
    free_runs(runs, n);
}

/* 04: a (an xor through the hidden feature G) gains at least 5 accuracy
 * points with b = G, over a alone and over a + an unrelated feature. */
static void test_e2e_teaching_eavesdropping(void **state)
{
    (void)state;
    run_experiment("04_eavesdropping");
    cJSON *runs[MAXRUNS];
    int n = load_runs("04_eavesdropping", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *ab = run_named(runs, n, "a + b"), *ao = run_named(runs, n, "a + other");
    double with_b = task_num(ab, "a", "test_metric"), alone = task_num(ab, "a", "single_task_metric");
    double with_o = task_num(ao, "a", "test_metric");
    fprintf(stderr, "  04: a's accuracy: with b %.3f, alone %.3f, with other %.3f\n", with_b, alone, with_o);
    assert_true(with_b >= alone + 0.05);
    assert_true(with_b >= with_o + 0.05);
    /* b itself is learned (it is the easy task) */
    assert_true(task_num(ab, "b", "test_metric") > 0.85);
    free_runs(runs, n);
}

/* 05: the scarce task's test MSE with 8 helpers is below half of alone and
 * below 0.6 of one helper; 2 helpers beat alone. */
static void test_e2e_teaching_representation_bias(void **state)
{
    (void)state;
    run_experiment("05_representation_bias");
    cJSON *runs[MAXRUNS];
    int n = load_runs("05_representation_bias", runs, MAXRUNS);
    assert_int_equal(n, 4);
    double alone = task_num(run_named(runs, n, "new alone"), "new", "test_metric");
    double h1 = task_num(run_named(runs, n, "new + 1 helper"), "new", "test_metric");
    double h2 = task_num(run_named(runs, n, "new + 2 helpers"), "new", "test_metric");
    double h8 = task_num(run_named(runs, n, "new + 8 helpers"), "new", "test_metric");
    fprintf(stderr, "  05: new's test MSE: alone %.3f, 1 helper %.3f, 2 %.3f, 8 %.3f\n", alone, h1, h2, h8);
    assert_true(h8 < 0.5 * alone);
    assert_true(h8 < 0.6 * h1);
    assert_true(h2 < alone);
    free_runs(runs, n);
}

/* 06: six independent columns memorise 100 noisy examples, one shared
 * trunk does not; the shared model's generalisation gap is below 0.85 of
 * the independent one's and its validation loss is lower. */
static void test_e2e_teaching_regularisation(void **state)
{
    (void)state;
    run_experiment("06_regularisation");
    cJSON *runs[MAXRUNS];
    int n = load_runs("06_regularisation", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *none = run_named(runs, n, "no sharing"), *hard = run_named(runs, n, "hard sharing");
    double tr_n = main_mean(none, "train_loss"), va_n = main_mean(none, "val_loss");
    double tr_h = main_mean(hard, "train_loss"), va_h = main_mean(hard, "val_loss");
    fprintf(stderr, "  06: no sharing train %.4f val %.4f; hard train %.4f val %.4f\n", tr_n, va_n, tr_h, va_h);
    assert_true(tr_n < 0.02);
    assert_true(tr_h > 0.05);
    assert_true(va_h - tr_h < 0.85 * (va_n - tr_n));
    assert_true(va_h < va_n);
    /* the same columns: hard sharing has one trunk, no sharing six */
    const cJSON *pn = cJSON_GetObjectItemCaseSensitive(none, "params"), *ph = cJSON_GetObjectItemCaseSensitive(hard, "params");
    double tot_n = cJSON_GetObjectItemCaseSensitive(pn, "total")->valuedouble;
    double tot_h = cJSON_GetObjectItemCaseSensitive(ph, "total")->valuedouble;
    /* 10-32-8 trunk: 10*32+32 + 32*8+8 = 616; linear heads 9 each */
    assert_true(tot_h == 616 + 6 * 9);
    assert_true(tot_n == 6 * (616 + 9));
    free_runs(runs, n);
}

/* --- Section 5: auxiliary tasks ----------------------------------------- */

/* 50: the two factors as auxiliary tasks lift steer by at least 3 points
 * over steer alone and 5 over two unrelated auxiliary tasks, which do not
 * help; the auxiliary tasks stay out of delta_m. */
static void test_e2e_teaching_related_auxiliary(void **state)
{
    (void)state;
    run_experiment("50_related_auxiliary");
    cJSON *runs[MAXRUNS];
    int n = load_runs("50_related_auxiliary", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *rel = run_named(runs, n, "steer + related aux"), *unrel = run_named(runs, n, "steer + unrelated aux");
    double with_rel = task_num(rel, "steer", "test_metric"), alone = task_num(rel, "steer", "single_task_metric");
    double with_unrel = task_num(unrel, "steer", "test_metric");
    fprintf(stderr, "  50: steer's accuracy: related aux %.4f, alone %.4f, unrelated aux %.4f\n", with_rel, alone,
            with_unrel);
    assert_true(with_rel >= alone + 0.03);
    assert_true(with_rel >= with_unrel + 0.05);
    assert_true(with_unrel <= alone + 0.01);
    /* only steer is scored: delta_m is its relative accuracy gain */
    assert_true(fabs(delta_m(rel) - 100.0 * (with_rel - alone) / alone) < 1e-3);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rel, "tasks"), "curvature"), "aux")));
    free_runs(runs, n);
}

/* 51: gradient reversal fools its own adversary, not a probe trained on the
 * frozen trunk afterwards: the probe still reads the scanner far above the
 * adversary (and chance, 0.25); the label keeps its accuracy. */
static void test_e2e_teaching_adversarial(void **state)
{
    (void)state;
    run_experiment("51_adversarial");
    cJSON *runs[MAXRUNS];
    int n = load_runs("51_adversarial", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *none = run_named(runs, n, "no adversary");
    const cJSON *adv = run_named(runs, n, "adversarial (lambda = 1)");
    double pn = task_num(none, "probe", "test_metric"), pa = task_num(adv, "probe", "test_metric");
    double sa = task_num(adv, "scanner", "test_metric");
    double ln = task_num(none, "label", "test_metric"), la = task_num(adv, "label", "test_metric");
    fprintf(stderr, "  51: scanner accuracy: adversary %.3f, probe on its frozen trunk %.3f, probe without %.3f; label %.3f / %.3f\n",
            sa, pa, pn, ln, la);
    assert_true(pa - sa > 0.2);
    assert_true(pa > 0.6);
    assert_true(pa < pn + 0.02);
    assert_true(la > 0.9 && ln > 0.9);
    /* the adversary's loss is near log 4 where the probe's is small */
    assert_true(task_num(adv, "scanner", "test_loss") > 1.0);
    assert_true(task_num(none, "probe", "test_loss") < 0.5);
    free_runs(runs, n);
}

/* 52: the two sentiment-word hints lift sentiment by at least 3 points
 * over sentiment alone and 5 over hints about neutral words. */
static void test_e2e_teaching_hints(void **state)
{
    (void)state;
    run_experiment("52_hints");
    cJSON *runs[MAXRUNS];
    int n = load_runs("52_hints", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *h = run_named(runs, n, "sentiment + hints"), *o = run_named(runs, n, "sentiment + other hints");
    double with_h = task_num(h, "sentiment", "test_metric"), alone = task_num(h, "sentiment", "single_task_metric");
    double with_o = task_num(o, "sentiment", "test_metric");
    fprintf(stderr, "  52: sentiment accuracy: hints %.4f, alone %.4f, other hints %.4f\n", with_h, alone, with_o);
    assert_true(with_h >= alone + 0.03);
    assert_true(with_h >= with_o + 0.05);
    /* the hints themselves are easy: a word list */
    assert_true(task_num(h, "has_pos", "test_metric") > 0.9);
    assert_true(task_num(h, "has_neg", "test_metric") > 0.9);
    free_runs(runs, n);
}

/* 53: predicting the faint lane markings takes steer from chance to at
 * least 10 points above it; a scene patch as auxiliary task does not. */
static void test_e2e_teaching_focusing_attention(void **state)
{
    (void)state;
    run_experiment("53_focusing_attention");
    cJSON *runs[MAXRUNS];
    int n = load_runs("53_focusing_attention", runs, MAXRUNS);
    assert_int_equal(n, 2);
    const cJSON *m = run_named(runs, n, "steer + markings"), *c = run_named(runs, n, "steer + scene patch");
    double with_m = task_num(m, "steer", "test_metric"), alone = task_num(m, "steer", "single_task_metric");
    double with_c = task_num(c, "steer", "test_metric");
    fprintf(stderr, "  53: steer accuracy: markings %.4f, alone %.4f, scene patch %.4f\n", with_m, alone, with_c);
    assert_true(alone < 0.6);
    assert_true(with_m >= alone + 0.10);
    assert_true(with_m >= with_c + 0.10);
    /* the markings are learned: MSE far below their variance (1) */
    assert_true(task_num(m, "markings", "test_metric") < 0.2);
    free_runs(runs, n);
}

/* 54: the continuous score as auxiliary task lifts the quantised stars by
 * at least 5 points over stars alone and 2 over the quantised auxiliary
 * target (means over three seeds). */
static void test_e2e_teaching_quantisation_smoothing(void **state)
{
    (void)state;
    run_experiment("54_quantisation_smoothing");
    cJSON *runs[MAXRUNS];
    int n = load_runs("54_quantisation_smoothing", runs, MAXRUNS);
    assert_int_equal(n, 6);
    double with_s = mean_task(runs, n, "stars + score", 3, "stars", "test_metric");
    double alone = mean_task(runs, n, "stars + score", 3, "stars", "single_task_metric");
    double with_q = mean_task(runs, n, "stars + stars as number", 3, "stars", "test_metric");
    /* the control trains against the same single-task baselines */
    assert_true(fabs(alone - mean_task(runs, n, "stars + stars as number", 3, "stars", "single_task_metric")) < 1e-9);
    fprintf(stderr, "  54: stars accuracy (mean of 3): score %.4f, alone %.4f, stars as number %.4f\n", with_s, alone,
            with_q);
    assert_true(with_s >= alone + 0.05);
    assert_true(with_s >= with_q + 0.02);
    free_runs(runs, n);
}

/* 55: reconstructing the noisy readings helps the target on average over
 * three seeds (mean delta_m > 0); the reconstruction settles near the
 * noise variance (4), which no network can predict. */
static void test_e2e_teaching_predicting_inputs(void **state)
{
    (void)state;
    run_experiment("55_predicting_inputs");
    cJSON *runs[MAXRUNS];
    int n = load_runs("55_predicting_inputs", runs, MAXRUNS);
    assert_int_equal(n, 3);
    double dm = mean_delta_m(runs, n, "target + reconstruct inputs", 3);
    double rec = mean_task(runs, n, "target + reconstruct inputs", 3, "inputs", "test_loss");
    fprintf(stderr, "  55: mean delta_m %.1f%%, reconstruction MSE %.3f\n", dm, rec);
    assert_true(dm > 0.0);
    assert_true(rec > 3.5 && rec < 4.5);
    free_runs(runs, n);
}

/* 56: the future labs lift the risk by at least 2 points over risk alone
 * and 5 over unrelated later records, which do not help (means of 3). */
static void test_e2e_teaching_using_the_future(void **state)
{
    (void)state;
    run_experiment("56_using_the_future");
    cJSON *runs[MAXRUNS];
    int n = load_runs("56_using_the_future", runs, MAXRUNS);
    assert_int_equal(n, 6);
    double with_f = mean_task(runs, n, "risk + future labs", 3, "risk", "test_metric");
    double alone = mean_task(runs, n, "risk + future labs", 3, "risk", "single_task_metric");
    double with_o = mean_task(runs, n, "risk + other records", 3, "risk", "test_metric");
    fprintf(stderr, "  56: risk accuracy (mean of 3): future labs %.4f, alone %.4f, other records %.4f\n", with_f,
            alone, with_o);
    assert_true(with_f >= alone + 0.02);
    assert_true(with_f >= with_o + 0.05);
    assert_true(with_o < alone);
    free_runs(runs, n);
}

/* 57: an autoencoder on all examples helps the scarce side task on this
 * data draw: mean delta_m over three seeds > 0 (a modest effect). */
static void test_e2e_teaching_representation_learning(void **state)
{
    (void)state;
    run_experiment("57_representation_learning");
    cJSON *runs[MAXRUNS];
    int n = load_runs("57_representation_learning", runs, MAXRUNS);
    assert_int_equal(n, 3);
    double dm = mean_delta_m(runs, n, "side (1 label in 50) + reconstruct inputs", 3);
    double rec = mean_task(runs, n, "side (1 label in 50) + reconstruct inputs", 3, "inputs", "test_loss");
    fprintf(stderr, "  57: mean delta_m %.1f%%, reconstruction MSE %.3f\n", dm, rec);
    assert_true(dm > 0.0);
    /* the autoencoder has found the state: its error is the noise (9) */
    assert_true(rec > 8.0 && rec < 10.0);
    free_runs(runs, n);
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
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2e_cleanup();
    return rc;
}
