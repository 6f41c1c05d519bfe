/* topo_landscape.c - an analytic two-objective landscape as a "network",
 * so every loss weighting and gradient combiner can be watched moving one
 * point x across a known Pareto front (the toy of Liu et al. 2021,
 * CAGrad, reused by Nash-MTL and FAMO; the problem of Lin et al. 2019).
 *
 * The network is a single shared parameter "landscape.x" (1, d), group 0,
 * no weight decay, set to the spec's start point after initialisation.
 * Task k's output is a (B, 1) node whose every row is f_k(x) + offset,
 * computed by a custom op (graph_custom) with the exact gradient of the
 * data module's landscape (data/landscape.h); backward sums the rows. With
 * the "value" loss (the batch mean of the output) task k's loss is exactly
 * f_k(x) + offset whatever the batch, and its gradient is grad f_k(x).
 *
 * There is no shared representation (out->shared = MT_NONE: MGDA-UB does
 * not apply); the last shared weight is x itself, so GradNorm measures its
 * gradient norms there. Published every evaluation: "position" (1 x d, the
 * point x) and "objectives" (1 x 2, f1 and f2 without the offset); in two
 * dimensions, at the first evaluation, the picture of the plane
 * ("landscape": f1 + f2 on a grid, the Pareto set, the start point; layout
 * in run/monitor.h), which the screen draws with the trail of "position". */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/limits.h"
#include "core/mem.h"
#include "data/landscape.h"
#include "mtl/topology.h"

#define LS_MAXDIM 64

enum { LS_CAGRAD_TOY, LS_LIN2019 };
static const char *const ls_problem_names[] = {"cagrad_toy", "lin2019"};

typedef struct ls_state ls_state;

/* The user pointer of objective k's custom op. */
typedef struct {
    ls_state *s;
    int k;
} ls_objective;

struct ls_state {
    const mt_landscape *fn;
    int d;
    double offset;
    double start[LS_MAXDIM];
    mt_node x;                /* the point's parameter node */
    ls_objective obj[2];
    /* scratch of the callbacks (they run inside a step: no allocation) */
    double xd[LS_MAXDIM];     /* (d) x in double */
    double f[2];
    double grad[2 * LS_MAXDIM]; /* (2, d) */
    int pictured;             /* the plane's picture was published */
};

