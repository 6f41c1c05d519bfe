#include "linalg.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "engine/kernels.h"

/* Float inputs, double sums: a cosine near zero between two gradients of
 * a million entries is a difference of large sums, and float32
 * accumulation would bury it. Converting a block of columns at a time
 * keeps dsyrk's blocking (and its speed) while the arithmetic is double. */
/* Two tasks, the common case: eight independent lanes per product so the
 * compiler can vectorise without reassociating a sum. */
static void gram_two(const float *a, const float *b, size_t P, double *M)
{
    double aa[8] = {0}, ab[8] = {0}, bb[8] = {0};
    size_t k = 0;
    for (; k + 8 <= P; k += 8)
        for (int j = 0; j < 8; j++) {
            double x = a[k + (size_t)j], y = b[k + (size_t)j];
            aa[j] += x * x;
            ab[j] += x * y;
            bb[j] += y * y;
        }
    double s00 = 0, s01 = 0, s11 = 0;
    for (int j = 0; j < 8; j++) {
        s00 += aa[j];
        s01 += ab[j];
        s11 += bb[j];
    }
    for (; k < P; k++) {
        double x = a[k], y = b[k];
        s00 += x * x;
        s01 += x * y;
        s11 += y * y;
    }
    M[0] = s00;
    M[1] = M[2] = s01;
    M[3] = s11;
}

void linalg_gram(const float *G, int T, size_t P, double *M, double *work)
{
    if (T == 2) {
        gram_two(G, G + P, P, M);
        return;
    }
    memset(M, 0, sizeof *M * (size_t)T * (size_t)T);
    for (size_t p0 = 0; p0 < P; p0 += LINALG_GRAM_CHUNK) {
        size_t n = P - p0 < LINALG_GRAM_CHUNK ? P - p0 : LINALG_GRAM_CHUNK;
        for (int i = 0; i < T; i++) {
            const float *src = G + (size_t)i * P + p0;
            double *dst = work + (size_t)i * n;
            for (size_t k = 0; k < n; k++) dst[k] = src[k];
        }
        /* the engine's thread rule: a chunk is a small call (T = 40: 1.6M
         * multiply-adds), and two threads were no faster on it side by
         * side (median ratio 1.00 over 200 pairs on the shared 2-core
         * machine) while the second spun in sched_yield: 16% of the CPU
         * samples of bench_weighting tasks */
        int saved = kern_blas_serial_begin(0.5 * T * T * (double)n);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, T, (int)n, 1.0, work, (int)n, 1.0, M, T);
        kern_blas_serial_end(saved);
    }
    for (int i = 0; i < T; i++)
        for (int j = 0; j < i; j++) M[i * T + j] = M[j * T + i];
}

/* Four partial sums let the compiler pipeline (and vectorise) the loop. */
double linalg_dot_f(const float *a, const float *b, size_t n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += (double)a[k] * b[k];
        s1 += (double)a[k + 1] * b[k + 1];
        s2 += (double)a[k + 2] * b[k + 2];
        s3 += (double)a[k + 3] * b[k + 3];
    }
    for (; k < n; k++) s0 += (double)a[k] * b[k];
    return (s0 + s1) + (s2 + s3);
}

/* Cyclic Jacobi: slow in n but n is the number of tasks, and it is
 * accurate for the small eigenvalues that condition numbers and
 * Aligned-MTL depend on. */
