/* topo_sluice.c - sluice networks (Ruder et al. 2017; survey section 6.8):
 * task columns whose layers are split into subspaces, mixed across tasks
 * and subspaces by learned alpha after every layer; each task's head reads
 * a learned beta mix of all layer outputs; an orthogonality penalty keeps
 * the subspaces of a column apart. See topo_columns.h. */
#include <cblas.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "mtl/linalg.h"
#include "topo_columns_impl.h"

typedef struct {
    topo_cols_kind kind;
    int T, L, S;
    int width; /* of every layer */
    double ortho;
    mt_node alpha[MT_TOPO_MAXLAYERS];                /* (T*S, T*S) */
    mt_node beta[MT_MAX_TASKS];                      /* (1, L) */
    mt_node w[MT_TOPO_MAXLAYERS][MT_MAX_TASKS];      /* column weights (width, in) */
    float *P;                                        /* (k, k) scratch, k = width / S; owned */
    double *abuf;                                    /* (T*S, T*S) for publishing; owned */
    char labels[MT_MAX_TASKS * 8][24];               /* "task/s" */
    const char *label_ptr[MT_MAX_TASKS * 8];
} sluice_state;

static const mt_tparam_def sluice_params[] = {
    {"subspaces", MT_TP_INT, 2, 1, 8, NULL, "subspaces each layer of a column is split into (must divide the width)"},
    {"init", MT_TP_NUMBER, 0.9, 0, 1, NULL, "initial diagonal of alpha; the rest of each row is (1-init)/(T*S-1)"},
    {"ortho", MT_TP_NUMBER, 0.01, 0, 1e6, NULL, "strength of the orthogonality penalty between subspaces"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static mt_status sluice_validate(const mt_topo_spec *s)
{
    if (s->ntrunk < 1) return mt_fail(MT_ERR_ARG, "topology.trunk: a sluice network needs at least one layer per column");
    int S = (int)tparam_num(&s->params, sluice_params, "subspaces");
    for (int l = 0; l < s->ntrunk; l++) {
        if (s->trunk[l] != s->trunk[0])
            return mt_fail(MT_ERR_ARG,
                           "topology.trunk[%d]: beta mixes the outputs of all layers, so every layer needs the same "
                           "width (%d and %d)",
                           l + 1, s->trunk[0], s->trunk[l]);
    }
    if (s->trunk[0] % S)
        return mt_fail(MT_ERR_ARG, "topology.subspaces: %d does not divide the layer width %d", S, s->trunk[0]);
    if (s->ntasks * S > MT_MAX_TASKS * 8)
        return mt_fail(MT_ERR_ARG, "topology.subspaces: %d tasks x %d subspaces is too many", s->ntasks, S);
    return topo_cols_no_attach(s, "chooses the depth with beta; remove attach");
}

static mt_status sluice_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                              mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    mt_status st = sluice_validate(s);
    if (st) return st;
    sluice_state *Z = mt_calloc(1, sizeof *Z);
    if (!Z) return MT_ERR_NOMEM;
    Z->kind = TOPO_COLS_SLUICE;
    int T = Z->T = s->ntasks, L = Z->L = s->ntrunk, S = Z->S = (int)tparam_num(&s->params, sluice_params, "subspaces");
    Z->width = s->trunk[0];
    Z->ortho = tparam_num(&s->params, sluice_params, "ortho");
    int k = Z->width / S, TS = T * S;
    Z->P = mt_alloc_aligned((size_t)k * k * sizeof(float));
    Z->abuf = mt_alloc((size_t)TS * TS * sizeof *Z->abuf);
    if (!Z->P || !Z->abuf) {
        mt_free(Z->P);
        mt_free(Z->abuf);
        mt_free(Z);
        return MT_ERR_NOMEM;
    }
    for (int a = 0; a < TS; a++) {
        snprintf(Z->labels[a], sizeof Z->labels[a], "%.16s/%d", s->task[a / S].name, a % S + 1);
        Z->label_ptr[a] = Z->labels[a];
    }
    double init = tparam_num(&s->params, sluice_params, "init");
    char nm[MT_PARAM_NAME];
    mt_node h[MT_MAX_TASKS], mixed[MT_TOPO_MAXLAYERS][MT_MAX_TASKS];
    mt_node sub[MT_MAX_TASKS * 8], nsub[MT_MAX_TASKS * 8];
    for (int t = 0; t < T; t++) {
        snprintf(nm, sizeof nm, "col.%s.conv", s->task[t].name);
        h[t] = topo_front(g, s, x, in_c, nm, 0, NULL);
    }
    for (int l = 0; l < L; l++) {
        for (int t = 0; t < T; t++) {
            snprintf(nm, sizeof nm, "col.%s.%d", s->task[t].name, l);
            h[t] = topo_hidden(g, s, h[t], Z->width, nm, 0);
            snprintf(nm, sizeof nm, "col.%s.%d.weight", s->task[t].name, l);
            Z->w[l][t] = graph_find(g, nm);
            for (int q = 0; q < S; q++) sub[t * S + q] = S > 1 ? graph_slice_cols(g, h[t], q * k, k) : h[t];
        }
        snprintf(nm, sizeof nm, "sluice.%d.alpha", l);
        mt_node a = graph_param(g, nm, TS, TS, (mt_init){MT_INIT_IDENTITY, TS > 1 ? (float)init : 1.0f, TS > 1 ? 1.0f : 0.0f},
                                0, 0);
        Z->alpha[l] = a;
        for (int r = 0; r < TS; r++) nsub[r] = graph_lincomb(g, sub, TS, a, r, 0);
        for (int t = 0; t < T; t++) h[t] = mixed[l][t] = S > 1 ? graph_concat(g, &nsub[t * S], S) : nsub[t];
    }
    for (int t = 0; t < T; t++) {
        snprintf(nm, sizeof nm, "sluice.beta.%s", s->task[t].name);
        Z->beta[t] = graph_param_vec(g, nm, L, (mt_init){MT_INIT_CONST, 1.0f / (float)L, 0}, 1 + t, 0);
        mt_node xs[MT_TOPO_MAXLAYERS];
        for (int l = 0; l < L; l++) xs[l] = mixed[l][t];
        out->out[t] = topo_head(g, s, t, graph_lincomb(g, xs, L, Z->beta[t], 0, 0));
    }
    out->shared = MT_NONE;
    out->shared_weight = -1;
    out->state = Z;
    return MT_OK;
}

/* sum over subspace pairs s < s' of |A_s A_s'^T|_F^2 for one weight (width,
 * in) whose k-row blocks A_s produce the subspaces; with gr, c times its
 * gradient (2 P B into A's rows, 2 P^T A into B's) is added there; with
 * rel, the mean over pairs of |A B^T|^2 / (|A|^2 |B|^2) (in [0, 1]). */
static double sluice_overlap(const sluice_state *Z, const float *w, float *gr, int in, float c, double *rel)
{
    int k = Z->width / Z->S, pairs = 0;
    float *P = Z->P;
    double total = 0, r = 0;
    for (int a = 0; a < Z->S; a++)
        for (int b = a + 1; b < Z->S; b++) {
            const float *A = w + (size_t)a * k * in, *B = w + (size_t)b * k * in;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, k, in, 1.0f, A, in, B, in, 0.0f, P, k);
            double f = 0;
            for (int q = 0; q < k * k; q++) f += (double)P[q] * P[q];
            total += f;
            if (rel) {
                double na = linalg_dot_f(A, A, (size_t)k * in), nb = linalg_dot_f(B, B, (size_t)k * in);
                r += na > 0 && nb > 0 ? f / (na * nb) : 0;
                pairs++;
            }
            if (!gr) continue;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, in, k, 2 * c, P, k, B, in, 1.0f,
                        gr + (size_t)a * k * in, in);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, in, k, 2 * c, P, k, A, in, 1.0f,
                        gr + (size_t)b * k * in, in);
        }
    if (rel) *rel = pairs ? r / pairs : 0;
    return total;
}

