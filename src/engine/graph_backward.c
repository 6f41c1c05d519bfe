/* graph_backward.c - reverse-mode differentiation of a compiled graph:
 * from any weighted losses into any gradient destination, optionally
 * stopping at a node or touching one parameter group. */
#include "graph_impl.h"
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "core/rng.h"
#include "engine/kernels.h"

/* ---- backward ------------------------------------------------------------------ */

/* Where input j's gradient accumulates, or NULL when j needs none in this
 * pass. A node's buffer is zeroed the first time it is touched. */
static float *gacc(mt_graph *g, mt_node j)
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

/* Like gacc, without zeroing: *beta is 0 when the buffer is untouched, so a
 * gemm (or a copy) can overwrite it instead of accumulating. */
static float *gacc_beta(mt_graph *g, mt_node j, float *beta)
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

/* dst = alpha src (beta 0) or dst += alpha src (beta 1). */
static void put(float *dst, const float *src, float alpha, size_t n, float beta)
{
    if (beta == 0.0f)
        kern_scale_forward(dst, src, alpha, n);
    else
        kern_axpy(dst, src, alpha, n);
}

static void backward_matmul(mt_graph *g, graph_node *nd)
{
    const graph_node *a = NODE(nd->in[0]), *b = NODE(nd->in[1]);
    int ta = nd->iv[0], tb = nd->iv[1], ref = g->use_ref;
    int ra = nrows(g, a), rb = nrows(g, b);
    int m = ta ? a->cols : ra, k = ta ? ra : a->cols, n = tb ? rb : b->cols;
    const float *dc = nd->grad; /* (m, n) */
    float beta;
    float *da = gacc_beta(g, nd->in[0], &beta);
    if (da) {
        if (!ta) /* dA (m, k) = dC op(B)^T */
            kern_gemm(0, !tb, m, k, n, 1.0f, dc, n, b->value, b->cols, beta, da, a->cols, ref);
        else /* dA (k, m) = op(B) dC^T */
            kern_gemm(tb, 1, k, m, n, 1.0f, b->value, b->cols, dc, n, beta, da, a->cols, ref);
    }
    float *db = gacc_beta(g, nd->in[1], &beta);
    if (db) {
        if (!tb) /* dB (k, n) = op(A)^T dC */
            kern_gemm(!ta, 0, k, n, m, 1.0f, a->value, a->cols, dc, n, beta, db, b->cols, ref);
        else /* dB (n, k) = dC^T op(A) */
            kern_gemm(1, ta, n, k, m, 1.0f, dc, n, a->value, a->cols, beta, db, b->cols, ref);
    }
}

static void backward_conv(mt_graph *g, graph_node *nd)
{
    const graph_node *x = NODE(nd->in[0]);
    const float *w = VAL(nd->in[1]); /* (oc, c*k*k) */
    int k = nd->iv[0], pad = nd->iv[1], oc = nd->c, ckk = x->c * k * k, plane = nd->h * nd->w;
    float *col = nd->aux;                          /* (c*k*k, oh*ow) */
    float *dcol = nd->aux + (size_t)ckk * plane;   /* (c*k*k, oh*ow) */
    float wbeta = 1.0f, bbeta;
    float *dx = gacc(g, nd->in[0]);
    float *dw = gacc_beta(g, nd->in[1], &wbeta);
    float *dbias = gacc_beta(g, nd->in[2], &bbeta);
    if (dbias && bbeta == 0.0f) memset(dbias, 0, (size_t)oc * sizeof *dbias);
    for (int b = 0; b < g->batch; b++) {
        const float *dy = nd->grad + (size_t)b * nd->cols; /* (oc, oh*ow) */
        if (dw) {
            kern_im2col(col, x->value + (size_t)b * x->cols, x->c, x->h, x->w, k, pad);
            kern_gemm(0, 1, oc, ckk, plane, 1.0f, dy, plane, col, plane, wbeta, dw, ckk, g->use_ref);
            wbeta = 1.0f;
        }
        if (dx) {
            kern_gemm(1, 0, ckk, plane, oc, 1.0f, w, ckk, dy, plane, 0.0f, dcol, plane, g->use_ref);
            kern_col2im(dx + (size_t)b * x->cols, dcol, x->c, x->h, x->w, k, pad);
        }
        if (dbias)
            for (int o = 0; o < oc; o++) {
                const float *d = dy + (size_t)o * plane;
                float s = 0.0f;
                for (int i = 0; i < plane; i++) s += d[i];
                dbias[o] += s;
            }
    }
    if (dw && wbeta == 0.0f) memset(dw, 0, (size_t)oc * ckk * sizeof *dw); /* batch of 0 */
}

