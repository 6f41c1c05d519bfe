/* model_testutil.h - independent dense references for the non-graph
 * models' tests: an explicit inverse by Gauss-Jordan elimination with
 * partial pivoting, a log-determinant by LU, and small seeded problems.
 * Nothing here calls LAPACK, so the models' LAPACK paths are checked
 * against arithmetic done another way. */
#ifndef MT_MODEL_TESTUTIL_H
#define MT_MODEL_TESTUTIL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"

/* |a - b| <= tol, printing both on failure */
#define NEAR(a, b, tol) near_((double)(a), (double)(b), (double)(tol), __FILE__, __LINE__)
static inline void near_(double a, double b, double tol, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%s:%d: %.17g vs %.17g (diff %.3g, tol %g)\n", file, line, a, b, fabs(a - b), tol);
        _fail(file, line);
    }
}
/* relative to max(1, |b|) */
#define NEAR_REL(a, b, tol) NEAR(a, b, (tol) * fmax(1.0, fabs((double)(b))))

/* Ainv (n, n) = A^-1 by Gauss-Jordan with partial pivoting; 0 on success. */
static inline int dense_inverse(const double *A, int n, double *Ainv)
{
    double *M = malloc(sizeof *M * (size_t)n * (size_t)(2 * n));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 2 * n; j++) M[i * 2 * n + j] = j < n ? A[i * n + j] : (j - n == i);
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int i = c + 1; i < n; i++)
            if (fabs(M[i * 2 * n + c]) > fabs(M[p * 2 * n + c])) p = i;
        if (M[p * 2 * n + c] == 0) {
            free(M);
            return -1;
        }
        for (int j = 0; j < 2 * n; j++) {
            double t = M[c * 2 * n + j];
            M[c * 2 * n + j] = M[p * 2 * n + j];
            M[p * 2 * n + j] = t;
        }
        double piv = M[c * 2 * n + c];
        for (int j = 0; j < 2 * n; j++) M[c * 2 * n + j] /= piv;
        for (int i = 0; i < n; i++) {
            if (i == c) continue;
            double f = M[i * 2 * n + c];
            for (int j = 0; j < 2 * n; j++) M[i * 2 * n + j] -= f * M[c * 2 * n + j];
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) Ainv[i * n + j] = M[i * 2 * n + n + j];
    free(M);
    return 0;
}

/* log |det A| by LU with partial pivoting. */
static inline double dense_logdet(const double *A, int n)
{
    double *M = malloc(sizeof *M * (size_t)n * (size_t)n);
    memcpy(M, A, sizeof *M * (size_t)n * (size_t)n);
    double s = 0;
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int i = c + 1; i < n; i++)
            if (fabs(M[i * n + c]) > fabs(M[p * n + c])) p = i;
        for (int j = 0; j < n; j++) {
            double t = M[c * n + j];
            M[c * n + j] = M[p * n + j];
            M[p * n + j] = t;
        }
        s += log(fabs(M[c * n + c]));
        for (int i = c + 1; i < n; i++) {
            double f = M[i * n + c] / M[c * n + c];
            for (int j = c; j < n; j++) M[i * n + j] -= f * M[c * n + j];
        }
    }
    free(M);
    return s;
}

/* y = A x for A (n, m). */
static inline void dense_matvec(const double *A, int n, int m, const double *x, double *y)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < m; j++) s += A[i * m + j] * x[j];
        y[i] = s;
    }
}

/* Mean squared residual per task (T; NaN for a task without any). */
static inline void task_mse(const double *e, const int *task, int n, int T, double *mse)
{
    int cnt[64] = {0};
    for (int t = 0; t < T; t++) mse[t] = 0;
    for (int i = 0; i < n; i++) mse[task[i]] += e[i] * e[i], cnt[task[i]]++;
    for (int t = 0; t < T; t++) mse[t] = cnt[t] ? mse[t] / cnt[t] : NAN;
}

/* A small multi-task regression problem in 1-D: T tasks sharing a smooth
 * function, task t scaled and shifted, counts[t] observations each, x in
 * [-2, 2], noise 0.1. X (n, 1), y (n), task (n); returns n. */
static inline int toy_problem(int T, const int *counts, uint64_t seed, double *X, double *y, int *task)
{
    mt_rng r;
    mt_rng_init(&r, seed, 7);
    int n = 0;
    for (int t = 0; t < T; t++)
        for (int k = 0; k < counts[t]; k++) {
            double x = -2 + 4 * mt_rng_uniform(&r);
            X[n] = x;
            y[n] = (1 + 0.5 * t) * sin(1.5 * x) + 0.3 * t + 0.1 * mt_rng_normal(&r);
            task[n] = t;
            n++;
        }
    return n;
}

#endif
