/* cagrad.h - the weights of CAGrad (Liu et al. 2021) from the Gram matrix.
 *
 * With g0 the mean gradient and r = c |g0|, CAGrad's direction maximises
 * the worst improvement min_i g_i . d over the ball |d - g0| <= r. Its dual
 * is min over the simplex of F(w) = g_w . g0 + r |g_w| (g_w = G^T w), and
 * d = g0 + (r / |g_w|) g_w. The optimum is found as the mu with |g_w(mu)|
 * = r mu, where w(mu) is the min-norm point of the hull of the gradients
 * shifted by mu g0 (minnorm_hull on a square root of M, in double): each
 * evaluation is exact, and the search stops when the duality gap F(w) -
 * min_i g_i . d(w) at the current point is below 1e-13 of max |g_i|
 * (|g0| + r). */
#ifndef MT_CAGRAD_H
#define MT_CAGRAD_H

#include "core/status.h"
#include "minnorm.h"

/* Doubles of work cagrad_solve needs for T tasks (ints: 3 T). */
#define CAGRAD_WORK(T) (2 * (T) * (T) + 8 * (T) + MINNORM_WORK(T))

/* alpha (T) with d = G^T alpha (before any rescale), from M (T, T) and
 * c >= 0; c = 0 or g0 = 0 gives the mean. A task whose gradient is
 * exactly zero (masked) is left out of the worst case - its g_i . d is 0
 * whatever d, and it would put the origin in the hull - but counts in g0.
 * When the origin is in the hull of the others (opposed gradients), the
 * optimum value is 0 and g_w / |g_w| is a direction of round-off: of the
 * candidates d = 0 (when |g0| <= r), the mean and the best dual point,
 * the one with the best worst case is returned. A duality gap left above
 * 1e-6 of the scale, or a failed min-norm solve, is MT_ERR_NUMERIC. work
 * holds CAGRAD_WORK(T) doubles, iwork 3 T ints. */
mt_status cagrad_solve(const double *M, int T, double c, double *alpha, double *work, int *iwork);

#endif
