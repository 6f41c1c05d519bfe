/* topo_fafs.c - fully-adaptive feature sharing (Lu et al. 2017; survey
 * section 6.2): a thin network shared by all tasks, widened greedily from
 * the top layer down by branching groups of tasks that find the same
 * examples hard. The affinity, the greedy criterion, the tree encoding
 * and the parameter names are in topo_experts.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "topo_experts.h"

#define FAFS_MAXTASKS 13 /* 13 hexadecimal digits stay exact in a double */
#define FAFS_CODE_MAX 4503599627370495.0 /* 16^13 - 1 */

typedef struct {
    int T, L;
    int part[MT_TOPO_MAXLAYERS][MT_MAX_TASKS]; /* task t's branch at layer l, numbered 0.. */
    int done;                                  /* rounds performed */
    double rounds[MT_TOPO_MAXLAYERS];
    int nrounds;
    long every;
    double lambda;
    mt_node out[MT_MAX_TASKS], mask[MT_MAX_TASKS];
    double csum[MT_MAX_TASKS * MT_MAX_TASKS]; /* sum of n_ij * corr_ij per batch */
    double wsum[MT_MAX_TASKS * MT_MAX_TASKS]; /* sum of n_ij */
    double pub[MT_TOPO_MAXLAYERS * MT_MAX_TASKS];
} fafs_state;

