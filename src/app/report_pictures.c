/* report_pictures.c - the pictures of `mtlab report` (report.c writes the
 * rest of the page): the curves of every task across runs with method
 * switches marked, the Pareto scatter, the landscape with every path, the
 * matrices (mean over the run and at chosen steps), the topology. Each is
 * a screen SVG writer (tui/svg.c, svg_panes.c, pane_band.c) placed inline;
 * only the landscape is drawn here, with tui/svg.h's building blocks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "data/landscape.h"
#include "report_impl.h"
#include "tui/axis.h"
#include "tui/compare.h"
#include "tui/pane_band.h"
#include "tui/svg.h"
#include "tui/svg_panes.h"

/* ---- pictures ---------------------------------------------------------------------- */

typedef struct {
    const report *r;
    const char *task;
    int val, log_y;
} curves_pic;

static mt_status draw_curves(FILE *f, const void *ud)
{
    const curves_pic *c = ud;
    return tui_svg_compare_curves(f, (const mt_monitor *const *)c->r->mon, c->r->res, c->r->n, c->task, c->val, 0,
                                  c->log_y);
}

/* Log scale when every value is positive and they span two decades. */
static int wants_log(const report *r, const char *task, int val)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < r->n; i++) {
        int k = compare_find_task(r->mon[i], task);
        if (k < 0) continue;
        const mt_series *s = val ? &r->mon[i]->val_loss[k] : &r->mon[i]->train_loss[k];
        for (int j = 0; j < s->len; j++) {
            if (!isfinite(s->y[j])) continue;
            if (s->y[j] <= 0) return 0;
            lo = fmin(lo, s->y[j]);
            hi = fmax(hi, s->y[j]);
        }
    }
    return lo < hi && hi / lo > 100;
}

static int has_series(const report *r, const char *task, int val)
{
    for (int i = 0; i < r->n; i++) {
        int k = compare_find_task(r->mon[i], task);
        if (k >= 0 && (val ? r->mon[i]->val_loss[k].len : r->mon[i]->train_loss[k].len)) return 1;
    }
    return 0;
}

/* The tasks of every run, each once, in the order they first appear. */
static int task_union(const report *r, const char *names[], int max)
{
    int n = 0;
    for (int i = 0; i < r->n; i++)
        for (int k = 0; k < r->mon[i]->ntasks; k++) {
            int seen = 0;
            for (int j = 0; j < n; j++) seen |= strcmp(names[j], r->mon[i]->task[k]) == 0;
            if (!seen && n < max) names[n++] = r->mon[i]->task[k];
        }
    return n;
}

typedef struct {
    const mt_monitor *m;
} monitor_pic;

static mt_status draw_monitor(FILE *f, const void *ud)
{
    const monitor_pic *p = ud;
    tui_svg_options o = {960, 560, 0, 0};
    return tui_svg_write(f, p->m, &o);
}

mt_status report_curves(FILE *f, const report *r)
{
    fputs("<h2 id=\"curves\">Training and validation curves</h2>\n<p class=\"note\">Per task, every run's curve "
          "(training: the mean loss of each evaluation window; validation: dashed), method switches as dotted "
          "lines.</p>\n",
          f);
    const char *tasks[MT_MAX_TASKS * 4];
    int nt = task_union(r, tasks, MT_MAX_TASKS * 4);
    mt_status st = MT_OK;
    for (int t = 0; t < nt && !st; t++) {
        fputs("<div class=\"row\">\n", f);
        for (int val = 0; val < 2 && !st; val++) {
            if (!has_series(r, tasks[t], val)) continue;
            curves_pic c = {r, tasks[t], val, wants_log(r, tasks[t], val)};
            st = report_inline_svg(f, draw_curves, &c, "curves");
        }
        fputs("</div>\n", f);
    }
    if (r->n <= 8)
        for (int i = 0; i < r->n && !st; i++) {
            fputs("<details><summary>", f);
            report_esc(f, r->res[i].name);
            fputs(": every task's loss and loss weight</summary>\n", f);
            monitor_pic p = {r->mon[i]};
            st = report_inline_svg(f, draw_monitor, &p, "monitor");
            fputs("</details>\n", f);
        }
    return st;
}

typedef struct {
    const report *r;
    mt_result_split sp;
    const char *ta, *tb;
} scatter_pic;

static mt_status draw_scatter(FILE *f, const void *ud)
{
    const scatter_pic *s = ud;
    return tui_svg_compare_scatter(f, s->r->res, s->r->n, s->sp, s->ta, s->tb);
}

