/* test_mtl_combine_props.c - every gradient combiner on 180 seeded random
 * Jacobians, each checked for the property that defines its method.
 *
 * The Jacobians: 2 to 6 tasks, 2 to 50 dimensions, in eight families -
 * generic; nearly parallel (rows 1e-3 apart); nearly opposed (a row is
 * -s times another plus 1e-4 noise); exactly opposed (-s times another,
 * s a power of two, so exact in float); rank-deficient (rows mixed from
 * fewer directions, or more tasks than dimensions); duplicated rows; a
 * zero row (a masked task); and every third Jacobian has its row norms
 * spread over 1e4 (each row scaled by 10^u, u in [-2, 2]).
 *
 * Tolerances are relative to the scale of the cancellation the check
 * involves; d is float, so a product g . d carries about 6e-8 |g|
 * sum_k |alpha_k| |g_k|: "s_j" below is |g_j| sum_k |alpha_k| |g_k|.
 *   every kind but graddrop: d = G^T alpha to 1e-6 of sum_i |alpha_i g_ip|.
 *   sum, mean      alpha = 1, 1/T exactly.
 *   mgda, mgda_ub  (norms none, l2, loss, loss+) the KKT conditions of the
 *                  min-norm point of the normalised hull: with a = alpha n
 *                  on the simplex (to 1e-6) and u_j = g_j / n_j,
 *                  u_j . d >= |d|^2 - 1e-6 s_j, and <= |d|^2 + 1e-6 s_j
 *                  where a_j > 1e-6.
 *   pcgrad         d equals the sequential projections done here on the
 *                  vectors (long double, the combiner's seeded order) to
 *                  1e-5 of their scale; each projection leaves g_i' . g_j
 *                  >= 0 for the g_j it was projected on; for two tasks
 *                  d . g_j >= -1e-6 s_j (no conflict remains).
 *   graddrop       each d_p is the sum of the kept sign's parts for the
 *                  combiner's draw (replayed here), to 1e-6; alpha is the
 *                  minimum-norm least-squares fit over the numerical rank:
 *                  in LAPACK's eigenvectors of M, M alpha = G d on the kept
 *                  ones and alpha has no part on the others (to 1e-6),
 *                  where the rank is unambiguous.
 *   gradvac        d equals the replayed adjustment (long double) to 1e-5;
 *                  after each adjustment cos(g_i', g_j) = phi_ij to 1e-9.
 *   cagrad         (c 0.5 or 1, rescale 0; the min over the tasks with a
 *                  nonzero gradient) |d - g0| <= r (1 + 1e-6);
 *                  the duality gap F(w) - min_i g_i . d <= 1e-6 max |g_i|
 *                  (|g0| + r) for the w read off alpha; min_i g_i . d
 *                  equals the exact optimum (combine_ref.h) to 1e-9 of that
 *                  scale plus d's rounding.
 *   imtl_g         either equal projections d . u_i (to 1e-6 sum_k
 *                  |alpha_k| |g_k|) with sum alpha = 1, or the dependence
 *                  error, and then the rows are dependent at 1e-7
 *                  (reference rank) or more tasks than dimensions.
 *   nash_mtl       either alpha > 0 with |alpha_i (M alpha)_i - 1| <= 1e-6
 *                  (1 + alpha_i sum_j |M_ij alpha_j|), or the error,
 *                  and then the hull of the unit gradients comes within
 *                  1e-3 of the origin (exact distance computed here); at
 *                  0 no positive solution exists, and near it alpha grows
 *                  without bound.
 *   aligned_mtl    alpha equals sqrt(l_min) sum_k u_k (u_k . 1) / sqrt(l_k)
 *                  over the numerical rank from LAPACK's dsyev (not the
 *                  combiner's Jacobi) to 1e-5 of max |alpha|, where the
 *                  rank is unambiguous (no eigenvalue within 10x of the
 *                  cut).
 *   upgrad         d . g_j >= -1e-6 s_j for every j, and G d equals the
 *                  exact projections (combine_ref.h) to 1e-6 s_j. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "combine_ref.h"
#include "core/rng.h"
#include "core/status.h"
#include "mtl/combine.h"

#define NCASES 180
#define MAXT 6
#define MAXP 50

void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
            const int *lwork, int *info);

typedef struct {
    int T;
    size_t P;
    int family, spread;
    float G[MAXT * MAXP];
    float losses[MAXT];
    char what[96];
} jac;

static const char *const family_names[8] = {"generic",         "nearly parallel", "nearly opposed",
                                            "exactly opposed", "rank-deficient",  "duplicated",
                                            "zero row",        "generic"};

/* The n-th Jacobian: its own stream, so any one can be rebuilt alone. */
static void make_case(int n, jac *J)
{
    mt_rng r;
    mt_rng_init(&r, 4242, (uint64_t)n);
    J->T = 2 + (int)(mt_rng_uniform(&r) * 5);
    J->P = 2 + (size_t)(mt_rng_uniform(&r) * 49);
    J->family = n % 8;
    J->spread = n % 3 == 0;
    int T = J->T;
    size_t P = J->P;
    if (J->family == 4 && n % 16 == 4) J->P = P = (size_t)(1 + (int)(mt_rng_uniform(&r) * (T - 1))); /* T > P */
    double base[MAXP];
    for (size_t p = 0; p < P; p++) base[p] = mt_rng_normal(&r);
    int nb = 1 + (int)(mt_rng_uniform(&r) * (T - 1)); /* rank-deficient: directions */
    double dirs[MAXT][MAXP];
    for (int k = 0; k < nb; k++)
        for (size_t p = 0; p < P; p++) dirs[k][p] = mt_rng_normal(&r);
    for (int i = 0; i < T; i++) {
        for (size_t p = 0; p < P; p++) {
            double v = mt_rng_normal(&r);
            if (J->family == 1) v = base[p] + 1e-3 * v;
            if (J->family == 4 && n % 16 != 4) {
                v = 0;
                for (int k = 0; k < nb; k++) v += (mt_rng_uniform(&r) - 0.3) * dirs[k][p];
            }
            J->G[(size_t)i * P + p] = (float)v;
        }
        J->losses[i] = (float)(0.1 + 3 * mt_rng_uniform(&r));
    }
    if (J->spread)
        for (int i = 0; i < T; i++) {
            float s = (float)pow(10.0, 4 * mt_rng_uniform(&r) - 2);
            for (size_t p = 0; p < P; p++) J->G[(size_t)i * P + p] *= s;
        }
    /* the pairwise families act on rows 0 and 1 (and 2 when there are 4+) */
    static const float pow2[4] = {1, 2, 0.5f, 1024};
    for (int pair = 0; pair < 1 + (T >= 4); pair++) {
        int a = pair, b = pair + 1 + (T >= 4);
        float s = pow2[(int)(mt_rng_uniform(&r) * 4)];
        for (size_t p = 0; p < P; p++) {
            float ga = J->G[(size_t)a * P + p];
            if (J->family == 2) J->G[(size_t)b * P + p] = -s * ga + (float)(1e-4 * fabsf(s) * mt_rng_normal(&r));
            if (J->family == 3) J->G[(size_t)b * P + p] = -s * ga;
            if (J->family == 5) J->G[(size_t)b * P + p] = ga;
        }
    }
    if (J->family == 6)
        for (size_t p = 0; p < P; p++) J->G[(size_t)(T - 1) * P + p] = 0;
    snprintf(J->what, sizeof J->what, "case %d (%s%s, T = %d, P = %zu)", n, family_names[J->family],
             J->spread ? ", norms over 1e4" : "", T, P);
}

