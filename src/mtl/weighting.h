/* weighting.h - loss weighting: how T task losses become one backward pass.
 *
 * A weighting method turns the per-task losses L (T) into weights w (T);
 * the trainer back-propagates sum_i w_i L_i. Some methods learn extra
 * scalars (uncertainty's log-variances, IMTL-L's scales, FAMO's logits,
 * GradNorm's weights themselves); they are updated inside the method by
 * its own small optimiser (SGD or Adam, with its own learning rate), so
 * the network's optimizer never sees them.
 *
 * The trainer's loop, once per step:
 *
 *     forward                                  -> losses L (T)
 *     weighting_prepare(W, L)                  weights for THIS step
 *     w = weighting_weights(W)                 backward of sum_i w_i L_i
 *     (GradNorm: also ||grad_W L_i|| at the last shared layer W)
 *     optimizer step
 *     weighting_update(W, grad_norms, losses_after)   learned state
 *     at the end of an epoch or window of N steps:
 *         weighting_window_end(W, mean losses of that window)   (DWA)
 *
 * Nothing allocates after weighting_new. Weights are float (what the
 * backward pass multiplies by); learned state is double.
 *
 * Conventions per method (w_i = the weight returned for task i):
 *   equal        w_i = 1.
 *   static       w_i = user weights, changeable while running.
 *   uncertainty  (Kendall, Gal & Cipolla 2018) learned s_i = log sigma_i^2;
 *                total = sum_i c_i exp(-s_i) L_i + s_i / 2, with c_i = 1/2
 *                for a regression task (1/(2 sigma^2) L + log sigma) and
 *                c_i = 1 for a classification task (1/sigma^2 L + log
 *                sigma). w_i = c_i exp(-s_i); sigma_i = exp(s_i / 2).
 *                d total / d s_i = -c_i exp(-s_i) L_i + 1/2, so at fixed
 *                losses s_i converges to log(2 c_i L_i). s starts at 0.
 *   gradnorm     (Chen et al. 2018) learned w (starts at 1); see
 *                weighting_update. Always positive, always sums to T.
 *   dwa          (Liu, Johns & Davison 2019) w_i = T softmax(r / temp)_i,
 *                r_i = Lbar_i(k-1) / Lbar_i(k-2) over the last two
 *                windows; w = 1 until two windows have ended.
 *   rlw          (Lin et al. 2021) w = T softmax(z), z ~ N(0, I) drawn at
 *                every prepare from the seeded stream; rlw_total 1
 *                gives softmax(z) (sum 1, as LibMTL), the same draws.
 *   gls          (Chennupati et al. 2019, geometric loss strategy) total =
 *                (prod_i L_i)^(1/T), so w_i = (prod_j L_j)^(1/T) / (T L_i)
 *                (the exact gradient: LibMTL's scale; scale_inv is the
 *                same direction up to this factor).
 *   stch         (Lin et al. 2024, smooth Tchebycheff) for the first
 *                stch_warmup steps the total is sum_i log L_i (w_i =
 *                1 / L_i) and the losses are averaged into the nadir
 *                point z (with no warm-up, z = the first step's losses);
 *                then total = T mu log sum_i exp(log(L_i / z_i) / mu),
 *                so w_i = T softmax(r / mu)_i / L_i with r_i =
 *                log(L_i / z_i), mu = stch_mu (LibMTL's form, whose
 *                warm-up counts epochs). Small mu weights the worst
 *                relative loss alone.
 *   auto_lambda  (Liu, James, Davison & Johns 2022) learned weights lambda
 *                (start 1), w = lambda. The trainer computes the
 *                hypergradient of the primary (non-auxiliary) tasks'
 *                validation loss after a virtual SGD step,
 *                d/d lambda_i L_val(theta - a sum_j lambda_j grad L_j) =
 *                -a grad L_i(theta) . grad L_val(theta'), and hands it to
 *                weighting_meta_step, which takes one optimiser step on
 *                lambda (learning rate al_lr) before the step's backward.
 *   scale_inv    total = sum_i log L_i, whose gradient is
 *                sum_i grad L_i / L_i: w_i = 1 / L_i (losses must be > 0).
 *   imtl_l       (Liu et al. 2021) learned s_i; total = sum_i e^{s_i} L_i
 *                - s_i; w_i = e^{s_i}; stationary point s_i = -log L_i.
 *   famo         (Liu et al. 2023) learned logits xi (start at 0),
 *                z = softmax(xi). The backward minimises
 *                sum_i (z_i / c) log L_i, i.e. w_i = c z_i / L_i with
 *                c = (sum_j z_j / L_j)^-1, so the weights sum to 1 (the
 *                paper's scale, not T). After the step, with
 *                delta_i = log L_i(t) - log L_i(t+1):
 *                  grad_xi = J_softmax(xi)^T delta + gamma xi,
 *                  (J^T delta)_j = z_j (delta_j - sum_i z_i delta_i),
 *                and xi takes one optimiser step on grad_xi (learning
 *                rate beta = lr; gamma = famo_gamma is the weight decay).
 *                Tasks whose loss fell faster lose weight.
 */
