/* console.c - the workbench's Lua console on a session: a line
 * evaluated against the run on screen (under lua_pcall, the result
 * formatted for the pane) and Tab completion of the names before the
 * cursor. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/optim.h"
#include "mtl/methods.h"
#include "mtl/topology.h"
#include "lua_internal.h"

/* A console rendering of a value: numbers with 6 significant digits,
 * tables as { k = v, ... } two levels deep with sorted string keys. */
static size_t format_value(lua_State *L, int idx, char *out, size_t n, int depth)
{
    idx = lua_absindex(L, idx);
    size_t w = 0;
    int pushed = LUA_TNIL;
#define PUT(...)                                                              \
    do {                                                                      \
        if (w < n) {                                                          \
            int r_ = snprintf(out + w, n - w, __VA_ARGS__);                   \
            if (r_ > 0) w += (size_t)r_ < n - w ? (size_t)r_ : n - w - 1;     \
        }                                                                     \
    } while (0)
    if (n) out[0] = '\0';
    if (lua_type(L, idx) == LUA_TNUMBER && !lua_isinteger(L, idx)) {
        PUT("%.6g", lua_tonumber(L, idx));
    } else if (lua_type(L, idx) == LUA_TSTRING && depth > 0) {
        PUT("\"%s\"", lua_tostring(L, idx));
    } else if (lua_type(L, idx) == LUA_TTABLE && depth < 2 &&
               (pushed = luaL_getmetafield(L, idx, "__tostring")) == LUA_TNIL) {
        /* collect keys, sort the string ones for a stable display */
        const char *keys[64];
        int nk = 0, len = (int)luaL_len(L, idx);
        lua_pushnil(L);
        while (lua_next(L, idx) && nk < 64) {
            lua_pop(L, 1);
            if (lua_type(L, -1) == LUA_TSTRING) keys[nk++] = lua_tostring(L, -1);
        }
        if (nk == 64) lua_pop(L, 2); /* the key and value lua_next pushed last */
        for (int i = 1; i < nk; i++)
            for (int j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                const char *tmp = keys[j];
                keys[j] = keys[j - 1];
                keys[j - 1] = tmp;
            }
        PUT("{ ");
        char sub[512];
        for (int i = 1; i <= len && i <= 32; i++) {
            lua_geti(L, idx, i);
            format_value(L, -1, sub, sizeof sub, depth + 1);
            lua_pop(L, 1);
            PUT("%s%s", sub, i < len || nk ? ", " : " ");
        }
        for (int k = 0; k < nk; k++) {
            lua_getfield(L, idx, keys[k]);
            format_value(L, -1, sub, sizeof sub, depth + 1);
            lua_pop(L, 1);
            PUT("%s = %s%s", keys[k], sub, k + 1 < nk ? ", " : " ");
        }
        PUT("}");
    } else {
        if (pushed != LUA_TNIL) lua_pop(L, 1); /* the __tostring getmetafield pushed */
        const char *v = luaL_tolstring(L, idx, NULL);
        PUT("%s", v);
        lua_pop(L, 1);
    }
#undef PUT
    return w;
}

typedef struct {
    mtlua_session *s;
    const char *line;
    char *out;
    size_t n;
    int syntax; /* 1: the line did not compile; the message is in out */
} eval_args;

/* The console line under lua_pcall: setting the globals `run` and `mtl`,
 * calling the line and formatting what it returns may all run a
 * script's metamethods. "expr" is tried as "return expr" first, like
 * lua.c does. */