/* ---- helpers on the vectors, in long double ---------------------------- */

static ref_ld dot_f(const float *a, const float *b, size_t n)
{
    ref_ld s = 0;
    for (size_t k = 0; k < n; k++) s += (ref_ld)a[k] * b[k];
    return s;
}

static const float *row(const jac *J, int i) { return J->G + (size_t)i * J->P; }

static ref_ld gnorm(const jac *J, int i) { return sqrtl(dot_f(row(J, i), row(J, i), J->P)); }

/* s_j = |g_j| sum_k |alpha_k| |g_k|: the scale of g_j . d's rounding */
static ref_ld s_of(const jac *J, const float *alpha, int j)
{
    ref_ld s = 0;
    for (int k = 0; k < J->T; k++) s += fabsl((ref_ld)alpha[k]) * gnorm(J, k);
    return gnorm(J, j) * s;
}

static int run(const jac *J, mt_combine_kind kind, const mt_combine_params *prm, float *d, float *alpha)
{
    mt_combiner *c = NULL;
    assert_int_equal(combine_new(&c, kind, J->T, prm), MT_OK);
    mt_status st = combine_run(c, J->G, J->T, J->P, J->losses, d, alpha);
    combine_free(c);
    for (int i = 0; st == MT_OK && i < J->T; i++)
        if (!isfinite(alpha[i])) fail_msg("%s: %s: alpha[%d] = %g", combine_kind_name(kind), J->what, i, alpha[i]);
    return st;
}

static void check_span(const jac *J, const char *m, const float *d, const float *alpha)
{
    for (size_t p = 0; p < J->P; p++) {
        ref_ld s = 0, sa = 0;
        for (int i = 0; i < J->T; i++) {
            s += (ref_ld)alpha[i] * row(J, i)[p];
            sa += fabsl((ref_ld)alpha[i] * row(J, i)[p]);
        }
        if (!(fabsl(d[p] - s) <= 1e-6L * sa + 1e-30L))
            fail_msg("%s: %s: d[%zu] = %g but G^T alpha = %g", m, J->what, p, d[p], (double)s);
    }
}

/* ---- the checks -------------------------------------------------------- */

static void check_mgda(const jac *J, mt_combine_kind kind, mt_mgda_norm norm)
{
    mt_combine_params prm;
    combine_params_default(&prm);
    prm.mgda_norm = norm;
    float d[MAXP], alpha[MAXT];
    const char *m = combine_kind_name(kind);
    if (run(J, kind, &prm, d, alpha)) fail_msg("%s %s: %s: %s", m, combine_mgda_norm_name(norm), J->what, mt_last_error());
    check_span(J, m, d, alpha);
    ref_ld n[MAXT], a[MAXT], sum = 0, dd = dot_f(d, d, J->P), scale = 0;
    for (int i = 0; i < J->T; i++) {
        ref_ld g = gnorm(J, i);
        n[i] = norm == MT_MGDA_NORM_L2 ? g : norm == MT_MGDA_NORM_LOSS ? J->losses[i]
               : norm == MT_MGDA_NORM_LOSS_PLUS                       ? J->losses[i] * g
                                                                      : 1;
        if (!(n[i] > 0)) n[i] = 1;
        a[i] = alpha[i] * n[i];
        sum += a[i];
        scale += fabsl(a[i]) * g / n[i];
        if (a[i] < -1e-7L) fail_msg("%s: %s: a[%d] = %g < 0", m, J->what, i, (double)a[i]);
    }
    if (!(fabsl(sum - 1) <= 1e-6L)) fail_msg("%s: %s: sum of a = %.9g", m, J->what, (double)sum);
    for (int j = 0; j < J->T; j++) {
        ref_ld ud = dot_f(row(J, j), d, J->P) / n[j], tol = 1e-6L * gnorm(J, j) / n[j] * scale;
        if (ud < dd - tol)
            fail_msg("%s %s: %s: u_%d . d = %g < |d|^2 = %g: not the min-norm point", m, combine_mgda_norm_name(norm),
                     J->what, j, (double)ud, (double)dd);
        if (a[j] > 1e-6L && ud > dd + tol)
            fail_msg("%s %s: %s: a_%d = %g > 0 but u_%d . d = %g > |d|^2 = %g", m, combine_mgda_norm_name(norm),
                     J->what, j, (double)a[j], j, (double)ud, (double)dd);
    }
}

/* PCGrad (project) or GradVac (steer to phi) replayed on the vectors with
 * the combiner's seeded order; a fresh combiner's GradVac targets are 0. */
static void replay_surgery(const jac *J, int gradvac, ref_ld *dref, ref_ld *worst)
{
    int T = J->T;
    size_t P = J->P;
    mt_rng rng;
    mt_rng_init(&rng, 0, 0x636f6d62);
    ref_ld ema[MAXT][MAXT] = {{0}};
    *worst = 0;
    for (size_t p = 0; p < P; p++) dref[p] = 0;
    for (int i = 0; i < T; i++) {
        ref_ld gi[MAXP];
        for (size_t p = 0; p < P; p++) gi[p] = row(J, i)[p];
        int perm[MAXT], m = 0;
        for (int j = 0; j < T; j++)
            if (j != i) perm[m++] = j;
        mt_rng_shuffle(&rng, perm, (size_t)m);
        for (int a = 0; a < m; a++) {
            int j = perm[a];
            ref_ld gj[MAXP], dij = 0, nj = 0, ni = 0;
            for (size_t p = 0; p < P; p++) {
                gj[p] = row(J, j)[p];
                dij += gi[p] * gj[p];
                nj += gj[p] * gj[p];
                ni += gi[p] * gi[p];
            }
            if (!gradvac) {
                if (dij < 0 && nj > 0) {
                    for (size_t p = 0; p < P; p++) gi[p] -= dij / nj * gj[p];
                    ref_ld after = 0;
                    for (size_t p = 0; p < P; p++) after += gi[p] * gj[p];
                    *worst = fminl(*worst, after / (sqrtl(ni * nj) + 1e-300L));
                }
                continue;
            }
            if (!(ni > 0) || !(nj > 0)) continue;
            ni = sqrtl(ni);
            nj = sqrtl(nj);
            ref_ld rho = fminl(1, fmaxl(-1, dij / (ni * nj))), phi = ema[i][j];
            if (rho < phi) {
                ref_ld sp = sqrtl(fmaxl(1 - phi * phi, 1e-24L)), sr = sqrtl(fmaxl(1 - rho * rho, 0));
                ref_ld k = ni * (phi * sr - rho * sp) / (nj * sp);
                for (size_t p = 0; p < P; p++) gi[p] += k * gj[p];
                ref_ld after = 0, na = 0;
                for (size_t p = 0; p < P; p++) {
                    after += gi[p] * gj[p];
                    na += gi[p] * gi[p];
                }
                /* with g_j = -s g_i exactly (rho = -1) the formula gives
                 * g_i' = 0, whose cosine is undefined */
                if (na > 1e-12L * ni * ni && sp > 1e-6L)
                    *worst = fmaxl(*worst, fabsl(after / (sqrtl(na) * nj) - phi));
            }
            ema[i][j] = 0.5L * phi + 0.5L * rho;
        }
        for (size_t p = 0; p < P; p++) dref[p] += gi[p];
    }
}

