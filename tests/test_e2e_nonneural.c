/* test_e2e_nonneural.c - the non-graph models (survey section 5) through
 * the real binary: the experiments 35..38 run headless and each test
 * asserts that the claim the script declares held (written once, in the
 * script), with checks of the machinery (band.svg, the task matrices, the
 * EM's prior mean against the generator), the messages for what a model
 * cannot do, a checkpoint round trip, and the band on the workbench under
 * tmux with its SVG export.
 *
 * `make test` checks each claim on the shipped seed and data draw;
 * `make test-claims` (mtlab run --claims-thorough) over the seeds and data
 * draws each claim states. */
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

/* mtlab run experiments/<name>.lua into <tmp>/<out> with extra arguments;
 * asserts that the runs finished (exit 0, or 3: a run shortened for a
 * machinery check need not make the script's claim hold). */
static void run_exp(const char *name, const char *out, const char *extra)
{
    char args[2048], *o = NULL, *e = NULL;
    snprintf(args, sizeof args, "run '%s/experiments/%s.lua' --out '%s' --force --quiet %s", MTLAB_ROOT, name, out,
             extra ? extra : "");
    int rc = e2e_run(args, &o, &e);
    if (rc != 0 && rc != 3) fprintf(stderr, "mtlab %s: exit %d\n%s\n%s\n", args, rc, o ? o : "", e ? e : "");
    assert_true(rc == 0 || rc == 3);
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

static double num(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsNumber(x));
    return x->valuedouble;
}

/* summary.json's tasks.<task>.<key>. */
static double task_value(const char *dir, const char *task, const char *key)
{
    cJSON *s = e2e_read_json_in(dir, "summary.json");
    double v = num(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "tasks"), task), key);
    cJSON_Delete(s);
    return v;
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

/* The script's claim held (exit 0, claims.json); its run folder (<tmp>/<name>). */
static const char *claim_holds(const char *name) { return e2e_claim_holds(MTLAB_ROOT, name, NULL, 0); }

/* ---- 35: multi-task kernel ridge ------------------------------------------
 * The claim in the script; here what every variant's band.svg draws (a
 * mean per task, no band: kernel ridge has no variance) and the true task
 * matrix as given. */

static void test_e2e_nonneural_krr(void **state)
{
    (void)state;
    claim_holds("35_multitask_krr");
    char dir[800];
    for (int k = 1; k <= 4; k++) {
        run_dir("35_multitask_krr", k, dir, sizeof dir);
        assert_int_equal(count_in(dir, "band.svg", "<polyline class=\"mean\""), 8);
        assert_int_equal(count_in(dir, "band.svg", "<polygon class=\"band\""), 0);
    }
    run_dir("35_multitask_krr", 4, dir, sizeof dir);
    double B[64];
    int rows, cols;
    last_matrix(dir, "task matrix", &rows, &cols, B, 64);
    assert_true(rows == 8 && cols == 8 && B[1] == 0.8 && B[0] == 1);
}

/* ---- 36: the multi-task GP, 5 points of A and 50 of B ----------------------
 * The claim in the script; here the task matrix as a correlation, and the
 * band: a band per task with all 55 points, published every 10 steps. */

static void test_e2e_nonneural_gp_transfer(void **state)
{
    (void)state;
    const char *dir = claim_holds("36_multitask_gp");
    double C[4];
    int rows, cols;
    last_matrix(dir, "task correlation", &rows, &cols, C, 4);
    assert_true(rows == 2 && C[0] == 1 && C[1] > 0.8);
    assert_int_equal(count_in(dir, "band.svg", "<polygon class=\"band\""), 2);
    assert_int_equal(count_in(dir, "band.svg", "<circle class=\"data\""), 55);
    assert_true(count_in(dir, "relations.jsonl", "\"name\":\"posterior band\"") >= 30); /* every 10 steps */
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

static void test_e2e_nonneural_gp_correlation(void **state)
{
    (void)state;
    claim_holds("37_gp_task_correlation");
}

/* ---- 38: hierarchical Bayes ---------------------------------------------------
 * The claim in the script; here the EM's learned prior mean against the
 * tasks' mean true weights (the data's generator rerun with config.json's
 * parameters): within 10% (relative, Euclidean). */

static void test_e2e_nonneural_hier_bayes(void **state)
{
    (void)state;
    claim_holds("38_hierarchical_bayes");
    char d1[800];
    run_dir("38_hierarchical_bayes", 1, d1, sizeof d1);
    cJSON *c = e2e_read_json_in(d1, "config.json");
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
    synth_cluster_truth_free(&tr);
    dataset_free(&ds);
    double rel = sqrt(err / norm);
    if (!(rel < 0.1)) fail_msg("the prior mean is %.3f off the mean true weights (relative)", rel);
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
