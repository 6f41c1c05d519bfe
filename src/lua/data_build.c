/* data_build.c - data declarations into datasets, and task targets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "data/csv.h"
#include "data/fashion.h"
#include "data/multifashion.h"
#include "data/synth.h"
#include "lua_internal.h"



void db_split_read(const mt_tparams *p, const mt_tparam_def *defs, db_split_opts *o)
{
    o->train = (long)tparam_num(p, defs, "train");
    o->val = (long)tparam_num(p, defs, "val");
    o->test = (long)tparam_num(p, defs, "test");
    o->seed = (long)tparam_num(p, defs, "seed");
    o->standardize = tparam_num(p, defs, "standardize") != 0;
}

mt_status db_inline_split(mt_tparams *p, const mt_tparam_def *defs, int n, db_split_opts *o)
{
    db_split_read(p, defs, o);
    if (!tparam_given(p, "val")) o->val = n / 5;
    if (!tparam_given(p, "test")) o->test = n / 5;
    if (!tparam_given(p, "train")) o->train = n - o->val - o->test;
    mt_status st = tparam_set_num(p, "train", MT_TP_INT, (double)o->train);
    if (!st) st = tparam_set_num(p, "val", MT_TP_INT, (double)o->val);
    if (!st) st = tparam_set_num(p, "test", MT_TP_INT, (double)o->test);
    return st;
}

mt_status db_finish(mtlua_vctx *c, mt_data_ref *r, const db_split_opts *o, int fixed_first)
{
    mt_status st;
    if (fixed_first >= 0) {
        st = split_make_fixed(&r->split, r->ds.n, fixed_first, (int)o->val, (uint64_t)o->seed);
    } else {
        if (o->train + o->val + o->test > r->ds.n)
            return vfail(c, NULL, "train + val + test = %ld examples, but the data has %d",
                         o->train + o->val + o->test, r->ds.n);
        st = split_make(&r->split, r->ds.n, (int)o->train, (int)o->val, (int)o->test, (uint64_t)o->seed);
    }
    if (st) return vfail(c, NULL, "%s", mt_last_error());
    if (o->standardize && (st = dataset_standardize(&r->ds, &r->split.train, NULL, NULL)))
        return vfail(c, "standardize", "%s", mt_last_error());
    return MT_OK;
}

/* Reads a number-or-vector value at idx into y (dim floats); NaN or a
 * missing value clears *labelled. */