/* ortho * sum_{s<s'} |A_s A_s'^T|_F^2 over every column and layer. */
static mt_status sluice_penalty(void *state, mt_graph *g, mt_params *p, double *value)
{
    sluice_state *Z = state;
    *value = 0;
    if (Z->ortho == 0 || Z->S < 2) return MT_OK;
    double total = 0;
    for (int l = 0; l < Z->L; l++)
        for (int t = 0; t < Z->T; t++) {
            float *gr;
            size_t n;
            float *w = topo_cols_param(g, p, Z->w[l][t], &gr, &n);
            if (!w || n % (size_t)Z->width)
                return mt_fail(MT_ERR_STATE, "sluice: the layer %d weight of column %d is not in the arena", l + 1, t + 1);
            total += Z->ortho * sluice_overlap(Z, w, gr, (int)(n / (size_t)Z->width), (float)Z->ortho, NULL);
        }
    *value = total;
    return MT_OK;
}

static void sluice_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    sluice_state *Z = state;
    mt_params *p = graph_params(g);
    int TS = Z->T * Z->S;
    char nm[48];
    for (int l = 0; l < Z->L; l++) {
        size_t n = 0;
        const float *a = topo_cols_param(g, p, Z->alpha[l], NULL, &n);
        if (!a || n != (size_t)TS * TS) return;
        for (size_t q = 0; q < n; q++) Z->abuf[q] = a[q];
        snprintf(nm, sizeof nm, "sluice alpha L%d", l + 1);
        fn(ud, nm, TS, TS, Z->abuf, Z->label_ptr, Z->label_ptr, -1, 1); /* signed */
    }
    double B[MT_MAX_TASKS * MT_TOPO_MAXLAYERS];
    for (int t = 0; t < Z->T; t++) {
        size_t n = 0;
        const float *b = topo_cols_param(g, p, Z->beta[t], NULL, &n);
        if (!b || n != (size_t)Z->L) return;
        for (int l = 0; l < Z->L; l++) B[t * Z->L + l] = b[l];
    }
    fn(ud, "sluice beta", Z->T, Z->L, B, NULL, NULL, 0, 1);
    if (Z->S < 2) return;
    for (int t = 0; t < Z->T; t++)
        for (int l = 0; l < Z->L; l++) {
            size_t n = 0;
            const float *w = topo_cols_param(g, p, Z->w[l][t], NULL, &n);
            if (!w || n % (size_t)Z->width) return;
            sluice_overlap(Z, w, NULL, (int)(n / (size_t)Z->width), 0, &B[t * Z->L + l]);
        }
    fn(ud, "sluice subspace overlap", Z->T, Z->L, B, NULL, NULL, 0, 1);
}

