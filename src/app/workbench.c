/* workbench.c - `mtlab SCRIPT.lua`: the interactive screen's event loop.
 *
 * Training never waits on drawing: each frame trains until its budget is
 * spent (every unfinished experiment in turn, so comparisons grow
 * together), then draws once and polls the keys. Each experiment runs
 * through the same lifecycle as `mtlab run` (run/lifecycle.h), so its run
 * folder is complete however the session ends: finished, quit ("stopped"),
 * reloaded ("stopped"; the folder moves aside), or a signal
 * ("interrupted", exit 1). */
#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/log.h"
#include "mtl/methods.h"
#include "run/runread.h"
#include "claims.h"
#include "workbench.h"

#define FRAME_S 0.040 /* train this long per frame: ~20 frames/s */
#define WRAP_COLS 100 /* console lines are broken at spaces to this width */

typedef struct {
    const app_options *o;
    wb_runs *runs;
    tui_screen *scr;
    int sel;
    char message[1024];
    char pending[1024]; /* printed text not yet ended by a newline */
    size_t npending;
    double limit;       /* steps per second of each experiment; 0 = as fast as possible */
    long pace_until;    /* train.pace: full speed from this step on; 0 = none */
    int own_scr;        /* the screen was opened here (not by mtlab learn) */
    wb_lesson *lesson;  /* a lesson being taught, or NULL */
} wb;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- where messages go: the console of the experiment on screen -------- */

static wb *log_wb;

static mt_monitor *console_target(wb *w) { return w->runs->mon[w->sel]; }

static void log_to_monitor(void *ud, mt_log_level lv, const char *msg)
{
    (void)ud;
    if (log_wb) monitor_log(console_target(log_wb), (int)lv, "%s", msg);
}

/* Breaks text into lines of at most `width` bytes at spaces, so a long
 * table or error is readable in the console pane. */
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

static void console_put(wb *w, int level, const char *text)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    wrap_lines(buf, WRAP_COLS);
    monitor_log(console_target(w), level, "%s", buf);
}

/* A line printed without its newline yet (io.write) is shown when the
 * console line or the frame ends. */
static void flush_printed(wb *w)
{
    if (!w->npending) return;
    w->pending[w->npending] = '\0';
    console_put(w, MT_LOG_INFO, w->pending);
    w->npending = 0;
}

/* print and io.write from scripts and the console: into the console pane,
 * never onto the terminal behind curses. */
static void host_write(void *ud, const char *text, size_t n)
{
    wb *w = ud;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n' || w->npending + 1 >= sizeof w->pending) {
            w->pending[w->npending] = '\0';
            console_put(w, MT_LOG_INFO, w->pending);
            w->npending = 0;
            if (text[i] == '\n') continue;
        }
        w->pending[w->npending++] = text[i] ? text[i] : ' ';
    }
}

static int set_paused(wb *w, int i, int pause)
{
    wb_runs *r = w->runs;
    if (i < 0 || i >= r->n || !r->lc[i] || lifecycle_ended(r->lc[i])) return 0;
    mt_run_state want = pause ? MT_RUN_PAUSED : MT_RUN_RUNNING;
    if (r->mon[i]->state == want) return 0;
    r->mon[i]->state = want;
    return 1;
}

static int host_pause(void *ud, int i, int pause) { return set_paused(ud, i, pause); }

static void attach_host(wb *w)
{
    mtlua_host h = {.ud = w, .pause = host_pause};
    if (w->runs->lua) mtlua_set_host(w->runs->lua, &h);
}

/* ---- training ------------------------------------------------------------ */

static int live(const wb_runs *r, int i) { return r->lc[i] && !lifecycle_ended(r->lc[i]); }

static void log_final(mt_monitor *m, const mt_run_result *res)
{
    mt_result_split sp = isfinite(res->loss[MT_RES_TEST][0]) ? MT_RES_TEST
                         : isfinite(res->loss[MT_RES_VAL][0]) ? MT_RES_VAL
                                                              : MT_RES_TRAIN;
    for (int k = 0; k < res->ntasks; k++) {
        if (sp == MT_RES_TRAIN)
            monitor_log(m, MT_LOG_INFO, "final %s: train loss %.4g (mean since the last evaluation)", res->task[k],
                        res->loss[sp][k]);
        else
            monitor_log(m, MT_LOG_INFO, "final %s: %s loss %.4g, %s %.4g", res->task[k], result_split_name(sp),
                        res->loss[sp][k], res->metric_name[k], res->metric[sp][k]);
    }
    if (res->have_baselines) monitor_log(m, MT_LOG_INFO, "delta_m %+.2f%%", res->delta_m);
}

