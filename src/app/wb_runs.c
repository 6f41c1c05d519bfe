/* wb_runs.c - the experiments of a script as live runs in the workbench:
 * built, started, reloaded and ended through the same lifecycle as
 * `mtlab run`, so a workbench run folder is a headless one. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "core/log.h"
#include "core/mem.h"
#include "run/runread.h"
#include "claims.h"
#include "workbench.h"

mt_status wb_load(const app_options *o, const char *dir, wb_runs **out)
{
    *out = NULL;
    wb_runs *r = mt_calloc(1, sizeof *r);
    if (!r) return MT_ERR_NOMEM;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    mt_status st = mtlua_open(o->script, o->sets, o->nsets, &r->lua);
    if (st) {
        mt_free(r);
        return st;
    }
    r->n = mtlua_count(r->lua);
    for (int i = 0; i < r->n && !st; i++) {
        const mt_experiment *e = mtlua_experiment(r->lua, i);
        char sub[1200];
        if (r->n == 1) snprintf(sub, sizeof sub, "%s", dir);
        else {
            char slug[64];
            app_slug(e->name, i, slug, sizeof slug);
            snprintf(sub, sizeof sub, "%s/%s", dir, slug);
        }
        lifecycle_opts lo = {.dir = sub, .top = dir, .load = o->load, .progress = wb_baseline_progress,
                             .progress_ud = r, .files = app_run_files};
        if (!(st = lifecycle_new(e, &lo, &r->lc[i]))) r->mon[i] = lifecycle_monitor(r->lc[i]);
    }
    if (st) return wb_discard(r, st);
    *out = r;
    return MT_OK;
}

mt_status wb_discard(wb_runs *r, mt_status st)
{
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", mt_last_error());
    wb_free(r);
    return mt_fail(st, "%s", msg);
}

void wb_start(wb_runs *r)
{
    for (int i = 0; i < r->n; i++) {
        mt_lifecycle *lc = r->lc[i];
        mt_trainer *t = lifecycle_trainer(lc);
        mtlua_attach(r->lua, i, t);
        mt_status st = lifecycle_start(lc);
        if (lifecycle_get_phase(lc) != LC_BUILT) app_guard_run(lifecycle_rundir(lc), t, lifecycle_t0(lc));
        monitor_log(r->mon[i], MT_LOG_INFO, "%s: %zu parameters (%zu shared); recording to %s",
                    trainer_experiment(t)->name, trainer_params_total(t), trainer_params_shared(t), lifecycle_dir(lc));
        r->baseline_run = i;
        if (!st) st = lifecycle_baselines(lc);
        r->baseline_run = -1;
        if (st) {
            monitor_log(r->mon[i], MT_LOG_ERROR, "%s", mt_last_error());
            lifecycle_end(lc, st, NULL, NULL);
        }
    }
}

mt_status wb_end_all(wb_runs *r, mt_status st, const char *status, const char *message)
{
    mt_status first = MT_OK;
    for (int i = 0; i < r->n; i++) {
        if (!r->lc[i] || lifecycle_ended(r->lc[i])) continue;
        mt_status io = lifecycle_end(r->lc[i], st, status, message);
        if (io && !first) first = io;
    }
    return first;
}

mt_status wb_free(wb_runs *r)
{
    if (!r) return MT_OK;
    mt_status first = MT_OK;
    for (int i = 0; i < r->n; i++) {
        if (r->lua) mtlua_attach(r->lua, i, NULL);
        if (r->lc[i] && lifecycle_rundir(r->lc[i])) app_unguard_run(lifecycle_rundir(r->lc[i]));
        if (r->lc[i]) {
            mt_status st = lifecycle_free(r->lc[i]);
            if (st && !first) first = st;
        }
        runread_free(r->rec[i]);
    }
    mtlua_close(r->lua);
    mt_free(r);
    return first;
}

void wb_results(wb_runs *r)
{
    for (int i = 0; i < r->n; i++) {
        mt_lifecycle *lc = r->lc[i];
        if (!lc) continue;
        const char *status = lifecycle_ended(lc) ? lifecycle_status(lc) : monitor_state_name(r->mon[i]->state);
        result_from_trainer(lifecycle_trainer(lc), lifecycle_baseline_results(lc), status, &r->res[i]);
    }
}

/* The single-task baselines are a cache of the top folder, valid for any
 * run of the same data and budget: they go back into the new folder. */
static void keep_baselines(const char *from, const char *to)
{
    DIR *d = opendir(from);
    if (!d) return;
    if (mkdir(to, 0777) != 0 && errno != EEXIST) {
        closedir(d);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, "baselines-", 10) != 0 || n < 5 || strcmp(de->d_name + n - 5, ".json") != 0) continue;
        char a[2400], b[2400];
        snprintf(a, sizeof a, "%s/%s", from, de->d_name);
        snprintf(b, sizeof b, "%s/%s", to, de->d_name);
        if (rename(a, b) != 0) { /* the moved folder keeps it; the new run trains its own */
        }
    }
    closedir(d);
}

mt_status wb_move_aside(const char *dir, char *moved, size_t n)
{
    moved[0] = '\0';
    char d[1024];
    snprintf(d, sizeof d, "%s", dir);
    for (size_t len = strlen(d); len > 1 && d[len - 1] == '/'; len--) d[len - 1] = '\0';
    struct stat sb;
    if (stat(d, &sb) != 0) return MT_OK;
    for (int k = 1; k < 10000; k++) {
        snprintf(moved, n, "%s.before-reload-%d", d, k);
        if (stat(moved, &sb) == 0) continue;
        if (rename(d, moved) != 0) {
            mt_status st = mt_fail(MT_ERR_IO, "%s: cannot move the previous run to %s: %s", d, moved, strerror(errno));
            moved[0] = '\0';
            return st;
        }
        keep_baselines(moved, d);
        return MT_OK;
    }
    moved[0] = '\0';
    return mt_fail(MT_ERR_IO, "%s: too many earlier runs beside it", d);
}

void wb_claims(wb_runs *r)
{
    if (!r->lua || r->claims_done || mtlua_claim_count(r->lua) == 0) return;
    for (int i = 0; i < r->n; i++)
        if (!r->lc[i] || !lifecycle_ended(r->lc[i])) return;
    r->claims_done = 1;
    char skip[1400] = "";
    const char *dirs[WB_MAX];
    for (int i = 0; i < r->n; i++) {
        dirs[i] = lifecycle_dir(r->lc[i]);
        app_claims_add_run(r->lua, i, dirs[i], MT_EXIT_OK, skip, sizeof skip);
    }
    char *notes = r->claims;
    notes[0] = '\0';
    r->claims_code = app_claims_verdicts(r->lua, r->dir, dirs, r->n, skip[0] ? skip : NULL, notes, sizeof r->claims);
    for (int i = 0; i < r->n; i++) {
        mt_monitor *m = r->mon[i];
        size_t w = strlen(m->description);
        snprintf(m->description + w, sizeof m->description - w, "%s%s", w ? "\n\n" : "", notes);
        for (const char *p = notes; *p;) {
            const char *nl = strchr(p, '\n');
            int len = nl ? (int)(nl - p) : (int)strlen(p);
            if (strncmp(p, "claim ", 6) == 0)
                monitor_log(m, strncmp(p, "claim held", 10) == 0 ? MT_LOG_INFO : MT_LOG_WARN, "%.*s", len, p);
            p += len + (nl ? 1 : 0);
        }
    }
}
