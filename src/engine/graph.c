/* graph.c - building, compiling and running the static graph (graph.h).
 *
 * Building appends nodes (creation order is a topological order) and
 * registers parameters in the arena. Compiling allocates every buffer for
 * the largest batch, so forward and backward never allocate. Backward walks
 * the nodes in reverse, touching only ancestors of the losses that lead to
 * something wanting a gradient. */
#include "graph_impl.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "engine/kernels.h"

#define NORM_EPS 1e-5f
#define BN_MOMENTUM 0.1f

static const char *const op_names[OP_COUNT] = {
    [OP_INPUT] = "input",
    [OP_CONST] = "const",
    [OP_PARAM] = "param",
    [OP_MATMUL] = "matmul",
    [OP_DENSE] = "dense",
    [OP_BIAS] = "bias",
    [OP_ADD] = "add",
    [OP_SUB] = "sub",
    [OP_MUL] = "mul",
    [OP_SCALE] = "scale",
    [OP_CONCAT] = "concat",
    [OP_SLICE_COLS] = "slice_cols",
    [OP_LINCOMB] = "lincomb",
    [OP_GATE] = "gate",
    [OP_SUM] = "sum",
    [OP_MEAN] = "mean",
    [OP_RELU] = "relu",
    [OP_LEAKY_RELU] = "leaky_relu",
    [OP_TANH] = "tanh",
    [OP_SIGMOID] = "sigmoid",
    [OP_GELU] = "gelu",
    [OP_SOFTMAX] = "softmax",
    [OP_DROPOUT] = "dropout",
    [OP_GRAD_REVERSE] = "grad_reverse",
    [OP_BATCHNORM] = "batchnorm",
    [OP_LAYERNORM] = "layernorm",
    [OP_CONV2D] = "conv2d",
    [OP_MAXPOOL] = "maxpool",
    [OP_FLATTEN] = "flatten",
    [OP_CUSTOM] = "custom",
    [OP_LOSS_MSE] = "loss_mse",
    [OP_LOSS_L1] = "loss_l1",
    [OP_LOSS_HUBER] = "loss_huber",
    [OP_LOSS_SOFTMAX_CE] = "loss_softmax_ce",
    [OP_LOSS_BCE_LOGITS] = "loss_bce_logits",
};

static int is_leaf(graph_op op) { return op == OP_INPUT || op == OP_CONST || op == OP_PARAM; }

/* ---- construction helpers ------------------------------------------------ */

mt_graph *graph_new(void)
{
    mt_graph *g = mt_calloc(1, sizeof *g);
    if (!g) return NULL;
    params_init(&g->params);
    g->mode = MT_EVAL;
    graph_set_seed(g, 0);
    return g;
}

void graph_free(mt_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++) {
        graph_node *nd = &g->nodes[i];
        mt_free(nd->xs);
        if (nd->op != OP_PARAM) mt_free(nd->value);
        mt_free(nd->grad);
        mt_free(nd->aux);
        mt_free(nd->iaux);
        if (nd->cust) {
            mt_free(nd->cust->in);
            mt_free(nd->cust->in_rows);
            mt_free(nd->cust->in_cols);
            mt_free(nd->cust->din);
            mt_free(nd->cust);
        }
    }
    mt_free(g->nodes);
    mt_free(g->pinit);
    mt_free(g->mark);
    mt_free(g->want);
    params_free(&g->params);
    mt_free(g);
}

/* Records the first build error; later ones are consequences of it. */
static mt_node build_fail(mt_graph *g, mt_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static mt_node build_fail(mt_graph *g, mt_status s, const char *fmt, ...)
{
    if (g->err != MT_OK) return MT_NONE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->errmsg, sizeof g->errmsg, fmt, ap);
    va_end(ap);
    g->err = s;
    mt_fail(s, "%s", g->errmsg);
    return MT_NONE;
}

/* 1 when `n` can be used as an operand of builder `what`; otherwise records
 * why (unless an earlier error explains it) and returns 0. */
static int operand_ok(mt_graph *g, const char *what, mt_node n)
{
    if (!g) return 0;
    if (n == MT_NONE) {
        build_fail(g, MT_ERR_ARG, "%s: an operand is missing (MT_NONE)", what);
        return 0;
    }
    if (n < 0 || n >= g->n) {
        build_fail(g, MT_ERR_ARG, "%s: node %d does not exist (graph has %d nodes)", what, n,
                   g->n);
        return 0;
    }
    return 1;
}

static const char *shape_str(const graph_node *nd, char *buf, size_t cap)
{
    if (nd->batched)
        snprintf(buf, cap, "(B, %d)", nd->cols);
    else
        snprintf(buf, cap, "(%d, %d)", nd->rows, nd->cols);
    return buf;
}