/* Ends experiment i after a failed step or run:stop(), as headless would. */
static void end_one(wb *w, int i, mt_status st, const char *status, const char *message)
{
    wb_runs *r = w->runs;
    mt_monitor *m = r->mon[i];
    if (st) monitor_log(m, MT_LOG_ERROR, "%s", mt_last_error());
    if (lifecycle_end(r->lc[i], st, status, message)) monitor_log(m, MT_LOG_ERROR, "%s", mt_last_error());
}

/* One step of experiment i; a failure ends that experiment's run and is
 * shown, never fatal to the workbench. */
static void step_one(wb *w, int i)
{
    wb_runs *r = w->runs;
    mt_lifecycle *lc = r->lc[i];
    if (!live(r, i)) return;
    mt_monitor *m = r->mon[i];
    mt_status st = lifecycle_step(lc);
    if (st == MT_ERR_INTERRUPTED && app_escalated()) return; /* the loop ends: a second Ctrl-C */
    int stop = mtlua_take_stop(r->lua);
    if (st == MT_ERR_INTERRUPTED && stop < 0) {
        /* Ctrl-C inside a callback: stop the callback, keep the run, pause */
        mtlua_clear_interrupt();
        app_stop_signal = 0;
        m->state = MT_RUN_PAUSED;
        monitor_log(m, MT_LOG_WARN, "%s", mt_last_error());
        snprintf(m->status_msg, sizeof m->status_msg, "interrupted: %s", mt_last_error());
        return;
    }
    if (st) {
        end_one(w, i, st, NULL, NULL);
        return;
    }
    if (stop >= 0 && live(r, stop)) {
        char msg[128];
        snprintf(msg, sizeof msg, "run:stop() at step %ld", trainer_step_count(lifecycle_trainer(r->lc[stop])));
        end_one(w, stop, MT_OK, "stopped", msg);
    }
    if (lifecycle_ended(lc)) {
        if (lifecycle_end(lc, MT_OK, NULL, NULL)) monitor_log(m, MT_LOG_ERROR, "%s", mt_last_error());
        wb_results(r);
        log_final(m, &r->res[i]);
    }
}

static int any_running(const wb_runs *r)
{
    for (int i = 0; i < r->n; i++)
        if (live(r, i) && r->mon[i]->state == MT_RUN_RUNNING) return 1;
    return 0;
}

static int all_ended(const wb_runs *r)
{
    for (int i = 0; i < r->n; i++)
        if (live(r, i)) return 0;
    return 1;
}

/* ---- keys ---------------------------------------------------------------- */

/* The methods `w` cycles through: every registered one, in order. */
static void cycle_weighting(wb *w, int dir)
{
    mt_trainer *t = lifecycle_trainer(w->runs->lc[w->sel]);
    const char *cur = trainer_weighting_name(t);
    int count = method_count(), at = 0;
    for (int k = 0; k < count; k++)
        if (strcmp(method_at(k)->name, cur) == 0) at = k;
    mt_method_spec m;
    memset(&m, 0, sizeof m);
    int next = ((at + dir) % count + count) % count;
    snprintf(m.name, sizeof m.name, "%s", method_at(next)->name);
    if (trainer_set_weighting(t, &m)) snprintf(w->message, sizeof w->message, "weighting: %s", mt_last_error());
    else
        snprintf(w->message, sizeof w->message, "weighting -> %s (%d/%d: %s)", m.name, next + 1, count,
                 method_at(next)->summary);
}

/* The console's history goes with the experiment on screen into the
 * reloaded run, so the person sees what they typed and why it reloaded. */
static void carry_console(const mt_monitor *from, mt_monitor *to)
{
    memcpy(to->log, from->log, sizeof to->log);
    memcpy(to->log_level, from->log_level, sizeof to->log_level);
    to->log_len = from->log_len;
    to->log_total = from->log_total;
}

/* r: the script is loaded and built again; only when that works does the
 * old run end ("stopped", its folder moved aside) and the new one start in
 * the same folder. A script that fails to load leaves the old run going. */
