/* topo_soft.c - soft parameter sharing (survey section 3.2): one column per
 * task and a penalty pulling corresponding layers together, the squared L2
 * distance (Duong et al. 2015) and the trace norm of the stacked weights
 * (Yang & Hospedales 2017). See topo_columns.h for names and formulas. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "mtl/linalg.h"
#include "topo_columns_impl.h"

enum { SOFT_PAIRS, SOFT_MEAN };

typedef struct {
    topo_cols_kind kind;
    int T, L;
    int distance; /* SOFT_PAIRS or SOFT_MEAN */
    double l2[MT_TOPO_MAXLAYERS], trace[MT_TOPO_MAXLAYERS];
    mt_node w[MT_TOPO_MAXLAYERS][MT_MAX_TASKS]; /* column weights (out, in) */
} soft_state;

static const mt_tparam_def soft_params[] = {
    {"l2", MT_TP_NUMBERS, 0.01, 0, 1e6, NULL,
     "strength of the squared L2 distance between corresponding layers (one, or one per layer)"},
    {"trace", MT_TP_NUMBERS, 0, 0, 1e6, NULL,
     "strength of the trace norm of each layer's stacked (T, in*out) weights (one, or one per layer)"},
    {"distance", MT_TP_CHOICE, SOFT_PAIRS, 0, 1, "pairs|mean",
     "L2 distance summed over pairs of tasks, or of each task to the mean"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static mt_status soft_validate(const mt_topo_spec *s)
{
    double v[MT_TOPO_MAXLAYERS];
    if (s->ntrunk < 1) return mt_fail(MT_ERR_ARG, "topology.trunk: soft sharing needs at least one layer per column");
    mt_status st = topo_cols_strengths(&s->params, soft_params, "l2", s->ntrunk, v);
    if (!st) st = topo_cols_strengths(&s->params, soft_params, "trace", s->ntrunk, v);
    return st;
}

static mt_status soft_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                            mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    mt_status st = soft_validate(s);
    if (st) return st;
    soft_state *S = mt_calloc(1, sizeof *S);
    if (!S) return MT_ERR_NOMEM;
    S->kind = TOPO_COLS_SOFT;
    S->T = s->ntasks;
    S->L = s->ntrunk;
    S->distance = (int)tparam_num(&s->params, soft_params, "distance");
    topo_cols_strengths(&s->params, soft_params, "l2", s->ntrunk, S->l2);
    topo_cols_strengths(&s->params, soft_params, "trace", s->ntrunk, S->trace);
    char nm[MT_PARAM_NAME];
    for (int t = 0; t < s->ntasks; t++) {
        const char *task = s->task[t].name;
        snprintf(nm, sizeof nm, "col.%s.conv", task);
        mt_node h = topo_front(g, s, x, in_c, nm, 1 + t, NULL);
        mt_node level[MT_TOPO_MAXLAYERS + 1];
        level[0] = h;
        for (int l = 0; l < s->ntrunk; l++) {
            snprintf(nm, sizeof nm, "col.%s.%d", task, l);
            h = topo_hidden(g, s, h, s->trunk[l], nm, 1 + t);
            level[l + 1] = h;
            snprintf(nm, sizeof nm, "col.%s.%d.weight", task, l);
            S->w[l][t] = graph_find(g, nm);
        }
        out->out[t] = topo_head(g, s, t, level[topo_cols_attach(s, t)]);
    }
    out->shared = MT_NONE;
    out->shared_weight = -1;
    out->state = S;
    return MT_OK;
}

/* The singular values (descending) of M = [w_1; ...; w_T] (T, P): square
 * roots of the eigenvalues of its Gram matrix; V gets the eigenvectors. */
static mt_status soft_singular(int T, float *const *w, size_t P, double *sv, double *V)
{
    double G[MT_MAX_TASKS * MT_MAX_TASKS];
    for (int i = 0; i < T; i++)
        for (int j = i; j < T; j++) G[i * T + j] = G[j * T + i] = linalg_dot_f(w[i], w[j], P);
    if (linalg_eigh(T, G, sv, V) < 0) return mt_fail(MT_ERR_NUMERIC, "soft: trace norm: the Gram eigensolver did not converge");
    for (int k = 0; k < T; k++) sv[k] = sqrt(sv[k] > 0 ? sv[k] : 0);
    return MT_OK;
}

/* The nuclear norm of M = [w_1; ...; w_T]; when gr is not NULL,
 * scale * U S^-1 U^T M is added to the rows' gradients. */
static mt_status soft_nuclear(int T, float *const *w, float *const *gr, size_t P, double scale, double *nuc)
{
    double V[MT_MAX_TASKS * MT_MAX_TASKS], sv[MT_MAX_TASKS], C[MT_MAX_TASKS * MT_MAX_TASKS];
    mt_status st = soft_singular(T, w, P, sv, V);
    if (st) return st;
    double sum = 0;
    for (int k = 0; k < T; k++) sum += sv[k];
    *nuc = sum;
    if (!gr) return MT_OK;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            double c = 0;
            for (int k = 0; k < T; k++)
                if (sv[k] > 1e-6 * sv[0] && sv[k] > 0) c += V[i * T + k] * V[j * T + k] / sv[k];
            C[i * T + j] = c * scale;
        }
    for (size_t q = 0; q < P; q++)
        for (int i = 0; i < T; i++) {
            double a = 0;
            for (int j = 0; j < T; j++) a += C[i * T + j] * w[j][q];
            gr[i][q] += (float)a;
        }
    return MT_OK;
}

