/* wb_open.c - `mtlab open RUN_DIR...`: finished or interrupted run
 * folders in the workbench, read only (run/runread.h reads them). */
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "run/runread.h"
#include "workbench.h"

mt_status wb_open_folders(const char *const *dirs, int ndirs, wb_runs **out)
{
    *out = NULL;
    wb_runs *r = mt_calloc(1, sizeof *r);
    if (!r) return MT_ERR_NOMEM;
    snprintf(r->dir, sizeof r->dir, "%s", dirs[0]);
    static char paths[WB_MAX][1024];
    mt_status st = MT_OK;
    for (int d = 0; d < ndirs && !st; d++) {
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
