/* sandbox.c - the Lua state a script runs in.
 *
 * Opening a script should be as safe as opening a document. By default a
 * script gets the parts of the standard library that compute (string,
 * table, math, utf8, coroutine, the base functions), reads the clock and the
 * environment, reads files under its own folder, requires Lua source from
 * its folder and the mtl module path, and prints to the console. Anything
 * that reaches outside (running programs, writing or removing files,
 * loading C code or bytecode, the debug library) is replaced by a stub that
 * fails with a message naming the function, the script line and the option
 * that allows it. --trust gives the full standard library.
 *
 * Every state also has an allocator with a limit, so a script that builds
 * a huge table gets a clear error instead of an out-of-memory kill. */
#include <errno.h>
#include <limits.h>
#include <lualib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lua_internal.h"

#define TRUST_HINT "run with --trust to allow it"

/* ---- policy and output ---------------------------------------------------- */

static mtlua_policy policy = {.trust = 0, .mem_limit = MTLUA_MEM_DEFAULT};

void mtlua_set_policy(const mtlua_policy *p)
{
    policy = *p;
    if (!policy.mem_limit) policy.mem_limit = MTLUA_MEM_DEFAULT;
}

const mtlua_policy *mtlua_get_policy(void) { return &policy; }

static mtlua_print_fn print_fn;
static void *print_ud;

void mtlua_set_print(mtlua_print_fn fn, void *ud)
{
    print_fn = fn;
    print_ud = ud;
}

/* The one place print() and io.write() of a script end: the sink the app
 * installed (the workbench's console), else stdout. */
void mtlua_output(const char *text, size_t len)
{
    if (print_fn) {
        print_fn(print_ud, text, len);
        return;
    }
    fwrite(text, 1, len, stdout);
    fflush(stdout);
}

/* ---- the main thread inside Lua (for the interrupt watchdog) -------------- */

static atomic_int lua_depth;
static atomic_int main_held;

void mtlua_enter(void) { atomic_fetch_add(&lua_depth, 1); }

/* Leaving Lua while the watchdog holds the main thread means the process
 * is about to end with the watchdog's exit: wait for it rather than touch
 * the screen or the run folders it is finalising. */
void mtlua_leave(void)
{
    atomic_fetch_sub(&lua_depth, 1);
    while (atomic_load(&main_held)) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int mtlua_busy(void) { return atomic_load(&lua_depth) > 0; }

int mtlua_hold_main(void)
{
    atomic_store(&main_held, 1);
    if (atomic_load(&lua_depth) > 0) return 1;
    atomic_store(&main_held, 0);
    return 0;
}

void mtlua_release_main(void) { atomic_store(&main_held, 0); }

/* ---- the allocator with a limit ------------------------------------------- */

typedef struct {
    size_t used, limit; /* bytes held by the state, and its cap */
    int hit;            /* a request was refused for the cap */
    int trust;
    char script[PATH_MAX];  /* as the user gave it, for messages */
    char root[PATH_MAX];    /* the script's folder, resolved */
    char mtl_dir[PATH_MAX]; /* the mtl module path, resolved */
} sb_ctx;

/* Lua's allocator contract: nsize 0 frees; shrinking never fails; growing
 * may return NULL, which Lua turns into a memory error. */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sb_ctx *c = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        c->used -= old;
        return NULL;
    }
    if (nsize > old && c->used - old + nsize > c->limit) {
        c->hit = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p) return nsize <= old ? ptr : NULL;
    c->used = c->used - old + nsize;
    return p;
}

static sb_ctx *ctx_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

void mtlua_format_size(size_t bytes, char *out, size_t n)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4 && (size_t)v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    snprintf(out, n, "%.0f %s", v, unit[u]);
}

const char *mtlua_memory_message(lua_State *L, char *buf, size_t n)
{
    sb_ctx *c = ctx_of(L);
    if (!c->hit) {
        snprintf(buf, n, "out of memory");
        return buf;
    }
    c->hit = 0;
    char lim[32];
    mtlua_format_size(c->limit, lim, sizeof lim);
    snprintf(buf, n, "%s: the script's Lua memory reached its limit of %s (a huge table or string?); --lua-mem "
             "SIZE raises it", c->script, lim);
    return buf;
}

size_t mtlua_memory_used(lua_State *L) { return ctx_of(L)->used; }

