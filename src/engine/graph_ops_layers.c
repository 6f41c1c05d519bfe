/* graph_ops_layers.c - forward, backward and scratch of the ops with state
 * or layout of their own: batch and layer norm, convolution, max pooling
 * and the losses. Their entries are in the op table (graph_ops.c). */
#include "graph_impl.h"
#include <math.h>
#include <string.h>
#include "core/status.h"
#include "engine/kernels.h"

#define IN(k) (VAL(nd->in[(k)]))

/* ---- batch norm ---------------------------------------------------------- */

/* channels and spatial size of the operand: (B, n) is n channels of 1 */
static void bn_dims(const graph_node *x, int *ch, int *sp)
{
    *ch = x->c > 0 ? x->c : x->cols;
    *sp = x->c > 0 ? x->h * x->w : 1;
}

/* xhat (max_batch, cols), then inv_std, mean, var (ch) each */
void gi_batchnorm_scratch(const mt_graph *g, const graph_node *nd, size_t *f, size_t *n)
{
    size_t ch = nd->c > 0 ? (size_t)nd->c : (size_t)nd->cols;
    *f = (size_t)g->max_batch * (size_t)nd->cols + 3 * ch;
}

void gi_batchnorm_fwd(mt_graph *g, int i, graph_node *nd)
{
    int ch, sp;
    bn_dims(NODE(nd->in[0]), &ch, &sp);
    size_t full = (size_t)g->max_batch * nd->cols;
    float *xhat = nd->aux, *inv_std = nd->aux + full, *mean = inv_std + ch, *var = mean + ch;
    float *rm = g->params.data + g->params.info[nd->param].offset;  /* (ch) */
    float *rv = g->params.data + g->params.info[nd->param2].offset; /* (ch) */
    const float *gamma = IN(1), *beta = IN(2);
    if (g->mode == MT_TRAIN) {
        kern_batchnorm_forward_train(nd->value, xhat, inv_std, mean, var, IN(0), gamma, beta,
                                     g->batch, ch, sp, NORM_EPS);
        double cnt = (double)g->batch * sp;
        float unbias = cnt > 1 ? (float)(cnt / (cnt - 1)) : 1.0f;
        for (int c = 0; c < ch; c++) {
            rm[c] = (1.0f - BN_MOMENTUM) * rm[c] + BN_MOMENTUM * mean[c];
            rv[c] = (1.0f - BN_MOMENTUM) * rv[c] + BN_MOMENTUM * var[c] * unbias;
        }
    } else {
        kern_batchnorm_forward_eval(nd->value, xhat, inv_std, IN(0), gamma, beta, rm, rv,
                                    g->batch, ch, sp, NORM_EPS);
    }
}

void gi_batchnorm_bwd(mt_graph *g, int i, graph_node *nd)
{
    int ch, sp;
    bn_dims(NODE(nd->in[0]), &ch, &sp);
    size_t full = (size_t)g->max_batch * nd->cols;
    float *dx = gi_gacc(g, nd->in[0]), *dgamma = gi_gacc(g, nd->in[1]);
    float *dbeta = gi_gacc(g, nd->in[2]);
    kern_batchnorm_backward(dx, dgamma, dbeta, nd->grad, nd->aux, nd->aux + full, IN(1),
                            g->batch, ch, sp, g->mode == MT_TRAIN);
}

/* ---- layer norm ------------------------------------------------------------ */

/* xhat (max_batch, cols), inv_std (max_batch) */
void gi_layernorm_scratch(const mt_graph *g, const graph_node *nd, size_t *f, size_t *n)
{
    *f = (size_t)g->max_batch * (size_t)nd->cols + (size_t)g->max_batch;
}

void gi_layernorm_fwd(mt_graph *g, int i, graph_node *nd)
{
    size_t full = (size_t)g->max_batch * nd->cols;
    kern_layernorm_forward(nd->value, nd->aux, nd->aux + full, IN(0), IN(1), IN(2), nrows(g, nd),
                           nd->cols, NORM_EPS);
}

void gi_layernorm_bwd(mt_graph *g, int i, graph_node *nd)
{
    size_t full = (size_t)g->max_batch * nd->cols;
    float *dx = gi_gacc(g, nd->in[0]), *dgamma = gi_gacc(g, nd->in[1]);
    float *dbeta = gi_gacc(g, nd->in[2]);
    kern_layernorm_backward(dx, dgamma, dbeta, nd->grad, nd->aux, nd->aux + full, IN(1),
                            nrows(g, nd), nd->cols);
}

