/* synth.c - the synthetic problem generators of synth.h. */
#include "synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"

/* One named RNG stream per kind of draw, so changing one option (say n)
 * does not reshuffle the draws of another (the weights). */
enum {
    ST_X = 1,
    ST_BASIS = 2,
    ST_SINE = 3,
    ST_NOISE = 4,
    ST_MATRIX = 5,
    ST_ASSIGN = 6,
    ST_SUPPORT = 7,
    ST_LATENT = 8,
    ST_BIAS = 9,
    ST_MIX = 10,
    ST_TASK0 = 1000, /* + task index */
};

/* Adds T regression targets prefix1..prefixT of dimension dim. */
static mt_status add_targets(mt_dataset *ds, const char *prefix, int T, int dim)
{
    for (int t = 0; t < T; t++) {
        char name[MT_NAME];
        snprintf(name, sizeof name, "%s%d", prefix, t + 1);
        if (!dataset_add_target(ds, name, MT_TARGET_REGRESS, dim, 0)) return mt_last_status();
    }
    return MT_OK;
}

/* Orthonormalises the k vectors of length d in u (k, d) in place, by
 * Gram-Schmidt done twice ("twice is enough", Kahan/Parlett) so they are
 * orthogonal to rounding. Returns 0 if a vector collapsed. */
static int orthonormalise(double *u, int k, int d)
{
    for (int i = 0; i < k; i++) {
        double *ui = u + (size_t)i * d;
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < i; j++) {
                const double *uj = u + (size_t)j * d;
                double dot = 0;
                for (int q = 0; q < d; q++) dot += ui[q] * uj[q];
                for (int q = 0; q < d; q++) ui[q] -= dot * uj[q];
            }
        double nrm = 0;
        for (int q = 0; q < d; q++) nrm += ui[q] * ui[q];
        nrm = sqrt(nrm);
        if (nrm < 1e-9) return 0;
        for (int q = 0; q < d; q++) ui[q] /= nrm;
    }
    return 1;
}

/* ---- MMoE ------------------------------------------------------------- */

void synth_mmoe_defaults(synth_mmoe_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n = 1000;
    o->d = 100;
    o->ntasks = 2;
    o->p = 0.5;
    o->c = 1.0;
    o->m = 10;
    o->noise = 0.01;
    o->seed = 1;
}

/* Cholesky of a positive SEMI-definite R: a zero pivot is allowed when the
 * rest of its column is zero too (a rank-deficient R such as p = 1), which
 * the textbook algorithm would divide by. L is (T, T) lower triangular. */
static mt_status chol_psd(const char *who, const double *R, int T, double *L)
{
    const double tol = 1e-10 * T;
    memset(L, 0, (size_t)T * T * sizeof *L);
    for (int j = 0; j < T; j++) {
        double s = R[j * T + j];
        for (int k = 0; k < j; k++) s -= L[j * T + k] * L[j * T + k];
        if (s < -tol)
            return mt_fail(MT_ERR_ARG,
                           "%s: correlation matrix is not positive semi-definite "
                           "(pivot %d is %.3g)",
                           who, j, s);
        double piv = s > tol ? sqrt(s) : 0.0;
        L[j * T + j] = piv;
        for (int i = j + 1; i < T; i++) {
            double v = R[i * T + j];
            for (int k = 0; k < j; k++) v -= L[i * T + k] * L[j * T + k];
            if (piv > 0)
                L[i * T + j] = v / piv;
            else if (fabs(v) > 1e-8)
                return mt_fail(MT_ERR_ARG,
                               "%s: correlation matrix is not positive semi-definite "
                               "(pivot %d is 0 but column %d is not)",
                               who, j, j);
        }
    }
    return MT_OK;
}

static mt_status check_corr(const char *who, const double *R, int T)
{
    for (int i = 0; i < T; i++) {
        if (!isfinite(R[i * T + i]) || fabs(R[i * T + i] - 1.0) > 1e-9)
            return mt_fail(
                MT_ERR_ARG,
                "%s: R[%d][%d] = %g: the diagonal of a correlation matrix must be 1", who, i,
                i, R[i * T + i]);
        for (int j = 0; j < i; j++) {
            if (!isfinite(R[i * T + j]) || fabs(R[i * T + j] - R[j * T + i]) > 1e-9)
                return mt_fail(MT_ERR_ARG,
                               "%s: correlation matrix is not symmetric: R[%d][%d] = "
                               "%g but R[%d][%d] = %g",
                               who, j, i, R[j * T + i], i, j, R[i * T + j]);
            if (fabs(R[i * T + j]) > 1.0)
                return mt_fail(MT_ERR_ARG, "%s: R[%d][%d] = %g is outside [-1, 1]", who, i,
                               j, R[i * T + j]);
        }
    }
    return MT_OK;
}

