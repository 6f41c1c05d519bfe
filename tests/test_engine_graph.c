/* test_engine_graph.c - building, errors, compile, the zero-allocation step,
 * backward options, BLAS against the reference loops. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/status.h"
#include "engine/graph.h"
#include "engine/gradcheck.h"
#include "engine/graph_impl.h"
#include "engine_testutil.h"

/* A two-task MLP: x (B, 6) -> trunk (8) -> head a: 3 classes (CE),
 * head b: 2 regression outputs (MSE), each with its own mask. */
typedef struct {
    mt_graph *g;
    mt_node x, ya, yb, ma, mb, h, la, lb;
} mlp;

static void mlp_build(mlp *m, int max_batch, int dropout_bn)
{
    mt_graph *g = graph_new();
    assert_non_null(g);
    m->g = g;
    m->x = graph_input(g, "x", 6);
    m->ya = graph_input(g, "ya", 1);
    m->yb = graph_input(g, "yb", 2);
    m->ma = graph_input(g, "ma", 1);
    m->mb = graph_input(g, "mb", 1);
    mt_node h = graph_linear(g, m->x, 8, "trunk.0", 0);
    if (dropout_bn) h = graph_batchnorm(g, h, "trunk.0.bn", 0);
    h = graph_tanh(g, h);
    if (dropout_bn) h = graph_dropout(g, h, 0.25f);
    m->h = h;
    mt_node oa = graph_linear(g, graph_relu(g, graph_linear(g, h, 5, "head.a.0", 1)), 3,
                              "head.a.out", 1);
    mt_node ob = graph_linear(g, h, 2, "head.b.out", 2);
    m->la = graph_loss_softmax_ce(g, oa, m->ya, m->ma);
    m->lb = graph_loss_mse(g, ob, m->yb, m->mb);
    assert_int_equal(graph_compile(g, max_batch), MT_OK);
    graph_init_params(g, 11);
    graph_set_seed(g, 5);
}

static void mlp_fill(mlp *m, int b, unsigned long long seed)
{
    mt_graph *g = m->g;
    tu_fill(graph_value(g, m->x), (size_t)b * 6, seed, -1.0f, 1.0f);
    tu_fill(graph_value(g, m->yb), (size_t)b * 2, seed + 1, -1.0f, 1.0f);
    float *ya = graph_value(g, m->ya), *ma = graph_value(g, m->ma), *mb = graph_value(g, m->mb);
    for (int i = 0; i < b; i++) {
        ya[i] = (float)((i * 7 + (int)seed) % 3);
        ma[i] = (i % 4 == 3) ? 0.0f : 1.0f;
        mb[i] = (i % 3 == 1) ? 0.0f : 1.0f;
    }
}

static void test_engine_graph_dense_shape_error_names_weight(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 784);
    mt_node w = graph_param(g, "trunk.0.weight", 256, 512, (mt_init){MT_INIT_XAVIER, 0, 0}, 0, 1);
    mt_node h = graph_dense(g, x, w);
    assert_int_equal(h, MT_NONE);
    assert_string_equal(mt_last_error(),
                        "dense: input has 784 columns but weight trunk.0.weight expects 512");
    /* sticky: later builders pass MT_NONE along without replacing the message */
    mt_node r = graph_relu(g, h);
    assert_int_equal(r, MT_NONE);
    mt_node ok = graph_relu(g, x);
    assert_true(ok != MT_NONE); /* valid operands still build */
    mt_clear_error();
    assert_int_equal(graph_compile(g, 4), MT_ERR_SHAPE);
    assert_string_equal(mt_last_error(),
                        "dense: input has 784 columns but weight trunk.0.weight expects 512");
    graph_free(g);
}

