/* branch.c - the branching-tree search of branch.h. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "branch.h"
#include "groups.h"

/* As in groups.c: a score must beat the best by this much (relative) to
 * replace it, so scores equal up to rounding are ties and the first stays. */
#define BRANCH_TIE 1e-12

static int better(double s, double best) { return s > best + BRANCH_TIE * (1.0 + fabs(best)); }

int branch_is_tree(const int *assign, int T, int L)
{
    for (int l = 1; l < L; l++) {
        const int *lo = assign + (size_t)(l - 1) * T, *hi = assign + (size_t)l * T;
        for (int i = 0; i < T; i++)
            for (int j = i + 1; j < T; j++)
                if (hi[i] == hi[j] && lo[i] != lo[j]) return 0;
    }
    return 1;
}

static int n_blocks(const int *a, int T)
{
    int n = 0;
    for (int t = 0; t < T; t++) {
        int seen = 0;
        for (int u = 0; u < t && !seen; u++) seen = a[u] == a[t];
        n += !seen;
    }
    return n;
}

static double layer_score(const double *A, const double *cost, int T, int l, const int *a)
{
    return groups_score(A + (size_t)l * T * T, T, a) - cost[l] * (n_blocks(a, T) - 1);
}

double branch_score(const double *A, const double *cost, int T, int L, const int *assign)
{
    double s = 0;
    for (int l = 0; l < L; l++) s += layer_score(A, cost, T, l, assign + (size_t)l * T);
    return s;
}

static mt_status check_args(const double *A, const double *cost, int T, int L, const char *who)
{
    if (T < 1 || T > BRANCH_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "%s: %d tasks (expected 1..%d)", who, T, BRANCH_MAX_TASKS);
    if (L < 1 || L > BRANCH_MAX_LAYERS)
        return mt_fail(MT_ERR_ARG, "%s: %d layers (expected 1..%d)", who, L, BRANCH_MAX_LAYERS);
    for (int l = 0; l < L; l++) {
        if (!isfinite(cost[l]) || cost[l] < 0)
            return mt_fail(MT_ERR_ARG, "%s: cost of layer %d is %g (expected a finite number >= 0)", who, l + 1, cost[l]);
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++)
                if (i != j && !isfinite(A[(size_t)l * T * T + (size_t)i * T + j]))
                    return mt_fail(MT_ERR_ARG, "%s: affinity of layer %d [%d][%d] is not a finite number", who, l + 1, i + 1,
                                   j + 1);
    }
    return MT_OK;
}

/* A canonical partition packed 4 bits a task, task 0 the most significant:
 * for a fixed T, numeric order is the lexicographic order of the spelling. */
static uint64_t pack(const int *a, int T)
{
    uint64_t c = 0;
    for (int t = 0; t < T; t++) c = (c << 4) | (uint64_t)a[t];
    return c;
}

typedef struct {
    int T, n, cap;
    uint64_t *code; /* every partition, increasing */
} part_list;

static void enum_parts(part_list *p, int *a, int t, int used)
{
    if (t == p->T) {
        p->code[p->n++] = pack(a, p->T);
        return;
    }
    for (int g = 0; g <= used; g++) {
        a[t] = g;
        enum_parts(p, a, t + 1, used + (g == used));
    }
}

static void unpack(uint64_t c, int T, int *a)
{
    for (int t = T - 1; t >= 0; t--) {
        a[t] = (int)(c & 15u);
        c >>= 4;
    }
}