/* "trunk.0.weight" for named nodes, "node 7 (relu)" otherwise. */
static const char *node_desc(const mt_graph *g, mt_node n, char *buf, size_t cap)
{
    const graph_node *nd = &g->nodes[n];
    if (nd->name[0])
        snprintf(buf, cap, "%s", nd->name);
    else
        snprintf(buf, cap, "node %d (%s)", n, op_names[nd->op]);
    return buf;
}

static int same_shape(const graph_node *a, const graph_node *b)
{
    return a->batched == b->batched && a->cols == b->cols && (a->batched || a->rows == b->rows);
}

static void copy_image(graph_node *dst, const graph_node *src)
{
    dst->c = src->c;
    dst->h = src->h;
    dst->w = src->w;
}

/* Appends a node; returns its index or MT_NONE. */
static mt_node push(mt_graph *g, graph_op op, int batched, int rows, int cols)
{
    if (g->compiled)
        return build_fail(g, MT_ERR_STATE, "%s: cannot add nodes after graph_compile",
                          op_names[op]);
    if (cols <= 0 || (!batched && rows <= 0))
        return build_fail(g, MT_ERR_SHAPE, "%s: empty shape (%d, %d)", op_names[op],
                          batched ? -1 : rows, cols);
    if (mt_grow((void **)&g->nodes, &g->cap, (size_t)g->n + 1, sizeof *g->nodes) != MT_OK)
        return build_fail(g, MT_ERR_NOMEM, "%s: out of memory", op_names[op]);
    graph_node *nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->batched = batched;
    nd->rows = batched ? 0 : rows;
    nd->cols = cols;
    nd->param = nd->param2 = -1;
    for (int i = 0; i < GRAPH_MAX_IN; i++) nd->in[i] = MT_NONE;
    return g->n++;
}

static mt_node push1(mt_graph *g, graph_op op, mt_node x)
{
    const graph_node *a = &g->nodes[x];
    int batched = a->batched, rows = a->rows, cols = a->cols;
    mt_node n = push(g, op, batched, rows, cols);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 1;
    g->nodes[n].in[0] = x;
    return n;
}

static int name_taken(const mt_graph *g, const char *name)
{
    return graph_find(g, name) != MT_NONE || params_find(&g->params, name) >= 0;
}

static mt_node leaf(mt_graph *g, graph_op op, const char *what, const char *name, int batched,
                    int rows, int cols)
{
    if (!g) return MT_NONE;
    if (!name || !name[0]) return build_fail(g, MT_ERR_ARG, "%s: a name is required", what);
    if (strlen(name) >= MT_PARAM_NAME)
        return build_fail(g, MT_ERR_ARG, "%s %s: name longer than %d bytes", what, name,
                          MT_PARAM_NAME - 1);
    if (name_taken(g, name)) return build_fail(g, MT_ERR_ARG, "%s %s: name used twice", what, name);
    if (cols <= 0 || (!batched && rows <= 0))
        return build_fail(g, MT_ERR_SHAPE, "%s %s: bad shape (%d, %d)", what, name,
                          batched ? -1 : rows, cols);
    mt_node n = push(g, op, batched, rows, cols);
    if (n == MT_NONE) return MT_NONE;
    strcpy(g->nodes[n].name, name);
    return n;
}

/* ---- leaves ---------------------------------------------------------------- */

mt_node graph_input(mt_graph *g, const char *name, int cols)
{
    return leaf(g, OP_INPUT, "input", name, 1, 0, cols);
}

mt_node graph_input_image(mt_graph *g, const char *name, int c, int h, int w)
{
    if (!g) return MT_NONE;
    if (c <= 0 || h <= 0 || w <= 0 || (long long)c * h * w > INT_MAX / 2)
        return build_fail(g, MT_ERR_SHAPE, "input %s: bad image shape (%d, %d, %d)",
                          name ? name : "?", c, h, w);
    mt_node n = leaf(g, OP_INPUT, "input", name, 1, 0, c * h * w);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].c = c;
    g->nodes[n].h = h;
    g->nodes[n].w = w;
    return n;
}

mt_node graph_const(mt_graph *g, const char *name, int rows, int cols)
{
    return leaf(g, OP_CONST, "const", name, 0, rows, cols);
}