static void test_engine_graph_builder_errors(void **state)
{
    (void)state;
    struct {
        int which;
        const char *msg;
    } cases[] = {
        {0, "param w: name used twice"},
        {1, "matmul: op(a) of (2, 3) and op(b) of (2, 3) do not chain"},
        {2, "add: shapes (B, 4) and (2, 3) differ"},
        {3, "loss_softmax_ce: prediction is (B, 4) but target is (B, 2) (expected (B, 1))"},
        {4, "dropout: p = 1 not in [0, 1)"},
        {5, "slice_cols: columns [3, 6) outside 0..4"},
        {6, "conv2d c: input input is not an image node"},
        {7, "lincomb: coefficients (2, 3) cannot supply row 2, columns 0..1"},
        {8, "gate: gate is (B, 3) but 2 experts need (B, 2)"},
        {9, "relu: an operand is missing (MT_NONE)"},
        {10, "bias: input has 4 columns but bias w is (2, 3)"},
        {11, "matmul: the result of (B, 4) times (2, 3)^T... "},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mt_graph *g = graph_new();
        mt_node x = graph_input(g, "input", 4);
        mt_node w = graph_param(g, "w", 2, 3, (mt_init){MT_INIT_ZEROS, 0, 0}, 0, 1);
        mt_node t2 = graph_input(g, "t2", 2);
        mt_node gate = graph_input(g, "gate", 3);
        mt_node res = 0;
        switch (cases[k].which) {
        case 0: res = graph_param(g, "w", 1, 1, (mt_init){MT_INIT_ZEROS, 0, 0}, 0, 0); break;
        case 1: res = graph_matmul(g, w, w, 0, 0); break;
        case 2: res = graph_add(g, x, w); break;
        case 3: res = graph_loss_softmax_ce(g, x, t2, MT_NONE); break;
        case 4: res = graph_dropout(g, x, 1.0f); break;
        case 5: res = graph_slice_cols(g, x, 3, 3); break;
        case 6: res = graph_conv2d(g, x, 2, 3, 1, "c", 0); break;
        case 7: {
            mt_node xs[2] = {x, x};
            res = graph_lincomb(g, xs, 2, w, 2, 0);
            break;
        }
        case 8: {
            mt_node xs[2] = {x, x};
            res = graph_gate(g, xs, 2, gate);
            break;
        }
        case 9: res = graph_relu(g, MT_NONE); break;
        case 10: res = graph_bias(g, x, w); break;
        case 11: {
            /* (B, 4) x (4, B)-shaped result is not expressible */
            mt_node bx = graph_input(g, "bx", 4);
            res = graph_matmul(g, x, bx, 0, 1);
            break;
        }
        }
        assert_int_equal(res, MT_NONE);
        if (cases[k].which == 11)
            assert_non_null(strstr(mt_last_error(), "would have B columns"));
        else
            assert_string_equal(mt_last_error(), cases[k].msg);
        assert_true(graph_compile(g, 2) != MT_OK);
        graph_free(g);
    }
}

static void test_engine_graph_find_kinds_and_shapes(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input_image(g, "img", 1, 6, 6);
    mt_node c = graph_conv2d(g, x, 2, 3, 1, "conv", 0);
    mt_node p = graph_maxpool(g, graph_relu(g, c), 2);
    mt_node f = graph_flatten(g, p);
    mt_node k = graph_const(g, "k", 2, 3);
    assert_int_equal(graph_find(g, "img"), x);
    assert_int_equal(graph_find(g, "k"), k);
    mt_node cw = graph_find(g, "conv.weight");
    assert_true(cw != MT_NONE);
    assert_string_equal(graph_node_kind(g, cw), "param");
    assert_string_equal(graph_node_name(g, cw), "conv.weight");
    assert_int_equal(graph_find(g, "nope"), MT_NONE);
    assert_string_equal(graph_node_kind(g, c), "conv2d");
    assert_string_equal(graph_node_kind(g, p), "maxpool");
    assert_string_equal(graph_node_name(g, p), "");
    assert_int_equal(graph_cols(g, c), 2 * 6 * 6);
    assert_int_equal(graph_cols(g, p), 2 * 3 * 3);
    assert_int_equal(graph_cols(g, f), 18);
    int cc, hh, ww;
    assert_true(graph_image_shape(g, p, &cc, &hh, &ww));
    assert_int_equal(cc * 100 + hh * 10 + ww, 233);
    assert_false(graph_image_shape(g, f, NULL, NULL, NULL));
    assert_int_equal(graph_param_index(g, cw), 0);
    assert_int_equal(graph_param_index(g, c), -1);
    mt_params *pp = graph_params(g);
    assert_int_equal(pp->info[0].ndim, 4);
    assert_int_equal(pp->info[0].shape[1] * 100 + pp->info[0].shape[2] * 10 + pp->info[0].shape[3],
                     133);
    assert_int_equal(graph_compile(g, 5), MT_OK);
    assert_true(graph_is_batched(g, x));
    assert_false(graph_is_batched(g, k));
    assert_int_equal(graph_rows(g, x), 5);
    assert_int_equal(graph_set_batch(g, 3), MT_OK);
    assert_int_equal(graph_rows(g, x), 3);
    assert_int_equal(graph_rows(g, k), 2);
    assert_int_equal(graph_set_batch(g, 6), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "graph_set_batch: batch 6 not in 1..5");
    /* nothing can be added once compiled */
    assert_int_equal(graph_relu(g, x), MT_NONE);
    assert_string_equal(mt_last_error(), "relu: cannot add nodes after graph_compile");
    graph_free(g);
}

