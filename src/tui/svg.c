#include "svg.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include "axis.h"
#include "text.h"

/* The same hues as the screen's task colours, in the same order. */
static const char *const task_hex[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                        "#9467bd", "#17becf", "#e377c2", "#8c564b" };
#define NHEX ((int)(sizeof task_hex / sizeof task_hex[0]))

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* control characters are not allowed in XML 1.0 */
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') fputc('?', f);
            else fputc(*s, f);
        }
    }
}

typedef tui_svg_panel svg_panel;

static double map_x(const svg_panel *p, double x) { return p->px + (x - p->x0) / (p->x1 - p->x0) * p->pw; }
static double map_y(const svg_panel *p, double y) { return p->py + (p->y1 - y) / (p->y1 - p->y0) * p->ph; }

static int series_value(const svg_panel *p, double y, double *out)
{
    if (!isfinite(y)) return 0;
    if (p->log) {
        if (y <= 0.0) return 0;
        y = log10(y);
    }
    *out = y;
    return 1;
}

/* One series as polylines (a new one after every gap); returns the number
 * of points written. */
static int svg_series(FILE *f, const svg_panel *p, const mt_series *s, const char *cls, int task,
                      const char *style)
{
    int open = 0, written = 0;
    for (int i = 0; i < s->len; i++) {
        double y;
        int ok = isfinite(s->x[i]) && s->x[i] >= p->x0 && s->x[i] <= p->x1 &&
                 series_value(p, s->y[i], &y);
        if (!ok) {
            if (open) fputs("\"/>\n", f);
            open = 0;
            continue;
        }
        if (!open) {
            fprintf(f, "<polyline class=\"%s\" data-task=\"%d\" fill=\"none\" %s points=\"", cls,
                    task, style);
            open = 1;
        } else {
            fputc(' ', f);
        }
        fprintf(f, "%.1f,%.1f", map_x(p, s->x[i]), map_y(p, y));
        written++;
    }
    if (open) fputs("\"/>\n", f);
    return written;
}

static void svg_axes(FILE *f, const svg_panel *p, const char *ylabel, int x_ticks)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#888\"/>\n", p->px, p->py, p->pw, p->ph);
    double t[16], step = 0;
    char lab[32];
    int n;
    if (p->log) {
        n = axis_log_ticks(pow(10.0, p->y0), pow(10.0, p->y1), 6, t, 16);
        for (int i = 0; i < n; i++) t[i] = log10(t[i]);
    } else {
        n = axis_ticks(p->y0, p->y1, 6, t, 16, &step);
    }
    for (int i = 0; i < n; i++) {
        double y = map_y(p, t[i]);
        axis_format(p->log ? pow(10.0, t[i]) : t[i], p->log ? 0.0 : step, lab, sizeof lab);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                p->px, y, p->px + p->pw, y);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", p->px - 6,
                y + 4, lab);
    }
    n = x_ticks ? axis_ticks(p->x0, p->x1, 8, t, 16, &step) : 0;
    for (int i = 0; i < n; i++) {
        double x = map_x(p, t[i]);
        axis_format(t[i], step, lab, sizeof lab);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", x,
                p->py + p->ph, x, p->py + p->ph + 4);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
                p->py + p->ph + 16, lab);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">", p->px, p->py - 6);
    xml_text(f, ylabel);
    fputs("</text>\n", f);
}

/* The x range of all series in `which` (train/val or weights), limited to
 * the last `last` steps. */
static void x_extent(const mt_monitor *m, int weights, long last, double *x0, double *x1)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int t = 0; t < m->ntasks; t++) {
        const mt_series *ss[2] = { weights ? &m->weight[t] : &m->train_loss[t],
                                   weights ? NULL : &m->val_loss[t] };
        for (int k = 0; k < 2; k++) {
            if (!ss[k] || !ss[k]->len) continue;
            if (ss[k]->x[0] < lo) lo = ss[k]->x[0];
            if (ss[k]->x[ss[k]->len - 1] > hi) hi = ss[k]->x[ss[k]->len - 1];
        }
    }
    if (!(lo <= hi)) {
        lo = 0;
        hi = 1;
    }
    if (last > 0 && hi - last > lo) lo = hi - (double)last;
    if (hi <= lo) hi = lo + 1;
    *x0 = lo;
    *x1 = hi;
}