static void sluice_free(void *state)
{
    sluice_state *Z = state;
    if (!Z) return;
    mt_free(Z->P);
    mt_free(Z->abuf);
    mt_free(Z);
}

static size_t sluice_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    int S = (int)tparam_num(&s->params, sluice_params, "subspaces"), T = s->ntasks;
    double init = tparam_num(&s->params, sluice_params, "init"), ortho = tparam_num(&s->params, sluice_params, "ortho");
    topo_cols_printf(buf, n, &w, "sluice network (%s): %d task columns x %d subspaces\n", topo_act_name(s->act), T, S);
    topo_cols_printf(buf, n, &w, "input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++)
        topo_cols_printf(buf, n, &w, "  | conv 5x5 -> %d ch, pool 2   [per column]\n", s->conv[i]);
    for (int l = 0; l < s->ntrunk; l++) {
        topo_cols_printf(buf, n, &w, "  | col.*.%d  dense %d%s = %d subspaces of %d\n", l, s->trunk[l],
                         topo_cols_norm_tag(s), S, S ? s->trunk[l] / S : 0);
        topo_cols_printf(buf, n, &w, "  |   [X] alpha %dx%d over tasks x subspaces (init %.2f)\n", T * S, T * S, init);
    }
    if (ortho > 0 && S > 1) topo_cols_printf(buf, n, &w, "  |   orthogonality penalty %g between subspaces\n", ortho);
    for (int t = 0; t < T; t++) {
        char what[48];
        snprintf(what, sizeof what, "beta mix of layers 1..%d", s->ntrunk);
        topo_cols_describe_head(s, t, what, buf, n, &w);
    }
    return w;
}

const mt_topo_class topo_class_sluice = {
    .name = "sluice",
    .summary = "sluice networks: subspaces mixed across tasks (alpha), layers mixed per task (beta), orthogonality",
    .params = sluice_params,
    .validate = sluice_validate,
    .build = sluice_build,
    .describe = sluice_describe,
    .hooks = {.penalty = sluice_penalty, .publish = sluice_publish, .free = sluice_free},
};
