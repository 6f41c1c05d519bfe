/* landscape.c - analytic two-objective landscapes and their gradients. */
#include "landscape.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define LOWER 5e-6

const double landscape_cagrad_starts[LANDSCAPE_CAGRAD_NSTARTS][2] = {
    {-8.5, 7.5}, {-8.5, -5.0}, {9.0, 9.0}, {-7.5, -0.5}, {9.0, -1.0},
};

/* log(max(|v|, LOWER)) and its derivative with respect to v. */
static double clamped_log(double v, double *dv)
{
    double av = fabs(v);
    if (av < LOWER) {
        *dv = 0.0;
        return log(LOWER);
    }
    *dv = 1.0 / v;
    return log(av);
}

void landscape_cagrad_toy(const double *x, double *f, double *g)
{
    double x1 = x[0], x2 = x[1];
    double t = tanh(x2), dt = 1.0 - t * t; /* d tanh(x2) / dx2 */
    double h = tanh(0.5 * x2), dh = 0.5 * (1.0 - h * h);
    /* max(., 0) passes its gradient at 0 too (as torch.clamp does), so the
     * start (0, 0) used by Nash-MTL has a gradient that leaves it. */
    double c1 = h > 0 ? h : 0.0, dc1 = h >= 0 ? dh : 0.0;
    double c2 = h < 0 ? -h : 0.0, dc2 = h <= 0 ? -dh : 0.0;

    double a = 0.5 * (-x1 - 7.0) + t, da;
    double b = 0.5 * (-x1 + 3.0) - t + 2.0, db;
    double f1l = clamped_log(a, &da) + 6.0, f2l = clamped_log(b, &db) + 6.0;
    double q = 0.1 * (x2 + 8.0) * (x2 + 8.0);
    double f1s = ((x1 - 7.0) * (x1 - 7.0) + q) / 10.0 - 20.0;
    double f2s = ((x1 + 7.0) * (x1 + 7.0) + q) / 10.0 - 20.0;
    f[0] = c1 * f1l + c2 * f1s;
    f[1] = c1 * f2l + c2 * f2s;
    if (!g) return;
    /* a: da/dx1 = -0.5, da/dx2 = dt;  b: db/dx1 = -0.5, db/dx2 = -dt */
    double dq = 0.02 * (x2 + 8.0); /* d(q/10)/dx2 */
    g[0] = c1 * da * -0.5 + c2 * (x1 - 7.0) / 5.0;
    g[1] = dc1 * f1l + c1 * da * dt + dc2 * f1s + c2 * dq;
    g[2] = c1 * db * -0.5 + c2 * (x1 + 7.0) / 5.0;
    g[3] = dc1 * f2l + c1 * db * -dt + dc2 * f2s + c2 * dq;
}

void landscape_lin2019(const double *x, int d, double *f, double *g)
{
    double s = 1.0 / sqrt((double)d), n1 = 0, n2 = 0;
    for (int j = 0; j < d; j++) {
        n1 += (x[j] - s) * (x[j] - s);
        n2 += (x[j] + s) * (x[j] + s);
    }
    double e1 = exp(-n1), e2 = exp(-n2);
    f[0] = 1.0 - e1;
    f[1] = 1.0 - e2;
    if (!g) return;
    for (int j = 0; j < d; j++) {
        g[j] = 2.0 * (x[j] - s) * e1;
        g[d + j] = 2.0 * (x[j] + s) * e2;
    }
}

static void cagrad_any(const double *x, int d, double *f, double *g)
{
    (void)d;
    landscape_cagrad_toy(x, f, g);
}

static const mt_landscape landscapes[] = {
    {.name = "cagrad_toy", .dim = 2, .eval = cagrad_any, .plane_lo = -10, .plane_hi = 10},
    {.name = "lin2019", .dim = 0, .eval = landscape_lin2019, .plane_lo = -1.5, .plane_hi = 1.5},
};

/* g1 x g2 at (x1, x2) of a 2-D landscape; the dot product into *dot. */
static double cross_at(const mt_landscape *l, double x1, double x2, double *dot)
{
    double x[2] = {x1, x2}, f[2], g[4];
    l->eval(x, 2, f, g);
    if (dot) *dot = g[0] * g[2] + g[1] * g[3];
    return g[0] * g[3] - g[1] * g[2];
}

int landscape_pareto_set(const mt_landscape *l, int d, int n, double *x)
{
    if (!l || d != 2 || n < 2) return 0;
    if (l->eval == landscape_lin2019) {
        double s = 1.0 / sqrt(2.0);
        for (int i = 0; i < n; i++) x[2 * i] = x[2 * i + 1] = -s + 2.0 * s * i / (n - 1);
        return n;
    }
    /* cagrad_toy: the valley floor; its ends x1 = +-7 are the minimisers
     * of f1 and f2, where one gradient vanishes */
    for (int i = 0; i < n; i++) {
        double x1 = -7.0 + 14.0 * i / (n - 1), lo = NAN, hi = NAN;
        double prev = cross_at(l, x1, -15.0, NULL), dot;
        for (int k = 1; k <= 300 && isnan(lo); k++) {
            double x2 = -15.0 + 0.05 * k, c = cross_at(l, x1, x2, &dot);
            if (x2 >= 0) break;
            if ((c > 0) != (prev > 0) && dot <= 0) lo = x2 - 0.05, hi = x2;
            prev = c;
        }
        if (isnan(lo)) {
            x[2 * i] = x1, x[2 * i + 1] = NAN;
            continue;
        }
        double clo = cross_at(l, x1, lo, NULL);
        while (hi - lo > 1e-12) {
            double mid = 0.5 * (lo + hi), c = cross_at(l, x1, mid, NULL);
            if ((c > 0) == (clo > 0)) lo = mid, clo = c;
            else hi = mid;
        }
        x[2 * i] = x1, x[2 * i + 1] = 0.5 * (lo + hi);
    }
    return n;
}

const mt_landscape *landscape_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof landscapes / sizeof *landscapes; i++)
        if (strcmp(landscapes[i].name, name) == 0) return &landscapes[i];
    return NULL;
}
