/* graph_layers.c - the builders of the layers with their own parameters or
 * state (batch and layer norm, convolution, pooling), custom operations
 * and the losses. graph.c has the graph itself and the simple ops. */
#include "graph_impl.h"
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "core/rng.h"
#include "engine/kernels.h"

/* ---- normalisation ------------------------------------------------------------- */

static mt_node norm_param(mt_graph *g, const char *prefix, const char *suffix, int n,
                          mt_init_kind kind, int group)
{
    char nm[MT_PARAM_NAME + 32];
    snprintf(nm, sizeof nm, "%s.%s", prefix, suffix);
    int shape[1] = {n};
    return gi_param_node(g, nm, 1, n, 1, shape, (mt_init){kind, 0, 0}, n, n, group, 0);
}

mt_node graph_batchnorm(mt_graph *g, mt_node x, const char *prefix, int group)
{
    if (!gi_operand_ok(g, "batchnorm", x)) return MT_NONE;
    if (!prefix) return graph_build_fail(g, MT_ERR_ARG, "batchnorm: a prefix is required");
    const graph_node *xn = &g->nodes[x];
    if (!xn->batched)
        return graph_build_fail(g, MT_ERR_SHAPE, "batchnorm %s: input is not batched", prefix);
    int ch = xn->c > 0 ? xn->c : xn->cols;
    mt_node gm = norm_param(g, prefix, "gamma", ch, MT_INIT_ONES, group);
    mt_node bt = norm_param(g, prefix, "beta", ch, MT_INIT_ZEROS, group);
    if (gm == MT_NONE || bt == MT_NONE) return MT_NONE;
    /* running statistics live in the arena (so checkpoints carry them) but
     * are not graph nodes: no gradient ever reaches them */
    char nm[MT_PARAM_NAME + 32];
    int shape[1] = {ch}; /* PyTorch's running_mean and running_var: [ch] */
    snprintf(nm, sizeof nm, "%s.running_mean", prefix);
    int rm = gi_add_param(g, nm, 1, shape, (mt_init){MT_INIT_ZEROS, 0, 0}, ch, ch, group, 0);
    snprintf(nm, sizeof nm, "%s.running_var", prefix);
    int rv = gi_add_param(g, nm, 1, shape, (mt_init){MT_INIT_ONES, 0, 0}, ch, ch, group, 0);
    if (rm < 0 || rv < 0) return MT_NONE;
    mt_node n = gi_unary(g, OP_BATCHNORM, x);
    if (n == MT_NONE) return MT_NONE;
    graph_node *nd = &g->nodes[n];
    nd->n_in = 3;
    nd->in[1] = gm;
    nd->in[2] = bt;
    nd->param = rm;
    nd->param2 = rv;
    return n;
}

mt_node graph_layernorm(mt_graph *g, mt_node x, const char *prefix, int group)
{
    if (!gi_operand_ok(g, "layernorm", x)) return MT_NONE;
    if (!prefix) return graph_build_fail(g, MT_ERR_ARG, "layernorm: a prefix is required");
    int cols = g->nodes[x].cols;
    mt_node gm = norm_param(g, prefix, "gamma", cols, MT_INIT_ONES, group);
    mt_node bt = norm_param(g, prefix, "beta", cols, MT_INIT_ZEROS, group);
    if (gm == MT_NONE || bt == MT_NONE) return MT_NONE;
    mt_node n = gi_unary(g, OP_LAYERNORM, x);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 3;
    g->nodes[n].in[1] = gm;
    g->nodes[n].in[2] = bt;
    return n;
}

/* ---- convolution ------------------------------------------------------------- */

