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
void gi_batchnorm_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s)
{
    size_t ch = nd->c > 0 ? (size_t)nd->c : (size_t)nd->cols;
    s->floats = (size_t)g->max_batch * (size_t)nd->cols + 3 * ch;
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
void gi_layernorm_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s)
{
    s->floats = (size_t)g->max_batch * (size_t)nd->cols + (size_t)g->max_batch;
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

/* ---- convolution ------------------------------------------------------------
 * iv[0] = k, iv[1] = pad; iv[2] = how the last forward ran (CONV_*). */
enum { CONV_PER_EXAMPLE, CONV_BATCHED_WHOLE, CONV_BATCHED_CHUNKS };

typedef struct {
    const graph_node *x;
    int k, pad, oc, ckk, plane, chunk;
    size_t padded; /* floats of one padded example: c*(h+2 pad)*(w+2 pad) */
} conv_dims;

/* Examples per gemm: as many as fit GRAPH_CONV_COL_FLOATS of patches. */
static int conv_chunk(const mt_graph *g, size_t ckk_plane)
{
    size_t fit = GRAPH_CONV_COL_FLOATS / ckk_plane;
    if (fit < 1) fit = 1;
    return fit < (size_t)g->max_batch ? (int)fit : g->max_batch;
}

static conv_dims conv_of(const mt_graph *g, const graph_node *nd)
{
    conv_dims d;
    d.x = NODE(nd->in[0]);
    d.k = nd->iv[0];
    d.pad = nd->iv[1];
    d.oc = nd->c;
    d.ckk = d.x->c * d.k * d.k;
    d.plane = nd->h * nd->w;
    d.chunk = conv_chunk(g, (size_t)d.ckk * d.plane);
    d.padded = (size_t)d.x->c * (d.x->h + 2 * d.pad) * (d.x->w + 2 * d.pad);
    return d;
}

/* The shared work area of one chunk: the padded input (or its gradient),
 * dcol (c*k*k, chunk*oh*ow), yt (oc, chunk*oh*ow). */
static void conv_work(const mt_graph *g, const conv_dims *d, float **xp, float **dcol, float **yt)
{
    size_t cols = (size_t)d->chunk * d->plane;
    *xp = g->work;
    *dcol = g->work + (size_t)d->chunk * d->padded;
    *yt = *dcol + (size_t)d->ckk * cols;
}

static int per_example(const mt_graph *g) { return g->use_ref || g->conv_per_example; }

/* aux: col (c*k*k, chunk*oh*ow), the lowered patches kept for the
 * backward; work: see conv_work. The per-example path uses the first oh*ow
 * columns of col and of dcol. */
void gi_conv2d_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s)
{
    conv_dims d = conv_of(g, nd);
    size_t cols = (size_t)d.chunk * d.plane;
    s->floats = (size_t)d.ckk * cols;
    s->work = (size_t)d.chunk * d.padded + (size_t)(d.ckk + d.oc) * cols;
}

static void conv_fwd_per_example(mt_graph *g, graph_node *nd, const conv_dims *d)
{
    const float *w = IN(1), *bias = IN(2); /* (oc, c*k*k), (oc) */
    const graph_node *x = d->x;
    float *col = nd->aux; /* (c*k*k, oh*ow) */
    for (int b = 0; b < g->batch; b++) {
        float *y = nd->value + (size_t)b * nd->cols; /* (oc, oh*ow) */
        kern_im2col(col, x->value + (size_t)b * x->cols, x->c, x->h, x->w, d->k, d->pad);
        kern_gemm(0, 0, d->oc, d->plane, d->ckk, 1.0f, w, d->ckk, col, d->plane, 0.0f, y, d->plane,
                  g->use_ref);
        for (int o = 0; o < d->oc; o++) {
            float *yo = y + (size_t)o * d->plane, bo = bias[o];
            for (int p = 0; p < d->plane; p++) yo[p] += bo;
        }
    }
}