static const mt_tparam_def ls_params[] = {
    {"problem", MT_TP_CHOICE, LS_CAGRAD_TOY, 0, 1, "cagrad_toy|lin2019",
     "the landscape: CAGrad's 2-D toy, or Lin et al. 2019 in any dimension"},
    {"dim", MT_TP_INT, 2, 1, LS_MAXDIM, NULL, "dimension of x (cagrad_toy: 2)"},
    {"start", MT_TP_NUMBERS, 0, -1e6, 1e6, NULL,
     "the start point: dim numbers, or one for every coordinate "
     "(default cagrad_toy (-8.5, 7.5), lin2019 x_j = 0.8 (-1)^j)", .flags = MT_TPF_DERIVED},
    {"offset", MT_TP_NUMBER, 0, -1e6, 1e6, NULL,
     "added to both losses (gradients unchanged): keeps them positive for famo, scale_inv"},
    {"nudge", MT_TP_NUMBERS, 0, -1, 1, NULL,
     "added to the start point (dim numbers, or one for every coordinate): --set topology.nudge=1e-6 "
     "checks that a claim is not luck"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static int ls_problem(const mt_topo_spec *s)
{
    return (int)tparam_num(&s->params, ls_params, "problem");
}

static int ls_dim(const mt_topo_spec *s)
{
    return ls_problem(s) == LS_CAGRAD_TOY ? 2 : (int)tparam_num(&s->params, ls_params, "dim");
}

/* The start point into x (d); the spec must be valid. */
static void ls_start(const mt_topo_spec *s, int d, double *x)
{
    double v[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "start", v, MT_TOPO_MAXLAYERS);
    for (int j = 0; j < d; j++) {
        if (n == 1) x[j] = v[0];
        else if (n == d) x[j] = v[j];
        else if (ls_problem(s) == LS_CAGRAD_TOY) x[j] = landscape_cagrad_starts[0][j];
        else x[j] = j % 2 ? -0.8 : 0.8;
    }
    n = tparam_list(&s->params, "nudge", v, MT_TOPO_MAXLAYERS);
    for (int j = 0; j < d; j++) x[j] += n == 1 ? v[0] : n == d ? v[j] : 0.0;
}

static int ls_param_given(const mt_topo_spec *s, const char *key)
{
    for (int i = 0; i < s->params.n; i++)
        if (strcmp(s->params.key[i], key) == 0) return 1;
    return 0;
}

static mt_status ls_validate(const mt_topo_spec *s)
{
    if (s->ntasks != 2)
        return mt_fail(MT_ERR_ARG, "tasks: the landscape topology needs exactly 2 tasks (one per objective), got %d",
                       s->ntasks);
    for (int t = 0; t < 2; t++)
        if (s->task[t].out_dim != 1)
            return mt_fail(MT_ERR_ARG, "tasks[%d] (%s): a landscape objective is one number, but the task has %d outputs",
                           t + 1, s->task[t].name, s->task[t].out_dim);
    int prob = ls_problem(s);
    int dim = (int)tparam_num(&s->params, ls_params, "dim");
    if (prob == LS_CAGRAD_TOY && ls_param_given(s, "dim") && dim != 2)
        return mt_fail(MT_ERR_ARG, "topology.dim: cagrad_toy is 2-dimensional, got %d", dim);
    int d = ls_dim(s);
    double v[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "start", v, MT_TOPO_MAXLAYERS);
    if (ls_param_given(s, "start") && n != 1 && n != d)
        return mt_fail(MT_ERR_ARG, "topology.start: %d numbers for a %d-dimensional %s (give %d, or 1 for every coordinate)",
                       n, d, ls_problem_names[prob], d);
    n = tparam_list(&s->params, "nudge", v, MT_TOPO_MAXLAYERS);
    if (ls_param_given(s, "nudge") && n != 1 && n != d)
        return mt_fail(MT_ERR_ARG, "topology.nudge: %d numbers for a %d-dimensional %s (give %d, or 1 for every coordinate)",
                       n, d, ls_problem_names[prob], d);
    if (!landscape_find(ls_problem_names[prob]))
        return mt_fail(MT_ERR_ARG, "topology.problem: no landscape \"%s\"", ls_problem_names[prob]);
    return MT_OK;
}

/* x (1, d) float -> s->xd, then the landscape at it (with the gradient when
 * asked). */
static void ls_eval(ls_state *s, const float *x, int with_grad)
{
    for (int j = 0; j < s->d; j++) s->xd[j] = x[j];
    s->fn->eval(s->xd, s->d, s->f, with_grad ? s->grad : NULL);
}

/* Every row of out (B, 1) = f_k(x) + offset. */
static void ls_forward(void *ud, const float *const *in, const int *in_rows, const int *in_cols, int n_in,
                       float *out, int out_rows, int out_cols)
{
    (void)in_rows, (void)in_cols, (void)n_in, (void)out_cols;
    ls_objective *o = ud;
    ls_eval(o->s, in[0], 0);
    float v = (float)(o->s->f[o->k] + o->s->offset);
    for (int b = 0; b < out_rows; b++) out[b] = v;
}

/* d/dx sum_b dout_b f_k(x) = (sum_b dout_b) grad f_k(x). */
static void ls_backward(void *ud, const float *const *in, const int *in_rows, const int *in_cols, int n_in,
                        const float *out, const float *dout, int out_rows, int out_cols, float *const *din)
{
    (void)in_rows, (void)in_cols, (void)n_in, (void)out, (void)out_cols;
    ls_objective *o = ud;
    ls_state *s = o->s;
    double sum = 0.0;
    for (int b = 0; b < out_rows; b++) sum += dout[b];
    ls_eval(s, in[0], 1);
    const double *gk = s->grad + (size_t)o->k * s->d;
    for (int j = 0; j < s->d; j++) din[0][j] += (float)(sum * gk[j]);
}

static mt_status ls_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                          mt_topo_built *out)
{
    (void)x, (void)in_c, (void)in_h, (void)in_w;
    mt_status st = ls_validate(s);
    if (st) return st;
    ls_state *S = mt_calloc(1, sizeof *S);
    if (!S) return MT_ERR_NOMEM;
    out->state = S;
    S->fn = landscape_find(ls_problem_names[ls_problem(s)]);
    S->d = ls_dim(s);
    S->offset = tparam_num(&s->params, ls_params, "offset");
    ls_start(s, S->d, S->start);
    S->x = graph_param_vec(g, "landscape.x", S->d, (mt_init){MT_INIT_ZEROS, 0, 0}, 0, 0);
    for (int k = 0; k < 2; k++) {
        char kind[32];
        snprintf(kind, sizeof kind, "landscape.f%d", k + 1);
        S->obj[k] = (ls_objective){S, k};
        out->out[k] = graph_custom(g, kind, &S->x, 1, MT_ROWS_BATCHED, 1, ls_forward, ls_backward, &S->obj[k]);
    }
    out->shared = MT_NONE;
    out->shared_weight = S->x;
    if (out->out[0] == MT_NONE || out->out[1] == MT_NONE)
        return mt_last_status() ? mt_last_status() : MT_ERR_ARG;
    return MT_OK;
}

static void ls_init_params(void *state, mt_graph *g, mt_params *p)
{
    ls_state *S = state;
    int i = graph_param_index(g, S->x);
    if (i < 0) return;
    float *x = p->data + p->info[i].offset; /* (1, d) */
    for (int j = 0; j < S->d; j++) x[j] = (float)S->start[j];
}

/* The plane's picture (layout in run/monitor.h), once per run. */
static void ls_publish_picture(ls_state *S, mt_publish_fn fn, void *ud)
{
    enum { G = MT_LANDSCAPE_GRID };
    double v[(G + 3) * G]; /* (G + 3, G); publishing copies it */
    double lo = S->fn->plane_lo, hi = S->fn->plane_hi, p[2 * G], f[2];
    for (int i = 0; i < (G + 3) * G; i++) v[i] = NAN;
    v[0] = lo, v[1] = hi, v[2] = lo, v[3] = hi, v[4] = S->start[0], v[5] = S->start[1];
    for (int r = 0; r < G; r++)
        for (int c = 0; c < G; c++) {
            double x[2] = {lo + (hi - lo) * c / (G - 1), hi - (hi - lo) * r / (G - 1)};
            S->fn->eval(x, 2, f, NULL);
            v[(1 + r) * G + c] = f[0] + f[1];
        }
    if (landscape_pareto_set(S->fn, 2, G, p) == G)
        for (int c = 0; c < G; c++) v[(G + 1) * G + c] = p[2 * c], v[(G + 2) * G + c] = p[2 * c + 1];
    fn(ud, MT_LANDSCAPE_MATRIX, G + 3, G, v, NULL, NULL, 0, 0);
    S->pictured = 1;
}

static void ls_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    ls_state *S = state;
    const float *x = graph_value(g, S->x);
    if (!x) return;
    if (S->d == 2 && !S->pictured) ls_publish_picture(S, fn, ud); /* first: the matrix pane opens on it */
    double pos[LS_MAXDIM];
    for (int j = 0; j < S->d; j++) pos[j] = x[j];
    ls_eval(S, x, 0);
    /* the coordinates by name, so two of them are not taken for the tasks */
    char names[LS_MAXDIM][8];
    const char *cols[LS_MAXDIM];
    static const char *const rows[] = {"x"};
    for (int j = 0; j < S->d; j++) {
        snprintf(names[j], sizeof names[j], "x%d", j + 1);
        cols[j] = names[j];
    }
    fn(ud, MT_LANDSCAPE_POSITION, 1, S->d, pos, rows, cols, 0, 0);
    fn(ud, "objectives", 1, 2, S->f, NULL, NULL, 0, 0);
}

