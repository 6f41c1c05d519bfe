/* svg_panes.c - the screen's other panes as SVG pictures: a relationship
 * heatmap, a text pane (the topology drawing, the notes), and the
 * comparison's table, loss curves and Pareto scatter. Each is a pure
 * function of what the screen shows, sized so no label is cut. */
#include "svg_panes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "axis.h"
#include "compare.h"
#include "heat.h"
#include "text.h"

#define CHAR_PX 6.7 /* a monospace character at the document's 11px */

static double text_px(const char *s) { return CHAR_PX * text_columns(s, -1); }

static mt_status finish(FILE *f)
{
    fputs("</svg>\n", f);
    return ferror(f) ? mt_fail(MT_ERR_IO, "svg: write failed") : MT_OK;
}

static void heat_hex(const heat_scale *hs, int level, char out[8])
{
    if (level < 0) {
        snprintf(out, 8, "#ffffff");
        return;
    }
    roles_xterm_hex(roles_heat256[hs->kind == HEAT_DIVERGING ? 0 : 1][level], out);
}

mt_status tui_svg_matrix(FILE *f, const mt_matrix *x, const double *v, const char *title, const char *subtitle)
{
    const double cell = 64, rowh = 34, top = 64;
    double lab = 40;
    for (int i = 0; i < x->rows; i++)
        if (text_px(x->row_labels[i]) + 12 > lab) lab = text_px(x->row_labels[i]) + 12;
    double colw = cell;
    for (int j = 0; j < x->cols; j++)
        if (text_px(x->col_labels[j]) + 8 > colw) colw = text_px(x->col_labels[j]) + 8;
    double W = 24 + lab + colw * x->cols + 24, H = top + 20 + rowh * x->rows + 90;
    if (W < 24 + lab + 440) W = 24 + lab + 440; /* the colour scale and its note */
    if (W < text_px(title) * 14 / 11 + 40) W = text_px(title) * 14 / 11 + 40;
    if (subtitle && W < text_px(subtitle) + 40) W = text_px(subtitle) + 40;
    if (W < 420) W = 420;
    tui_svg_begin(f, (int)W, (int)H, title);
    if (subtitle) {
        fputs("<text x=\"12\" y=\"38\" fill=\"#555\">", f);
        tui_svg_text(f, subtitle);
        fputs("</text>\n", f);
    }
    int zoomed;
    heat_scale hs = heat_scale_zoomed(v, x->rows, x->cols, x->lo, x->hi, &zoomed);
    double x0 = 24 + lab, y0 = top + 20;
    for (int j = 0; j < x->cols; j++) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x0 + colw * (j + 0.5), y0 - 8);
        tui_svg_text(f, x->col_labels[j]);
        fputs("</text>\n", f);
    }
    for (int i = 0; i < x->rows; i++) {
        double y = y0 + rowh * i;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 8, y + rowh / 2 + 4);
        tui_svg_text(f, x->row_labels[i]);
        fputs("</text>\n", f);
        for (int j = 0; j < x->cols; j++) {
            double val = v[i * x->cols + j];
            int level = heat_level(&hs, val);
            char hex[8], num[32];
            heat_hex(&hs, level, hex);
            if (isnan(val)) snprintf(num, sizeof num, "nan");
            else if (val != 0 && fabs(val) < 0.005) axis_format(val, 0, num, sizeof num);
            else snprintf(num, sizeof num, "%.3g", val);
            int dark = level >= 0 && (level <= 1 || level >= TUI_HEAT_LEVELS - 2);
            fprintf(f, "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                       "stroke=\"white\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
                    x0 + colw * j, y, colw, rowh, hex, x0 + colw * (j + 0.5), y + rowh / 2 + 4,
                    dark ? "white" : "black", num);
        }
    }
    /* the colour scale, as on the screen */
    double ly = y0 + rowh * x->rows + 24, sw = 24;
    char a[32], b[32];
    axis_format(hs.lo, 0, a, sizeof a);
    axis_format(hs.hi, 0, b, sizeof b);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", x0 - 6, ly + 12, a);
    for (int l = 0; l < TUI_HEAT_LEVELS; l++) {
        char hex[8];
        heat_hex(&hs, l, hex);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>\n", x0 + sw * l, ly, sw, hex);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x0 + sw * TUI_HEAT_LEVELS + 6, ly + 12, b);
    if (zoomed) {
        char nat[32];
        axis_format(x->hi, 0, nat, sizeof nat);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#b8860b\">tiny values: the colours span \xc2\xb1%s, not "
                   "\xc2\xb1%s</text>\n", x0, ly + 34, b, nat);
    }
    return finish(f);
}