static void test_engine_graph_init_params(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node xa = graph_param(g, "xa", 40, 60, (mt_init){MT_INIT_XAVIER, 0, 0}, 0, 1);
    mt_node he = graph_param(g, "he", 50, 200, (mt_init){MT_INIT_HE, 0, 0}, 0, 1);
    mt_node id = graph_param(g, "id", 3, 3, (mt_init){MT_INIT_IDENTITY, 0.7f, 1.0f}, 0, 0);
    mt_node id0 = graph_param(g, "id0", 2, 2, (mt_init){MT_INIT_IDENTITY, 2.0f, 0.0f}, 0, 0);
    mt_node cs = graph_param(g, "cs", 1, 4, (mt_init){MT_INIT_CONST, 0.25f, 0}, 0, 0);
    mt_node un = graph_param(g, "un", 30, 30, (mt_init){MT_INIT_UNIFORM, 0.5f, 0}, 0, 0);
    assert_int_equal(graph_compile(g, 1), MT_OK);
    graph_init_params(g, 3);
    float lim = sqrtf(6.0f / 100.0f), mx = 0.0f;
    const float *v = graph_value(g, xa);
    for (int i = 0; i < 2400; i++) mx = fmaxf(mx, fabsf(v[i]));
    assert_true(mx <= lim && mx > 0.9f * lim);
    double s2 = 0.0;
    v = graph_value(g, he);
    for (int i = 0; i < 10000; i++) s2 += (double)v[i] * v[i];
    assert_true(fabs(s2 / 10000 - 2.0 / 200.0) < 0.1 * 2.0 / 200.0);
    v = graph_value(g, id);
    for (int i = 0; i < 9; i++) {
        float want = (i % 4 == 0) ? 0.7f : 0.15f;
        assert_float_equal(v[i], want, 1e-6);
    }
    v = graph_value(g, id0);
    assert_float_equal(v[0], 2.0f, 0);
    assert_float_equal(v[1], 0.0f, 0);
    assert_float_equal(v[3], 2.0f, 0);
    v = graph_value(g, cs);
    for (int i = 0; i < 4; i++) assert_float_equal(v[i], 0.25f, 0);
    v = graph_value(g, un);
    mx = 0.0f;
    for (int i = 0; i < 900; i++) mx = fmaxf(mx, fabsf(v[i]));
    assert_true(mx <= 0.5f && mx > 0.45f);
    /* the same seed gives the same values; another seed different ones */
    float first = graph_value(g, xa)[17];
    graph_init_params(g, 3);
    assert_float_equal(graph_value(g, xa)[17], first, 0);
    graph_init_params(g, 4);
    assert_true(graph_value(g, xa)[17] != first);
    graph_free(g);
}