static void check_surgery(const jac *J, mt_combine_kind kind)
{
    int gv = kind == MT_COMBINE_GRADVAC;
    const char *m = combine_kind_name(kind);
    float d[MAXP], alpha[MAXT];
    if (run(J, kind, NULL, d, alpha)) fail_msg("%s: %s: %s", m, J->what, mt_last_error());
    check_span(J, m, d, alpha);
    ref_ld dref[MAXP], worst, scale = 0;
    replay_surgery(J, gv, dref, &worst);
    for (int i = 0; i < J->T; i++) scale += fabsl((ref_ld)alpha[i]) * gnorm(J, i) + gnorm(J, i);
    for (size_t p = 0; p < J->P; p++)
        if (!(fabsl(d[p] - dref[p]) <= 1e-5L * scale))
            fail_msg("%s: %s: d[%zu] = %g, the replay gives %g", m, J->what, p, d[p], (double)dref[p]);
    if (!gv && worst < -1e-12L) fail_msg("pcgrad: %s: a projection left cos = %g", J->what, (double)worst);
    if (gv && worst > 1e-9L) fail_msg("gradvac: %s: an adjustment missed its target by %g", J->what, (double)worst);
    if (!gv && J->T == 2)
        for (int j = 0; j < 2; j++)
            if (dot_f(row(J, j), d, J->P) < -1e-6L * s_of(J, alpha, j))
                fail_msg("pcgrad: %s: d . g_%d = %g < 0", J->what, j, (double)dot_f(row(J, j), d, J->P));
}

/* M's eigen-decomposition by LAPACK's dsyev (ascending; eigenvector k is
 * V[k*T .. k*T+T-1]) and the numerical rank as combine.c cuts it (l >
 * l_max T FLT_EPSILON). Returns 0 when the rank is ambiguous: an
 * eigenvalue within 10x of the cut. */
static int eigen(const jac *J, double *V, double *l, int *rank)
{
    int T = J->T, lwork = 64 * MAXT, info;
    double work[64 * MAXT];
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) V[i * T + j] = (double)dot_f(row(J, i), row(J, j), J->P);
    dsyev_("V", "U", &T, V, &T, l, work, &lwork, &info);
    assert_int_equal(info, 0);
    double cut = l[T - 1] * T * FLT_EPSILON;
    *rank = 0;
    for (int k = 0; k < T; k++) {
        if (l[k] > cut / 10 && l[k] < cut * 10) return 0;
        *rank += l[k] > cut;
    }
    return 1;
}

static void check_graddrop(const jac *J)
{
    float d[MAXP], alpha[MAXT];
    if (run(J, MT_COMBINE_GRADDROP, NULL, d, alpha)) fail_msg("graddrop: %s: %s", J->what, mt_last_error());
    mt_rng rng;
    mt_rng_init(&rng, 0, 0x636f6d62);
    for (size_t p = 0; p < J->P; p++) {
        ref_ld s = 0, as = 0, pos = 0, neg = 0;
        for (int i = 0; i < J->T; i++) {
            ref_ld g = row(J, i)[p];
            s += g;
            as += fabsl(g);
            if (g > 0) pos += g;
            else neg += g;
        }
        double u = mt_rng_uniform(&rng);
        ref_ld want = !(as > 0) ? 0 : 0.5L * (1 + s / as) > u ? pos : neg;
        if (!(fabsl(d[p] - want) <= 1e-6L * as))
            fail_msg("graddrop: %s: d[%zu] = %g, expected %g", J->what, p, d[p], (double)want);
    }
    /* alpha: the minimum-norm least-squares weights over the numerical
     * rank, i.e. in LAPACK's eigenvectors u_k of M, u_k . (M alpha - G d)
     * = 0 for the kept ones and u_k . alpha = 0 for the others */
    int T = J->T, r;
    double V[MAXT * MAXT], l[MAXT];
    if (!eigen(J, V, l, &r)) return;
    for (int k = 0; k < T; k++) {
        const double *u = V + k * T;
        ref_ld res = 0, sc = 0, ua = 0, sa = 0;
        for (int j = 0; j < T; j++) {
            ref_ld mj = 0, mja = 0;
            for (int q = 0; q < T; q++) {
                ref_ld mjq = dot_f(row(J, j), row(J, q), J->P);
                mj += mjq * alpha[q];
                mja += fabsl(mjq * alpha[q]);
            }
            res += u[j] * (mj - dot_f(row(J, j), d, J->P));
            sc += fabsl(u[j]) * (mja + gnorm(J, j) * sqrtl(dot_f(d, d, J->P)));
            ua += u[j] * alpha[j];
            sa += fabsl(alpha[j]);
        }
        int kept = k >= T - r;
        if (kept && !(fabsl(res) <= 1e-6L * sc))
            fail_msg("graddrop: %s: the least-squares residual along eigenvector %d is %g", J->what, k, (double)res);
        if (!kept && !(fabsl(ua) <= 1e-6L * sa))
            fail_msg("graddrop: %s: alpha has %g along the dropped eigenvector %d", J->what, (double)ua, k);
    }
}

static void check_cagrad(const jac *J, int n, int *compared)
{
    mt_combine_params prm;
    combine_params_default(&prm);
    prm.cagrad_c = n % 2 ? 1.0 : 0.5;
    prm.cagrad_rescale = 0;
    float d[MAXP], alpha[MAXT];
    if (run(J, MT_COMBINE_CAGRAD, &prm, d, alpha)) fail_msg("cagrad: %s: %s", J->what, mt_last_error());
    check_span(J, "cagrad", d, alpha);
    int T = J->T;
    size_t P = J->P;
    ref_ld g0[MAXP] = {0}, gmax = 0;
    for (int i = 0; i < T; i++) {
        gmax = fmaxl(gmax, gnorm(J, i));
        for (size_t p = 0; p < P; p++) g0[p] += (ref_ld)row(J, i)[p] / T;
    }
    ref_ld g0n = sqrtl(ref_dot(g0, g0, (int)P)), r = (ref_ld)prm.cagrad_c * g0n, dist = 0, dn = 0;
    ref_ld scale = gmax * (g0n + r);
    for (size_t p = 0; p < P; p++) {
        dist += (d[p] - g0[p]) * (d[p] - g0[p]);
        dn += (ref_ld)d[p] * d[p];
    }
    if (!(sqrtl(dist) <= r * (1 + 1e-6L) + 1e-7L * sqrtl(dn)))
        fail_msg("cagrad: %s: |d - g0| = %g > r = %g", J->what, (double)sqrtl(dist), (double)r);
    ref_ld pd = INFINITY; /* over the tasks with a nonzero gradient (combine.h) */
    for (int i = 0; i < T; i++)
        if (gnorm(J, i) > 0) pd = fminl(pd, dot_f(row(J, i), d, P));
    /* the dual point w ~ alpha - 1/T (alpha = 1/T + (r / |g_w|) w) */
    ref_ld w[MAXT], ws = 0;
    for (int i = 0; i < T; i++) {
        w[i] = (ref_ld)alpha[i] - 1.0L / T;
        ws += w[i];
    }
    if (ws > 1e-12L * T) {
        ref_ld gw[MAXP] = {0}, F;
        for (int i = 0; i < T; i++) {
            w[i] /= ws;
            if (w[i] < -1e-5L) fail_msg("cagrad: %s: dual weight w_%d = %g < 0", J->what, i, (double)w[i]);
            for (size_t p = 0; p < P; p++) gw[p] += w[i] * row(J, i)[p];
        }
        F = ref_dot(gw, g0, (int)P) + r * sqrtl(ref_dot(gw, gw, (int)P));
        if (!(F - pd <= 1e-6L * scale))
            fail_msg("cagrad: %s: duality gap %g (F(w) = %g, min g.d = %g)", J->what, (double)(F - pd), (double)F,
                     (double)pd);
    }
    ref_ld t, dr[REF_MAXP];
    if (ref_cagrad(J->G, T, P, prm.cagrad_c, &t, dr) > 0) {
        ++*compared;
        ref_ld round = 1e-7L * gmax * sqrtl(ref_dot(dr, dr, (int)P));
        if (!(fabsl(pd - t) <= 1e-9L * scale + round))
            fail_msg("cagrad: %s: min g.d = %.9g, the exact optimum is %.9g", J->what, (double)pd, (double)t);
    }
}

