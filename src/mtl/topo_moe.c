/* topo_moe.c - mixtures of experts with per-task gates: MMoE and OMoE
 * (Ma et al., KDD 2018), DSelect-k (Hazimeh et al., NeurIPS 2021), CGC
 * and PLE (Tang et al., RecSys 2020). The
 * parameter names and published matrices are in topo_experts.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "topo_experts.h"

#define MOE_MAXEXP 64    /* experts at one level (all tasks' plus shared) */
#define MOE_MAXLEVELS 8

typedef enum { MOE_MMOE, MOE_OMOE, MOE_PLE, MOE_DSELECT } moe_kind;

/* DSelect-k's gate (Hazimeh et al. 2021): k selectors over E = 2^m experts. */
typedef struct {
    int E, m, k;
    float gamma; /* width of the smooth step */
} dselect_cfg;

/* What publish needs: the gate softmax nodes of every level. */
typedef struct {
    moe_kind kind;
    int T, levels;
    int m_task, m_shared; /* per level (PLE); experts (MMoE/OMoE) in m_shared */
    mt_node gate[MOE_MAXLEVELS][MT_MAX_TASKS]; /* (B, m_t + m_s) or (B, E) */
    mt_node sgate[MOE_MAXLEVELS];              /* (B, T m_t + m_s), PLE levels < last */
    double *buf;                               /* (T, MOE_MAXEXP) publish scratch */
    dselect_cfg dsel;                          /* dselect_k: the custom gate's ud */
} moe_state;

