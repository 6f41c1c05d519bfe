/* validate.c - typed field readers that name the exact path of a bad field. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/strutil.h"
#include "lua_internal.h"
#include "mtl/topology.h"

/* The line of `key =` in the script, or 0. Lua cannot tell where a plain
 * table's field was written (and `return mtl.experiment { ... }` is a tail
 * call, which loses the constructor's line), so the message finds it in
 * the text: the first line assigning that name. */
static int locate_key(const char *script, const char *key)
{
    size_t kl = strlen(key);
    if (!script || kl == 0) return 0;
    FILE *f = fopen(script, "r");
    if (!f) return 0;
    char line[4096];
    int no = 0, found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        no++;
        const char *dash = strstr(line, "--");
        for (const char *p = strstr(line, key); p && (!dash || p < dash); p = strstr(p + 1, key)) {
            int before = p == line || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
            const char *q = p + kl;
            int after = !(isalnum((unsigned char)*q) || *q == '_');
            while (*q == ' ' || *q == '\t') q++;
            if (before && after && *q == '=' && q[1] != '=') {
                found = no;
                break;
            }
        }
    }
    fclose(f);
    return found;
}

/* "script.lua:12" for the innermost component of path.field that the
 * script text names, or just the script. */
static void locate(const mtlua_vctx *c, const char *full, char *out, size_t n)
{
    char comp[8][64];
    int nc = 0;
    const char *p = full;
    while (*p && nc < 8) {
        size_t len = strcspn(p, ".[");
        if (len > 0 && len < sizeof comp[0]) {
            memcpy(comp[nc], p, len);
            comp[nc++][len] = '\0';
        }
        p += len;
        if (*p == '[') p += strcspn(p, "]");
        if (*p) p++;
    }
    for (int i = nc - 1; i >= 0; i--) {
        if (strcmp(comp[i], "experiments") == 0) continue;
        int line = locate_key(c->script, comp[i]);
        if (line > 0) {
            snprintf(out, n, "%s:%d", c->script, line);
            return;
        }
    }
    snprintf(out, n, "%s", c->script ? c->script : "script");
}

mt_status vfail(const mtlua_vctx *c, const char *field, const char *fmt, ...)
{
    char msg[1024], full[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field && *field)
        snprintf(full, sizeof full, "%s%s%s", c->path, c->path[0] ? "." : "", field);
    else
        snprintf(full, sizeof full, "%s", c->path[0] ? c->path : "experiment");
    char where[600];
    /* a constructor's own line ("x.lua:14") when known, else the text's */
    const char *colon = strrchr(c->where, ':');
    if (c->where[0] && ((colon && colon[1] >= '0' && colon[1] <= '9') || !c->script))
        snprintf(where, sizeof where, "%s", c->where);
    else
        locate(c, full, where, sizeof where);
    return mt_fail(MT_ERR_SCRIPT, "%s: %s: %s", where, full, msg);
}

const char *vdescribe(lua_State *L, int idx, char *buf, size_t n)
{
    switch (lua_type(L, idx)) {
    case LUA_TNIL: snprintf(buf, n, "nil"); break;
    case LUA_TBOOLEAN: snprintf(buf, n, "%s", lua_toboolean(L, idx) ? "true" : "false"); break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) snprintf(buf, n, "%lld", (long long)lua_tointeger(L, idx));
        else snprintf(buf, n, "%.6g", lua_tonumber(L, idx));
        break;
    case LUA_TSTRING: {
        const char *s = lua_tostring(L, idx);
        snprintf(buf, n, "\"%.60s%s\"", s, strlen(s) > 60 ? "..." : "");
        break;
    }
    case LUA_TTABLE: snprintf(buf, n, "a table"); break;
    case LUA_TFUNCTION: snprintf(buf, n, "a function"); break;
    default: snprintf(buf, n, "a %s", luaL_typename(L, idx)); break;
    }
    return buf;
}