static void reload(wb *w)
{
    wb_runs *old = w->runs, *nr;
    mt_monitor *cm = console_target(w);
    flush_printed(w);
    monitor_log(cm, MT_LOG_INFO, "reloading %s ...", w->o->script);
    if (wb_load(w->o, old->dir, &nr)) {
        /* the traceback (dim) first, so the message stays in sight at the bottom */
        char err[4096];
        snprintf(err, sizeof err, "%s", mt_last_error());
        char *tb = strstr(err, "\nstack traceback:");
        if (tb) {
            *tb = '\0';
            console_put(w, MT_LOG_DEBUG, tb + 1);
        }
        char line[4200];
        snprintf(line, sizeof line, "reload failed; the old run goes on: %s", err);
        console_put(w, MT_LOG_ERROR, line);
        snprintf(w->message, sizeof w->message, "%s", line);
        return;
    }
    char msg[160];
    snprintf(msg, sizeof msg, "the script was reloaded at step %ld",
             old->lc[w->sel] ? trainer_step_count(lifecycle_trainer(old->lc[w->sel])) : 0L);
    if (wb_end_all(old, MT_OK, "stopped", msg)) monitor_log(cm, MT_LOG_ERROR, "%s", mt_last_error());
    carry_console(cm, nr->mon[0]);
    w->runs = nr;
    w->sel = 0;
    if (wb_free(old)) console_put(w, MT_LOG_ERROR, mt_last_error());
    char moved[1100];
    if (wb_move_aside(nr->dir, moved, sizeof moved)) console_put(w, MT_LOG_ERROR, mt_last_error());
    if (moved[0]) monitor_log(console_target(w), MT_LOG_INFO, "the previous run (stopped) is now in %s", moved);
    attach_host(w);
    wb_start(nr);
    snprintf(w->message, sizeof w->message, "reloaded %s", w->o->script);
}

static void console_line(wb *w, const char *line)
{
    wb_runs *r = w->runs;
    char out[4096];
    monitor_log(console_target(w), MT_LOG_INFO, "> %s", line);
    mtlua_clear_interrupt();
    mt_status st = mtlua_eval(r->lua, line, out, sizeof out);
    if (st == MT_ERR_INTERRUPTED && !app_escalated()) app_stop_signal = 0; /* Ctrl-C stopped the line, not the bench */
    flush_printed(w);
    if (st) console_put(w, MT_LOG_ERROR, out);
    else if (out[0]) console_put(w, MT_LOG_INFO, out);
    int stop = mtlua_take_stop(r->lua);
    if (stop >= 0 && live(r, stop)) {
        char msg[128];
        snprintf(msg, sizeof msg, "run:stop() at step %ld", trainer_step_count(lifecycle_trainer(r->lc[stop])));
        end_one(w, stop, MT_OK, "stopped", msg);
    }
}

static void save_checkpoint(wb *w)
{
    mt_lifecycle *lc = w->runs->lc[w->sel];
    mt_rundir *rd = lc ? lifecycle_rundir(lc) : NULL;
    if (!rd) {
        snprintf(w->message, sizeof w->message, "save: this run records nothing");
        return;
    }
    char p[1300];
    mt_trainer *t = lifecycle_trainer(lc);
    rundir_file(rd, "checkpoint.safetensors", p, sizeof p);
    if (trainer_save_checkpoint(t, p)) snprintf(w->message, sizeof w->message, "save failed: %s", mt_last_error());
    else
        snprintf(w->message, sizeof w->message, "saved checkpoint.safetensors at step %ld (in %s)",
                 trainer_step_count(t), rundir_path(rd));
}

/* Tab in the console: the names of the session on screen. */
static int complete_name(void *ud, const char *before, char *insert, size_t ni, char *list, size_t nl)
{
    wb *w = ud;
    return w->runs->lua ? mtlua_complete(w->runs->lua, before, insert, ni, list, nl) : 0;
}

/* The console's history file: $XDG_STATE_HOME/mtlab/history, else
 * ~/.local/state/mtlab/history (the XDG default); "" without a HOME. */
static void history_file(char *out, size_t n)
{
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (state && state[0] == '/') snprintf(out, n, "%s/mtlab/history", state);
    else if (home && *home) snprintf(out, n, "%s/.local/state/mtlab/history", home);
    else if (n) out[0] = '\0';
}

/* ---- the loop ------------------------------------------------------------ */

/* Recorded runs (mtlab open): '<' and '>' step the matrices through the
 * updates the run recorded. */
