/* lifecycle.c - one experiment's run from start to end; `mtlab run` and
 * the workbench both drive it, so their run folders are alike. */
#include "lifecycle.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/log.h"
#include "core/mem.h"
#include "run/jsonrec.h"

#define LC_SERIES_POINTS 4096

struct mt_lifecycle {
    const mt_experiment *e; /* borrowed */
    mt_trainer *t;
    mt_monitor mon;
    mt_rundir *rd;
    mt_recorder inner; /* the run folder's recorder, wrapped by ours */
    char dir[1024], top[1024];
    lifecycle_phase phase;
    double t0, wall;
    char method[32]; /* the loss weighting in force, for the marks */

    mt_baselines base;
    int best_task;      /* keep_best: the task, -1 = delta_m, -2 = off */
    long best_seen;     /* trainer_val_count at the last look */
    double best_score;  /* lower is better (signs folded in) */
    long best_step;
    mt_run_best best; /* the best values the records carried (summary.json) */
    mt_baseline_progress progress; /* the baselines' trainers, step by step */
    void *progress_ud;
    mt_status (*files)(void *ud, const mt_monitor *m, const char *dir);
    void *files_ud;

    /* the end */
    int write_failed; /* a run file could not be written: the run fails */
    char status[16];
    char message[4096];
    char io_msg[1024]; /* the first write error at the end */
    mt_status end_code, io;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- what the run records, also kept in the monitor ------------------ */

static void rec_metric(void *ud, long step, int epoch, mt_split_kind split, const char *task, double loss,
                       double metric, double weight)
{
    mt_lifecycle *lc = ud;
    if (lc->inner.metric) lc->inner.metric(lc->inner.ud, step, epoch, split, task, loss, metric, weight);
    for (int k = 0; k < lc->e->ntasks; k++)
        if (strcmp(lc->e->task[k].name, task) == 0)
            rundir_best_note(&lc->best, k, metric_higher_is_better(lc->e->task[k].metric), split, step, loss, metric, weight);
}

/* A switch of the weighting becomes a mark on the monitor's time axes. */
static void rec_event(void *ud, const char *json)
{
    mt_lifecycle *lc = ud;
    if (lc->inner.event) lc->inner.event(lc->inner.ud, json);
    if (!strstr(json, "\"weighting\"")) return;
    cJSON *o = cJSON_Parse(json);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(o, "step");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "method");
    if (cJSON_IsString(ev) && strcmp(ev->valuestring, "weighting") == 0 && cJSON_IsString(m) && cJSON_IsNumber(step)) {
        monitor_mark(&lc->mon, (long)step->valuedouble, "%s \xe2\x86\x92 %s", lc->method, m->valuestring);
        snprintf(lc->method, sizeof lc->method, "%s", m->valuestring);
    }
    cJSON_Delete(o);
}

static void rec_matrix(void *ud, long step, const char *name, int rows, int cols, const double *v,
                       const char (*rl)[MT_MON_NAME], const char (*cl)[MT_MON_NAME])
{
    mt_lifecycle *lc = ud;
    if (lc->inner.matrix) lc->inner.matrix(lc->inner.ud, step, name, rows, cols, v, rl, cl);
}

/* ---- the best checkpoint (train.keep_best) ---------------------------- */

/* What keep_best names: a task (its validation metric) or "dm" (delta_m
 * of the validation metrics against the single-task baselines), checked
 * before the run. */
