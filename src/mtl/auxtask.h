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
 *                    zero main gradient).
 *   curve slope      (Bingel & Soegaard 2017, "Identifying beneficial task
 *                    relations for multi-task learning in deep neural
 *                    networks") the slope of a task's validation loss
 *                    curve at set fractions of training: at fraction f of
 *                    S steps, the least-squares slope (loss per step) of
 *                    the validation loss against the step over the last
 *                    AUXTASK_CURVE_WINDOW evaluations at steps <= f S;
 *                    NAN with fewer than 2 of them. The fractions are
 *                    theirs: 10, 20, 30, 50 and 70% of training. A main
 *                    task's slopes with and without an auxiliary task
 *                    (its single-task baseline) say whether the main
 *                    task was still learning, and how fast, at each. */
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


#define AUXTASK_CURVE_N 5
#define AUXTASK_CURVE_WINDOW 3
extern const double auxtask_curve_fracs[AUXTASK_CURVE_N]; /* 0.1, 0.2, 0.3, 0.5, 0.7 */

/* The least-squares slope of y on x over n points; NAN for n < 2 or no
 * spread in x. */
double auxtask_slope(const double *x, const double *y, int n);

/* One task's learning curve as it comes, kept per fraction: the last
 * AUXTASK_CURVE_WINDOW evaluations at steps <= f * total. */
typedef struct {
    long total;
    int n[AUXTASK_CURVE_N];
    double step[AUXTASK_CURVE_N][AUXTASK_CURVE_WINDOW], loss[AUXTASK_CURVE_N][AUXTASK_CURVE_WINDOW];
} auxtask_curve;

/* total: the training's steps (0: nothing is kept). */
void auxtask_curve_init(auxtask_curve *c, long total);
/* One validation loss at step; a non-finite loss is skipped. Evaluations
 * come in step order. */
void auxtask_curve_note(auxtask_curve *c, long step, double loss);
/* slope (AUXTASK_CURVE_N): the slope at each fraction. */
void auxtask_curve_slopes(const auxtask_curve *c, double *slope);

#endif