static const mt_tparam_def fafs_params[] = {
    {"rounds", MT_TP_INTS, 0, 1, 1e12, NULL, "steps at which a branching round runs (top layer first)", .flags = MT_TPF_DERIVED},
    {"every", MT_TP_INT, 500, 1, 1e12, NULL, "steps between rounds when `rounds` is not given"},
    {"lambda", MT_TP_NUMBER, 0.6, 0, 1e6, NULL, "cost of each new branch in the greedy criterion"},
    {"groups", MT_TP_INTS, 0, 0, FAFS_CODE_MAX, NULL,
     "the tree: per trunk layer, each task's branch as a hex digit, task 1 first ({ 0x0000, 0x0011 }: layer 1 shared, layer 2 {1,2} / {3,4}); written by the rounds; default: all shared", .flags = MT_TPF_DERIVED},
    {"done", MT_TP_INT, 0, 0, MT_TOPO_MAXLAYERS, NULL, "rounds already performed (kept by restructuring)"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

int topo_fafs_digit(double code, int T, int t)
{
    double c = floor(code / pow(16.0, T - 1 - t));
    return (int)fmod(c, 16.0);
}

double topo_fafs_code(const int *group, int T)
{
    double c = 0;
    for (int t = 0; t < T; t++) c = c * 16.0 + group[t];
    return c;
}

/* Renumbers groups 0.. in order of first appearance. */
static void fafs_renumber(int *group, int n)
{
    int map[64];
    for (int i = 0; i < 64; i++) map[i] = -1;
    int next = 0;
    for (int u = 0; u < n; u++) {
        int gi = group[u] & 63;
        if (map[gi] < 0) map[gi] = next++;
        group[u] = map[gi];
    }
}

/* cost(P) of the header: each unit's largest dissimilarity to a group
 * mate, plus lambda per extra group. */
static double fafs_cost(int n, const double *aff, const int *group, int ngroups, double lambda)
{
    double c = lambda * (ngroups - 1);
    for (int u = 0; u < n; u++) {
        double d = 0;
        for (int v = 0; v < n; v++)
            if (v != u && group[v] == group[u] && (1.0 - aff[u * n + v]) / 2.0 > d) d = (1.0 - aff[u * n + v]) / 2.0;
        c += d;
    }
    return c;
}

int topo_fafs_group(int n, const double *aff, double lambda, int *group, double *cost)
{
    int cur[MT_MAX_TASKS] = {0}, best[MT_MAX_TASKS] = {0};
    if (n < 1 || n > MT_MAX_TASKS) return 0;
    for (int u = 0; u < n; u++) cur[u] = best[u] = u;
    int ng = n, bestng = n;
    double bestc = fafs_cost(n, aff, cur, ng, lambda);
    while (ng > 1) {
        /* the two groups of highest mean affinity (average linkage) */
        double top = -INFINITY;
        int ga = -1, gb = -1;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) {
                int A = cur[a], B = cur[b];
                if (A >= B) continue;
                double s = 0;
                int m = 0;
                for (int u = 0; u < n; u++)
                    for (int v = 0; v < n; v++)
                        if (cur[u] == A && cur[v] == B) {
                            s += aff[u * n + v];
                            m++;
                        }
                if (m && s / m > top) {
                    top = s / m;
                    ga = A;
                    gb = B;
                }
            }
        for (int u = 0; u < n; u++)
            if (cur[u] == gb) cur[u] = ga;
        ng--;
        double c = fafs_cost(n, aff, cur, ng, lambda);
        if (c <= bestc) { /* ties go to fewer groups */
            bestc = c;
            bestng = ng;
            memcpy(best, cur, (size_t)n * sizeof(int));
        }
    }
    memcpy(group, best, (size_t)n * sizeof(int));
    fafs_renumber(group, n);
    if (cost) *cost = bestc;
    return bestng;
}

/* The tree of a spec: part[l][t]; all zero when `groups` is not given. */
static void fafs_tree(const mt_topo_spec *s, int part[][MT_MAX_TASKS])
{
    double codes[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "groups", codes, MT_TOPO_MAXLAYERS);
    for (int l = 0; l < s->ntrunk; l++) {
        for (int t = 0; t < s->ntasks; t++) part[l][t] = n ? topo_fafs_digit(codes[l], s->ntasks, t) : 0;
        fafs_renumber(part[l], s->ntasks);
    }
}

static unsigned fafs_mask(const int *part, int T, int group)
{
    unsigned m = 0;
    for (int t = 0; t < T; t++)
        if (part[t] == group) m |= 1u << t;
    return m;
}

static mt_status fafs_validate(const mt_topo_spec *s)
{
    int T = s->ntasks;
    if (T > FAFS_MAXTASKS) return mt_fail(MT_ERR_ARG, "tasks: fafs supports up to %d tasks, got %d", FAFS_MAXTASKS, T);
    if (s->ntrunk < 1) return mt_fail(MT_ERR_ARG, "topology.trunk: fafs needs at least one trunk layer to branch");
    for (int t = 0; t < T; t++)
        if (s->task[t].attach != 0)
            return mt_fail(MT_ERR_ARG, "tasks[%d].attach: fafs heads sit on their task's top branch; attach is not supported",
                           t + 1);
    double v[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "groups", v, MT_TOPO_MAXLAYERS);
    if (n && n != s->ntrunk)
        return mt_fail(MT_ERR_ARG, "topology.groups: %d entries for %d trunk layers", n, s->ntrunk);
    for (int l = 0; l < n; l++)
        if (v[l] >= pow(16.0, T))
            return mt_fail(MT_ERR_ARG, "topology.groups[%d]: 0x%llx has more than %d hexadecimal digits (one per task)",
                           l + 1, (unsigned long long)v[l], T);
    int part[MT_TOPO_MAXLAYERS][MT_MAX_TASKS];
    fafs_tree(s, part);
    for (int l = 0; l + 1 < s->ntrunk; l++)
        for (int a = 0; a < T; a++)
            for (int b = 0; b < T; b++)
                if (part[l + 1][a] == part[l + 1][b] && part[l][a] != part[l][b])
                    return mt_fail(MT_ERR_ARG,
                                   "topology.groups[%d]: tasks '%s' and '%s' share a branch at layer %d but not at "
                                   "layer %d below it (a tree's groups must refine going up)",
                                   l + 2, s->task[a].name, s->task[b].name, l + 2, l + 1);
    int done = (int)tparam_num(&s->params, fafs_params, "done");
    if (done > s->ntrunk)
        return mt_fail(MT_ERR_ARG, "topology.done: %d rounds but only %d trunk layers", done, s->ntrunk);
    n = tparam_list(&s->params, "rounds", v, MT_TOPO_MAXLAYERS);
    for (int i = 1; i < n; i++)
        if (v[i] <= v[i - 1])
            return mt_fail(MT_ERR_ARG, "topology.rounds[%d]: step %.0f after step %.0f (expected increasing steps)", i + 1,
                           v[i], v[i - 1]);
    return MT_OK;
}

static mt_status fafs_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                            mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    int T = s->ntasks, L = s->ntrunk;
    fafs_state *st = mt_calloc(1, sizeof *st);
    if (!st) return MT_ERR_NOMEM;
    out->state = st;
    st->T = T;
    st->L = L;
    fafs_tree(s, st->part);
    st->done = (int)tparam_num(&s->params, fafs_params, "done");
    st->nrounds = tparam_list(&s->params, "rounds", st->rounds, MT_TOPO_MAXLAYERS);
    st->every = (long)tparam_num(&s->params, fafs_params, "every");
    st->lambda = tparam_num(&s->params, fafs_params, "lambda");
    char nm[MT_PARAM_NAME];
    for (int t = 0; t < T; t++) {
        snprintf(nm, sizeof nm, "mask.%s", s->task[t].name);
        st->mask[t] = graph_find(g, nm);
    }
    mt_node sw = MT_NONE;
    mt_node h = topo_front(g, s, x, in_c, "conv", 0, &sw);
    mt_node shared = in_c > 0 && s->nconv > 0 ? h : MT_NONE;
    mt_node node[MT_TOPO_MAXLAYERS][MT_MAX_TASKS]; /* node[l][branch] */
    unsigned all = (1u << T) - 1;
    for (int l = 0; l < L; l++) {
        int nb = 0;
        for (int t = 0; t < T; t++)
            if (st->part[l][t] + 1 > nb) nb = st->part[l][t] + 1;
        for (int b = 0; b < nb; b++) {
            unsigned m = fafs_mask(st->part[l], T, b);
            if (!m) continue;
            int first = __builtin_ctz(m);
            mt_node in = l == 0 ? h : node[l - 1][st->part[l - 1][first]];
            int group = m == all ? 0 : __builtin_popcount(m) == 1 ? 1 + first : 0;
            snprintf(nm, sizeof nm, "fafs.%d.g%x", l, m);
            node[l][b] = topo_hidden(g, s, in, s->trunk[l], nm, group);
            if (m == all) {
                shared = node[l][b];
                snprintf(nm, sizeof nm, "fafs.%d.g%x.weight", l, m);
                sw = graph_find(g, nm);
            }
        }
    }
    for (int t = 0; t < T; t++) {
        st->out[t] = topo_head(g, s, t, node[L - 1][st->part[L - 1][t]]);
        out->out[t] = st->out[t];
    }
    out->shared = shared;
    out->shared_weight = sw == MT_NONE ? -1 : sw;
    return MT_OK;
}

