/* reg_relate.h - regularisers that learn how tasks relate (survey 5.2).
 *
 * Each acts on one layer's weight per task (reg_taskw.h; `layer` pattern,
 * default the first layer of every head; the tasks' weights must have the
 * same shape) flattened to vectors w_1..w_T, the columns of W (D, T), and
 * each penalty is a quadratic form tr(W M W^T) = sum_{s,t} M[s,t] <w_s, w_t>
 * for a symmetric T x T matrix M, whose exact gradient 2 W M is added to
 * the arena's gradient in hooks.penalty (after backward, before the
 * optimiser step). With U = 1 1^T / T (the "mean" projection):
 *
 * "mean_reg" (Evgeniou & Pontil 2004). lambda sum_t ||w_t - wbar||^2
 *   + lambda_mean T ||wbar||^2, wbar = mean_t w_t: M = lambda (I - U) +
 *   lambda_mean U. E&P write w_t = w_0 + v_t and penalise the v_t and w_0;
 *   minimising over w_0 leaves this form (w_0 = wbar); lambda_mean = 0
 *   (the default) leaves the size of the mean to weight decay.
 *   Parameters: layer, lambda (0.01), lambda_mean (0).
 *   Publishes "task distance" (T x T, ||w_s - w_t||) and "distance to
 *   mean" (1 x T, ||w_t - wbar||).
 *
 * "cluster" (Jacob, Bach & Vert 2009, clustered MTL). With K clusters, the
 *   cluster-mean projection Pi (Pi[s,t] = 1/|c| when s and t are both in
 *   cluster c, else 0), the penalty is the paper's
 *     eps_m T ||wbar||^2                         (global mean)
 *   + eps_b sum_c |c| ||wbar_c - wbar||^2        (between clusters)
 *   + eps_w sum_c sum_{t in c} ||w_t - wbar_c||^2 (within clusters),
 *   M = eps_m U + eps_b (Pi - U) + eps_w (I - Pi). The paper optimises a
 *   convex relaxation in which Pi ranges over a convex set of matrices;
 *   here the original, non-convex problem is solved by alternation: every
 *   `update_every` steps the assignment is recomputed by k-means on the
 *   current task vectors, with W fixed, and the optimiser moves W with Pi
 *   fixed in between. For fixed W the penalty equals a constant minus
 *   (eps_w - eps_b) tr(W Pi W^T), so when eps_w >= eps_b (required) the
 *   k-means assignment, which maximises tr(W Pi W^T), is the exact
 *   minimiser over hard assignments (up to k-means' local optima: it
 *   restarts from every task as first centre, see reg_kmeans_gram). Until
 *   the first assignment each task is its own cluster (Pi = I: the penalty
 *   is then eps_m T ||wbar||^2 + eps_b sum_t ||w_t - wbar||^2).
 *   Parameters: layer, clusters (2), update_every (100), eps_m (0),
 *   eps_b (0.001), eps_w (0.05).
 *   Publishes "cluster co-membership" (T x T, 1 when two tasks share a
 *   cluster) and "task distance".
 *
 * "task_cov" (Zhang & Yeung 2010, MTRL). lambda/2 tr(W Omega^-1 W^T) with a
 *   task covariance Omega (T x T, positive definite, trace 1), M = lambda/2
 *   Omega^-1. Every `update_every` steps Omega takes its closed-form
 *   minimiser for fixed W, Omega = (W^T W)^{1/2} / tr((W^T W)^{1/2}),
 *   computed with a ridge that keeps it invertible when tasks are
 *   collinear or T > D: W^T W + eps (tr(W^T W) / T) I (reg_taskcov_omega).
 *   Omega starts at I / T.
 *   Parameters: layer, lambda (0.01), update_every (50), eps (0.001).
 *   Publishes "task covariance" (Omega) and "task correlation"
 *   (Omega[s,t] / sqrt(Omega[s,s] Omega[t,t])).
 *
 * None of these needs the bias: only the weights are compared. */
#ifndef MT_REG_RELATE_H
#define MT_REG_RELATE_H

#include "core/status.h"
#include "mtl/topology.h"

extern const mt_reg_class reg_class_mean_reg;
extern const mt_reg_class reg_class_cluster;
extern const mt_reg_class reg_class_task_cov;

/* K-means of T vectors known only by their Gram matrix G (T, T): the
 * squared distance of vector i to the mean of a set c is
 * G[i,i] - 2/|c| sum_{j in c} G[i,j] + 1/|c|^2 sum_{j,k in c} G[j,k].
 * Lloyd iterations from T deterministic starts (farthest-point seeding
 * beginning at each task in turn); the best within-cluster sum of squares
 * wins, ties to the earliest start. An emptied cluster takes the vector
 * farthest from its centre; Lloyd's fixed point is then refined by
 * Hartigan's single-vector moves (taken whenever one lowers the sum of
 * squares). The result is a local optimum; on small random problems the
 * tests find it equal to exhaustive search. assign (T) gets labels 0..K-1 numbered in
 * order of first appearance (task 0 is in cluster 0). 1 <= K <= T <=
 * MT_MAX_TASKS. Returns the within-cluster sum of squares. */
double reg_kmeans_gram(const double *G, int T, int K, int *assign);

/* The cluster-norm matrix M = eps_m U + eps_b (Pi - U) + eps_w (I - Pi)
 * for an assignment (T) with labels 0..K-1. */
void reg_cluster_matrix(const int *assign, int T, double eps_m, double eps_b, double eps_w, double *M);

/* MTRL's closed-form task covariance from the Gram matrix G = W^T W
 * (T, T): A = G + eps (tr G / T) I (eps * I when tr G = 0), Omega =
 * A^{1/2} / tr(A^{1/2}), and Omega_inv its inverse (may be NULL), by a
 * symmetric eigen-decomposition. MT_ERR_NUMERIC when A is not positive
 * definite (eps = 0 with dependent tasks) or not finite. Allocates
 * nothing. */
mt_status reg_taskcov_omega(const double *G, int T, double eps, double *Omega, double *Omega_inv);

#endif
