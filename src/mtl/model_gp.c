#include "model_gp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "core/rng.h"

#define GP_NOISE_FLOOR 1e-6 /* standardised units: a millionth of each task's variance */

struct mt_gp {
    gp_config c;
    int n, d, T, R;
    double *X;   /* (n, d) */
    double *y;   /* (n) standardised */
    int *task;   /* (n) */
    int *nt;     /* (T) observations per task */
    double *ybar, *ysd; /* (T) the standardisation */
    double log_jac;     /* sum_i log ysd[task_i] */
    int ntheta;
    double *theta;     /* (ntheta) */
    unsigned char *fixed; /* (ntheta) */
    /* the factorisation at theta_at (valid when have) */
    double *theta_at; /* (ntheta) */
    int have;
    double *Sinv;  /* (n, n) Sigma^-1 */
    double *alpha; /* (n) Sigma^-1 r */
    double *r;     /* (n) y - mean */
    double lml, jitter;
    double *B;     /* (T, T) at theta_at */
};

int gp_ntheta(const mt_gp *g) { return g->ntheta; }
double *gp_theta(mt_gp *g) { return g->theta; }
int gp_th_L(const mt_gp *g, int t, int r) { return 2 + t * g->R + r; }
int gp_th_kappa(const mt_gp *g, int t) { return 2 + g->T * g->R + t; }
int gp_th_noise(const mt_gp *g, int t) { return 2 + g->T * g->R + g->T + 2 * t; }
int gp_th_mean(const mt_gp *g, int t) { return 2 + g->T * g->R + g->T + 2 * t + 1; }
double gp_jitter(const mt_gp *g) { return g->jitter; }
int gp_task_count(const mt_gp *g, int t) { return g->nt[t]; }

static double noise_std(const mt_gp *g, const double *th, int t) { return GP_NOISE_FLOOR + exp(th[gp_th_noise(g, t)]); }

/* B = L L^T + diag(kappa) from theta. */
static void make_B(const mt_gp *g, const double *th, double *B)
{
    int T = g->T, R = g->R;
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) {
            double v = s == t ? exp(th[gp_th_kappa(g, t)]) : 0;
            for (int r = 0; r < R; r++) v += th[gp_th_L(g, s, r)] * th[gp_th_L(g, t, r)];
            B[s * T + t] = v;
        }
}

void gp_task_B(const mt_gp *g, double *B) { make_B(g, g->theta, B); }

void gp_task_cov(const mt_gp *g, double *C)
{
    make_B(g, g->theta, C);
    double var = exp(g->theta[0]);
    for (int s = 0; s < g->T; s++)
        for (int t = 0; t < g->T; t++) C[s * g->T + t] *= var * g->ysd[s] * g->ysd[t];
}

double gp_noise_var(const mt_gp *g, int t) { return noise_std(g, g->theta, t) * g->ysd[t] * g->ysd[t]; }
double gp_task_mean(const mt_gp *g, int t) { return g->ybar[t] + g->ysd[t] * g->theta[gp_th_mean(g, t)]; }

static mk_kernel kernel_at(const mt_gp *g, const double *th, double var)
{
    return (mk_kernel){.kind = g->c.kernel, .var = var, .ls = exp(th[1])};
}

mk_kernel gp_kernel(const mt_gp *g) { return kernel_at(g, g->theta, exp(g->theta[0])); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median distance between (up to 200) inputs: a length-scale at the
 * scale of the data. */
static double median_distance(const double *X, int n, int d)
{
    int m = n < 200 ? n : 200;
    size_t np = (size_t)m * (size_t)(m - 1) / 2, k = 0;
    if (np == 0) return 1;
    double *dist = mt_alloc(np * sizeof *dist);
    if (!dist) return 1;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < i; j++) {
            double s = 0;
            for (int q = 0; q < d; q++) {
                double t = X[(size_t)i * d + q] - X[(size_t)j * d + q];
                s += t * t;
            }
            dist[k++] = sqrt(s);
        }
    qsort(dist, np, sizeof *dist, cmp_double);
    double med = dist[np / 2];
    mt_free(dist);
    return med > 0 ? med : 1;
}

void gp_free(mt_gp *g)
{
    if (!g) return;
    mt_free(g->X);
    mt_free(g->y);
    mt_free(g->task);
    mt_free(g->nt);
    mt_free(g->ybar);
    mt_free(g->ysd);
    mt_free(g->theta);
    mt_free(g->fixed);
    mt_free(g->theta_at);
    mt_free(g->Sinv);
    mt_free(g->alpha);
    mt_free(g->r);
    mt_free(g->B);
    mt_free(g);
}

/* Per-task mean and standard deviation; a task without data (or a
 * constant one) falls back to the pooled values. */
