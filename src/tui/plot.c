#include "plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"

mt_status plot_grid_reset(plot_grid *g, int w, int h)
{
    if (w < 0) w = 0;
    if (h < 0) h = 0;
    int need = w * h;
    if (need > g->cap) {
        uint8_t *d = mt_realloc(g->dots, (size_t)need);
        if (!d) return MT_ERR_NOMEM;
        g->dots = d;
        signed char *c = mt_realloc(g->colour, (size_t)need);
        if (!c) return MT_ERR_NOMEM;
        g->colour = c;
        g->cap = need;
    }
    g->w = w;
    g->h = h;
    plot_grid_clear(g);
    return MT_OK;
}

void plot_grid_clear(plot_grid *g)
{
    if (!g->cap) return;
    memset(g->dots, 0, (size_t)g->w * (size_t)g->h);
    memset(g->colour, -1, (size_t)g->w * (size_t)g->h);
}

void plot_grid_free(plot_grid *g)
{
    mt_free(g->dots);
    mt_free(g->colour);
    memset(g, 0, sizeof *g);
}

/* Unicode numbers braille dots 1-2-3 down the left column, 4-5-6 down the
 * right, and 7, 8 under them (added later, hence the high bits). */
uint8_t plot_dot_bit(int dx, int dy)
{
    static const uint8_t bits[4][2] = { { 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 },
                                        { 0x40, 0x80 } };
    if (dx < 0 || dx > 1 || dy < 0 || dy > 3) return 0;
    return bits[dy][dx];
}

void plot_set_dot(plot_grid *g, int px, int py, int colour)
{
    if (px < 0 || py < 0 || px >= 2 * g->w || py >= 4 * g->h) return;
    int c = (py / 4) * g->w + px / 2;
    g->dots[c] |= plot_dot_bit(px % 2, py % 4);
    g->colour[c] = (signed char)colour;
}

int plot_get_dot(const plot_grid *g, int px, int py)
{
    if (px < 0 || py < 0 || px >= 2 * g->w || py >= 4 * g->h) return 0;
    int c = (py / 4) * g->w + px / 2;
    return (g->dots[c] & plot_dot_bit(px % 2, py % 4)) != 0;
}

static int round_dot(double f) { return (int)floor(f + 0.5); }

/* Liang-Barsky: clips the segment to [xmin,xmax] x [ymin,ymax] in place;
 * returns 0 when nothing of it is inside. */
static int clip_segment(double *ax, double *ay, double *bx, double *by, double xmin, double xmax,
                        double ymin, double ymax)
{
    double dx = *bx - *ax, dy = *by - *ay;
    double p[4] = { -dx, dx, -dy, dy };
    double q[4] = { *ax - xmin, xmax - *ax, *ay - ymin, ymax - *ay };
    double t0 = 0.0, t1 = 1.0;
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0) return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0.0) {
            if (t > t1) return 0;
            if (t > t0) t0 = t;
        } else {
            if (t < t0) return 0;
            if (t < t1) t1 = t;
        }
    }
    double x0 = *ax + t0 * dx, y0 = *ay + t0 * dy;
    *bx = *ax + t1 * dx;
    *by = *ay + t1 * dy;
    *ax = x0;
    *ay = y0;
    return 1;
}

typedef struct {
    plot_grid *g;
    int colour;
    plot_style style;
    long phase; /* dots walked so far, for dashes */
} raster_pen;

static void pen_dot(raster_pen *pen, int px, int py)
{
    if (pen->style == PLOT_DASHED && (pen->phase++ % 4) >= 2) return;
    if (pen->style == PLOT_DOTTED && (pen->phase++ % 3) != 0) return;
    plot_set_dot(pen->g, px, py, pen->colour);
}

/* Bresenham between two dots, both ends included except the start when
 * `skip_first` (the previous segment already drew it, and a dash pattern
 * must not count it twice). */
static void pen_line(raster_pen *pen, int x0, int y0, int x1, int y1, int skip_first)
{
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    int first = 1;
    for (;;) {
        if (!(first && skip_first)) pen_dot(pen, x0, y0);
        first = 0;
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

static int finite_range(const plot_range *r)
{
    return isfinite(r->x0) && isfinite(r->x1) && isfinite(r->y0) && isfinite(r->y1) &&
           r->x1 > r->x0 && r->y1 > r->y0;
}

/* The plotted y of a point (log10 on a log axis), or 0 when the point
 * cannot be drawn. */
static int point_value(const plot_range *r, double x, double y, double *out)
{
    if (!isfinite(x) || !isfinite(y)) return 0;
    if (r->log_y) {
        if (y <= 0.0) return 0;
        y = log10(y);
    }
    *out = y;
    return 1;
}

void plot_raster(plot_grid *g, const double *x, const double *y, int n, const plot_range *r,
                 int colour, plot_style style)
{
    if (!g || g->w < 1 || g->h < 1 || n < 1 || !finite_range(r)) return;
    const int W = 2 * g->w, H = 4 * g->h;
    const double sx = (W - 1) / (r->x1 - r->x0);
    const double sy = (H - 1) / (r->y1 - r->y0);
    /* the clip box is the dots' own extent: a point rounds onto the grid
     * exactly when it lies within half a dot of it */
    const double lo = -0.5, xhi = W - 0.5 - 1e-9, yhi = H - 0.5 - 1e-9;
    raster_pen pen = { g, colour, style, 0 };
    int have_prev = 0;    /* previous point finite */
    int prev_drawn = 0;   /* previous point's dot drawn by the last segment */
    int lastx = 0, lasty = 0;
    double pfx = 0, pfy = 0;
    for (int i = 0; i < n; i++) {
        double yi;
        if (!point_value(r, x[i], y[i], &yi)) {
            have_prev = 0;
            prev_drawn = 0;
            continue;
        }
        double fx = (x[i] - r->x0) * sx;
        double fy = (r->y1 - yi) * sy;
        double ynext;
        int next_finite = i + 1 < n && point_value(r, x[i + 1], y[i + 1], &ynext);
        if (style == PLOT_POINTS || (!have_prev && !next_finite)) {
            /* a point alone (or a marker): a dot if it is inside */
            if (fx >= lo && fx <= xhi && fy >= lo && fy <= yhi)
                pen_dot(&pen, round_dot(fx), round_dot(fy));
        } else if (have_prev) {
            double ax = pfx, ay = pfy, bx = fx, by = fy;
            if (clip_segment(&ax, &ay, &bx, &by, lo, xhi, lo, yhi)) {
                int x0 = round_dot(ax), y0 = round_dot(ay);
                int x1 = round_dot(bx), y1 = round_dot(by);
                int skip = prev_drawn && x0 == lastx && y0 == lasty;
                pen_line(&pen, x0, y0, x1, y1, skip);
                lastx = x1;
                lasty = y1;
                prev_drawn = 1;
            } else {
                prev_drawn = 0;
            }
        }
        have_prev = 1;
        pfx = fx;
        pfy = fy;
    }
}

int plot_y_extent(const double *x, const double *y, int n, double xmin, double xmax, int positive,
                  double *lo, double *hi)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]) || !isfinite(x[i]) || x[i] < xmin || x[i] > xmax) continue;
        if (positive && y[i] <= 0.0) continue;
        if (y[i] < *lo) *lo = y[i];
        if (y[i] > *hi) *hi = y[i];
        k++;
    }
    return k;
}