/* Squared norm of row b of task t's output gradient. */
static double fafs_diff(const float *gr, int cols, int b)
{
    double s = 0;
    for (int j = 0; j < cols; j++) s += (double)gr[(size_t)b * cols + j] * gr[(size_t)b * cols + j];
    return sqrt(s);
}

/* One batch of evidence: the within-batch correlation of every pair's
 * difficulties (see the header), weighted by the pair's example count. */
static mt_status fafs_after_step(void *state, mt_graph *g, mt_params *p, double lr, long step)
{
    (void)p;
    (void)lr;
    (void)step;
    fafs_state *st = state;
    int T = st->T, B = graph_batch(g);
    const float *gr[MT_MAX_TASKS], *mk[MT_MAX_TASKS];
    int cols[MT_MAX_TASKS];
    for (int t = 0; t < T; t++) {
        gr[t] = graph_grad(g, st->out[t]);
        cols[t] = graph_cols(g, st->out[t]);
        mk[t] = st->mask[t] != MT_NONE ? graph_value(g, st->mask[t]) : NULL;
        if (!gr[t]) return MT_OK;
    }
    for (int i = 0; i < T; i++)
        for (int j = i + 1; j < T; j++) {
            double n = 0, si = 0, sj = 0, sii = 0, sjj = 0, sij = 0;
            for (int b = 0; b < B; b++) {
                if ((mk[i] && mk[i][b] == 0.0f) || (mk[j] && mk[j][b] == 0.0f)) continue;
                double a = fafs_diff(gr[i], cols[i], b), c = fafs_diff(gr[j], cols[j], b);
                n += 1;
                si += a;
                sj += c;
                sii += a * a;
                sjj += c * c;
                sij += a * c;
            }
            if (n < 3) continue;
            double vi = sii - si * si / n, vj = sjj - sj * sj / n, cv = sij - si * sj / n;
            /* no spread: no evidence (a gradient pass that skipped the task) */
            if (!(vi > 1e-12 * (sii + 1e-30)) || !(vj > 1e-12 * (sjj + 1e-30))) continue;
            double r = cv / sqrt(vi * vj);
            if (!isfinite(r)) continue;
            st->csum[i * T + j] += n * r;
            st->wsum[i * T + j] += n;
        }
    return MT_OK;
}

/* The running task affinity (T x T, unit diagonal; `none` without
 * evidence). */
static void fafs_affinity(const fafs_state *st, double *A, double none)
{
    int T = st->T;
    for (int i = 0; i < T; i++) {
        A[i * T + i] = 1;
        for (int j = i + 1; j < T; j++) {
            double w = st->wsum[i * T + j];
            A[i * T + j] = A[j * T + i] = w > 0 ? st->csum[i * T + j] / w : none;
        }
    }
}

