/* test_mtl_groups.c - the task-grouping search (mtl/groups.h) against hand
 * values and a brute force over every labelling of the tasks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "mtl/groups.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* The score written out independently: for every group, for every member
 * i, the mean of A[j][i] over the other members j. */
static double ref_score(const double *A, int T, const int *lab)
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

/* Canonical spelling, written independently of groups_canonical. */
static void ref_canon(const int *lab, int T, int *out)
{
    int seen[64];
    for (int i = 0; i < 64; i++) seen[i] = -1;
    int next = 0;
    for (int t = 0; t < T; t++) {
        if (seen[lab[t]] < 0) seen[lab[t]] = next++;
        out[t] = seen[lab[t]];
    }
}

static int lex_cmp(const int *a, const int *b, int T)
{
    for (int t = 0; t < T; t++)
        if (a[t] != b[t]) return a[t] < b[t] ? -1 : 1;
    return 0;
}

/* Brute force: every one of the k^T labellings that uses all k labels;
 * the best score, ties to the canonically smallest spelling. */
static double brute(const double *A, int T, int k, int *best)
{
    int lab[16] = {0}, canon[16];
    double bs = -INFINITY;
    long total = 1;
    for (int t = 0; t < T; t++) total *= k;
    int have = 0;
    for (long code = 0; code < total; code++) {
        long c = code;
        int used[16] = {0}, nused = 0;
        for (int t = 0; t < T; t++) {
            lab[t] = (int)(c % k);
            c /= k;
            if (!used[lab[t]]++) nused++;
        }
        if (nused != k) continue;
        double s = ref_score(A, T, lab);
        ref_canon(lab, T, canon);
        int tie = have && fabs(s - bs) <= 1e-9 * (1 + fabs(bs));
        if (!have || (!tie && s > bs) || (tie && lex_cmp(canon, best, T) < 0)) {
            if (!have || !tie) bs = s;
            memcpy(best, canon, (size_t)T * sizeof *best);
            have = 1;
        }
    }
    return bs;
}

static void random_affinity(mt_rng *r, int T, double *A, int integer)
{
    for (int i = 0; i < T * T; i++)
        A[i] = integer ? (double)((int)mt_rng_below(r, 3) - 1) : 2 * mt_rng_uniform(r) - 1;
}

static void test_mtl_groups_score_hand(void **state)
{
    (void)state;
    /* A[i][j]: a step on i helps j */
    const double A[16] = {
        9, 1, 2, 3, /**/ 4, 9, 5, 6, /**/ 7, 8, 9, 1, /**/ 2, 3, 4, 9,
    };
    int two[4] = {0, 0, 1, 1};
    /* task 0 gets A[1][0] = 4, task 1 gets A[0][1] = 1, task 2 gets
     * A[3][2] = 4, task 3 gets A[2][3] = 1 */
    NEAR(groups_score(A, 4, two), 10, 0);
    int three[4] = {0, 0, 0, 1};
    /* task 0: (4 + 7) / 2, task 1: (1 + 8) / 2, task 2: (2 + 5) / 2, task 3 alone */
    NEAR(groups_score(A, 4, three), 5.5 + 4.5 + 3.5, 1e-15);
    int apart[4] = {0, 1, 2, 3};
    NEAR(groups_score(A, 4, apart), 0, 0);
    int lab[5] = {7, 3, 7, 9, 3};
    assert_int_equal(groups_canonical(lab, 5), 3);
    const int want[5] = {0, 1, 0, 2, 1};
    assert_memory_equal(lab, want, sizeof want);
    int order[5];
    groups_order(want, 5, order);
    const int ord[5] = {0, 2, 1, 4, 3};
    assert_memory_equal(order, ord, sizeof ord);
}

/* Exhaustive search and the brute force agree on the grouping and the
 * score, for every T up to 7 and every k, on real-valued matrices and on
 * matrices of -1, 0, 1 (many exact ties). */
static void test_mtl_groups_exhaustive_vs_brute(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 17, 0);
    double A[64];
    for (int T = 1; T <= 7; T++)
        for (int trial = 0; trial < (T <= 5 ? 6 : 2); trial++)
            for (int integer = 0; integer <= 1; integer++) {
                random_affinity(&r, T, A, integer);
                for (int k = 1; k <= T; k++) {
                    int got[16], want[16];
                    double s;
                    assert_int_equal(groups_exhaustive(A, T, k, got, &s), MT_OK);
                    double bs = brute(A, T, k, want);
                    NEAR(s, bs, 1e-9);
                    NEAR(groups_score(A, T, got), ref_score(A, T, got), 1e-12);
                    assert_memory_equal(got, want, (size_t)T * sizeof *got);
                }
            }
}

/* k = 1: everything in one group; k = T: every task alone, score 0; an
 * all-zero (or constant) matrix ties everything: the first spelling wins. */
