#include "minnorm.h"

#include <math.h>
#include <string.h>

#include "linalg.h"

double minnorm_pair(double v1v1, double v1v2, double v2v2, double *cost)
{
    double gamma, c;
    double den = v1v1 + v2v2 - 2.0 * v1v2; /* ||v1 - v2||^2 */
    if (v1v2 >= v1v1) { /* v1 itself is the closest point */
        gamma = 1.0;
        c = v1v1;
    } else if (v1v2 >= v2v2) {
        gamma = 0.0;
        c = v2v2;
    } else if (!(den > 0.0)) {
        gamma = 0.5;
        c = v2v2;
    } else {
        gamma = (v2v2 - v1v2) / den;
        c = v2v2 + gamma * (v1v2 - v2v2);
    }
    if (cost) *cost = c;
    return gamma;
}

/* Plain Frank-Wolfe converges as 1/k and stalls at the tolerances a KKT
 * check needs; the away steps take mass off the worst active vertex and
 * make the convergence linear on the simplex. */
/* The KKT conditions of the min-norm point, (M a)_i >= a^T M a for every
 * i and <= where a_i > 0, each violation divided by the round-off scale
 * of (M a)_i, s_i = sqrt(M_ii) sum_k a_k sqrt(M_kk); the largest ratio.
 * (Against max_i M_ii instead, a hull whose min-norm point is tiny next to
 * its largest gradient passed with a d of the wrong direction.) ma
 * receives M a. */
static double kkt_gap(const double *M, int T, const double *alpha, double *ma)
{
    double f = 0.0, sa = 0.0, g = 0.0;
    for (int i = 0; i < T; i++) {
        double s = 0.0;
        for (int k = 0; k < T; k++) s += M[i * T + k] * alpha[k];
        ma[i] = s;
        f += alpha[i] * s;
        sa += alpha[i] * sqrt(fmax(M[i * T + i], 0.0));
    }
    for (int i = 0; i < T; i++) {
        double si = sqrt(fmax(M[i * T + i], 0.0)) * sa;
        if (!(si > 0.0)) continue;
        double v = (f - ma[i]) / si;
        if (alpha[i] > 0.0) v = fmax(v, (ma[i] - f) / si);
        g = fmax(g, v);
    }
    return g;
}

/* A (k + 1, n) = [s P; 1 ... 1] and the target e_{k+1}: the
 * least-distance reduction of Lawson and Hanson (1974, ch. 23). With z =
 * s P w the solution has sum x = 1 / (1 + |z|^2), so when |z| is far below
 * 1 the answer sits in 1 - sum x and cancels away: the scale s starts at
 * 1 / max_j |p_j| and is set to 1 / |P w| (at most 1e6 times the start)
 * and the solve repeated (at most twice) until |z| is within 1e-2..1e2;
 * a pass that fails leaves the one before. */
int minnorm_hull(int k, int n, const double *P, double *w, double *work, int *iwork)
{
    int m = k + 1;
    double *E = work, *f = E + (size_t)m * n, *x = f + m, *nw = x + n;
    double s = 0.0;
    for (int j = 0; j < n; j++) {
        double c = 0.0;
        for (int i = 0; i < k; i++) c += P[i * n + j] * P[i * n + j];
        if (c > s) s = c;
        w[j] = 1.0 / n;
    }
    s = s > 0.0 ? 1.0 / sqrt(s) : 1.0;
    double s0 = s;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++) E[i * n + j] = P[i * n + j] * s;
        for (int j = 0; j < n; j++) E[k * n + j] = 1.0;
        for (int i = 0; i < m; i++) f[i] = i == k ? 1.0 : 0.0;
        double sum = 0.0;
        if (linalg_nnls(m, n, E, f, x, nw, iwork) >= 0)
            for (int j = 0; j < n; j++) sum += x[j];
        if (!(sum > 0.0) || !isfinite(sum)) return pass > 0 ? 0 : -1; /* keep the last good pass */
        for (int j = 0; j < n; j++) w[j] = x[j] / sum;
        double z = 0.0;
        for (int i = 0; i < k; i++) {
            double t = 0.0;
            for (int j = 0; j < n; j++) t += P[i * n + j] * w[j];
            z += t * t;
        }
        z = sqrt(z);
        if (!(z > 0.0) || (z * s >= 1e-2 && z * s <= 1e2)) break;
        s = fmin(1.0 / z, 1e6 * s0); /* a z of round-off (origin in the hull) is not blown up */
    }
    return 0;
}