/* Layer l's column weights and gradients; MT_ERR_STATE when missing. */
static mt_status soft_layer(const soft_state *S, mt_graph *g, mt_params *p, int l, float **w, float **gr, size_t *P)
{
    for (int t = 0; t < S->T; t++) {
        size_t n = 0;
        w[t] = topo_cols_param(g, p, S->w[l][t], &gr[t], &n);
        if (!w[t] || (t > 0 && n != *P))
            return mt_fail(MT_ERR_STATE, "soft: the layer %d weights of column %d are not in the arena", l + 1, t + 1);
        *P = n;
    }
    return MT_OK;
}

static mt_status soft_penalty(void *state, mt_graph *g, mt_params *p, double *value)
{
    soft_state *S = state;
    int T = S->T;
    double total = 0;
    *value = 0;
    for (int l = 0; l < S->L; l++) {
        if (S->l2[l] == 0 && S->trace[l] == 0) continue;
        float *w[MT_MAX_TASKS], *gr[MT_MAX_TASKS];
        size_t P = 0;
        mt_status st = soft_layer(S, g, p, l, w, gr, &P);
        if (st) return st;
        if (S->l2[l] > 0 && T > 1) {
            /* pairs: sum_{i<j} |wi - wj|^2 = T sum_i |wi - mean|^2 */
            double c = S->distance == SOFT_PAIRS ? T : 1, k2 = 2 * c * S->l2[l], acc = 0;
            for (size_t q = 0; q < P; q++) {
                double m = 0;
                for (int t = 0; t < T; t++) m += w[t][q];
                m /= T;
                for (int t = 0; t < T; t++) {
                    double d = w[t][q] - m;
                    acc += d * d;
                    gr[t][q] += (float)(k2 * d);
                }
            }
            total += c * S->l2[l] * acc;
        }
        if (S->trace[l] > 0) {
            double nuc;
            st = soft_nuclear(T, w, gr, P, S->trace[l], &nuc);
            if (st) return st;
            total += S->trace[l] * nuc;
        }
    }
    *value = total;
    return MT_OK;
}

static void soft_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    soft_state *S = state;
    mt_params *p = graph_params(g);
    int T = S->T;
    for (int l = 0; l < S->L; l++) {
        float *w[MT_MAX_TASKS], *gr[MT_MAX_TASKS];
        size_t P = 0;
        if (soft_layer(S, g, p, l, w, gr, &P)) {
            mt_clear_error();
            return;
        }
        double D[MT_MAX_TASKS * MT_MAX_TASKS];
        for (int i = 0; i < T; i++) {
            D[i * T + i] = 0;
            for (int j = i + 1; j < T; j++) {
                double a = 0;
                for (size_t q = 0; q < P; q++) {
                    double d = (double)w[i][q] - w[j][q];
                    a += d * d;
                }
                D[i * T + j] = D[j * T + i] = sqrt(a);
            }
        }
        char nm[48];
        snprintf(nm, sizeof nm, "soft distance L%d", l + 1);
        fn(ud, nm, T, T, D, NULL, NULL, 0, 0);
        /* the spectrum of the stack, as shares of the trace norm: one
         * dominant value = the tasks' weights nearly collinear */
        double sv[MT_MAX_TASKS], V[MT_MAX_TASKS * MT_MAX_TASKS], sum = 0;
        if (soft_singular(T, w, P, sv, V)) {
            mt_clear_error();
            continue;
        }
        for (int k = 0; k < T; k++) sum += sv[k];
        for (int k = 0; k < T; k++) sv[k] = sum > 0 ? sv[k] / sum : 0;
        snprintf(nm, sizeof nm, "soft spectrum L%d", l + 1);
        fn(ud, nm, 1, T, sv, NULL, NULL, 0, 1);
    }
}

static void soft_free(void *state) { mt_free(state); }

static size_t soft_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    double l2[MT_TOPO_MAXLAYERS] = {0}, tr[MT_TOPO_MAXLAYERS] = {0};
    if (s->ntrunk > 0) {
        topo_cols_strengths(&s->params, soft_params, "l2", s->ntrunk, l2);
        topo_cols_strengths(&s->params, soft_params, "trace", s->ntrunk, tr);
        mt_clear_error();
    }
    int mean = (int)tparam_num(&s->params, soft_params, "distance") == SOFT_MEAN;
    topo_cols_printf(buf, n, &w, "soft parameter sharing (%s): %d columns, one per task\n", topo_act_name(s->act),
                     s->ntasks);
    topo_cols_printf(buf, n, &w, "input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++)
        topo_cols_printf(buf, n, &w, "  | conv 5x5 -> %d ch, pool 2   [per column]\n", s->conv[i]);
    for (int l = 0; l < s->ntrunk; l++) {
        topo_cols_printf(buf, n, &w, "  | col.*.%d  dense %d%s x %d columns\n", l, s->trunk[l], topo_cols_norm_tag(s),
                         s->ntasks);
        if (l2[l] == 0 && tr[l] == 0) topo_cols_printf(buf, n, &w, "  |   (no pull: the columns train independently)\n");
        if (l2[l] > 0 || tr[l] > 0) {
            topo_cols_printf(buf, n, &w, "  |   <~> pulled together:");
            if (l2[l] > 0) topo_cols_printf(buf, n, &w, " l2 %g (%s)", l2[l], mean ? "to the mean" : "pairs");
            if (tr[l] > 0) topo_cols_printf(buf, n, &w, " trace %g", tr[l]);
            topo_cols_printf(buf, n, &w, "\n");
        }
    }
    topo_cols_describe_own_heads(s, buf, n, &w);
    return w;
}

const mt_topo_class topo_class_soft = {
    .name = "soft",
    .summary = "soft parameter sharing: a column per task, layers pulled together (L2, trace norm)",
    .params = soft_params,
    .validate = soft_validate,
    .build = soft_build,
    .describe = soft_describe,
    .hooks = {.penalty = soft_penalty, .publish = soft_publish, .free = soft_free},
};
