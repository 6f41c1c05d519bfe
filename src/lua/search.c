/* search.c - what mtl.search.groups and mtl.search.tree (lua/mtl.lua)
 * need from C: a short joint run that measures the lookahead transfer
 * affinity while the script is read, the partition search of
 * mtl/groups.h and the tree search of mtl/branch.h.
 *
 *   core.group_affinity(experiment) -> { rows of the mean affinity }, { task names }
 *   core.partition(A, k [, beam]) -> assign (1-based groups), score
 *   core.branch_tree(A, costs [, beam]) -> tree (per layer, 1-based branches), score
 *
 * The run happens inside the script's own evaluation (mtlab check, run,
 * the workbench and a sweep's children all read the script), so it takes
 * the experiment's data as the returned experiments will: with the --draw
 * shift applied to its data seed. */
#include <math.h>
#include <string.h>
#include "core/mem.h"
#include "lua_internal.h"
#include "mtl/branch.h"
#include "mtl/groups.h"

typedef struct {
    int T;
    long n;
    double sum[MT_MAX_TASKS * MT_MAX_TASKS];
} affinity_mean;

static void on_matrix(void *ud, long step, const char *name, int rows, int cols, const double *v,
                      const char (*rl)[MT_MON_NAME], const char (*cl)[MT_MON_NAME])
{
    (void)step;
    (void)rl;
    (void)cl;
    affinity_mean *m = ud;
    if (strcmp(name, "transfer affinity") != 0 || rows != m->T || cols != m->T) return;
    for (int i = 0; i < rows * cols; i++) m->sum[i] += v[i];
    m->n++;
}

/* Builds the experiment table at tidx into e (as the session builds a
 * returned one: fields, data, task targets, validation); the data seed
 * moved by the session's draw for the build only. */
