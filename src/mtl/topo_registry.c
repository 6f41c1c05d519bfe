/* topo_registry.c - the topologies and regularisers a script can name, in
 * the order `mtlab check`, the docs and the messages list them. A class is
 * a const mt_topo_class (or mt_reg_class) defined beside its builder; adding
 * one is one line here. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/strutil.h"
#include "topology.h"

extern const mt_topo_class topo_class_hard, topo_class_soft, topo_class_cross_stitch, topo_class_sluice,
    topo_class_jmt, topo_class_tensor, topo_class_mmoe, topo_class_omoe, topo_class_cgc, topo_class_ple, topo_class_dselect_k,
    topo_class_fafs, topo_class_groups, topo_class_drn, topo_class_mtan, topo_class_landscape, topo_class_krr, topo_class_gp, topo_class_hier_bayes;
extern const mt_reg_class reg_class_block_sparse, reg_class_mean_reg, reg_class_cluster, reg_class_task_cov;

static const mt_topo_class *const topo_classes[] = {
    &topo_class_hard,         /* topo_hard.c: survey 3.1 */
    &topo_class_soft,         /* topo_soft.c: 3.2 */
    &topo_class_cross_stitch, /* topo_stitch.c: 6.3 */
    &topo_class_sluice,       /* topo_sluice.c: 6.8 */
    &topo_class_jmt,          /* topo_jmt.c: 6.5 */
    &topo_class_tensor,       /* topo_tensor.c: 6.7 */
    &topo_class_mtan,         /* topo_mtan.c: Liu et al. 2019 */
    &topo_class_mmoe,         /* topo_moe.c: Ma et al. 2018 */
    &topo_class_omoe,
    &topo_class_cgc,          /* topo_moe.c: Tang et al. 2020 */
    &topo_class_ple,
    &topo_class_dselect_k,    /* topo_moe.c: Hazimeh et al. 2021 */
    &topo_class_fafs,         /* topo_fafs.c: 6.2 */
    &topo_class_groups,       /* topo_groups.c: 6.9 */
    &topo_class_drn,          /* topo_drn.c: 6.1 */
    &topo_class_landscape,    /* topo_landscape.c: two-objective toys */
    &topo_class_krr,          /* model_classes.c: non-graph models, survey 5 */
    &topo_class_gp,
    &topo_class_hier_bayes,
};

static const mt_reg_class *const reg_classes[] = {
    &reg_class_block_sparse, /* reg_block.c: l1/l2, l1/linf, dirty (survey 5.1) */
    &reg_class_mean_reg,     /* reg_relate.c: Evgeniou & Pontil 2004 (5.2) */
    &reg_class_cluster,      /* reg_relate.c: Jacob et al. 2009 (5.2) */
    &reg_class_task_cov,     /* reg_relate.c: Zhang & Yeung 2010 (5.2) */
};

#define NTOPO ((int)(sizeof topo_classes / sizeof topo_classes[0]))
#define NREG ((int)(sizeof reg_classes / sizeof reg_classes[0]))

int topo_class_count(void) { return NTOPO; }
const mt_topo_class *topo_class_at(int i) { return i >= 0 && i < NTOPO ? topo_classes[i] : NULL; }
int reg_class_count(void) { return NREG; }
const mt_reg_class *reg_class_at(int i) { return i >= 0 && i < NREG ? reg_classes[i] : NULL; }

/* Other names a topology answers to: LibMTL's architecture names (the
 * class names of its LibMTL/architecture folder) and common ones. Matched
 * like the names: case-insensitive, '-' as '_'. */
static const struct {
    const char *alias, *name;
} topo_alias_table[] = {
    {"HPS", "hard"}, {"Cross_stitch", "cross_stitch"}, {"MMoE", "mmoe"}, {"CGC", "cgc"}, {"PLE", "ple"},
    {"MTAN", "mtan"}, {"DSelect_k", "dselect_k"},
};
#define NTALIASES ((int)(sizeof topo_alias_table / sizeof topo_alias_table[0]))

void topo_aliases(const char *name, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    for (int i = 0; i < NTALIASES && w + 1 < n; i++) {
        if (strcmp(topo_alias_table[i].name, name) != 0) continue;
        int r = snprintf(buf + w, n - w, "%s%s", w ? ", " : "", topo_alias_table[i].alias);
        if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
    }
}

const mt_topo_class *topo_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < NTOPO; i++)
        if (strcmp(topo_classes[i]->name, name) == 0) return topo_classes[i];
    for (int i = 0; i < NTOPO; i++)
        if (mt_name_eq(topo_classes[i]->name, name)) return topo_classes[i];
    for (int i = 0; i < NTALIASES; i++)
        if (mt_name_eq(topo_alias_table[i].alias, name)) return topo_find(topo_alias_table[i].name);
    return NULL;
}

