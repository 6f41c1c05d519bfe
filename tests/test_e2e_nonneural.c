/* test_e2e_nonneural.c - the non-graph models (survey section 5) through
 * the real binary: the experiments 35..38 run headless and each test
 * asserts the claim its script's header makes (reading summary.json,
 * config.json, relations.jsonl and band.svg), the messages for what a
 * model cannot do, a checkpoint round trip, and the band on the workbench
 * under tmux with its SVG export.
 *
 * `make test` checks each claim on the shipped seed and data draw. With
 * MTLAB_THOROUGH=1 the same claims are checked over 5 training seeds x 3
 * data draws (and, where the header says so, 15 draws), and the statistics
 * the headers quote are printed (a few minutes on one core). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <dirent.h>
#include <math.h>
#include <unistd.h>

#include "e2e_util.h"
#include "data/synth.h"

#ifndef MTLAB_ROOT
#define MTLAB_ROOT "."
#endif

static int thorough(void) { return getenv("MTLAB_THOROUGH") && atoi(getenv("MTLAB_THOROUGH")) > 0; }

/* mtlab run experiments/<name>.lua into <tmp>/<out> with extra arguments;
 * asserts success. */
static void run_exp(const char *name, const char *out, const char *extra)
{
    char args[2048], *o = NULL, *e = NULL;
    snprintf(args, sizeof args, "run '%s/experiments/%s.lua' --out '%s' --force --quiet %s", MTLAB_ROOT, name, out,
             extra ? extra : "");
    int rc = e2e_run(args, &o, &e);
    if (rc != 0) fprintf(stderr, "mtlab %s: exit %d\n%s\n%s\n", args, rc, o ? o : "", e ? e : "");
    assert_int_equal(rc, 0);
    free(o);
    free(e);
}

/* <tmp>/<out>[/<NN>-*]: the run directory of the index-th experiment
 * (1-based), or <tmp>/<out> itself for index 0. */
static void run_dir(const char *out, int index, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", e2e_tmpdir(), out);
    if (index == 0) return;
    DIR *d = opendir(path);
    assert_non_null(d);
    char prefix[8], found[700] = "";
    snprintf(prefix, sizeof prefix, "%02d-", index);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, prefix, 3) == 0) snprintf(found, sizeof found, "%s/%s", path, de->d_name);
    closedir(d);
    if (!found[0]) fail_msg("no run directory %s* in %s", prefix, path);
    snprintf(path, n, "%s", found);
}

static cJSON *read_json(const char *dir, const char *file)
{
    char p[900];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    char *s = e2e_read(p);
    if (!s) fail_msg("%s: missing", p);
    cJSON *o = cJSON_Parse(s);
    free(s);
    assert_non_null(o);
    return o;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsNumber(x));
    return x->valuedouble;
}

/* summary.json's tasks.<task>.<key>. */
static double task_value(const char *dir, const char *task, const char *key)
{
    cJSON *s = read_json(dir, "summary.json");
    double v = num(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "tasks"), task), key);
    cJSON_Delete(s);
    return v;
}

/* The mean test MSE over the tasks, and summary.json's delta_m (NAN without baselines). */
static double mean_test(const char *dir, double *delta_m)
{
    cJSON *s = read_json(dir, "summary.json"), *t;
    double sum = 0;
    int n = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(s, "tasks"))
    {
        sum += num(t, "test_metric");
        n++;
    }
    if (delta_m) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(s, "delta_m_percent");
        *delta_m = cJSON_IsNumber(d) ? d->valuedouble : NAN;
    }
    cJSON_Delete(s);
    assert_true(n > 0);
    return sum / n;
}

/* The last matrix `name` of relations.jsonl into v (rows x cols, at most max). */
static void last_matrix(const char *dir, const char *name, int *rows, int *cols, double *v, int max)
{
    char p[900];
    snprintf(p, sizeof p, "%s/relations.jsonl", dir);
    char *s = e2e_read(p);
    assert_non_null(s);
    int found = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0) {
            *rows = (int)num(o, "rows");
            *cols = (int)num(o, "cols");
            assert_true(*rows * *cols <= max);
            const cJSON *vals = cJSON_GetObjectItemCaseSensitive(o, "values");
            for (int i = 0; i < *rows; i++)
                for (int j = 0; j < *cols; j++) {
                    const cJSON *x = cJSON_GetArrayItem(cJSON_GetArrayItem(vals, i), j);
                    v[i * *cols + j] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
                }
            found = 1;
        }
        cJSON_Delete(o);
    }
    free(s);
    if (!found) fail_msg("%s: no matrix \"%s\" in relations.jsonl", dir, name);
}

