/* combine.h - gradient combination ("gradient surgery") across tasks.
 *
 * The trainer computes one gradient per task on the SHARED parameters,
 * G (T, P) row-major float32 (task-specific parameters get their own
 * task's gradient; the trainer handles those), and asks a combiner for
 * one direction d (P) to hand to the optimizer, together with the task
 * weights alpha (T) it implies.
 *
 * Everything except GradDrop works on the Gram matrix M = G G^T (T x T,
 * accumulated in double from the float inputs), so a call costs one
 * O(T^2 P) Gram product, O(T^3) solver work (all in double) and one
 * O(T P) pass forming d = G^T alpha in double from the double weights,
 * rounded once to float. For every kind but GradDrop, d = sum_i alpha_i
 * g_i exactly (up to that one rounding): methods that modify the
 * gradients (PCGrad, GradVac) track the coefficients of each modified
 * gradient in the basis {g_j} instead of touching P-vectors. GradDrop's
 * result is not in the span; its alpha is the least-squares fit
 * argmin ||G^T alpha - d|| (minimum-norm solution when M is singular).
 *
 * Methods and conventions:
 *   sum, mean      alpha = 1, alpha = 1/T.
 *   aux_gate       (Du et al. 2018) alpha = 1 for every main task
 *                  (combine_set_main) and for each auxiliary task whose
 *                  gradient has a positive cosine with the main tasks'
 *                  summed gradient, 0 for the others (auxtask.h): an
 *                  auxiliary gradient is used only while it agrees.
 *   mgda           (Sener & Koltun 2018) gradients are normalised first,
 *                  g_i / n_i with n_i = 1 (none), ||g_i|| (l2), L_i (loss)
 *                  or L_i ||g_i|| (loss+); the min-norm point of their
 *                  convex hull, sum_i a_i g_i / n_i, is found by
 *                  Frank-Wolfe (minnorm.h; closed form for T = 2;
 *                  an exact active-set finish when it stalls).
 *                  Returned: alpha_i = a_i / n_i, so d = sum alpha_i g_i
 *                  is the min-norm element of the NORMALISED hull. (The
 *                  authors' script instead applies a_i to the raw
 *                  losses; with normalisation "none" the two agree.) A
 *                  zero gradient keeps n_i = 1 under l2/loss+.
 *   mgda_ub        the same on G = gradients w.r.t. the shared
 *                  representation Z (T, R): the trainer then takes d_out
 *                  down the trunk in one backward pass (as for every
 *                  combiner with rep_grad). d_out may be NULL; when given
 *                  it receives the direction in Z space.
 *   pcgrad         (Yu et al. 2020) for each i, g_i is projected onto the
 *                  normal plane of every ORIGINAL g_j (j != i, random
 *                  order from the seeded stream, reshuffled per i) that
 *                  it conflicts with (g_i' . g_j < 0); d = sum_i g_i'.
 *   graddrop       (Chen et al. 2020, on parameter gradients; with rep_grad
 *                  per element of the representation gradient) per
 *                  coordinate p the sign purity
 *                  P = (1 + sum_i g_ip / sum_i |g_ip|) / 2; one uniform U
 *                  per coordinate; the positive parts are kept where
 *                  P > U, else the negative parts; d_p = sum_i
 *                  (leak g_ip + (1 - leak) kept_ip). d_out is required.
 *   gradvac        (Wang et al. 2021) EMA targets phi_ij (start 0,
 *                  phi <- (1 - beta) phi + beta rho at every visit, as in
 *                  the paper's algorithm); when rho = cos(g_i', g_j) <
 *                  phi_ij, g_i' += g_j ||g_i'|| (phi sqrt(1 - rho^2) -
 *                  rho sqrt(1 - phi^2)) / (||g_j|| sqrt(1 - phi^2)),
 *                  which makes cos(g_i', g_j) = phi_ij exactly. Order as
 *                  in PCGrad. d = sum_i g_i'.
 *   cagrad         (Liu et al. 2021) g0 = mean gradient, r = c ||g0||;
 *                  w on the simplex minimises F(w) = g_w . g0 + r ||g_w||
 *                  (the dual of max_{||d - g0|| <= r} min_i d . g_i);
 *                  d = g0 + (r / ||g_w||) g_w, then divided by 1
 *                  (rescale 0), 1 + c^2 (1) or 1 + c (2). The dual is
 *                  solved exactly: its optimum is the mu with ||g_w(mu)||
 *                  = r mu, where w(mu) is the min-norm point of the hull
 *                  of the gradients shifted by mu g0 (minnorm_hull, on a
 *                  square root of M); the search on mu stops when the
 *                  duality gap F(w) - min_i g_i . d(w) is below 1e-13 of
 *                  max ||g_i|| (||g0|| + r). A gap above 1e-6 of that
 *                  scale is MT_ERR_NUMERIC. When the hull contains 0 and
 *                  ||g0|| <= r, d = 0 (optimal: no d in the ball improves
 *                  every task). c = 0 gives the mean.
 *   imtl_g         (Liu et al. 2021) the closed form: alpha sums to 1
 *                  and d = sum alpha_i g_i has the same projection on
 *                  every unit gradient u_i. Linearly dependent gradients
 *                  are MT_ERR_NUMERIC: more tasks with a nonzero gradient
 *                  than parameters (T > P), or a gradient within 1.5e-8
 *                  (relative) of the span of the others.
 *   nash_mtl       (Navon et al. 2022) alpha > 0 with
 *                  alpha_i (G G^T alpha)_i = 1, by damped Newton on the
 *                  strictly convex 1/2 a^T M a - sum log a_i (positivity
 *                  and Armijo line search), on the unit-diagonal
 *                  D^-1/2 M D^-1/2 (same residual). Converged when
 *                  max_i |alpha_i (M alpha)_i - 1| <= nash_tol, or when
 *                  Newton stalls at round-off with a residual <= 1e-6
 *                  (nearly dependent gradients). Anything else within
 *                  nash_max_iter steps is MT_ERR_NUMERIC naming the
 *                  residual; never a silent fallback. (The authors' code
 *                  divides M by its norm n but multiplies alpha by n
 *                  inside its log constraints, alpha_i n (M / n alpha)_i
 *                  >= 1: the same equations, so where its convex-concave
 *                  iterations converge its alpha equals this one.)
 *   aligned_mtl    (Senushkin et al. 2023) with M = V diag(l) V^T,
 *                  B = sqrt(l_min) V diag(l^-1/2) V^T over the numerical
 *                  rank (eigenvalues above l_max T FLT_EPSILON); the
 *                  aligned gradients B G have Gram l_min I (condition
 *                  number 1); d = sum of the aligned gradients, i.e.
 *                  alpha = B 1.
 *   upgrad         (Quinton & Rey 2024, torchjd) for each i,
 *                  v_i = argmin v^T M v subject to v >= e_i / T (the
 *                  projection of g_i / T onto the dual cone of the rows),
 *                  solved exactly as non-negative least squares on a
 *                  square root of M; alpha = sum_i v_i. d then has
 *                  d . g_j >= 0 for every j (up to round-off) whatever the
 *                  norms and however singular M is; it is the mean when
 *                  no pair conflicts. For two tasks it is PCGrad / 2.
 *                  upgrad_reg > 0 (default 0) solves on M / tr(M) +
 *                  reg I instead, as torchjd does; that moves each
 *                  d . g_j by about -reg tr(M) |v|, so d . g_j >= 0 then
 *                  holds only up to that.
 *   nash_mtl options (the authors' code): nash_update_every k solves for
 *                  alpha at the first call and every k-th after it and
 *                  reuses that alpha in between (d = G^T alpha_old on the
 *                  new G); nash_warm_start starts Newton from the last
 *                  alpha (same fixed point: only the iteration count
 *                  changes); nash_max_norm m > 0 scales alpha by
 *                  m / |d| when |d| = sqrt(alpha^T M alpha) > m (their
 *                  clip_grad_norm_ of the shared parameters).
 *   dualproj       (torchjd's DualProj) the mean g0 = G^T 1 / T projected
 *                  onto the dual cone {v : v . g_j >= 0}: alpha =
 *                  argmin a^T M a subject to a >= 1 / T, by the same
 *                  exact non-negative least squares as upgrad. d . g_j >=
 *                  0 for every j; d = g0 when no g_j . g0 < 0.
 *   config         (Liu et al. 2024, ConFIG) with unit gradients u_i =
 *                  g_i / |g_i| (zero rows left out), the min-norm v with
 *                  u_i . v = 1 for all i, v = U^T Mu^+ 1 (Mu = U U^T,
 *                  pseudo-inverse over the singular values of U above
 *                  T FLT_EPSILON of the largest, torch.linalg.pinv's cut;
 *                  least squares when no exact solution),
 *                  then d = (sum_i g_i . v^) v^, v^ = v / |v|. When the
 *                  unit gradients are independent every g_i has the same
 *                  cosine with d; d = 0 when v = 0 (exactly opposed
 *                  pair).
 *   fairgrad       (Ban & Ji 2024) alpha-fairness with p = fairgrad_alpha:
 *                  alpha > 0 with (M alpha)_i = alpha_i^(-1/p), by the
 *                  damped Newton of nash_mtl on the strictly convex
 *                  1/2 a^T M a - sum_i phi(a_i), phi'(a) = a^(-1/p); the
 *                  residual is max_i |alpha_i^(1/p) (M alpha)_i - 1| with
 *                  nash_tol and nash_max_iter. p = 1 is nash_mtl.
 *   sdmgrad        (Xiao et al. 2023) w on the simplex minimising
 *                  |G^T w + lambda g0|^2 (g0 the mean), i.e. the min-norm
 *                  point of the hull of the g_i + lambda g0 (minnorm.h on
 *                  the shifted Gram), d = (G^T w + lambda g0) / (1 +
 *                  lambda): alpha_i = (w_i + lambda / T) / (1 + lambda).
 *                  lambda = 0 is MGDA without normalisation; large
 *                  lambda tends to the mean. This is the exact solution
 *                  of the subproblem that the paper's stochastic method
 *                  approaches by projected steps on two independent
 *                  batches; here both use the step's one batch.
 *   krum           (Blanchard et al. 2017, as in torchjd) score_i = sum of
 *                  the squared distances |g_i - g_j|^2 (from M) to its
 *                  T - krum_f - 2 nearest others; the krum_m gradients of
 *                  lowest score (ties: lower index) are averaged. Needs
 *                  T >= krum_f + 3 and krum_m <= T (else MT_ERR_ARG).
 *   trimmed_mean   (Yin et al. 2018, as in torchjd) per coordinate the
 *                  `trim` largest and `trim` smallest values are dropped
 *                  and the rest averaged. Needs T > 2 trim. Not in the
 *                  span: alpha is the least-squares fit, as for graddrop;
 *                  d_out is required.
 *   graddrop_rep   (Chen et al. 2020 as the paper and LibMTL do it: on the
 *                  shared representation Z (B, R), always) through
 *                  combine_graddrop_rep: per unit r of the representation
 *                  the batch-summed, input-sign-corrected gradients s_ir =
 *                  sum_b g_i[b, r] sign(Z[b, r]) give the purity P_r =
 *                  (1 + sum_i s_ir / sum_i |s_ir|) / 2 (1/2 when all are
 *                  0); one uniform U_r; task i's gradient of unit r is kept
 *                  where P_r > U_r and s_ir > 0 or P_r < U_r and s_ir < 0,
 *                  over the whole batch; d[b, r] = sum_i g_i[b, r] (leak +
 *                  (1 - leak) kept_ir). alpha is the least-squares fit.
 *                  combine_run refuses it (it needs Z).
 *
 * Methods with a state per shared parameter (combine_reserve first; t
 * counts the calls since reset, from 1):
 *   moco           (Fernando et al. 2023) h_i = L_i g_i / |g_i| (a zero
 *                  g_i gives h_i = 0); the tracked gradients move toward
 *                  them, y_i <- y_i - beta_t (y_i - h_i), beta_t =
 *                  moco_beta / t^moco_beta_sigma (y starts at 0); the
 *                  weights take one projected step, lambda <-
 *                  Proj_simplex(lambda - gamma_t (Y Y^T + rho I) lambda)
 *                  (the paper's projection; LibMTL takes a softmax of the
 *                  same point), lambda starting at 1 / T; d = Y^T lambda.
 *                  Needs the losses. Not in the span of G: alpha is the
 *                  least-squares fit, d_out is required.
 *   db_mtl         (Lin et al. 2023, dual-balancing) the log-loss
 *                  gradients h_i = g_i / L_i feed a buffer b_i <- h_i +
 *                  beta_t (b_i - h_i), beta_t = db_beta / t^db_beta_sigma
 *                  (b starts at 0, as LibMTL's); d = sum_i (max_j |b_j|
 *                  / |b_i|) b_i (a zero b_i adds nothing): every buffered
 *                  gradient enters with the largest norm. Needs the
 *                  losses; alpha as for moco; d_out is required.
 *   excess_mtl     (He et al. 2024) an AdaGrad accumulator per task,
 *                  A_i += g_i^2 (elementwise), gives the excess-risk
 *                  estimate e_i = sum_p g_ip^2 / sqrt(A_ip + 1e-7); the
 *                  first nonzero e_i of each task is its reference e0_i;
 *                  from the call after it, w_i <- w_i exp(excess_step
 *                  e_i / e0_i), renormalised to sum T (kept as
 *                  log-weights, w = T softmax(log w), so a large ratio
 *                  cannot overflow); alpha = w (in the span). The authors weight the whole loss (the heads
 *                  too); here, as for every combiner, the heads keep
 *                  their own unweighted gradient.
 *
 * Tasks whose gradient is exactly zero are left out of the imtl_g,
 * config, fairgrad and nash_mtl solves (alpha_i = 0): a masked task must not stop training.
 */
