/* groups.c - the task-grouping search of groups.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "groups.h"

/* A score must beat the best so far by this much (relative) to replace
 * it, so two groupings whose scores differ only by rounding (1/3 + 1/3 +
 * 1/3 against 1) count as a tie and the first stays. */
#define GROUPS_TIE 1e-12

static int better(double s, double best) { return s > best + GROUPS_TIE * (1.0 + fabs(best)); }

/* The score of the first n tasks' grouping (A has stride T). */
static double score_n(const double *A, int T, int n, const int *assign)
{
    double total = 0;
    for (int i = 0; i < n; i++) {
        double s = 0;
        int m = 0;
        for (int j = 0; j < n; j++)
            if (j != i && assign[j] == assign[i]) {
                s += A[(size_t)j * T + i];
                m++;
            }
        if (m) total += s / m;
    }
    return total;
}

double groups_score(const double *A, int T, const int *assign) { return score_n(A, T, T, assign); }

int groups_canonical(int *assign, int T)
{
    int map[GROUPS_MAX_TASKS], label[GROUPS_MAX_TASKS], n = 0;
    for (int t = 0; t < T; t++) {
        int g = -1;
        for (int q = 0; q < n; q++)
            if (label[q] == assign[t]) g = map[q];
        if (g < 0) {
            label[n] = assign[t];
            map[n] = n;
            g = n++;
        }
        assign[t] = g;
    }
    return n;
}

static mt_status check_args(const double *A, int T, int k, const char *who)
{
    if (T < 1 || T > GROUPS_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "%s: %d tasks (expected 1..%d)", who, T, GROUPS_MAX_TASKS);
    if (k < 1 || k > T) return mt_fail(MT_ERR_ARG, "%s: k = %d groups for %d tasks (expected 1..%d)", who, k, T, T);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
            if (i != j && !isfinite(A[(size_t)i * T + j]))
                return mt_fail(MT_ERR_ARG, "%s: affinity[%d][%d] is not a finite number", who, i + 1, j + 1);
    return MT_OK;
}

typedef struct {
    const double *A;
    int T, k, found;
    int a[GROUPS_MAX_TASKS], best[GROUPS_MAX_TASKS];
    double bests;
} rgs_walk;

/* Places task t (tasks 0..t-1 use `used` groups): every group it may
 * join, in increasing order, so the leaves come in lexicographic order;
 * only placements that can still reach k groups. */
static void rgs_visit(rgs_walk *w, int t, int used)
{
    if (t == w->T) {
        if (used != w->k) return;
        double s = score_n(w->A, w->T, w->T, w->a);
        if (!w->found || better(s, w->bests)) {
            w->bests = s;
            memcpy(w->best, w->a, (size_t)w->T * sizeof *w->a);
            w->found = 1;
        }
        return;
    }
    for (int g = 0; g <= used && g < w->k; g++) {
        int u = used + (g == used);
        if (w->k - u > w->T - 1 - t) continue;
        w->a[t] = g;
        rgs_visit(w, t + 1, u);
    }
}

mt_status groups_exhaustive(const double *A, int T, int k, int *assign, double *score)
{
    mt_status st = check_args(A, T, k, "groups_exhaustive");
    if (st) return st;
    rgs_walk w = {.A = A, .T = T, .k = k};
    w.a[0] = 0;
    rgs_visit(&w, 1, 1);
    if (!w.found) return mt_fail(MT_ERR_ARG, "groups_exhaustive: no grouping of %d tasks into %d groups", T, k);
    memcpy(assign, w.best, (size_t)T * sizeof *assign);
    if (score) *score = w.bests;
    return MT_OK;
}

