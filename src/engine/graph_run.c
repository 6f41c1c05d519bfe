/* graph_run.c - compiling a built graph (buffers for the largest batch,
 * the parameter arena) and running it forward. graph.c and graph_layers.c
 * build the graph; graph_backward.c differentiates it. */
#include "graph_impl.h"
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "core/rng.h"
#include "engine/kernels.h"

/* ---- compile ------------------------------------------------------------------- */

static size_t max_rows(const mt_graph *g, const graph_node *nd)
{
    return nd->batched ? (size_t)g->max_batch : (size_t)nd->rows;
}

static size_t aux_floats(const mt_graph *g, const graph_node *nd)
{
    size_t mb = (size_t)g->max_batch, full = max_rows(g, nd) * (size_t)nd->cols;
    switch (nd->op) {
    case OP_DROPOUT: return full;
    case OP_BATCHNORM: {
        size_t ch = nd->c > 0 ? (size_t)nd->c : (size_t)nd->cols;
        return full + 3 * ch; /* xhat, inv_std, mean, var */
    }
    case OP_LAYERNORM: return full + mb; /* xhat, inv_std */
    case OP_CONV2D: {
        const graph_node *x = &g->nodes[nd->in[0]];
        int k = nd->iv[0];
        return 2 * (size_t)x->c * k * k * (size_t)nd->h * nd->w; /* col, dcol */
    }
    case OP_LOSS_SOFTMAX_CE: {
        const graph_node *p = &g->nodes[nd->in[0]];
        return max_rows(g, p) * (size_t)p->cols; /* probs */
    }
    default: return 0;
    }
}

/* A compile that ran out of memory leaves the graph unusable: later
 * compiles report the same failure instead of half-allocating again. */
static mt_status compile_oom(mt_graph *g, int node)
{
    if (node < 0)
        graph_build_fail(g, MT_ERR_NOMEM, "graph_compile: out of memory for %zu parameters",
                   g->params.total);
    else
        graph_build_fail(g, MT_ERR_NOMEM, "graph_compile: out of memory for node %d (%s)", node,
                   graph_op_names[g->nodes[node].op]);
    return MT_ERR_NOMEM;
}

mt_status graph_compile(mt_graph *g, int max_batch)
{
    if (!g) return mt_fail(MT_ERR_ARG, "graph_compile: no graph");
    if (g->err) return mt_fail(g->err, "%s", g->errmsg);
    if (g->compiled) return mt_fail(MT_ERR_STATE, "graph_compile: already compiled");
    if (max_batch < 1) return mt_fail(MT_ERR_ARG, "graph_compile: max_batch %d < 1", max_batch);
    if (g->n == 0) return mt_fail(MT_ERR_STATE, "graph_compile: the graph has no nodes");
    g->max_batch = max_batch;
    if (params_alloc(&g->params) != MT_OK)
        return compile_oom(g, -1);
    g->mark = mt_calloc((size_t)g->n, 1);
    g->want = mt_calloc((size_t)g->n, 1);
    if (!g->mark || !g->want) return compile_oom(g, -1);
    for (int i = 0; i < g->n; i++) {
        graph_node *nd = &g->nodes[i];
        size_t sz = max_rows(g, nd) * (size_t)nd->cols * sizeof(float);
        if (nd->op == OP_PARAM) {
            nd->value = g->params.data + g->params.info[nd->param].offset;
        } else {
            nd->value = mt_alloc_aligned(sz);
            nd->grad = mt_alloc_aligned(sz);
            if (!nd->value || !nd->grad)
                return compile_oom(g, i);
        }
        nd->n_aux = aux_floats(g, nd);
        if (nd->n_aux && !(nd->aux = mt_alloc_aligned(nd->n_aux * sizeof(float))))
            return compile_oom(g, i);
        if (nd->op == OP_MAXPOOL) {
            nd->n_iaux = (size_t)g->max_batch * nd->cols;
            if (!(nd->iaux = mt_calloc(nd->n_iaux, sizeof *nd->iaux)))
                return compile_oom(g, i);
        }
    }
    g->batch = max_batch;
    g->pgrad = g->params.grad;
    g->gen = 1; /* nodes start at generation 0: nothing is computed yet */
    g->compiled = 1;
    return MT_OK;
}

