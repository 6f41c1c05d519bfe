/* gpfamily.h - a family of related one-dimensional regression tasks with a
 * known task correlation: the data of the multi-task GP (survey section 5,
 * intrinsic coregionalisation).
 *
 *   g_1..g_T   independent smooth random functions: random Fourier
 *              features of the RBF kernel, g(x) = sqrt(2/M) sum_m
 *              cos(w_m x + b_m), w_m ~ N(0, 1/lengthscale^2),
 *              b_m ~ U(0, 2 pi), M = 256;
 *   h = Lg^-1 D^-1/2 (g - mean)   the same functions centred and made
 *              exactly uncorrelated with unit variance over a grid of 2001
 *              points on [-range, range] (Lg the Cholesky factor of their
 *              correlation there, D their variances);
 *   f = L h    with L L^T = R: the tasks' functions have exactly
 *              correlation R over the input range;
 *   y = f_t(x) + noise e,   x ~ U(-range, range), e ~ N(0, 1).
 *
 * Layout and split (fixed, not shuffled): first n_train[t] training
 * examples of task t for each t in turn, labelled for that task only; then
 * n_val validation and n_test test examples, each labelled for every task.
 * Inputs are one feature; targets "t1".."tT", regression, dim 1. */
#ifndef MT_GPFAMILY_H
#define MT_GPFAMILY_H

#include <stdint.h>
#include "dataset.h"

#define GPFAM_MAX_TASKS 16

typedef struct {
    int ntasks;
    const int *n_train; /* (T) training examples per task, or NULL: n_each */
    int n_each;
    int n_val, n_test;  /* examples, each labelled for every task */
    const double *R;    /* (T, T) task correlation, or NULL: rho off the diagonal */
    double rho;
    double lengthscale;
    double noise;       /* std of e */
    double range;
    uint64_t seed;
} gpfam_opts;

/* 2 tasks, n_each 20, n_val 50, n_test 200, rho 0.8, lengthscale 1,
 * noise 0.1, range 5, seed 1. */
void gpfam_defaults(gpfam_opts *o);
/* Fills ds (freed first) and sp; on error both are left empty and the
 * message names the problem ("gp_family: correlation matrix is not
 * positive semi-definite ..."). */
mt_status gpfam_make(mt_dataset *ds, mt_split *sp, const gpfam_opts *o);
/* The noiseless f_t at x (the truth behind the targets), for tests. */
mt_status gpfam_truth(const gpfam_opts *o, const double *x, int n, double *f /* (T, n) */);

#endif