static int eval_protected(lua_State *L)
{
    eval_args *a = lua_touserdata(L, 1);
    mtlua_session *s = a->s;
    lua_settop(L, 0);
    lua_pushglobaltable(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->run_ref[s->current]);
    lua_setfield(L, 1, "run");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "mtl");
    if (!lua_isnil(L, -1)) {
        lua_pushliteral(L, "mtl");
        lua_insert(L, -2);
        lua_rawset(L, 1);
    } else {
        lua_pop(L, 1);
    }
    lua_settop(L, 0);
    lua_pushfstring(L, "return %s", a->line);
    int rc = luaL_loadbuffer(L, lua_tostring(L, -1), lua_rawlen(L, -1), "=console");
    lua_remove(L, 1);
    if (rc != LUA_OK) {
        lua_settop(L, 0);
        rc = luaL_loadbuffer(L, a->line, strlen(a->line), "=console");
    }
    if (rc != LUA_OK) {
        snprintf(a->out, a->n, "%s", lua_tostring(L, -1));
        a->syntax = 1;
        return 0;
    }
    lua_call(L, 0, LUA_MULTRET);
    size_t w = 0;
    char one[1024];
    a->out[0] = '\0';
    for (int i = 1; i <= lua_gettop(L); i++) {
        format_value(L, i, one, sizeof one, 0);
        w += (size_t)snprintf(a->out + (w < a->n ? w : a->n), w < a->n ? a->n - w : 0, "%s%s", i > 1 ? "\t" : "", one);
    }
    return 0;
}

mt_status mtlua_eval(mtlua_session *s, const char *line, char *out, size_t n)
{
    lua_State *L = s->L;
    int top = lua_gettop(L);
    out[0] = '\0';
    eval_args a = {.s = s, .line = line, .out = out, .n = n};
    lua_pushcfunction(L, eval_protected);
    lua_pushlightuserdata(L, &a);
    mt_status st = mtlua_pcall(L, 1, 0, NULL);
    lua_settop(L, top);
    if (st) {
        snprintf(out, n, "%s", mt_last_error());
        return st;
    }
    if (a.syntax) return mt_fail(MT_ERR_SCRIPT, "%s", out);
    return MT_OK;
}

/* ---- console completion ------------------------------------------------ */

typedef struct {
    mtlua_session *s;
    const char *before;
    char *insert, *list;
    size_t ni, nl;
    int count;
} complete_args;

enum { COMPLETE_MAX = 128 };

static int name_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Pushes the value a console name starts from: run, mtl (the module even
 * before the console has set the global), or a raw global. */
static void push_root(lua_State *L, mtlua_session *s, const char *name, size_t len)
{
    if (len == 3 && strncmp(name, "run", 3) == 0 && s->n > 0) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->run_ref[s->current]);
        return;
    }
    lua_pushglobaltable(L);
    lua_pushlstring(L, name, len);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    if (lua_isnil(L, -1) && len == 3 && strncmp(name, "mtl", 3) == 0) {
        lua_pop(L, 1);
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        lua_getfield(L, -1, "mtl");
        lua_remove(L, -2);
    }
}

/* Adds the string keys of the table at idx that start with prefix (and
 * are not __metafields) to names; methods: functions only. */
static void collect_keys(lua_State *L, int idx, const char *prefix, int methods, const char **names, int *n)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) return;
    size_t pl = strlen(prefix);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && *n < COMPLETE_MAX) {
            const char *k = lua_tostring(L, -2);
            int ident = name_char(k[0]) && !isdigit((unsigned char)k[0]);
            for (const char *q = k; *q && ident; q++) ident = name_char(*q);
            if (ident && strncmp(k, prefix, pl) == 0 && strncmp(k, "__", 2) != 0 &&
                (!methods || lua_isfunction(L, -1))) {
                int dup = 0;
                for (int i = 0; i < *n && !dup; i++) dup = strcmp(names[i], k) == 0;
                if (!dup) names[(*n)++] = k; /* the key stays in the table while we look */
            }
        }
        lua_pop(L, 1);
    }
}

/* The constructor tables of mtl made by __index (mtl.share.<any name>)
 * list nothing raw: their names come from the registries. */
