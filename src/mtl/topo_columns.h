/* topo_columns.h - the column family of topologies: one network column per
 * task (or per level), linked by a penalty, by learned mixing units, or by
 * shared factors. Every class is reached through the registry
 * (topo_find("soft") ...); this header documents what each builds, the
 * names of its parameters (checkpoints use them), the matrices it
 * publishes, and the few functions tests and tools call directly.
 *
 * Names. <task> is the task's name; layer numbers <l> in parameter names
 * count from 0 like "trunk.<l>" in hard sharing; the layer numbers a script
 * gives (`after = {1, 2}`) and the "L1" in published matrix names count
 * from 1. Task heads are always "head.<task>.<i>" / "head.<task>.out"
 * (group 1+t). With image inputs and `conv`, each column starts with its
 * own conv front "col.<task>.conv.<i>" (soft, cross_stitch, sluice); jmt
 * and tensor share one front "conv.<i>" (group 0).
 *
 * "soft" - soft parameter sharing (survey 3.2). Columns "col.<task>.<l>"
 *   (weight (out, in), bias; group 1+t: only task t's loss uses them). The
 *   penalty hook adds, for every trunk layer l with weights W_1..W_T,
 *     l2[l] * D(W) + trace[l] * ||[vec W_1; ...; vec W_T]||_*
 *   D is the squared Frobenius distance (Duong et al. 2015):
 *     distance = "pairs": sum over pairs i<j ||W_i - W_j||^2 (default)
 *     distance = "mean":  sum over i ||W_i - mean_j W_j||^2
 *   (pairs = T * mean). The trace norm (Yang & Hospedales 2017) stacks the
 *   layer's weights as a (T, in*out) matrix M: ||M||_* = sum_k sqrt(eig_k(M
 *   M^T)), gradient U V^T = U S^-1 U^T M from the eigendecomposition of the
 *   T x T Gram matrix (directions with a singular value below 1e-6 of the
 *   largest get the zero subgradient). Biases are not pulled. Parameters:
 *   l2 (default 0.01), trace (default 0): one number for every layer or a
 *   list with one entry per trunk layer; distance. Publishes "soft
 *   distance L<l>" (T x T, ||W_i - W_j||_F) and "soft spectrum L<l>" (1 x T,
 *   the stack's singular values as shares of their sum, descending: the
 *   trace norm concentrates them on the first).
 *
 * "cross_stitch" - cross-stitch networks (Misra et al. 2016; survey 6.3).
 *   Columns "col.<task>.<l>"; after each layer listed in `after` (default
 *   every trunk layer) the columns' outputs x_j are replaced by
 *   x~_i = sum_j alpha_ij x_j. alpha is "stitch.<l>.alpha" (T, T), row i
 *   mixing into task i, or with per_channel = true one (1, n) parameter
 *   "stitch.<l>.alpha.<i>.<j>" per pair (a coefficient per unit of the
 *   layer). init (default 0.9) is the diagonal, (1-init)/(T-1) the rest.
 *   Groups: alpha 0; a column layer is group 0 when a stitch at or after it
 *   carries its output to the other tasks, else 1+t. A task's head reads
 *   its own column (at its `attach` layer, after that layer's stitch).
 *   Publishes "cross-stitch alpha L<l>" (T x T; the mean over units when
 *   per channel).
 *
 * "sluice" - sluice networks (Ruder et al. 2017; survey 6.8). Columns
 *   "col.<task>.<l>" (group 0: mixed after every layer), every layer's
 *   output split into `subspaces` S equal slices (default 2). After each
 *   layer, "sluice.<l>.alpha" ((T*S, T*S), row t*S+s = subspace s of task
 *   t; init as cross-stitch over T*S units) mixes all subspaces of all
 *   tasks. Task t's head reads sum_l beta_t[l] h~_{t,l}, "sluice.beta.<task>"
 *   (1, L), group 1+t, initialised to 1/L; so every trunk layer must have
 *   the same width. The penalty hook adds ortho * sum over columns, layers
 *   and subspace pairs s<s' of ||A_s A_s'^T||_F^2, A_s the rows of the
 *   layer's weight that produce subspace s (Ruder et al. penalise the
 *   subspace activations; a per-step hook sees parameters, so we make the
 *   subspaces' projections orthogonal instead). Publishes "sluice alpha
 *   L<l>" (T*S x T*S), "sluice beta" (T x L) and "sluice subspace overlap"
 *   (T x L: the mean over subspace pairs of |A_s A_s'^T|^2 / (|A_s|^2
 *   |A_s'|^2), 0 = orthogonal, 1 = the same rank-one direction).
 *
 * "jmt" - joint many-task model (Hashimoto et al. 2017; survey 6.5). Tasks
 *   sit at levels: `levels` (one entry per task, 1-based) or their order in
 *   `tasks`. Level l has one dense layer "jmt.<l>" whose input is the
 *   input (after the shared conv front) concatenated with level l-1's
 *   output (a shortcut) and, with label_embed = true, for every task k at
 *   level l-1, its predicted label distribution softmax(out_k) (the raw
 *   output when out_dim = 1) times a learned embedding "jmt.embed.<task>"
 *   (out_dim, embed). Widths: trunk = one width for every level or one per
 *   level. A task's head reads its level. Groups: a level's parameters (and
 *   a lower task's head and embedding) are used by every task at or above
 *   it: group 0, except the top level's when one task sits there (1+t).
 *   Successive regularisation (strength succ): the penalty hook adds
 *     succ * ||theta - theta_anchor||^2
 *   over the parameters of every level below the top (the shared conv
 *   front, their layers, embeddings and those tasks' heads). The original trains one task after another each
 *   epoch and anchors a lower task's parameters at their values after its
 *   own phase; the trainer takes joint steps, where "before the current
 *   update" is the current point. So after_step keeps the snapshot of one
 *   step earlier as the anchor: the pull is 2 succ (theta_s - theta_{s-1}),
 *   resisting the drift the joint update causes in the lower levels (zero
 *   on the first two steps, before two snapshots exist).
 *
 * "tensor" - tensor factorisation (Yang & Hospedales 2017; survey 6.7).
 *   The T weight matrices of each trunk layer form W (in, out, T); task t's
 *   weight is built in the graph from the factors, so gradients reach them.
 *   method = "tucker": W = G x1 U1 x2 U2 x3 U3 with "tensor.<l>.u1" (in, r1),
 *     "tensor.<l>.u2" (out, r2), "tensor.<l>.core" (r1, r3*r2) holding
 *     G[a, b, c] at [a, c*r2 + b] (all group 0), and U3's row t
 *     "tensor.<l>.u3.<task>" (1, r3), group 1+t.
 *   method = "tt" (tensor train): W[i, o, t] = sum_{a,c} G1[i, a]
 *     G2[a, o, c] G3[c, t] with "tensor.<l>.g1" (in, r1), "tensor.<l>.g2"
 *     (r1, r2*out) holding G2[a, o, c] at [a, c*out + o] (group 0), and
 *     G3's column t "tensor.<l>.g3.<task>" (1, r2), group 1+t.
 *   rank: one number for every rank or a list (r1, r2, r3) / (r1, r2);
 *   each is capped at the size of its mode (r1 <= in, r2 <= out, r3 <= T;
 *   for tt r2 <= T too). Biases "tensor.<l>.<task>.bias" (group 1+t).
 *   Factors start so that W has the variance of a Xavier weight. Heads
 *   attach at `attach` as in hard sharing. */
#ifndef MT_TOPO_COLUMNS_H
#define MT_TOPO_COLUMNS_H

#include "mtl/topology.h"

extern const mt_topo_class topo_class_soft;
extern const mt_topo_class topo_class_cross_stitch;
extern const mt_topo_class topo_class_sluice;
extern const mt_topo_class topo_class_jmt;
extern const mt_topo_class topo_class_tensor;

/* The node holding task t's reconstructed weight (out, in) at trunk layer
 * `layer` (0-based) of a network built by "tensor"; MT_NONE for another
 * topology or out-of-range arguments. */
mt_node topo_tensor_weight(const mt_topo_built *b, int layer, int task);

/* The level (0-based) of task t in a "jmt" spec; -1 when out of range. */
int topo_jmt_level(const mt_topo_spec *s, int t);

#endif