static const mt_tparam_def mmoe_params[] = {
    {"experts", MT_TP_INT, 4, 1, MOE_MAXEXP, NULL, "number of experts"},
    {"expert", MT_TP_INTS, 0, 1, 1 << 20, NULL, "each expert's layer sizes (default: trunk)", .flags = MT_TPF_DERIVED},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const mt_tparam_def dselect_params[] = {
    {"experts", MT_TP_INT, 4, 2, MOE_MAXEXP, NULL, "number of experts (a power of two: each selector picks one by "
     "its binary code)"},
    {"k", MT_TP_INT, 2, 1, 16, NULL, "selectors per gate: at most k experts get weight once the gate is binary"},
    {"gamma", MT_TP_NUMBER, 1.0, 1e-3, 1e3, NULL, "width of the smooth step: |z| >= gamma / 2 is exactly 0 or 1"},
    {"expert", MT_TP_INTS, 0, 1, 1 << 20, NULL, "each expert's layer sizes (default: trunk)", .flags = MT_TPF_DERIVED},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const mt_tparam_def ple_params[] = {
    {"task_experts", MT_TP_INT, 1, 0, 16, NULL, "experts of each task, per level"},
    {"shared_experts", MT_TP_INT, 1, 0, 16, NULL, "shared experts, per level (at least one expert per gate)"},
    {"levels", MT_TP_INT, 2, 1, MOE_MAXLEVELS, NULL, "extraction levels (PLE; CGC is 1)"},
    {"expert", MT_TP_INTS, 0, 1, 1 << 20, NULL, "each expert's layer sizes (default: trunk)", .flags = MT_TPF_DERIVED},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const mt_tparam_def cgc_params[] = {
    {"task_experts", MT_TP_INT, 1, 0, 16, NULL, "experts of each task"},
    {"shared_experts", MT_TP_INT, 1, 0, 16, NULL, "shared experts (at least one expert per gate)"},
    {"expert", MT_TP_INTS, 0, 1, 1 << 20, NULL, "each expert's layer sizes (default: trunk)", .flags = MT_TPF_DERIVED},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* The experts' layer sizes: `expert` when given, else the trunk. */
static int moe_sizes(const mt_topo_spec *s, int *sizes)
{
    double v[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "expert", v, MT_TOPO_MAXLAYERS);
    if (n > 0) {
        for (int i = 0; i < n; i++) sizes[i] = (int)v[i];
        return n;
    }
    for (int i = 0; i < s->ntrunk; i++) sizes[i] = s->trunk[i];
    return s->ntrunk;
}

static const mt_tparam_def *moe_defs(const mt_topo_spec *s)
{
    return strcmp(s->type, "mmoe") == 0 || strcmp(s->type, "omoe") == 0 ? mmoe_params
           : strcmp(s->type, "cgc") == 0                              ? cgc_params
           : strcmp(s->type, "dselect_k") == 0                        ? dselect_params
                                                                      : ple_params;
}

static int moe_levels(const mt_topo_spec *s)
{
    return strcmp(s->type, "ple") == 0 ? (int)tparam_num(&s->params, ple_params, "levels") : 1;
}

static mt_status moe_validate(const mt_topo_spec *s)
{
    int sizes[MT_TOPO_MAXLAYERS];
    if (moe_sizes(s, sizes) == 0)
        return mt_fail(MT_ERR_ARG, "topology.expert: %s needs the experts' layer sizes (expert = {...} or trunk = {...})",
                       s->type);
    for (int t = 0; t < s->ntasks; t++)
        if (s->task[t].attach != 0)
            return mt_fail(MT_ERR_ARG, "tasks[%d].attach: %s heads sit on their gate's mixture; attach is not supported",
                           t + 1, s->type);
    if (strcmp(s->type, "dselect_k") == 0) {
        int E = (int)tparam_num(&s->params, dselect_params, "experts");
        if (E & (E - 1))
            return mt_fail(MT_ERR_ARG, "topology.experts: dselect_k needs a power of two (each selector addresses "
                           "an expert by its binary code), got %d", E);
    }
    if (strcmp(s->type, "cgc") == 0 || strcmp(s->type, "ple") == 0) {
        const mt_tparam_def *d = moe_defs(s);
        int mt = (int)tparam_num(&s->params, d, "task_experts");
        int ms = (int)tparam_num(&s->params, d, "shared_experts");
        if (mt + ms < 1)
            return mt_fail(MT_ERR_ARG, "topology.task_experts: %s needs at least one expert per gate "
                           "(task_experts + shared_experts >= 1)", s->type);
        if (s->ntasks * mt + ms > MOE_MAXEXP)
            return mt_fail(MT_ERR_ARG, "topology.task_experts: %d tasks x %d + %d shared experts exceed %d per level",
                           s->ntasks, mt, ms, MOE_MAXEXP);
    }
    return MT_OK;
}

/* The E shared experts "expert.<e>" of MMoE, OMoE and DSelect-k on h,
 * concatenated into one node Z (returned) so that every expert parameter
 * reaches the losses through Z alone (MGDA-UB differentiates with respect
 * to it); z[e] becomes expert e's slice of Z, *sw the last layer's weight
 * of expert 0. */
static mt_node moe_shared_experts(mt_graph *g, const mt_topo_spec *s, mt_node h, const int *sizes, int ns, int E,
                                  mt_node *z, mt_node *sw)
{
    char nm[MT_PARAM_NAME];
    for (int e = 0; e < E; e++) {
        snprintf(nm, sizeof nm, "expert.%d", e);
        z[e] = topo_dense_stack(g, s, h, sizes, ns, nm, 0, NULL, e == 0 ? sw : NULL);
    }
    mt_node Z = graph_concat(g, z, E);
    int d = sizes[ns - 1];
    for (int e = 0; e < E; e++) z[e] = graph_slice_cols(g, Z, e * d, d);
    return Z;
}

/* A softmax gate over n experts computed from h: "<prefix>.weight" (n, in). */
static mt_node moe_gate(mt_graph *g, mt_node h, int n, const char *prefix, int group)
{
    return graph_softmax(g, graph_linear(g, h, n, prefix, group));
}

static moe_state *moe_state_new(moe_kind kind, int T, int levels)
{
    moe_state *st = mt_calloc(1, sizeof *st);
    if (!st) return NULL;
    st->buf = mt_alloc((size_t)MT_MAX_TASKS * MOE_MAXEXP * sizeof(double));
    if (!st->buf) {
        mt_free(st);
        return NULL;
    }
    st->kind = kind;
    st->T = T;
    st->levels = levels;
    for (int k = 0; k < MOE_MAXLEVELS; k++) {
        st->sgate[k] = MT_NONE;
        for (int t = 0; t < MT_MAX_TASKS; t++) st->gate[k][t] = MT_NONE;
    }
    return st;
}

static void moe_free(void *state)
{
    moe_state *st = state;
    if (!st) return;
    mt_free(st->buf);
    mt_free(st);
}

/* ---- DSelect-k's gate -------------------------------------------------
 * Per row: selector i has codes z_i (m) and a logit a_i; w = softmax(a);
 * S the cubic smooth step of width gamma (0 below -gamma/2, 1 above
 * gamma/2, -2 t^3 / gamma^3 + 3 t / (2 gamma) + 1/2 between);
 * r_i(e) = prod_j (bit j of e ? S(z_ij) : 1 - S(z_ij)), which sums to 1
 * over the experts e; gate(e) = sum_i w_i r_i(e). */
static float dsel_step(float t, float gm, float *deriv)
{
    if (t <= -0.5f * gm) {
        *deriv = 0.0f;
        return 0.0f;
    }
    if (t >= 0.5f * gm) {
        *deriv = 0.0f;
        return 1.0f;
    }
    float g3 = gm * gm * gm;
    *deriv = -6.0f * t * t / g3 + 1.5f / gm;
    return -2.0f * t * t * t / g3 + 1.5f * t / gm + 0.5f;
}

/* One row's selector weights w = softmax(a) (k) and steps S = step(z)
 * (k m), with the steps' derivatives dS. */
static void dsel_row(const dselect_cfg *c, const float *z, const float *a, float *w, float *S, float *dS)
{
    int m = c->m, k = c->k;
    float mx = a[0], sum = 0.0f;
    for (int i = 1; i < k; i++) mx = a[i] > mx ? a[i] : mx;
    for (int i = 0; i < k; i++) sum += w[i] = expf(a[i] - mx);
    for (int i = 0; i < k; i++) w[i] /= sum;
    for (int q = 0; q < k * m; q++) S[q] = dsel_step(z[q], c->gamma, &dS[q]);
}

static void dsel_fwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols, int n_in, float *out,
                     int out_rows, int out_cols)
{
    (void)in_rows;
    (void)in_cols;
    (void)n_in;
    const dselect_cfg *c = ud;
    int E = c->E, m = c->m, k = c->k;
    for (int b = 0; b < out_rows; b++) {
        const float *z = in[0] + (size_t)b * k * m, *a = in[1] + (size_t)b * k;
        float *o = out + (size_t)b * out_cols, S[16 * 6], dS[16 * 6], w[16];
        dsel_row(c, z, a, w, S, dS);
        for (int e = 0; e < E; e++) {
            float g = 0.0f;
            for (int i = 0; i < k; i++) {
                float r = 1.0f;
                for (int j = 0; j < m; j++) r *= (e >> j & 1) ? S[i * m + j] : 1.0f - S[i * m + j];
                g += w[i] * r;
            }
            o[e] = g;
        }
    }
}

/* d gate(e) / d a_i = w_i (r_i(e) - gate(e));
 * d gate(e) / d z_ij = w_i (+-) S'(z_ij) prod_{l != j} (S or 1 - S). */
static void dsel_bwd(void *ud, const float *const *in, const int *in_rows, const int *in_cols, int n_in,
                     const float *out, const float *dout, int out_rows, int out_cols, float *const *din)
{
    (void)in_rows;
    (void)in_cols;
    (void)n_in;
    const dselect_cfg *c = ud;
    int E = c->E, m = c->m, k = c->k;
    for (int b = 0; b < out_rows; b++) {
        const float *z = in[0] + (size_t)b * k * m, *a = in[1] + (size_t)b * k;
        const float *go = dout + (size_t)b * out_cols, *o = out + (size_t)b * out_cols;
        float S[16 * 6], dS[16 * 6], w[16];
        dsel_row(c, z, a, w, S, dS);
        for (int i = 0; i < k; i++) {
            double da = 0.0, dz[6] = {0};
            for (int e = 0; e < E; e++) {
                double r = 1.0;
                for (int j = 0; j < m; j++) r *= (e >> j & 1) ? S[i * m + j] : 1.0f - S[i * m + j];
                da += go[e] * w[i] * (r - o[e]);
                for (int j = 0; j < m; j++) {
                    double rest = 1.0;
                    for (int l = 0; l < m; l++)
                        if (l != j) rest *= (e >> l & 1) ? S[i * m + l] : 1.0f - S[i * m + l];
                    dz[j] += go[e] * w[i] * ((e >> j & 1) ? 1.0 : -1.0) * dS[i * m + j] * rest;
                }
            }
            if (din[1]) din[1][(size_t)b * k + i] += (float)da;
            if (din[0])
                for (int j = 0; j < m; j++) din[0][(size_t)b * k * m + i * m + j] += (float)dz[j];
        }
    }
}

/* DSelect-k: the experts as for MMoE, and per task a gate of k selectors,
 * "gate.<task>.z" (k m, in) and "gate.<task>.alpha" (k, in), computed
 * from the same input. */
static mt_status dselect_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                               mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    char nm[MT_PARAM_NAME];
    int sizes[MT_TOPO_MAXLAYERS];
    int ns = moe_sizes(s, sizes);
    int E = (int)tparam_num(&s->params, dselect_params, "experts");
    int k = (int)tparam_num(&s->params, dselect_params, "k"), m = 0;
    while ((1 << m) < E) m++;
    moe_state *st = moe_state_new(MOE_DSELECT, s->ntasks, 1);
    if (!st) return MT_ERR_NOMEM;
    st->m_shared = E;
    st->dsel = (dselect_cfg){.E = E, .m = m, .k = k, .gamma = (float)tparam_num(&s->params, dselect_params, "gamma")};
    out->state = st;
    mt_node sw = MT_NONE;
    mt_node h = topo_front(g, s, x, in_c, "conv", 0, &sw);
    mt_node z[MOE_MAXEXP];
    mt_node Z = moe_shared_experts(g, s, h, sizes, ns, E, z, &sw);
    for (int t = 0; t < s->ntasks; t++) {
        mt_node in[2];
        snprintf(nm, sizeof nm, "gate.%s.z", s->task[t].name);
        in[0] = graph_linear(g, h, k * m, nm, 1 + t);
        snprintf(nm, sizeof nm, "gate.%s.alpha", s->task[t].name);
        in[1] = graph_linear(g, h, k, nm, 1 + t);
        st->gate[0][t] = graph_custom(g, "dselect_gate", in, 2, MT_ROWS_BATCHED, E, dsel_fwd, dsel_bwd, &st->dsel);
        out->out[t] = topo_head(g, s, t, graph_gate(g, z, E, st->gate[0][t]));
    }
    out->shared = Z;
    out->shared_weight = sw == MT_NONE ? -1 : sw;
    return MT_OK;
}

/* MMoE and OMoE: the shared experts (moe_shared_experts); each task's
 * gate reads slices of their concatenation Z. */
static mt_status mmoe_build_kind(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, mt_topo_built *out,
                                 moe_kind kind)
{
    char nm[MT_PARAM_NAME];
    int sizes[MT_TOPO_MAXLAYERS];
    int ns = moe_sizes(s, sizes);
    int E = (int)tparam_num(&s->params, mmoe_params, "experts");
    moe_state *st = moe_state_new(kind, s->ntasks, 1);
    if (!st) return MT_ERR_NOMEM;
    st->m_shared = E;
    out->state = st;
    mt_node sw = MT_NONE;
    mt_node h = topo_front(g, s, x, in_c, "conv", 0, &sw);
    mt_node z[MOE_MAXEXP];
    mt_node Z = moe_shared_experts(g, s, h, sizes, ns, E, z, &sw);
    mt_node mixed = MT_NONE;
    if (kind == MOE_OMOE) {
        st->gate[0][0] = moe_gate(g, h, E, "gate", 0);
        mixed = graph_gate(g, z, E, st->gate[0][0]);
        for (int t = 1; t < s->ntasks; t++) st->gate[0][t] = st->gate[0][0];
    }
    for (int t = 0; t < s->ntasks; t++) {
        mt_node m = mixed;
        if (kind == MOE_MMOE) {
            snprintf(nm, sizeof nm, "gate.%s", s->task[t].name);
            st->gate[0][t] = moe_gate(g, h, E, nm, 1 + t);
            m = graph_gate(g, z, E, st->gate[0][t]);
        }
        out->out[t] = topo_head(g, s, t, m);
    }
    out->shared = kind == MOE_OMOE ? mixed : Z;
    out->shared_weight = sw == MT_NONE ? -1 : sw;
    return MT_OK;
}

static mt_status mmoe_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                            mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    return mmoe_build_kind(g, s, x, in_c, out, MOE_MMOE);
}

static mt_status omoe_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                            mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    return mmoe_build_kind(g, s, x, in_c, out, MOE_OMOE);
}

