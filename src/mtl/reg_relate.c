/* reg_relate.c - mean-regularised MTL, clustered MTL and task-covariance
 * learning as quadratic penalties tr(W M W^T). See reg_relate.h. */
#include "reg_relate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "mtl/linalg.h"
#include "mtl/reg_taskw.h"

#define TT (MT_MAX_TASKS * MT_MAX_TASKS)

/* ---- k-means on a Gram matrix ------------------------------------------ */

/* Squared distances of every vector to every cluster mean: dist (T, K).
 * Empty clusters get +inf. */
static void kmeans_dists(const double *G, int T, int K, const int *assign, double *dist, int *cnt)
{
    double S[MT_MAX_TASKS];
    for (int c = 0; c < K; c++) cnt[c] = 0, S[c] = 0;
    for (int j = 0; j < T; j++) cnt[assign[j]]++;
    for (int j = 0; j < T; j++)
        for (int k = 0; k < T; k++)
            if (assign[j] == assign[k]) S[assign[j]] += G[j * T + k];
    for (int i = 0; i < T; i++) {
        double a[MT_MAX_TASKS] = {0};
        for (int j = 0; j < T; j++) a[assign[j]] += G[i * T + j];
        for (int c = 0; c < K; c++) {
            double n = cnt[c];
            double d = G[i * T + i] - 2 * a[c] / n + S[c] / (n * n);
            dist[i * K + c] = cnt[c] ? (d > 0 ? d : 0.0) : INFINITY;
        }
    }
}

static double sqdist(const double *G, int T, int i, int j)
{
    double d = G[i * T + i] + G[j * T + j] - 2 * G[i * T + j];
    return d > 0 ? d : 0.0;
}

/* Lloyd's iterations from farthest-point seeds starting at task `start`;
 * returns the within-cluster sum of squares. */
static double kmeans_from(const double *G, int T, int K, int start, int *assign)
{
    int seed[MT_MAX_TASKS], is_seed[MT_MAX_TASKS] = {0};
    double mind[MT_MAX_TASKS];
    seed[0] = start;
    is_seed[start] = 1;
    for (int i = 0; i < T; i++) mind[i] = sqdist(G, T, i, start);
    for (int k = 1; k < K; k++) {
        int best = -1;
        for (int i = 0; i < T; i++)
            if (!is_seed[i] && (best < 0 || mind[i] > mind[best])) best = i;
        seed[k] = best;
        is_seed[best] = 1;
        for (int i = 0; i < T; i++) {
            double d = sqdist(G, T, i, best);
            if (d < mind[i]) mind[i] = d;
        }
    }
    for (int i = 0; i < T; i++) {
        int bc = 0;
        double bd = INFINITY;
        for (int k = 0; k < K; k++) {
            double d = seed[k] == i ? -1.0 : sqdist(G, T, i, seed[k]);
            if (d < bd) bd = d, bc = k;
        }
        assign[i] = bc;
    }
    double dist[TT];
    int cnt[MT_MAX_TASKS];
    for (int it = 0; it < 100; it++) {
        kmeans_dists(G, T, K, assign, dist, cnt);
        int changed = 0;
        for (int i = 0; i < T; i++) {
            int cur = assign[i], bc = cur;
            double bd = dist[i * K + cur];
            for (int c = 0; c < K; c++)
                if (dist[i * K + c] < bd - 1e-12 * (1 + bd)) bd = dist[i * K + c], bc = c;
            if (bc != cur) assign[i] = bc, changed = 1;
        }
        /* an emptied cluster takes the vector farthest from its own mean
         * (from a cluster that keeps at least one member) */
        kmeans_dists(G, T, K, assign, dist, cnt);
        for (int c = 0; c < K; c++) {
            if (cnt[c]) continue;
            int far = -1;
            for (int i = 0; i < T; i++)
                if (cnt[assign[i]] > 1 && (far < 0 || dist[i * K + assign[i]] > dist[far * K + assign[far]])) far = i;
            if (far < 0) break;
            cnt[assign[far]]--;
            assign[far] = c;
            cnt[c] = 1;
            changed = 1;
            kmeans_dists(G, T, K, assign, dist, cnt);
        }
        if (!changed) break;
    }
    /* Hartigan's single-vector moves: moving i from a to b changes the sum
     * of squares by n_b/(n_b+1) d(i, b) - n_a/(n_a-1) d(i, a); take any
     * move that lowers it (every Lloyd fixed point that is not a local
     * optimum of this finer kind gets improved) */
    for (int it = 0; it < 100 * T; it++) {
        kmeans_dists(G, T, K, assign, dist, cnt);
        int moved = 0;
        for (int i = 0; i < T && !moved; i++) {
            int a = assign[i];
            if (cnt[a] < 2) continue;
            double gain = cnt[a] / (cnt[a] - 1.0) * dist[i * K + a];
            for (int c = 0; c < K; c++) {
                if (c == a) continue;
                double cost = cnt[c] ? cnt[c] / (cnt[c] + 1.0) * dist[i * K + c] : 0.0;
                if (cost < gain - 1e-12 * (1 + gain)) {
                    assign[i] = c;
                    moved = 1;
                    break;
                }
            }
        }
        if (!moved) break;
    }
    kmeans_dists(G, T, K, assign, dist, cnt);
    double ss = 0;
    for (int i = 0; i < T; i++) ss += dist[i * K + assign[i]];
    return ss;
}

