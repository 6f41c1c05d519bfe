/* workbench.c - `mtlab SCRIPT.lua`: the interactive screen's event loop.
 *
 * Training never waits on drawing: each frame trains until its budget is
 * spent (every unfinished experiment in turn, so comparisons grow
 * together), then draws once and polls the keys. The run is also recorded
 * into a run directory, as headless runs are, so 'e' can export it. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "app.h"
#include "core/log.h"
#include "mtl/methods.h"
#include "run/jsonrec.h"
#include "run/rundir.h"
#include "tui/pane_band.h"
#include "tui/tui.h"

#define FRAME_S 0.040      /* train this long per frame: ~20 frames/s */
#define SERIES_POINTS 4096 /* plot points kept per series */

typedef struct {
    mtlua_session *lua;
    int n;
    mt_monitor mon[32];
    mt_trainer *tr[32];
    mt_rundir *rd[32];
    int done[32]; /* finished, diverged or failed */
    double t0;    /* when the experiments were built */
    char dir[1024];
} bench_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static mt_monitor *log_target;

static void log_to_monitor(void *ud, mt_log_level lv, const char *msg)
{
    (void)ud;
    if (log_target) monitor_log(log_target, (int)lv, "%s", msg);
}

static void state_free(bench_state *b)
{
    for (int i = 0; i < b->n; i++) {
        app_unguard_run(b->rd[i]);
        if (b->lua) mtlua_attach(b->lua, i, NULL);
        trainer_free(b->tr[i]);
        rundir_close(b->rd[i]);
        monitor_free(&b->mon[i]);
    }
    mtlua_close(b->lua);
    memset(b, 0, sizeof *b);
}

/* Loads the script and builds every experiment; on failure b is empty and
 * the message is in mt_last_error(). */
static mt_status state_load(bench_state *b, const app_options *o)
{
    memset(b, 0, sizeof *b);
    mt_status st = mtlua_open(o->script, o->sets, o->nsets, &b->lua);
    if (st) return st;
    b->n = mtlua_count(b->lua);
    b->t0 = now_s();
    if (o->out_dir) snprintf(b->dir, sizeof b->dir, "%s", o->out_dir);
    else app_default_run_dir(o->script, b->dir, sizeof b->dir);
    for (int i = 0; i < b->n; i++) {
        const mt_experiment *e = mtlua_experiment(b->lua, i);
        const char *names[MT_MAX_TASKS];
        int aux[MT_MAX_TASKS];
        for (int k = 0; k < e->ntasks; k++) {
            names[k] = e->task[k].name;
            aux[k] = e->task[k].aux;
        }
        if ((st = monitor_init(&b->mon[i], e->ntasks, names, aux, SERIES_POINTS))) break;
        if ((st = trainer_new(e, &b->mon[i], &b->tr[i]))) {
            mt_fail_prefix(st, "%s", e->name);
            break;
        }
        if (o->load && (st = trainer_load_checkpoint(b->tr[i], o->load))) {
            mt_fail_prefix(st, "%s: --load", e->name);
            break;
        }
        char dir[1200];
        if (b->n == 1) snprintf(dir, sizeof dir, "%s", b->dir);
        else {
            char slug[64];
            app_slug(e->name, i, slug, sizeof slug);
            snprintf(dir, sizeof dir, "%s/%s", b->dir, slug);
        }
        if ((st = rundir_open(dir, &b->rd[i]))) break;
        mt_recorder rec = rundir_recorder(b->rd[i]);
        trainer_set_recorder(b->tr[i], &rec);
        rundir_write_config(b->rd[i], e, b->tr[i]);
        mtlua_attach(b->lua, i, b->tr[i]);
        app_guard_run(b->rd[i], b->tr[i], b->t0);
        monitor_log(&b->mon[i], MT_LOG_INFO, "%s: %zu parameters (%zu shared); recording to %s", e->name,
                    trainer_params_total(b->tr[i]), trainer_params_shared(b->tr[i]), dir);
    }
    if (st) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", mt_last_error());
        state_free(b);
        return mt_fail(st, "%s", msg);
    }
    return MT_OK;
}

/* One step of experiment i; a failure ends that experiment's training and
 * is shown, never fatal to the workbench. */
