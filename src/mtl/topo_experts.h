/* topo_experts.h - the mixture-of-experts family, fully-adaptive feature
 * sharing and deep relationship networks.
 *
 * The classes are registry entries (topo_registry.c); scripts
 * name them as mtl.share.<name> { ... }. Every class reads the common
 * fields (trunk, head, conv, act, norm, dropout) as topology.h says, with
 * the differences noted per class. Parameter names below are stable:
 * checkpoints use them. <task> is the task's name, <e> an expert index
 * from 0, <l> a layer index from 0, <k> a level index from 0.
 *
 * ---- mmoe, omoe (Ma et al., KDD 2018) -----------------------------------
 * `experts` (4) experts, each an MLP of the sizes `expert` (default: the
 * trunk's) on the input (after the conv front, if any). MMoE: one softmax
 * gate per task, computed from the same input, mixes the experts' outputs
 * (graph_gate) into that task's head; OMoE: one gate shared by all tasks.
 *   expert.<e>.<l>.weight/.bias     shared (group 0)
 *   gate.<task>.weight/.bias        (mmoe) task t (group 1+t), (E, in)
 *   gate.weight/.bias               (omoe) shared
 *   head.<task>.<i>, head.<task>.out  as for hard sharing
 * out->shared: the concatenation of the experts' outputs (mmoe), the
 * gated mixture (omoe); out->shared_weight: expert 0's last weight.
 * Published: "expert usage", T x E, the mean gate value per task over
 * the last batch. With one expert the gate is exactly 1 and MMoE is the
 * shared-bottom network (hard sharing with trunk = expert).
 *
 * ---- dselect_k (Hazimeh et al., NeurIPS 2021) -----------------------------
 * The experts of mmoe (`experts` a power of two, E = 2^m), and per task a
 * DSelect-k gate of `k` (2) selectors computed from the same input:
 * selector i has m codes z_i = gate.<task>.z rows and a logit from
 * gate.<task>.alpha; with the cubic smooth step S of width `gamma` (1),
 * r_i(e) = prod_j (bit j of e ? S(z_ij) : 1 - S(z_ij)) and the gate is
 * sum_i softmax(alpha)_i r_i(e), a distribution over the experts that puts
 * weight on at most k of them once every |z_ij| >= gamma / 2. With z = 0
 * every selector is uniform (S(0) = 1/2) and the gate is 1/E: the model
 * is MMoE with uniform gates. (The paper's entropy regulariser that
 * pushes the selectors to binary is not included.)
 *   expert.<e>.<l>.weight/.bias        shared (group 0), as mmoe
 *   gate.<task>.z.weight/.bias         task t (group 1+t), (k m, in)
 *   gate.<task>.alpha.weight/.bias     task t (group 1+t), (k, in)
 * out->shared as mmoe. Published: "expert usage", as mmoe.
 *
 * ---- cgc, ple (Tang et al., RecSys 2020) --------------------------------
 * Each level k has `task_experts` (1) experts per task (task t's only,
 * group 1+t) and `shared_experts` (1) shared experts (group 0), all MLPs
 * of the sizes `expert` (default: the trunk's). Task t's gate mixes its
 * own experts and the shared ones, computed from task t's input to the
 * level. PLE stacks `levels` (2) such levels (CGC is one level); at every
 * level but the last a shared gate (group 0), computed from the shared
 * input, mixes ALL experts of the level into the next level's shared
 * input; the task gates' outputs are the next level's task inputs.
 *   ple.<k>.<task>.<e>.<l>.weight/.bias   task t's experts
 *   ple.<k>.shared.<e>.<l>.weight/.bias   shared experts
 *   ple.<k>.gate.<task>.weight/.bias      task gate, (m_t + m_s, in)
 *   ple.<k>.gate.shared.weight/.bias      shared gate, (T m_t + m_s, in)
 * (CGC uses the same names with k = 0, so a CGC checkpoint is the first
 * level of a PLE one.) out->shared: the concatenation of the shared
 * experts' outputs when there is one level (MT_NONE for deeper PLE, whose
 * shared experts also feed the task experts above them).
 * Published: "expert usage", T x (m_t + m_s) at the last level (columns:
 * own experts, then shared ones); for PLE also "expert usage L<k+1>" for
 * the lower levels and "shared gate L<k+1>", 1 x (T m_t + m_s) (columns:
 * task 1's experts, ..., task T's, then the shared ones).
 *
 * ---- fafs (Lu et al. 2017, survey section 6.2) ---------------------------
 * Fully-adaptive feature sharing. The trunk's layers start shared by all
 * tasks (a thin network); at the rounds the user sets (`rounds` = steps,
 * or every `every` steps) the tree is widened greedily from the top layer
 * down, one layer per round. At layer l the units are the branches just
 * above it (the tasks themselves at the top layer); the units inside each
 * of layer l's branches are grouped and every group gets its own copy of
 * the layer, initialised from the branch it split from (inherit hook).
 *
 * Affinity. The paper's measure is the probability that two tasks find the
 * same examples easy or hard. Here an example's difficulty for task t is
 * the norm of the loss gradient at task t's output (the logits), which is
 * loss-agnostic (|p - y| for MSE, |softmax - onehot| for CE) and free: the
 * trainer's backward pass has just computed it. The affinity of tasks i, j
 * is the Pearson correlation of their difficulties over the examples of a
 * batch labelled for both (input "mask.<task>" when present), averaged
 * over the batches since the network was last built (weighted by the pair
 * count). Correlating within a batch, not across batches, keeps the common
 * fall of every loss during training from looking like affinity. Gradient
 * combiners (pcgrad, ...) leave only the last task's output gradient, so
 * they gather no evidence: a pair without evidence is never separated
 * (and is published as NaN). The affinity of two units is the mean
 * affinity of their task pairs.
 *
 * Greedy criterion. For the units u_1..u_n inside one branch and a
 * grouping P of them, with dissimilarity d(u, v) = (1 - a(u, v)) / 2 in
 * [0, 1] (0.5 for unrelated tasks):
 *   cost(P) = sum_u max_{v in group(u), v != u} d(u, v)  +  lambda (|P| - 1)
 * (a unit alone pays nothing; the max, not the mean, so that a large group
 * cannot hide an unrelated member). Two units stay together when
 * a > 1 - lambda. Candidates are the n groupings of average-linkage
 * agglomeration (merge the two groups of highest mean affinity, from n
 * singletons down to one group); the cheapest wins, ties to fewer groups.
 * `lambda` (0.6) is the price of each new branch.
 *
 * The tree is kept in the spec: `groups`, one entry per trunk layer, each
 * task's group at that layer as one hexadecimal digit, task 1 the most
 * significant: for 4 tasks { 0x0000, 0x0011, 0x0123 } is a layer shared
 * by all, then {1,2} | {3,4}, then one branch per task (at most 13 tasks,
 * so a code stays exact in a double). A script may give a starting tree;
 * groupings must refine going up. `done` counts the rounds performed.
 *   fafs.<l>.g<mask>.weight/.bias   layer l's branch for the tasks whose
 *   bits are set in the hexadecimal <mask> (bit t = task t+1); group 0 for
 *   a branch of several tasks, 1+t for task t alone.
 * Heads sit on their task's top branch (attach is not supported).
 * out->shared: the output of the highest layer still shared by all.
 * Published: "task affinity" T x T (the running estimate) and "fafs tree",
 * one row per trunk layer, one column per task: the task's branch number
 * (from 1) at that layer.
 *
 * ---- drn (Long & Wang 2017, survey section 6.1) ---------------------------
 * Deep relationship networks: hard sharing (parameter names as "hard")
 * plus a matrix-variate normal prior on chosen task-specific layers. For
 * each chosen head layer the T weight matrices, flattened, are the
 * columns of W (D, T) (D = in*out; biases are left out) and the penalty is
 *   lambda/2 tr(W Omega^-1 W^T),  gradient lambda W Omega^-1,
 * with one task covariance Omega per layer. Our version fixes the feature
 * (and class) covariance to the identity, so the prior couples tasks only.
 * Every `update_every` steps Omega is set in closed form to
 *   Omega = (W^T W + eps I)^{1/2} / tr((W^T W + eps I)^{1/2})
 * (eigendecomposition of the T x T Gram; eps on its eigenvalues keeps
 * Omega invertible); it starts at I / T. `layers` lists the head layers
 * under the prior, counted from 1 (the first hidden head layer), the
 * output layer being nh+1; by default every head layer. The chosen layers
 * must have the same shape for every task.
 * Published: "task covariance" and "task correlation" (T x T) of the
 * output-most chosen layer; with several layers also "task covariance
 * L<i>" for the others (i as in `layers`). */