static void fill_param(mt_graph *g, int idx, unsigned long long seed)
{
    const mt_param_info *pi = &g->params.info[idx];
    const graph_pinit *pin = &g->pinit[idx];
    float *d = g->params.data + pi->offset; /* (size) */
    float a = pin->init.a;
    mt_rng r;
    mt_rng_init(&r, seed, (uint64_t)idx);
    int rows = pi->shape[0], cols = (int)(pi->size / (size_t)rows);
    switch (pin->init.kind) {
    case MT_INIT_ZEROS:
    case MT_INIT_ONES:
    case MT_INIT_CONST: {
        float v = pin->init.kind == MT_INIT_ZEROS ? 0.0f : pin->init.kind == MT_INIT_ONES ? 1.0f : a;
        for (size_t i = 0; i < pi->size; i++) d[i] = v;
        break;
    }
    case MT_INIT_NORMAL:
        for (size_t i = 0; i < pi->size; i++) d[i] = (float)(a * mt_rng_normal(&r));
        break;
    case MT_INIT_UNIFORM:
        for (size_t i = 0; i < pi->size; i++) d[i] = (float)(a * (2.0 * mt_rng_uniform(&r) - 1.0));
        break;
    case MT_INIT_XAVIER: {
        double s = sqrt(6.0 / (double)(pin->fan_in + pin->fan_out));
        for (size_t i = 0; i < pi->size; i++) d[i] = (float)(s * (2.0 * mt_rng_uniform(&r) - 1.0));
        break;
    }
    case MT_INIT_HE: {
        double s = sqrt(2.0 / (double)pin->fan_in);
        for (size_t i = 0; i < pi->size; i++) d[i] = (float)(s * mt_rng_normal(&r));
        break;
    }
    case MT_INIT_IDENTITY: {
        float off = (pin->init.b != 0.0f && cols > 1) ? (1.0f - a) / (float)(cols - 1) : 0.0f;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) d[(size_t)i * cols + j] = i == j ? a : off;
        break;
    }
    }
}

void graph_init_params(mt_graph *g, unsigned long long seed)
{
    if (!g || !g->compiled) {
        mt_fail(MT_ERR_STATE, "graph_init_params: graph not compiled");
        return;
    }
    for (int i = 0; i < g->params.count; i++) fill_param(g, i, seed);
}

void graph_set_seed(mt_graph *g, unsigned long long seed)
{
    if (!g) return;
    mt_rng r;
    mt_rng_init(&r, seed, 0xd5095a5eULL);
    g->drop_key = mt_rng_u64(&r);
    g->drop_step = 0;
}

mt_status graph_set_batch(mt_graph *g, int batch)
{
    if (!g || !g->compiled) return mt_fail(MT_ERR_STATE, "graph_set_batch: graph not compiled");
    if (batch < 1 || batch > g->max_batch)
        return mt_fail(MT_ERR_ARG, "graph_set_batch: batch %d not in 1..%d", batch, g->max_batch);
    g->batch = batch;
    g->gen++; /* values computed for another batch size are stale */
    return MT_OK;
}

int graph_batch(const mt_graph *g) { return g ? g->batch : 0; }

/* ---- forward ------------------------------------------------------------------- */


static void forward_matmul(mt_graph *g, graph_node *nd)
{
    const graph_node *a = NODE(nd->in[0]), *b = NODE(nd->in[1]);
    int ta = nd->iv[0], tb = nd->iv[1];
    int ra = nrows(g, a), rb = nrows(g, b);
    int m = ta ? a->cols : ra, k = ta ? ra : a->cols, n = tb ? rb : b->cols;
    kern_gemm(ta, tb, m, n, k, 1.0f, a->value, a->cols, b->value, b->cols, 0.0f, nd->value, n,
              g->use_ref);
}