/* How many times needle occurs in the file dir/name (-1 when missing). */
static int count_in(const char *dir, const char *name, const char *needle)
{
    char p[900];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *s = e2e_read(p);
    if (!s) return -1;
    int n = 0;
    for (const char *q = s; (q = strstr(q, needle)); q++) n++;
    free(s);
    return n;
}

/* mean, and the half-width of its 95% t interval (n <= 16). */
static void mean_ci(const double *x, int n, double *mean, double *half)
{
    static const double t975[] = {0, 12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
                                  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120};
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += x[i] / n;
    for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m) / (n - 1);
    *mean = m;
    *half = t975[n - 1 < 16 ? n - 1 : 16] * sqrt(v / n);
}

/* ---- 35: multi-task kernel ridge ------------------------------------------ */

/* Mean test MSE of the four variants of one draw. */
static void krr_draw(int draw, double *r)
{
    char out[64], extra[64], dir[800];
    snprintf(out, sizeof out, "krr-%d", draw);
    snprintf(extra, sizeof extra, "--set data.seed=%d", draw);
    run_exp("35_multitask_krr", out, extra);
    for (int k = 0; k < 4; k++) {
        run_dir(out, k + 1, dir, sizeof dir);
        r[k] = mean_test(dir, NULL);
        assert_int_equal(count_in(dir, "band.svg", "<polyline class=\"mean\""), 8); /* a mean per task */
        assert_int_equal(count_in(dir, "band.svg", "<polygon class=\"band\""), 0); /* kernel ridge has no variance */
    }
}

static void test_e2e_nonneural_krr(void **state)
{
    (void)state;
    double r[4]; /* independent, lambda 0.8, pooled, true B */
    krr_draw(1, r);
    if (!(r[1] < 0.9 * r[0] && r[1] < r[2] && r[3] < r[1]))
        fail_msg("test MSE: independent %.4f, mean-regularised %.4f, pooled %.4f, true B %.4f", r[0], r[1], r[2], r[3]);
    char dir[800];
    run_dir("krr-1", 4, dir, sizeof dir);
    double B[64];
    int rows, cols;
    last_matrix(dir, "task matrix", &rows, &cols, B, 64);
    assert_true(rows == 8 && cols == 8 && B[1] == 0.8 && B[0] == 1);
    if (!thorough()) return;
    /* 15 draws: the fits do not depend on the training seed */
    double lr_ind[15], lr_pool[15], lr_true[15], worst = 0;
    for (int d = 1; d <= 15; d++) {
        krr_draw(d, r);
        lr_ind[d - 1] = log(r[1] / r[0]);
        lr_pool[d - 1] = log(r[1] / r[2]);
        lr_true[d - 1] = log(r[3] / r[1]);
        worst = fmax(worst, r[1] / r[0]);
        if (!(r[1] < 0.9 * r[0])) fail_msg("draw %d: mean-regularised %.4f vs independent %.4f", d, r[1], r[0]);
    }
    double m, h;
    mean_ci(lr_ind, 15, &m, &h);
    fprintf(stderr, "  35: lambda 0.8 / independent: worst %.3f, geometric mean %.3f [%.3f, %.3f]\n", worst, exp(m),
            exp(m - h), exp(m + h));
    mean_ci(lr_pool, 15, &m, &h);
    fprintf(stderr, "  35: lambda 0.8 / pooled: geometric mean %.3f [%.3f, %.3f]\n", exp(m), exp(m - h), exp(m + h));
    assert_true(m + h < 0);
    mean_ci(lr_true, 15, &m, &h);
    fprintf(stderr, "  35: true B / lambda 0.8: geometric mean %.3f [%.3f, %.3f]\n", exp(m), exp(m - h), exp(m + h));
    assert_true(m + h < 0);
}

/* ---- 36: the multi-task GP, 5 points of A and 50 of B ---------------------- */

/* A's test MSE, multi-task over single-task. */
static double gp_transfer(int seed, int draw)
{
    char out[64], extra[96], dir[800];
    snprintf(out, sizeof out, "gp-%d-%d", seed, draw);
    snprintf(extra, sizeof extra, "--seed %d --set data.seed=%d", seed, draw);
    run_exp("36_multitask_gp", out, extra);
    run_dir(out, 0, dir, sizeof dir);
    return task_value(dir, "A", "test_metric") / task_value(dir, "A", "single_task_metric");
}

