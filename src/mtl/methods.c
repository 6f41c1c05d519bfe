/* methods.c - the registry of loss-weighting and gradient-combination
 * methods (see methods.h). The formulas are in weighting.h and combine.h. */
#include "methods.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/strutil.h"
#include "mtl/combine.h"
#include "mtl/weighting.h"

#define WD(m) MT_FIELD_DOUBLE(mt_weighting_params, m)
#define WI(m) MT_FIELD_INT(mt_weighting_params, m)
#define CD(m) MT_FIELD_DOUBLE(mt_combine_params, m)
#define CI(m) MT_FIELD_INT(mt_combine_params, m)
#define END {NULL, 0, 0, 0, 0, NULL, NULL}

/* Parameters every combiner takes, first in each combiner's list. */
#define COMBINER_COMMON                                                                                      \
    {"rep_grad", MT_TP_BOOL, 0, 0, 1, NULL,                                                                  \
     "combine the per-task gradients of the shared representation, then one backward pass through the trunk " \
     "(exact for sum and mean, an approximation for the others)",                                           \
     .field = CI(rep_grad)},

/* The optimiser of a method's learned scalars. */
#define LEARNED_OPT(what)                                                                                \
    {"lr", MT_TP_NUMBER, 0.025, 1e-9, 10, NULL, "learning rate of " what, .field = WD(lr)},              \
    {"opt", MT_TP_CHOICE, MT_WOPT_ADAM, 0, 1, "sgd|adam", "optimiser of " what " (Adam: beta 0.9, 0.999)", \
     .field = WI(opt)}

static const mt_tparam_def no_params[] = {END};
static const mt_tparam_def uncertainty_params[] = {LEARNED_OPT("the log-variances s"), END};
static const mt_tparam_def gradnorm_params[] = {
    {"alpha", MT_TP_NUMBER, 1.5, 0, 10, NULL, "asymmetry: how hard slower tasks are pushed", .field = WD(gradnorm_alpha)},
    LEARNED_OPT("the weights"),
    {"floor", MT_TP_NUMBER, 1e-3, 1e-12, 0.999, NULL, "lower clamp of a weight before the renormalisation to sum T",
     .field = WD(gradnorm_floor)},
    END};
static const mt_tparam_def dwa_params[] = {
    {"temp", MT_TP_NUMBER, 2.0, 1e-6, 1e6, NULL, "softmax temperature", .field = WD(dwa_temp)},
    {"window", MT_TP_INT, 0, 0, 1e9, NULL, "steps per window; 0 = one epoch", .field = WI(dwa_window)},
    END};
static const mt_tparam_def imtl_l_params[] = {LEARNED_OPT("the scales s"), END};
static const mt_tparam_def famo_params[] = {
    LEARNED_OPT("the logits (beta)"),
    {"gamma", MT_TP_NUMBER, 1e-3, 0, 10, NULL, "weight decay on the logits", .field = WD(famo_gamma)},
    END};

static const mt_tparam_def rlw_params[] = {
    {"total", MT_TP_CHOICE, 0, 0, 1, "tasks|one",
     "what the weights sum to: T (tasks, as Lin et al.'s paper writes it) or 1 (one, as LibMTL)", .field = WI(rlw_total)},
    END};
static const mt_tparam_def stch_params[] = {
    {"mu", MT_TP_NUMBER, 1.0, 1e-6, 1e6, NULL, "smoothing of the max (small: the worst relative loss alone)",
     .field = WD(stch_mu)},
    {"warmup", MT_TP_INT, 0, 0, 1e9, NULL, "steps of sum-of-log-losses whose mean losses become the nadir point "
     "(0: the first step's losses)", .field = WI(stch_warmup)},
    END};

static const mt_tparam_def auto_lambda_params[] = {
    {"lr", MT_TP_NUMBER, 1e-4, 1e-9, 10, NULL, "learning rate of the weights (the paper's 1e-4)", .field = WD(al_lr)},
    {"opt", MT_TP_CHOICE, MT_WOPT_ADAM, 0, 1, "sgd|adam", "optimiser of the weights (Adam: beta 0.9, 0.999)",
     .field = WI(opt)},
    END};