static void forward_conv(mt_graph *g, graph_node *nd)
{
    const graph_node *x = NODE(nd->in[0]);
    const float *w = VAL(nd->in[1]); /* (oc, c*k*k) */
    const float *bias = VAL(nd->in[2]); /* (oc) */
    int k = nd->iv[0], pad = nd->iv[1], oc = nd->c, ckk = x->c * k * k, plane = nd->h * nd->w;
    float *col = nd->aux; /* (c*k*k, oh*ow) */
    for (int b = 0; b < g->batch; b++) {
        float *y = nd->value + (size_t)b * nd->cols; /* (oc, oh*ow) */
        kern_im2col(col, x->value + (size_t)b * x->cols, x->c, x->h, x->w, k, pad);
        kern_gemm(0, 0, oc, plane, ckk, 1.0f, w, ckk, col, plane, 0.0f, y, plane, g->use_ref);
        for (int o = 0; o < oc; o++) {
            float *yo = y + (size_t)o * plane, bo = bias[o];
            for (int i = 0; i < plane; i++) yo[i] += bo;
        }
    }
}

static void forward_batchnorm(mt_graph *g, graph_node *nd, mt_mode mode)
{
    const graph_node *x = NODE(nd->in[0]);
    int ch = x->c > 0 ? x->c : x->cols, sp = x->c > 0 ? x->h * x->w : 1;
    size_t full = (size_t)g->max_batch * nd->cols;
    float *xhat = nd->aux, *inv_std = nd->aux + full, *mean = inv_std + ch, *var = mean + ch;
    float *rm = g->params.data + g->params.info[nd->param].offset;  /* (ch) */
    float *rv = g->params.data + g->params.info[nd->param2].offset; /* (ch) */
    const float *gamma = VAL(nd->in[1]), *beta = VAL(nd->in[2]);
    if (mode == MT_TRAIN) {
        kern_batchnorm_forward_train(nd->value, xhat, inv_std, mean, var, x->value, gamma, beta,
                                     g->batch, ch, sp, NORM_EPS);
        double cnt = (double)g->batch * sp;
        float unbias = cnt > 1 ? (float)(cnt / (cnt - 1)) : 1.0f;
        for (int c = 0; c < ch; c++) {
            rm[c] = (1.0f - BN_MOMENTUM) * rm[c] + BN_MOMENTUM * mean[c];
            rv[c] = (1.0f - BN_MOMENTUM) * rv[c] + BN_MOMENTUM * var[c] * unbias;
        }
    } else {
        kern_batchnorm_forward_eval(nd->value, xhat, inv_std, x->value, gamma, beta, rm, rv,
                                    g->batch, ch, sp, NORM_EPS);
    }
}

/* The dropout key of node i in the current pass: a pure function of the
 * graph seed, the node and the pass number, so any mask can be recomputed. */
static uint64_t dropout_key(const mt_graph *g, int i)
{
    return mt_rng_hash(g->drop_key ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL), g->drop_step);
}

static void loss_forward(mt_graph *g, int i, graph_node *nd)
{
    const graph_node *p = NODE(nd->in[0]);
    const float *t = VAL(nd->in[1]);
    const float *m = nd->in[2] == MT_NONE ? NULL : VAL(nd->in[2]);
    int rows = nrows(g, p), cols = p->cols, bad = 0;
    double den = 0.0, num = 0.0;
    switch (nd->op) {
    case OP_LOSS_MSE: num = kern_mse_forward(p->value, t, m, rows, cols, &den); break;
    case OP_LOSS_L1: num = kern_l1_forward(p->value, t, m, rows, cols, &den); break;
    case OP_LOSS_HUBER:
        num = kern_huber_forward(p->value, t, m, rows, cols, nd->f[0], &den);
        break;
    case OP_LOSS_SOFTMAX_CE:
        num = kern_softmax_ce_forward(nd->aux, p->value, t, m, rows, cols, &den, &bad);
        break;
    case OP_LOSS_BCE_LOGITS: num = kern_bce_logits_forward(p->value, t, m, rows, cols, &den); break;
    default: break;
    }
    nd->f[1] = (float)den;
    nd->value[0] = den > 0.0 ? (float)(num / den) : 0.0f;
    if (bad) {
        /* the loss is NaN already; leave the trainer a message naming the row */
        for (int b = 0; b < rows; b++) {
            float tb = t[b];
            if ((m && m[b] == 0.0f) || (tb >= 0.0f && tb < (float)cols && tb == floorf(tb)))
                continue;
            mt_fail(MT_ERR_NUMERIC,
                    "loss_softmax_ce (node %d): target %g at row %d is not a class in 0..%d "
                    "(%d bad rows); the loss is NaN",
                    i, (double)tb, b, cols - 1, bad);
            break;
        }
    }
}

