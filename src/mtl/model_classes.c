/* model_classes.c - the three non-graph models as registry classes: their
 * parameters, how a step drives the numerics, what they publish and how
 * their learned values map onto the float view (model.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "model.h"
#include "model_gp.h"
#include "model_hb.h"
#include "model_krr.h"

/* ---- shared helpers ------------------------------------------------------ */

/* Labels as the publish callback takes them. */
#define LABEL_MAX 64 /* a matrix side the recorder keeps, and a label's bytes */

typedef struct {
    char text[LABEL_MAX][LABEL_MAX];
    const char *ptr[LABEL_MAX];
} labels;

static const char *const *label_list(labels *l, int n)
{
    for (int i = 0; i < n && i < LABEL_MAX; i++) l->ptr[i] = l->text[i];
    return l->ptr;
}

static void feature_labels(const mt_model *m, int d, int bias, labels *l)
{
    for (int j = 0; j < d && j < LABEL_MAX; j++) model_feature_label(m, j, bias, l->text[j], sizeof l->text[j]);
}

/* C (T, T) normalised to unit diagonal (a zero diagonal gives 0). */
static void correlation(const double *C, int T, double *R)
{
    for (int s = 0; s < T; s++)
        for (int t = 0; t < T; t++) {
            double q = C[s * T + s] * C[t * T + t];
            R[s * T + t] = q > 0 ? C[s * T + t] / sqrt(q) : 0;
        }
}

static int add_param(mt_model *m, const char *name, int ndim, const int *shape, int group)
{
    return params_add(&m->arena, name, ndim, shape, group, 0);
}

/* A model that learns without Adam saves empty moments. */
static void no_moments(const mt_model *m, float *am, float *av, long *adam_t)
{
    if (!am) return;
    memset(am, 0, m->arena.total * sizeof *am);
    memset(av, 0, m->arena.total * sizeof *av);
    *adam_t = 0;
}

static mt_status alloc_arena(mt_model *m)
{
    mt_status st = params_alloc(&m->arena);
    return st ? st : MT_OK;
}

static size_t describe_common(const mt_topo_spec *s, const char *what, char *buf, size_t n, size_t w)
{
    const mt_topo_class *c = topo_find(s->type);
    char prm[512];
    tparam_format(&s->params, c ? c->params : NULL, prm, sizeof prm);
    w = topo_appendf(buf, n, w, "%s: %s\n  %s\n", s->type, what, prm);
    w = topo_appendf(buf, n, w, "  tasks:");
    for (int t = 0; t < s->ntasks; t++) w = topo_appendf(buf, n, w, " %s", s->task[t].name);
    return topo_appendf(buf, n, w, "\n");
}

/* ---- the multi-task GP ------------------------------------------------------ */

typedef struct {
    mt_gp *g;
    mk_adam adam;
} gp_impl;

