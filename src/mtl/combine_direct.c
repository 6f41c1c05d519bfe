/* combine_direct.c - the gradient combiners that read the task gradients
 * G themselves, not only their Gram matrix (see combine_impl.h):
 * Krum, the trimmed mean, GradDrop on parameters, MoCo, DB-MTL and
 * ExcessMTL with their state per shared parameter. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "combine_impl.h"
#include "core/mem.h"
#include "linalg.h"

/* Krum and the trimmed mean need enough tasks for their parameters. */
mt_status combine_robust_check(mt_combine_kind kind, int T, const mt_combine_params *p)
{
    if (kind == MT_COMBINE_KRUM && T < p->krum_f + 3)
        return mt_fail(MT_ERR_ARG, "combine krum: f = %d needs at least f + 3 = %d tasks, there are %d", p->krum_f,
                       p->krum_f + 3, T);
    if (kind == MT_COMBINE_KRUM && p->krum_m > T)
        return mt_fail(MT_ERR_ARG, "combine krum: m = %d is more than the %d tasks", p->krum_m, T);
    if (kind == MT_COMBINE_TRIMMED_MEAN && T <= 2 * p->trim)
        return mt_fail(MT_ERR_ARG, "combine trimmed_mean: trim = %d needs more than 2 trim = %d tasks, there are %d",
                       p->trim, 2 * p->trim, T);
    return MT_OK;
}

/* Krum's scores from the distances |g_i - g_j|^2 = M_ii + M_jj - 2 M_ij. */
void combine_run_krum(mt_combiner *c)
{
    int T = c->T, f = c->prm.krum_f, mm = c->prm.krum_m, near = T - f - 2;
    double *score = c->vec[0], *dist = c->vec[1];
    for (int i = 0; i < T; i++) {
        int n = 0;
        for (int j = 0; j < T; j++)
            if (j != i) dist[n++] = fmax(c->M[i * T + i] + c->M[j * T + j] - 2.0 * c->M[i * T + j], 0.0);
        for (int a = 1; a < n; a++) /* insertion sort: T is small */
            for (int b = a; b > 0 && dist[b] < dist[b - 1]; b--) {
                double t = dist[b];
                dist[b] = dist[b - 1];
                dist[b - 1] = t;
            }
        score[i] = 0.0;
        for (int k = 0; k < near; k++) score[i] += dist[k];
    }
    for (int i = 0; i < T; i++) c->alpha[i] = 0.0;
    for (int s = 0; s < mm; s++) {
        int best = -1;
        for (int i = 0; i < T; i++)
            if (c->alpha[i] == 0.0 && (best < 0 || score[i] < score[best])) best = i;
        c->alpha[best] = 1.0 / mm;
    }
}


void combine_run_trimmed_mean(mt_combiner *c, const float *G, size_t P, float *d)
{
    int T = c->T, tr = c->prm.trim;
    double *v = c->vec[0];
    for (size_t p = 0; p < P; p++) {
        for (int i = 0; i < T; i++) {
            double g = G[(size_t)i * P + p];
            int b = i;
            for (; b > 0 && g < v[b - 1]; b--) v[b] = v[b - 1];
            v[b] = g;
        }
        double s = 0.0;
        for (int i = tr; i < T - tr; i++) s += v[i];
        d[p] = (float)(s / (T - 2 * tr));
    }
    combine_alpha_least_squares(c, G, P, d);
}

/* Least-squares alpha for a direction outside the span:
 * alpha = M^+ (G d), M^+ over the numerical rank. */
void combine_alpha_least_squares(mt_combiner *c, const float *G, size_t P, const float *d)
{
    int T = c->T;
    double *b = c->vec[0], *l = c->vec[1];
    for (int i = 0; i < T; i++) b[i] = linalg_dot_f(G + (size_t)i * P, d, P);
    memcpy(c->A, c->M, sizeof *c->M * (size_t)T * T);
    linalg_eigh(T, c->A, l, c->V);
    int r = combine_spectrum_rank(l, T);
    for (int i = 0; i < T; i++) c->alpha[i] = 0.0;
    for (int k = 0; k < r; k++) {
        double proj = 0.0;
        for (int j = 0; j < T; j++) proj += c->V[j * T + k] * b[j];
        proj /= l[k];
        for (int i = 0; i < T; i++) c->alpha[i] += c->V[i * T + k] * proj;
    }
}

void combine_run_graddrop(mt_combiner *c, const float *G, size_t P, float *d)
{
    int T = c->T;
    double leak = c->prm.graddrop_leak;
    for (size_t p = 0; p < P; p++) {
        double s = 0.0, as = 0.0;
        for (int i = 0; i < T; i++) {
            double g = G[(size_t)i * P + p];
            s += g;
            as += fabs(g);
        }
        double u = mt_rng_uniform(&c->rng); /* drawn for every coordinate: reproducible */
        if (!(as > 0.0)) {
            d[p] = 0.0f;
            continue;
        }
        double purity = 0.5 * (1.0 + s / as);
        int keep_pos = purity > u;
        double out = 0.0;
        for (int i = 0; i < T; i++) {
            double g = G[(size_t)i * P + p];
            int kept = keep_pos ? g > 0.0 : g < 0.0;
            out += leak * g + (1.0 - leak) * (kept ? g : 0.0);
        }
        d[p] = (float)out;
    }
    combine_alpha_least_squares(c, G, P, d);
}