/* The exact finish: the min-norm point of the hull of the columns of a
 * square root R of M (R^T R = M), so no regulariser shifts it. */
static int polish(const double *M, int T, double *alpha, double *work, int *iwork)
{
    double *R = work, *rest = R + T * T;
    int k = linalg_psd_factor(T, M, R, rest, iwork);
    if (k == 0) return -1;
    return minnorm_hull(k, T, R, alpha, rest, iwork);
}

/* The exact finish is exact up to the round-off of M: for nearly
 * dependent gradients with norms 1e4 apart its KKT violations reach
 * ~1e-9 of their scale. It is accepted below this. */
#define MINNORM_EXACT_TOL 1e-6

int minnorm_solve(const double *M, int T, double *alpha, double *work, int *iwork, int max_iter, double tol,
                  double *gap_out)
{
    double *ma = work;
    if (gap_out) *gap_out = 0.0;
    for (int i = 0; i < T; i++) alpha[i] = 0.0;
    if (T == 1) {
        alpha[0] = 1.0;
        return 0;
    }
    int bi = 0, bj = 1;
    double bestc = INFINITY, bestg = 0.5;
    for (int i = 0; i < T; i++) {
        for (int j = i + 1; j < T; j++) {
            double c;
            double g = minnorm_pair(M[i * T + i], M[i * T + j], M[j * T + j], &c);
            if (c < bestc) {
                bestc = c;
                bestg = g;
                bi = i;
                bj = j;
            }
        }
    }
    alpha[bi] = bestg;
    alpha[bj] = 1.0 - bestg;
    if (T == 2) return 1;

    double gap = INFINITY;
    for (int it = 0; it < max_iter; it++) {
        gap = kkt_gap(M, T, alpha, ma);
        double f = 0.0;
        for (int i = 0; i < T; i++) f += alpha[i] * ma[i];
        int s_idx = 0, v_idx = -1;
        for (int i = 1; i < T; i++)
            if (ma[i] < ma[s_idx]) s_idx = i;
        for (int i = 0; i < T; i++)
            if (alpha[i] > 0.0 && (v_idx < 0 || ma[i] > ma[v_idx])) v_idx = i;
        double gap_fw = f - ma[s_idx], gap_a = ma[v_idx] - f;
        if (gap <= tol) {
            if (gap_out) *gap_out = gap;
            return it + 1;
        }
        if (it == max_iter - 1) break;
        if (gap_fw >= gap_a) {
            double dmd = M[s_idx * T + s_idx] - 2.0 * ma[s_idx] + f;
            double g = dmd > 0.0 ? gap_fw / dmd : 1.0;
            if (g > 1.0) g = 1.0;
            for (int i = 0; i < T; i++) alpha[i] *= 1.0 - g;
            alpha[s_idx] += g;
        } else {
            double av = alpha[v_idx];
            double gmax = av < 1.0 ? av / (1.0 - av) : INFINITY;
            double dmd = f - 2.0 * ma[v_idx] + M[v_idx * T + v_idx];
            double g = dmd > 0.0 ? gap_a / dmd : gmax;
            int drop = g >= gmax;
            if (drop) g = gmax;
            for (int i = 0; i < T; i++) alpha[i] *= 1.0 + g;
            alpha[v_idx] -= g;
            if (drop) alpha[v_idx] = 0.0;
        }
        double sum = 0.0;
        for (int i = 0; i < T; i++) {
            if (alpha[i] < 0.0) alpha[i] = 0.0;
            sum += alpha[i];
        }
        for (int i = 0; i < T; i++) alpha[i] /= sum;
    }
    /* Frank-Wolfe stalled: finish exactly from the support it found */
    memcpy(work + 2 * T, alpha, sizeof *alpha * (size_t)T);
    if (polish(M, T, alpha, work + 3 * T, iwork) == 0) {
        double g2 = kkt_gap(M, T, alpha, ma);
        if (g2 <= MINNORM_EXACT_TOL || g2 <= gap) {
            gap = g2;
            if (gap <= MINNORM_EXACT_TOL) {
                if (gap_out) *gap_out = gap;
                return max_iter;
            }
        } else {
            memcpy(alpha, work + 2 * T, sizeof *alpha * (size_t)T);
        }
    } else {
        memcpy(alpha, work + 2 * T, sizeof *alpha * (size_t)T);
    }
    if (gap_out) *gap_out = gap;
    return gap <= MINNORM_EXACT_TOL ? max_iter : -1;
}
