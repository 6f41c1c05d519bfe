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
/* max(FW gap, away gap) of alpha; ma receives M alpha. */
static double kkt_gap(const double *M, int T, const double *alpha, double *ma)
{
    double f = 0.0;
    for (int i = 0; i < T; i++) {
        double s = 0.0;
        for (int k = 0; k < T; k++) s += M[i * T + k] * alpha[k];
        ma[i] = s;
        f += alpha[i] * s;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < T; i++) {
        if (ma[i] < lo) lo = ma[i];
        if (alpha[i] > 0.0 && ma[i] > hi) hi = ma[i];
    }
    return fmax(f - lo, hi - f);
}

/* The exact finish. With Q = M + eps I positive definite, the minimiser x
 * of x^T Q x - 2 1^T x over x >= 0 satisfies (Q x)_i >= 1 with equality
 * on its support, so x / sum(x) satisfies the simplex KKT conditions of
 * Q: the min-norm point up to eps. Lawson-Hanson solves it in finitely
 * many steps, where Frank-Wolfe can crawl on degenerate hulls. */
static int polish(const double *M, int T, double *alpha, double *work, int *iwork, double scale)
{
    double *Q = work, *q = Q + T * T, *x = q + T, *qpw = x + T;
    double eps = 1e-12 * scale;
    for (int i = 0; i < T; i++) {
        for (int k = 0; k < T; k++) Q[i * T + k] = M[i * T + k] + (i == k ? eps : 0.0);
        q[i] = -1.0;
    }
    if (linalg_nnqp(T, Q, q, x, qpw, iwork) < 0) return -1;
    double s = 0.0;
    for (int i = 0; i < T; i++) s += x[i];
    if (!(s > 0.0) || !isfinite(s)) return -1;
    for (int i = 0; i < T; i++) alpha[i] = x[i] / s;
    return 0;
}

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

    double scale = 0.0;
    for (int i = 0; i < T; i++)
        if (M[i * T + i] > scale) scale = M[i * T + i];
    double abs_tol = tol * (scale > 0.0 ? scale : 1.0);
    double gap = INFINITY;
    for (int it = 0; it < max_iter; it++) {
        double f = 0.0;
        for (int i = 0; i < T; i++) {
            double s = 0.0;
            for (int k = 0; k < T; k++) s += M[i * T + k] * alpha[k];
            ma[i] = s;
            f += alpha[i] * s;
        }
        int s_idx = 0, v_idx = -1;
        for (int i = 1; i < T; i++)
            if (ma[i] < ma[s_idx]) s_idx = i;
        for (int i = 0; i < T; i++)
            if (alpha[i] > 0.0 && (v_idx < 0 || ma[i] > ma[v_idx])) v_idx = i;
        double gap_fw = f - ma[s_idx], gap_a = ma[v_idx] - f;
        gap = gap_fw > gap_a ? gap_fw : gap_a;
        if (gap <= abs_tol) {
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
    if (polish(M, T, alpha, work + 3 * T, iwork, scale) == 0) {
        double g2 = kkt_gap(M, T, alpha, ma);
        if (g2 <= abs_tol || g2 <= gap) {
            gap = g2;
            if (gap <= abs_tol) {
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
    return -1;
}