static mt_status read_value(mtlua_vctx *c, int idx, const char *what, int dim, float *y, int *labelled)
{
    lua_State *L = c->L;
    char d[96];
    *labelled = 1;
    if (lua_isnil(L, idx) || (lua_isboolean(L, idx) && !lua_toboolean(L, idx))) {
        *labelled = 0;
        for (int j = 0; j < dim; j++) y[j] = 0;
        return MT_OK;
    }
    if (lua_type(L, idx) == LUA_TNUMBER) {
        if (dim != 1) return vfail(c, what, "expected %d values, got one number", dim);
        double v = lua_tonumber(L, idx);
        if (isnan(v)) *labelled = 0;
        y[0] = isnan(v) ? 0.0f : (float)v;
        return MT_OK;
    }
    if (lua_type(L, idx) != LUA_TTABLE) return vfail(c, what, "expected a number or a list, got %s", vdescribe(L, idx, d, sizeof d));
    if ((int)luaL_len(L, idx) != dim) return vfail(c, what, "expected %d values, got %d", dim, (int)luaL_len(L, idx));
    for (int j = 0; j < dim; j++) {
        lua_geti(L, idx, j + 1);
        if (lua_type(L, -1) != LUA_TNUMBER) {
            vdescribe(L, -1, d, sizeof d);
            lua_pop(L, 1);
            char f[160];
            snprintf(f, sizeof f, "%s[%d]", what, j + 1);
            return vfail(c, f, "expected a number, got %s", d);
        }
        y[j] = (float)lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    return MT_OK;
}

static int value_dim(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TTABLE ? (int)luaL_len(L, idx) : 1;
}

/* Guesses a target's kind when the script does not say: integer values ->
 * classes (max + 1 of them), otherwise regression. Documented in lua-api. */
static void infer_kind(const float *y, const unsigned char *m, int n, int dim, mt_target_kind *kind, int *classes)
{
    int integral = dim == 1;
    float mx = 0;
    for (int i = 0; i < n && integral; i++) {
        if (m && !m[i]) continue;
        if (y[i] != floorf(y[i]) || y[i] < 0) integral = 0;
        if (y[i] > mx) mx = y[i];
    }
    *kind = integral ? MT_TARGET_CLASS : MT_TARGET_REGRESS;
    *classes = integral ? (int)mx + 1 : 0;
    if (integral && *classes < 2) *classes = 2;
}

mt_status db_parse_kind(mtlua_vctx *c, const char *what, const char *s, mt_target_kind *k)
{
    if (strcmp(s, "class") == 0) *k = MT_TARGET_CLASS;
    else if (strcmp(s, "regress") == 0) *k = MT_TARGET_REGRESS;
    else if (strcmp(s, "binary") == 0) *k = MT_TARGET_BINARY;
    else return vfail(c, what, "expected \"class\", \"regress\" or \"binary\", got \"%s\"", s);
    return MT_OK;
}

/* Finishes a target whose values (n, dim) and mask were collected. */
static mt_status add_target(mtlua_vctx *c, mt_dataset *ds, const char *name, const char *kind_s,
                            int classes, int dim, const float *y, const unsigned char *m)
{
    mt_target_kind kind;
    int inferred_classes = 0;
    if (kind_s) TRY(db_parse_kind(c, name, kind_s, &kind));
    else infer_kind(y, m, ds->n, dim, &kind, &inferred_classes);
    if (kind == MT_TARGET_CLASS) {
        if (dim != 1) return vfail(c, name, "class labels are single integers, got %d values each", dim);
        int mx = -1;
        for (int i = 0; i < ds->n; i++) {
            if (m && !m[i]) continue;
            if (y[i] != floorf(y[i]) || y[i] < 0)
                return vfail(c, name, "example %d: class label %g is not an integer >= 0", i + 1, (double)y[i]);
            if ((int)y[i] > mx) mx = (int)y[i];
        }
        if (!classes) classes = inferred_classes ? inferred_classes : (mx + 1 < 2 ? 2 : mx + 1);
        if (mx >= classes) return vfail(c, name, "label %d but only %d classes", mx, classes);
    }
    if (kind == MT_TARGET_BINARY)
        for (int i = 0; i < ds->n * dim; i++)
            if ((!m || m[i / dim]) && y[i] != 0 && y[i] != 1)
                return vfail(c, name, "example %d: binary values are 0 or 1, got %g", i / dim + 1, (double)y[i]);
    mt_target *t = dataset_add_target(ds, name, kind, dim, classes);
    if (!t) return vfail(c, name, "%s", mt_last_error());
    memcpy(t->y, y, (size_t)ds->n * (size_t)dim * sizeof(float));
    for (int i = 0; m && i < ds->n; i++)
        if (!m[i]) {
            dataset_target_mask(ds, ds->ntargets - 1)[i] = 0;
        }
    return MT_OK;
}

/* Reads the optional types = { name = "class" } and classes = { name = K }. */
void db_target_type(lua_State *L, int tidx, const char *name, const char **kind, int *classes)
{
    *kind = NULL;
    *classes = 0;
    lua_getfield(L, tidx, "types");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, name);
        if (lua_type(L, -1) == LUA_TSTRING) *kind = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_getfield(L, tidx, "classes");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, name);
        if (lua_isinteger(L, -1)) *classes = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static mt_status collect_targets(mtlua_vctx *c, int tidx, mt_data_ref *r, int per_example_idx,
                                 int ntargets_hint);

static const mt_tparam_def table_params[] = {
    {"x", MT_TP_TABLE, 0, 0, 0, NULL, "the inputs: a list of rows (numbers, or lists of numbers)", .flags = MT_TPF_REQUIRED},
    {"targets", MT_TP_TABLE, 0, 0, 0, NULL, "{ name = { values } }: a value per row; nil, false or NaN = no label",
     .flags = MT_TPF_REQUIRED},
    DB_TARGET_KIND_PARAMS,
    DB_INLINE_SPLIT_PARAMS,
    {NULL},
};

