/* core.c - the "mtl.core" module: what the Lua half needs from C. */
#include "lua_internal.h"
#include "run/methods.h"

#define MTLAB_VERSION "0.1.0"

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

int luaopen_mtl_core(lua_State *L)
{
    static const luaL_Reg fns[] = {{"method_names", core_method_names}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushstring(L, MTLAB_VERSION);
    lua_setfield(L, -2, "version");
    lua_newtable(L);
    lua_setfield(L, -2, "methods");
    return 1;
}