static void check_imtl(const jac *J)
{
    float d[MAXP], alpha[MAXT];
    int st = run(J, MT_COMBINE_IMTL_G, NULL, d, alpha);
    int act[MAXT], m = 0;
    float Ga[MAXT * MAXP];
    for (int i = 0; i < J->T; i++)
        if (gnorm(J, i) > 0) {
            memcpy(Ga + (size_t)m * J->P, row(J, i), sizeof(float) * J->P);
            act[m++] = i;
        }
    if (st) {
        if (st != MT_ERR_NUMERIC || !strstr(mt_last_error(), "linearly dependent"))
            fail_msg("imtl_g: %s: %s", J->what, mt_last_error());
        if (!((size_t)m > J->P || ref_rank(Ga, m, J->P, 1e-7L) < m))
            fail_msg("imtl_g: %s: refused independent gradients: %s", J->what, mt_last_error());
        return;
    }
    check_span(J, "imtl_g", d, alpha);
    ref_ld s = 0, u0 = 0, sc = 0;
    for (int i = 0; i < J->T; i++) {
        s += alpha[i];
        sc += fabsl((ref_ld)alpha[i]) * gnorm(J, i);
    }
    if (m > 0 && !(fabsl(s - 1) <= 1e-6L * (1 + sc / gnorm(J, act[0]))))
        fail_msg("imtl_g: %s: sum alpha = %.9g", J->what, (double)s);
    for (int a = 0; a < m; a++) {
        int i = act[a];
        ref_ld ui = dot_f(row(J, i), d, J->P) / gnorm(J, i);
        if (a == 0) u0 = ui;
        else if (!(fabsl(ui - u0) <= 1e-6L * sc))
            fail_msg("imtl_g: %s: d . u_%d = %g but d . u_%d = %g", J->what, i, (double)ui, act[0], (double)u0);
    }
}

/* The alpha-fair bargaining solution (FairGrad with p, Nash-MTL at p = 1)
 * by its defining property: alpha_i^(1/p) (M alpha)_i = 1 with alpha_i > 0
 * for every task with a gradient (M = G G^T), alpha_i = 0 for a zero
 * gradient, d in the span; or, where the solver refused (st), the unit
 * hull near the origin. */
static void check_bargaining(const jac *J, const char *label, double pw, int st, const float *d, const float *alpha,
                             ref_ld tol)
{
    if (st) {
        ref_ld b = ref_unit_hull_distance(J->G, J->T, J->P);
        if (st != MT_ERR_NUMERIC || !(b <= 1e-3L))
            fail_msg("%s: %s: %s (the unit hull is %g from the origin)", label, J->what, mt_last_error(), (double)b);
        return;
    }
    check_span(J, label, d, alpha);
    for (int i = 0; i < J->T; i++) {
        if (!(gnorm(J, i) > 0)) {
            assert_true(alpha[i] == 0.0f);
            continue;
        }
        ref_ld ma = 0, sa = 0;
        for (int k = 0; k < J->T; k++) {
            ref_ld mik = dot_f(row(J, i), row(J, k), J->P);
            ma += mik * alpha[k];
            sa += fabsl(mik * alpha[k]);
        }
        ref_ld ap = pw == 1.0 ? (ref_ld)alpha[i] : powl((ref_ld)alpha[i], 1.0L / pw), res = ap * ma - 1;
        if (!(alpha[i] > 0) || !(fabsl(res) <= tol * (1 + ap * sa)))
            fail_msg("%s: %s: alpha_%d = %g, alpha_i^(1/p) (M alpha)_i - 1 = %g", label, J->what, i, alpha[i],
                     (double)res);
    }
}

static void check_nash(const jac *J, int *failed)
{
    float d[MAXP], alpha[MAXT];
    int st = run(J, MT_COMBINE_NASH_MTL, NULL, d, alpha);
    if (st) ++*failed;
    check_bargaining(J, "nash_mtl", 1.0, st, d, alpha, 1e-6L);
}

/* Aligned-MTL's alpha from LAPACK's eigen-decomposition; 0 when the rank
 * is ambiguous. */
static int aligned_ref(const jac *J, double *aref)
{
    int T = J->T, r;
    double V[MAXT * MAXT], l[MAXT];
    if (!eigen(J, V, l, &r)) return 0;
    for (int i = 0; i < T; i++) aref[i] = 0;
    if (r == 0) return 1;
    double smin = sqrt(l[T - r]);
    for (int k = T - r; k < T; k++) {
        double cs = 0;
        for (int j = 0; j < T; j++) cs += V[k * T + j];
        for (int i = 0; i < T; i++) aref[i] += smin / sqrt(l[k]) * cs * V[k * T + i];
    }
    return 1;
}

static void check_aligned(const jac *J, int *compared)
{
    float d[MAXP], alpha[MAXT];
    if (run(J, MT_COMBINE_ALIGNED_MTL, NULL, d, alpha)) fail_msg("aligned_mtl: %s: %s", J->what, mt_last_error());
    check_span(J, "aligned_mtl", d, alpha);
    double aref[MAXT], amax = 0;
    if (!aligned_ref(J, aref)) return;
    ++*compared;
    for (int i = 0; i < J->T; i++) amax = fmax(amax, fabs(aref[i]));
    for (int i = 0; i < J->T; i++)
        if (!(fabs(alpha[i] - aref[i]) <= 1e-5 * amax + 1e-30))
            fail_msg("aligned_mtl: %s: alpha_%d = %g, LAPACK gives %g", J->what, i, alpha[i], aref[i]);
}

