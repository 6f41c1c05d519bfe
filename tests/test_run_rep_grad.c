/* test_run_rep_grad.c - gradient combiners on the shared representation
 * (rep_grad): the trainer's step against gradients computed here, pass by
 * pass, through the engine: per-task gradients of the representation Z
 * and of the shared parameters theta.
 *
 * What must hold: the shared update is J^T d_Z with d_Z = sum_k alpha_k
 * dL_k/dZ (alpha the weights the trainer publishes), which for sum and
 * mean is exactly the parameter-space update; every head gets its own
 * task's gradient, whatever alpha; MGDA's direction is the min-norm point
 * of the representation gradients' hull (its KKT conditions), PCGrad's has
 * no conflict with either task on nearly opposed tasks; a network without
 * one shared representation is refused by name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "run/experiment.h"
#include "run/trainer.h"
#include "run/trainer_impl.h"
#include "run_testutil.h"

enum { N = 96, D = 12, B = 32, H = 16 };

/* Three regression tasks on shared inputs; task 3 is task 1 negated plus
 * a little of its own (nearly opposed to task 1). */
static double target(int t, const float *x)
{
    return t == 2 ? -(x[0] + x[1]) + 0.2 * x[5] : t == 1 ? x[2] - x[3] * x[4] : x[0] + x[1];
}

static mt_data_ref *make_data(int T) { return run_regress_data("rep", N, D, T, 5, target, N, 0); }

static void make_experiment(mt_experiment *e, int T, const char *method, int rep, int heads)
{
    experiment_defaults(e);
    e->data = make_data(T);
    e->topo.trunk[0] = H;
    e->topo.trunk[1] = H;
    e->topo.ntrunk = 2;
    e->topo.head[0] = 8;
    e->topo.nhead = heads;
    e->topo.act = MT_ACT_TANH;
    run_regress_tasks(e, T);
    topo_resolve(&e->topo);
    snprintf(e->weighting.name, sizeof e->weighting.name, "%s", method);
    if (rep >= 0) assert_int_equal(tparam_set_num(&e->weighting.params, "rep_grad", MT_TP_BOOL, rep), MT_OK);
    if (strcmp(method, "mgda") == 0) tparam_set_num(&e->weighting.params, "norm", MT_TP_CHOICE, 0);
    snprintf(e->optim.name, sizeof e->optim.name, "sgd");
    e->optim.momentum = 0;
    e->optim.lr = 0.01f;
    e->train.batch = B;
    e->train.steps = 100;
    e->train.eval_every = 1000;
    e->train.relations_every = 1000;
}

/* One step; the arena's gradient of that step (the optimiser leaves it). */
static float *step_gradient(mt_trainer *t)
{
    assert_int_equal(trainer_step(t), MT_OK);
    mt_params *p = graph_params(t->g);
    float *g = malloc(p->total * sizeof *g);
    memcpy(g, p->grad, p->total * sizeof *g);
    return g;
}

static double max_rel(const float *a, const float *b, size_t n)
{
    double m = 1e-6, d = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(b[i]) > m) m = fabs(b[i]);
        double e = fabs((double)a[i] - b[i]);
        if (e > d) d = e;
    }
    return d / m;
}

/* Sum and mean: rep_grad changes the route, not the update (and the
 * parameter-space route leaves nothing of one step in the next). */
static void test_run_rep_grad_sum_mean_exact(void **state)
{
    (void)state;
    const char *methods[] = {"sum", "mean"};
    for (int m = 0; m < 2; m++) {
        float *g[2];
        size_t n = 0;
        for (int rep = 0; rep < 2; rep++) {
            mt_experiment e;
            make_experiment(&e, 3, methods[m], rep, 1);
            mt_trainer *t;
            assert_int_equal(trainer_new(&e, NULL, &t), MT_OK);
            assert_int_equal(t->rep_grad, rep);
            /* the second step's: a stale gradient left in the arena by the
             * first would show */
            free(step_gradient(t));
            g[rep] = step_gradient(t);
            n = graph_params(t->g)->total;
            trainer_free(t);
            experiment_free(&e);
        }
        double d = max_rel(g[1], g[0], n);
        if (d > 1e-5) fail_msg("%s: rep_grad differs by %g", methods[m], d);
        free(g[0]);
        free(g[1]);
    }
}