mt_status tui_svg_text_pane(FILE *f, const char *title, const char *text, int wrap)
{
    const double lineh = 15, top = 44;
    text_span sp[1024];
    int n = 0;
    double wmax = text_px(title) * 14 / 11;
    if (wrap > 0) {
        n = text_wrap(text, wrap, sp, 1024);
    } else { /* lines as they are, never cut */
        for (const char *p = text; *p && n < 1024;) {
            const char *nl = strchr(p, '\n');
            int len = nl ? (int)(nl - p) : (int)strlen(p);
            sp[n].off = (int)(p - text);
            sp[n].len = len;
            n++;
            p += len + (nl ? 1 : 0);
        }
    }
    if (n > 1024) n = 1024;
    for (int i = 0; i < n; i++) {
        double w = CHAR_PX * text_columns(text + sp[i].off, sp[i].len);
        if (w > wmax) wmax = w;
    }
    tui_svg_begin(f, (int)(wmax + 40), (int)(top + lineh * n + 20), title);
    fputs("<g xml:space=\"preserve\">\n", f);
    for (int i = 0; i < n; i++) {
        char line[4096];
        snprintf(line, sizeof line, "%.*s", sp[i].len, text + sp[i].off);
        fprintf(f, "<text x=\"16\" y=\"%.1f\" xml:space=\"preserve\">", top + lineh * (i + 1));
        tui_svg_text(f, line);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
    return finish(f);
}

mt_status tui_svg_compare_table(FILE *f, const mt_run_result *r, int n, mt_result_split sp, int ref)
{
    if (n <= 0) return mt_fail(MT_ERR_ARG, "svg: no experiments to compare");
    const mt_run_result *rr = &r[ref >= 0 && ref < n ? ref : 0];
    const double rowh = 18, top = 64, numw = 84;
    double namew = 120;
    int any_dm = 0;
    for (int e = 0; e < n; e++) {
        char b[160];
        snprintf(b, sizeof b, "%c %s", e < 9 ? '1' + e : 'a' + (e - 9) % 26, r[e].name);
        if (text_px(b) + 16 > namew) namew = text_px(b) + 16;
        any_dm |= r[e].have_baselines;
    }
    int ncols = 0;
    for (int k = 0; k < rr->ntasks; k++) ncols += compare_metric_is_loss(r, n, sp, rr->task[k]) ? 1 : 2;
    double W = 16 + namew + numw * (ncols + any_dm) + 110, H = top + rowh * (n + 2) + 40;
    const char *def = result_split_definition(sp);
    if (W < text_px(def) + 40) W = text_px(def) + 40;
    char title[64];
    snprintf(title, sizeof title, "comparison: final %s numbers", result_split_name(sp));
    tui_svg_begin(f, (int)W, (int)H, title);
    fprintf(f, "<text x=\"12\" y=\"38\" fill=\"#555\">");
    tui_svg_text(f, def);
    fputs(" (summary.json)</text>\n", f);
    double x = 16 + namew, y = top;
    for (int k = 0; k < rr->ntasks; k++) {
        int two = !compare_metric_is_loss(r, n, sp, rr->task[k]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-weight=\"bold\" fill=\"%s\">", x + numw - 4, y,
                tui_svg_color(k));
        tui_svg_text(f, rr->task[k]);
        fprintf(f, "</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s loss</text>\n",
                x + numw - 4, y + rowh, result_split_name(sp));
        x += numw;
        if (two) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">", x + numw - 4, y + rowh);
            tui_svg_text(f, rr->metric_name[k]);
            fputs("</text>\n", f);
            x += numw;
        }
    }
    if (any_dm)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-weight=\"bold\">\xce\x94m %% (test)</text>\n",
                x + numw - 4, y + rowh);
    for (int e = 0; e < n; e++) {
        double yy = top + rowh * (e + 2);
        fprintf(f, "<text x=\"16\" y=\"%.1f\"%s>%c ", yy, e == ref ? " font-weight=\"bold\"" : "",
                e < 9 ? '1' + e : 'a' + (e - 9) % 26);
        tui_svg_text(f, r[e].name);
        fputs("</text>\n", f);
        x = 16 + namew;
        for (int k = 0; k < rr->ntasks; k++) {
            double vals[2] = {compare_loss(&r[e], sp, rr->task[k]), compare_metric(&r[e], sp, rr->task[k])};
            int two = !compare_metric_is_loss(r, n, sp, rr->task[k]);
            for (int c = 0; c < 1 + two; c++, x += numw) {
                char b[32];
                if (isnan(vals[c])) snprintf(b, sizeof b, "-");
                else snprintf(b, sizeof b, "%.4g", vals[c]);
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", x + numw - 4, yy, b);
            }
        }
        if (any_dm) {
            char b[32];
            if (r[e].have_baselines && isfinite(r[e].delta_m)) snprintf(b, sizeof b, "%+.2f", r[e].delta_m);
            else snprintf(b, sizeof b, "-");
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", x + numw - 4, yy, b);
            x += numw;
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">", x + 12, yy);
        tui_svg_text(f, r[e].status);
        fputs("</text>\n", f);
    }
    return finish(f);
}

