#include "auxtask.h"
#include "combine.h"
#include "combine_impl.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/rng.h"
#include "cagrad.h"
#include "linalg.h"
#include "methods.h"
#include "minnorm.h"



const char *combine_kind_name(mt_combine_kind kind)
{
    const mt_method_info *m = method_of_kind(MT_METHOD_COMBINER, (int)kind);
    return m ? m->name : "unknown";
}

mt_status combine_kind_parse(const char *name, mt_combine_kind *out)
{
    const mt_method_info *m = method_find(name);
    if (m && m->family == MT_METHOD_COMBINER) {
        *out = (mt_combine_kind)m->kind;
        return MT_OK;
    }
    char list[512];
    method_list(MT_METHOD_COMBINER, 1, list, sizeof list);
    return mt_fail(MT_ERR_ARG, "combine: unknown method \"%s\" (expected %s)", name ? name : "(null)", list);
}

/* MGDA's `norm` parameter in the registry: its choices are the names. */
static const mt_tparam_def *mgda_norm_def(void)
{
    return tparam_def(method_of_kind(MT_METHOD_COMBINER, MT_COMBINE_MGDA)->params, "norm");
}

const char *combine_mgda_norm_name(mt_mgda_norm n)
{
    static _Thread_local char name[16];
    if ((int)n < 0 || (int)n >= tparam_choice_count(mgda_norm_def())) return "unknown";
    tparam_choice_name(mgda_norm_def(), (int)n, name, sizeof name);
    return name;
}

mt_status combine_mgda_norm_parse(const char *name, mt_mgda_norm *out)
{
    int k = name ? tparam_choice_index(mgda_norm_def(), name) : -1;
    if (k >= 0) {
        *out = (mt_mgda_norm)k;
        return MT_OK;
    }
    char list[128];
    tparam_choice_list(mgda_norm_def(), list, sizeof list);
    return mt_fail(MT_ERR_ARG, "combine mgda: unknown normalisation \"%s\" (expected one of %s)",
                   name ? name : "(null)", list);
}

void combine_params_default(mt_combine_params *p)
{
    memset(p, 0, sizeof *p);
    method_family_defaults(MT_METHOD_COMBINER, p);
}

int combine_needs_losses(mt_combine_kind kind, const mt_combine_params *prm)
{
    mt_combine_params d;
    if (!prm) {
        combine_params_default(&d);
        prm = &d;
    }
    return ((kind == MT_COMBINE_MGDA || kind == MT_COMBINE_MGDA_UB) &&
            (prm->mgda_norm == MT_MGDA_NORM_LOSS || prm->mgda_norm == MT_MGDA_NORM_LOSS_PLUS)) ||
           kind == MT_COMBINE_MOCO || kind == MT_COMBINE_DB_MTL;
}

void combine_reset(mt_combiner *c)
{
    size_t TT = (size_t)c->T * (size_t)c->T;
    memset(c->ema, 0, sizeof *c->ema * TT);
    for (int i = 0; i < c->T; i++) {
        c->prev[i] = c->kind == MT_COMBINE_MOCO ? 1.0 / c->T : 0.0; /* excess_mtl: log-weights */
        c->e0[i] = 0.0;
    }
    c->calls = 0;
    c->have_prev = 0;
    if (c->state) memset(c->state, 0, sizeof *c->state * (size_t)c->T * c->sP);
    mt_rng_init(&c->rng, c->prm.seed, 0x636f6d62 /* "comb" */);
}

mt_status combine_new(mt_combiner **out, mt_combine_kind kind, int T, const mt_combine_params *prm)
{
    *out = NULL;
    if ((int)kind < 0 || kind >= MT_COMBINE_KIND_COUNT)
        return mt_fail(MT_ERR_ARG, "combine: unknown method kind %d", (int)kind);
    if (T < 1 || T > MT_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "combine %s: task count %d out of range 1..%d", combine_kind_name(kind), T,
                       MT_MAX_TASKS);
    mt_combine_params p;
    if (prm)
        p = *prm;
    else
        combine_params_default(&p);
    mt_status st = method_check_struct(MT_METHOD_COMBINER, (int)kind, &p);
    if (st != MT_OK) return mt_fail_prefix(st, "combine %s", combine_kind_name(kind));
    if ((st = combine_robust_check(kind, T, &p))) return st;
    mt_combiner *c = mt_calloc(1, sizeof *c);
    if (!c) return MT_ERR_NOMEM;
    size_t nT = (size_t)T, TT = nT * nT;
    size_t nd = 6 * TT + COMBINE_QPW(nT) + NVEC * nT + 3 * nT;
    c->M = mt_alloc_aligned(nd * sizeof(double));
    c->chunk = mt_alloc_aligned(nT * LINALG_GRAM_CHUNK * sizeof(double));
    c->iwork = mt_calloc(6 * nT, sizeof(int));
    c->alpha_f = mt_calloc(nT, sizeof(float));
    if (!c->M || !c->chunk || !c->iwork || !c->alpha_f) {
        combine_free(c);
        return MT_ERR_NOMEM;
    }
    c->A = c->M + TT;
    c->B = c->A + TT;
    c->V = c->B + TT;
    c->C = c->V + TT;
    c->ema = c->C + TT;
    c->qpw = c->ema + TT;
    double *v = c->qpw + COMBINE_QPW(nT);
    for (int k = 0; k < NVEC; k++) c->vec[k] = v + (size_t)k * nT;
    c->alpha = v + NVEC * nT;
    c->prev = c->alpha + nT;
    c->e0 = c->prev + nT;
    c->perm = c->iwork + 3 * nT;
    c->act = c->perm + nT;
    c->is_main = c->iwork + 5 * nT;
    for (int i = 0; i < T; i++) c->is_main[i] = 1;
    c->kind = kind;
    c->T = T;
    c->prm = p;
    combine_reset(c);
    *out = c;
    return MT_OK;
}

