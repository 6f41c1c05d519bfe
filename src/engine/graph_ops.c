/* graph_ops.c - the op table: for every op its name, its flags, the
 * scratch its node needs, and its forward and backward side by side (in
 * the manner of kann's kad_op_list). graph_run.c and graph_backward.c only
 * walk the nodes and call through the table, so a new op is one pair of
 * functions here (or in graph_ops_layers.c) and one entry at the bottom.
 *
 * A forward writes the node's value from its operands' values (the pass's
 * mode is g->mode). A backward reads the node's gradient and adds into its
 * operands' gradients through gi_gacc / gi_gacc_beta, which hand out NULL
 * for an operand that takes no gradient in this pass. */
#include "graph_impl.h"
#include <math.h>
#include <string.h>
#include "core/rng.h"
#include "engine/kernels.h"

#define IN(k) (VAL(nd->in[(k)]))

/* ---- leaves: nothing to compute ---------------------------------------- */

static void leaf_fwd(mt_graph *g, int i, graph_node *nd) { (void)g, (void)i, (void)nd; }

/* ---- linear algebra ------------------------------------------------------ */

/* (m, k) and (k, n) of op(a) op(b) at the current batch. */
static void matmul_dims(const mt_graph *g, const graph_node *nd, int *m, int *n, int *k)
{
    const graph_node *a = NODE(nd->in[0]), *b = NODE(nd->in[1]);
    int ra = nrows(g, a), rb = nrows(g, b);
    *m = nd->iv[0] ? a->cols : ra;
    *k = nd->iv[0] ? ra : a->cols;
    *n = nd->iv[1] ? rb : b->cols;
}

static void matmul_fwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *a = NODE(nd->in[0]), *b = NODE(nd->in[1]);
    int m, n, k;
    matmul_dims(g, nd, &m, &n, &k);
    kern_gemm(nd->iv[0], nd->iv[1], m, n, k, 1.0f, a->value, a->cols, b->value, b->cols, 0.0f,
              nd->value, n, g->use_ref);
}

static void matmul_bwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *a = NODE(nd->in[0]), *b = NODE(nd->in[1]);
    int ta = nd->iv[0], tb = nd->iv[1], ref = g->use_ref, m, n, k;
    matmul_dims(g, nd, &m, &n, &k);
    const float *dc = nd->grad; /* (m, n) */
    float beta;
    float *da = gi_gacc_beta(g, nd->in[0], &beta);
    if (da) {
        if (!ta) /* dA (m, k) = dC op(B)^T */
            kern_gemm(0, !tb, m, k, n, 1.0f, dc, n, b->value, b->cols, beta, da, a->cols, ref);
        else /* dA (k, m) = op(B) dC^T */
            kern_gemm(tb, 1, k, m, n, 1.0f, b->value, b->cols, dc, n, beta, da, a->cols, ref);
    }
    float *db = gi_gacc_beta(g, nd->in[1], &beta);
    if (db) {
        if (!tb) /* dB (k, n) = op(A)^T dC */
            kern_gemm(!ta, 0, k, n, m, 1.0f, a->value, a->cols, dc, n, beta, db, b->cols, ref);
        else /* dB (n, k) = dC^T op(A) */
            kern_gemm(1, ta, n, k, m, 1.0f, dc, n, a->value, a->cols, beta, db, b->cols, ref);
    }
}

static void dense_fwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *xn = NODE(nd->in[0]);
    int rows = nrows(g, xn), in = xn->cols, out = nd->cols;
    kern_gemm(0, 1, rows, out, in, 1.0f, xn->value, in, IN(1), in, 0.0f, nd->value, out,
              g->use_ref);
}

static void dense_bwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *xn = NODE(nd->in[0]), *wn = NODE(nd->in[1]);
    int rows = nrows(g, xn), in = xn->cols, out = nd->cols;
    const float *dy = nd->grad; /* (B, out) */
    float beta, *d;
    if ((d = gi_gacc_beta(g, nd->in[0], &beta))) /* dx (B, in) = dy (B, out) W (out, in) */
        kern_gemm(0, 0, rows, in, out, 1.0f, dy, out, wn->value, in, beta, d, in, g->use_ref);
    if ((d = gi_gacc_beta(g, nd->in[1], &beta))) /* dW (out, in) = dy^T x */
        kern_gemm(1, 0, out, in, rows, 1.0f, dy, out, xn->value, in, beta, d, in, g->use_ref);
}