static mt_status build_table(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    lua_State *L = c->L;
    char d[96];
    lua_getfield(L, tidx, "x");
    int xi = lua_gettop(L);
    if (!lua_istable(L, xi)) {
        vdescribe(L, xi, d, sizeof d);
        lua_pop(L, 1);
        return vfail(c, "x", "expected a list of input rows, got %s", d);
    }
    int n = (int)luaL_len(L, xi);
    if (n < 2) {
        lua_pop(L, 1);
        return vfail(c, "x", "expected at least 2 rows, got %d", n);
    }
    lua_geti(L, xi, 1);
    int dim = value_dim(L, -1);
    lua_pop(L, 1);
    if (dataset_alloc(&r->ds, "table", n, dim, 0, 0, 0)) {
        lua_pop(L, 1);
        return vfail(c, "x", "%s", mt_last_error());
    }
    for (int i = 0; i < n; i++) {
        lua_geti(L, xi, i + 1);
        char what[48];
        snprintf(what, sizeof what, "x[%d]", i + 1);
        int lab;
        mt_status st = lua_isnil(L, -1) ? vfail(c, what, "missing row") : read_value(c, lua_gettop(L), what, dim, r->ds.x + (size_t)i * dim, &lab);
        lua_pop(L, 1);
        if (st) {
            lua_pop(L, 1);
            return st;
        }
    }
    lua_pop(L, 1);
    TRY(collect_targets(c, tidx, r, 0, 0));
    db_split_opts o;
    TRY(db_inline_split(p, table_params, n, &o));
    return db_finish(c, r, &o, -1);
}

static const db_source db_source_table = {"table", "data written in the script; targets as given", table_params,
                                          build_table};

/* targets = { name = { v1, v2, ... }, ... } for a table (values per
 * example), collected into the dataset. */
static mt_status collect_targets(mtlua_vctx *c, int tidx, mt_data_ref *r, int per_example_idx,
                                 int ntargets_hint)
{
    (void)per_example_idx;
    (void)ntargets_hint;
    lua_State *L = c->L;
    char d[96];
    lua_getfield(L, tidx, "targets");
    int ti = lua_gettop(L);
    if (!lua_istable(L, ti)) {
        vdescribe(L, ti, d, sizeof d);
        lua_pop(L, 1);
        return vfail(c, "targets", "expected a table { name = { values... } }, got %s", d);
    }
    int n = r->ds.n;
    /* targets in name order, whatever order the table iterates in */
    char names[MT_MAX_TASKS * 4][MT_NAME];
    int nn = 0;
    lua_pushnil(L);
    while (lua_next(L, ti)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 2);
            return vfail(c, "targets", "keys must be target names");
        }
        if (nn == MT_MAX_TASKS * 4) {
            lua_pop(L, 2);
            return vfail(c, "targets", "more than %d targets", MT_MAX_TASKS * 4);
        }
        snprintf(names[nn++], MT_NAME, "%s", lua_tostring(L, -1));
    }
    qsort(names, (size_t)nn, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int q = 0; q < nn; q++) {
        const char *name = names[q];
        lua_getfield(L, ti, name);
        char what[128];
        snprintf(what, sizeof what, "targets.%s", name);
        int vi = lua_gettop(L);
        /* nil entries are missing labels, so the list may have holes and a
         * border below n; it may not be longer than the data */
        if (!lua_istable(L, vi) || (int)luaL_len(L, vi) > n) {
            int len = lua_istable(L, vi) ? (int)luaL_len(L, vi) : -1;
            vdescribe(L, vi, d, sizeof d);
            lua_pop(L, 2);
            if (len >= 0) return vfail(c, what, "%d values for %d examples", len, n);
            return vfail(c, what, "expected a list of values, got %s", d);
        }
        /* the width of a value: the first labelled example's */
        int dim = 1;
        for (int i = 1; i <= n; i++) {
            lua_geti(L, vi, i);
            int present = !lua_isnil(L, -1) && !(lua_isboolean(L, -1) && !lua_toboolean(L, -1));
            if (present) dim = value_dim(L, -1);
            lua_pop(L, 1);
            if (present) break;
        }
        float *y = mt_calloc((size_t)n * (size_t)dim, sizeof(float));
        unsigned char *m = mt_calloc((size_t)n, 1);
        mt_status st = (!y || !m) ? MT_ERR_NOMEM : MT_OK;
        for (int i = 0; !st && i < n; i++) {
            lua_geti(L, vi, i + 1);
            int lab;
            char w2[160];
            snprintf(w2, sizeof w2, "%s[%d]", what, i + 1);
            st = read_value(c, lua_gettop(L), w2, dim, y + (size_t)i * dim, &lab);
            m[i] = (unsigned char)lab;
            lua_pop(L, 1);
        }
        const char *kind;
        int classes;
        if (!st) {
            db_target_type(L, tidx, name, &kind, &classes);
            st = add_target(c, &r->ds, name, kind, classes, dim, y, m);
        }
        mt_free(y);
        mt_free(m);
        lua_pop(L, 1);
        if (st) {
            lua_pop(L, 1);
            return st;
        }
    }
    lua_pop(L, 1);
    if (r->ds.ntargets == 0) return vfail(c, "targets", "no targets given");
    return MT_OK;
}

