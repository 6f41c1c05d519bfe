/* reg_block.c - block-sparse regularisation by proximal steps (survey 5.1):
 * l1/l2, l1/linf and the dirty model. See reg_block.h. */
#include "reg_block.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "mtl/reg_taskw.h"

/* ---- proximal operators ------------------------------------------------ */

void reg_prox_l2(double *v, int n, double tau)
{
    double s2 = 0;
    for (int i = 0; i < n; i++) s2 += v[i] * v[i];
    double nrm = sqrt(s2);
    double scale = nrm > tau ? 1.0 - tau / nrm : 0.0;
    for (int i = 0; i < n; i++) v[i] *= scale;
}

void reg_prox_l1(double *v, int n, double tau)
{
    for (int i = 0; i < n; i++) {
        double a = fabs(v[i]) - tau;
        v[i] = a > 0 ? copysign(a, v[i]) : 0.0;
    }
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Duchi et al.'s Figure 1 on |v|: sort the magnitudes in decreasing order
 * u_1 >= u_2 >= ...; rho is the last j with u_j > (sum_{r<=j} u_r - z) / j,
 * and theta is that ratio at rho. Assumes ||v||_1 > z >= 0 and n >= 1. */
static double l1ball_threshold(const double *v, int n, double z, double *work)
{
    for (int i = 0; i < n; i++) work[i] = fabs(v[i]);
    qsort(work, (size_t)n, sizeof *work, cmp_desc);
    /* j = 1 always qualifies when z > 0; with z = 0 it gives theta = u_1 */
    double cum = work[0], theta = work[0] - z;
    for (int j = 1; j < n; j++) {
        cum += work[j];
        double th = (cum - z) / (double)(j + 1);
        if (work[j] > th) theta = th;
        else break;
    }
    return theta > 0 ? theta : 0.0;
}

double reg_project_l1ball(double *v, int n, double z, double *work)
{
    double l1 = 0;
    for (int i = 0; i < n; i++) l1 += fabs(v[i]);
    if (l1 <= z) return 0.0;
    double theta = l1ball_threshold(v, n, z, work);
    for (int i = 0; i < n; i++) {
        double a = fabs(v[i]) - theta;
        v[i] = a > 0 ? copysign(a, v[i]) : 0.0;
    }
    return theta;
}

/* prox_{tau ||.||_inf}(v) = v - P_{tau B1}(v): outside the ball, every
 * entry above the projection's threshold theta is clipped to theta. */
void reg_prox_linf(double *v, int n, double tau, double *work)
{
    double l1 = 0;
    for (int i = 0; i < n; i++) l1 += fabs(v[i]);
    if (l1 <= tau) {
        for (int i = 0; i < n; i++) v[i] = 0.0;
        return;
    }
    double theta = l1ball_threshold(v, n, tau, work);
    for (int i = 0; i < n; i++)
        if (fabs(v[i]) > theta) v[i] = copysign(theta, v[i]);
}

/* ---- the regulariser ------------------------------------------------- */

enum { NORM_L1L2, NORM_L1LINF, NORM_DIRTY };

typedef struct {
    reg_taskw w;
    int norm;
    double lambda, lambda_s, lambda_b;
    int R;        /* entries in a feature row: sum_t rows[t] */
    double *row;  /* (R) one feature row, task after task */
    double *work; /* (R) the l1 projection's sort buffer */
    float *S, *B; /* (w.size) the dirty model's parts, laid out task after
                     task like the bound weights (task t at soff[t]) */
    size_t soff[MT_MAX_TASKS];
} block_state;

static void block_free(void *state)
{
    block_state *b = state;
    if (!b) return;
    mt_free(b->row);
    mt_free(b->work);
    mt_free(b->S);
    mt_free(b->B);
    mt_free(b);
}

static const mt_tparam_def block_params[] = {
    {"layer", MT_TP_STRING, 0, 0, 0, NULL,
     "weight pattern, '*' = task name (\"head.*.0\"); empty = each head's first layer"},
    {"norm", MT_TP_CHOICE, 0, 0, 2, "l1/l2|l1/linf|dirty", "the row norm, or the dirty model S + B"},
    {"lambda", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "strength of the l1/l2 or l1/linf penalty"},
    {"lambda_s", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "dirty model: element-wise l1 on S"},
    {"lambda_b", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "dirty model: l1/linf on the rows of B"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static mt_status block_attach(const mt_reg_spec *r, const mt_topo_spec *s, mt_graph *g, void **state)
{
    *state = NULL;
    block_state *b = mt_calloc(1, sizeof *b);
    if (!b) return MT_ERR_NOMEM;
    mt_status st = reg_taskw_bind(&b->w, tparam_str(&r->params, "layer", ""), s, g, 0);
    if (st) {
        block_free(b);
        return st;
    }
    b->norm = (int)tparam_num(&r->params, block_params, "norm");
    b->lambda = tparam_num(&r->params, block_params, "lambda");
    b->lambda_s = tparam_num(&r->params, block_params, "lambda_s");
    b->lambda_b = tparam_num(&r->params, block_params, "lambda_b");
    for (int t = 0; t < b->w.T; t++) b->R += b->w.rows[t];
    b->row = mt_alloc((size_t)b->R * sizeof *b->row);
    b->work = mt_alloc((size_t)b->R * sizeof *b->work);
    if (!b->row || !b->work) {
        block_free(b);
        return MT_ERR_NOMEM;
    }
    if (b->norm == NORM_DIRTY) {
        b->S = mt_alloc(b->w.size * sizeof *b->S);
        b->B = mt_alloc(b->w.size * sizeof *b->B);
        if (!b->S || !b->B) {
            block_free(b);
            return MT_ERR_NOMEM;
        }
        const float *data = graph_params(g)->data;
        size_t o = 0;
        for (int t = 0; t < b->w.T; t++) {
            b->soff[t] = o;
            size_t n = (size_t)b->w.rows[t] * (size_t)b->w.F;
            for (size_t i = 0; i < n; i++) b->S[o + i] = b->B[o + i] = 0.5f * data[b->w.off[t] + i];
            o += n;
        }
    }
    *state = b;
    return MT_OK;
}

/* Row j of the (features x tasks) matrix stored at base + off[t] (a task's
 * weight is (rows[t], F) row-major: entry (o, j) at o * F + j). */
static void gather_row(const block_state *b, const float *base, const size_t *off, int j, double *row)
{
    int k = 0;
    for (int t = 0; t < b->w.T; t++)
        for (int o = 0; o < b->w.rows[t]; o++) row[k++] = base[off[t] + (size_t)o * (size_t)b->w.F + (size_t)j];
}

static void scatter_row(const block_state *b, float *base, const size_t *off, int j, const double *row)
{
    int k = 0;
    for (int t = 0; t < b->w.T; t++)
        for (int o = 0; o < b->w.rows[t]; o++) base[off[t] + (size_t)o * (size_t)b->w.F + (size_t)j] = (float)row[k++];
}

/* The dirty model's step: W's change since the last call goes half to S,
 * half to B; each gets its prox with step lr/2; W = S + B. */
static void dirty_step(block_state *b, float *data, double lr)
{
    double tau_s = 0.5 * lr * b->lambda_s, tau_b = 0.5 * lr * b->lambda_b;
    for (int t = 0; t < b->w.T; t++) {
        size_t n = (size_t)b->w.rows[t] * (size_t)b->w.F;
        float *W = data + b->w.off[t], *S = b->S + b->soff[t], *B = b->B + b->soff[t];
        for (size_t i = 0; i < n; i++) {
            float half = 0.5f * (W[i] - (S[i] + B[i]));
            S[i] += half;
            B[i] += half;
            double a = fabs((double)S[i]) - tau_s;
            S[i] = a > 0 ? (float)copysign(a, (double)S[i]) : 0.0f;
        }
    }
    for (int j = 0; j < b->w.F; j++) {
        gather_row(b, b->B, b->soff, j, b->row);
        reg_prox_linf(b->row, b->R, tau_b, b->work);
        scatter_row(b, b->B, b->soff, j, b->row);
    }
    for (int t = 0; t < b->w.T; t++) {
        size_t n = (size_t)b->w.rows[t] * (size_t)b->w.F;
        float *W = data + b->w.off[t];
        const float *S = b->S + b->soff[t], *B = b->B + b->soff[t];
        for (size_t i = 0; i < n; i++) W[i] = S[i] + B[i];
    }
}

static mt_status block_after_step(void *state, mt_graph *g, mt_params *p, double lr, long step)
{
    (void)g;
    (void)step;
    block_state *b = state;
    if (!(lr >= 0) || !isfinite(lr)) return mt_fail(MT_ERR_ARG, "block_sparse: learning rate %g", lr);
    if (b->norm == NORM_DIRTY) {
        dirty_step(b, p->data, lr);
        return MT_OK;
    }
    double tau = lr * b->lambda;
    if (tau <= 0) return MT_OK;
    for (int j = 0; j < b->w.F; j++) {
        gather_row(b, p->data, b->w.off, j, b->row);
        if (b->norm == NORM_L1L2) reg_prox_l2(b->row, b->R, tau);
        else reg_prox_linf(b->row, b->R, tau, b->work);
        scatter_row(b, p->data, b->w.off, j, b->row);
    }
    return MT_OK;
}

#define FEAT_MAX 32

/* Features task t uses in a weight block stored at base + off[t]. */
static int task_active(const block_state *b, const float *base, size_t off, int t)
{
    int n = 0;
    for (int j = 0; j < b->w.F; j++) {
        int used = 0;
        for (int o = 0; o < b->w.rows[t] && !used; o++) used = base[off + (size_t)o * (size_t)b->w.F + (size_t)j] != 0.0f;
        n += used;
    }
    return n;
}

static void block_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    block_state *b = state;
    const float *data = graph_params(g)->data;
    int T = b->w.T, Fp = b->w.F < FEAT_MAX ? b->w.F : FEAT_MAX;
    double use[MT_MAX_TASKS * FEAT_MAX], act[2 * MT_MAX_TASKS];
    for (int t = 0; t < T; t++)
        for (int j = 0; j < Fp; j++) {
            double s2 = 0;
            for (int o = 0; o < b->w.rows[t]; o++) {
                double x = data[b->w.off[t] + (size_t)o * (size_t)b->w.F + (size_t)j];
                s2 += x * x;
            }
            use[t * Fp + j] = sqrt(s2);
        }
    fn(ud, "feature use", T, Fp, use, NULL, NULL, 0, 0);
    for (int t = 0; t < T; t++) act[t] = task_active(b, data, b->w.off[t], t);
    fn(ud, "active features", 1, T, act, NULL, NULL, 0, b->w.F);
    if (b->norm == NORM_DIRTY) {
        for (int t = 0; t < T; t++) {
            act[t] = task_active(b, b->B, b->soff[t], t);
            act[T + t] = task_active(b, b->S, b->soff[t], t);
        }
        fn(ud, "dirty B/S features", 2, T, act, NULL, NULL, 0, b->w.F);
    }
}

const mt_reg_class reg_class_block_sparse = {
    .name = "block_sparse",
    .summary = "block-sparse rows of the (features x tasks) matrix: l1/l2, l1/linf or dirty S + B, by prox steps",
    .params = block_params,
    .attach = block_attach,
    .hooks = {.after_step = block_after_step, .publish = block_publish, .free = block_free},
};
