/* pane_landscape.c - the plane of a two-objective landscape with every
 * run's path (pane_landscape.h): on the screen in character cells, and as
 * SVG. */
#include "pane_landscape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "axis.h"
#include "screen_int.h"
#include "svg.h"
#include "text.h"

#define G MT_MON_LANDSCAPE_GRID
#define MAXPATH 1100 /* points of one path: the trail, its start and the current point */
#define MAXSTYLES 8

int landscape_valid(const mt_matrix *m)
{
    if (!m || !m->valid || strcmp(m->name, MT_MON_LANDSCAPE) != 0 || m->rows != G + 3 || m->cols != G) return 0;
    for (int j = 0; j < 4; j++)
        if (!isfinite(m->v[j])) return 0;
    return m->v[0] < m->v[1] && m->v[2] < m->v[3];
}

/* The map value at grid row r (0 = top), column c. */
static double map_at(const mt_matrix *m, int r, int c) { return m->v[(size_t)(1 + r) * G + c]; }
static const double *pareto_row(const mt_matrix *m, int k) { return m->v + (size_t)(G + 1 + k) * G; }

int landscape_monitor_path(const mt_monitor *m, double *x1, double *x2, int cap)
{
    const mt_matrix *pic = monitor_find_matrix((mt_monitor *)m, MT_MON_LANDSCAPE);
    if (!landscape_valid(pic) || cap < 3) return 0;
    int n = 0;
    if (isfinite(pic->v[4]) && isfinite(pic->v[5])) x1[n] = pic->v[4], x2[n++] = pic->v[5];
    const mt_matrix *pos = monitor_find_matrix((mt_monitor *)m, MT_MON_POSITION);
    if (!pos || !pos->valid || pos->rows != 1 || pos->cols != 2) return n;
    const mt_series *t = &pos->trail;
    int room = cap - n - 1, len = t->len;
    if (len <= room)
        for (int i = 0; i < len; i++) x1[n] = t->x[i], x2[n++] = t->y[i];
    else /* thinned evenly, the first and the last kept */
        for (int k = 0; k < room; k++) {
            int i = (int)((long)k * (len - 1) / (room - 1));
            x1[n] = t->x[i], x2[n++] = t->y[i];
        }
    if (isfinite(pos->v[0]) && isfinite(pos->v[1]) && (n == 0 || x1[n - 1] != pos->v[0] || x2[n - 1] != pos->v[1]))
        x1[n] = pos->v[0], x2[n++] = pos->v[1];
    return n;
}

int landscape_styles(const landscape_path *p, int n, int *style)
{
    const char *seen[64];
    int ns = 0;
    for (int i = 0; i < n; i++) {
        const char *mth = p[i].method ? p[i].method : "";
        int k = 0;
        while (k < ns && strcmp(seen[k], mth) != 0) k++;
        if (k == ns && ns < 64) seen[ns++] = mth;
        style[i] = k;
    }
    return ns;
}

/* Ranks of the map's finite values, scaled to 0..1: a level from the rank
 * shows the valley and the slopes alike, though f1 + f2 spans logarithms
 * and quadratics. */