/* ---- convolution ------------------------------------------------------------ */

/* col and dcol, (c*k*k, oh*ow) each: one example's patches */
void gi_conv2d_scratch(const mt_graph *g, const graph_node *nd, size_t *f, size_t *n)
{
    const graph_node *x = NODE(nd->in[0]);
    size_t k = (size_t)nd->iv[0];
    *f = 2 * (size_t)x->c * k * k * (size_t)nd->h * nd->w;
}

void gi_conv2d_fwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *x = NODE(nd->in[0]);
    const float *w = IN(1);    /* (oc, c*k*k) */
    const float *bias = IN(2); /* (oc) */
    int k = nd->iv[0], pad = nd->iv[1], oc = nd->c, ckk = x->c * k * k, plane = nd->h * nd->w;
    float *col = nd->aux; /* (c*k*k, oh*ow) */
    for (int b = 0; b < g->batch; b++) {
        float *y = nd->value + (size_t)b * nd->cols; /* (oc, oh*ow) */
        kern_im2col(col, x->value + (size_t)b * x->cols, x->c, x->h, x->w, k, pad);
        kern_gemm(0, 0, oc, plane, ckk, 1.0f, w, ckk, col, plane, 0.0f, y, plane, g->use_ref);
        for (int o = 0; o < oc; o++) {
            float *yo = y + (size_t)o * plane, bo = bias[o];
            for (int p = 0; p < plane; p++) yo[p] += bo;
        }
    }
}

void gi_conv2d_bwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *x = NODE(nd->in[0]);
    const float *w = IN(1); /* (oc, c*k*k) */
    int k = nd->iv[0], pad = nd->iv[1], oc = nd->c, ckk = x->c * k * k, plane = nd->h * nd->w;
    float *col = nd->aux;                        /* (c*k*k, oh*ow) */
    float *dcol = nd->aux + (size_t)ckk * plane; /* (c*k*k, oh*ow) */
    float wbeta = 1.0f, bbeta;
    float *dx = gi_gacc(g, nd->in[0]);
    float *dw = gi_gacc_beta(g, nd->in[1], &wbeta);
    float *dbias = gi_gacc_beta(g, nd->in[2], &bbeta);
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
                for (int p = 0; p < plane; p++) s += d[p];
                dbias[o] += s;
            }
    }
    if (dw && wbeta == 0.0f) memset(dw, 0, (size_t)oc * ckk * sizeof *dw); /* batch of 0 */
}

/* ---- max pooling -------------------------------------------------------------- */

/* the argmax of every output element: (max_batch, cols) ints */
void gi_maxpool_scratch(const mt_graph *g, const graph_node *nd, size_t *f, size_t *n)
{
    *n = (size_t)g->max_batch * (size_t)nd->cols;
}

void gi_maxpool_fwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *xn = NODE(nd->in[0]);
    for (int b = 0; b < g->batch; b++)
        kern_maxpool_forward(nd->value + (size_t)b * nd->cols, nd->iaux + (size_t)b * nd->cols,
                             xn->value + (size_t)b * xn->cols, xn->c, xn->h, xn->w, nd->iv[0]);
}

void gi_maxpool_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *dx = gi_gacc(g, nd->in[0]);
    if (!dx) return;
    int xc = NODE(nd->in[0])->cols;
    for (int r = 0; r < g->batch; r++)
        kern_maxpool_backward(dx + (size_t)r * xc, nd->grad + (size_t)r * nd->cols,
                              nd->iaux + (size_t)r * nd->cols, (size_t)nd->cols);
}

/* ---- losses: operand 0 the prediction, 1 the target, 2 the mask or none ---- */

/* softmax cross-entropy keeps the probabilities: (rows of pred, cols) */
void gi_loss_scratch(const mt_graph *g, const graph_node *nd, size_t *f, size_t *n)
{
    const graph_node *p = NODE(nd->in[0]);
    *f = (p->batched ? (size_t)g->max_batch : (size_t)p->rows) * (size_t)p->cols;
}

/* The operands of a loss at the current batch. */
typedef struct {
    const float *p, *t, *m; /* pred (rows, cols), target, mask (rows) or NULL */
    int rows, cols;
} loss_args;