static mt_status build_one(lua_State *L, int tidx, mtlua_session *s, mt_experiment *e)
{
    experiment_defaults(e);
    mtlua_vctx c = {.L = L, .script = s ? s->script : ""};
    snprintf(c.path, sizeof c.path, "search.base");
    lua_getfield(L, tidx, "__where");
    if (lua_type(L, -1) == LUA_TSTRING) snprintf(c.where, sizeof c.where, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    if (s) snprintf(e->script, sizeof e->script, "%s", s->script);
    TRY(mtlua_parse_experiment(&c, tidx, e));
    lua_getfield(L, tidx, "data");
    int di = lua_gettop(L);
    if (!lua_istable(L, di)) {
        lua_pop(L, 1);
        return vfail(&c, "data", "required field is missing");
    }
    long long draw = s ? s->draw : mtlua_get_draw();
    lua_getfield(L, di, "seed");
    int had_seed = !lua_isnil(L, -1);
    lua_Integer seed = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 1;
    lua_pop(L, 1);
    if (draw) {
        lua_pushinteger(L, seed + (lua_Integer)(draw * MTLUA_DRAW_STRIDE));
        lua_setfield(L, di, "seed");
    }
    char sp[256], sw[256];
    vpush(&c, di, "data", sp, sw);
    mt_data_ref *ref = NULL;
    mt_status st = mtlua_build_data(&c, di, &ref);
    vpop(&c, sp, sw);
    if (draw) { /* as the script wrote it: the session applies the draw to what is returned */
        if (had_seed) lua_pushinteger(L, seed);
        else lua_pushnil(L);
        lua_setfield(L, di, "seed");
    }
    lua_settop(L, di - 1);
    if (st) return st;
    return mtlua_experiment_finish(&c, tidx, ref, e);
}

/* core.group_affinity(experiment): trains it to its end (its train.steps,
 * with its train.affinity_every) and returns the mean over the run of the
 * lookahead transfer affinity, rows[i][j] = how much a step on task i
 * helped task j, and the task names. */
int mtlua_core_group_affinity(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, LUA_REGISTRYINDEX, "mtlab.session");
    mtlua_session *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    mt_experiment *e = mt_calloc(1, sizeof *e);
    if (!e) return luaL_error(L, "mtl.search.groups: out of memory");
    mt_status st = build_one(L, 1, s, e);
    if (st) {
        experiment_free(e);
        mt_free(e);
        return luaL_error(L, "%s", mt_last_error());
    }
    if (e->train.affinity_every <= 0 || e->ntasks < 2) {
        experiment_free(e);
        mt_free(e);
        return luaL_error(L, "mtl.search.groups: the measuring run needs train.affinity_every > 0 and 2 or more tasks");
    }
    mt_trainer *t = NULL;
    affinity_mean *m = mt_calloc(1, sizeof *m);
    if (!m || trainer_new(e, NULL, &t)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", m ? mt_last_error() : "out of memory");
        experiment_free(e);
        mt_free(e);
        mt_free(m);
        return luaL_error(L, "mtl.search.groups: the measuring run: %s", msg);
    }
    m->T = e->ntasks;
    mt_recorder rec = {.ud = m, .matrix = on_matrix};
    trainer_set_recorder(t, &rec);
    while (!st && !trainer_finished(t)) {
        if (mtlua_interrupt_pending()) {
            st = mt_fail(MT_ERR_INTERRUPTED, "interrupted");
            break;
        }
        st = trainer_step(t);
    }
    char msg[1024] = "";
    if (st) snprintf(msg, sizeof msg, "%s", mt_last_error());
    else if (!m->n) snprintf(msg, sizeof msg, "no transfer affinity was measured (train.steps below affinity_every?)");
    trainer_free(t);
    int T = e->ntasks;
    char names[MT_MAX_TASKS][sizeof e->task[0].name];
    for (int k = 0; k < T; k++) memcpy(names[k], e->task[k].name, sizeof names[k]);
    experiment_free(e);
    mt_free(e);
    if (msg[0]) {
        mt_free(m);
        if (st == MT_ERR_INTERRUPTED) return luaL_error(L, "interrupted");
        return luaL_error(L, "mtl.search.groups: the measuring run: %s", msg);
    }
    lua_createtable(L, T, 0);
    for (int i = 0; i < T; i++) {
        lua_createtable(L, T, 0);
        for (int j = 0; j < T; j++) {
            lua_pushnumber(L, m->sum[i * T + j] / (double)m->n);
            lua_rawseti(L, -2, j + 1);
        }
        lua_rawseti(L, -2, i + 1);
    }
    lua_createtable(L, T, 0);
    for (int i = 0; i < T; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    mt_free(m);
    return 2;
}

/* The square matrix at index 1 (a list of T rows) into a new array;
 * NULL after a Lua error is raised (who names the caller). */
static double *read_affinity(lua_State *L, int maxT, const char *who, lua_Integer *Tout)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer T = luaL_len(L, 1);
    if (T < 1 || T > maxT) {
        luaL_error(L, "%s: the affinity has %d rows (expected 1..%d)", who, (int)T, maxT);
        return NULL;
    }
    double *A = mt_alloc((size_t)(T * T) * sizeof *A);
    if (!A) {
        luaL_error(L, "%s: out of memory", who);
        return NULL;
    }
    for (int i = 0; i < T; i++) {
        lua_geti(L, 1, i + 1);
        if (!lua_istable(L, -1) || luaL_len(L, -1) != T) {
            mt_free(A);
            luaL_error(L, "%s: affinity row %d is not a list of %d numbers", who, i + 1, (int)T);
            return NULL;
        }
        for (int j = 0; j < T; j++) {
            lua_geti(L, -1, j + 1);
            int ok;
            A[i * T + j] = lua_tonumberx(L, -1, &ok);
            lua_pop(L, 1);
            if (!ok && i != j) {
                mt_free(A);
                luaL_error(L, "%s: affinity[%d][%d] is not a number", who, i + 1, j + 1);
                return NULL;
            }
        }
        lua_pop(L, 1);
    }
    *Tout = T;
    return A;
}

/* core.branch_tree(A, costs [, beam]) -> tree, score: the best branching
 * tree of branch.h over #costs layers, the affinity A (a list of rows)
 * at every layer, costs[l] the price of an extra branch of layer l;
 * tree[l][t] = task t's branch at layer l, 1-based. */
