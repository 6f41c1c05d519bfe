/* wb_export.c - the `e` key: every pane on screen as SVG (tui does the
 * drawing) and a copy of the metrics CSV, beside the run's files (for a
 * sweep's configuration in `mtlab open`, into its folder, without a CSV). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "workbench.h"

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    int ok = in && out;
    char buf[8192];
    size_t got;
    while (ok && (got = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, got, out) == got;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok;
}

void wb_export(wb_runs *r, int sel, tui_screen *scr, const tui_view *v, char *msg, size_t n)
{
    mt_lifecycle *lc = r->lc[sel];
    mt_rundir *rd = lc ? lifecycle_rundir(lc) : NULL;
    const char *dir = rd ? rundir_path(rd) : r->folder[sel];
    if (!dir[0]) {
        snprintf(msg, n, "export: this run has no folder");
        return;
    }
    long step = r->mon[sel]->step;
    if (rd) rundir_flush(rd);
    char names[2048];
    int count = 0;
    if (tui_export_view(scr, v, dir, step, names, sizeof names, &count)) {
        snprintf(msg, n, "export failed: %s", mt_last_error());
        return;
    }
    if (r->mon[sel]->spread_n > 0) { /* a sweep's configuration: no metrics.csv of its own */
        snprintf(msg, n, "exported %s (in %s; the metrics are in its seed-<n>/ folders)", names, dir);
        return;
    }
    char csv[1300], src[1300];
    snprintf(src, sizeof src, "%s/metrics.csv", dir);
    snprintf(csv, sizeof csv, "%s/metrics-step%ld.csv", dir, step);
    if (!copy_file(src, csv)) {
        snprintf(msg, n, "export: %d SVG written, but %s: %s", count, csv, strerror(errno));
        return;
    }
    snprintf(msg, n, "exported %s and metrics-step%ld.csv (in %s)", names, step, dir);
}