static void test_e2e_nonneural_gp_transfer(void **state)
{
    (void)state;
    double ratio = gp_transfer(1, 1);
    if (!(ratio < 0.25)) fail_msg("A's test MSE: multi-task / single-task = %.3f", ratio);
    char dir[800];
    run_dir("gp-1-1", 0, dir, sizeof dir);
    /* B as a correlation, the band with a band per task and all 55 points */
    double C[4];
    int rows, cols;
    last_matrix(dir, "task correlation", &rows, &cols, C, 4);
    assert_true(rows == 2 && C[0] == 1 && C[1] > 0.8);
    assert_int_equal(count_in(dir, "band.svg", "<polygon class=\"band\""), 2);
    assert_int_equal(count_in(dir, "band.svg", "<circle class=\"data\""), 55);
    assert_true(count_in(dir, "relations.jsonl", "\"name\":\"posterior band\"") >= 30); /* every 10 steps */
    if (!thorough()) return;
    double lr[15];
    int wins = 0;
    for (int s = 1; s <= 5; s++)
        for (int d = 1; d <= 3; d++) {
            double r = gp_transfer(s, d), r1 = gp_transfer(1, d);
            if (!(fabs(r / r1 - 1) < 0.05)) fail_msg("seed %d draw %d: ratio %.4f vs %.4f at seed 1", s, d, r, r1);
        }
    for (int d = 1; d <= 15; d++) {
        double r = gp_transfer(1, d);
        lr[d - 1] = log(r);
        wins += r < 1;
        fprintf(stderr, "  36: draw %d: ratio %.3f\n", d, r);
    }
    double m, h;
    mean_ci(lr, 15, &m, &h);
    fprintf(stderr, "  36: geometric mean %.3f [%.3f, %.3f], better in %d/15\n", exp(m), exp(m - h), exp(m + h), wins);
    assert_true(exp(m) < 0.5 && m + h < 0 && wins >= 12);
}

/* A checkpoint of a model holds its hyperparameters: a run loaded from it
 * starts where the first left off. */
static void test_e2e_nonneural_gp_checkpoint(void **state)
{
    (void)state;
    run_exp("36_multitask_gp", "ck-a", "--set train.steps=120 --set train.baselines=false");
    char a[800], ck[900], extra[1200], b[800];
    run_dir("ck-a", 0, a, sizeof a);
    snprintf(ck, sizeof ck, "%s/checkpoint.safetensors", a);
    assert_true(e2e_exists(ck));
    snprintf(extra, sizeof extra, "--load '%s' --set train.steps=1 --set train.baselines=false", ck);
    run_exp("36_multitask_gp", "ck-b", extra);
    run_exp("36_multitask_gp", "ck-c", "--set train.steps=1 --set train.baselines=false");
    run_dir("ck-b", 0, b, sizeof b);
    double after = task_value(a, "A", "test_metric"), loaded = task_value(b, "A", "test_metric");
    char c[800];
    run_dir("ck-c", 0, c, sizeof c);
    double fresh = task_value(c, "A", "test_metric");
    /* one more Adam step from the loaded values moves little; a fresh start is elsewhere */
    if (!(fabs(loaded - after) < 0.2 * after && fabs(fresh - after) > fabs(loaded - after)))
        fail_msg("A's test MSE: after 120 steps %.5f, loaded + 1 step %.5f, fresh 1 step %.5f", after, loaded, fresh);
}

/* ---- 37: the learned task correlation ---------------------------------------- */

/* The learned correlation against config.json's groups: the smallest value
 * within a group and the largest |value| across; *dev gets each entry's
 * difference from the truth (16). */
static void gp_correlation(int seed, int draw, double *within, double *across, double *dev)
{
    char out[64], extra[96], dir[800];
    snprintf(out, sizeof out, "corr-%d-%d", seed, draw);
    snprintf(extra, sizeof extra, "--seed %d --set data.seed=%d", seed, draw);
    run_exp("37_gp_task_correlation", out, extra);
    run_dir(out, 0, dir, sizeof dir);
    cJSON *c = read_json(dir, "config.json");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "data"), "params");
    double rho = num(p, "correlation"), acr = num(p, "across");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(p, "groups");
    assert_int_equal(cJSON_GetArraySize(g), 4);
    int grp[4];
    for (int i = 0; i < 4; i++) grp[i] = cJSON_GetArrayItem(g, i)->valueint;
    cJSON_Delete(c);
    double C[16];
    int rows, cols;
    last_matrix(dir, "task correlation", &rows, &cols, C, 16);
    assert_int_equal(rows, 4);
    *within = 1;
    *across = 0;
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < 4; t++) {
            double truth = s == t ? 1 : grp[s] == grp[t] ? rho : acr;
            dev[s * 4 + t] = C[s * 4 + t] - truth;
            if (s == t) continue;
            if (grp[s] == grp[t]) *within = fmin(*within, C[s * 4 + t]);
            else *across = fmax(*across, fabs(C[s * 4 + t]));
        }
}