static const mt_tparam_def generate_params[] = {
    {"n", MT_TP_INT, 0, 2, 1e7, NULL, "examples to generate", .flags = MT_TPF_REQUIRED},
    {"fn", MT_TP_FUNCTION, 0, 0, 0, NULL, "function(i) returning x, { target = value, ... } for example i",
     .flags = MT_TPF_REQUIRED},
    DB_TARGET_KIND_PARAMS,
    DB_INLINE_SPLIT_PARAMS,
    {NULL},
};

/* generate { n = 1000, fn = function(i) return { x... }, { task = y, ... } end } */
static mt_status build_generate(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r)
{
    lua_State *L = c->L;
    long n = (long)tparam_num(p, generate_params, "n");
    lua_getfield(L, tidx, "fn");
    int fi = lua_gettop(L);
    /* build a table { x = {...}, targets = {...} } by calling fn, then reuse build_table */
    lua_createtable(L, 0, 8);
    int out = lua_gettop(L);
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, 0, 4);
    int xs = out + 1, ts = out + 2;
    for (long i = 1; i <= n; i++) {
        lua_pushvalue(L, fi);
        lua_pushinteger(L, i);
        char ctx[64];
        snprintf(ctx, sizeof ctx, "%s: data.fn(%ld)", c->where[0] ? c->where : c->script, i);
        mt_status st = mtlua_pcall(L, 1, 2, ctx);
        if (st) {
            lua_settop(L, fi - 1);
            return st;
        }
        if (!lua_istable(L, -1)) {
            lua_settop(L, fi - 1);
            return vfail(c, "fn", "call %ld: expected a second result { target = value, ... }", i);
        }
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_gettable(L, ts);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                lua_createtable(L, (int)n, 0);
                lua_pushvalue(L, -3);
                lua_pushvalue(L, -2);
                lua_settable(L, ts);
            }
            lua_pushvalue(L, -2);
            lua_seti(L, -2, i);
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
        lua_seti(L, xs, i);
    }
    lua_setfield(L, out, "targets");
    lua_setfield(L, out, "x");
    static const char *const copy[] = {"types", "classes"};
    for (size_t k = 0; k < sizeof copy / sizeof copy[0]; k++) {
        lua_getfield(L, tidx, copy[k]);
        lua_setfield(L, out, copy[k]);
    }
    mt_status st = build_table(c, out, p, r); /* the split fields are the same */
    lua_settop(L, fi - 1);
    return st;
}

static const db_source db_source_generate = {"generate", "data made by fn(i) for i = 1..n; targets as fn returns them",
                                             generate_params, build_generate};

static const db_source *const sources[] = {
    &db_source_fashion, &db_source_multi_fashion, &db_source_csv,      &db_source_mmoe,    &db_source_gradnorm,
    &db_source_kendall, &db_source_related,       &db_source_attributes, &db_source_table, &db_source_generate,
    &db_source_landscape,
    &db_source_gp_family, /* data_sources.c: the multi-task GP's tasks (survey 5) */
};
#define NSOURCES ((int)(sizeof sources / sizeof sources[0]))

int db_source_count(void) { return NSOURCES; }
const db_source *db_source_at(int i) { return i >= 0 && i < NSOURCES ? sources[i] : NULL; }

size_t mtlua_data_markdown(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    tparam_md_printf(&o, "| constructor | parameters (defaults) | what it makes |\n| --- | --- | --- |\n");
    for (int i = 0; i < NSOURCES; i++) {
        tparam_md_printf(&o, "| `mtl.data.%s` | ", sources[i]->name);
        tparam_md_defaults(&o, sources[i]->params);
        tparam_md_printf(&o, " | ");
        tparam_md_text(&o, sources[i]->summary);
        tparam_md_printf(&o, " |\n");
    }
    tparam_md_printf(&o, "\n| constructor | parameter | default | allowed | meaning |\n| --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < NSOURCES; i++) {
        char owner[48];
        snprintf(owner, sizeof owner, "`%s`", sources[i]->name);
        tparam_md_rows(&o, owner, sources[i]->params);
    }
    return o.w;
}