const mt_reg_class *reg_find(const char *name)
{
    for (int i = 0; i < NREG; i++)
        if (strcmp(reg_classes[i]->name, name) == 0) return reg_classes[i];
    return NULL;
}

const char *topo_names(void)
{
    static char buf[1024];
    buf[0] = '\0';
    for (int i = 0; i < NTOPO; i++) {
        strncat(buf, topo_classes[i]->name, sizeof buf - strlen(buf) - 3);
        if (i + 1 < NTOPO) strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

const char *reg_names(void)
{
    static char buf[1024];
    buf[0] = '\0';
    for (int i = 0; i < NREG; i++) {
        strncat(buf, reg_classes[i]->name, sizeof buf - strlen(buf) - 3);
        if (i + 1 < NREG) strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
    }
    return buf[0] ? buf : "none";
}

size_t topo_markdown(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    tparam_md_printf(&o, "| class | parameters (defaults) | what it is |\n| --- | --- | --- |\n");
    for (int i = 0; i < NTOPO + NREG; i++) {
        if (i < NTOPO && topo_classes[i]->model) continue; /* mtl.model.*: model_markdown */
        const char *name = i < NTOPO ? topo_classes[i]->name : reg_classes[i - NTOPO]->name;
        const char *sum = i < NTOPO ? topo_classes[i]->summary : reg_classes[i - NTOPO]->summary;
        const mt_tparam_def *defs = i < NTOPO ? topo_classes[i]->params : reg_classes[i - NTOPO]->params;
        char al[96] = "";
        if (i < NTOPO) topo_aliases(name, al, sizeof al);
        tparam_md_printf(&o, "| `mtl.%s.%s`%s%s%s | ", i < NTOPO ? "share" : "reg", name, al[0] ? " (" : "", al,
                         al[0] ? ")" : "");
        tparam_md_defaults(&o, defs);
        tparam_md_printf(&o, " | ");
        tparam_md_text(&o, sum);
        tparam_md_printf(&o, " |\n");
    }
    tparam_md_printf(&o, "\n| class | parameter | default | allowed | meaning |\n| --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < NTOPO + NREG; i++) {
        if (i < NTOPO && topo_classes[i]->model) continue;
        char owner[64];
        snprintf(owner, sizeof owner, "`%s`", i < NTOPO ? topo_classes[i]->name : reg_classes[i - NTOPO]->name);
        tparam_md_rows(&o, owner, i < NTOPO ? topo_classes[i]->params : reg_classes[i - NTOPO]->params);
    }
    return o.w;
}

size_t topo_text(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    for (int i = 0; i < NTOPO + NREG; i++) {
        if (i == 0) tparam_md_printf(&o, "topologies: topology = mtl.share.NAME { trunk, head, conv, act, norm, dropout, ... }\n");
        if (i == NTOPO)
            tparam_md_printf(&o, "\nnon-graph models, topology = mtl.model.NAME { ... }: mtlab --list-models\n"
                                 "\nregularisers: regularizers = { mtl.reg.NAME { ... }, ... }\n");
        if (i < NTOPO && topo_classes[i]->model) continue;
        const char *name = i < NTOPO ? topo_classes[i]->name : reg_classes[i - NTOPO]->name;
        const char *sum = i < NTOPO ? topo_classes[i]->summary : reg_classes[i - NTOPO]->summary;
        tparam_md_printf(&o, "  %-14s %s\n", name, sum);
        tparam_text_rows(&o, i < NTOPO ? topo_classes[i]->params : reg_classes[i - NTOPO]->params);
    }
    return o.w;
}

size_t topo_appendf(char *buf, size_t n, size_t w, const char *fmt, ...)
{
    if (w + 1 >= n) return w;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf + w, n - w, fmt, ap);
    va_end(ap);
    if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
    return w;
}

void topo_spec_default(mt_topo_spec *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->type, sizeof s->type, "hard");
    s->trunk[0] = 64;
    s->ntrunk = 1;
    s->act = MT_ACT_RELU;
    s->norm = MT_NORM_NONE;
}

static const char *const act_names[] = {"relu", "tanh", "gelu", "leaky_relu", "sigmoid"};

const char *topo_act_name(mt_act a) { return (int)a >= 0 && a <= MT_ACT_SIGMOID ? act_names[a] : "?"; }

