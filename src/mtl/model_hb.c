#include "model_hb.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include "core/mem.h"
#include "core/rng.h"
#include "model_kernel.h"

struct mt_hb {
    hb_config c;
    int n, d, T, K;
    double *X;   /* (n, d) with the bias column */
    double *y;   /* (n) */
    int *task;   /* (n) */
    int *nt;     /* (T) */
    double *XtX; /* (T, d, d) */
    double *Xty; /* (T, d) */
    double *yty; /* (T) */
    double floor; /* the lowest noise variance */
    /* the prior and the noise */
    double *mu;  /* (K, d) */
    double *Sig; /* (K, d, d) */
    double *pi;  /* (K) */
    double *noise; /* (T) */
    /* the E-step */
    double *m;    /* (T, K, d) */
    double *S;    /* (T, K, d, d) */
    double *logp; /* (T, K) */
    double *r;    /* (T, K) */
    double obj, loglik;
    /* work */
    double *L, *M, *Z; /* (d, d) each */
};

#define IDX2(h, t, k) ((size_t)(t) * (h)->K + (k))

int hb_dim(const mt_hb *h) { return h->d; }
int hb_components(const mt_hb *h) { return h->K; }
const double *hb_prior_mean(const mt_hb *h, int k) { return h->mu + (size_t)k * h->d; }
const double *hb_prior_cov(const mt_hb *h, int k) { return h->Sig + (size_t)k * h->d * h->d; }
double hb_prior_weight(const mt_hb *h, int k) { return h->pi[k]; }
double hb_noise_var(const mt_hb *h, int t) { return h->noise[t]; }
double hb_resp(const mt_hb *h, int t, int k) { return h->r[IDX2(h, t, k)]; }
double hb_objective(const mt_hb *h) { return h->obj; }
double hb_loglik(const mt_hb *h) { return h->loglik; }

void hb_set_prior(mt_hb *h, int k, const double *mu, const double *Sigma, double weight)
{
    size_t dd = (size_t)h->d * h->d;
    memcpy(h->mu + (size_t)k * h->d, mu, (size_t)h->d * sizeof *mu);
    memcpy(h->Sig + (size_t)k * dd, Sigma, dd * sizeof *Sigma);
    h->pi[k] = weight;
}

void hb_set_noise_var(mt_hb *h, int t, double v) { h->noise[t] = v; }

void hb_free(mt_hb *h)
{
    if (!h) return;
    void *bufs[] = {h->X, h->y, h->task, h->nt, h->XtX, h->Xty, h->yty, h->mu, h->Sig, h->pi,
                    h->noise, h->m, h->S, h->logp, h->r, h->L, h->M, h->Z};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) mt_free(bufs[i]);
    mt_free(h);
}

static double dotd(const double *a, const double *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) s += a[j] * b[j];
    return s;
}

/* a^T M b for M (d, d). */
static double quadform(const double *a, const double *M, const double *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++) s += a[i] * dotd(M + (size_t)i * d, b, d);
    return s;
}

/* The log prior term of one component: -a/2 log|Sigma| - psi/2 tr(Sigma^-1),
 * from its factor L (Sigma^-1's trace is the squared norm of L^-1). */
static double log_prior_term(mt_hb *h, const double *L)
{
    int d = h->d;
    double *Li = h->Z;
    memset(Li, 0, (size_t)d * d * sizeof *Li);
    for (int i = 0; i < d; i++) Li[(size_t)i * d + i] = 1;
    mk_chol_lsolve(L, d, Li, d);
    double tr = 0;
    for (size_t i = 0; i < (size_t)d * d; i++) tr += Li[i] * Li[i];
    return -0.5 * h->c.a * mk_chol_logdet(L, d) - 0.5 * h->c.psi * tr;
}