/* Registers an arena entry with its init recipe; -1 on error (recorded). */
static int add_param(mt_graph *g, const char *name, int ndim, const int *shape, mt_init init,
                     int fan_in, int fan_out, int group, int decay)
{
    if (g->compiled) {
        build_fail(g, MT_ERR_STATE, "param %s: cannot add parameters after graph_compile", name);
        return -1;
    }
    if (graph_find(g, name) != MT_NONE) {
        build_fail(g, MT_ERR_ARG, "param %s: name used twice", name);
        return -1;
    }
    int idx = params_add(&g->params, name, ndim, shape, group, decay);
    if (idx < 0) {
        build_fail(g, mt_last_status() ? mt_last_status() : MT_ERR_ARG, "%s", mt_last_error());
        return -1;
    }
    if (mt_grow((void **)&g->pinit, &g->pinit_cap, (size_t)idx + 1, sizeof *g->pinit) != MT_OK) {
        build_fail(g, MT_ERR_NOMEM, "param %s: out of memory", name);
        return -1;
    }
    g->pinit[idx].init = init;
    g->pinit[idx].fan_in = fan_in;
    g->pinit[idx].fan_out = fan_out;
    return idx;
}

static mt_node param_node(mt_graph *g, const char *name, int rows, int cols, int ndim,
                          const int *shape, mt_init init, int fan_in, int fan_out, int group,
                          int decay)
{
    if (!name || !name[0]) return build_fail(g, MT_ERR_ARG, "param: a name is required");
    if (rows <= 0 || cols <= 0)
        return build_fail(g, MT_ERR_SHAPE, "param %s: bad shape (%d, %d)", name, rows, cols);
    int idx = add_param(g, name, ndim, shape, init, fan_in, fan_out, group, decay);
    if (idx < 0) return MT_NONE;
    mt_node n = push(g, OP_PARAM, 0, rows, cols);
    if (n == MT_NONE) return MT_NONE;
    strcpy(g->nodes[n].name, name);
    g->nodes[n].param = idx;
    return n;
}

mt_node graph_param(mt_graph *g, const char *name, int rows, int cols, mt_init init, int group,
                    int decay)
{
    if (!g) return MT_NONE;
    int shape[2] = {rows, cols};
    return param_node(g, name, rows, cols, 2, shape, init, cols, rows, group, decay);
}

/* ---- linear algebra --------------------------------------------------------- */

/* Shape of op(x) with -1 standing for the batch dimension. */
static void op_dims(const graph_node *x, int trans, int *r, int *c)
{
    int xr = x->batched ? -1 : x->rows;
    *r = trans ? x->cols : xr;
    *c = trans ? xr : x->cols;
}

mt_node graph_matmul(mt_graph *g, mt_node a, mt_node b, int trans_a, int trans_b)
{
    if (!operand_ok(g, "matmul", a) || !operand_ok(g, "matmul", b)) return MT_NONE;
    char sa[40], sb[40];
    int ar, ac, br, bc;
    op_dims(&g->nodes[a], trans_a, &ar, &ac);
    op_dims(&g->nodes[b], trans_b, &br, &bc);
    if (ac != br)
        return build_fail(g, MT_ERR_SHAPE,
                          "matmul: op(a) of %s%s and op(b) of %s%s do not chain", 
                          shape_str(&g->nodes[a], sa, sizeof sa), trans_a ? "^T" : "",
                          shape_str(&g->nodes[b], sb, sizeof sb), trans_b ? "^T" : "");
    if (bc < 0)
        return build_fail(g, MT_ERR_SHAPE,
                          "matmul: the result of %s%s times %s%s would have B columns",
                          shape_str(&g->nodes[a], sa, sizeof sa), trans_a ? "^T" : "",
                          shape_str(&g->nodes[b], sb, sizeof sb), trans_b ? "^T" : "");
    mt_node n = push(g, OP_MATMUL, ar < 0, ar, bc);
    if (n == MT_NONE) return MT_NONE;
    graph_node *nd = &g->nodes[n];
    nd->n_in = 2;
    nd->in[0] = a;
    nd->in[1] = b;
    nd->iv[0] = trans_a ? 1 : 0;
    nd->iv[1] = trans_b ? 1 : 0;
    return n;
}

mt_node graph_dense(mt_graph *g, mt_node x, mt_node w)
{
    if (!operand_ok(g, "dense", x) || !operand_ok(g, "dense", w)) return MT_NONE;
    const graph_node *xn = &g->nodes[x], *wn = &g->nodes[w];
    char d[MT_PARAM_NAME + 32];
    if (wn->batched)
        return build_fail(g, MT_ERR_SHAPE, "dense: weight %s is batched; expected (out, in)",
                          node_desc(g, w, d, sizeof d));
    if (xn->cols != wn->cols)
        return build_fail(g, MT_ERR_SHAPE, "dense: input has %d columns but weight %s expects %d",
                          xn->cols, node_desc(g, w, d, sizeof d), wn->cols);
    mt_node n = push(g, OP_DENSE, xn->batched, xn->rows, wn->rows);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 2;
    g->nodes[n].in[0] = x;
    g->nodes[n].in[1] = w;
    return n;
}

