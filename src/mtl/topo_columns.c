/* topo_columns.c - helpers shared by the column family of topologies. */
#include <stdarg.h>
#include <stdio.h>
#include "topo_columns_impl.h"

void topo_cols_printf(char *buf, size_t n, size_t *w, const char *fmt, ...)
{
    if (!n || *w >= n - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf + *w, n - *w, fmt, ap);
    va_end(ap);
    if (r > 0) *w += (size_t)r < n - *w ? (size_t)r : n - *w - 1;
}

float *topo_cols_param(mt_graph *g, mt_params *p, mt_node nd, float **grad, size_t *size)
{
    int i = graph_param_index(g, nd);
    if (i < 0 || i >= p->count || !p->data || !p->grad) return NULL;
    if (grad) *grad = p->grad + p->info[i].offset;
    if (size) *size = p->info[i].size;
    return p->data + p->info[i].offset;
}

mt_status topo_cols_strengths(const mt_tparams *p, const mt_tparam_def *defs, const char *key,
                              int nlayers, double *out)
{
    double v[MT_TOPO_MAXLAYERS];
    int n = tparam_list(p, key, v, MT_TOPO_MAXLAYERS);
    if (n == 0) {
        const mt_tparam_def *d = tparam_def(defs, key);
        v[0] = d ? d->dflt : 0;
        n = 1;
    }
    if (n != 1 && n != nlayers)
        return mt_fail(MT_ERR_ARG, "topology.%s: %d entries for %d trunk layers (give one number or one per layer)",
                       key, n, nlayers);
    for (int l = 0; l < nlayers; l++) out[l] = n == 1 ? v[0] : v[l];
    return MT_OK;
}

int topo_cols_attach(const mt_topo_spec *s, int t)
{
    return s->task[t].attach ? s->task[t].attach : s->ntrunk;
}

mt_node topo_cols_dense_act(mt_graph *g, const mt_topo_spec *s, mt_node h, mt_node w,
                            const char *prefix, int group)
{
    char nm[MT_PARAM_NAME];
    mt_node z = graph_dense(g, h, w);
    snprintf(nm, sizeof nm, "%s.bias", prefix);
    mt_node b = graph_param_vec(g, nm, graph_cols(g, z) > 0 ? graph_cols(g, z) : 1, (mt_init){MT_INIT_ZEROS, 0, 0},
                                group, 0);
    return topo_hidden_tail(g, s, graph_bias(g, z, b), prefix, group);
}

void topo_cols_describe_own_heads(const mt_topo_spec *s, char *buf, size_t n, size_t *w)
{
    for (int t = 0; t < s->ntasks; t++) {
        char what[48];
        if (topo_cols_attach(s, t) == s->ntrunk) snprintf(what, sizeof what, "own column");
        else snprintf(what, sizeof what, "own column, layer %d", topo_cols_attach(s, t));
        topo_cols_describe_head(s, t, what, buf, n, w);
    }
}

void topo_cols_describe_head(const mt_topo_spec *s, int t, const char *what, char *buf, size_t n,
                             size_t *w)
{
    const mt_topo_task *k = &s->task[t];
    int nh;
    const int *hs = topo_task_head(s, t, &nh);
    topo_cols_printf(buf, n, w, "  +--> %s%s: ", k->name, k->aux ? " (aux)" : "");
    if (what && *what) topo_cols_printf(buf, n, w, "%s -> ", what);
    for (int i = 0; i < nh; i++) topo_cols_printf(buf, n, w, "dense %d -> ", hs[i]);
    topo_cols_printf(buf, n, w, "out %d\n", k->out_dim);
}

const char *topo_cols_norm_tag(const mt_topo_spec *s)
{
    if (s->norm == MT_NORM_BATCH) return s->dropout > 0 ? " +bn +dropout" : " +bn";
    if (s->norm == MT_NORM_LAYER) return s->dropout > 0 ? " +ln +dropout" : " +ln";
    return s->dropout > 0 ? " +dropout" : "";
}

mt_status topo_cols_no_attach(const mt_topo_spec *s, const char *why)
{
    for (int t = 0; t < s->ntasks; t++)
        if (s->task[t].attach)
            return mt_fail(MT_ERR_ARG, "tasks[%d].attach: %s topology %s", t + 1, s->type, why);
    return MT_OK;
}
