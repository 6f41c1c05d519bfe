#include "weighting.h"

#include <math.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "core/rng.h"
#include "methods.h"

struct mt_weighting {
    mt_weighting_kind kind;
    int T;
    mt_weighting_params prm; /* pointers inside are not kept */
    float *w;         /* (T) weights of the current step */
    float *static_w;  /* (T) */
    double *c;        /* (T) uncertainty constants 1/2 or 1 */
    double *learned;  /* (T) s, xi or GradNorm's weights */
    double *m, *v;    /* (T) Adam moments of `learned` */
    long adam_t;      /* Adam steps taken */
    double *loss;     /* (T) losses given to the last prepare */
    double *loss0;    /* (T) GradNorm's L(0) */
    int have_loss0;
    double *hist;     /* (2, T) DWA: window k-2 then k-1 */
    int nwin;         /* windows ended since reset */
    double *grad;     /* (T) scratch gradient of `learned` */
    double *z;        /* (T) scratch: FAMO's softmax, RLW's draws */
    int prepared;     /* prepare called since the last update */
    int famo_pending; /* a deferred FAMO update waits for L(t+1) */
    long nprep;       /* STCH: prepares since reset */
    mt_rng rng;
};

const char *weighting_kind_name(mt_weighting_kind kind)
{
    const mt_method_info *m = method_of_kind(MT_METHOD_WEIGHTING, (int)kind);
    return m ? m->name : "unknown";
}

mt_status weighting_kind_parse(const char *name, mt_weighting_kind *out)
{
    if (!name) return mt_fail(MT_ERR_ARG, "weighting: method name is NULL");
    const mt_method_info *m = method_find(name);
    if (m && m->family == MT_METHOD_WEIGHTING) {
        *out = (mt_weighting_kind)m->kind;
        return MT_OK;
    }
    char list[512];
    method_list(MT_METHOD_WEIGHTING, 1, list, sizeof list);
    return mt_fail(MT_ERR_ARG, "weighting: unknown method \"%s\" (expected %s)", name, list);
}

void weighting_params_default(mt_weighting_params *p)
{
    memset(p, 0, sizeof *p);
    method_family_defaults(MT_METHOD_WEIGHTING, p);
}

int weighting_needs_grad_norms(mt_weighting_kind kind) { return kind == MT_WEIGHT_GRADNORM; }

int weighting_uses_losses_after(mt_weighting_kind kind) { return kind == MT_WEIGHT_FAMO; }

static int needs_positive_losses(mt_weighting_kind k)
{
    return k == MT_WEIGHT_GRADNORM || k == MT_WEIGHT_DWA || k == MT_WEIGHT_SCALE_INV || k == MT_WEIGHT_FAMO ||
           k == MT_WEIGHT_GLS || k == MT_WEIGHT_STCH;
}

static mt_status check_vector(const char *what, const float *x, int T, int positive, mt_weighting_kind kind)
{
    if (!x) return mt_fail(MT_ERR_ARG, "weighting %s: %s is NULL", weighting_kind_name(kind), what);
    for (int i = 0; i < T; i++) {
        if (!isfinite(x[i]))
            return mt_fail(MT_ERR_NUMERIC, "weighting %s: %s[%d] is %g", weighting_kind_name(kind), what, i, (double)x[i]);
        if (positive && !(x[i] > 0.0f))
            return mt_fail(MT_ERR_ARG, "weighting %s: %s[%d] is %g (must be > 0)", weighting_kind_name(kind), what, i,
                           (double)x[i]);
    }
    return MT_OK;
}

/* Weights that follow from the learned state alone (no losses needed). */
static void state_weights(mt_weighting *w)
{
    for (int i = 0; i < w->T; i++) {
        switch (w->kind) {
        case MT_WEIGHT_STATIC: w->w[i] = w->static_w[i]; break;
        case MT_WEIGHT_UNCERTAINTY: w->w[i] = (float)(w->c[i] * exp(-w->learned[i])); break;
        case MT_WEIGHT_GRADNORM:
        case MT_WEIGHT_AUTO_LAMBDA: w->w[i] = (float)w->learned[i]; break;
        case MT_WEIGHT_IMTL_L: w->w[i] = (float)exp(w->learned[i]); break;
        default: w->w[i] = 1.0f; break;
        }
    }
}