/* CGC and PLE: level k turns the task inputs in[t] and the shared input
 * sh into the task gates' mixtures (the next level's in[t]) and, below the
 * last level, the shared gate's mixture (the next sh). */
static mt_status ple_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                           mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    char nm[MT_PARAM_NAME];
    const mt_tparam_def *defs = moe_defs(s);
    int sizes[MT_TOPO_MAXLAYERS];
    int ns = moe_sizes(s, sizes), T = s->ntasks;
    int mt = (int)tparam_num(&s->params, defs, "task_experts");
    int ms = (int)tparam_num(&s->params, defs, "shared_experts");
    int K = moe_levels(s);
    moe_state *st = moe_state_new(MOE_PLE, T, K);
    if (!st) return MT_ERR_NOMEM;
    st->m_task = mt;
    st->m_shared = ms;
    out->state = st;
    mt_node sw = MT_NONE;
    mt_node h = topo_front(g, s, x, in_c, "conv", 0, &sw);
    mt_node in[MT_MAX_TASKS], sh = h, Zs = MT_NONE;
    for (int t = 0; t < T; t++) in[t] = h;
    int d = sizes[ns - 1];
    for (int k = 0; k < K; k++) {
        mt_node te[MT_MAX_TASKS][16], se[16], sx[16];
        for (int t = 0; t < T; t++)
            for (int e = 0; e < mt; e++) {
                snprintf(nm, sizeof nm, "ple.%d.%s.%d", k, s->task[t].name, e);
                te[t][e] = topo_dense_stack(g, s, in[t], sizes, ns, nm, 1 + t, NULL, NULL);
            }
        for (int e = 0; e < ms; e++) {
            snprintf(nm, sizeof nm, "ple.%d.shared.%d", k, e);
            se[e] = topo_dense_stack(g, s, sh, sizes, ns, nm, 0, NULL, e == 0 ? &sw : NULL);
            sx[e] = se[e];
        }
        if (K == 1 && ms > 0) { /* one level: Z carries every shared expert parameter */
            Zs = graph_concat(g, se, ms);
            for (int e = 0; e < ms; e++) sx[e] = graph_slice_cols(g, Zs, e * d, d);
        }
        mt_node next[MT_MAX_TASKS];
        for (int t = 0; t < T; t++) {
            mt_node xs[32];
            int n = 0;
            for (int e = 0; e < mt; e++) xs[n++] = te[t][e];
            for (int e = 0; e < ms; e++) xs[n++] = sx[e];
            snprintf(nm, sizeof nm, "ple.%d.gate.%s", k, s->task[t].name);
            st->gate[k][t] = moe_gate(g, in[t], n, nm, 1 + t);
            next[t] = graph_gate(g, xs, n, st->gate[k][t]);
        }
        if (k + 1 < K) {
            mt_node xs[MOE_MAXEXP];
            int n = 0;
            for (int t = 0; t < T; t++)
                for (int e = 0; e < mt; e++) xs[n++] = te[t][e];
            for (int e = 0; e < ms; e++) xs[n++] = se[e];
            snprintf(nm, sizeof nm, "ple.%d.gate.shared", k);
            st->sgate[k] = moe_gate(g, sh, n, nm, 0);
            sh = graph_gate(g, xs, n, st->sgate[k]);
        }
        for (int t = 0; t < T; t++) in[t] = next[t];
    }
    for (int t = 0; t < T; t++) out->out[t] = topo_head(g, s, t, in[t]);
    out->shared = Zs;
    if (Zs == MT_NONE && K == 1 && in_c > 0 && s->nconv > 0) out->shared = h;
    out->shared_weight = sw == MT_NONE ? -1 : sw;
    return MT_OK;
}