mt_status report_pareto(FILE *f, const report *r)
{
    fputs("<h2 id=\"pareto\">Pareto scatter</h2>\n", f);
    int ta, tb;
    if (r->n < 2 || compare_pick_tasks(&r->res[0], &ta, &tb) < 2) {
        fputs("<p class=\"note\">Needs two runs with two tasks.</p>\n", f);
        return MT_OK;
    }
    mt_result_split sp = MT_RES_TRAIN;
    for (int i = 0; i < r->n; i++) {
        if (isfinite(r->res[i].loss[MT_RES_TEST][ta])) sp = MT_RES_TEST;
        else if (sp == MT_RES_TRAIN && isfinite(r->res[i].loss[MT_RES_VAL][ta])) sp = MT_RES_VAL;
    }
    fprintf(f, "<p class=\"note\">Final %s losses (%s).</p>\n", result_split_name(sp), result_split_definition(sp));
    scatter_pic s = {r, sp, r->res[0].task[ta], r->res[0].task[tb]};
    return report_inline_svg(f, draw_scatter, &s, "pareto");
}

/* ---- the landscape: the paths in the plane and in objective space --------------------- */

typedef struct {
    const report *r;
    const mt_landscape *ls; /* the background's function, or NULL */
} landscape_pic;

int report_is_path_run(const report *r, int i)
{
    long st;
    int rows, cols;
    return runread_update(r->rec[i], "position", 0, &st, &rows, &cols) && rows == 1 && cols == 2;
}

/* The extent of matrix `name`'s (1 x 2) updates over the path runs. */
static int path_extent(const report *r, const char *name, double *x0, double *x1, double *y0, double *y1)
{
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (int i = 0; i < r->n; i++) {
        if (!report_is_path_run(r, i)) continue;
        long st;
        int rows, cols;
        const double *v;
        for (int u = 0; (v = runread_update(r->rec[i], name, u, &st, &rows, &cols)); u++) {
            if (rows * cols < 2 || !isfinite(v[0]) || !isfinite(v[1])) continue;
            *x0 = fmin(*x0, v[0]);
            *x1 = fmax(*x1, v[0]);
            *y0 = fmin(*y0, v[1]);
            *y1 = fmax(*y1, v[1]);
        }
    }
    if (!(*x0 <= *x1)) return 0;
    axis_pad_range(x0, x1, 0.08, 0);
    axis_pad_range(y0, y1, 0.08, 0);
    return 1;
}

static void path_panel(FILE *f, const report *r, const char *name, const tui_svg_panel *p)
{
    for (int i = 0; i < r->n; i++) {
        if (!report_is_path_run(r, i)) continue;
        long st;
        int rows, cols, open = 0;
        const double *v;
        double fx = NAN, fy = NAN, lx = NAN, ly = NAN;
        for (int u = 0; (v = runread_update(r->rec[i], name, u, &st, &rows, &cols)); u++) {
            if (rows * cols < 2 || !isfinite(v[0]) || !isfinite(v[1])) continue;
            double x = tui_svg_x(p, v[0]), y = tui_svg_y(p, v[1]);
            if (!open)
                fprintf(f, "<polyline class=\"path\" data-run=\"%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
                           "points=\"",
                        i, tui_svg_color(i));
            else fputc(' ', f);
            fprintf(f, "%.1f,%.1f", x, y);
            if (!open) fx = x, fy = y;
            lx = x, ly = y;
            open = 1;
        }
        if (!open) continue;
        fputs("\"/>\n", f);
        fprintf(f, "<circle class=\"start\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"white\" stroke=\"%s\" "
                   "stroke-width=\"2\"/>\n<circle class=\"end\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n",
                fx, fy, tui_svg_color(i), lx, ly, tui_svg_color(i));
    }
}