double reg_kmeans_gram(const double *G, int T, int K, int *assign)
{
    int cur[MT_MAX_TASKS];
    double best = INFINITY;
    for (int s = 0; s < T; s++) {
        double ss = kmeans_from(G, T, K, s, cur);
        if (ss < best - 1e-12 * (1 + fabs(best)) || s == 0) {
            best = ss;
            memcpy(assign, cur, (size_t)T * sizeof *assign);
        }
    }
    int map[MT_MAX_TASKS], next = 0;
    for (int c = 0; c < K; c++) map[c] = -1;
    for (int i = 0; i < T; i++) {
        if (map[assign[i]] < 0) map[assign[i]] = next++;
        assign[i] = map[assign[i]];
    }
    return best;
}

void reg_cluster_matrix(const int *assign, int T, double eps_m, double eps_b, double eps_w, double *M)
{
    int cnt[MT_MAX_TASKS] = {0};
    for (int t = 0; t < T; t++) cnt[assign[t]]++;
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) {
            double U = 1.0 / T, Pi = assign[s] == assign[t] ? 1.0 / cnt[assign[s]] : 0.0, I = s == t;
            M[s * T + t] = eps_m * U + eps_b * (Pi - U) + eps_w * (I - Pi);
        }
}

/* ---- MTRL's task covariance -------------------------------------------- */

mt_status reg_taskcov_omega(const double *G, int T, double eps, double *Omega, double *Omega_inv)
{
    if (T < 1 || T > MT_MAX_TASKS) return mt_fail(MT_ERR_ARG, "task covariance: %d tasks", T);
    double A[TT], V[TT], ev[MT_MAX_TASKS], tr = 0;
    for (int t = 0; t < T; t++) tr += G[t * T + t];
    double ridge = tr > 0 ? eps * tr / T : eps;
    for (int k = 0; k < T * T; k++) {
        if (!isfinite(G[k])) return mt_fail(MT_ERR_NUMERIC, "task covariance: W^T W has a non-finite entry");
        A[k] = 0.5 * (G[k] + G[(k % T) * T + k / T]);
    }
    for (int t = 0; t < T; t++) A[t * T + t] += ridge;
    if (linalg_eigh(T, A, ev, V) < 0)
        return mt_fail(MT_ERR_NUMERIC, "task covariance: the eigen-decomposition of W^T W did not converge");
    double trs = 0;
    for (int k = 0; k < T; k++) {
        if (!(ev[k] > 1e-300))
            return mt_fail(MT_ERR_NUMERIC,
                           "task covariance: W^T W + ridge is not positive definite (eigenvalue %g); raise eps",
                           ev[k]);
        ev[k] = sqrt(ev[k]);
        trs += ev[k];
    }
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) {
            double o = 0, oi = 0;
            for (int k = 0; k < T; k++) {
                double vv = V[s * T + k] * V[t * T + k];
                o += vv * ev[k];
                oi += vv / ev[k];
            }
            Omega[s * T + t] = o / trs;
            if (Omega_inv) Omega_inv[s * T + t] = oi * trs;
        }
    return MT_OK;
}

/* ---- the regularisers ---------------------------------------------------- */

enum { KIND_MEAN, KIND_CLUSTER, KIND_COV };

typedef struct {
    int kind;
    reg_taskw w;
    double M[TT]; /* (T, T) the penalty tr(W M W^T) */
    double lambda, lambda_mean;
    /* cluster */
    int K;
    long update_every;
    double eps_m, eps_b, eps_w;
    int assign[MT_MAX_TASKS];
    int assigned; /* 0 until the first k-means */
    /* task_cov */
    double eps;
    double Omega[TT];
} rel_state;