mt_status hb_estep(mt_hb *h)
{
    int d = h->d, T = h->T, K = h->K;
    size_t dd = (size_t)d * d;
    double prior = 0;
    for (int k = 0; k < K; k++) {
        mt_status st = mk_cholesky(h->Sig + k * dd, d, h->L, NULL, "hier_bayes: a prior covariance");
        if (st) return st;
        prior += log_prior_term(h, h->L);
        for (int t = 0; t < T; t++) {
            double s2 = h->noise[t], *m = h->m + IDX2(h, t, k) * d, *S = h->S + IDX2(h, t, k) * dd;
            const double *mu = h->mu + (size_t)k * d, *XtX = h->XtX + (size_t)t * dd, *Xty = h->Xty + (size_t)t * d;
            /* M = I + L^T A L with A = X^T X / s2, through Z = A L */
            cblas_dsymm(CblasRowMajor, CblasLeft, CblasLower, d, d, 1.0 / s2, XtX, d, h->L, d, 0.0, h->Z, d);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, d, 1.0, h->L, d, h->Z, d, 0.0, h->M, d);
            for (int i = 0; i < d; i++) h->M[(size_t)i * d + i] += 1;
            st = mk_cholesky(h->M, d, h->M, NULL, "hier_bayes: a task posterior");
            if (st) return st;
            double logdetM = mk_chol_logdet(h->M, d);
            /* S = L M^-1 L^T = Z^T Z with C Z = L^T (C the factor of M) */
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) h->Z[(size_t)i * d + j] = h->L[(size_t)j * d + i];
            mk_chol_lsolve(h->M, d, h->Z, d);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, d, 1.0, h->Z, d, h->Z, d, 0.0, S, d);
            /* u = X^T (y - X mu) / s2, m = mu + S u */
            double *u = h->M; /* the factor is no longer needed: reuse its first row */
            for (int i = 0; i < d; i++) u[i] = (Xty[i] - dotd(XtX + (size_t)i * d, mu, d)) / s2;
            for (int i = 0; i < d; i++) m[i] = mu[i] + dotd(S + (size_t)i * d, u, d);
            double rr = h->yty[t] - 2 * dotd(mu, Xty, d) + quadform(mu, XtX, mu, d);
            double quad = rr / s2 - quadform(u, S, u, d);
            int n = h->nt[t];
            h->logp[IDX2(h, t, k)] = -0.5 * (n * log(2 * M_PI * s2) + logdetM + quad);
        }
    }
    /* responsibilities by log-sum-exp; a component of weight 0 takes no task */
    double ll = 0;
    for (int t = 0; t < T; t++) {
        double best = -INFINITY;
        for (int k = 0; k < K; k++)
            if (h->pi[k] > 0) best = fmax(best, log(h->pi[k]) + h->logp[IDX2(h, t, k)]);
        double z = 0;
        for (int k = 0; k < K; k++) {
            double v = h->pi[k] > 0 ? exp(log(h->pi[k]) + h->logp[IDX2(h, t, k)] - best) : 0;
            h->r[IDX2(h, t, k)] = v;
            z += v;
        }
        for (int k = 0; k < K; k++) h->r[IDX2(h, t, k)] /= z;
        ll += best + log(z);
    }
    h->loglik = ll;
    h->obj = ll + prior;
    if (!isfinite(h->obj)) return mt_fail(MT_ERR_NUMERIC, "hier_bayes: the objective is not finite");
    return MT_OK;
}

/* Expected squared residual of task t under component k's posterior:
 * |y - X m|^2 + tr(X^T X S). */
static double expected_rss(const mt_hb *h, int t, int k)
{
    int d = h->d;
    size_t dd = (size_t)d * d;
    const double *m = h->m + IDX2(h, t, k) * d, *S = h->S + IDX2(h, t, k) * dd;
    const double *XtX = h->XtX + (size_t)t * dd, *Xty = h->Xty + (size_t)t * d;
    double tr = 0;
    for (size_t i = 0; i < dd; i++) tr += XtX[i] * S[i]; /* both symmetric */
    return h->yty[t] - 2 * dotd(m, Xty, d) + quadform(m, XtX, m, d) + tr;
}

