/* combine_ref.h - independent reference solutions for the gradient
 * combiners, for the tests only. They work on the gradient vectors
 * themselves in long double (64-bit mantissa), never on the combiner's
 * Gram matrix, and solve each problem by a different method than
 * src/mtl: by enumerating the active sets of the KKT conditions, which
 * is exact and finite for the handful of tasks of a test.
 *   ref_cagrad   CAGrad's primal max_{|d - g0| <= r} min_i g_i . d
 *   ref_upgrad   UPGrad's G d (the projections onto the dual cone)
 *   ref_dualproj DualProj's G d (the mean projected onto the dual cone)
 *   ref_rank     the numerical rank of a set of rows
 *   ref_unit_hull_distance  how far the hull of the unit gradients is
 *                from the origin (Nash-MTL has a solution iff it is not 0) */
#ifndef MT_COMBINE_REF_H
#define MT_COMBINE_REF_H

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef long double ref_ld;

#define REF_MAXT 8
#define REF_MAXP 64

static inline ref_ld ref_dot(const ref_ld *a, const ref_ld *b, int n)
{
    ref_ld s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* Solves A x = b (n x n, row-major, destroyed) by Gaussian elimination
 * with partial pivoting; 0, or -1 when a pivot is below tol times the
 * largest entry. */
static inline int ref_solve(int n, ref_ld *A, ref_ld *b, ref_ld tol)
{
    ref_ld amax = 0;
    for (int i = 0; i < n * n; i++) amax = fmaxl(amax, fabsl(A[i]));
    if (!(amax > 0)) return -1;
    for (int k = 0; k < n; k++) {
        int p = k;
        for (int i = k + 1; i < n; i++)
            if (fabsl(A[i * n + k]) > fabsl(A[p * n + k])) p = i;
        if (!(fabsl(A[p * n + k]) > tol * amax)) return -1;
        for (int j = 0; j < n; j++) {
            ref_ld t = A[k * n + j];
            A[k * n + j] = A[p * n + j];
            A[p * n + j] = t;
        }
        ref_ld t = b[k];
        b[k] = b[p];
        b[p] = t;
        for (int i = k + 1; i < n; i++) {
            ref_ld f = A[i * n + k] / A[k * n + k];
            for (int j = k; j < n; j++) A[i * n + j] -= f * A[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        ref_ld s = b[k];
        for (int j = k + 1; j < n; j++) s -= A[k * n + j] * b[j];
        b[k] = s / A[k * n + k];
    }
    return 0;
}

/* Modified Gram-Schmidt (twice) on the rows listed in idx: an orthonormal
 * basis Q (up to m rows of length P) of their span. Returns its
 * dimension; a row whose part outside the span of the earlier ones is
 * below rtol of its norm adds nothing. */
static inline int ref_basis(const float *G, size_t P, const int *idx, int m, ref_ld rtol,
                            ref_ld Q[][REF_MAXP])
{
    int k = 0;
    for (int a = 0; a < m; a++) {
        ref_ld v[REF_MAXP], n0 = 0;
        for (size_t p = 0; p < P; p++) {
            v[p] = G[(size_t)idx[a] * P + p];
            n0 += v[p] * v[p];
        }
        for (int pass = 0; pass < 2; pass++)
            for (int b = 0; b < k; b++) {
                ref_ld s = ref_dot(Q[b], v, (int)P);
                for (size_t p = 0; p < P; p++) v[p] -= s * Q[b][p];
            }
        ref_ld n1 = sqrtl(ref_dot(v, v, (int)P));
        if (!(n1 > rtol * sqrtl(n0))) continue;
        for (size_t p = 0; p < P; p++) Q[k][p] = v[p] / n1;
        k++;
    }
    return k;
}

/* The numerical rank of the T rows of G (relative tolerance rtol). */
static inline int ref_rank(const float *G, int T, size_t P, ref_ld rtol)
{
    int idx[REF_MAXT];
    ref_ld Q[REF_MAXT][REF_MAXP];
    for (int i = 0; i < T; i++) idx[i] = i;
    return ref_basis(G, P, idx, T, rtol, Q);
}

/* CAGrad's primal problem max t over |d - g0| <= r with g_i . d >= t
 * (g0 the mean gradient, r = c |g0|), exactly. At an optimum on the
 * sphere, d = g0 + r u with u = g_w / |g_w| for weights w >= 0 on an
 * active set S whose tasks all reach t: u lies in span(g_S), satisfies
 * the |S| - 1 equations (g_i - g_s) . (g0 + r u) = 0 and |u| = 1, which
 * leaves at most two points for linearly independent g_S. Every subset S
 * is tried; a candidate counts when its weights are >= 0 and no other
 * task is below t. The origin counts too when it is in the ball (its
 * value 0 is optimal when the hull holds the origin). The best candidate
 * is the optimum (the problem is convex, so the KKT point is it). A zero
 * gradient is left out of the min, as the combiner does (its g_i . d is 0
 * for every d), but counts in g0. *t and
 * d (P) receive it; returns the number of valid candidates (0: none, the
 * outputs untouched). */
static inline int ref_cagrad(const float *G, int T, size_t P, double c, ref_ld *t, ref_ld *d)
{
    ref_ld g[REF_MAXT][REF_MAXP], g0[REF_MAXP] = {0};
    for (int i = 0; i < T; i++)
        for (size_t p = 0; p < P; p++) {
            g[i][p] = G[(size_t)i * P + p];
            g0[p] += g[i][p] / T;
        }
    ref_ld r = (ref_ld)c * sqrtl(ref_dot(g0, g0, (int)P)), gmax = 0;
    for (int i = 0; i < T; i++) gmax = fmaxl(gmax, sqrtl(ref_dot(g[i], g[i], (int)P)));
    ref_ld tol = 1e-12L * gmax * (sqrtl(ref_dot(g0, g0, (int)P)) + r);
    int found = 0;
    if (sqrtl(ref_dot(g0, g0, (int)P)) <= r) {
        *t = 0;
        for (size_t p = 0; p < P; p++) d[p] = 0;
        found = 1;
    }
    for (int mask = 1; mask < (1 << T); mask++) {
        int S[REF_MAXT], m = 0;
        for (int i = 0; i < T; i++)
            if (mask >> i & 1) S[m++] = i;
        ref_ld Q[REF_MAXT][REF_MAXP];
        if (ref_basis(G, P, S, m, 1e-12L, Q) < m) continue; /* g_S dependent */
        /* B y = h: row a = (g_S[a+1] - g_S[0]) . Q_b, h = -(g_S[a+1] - g_S[0]) . g0 / r */
        ref_ld B[REF_MAXT][REF_MAXT], h[REF_MAXT];
        for (int a = 0; a + 1 < m; a++) {
            ref_ld diff[REF_MAXP];
            for (size_t p = 0; p < P; p++) diff[p] = g[S[a + 1]][p] - g[S[0]][p];
            for (int b = 0; b < m; b++) B[a][b] = ref_dot(diff, Q[b], (int)P);
            h[a] = -ref_dot(diff, g0, (int)P) / r;
        }
        /* y = y_p + tau n: y_p = B^T (B B^T)^-1 h, n the unit normal of B's rows */
        ref_ld yp[REF_MAXT] = {0}, nv[REF_MAXT];
        if (m > 1) {
            ref_ld BB[REF_MAXT * REF_MAXT], z[REF_MAXT];
            for (int a = 0; a + 1 < m; a++) {
                for (int e = 0; e + 1 < m; e++) {
                    ref_ld s = 0;
                    for (int b = 0; b < m; b++) s += B[a][b] * B[e][b];
                    BB[a * (m - 1) + e] = s;
                }
                z[a] = h[a];
            }
            if (ref_solve(m - 1, BB, z, 1e-15L) != 0) continue;
            for (int b = 0; b < m; b++)
                for (int a = 0; a + 1 < m; a++) yp[b] += B[a][b] * z[a];
        }
        { /* n: a unit vector orthogonal to the rows of B (Gram-Schmidt on e_j) */
            ref_ld R[REF_MAXT][REF_MAXT];
            int k = 0;
            for (int a = 0; a + 1 < m; a++) {
                ref_ld v[REF_MAXT];
                for (int b = 0; b < m; b++) v[b] = B[a][b];
                for (int pass = 0; pass < 2; pass++)
                    for (int e = 0; e < k; e++) {
                        ref_ld s = ref_dot(R[e], v, m);
                        for (int b = 0; b < m; b++) v[b] -= s * R[e][b];
                    }
                ref_ld nn = sqrtl(ref_dot(v, v, m));
                if (nn > 0)
                    for (int b = 0; b < m; b++) R[k][b] = v[b] / nn;
                k += nn > 0;
            }
            ref_ld best = -1;
            for (int j = 0; j < m; j++) {
                ref_ld v[REF_MAXT] = {0};
                v[j] = 1;
                for (int pass = 0; pass < 2; pass++)
                    for (int e = 0; e < k; e++) {
                        ref_ld s = ref_dot(R[e], v, m);
                        for (int b = 0; b < m; b++) v[b] -= s * R[e][b];
                    }
                ref_ld nn = sqrtl(ref_dot(v, v, m));
                if (nn > best) {
                    best = nn;
                    for (int b = 0; b < m; b++) nv[b] = v[b] / nn;
                }
            }
        }
        ref_ld rest = 1 - ref_dot(yp, yp, m);
        if (rest < 0) continue;
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            ref_ld y[REF_MAXT], u[REF_MAXP] = {0}, dd[REF_MAXP];
            for (int b = 0; b < m; b++) y[b] = yp[b] + sgn * sqrtl(rest) * nv[b];
            for (int b = 0; b < m; b++)
                for (size_t p = 0; p < P; p++) u[p] += y[b] * Q[b][p];
            /* weights: u = sum_S w_a g_a needs w >= 0 (solve the S x S Gram system) */
            ref_ld A[REF_MAXT * REF_MAXT], w[REF_MAXT];
            for (int a = 0; a < m; a++) {
                for (int e = 0; e < m; e++) A[a * m + e] = ref_dot(g[S[a]], g[S[e]], (int)P);
                w[a] = ref_dot(g[S[a]], u, (int)P);
            }
            if (ref_solve(m, A, w, 1e-18L) != 0) continue;
            int ok = 1;
            ref_ld wmax = 0;
            for (int a = 0; a < m; a++) wmax = fmaxl(wmax, fabsl(w[a]));
            for (int a = 0; a < m; a++)
                if (w[a] < -1e-12L * wmax) ok = 0;
            if (!ok) continue;
            for (size_t p = 0; p < P; p++) dd[p] = g0[p] + r * u[p];
            ref_ld tv = ref_dot(g[S[0]], dd, (int)P);
            for (int i = 0; i < T; i++)
                if (ref_dot(g[i], g[i], (int)P) > 0 && ref_dot(g[i], dd, (int)P) < tv - tol) ok = 0;
            if (!ok) continue;
            if (!found || tv > *t) {
                *t = tv;
                memcpy(d, dd, sizeof *d * P);
            }
            found++;
        }
    }
    return found;
}

/* The projection of G^T u onto the dual cone {v : v . g_j >= 0} is G^T v
 * with v = argmin v^T M v over v >= u (u >= 0), found by enumerating the
 * active sets F of the KKT conditions: v_j = u_j outside F, (M v)_F = 0,
 * v_F >= u_F and (M v)_j >= 0 outside F. M (T, T) in long double; v (T)
 * the output. Returns 0, or -1 when no active set passes. */
static inline int ref_dual_cone(ref_ld M[REF_MAXT][REF_MAXT], int T, const ref_ld *u, ref_ld *vout)
{
    for (int F = 0; F < (1 << T); F++) {
        ref_ld v[REF_MAXT], A[REF_MAXT * REF_MAXT], b[REF_MAXT];
        int idx[REF_MAXT], m = 0;
        for (int j = 0; j < T; j++) {
            v[j] = u[j];
            if (F >> j & 1) idx[m++] = j;
        }
        for (int a = 0; a < m; a++) {
            b[a] = 0;
            for (int j = 0; j < T; j++)
                if (!(F >> j & 1)) b[a] -= M[idx[a]][j] * u[j];
            for (int e = 0; e < m; e++) A[a * m + e] = M[idx[a]][idx[e]];
        }
        if (m > 0 && ref_solve(m, A, b, 1e-13L) != 0) continue;
        for (int a = 0; a < m; a++) v[idx[a]] = b[a];
        int ok = 1;
        ref_ld vmax = 0;
        for (int j = 0; j < T; j++) vmax = fmaxl(vmax, fabsl(v[j]));
        for (int a = 0; a < m; a++)
            if (v[idx[a]] < u[idx[a]] - 1e-13L * vmax) ok = 0;
        for (int j = 0; j < T && ok; j++) {
            if (F >> j & 1) continue;
            ref_ld s = 0, sa = 0;
            for (int k = 0; k < T; k++) {
                s += M[j][k] * v[k];
                sa += fabsl(M[j][k] * v[k]);
            }
            if (s < -1e-13L * sa) ok = 0;
        }
        if (!ok) continue;
        memcpy(vout, v, sizeof v[0] * (size_t)T);
        return 0;
    }
    return -1;
}

static inline void ref_gram(const float *G, int T, size_t P, ref_ld M[REF_MAXT][REF_MAXT])
{
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            ref_ld s = 0;
            for (size_t p = 0; p < P; p++) s += (ref_ld)G[(size_t)i * P + p] * G[(size_t)j * P + p];
            M[i][j] = s;
        }
}

/* UPGrad's G d: d = sum_i of the projections of g_i / T (u = e_i / T).
 * Gd (T) receives it; returns 0, or -1 when an enumeration failed. */
static inline int ref_upgrad(const float *G, int T, size_t P, ref_ld *Gd)
{
    ref_ld M[REF_MAXT][REF_MAXT], alpha[REF_MAXT] = {0};
    ref_gram(G, T, P, M);
    for (int i = 0; i < T; i++) {
        ref_ld u[REF_MAXT], v[REF_MAXT];
        for (int j = 0; j < T; j++) u[j] = j == i ? 1.0L / T : 0;
        if (ref_dual_cone(M, T, u, v) != 0) return -1;
        for (int j = 0; j < T; j++) alpha[j] += v[j];
    }
    for (int j = 0; j < T; j++) {
        Gd[j] = 0;
        for (int k = 0; k < T; k++) Gd[j] += M[j][k] * alpha[k];
    }
    return 0;
}

/* DualProj's G d: the projection of the mean (u = 1 / T). */
static inline int ref_dualproj(const float *G, int T, size_t P, ref_ld *Gd)
{
    ref_ld M[REF_MAXT][REF_MAXT], u[REF_MAXT], v[REF_MAXT];
    ref_gram(G, T, P, M);
    for (int j = 0; j < T; j++) u[j] = 1.0L / T;
    if (ref_dual_cone(M, T, u, v) != 0) return -1;
    for (int j = 0; j < T; j++) {
        Gd[j] = 0;
        for (int k = 0; k < T; k++) Gd[j] += M[j][k] * v[k];
    }
    return 0;
}

/* The distance from the origin to the convex hull of the unit vectors
 * along the nonzero rows of G, exactly: the min-norm point lies on some
 * affinely independent support S, where it is the affine min-norm point
 * (solve [U_S U_S^T 1; 1^T 0] [w; nu] = [0; 1]); a support counts when
 * w >= 0 and every u_j . z >= |z|^2 (the KKT conditions). */
static inline ref_ld ref_unit_hull_distance(const float *G, int T, size_t P)
{
    ref_ld u[REF_MAXT][REF_MAXP];
    int m = 0;
    for (int i = 0; i < T; i++) {
        ref_ld n = 0;
        for (size_t p = 0; p < P; p++) n += (ref_ld)G[(size_t)i * P + p] * G[(size_t)i * P + p];
        if (!(n > 0)) continue;
        for (size_t p = 0; p < P; p++) u[m][p] = G[(size_t)i * P + p] / sqrtl(n);
        m++;
    }
    ref_ld best = m ? INFINITY : 0;
    for (int mask = 1; mask < (1 << m); mask++) {
        int S[REF_MAXT], k = 0;
        for (int i = 0; i < m; i++)
            if (mask >> i & 1) S[k++] = i;
        ref_ld A[(REF_MAXT + 1) * (REF_MAXT + 1)], b[REF_MAXT + 1];
        for (int a = 0; a <= k; a++) {
            for (int e = 0; e <= k; e++)
                A[a * (k + 1) + e] = a < k && e < k ? ref_dot(u[S[a]], u[S[e]], (int)P) : (a == k) != (e == k) ? 1 : 0;
            b[a] = a == k ? 1 : 0;
        }
        if (ref_solve(k + 1, A, b, 1e-15L) != 0) continue;
        int ok = 1;
        for (int a = 0; a < k; a++)
            if (b[a] < -1e-15L) ok = 0;
        if (!ok) continue;
        ref_ld z[REF_MAXP] = {0};
        for (int a = 0; a < k; a++)
            for (size_t p = 0; p < P; p++) z[p] += b[a] * u[S[a]][p];
        ref_ld zz = ref_dot(z, z, (int)P);
        for (int j = 0; j < m && ok; j++)
            if (ref_dot(u[j], z, (int)P) < zz - 1e-15L) ok = 0;
        if (ok && sqrtl(zz) < best) best = sqrtl(zz);
    }
    return best;
}

#endif
