/* topo_stitch.c - cross-stitch networks (Misra et al. 2016; survey section
 * 6.3): task columns whose layer outputs are mixed by learned alpha units,
 * one T x T matrix per stitched layer or one coefficient per unit. See
 * topo_columns.h for names and groups. */
#include <stdio.h>
#include <string.h>
#include "core/mem.h"
#include "topo_columns_impl.h"

typedef struct {
    topo_cols_kind kind;
    int T, L, per_channel;
    int width[MT_TOPO_MAXLAYERS];
    int stitched[MT_TOPO_MAXLAYERS];
    /* alpha[l][0] the (T, T) parameter, or alpha[l][i*T+j] the (1, n) ones */
    mt_node alpha[MT_TOPO_MAXLAYERS][MT_MAX_TASKS * MT_MAX_TASKS];
} stitch_state;

static const mt_tparam_def stitch_params[] = {
    {"after", MT_TP_INTS, 0, 1, MT_TOPO_MAXLAYERS, NULL,
     "trunk layers (1-based) followed by cross-stitch units; default every layer", .flags = MT_TPF_DERIVED},
    {"per_channel", MT_TP_BOOL, 0, 0, 1, NULL, "one T x T unit per channel (unit) of the layer instead of one per layer"},
    {"init", MT_TP_NUMBER, 0.9, 0, 1, NULL, "initial diagonal of alpha; the rest of each row is (1-init)/(T-1)"},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

/* stitched[l] = 1 for every layer after which columns are mixed. */
static mt_status stitch_layers(const mt_topo_spec *s, int *stitched)
{
    double a[MT_TOPO_MAXLAYERS];
    int n = tparam_list(&s->params, "after", a, MT_TOPO_MAXLAYERS);
    for (int l = 0; l < MT_TOPO_MAXLAYERS; l++) stitched[l] = n == 0 && l < s->ntrunk;
    for (int k = 0; k < n; k++) {
        int l = (int)a[k];
        if (l < 1 || l > s->ntrunk)
            return mt_fail(MT_ERR_ARG, "topology.after[%d]: expected a trunk layer 1..%d, got %d", k + 1, s->ntrunk, l);
        if (stitched[l - 1]) return mt_fail(MT_ERR_ARG, "topology.after[%d]: layer %d listed twice", k + 1, l);
        stitched[l - 1] = 1;
    }
    return MT_OK;
}

static mt_status stitch_validate(const mt_topo_spec *s)
{
    int stitched[MT_TOPO_MAXLAYERS];
    if (s->ntrunk < 1)
        return mt_fail(MT_ERR_ARG, "topology.trunk: cross-stitch needs at least one layer per column to stitch");
    return stitch_layers(s, stitched);
}

/* x~_i = sum_j alpha_ij (per unit) x_j as sum_j x_j .* broadcast(alpha_ij):
 * the (1, n) row is broadcast over the batch by adding it to zeros. */
static mt_node stitch_unit_mix(mt_graph *g, const mt_node *h, int T, mt_node zeros, const mt_node *a_row)
{
    mt_node acc = MT_NONE;
    for (int j = 0; j < T; j++) {
        mt_node term = graph_mul(g, h[j], graph_bias(g, zeros, a_row[j]));
        acc = j == 0 ? term : graph_add(g, acc, term);
    }
    return acc;
}

static mt_status stitch_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                              mt_topo_built *out)
{
    (void)in_h;
    (void)in_w;
    mt_status st = stitch_validate(s);
    if (st) return st;
    stitch_state *S = mt_calloc(1, sizeof *S);
    if (!S) return MT_ERR_NOMEM;
    S->kind = TOPO_COLS_STITCH;
    int T = S->T = s->ntasks;
    S->L = s->ntrunk;
    S->per_channel = tparam_num(&s->params, stitch_params, "per_channel") != 0;
    stitch_layers(s, S->stitched);
    double init = tparam_num(&s->params, stitch_params, "init");
    float diag = T > 1 ? (float)init : 1.0f, off = T > 1 ? (float)((1 - init) / (T - 1)) : 0.0f;
    int last = -1;
    for (int l = 0; l < s->ntrunk; l++)
        if (S->stitched[l]) last = l;
    char nm[MT_PARAM_NAME];
    mt_node h[MT_MAX_TASKS], nh[MT_MAX_TASKS], level[MT_TOPO_MAXLAYERS + 1][MT_MAX_TASKS];
    for (int t = 0; t < T; t++) {
        snprintf(nm, sizeof nm, "col.%s.conv", s->task[t].name);
        h[t] = level[0][t] = topo_front(g, s, x, in_c, nm, last >= 0 ? 0 : 1 + t, NULL);
    }
    for (int l = 0; l < s->ntrunk; l++) {
        S->width[l] = s->trunk[l];
        for (int t = 0; t < T; t++) {
            snprintf(nm, sizeof nm, "col.%s.%d", s->task[t].name, l);
            h[t] = topo_hidden(g, s, h[t], s->trunk[l], nm, l <= last ? 0 : 1 + t);
        }
        if (S->stitched[l] && !S->per_channel) {
            snprintf(nm, sizeof nm, "stitch.%d.alpha", l);
            mt_node a = graph_param(g, nm, T, T, (mt_init){MT_INIT_IDENTITY, diag, T > 1 ? 1.0f : 0.0f}, 0, 0);
            S->alpha[l][0] = a;
            for (int i = 0; i < T; i++) nh[i] = graph_lincomb(g, h, T, a, i, 0);
            memcpy(h, nh, sizeof h);
        } else if (S->stitched[l]) {
            mt_node zeros = graph_scale(g, h[0], 0.0f);
            for (int i = 0; i < T; i++) {
                for (int j = 0; j < T; j++) {
                    snprintf(nm, sizeof nm, "stitch.%d.alpha.%s.%s", l, s->task[i].name, s->task[j].name);
                    S->alpha[l][i * T + j] = graph_param_vec(g, nm, s->trunk[l],
                                                         (mt_init){MT_INIT_CONST, i == j ? diag : off, 0}, 0, 0);
                }
                nh[i] = stitch_unit_mix(g, h, T, zeros, &S->alpha[l][i * T]);
            }
            memcpy(h, nh, sizeof h);
        }
        memcpy(level[l + 1], h, sizeof h);
    }
    for (int t = 0; t < T; t++) out->out[t] = topo_head(g, s, t, level[topo_cols_attach(s, t)][t]);
    out->shared = MT_NONE;
    out->shared_weight = -1;
    out->state = S;
    return MT_OK;
}