void weighting_reset(mt_weighting *w)
{
    int T = w->T;
    for (int i = 0; i < T; i++) {
        w->learned[i] = w->kind == MT_WEIGHT_GRADNORM || w->kind == MT_WEIGHT_AUTO_LAMBDA ? 1.0 : 0.0;
        w->m[i] = w->v[i] = 0.0;
        w->loss[i] = w->loss0[i] = 0.0;
        w->hist[i] = w->hist[T + i] = 0.0;
    }
    w->adam_t = 0;
    w->have_loss0 = 0;
    w->nwin = 0;
    w->prepared = 0;
    w->famo_pending = 0;
    w->nprep = 0;
    mt_rng_init(&w->rng, w->prm.seed, 0x726c77 /* "rlw" */);
    state_weights(w);
}

mt_status weighting_new(mt_weighting **out, mt_weighting_kind kind, int T, const mt_weighting_params *prm)
{
    *out = NULL;
    if ((int)kind < 0 || kind >= MT_WEIGHT_KIND_COUNT)
        return mt_fail(MT_ERR_ARG, "weighting: unknown method kind %d", (int)kind);
    if (T < 1 || T > MT_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "weighting %s: task count %d out of range 1..%d", weighting_kind_name(kind), T,
                       MT_MAX_TASKS);
    mt_weighting_params p;
    if (prm)
        p = *prm;
    else
        weighting_params_default(&p);
    mt_status st = method_check_struct(MT_METHOD_WEIGHTING, (int)kind, &p);
    if (st) return mt_fail_prefix(st, "weighting %s", weighting_kind_name(kind));
    if (p.static_w) {
        for (int i = 0; i < T; i++)
            if (!isfinite(p.static_w[i]) || p.static_w[i] < 0.0f)
                return mt_fail(MT_ERR_ARG, "weighting %s: static_w[%d] is %g (must be finite and >= 0)",
                               weighting_kind_name(kind), i, (double)p.static_w[i]);
    }
    mt_weighting *w = mt_calloc(1, sizeof *w);
    if (!w) return MT_ERR_NOMEM;
    size_t nT = (size_t)T;
    w->w = mt_calloc(2 * nT, sizeof(float));
    w->learned = mt_calloc(10 * nT, sizeof(double));
    if (!w->w || !w->learned) {
        weighting_free(w);
        return MT_ERR_NOMEM;
    }
    w->static_w = w->w + nT;
    w->c = w->learned + nT;
    w->m = w->c + nT;
    w->v = w->m + nT;
    w->loss = w->v + nT;
    w->loss0 = w->loss + nT;
    w->hist = w->loss0 + nT;  /* 2T */
    w->grad = w->hist + 2 * nT;
    w->z = w->grad + nT;
    w->kind = kind;
    w->T = T;
    w->prm = p;
    w->prm.static_w = NULL;
    w->prm.classify = NULL;
    for (int i = 0; i < T; i++) {
        w->static_w[i] = p.static_w ? p.static_w[i] : 1.0f;
        w->c[i] = p.classify && p.classify[i] ? 1.0 : 0.5;
    }
    weighting_reset(w);
    *out = w;
    return MT_OK;
}

void weighting_free(mt_weighting *w)
{
    if (!w) return;
    mt_free(w->w);
    mt_free(w->learned);
    mt_free(w);
}

mt_weighting_kind weighting_kind(const mt_weighting *w) { return w->kind; }

int weighting_count(const mt_weighting *w) { return w->T; }

const float *weighting_weights(const mt_weighting *w) { return w->w; }

const double *weighting_learned(const mt_weighting *w)
{
    switch (w->kind) {
    case MT_WEIGHT_UNCERTAINTY:
    case MT_WEIGHT_IMTL_L:
    case MT_WEIGHT_FAMO:
    case MT_WEIGHT_GRADNORM:
    case MT_WEIGHT_AUTO_LAMBDA: return w->learned;
    default: return NULL;
    }
}