/* A grey background of f1 + f2 over the plane (darker is lower). */
static void landscape_background(FILE *f, const mt_landscape *ls, const tui_svg_panel *p)
{
    enum { G = 48 };
    static double v[G * G];
    double lo = INFINITY, hi = -INFINITY;
    for (int a = 0; a < G; a++)
        for (int b = 0; b < G; b++) {
            double x[2] = {p->x0 + (p->x1 - p->x0) * (b + 0.5) / G, p->y1 - (p->y1 - p->y0) * (a + 0.5) / G}, fv[2];
            ls->eval(x, 2, fv, NULL);
            v[a * G + b] = fv[0] + fv[1];
            if (isfinite(v[a * G + b])) lo = fmin(lo, v[a * G + b]), hi = fmax(hi, v[a * G + b]);
        }
    if (!(lo < hi)) return;
    double cw = p->pw / G, ch = p->ph / G;
    fputs("<g class=\"background\">\n", f);
    for (int a = 0; a < G; a++)
        for (int b = 0; b < G; b++) {
            double t = isfinite(v[a * G + b]) ? (v[a * G + b] - lo) / (hi - lo) : 1;
            int g = 150 + (int)(100 * t);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"rgb(%d,%d,%d)\"/>\n",
                    p->px + b * cw, p->py + a * ch, cw + 0.3, ch + 0.3, g, g, g + 5 > 255 ? 255 : g + 5);
        }
    fputs("</g>\n", f);
}

static mt_status draw_landscape(FILE *f, const void *ud)
{
    const landscape_pic *lp = ud;
    const report *r = lp->r;
    const double W = 1100, H = 560, top = 56, ph = 420, pw = 440;
    tui_svg_begin(f, (int)W, (int)H, "landscape: the path of each run's point x and of its objectives (f1, f2)");
    tui_svg_panel a = {70, top, pw, ph, 0, 1, 0, 1, 0}, b = {70 + pw + 90, top, pw, ph, 0, 1, 0, 1, 0};
    if (path_extent(r, "position", &a.x0, &a.x1, &a.y0, &a.y1)) {
        if (lp->ls) landscape_background(f, lp->ls, &a);
        tui_svg_axes(f, &a, lp->ls ? "x2 against x1, over f1 + f2 (darker: lower)" : "x2 against x1", 1);
        path_panel(f, r, "position", &a);
    }
    if (path_extent(r, "objectives", &b.x0, &b.x1, &b.y0, &b.y1)) {
        tui_svg_axes(f, &b, "f2 against f1", 1);
        path_panel(f, r, "objectives", &b);
    }
    fprintf(f, "<text x=\"70\" y=\"%.1f\" fill=\"#555\">open circle: start; filled: end; colours as in the "
               "tables</text>\n",
            top + ph + 36);
    fputs("</svg>\n", f);
    return ferror(f) ? mt_fail(MT_ERR_IO, "svg: write failed") : MT_OK;
}

mt_status report_landscape(FILE *f, const report *r)
{
    int any = 0;
    const mt_landscape *ls = NULL;
    for (int i = 0; i < r->n; i++) {
        if (!report_is_path_run(r, i)) continue;
        const cJSON *tp = report_jget(r->cfg[i], "topology");
        const mt_landscape *l = landscape_find(report_jstr(tp, "problem", ""));
        if (!any) ls = l;
        else if (ls != l) ls = NULL; /* different problems: no common background */
        any = 1;
    }
    if (!any) return MT_OK;
    fputs("<h2 id=\"landscape\">Landscape</h2>\n", f);
    landscape_pic p = {r, ls};
    return report_inline_svg(f, draw_landscape, &p, "landscape");
}

/* ---- matrices ------------------------------------------------------------------------- */

typedef struct {
    const mt_matrix *x;
    const double *v;
    const char *title, *subtitle;
} matrix_pic;

static mt_status draw_matrix(FILE *f, const void *ud)
{
    const matrix_pic *p = ud;
    return tui_svg_matrix(f, p->x, p->v, p->title, p->subtitle);
}

static mt_status draw_band(FILE *f, const void *ud)
{
    const matrix_pic *p = ud;
    return band_svg_write(f, p->x, p->title, 0, 0);
}

/* What a topology learns (mixing weights, task covariances, expert
 * usage), as opposed to what the trainer measures between tasks. */
static int is_mixing(const char *name)
{
    static const char *const words[] = {"alpha", "beta", "covariance", "correlation", "expert", "gate",
                                        "task matrix", "responsibility", "co-membership", "task distance"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(name, words[i])) return 1;
    return 0;
}

static int skipped_matrix(const char *name)
{
    /* the landscape's paths and the weights' history have their own pictures */
    return strcmp(name, "position") == 0 || strcmp(name, "objectives") == 0 || strcmp(name, "loss weights") == 0;
}