void combine_set_main(mt_combiner *c, const int *is_main)
{
    for (int i = 0; i < c->T; i++) c->is_main[i] = is_main ? is_main[i] != 0 : 1;
}

void combine_free(mt_combiner *c)
{
    if (!c) return;
    mt_free(c->M);
    mt_free(c->chunk);
    mt_free(c->iwork);
    mt_free(c->alpha_f);
    mt_free(c->state);
    mt_free(c);
}

int combine_has_state(mt_combine_kind kind)
{
    return kind == MT_COMBINE_MOCO || kind == MT_COMBINE_DB_MTL || kind == MT_COMBINE_EXCESS_MTL;
}

mt_status combine_reserve(mt_combiner *c, size_t P)
{
    if (!c) return mt_fail(MT_ERR_ARG, "combine_reserve: combiner is NULL");
    if (!combine_has_state(c->kind) || P == c->sP) return MT_OK;
    if (P < 1 || P > (size_t)INT_MAX)
        return mt_fail(MT_ERR_SHAPE, "combine %s: P = %zu parameters out of range 1..%d", combine_kind_name(c->kind), P,
                       INT_MAX);
    float *s = mt_alloc_aligned((size_t)c->T * P * sizeof(float));
    if (!s) return MT_ERR_NOMEM;
    mt_free(c->state);
    c->state = s;
    c->sP = P;
    combine_reset(c);
    return MT_OK;
}

mt_combine_kind combine_kind(const mt_combiner *c) { return c->kind; }

const double *combine_last_gram(const mt_combiner *c) { return c->M; }

mt_status combine_switch(mt_combiner *c, mt_combine_kind kind)
{
    if ((int)kind < 0 || kind >= MT_COMBINE_KIND_COUNT)
        return mt_fail(MT_ERR_ARG, "combine_switch: unknown method kind %d", (int)kind);
    c->kind = kind;
    combine_reset(c);
    return MT_OK;
}

double combine_gradvac_target(const mt_combiner *c, int i, int j)
{
    if (i < 0 || j < 0 || i >= c->T || j >= c->T || i == j) return NAN;
    return c->ema[i * c->T + j];
}

/* ---- methods: each fills c->alpha from c->M (and G where stated) ---- */

static mt_status run_mgda(mt_combiner *c, const float *losses)
{
    int T = c->T;
    double *n = c->vec[0], *a = c->vec[1];
    for (int i = 0; i < T; i++) {
        double g = sqrt(c->M[i * T + i]);
        switch (c->prm.mgda_norm) {
        case MT_MGDA_NORM_L2: n[i] = g; break;
        case MT_MGDA_NORM_LOSS: n[i] = losses[i]; break;
        case MT_MGDA_NORM_LOSS_PLUS: n[i] = losses[i] * g; break;
        default: n[i] = 1.0; break;
        }
        if (!(n[i] > 0.0)) n[i] = 1.0; /* zero gradient: nothing to normalise */
    }
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) c->A[i * T + j] = c->M[i * T + j] / (n[i] * n[j]);
    double gap = 0.0;
    int it = minnorm_solve(c->A, T, a, c->qpw, c->iwork, c->prm.mgda_max_iter, c->prm.mgda_tol, &gap);
    if (it < 0)
        return mt_fail(MT_ERR_NUMERIC,
                       "combine %s: no min-norm point within %d Frank-Wolfe iterations and the exact finish (KKT gap %g)",
                       combine_kind_name(c->kind), c->prm.mgda_max_iter, gap);
    for (int i = 0; i < T; i++) c->alpha[i] = a[i] / n[i];
    return MT_OK;
}

/* PCGrad and GradVac modify g_i by adding multiples of the original g_j;
 * row i of C holds the coefficients of the modified g_i, so every inner
 * product is a quadratic form in M. */
static double c_dot(const mt_combiner *c, int i, int j) /* g_i' . g_j */
{
    int T = c->T;
    double s = 0.0;
    for (int k = 0; k < T; k++) s += c->C[i * T + k] * c->M[k * T + j];
    return s;
}

static double c_sqnorm(const mt_combiner *c, int i) /* ||g_i'||^2 */
{
    int T = c->T;
    double s = 0.0;
    for (int k = 0; k < T; k++) s += c->C[i * T + k] * c_dot(c, i, k);
    return s > 0.0 ? s : 0.0;
}

static int others_shuffled(mt_combiner *c, int i)
{
    int m = 0;
    for (int j = 0; j < c->T; j++)
        if (j != i) c->perm[m++] = j;
    mt_rng_shuffle(&c->rng, c->perm, (size_t)m);
    return m;
}

