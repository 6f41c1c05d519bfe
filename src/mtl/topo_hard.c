/* topo_hard.c - hard parameter sharing (Caruana 1993; survey section 3.1)
 * with heads attachable at any trunk depth (low supervision, section 6.4). */
#include "topology.h"

#include <stdio.h>
#include <string.h>

void topo_spec_default(mt_topo_spec *s)
{
    memset(s, 0, sizeof *s);
    s->kind = MT_TOPO_HARD;
    s->trunk[0] = 64;
    s->ntrunk = 1;
    s->act = MT_ACT_RELU;
    s->norm = MT_NORM_NONE;
}

const char *topo_kind_name(mt_topo_kind k)
{
    switch (k) {
    case MT_TOPO_HARD: return "hard";
    }
    return "?";
}

static const char *const act_names[] = {"relu", "tanh", "gelu", "leaky_relu", "sigmoid"};

const char *topo_act_name(mt_act a)
{
    return (int)a >= 0 && a <= MT_ACT_SIGMOID ? act_names[a] : "?";
}

int topo_act_parse(const char *s, mt_act *out)
{
    for (int i = 0; i <= MT_ACT_SIGMOID; i++)
        if (strcmp(s, act_names[i]) == 0) {
            *out = (mt_act)i;
            return 1;
        }
    return 0;
}

mt_status topo_validate(const mt_topo_spec *s)
{
    if (s->ntasks < 1 || s->ntasks > MT_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "tasks: %d tasks (1..%d supported)", s->ntasks, MT_MAX_TASKS);
    if (s->ntrunk < 0 || s->ntrunk > MT_TOPO_MAXLAYERS)
        return mt_fail(MT_ERR_ARG, "topology.trunk: %d layers (0..%d supported)", s->ntrunk,
                       MT_TOPO_MAXLAYERS);
    for (int i = 0; i < s->ntrunk; i++)
        if (s->trunk[i] < 1)
            return mt_fail(MT_ERR_ARG, "topology.trunk[%d]: expected a positive width, got %d",
                           i + 1, s->trunk[i]);
    for (int i = 0; i < s->nconv; i++)
        if (s->conv[i] < 1)
            return mt_fail(MT_ERR_ARG, "topology.conv[%d]: expected a positive channel count, got %d",
                           i + 1, s->conv[i]);
    for (int i = 0; i < s->nhead; i++)
        if (s->head[i] < 1)
            return mt_fail(MT_ERR_ARG, "topology.head[%d]: expected a positive width, got %d",
                           i + 1, s->head[i]);
    if (s->dropout < 0 || s->dropout >= 1)
        return mt_fail(MT_ERR_ARG, "topology.dropout: expected a value in [0, 1), got %g",
                       (double)s->dropout);
    for (int t = 0; t < s->ntasks; t++) {
        const mt_topo_task *k = &s->task[t];
        if (k->attach < 0 || k->attach > s->ntrunk)
            return mt_fail(MT_ERR_ARG,
                           "tasks[%d].attach: expected a trunk layer 1..%d (0 = last), got %d",
                           t + 1, s->ntrunk, k->attach);
        if (k->out_dim < 1)
            return mt_fail(MT_ERR_ARG, "tasks[%d]: output size %d", t + 1, k->out_dim);
    }
    return MT_OK;
}

static mt_node activate(mt_graph *g, mt_node h, mt_act a)
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

/* One hidden dense layer: linear, optional norm, activation, dropout. */
static mt_node hidden(mt_graph *g, const mt_topo_spec *s, mt_node h, int width,
                      const char *prefix, int group)
{
    char nm[MT_PARAM_NAME];
    h = graph_linear(g, h, width, prefix, group);
    if (s->norm == MT_NORM_BATCH) {
        snprintf(nm, sizeof nm, "%s.bn", prefix);
        h = graph_batchnorm(g, h, nm, group);
    } else if (s->norm == MT_NORM_LAYER) {
        snprintf(nm, sizeof nm, "%s.ln", prefix);
        h = graph_layernorm(g, h, nm, group);
    }
    h = activate(g, h, s->act);
    if (s->dropout > 0) h = graph_dropout(g, h, s->dropout);
    return h;
}