/* Points the op's argument arrays at the operands of this pass (batched
 * operands have the current batch as rows). */
void gi_custom_args(mt_graph *g, graph_node *nd)
{
    graph_custom_op *op = nd->cust;
    for (int k = 0; k < nd->n_xs; k++) {
        const graph_node *x = NODE(nd->xs[k]);
        op->in[k] = x->value;
        op->in_rows[k] = nrows(g, x);
    }
}

static void node_forward(mt_graph *g, int i, mt_mode mode)
{
    graph_node *nd = NODE(i);
    size_t n = nelem(g, nd);
    float *y = nd->value;
    const float *x = nd->n_in > 0 && nd->in[0] != MT_NONE ? VAL(nd->in[0]) : NULL;
    switch (nd->op) {
    case OP_INPUT:
    case OP_CONST:
    case OP_PARAM: break;
    case OP_MATMUL: forward_matmul(g, nd); break;
    case OP_DENSE: {
        const graph_node *xn = NODE(nd->in[0]);
        int rows = nrows(g, xn), in = xn->cols, out = nd->cols;
        kern_gemm(0, 1, rows, out, in, 1.0f, x, in, VAL(nd->in[1]), in, 0.0f, y, out, g->use_ref);
        break;
    }
    case OP_BIAS: kern_bias_forward(y, x, VAL(nd->in[1]), nrows(g, nd), nd->cols); break;
    case OP_ADD: kern_add_forward(y, x, VAL(nd->in[1]), n); break;
    case OP_SUB: kern_sub_forward(y, x, VAL(nd->in[1]), n); break;
    case OP_MUL: kern_mul_forward(y, x, VAL(nd->in[1]), n); break;
    case OP_SCALE: kern_scale_forward(y, x, nd->f[0], n); break;
    case OP_CONCAT: {
        int rows = nrows(g, nd), off = 0;
        for (int k = 0; k < nd->n_xs; k++) {
            const graph_node *xk = NODE(nd->xs[k]);
            for (int r = 0; r < rows; r++)
                memcpy(y + (size_t)r * nd->cols + off, xk->value + (size_t)r * xk->cols,
                       (size_t)xk->cols * sizeof *y);
            off += xk->cols;
        }
        break;
    }
    case OP_SLICE_COLS: {
        int rows = nrows(g, nd), xc = NODE(nd->in[0])->cols;
        for (int r = 0; r < rows; r++)
            memcpy(y + (size_t)r * nd->cols, x + (size_t)r * xc + nd->iv[0],
                   (size_t)nd->cols * sizeof *y);
        break;
    }
    case OP_LINCOMB: {
        const graph_node *cn = NODE(nd->in[0]);
        const float *cf = cn->value + (size_t)nd->iv[0] * cn->cols + nd->iv[1];
        kern_scale_forward(y, VAL(nd->xs[0]), cf[0], n);
        for (int k = 1; k < nd->n_xs; k++) kern_axpy(y, VAL(nd->xs[k]), cf[k], n);
        break;
    }
    case OP_GATE: {
        int rows = g->batch, d = nd->cols, ne = nd->n_xs;
        for (int b = 0; b < rows; b++) {
            float *yb = y + (size_t)b * d;
            const float *gb = x + (size_t)b * ne; /* (ne) */
            memset(yb, 0, (size_t)d * sizeof *yb);
            for (int e = 0; e < ne; e++) kern_axpy(yb, VAL(nd->xs[e]) + (size_t)b * d, gb[e], (size_t)d);
        }
        break;
    }
    case OP_SUM:
    case OP_MEAN: {
        size_t m = nelem(g, NODE(nd->in[0]));
        double s = 0.0;
        for (size_t k = 0; k < m; k++) s += x[k];
        y[0] = (float)(nd->op == OP_MEAN ? s / (double)m : s);
        break;
    }
    case OP_RELU: kern_relu_forward(y, x, n); break;
    case OP_LEAKY_RELU: kern_leaky_relu_forward(y, x, nd->f[0], n); break;
    case OP_TANH: kern_tanh_forward(y, x, n); break;
    case OP_SIGMOID: kern_sigmoid_forward(y, x, n); break;
    case OP_GELU: kern_gelu_forward(y, x, n); break;
    case OP_SOFTMAX: kern_softmax_forward(y, x, nrows(g, nd), nd->cols); break;
    case OP_DROPOUT:
        if (mode == MT_TRAIN && nd->f[0] > 0.0f) {
            kern_dropout_mask(nd->aux, n, nd->f[0], dropout_key(g, i));
            kern_mul_forward(y, x, nd->aux, n);
        } else {
            memcpy(y, x, n * sizeof *y);
        }
        break;
    case OP_GRAD_REVERSE:
    case OP_FLATTEN: memcpy(y, x, n * sizeof *y); break;
    case OP_BATCHNORM: forward_batchnorm(g, nd, mode); break;
    case OP_LAYERNORM: {
        size_t full = (size_t)g->max_batch * nd->cols;
        kern_layernorm_forward(y, nd->aux, nd->aux + full, x, VAL(nd->in[1]), VAL(nd->in[2]),
                               nrows(g, nd), nd->cols, NORM_EPS);
        break;
    }
    case OP_CONV2D: forward_conv(g, nd); break;
    case OP_CUSTOM:
        gi_custom_args(g, nd);
        nd->cust->fwd(nd->cust->ud, nd->cust->in, nd->cust->in_rows, nd->cust->in_cols, nd->n_xs,
                      y, nrows(g, nd), nd->cols);
        break;
    case OP_MAXPOOL: {
        const graph_node *xn = NODE(nd->in[0]);
        for (int b = 0; b < g->batch; b++)
            kern_maxpool_forward(y + (size_t)b * nd->cols, nd->iaux + (size_t)b * nd->cols,
                                 x + (size_t)b * xn->cols, xn->c, xn->h, xn->w, nd->iv[0]);
        break;
    }
    case OP_LOSS_MSE:
    case OP_LOSS_L1:
    case OP_LOSS_HUBER:
    case OP_LOSS_SOFTMAX_CE:
    case OP_LOSS_BCE_LOGITS: loss_forward(g, i, nd); break;
    case OP_COUNT: break;
    }
    nd->gen = g->gen;
}