static void step_recorded(wb *w, int dir)
{
    mt_recorded *rec = w->runs->rec[w->sel];
    int n;
    const long *steps = runread_steps(rec, &n);
    if (!n) {
        snprintf(w->message, sizeof w->message, "this run recorded no matrices");
        return;
    }
    long cur = runread_cursor(rec);
    int k = n - 1;
    while (k > 0 && steps[k] > cur) k--;
    k = dir > 0 ? (k + 1 < n ? k + 1 : k) : (k > 0 ? k - 1 : 0);
    runread_seek(rec, steps[k]);
    snprintf(w->message, sizeof w->message, "matrices at step %ld (update %d of %d; < > step)", steps[k], k + 1, n);
}

/* The keys that train or change a run do nothing to a recorded one. */
static int refused(wb *w, tui_action a)
{
    if (w->runs->lua) return 0;
    switch (a) {
    case TUI_ACT_PAUSE_TOGGLE:
    case TUI_ACT_STEP:
    case TUI_ACT_RELOAD:
    case TUI_ACT_CYCLE_WEIGHTING:
    case TUI_ACT_CYCLE_WEIGHTING_BACK:
    case TUI_ACT_LR_UP:
    case TUI_ACT_LR_DOWN:
    case TUI_ACT_SAVE:
    case TUI_ACT_CONSOLE_LINE:
        snprintf(w->message, sizeof w->message, "read only: a recorded run (mtlab open); < > step the matrices");
        return 1;
    default: return 0;
    }
}

/* What the screen shows, drawn. */
static void draw_frame(wb *w, tui_view *v)
{
    wb_runs *r = w->runs;
    wb_results(r);
    *v = (tui_view){.monitors = (const mt_monitor *const *)r->mon, .count = r->n, .selected = w->sel,
                    .script = r->lua ? w->o->script : r->dir, .message = w->message[0] ? w->message : NULL,
                    .results = r->res, .readonly = r->lua == NULL,
                    .mode = r->lua ? mtlua_mode_name(r->lua) : "recorded", .mode_warn = r->lua && mtlua_trusted(r->lua)};
    if (w->lesson) {
        v->lesson = 1;
        v->notes_title = w->lesson->title;
        v->notes = w->lesson->text;
    }
    tui_draw(w->scr, v);
}

int wb_baseline_progress(void *ud, mt_trainer *t, int task)
{
    (void)task;
    wb_runs *r = ud;
    static double last;
    if (r->baseline_run >= 0) {
        mt_monitor *m = r->mon[r->baseline_run];
        snprintf(m->status_msg, sizeof m->status_msg, "training the single-task baselines: %s alone, step %ld/%ld",
                 trainer_experiment(t)->task[0].name, trainer_step_count(t), trainer_total_steps(t));
    }
    wb *w = log_wb;
    if (w && w->scr && w->runs == r && now_s() - last > FRAME_S) {
        tui_view v;
        draw_frame(w, &v);
        last = now_s();
    }
    return app_stop_signal != 0;
}

/* ---- a lesson ------------------------------------------------------------ */

static void set_speed(wb *w, double limit)
{
    w->limit = limit;
    w->pace_until = 0;
}

/* What the notes pane shows: the step's narration, its question (and,
 * after a key, the answer); at the end the claim and its verdict. */
static void lesson_text(wb *w)
{
    wb_lesson *ls = w->lesson;
    const mtlua_lesson *L = ls->L;
    size_t n = sizeof ls->text, k = 0;
    if (ls->step < L->nsteps) {
        const mtlua_lesson_step *p = &L->step[ls->step];
        snprintf(ls->title, sizeof ls->title, "%s%s, step %d/%d", isdigit((unsigned char)L->section[0]) ? "section " : "",
                 L->section, ls->step + 1, L->nsteps);
        k += (size_t)snprintf(ls->text + k, n - k, "%s", p->say);
        if (p->ask[0] && k < n) k += (size_t)snprintf(ls->text + k, n - k, "\n\nQuestion: %s", p->ask);
        if (p->ask[0] && k < n)
            k += (size_t)snprintf(ls->text + k, n - k, ls->answered ? "\n\nAnswer: %s" : "\n\n(space shows the answer)",
                                  p->answer);
        if (ls->target > 0 && k < n)
            snprintf(ls->text + k, n - k, "\n\n[running to step %ld ...]", ls->target);
        return;
    }
    snprintf(ls->title, sizeof ls->title, "%s%s: the claim", isdigit((unsigned char)L->section[0]) ? "section " : "",
             L->section);
    if (!ls->claimed)
        snprintf(ls->text, n, "The end of the lesson: every experiment now runs to its end, and then the script's "
                              "claim is checked on what the runs recorded ...");
    else
        snprintf(ls->text, n, "%s\n\nspace: back to the lessons", ls->verdict);
}

