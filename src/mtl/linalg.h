/* linalg.h - small dense linear algebra for the multi-task solvers.
 *
 * Everything here works on T x T problems (T = number of tasks, at most a
 * few dozen) in double precision, except linalg_gram, which reduces a
 * T x P float gradient matrix (P up to millions) to its T x T Gram matrix
 * in double. Matrices are row-major. No function allocates: callers pass
 * work buffers of the sizes stated. */
#ifndef MT_LINALG_H
#define MT_LINALG_H

#include <stddef.h>
#include "core/status.h"

/* Columns of G converted to double per dsyrk call in linalg_gram. */
#define LINALG_GRAM_CHUNK 2048

/* M = G G^T in double. G (T, P) row-major float; M (T, T) written in full
 * (both triangles). work holds T * LINALG_GRAM_CHUNK doubles: G is
 * converted chunk by chunk and accumulated with dsyrk, so the sums are
 * double-precision and the memory traffic blocked. P must fit an int
 * (BLAS leading dimension); callers check. */
void linalg_gram(const float *G, int T, size_t P, double *M, double *work);

/* sum_k a[k] b[k] with every product and sum in double. (OpenBLAS's
 * cblas_dsdot is not: it loses ~1e-7 relative on long vectors.) */
double linalg_dot_f(const float *a, const float *b, size_t n);

/* Eigen-decomposition of the symmetric n x n matrix A by cyclic Jacobi
 * rotations. A is destroyed. On return evals (n) are in descending order
 * and V (n, n) holds the matching eigenvectors as COLUMNS (V[i*n+k] is
 * component i of eigenvector k). Returns the number of sweeps used, or -1
 * when 100 sweeps did not bring the off-diagonal mass below 1e-15 of the
 * total (practically never for a symmetric input). */
int linalg_eigh(int n, double *A, double *evals, double *V);

/* Solves A x = b (n x n, general) by Gaussian elimination with partial
 * pivoting. A and b are destroyed; x is written into b. Returns 0, or -1
 * when a pivot is below 1e-13 times the largest entry of A (singular). */
int linalg_solve(int n, double *A, double *b);

/* Euclidean projection of y (n) onto the probability simplex, in place.
 * work holds n doubles. */
void linalg_project_simplex(int n, double *y, double *work);

/* min_x 0.5 x^T Q x + q^T x subject to x >= 0, for symmetric positive
 * definite Q (n x n), by the Lawson-Hanson active-set method. x (n) is
 * the output. work holds n*n + 3n doubles, iwork 2n ints. Returns the
 * number of outer iterations, or -1 when it did not terminate within
 * 3n+10 outer iterations or a reduced system was singular. */
int linalg_nnqp(int n, const double *Q, const double *q, double *x, double *work, int *iwork);

/* A (k, n) with A^T A = M for the symmetric positive semidefinite n x n
 * M (a square root of the Gram matrix: the gradients in k coordinates),
 * by Cholesky with complete pivoting on the relative remaining diagonal;
 * returns the rank k. A column is dropped once the part of it outside
 * the span of the columns taken before falls below 1.5e-8 of its norm
 * (remaining diagonal <= DBL_EPSILON M_ii: the round-off of the Gram
 * matrix itself), so a zero gradient gets a zero column and tasks with
 * norms 1e8 apart keep their own scale. A is written in full (n*n doubles; rows >= k are
 * zero). work holds n*n + n doubles, iwork n ints. */
int linalg_psd_factor(int n, const double *M, double *A, double *work, int *iwork);

/* min |A x - b| subject to x >= 0, A (m, n) row-major, by the
 * Lawson-Hanson active-set method (the passive columns are kept linearly
 * independent; each least-squares step is a fresh Householder QR). A
 * column that is numerically dependent on the passive ones (its part
 * outside their span below 1e-9 of its norm) is not admitted. Stops when
 * every gradient entry (A^T (b - A x))_j of a variable at zero is below
 * 1e-13 |A^T| |b|-scale. x (n) is the output. work holds m*n + 2m + 4n
 * doubles, iwork 2n ints. Returns the number of outer iterations, or -1
 * when it did not terminate within 3n+10. */
int linalg_nnls(int m, int n, const double *A, const double *b, double *x, double *work, int *iwork);

/* d = G^T alpha with every product and sum in double, then rounded once
 * to float: G (T, P) float, alpha (T) double, d (P). work holds
 * LINALG_GRAM_CHUNK doubles. */
void linalg_combine(const float *G, int T, size_t P, const double *alpha, float *d, double *work);

#endif