static const mt_tparam_def combine_none[] = {COMBINER_COMMON END};
#define MGDA_OWN                                                                                   \
    {"norm", MT_TP_CHOICE, MT_MGDA_NORM_L2, 0, 3, "none|l2|loss|loss+",                            \
     "gradient normalisation: g_i / 1, ||g_i||, L_i or L_i ||g_i||", .field = CI(mgda_norm)},      \
    {"max_iter", MT_TP_INT, 250, 1, 1e6, NULL, "Frank-Wolfe iterations before the exact active-set finish", \
     .field = CI(mgda_max_iter)},                                                                  \
    {"tol", MT_TP_NUMBER, 1e-10, 1e-16, 1e-2, NULL, "KKT violations at convergence, each relative to its own scale", \
     .field = CD(mgda_tol)},
static const mt_tparam_def mgda_params[] = {COMBINER_COMMON MGDA_OWN END};
/* MGDA-UB is MGDA at the representation, always (the trainer reads its
 * kind): rep_grad is not its to choose */
static const mt_tparam_def mgda_ub_params[] = {MGDA_OWN END};
static const mt_tparam_def graddrop_params[] = {
    COMBINER_COMMON
    {"leak", MT_TP_NUMBER, 0, 0, 1, NULL, "fraction of every gradient kept whatever its sign", .field = CD(graddrop_leak)},
    END};
/* graddrop_rep is always on the representation: rep_grad is not its to choose */
static const mt_tparam_def graddrop_rep_params[] = {
    {"leak", MT_TP_NUMBER, 0, 0, 1, NULL, "fraction of every gradient kept whatever its sign", .field = CD(graddrop_leak)},
    END};
static const mt_tparam_def gradvac_params[] = {
    COMBINER_COMMON
    {"beta", MT_TP_NUMBER, 0.5, 0, 1, NULL, "EMA rate of the target cosines (0: targets stay 0)", .field = CD(gradvac_beta)},
    END};
static const mt_tparam_def cagrad_params[] = {
    COMBINER_COMMON
    {"c", MT_TP_NUMBER, 0.5, 0, 100, NULL, "radius of the ball around the mean gradient, relative to its norm",
     .field = CD(cagrad_c)},
    {"rescale", MT_TP_INT, 1, 0, 2, NULL, "divide d by 1 (0), 1 + c^2 (1) or 1 + c (2)", .field = CI(cagrad_rescale)},
    END};
static const mt_tparam_def nash_params[] = {
    COMBINER_COMMON
    {"max_iter", MT_TP_INT, 100, 1, 1e6, NULL, "Newton steps", .field = CI(nash_max_iter)},
    {"tol", MT_TP_NUMBER, 1e-9, 1e-15, 1, NULL, "max_i |alpha_i (M alpha)_i - 1| at convergence", .field = CD(nash_tol)},
    {"update_weights_every", MT_TP_INT, 1, 1, 1e6, NULL,
     "solve for alpha every k-th step and reuse it in between (the authors' option)", .field = CI(nash_update_every)},
    {"max_norm", MT_TP_NUMBER, 0, 0, 1e12, NULL,
     "> 0: clip the norm of the combined shared gradient to this (the authors use 1); 0 = off",
     .field = CD(nash_max_norm)},
    {"warm_start", MT_TP_BOOL, 0, 0, 1, NULL, "start Newton from the last alpha (same solution, fewer steps)",
     .field = CI(nash_warm_start)},
    END};
static const mt_tparam_def fairgrad_params[] = {
    COMBINER_COMMON
    {"alpha", MT_TP_NUMBER, 1.0, 0.01, 100, NULL, "alpha-fairness: (M a)_i = a_i^(-1/alpha); 1 is Nash-MTL",
     .field = CD(fairgrad_alpha)},
    {"max_iter", MT_TP_INT, 100, 1, 1e6, NULL, "Newton steps", .field = CI(nash_max_iter)},
    {"tol", MT_TP_NUMBER, 1e-9, 1e-15, 1, NULL, "max_i |a_i^(1/alpha) (M a)_i - 1| at convergence",
     .field = CD(nash_tol)},
    END};
