/* claim.c - what a script says its runs show, written once in words and in
 * code (docs/lua-api.md "Claims"): the claim tables a script declares,
 * the finished runs' summaries handed to them as Lua tables, and the
 * verdicts of their check and measure functions, each called protected. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "core/mem.h"
#include "core/textfile.h"
#include "lua_internal.h"

static const char *const claim_keys[] = {"text", "check", "measure", "statistic", "above", "below",
                                         "seeds", "draws", NULL};

/* seeds = { 1, 2, 3 } or "1..5" (at most MTLUA_CLAIM_MAX_GRID values). */
static mt_status read_grid(mtlua_vctx *c, int tidx, const char *key, long long *out, int *n, long long lo)
{
    lua_State *L = c->L;
    char d[96];
    lua_getfield(L, tidx, key);
    int g = lua_gettop(L);
    mt_status st = MT_OK;
    *n = 0;
    if (lua_type(L, g) == LUA_TSTRING) {
        long long a, b;
        char tail;
        if (sscanf(lua_tostring(L, g), "%lld..%lld%c", &a, &b, &tail) != 2 || a < lo || b < a ||
            b - a >= MTLUA_CLAIM_MAX_GRID)
            st = vfail(c, key, "expected a range such as \"1..5\" (at most %d values, from %lld), got \"%s\"",
                       MTLUA_CLAIM_MAX_GRID, lo, lua_tostring(L, g));
        else
            for (long long v = a; v <= b; v++) out[(*n)++] = v;
    } else if (lua_istable(L, g)) {
        int len = (int)lua_rawlen(L, g);
        if (len < 1 || len > MTLUA_CLAIM_MAX_GRID)
            st = vfail(c, key, "expected 1 to %d values, got %d", MTLUA_CLAIM_MAX_GRID, len);
        for (int i = 0; i < len && !st; i++) {
            lua_rawgeti(L, g, i + 1);
            char field[32];
            snprintf(field, sizeof field, "%s[%d]", key, i + 1);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < lo)
                st = vfail(c, field, "expected an integer >= %lld, got %s", lo, vdescribe(L, -1, d, sizeof d));
            else out[(*n)++] = lua_tointeger(L, -1);
            lua_pop(L, 1);
            for (int j = 0; j + 1 < *n && !st; j++)
                if (out[j] == out[*n - 1]) st = vfail(c, field, "%lld given twice", out[j]);
        }
    } else if (!lua_isnil(L, g)) {
        st = vfail(c, key, "expected a list { 1, 2, 3 } or a range \"1..5\", got %s", vdescribe(L, g, d, sizeof d));
    }
    lua_settop(L, g - 1);
    return st;
}

/* Reads the claim table at tidx (validated: every field named in errors)
 * into claim slot j. path: "claim" or "experiments[2].claim". */
