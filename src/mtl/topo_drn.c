/* topo_drn.c - deep relationship networks (Long & Wang 2017; survey
 * section 6.1): hard sharing plus a matrix-variate normal prior with a
 * learned task covariance on chosen head layers. See topo_experts.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "linalg.h"
#include "topo_experts.h"

/* The reference class (topo_hard.c): DRN builds exactly its network. */
extern const mt_topo_class topo_class_hard;

typedef struct {
    int head_layer;           /* as in `layers`: 1..nh+1 */
    int D;                    /* in * out */
    mt_node w[MT_MAX_TASKS];  /* each task's weight node, (out, in) */
    double *omega, *inv;      /* (T, T) each */
} drn_layer;

typedef struct {
    int T, nl;
    double lambda, eps;
    long every;
    drn_layer layer[MT_TOPO_MAXLAYERS + 1];
    double *gram; /* (T, T) */
    double *work; /* (3 T*T + T) */
    double *pub;  /* (T, T) */
} drn_state;

static const mt_tparam_def drn_params[] = {
    {"lambda", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "strength of the matrix-variate normal prior"},
    {"layers", MT_TP_INTS, 0, 1, MT_TOPO_MAXLAYERS + 1, NULL,
     "head layers under the prior, from 1; nh+1 = output layer (default: all)", .flags = MT_TPF_DERIVED},
    {"update_every", MT_TP_INT, 50, 1, 1e9, NULL, "steps between closed-form updates of Omega"},
    {"eps", MT_TP_NUMBER, 1e-6, 0, 1, NULL, "added to the Gram's eigenvalues before the square root"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* The chosen head layers (1..nh+1), of task 0's head. */
static int drn_layers(const mt_topo_spec *s, int *out)
{
    double v[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "layers", v, MT_TOPO_MAXLAYERS);
    for (int i = 0; i < n; i++) out[i] = (int)v[i];
    if (n > 0) return n;
    int nh;
    topo_task_head(s, 0, &nh);
    for (int i = 0; i < nh + 1; i++) out[i] = i + 1;
    return nh + 1;
}

/* (in, out) of task t's head layer i (1..nh+1); in = -1 for "the input". */
static void drn_shape(const mt_topo_spec *s, int t, int i, int *in, int *out)
{
    int nh;
    const int *hs = topo_task_head(s, t, &nh);
    int at = s->task[t].attach ? s->task[t].attach : s->ntrunk;
    int base = at > 0 ? s->trunk[at - 1] : -1;
    *in = i == 1 ? base : hs[i - 2];
    *out = i <= nh ? hs[i - 1] : s->task[t].out_dim;
}

static mt_status drn_validate(const mt_topo_spec *s)
{
    int L[MT_TOPO_MAXLAYERS + 1], nl = drn_layers(s, L);
    for (int j = 0; j < nl; j++) {
        for (int t = 0; t < s->ntasks; t++) {
            int nh;
            topo_task_head(s, t, &nh);
            if (L[j] > nh + 1)
                return mt_fail(MT_ERR_ARG, "topology.layers[%d]: head layer %d, but task '%s' has %d (%d hidden + output)",
                               j + 1, L[j], s->task[t].name, nh + 1, nh);
        }
        for (int i = 0; i < j; i++)
            if (L[i] == L[j]) return mt_fail(MT_ERR_ARG, "topology.layers[%d]: head layer %d given twice", j + 1, L[j]);
        int in0, out0;
        drn_shape(s, 0, L[j], &in0, &out0);
        for (int t = 1; t < s->ntasks; t++) {
            int in, out;
            drn_shape(s, t, L[j], &in, &out);
            if (in != in0 || out != out0)
                return mt_fail(MT_ERR_ARG,
                               "topology.layers[%d]: drn's prior stacks the tasks' weights of head layer %d, which must "
                               "have the same shape for every task (task '%s' has %d x %d, task '%s' %d x %d)",
                               j + 1, L[j], s->task[0].name, out0, in0, s->task[t].name, out, in);
        }
    }
    return MT_OK;
}

static void drn_free(void *state)
{
    drn_state *st = state;
    if (!st) return;
    for (int j = 0; j < st->nl; j++) {
        mt_free(st->layer[j].omega);
        mt_free(st->layer[j].inv);
    }
    mt_free(st->gram);
    mt_free(st->work);
    mt_free(st->pub);
    mt_free(st);
}

static mt_status drn_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                           mt_topo_built *out)
{
    mt_status rc = topo_class_hard.build(g, s, x, in_c, in_h, in_w, out);
    if (rc) return rc;
    int T = s->ntasks;
    drn_state *st = mt_calloc(1, sizeof *st);
    if (!st) return MT_ERR_NOMEM;
    out->state = st;
    st->T = T;
    st->lambda = tparam_num(&s->params, drn_params, "lambda");
    st->eps = tparam_num(&s->params, drn_params, "eps");
    st->every = (long)tparam_num(&s->params, drn_params, "update_every");
    int L[MT_TOPO_MAXLAYERS + 1];
    int nl = drn_layers(s, L);
    size_t TT = (size_t)T * T;
    st->gram = mt_alloc(TT * sizeof(double));
    st->work = mt_alloc((3 * TT + T) * sizeof(double));
    st->pub = mt_alloc(TT * sizeof(double));
    if (!st->gram || !st->work || !st->pub) return MT_ERR_NOMEM;
    for (int j = 0; j < nl; j++) {
        drn_layer *dl = &st->layer[j];
        dl->omega = mt_calloc(TT, sizeof(double));
        dl->inv = mt_calloc(TT, sizeof(double));
        if (!dl->omega || !dl->inv) return MT_ERR_NOMEM;
        st->nl = j + 1;
        dl->head_layer = L[j];
        for (int t = 0; t < T; t++) {
            dl->omega[t * T + t] = 1.0 / T;
            dl->inv[t * T + t] = T;
        }
        for (int t = 0; t < T; t++) {
            char nm[MT_PARAM_NAME];
            int nh;
            topo_task_head(s, t, &nh);
            if (L[j] <= nh) snprintf(nm, sizeof nm, "head.%s.%d.weight", s->task[t].name, L[j] - 1);
            else snprintf(nm, sizeof nm, "head.%s.out.weight", s->task[t].name);
            dl->w[t] = graph_find(g, nm);
            if (dl->w[t] == MT_NONE) return mt_fail(MT_ERR_STATE, "drn: no parameter %s", nm);
        }
    }
    return MT_OK;
}

/* The weights of task t at layer dl in the arena, and D. */
static float *drn_w(mt_graph *g, mt_params *p, const drn_layer *dl, int t, size_t *D, float **grad)
{
    int i = graph_param_index(g, dl->w[t]);
    *D = p->info[i].size;
    if (grad) *grad = p->grad + p->info[i].offset;
    return p->data + p->info[i].offset;
}

static void drn_gram(drn_state *st, mt_graph *g, mt_params *p, const drn_layer *dl)
{
    int T = st->T;
    size_t D;
    for (int a = 0; a < T; a++)
        for (int b = 0; b <= a; b++) {
            const float *wa = drn_w(g, p, dl, a, &D, NULL), *wb = drn_w(g, p, dl, b, &D, NULL);
            st->gram[a * T + b] = st->gram[b * T + a] = linalg_dot_f(wa, wb, D);
        }
}

/* lambda/2 tr(W Omega^-1 W^T) = lambda/2 sum_ab inv_ab <w_a, w_b>, and its
 * gradient lambda W Omega^-1: column t of it is lambda sum_s inv_st w_s. */
static mt_status drn_penalty(void *state, mt_graph *g, mt_params *p, double *value)
{
    drn_state *st = state;
    int T = st->T;
    double v = 0;
    for (int j = 0; j < st->nl; j++) {
        const drn_layer *dl = &st->layer[j];
        drn_gram(st, g, p, dl);
        for (int a = 0; a < T * T; a++) v += 0.5 * st->lambda * dl->inv[a] * st->gram[a];
        for (int t = 0; t < T; t++) {
            size_t D;
            float *gt;
            drn_w(g, p, dl, t, &D, &gt);
            for (int s = 0; s < T; s++) {
                const float *ws = drn_w(g, p, dl, s, &D, NULL);
                float c = (float)(st->lambda * dl->inv[s * T + t]);
                if (c == 0.0f) continue;
                for (size_t q = 0; q < D; q++) gt[q] += c * ws[q];
            }
        }
    }
    *value = v;
    return MT_OK;
}

mt_status topo_drn_omega(const double *gram, int T, double eps, double *omega, double *omega_inv, double *work)
{
    size_t TT = (size_t)T * T;
    double *A = work, *V = work + TT, *M = work + 2 * TT, *ev = work + 3 * TT;
    for (size_t i = 0; i < TT; i++) {
        if (!isfinite(gram[i])) return mt_fail(MT_ERR_NUMERIC, "drn: the Gram matrix of the task weights is not finite");
        A[i] = gram[i];
    }
    if (linalg_eigh(T, A, ev, V) < 0) return mt_fail(MT_ERR_NUMERIC, "drn: eigendecomposition of the task Gram failed");
    double tr = 0;
    for (int k = 0; k < T; k++) {
        ev[k] = sqrt((ev[k] > 0 ? ev[k] : 0) + eps);
        tr += ev[k];
    }
    if (!(tr > 0)) return mt_fail(MT_ERR_NUMERIC, "drn: the task weights are all zero and eps is 0: Omega is undefined");
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            double o = 0, r = 0;
            for (int k = 0; k < T; k++) {
                double vv = V[i * T + k] * V[j * T + k];
                o += vv * ev[k];
                r += ev[k] > 0 ? vv / ev[k] : 0;
            }
            M[i * T + j] = o / tr;
            omega_inv[i * T + j] = r * tr;
        }
    memcpy(omega, M, TT * sizeof(double));
    return MT_OK;
}