int mtlua_state_trusted(lua_State *L) { return ctx_of(L)->trust; }

/* ---- stubs: what the sandbox refuses ------------------------------------ */

static int sb_refused(lua_State *L)
{
    return luaL_error(L, "%s is not available in the sandbox (" TRUST_HINT ")",
                      lua_tostring(L, lua_upvalueindex(1)));
}

/* __index of a library table: a member that is not a function (io.stdout,
 * package.cpath) fails when read. */
static int sb_forbidden_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (lua_isstring(L, -1))
        return luaL_error(L, "%s is not available in the sandbox (" TRUST_HINT ")", lua_tostring(L, -1));
    return 0;
}

/* ---- paths ------------------------------------------------------------- */

static int inside(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/') return 1;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* The real path of `path` when it lies under `dir` (the file itself, or for
 * a file that does not exist, its folder); NULL otherwise. */
static const char *resolve_under(const char *dir, const char *path, char *out)
{
    if (realpath(path, out)) return inside(dir, out) ? out : NULL;
    if (errno != ENOENT) return NULL;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    const char *base = path;
    if (slash) {
        base = path + (slash - parent) + 1;
        if (slash == parent) slash[1] = '\0';
        else *slash = '\0';
    } else {
        snprintf(parent, sizeof parent, ".");
    }
    char rp[PATH_MAX];
    if (!realpath(parent, rp) || !inside(dir, rp)) return NULL;
    if (strlen(rp) + strlen(base) + 2 > PATH_MAX) return NULL;
    snprintf(out, PATH_MAX, "%s/%s", strcmp(rp, "/") == 0 ? "" : rp, base);
    return out;
}

/* Raises "<fn>: <path> is outside the script's folder ..." unless path is
 * under the script's folder; returns the resolved path in out. */
static const char *check_path(lua_State *L, const char *fn, const char *path, char *out)
{
    sb_ctx *c = ctx_of(L);
    if (!resolve_under(c->root, path, out))
        luaL_error(L, "%s: %s is outside the script's folder (%s); the sandbox reads files only there (" TRUST_HINT
                   ")", fn, path, c->root);
    return out;
}

/* ---- replacements ----------------------------------------------------- */

static void output_args(lua_State *L, int first, const char *sep, const char *end, int any_value)
{
    luaL_Buffer b;
    int n = lua_gettop(L);
    luaL_buffinit(L, &b);
    for (int i = first; i <= n; i++) {
        if (any_value) luaL_tolstring(L, i, NULL);
        else {
            luaL_checklstring(L, i, NULL); /* strings and numbers, as io.write */
            lua_pushvalue(L, i);
            lua_tostring(L, -1);
        }
        luaL_addvalue(&b);
        if (i < n && sep) luaL_addstring(&b, sep);
    }
    if (end) luaL_addstring(&b, end);
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    mtlua_output(s, len);
    lua_pop(L, 1);
}

/* print(...): like Lua's, into mtlua_output. */
static int sb_print(lua_State *L)
{
    output_args(L, 1, "\t", "\n", 1);
    return 0;
}

/* io.write(...): strings and numbers, into mtlua_output. */
static int sb_io_write(lua_State *L)
{
    output_args(L, 1, NULL, NULL, 0);
    return 0;
}

static int is_binary_chunk_message(lua_State *L, int idx)
{
    const char *m = lua_tostring(L, idx);
    return m && strstr(m, "binary chunk") != NULL;
}

