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
    u->s->stop = u->i + 1;
    return 0;
}

/* pause(), resume(): the workbench's space key from Lua (a callback may
 * pause the run where something happens); headless there is nothing to
 * pause and they answer false. */
static int run_pause_resume(lua_State *L, int pause)
{
    run_ud *u = luaL_checkudata(L, 1, "mtl.run");
    const mtlua_host *h = &u->s->host;
    lua_pushboolean(L, h->pause ? h->pause(h->ud, u->i, pause) : 0);
    return 1;
}

static int run_pause(lua_State *L) { return run_pause_resume(L, 1); }
static int run_resume(lua_State *L) { return run_pause_resume(L, 0); }

static const mt_monitor *run_monitor(lua_State *L)
{
    const mt_monitor *m = trainer_monitor(check_trainer(L, NULL, NULL));
    if (!m) luaL_error(L, "run: no matrices are kept for this run");
    return m;
}

/* The fields of run:matrix()'s table beside the rows. */
static int matrix_meta_key(const char *k)
{
    static const char *const meta[] = {"name", "step", "rows", "cols", "row_labels", "col_labels", "view"};
    for (size_t i = 0; i < sizeof meta / sizeof *meta; i++)
        if (strcmp(k, meta[i]) == 0) return 1;
    return 0;
}

/* matrices(): the names run:matrix() takes. */
static int run_matrices(lua_State *L)
{
    const mt_monitor *m = run_monitor(L);
    lua_createtable(L, m->nmatrices, 0);
    for (int i = 0; i < m->nmatrices; i++) {
        lua_pushstring(L, m->matrix[i].name);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* matrix(name [, "batch" | "ema" | "mean"]): the matrix as a table of
 * rows, m[i][j] and by label m.y1.y2, with name, step, rows, cols,
 * row_labels and col_labels beside them (a label that clashes with one
 * of those is reachable by number only). */
static int run_matrix(lua_State *L)
{
    const mt_monitor *m = run_monitor(L);
    const char *name = luaL_checkstring(L, 2);
    static const char *const views[] = {"batch", "ema", "mean", NULL};
    int view = luaL_checkoption(L, 3, "batch", views);
    const mt_matrix *x = NULL;
    for (int i = 0; i < m->nmatrices; i++)
        if (strcmp(m->matrix[i].name, name) == 0) x = &m->matrix[i];
    if (!x) {
        char names[1024] = "";
        size_t w = 0;
        for (int i = 0; i < m->nmatrices && w < sizeof names; i++)
            w += (size_t)snprintf(names + w, sizeof names - w, "%s\"%s\"", i ? ", " : "", m->matrix[i].name);
        return luaL_error(L, "run:matrix: no matrix \"%s\" (there are: %s)", name, m->nmatrices ? names : "none yet");
    }
    if (!x->valid) return luaL_error(L, "run:matrix: \"%s\" is not computed yet", name);
    const double *v = monitor_matrix_values(x, (mt_matrix_view)view);
    lua_createtable(L, x->rows, x->rows + 7);
    for (int i = 0; i < x->rows; i++) {
        lua_createtable(L, x->cols, x->cols);
        for (int j = 0; j < x->cols; j++) {
            lua_pushnumber(L, v[i * x->cols + j]);
            lua_rawseti(L, -2, j + 1);
        }
        for (int j = 0; j < x->cols; j++)
            if (x->col_labels[j][0]) {
                lua_rawgeti(L, -1, j + 1);
                lua_setfield(L, -2, x->col_labels[j]);
            }
        lua_rawseti(L, -2, i + 1);
    }
    for (int i = 0; i < x->rows; i++)
        if (x->row_labels[i][0] && !matrix_meta_key(x->row_labels[i])) {
            lua_rawgeti(L, -1, i + 1);
            lua_setfield(L, -2, x->row_labels[i]);
        }
    lua_pushstring(L, x->name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, x->step);
    lua_setfield(L, -2, "step");
    lua_pushinteger(L, x->rows);
    lua_setfield(L, -2, "rows");
    lua_pushinteger(L, x->cols);
    lua_setfield(L, -2, "cols");
    lua_pushstring(L, views[view]);
    lua_setfield(L, -2, "view");
    lua_createtable(L, x->rows, 0);
    for (int i = 0; i < x->rows; i++) {
        lua_pushstring(L, x->row_labels[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "row_labels");
    lua_createtable(L, x->cols, 0);
    for (int j = 0; j < x->cols; j++) {
        lua_pushstring(L, x->col_labels[j]);
        lua_rawseti(L, -2, j + 1);
    }
    lua_setfield(L, -2, "col_labels");
    return 1;
}

/* The labels of one side of run:publish (argument arg: nil, or a list
 * of n strings) into lab, pointing into Lua's strings (valid while they
 * are on the stack: the argument table holds them). */
static const char *const *publish_labels(lua_State *L, int arg, int n, const char **lab, const char *side)
{
    if (lua_isnoneornil(L, arg)) return NULL;
    luaL_checktype(L, arg, LUA_TTABLE);
    if (luaL_len(L, arg) != n) luaL_error(L, "run:publish: %d %s labels for %d %s", (int)luaL_len(L, arg), side, n, side);
    for (int i = 0; i < n; i++) {
        lua_geti(L, arg, i + 1);
        lab[i] = lua_tostring(L, -1);
        if (!lab[i]) luaL_error(L, "run:publish: %s label %d is not a string", side, i + 1);
        lua_pop(L, 1); /* the table keeps the string alive */
    }
    return lab;
}

/* publish(name, rows [, row_labels [, col_labels [, lo, hi]]]): a
 * matrix the script computed, shown and recorded like the trainer's own
 * (relations.jsonl, summary.json's matrices). */
static int run_publish(lua_State *L)
{
    mt_trainer *t = check_trainer(L, NULL, NULL);
    const char *name = luaL_checkstring(L, 2);
    if (!name[0] || strlen(name) >= MT_MON_NAME)
        return luaL_error(L, "run:publish: the name must have 1..%d characters", MT_MON_NAME - 1);
    luaL_checktype(L, 3, LUA_TTABLE);
    int rows = (int)luaL_len(L, 3), cols = 0;
    if (rows < 1 || rows > 64) return luaL_error(L, "run:publish: expected 1..64 rows, got %d", rows);
    double v[64 * 64];
    for (int i = 0; i < rows; i++) {
        lua_geti(L, 3, i + 1);
        if (!lua_istable(L, -1)) return luaL_error(L, "run:publish: row %d is not a list of numbers", i + 1);
        int c = (int)luaL_len(L, -1);
        if (i == 0) cols = c;
        if (c != cols || c < 1 || c > 64)
            return luaL_error(L, "run:publish: row %d has %d numbers (expected %s)", i + 1, c, i ? "as many as row 1" : "1..64");
        for (int j = 0; j < cols; j++) {
            lua_geti(L, -1, j + 1);
            int ok;
            v[i * cols + j] = lua_tonumberx(L, -1, &ok);
            if (!ok) return luaL_error(L, "run:publish: [%d][%d] is not a number", i + 1, j + 1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    const char *rl[64], *cl[64];
    const char *const *r = publish_labels(L, 4, rows, rl, "row");
    const char *const *c = publish_labels(L, 5, cols, cl, "column");
    double lo = luaL_optnumber(L, 6, 0), hi = luaL_optnumber(L, 7, 0);
    trainer_publish_matrix(t, name, rows, cols, v, lo, hi, r, c);
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
    {"pause", run_pause},     {"resume", run_resume},   {"matrix", run_matrix},
    {"matrices", run_matrices}, {"publish", run_publish},
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