/* Mean of each column of a (B, n) gate over the batch into row. */
static void moe_mean_rows(mt_graph *g, mt_node gate, double *row)
{
    int B = graph_rows(g, gate), n = graph_cols(g, gate);
    const float *v = graph_value(g, gate); /* (B, n) */
    for (int j = 0; j < n; j++) row[j] = 0;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < n; j++) row[j] += v[(size_t)b * n + j];
    for (int j = 0; j < n; j++) row[j] = B > 0 ? row[j] / B : 0;
}

static void moe_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    moe_state *st = state;
    if (!st || graph_batch(g) < 1) return;
    char name[48];
    int T = st->T;
    int n = st->kind == MOE_PLE ? st->m_task + st->m_shared : st->m_shared;
    for (int k = 0; k < st->levels; k++) {
        for (int t = 0; t < T; t++) moe_mean_rows(g, st->gate[k][t], st->buf + (size_t)t * n);
        if (k + 1 == st->levels) snprintf(name, sizeof name, "expert usage");
        else snprintf(name, sizeof name, "expert usage L%d", k + 1);
        fn(ud, name, T, n, st->buf, NULL, NULL, 0, 1);
        if (st->sgate[k] != MT_NONE) {
            int ns = T * st->m_task + st->m_shared;
            moe_mean_rows(g, st->sgate[k], st->buf);
            snprintf(name, sizeof name, "shared gate L%d", k + 1);
            fn(ud, name, 1, ns, st->buf, NULL, NULL, 0, 1);
        }
    }
}