static void step_one(bench_state *b, int i)
{
    if (b->done[i]) return;
    mt_trainer *t = b->tr[i];
    mt_monitor *m = &b->mon[i];
    mt_status st = trainer_step(t);
    if (st == MT_ERR_INTERRUPTED && app_escalated()) return; /* the loop ends: a second Ctrl-C */
    if (st == MT_ERR_INTERRUPTED) {
        /* Ctrl-C inside a callback: stop the callback, keep the run, pause */
        mtlua_clear_interrupt();
        app_stop_signal = 0;
        m->state = MT_RUN_PAUSED;
        monitor_log(m, MT_LOG_WARN, "%s", mt_last_error());
        snprintf(m->status_msg, sizeof m->status_msg, "interrupted: %s", mt_last_error());
        return;
    }
    if (st) {
        m->state = trainer_diverged(t) ? MT_RUN_DIVERGED : MT_RUN_FAILED;
        snprintf(m->status_msg, sizeof m->status_msg, "%s", mt_last_error());
        monitor_log(m, MT_LOG_ERROR, "%s", mt_last_error());
        cJSON *ev = jrec_event(trainer_diverged(t) ? "diverged" : "failed",
                               trainer_step_count(t) + (st == MT_ERR_NUMERIC ? 1 : 0));
        cJSON_AddStringToObject(ev, "message", mt_last_error());
        rundir_event(b->rd[i], ev);
        b->done[i] = 1;
        return;
    }
    if (rundir_poll(b->rd[i])) { /* a full disk: stop recording this run, say so */
        m->state = MT_RUN_FAILED;
        snprintf(m->status_msg, sizeof m->status_msg, "%s", mt_last_error());
        monitor_log(m, MT_LOG_ERROR, "%s", mt_last_error());
        b->done[i] = 1;
        return;
    }
    if (trainer_finished(t)) {
        if (trainer_finish(t)) monitor_log(m, MT_LOG_ERROR, "%s", mt_last_error());
        m->state = MT_RUN_FINISHED;
        const mt_eval_result *r = trainer_last_test(t) ? trainer_last_test(t) : trainer_last_val(t);
        const mt_experiment *e = trainer_experiment(t);
        for (int k = 0; r && k < e->ntasks; k++)
            monitor_log(m, MT_LOG_INFO, "final %s: loss %.4g, %s %.4g", e->task[k].name, r->loss[k],
                        metric_kind_name(e->task[k].metric), r->metric[k]);
        rundir_write_summary(b->rd[i], t, "finished", "", now_s() - b->t0, NULL);
        rundir_flush(b->rd[i]);
        b->done[i] = 1;
    }
}

static int any_running(const bench_state *b)
{
    for (int i = 0; i < b->n; i++)
        if (!b->done[i] && b->mon[i].state == MT_RUN_RUNNING) return 1;
    return 0;
}

/* The methods `w` cycles through: every registered one, in order. */
static void cycle_weighting(bench_state *b, int i, int dir, char *msg, size_t n)
{
    mt_trainer *t = b->tr[i];
    const char *cur = trainer_weighting_name(t);
    int count = method_count(), at = 0;
    for (int k = 0; k < count; k++)
        if (strcmp(method_at(k)->name, cur) == 0) at = k;
    mt_method_spec m;
    memset(&m, 0, sizeof m);
    int next = ((at + dir) % count + count) % count;
    snprintf(m.name, sizeof m.name, "%s", method_at(next)->name);
    if (trainer_set_weighting(t, &m)) snprintf(msg, n, "weighting: %s", mt_last_error());
    else snprintf(msg, n, "weighting -> %s (%d/%d: %s)", m.name, next + 1, count, method_at(next)->summary);
}