static void bias_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_bias_forward(nd->value, IN(0), IN(1), nrows(g, nd), nd->cols);
}

static void bias_bwd(mt_graph *g, int i, graph_node *nd)
{
    float beta, *d;
    if ((d = gi_gacc_beta(g, nd->in[0], &beta))) gi_put(d, nd->grad, 1.0f, nelem(g, nd), beta);
    if ((d = gi_gacc_beta(g, nd->in[1], &beta))) {
        if (beta == 0.0f) memset(d, 0, (size_t)nd->cols * sizeof *d);
        kern_bias_backward(d, nd->grad, nrows(g, nd), nd->cols);
    }
}

/* ---- elementwise ------------------------------------------------------- */

static void add_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_add_forward(nd->value, IN(0), IN(1), nelem(g, nd));
}

static void sub_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_sub_forward(nd->value, IN(0), IN(1), nelem(g, nd));
}

/* add and sub: the gradient passes to a and, signed, to b */
static void addsub_bwd(mt_graph *g, int i, graph_node *nd)
{
    size_t n = nelem(g, nd);
    float beta, *d;
    if ((d = gi_gacc_beta(g, nd->in[0], &beta))) gi_put(d, nd->grad, 1.0f, n, beta);
    if ((d = gi_gacc_beta(g, nd->in[1], &beta)))
        gi_put(d, nd->grad, nd->op == OP_SUB ? -1.0f : 1.0f, n, beta);
}

static void mul_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_mul_forward(nd->value, IN(0), IN(1), nelem(g, nd));
}

static void mul_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *da = gi_gacc(g, nd->in[0]), *db = gi_gacc(g, nd->in[1]);
    kern_mul_backward(da, db, nd->grad, IN(0), IN(1), nelem(g, nd));
}

static void scale_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_scale_forward(nd->value, IN(0), nd->f[0], nelem(g, nd));
}

/* dx = s dy: scale (s = f0), grad_reverse (s = -lambda), and the copies
 * (flatten, dropout in eval) with s = 1 */
static void scaled_copy_bwd(mt_graph *g, graph_node *nd, float s)
{
    float beta, *d;
    if ((d = gi_gacc_beta(g, nd->in[0], &beta))) gi_put(d, nd->grad, s, nelem(g, nd), beta);
}

static void scale_bwd(mt_graph *g, int i, graph_node *nd) { scaled_copy_bwd(g, nd, nd->f[0]); }

static void copy_fwd(mt_graph *g, int i, graph_node *nd)
{
    memcpy(nd->value, IN(0), nelem(g, nd) * sizeof *nd->value);
}

static void copy_bwd(mt_graph *g, int i, graph_node *nd) { scaled_copy_bwd(g, nd, 1.0f); }

static void grad_reverse_bwd(mt_graph *g, int i, graph_node *nd)
{
    scaled_copy_bwd(g, nd, -nd->f[0]);
}

/* ---- structure ----------------------------------------------------------- */

static void concat_fwd(mt_graph *g, int i, graph_node *nd)
{
    int rows = nrows(g, nd), off = 0;
    for (int k = 0; k < nd->n_xs; k++) {
        const graph_node *xk = NODE(nd->xs[k]);
        for (int r = 0; r < rows; r++)
            memcpy(nd->value + (size_t)r * nd->cols + off, xk->value + (size_t)r * xk->cols,
                   (size_t)xk->cols * sizeof *nd->value);
        off += xk->cols;
    }
}

static void concat_bwd(mt_graph *g, int i, graph_node *nd)
{
    int rows = nrows(g, nd), off = 0;
    for (int k = 0; k < nd->n_xs; k++) {
        int kc = NODE(nd->xs[k])->cols;
        float *d = gi_gacc(g, nd->xs[k]);
        if (d)
            for (int r = 0; r < rows; r++)
                kern_axpy(d + (size_t)r * kc, nd->grad + (size_t)r * nd->cols + off, 1.0f,
                          (size_t)kc);
        off += kc;
    }
}

static void slice_fwd(mt_graph *g, int i, graph_node *nd)
{
    int rows = nrows(g, nd), xc = NODE(nd->in[0])->cols;
    for (int r = 0; r < rows; r++)
        memcpy(nd->value + (size_t)r * nd->cols, IN(0) + (size_t)r * xc + nd->iv[0],
               (size_t)nd->cols * sizeof *nd->value);
}