size_t mtlua_data_text(char *buf, size_t n)
{
    mt_md o = {buf, n, 0};
    if (n) buf[0] = '\0';
    tparam_md_printf(&o, "data constructors: data = mtl.data.NAME { ... }\n");
    for (int i = 0; i < NSOURCES; i++) {
        tparam_md_printf(&o, "  %-14s %s\n", sources[i]->name, sources[i]->summary);
        tparam_text_rows(&o, sources[i]->params);
    }
    return o.w;
}

const db_source *db_source_find(const char *name)
{
    for (int i = 0; i < NSOURCES; i++)
        if (strcmp(sources[i]->name, name) == 0) return sources[i];
    return NULL;
}

mt_status mtlua_build_data(mtlua_vctx *c, int tidx, mt_data_ref **out)
{
    lua_State *L = c->L;
    char d[96], kind[48] = "";
    *out = NULL;
    if (!lua_istable(L, tidx))
        return vfail(c, NULL, "expected mtl.data.fashion_mnist { ... } or another mtl.data constructor, got %s",
                     vdescribe(L, tidx, d, sizeof d));
    lua_getfield(L, tidx, "__kind");
    if (lua_type(L, -1) == LUA_TSTRING) snprintf(kind, sizeof kind, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    const db_source *src = strncmp(kind, "data.", 5) == 0 ? db_source_find(kind + 5) : NULL;
    if (!src && !kind[0])
        return vfail(c, NULL, "expected an mtl.data constructor (mtl.data.fashion_mnist { ... }, mtl.data.table { ... }, ...)");
    if (!src) return vfail(c, NULL, "unknown data source %s", kind);
    mt_data_ref *r = data_ref_new();
    if (!r) return MT_ERR_NOMEM;
    char owner[48];
    snprintf(owner, sizeof owner, "mtl.data.%s", src->name);
    mt_status st = vtparams(c, tidx, NULL, src->params, &r->params, owner);
    if (!st) st = src->build(c, tidx, &r->params, r);
    if (st) {
        data_ref_release(r);
        return st;
    }
    snprintf(r->constructor, sizeof r->constructor, "%s", src->name);
    r->defs = src->params;
    char prm[sizeof r->source];
    tparam_format(&r->params, src->params, prm, sizeof prm);
    snprintf(r->source, sizeof r->source, "%s(%s)", src->name, prm);
    *out = r;
    return MT_OK;
}

/* A target given as a Lua function of another target's labels. */
static mt_status derive_target(mtlua_vctx *c, int fidx, mt_dataset *ds, const char *from,
                               const char *name, int classes_hint, mt_target_kind kind)
{
    lua_State *L = c->L;
    int src = dataset_target_index(ds, from);
    if (src < 0) return vfail(c, "from", "the data has no target \"%s\" to derive from", from);
    const mt_target *s = &ds->targets[src];
    int n = ds->n, dim = 1;
    float *y = mt_calloc((size_t)n, sizeof(float));
    unsigned char *m = mt_calloc((size_t)n, 1);
    if (!y || !m) {
        mt_free(y);
        mt_free(m);
        return MT_ERR_NOMEM;
    }
    mt_status st = MT_OK;
    for (int i = 0; i < n && !st; i++) {
        if (s->mask && !s->mask[i]) continue; /* no source label: none derived */
        lua_pushvalue(L, fidx);
        if (s->dim == 1) {
            if (s->kind == MT_TARGET_CLASS) lua_pushinteger(L, (lua_Integer)s->y[i]);
            else lua_pushnumber(L, s->y[i]);
        } else {
            lua_createtable(L, s->dim, 0);
            for (int j = 0; j < s->dim; j++) {
                lua_pushnumber(L, s->y[(size_t)i * s->dim + j]);
                lua_rawseti(L, -2, j + 1);
            }
        }
        char ctx[320];
        snprintf(ctx, sizeof ctx, "%s: %s.target(example %d)", c->where[0] ? c->where : c->script, c->path, i + 1);
        st = mtlua_pcall(L, 1, 1, ctx);
        if (st) break;
        int lab;
        char what[64];
        snprintf(what, sizeof what, "target(example %d)", i + 1);
        st = read_value(c, lua_gettop(L), what, dim, y + i, &lab);
        m[i] = (unsigned char)lab;
        lua_pop(L, 1);
    }
    if (!st)
        st = add_target(c, ds, name, kind == MT_TARGET_CLASS ? "class" : kind == MT_TARGET_BINARY ? "binary" : "regress",
                        kind == MT_TARGET_CLASS ? classes_hint : 0, dim, y, m);
    mt_free(y);
    mt_free(m);
    return st;
}

mt_status mtlua_task_targets(mtlua_vctx *c, int tasks_idx, mt_data_ref *d, mt_experiment *e)
{
    lua_State *L = c->L;
    mt_dataset *ds = &d->ds;
    char sp[256], sw[256], dsc[96];
    for (int k = 0; k < e->ntasks; k++) {
        mt_task_spec *t = &e->task[k];
        lua_geti(L, tasks_idx, k + 1);
        int ti = lua_gettop(L);
        char suf[32];
        snprintf(suf, sizeof suf, "tasks[%d]", k + 1);
        vpush(c, ti, suf, sp, sw);
        lua_getfield(L, ti, "target");
        int gi = lua_gettop(L);
        mt_status st = MT_OK;
        char tname[MT_NAME + 8];
        if (lua_isnil(L, gi)) {
            snprintf(tname, sizeof tname, "%s", t->name);
            if (dataset_target_index(ds, tname) < 0) {
                char list[512] = "";
                for (int j = 0; j < ds->ntargets; j++) {
                    strncat(list, ds->targets[j].name, sizeof list - strlen(list) - 3);
                    if (j + 1 < ds->ntargets) strncat(list, ", ", sizeof list - strlen(list) - 1);
                }
                st = vfail(c, "target", "missing, and the data has no target named \"%s\" (it has: %s)", t->name, list);
            }
        } else if (lua_type(L, gi) == LUA_TSTRING && strcmp(lua_tostring(L, gi), "@inputs") == 0) {
            snprintf(tname, sizeof tname, "@inputs");
            if (dataset_target_index(ds, tname) < 0) {
                mt_target *tg = dataset_add_target(ds, tname, MT_TARGET_REGRESS, ds->d, 0);
                if (!tg) st = vfail(c, "target", "%s", mt_last_error());
                else memcpy(tg->y, ds->x, (size_t)ds->n * (size_t)ds->d * sizeof(float));
            }
        } else if (lua_type(L, gi) == LUA_TSTRING) {
            snprintf(tname, sizeof tname, "%s", lua_tostring(L, gi));
            if (dataset_target_index(ds, tname) < 0) {
                char list[512] = "";
                for (int j = 0; j < ds->ntargets; j++) {
                    strncat(list, ds->targets[j].name, sizeof list - strlen(list) - 3);
                    if (j + 1 < ds->ntargets) strncat(list, ", ", sizeof list - strlen(list) - 1);
                }
                st = vfail(c, "target", "the data has no target \"%s\" (it has: %s)", tname, list);
            }
        } else if (lua_isfunction(L, gi)) {
            snprintf(tname, sizeof tname, "fn:%s", t->name);
            if (dataset_target_index(ds, tname) < 0) {
                char from[MT_NAME];
                const char *dflt = dataset_target_index(ds, "label") >= 0 ? "label" : ds->targets[0].name;
                st = vstring(c, ti, "from", dflt, NULL, from, sizeof from);
                if (!st) st = derive_target(c, gi, ds, from, tname, t->out_dim, t->kind);
            }
        } else {
            st = vfail(c, "target", "expected a target name or a function of the label, got %s",
                       vdescribe(L, gi, dsc, sizeof dsc));
        }
        if (!st) {
            t->target = dataset_target_index(ds, tname);
            const mt_target *tg = &ds->targets[t->target];
            if (t->kind == MT_TARGET_CLASS && tg->kind != MT_TARGET_CLASS)
                st = vfail(c, "target", "\"%s\" holds %s values; use mtl.task.regress or mtl.task.binary",
                           tg->name, tg->kind == MT_TARGET_REGRESS ? "real" : "binary");
            else if (t->kind == MT_TARGET_BINARY && tg->kind == MT_TARGET_CLASS && tg->classes > 2)
                st = vfail(c, "target", "\"%s\" has %d classes; use mtl.task.classify", tg->name, tg->classes);
            else if (t->kind == MT_TARGET_CLASS) {
                if (t->out_dim == 0) t->out_dim = tg->classes;
                else if (t->out_dim < tg->classes)
                    st = vfail(c, "classes", "%d, but target \"%s\" has labels up to %d", t->out_dim, tg->name, tg->classes - 1);
            } else {
                t->out_dim = tg->dim;
            }
            e->topo.task[k].out_dim = t->out_dim;
        }
        lua_settop(L, ti - 1);
        vpop(c, sp, sw);
        if (st) return st;
    }
    return MT_OK;
}