mt_node graph_bias(mt_graph *g, mt_node x, mt_node b)
{
    if (!operand_ok(g, "bias", x) || !operand_ok(g, "bias", b)) return MT_NONE;
    const graph_node *xn = &g->nodes[x], *bn = &g->nodes[b];
    char d[MT_PARAM_NAME + 32], s[40];
    if (bn->batched || bn->rows != 1 || bn->cols != xn->cols)
        return build_fail(g, MT_ERR_SHAPE, "bias: input has %d columns but bias %s is %s",
                          xn->cols, node_desc(g, b, d, sizeof d), shape_str(bn, s, sizeof s));
    mt_node n = push1(g, OP_BIAS, x);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 2;
    g->nodes[n].in[1] = b;
    copy_image(&g->nodes[n], &g->nodes[x]);
    return n;
}

mt_node graph_linear(mt_graph *g, mt_node x, int out, const char *prefix, int group)
{
    if (!operand_ok(g, "linear", x)) return MT_NONE;
    if (!prefix) return build_fail(g, MT_ERR_ARG, "linear: a prefix is required");
    if (out <= 0) return build_fail(g, MT_ERR_SHAPE, "linear %s: %d outputs", prefix, out);
    char nm[MT_PARAM_NAME + 16];
    int in = g->nodes[x].cols;
    snprintf(nm, sizeof nm, "%s.weight", prefix);
    mt_node w = graph_param(g, nm, out, in, (mt_init){MT_INIT_XAVIER, 0, 0}, group, 1);
    snprintf(nm, sizeof nm, "%s.bias", prefix);
    mt_node b = graph_param(g, nm, 1, out, (mt_init){MT_INIT_ZEROS, 0, 0}, group, 0);
    if (w == MT_NONE || b == MT_NONE) return MT_NONE;
    return graph_bias(g, graph_dense(g, x, w), b);
}

/* ---- elementwise and structure ------------------------------------------------ */

static mt_node binary(mt_graph *g, graph_op op, mt_node a, mt_node b)
{
    if (!operand_ok(g, op_names[op], a) || !operand_ok(g, op_names[op], b)) return MT_NONE;
    const graph_node *an = &g->nodes[a], *bn = &g->nodes[b];
    char sa[40], sb[40];
    if (!same_shape(an, bn))
        return build_fail(g, MT_ERR_SHAPE, "%s: shapes %s and %s differ", op_names[op],
                          shape_str(an, sa, sizeof sa), shape_str(bn, sb, sizeof sb));
    mt_node n = push1(g, op, a);
    if (n == MT_NONE) return MT_NONE;
    graph_node *nd = &g->nodes[n];
    nd->n_in = 2;
    nd->in[1] = b;
    an = &g->nodes[a];
    bn = &g->nodes[b];
    if (an->c == bn->c && an->h == bn->h && an->w == bn->w) copy_image(nd, an);
    return n;
}

mt_node graph_add(mt_graph *g, mt_node a, mt_node b) { return binary(g, OP_ADD, a, b); }
mt_node graph_sub(mt_graph *g, mt_node a, mt_node b) { return binary(g, OP_SUB, a, b); }
mt_node graph_mul(mt_graph *g, mt_node a, mt_node b) { return binary(g, OP_MUL, a, b); }

/* A unary op keeping the shape and image layout of x. */
static mt_node unary(mt_graph *g, graph_op op, mt_node x)
{
    if (!operand_ok(g, op_names[op], x)) return MT_NONE;
    mt_node n = push1(g, op, x);
    if (n == MT_NONE) return MT_NONE;
    copy_image(&g->nodes[n], &g->nodes[x]);
    return n;
}

mt_node graph_scale(mt_graph *g, mt_node a, float s)
{
    mt_node n = unary(g, OP_SCALE, a);
    if (n != MT_NONE) g->nodes[n].f[0] = s;
    return n;
}

/* Copies the operand list of a variadic op after checking every entry. */
static mt_node *copy_operands(mt_graph *g, const char *what, const mt_node *xs, int n)
{
    if (!g) return NULL;
    if (!xs || n < 1) {
        build_fail(g, MT_ERR_ARG, "%s: needs at least one operand, got %d", what, n);
        return NULL;
    }
    for (int k = 0; k < n; k++)
        if (!operand_ok(g, what, xs[k])) return NULL;
    mt_node *c = mt_alloc((size_t)n * sizeof *c);
    if (!c) {
        build_fail(g, MT_ERR_NOMEM, "%s: out of memory", what);
        return NULL;
    }
    memcpy(c, xs, (size_t)n * sizeof *c);
    return c;
}

static mt_node push_variadic(mt_graph *g, graph_op op, mt_node *xs, int n, int batched, int rows,
                             int cols)
{
    mt_node id = push(g, op, batched, rows, cols);
    if (id == MT_NONE) {
        mt_free(xs);
        return MT_NONE;
    }
    g->nodes[id].xs = xs;
    g->nodes[id].n_xs = n;
    return id;
}