static const mt_tparam_def sdmgrad_params[] = {
    COMBINER_COMMON
    {"lambda", MT_TP_NUMBER, 0.3, 0, 1e6, NULL, "pull toward the mean gradient (0: MGDA without normalisation)",
     .field = CD(sdmgrad_lambda)},
    {"max_iter", MT_TP_INT, 250, 1, 1e6, NULL, "Frank-Wolfe iterations before the exact active-set finish",
     .field = CI(mgda_max_iter)},
    END};
static const mt_tparam_def krum_params[] = {
    COMBINER_COMMON
    {"f", MT_TP_INT, 0, 0, 253, NULL, "gradients assumed faulty (needs T >= f + 3)", .field = CI(krum_f)},
    {"m", MT_TP_INT, 1, 1, 256, NULL, "gradients of lowest score averaged (m <= T)", .field = CI(krum_m)},
    END};
static const mt_tparam_def trimmed_params[] = {
    COMBINER_COMMON
    {"trim", MT_TP_INT, 1, 0, 127, NULL, "values dropped at each end of every coordinate (needs T > 2 trim)",
     .field = CI(trim)},
    END};
static const mt_tparam_def upgrad_params[] = {
    COMBINER_COMMON
    {"reg", MT_TP_NUMBER, 0, 0, 1, NULL,
     "added to the trace-normalised Gram (torchjd's); > 0 lets d . g_j go slightly negative", .field = CD(upgrad_reg)},
    END};
static const mt_tparam_def moco_params[] = {
    {"beta", MT_TP_NUMBER, 0.5, 0, 1, NULL, "tracking rate of the gradients (beta / t^beta_sigma)",
     .field = CD(moco_beta)},
    {"beta_sigma", MT_TP_NUMBER, 0.5, 0, 10, NULL, "decay exponent of the tracking rate", .field = CD(moco_beta_sigma)},
    {"gamma", MT_TP_NUMBER, 0.1, 0, 1e6, NULL, "step of the weights (gamma / t^gamma_sigma)", .field = CD(moco_gamma)},
    {"gamma_sigma", MT_TP_NUMBER, 0.5, 0, 10, NULL, "decay exponent of the weight step", .field = CD(moco_gamma_sigma)},
    {"rho", MT_TP_NUMBER, 0, 0, 1e6, NULL, "ridge added to Y Y^T", .field = CD(moco_rho)},
    END};
static const mt_tparam_def db_mtl_params[] = {
    {"beta", MT_TP_NUMBER, 0.9, 0, 1, NULL, "buffer rate of the log-loss gradients (beta / t^beta_sigma)",
     .field = CD(db_beta)},
    {"beta_sigma", MT_TP_NUMBER, 0, 0, 10, NULL, "decay exponent of the buffer rate", .field = CD(db_beta_sigma)},
    END};
static const mt_tparam_def excess_params[] = {
    {"step", MT_TP_NUMBER, 1e-2, 0, 100, NULL, "robust step size of the multiplicative weights",
     .field = CD(excess_step)},
    END};

#define W(name, kind, summary, params) {name, MT_METHOD_WEIGHTING, kind, summary, params}
#define C(name, kind, summary, params) {name, MT_METHOD_COMBINER, kind, summary, params}