mt_node graph_conv2d(mt_graph *g, mt_node x, int out_c, int k, int pad, const char *prefix,
                     int group)
{
    if (!gi_operand_ok(g, "conv2d", x)) return MT_NONE;
    if (!prefix) return graph_build_fail(g, MT_ERR_ARG, "conv2d: a prefix is required");
    const graph_node *xn = &g->nodes[x];
    if (!xn->batched || xn->c <= 0)
        return graph_build_fail(g, MT_ERR_SHAPE, "conv2d %s: input %s is not an image node", prefix,
                          gi_op_name(xn->op));
    if (out_c <= 0 || k <= 0 || pad < 0 || k > 64 || pad > 64 ||
        (long long)out_c * (xn->h + 2 * pad) * (xn->w + 2 * pad) > INT_MAX / 2)
        return graph_build_fail(g, MT_ERR_ARG, "conv2d %s: bad out_c %d, k %d or pad %d", prefix,
                          out_c, k, pad);
    int c = xn->c, h = xn->h, w = xn->w;
    int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
    if (oh < 1 || ow < 1)
        return graph_build_fail(g, MT_ERR_SHAPE, "conv2d %s: a %dx%d kernel with pad %d does not fit %dx%d",
                          prefix, k, k, pad, h, w);
    char nm[MT_PARAM_NAME + 16];
    snprintf(nm, sizeof nm, "%s.weight", prefix);
    int wshape[4] = {out_c, c, k, k}, bshape[1] = {out_c};
    mt_node wt = gi_param_node(g, nm, out_c, c * k * k, 4, wshape, (mt_init){MT_INIT_HE, 0, 0},
                            c * k * k, out_c * k * k, group, 1);
    snprintf(nm, sizeof nm, "%s.bias", prefix);
    mt_node bs = gi_param_node(g, nm, 1, out_c, 1, bshape, (mt_init){MT_INIT_ZEROS, 0, 0}, c * k * k,
                            out_c, group, 0);
    if (wt == MT_NONE || bs == MT_NONE) return MT_NONE;
    mt_node n = gi_push(g, OP_CONV2D, 1, 0, out_c * oh * ow);
    if (n == MT_NONE) return MT_NONE;
    graph_node *nd = &g->nodes[n];
    nd->n_in = 3;
    nd->in[0] = x;
    nd->in[1] = wt;
    nd->in[2] = bs;
    nd->iv[0] = k;
    nd->iv[1] = pad;
    nd->c = out_c;
    nd->h = oh;
    nd->w = ow;
    return n;
}

mt_node graph_maxpool(mt_graph *g, mt_node x, int k)
{
    if (!gi_operand_ok(g, "maxpool", x)) return MT_NONE;
    const graph_node *xn = &g->nodes[x];
    if (!xn->batched || xn->c <= 0)
        return graph_build_fail(g, MT_ERR_SHAPE, "maxpool: input node %d (%s) is not an image node", x,
                          gi_op_name(xn->op));
    if (k < 1 || k > xn->h || k > xn->w)
        return graph_build_fail(g, MT_ERR_SHAPE, "maxpool: window %d does not fit %dx%d", k, xn->h,
                          xn->w);
    int c = xn->c, oh = xn->h / k, ow = xn->w / k;
    mt_node n = gi_push(g, OP_MAXPOOL, 1, 0, c * oh * ow);
    if (n == MT_NONE) return MT_NONE;
    graph_node *nd = &g->nodes[n];
    nd->n_in = 1;
    nd->in[0] = x;
    nd->iv[0] = k;
    nd->c = c;
    nd->h = oh;
    nd->w = ow;
    return n;
}

mt_node graph_flatten(mt_graph *g, mt_node x)
{
    if (!gi_operand_ok(g, "flatten", x)) return MT_NONE;
    return gi_push1(g, OP_FLATTEN, x);
}

/* ---- custom operations --------------------------------------------------------- */

/* The callbacks' argument arrays are allocated here, once, so that running
 * the node never allocates. */