static void standardise(mt_gp *g, const double *y)
{
    int n = g->n, T = g->T;
    double pm = 0, pv = 0;
    for (int i = 0; i < n; i++) pm += y[i];
    pm /= n;
    for (int i = 0; i < n; i++) pv += (y[i] - pm) * (y[i] - pm);
    double psd = n > 1 ? sqrt(pv / (n - 1)) : 0;
    if (!(psd > 1e-12 * (1 + fabs(pm)))) psd = 1;
    for (int t = 0; t < T; t++) g->ybar[t] = 0, g->ysd[t] = 0;
    for (int i = 0; i < n; i++) g->ybar[g->task[i]] += y[i];
    for (int t = 0; t < T; t++) g->ybar[t] = g->nt[t] ? g->ybar[t] / g->nt[t] : pm;
    for (int i = 0; i < n; i++) {
        double e = y[i] - g->ybar[g->task[i]];
        g->ysd[g->task[i]] += e * e;
    }
    for (int t = 0; t < T; t++) {
        double sd = g->nt[t] > 1 ? sqrt(g->ysd[t] / (g->nt[t] - 1)) : 0;
        g->ysd[t] = sd > 1e-12 * (1 + fabs(g->ybar[t])) ? sd : psd;
    }
    g->log_jac = 0;
    for (int i = 0; i < n; i++) {
        g->y[i] = (y[i] - g->ybar[g->task[i]]) / g->ysd[g->task[i]];
        g->log_jac += log(g->ysd[g->task[i]]);
    }
}

mt_status gp_new(const gp_config *c, const double *X, const double *y, const int *task, int n, int d,
                 uint64_t seed, mt_gp **out)
{
    *out = NULL;
    if (c->T < 1 || c->rank < 0 || c->rank > c->T || n < 1 || d < 1)
        return mt_fail(MT_ERR_ARG, "gp: bad shape (T %d, rank %d, n %d, d %d)", c->T, c->rank, n, d);
    for (int i = 0; i < n; i++)
        if (task[i] < 0 || task[i] >= c->T || !isfinite(y[i]))
            return mt_fail(MT_ERR_ARG, "gp: observation %d: task %d, target %g", i + 1, task[i], y[i]);
    mt_gp *g = mt_calloc(1, sizeof *g);
    if (!g) return MT_ERR_NOMEM;
    g->c = *c;
    g->n = n, g->d = d, g->T = c->T, g->R = c->rank;
    g->ntheta = 2 + g->T * g->R + 3 * g->T;
    size_t nn = (size_t)n * (size_t)n;
    g->X = mt_alloc((size_t)n * d * sizeof *g->X);
    g->y = mt_alloc((size_t)n * sizeof *g->y);
    g->task = mt_alloc((size_t)n * sizeof *g->task);
    g->nt = mt_calloc((size_t)g->T, sizeof *g->nt);
    g->ybar = mt_calloc((size_t)g->T, sizeof *g->ybar);
    g->ysd = mt_calloc((size_t)g->T, sizeof *g->ysd);
    g->theta = mt_calloc((size_t)g->ntheta, sizeof *g->theta);
    g->fixed = mt_calloc((size_t)g->ntheta, 1);
    g->theta_at = mt_calloc((size_t)g->ntheta, sizeof *g->theta_at);
    g->Sinv = mt_alloc(nn * sizeof *g->Sinv);
    g->alpha = mt_alloc((size_t)n * sizeof *g->alpha);
    g->r = mt_alloc((size_t)n * sizeof *g->r);
    g->B = mt_alloc((size_t)g->T * g->T * sizeof *g->B);
    if (!g->X || !g->y || !g->task || !g->nt || !g->ybar || !g->ysd || !g->theta || !g->fixed || !g->theta_at ||
        !g->Sinv || !g->alpha || !g->r || !g->B) {
        gp_free(g);
        return mt_fail(MT_ERR_NOMEM, "gp: %d observations need %.0f MB", n, 8.0 * (double)nn / 1e6);
    }
    memcpy(g->X, X, (size_t)n * d * sizeof *X);
    memcpy(g->task, task, (size_t)n * sizeof *task);
    for (int i = 0; i < n; i++) g->nt[task[i]]++;
    standardise(g, y);
    /* the starting point */
    double *th = g->theta;
    th[0] = 0;
    th[1] = log(c->ls0 > 0 ? c->ls0 : median_distance(X, n, d));
    mt_rng rng;
    mt_rng_init(&rng, seed, 0x69cULL);
    for (int t = 0; t < g->T; t++) {
        for (int r = 0; r < g->R; r++) th[gp_th_L(g, t, r)] = (r == 0 ? sqrt(0.5) : 0) + 0.1 * mt_rng_normal(&rng);
        th[gp_th_kappa(g, t)] = g->R > 0 ? log(0.5) : 0;
        th[gp_th_noise(g, t)] = log(fmax((c->noise0 > 0 ? c->noise0 : 0.1) - GP_NOISE_FLOOR, 1e-12));
        th[gp_th_mean(g, t)] = 0;
    }
    for (int i = 0; i < g->ntheta; i++) {
        int kernel = i < 2, B = i >= 2 && i < gp_th_noise(g, 0);
        int noise = i >= gp_th_noise(g, 0) && (i - gp_th_noise(g, 0)) % 2 == 0, mean = i >= gp_th_noise(g, 0) && !noise;
        g->fixed[i] = (unsigned char)((kernel && (c->fixed & GP_FIX_KERNEL)) || (B && (c->fixed & GP_FIX_B)) ||
                                      (noise && (c->fixed & GP_FIX_NOISE)) || (mean && (c->fixed & GP_FIX_MEAN)));
    }
    *out = g;
    return MT_OK;
}