#ifndef MT_COMBINE_H
#define MT_COMBINE_H

#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

typedef enum {
    MT_COMBINE_SUM,
    MT_COMBINE_MEAN,
    MT_COMBINE_MGDA,
    MT_COMBINE_MGDA_UB,
    MT_COMBINE_PCGRAD,
    MT_COMBINE_GRADDROP,
    MT_COMBINE_GRADVAC,
    MT_COMBINE_CAGRAD,
    MT_COMBINE_IMTL_G,
    MT_COMBINE_NASH_MTL,
    MT_COMBINE_ALIGNED_MTL,
    MT_COMBINE_UPGRAD,
    MT_COMBINE_DUALPROJ,
    MT_COMBINE_CONFIG,
    MT_COMBINE_FAIRGRAD,
    MT_COMBINE_SDMGRAD,
    MT_COMBINE_KRUM,
    MT_COMBINE_TRIMMED_MEAN,
    MT_COMBINE_MOCO,
    MT_COMBINE_DB_MTL,
    MT_COMBINE_EXCESS_MTL,
    MT_COMBINE_GRADDROP_REP,
    MT_COMBINE_AUX_GATE,
    MT_COMBINE_KIND_COUNT
} mt_combine_kind;

typedef enum { MT_MGDA_NORM_NONE, MT_MGDA_NORM_L2, MT_MGDA_NORM_LOSS, MT_MGDA_NORM_LOSS_PLUS } mt_mgda_norm;

