#include "model_kernel.h"

#include <cblas.h>
#include <f77blas.h>
#include <math.h>
#include <string.h>
#include "core/mem.h"

static double sqdist(const double *a, const double *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

static double dot(const double *a, const double *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) s += a[j] * b[j];
    return s;
}

double mk_eval_dls(const mk_kernel *k, const double *a, const double *b, int d, double *d_logls)
{
    double v = 0, dl = 0;
    switch (k->kind) {
    case MK_RBF: {
        double q = sqdist(a, b, d) / (k->ls * k->ls);
        v = k->var * exp(-0.5 * q);
        dl = v * q; /* d/dlog(ls) of -q/2 is q */
        break;
    }
    case MK_MATERN32: {
        double s = sqrt(3.0 * sqdist(a, b, d)) / k->ls;
        double e = exp(-s);
        v = k->var * (1 + s) * e;
        dl = k->var * s * s * e; /* dk/ds = -var s e^-s, ds/dlog(ls) = -s */
        break;
    }
    case MK_LINEAR: {
        double p = dot(a, b, d) / (k->ls * k->ls);
        v = k->var * (1 + p);
        dl = -2 * k->var * p;
        break;
    }
    }
    if (d_logls) *d_logls = dl;
    return v;
}

double mk_eval(const mk_kernel *k, const double *a, const double *b, int d)
{
    return mk_eval_dls(k, a, b, d, NULL);
}

void mk_gram(const mk_kernel *k, const double *X, int n, const double *Z, int m, int d, double *K)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) K[(size_t)i * m + j] = mk_eval(k, X + (size_t)i * d, Z + (size_t)j * d, d);
}

/* A row-major symmetric matrix is its own column-major transpose, so
 * LAPACK's upper factor U (A = U^T U, column-major) read row-major is the
 * lower factor L = U^T. */
static int potrf_lower(double *L, int n)
{
    char uplo = 'U';
    blasint nn = n, lda = n, info = 0;
    dpotrf_(&uplo, &nn, L, &lda, &info);
    return (int)info;
}

mt_status mk_cholesky(const double *A, int n, double *L, double *jitter, const char *what)
{
    static const double eps[] = {0, 1e-10, 1e-8, 1e-6, MK_JITTER_MAX};
    double mean = 0;
    for (int i = 0; i < n; i++) mean += A[(size_t)i * n + i];
    mean = n > 0 ? mean / n : 0;
    if (!(mean > 0) || !isfinite(mean))
        return mt_fail(MT_ERR_NUMERIC, "%s: the matrix is not positive definite (mean diagonal %g)", what, mean);
    /* the diagonal aside and the lower triangle mirrored into the strict
     * upper one, which dpotrf leaves alone: a retry starts from them */
    double *diag = mt_alloc((size_t)n * sizeof *diag);
    if (!diag) return MT_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        diag[i] = A[(size_t)i * n + i];
        for (int j = 0; j < i; j++) {
            double v = A[(size_t)i * n + j];
            L[(size_t)i * n + j] = v;
            L[(size_t)j * n + i] = v;
        }
    }
    int info = 1;
    double added = 0;
    for (size_t e = 0; e < sizeof eps / sizeof eps[0] && info != 0; e++) {
        added = eps[e] * mean;
        if (e > 0)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < i; j++) L[(size_t)i * n + j] = L[(size_t)j * n + i];
        for (int i = 0; i < n; i++) L[(size_t)i * n + i] = diag[i] + added;
        info = potrf_lower(L, n);
    }
    mt_free(diag);
    if (info != 0)
        return mt_fail(MT_ERR_NUMERIC,
                       "%s: the matrix is not positive definite even with jitter %g x its mean diagonal "
                       "(duplicated inputs with almost no noise?)",
                       what, MK_JITTER_MAX);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) L[(size_t)i * n + j] = 0;
    if (jitter) *jitter = added;
    return MT_OK;
}

double mk_chol_logdet(const double *L, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += log(L[(size_t)i * n + i]);
    return 2 * s;
}

void mk_chol_lsolve(const double *L, int n, double *B, int nrhs)
{
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, nrhs, 1.0, L, n, B, nrhs);
}

void mk_chol_solve(const double *L, int n, double *B, int nrhs)
{
    mk_chol_lsolve(L, n, B, nrhs);
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, n, nrhs, 1.0, L, n, B, nrhs);
}

mt_status mk_chol_inverse(const double *L, int n, double *Ainv)
{
    if (Ainv != L) memcpy(Ainv, L, (size_t)n * (size_t)n * sizeof *Ainv);
    char uplo = 'U'; /* the row-major lower factor, as above */
    blasint nn = n, lda = n, info = 0;
    dpotri_(&uplo, &nn, Ainv, &lda, &info);
    if (info != 0) return mt_fail(MT_ERR_NUMERIC, "inverting a factorised matrix: dpotri info %d", (int)info);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) Ainv[(size_t)i * n + j] = Ainv[(size_t)j * n + i];
    return MT_OK;
}

mt_status mk_adam_init(mk_adam *a, int n)
{
    memset(a, 0, sizeof *a);
    a->m = mt_calloc((size_t)(n > 0 ? n : 1), sizeof *a->m);
    a->v = mt_calloc((size_t)(n > 0 ? n : 1), sizeof *a->v);
    if (!a->m || !a->v) {
        mk_adam_free(a);
        return MT_ERR_NOMEM;
    }
    a->n = n;
    return MT_OK;
}

void mk_adam_free(mk_adam *a)
{
    mt_free(a->m);
    mt_free(a->v);
    memset(a, 0, sizeof *a);
}

void mk_adam_ascend(mk_adam *a, const mk_adam_cfg *c, double *theta, const double *grad, const unsigned char *fixed)
{
    a->t++;
    double b1 = 1 - pow(c->beta1, (double)a->t), b2 = 1 - pow(c->beta2, (double)a->t);
    for (int i = 0; i < a->n; i++) {
        if (fixed && fixed[i]) continue;
        a->m[i] = c->beta1 * a->m[i] + (1 - c->beta1) * grad[i];
        a->v[i] = c->beta2 * a->v[i] + (1 - c->beta2) * grad[i] * grad[i];
        theta[i] += c->lr * (a->m[i] / b1) / (sqrt(a->v[i] / b2) + c->eps);
    }
}