static void collect_registry(lua_State *L, int obj, const char *prefix, const char **names, int *n)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "mtl");
    int which = -1;
    static const char *const fields[] = {"share", "reg", "weight", "combine", "methods", "optim"};
    for (int i = 0; i < 6 && which < 0 && lua_istable(L, -1); i++) {
        lua_pushstring(L, fields[i]);
        lua_rawget(L, -2);
        if (lua_rawequal(L, -1, obj)) which = i;
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    size_t pl = strlen(prefix);
    int count = which == 0 ? topo_class_count() : which == 1 ? reg_class_count() : which == 5 ? MT_OPTIM_KIND_COUNT
              : which > 0 ? method_count() : 0;
    for (int i = 0; i < count && *n < COMPLETE_MAX; i++) {
        const char *k = which == 0 ? topo_class_at(i)->name : which == 1 ? reg_class_at(i)->name
                      : which == 5 ? optim_kind_name((mt_optim_kind)i) : method_at(i)->name;
        if (strncmp(k, prefix, pl) == 0) names[(*n)++] = k;
    }
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int complete_protected(lua_State *L)
{
    complete_args *a = lua_touserdata(L, 1);
    const char *end = a->before + strlen(a->before), *p = end;
    while (p > a->before && (name_char(p[-1]) || p[-1] == '.' || p[-1] == ':')) p--;
    /* the last separator splits the object's path from the partial name */
    const char *sep = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '.' || *q == ':') sep = q;
    const char *partial = sep ? sep + 1 : p;
    const char *names[COMPLETE_MAX];
    int n = 0;
    lua_settop(L, 0);
    if (!sep) {
        lua_pushglobaltable(L);
        collect_keys(L, -1, partial, 0, names, &n);
        static const char *const extra[] = {"run", "mtl"};
        for (int i = 0; i < 2; i++) {
            int dup = 0;
            for (int j = 0; j < n && !dup; j++) dup = strcmp(names[j], extra[i]) == 0;
            if (!dup && strncmp(extra[i], partial, strlen(partial)) == 0 && n < COMPLETE_MAX) names[n++] = extra[i];
        }
    } else {
        /* walk the path raw: no metamethod runs */
        const char *q = p;
        const char *dot = q;
        while (dot < sep && *dot != '.' && *dot != ':') dot++;
        push_root(L, a->s, q, (size_t)(dot - q));
        while (dot < sep && !lua_isnil(L, -1)) {
            if (*dot == ':' || !lua_istable(L, -1)) {
                lua_pushnil(L);
                break;
            }
            q = dot + 1;
            dot = q;
            while (dot < sep && *dot != '.' && *dot != ':') dot++;
            lua_pushlstring(L, q, (size_t)(dot - q));
            lua_rawget(L, -2);
        }
        int methods = *sep == ':';
        if (!lua_isnil(L, -1)) {
            int obj = lua_gettop(L);
            collect_keys(L, obj, partial, methods, names, &n);
            if (!methods) collect_registry(L, obj, partial, names, &n);
            if (lua_getmetatable(L, obj)) { /* a userdata's methods: its __index table */
                lua_pushliteral(L, "__index");
                lua_rawget(L, -2);
                collect_keys(L, -1, partial, methods, names, &n);
            }
        }
    }
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    a->count = n;
    /* the longest continuation all candidates share */
    size_t pl = strlen(partial), common = n ? strlen(names[0]) : 0;
    for (int i = 1; i < n; i++) {
        size_t c = 0;
        while (c < common && names[i][c] == names[0][c]) c++;
        common = c;
    }
    if (n && common > pl) snprintf(a->insert, a->ni, "%.*s", (int)(common - pl), names[0] + pl);
    if (n == 1 && sep && *sep == ':') {
        size_t l = strlen(a->insert);
        if (l + 1 < a->ni) snprintf(a->insert + l, a->ni - l, "(");
    }
    size_t w = 0;
    for (int i = 0; n > 1 && i < n && w < a->nl; i++)
        w += (size_t)snprintf(a->list + w, a->nl - w, "%s%s", i ? "  " : "", names[i]);
    return 0;
}

int mtlua_complete(mtlua_session *s, const char *before, char *insert, size_t ni, char *list, size_t nl)
{
    if (ni) insert[0] = '\0';
    if (nl) list[0] = '\0';
    lua_State *L = s->L;
    int top = lua_gettop(L);
    complete_args a = {.s = s, .before = before, .insert = insert, .ni = ni, .list = list, .nl = nl};
    lua_pushcfunction(L, complete_protected);
    lua_pushlightuserdata(L, &a);
    mt_status st = mtlua_pcall(L, 1, 0, "completion");
    lua_settop(L, top);
    return st ? 0 : a.count;
}