/* The methods' parameters. Their defaults and ranges are in the registry
 * (methods.c: mgda max_iter 250, cagrad c 0.5, ...), which names each
 * member a script can set. */
typedef struct {
    int mgda_norm;          /* an mt_mgda_norm (the authors' default: l2) */
    int mgda_max_iter;      /* Frank-Wolfe iterations before the exact
                               active-set finish (minnorm.h) */
    double mgda_tol;        /* KKT violations relative to their scale (minnorm.h) */
    double cagrad_c;
    int cagrad_rescale;     /* 0, 1 or 2 */
    double gradvac_beta;    /* EMA rate (LibMTL's default 0.5) */
    double graddrop_leak;   /* in [0, 1] */
    int nash_max_iter;      /* Newton steps */
    double nash_tol;        /* max_i |alpha_i (M alpha)_i - 1| */
    double upgrad_reg;      /* added to the trace-normalised Gram */
    int nash_update_every;  /* solve for alpha every k-th call, reuse it between */
    double nash_max_norm;   /* > 0: |d| clipped to it (alpha scaled); 0 = off */
    int nash_warm_start;    /* Newton starts from the last alpha */
    double fairgrad_alpha;  /* the alpha of alpha-fairness (1 = Nash-MTL) */
    double sdmgrad_lambda;  /* weight of the mean gradient */
    int krum_f;             /* gradients assumed faulty */
    int krum_m;             /* gradients averaged */
    int trim;               /* trimmed_mean: values dropped at each end */
    double moco_beta, moco_beta_sigma;   /* tracking rate beta / t^sigma */
    double moco_gamma, moco_gamma_sigma; /* weight step gamma / t^sigma */
    double moco_rho;                     /* ridge on Y Y^T */
    double db_beta, db_beta_sigma;       /* DB-MTL's buffer rate beta / t^sigma */
    double excess_step;                  /* ExcessMTL's robust step size */
    int rep_grad;           /* every combiner: the trainer hands it gradients of the
                               shared representation instead (its docs); unused here */
    uint64_t seed;          /* pcgrad/gradvac order, graddrop draws; default 0 */
} mt_combine_params;