static void test_e2e_nonneural_gp_correlation(void **state)
{
    (void)state;
    double within, across, dev[16], sum[16] = {0};
    gp_correlation(1, 1, &within, &across, dev);
    if (!(within >= 0.7 && across <= 0.45)) fail_msg("task correlation: %.3f within the groups, %.3f across", within, across);
    if (!thorough()) return;
    double wmin = 1, amax = 0;
    for (int s = 1; s <= 5; s++)
        for (int d = 1; d <= 3; d++) {
            gp_correlation(s, d, &within, &across, dev);
            wmin = fmin(wmin, within), amax = fmax(amax, across);
            if (!(within >= 0.7 && across <= 0.45)) fail_msg("seed %d draw %d: %.3f within, %.3f across", s, d, within, across);
        }
    for (int d = 1; d <= 15; d++) {
        gp_correlation(1, d, &within, &across, dev);
        wmin = fmin(wmin, within), amax = fmax(amax, across);
        if (!(within >= 0.7 && across <= 0.45)) fail_msg("draw %d: %.3f within, %.3f across", d, within, across);
        for (int k = 0; k < 16; k++) sum[k] += dev[k] / 15;
    }
    double worst = 0;
    for (int k = 0; k < 16; k++) worst = fmax(worst, fabs(sum[k]));
    fprintf(stderr, "  37: within >= %.3f, across <= %.3f; the 15-draw mean is within %.3f of the truth\n", wmin, amax, worst);
    assert_true(worst < 0.1);
}

/* ---- 38: hierarchical Bayes --------------------------------------------------- */

/* The relative distance of the learned prior mean from the tasks' mean
 * true weights (the generator rerun with config.json's parameters), delta_m,
 * and the co-membership of the two-cluster experiment within / across. */
static void hier_bayes(int seed, int draw, double *rel, double *dm1, double *dm2, double *within, double *across)
{
    char out[64], extra[96], d1[800], d2[800];
    snprintf(out, sizeof out, "hb-%d-%d", seed, draw);
    snprintf(extra, sizeof extra, "--seed %d --set data.seed=%d", seed, draw);
    run_exp("38_hierarchical_bayes", out, extra);
    run_dir(out, 1, d1, sizeof d1);
    run_dir(out, 2, d2, sizeof d2);
    cJSON *c = read_json(d1, "config.json");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "data"), "params");
    synth_cluster_opts o;
    synth_cluster_defaults(&o);
    o.ntasks = (int)num(p, "tasks"), o.nclusters = (int)num(p, "clusters"), o.d = (int)num(p, "d");
    o.support = (int)num(p, "support"), o.within = num(p, "within"), o.n_each = (int)num(p, "n_each");
    o.noise = num(p, "noise"), o.seed = (uint64_t)num(p, "seed");
    cJSON_Delete(c);
    mt_dataset ds;
    dataset_init(&ds);
    synth_cluster_truth tr;
    memset(&tr, 0, sizeof tr);
    assert_int_equal(synth_clustered(&ds, &o, &tr), MT_OK);
    double mu[64], err = 0, norm = 0;
    int rows, cols;
    last_matrix(d1, "prior mean", &rows, &cols, mu, 64);
    assert_true(rows == 1 && cols == o.d + 1); /* the inputs and the intercept */
    for (int j = 0; j < o.d; j++) {
        double wbar = 0;
        for (int t = 0; t < o.ntasks; t++) wbar += tr.w[t * o.d + j] / o.ntasks;
        err += (mu[j] - wbar) * (mu[j] - wbar);
        norm += wbar * wbar;
    }
    err += mu[o.d] * mu[o.d]; /* the tasks have no intercept */
    *rel = sqrt(err / norm);
    synth_cluster_truth_free(&tr);
    dataset_free(&ds);
    mean_test(d1, dm1);
    mean_test(d2, dm2);
    cJSON *c2 = read_json(d2, "config.json");
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c2, "data"), "clusters");
    int T = cJSON_GetArraySize(cl), k[16];
    assert_true(T == 12);
    for (int t = 0; t < T; t++) k[t] = cJSON_GetArrayItem(cl, t)->valueint;
    cJSON_Delete(c2);
    double co[256];
    last_matrix(d2, "cluster co-membership", &rows, &cols, co, 256);
    assert_int_equal(rows, T);
    *within = 1, *across = 0;
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) {
            if (s == t) continue;
            if (k[s] == k[t]) *within = fmin(*within, co[s * T + t]);
            else *across = fmax(*across, co[s * T + t]);
        }
}

