/* test_mtl_branch.c - the branching-tree search (mtl/branch.h) against
 * hand values, a brute force over every tuple of partitions, the
 * task-grouping search at one layer, and the properties its score
 * implies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "mtl/branch.h"
#include "mtl/groups.h"

#include "groups_ref.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#define ref_layer groups_ref_score /* groups_ref.h */

static int ref_blocks(const int *lab, int T)
{
    int used[16] = {0}, n = 0;
    for (int t = 0; t < T; t++)
        if (!used[lab[t]]++) n++;
    return n;
}

/* hi refines lo: same block above means same block below. */
static int ref_refines(const int *hi, const int *lo, int T)
{
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
            if (hi[i] == hi[j] && lo[i] != lo[j]) return 0;
    return 1;
}

static int lex_cmp(const int *a, const int *b, int n)
{
    for (int t = 0; t < n; t++)
        if (a[t] != b[t]) return a[t] < b[t] ? -1 : 1;
    return 0;
}

static int part_cmp_T;
static int part_qcmp(const void *x, const void *y) { return lex_cmp(x, y, part_cmp_T); }

/* Every partition of T tasks in canonical spelling, sorted, from all T^T
 * labellings (independent of the module's enumeration); returns the count. */
static int ref_parts(int T, int *out)
{
    long total = 1;
    for (int t = 0; t < T; t++) total *= T;
    int n = 0;
    for (long code = 0; code < total; code++) {
        long c = code;
        int lab[8], map[8], canon[8], next = 0;
        for (int t = 0; t < T; t++) {
            lab[t] = (int)(c % T);
            c /= T;
            map[t] = -1;
        }
        for (int t = 0; t < T; t++) {
            if (map[lab[t]] < 0) map[lab[t]] = next++;
            canon[t] = map[lab[t]];
        }
        int dup = 0;
        for (int i = 0; i < n && !dup; i++) dup = lex_cmp(out + i * T, canon, T) == 0;
        if (!dup) memcpy(out + (n++) * T, canon, (size_t)T * sizeof *canon);
    }
    part_cmp_T = T;
    qsort(out, (size_t)n, (size_t)T * sizeof *out, part_qcmp);
    return n;
}

/* Brute force: every L-tuple of partitions in lexicographic order, kept
 * when each refines the one below; best score, the first of ties. */
static double brute(const double *A, const double *cost, int T, int L, int *best)
{
    static int parts[52 * 5];
    int np = ref_parts(T, parts);
    long total = 1;
    for (int l = 0; l < L; l++) total *= np;
    double bs = -INFINITY;
    int have = 0, tup[4 * 5];
    for (long code = 0; code < total; code++) {
        long c = code;
        int idx[4];
        for (int l = L - 1; l >= 0; l--) {
            idx[l] = (int)(c % np);
            c /= np;
        }
        int ok = 1;
        for (int l = 1; l < L && ok; l++) ok = ref_refines(parts + idx[l] * T, parts + idx[l - 1] * T, T);
        if (!ok) continue;
        double s = 0;
        for (int l = 0; l < L; l++) {
            memcpy(tup + l * T, parts + idx[l] * T, (size_t)T * sizeof *tup);
            s += ref_layer(A + l * T * T, T, tup + l * T) - cost[l] * (ref_blocks(tup + l * T, T) - 1);
        }
        if (!have || s > bs + 1e-9 * (1 + fabs(bs))) {
            bs = s;
            memcpy(best, tup, (size_t)(L * T) * sizeof *best);
            have = 1;
        }
    }
    return bs;
}

static void random_affinity(mt_rng *r, int n, double *A, int integer)
{
    for (int i = 0; i < n; i++) A[i] = integer ? (double)((int)mt_rng_below(r, 3) - 1) : 2 * mt_rng_uniform(r) - 1;
}

static void test_mtl_branch_score_hand(void **state)
{
    (void)state;
    /* two layers, three tasks; A_1 all 1, A_2: 0 and 1 help each other
     * by 2, task 2 is hurt by both (-3) and hurts them (-1) */
    const double A[18] = {
        0, 1, 1, 1, 0, 1, 1, 1, 0, /**/ 0, 2, -3, 2, 0, -3, -1, -1, 0,
    };
    const double cost[2] = {0.5, 0.25};
    const int tree[6] = {0, 0, 0, 0, 0, 1};
    assert_true(branch_is_tree(tree, 3, 2));
    /* layer 1: 3 tasks, mean 1 each, one branch: 3; layer 2: tasks 0, 1
     * get 2 each, task 2 alone: 4, minus one extra branch 0.25 */
    NEAR(branch_score(A, cost, 3, 2, tree), 3 + 4 - 0.25, 1e-15);
    const int merged[6] = {0, 0, 1, 0, 0, 0};
    assert_false(branch_is_tree(merged, 3, 2));
    /* the best tree: share all at layer 1, split off task 2 at layer 2
     * (one shared layer 2 would give (2 - 1)/2 * 2 + (-3) = -2) */
    int got[6];
    double s;
    assert_int_equal(branch_exhaustive(A, cost, 3, 2, got, &s), MT_OK);
    assert_memory_equal(got, tree, sizeof tree);
    NEAR(s, 6.75, 1e-15);
}