/* A training step (inputs, forward, backward) allocates nothing. */
static void test_engine_graph_step_allocates_nothing(void **state)
{
    (void)state;
    mlp m;
    mlp_build(&m, 16, 1);
    mt_node losses[2] = {m.la, m.lb};
    float w[2] = {1.0f, 0.5f};
    float *buf = calloc(graph_params(m.g)->total, sizeof(float));
    mt_backward_opts opts = {.param_grad = buf, .stop = m.h, .only_group = 0};
    unsigned long before = mt_alloc_count();
    for (int step = 0; step < 6; step++) {
        int b = step % 2 ? 16 : 9;
        assert_int_equal(graph_set_batch(m.g, b), MT_OK);
        mlp_fill(&m, b, (unsigned long long)step);
        graph_forward(m.g, MT_TRAIN);
        params_zero_grad(graph_params(m.g));
        assert_int_equal(graph_backward(m.g, losses, w, 2, NULL), MT_OK);
        assert_int_equal(graph_backward(m.g, losses, w, 2, &opts), MT_OK);
        graph_forward_to(m.g, m.la, MT_EVAL);
        assert_true(isfinite(graph_value(m.g, m.la)[0]));
    }
    assert_int_equal(mt_alloc_count(), before);
    free(buf);
    graph_free(m.g);
}

/* backward(A) into buffer 1 plus backward(B) into buffer 2 equals
 * backward(wa A + wb B) into buffer 3. */
static void test_engine_graph_backward_per_loss_buffers_sum(void **state)
{
    (void)state;
    mlp m;
    mlp_build(&m, 12, 1);
    mlp_fill(&m, 12, 7);
    graph_forward(m.g, MT_TRAIN);
    size_t n = graph_params(m.g)->total;
    float *b1 = calloc(n, sizeof(float)), *b2 = calloc(n, sizeof(float));
    float *b3 = calloc(n, sizeof(float));
    float wa = 0.3f, wb = 1.7f;
    mt_backward_opts o1 = {b1, MT_NONE, -1}, o2 = {b2, MT_NONE, -1}, o3 = {b3, MT_NONE, -1};
    assert_int_equal(graph_backward(m.g, &m.la, &wa, 1, &o1), MT_OK);
    assert_int_equal(graph_backward(m.g, &m.lb, &wb, 1, &o2), MT_OK);
    mt_node both[2] = {m.la, m.lb};
    float w[2] = {wa, wb};
    assert_int_equal(graph_backward(m.g, both, w, 2, &o3), MT_OK);
    int nonzero1 = 0, nonzero2 = 0;
    for (size_t i = 0; i < n; i++) {
        assert_float_equal(b1[i] + b2[i], b3[i], 1e-6 + 1e-5 * fabsf(b3[i]));
        nonzero1 += b1[i] != 0.0f;
        nonzero2 += b2[i] != 0.0f;
    }
    assert_true(nonzero1 > 50 && nonzero2 > 50);
    /* head b's parameters get nothing from loss A and vice versa */
    mt_params *p = graph_params(m.g);
    int ib = params_find(p, "head.b.out.weight"), ia = params_find(p, "head.a.out.weight");
    for (size_t i = 0; i < p->info[ib].size; i++) assert_true(b1[p->info[ib].offset + i] == 0.0f);
    for (size_t i = 0; i < p->info[ia].size; i++) assert_true(b2[p->info[ia].offset + i] == 0.0f);
    /* the arena's own gradient was not touched */
    for (size_t i = 0; i < n; i++) assert_true(p->grad[i] == 0.0f);
    /* parameter gradients accumulate; node gradients are recomputed */
    float h0 = graph_grad(m.g, m.h)[5];
    assert_int_equal(graph_backward(m.g, both, w, 2, &o3), MT_OK);
    assert_float_equal(graph_grad(m.g, m.h)[5], h0, 1e-7);
    for (size_t i = 0; i < n; i++) assert_float_equal(b3[i], 2.0f * (b1[i] + b2[i]), 1e-5);
    free(b1);
    free(b2);
    free(b3);
    graph_free(m.g);
}

