/* headless.c - `mtlab run` and `mtlab check`. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "app.h"
#include "claims.h"
#include "mtl/methods.h"
#include "core/log.h"
#include "run/lifecycle.h"
#include "tui/pane_band.h"
#include "tui/pane_landscape.h"
#include "core/mem.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void app_slug(const char *name, int index, char *out, size_t n)
{
    size_t w = (size_t)snprintf(out, n, "%02d-", index + 1);
    int dash = 1;
    for (const char *p = name; *p && w + 1 < n && w < 48; p++) {
        if (isalnum((unsigned char)*p)) {
            out[w++] = (char)tolower((unsigned char)*p);
            dash = 0;
        } else if (!dash) {
            out[w++] = '-';
            dash = 1;
        }
    }
    while (w > 3 && out[w - 1] == '-') w--;
    out[w] = '\0';
}

static void log_to_stderr(void *ud, mt_log_level lv, const char *msg)
{
    (void)ud;
    fprintf(stderr, "mtlab: %s%s\n", lv >= MT_LOG_WARN ? "warning: " : "", msg);
}

/* The progress line: a bar when stderr is a terminal, plain lines
 * otherwise (a log file or CI keeps a readable record). */
typedef struct {
    int tty, quiet;
    double last;
} progress;

static void progress_show(progress *p, mt_trainer *t, int force)
{
    if (p->quiet) return;
    double now = wall();
    if (!force && now - p->last < (p->tty ? 0.2 : 5.0)) return;
    p->last = now;
    const mt_experiment *e = trainer_experiment(t);
    long s = trainer_step_count(t), total = trainer_total_steps(t);
    double sps = trainer_samples_per_s(t);
    double left = sps > 0 ? (double)(total - s) * e->train.batch / sps : 0;
    char losses[512] = "";
    size_t w = 0;
    for (int k = 0; k < e->ntasks && w < sizeof losses - 40; k++)
        w += (size_t)snprintf(losses + w, sizeof losses - w, " %s=%.4g", e->task[k].name, trainer_step_loss(t)[k]);
    if (p->tty) {
        int width = 24, filled = total ? (int)((double)width * (double)s / (double)total) : 0;
        char bar[32];
        for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r\033[K[%s] ep %d step %ld/%ld%s | %.0f samples/s | %.0fs left", bar,
                trainer_epoch(t) + 1, s, total, losses, sps, left);
    } else {
        fprintf(stderr, "mtlab: %s: epoch %d step %ld/%ld%s | %.0f samples/s | %.0fs left\n", e->name,
                trainer_epoch(t) + 1, s, total, losses, sps, left);
    }
    fflush(stderr);
}

/* The single-task trainings' progress: a line naming each task, then the
 * progress bar; Ctrl-C stops them. */
static int baseline_progress(void *ud, mt_trainer *t, int task)
{
    (void)task; /* the single-task experiment's only task */
    progress *pg = ud;
    if (trainer_step_count(t) == 0) {
        if (!pg->quiet)
            fprintf(stderr, "%smtlab: baseline: %s alone\n", pg->tty ? "\r\033[K" : "",
                    trainer_experiment(t)->task[0].name);
    } else {
        progress_show(pg, t, 0);
    }
    return app_stop_signal != 0;
}

int app_find_experiment(const mtlua_session *s, const char *which)
{
    char *end;
    long k = strtol(which, &end, 10);
    if (*which && !*end) return k >= 1 && k <= mtlua_count(s) ? (int)k - 1 : -1;
    for (int i = 0; i < mtlua_count(s); i++)
        if (strcmp(mtlua_experiment(s, i)->name, which) == 0) return i;
    return -1;
}

void app_default_run_dir(const char *script, char *out, size_t n)
{
    const char *base = strrchr(script, '/');
    base = base ? base + 1 : script;
    char stem[128];
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = '\0';
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    char ts[32];
    strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tmv);
    snprintf(out, n, "runs/%s-%s", stem, ts);
}

/* The exit code that goes with a run's final status: a summary that says
 * "finished" always comes with 0. */
static int exit_code_for(const char *status, mt_status st)
{
    if (strcmp(status, "finished") == 0) return MT_EXIT_OK;
    return st == MT_ERR_SCRIPT ? MT_EXIT_USAGE : MT_EXIT_FAILED;
}