static void test_mtl_branch_exhaustive_vs_brute(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 17, 1);
    int cases = 0;
    for (int T = 1; T <= 5; T++)
        for (int L = 1; L <= 3; L++) {
            if (T == 5 && L == 3) continue; /* 52^3 tuples: slow brute force */
            for (int rep = 0; rep < 6; rep++) {
                double A[3 * 25], cost[3];
                int integer = rep % 2;
                random_affinity(&r, L * T * T, A, integer);
                for (int l = 0; l < L; l++)
                    cost[l] = integer ? (double)mt_rng_below(&r, 2) : (rep < 2 ? 0 : 0.5 * mt_rng_uniform(&r));
                int want[15], got[15];
                double ws = brute(A, cost, T, L, want), gs;
                assert_int_equal(branch_exhaustive(A, cost, T, L, got, &gs), MT_OK);
                NEAR(gs, ws, 1e-9);
                assert_memory_equal(got, want, (size_t)(L * T) * sizeof *got);
                assert_true(branch_is_tree(got, T, L));
                cases++;
            }
        }
    assert_int_equal(cases, 84);
}

/* One layer: the best grouping over every k, each minus its price. */
static void test_mtl_branch_one_layer_is_groups(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 23, 1);
    for (int rep = 0; rep < 20; rep++) {
        int T = 2 + (int)mt_rng_below(&r, 7);
        double A[64], c = rep < 5 ? 0 : 0.3 * mt_rng_uniform(&r);
        random_affinity(&r, T * T, A, 0);
        double best = -INFINITY;
        int want[8];
        for (int k = 1; k <= T; k++) {
            int g[8];
            double s;
            assert_int_equal(groups_exhaustive(A, T, k, g, &s), MT_OK);
            s -= c * (k - 1);
            if (s > best) {
                best = s;
                memcpy(want, g, sizeof g);
            }
        }
        int got[8];
        double gs;
        assert_int_equal(branch_exhaustive(A, &c, T, 1, got, &gs), MT_OK);
        NEAR(gs, best, 1e-12);
        assert_memory_equal(got, want, (size_t)T * sizeof *got);
    }
}

/* The same affinity and cost at every layer: the best tree is the best
 * single-layer partition repeated (score L times it), whatever the cost;
 * with costs the total number of branches never grows with the cost; a
 * cost above every possible gain shares everything. */
static void test_mtl_branch_properties(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 29, 1);
    for (int rep = 0; rep < 12; rep++) {
        int T = 3 + (int)mt_rng_below(&r, 5), L = 2 + (int)mt_rng_below(&r, 3);
        double A1[64], A[4 * 64], cost[4];
        random_affinity(&r, T * T, A1, rep % 3 == 0);
        double c = rep < 4 ? 0 : 0.4 * mt_rng_uniform(&r);
        for (int l = 0; l < L; l++) {
            memcpy(A + l * T * T, A1, (size_t)(T * T) * sizeof *A);
            cost[l] = c;
        }
        int one[8], got[32];
        double s1, s;
        assert_int_equal(branch_exhaustive(A1, cost, T, 1, one, &s1), MT_OK);
        assert_int_equal(branch_exhaustive(A, cost, T, L, got, &s), MT_OK);
        NEAR(s, L * s1, 1e-9);
        for (int l = 0; l < L; l++) assert_memory_equal(got + l * T, one, (size_t)T * sizeof *one);
    }
    for (int rep = 0; rep < 10; rep++) {
        int T = 4 + (int)mt_rng_below(&r, 3), L = 3;
        double A[3 * 64], base[3] = {1, 2, 4};
        random_affinity(&r, L * T * T, A, 0);
        int prev = 1 << 30;
        for (int step = 0; step <= 12; step++) {
            double cost[3];
            for (int l = 0; l < L; l++) cost[l] = base[l] * 0.05 * step;
            int got[3 * 8], nb = 0;
            assert_int_equal(branch_exhaustive(A, cost, T, L, got, NULL), MT_OK);
            for (int l = 0; l < L; l++) nb += ref_blocks(got + l * T, T);
            assert_true(nb <= prev);
            prev = nb;
        }
        /* a group's score is at most (T) * max|A|, so a cost of 2 T per
         * branch beats any gain: one branch at every layer */
        double big[3] = {2.0 * T, 2.0 * T, 2.0 * T};
        int got[3 * 8];
        assert_int_equal(branch_exhaustive(A, big, T, L, got, NULL), MT_OK);
        for (int i = 0; i < L * T; i++) assert_int_equal(got[i], 0);
    }
}

