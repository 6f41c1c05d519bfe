/* pane_band.c - the posterior band (pane_band.h): on the screen in braille
 * (mean solid, +-2 sd dotted with the band shaded, training points as
 * bullets) and as SVG. */
#include "pane_band.h"

#include <math.h>
#include <string.h>
#include "axis.h"
#include "screen_int.h"
#include "svg.h"
#include "text.h"

#define G MT_MON_BAND_GRID

int band_valid(const mt_matrix *m)
{
    return m && m->valid && strcmp(m->name, MT_MON_BAND) == 0 && m->cols == G && m->rows >= 5 && (m->rows - 1) % 4 == 0;
}

int band_tasks(const mt_matrix *m) { return band_valid(m) ? (m->rows - 1) / 4 : 0; }

/* Rows of task t: mean, sd, data x, data y. */
static const double *row(const mt_matrix *m, int t, int k) { return m->v + (size_t)(1 + 4 * t + k) * G; }

void band_task_name(const mt_matrix *m, int t, char *out, size_t n)
{
    const char *lab = m->row_labels[1 + 4 * t];
    size_t len = strlen(lab);
    if (len > 5 && strcmp(lab + len - 5, " mean") == 0) len -= 5;
    if (len >= n) len = n - 1;
    memcpy(out, lab, len);
    out[len] = '\0';
}

static void grow(double v, double *lo, double *hi)
{
    if (!isfinite(v)) return;
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
}

int band_extent(const mt_matrix *m, double *x0, double *x1, double *y0, double *y1)
{
    double xl = INFINITY, xh = -INFINITY, yl = INFINITY, yh = -INFINITY;
    for (int j = 0; j < G; j++) grow(m->v[j], &xl, &xh);
    for (int t = 0; t < band_tasks(m); t++)
        for (int j = 0; j < G; j++) {
            double mu = row(m, t, 0)[j], sd = row(m, t, 1)[j];
            grow(mu, &yl, &yh);
            if (isfinite(sd)) grow(mu - 2 * sd, &yl, &yh), grow(mu + 2 * sd, &yl, &yh);
            if (isfinite(row(m, t, 2)[j])) grow(row(m, t, 3)[j], &yl, &yh), grow(row(m, t, 2)[j], &xl, &xh);
        }
    if (!(xl <= xh) || !(yl <= yh)) return 0;
    *x0 = xl, *x1 = xh > xl ? xh : xl + 1;
    *y0 = yl, *y1 = yh > yl ? yh : yl + 1;
    return 1;
}

/* Task t's mean +- 2 sd at x, interpolated on the grid; 0 outside it or
 * without a variance. */
static int band_at(const mt_matrix *m, int t, double x, double *lo, double *hi)
{
    const double *gx = m->v, *mu = row(m, t, 0), *sd = row(m, t, 1);
    if (!(x >= gx[0] && x <= gx[G - 1])) return 0;
    int j = 0;
    while (j < G - 2 && gx[j + 1] < x) j++;
    double f = gx[j + 1] > gx[j] ? (x - gx[j]) / (gx[j + 1] - gx[j]) : 0;
    double a = mu[j] + f * (mu[j + 1] - mu[j]), s = sd[j] + f * (sd[j + 1] - sd[j]);
    if (!isfinite(a) || !isfinite(s)) return 0;
    *lo = a - 2 * s;
    *hi = a + 2 * s;
    return 1;
}

/* ---- on the screen ------------------------------------------------------- */

/* A borrowed view of n values as a monitor series, for pane_draw_plot. */
static mt_series view(const double *x, const double *y, int n)
{
    mt_series s;
    memset(&s, 0, sizeof s);
    s.x = (double *)x;
    s.y = (double *)y;
    s.cap = s.len = n;
    s.stride = 1;
    return s;
}