static void conv_bwd_per_example(mt_graph *g, graph_node *nd, const conv_dims *d)
{
    const float *w = IN(1); /* (oc, c*k*k) */
    const graph_node *x = d->x;
    int oc = d->oc, ckk = d->ckk, plane = d->plane, ref = g->use_ref;
    float *col = nd->aux, *xp, *dcol, *yt; /* col, dcol (c*k*k, oh*ow) */
    conv_work(g, d, &xp, &dcol, &yt);
    float wbeta = 1.0f, bbeta;
    float *dx = gi_gacc(g, nd->in[0]);
    float *dw = gi_gacc_beta(g, nd->in[1], &wbeta);
    float *dbias = gi_gacc_beta(g, nd->in[2], &bbeta);
    if (dbias && bbeta == 0.0f) memset(dbias, 0, (size_t)oc * sizeof *dbias);
    for (int b = 0; b < g->batch; b++) {
        const float *dy = nd->grad + (size_t)b * nd->cols; /* (oc, oh*ow) */
        if (dw) {
            kern_im2col(col, x->value + (size_t)b * x->cols, x->c, x->h, x->w, d->k, d->pad);
            kern_gemm(0, 1, oc, ckk, plane, 1.0f, dy, plane, col, plane, wbeta, dw, ckk, ref);
            wbeta = 1.0f;
        }
        if (dx) {
            kern_gemm(1, 0, ckk, plane, oc, 1.0f, w, ckk, dy, plane, 0.0f, dcol, plane, ref);
            kern_col2im(dx + (size_t)b * x->cols, dcol, x->c, x->h, x->w, d->k, d->pad);
        }
        if (dbias)
            for (int o = 0; o < oc; o++) {
                const float *s = dy + (size_t)o * plane;
                float t = 0.0f;
                for (int p = 0; p < plane; p++) t += s[p];
                dbias[o] += t;
            }
    }
}

/* The lowering of examples b0..b0+nb-1 into col. */
static void conv_lower(mt_graph *g, const conv_dims *d, float *col, float *xp, int b0, int nb)
{
    const graph_node *x = d->x;
    kern_pad_batch(xp, x->value + (size_t)b0 * x->cols, nb * x->c, x->h, x->w, d->pad);
    kern_im2col_batch(col, xp, nb, x->c, x->h + 2 * d->pad, x->w + 2 * d->pad, d->k);
}

/* Chunks of the batch, each lowered once and multiplied in one gemm into
 * yt, then reordered into (B, oc, oh*ow) with the bias. */
static void conv_fwd_batched(mt_graph *g, graph_node *nd, const conv_dims *d)
{
    const float *w = IN(1), *bias = IN(2);
    float *col = nd->aux, *xp, *dcol, *yt;
    conv_work(g, d, &xp, &dcol, &yt);
    for (int b0 = 0; b0 < g->batch; b0 += d->chunk) {
        int nb = g->batch - b0 < d->chunk ? g->batch - b0 : d->chunk, n = nb * d->plane;
        conv_lower(g, d, col, xp, b0, nb);
        kern_gemm(0, 0, d->oc, n, d->ckk, 1.0f, w, d->ckk, col, n, 0.0f, yt, n, 0);
        kern_conv_scatter_out(nd->value + (size_t)b0 * nd->cols, yt, bias, nb, d->oc, d->plane);
    }
}

/* Per chunk: dy reordered to dyt (oc, nb*oh*ow) with the bias sums, then
 * dW += dyt col^T and dcol = W^T dyt, col2im'd into dx. The forward's col
 * is reused when one chunk held the whole batch. */