/* Enters step ls->step: its pane, matrix, weighting, speed, and where
 * the runs go. Going back (forward = 0) shows the step again but runs
 * nothing and switches nothing: the runs stay paused where they are. */
static void lesson_enter(wb *w, int forward)
{
    wb_lesson *ls = w->lesson;
    wb_runs *r = w->runs;
    ls->answered = 0;
    ls->target = 0;
    if (ls->step >= ls->L->nsteps) { /* the end: everything runs out, then the claim */
        ls->target = -1;
        if (!w->o->speed_given) set_speed(w, 0);
        tui_focus_pane(w->scr, "notes", 0); /* the verdict is the page to read */
        for (int i = 0; i < r->n; i++) set_paused(w, i, 0);
        lesson_text(w);
        return;
    }
    const mtlua_lesson_step *p = &ls->L->step[ls->step];
    if (p->experiment > 0 && p->experiment <= r->n) {
        w->sel = p->experiment - 1;
        if (r->lua) mtlua_select(r->lua, w->sel);
    }
    if (p->focus[0]) tui_focus_pane(w->scr, p->focus, p->enlarge);
    else tui_focus_pane(w->scr, "loss", 0);
    if (p->matrix[0] && tui_show_matrix(w->scr, r->mon[w->sel], p->matrix))
        snprintf(w->message, sizeof w->message, "lesson: no matrix \"%s\" yet", p->matrix);
    if (!forward) {
        for (int i = 0; i < r->n; i++) set_paused(w, i, 1);
        lesson_text(w);
        return;
    }
    if (p->speed >= 0 && !w->o->speed_given) set_speed(w, p->speed); /* --speed sets every lesson's pace */
    if (p->weighting[0] && live(r, w->sel)) { /* as w does: the experiment on screen */
        mt_method_spec m;
        memset(&m, 0, sizeof m);
        snprintf(m.name, sizeof m.name, "%s", p->weighting);
        if (trainer_set_weighting(lifecycle_trainer(r->lc[w->sel]), &m))
            snprintf(w->message, sizeof w->message, "lesson: weighting %s", mt_last_error());
        else snprintf(w->message, sizeof w->message, "weighting -> %s", p->weighting);
    }
    if (p->run_to < 0) ls->target = -1;
    else if (p->run_to > 0) ls->target = p->run_to;
    else if (p->run_to_epoch > 0) {
        const mt_monitor *m = r->mon[w->sel];
        long per = m->epochs > 0 ? (m->total_steps + m->epochs - 1) / m->epochs : 1;
        ls->target = p->run_to_epoch * per;
    }
    if (ls->target) {
        for (int i = 0; i < r->n; i++) set_paused(w, i, 0);
    } else if (p->pause) {
        for (int i = 0; i < r->n; i++) set_paused(w, i, 1);
    }
    lesson_text(w);
}

/* 1 while run i must wait: it has reached the step's target. */
static int lesson_holds(const wb *w, int i)
{
    const wb_lesson *ls = w->lesson;
    return ls && ls->target > 0 && w->runs->mon[i]->step >= ls->target;
}

/* The claims of the script on the runs just ended, checked as the
 * workbench checks them when its runs end (wb_claims: claims.json and the
 * verdicts), into ls->verdict. */
static void lesson_claim(wb *w)
{
    wb_lesson *ls = w->lesson;
    wb_runs *r = w->runs;
    ls->claimed = 1;
    wb_claims(r);
    if (!r->lua || mtlua_claim_count(r->lua) == 0) {
        snprintf(ls->verdict, sizeof ls->verdict, "The script states no claim to check.");
        ls->held = 0;
    } else {
        snprintf(ls->verdict, sizeof ls->verdict, "%s", r->claims);
        ls->held = r->claims_code == MT_EXIT_OK && strstr(r->claims, "claim held") && !strstr(r->claims, "claim FAILED") &&
                   !strstr(r->claims, "not checked");
    }
    snprintf(w->message, sizeof w->message, "%s", ls->held ? "the lesson's claim held" : "the lesson's claim did not hold");
}

/* Once a frame: pause the runs that reached the target; at the end,
 * check the claim when every run has ended. */
