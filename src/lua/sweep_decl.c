/* sweep_decl.c - mtl.sweep { base, grid, seeds, seed_paths, reference }:
 * a script that returns a sweep trains its base experiments under `mtlab
 * run` and the workbench, and `mtlab sweep` reads the rest from here. Grid
 * values leave as the text of a --set override (a Lua constructor for a
 * table), so every run of a sweep is an ordinary `mtlab run` command. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lua_internal.h"

mt_status mtlua_sweep_unwrap(mtlua_session *s, int r)
{
    lua_State *L = s->L;
    lua_getfield(L, r, "__kind");
    int sweep = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "sweep") == 0;
    lua_pop(L, 1);
    if (!sweep) return MT_OK;
    lua_pushvalue(L, r);
    s->sweep_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getfield(L, r, "base");
    if (!lua_istable(L, -1)) {
        char d[96], where[256] = "";
        vdescribe(L, -1, d, sizeof d);
        lua_getfield(L, r, "__where");
        if (lua_type(L, -1) == LUA_TSTRING) snprintf(where, sizeof where, "%s: ", lua_tostring(L, -1));
        lua_pop(L, 2);
        return mt_fail(MT_ERR_SCRIPT, "%ssweep.base: expected an mtl.experiment or a list of them, got %s", where, d);
    }
    lua_replace(L, r);
    return MT_OK;
}

int mtlua_is_sweep(const mtlua_session *s) { return s->sweep_ref != LUA_NOREF && s->sweep_ref != 0; }

typedef struct {
    char *buf;
    size_t n, w;
    int overflow;
} text_out;

static void put(text_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text_out *o, const char *fmt, ...)
{
    if (o->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->buf + o->w, o->n - o->w, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= o->n - o->w) o->overflow = 1;
    else o->w += (size_t)k;
}

static void put_quoted(text_out *o, const char *s)
{
    put(o, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') put(o, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f) put(o, "\\%03d", *p);
        else put(o, "%c", *p);
    }
    put(o, "\"");
}

static int is_identifier(const char *k)
{
    static const char *const reserved[] = {"and", "break", "do", "else", "elseif", "end", "false", "for",
                                           "function", "goto", "if", "in", "local", "nil", "not", "or",
                                           "repeat", "return", "then", "true", "until", "while", NULL};
    if (!(*k == '_' || (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z'))) return 0;
    for (const char *p = k; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return 0;
    for (const char *const *r = reserved; *r; r++)
        if (strcmp(*r, k) == 0) return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Writes the value at idx as Lua source that evaluates to an equal value
 * with no globals: numbers that round-trip, quoted strings, tables as
 * constructors (the list part, then the string keys in sorted order).
 * Functions, userdata and cycles cannot be written: an error names the
 * path. */