mt_node graph_concat(mt_graph *g, const mt_node *xs, int n)
{
    mt_node *c = copy_operands(g, "concat", xs, n);
    if (!c) return MT_NONE;
    const graph_node *x0 = &g->nodes[c[0]];
    int cols = 0;
    char s0[40], sk[40];
    for (int k = 0; k < n; k++) {
        const graph_node *xk = &g->nodes[c[k]];
        if (xk->batched != x0->batched || (!x0->batched && xk->rows != x0->rows)) {
            mt_free(c);
            return build_fail(g, MT_ERR_SHAPE, "concat: operand %d is %s but operand 0 is %s", k,
                              shape_str(xk, sk, sizeof sk), shape_str(x0, s0, sizeof s0));
        }
        cols += xk->cols;
    }
    return push_variadic(g, OP_CONCAT, c, n, x0->batched, x0->rows, cols);
}

mt_node graph_slice_cols(mt_graph *g, mt_node x, int start, int count)
{
    if (!operand_ok(g, "slice_cols", x)) return MT_NONE;
    const graph_node *xn = &g->nodes[x];
    if (start < 0 || count < 1 || start > xn->cols - count)
        return build_fail(g, MT_ERR_SHAPE, "slice_cols: columns [%d, %d) outside 0..%d", start,
                          start + count, xn->cols);
    mt_node n = push(g, OP_SLICE_COLS, xn->batched, xn->rows, count);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 1;
    g->nodes[n].in[0] = x;
    g->nodes[n].iv[0] = start;
    return n;
}

mt_node graph_lincomb(mt_graph *g, const mt_node *xs, int n, mt_node coef, int row, int offset)
{
    if (!operand_ok(g, "lincomb", coef)) return MT_NONE;
    mt_node *c = copy_operands(g, "lincomb", xs, n);
    if (!c) return MT_NONE;
    const graph_node *x0 = &g->nodes[c[0]], *cn = &g->nodes[coef];
    char s0[40], sk[40];
    for (int k = 1; k < n; k++)
        if (!same_shape(&g->nodes[c[k]], x0)) {
            const graph_node *xk = &g->nodes[c[k]];
            mt_free(c);
            return build_fail(g, MT_ERR_SHAPE, "lincomb: operand %d is %s but operand 0 is %s",
                              k, shape_str(xk, sk, sizeof sk), shape_str(x0, s0, sizeof s0));
        }
    if (cn->batched || row < 0 || row >= cn->rows || offset < 0 || offset > cn->cols - n) {
        mt_free(c);
        return build_fail(g, MT_ERR_SHAPE,
                          "lincomb: coefficients %s cannot supply row %d, columns %d..%d",
                          shape_str(cn, s0, sizeof s0), row, offset, offset + n - 1);
    }
    mt_node id = push_variadic(g, OP_LINCOMB, c, n, x0->batched, x0->rows, x0->cols);
    if (id == MT_NONE) return MT_NONE;
    graph_node *nd = &g->nodes[id];
    nd->n_in = 1;
    nd->in[0] = coef;
    nd->iv[0] = row;
    nd->iv[1] = offset;
    copy_image(nd, &g->nodes[nd->xs[0]]);
    return id;
}

mt_node graph_gate(mt_graph *g, const mt_node *xs, int n, mt_node gate)
{
    if (!operand_ok(g, "gate", gate)) return MT_NONE;
    mt_node *c = copy_operands(g, "gate", xs, n);
    if (!c) return MT_NONE;
    const graph_node *x0 = &g->nodes[c[0]], *gn = &g->nodes[gate];
    char s0[40], sk[40];
    if (!gn->batched || gn->cols != n) {
        mt_free(c);
        return build_fail(g, MT_ERR_SHAPE, "gate: gate is %s but %d experts need (B, %d)",
                          shape_str(gn, s0, sizeof s0), n, n);
    }
    for (int k = 0; k < n; k++) {
        const graph_node *xk = &g->nodes[c[k]];
        if (!xk->batched || xk->cols != x0->cols) {
            mt_free(c);
            return build_fail(g, MT_ERR_SHAPE, "gate: expert %d is %s but expert 0 is %s", k,
                              shape_str(xk, sk, sizeof sk), shape_str(x0, s0, sizeof s0));
        }
    }
    mt_node id = push_variadic(g, OP_GATE, c, n, 1, 0, x0->cols);
    if (id == MT_NONE) return MT_NONE;
    g->nodes[id].n_in = 1;
    g->nodes[id].in[0] = gate;
    return id;
}

static mt_node reduce(mt_graph *g, graph_op op, mt_node x)
{
    if (!operand_ok(g, op_names[op], x)) return MT_NONE;
    mt_node n = push(g, op, 0, 1, 1);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 1;
    g->nodes[n].in[0] = x;
    return n;
}