static void mstep(mt_hb *h)
{
    int d = h->d, T = h->T, K = h->K;
    size_t dd = (size_t)d * d;
    for (int k = 0; k < K; k++) {
        double nk = 0, *mu = h->mu + (size_t)k * d, *Sg = h->Sig + k * dd;
        for (int t = 0; t < T; t++) nk += h->r[IDX2(h, t, k)];
        h->pi[k] = nk / T;
        if (nk > 1e-300) {
            for (int i = 0; i < d; i++) mu[i] = 0;
            for (int t = 0; t < T; t++)
                for (int i = 0; i < d; i++) mu[i] += h->r[IDX2(h, t, k)] * h->m[IDX2(h, t, k) * d + i] / nk;
        }
        for (size_t i = 0; i < dd; i++) Sg[i] = 0;
        for (int t = 0; t < T; t++) {
            double rt = h->r[IDX2(h, t, k)];
            const double *m = h->m + IDX2(h, t, k) * d, *S = h->S + IDX2(h, t, k) * dd;
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) Sg[(size_t)i * d + j] += rt * (S[(size_t)i * d + j] + (m[i] - mu[i]) * (m[j] - mu[j]));
        }
        double tr = 0;
        for (int i = 0; i < d; i++) Sg[(size_t)i * d + i] += h->c.psi, tr += Sg[(size_t)i * d + i];
        for (size_t i = 0; i < dd; i++) Sg[i] /= nk + h->c.a;
        tr /= (nk + h->c.a) * d;
        if (h->c.cov != HB_COV_FULL)
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) {
                    if (i != j) Sg[(size_t)i * d + j] = 0;
                    else if (h->c.cov == HB_COV_ISO) Sg[(size_t)i * d + j] = tr;
                }
    }
    double num = 0;
    int den = 0;
    for (int t = 0; t < T; t++) {
        double e = 0;
        for (int k = 0; k < K; k++) e += h->r[IDX2(h, t, k)] * expected_rss(h, t, k);
        if (h->c.shared_noise) {
            num += e;
            den += h->nt[t];
        } else if (h->nt[t] > 0) {
            h->noise[t] = fmax(e / h->nt[t], h->floor);
        }
    }
    if (h->c.shared_noise && den > 0)
        for (int t = 0; t < T; t++) h->noise[t] = fmax(num / den, h->floor);
}

mt_status hb_em_step(mt_hb *h, double *obj)
{
    mstep(h);
    mt_status st = hb_estep(h);
    if (!st && obj) *obj = h->obj;
    return st;
}

/* Ridge fits per task (a task without data: zeros): the starting weights. */
static mt_status ridge_fits(mt_hb *h, double *W)
{
    int d = h->d;
    size_t dd = (size_t)d * d;
    for (int t = 0; t < h->T; t++) {
        double *w = W + (size_t)t * d;
        for (int i = 0; i < d; i++) w[i] = h->Xty[(size_t)t * d + i];
        if (h->nt[t] == 0) {
            memset(w, 0, (size_t)d * sizeof *w);
            continue;
        }
        double tr = 0;
        memcpy(h->M, h->XtX + t * dd, dd * sizeof *h->M);
        for (int i = 0; i < d; i++) tr += h->M[(size_t)i * d + i];
        for (int i = 0; i < d; i++) h->M[(size_t)i * d + i] += 1e-3 * tr / d + 1e-12;
        mt_status st = mk_cholesky(h->M, d, h->M, NULL, "hier_bayes: a task's starting fit");
        if (st) return st;
        mk_chol_solve(h->M, d, w, 1);
    }
    return MT_OK;
}