static const mt_method_info methods[] = {
    W("equal", MT_WEIGHT_EQUAL, "every task weight 1", no_params),
    W("static", MT_WEIGHT_STATIC, "each task's `weight` field, changeable while running", no_params),
    W("uncertainty", MT_WEIGHT_UNCERTAINTY,
      "Kendall et al. 2018: learned s = log sigma^2, total sum c e^-s L + s/2 (c = 1/2 regression, 1 classification)",
      uncertainty_params),
    W("gradnorm", MT_WEIGHT_GRADNORM,
      "Chen et al. 2018: balance gradient norms at the last shared layer; weights sum to T", gradnorm_params),
    W("dwa", MT_WEIGHT_DWA, "Liu et al. 2019: softmax of the loss ratios of the last two windows", dwa_params),
    W("rlw", MT_WEIGHT_RLW, "Lin et al. 2021: random softmax weights every step", rlw_params),
    W("scale_inv", MT_WEIGHT_SCALE_INV, "sum of log losses: weights 1 / L", no_params),
    W("imtl_l", MT_WEIGHT_IMTL_L, "Liu et al. 2021: learned loss scales e^s, total sum e^s L - s", imtl_l_params),
    W("famo", MT_WEIGHT_FAMO, "Liu et al. 2023: fast adaptive multitask optimisation (weights sum to 1)", famo_params),
    W("gls", MT_WEIGHT_GLS, "Chennupati et al. 2019: geometric mean of the losses, (prod L_i)^(1/T)", no_params),
    W("auto_lambda", MT_WEIGHT_AUTO_LAMBDA,
      "Liu et al. 2022: weights learned by the primary tasks' validation loss after a virtual step (needs a "
      "validation split)",
      auto_lambda_params),
    W("stch", MT_WEIGHT_STCH, "Lin et al. 2024: smooth Tchebycheff, T mu log sum exp(log(L_i / nadir_i) / mu)",
      stch_params),
    C("sum", MT_COMBINE_SUM, "sum of the task gradients", combine_none),
    C("mean", MT_COMBINE_MEAN, "mean of the task gradients", combine_none),
    C("aux_gate", MT_COMBINE_AUX_GATE,
      "Du et al. 2018: the main tasks' gradients, plus each auxiliary one while its cosine with theirs is positive",
      combine_none),
    C("mgda", MT_COMBINE_MGDA, "Sener & Koltun 2018: min-norm point of the convex hull (Frank-Wolfe)", mgda_params),
    C("mgda_ub", MT_COMBINE_MGDA_UB, "Sener & Koltun 2018's MGDA-UB: mgda { rep_grad = true }", mgda_ub_params),
    C("pcgrad", MT_COMBINE_PCGRAD, "Yu et al. 2020: project conflicting components away", combine_none),
    C("graddrop", MT_COMBINE_GRADDROP,
      "Chen et al. 2020 on parameter gradients: drop gradient signs by their purity, per parameter", graddrop_params),
    C("graddrop_rep", MT_COMBINE_GRADDROP_REP,
      "Chen et al. 2020 as the paper and LibMTL: per unit of the shared representation, batch-summed, input-sign "
      "corrected",
      graddrop_rep_params),
    C("gradvac", MT_COMBINE_GRADVAC, "Wang et al. 2021: steer cosines toward their running targets", gradvac_params),
    C("cagrad", MT_COMBINE_CAGRAD, "Liu et al. 2021: conflict-averse direction near the mean gradient", cagrad_params),
    C("imtl_g", MT_COMBINE_IMTL_G, "Liu et al. 2021: equal projections on every task gradient", combine_none),
    C("nash_mtl", MT_COMBINE_NASH_MTL, "Navon et al. 2022: Nash bargaining, alpha_i (M alpha)_i = 1", nash_params),
    C("aligned_mtl", MT_COMBINE_ALIGNED_MTL, "Senushkin et al. 2023: align the gradient matrix to condition number 1",
      combine_none),
    C("upgrad", MT_COMBINE_UPGRAD, "Quinton & Rey 2024: project onto the dual cone of the gradients, average",
      upgrad_params),
    C("dualproj", MT_COMBINE_DUALPROJ, "torchjd: the mean gradient projected onto the dual cone of the gradients",
      combine_none),
    C("config", MT_COMBINE_CONFIG,
      "Liu et al. 2024 (ConFIG): the direction with equal cosines to every gradient, scaled by their projections",
      combine_none),
    C("fairgrad", MT_COMBINE_FAIRGRAD, "Ban & Ji 2024: alpha-fair weights, (M a)_i = a_i^(-1/alpha)", fairgrad_params),
    C("sdmgrad", MT_COMBINE_SDMGRAD,
      "Xiao et al. 2023: min-norm point of the hull of g_i + lambda g0, averaged with lambda g0", sdmgrad_params),
    C("krum", MT_COMBINE_KRUM, "Blanchard et al. 2017 (torchjd): mean of the m gradients closest to their neighbours",
      krum_params),
    C("trimmed_mean", MT_COMBINE_TRIMMED_MEAN,
      "Yin et al. 2018 (torchjd): per coordinate, mean after dropping the trim largest and smallest", trimmed_params),
    C("moco", MT_COMBINE_MOCO, "Fernando et al. 2023: tracked gradients, weights by a projected step on Y Y^T",
      moco_params),
    C("db_mtl", MT_COMBINE_DB_MTL, "Lin et al. 2023: buffered log-loss gradients, each scaled to the largest norm",
      db_mtl_params),
    C("excess_mtl", MT_COMBINE_EXCESS_MTL,
      "He et al. 2024: multiplicative weights from AdaGrad-scaled excess-risk estimates", excess_params),
};

