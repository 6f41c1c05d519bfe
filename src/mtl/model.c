/* model.c - what every non-graph model shares: gathering the labelled
 * training pairs, the object's lifecycle, and its hooks as a topology. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/mem.h"

const mt_model_class *model_class_of(const mt_topo_spec *s)
{
    const mt_topo_class *c = s->cls ? s->cls : topo_find(s->type);
    return c ? c->model : NULL;
}

static int labelled(const mt_target *tg, int row) { return !tg->mask || tg->mask[row]; }

int model_count_obs(const mt_dataset *ds, const mt_index *train, const int *targets, int T)
{
    int n = 0;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < train->n; i++) n += labelled(&ds->targets[targets[t]], train->idx[i]);
    return n;
}

void model_free(mt_model *m)
{
    if (!m) return;
    if (m->impl && m->cls->free_impl) m->cls->free_impl(m->impl);
    params_free(&m->arena);
    mt_free(m->X);
    mt_free(m->y);
    mt_free(m->task);
    mt_free(m->loo);
    mt_free(m);
}

mt_status model_check_data(const mt_topo_spec *s, const mt_dataset *ds, const mt_index *train, const int *targets)
{
    const mt_topo_class *tc = s->cls ? s->cls : topo_find(s->type);
    const char *name = tc ? tc->name : s->type;
    for (int t = 0; t < s->ntasks; t++)
        if (ds->targets[targets[t]].dim != 1 || ds->targets[targets[t]].kind != MT_TARGET_REGRESS)
            return mt_fail(MT_ERR_ARG, "%s: task %s: a model needs one real-valued target per task", name,
                           s->task[t].name);
    int n = model_count_obs(ds, train, targets, s->ntasks);
    if (n < 1) return mt_fail(MT_ERR_ARG, "%s: no labelled training examples", name);
    if (n > MT_MODEL_MAX_OBS)
        return mt_fail(MT_ERR_ARG,
                       "%s: %d labelled training pairs (examples x tasks), at most %d: an exact model factorises "
                       "an N x N matrix every step (O(N^3) time, 8 N^2 bytes: %.0f MB here); use fewer training "
                       "examples (data.train) or tasks",
                       name, n, MT_MODEL_MAX_OBS, 8.0 * n * (double)n / 1e6);
    if (tc && tc->model && tc->model->max_dim && ds->d > tc->model->max_dim)
        return mt_fail(MT_ERR_ARG, "%s: %d input features, at most %d", name, ds->d, tc->model->max_dim);
    return MT_OK;
}

mt_status model_new(const mt_topo_spec *s, const mt_dataset *ds, const mt_index *train, const int *targets,
                    uint64_t seed, mt_model **out)
{
    *out = NULL;
    const mt_topo_class *tc = s->cls ? s->cls : topo_find(s->type);
    if (!tc || !tc->model) return mt_fail(MT_ERR_ARG, "topology: %s is not a model", s->type);
    mt_status st = model_check_data(s, ds, train, targets);
    if (st) return st;
    int T = s->ntasks, d = ds->d, n = model_count_obs(ds, train, targets, T);
    mt_model *m = mt_calloc(1, sizeof *m);
    if (!m) return MT_ERR_NOMEM;
    m->cls = tc->model;
    m->topo = tc;
    m->params = s->params;
    m->T = T, m->d = d, m->n = n, m->seed = seed;
    params_init(&m->arena);
    for (int t = 0; t < T; t++) snprintf(m->task_name[t], sizeof m->task_name[t], "%s", s->task[t].name);
    m->X = mt_alloc((size_t)n * d * sizeof *m->X);
    m->y = mt_alloc((size_t)n * sizeof *m->y);
    m->task = mt_alloc((size_t)n * sizeof *m->task);
    m->loo = mt_calloc((size_t)n, sizeof *m->loo);
    if (!m->X || !m->y || !m->task || !m->loo) {
        model_free(m);
        return MT_ERR_NOMEM;
    }
    int k = 0;
    for (int t = 0; t < T; t++) {
        const mt_target *tg = &ds->targets[targets[t]];
        for (int i = 0; i < train->n; i++) {
            int row = train->idx[i];
            if (!labelled(tg, row)) continue;
            for (int j = 0; j < d; j++) m->X[(size_t)k * d + j] = ds->x[(size_t)row * d + j];
            m->y[k] = tg->y[row];
            m->task[k++] = t;
        }
    }
    st = m->cls->create(m);
    if (st) {
        model_free(m);
        return mt_fail_prefix(st, "%s", tc->name);
    }
    *out = m;
    return MT_OK;
}

void model_single_task(mt_topo_spec *s, int t, int T)
{
    const mt_model_class *mc = model_class_of(s);
    if (mc && mc->single_task) mc->single_task(&s->params, t, T);
}

void model_hook_publish(void *state, mt_graph *g, mt_publish_fn fn, void *ud)
{
    (void)g;
    mt_model *m = state;
    if (m && m->cls->publish) m->cls->publish(m, fn, ud);
}

void model_hook_free(void *state) { model_free(state); }

void model_view_store(const mt_model *m, const double *v, float *buf)
{
    for (int i = 0; i < m->arena.count; i++) {
        const mt_param_info *pi = &m->arena.info[i];
        for (size_t k = 0; k < pi->size; k++) buf[pi->offset + k] = (float)*v++;
    }
}

void model_view_load(const mt_model *m, const float *buf, double *v)
{
    for (int i = 0; i < m->arena.count; i++) {
        const mt_param_info *pi = &m->arena.info[i];
        for (size_t k = 0; k < pi->size; k++) *v++ = buf[pi->offset + k];
    }
}

void model_feature_label(const mt_model *m, int j, int bias, char *out, size_t n)
{
    if (bias && j == m->d) snprintf(out, n, "bias");
    else snprintf(out, n, "x%d", j + 1);
}

/* The model classes in registry order, for the docs and --list-models. */
static int model_at(int k, const mt_topo_class **out)
{
    for (int i = 0, seen = 0; i < topo_class_count(); i++) {
        const mt_topo_class *c = topo_class_at(i);
        if (c->model && seen++ == k) {
            *out = c;
            return 1;
        }
    }
    return 0;
}

size_t model_markdown(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    const mt_topo_class *c;
    tparam_md_printf(&o, "| model | parameters (defaults) | what it is |\n| --- | --- | --- |\n");
    for (int k = 0; model_at(k, &c); k++) {
        tparam_md_printf(&o, "| `mtl.model.%s` | ", c->name);
        tparam_md_defaults(&o, c->params);
        tparam_md_printf(&o, " | ");
        tparam_md_text(&o, c->summary);
        tparam_md_printf(&o, " |\n");
    }
    tparam_md_printf(&o, "\n| model | parameter | default | allowed | meaning |\n| --- | --- | --- | --- | --- |\n");
    for (int k = 0; model_at(k, &c); k++) {
        char owner[64];
        snprintf(owner, sizeof owner, "`%s`", c->name);
        tparam_md_rows(&o, owner, c->params);
    }
    return o.w;
}

size_t model_text(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    const mt_topo_class *c;
    tparam_md_printf(&o, "non-graph models (survey section 5): topology = mtl.model.NAME { ... }\n");
    for (int k = 0; model_at(k, &c); k++) {
        tparam_md_printf(&o, "  %-12s %s\n", c->name, c->summary);
        tparam_text_rows(&o, c->params);
    }
    return o.w;
}