static int find_code(const part_list *p, uint64_t c)
{
    int lo = 0, hi = p->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (p->code[mid] == c) return mid;
        if (p->code[mid] < c) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* Walks every refinement of the partition a (canonical): task t joins a
 * part already opened inside its block of a, or opens the next part; parts
 * are tried in increasing order, so refinements come in canonical
 * lexicographic order and the first of equal values wins. */
typedef struct {
    const part_list *p;
    const int *a;
    const double *V; /* the layer above, by partition index */
    int q[BRANCH_MAX_TASKS], parent[BRANCH_MAX_TASKS];
    double best;
    int bi;
} refine_walk;

static void refine(refine_walk *w, int t, int nq)
{
    int T = w->p->T;
    if (t == T) {
        int i = find_code(w->p, pack(w->q, T));
        if (w->bi < 0 || better(w->V[i], w->best)) {
            w->best = w->V[i];
            w->bi = i;
        }
        return;
    }
    for (int s = 0; s <= nq; s++) {
        if (s < nq && w->parent[s] != w->a[t]) continue;
        w->q[t] = s;
        if (s == nq) w->parent[s] = w->a[t];
        refine(w, t + 1, nq + (s == nq));
    }
}

/* The number of partitions of T tasks (Bell numbers). */
static int bell(int T)
{
    int row[BRANCH_EXHAUSTIVE_MAX + 1], nxt[BRANCH_EXHAUSTIVE_MAX + 1];
    row[0] = 1;
    for (int n = 1; n <= T; n++) { /* Bell triangle */
        nxt[0] = row[n - 1];
        for (int i = 1; i <= n; i++) nxt[i] = nxt[i - 1] + row[i - 1];
        memcpy(row, nxt, (size_t)(n + 1) * sizeof *row);
    }
    return row[0];
}

mt_status branch_exhaustive(const double *A, const double *cost, int T, int L, int *assign, double *score)
{
    mt_status st = check_args(A, cost, T, L, "branch_exhaustive");
    if (st) return st;
    if (T > BRANCH_EXHAUSTIVE_MAX)
        return mt_fail(MT_ERR_ARG, "branch_exhaustive: %d tasks (at most %d; branch_beam searches more)", T,
                       BRANCH_EXHAUSTIVE_MAX);
    part_list p = {.T = T, .cap = bell(T)};
    size_t N = (size_t)p.cap;
    p.code = mt_alloc(N * sizeof *p.code);
    double *V = mt_alloc(N * sizeof *V), *Vup = mt_alloc(N * sizeof *Vup);
    int *choice = mt_alloc(N * (size_t)L * sizeof *choice);
    if (!p.code || !V || !Vup || !choice) {
        st = MT_ERR_NOMEM;
        goto out;
    }
    int a[BRANCH_MAX_TASKS];
    a[0] = 0;
    enum_parts(&p, a, 1, 1);
    /* V_l(P) = f_l(P) + max over refinements Q of P of V_{l+1}(Q), from
     * the top layer down; choice[l][P] = the best Q */
    for (int l = L - 1; l >= 0; l--) {
        for (int i = 0; i < p.n; i++) {
            unpack(p.code[i], T, a);
            double f = layer_score(A, cost, T, l, a);
            if (l == L - 1) {
                V[i] = f;
                choice[(size_t)l * N + i] = -1;
                continue;
            }
            refine_walk w = {.p = &p, .a = a, .V = Vup, .bi = -1};
            refine(&w, 0, 0);
            V[i] = f + w.best;
            choice[(size_t)l * N + i] = w.bi;
        }
        double *tmp = V;
        V = Vup;
        Vup = tmp;
    }
    /* Vup now holds V_1 */
    int bi = 0;
    for (int i = 1; i < p.n; i++)
        if (better(Vup[i], Vup[bi])) bi = i;
    for (int l = 0, i = bi; l < L; l++) {
        unpack(p.code[i], T, assign + (size_t)l * T);
        i = choice[(size_t)l * N + i];
    }
    if (score) *score = branch_score(A, cost, T, L, assign);
out:
    mt_free(p.code);
    mt_free(V);
    mt_free(Vup);
    mt_free(choice);
    return st;
}

/* The partitions reachable from P (canonical) by splitting one block at a
 * time into its best grouping, for every number of parts, under each of
 * the nA affinities A + m*T*T (a split may pay off only in a layer above),
 * P first, at most cap of them (canonical, into out, cap * T). */
static mt_status split_closure(const double *A, int nA, int T, const int *P, int cap, int *out, int *n_out)
{
    uint64_t seen[BRANCH_MAX_TASKS * BRANCH_MAX_TASKS * 4];
    int n = 0, nseen = 0, cap_seen = (int)(sizeof seen / sizeof *seen);
    if (cap > cap_seen) cap = cap_seen;
    memcpy(out, P, (size_t)T * sizeof *out);
    seen[nseen++] = pack(P, T);
    n = 1;
    for (int c = 0; c < n && n < cap; c++) {
        const int *cur = out + (size_t)c * T;
        int nb = 0;
        for (int t = 0; t < T; t++)
            if (cur[t] + 1 > nb) nb = cur[t] + 1;
        for (int b = 0; b < nb && n < cap; b++) {
            int mem[BRANCH_MAX_TASKS], m = 0;
            for (int t = 0; t < T; t++)
                if (cur[t] == b) mem[m++] = t;
            if (m < 2) continue;
            for (int x = 0; x < nA && n < cap; x++) {
                const double *Ax = A + (size_t)x * T * T;
                double sub[BRANCH_MAX_TASKS * BRANCH_MAX_TASKS];
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < m; j++) sub[i * m + j] = Ax[(size_t)mem[i] * T + mem[j]];
                for (int k = 2; k <= m && n < cap; k++) {
                    int g[BRANCH_MAX_TASKS], q[BRANCH_MAX_TASKS];
                    mt_status st = groups_search(sub, m, k, 0, g, NULL);
                    if (st) return st;
                    memcpy(q, cur, (size_t)T * sizeof *q);
                    for (int i = 0; i < m; i++)
                        if (g[i] > 0) q[mem[i]] = nb + g[i] - 1;
                    groups_canonical(q, T);
                    uint64_t code = pack(q, T);
                    int dup = 0;
                    for (int s = 0; s < nseen && !dup; s++) dup = seen[s] == code;
                    if (dup) continue;
                    seen[nseen++] = code;
                    memcpy(out + (size_t)n * T, q, (size_t)T * sizeof *q);
                    n++;
                }
            }
        }
    }
    *n_out = n;
    return MT_OK;
}