/* The legend under a picture: one mark and name per experiment, in as
 * many rows as the names need; returns its height. */
static double experiment_legend(FILE *f, const mt_run_result *r, int n, double W, double y, int draw)
{
    double x = 16, h = 16;
    for (int e = 0; e < n; e++) {
        char b[160];
        snprintf(b, sizeof b, "%c %s", e < 9 ? '1' + e : 'a' + (e - 9) % 26, r[e].name);
        double w = 26 + text_px(b) + 16;
        if (x + w > W - 8 && x > 16) {
            x = 16;
            h += 16;
        }
        if (draw) {
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n", x,
                    y + h - 20, x + 20, y + h - 20, tui_svg_color(e));
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 26, y + h - 16);
            tui_svg_text(f, b);
            fputs("</text>\n", f);
        }
        x += w;
    }
    return h;
}

mt_status tui_svg_compare_scatter(FILE *f, const mt_run_result *r, int n, mt_result_split sp, const char *ta,
                                  const char *tb)
{
    enum { MAXE = 64 };
    if (n > MAXE) n = MAXE;
    double a[MAXE] = {0}, b[MAXE] = {0};
    int opt[MAXE] = {0};
    for (int e = 0; e < n; e++) {
        a[e] = compare_loss(&r[e], sp, ta);
        b[e] = compare_loss(&r[e], sp, tb);
    }
    compare_pareto(a, b, n, opt);
    const double W = 720, left = 72, top = 56;
    double lh = experiment_legend(f, r, n, W, 0, 0);
    double H = top + 420 + 50 + lh + 20;
    char title[2 * MT_MON_NAME + 64];
    snprintf(title, sizeof title, "pareto: final %s loss, %s vs %s", result_split_name(sp), ta, tb);
    tui_svg_begin(f, (int)W, (int)H, title);
    tui_svg_panel p = {left, top, W - left - 24, 420, INFINITY, -INFINITY, INFINITY, -INFINITY, 0};
    for (int e = 0; e < n; e++) {
        if (!isfinite(a[e]) || !isfinite(b[e])) continue;
        if (a[e] < p.x0) p.x0 = a[e];
        if (a[e] > p.x1) p.x1 = a[e];
        if (b[e] < p.y0) p.y0 = b[e];
        if (b[e] > p.y1) p.y1 = b[e];
    }
    if (!(p.x0 <= p.x1)) p.x0 = 0, p.x1 = 1, p.y0 = 0, p.y1 = 1;
    axis_pad_range(&p.x0, &p.x1, 0.08, 0);
    axis_pad_range(&p.y0, &p.y1, 0.08, 0);
    char yl[MT_MON_NAME + 32];
    snprintf(yl, sizeof yl, "y: %s (x: %s)", tb, ta);
    tui_svg_axes(f, &p, yl, 1);
    for (int e = 0; e < n; e++) {
        if (!isfinite(a[e]) || !isfinite(b[e])) continue;
        double x = tui_svg_x(&p, a[e]), y = tui_svg_y(&p, b[e]);
        fprintf(f, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"%s/>\n",
                opt[e] ? "pareto" : "dominated", x, y, opt[e] ? "5" : "3.5", tui_svg_color(e),
                opt[e] ? "" : " fill-opacity=\"0.5\"");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%c</text>\n", x + 6, y - 6, e < 9 ? '1' + e : 'a' + (e - 9) % 26);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">filled: Pareto-optimal (no run better on both)</text>\n", left,
            top + 420 + 34);
    experiment_legend(f, r, n, W, top + 420 + 50, 1);
    return finish(f);
}