double weighting_sigma(const mt_weighting *w, int i)
{
    if (w->kind != MT_WEIGHT_UNCERTAINTY || i < 0 || i >= w->T) return NAN;
    return exp(0.5 * w->learned[i]);
}

mt_status weighting_set_static(mt_weighting *w, const float *weights)
{
    if (!weights) return mt_fail(MT_ERR_ARG, "weighting_set_static: weights is NULL");
    for (int i = 0; i < w->T; i++)
        if (!isfinite(weights[i]) || weights[i] < 0.0f)
            return mt_fail(MT_ERR_ARG, "weighting_set_static: weights[%d] is %g (must be finite and >= 0)", i,
                           (double)weights[i]);
    memcpy(w->static_w, weights, sizeof *weights * (size_t)w->T);
    if (w->kind == MT_WEIGHT_STATIC) state_weights(w);
    return MT_OK;
}

mt_status weighting_switch(mt_weighting *w, mt_weighting_kind kind)
{
    if ((int)kind < 0 || kind >= MT_WEIGHT_KIND_COUNT)
        return mt_fail(MT_ERR_ARG, "weighting_switch: unknown method kind %d", (int)kind);
    w->kind = kind;
    weighting_reset(w);
    return MT_OK;
}

/* One step of the method's own optimiser on `learned` with gradient g. */
static void opt_step(mt_weighting *w, const double *g)
{
    double lr = w->kind == MT_WEIGHT_AUTO_LAMBDA ? w->prm.al_lr : w->prm.lr;
    if (w->prm.opt == MT_WOPT_SGD) {
        for (int i = 0; i < w->T; i++) w->learned[i] -= lr * g[i];
        return;
    }
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    w->adam_t++;
    double c1 = 1.0 - pow(b1, (double)w->adam_t), c2 = 1.0 - pow(b2, (double)w->adam_t);
    for (int i = 0; i < w->T; i++) {
        w->m[i] = b1 * w->m[i] + (1.0 - b1) * g[i];
        w->v[i] = b2 * w->v[i] + (1.0 - b2) * g[i] * g[i];
        w->learned[i] -= lr * (w->m[i] / c1) / (sqrt(w->v[i] / c2) + eps);
    }
}

/* xi <- xi - step(J_softmax^T delta + gamma xi), delta = log L(t) - log L(t+1). */
static void famo_step(mt_weighting *w, const double *before, const float *after)
{
    int T = w->T;
    double mx = w->learned[0], zsum = 0.0, zd = 0.0;
    for (int i = 1; i < T; i++)
        if (w->learned[i] > mx) mx = w->learned[i];
    double *z = w->z;
    for (int i = 0; i < T; i++) {
        z[i] = exp(w->learned[i] - mx);
        zsum += z[i];
    }
    for (int i = 0; i < T; i++) {
        z[i] /= zsum;
        double delta = log(before[i]) - log((double)after[i]);
        w->grad[i] = delta; /* delta for now */
        zd += z[i] * delta;
    }
    for (int i = 0; i < T; i++) w->grad[i] = z[i] * (w->grad[i] - zd) + w->prm.famo_gamma * w->learned[i];
    opt_step(w, w->grad);
}

static void famo_weights(mt_weighting *w)
{
    int T = w->T;
    double mx = w->learned[0], zsum = 0.0, inv_c = 0.0;
    for (int i = 1; i < T; i++)
        if (w->learned[i] > mx) mx = w->learned[i];
    double *z = w->z;
    for (int i = 0; i < T; i++) {
        z[i] = exp(w->learned[i] - mx);
        zsum += z[i];
    }
    for (int i = 0; i < T; i++) {
        z[i] /= zsum;
        inv_c += z[i] / w->loss[i];
    }
    for (int i = 0; i < T; i++) w->w[i] = (float)(z[i] / w->loss[i] / inv_c);
}

/* T softmax(x / temp) into w, stably. */
static void softmax_weights(float *out, const double *x, int T, double temp)
{
    double mx = x[0] / temp, s = 0.0;
    for (int i = 1; i < T; i++)
        if (x[i] / temp > mx) mx = x[i] / temp;
    for (int i = 0; i < T; i++) s += exp(x[i] / temp - mx);
    for (int i = 0; i < T; i++) out[i] = (float)(T * exp(x[i] / temp - mx) / s);
}

