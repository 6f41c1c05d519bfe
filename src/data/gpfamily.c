#include "gpfamily.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "core/rng.h"
#include "synth.h"

#define GPFAM_FEATURES 256
#define GPFAM_GRID 2001

void gpfam_defaults(gpfam_opts *o)
{
    memset(o, 0, sizeof *o);
    o->ntasks = 2;
    o->n_each = 20;
    o->n_val = 50;
    o->n_test = 200;
    o->rho = 0.8;
    o->lengthscale = 1;
    o->noise = 0.1;
    o->range = 5;
    o->seed = 1;
}

/* The drawn functions and the maps that make them exactly R-correlated. */
typedef struct {
    int T;
    double w[GPFAM_MAX_TASKS][GPFAM_FEATURES], b[GPFAM_MAX_TASKS][GPFAM_FEATURES];
    double mean[GPFAM_MAX_TASKS], sd[GPFAM_MAX_TASKS];
    double Lg[GPFAM_MAX_TASKS * GPFAM_MAX_TASKS]; /* factor of the grid correlation of g */
    double L[GPFAM_MAX_TASKS * GPFAM_MAX_TASKS];  /* factor of R */
} family;

static void raw(const family *fm, double x, double *g)
{
    for (int q = 0; q < fm->T; q++) {
        double s = 0;
        for (int m = 0; m < GPFAM_FEATURES; m++) s += cos(fm->w[q][m] * x + fm->b[q][m]);
        g[q] = s * sqrt(2.0 / GPFAM_FEATURES);
    }
}

static void eval(const family *fm, double x, double *f)
{
    int T = fm->T;
    double g[GPFAM_MAX_TASKS], h[GPFAM_MAX_TASKS];
    raw(fm, x, g);
    for (int q = 0; q < T; q++) g[q] = (g[q] - fm->mean[q]) / fm->sd[q];
    for (int q = 0; q < T; q++) { /* h = Lg^-1 g */
        double s = g[q];
        for (int k = 0; k < q; k++) s -= fm->Lg[q * T + k] * h[k];
        h[q] = s / fm->Lg[q * T + q];
    }
    for (int t = 0; t < T; t++) {
        double s = 0;
        for (int q = 0; q <= t; q++) s += fm->L[t * T + q] * h[q];
        f[t] = s;
    }
}

static mt_status make_family(const gpfam_opts *o, family *fm)
{
    int T = o->ntasks;
    if (T < 1 || T > GPFAM_MAX_TASKS) return mt_fail(MT_ERR_ARG, "gp_family: %d tasks (1..%d)", T, GPFAM_MAX_TASKS);
    if (!(o->lengthscale > 0) || !(o->range > 0) || !(o->noise >= 0))
        return mt_fail(MT_ERR_ARG, "gp_family: lengthscale, range must be positive and noise >= 0");
    fm->T = T;
    double R[GPFAM_MAX_TASKS * GPFAM_MAX_TASKS];
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) R[s * T + t] = o->R ? o->R[s * T + t] : s == t ? 1 : o->rho;
    mt_status st = synth_corr_factor("gp_family", R, T, fm->L);
    if (st) return st;
    for (int q = 0; q < T; q++) {
        mt_rng r;
        mt_rng_init(&r, o->seed, 100 + (uint64_t)q);
        for (int m = 0; m < GPFAM_FEATURES; m++) {
            fm->w[q][m] = mt_rng_normal(&r) / o->lengthscale;
            fm->b[q][m] = 2 * M_PI * mt_rng_uniform(&r);
        }
    }
    /* the grid moments of g */
    double S[GPFAM_MAX_TASKS * GPFAM_MAX_TASKS] = {0}, g[GPFAM_MAX_TASKS];
    memset(fm->mean, 0, sizeof fm->mean);
    for (int i = 0; i < GPFAM_GRID; i++) {
        raw(fm, -o->range + 2 * o->range * i / (GPFAM_GRID - 1), g);
        for (int p = 0; p < T; p++) {
            fm->mean[p] += g[p] / GPFAM_GRID;
            for (int q = 0; q < T; q++) S[p * T + q] += g[p] * g[q] / GPFAM_GRID;
        }
    }
    for (int p = 0; p < T; p++)
        for (int q = 0; q < T; q++) S[p * T + q] -= fm->mean[p] * fm->mean[q];
    for (int p = 0; p < T; p++) fm->sd[p] = sqrt(S[p * T + p]);
    for (int p = 0; p < T; p++)
        for (int q = 0; q < T; q++) S[p * T + q] = p == q ? 1 : S[p * T + q] / (fm->sd[p] * fm->sd[q]);
    if ((st = synth_corr_factor("gp_family", S, T, fm->Lg))) return st;
    for (int q = 0; q < T; q++)
        if (!(fm->Lg[q * T + q] > 1e-6) || !(fm->sd[q] > 1e-9))
            return mt_fail(MT_ERR_NUMERIC, "gp_family: the random functions came out degenerate (lengthscale %g over range %g?)",
                           o->lengthscale, o->range);
    return MT_OK;
}

