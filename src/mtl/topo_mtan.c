/* topo_mtan.c - MTAN, the multi-task attention network (Liu, Johns &
 * Davison, CVPR 2019): a shared trunk - the conv blocks of the common
 * `conv` field, then the dense `trunk` layers - and per task a chain of
 * soft attention masks, one per shared level, each selecting from that
 * level's shared features what the task uses.
 *
 * At shared level l (its output s_l: a conv block's pooled maps or a
 * dense layer's activations) task t forms
 *   u = A s_l + B p          (p = f(g_{l-1}): the task's attended features
 *                             of the level below through a task copy of
 *                             the level's own layer - conv 5x5, act,
 *                             pool 2, or dense, act; no B p at level 0)
 *   a = sigmoid(M act(u))    (act the spec's activation, ReLU by default as
 *                             in the paper; 1x1 convolutions on maps,
 *                             dense otherwise)
 *   g_l = a * s_l            (elementwise)
 * and its head reads g_L. A s + B p is the paper's 1x1 convolution of the
 * concatenation [s, p], written as the sum of the two halves. With every
 * mask at 1 (M = 0, bias large) g_L = s_L and MTAN is hard sharing with
 * the same trunk and heads. Parameter names:
 *   conv.<i>.*, trunk.<l>.*          shared (group 0), as hard sharing
 *   mtan.<task>.<l>.a / .b / .mask   the task's attention at level l
 *   mtan.<task>.<l>.f                its copy of level l's layer (l > 0)
 * (all group 1+t); <l> counts the conv blocks first, then the dense
 * layers. out->shared is MT_NONE: no one representation is read by every
 * head (each reads its own a * s_L), so rep_grad combiners are refused. */
#include <stdio.h>
#include <string.h>
#include "topology.h"

