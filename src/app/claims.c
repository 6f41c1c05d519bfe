/* claims.c - the verdicts of a script's claims after `mtlab run` (and the
 * workbench), and `mtlab run --claims-thorough`: the claims checked over
 * their seeds x data draws in child runs, with the statistic's interval
 * against the margin (docs/lua-api.md "Claims"). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cJSON.h>
#include "app.h"
#include "claims.h"
#include "core/mem.h"
#include "core/textfile.h"
#include "run/jsonrec.h"
#include "run/result.h"
#include "run/rundir.h"
#include "run/sweep_stats.h"
#include "sweep.h"

static cJSON *grid_json(const long long *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

/* A claim's declaration as JSON (text, margin, grid). */
static cJSON *claim_json(const mtlua_claim_info *k)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", k->text);
    if (k->where[0]) cJSON_AddStringToObject(o, "where", k->where);
    if (k->has_measure) {
        cJSON_AddStringToObject(o, "statistic", k->statistic);
        cJSON_AddNumberToObject(o, k->has_above ? "above" : "below", k->has_above ? k->above : k->below);
    }
    if (k->nseeds) cJSON_AddItemToObject(o, "seeds", grid_json(k->seed, k->nseeds));
    cJSON_AddItemToObject(o, "draws", grid_json(k->draw, k->ndraws));
    return o;
}

void app_claim_line(const mtlua_claim_info *k, const mtlua_verdict *v, char *out, size_t n)
{
    (void)k;
    snprintf(out, n, "claim %s: %s", v->held ? "held" : "FAILED", v->message);
}

/* Adds "claims" to DIR/summary.json (one run folder: the verdicts live
 * beside the numbers they judge). */
static void add_to_summary(const char *dir, const cJSON *claims)
{
    char path[1400], *text;
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (mt_read_text(path, &text, NULL)) return;
    cJSON *o = cJSON_Parse(text);
    mt_free(text);
    if (!o) return;
    cJSON_DeleteItemFromObjectCaseSensitive(o, "claims");
    cJSON_AddItemToObject(o, "claims", cJSON_Duplicate(claims, 1));
    if (rundir_write_json_path(path, o)) fprintf(stderr, "mtlab: %s\n", mt_last_error());
    cJSON_Delete(o);
}