static void conv_bwd_batched(mt_graph *g, graph_node *nd, const conv_dims *d, int whole)
{
    const graph_node *x = d->x;
    const float *w = IN(1);
    float *col = nd->aux, *xp, *dcol, *dyt;
    conv_work(g, d, &xp, &dcol, &dyt);
    float xbeta = 0.0f, wbeta = 1.0f, bbeta = 1.0f;
    float *dx = gi_gacc_beta(g, nd->in[0], &xbeta);
    float *dw = gi_gacc_beta(g, nd->in[1], &wbeta);
    float *dbias = gi_gacc_beta(g, nd->in[2], &bbeta);
    if (dbias && bbeta == 0.0f) memset(dbias, 0, (size_t)d->oc * sizeof *dbias);
    if (dw && wbeta == 0.0f) memset(dw, 0, (size_t)d->oc * d->ckk * sizeof *dw);
    for (int b0 = 0; b0 < g->batch; b0 += d->chunk) {
        int nb = g->batch - b0 < d->chunk ? g->batch - b0 : d->chunk, n = nb * d->plane;
        kern_conv_gather_grad(dyt, dbias, nd->grad + (size_t)b0 * nd->cols, nb, d->oc, d->plane);
        if (dw) {
            if (!whole) conv_lower(g, d, col, xp, b0, nb);
            kern_gemm(0, 1, d->oc, d->ckk, n, 1.0f, dyt, n, col, n, 1.0f, dw, d->ckk, 0);
        }
        if (dx) {
            kern_gemm(1, 0, d->ckk, n, d->oc, 1.0f, w, d->ckk, dyt, n, 0.0f, dcol, n, 0);
            kern_col2im_batch(xp, dcol, nb, x->c, x->h + 2 * d->pad, x->w + 2 * d->pad, d->k);
            kern_unpad_batch(dx + (size_t)b0 * x->cols, xp, nb * x->c, x->h, x->w, d->pad, xbeta);
        }
    }
}

void gi_conv2d_fwd(mt_graph *g, int i, graph_node *nd)
{
    conv_dims d = conv_of(g, nd);
    if (per_example(g)) {
        conv_fwd_per_example(g, nd, &d);
        nd->iv[2] = CONV_PER_EXAMPLE;
    } else {
        conv_fwd_batched(g, nd, &d);
        nd->iv[2] = g->batch <= d.chunk ? CONV_BATCHED_WHOLE : CONV_BATCHED_CHUNKS;
    }
}

/* The backward follows the layout of the forward it differentiates. */
void gi_conv2d_bwd(mt_graph *g, int i, graph_node *nd)
{
    conv_dims d = conv_of(g, nd);
    if (nd->iv[2] == CONV_PER_EXAMPLE)
        conv_bwd_per_example(g, nd, &d);
    else
        conv_bwd_batched(g, nd, &d, nd->iv[2] == CONV_BATCHED_WHOLE);
}

/* ---- max pooling ----------------------------------------------------------------
 * iv[0] = k; iv[1] = 1 when the last forward ran over the whole batch (iaux
 * then holds window offsets, otherwise indices in each example). */

/* the argmax of every output element: (max_batch, cols) ints */
void gi_maxpool_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s)
{
    s->ints = (size_t)g->max_batch * (size_t)nd->cols;
}

void gi_maxpool_fwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *xn = NODE(nd->in[0]);
    nd->iv[1] = !per_example(g);
    if (nd->iv[1]) {
        kern_maxpool_forward_batch(nd->value, nd->iaux, xn->value, g->batch * xn->c, xn->h, xn->w,
                                   nd->iv[0]);
        return;
    }
    for (int b = 0; b < g->batch; b++)
        kern_maxpool_forward(nd->value + (size_t)b * nd->cols, nd->iaux + (size_t)b * nd->cols,
                             xn->value + (size_t)b * xn->cols, xn->c, xn->h, xn->w, nd->iv[0]);
}

void gi_maxpool_bwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *xn = NODE(nd->in[0]);
    if (nd->iv[1]) {
        float beta, *dx = gi_gacc_beta(g, nd->in[0], &beta);
        if (dx)
            kern_maxpool_backward_batch(dx, nd->grad, nd->iaux, g->batch * xn->c, xn->h, xn->w,
                                        nd->iv[0], beta);
        return;
    }
    float *dx = gi_gacc(g, nd->in[0]);
    if (!dx) return;
    for (int r = 0; r < g->batch; r++)
        kern_maxpool_backward(dx + (size_t)r * xn->cols, nd->grad + (size_t)r * nd->cols,
                              nd->iaux + (size_t)r * nd->cols, (size_t)nd->cols);
}

/* ---- losses: operand 0 the prediction, 1 the target, 2 the mask or none ---- */

/* softmax cross-entropy keeps the probabilities: (rows of pred, cols) */
void gi_loss_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s)
{
    const graph_node *p = NODE(nd->in[0]);
    s->floats = (p->batched ? (size_t)g->max_batch : (size_t)p->rows) * (size_t)p->cols;
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