static const mt_tparam_def mean_params[] = {
    {"layer", MT_TP_STRING, 0, 0, 0, NULL,
     "weight pattern, '*' = task name (\"head.*.0\"); empty = each head's first layer"},
    {"lambda", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "strength of sum_t ||w_t - mean||^2"},
    {"lambda_mean", MT_TP_NUMBER, 0, 0, 1e6, NULL, "strength of T ||mean||^2"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const mt_tparam_def cluster_params[] = {
    {"layer", MT_TP_STRING, 0, 0, 0, NULL,
     "weight pattern, '*' = task name (\"head.*.0\"); empty = each head's first layer"},
    {"clusters", MT_TP_INT, 2, 1, MT_MAX_TASKS, NULL, "number of task clusters K"},
    {"update_every", MT_TP_INT, 100, 1, 1e9, NULL, "steps between k-means reassignments"},
    {"eps_m", MT_TP_NUMBER, 0, 0, 1e6, NULL, "strength of the global mean term T ||mean||^2"},
    {"eps_b", MT_TP_NUMBER, 0.001, 0, 1e6, NULL, "strength of the between-cluster spread"},
    {"eps_w", MT_TP_NUMBER, 0.05, 0, 1e6, NULL, "strength of the within-cluster spread (>= eps_b)"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const mt_tparam_def cov_params[] = {
    {"layer", MT_TP_STRING, 0, 0, 0, NULL,
     "weight pattern, '*' = task name (\"head.*.0\"); empty = each head's first layer"},
    {"lambda", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "strength of lambda/2 tr(W Omega^-1 W^T)"},
    {"update_every", MT_TP_INT, 50, 1, 1e9, NULL, "steps between closed-form Omega updates"},
    {"eps", MT_TP_NUMBER, 0.001, 0, 1, NULL, "ridge on W^T W, relative to its mean diagonal"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static void rel_free(void *state) { mt_free(state); }

static void cov_set_M(rel_state *r, const double *Omega_inv)
{
    int T = r->w.T;
    for (int k = 0; k < T * T; k++) r->M[k] = 0.5 * r->lambda * Omega_inv[k];
}

static mt_status rel_attach(int kind, const mt_reg_spec *rs, const mt_topo_spec *s, mt_graph *g, void **state)
{
    *state = NULL;
    rel_state *r = mt_calloc(1, sizeof *r);
    if (!r) return MT_ERR_NOMEM;
    r->kind = kind;
    mt_status st = reg_taskw_bind(&r->w, tparam_str(&rs->params, "layer", ""), s, g, 1);
    if (st) {
        mt_free(r);
        return st;
    }
    int T = r->w.T;
    switch (kind) {
    case KIND_MEAN: {
        r->lambda = tparam_num(&rs->params, mean_params, "lambda");
        r->lambda_mean = tparam_num(&rs->params, mean_params, "lambda_mean");
        for (int a = 0; a < T; a++)
            for (int b = 0; b < T; b++)
                r->M[a * T + b] = r->lambda * ((a == b) - 1.0 / T) + r->lambda_mean / T;
        break;
    }
    case KIND_CLUSTER: {
        r->K = (int)tparam_num(&rs->params, cluster_params, "clusters");
        r->update_every = (long)tparam_num(&rs->params, cluster_params, "update_every");
        r->eps_m = tparam_num(&rs->params, cluster_params, "eps_m");
        r->eps_b = tparam_num(&rs->params, cluster_params, "eps_b");
        r->eps_w = tparam_num(&rs->params, cluster_params, "eps_w");
        if (r->K > T) {
            mt_free(r);
            return mt_fail(MT_ERR_ARG, "clusters: %d clusters for %d tasks (at most one cluster per task)",
                           (int)tparam_num(&rs->params, cluster_params, "clusters"), T);
        }
        if (r->eps_w < r->eps_b) {
            double ew = r->eps_w, eb = r->eps_b;
            mt_free(r);
            return mt_fail(MT_ERR_ARG,
                           "eps_w: %g is below eps_b = %g; the within-cluster spread must cost at least as much "
                           "as the between-cluster spread (else clustering would raise the penalty)",
                           ew, eb);
        }
        for (int t = 0; t < T; t++) r->assign[t] = t; /* each task its own cluster */
        reg_cluster_matrix(r->assign, T, r->eps_m, r->eps_b, r->eps_w, r->M);
        break;
    }
    case KIND_COV: {
        r->lambda = tparam_num(&rs->params, cov_params, "lambda");
        r->update_every = (long)tparam_num(&rs->params, cov_params, "update_every");
        r->eps = tparam_num(&rs->params, cov_params, "eps");
        double inv[TT];
        for (int a = 0; a < T; a++)
            for (int b = 0; b < T; b++) {
                r->Omega[a * T + b] = a == b ? 1.0 / T : 0.0;
                inv[a * T + b] = a == b ? (double)T : 0.0;
            }
        cov_set_M(r, inv);
        break;
    }
    }
    *state = r;
    return MT_OK;
}

static mt_status mean_attach(const mt_reg_spec *r, const mt_topo_spec *s, mt_graph *g, void **state)
{
    return rel_attach(KIND_MEAN, r, s, g, state);
}
static mt_status cluster_attach(const mt_reg_spec *r, const mt_topo_spec *s, mt_graph *g, void **state)
{
    return rel_attach(KIND_CLUSTER, r, s, g, state);
}
static mt_status cov_attach(const mt_reg_spec *r, const mt_topo_spec *s, mt_graph *g, void **state)
{
    return rel_attach(KIND_COV, r, s, g, state);
}

static mt_status rel_penalty(void *state, mt_graph *g, mt_params *p, double *value)
{
    (void)g;
    rel_state *r = state;
    *value = reg_taskw_quad(&r->w, p->data, p->grad, r->M);
    return MT_OK;
}

/* The alternating step of clustered MTL and MTRL: the assignment or Omega
 * that minimises the penalty for the current W. */
static mt_status rel_after_step(void *state, mt_graph *g, mt_params *p, double lr, long step)
{
    (void)g;
    (void)lr;
    rel_state *r = state;
    if (r->kind == KIND_MEAN || step <= 0 || step % r->update_every != 0) return MT_OK;
    int T = r->w.T;
    double G[TT];
    reg_taskw_gram(&r->w, p->data, G);
    if (r->kind == KIND_CLUSTER) {
        reg_kmeans_gram(G, T, r->K, r->assign);
        r->assigned = 1;
        reg_cluster_matrix(r->assign, T, r->eps_m, r->eps_b, r->eps_w, r->M);
        return MT_OK;
    }
    double Om[TT], inv[TT];
    mt_status st = reg_taskcov_omega(G, T, r->eps, Om, inv);
    if (st) return mt_fail_prefix(st, "task_cov at step %ld", step);
    memcpy(r->Omega, Om, sizeof Om);
    cov_set_M(r, inv);
    return MT_OK;
}

static void publish_distances(const rel_state *r, const double *G, mt_publish_fn fn, void *ud)
{
    double D[TT];
    reg_taskw_distances(G, r->w.T, D);
    fn(ud, "task distance", r->w.T, r->w.T, D, NULL, NULL, 0, 0);
}

static void rel_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    rel_state *r = state;
    int T = r->w.T;
    double G[TT], out[TT];
    reg_taskw_gram(&r->w, graph_params(g)->data, G);
    switch (r->kind) {
    case KIND_MEAN: {
        publish_distances(r, G, fn, ud);
        /* ||w_t - wbar||^2 = G_tt - 2/T sum_s G_ts + 1/T^2 sum_{s,u} G_su */
        double all = 0;
        for (int k = 0; k < T * T; k++) all += G[k];
        for (int t = 0; t < T; t++) {
            double row = 0;
            for (int s = 0; s < T; s++) row += G[t * T + s];
            double d2 = G[t * T + t] - 2 * row / T + all / ((double)T * T);
            out[t] = sqrt(d2 > 0 ? d2 : 0.0);
        }
        fn(ud, "distance to mean", 1, T, out, NULL, NULL, 0, 0);
        break;
    }
    case KIND_CLUSTER:
        for (int s = 0; s < T; s++)
            for (int t = 0; t < T; t++) out[s * T + t] = r->assign[s] == r->assign[t];
        fn(ud, "cluster co-membership", T, T, out, NULL, NULL, 0, 1);
        publish_distances(r, G, fn, ud);
        break;
    case KIND_COV:
        fn(ud, "task covariance", T, T, r->Omega, NULL, NULL, 0, 0);
        for (int s = 0; s < T; s++)
            for (int t = 0; t < T; t++)
                out[s * T + t] = r->Omega[s * T + t] / sqrt(r->Omega[s * T + s] * r->Omega[t * T + t]);
        fn(ud, "task correlation", T, T, out, NULL, NULL, -1, 1);
        break;
    }
}

const mt_reg_class reg_class_mean_reg = {
    .name = "mean_reg",
    .summary = "mean-regularised MTL: pulls each task's weights toward their mean (Evgeniou & Pontil 2004)",
    .params = mean_params,
    .attach = mean_attach,
    .hooks = {.penalty = rel_penalty, .publish = rel_publish, .free = rel_free},
};

const mt_reg_class reg_class_cluster = {
    .name = "cluster",
    .summary = "clustered MTL: k-means task clusters, within/between/mean penalties (Jacob et al. 2009)",
    .params = cluster_params,
    .attach = cluster_attach,
    .hooks = {.penalty = rel_penalty, .after_step = rel_after_step, .publish = rel_publish, .free = rel_free},
};

const mt_reg_class reg_class_task_cov = {
    .name = "task_cov",
    .summary = "task-covariance learning: lambda/2 tr(W Omega^-1 W^T), Omega in closed form (Zhang & Yeung 2010)",
    .params = cov_params,
    .attach = cov_attach,
    .hooks = {.penalty = rel_penalty, .after_step = rel_after_step, .publish = rel_publish, .free = rel_free},
};
