#include "heat.h"

#include <math.h>

heat_scale heat_scale_for(const double *v, int n, double lo, double hi)
{
    heat_scale s;
    if (isfinite(lo) && isfinite(hi) && lo < hi) {
        s.kind = (lo < 0.0 && hi > 0.0) ? HEAT_DIVERGING : HEAT_SEQUENTIAL;
        s.lo = lo;
        s.hi = hi;
        return s;
    }
    double mn = INFINITY, mx = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (v[i] < mn) mn = v[i];
        if (v[i] > mx) mx = v[i];
    }
    if (mn > mx) { /* no finite value */
        s.kind = HEAT_SEQUENTIAL;
        s.lo = 0.0;
        s.hi = 1.0;
    } else if (mn < 0.0 && mx > 0.0) {
        double m = fmax(-mn, mx);
        s.kind = HEAT_DIVERGING;
        s.lo = -m;
        s.hi = m;
    } else {
        s.kind = HEAT_SEQUENTIAL;
        s.lo = mn;
        s.hi = mx;
        if (!(s.hi > s.lo)) {
            double d = s.lo == 0.0 ? 1.0 : fabs(s.lo) * 0.1;
            s.lo -= d;
            s.hi += d;
        }
    }
    return s;
}

int heat_level(const heat_scale *s, double v)
{
    if (isnan(v)) return -1;
    double t = (v - s->lo) / (s->hi - s->lo);
    if (!(t > 0.0)) t = 0.0; /* also catches a NaN from a bad scale */
    if (t > 1.0) t = 1.0;
    return (int)floor(t * (TUI_HEAT_LEVELS - 1) + 0.5);
}

tui_role heat_role(const heat_scale *s, int level)
{
    if (level < 0) return ROLE_DIM;
    if (level >= TUI_HEAT_LEVELS) level = TUI_HEAT_LEVELS - 1;
    return (tui_role)((s->kind == HEAT_DIVERGING ? ROLE_DIV_0 : ROLE_SEQ_0) + level);
}

double heat_level_value(const heat_scale *s, int level)
{
    return s->lo + (s->hi - s->lo) * level / (TUI_HEAT_LEVELS - 1);
}

heat_scale heat_scale_zoomed(const double *v, int rows, int cols, double lo, double hi, int *zoomed)
{
    int n = rows * cols;
    heat_scale hs = heat_scale_for(v, n, lo, hi);
    *zoomed = 0;
    if (!(lo < hi) || hs.kind != HEAT_DIVERGING) return hs;
    double m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]) && fabs(v[i]) > m && !(rows == cols && i / cols == i % cols)) m = fabs(v[i]);
    if (m > 0 && m < 0.05 * (hi - lo) / 2) {
        hs.lo = -m;
        hs.hi = m;
        *zoomed = 1;
    }
    return hs;
}
