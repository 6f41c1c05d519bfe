/* session.c - one Lua state running one experiment script. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/log.h"
#include "core/mem.h"
#include "core/version.h"
#include "mtl/methods.h"
#include "lua_internal.h"



static volatile sig_atomic_t interrupted;

void mtlua_interrupt(void) { interrupted = 1; }
void mtlua_clear_interrupt(void) { interrupted = 0; }
int mtlua_interrupt_pending(void) { return interrupted; }

/* The count hook: a runaway loop in a script or a callback ends with an
 * "interrupted" error at the next check instead of hanging the process. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (interrupted) {
        interrupted = 0;
        luaL_error(L, "interrupted");
    }
}

int mtlua_traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

mt_status mtlua_pcall(lua_State *L, int nargs, int nres, const char *context)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, mtlua_traceback);
    lua_insert(L, base);
    mtlua_enter();
    int rc = lua_pcall(L, nargs, nres, base);
    mtlua_leave();
    lua_remove(L, base);
    if (rc == LUA_OK) return MT_OK;
    char mem[256];
    const char *m = rc == LUA_ERRMEM ? mtlua_memory_message(L, mem, sizeof mem) : lua_tostring(L, -1);
    mt_status st = m && strstr(m, "interrupted") ? MT_ERR_INTERRUPTED : MT_ERR_SCRIPT;
    if (context && *context) mt_fail(st, "%s: %s", context, m ? m : "(no message)");
    else mt_fail(st, "%s", m ? m : "(no message)");
    lua_pop(L, 1);
    return st;
}

const char *mtlua_lua_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("MTLAB_LUA_PATH");
    if (env && *env) return env;
    const char *root = mt_datadir();
    if (!root) return "lua";
    snprintf(dir, sizeof dir, "%s/lua", root);
    return dir;
}

/* Reading an undefined global is an error, so a typo fails loudly. */
static int strict_index(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "undefined global '%s'", k ? k : "?");
}

static void make_globals_strict(lua_State *L)
{
    lua_pushglobaltable(L);
    lua_newtable(L);
    lua_pushcfunction(L, strict_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}

/* The application's side of run:pause() and run:resume(). */
void mtlua_set_host(mtlua_session *s, const mtlua_host *h)
{
    memset(&s->host, 0, sizeof s->host);
    if (h) s->host = *h;
}

mt_status mtlua_parse_override(char *arg, mtlua_override *ov)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return mt_fail(MT_ERR_ARG, "--set %s: expected key=value, e.g. --set train.epochs=2", arg);
    *eq = '\0';
    ov->key = arg;
    ov->value = eq + 1;
    ov->origin = NULL;
    return MT_OK;
}

/* Pushes the override's value: a number (an integer too large for 64 bits
 * becomes a float, as in Lua, so the field's range check names it),
 * true/false, a table written as a Lua constructor (read as data, never
 * run: literal.c), or else the string. */
static mt_status push_value(lua_State *L, const mtlua_override *ov)
{
    const char *v = ov->value;
    char *end;
    errno = 0;
    long long i = strtoll(v, &end, 10);
    if (*v && !*end && errno != ERANGE) {
        lua_pushinteger(L, i);
        return MT_OK;
    }
    double d = strtod(v, &end);
    if (*v && !*end) lua_pushnumber(L, d);
    else if (strcmp(v, "true") == 0) lua_pushboolean(L, 1);
    else if (strcmp(v, "false") == 0) lua_pushboolean(L, 0);
    else if (v[0] == '{') {
        char err[512];
        if (mtlua_push_literal(L, v, err, sizeof err))
            return mt_fail(MT_ERR_ARG, "--set %s=%s: %s", ov->key, v, err);
    } else {
        lua_pushstring(L, v);
    }
    return MT_OK;
}

/* optim = "sgd" and weighting = "pcgrad" may be strings in a script; a
 * nested override (optim.lr=...) needs the table form. */