/* A sweep configuration's band of one sd over its seeds: the polygon
 * between mean - sd (lo) and mean + sd (hi), clipped to the panel (a lower
 * edge at or below 0 on a log axis sits on the panel's floor). */
static void sweep_band(FILE *f, const tui_svg_panel *p, const mt_series *lo, const mt_series *hi, int e, int log_y)
{
    int n = lo->len < hi->len ? lo->len : hi->len, any = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < n; j++) {
            int i = pass ? n - 1 - j : j;
            const mt_series *s = pass ? lo : hi;
            double x = s->x[i], y = s->y[i];
            if (x < p->x0 || x > p->x1 || !isfinite(lo->y[i]) || !isfinite(hi->y[i])) continue;
            if (log_y) y = y > 0 ? log10(y) : p->y0;
            if (y < p->y0) y = p->y0;
            if (y > p->y1) y = p->y1;
            if (!any)
                fprintf(f, "<polygon class=\"band\" data-experiment=\"%d\" fill=\"%s\" fill-opacity=\"0.18\" "
                           "stroke=\"none\" points=\"",
                        e, tui_svg_color(e));
            fprintf(f, "%s%.1f,%.1f", any ? " " : "", tui_svg_x(p, x), tui_svg_y(p, y));
            any = 1;
        }
    if (any) fputs("\"/>\n", f);
}