mt_status synth_corr_factor(const char *who, const double *R, int T, double *L)
{
    mt_status s = check_corr(who, R, T);
    return s ? s : chol_psd(who, R, T, L);
}

mt_status synth_mmoe(mt_dataset *ds, const synth_mmoe_opts *o, float *w_out)
{
    int T = o->ntasks, d = o->d, n = o->n;
    if (T < 1 || d < T || n < 0 || o->m < 0 || !(o->noise >= 0) || !(o->c > 0))
        return mt_fail(MT_ERR_ARG,
                       "mmoe synthetic: bad options (n=%d d=%d tasks=%d m=%d c=%g noise=%g; needs "
                       "d >= tasks >= 1, c > 0)",
                       n, d, T, o->m, o->c, o->noise);
    if (!o->R && T != 2)
        return mt_fail(MT_ERR_ARG, "mmoe synthetic: %d tasks need a correlation matrix R", T);
    if (!o->R && !(fabs(o->p) <= 1.0))
        return mt_fail(MT_ERR_ARG, "mmoe synthetic: correlation p = %g is outside [-1, 1]", o->p);
    double R2[4] = {1, o->p, o->p, 1};
    const double *R = o->R ? o->R : R2;
    mt_status s = check_corr("mmoe synthetic", R, T);
    if (s) return s;
    /* scratch: L (T,T), u (T,d), w (T,d), alpha (m), beta (m) */
    size_t need = (size_t)T * T + 2 * (size_t)T * d + 2 * (size_t)o->m + 1;
    double *mem = mt_alloc(need * sizeof *mem);
    if (!mem) return MT_ERR_NOMEM;
    double *L = mem, *u = L + (size_t)T * T, *w = u + (size_t)T * d;
    double *alpha = w + (size_t)T * d, *beta = alpha + o->m;
    s = chol_psd("mmoe synthetic", R, T, L);
    mt_rng r;
    if (!s) {
        mt_rng_init(&r, o->seed, ST_BASIS);
        for (size_t i = 0; i < (size_t)T * d; i++) u[i] = mt_rng_normal(&r);
        if (!orthonormalise(u, T, d))
            s = mt_fail(MT_ERR_NUMERIC, "mmoe synthetic: degenerate basis");
    }
    if (!s) {
        for (int k = 0; k < T; k++)
            for (int q = 0; q < d; q++) {
                double acc = 0;
                for (int j = 0; j <= k; j++) acc += L[k * T + j] * u[(size_t)j * d + q];
                w[(size_t)k * d + q] = o->c * acc;
            }
        mt_rng_init(&r, o->seed, ST_SINE);
        for (int i = 0; i < o->m; i++) {
            alpha[i] = mt_rng_normal(&r);
            beta[i] = mt_rng_normal(&r);
        }
        s = dataset_alloc(ds, "mmoe", n, d, 0, 0, 0);
    }
    if (!s) s = add_targets(ds, "y", T, 1);
    if (!s) {
        mt_rng rx, rn;
        mt_rng_init(&rx, o->seed, ST_X);
        mt_rng_init(&rn, o->seed, ST_NOISE);
        for (size_t i = 0; i < (size_t)n * d; i++) ds->x[i] = (float)mt_rng_normal(&rx);
        for (int e = 0; e < n; e++) {
            const float *x = ds->x + (size_t)e * d;
            for (int k = 0; k < T; k++) {
                double z = 0;
                for (int q = 0; q < d; q++) z += w[(size_t)k * d + q] * x[q];
                double y = z;
                for (int i = 0; i < o->m; i++) y += sin(alpha[i] * z + beta[i]);
                y += o->noise * mt_rng_normal(&rn);
                ds->targets[k].y[e] = (float)y;
            }
        }
        for (int k = 0; k < T; k++) ds->targets[k].noise_var = o->noise * o->noise;
        if (w_out)
            for (size_t i = 0; i < (size_t)T * d; i++) w_out[i] = (float)w[i];
    }
    mt_free(mem);
    if (s) dataset_free(ds);
    return s;
}

