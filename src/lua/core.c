/* core.c - the "mtl.core" module: what the Lua half needs from C, and the
 * gradient combiners on explicit vectors, for teaching and testing:
 *
 *   local d, alpha = mtl.methods.pcgrad { { -4, 1, 1 }, { 6, 1, 1 } }
 *   local d, alpha = mtl.methods.cagrad({ g1, g2 }, { c = 0.4 })
 *   local d, alpha = mtl.methods.mgda({ g1, g2 }, { norm = "loss", losses = { 0.5, 2 } }) */
#include <math.h>
#include <string.h>
#include "core/mem.h"
#include "core/strutil.h"
#include "core/version.h"
#include "lua_internal.h"
#include "data/landscape.h"
#include "mtl/combine.h"
#include "mtl/methods.h"


/* mtl.core.method_names() -> { "equal", "static", ... } */
static int core_method_names(lua_State *L)
{
    int n = method_count();
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, method_at(i)->name);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* mtl.core.data_names() -> { "fashion_mnist", ... }: the mtl.data constructors */
static int core_data_names(lua_State *L)
{
    int n = db_source_count();
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(L, db_source_at(i)->name);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* mtl.core.combine(name, G, opts) -> direction (table), alpha (table).
 * opts: the method's registry parameters, plus `losses` and `seed`. */
static int core_combine(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    const mt_method_info *info;
    if (method_lookup(name, &info)) return luaL_error(L, "mtl.methods.%s: %s", name, mt_last_error());
    if (info->family != MT_METHOD_COMBINER)
        return luaL_error(L, "mtl.methods.%s: a loss-weighting method, not a gradient combiner", name);
    mt_combine_kind kind = (mt_combine_kind)info->kind;
    int T = (int)luaL_len(L, 2);
    if (T < 1 || T > 256) return luaL_error(L, "combine %s: expected 1..256 gradient vectors, got %d", name, T);
    lua_geti(L, 2, 1);
    if (!lua_istable(L, -1)) return luaL_error(L, "combine %s: gradient 1 is not a list of numbers", name);
    size_t P = (size_t)luaL_len(L, -1);
    lua_pop(L, 1);
    if (P < 1 || P > 10000000) return luaL_error(L, "combine %s: gradients must have 1..1e7 entries", name);
    mt_combine_params prm;
    combine_params_default(&prm);
    mt_tparams given;
    memset(&given, 0, sizeof given);
    long seed = 0;
    if (!lua_isnoneornil(L, 3)) {
        mtlua_vctx c = {.L = L};
        snprintf(c.where, sizeof c.where, "mtl.methods.%s", name);
        snprintf(c.path, sizeof c.path, "opts");
        static const char *const extra[] = {"losses", "seed", NULL};
        if (vtparams(&c, 3, extra, info->params, &given, info->name) || vint(&c, 3, "seed", 0, 0, 0x7fffffffffffffffL, &seed))
            return luaL_error(L, "%s", mt_last_error());
    }
    method_fill(info, &given, &prm);
    prm.seed = (uint64_t)seed;
    float *G = mt_alloc((size_t)T * P * sizeof(float));
    float *d = mt_alloc(P * sizeof(float));
    float alpha[256], losses[256];
    int have_losses = 0;
    if (!G || !d) {
        mt_free(G);
        mt_free(d);
        return luaL_error(L, "combine %s: out of memory", name);
    }
    for (int i = 0; i < T; i++) {
        lua_geti(L, 2, i + 1);
        int ok = lua_istable(L, -1) && (size_t)luaL_len(L, -1) == P;
        for (size_t j = 0; ok && j < P; j++) {
            lua_geti(L, -1, (lua_Integer)j + 1);
            ok = lua_type(L, -1) == LUA_TNUMBER;
            G[(size_t)i * P + j] = (float)lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (!ok) {
            mt_free(G);
            mt_free(d);
            return luaL_error(L, "combine %s: gradient %d must be a list of %d numbers", name, i + 1, (int)P);
        }
    }
    if (!lua_isnoneornil(L, 3)) {
        lua_getfield(L, 3, "losses");
        if (lua_istable(L, -1) && (int)luaL_len(L, -1) == T) {
            have_losses = 1;
            for (int i = 0; i < T; i++) {
                lua_geti(L, -1, i + 1);
                losses[i] = (float)lua_tonumber(L, -1);
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    mt_combiner *c = NULL;
    mt_status st = combine_new(&c, kind, T, &prm);
    if (!st) st = combine_reserve(c, P); /* moco, db_mtl, excess_mtl: this call is their first step */
    if (!st) st = combine_run(c, G, T, P, have_losses ? losses : NULL, d, alpha);
    combine_free(c);
    if (st) {
        mt_free(G);
        mt_free(d);
        return luaL_error(L, "%s", mt_last_error()); /* it names the method */
    }
    lua_createtable(L, (int)P, 0);
    for (size_t j = 0; j < P; j++) {
        lua_pushnumber(L, d[j]);
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    lua_createtable(L, T, 0);
    for (int i = 0; i < T; i++) {
        lua_pushnumber(L, alpha[i]);
        lua_rawseti(L, -2, i + 1);
    }
    mt_free(G);
    mt_free(d);
    return 2;
}

/* mtl.core.closest(word, { names }) -> the closest name within two edits, or nil */
static int core_closest(lua_State *L)
{
    const char *word = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *names[129];
    int n = (int)luaL_len(L, 2);
    if (n > 128) n = 128;
    for (int i = 0; i < n; i++) {
        lua_geti(L, 2, i + 1);
        names[i] = lua_tostring(L, -1); /* kept alive by the table */
        lua_pop(L, 1);
        if (!names[i]) return luaL_error(L, "closest: entry %d is not a string", i + 1);
    }
    names[n] = NULL;
    const char *best = mt_closest(word, names, 2);
    if (best) lua_pushstring(L, best);
    else lua_pushnil(L);
    return 1;
}

/* mtl.core.where(level) -> "file.lua:12" of the function `level` levels up
 * (1 = the caller), or nil: the line mtl.lua tags constructors with. */
static int core_where(lua_State *L)
{
    lua_Debug ar;
    int level = (int)luaL_checkinteger(L, 1);
    if (level >= 0 && lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
        lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
    else
        lua_pushnil(L);
    return 1;
}

/* The session running the script (NULL outside one, e.g. a bare state). */
static mtlua_session *core_session(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "mtlab.session");
    mtlua_session *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return s;
}

/* mtl.seeds(n) -> { N, N+1, ..., N+n-1 }: the training seeds of a script
 * that builds several itself; N is --seed (1 without it). Calling it
 * tells the session that --seed offsets these seeds rather than setting
 * train.seed in every experiment. */
static int core_seeds(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 1 && n <= 1000, 1, "expected a number of seeds from 1 to 1000");
    mtlua_session *s = core_session(L);
    long long base = s ? s->seed_base : 1;
    if (s) s->own_seeds = 1;
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_pushinteger(L, (lua_Integer)base + i);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* mtl.draw: the data draw (--draw N; 0 = the data as shipped). */
static int core_draw(lua_State *L)
{
    mtlua_session *s = core_session(L);
    lua_pushinteger(L, s ? (lua_Integer)s->draw : (lua_Integer)mtlua_get_draw());
    return 1;
}

/* mtl.data_seed(s) -> s + draw * MTLUA_DRAW_STRIDE: the seed a script
 * gives math.randomseed when it builds its data in Lua, so --draw N draws
 * fresh data exactly as it does for the mtl.data constructors. */
static int core_data_seed(lua_State *L)
{
    lua_Integer seed = luaL_checkinteger(L, 1);
    mtlua_session *s = core_session(L);
    long long draw = s ? s->draw : mtlua_get_draw();
    lua_pushinteger(L, seed + (lua_Integer)(draw * MTLUA_DRAW_STRIDE));
    return 1;
}

/* mtl.landscape(problem, x) -> f1, f2: the two objectives of an analytic
 * landscape (mtl.share.landscape's problems) at the point x, from the same
 * code the landscape topology trains on, so a claim can judge end points
 * (e.g. whether a point of the front dominates them). */
static int core_landscape(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    const mt_landscape *ls = landscape_find(name);
    if (!ls) return luaL_error(L, "mtl.landscape: no landscape \"%s\"", name);
    int d = (int)luaL_len(L, 2);
    if (d < 1 || d > 4096 || (ls->dim > 0 && d != ls->dim))
        return luaL_error(L, "mtl.landscape: %s takes a point of %d coordinates, got %d", name, ls->dim, d);
    double x[4096], f[2];
    for (int j = 0; j < d; j++) {
        lua_geti(L, 2, j + 1);
        if (!lua_isnumber(L, -1)) return luaL_error(L, "mtl.landscape: x[%d] is not a number", j + 1);
        x[j] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    ls->eval(x, d, f, NULL);
    lua_pushnumber(L, f[0]);
    lua_pushnumber(L, f[1]);
    return 2;
}

int luaopen_mtl_core(lua_State *L)
{
    static const luaL_Reg fns[] = {{"method_names", core_method_names}, {"data_names", core_data_names}, {"combine", core_combine}, {"closest", core_closest},
                                   {"where", core_where}, {"seeds", core_seeds}, {"draw", core_draw},
                                   {"data_seed", core_data_seed}, {"landscape", core_landscape},
                                   {"group_affinity", mtlua_core_group_affinity}, {"partition", mtlua_core_partition},
                                   {"branch_tree", mtlua_core_branch_tree},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushstring(L, MTLAB_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