void vpush(mtlua_vctx *c, int tidx, const char *suffix, char *saved_path, char *saved_where)
{
    memcpy(saved_path, c->path, sizeof c->path);
    memcpy(saved_where, c->where, sizeof c->where);
    char np[sizeof c->path];
    if (suffix[0] == '[' || !c->path[0])
        snprintf(np, sizeof np, "%s%s", c->path, suffix);
    else
        snprintf(np, sizeof np, "%s.%s", c->path, suffix);
    memcpy(c->path, np, sizeof np);
    if (lua_type(c->L, tidx) == LUA_TTABLE) {
        lua_getfield(c->L, tidx, "__where");
        if (lua_type(c->L, -1) == LUA_TSTRING) snprintf(c->where, sizeof c->where, "%s", lua_tostring(c->L, -1));
        lua_pop(c->L, 1);
    }
}

void vpop(mtlua_vctx *c, const char *saved_path, const char *saved_where)
{
    memcpy(c->path, saved_path, sizeof c->path);
    memcpy(c->where, saved_where, sizeof c->where);
}

/* Errors on any key of the table at tidx not in allowed (NULL-terminated),
 * suggesting the closest allowed name; without one, the message says what
 * `owner` takes (`takes`: its own parameters, "" for none), or lists every
 * allowed name when owner is NULL. */