/* MoCo: track h_i = L_i g_i / |g_i| in Y, one projected step on lambda,
 * d = Y^T lambda (double sums, one rounding). */
void combine_run_moco(mt_combiner *c, const float *G, size_t P, const float *losses, float *d)
{
    int T = c->T;
    double t = (double)++c->calls;
    double bt = c->prm.moco_beta / pow(t, c->prm.moco_beta_sigma);
    double gt = c->prm.moco_gamma / pow(t, c->prm.moco_gamma_sigma);
    double *lam = c->prev, *YY = c->A, *step = c->vec[0];
    for (int i = 0; i < T; i++) {
        double n = sqrt(c->M[i * T + i]), f = n > 0.0 ? losses[i] / n : 0.0;
        float *y = c->state + (size_t)i * P;
        const float *g = G + (size_t)i * P;
        for (size_t p = 0; p < P; p++) y[p] = (float)(y[p] - bt * (y[p] - f * g[p]));
    }
    for (int i = 0; i < T; i++)
        for (int j = i; j < T; j++)
            YY[i * T + j] = YY[j * T + i] = linalg_dot_f(c->state + (size_t)i * P, c->state + (size_t)j * P, P);
    for (int i = 0; i < T; i++) {
        double s = c->prm.moco_rho * lam[i];
        for (int j = 0; j < T; j++) s += YY[i * T + j] * lam[j];
        step[i] = lam[i] - gt * s;
    }
    linalg_project_simplex(T, step, c->vec[1]);
    memcpy(lam, step, sizeof *lam * (size_t)T);
    for (size_t p = 0; p < P; p++) {
        double s = 0.0;
        for (int i = 0; i < T; i++) s += lam[i] * c->state[(size_t)i * P + p];
        d[p] = (float)s;
    }
}

/* DB-MTL: buffer the log-loss gradients g_i / L_i, then every buffer
 * scaled to the largest norm and summed. */
void combine_run_db_mtl(mt_combiner *c, const float *G, size_t P, const float *losses, float *d)
{
    int T = c->T;
    double t = (double)++c->calls;
    double bt = c->prm.db_beta / pow(t, c->prm.db_beta_sigma), mx = 0.0, *nb = c->vec[0];
    for (int i = 0; i < T; i++) {
        float *b = c->state + (size_t)i * P;
        const float *g = G + (size_t)i * P;
        double inv = 1.0 / losses[i];
        for (size_t p = 0; p < P; p++) {
            double h = g[p] * inv;
            b[p] = (float)(h + bt * (b[p] - h));
        }
        nb[i] = sqrt(linalg_dot_f(b, b, P));
        mx = fmax(mx, nb[i]);
    }
    for (int i = 0; i < T; i++) nb[i] = nb[i] > 0.0 ? mx / nb[i] : 0.0;
    for (size_t p = 0; p < P; p++) {
        double s = 0.0;
        for (int i = 0; i < T; i++) s += nb[i] * c->state[(size_t)i * P + p];
        d[p] = (float)s;
    }
}

/* ExcessMTL: AdaGrad-scaled squared gradient norms as excess risks,
 * multiplicative weights relative to each task's first one. The weights
 * are kept as logarithms, w = T softmax(lw): the same as multiplying by
 * exp(step e_i / e0_i) and renormalising to sum T, without the overflow
 * of the product when a ratio is large. */
void combine_run_excess_mtl(mt_combiner *c, const float *G, size_t P)
{
    int T = c->T;
    double *lw = c->prev, *e = c->vec[0], mx = -INFINITY, sum = 0.0;
    c->calls++;
    for (int i = 0; i < T; i++) {
        float *a = c->state + (size_t)i * P;
        const float *g = G + (size_t)i * P;
        double s = 0.0;
        for (size_t p = 0; p < P; p++) {
            double gp = g[p];
            a[p] = (float)(a[p] + gp * gp);
            s += gp * gp / sqrt((double)a[p] + 1e-7);
        }
        e[i] = s;
    }
    for (int i = 0; i < T; i++) {
        if (c->e0[i] > 0.0) lw[i] += c->prm.excess_step * e[i] / c->e0[i];
        else if (e[i] > 0.0) c->e0[i] = e[i];
        mx = fmax(mx, lw[i]);
    }
    for (int i = 0; i < T; i++) sum += exp(lw[i] - mx);
    for (int i = 0; i < T; i++) c->alpha[i] = T * exp(lw[i] - mx) / sum;
}
