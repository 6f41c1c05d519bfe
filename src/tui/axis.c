#include "axis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void widen_degenerate(double *lo, double *hi)
{
    if (*hi - *lo > 1e-12 * fmax(fabs(*lo), fabs(*hi))) return;
    double d = *lo == 0.0 ? 1.0 : fabs(*lo) * 0.1;
    *lo -= d;
    *hi += d;
}

static long tick_count(double lo, double hi, double step)
{
    double a = ceil(lo / step - 1e-9), b = floor(hi / step + 1e-9);
    return (long)(b - a) + 1;
}

int axis_ticks(double lo, double hi, int maxn, double *out, int cap, double *step)
{
    if (step) *step = 0.0;
    if (!isfinite(lo) || !isfinite(hi) || maxn < 2 || cap < 1) return 0;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    widen_degenerate(&lo, &hi);
    double raw = (hi - lo) / (maxn - 1);
    double base = pow(10.0, floor(log10(raw)));
    static const double mult[] = { 1, 2, 5, 10, 20 };
    double s = base * 20;
    for (size_t i = 0; i < sizeof mult / sizeof mult[0]; i++) {
        if (tick_count(lo, hi, base * mult[i]) <= maxn) {
            s = base * mult[i];
            break;
        }
    }
    double k0 = ceil(lo / s - 1e-9);
    long n = tick_count(lo, hi, s);
    if (n > cap) n = cap;
    for (long i = 0; i < n; i++) {
        double t = (k0 + (double)i) * s;
        if (fabs(t) < s * 1e-9) t = 0.0;
        out[i] = t;
    }
    if (step) *step = s;
    return (int)n;
}

int axis_log_ticks(double lo, double hi, int maxn, double *out, int cap)
{
    if (!isfinite(lo) || !isfinite(hi) || maxn < 2 || cap < 1) return 0;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (lo <= 0.0) return 0;
    int e0 = (int)ceil(log10(lo) - 1e-9), e1 = (int)floor(log10(hi) + 1e-9);
    /* 1, 2, 5 x 10^k when they fit: the most labels a log axis can carry
     * while staying round */
    static const double mult[] = { 1, 2, 5 };
    int n = 0;
    for (int e = (int)floor(log10(lo)); e <= e1 && n <= maxn && n < cap; e++) {
        for (int i = 0; i < 3 && n < cap; i++) {
            double t = mult[i] * pow(10.0, e);
            if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) out[n++] = t;
        }
    }
    if (n >= 2 && n <= maxn) return n;
    int ndec = e1 - e0 + 1;
    if (ndec >= 2) {
        int stride = (ndec + maxn - 1) / maxn;
        /* decades on multiples of the stride, so the labels do not shift as
         * the range grows by one decade */
        int first = e0;
        while (((first % stride) + stride) % stride != 0) first++;
        n = 0;
        for (int e = first; e <= e1 && n < cap; e += stride) out[n++] = pow(10.0, e);
        if (n >= 2) return n;
    }
    return axis_ticks(lo, hi, maxn, out, cap, NULL);
}

void axis_pad_range(double *lo, double *hi, double pad, int log)
{
    if (!isfinite(*lo) || !isfinite(*hi) || *lo > *hi) {
        *lo = log ? -1.0 : 0.0;
        *hi = log ? 0.0 : 1.0;
        return;
    }
    if (log) {
        if (*hi - *lo < 1e-9) {
            *lo -= 0.5;
            *hi += 0.5;
        }
    } else {
        widen_degenerate(lo, hi);
    }
    double span = *hi - *lo;
    *lo -= pad * span;
    *hi += pad * span;
}

/* Drops trailing zeros of a fixed-point number ("0.250" -> "0.25",
 * "2.0" -> "2"). */
static void strip_zeros(char *s)
{
    char *dot = strchr(s, '.');
    if (!dot) return;
    char *end = s + strlen(s) - 1;
    while (end > dot && *end == '0') *end-- = '\0';
    if (end == dot) *end = '\0';
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Decimals needed to write multiples of `step` exactly (0.2 -> 1,
 * 2.5 -> 1, 0.05 -> 2, 500 -> 0), so neighbouring ticks read differently. */
static int step_decimals(double step)
{
    double m = step;
    for (int d = 0; d < 7; d++, m *= 10.0)
        if (fabs(m - floor(m + 0.5)) < 1e-6 * fmax(1.0, m)) return d;
    return 7;
}

int axis_format(double v, double step, char *buf, size_t n)
{
    char tmp[48];
    if (!buf || n == 0) return 0;
    if (isnan(v)) {
        snprintf(tmp, sizeof tmp, "nan");
    } else if (isinf(v)) {
        snprintf(tmp, sizeof tmp, v > 0 ? "inf" : "-inf");
    } else if (v == 0.0 || (step > 0.0 && fabs(v) < step * 1e-6)) {
        snprintf(tmp, sizeof tmp, "0");
    } else {
        double a = fabs(v);
        if (a >= 1e4 && a < 1e15) {
            static const char suffix[] = "kMGT";
            int k = 0;
            double scale = 1e3;
            while (a / scale >= 999.5 && k < 3) {
                scale *= 1e3;
                k++;
            }
            double m = v / scale;
            double am = fabs(m);
            int d = step > 0.0 ? clampi(step_decimals(step / scale), 0, 2)
                               : (am >= 99.95 ? 0 : am >= 9.995 ? 1 : 2);
            snprintf(tmp, sizeof tmp, "%.*f", d, m);
            strip_zeros(tmp);
            size_t l = strlen(tmp);
            tmp[l] = suffix[k];
            tmp[l + 1] = '\0';
        } else if (a < 0.01 || a >= 1e15) {
            char mant[32], es[16];
            /* with a step, as many mantissa digits as neighbouring ticks
             * need to read differently (1.76e-3, 1.77e-3), within 8 columns */
            int dm = 1;
            if (step > 0.0) {
                int ex = (int)floor(log10(a));
                int el = snprintf(es, sizeof es, "%d", ex);
                dm = clampi((int)ceil((double)ex - log10(step) - 1e-9), 1, 8 - (v < 0) - 3 - el);
            }
            snprintf(mant, sizeof mant, "%.*e", dm, v);
            /* "1.20e-03" style -> "1.2e-3" */
            char *e = strchr(mant, 'e');
            int ex = e ? (int)strtol(e + 1, NULL, 10) : 0;
            if (e) *e = '\0';
            strip_zeros(mant);
            snprintf(tmp, sizeof tmp, "%se%d", mant, ex);
        } else {
            int d = step > 0.0 ? step_decimals(step) : 2 - (int)floor(log10(a));
            int ip = a >= 1.0 ? (int)floor(log10(a)) + 1 : 1; /* integer digits */
            d = clampi(d, 0, 7 - ip - (v < 0));                /* fits in 8 */
            snprintf(tmp, sizeof tmp, "%.*f", d, v);
            strip_zeros(tmp);
        }
    }
    snprintf(buf, n, "%s", tmp);
    return (int)strlen(buf);
}
