/* groups_ref.h - the task-grouping score written out independently of
 * src/mtl/groups.c, for the tests of the grouping and branching-tree
 * searches: for every group, for every member i, the mean of A[j][i] over
 * the other members j (a task alone adds 0); lab[t] is task t's group. */
#ifndef MT_GROUPS_REF_H
#define MT_GROUPS_REF_H

static double groups_ref_score(const double *A, int T, const int *lab)
{
    double total = 0;
    for (int g = 0; g < T; g++) {
        int mem[64], n = 0;
        for (int t = 0; t < T; t++)
            if (lab[t] == g) mem[n++] = t;
        if (n < 2) continue;
        for (int p = 0; p < n; p++) {
            double s = 0;
            for (int q = 0; q < n; q++)
                if (q != p) s += A[mem[q] * T + mem[p]];
            total += s / (n - 1);
        }
    }
    return total;
}

#endif
