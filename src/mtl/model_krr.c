#include "model_krr.h"

#include <math.h>
#include <string.h>
#include "core/mem.h"
#include "linalg.h"

struct mt_krr {
    krr_config c;
    int n, d;
    double *X;     /* (n, d) */
    int *task;     /* (n) */
    int *nt;       /* (T) */
    double *B;     /* (T, T) */
    double *cen;   /* (T) the centring constants */
    double *alpha; /* (n) */
    double *dinv;  /* (n) diagonal of (K + ridge I)^-1 */
    double jitter;
};

void krr_mean_task_kernel(int T, double lambda, double *B)
{
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) B[s * T + t] = (s == t ? 1 - lambda : 0) + lambda / T;
}

mt_status krr_check_B(const double *B, int T)
{
    for (int s = 0; s < T; s++)
        for (int t = 0; t < s; t++)
            if (!(fabs(B[s * T + t] - B[t * T + s]) <= 1e-12 * (fabs(B[s * T + t]) + fabs(B[t * T + s]) + 1e-300)))
                return mt_fail(MT_ERR_ARG, "the task matrix B is not symmetric: B[%d][%d] = %g, B[%d][%d] = %g", s + 1,
                               t + 1, B[s * T + t], t + 1, s + 1, B[t * T + s]);
    for (int i = 0; i < T * T; i++)
        if (!isfinite(B[i])) return mt_fail(MT_ERR_ARG, "the task matrix B has a non-finite entry");
    double *A = mt_alloc((size_t)T * T * 2 * sizeof *A + (size_t)T * sizeof *A); /* A, V (T, T), ev (T) */
    if (!A) return MT_ERR_NOMEM;
    double *V = A + (size_t)T * T, *ev = V + (size_t)T * T;
    memcpy(A, B, (size_t)T * T * sizeof *A);
    mt_status st = MT_OK;
    if (linalg_eigh(T, A, ev, V) < 0) st = mt_fail(MT_ERR_ARG, "the task matrix B: eigenvalues did not converge");
    else if (!(ev[0] > 0)) st = mt_fail(MT_ERR_ARG, "the task matrix B is zero or negative definite");
    else if (ev[T - 1] < -1e-10 * ev[0])
        st = mt_fail(MT_ERR_ARG, "the task matrix B is not positive semi-definite (eigenvalue %.3g)", ev[T - 1]);
    mt_free(A);
    return st;
}

void krr_free(mt_krr *k)
{
    if (!k) return;
    mt_free(k->X);
    mt_free(k->task);
    mt_free(k->nt);
    mt_free(k->B);
    mt_free(k->cen);
    mt_free(k->alpha);
    mt_free(k->dinv);
    mt_free(k);
}

mt_status krr_fit(const krr_config *c, const double *B, const double *X, const double *y, const int *task, int n,
                  int d, mt_krr **out)
{
    *out = NULL;
    int T = c->T;
    if (T < 1 || n < 1 || d < 1 || !(c->ridge > 0))
        return mt_fail(MT_ERR_ARG, "krr: bad problem (T %d, n %d, d %d, ridge %g)", T, n, d, c->ridge);
    mt_status st = krr_check_B(B, T);
    if (st) return st;
    for (int i = 0; i < n; i++)
        if (task[i] < 0 || task[i] >= T || !isfinite(y[i]))
            return mt_fail(MT_ERR_ARG, "krr: observation %d: task %d, target %g", i + 1, task[i], y[i]);
    mt_krr *k = mt_calloc(1, sizeof *k);
    if (!k) return MT_ERR_NOMEM;
    k->c = *c;
    k->n = n, k->d = d;
    size_t nn = (size_t)n * (size_t)n;
    double *S = mt_alloc(nn * sizeof *S);
    k->X = mt_alloc((size_t)n * d * sizeof *k->X);
    k->task = mt_alloc((size_t)n * sizeof *k->task);
    k->nt = mt_calloc((size_t)T, sizeof *k->nt);
    k->B = mt_alloc((size_t)T * T * sizeof *k->B);
    k->cen = mt_calloc((size_t)T, sizeof *k->cen);
    k->alpha = mt_alloc((size_t)n * sizeof *k->alpha);
    k->dinv = mt_alloc((size_t)n * sizeof *k->dinv);
    if (!S || !k->X || !k->task || !k->nt || !k->B || !k->cen || !k->alpha || !k->dinv) {
        mt_free(S);
        krr_free(k);
        return mt_fail(MT_ERR_NOMEM, "krr: %d observations need %.0f MB", n, 8.0 * (double)nn / 1e6);
    }
    memcpy(k->X, X, (size_t)n * d * sizeof *X);
    memcpy(k->task, task, (size_t)n * sizeof *task);
    memcpy(k->B, B, (size_t)T * T * sizeof *B);
    if (c->center) {
        double pooled = 0;
        for (int i = 0; i < n; i++) k->cen[task[i]] += y[i], k->nt[task[i]]++, pooled += y[i];
        for (int t = 0; t < T; t++) k->cen[t] = k->nt[t] ? k->cen[t] / k->nt[t] : pooled / n;
    } else {
        for (int i = 0; i < n; i++) k->nt[task[i]]++;
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= i; j++)
            S[(size_t)i * n + j] = B[task[i] * T + task[j]] * mk_eval(&c->kernel, X + (size_t)i * d, X + (size_t)j * d, d);
        S[(size_t)i * n + i] += c->ridge;
        k->alpha[i] = y[i] - k->cen[task[i]];
    }
    st = mk_cholesky(S, n, S, &k->jitter, "krr: K + ridge I");
    if (!st) {
        mk_chol_solve(S, n, k->alpha, 1);
        st = mk_chol_inverse(S, n, S);
    }
    if (!st)
        for (int i = 0; i < n; i++) k->dinv[i] = S[(size_t)i * n + i];
    mt_free(S);
    if (st) {
        krr_free(k);
        return st;
    }
    *out = k;
    return MT_OK;
}

mt_status krr_predict(const mt_krr *k, int t, const double *Xs, int m, double *mean)
{
    if (t < 0 || t >= k->c.T) return mt_fail(MT_ERR_ARG, "krr: no task %d", t);
    int d = k->d;
    for (int p = 0; p < m; p++) {
        double s = k->cen[t];
        for (int i = 0; i < k->n; i++)
            s += k->alpha[i] * k->B[t * k->c.T + k->task[i]] * mk_eval(&k->c.kernel, Xs + (size_t)p * d, k->X + (size_t)i * d, d);
        mean[p] = s;
    }
    return MT_OK;
}

void krr_loo_residuals(const mt_krr *k, double *e)
{
    for (int i = 0; i < k->n; i++) e[i] = k->alpha[i] / k->dinv[i];
}

const double *krr_alpha(const mt_krr *k) { return k->alpha; }
double krr_jitter(const mt_krr *k) { return k->jitter; }