/* One round at layer l = L-1-done: inside each branch of layer l, group
 * the branches of layer l+1 (the tasks, at the top) by the criterion. */
static int fafs_restructure(void *state, mt_graph *g, long step, mt_topo_spec *next)
{
    (void)g;
    fafs_state *st = state;
    if (st->done >= st->L) return 0;
    long due = st->nrounds ? (st->done < st->nrounds ? (long)st->rounds[st->done] : -1) : st->every * (st->done + 1);
    if (due < 0 || step < due) return 0;
    int T = st->T, l = st->L - 1 - st->done;
    double A[MT_MAX_TASKS * MT_MAX_TASKS];
    fafs_affinity(st, A, 1.0);
    int unit[MT_MAX_TASKS], newpart[MT_MAX_TASKS];
    for (int t = 0; t < T; t++) unit[t] = l == st->L - 1 ? t : st->part[l + 1][t];
    int nextid = 0, changed = 0;
    for (int b = 0; b < T; b++) { /* every branch of layer l */
        unsigned m = fafs_mask(st->part[l], T, b);
        if (!m) continue;
        int uid[MT_MAX_TASKS], nu = 0; /* the units inside it */
        for (int t = 0; t < T; t++) {
            if (!(m >> t & 1)) continue;
            int seen = 0;
            for (int k = 0; k < nu; k++) seen |= uid[k] == unit[t];
            if (!seen) uid[nu++] = unit[t];
        }
        double UA[MT_MAX_TASKS * MT_MAX_TASKS];
        for (int a = 0; a < nu; a++)
            for (int c = 0; c < nu; c++) {
                double sum = 0;
                int cnt = 0;
                for (int i = 0; i < T; i++)
                    for (int j = 0; j < T; j++)
                        if ((m >> i & 1) && (m >> j & 1) && unit[i] == uid[a] && unit[j] == uid[c] && i != j) {
                            sum += A[i * T + j];
                            cnt++;
                        }
                UA[a * nu + c] = a == c ? 1.0 : cnt ? sum / cnt : 1.0;
            }
        int grp[MT_MAX_TASKS];
        int ng = topo_fafs_group(nu, UA, st->lambda, grp, NULL);
        if (ng > 1) changed = 1;
        for (int t = 0; t < T; t++) {
            if (!(m >> t & 1)) continue;
            for (int a = 0; a < nu; a++)
                if (uid[a] == unit[t]) newpart[t] = nextid + grp[a];
        }
        nextid += ng;
    }
    st->done++;
    if (!changed) return 0; /* no branch pays for itself: the layer stays as it is */
    fafs_renumber(newpart, T);
    double codes[MT_TOPO_MAXLAYERS];
    for (int k = 0; k < st->L; k++) codes[k] = topo_fafs_code(k == l ? newpart : st->part[k], T);
    if (tparam_set_list(&next->params, "groups", MT_TP_INTS, codes, st->L) ||
        tparam_set_num(&next->params, "done", MT_TP_INT, st->done))
        return 0;
    return 1;
}

/* A new branch "fafs.<l>.g<mask>.*" starts from the previous network's
 * branch of layer l that held its first task. */
static int fafs_inherit(void *state, const char *name, char *src, size_t n)
{
    const fafs_state *st = state;
    int l, off = 0;
    unsigned m;
    if (!st || sscanf(name, "fafs.%d.g%x%n", &l, &m, &off) != 2 || off == 0 || l < 0 || l >= st->L || !m)
        return 0;
    if (name[off] != '.' && name[off] != '\0') return 0;
    int first = __builtin_ctz(m);
    if (first >= st->T) return 0;
    unsigned pm = fafs_mask(st->part[l], st->T, st->part[l][first]);
    if (pm == m) return 0;
    return snprintf(src, n, "fafs.%d.g%x%s", l, pm, name + off) < (int)n;
}

static void fafs_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    (void)g;
    fafs_state *st = state;
    if (!st) return;
    double A[MT_MAX_TASKS * MT_MAX_TASKS];
    fafs_affinity(st, A, NAN);
    fn(ud, "task affinity", st->T, st->T, A, NULL, NULL, -1, 1);
    for (int l = 0; l < st->L; l++)
        for (int t = 0; t < st->T; t++) st->pub[l * st->T + t] = st->part[l][t] + 1;
    fn(ud, "fafs tree", st->L, st->T, st->pub, NULL, NULL, 1, st->T);
}