static void y_extent(const mt_monitor *m, int weights, svg_panel *p)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int t = 0; t < m->ntasks; t++) {
        /* a sweep's configuration: its band (mean -/+ sd) is drawn too */
        int band = !weights && m->spread_n > 1 && !m->aux[t];
        const mt_series *ss[4] = { weights ? &m->weight[t] : &m->train_loss[t],
                                   weights ? NULL : &m->val_loss[t], band ? &m->train_hi[t] : NULL,
                                   band ? &m->val_hi[t] : NULL };
        for (int k = 0; k < 4; k++) {
            if (!ss[k]) continue;
            for (int i = 0; i < ss[k]->len; i++) {
                double y;
                if (ss[k]->x[i] < p->x0 || ss[k]->x[i] > p->x1) continue;
                if (!series_value(p, ss[k]->y[i], &y)) continue;
                if (y < lo) lo = y;
                if (y > hi) hi = y;
            }
        }
    }
    axis_pad_range(&lo, &hi, 0.05, p->log);
    p->y0 = lo;
    p->y1 = hi;
}

/* Pixels a line of monospace text needs at the document's 11px. */
static double text_px(const char *s) { return 6.7 * text_columns(s, -1); }

/* The method switches within the panel: a dashed vertical line each, the
 * new method's name at its top. */
static void svg_marks(FILE *f, const svg_panel *p, const mt_monitor *m)
{
    for (int i = 0; i < m->nmarks; i++) {
        double x = (double)m->mark[i].step;
        if (x < p->x0 || x > p->x1) continue;
        double px = map_x(p, x);
        fprintf(f, "<line class=\"mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b8860b\" "
                   "stroke-dasharray=\"2,3\"/>\n", px, p->py, px, p->py + p->ph);
        const char *to = strstr(m->mark[i].label, "\xe2\x86\x92 ");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#b8860b\">", px + 3, p->py + 11);
        xml_text(f, to ? to + 4 : m->mark[i].label);
        fputs("</text>\n", f);
    }
}

