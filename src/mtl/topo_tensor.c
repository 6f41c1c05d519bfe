/* topo_tensor.c - tensor factorisation of the per-task weights (Yang &
 * Hospedales 2017; survey section 6.7): each trunk layer's weights stacked
 * as W (in, out, T) and written as a Tucker or tensor-train product of
 * shared and task-specific factors, built in the graph so that the
 * factors learn. See topo_columns.h for names and shapes. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "topo_columns_impl.h"

enum { TENSOR_TUCKER, TENSOR_TT };

typedef struct {
    topo_cols_kind kind;
    int T, L;
    mt_node w[MT_TOPO_MAXLAYERS][MT_MAX_TASKS]; /* task t's weight (out, in) */
} tensor_state;

static const mt_tparam_def tensor_params[] = {
    {"method", MT_TP_CHOICE, TENSOR_TUCKER, 0, 1, "tucker|tt", "Tucker decomposition or tensor train"},
    {"rank", MT_TP_INTS, 4, 1, 4096, NULL, "ranks: one number, or (r1, r2, r3) for tucker, (r1, r2) for tt"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int tensor_method(const mt_topo_spec *s) { return (int)tparam_num(&s->params, tensor_params, "method"); }

static mt_status tensor_validate(const mt_topo_spec *s)
{
    if (s->ntrunk < 1) return mt_fail(MT_ERR_ARG, "topology.trunk: tensor factorisation needs at least one layer");
    double r[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "rank", r, MT_TOPO_MAXLAYERS), want = tensor_method(s) == TENSOR_TT ? 2 : 3;
    if (n > 1 && n != want)
        return mt_fail(MT_ERR_ARG, "topology.rank: %d entries; %s takes one number or %d", n,
                       want == 2 ? "tt" : "tucker", want);
    return MT_OK;
}

/* The ranks of layer (in, out) capped at their modes: r[0..2]. */
static void tensor_ranks(const mt_topo_spec *s, int in, int out, int *r)
{
    double v[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "rank", v, MT_TOPO_MAXLAYERS);
    const mt_tparam_def *d = tparam_def(tensor_params, "rank");
    for (int k = 0; k < 3; k++) r[k] = n == 0 ? (int)d->dflt : (int)v[n == 1 ? 0 : (k < n ? k : n - 1)];
    int cap[3] = {in, out, s->ntasks};
    if (tensor_method(s) == TENSOR_TT) {
        cap[1] = s->ntasks; /* r2 links G2 to the task core G3 (r2, T) */
        cap[0] = in < out * s->ntasks ? in : out * s->ntasks;
    }
    for (int k = 0; k < 3; k++)
        if (r[k] > cap[k]) r[k] = cap[k];
}

static mt_init tensor_normal(double var) { return (mt_init){MT_INIT_NORMAL, (float)sqrt(var), 0}; }

/* Tucker: M_t = sum_c U3[t, c] G[:, :, c] (r1, r2), W_t = U2 (U1 M_t)^T. */
static void tensor_tucker(mt_graph *g, const mt_topo_spec *s, int l, int in, int out, const int *r, mt_node *w)
{
    char nm[MT_PARAM_NAME];
    double xav = 2.0 / (in + out);
    snprintf(nm, sizeof nm, "tensor.%d.u1", l);
    mt_node u1 = graph_param(g, nm, in, r[0], tensor_normal(1.0 / r[0]), 0, 1);
    snprintf(nm, sizeof nm, "tensor.%d.u2", l);
    mt_node u2 = graph_param(g, nm, out, r[1], tensor_normal(1.0 / r[1]), 0, 1);
    snprintf(nm, sizeof nm, "tensor.%d.core", l);
    mt_node core = graph_param(g, nm, r[0], r[2] * r[1], tensor_normal(xav), 0, 1);
    mt_node slices[MT_MAX_TASKS];
    for (int c = 0; c < r[2]; c++) slices[c] = graph_slice_cols(g, core, c * r[1], r[1]);
    for (int t = 0; t < s->ntasks; t++) {
        snprintf(nm, sizeof nm, "tensor.%d.u3.%s", l, s->task[t].name);
        mt_node u3 = graph_param_vec(g, nm, r[2], tensor_normal(1.0 / r[2]), 1 + t, 1);
        mt_node m = graph_lincomb(g, slices, r[2], u3, 0, 0);
        w[t] = graph_matmul(g, u2, graph_matmul(g, u1, m, 0, 0), 0, 1);
    }
}

/* Tensor train: M_t = sum_c G3[c, t] G2[:, :, c] (r1, out), W_t = M_t^T G1^T. */
static void tensor_tt(mt_graph *g, const mt_topo_spec *s, int l, int in, int out, const int *r, mt_node *w)
{
    char nm[MT_PARAM_NAME];
    double xav = 2.0 / (in + out);
    snprintf(nm, sizeof nm, "tensor.%d.g1", l);
    mt_node g1 = graph_param(g, nm, in, r[0], tensor_normal(1.0 / r[0]), 0, 1);
    snprintf(nm, sizeof nm, "tensor.%d.g2", l);
    mt_node g2 = graph_param(g, nm, r[0], r[1] * out, tensor_normal(xav), 0, 1);
    mt_node slices[MT_MAX_TASKS];
    for (int c = 0; c < r[1]; c++) slices[c] = graph_slice_cols(g, g2, c * out, out);
    for (int t = 0; t < s->ntasks; t++) {
        snprintf(nm, sizeof nm, "tensor.%d.g3.%s", l, s->task[t].name);
        mt_node g3 = graph_param_vec(g, nm, r[1], tensor_normal(1.0 / r[1]), 1 + t, 1);
        mt_node m = graph_lincomb(g, slices, r[1], g3, 0, 0);
        w[t] = graph_matmul(g, m, g1, 1, 1);
    }
}

static mt_status tensor_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                              mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    mt_status st = tensor_validate(s);
    if (st) return st;
    tensor_state *S = mt_calloc(1, sizeof *S);
    if (!S) return MT_ERR_NOMEM;
    S->kind = TOPO_COLS_TENSOR;
    int T = S->T = s->ntasks;
    S->L = s->ntrunk;
    int tt = tensor_method(s) == TENSOR_TT;
    char nm[MT_PARAM_NAME];
    mt_node front_w = MT_NONE;
    mt_node front = topo_front(g, s, x, in_c, "conv", 0, &front_w);
    mt_node h[MT_MAX_TASKS], level[MT_TOPO_MAXLAYERS + 1][MT_MAX_TASKS];
    for (int t = 0; t < T; t++) h[t] = level[0][t] = front;
    for (int l = 0; l < s->ntrunk; l++) {
        int in = graph_cols(g, h[0]), r[3];
        if (in < 1) in = 1; /* an earlier builder failed; compile reports it */
        tensor_ranks(s, in, s->trunk[l], r);
        if (tt) tensor_tt(g, s, l, in, s->trunk[l], r, S->w[l]);
        else tensor_tucker(g, s, l, in, s->trunk[l], r, S->w[l]);
        for (int t = 0; t < T; t++) {
            snprintf(nm, sizeof nm, "tensor.%d.%s", l, s->task[t].name);
            h[t] = level[l + 1][t] = topo_cols_dense_act(g, s, h[t], S->w[l][t], nm, 1 + t);
        }
        snprintf(nm, sizeof nm, "tensor.%d.%s", l, tt ? "g1" : "u1");
        out->shared_weight = graph_find(g, nm);
    }
    for (int t = 0; t < T; t++) out->out[t] = topo_head(g, s, t, level[topo_cols_attach(s, t)][t]);
    out->shared = in_c > 0 && s->nconv > 0 ? front : MT_NONE;
    if (out->shared_weight == MT_NONE) out->shared_weight = -1;
    out->state = S;
    return MT_OK;
}

mt_node topo_tensor_weight(const mt_topo_built *b, int layer, int task)
{
    const tensor_state *S = b ? b->state : NULL;
    if (!S || S->kind != TOPO_COLS_TENSOR || layer < 0 || layer >= S->L || task < 0 || task >= S->T) return MT_NONE;
    return S->w[layer][task];
}

static void tensor_free(void *state) { mt_free(state); }

static size_t tensor_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    int tt = tensor_method(s) == TENSOR_TT, T = s->ntasks;
    topo_cols_printf(buf, n, &w, "tensor factorisation (%s, %s): task weights from factors\n", tt ? "tensor train" : "tucker",
                     topo_act_name(s->act));
    topo_cols_printf(buf, n, &w, "input %d\n", in_dim);
    int in = in_dim;
    for (int i = 0; i < s->nconv; i++) topo_cols_printf(buf, n, &w, "  | conv 5x5 -> %d ch, pool 2   [shared]\n", s->conv[i]);
    if (s->nconv > 0) in = -1; /* the flattened conv size is the builder's */
    for (int l = 0; l < s->ntrunk; l++) {
        int out = s->trunk[l], r[3];
        tensor_ranks(s, in > 0 ? in : 1 << 20, out, r);
        char ins[16];
        if (in > 0) snprintf(ins, sizeof ins, "%d", in);
        else snprintf(ins, sizeof ins, "in");
        topo_cols_printf(buf, n, &w, "  | layer %d  W (%s x %d x %d tasks)%s\n", l + 1, ins, out, T, topo_cols_norm_tag(s));
        if (tt)
            topo_cols_printf(buf, n, &w, "  |   = G1 (%s x %d) G2 (%d x %d x %d) G3 (%d x task)\n", ins, r[0], r[0], out,
                             r[1], r[1]);
        else
            topo_cols_printf(buf, n, &w, "  |   = core (%d,%d,%d) x U1 (%s x %d) x U2 (%d x %d) x U3\n", r[0], r[1], r[2],
                             ins, r[0], out, r[1]);
        topo_cols_printf(buf, n, &w, "  |   shared: %s; per task: a row of %s, bias\n", tt ? "G1, G2" : "U1, U2, core",
                         tt ? "G3" : "U3");
        in = out;
    }
    for (int t = 0; t < T; t++) {
        char what[32];
        snprintf(what, sizeof what, "layer %d", topo_cols_attach(s, t));
        topo_cols_describe_head(s, t, what, buf, n, &w);
    }
    return w;
}

const mt_topo_class topo_class_tensor = {
    .name = "tensor",
    .summary = "tensor factorisation: per-task layer weights from shared Tucker or tensor-train factors",
    .params = tensor_params,
    .validate = tensor_validate,
    .build = tensor_build,
    .describe = tensor_describe,
    .hooks = {.free = tensor_free},
};