#define NMETHODS ((int)(sizeof methods / sizeof methods[0]))

/* Other names a method answers to: LibMTL's (the class names of its
 * LibMTL/weighting folder), so a script or a command line written with
 * them works, and the docs tables list them. Matched
 * like the names: case-insensitive, '-' as '_'. */
static const struct {
    const char *alias, *name;
} method_alias_table[] = {
    {"EW", "equal"},          {"UW", "uncertainty"},  {"GradNorm", "gradnorm"},       {"DWA", "dwa"},
    {"RLW", "rlw"},           {"FAMO", "famo"},       {"GLS", "gls"},                 {"STCH", "stch"},
    {"MGDA", "mgda"},         {"PCGrad", "pcgrad"},   {"GradVac", "gradvac"},         {"CAGrad", "cagrad"},
    {"Nash_MTL", "nash_mtl"}, {"Aligned_MTL", "aligned_mtl"}, {"UPGrad", "upgrad"},    {"FairGrad", "fairgrad"},
    {"SDMGrad", "sdmgrad"},   {"MoCo", "moco"},       {"DB_MTL", "db_mtl"},           {"ExcessMTL", "excess_mtl"},
    /* LibMTL's GradDrop is graddrop_rep (on the representation); the name
     * "GradDrop" itself reaches graddrop, whose name it is in any case */
};
#define NALIASES ((int)(sizeof method_alias_table / sizeof method_alias_table[0]))

int method_count(void) { return NMETHODS; }

const mt_method_info *method_at(int i) { return i >= 0 && i < NMETHODS ? &methods[i] : NULL; }

static const mt_method_info *find_exact(const char *name)
{
    for (int i = 0; name && i < NMETHODS; i++)
        if (strcmp(methods[i].name, name) == 0) return &methods[i];
    return NULL;
}

const mt_method_info *method_find(const char *name)
{
    const mt_method_info *m = find_exact(name);
    for (int i = 0; !m && name && i < NMETHODS; i++)
        if (mt_name_eq(methods[i].name, name)) m = &methods[i];
    for (int i = 0; !m && name && i < NALIASES; i++)
        if (mt_name_eq(method_alias_table[i].alias, name)) m = find_exact(method_alias_table[i].name);
    return m;
}

void method_aliases(const mt_method_info *m, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    for (int i = 0; i < NALIASES && w + 1 < n; i++) {
        if (strcmp(method_alias_table[i].name, m->name) != 0) continue;
        int r = snprintf(buf + w, n - w, "%s%s", w ? ", " : "", method_alias_table[i].alias);
        if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
    }
}

const mt_method_info *method_of_kind(mt_method_family f, int kind)
{
    for (int i = 0; i < NMETHODS; i++)
        if (methods[i].family == f && methods[i].kind == kind) return &methods[i];
    return NULL;
}

const char *method_family_name(mt_method_family f) { return f == MT_METHOD_WEIGHTING ? "weighting" : "combiner"; }

