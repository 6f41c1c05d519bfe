/* topo_hard.c - hard parameter sharing (Caruana 1993; survey section 3.1)
 * with heads attachable at any trunk depth (low supervision, section 6.4),
 * and the building blocks every topology uses. */
#include <stdio.h>
#include <string.h>
#include "topology.h"

mt_node topo_activate(mt_graph *g, mt_node h, mt_act a)
{
    switch (a) {
    case MT_ACT_RELU: return graph_relu(g, h);
    case MT_ACT_TANH: return graph_tanh(g, h);
    case MT_ACT_GELU: return graph_gelu(g, h);
    case MT_ACT_LEAKY: return graph_leaky_relu(g, h, 0.01f);
    case MT_ACT_SIGMOID: return graph_sigmoid(g, h);
    }
    return h;
}

mt_node topo_hidden(mt_graph *g, const mt_topo_spec *s, mt_node h, int width, const char *prefix,
                    int group)
{
    return topo_hidden_tail(g, s, graph_linear(g, h, width, prefix, group), prefix, group);
}

mt_node topo_hidden_tail(mt_graph *g, const mt_topo_spec *s, mt_node h, const char *prefix, int group)
{
    char nm[MT_PARAM_NAME];
    if (s->norm == MT_NORM_BATCH) {
        snprintf(nm, sizeof nm, "%s.bn", prefix);
        h = graph_batchnorm(g, h, nm, group);
    } else if (s->norm == MT_NORM_LAYER) {
        snprintf(nm, sizeof nm, "%s.ln", prefix);
        h = graph_layernorm(g, h, nm, group);
    }
    h = topo_activate(g, h, s->act);
    if (s->dropout > 0) h = graph_dropout(g, h, s->dropout);
    return h;
}

mt_node topo_dense_stack(mt_graph *g, const mt_topo_spec *s, mt_node h, const int *sizes, int n, const char *prefix,
                         int group, mt_node *levels, mt_node *last_weight)
{
    char nm[MT_PARAM_NAME];
    for (int l = 0; l < n; l++) {
        snprintf(nm, sizeof nm, "%s.%d", prefix, l);
        h = topo_hidden(g, s, h, sizes[l], nm, group);
        if (levels) levels[l] = h;
    }
    if (n > 0 && last_weight) {
        snprintf(nm, sizeof nm, "%s.%d.weight", prefix, n - 1);
        *last_weight = graph_find(g, nm);
    }
    return h;
}

mt_node topo_front(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, const char *prefix,
                   int group, mt_node *last_weight)
{
    char nm[MT_PARAM_NAME];
    mt_node h = x;
    if (in_c > 0 && s->nconv > 0) {
        for (int i = 0; i < s->nconv; i++) {
            snprintf(nm, sizeof nm, "%s.%d", prefix, i);
            h = graph_conv2d(g, h, s->conv[i], 5, 2, nm, group);
            snprintf(nm, sizeof nm, "%s.%d.weight", prefix, i);
            if (last_weight) *last_weight = graph_find(g, nm);
            h = topo_activate(g, h, s->act);
            h = graph_maxpool(g, h, 2);
        }
    }
    if (in_c > 0) h = graph_flatten(g, h);
    return h;
}

const int *topo_task_head(const mt_topo_spec *s, int t, int *n)
{
    const mt_topo_task *k = &s->task[t];
    if (k->nhead >= 0) {
        *n = k->nhead;
        return k->head;
    }
    *n = s->nhead;
    return s->head;
}

mt_node topo_head(mt_graph *g, const mt_topo_spec *s, int t, mt_node h)
{
    char nm[MT_PARAM_NAME];
    const mt_topo_task *k = &s->task[t];
    int nh;
    const int *hs = topo_task_head(s, t, &nh);
    if (k->detach) h = graph_grad_reverse(g, h, 0.0f); /* the stop-gradient */
    else if (k->grad_reverse > 0) h = graph_grad_reverse(g, h, k->grad_reverse);
    for (int i = 0; i < nh; i++) {
        snprintf(nm, sizeof nm, "head.%s.%d", k->name, i);
        h = topo_hidden(g, s, h, hs[i], nm, 1 + t);
    }
    snprintf(nm, sizeof nm, "head.%s.out", k->name);
    return graph_linear(g, h, k->out_dim, nm, 1 + t);
}

static mt_status hard_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                            mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    mt_node shared_weight = MT_NONE;
    mt_node level[MT_TOPO_MAXLAYERS + 1];
    level[0] = topo_front(g, s, x, in_c, "conv", 0, &shared_weight);
    topo_dense_stack(g, s, level[0], s->trunk, s->ntrunk, "trunk", 0, level + 1, &shared_weight);
    int same_attach = 1, first = s->task[0].attach ? s->task[0].attach : s->ntrunk;
    for (int t = 0; t < s->ntasks; t++) {
        int at = s->task[t].attach ? s->task[t].attach : s->ntrunk;
        if (at != first) same_attach = 0;
        out->out[t] = topo_head(g, s, t, level[at]);
    }
    out->shared = (same_attach && s->ntrunk + (in_c > 0 ? s->nconv : 0) > 0) ? level[first] : MT_NONE;
    out->shared_weight = shared_weight == MT_NONE ? -1 : shared_weight;
    return MT_OK;
}

/* appends to buf (n bytes) at w, truncating (topology.h) */
#define OUT(...) (w = topo_appendf(buf, n, w, __VA_ARGS__))

static size_t hard_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    OUT("hard parameter sharing (%s)\n", topo_act_name(s->act));
    OUT("input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++) OUT("  | conv 5x5 -> %d ch, pool 2   [shared]\n", s->conv[i]);
    for (int l = 0; l <= s->ntrunk; l++) {
        if (l > 0)
            OUT("  | trunk.%d  dense %d%s%s   [shared]\n", l - 1, s->trunk[l - 1],
                s->norm == MT_NORM_BATCH ? " +bn" : s->norm == MT_NORM_LAYER ? " +ln" : "",
                s->dropout > 0 ? " +dropout" : "");
        for (int t = 0; t < s->ntasks; t++) {
            const mt_topo_task *k = &s->task[t];
            int at = k->attach ? k->attach : s->ntrunk;
            if (at != l) continue;
            int nh;
            const int *hs = topo_task_head(s, t, &nh);
            OUT("  +--> %s%s%s: ", k->name, k->aux ? " (aux)" : "",
                k->detach ? " <probe: no gradient>" : k->grad_reverse > 0 ? " <grad reversal>" : "");
            for (int i = 0; i < nh; i++) OUT("dense %d -> ", hs[i]);
            OUT("out %d\n", k->out_dim);
        }
    }
    return w;
}

static const mt_tparam_def hard_params[] = {{NULL, 0, 0, 0, 0, NULL, NULL}};

const mt_topo_class topo_class_hard = {
    .name = "hard",
    .summary = "hard parameter sharing: a shared trunk, task heads (attach = low supervision)",
    .params = hard_params,
    .build = hard_build,
    .describe = hard_describe,
};