static double sqdist(const double *a, const double *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

/* k-means++ seeding and Lloyd iterations on the starting weights W (T, d):
 * the components' means, within-cluster spreads and weights. */
static void kmeans_init(mt_hb *h, const double *W, uint64_t seed, int *assign)
{
    int T = h->T, K = h->K, d = h->d;
    mt_rng rng;
    mt_rng_init(&rng, seed, 0x6b6dULL);
    double dist[64];
    int first = (int)mt_rng_below(&rng, (uint64_t)T);
    memcpy(h->mu, W + (size_t)first * d, (size_t)d * sizeof *W);
    for (int k = 1; k < K; k++) {
        double tot = 0;
        for (int t = 0; t < T; t++) {
            double best = INFINITY;
            for (int j = 0; j < k; j++) best = fmin(best, sqdist(W + (size_t)t * d, h->mu + (size_t)j * d, d));
            dist[t] = best;
            tot += best;
        }
        int pick = T - 1;
        double u = mt_rng_uniform(&rng) * tot, acc = 0;
        for (int t = 0; t < T; t++)
            if ((acc += dist[t]) > u) {
                pick = t;
                break;
            }
        memcpy(h->mu + (size_t)k * d, W + (size_t)pick * d, (size_t)d * sizeof *W);
    }
    for (int it = 0; it < 50; it++) {
        int changed = 0;
        for (int t = 0; t < T; t++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (sqdist(W + (size_t)t * d, h->mu + (size_t)k * d, d) < sqdist(W + (size_t)t * d, h->mu + (size_t)best * d, d))
                    best = k;
            changed += it == 0 || assign[t] != best;
            assign[t] = best;
        }
        for (int k = 0; k < K; k++) {
            int cnt = 0;
            double *mu = h->mu + (size_t)k * d;
            for (int t = 0; t < T; t++) cnt += assign[t] == k;
            if (!cnt) continue;
            memset(mu, 0, (size_t)d * sizeof *mu);
            for (int t = 0; t < T; t++)
                if (assign[t] == k)
                    for (int i = 0; i < d; i++) mu[i] += W[(size_t)t * d + i] / cnt;
        }
        if (!changed) break;
    }
}

mt_status hb_new(const hb_config *c, const double *X, const double *y, const int *task, int n, int d0,
                 uint64_t seed, mt_hb **out)
{
    *out = NULL;
    if (c->T < 1 || c->T > 64 || c->K < 1 || c->K > c->T || n < 1 || d0 < 0 || d0 + (c->bias != 0) < 1 ||
        !(c->psi > 0) || !(c->a > 0))
        return mt_fail(MT_ERR_ARG, "hier_bayes: bad configuration (T %d, K %d, n %d, d %d, psi %g, a %g)", c->T,
                       c->K, n, d0, c->psi, c->a);
    for (int i = 0; i < n; i++)
        if (task[i] < 0 || task[i] >= c->T || !isfinite(y[i]))
            return mt_fail(MT_ERR_ARG, "hier_bayes: observation %d: task %d, target %g", i + 1, task[i], y[i]);
    mt_hb *h = mt_calloc(1, sizeof *h);
    if (!h) return MT_ERR_NOMEM;
    h->c = *c;
    h->n = n, h->T = c->T, h->K = c->K, h->d = d0 + (c->bias != 0);
    int d = h->d, T = h->T, K = h->K;
    size_t dd = (size_t)d * d;
    h->X = mt_alloc((size_t)n * d * sizeof *h->X);
    h->y = mt_alloc((size_t)n * sizeof *h->y);
    h->task = mt_alloc((size_t)n * sizeof *h->task);
    h->nt = mt_calloc((size_t)T, sizeof *h->nt);
    h->XtX = mt_calloc((size_t)T * dd, sizeof *h->XtX);
    h->Xty = mt_calloc((size_t)T * d, sizeof *h->Xty);
    h->yty = mt_calloc((size_t)T, sizeof *h->yty);
    h->mu = mt_calloc((size_t)K * d, sizeof *h->mu);
    h->Sig = mt_calloc((size_t)K * dd, sizeof *h->Sig);
    h->pi = mt_calloc((size_t)K, sizeof *h->pi);
    h->noise = mt_calloc((size_t)T, sizeof *h->noise);
    h->m = mt_calloc((size_t)T * K * d, sizeof *h->m);
    h->S = mt_calloc((size_t)T * K * dd, sizeof *h->S);
    h->logp = mt_calloc((size_t)T * K, sizeof *h->logp);
    h->r = mt_calloc((size_t)T * K, sizeof *h->r);
    h->L = mt_alloc(dd * sizeof *h->L);
    h->M = mt_alloc(dd * sizeof *h->M);
    h->Z = mt_alloc(dd * sizeof *h->Z);
    double *W = mt_calloc((size_t)T * d, sizeof *W);
    if (!h->X || !h->y || !h->task || !h->nt || !h->XtX || !h->Xty || !h->yty || !h->mu || !h->Sig || !h->pi ||
        !h->noise || !h->m || !h->S || !h->logp || !h->r || !h->L || !h->M || !h->Z || !W) {
        mt_free(W);
        hb_free(h);
        return MT_ERR_NOMEM;
    }
    double sumsq = 0;
    for (int i = 0; i < n; i++) {
        double *xi = h->X + (size_t)i * d;
        memcpy(xi, X + (size_t)i * d0, (size_t)d0 * sizeof *X);
        if (c->bias) xi[d0] = 1;
        int t = task[i];
        h->y[i] = y[i];
        h->task[i] = t;
        h->nt[t]++;
        h->yty[t] += y[i] * y[i];
        sumsq += y[i] * y[i];
        for (int a = 0; a < d; a++) {
            h->Xty[(size_t)t * d + a] += xi[a] * y[i];
            for (int b = 0; b < d; b++) h->XtX[t * dd + (size_t)a * d + b] += xi[a] * xi[b];
        }
    }
    h->floor = fmax(1e-10 * sumsq / n, DBL_MIN);
    mt_status st = ridge_fits(h, W);
    /* the starting point: components from the ridge fits, an isotropic
     * spread, the noise of each task's fit */
    int assign[64] = {0};
    if (!st && K > 1) kmeans_init(h, W, seed, assign);
    for (int k = 0; !st && k < K; k++) {
        double *mu = h->mu + (size_t)k * d, spread = 0, scale = 0;
        int cnt = 0;
        if (K == 1)
            for (int t = 0; t < T; t++)
                for (int i = 0; i < d; i++) mu[i] += W[(size_t)t * d + i] / T;
        for (int t = 0; t < T; t++) {
            scale += dotd(W + (size_t)t * d, W + (size_t)t * d, d) / ((double)T * d);
            if (assign[t] != k) continue;
            spread += sqdist(W + (size_t)t * d, mu, d) / d;
            cnt++;
        }
        double v = fmax(cnt > 1 ? spread / (cnt - 1) : 0, 0.01 * scale);
        v = fmax(v, c->psi);
        for (int i = 0; i < d; i++) h->Sig[k * dd + (size_t)i * d + i] = v;
        h->pi[k] = 1.0 / K;
    }
    for (int t = 0; !st && t < T; t++) {
        int nt = h->nt[t];
        const double *w = W + (size_t)t * d;
        double rss = h->yty[t] - 2 * dotd(w, h->Xty + (size_t)t * d, d) + quadform(w, h->XtX + t * dd, w, d);
        double v = nt > d + 1 ? rss / (nt - d) : nt > 0 ? 0.25 * h->yty[t] / nt : 0.25 * sumsq / n;
        h->noise[t] = fmax(v, h->floor);
    }
    if (c->shared_noise) { /* one value from the start: EM stays inside the model */
        double num = 0;
        for (int t = 0; t < T; t++) num += h->noise[t] * h->nt[t];
        for (int t = 0; t < T; t++) h->noise[t] = fmax(num / n, h->floor);
    }
    mt_free(W);
    if (!st) st = hb_estep(h);
    if (st) {
        hb_free(h);
        return st;
    }
    *out = h;
    return MT_OK;
}

void hb_posterior(const mt_hb *h, int t, double *mean, double *cov)
{
    int d = h->d, K = h->K;
    size_t dd = (size_t)d * d;
    for (int i = 0; i < d; i++) mean[i] = 0;
    for (int k = 0; k < K; k++)
        for (int i = 0; i < d; i++) mean[i] += h->r[IDX2(h, t, k)] * h->m[IDX2(h, t, k) * d + i];
    if (!cov) return;
    /* the mixture's covariance: sum_k r_k (S_k + m_k m_k^T) - mean mean^T */
    for (size_t i = 0; i < dd; i++) cov[i] = 0;
    for (int k = 0; k < K; k++) {
        double rk = h->r[IDX2(h, t, k)];
        const double *m = h->m + IDX2(h, t, k) * d, *S = h->S + IDX2(h, t, k) * dd;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) cov[(size_t)i * d + j] += rk * (S[(size_t)i * d + j] + m[i] * m[j]);
    }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) cov[(size_t)i * d + j] -= mean[i] * mean[j];
}

