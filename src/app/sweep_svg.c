/* sweep_svg.c - DIR/sweep.svg, drawn with the SVG writer's building
 * blocks (src/tui/svg.h): one panel per main task with each
 * configuration's mean score and its 95% interval as an error bar, and
 * the Pareto scatter of the first two main tasks' means. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sweep.h"
#include "tui/axis.h"
#include "tui/svg.h"

#define MAX_PANELS 4

typedef struct {
    const mt_sweep_plan *p;
    const mt_sweep_results *res;
    const mt_sweep_table *t;
} sweep_picture;

static const mt_stat *score(const sweep_picture *sp, int c, int k)
{
    const mt_sweep_results *r = sp->res;
    return &sp->t->q[((size_t)c * r->ntasks + k) * MT_SQ_COUNT + r->score];
}

/* The range of the means and interval ends of task k over configurations. */
static void value_range(const sweep_picture *sp, int k, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int c = 0; c < sp->res->nconfigs; c++) {
        const mt_stat *s = score(sp, c, k);
        const double v[3] = {s->mean, s->lo, s->hi};
        for (int i = 0; i < 3; i++)
            if (isfinite(v[i])) {
                *lo = fmin(*lo, v[i]);
                *hi = fmax(*hi, v[i]);
            }
    }
    if (!(*lo <= *hi)) {
        *lo = 0;
        *hi = 1;
    }
    axis_pad_range(lo, hi, 0.08, 0);
}

static void label_for(const sweep_picture *sp, int k, char *buf, size_t n)
{
    const mt_sweep_task *t = &sp->res->task[k];
    snprintf(buf, n, "%s: %s %s (%s), mean and 95%% interval", t->name,
             sp->res->score == MT_SQ_TEST_METRIC ? "test" : "val", t->metric,
             t->higher_better ? "higher is better" : "lower is better");
}

static void error_bar_v(FILE *f, double x, double ylo, double yhi, const char *col)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x, ylo, x, yhi, col);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x - 4, ylo, x + 4, ylo, col);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x - 4, yhi, x + 4, yhi, col);
}

static void task_panel(FILE *f, const sweep_picture *sp, int k, const tui_svg_panel *pp)
{
    tui_svg_panel p = *pp;
    int n = sp->res->nconfigs;
    p.x0 = 0.5;
    p.x1 = n + 0.5;
    value_range(sp, k, &p.y0, &p.y1);
    char lab[256];
    label_for(sp, k, lab, sizeof lab);
    fprintf(f, "<g class=\"task\" data-task=\"");
    tui_svg_text(f, sp->res->task[k].name);
    fputs("\">\n", f);
    tui_svg_axes(f, &p, lab, 0);
    for (int c = 0; c < n; c++) {
        const mt_stat *s = score(sp, c, k);
        double x = tui_svg_x(&p, c + 1);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", x, p.py + p.ph + 16, c + 1);
        if (!isfinite(s->mean)) continue;
        const char *col = tui_svg_color(c);
        if (isfinite(s->lo) && isfinite(s->hi)) error_bar_v(f, x, tui_svg_y(&p, s->lo), tui_svg_y(&p, s->hi), col);
        fprintf(f, "<circle class=\"mean\" data-config=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"/>\n", c + 1,
                x, tui_svg_y(&p, s->mean), sp->t->pareto[c] ? "5" : "3.5", col);
    }
    fputs("</g>\n", f);
}

static int by_x(const double *xs, int a, int b) { return xs[a] < xs[b]; }