mt_status gpfam_truth(const gpfam_opts *o, const double *x, int n, double *f)
{
    family *fm = mt_alloc(sizeof *fm);
    if (!fm) return MT_ERR_NOMEM;
    mt_status st = make_family(o, fm);
    double v[GPFAM_MAX_TASKS];
    for (int i = 0; !st && i < n; i++) {
        eval(fm, x[i], v);
        for (int t = 0; t < fm->T; t++) f[(size_t)t * n + i] = v[t];
    }
    mt_free(fm);
    return st;
}

mt_status gpfam_make(mt_dataset *ds, mt_split *sp, const gpfam_opts *o)
{
    dataset_free(ds);
    split_free(sp);
    int T = o->ntasks, ntr = 0;
    if (T < 1 || T > GPFAM_MAX_TASKS) return mt_fail(MT_ERR_ARG, "gp_family: %d tasks (1..%d)", T, GPFAM_MAX_TASKS);
    for (int t = 0; t < T; t++) {
        int c = o->n_train ? o->n_train[t] : o->n_each;
        if (c < 0) return mt_fail(MT_ERR_ARG, "gp_family: task %d: %d training examples", t + 1, c);
        ntr += c;
    }
    if (ntr < 1 || o->n_val < 0 || o->n_test < 0) return mt_fail(MT_ERR_ARG, "gp_family: no training examples");
    family *fm = mt_alloc(sizeof *fm);
    if (!fm) return MT_ERR_NOMEM;
    mt_status st = make_family(o, fm);
    int n = ntr + o->n_val + o->n_test;
    if (!st) st = dataset_alloc(ds, "gp_family", n, 1, 0, 0, 0);
    for (int t = 0; !st && t < T; t++) {
        char nm[16];
        snprintf(nm, sizeof nm, "t%d", t + 1);
        if (!dataset_add_target(ds, nm, MT_TARGET_REGRESS, 1, 0) || !dataset_target_mask(ds, t)) st = MT_ERR_NOMEM;
    }
    sp->train.idx = st ? NULL : mt_alloc((size_t)ntr * sizeof *sp->train.idx);
    sp->val.idx = st ? NULL : mt_alloc(((size_t)o->n_val + 1) * sizeof *sp->val.idx);
    sp->test.idx = st ? NULL : mt_alloc(((size_t)o->n_test + 1) * sizeof *sp->test.idx);
    if (!st && (!sp->train.idx || !sp->val.idx || !sp->test.idx)) st = MT_ERR_NOMEM;
    if (!st) {
        mt_rng r;
        mt_rng_init(&r, o->seed, 1);
        double f[GPFAM_MAX_TASKS];
        int row = 0;
        for (int part = 0; part < T + 2; part++) { /* each task's training block, then val, then test */
            int cnt = part < T ? (o->n_train ? o->n_train[part] : o->n_each) : part == T ? o->n_val : o->n_test;
            for (int k = 0; k < cnt; k++, row++) {
                double x = -o->range + 2 * o->range * mt_rng_uniform(&r);
                ds->x[row] = (float)x;
                eval(fm, x, f);
                for (int t = 0; t < T; t++) {
                    int lab = part >= T || part == t;
                    ds->targets[t].y[row] = lab ? (float)(f[t] + o->noise * mt_rng_normal(&r)) : 0.0f;
                    ds->targets[t].mask[row] = (unsigned char)lab;
                }
                mt_index *set = part < T ? &sp->train : part == T ? &sp->val : &sp->test;
                set->idx[set->n++] = row;
            }
        }
    }
    mt_free(fm);
    if (st) {
        dataset_free(ds);
        split_free(sp);
    }
    return st;
}
