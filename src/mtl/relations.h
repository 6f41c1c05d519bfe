/* relations.h - task-relationship measures from per-task gradients.
 *
 * Inputs are the per-task gradients on the shared parameters,
 * G (T, P) row-major float32, or their Gram matrix M = G G^T (T, T,
 * double), e.g. from combine_last_gram(), which saves the O(T^2 P) pass.
 * Sums are accumulated in double. Output matrices are (T, T) row-major,
 * written in full. Nothing allocates except relations_conflict_init.
 *
 *   cosine       C_ij = g_i . g_j / (|g_i| |g_j|); 0 when either gradient
 *                is zero; C_ii = 1 (0 for a zero gradient).
 *   magnitude    S_ij = 2 |g_i| |g_j| / (|g_i|^2 + |g_j|^2), in [0, 1],
 *   similarity   1 for equal norms (and for two zero gradients).
 *   conflicts    a running count, per pair, of the calls where
 *                cos(g_i, g_j) < 0, and its fraction of all calls.
 *   condition    kappa(G) = sigma_max / sigma_min of the T x P matrix =
 *   number       sqrt(l_max / l_min) of M's eigenvalues (Jacobi);
 *                INFINITY when l_min <= l_max * T * 1e-15 (rank
 *                deficient: dependent gradients, or T > P); NAN when
 *                every gradient is zero.
 *   affinity     lookahead transfer (Fifty et al. 2021):
 *                Z_ij = 1 - L_j(after a step on task i) / L_j(before);
 *                positive when a step on i helped j.
 */
#ifndef MT_RELATIONS_H
#define MT_RELATIONS_H

#include <stddef.h>
#include "core/status.h"

/* M = G G^T by double-accumulated dot products (no work buffer). */
mt_status relations_gram(const float *G, int T, size_t P, double *M);

void relations_cosine_from_gram(const double *M, int T, double *C);
mt_status relations_cosine(const float *G, int T, size_t P, double *C);

void relations_magnitude_from_gram(const double *M, int T, double *S);
mt_status relations_magnitude(const float *G, int T, size_t P, double *S);

/* n_i = ||g_i|| (T). */
void relations_norms_from_gram(const double *M, int T, double *n);
mt_status relations_norms(const float *G, int T, size_t P, double *n);

/* kappa as above into *kappa. work holds 2 T^2 + T doubles. */
mt_status relations_condition(const double *M, int T, double *work, double *kappa);

typedef struct {
    int T;
    long *count; /* (T, T) owned: calls with cos < 0 */
    long n;      /* calls */
} mt_conflict_tracker;

/* Allocates the counts; free with relations_conflict_free. */
mt_status relations_conflict_init(mt_conflict_tracker *t, int T);
void relations_conflict_free(mt_conflict_tracker *t);
void relations_conflict_reset(mt_conflict_tracker *t);
/* Counts the pairs with C_ij < 0 in a cosine matrix C (T, T). */
mt_status relations_conflict_add(mt_conflict_tracker *t, const double *C);
/* Fraction of calls in conflict for (i, j); 0 before any call; NAN for a
 * bad index. F (T, T) receives all of them. */
double relations_conflict_fraction(const mt_conflict_tracker *t, int i, int j);
void relations_conflict_matrix(const mt_conflict_tracker *t, double *F);

/* before (T): each task's loss before the lookahead steps; after (T, T):
 * after[i*T + j] = L_j after one step on task i alone (the trainer does
 * the steps and restores the parameters). Z (T, T) as above. A
 * non-positive or non-finite before[j] is MT_ERR_ARG naming j. */
mt_status relations_affinity(const double *before, const double *after, int T, double *Z);

#endif