/* The closing report on stdout. */
static void print_report(const mt_trainer *t, const char *status, double secs, const mt_baselines *base,
                         const char *dir)
{
    const mt_experiment *e = trainer_experiment(t);
    const mt_eval_result *val = trainer_last_val(t), *test = trainer_last_test(t);
    printf("%s  (%s, %ld steps, %.2fs, %.0f samples/s)\n", e->name, status, trainer_step_count(t), secs,
           trainer_samples_per_s(t));
    for (int k = 0; k < e->ntasks; k++) {
        /* the columns line up across tasks; the line ends at its last
         * character, whichever column ends it */
        char line[512];
        size_t w = 0;
        if (val)
            w += (size_t)snprintf(line + w, sizeof line - w, "  %-16s%s val loss %-9.4g %s %-8.4g", e->task[k].name,
                                  e->task[k].aux ? " (aux)" : "      ", val->loss[k],
                                  metric_kind_name(e->task[k].metric), val->metric[k]);
        else /* no validation split (a landscape): the last training window */
            w += (size_t)snprintf(line + w, sizeof line - w, "  %-16s%s train loss %-9.4g", e->task[k].name,
                                  e->task[k].aux ? " (aux)" : "      ", trainer_train_loss(t)[k]);
        if (test && w < sizeof line)
            w += (size_t)snprintf(line + w, sizeof line - w, "  test loss %-9.4g %s %-8.4g", test->loss[k],
                                  metric_kind_name(e->task[k].metric), test->metric[k]);
        if (base->have && e->task[k].in_score && w < sizeof line)
            w += (size_t)snprintf(line + w, sizeof line - w, "  single-task %.4g", base->metric[k]);
        if (w >= sizeof line) w = sizeof line - 1;
        while (w > 0 && line[w - 1] == ' ') w--;
        printf("%.*s\n", (int)w, line);
    }
    if (base->have) {
        double mtl[MT_MAX_TASKS];
        for (int k = 0; k < e->ntasks; k++) mtl[k] = test ? test->metric[k] : val ? val->metric[k] : NAN;
        printf("  delta_m %+.2f%%\n", delta_m(e, mtl, base));
    }
    printf("  -> %s\n", dir);
}

/* The paths of a script's landscape runs, kept as each run ends so that
 * `mtlab run` can draw them all in one picture when the last has ended
 * (the runs' monitors are gone by then). */
#define LS_RUNS 64
#define LS_POINTS 1100
typedef struct {
    double pic[(MT_MON_LANDSCAPE_GRID + 3) * MT_MON_LANDSCAPE_GRID]; /* the first run's picture */
    int have_pic;
    int n;
    char run[LS_RUNS][MT_MON_NAME * 2], method[LS_RUNS][MT_MON_NAME];
    double x1[LS_RUNS][LS_POINTS], x2[LS_RUNS][LS_POINTS];
    int np[LS_RUNS];
} landscape_runs;

static mt_matrix picture_of(landscape_runs *lr)
{
    mt_matrix pic;
    memset(&pic, 0, sizeof pic);
    snprintf(pic.name, sizeof pic.name, "%s", MT_MON_LANDSCAPE);
    pic.rows = MT_MON_LANDSCAPE_GRID + 3;
    pic.cols = MT_MON_LANDSCAPE_GRID;
    pic.v = lr->pic;
    pic.valid = 1;
    return pic;
}

static void landscape_keep(landscape_runs *lr, const mt_monitor *m, const mt_matrix *pic)
{
    if (!lr->have_pic) {
        memcpy(lr->pic, pic->v, sizeof lr->pic);
        lr->have_pic = 1;
    } else if (memcmp(lr->pic, pic->v, 4 * sizeof *lr->pic) != 0) {
        return; /* another plane */
    }
    if (lr->n == LS_RUNS) return;
    int k = lr->n;
    lr->np[k] = landscape_monitor_path(m, lr->x1[k], lr->x2[k], LS_POINTS);
    if (lr->np[k] <= 0) return;
    snprintf(lr->run[k], sizeof lr->run[k], "%s", m->experiment);
    snprintf(lr->method[k], sizeof lr->method[k], "%s", m->weighting);
    lr->n++;
}