static mt_status write_value(const mtlua_vctx *c, int idx, text_out *o, int depth, const char *path)
{
    lua_State *L = c->L;
    idx = lua_absindex(L, idx);
    char d[96];
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            put(o, "%lld", (long long)lua_tointeger(L, idx));
        } else {
            double v = lua_tonumber(L, idx);
            if (!isfinite(v)) return vfail(c, path, "%g cannot be passed to a run", v);
            char num[64];
            snprintf(num, sizeof num, "%.17g", v);
            put(o, "%s%s", num, strpbrk(num, ".e") ? "" : ".0");
        }
        return MT_OK;
    case LUA_TBOOLEAN: put(o, "%s", lua_toboolean(L, idx) ? "true" : "false"); return MT_OK;
    case LUA_TSTRING: put_quoted(o, lua_tostring(L, idx)); return MT_OK;
    case LUA_TTABLE: break;
    default:
        return vfail(c, path, "%s cannot be passed to a run (grid values are data: numbers, strings, "
                              "booleans and tables of them)", vdescribe(L, idx, d, sizeof d));
    }
    if (depth > 8) return vfail(c, path, "tables nested too deep (or a cycle)");
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
    put(o, "{");
    int first = 1;
    for (lua_Integer i = 1; i <= len; i++) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s[%lld]", path, (long long)i);
        lua_rawgeti(L, idx, i);
        if (!first) put(o, ",");
        first = 0;
        mt_status st = lua_isnil(L, -1) ? vfail(c, sub, "a list with a hole") : write_value(c, -1, o, depth + 1, sub);
        lua_pop(L, 1);
        if (st) return st;
    }
    /* the other keys, sorted so the same value always gives the same text */
    const char *keys[128];
    int nk = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 &&
            lua_tointeger(L, -1) <= len)
            continue;
        if (lua_type(L, -1) != LUA_TSTRING || nk == 128) {
            mt_status st = vfail(c, path, "key %s cannot be passed to a run", vdescribe(L, -1, d, sizeof d));
            lua_pop(L, 1);
            return st;
        }
        keys[nk++] = lua_tostring(L, -1); /* kept alive by the table */
    }
    qsort(keys, (size_t)nk, sizeof keys[0], cmp_str);
    for (int k = 0; k < nk; k++) {
        if (!first) put(o, ",");
        first = 0;
        if (is_identifier(keys[k])) put(o, "%s=", keys[k]);
        else {
            put(o, "[");
            put_quoted(o, keys[k]);
            put(o, "]=");
        }
        char sub[300];
        snprintf(sub, sizeof sub, "%s.%s", path, keys[k]);
        lua_getfield(L, idx, keys[k]);
        mt_status st = write_value(c, -1, o, depth + 1, sub);
        lua_pop(L, 1);
        if (st) return st;
    }
    put(o, "}");
    return MT_OK;
}

/* The --set text of a grid value: a plain string as itself (when --set
 * would not read it as a number, a boolean or a table), anything else as
 * Lua source. */
static mt_status grid_value_text(const mtlua_vctx *c, int idx, const char *path, char *out, size_t n)
{
    lua_State *L = c->L;
    text_out o = {out, n, 0, 0};
    out[0] = '\0';
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tostring(L, idx);
        char *end;
        strtod(s, &end);
        if ((*s && !*end) || strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || s[0] == '{')
            return vfail(c, path, "the string \"%s\" would read as %s on a run's command line", s,
                         s[0] == '{' ? "a table" : "a number or boolean");
        put(&o, "%s", s);
    } else {
        mt_status st = write_value(c, idx, &o, 0, path);
        if (st) return st;
    }
    if (o.overflow) return vfail(c, path, "the value is longer than %zu characters", n - 1);
    return MT_OK;
}

/* A short name for a value in configuration names: the string or number
 * itself, a list of numbers joined by '-' (a trunk {128, 64} is
 * "128-64"), a constructor's type/method/name field (mtl.share.mmoe {...}
 * is "mmoe"), else "v<i>". */
static void grid_value_label(lua_State *L, int idx, int i, char *out, size_t n)
{
    snprintf(out, n, "v%d", i + 1);
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING) snprintf(out, n, "%s", lua_tostring(L, idx));
    else if (t == LUA_TNUMBER) snprintf(out, n, "%.6g", lua_tonumber(L, idx));
    else if (t == LUA_TBOOLEAN) snprintf(out, n, "%s", lua_toboolean(L, idx) ? "true" : "false");
    if (t != LUA_TTABLE) return;
    static const char *const fields[] = {"type", "method", "name"};
    for (int k = 0; k < 3; k++) {
        lua_getfield(L, idx, fields[k]);
        int ok = lua_type(L, -1) == LUA_TSTRING;
        if (ok) snprintf(out, n, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        if (ok) return;
    }
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
    size_t w = 0;
    for (lua_Integer j = 1; j <= len && w < n; j++) {
        lua_rawgeti(L, idx, j);
        int num = lua_type(L, -1) == LUA_TNUMBER;
        if (num) w += (size_t)snprintf(out + w, n - w, "%s%.6g", j > 1 ? "-" : "", lua_tonumber(L, -1));
        lua_pop(L, 1);
        if (!num) {
            snprintf(out, n, "v%d", i + 1);
            return;
        }
    }
    if (len == 0) snprintf(out, n, "empty");
}

