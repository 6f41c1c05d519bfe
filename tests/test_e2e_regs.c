/* test_e2e_regs.c - the regulariser and relationship experiments (30..34) run headless with
 * the real binary; each test asserts the claim its script's header makes,
 * reading summary.json, config.json and relations.jsonl. The runs are
 * small linear problems (well under a second each at -O2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <dirent.h>
#include <math.h>

#include "e2e_util.h"
#include "data/dataset.h"
#include "data/synth.h"

#ifndef MTLAB_ROOT
#define MTLAB_ROOT "."
#endif

/* Runs experiments/<name>.lua into <tmp>/<name>; asserts success. */
static void run_experiment(const char *name)
{
    char args[1024], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "run '%s/experiments/%s.lua' --out '%s'", MTLAB_ROOT, name, name);
    int rc = e2e_run(args, &out, &err);
    if (rc != 0) fprintf(stderr, "mtlab run %s: exit %d\n%s\n%s\n", name, rc, out ? out : "", err ? err : "");
    assert_int_equal(rc, 0);
    free(out);
    free(err);
}

/* <tmp>/<name>/<NN>-... : the run directory of the index-th experiment (1-based). */
static void variant_dir(const char *name, int index, char *path, size_t n)
{
    char dir[600], prefix[8];
    snprintf(dir, sizeof dir, "%s/%s", e2e_tmpdir(), name);
    snprintf(prefix, sizeof prefix, "%02d-", index);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    path[0] = '\0';
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, 3) == 0) snprintf(path, n, "%s/%s", dir, e->d_name);
    closedir(d);
    if (!path[0]) fail_msg("no run directory %s* in %s", prefix, dir);
}

static cJSON *read_json(const char *dir, const char *file)
{
    char p[800];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    char *s = e2e_read(p);
    assert_non_null(s);
    cJSON *o = cJSON_Parse(s);
    free(s);
    assert_non_null(o);
    return o;
}

/* The mean test loss over the tasks in summary.json. */
static double mean_test_loss(const char *dir)
{
    cJSON *s = read_json(dir, "summary.json");
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(s, "tasks"), *t;
    double sum = 0;
    int n = 0;
    cJSON_ArrayForEach(t, tasks)
    {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(t, "test_loss");
        assert_true(cJSON_IsNumber(l));
        sum += l->valuedouble;
        n++;
    }
    cJSON_Delete(s);
    assert_true(n > 0);
    return sum / n;
}

/* The last published matrix `name` in relations.jsonl: rows x cols values
 * copied into v (max entries). */
static void last_matrix(const char *dir, const char *name, int rows, int cols, double *v, int max)
{
    char p[800];
    snprintf(p, sizeof p, "%s/relations.jsonl", dir);
    char *s = e2e_read(p);
    assert_non_null(s);
    int found = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0) {
            assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "rows")->valueint, rows);
            assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "cols")->valueint, cols);
            assert_true(rows * cols <= max);
            const cJSON *vals = cJSON_GetObjectItemCaseSensitive(o, "values");
            for (int i = 0; i < rows; i++) {
                const cJSON *row = cJSON_GetArrayItem(vals, i);
                for (int j = 0; j < cols; j++) {
                    const cJSON *x = cJSON_GetArrayItem(row, j);
                    assert_true(cJSON_IsNumber(x));
                    v[i * cols + j] = x->valuedouble;
                }
            }
            found = 1;
        }
        cJSON_Delete(o);
    }
    free(s);
    if (!found) fail_msg("%s: no matrix \"%s\" in relations.jsonl", dir, name);
}

/* The mean over every snapshot of matrix `name` (rows x cols) in
 * relations.jsonl; returns the number of snapshots. */
static int mean_matrix(const char *dir, const char *name, int rows, int cols, double *v)
{
    char p[800];
    snprintf(p, sizeof p, "%s/relations.jsonl", dir);
    char *s = e2e_read(p);
    assert_non_null(s);
    int n = 0;
    memset(v, 0, (size_t)rows * cols * sizeof *v);
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0) {
            assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "rows")->valueint, rows);
            const cJSON *vals = cJSON_GetObjectItemCaseSensitive(o, "values");
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    v[i * cols + j] += cJSON_GetArrayItem(cJSON_GetArrayItem(vals, i), j)->valuedouble;
            n++;
        }
        cJSON_Delete(o);
    }
    free(s);
    for (int k = 0; n > 0 && k < rows * cols; k++) v[k] /= n;
    return n;
}

