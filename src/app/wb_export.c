/* wb_export.c - the `e` key: the plots on screen as SVG and a copy of the
 * metrics CSV, beside the run's files. */
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

void wb_export(wb_runs *r, int sel, tui_screen *scr, char *msg, size_t n)
{
    mt_lifecycle *lc = r->lc[sel];
    mt_rundir *rd = lc ? lifecycle_rundir(lc) : NULL;
    if (!rd) {
        snprintf(msg, n, "export: this run records nothing");
        return;
    }
    long step = trainer_step_count(lifecycle_trainer(lc));
    char svg[1300], csv[1300], src[1300];
    rundir_flush(rd);
    snprintf(svg, sizeof svg, "%s/plots-step%ld.svg", rundir_path(rd), step);
    tui_svg_options so;
    tui_svg_view(scr, &so);
    if (tui_export_svg(svg, r->mon[sel], &so)) {
        snprintf(msg, n, "export failed: %s", mt_last_error());
        return;
    }
    rundir_file(rd, "metrics.csv", src, sizeof src);
    snprintf(csv, sizeof csv, "%s/metrics-step%ld.csv", rundir_path(rd), step);
    if (!copy_file(src, csv)) {
        snprintf(msg, n, "export failed: %s: %s", csv, strerror(errno));
        return;
    }
    const char *sv = strrchr(svg, '/'), *cv = strrchr(csv, '/');
    snprintf(msg, n, "exported %s, %s (in %s)", sv ? sv + 1 : svg, cv ? cv + 1 : csv, rundir_path(rd));
}