static void test_engine_graph_backward_stop_and_only_group(void **state)
{
    (void)state;
    mlp m;
    mlp_build(&m, 10, 0);
    mlp_fill(&m, 10, 3);
    graph_forward(m.g, MT_TRAIN);
    mt_params *p = graph_params(m.g);
    size_t n = p->total, hn = 10 * 8;
    mt_node both[2] = {m.la, m.lb};
    float *full = calloc(n, sizeof(float)), *st = calloc(n, sizeof(float));
    float *og = calloc(n, sizeof(float)), *hfull = calloc(hn, sizeof(float));
    mt_backward_opts of = {full, MT_NONE, -1};
    assert_int_equal(graph_backward(m.g, both, NULL, 2, &of), MT_OK);
    memcpy(hfull, graph_grad(m.g, m.h), hn * sizeof(float));
    mt_backward_opts os = {st, m.h, -1};
    assert_int_equal(graph_backward(m.g, both, NULL, 2, &os), MT_OK);
    float hmax = 0.0f;
    for (size_t i = 0; i < hn; i++) {
        assert_float_equal(graph_grad(m.g, m.h)[i], hfull[i], 1e-7);
        hmax = fmaxf(hmax, fabsf(hfull[i]));
    }
    assert_true(hmax > 1e-3f);
    for (int k = 0; k < p->count; k++) {
        const mt_param_info *pi = &p->info[k];
        for (size_t i = 0; i < pi->size; i++) {
            float v = st[pi->offset + i];
            if (pi->group == 0) /* below the stop: untouched */
                assert_true(v == 0.0f);
            else /* above it: as in the full pass */
                assert_float_equal(v, full[pi->offset + i], 1e-7);
        }
    }
    /* only_group 0: the trunk gets the full gradient, the heads nothing */
    mt_backward_opts oo = {og, MT_NONE, 0};
    assert_int_equal(graph_backward(m.g, both, NULL, 2, &oo), MT_OK);
    size_t n_trunk = 0;
    for (int k = 0; k < p->count; k++) {
        const mt_param_info *pi = &p->info[k];
        for (size_t i = 0; i < pi->size; i++) {
            float v = og[pi->offset + i];
            if (pi->group == 0) {
                assert_float_equal(v, full[pi->offset + i], 1e-6);
                n_trunk += v != 0.0f;
            } else {
                assert_true(v == 0.0f);
            }
        }
    }
    assert_true(n_trunk > 20);
    /* only_group 2 with loss A alone reaches no parameter at all */
    memset(og, 0, n * sizeof(float));
    mt_backward_opts o2 = {og, MT_NONE, 2};
    assert_int_equal(graph_backward(m.g, &m.la, NULL, 1, &o2), MT_OK);
    for (size_t i = 0; i < n; i++) assert_true(og[i] == 0.0f);
    free(full);
    free(st);
    free(og);
    free(hfull);
    graph_free(m.g);
}

static void test_engine_graph_backward_state_errors(void **state)
{
    (void)state;
    mlp m;
    mlp_build(&m, 4, 0);
    mlp_fill(&m, 4, 1);
    assert_int_equal(graph_backward(m.g, &m.la, NULL, 1, NULL), MT_ERR_STATE);
    assert_non_null(strstr(mt_last_error(), "was not computed by the last forward pass"));
    graph_forward_to(m.g, m.lb, MT_TRAIN);
    assert_int_equal(graph_backward(m.g, &m.lb, NULL, 1, NULL), MT_OK);
    assert_int_equal(graph_backward(m.g, &m.la, NULL, 1, NULL), MT_ERR_STATE);
    graph_forward(m.g, MT_TRAIN);
    assert_int_equal(graph_backward(m.g, &m.h, NULL, 1, NULL), MT_ERR_SHAPE);
    assert_non_null(strstr(mt_last_error(), "is (B, 8), not (1, 1)"));
    assert_int_equal(graph_set_batch(m.g, 2), MT_OK);
    assert_int_equal(graph_backward(m.g, &m.la, NULL, 1, NULL), MT_ERR_STATE);
    mt_node bogus = 999;
    assert_int_equal(graph_backward(m.g, &bogus, NULL, 1, NULL), MT_ERR_ARG);
    assert_string_equal(mt_last_error(), "graph_backward: losses[0] = 999 is not a node");
    graph_free(m.g);
}

/* A batch smaller than the maximum uses only its B rows: garbage beyond
 * them changes nothing. */