#ifndef MT_WEIGHTING_H
#define MT_WEIGHTING_H

#include <stdint.h>
#include "core/status.h"

typedef enum {
    MT_WEIGHT_EQUAL,
    MT_WEIGHT_STATIC,
    MT_WEIGHT_UNCERTAINTY,
    MT_WEIGHT_GRADNORM,
    MT_WEIGHT_DWA,
    MT_WEIGHT_RLW,
    MT_WEIGHT_SCALE_INV,
    MT_WEIGHT_IMTL_L,
    MT_WEIGHT_FAMO,
    MT_WEIGHT_GLS,
    MT_WEIGHT_STCH,
    MT_WEIGHT_AUTO_LAMBDA,
    MT_WEIGHT_KIND_COUNT
} mt_weighting_kind;

/* The optimiser of a method's learned scalars. Adam uses beta1 = 0.9,
 * beta2 = 0.999, eps = 1e-8 with bias correction (so its first step moves
 * each scalar by lr in the direction of -sign(gradient)). */
typedef enum { MT_WOPT_SGD, MT_WOPT_ADAM } mt_weighting_opt;

/* The methods' parameters. Their defaults and ranges are in the registry
 * (methods.c), which names each member a script can set; the rest are set
 * by the caller. */
typedef struct {
    const float *static_w; /* (T) static weights, copied; NULL = all 1 */
    const int *classify;   /* (T) uncertainty: 1 = classification (c_i = 1),
                              0 = regression (c_i = 1/2); copied; NULL = all
                              regression */
    int opt;               /* mt_weighting_opt of the learned scalars */
    double lr;             /* their learning rate (FAMO's beta) */
    double gradnorm_alpha; /* asymmetry */
    double gradnorm_floor; /* weights are clamped to at least this before
                              renormalising to sum T */
    double dwa_temp;
    int dwa_window;        /* steps per window, 0 = an epoch: when the caller
                              calls weighting_window_end */
    double famo_gamma;     /* weight decay on FAMO's logits */
    int rlw_total;         /* RLW: weights sum to T (0) or to 1 (1, LibMTL) */
    double stch_mu;        /* STCH's smoothing */
    int stch_warmup;       /* STCH: steps of sum-of-logs before the nadir is fixed */
    double al_lr;          /* Auto-Lambda: learning rate of the weights */
    uint64_t seed;         /* RLW's random stream; default 0 */
} mt_weighting_params;

typedef struct mt_weighting mt_weighting;

/* Every member's registry default; pointers NULL, seed 0. */
void weighting_params_default(mt_weighting_params *p);

/* Creates a method for T tasks (1 <= T <= 1024); prm NULL = defaults.
 * The caller frees *out with weighting_free. Fails with MT_ERR_ARG naming
 * the bad field: a member outside the registry's range (every method's,
 * so a later weighting_switch needs no check), a negative or non-finite
 * static weight. */
mt_status weighting_new(mt_weighting **out, mt_weighting_kind kind, int T, const mt_weighting_params *prm);
void weighting_free(mt_weighting *w);

