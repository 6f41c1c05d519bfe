/* auxtask.c - the auxiliary-task measures of auxtask.h. */
#include <math.h>
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