static void test_engine_graph_small_batch_uses_b_rows(void **state)
{
    (void)state;
    mlp m;
    mlp_build(&m, 8, 0);
    mlp_fill(&m, 8, 2);
    assert_int_equal(graph_set_batch(m.g, 3), MT_OK);
    graph_forward(m.g, MT_EVAL);
    float la = graph_value(m.g, m.la)[0], lb = graph_value(m.g, m.lb)[0];
    float *x = graph_value(m.g, m.x), *yb = graph_value(m.g, m.yb);
    for (int i = 3 * 6; i < 8 * 6; i++) x[i] = NAN;
    for (int i = 3 * 2; i < 8 * 2; i++) yb[i] = NAN;
    graph_forward(m.g, MT_EVAL);
    assert_float_equal(graph_value(m.g, m.la)[0], la, 0);
    assert_float_equal(graph_value(m.g, m.lb)[0], lb, 0);
    assert_true(isfinite(la) && isfinite(lb));
    /* and the batch-of-3 loss equals one computed from a graph compiled for 3 */
    mlp m3;
    mlp_build(&m3, 3, 0);
    mlp_fill(&m3, 3, 2);
    graph_forward(m3.g, MT_EVAL);
    assert_float_equal(graph_value(m3.g, m3.la)[0], la, 1e-6);
    assert_float_equal(graph_value(m3.g, m3.lb)[0], lb, 1e-6);
    graph_free(m3.g);
    graph_free(m.g);
}

/* The cblas path and the reference loops agree on values and gradients. */
static void test_engine_graph_blas_matches_reference(void **state)
{
    (void)state;
    float *val[2], *grad[2], *hg[2];
    for (int pass = 0; pass < 2; pass++) {
        mlp m;
        mlp_build(&m, 13, 0);
        graph_use_reference_kernels(m.g, pass);
        mlp_fill(&m, 13, 9);
        graph_forward(m.g, MT_TRAIN);
        mt_node both[2] = {m.la, m.lb};
        assert_int_equal(graph_backward(m.g, both, NULL, 2, NULL), MT_OK);
        size_t n = graph_params(m.g)->total;
        val[pass] = malloc(2 * sizeof(float));
        val[pass][0] = graph_value(m.g, m.la)[0];
        val[pass][1] = graph_value(m.g, m.lb)[0];
        grad[pass] = malloc(n * sizeof(float));
        memcpy(grad[pass], graph_params(m.g)->grad, n * sizeof(float));
        hg[pass] = malloc(13 * 8 * sizeof(float));
        memcpy(hg[pass], graph_value(m.g, m.h), 13 * 8 * sizeof(float));
        if (pass == 1) {
            assert_float_equal(val[0][0], val[1][0], 1e-5);
            assert_float_equal(val[0][1], val[1][1], 1e-5);
            assert_true(tu_max_abs_diff(grad[0], grad[1], n) < 1e-5f);
            assert_true(tu_max_abs_diff(hg[0], hg[1], 13 * 8) < 1e-5f);
        }
        graph_free(m.g);
    }
    for (int pass = 0; pass < 2; pass++) {
        free(val[pass]);
        free(grad[pass]);
        free(hg[pass]);
    }
}

/* The dense layer against a hand-written loop, and the whole MLP through
 * the gradient checker. */
static void test_engine_graph_dense_values_and_gradcheck(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 5);
    mt_node y = graph_linear(g, x, 4, "l", 0);
    mt_node L = tu_project(g, y, "r");
    assert_int_equal(graph_compile(g, 3), MT_OK);
    graph_init_params(g, 1);
    graph_input_grad(g, x, 1);
    tu_fill(graph_value(g, x), 15, 1, -1, 1);
    tu_fill(graph_value(g, graph_find(g, "r")), 12, 2, -1, 1);
    tu_fill(graph_value(g, graph_find(g, "l.bias")), 4, 3, -1, 1);
    graph_forward(g, MT_TRAIN);
    const float *W = graph_value(g, graph_find(g, "l.weight")), *bb = graph_value(g, graph_find(g, "l.bias"));
    const float *xv = graph_value(g, x), *yv = graph_value(g, y);
    for (int b = 0; b < 3; b++)
        for (int o = 0; o < 4; o++) {
            double s = bb[o];
            for (int i = 0; i < 5; i++) s += (double)xv[b * 5 + i] * W[o * 5 + i];
            assert_float_equal(yv[b * 4 + o], s, 1e-5);
        }
    gradcheck_report rep;
    assert_int_equal(gradcheck_run(g, L, 1e-3, 1e-2, &rep), MT_OK);
    assert_int_equal(rep.n_checked, 20 + 4 + 15);
    graph_free(g);

    mlp m;
    mlp_build(&m, 5, 1);
    mlp_fill(&m, 5, 4);
    graph_input_grad(m.g, m.x, 1);
    mt_node both = graph_add(m.g, m.la, m.lb); /* after compile: refused */
    assert_int_equal(both, MT_NONE);
    assert_int_equal(gradcheck_run(m.g, m.la, 1e-3, 2e-2, &rep), MT_OK);
    assert_int_equal(gradcheck_run(m.g, m.lb, 1e-3, 2e-2, &rep), MT_OK);
    assert_true(rep.n_checked > 100);
    graph_free(m.g);
}