/* ---- GradNorm ---------------------------------------------------------- */

void synth_gradnorm_defaults(synth_gradnorm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n = 1000;
    o->d_in = 250;
    o->d_out = 100;
    o->ntasks = 2;
    o->b_var = 10.0;
    o->eps_var = 3.5;
    o->seed = 1;
}

mt_status synth_gradnorm(mt_dataset *ds, const synth_gradnorm_opts *o)
{
    int n = o->n, di = o->d_in, dout = o->d_out, T = o->ntasks;
    if (n < 0 || di < 1 || dout < 1 || T < 1 || !(o->b_var >= 0) || !(o->eps_var >= 0))
        return mt_fail(
            MT_ERR_ARG,
            "gradnorm synthetic: bad options (n=%d d_in=%d d_out=%d tasks=%d b_var=%g eps_var=%g)",
            n, di, dout, T, o->b_var, o->eps_var);
    for (int t = 0; o->sigma && t < T; t++)
        if (!isfinite(o->sigma[t]))
            return mt_fail(MT_ERR_ARG, "gradnorm synthetic: sigma[%d] is not finite", t);
    size_t msz = (size_t)dout * di;
    float *B = mt_alloc(msz * sizeof *B), *M = mt_alloc(msz * sizeof *M); /* (d_out, d_in) each */
    mt_status s = (!B || !M) ? MT_ERR_NOMEM : MT_OK;
    if (!s) s = dataset_alloc(ds, "gradnorm", n, di, 0, 0, 0);
    if (!s) s = add_targets(ds, "t", T, dout);
    if (!s) {
        mt_rng r;
        mt_rng_init(&r, o->seed, ST_MATRIX);
        double bs = sqrt(o->b_var), es = sqrt(o->eps_var);
        for (size_t i = 0; i < msz; i++) B[i] = (float)(bs * mt_rng_normal(&r));
        mt_rng_init(&r, o->seed, ST_X);
        for (size_t i = 0; i < (size_t)n * di; i++) ds->x[i] = (float)mt_rng_normal(&r);
        for (int t = 0; t < T; t++) {
            double sigma = o->sigma ? o->sigma[t] : 1.0;
            mt_rng_init(&r, o->seed, ST_TASK0 + (uint64_t)t);
            for (size_t i = 0; i < msz; i++) M[i] = B[i] + (float)(es * mt_rng_normal(&r));
            float *y = ds->targets[t].y; /* (n, d_out) */
            for (int e = 0; e < n; e++) {
                const float *x = ds->x + (size_t)e * di;
                for (int j = 0; j < dout; j++) {
                    const float *mj = M + (size_t)j * di;
                    double z = 0;
                    for (int q = 0; q < di; q++) z += (double)mj[q] * x[q];
                    y[(size_t)e * dout + j] = (float)(sigma * tanh(z));
                }
            }
        }
    }
    mt_free(B);
    mt_free(M);
    if (s) dataset_free(ds);
    return s;
}

/* ---- Kendall ------------------------------------------------------------ */

void synth_kendall_defaults(synth_kendall_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n = 1000;
    o->seed = 1;
}

mt_status synth_kendall(mt_dataset *ds, const synth_kendall_opts *o)
{
    if (o->n < 0) return mt_fail(MT_ERR_ARG, "kendall synthetic: n = %d is negative", o->n);
    mt_status s = dataset_alloc(ds, "kendall", o->n, 1, 0, 0, 0);
    if (!s) s = add_targets(ds, "y", 2, 1);
    if (s) {
        dataset_free(ds);
        return s;
    }
    mt_rng rx, rn;
    mt_rng_init(&rx, o->seed, ST_X);
    mt_rng_init(&rn, o->seed, ST_NOISE);
    for (int i = 0; i < o->n; i++) {
        double x = o->x_normal ? mt_rng_normal(&rx) : 2.0 * mt_rng_uniform(&rx) - 1.0;
        double e1 = mt_rng_normal(&rn), e2 = mt_rng_normal(&rn);
        ds->x[i] = (float)x;
        ds->targets[0].y[i] = (float)(2.0 * x + 8.0 + 10.0 * e1);
        ds->targets[1].y[i] = (float)(3.0 * x + 3.0 + e2);
    }
    ds->targets[0].noise_var = 100.0;
    ds->targets[1].noise_var = 1.0;
    return MT_OK;
}

