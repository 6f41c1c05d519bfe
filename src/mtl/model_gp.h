/* model_gp.h - the multi-task Gaussian process with intrinsic
 * coregionalisation (ICM; Bonilla, Chai & Williams 2008).
 *
 * Observation i is (x_i, task s_i, y_i). Each task's targets are first
 * standardised with its training mean and standard deviation (a task
 * without training data takes the pooled ones), so that one learning
 * rate suits any data scale. In standardised units
 *
 *   f ~ GP(0, K),  K((x, s), (x', t)) = B[s, t] k(x, x'),
 *   B = L L^T + diag(kappa)      (T x T, L of rank R = 0..T),
 *   y_i = mean_{s_i} + f(x_i, s_i) + e_i,  e_i ~ N(0, noise_{s_i}),
 *   noise_t = 1e-6 + exp(theta_noise_t)   (the floor keeps it positive),
 *
 * with k one of model_kernel.h's covariance functions (variance var,
 * length-scale ls). R = 0 makes B diagonal: independent GPs that share
 * the kernel's length-scale.
 *
 * The hyperparameters theta, in this order:
 *   [0] log var, [1] log ls,
 *   L (T, R) row-major, log kappa (T),
 *   then per task t: log noise excess, mean.
 * The log marginal likelihood (in the ORIGINAL units of y: the
 * standardisation's Jacobian is subtracted) and its exact gradient come
 * from one Cholesky factorisation and one inverse of the N x N covariance
 * (N = observations): O(N^3) time and 8 N^2 bytes. */
#ifndef MT_MODEL_GP_H
#define MT_MODEL_GP_H

#include <stdint.h>
#include "core/status.h"
#include "model_kernel.h"

/* Groups of hyperparameters a caller can hold fixed (tests: B = I). */
enum { GP_FIX_KERNEL = 1u, GP_FIX_B = 2u, GP_FIX_NOISE = 4u, GP_FIX_MEAN = 8u };

typedef struct {
    int T;         /* tasks */
    int rank;      /* columns of L, 0..T */
    mk_kind kernel;
    unsigned fixed; /* GP_FIX_* */
    double ls0;     /* > 0: the starting length-scale (else the median distance) */
    double noise0;  /* > 0: the starting noise, a fraction of each task's variance (else 0.1) */
} gp_config;

typedef struct mt_gp mt_gp;

/* X (n, d), y (n) in original units, task (n) in 0..T-1; all copied. The
 * hyperparameters start from the data: var 1, ls the median distance
 * between inputs, B = 0.5 (11^T + I) with L perturbed by seeded N(0,
 * 0.01) entries (rank > 1 needs asymmetric columns), noise 0.1 of each
 * task's variance, means at the tasks' sample means. */
mt_status gp_new(const gp_config *c, const double *X, const double *y, const int *task, int n, int d,
                 uint64_t seed, mt_gp **out);
void gp_free(mt_gp *g);

int gp_ntheta(const mt_gp *g);
/* The hyperparameters (borrowed; writable: the next call refactorises). */
double *gp_theta(mt_gp *g);
int gp_th_L(const mt_gp *g, int t, int r);
int gp_th_kappa(const mt_gp *g, int t);
int gp_th_noise(const mt_gp *g, int t);
int gp_th_mean(const mt_gp *g, int t);

/* The log marginal likelihood at the current theta, and its gradient
 * (ntheta) when grad is not NULL. */
mt_status gp_lml(mt_gp *g, double *lml, double *grad);
/* One Adam ascent step on the log marginal likelihood; *lml (may be NULL)
 * gets its value before the step. Fixed groups stay. */
mt_status gp_step(mt_gp *g, mk_adam *adam, const mk_adam_cfg *c, double *lml);

/* The latent posterior of task t at Xs (m, d) in original units: mean (m)
 * and variance (m, may be NULL) of f (add gp_noise_var for y). */
mt_status gp_predict(mt_gp *g, int t, const double *Xs, int m, double *mean, double *var);
/* The leave-one-out residual of every observation (n; y_i minus the
 * prediction of the GP conditioned on the others), exact for the current
 * theta (Rasmussen & Williams eq. 5.12), original units. */
mt_status gp_loo_residuals(mt_gp *g, double *e);

/* B (T, T) in standardised units; the covariance of the tasks' latent
 * functions at equal inputs in original units, s_s s_t var B[s, t]. */
void gp_task_B(const mt_gp *g, double *B);
void gp_task_cov(const mt_gp *g, double *C);
double gp_noise_var(const mt_gp *g, int t); /* original units */
double gp_task_mean(const mt_gp *g, int t); /* the prior mean of task t, original units */
mk_kernel gp_kernel(const mt_gp *g);        /* var in standardised units */
/* The jitter of the last factorisation (see model_kernel.h), 0 if none. */
double gp_jitter(const mt_gp *g);
int gp_task_count(const mt_gp *g, int t); /* training observations of task t */

#endif