static void test_mtl_groups_extremes_and_ties(void **state)
{
    (void)state;
    double A[36];
    mt_rng r;
    mt_rng_init(&r, 3, 0);
    random_affinity(&r, 6, A, 0);
    int a[6];
    double s;
    assert_int_equal(groups_exhaustive(A, 6, 1, a, &s), MT_OK);
    for (int t = 0; t < 6; t++) assert_int_equal(a[t], 0);
    double hand = 0;
    for (int i = 0; i < 6; i++) {
        double c = 0;
        for (int j = 0; j < 6; j++)
            if (j != i) c += A[j * 6 + i];
        hand += c / 5;
    }
    NEAR(s, hand, 1e-12);
    assert_int_equal(groups_exhaustive(A, 6, 6, a, &s), MT_OK);
    for (int t = 0; t < 6; t++) assert_int_equal(a[t], t);
    NEAR(s, 0, 0);
    /* ties */
    memset(A, 0, sizeof A);
    assert_int_equal(groups_exhaustive(A, 6, 3, a, &s), MT_OK);
    const int first[6] = {0, 0, 0, 0, 1, 2};
    assert_memory_equal(a, first, sizeof first);
    assert_int_equal(groups_beam(A, 6, 3, 4, a, &s), MT_OK);
    assert_memory_equal(a, first, sizeof first);
    /* a constant matrix: a task alone adds 0 and every other task 1, so
     * the best of k = 3 has no singleton: sizes 2, 2, 2, first spelled
     * {0,1}{2,3}{4,5} ({0..3}{4}{5}, lexicographically earlier, scores 4) */
    for (int i = 0; i < 36; i++) A[i] = 1;
    assert_int_equal(groups_exhaustive(A, 6, 3, a, &s), MT_OK);
    NEAR(s, 6, 1e-12);
    const int pairs[6] = {0, 0, 1, 1, 2, 2};
    assert_memory_equal(a, pairs, sizeof pairs);
    int want[16];
    NEAR(brute(A, 6, 3, want), 6, 1e-12);
    assert_memory_equal(a, want, sizeof a);
}

/* With a beam as wide as the number of partial groupings, beam search is
 * exhaustive; with a narrow one it never reports more than the optimum. */
static void test_mtl_groups_beam_vs_exhaustive(void **state)
{
    (void)state;
    mt_rng r;
    mt_rng_init(&r, 29, 0);
    double A[100];
    for (int T = 2; T <= 9; T++)
        for (int k = 1; k <= T; k += (T > 6 ? 2 : 1)) {
            random_affinity(&r, T, A, T % 2);
            int e[16], b[16], n[16];
            double se, sb, sn;
            assert_int_equal(groups_exhaustive(A, T, k, e, &se), MT_OK);
            assert_int_equal(groups_beam(A, T, k, 30000, b, &sb), MT_OK);
            NEAR(sb, se, 1e-9);
            assert_memory_equal(b, e, (size_t)T * sizeof *b);
            assert_int_equal(groups_beam(A, T, k, 2, n, &sn), MT_OK);
            assert_true(sn <= se + 1e-9);
            NEAR(sn, groups_score(A, T, n), 1e-12);
            int used[16] = {0}, nu = 0;
            for (int t = 0; t < T; t++)
                if (!used[n[t]]++) nu++;
            assert_int_equal(nu, k);
        }
}

/* Above the exhaustive limit: 16 tasks in 2 planted clusters of 8 (0.5
 * within, -0.2 across, noise 0.1, the members interleaved) are found. */
static void test_mtl_groups_beam_planted(void **state)
{
    (void)state;
    enum { T = 16 };
    mt_rng r;
    mt_rng_init(&r, 5, 0);
    double A[T * T];
    int cl[T];
    for (int t = 0; t < T; t++) cl[t] = t % 2;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) A[i * T + j] = (cl[i] == cl[j] ? 0.5 : -0.2) + 0.1 * mt_rng_normal(&r);
    int a[T];
    double s;
    assert_int_equal(groups_search(A, T, 2, 0, a, &s), MT_OK);
    for (int t = 0; t < T; t++) assert_int_equal(a[t], cl[t]);
    NEAR(s, groups_score(A, T, a), 1e-12);
}

static void test_mtl_groups_bad_input(void **state)
{
    (void)state;
    double A[9] = {0, 1, 1, 1, 0, NAN, 1, 1, 0};
    int a[3];
    assert_int_equal(groups_exhaustive(A, 3, 2, a, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "affinity[2][3] is not a finite number"));
    A[5] = 1;
    A[4] = NAN; /* the diagonal is ignored */
    assert_int_equal(groups_exhaustive(A, 3, 2, a, NULL), MT_OK);
    assert_int_equal(groups_search(A, 3, 0, 0, a, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "k = 0 groups for 3 tasks"));
    assert_int_equal(groups_beam(A, 3, 4, 8, a, NULL), MT_ERR_ARG);
    assert_int_equal(groups_beam(A, 3, 2, 0, a, NULL), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "beam width 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_groups_score_hand),
        cmocka_unit_test(test_mtl_groups_exhaustive_vs_brute),
        cmocka_unit_test(test_mtl_groups_extremes_and_ties),
        cmocka_unit_test(test_mtl_groups_beam_vs_exhaustive),
        cmocka_unit_test(test_mtl_groups_beam_planted),
        cmocka_unit_test(test_mtl_groups_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