static loss_args loss_in(const mt_graph *g, const graph_node *nd)
{
    const graph_node *p = NODE(nd->in[0]);
    loss_args a = {p->value, IN(1), nd->in[2] == MT_NONE ? NULL : IN(2), nrows(g, p), p->cols};
    return a;
}

/* The loss is the masked mean num / den; den stays for the backward. */
static void loss_store(graph_node *nd, double num, double den)
{
    nd->f[1] = (float)den;
    nd->value[0] = den > 0.0 ? (float)(num / den) : 0.0f;
}

/* 1 when the loss passes a gradient back: its scale and where the
 * prediction's (and, when the target takes one, the target's) go. */
static int loss_grad_in(mt_graph *g, graph_node *nd, int target_grad, loss_args *a, float *scale,
                        float **dp, float **dt)
{
    float den = nd->f[1];
    if (!(den > 0.0f)) return 0;
    *a = loss_in(g, nd);
    *scale = nd->grad[0] / den;
    *dp = gi_gacc(g, nd->in[0]);
    *dt = target_grad ? gi_gacc(g, nd->in[1]) : NULL;
    return *dp || *dt;
}

void gi_loss_mse_fwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a = loss_in(g, nd);
    double den;
    double num = kern_mse_forward(a.p, a.t, a.m, a.rows, a.cols, &den);
    loss_store(nd, num, den);
}

void gi_loss_mse_bwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a;
    float s, *dp, *dt;
    if (loss_grad_in(g, nd, 1, &a, &s, &dp, &dt))
        kern_mse_backward(dp, dt, a.p, a.t, a.m, s, a.rows, a.cols);
}

void gi_loss_l1_fwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a = loss_in(g, nd);
    double den;
    double num = kern_l1_forward(a.p, a.t, a.m, a.rows, a.cols, &den);
    loss_store(nd, num, den);
}

void gi_loss_l1_bwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a;
    float s, *dp, *dt;
    if (loss_grad_in(g, nd, 1, &a, &s, &dp, &dt))
        kern_l1_backward(dp, dt, a.p, a.t, a.m, s, a.rows, a.cols);
}

void gi_loss_huber_fwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a = loss_in(g, nd);
    double den;
    double num = kern_huber_forward(a.p, a.t, a.m, a.rows, a.cols, nd->f[0], &den);
    loss_store(nd, num, den);
}

void gi_loss_huber_bwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a;
    float s, *dp, *dt;
    if (loss_grad_in(g, nd, 1, &a, &s, &dp, &dt))
        kern_huber_backward(dp, dt, a.p, a.t, a.m, s, a.rows, a.cols, nd->f[0]);
}

void gi_loss_softmax_ce_fwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a = loss_in(g, nd);
    double den;
    int bad = 0;
    double num = kern_softmax_ce_forward(nd->aux, a.p, a.t, a.m, a.rows, a.cols, &den, &bad);
    loss_store(nd, num, den);
    if (!bad) return;
    /* the loss is NaN already; leave the trainer a message naming the row */
    for (int b = 0; b < a.rows; b++) {
        float tb = a.t[b];
        if ((a.m && a.m[b] == 0.0f) || (tb >= 0.0f && tb < (float)a.cols && tb == floorf(tb)))
            continue;
        mt_fail(MT_ERR_NUMERIC,
                "loss_softmax_ce (node %d): target %g at row %d is not a class in 0..%d "
                "(%d bad rows); the loss is NaN",
                i, (double)tb, b, a.cols - 1, bad);
        break;
    }
}

/* class indices take no gradient */
void gi_loss_softmax_ce_bwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a;
    float s, *dp, *dt;
    if (loss_grad_in(g, nd, 0, &a, &s, &dp, &dt))
        kern_softmax_ce_backward(dp, nd->aux, a.t, a.m, s, a.rows, a.cols);
}

void gi_loss_bce_logits_fwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a = loss_in(g, nd);
    double den;
    double num = kern_bce_logits_forward(a.p, a.t, a.m, a.rows, a.cols, &den);
    loss_store(nd, num, den);
}

void gi_loss_bce_logits_bwd(mt_graph *g, int i, graph_node *nd)
{
    loss_args a;
    float s, *dp, *dt;
    if (loss_grad_in(g, nd, 1, &a, &s, &dp, &dt))
        kern_bce_logits_backward(dp, dt, a.p, a.t, a.m, s, a.rows, a.cols);
}