/* load(chunk [, name [, mode [, env]]]): text chunks only. */
static int sb_load(lua_State *L)
{
    int n = lua_gettop(L);
    if (lua_type(L, 1) == LUA_TSTRING && lua_tostring(L, 1)[0] == LUA_SIGNATURE[0])
        return luaL_error(L, "load: precompiled (binary) chunks are not available in the sandbox (" TRUST_HINT ")");
    if (n < 3) lua_settop(L, 3);
    lua_pushstring(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    if (lua_isnil(L, 1) && is_binary_chunk_message(L, 2))
        return luaL_error(L, "load: precompiled (binary) chunks are not available in the sandbox (" TRUST_HINT ")");
    return lua_gettop(L);
}

/* Loads a source file of the script's folder as a function (text only). */
static int load_under_root(lua_State *L, const char *fn, const char *path)
{
    char real[PATH_MAX];
    check_path(L, fn, path, real);
    int rc = luaL_loadfilex(L, real, "t");
    if (rc != LUA_OK && is_binary_chunk_message(L, -1))
        return luaL_error(L, "%s: %s is precompiled bytecode; the sandbox loads Lua source only (" TRUST_HINT ")",
                          fn, path);
    return rc;
}

/* loadfile(name [, mode [, env]]) */
static int sb_loadfile(lua_State *L)
{
    const char *path = luaL_optstring(L, 1, NULL);
    if (!path) return luaL_error(L, "loadfile: reading standard input is not available in the sandbox (" TRUST_HINT ")");
    int env = !lua_isnone(L, 3) ? 3 : 0;
    if (load_under_root(L, "loadfile", path) != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    if (env) {
        lua_pushvalue(L, env);
        if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    }
    return 1;
}

static int dofile_cont(lua_State *L, int d1, lua_KContext d2)
{
    (void)d1;
    (void)d2;
    return lua_gettop(L) - 1;
}

/* dofile(name) */
static int sb_dofile(lua_State *L)
{
    const char *path = luaL_optstring(L, 1, NULL);
    if (!path) return luaL_error(L, "dofile: reading standard input is not available in the sandbox (" TRUST_HINT ")");
    lua_settop(L, 1);
    if (load_under_root(L, "dofile", path) != LUA_OK) return lua_error(L);
    lua_callk(L, 0, LUA_MULTRET, 0, dofile_cont);
    return dofile_cont(L, 0, 0);
}

/* io.open(name [, mode]): reading only, under the script's folder. */
static int sb_io_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    const char *mode = luaL_optstring(L, 2, "r");
    if (mode[0] != 'r' || strchr(mode, '+'))
        return luaL_error(L, "io.open: writing files (mode \"%s\") is not available in the sandbox (" TRUST_HINT ")",
                          mode);
    char real[PATH_MAX];
    check_path(L, "io.open", path, real);
    int base = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushstring(L, real);
    lua_pushstring(L, mode);
    lua_call(L, 2, LUA_MULTRET);
    return lua_gettop(L) - base;
}

/* io.lines(name, ...): reading only, under the script's folder. */
static int sb_io_lines(lua_State *L)
{
    if (lua_isnoneornil(L, 1))
        return luaL_error(L, "io.lines: reading standard input is not available in the sandbox (" TRUST_HINT ")");
    const char *path = luaL_checkstring(L, 1);
    char real[PATH_MAX];
    check_path(L, "io.lines", path, real);
    lua_pushstring(L, real);
    lua_replace(L, 1);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* The require searcher of the sandbox: Lua source (text) from the mtl
 * module path, then from the script's folder; no C modules. */
static int sb_searcher(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    sb_ctx *c = ctx_of(L);
    const char *dirs[] = {c->mtl_dir, c->root};
    luaL_Buffer tried;
    int ntried = 0;
    luaL_buffinit(L, &tried);
    char file[PATH_MAX], sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s", name);
    for (char *p = sub; *p; p++)
        if (*p == '.') *p = '/';
    for (int i = 0; i < 2; i++) {
        if (!dirs[i][0]) continue;
        if ((size_t)snprintf(file, sizeof file, "%s/%s.lua", dirs[i], sub) >= sizeof file) continue;
        char real[PATH_MAX];
        if (access(file, R_OK) != 0 || !resolve_under(dirs[i], file, real)) {
            lua_pushfstring(L, "%sno file '%s'", ntried++ ? "\n\t" : "", file);
            luaL_addvalue(&tried);
            continue;
        }
        if (luaL_loadfilex(L, real, "t") != LUA_OK) {
            luaL_where(L, 2); /* the line of the require, not of require itself */
            if (is_binary_chunk_message(L, -2))
                lua_pushfstring(L, "module '%s': %s is precompiled bytecode; the sandbox loads Lua source only ("
                                TRUST_HINT ")", name, file);
            else
                lua_pushfstring(L, "error loading module '%s' from file '%s':\n\t%s", name, file, lua_tostring(L, -2));
            lua_concat(L, 2);
            return lua_error(L);
        }
        lua_pushstring(L, file);
        return 2;
    }
    lua_pushfstring(L, "\n\tno C modules in the sandbox (" TRUST_HINT ")");
    luaL_addvalue(&tried);
    luaL_pushresult(&tried);
    return 1;
}

/* ---- building the sandbox ---------------------------------------------- */

/* What a sandboxed script keeps of each standard library. `keep` lists the
 * members kept as they are (NULL keeps the whole library); `replace` the
 * members that get a sandbox version; every other member becomes a stub
 * that names itself. This table is the one place the policy lives; the
 * docs (docs/lua-api.md, "What a script may use") describe it. */
typedef struct {
    const char *name;
    lua_CFunction open;
    const char *const *keep;
    const luaL_Reg *replace;
} sb_lib;

static const char *const keep_base[] = {"assert", "collectgarbage", "error", "getmetatable", "ipairs", "next",
                                        "pairs", "pcall", "rawequal", "rawget", "rawlen", "rawset", "select",
                                        "setmetatable", "tonumber", "tostring", "type", "xpcall", "_G", "_VERSION",
                                        NULL};
static const luaL_Reg repl_base[] = {
    {"print", sb_print}, {"load", sb_load}, {"loadfile", sb_loadfile}, {"dofile", sb_dofile}, {NULL, NULL}};
static const char *const keep_os[] = {"time", "clock", "date", "difftime", "getenv", NULL};
static const char *const keep_io[] = {"type", NULL};
static const luaL_Reg repl_io[] = {{"open", sb_io_open}, {"lines", sb_io_lines}, {"write", sb_io_write}, {NULL, NULL}};
static const char *const keep_package[] = {"loaded", "preload", "config", "path", "searchers", NULL};
static const char *const keep_none[] = {NULL};

static const sb_lib sb_libs[] = {
    {"_G", luaopen_base, keep_base, repl_base},
    {LUA_LOADLIBNAME, luaopen_package, keep_package, NULL},
    {LUA_COLIBNAME, luaopen_coroutine, NULL, NULL},
    {LUA_TABLIBNAME, luaopen_table, NULL, NULL},
    {LUA_STRLIBNAME, luaopen_string, NULL, NULL},
    {LUA_MATHLIBNAME, luaopen_math, NULL, NULL},
    {LUA_UTF8LIBNAME, luaopen_utf8, NULL, NULL},
    {LUA_OSLIBNAME, luaopen_os, keep_os, NULL},
    {LUA_IOLIBNAME, luaopen_io, keep_io, repl_io},
    {LUA_DBLIBNAME, luaopen_debug, keep_none, NULL},
};

static int listed(const char *const *list, const char *k)
{
    for (; *list; list++)
        if (strcmp(*list, k) == 0) return 1;
    return 0;
}

static const luaL_Reg *replacement(const luaL_Reg *r, const char *k)
{
    for (; r && r->name; r++)
        if (strcmp(r->name, k) == 0) return r;
    return NULL;
}

/* Restricts the library table at the top of the stack in place. */
static void restrict_lib(lua_State *L, const sb_lib *lib)
{
    int t = lua_gettop(L);
    lua_newtable(L); /* forbidden non-function members: name -> "lib.name" */
    int forbidden = t + 1, nforbidden = 0;
    lua_newtable(L); /* the keys, collected first: the loop below changes fields */
    int keys = t + 2, nkeys = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) continue;
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++nkeys);
    }
    for (int i = 1; i <= nkeys; i++) {
        lua_rawgeti(L, keys, i);
        const char *k = lua_tostring(L, -1);
        const luaL_Reg *r = replacement(lib->replace, k);
        if (listed(lib->keep, k) && !r) {
            lua_pop(L, 1);
            continue;
        }
        if (strcmp(lib->name, "_G") == 0) lua_pushstring(L, k);
        else lua_pushfstring(L, "%s.%s", lib->name, k);
        lua_getfield(L, t, k); /* the original member: an upvalue of the replacement */
        if (r) {
            lua_pushcclosure(L, r->func, 1);
            lua_remove(L, -2);
        } else if (lua_isfunction(L, -1)) {
            lua_pop(L, 1);
            lua_pushcclosure(L, sb_refused, 1);
        } else {
            lua_pop(L, 1);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, forbidden);
            nforbidden++;
            lua_pushnil(L);
        }
        lua_setfield(L, t, k);
        lua_pop(L, 1);
    }
    for (const luaL_Reg *r = lib->replace; r && r->name; r++) { /* members the library lacked */
        lua_getfield(L, t, r->name);
        int have = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!have) {
            lua_pushnil(L);
            lua_pushcclosure(L, r->func, 1);
            lua_setfield(L, t, r->name);
        }
    }
    if (nforbidden) {
        lua_newtable(L);
        lua_pushvalue(L, forbidden);
        lua_pushcclosure(L, sb_forbidden_index, 1);
        lua_setfield(L, -2, "__index");
        lua_setmetatable(L, t);
    }
    lua_settop(L, t);
}

