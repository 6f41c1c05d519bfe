#include "linalg.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

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
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, T, (int)n, 1.0, work, (int)n, 1.0, M, T);
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