/* The trainer's step against the engine, pass by pass, on the same
 * batch: Z gradients gz (T, cols), shared-parameter gradients gth (T, P),
 * and each head's own gradient. */
typedef struct {
    size_t cols, total;
    float *gz, *gth, *head; /* head: (T, total) each task's full gradient */
} reference;

static void reference_grads(mt_trainer *t, reference *r)
{
    mt_graph *g = t->g;
    int n = graph_batch(g);
    r->cols = (size_t)n * t->R;
    r->total = graph_params(g)->total;
    r->gz = calloc((size_t)t->T * r->cols, sizeof(float));
    r->gth = calloc((size_t)t->T * r->total, sizeof(float));
    r->head = calloc((size_t)t->T * r->total, sizeof(float));
    float *scratch = calloc(r->total, sizeof(float));
    for (int k = 0; k < t->T; k++) {
        mt_backward_opts oz = {scratch, t->topo.shared, -1};
        assert_int_equal(graph_backward(g, &t->loss[k], NULL, 1, &oz), MT_OK);
        memcpy(r->gz + (size_t)k * r->cols, graph_grad(g, t->topo.shared), r->cols * sizeof(float));
        mt_backward_opts ot = {r->gth + (size_t)k * r->total, MT_NONE, 0};
        assert_int_equal(graph_backward(g, &t->loss[k], NULL, 1, &ot), MT_OK);
        mt_backward_opts oh = {r->head + (size_t)k * r->total, MT_NONE, -1};
        assert_int_equal(graph_backward(g, &t->loss[k], NULL, 1, &oh), MT_OK);
    }
    free(scratch);
}

static void reference_free(reference *r)
{
    free(r->gz);
    free(r->gth);
    free(r->head);
}

/* Runs one step of `method` with rep_grad, then recomputes that step's
 * gradients from the same parameters and batch: the parameters are put
 * back to where the step started and the forward pass redone. */
static void checked_step(const char *method, int T, mt_trainer **out, float **grad, reference *ref)
{
    static mt_experiment e;
    make_experiment(&e, T, method, 1, 1);
    mt_trainer *t;
    assert_int_equal(trainer_new(&e, NULL, &t), MT_OK);
    experiment_free(&e);
    assert_int_equal(trainer_step(t), MT_OK); /* not the first step: the batch order is settled */
    mt_params *p = graph_params(t->g);
    float *before = malloc(p->total * sizeof(float));
    memcpy(before, p->data, p->total * sizeof(float));
    *grad = step_gradient(t);
    /* the step's batch is still loaded: undo the update, redo the forward */
    memcpy(p->data, before, p->total * sizeof(float));
    free(before);
    graph_forward(t->g, MT_TRAIN);
    reference_grads(t, ref);
    *out = t;
}

/* The shared part of grad against sum_k alpha_k gth_k, and each head
 * against its own task's gradient (not scaled by alpha). */
static void check_update(mt_trainer *t, const float *grad, const reference *r, const float *alpha)
{
    mt_params *p = graph_params(t->g);
    for (int q = 0; q < p->count; q++) {
        const mt_param_info *pi = &p->info[q];
        int grp = pi->group;
        for (size_t i = 0; i < pi->size; i++) {
            size_t o = pi->offset + i;
            double want = 0;
            if (grp == 0)
                for (int k = 0; k < t->T; k++) want += alpha[k] * r->gth[(size_t)k * r->total + o];
            else
                want = r->head[(size_t)(grp - 1) * r->total + o];
            double tol = 1e-5 * (1 + fabs(want)) + 1e-6;
            if (fabs(grad[o] - want) > tol)
                fail_msg("%s[%zu]: step gradient %g, expected %g", pi->name, i, (double)grad[o], want);
        }
    }
}

