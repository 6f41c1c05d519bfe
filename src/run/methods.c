#include "methods.h"

#include <stdio.h>
#include <string.h>
#include "core/strutil.h"

static const mt_method_param no_params[] = {{NULL, 0, 0, 0, NULL}};
static const mt_method_param lr_params[] = {
    {"lr", 0.025, 1e-9, 10, "learning rate of the learned scalars (Adam)"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param gradnorm_params[] = {
    {"alpha", 1.5, 0, 10, "asymmetry: how hard slower tasks are pushed"},
    {"lr", 0.025, 1e-9, 10, "learning rate of the weights (Adam)"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param dwa_params[] = {
    {"temp", 2.0, 1e-6, 1e6, "softmax temperature"},
    {"window", 0, 0, 1e9, "steps per window; 0 = one epoch"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param famo_params[] = {
    {"lr", 0.025, 1e-9, 10, "learning rate beta of the logits"},
    {"gamma", 1e-3, 0, 10, "weight decay on the logits"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param mgda_params[] = {
    {"norm", 1, 0, 3, "gradient normalisation: none, l2, loss, loss+"},
    {"max_iter", 1000, 1, 1e6, "Frank-Wolfe iterations"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param graddrop_params[] = {
    {"leak", 0, 0, 1, "fraction of the dropped sign kept"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param gradvac_params[] = {
    {"beta", 0.5, 0, 1, "EMA rate of the target cosines"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param cagrad_params[] = {
    {"c", 0.5, 0, 100, "radius of the ball around the average gradient"},
    {"rescale", 1, 0, 2, "0: none, 1: divide by 1 + c^2, 2: divide by 1 + c"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param nash_params[] = {
    {"max_iter", 100, 1, 1e6, "Newton steps"},
    {"tol", 1e-9, 1e-15, 1, "max |alpha_i (M alpha)_i - 1| at convergence"}, {NULL, 0, 0, 0, NULL}};
static const mt_method_param upgrad_params[] = {
    {"reg", 0, 0, 1, "regularisation of the normalised Gram matrix"}, {NULL, 0, 0, 0, NULL}};

static const mt_method_info methods[] = {
    {"equal", MT_METHOD_WEIGHTING, "every task weight 1", no_params},
    {"static", MT_METHOD_WEIGHTING, "the tasks' own weight fields, changeable while running", no_params},
    {"uncertainty", MT_METHOD_WEIGHTING, "Kendall et al. 2018: learned homoscedastic sigma per task", lr_params},
    {"gradnorm", MT_METHOD_WEIGHTING, "Chen et al. 2018: balance gradient norms at the last shared layer", gradnorm_params},
    {"dwa", MT_METHOD_WEIGHTING, "Liu et al. 2019: dynamic weight average of loss ratios", dwa_params},
    {"rlw", MT_METHOD_WEIGHTING, "Lin et al. 2021: random softmax weights every step", no_params},
    {"scale_inv", MT_METHOD_WEIGHTING, "sum of log losses: w_i = 1 / L_i", no_params},
    {"imtl_l", MT_METHOD_WEIGHTING, "Liu et al. 2021: learned loss scales e^s_i", lr_params},
    {"famo", MT_METHOD_WEIGHTING, "Liu et al. 2023: fast adaptive multitask optimisation", famo_params},
    {"sum", MT_METHOD_COMBINER, "sum of the task gradients", no_params},
    {"mean", MT_METHOD_COMBINER, "mean of the task gradients", no_params},
    {"mgda", MT_METHOD_COMBINER, "Sener & Koltun 2018: min-norm point of the convex hull", mgda_params},
    {"mgda_ub", MT_METHOD_COMBINER, "MGDA on the shared representation's gradients (one backward)", mgda_params},
    {"pcgrad", MT_METHOD_COMBINER, "Yu et al. 2020: project away conflicting components", no_params},
    {"graddrop", MT_METHOD_COMBINER, "Chen et al. 2020: drop gradient signs by their purity", graddrop_params},
    {"gradvac", MT_METHOD_COMBINER, "Wang et al. 2021: steer cosines toward their running targets", gradvac_params},
    {"cagrad", MT_METHOD_COMBINER, "Liu et al. 2021: conflict-averse direction near the average", cagrad_params},
    {"imtl_g", MT_METHOD_COMBINER, "Liu et al. 2021: equal projections on every task gradient", no_params},
    {"nash_mtl", MT_METHOD_COMBINER, "Navon et al. 2022: Nash bargaining, alpha_i (M alpha)_i = 1", nash_params},
    {"aligned_mtl", MT_METHOD_COMBINER, "Senushkin et al. 2023: align the gradient matrix (condition 1)", no_params},
    {"upgrad", MT_METHOD_COMBINER, "Quinton & Rey 2024: project onto the dual cone, average", upgrad_params},
};

#define NMETHODS ((int)(sizeof methods / sizeof methods[0]))

int method_count(void) { return NMETHODS; }
const mt_method_info *method_at(int i) { return i >= 0 && i < NMETHODS ? &methods[i] : NULL; }

const mt_method_info *method_info(const char *name)
{
    for (int i = 0; i < NMETHODS; i++)
        if (strcmp(methods[i].name, name) == 0) return &methods[i];
    return NULL;
}

int method_known(const char *name) { return method_info(name) != NULL; }

const char *method_names(void)
{
    static char buf[1024];
    buf[0] = '\0';
    for (int i = 0; i < NMETHODS; i++) {
        strncat(buf, methods[i].name, sizeof buf - strlen(buf) - 3);
        if (i + 1 < NMETHODS) strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

const char *method_closest(const char *name)
{
    const char *names[NMETHODS + 1];
    for (int i = 0; i < NMETHODS; i++) names[i] = methods[i].name;
    names[NMETHODS] = NULL;
    return mt_closest(name, names, 2);
}

const char *method_check_param(const char *method, const char *key, double value)
{
    static char why[256];
    const mt_method_info *m = method_info(method);
    if (!m) return NULL; /* the name itself is reported */
    for (const mt_method_param *p = m->params; p->key; p++) {
        if (strcmp(p->key, key) != 0) continue;
        if (value < p->lo || value > p->hi) {
            snprintf(why, sizeof why, "expected a number in [%g, %g], got %g", p->lo, p->hi, value);
            return why;
        }
        return NULL;
    }
    char list[512] = "";
    for (const mt_method_param *p = m->params; p->key; p++) {
        strncat(list, p->key, sizeof list - strlen(list) - 3);
        if (p[1].key) strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    snprintf(why, sizeof why, "%s has no parameter '%s'%s%s", method, key,
             list[0] ? " (it takes: " : " (it takes none)", list[0] ? list : "");
    if (list[0]) strncat(why, ")", sizeof why - strlen(why) - 1);
    return why;
}

int method_param_enum(const char *method, const char *key, const char *value, double *out)
{
    static const char *const norms[] = {"none", "l2", "loss", "loss+"};
    if ((strcmp(method, "mgda") == 0 || strcmp(method, "mgda_ub") == 0) && strcmp(key, "norm") == 0)
        for (int i = 0; i < 4; i++)
            if (strcmp(value, norms[i]) == 0) {
                *out = i;
                return 1;
            }
    return 0;
}