/* Takes this step's losses (T, all finite; > 0 for gradnorm, dwa,
 * scale_inv and famo) and fixes the weights of this step. GradNorm
 * records L(0) on the first prepare after creation or reset. RLW draws
 * here. FAMO first applies a deferred logit update (see weighting_update)
 * using these losses as L(t+1). */
mt_status weighting_prepare(mt_weighting *w, const float *losses);

/* The weights (T) to multiply the losses by in this step's backward.
 * Borrowed; valid until the next prepare/update/reset. Before the first
 * prepare: the method's initial weights (1 for the loss-dependent ones). */
const float *weighting_weights(const mt_weighting *w);

/* After the optimizer step: updates the learned scalars from the losses
 * given to the last prepare.
 *  - uncertainty, imtl_l: one optimiser step on s (see the header text).
 *  - gradnorm: grad_norms (T) = ||grad_W L_i|| at the last shared layer W
 *    (required; unweighted: the method multiplies by w_i). With
 *    G_i = w_i n_i, Gbar = mean G, Ltil_i = L_i / L_i(0),
 *    r_i = Ltil_i / mean(Ltil), target_i = Gbar r_i^alpha held constant,
 *    the loss sum_i |G_i - target_i| has d/dw_i = sign(G_i - target_i) n_i;
 *    w takes one optimiser step, is clamped to >= gradnorm_floor and is
 *    rescaled to sum to T.
 *  - famo: losses_after (T) = the losses after the step (exact FAMO
 *    evaluates them on the same batch). NULL defers the update to the
 *    next prepare, which then uses the next batch's losses as L(t+1).
 *  Other methods ignore both arguments. Calling update without a prepare
 *  since the last update is MT_ERR_STATE. */
mt_status weighting_update(mt_weighting *w, const float *grad_norms, const float *losses_after);

/* Auto-Lambda: one optimiser step on lambda along grad (T), then the
 * weights are lambda. MT_ERR_STATE for other kinds. */
mt_status weighting_meta_step(mt_weighting *w, const double *grad);

/* Whether the trainer must compute weighting_meta_step's hypergradient
 * (auto_lambda). */
int weighting_needs_lookahead(mt_weighting_kind kind);

/* The end of an epoch or window of N steps, with the mean loss (T) of
 * each task over it. DWA's weights change here; others ignore it. */
mt_status weighting_window_end(mt_weighting *w, const float *mean_losses);

/* New static weights (T, finite, >= 0); takes effect at once. Allowed for
 * any kind (they are kept for a later switch to static). */
mt_status weighting_set_static(mt_weighting *w, const float *weights);

/* Back to the state of a freshly created method of the current kind:
 * learned scalars, optimiser moments, GradNorm's L(0), DWA's history,
 * FAMO's pending update, RLW's random stream. Static weights are kept. */
void weighting_reset(mt_weighting *w);

/* Switches to another method and resets (the user changes the method
 * mid-run). No allocation. */
mt_status weighting_switch(mt_weighting *w, mt_weighting_kind kind);

mt_weighting_kind weighting_kind(const mt_weighting *w);
int weighting_count(const mt_weighting *w); /* T */

/* The method's learned vector (T), borrowed: s for uncertainty and
 * imtl_l, the logits xi for famo, the weights for gradnorm and
 * auto_lambda; NULL for
 * methods that learn nothing. */
const double *weighting_learned(const mt_weighting *w);

/* Uncertainty's sigma_i = exp(s_i / 2); NAN for other kinds or a bad i. */
double weighting_sigma(const mt_weighting *w, int i);

int weighting_needs_grad_norms(mt_weighting_kind kind);   /* gradnorm */
int weighting_uses_losses_after(mt_weighting_kind kind);  /* famo */

/* The registry's names ("equal", "static", "uncertainty", ...). Parse
 * fails with MT_ERR_ARG listing the valid names. */
const char *weighting_kind_name(mt_weighting_kind kind);
mt_status weighting_kind_parse(const char *name, mt_weighting_kind *out);

#endif