/* MGDA (norm none) at the representation: the weights are on the simplex,
 * d_Z = sum alpha_k g_k is the min-norm point of the hull of the g_k
 * (d . g_k >= |d|^2, with equality where alpha_k > 0), and the update is
 * J^T d_Z = sum alpha_k dL_k/dtheta, heads unscaled. mgda_ub is the same
 * method with rep_grad on by default. */
static void test_run_rep_grad_mgda_min_norm(void **state)
{
    (void)state;
    mt_trainer *t;
    float *grad;
    reference r;
    checked_step("mgda", 3, &t, &grad, &r);
    const float *alpha = trainer_weights(t);
    double s = 0;
    for (int k = 0; k < 3; k++) assert_true(alpha[k] >= 0), s += alpha[k];
    assert_float_equal(s, 1.0, 1e-5);
    double *d = calloc(r.cols, sizeof(double)), dd = 0;
    for (size_t c = 0; c < r.cols; c++) {
        for (int k = 0; k < 3; k++) d[c] += alpha[k] * r.gz[(size_t)k * r.cols + c];
        dd += d[c] * d[c];
    }
    for (int k = 0; k < 3; k++) {
        double dg = 0;
        for (size_t c = 0; c < r.cols; c++) dg += d[c] * r.gz[(size_t)k * r.cols + c];
        assert_true(dg >= dd * (1 - 1e-4));
        if (alpha[k] > 1e-3) assert_float_equal(dg, dd, 1e-4 * dd + 1e-12);
    }
    /* a conflict in this data: the min-norm point is not a vertex */
    int active = 0;
    for (int k = 0; k < 3; k++) active += alpha[k] > 1e-3;
    assert_true(active >= 2);
    check_update(t, grad, &r, alpha);
    free(d);
    free(grad);
    reference_free(&r);
    trainer_free(t);
    mt_experiment e;
    make_experiment(&e, 3, "mgda_ub", -1, 1);
    assert_int_equal(trainer_new(&e, NULL, &t), MT_OK);
    assert_int_equal(t->rep_grad, 1);
    trainer_free(t);
    experiment_free(&e);
}

/* PCGrad at the representation on two nearly opposed tasks (y0 and y2):
 * the combined d_Z conflicts with neither (d . g_k >= 0), although the
 * raw gradients do, and the update is J^T d_Z. */
static void test_run_rep_grad_pcgrad_opposed(void **state)
{
    (void)state;
    mt_experiment e;
    make_experiment(&e, 3, "pcgrad", 1, 1);
    /* keep tasks y0 and y2 only */
    e.task[1] = e.task[2];
    e.topo.task[1] = e.topo.task[2];
    e.ntasks = e.topo.ntasks = 2;
    topo_resolve(&e.topo);
    mt_trainer *t;
    assert_int_equal(trainer_new(&e, NULL, &t), MT_OK);
    experiment_free(&e);
    mt_params *p = graph_params(t->g);
    /* the same head for both tasks: their Z gradients then differ only by
     * the residuals, which are nearly opposed */
    int src = 0;
    for (int q = 0; q < p->count; q++) {
        if (p->info[q].group != 2) continue;
        while (p->info[src].group != 1) src++;
        assert_int_equal(p->info[src].size, p->info[q].size);
        memcpy(p->data + p->info[q].offset, p->data + p->info[src].offset, p->info[q].size * sizeof(float));
        src++;
    }
    assert_int_equal(trainer_step(t), MT_OK);
    float *before = malloc(p->total * sizeof(float));
    memcpy(before, p->data, p->total * sizeof(float));
    float *grad = step_gradient(t);
    memcpy(p->data, before, p->total * sizeof(float));
    free(before);
    graph_forward(t->g, MT_TRAIN);
    reference r;
    reference_grads(t, &r);
    double g01 = 0;
    for (size_t c = 0; c < r.cols; c++) g01 += (double)r.gz[c] * r.gz[r.cols + c];
    assert_true(g01 < 0); /* they do conflict */
    const float *alpha = trainer_weights(t);
    for (int k = 0; k < 2; k++) {
        double dg = 0;
        for (size_t c = 0; c < r.cols; c++) {
            double dc = alpha[0] * r.gz[c] + alpha[1] * r.gz[r.cols + c];
            dg += dc * r.gz[(size_t)k * r.cols + c];
        }
        assert_true(dg >= -1e-6);
    }
    check_update(t, grad, &r, alpha);
    free(grad);
    reference_free(&r);
    trainer_free(t);
}

