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
    mt_free(g->work);
    params_free(&g->params);
    mt_free(g);
}

/* Records the first build error; later ones are consequences of it. */
mt_node graph_build_fail(mt_graph *g, mt_status s, const char *fmt, ...)
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
int gi_operand_ok(mt_graph *g, const char *what, mt_node n)
{
    if (!g) return 0;
    if (n == MT_NONE) {
        graph_build_fail(g, MT_ERR_ARG, "%s: an operand is missing (MT_NONE)", what);
        return 0;
    }
    if (n < 0 || n >= g->n) {
        graph_build_fail(g, MT_ERR_ARG, "%s: node %d does not exist (graph has %d nodes)", what, n,
                   g->n);
        return 0;
    }
    return 1;
}

const char *graph_shape_str(const graph_node *nd, char *buf, size_t cap)
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
        snprintf(buf, cap, "node %d (%s)", n, gi_op_name(nd->op));
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
mt_node gi_push(mt_graph *g, graph_op op, int batched, int rows, int cols)
{
    if (g->compiled)
        return graph_build_fail(g, MT_ERR_STATE, "%s: cannot add nodes after graph_compile",
                          gi_op_name(op));
    if (cols <= 0 || (!batched && rows <= 0))
        return graph_build_fail(g, MT_ERR_SHAPE, "%s: empty shape (%d, %d)", gi_op_name(op),
                          batched ? -1 : rows, cols);
    if (mt_grow((void **)&g->nodes, &g->cap, (size_t)g->n + 1, sizeof *g->nodes) != MT_OK)
        return graph_build_fail(g, MT_ERR_NOMEM, "%s: out of memory", gi_op_name(op));
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

mt_node gi_push1(mt_graph *g, graph_op op, mt_node x)
{
    const graph_node *a = &g->nodes[x];
    int batched = a->batched, rows = a->rows, cols = a->cols;
    mt_node n = gi_push(g, op, batched, rows, cols);
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
    if (!name || !name[0]) return graph_build_fail(g, MT_ERR_ARG, "%s: a name is required", what);
    if (strlen(name) >= MT_PARAM_NAME)
        return graph_build_fail(g, MT_ERR_ARG, "%s %s: name longer than %d bytes", what, name,
                          MT_PARAM_NAME - 1);
    if (name_taken(g, name)) return graph_build_fail(g, MT_ERR_ARG, "%s %s: name used twice", what, name);
    if (cols <= 0 || (!batched && rows <= 0))
        return graph_build_fail(g, MT_ERR_SHAPE, "%s %s: bad shape (%d, %d)", what, name,
                          batched ? -1 : rows, cols);
    mt_node n = gi_push(g, op, batched, rows, cols);
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
        return graph_build_fail(g, MT_ERR_SHAPE, "input %s: bad image shape (%d, %d, %d)",
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
int gi_add_param(mt_graph *g, const char *name, int ndim, const int *shape, mt_init init,
                     int fan_in, int fan_out, int group, int decay)
{
    if (g->compiled) {
        graph_build_fail(g, MT_ERR_STATE, "param %s: cannot add parameters after graph_compile", name);
        return -1;
    }
    if (graph_find(g, name) != MT_NONE) {
        graph_build_fail(g, MT_ERR_ARG, "param %s: name used twice", name);
        return -1;
    }
    int idx = params_add(&g->params, name, ndim, shape, group, decay);
    if (idx < 0) {
        graph_build_fail(g, mt_last_status() ? mt_last_status() : MT_ERR_ARG, "%s", mt_last_error());
        return -1;
    }
    if (mt_grow((void **)&g->pinit, &g->pinit_cap, (size_t)idx + 1, sizeof *g->pinit) != MT_OK) {
        graph_build_fail(g, MT_ERR_NOMEM, "param %s: out of memory", name);
        return -1;
    }
    g->pinit[idx].init = init;
    g->pinit[idx].fan_in = fan_in;
    g->pinit[idx].fan_out = fan_out;
    return idx;
}

mt_node gi_param_node(mt_graph *g, const char *name, int rows, int cols, int ndim,
                          const int *shape, mt_init init, int fan_in, int fan_out, int group,
                          int decay)
{
    if (!name || !name[0]) return graph_build_fail(g, MT_ERR_ARG, "param: a name is required");
    if (rows <= 0 || cols <= 0)
        return graph_build_fail(g, MT_ERR_SHAPE, "param %s: bad shape (%d, %d)", name, rows, cols);
    int idx = gi_add_param(g, name, ndim, shape, init, fan_in, fan_out, group, decay);
    if (idx < 0) return MT_NONE;
    mt_node n = gi_push(g, OP_PARAM, 0, rows, cols);
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
    return gi_param_node(g, name, rows, cols, 2, shape, init, cols, rows, group, decay);
}

mt_node graph_param_vec(mt_graph *g, const char *name, int n, mt_init init, int group, int decay)
{
    if (!g) return MT_NONE;
    int shape[1] = {n};
    return gi_param_node(g, name, 1, n, 1, shape, init, n, 1, group, decay);
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
    if (!gi_operand_ok(g, "matmul", a) || !gi_operand_ok(g, "matmul", b)) return MT_NONE;
    char sa[40], sb[40];
    int ar, ac, br, bc;
    op_dims(&g->nodes[a], trans_a, &ar, &ac);
    op_dims(&g->nodes[b], trans_b, &br, &bc);
    if (ac != br)
        return graph_build_fail(g, MT_ERR_SHAPE,
                          "matmul: op(a) of %s%s and op(b) of %s%s do not chain", 
                          graph_shape_str(&g->nodes[a], sa, sizeof sa), trans_a ? "^T" : "",
                          graph_shape_str(&g->nodes[b], sb, sizeof sb), trans_b ? "^T" : "");
    if (bc < 0)
        return graph_build_fail(g, MT_ERR_SHAPE,
                          "matmul: the result of %s%s times %s%s would have B columns",
                          graph_shape_str(&g->nodes[a], sa, sizeof sa), trans_a ? "^T" : "",
                          graph_shape_str(&g->nodes[b], sb, sizeof sb), trans_b ? "^T" : "");
    mt_node n = gi_push(g, OP_MATMUL, ar < 0, ar, bc);
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
    if (!gi_operand_ok(g, "dense", x) || !gi_operand_ok(g, "dense", w)) return MT_NONE;
    const graph_node *xn = &g->nodes[x], *wn = &g->nodes[w];
    char d[MT_PARAM_NAME + 32];
    if (wn->batched)
        return graph_build_fail(g, MT_ERR_SHAPE, "dense: weight %s is batched; expected (out, in)",
                          node_desc(g, w, d, sizeof d));
    if (xn->cols != wn->cols)
        return graph_build_fail(g, MT_ERR_SHAPE, "dense: input has %d columns but weight %s expects %d",
                          xn->cols, node_desc(g, w, d, sizeof d), wn->cols);
    mt_node n = gi_push(g, OP_DENSE, xn->batched, xn->rows, wn->rows);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 2;
    g->nodes[n].in[0] = x;
    g->nodes[n].in[1] = w;
    return n;
}

mt_node graph_bias(mt_graph *g, mt_node x, mt_node b)
{
    if (!gi_operand_ok(g, "bias", x) || !gi_operand_ok(g, "bias", b)) return MT_NONE;
    const graph_node *xn = &g->nodes[x], *bn = &g->nodes[b];
    char d[MT_PARAM_NAME + 32], s[40];
    if (bn->batched || bn->rows != 1 || bn->cols != xn->cols)
        return graph_build_fail(g, MT_ERR_SHAPE, "bias: input has %d columns but bias %s is %s",
                          xn->cols, node_desc(g, b, d, sizeof d), graph_shape_str(bn, s, sizeof s));
    mt_node n = gi_push1(g, OP_BIAS, x);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 2;
    g->nodes[n].in[1] = b;
    copy_image(&g->nodes[n], &g->nodes[x]);
    return n;
}

mt_node graph_linear(mt_graph *g, mt_node x, int out, const char *prefix, int group)
{
    if (!gi_operand_ok(g, "linear", x)) return MT_NONE;
    if (!prefix) return graph_build_fail(g, MT_ERR_ARG, "linear: a prefix is required");
    if (out <= 0) return graph_build_fail(g, MT_ERR_SHAPE, "linear %s: %d outputs", prefix, out);
    char nm[MT_PARAM_NAME + 16];
    int in = g->nodes[x].cols;
    snprintf(nm, sizeof nm, "%s.weight", prefix);
    mt_node w = graph_param(g, nm, out, in, (mt_init){MT_INIT_XAVIER, 0, 0}, group, 1);
    snprintf(nm, sizeof nm, "%s.bias", prefix);
    mt_node b = graph_param_vec(g, nm, out, (mt_init){MT_INIT_ZEROS, 0, 0}, group, 0);
    if (w == MT_NONE || b == MT_NONE) return MT_NONE;
    return graph_bias(g, graph_dense(g, x, w), b);
}

/* ---- elementwise and structure ------------------------------------------------ */

static mt_node binary(mt_graph *g, graph_op op, mt_node a, mt_node b)
{
    if (!gi_operand_ok(g, gi_op_name(op), a) || !gi_operand_ok(g, gi_op_name(op), b)) return MT_NONE;
    const graph_node *an = &g->nodes[a], *bn = &g->nodes[b];
    char sa[40], sb[40];
    if (!same_shape(an, bn))
        return graph_build_fail(g, MT_ERR_SHAPE, "%s: shapes %s and %s differ", gi_op_name(op),
                          graph_shape_str(an, sa, sizeof sa), graph_shape_str(bn, sb, sizeof sb));
    mt_node n = gi_push1(g, op, a);
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
mt_node gi_unary(mt_graph *g, graph_op op, mt_node x)
{
    if (!gi_operand_ok(g, gi_op_name(op), x)) return MT_NONE;
    mt_node n = gi_push1(g, op, x);
    if (n == MT_NONE) return MT_NONE;
    copy_image(&g->nodes[n], &g->nodes[x]);
    return n;
}

mt_node graph_scale(mt_graph *g, mt_node a, float s)
{
    mt_node n = gi_unary(g, OP_SCALE, a);
    if (n != MT_NONE) g->nodes[n].f[0] = s;
    return n;
}

/* Copies the operand list of a variadic op after checking every entry. */
mt_node *gi_copy_operands(mt_graph *g, const char *what, const mt_node *xs, int n)
{
    if (!g) return NULL;
    if (!xs || n < 1) {
        graph_build_fail(g, MT_ERR_ARG, "%s: needs at least one operand, got %d", what, n);
        return NULL;
    }
    for (int k = 0; k < n; k++)
        if (!gi_operand_ok(g, what, xs[k])) return NULL;
    mt_node *c = mt_alloc((size_t)n * sizeof *c);
    if (!c) {
        graph_build_fail(g, MT_ERR_NOMEM, "%s: out of memory", what);
        return NULL;
    }
    memcpy(c, xs, (size_t)n * sizeof *c);
    return c;
}

static mt_node push_variadic(mt_graph *g, graph_op op, mt_node *xs, int n, int batched, int rows,
                             int cols)
{
    mt_node id = gi_push(g, op, batched, rows, cols);
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
    mt_node *c = gi_copy_operands(g, "concat", xs, n);
    if (!c) return MT_NONE;
    const graph_node *x0 = &g->nodes[c[0]];
    int cols = 0;
    char s0[40], sk[40];
    for (int k = 0; k < n; k++) {
        const graph_node *xk = &g->nodes[c[k]];
        if (xk->batched != x0->batched || (!x0->batched && xk->rows != x0->rows)) {
            mt_free(c);
            return graph_build_fail(g, MT_ERR_SHAPE, "concat: operand %d is %s but operand 0 is %s", k,
                              graph_shape_str(xk, sk, sizeof sk), graph_shape_str(x0, s0, sizeof s0));
        }
        cols += xk->cols;
    }
    return push_variadic(g, OP_CONCAT, c, n, x0->batched, x0->rows, cols);
}

mt_node graph_slice_cols(mt_graph *g, mt_node x, int start, int count)
{
    if (!gi_operand_ok(g, "slice_cols", x)) return MT_NONE;
    const graph_node *xn = &g->nodes[x];
    if (start < 0 || count < 1 || start > xn->cols - count)
        return graph_build_fail(g, MT_ERR_SHAPE, "slice_cols: columns [%d, %d) outside 0..%d", start,
                          start + count, xn->cols);
    mt_node n = gi_push(g, OP_SLICE_COLS, xn->batched, xn->rows, count);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 1;
    g->nodes[n].in[0] = x;
    g->nodes[n].iv[0] = start;
    return n;
}

mt_node graph_lincomb(mt_graph *g, const mt_node *xs, int n, mt_node coef, int row, int offset)
{
    if (!gi_operand_ok(g, "lincomb", coef)) return MT_NONE;
    mt_node *c = gi_copy_operands(g, "lincomb", xs, n);
    if (!c) return MT_NONE;
    const graph_node *x0 = &g->nodes[c[0]], *cn = &g->nodes[coef];
    char s0[40], sk[40];
    for (int k = 1; k < n; k++)
        if (!same_shape(&g->nodes[c[k]], x0)) {
            const graph_node *xk = &g->nodes[c[k]];
            mt_free(c);
            return graph_build_fail(g, MT_ERR_SHAPE, "lincomb: operand %d is %s but operand 0 is %s",
                              k, graph_shape_str(xk, sk, sizeof sk), graph_shape_str(x0, s0, sizeof s0));
        }
    if (cn->batched || row < 0 || row >= cn->rows || offset < 0 || offset > cn->cols - n) {
        mt_free(c);
        return graph_build_fail(g, MT_ERR_SHAPE,
                          "lincomb: coefficients %s cannot supply row %d, columns %d..%d",
                          graph_shape_str(cn, s0, sizeof s0), row, offset, offset + n - 1);
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
    if (!gi_operand_ok(g, "gate", gate)) return MT_NONE;
    mt_node *c = gi_copy_operands(g, "gate", xs, n);
    if (!c) return MT_NONE;
    const graph_node *x0 = &g->nodes[c[0]], *gn = &g->nodes[gate];
    char s0[40], sk[40];
    if (!gn->batched || gn->cols != n) {
        mt_free(c);
        return graph_build_fail(g, MT_ERR_SHAPE, "gate: gate is %s but %d experts need (B, %d)",
                          graph_shape_str(gn, s0, sizeof s0), n, n);
    }
    for (int k = 0; k < n; k++) {
        const graph_node *xk = &g->nodes[c[k]];
        if (!xk->batched || xk->cols != x0->cols) {
            mt_free(c);
            return graph_build_fail(g, MT_ERR_SHAPE, "gate: expert %d is %s but expert 0 is %s", k,
                              graph_shape_str(xk, sk, sizeof sk), graph_shape_str(x0, s0, sizeof s0));
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
    if (!gi_operand_ok(g, gi_op_name(op), x)) return MT_NONE;
    mt_node n = gi_push(g, op, 0, 1, 1);
    if (n == MT_NONE) return MT_NONE;
    g->nodes[n].n_in = 1;
    g->nodes[n].in[0] = x;
    return n;
}

mt_node graph_sum(mt_graph *g, mt_node x) { return reduce(g, OP_SUM, x); }
mt_node graph_mean(mt_graph *g, mt_node x) { return reduce(g, OP_MEAN, x); }

/* ---- activations ------------------------------------------------------------ */

mt_node graph_relu(mt_graph *g, mt_node x) { return gi_unary(g, OP_RELU, x); }
mt_node graph_tanh(mt_graph *g, mt_node x) { return gi_unary(g, OP_TANH, x); }
mt_node graph_sigmoid(mt_graph *g, mt_node x) { return gi_unary(g, OP_SIGMOID, x); }
mt_node graph_gelu(mt_graph *g, mt_node x) { return gi_unary(g, OP_GELU, x); }

mt_node graph_leaky_relu(mt_graph *g, mt_node x, float slope)
{
    mt_node n = gi_unary(g, OP_LEAKY_RELU, x);
    if (n != MT_NONE) g->nodes[n].f[0] = slope;
    return n;
}

mt_node graph_softmax(mt_graph *g, mt_node x)
{
    if (!gi_operand_ok(g, "softmax", x)) return MT_NONE;
    return gi_push1(g, OP_SOFTMAX, x);
}

mt_node graph_dropout(mt_graph *g, mt_node x, float p)
{
    if (!gi_operand_ok(g, "dropout", x)) return MT_NONE;
    if (!(p >= 0.0f && p < 1.0f))
        return graph_build_fail(g, MT_ERR_ARG, "dropout: p = %g not in [0, 1)", (double)p);
    mt_node n = gi_unary(g, OP_DROPOUT, x);
    if (n != MT_NONE) g->nodes[n].f[0] = p;
    return n;
}

mt_node graph_grad_reverse(mt_graph *g, mt_node x, float lambda)
{
    mt_node n = gi_unary(g, OP_GRAD_REVERSE, x);
    if (n != MT_NONE) g->nodes[n].f[0] = lambda;
    return n;
}

/* ---- access ------------------------------------------------------------------ */

static int valid(const mt_graph *g, mt_node n) { return g && n >= 0 && n < g->n; }

float *graph_value(mt_graph *g, mt_node n) { return valid(g, n) ? NODE(n)->value : NULL; }

float *graph_grad(mt_graph *g, mt_node n)
{
    if (!valid(g, n) || !g->compiled) return NULL;
    graph_node *nd = NODE(n);
    if (nd->op == OP_PARAM) return gi_pslot(g, nd);
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
    return g->nodes[n].cust ? g->nodes[n].cust->kind : gi_op_name(g->nodes[n].op);
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

void graph_conv_per_example(mt_graph *g, int on)
{
    if (g) g->conv_per_example = on ? 1 : 0;
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