static void check_upgrad(const jac *J, int *compared)
{
    float d[MAXP], alpha[MAXT];
    if (run(J, MT_COMBINE_UPGRAD, NULL, d, alpha)) fail_msg("upgrad: %s: %s", J->what, mt_last_error());
    check_span(J, "upgrad", d, alpha);
    ref_ld Gd[REF_MAXT];
    int have = ref_upgrad(J->G, J->T, J->P, Gd) == 0;
    *compared += have;
    for (int j = 0; j < J->T; j++) {
        ref_ld gd = dot_f(row(J, j), d, J->P), tol = 1e-6L * s_of(J, alpha, j);
        if (gd < -tol) fail_msg("upgrad: %s: d . g_%d = %g < 0 (tolerance %g)", J->what, j, (double)gd, (double)tol);
        if (have && !(fabsl(gd - Gd[j]) <= tol + 1e-9L * fabsl(Gd[j])))
            fail_msg("upgrad: %s: g_%d . d = %g, the exact projections give %g", J->what, j, (double)gd, (double)Gd[j]);
    }
}

static void check_dualproj(const jac *J, int *compared)
{
    float d[MAXP], alpha[MAXT];
    if (run(J, MT_COMBINE_DUALPROJ, NULL, d, alpha)) fail_msg("dualproj: %s: %s", J->what, mt_last_error());
    check_span(J, "dualproj", d, alpha);
    ref_ld Gd[REF_MAXT];
    int have = ref_dualproj(J->G, J->T, J->P, Gd) == 0;
    *compared += have;
    int conflict = 0;
    for (int j = 0; j < J->T; j++) {
        ref_ld g0 = 0;
        for (int k = 0; k < J->T; k++) g0 += dot_f(row(J, j), row(J, k), J->P) / J->T;
        conflict |= g0 < 0;
    }
    for (int j = 0; j < J->T; j++) {
        ref_ld gd = dot_f(row(J, j), d, J->P), tol = 1e-6L * s_of(J, alpha, j);
        if (gd < -tol) fail_msg("dualproj: %s: d . g_%d = %g < 0 (tolerance %g)", J->what, j, (double)gd, (double)tol);
        if (have && !(fabsl(gd - Gd[j]) <= tol + 1e-9L * fabsl(Gd[j])))
            fail_msg("dualproj: %s: g_%d . d = %g, the exact projection gives %g", J->what, j, (double)gd,
                     (double)Gd[j]);
        /* no task conflicts with the mean: the mean is its own projection */
        if (!conflict && !(fabs(alpha[j] - 1.0 / J->T) <= 1e-6))
            fail_msg("dualproj: %s: no conflict with the mean but alpha_%d = %g", J->what, j, alpha[j]);
    }
}

/* ConFIG: always sum_j g_j . d = |d|^2 (d is its own length times the unit
 * direction); with independent unit gradients every g_i has the same
 * cosine with d, and d equals the reference U^T (U U^T)^-1 1 solved here
 * in long double. */
static void check_config(const jac *J, int *compared)
{
    float d[MAXP], alpha[MAXT];
    if (run(J, MT_COMBINE_CONFIG, NULL, d, alpha)) fail_msg("config: %s: %s", J->what, mt_last_error());
    check_span(J, "config", d, alpha);
    int T = J->T, act[MAXT], m = 0;
    float Ga[MAXT * MAXP];
    ref_ld sc = 0;
    for (int i = 0; i < T; i++) {
        sc += fabsl((ref_ld)alpha[i]) * gnorm(J, i);
        if (gnorm(J, i) > 0) {
            memcpy(Ga + (size_t)m * J->P, row(J, i), sizeof(float) * J->P);
            act[m++] = i;
        } else if (alpha[i] != 0.0f) {
            fail_msg("config: %s: zero gradient %d has alpha %g", J->what, i, alpha[i]);
        }
    }
    ref_ld sgd = 0, dd = dot_f(d, d, J->P), gmax = 0;
    for (int j = 0; j < T; j++) {
        sgd += dot_f(row(J, j), d, J->P);
        gmax = fmaxl(gmax, gnorm(J, j));
    }
    if (!(fabsl(sgd - dd) <= 1e-5L * T * gmax * sc + 1e-30L))
        fail_msg("config: %s: sum_j g_j . d = %g but |d|^2 = %g", J->what, (double)sgd, (double)dd);
    if (m == 0 || (size_t)m > J->P || ref_rank(Ga, m, J->P, 1e-3L) < m) return;
    ++*compared;
    /* the reference: beta = Mu^-1 1 on the unit rows, v = sum beta_i u_i */
    ref_ld Mu[REF_MAXT * REF_MAXT], beta[REF_MAXT], v[REF_MAXP] = {0}, vv = 0, len = 0;
    for (int a = 0; a < m; a++) {
        beta[a] = 1;
        for (int b = 0; b < m; b++)
            Mu[a * m + b] = dot_f(row(J, act[a]), row(J, act[b]), J->P) / (gnorm(J, act[a]) * gnorm(J, act[b]));
    }
    assert_int_equal(ref_solve(m, Mu, beta, 1e-15L), 0);
    for (int a = 0; a < m; a++)
        for (size_t p = 0; p < J->P; p++) v[p] += beta[a] * row(J, act[a])[p] / gnorm(J, act[a]);
    for (size_t p = 0; p < J->P; p++) vv += v[p] * v[p];
    for (int j = 0; j < T; j++)
        for (size_t p = 0; p < J->P; p++) len += row(J, j)[p] * v[p] / sqrtl(vv);
    ref_ld cos0 = 0;
    for (int a = 0; a < m; a++) {
        ref_ld cs = dot_f(row(J, act[a]), d, J->P) / (gnorm(J, act[a]) * sqrtl(dd));
        if (a == 0) cos0 = cs;
        else if (!(fabsl(cs - cos0) <= 1e-4L))
            fail_msg("config: %s: cos(d, g_%d) = %.9g but cos(d, g_%d) = %.9g", J->what, act[a], (double)cs, act[0],
                     (double)cos0);
    }
    for (size_t p = 0; p < J->P; p++) {
        ref_ld ref = len * v[p] / sqrtl(vv);
        if (!(fabsl(d[p] - ref) <= 1e-4L * fabsl(len)))
            fail_msg("config: %s: d[%zu] = %g, the reference gives %g", J->what, p, d[p], (double)ref);
    }
}

/* FairGrad with p = 0.5, 1, 2 by case: alpha_i^(1/p) (M alpha)_i = 1, or
 * the error where the unit hull comes near the origin; p = 1 is exactly
 * nash_mtl's alpha. */
static void check_fairgrad(const jac *J, int n)
{
    static const double ps[3] = {0.5, 1.0, 2.0};
    double pw = ps[n % 3];
    mt_combine_params prm;
    combine_params_default(&prm);
    prm.fairgrad_alpha = pw;
    float d[MAXP], alpha[MAXT], dn[MAXP], an[MAXT];
    int st = run(J, MT_COMBINE_FAIRGRAD, &prm, d, alpha);
    if (pw == 1.0) {
        int sn = run(J, MT_COMBINE_NASH_MTL, NULL, dn, an);
        assert_int_equal(st != 0, sn != 0);
        for (int i = 0; !st && i < J->T; i++)
            if (alpha[i] != an[i]) fail_msg("fairgrad 1: %s: alpha_%d = %g, nash_mtl %g", J->what, i, alpha[i], an[i]);
    }
    char label[32];
    snprintf(label, sizeof label, "fairgrad %g", pw);
    check_bargaining(J, label, pw, st, d, alpha, 1e-5L);
}