static void slice_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *d = gi_gacc(g, nd->in[0]);
    if (!d) return;
    int rows = nrows(g, nd), xc = NODE(nd->in[0])->cols;
    for (int r = 0; r < rows; r++)
        kern_axpy(d + (size_t)r * xc + nd->iv[0], nd->grad + (size_t)r * nd->cols, 1.0f,
                  (size_t)nd->cols);
}

static void lincomb_fwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *cn = NODE(nd->in[0]);
    const float *cf = cn->value + (size_t)nd->iv[0] * cn->cols + nd->iv[1];
    size_t n = nelem(g, nd);
    kern_scale_forward(nd->value, VAL(nd->xs[0]), cf[0], n);
    for (int k = 1; k < nd->n_xs; k++) kern_axpy(nd->value, VAL(nd->xs[k]), cf[k], n);
}

static void lincomb_bwd(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *cn = NODE(nd->in[0]);
    size_t co = (size_t)nd->iv[0] * cn->cols + nd->iv[1], n = nelem(g, nd);
    const float *cf = cn->value + co, *dy = nd->grad;
    float *dc = gi_gacc(g, nd->in[0]), *d;
    for (int k = 0; k < nd->n_xs; k++) {
        if ((d = gi_gacc(g, nd->xs[k]))) kern_axpy(d, dy, cf[k], n);
        if (dc) {
            const float *xk = VAL(nd->xs[k]);
            double s = 0.0;
            for (size_t e = 0; e < n; e++) s += (double)dy[e] * xk[e];
            dc[co + k] += (float)s;
        }
    }
}

static void gate_fwd(mt_graph *g, int i, graph_node *nd)
{
    int d = nd->cols, ne = nd->n_xs;
    for (int b = 0; b < g->batch; b++) {
        float *yb = nd->value + (size_t)b * d;
        const float *gb = IN(0) + (size_t)b * ne; /* (ne) */
        memset(yb, 0, (size_t)d * sizeof *yb);
        for (int e = 0; e < ne; e++) kern_axpy(yb, VAL(nd->xs[e]) + (size_t)b * d, gb[e], (size_t)d);
    }
}

static void gate_bwd(mt_graph *g, int i, graph_node *nd)
{
    int d = nd->cols, ne = nd->n_xs;
    const float *gate = IN(0), *dy = nd->grad;
    float *dg = gi_gacc(g, nd->in[0]); /* (B, ne) */
    for (int e = 0; e < ne; e++) {
        float *de = gi_gacc(g, nd->xs[e]);
        const float *xe = VAL(nd->xs[e]);
        for (int r = 0; r < g->batch; r++) {
            const float *dyr = dy + (size_t)r * d;
            if (de) kern_axpy(de + (size_t)r * d, dyr, gate[(size_t)r * ne + e], (size_t)d);
            if (dg) {
                const float *xr = xe + (size_t)r * d;
                float s = 0.0f;
                for (int j = 0; j < d; j++) s += dyr[j] * xr[j];
                dg[(size_t)r * ne + e] += s;
            }
        }
    }
}

/* sum and mean: the mean divides by the operand's element count */
static void reduce_fwd(mt_graph *g, int i, graph_node *nd)
{
    size_t m = nelem(g, NODE(nd->in[0]));
    const float *x = IN(0);
    double s = 0.0;
    for (size_t k = 0; k < m; k++) s += x[k];
    nd->value[0] = (float)(nd->op == OP_MEAN ? s / (double)m : s);
}

static void reduce_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *d = gi_gacc(g, nd->in[0]);
    if (!d) return;
    size_t m = nelem(g, NODE(nd->in[0]));
    float v = nd->op == OP_MEAN ? nd->grad[0] / (float)m : nd->grad[0];
    for (size_t k = 0; k < m; k++) d[k] += v;
}

/* ---- activations ---------------------------------------------------------- */

static void relu_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_relu_forward(nd->value, IN(0), nelem(g, nd));
}

static void relu_bwd(mt_graph *g, int i, graph_node *nd)
{
    float beta, *d = gi_gacc_beta(g, nd->in[0], &beta);
    if (!d) return;
    if (beta == 0.0f)
        kern_relu_backward_set(d, nd->grad, nd->value, nelem(g, nd));
    else
        kern_relu_backward(d, nd->grad, nd->value, nelem(g, nd));
}