mt_node graph_custom(mt_graph *g, const char *kind, const mt_node *in, int n, int rows,
                     int out_cols, mt_custom_fwd fwd, mt_custom_bwd bwd, void *ud)
{
    if (!g) return MT_NONE;
    const char *k = kind ? kind : "custom";
    if (strlen(k) >= sizeof ((graph_custom_op *)0)->kind)
        return graph_build_fail(g, MT_ERR_ARG, "custom %.40s...: kind name longer than %zu bytes", k,
                          sizeof ((graph_custom_op *)0)->kind - 1);
    if (!fwd) return graph_build_fail(g, MT_ERR_ARG, "custom %s: a forward function is required", k);
    if (rows < 0 || out_cols < 1)
        return graph_build_fail(g, MT_ERR_SHAPE, "custom %s: bad output shape (%d, %d)", k, rows,
                          out_cols);
    char what[48];
    snprintf(what, sizeof what, "custom %s", k);
    mt_node *c = gi_copy_operands(g, what, in, n);
    if (!c) return MT_NONE;
    graph_custom_op *op = mt_calloc(1, sizeof *op);
    if (op) {
        op->in = mt_calloc((size_t)n, sizeof *op->in);
        op->in_rows = mt_calloc((size_t)n, sizeof *op->in_rows);
        op->in_cols = mt_calloc((size_t)n, sizeof *op->in_cols);
        op->din = mt_calloc((size_t)n, sizeof *op->din);
    }
    if (!op || !op->in || !op->in_rows || !op->in_cols || !op->din) {
        if (op) {
            mt_free(op->in);
            mt_free(op->in_rows);
            mt_free(op->in_cols);
            mt_free(op->din);
        }
        mt_free(op);
        mt_free(c);
        return graph_build_fail(g, MT_ERR_NOMEM, "%s: out of memory", what);
    }
    snprintf(op->kind, sizeof op->kind, "%s", k);
    op->fwd = fwd;
    op->bwd = bwd;
    op->ud = ud;
    for (int j = 0; j < n; j++) op->in_cols[j] = g->nodes[c[j]].cols;
    mt_node id = gi_push(g, OP_CUSTOM, rows == MT_ROWS_BATCHED, rows, out_cols);
    if (id == MT_NONE) {
        mt_free(op->in);
        mt_free(op->in_rows);
        mt_free(op->in_cols);
        mt_free(op->din);
        mt_free(op);
        mt_free(c);
        return MT_NONE;
    }
    g->nodes[id].xs = c;
    g->nodes[id].n_xs = n;
    g->nodes[id].cust = op;
    return id;
}

/* ---- losses ------------------------------------------------------------------ */

static mt_node loss(mt_graph *g, graph_op op, mt_node pred, mt_node target, mt_node mask,
                    float f0)
{
    const char *what = gi_op_name(op);
    if (!gi_operand_ok(g, what, pred) || !gi_operand_ok(g, what, target)) return MT_NONE;
    if (mask != MT_NONE && !gi_operand_ok(g, what, mask)) return MT_NONE;
    const graph_node *p = &g->nodes[pred], *t = &g->nodes[target];
    char sp[40], st[40];
    int tcols = op == OP_LOSS_SOFTMAX_CE ? 1 : p->cols;
    if (t->batched != p->batched || t->cols != tcols || (!p->batched && t->rows != p->rows))
        return graph_build_fail(g, MT_ERR_SHAPE, "%s: prediction is %s but target is %s (expected %s%d))",
                          what, graph_shape_str(p, sp, sizeof sp), graph_shape_str(t, st, sizeof st),
                          p->batched ? "(B, " : "(rows, ", tcols);
    if (mask != MT_NONE) {
        const graph_node *m = &g->nodes[mask];
        if (m->batched != p->batched || m->cols != 1 || (!p->batched && m->rows != p->rows))
            return graph_build_fail(g, MT_ERR_SHAPE, "%s: mask is %s but the prediction %s needs one "
                              "weight per row", what, graph_shape_str(m, st, sizeof st),
                              graph_shape_str(p, sp, sizeof sp));
    }
    mt_node n = gi_push(g, op, 0, 1, 1);
    if (n == MT_NONE) return MT_NONE;
    graph_node *nd = &g->nodes[n];
    nd->n_in = mask == MT_NONE ? 2 : 3;
    nd->in[0] = pred;
    nd->in[1] = target;
    nd->in[2] = mask;
    nd->f[0] = f0;
    return n;
}

mt_node graph_loss_mse(mt_graph *g, mt_node pred, mt_node target, mt_node mask)
{
    return loss(g, OP_LOSS_MSE, pred, target, mask, 0.0f);
}

mt_node graph_loss_l1(mt_graph *g, mt_node pred, mt_node target, mt_node mask)
{
    return loss(g, OP_LOSS_L1, pred, target, mask, 0.0f);
}

mt_node graph_loss_huber(mt_graph *g, mt_node pred, mt_node target, mt_node mask, float delta)
{
    if (g && !(delta > 0.0f))
        return graph_build_fail(g, MT_ERR_ARG, "loss_huber: delta = %g must be positive",
                          (double)delta);
    return loss(g, OP_LOSS_HUBER, pred, target, mask, delta);
}

mt_node graph_loss_softmax_ce(mt_graph *g, mt_node logits, mt_node target, mt_node mask)
{
    return loss(g, OP_LOSS_SOFTMAX_CE, logits, target, mask, 0.0f);
}

mt_node graph_loss_bce_logits(mt_graph *g, mt_node logits, mt_node target, mt_node mask)
{
    return loss(g, OP_LOSS_BCE_LOGITS, logits, target, mask, 0.0f);
}