int groups_beam_cmp(const void *x, const void *y)
{
    const groups_beam_key *a = x, *b = y;
    if (a->s > b->s) return -1;
    if (a->s < b->s) return 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static int lex_less(const int *a, const int *b, int T)
{
    for (int t = 0; t < T; t++)
        if (a[t] != b[t]) return a[t] < b[t];
    return 0;
}

mt_status groups_beam(const double *A, int T, int k, int beam, int *assign, double *score)
{
    mt_status st = check_args(A, T, k, "groups_beam");
    if (st) return st;
    if (beam < 1) return mt_fail(MT_ERR_ARG, "groups_beam: beam width %d (expected >= 1)", beam);
    size_t nmax = (size_t)beam * (size_t)(k + 1);
    int *cur = mt_alloc((size_t)beam * T * sizeof *cur), *nxt = mt_alloc(nmax * T * sizeof *nxt);
    int *curm = mt_alloc((size_t)beam * sizeof *curm), *nxtm = mt_alloc(nmax * sizeof *nxtm);
    groups_beam_key *key = mt_alloc(nmax * sizeof *key);
    if (!cur || !nxt || !curm || !nxtm || !key) {
        st = MT_ERR_NOMEM;
        goto out;
    }
    int ncur = 1;
    cur[0] = 0;
    curm[0] = 1;
    for (int t = 1; t < T; t++) {
        int nn = 0;
        for (int b = 0; b < ncur; b++) {
            int m = curm[b];
            for (int g = 0; g <= m && g < k; g++) {
                int u = m + (g == m);
                if (k - u > T - 1 - t) continue; /* cannot reach k groups any more */
                int *c = nxt + (size_t)nn * T;
                memcpy(c, cur + (size_t)b * T, (size_t)t * sizeof *c);
                c[t] = g;
                nxtm[nn] = u;
                key[nn].s = score_n(A, T, t + 1, c);
                key[nn].idx = nn;
                nn++;
            }
        }
        qsort(key, (size_t)nn, sizeof *key, groups_beam_cmp);
        ncur = nn < beam ? nn : beam;
        for (int b = 0; b < ncur; b++) {
            memcpy(cur + (size_t)b * T, nxt + (size_t)key[b].idx * T, (size_t)(t + 1) * sizeof *cur);
            curm[b] = nxtm[key[b].idx];
        }
    }
    /* the best complete grouping; ties: the first in canonical order */
    int bi = -1;
    double bs = -INFINITY;
    for (int b = 0; b < ncur; b++) {
        if (curm[b] != k) continue;
        double s = score_n(A, T, T, cur + (size_t)b * T);
        if (bi < 0 || better(s, bs) || (!better(bs, s) && lex_less(cur + (size_t)b * T, cur + (size_t)bi * T, T))) {
            if (bi < 0 || better(s, bs)) bs = s;
            bi = b;
        }
    }
    if (bi < 0) {
        st = mt_fail(MT_ERR_ARG, "groups_beam: no grouping of %d tasks into %d groups", T, k);
        goto out;
    }
    int a[GROUPS_MAX_TASKS], size[GROUPS_MAX_TASKS] = {0};
    memcpy(a, cur + (size_t)bi * T, (size_t)T * sizeof *a);
    for (int t = 0; t < T; t++) size[a[t]]++;
    /* single-task moves while one raises the score (each move raises it,
     * so this ends; the bound only guards against rounding loops) */
    for (int round = 0, moved = 1; moved && round < 64 * T; round++) {
        moved = 0;
        for (int t = 0; t < T && !moved; t++) {
            if (size[a[t]] == 1) continue; /* k stays exactly k */
            int from = a[t];
            for (int g = 0; g < k && !moved; g++) {
                if (g == from) continue;
                a[t] = g;
                double s = score_n(A, T, T, a);
                if (better(s, bs)) {
                    bs = s;
                    size[from]--;
                    size[g]++;
                    moved = 1;
                } else {
                    a[t] = from;
                }
            }
        }
    }
    groups_canonical(a, T);
    memcpy(assign, a, (size_t)T * sizeof *assign);
    if (score) *score = score_n(A, T, T, a);
out:
    mt_free(cur);
    mt_free(nxt);
    mt_free(curm);
    mt_free(nxtm);
    mt_free(key);
    return st;
}

mt_status groups_search(const double *A, int T, int k, int beam, int *assign, double *score)
{
    if (T <= GROUPS_EXHAUSTIVE_MAX) return groups_exhaustive(A, T, k, assign, score);
    return groups_beam(A, T, k, beam > 0 ? beam : GROUPS_BEAM_DEFAULT, assign, score);
}

void groups_order(const int *assign, int T, int *order)
{
    int p = 0, maxg = -1;
    for (int t = 0; t < T; t++)
        if (assign[t] > maxg) maxg = assign[t];
    for (int g = 0; g <= maxg; g++)
        for (int t = 0; t < T; t++)
            if (assign[t] == g) order[p++] = t;
}