static void alpha_from_c(mt_combiner *c)
{
    int T = c->T;
    for (int k = 0; k < T; k++) {
        double s = 0.0;
        for (int i = 0; i < T; i++) s += c->C[i * T + k];
        c->alpha[k] = s;
    }
}

static void c_identity(mt_combiner *c)
{
    int T = c->T;
    for (int i = 0; i < T; i++)
        for (int k = 0; k < T; k++) c->C[i * T + k] = i == k ? 1.0 : 0.0;
}

static void run_pcgrad(mt_combiner *c)
{
    int T = c->T;
    c_identity(c);
    for (int i = 0; i < T; i++) {
        int m = others_shuffled(c, i);
        for (int a = 0; a < m; a++) {
            int j = c->perm[a];
            double d = c_dot(c, i, j), njj = c->M[j * T + j];
            if (d < 0.0 && njj > 0.0) c->C[i * T + j] -= d / njj;
        }
    }
    alpha_from_c(c);
}

static void run_gradvac(mt_combiner *c)
{
    int T = c->T;
    double beta = c->prm.gradvac_beta;
    c_identity(c);
    for (int i = 0; i < T; i++) {
        int m = others_shuffled(c, i);
        for (int a = 0; a < m; a++) {
            int j = c->perm[a];
            double ni = sqrt(c_sqnorm(c, i)), nj = sqrt(c->M[j * T + j]);
            if (!(ni > 0.0) || !(nj > 0.0)) continue;
            double rho = c_dot(c, i, j) / (ni * nj);
            if (rho > 1.0) rho = 1.0;
            if (rho < -1.0) rho = -1.0;
            double phi = c->ema[i * T + j];
            if (rho < phi) {
                double sp = sqrt(fmax(1.0 - phi * phi, 1e-24)), sr = sqrt(fmax(1.0 - rho * rho, 0.0));
                c->C[i * T + j] += ni * (phi * sr - rho * sp) / (nj * sp);
            }
            c->ema[i * T + j] = (1.0 - beta) * phi + beta * rho;
        }
    }
    alpha_from_c(c);
}

/* Indices of tasks with a nonzero gradient into c->act; returns count. */
static int active_tasks(mt_combiner *c)
{
    int m = 0;
    for (int i = 0; i < c->T; i++)
        if (c->M[i * c->T + i] > 0.0) c->act[m++] = i;
    return m;
}

/* CAGrad's weights from cagrad.h, then the rescale. */
static mt_status run_cagrad(mt_combiner *c)
{
    int T = c->T;
    mt_status st = cagrad_solve(c->M, T, c->prm.cagrad_c, c->alpha, c->qpw, c->iwork);
    if (st) return st;
    double s = 1.0, cc = c->prm.cagrad_c;
    if (c->prm.cagrad_rescale == 1) s = 1.0 + cc * cc;
    if (c->prm.cagrad_rescale == 2) s = 1.0 + cc;
    for (int i = 0; i < T; i++) c->alpha[i] /= s;
    return MT_OK;
}

/* The closed form needs the gradients linearly independent; more tasks
 * than dimensions (T > P) makes them dependent whatever the numbers, and
 * a square root of the unit gradients' Gram matrix of lower rank
 * (linalg_psd_factor: a gradient within 1.5e-8 of the span of the others)
 * does too. Either is the documented error, never a silent d ~ 0. */
static mt_status run_imtl_g(mt_combiner *c, size_t P)
{
    int T = c->T;
    for (int i = 0; i < T; i++) c->alpha[i] = 0.0;
    int m = active_tasks(c);
    if (m == 0) return MT_OK;
    if (m == 1) {
        c->alpha[c->act[0]] = 1.0;
        return MT_OK;
    }
    const int *a = c->act;
    int n = m - 1;
    double *nrm = c->vec[0], *x = c->vec[1];
    for (int k = 0; k < m; k++) nrm[k] = sqrt(c->M[a[k] * T + a[k]]);
    if ((size_t)m > P)
        return mt_fail(MT_ERR_NUMERIC, "combine imtl_g: %d tasks with a nonzero gradient in %zu dimensions are "
                                       "linearly dependent; IMTL-G needs independent gradients (at most %zu tasks)",
                       m, P, P);
    for (int i = 0; i < m; i++)
        for (int k = 0; k < m; k++) c->A[i * m + k] = c->M[a[i] * T + a[k]] / (nrm[i] * nrm[k]);
    int rank = linalg_psd_factor(m, c->A, c->B, c->qpw, c->iwork);
    if (rank < m)
        return mt_fail(MT_ERR_NUMERIC, "combine imtl_g: the task gradients are linearly dependent (rank %d of %d); "
                                       "IMTL-G needs independent gradients",
                       rank, m);
#define GM(p, q) c->M[a[p] * T + a[q]]
    /* DU[i][j] = (g_0 - g_{i+1}) . (u_0 - u_{j+1}); we solve (DU)^T x = (g_0 U^T)^T */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double du = GM(0, 0) / nrm[0] - GM(0, j + 1) / nrm[j + 1] - GM(i + 1, 0) / nrm[0] +
                        GM(i + 1, j + 1) / nrm[j + 1];
            c->A[j * n + i] = du;
        }
        x[i] = GM(0, 0) / nrm[0] - GM(0, i + 1) / nrm[i + 1];
    }
