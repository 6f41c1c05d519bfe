/* model_hb.h - a hierarchical Bayesian linear model for multi-task
 * regression (in the spirit of Bakker & Heskes 2003; Yu, Tresp &
 * Schwaighofer 2005), with empirical Bayes by EM.
 *
 *   z_t ~ Categorical(pi)                       (K = 1: one prior)
 *   w_t | z_t = k ~ N(mu_k, Sigma_k)            (d weights; with `bias` the
 *                                                last input is a constant 1)
 *   y_ti | w_t ~ N(w_t^T x_ti, noise_t)         (noise_t per task, or shared)
 *
 * The weights are integrated out; EM maximises
 *
 *   sum_t log sum_k pi_k N(y_t; X_t mu_k, X_t Sigma_k X_t^T + noise_t I)
 *     + sum_k [ -a/2 log|Sigma_k| - psi/2 tr(Sigma_k^-1) ],
 *
 * the marginal likelihood plus an inverse-Wishart-like term that keeps
 * every Sigma_k positive definite (a component no task belongs to shrinks
 * to psi/a I instead of vanishing). Each EM iteration is exact, so this
 * objective never decreases:
 *   E: each task's posterior under each component (m_tk, S_tk) and its
 *      responsibilities r_tk;
 *   M: pi_k = sum_t r_tk / T, mu_k = the r-weighted mean of m_tk,
 *      Sigma_k = (sum_t r_tk (S_tk + (m_tk - mu_k)(m_tk - mu_k)^T) + psi I)
 *                / (sum_t r_tk + a)   (its diagonal for "diag", its mean
 *      eigenvalue times I for "iso"), noise_t the expected squared residual
 *      (held at or above 1e-10 times the mean squared target).
 * Everything runs on each task's sufficient statistics (X^T X, X^T y,
 * y^T y) in d x d factorisations; Sigma_k^-1 is never formed:
 * S = L (I + L^T A L)^-1 L^T with Sigma = L L^T and A = X^T X / noise. */
#ifndef MT_MODEL_HB_H
#define MT_MODEL_HB_H

#include <stdint.h>
#include "core/status.h"

typedef enum { HB_COV_FULL, HB_COV_DIAG, HB_COV_ISO } hb_cov;
#define HB_COVS "full|diag|iso"

typedef struct {
    int T, K;        /* tasks, prior components (1..T) */
    hb_cov cov;
    int shared_noise;
    int bias;        /* append the constant input */
    double psi, a;   /* the term on Sigma_k: psi > 0, a > 0 */
} hb_config;

typedef struct mt_hb mt_hb;

/* X (n, d0), y (n), task (n) copied. Starts from per-task ridge fits:
 * with K > 1, k-means++ (seeded) on them gives the components. Ends
 * with an E-step, so posteriors and the objective are current. */
mt_status hb_new(const hb_config *c, const double *X, const double *y, const int *task, int n, int d0,
                 uint64_t seed, mt_hb **out);
void hb_free(mt_hb *h);

/* One EM iteration (M-step from the current posteriors, then E-step);
 * *obj (may be NULL) gets the objective after it. */
mt_status hb_em_step(mt_hb *h, double *obj);
/* The E-step alone at the current prior and noise (after setting them). */
mt_status hb_estep(mt_hb *h);
double hb_objective(const mt_hb *h);
/* The marginal log-likelihood part of the objective alone. */
double hb_loglik(const mt_hb *h);

int hb_dim(const mt_hb *h); /* d = d0 + bias */
int hb_components(const mt_hb *h);
const double *hb_prior_mean(const mt_hb *h, int k); /* (d) */
const double *hb_prior_cov(const mt_hb *h, int k);  /* (d, d) */
double hb_prior_weight(const mt_hb *h, int k);
double hb_noise_var(const mt_hb *h, int t);
double hb_resp(const mt_hb *h, int t, int k);
/* Setters for tests and checkpoints; call hb_estep afterwards. */
void hb_set_prior(mt_hb *h, int k, const double *mu, const double *Sigma, double weight);
void hb_set_noise_var(mt_hb *h, int t, double v);

/* Task t's posterior over its weights (a mixture over components when
 * K > 1): mean (d) and covariance (d, d; may be NULL). */
void hb_posterior(const mt_hb *h, int t, double *mean, double *cov);
/* The latent posterior at Xs (m, d0): mean (m), variance (m, may be NULL). */
mt_status hb_predict(const mt_hb *h, int t, const double *Xs, int m, double *mean, double *var);
/* The leave-one-out residual of every observation (n): exact for K = 1
 * (e_i / (1 - h_ii) of the penalised least squares the posterior mean
 * solves); with K > 1 the responsibilities are held. */
void hb_loo_residuals(const mt_hb *h, double *e);

#endif