static void test_e2e_nonneural_hier_bayes(void **state)
{
    (void)state;
    double rel, dm1, dm2, within, across;
    hier_bayes(1, 1, &rel, &dm1, &dm2, &within, &across);
    if (!(rel < 0.1 && dm1 > 5 && within >= 0.9 && across <= 0.1))
        fail_msg("prior mean %.3f off (relative); delta_m %+.1f%% (one prior), %+.1f%% (two clusters); "
                 "co-membership %.2f within, %.2f across", rel, dm1, dm2, within, across);
    if (!thorough()) return;
    double rmax = 0, dmin = 1e9, d2min = 1e9, d2max = -1e9;
    for (int s = 1; s <= 5; s++)
        for (int d = 1; d <= 3; d++) {
            hier_bayes(s, d, &rel, &dm1, &dm2, &within, &across);
            rmax = fmax(rmax, rel), dmin = fmin(dmin, dm1), d2min = fmin(d2min, dm2), d2max = fmax(d2max, dm2);
            if (!(rel < 0.1 && dm1 > 5 && within >= 0.9 && across <= 0.1))
                fail_msg("seed %d draw %d: prior mean %.3f off, delta_m %+.1f%%, co-membership %.2f / %.2f", s, d, rel,
                         dm1, within, across);
        }
    fprintf(stderr, "  38: prior mean at most %.3f off; delta_m at least %+.1f%% (one prior), %+.1f%%..%+.1f%% (clusters)\n",
            rmax, dmin, d2min, d2max);
}

/* ---- what a model cannot do ------------------------------------------------- */

static void expect_refused(const char *name, const char *body, const char *needle)
{
    char text[2048], args[1024], *o = NULL, *e = NULL;
    snprintf(text, sizeof text,
             "local mtl = require 'mtl'\n"
             "return mtl.experiment { name = 'bad',\n%s }\n",
             body);
    const char *path = e2e_write(name, text);
    snprintf(args, sizeof args, "check '%s'", path);
    int rc = e2e_run(args, &o, &e);
    if (rc != 2 || !e || !strstr(e, needle))
        fail_msg("%s: exit %d, stderr:\n%s\nexpected: %s", name, rc, e ? e : "", needle);
    free(o);
    free(e);
}

static void test_e2e_nonneural_refusals(void **state)
{
    (void)state;
    const char *gpdata = "data = mtl.data.gp_family { tasks = 2, n = { 5, 10 } },\n"
                         "tasks = { mtl.task.regress { name = 'a', target = 't1' }, mtl.task.regress { name = 'b', target = 't2' } },\n";
    char body[1024];
    snprintf(body, sizeof body, "%s topology = mtl.model.gp {}, weighting = 'pcgrad'", gpdata);
    expect_refused("w.lua", body, "weighting: the gp model fits its exact log marginal likelihood");
    snprintf(body, sizeof body, "%s topology = mtl.model.gp {}, optim = 'sgd'", gpdata);
    expect_refused("o.lua", body, "optim: the gp model learns its hyperparameters with Adam");
    snprintf(body, sizeof body, "%s topology = mtl.model.gp { rank = 3 }", gpdata);
    expect_refused("r.lua", body, "topology.rank: 3, but there are 2 tasks");
    snprintf(body, sizeof body, "%s topology = mtl.model.krr { B = '1 2; 2 1' }", gpdata);
    expect_refused("b.lua", body, "topology.B: the task matrix B is not positive semi-definite");
    snprintf(body, sizeof body, "%s topology = mtl.share.gp {}", gpdata);
    expect_refused("s.lua", body, "gp is a model, not a network: write mtl.model.gp");
    snprintf(body, sizeof body, "%s topology = mtl.model.hard {}", gpdata);
    expect_refused("h.lua", body, "\"hard\" is not a model (models: krr, gp, hier_bayes)");
    snprintf(body, sizeof body, "%s topology = mtl.model.hier_bayes {}, regularizers = { mtl.reg.mean_reg {} }", gpdata);
    expect_refused("g.lua", body, "regularizers: they act on a network's parameters");
    expect_refused("c.lua",
                   "data = mtl.data.table { x = { {1}, {2}, {3}, {4}, {5}, {6} }, targets = { c = { 0, 1, 0, 1, 0, 1 } } },\n"
                   "tasks = { mtl.task.classify { name = 'c' } }, topology = mtl.model.gp {}",
                   "a classification task, but the gp model has a Gaussian likelihood");
    expect_refused("n.lua",
                   "data = mtl.data.gp_family { tasks = 2, n = 2001 },\n"
                   "tasks = { mtl.task.regress { name = 'a', target = 't1' }, mtl.task.regress { name = 'b', target = 't2' } },\n"
                   "topology = mtl.model.gp {}",
                   "gp: 4002 labelled training pairs (examples x tasks), at most 4000");
}