/* SDMGrad with lambda 0, 0.3 or 2 by case: w = (1 + lambda) alpha -
 * lambda / T on the simplex satisfies the KKT conditions of the min-norm
 * point z = (1 + lambda) d of the hull of h_j = g_j + lambda g0. */
static void check_sdmgrad(const jac *J, int n)
{
    static const double lams[3] = {0.0, 0.3, 2.0};
    double lam = lams[n % 3];
    mt_combine_params prm;
    combine_params_default(&prm);
    prm.sdmgrad_lambda = lam;
    float d[MAXP], alpha[MAXT];
    if (run(J, MT_COMBINE_SDMGRAD, &prm, d, alpha)) fail_msg("sdmgrad: %s: %s", J->what, mt_last_error());
    check_span(J, "sdmgrad", d, alpha);
    int T = J->T;
    size_t P = J->P;
    ref_ld w[MAXT], sum = 0, z[MAXP], g0[MAXP], zz = 0, scale = 0, hn[MAXT];
    for (size_t p = 0; p < P; p++) {
        g0[p] = 0;
        for (int k = 0; k < T; k++) g0[p] += (ref_ld)row(J, k)[p] / T;
        z[p] = (1 + lam) * (ref_ld)d[p];
        zz += z[p] * z[p];
    }
    for (int i = 0; i < T; i++) {
        w[i] = (1 + lam) * (ref_ld)alpha[i] - lam / T;
        sum += w[i];
        ref_ld h2 = 0;
        for (size_t p = 0; p < P; p++) h2 += (row(J, i)[p] + lam * g0[p]) * (row(J, i)[p] + lam * g0[p]);
        hn[i] = sqrtl(h2);
        if (w[i] < -1e-6L) fail_msg("sdmgrad: %s: w_%d = %g < 0", J->what, i, (double)w[i]);
    }
    for (int i = 0; i < T; i++) scale += fabsl(w[i]) * hn[i];
    if (!(fabsl(sum - 1) <= 1e-6L)) fail_msg("sdmgrad: %s: sum w = %.9g", J->what, (double)sum);
    for (int j = 0; j < T; j++) {
        ref_ld hz = 0, tol = 1e-6L * (hn[j] + gnorm(J, j)) * (scale + T * 1e-30L) * (1 + lam);
        for (size_t p = 0; p < P; p++) hz += (row(J, j)[p] + lam * g0[p]) * z[p];
        if (hz < zz - tol)
            fail_msg("sdmgrad %g: %s: h_%d . z = %g < |z|^2 = %g", lam, J->what, j, (double)hz, (double)zz);
        if (w[j] > 1e-6L && hz > zz + tol)
            fail_msg("sdmgrad %g: %s: w_%d = %g > 0 but h . z = %g > |z|^2 = %g", lam, J->what, j, (double)w[j],
                     (double)hz, (double)zz);
    }
}

/* Krum (f = 1 or 0, m = 1 or 2): the averaged gradients are those of
 * lowest score, the scores computed here on the vectors; too few tasks
 * is the documented error. */
static void check_krum(const jac *J, int n)
{
    int T = J->T;
    mt_combine_params prm;
    combine_params_default(&prm);
    prm.krum_f = n % 2;
    prm.krum_m = 1 + (n / 2) % 2;
    float d[MAXP], alpha[MAXT];
    if (T < prm.krum_f + 3 || prm.krum_m > T) {
        mt_combiner *c = NULL;
        assert_int_equal(combine_new(&c, MT_COMBINE_KRUM, T, &prm), MT_ERR_ARG);
        assert_non_null(strstr(mt_last_error(), "krum"));
        return;
    }
    if (run(J, MT_COMBINE_KRUM, &prm, d, alpha)) fail_msg("krum: %s: %s", J->what, mt_last_error());
    check_span(J, "krum", d, alpha);
    ref_ld score[MAXT], scale = 0;
    for (int i = 0; i < T; i++) {
        ref_ld dist[MAXT];
        int k = 0;
        for (int j = 0; j < T; j++) {
            if (j == i) continue;
            ref_ld s = 0;
            for (size_t p = 0; p < J->P; p++) s += ((ref_ld)row(J, i)[p] - row(J, j)[p]) * ((ref_ld)row(J, i)[p] - row(J, j)[p]);
            dist[k++] = s;
        }
        for (int a = 1; a < k; a++)
            for (int b = a; b > 0 && dist[b] < dist[b - 1]; b--) {
                ref_ld t = dist[b];
                dist[b] = dist[b - 1];
                dist[b - 1] = t;
            }
        score[i] = 0;
        for (int a = 0; a < T - prm.krum_f - 2; a++) score[i] += dist[a];
        scale = fmaxl(scale, gnorm(J, i) * gnorm(J, i));
    }
    int sel = 0;
    for (int i = 0; i < T; i++) {
        if (alpha[i] == 0.0f) continue;
        if (alpha[i] != (float)(1.0 / prm.krum_m)) fail_msg("krum: %s: alpha_%d = %g", J->what, i, alpha[i]);
        sel++;
        for (int j = 0; j < T; j++) /* nobody left out scores clearly better */
            if (alpha[j] == 0.0f && score[j] < score[i] - 1e-6L * T * scale)
                fail_msg("krum: %s: chose %d (score %g) over %d (score %g)", J->what, i, (double)score[i], j,
                         (double)score[j]);
    }
    assert_int_equal(sel, prm.krum_m);
}

/* The trimmed mean replayed per coordinate (trim 1, or 0 for two tasks). */
static void check_trimmed(const jac *J)
{
    int T = J->T;
    mt_combine_params prm;
    combine_params_default(&prm);
    prm.trim = T >= 3 ? 1 : 0;
    float d[MAXP], alpha[MAXT];
    if (run(J, MT_COMBINE_TRIMMED_MEAN, &prm, d, alpha)) fail_msg("trimmed_mean: %s: %s", J->what, mt_last_error());
    for (size_t p = 0; p < J->P; p++) {
        ref_ld v[MAXT], s = 0, sa = 0;
        for (int i = 0; i < T; i++) {
            v[i] = row(J, i)[p];
            sa += fabsl(v[i]);
        }
        for (int a = 1; a < T; a++)
            for (int b = a; b > 0 && v[b] < v[b - 1]; b--) {
                ref_ld t = v[b];
                v[b] = v[b - 1];
                v[b - 1] = t;
            }
        for (int i = prm.trim; i < T - prm.trim; i++) s += v[i];
        s /= T - 2 * prm.trim;
        if (!(fabsl(d[p] - s) <= 1e-6L * sa + 1e-30L))
            fail_msg("trimmed_mean: %s: d[%zu] = %g, replayed %g", J->what, p, d[p], (double)s);
    }
    if (T >= 3) { /* two tasks with trim 1: the documented error */
        prm.trim = (T + 1) / 2;
        mt_combiner *c = NULL;
        assert_int_equal(combine_new(&c, MT_COMBINE_TRIMMED_MEAN, T, &prm), MT_ERR_ARG);
        assert_non_null(strstr(mt_last_error(), "trim"));
    }
}

