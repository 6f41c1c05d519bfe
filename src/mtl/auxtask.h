/* auxtask.h - what may tell a helpful auxiliary task from a useless one
 * (survey section 7.9, "What auxiliary tasks are helpful?").
 *
 *   label entropy    (Alonso & Plank 2017) of a class target's label
 *                    distribution over the labelled training examples:
 *                    H = -sum_c p_c ln p_c in nats (0 for one class,
 *                    ln K for K equally frequent classes).
 *   label kurtosis   (Alonso & Plank 2017) the excess kurtosis
 *                    m4 / m2^2 - 3 (population moments) of a sample: for
 *                    a class target, of its K class frequencies (a peaked,
 *                    Zipfian label distribution scores high); for a
 *                    regression target, of its values. NAN for fewer than
 *                    2 values or no spread.
 *   cosine to main   cos(g_t, g_main) of each task's gradient on the shared
 *                    parameters with the sum of the main tasks' gradients
 *                    g_main = sum_{m main} g_m, from the Gram matrix
 *                    M = G G^T: (sum_m M_tm) / (|g_t| sqrt(sum_{m,m'}
 *                    M_mm')); 0 when either is zero.
 *   gate             (Du et al. 2018, "Adapting auxiliary losses using
 *                    gradient similarity") the weights of the update
 *                    g_main + sum_a [cos(g_a, g_main) > 0] g_a: 1 for a main
 *                    task, 1 for an auxiliary task whose gradient agrees
 *                    with the main one, 0 for one that does not (or for a
 *                    zero main gradient). */
#ifndef MT_AUXTASK_H
#define MT_AUXTASK_H

#include <stddef.h>

/* counts (K) >= 0; NAN when they sum to 0. */
double auxtask_entropy(const double *counts, int K);
double auxtask_kurtosis(const double *x, size_t n);
/* M (T, T) Gram; is_main (T) nonzero for the main tasks; c (T). */
void auxtask_cosine_to_main(const double *M, int T, const int *is_main, double *c);
/* alpha (T) as above. */
void auxtask_gate(const double *M, int T, const int *is_main, double *alpha);

#endif