static mt_status keep_best_setup(mt_lifecycle *lc)
{
    const mt_experiment *e = lc->e;
    const char *kb = e->train.keep_best;
    lc->best_task = -2;
    lc->best_score = INFINITY;
    lc->best_step = -1;
    if (!kb[0]) return MT_OK;
    if (e->data->split.val.n == 0)
        return mt_fail(MT_ERR_ARG, "%s: train.keep_best = \"%s\" needs a validation split (the data has none)",
                       e->name, kb);
    if (strcmp(kb, "dm") == 0) {
        if (!e->train.baselines)
            return mt_fail(MT_ERR_ARG, "%s: train.keep_best = \"dm\" needs train.baselines = true (delta_m is "
                           "measured against the single-task baselines)", e->name);
        lc->best_task = -1;
        return MT_OK;
    }
    char names[512] = "";
    for (int k = 0; k < e->ntasks; k++) {
        if (strcmp(e->task[k].name, kb) == 0) {
            lc->best_task = k;
            return MT_OK;
        }
        size_t w = strlen(names);
        snprintf(names + w, sizeof names - w, "%s%s", k ? ", " : "", e->task[k].name);
    }
    return mt_fail(MT_ERR_ARG, "%s: train.keep_best = \"%s\" is neither \"dm\" nor a task (tasks: %s)", e->name,
                   kb, names);
}

/* After each validation: when the criterion improved, best.safetensors
 * gets the current parameters (and optimiser state) and a "best" event
 * records the step and value. A NaN never improves. */
static mt_status keep_best_check(mt_lifecycle *lc)
{
    if (lc->best_task == -2 || trainer_val_count(lc->t) == lc->best_seen) return MT_OK;
    lc->best_seen = trainer_val_count(lc->t);
    const mt_eval_result *v = trainer_last_val(lc->t);
    if (!v) return MT_OK;
    double value, score;
    if (lc->best_task >= 0) {
        value = v->metric[lc->best_task];
        score = metric_higher_is_better(lc->e->task[lc->best_task].metric) ? -value : value;
    } else {
        if (!lc->base.have) return MT_OK;
        value = delta_m(lc->e, v->metric, &lc->base);
        score = -value; /* delta_m: higher is better */
    }
    if (!(score < lc->best_score)) return MT_OK;
    lc->best_score = score;
    lc->best_step = trainer_step_count(lc->t);
    char ck[1200];
    mt_status st = trainer_save_checkpoint(lc->t, rundir_file(lc->rd, "best.safetensors", ck, sizeof ck));
    if (st) return st;
    cJSON *ev = jrec_event("best", lc->best_step);
    cJSON_AddStringToObject(ev, "by", lc->e->train.keep_best);
    cJSON_AddItemToObject(ev, "value", jrec_num(value));
    rundir_event(lc->rd, ev);
    return MT_OK;
}

/* ---- the lifecycle --------------------------------------------------- */

mt_status lifecycle_new(const mt_experiment *e, const lifecycle_opts *o, mt_lifecycle **out)
{
    *out = NULL;
    mt_lifecycle *lc = mt_calloc(1, sizeof *lc);
    if (!lc) return MT_ERR_NOMEM;
    lc->e = e;
    rundir_best_clear(&lc->best);
    lc->progress = o->progress;
    lc->progress_ud = o->progress_ud;
    lc->files = o->files;
    lc->files_ud = o->files_ud;
    snprintf(lc->dir, sizeof lc->dir, "%s", o->dir);
    snprintf(lc->top, sizeof lc->top, "%s", o->top ? o->top : o->dir);
    snprintf(lc->method, sizeof lc->method, "%s", e->weighting.name);
    snprintf(lc->status, sizeof lc->status, "running");
    const char *names[MT_MAX_TASKS];
    int aux[MT_MAX_TASKS];
    for (int k = 0; k < e->ntasks; k++) {
        names[k] = e->task[k].name;
        aux[k] = e->task[k].aux;
    }
    mt_status st = monitor_init(&lc->mon, e->ntasks, names, aux,
                                o->series_points > 0 ? o->series_points : LC_SERIES_POINTS);
    if (!st && (st = trainer_new(e, &lc->mon, &lc->t))) mt_fail_prefix(st, "%s", e->name);
    if (!st) rundir_best_set_total(&lc->best, trainer_total_steps(lc->t));
    if (!st && o->load && (st = trainer_load_checkpoint(lc->t, o->load))) mt_fail_prefix(st, "%s: --load", e->name);
    if (!st) st = keep_best_setup(lc);
    if (st) {
        lifecycle_free(lc);
        return st;
    }
    lc->phase = LC_BUILT;
    lc->best_seen = 0;
    *out = lc;
    return MT_OK;
}