#undef GM
    if (linalg_solve(n, c->A, x) != 0)
        return mt_fail(MT_ERR_NUMERIC, "combine imtl_g: the task gradients are linearly dependent (singular "
                                       "system); IMTL-G needs independent gradients");
    double s = 0.0;
    for (int k = 0; k < n; k++) {
        c->alpha[a[k + 1]] = x[k];
        s += x[k];
    }
    c->alpha[a[0]] = 1.0 - s;
    return MT_OK;
}

/* psi(b) = b^T A b / 2 - sum_i cw_i phi(b_i), with phi = log for p = 1
 * and b^(1 - 1/p) / (1 - 1/p) otherwise (so phi'(b) = b^(-1/p)); Ax
 * receives A b. */
static double fair_psi(int m, const double *A, const double *x, const double *cw, double p, double *Ax)
{
    double q = 0.0, lg = 0.0;
    for (int i = 0; i < m; i++) {
        double s = 0.0;
        for (int k = 0; k < m; k++) s += A[i * m + k] * x[k];
        Ax[i] = s;
        q += x[i] * s;
        lg += p == 1.0 ? log(x[i]) : cw[i] * pow(x[i], 1.0 - 1.0 / p) / (1.0 - 1.0 / p);
    }
    return 0.5 * q - lg;
}

/* alpha-fair weights: alpha > 0 with alpha_i^(1/p) (M alpha)_i = 1, the
 * stationarity condition of psi(a) = a^T M a / 2 - sum phi(a_i)
 * (gradient M a - a^(-1/p)), strictly convex on a > 0 when M is positive
 * definite: Newton with a positivity-preserving Armijo search converges
 * from any start. p = 1 is Nash-MTL. The problem is solved for
 * b = a * sqrt(diag M), i.e. on the unit-diagonal A = D^-1/2 M D^-1/2,
 * where the equations read (A b)_i = cw_i b_i^(-1/p) with
 * cw_i = sqrt(M_ii)^(1/p - 1) (1 for Nash-MTL: the rescaling removes the
 * conditioning due to unequal gradient norms and leaves the residual
 * unchanged). On nearly dependent gradients the attainable residual is
 * bounded by round-off; when Newton stops improving (three full steps
 * without halving the residual) a residual below NASH_FLOOR is accepted,
 * anything else is an error. `start` (T, may be NULL) is a warm start:
 * the last alpha, used when it is positive on every active task. */
#define NASH_FLOOR 1e-6
static mt_status run_fair(mt_combiner *c, double pw, const double *start)
{
    int T = c->T;
    for (int i = 0; i < T; i++) c->alpha[i] = 0.0;
    int m = active_tasks(c);
    if (m == 0) return MT_OK;
    const int *act = c->act;
    double *A = c->A, *H = c->B, *a = c->vec[0], *Aa = c->vec[1], *p = c->vec[2], *an = c->vec[3],
           *tmp = c->vec[4], *sd = c->vec[5], *cw = c->vec[6];
    for (int i = 0; i < m; i++) {
        sd[i] = sqrt(c->M[act[i] * T + act[i]]);
        cw[i] = pw == 1.0 ? 1.0 : pow(sd[i], 1.0 / pw - 1.0);
    }
    for (int i = 0; i < m; i++)
        for (int k = 0; k < m; k++) A[i * m + k] = c->M[act[i] * T + act[k]] / (sd[i] * sd[k]);
    int warm = start != NULL;
    for (int i = 0; warm && i < m; i++) warm = start[act[i]] > 0.0 && isfinite(start[act[i]]);
    for (int i = 0; i < m; i++) a[i] = warm ? start[act[i]] * sd[i] : 1.0;
    double res = INFINITY, prev = INFINITY;
    int stalls = 0;
    for (int it = 0; it <= c->prm.nash_max_iter; it++) {
        double psi = fair_psi(m, A, a, cw, pw, Aa);
        res = 0.0;
        for (int i = 0; i < m; i++)
            res = fmax(res, pw == 1.0 ? fabs(a[i] * Aa[i] - 1.0) : fabs(pow(a[i], 1.0 / pw) * Aa[i] / cw[i] - 1.0));
        if (!isfinite(res)) break;
        if (res > 0.5 * prev) stalls++;
        else stalls = 0;
        prev = res;
        if (res <= c->prm.nash_tol || (stalls >= 3 && res <= NASH_FLOOR)) {
            for (int i = 0; i < m; i++) c->alpha[act[i]] = a[i] / sd[i];
            return MT_OK;
        }
        if (it == c->prm.nash_max_iter) break;
        double slope = 0.0;
        for (int i = 0; i < m; i++) {
            double h = pw == 1.0 ? 1.0 / (a[i] * a[i]) : cw[i] / pw * pow(a[i], -1.0 / pw - 1.0);
            double f = pw == 1.0 ? 1.0 / a[i] : cw[i] * pow(a[i], -1.0 / pw);
            for (int k = 0; k < m; k++) H[i * m + k] = A[i * m + k] + (i == k ? h : 0.0);
            p[i] = -(Aa[i] - f);
        }
        memcpy(tmp, p, sizeof *p * (size_t)m); /* -gradient */
        if (linalg_solve(m, H, p) != 0) break;
        for (int i = 0; i < m; i++) slope -= tmp[i] * p[i];
        /* psi is self-concordant for p = 1: inside the quadratic-convergence
         * region (Newton decrement^2 = -slope < 0.1) the full step is safe
         * and stays positive, and an Armijo test there would compare
         * round-off. */
        if (-slope < 0.1) {
            int pos = 1;
            for (int i = 0; i < m; i++) {
                an[i] = a[i] + p[i];
                if (!(an[i] > 0.0)) pos = 0;
            }
            if (pos) {
                memcpy(a, an, sizeof *a * (size_t)m);
                continue;
            }
        }
        stalls = 0;
        double t = 1.0;
        int ok = 0;
        for (int bt = 0; bt < 80; bt++, t *= 0.5) {
            int pos = 1;
            for (int i = 0; i < m; i++) {
                an[i] = a[i] + t * p[i];
                if (!(an[i] > 0.0)) pos = 0;
            }
            if (!pos) continue;
            if (fair_psi(m, A, an, cw, pw, tmp) <= psi + 1e-4 * t * slope) {
                ok = 1;
                break;
            }
        }
        if (!ok) break;
        memcpy(a, an, sizeof *a * (size_t)m);
    }
    if (pw == 1.0)
        return mt_fail(MT_ERR_NUMERIC,
                       "combine %s: no solution of alpha_i (G G^T alpha)_i = 1 after %d Newton steps "
                       "(residual %g); are the task gradients linearly dependent?",
                       combine_kind_name(c->kind), c->prm.nash_max_iter, res);
    return mt_fail(MT_ERR_NUMERIC,
                   "combine %s: no solution of (G G^T alpha)_i = alpha_i^(-1/%g) after %d Newton steps "
                   "(residual %g); are the task gradients linearly dependent?",
                   combine_kind_name(c->kind), pw, c->prm.nash_max_iter, res);
}