mt_node graph_sum(mt_graph *g, mt_node x) { return reduce(g, OP_SUM, x); }
mt_node graph_mean(mt_graph *g, mt_node x) { return reduce(g, OP_MEAN, x); }

/* ---- activations ------------------------------------------------------------ */

mt_node graph_relu(mt_graph *g, mt_node x) { return unary(g, OP_RELU, x); }
mt_node graph_tanh(mt_graph *g, mt_node x) { return unary(g, OP_TANH, x); }
mt_node graph_sigmoid(mt_graph *g, mt_node x) { return unary(g, OP_SIGMOID, x); }
mt_node graph_gelu(mt_graph *g, mt_node x) { return unary(g, OP_GELU, x); }

mt_node graph_leaky_relu(mt_graph *g, mt_node x, float slope)
{
    mt_node n = unary(g, OP_LEAKY_RELU, x);
    if (n != MT_NONE) g->nodes[n].f[0] = slope;
    return n;
}

mt_node graph_softmax(mt_graph *g, mt_node x)
{
    if (!operand_ok(g, "softmax", x)) return MT_NONE;
    return push1(g, OP_SOFTMAX, x);
}

mt_node graph_dropout(mt_graph *g, mt_node x, float p)
{
    if (!operand_ok(g, "dropout", x)) return MT_NONE;
    if (!(p >= 0.0f && p < 1.0f))
        return build_fail(g, MT_ERR_ARG, "dropout: p = %g not in [0, 1)", (double)p);
    mt_node n = unary(g, OP_DROPOUT, x);
    if (n != MT_NONE) g->nodes[n].f[0] = p;
    return n;
}

mt_node graph_grad_reverse(mt_graph *g, mt_node x, float lambda)
{
    mt_node n = unary(g, OP_GRAD_REVERSE, x);
    if (n != MT_NONE) g->nodes[n].f[0] = lambda;
    return n;
}

/* ---- normalisation ------------------------------------------------------------- */

static mt_node norm_param(mt_graph *g, const char *prefix, const char *suffix, int n,
                          mt_init_kind kind, int group)
{
    char nm[MT_PARAM_NAME + 32];
    snprintf(nm, sizeof nm, "%s.%s", prefix, suffix);
    int shape[2] = {1, n};
    return param_node(g, nm, 1, n, 2, shape, (mt_init){kind, 0, 0}, n, n, group, 0);
}