/* STCH: warm-up (sum of logs, losses averaged into the nadir z in
 * loss0), then w_i = T softmax(r / mu)_i / L_i, r_i = log(L_i / z_i). */
static void stch_weights(mt_weighting *w)
{
    int T = w->T;
    long k = w->nprep++;
    if (k < w->prm.stch_warmup) {
        for (int i = 0; i < T; i++) {
            w->loss0[i] += (w->loss[i] - w->loss0[i]) / (double)(k + 1); /* running mean */
            w->w[i] = (float)(1.0 / w->loss[i]);
        }
        return;
    }
    if (!w->have_loss0) {
        if (w->prm.stch_warmup == 0) memcpy(w->loss0, w->loss, sizeof *w->loss * (size_t)T);
        w->have_loss0 = 1;
    }
    double mu = w->prm.stch_mu, mx = -INFINITY, s = 0.0;
    for (int i = 0; i < T; i++) {
        w->z[i] = log(w->loss[i] / w->loss0[i]) / mu;
        if (w->z[i] > mx) mx = w->z[i];
    }
    for (int i = 0; i < T; i++) s += exp(w->z[i] - mx);
    for (int i = 0; i < T; i++) w->w[i] = (float)(T * exp(w->z[i] - mx) / s / w->loss[i]);
}

mt_status weighting_prepare(mt_weighting *w, const float *losses)
{
    mt_status st = check_vector("losses", losses, w->T, needs_positive_losses(w->kind), w->kind);
    if (st != MT_OK) return st;
    int T = w->T;
    if (w->kind == MT_WEIGHT_FAMO && w->famo_pending) {
        famo_step(w, w->loss, losses);
        w->famo_pending = 0;
    }
    for (int i = 0; i < T; i++) w->loss[i] = losses[i];
    switch (w->kind) {
    case MT_WEIGHT_GRADNORM:
        if (!w->have_loss0) {
            memcpy(w->loss0, w->loss, sizeof *w->loss * (size_t)T);
            w->have_loss0 = 1;
        }
        state_weights(w);
        break;
    case MT_WEIGHT_RLW:
        for (int i = 0; i < T; i++) w->z[i] = mt_rng_normal(&w->rng);
        softmax_weights(w->w, w->z, T, 1.0);
        if (w->prm.rlw_total == 1)
            for (int i = 0; i < T; i++) w->w[i] /= (float)T;
        break;
    case MT_WEIGHT_GLS: {
        double lg = 0.0;
        for (int i = 0; i < T; i++) lg += log(w->loss[i]);
        double gm = exp(lg / T);
        for (int i = 0; i < T; i++) w->w[i] = (float)(gm / (T * w->loss[i]));
        break;
    }
    case MT_WEIGHT_STCH: stch_weights(w); break;
    case MT_WEIGHT_SCALE_INV:
        for (int i = 0; i < T; i++) w->w[i] = (float)(1.0 / w->loss[i]);
        break;
    case MT_WEIGHT_FAMO: famo_weights(w); break;
    case MT_WEIGHT_DWA: break; /* changes at window ends only */
    default: state_weights(w); break;
    }
    w->prepared = 1;
    return MT_OK;
}