static void loss_backward(mt_graph *g, graph_node *nd)
{
    float den = nd->f[1];
    if (!(den > 0.0f)) return;
    const graph_node *p = NODE(nd->in[0]);
    const float *t = VAL(nd->in[1]);
    const float *m = nd->in[2] == MT_NONE ? NULL : VAL(nd->in[2]);
    float scale = nd->grad[0] / den;
    int rows = nrows(g, p), cols = p->cols;
    float *dp = gacc(g, nd->in[0]);
    float *dt = nd->op == OP_LOSS_SOFTMAX_CE ? NULL : gacc(g, nd->in[1]);
    if (!dp && !dt) return;
    switch (nd->op) {
    case OP_LOSS_MSE: kern_mse_backward(dp, dt, p->value, t, m, scale, rows, cols); break;
    case OP_LOSS_L1: kern_l1_backward(dp, dt, p->value, t, m, scale, rows, cols); break;
    case OP_LOSS_HUBER:
        kern_huber_backward(dp, dt, p->value, t, m, scale, rows, cols, nd->f[0]);
        break;
    case OP_LOSS_SOFTMAX_CE:
        kern_softmax_ce_backward(dp, nd->aux, t, m, scale, rows, cols);
        break;
    case OP_LOSS_BCE_LOGITS:
        kern_bce_logits_backward(dp, dt, p->value, t, m, scale, rows, cols);
        break;
    default: break;
    }
}