/* appends to buf (n bytes) at w, truncating (topology.h) */
#define OUT(...) (w = topo_appendf(buf, n, w, __VA_ARGS__))

static size_t moe_layers_text(const mt_topo_spec *s, char *buf, size_t n)
{
    size_t w = 0;
    int sizes[MT_TOPO_MAXLAYERS], ns = moe_sizes(s, sizes);
    if (n) buf[0] = '\0';
    for (int l = 0; l < ns; l++) OUT("%sdense %d", l ? " -> " : "", sizes[l]);
    if (s->norm != MT_NORM_NONE) OUT(s->norm == MT_NORM_BATCH ? " +bn" : " +ln");
    if (s->dropout > 0) OUT(" +dropout");
    return w;
}

static size_t moe_heads_text(const mt_topo_spec *s, const char *via, char *buf, size_t n, size_t w)
{
    for (int t = 0; t < s->ntasks; t++) {
        const mt_topo_task *k = &s->task[t];
        int nh;
        const int *hs = topo_task_head(s, t, &nh);
        OUT("  +--> %s%s: %s", k->name, k->aux ? " (aux)" : "", via);
        for (int i = 0; i < nh; i++) OUT(" -> dense %d", hs[i]);
        OUT(" -> out %d\n", k->out_dim);
    }
    return w;
}

