/* model_krr.h - multi-task kernel ridge regression (Evgeniou, Micchelli &
 * Pontil 2005).
 *
 * A kernel on (input, task) pairs, K((x, s), (x', t)) = k(x, x') B[s, t]
 * with B (T x T) positive semi-definite, and the regularised least squares
 *
 *   min_f  sum_i (y_i - c_{s_i} - f(x_i, s_i))^2 + ridge |f|_K^2,
 *
 * solved in closed form: alpha = (K + ridge I)^-1 (y - c) by a Cholesky
 * factorisation (model_kernel.h's jitter policy applies), and
 * f(x, t) = c_t + sum_i alpha_i B[t, s_i] k(x, x_i). c_t is task t's
 * training mean when centring (the pooled mean for a task without data),
 * else 0.
 *
 * B = I gives independent kernel ridge per task; B = 11^T pools all the
 * data in one kernel ridge; the mean-regularised task kernel
 * B = (1 - lambda) I + lambda/T 11^T sits between them: with the linear
 * kernel it is the same fit as w_t = w_0 + v_t with the penalty
 * ridge (T/lambda |w_0|^2 + 1/(1 - lambda) sum_t |v_t|^2)
 * (Evgeniou & Pontil 2004): each task pulled toward the tasks' mean. */
#ifndef MT_MODEL_KRR_H
#define MT_MODEL_KRR_H

#include "core/status.h"
#include "model_kernel.h"

typedef struct {
    int T;
    mk_kernel kernel;
    double ridge; /* > 0 */
    int center;
} krr_config;

typedef struct mt_krr mt_krr;

/* B (T, T) is copied; it must be symmetric positive semi-definite
 * (smallest eigenvalue >= -1e-10 x largest), else MT_ERR_ARG saying so.
 * X (n, d), y (n), task (n) are copied. */
mt_status krr_fit(const krr_config *c, const double *B, const double *X, const double *y, const int *task, int n,
                  int d, mt_krr **out);
void krr_free(mt_krr *k);
/* f(Xs, t) for Xs (m, d) into mean (m). */
mt_status krr_predict(const mt_krr *k, int t, const double *Xs, int m, double *mean);
/* The exact leave-one-out residual of every observation (n): that of
 * point i refitted without it is alpha_i / [(K + ridge I)^-1]_ii. */
void krr_loo_residuals(const mt_krr *k, double *e);
const double *krr_alpha(const mt_krr *k); /* (n) the dual coefficients */
double krr_jitter(const mt_krr *k);

/* B = (1 - lambda) I + lambda/T 11^T (lambda in [0, 1]). */
void krr_mean_task_kernel(int T, double lambda, double *B);
/* MT_ERR_ARG with the reason when B is not symmetric positive semi-definite. */
mt_status krr_check_B(const double *B, int T);

#endif