/* Nash-MTL with the authors' options: a new solve every
 * nash_update_every calls (the last alpha in between), optionally warm
 * started, and |d| clipped to nash_max_norm. */
static mt_status run_nash(mt_combiner *c)
{
    int T = c->T;
    int k = c->prm.nash_update_every > 1 ? c->prm.nash_update_every : 1;
    if (c->have_prev && c->calls % k != 0) {
        memcpy(c->alpha, c->prev, sizeof *c->alpha * (size_t)T);
    } else {
        mt_status st = run_fair(c, 1.0, c->prm.nash_warm_start && c->have_prev ? c->prev : NULL);
        if (st) return st;
        memcpy(c->prev, c->alpha, sizeof *c->alpha * (size_t)T);
        c->have_prev = 1;
    }
    c->calls++;
    if (c->prm.nash_max_norm > 0.0) {
        double n2 = 0.0;
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) n2 += c->alpha[i] * c->M[i * T + j] * c->alpha[j];
        double n = sqrt(fmax(n2, 0.0));
        if (n > c->prm.nash_max_norm)
            for (int i = 0; i < T; i++) c->alpha[i] *= c->prm.nash_max_norm / n;
    }
    return MT_OK;
}

/* Numerical rank of a descending spectrum as in Aligned-MTL's code. */
int combine_spectrum_rank(const double *l, int T)
{
    double tol = l[0] * T * FLT_EPSILON;
    int r = 0;
    while (r < T && l[r] > tol && l[r] > 0.0) r++;
    return r;
}

static void run_aligned(mt_combiner *c)
{
    int T = c->T;
    double *l = c->vec[0];
    memcpy(c->A, c->M, sizeof *c->M * (size_t)T * T);
    linalg_eigh(T, c->A, l, c->V);
    int r = combine_spectrum_rank(l, T);
    for (int i = 0; i < T; i++) c->alpha[i] = 0.0;
    if (r == 0) return;
    double smin = sqrt(l[r - 1]);
    for (int k = 0; k < r; k++) {
        double colsum = 0.0;
        for (int j = 0; j < T; j++) colsum += c->V[j * T + k];
        double f = smin / sqrt(l[k]) * colsum;
        for (int i = 0; i < T; i++) c->alpha[i] += c->V[i * T + k] * f;
    }
}

/* The projection of g_i / T onto the dual cone {v : v . g_j >= 0} is
 * G^T v_i with v_i = argmin v^T M v over v >= e_i / T (Quinton & Rey's
 * dual). With a square root R of M (R^T R = M) that is non-negative least
 * squares, x = v_i - e_i / T >= 0 minimising |R x + R e_i / T|, solved
 * exactly: at its solution R^T R v_i = M v_i >= 0, i.e. the projection has
 * d_i . g_j >= 0 for every j, whatever the scales of the gradients and
 * however singular M is (opposed, duplicated or dependent gradients), so
 * the sum d . g_j >= 0 too. A positive upgrad_reg solves instead on M /
 * tr(M) + reg I, as torchjd does; that shifts every d . g_j by about
 * -reg tr(M) |v|, so the promise holds only up to that. */