typedef struct mt_combiner mt_combiner;

/* Every member's registry default; seed 0. */
void combine_params_default(mt_combine_params *p);

/* Creates a combiner for exactly T tasks (1 <= T <= 256); prm NULL =
 * defaults; a member outside the registry's range (any method's, so a
 * later combine_switch needs no check) is MT_ERR_ARG naming it. All work space is allocated here (O(T^2) plus T * 2048
 * doubles for the blocked Gram product): combine_run never allocates.
 * Caller frees with combine_free. */
mt_status combine_new(mt_combiner **out, mt_combine_kind kind, int T, const mt_combine_params *prm);
void combine_free(mt_combiner *c);
/* aux_gate: which tasks are main (T flags; NULL: all, which makes it
 * the sum); the trainer sets them from the tasks' `aux`. */
void combine_set_main(mt_combiner *c, const int *is_main);

/* G (T, P) row-major, borrowed. losses (T) is needed (finite, > 0) only
 * by mgda/mgda_ub with loss or loss+ normalisation, else may be NULL.
 * d_out (P) receives the direction (may be NULL except for graddrop, trimmed_mean, moco and db_mtl);
 * alpha_out (T) the implied task weights (required). T must equal the T
 * given at creation; 1 <= P <= INT_MAX. Non-finite gradients are
 * MT_ERR_NUMERIC naming the task. On error the outputs are unspecified. */
