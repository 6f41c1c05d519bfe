/* cagrad.c - CAGrad's dual, solved exactly (cagrad.h). */
#include "cagrad.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "linalg.h"

/* CAGrad's dual F(w) = w . (M b) + r |g_w| (b = 1/T, g_w = G^T w) on the
 * simplex, through a square root R (k, T) of M (R^T R = M: the gradients
 * in k coordinates, so |g_w| = |R w| has no cancellation). */
typedef struct {
    int k, T, m;      /* rank, tasks, tasks with a nonzero gradient */
    const int *act;   /* (m) those tasks */
    const double *R; /* (k, T) */
    const double *g0; /* (k) R b: the mean gradient */
    const double *a;  /* (T) M b */
    double r, gmax;   /* radius, max_i |g_i| */
    double *P;        /* (k, m) the shifted points */
    double *w;        /* (m) the last inner solution, over act */
    double *u;        /* (k) R w */
    double *grad;     /* (m) gradient of F at w */
    double *work;
    int *iwork;
} cagrad_dual;

/* w(mu) = the min-norm point of the gradients' hull shifted by mu g0: the
 * minimiser of w . a + |g_w|^2 / (2 mu) on the simplex. Returns |g_w| -
 * r mu (the dual optimum is the mu where this is zero, since there the
 * gradient a + M w / mu of that quadratic is F's gradient a + r M w /
 * |g_w|), and in *gap the duality gap at w: F(w) - min_i g_i . d(w) for
 * d(w) = g0 + r g_w / |g_w| (INFINITY when g_w = 0); -INFINITY on a
 * failed solve. */
static double cagrad_shifted(cagrad_dual *q, double mu, double *gap)
{
    int k = q->k, T = q->T, m = q->m;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < m; j++) q->P[i * m + j] = q->R[i * T + q->act[j]] + mu * q->g0[i];
    *gap = INFINITY;
    if (minnorm_hull(k, m, q->P, q->w, q->work, q->iwork) != 0) return -INFINITY;
    double gn = 0.0;
    for (int i = 0; i < k; i++) {
        double s = 0.0;
        for (int j = 0; j < m; j++) s += q->R[i * T + q->act[j]] * q->w[j];
        q->u[i] = s;
        gn += s * s;
    }
    gn = sqrt(gn);
    if (gn <= 1e-12 * q->gmax) gn = 0.0; /* round-off: g_w is 0, and has no direction */
    if (gn > 0.0) {
        double F = 0.0, lo = INFINITY;
        for (int j = 0; j < m; j++) {
            double s = 0.0;
            for (int i = 0; i < k; i++) s += q->R[i * T + q->act[j]] * q->u[i];
            q->grad[j] = q->a[q->act[j]] + q->r * s / gn;
            F += q->w[j] * q->grad[j];
            lo = fmin(lo, q->grad[j]);
        }
        *gap = F - lo;
    }
    return gn - q->r * mu;
}

/* Keeps the inner solution with the smallest duality gap, and its |g_w|. */
static void cagrad_keep(const cagrad_dual *q, double gap, double *gbest, double *best, double *nbest)
{
    if (!(gap < *gbest)) return;
    *gbest = gap;
    memcpy(best, q->w, sizeof *best * (size_t)q->m);
    double n = 0.0;
    for (int i = 0; i < q->k; i++) n += q->u[i] * q->u[i];
    *nbest = sqrt(n);
}

/* min over the tasks with a nonzero gradient of g_i . d for d = G^T alpha */
static double cagrad_worst(const double *M, int T, const double *alpha)
{
    double lo = INFINITY;
    for (int i = 0; i < T; i++) {
        if (!(M[i * T + i] > 0.0)) continue;
        double s = 0.0;
        for (int k = 0; k < T; k++) s += M[i * T + k] * alpha[k];
        lo = fmin(lo, s);
    }
    return lo;
}

/* alpha from the dual point with the smallest gap, unless d = 0 (when the
 * ball holds it) or the mean g0 has a better worst case. They can: when
 * the origin is in the hull (opposed gradients, a gradient in the cone of
 * the others' negatives) the optimum value is 0 and g_w is 0 up to
 * round-off, so g_w / |g_w| is a direction of noise. Every candidate is
 * in the ball, so the best worst case is the better answer. */
static void cagrad_choose(const double *M, int T, double r, double g0n, const double *best, double nbest,
                          double *alpha, double *cand)
{
    double bestv = cagrad_worst(M, T, alpha); /* alpha holds the mean */
    if (g0n <= r && bestv < 0.0) {
        for (int i = 0; i < T; i++) alpha[i] = 0.0;
        bestv = 0.0;
    }
    if (nbest > 0.0) {
        for (int i = 0, m = 0; i < T; i++) cand[i] = 1.0 / T + (M[i * T + i] > 0.0 ? r / nbest * best[m++] : 0.0);
        if (cagrad_worst(M, T, cand) >= bestv) memcpy(alpha, cand, sizeof *cand * (size_t)T);
    }
}