static double rank_of(const double *sorted, int n, double v)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (sorted[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return n > 1 ? (double)lo / (n - 1) : 0.5;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int sorted_map(const mt_matrix *m, double *out)
{
    int n = 0;
    for (int r = 0; r < G; r++)
        for (int c = 0; c < G; c++)
            if (isfinite(map_at(m, r, c))) out[n++] = map_at(m, r, c);
    qsort(out, (size_t)n, sizeof *out, cmp_double);
    return n;
}

/* Every monitor on the plane of `pic` (same extent), with its path. */
typedef struct {
    landscape_path p[64];
    int idx[64]; /* monitor index of each path */
    int n;
    double x1[64][MAXPATH], x2[64][MAXPATH];
} path_set;

static void collect_paths(path_set *ps, const mt_monitor *const *mons, int count, const mt_matrix *pic)
{
    ps->n = 0;
    for (int i = 0; i < count && ps->n < 64; i++) {
        const mt_monitor *m = mons[i];
        if (!m) continue;
        const mt_matrix *q = monitor_find_matrix((mt_monitor *)m, MT_MON_LANDSCAPE);
        if (!landscape_valid(q) || memcmp(q->v, pic->v, 4 * sizeof *q->v) != 0) continue;
        int k = ps->n;
        int np = landscape_monitor_path(m, ps->x1[k], ps->x2[k], MAXPATH);
        if (np <= 0) continue;
        ps->p[k] = (landscape_path){m->experiment, m->weighting, ps->x1[k], ps->x2[k], np};
        ps->idx[k] = i;
        ps->n++;
    }
}

/* ---- on the screen ------------------------------------------------------- */

static const char style_glyph[MAXSTYLES] = { 'o', '+', 'x', '*', '#', '%', '@', '=' };

typedef struct {
    int px, py, pw, ph; /* the plane's cells in the window */
    double x0, x1, y0, y1;
} cell_frame;

static int cell_col(const cell_frame *f, double x)
{
    return (int)floor((x - f->x0) / (f->x1 - f->x0) * f->pw);
}

static int cell_row(const cell_frame *f, double y)
{
    return (int)floor((f->y1 - y) / (f->y1 - f->y0) * f->ph);
}

static int inside(const cell_frame *f, int c, int r) { return c >= 0 && c < f->pw && r >= 0 && r < f->ph; }

/* A line of glyphs from cell (c0, r0) to (c1, r1) (Bresenham). */
static void cell_line(WINDOW *w, const cell_frame *f, int c0, int r0, int c1, int r1, const char *g)
{
    int dc = abs(c1 - c0), dr = -abs(r1 - r0), sc = c0 < c1 ? 1 : -1, sr = r0 < r1 ? 1 : -1, err = dc + dr;
    for (int guard = 0; guard < 4096; guard++) {
        if (inside(f, c0, r0)) pane_put(w, f->py + r0, f->px + c0, g, 1);
        if (c0 == c1 && r0 == r1) break;
        int e2 = 2 * err;
        if (e2 >= dr) err += dr, c0 += sc;
        if (e2 <= dc) err += dc, r0 += sr;
    }
}

static void draw_path(WINDOW *w, const cell_frame *f, const landscape_path *p, const char *g)
{
    int pc = 0, pr = 0, have = 0;
    for (int i = 0; i < p->n; i++) {
        if (!isfinite(p->x1[i]) || !isfinite(p->x2[i])) {
            have = 0;
            continue;
        }
        int c = cell_col(f, p->x1[i]), r = cell_row(f, p->x2[i]);
        if (have) cell_line(w, f, pc, pr, c, r, g);
        else if (inside(f, c, r)) pane_put(w, f->py + r, f->px + c, g, 1);
        pc = c, pr = r, have = 1;
    }
}

static void mark(WINDOW *w, const cell_frame *f, double x, double y, const char *g)
{
    int c = cell_col(f, x), r = cell_row(f, y);
    if (inside(f, c, r) && isfinite(x) && isfinite(y)) pane_put(w, f->py + r, f->px + c, g, 1);
}

int pane_landscape_draw(tui_screen *s, WINDOW *w, const tui_view *v, const mt_matrix *pic, const char *extra)
{
    if (!pic || strcmp(pic->name, MT_MON_LANDSCAPE) != 0) return 0;
    pane_frame(s, w, TUI_PANE_MATRIX, "landscape: f1 + f2, Pareto set, paths", extra);
    if (!landscape_valid(pic)) {
        pane_centre_msg(w, "not computed yet", ROLE_DIM);
        return 1;
    }
    int H, W;
    getmaxyx(w, H, W);
    static path_set ps;
    collect_paths(&ps, v->monitors, v->count, pic);
    int style[64];
    int nstyles = landscape_styles(ps.p, ps.n, style);
    /* the legend: one line per row of entries below the plane */
    int legend_rows = 1 + (nstyles * 14 + 40) / (W - 2 > 20 ? W - 2 : 20);
    if (legend_rows > 3) legend_rows = 3;
    const int lw = 6; /* x2 tick labels */
    cell_frame f = {1 + lw, 1, 0, H - 2 - 1 - legend_rows, pic->v[0], pic->v[1], pic->v[2], pic->v[3]};
    f.pw = W - 2 - lw;
    if (f.pw > 2 * f.ph + 2) f.pw = 2 * f.ph + 2; /* cells are about twice as tall as wide: keep it square */
    if (f.pw < 8 || f.ph < 4) {
        pane_centre_msg(w, "(no room: f enlarges the pane)", ROLE_DIM);
        return 1;
    }
    /* the map, shaded by rank */
    static double sorted[G * G];
    int ns = sorted_map(pic, sorted);
    for (int r = 0; r < f.ph; r++)
        for (int c = 0; c < f.pw; c++) {
            double gx = (c + 0.5) / f.pw * (G - 1), gy = (r + 0.5) / f.ph * (G - 1);
            double val = map_at(pic, (int)floor(gy + 0.5), (int)floor(gx + 0.5));
            if (!isfinite(val)) continue;
            double q = rank_of(sorted, ns, val);
            if (s->mono) {
                static const char *const shade_u[4] = { " ", " ", "\xc2\xb7", ":" }; /* · */
                static const char *const shade_a[4] = { " ", " ", ".", ":" };
                int k = (int)(q * 3.999);
                colors_set(w, ROLE_DIM, 0);
                pane_put(w, f.py + r, f.px + c, s->ascii ? shade_a[k] : shade_u[k], 1);
            } else {
                int level = (int)(q * (TUI_HEAT_LEVELS - 0.001));
                colors_set(w, (tui_role)(ROLE_SEQ_0 + level), 0);
                pane_put(w, f.py + r, f.px + c, " ", 1);
            }
        }
    /* the Pareto set */
    const double *p1 = pareto_row(pic, 0), *p2 = pareto_row(pic, 1);
    colors_set(w, ROLE_GOOD, A_BOLD);
    landscape_path pareto = {"", "", p1, p2, G};
    draw_path(w, &f, &pareto, s->ascii ? "=" : "\xe2\x95\x90"); /* ═ */
    /* the paths: the others first, the shown run last and bold */
    int sel = -1;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < ps.n; i++) {
            int shown = ps.idx[i] == v->selected;
            if (shown) sel = i;
            if (shown != (pass == 1)) continue;
            char g[2] = { style_glyph[style[i] % MAXSTYLES], 0 };
            colors_set(w, colors_task(style[i]), shown ? A_BOLD : (s->mono ? A_DIM : 0));
            draw_path(w, &f, &ps.p[i], g);
            colors_set(w, colors_task(style[i]), A_BOLD);
            mark(w, &f, ps.p[i].x1[0], ps.p[i].x2[0], pane_glyph(s, G_RING));
            colors_set(w, colors_task(style[i]), A_BOLD | A_REVERSE);
            mark(w, &f, ps.p[i].x1[ps.p[i].n - 1], ps.p[i].x2[ps.p[i].n - 1], g);
        }
    /* axes: x2 on the left, x1 below */
    char lab[16];
    colors_set(w, ROLE_DIM, 0);
    for (int k = 0; k < 3; k++) {
        double yv = f.y1 - (f.y1 - f.y0) * k / 2;
        axis_format(yv, 0, lab, sizeof lab);
        int row = k == 0 ? 0 : k == 1 ? f.ph / 2 : f.ph - 1;
        pane_putf(w, f.py + row, 1, lw - 1, "%*s", lw - 1, lab);
        double xv = f.x0 + (f.x1 - f.x0) * k / 2;
        axis_format(xv, 0, lab, sizeof lab);
        int col = k == 0 ? 0 : k == 1 ? f.pw / 2 - 1 : f.pw - text_columns(lab, -1);
        pane_put(w, f.py + f.ph, f.px + col, lab, W - 1 - f.px - col);
    }
    pane_put(w, f.py + f.ph, 1, "x2|x1", lw);
    /* the legend: a glyph per method, then the markers */
    int y = f.py + f.ph + 1, x = 1;
    for (int k = 0; k < nstyles; k++) {
        const char *name = "";
        for (int i = 0; i < ps.n; i++)
            if (style[i] == k) name = ps.p[i].method;
        int need = 2 + text_columns(name, -1) + 2;
        if (x + need > W - 1) {
            if (++y >= H - 1) break;
            x = 1;
        }
        colors_set(w, colors_task(k), A_BOLD);
        pane_putf(w, y, x, 1, "%c", style_glyph[k % MAXSTYLES]);
        colors_set(w, ROLE_NORMAL, 0);
        x += 2 + pane_putf(w, y, x + 2, W - 1 - x - 2, "%s", name) + 2;
    }
    char key[128];
    snprintf(key, sizeof key, "%s start  %s Pareto set  reverse: now%s%s", pane_glyph(s, G_RING),
             s->ascii ? "=" : "\xe2\x95\x90", sel >= 0 ? "  bold: " : "", sel >= 0 ? "this run" : "");
    if (x + text_columns(key, -1) > W - 1 && y + 1 < H - 1) y++, x = 1;
    colors_set(w, ROLE_DIM, 0);
    if (y < H - 1) pane_put(w, y, x, key, W - 1 - x);
    colors_set(w, ROLE_NORMAL, 0);
    return 1;
}

/* ---- as SVG -------------------------------------------------------------- */

static const char *const dashes[MAXSTYLES] = { "", "9 4", "2 3", "12 3 2 3", "1 4", "16 5", "6 2 1 2", "4 4" };

/* A dash pattern in pixels ("9 4") scaled to data units. */
static void dash_in(const char *px, double u, char *out, size_t n)
{
    size_t w = 0;
    out[0] = '\0';
    for (const char *p = px; *p && w < n;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p) break;
        w += (size_t)snprintf(out + w, n - w, "%s%.4g", w ? " " : "", v * u);
        p = end;
    }
}

