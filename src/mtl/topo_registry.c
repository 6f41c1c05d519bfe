/* topo_registry.c - the topologies and regularisers a script can name,
 * and the generic parameter accessors.
 *
 * Each family of classes lists itself in its own include file (one owner
 * per file), so adding a topology never touches another's code:
 *   topo_classes_columns.inc  soft sharing, cross-stitch, sluice, JMT, tensor factorisation
 *   topo_classes_experts.inc  MMoE, OMoE, CGC, PLE, deep relationship networks, FAFS
 *   reg_classes.inc           block-sparse, mean-regularised, cluster norm, task covariance
 *   model_classes.inc         the non-graph models: kernel ridge, GP, hierarchical Bayes
 * Each .inc holds `X(symbol)` lines; the symbol is a const mt_topo_class
 * (or mt_reg_class) defined in that family's .c files. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "topology.h"

extern const mt_topo_class topo_class_hard;
#define X(sym) extern const mt_topo_class sym;
#include "topo_classes_columns.inc"
#include "topo_classes_experts.inc"
#include "topo_classes_landscape.inc"
#include "model_classes.inc"
#undef X
#define X(sym) extern const mt_reg_class sym;
#include "reg_classes.inc"
#undef X

static const mt_topo_class *const topo_classes[] = {
    &topo_class_hard,
#define X(sym) &sym,
#include "topo_classes_columns.inc"
#include "topo_classes_experts.inc"
#include "topo_classes_landscape.inc"
#include "model_classes.inc"
#undef X
};

static const mt_reg_class *const reg_classes[] = {
#define X(sym) &sym,
#include "reg_classes.inc"
#undef X
    NULL,
};

#define NTOPO ((int)(sizeof topo_classes / sizeof topo_classes[0]))
#define NREG ((int)(sizeof reg_classes / sizeof reg_classes[0]) - 1)

int topo_class_count(void) { return NTOPO; }
const mt_topo_class *topo_class_at(int i) { return i >= 0 && i < NTOPO ? topo_classes[i] : NULL; }
int reg_class_count(void) { return NREG; }
const mt_reg_class *reg_class_at(int i) { return i >= 0 && i < NREG ? reg_classes[i] : NULL; }

const mt_topo_class *topo_find(const char *name)
{
    for (int i = 0; i < NTOPO; i++)
        if (strcmp(topo_classes[i]->name, name) == 0) return topo_classes[i];
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

const mt_tparam_def *tparam_def(const mt_tparam_def *defs, const char *key)
{
    for (const mt_tparam_def *d = defs; d && d->key; d++)
        if (strcmp(d->key, key) == 0) return d;
    return NULL;
}

static int tparam_index(const mt_tparams *p, const char *key)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->key[i], key) == 0) return i;
    return -1;
}

double tparam_num(const mt_tparams *p, const mt_tparam_def *defs, const char *key)
{
    int i = tparam_index(p, key);
    if (i >= 0) return p->num[i];
    const mt_tparam_def *d = tparam_def(defs, key);
    return d ? d->dflt : NAN;
}

int tparam_list(const mt_tparams *p, const char *key, double *out, int max)
{
    int i = tparam_index(p, key);
    if (i < 0) return 0;
    int n = p->nlist[i] < max ? p->nlist[i] : max;
    for (int k = 0; k < n; k++) out[k] = p->list[i][k];
    return n;
}

const char *tparam_str(const mt_tparams *p, const char *key, const char *dflt)
{
    int i = tparam_index(p, key);
    return i >= 0 ? p->str[i] : dflt;
}

static int tparam_slot(mt_tparams *p, const char *key)
{
    int i = tparam_index(p, key);
    if (i >= 0) return i;
    if (p->n == MT_TOPO_MAXP || strlen(key) >= sizeof p->key[0]) return -1;
    i = p->n++;
    snprintf(p->key[i], sizeof p->key[i], "%s", key);
    return i;
}

mt_status tparam_set_num(mt_tparams *p, const char *key, mt_tparam_type type, double v)
{
    int i = tparam_slot(p, key);
    if (i < 0) return mt_fail(MT_ERR_ARG, "%s: too many parameters", key);
    p->type[i] = type;
    p->num[i] = v;
    return MT_OK;
}

mt_status tparam_set_list(mt_tparams *p, const char *key, mt_tparam_type type, const double *v, int n)
{
    int i = tparam_slot(p, key);
    if (i < 0) return mt_fail(MT_ERR_ARG, "%s: too many parameters", key);
    if (n > MT_TOPO_MAXLAYERS) return mt_fail(MT_ERR_ARG, "%s: %d entries, at most %d", key, n, MT_TOPO_MAXLAYERS);
    p->type[i] = type;
    p->nlist[i] = n;
    for (int k = 0; k < n; k++) p->list[i][k] = v[k];
    return MT_OK;
}

mt_status tparam_set_str(mt_tparams *p, const char *key, const char *v)
{
    int i = tparam_slot(p, key);
    if (i < 0) return mt_fail(MT_ERR_ARG, "%s: too many parameters", key);
    p->type[i] = MT_TP_STRING;
    snprintf(p->str[i], sizeof p->str[i], "%s", v);
    return MT_OK;
}

/* The i-th alternative of "a|b|c" into out. */
static void choice_name(const char *choices, int i, char *out, size_t n)
{
    const char *p = choices ? choices : "";
    for (int k = 0; k < i && p; k++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p) p = "?";
    size_t len = strcspn(p, "|");
    if (len >= n) len = n - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

size_t tparam_format(const mt_tparams *p, const mt_tparam_def *defs, char *buf, size_t n)
{
    size_t w = 0;
    if (n) buf[0] = '\0';
    for (const mt_tparam_def *d = defs; d && d->key && w + 1 < n; d++) {
        char v[160] = "";
        double list[MT_TOPO_MAXLAYERS];
        int nl;
        switch (d->type) {
        case MT_TP_BOOL: snprintf(v, sizeof v, "%s", tparam_num(p, defs, d->key) != 0 ? "true" : "false"); break;
        case MT_TP_CHOICE: choice_name(d->choices, (int)tparam_num(p, defs, d->key), v, sizeof v); break;
        case MT_TP_STRING: snprintf(v, sizeof v, "%s", tparam_str(p, d->key, "(default)")); break;
        case MT_TP_INTS:
        case MT_TP_NUMBERS:
            nl = tparam_list(p, d->key, list, MT_TOPO_MAXLAYERS);
            if (!nl) {
                snprintf(v, sizeof v, "%g", d->dflt);
                break;
            }
            for (int i = 0; i < nl; i++) {
                size_t l = strlen(v);
                snprintf(v + l, sizeof v - l, "%s%g", i ? "," : "{", list[i]);
            }
            strncat(v, "}", sizeof v - strlen(v) - 1);
            break;
        default: snprintf(v, sizeof v, "%g", tparam_num(p, defs, d->key)); break;
        }
        int r = snprintf(buf + w, n - w, "%s%s=%s", w ? ", " : "", d->key, v);
        if (r > 0) w += (size_t)r < n - w ? (size_t)r : n - w - 1;
    }
    return w;
}

const char *tparam_check(const mt_tparam_def *d, double v)
{
    static char why[160];
    switch (d->type) {
    case MT_TP_BOOL: return NULL;
    case MT_TP_INT:
    case MT_TP_INTS:
        if (v != floor(v)) {
            snprintf(why, sizeof why, "expected an integer, got %g", v);
            return why;
        }
        /* fall through */
    case MT_TP_NUMBER:
    case MT_TP_NUMBERS:
    case MT_TP_CHOICE:
        if (!(v >= d->lo && v <= d->hi)) {
            snprintf(why, sizeof why, "expected a value in [%g, %g], got %g", d->lo, d->hi, v);
            return why;
        }
        return NULL;
    case MT_TP_STRING: return NULL;
    }
    return NULL;
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
    for (int i = 0; i < s->params.n; i++) {
        const mt_tparam_def *d = tparam_def(cls->params, s->params.key[i]);
        if (!d) return mt_fail(MT_ERR_ARG, "topology.%s: %s takes no such parameter", s->params.key[i], s->type);
    }
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