static void ls_free(void *state) { mt_free(state); }

/* appends to buf (n bytes) at w, truncating (topology.h) */
#define OUT(...) (w = topo_appendf(buf, n, w, __VA_ARGS__))

static size_t ls_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    (void)in_dim;
    size_t w = 0;
    if (n) buf[0] = '\0';
    int d = ls_dim(s);
    double x0[LS_MAXDIM];
    ls_start(s, d, x0);
    double off = tparam_num(&s->params, ls_params, "offset");
    OUT("landscape %s, d = %d (the input is ignored)\n", ls_problem_names[ls_problem(s)], d);
    OUT("x [shared, 1x%d] starts at (", d);
    for (int j = 0; j < d && j < 4; j++) OUT("%s%.4g", j ? ", " : "", x0[j]);
    OUT("%s)", d > 4 ? ", ..." : "");
    double v[MT_TOPO_MAXLAYERS];
    int nn = tparam_list(&s->params, "nudge", v, MT_TOPO_MAXLAYERS);
    for (int j = 0; j < nn && j < 4; j++) OUT("%s%g", j ? ", " : ", nudged by (", v[j]);
    OUT("%s\n", nn ? (nn > 4 ? ", ...)" : ")") : "");
    for (int t = 0; t < s->ntasks && t < 2; t++) {
        OUT("  +--> %.24s = f%d(x)", s->task[t].name, t + 1);
        if (off != 0) OUT(" %+.4g", off);
        OUT("\n");
    }
    return w;
}

const mt_topo_class topo_class_landscape = {
    .name = "landscape",
    .summary = "a point x on an analytic two-objective landscape (CAGrad toy, Lin 2019): watch combiners",
    .params = ls_params,
    .validate = ls_validate,
    .build = ls_build,
    .describe = ls_describe,
    .hooks = {.init_params = ls_init_params, .publish = ls_publish, .free = ls_free},
};