mt_status combine_run(mt_combiner *c, const float *G, int T, size_t P, const float *losses, float *d_out,
                      float *alpha_out);

/* graddrop_rep on G (T, B R) = the tasks' gradients of the shared
 * representation Z (B, R) row-major (as the trainer's rep_grad pass gives
 * them), Z borrowed; d_out (B R) and alpha_out (T) required. The combiner
 * must be of kind graddrop_rep (MT_ERR_STATE otherwise). */
mt_status combine_graddrop_rep(mt_combiner *c, const float *G, int T, int B, int R, const float *Z, float *d_out,
                               float *alpha_out);

/* Whether the method keeps a state per shared parameter (moco, db_mtl,
 * excess_mtl): combine_run then needs combine_reserve first. */
int combine_has_state(mt_combine_kind kind);

/* Allocates that state for P columns (T P floats, freed by
 * combine_free; a second call with another P replaces it). Methods
 * without one ignore it. combine_run with a P other than the reserved
 * one is MT_ERR_SHAPE for them. */
mt_status combine_reserve(mt_combiner *c, size_t P);

/* Forgets the state a method carries between calls (GradVac's targets,
 * Nash-MTL's last alpha, MoCo's, DB-MTL's and ExcessMTL's state) and
 * restarts the random stream: a reset combiner behaves like a fresh
 * one. */
void combine_reset(mt_combiner *c);

/* Switches method (and resets). No allocation. */
mt_status combine_switch(mt_combiner *c, mt_combine_kind kind);

mt_combine_kind combine_kind(const mt_combiner *c);

/* GradVac's current target cosine phi_ij (task i adjusted towards j);
 * NAN for a bad index. */
double combine_gradvac_target(const mt_combiner *c, int i, int j);

/* The Gram matrix (T, T) of the last combine_run's G, borrowed: the
 * trainer can feed it to relations.h without a second O(T^2 P) pass. */
const double *combine_last_gram(const mt_combiner *c);

/* Whether combine_run needs the losses with these parameters (mgda with
 * loss normalisation, moco, db_mtl). */
int combine_needs_losses(mt_combine_kind kind, const mt_combine_params *prm);

/* The registry's names ("sum", "mean", "mgda", ...) and its choices of
 * MGDA's `norm` ("none", "l2", "loss", "loss+"; the name is valid until
 * the next call on this thread). Parse failures are MT_ERR_ARG listing
 * the valid names. */
const char *combine_kind_name(mt_combine_kind kind);
mt_status combine_kind_parse(const char *name, mt_combine_kind *out);
const char *combine_mgda_norm_name(mt_mgda_norm n);
mt_status combine_mgda_norm_parse(const char *name, mt_mgda_norm *out);

#endif
