/* branch.h - which tasks should share which layers: a branching tree over
 * a trunk of L layers, in the spirit of Branched Multi-Task Networks
 * (Vandenhende et al. 2019) and Learning to Branch (Guo et al. 2020),
 * scored with the task-grouping affinity of groups.h.
 *
 * A tree is a chain of partitions of the T tasks, one per layer, P_1 at
 * the input: at layer l the tasks of one block of P_l share one branch of
 * that layer. A branch only ever splits on the way up, so P_{l+1} refines
 * P_l (two tasks apart at layer l stay apart above it). The tree is
 * written as assign[l*T + t] in 0..|P_l|-1, each layer in the canonical
 * spelling of groups.h.
 *
 * A holds one (T, T) affinity per layer (A + l*T*T; the affinity measured
 * at that depth, or the same matrix repeated), cost[l] >= 0 the price of
 * each branch of layer l beyond the first (e.g. its parameter count times
 * a rate). The score of a tree is
 *
 *   score = sum_l [ groups_score(A_l, P_l) - cost[l] * (|P_l| - 1) ],
 *
 * the affinity kept inside shared branches minus the price of the extra
 * branches. Two consequences, both tested: with one layer the best tree
 * is the best grouping over every k with its price; and when every layer
 * has the same affinity and the same cost, the same partition at every
 * layer is optimal (any chain scores at most L times the best single
 * layer, and the constant chain is a chain), so a tree only branches
 * between layers when the affinity or the cost changes with depth.
 *
 * Ties go to the first tree in the lexicographic order of (P_1, ..., P_L),
 * each in canonical spelling. */
#ifndef MT_BRANCH_H
#define MT_BRANCH_H

#include "core/status.h"

#define BRANCH_MAX_TASKS 16     /* a partition is packed 4 bits a task */
#define BRANCH_MAX_LAYERS 64
#define BRANCH_EXHAUSTIVE_MAX 10 /* above it, branch_search uses beam search */
#define BRANCH_BEAM_DEFAULT 64

/* 1 when every layer of assign (L*T, canonical or not) refines the one
 * below it, else 0. */
int branch_is_tree(const int *assign, int T, int L);

/* The score above (assign need not be canonical nor a tree). */
double branch_score(const double *A, const double *cost, int T, int L, const int *assign);

/* The best tree by dynamic programming over every partition of the tasks
 * (Bell(T) of them: 115975 at T = 10) and, per layer, every refinement of
 * each. Bad input (T, L out of range, a non-finite affinity off the
 * diagonal, a cost negative or not finite) is MT_ERR_ARG naming it.
 * assign (L*T) receives the tree, *score its score. */
mt_status branch_exhaustive(const double *A, const double *cost, int T, int L, int *assign, double *score);

/* Beam search for larger T: layer by layer, the `beam` best partial trees
 * (by the score of their layers so far), each extended by its top
 * partition and every partition reached from it by splitting one block at
 * a time into the best grouping of that block's tasks (groups_search, any
 * number of parts) under the affinity of this layer or of any layer above;
 * then single-task moves at one layer while they keep a tree and raise
 * the score. Not exact: tested against branch_exhaustive (the optimum on
 * 17 of 20 random instances with independent affinities per layer, every
 * planted tree). */
mt_status branch_beam(const double *A, const double *cost, int T, int L, int beam, int *assign, double *score);

/* Exhaustive for T <= BRANCH_EXHAUSTIVE_MAX, else beam (beam <= 0:
 * BRANCH_BEAM_DEFAULT). */
mt_status branch_search(const double *A, const double *cost, int T, int L, int beam, int *assign, double *score);

#endif