static mt_status check_keys(const mtlua_vctx *c, int tidx, const char *const *allowed, const char *owner,
                            const char *takes)
{
    lua_State *L = c->L;
    tidx = lua_absindex(L, tidx);
    lua_pushnil(L);
    while (lua_next(L, tidx)) {
        lua_pop(L, 1); /* value */
        if (lua_type(L, -1) != LUA_TSTRING) {
            if (lua_type(L, -1) == LUA_TNUMBER) { /* list entries are checked by the caller */
                continue;
            }
            char d[64];
            mt_status st = vfail(c, NULL, "unexpected key %s", vdescribe(L, -1, d, sizeof d));
            lua_pop(L, 1);
            return st;
        }
        const char *k = lua_tostring(L, -1);
        if (k[0] == '_' && k[1] == '_') continue; /* __kind, __where */
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k) == 0) ok = 1;
        if (!ok) {
            const char *best = mt_closest(k, allowed, 2);
            char list[512] = "";
            for (const char *const *a = allowed; *a; a++) {
                strncat(list, *a, sizeof list - strlen(list) - 3);
                if (a[1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            char key[128];
            snprintf(key, sizeof key, "%s", k);
            lua_pop(L, 1);
            if (owner && best) return vfail(c, key, "%s has no parameter '%s' (did you mean '%s'?)", owner, key, best);
            if (owner && !takes[0]) return vfail(c, key, "%s has no parameter '%s' (it takes none)", owner, key);
            if (owner) return vfail(c, key, "%s has no parameter '%s' (it takes: %s)", owner, key, takes);
            if (best) return vfail(c, key, "unknown field (did you mean '%s'?)", best);
            return vfail(c, key, "unknown field (expected one of: %s)", list);
        }
    }
    return MT_OK;
}

mt_status vcheck_keys(const mtlua_vctx *c, int tidx, const char *const *allowed)
{
    return check_keys(c, tidx, allowed, NULL, NULL);
}

mt_status vnumber(const mtlua_vctx *c, int tidx, const char *key, double dflt, double lo,
                  double hi, double *out)
{
    lua_State *L = c->L;
    lua_getfield(L, tidx, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        *out = dflt;
        return MT_OK;
    }
    char d[96];
    if (lua_type(L, -1) != LUA_TNUMBER) {
        vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        return vfail(c, key, "expected a number, got %s", d);
    }
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    mt_tparam_def def = {.key = key, .type = MT_TP_NUMBER, .lo = lo, .hi = hi};
    const char *why = tparam_check(&def, v);
    if (why) return vfail(c, key, "%s", why);
    *out = v;
    return MT_OK;
}

mt_status vint(const mtlua_vctx *c, int tidx, const char *key, long dflt, long lo, long hi,
               long *out)
{
    lua_State *L = c->L;
    lua_getfield(L, tidx, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        *out = dflt;
        return MT_OK;
    }
    char d[96];
    int isnum = 0;
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    /* a whole number beyond 64 bits (--set epochs=99999999999999999999
     * reads as 1e+20, as in Lua) is out of range, not "not an integer" */
    double f = lua_tonumber(L, -1);
    int too_big = lua_type(L, -1) == LUA_TNUMBER && !isnum && isfinite(f) && f == floor(f);
    if ((lua_type(L, -1) != LUA_TNUMBER || !isnum) && !too_big) {
        vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        if (lo == 1) return vfail(c, key, "expected a positive integer, got %s", d);
        if (lo == 0) return vfail(c, key, "expected an integer >= 0, got %s", d);
        return vfail(c, key, "expected an integer, got %s", d);
    }
    if (too_big || v < lo || v > hi) {
        vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        if (hi >= 1000000000L && !too_big && v < lo) return vfail(c, key, "expected an integer >= %ld, got %s", lo, d);
        return vfail(c, key, "expected an integer in %ld..%ld, got %s", lo, hi, d);
    }
    lua_pop(L, 1);
    *out = (long)v;
    return MT_OK;
}

mt_status vbool(const mtlua_vctx *c, int tidx, const char *key, int dflt, int *out)
{
    lua_State *L = c->L;
    lua_getfield(L, tidx, key);
    if (lua_isnil(L, -1)) {
        *out = dflt;
    } else if (lua_isboolean(L, -1)) {
        *out = lua_toboolean(L, -1);
    } else {
        char d[96];
        vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        return vfail(c, key, "expected true or false, got %s", d);
    }
    lua_pop(L, 1);
    return MT_OK;
}

mt_status vstring(const mtlua_vctx *c, int tidx, const char *key, const char *dflt,
                  const char *const *choices, char *out, size_t n)
{
    lua_State *L = c->L;
    lua_getfield(L, tidx, key);
    char d[96];
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        if (!dflt) return vfail(c, key, "required field is missing");
        snprintf(out, n, "%s", dflt);
        return MT_OK;
    }
    if (lua_type(L, -1) != LUA_TSTRING) {
        vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        return vfail(c, key, "expected a string, got %s", d);
    }
    const char *s = lua_tostring(L, -1);
    if (strlen(s) >= n) {
        lua_pop(L, 1);
        return vfail(c, key, "longer than %zu characters", n - 1);
    }
    if (choices) {
        int ok = 0;
        char list[512] = "";
        for (const char *const *a = choices; *a; a++) {
            if (strcmp(*a, s) == 0) ok = 1;
            strncat(list, *a, sizeof list - strlen(list) - 3);
            if (a[1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        if (!ok) {
            vdescribe(L, -1, d, sizeof d);
            lua_pop(L, 1);
            return vfail(c, key, "expected one of %s, got %s", list, d);
        }
    }
    snprintf(out, n, "%s", s);
    lua_pop(L, 1);
    return MT_OK;
}

mt_status vintlist(const mtlua_vctx *c, int tidx, const char *key, int *out, int *n, int max,
                   int min_value)
{
    lua_State *L = c->L;
    lua_getfield(L, tidx, key);
    char d[96];
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return MT_OK; /* keep the caller's default */
    }
    if (lua_type(L, -1) == LUA_TNUMBER) { /* a single width: { 64 } */
        lua_Integer v = lua_tointeger(L, -1);
        if (!lua_isinteger(L, -1) || v < min_value) {
            vdescribe(L, -1, d, sizeof d);
            lua_pop(L, 1);
            return vfail(c, key, "expected a list of integers >= %d, got %s", min_value, d);
        }
        out[0] = (int)v;
        *n = 1;
        lua_pop(L, 1);
        return MT_OK;
    }
    if (lua_type(L, -1) != LUA_TTABLE) {
        vdescribe(L, -1, d, sizeof d);
        lua_pop(L, 1);
        return vfail(c, key, "expected a list of integers, got %s", d);
    }
    int len = (int)luaL_len(L, -1);
    if (len > max) {
        lua_pop(L, 1);
        return vfail(c, key, "%d entries, at most %d supported", len, max);
    }
    for (int i = 1; i <= len; i++) {
        lua_geti(L, -1, i);
        int isnum = 0;
        lua_Integer v = lua_tointegerx(L, -1, &isnum);
        if (lua_type(L, -1) != LUA_TNUMBER || !isnum || v < min_value || v > 1 << 24) {
            vdescribe(L, -1, d, sizeof d);
            lua_pop(L, 2);
            char f[64];
            snprintf(f, sizeof f, "%s[%d]", key, i);
            if (min_value == 1) return vfail(c, f, "expected a positive integer, got %s", d);
            return vfail(c, f, "expected an integer >= %d, got %s", min_value, d);
        }
        out[i - 1] = (int)v;
        lua_pop(L, 1);
    }
    *n = len;
    lua_pop(L, 1);
    return MT_OK;
}

/* One value of a typed named parameter into params. */
static mt_status vtparam_one(const mtlua_vctx *c, int vidx, const mt_tparam_def *d, mt_tparams *out)
{
    lua_State *L = c->L;
    char dsc[96];
    const char *why;
    switch (d->type) {
    case MT_TP_BOOL:
        if (!lua_isboolean(L, vidx)) return vfail(c, d->key, "expected true or false, got %s", vdescribe(L, vidx, dsc, sizeof dsc));
        return tparam_set_num(out, d->key, d->type, lua_toboolean(L, vidx));
    case MT_TP_NUMBER:
    case MT_TP_INT: {
        if (lua_type(L, vidx) != LUA_TNUMBER)
            return vfail(c, d->key, "expected %s, got %s", d->type == MT_TP_INT ? "an integer" : "a number",
                         vdescribe(L, vidx, dsc, sizeof dsc));
        double v = lua_tonumber(L, vidx);
        if ((why = tparam_check(d, v))) return vfail(c, d->key, "%s", why);
        return tparam_set_num(out, d->key, d->type, v);
    }
    case MT_TP_CHOICE: {
        char list[256];
        tparam_choice_list(d, list, sizeof list);
        if (lua_type(L, vidx) == LUA_TNUMBER) { /* the index, as scripts wrote before names */
            double v = lua_tonumber(L, vidx);
            if ((why = tparam_check(d, v))) return vfail(c, d->key, "%s", why);
            return tparam_set_num(out, d->key, d->type, v);
        }
        if (lua_type(L, vidx) != LUA_TSTRING)
            return vfail(c, d->key, "expected one of %s, got %s", list, vdescribe(L, vidx, dsc, sizeof dsc));
        const char *v = lua_tostring(L, vidx);
        int idx = tparam_choice_index(d, v);
        if (idx >= 0) return tparam_set_num(out, d->key, d->type, idx);
        const char *names[32];
        char buf[32][64];
        int k = tparam_choice_count(d);
        if (k > 31) k = 31;
        for (int i = 0; i < k; i++) {
            tparam_choice_name(d, i, buf[i], sizeof buf[i]);
            names[i] = buf[i];
        }
        names[k] = NULL;
        const char *best = mt_closest(v, names, 2);
        if (best) return vfail(c, d->key, "expected one of %s, got \"%s\" (did you mean \"%s\"?)", list, v, best);
        return vfail(c, d->key, "expected one of %s, got \"%s\"", list, v);
    }
    case MT_TP_STRING:
        if (lua_type(L, vidx) != LUA_TSTRING) return vfail(c, d->key, "expected a string, got %s", vdescribe(L, vidx, dsc, sizeof dsc));
        if (strlen(lua_tostring(L, vidx)) >= MT_TPARAM_TEXT)
            return vfail(c, d->key, "longer than %d characters", MT_TPARAM_TEXT - 1);
        return tparam_set_str(out, d->key, lua_tostring(L, vidx));
    case MT_TP_TABLE:
        if (!lua_istable(L, vidx)) return vfail(c, d->key, "expected a table, got %s", vdescribe(L, vidx, dsc, sizeof dsc));
        return MT_OK; /* the owner reads it */
    case MT_TP_FUNCTION:
        if (!lua_isfunction(L, vidx)) return vfail(c, d->key, "expected a function, got %s", vdescribe(L, vidx, dsc, sizeof dsc));
        return MT_OK;
    case MT_TP_INTS:
    case MT_TP_NUMBERS: {
        double v[MT_TPARAM_LISTMAX];
        int n = 0;
        const char *what = d->type == MT_TP_INTS ? "an integer" : "a number";
        if (lua_type(L, vidx) == LUA_TNUMBER) {
            v[0] = lua_tonumber(L, vidx);
            n = 1;
            if ((why = tparam_check(d, v[0]))) return vfail(c, d->key, "%s", why);
        } else if (lua_istable(L, vidx)) {
            n = (int)luaL_len(L, vidx);
            if (n > tparam_maxlen(d)) return vfail(c, d->key, "%d entries, at most %d", n, tparam_maxlen(d));
            for (int i = 0; i < n; i++) {
                lua_geti(L, vidx, i + 1);
                int ok = lua_type(L, -1) == LUA_TNUMBER;
                v[i] = ok ? lua_tonumber(L, -1) : 0;
                if (!ok) vdescribe(L, -1, dsc, sizeof dsc);
                lua_pop(L, 1);
                char f[48];
                snprintf(f, sizeof f, "%s[%d]", d->key, i + 1);
                if (!ok) return vfail(c, f, "expected %s, got %s", what, dsc);
                if ((why = tparam_check(d, v[i]))) return vfail(c, f, "%s", why);
            }
        } else {
            return vfail(c, d->key, "expected a list of %ss, got %s", d->type == MT_TP_INTS ? "integer" : "number",
                         vdescribe(L, vidx, dsc, sizeof dsc));
        }
        return tparam_set_list(out, d->key, d->type, v, n);
    }
    }
    return MT_OK;
}

mt_status vtparams(const mtlua_vctx *c, int tidx, const char *const *common, const mt_tparam_def *defs,
                   mt_tparams *out, const char *owner)
{
    lua_State *L = c->L;
    tidx = lua_absindex(L, tidx);
    /* unknown keys first, with suggestions from both lists */
    const char *all[64];
    int n = 0;
    for (const char *const *k = common; k && *k && n < 32; k++) all[n++] = *k;
    for (const mt_tparam_def *d = defs; d && d->key && n < 63; d++) all[n++] = d->key;
    all[n] = NULL;
    char takes[512] = "";
    for (const mt_tparam_def *d = defs; d && d->key; d++) {
        strncat(takes, d->key, sizeof takes - strlen(takes) - 3);
        if (d[1].key) strncat(takes, ", ", sizeof takes - strlen(takes) - 1);
    }
    mt_status st = check_keys(c, tidx, all, owner ? owner : "it", takes);
    if (st) return st;
    for (const mt_tparam_def *d = defs; d && d->key; d++) {
        lua_getfield(L, tidx, d->key);
        if (!lua_isnil(L, -1)) st = vtparam_one(c, lua_gettop(L), d, out);
        else if (d->flags & MT_TPF_REQUIRED) st = vfail(c, d->key, "required field is missing (%s)", d->help);
        lua_pop(L, 1);
        if (st) return st;
    }
    return MT_OK;
}