static void leaky_relu_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_leaky_relu_forward(nd->value, IN(0), nd->f[0], nelem(g, nd));
}

static void leaky_relu_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *d = gi_gacc(g, nd->in[0]);
    if (d) kern_leaky_relu_backward(d, nd->grad, IN(0), nd->f[0], nelem(g, nd));
}

static void tanh_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_tanh_forward(nd->value, IN(0), nelem(g, nd));
}

static void tanh_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *d = gi_gacc(g, nd->in[0]);
    if (d) kern_tanh_backward(d, nd->grad, nd->value, nelem(g, nd));
}

static void sigmoid_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_sigmoid_forward(nd->value, IN(0), nelem(g, nd));
}

static void sigmoid_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *d = gi_gacc(g, nd->in[0]);
    if (d) kern_sigmoid_backward(d, nd->grad, nd->value, nelem(g, nd));
}

static void gelu_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_gelu_forward(nd->value, IN(0), nelem(g, nd));
}

static void gelu_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *d = gi_gacc(g, nd->in[0]);
    if (d) kern_gelu_backward(d, nd->grad, IN(0), nelem(g, nd));
}

static void softmax_fwd(mt_graph *g, int i, graph_node *nd)
{
    kern_softmax_forward(nd->value, IN(0), nrows(g, nd), nd->cols);
}

static void softmax_bwd(mt_graph *g, int i, graph_node *nd)
{
    float *d = gi_gacc(g, nd->in[0]);
    if (d) kern_softmax_backward(d, nd->grad, nd->value, nrows(g, nd), nd->cols);
}

/* The dropout key of node i in the current pass: a pure function of the
 * graph seed, the node and the pass number, so any mask can be recomputed. */
static uint64_t dropout_key(const mt_graph *g, int i)
{
    return mt_rng_hash(g->drop_key ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL), g->drop_step);
}

static int dropout_active(const mt_graph *g, const graph_node *nd)
{
    return g->mode == MT_TRAIN && nd->f[0] > 0.0f;
}

static void dropout_fwd(mt_graph *g, int i, graph_node *nd)
{
    size_t n = nelem(g, nd);
    if (dropout_active(g, nd)) {
        kern_dropout_mask(nd->aux, n, nd->f[0], dropout_key(g, i));
        kern_mul_forward(nd->value, IN(0), nd->aux, n);
    } else {
        memcpy(nd->value, IN(0), n * sizeof *nd->value);
    }
}

static void dropout_bwd(mt_graph *g, int i, graph_node *nd)
{
    if (!dropout_active(g, nd)) {
        copy_bwd(g, i, nd);
        return;
    }
    float *d = gi_gacc(g, nd->in[0]);
    if (d) kern_mul_backward(d, NULL, nd->grad, NULL, nd->aux, nelem(g, nd));
}

/* (max_batch, cols): the dropout mask */
static void dropout_scratch(const mt_graph *g, const graph_node *nd, graph_scratch *s)
{
    s->floats = (size_t)g->max_batch * (size_t)nd->cols;
}

/* ---- custom ops ------------------------------------------------------------ */

/* Points the op's argument arrays at the operands of this pass (batched
 * operands have the current batch as rows). */
static void custom_args(mt_graph *g, graph_node *nd)
{
    graph_custom_op *op = nd->cust;
    for (int k = 0; k < nd->n_xs; k++) {
        const graph_node *x = NODE(nd->xs[k]);
        op->in[k] = x->value;
        op->in_rows[k] = nrows(g, x);
    }
}

static void custom_fwd(mt_graph *g, int i, graph_node *nd)
{
    custom_args(g, nd);
    nd->cust->fwd(nd->cust->ud, nd->cust->in, nd->cust->in_rows, nd->cust->in_cols, nd->n_xs,
                  nd->value, nrows(g, nd), nd->cols);
}

static void custom_bwd(mt_graph *g, int i, graph_node *nd)
{
    graph_custom_op *op = nd->cust;
    int any = 0;
    if (!op->bwd) return;
    custom_args(g, nd);
    for (int k = 0; k < nd->n_xs; k++) any |= (op->din[k] = gi_gacc(g, nd->xs[k])) != NULL;
    if (any)
        op->bwd(op->ud, op->in, op->in_rows, op->in_cols, nd->n_xs, nd->value, nd->grad,
                nrows(g, nd), nd->cols, op->din);
}