mt_status tui_svg_write(FILE *f, const mt_monitor *m, const tui_svg_options *o)
{
    tui_svg_options d = { 960, 640, 0, 0 };
    if (o) d = *o;
    if (d.width <= 0 || d.height <= 0) {
        d.width = 960;
        d.height = 640;
    }
    if (d.width < 320) d.width = 320;
    if (d.height < 240) d.height = 240;
    /* the legend is never cut: it is as wide as its longest line and the
     * picture as tall as the legend needs */
    double legend_w = 220, top = 48;
    char lines[2][160];
    for (int t = 0; t < m->ntasks; t++) {
        char a[32], b[32], w[32];
        axis_format(series_last(&m->train_loss[t]), 0, a, sizeof a);
        axis_format(series_last(&m->val_loss[t]), 0, b, sizeof b);
        axis_format(series_last(&m->weight[t]), 0, w, sizeof w);
        snprintf(lines[0], sizeof lines[0], "%s%s", m->task[t], m->aux[t] ? " (aux)" : "");
        snprintf(lines[1], sizeof lines[1], "train %s  val %s  w %s", a, b, w);
        for (int k = 0; k < 2; k++)
            if (28 + text_px(lines[k]) + 12 > legend_w) legend_w = 28 + text_px(lines[k]) + 12;
    }
    for (int i = 0; i < m->nmarks; i++) {
        snprintf(lines[0], sizeof lines[0], "%s at step %ld", m->mark[i].label, m->mark[i].step);
        if (28 + text_px(lines[0]) + 12 > legend_w) legend_w = 28 + text_px(lines[0]) + 12;
    }
    double legend_h = 8 + 34.0 * m->ntasks + (m->nmarks ? 24 + 16.0 * m->nmarks : 0);
    if (top + legend_h + 20 > d.height) d.height = (int)(top + legend_h + 20);
    if (d.width < legend_w + 64 + 240) d.width = (int)(legend_w + 64 + 240);
    const double W = d.width, H = d.height, left = 64;

    tui_svg_begin(f, d.width, d.height, m->experiment[0] ? m->experiment : "experiment");
    fprintf(f, "<text x=\"%.1f\" y=\"20\" text-anchor=\"end\">step %ld, %s, weighting ",
            W - 12, m->step, monitor_state_name(m->state));
    xml_text(f, m->weighting[0] ? m->weighting : "-");
    fputs("</text>\n", f);

    double gap = 44, avail = H - top - 30 - gap;
    svg_panel lp = { left, top, W - left - legend_w - 16, avail * 0.64, 0, 0, 0, 0, d.log_y };
    svg_panel wp = { left, top + lp.ph + gap, lp.pw, avail - lp.ph, 0, 0, 0, 0, 0 };
    x_extent(m, 0, d.last_steps, &lp.x0, &lp.x1);
    y_extent(m, 0, &lp);
    x_extent(m, 1, d.last_steps, &wp.x0, &wp.x1);
    y_extent(m, 1, &wp);
    /* the reference lines (noise floor, chance) stay in sight, as on the screen */
    for (int t = 0; t < m->ntasks; t++) {
        double r = m->ref_level[t];
        if (!isfinite(r) || (d.log_y && r <= 0)) continue;
        double v = d.log_y ? log10(r) : r, pad = 0.03 * (lp.y1 - lp.y0);
        if (v < lp.y0) lp.y0 = v - pad;
        if (v > lp.y1) lp.y1 = v + pad;
    }

    fputs("<g id=\"loss\">\n", f);
    svg_axes(f, &lp, d.log_y ? "loss (log scale)" : "loss", 1);
    for (int t = 0; t < m->ntasks; t++) {
        char style[160];
        const char *c = task_hex[t % NHEX];
        snprintf(style, sizeof style, "stroke=\"%s\" stroke-width=\"%s\"%s", c,
                 m->aux[t] ? "1" : "1.8", m->aux[t] ? " stroke-opacity=\"0.55\"" : "");
        if (m->spread_n > 1 && !m->aux[t]) { /* a sweep's configuration: mean -/+ one sd, dotted */
            char bstyle[200];
            snprintf(bstyle, sizeof bstyle, "stroke=\"%s\" stroke-width=\"1\" stroke-dasharray=\"1,3\"", c);
            svg_series(f, &lp, &m->train_lo[t], "band", t, bstyle);
            svg_series(f, &lp, &m->train_hi[t], "band", t, bstyle);
            svg_series(f, &lp, &m->val_lo[t], "band", t, bstyle);
            svg_series(f, &lp, &m->val_hi[t], "band", t, bstyle);
        }
        svg_series(f, &lp, &m->train_loss[t], "train", t, style);
        char vstyle[200];
        snprintf(vstyle, sizeof vstyle, "%s stroke-dasharray=\"6,4\"", style);
        svg_series(f, &lp, &m->val_loss[t], "val", t, vstyle);
    }
    for (int t = 0; t < m->ntasks; t++) {
        double r = m->ref_level[t];
        if (!isfinite(r) || (d.log_y && r <= 0)) continue;
        double py = map_y(&lp, d.log_y ? log10(r) : r);
        fprintf(f, "<line class=\"reference\" data-task=\"%d\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"%s\" stroke-width=\"1.2\" stroke-dasharray=\"1,3\"/>\n",
                t, lp.px, py, lp.px + lp.pw, py, task_hex[t % NHEX]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\">", lp.px + lp.pw - 4, py - 3,
                task_hex[t % NHEX]);
        xml_text(f, m->ref_label[t]);
        fputs(" ", f);
        xml_text(f, m->task[t]);
        fputs("</text>\n", f);
    }
    svg_marks(f, &lp, m);
    fputs("</g>\n<g id=\"weights\">\n", f);
    char wl[MT_MON_NAME + 16];
    snprintf(wl, sizeof wl, "loss %s", m->weight_label[0] ? m->weight_label : "weight");
    svg_axes(f, &wp, wl, 1);
    for (int t = 0; t < m->ntasks; t++) {
        char style[120];
        snprintf(style, sizeof style, "stroke=\"%s\" stroke-width=\"1.5\"%s", task_hex[t % NHEX],
                 m->aux[t] ? " stroke-opacity=\"0.55\"" : "");
        svg_series(f, &wp, &m->weight[t], "weight", t, style);
    }
    svg_marks(f, &wp, m);
    fputs("</g>\n<g id=\"legend\">\n", f);
    double lx = W - legend_w, ly = top + 8;
    for (int t = 0; t < m->ntasks; t++, ly += 34) {
        char a[32], b[32], w[32];
        axis_format(series_last(&m->train_loss[t]), 0, a, sizeof a);
        axis_format(series_last(&m->val_loss[t]), 0, b, sizeof b);
        axis_format(series_last(&m->weight[t]), 0, w, sizeof w);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"3\"%s/>\n", lx, ly, lx + 22, ly, task_hex[t % NHEX],
                m->aux[t] ? " stroke-opacity=\"0.55\"" : "");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", lx + 28, ly + 4);
        xml_text(f, m->task[t]);
        fprintf(f, "%s</text>\n", m->aux[t] ? " (aux)" : "");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\">train %s  val %s  w %s</text>\n",
                lx + 28, ly + 17, a, b, w);
    }
    if (m->nmarks) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">method switches</text>\n", lx, ly + 4);
        ly += 20;
        for (int i = 0; i < m->nmarks; i++, ly += 16) {
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b8860b\" "
                       "stroke-dasharray=\"2,3\"/>\n", lx + 11, ly - 9, lx + 11, ly + 3);
            fprintf(f, "<text class=\"mark-legend\" x=\"%.1f\" y=\"%.1f\">", lx + 28, ly);
            xml_text(f, m->mark[i].label);
            fprintf(f, " at step %ld</text>\n", m->mark[i].step);
        }
    }
    fputs("</g>\n</svg>\n", f);
    if (ferror(f)) return mt_fail(MT_ERR_IO, "svg: write failed");
    return MT_OK;
}