static void lesson_tick(wb *w)
{
    wb_lesson *ls = w->lesson;
    wb_runs *r = w->runs;
    if (ls->target > 0) {
        int waiting = 1;
        for (int i = 0; i < r->n; i++)
            if (live(r, i) && r->mon[i]->step < ls->target) waiting = 0;
        if (waiting) {
            for (int i = 0; i < r->n; i++) set_paused(w, i, 1);
            snprintf(w->message, sizeof w->message, "paused at step %ld: space goes on", ls->target);
            ls->target = 0;
            lesson_text(w);
        }
    }
    if (ls->step >= ls->L->nsteps && !ls->claimed && all_ended(r)) {
        lesson_claim(w);
        lesson_text(w);
    }
}

static void lesson_next(wb *w)
{
    wb_lesson *ls = w->lesson;
    if (ls->step < ls->L->nsteps && ls->L->step[ls->step].ask[0] && !ls->answered) {
        ls->answered = 1;
        lesson_text(w);
        return;
    }
    if (ls->step >= ls->L->nsteps) {
        if (ls->claimed) ls->done = 1;
        return;
    }
    ls->step++;
    lesson_enter(w, 1);
}

/* Back one step: its narration and settings again (training already done
 * stays done). */
static void lesson_back(wb *w)
{
    wb_lesson *ls = w->lesson;
    if (ls->step == 0 || (ls->step >= ls->L->nsteps && !ls->claimed)) return;
    ls->step--;
    lesson_enter(w, 0);
}

/* The frames: train (live runs) until the frame's time is spent, draw,
 * act on the keys; until quit or a signal. */
