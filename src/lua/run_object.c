/* run_object.c - the `run` object that callbacks receive and the console
 * calls: it reads and steers the trainer attached to its experiment. */
#include <stdio.h>
#include <string.h>
#include "core/log.h"
#include "lua_internal.h"
#include "mtl/methods.h"

/* ---- the `run` object: callbacks and the console talk to a trainer ---- */

typedef struct {
    mtlua_session *s;
    int i;
} run_ud;

static mt_trainer *check_trainer(lua_State *L, int *task_count, int *idx)
{
    run_ud *u = luaL_checkudata(L, 1, "mtl.run");
    mt_trainer *t = u->s->trainer[u->i];
    if (!t) luaL_error(L, "run: experiment %d is not running", u->i + 1);
    if (task_count) *task_count = trainer_experiment(t)->ntasks;
    if (idx) *idx = u->i;
    return t;
}

/* A task argument: its name or its 1-based index. */
static int check_task(lua_State *L, mt_trainer *t, int arg)
{
    const mt_experiment *e = trainer_experiment(t);
    if (lua_type(L, arg) == LUA_TNUMBER) {
        lua_Integer k = luaL_checkinteger(L, arg);
        if (k < 1 || k > e->ntasks) luaL_error(L, "no task %d (there are %d)", (int)k, e->ntasks);
        return (int)k - 1;
    }
    const char *nm = luaL_checkstring(L, arg);
    for (int k = 0; k < e->ntasks; k++)
        if (strcmp(e->task[k].name, nm) == 0) return k;
    return luaL_error(L, "no task named '%s'", nm);
}

static int run_step(lua_State *L) { lua_pushinteger(L, trainer_step_count(check_trainer(L, NULL, NULL))); return 1; }
static int run_epoch(lua_State *L) { lua_pushinteger(L, trainer_epoch(check_trainer(L, NULL, NULL)) + 1); return 1; }
static int run_lr(lua_State *L) { lua_pushnumber(L, trainer_lr(check_trainer(L, NULL, NULL))); return 1; }

static int run_set_lr(lua_State *L)
{
    mt_trainer *t = check_trainer(L, NULL, NULL);
    lua_Number lr = luaL_checknumber(L, 2);
    if (!(lr > 0)) return luaL_error(L, "set_lr: expected a positive number, got %f", (double)lr);
    trainer_set_lr(t, lr);
    lua_pushnumber(L, trainer_lr(t));
    return 1;
}

static int run_weights(lua_State *L)
{
    int T;
    mt_trainer *t = check_trainer(L, &T, NULL);
    const float *w = trainer_weights(t);
    lua_createtable(L, 0, T);
    for (int k = 0; k < T; k++) {
        lua_pushnumber(L, w[k]);
        lua_setfield(L, -2, trainer_experiment(t)->task[k].name);
    }
    return 1;
}

static int run_set_weight(lua_State *L)
{
    mt_trainer *t = check_trainer(L, NULL, NULL);
    int k = check_task(L, t, 2);
    if (trainer_set_static_weight(t, k, luaL_checknumber(L, 3))) return luaL_error(L, "%s", mt_last_error());
    return 0;
}

static int run_set_weighting(lua_State *L)
{
    mt_trainer *t = check_trainer(L, NULL, NULL);
    mtlua_vctx c = {.L = L, .script = "console"};
    snprintf(c.path, sizeof c.path, "weighting");
    mt_method_spec m;
    if (lua_type(L, 2) != LUA_TSTRING && !lua_istable(L, 2))
        return luaL_error(L, "set_weighting: expected a method name or mtl.weight.<method> { ... }");
    if (mtlua_parse_method(&c, 2, &m)) return luaL_error(L, "%s", mt_last_error());
    if (trainer_set_weighting(t, &m)) return luaL_error(L, "%s", mt_last_error());
    lua_pushstring(L, m.name);
    return 1;
}

static int run_weighting(lua_State *L) { lua_pushstring(L, trainer_weighting_name(check_trainer(L, NULL, NULL))); return 1; }

/* losses(): the mean training loss per task over the current window. */
static int run_losses(lua_State *L)
{
    int T;
    mt_trainer *t = check_trainer(L, &T, NULL);
    const mt_experiment *e = trainer_experiment(t);
    lua_createtable(L, 0, T);
    for (int k = 0; k < T; k++) {
        lua_pushnumber(L, trainer_train_loss(t)[k]);
        lua_setfield(L, -2, e->task[k].name);
    }
    return 1;
}

static void push_eval(lua_State *L, const mt_trainer *t, const mt_eval_result *r)
{
    const mt_experiment *e = trainer_experiment(t);
    lua_createtable(L, 0, e->ntasks);
    for (int k = 0; k < e->ntasks; k++) {
        lua_createtable(L, 0, 2);
        lua_pushnumber(L, r->loss[k]);
        lua_setfield(L, -2, "loss");
        lua_pushnumber(L, r->metric[k]);
        lua_setfield(L, -2, metric_kind_name(e->task[k].metric));
        lua_setfield(L, -2, e->task[k].name);
    }
}

static int run_val(lua_State *L)
{
    mt_trainer *t = check_trainer(L, NULL, NULL);
    const mt_eval_result *r = trainer_last_val(t);
    if (!r) {
        lua_pushnil(L);
        return 1;
    }
    push_eval(L, t, r);
    return 1;
}

static int run_tasks(lua_State *L)
{
    int T;
    mt_trainer *t = check_trainer(L, &T, NULL);
    lua_createtable(L, T, 0);
    for (int k = 0; k < T; k++) {
        lua_pushstring(L, trainer_experiment(t)->task[k].name);
        lua_rawseti(L, -2, k + 1);
    }
    return 1;
}

static int run_log(lua_State *L)
{
    run_ud *u = luaL_checkudata(L, 1, "mtl.run");
    const char *msg = luaL_checkstring(L, 2);
    mt_log(MT_LOG_INFO, "[%s] %s", u->s->exp[u->i].name, msg);
    return 0;
}

static int run_stop(lua_State *L)
{
    run_ud *u = luaL_checkudata(L, 1, "mtl.run");
    u->s->stop = 1;
    return 0;
}

static int run_name(lua_State *L)
{
    run_ud *u = luaL_checkudata(L, 1, "mtl.run");
    lua_pushstring(L, u->s->exp[u->i].name);
    return 1;
}

static int run_tostring(lua_State *L)
{
    run_ud *u = luaL_checkudata(L, 1, "mtl.run");
    mt_trainer *t = u->s->trainer[u->i];
    if (!t) lua_pushfstring(L, "run<%s, not started>", u->s->exp[u->i].name);
    else lua_pushfstring(L, "run<%s, step %d, lr %f, %s>", u->s->exp[u->i].name, (int)trainer_step_count(t),
                         trainer_lr(t), trainer_weighting_name(t));
    return 1;
}

static const luaL_Reg run_methods[] = {
    {"step", run_step},       {"epoch", run_epoch},     {"lr", run_lr},
    {"set_lr", run_set_lr},   {"weights", run_weights}, {"set_weight", run_set_weight},
    {"weighting", run_weighting}, {"set_weighting", run_set_weighting},
    {"losses", run_losses},   {"val", run_val},         {"tasks", run_tasks},
    {"log", run_log},         {"stop", run_stop},       {"name", run_name},
    {NULL, NULL}};

void mtlua_push_run(lua_State *L, mtlua_session *s, int i)
{
    run_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->s = s;
    u->i = i;
    if (luaL_newmetatable(L, "mtl.run")) {
        luaL_newlib(L, run_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, run_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_setmetatable(L, -2);
}