static const int *task_head(const mt_topo_spec *s, int t, int *n)
{
    const mt_topo_task *k = &s->task[t];
    if (k->nhead >= 0) {
        *n = k->nhead;
        return k->head;
    }
    *n = s->nhead;
    return s->head;
}

mt_status topo_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h,
                     int in_w, mt_topo_built *out)
{
    mt_status st = topo_validate(s);
    if (st) return st;
    memset(out, 0, sizeof *out);
    char nm[MT_PARAM_NAME];
    mt_node h = x;
    int shared_weight_node = MT_NONE;
    if (in_c > 0 && s->nconv > 0) {
        for (int i = 0; i < s->nconv; i++) {
            snprintf(nm, sizeof nm, "conv.%d", i);
            h = graph_conv2d(g, h, s->conv[i], 5, 2, nm, 0);
            snprintf(nm, sizeof nm, "conv.%d.weight", i);
            shared_weight_node = graph_find(g, nm);
            h = activate(g, h, s->act);
            h = graph_maxpool(g, h, 2);
        }
    }
    if (in_c > 0) h = graph_flatten(g, h);
    mt_node level[MT_TOPO_MAXLAYERS + 1];
    level[0] = h;
    for (int i = 0; i < s->ntrunk; i++) {
        snprintf(nm, sizeof nm, "trunk.%d", i);
        h = hidden(g, s, h, s->trunk[i], nm, 0);
        level[i + 1] = h;
        snprintf(nm, sizeof nm, "trunk.%d.weight", i);
        shared_weight_node = graph_find(g, nm);
    }
    int same_attach = 1, first = s->task[0].attach ? s->task[0].attach : s->ntrunk;
    for (int t = 0; t < s->ntasks; t++) {
        const mt_topo_task *k = &s->task[t];
        int at = k->attach ? k->attach : s->ntrunk;
        if (at != first) same_attach = 0;
        mt_node o = level[at];
        int nh;
        const int *hs = task_head(s, t, &nh);
        for (int i = 0; i < nh; i++) {
            snprintf(nm, sizeof nm, "head.%s.%d", k->name, i);
            o = hidden(g, s, o, hs[i], nm, 1 + t);
        }
        snprintf(nm, sizeof nm, "head.%s.out", k->name);
        out->out[t] = graph_linear(g, o, k->out_dim, nm, 1 + t);
    }
    out->shared = (same_attach && s->ntrunk + s->nconv > 0) ? level[first] : MT_NONE;
    out->shared_weight = shared_weight_node == MT_NONE ? -1 : shared_weight_node;
    return MT_OK;
}

void topo_count_params(mt_graph *g, const mt_topo_spec *s, mt_topo_built *b)
{
    mt_params *p = graph_params(g);
    b->n_shared = params_count_group(p, 0);
    for (int t = 0; t < s->ntasks; t++) b->n_task[t] = params_count_group(p, 1 + t);
    if (b->shared_weight >= 0) b->shared_weight = graph_param_index(g, b->shared_weight);
}

size_t topo_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
#define OUT(...)                                                         \
    do {                                                                 \
        if (w < n) {                                                     \
            int r_ = snprintf(buf + w, n - w, __VA_ARGS__);              \
            if (r_ > 0) w += (size_t)r_ < n - w ? (size_t)r_ : n - w - 1; \
        }                                                                \
    } while (0)
    if (n) buf[0] = '\0';
    OUT("hard parameter sharing (%s)\n", topo_act_name(s->act));
    OUT("input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++)
        OUT("  | conv 5x5 -> %d ch, pool 2   [shared]\n", s->conv[i]);
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
            const int *hs = task_head(s, t, &nh);
            OUT("  +--> %s%s: ", k->name, k->aux ? " (aux)" : "");
            for (int i = 0; i < nh; i++) OUT("dense %d -> ", hs[i]);
            OUT("out %d\n", k->out_dim);
        }
    }
#undef OUT
    return w;
}