/* data.clusters of config.json: the true cluster of each task. */
static int true_clusters(const char *dir, int *cl, int max)
{
    cJSON *c = read_json(dir, "config.json");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "data"), "clusters");
    assert_true(cJSON_IsArray(a));
    int n = cJSON_GetArraySize(a);
    assert_true(n <= max);
    for (int i = 0; i < n; i++) cl[i] = cJSON_GetArrayItem(a, i)->valueint;
    cJSON_Delete(c);
    return n;
}

/* Mean of M[s,t] over pairs s != t in the same true cluster, and across. */
static void within_across(const double *M, const int *cl, int T, double *within, double *across)
{
    double w = 0, a = 0;
    int nw = 0, na = 0;
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) {
            if (s == t) continue;
            if (cl[s] == cl[t]) w += M[s * T + t], nw++;
            else a += M[s * T + t], na++;
        }
    assert_true(nw > 0 && na > 0);
    *within = w / nw;
    *across = a / na;
}

/* The probability that a same-cluster pair (s < t) has a larger M[s,t]
 * than a different-cluster pair (ties count half): the area under the ROC
 * curve of M as a detector of "same cluster". */
static double pair_auc(const double *M, const int *cl, int T)
{
    double hits = 0;
    long pairs = 0;
    for (int a = 0; a < T; a++)
        for (int b = a + 1; b < T; b++) {
            if (cl[a] != cl[b]) continue;
            for (int c = 0; c < T; c++)
                for (int d = c + 1; d < T; d++) {
                    if (cl[c] == cl[d]) continue;
                    double x = M[a * T + b], y = M[c * T + d];
                    hits += x > y ? 1.0 : x == y ? 0.5 : 0.0;
                    pairs++;
                }
        }
    assert_true(pairs > 0);
    return hits / (double)pairs;
}

/* ---- 30: block sparsity -------------------------------------------------- */

static void test_e2e_regs_block_sparse_support(void **state)
{
    (void)state;
    run_experiment("30_block_sparse");
    /* the true support: the generator with the script's options */
    synth_cluster_opts o;
    synth_cluster_defaults(&o);
    o.ntasks = 6;
    o.nclusters = 2;
    o.d = 30;
    o.support = 6;
    o.within = 0.3;
    o.n_each = 100;
    o.noise = 0.3;
    o.shared = 1;
    o.seed = 3;
    mt_dataset ds;
    dataset_init(&ds);
    synth_cluster_truth truth;
    assert_int_equal(synth_clustered(&ds, &o, &truth), MT_OK);
    int in_support[30] = {0};
    for (int k = 0; k < truth.support; k++) in_support[truth.support_idx[k]] = 1;
    synth_cluster_truth_free(&truth);
    dataset_free(&ds);

    char dir[800];
    double use[6 * 30], act[6];
    const char *names[3] = {"l1/l2", "l1/linf", "dirty"};
    for (int v = 1; v <= 4; v++) {
        variant_dir("30_block_sparse", v, dir, sizeof dir);
        last_matrix(dir, "feature use", 6, 30, use, 6 * 30);
        last_matrix(dir, "active features", 1, 6, act, 6);
        int kept = 0, hit = 0;
        for (int j = 0; j < 30; j++) {
            int used = 0;
            for (int t = 0; t < 6; t++) used |= use[t * 30 + j] > 0;
            kept += used;
            hit += used && in_support[j];
        }
        if (v <= 3) {
            double precision = kept ? (double)hit / kept : 0, recall = hit / 6.0;
            if (precision < 0.8 || recall < 0.8)
                fail_msg("%s: support precision %.2f, recall %.2f (kept %d features)", names[v - 1], precision, recall,
                         kept);
            for (int t = 0; t < 6; t++) assert_true(act[t] >= 1 && act[t] <= 7);
        } else {
            assert_int_equal(kept, 30); /* unregularised: nothing is zero */
            for (int t = 0; t < 6; t++) assert_true(act[t] == 30);
        }
    }
    variant_dir("30_block_sparse", 3, dir, sizeof dir);
    double bs[12];
    last_matrix(dir, "dirty B/S features", 2, 6, bs, 12);
    for (int t = 0; t < 6; t++) assert_true(bs[t] >= 1 && bs[t] <= 30);
    /* No claim on prediction: over data draws l1/l2's test loss is 0.97
     * [0.81, 1.17] times the unregularised model's (the script's header). */
}

/* ---- 31: mean-regularised --------------------------------------------------- */

