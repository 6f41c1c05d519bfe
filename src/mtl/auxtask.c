/* auxtask.c - the auxiliary-task measures of auxtask.h. */
#include <math.h>
#include <string.h>
#include "auxtask.h"

double auxtask_entropy(const double *counts, int K)
{
    double n = 0, h = 0;
    for (int c = 0; c < K; c++) n += counts[c];
    if (!(n > 0)) return NAN;
    for (int c = 0; c < K; c++)
        if (counts[c] > 0) h -= counts[c] / n * log(counts[c] / n);
    return h;
}

double auxtask_kurtosis(const double *x, size_t n)
{
    if (n < 2) return NAN;
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    double m2 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (x[i] - mean) * (x[i] - mean);
        m2 += d;
        m4 += d * d;
    }
    m2 /= (double)n;
    m4 /= (double)n;
    if (!(m2 > 1e-300)) return NAN;
    return m4 / (m2 * m2) - 3.0;
}

/* g_t . g_main and |g_main|^2 from M. */
static void to_main(const double *M, int T, const int *is_main, int t, double *dot, double *nn)
{
    *dot = 0;
    *nn = 0;
    for (int m = 0; m < T; m++) {
        if (!is_main[m]) continue;
        *dot += M[t * T + m];
        for (int q = 0; q < T; q++)
            if (is_main[q]) *nn += M[m * T + q];
    }
}

void auxtask_cosine_to_main(const double *M, int T, const int *is_main, double *c)
{
    for (int t = 0; t < T; t++) {
        double dot, nn;
        to_main(M, T, is_main, t, &dot, &nn);
        double nt = M[t * T + t];
        c[t] = nt > 0 && nn > 0 ? dot / sqrt(nt * nn) : 0;
        if (c[t] > 1) c[t] = 1;
        if (c[t] < -1) c[t] = -1;
    }
}

void auxtask_gate(const double *M, int T, const int *is_main, double *alpha)
{
    for (int t = 0; t < T; t++) {
        if (is_main[t]) {
            alpha[t] = 1;
            continue;
        }
        double dot, nn;
        to_main(M, T, is_main, t, &dot, &nn);
        alpha[t] = nn > 0 && dot > 0 ? 1 : 0;
    }
}

const double auxtask_curve_fracs[AUXTASK_CURVE_N] = {0.1, 0.2, 0.3, 0.5, 0.7};

double auxtask_slope(const double *x, const double *y, int n)
{
    if (n < 2) return NAN;
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxx > 0 ? sxy / sxx : NAN;
}

void auxtask_curve_init(auxtask_curve *c, long total)
{
    memset(c, 0, sizeof *c);
    c->total = total > 0 ? total : 0;
}

void auxtask_curve_note(auxtask_curve *c, long step, double loss)
{
    if (!isfinite(loss)) return;
    for (int f = 0; f < AUXTASK_CURVE_N; f++) {
        if ((double)step > auxtask_curve_fracs[f] * (double)c->total) continue;
        if (c->n[f] == AUXTASK_CURVE_WINDOW) { /* drop the oldest */
            memmove(c->step[f], c->step[f] + 1, (AUXTASK_CURVE_WINDOW - 1) * sizeof(double));
            memmove(c->loss[f], c->loss[f] + 1, (AUXTASK_CURVE_WINDOW - 1) * sizeof(double));
            c->n[f]--;
        }
        c->step[f][c->n[f]] = (double)step;
        c->loss[f][c->n[f]] = loss;
        c->n[f]++;
    }
}

void auxtask_curve_slopes(const auxtask_curve *c, double *slope)
{
    for (int f = 0; f < AUXTASK_CURVE_N; f++) slope[f] = auxtask_slope(c->step[f], c->loss[f], c->n[f]);
}