/* Appends to a notes buffer. */
static void note(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(char *buf, size_t n, const char *fmt, ...)
{
    if (!buf || !n) return;
    size_t w = strlen(buf);
    if (w + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + w, n - w, fmt, ap);
    va_end(ap);
}

/* The verdicts of the claims declared on the sweep (sweep = 1) or not,
 * each line to `print` (or nowhere) and, with the claim's text, to
 * notes. */
static int verdicts(mtlua_session *s, int sweep, const char *out, const char *const *dirs, int nrun, const char *skip,
                    FILE *print, char *notes, size_t nn)
{
    int n = mtlua_claim_count(s), code = MT_EXIT_OK, checked = 0;
    for (int j = 0; j < n; j++) checked += mtlua_claim_at(s, j)->on_sweep == sweep;
    if (!checked) return MT_EXIT_OK;
    cJSON *top = cJSON_CreateObject();
    cJSON_AddStringToObject(top, "script", mtlua_script(s));
    cJSON_AddNumberToObject(top, "draw", (double)mtlua_get_draw());
    cJSON *arr = cJSON_AddArrayToObject(top, "claims");
    int all = 1;
    for (int j = 0; j < n; j++) {
        const mtlua_claim_info *k = mtlua_claim_at(s, j);
        if (k->on_sweep != sweep) continue;
        cJSON *c = claim_json(k);
        cJSON_AddItemToArray(arr, c);
        if (skip) {
            all = 0;
            cJSON_AddNullToObject(c, "held");
            cJSON_AddStringToObject(c, "message", skip);
            if (print) fprintf(print, "claim not checked: %s\n", skip);
            note(notes, nn, "%sClaim: %s\n\nclaim not checked: %s", notes && notes[0] ? "\n\n" : "", k->text, skip);
            continue;
        }
        mtlua_verdict v;
        mtlua_claim_check(s, j, &v);
        cJSON_AddBoolToObject(c, "held", v.held);
        if (k->has_check) cJSON_AddBoolToObject(c, "check_held", v.check_held);
        if (v.error) cJSON_AddBoolToObject(c, "error", 1);
        cJSON_AddStringToObject(c, "message", v.message);
        if (k->has_measure) {
            cJSON_AddItemToObject(c, "value", jrec_num(v.statistic));
            cJSON *vals = cJSON_AddArrayToObject(c, "values");
            for (int i = 0; i < v.nvalues; i++) cJSON_AddItemToArray(vals, jrec_num(v.value[i]));
        }
        char line[2200];
        app_claim_line(k, &v, line, sizeof line);
        if (print) fprintf(print, "%s\n", line);
        note(notes, nn, "%sClaim: %s\n\n%s", notes && notes[0] ? "\n\n" : "", k->text, line);
        if (!v.held) {
            all = 0;
            code = MT_EXIT_CLAIM;
        }
    }
    if (skip) cJSON_AddNullToObject(top, "held");
    else cJSON_AddBoolToObject(top, "held", all);
    char path[1400];
    snprintf(path, sizeof path, "%s/claims.json", out);
    if (rundir_write_json_path(path, top)) fprintf(stderr, "mtlab: %s\n", mt_last_error());
    if (nrun == 1) add_to_summary(dirs[0], arr);
    cJSON_Delete(top);
    if (print) fflush(print);
    return code;
}

int app_claims_verdicts(mtlua_session *s, const char *out, const char *const *dirs, int nrun, const char *skip,
                        char *notes, size_t nn)
{
    /* a verdict is the run's result: printed with -q too; the workbench
     * (notes != NULL) prints nothing on its screen */
    return verdicts(s, 0, out, dirs, nrun, skip, notes ? NULL : stdout, notes, nn);
}

int app_claims_add_run(mtlua_session *s, int i, const char *dir, int code, char *skip, size_t n)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    mt_run_result r;
    int have = code != MT_EXIT_USAGE && result_read_summary(path, &r) == MT_OK;
    if (!have) mt_clear_error();
    /* a run that ended (finished, diverged, failed) is judged by the
     * claim; one interrupted, stopped or never started leaves it unchecked */
    if (have && strcmp(r.status, "interrupted") != 0 && strcmp(r.status, "stopped") != 0) {
        if (mtlua_claim_add_result(s, i, dir) == MT_OK) return 0;
        if (!skip[0]) snprintf(skip, n, "%s", mt_last_error());
        return -1;
    }
    if (!skip[0]) snprintf(skip, n, "\"%s\" %s", mtlua_experiment(s, i)->name, have ? r.status : "did not run");
    return 0;
}

int app_claims_sweep(const char *script, const mtlua_override *ov, int nov, const char *out, int complete)
{
    mtlua_session *s;
    if (mtlua_open(script, ov, nov, &s)) {
        fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
        return MT_EXIT_FAILED;
    }
    int code = MT_EXIT_OK, any = 0;
    for (int j = 0; j < mtlua_claim_count(s); j++) any |= mtlua_claim_at(s, j)->on_sweep;
    if (any) {
        char path[1400], *text = NULL;
        snprintf(path, sizeof path, "%s/sweep.json", out);
        const char *skip = complete ? NULL : "not every run of the sweep is done";
        if (!skip && mt_read_text(path, &text, NULL)) skip = "no sweep.json";
        if (!skip && mtlua_claim_add_json(s, "sweep", text)) {
            fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
            skip = "sweep.json could not be read";
        }
        mt_free(text);
        code = verdicts(s, 1, out, NULL, 0, skip, stdout, NULL, 0);
    }
    mtlua_close(s);
    return code;
}