static void open_sandboxed(lua_State *L)
{
    for (size_t i = 0; i < sizeof sb_libs / sizeof *sb_libs; i++) {
        const sb_lib *lib = &sb_libs[i];
        luaL_requiref(L, lib->name, lib->open, 1);
        if (lib->keep) restrict_lib(L, lib);
        lua_pop(L, 1);
    }
    /* require: the preload searcher, then Lua source from the allowed folders */
    lua_getglobal(L, LUA_LOADLIBNAME);
    lua_getfield(L, -1, "searchers");
    lua_createtable(L, 2, 0);
    lua_rawgeti(L, -2, 1);
    lua_rawseti(L, -2, 1);
    lua_pushcfunction(L, sb_searcher);
    lua_rawseti(L, -2, 2);
    lua_setfield(L, -3, "searchers");
    lua_pop(L, 2);
}

/* Sets up the libraries; runs protected, so a memory limit too small for
 * them is an error, not a panic. */
static int setup_state(lua_State *L)
{
    sb_ctx *c = ctx_of(L);
    if (c->trust) {
        luaL_openlibs(L);
        lua_pushcfunction(L, sb_print);
        lua_setglobal(L, "print");
    } else {
        open_sandboxed(L);
    }
    luaL_requiref(L, "mtl.core", luaopen_mtl_core, 0);
    lua_pop(L, 1);
    /* package.path: the mtl module, the script's folder, then (trusted) the defaults */
    lua_getglobal(L, LUA_LOADLIBNAME);
    lua_pushfstring(L, "%s/?.lua;%s/?.lua", c->mtl_dir, c->root);
    if (c->trust) {
        lua_pushliteral(L, ";");
        lua_getfield(L, -3, "path");
        lua_concat(L, 3);
    }
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    return 0;
}