static void grey(double q, char out[8])
{
    int g = (int)(250 - 130 * q); /* light: the paths stay readable */
    snprintf(out, 8, "#%02x%02x%02x", g, g, g);
}

mt_status landscape_svg_write(FILE *f, const mt_matrix *pic, const landscape_path *p, int n, int bold,
                              const char *title, int width, int height)
{
    if (!landscape_valid(pic)) return mt_fail(MT_ERR_ARG, "svg: no landscape picture to draw");
    if (width <= 0 || height <= 0) width = 960, height = 720;
    if (width < 480) width = 480;
    if (height < 360) height = 360;
    double side = fmin(width - 70 - 230, height - 50 - 50);
    tui_svg_panel fr = {70, 50, side, side, pic->v[0], pic->v[1], pic->v[2], pic->v[3], 0};
    tui_svg_begin(f, width, height, title && *title ? title : "landscape");
    tui_svg_axes(f, &fr, "x2 (shaded: f1 + f2, lighter is lower)", 1);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">x1</text>\n", fr.px + fr.pw / 2, fr.py + fr.ph + 34);
    /* the map: one rectangle per grid point, centred on it, clipped to the plane */
    static double sorted[G * G];
    int ns = sorted_map(pic, sorted);
    fprintf(f, "<clipPath id=\"plane\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/></clipPath>\n"
               "<g class=\"map\" clip-path=\"url(#plane)\" shape-rendering=\"crispEdges\">\n",
            fr.px, fr.py, fr.pw, fr.ph);
    double cw = fr.pw / (G - 1), chh = fr.ph / (G - 1);
    for (int r = 0; r < G; r++)
        for (int c = 0; c < G; c++) {
            double val = map_at(pic, r, c);
            if (!isfinite(val)) continue;
            char hex[8];
            grey(rank_of(sorted, ns, val), hex);
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
                    fr.px + (c - 0.5) * cw, fr.py + (r - 0.5) * chh, cw + 0.3, chh + 0.3, hex);
        }
    fputs("</g>\n", f);
    /* data coordinates from here: X = sx x1 + tx, Y = -sy x2 + ty */
    double sx = fr.pw / (fr.x1 - fr.x0), sy = fr.ph / (fr.y1 - fr.y0);
    double u = 1.0 / sqrt(sx * sy); /* one pixel in data units (the plane is square: sx = sy) */
    fprintf(f, "<g class=\"plane\" clip-path=\"url(#plane)\"><g transform=\"matrix(%.9g 0 0 %.9g %.9g %.9g)\" "
               "fill=\"none\">\n",
            sx, -sy, fr.px - fr.x0 * sx, fr.py + fr.y1 * sy);
    const double *p1 = pareto_row(pic, 0), *p2 = pareto_row(pic, 1);
    fprintf(f, "<polyline class=\"pareto\" stroke=\"black\" stroke-width=\"%.6g\" points=\"", 4 * u);
    for (int j = 0, first = 1; j < G; j++)
        if (isfinite(p1[j]) && isfinite(p2[j])) {
            fprintf(f, "%s%.9g,%.9g", first ? "" : " ", p1[j], p2[j]);
            first = 0;
        }
    fputs("\"/>\n", f);
    int style[64];
    int nst = landscape_styles(p, n < 64 ? n : 64, style);
    double r = 4.5 / sx;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n && i < 64; i++) {
            if ((i == bold) != (pass == 1) || p[i].n <= 0) continue;
            const char *c = tui_svg_color(style[i]);
            fprintf(f, "<polyline class=\"path\" data-method=\"");
            tui_svg_text(f, p[i].method ? p[i].method : "");
            fputs("\" data-run=\"", f);
            tui_svg_text(f, p[i].run ? p[i].run : "");
            char dash[64] = "";
            dash_in(dashes[style[i] % MAXSTYLES], u, dash, sizeof dash);
            fprintf(f, "\" stroke=\"%s\" stroke-width=\"%.6g\" stroke-dasharray=\"%s\" points=\"", c,
                    (i == bold ? 3 : 1.6) * u, dash);
            for (int k = 0, first = 1; k < p[i].n; k++)
                if (isfinite(p[i].x1[k]) && isfinite(p[i].x2[k])) {
                    fprintf(f, "%s%.9g,%.9g", first ? "" : " ", p[i].x1[k], p[i].x2[k]);
                    first = 0;
                }
            fputs("\"/>\n", f);
            fprintf(f, "<circle class=\"start\" cx=\"%.9g\" cy=\"%.9g\" r=\"%.6g\" fill=\"white\" stroke=\"%s\" "
                       "stroke-width=\"%.6g\"/>\n",
                    p[i].x1[0], p[i].x2[0], r, c, 1.5 * u);
            fprintf(f, "<circle class=\"end\" cx=\"%.9g\" cy=\"%.9g\" r=\"%.6g\" fill=\"%s\" stroke=\"black\" "
                       "stroke-width=\"%.6g\"/>\n",
                    p[i].x1[p[i].n - 1], p[i].x2[p[i].n - 1], r, c, u);
        }
    fputs("</g></g>\n", f);
    /* the legend: each method's line as drawn, then the markers */
    double lx = fr.px + fr.pw + 24, ly = fr.py + 10;
    for (int k = 0; k < nst; k++, ly += 22) {
        const char *name = "";
        for (int i = 0; i < n && i < 64; i++)
            if (style[i] == k) name = p[i].method ? p[i].method : "";
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" "
                   "stroke-dasharray=\"%s\"/>\n<text x=\"%.1f\" y=\"%.1f\">",
                lx, ly, lx + 34, ly, tui_svg_color(k), dashes[k % MAXSTYLES], lx + 40, ly + 4);
        tui_svg_text(f, name);
        fputs("</text>\n", f);
    }
    ly += 8;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\" stroke-width=\"4\"/>"
               "<text x=\"%.1f\" y=\"%.1f\">Pareto set</text>\n",
            lx, ly, lx + 34, ly, lx + 40, ly + 4);
    ly += 22;
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"white\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\">start</text>\n",
            lx + 17, ly, lx + 40, ly + 4);
    ly += 22;
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"black\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\">end (now)</text>\n",
            lx + 17, ly, lx + 40, ly + 4);
    fputs("</svg>\n", f);
    if (ferror(f)) return mt_fail(MT_ERR_IO, "svg: write failed");
    return MT_OK;
}