int pane_band_draw(tui_screen *s, WINDOW *w, const mt_matrix *m, const char *extra)
{
    if (!m || strcmp(m->name, MT_MON_BAND) != 0) return 0;
    pane_frame(s, w, TUI_PANE_MATRIX, "posterior band", extra);
    if (!band_valid(m)) {
        pane_centre_msg(w, "not computed yet", ROLE_DIM);
        return 1;
    }
    int H, W, T = band_tasks(m);
    getmaxyx(w, H, W);
    static double up[MT_MON_BAND_TASKS][G], dn[MT_MON_BAND_TASKS][G];
    mt_series ser[4 * MT_MON_BAND_TASKS];
    plot_series ps[4 * MT_MON_BAND_TASKS];
    int n = 0;
    for (int t = 0; t < T; t++) {
        const double *mu = row(m, t, 0), *sd = row(m, t, 1);
        for (int j = 0; j < G; j++) up[t][j] = mu[j] + 2 * sd[j], dn[t][j] = mu[j] - 2 * sd[j];
        const double *ys[4] = {up[t], dn[t], mu, row(m, t, 3)};
        const double *xs[4] = {m->v, m->v, m->v, row(m, t, 2)};
        static const plot_style st[4] = {PLOT_DOTTED, PLOT_DOTTED, PLOT_SOLID, PLOT_POINTS};
        for (int k = 0; k < 4; k++) {
            ser[n] = view(xs[k], ys[k], G);
            ps[n] = (plot_series){&ser[n], t, st[k]};
            n++;
        }
    }
    plot_opts o = {0};
    plot_frame fr = {0}; /* stays empty when the pane has no room */
    int legend = H >= 8 ? 1 : 0;
    if (!pane_draw_plot(s, w, 1, 1, W - 2, H - 2 - legend, ps, n, &o, &fr)) {
        pane_centre_msg(w, "nothing to draw", ROLE_DIM);
        return 1;
    }
    /* shade the empty cells inside each band, then the points on top */
    const plot_range *r = &fr.r;
    for (int cx = 0; cx < fr.pw && s->grid.w == fr.pw; cx++) {
        double x = r->x0 + (cx + 0.5) / fr.pw * (r->x1 - r->x0);
        for (int t = 0; t < T; t++) {
            double lo, hi;
            if (!band_at(m, t, x, &lo, &hi)) continue;
            for (int cy = 0; cy < fr.ph; cy++) {
                double y = r->y1 - (cy + 0.5) / fr.ph * (r->y1 - r->y0);
                if (y < lo || y > hi || s->grid.dots[cy * s->grid.w + cx]) continue;
                colors_set(w, colors_task(t), A_DIM);
                pane_put(w, fr.py + cy, fr.px + cx, s->ascii ? "." : "░", 1);
            }
        }
    }
    for (int t = 0; t < T; t++) {
        const double *px = row(m, t, 2), *py = row(m, t, 3);
        for (int j = 0; j < G && isfinite(px[j]); j++) {
            int cx = (int)floor((px[j] - r->x0) / (r->x1 - r->x0) * fr.pw);
            int cy = (int)floor((r->y1 - py[j]) / (r->y1 - r->y0) * fr.ph);
            if (cx < 0 || cx >= fr.pw || cy < 0 || cy >= fr.ph) continue;
            colors_set(w, colors_task(t), A_BOLD);
            pane_put(w, fr.py + cy, fr.px + cx, pane_glyph(s, G_BULLET), 1);
        }
    }
    if (legend) {
        int x = 1;
        for (int t = 0; t < T && x < W - 2; t++) {
            char name[MT_MON_NAME];
            band_task_name(m, t, name, sizeof name);
            colors_set(w, colors_task(t), A_BOLD);
            x += pane_put(w, H - 2, x, pane_glyph(s, G_LINE), 1) + 1;
            colors_set(w, ROLE_NORMAL, 0);
            x += pane_putf(w, H - 2, x, W - 2 - x, "%.12s  ", name);
        }
        colors_set(w, ROLE_DIM, 0); /* the key when it fits whole */
        char key[96];
        snprintf(key, sizeof key, "%s data  %s mean  %s +-2sd", pane_glyph(s, G_BULLET), pane_glyph(s, G_LINE),
                 pane_glyph(s, G_DASH));
        if (x + text_columns(key, -1) <= W - 2) pane_put(w, H - 2, x, key, W - 2 - x);
    }
    colors_set(w, ROLE_NORMAL, 0);
    return 1;
}