static int at_panic(lua_State *L)
{
    const char *m = lua_tostring(L, -1);
    fprintf(stderr, "mtlab: unprotected Lua error (a bug in mtlab): %s\n", m ? m : "?");
    return 0; /* Lua aborts */
}

lua_State *mtlua_state_new(const char *script, char *err, size_t errn)
{
    sb_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errn, "out of memory");
        return NULL;
    }
    c->limit = policy.mem_limit ? policy.mem_limit : MTLUA_MEM_DEFAULT;
    c->trust = policy.trust;
    snprintf(c->script, sizeof c->script, "%s", script);
    char real[PATH_MAX];
    if (realpath(script, real)) {
        char *slash = strrchr(real, '/');
        if (slash == real) slash[1] = '\0';
        else if (slash) *slash = '\0';
        snprintf(c->root, sizeof c->root, "%s", real);
    } else if (!realpath(".", c->root)) {
        snprintf(c->root, sizeof c->root, "/nonexistent");
    }
    if (!realpath(mtlua_lua_dir(), c->mtl_dir)) snprintf(c->mtl_dir, sizeof c->mtl_dir, "%s", mtlua_lua_dir());
    lua_State *L = lua_newstate(sb_alloc, c);
    if (!L) {
        free(c);
        snprintf(err, errn, "cannot create a Lua state (memory limit too small?)");
        return NULL;
    }
    lua_atpanic(L, at_panic);
    lua_pushcfunction(L, setup_state);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        char mem[256];
        snprintf(err, errn, "cannot set up the Lua state: %s",
                 lua_type(L, -1) == LUA_TSTRING && !c->hit ? lua_tostring(L, -1)
                                                           : mtlua_memory_message(L, mem, sizeof mem));
        mtlua_state_close(L);
        return NULL;
    }
    return L;
}

void mtlua_state_close(lua_State *L)
{
    if (!L) return;
    sb_ctx *c = ctx_of(L);
    lua_close(L);
    free(c);
}