static void fafs_free(void *state) { mt_free(state); }

/* appends to buf (n bytes) at w, truncating (topology.h) */
#define OUT(...) (w = topo_appendf(buf, n, w, __VA_ARGS__))

/* The tasks of a mask, "a,b,c", cut to fit. */
static void fafs_names(const mt_topo_spec *s, unsigned m, char *out, size_t n)
{
    size_t w = 0;
    out[0] = '\0';
    for (int t = 0; t < s->ntasks && w + 1 < n; t++) {
        if (!(m >> t & 1)) continue;
        int r = snprintf(out + w, n - w, "%s%s", w ? "," : "", s->task[t].name);
        if (r < 0) break;
        w += (size_t)r < n - w ? (size_t)r : n - w - 1;
    }
    if (w + 1 >= n && n > 4) memcpy(out + n - 4, "...", 4);
}

/* Branch b of layer l and, recursively, its children, indented by depth. */
static size_t fafs_draw(const mt_topo_spec *s, int part[][MT_MAX_TASKS], int l, int b, char *buf, size_t n, size_t w)
{
    unsigned m = fafs_mask(part[l], s->ntasks, b);
    char names[40], pad[2 * MT_TOPO_MAXLAYERS + 1];
    int depth = l < MT_TOPO_MAXLAYERS ? l : MT_TOPO_MAXLAYERS;
    memset(pad, ' ', (size_t)2 * depth);
    pad[2 * depth] = '\0';
    fafs_names(s, m, names, sizeof names);
    OUT("  %s+- fafs.%d dense %d {%s}%s\n", pad, l, s->trunk[l], names,
        m == (1u << s->ntasks) - 1 ? "  [shared]" : "");
    if (l + 1 < s->ntrunk) {
        int seen[MT_MAX_TASKS] = {0};
        for (int t = 0; t < s->ntasks; t++)
            if ((m >> t & 1) && !seen[part[l + 1][t]]) {
                seen[part[l + 1][t]] = 1;
                w = fafs_draw(s, part, l + 1, part[l + 1][t], buf, n, w);
            }
        return w;
    }
    for (int t = 0; t < s->ntasks; t++) {
        if (!(m >> t & 1)) continue;
        const mt_topo_task *k = &s->task[t];
        int nh;
        const int *hs = topo_task_head(s, t, &nh);
        OUT("  %s   --> %s%s: ", pad, k->name, k->aux ? " (aux)" : "");
        for (int i = 0; i < nh; i++) OUT("dense %d -> ", hs[i]);
        OUT("out %d\n", k->out_dim);
    }
    return w;
}

static size_t fafs_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    int part[MT_TOPO_MAXLAYERS][MT_MAX_TASKS];
    fafs_tree(s, part);
    double r[MT_TOPO_MAXLAYERS];
    int nr = tparam_list(&s->params, "rounds", r, MT_TOPO_MAXLAYERS);
    int done = (int)tparam_num(&s->params, fafs_params, "done");
    OUT("fully-adaptive feature sharing (%s), lambda %g\n", topo_act_name(s->act),
        tparam_num(&s->params, fafs_params, "lambda"));
    if (nr) OUT("rounds done %d of %d (at steps", done, nr < s->ntrunk ? nr : s->ntrunk);
    else OUT("rounds done %d of %d (every %.0f steps", done, s->ntrunk, tparam_num(&s->params, fafs_params, "every"));
    for (int i = 0; nr && i < nr && i < s->ntrunk; i++) OUT(" %.0f", r[i]);
    OUT("), top layer first\n");
    OUT("input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++) OUT("  | conv 5x5 -> %d ch, pool 2   [shared]\n", s->conv[i]);
    int seen[MT_MAX_TASKS] = {0};
    for (int t = 0; t < s->ntasks; t++)
        if (!seen[part[0][t]]) {
            seen[part[0][t]] = 1;
            w = fafs_draw(s, part, 0, part[0][t], buf, n, w);
        }
    return w;
}

const mt_topo_class topo_class_fafs = {
    .name = "fafs",
    .summary = "fully-adaptive feature sharing: a thin shared network widened by branching task groups (Lu et al. 2017)",
    .params = fafs_params,
    .validate = fafs_validate,
    .build = fafs_build,
    .describe = fafs_describe,
    .hooks = {.after_step = fafs_after_step,
              .publish = fafs_publish,
              .restructure = fafs_restructure,
              .free = fafs_free,
              .inherit = fafs_inherit},
};