static mt_status read_claim(mtlua_session *s, int tidx, const char *path, const char *where, int on_sweep)
{
    lua_State *L = s->L;
    char d[96];
    mtlua_vctx c = {.L = L, .script = s->script};
    snprintf(c.path, sizeof c.path, "%s", path);
    snprintf(c.where, sizeof c.where, "%s", where ? where : "");
    if (!lua_istable(L, tidx))
        return vfail(&c, NULL, "expected { text = \"...\", check = function(results) ... end }, got %s",
                     vdescribe(L, tidx, d, sizeof d));
    if (s->nclaims == MTLUA_MAX_CLAIMS) return vfail(&c, NULL, "more than %d claims in one script", MTLUA_MAX_CLAIMS);
    TRY(vcheck_keys(&c, tidx, claim_keys));
    mtlua_claim_info *k = &s->claim[s->nclaims];
    memset(k, 0, sizeof *k);
    k->on_sweep = on_sweep;
    snprintf(k->where, sizeof k->where, "%s", c.where);
    snprintf(k->path, sizeof k->path, "%s", path);
    lua_getfield(L, tidx, "text");
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0) {
        vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        return vfail(&c, "text", "required: the claim in words, got %s", d);
    }
    snprintf(k->text, sizeof k->text, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    static const char *const fns[] = {"check", "measure"};
    int ref[2];
    for (int f = 0; f < 2; f++) {
        lua_getfield(L, tidx, fns[f]);
        if (!lua_isnil(L, -1) && !lua_isfunction(L, -1)) {
            vdescribe(L, -1, d, sizeof d);
            lua_pop(L, 1);
            return vfail(&c, fns[f], "expected function(results) ... end, got %s", d);
        }
        ref[f] = lua_isfunction(L, -1) ? luaL_ref(L, LUA_REGISTRYINDEX) : (lua_pop(L, 1), LUA_NOREF);
    }
    s->claim_check[s->nclaims] = ref[0];
    s->claim_measure[s->nclaims] = ref[1];
    k->has_check = ref[0] != LUA_NOREF;
    k->has_measure = ref[1] != LUA_NOREF;
    s->nclaims++; /* the refs are released with the state from here on */
    if (!k->has_check && !k->has_measure)
        return vfail(&c, NULL, "a claim needs check = function(results) return ok, message end, "
                               "or measure = function(results) return value end with above or below");
    static const char *const stats[] = {"mean", "median", NULL};
    TRY(vstring(&c, tidx, "statistic", "mean", stats, k->statistic, sizeof k->statistic));
    lua_getfield(L, tidx, "above");
    k->has_above = !lua_isnil(L, -1);
    lua_getfield(L, tidx, "below");
    k->has_below = !lua_isnil(L, -1);
    lua_pop(L, 2);
    if (k->has_above) TRY(vnumber(&c, tidx, "above", 0, -HUGE_VAL, HUGE_VAL, &k->above));
    if (k->has_below) TRY(vnumber(&c, tidx, "below", 0, -HUGE_VAL, HUGE_VAL, &k->below));
    if (k->has_measure && k->has_above == k->has_below)
        return vfail(&c, "measure", "give the margin the statistic must clear: above = X or below = X (one of them)");
    if (!k->has_measure && (k->has_above || k->has_below))
        return vfail(&c, k->has_above ? "above" : "below", "a margin needs measure = function(results) ... end");
    TRY(read_grid(&c, tidx, "seeds", k->seed, &k->nseeds, 0));
    TRY(read_grid(&c, tidx, "draws", k->draw, &k->ndraws, 0));
    if (k->ndraws == 0) k->draw[k->ndraws++] = 0;
    return MT_OK;
}

/* The field `claim` of the table at tidx, if any. */
static mt_status read_field(mtlua_session *s, int tidx, const char *path, int on_sweep)
{
    lua_State *L = s->L;
    char where[256] = "";
    lua_getfield(L, tidx, "__where");
    if (lua_type(L, -1) == LUA_TSTRING) snprintf(where, sizeof where, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, tidx, "claim");
    mt_status st = MT_OK;
    if (!lua_isnil(L, -1)) {
        /* the claim's own line: where its check (or measure) is defined */
        static const char *const fns[] = {"check", "measure"};
        for (int f = 0; f < 2 && lua_istable(L, -1); f++) {
            lua_getfield(L, -1, fns[f]);
            lua_Debug ar;
            if (lua_isfunction(L, -1) && lua_getinfo(L, ">S", &ar) && ar.linedefined > 0) {
                snprintf(where, sizeof where, "%s:%d", ar.short_src, ar.linedefined);
                break;
            }
            if (!lua_isfunction(L, -1)) lua_pop(L, 1);
        }
        st = read_claim(s, lua_gettop(L), path, where, on_sweep);
    }
    lua_pop(L, 1);
    return st;
}

mt_status mtlua_claims_read(mtlua_session *s, int top, int list)
{
    lua_State *L = s->L;
    if (mtlua_is_sweep(s)) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->sweep_ref);
        mt_status st = read_field(s, lua_gettop(L), "sweep.claim", 1);
        lua_pop(L, 1);
        if (st) return st;
    }
    if (list) TRY(read_field(s, top, "claim", 0));
    for (int i = 0; i < s->n; i++) {
        lua_geti(L, top, i + 1);
        char path[64];
        if (s->n > 1) snprintf(path, sizeof path, "experiments[%d].claim", i + 1);
        else snprintf(path, sizeof path, "claim");
        mt_status st = read_field(s, lua_gettop(L), path, 0);
        lua_pop(L, 1);
        if (st) return st;
    }
    return MT_OK;
}

int mtlua_claim_count(const mtlua_session *s) { return s->nclaims; }
const mtlua_claim_info *mtlua_claim_at(const mtlua_session *s, int j) { return &s->claim[j]; }

/* ---- the results table --------------------------------------------------- */

/* Pushes a JSON value as Lua data: objects and arrays become tables
 * (arrays 1-based), null becomes NaN (a number no comparison holds for),
 * integral numbers become integers. */