mt_status lifecycle_start(mt_lifecycle *lc)
{
    if (lc->phase != LC_BUILT) return mt_fail(MT_ERR_STATE, "%s: the run has already started", lc->e->name);
    mt_status st = rundir_open(lc->dir, &lc->rd);
    if (st) return st;
    lc->t0 = wall_now();
    lc->phase = LC_TRAINING;
    lc->inner = rundir_recorder(lc->rd);
    mt_recorder rec = {.ud = lc, .metric = rec_metric, .event = rec_event, .matrix = rec_matrix};
    trainer_set_recorder(lc->t, &rec);
    st = rundir_write_config(lc->rd, lc->e, lc->t);
    if (!st) {
        cJSON *ev = jrec_event("start", 0);
        cJSON_AddStringToObject(ev, "experiment", lc->e->name);
        cJSON_AddNumberToObject(ev, "total_steps", (double)trainer_total_steps(lc->t));
        rundir_event(lc->rd, ev);
        st = rundir_poll(lc->rd);
    }
    if (st) {
        lc->write_failed = 1;
        return st;
    }
    return MT_OK;
}

mt_status lifecycle_baselines(mt_lifecycle *lc)
{
    if (!lc->e->train.baselines || lc->base.have || lc->phase != LC_TRAINING) return MT_OK;
    char path[1200];
    int reused = 0;
    mt_status st = baselines_obtain(lc->e, lc->top, lc->progress, lc->progress_ud, &lc->base, &reused, path,
                                    sizeof path);
    lc->mon.status_msg[0] = '\0';
    if (!st && reused) mt_log(MT_LOG_INFO, "%s: single-task baselines reused from %s", lc->e->name, path);
    return st;
}

mt_status lifecycle_step(mt_lifecycle *lc)
{
    if (lc->phase != LC_TRAINING) return mt_fail(MT_ERR_STATE, "%s: the run is not training", lc->e->name);
    mt_status st = trainer_step(lc->t);
    if (!st && (st = keep_best_check(lc))) lc->write_failed = 1;
    if (!st && (st = rundir_poll(lc->rd))) lc->write_failed = 1;
    if (st || !trainer_finished(lc->t)) return st;
    if (!(st = trainer_finish(lc->t)) && (st = keep_best_check(lc))) lc->write_failed = 1;
    if (!st && (st = rundir_poll(lc->rd))) lc->write_failed = 1;
    lifecycle_end(lc, st, st ? "failed" : NULL, NULL);
    return MT_OK;
}

/* A run that had finished fails after all when a later write does not
 * make it to disk; an earlier failure keeps its own status. */
static void fail_late(mt_lifecycle *lc, mt_status *st, mt_status *io)
{
    if (!*io) {
        *io = mt_last_status();
        snprintf(lc->io_msg, sizeof lc->io_msg, "%s", mt_last_error());
    }
    if (strcmp(lc->status, "finished") != 0) return;
    snprintf(lc->status, sizeof lc->status, "failed");
    *st = mt_last_status();
    snprintf(lc->message, sizeof lc->message, "%s", mt_last_error());
}