/* ---- the band on the workbench ---------------------------------------------- */

static char sock[64];

static void tmux(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tmux(const char *fmt, ...)
{
    char args[2048], cmd[2300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "tmux -L %s %s >/dev/null 2>&1", sock, args);
    if (system(cmd) != 0) { /* kill-server may find nothing */
    }
}

/* Polls the screen for needle (generous: the machine is shared). */
static int screen_shows(const char *needle, double secs)
{
    char cmd[600], path[600];
    snprintf(path, sizeof path, "%s/pane.txt", e2e_tmpdir());
    snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t wb > '%s' 2>/dev/null", sock, path);
    for (double t = 0; t < secs; t += 0.2) {
        if (system(cmd) == 0) {
            char *s = e2e_read(path);
            int ok = s && strstr(s, needle);
            free(s);
            if (ok) return 1;
        }
        usleep(200000);
    }
    char *s = e2e_read(path);
    fprintf(stderr, "waited %.0fs for \"%s\"; the screen shows:\n%s\n", secs, needle, s ? s : "");
    free(s);
    return 0;
}

static void test_e2e_nonneural_band_on_screen(void **state)
{
    (void)state;
    if (system("command -v tmux >/dev/null 2>&1") != 0) fail_msg("tmux is not installed (sh scripts/setup.sh installs it)");
    snprintf(sock, sizeof sock, "mtlab-nonneural-%d", (int)getpid());
    char cwd[512], bin[1024];
    if (!getcwd(cwd, sizeof cwd)) abort();
    snprintf(bin, sizeof bin, "%s%s%s", e2e_binary()[0] == '/' ? "" : cwd, e2e_binary()[0] == '/' ? "" : "/", e2e_binary());
    tmux("new-session -d -s wb -x 120 -y 40 'env -i PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 HOME=/tmp sh'");
    tmux("send-keys -t wb \"cd '%s' && OPENBLAS_NUM_THREADS=1 '%s' '%s/experiments/36_multitask_gp.lua' --out band-run "
         "--set train.baselines=false --speed 50; echo MTLAB_EXITED=\\$?\" Enter",
         e2e_tmpdir(), bin, MTLAB_ROOT);
    /* the band is the first matrix: the matrix pane opens on it */
    assert_true(screen_shows("posterior band", 20));
    tmux("send-keys -t wb ' '"); /* pause, then export */
    assert_true(screen_shows("paused", 10));
    tmux("send-keys -t wb e");
    assert_true(screen_shows("exported", 10));
    tmux("send-keys -t wb q");
    tmux("send-keys -t wb y");
    assert_true(screen_shows("MTLAB_EXITED=", 20));
    tmux("kill-server");
    char dir[800];
    snprintf(dir, sizeof dir, "%s/band-run", e2e_tmpdir());
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "band-step", 9) == 0) {
            found = 1;
            assert_int_equal(count_in(dir, de->d_name, "<polygon class=\"band\""), 2);
            assert_int_equal(count_in(dir, de->d_name, "<circle class=\"data\""), 55);
        }
    closedir(d);
    assert_true(found);
}

static int teardown(void **state)
{
    (void)state;
    e2e_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_nonneural_krr),
        cmocka_unit_test(test_e2e_nonneural_gp_transfer),
        cmocka_unit_test(test_e2e_nonneural_gp_checkpoint),
        cmocka_unit_test(test_e2e_nonneural_gp_correlation),
        cmocka_unit_test(test_e2e_nonneural_hier_bayes),
        cmocka_unit_test(test_e2e_nonneural_refusals),
        cmocka_unit_test(test_e2e_nonneural_band_on_screen),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