static void stitch_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    stitch_state *S = state;
    mt_params *p = graph_params(g);
    int T = S->T;
    double A[MT_MAX_TASKS * MT_MAX_TASKS];
    for (int l = 0; l < S->L; l++) {
        if (!S->stitched[l]) continue;
        for (int k = 0; k < T * T; k++) {
            size_t n = 0;
            const float *a = topo_cols_param(g, p, S->alpha[l][S->per_channel ? k : 0], NULL, &n);
            if (!a) return;
            if (!S->per_channel) {
                A[k] = a[k];
                continue;
            }
            double m = 0;
            for (size_t u = 0; u < n; u++) m += a[u];
            A[k] = n ? m / (double)n : 0;
        }
        char nm[48];
        snprintf(nm, sizeof nm, "cross-stitch alpha L%d", l + 1);
        fn(ud, nm, T, T, A, NULL, NULL, -1, 1); /* signed: a column may read another negatively */
    }
}

static void stitch_free(void *state) { mt_free(state); }

static size_t stitch_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    int stitched[MT_TOPO_MAXLAYERS];
    if (stitch_layers(s, stitched)) {
        mt_clear_error();
        memset(stitched, 0, sizeof stitched);
    }
    int pc = tparam_num(&s->params, stitch_params, "per_channel") != 0;
    double init = tparam_num(&s->params, stitch_params, "init");
    topo_cols_printf(buf, n, &w, "cross-stitch network (%s): %d task columns\n", topo_act_name(s->act), s->ntasks);
    topo_cols_printf(buf, n, &w, "input %d\n", in_dim);
    for (int i = 0; i < s->nconv; i++)
        topo_cols_printf(buf, n, &w, "  | conv 5x5 -> %d ch, pool 2   [per column]\n", s->conv[i]);
    for (int l = 0; l < s->ntrunk; l++) {
        topo_cols_printf(buf, n, &w, "  | col.*.%d  dense %d%s in each column\n", l, s->trunk[l], topo_cols_norm_tag(s));
        if (!stitched[l]) continue;
        if (pc)
            topo_cols_printf(buf, n, &w, "  |   [X] stitch: alpha %dx%d for each of %d units (init %.2f)\n", s->ntasks,
                             s->ntasks, s->trunk[l], s->ntasks > 1 ? init : 1.0);
        else
            topo_cols_printf(buf, n, &w, "  |   [X] stitch: alpha %dx%d mixes the columns (init %.2f)\n", s->ntasks,
                             s->ntasks, s->ntasks > 1 ? init : 1.0);
    }
    topo_cols_describe_own_heads(s, buf, n, &w);
    return w;
}

const mt_topo_class topo_class_cross_stitch = {
    .name = "cross_stitch",
    .summary = "cross-stitch networks: task columns mixed by learned alpha units after chosen layers",
    .params = stitch_params,
    .validate = stitch_validate,
    .build = stitch_build,
    .describe = stitch_describe,
    .hooks = {.publish = stitch_publish, .free = stitch_free},
};