void method_list(int family, int with_or, char *buf, size_t n)
{
    int total = 0, k = 0;
    for (int i = 0; i < NMETHODS; i++) total += family < 0 || (int)methods[i].family == family;
    size_t w = 0;
    buf[0] = '\0';
    for (int i = 0; i < NMETHODS && w + 1 < n; i++) {
        if (family >= 0 && (int)methods[i].family != family) continue;
        const char *sep = k == 0 ? "" : with_or && k + 1 == total ? " or " : ", ";
        int r = snprintf(buf + w, n - w, "%s%s", sep, methods[i].name);
        if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
        k++;
    }
}

const char *method_closest(const char *name)
{
    const char *names[NMETHODS + 1];
    for (int i = 0; i < NMETHODS; i++) names[i] = methods[i].name;
    names[NMETHODS] = NULL;
    return mt_closest(name, names, 2);
}

mt_status method_lookup(const char *name, const mt_method_info **out)
{
    *out = method_find(name);
    if (*out) return MT_OK;
    const char *close = name ? method_closest(name) : NULL;
    if (close) return mt_fail(MT_ERR_ARG, "unknown method \"%s\" (did you mean %s?)", name ? name : "", close);
    char list[1024];
    method_list(-1, 0, list, sizeof list);
    return mt_fail(MT_ERR_ARG, "unknown method \"%s\" (available: %s)", name ? name : "", list);
}

void method_fill(const mt_method_info *m, const mt_tparams *given, void *prm) { tparam_fill(m->params, given, prm); }

void method_family_defaults(mt_method_family f, void *prm)
{
    for (int i = 0; i < NMETHODS; i++)
        if (methods[i].family == f) tparam_fill(methods[i].params, NULL, prm);
}

mt_status method_check_struct(mt_method_family f, int kind, const void *prm)
{
    const mt_method_info *own = method_of_kind(f, kind);
    if (own) {
        mt_status st = tparam_check_struct(own->params, prm, "");
        if (st) return st;
    }
    for (int i = 0; i < NMETHODS; i++) {
        if (methods[i].family != f || &methods[i] == own) continue;
        char prefix[48];
        snprintf(prefix, sizeof prefix, "%s.", methods[i].name);
        mt_status st = tparam_check_struct(methods[i].params, prm, prefix);
        if (st) return st;
    }
    return MT_OK;
}

/* ---- the docs tables ---------------------------------------------------- */

size_t method_markdown(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    static const char *const heads[] = {"Loss weighting (one backward pass of the weighted sum)",
                                        "Gradient combination (one backward pass per task on the shared parameters)"};
    for (int f = 0; f < 2; f++) {
        tparam_md_printf(&o, "%s**%s**\n\n| method | parameters (defaults) | what it does |\n| --- | --- | --- |\n",
                         f ? "\n" : "", heads[f]);
        for (int i = 0; i < NMETHODS; i++) {
            const mt_method_info *m = &methods[i];
            if ((int)m->family != f) continue;
            char al[128];
            method_aliases(m, al, sizeof al);
            tparam_md_printf(&o, "| `%s`%s%s%s | ", m->name, al[0] ? " (" : "", al, al[0] ? ")" : "");
            tparam_md_defaults(&o, m->params);
            tparam_md_printf(&o, " | ");
            tparam_md_text(&o, m->summary);
            tparam_md_printf(&o, " |\n");
        }
    }
    tparam_md_printf(&o, "\n**Parameters**\n\n| method | parameter | default | allowed | meaning |\n"
                         "| --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < NMETHODS; i++) {
        const mt_method_info *m = &methods[i];
        /* methods sharing one list (mgda, mgda_ub) are one block of rows */
        if (i > 0 && methods[i - 1].params == m->params && m->params[0].key) continue;
        char owner[80];
        if (i + 1 < NMETHODS && methods[i + 1].params == m->params)
            snprintf(owner, sizeof owner, "`%s`, `%s`", m->name, methods[i + 1].name);
        else
            snprintf(owner, sizeof owner, "`%s`", m->name);
        tparam_md_rows(&o, owner, m->params);
    }
    return o.w;
}