static size_t mmoe_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    char layers[160];
    int E = (int)tparam_num(&s->params, moe_defs(s), "experts");
    int omoe = strcmp(s->type, "omoe") == 0, dsel = strcmp(s->type, "dselect_k") == 0;
    moe_layers_text(s, layers, sizeof layers);
    if (n) buf[0] = '\0';
    OUT("%s mixture of experts (%s), %d experts\n", omoe ? "one-gate" : dsel ? "DSelect-k" : "multi-gate",
        topo_act_name(s->act), E);
    OUT("input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++) OUT("  | conv 5x5 -> %d ch, pool 2   [shared]\n", s->conv[i]);
    OUT("  | experts x%d: %s   [shared]\n", E, layers);
    if (omoe) OUT("  | one softmax gate over %d experts   [shared]\n", E);
    else if (dsel)
        OUT("  | a DSelect-k gate per task: %d selectors over %d experts   [task]\n",
            (int)tparam_num(&s->params, dselect_params, "k"), E);
    else OUT("  | a softmax gate per task over %d experts   [task]\n", E);
    return moe_heads_text(s, omoe ? "mixture" : "own gate's mixture", buf, n, w);
}

static size_t ple_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    char layers[160];
    const mt_tparam_def *defs = moe_defs(s);
    int mt = (int)tparam_num(&s->params, defs, "task_experts");
    int ms = (int)tparam_num(&s->params, defs, "shared_experts");
    int K = moe_levels(s);
    moe_layers_text(s, layers, sizeof layers);
    if (n) buf[0] = '\0';
    if (strcmp(s->type, "cgc") == 0) OUT("customized gate control (%s)\n", topo_act_name(s->act));
    else OUT("progressive layered extraction (%s), %d levels\n", topo_act_name(s->act), K);
    OUT("input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++) OUT("  | conv 5x5 -> %d ch, pool 2   [shared]\n", s->conv[i]);
    for (int k = 0; k < K; k++) {
        OUT("  | level %d: experts %s\n", k + 1, layers);
        OUT("  |   %d per task [task] + %d shared [shared]\n", mt, ms);
        OUT("  |   task gates over own + shared (%d)\n", mt + ms);
        if (k + 1 < K) OUT("  |   shared gate over all %d -> next level\n", s->ntasks * mt + ms);
    }
    return moe_heads_text(s, "own gate's mixture", buf, n, w);
}