/* landscape.svg in out with every kept path, when there are several. */
static mt_status landscape_write_all(landscape_runs *lr, const char *out, const char *script)
{
    if (!lr->have_pic || lr->n < 2) return MT_OK;
    landscape_path p[LS_RUNS];
    for (int i = 0; i < lr->n; i++) p[i] = (landscape_path){lr->run[i], lr->method[i], lr->x1[i], lr->x2[i], lr->np[i]};
    mt_matrix pic = picture_of(lr);
    char path[1200], title[1200];
    snprintf(path, sizeof path, "%s/landscape.svg", out);
    const char *base = strrchr(script, '/');
    snprintf(title, sizeof title, "%s: every run's path", base ? base + 1 : script);
    return landscape_export_svg(path, &pic, p, lr->n, -1, title);
}

/* The files a run's folder gets beside the records, written before the
 * finish event (the lifecycle calls it, headless and in the workbench):
 * band.svg, the picture of a non-graph model's last posterior band
 * (survey section 5), and landscape.svg, a two-objective landscape's
 * plane with the run's path, without a terminal. ud: NULL, or the
 * landscape_runs that keeps the path for the picture of all runs. */
mt_status app_run_files(void *ud, const mt_monitor *m, const char *dir)
{
    char path[1200];
    const mt_matrix *pic = monitor_find_matrix((mt_monitor *)m, MT_MON_LANDSCAPE);
    if (landscape_valid(pic)) {
        double x1[LS_POINTS], x2[LS_POINTS];
        landscape_path p = {m->experiment, m->weighting, x1, x2, landscape_monitor_path(m, x1, x2, LS_POINTS)};
        snprintf(path, sizeof path, "%s/landscape.svg", dir);
        mt_status st = landscape_export_svg(path, pic, &p, 1, 0, m->experiment);
        if (st) return st;
        if (ud) landscape_keep(ud, m, pic);
    }
    const mt_matrix *band = monitor_find_matrix((mt_monitor *)m, MT_MON_BAND);
    if (!band_valid(band)) return MT_OK;
    snprintf(path, sizeof path, "%s/band.svg", dir);
    return band_export_svg(path, band, m->experiment);
}

/* Runs experiment i to the end through the run lifecycle (the workbench
 * drives the same one); returns the exit code it earns. The run folder is
 * opened only once the trainer is built and --load has been read, so a
 * run that cannot start leaves an existing folder as it was. */
static int run_one(mtlua_session *s, int i, const char *top, const char *dir, progress *pg, const char *load,
                   landscape_runs *lr)
{
    const mt_experiment *e = mtlua_experiment(s, i);
    lifecycle_opts lo = {.dir = dir, .top = top, .load = load, .progress = baseline_progress, .progress_ud = pg,
                         .files = app_run_files, .files_ud = lr};
    mt_lifecycle *lc;
    mt_status st = lifecycle_new(e, &lo, &lc);
    if (st) {
        fprintf(stderr, "%smtlab: %s\n", pg->tty ? "\r\033[K" : "", mt_last_error());
        return st == MT_ERR_SCRIPT || st == MT_ERR_ARG ? MT_EXIT_USAGE : MT_EXIT_FAILED;
    }
    mt_trainer *t = lifecycle_trainer(lc);
    mtlua_attach(s, i, t);
    if ((st = lifecycle_start(lc)) && lifecycle_get_phase(lc) == LC_BUILT) {
        fprintf(stderr, "%smtlab: %s: %s\n", pg->tty ? "\r\033[K" : "", e->name, mt_last_error());
        mtlua_attach(s, i, NULL);
        lifecycle_free(lc);
        return st == MT_ERR_SCRIPT || st == MT_ERR_ARG ? MT_EXIT_USAGE : MT_EXIT_FAILED;
    }
    mt_rundir *rd = lifecycle_rundir(lc);
    app_guard_run(rd, t, lifecycle_t0(lc));
    if (!st) st = lifecycle_baselines(lc);
    while (!st && !lifecycle_ended(lc)) {
        if (app_stop_signal) {
            st = mt_fail(MT_ERR_INTERRUPTED, "interrupted at step %ld", trainer_step_count(t));
            break;
        }
        if (!(st = lifecycle_step(lc))) progress_show(pg, t, 0);
    }
    progress_show(pg, t, 1);
    if (pg->tty && !pg->quiet) fputc('\n', stderr);
    int io = lifecycle_end(lc, st, NULL, NULL) != MT_OK;
    if (io) fprintf(stderr, "mtlab: %s\n", mt_last_error());
    const char *status = lifecycle_status(lc), *msg = lifecycle_message(lc);
    int code = exit_code_for(status, lifecycle_end_code(lc));
    if (io && code == MT_EXIT_OK) code = MT_EXIT_FAILED;
    if (msg[0]) fprintf(stderr, "mtlab: %s: %s: %s\n", e->name, status, msg);
    mt_baselines none = {0};
    const mt_baselines *base = lifecycle_baseline_results(lc);
    print_report(t, status, lifecycle_wall(lc), base ? base : &none, dir);
    mtlua_attach(s, i, NULL);
    app_unguard_run(rd);
    lifecycle_free(lc); /* a write error was the seal's, reported above */
    return code;
}