static const mt_tparam_def gp_params[] = {
    {"kernel", MT_TP_CHOICE, MK_RBF, 0, 2, MK_KINDS, "the covariance on inputs: rbf, matern32 or linear"},
    {"rank", MT_TP_INT, 1, 0, MT_MAX_TASKS, NULL,
     "columns of L in B = L L^T + diag(kappa), at most the number of tasks (0: B diagonal, independent tasks "
     "sharing the kernel)"},
    {"lengthscale", MT_TP_NUMBER, 0, 0, 1e9, NULL, "the starting length-scale (0: the median distance between training inputs)"},
    {"noise", MT_TP_NUMBER, 0.1, 1e-5, 10, NULL, "the starting noise variance, a fraction of each task's variance"},
    {"learn_B", MT_TP_BOOL, 1, 0, 1, NULL, "learn B; false holds it at its start (I when rank = 0: independent GPs)"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static mt_status gp_validate(const mt_topo_spec *s)
{
    int rank = (int)tparam_num(&s->params, gp_params, "rank");
    if (rank > s->ntasks)
        return mt_fail(MT_ERR_ARG, "topology.rank: %d, but there are %d tasks (B is T x T)", rank, s->ntasks);
    return MT_OK;
}

static void gp_free_impl(void *p)
{
    gp_impl *g = p;
    gp_free(g->g);
    mk_adam_free(&g->adam);
    mt_free(g);
}

static mt_status gp_create(mt_model *m)
{
    const mt_tparams *p = &m->params;
    gp_config c = {.T = m->T,
                   .rank = (int)tparam_num(p, gp_params, "rank"),
                   .kernel = (mk_kind)(int)tparam_num(p, gp_params, "kernel"),
                   .fixed = tparam_num(p, gp_params, "learn_B") != 0 ? 0 : GP_FIX_B,
                   .ls0 = tparam_num(p, gp_params, "lengthscale"),
                   .noise0 = tparam_num(p, gp_params, "noise")};
    gp_impl *g = mt_calloc(1, sizeof *g);
    if (!g) return MT_ERR_NOMEM;
    m->impl = g;
    mt_status st = gp_new(&c, m->X, m->y, m->task, m->n, m->d, m->seed, &g->g);
    if (!st) st = mk_adam_init(&g->adam, gp_ntheta(g->g));
    if (st) return st;
    /* the float view in theta's order (model_gp.h) */
    int two = 2, TR[2] = {m->T, c.rank}, T1 = m->T;
    add_param(m, "gp.kernel", 1, &two, 0);
    if (c.rank > 0) add_param(m, "gp.L", 2, TR, 0);
    add_param(m, "gp.log_kappa", 1, &T1, 0);
    for (int t = 0; t < m->T; t++) {
        char nm[MT_PARAM_NAME];
        snprintf(nm, sizeof nm, "gp.task.%s", m->task_name[t]); /* log noise excess, mean */
        add_param(m, nm, 1, &two, 1 + t);
    }
    return alloc_arena(m);
}

static mt_status gp_model_step(mt_model *m, const mk_adam_cfg *c, double *loo, double *objective)
{
    gp_impl *g = m->impl;
    mt_status st = gp_lml(g->g, objective, NULL);
    if (!st) st = gp_loo_residuals(g->g, loo);
    if (!st) st = gp_step(g->g, &g->adam, c, NULL);
    return st;
}

static mt_status gp_model_predict(mt_model *m, int t, const double *X, int n, double *mean, double *var)
{
    return gp_predict(((gp_impl *)m->impl)->g, t, X, n, mean, var);
}

static void gp_noise_sd(mt_model *m, double *sd)
{
    for (int t = 0; t < m->T; t++) sd[t] = sqrt(gp_noise_var(((gp_impl *)m->impl)->g, t));
}

static void gp_publish(mt_model *m, mt_publish_fn fn, void *ud)
{
    mt_gp *g = ((gp_impl *)m->impl)->g;
    int T = m->T;
    double C[MT_MAX_TASKS * MT_MAX_TASKS], R[MT_MAX_TASKS * MT_MAX_TASKS], v[MT_MAX_TASKS], lml;
    gp_task_cov(g, C);
    correlation(C, T, R);
    fn(ud, "task correlation", T, T, R, NULL, NULL, -1, 1);
    fn(ud, "task covariance", T, T, C, NULL, NULL, 0, 0);
    mk_kernel k = gp_kernel(g);
    double kv[3] = {k.var, k.ls, gp_jitter(g)};
    static const char *const krow[] = {"kernel"}, *const kcol[] = {"variance", "lengthscale", "jitter"};
    fn(ud, "kernel", 1, 3, kv, krow, kcol, 0, 0);
    gp_noise_sd(m, v);
    static const char *const nrow[] = {"noise sd"};
    fn(ud, "noise sd", 1, T, v, nrow, NULL, 0, 0);
    if (gp_lml(g, &lml, NULL) == MT_OK) {
        static const char *const lrow[] = {"log marginal likelihood"};
        fn(ud, "log marginal likelihood", 1, 1, &lml, lrow, lrow, 0, 0);
    }
}

static void gp_save(mt_model *m, float *am, float *av, long *adam_t)
{
    gp_impl *g = m->impl;
    model_view_store(m, gp_theta(g->g), m->arena.data); /* theta is in registration order */
    if (am) {
        model_view_store(m, g->adam.m, am);
        model_view_store(m, g->adam.v, av);
        *adam_t = g->adam.t;
    }
}

static mt_status gp_load(mt_model *m, const float *am, const float *av, long adam_t)
{
    gp_impl *g = m->impl;
    model_view_load(m, m->arena.data, gp_theta(g->g));
    if (am) {
        model_view_load(m, am, g->adam.m);
        model_view_load(m, av, g->adam.v);
        g->adam.t = adam_t;
    }
    return gp_lml(g->g, NULL, NULL);
}

static size_t gp_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    (void)in_dim;
    size_t w = describe_common(s, "multi-task GP, intrinsic coregionalisation (Bonilla, Chai & Williams 2008)", buf, n, 0);
    w = topo_appendf(buf, n, w, "  K((x,s),(x',t)) = k(x,x') B[s,t],  B = L L^T + diag(kappa)\n");
    return topo_appendf(buf, n, w, "  one step: Adam on the exact log marginal likelihood of every training pair\n");
}

/* One task: B is 1 x 1, so a rank above 1 adds nothing. */
static void gp_single_task(mt_tparams *p, int t, int T)
{
    (void)t, (void)T;
    if (tparam_num(p, gp_params, "rank") > 1) tparam_set_num(p, "rank", MT_TP_INT, 1);
}

static const mt_model_class model_gp = {
    .iterative = 1,
    .fits = "its exact log marginal likelihood (Adam on the kernel, B and the noise)",
    .uses_adam = 1,
    .create = gp_create,
    .step = gp_model_step,
    .predict = gp_model_predict,
    .noise_sd = gp_noise_sd,
    .publish = gp_publish,
    .save = gp_save,
    .load = gp_load,
    .free_impl = gp_free_impl,
    .single_task = gp_single_task,
};

const mt_topo_class topo_class_gp = {
    .name = "gp",
    .summary = "multi-task Gaussian process (ICM): B = L L^T + diag(kappa) and the kernel learned by the marginal likelihood (survey 5)",
    .params = gp_params,
    .validate = gp_validate,
    .describe = gp_describe,
    .hooks = {.publish = model_hook_publish, .free = model_hook_free},
    .model = &model_gp,
};

/* ---- multi-task kernel ridge ------------------------------------------------ */

static const mt_tparam_def krr_params[] = {
    {"kernel", MT_TP_CHOICE, MK_RBF, 0, 2, MK_KINDS, "the kernel on inputs: rbf, matern32 or linear"},
    {"lengthscale", MT_TP_NUMBER, 1, 1e-9, 1e9, NULL, "the kernel's length-scale"},
    {"variance", MT_TP_NUMBER, 1, 1e-9, 1e9, NULL, "the kernel's variance"},
    {"ridge", MT_TP_NUMBER, 0.1, 1e-12, 1e9, NULL, "the regularisation weight of the RKHS norm"},
    {"lambda", MT_TP_NUMBER, 0.5, 0, 1, NULL,
     "the mean-regularised task matrix B = (1 - lambda) I + lambda/T 11^T: 0 independent tasks, 1 one pooled task"},
    {"B", MT_TP_STRING, 0, 0, 0, NULL,
     "a task matrix of your own instead, rows separated by ';' (\"1 .8; .8 1\"): symmetric positive semi-definite"},
    {"center", MT_TP_BOOL, 1, 0, 1, NULL, "subtract each task's training mean first"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* "1 .8; .8 1" into B (T, T); the message names what is wrong. */
static mt_status parse_B(const char *text, int T, double *B)
{
    const char *p = text;
    for (int r = 0; r < T; r++) {
        int c = 0;
        for (;;) {
            while (*p == ' ' || *p == ',' || *p == '\t') p++;
            if (!*p || *p == ';' || *p == '|') break;
            char *end;
            double v = strtod(p, &end);
            if (end == p) return mt_fail(MT_ERR_ARG, "topology.B: \"%s\" is not a number (row %d)", p, r + 1);
            if (c >= T) return mt_fail(MT_ERR_ARG, "topology.B: row %d has more than %d entries (one per task)", r + 1, T);
            B[r * T + c++] = v;
            p = end;
        }
        if (c != T) return mt_fail(MT_ERR_ARG, "topology.B: row %d has %d entries, expected %d (one per task)", r + 1, c, T);
        if (*p) p++;
        if (r + 1 < T && !*p) return mt_fail(MT_ERR_ARG, "topology.B: %d rows, expected %d (one per task)", r + 1, T);
    }
    while (*p && isspace((unsigned char)*p)) p++;
    if (*p) return mt_fail(MT_ERR_ARG, "topology.B: more than %d rows", T);
    return MT_OK;
}

/* The task matrix the parameters give. */
static mt_status krr_task_matrix(const mt_tparams *p, int T, double *B)
{
    const char *text = tparam_str(p, "B", "");
    if (!text[0]) {
        krr_mean_task_kernel(T, tparam_num(p, krr_params, "lambda"), B);
        return MT_OK;
    }
    mt_status st = parse_B(text, T, B);
    if (!st && (st = krr_check_B(B, T))) mt_fail_prefix(st, "topology.B");
    return st;
}

static mt_status krr_validate(const mt_topo_spec *s)
{
    double B[MT_MAX_TASKS * MT_MAX_TASKS];
    return krr_task_matrix(&s->params, s->ntasks, B);
}

static mt_status krr_create(mt_model *m)
{
    const mt_tparams *p = &m->params;
    double B[MT_MAX_TASKS * MT_MAX_TASKS];
    mt_status st = krr_task_matrix(p, m->T, B);
    if (st) return st;
    krr_config c = {.T = m->T,
                    .kernel = {.kind = (mk_kind)(int)tparam_num(p, krr_params, "kernel"),
                               .var = tparam_num(p, krr_params, "variance"),
                               .ls = tparam_num(p, krr_params, "lengthscale")},
                    .ridge = tparam_num(p, krr_params, "ridge"),
                    .center = tparam_num(p, krr_params, "center") != 0};
    mt_krr *k;
    if ((st = krr_fit(&c, B, m->X, m->y, m->task, m->n, m->d, &k))) return st;
    m->impl = k;
    /* the float view: the dual coefficients, task by task (the pairs are
     * gathered task by task, so each task's are contiguous) */
    int cnt[MT_MAX_TASKS] = {0};
    for (int i = 0; i < m->n; i++) cnt[m->task[i]]++;
    for (int t = 0; t < m->T; t++) {
        if (!cnt[t]) continue;
        char nm[MT_PARAM_NAME];
        snprintf(nm, sizeof nm, "krr.alpha.%s", m->task_name[t]);
        add_param(m, nm, 1, &cnt[t], 1 + t);
    }
    return alloc_arena(m);
}

static mt_status krr_model_step(mt_model *m, const mk_adam_cfg *c, double *loo, double *objective)
{
    (void)c;
    krr_loo_residuals(m->impl, loo);
    *objective = NAN;
    return MT_OK;
}

static mt_status krr_model_predict(mt_model *m, int t, const double *X, int n, double *mean, double *var)
{
    if (var)
        for (int i = 0; i < n; i++) var[i] = NAN;
    return krr_predict(m->impl, t, X, n, mean);
}

static void krr_noise_sd(mt_model *m, double *sd)
{
    for (int t = 0; t < m->T; t++) sd[t] = NAN;
}

static void krr_publish(mt_model *m, mt_publish_fn fn, void *ud)
{
    double B[MT_MAX_TASKS * MT_MAX_TASKS], R[MT_MAX_TASKS * MT_MAX_TASKS];
    if (krr_task_matrix(&m->params, m->T, B)) return;
    correlation(B, m->T, R);
    fn(ud, "task matrix", m->T, m->T, B, NULL, NULL, 0, 0);
    fn(ud, "task correlation", m->T, m->T, R, NULL, NULL, -1, 1);
}

static void krr_save(mt_model *m, float *am, float *av, long *adam_t)
{
    model_view_store(m, krr_alpha(m->impl), m->arena.data); /* task by task, as registered */
    no_moments(m, am, av, adam_t);
}

/* The fit is a function of the data and the parameters: nothing to load. */
static mt_status krr_load(mt_model *m, const float *am, const float *av, long adam_t)
{
    (void)m, (void)am, (void)av, (void)adam_t;
    return MT_OK;
}

static size_t krr_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    (void)in_dim;
    size_t w = describe_common(s, "multi-task kernel ridge regression (Evgeniou, Micchelli & Pontil 2005)", buf, n, 0);
    w = topo_appendf(buf, n, w, "  K((x,s),(x',t)) = k(x,x') B[s,t],  alpha = (K + ridge I)^-1 (y - c)\n");
    return topo_appendf(buf, n, w, "  closed form: fitted once, the budget is one step\n");
}

static void krr_free_impl(void *p) { krr_free(p); }

/* One task: a given B becomes its t-th diagonal entry (the mean-regularised
 * B of one task is 1 whatever lambda). */
static void krr_single_task(mt_tparams *p, int t, int T)
{
    const char *text = tparam_str(p, "B", "");
    double B[MT_MAX_TASKS * MT_MAX_TASKS];
    if (!text[0] || parse_B(text, T, B)) return;
    char one[64];
    snprintf(one, sizeof one, "%.17g", B[t * T + t]);
    tparam_set_str(p, "B", one);
}

static const mt_model_class model_krr = {
    .iterative = 0,
    .fits = "a regularised least-squares problem in closed form",
    .create = krr_create,
    .step = krr_model_step,
    .predict = krr_model_predict,
    .noise_sd = krr_noise_sd,
    .publish = krr_publish,
    .save = krr_save,
    .load = krr_load,
    .free_impl = krr_free_impl,
    .single_task = krr_single_task,
};

const mt_topo_class topo_class_krr = {
    .name = "krr",
    .summary = "multi-task kernel ridge regression: K = k(x,x') B[s,t], B mean-regularised or given (survey 5)",
    .params = krr_params,
    .validate = krr_validate,
    .describe = krr_describe,
    .hooks = {.publish = model_hook_publish, .free = model_hook_free},
    .model = &model_krr,
};

/* ---- the hierarchical Bayesian linear model --------------------------------- */

static const mt_tparam_def hb_params[] = {
    {"clusters", MT_TP_INT, 1, 1, MT_MAX_TASKS, NULL,
     "Gaussian priors in the mixture (1: one shared prior; more: task clustering), at most the number of tasks"},
    {"cov", MT_TP_CHOICE, HB_COV_ISO, 0, 2, HB_COVS,
     "each prior's covariance: iso (s I), diag, or full (needs many more tasks than inputs: with few, maximum "
     "likelihood drives some variances to zero)"},
    {"noise", MT_TP_CHOICE, 0, 0, 1, "task|shared", "a noise variance per task, or one for all"},
    {"bias", MT_TP_BOOL, 1, 0, 1, NULL, "add a constant input: each task's intercept has a prior too"},
    {"prior_scale", MT_TP_NUMBER, 1e-4, 1e-12, 1e6, NULL,
     "psi in the term -psi/2 tr(Sigma^-1) that keeps every prior covariance positive definite"},
    {"prior_count", MT_TP_NUMBER, 1, 1e-6, 1e6, NULL,
     "a in -a/2 log|Sigma|: Sigma_k = (scatter + psi I) / (tasks in k + a)"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static mt_status hb_validate(const mt_topo_spec *s)
{
    int K = (int)tparam_num(&s->params, hb_params, "clusters");
    if (K > s->ntasks) return mt_fail(MT_ERR_ARG, "topology.clusters: %d, but there are %d tasks", K, s->ntasks);
    return MT_OK;
}

static int hb_bias(const mt_model *m) { return tparam_num(&m->params, hb_params, "bias") != 0; }

static mt_status hb_create(mt_model *m)
{
    const mt_tparams *p = &m->params;
    hb_config c = {.T = m->T,
                   .K = (int)tparam_num(p, hb_params, "clusters"),
                   .cov = (hb_cov)(int)tparam_num(p, hb_params, "cov"),
                   .shared_noise = (int)tparam_num(p, hb_params, "noise") == 1,
                   .bias = hb_bias(m),
                   .psi = tparam_num(p, hb_params, "prior_scale"),
                   .a = tparam_num(p, hb_params, "prior_count")};
    mt_hb *h;
    mt_status st = hb_new(&c, m->X, m->y, m->task, m->n, m->d, m->seed, &h);
    if (st) return st;
    m->impl = h;
    int D = hb_dim(h), K = c.K, sh_mean[2] = {K, D}, sh_cov[3] = {K, D, D}, one = 1;
    add_param(m, "hb.prior_mean", 2, sh_mean, 0);
    add_param(m, "hb.prior_cov", 3, sh_cov, 0);
    add_param(m, "hb.prior_weight", 1, &K, 0);
    for (int t = 0; t < m->T; t++) {
        char nm[MT_PARAM_NAME];
        snprintf(nm, sizeof nm, "hb.%s.weights", m->task_name[t]);
        add_param(m, nm, 1, &D, 1 + t);
        snprintf(nm, sizeof nm, "hb.%s.noise", m->task_name[t]);
        add_param(m, nm, 1, &one, 1 + t);
    }
    return alloc_arena(m);
}

static mt_status hb_model_step(mt_model *m, const mk_adam_cfg *c, double *loo, double *objective)
{
    (void)c;
    hb_loo_residuals(m->impl, loo);
    *objective = hb_loglik(m->impl);
    return hb_em_step(m->impl, NULL);
}

static mt_status hb_model_predict(mt_model *m, int t, const double *X, int n, double *mean, double *var)
{
    return hb_predict(m->impl, t, X, n, mean, var);
}

static void hb_noise_sd(mt_model *m, double *sd)
{
    for (int t = 0; t < m->T; t++) sd[t] = sqrt(hb_noise_var(m->impl, t));
}

static void hb_publish(mt_model *m, mt_publish_fn fn, void *ud)
{
    const mt_hb *h = m->impl;
    int T = m->T, K = hb_components(h), D = hb_dim(h), bias = hb_bias(m);
    if (D > LABEL_MAX) D = LABEL_MAX; /* what a published matrix holds; the checkpoint has them all */
    labels feat, comp, rows;
    feature_labels(m, D, bias, &feat);
    for (int k = 0; k < K; k++) snprintf(comp.text[k], sizeof comp.text[k], "prior %d", k + 1);
    double *buf = mt_alloc((size_t)(T > K ? T : K) * (size_t)(D > T ? D : T) * 2 * sizeof *buf);
    double *cov = mt_alloc((size_t)hb_dim(h) * hb_dim(h) * sizeof *cov), *mean = mt_alloc((size_t)hb_dim(h) * sizeof *mean);
    if (!buf || !cov || !mean) goto done;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < D; j++) {
            buf[k * D + j] = hb_prior_mean(h, k)[j];
            buf[(K + k) * D + j] = sqrt(hb_prior_cov(h, k)[(size_t)j * hb_dim(h) + j]);
        }
    fn(ud, "prior mean", K, D, buf, label_list(&comp, K), label_list(&feat, D), 0, 0);
    fn(ud, "prior sd", K, D, buf + K * D, label_list(&comp, K), label_list(&feat, D), 0, 0);
    for (int t = 0; t < T; t++) {
        hb_posterior(h, t, mean, cov);
        for (int j = 0; j < D; j++) {
            buf[t * D + j] = mean[j];
            buf[(T + t) * D + j] = sqrt(fmax(cov[(size_t)j * hb_dim(h) + j], 0));
        }
    }
    fn(ud, "task weights", T, D, buf, NULL, label_list(&feat, D), 0, 0);
    fn(ud, "task weight sd", T, D, buf + T * D, NULL, label_list(&feat, D), 0, 0);
    if (K > 1) {
        for (int k = 0; k < K; k++) buf[k] = hb_prior_weight(h, k);
        snprintf(rows.text[0], sizeof rows.text[0], "weight");
        fn(ud, "prior weight", 1, K, buf, label_list(&rows, 1), label_list(&comp, K), 0, 1);
        for (int t = 0; t < T; t++)
            for (int k = 0; k < K; k++) buf[t * K + k] = hb_resp(h, t, k);
        fn(ud, "task responsibility", T, K, buf, NULL, label_list(&comp, K), 0, 1);
        for (int s = 0; s < T; s++)
            for (int t = 0; t < T; t++) {
                double co = 0;
                for (int k = 0; k < K; k++) co += hb_resp(h, s, k) * hb_resp(h, t, k);
                buf[s * T + t] = co;
            }
        fn(ud, "cluster co-membership", T, T, buf, NULL, NULL, 0, 1);
    }
    hb_noise_sd(m, buf);
    snprintf(rows.text[0], sizeof rows.text[0], "noise sd");
    fn(ud, "noise sd", 1, T, buf, label_list(&rows, 1), NULL, 0, 0);
    double ll = hb_loglik(h);
    static const char *const lrow[] = {"log marginal likelihood"};
    fn(ud, "log marginal likelihood", 1, 1, &ll, lrow, lrow, 0, 0);
done:
    mt_free(buf);
    mt_free(cov);
    mt_free(mean);
}

/* The learned values in the order hb_create registered them: prior means
 * (K, D), covariances (K, D, D), weights (K), then per task its posterior
 * mean (D) and noise variance. */
static double *hb_values(const mt_model *m)
{
    const mt_hb *h = m->impl;
    int K = hb_components(h), D = hb_dim(h);
    size_t n = (size_t)K * D + (size_t)K * D * D + (size_t)K + (size_t)m->T * (D + 1);
    double *v = mt_alloc(n * sizeof *v), *p = v;
    if (!v) return NULL;
    for (int k = 0; k < K; k++, p += D) memcpy(p, hb_prior_mean(h, k), (size_t)D * sizeof *p);
    for (int k = 0; k < K; k++, p += (size_t)D * D) memcpy(p, hb_prior_cov(h, k), (size_t)D * D * sizeof *p);
    for (int k = 0; k < K; k++) *p++ = hb_prior_weight(h, k);
    for (int t = 0; t < m->T; t++, p += D + 1) {
        hb_posterior(h, t, p, NULL);
        p[D] = hb_noise_var(h, t);
    }
    return v;
}

static void hb_save(mt_model *m, float *am, float *av, long *adam_t)
{
    double *v = hb_values(m);
    if (v) model_view_store(m, v, m->arena.data);
    mt_free(v);
    no_moments(m, am, av, adam_t);
}

/* The prior and the noise from the view; the posteriors follow by an E-step. */
static mt_status hb_load(mt_model *m, const float *am, const float *av, long adam_t)
{
    (void)am, (void)av, (void)adam_t;
    mt_hb *h = m->impl;
    int K = hb_components(h), D = hb_dim(h);
    double *v = hb_values(m); /* the right size; overwritten */
    if (!v) return MT_ERR_NOMEM;
    model_view_load(m, m->arena.data, v);
    const double *mu = v, *S = v + (size_t)K * D, *w = S + (size_t)K * D * D, *task = w + K;
    for (int k = 0; k < K; k++) hb_set_prior(h, k, mu + (size_t)k * D, S + (size_t)k * D * D, w[k]);
    for (int t = 0; t < m->T; t++) hb_set_noise_var(h, t, task[(size_t)t * (D + 1) + D]);
    mt_free(v);
    return hb_estep(h);
}

static size_t hb_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    (void)in_dim;
    size_t w = describe_common(s, "hierarchical Bayesian linear model (Bakker & Heskes 2003)", buf, n, 0);
    w = topo_appendf(buf, n, w, "  w_t ~ sum_k pi_k N(mu_k, Sigma_k),  y = w_t^T x + noise\n");
    return topo_appendf(buf, n, w, "  one step: one EM iteration of the prior (empirical Bayes)\n");
}

static void hb_free_impl(void *p) { hb_free(p); }

/* One task: one prior (a mixture needs a task per component). */
static void hb_single_task(mt_tparams *p, int t, int T)
{
    (void)t, (void)T;
    if (tparam_num(p, hb_params, "clusters") > 1) tparam_set_num(p, "clusters", MT_TP_INT, 1);
}

static const mt_model_class model_hb = {
    .iterative = 1,
    .fits = "its marginal likelihood by EM (empirical Bayes)",
    .max_dim = MT_MODEL_MAX_DIM,
    .create = hb_create,
    .step = hb_model_step,
    .predict = hb_model_predict,
    .noise_sd = hb_noise_sd,
    .publish = hb_publish,
    .save = hb_save,
    .load = hb_load,
    .free_impl = hb_free_impl,
    .single_task = hb_single_task,
};

const mt_topo_class topo_class_hier_bayes = {
    .name = "hier_bayes",
    .summary = "hierarchical Bayesian linear model: per-task weights from a learned prior (or a mixture: clusters) (survey 5)",
    .params = hb_params,
    .validate = hb_validate,
    .describe = hb_describe,
    .hooks = {.publish = model_hook_publish, .free = model_hook_free},
    .model = &model_hb,
};