/* A planted tree over 4 layers and T tasks in two clusters: every task
 * helps every other at layers 1-2, only its own cluster at layers 3-4
 * (and hurts the other); with a small cost the search shares the first two
 * layers and branches into the clusters at layer 3. */
static void planted(int T, double *A, int *want)
{
    for (int l = 0; l < 4; l++)
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) {
                int same = (i % 2) == (j % 2);
                A[l * T * T + i * T + j] = l < 2 ? 1 : (same ? 1 : -1);
            }
    for (int l = 0; l < 4; l++)
        for (int t = 0; t < T; t++) want[l * T + t] = l < 2 ? 0 : t % 2;
}

static void test_mtl_branch_planted_and_beam(void **state)
{
    (void)state;
    const double cost[4] = {0.1, 0.1, 0.1, 0.1};
    static double A[4 * 16 * 16];
    int want[4 * 16], got[4 * 16];
    double s;
    planted(8, A, want);
    assert_int_equal(branch_exhaustive(A, cost, 8, 4, got, &s), MT_OK);
    assert_memory_equal(got, want, 32 * sizeof *got);
    assert_int_equal(branch_beam(A, cost, 8, 4, 8, got, &s), MT_OK);
    assert_memory_equal(got, want, 32 * sizeof *got);
    planted(14, A, want);
    assert_int_equal(branch_search(A, cost, 14, 4, 0, got, &s), MT_OK);
    assert_memory_equal(got, want, 56 * sizeof *got);
    /* random instances: the beam gives a tree, its score is the score of
     * that tree and at most the optimum */
    mt_rng r;
    mt_rng_init(&r, 31, 1);
    int exact = 0;
    for (int rep = 0; rep < 20; rep++) {
        int T = 3 + (int)mt_rng_below(&r, 5), L = 1 + (int)mt_rng_below(&r, 3);
        double B[3 * 64], c[3];
        random_affinity(&r, L * T * T, B, 0);
        for (int l = 0; l < L; l++) c[l] = 0.2 * mt_rng_uniform(&r);
        int e[24], b[24];
        double es, bs;
        assert_int_equal(branch_exhaustive(B, c, T, L, e, &es), MT_OK);
        assert_int_equal(branch_beam(B, c, T, L, 16, b, &bs), MT_OK);
        assert_true(branch_is_tree(b, T, L));
        NEAR(bs, branch_score(B, c, T, L, b), 1e-12);
        assert_true(bs <= es + 1e-9);
        exact += fabs(bs - es) <= 1e-9;
    }
    printf("branch_beam (beam 16) found the optimum on %d of 20 random instances\n", exact);
    assert_true(exact >= 17); /* deterministic: pure code on fixed draws */
}

static void test_mtl_branch_bad_input(void **state)
{
    (void)state;
    double A[9] = {0}, cost[2] = {0, -1};
    int got[6];
    assert_int_equal(branch_exhaustive(A, cost, 3, 2, got, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "cost of layer 2 is -1"));
    double A2[18] = {0};
    cost[1] = 0;
    A2[9 + 5] = NAN;
    assert_int_equal(branch_search(A2, cost, 3, 2, 0, got, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "affinity of layer 2 [2][3] is not a finite number"));
    assert_int_equal(branch_exhaustive(A, cost, 0, 1, got, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "0 tasks"));
    assert_int_equal(branch_beam(A, cost, 3, 1, 0, got, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "beam width 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_branch_score_hand),
        cmocka_unit_test(test_mtl_branch_exhaustive_vs_brute),
        cmocka_unit_test(test_mtl_branch_one_layer_is_groups),
        cmocka_unit_test(test_mtl_branch_properties),
        cmocka_unit_test(test_mtl_branch_planted_and_beam),
        cmocka_unit_test(test_mtl_branch_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