static void test_e2e_regs_mean_regularised(void **state)
{
    (void)state;
    run_experiment("31_mean_regularised");
    char d1[800], d2[800];
    variant_dir("31_mean_regularised", 1, d1, sizeof d1);
    variant_dir("31_mean_regularised", 2, d2, sizeof d2);
    double indep = mean_test_loss(d1), meanreg = mean_test_loss(d2);
    if (!(meanreg < 0.5 * indep)) fail_msg("mean_reg test loss %.4f vs independent %.4f", meanreg, indep);
    /* the tasks drew closer: the mean pairwise distance of their weights */
    double D1[64], D2[64], a1 = 0, a2 = 0;
    last_matrix(d1, "task distance", 8, 8, D1, 64);
    last_matrix(d2, "task distance", 8, 8, D2, 64);
    for (int k = 0; k < 64; k++) a1 += D1[k], a2 += D2[k];
    if (!(a2 < 0.8 * a1)) fail_msg("mean task distance %.3f with mean_reg vs %.3f independent", a2 / 56, a1 / 56);
}

/* ---- 32: task clustering ---------------------------------------------------- */

static void test_e2e_regs_task_clustering(void **state)
{
    (void)state;
    run_experiment("32_task_clustering");
    char d1[800], d2[800], d3[800];
    variant_dir("32_task_clustering", 1, d1, sizeof d1);
    variant_dir("32_task_clustering", 2, d2, sizeof d2);
    variant_dir("32_task_clustering", 3, d3, sizeof d3);
    int cl[16];
    assert_int_equal(true_clusters(d3, cl, 16), 8);
    double co[64], within, across;
    last_matrix(d3, "cluster co-membership", 8, 8, co, 64);
    within_across(co, cl, 8, &within, &across);
    if (!(within >= 0.9 && across <= 0.1))
        fail_msg("co-membership: %.2f within true clusters, %.2f across", within, across);
    double indep = mean_test_loss(d1), meanreg = mean_test_loss(d2), clustered = mean_test_loss(d3);
    if (!(clustered < 0.8 * indep && clustered < 0.8 * meanreg))
        fail_msg("test loss: clustered %.4f, independent %.4f, mean_reg %.4f", clustered, indep, meanreg);
}

/* ---- 34: many attributes ---------------------------------------------------- */

static void test_e2e_regs_many_attributes(void **state)
{
    (void)state;
    run_experiment("34_many_attributes");
    for (int v = 1; v <= 3; v++) {
        char dir[800];
        variant_dir("34_many_attributes", v, dir, sizeof dir);
        int cl[64];
        assert_int_equal(true_clusters(dir, cl, 64), 40);
        static double C[40 * 40];
        int snaps = mean_matrix(dir, "grad cosine", 40, 40, C);
        assert_true(snaps >= 10);
        double within, across, auc = pair_auc(C, cl, 40);
        within_across(C, cl, 40, &within, &across);
        if (!(auc >= 0.7 && within > 0 && within >= 5 * fabs(across)))
            fail_msg("seed %d: grad cosine AUC %.3f, within %.4f, across %.4f (%d snapshots)", v, auc, within,
                     across, snaps);
    }
}

/* ---- 33: task covariance ---------------------------------------------------- */

static void test_e2e_regs_task_covariance(void **state)
{
    (void)state;
    run_experiment("33_task_covariance");
    char d1[800], d2[800];
    variant_dir("33_task_covariance", 1, d1, sizeof d1);
    variant_dir("33_task_covariance", 2, d2, sizeof d2);
    int cl[16];
    assert_int_equal(true_clusters(d2, cl, 16), 8);
    double C[64], O[64], within, across;
    last_matrix(d2, "task correlation", 8, 8, C, 64);
    last_matrix(d2, "task covariance", 8, 8, O, 64);
    double tr = 0;
    for (int t = 0; t < 8; t++) tr += O[t * 8 + t], assert_true(fabs(C[t * 8 + t] - 1) < 1e-6);
    assert_true(fabs(tr - 1) < 1e-6);
    within_across(C, cl, 8, &within, &across);
    if (!(within - across > 0.3)) fail_msg("task correlation: %.2f within true clusters, %.2f across", within, across);
    double indep = mean_test_loss(d1), cov = mean_test_loss(d2);
    if (!(cov < 0.8 * indep)) fail_msg("test loss: task_cov %.4f, independent %.4f", cov, indep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_regs_block_sparse_support),
        cmocka_unit_test(test_e2e_regs_mean_regularised),
        cmocka_unit_test(test_e2e_regs_task_clustering),
        cmocka_unit_test(test_e2e_regs_task_covariance),
        cmocka_unit_test(test_e2e_regs_many_attributes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    e2e_cleanup();
    return rc;
}