mt_status lifecycle_end(mt_lifecycle *lc, mt_status st, const char *status, const char *message)
{
    if (lc->phase == LC_ENDED) {
        if (lc->io) mt_fail(lc->io, "%s", lc->io_msg);
        return lc->io;
    }
    if (message) snprintf(lc->message, sizeof lc->message, "%s", message);
    else if (st) snprintf(lc->message, sizeof lc->message, "%s", mt_last_error());
    else lc->message[0] = '\0';
    if (!status)
        status = !st                             ? "finished"
                 : lc->write_failed              ? "failed"
                 : trainer_diverged(lc->t)       ? "diverged"
                 : st == MT_ERR_INTERRUPTED      ? "interrupted"
                                                 : "failed";
    snprintf(lc->status, sizeof lc->status, "%s", status);
    int started = lc->phase != LC_BUILT;
    lc->phase = LC_ENDED;
    mt_status io = MT_OK;
    if (started) {
        lc->wall = wall_now() - lc->t0;
        long step = trainer_step_count(lc->t);
        if (strcmp(lc->status, "finished") != 0) {
            /* a loss that diverged did so in the step after the last completed one */
            long at = step + (st == MT_ERR_NUMERIC || st == MT_ERR_ARG ? 1 : 0);
            cJSON *ev = jrec_event(lc->status, at);
            cJSON_AddStringToObject(ev, "message", lc->message);
            rundir_event(lc->rd, ev);
        }
        char ck[1200];
        if (trainer_save_checkpoint(lc->t, rundir_file(lc->rd, "checkpoint.safetensors", ck, sizeof ck)))
            fail_late(lc, &st, &io);
        if (lc->files && lc->files(lc->files_ud, &lc->mon, lc->dir)) fail_late(lc, &st, &io);
        cJSON *ev = jrec_event("finish", step);
        cJSON_AddStringToObject(ev, "status", lc->status);
        cJSON_AddNumberToObject(ev, "wall_time_s", round(lc->wall * 1000) / 1000);
        rundir_event(lc->rd, ev);
        /* the records are on disk before the summary says how the run ended */
        if (rundir_seal(lc->rd)) fail_late(lc, &st, &io);
        mt_status sst = rundir_write_summary(lc->rd, lc->t, lc->status, lc->message, lc->wall,
                                             lc->e->train.baselines && lc->base.have ? &lc->base : NULL,
                                             &lc->best, &lc->mon);
        if (sst && !io) {
            io = sst;
            snprintf(lc->io_msg, sizeof lc->io_msg, "%s", mt_last_error());
        }
    }
    lc->end_code = st;
    lc->io = io;
    mt_run_state state = strcmp(lc->status, "finished") == 0          ? MT_RUN_FINISHED
                         : strcmp(lc->status, "diverged") == 0        ? MT_RUN_DIVERGED
                         : strcmp(lc->status, "failed") == 0          ? MT_RUN_FAILED
                                                                      : MT_RUN_STOPPED;
    lc->mon.state = state;
    if (lc->message[0]) snprintf(lc->mon.status_msg, sizeof lc->mon.status_msg, "%s", lc->message);
    if (io) mt_fail(io, "%s", lc->io_msg);
    return io;
}

mt_status lifecycle_free(mt_lifecycle *lc)
{
    if (!lc) return MT_OK;
    trainer_free(lc->t);
    mt_status st = rundir_close(lc->rd);
    monitor_free(&lc->mon);
    mt_free(lc);
    return st;
}

lifecycle_phase lifecycle_get_phase(const mt_lifecycle *lc) { return lc->phase; }
int lifecycle_ended(const mt_lifecycle *lc) { return lc->phase == LC_ENDED; }
mt_trainer *lifecycle_trainer(mt_lifecycle *lc) { return lc->t; }
mt_monitor *lifecycle_monitor(mt_lifecycle *lc) { return &lc->mon; }
const mt_baselines *lifecycle_baseline_results(const mt_lifecycle *lc) { return lc->base.have ? &lc->base : NULL; }
const char *lifecycle_status(const mt_lifecycle *lc) { return lc->status; }
const char *lifecycle_message(const mt_lifecycle *lc) { return lc->message; }
mt_status lifecycle_end_code(const mt_lifecycle *lc) { return lc->end_code; }
double lifecycle_t0(const mt_lifecycle *lc) { return lc->t0; }
double lifecycle_wall(const mt_lifecycle *lc) { return lc->phase == LC_ENDED ? lc->wall : wall_now() - lc->t0; }
const char *lifecycle_dir(const mt_lifecycle *lc) { return lc->dir; }
mt_rundir *lifecycle_rundir(mt_lifecycle *lc) { return lc->rd; }