static const mt_tparam_def mtan_params[] = {
    {"att", MT_TP_INT, 0, 0, 1 << 16, NULL, "width of the masks' inner layer (0: the level's own width)"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static mt_status mtan_validate(const mt_topo_spec *s)
{
    if (s->ntrunk + s->nconv == 0)
        return mt_fail(MT_ERR_ARG, "topology.trunk: mtan needs a shared trunk to attend to (trunk = {...} or conv)");
    for (int t = 0; t < s->ntasks; t++)
        if (s->task[t].attach != 0)
            return mt_fail(MT_ERR_ARG, "tasks[%d].attach: mtan heads read their own attention chain; attach is not "
                           "supported", t + 1);
    return MT_OK;
}

static mt_status mtan_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                            mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    char nm[MT_PARAM_NAME];
    int att = (int)tparam_num(&s->params, mtan_params, "att");
    mt_node level[2 * MT_TOPO_MAXLAYERS + 2];
    int width[2 * MT_TOPO_MAXLAYERS + 2], conv_level[2 * MT_TOPO_MAXLAYERS + 2], L = 0;
    mt_node h = x, sw = MT_NONE;
    /* the shared trunk, level by level (topo_front's blocks, kept apart) */
    if (in_c > 0 && s->nconv > 0) {
        for (int i = 0; i < s->nconv; i++) {
            snprintf(nm, sizeof nm, "conv.%d", i);
            h = graph_conv2d(g, h, s->conv[i], 5, 2, nm, 0);
            snprintf(nm, sizeof nm, "conv.%d.weight", i);
            sw = graph_find(g, nm);
            h = graph_maxpool(g, topo_activate(g, h, s->act), 2);
            level[L] = h;
            width[L] = s->conv[i];
            conv_level[L++] = 1;
        }
    }
    if (in_c > 0) h = graph_flatten(g, h);
    int nconv = L;
    topo_dense_stack(g, s, h, s->trunk, s->ntrunk, "trunk", 0, level + L, &sw);
    for (int i = 0; i < s->ntrunk; i++) {
        width[L] = s->trunk[i];
        conv_level[L++] = 0;
    }
    /* each task's attention chain */
    for (int t = 0; t < s->ntasks; t++) {
        const char *tn = s->task[t].name;
        int grp = 1 + t;
        mt_node prev = MT_NONE;
        for (int l = 0; l < L; l++) {
            int w = width[l], inner = att > 0 ? att : w;
            mt_node u;
            if (conv_level[l]) {
                snprintf(nm, sizeof nm, "mtan.%s.%d.a", tn, l);
                u = graph_conv2d(g, level[l], inner, 1, 0, nm, grp);
                if (prev != MT_NONE) {
                    snprintf(nm, sizeof nm, "mtan.%s.%d.f", tn, l);
                    mt_node p = graph_maxpool(g, topo_activate(g, graph_conv2d(g, prev, w, 5, 2, nm, grp), s->act), 2);
                    snprintf(nm, sizeof nm, "mtan.%s.%d.b", tn, l);
                    u = graph_add(g, u, graph_conv2d(g, p, inner, 1, 0, nm, grp));
                }
                snprintf(nm, sizeof nm, "mtan.%s.%d.mask", tn, l);
                mt_node a = graph_sigmoid(g, graph_conv2d(g, topo_activate(g, u, s->act), w, 1, 0, nm, grp));
                prev = graph_mul(g, a, level[l]);
            } else {
                if (prev != MT_NONE && l == nconv) prev = graph_flatten(g, prev);
                snprintf(nm, sizeof nm, "mtan.%s.%d.a", tn, l);
                u = graph_linear(g, level[l], inner, nm, grp);
                if (prev != MT_NONE) {
                    snprintf(nm, sizeof nm, "mtan.%s.%d.f", tn, l);
                    mt_node p = topo_activate(g, graph_linear(g, prev, w, nm, grp), s->act);
                    snprintf(nm, sizeof nm, "mtan.%s.%d.b", tn, l);
                    u = graph_add(g, u, graph_linear(g, p, inner, nm, grp));
                }
                snprintf(nm, sizeof nm, "mtan.%s.%d.mask", tn, l);
                mt_node a = graph_sigmoid(g, graph_linear(g, topo_activate(g, u, s->act), w, nm, grp));
                prev = graph_mul(g, a, level[l]);
            }
        }
        if (L > 0 && conv_level[L - 1]) prev = graph_flatten(g, prev);
        out->out[t] = topo_head(g, s, t, prev);
    }
    out->shared = MT_NONE; /* no single representation every head reads: each reads its own a * s_L */
    out->shared_weight = sw == MT_NONE ? -1 : sw;
    return MT_OK;
}

/* appends to buf (n bytes) at w, truncating (topology.h) */
#define OUT(...) (w = topo_appendf(buf, n, w, __VA_ARGS__))

static size_t mtan_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    OUT("multi-task attention network (%s)\n", topo_act_name(s->act));
    OUT("input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++)
        OUT("  | conv 5x5 -> %d ch, pool 2   [shared]   + per task: attention mask (1x1 convs) [task]\n", s->conv[i]);
    for (int i = 0; i < s->ntrunk; i++)
        OUT("  | trunk.%d  dense %d   [shared]   + per task: attention mask [task]\n", i, s->trunk[i]);
    for (int t = 0; t < s->ntasks; t++) {
        const mt_topo_task *k = &s->task[t];
        int nh;
        const int *hs = topo_task_head(s, t, &nh);
        OUT("  +--> %s%s: its masked features", k->name, k->aux ? " (aux)" : "");
        for (int i = 0; i < nh; i++) OUT(" -> dense %d", hs[i]);
        OUT(" -> out %d\n", k->out_dim);
    }
    return w;
}

const mt_topo_class topo_class_mtan = {
    .name = "mtan",
    .summary = "multi-task attention network: a shared trunk, per-task soft attention masks on every level "
               "(Liu et al. 2019)",
    .params = mtan_params,
    .validate = mtan_validate,
    .build = mtan_build,
    .describe = mtan_describe,
};
