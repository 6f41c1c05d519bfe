/* wb_open.c - `mtlab open RUN_DIR...`: finished or interrupted run
 * folders in the workbench, read only (run/runread.h reads them). A
 * sweep's folder (mtlab sweep) shows one entry per configuration: the
 * mean curves of its seeds with a band of one standard deviation. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "core/mem.h"
#include "run/runread.h"
#include "run/sweep_plan.h"
#include "run/sweep_results.h"
#include "workbench.h"

/* The configurations of the sweep in dir (it holds sweep-plan.json) into
 * r, each one entry: its seeds' runs read as one. Seeds whose folder has
 * no config.json yet (not run) are left out and the log says so. */
static mt_status open_sweep(wb_runs *r, const char *dir, const char *plan_path)
{
    mt_sweep_plan *p;
    mt_status st = sweep_plan_load(plan_path, &p, NULL, NULL);
    if (st) return st;
    static char paths[MT_SWEEP_MAX_SEEDS][1024];
    const char *dirs[MT_SWEEP_MAX_SEEDS];
    for (int c = 0; c < p->nconfigs && !st; c++) {
        if (r->n == WB_MAX) {
            st = mt_fail(MT_ERR_ARG, "%s: more than %d configurations to show", dir, WB_MAX);
            break;
        }
        int n = 0, missing = 0;
        for (int k = 0; k < p->nruns && n < MT_SWEEP_MAX_SEEDS; k++) {
            if (p->run[k].config != c) continue;
            struct stat sb;
            char probe[1300];
            snprintf(paths[n], sizeof paths[n], "%s/%s", dir, p->run[k].dir);
            snprintf(probe, sizeof probe, "%s/config.json", paths[n]);
            if (stat(probe, &sb) != 0) {
                missing++;
                continue;
            }
            dirs[n] = paths[n];
            n++;
        }
        if (!n) continue; /* nothing of it has run */
        int i = r->n;
        if ((st = runread_open_runs(p->config[c].name, dirs, n, &r->rec[i]))) break;
        r->mon[i] = runread_monitor(r->rec[i]);
        r->res[i] = *runread_result(r->rec[i]);
        snprintf(r->folder[i], sizeof r->folder[i], "%s/%s", dir, p->config[c].dir);
        if (missing) monitor_log(r->mon[i], 2, "%d of its runs have not started (no config.json)", missing);
        r->n++;
    }
    if (!st && !r->n) st = mt_fail(MT_ERR_ARG, "%s: a sweep none of whose runs has started", dir);
    sweep_plan_free(p);
    return st;
}

mt_status wb_open_folders(const char *const *dirs, int ndirs, wb_runs **out)
{
    *out = NULL;
    wb_runs *r = mt_calloc(1, sizeof *r);
    if (!r) return MT_ERR_NOMEM;
    snprintf(r->dir, sizeof r->dir, "%s", dirs[0]);
    static char paths[WB_MAX][1024];
    mt_status st = MT_OK;
    for (int d = 0; d < ndirs && !st; d++) {
        char plan[1100];
        struct stat sb;
        snprintf(plan, sizeof plan, "%s/sweep-plan.json", dirs[d]);
        if (stat(plan, &sb) == 0) {
            st = open_sweep(r, dirs[d], plan);
            continue;
        }
        int n = runread_find(dirs[d], paths, WB_MAX - r->n);
        if (!n) st = mt_last_status() ? mt_last_status() : MT_ERR_ARG;
        for (int k = 0; k < n && !st; k++) {
            int i = r->n;
            if ((st = runread_open(paths[k], &r->rec[i]))) break;
            r->mon[i] = runread_monitor(r->rec[i]);
            r->res[i] = *runread_result(r->rec[i]);
            snprintf(r->folder[i], sizeof r->folder[i], "%s", paths[k]);
            r->n++;
        }
    }
    if (st) return wb_discard(r, st);
    *out = r;
    return MT_OK;
}