typedef struct {
    const mt_matrix *pic;
    const landscape_path *p;
    int n, bold;
    const char *title;
} ls_ctx;

static mt_status write_ls(FILE *f, void *ud)
{
    const ls_ctx *c = ud;
    return landscape_svg_write(f, c->pic, c->p, c->n, c->bold, c->title, 0, 0);
}

mt_status landscape_export_svg(const char *path, const mt_matrix *pic, const landscape_path *p, int n, int bold,
                               const char *title)
{
    ls_ctx c = {pic, p, n, bold, title};
    return tui_svg_to_file(path, write_ls, &c);
}

mt_status landscape_svg_monitors(FILE *f, const mt_monitor *const *monitors, int count, int selected,
                                 const char *title)
{
    if (selected < 0 || selected >= count || !monitors[selected])
        return mt_fail(MT_ERR_ARG, "svg: no landscape picture to draw");
    const mt_matrix *pic = monitor_find_matrix((mt_monitor *)monitors[selected], MT_MON_LANDSCAPE);
    if (!landscape_valid(pic)) return mt_fail(MT_ERR_ARG, "svg: no landscape picture to draw");
    static path_set ps;
    collect_paths(&ps, monitors, count, pic);
    int bold = -1;
    for (int i = 0; i < ps.n; i++)
        if (ps.idx[i] == selected) bold = i;
    return landscape_svg_write(f, pic, ps.p, ps.n, bold, title, 0, 0);
}