int gi_node_input(const graph_node *nd, int k)
{
    return k < nd->n_in ? nd->in[k] : nd->xs[k - nd->n_in];
}

void graph_mark_ancestors(mt_graph *g, const mt_node *roots, int n, mt_node stop)
{
    memset(g->mark, 0, (size_t)g->n);
    int top = -1;
    for (int k = 0; k < n; k++) {
        if (roots[k] < 0 || roots[k] >= g->n) continue;
        g->mark[roots[k]] = 1;
        if (roots[k] > top) top = roots[k];
    }
    for (int i = top; i >= 0; i--) {
        if (!g->mark[i] || i == stop) continue;
        const graph_node *nd = NODE(i);
        int m = nd->n_in + nd->n_xs;
        for (int k = 0; k < m; k++) {
            int j = gi_node_input(nd, k);
            if (j != MT_NONE) g->mark[j] = 1;
        }
    }
}

static void run_forward(mt_graph *g, mt_mode mode, const unsigned char *only)
{
    g->gen++;
    g->mode = mode;
    if (mode == MT_TRAIN) g->drop_step++;
    for (int i = 0; i < g->n; i++) {
        if (only && !only[i]) continue;
        node_forward(g, i, mode);
    }
}

void graph_forward(mt_graph *g, mt_mode mode)
{
    if (!g || !g->compiled) {
        mt_fail(MT_ERR_STATE, "graph_forward: graph not compiled");
        return;
    }
    run_forward(g, mode, NULL);
}

void graph_forward_to(mt_graph *g, mt_node target, mt_mode mode)
{
    if (!g || !g->compiled) {
        mt_fail(MT_ERR_STATE, "graph_forward_to: graph not compiled");
        return;
    }
    if (target < 0 || target >= g->n) {
        mt_fail(MT_ERR_ARG, "graph_forward_to: node %d does not exist", target);
        return;
    }
    graph_mark_ancestors(g, &target, 1, MT_NONE);
    run_forward(g, mode, g->mark);
}