/* The stateful methods over three calls (G, then -G / 2 with the losses
 * halved, then G), replayed here in long double on the vectors from
 * their formulas in combine.h; d to 1e-5 of its scale. */
static void check_stateful(const jac *J, mt_combine_kind kind)
{
    int T = J->T;
    size_t P = J->P;
    const char *m = combine_kind_name(kind);
    mt_combiner *c = NULL;
    assert_int_equal(combine_new(&c, kind, T, NULL), MT_OK);
    assert_int_equal(combine_reserve(c, P), MT_OK);
    mt_combine_params prm;
    combine_params_default(&prm);
    static ref_ld Y[MAXT][MAXP];
    ref_ld lam[MAXT], w[MAXT], e0[MAXT];
    memset(Y, 0, sizeof Y);
    for (int i = 0; i < T; i++) {
        lam[i] = 1.0L / T;
        w[i] = 1;
        e0[i] = 0;
    }
    for (int t = 1; t <= 3; t++) {
        float G[MAXT * MAXP], L[MAXT], d[MAXP], alpha[MAXT];
        float f = t == 2 ? -0.5f : 1.0f;
        for (size_t k = 0; k < (size_t)T * P; k++) G[k] = f * J->G[k];
        for (int i = 0; i < T; i++) L[i] = J->losses[i] * (t == 2 ? 0.5f : 1.0f);
        if (combine_run(c, G, T, P, L, d, alpha)) fail_msg("%s: %s: %s", m, J->what, mt_last_error());
        ref_ld dref[MAXP] = {0}, scale = 0;
        if (kind == MT_COMBINE_MOCO) {
            ref_ld bt = prm.moco_beta / powl(t, prm.moco_beta_sigma), gt = prm.moco_gamma / powl(t, prm.moco_gamma_sigma);
            for (int i = 0; i < T; i++) {
                ref_ld n = sqrtl(dot_f(G + (size_t)i * P, G + (size_t)i * P, P)), h = n > 0 ? L[i] / n : 0;
                for (size_t p = 0; p < P; p++) Y[i][p] -= bt * (Y[i][p] - h * G[(size_t)i * P + p]);
            }
            ref_ld y[MAXT];
            for (int i = 0; i < T; i++) {
                ref_ld s = prm.moco_rho * lam[i];
                for (int j = 0; j < T; j++) s += ref_dot(Y[i], Y[j], (int)P) * lam[j];
                y[i] = lam[i] - gt * s;
            }
            /* the projection onto the simplex by bisection on its shift */
            ref_ld lo = -1e30L, hi = 1e30L;
            for (int i = 0; i < T; i++) {
                lo = fminl(lo == -1e30L ? y[i] - 1 : lo, y[i] - 1);
                hi = fmaxl(hi == 1e30L ? y[i] : hi, y[i]);
            }
            for (int it = 0; it < 200; it++) {
                ref_ld mid = (lo + hi) / 2, s = 0;
                for (int i = 0; i < T; i++) s += fmaxl(y[i] - mid, 0);
                if (s > 1) lo = mid;
                else hi = mid;
            }
            for (int i = 0; i < T; i++) lam[i] = fmaxl(y[i] - (lo + hi) / 2, 0);
            for (size_t p = 0; p < P; p++)
                for (int i = 0; i < T; i++) {
                    dref[p] += lam[i] * Y[i][p];
                    scale = fmaxl(scale, fabsl(lam[i] * Y[i][p]));
                }
        } else if (kind == MT_COMBINE_DB_MTL) {
            ref_ld bt = prm.db_beta / powl(t, prm.db_beta_sigma), nb[MAXT], mx = 0;
            for (int i = 0; i < T; i++) {
                for (size_t p = 0; p < P; p++) {
                    ref_ld h = (ref_ld)G[(size_t)i * P + p] / L[i];
                    Y[i][p] = h + bt * (Y[i][p] - h);
                }
                nb[i] = sqrtl(ref_dot(Y[i], Y[i], (int)P));
                mx = fmaxl(mx, nb[i]);
            }
            for (size_t p = 0; p < P; p++)
                for (int i = 0; i < T; i++)
                    if (nb[i] > 0) {
                        dref[p] += mx / nb[i] * Y[i][p];
                        scale = fmaxl(scale, fabsl(mx / nb[i] * Y[i][p]));
                    }
        } else { /* excess_mtl */
            ref_ld e[MAXT], sum = 0;
            for (int i = 0; i < T; i++) {
                e[i] = 0;
                for (size_t p = 0; p < P; p++) {
                    ref_ld g = G[(size_t)i * P + p];
                    Y[i][p] += g * g;
                    e[i] += g * g / sqrtl(Y[i][p] + 1e-7L);
                }
            }
            for (int i = 0; i < T; i++) {
                if (e0[i] > 0) w[i] *= expl(prm.excess_step * e[i] / e0[i]);
                else if (e[i] > 0) e0[i] = e[i];
                sum += w[i];
            }
            for (int i = 0; i < T; i++) {
                w[i] *= T / sum;
                if (!(fabsl(alpha[i] - w[i]) <= 1e-6L * w[i]))
                    fail_msg("%s: %s: call %d: alpha_%d = %g, replayed %g", m, J->what, t, i, alpha[i], (double)w[i]);
            }
            if (t != 2) check_span(J, m, d, alpha); /* J holds G, not -G / 2 */
            continue;
        }
        for (size_t p = 0; p < P; p++)
            if (!(fabsl(d[p] - dref[p]) <= 1e-5L * T * scale + 1e-30L))
                fail_msg("%s: %s: call %d: d[%zu] = %g, replayed %g", m, J->what, t, p, d[p], (double)dref[p]);
    }
    combine_free(c);
}

/* graddrop_rep on G read as (T, B R) gradients of a representation Z (B,
 * R) (B = 2 when P is even), Z's signs drawn here with some zeros; the
 * per-unit masks replayed with the combiner's draws, leak 0 or 0.25. */