static mt_status drn_after_step(void *state, mt_graph *g, mt_params *p, double lr, long step)
{
    (void)lr;
    drn_state *st = state;
    if (step % st->every != 0) return MT_OK;
    for (int j = 0; j < st->nl; j++) {
        drn_layer *dl = &st->layer[j];
        drn_gram(st, g, p, dl);
        mt_status rc = topo_drn_omega(st->gram, st->T, st->eps, dl->omega, dl->inv, st->work);
        if (rc) return mt_fail_prefix(rc, "head layer %d at step %ld", dl->head_layer, step);
    }
    return MT_OK;
}

static void drn_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    (void)g;
    drn_state *st = state;
    if (!st || st->nl == 0) return;
    int T = st->T, top = 0;
    for (int j = 1; j < st->nl; j++)
        if (st->layer[j].head_layer > st->layer[top].head_layer) top = j;
    char name[48];
    for (int j = 0; j < st->nl; j++) {
        if (j == top) continue;
        snprintf(name, sizeof name, "task covariance L%d", st->layer[j].head_layer);
        fn(ud, name, T, T, st->layer[j].omega, NULL, NULL, 0, 0);
    }
    const double *om = st->layer[top].omega;
    fn(ud, "task covariance", T, T, om, NULL, NULL, 0, 0);
    for (int a = 0; a < T; a++)
        for (int b = 0; b < T; b++) {
            double d = sqrt(om[a * T + a] * om[b * T + b]);
            st->pub[a * T + b] = d > 0 ? om[a * T + b] / d : (a == b);
        }
    fn(ud, "task correlation", T, T, st->pub, NULL, NULL, -1, 1);
}