void tui_svg_begin(FILE *f, int width, int height, const char *title)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"11\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
               width, height, width, height);
    fputs("<text x=\"12\" y=\"20\" font-size=\"14\" font-weight=\"bold\">", f);
    xml_text(f, title);
    fputs("</text>\n", f);
}

void tui_svg_text(FILE *f, const char *s) { xml_text(f, s); }
double tui_svg_x(const tui_svg_panel *p, double x) { return map_x(p, x); }
double tui_svg_y(const tui_svg_panel *p, double y) { return map_y(p, y); }
void tui_svg_axes(FILE *f, const tui_svg_panel *p, const char *ylabel, int x_ticks) { svg_axes(f, p, ylabel, x_ticks); }
const char *tui_svg_color(int i) { return task_hex[(i % NHEX + NHEX) % NHEX]; }

typedef struct {
    const mt_monitor *m;
    const tui_svg_options *o;
} monitor_picture;

static mt_status write_monitor(FILE *f, void *ud)
{
    const monitor_picture *mp = ud;
    return tui_svg_write(f, mp->m, mp->o);
}

mt_status tui_export_svg(const char *path, const mt_monitor *m, const tui_svg_options *o)
{
    monitor_picture mp = {m, o};
    return tui_svg_to_file(path, write_monitor, &mp);
}

mt_status tui_svg_to_file(const char *path, mt_status (*write)(FILE *f, void *ud), void *ud)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return mt_fail(MT_ERR_ARG, "svg: path too long: %.64s...", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return mt_fail(MT_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    mt_status s = write(f, ud);
    if (fclose(f) != 0 && s == MT_OK)
        s = mt_fail(MT_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    if (s == MT_OK && rename(tmp, path) != 0)
        s = mt_fail(MT_ERR_IO, "%s: cannot rename into place: %s", path, strerror(errno));
    if (s != MT_OK) {
        remove(tmp);
        if (s == MT_ERR_IO && strncmp(mt_last_error(), "svg:", 4) == 0)
            mt_fail_prefix(s, "%s", path);
    }
    return s;
}