/* ---- Task clusters on a shared support ------------------------------------ */

void synth_cluster_defaults(synth_cluster_opts *o)
{
    memset(o, 0, sizeof *o);
    o->ntasks = 8;
    o->nclusters = 2;
    o->d = 50;
    o->support = 10;
    o->within = 0.1;
    o->n_each = 200;
    o->noise = 0.1;
    o->seed = 1;
}

void synth_cluster_truth_free(synth_cluster_truth *t)
{
    if (!t) return;
    mt_free(t->cluster);
    mt_free(t->support_idx);
    mt_free(t->w);
    memset(t, 0, sizeof *t);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static mt_status cluster_check(const synth_cluster_opts *o)
{
    int T = o->ntasks, K = o->nclusters;
    if (T < 1 || K < 1 || K > T || o->d < 1 || o->support < 1 || o->support > o->d ||
        K > o->support)
        return mt_fail(
            MT_ERR_ARG,
            "clustered synthetic: bad sizes (tasks=%d clusters=%d d=%d support=%d; needs "
            "1 <= clusters <= tasks, clusters <= support <= d)",
            T, K, o->d, o->support);
    if (!(o->within >= 0) || !(o->noise >= 0))
        return mt_fail(MT_ERR_ARG, "clustered synthetic: within=%g and noise=%g must be >= 0",
                       o->within, o->noise);
    if (o->shared && o->n_per_task)
        return mt_fail(MT_ERR_ARG,
                       "clustered synthetic: n_per_task cannot be used with shared examples");
    for (int t = 0; t < T; t++) {
        int nt = o->n_per_task ? o->n_per_task[t] : o->n_each;
        if (nt < 0)
            return mt_fail(MT_ERR_ARG, "clustered synthetic: task %d has %d examples", t + 1, nt);
        if (o->noise_per_task && !(o->noise_per_task[t] >= 0))
            return mt_fail(MT_ERR_ARG, "clustered synthetic: task %d noise %g must be >= 0", t + 1,
                           o->noise_per_task[t]);
    }
    return MT_OK;
}

mt_status synth_clustered(mt_dataset *ds, const synth_cluster_opts *o, synth_cluster_truth *truth)
{
    mt_status s = cluster_check(o);
    if (s) return s;
    int T = o->ntasks, K = o->nclusters, d = o->d, sup = o->support;
    synth_cluster_truth tr;
    memset(&tr, 0, sizeof tr);
    tr.ntasks = T;
    tr.nclusters = K;
    tr.d = d;
    tr.support = sup;
    tr.cluster = mt_alloc((size_t)T * sizeof(int));
    tr.support_idx = mt_alloc((size_t)(d > T ? d : T) * sizeof(int)); /* d first, shrunk to sup */
    tr.w = mt_alloc_aligned((size_t)T * d * sizeof(float));
    double *cen = mt_alloc((size_t)K * sup * sizeof(double)); /* (K, support) */
    if (!tr.cluster || !tr.support_idx || !tr.w || !cen) s = MT_ERR_NOMEM;
    if (!s) {
        mt_rng r;
        /* the support: the first `sup` of a random permutation, ascending */
        mt_rng_init(&r, o->seed, ST_SUPPORT);
        for (int j = 0; j < d; j++) tr.support_idx[j] = j;
        mt_rng_shuffle(&r, tr.support_idx, (size_t)d);
        qsort(tr.support_idx, (size_t)sup, sizeof(int), cmp_int);
        /* balanced assignment: 0,1,..,K-1,0,1,.. shuffled */
        mt_rng_init(&r, o->seed, ST_ASSIGN);
        for (int t = 0; t < T; t++) tr.cluster[t] = t % K;
        mt_rng_shuffle(&r, tr.cluster, (size_t)T);
        /* orthogonal centres of norm sqrt(sup) */
        mt_rng_init(&r, o->seed, ST_BASIS);
        for (size_t i = 0; i < (size_t)K * sup; i++) cen[i] = mt_rng_normal(&r);
        if (!orthonormalise(cen, K, sup))
            s = mt_fail(MT_ERR_NUMERIC, "clustered synthetic: degenerate centres");
        for (size_t i = 0; i < (size_t)K * sup; i++) cen[i] *= sqrt((double)sup);
        mt_rng_init(&r, o->seed, ST_MATRIX);
        for (int t = 0; !s && t < T; t++)
            for (int j = 0; j < sup; j++)
                tr.w[(size_t)t * d + tr.support_idx[j]] =
                    (float)(cen[(size_t)tr.cluster[t] * sup + j] + o->within * mt_rng_normal(&r));
    }
    mt_free(cen);
    /* examples */
    long long total = 0;
    for (int t = 0; t < T; t++)
        total += o->shared ? 0 : (o->n_per_task ? o->n_per_task[t] : o->n_each);
    if (o->shared) total = o->n_each;
    if (!s && total > (1LL << 30))
        s = mt_fail(MT_ERR_ARG, "clustered synthetic: %lld examples is too many", total);
    int n = (int)total;
    if (!s) s = dataset_alloc(ds, "clustered", n, d, 0, 0, 0);
    if (!s) s = add_targets(ds, "task", T, 1);
    for (int t = 0; !s && !o->shared && t < T; t++)
        if (!dataset_target_mask(ds, t)) s = MT_ERR_NOMEM;
    if (!s) {
        mt_rng rx, rn;
        mt_rng_init(&rx, o->seed, ST_X);
        mt_rng_init(&rn, o->seed, ST_NOISE);
        for (size_t i = 0; i < (size_t)n * d; i++) ds->x[i] = (float)mt_rng_normal(&rx);
        int row = 0;
        for (int owner = 0; owner < (o->shared ? 1 : T); owner++) {
            int cnt = o->shared ? n : (o->n_per_task ? o->n_per_task[owner] : o->n_each);
            for (int e = 0; e < cnt; e++, row++) {
                const float *x = ds->x + (size_t)row * d;
                for (int t = 0; t < T; t++) {
                    mt_target *tg = &ds->targets[t];
                    if (!o->shared && t != owner) {
                        tg->mask[row] = 0;
                        continue;
                    }
                    double z = 0;
                    for (int j = 0; j < sup; j++) {
                        int q = tr.support_idx[j];
                        z += (double)tr.w[(size_t)t * d + q] * x[q];
                    }
                    double nz = o->noise_per_task ? o->noise_per_task[t] : o->noise;
                    tg->y[row] = (float)(z + nz * mt_rng_normal(&rn));
                }
            }
        }
    }
    for (int t = 0; !s && t < T; t++) {
        double nz = o->noise_per_task ? o->noise_per_task[t] : o->noise;
        ds->targets[t].noise_var = nz * nz;
    }
    if (!s && truth)
        *truth = tr;
    else
        synth_cluster_truth_free(&tr);
    if (s) dataset_free(ds);
    return s;
}

/* ---- Many binary attributes of one latent ------------------------------------- */

void synth_attr_defaults(synth_attr_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n = 2000;
    o->d = 64;
    o->latent = 16;
    o->ntasks = 40;
    o->groups = 8;
    o->within = 0.5;
    o->bias = 1.0;
    o->noise = 0.3;
    o->input_noise = 0.1;
    o->seed = 1;
}

static mt_status attr_check(const synth_attr_opts *o)
{
    if (o->n < 1 || o->d < 1 || o->latent < 1 || o->ntasks < 1 || o->groups < 1 ||
        o->groups > o->ntasks || o->groups > o->latent || (long long)o->n * o->d > (1LL << 30))
        return mt_fail(MT_ERR_ARG,
                       "attributes synthetic: bad sizes (n=%d d=%d latent=%d tasks=%d groups=%d; "
                       "needs 1 <= groups <= tasks and groups <= latent)",
                       o->n, o->d, o->latent, o->ntasks, o->groups);
    if (!(o->within >= 0) || !(o->bias >= 0) || !(o->noise >= 0) || !(o->input_noise >= 0))
        return mt_fail(MT_ERR_ARG,
                       "attributes synthetic: within=%g, bias=%g, noise=%g and input_noise=%g "
                       "must be >= 0",
                       o->within, o->bias, o->noise, o->input_noise);
    return MT_OK;
}

/* The attributes' unit directions w (T, r), thresholds b (T) and groups. */
static mt_status attr_draw(const synth_attr_opts *o, double *w, double *b, int *group)
{
    int T = o->ntasks, G = o->groups, r = o->latent;
    double *v = mt_alloc((size_t)G * r * sizeof *v); /* (G, r) */
    if (!v) return MT_ERR_NOMEM;
    mt_rng rng;
    mt_rng_init(&rng, o->seed, ST_BASIS);
    for (size_t i = 0; i < (size_t)G * r; i++) v[i] = mt_rng_normal(&rng);
    mt_status s = MT_OK;
    if (!orthonormalise(v, G, r)) s = mt_fail(MT_ERR_NUMERIC, "attributes synthetic: degenerate group directions");
    mt_rng_init(&rng, o->seed, ST_ASSIGN);
    for (int t = 0; t < T; t++) group[t] = t % G;
    mt_rng_shuffle(&rng, group, (size_t)T);
    mt_rng_init(&rng, o->seed, ST_MATRIX);
    for (int t = 0; !s && t < T; t++) {
        double *wt = w + (size_t)t * r, nrm = 0;
        for (int q = 0; q < r; q++) {
            wt[q] = v[(size_t)group[t] * r + q] + o->within * mt_rng_normal(&rng) / sqrt((double)r);
            nrm += wt[q] * wt[q];
        }
        nrm = sqrt(nrm);
        for (int q = 0; q < r; q++) wt[q] /= nrm;
    }
    mt_rng_init(&rng, o->seed, ST_BIAS);
    for (int t = 0; t < T; t++) b[t] = o->bias * (2.0 * mt_rng_uniform(&rng) - 1.0);
    mt_free(v);
    return s;
}

mt_status synth_attributes(mt_dataset *ds, const synth_attr_opts *o, int *group_out)
{
    mt_status s = attr_check(o);
    if (s) return s;
    int T = o->ntasks, r = o->latent, d = o->d, n = o->n;
    double *w = mt_alloc((size_t)T * r * sizeof *w);     /* (T, r) */
    double *M = mt_alloc((size_t)d * r * sizeof *M);     /* (d, r) */
    double *b = mt_alloc((size_t)T * sizeof *b);         /* (T) */
    double *z = mt_alloc((size_t)r * sizeof *z);         /* (r) one example's latent */
    int *group = mt_alloc((size_t)T * sizeof *group);    /* (T) */
    if (!w || !M || !b || !z || !group) s = MT_ERR_NOMEM;
    if (!s) s = attr_draw(o, w, b, group);
    if (!s) s = dataset_alloc(ds, "attributes", n, d, 0, 0, 0);
    for (int t = 0; !s && t < T; t++) {
        char name[MT_NAME];
        snprintf(name, sizeof name, "a%d", t + 1);
        if (!dataset_add_target(ds, name, MT_TARGET_BINARY, 1, 0)) s = mt_last_status();
    }
    if (!s) {
        mt_rng rm, rz, rx, rn;
        mt_rng_init(&rm, o->seed, ST_MIX);
        for (size_t i = 0; i < (size_t)d * r; i++) M[i] = mt_rng_normal(&rm) / sqrt((double)r);
        mt_rng_init(&rz, o->seed, ST_LATENT);
        mt_rng_init(&rx, o->seed, ST_X);
        mt_rng_init(&rn, o->seed, ST_NOISE);
        for (int e = 0; e < n; e++) {
            for (int q = 0; q < r; q++) z[q] = mt_rng_normal(&rz);
            float *x = ds->x + (size_t)e * d;
            for (int j = 0; j < d; j++) {
                double a = 0;
                for (int q = 0; q < r; q++) a += M[(size_t)j * r + q] * z[q];
                x[j] = (float)(tanh(a) + o->input_noise * mt_rng_normal(&rx));
            }
            for (int t = 0; t < T; t++) {
                double sc = 0;
                for (int q = 0; q < r; q++) sc += w[(size_t)t * r + q] * z[q];
                ds->targets[t].y[e] = sc + o->noise * mt_rng_normal(&rn) > b[t] ? 1.0f : 0.0f;
            }
        }
    }
    if (!s && group_out) memcpy(group_out, group, (size_t)T * sizeof *group);
    mt_free(w);
    mt_free(M);
    mt_free(b);
    mt_free(z);
    mt_free(group);
    if (s) dataset_free(ds);
    return s;
}