int mtlua_core_branch_tree(lua_State *L)
{
    static const char who[] = "mtl.search.tree";
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer beam = luaL_optinteger(L, 3, 0);
    lua_Integer NL = luaL_len(L, 2);
    if (NL < 1 || NL > BRANCH_MAX_LAYERS)
        return luaL_error(L, "%s: %d layer costs (expected 1..%d)", who, (int)NL, BRANCH_MAX_LAYERS);
    double cost[BRANCH_MAX_LAYERS];
    for (int l = 0; l < NL; l++) {
        lua_geti(L, 2, l + 1);
        int ok;
        cost[l] = lua_tonumberx(L, -1, &ok);
        lua_pop(L, 1);
        if (!ok) return luaL_error(L, "%s: cost[%d] is not a number", who, l + 1);
    }
    lua_Integer T = 0;
    double *A1 = read_affinity(L, BRANCH_MAX_TASKS, who, &T);
    double *A = mt_alloc((size_t)(NL * T * T) * sizeof *A);
    int *a = mt_alloc((size_t)(NL * T) * sizeof *a);
    if (!A || !a) {
        mt_free(A1);
        mt_free(A);
        mt_free(a);
        return luaL_error(L, "%s: out of memory", who);
    }
    for (int l = 0; l < NL; l++) memcpy(A + (size_t)l * T * T, A1, (size_t)(T * T) * sizeof *A);
    mt_free(A1);
    double score;
    mt_status st = branch_search(A, cost, (int)T, (int)NL, (int)(beam > 0 && beam < 100000 ? beam : 0), a, &score);
    mt_free(A);
    if (st) {
        mt_free(a);
        return luaL_error(L, "%s: %s", who, mt_last_error());
    }
    lua_createtable(L, (int)NL, 0);
    for (int l = 0; l < NL; l++) {
        lua_createtable(L, (int)T, 0);
        for (int t = 0; t < T; t++) {
            lua_pushinteger(L, a[l * T + t] + 1);
            lua_rawseti(L, -2, t + 1);
        }
        lua_rawseti(L, -2, l + 1);
    }
    mt_free(a);
    lua_pushnumber(L, score);
    return 2;
}

/* core.partition(A, k [, beam]) -> assign, score: the best grouping of
 * groups.h for the square matrix A (a list of rows), groups 1-based. */
int mtlua_core_partition(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer T = luaL_len(L, 1);
    if (T < 1 || T > GROUPS_MAX_TASKS)
        return luaL_error(L, "mtl.search.partition: the affinity has %d rows (expected 1..%d)", (int)T, GROUPS_MAX_TASKS);
    lua_Integer k = luaL_checkinteger(L, 2);
    lua_Integer beam = luaL_optinteger(L, 3, 0);
    double *A = mt_alloc((size_t)(T * T) * sizeof *A);
    if (!A) return luaL_error(L, "mtl.search.partition: out of memory");
    for (int i = 0; i < T; i++) {
        lua_geti(L, 1, i + 1);
        if (!lua_istable(L, -1) || luaL_len(L, -1) != T) {
            mt_free(A);
            return luaL_error(L, "mtl.search.partition: affinity row %d is not a list of %d numbers", i + 1, (int)T);
        }
        for (int j = 0; j < T; j++) {
            lua_geti(L, -1, j + 1);
            int ok;
            A[i * T + j] = lua_tonumberx(L, -1, &ok);
            lua_pop(L, 1);
            if (!ok && i != j) {
                mt_free(A);
                return luaL_error(L, "mtl.search.partition: affinity[%d][%d] is not a number", i + 1, j + 1);
            }
        }
        lua_pop(L, 1);
    }
    int a[GROUPS_MAX_TASKS];
    double score;
    mt_status st = k < 1 || k > T ? mt_fail(MT_ERR_ARG, "k = %d groups for %d tasks (expected 1..%d)", (int)k, (int)T, (int)T)
                                  : groups_search(A, (int)T, (int)k, (int)(beam > 0 && beam < 1000000 ? beam : 0), a, &score);
    mt_free(A);
    if (st) return luaL_error(L, "mtl.search.partition: %s", mt_last_error());
    lua_createtable(L, (int)T, 0);
    for (int t = 0; t < T; t++) {
        lua_pushinteger(L, a[t] + 1);
        lua_rawseti(L, -2, t + 1);
    }
    lua_pushnumber(L, score);
    return 2;
}