static void pareto_panel(FILE *f, const sweep_picture *sp, int ka, int kb, const tui_svg_panel *pp)
{
    tui_svg_panel p = *pp;
    value_range(sp, ka, &p.x0, &p.x1);
    value_range(sp, kb, &p.y0, &p.y1);
    const mt_sweep_results *r = sp->res;
    char lab[256];
    snprintf(lab, sizeof lab, "Pareto front of the means: %s %s (x) against %s %s (y); front points larger, joined",
             r->task[ka].name, r->task[ka].metric, r->task[kb].name, r->task[kb].metric);
    fputs("<g id=\"pareto\">\n", f);
    tui_svg_axes(f, &p, lab, 1);
    /* the front, joined in order of x */
    int order[256], nf = 0;
    double xs[256];
    for (int c = 0; c < r->nconfigs && c < 256; c++) {
        if (!sp->t->pareto[c] || !isfinite(score(sp, c, ka)->mean) || !isfinite(score(sp, c, kb)->mean)) continue;
        xs[c] = score(sp, c, ka)->mean;
        order[nf++] = c;
    }
    for (int i = 1; i < nf; i++)
        for (int j = i; j > 0 && by_x(xs, order[j], order[j - 1]); j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    if (nf > 1) {
        fputs("<polyline class=\"front\" fill=\"none\" stroke=\"#888\" stroke-dasharray=\"4,3\" points=\"", f);
        for (int i = 0; i < nf; i++)
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", tui_svg_x(&p, score(sp, order[i], ka)->mean),
                    tui_svg_y(&p, score(sp, order[i], kb)->mean));
        fputs("\"/>\n", f);
    }
    for (int c = 0; c < r->nconfigs; c++) {
        const mt_stat *a = score(sp, c, ka), *b = score(sp, c, kb);
        if (!isfinite(a->mean) || !isfinite(b->mean)) continue;
        const char *col = tui_svg_color(c);
        double x = tui_svg_x(&p, a->mean), y = tui_svg_y(&p, b->mean);
        if (isfinite(b->lo) && isfinite(b->hi)) error_bar_v(f, x, tui_svg_y(&p, b->lo), tui_svg_y(&p, b->hi), col);
        if (isfinite(a->lo) && isfinite(a->hi))
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                    tui_svg_x(&p, a->lo), y, tui_svg_x(&p, a->hi), y, col);
        fprintf(f, "<circle class=\"config\" data-config=\"%d\" data-pareto=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" "
                   "fill=\"%s\"/>\n",
                c + 1, sp->t->pareto[c], x, y, sp->t->pareto[c] ? "6" : "4", col);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%d</text>\n", x + 7, y - 5, c + 1);
    }
    fputs("</g>\n", f);
}

static mt_status write_picture(FILE *f, void *ud)
{
    const sweep_picture *sp = ud;
    const mt_sweep_results *r = sp->res;
    int main_task[MAX_PANELS], nm = 0;
    for (int k = 0; k < r->ntasks && nm < MAX_PANELS; k++)
        if (!r->task[k].aux) main_task[nm++] = k;
    const double W = 1100, legend_w = 340, left = 70, ph = 200, gap = 70, top = 56;
    int panels = nm + (nm >= 2);
    double H = top + panels * (ph + gap) + 10;
    if (H < 200) H = 200;
    char title[512];
    snprintf(title, sizeof title, "sweep: %s  (%d configurations x %d seeds; reference %d)", sp->p->spec.script,
             r->nconfigs, r->nseeds, sp->t->reference + 1);
    tui_svg_begin(f, (int)W, (int)H, title);
    for (int i = 0; i < nm; i++) {
        tui_svg_panel p = {left, top + i * (ph + gap), W - left - legend_w - 20, ph, 0, 1, 0, 1, 0};
        task_panel(f, sp, main_task[i], &p);
    }
    if (nm >= 2) {
        tui_svg_panel p = {left, top + nm * (ph + gap), W - left - legend_w - 20, ph, 0, 1, 0, 1, 0};
        pareto_panel(f, sp, main_task[0], main_task[1], &p);
    }
    fputs("<g id=\"legend\">\n", f);
    double lx = W - legend_w, ly = top + 4;
    for (int c = 0; c < r->nconfigs && ly < H - 10; c++, ly += 18) {
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", lx + 4, ly - 4, tui_svg_color(c));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%d ", lx + 14, ly, c + 1);
        tui_svg_text(f, sp->p->config[c].name);
        fprintf(f, "%s%s</text>\n", c == sp->t->reference ? " (reference)" : "", sp->t->pareto[c] ? " *" : "");
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">* on the Pareto front of the means</text>\n", lx,
            ly + 8);
    fputs("</g>\n</svg>\n", f);
    if (ferror(f)) return mt_fail(MT_ERR_IO, "svg: write failed");
    return MT_OK;
}

mt_status sweep_write_svg(const char *path, const mt_sweep_plan *p, const mt_sweep_results *res,
                          const mt_sweep_table *t)
{
    sweep_picture sp = {p, res, t};
    return tui_svg_to_file(path, write_picture, &sp);
}