static mt_status gradnorm_update(mt_weighting *w, const float *grad_norms)
{
    int T = w->T;
    if (!grad_norms)
        return mt_fail(MT_ERR_ARG, "weighting gradnorm: grad_norms is NULL (gradnorm needs ||grad_W L_i|| "
                                   "at the last shared layer)");
    for (int i = 0; i < T; i++)
        if (!isfinite(grad_norms[i]) || grad_norms[i] < 0.0f)
            return mt_fail(MT_ERR_ARG, "weighting gradnorm: grad_norms[%d] is %g (must be finite and >= 0)", i,
                           (double)grad_norms[i]);
    double gbar = 0.0, lbar = 0.0;
    for (int i = 0; i < T; i++) {
        gbar += w->learned[i] * grad_norms[i];
        lbar += w->loss[i] / w->loss0[i];
    }
    gbar /= T;
    lbar /= T;
    for (int i = 0; i < T; i++) {
        double Gi = w->learned[i] * grad_norms[i];
        double r = (w->loss[i] / w->loss0[i]) / lbar;
        double target = gbar * pow(r, w->prm.gradnorm_alpha);
        double diff = Gi - target;
        w->grad[i] = (diff > 0.0 ? 1.0 : diff < 0.0 ? -1.0 : 0.0) * grad_norms[i];
    }
    opt_step(w, w->grad);
    double sum = 0.0;
    for (int i = 0; i < T; i++) {
        if (!(w->learned[i] >= w->prm.gradnorm_floor)) w->learned[i] = w->prm.gradnorm_floor;
        sum += w->learned[i];
    }
    for (int i = 0; i < T; i++) w->learned[i] *= T / sum;
    return MT_OK;
}

mt_status weighting_update(mt_weighting *w, const float *grad_norms, const float *losses_after)
{
    if (!w->prepared)
        return mt_fail(MT_ERR_STATE, "weighting %s: weighting_update called without weighting_prepare",
                       weighting_kind_name(w->kind));
    int T = w->T;
    mt_status st = MT_OK;
    switch (w->kind) {
    case MT_WEIGHT_UNCERTAINTY:
        for (int i = 0; i < T; i++) w->grad[i] = -w->c[i] * exp(-w->learned[i]) * w->loss[i] + 0.5;
        opt_step(w, w->grad);
        break;
    case MT_WEIGHT_IMTL_L:
        for (int i = 0; i < T; i++) w->grad[i] = exp(w->learned[i]) * w->loss[i] - 1.0;
        opt_step(w, w->grad);
        break;
    case MT_WEIGHT_GRADNORM: st = gradnorm_update(w, grad_norms); break;
    case MT_WEIGHT_FAMO:
        if (losses_after) {
            st = check_vector("losses_after", losses_after, T, 1, w->kind);
            if (st == MT_OK) famo_step(w, w->loss, losses_after);
        } else {
            w->famo_pending = 1;
        }
        break;
    default: break;
    }
    if (st != MT_OK) return st;
    /* learned weights stay valid until the next prepare recomputes them */
    if (w->kind == MT_WEIGHT_UNCERTAINTY || w->kind == MT_WEIGHT_IMTL_L || w->kind == MT_WEIGHT_GRADNORM)
        state_weights(w);
    w->prepared = 0;
    return MT_OK;
}

int weighting_needs_lookahead(mt_weighting_kind kind) { return kind == MT_WEIGHT_AUTO_LAMBDA; }

mt_status weighting_meta_step(mt_weighting *w, const double *grad)
{
    if (w->kind != MT_WEIGHT_AUTO_LAMBDA)
        return mt_fail(MT_ERR_STATE, "weighting %s: weighting_meta_step is auto_lambda's", weighting_kind_name(w->kind));
    for (int i = 0; i < w->T; i++)
        if (!isfinite(grad[i]))
            return mt_fail(MT_ERR_NUMERIC, "weighting auto_lambda: the hypergradient of task %d is %g", i, grad[i]);
    opt_step(w, grad);
    state_weights(w);
    return MT_OK;
}

mt_status weighting_window_end(mt_weighting *w, const float *mean_losses)
{
    mt_status st = check_vector("mean_losses", mean_losses, w->T, w->kind == MT_WEIGHT_DWA, w->kind);
    if (st != MT_OK) return st;
    if (w->kind != MT_WEIGHT_DWA) return MT_OK;
    int T = w->T;
    for (int i = 0; i < T; i++) {
        w->hist[i] = w->hist[T + i];
        w->hist[T + i] = mean_losses[i];
    }
    if (w->nwin < 2) w->nwin++;
    if (w->nwin >= 2) {
        for (int i = 0; i < T; i++) w->grad[i] = w->hist[T + i] / w->hist[i];
        softmax_weights(w->w, w->grad, T, w->prm.dwa_temp);
    }
    return MT_OK;
}
