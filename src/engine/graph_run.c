/* graph_run.c - compiling a built graph (buffers for the largest batch,
 * the parameter arena) and running it forward through the op table
 * (graph_ops.c). graph.c and graph_layers.c build the graph;
 * graph_backward.c differentiates it. */
#include "graph_impl.h"
#include <math.h>
#include <string.h>
#include "core/mem.h"
#include "core/rng.h"

/* ---- compile ------------------------------------------------------------------- */

static size_t max_rows(const mt_graph *g, const graph_node *nd)
{
    return nd->batched ? (size_t)g->max_batch : (size_t)nd->rows;
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
                   gi_op_name(g->nodes[node].op));
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
        graph_scratch sc = {0, 0, 0};
        if (graph_ops[nd->op].scratch) graph_ops[nd->op].scratch(g, nd, &sc);
        nd->n_aux = sc.floats;
        nd->n_iaux = sc.ints;
        if (sc.work > g->n_work) g->n_work = sc.work;
        if (nd->n_aux && !(nd->aux = mt_alloc_aligned(nd->n_aux * sizeof(float))))
            return compile_oom(g, i);
        if (nd->n_iaux && !(nd->iaux = mt_calloc(nd->n_iaux, sizeof *nd->iaux)))
            return compile_oom(g, i);
    }
    if (g->n_work && !(g->work = mt_alloc_aligned(g->n_work * sizeof(float))))
        return compile_oom(g, -1);
    g->batch = max_batch;
    g->pgrad = g->params.grad;
    g->pdest = NULL;
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
    int rows = pi->ndim >= 2 ? pi->shape[0] : 1, cols = (int)(pi->size / (size_t)rows); /* a vector is a row */
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
        graph_ops[g->nodes[i].op].forward(g, i, &g->nodes[i]);
        g->nodes[i].gen = g->gen;
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