static void table_form(lua_State *L, const char *key)
{
    const char *field = strcmp(key, "optim") == 0 ? "name" : strcmp(key, "weighting") == 0 ? "method" : NULL;
    if (!field || lua_type(L, -1) != LUA_TSTRING) return;
    lua_newtable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, field);
}

/* Applies key=value to the experiment table at tidx. The path's tables
 * must exist except the last level, which is created for "train.x",
 * "optim.x" and the like; the validator then rejects unknown fields.
 * optim=NAME keeps the optimiser's other fields (optim.lr given before). */
static mt_status apply_override(lua_State *L, int tidx, const mtlua_override *ov)
{
    char path[256];
    snprintf(path, sizeof path, "%s", ov->key);
    /* tasks[2].weight -> tasks.2.weight */
    for (char *p = path; *p; p++)
        if (*p == '[') *p = '.';
        else if (*p == ']') memmove(p, p + 1, strlen(p));
    lua_pushvalue(L, tidx);
    char *save = NULL, *tok = strtok_r(path, ".", &save);
    char *next;
    char parent[64] = "";
    while (tok) {
        next = strtok_r(NULL, ".", &save);
        char *end;
        errno = 0;
        long idx = strtol(tok, &end, 10);
        int is_index = *tok && !*end;
        if (is_index && (errno == ERANGE || idx < 1)) {
            lua_pop(L, 1);
            return mt_fail(MT_ERR_ARG, "--set %s=%s: [%s] is not a list position (1, 2, ...)", ov->key, ov->value, tok);
        }
        if (!next) {
            if (!is_index && strcmp(tok, "optim") == 0 && lua_gettop(L) > 0) {
                lua_getfield(L, -1, "optim");
                int keep = lua_istable(L, -1) && strchr(ov->value, '{') == NULL;
                if (keep) { /* a new name for the optimiser table */
                    mt_status st = push_value(L, ov);
                    if (st) {
                        lua_pop(L, 2);
                        return st;
                    }
                    lua_setfield(L, -2, "name");
                    lua_pop(L, 2);
                    return MT_OK;
                }
                lua_pop(L, 1);
            }
            if (is_index) lua_pushinteger(L, idx);
            else lua_pushstring(L, tok);
            mt_status st = push_value(L, ov);
            if (st) {
                lua_pop(L, 2);
                return st;
            }
            lua_settable(L, -3);
            lua_pop(L, 1);
            return MT_OK;
        }
        if (is_index) lua_geti(L, -1, idx);
        else lua_getfield(L, -1, tok);
        if (!is_index && lua_type(L, -1) == LUA_TSTRING) {
            table_form(L, tok);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, tok);
        }
        if (lua_isnil(L, -1) && !is_index) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, tok);
        }
        if (!lua_istable(L, -1)) {
            int n = lua_istable(L, -2) ? (int)luaL_len(L, -2) : 0;
            lua_pop(L, 2);
            if (is_index)
                return mt_fail(MT_ERR_ARG, "--set %s=%s: '%s' has %d entries, there is no [%ld]", ov->key, ov->value,
                               parent[0] ? parent : "experiment", n, idx);
            return mt_fail(MT_ERR_ARG, "--set %s=%s: '%s' is not a table in the experiment", ov->key, ov->value,
                           tok);
        }
        lua_remove(L, -2);
        snprintf(parent, sizeof parent, "%s", tok);
        tok = next;
    }
    lua_pop(L, 1);
    return mt_fail(MT_ERR_ARG, "--set %s: empty key", ov->key);
}

/* An error about a field an override set is the override's, not the
 * script's: "--set train.epoch=2: train.epoch: unknown field ...". */
