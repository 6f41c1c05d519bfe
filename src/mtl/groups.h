/* groups.h - which tasks should train together (survey section 6.9,
 * "What should I share in my model?"): the partition of T tasks into k
 * groups with the highest total inter-task affinity (Fifty et al. 2021,
 * "Efficiently identifying task groupings for multi-task learning").
 *
 * A is a (T, T) row-major affinity, A[i*T + j] = how much a step on task
 * i helped task j (relations.h: the lookahead transfer affinity Z, here
 * usually its mean over a short joint run). The diagonal is ignored.
 *
 * The score of a grouping is the paper's total affinity: each task's mean
 * affinity from the other members of its group, summed over the tasks,
 *
 *   score = sum_i  (1 / (|g(i)| - 1)) sum_{j in g(i), j != i} A[j*T + i],
 *
 * a task alone in its group adding 0. Using the mean (not the sum over
 * pairs) keeps large groups from winning only by having more pairs.
 *
 * A grouping is written as assign[t] in 0..k-1, canonical: groups are
 * numbered in the order of their first task (task 0 is in group 0), so
 * each partition has one spelling (a restricted growth string). Ties go to
 * the first partition in the lexicographic order of that spelling. */
#ifndef MT_GROUPS_H
#define MT_GROUPS_H

#include "core/status.h"

#define GROUPS_EXHAUSTIVE_MAX 10 /* above it, groups_search uses beam search */
#define GROUPS_BEAM_DEFAULT 256
#define GROUPS_MAX_TASKS 64

/* The score above of assign (T entries, any labels >= 0). */
double groups_score(const double *A, int T, const int *assign);

/* Renumbers assign in place to the canonical spelling; returns the number
 * of groups. */
int groups_canonical(int *assign, int T);

/* Every partition into exactly k non-empty groups, best score first found
 * (ties: the first in canonical order). 1 <= k <= T <= GROUPS_MAX_TASKS,
 * but the count grows like k^T / k!: T <= GROUPS_EXHAUSTIVE_MAX is
 * seconds at most. A non-finite off-diagonal entry is MT_ERR_ARG naming
 * it. assign (T) receives the canonical grouping, *score its score. */
mt_status groups_exhaustive(const double *A, int T, int k, int *assign, double *score);

/* Beam search: tasks placed one at a time in canonical order, keeping the
 * `beam` best partial groupings (by the score of the tasks placed so
 * far; only those that can still reach k groups), then single-task moves
 * between groups while they raise the score. Exact when beam is at least
 * the number of partial groupings (tested against groups_exhaustive). */
mt_status groups_beam(const double *A, int T, int k, int beam, int *assign, double *score);

/* Exhaustive for T <= GROUPS_EXHAUSTIVE_MAX, else beam search (beam <= 0:
 * GROUPS_BEAM_DEFAULT). */
mt_status groups_search(const double *A, int T, int k, int beam, int *assign, double *score);

/* The tasks ordered by group, then by index (order[p] = the task shown at
 * position p), e.g. to draw A with each group as a block. */
void groups_order(const int *assign, int T, int *order);

/* A beam search's candidate: its score and its generation order;
 * groups_beam_cmp sorts by score, highest first, ties in generation order
 * (so equal scores keep the canonical first). Shared with branch.c. */
typedef struct {
    double s;
    int idx;
} groups_beam_key;
int groups_beam_cmp(const void *x, const void *y);

#endif