mt_node graph_batchnorm(mt_graph *g, mt_node x, const char *prefix, int group)
{
    if (!operand_ok(g, "batchnorm", x)) return MT_NONE;
    if (!prefix) return build_fail(g, MT_ERR_ARG, "batchnorm: a prefix is required");
    const graph_node *xn = &g->nodes[x];
    if (!xn->batched)
        return build_fail(g, MT_ERR_SHAPE, "batchnorm %s: input is not batched", prefix);
    int ch = xn->c > 0 ? xn->c : xn->cols;
    mt_node gm = norm_param(g, prefix, "gamma", ch, MT_INIT_ONES, group);
    mt_node bt = norm_param(g, prefix, "beta", ch, MT_INIT_ZEROS, group);
    if (gm == MT_NONE || bt == MT_NONE) return MT_NONE;
    /* running statistics live in the arena (so checkpoints carry them) but
     * are not graph nodes: no gradient ever reaches them */
    char nm[MT_PARAM_NAME + 32];
    int shape[2] = {1, ch};
    snprintf(nm, sizeof nm, "%s.running_mean", prefix);
    int rm = add_param(g, nm, 2, shape, (mt_init){MT_INIT_ZEROS, 0, 0}, ch, ch, group, 0);
    snprintf(nm, sizeof nm, "%s.running_var", prefix);
    int rv = add_param(g, nm, 2, shape, (mt_init){MT_INIT_ONES, 0, 0}, ch, ch, group, 0);
    if (rm < 0 || rv < 0) return MT_NONE;
    mt_node n = unary(g, OP_BATCHNORM, x);
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
    if (!operand_ok(g, "layernorm", x)) return MT_NONE;
    if (!prefix) return build_fail(g, MT_ERR_ARG, "layernorm: a prefix is required");
    int cols = g->nodes[x].cols;
    mt_node gm = norm_param(g, prefix, "gamma", cols, MT_INIT_ONES, group);
    mt_node bt = norm_param(g, prefix, "beta", cols, MT_INIT_ZEROS, group);
    if (gm == MT_NONE || bt == MT_NONE) return MT_NONE;
    mt_node n = unary(g, OP_LAYERNORM, x);
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
    if (!operand_ok(g, "conv2d", x)) return MT_NONE;
    if (!prefix) return build_fail(g, MT_ERR_ARG, "conv2d: a prefix is required");
    const graph_node *xn = &g->nodes[x];
    if (!xn->batched || xn->c <= 0)
        return build_fail(g, MT_ERR_SHAPE, "conv2d %s: input %s is not an image node", prefix,
                          op_names[xn->op]);
    if (out_c <= 0 || k <= 0 || pad < 0 || k > 64 || pad > 64 ||
        (long long)out_c * (xn->h + 2 * pad) * (xn->w + 2 * pad) > INT_MAX / 2)
        return build_fail(g, MT_ERR_ARG, "conv2d %s: bad out_c %d, k %d or pad %d", prefix,
                          out_c, k, pad);
    int c = xn->c, h = xn->h, w = xn->w;
    int oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1;
    if (oh < 1 || ow < 1)
        return build_fail(g, MT_ERR_SHAPE, "conv2d %s: a %dx%d kernel with pad %d does not fit %dx%d",
                          prefix, k, k, pad, h, w);
    char nm[MT_PARAM_NAME + 16];
    snprintf(nm, sizeof nm, "%s.weight", prefix);
    int wshape[4] = {out_c, c, k, k}, bshape[2] = {1, out_c};
    mt_node wt = param_node(g, nm, out_c, c * k * k, 4, wshape, (mt_init){MT_INIT_HE, 0, 0},
                            c * k * k, out_c * k * k, group, 1);
    snprintf(nm, sizeof nm, "%s.bias", prefix);
    mt_node bs = param_node(g, nm, 1, out_c, 2, bshape, (mt_init){MT_INIT_ZEROS, 0, 0}, c * k * k,
                            out_c, group, 0);
    if (wt == MT_NONE || bs == MT_NONE) return MT_NONE;
    mt_node n = push(g, OP_CONV2D, 1, 0, out_c * oh * ow);
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
    if (!operand_ok(g, "maxpool", x)) return MT_NONE;
    const graph_node *xn = &g->nodes[x];
    if (!xn->batched || xn->c <= 0)
        return build_fail(g, MT_ERR_SHAPE, "maxpool: input node %d (%s) is not an image node", x,
                          op_names[xn->op]);
    if (k < 1 || k > xn->h || k > xn->w)
        return build_fail(g, MT_ERR_SHAPE, "maxpool: window %d does not fit %dx%d", k, xn->h,
                          xn->w);
    int c = xn->c, oh = xn->h / k, ow = xn->w / k;
    mt_node n = push(g, OP_MAXPOOL, 1, 0, c * oh * ow);
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
    if (!operand_ok(g, "flatten", x)) return MT_NONE;
    return push1(g, OP_FLATTEN, x);
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
        return build_fail(g, MT_ERR_ARG, "custom %.40s...: kind name longer than %zu bytes", k,
                          sizeof ((graph_custom_op *)0)->kind - 1);
    if (!fwd) return build_fail(g, MT_ERR_ARG, "custom %s: a forward function is required", k);
    if (rows < 0 || out_cols < 1)
        return build_fail(g, MT_ERR_SHAPE, "custom %s: bad output shape (%d, %d)", k, rows,
                          out_cols);
    char what[48];
    snprintf(what, sizeof what, "custom %s", k);
    mt_node *c = copy_operands(g, what, in, n);
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
        return build_fail(g, MT_ERR_NOMEM, "%s: out of memory", what);
    }
    snprintf(op->kind, sizeof op->kind, "%s", k);
    op->fwd = fwd;
    op->bwd = bwd;
    op->ud = ud;
    for (int j = 0; j < n; j++) op->in_cols[j] = g->nodes[c[j]].cols;
    mt_node id = push(g, OP_CUSTOM, rows == MT_ROWS_BATCHED, rows, out_cols);
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
    const char *what = op_names[op];
    if (!operand_ok(g, what, pred) || !operand_ok(g, what, target)) return MT_NONE;
    if (mask != MT_NONE && !operand_ok(g, what, mask)) return MT_NONE;
    const graph_node *p = &g->nodes[pred], *t = &g->nodes[target];
    char sp[40], st[40];
    int tcols = op == OP_LOSS_SOFTMAX_CE ? 1 : p->cols;
    if (t->batched != p->batched || t->cols != tcols || (!p->batched && t->rows != p->rows))
        return build_fail(g, MT_ERR_SHAPE, "%s: prediction is %s but target is %s (expected %s%d))",
                          what, shape_str(p, sp, sizeof sp), shape_str(t, st, sizeof st),
                          p->batched ? "(B, " : "(rows, ", tcols);
    if (mask != MT_NONE) {
        const graph_node *m = &g->nodes[mask];
        if (m->batched != p->batched || m->cols != 1 || (!p->batched && m->rows != p->rows))
            return build_fail(g, MT_ERR_SHAPE, "%s: mask is %s but the prediction %s needs one "
                              "weight per row", what, shape_str(m, st, sizeof st),
                              shape_str(p, sp, sizeof sp));
    }
    mt_node n = push(g, op, 0, 1, 1);
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
        return build_fail(g, MT_ERR_ARG, "loss_huber: delta = %g must be positive",
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
        build_fail(g, MT_ERR_NOMEM, "graph_compile: out of memory for %zu parameters",
                   g->params.total);
    else
        build_fail(g, MT_ERR_NOMEM, "graph_compile: out of memory for node %d (%s)", node,
                   op_names[g->nodes[node].op]);
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

static int nrows(const mt_graph *g, const graph_node *nd) { return nd->batched ? g->batch : nd->rows; }

static size_t nelem(const mt_graph *g, const graph_node *nd)
{
    return (size_t)nrows(g, nd) * (size_t)nd->cols;
}

#define NODE(i) (&g->nodes[(i)])
#define VAL(i) (g->nodes[(i)].value)

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
static void custom_args(mt_graph *g, graph_node *nd)
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
        custom_args(g, nd);
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

static int node_input(const graph_node *nd, int k)
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
            int j = node_input(nd, k);
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
        custom_args(g, nd);
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
                           k, L, op_names[ln->op], shape_str(ln, s, sizeof s));
        }
    }
    graph_mark_ancestors(g, losses, n, stop);
    for (int i = 0; i < g->n; i++) {
        const graph_node *nd = NODE(i);
        if (g->mark[i] && !is_leaf(nd->op) && nd->gen != g->gen)
            return mt_fail(MT_ERR_STATE,
                           "graph_backward: node %d (%s) was not computed by the last forward pass",
                           i, op_names[nd->op]);
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
                    int j = node_input(nd, k);
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

/* ---- access ------------------------------------------------------------------ */

static int valid(const mt_graph *g, mt_node n) { return g && n >= 0 && n < g->n; }

float *graph_value(mt_graph *g, mt_node n) { return valid(g, n) ? NODE(n)->value : NULL; }

float *graph_grad(mt_graph *g, mt_node n)
{
    if (!valid(g, n) || !g->compiled) return NULL;
    graph_node *nd = NODE(n);
    if (nd->op == OP_PARAM) return g->pgrad + g->params.info[nd->param].offset;
    /* untouched by the last pass: its gradient is zero */
    if (!nd->gstate) memset(nd->grad, 0, nelem(g, nd) * sizeof *nd->grad);
    return nd->grad;
}

int graph_rows(const mt_graph *g, mt_node n)
{
    if (!valid(g, n)) return 0;
    return nrows(g, &g->nodes[n]);
}

int graph_cols(const mt_graph *g, mt_node n) { return valid(g, n) ? g->nodes[n].cols : 0; }

int graph_is_batched(const mt_graph *g, mt_node n) { return valid(g, n) ? g->nodes[n].batched : 0; }

int graph_param_index(const mt_graph *g, mt_node n)
{
    return valid(g, n) && g->nodes[n].op == OP_PARAM ? g->nodes[n].param : -1;
}

mt_params *graph_params(mt_graph *g) { return g ? &g->params : NULL; }

int graph_node_count(const mt_graph *g) { return g ? g->n : 0; }

const char *graph_node_name(const mt_graph *g, mt_node n)
{
    return valid(g, n) ? g->nodes[n].name : "";
}

const char *graph_node_kind(const mt_graph *g, mt_node n)
{
    if (!valid(g, n)) return "";
    return g->nodes[n].cust ? g->nodes[n].cust->kind : op_names[g->nodes[n].op];
}

mt_node graph_find(const mt_graph *g, const char *name)
{
    if (!g || !name) return MT_NONE;
    for (int i = 0; i < g->n; i++) {
        const graph_node *nd = &g->nodes[i];
        if (is_leaf(nd->op) && strcmp(nd->name, name) == 0) return i;
    }
    return MT_NONE;
}

void graph_use_reference_kernels(mt_graph *g, int on)
{
    if (g) g->use_ref = on ? 1 : 0;
}

mt_status graph_input_grad(mt_graph *g, mt_node input, int on)
{
    if (!valid(g, input) || g->nodes[input].op != OP_INPUT)
        return mt_fail(MT_ERR_ARG, "graph_input_grad: node %d is not an input", input);
    g->nodes[input].requires_grad = on ? 1 : 0;
    return MT_OK;
}

int graph_image_shape(const mt_graph *g, mt_node n, int *c, int *h, int *w)
{
    if (!valid(g, n) || g->nodes[n].c <= 0) return 0;
    if (c) *c = g->nodes[n].c;
    if (h) *h = g->nodes[n].h;
    if (w) *w = g->nodes[n].w;
    return 1;
}
