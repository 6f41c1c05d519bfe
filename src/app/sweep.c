/* sweep.c - `mtlab sweep SCRIPT --out DIR`: plans configurations x seeds,
 * checks every configuration before training anything, runs what is not
 * done yet (here with -j N, or over MPI ranks), and aggregates the runs'
 * summaries into sweep.csv, sweep.json and sweep.svg. `--list` prints the
 * runs as `mtlab run` commands instead; `--collect DIR` only aggregates. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app.h"
#include "claims.h"
#include "core/mem.h"
#include "run/rundir.h"
#include "sweep.h"

typedef struct {
    mt_sweep_task task[MT_SWEEP_MAX_TASKS];
    int ntasks;
} task_list;

/* The overrides of configuration c with the first seed, as --set pairs. */
static int config_overrides(const mt_sweep_plan *p, int c, mtlua_override *ov, char (*seedbuf)[32])
{
    const mt_sweep_spec *s = &p->spec;
    int n = 0;
    for (int i = 0; i < s->nsets; i++) ov[n++] = (mtlua_override){s->set[i].key, s->set[i].value};
    for (int a = 0; a < s->naxes; a++)
        ov[n++] = (mtlua_override){s->axis[a].key, s->axis[a].value[p->config[c].point[a]]};
    for (int i = 0; i < s->nseed_paths; i++) {
        snprintf(seedbuf[i], 32, "%llu", s->seed[0]);
        ov[n++] = (mtlua_override){s->seed_path[i], seedbuf[i]};
    }
    return n;
}

static void add_task(task_list *tl, const mt_task_spec *ts)
{
    for (int k = 0; k < tl->ntasks; k++)
        if (strcmp(tl->task[k].name, ts->name) == 0) return;
    if (tl->ntasks == MT_SWEEP_MAX_TASKS) return;
    mt_sweep_task *t = &tl->task[tl->ntasks++];
    snprintf(t->name, sizeof t->name, "%s", ts->name);
    snprintf(t->metric, sizeof t->metric, "%s", metric_kind_name(ts->metric));
    t->higher_better = metric_higher_is_better(ts->metric);
    t->aux = ts->aux;
    t->in_score = ts->in_score;
}

/* Builds every configuration as its runs will (script, --set, grid, the
 * first seed) so a bad grid value stops the sweep before any training,
 * and collects the tasks the statistics are kept for. */
static int check_configs(const mt_sweep_plan *p, task_list *tl)
{
    mtlua_override ov[MT_SWEEP_MAX_SETS + MT_SWEEP_MAX_AXES + MT_SWEEP_MAX_SEED_PATHS];
    char seedbuf[MT_SWEEP_MAX_SEED_PATHS][32];
    for (int c = 0; c < p->nconfigs && !app_stop_signal; c++) {
        int n = config_overrides(p, c, ov, seedbuf);
        mtlua_session *s;
        if (mtlua_open(p->spec.script, ov, n, &s)) {
            fprintf(stderr, "mtlab: sweep: configuration '%s': %s\n", p->config[c].name, mt_last_error());
            return MT_EXIT_USAGE;
        }
        int exp = p->config[c].exp;
        if (exp >= mtlua_count(s)) {
            fprintf(stderr, "mtlab: sweep: configuration '%s': the script returns only %d experiments\n",
                    p->config[c].name, mtlua_count(s));
            mtlua_close(s);
            return MT_EXIT_USAGE;
        }
        const mt_experiment *e = mtlua_experiment(s, exp);
        for (int k = 0; k < e->ntasks; k++) add_task(tl, &e->task[k]);
        mtlua_close(s);
    }
    return app_stop_signal ? MT_EXIT_FAILED : MT_EXIT_OK;
}