static void push_json(lua_State *L, const cJSON *v)
{
    luaL_checkstack(L, 4, "JSON nesting");
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int arr = cJSON_IsArray(v), i = 0;
        lua_createtable(L, arr ? cJSON_GetArraySize(v) : 0, arr ? 0 : cJSON_GetArraySize(v));
        const cJSON *x;
        cJSON_ArrayForEach(x, v)
        {
            push_json(L, x);
            if (arr) lua_rawseti(L, -2, ++i);
            else lua_setfield(L, -2, x->string ? x->string : "");
        }
    } else if (cJSON_IsBool(v)) {
        lua_pushboolean(L, cJSON_IsTrue(v));
    } else if (cJSON_IsString(v)) {
        lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0) lua_pushinteger(L, (lua_Integer)d);
        else lua_pushnumber(L, d);
    } else {
        lua_pushnumber(L, NAN);
    }
}

/* The results table (created on first use) on the stack. */
static void push_results(mtlua_session *s)
{
    lua_State *L = s->L;
    if (s->results_ref == LUA_NOREF) {
        lua_newtable(L);
        s->results_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->results_ref);
}

/* run.history(name) -> { { step = s, value = rows }, ... }: every update
 * of the matrix `name` the run recorded (relations.jsonl of its folder,
 * the upvalue), oldest first; an empty list when it published none. */
static int run_history(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    char path[1400], *text;
    snprintf(path, sizeof path, "%s/relations.jsonl", lua_tostring(L, lua_upvalueindex(1)));
    lua_newtable(L);
    if (mt_read_text(path, &text, NULL)) {
        mt_clear_error();
        return 1;
    }
    int n = 0;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (!strstr(line, name)) continue; /* cheap filter before parsing */
        cJSON *o = cJSON_Parse(line);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0) {
            lua_createtable(L, 0, 2);
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "step");
            lua_pushinteger(L, cJSON_IsNumber(st) ? (lua_Integer)st->valuedouble : -1);
            lua_setfield(L, -2, "step");
            push_json(L, cJSON_GetObjectItemCaseSensitive(o, "values"));
            lua_setfield(L, -2, "value");
            lua_rawseti(L, -2, ++n);
        }
        cJSON_Delete(o);
    }
    mt_free(text);
    return 1;
}

typedef struct {
    cJSON *sum, *cfg;
    const char *dir;
    int i;
    mtlua_session *s;
} add_args;

static int add_protected(lua_State *L)
{
    add_args *a = lua_touserdata(L, 1);
    push_results(a->s);
    push_json(L, a->sum);
    if (a->cfg) {
        push_json(L, a->cfg);
        lua_setfield(L, -2, "config");
    }
    lua_pushstring(L, a->dir);
    lua_setfield(L, -2, "dir");
    lua_pushstring(L, a->dir);
    lua_pushcclosure(L, run_history, 1);
    lua_setfield(L, -2, "history");
    lua_pushinteger(L, a->i + 1);
    lua_setfield(L, -2, "index");
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, a->i + 1);
    lua_setfield(L, -2, a->s->exp[a->i].name);
    return 0;
}

static cJSON *read_json_file(const char *dir, const char *name, int required)
{
    char path[1400], *text;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (mt_read_text(path, &text, NULL)) {
        if (!required) mt_clear_error();
        return NULL;
    }
    cJSON *o = cJSON_Parse(text);
    mt_free(text);
    if (!o) mt_fail(MT_ERR_FORMAT, "%s: not valid JSON", path);
    return o;
}

mt_status mtlua_claim_add_result(mtlua_session *s, int i, const char *dir)
{
    if (i < 0 || i >= s->n) return mt_fail(MT_ERR_ARG, "claim results: no experiment %d", i + 1);
    add_args a = {.dir = dir, .i = i, .s = s};
    a.sum = read_json_file(dir, "summary.json", 1);
    if (!a.sum) return mt_last_status() ? mt_last_status() : MT_ERR_IO;
    a.cfg = read_json_file(dir, "config.json", 0);
    lua_State *L = s->L;
    lua_pushcfunction(L, add_protected);
    lua_pushlightuserdata(L, &a);
    mt_status st = mtlua_pcall(L, 1, 0, "claim results");
    cJSON_Delete(a.sum);
    cJSON_Delete(a.cfg);
    return st;
}

mt_status mtlua_claim_add_json(mtlua_session *s, const char *key, const char *json)
{
    cJSON *o = cJSON_Parse(json);
    if (!o) return mt_fail(MT_ERR_FORMAT, "claim results: %s is not valid JSON", key);
    lua_State *L = s->L;
    int top = lua_gettop(L);
    push_results(s);
    push_json(L, o);
    lua_setfield(L, -2, key);
    lua_settop(L, top);
    cJSON_Delete(o);
    return MT_OK;
}