static void blame_override(const mtlua_override *ov, int nov)
{
    const char *msg = mt_last_error();
    int best = -1;
    size_t best_len = 0;
    const char *best_at = NULL;
    /* the most specific override wins: weighting.alpha=20 over weighting=gradnorm */
    for (int k = 0; k < nov; k++) {
        char key[256];
        size_t w = 0;
        /* tasks.2.weight -> tasks[2].weight, the validator's spelling */
        for (const char *p = ov[k].key; *p && w + 4 < sizeof key; p++) {
            if (*p == '.' && isdigit((unsigned char)p[1])) {
                key[w++] = '[';
                p++;
                while (isdigit((unsigned char)*p) && w + 3 < sizeof key) key[w++] = *p++;
                key[w++] = ']';
                p--;
            } else {
                key[w++] = *p;
            }
        }
        key[w] = '\0';
        char pat[300];
        snprintf(pat, sizeof pat, ": %s:", key);
        const char *at = strstr(msg, pat);
        if (!at) {
            snprintf(pat, sizeof pat, ": %s.", key);
            at = strstr(msg, pat);
        }
        if (at && strlen(key) > best_len) {
            best = k;
            best_len = strlen(key);
            best_at = at;
        }
    }
    if (best >= 0) {
        char rest[2048];
        snprintf(rest, sizeof rest, "%s", best_at + 2);
        if (ov[best].origin) mt_fail(mt_last_status(), "%s %s: %s", ov[best].origin, ov[best].value, rest);
        else mt_fail(mt_last_status(), "--set %s=%s: %s", ov[best].key, ov[best].value, rest);
    }
}

static long long draw_setting;

void mtlua_set_draw(long long draw) { draw_setting = draw > 0 ? draw : 0; }
long long mtlua_get_draw(void) { return draw_setting; }
int mtlua_owns_seeds(const mtlua_session *s) { return s->own_seeds; }

/* --draw N: every data declaration (mtl.data.*, each table once) gets
 * seed + N * MTLUA_DRAW_STRIDE, so a constructor draws fresh examples
 * (a generator) or a fresh split (files, inline tables). */
static void apply_draw(mtlua_session *s, int r, int n)
{
    lua_State *L = s->L;
    const void *seen[MAX_EXPERIMENTS];
    int nseen = 0;
    for (int i = 1; i <= n; i++) {
        lua_geti(L, r, i);
        lua_getfield(L, -1, "data");
        int d = lua_gettop(L), dup = 0;
        lua_getfield(L, d, "__kind");
        int is_data = lua_istable(L, d) && lua_type(L, -1) == LUA_TSTRING && strncmp(lua_tostring(L, -1), "data.", 5) == 0;
        lua_pop(L, 1);
        for (int k = 0; k < nseen && is_data; k++) dup |= seen[k] == lua_topointer(L, d);
        if (is_data && !dup && nseen < MAX_EXPERIMENTS) {
            seen[nseen++] = lua_topointer(L, d);
            lua_getfield(L, d, "seed");
            lua_Integer seed = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 1; /* the constructors' default */
            lua_pop(L, 1);
            lua_pushinteger(L, seed + s->draw * MTLUA_DRAW_STRIDE);
            lua_setfield(L, d, "seed");
        }
        lua_pop(L, 2);
    }
}

mt_status mtlua_experiment_finish(mtlua_vctx *c, int tidx, mt_data_ref *ref, mt_experiment *e)
{
    lua_State *L = c->L;
    e->data = ref;
    lua_getfield(L, tidx, "tasks");
    mt_status st = mtlua_task_targets(c, lua_gettop(L), ref, e);
    lua_pop(L, 1);
    if (st) return st; /* vfail's message names c->where already */
    st = experiment_validate(e);
    if (st && c->where[0]) mt_fail_prefix(st, "%s", c->where);
    return st;
}

/* Data declarations are shared between experiments: the same Lua table
 * builds one dataset. */
typedef struct {
    const void *table;
    mt_data_ref *ref;
} data_cache;