mt_status tui_svg_compare_curves(FILE *f, const mt_monitor *const *m, const mt_run_result *r, int n, const char *task,
                                 int val, long last_steps, int log_y)
{
    const double W = 960, left = 72, top = 56;
    double lh = experiment_legend(f, r, n, W, 0, 0);
    double H = top + 400 + 40 + lh + 20;
    char title[MT_MON_NAME + 96];
    int spread = 0;
    for (int e = 0; e < n; e++) spread |= m[e]->spread_n > 1;
    snprintf(title, sizeof title, "%s %s loss, every %s", task, val ? "val" : "train",
             spread ? "configuration: mean, shaded +-1 sd over the seeds" : "experiment");
    tui_svg_begin(f, (int)W, (int)H, title);
    tui_svg_panel p = {left, top, W - left - 24, 400, INFINITY, -INFINITY, INFINITY, -INFINITY, log_y};
    for (int e = 0; e < n; e++) {
        int k = compare_find_task(m[e], task);
        if (k < 0) continue;
        const mt_series *s = val ? &m[e]->val_loss[k] : &m[e]->train_loss[k];
        for (int i = 0; i < s->len; i++) {
            if (s->x[i] < p.x0) p.x0 = s->x[i];
            if (s->x[i] > p.x1) p.x1 = s->x[i];
        }
    }
    if (!(p.x0 <= p.x1)) p.x0 = 0, p.x1 = 1;
    if (last_steps > 0 && p.x1 - (double)last_steps > p.x0) p.x0 = p.x1 - (double)last_steps;
    if (p.x1 <= p.x0) p.x1 = p.x0 + 1;
    for (int e = 0; e < n; e++) {
        int k = compare_find_task(m[e], task);
        if (k < 0) continue;
        const mt_series *s = val ? &m[e]->val_loss[k] : &m[e]->train_loss[k];
        for (int i = 0; i < s->len; i++) {
            double y = s->y[i];
            if (s->x[i] < p.x0 || !isfinite(y) || (log_y && y <= 0)) continue;
            if (log_y) y = log10(y);
            if (y < p.y0) p.y0 = y;
            if (y > p.y1) p.y1 = y;
        }
    }
    for (int e = 0; e < n; e++) { /* a sweep's band: its upper edge sets the range too */
        int k = compare_find_task(m[e], task);
        if (k < 0 || m[e]->spread_n < 2) continue;
        const mt_series *s = val ? &m[e]->val_hi[k] : &m[e]->train_hi[k];
        for (int i = 0; i < s->len; i++) {
            double y = s->y[i];
            if (s->x[i] < p.x0 || !isfinite(y) || (log_y && y <= 0)) continue;
            if (log_y) y = log10(y);
            if (y > p.y1) p.y1 = y;
        }
    }
    if (!(p.y0 <= p.y1)) p.y0 = 0, p.y1 = 1;
    axis_pad_range(&p.y0, &p.y1, 0.05, log_y);
    tui_svg_axes(f, &p, log_y ? "loss (log scale)" : "loss", 1);
    for (int e = 0; e < n; e++) { /* first the bands, under every curve */
        int k = compare_find_task(m[e], task);
        if (k < 0 || m[e]->spread_n < 2) continue;
        sweep_band(f, &p, val ? &m[e]->val_lo[k] : &m[e]->train_lo[k], val ? &m[e]->val_hi[k] : &m[e]->train_hi[k],
                   e, log_y);
    }
    for (int e = 0; e < n; e++) {
        int k = compare_find_task(m[e], task);
        if (k < 0) continue;
        const mt_series *s = val ? &m[e]->val_loss[k] : &m[e]->train_loss[k];
        int open = 0;
        for (int i = 0; i < s->len; i++) {
            double y = s->y[i];
            int ok = s->x[i] >= p.x0 && isfinite(y) && !(log_y && y <= 0);
            if (!ok) {
                if (open) fputs("\"/>\n", f);
                open = 0;
                continue;
            }
            if (log_y) y = log10(y);
            if (!open)
                fprintf(f, "<polyline class=\"%s\" data-experiment=\"%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"",
                        val ? "val" : "train", e, tui_svg_color(e), val ? " stroke-dasharray=\"6,4\"" : "");
            else fputc(' ', f);
            open = 1;
            fprintf(f, "%.1f,%.1f", tui_svg_x(&p, s->x[i]), tui_svg_y(&p, y));
        }
        if (open) fputs("\"/>\n", f);
        for (int i = 0; i < m[e]->nmarks; i++) { /* this run's method switches */
            double x = (double)m[e]->mark[i].step;
            if (x < p.x0 || x > p.x1) continue;
            fprintf(f, "<line class=\"mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                       "stroke-dasharray=\"2,3\"/>\n<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%c: ",
                    tui_svg_x(&p, x), p.py, tui_svg_x(&p, x), p.py + p.ph, tui_svg_color(e), tui_svg_x(&p, x) + 3,
                    p.py + 12 + 12 * (i % 4), tui_svg_color(e), e < 9 ? '1' + e : 'a' + (e - 9) % 26);
            tui_svg_text(f, m[e]->mark[i].label);
            fprintf(f, " at %ld</text>\n", m[e]->mark[i].step);
        }
    }
    experiment_legend(f, r, n, W, top + 440, 1);
    return finish(f);
}