/* ---- the table ---------------------------------------------------------------- */

#define LEAF(nm) {nm, GI_OP_LEAF, NULL, leaf_fwd, NULL}
#define OP(nm, fwd, bwd) {nm, 0, NULL, fwd, bwd}
#define LOSS(nm, scratch, fwd, bwd) {nm, GI_OP_LOSS, scratch, fwd, bwd}

const graph_op_class graph_ops[OP_COUNT] = {
    [OP_INPUT] = LEAF("input"),
    [OP_CONST] = LEAF("const"),
    [OP_PARAM] = LEAF("param"),
    [OP_MATMUL] = OP("matmul", matmul_fwd, matmul_bwd),
    [OP_DENSE] = OP("dense", dense_fwd, dense_bwd),
    [OP_BIAS] = OP("bias", bias_fwd, bias_bwd),
    [OP_ADD] = OP("add", add_fwd, addsub_bwd),
    [OP_SUB] = OP("sub", sub_fwd, addsub_bwd),
    [OP_MUL] = OP("mul", mul_fwd, mul_bwd),
    [OP_SCALE] = OP("scale", scale_fwd, scale_bwd),
    [OP_CONCAT] = OP("concat", concat_fwd, concat_bwd),
    [OP_SLICE_COLS] = OP("slice_cols", slice_fwd, slice_bwd),
    [OP_LINCOMB] = OP("lincomb", lincomb_fwd, lincomb_bwd),
    [OP_GATE] = OP("gate", gate_fwd, gate_bwd),
    [OP_SUM] = OP("sum", reduce_fwd, reduce_bwd),
    [OP_MEAN] = OP("mean", reduce_fwd, reduce_bwd),
    [OP_RELU] = OP("relu", relu_fwd, relu_bwd),
    [OP_LEAKY_RELU] = OP("leaky_relu", leaky_relu_fwd, leaky_relu_bwd),
    [OP_TANH] = OP("tanh", tanh_fwd, tanh_bwd),
    [OP_SIGMOID] = OP("sigmoid", sigmoid_fwd, sigmoid_bwd),
    [OP_GELU] = OP("gelu", gelu_fwd, gelu_bwd),
    [OP_SOFTMAX] = OP("softmax", softmax_fwd, softmax_bwd),
    [OP_DROPOUT] = {"dropout", 0, dropout_scratch, dropout_fwd, dropout_bwd},
    [OP_GRAD_REVERSE] = OP("grad_reverse", copy_fwd, grad_reverse_bwd),
    [OP_BATCHNORM] = {"batchnorm", 0, gi_batchnorm_scratch, gi_batchnorm_fwd, gi_batchnorm_bwd},
    [OP_LAYERNORM] = {"layernorm", 0, gi_layernorm_scratch, gi_layernorm_fwd, gi_layernorm_bwd},
    [OP_CONV2D] = {"conv2d", 0, gi_conv2d_scratch, gi_conv2d_fwd, gi_conv2d_bwd},
    [OP_MAXPOOL] = {"maxpool", 0, gi_maxpool_scratch, gi_maxpool_fwd, gi_maxpool_bwd},
    [OP_FLATTEN] = OP("flatten", copy_fwd, copy_bwd),
    [OP_CUSTOM] = OP("custom", custom_fwd, custom_bwd),
    [OP_LOSS_MSE] = LOSS("loss_mse", NULL, gi_loss_mse_fwd, gi_loss_mse_bwd),
    [OP_LOSS_L1] = LOSS("loss_l1", NULL, gi_loss_l1_fwd, gi_loss_l1_bwd),
    [OP_LOSS_HUBER] = LOSS("loss_huber", NULL, gi_loss_huber_fwd, gi_loss_huber_bwd),
    [OP_LOSS_SOFTMAX_CE] = LOSS("loss_softmax_ce", gi_loss_scratch, gi_loss_softmax_ce_fwd,
                                 gi_loss_softmax_ce_bwd),
    [OP_LOSS_BCE_LOGITS] = LOSS("loss_bce_logits", NULL, gi_loss_bce_logits_fwd, gi_loss_bce_logits_bwd),
};
