/* reg_block.h - block-sparse multi-task regularisation (survey section 5.1)
 * and its proximal operators.
 *
 * The regulariser "block_sparse" acts on the (features x tasks) matrix of
 * one layer (reg_taskw.h): feature row j holds W_t[:, j] of every task
 * (all of a task's output units when its layer has several). A norm over
 * the rows followed by a sum (an l1 norm) over the features drives whole
 * rows to zero: a feature is dropped by every task at once, so the tasks
 * share a sparse support.
 *
 *   norm = "l1/l2"   lambda sum_j ||row_j||_2      group lasso (Argyriou et
 *                                                  al. 2008, Obozinski et al.)
 *   norm = "l1/linf" lambda sum_j ||row_j||_inf    Liu, Palatucci & Zhang 2009
 *   norm = "dirty"   W = S + B, lambda_s sum |S| + lambda_b sum_j ||B_j||_inf
 *                                                  Jalali et al. 2010
 *
 * The penalties are not differentiable where a row is zero, which is the
 * point: they are applied by their proximal operator after each optimiser
 * step (hooks.after_step) with the step's learning rate lr, so a row whose
 * norm falls below lr * lambda becomes exactly zero. With plain SGD this is
 * proximal gradient descent (ISTA); with Adam it is the same operator after
 * a preconditioned step (a common heuristic: the threshold is lr * lambda
 * whatever Adam's per-entry scale was).
 *
 * The dirty model. W is one parameter of the network, but the model needs
 * two (S, B). The regulariser keeps S and B in its state and treats the
 * network's W as their sum: after the optimiser moves W by delta (whatever
 * the optimiser did: gradient, momentum, weight decay), each part takes
 * half of it, S and B get their own prox with half the step (lr / 2), and
 * W is set back to S + B. With plain SGD that is exactly proximal gradient
 * descent on (S, B) with step lr / 2, since dL/dS = dL/dB = dL/dW: the pair
 * moves as gradient descent on f(S + B) would, and W moves by the
 * optimiser's own step when both strengths are 0. At attach, S = B = W / 2.
 * The approximation: S and B are not in the arena, so a checkpoint holds
 * only their sum and a resumed run (or a rebuilt network) splits it in
 * halves again.
 *
 * Parameters: layer (pattern, reg_taskw.h), norm ("l1/l2"), lambda (0.01),
 * lambda_s (0.01) and lambda_b (0.01) for the dirty model.
 * Published matrices, at every evaluation:
 *   "feature use"      T x min(F, 32): ||W_t[:, j]||_2 of the first 32 features,
 *   "active features"  1 x T: how many features task t uses (a non-zero
 *                      entry in W_t[:, j]),
 *   "dirty B/S features" (dirty only) 2 x T: features task t uses through B
 *                      (row 0) and through S (row 1). */
#ifndef MT_REG_BLOCK_H
#define MT_REG_BLOCK_H

#include "mtl/topology.h"

extern const mt_reg_class reg_class_block_sparse;

/* The proximal operators, on a vector v (n) in place: v <- argmin_x
 * 1/2 ||x - v||^2 + tau * r(x). */

/* r = ||x||_2: v scaled by max(0, 1 - tau / ||v||) (block soft-threshold). */
void reg_prox_l2(double *v, int n, double tau);
/* r = ||x||_1: entry-wise soft-threshold. */
void reg_prox_l1(double *v, int n, double tau);
/* r = ||x||_inf: by the Moreau decomposition, v minus its projection on
 * the l1 ball of radius tau; zero when ||v||_1 <= tau, else v clipped at
 * the projection's threshold. work holds n doubles. */
void reg_prox_linf(double *v, int n, double tau, double *work);
/* The Euclidean projection of v onto {x : ||x||_1 <= z} (Duchi, Shalev-
 * Shwartz, Singer & Chandra 2008, the O(n log n) sort-based method), in
 * place; z >= 0. work holds n doubles. Returns the threshold theta
 * (x_i = sign(v_i) max(|v_i| - theta, 0)), 0 when v is inside the ball. */
double reg_project_l1ball(double *v, int n, double z, double *work);

#endif