/* appends to buf (n bytes) at w, truncating (topology.h) */
#define OUT(...) (w = topo_appendf(buf, n, w, __VA_ARGS__))

/* Hard sharing's drawing under our own title, then the prior. */
static size_t drn_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    char hard[4096];
    if (n) buf[0] = '\0';
    topo_class_hard.describe(s, in_dim, hard, sizeof hard);
    const char *rest = strchr(hard, '\n');
    OUT("deep relationship network (%s): hard sharing + task prior\n", topo_act_name(s->act));
    OUT("%s", rest ? rest + 1 : "");
    int L[MT_TOPO_MAXLAYERS + 1], nls = drn_layers(s, L);
    int nh;
    topo_task_head(s, 0, &nh);
    OUT("  prior on head layers");
    for (int j = 0; j < nls; j++) {
        if (L[j] <= nh) OUT(" %d", L[j]);
        else OUT(" out");
    }
    OUT(": matrix normal, task cov Omega\n");
    OUT("  lambda %g, Omega = (W'W)^1/2 / tr, every %d steps\n", tparam_num(&s->params, drn_params, "lambda"),
        (int)tparam_num(&s->params, drn_params, "update_every"));
    return w;
}

const mt_topo_class topo_class_drn = {
    .name = "drn",
    .summary = "deep relationship network: hard sharing, matrix-normal prior with a learned task covariance",
    .params = drn_params,
    .validate = drn_validate,
    .build = drn_build,
    .describe = drn_describe,
    .hooks = {.penalty = drn_penalty, .after_step = drn_after_step, .publish = drn_publish, .free = drn_free},
};