/* Sigma = var B[s_i, s_j] k1(x_i, x_j) + noise on the diagonal, factorised
 * and inverted in Sinv; alpha = Sigma^-1 (y - mean); the LML. Nothing
 * happens when theta is what was factorised last. */
static mt_status factorise(mt_gp *g)
{
    int n = g->n, d = g->d, T = g->T;
    const double *th = g->theta;
    if (g->have && memcmp(g->theta_at, th, (size_t)g->ntheta * sizeof *th) == 0) return MT_OK;
    g->have = 0;
    for (int i = 0; i < g->ntheta; i++)
        if (!isfinite(th[i])) return mt_fail(MT_ERR_NUMERIC, "gp: hyperparameter %d is not finite", i);
    make_B(g, th, g->B);
    mk_kernel k1 = kernel_at(g, th, 1.0);
    double var = exp(th[0]);
    for (int i = 0; i < n; i++) {
        const double *xi = g->X + (size_t)i * d;
        const double *Bi = g->B + g->task[i] * T;
        for (int j = 0; j <= i; j++)
            g->Sinv[(size_t)i * n + j] = var * Bi[g->task[j]] * mk_eval(&k1, xi, g->X + (size_t)j * d, d);
        g->Sinv[(size_t)i * n + i] += noise_std(g, th, g->task[i]);
    }
    mt_status st = mk_cholesky(g->Sinv, n, g->Sinv, &g->jitter, "gp: the covariance of the training targets");
    if (st) return st;
    double logdet = mk_chol_logdet(g->Sinv, n);
    for (int i = 0; i < n; i++) g->r[i] = g->alpha[i] = g->y[i] - th[gp_th_mean(g, g->task[i])];
    mk_chol_solve(g->Sinv, n, g->alpha, 1);
    double fit = 0;
    for (int i = 0; i < n; i++) fit += g->r[i] * g->alpha[i];
    if ((st = mk_chol_inverse(g->Sinv, n, g->Sinv))) return st;
    g->lml = -0.5 * fit - 0.5 * logdet - 0.5 * n * log(2 * M_PI) - g->log_jac;
    if (!isfinite(g->lml)) return mt_fail(MT_ERR_NUMERIC, "gp: the log marginal likelihood is not finite");
    memcpy(g->theta_at, th, (size_t)g->ntheta * sizeof *th);
    g->have = 1;
    return MT_OK;
}

/* dLML/dtheta = 1/2 tr((alpha alpha^T - Sigma^-1) dSigma/dtheta), over the
 * pairs i >= j (each off-diagonal pair twice). G[s, t] collects the
 * derivative with respect to B[s, t] (times 2), from which L and kappa
 * follow by the chain rule through B = L L^T + diag(kappa). */
static void gradient(mt_gp *g, double *grad)
{
    int n = g->n, d = g->d, T = g->T, R = g->R;
    const double *th = g->theta;
    mk_kernel k1 = kernel_at(g, th, 1.0);
    double var = exp(th[0]);
    double gvar = 0, gls = 0;
    double *G = mt_calloc((size_t)T * T, sizeof *G), *gnoise = mt_calloc((size_t)T, sizeof *gnoise);
    for (int i = 0; i < n && G && gnoise; i++) {
        const double *xi = g->X + (size_t)i * d;
        int si = g->task[i];
        for (int j = 0; j <= i; j++) {
            int sj = g->task[j];
            double W = g->alpha[i] * g->alpha[j] - g->Sinv[(size_t)i * n + j];
            double dk, kv = mk_eval_dls(&k1, xi, g->X + (size_t)j * d, d, &dk);
            double w = i == j ? W : 2 * W, b = g->B[si * T + sj];
            gvar += w * var * b * kv;
            gls += w * var * b * dk;
            G[si * T + sj] += W * var * kv;
            if (i != j) G[sj * T + si] += W * var * kv;
            else gnoise[si] += W;
        }
    }
    memset(grad, 0, (size_t)g->ntheta * sizeof *grad);
    if (!G || !gnoise) { /* out of memory: no step rather than a wrong one */
        mt_free(G);
        mt_free(gnoise);
        return;
    }
    grad[0] = 0.5 * gvar;
    grad[1] = 0.5 * gls;
    for (int t = 0; t < T; t++) {
        for (int r = 0; r < R; r++) {
            double s = 0;
            for (int u = 0; u < T; u++) s += G[t * T + u] * th[gp_th_L(g, u, r)];
            grad[gp_th_L(g, t, r)] = s;
        }
        grad[gp_th_kappa(g, t)] = 0.5 * G[t * T + t] * exp(th[gp_th_kappa(g, t)]);
        grad[gp_th_noise(g, t)] = 0.5 * gnoise[t] * exp(th[gp_th_noise(g, t)]);
    }
    for (int i = 0; i < n; i++) grad[gp_th_mean(g, g->task[i])] += g->alpha[i];
    mt_free(G);
    mt_free(gnoise);
}