/* graph_forward_to computes the target's ancestors and nothing else. */
static void test_engine_graph_forward_to_runs_only_ancestors(void **state)
{
    (void)state;
    mlp m;
    mlp_build(&m, 4, 0);
    mlp_fill(&m, 4, 6);
    graph_forward(m.g, MT_EVAL);
    float la = graph_value(m.g, m.la)[0], lb = graph_value(m.g, m.lb)[0];
    tu_fill(graph_value(m.g, m.x), 24, 77, -1.0f, 1.0f);
    graph_forward_to(m.g, m.lb, MT_EVAL);
    assert_true(graph_value(m.g, m.lb)[0] != lb);
    assert_float_equal(graph_value(m.g, m.la)[0], la, 0); /* not recomputed */
    graph_forward_to(m.g, m.la, MT_EVAL);
    assert_true(graph_value(m.g, m.la)[0] != la);
    graph_forward_to(m.g, 1000, MT_EVAL);
    assert_string_equal(mt_last_error(), "graph_forward_to: node 1000 does not exist");
    graph_free(m.g);
}

/* stop blocks only its own propagation: with a skip connection around it,
 * the parameters below still get the skip path's gradient. */
static void test_engine_graph_stop_with_skip_path(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input(g, "x", 3);
    mt_node w0 = graph_param(g, "w0", 3, 3, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 0, 1);
    mt_node h = graph_dense(g, x, w0);
    mt_node w1 = graph_param(g, "w1", 3, 3, (mt_init){MT_INIT_UNIFORM, 1.0f, 0}, 1, 1);
    mt_node a = graph_tanh(g, graph_dense(g, h, w1));
    mt_node L = tu_project(g, graph_add(g, a, h), "r"); /* skip: h reaches L directly */
    assert_int_equal(graph_compile(g, 2), MT_OK);
    graph_init_params(g, 2);
    tu_fill(graph_value(g, x), 6, 1, -1, 1);
    tu_fill(graph_value(g, graph_find(g, "r")), 6, 2, -1, 1);
    graph_forward(g, MT_TRAIN);
    mt_params *p = graph_params(g);
    float *buf = calloc(p->total, sizeof(float));
    mt_backward_opts o = {buf, a, -1};
    assert_int_equal(graph_backward(g, &L, NULL, 1, &o), MT_OK);
    /* w0's gradient is then exactly the skip path's: r^T x */
    const float *xv = graph_value(g, x), *rv = graph_value(g, graph_find(g, "r"));
    const float *d0 = buf + p->info[graph_param_index(g, w0)].offset;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            float want = rv[i] * xv[j] + rv[3 + i] * xv[3 + j];
            assert_float_equal(d0[i * 3 + j], want, 1e-6);
        }
    /* w1 sits below the stop and only there: untouched */
    const float *d1 = buf + p->info[graph_param_index(g, w1)].offset;
    for (int i = 0; i < 9; i++) assert_true(d1[i] == 0.0f);
    /* the stop node's own gradient is r */
    for (int i = 0; i < 6; i++) assert_float_equal(graph_grad(g, a)[i], rv[i], 0);
    free(buf);
    graph_free(g);
}

/* LeNet on 28x28: conv 5x5 pad 2 -> pool 2 -> conv -> pool -> dense; the
 * shapes work out and a step allocates nothing. */