/* GradDrop's direction is not a combination of the g_k: the shared
 * update is still one backward pass of it (checked through its alpha
 * being a least-squares fit, so only finiteness and the heads here), and
 * a network whose heads read different layers has no one representation. */
static void test_run_rep_grad_graddrop_and_errors(void **state)
{
    (void)state;
    mt_trainer *t;
    float *grad;
    reference r;
    checked_step("graddrop", 3, &t, &grad, &r);
    mt_params *p = graph_params(t->g);
    for (int q = 0; q < p->count; q++) {
        const mt_param_info *pi = &p->info[q];
        for (size_t i = 0; i < pi->size; i++) {
            size_t o = pi->offset + i;
            assert_true(isfinite(grad[o]));
            if (pi->group > 0)
                assert_float_equal(grad[o], r.head[(size_t)(pi->group - 1) * r.total + o],
                                   1e-5 * (1 + fabs(grad[o])));
        }
    }
    free(grad);
    reference_free(&r);
    trainer_free(t);
    mt_experiment e;
    make_experiment(&e, 2, "cagrad", 1, 1);
    e.topo.task[1].attach = 1; /* reads the first trunk layer */
    topo_resolve(&e.topo);
    assert_int_not_equal(trainer_new(&e, NULL, &t), MT_OK);
    if (!strstr(mt_last_error(), "cagrad with rep_grad needs one shared representation"))
        fail_msg("%s", mt_last_error());
    experiment_free(&e);
}

/* graddrop_rep (always on the representation) in the trainer: with
 * leak 1 every gradient is kept, d_Z = sum_k g_k, and the step equals
 * sum's (exact with rep_grad); with leak 0 signs are dropped and the step
 * differs. Its per-unit masks are replayed in test_mtl_combine_props. */
static void test_run_rep_grad_graddrop_rep(void **state)
{
    (void)state;
    float *g[3];
    size_t n = 0;
    for (int v = 0; v < 3; v++) {
        mt_experiment e;
        make_experiment(&e, 3, v == 0 ? "sum" : "graddrop_rep", v == 0 ? 1 : -1, 1);
        if (v > 0) assert_int_equal(tparam_set_num(&e.weighting.params, "leak", MT_TP_NUMBER, v == 1 ? 1.0 : 0.0), MT_OK);
        mt_trainer *t;
        assert_int_equal(trainer_new(&e, NULL, &t), MT_OK);
        assert_int_equal(t->rep_grad, 1);
        g[v] = step_gradient(t);
        n = graph_params(t->g)->total;
        trainer_free(t);
        experiment_free(&e);
    }
    double same = max_rel(g[1], g[0], n), diff = max_rel(g[2], g[0], n);
    if (same > 1e-5) fail_msg("graddrop_rep leak 1 differs from sum by %g", same);
    if (!(diff > 1e-3)) fail_msg("graddrop_rep leak 0 equals sum (%g): nothing dropped", diff);
    for (int v = 0; v < 3; v++) free(g[v]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_rep_grad_sum_mean_exact),
        cmocka_unit_test(test_run_rep_grad_mgda_min_norm),
        cmocka_unit_test(test_run_rep_grad_pcgrad_opposed),
        cmocka_unit_test(test_run_rep_grad_graddrop_and_errors),
        cmocka_unit_test(test_run_rep_grad_graddrop_rep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