/* ---- verdicts ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double mtlua_claim_statistic(const char *statistic, const double *v, int n)
{
    double x[MTLUA_CLAIM_MAX_VALUES];
    int m = 0;
    for (int i = 0; i < n && m < MTLUA_CLAIM_MAX_VALUES; i++)
        if (isfinite(v[i])) x[m++] = v[i];
    if (m == 0) return NAN;
    if (strcmp(statistic, "median") == 0) {
        qsort(x, (size_t)m, sizeof x[0], cmp_double);
        return m % 2 ? x[m / 2] : 0.5 * (x[m / 2 - 1] + x[m / 2]);
    }
    double sum = 0;
    for (int i = 0; i < m; i++) sum += x[i];
    return sum / m;
}

/* Appends to the verdict's message. */
static void say(mtlua_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(mtlua_verdict *v, const char *fmt, ...)
{
    size_t w = strlen(v->message);
    if (w + 1 >= sizeof v->message) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->message + w, sizeof v->message - w, fmt, ap);
    va_end(ap);
}

/* Calls function `ref` with the results; leaves its first two results on
 * the stack. An error is the verdict's (message with the script line). */
static int call(mtlua_session *s, int ref, const char *what, mtlua_verdict *v)
{
    lua_State *L = s->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    push_results(s);
    if (mtlua_pcall(L, 1, 2, what) == MT_OK) return 1;
    v->held = v->check_held = 0;
    v->error = 1;
    say(v, "%s", mt_last_error());
    return 0;
}

mt_status mtlua_claim_check(mtlua_session *s, int j, mtlua_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->statistic = NAN;
    if (j < 0 || j >= s->nclaims) return mt_fail(MT_ERR_ARG, "no claim %d", j + 1);
    const mtlua_claim_info *k = &s->claim[j];
    lua_State *L = s->L;
    int top = lua_gettop(L);
    char d[96];
    v->held = v->check_held = 1;
    if (k->has_check) {
        if (!call(s, s->claim_check[j], "claim.check", v)) goto out;
        if (!lua_isboolean(L, -2)) {
            v->held = v->check_held = 0;
            v->error = 1;
            say(v, "%s%sclaim.check must return true or false (and a message), got %s", k->where,
                k->where[0] ? ": " : "", vdescribe(L, -2, d, sizeof d));
            goto out;
        }
        v->held = v->check_held = lua_toboolean(L, -2);
        if (lua_type(L, -1) == LUA_TSTRING) say(v, "%s", lua_tostring(L, -1));
        else if (!lua_isnil(L, -1)) say(v, "(message: %s)", vdescribe(L, -1, d, sizeof d));
        lua_settop(L, top);
    }
    if (k->has_measure) {
        if (!call(s, s->claim_measure[j], "claim.measure", v)) goto out;
        int bad = 0;
        if (lua_type(L, -2) == LUA_TNUMBER) {
            v->value[v->nvalues++] = lua_tonumber(L, -2);
        } else if (lua_istable(L, -2)) {
            int n = (int)lua_rawlen(L, -2);
            bad = n < 1 || n > MTLUA_CLAIM_MAX_VALUES;
            for (int i = 0; i < n && !bad; i++) {
                lua_rawgeti(L, -2, i + 1);
                if (lua_type(L, -1) == LUA_TNUMBER) v->value[v->nvalues++] = lua_tonumber(L, -1);
                else bad = 1;
                lua_pop(L, 1);
            }
        } else {
            bad = 1;
        }
        if (bad) {
            v->held = v->check_held = 0;
            v->error = 1;
            say(v, "%s%sclaim.measure must return a number or a list of 1 to %d numbers, got %s", k->where,
                k->where[0] ? ": " : "", MTLUA_CLAIM_MAX_VALUES, vdescribe(L, -2, d, sizeof d));
            goto out;
        }
        if (v->message[0]) say(v, "; ");
        int note = lua_type(L, -1) == LUA_TSTRING;
        if (note) say(v, "%s", lua_tostring(L, -1));
        v->statistic = mtlua_claim_statistic(k->statistic, v->value, v->nvalues);
        int ok = k->has_above ? v->statistic > k->above : v->statistic < k->below;
        if (v->nvalues == 1) say(v, "%s%.4g", note ? " = " : "", v->statistic);
        else say(v, "%s%s of %d = %.4g", note ? ": " : "", k->statistic, v->nvalues, v->statistic);
        say(v, "%s %s %.4g", ok ? "" : ", not", k->has_above ? ">" : "<", k->has_above ? k->above : k->below);
        if (!ok) v->held = 0;
    }
    if (!v->message[0]) say(v, "%s", k->text);
out:
    lua_settop(L, top);
    return MT_OK;
}
