/* model_kernel.h - what the non-graph models (kernel ridge, Gaussian
 * processes, hierarchical Bayes; survey section 5) share: covariance
 * functions on inputs with their derivatives, positive-definite
 * factorisations through LAPACK (OpenBLAS's dpotrf/dpotri) with a stated
 * jitter policy, and Adam in double precision.
 *
 * Everything here is double precision and row-major. Inputs are rows of
 * d doubles. */
#ifndef MT_MODEL_KERNEL_H
#define MT_MODEL_KERNEL_H

#include <stddef.h>
#include "core/status.h"

/* ---- covariance functions on inputs -------------------------------------
 *
 *   rbf        k(a, b) = var * exp(-r^2 / (2 ls^2))
 *   matern32   k(a, b) = var * (1 + s) exp(-s),  s = sqrt(3) r / ls
 *   linear     k(a, b) = var * (1 + a.b / ls^2)   (intercept variance var,
 *                                                  slope variance var/ls^2)
 * with r = |a - b|. The order is the order of the choice lists in the
 * model registry ("rbf|matern32|linear"). */
typedef enum { MK_RBF, MK_MATERN32, MK_LINEAR } mk_kind;
#define MK_KINDS "rbf|matern32|linear"

typedef struct {
    mk_kind kind;
    double var; /* > 0 */
    double ls;  /* > 0 */
} mk_kernel;

double mk_eval(const mk_kernel *k, const double *a, const double *b, int d);
/* k(a, b), and in *d_logls its derivative with respect to log(ls) (the
 * derivative with respect to log(var) is the value itself). */
double mk_eval_dls(const mk_kernel *k, const double *a, const double *b, int d, double *d_logls);
/* K[i][j] = k(X_i, Z_j): X (n, d), Z (m, d), K (n, m). */
void mk_gram(const mk_kernel *k, const double *X, int n, const double *Z, int m, int d, double *K);

/* ---- positive-definite matrices -----------------------------------------
 *
 * The jitter policy: a factorisation is first tried on the matrix as
 * given. When LAPACK reports it is not positive definite (nearly
 * duplicated inputs with tiny noise, a rank-deficient task matrix), it is
 * retried with eps * mean(diag) added to the diagonal, eps = 1e-10, 1e-8,
 * 1e-6, 1e-4 in turn; the amount added is reported so a model can say so.
 * Beyond 1e-4 the matrix is not treated as positive definite: an error
 * naming `what`. */
#define MK_JITTER_MAX 1e-4

/* L (n, n): the lower Cholesky factor of the symmetric A (n, n; both
 * triangles read as the lower one), upper triangle zeroed. *jitter (may be
 * NULL) gets the amount added to the diagonal (0 when none was needed). L
 * may alias A. */
mt_status mk_cholesky(const double *A, int n, double *L, double *jitter, const char *what);
/* log det(A) = 2 sum log L_ii. */
double mk_chol_logdet(const double *L, int n);
/* Solves A X = B in place for B (n, nrhs) row-major, with L from mk_cholesky. */
void mk_chol_solve(const double *L, int n, double *B, int nrhs);
/* Solves L X = B in place (forward substitution), B (n, nrhs) row-major. */
void mk_chol_lsolve(const double *L, int n, double *B, int nrhs);
/* Ainv (n, n), both triangles, from L (LAPACK dpotri). May alias L. */
mt_status mk_chol_inverse(const double *L, int n, double *Ainv);

/* ---- Adam in double precision ------------------------------------------- */

typedef struct {
    double lr, beta1, beta2, eps;
} mk_adam_cfg;

typedef struct {
    int n;
    long t;    /* steps taken */
    double *m; /* (n) owned */
    double *v; /* (n) owned */
} mk_adam;

mt_status mk_adam_init(mk_adam *a, int n);
void mk_adam_free(mk_adam *a);
/* One ascent step on theta (n) along grad (n) (maximises); entries with
 * fixed[i] != 0 (fixed may be NULL) are left alone. */
void mk_adam_ascend(mk_adam *a, const mk_adam_cfg *c, double *theta, const double *grad, const unsigned char *fixed);

#endif