static void node_backward(mt_graph *g, int i)
{
    graph_node *nd = NODE(i);
    size_t n = nelem(g, nd);
    const float *dy = nd->grad;
    mt_node a = nd->in[0], b = nd->in[1];
    const float *x = a != MT_NONE ? VAL(a) : NULL;
    float beta, *dx;
    switch (nd->op) {
    case OP_INPUT:
    case OP_CONST:
    case OP_PARAM: break;
    case OP_MATMUL: backward_matmul(g, nd); break;
    case OP_DENSE: {
        const graph_node *xn = NODE(a), *wn = NODE(b);
        int rows = nrows(g, xn), in = xn->cols, out = nd->cols;
        if ((dx = gacc_beta(g, a, &beta))) /* dx (B, in) = dy (B, out) W (out, in) */
            kern_gemm(0, 0, rows, in, out, 1.0f, dy, out, wn->value, in, beta, dx, in, g->use_ref);
        if ((dx = gacc_beta(g, b, &beta))) /* dW (out, in) = dy^T x */
            kern_gemm(1, 0, out, in, rows, 1.0f, dy, out, xn->value, in, beta, dx, in, g->use_ref);
        break;
    }
    case OP_BIAS:
        if ((dx = gacc_beta(g, a, &beta))) put(dx, dy, 1.0f, n, beta);
        if ((dx = gacc_beta(g, b, &beta))) {
            if (beta == 0.0f) memset(dx, 0, (size_t)nd->cols * sizeof *dx);
            kern_bias_backward(dx, dy, nrows(g, nd), nd->cols);
        }
        break;
    case OP_ADD:
    case OP_SUB:
        if ((dx = gacc_beta(g, a, &beta))) put(dx, dy, 1.0f, n, beta);
        if ((dx = gacc_beta(g, b, &beta))) put(dx, dy, nd->op == OP_SUB ? -1.0f : 1.0f, n, beta);
        break;
    case OP_MUL: {
        float *da = gacc(g, a), *db = gacc(g, b);
        kern_mul_backward(da, db, dy, x, VAL(b), n);
        break;
    }
    case OP_SCALE:
        if ((dx = gacc_beta(g, a, &beta))) put(dx, dy, nd->f[0], n, beta);
        break;
    case OP_GRAD_REVERSE:
        if ((dx = gacc_beta(g, a, &beta))) put(dx, dy, -nd->f[0], n, beta);
        break;
    case OP_FLATTEN:
        if ((dx = gacc_beta(g, a, &beta))) put(dx, dy, 1.0f, n, beta);
        break;
    case OP_CONCAT: {
        int rows = nrows(g, nd), off = 0;
        for (int k = 0; k < nd->n_xs; k++) {
            int kc = NODE(nd->xs[k])->cols;
            if ((dx = gacc(g, nd->xs[k])))
                for (int r = 0; r < rows; r++)
                    kern_axpy(dx + (size_t)r * kc, dy + (size_t)r * nd->cols + off, 1.0f,
                              (size_t)kc);
            off += kc;
        }
        break;
    }
    case OP_SLICE_COLS:
        if ((dx = gacc(g, a))) {
            int rows = nrows(g, nd), xc = NODE(a)->cols;
            for (int r = 0; r < rows; r++)
                kern_axpy(dx + (size_t)r * xc + nd->iv[0], dy + (size_t)r * nd->cols, 1.0f,
                          (size_t)nd->cols);
        }
        break;
    case OP_LINCOMB: {
        const graph_node *cn = NODE(a);
        size_t co = (size_t)nd->iv[0] * cn->cols + nd->iv[1];
        const float *cf = cn->value + co;
        float *dc = gacc(g, a);
        for (int k = 0; k < nd->n_xs; k++) {
            if ((dx = gacc(g, nd->xs[k]))) kern_axpy(dx, dy, cf[k], n);
            if (dc) {
                const float *xk = VAL(nd->xs[k]);
                double s = 0.0;
                for (size_t e = 0; e < n; e++) s += (double)dy[e] * xk[e];
                dc[co + k] += (float)s;
            }
        }
        break;
    }
    case OP_GATE: {
        int d = nd->cols, ne = nd->n_xs;
        float *dg = gacc(g, a); /* (B, ne) */
        for (int e = 0; e < ne; e++) {
            float *de = gacc(g, nd->xs[e]);
            const float *xe = VAL(nd->xs[e]);
            for (int r = 0; r < g->batch; r++) {
                const float *dyr = dy + (size_t)r * d;
                if (de) kern_axpy(de + (size_t)r * d, dyr, x[(size_t)r * ne + e], (size_t)d);
                if (dg) {
                    const float *xr = xe + (size_t)r * d;
                    float s = 0.0f;
                    for (int j = 0; j < d; j++) s += dyr[j] * xr[j];
                    dg[(size_t)r * ne + e] += s;
                }
            }
        }
        break;
    }
    case OP_SUM:
    case OP_MEAN:
        if ((dx = gacc(g, a))) {
            size_t m = nelem(g, NODE(a));
            float v = nd->op == OP_MEAN ? dy[0] / (float)m : dy[0];
            for (size_t k = 0; k < m; k++) dx[k] += v;
        }
        break;
    case OP_RELU:
        if ((dx = gacc_beta(g, a, &beta))) {
            if (beta == 0.0f)
                kern_relu_backward_set(dx, dy, nd->value, n);
            else
                kern_relu_backward(dx, dy, nd->value, n);
        }
        break;
    case OP_LEAKY_RELU:
        if ((dx = gacc(g, a))) kern_leaky_relu_backward(dx, dy, x, nd->f[0], n);
        break;
    case OP_TANH:
        if ((dx = gacc(g, a))) kern_tanh_backward(dx, dy, nd->value, n);
        break;
    case OP_SIGMOID:
        if ((dx = gacc(g, a))) kern_sigmoid_backward(dx, dy, nd->value, n);
        break;
    case OP_GELU:
        if ((dx = gacc(g, a))) kern_gelu_backward(dx, dy, x, n);
        break;
    case OP_SOFTMAX:
        if ((dx = gacc(g, a))) kern_softmax_backward(dx, dy, nd->value, nrows(g, nd), nd->cols);
        break;
    case OP_DROPOUT:
        if (g->mode == MT_TRAIN && nd->f[0] > 0.0f) {
            if ((dx = gacc(g, a))) kern_mul_backward(dx, NULL, dy, NULL, nd->aux, n);
        } else if ((dx = gacc_beta(g, a, &beta))) {
            put(dx, dy, 1.0f, n, beta);
        }
        break;
    case OP_BATCHNORM: {
        const graph_node *xn = NODE(a);
        int ch = xn->c > 0 ? xn->c : xn->cols, sp = xn->c > 0 ? xn->h * xn->w : 1;
        size_t full = (size_t)g->max_batch * nd->cols;
        kern_batchnorm_backward(gacc(g, a), gacc(g, b), gacc(g, nd->in[2]), dy, nd->aux,
                                nd->aux + full, VAL(b), g->batch, ch, sp, g->mode == MT_TRAIN);
        break;
    }
    case OP_LAYERNORM: {
        size_t full = (size_t)g->max_batch * nd->cols;
        kern_layernorm_backward(gacc(g, a), gacc(g, b), gacc(g, nd->in[2]), dy, nd->aux,
                                nd->aux + full, VAL(b), nrows(g, nd), nd->cols);
        break;
    }
    case OP_CONV2D: backward_conv(g, nd); break;
    case OP_CUSTOM: {
        graph_custom_op *op = nd->cust;
        int any = 0;
        if (!op->bwd) break;
        gi_custom_args(g, nd);
        for (int k = 0; k < nd->n_xs; k++) any |= (op->din[k] = gacc(g, nd->xs[k])) != NULL;
        if (any)
            op->bwd(op->ud, op->in, op->in_rows, op->in_cols, nd->n_xs, nd->value, dy,
                    nrows(g, nd), nd->cols, op->din);
        break;
    }
    case OP_MAXPOOL:
        if ((dx = gacc(g, a))) {
            int xc = NODE(a)->cols;
            for (int r = 0; r < g->batch; r++)
                kern_maxpool_backward(dx + (size_t)r * xc, dy + (size_t)r * nd->cols,
                                      nd->iaux + (size_t)r * nd->cols, (size_t)nd->cols);
        }
        break;
    case OP_LOSS_MSE:
    case OP_LOSS_L1:
    case OP_LOSS_HUBER:
    case OP_LOSS_SOFTMAX_CE:
    case OP_LOSS_BCE_LOGITS: loss_backward(g, nd); break;
    case OP_COUNT: break;
    }
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
                           k, L, graph_op_names[ln->op], graph_shape_str(ln, s, sizeof s));
        }
    }
    graph_mark_ancestors(g, losses, n, stop);
    for (int i = 0; i < g->n; i++) {
        const graph_node *nd = NODE(i);
        if (g->mark[i] && !is_leaf(nd->op) && nd->gen != g->gen)
            return mt_fail(MT_ERR_STATE,
                           "graph_backward: node %d (%s) was not computed by the last forward pass",
                           i, graph_op_names[nd->op]);
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
                    if (j != MT_NONE && !(k == 2 && nd->op >= OP_LOSS_MSE)) w = g->want[j];
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
        float *d = gacc(g, losses[k]);
        if (d) d[0] += weights ? weights[k] : 1.0f;
    }
    for (int i = g->n - 1; i >= 0; i--) {
        const graph_node *nd = NODE(i);
        if (!g->want[i] || i == stop || is_leaf(nd->op) || !nd->gstate) continue;
        node_backward(g, i);
    }
    return MT_OK;
}