static void export_run(bench_state *b, int i, tui_screen *scr, char *msg, size_t n)
{
    char svg[1300], csv[1300], src[1300];
    rundir_flush(b->rd[i]);
    snprintf(svg, sizeof svg, "%s/plots-step%ld.svg", rundir_path(b->rd[i]), trainer_step_count(b->tr[i]));
    tui_svg_options so;
    tui_svg_view(scr, &so);
    if (tui_export_svg(svg, &b->mon[i], &so)) {
        snprintf(msg, n, "export failed: %s", mt_last_error());
        return;
    }
    const mt_matrix *band = monitor_find_matrix(&b->mon[i], MT_MON_BAND); /* a model's posterior band */
    char bsvg[1300];
    snprintf(bsvg, sizeof bsvg, "%s/band-step%ld.svg", rundir_path(b->rd[i]), trainer_step_count(b->tr[i]));
    if (band_valid(band) && band_export_svg(bsvg, band, b->mon[i].experiment)) {
        snprintf(msg, n, "export failed: %s", mt_last_error());
        return;
    }
    rundir_file(b->rd[i], "metrics.csv", src, sizeof src);
    snprintf(csv, sizeof csv, "%s/metrics-step%ld.csv", rundir_path(b->rd[i]), trainer_step_count(b->tr[i]));
    FILE *in = fopen(src, "rb"), *out = in ? fopen(csv, "wb") : NULL;
    int ok = in && out;
    char buf[8192];
    size_t got;
    while (ok && (got = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, got, out) == got;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    if (!ok) snprintf(msg, n, "export failed: %s: %s", csv, strerror(errno));
    else {
        const char *sv = strrchr(svg, '/'), *cv = strrchr(csv, '/');
        snprintf(msg, n, "exported %s, %s (in %s)", sv ? sv + 1 : svg, cv ? cv + 1 : csv, rundir_path(b->rd[i]));
    }
}

/* Breaks a console result into lines of at most `width` bytes at spaces,
 * so a long table or error is readable in the console pane. */
static void wrap_lines(char *text, size_t width)
{
    char *line = text;
    while (strlen(line) > width) {
        char *nl = memchr(line, '\n', width);
        if (nl) {
            line = nl + 1;
            continue;
        }
        char *cut = NULL;
        for (char *p = line + width; p > line + width / 2; p--)
            if (*p == ' ') {
                cut = p;
                break;
            }
        if (!cut) { /* no space: break anyway, keeping the byte */
            line += width;
            continue;
        }
        *cut = '\n';
        line = cut + 1;
    }
}

int app_workbench(const app_options *o)
{
    bench_state b;
    mt_status fresh = o->out_dir ? rundir_check_fresh(o->out_dir, o->force) : MT_OK;
    if (fresh) {
        fprintf(stderr, "mtlab: %s%s\n", mt_last_error(),
                fresh == MT_ERR_STATE ? "; choose another --out, or add --force to write over it" : "");
        return MT_EXIT_USAGE;
    }
    if (state_load(&b, o)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    tui_options to = {.force_mono = o->no_color};
    tui_screen *scr = tui_open(&to);
    if (!scr) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        state_free(&b);
        return MT_EXIT_FAILED;
    }
    /* Ctrl-C interrupts a runaway callback first; otherwise it quits */
    app_install_signals();
    mt_log_set_sink(log_to_monitor, NULL, NULL);
    int sel = 0, quit = 0;
    char message[1024] = "";
    const mt_monitor *mons[32];
    /* slow motion for teaching: steps per second of each experiment;
     * 0 = as fast as possible. '<' divides by 4 (to 1/s), '>' multiplies. */
    double limit = o->speed, budget = 0, last_frame = now_s();
    while (!quit) {
        log_target = &b.mon[sel];
        double t0 = now_s();
        int rr = 0;
        if (limit > 0) {
            budget += limit * (t0 - last_frame);
            if (budget > limit) budget = limit; /* no burst after a pause */
        }
        last_frame = t0;
        while (any_running(&b) && now_s() - t0 < FRAME_S && !app_stop_signal) {
            if (limit > 0) {
                if (budget < 1) break;
                budget -= 1;
            }
            for (int k = 0; k < b.n; k++, rr++) {
                int i = rr % b.n;
                if (!b.done[i] && b.mon[i].state == MT_RUN_RUNNING) step_one(&b, i);
            }
        }
        if (app_stop_signal) break;
        /* in slow motion the header shows the pace the class sees, not the
         * engine's speed between the pauses */
        for (int i = 0; limit > 0 && i < b.n; i++)
            if (!b.done[i] && b.mon[i].state == MT_RUN_RUNNING)
                b.mon[i].samples_per_s = limit * trainer_experiment(b.tr[i])->train.batch;
        if (o->exit_when_done) {
            int all = 1;
            for (int i = 0; i < b.n; i++) all &= b.done[i];
            if (all) break;
        }
        for (int i = 0; i < b.n; i++) mons[i] = &b.mon[i];
        tui_view v = {.monitors = mons, .count = b.n, .selected = sel, .script = o->script,
                      .message = message[0] ? message : NULL, .mode = mtlua_mode_name(b.lua),
                      .mode_warn = mtlua_trusted(b.lua)};
        tui_draw(scr, &v);
        char line[1024];
        tui_action a = tui_poll(scr, any_running(&b) && limit == 0 ? 0 : 30, line, sizeof line);
        mt_monitor *m = &b.mon[sel];
        mt_trainer *t = b.tr[sel];
        switch (a) {
        case TUI_ACT_QUIT: quit = 1; break;
        case TUI_ACT_PAUSE_TOGGLE:
            for (int i = 0; i < b.n; i++) {
                if (b.done[i]) continue;
                b.mon[i].state = b.mon[i].state == MT_RUN_RUNNING ? MT_RUN_PAUSED : MT_RUN_RUNNING;
            }
            snprintf(message, sizeof message, "%s", m->state == MT_RUN_PAUSED ? "paused" : "running");
            break;
        case TUI_ACT_STEP:
            for (int i = 0; i < b.n; i++)
                if (!b.done[i]) b.mon[i].state = MT_RUN_PAUSED;
            step_one(&b, sel);
            snprintf(message, sizeof message, "step %ld", trainer_step_count(t));
            break;
        case TUI_ACT_RELOAD: {
            bench_state nb;
            app_options ro = *o;
            ro.out_dir = NULL;
            if (state_load(&nb, &ro)) {
                snprintf(message, sizeof message, "reload failed; the old run goes on: %s", mt_last_error());
                monitor_log(m, MT_LOG_ERROR, "reload failed: %s", mt_last_error());
            } else {
                state_free(&b);
                b = nb;
                sel = 0;
                snprintf(message, sizeof message, "reloaded %s", o->script);
            }
            break;
        }
        case TUI_ACT_CYCLE_WEIGHTING: cycle_weighting(&b, sel, 1, message, sizeof message); break;
        case TUI_ACT_CYCLE_WEIGHTING_BACK: cycle_weighting(&b, sel, -1, message, sizeof message); break;
        case TUI_ACT_LR_UP:
        case TUI_ACT_LR_DOWN:
            trainer_scale_lr(t, a == TUI_ACT_LR_UP ? 2.0 : 0.5);
            snprintf(message, sizeof message, "learning rate %.3g", trainer_lr(t));
            monitor_log(m, MT_LOG_INFO, "step %ld: learning rate %.3g", trainer_step_count(t), trainer_lr(t));
            break;
        case TUI_ACT_SAVE: {
            char p[1300];
            rundir_file(b.rd[sel], "checkpoint.safetensors", p, sizeof p);
            if (trainer_save_checkpoint(t, p)) snprintf(message, sizeof message, "save failed: %s", mt_last_error());
            else snprintf(message, sizeof message, "saved checkpoint.safetensors at step %ld (in %s)",
                          trainer_step_count(t), rundir_path(b.rd[sel]));
            break;
        }
        case TUI_ACT_EXPORT: export_run(&b, sel, scr, message, sizeof message); break;
        case TUI_ACT_SLOWER:
        case TUI_ACT_FASTER:
            if (a == TUI_ACT_SLOWER) limit = limit == 0 ? 2048 : limit > 1 ? limit / 4 : 1;
            else limit = limit == 0 || limit * 4 > 2048 ? 0 : limit * 4;
            budget = 0;
            if (limit > 0) snprintf(message, sizeof message, "slow motion: %g steps/s", limit);
            else snprintf(message, sizeof message, "full speed");
            break;
        case TUI_ACT_CONSOLE_LINE: {
            char out[2048];
            monitor_log(m, MT_LOG_INFO, "> %s", line);
            mtlua_clear_interrupt();
            mt_status est = mtlua_eval(b.lua, line, out, sizeof out);
            if (est == MT_ERR_INTERRUPTED && !app_escalated()) app_stop_signal = 0; /* Ctrl-C stopped the line, not the bench */
            wrap_lines(out, 100);
            if (est) monitor_log(m, MT_LOG_ERROR, "%s", out);
            else if (out[0]) monitor_log(m, MT_LOG_INFO, "%s", out);
            break;
        }
        case TUI_ACT_SELECT_EXPERIMENT: {
            int r = tui_requested_experiment(scr);
            if (r >= 0 && r < b.n) {
                sel = r;
                mtlua_select(b.lua, sel);
            }
            break;
        }
        default: break;
        }
    }
    mt_log_set_sink(NULL, NULL, NULL);
    log_target = NULL;
    tui_free(scr);
    for (int i = 0; i < b.n; i++) {
        if (!b.done[i]) {
            rundir_write_summary(b.rd[i], b.tr[i],
                                 trainer_finished(b.tr[i]) ? "finished" : app_escalated() ? "interrupted" : "stopped",
                                 "", now_s() - b.t0, NULL);
        }
    }
    printf("mtlab: run recorded in %s\n", b.dir);
    state_free(&b);
    return MT_EXIT_OK;
}