static mt_status read_axis(mtlua_vctx *c, int vidx, const char *key, mt_sweep_axis *ax)
{
    lua_State *L = c->L;
    char path[200], d[96];
    snprintf(path, sizeof path, "grid[\"%s\"]", key);
    if (strlen(key) >= sizeof ax->key) return vfail(c, path, "key too long");
    snprintf(ax->key, sizeof ax->key, "%s", key);
    if (!lua_istable(L, vidx) || lua_rawlen(L, vidx) == 0) {
        vdescribe(L, vidx, d, sizeof d);
        return vfail(c, path, "expected a non-empty list of values, got %s (one value: { %s })", d,
                     lua_istable(L, vidx) ? "..." : d);
    }
    int n = (int)lua_rawlen(L, vidx);
    if (n > MT_SWEEP_MAX_VALUES) return vfail(c, path, "%d values, at most %d", n, MT_SWEEP_MAX_VALUES);
    ax->nvalues = n;
    for (int i = 0; i < n; i++) {
        char sub[260];
        snprintf(sub, sizeof sub, "%s[%d]", path, i + 1);
        lua_rawgeti(L, vidx, i + 1);
        mt_status st = grid_value_text(c, -1, sub, ax->value[i], sizeof ax->value[i]);
        if (!st) grid_value_label(L, -1, i, ax->label[i], sizeof ax->label[i]);
        lua_pop(L, 1);
        if (st) return st;
        for (int j = 0; j < i; j++)
            if (strcmp(ax->value[j], ax->value[i]) == 0)
                return vfail(c, sub, "the same value as [%d]", j + 1);
    }
    /* labels must tell the values apart: repeats get their position */
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (int j = 0; j < n; j++) dup |= j != i && strcmp(ax->label[j], ax->label[i]) == 0;
        if (dup) {
            char l[MT_SWEEP_LABEL];
            snprintf(l, sizeof l, "%.50s-%d", ax->label[i], i + 1);
            memcpy(ax->label[i], l, sizeof l);
        }
    }
    return MT_OK;
}

static mt_status read_grid(mtlua_vctx *c, int tidx, mt_sweep_spec *out)
{
    lua_State *L = c->L;
    lua_getfield(L, tidx, "grid");
    int g = lua_gettop(L);
    mt_status st = MT_OK;
    if (lua_isnil(L, g)) goto done;
    char d[96];
    if (!lua_istable(L, g)) {
        st = vfail(c, "grid", "expected a table of { [\"path\"] = { values } }, got %s", vdescribe(L, g, d, sizeof d));
        goto done;
    }
    /* axes in the sorted order of their keys: Lua does not keep the order
     * a table was written in */
    const char *keys[MT_SWEEP_MAX_AXES + 1];
    int nk = 0;
    lua_pushnil(L);
    while (lua_next(L, g)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            st = vfail(c, "grid", "keys are --set paths such as \"weighting\" or \"topology.trunk\", got %s",
                       vdescribe(L, -1, d, sizeof d));
            lua_pop(L, 1);
            goto done;
        }
        if (nk == MT_SWEEP_MAX_AXES) {
            lua_pop(L, 1);
            st = vfail(c, "grid", "more than %d axes", MT_SWEEP_MAX_AXES);
            goto done;
        }
        keys[nk++] = lua_tostring(L, -1);
    }
    qsort(keys, (size_t)nk, sizeof keys[0], cmp_str);
    for (int a = 0; a < nk && !st; a++) {
        lua_getfield(L, g, keys[a]);
        st = read_axis(c, lua_gettop(L), keys[a], &out->axis[a]);
        lua_pop(L, 1);
    }
    out->naxes = nk;
done:
    lua_settop(L, g - 1);
    return st;
}