static mt_status run_upgrad(mt_combiner *c)
{
    int T = c->T;
    double tr = 0.0, reg = c->prm.upgrad_reg;
    for (int i = 0; i < T; i++) tr += c->M[i * T + i];
    for (int i = 0; i < T; i++) c->alpha[i] = 1.0 / T;
    if (!(tr > 0.0)) return MT_OK;
    double *R = c->V, *b = c->vec[0], *x = c->vec[1];
    for (int i = 0; i < T; i++)
        for (int k = 0; k < T; k++) c->A[i * T + k] = reg > 0.0 ? c->M[i * T + k] / tr + (i == k ? reg : 0.0) : c->M[i * T + k];
    int k = linalg_psd_factor(T, c->A, R, c->qpw, c->iwork);
    for (int i = 0; i < T; i++) c->alpha[i] = 0.0;
    for (int i = 0; i < T; i++) {
        for (int r = 0; r < k; r++) b[r] = -R[r * T + i] / T;
        if (linalg_nnls(k, T, R, b, x, c->qpw, c->iwork) < 0)
            return mt_fail(MT_ERR_NUMERIC, "combine upgrad: the projection of task %d onto the dual cone did not "
                                           "terminate (non-negative least squares)",
                           i);
        for (int j = 0; j < T; j++) c->alpha[j] += x[j] + (j == i ? 1.0 / T : 0.0);
    }
    return MT_OK;
}

/* The mean projected onto the dual cone: alpha = argmin a^T M a over
 * a >= 1 / T, i.e. x = a - 1 / T >= 0 minimising |R x + R 1 / T|, the
 * exact non-negative least squares of run_upgrad for one right-hand
 * side. */
static mt_status run_dualproj(mt_combiner *c)
{
    int T = c->T;
    double tr = 0.0;
    for (int i = 0; i < T; i++) tr += c->M[i * T + i];
    for (int i = 0; i < T; i++) c->alpha[i] = 1.0 / T;
    if (!(tr > 0.0)) return MT_OK;
    double *R = c->V, *b = c->vec[0], *x = c->vec[1];
    int k = linalg_psd_factor(T, c->M, R, c->qpw, c->iwork);
    for (int r = 0; r < k; r++) {
        double s = 0.0;
        for (int j = 0; j < T; j++) s += R[r * T + j];
        b[r] = -s / T;
    }
    if (linalg_nnls(k, T, R, b, x, c->qpw, c->iwork) < 0)
        return mt_fail(MT_ERR_NUMERIC, "combine dualproj: the projection of the mean onto the dual cone did not "
                                       "terminate (non-negative least squares)");
    for (int j = 0; j < T; j++) c->alpha[j] = x[j] + 1.0 / T;
    return MT_OK;
}

/* ConFIG: v = U^T Mu^+ 1 over the unit gradients of the active tasks
 * (Mu^+ over the singular values of U above m FLT_EPSILON of the
 * largest), then
 * d = (sum_j g_j . v^) v^. With beta = Mu^+ 1, v = sum_i beta_i u_i and
 * |v|^2 = beta^T Mu beta, all from M. */
static void run_config(mt_combiner *c)
{
    int T = c->T;
    for (int i = 0; i < T; i++) c->alpha[i] = 0.0;
    int m = active_tasks(c);
    if (m == 0) return;
    const int *a = c->act;
    double *nrm = c->vec[0], *l = c->vec[1], *beta = c->vec[2];
    for (int i = 0; i < m; i++) nrm[i] = sqrt(c->M[a[i] * T + a[i]]);
    for (int i = 0; i < m; i++)
        for (int k = 0; k < m; k++) c->A[i * m + k] = c->M[a[i] * T + a[k]] / (nrm[i] * nrm[k]);
    linalg_eigh(m, c->A, l, c->V);
    /* pseudo-inverse over the singular values of U above m FLT_EPSILON
     * of the largest (torch.linalg.pinv's cut for float input) */
    double cut = l[0] * (m * FLT_EPSILON) * (m * FLT_EPSILON);
    int r = 0;
    while (r < m && l[r] > cut && l[r] > 0.0) r++;
    for (int i = 0; i < m; i++) beta[i] = 0.0;
    for (int k = 0; k < r; k++) {
        double proj = 0.0;
        for (int j = 0; j < m; j++) proj += c->V[j * m + k];
        proj /= l[k];
        for (int i = 0; i < m; i++) beta[i] += c->V[i * m + k] * proj;
    }
    double v2 = 0.0, len = 0.0;
    for (int i = 0; i < m; i++)
        for (int k = 0; k < m; k++) v2 += beta[i] * beta[k] * c->M[a[i] * T + a[k]] / (nrm[i] * nrm[k]);
    if (!(v2 > 0.0)) return;
    double vn = sqrt(v2);
    /* sum_j g_j . v^ over every task (a zero row adds 0) */
    for (int j = 0; j < T; j++)
        for (int i = 0; i < m; i++) len += c->M[j * T + a[i]] * beta[i] / (nrm[i] * vn);
    for (int i = 0; i < m; i++) c->alpha[a[i]] = len * beta[i] / (nrm[i] * vn);
}