int app_run_headless(const app_options *o)
{
    mt_log_set_sink(log_to_stderr, NULL, NULL);
    char out[1024];
    if (o->out_dir) snprintf(out, sizeof out, "%s", o->out_dir);
    else app_default_run_dir(o->script, out, sizeof out);
    mt_status fresh = rundir_check_fresh(out, o->force);
    if (fresh) {
        fprintf(stderr, "mtlab: %s%s\n", mt_last_error(),
                fresh == MT_ERR_STATE ? "; choose another --out, or add --force to write over it" : "");
        return MT_EXIT_USAGE;
    }
    mtlua_session *s;
    if (mtlua_open(o->script, o->sets, o->nsets, &s)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    progress pg = {.tty = isatty(2), .quiet = o->quiet};
    int code = MT_EXIT_OK, n = mtlua_count(s);
    int only = o->experiment ? app_find_experiment(s, o->experiment) : -1;
    if (o->experiment && only < 0) {
        fprintf(stderr, "mtlab: --experiment %s: the script returns %d experiment%s (give 1..%d or a name)\n",
                o->experiment, n, n == 1 ? "" : "s", n);
        mtlua_close(s);
        return MT_EXIT_USAGE;
    }
    landscape_runs *lr = mt_calloc(1, sizeof *lr); /* NULL: no picture of all runs, nothing else lost */
    static char dirs[MTLUA_MAX_RUNS][1200];
    const char *dirp[MTLUA_MAX_RUNS];
    int nrun = 0;
    char skip[1400] = "";
    for (int i = 0; i < n && !app_stop_signal; i++) {
        char *dir = dirs[nrun];
        if (only >= 0 && i != only) continue;
        if (n == 1 || only >= 0) snprintf(dir, sizeof dirs[0], "%s", out);
        else {
            char slug[64];
            app_slug(mtlua_experiment(s, i)->name, i, slug, sizeof slug);
            snprintf(dir, sizeof dirs[0], "%s/%s", out, slug);
        }
        int c = run_one(s, i, o->baselines_dir ? o->baselines_dir : out, dir, &pg, o->load, lr);
        if (c > code) code = c;
        dirp[nrun++] = dir;
        /* what the claims see: the run's summary.json and config.json */
        if (app_claims_add_run(s, i, dir, c, skip, sizeof skip) && code == MT_EXIT_OK) code = MT_EXIT_FAILED;
        if (mtlua_stop_requested(s)) break;
    }
    if (lr && n > 1 && only < 0 && landscape_write_all(lr, out, o->script)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        if (code == MT_EXIT_OK) code = MT_EXIT_FAILED;
    }
    mt_free(lr);
    if (app_stop_signal && code == MT_EXIT_OK) code = MT_EXIT_FAILED;
    if (!skip[0] && only >= 0 && n > 1)
        snprintf(skip, sizeof skip, "--experiment ran 1 of the script's %d experiments", n);
    else if (!skip[0] && nrun < n)
        snprintf(skip, sizeof skip, "%d of the script's %d experiments ran", nrun, n);
    if (app_claims_verdicts(s, out, dirp, nrun, skip[0] ? skip : NULL, NULL, 0) == MT_EXIT_CLAIM &&
        code == MT_EXIT_OK)
        code = MT_EXIT_CLAIM;
    mtlua_close(s);
    return code;
}

int app_check(const app_options *o)
{
    mtlua_session *s;
    if (mtlua_open(o->script, o->sets, o->nsets, &s)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    int code = MT_EXIT_OK;
    printf("script %s\n  lua       %s\n\n", o->script, mtlua_mode_text(s));
    for (int i = 0; i < mtlua_count(s); i++) {
        const mt_experiment *e = mtlua_experiment(s, i);
        mt_trainer *t;
        if (trainer_new(e, NULL, &t)) {
            fprintf(stderr, "mtlab: %s: %s\n", e->name, mt_last_error());
            code = MT_EXIT_USAGE;
            continue;
        }
        const mt_dataset *ds = &e->data->ds;
        printf("experiment %d: %s\n", i + 1, e->name);
        printf("  data      %s: %d examples x %d features", e->data->source, ds->n, ds->d);
        if (ds->c) printf(" (%dx%dx%d)", ds->c, ds->h, ds->w);
        printf("; split train %d / val %d / test %d\n", e->data->split.train.n, e->data->split.val.n,
               e->data->split.test.n);
        for (int k = 0; k < e->ntasks; k++) {
            const mt_task_spec *ts = &e->task[k];
            printf("  task %-12s %-7s target %-10s %s %d, loss %s, metric %s, weight %g%s\n", ts->name,
                   ts->kind == MT_TARGET_CLASS ? "class" : ts->kind == MT_TARGET_REGRESS ? "regress" : "binary",
                   ds->targets[ts->target].name, ts->kind == MT_TARGET_CLASS ? "classes" : "outputs", ts->out_dim,
                   loss_kind_name(ts->loss), metric_kind_name(ts->metric), (double)ts->weight, ts->aux ? " (aux)" : "");
            const mt_target *tg = &ds->targets[ts->target];
            if (tg->labels) { /* a column of words: what each class index stands for */
                printf("                    labels");
                for (int c = 0; c < tg->classes && c < 12; c++) printf("%s %d %s", c ? "," : "", c, tg->labels[c]);
                printf("%s\n", tg->classes > 12 ? ", ..." : "");
            }
            if (tg->scale > 0)
                printf("                    standardised: mean %.6g, sd %.6g of the training rows (mse and mae in the "
                       "original units)\n",
                       tg->shift, tg->scale);
        }
        const mt_method_info *mi = method_find(e->weighting.name);
        char wp[512] = "";
        if (mi) tparam_format(&e->weighting.params, mi->params, wp, sizeof wp);
        printf("  weighting %s%s%s", e->weighting.name, wp[0] ? " " : "", wp);
        printf("\n  optim     %s lr %g, schedule %s; batch %d, %ld steps, seed %llu\n", e->optim.name,
               (double)e->optim.lr, e->optim.schedule, e->train.batch, trainer_total_steps(t),
               (unsigned long long)e->train.seed);
        printf("  params    %zu total, %zu shared", trainer_params_total(t), trainer_params_shared(t));
        for (int k = 0; k < e->ntasks; k++) printf(", %s %zu", e->task[k].name, trainer_params_task(t, k));
        printf("\n\n");
        const char *p = trainer_topology_text(t);
        while (*p) {
            const char *nl = strchr(p, '\n');
            int len = nl ? (int)(nl - p) : (int)strlen(p);
            printf("    %.*s\n", len, p);
            p += len + (nl ? 1 : 0);
        }
        printf("\n");
        trainer_free(t);
    }
    for (int j = 0; j < mtlua_claim_count(s); j++) {
        const mtlua_claim_info *k = mtlua_claim_at(s, j);
        printf("claim (%s%s%s): %s\n", k->path, k->where[0] ? ", " : "", k->where, k->text);
        if (k->has_measure)
            printf("  measure: the %s %s %g\n", k->statistic, k->has_above ? "above" : "below",
                   k->has_above ? k->above : k->below);
        printf("  checked by %s on", k->on_sweep ? "mtlab sweep" : "mtlab run");
        if (k->nseeds) {
            printf(" seeds");
            for (int i = 0; i < k->nseeds; i++) printf("%s%lld", i ? "," : " ", k->seed[i]);
            printf(" x");
        } else {
            printf(" the script's seeds x");
        }
        printf(" draws");
        for (int i = 0; i < k->ndraws; i++) printf("%s%lld", i ? "," : " ", k->draw[i]);
        printf(" (--claims-thorough)\n");
    }
    if (!mtlua_claim_count(s)) printf("claim: none declared\n");
    mtlua_close(s);
    return code;
}