static void run_loop(wb *w)
{
    const app_options *o = w->o;
    int quit = 0;
    /* slow motion for teaching: steps per second of each experiment;
     * 0 = as fast as possible. '<' divides by 4 (to 1/s), '>' multiplies. */
    double budget = 0, last_frame = now_s();
    long rr = 0;
    w->limit = o->speed;
    /* a script's train.pace: slow while the interesting part runs, then
     * full speed by itself (unless --speed was given or < > take over) */
    w->pace_until = 0;
    for (int i = 0; w->runs->lua && !o->speed_given && !w->lesson && i < w->runs->n && !w->pace_until; i++) {
        const mt_train_spec *tr = &mtlua_experiment(w->runs->lua, i)->train;
        if (tr->pace_speed > 0 && tr->pace_until > 0) {
            w->limit = tr->pace_speed;
            w->pace_until = tr->pace_until;
            snprintf(w->message, sizeof w->message, "slow motion to step %ld, then full speed (%g steps/s; < > take over)",
                     w->pace_until, w->limit);
        }
    }
    if (w->lesson) lesson_enter(w, 1);
    while (!quit) {
        double limit = w->limit;
        double t0 = now_s();
        if (limit > 0) {
            budget += limit * (t0 - last_frame);
            if (budget > limit) budget = limit; /* no burst after a pause */
        }
        last_frame = t0;
        while (any_running(w->runs) && now_s() - t0 < FRAME_S && !app_stop_signal) {
            if (limit > 0) {
                if (budget < 1) break;
                budget -= 1;
            }
            for (int k = 0; k < w->runs->n; k++, rr++) {
                int i = (int)(rr % w->runs->n);
                if (live(w->runs, i) && w->runs->mon[i]->state == MT_RUN_RUNNING && !lesson_holds(w, i)) step_one(w, i);
            }
            if (w->lesson && w->lesson->target > 0) {
                int all = 1; /* every run at the target: the frame's training is done */
                for (int i = 0; i < w->runs->n; i++)
                    if (live(w->runs, i) && w->runs->mon[i]->state == MT_RUN_RUNNING && !lesson_holds(w, i)) all = 0;
                if (all) break;
            }
        }
        flush_printed(w);
        if (app_stop_signal) break;
        wb_runs *r = w->runs;
        /* in slow motion the header shows the pace the class sees, not the
         * engine's speed between the pauses */
        for (int i = 0; limit > 0 && i < r->n; i++)
            if (live(r, i) && r->mon[i]->state == MT_RUN_RUNNING)
                r->mon[i]->samples_per_s = limit * trainer_experiment(lifecycle_trainer(r->lc[i]))->train.batch;
        if (w->pace_until > 0 && r->mon[w->sel]->step >= w->pace_until) {
            snprintf(w->message, sizeof w->message, "full speed since step %ld: the interesting part has passed (< slows down)",
                     w->pace_until);
            set_speed(w, 0);
        }
        if (w->lesson) lesson_tick(w);
        wb_claims(r); /* once the last run has ended: the verdicts in the notes */
        if (o->exit_when_done && all_ended(r)) break;
        tui_view v;
        draw_frame(w, &v);
        char line[1024];
        tui_action a = tui_poll(w->scr, any_running(r) && limit == 0 ? 0 : 30, line, sizeof line);
        if (refused(w, a)) continue;
        mt_lifecycle *lc = r->lc[w->sel];
        mt_trainer *t = lc ? lifecycle_trainer(lc) : NULL;
        switch (a) {
        case TUI_ACT_QUIT: quit = 1; break;
        case TUI_ACT_LESSON_NEXT:
            if (w->lesson) lesson_next(w);
            if (w->lesson && w->lesson->done) quit = 1;
            break;
        case TUI_ACT_LESSON_BACK:
            if (w->lesson) lesson_back(w);
            break;
        case TUI_ACT_PAUSE_TOGGLE: {
            int pause = r->mon[w->sel]->state == MT_RUN_RUNNING || !live(r, w->sel);
            for (int i = 0; i < r->n; i++) set_paused(w, i, pause);
            snprintf(w->message, sizeof w->message, "%s", pause ? "paused" : "running");
            break;
        }
        case TUI_ACT_STEP:
            for (int i = 0; i < r->n; i++) set_paused(w, i, 1);
            step_one(w, w->sel);
            flush_printed(w);
            snprintf(w->message, sizeof w->message, "step %ld", t ? trainer_step_count(t) : 0L);
            break;
        case TUI_ACT_RELOAD: reload(w); break;
        case TUI_ACT_CYCLE_WEIGHTING: cycle_weighting(w, 1); break;
        case TUI_ACT_CYCLE_WEIGHTING_BACK: cycle_weighting(w, -1); break;
        case TUI_ACT_LR_UP:
        case TUI_ACT_LR_DOWN:
            trainer_scale_lr(t, a == TUI_ACT_LR_UP ? 2.0 : 0.5);
            snprintf(w->message, sizeof w->message, "learning rate %.3g", trainer_lr(t));
            monitor_log(r->mon[w->sel], MT_LOG_INFO, "step %ld: learning rate %.3g", trainer_step_count(t),
                        trainer_lr(t));
            break;
        case TUI_ACT_SAVE: save_checkpoint(w); break;
        case TUI_ACT_EXPORT: wb_export(r, w->sel, w->scr, &v, w->message, sizeof w->message); break;
        case TUI_ACT_SLOWER:
        case TUI_ACT_FASTER:
            if (!r->lua) {
                step_recorded(w, a == TUI_ACT_FASTER ? 1 : -1);
                break;
            }
            /* the person sets the pace now */
            if (a == TUI_ACT_SLOWER) limit = limit == 0 ? 2048 : limit > 1 ? limit / 4 : 1;
            else limit = limit == 0 || limit * 4 > 2048 ? 0 : limit * 4;
            set_speed(w, limit);
            budget = 0;
            if (limit > 0) snprintf(w->message, sizeof w->message, "slow motion: %g steps/s", limit);
            else snprintf(w->message, sizeof w->message, "full speed");
            break;
        case TUI_ACT_CONSOLE_LINE: console_line(w, line); break;
        case TUI_ACT_AVERAGE_WINDOW:
            for (int i = 0; i < r->n; i++) r->mon[i]->ema_window = tui_requested_window(w->scr);
            for (int i = 0; !r->lua && i < r->n; i++) /* a recorded run's averages, again with the new window */
                runread_seek(r->rec[i], runread_cursor(r->rec[i]));
            break;
        case TUI_ACT_SELECT_EXPERIMENT: {
            int q = tui_requested_experiment(w->scr);
            if (q >= 0 && q < r->n) {
                w->sel = q;
                if (r->lua) mtlua_select(r->lua, q);
            }
            break;
        }
        default: break;
        }
    }
}

/* The screen, the sinks for messages and output, then the frames. */
static int with_screen(wb *w)
{
    char hist[1100];
    history_file(hist, sizeof hist);
    tui_options to = {.force_mono = w->o->no_color, .history_path = hist[0] ? hist : NULL, .complete = complete_name,
                      .complete_ud = w};
    if (!w->scr) {
        w->scr = tui_open(&to);
        if (!w->scr) {
            fprintf(stderr, "mtlab: %s\n", mt_last_error());
            return -1;
        }
        w->own_scr = 1;
    }
    /* Ctrl-C interrupts a runaway callback first; otherwise it quits */
    app_install_signals();
    log_wb = w;
    mt_log_set_sink(log_to_monitor, NULL, NULL);
    mtlua_set_print(host_write, w);
    attach_host(w);
    if (w->runs->lua) wb_start(w->runs);
    run_loop(w);
    return 0;
}