static mt_status build_experiment(mtlua_session *s, int tidx, int i, data_cache *cache, int *ncache)
{
    lua_State *L = s->L;
    mt_experiment *e = &s->exp[i];
    experiment_defaults(e);
    snprintf(e->script, sizeof e->script, "%s", s->script);
    mtlua_vctx c = {.L = L, .script = s->script};
    if (s->n > 1) snprintf(c.path, sizeof c.path, "experiments[%d]", i + 1);
    lua_getfield(L, tidx, "__where");
    if (lua_type(L, -1) == LUA_TSTRING) snprintf(c.where, sizeof c.where, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    mt_status st = mtlua_parse_experiment(&c, tidx, e);
    if (st) return st;
    lua_getfield(L, tidx, "data");
    int di = lua_gettop(L);
    char sp[256], sw[256];
    vpush(&c, di, "data", sp, sw);
    mt_data_ref *ref = NULL;
    for (int k = 0; k < *ncache; k++)
        if (cache[k].table == lua_topointer(L, di)) ref = cache[k].ref;
    if (ref) {
        data_ref_retain(ref);
    } else if (lua_isnil(L, di)) {
        st = vfail(&c, NULL, "required field is missing (e.g. data = mtl.data.fashion_mnist { train = 2000 })");
    } else {
        st = mtlua_build_data(&c, di, &ref);
        if (!st && *ncache < MAX_EXPERIMENTS) {
            cache[*ncache].table = lua_topointer(L, di);
            cache[*ncache].ref = ref;
            (*ncache)++;
        }
    }
    vpop(&c, sp, sw);
    lua_settop(L, di - 1);
    if (st) return st;
    st = mtlua_experiment_finish(&c, tidx, ref, e);
    if (st) return st;
    static const char *const cbs[] = {"on_step", "on_eval", "on_epoch"};
    for (int k = 0; k < 3; k++) {
        lua_getfield(L, tidx, cbs[k]);
        s->cb_ref[i][k] = lua_isfunction(L, -1) ? luaL_ref(L, LUA_REGISTRYINDEX) : (lua_pop(L, 1), LUA_NOREF);
    }
    return MT_OK;
}


/* Runs the script and builds its experiments. Called protected (see
 * mtlua_open): a metamethod of the script's tables that fails while C
 * reads them, or the memory limit, is an error message, not a panic. */
static mt_status open_script(mtlua_session *s, const mtlua_override *ov, int nov)
{
    lua_State *L = s->L;
    const char *script = s->script;
    if (access(script, R_OK) != 0) return mt_fail(MT_ERR_ARG, "%s: cannot read the script", script);
    if (luaL_loadfilex(L, script, "t") != LUA_OK) {
        if (strstr(lua_tostring(L, -1), "binary chunk"))
            return mt_fail(MT_ERR_SCRIPT, "%s: precompiled Lua bytecode is not accepted; give the script's source "
                           "text (.lua)", script);
        return mt_fail(MT_ERR_SCRIPT, "%s", lua_tostring(L, -1));
    }
    make_globals_strict(L);
    mt_status st;
    if ((st = mtlua_pcall(L, 0, 1, NULL))) return st;
    int r = lua_gettop(L);
    if (lua_isnil(L, r))
        return mt_fail(MT_ERR_SCRIPT,
                       "%s: the script returned nothing; end it with `return mtl.experiment { ... }`", script);
    if (!lua_istable(L, r)) {
        char d[96];
        return mt_fail(MT_ERR_SCRIPT, "%s: the script returned %s; expected mtl.experiment { ... } or a list of them",
                       script, vdescribe(L, r, d, sizeof d));
    }
    if ((st = mtlua_sweep_unwrap(s, r))) return st;
    /* one experiment or a list */
    lua_getfield(L, r, "__kind");
    int single = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "experiment") == 0;
    lua_pop(L, 1);
    if (single) {
        lua_newtable(L);
        lua_pushvalue(L, r);
        lua_rawseti(L, -2, 1);
        lua_replace(L, r);
    }
    lua_Integer len = luaL_len(L, r);
    if (len < 1 || len > MAX_EXPERIMENTS)
        return mt_fail(MT_ERR_SCRIPT, "%s: the script returned %lld experiments (1..%d supported)", script,
                       (long long)len, MAX_EXPERIMENTS);
    int n = (int)len;
    for (int i = 1; i <= n; i++) {
        lua_geti(L, r, i);
        lua_getfield(L, -1, "__kind");
        int ok = lua_istable(L, -2) && lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "experiment") == 0;
        lua_pop(L, 2);
        if (!ok) return mt_fail(MT_ERR_SCRIPT, "%s: returned list entry %d is not an mtl.experiment { ... }", script, i);
    }
    for (int k = 0; k < nov; k++) {
        /* --seed N offsets the seeds of a script that builds its own
         * (mtl.seeds) instead of giving every experiment seed N */
        if (s->own_seeds && ov[k].origin && strcmp(ov[k].origin, "--seed") == 0) continue;
        for (int i = 1; i <= n; i++) {
            lua_geti(L, r, i);
            st = apply_override(L, lua_gettop(L), &ov[k]);
            lua_pop(L, 1);
            if (st) return st;
        }
    }
    if (s->draw > 0) apply_draw(s, r, n);
    s->n = n; /* the claims name experiments[i] */
    st = mtlua_claims_read(s, r, !single);
    s->n = 0;
    if (st) return st;
    data_cache cache[MAX_EXPERIMENTS];
    int ncache = 0;
    for (int i = 0; i < n; i++) {
        s->n = i + 1; /* experiment i is freed on the way out whatever happens */
        lua_geti(L, r, i + 1);
        st = build_experiment(s, lua_gettop(L), i, cache, &ncache);
        lua_pop(L, 1);
        if (st) {
            blame_override(ov, nov);
            return st;
        }
        mtlua_push_run(L, s, i);
        s->run_ref[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_settop(L, 0);
    return MT_OK;
}

typedef struct {
    mtlua_session *s;
    const mtlua_override *ov;
    int nov;
    mt_status st;
} open_args;

static int open_protected(lua_State *L)
{
    open_args *a = lua_touserdata(L, 1);
    lua_settop(L, 0);
    a->st = open_script(a->s, a->ov, a->nov);
    return 0;
}

mt_status mtlua_open(const char *script, const mtlua_override *ov, int nov, mtlua_session **out)
{
    *out = NULL;
    mtlua_session *s = mt_calloc(1, sizeof *s);
    if (!s) return MT_ERR_NOMEM;
    snprintf(s->script, sizeof s->script, "%s", script);
    for (int i = 0; i < MAX_EXPERIMENTS; i++) {
        s->run_ref[i] = LUA_NOREF;
        for (int k = 0; k < 3; k++) s->cb_ref[i][k] = LUA_NOREF;
    }
    s->sweep_ref = LUA_NOREF;
    s->results_ref = LUA_NOREF;
    s->seed_base = 1;
    s->draw = draw_setting;
    for (int k = 0; k < nov; k++)
        if (ov[k].origin && strcmp(ov[k].origin, "--seed") == 0) {
            s->seed_base = strtoll(ov[k].value, NULL, 10);
            s->seed_given = 1;
        }
    char err[512];
    s->L = mtlua_state_new(script, err, sizeof err);
    if (!s->L) {
        mt_free(s);
        return mt_fail(MT_ERR_NOMEM, "%s: %s", script, err);
    }
    lua_State *L = s->L;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 10000);
    lua_pushlightuserdata(L, s);
    lua_setfield(L, LUA_REGISTRYINDEX, "mtlab.session");
    open_args a = {.s = s, .ov = ov, .nov = nov};
    lua_pushcfunction(L, mtlua_traceback); /* a metamethod's error comes with its stack */
    lua_pushcfunction(L, open_protected);
    lua_pushlightuserdata(L, &a);
    mtlua_enter();
    int rc = lua_pcall(L, 1, 0, -3);
    mtlua_leave();
    mt_status st = a.st;
    if (rc == LUA_ERRMEM) {
        char mem[256];
        st = mt_fail(MT_ERR_SCRIPT, "%s", mtlua_memory_message(L, mem, sizeof mem));
    } else if (rc != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        st = mt_fail(MT_ERR_SCRIPT, "%s: %s", script, m ? m : "(error object is not a string)");
    }
    if (st) {
        mtlua_close(s);
        return st;
    }
    *out = s;
    return MT_OK;
}