/* The dual is a convex problem on the simplex. Its optimum is found as the
 * root of h(mu) = |g_w(mu)| - r mu, which is positive below the root and
 * negative above it (|g_w(mu)| / mu does not increase); each evaluation is
 * an exact min-norm point (minnorm_hull). Bracket by halving from mu =
 * 2 max_i |g_i| / r, then the Illinois variant of regula falsi with a
 * bisection every fourth step. Converged when the duality gap at the
 * current point (F(w) - min_i g_i . d(w) >= 0, the Frank-Wolfe gap of the
 * dual) is below 1e-13 of max_i |g_i| (|g0| + r), or when the bracket has
 * closed; the point with the smallest gap is kept (cagrad_choose). When h
 * is not positive even at mu = 1e-24 of the top, the origin is in the
 * hull: the optimum value is 0 and d = 0 attains it if |g0| <= r. A task
 * whose gradient is exactly zero (masked) is left out of the worst case -
 * its g_i . d is 0 whatever d, and it would put the origin in the hull -
 * but it still counts in the mean g0. */
mt_status cagrad_solve(const double *M, int T, double c, double *alpha, double *work, int *iwork)
{
    double *R = work, *P = R + T * T, *g0 = P + T * T, *a = g0 + T, *best = a + T, *w = best + T, *u = w + T,
           *grad = u + T, *cand = grad + T, *rest = cand + T;
    int *act = iwork, *iw = iwork + T;
    for (int i = 0; i < T; i++) alpha[i] = 1.0 / T;
    int k = linalg_psd_factor(T, M, R, rest, iw);
    double g0n = 0.0, gmax = 0.0;
    for (int i = 0; i < k; i++) {
        double s = 0.0;
        for (int j = 0; j < T; j++) s += R[i * T + j] / T;
        g0[i] = s;
        g0n += s * s;
    }
    g0n = sqrt(g0n);
    int m = 0;
    for (int j = 0; j < T; j++) {
        double s = 0.0;
        for (int i = 0; i < k; i++) s += R[i * T + j] * g0[i];
        a[j] = s;
        gmax = fmax(gmax, sqrt(fmax(M[j * T + j], 0.0)));
        if (M[j * T + j] > 0.0) act[m++] = j;
    }
    double r = c * g0n;
    if (!(r > 0.0) || k == 0) return MT_OK;
    cagrad_dual q = {.k = k, .T = T, .m = m, .act = act, .R = R, .g0 = g0, .a = a, .r = r, .gmax = gmax, .P = P,
                     .w = w, .u = u, .grad = grad, .work = rest, .iwork = iw};
    double scale = gmax * (g0n + r), tol = 1e-13 * scale, gbest = INFINITY, gap, nbest = 0.0;
    double hi = 2.0 * gmax / r, fhi = cagrad_shifted(&q, hi, &gap), lo = hi, flo = fhi; /* h(hi) <= -gmax */
    cagrad_keep(&q, gap, &gbest, best, &nbest);
    for (int h = 0; h < 80 && !(flo > 0.0) && gbest > tol; h++) {
        hi = lo;
        fhi = flo;
        lo = 0.5 * lo;
        flo = cagrad_shifted(&q, lo, &gap);
        cagrad_keep(&q, gap, &gbest, best, &nbest);
    }
    if (!(fhi <= 0.0) || flo == -INFINITY || fhi == -INFINITY)
        return mt_fail(MT_ERR_NUMERIC, "combine cagrad: the min-norm solve of the dual failed");
    if (gbest > tol && flo > 0.0) {
        int side = 0;
        for (int it = 0; it < 200 && gbest > tol && hi - lo > 4.0 * DBL_EPSILON * hi; it++) {
            double mu = it % 4 == 3 ? 0.5 * (lo + hi) : (lo * fhi - hi * flo) / (fhi - flo);
            if (!(mu > lo && mu < hi)) mu = 0.5 * (lo + hi);
            double f = cagrad_shifted(&q, mu, &gap);
            if (f == -INFINITY) return mt_fail(MT_ERR_NUMERIC, "combine cagrad: the min-norm solve of the dual failed");
            cagrad_keep(&q, gap, &gbest, best, &nbest);
            if (f > 0.0) {
                lo = mu;
                flo = f;
                if (side == 1) fhi *= 0.5;
                side = 1;
            } else {
                hi = mu;
                fhi = f;
                if (side == -1) flo *= 0.5;
                side = -1;
            }
        }
    }
    if (flo > 0.0 && !(gbest <= 1e-6 * scale))
        return mt_fail(MT_ERR_NUMERIC, "combine cagrad: the dual solve stopped with a duality gap of %g (%g of the scale)",
                       gbest, gbest / scale);
    cagrad_choose(M, T, r, g0n, best, nbest, alpha, cand);
    return MT_OK;
}