static mt_status read_seeds(mtlua_vctx *c, int tidx, mt_sweep_spec *out)
{
    lua_State *L = c->L;
    char d[96];
    lua_getfield(L, tidx, "seeds");
    int si = lua_gettop(L);
    mt_status st = MT_OK;
    if (lua_type(L, si) == LUA_TSTRING) {
        st = sweep_parse_seeds(lua_tostring(L, si), out->seed, MT_SWEEP_MAX_SEEDS, &out->nseeds);
        if (st) st = vfail(c, "seeds", "%s", mt_last_error() + strlen("--seeds "));
    } else if (lua_istable(L, si)) {
        int n = (int)lua_rawlen(L, si);
        if (n > MT_SWEEP_MAX_SEEDS) st = vfail(c, "seeds", "%d seeds, at most %d", n, MT_SWEEP_MAX_SEEDS);
        for (int i = 0; i < n && !st; i++) {
            lua_rawgeti(L, si, i + 1);
            int ok = lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0 &&
                     (unsigned long long)lua_tointeger(L, -1) <= MT_SWEEP_MAX_SEED;
            char field[32];
            snprintf(field, sizeof field, "seeds[%d]", i + 1);
            if (!ok) st = vfail(c, field, "expected a non-negative integer, got %s", vdescribe(L, -1, d, sizeof d));
            else out->seed[i] = (unsigned long long)lua_tointeger(L, -1);
            lua_pop(L, 1);
            for (int j = 0; j < i && !st; j++)
                if (out->seed[j] == out->seed[i]) st = vfail(c, field, "seed %llu given twice", out->seed[i]);
        }
        if (!st) out->nseeds = n;
    } else if (!lua_isnil(L, si)) {
        st = vfail(c, "seeds", "expected a list of seeds { 1, 2, 3 } or a range \"1..10\", got %s",
                   vdescribe(L, si, d, sizeof d));
    }
    lua_settop(L, si - 1);
    if (st) return st;
    lua_getfield(L, tidx, "seed_paths");
    si = lua_gettop(L);
    if (lua_istable(L, si)) {
        int n = (int)lua_rawlen(L, si);
        if (n < 1 || n > MT_SWEEP_MAX_SEED_PATHS)
            st = vfail(c, "seed_paths", "expected 1 to %d paths such as \"train.seed\"", MT_SWEEP_MAX_SEED_PATHS);
        for (int i = 0; i < n && !st; i++) {
            lua_rawgeti(L, si, i + 1);
            char field[32];
            snprintf(field, sizeof field, "seed_paths[%d]", i + 1);
            if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) >= sizeof out->seed_path[0] ||
                lua_rawlen(L, -1) == 0)
                st = vfail(c, field, "expected a --set path such as \"data.seed\", got %s",
                           vdescribe(L, -1, d, sizeof d));
            else snprintf(out->seed_path[i], sizeof out->seed_path[i], "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        if (!st) out->nseed_paths = n;
    } else if (!lua_isnil(L, si)) {
        st = vfail(c, "seed_paths", "expected a list of --set paths, got %s", vdescribe(L, si, d, sizeof d));
    }
    lua_settop(L, si - 1);
    return st;
}

mt_status mtlua_sweep_spec(mtlua_session *s, mt_sweep_spec *out)
{
    sweep_spec_defaults(out);
    snprintf(out->script, sizeof out->script, "%s", s->script);
    out->nexp = s->n < MT_SWEEP_MAX_EXPS ? s->n : MT_SWEEP_MAX_EXPS;
    for (int i = 0; i < out->nexp; i++) snprintf(out->exp_name[i], sizeof out->exp_name[i], "%s", s->exp[i].name);
    if (!mtlua_is_sweep(s)) return MT_OK;
    lua_State *L = s->L;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->sweep_ref);
    int t = lua_gettop(L);
    mtlua_vctx c = {.L = L, .script = s->script};
    snprintf(c.path, sizeof c.path, "sweep");
    lua_getfield(L, t, "__where");
    if (lua_type(L, -1) == LUA_TSTRING) snprintf(c.where, sizeof c.where, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    static const char *const keys[] = {"base", "grid", "seeds", "seed_paths", "reference", "claim", NULL};
    mt_status st = vcheck_keys(&c, t, keys);
    if (!st) st = read_grid(&c, t, out);
    if (!st) st = read_seeds(&c, t, out);
    if (!st) st = vstring(&c, t, "reference", "", NULL, out->reference, sizeof out->reference);
    lua_settop(L, top);
    return st;
}