/* SDMGrad: the min-norm point w of the hull of h_i = g_i + lambda g0 on
 * their Gram matrix H = M + lambda (m 1^T + 1 m^T) + lambda^2 |g0|^2,
 * m_i = g_i . g0. */
static mt_status run_sdmgrad(mt_combiner *c)
{
    int T = c->T;
    double lam = c->prm.sdmgrad_lambda, g0g0 = 0.0, *mg = c->vec[0], *w = c->vec[1];
    for (int i = 0; i < T; i++) {
        double s = 0.0;
        for (int k = 0; k < T; k++) s += c->M[i * T + k];
        mg[i] = s / T;
        g0g0 += mg[i] / T;
    }
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) c->A[i * T + j] = c->M[i * T + j] + lam * (mg[i] + mg[j]) + lam * lam * g0g0;
    double gap = 0.0;
    int it = minnorm_solve(c->A, T, w, c->qpw, c->iwork, c->prm.mgda_max_iter, c->prm.mgda_tol, &gap);
    if (it < 0)
        return mt_fail(MT_ERR_NUMERIC,
                       "combine sdmgrad: no min-norm point within %d Frank-Wolfe iterations and the exact finish "
                       "(KKT gap %g)",
                       c->prm.mgda_max_iter, gap);
    for (int i = 0; i < T; i++) c->alpha[i] = (w[i] + lam / T) / (1.0 + lam);
    return MT_OK;
}


mt_status combine_graddrop_rep(mt_combiner *c, const float *G, int T, int B, int R, const float *Z, float *d_out,
                               float *alpha_out)
{
    if (!c) return mt_fail(MT_ERR_ARG, "combine_graddrop_rep: combiner is NULL");
    if (c->kind != MT_COMBINE_GRADDROP_REP)
        return mt_fail(MT_ERR_STATE, "combine %s: combine_graddrop_rep is graddrop_rep's", combine_kind_name(c->kind));
    if (!G || !Z || !d_out || !alpha_out)
        return mt_fail(MT_ERR_ARG, "combine graddrop_rep: G, Z, d_out and alpha_out are required");
    if (T != c->T)
        return mt_fail(MT_ERR_SHAPE, "combine graddrop_rep: G has %d task rows but the combiner was made for %d", T,
                       c->T);
    size_t P = (size_t)B * (size_t)R;
    if (B < 1 || R < 1 || P > (size_t)INT_MAX)
        return mt_fail(MT_ERR_SHAPE, "combine graddrop_rep: representation %d x %d out of range", B, R);
    linalg_gram(G, T, P, c->M, c->chunk);
    for (int i = 0; i < T; i++)
        if (!isfinite(c->M[i * T + i]))
            return mt_fail(MT_ERR_NUMERIC, "combine graddrop_rep: the gradient of task %d is not finite", i);
    double leak = c->prm.graddrop_leak, *sr = c->vec[0], *keep = c->vec[1];
    for (int r = 0; r < R; r++) {
        double s = 0.0, as = 0.0;
        for (int i = 0; i < T; i++) {
            double v = 0.0;
            for (int b = 0; b < B; b++) {
                float z = Z[(size_t)b * R + r];
                double g = G[(size_t)i * P + (size_t)b * R + r];
                v += z > 0.0f ? g : z < 0.0f ? -g : 0.0;
            }
            sr[i] = v;
            s += v;
            as += fabs(v);
        }
        double purity = as > 0.0 ? 0.5 * (1.0 + s / as) : 0.5;
        double u = mt_rng_uniform(&c->rng); /* one per unit: reproducible */
        for (int i = 0; i < T; i++)
            keep[i] = leak + (1.0 - leak) * ((purity > u && sr[i] > 0.0) || (purity < u && sr[i] < 0.0) ? 1.0 : 0.0);
        for (int b = 0; b < B; b++) {
            double out = 0.0;
            for (int i = 0; i < T; i++) out += keep[i] * G[(size_t)i * P + (size_t)b * R + r];
            d_out[(size_t)b * R + r] = (float)out;
        }
    }
    combine_alpha_least_squares(c, G, P, d_out);
    for (int i = 0; i < T; i++) {
        if (!isfinite(c->alpha[i]))
            return mt_fail(MT_ERR_NUMERIC, "combine graddrop_rep: weight of task %d is not finite", i);
        alpha_out[i] = (float)c->alpha[i];
    }
    return MT_OK;
}

