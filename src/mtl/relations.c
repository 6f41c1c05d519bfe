#include "relations.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "linalg.h"

static mt_status check_g(const float *G, int T, size_t P, const void *out, const char *fn)
{
    if (!G || !out) return mt_fail(MT_ERR_ARG, "%s: NULL argument", fn);
    if (T < 1) return mt_fail(MT_ERR_ARG, "%s: task count %d (must be >= 1)", fn, T);
    if (P < 1 || P > (size_t)INT_MAX)
        return mt_fail(MT_ERR_SHAPE, "%s: P = %zu parameters out of range 1..%d", fn, P, INT_MAX);
    return MT_OK;
}

mt_status relations_gram(const float *G, int T, size_t P, double *M)
{
    mt_status st = check_g(G, T, P, M, "relations_gram");
    if (st != MT_OK) return st;
    for (int i = 0; i < T; i++) {
        for (int j = i; j < T; j++) {
            double s = linalg_dot_f(G + (size_t)i * P, G + (size_t)j * P, P);
            M[i * T + j] = M[j * T + i] = s;
        }
    }
    return MT_OK;
}

/* In place is allowed (C == M): off-diagonals first, from the diagonal. */
void relations_cosine_from_gram(const double *M, int T, double *C)
{
    for (int i = 0; i < T; i++) {
        for (int j = 0; j < T; j++) {
            if (i == j) continue;
            double den = sqrt(M[i * T + i]) * sqrt(M[j * T + j]);
            double c = den > 0.0 ? M[i * T + j] / den : 0.0;
            C[i * T + j] = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
        }
    }
    for (int i = 0; i < T; i++) C[i * T + i] = M[i * T + i] > 0.0 ? 1.0 : 0.0;
}

mt_status relations_cosine(const float *G, int T, size_t P, double *C)
{
    mt_status st = relations_gram(G, T, P, C);
    if (st != MT_OK) return mt_fail_prefix(st, "relations_cosine");
    relations_cosine_from_gram(C, T, C);
    return MT_OK;
}

void relations_magnitude_from_gram(const double *M, int T, double *S)
{
    for (int i = 0; i < T; i++) {
        for (int j = 0; j < T; j++) {
            if (i == j) continue;
            double a = M[i * T + i], b = M[j * T + j];
            S[i * T + j] = a + b > 0.0 ? 2.0 * sqrt(a) * sqrt(b) / (a + b) : 1.0;
        }
    }
    for (int i = 0; i < T; i++) S[i * T + i] = 1.0;
}

mt_status relations_magnitude(const float *G, int T, size_t P, double *S)
{
    mt_status st = relations_gram(G, T, P, S);
    if (st != MT_OK) return mt_fail_prefix(st, "relations_magnitude");
    relations_magnitude_from_gram(S, T, S);
    return MT_OK;
}

void relations_norms_from_gram(const double *M, int T, double *n)
{
    for (int i = 0; i < T; i++) n[i] = sqrt(M[i * T + i] > 0.0 ? M[i * T + i] : 0.0);
}

mt_status relations_norms(const float *G, int T, size_t P, double *n)
{
    mt_status st = check_g(G, T, P, n, "relations_norms");
    if (st != MT_OK) return st;
    for (int i = 0; i < T; i++) {
        double s = linalg_dot_f(G + (size_t)i * P, G + (size_t)i * P, P);
        n[i] = sqrt(s);
    }
    return MT_OK;
}

mt_status relations_condition(const double *M, int T, double *work, double *kappa)
{
    if (!M || !work || !kappa) return mt_fail(MT_ERR_ARG, "relations_condition: NULL argument");
    if (T < 1) return mt_fail(MT_ERR_ARG, "relations_condition: task count %d (must be >= 1)", T);
    size_t TT = (size_t)T * (size_t)T;
    double *A = work, *V = work + TT, *l = V + TT;
    memcpy(A, M, sizeof *M * TT);
    for (size_t i = 0; i < TT; i++)
        if (!isfinite(A[i])) return mt_fail(MT_ERR_NUMERIC, "relations_condition: Gram matrix is not finite");
    if (linalg_eigh(T, A, l, V) < 0)
        return mt_fail(MT_ERR_NUMERIC, "relations_condition: Jacobi eigenvalues did not converge");
    double lmax = l[0], lmin = l[T - 1];
    if (!(lmax > 0.0))
        *kappa = NAN;
    else if (lmin <= lmax * T * 1e-15)
        *kappa = INFINITY;
    else
        *kappa = sqrt(lmax / lmin);
    return MT_OK;
}

mt_status relations_conflict_init(mt_conflict_tracker *t, int T)
{
    t->T = 0;
    t->n = 0;
    t->count = NULL;
    if (T < 1) return mt_fail(MT_ERR_ARG, "relations_conflict_init: task count %d (must be >= 1)", T);
    t->count = mt_calloc((size_t)T * (size_t)T, sizeof *t->count);
    if (!t->count) return MT_ERR_NOMEM;
    t->T = T;
    return MT_OK;
}

void relations_conflict_free(mt_conflict_tracker *t)
{
    mt_free(t->count);
    t->count = NULL;
    t->T = 0;
    t->n = 0;
}

void relations_conflict_reset(mt_conflict_tracker *t)
{
    if (t->count) memset(t->count, 0, sizeof *t->count * (size_t)t->T * (size_t)t->T);
    t->n = 0;
}

mt_status relations_conflict_add(mt_conflict_tracker *t, const double *C)
{
    if (!t->count || !C) return mt_fail(MT_ERR_ARG, "relations_conflict_add: tracker not initialised or C NULL");
    int T = t->T;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
            if (i != j && C[i * T + j] < 0.0) t->count[i * T + j]++;
    t->n++;
    return MT_OK;
}

double relations_conflict_fraction(const mt_conflict_tracker *t, int i, int j)
{
    if (i < 0 || j < 0 || i >= t->T || j >= t->T) return NAN;
    return t->n ? (double)t->count[i * t->T + j] / (double)t->n : 0.0;
}

void relations_conflict_matrix(const mt_conflict_tracker *t, double *F)
{
    for (int i = 0; i < t->T; i++)
        for (int j = 0; j < t->T; j++) F[i * t->T + j] = relations_conflict_fraction(t, i, j);
}

mt_status relations_affinity(const double *before, const double *after, int T, double *Z)
{
    if (!before || !after || !Z) return mt_fail(MT_ERR_ARG, "relations_affinity: NULL argument");
    if (T < 1) return mt_fail(MT_ERR_ARG, "relations_affinity: task count %d (must be >= 1)", T);
    for (int j = 0; j < T; j++)
        if (!isfinite(before[j]) || !(before[j] > 0.0))
            return mt_fail(MT_ERR_ARG, "relations_affinity: before[%d] is %g (loss must be finite and > 0)", j,
                           before[j]);
    for (int i = 0; i < T; i++) {
        for (int j = 0; j < T; j++) {
            double a = after[i * T + j];
            if (!isfinite(a))
                return mt_fail(MT_ERR_NUMERIC, "relations_affinity: after[%d][%d] is %g", i, j, a);
            Z[i * T + j] = 1.0 - a / before[j];
        }
    }
    return MT_OK;
}