/* The spec from the script and the command line. */
static int read_spec(const app_options *o, mt_sweep_spec *spec)
{
    mtlua_session *s;
    if (mtlua_open(o->script, o->sets, o->nsets, &s)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    mt_status st = mtlua_sweep_spec(s, spec);
    int sweep = mtlua_is_sweep(s);
    mtlua_close(s);
    if (st) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    if (!sweep && !o->seeds) {
        fprintf(stderr, "mtlab: sweep: %s returns experiments, not a sweep: give the seeds (--seeds 1..5) or\n"
                        "mtlab: end the script with return mtl.sweep { base = ..., grid = { ... }, seeds = { ... } }\n",
                o->script);
        return MT_EXIT_USAGE;
    }
    if (o->seeds && sweep_parse_seeds(o->seeds, spec->seed, MT_SWEEP_MAX_SEEDS, &spec->nseeds)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    if (o->nsets > MT_SWEEP_MAX_SETS) {
        fprintf(stderr, "mtlab: sweep: at most %d --set options\n", MT_SWEEP_MAX_SETS);
        return MT_EXIT_USAGE;
    }
    for (int i = 0; i < o->nsets; i++) {
        if (strlen(o->sets[i].key) >= sizeof spec->set[0].key || strlen(o->sets[i].value) >= MT_SWEEP_VALUE) {
            fprintf(stderr, "mtlab: sweep: --set %s: too long\n", o->sets[i].key);
            return MT_EXIT_USAGE;
        }
        snprintf(spec->set[i].key, sizeof spec->set[i].key, "%s", o->sets[i].key);
        snprintf(spec->set[i].value, sizeof spec->set[i].value, "%s", o->sets[i].value);
    }
    spec->nsets = o->nsets;
    if (o->reference) snprintf(spec->reference, sizeof spec->reference, "%s", o->reference);
    spec->threads = o->threads > 0 ? o->threads : 1;
    spec->trust = o->trust;
    spec->lua_mem = o->lua_mem != MTLUA_MEM_DEFAULT ? o->lua_mem : 0;
    return MT_EXIT_OK;
}

/* A statistic as the report shows it: mean ± std [95% interval]. */
static void stat_text(const mt_stat *s, char *buf, size_t n)
{
    if (s->n == 0) snprintf(buf, n, "-");
    else if (s->n == 1) snprintf(buf, n, "%-10.4g (one run)", s->mean);
    else snprintf(buf, n, "%.4g \xc2\xb1 %.2g [%.4g, %.4g]", s->mean, s->std, s->lo, s->hi);
}

/* Columns a UTF-8 text takes on a terminal (one per character). */
static int text_columns(const char *s)
{
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* text, then spaces up to `width` columns */
static void print_padded(const char *text, int width)
{
    int w = text_columns(text);
    printf("%s%*s", text, w < width ? width - w : 0, "");
}

/* `more`: a column follows, so n= is padded to line it up; else the
 * line ends at the count */
static void print_stat(const mt_stat *s, int width, int more)
{
    char buf[96];
    stat_text(s, buf, sizeof buf);
    print_padded(buf, width);
    if (more) printf(" n=%-3d", s->n);
    else printf(" n=%d", s->n);
}

/* better/worse by the direction of the quantity (sign +1: higher is better) */
static void print_diff(const mt_stat *d, int sign)
{
    if (d->n < 2) {
        printf("  %s", d->n ? "(one pair)" : "-");
        return;
    }
    int sig = stats_excludes_zero(d);
    printf("  %+.3g [%+.3g, %+.3g]%s", d->mean, d->lo, d->hi,
           !sig ? "" : d->mean * sign > 0 ? " * better" : " * worse");
}

static void print_report(const mt_sweep_plan *p, const mt_sweep_results *r, const mt_sweep_table *t)
{
    const char *split = r->score == MT_SQ_TEST_METRIC ? "test" : "val";
    /* the statistics' column as wide as its widest entry, so n= and the
     * differences line up */
    const char *head = "mean \xc2\xb1 std [95% interval]";
    int width = text_columns(head) + 9;
    char buf[96];
    for (int c = 0; c < r->nconfigs; c++) {
        for (int k = 0; k < r->ntasks; k++) {
            stat_text(&t->q[((size_t)c * r->ntasks + k) * MT_SQ_COUNT + r->score], buf, sizeof buf);
            if (text_columns(buf) > width) width = text_columns(buf);
        }
        stat_text(&t->dm[c], buf, sizeof buf);
        if (text_columns(buf) > width) width = text_columns(buf);
    }
    printf("%-30s ", "");
    print_padded(head, width);
    printf(" %-5s  vs %s (paired by seed)\n", "", p->config[t->reference].name);
    for (int c = 0; c < r->nconfigs; c++) {
        printf("%s%s%s\n", p->config[c].name, c == t->reference ? "  (reference)" : "",
               t->pareto[c] ? "  (Pareto)" : "");
        for (int k = 0; k < r->ntasks; k++) {
            size_t i = ((size_t)c * r->ntasks + k) * MT_SQ_COUNT + r->score;
            if (r->task[k].aux || t->q[i].n == 0) continue;
            char lab[128];
            snprintf(lab, sizeof lab, "  %s %s %s", r->task[k].name, split, r->task[k].metric);
            printf("%-30s ", lab);
            print_stat(&t->q[i], width, c != t->reference);
            if (c != t->reference) print_diff(&t->diff[i], r->task[k].higher_better ? 1 : -1);
            printf("\n");
        }
        if (t->dm[c].n > 0) {
            printf("%-30s ", "  delta_m %");
            print_stat(&t->dm[c], width, c != t->reference);
            if (c != t->reference) print_diff(&t->dm_diff[c], 1);
            printf("\n");
        }
    }
    printf("Pareto front (means of the %s metrics):", split);
    for (int c = 0, first = 1; c < r->nconfigs; c++)
        if (t->pareto[c]) {
            printf("%s %s", first ? "" : ",", p->config[c].name);
            first = 0;
        }
    printf("\n* the 95%% interval of the paired difference excludes 0\n");
}

/* Reads every run's numbers (gathered ones first), writes sweep.csv,
 * sweep.json and sweep.svg, prints the report. */
static int aggregate(const mt_sweep_plan *p, const task_list *tl, const char *out, char **gathered)
{
    mt_sweep_results *res;
    if (sweep_results_new(p, tl->task, tl->ntasks, &res)) {
        fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
        return MT_EXIT_FAILED;
    }
    for (int r = 0; gathered && r < p->nruns; r++)
        if (gathered[r] && sweep_results_add(res, p, r, gathered[r]))
            fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
    sweep_results_read(res, p, out);
    int missing = 0, done = 0;
    for (int i = 0; i < p->nconfigs * p->spec.nseeds; i++) {
        missing += !res->status[i][0];
        done += sweep_status_done(res->status[i]);
    }
    mt_sweep_table t;
    int code = MT_EXIT_OK;
    if (sweep_table_compute(res, p->reference, &t)) {
        fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
        sweep_results_free(res);
        return MT_EXIT_FAILED;
    }
    char path[1200];
    const char *names[] = {"sweep.csv", "sweep.json", "sweep.svg"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", out, names[i]);
        mt_status st = i == 0 ? sweep_write_csv(path, p, res, &t)
                       : i == 1 ? sweep_write_json(path, p, res, &t)
                                : sweep_write_svg(path, p, res, &t);
        if (st) {
            fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
            code = MT_EXIT_FAILED;
        }
    }
    printf("sweep %s: %d configurations x %d seeds, %d runs done", p->spec.script, p->nconfigs, p->spec.nseeds, done);
    if (done < p->nruns) printf(", %d not (%d without a summary)", p->nruns - done, missing);
    printf("\n");
    print_report(p, res, &t);
    printf("  -> %s/sweep.csv, sweep.json, sweep.svg\n", out);
    if (done < p->nruns) code = MT_EXIT_FAILED;
    /* the claims on the sweep, judged on sweep.json */
    mtlua_override ov[MT_SWEEP_MAX_SETS];
    int nov = 0;
    for (int i = 0; i < p->spec.nsets && nov < MT_SWEEP_MAX_SETS; i++)
        ov[nov++] = (mtlua_override){p->spec.set[i].key, p->spec.set[i].value, NULL};
    int cc = app_claims_sweep(p->spec.script, ov, nov, out, code == MT_EXIT_OK && done == p->nruns);
    if (cc != MT_EXIT_OK && code == MT_EXIT_OK) code = cc;
    sweep_table_free(&t);
    sweep_results_free(res);
    return code;
}

static int collect(const app_options *o)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/sweep-plan.json", o->collect);
    mt_sweep_plan *p;
    task_list *tl = mt_calloc(1, sizeof *tl);
    if (!tl) return MT_EXIT_FAILED;
    if (sweep_plan_load(path, &p, tl->task, &tl->ntasks)) {
        fprintf(stderr, "mtlab: sweep --collect: %s\n", mt_last_error());
        mt_free(tl);
        return MT_EXIT_USAGE;
    }
    int code = MT_EXIT_OK;
    if (o->reference) {
        int ref = sweep_plan_find_config(p, o->reference);
        if (ref < 0) {
            fprintf(stderr, "mtlab: sweep: --reference %s: no such configuration in %s\n", o->reference, path);
            code = MT_EXIT_USAGE;
        }
        p->reference = ref;
    }
    if (!code) code = aggregate(p, tl, o->collect, NULL);
    sweep_plan_free(p);
    mt_free(tl);
    return code;
}

/* Which runs this invocation does: those without a finished (or
 * diverged) summary, and those whose overrides changed since the plan
 * the directory holds. */
static int pending_runs(const mt_sweep_plan *p, const char *out, int *todo)
{
    char old_plan[1200];
    snprintf(old_plan, sizeof old_plan, "%s/sweep-plan.json", out);
    int n = 0;
    for (int r = 0; r < p->nruns; r++) {
        char status[32], was[4096], now[4096];
        sweep_run_status(out, p->run[r].dir, status, sizeof status);
        int done = sweep_status_done(status);
        if (done) {
            sweep_plan_old_identity(old_plan, p->run[r].dir, was, sizeof was);
            sweep_run_identity(p, r, now, sizeof now);
            if (strcmp(was, now) != 0) {
                fprintf(stderr, "mtlab: sweep: %s: its settings changed since it ran; running it again\n",
                        p->run[r].dir);
                done = 0;
            }
        }
        if (!done) todo[n++] = r;
    }
    return n;
}

static int sweep_main(const app_options *o, int mpi_ranks)
{
    if (o->load || o->experiment || o->baselines_dir) {
        fprintf(stderr, "mtlab: sweep: --load, --experiment and --baselines are options of `mtlab run`\n");
        return MT_EXIT_USAGE;
    }
    for (int i = 0; i < o->nsets; i++)
        if (strcmp(o->sets[i].key, "train.seed") == 0) {
            /* --seed N arrives as --set train.seed=N: a sweep has many seeds */
            fprintf(stderr, "mtlab: sweep: the seeds of a sweep are given with --seeds (e.g. --seeds 1..10)\n");
            return MT_EXIT_USAGE;
        }
    mt_sweep_spec *spec = mt_alloc(sizeof *spec);
    task_list *tl = mt_calloc(1, sizeof *tl);
    mt_sweep_plan *p = NULL;
    int *todo = NULL, code;
    app_sweep_ctx *ctx = mt_calloc(1, sizeof *ctx);
    if (!spec || !tl || !ctx) {
        code = MT_EXIT_FAILED;
        goto done;
    }
    if ((code = read_spec(o, spec))) goto done;
    if (sweep_plan_build(spec, &p)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        code = MT_EXIT_USAGE;
        goto done;
    }
    if ((code = check_configs(p, tl))) goto done;
    char out[1024];
    if (o->out_dir) snprintf(out, sizeof out, "%s", o->out_dir);
    else app_default_run_dir(o->script, out, sizeof out);
    todo = mt_alloc((size_t)p->nruns * sizeof *todo);
    if (!todo || rundir_mkdirs(out)) {
        fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
        code = MT_EXIT_FAILED;
        goto done;
    }
    int n = pending_runs(p, out, todo);
    char plan_path[1200];
    snprintf(plan_path, sizeof plan_path, "%s/sweep-plan.json", out);
    if (sweep_plan_save(plan_path, p, tl->task, tl->ntasks)) {
        fprintf(stderr, "mtlab: sweep: %s\n", mt_last_error());
        code = MT_EXIT_FAILED;
        goto done;
    }
    ssize_t el = readlink("/proc/self/exe", ctx->exe, sizeof ctx->exe - 1);
    if (el <= 0) {
        fprintf(stderr, "mtlab: sweep: cannot find this program's path (/proc/self/exe)\n");
        code = MT_EXIT_FAILED;
        goto done;
    }
    ctx->exe[el] = '\0';
    if (o->list) {
        char cmd[16384];
        for (int r = 0; r < p->nruns; r++)
            if (sweep_plan_command(p, r, ctx->exe, out, cmd, sizeof cmd)) printf("%s\n", cmd);
        fprintf(stderr, "mtlab: sweep: %d runs (%d not done); afterwards: mtlab sweep --collect %s\n", p->nruns, n,
                out);
        code = MT_EXIT_OK;
        goto done;
    }
    int jobs = o->jobs > 0 ? o->jobs : 1;
    ctx->plan = p;
    ctx->out = out;
    ctx->quiet = o->quiet;
    ctx->total = n;
    ctx->t0 = sweep_now();
    if (!o->quiet) {
        fprintf(stderr, "mtlab: sweep: %d configurations x %d seeds = %d runs; %d done already, %d to run", p->nconfigs,
                p->spec.nseeds, p->nruns, p->nruns - n, n);
        if (mpi_ranks > 1) fprintf(stderr, " on %d MPI ranks (%d at a time on rank 0)\n", mpi_ranks, jobs);
        else fprintf(stderr, ", %d at a time\n", jobs);
    }
    if (mpi_ranks > 1) sweep_exec_mpi(ctx, todo, n, jobs);
    else sweep_exec_local(ctx, todo, n, jobs);
    if (app_stop_signal) fprintf(stderr, "mtlab: sweep: interrupted; the next `mtlab sweep` redoes what did not finish\n");
    code = aggregate(p, tl, out, ctx->summary);
    if (app_stop_signal && !code) code = MT_EXIT_FAILED;
done:
    if (ctx && ctx->summary) {
        for (int r = 0; p && r < p->nruns; r++) mt_free(ctx->summary[r]);
        mt_free(ctx->summary);
    }
    mt_free(ctx);
    mt_free(todo);
    sweep_plan_free(p);
    mt_free(tl);
    mt_free(spec);
    return code;
}

int app_sweep(const app_options *o)
{
    int rank, size;
    int mpi = sweep_mpi_start(&rank, &size);
    if (mpi < 0) return MT_EXIT_USAGE;
    if (mpi && rank > 0) {
        int code = sweep_mpi_worker();
        sweep_mpi_stop(rank);
        return code;
    }
    int code;
    if (o->collect && o->script) {
        fprintf(stderr, "mtlab: sweep --collect DIR takes no script (it reads DIR/sweep-plan.json)\n");
        code = MT_EXIT_USAGE;
    } else {
        code = o->collect ? collect(o) : sweep_main(o, mpi ? size : 1);
    }
    if (mpi) sweep_mpi_stop(0);
    return code;
}