mt_status combine_run(mt_combiner *c, const float *G, int T, size_t P, const float *losses, float *d_out,
                      float *alpha_out)
{
    if (!c) return mt_fail(MT_ERR_ARG, "combine_run: combiner is NULL");
    const char *kn = combine_kind_name(c->kind);
    if (!G) return mt_fail(MT_ERR_ARG, "combine %s: G is NULL", kn);
    if (!alpha_out) return mt_fail(MT_ERR_ARG, "combine %s: alpha_out is NULL", kn);
    if (T != c->T)
        return mt_fail(MT_ERR_SHAPE, "combine %s: G has %d task rows but the combiner was made for %d", kn, T,
                       c->T);
    if (P < 1 || P > (size_t)INT_MAX)
        return mt_fail(MT_ERR_SHAPE, "combine %s: P = %zu parameters out of range 1..%d", kn, P, INT_MAX);
    if (c->kind == MT_COMBINE_GRADDROP_REP)
        return mt_fail(MT_ERR_ARG, "combine graddrop_rep: it acts on the shared representation and needs it "
                                   "(combine_graddrop_rep; in a run it is always on the representation)");
    int outside = c->kind == MT_COMBINE_GRADDROP || c->kind == MT_COMBINE_TRIMMED_MEAN || c->kind == MT_COMBINE_MOCO ||
                  c->kind == MT_COMBINE_DB_MTL; /* d is not G^T alpha */
    if (outside && !d_out)
        return mt_fail(MT_ERR_ARG, "combine %s: d_out is NULL (%s's direction is not G^T alpha)", kn, kn);
    mt_status cst = combine_robust_check(c->kind, T, &c->prm);
    if (cst) return cst;
    if (combine_has_state(c->kind) && c->sP != P)
        return c->sP ? mt_fail(MT_ERR_SHAPE, "combine %s: G has %zu columns but its state was reserved for %zu", kn, P,
                               c->sP)
                     : mt_fail(MT_ERR_STATE, "combine %s: no state reserved (combine_reserve) before combine_run", kn);
    if (combine_needs_losses(c->kind, &c->prm)) {
        if (!losses && (c->kind == MT_COMBINE_MGDA || c->kind == MT_COMBINE_MGDA_UB))
            return mt_fail(MT_ERR_ARG, "combine %s: losses are NULL (needed by the %s normalisation)", kn,
                           combine_mgda_norm_name((mt_mgda_norm)c->prm.mgda_norm));
        if (!losses) return mt_fail(MT_ERR_ARG, "combine %s: losses are NULL (%s uses the loss values)", kn, kn);
        for (int i = 0; i < T; i++)
            if (!isfinite(losses[i]) || !(losses[i] > 0.0f))
                return mt_fail(MT_ERR_ARG, "combine %s: losses[%d] is %g (must be finite and > 0)", kn, i,
                               (double)losses[i]);
    }
    linalg_gram(G, T, P, c->M, c->chunk);
    for (int i = 0; i < T; i++)
        if (!isfinite(c->M[i * T + i]))
            return mt_fail(MT_ERR_NUMERIC, "combine %s: the gradient of task %d is not finite", kn, i);

    mt_status st = MT_OK;
    switch (c->kind) {
    case MT_COMBINE_SUM:
        for (int i = 0; i < T; i++) c->alpha[i] = 1.0;
        break;
    case MT_COMBINE_MEAN:
        for (int i = 0; i < T; i++) c->alpha[i] = 1.0 / T;
        break;
    case MT_COMBINE_MGDA:
    case MT_COMBINE_MGDA_UB: st = run_mgda(c, losses); break;
    case MT_COMBINE_PCGRAD: run_pcgrad(c); break;
    case MT_COMBINE_GRADDROP: combine_run_graddrop(c, G, P, d_out); break;
    case MT_COMBINE_GRADVAC: run_gradvac(c); break;
    case MT_COMBINE_CAGRAD: st = run_cagrad(c); break;
    case MT_COMBINE_IMTL_G: st = run_imtl_g(c, P); break;
    case MT_COMBINE_NASH_MTL: st = run_nash(c); break;
    case MT_COMBINE_ALIGNED_MTL: run_aligned(c); break;
    case MT_COMBINE_UPGRAD: st = run_upgrad(c); break;
    case MT_COMBINE_DUALPROJ: st = run_dualproj(c); break;
    case MT_COMBINE_CONFIG: run_config(c); break;
    case MT_COMBINE_FAIRGRAD: st = run_fair(c, c->prm.fairgrad_alpha, NULL); break;
    case MT_COMBINE_SDMGRAD: st = run_sdmgrad(c); break;
    case MT_COMBINE_KRUM: combine_run_krum(c); break;
    case MT_COMBINE_TRIMMED_MEAN: combine_run_trimmed_mean(c, G, P, d_out); break;
    case MT_COMBINE_MOCO:
        combine_run_moco(c, G, P, losses, d_out);
        combine_alpha_least_squares(c, G, P, d_out);
        break;
    case MT_COMBINE_DB_MTL:
        combine_run_db_mtl(c, G, P, losses, d_out);
        combine_alpha_least_squares(c, G, P, d_out);
        break;
    case MT_COMBINE_EXCESS_MTL: combine_run_excess_mtl(c, G, P); break;
    case MT_COMBINE_AUX_GATE: auxtask_gate(c->M, T, c->is_main, c->alpha); break;
    default: return mt_fail(MT_ERR_STATE, "combine: bad method kind %d", (int)c->kind);
    }
    if (st != MT_OK) return st;
    for (int i = 0; i < T; i++) {
        if (!isfinite(c->alpha[i]))
            return mt_fail(MT_ERR_NUMERIC, "combine %s: weight of task %d is not finite", kn, i);
        c->alpha_f[i] = (float)c->alpha[i];
        alpha_out[i] = c->alpha_f[i];
    }
    /* in double from the double weights: alpha can be 1e6 with d near 0
     * (nearly opposed gradients), where float weights would leave an error
     * of 0.1 |g| */
    if (d_out && !outside) linalg_combine(G, T, P, c->alpha, d_out, c->chunk);
    return MT_OK;
}