mt_status hb_predict(const mt_hb *h, int t, const double *Xs, int m, double *mean, double *var)
{
    if (t < 0 || t >= h->T) return mt_fail(MT_ERR_ARG, "hier_bayes: no task %d", t);
    int d = h->d, d0 = d - (h->c.bias != 0);
    size_t dd = (size_t)d * d;
    double x[257];
    if (d > 256) return mt_fail(MT_ERR_ARG, "hier_bayes: %d inputs, at most 256 can be predicted", d);
    for (int p = 0; p < m; p++) {
        memcpy(x, Xs + (size_t)p * d0, (size_t)d0 * sizeof *x);
        if (h->c.bias) x[d0] = 1;
        double mu = 0, second = 0;
        for (int k = 0; k < h->K; k++) {
            double rk = h->r[IDX2(h, t, k)];
            double f = dotd(x, h->m + IDX2(h, t, k) * d, d);
            mu += rk * f;
            if (var) second += rk * (quadform(x, h->S + IDX2(h, t, k) * dd, x, d) + f * f);
        }
        mean[p] = mu;
        if (var) var[p] = fmax(second - mu * mu, 0);
    }
    return MT_OK;
}

void hb_loo_residuals(const mt_hb *h, double *e)
{
    int d = h->d;
    size_t dd = (size_t)d * d;
    for (int i = 0; i < h->n; i++) {
        int t = h->task[i];
        const double *x = h->X + (size_t)i * d;
        double s = 0;
        for (int k = 0; k < h->K; k++) {
            double hii = quadform(x, h->S + IDX2(h, t, k) * dd, x, d) / h->noise[t];
            double res = h->y[i] - dotd(x, h->m + IDX2(h, t, k) * d, d);
            s += h->r[IDX2(h, t, k)] * res / (1 - hii);
        }
        e[i] = s;
    }
}