int topo_act_parse(const char *s, mt_act *out)
{
    for (int i = 0; i <= MT_ACT_SIGMOID; i++)
        if (strcmp(s, act_names[i]) == 0) {
            *out = (mt_act)i;
            return 1;
        }
    return 0;
}

void topo_resolve(mt_topo_spec *s) { s->cls = topo_find(s->type); }

mt_status topo_validate(const mt_topo_spec *s)
{
    const mt_topo_class *cls = topo_find(s->type);
    if (!cls) return mt_fail(MT_ERR_ARG, "topology: unknown sharing \"%s\" (available: %s)", s->type, topo_names());
    if (s->ntasks < 1 || s->ntasks > MT_MAX_TASKS)
        return mt_fail(MT_ERR_ARG, "tasks: %d tasks (1..%d supported)", s->ntasks, MT_MAX_TASKS);
    if (s->ntrunk < 0 || s->ntrunk > MT_TOPO_MAXLAYERS)
        return mt_fail(MT_ERR_ARG, "topology.trunk: %d layers (0..%d supported)", s->ntrunk, MT_TOPO_MAXLAYERS);
    for (int i = 0; i < s->ntrunk; i++)
        if (s->trunk[i] < 1)
            return mt_fail(MT_ERR_ARG, "topology.trunk[%d]: expected a positive width, got %d", i + 1, s->trunk[i]);
    for (int i = 0; i < s->nconv; i++)
        if (s->conv[i] < 1)
            return mt_fail(MT_ERR_ARG, "topology.conv[%d]: expected a positive channel count, got %d", i + 1,
                           s->conv[i]);
    for (int i = 0; i < s->nhead; i++)
        if (s->head[i] < 1)
            return mt_fail(MT_ERR_ARG, "topology.head[%d]: expected a positive width, got %d", i + 1, s->head[i]);
    if (s->dropout < 0 || s->dropout >= 1)
        return mt_fail(MT_ERR_ARG, "topology.dropout: expected a value in [0, 1), got %g", (double)s->dropout);
    for (int t = 0; t < s->ntasks; t++) {
        const mt_topo_task *k = &s->task[t];
        if (k->attach < 0 || k->attach > s->ntrunk)
            return mt_fail(MT_ERR_ARG, "tasks[%d].attach: expected a trunk layer 1..%d (0 = last), got %d", t + 1,
                           s->ntrunk, k->attach);
        if (k->out_dim < 1) return mt_fail(MT_ERR_ARG, "tasks[%d]: output size %d", t + 1, k->out_dim);
        if (k->nhead > MT_TOPO_MAXLAYERS) return mt_fail(MT_ERR_ARG, "tasks[%d].head: too many layers", t + 1);
    }
    mt_status st = tparam_validate(&s->params, cls->params, "topology", cls->name);
    if (st) return st;
    return cls->validate ? cls->validate(s) : MT_OK;
}

mt_status topo_build(mt_graph *g, const mt_topo_spec *s, mt_node x, int in_c, int in_h, int in_w,
                     mt_topo_built *out)
{
    memset(out, 0, sizeof *out);
    out->shared = MT_NONE;
    out->shared_weight = -1;
    const mt_topo_class *c = s->cls ? s->cls : topo_find(s->type);
    if (!c) return mt_fail(MT_ERR_ARG, "topology: unknown sharing \"%s\"", s->type);
    if (!c->build) return mt_fail(MT_ERR_ARG, "topology: %s is a model, not a network", s->type);
    return c->build(g, s, x, in_c, in_h, in_w, out);
}

void topo_count_params(mt_graph *g, const mt_topo_spec *s, mt_topo_built *b)
{
    mt_params *p = graph_params(g);
    b->n_shared = params_count_group(p, 0);
    for (int t = 0; t < s->ntasks; t++) b->n_task[t] = params_count_group(p, 1 + t);
    if (b->shared_weight >= 0) b->shared_weight = graph_param_index(g, b->shared_weight);
}

size_t topo_describe(const mt_topo_spec *s, int in_dim, char *buf, size_t n)
{
    const mt_topo_class *c = s->cls ? s->cls : topo_find(s->type);
    if (!c || !c->describe) {
        if (n) snprintf(buf, n, "%s\n", s->type);
        return n ? strlen(buf) : 0;
    }
    return c->describe(s, in_dim, buf, n);
}

void topo_built_free(const mt_topo_spec *s, mt_topo_built *b)
{
    const mt_topo_class *c = s->cls ? s->cls : topo_find(s->type);
    if (b->state && c && c->hooks.free) c->hooks.free(b->state);
    b->state = NULL;
}