/* ---- --claims-thorough -------------------------------------------------- */

/* One child run of the grid: --seed (or none) and --draw. */
typedef struct {
    long long seed;
    int has_seed;
    long long draw;
    char dir[1200];
    int code;
} thorough_run;

static int find_run(const thorough_run *r, int n, int has_seed, long long seed, long long draw)
{
    for (int i = 0; i < n; i++)
        if (r[i].has_seed == has_seed && (!has_seed || r[i].seed == seed) && r[i].draw == draw) return i;
    return -1;
}

/* Median and its distribution-free interval (order statistics; the
 * binomial coverage at least MT_STAT_LEVEL): [x(k), x(n+1-k)] for the
 * largest k with P(Binomial(n, 1/2) < k) <= (1 - level) / 2. NaN bounds
 * when n is too small for any such k (n < 6). */
static void median_interval(const double *v, int n, double *med, double *lo, double *hi)
{
    double x[MTLUA_CLAIM_MAX_GRID * MTLUA_CLAIM_MAX_GRID];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) x[m++] = v[i];
    *med = mtlua_claim_statistic("median", x, m);
    *lo = *hi = NAN;
    for (int i = 1; i < m; i++) /* insertion sort: m is small */
        for (int j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double t = x[j];
            x[j] = x[j - 1];
            x[j - 1] = t;
        }
    double tail = 0, p = pow(0.5, m), c = 1; /* P(B = i) = C(m, i) / 2^m */
    int k = 0;
    for (int i = 0; i < m; i++) {
        tail += c * p;
        if (tail > (1 - MT_STAT_LEVEL) / 2) break;
        k = i + 1;
        c = c * (m - i) / (i + 1);
    }
    if (k >= 1) {
        *lo = x[k - 1];
        *hi = x[m - k];
    }
}

/* Reads one child's claims.json: per claim, held (1, 0, -1 unknown) and
 * the measured values. */
static cJSON *read_child(const char *dir)
{
    char path[1400], *text;
    snprintf(path, sizeof path, "%s/claims.json", dir);
    if (mt_read_text(path, &text, NULL)) return NULL;
    cJSON *o = cJSON_Parse(text);
    mt_free(text);
    return o;
}

/* The argv of one child: run SCRIPT --out DIR --force -q --baselines TOP
 * [--seed S] --draw D, with the caller's --set options and --trust. */
#define ARG_LEN 600
static void child_args(const app_options *o, const thorough_run *r, const char *top, const char **argv,
                       char store[][ARG_LEN], int *n)
{
    int a = 0;
    argv[a++] = "run";
    argv[a++] = o->script;
    argv[a++] = "--out";
    argv[a++] = r->dir;
    argv[a++] = "--force";
    argv[a++] = "-q";
    argv[a++] = "--baselines";
    argv[a++] = top;
    if (r->has_seed) {
        snprintf(store[0], ARG_LEN, "%lld", r->seed);
        argv[a++] = "--seed";
        argv[a++] = store[0];
    }
    snprintf(store[1], ARG_LEN, "%lld", r->draw);
    argv[a++] = "--draw";
    argv[a++] = store[1];
    if (o->trust) argv[a++] = "--trust";
    if (o->threads) {
        snprintf(store[2], ARG_LEN, "%d", o->threads);
        argv[a++] = "--threads";
        argv[a++] = store[2];
    }
    for (int i = 0; i < o->nsets && a + 3 < MT_SWEEP_MAX_ARGS; i++) {
        if (o->sets[i].origin) continue; /* --seed: the grid's */
        snprintf(store[3 + i], ARG_LEN, "%s=%s", o->sets[i].key, o->sets[i].value);
        argv[a++] = "--set";
        argv[a++] = store[3 + i];
    }
    argv[a] = NULL;
    *n = a;
}