#ifndef MT_TOPO_EXPERTS_H
#define MT_TOPO_EXPERTS_H

#include "mtl/topology.h"

extern const mt_topo_class topo_class_mmoe, topo_class_omoe, topo_class_cgc, topo_class_ple, topo_class_dselect_k;
extern const mt_topo_class topo_class_fafs, topo_class_drn;

/* The DRN closed-form update from the Gram matrix gram = W^T W (T x T,
 * row-major, symmetric): omega = S / tr(S), S = (gram + eps I)^{1/2}, and
 * omega_inv its inverse. work holds 3 T*T + T doubles. Returns MT_OK, or
 * MT_ERR_NUMERIC when the eigendecomposition fails or gram is not finite
 * (omega untouched). */
mt_status topo_drn_omega(const double *gram, int T, double eps, double *omega, double *omega_inv,
                         double *work);

/* The FAFS grouping of n units (n <= MT_MAX_TASKS) with affinities aff
 * (n x n, symmetric, in [-1, 1]) by the greedy criterion above; group[u]
 * gets unit u's group, numbered 0.. in order of first appearance. Returns
 * the number of groups; *cost (may be NULL) gets the chosen cost. */
int topo_fafs_group(int n, const double *aff, double lambda, int *group, double *cost);

/* The FAFS tree code helpers: task t's group in a layer code of T tasks,
 * and a code from T groups. */
int topo_fafs_digit(double code, int T, int t);
double topo_fafs_code(const int *group, int T);

#endif