/* Moves of one task at one layer to another block of that layer (or a
 * block of its own) while one keeps the tree and raises the score. */
static void improve(const double *A, const double *cost, int T, int L, int *a)
{
    double bs = branch_score(A, cost, T, L, a);
    for (int round = 0, moved = 1; moved && round < 64 * T * L; round++) {
        moved = 0;
        for (int l = 0; l < L && !moved; l++)
            for (int t = 0; t < T && !moved; t++) {
                int *row = a + (size_t)l * T, from = row[t];
                for (int g = 0; g <= T && !moved; g++) { /* label T: a block of its own */
                    if (g == from) continue;
                    row[t] = g;
                    double s = branch_is_tree(a, T, L) ? branch_score(A, cost, T, L, a) : -INFINITY;
                    if (better(s, bs)) {
                        bs = s;
                        groups_canonical(row, T);
                        moved = 1;
                    } else {
                        row[t] = from;
                    }
                }
            }
    }
}

mt_status branch_beam(const double *A, const double *cost, int T, int L, int beam, int *assign, double *score)
{
    mt_status st = check_args(A, cost, T, L, "branch_beam");
    if (st) return st;
    if (beam < 1) return mt_fail(MT_ERR_ARG, "branch_beam: beam width %d (expected >= 1)", beam);
    int cap = 4 * T * T; /* candidates per partial tree */
    size_t LT = (size_t)L * T, nmax = (size_t)beam * (size_t)cap;
    int *cur = mt_alloc((size_t)beam * LT * sizeof *cur), *nxt = mt_alloc(nmax * LT * sizeof *nxt);
    double *curs = mt_alloc((size_t)beam * sizeof *curs), *nxts = mt_alloc(nmax * sizeof *nxts);
    int *cand = mt_alloc((size_t)cap * T * sizeof *cand);
    groups_beam_key *key = mt_alloc(nmax * sizeof *key);
    if (!cur || !nxt || !curs || !nxts || !cand || !key) {
        st = MT_ERR_NOMEM;
        goto out;
    }
    int ncur = 1, zero[BRANCH_MAX_TASKS] = {0};
    curs[0] = 0;
    for (int l = 0; l < L; l++) {
        size_t nn = 0;
        for (int b = 0; b < ncur; b++) {
            const int *top = l ? cur + (size_t)b * LT + (size_t)(l - 1) * T : zero;
            int nc;
            st = split_closure(A + (size_t)l * T * T, L - l, T, top, cap, cand, &nc);
            if (st) goto out;
            for (int c = 0; c < nc; c++) {
                int *dst = nxt + nn * LT;
                memcpy(dst, cur + (size_t)b * LT, (size_t)l * T * sizeof *dst);
                memcpy(dst + (size_t)l * T, cand + (size_t)c * T, (size_t)T * sizeof *dst);
                nxts[nn] = curs[b] + layer_score(A, cost, T, l, cand + (size_t)c * T);
                key[nn].s = nxts[nn];
                key[nn].idx = (int)nn;
                nn++;
            }
        }
        qsort(key, nn, sizeof *key, groups_beam_cmp);
        ncur = nn < (size_t)beam ? (int)nn : beam;
        for (int b = 0; b < ncur; b++) {
            memcpy(cur + (size_t)b * LT, nxt + (size_t)key[b].idx * LT, (size_t)(l + 1) * T * sizeof *cur);
            curs[b] = nxts[key[b].idx];
        }
    }
    memcpy(assign, cur, LT * sizeof *assign); /* the best: first after sorting */
    improve(A, cost, T, L, assign);
    if (score) *score = branch_score(A, cost, T, L, assign);
out:
    mt_free(cur);
    mt_free(nxt);
    mt_free(curs);
    mt_free(nxts);
    mt_free(cand);
    mt_free(key);
    return st;
}

mt_status branch_search(const double *A, const double *cost, int T, int L, int beam, int *assign, double *score)
{
    if (T <= BRANCH_EXHAUSTIVE_MAX) return branch_exhaustive(A, cost, T, L, assign, score);
    return branch_beam(A, cost, T, L, beam > 0 ? beam : BRANCH_BEAM_DEFAULT, assign, score);
}
