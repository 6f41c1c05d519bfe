/* graph_backward.c - reverse-mode differentiation of a compiled graph:
 * from any weighted losses into any gradient destination, optionally
 * stopping at a node or touching one parameter group. Each op's own
 * backward is in the op table (graph_ops.c). */
#include "graph_impl.h"
#include <string.h>
#include "engine/kernels.h"

/* ---- where gradients go ------------------------------------------------------- */

float *gi_gacc(mt_graph *g, mt_node j)
{
    if (j == MT_NONE || !g->want[j]) return NULL;
    graph_node *nd = NODE(j);
    if (nd->op == OP_PARAM) return g->pgrad + g->params.info[nd->param].offset;
    if (!nd->gstate) {
        memset(nd->grad, 0, nelem(g, nd) * sizeof *nd->grad);
        nd->gstate = 1;
    }
    return nd->grad;
}

float *gi_gacc_beta(mt_graph *g, mt_node j, float *beta)
{
    if (j == MT_NONE || !g->want[j]) return NULL;
    graph_node *nd = NODE(j);
    if (nd->op == OP_PARAM) {
        *beta = 1.0f;
        return g->pgrad + g->params.info[nd->param].offset;
    }
    *beta = nd->gstate ? 1.0f : 0.0f;
    nd->gstate = 1;
    return nd->grad;
}

void gi_put(float *dst, const float *src, float alpha, size_t n, float beta)
{
    if (beta == 0.0f)
        kern_scale_forward(dst, src, alpha, n);
    else
        kern_axpy(dst, src, alpha, n);
}

mt_status graph_backward(mt_graph *g, const mt_node *losses, const float *weights, int n,
                         const mt_backward_opts *opts)
{
    if (!g || !g->compiled) return mt_fail(MT_ERR_STATE, "graph_backward: graph not compiled");
    if (!losses || n < 1) return mt_fail(MT_ERR_ARG, "graph_backward: no loss given (n = %d)", n);
    mt_node stop = opts ? opts->stop : MT_NONE;
    int only = opts ? opts->only_group : -1;
    float *dest = opts && opts->param_grad ? opts->param_grad : g->params.grad;
    if (stop != MT_NONE && (stop < 0 || stop >= g->n))
        return mt_fail(MT_ERR_ARG, "graph_backward: stop node %d does not exist", stop);
    for (int k = 0; k < n; k++) {
        mt_node L = losses[k];
        if (L < 0 || L >= g->n)
            return mt_fail(MT_ERR_ARG, "graph_backward: losses[%d] = %d is not a node", k, L);
        const graph_node *ln = NODE(L);
        if (ln->batched || ln->rows != 1 || ln->cols != 1) {
            char s[40];
            return mt_fail(MT_ERR_SHAPE, "graph_backward: losses[%d] (node %d, %s) is %s, not (1, 1)",
                           k, L, gi_op_name(ln->op), graph_shape_str(ln, s, sizeof s));
        }
    }
    graph_mark_ancestors(g, losses, n, stop);
    for (int i = 0; i < g->n; i++) {
        const graph_node *nd = NODE(i);
        if (g->mark[i] && !is_leaf(nd->op) && nd->gen != g->gen)
            return mt_fail(MT_ERR_STATE,
                           "graph_backward: node %d (%s) was not computed by the last forward pass",
                           i, gi_op_name(nd->op));
    }
    /* want[i]: i is an ancestor of a loss and something at or below it
     * takes a gradient in this pass */
    for (int i = 0; i < g->n; i++) {
        graph_node *nd = NODE(i);
        int w = 0;
        nd->gstate = 0;
        if (g->mark[i]) {
            switch (nd->op) {
            case OP_PARAM: w = only < 0 || g->params.info[nd->param].group == only; break;
            case OP_INPUT: w = nd->requires_grad; break;
            case OP_CONST: w = 0; break;
            default: {
                int m = nd->n_in + nd->n_xs;
                for (int k = 0; k < m && !w; k++) {
                    int j = gi_node_input(nd, k);
                    /* a loss's mask never takes a gradient */
                    if (j != MT_NONE && !(k == 2 && (graph_ops[nd->op].flags & GI_OP_LOSS)))
                        w = g->want[j];
                }
                break;
            }
            }
            if (i == stop) w = 1;
        }
        g->want[i] = (unsigned char)w;
    }
    g->pgrad = dest;
    for (int k = 0; k < n; k++) {
        float *d = gi_gacc(g, losses[k]);
        if (d) d[0] += weights ? weights[k] : 1.0f;
    }
    for (int i = g->n - 1; i >= 0; i--) {
        graph_node *nd = NODE(i);
        if (!g->want[i] || i == stop || is_leaf(nd->op) || !nd->gstate) continue;
        graph_ops[nd->op].backward(g, i, nd);
    }
    return MT_OK;
}