int app_claims_thorough(const app_options *o)
{
    mtlua_session *s;
    if (mtlua_open(o->script, o->sets, o->nsets, &s)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    int nc = mtlua_claim_count(s), checked = 0;
    for (int j = 0; j < nc; j++) checked += !mtlua_claim_at(s, j)->on_sweep;
    if (!checked) {
        fprintf(stderr, "mtlab: %s declares no claim for `mtlab run` to check%s\n", o->script,
                nc ? " (its claim is the sweep's: mtlab sweep checks it)" : "");
        mtlua_close(s);
        return MT_EXIT_USAGE;
    }
    char out[1024];
    if (o->out_dir) snprintf(out, sizeof out, "%s", o->out_dir);
    else app_default_run_dir(o->script, out, sizeof out);
    if (rundir_mkdirs(out)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        mtlua_close(s);
        return MT_EXIT_FAILED;
    }
    /* the union of the claims' grids, each (seed, draw) run once */
    int cap = 0, nr = 0;
    for (int j = 0; j < nc; j++) {
        const mtlua_claim_info *k = mtlua_claim_at(s, j);
        if (!k->on_sweep) cap += (k->nseeds ? k->nseeds : 1) * k->ndraws;
    }
    thorough_run *run = mt_calloc((size_t)cap, sizeof *run);
    if (!run) {
        mtlua_close(s);
        return MT_EXIT_FAILED;
    }
    for (int j = 0; j < nc; j++) {
        const mtlua_claim_info *k = mtlua_claim_at(s, j);
        if (k->on_sweep) continue;
        int ns = k->nseeds ? k->nseeds : 1;
        for (int a = 0; a < ns; a++)
            for (int b = 0; b < k->ndraws; b++) {
                int has = k->nseeds > 0;
                long long seed = has ? k->seed[a] : 0;
                if (find_run(run, nr, has, seed, k->draw[b]) >= 0) continue;
                thorough_run *r = &run[nr++];
                r->has_seed = has;
                r->seed = seed;
                r->draw = k->draw[b];
                if (has) snprintf(r->dir, sizeof r->dir, "%s/seed-%lld-draw-%lld", out, seed, r->draw);
                else snprintf(r->dir, sizeof r->dir, "%s/draw-%lld", out, r->draw);
            }
    }
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        fprintf(stderr, "mtlab: --claims-thorough: cannot find this program (/proc/self/exe)\n");
        mt_free(run);
        mtlua_close(s);
        return MT_EXIT_FAILED;
    }
    exe[len] = '\0';
    int jobs = o->jobs > 0 ? o->jobs : 1;
    if (!o->quiet)
        fprintf(stderr, "mtlab: %s: checking %d claim%s on %d runs (%d at a time) in %s\n", o->script, checked,
                checked == 1 ? "" : "s", nr, jobs, out);
    /* run the grid, `jobs` children at a time */
    pid_t *pid = mt_calloc((size_t)jobs, sizeof *pid);
    int *slot = mt_calloc((size_t)jobs, sizeof *slot);
    int next = 0, running = 0, done = 0;
    double t0 = sweep_now();
    while ((next < nr || running) && pid && slot) {
        for (int q = 0; q < jobs && next < nr && !app_stop_signal; q++) {
            if (pid[q]) continue;
            thorough_run *r = &run[next];
            if (rundir_mkdirs(r->dir)) {
                fprintf(stderr, "mtlab: %s\n", mt_last_error());
                r->code = MT_EXIT_FAILED;
                next++;
                continue;
            }
            static char store[3 + APP_MAX_SETS][ARG_LEN];
            const char *argv[MT_SWEEP_MAX_ARGS + 1];
            char log[1300];
            int na;
            child_args(o, r, out, argv, store, &na);
            snprintf(log, sizeof log, "%s/run.log", r->dir);
            pid[q] = sweep_spawn(exe, (char *const *)argv, log);
            if (pid[q] < 0) {
                pid[q] = 0;
                r->code = MT_EXIT_FAILED;
                next++;
                continue;
            }
            slot[q] = next++;
            running++;
        }
        int any = 0;
        for (int q = 0; q < jobs; q++) {
            int c;
            if (!pid[q] || !sweep_reap(pid[q], &c)) continue;
            any = 1;
            pid[q] = 0;
            running--;
            done++;
            thorough_run *r = &run[slot[q]];
            r->code = c;
            char seed[48] = "";
            if (r->has_seed) snprintf(seed, sizeof seed, "seed %lld, ", r->seed);
            if (!o->quiet)
                fprintf(stderr, "mtlab: [%d/%d] %sdraw %lld: %s (%.0fs so far)\n", done, nr, seed, r->draw,
                        c == MT_EXIT_OK ? "its verdict held" : c == MT_EXIT_CLAIM ? "its own verdict failed" : "a run failed",
                        sweep_now() - t0);
        }
        if (app_stop_signal && next < nr) nr = next; /* start nothing more */
        if (!any) usleep(50 * 1000);
    }
    mt_free(pid);
    mt_free(slot);
    /* the verdict of each claim over its grid */
    cJSON *top = cJSON_CreateObject();
    cJSON_AddStringToObject(top, "script", o->script);
    cJSON_AddNumberToObject(top, "level", MT_STAT_LEVEL);
    cJSON *arr = cJSON_AddArrayToObject(top, "claims");
    int code = MT_EXIT_OK, all = 1, ci = -1;
    for (int j = 0; j < nc; j++) {
        const mtlua_claim_info *k = mtlua_claim_at(s, j);
        if (k->on_sweep) continue;
        ci++;
        cJSON *c = claim_json(k);
        cJSON_AddItemToArray(arr, c);
        cJSON *per = cJSON_AddArrayToObject(c, "runs");
        int runs = 0, held = 0, failed_runs = 0;
        double *vals = mt_alloc(sizeof(double) * (size_t)MTLUA_CLAIM_MAX_VALUES * MTLUA_CLAIM_MAX_GRID *
                                MTLUA_CLAIM_MAX_GRID);
        int nv = 0;
        int ns = k->nseeds ? k->nseeds : 1;
        for (int a = 0; a < ns; a++)
            for (int b = 0; b < k->ndraws; b++) {
                int i = find_run(run, nr, k->nseeds > 0, k->nseeds ? k->seed[a] : 0, k->draw[b]);
                if (i < 0) continue;
                runs++;
                cJSON *pr = cJSON_CreateObject();
                cJSON_AddItemToArray(per, pr);
                if (run[i].has_seed) cJSON_AddNumberToObject(pr, "seed", (double)run[i].seed);
                cJSON_AddNumberToObject(pr, "draw", (double)run[i].draw);
                cJSON_AddNumberToObject(pr, "exit", run[i].code);
                cJSON *child = read_child(run[i].dir);
                const cJSON *cc = child ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(child, "claims"), ci) : NULL;
                /* per run only the check counts (and that the measure ran):
                 * the statistic is judged over every run's values below */
                const cJSON *h = cc ? cJSON_GetObjectItemCaseSensitive(cc, "held") : NULL;
                const cJSON *ch = cc ? cJSON_GetObjectItemCaseSensitive(cc, "check_held") : NULL;
                const cJSON *er = cc ? cJSON_GetObjectItemCaseSensitive(cc, "error") : NULL;
                int verdict = !cJSON_IsBool(h)     ? -1 /* no verdict: the run failed */
                              : cJSON_IsTrue(er)   ? 0
                              : k->has_check       ? cJSON_IsTrue(ch)
                                                   : 1;
                if (verdict < 0) {
                    failed_runs++;
                    cJSON_AddNullToObject(pr, "held");
                } else {
                    held += verdict;
                    cJSON_AddBoolToObject(pr, "held", verdict);
                    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cc, "message");
                    if (cJSON_IsString(m)) cJSON_AddStringToObject(pr, "message", m->valuestring);
                    const cJSON *x;
                    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cc, "values"))
                    {
                        if (vals && nv < MTLUA_CLAIM_MAX_VALUES * MTLUA_CLAIM_MAX_GRID * MTLUA_CLAIM_MAX_GRID)
                            vals[nv++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
                    }
                    if (cJSON_GetObjectItemCaseSensitive(cc, "values"))
                        cJSON_AddItemToObject(pr, "values",
                                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cc, "values"), 1));
                }
                cJSON_Delete(child);
            }
        int ok = failed_runs == 0 && runs > 0;
        char msg[1024];
        char seeds[48];
        if (k->nseeds) snprintf(seeds, sizeof seeds, "%d seed%s", ns, ns == 1 ? "" : "s");
        else snprintf(seeds, sizeof seeds, "the script's seeds");
        size_t w = (size_t)snprintf(msg, sizeof msg, "%d runs (%s x %d draw%s)", runs, seeds, k->ndraws,
                                    k->ndraws == 1 ? "" : "s");
        if (failed_runs) w += (size_t)snprintf(msg + w, sizeof msg - w, ", %d without a verdict (see run.log)", failed_runs);
        if (k->has_check) {
            ok = ok && held == runs;
            w += (size_t)snprintf(msg + w, sizeof msg - w, "; held in %d of %d", held, runs);
        }
        cJSON_AddNumberToObject(c, "held_in", held);
        cJSON_AddNumberToObject(c, "of", runs);
        if (k->has_measure && vals) {
            double est, lo, hi;
            if (strcmp(k->statistic, "median") == 0) {
                median_interval(vals, nv, &est, &lo, &hi);
            } else {
                mt_stat st = stats_summarise(vals, nv);
                est = st.mean;
                lo = st.lo;
                hi = st.hi;
            }
            int inside = k->has_above ? lo > k->above : hi < k->below;
            ok = ok && inside;
            cJSON_AddItemToObject(c, "value", jrec_num(est));
            cJSON_AddItemToObject(c, "lo", jrec_num(lo));
            cJSON_AddItemToObject(c, "hi", jrec_num(hi));
            cJSON_AddNumberToObject(c, "nvalues", nv);
            snprintf(msg + w, sizeof msg - w, "; %s of %d values %.4g, %.0f%% interval [%.4g, %.4g] %s %.4g",
                     k->statistic, nv, est, 100 * MT_STAT_LEVEL, lo, hi,
                     inside ? (k->has_above ? ">" : "<") : "does not clear", k->has_above ? k->above : k->below);
        }
        mt_free(vals);
        cJSON_AddBoolToObject(c, "held", ok);
        cJSON_AddStringToObject(c, "message", msg);
        printf("claim %s over seeds x draws: %s\n  %s\n", ok ? "held" : "FAILED", k->text, msg);
        if (!ok) all = 0;
        if (!ok && code == MT_EXIT_OK) code = failed_runs ? MT_EXIT_FAILED : MT_EXIT_CLAIM;
    }
    cJSON_AddBoolToObject(top, "held", all);
    cJSON_AddNumberToObject(top, "wall_time_s", round((sweep_now() - t0) * 10) / 10);
    char path[1400];
    snprintf(path, sizeof path, "%s/claims-thorough.json", out);
    if (rundir_write_json_path(path, top)) fprintf(stderr, "mtlab: %s\n", mt_last_error());
    printf("  -> %s (%.0fs)\n", path, sweep_now() - t0);
    cJSON_Delete(top);
    mt_free(run);
    mtlua_close(s);
    if (app_stop_signal && code == MT_EXIT_OK) code = MT_EXIT_FAILED;
    return code;
}