const mt_topo_class topo_class_mmoe = {
    .name = "mmoe",
    .summary = "multi-gate mixture of experts: shared experts, a softmax gate per task (Ma et al. 2018)",
    .params = mmoe_params,
    .validate = moe_validate,
    .build = mmoe_build,
    .describe = mmoe_describe,
    .hooks = {.publish = moe_publish, .free = moe_free},
};

const mt_topo_class topo_class_omoe = {
    .name = "omoe",
    .summary = "one-gate mixture of experts: shared experts, one softmax gate for all tasks",
    .params = mmoe_params,
    .validate = moe_validate,
    .build = omoe_build,
    .describe = mmoe_describe,
    .hooks = {.publish = moe_publish, .free = moe_free},
};

const mt_topo_class topo_class_dselect_k = {
    .name = "dselect_k",
    .summary = "mixture of experts with DSelect-k gates: k differentiable selectors per task (Hazimeh et al. 2021)",
    .params = dselect_params,
    .validate = moe_validate,
    .build = dselect_build,
    .describe = mmoe_describe,
    .hooks = {.publish = moe_publish, .free = moe_free},
};

const mt_topo_class topo_class_cgc = {
    .name = "cgc",
    .summary = "customized gate control: task-specific and shared experts, a gate per task (Tang et al. 2020)",
    .params = cgc_params,
    .validate = moe_validate,
    .build = ple_build,
    .describe = ple_describe,
    .hooks = {.publish = moe_publish, .free = moe_free},
};

const mt_topo_class topo_class_ple = {
    .name = "ple",
    .summary = "progressive layered extraction: stacked CGC levels with shared gates (Tang et al. 2020)",
    .params = ple_params,
    .validate = moe_validate,
    .build = ple_build,
    .describe = ple_describe,
    .hooks = {.publish = moe_publish, .free = moe_free},
};