void mtlua_close(mtlua_session *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) experiment_free(&s->exp[i]);
    mtlua_enter(); /* __gc metamethods of the script run here */
    mtlua_state_close(s->L);
    mtlua_leave();
    mt_free(s);
}

int mtlua_trusted(const mtlua_session *s) { return mtlua_state_trusted(s->L); }
const char *mtlua_mode_name(const mtlua_session *s) { return mtlua_trusted(s) ? "trusted" : "sandbox"; }

const char *mtlua_mode_text(const mtlua_session *s)
{
    return mtlua_trusted(s) ? "trusted: the full Lua standard library (--trust or MTLAB_TRUST=1)"
                            : "sandbox: no programs, file writes, C modules or debug library (--trust lifts it)";
}

int mtlua_count(const mtlua_session *s) { return s->n; }
const mt_experiment *mtlua_experiment(const mtlua_session *s, int i) { return &s->exp[i]; }
const char *mtlua_script(const mtlua_session *s) { return s->script; }
int mtlua_stop_requested(const mtlua_session *s) { return s->stop != 0; }

int mtlua_take_stop(mtlua_session *s)
{
    int i = s->stop - 1;
    s->stop = 0;
    return i;
}

static mt_status call_cb(mtlua_session *s, int i, int which, lua_Integer arg)
{
    static const char *const names[] = {"on_step", "on_eval", "on_epoch"};
    lua_State *L = s->L;
    if (s->cb_ref[i][which] == LUA_NOREF) return MT_OK;
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->cb_ref[i][which]);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->run_ref[i]);
    lua_pushinteger(L, arg);
    char ctx[96];
    snprintf(ctx, sizeof ctx, "%s callback", names[which]);
    mt_status st = mtlua_pcall(L, 2, 0, ctx);
    if (!st && s->stop == i + 1) return mt_fail(MT_ERR_INTERRUPTED, "%s asked to stop (run:stop())", names[which]);
    return st;
}

static mt_status hook_call(void *ud, int which, lua_Integer arg)
{
    const mtlua_hook_ud *h = ud;
    return call_cb(h->s, h->i, which, arg);
}

static mt_status hook_step(void *ud, long step) { return hook_call(ud, 0, step); }
static mt_status hook_eval(void *ud, long step) { return hook_call(ud, 1, step); }
static mt_status hook_epoch(void *ud, int epoch) { return hook_call(ud, 2, epoch); }

void mtlua_select(mtlua_session *s, int i)
{
    if (i >= 0 && i < s->n) s->current = i;
}

void mtlua_attach(mtlua_session *s, int i, mt_trainer *t)
{
    s->trainer[i] = t;
    if (!t) return;
    s->hook_ud[i].s = s;
    s->hook_ud[i].i = i;
    mt_hooks h = {.ud = &s->hook_ud[i],
                  .on_step = s->cb_ref[i][0] != LUA_NOREF ? hook_step : NULL,
                  .on_eval = s->cb_ref[i][1] != LUA_NOREF ? hook_eval : NULL,
                  .on_epoch = s->cb_ref[i][2] != LUA_NOREF ? hook_epoch : NULL};
    trainer_set_hooks(t, &h);
}