static void without_screen(wb *w)
{
    mt_log_set_sink(NULL, NULL, NULL);
    mtlua_set_print(NULL, NULL);
    log_wb = NULL;
    if (w->own_scr) tui_free(w->scr);
    w->scr = NULL;
}

int app_workbench_lesson(const app_options *o, tui_screen *scr, wb_lesson *ls, const char *dir)
{
    app_options lo = *o;
    lo.script = ls->L->script;
    lo.out_dir = dir;
    wb w = {.o = &lo, .scr = scr, .lesson = ls};
    if (wb_load(&lo, dir, &w.runs)) return MT_EXIT_USAGE;
    with_screen(&w);
    int code = MT_EXIT_OK;
    mt_status io;
    if (app_stop_signal) {
        io = wb_end_all(w.runs, MT_ERR_INTERRUPTED, NULL, "interrupted by a signal (SIGINT or SIGTERM)");
        code = MT_EXIT_FAILED;
    } else {
        io = wb_end_all(w.runs, MT_OK, "stopped", "left the lesson before the end of training");
    }
    without_screen(&w);
    if (io) code = MT_EXIT_FAILED;
    if (wb_free(w.runs)) code = MT_EXIT_FAILED;
    return code;
}

int app_workbench(const app_options *o)
{
    char dir[1024];
    if (o->out_dir) snprintf(dir, sizeof dir, "%s", o->out_dir);
    else app_default_run_dir(o->script, dir, sizeof dir);
    mt_status fresh = o->out_dir ? rundir_check_fresh(o->out_dir, o->force) : MT_OK;
    if (fresh) {
        fprintf(stderr, "mtlab: %s%s\n", mt_last_error(),
                fresh == MT_ERR_STATE ? "; choose another --out, or add --force to write over it" : "");
        return MT_EXIT_USAGE;
    }
    wb w = {.o = o};
    if (wb_load(o, dir, &w.runs)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    if (with_screen(&w)) {
        wb_free(w.runs);
        return MT_EXIT_FAILED;
    }
    int code = MT_EXIT_OK;
    mt_status io;
    if (app_stop_signal) {
        /* SIGINT or SIGTERM: as headless, "interrupted" and exit 1 */
        io = wb_end_all(w.runs, MT_ERR_INTERRUPTED, NULL, "interrupted by a signal (SIGINT or SIGTERM)");
        code = MT_EXIT_FAILED;
    } else {
        io = wb_end_all(w.runs, MT_OK, "stopped", "quit before the end of training");
    }
    without_screen(&w);
    if (io) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        code = MT_EXIT_FAILED;
    }
    printf("mtlab: run recorded in %s\n", w.runs->dir);
    /* the verdicts the notes showed, on the terminal too; exit 3 as headless */
    for (const char *p = w.runs->claims; *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        if (strncmp(p, "claim ", 6) == 0) printf("%.*s\n", len, p);
        p += len + (nl ? 1 : 0);
    }
    if (w.runs->claims_code == MT_EXIT_CLAIM && code == MT_EXIT_OK) code = MT_EXIT_CLAIM;
    if (wb_free(w.runs)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        code = MT_EXIT_FAILED;
    }
    return code;
}

int app_open(int argc, char **argv)
{
    app_options o = {0};
    const char *dirs[WB_MAX];
    int nd = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--no-color") == 0) o.no_color = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "mtlab: open: unknown option %s (mtlab open RUN_DIR... [--no-color])\n", argv[i]);
            return MT_EXIT_USAGE;
        } else if (nd == WB_MAX) {
            fprintf(stderr, "mtlab: open: at most %d run folders at once\n", WB_MAX);
            return MT_EXIT_USAGE;
        } else {
            dirs[nd++] = argv[i];
        }
    }
    if (!nd) {
        fprintf(stderr, "mtlab: open: no run folder given (mtlab open RUN_DIR...)\n");
        return MT_EXIT_USAGE;
    }
    wb w = {.o = &o};
    if (wb_open_folders(dirs, nd, &w.runs)) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        return MT_EXIT_USAGE;
    }
    int code = with_screen(&w) ? MT_EXIT_FAILED : app_stop_signal ? MT_EXIT_FAILED : MT_EXIT_OK;
    without_screen(&w);
    wb_free(w.runs);
    return code;
}