mt_status gp_lml(mt_gp *g, double *lml, double *grad)
{
    mt_status st = factorise(g);
    if (st) return st;
    if (lml) *lml = g->lml;
    if (grad) gradient(g, grad);
    return MT_OK;
}

mt_status gp_step(mt_gp *g, mk_adam *adam, const mk_adam_cfg *c, double *lml)
{
    double *grad = mt_alloc((size_t)g->ntheta * sizeof *grad);
    if (!grad) return MT_ERR_NOMEM;
    mt_status st = gp_lml(g, lml, grad);
    for (int i = 0; !st && i < g->ntheta; i++)
        if (!isfinite(grad[i])) st = mt_fail(MT_ERR_NUMERIC, "gp: the gradient of hyperparameter %d is not finite", i);
    if (!st) mk_adam_ascend(adam, c, g->theta, grad, g->fixed);
    mt_free(grad);
    return st;
}

/* Points in chunks, so a large evaluation set needs O(chunk N) memory. */
#define GP_CHUNK 128

mt_status gp_predict(mt_gp *g, int t, const double *Xs, int m, double *mean, double *var)
{
    if (t < 0 || t >= g->T) return mt_fail(MT_ERR_ARG, "gp: no task %d", t);
    mt_status st = factorise(g);
    if (st) return st;
    int n = g->n, d = g->d;
    const double *th = g->theta;
    mk_kernel k1 = kernel_at(g, th, 1.0);
    double sv = exp(th[0]), sd = g->ysd[t];
    double *Ks = mt_alloc((size_t)GP_CHUNK * n * sizeof *Ks);
    double *KS = var ? mt_alloc((size_t)GP_CHUNK * n * sizeof *KS) : NULL;
    if (!Ks || (var && !KS)) {
        mt_free(Ks);
        mt_free(KS);
        return MT_ERR_NOMEM;
    }
    for (int p0 = 0; p0 < m; p0 += GP_CHUNK) {
        int c = m - p0 < GP_CHUNK ? m - p0 : GP_CHUNK;
        for (int p = 0; p < c; p++) {
            const double *x = Xs + (size_t)(p0 + p) * d;
            for (int i = 0; i < n; i++)
                Ks[(size_t)p * n + i] = sv * g->B[t * g->T + g->task[i]] * mk_eval(&k1, x, g->X + (size_t)i * d, d);
        }
        cblas_dgemv(CblasRowMajor, CblasNoTrans, c, n, 1.0, Ks, n, g->alpha, 1, 0.0, mean + p0, 1);
        for (int p = 0; p < c; p++) mean[p0 + p] = g->ybar[t] + sd * (th[gp_th_mean(g, t)] + mean[p0 + p]);
        if (!var) continue;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c, n, n, 1.0, Ks, n, g->Sinv, n, 0.0, KS, n);
        for (int p = 0; p < c; p++) {
            const double *x = Xs + (size_t)(p0 + p) * d;
            double q = 0;
            for (int i = 0; i < n; i++) q += KS[(size_t)p * n + i] * Ks[(size_t)p * n + i];
            double v = sv * g->B[t * g->T + t] * mk_eval(&k1, x, x, d) - q;
            var[p0 + p] = (v > 0 ? v : 0) * sd * sd;
        }
    }
    mt_free(Ks);
    mt_free(KS);
    return MT_OK;
}

mt_status gp_loo_residuals(mt_gp *g, double *e)
{
    mt_status st = factorise(g);
    if (st) return st;
    for (int i = 0; i < g->n; i++) e[i] = g->alpha[i] / g->Sinv[(size_t)i * g->n + i] * g->ysd[g->task[i]];
    return MT_OK;
}