mt_status report_matrices(FILE *f, report *r, int mixing)
{
    mt_status st = MT_OK;
    int any = 0;
    for (int i = 0; i < r->n && !st; i++) {
        mt_recorded *rec = r->rec[i];
        mt_monitor *m = r->mon[i];
        int nst;
        const long *steps = runread_steps(rec, &nst);
        if (!nst) continue;
        long last = steps[nst - 1];
        runread_seek(rec, last);
        int header = 0;
        for (int k = 0; k < m->nmatrices && !st; k++) {
            char name[MT_MON_NAME];
            snprintf(name, sizeof name, "%s", m->matrix[k].name);
            if (skipped_matrix(name) || is_mixing(name) != mixing) continue;
            if (!header) {
                if (!any) {
                    fputs(mixing ? "<h2 id=\"mixing\">Learned mixing</h2>\n<p class=\"note\">What the topology "
                                   "learned: cross-stitch and sluice \xce\xb1 (\xce\xb2), the task covariance "
                                   "\xce\xa9 of a deep relationship network, expert usage and gates.</p>\n"
                                 : "<h2 id=\"relations\">Relation matrices</h2>\n<p class=\"note\">Measured between "
                                   "the tasks during training: the mean over the run and the value at the chosen "
                                   "steps (--steps; default the last update).</p>\n",
                          f);
                    any = 1;
                }
                fputs("<h3>", f);
                report_swatch(f, i);
                report_esc(f, r->res[i].name);
                fputs("</h3>\n", f);
                header = 1;
            }
            runread_seek(rec, last);
            mt_matrix *x = monitor_find_matrix(m, name);
            if (!x || !x->valid) continue;
            if (strcmp(name, MT_MON_BAND) == 0) {
                matrix_pic p = {x, x->v, name, NULL};
                st = report_inline_svg(f, draw_band, &p, "band");
                continue;
            }
            char sub[160];
            snprintf(sub, sizeof sub, "mean over %ld updates, steps %ld to %ld", x->updates, x->first_step, x->step);
            matrix_pic p = {x, monitor_matrix_values(x, MT_MAT_MEAN), name, sub};
            fprintf(f, "<div class=\"row matrix\" data-run=\"%d\">\n", i);
            st = report_inline_svg(f, draw_matrix, &p, "matrix mean");
            long at[REPORT_MAX_STEPS];
            int nat = r->nsteps;
            if (nat) memcpy(at, r->steps, sizeof at);
            else at[nat++] = last;
            for (int s = 0; s < nat && !st; s++) {
                runread_seek(rec, at[s]);
                x = monitor_find_matrix(m, name);
                if (!x || !x->valid) continue;
                snprintf(sub, sizeof sub, "at step %ld (the update of step %ld)", at[s], x->step);
                matrix_pic q = {x, x->v, name, sub};
                st = report_inline_svg(f, draw_matrix, &q, "matrix step");
            }
            fputs("</div>\n", f);
        }
        runread_seek(rec, last);
    }
    return st;
}

typedef struct {
    const char *title, *text;
} text_pic;

static mt_status draw_text(FILE *f, const void *ud)
{
    const text_pic *p = ud;
    return tui_svg_text_pane(f, p->title, p->text, 0);
}

mt_status report_topology(FILE *f, const report *r)
{
    fputs("<h2 id=\"topology\">Topology</h2>\n", f);
    mt_status st = MT_OK;
    for (int i = 0; i < r->n && !st; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= strcmp(r->mon[j]->topology, r->mon[i]->topology) == 0;
        if (seen || !r->mon[i]->topology[0]) continue;
        fputs("<p>", f);
        for (int j = i, first = 1; j < r->n; j++) {
            if (strcmp(r->mon[j]->topology, r->mon[i]->topology) != 0) continue;
            fputs(first ? "" : ", ", f);
            report_swatch(f, j);
            report_esc(f, r->res[j].name);
            first = 0;
        }
        fputs("</p>\n", f);
        char title[200];
        snprintf(title, sizeof title, "topology: %s", r->res[i].name);
        text_pic p = {title, r->mon[i]->topology};
        st = report_inline_svg(f, draw_text, &p, "topology");
    }
    return st;
}

/* A sweep folder's sweep.csv as a table. */

int report_any_matrix(const report *r, int mixing)
{
    for (int i = 0; i < r->n; i++)
        for (int k = 0; k < r->mon[i]->nmatrices; k++) {
            const char *name = r->mon[i]->matrix[k].name;
            if (!skipped_matrix(name) && is_mixing(name) == mixing) return 1;
        }
    return 0;
}