/* ---- as SVG -------------------------------------------------------------- */

mt_status band_svg_write(FILE *f, const mt_matrix *m, const char *title, int width, int height)
{
    if (!band_valid(m)) return mt_fail(MT_ERR_ARG, "svg: no posterior band to draw");
    if (width <= 0 || height <= 0) width = 960, height = 600;
    if (width < 320) width = 320;
    if (height < 240) height = 240;
    double x0, x1, y0, y1;
    if (!band_extent(m, &x0, &x1, &y0, &y1)) return mt_fail(MT_ERR_ARG, "svg: the posterior band has no finite values");
    axis_pad_range(&y0, &y1, 0.05, 0);
    const double legend_w = 180;
    tui_svg_panel fr = {64, 44, width - 64 - legend_w - 16, height - 44 - 40, x0, x1, y0, y1, 0};
    int T = band_tasks(m);
    tui_svg_begin(f, width, height, title && *title ? title : "posterior band");
    fprintf(f, "<text x=\"%d\" y=\"20\" text-anchor=\"end\">step %ld</text>\n", width - 12, m->step);
    tui_svg_axes(f, &fr, "posterior mean +- 2 sd and training data", 1);
    for (int t = 0; t < T; t++) {
        const double *mu = row(m, t, 0), *sd = row(m, t, 1);
        const char *c = tui_svg_color(t);
        int have_sd = 1;
        for (int j = 0; j < G; j++) have_sd &= isfinite(sd[j]) && isfinite(mu[j]);
        if (have_sd) {
            fprintf(f, "<polygon class=\"band\" data-task=\"%d\" fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\" points=\"", t, c);
            for (int j = 0; j < G; j++)
                fprintf(f, "%s%.1f,%.1f", j ? " " : "", tui_svg_x(&fr, m->v[j]), tui_svg_y(&fr, mu[j] + 2 * sd[j]));
            for (int j = G - 1; j >= 0; j--)
                fprintf(f, " %.1f,%.1f", tui_svg_x(&fr, m->v[j]), tui_svg_y(&fr, mu[j] - 2 * sd[j]));
            fputs("\"/>\n", f);
        }
        fprintf(f, "<polyline class=\"mean\" data-task=\"%d\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", t, c);
        for (int j = 0, first = 1; j < G; j++)
            if (isfinite(mu[j])) {
                fprintf(f, "%s%.1f,%.1f", first ? "" : " ", tui_svg_x(&fr, m->v[j]), tui_svg_y(&fr, mu[j]));
                first = 0;
            }
        fputs("\"/>\n", f);
        const double *px = row(m, t, 2), *py = row(m, t, 3);
        for (int j = 0; j < G && isfinite(px[j]); j++)
            fprintf(f, "<circle class=\"data\" data-task=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" "
                       "stroke=\"white\" stroke-width=\"0.8\"/>\n",
                    t, tui_svg_x(&fr, px[j]), tui_svg_y(&fr, py[j]), c);
    }
    double lx = width - legend_w, ly = fr.py + 8;
    for (int t = 0; t < T; t++, ly += 22) {
        char name[MT_MON_NAME];
        band_task_name(m, t, name, sizeof name);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"10\" fill=\"%s\" fill-opacity=\"0.3\"/>\n"
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                lx, ly - 5, tui_svg_color(t), lx, ly, lx + 22, ly, tui_svg_color(t));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", lx + 28, ly + 4);
        tui_svg_text(f, name);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    if (ferror(f)) return mt_fail(MT_ERR_IO, "svg: write failed");
    return MT_OK;
}

typedef struct {
    const mt_matrix *m;
    const char *title;
} band_ctx;

static mt_status write_band(FILE *f, void *ud)
{
    const band_ctx *c = ud;
    return band_svg_write(f, c->m, c->title, 0, 0);
}

mt_status band_export_svg(const char *path, const mt_matrix *m, const char *title)
{
    band_ctx c = {m, title};
    return tui_svg_to_file(path, write_band, &c);
}
