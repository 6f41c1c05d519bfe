/* test_mtl_groups.c - the task-grouping search (mtl/groups.h) against hand
 * values and a brute force over every labelling of the tasks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "engine/graph.h"
#include "engine_testutil.h"
#include "mtl/groups.h"
#include "mtl/topology.h"

#include "groups_ref.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#define ref_score groups_ref_score /* groups_ref.h */

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


/* ---- the groups topology ---- */

static void spec_tasks(mt_topo_spec *s, const char *type, int T, const double *groups)
{
    topo_spec_default(s);
    snprintf(s->type, sizeof s->type, "%s", type);
    s->trunk[0] = 5;
    s->trunk[1] = 4;
    s->ntrunk = 2;
    s->head[0] = 3;
    s->nhead = 1;
    s->act = MT_ACT_TANH;
    s->ntasks = T;
    for (int t = 0; t < T; t++) {
        snprintf(s->task[t].name, sizeof s->task[t].name, "t%d", t);
        s->task[t].out_dim = 2;
        s->task[t].nhead = -1;
    }
    if (groups) assert_int_equal(tparam_set_list(&s->params, "groups", MT_TP_INTS, groups, T), MT_OK);
    topo_resolve(s);
}

static mt_graph *build(const mt_topo_spec *s, mt_topo_built *b, mt_node *x)
{
    assert_int_equal(topo_validate(s), MT_OK);
    mt_graph *g = graph_new();
    *x = graph_input(g, "x", 6);
    assert_int_equal(topo_build(g, s, *x, 0, 0, 0, b), MT_OK);
    assert_int_equal(graph_compile(g, 4), MT_OK);
    graph_init_params(g, 3);
    graph_set_batch(g, 4);
    tu_fill(graph_value(g, *x), 24, 11, -1, 1);
    return g;
}

/* One group for every task is hard sharing: the same parameters in the
 * same order give the same outputs bit for bit, and the same counts. */
static void test_mtl_groups_topology_one_group_is_hard(void **state)
{
    (void)state;
    mt_topo_spec sg, sh;
    spec_tasks(&sg, "groups", 3, NULL);
    spec_tasks(&sh, "hard", 3, NULL);
    mt_topo_built bg, bh;
    mt_node xg, xh;
    mt_graph *g = build(&sg, &bg, &xg), *h = build(&sh, &bh, &xh);
    mt_params *pg = graph_params(g), *ph = graph_params(h);
    assert_int_equal(pg->count, ph->count);
    for (int i = 0; i < pg->count; i++) {
        assert_int_equal(pg->info[i].size, ph->info[i].size);
        assert_int_equal(pg->info[i].group, ph->info[i].group);
        memcpy(ph->data + ph->info[i].offset, pg->data + pg->info[i].offset, pg->info[i].size * sizeof(float));
    }
    graph_forward(g, MT_EVAL);
    graph_forward(h, MT_EVAL);
    for (int t = 0; t < 3; t++) assert_memory_equal(graph_value(g, bg.out[t]), graph_value(h, bh.out[t]), 8 * sizeof(float));
    topo_count_params(g, &sg, &bg);
    topo_count_params(h, &sh, &bh);
    assert_int_equal(bg.n_shared, bh.n_shared);
    assert_true(bg.shared != MT_NONE);
    topo_built_free(&sg, &bg);
    topo_built_free(&sh, &bh);
    graph_free(g);
    graph_free(h);
}

/* Groups { 2, 5, 2, 7 }: tasks 1 and 3 share group 1's network, tasks 2
 * and 4 are alone. Changing group 2's weights moves task 2's output only;
 * group 1's layers are shared (tag 0), a lone task's are its own. */
static void test_mtl_groups_topology_separate_networks(void **state)
{
    (void)state;
    const double gr[4] = {2, 5, 2, 7};
    mt_topo_spec s;
    spec_tasks(&s, "groups", 4, gr);
    mt_topo_built b;
    mt_node x;
    mt_graph *g = build(&s, &b, &x);
    mt_params *p = graph_params(g);
    assert_int_equal(p->info[params_find(p, "group1.0.weight")].group, 0);
    assert_int_equal(p->info[params_find(p, "group2.1.bias")].group, 2);
    assert_int_equal(p->info[params_find(p, "group3.0.weight")].group, 4);
    assert_true(b.shared == MT_NONE);
    graph_forward(g, MT_EVAL);
    float before[4][8];
    for (int t = 0; t < 4; t++) memcpy(before[t], graph_value(g, b.out[t]), sizeof before[t]);
    const mt_param_info *w = &p->info[params_find(p, "group2.0.weight")];
    for (size_t q = 0; q < w->size; q++) p->data[w->offset + q] += 0.5f;
    graph_forward(g, MT_EVAL);
    for (int t = 0; t < 4; t++) {
        int same = memcmp(before[t], graph_value(g, b.out[t]), sizeof before[t]) == 0;
        assert_int_equal(same, t != 1);
    }
    topo_count_params(g, &s, &b);
    assert_int_equal(b.n_shared, 6 * 5 + 5 + 5 * 4 + 4);
    char text[2048];
    topo_describe(&s, 6, text, sizeof text);
    assert_non_null(strstr(text, "group 1 {t0,t2}"));
    assert_non_null(strstr(text, "group 3 {t3}"));
    topo_built_free(&s, &b);
    graph_free(g);
    /* one number per task */
    spec_tasks(&s, "groups", 3, gr);
    assert_int_equal(tparam_set_list(&s.params, "groups", MT_TP_INTS, gr, 2), MT_OK);
    assert_int_equal(topo_validate(&s), MT_ERR_ARG);
    assert_non_null(strstr(mt_last_error(), "topology.groups: 2 entries for 3 tasks"));
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
        cmocka_unit_test(test_mtl_groups_topology_one_group_is_hard),
        cmocka_unit_test(test_mtl_groups_topology_separate_networks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