static void check_graddrop_rep(const jac *J, int n)
{
    int T = J->T, B = J->P % 2 == 0 ? 2 : 1, R = (int)J->P / B;
    float Z[MAXP], d[MAXP], alpha[MAXT];
    mt_rng zr;
    mt_rng_init(&zr, 77, (uint64_t)n);
    for (size_t k = 0; k < J->P; k++) {
        double u = mt_rng_uniform(&zr);
        Z[k] = u < 0.1 ? 0.0f : (float)(u - 0.55);
    }
    mt_combine_params prm;
    combine_params_default(&prm);
    prm.graddrop_leak = n % 2 ? 0.25 : 0.0;
    mt_combiner *c = NULL;
    assert_int_equal(combine_new(&c, MT_COMBINE_GRADDROP_REP, T, &prm), MT_OK);
    assert_int_equal(combine_run(c, J->G, T, J->P, J->losses, d, alpha), MT_ERR_ARG); /* it needs Z */
    if (combine_graddrop_rep(c, J->G, T, B, R, Z, d, alpha))
        fail_msg("graddrop_rep: %s: %s", J->what, mt_last_error());
    combine_free(c);
    mt_rng rng;
    mt_rng_init(&rng, 0, 0x636f6d62);
    for (int r = 0; r < R; r++) {
        ref_ld sr[MAXT], s = 0, as = 0;
        for (int i = 0; i < T; i++) {
            sr[i] = 0;
            for (int b = 0; b < B; b++) {
                float z = Z[b * R + r];
                sr[i] += (z > 0 ? 1 : z < 0 ? -1 : 0) * (ref_ld)row(J, i)[b * R + r];
            }
            s += sr[i];
            as += fabsl(sr[i]);
        }
        ref_ld P = as > 0 ? 0.5L * (1 + s / as) : 0.5L;
        double u = mt_rng_uniform(&rng);
        for (int b = 0; b < B; b++) {
            ref_ld want = 0, sa = 0;
            for (int i = 0; i < T; i++) {
                int kept = (P > u && sr[i] > 0) || (P < u && sr[i] < 0);
                ref_ld g = row(J, i)[b * R + r];
                want += g * (prm.graddrop_leak + (1 - prm.graddrop_leak) * kept);
                sa += fabsl(g);
            }
            if (!(fabsl(d[b * R + r] - want) <= 1e-6L * sa))
                fail_msg("graddrop_rep: %s: d[%d, %d] = %g, replayed %g", J->what, b, r, d[b * R + r], (double)want);
        }
    }
}

static void check_sum_mean(const jac *J)
{
    float d[MAXP], alpha[MAXT];
    assert_int_equal(run(J, MT_COMBINE_SUM, NULL, d, alpha), MT_OK);
    for (int i = 0; i < J->T; i++) assert_true(alpha[i] == 1.0f);
    check_span(J, "sum", d, alpha);
    assert_int_equal(run(J, MT_COMBINE_MEAN, NULL, d, alpha), MT_OK);
    for (int i = 0; i < J->T; i++) assert_true(alpha[i] == (float)(1.0 / J->T));
    check_span(J, "mean", d, alpha);
}

/* aux_gate (Du et al. 2018): with every task main it is the sum; with the
 * even tasks main, an odd task's weight is 1 exactly when its gradient's
 * dot product with the main tasks' summed gradient (long double, from G)
 * is positive, 0 when negative; ties within rounding are not judged. */
static void check_aux_gate(const jac *J)
{
    float d[MAXP], alpha[MAXT];
    assert_int_equal(run(J, MT_COMBINE_AUX_GATE, NULL, d, alpha), MT_OK);
    for (int i = 0; i < J->T; i++) assert_true(alpha[i] == 1.0f);
    int is_main[MAXT];
    for (int i = 0; i < J->T; i++) is_main[i] = i % 2 == 0;
    mt_combiner *c = NULL;
    assert_int_equal(combine_new(&c, MT_COMBINE_AUX_GATE, J->T, NULL), MT_OK);
    combine_set_main(c, is_main);
    assert_int_equal(combine_run(c, J->G, J->T, J->P, J->losses, d, alpha), MT_OK);
    combine_free(c);
    ref_ld gm[MAXP] = {0}, nm = 0;
    for (size_t p = 0; p < J->P; p++) {
        for (int m = 0; m < J->T; m += 2) gm[p] += row(J, m)[p];
        nm += gm[p] * gm[p];
    }
    for (int i = 0; i < J->T; i++) {
        if (is_main[i]) {
            assert_true(alpha[i] == 1.0f);
            continue;
        }
        ref_ld dt = 0;
        for (size_t p = 0; p < J->P; p++) dt += row(J, i)[p] * gm[p];
        if (fabsl(dt) <= 1e-9L * gnorm(J, i) * sqrtl(nm)) continue;
        if (alpha[i] != (dt > 0 ? 1.0f : 0.0f))
            fail_msg("aux_gate: %s: task %d has g . g_main = %Lg and weight %g", J->what, i, dt, alpha[i]);
    }
    check_span(J, "aux_gate", d, alpha);
}

/* Every kind combine.h knows is checked here: a new one fails this test
 * until it has a property check. */
static void test_mtl_combine_props_every_method(void **state)
{
    (void)state;
    int cag = 0, upg = 0, ali = 0, dpj = 0, cfg = 0, nash_failed = 0, checked[MT_COMBINE_KIND_COUNT] = {0};
    for (int n = 0; n < NCASES; n++) {
        jac J;
        make_case(n, &J);
        for (int k = 0; k < MT_COMBINE_KIND_COUNT; k++) {
            switch ((mt_combine_kind)k) {
            case MT_COMBINE_SUM:
            case MT_COMBINE_MEAN: check_sum_mean(&J); break;
            case MT_COMBINE_AUX_GATE: check_aux_gate(&J); break;
            case MT_COMBINE_MGDA:
            case MT_COMBINE_MGDA_UB: check_mgda(&J, (mt_combine_kind)k, (mt_mgda_norm)(n % 4)); break;
            case MT_COMBINE_PCGRAD:
            case MT_COMBINE_GRADVAC: check_surgery(&J, (mt_combine_kind)k); break;
            case MT_COMBINE_GRADDROP: check_graddrop(&J); break;
            case MT_COMBINE_CAGRAD: check_cagrad(&J, n, &cag); break;
            case MT_COMBINE_IMTL_G: check_imtl(&J); break;
            case MT_COMBINE_NASH_MTL: check_nash(&J, &nash_failed); break;
            case MT_COMBINE_ALIGNED_MTL: check_aligned(&J, &ali); break;
            case MT_COMBINE_UPGRAD: check_upgrad(&J, &upg); break;
            case MT_COMBINE_DUALPROJ: check_dualproj(&J, &dpj); break;
            case MT_COMBINE_CONFIG: check_config(&J, &cfg); break;
            case MT_COMBINE_FAIRGRAD: check_fairgrad(&J, n); break;
            case MT_COMBINE_SDMGRAD: check_sdmgrad(&J, n); break;
            case MT_COMBINE_KRUM: check_krum(&J, n); break;
            case MT_COMBINE_TRIMMED_MEAN: check_trimmed(&J); break;
            case MT_COMBINE_MOCO:
            case MT_COMBINE_DB_MTL:
            case MT_COMBINE_EXCESS_MTL: check_stateful(&J, (mt_combine_kind)k); break;
            case MT_COMBINE_GRADDROP_REP: check_graddrop_rep(&J, n); break;
            default: fail_msg("combine kind %d (%s) has no property check", k, combine_kind_name((mt_combine_kind)k));
            }
            checked[k]++;
        }
    }
    for (int k = 0; k < MT_COMBINE_KIND_COUNT; k++) assert_int_equal(checked[k], NCASES);
    /* the exact references were available for most cases */
    fprintf(stderr,
            "  exact comparisons: cagrad %d, upgrad %d, dualproj %d, config %d, aligned_mtl %d of %d; nash_mtl refused %d\n",
            cag, upg, dpj, cfg, ali, NCASES, nash_failed);
    assert_true(cag >= NCASES * 8 / 10);
    assert_true(upg >= NCASES * 8 / 10);
    assert_true(dpj >= NCASES * 8 / 10);
    assert_true(cfg >= NCASES * 4 / 10);
    assert_true(ali >= NCASES * 7 / 10); /* near-parallel rows sit at the rank cut */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtl_combine_props_every_method),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