int linalg_eigh(int n, double *A, double *evals, double *V)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) V[i * n + j] = i == j ? 1.0 : 0.0;
    double total = 0.0;
    for (int i = 0; i < n * n; i++) total += A[i] * A[i];
    int sweep;
    int converged = 0;
    for (sweep = 0; sweep < 100; sweep++) {
        double off = 0.0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
        if (off <= 1e-30 * total || off == 0.0) {
            converged = 1;
            break;
        }
        for (int p = 0; p < n; p++) {
            for (int q = p + 1; q < n; q++) {
                double apq = A[p * n + q];
                if (apq == 0.0) continue;
                double theta = (A[q * n + q] - A[p * n + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < n; k++) {
                    double akp = A[k * n + p], akq = A[k * n + q];
                    A[k * n + p] = c * akp - s * akq;
                    A[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) {
                    double apk = A[p * n + k], aqk = A[q * n + k];
                    A[p * n + k] = c * apk - s * aqk;
                    A[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = V[k * n + p], vkq = V[k * n + q];
                    V[k * n + p] = c * vkp - s * vkq;
                    V[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    for (int i = 0; i < n; i++) evals[i] = A[i * n + i];
    /* selection sort, descending, moving eigenvector columns along */
    for (int i = 0; i < n; i++) {
        int best = i;
        for (int j = i + 1; j < n; j++)
            if (evals[j] > evals[best]) best = j;
        if (best != i) {
            double e = evals[i];
            evals[i] = evals[best];
            evals[best] = e;
            for (int k = 0; k < n; k++) {
                double v = V[k * n + i];
                V[k * n + i] = V[k * n + best];
                V[k * n + best] = v;
            }
        }
    }
    return converged ? sweep : -1;
}

int linalg_solve(int n, double *A, double *b)
{
    double amax = 0.0;
    for (int i = 0; i < n * n; i++)
        if (fabs(A[i]) > amax) amax = fabs(A[i]);
    if (!(amax > 0.0)) return -1;
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[piv * n + k])) piv = i;
        if (!(fabs(A[piv * n + k]) > 1e-13 * amax)) return -1;
        if (piv != k) {
            for (int j = 0; j < n; j++) {
                double t = A[k * n + j];
                A[k * n + j] = A[piv * n + j];
                A[piv * n + j] = t;
            }
            double t = b[k];
            b[k] = b[piv];
            b[piv] = t;
        }
        for (int i = k + 1; i < n; i++) {
            double f = A[i * n + k] / A[k * n + k];
            if (f == 0.0) continue;
            for (int j = k; j < n; j++) A[i * n + j] -= f * A[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        double s = b[k];
        for (int j = k + 1; j < n; j++) s -= A[k * n + j] * b[j];
        b[k] = s / A[k * n + k];
    }
    return 0;
}

/* Sort-based projection (Held, Wolfe and Crowder): the projection is
 * max(y - theta, 0) for the one theta that makes it sum to one. */
void linalg_project_simplex(int n, double *y, double *work)
{
    memcpy(work, y, sizeof *y * (size_t)n);
    for (int i = 1; i < n; i++) { /* insertion sort, descending */
        double v = work[i];
        int j = i - 1;
        while (j >= 0 && work[j] < v) {
            work[j + 1] = work[j];
            j--;
        }
        work[j + 1] = v;
    }
    double cum = 0.0, theta = 0.0;
    for (int k = 0; k < n; k++) {
        cum += work[k];
        double t = (cum - 1.0) / (double)(k + 1);
        if (work[k] - t > 0.0) theta = t;
    }
    for (int i = 0; i < n; i++) y[i] = y[i] > theta ? y[i] - theta : 0.0;
}

/* Solves the unconstrained problem on the passive set: Q_PP z_P = -q_P. */
static int nnqp_solve_passive(int n, const double *Q, const double *q, const int *pass, double *z,
                              double *Qpp, double *rhs, int *idx)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (pass[i]) idx[m++] = i;
    for (int a = 0; a < m; a++) {
        for (int b = 0; b < m; b++) Qpp[a * m + b] = Q[idx[a] * n + idx[b]];
        rhs[a] = -q[idx[a]];
    }
    if (m > 0 && linalg_solve(m, Qpp, rhs) != 0) return -1;
    for (int i = 0; i < n; i++) z[i] = 0.0;
    for (int a = 0; a < m; a++) z[idx[a]] = rhs[a];
    return 0;
}

/* Lawson-Hanson: grow the set of free variables by the most violated
 * KKT condition; when the unconstrained solution on that set leaves the
 * orthant, step back to the boundary and drop the variables that hit it.
 * Finite for positive definite Q; the iteration cap guards round-off. */
int linalg_nnqp(int n, const double *Q, const double *q, double *x, double *work, int *iwork)
{
    double *Qpp = work;            /* (n, n) */
    double *rhs = Qpp + n * n;     /* (n) */
    double *z = rhs + n;           /* (n) */
    double *w = z + n;             /* (n) negative gradient */
    int *pass = iwork;             /* (n) 1 = free variable */
    int *idx = iwork + n;          /* (n) */
    double scale = 0.0;
    for (int i = 0; i < n; i++) {
        x[i] = 0.0;
        pass[i] = 0;
        if (fabs(q[i]) > scale) scale = fabs(q[i]);
        for (int j = 0; j < n; j++)
            if (fabs(Q[i * n + j]) > scale) scale = fabs(Q[i * n + j]);
    }
    double tol = 1e-13 * (scale > 0 ? scale : 1.0);
    int outer;
    int banned = -1; /* an index whose addition made no progress */
    for (outer = 0; outer < 3 * n + 10; outer++) {
        int j = -1;
        double xmax = 0.0;
        for (int i = 0; i < n; i++)
            if (x[i] > xmax) xmax = x[i];
        for (int i = 0; i < n; i++) {
            double g = q[i];
            for (int k = 0; k < n; k++) g += Q[i * n + k] * x[k];
            w[i] = -g;
            if (!pass[i] && i != banned && w[i] > tol * (1.0 + xmax) && (j < 0 || w[i] > w[j])) j = i;
        }
        if (j < 0) return outer;
        pass[j] = 1;
        int first = 1;
        for (int inner = 0; inner <= n + 1; inner++) {
            if (nnqp_solve_passive(n, Q, q, pass, z, Qpp, rhs, idx) != 0) return -1;
            int feasible = 1;
            for (int i = 0; i < n; i++)
                if (pass[i] && z[i] <= 0.0) feasible = 0;
            if (feasible) {
                memcpy(x, z, sizeof *x * (size_t)n);
                banned = -1;
                break;
            }
            if (first && z[j] <= 0.0) {
                /* round-off: the variable just freed wants to stay at 0 */
                pass[j] = 0;
                banned = j;
                break;
            }
            first = 0;
            double alpha = 1.0;
            int imin = -1;
            for (int i = 0; i < n; i++) {
                if (pass[i] && z[i] <= 0.0) {
                    double a = x[i] / (x[i] - z[i]);
                    if (imin < 0 || a < alpha) {
                        alpha = a;
                        imin = i;
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                x[i] += alpha * (z[i] - x[i]);
                if (pass[i] && (i == imin || x[i] <= 0.0)) {
                    pass[i] = 0;
                    x[i] = 0.0;
                }
            }
        }
    }
    return -1;
}

/* Complete pivoting on the relative remaining diagonal (the part of g_i
 * outside the span of the columns already taken, over |g_i|^2): the
 * order is that of a pivoted QR on the unit gradients, so a task whose
 * gradient is 1e8 smaller than the others keeps its direction, and every
 * entry of a row is bounded by its column's own remaining norm. */
int linalg_psd_factor(int n, const double *M, double *A, double *work, int *iwork)
{
    double *S = work;       /* (n, n) Schur complement */
    double *d0 = S + n * n; /* (n) original diagonal */
    int *piv = iwork;       /* (n) */
    memcpy(S, M, sizeof *S * (size_t)n * (size_t)n);
    memset(A, 0, sizeof *A * (size_t)n * (size_t)n);
    for (int i = 0; i < n; i++) {
        piv[i] = i;
        d0[i] = M[i * n + i];
    }
    int k = 0;
    for (; k < n; k++) {
        int best = -1;
        double br = 0.0;
        for (int i = k; i < n; i++) {
            int q = piv[i];
            double rel = d0[q] > 0.0 ? S[q * n + q] / d0[q] : 0.0;
            if (rel > DBL_EPSILON && rel > br) {
                br = rel;
                best = i;
            }
        }
        if (best < 0) break;
        int t = piv[k];
        piv[k] = piv[best];
        piv[best] = t;
        int p = piv[k];
        double rkk = sqrt(S[p * n + p]);
        A[k * n + p] = rkk;
        for (int i = k + 1; i < n; i++) A[k * n + piv[i]] = S[p * n + piv[i]] / rkk;
        for (int i = k + 1; i < n; i++) {
            int q = piv[i];
            double aq = A[k * n + q];
            for (int j = k + 1; j < n; j++) S[q * n + piv[j]] -= aq * A[k * n + piv[j]];
        }
    }
    return k;
}

/* min |A_P z - b| over the passive columns idx[0..k) by Householder QR of
 * a fresh copy. Returns -1 on success (z (k) written), or the position j
 * of the first column whose part outside the span of the ones before it
 * is below 1e-9 of its norm (then z is unspecified). Q holds m*k
 * doubles, rhs m. */
static int nnls_ls(int m, int n, const double *A, const double *b, const int *idx, int k, double *Q,
                   double *rhs, double *z)
{
    if (k > m) return m;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < k; j++) Q[i * k + j] = A[i * n + idx[j]];
        rhs[i] = b[i];
    }
    for (int j = 0; j < k; j++) {
        double cn = 0.0, s = 0.0;
        for (int i = 0; i < m; i++) cn += Q[i * k + j] * Q[i * k + j]; /* reflections keep the norm */
        for (int i = j; i < m; i++) s += Q[i * k + j] * Q[i * k + j];
        if (!(s > 1e-18 * cn)) return j;
        double x0 = Q[j * k + j];
        double alpha = x0 >= 0.0 ? -sqrt(s) : sqrt(s);
        double v0 = x0 - alpha;
        double vv = s - x0 * x0 + v0 * v0; /* |v|^2 with v = (v0, Q[j+1.., j]) */
        Q[j * k + j] = v0;
        for (int c = j + 1; c <= k; c++) { /* c == k: the right-hand side */
            double t = 0.0;
            for (int i = j; i < m; i++) t += Q[i * k + j] * (c < k ? Q[i * k + c] : rhs[i]);
            double f = 2.0 * t / vv;
            for (int i = j; i < m; i++) {
                if (c < k) Q[i * k + c] -= f * Q[i * k + j];
                else rhs[i] -= f * Q[i * k + j];
            }
        }
        Q[j * k + j] = alpha;
    }
    for (int j = k - 1; j >= 0; j--) {
        double s = rhs[j];
        for (int c = j + 1; c < k; c++) s -= Q[j * k + c] * z[c];
        z[j] = s / Q[j * k + j];
    }
    return -1;
}

/* Lawson and Hanson (1974, ch. 23), with their two round-off guards: a
 * column whose least-squares coefficient comes out non-positive right
 * after it is freed, or that is dependent on the free ones, is set aside
 * until the point moves. Columns are compared by w_j / |A_j| so the
 * choice does not depend on how the columns are scaled. */
int linalg_nnls(int m, int n, const double *A, const double *b, double *x, double *work, int *iwork)
{
    double *Q = work;          /* (m, n) */
    double *rhs = Q + m * n;   /* (m) */
    double *res = rhs + m;     /* (m) */
    double *w = res + m;       /* (n) */
    double *z = w + n;         /* (n) */
    double *zc = z + n;        /* (n) */
    double *cn = zc + n;       /* (n) column norms */
    int *idx = iwork;          /* (n) passive columns, in the order freed */
    int *state = iwork + n;    /* (n) 0 at zero, 1 passive, 2 set aside */
    double bn = 0.0;
    for (int i = 0; i < m; i++) bn += b[i] * b[i];
    bn = sqrt(bn);
    for (int j = 0; j < n; j++) {
        double s = 0.0;
        for (int i = 0; i < m; i++) s += A[i * n + j] * A[i * n + j];
        cn[j] = sqrt(s);
        x[j] = 0.0;
        state[j] = 0;
    }
    int k = 0;
    for (int outer = 0; outer < 3 * n + 10; outer++) {
        double ax = 0.0;
        for (int j = 0; j < n; j++) ax += cn[j] * fabs(x[j]);
        for (int i = 0; i < m; i++) {
            double s = b[i];
            for (int j = 0; j < n; j++) s -= A[i * n + j] * x[j];
            res[i] = s;
        }
        int t = -1;
        double best = 0.0;
        for (int j = 0; j < n; j++) {
            if (state[j] != 0 || !(cn[j] > 0.0)) continue;
            double s = 0.0;
            for (int i = 0; i < m; i++) s += A[i * n + j] * res[i];
            w[j] = s;
            if (s > 64.0 * DBL_EPSILON * cn[j] * (bn + ax) && s / cn[j] > best) {
                best = s / cn[j];
                t = j;
            }
        }
        if (t < 0) return outer;
        idx[k++] = t;
        state[t] = 1;
        for (int inner = 0; inner <= n + 1; inner++) {
            int dep = nnls_ls(m, n, A, b, idx, k, Q, rhs, zc);
            int tpos = -1;
            for (int a = 0; a < k; a++)
                if (idx[a] == t) tpos = a;
            if (dep >= 0 || (inner == 0 && tpos >= 0 && !(zc[tpos] > 0.0))) {
                /* t adds nothing the free columns cannot do: set it aside */
                if (tpos < 0) return -1; /* cannot happen: the others were independent */
                for (int a = tpos; a + 1 < k; a++) idx[a] = idx[a + 1];
                k--;
                state[t] = 2;
                if (inner == 0) break;
                /* after a step back the point moved: solve again without t */
                t = -1;
                continue;
            }
            for (int j = 0; j < n; j++) z[j] = 0.0;
            for (int a = 0; a < k; a++) z[idx[a]] = zc[a];
            int feasible = 1;
            for (int a = 0; a < k; a++)
                if (!(zc[a] > 0.0)) feasible = 0;
            if (feasible) {
                memcpy(x, z, sizeof *x * (size_t)n);
                for (int j = 0; j < n; j++)
                    if (state[j] == 2) state[j] = 0;
                break;
            }
            double step = 1.0;
            int jmin = -1;
            for (int a = 0; a < k; a++) {
                int j = idx[a];
                if (zc[a] > 0.0) continue;
                double s = x[j] / (x[j] - zc[a]);
                if (jmin < 0 || s < step) {
                    step = s;
                    jmin = j;
                }
            }
            for (int j = 0; j < n; j++) x[j] += step * (z[j] - x[j]);
            int kk = 0;
            for (int a = 0; a < k; a++) {
                int j = idx[a];
                if (j == jmin || !(x[j] > 0.0)) {
                    x[j] = 0.0;
                    state[j] = 0;
                } else {
                    idx[kk++] = j;
                }
            }
            k = kk;
            for (int j = 0; j < n; j++)
                if (state[j] == 2) state[j] = 0;
        }
    }
    return -1;
}

/* Blocks of LINALG_GRAM_CHUNK columns: each row of G streams through once
 * and the sums stay in cache. ISO C mode keeps the compiler from fusing
 * the multiply-adds, so the result is the same on every x86-64. */
void linalg_combine(const float *G, int T, size_t P, const double *alpha, float *d, double *work)
{
    for (size_t p0 = 0; p0 < P; p0 += LINALG_GRAM_CHUNK) {
        size_t n = P - p0 < LINALG_GRAM_CHUNK ? P - p0 : LINALG_GRAM_CHUNK;
        for (size_t k = 0; k < n; k++) work[k] = 0.0;
        for (int i = 0; i < T; i++) {
            double a = alpha[i];
            if (a == 0.0) continue;
            const float *row = G + (size_t)i * P + p0;
            for (size_t k = 0; k < n; k++) work[k] += a * row[k];
        }
        for (size_t k = 0; k < n; k++) d[p0 + k] = (float)work[k];
    }
}