static void test_engine_graph_lenet_28_step(void **state)
{
    (void)state;
    mt_graph *g = graph_new();
    mt_node x = graph_input_image(g, "x", 1, 28, 28), y = graph_input(g, "y", 1);
    mt_node h = graph_maxpool(g, graph_relu(g, graph_conv2d(g, x, 6, 5, 2, "c1", 0)), 2);
    h = graph_maxpool(g, graph_relu(g, graph_conv2d(g, h, 16, 5, 0, "c2", 0)), 2);
    assert_int_equal(graph_cols(g, h), 16 * 5 * 5);
    h = graph_batchnorm(g, h, "bn", 0);
    h = graph_relu(g, graph_linear(g, graph_flatten(g, h), 120, "f1", 0));
    mt_node L = graph_loss_softmax_ce(g, graph_linear(g, h, 10, "out", 1), y, MT_NONE);
    assert_int_equal(graph_compile(g, 8), MT_OK);
    graph_init_params(g, 1);
    tu_fill(graph_value(g, x), 8 * 784, 3, 0, 1);
    for (int b = 0; b < 8; b++) graph_value(g, y)[b] = (float)(b % 10);
    unsigned long before = mt_alloc_count();
    float first = 0.0f;
    for (int step = 0; step < 3; step++) {
        graph_set_batch(g, step == 1 ? 5 : 8);
        graph_forward(g, MT_TRAIN);
        params_zero_grad(graph_params(g));
        assert_int_equal(graph_backward(g, &L, NULL, 1, NULL), MT_OK);
        if (step == 0) first = graph_value(g, L)[0];
        /* a plain SGD step on the arena */
        mt_params *p = graph_params(g);
        for (size_t i = 0; i < p->total; i++) p->data[i] -= 0.05f * p->grad[i];
    }
    assert_int_equal(mt_alloc_count(), before);
    assert_true(fabsf(first - logf(10.0f)) < 1.0f);
    graph_forward(g, MT_TRAIN);
    assert_true(graph_value(g, L)[0] < first); /* the steps lowered the loss */
    graph_free(g);
}

/* Every op has one complete entry in the op table: a unique name, a
 * forward, and a backward unless it is a leaf; losses and only losses
 * carry the mask flag, leaves and only the three leaves the leaf flag. */
static void test_engine_graph_op_table_complete(void **state)
{
    (void)state;
    for (int op = 0; op < OP_COUNT; op++) {
        const graph_op_class *c = &graph_ops[op];
        assert_non_null(c->name);
        assert_true(c->name[0] != '\0');
        assert_non_null(c->forward);
        int leaf = op == OP_INPUT || op == OP_CONST || op == OP_PARAM;
        assert_int_equal(is_leaf((graph_op)op), leaf);
        if (!leaf) assert_non_null(c->backward);
        assert_int_equal((c->flags & GI_OP_LOSS) != 0, strncmp(c->name, "loss_", 5) == 0);
        for (int o = 0; o < op; o++) assert_string_not_equal(c->name, graph_ops[o].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_graph_dense_shape_error_names_weight),
        cmocka_unit_test(test_engine_graph_builder_errors),
        cmocka_unit_test(test_engine_graph_find_kinds_and_shapes),
        cmocka_unit_test(test_engine_graph_init_params),
        cmocka_unit_test(test_engine_graph_step_allocates_nothing),
        cmocka_unit_test(test_engine_graph_backward_per_loss_buffers_sum),
        cmocka_unit_test(test_engine_graph_backward_stop_and_only_group),
        cmocka_unit_test(test_engine_graph_backward_state_errors),
        cmocka_unit_test(test_engine_graph_small_batch_uses_b_rows),
        cmocka_unit_test(test_engine_graph_blas_matches_reference),
        cmocka_unit_test(test_engine_graph_dense_values_and_gradcheck),
        cmocka_unit_test(test_engine_graph_forward_to_runs_only_ancestors),
        cmocka_unit_test(test_engine_graph_stop_with_skip_path),
        cmocka_unit_test(test_engine_graph_lenet_28_step),
        cmocka_unit_test(test_engine_graph_op_table_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
