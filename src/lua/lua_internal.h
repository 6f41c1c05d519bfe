/* lua_internal.h - shared between the files of src/lua; not a public API. */
#ifndef MT_LUA_INTERNAL_H
#define MT_LUA_INTERNAL_H

#include <lua.h>
#include <lauxlib.h>
#include "lua/mtlua.h"
#include "mtl/topology.h"

/* Validation context: the path of the field being read ("tasks[2]") and
 * the script line of the nearest constructor ("exp.lua:14"). */
typedef struct {
    lua_State *L;
    char path[256];
    char where[256];
    const char *script;
} mtlua_vctx;

/* Records "<where>: <path>.<field>: <message>" and returns MT_ERR_SCRIPT. */
mt_status vfail(const mtlua_vctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "\"ten\"", "3.5", "a table", "nil" for the value at idx. */
const char *vdescribe(lua_State *L, int idx, char *buf, size_t n);
/* Pushes ctx state for a sub-table: path += suffix, where = its __where. */
void vpush(mtlua_vctx *c, int tidx, const char *suffix, char *saved_path, char *saved_where);
void vpop(mtlua_vctx *c, const char *saved_path, const char *saved_where);
/* Errors on any key of the table at tidx not in allowed (NULL-terminated). */
mt_status vcheck_keys(const mtlua_vctx *c, int tidx, const char *const *allowed);
/* Typed field readers: absent -> default (and MT_OK); wrong type or range
 * -> a message naming the field and what was expected. */
mt_status vnumber(const mtlua_vctx *c, int tidx, const char *key, double dflt, double lo,
                  double hi, double *out);
mt_status vint(const mtlua_vctx *c, int tidx, const char *key, long dflt, long lo, long hi,
               long *out);
mt_status vbool(const mtlua_vctx *c, int tidx, const char *key, int dflt, int *out);
mt_status vstring(const mtlua_vctx *c, int tidx, const char *key, const char *dflt,
                  const char *const *choices, char *out, size_t n);
mt_status vintlist(const mtlua_vctx *c, int tidx, const char *key, int *out, int *n, int max,
                   int min_value);

/* Reads the typed named parameters `defs` of a topology or regulariser
 * from the table at tidx into out; keys in `common` are read elsewhere;
 * any other key is an unknown field (with a suggestion). */
mt_status vtparams(const mtlua_vctx *c, int tidx, const char *const *common, const mt_tparam_def *defs,
                   mt_tparams *out, const char *owner);

/* Builds the dataset a data declaration (at tidx) describes. */
mt_status mtlua_build_data(mtlua_vctx *c, int tidx, mt_data_ref **out);
/* Adds derived targets the tasks ask for (a Lua function of the labels,
 * "@inputs" for reconstruction) and resolves each task's target index. */
mt_status mtlua_task_targets(mtlua_vctx *c, int tasks_idx, mt_data_ref *d, mt_experiment *e);
/* Fills e from the experiment table at tidx (data excluded). */
mt_status mtlua_parse_experiment(mtlua_vctx *c, int tidx, mt_experiment *e);

/* weighting = "name" or { method = ..., params } into m. */
mt_status mtlua_parse_method(mtlua_vctx *c, int tidx, mt_method_spec *m);

/* luaopen for "mtl.core" (version, methods). */
int luaopen_mtl_core(lua_State *L);
/* Pushes the message handler used with lua_pcall. */
int mtlua_traceback(lua_State *L);
/* pcall with the traceback handler; on error records
 * "<context>: <message+traceback>" and returns MT_ERR_SCRIPT (or
 * MT_ERR_INTERRUPTED). */
mt_status mtlua_pcall(lua_State *L, int nargs, int nres, const char *context);

/* ---- data_build.c / data_sources.c ---- */
/* The split fields every data declaration takes. */
typedef struct {
    long train, val, test;
    long seed;
    int standardize;
} db_split_opts;

mt_status db_read_split(mtlua_vctx *c, int tidx, db_split_opts *o, long dtrain, long dval, long dtest);
/* Makes the split (fixed_first >= 0 keeps a train/test boundary) and
 * standardises when asked. */
mt_status db_finish(mtlua_vctx *c, mt_data_ref *r, const db_split_opts *o, int fixed_first);
/* types = { name = "class" }, classes = { name = K } for one target. */
void db_target_type(lua_State *L, int tidx, const char *name, const char **kind, int *classes);
mt_status db_parse_kind(mtlua_vctx *c, const char *what, const char *s, mt_target_kind *k);
/* Defaults for an inline dataset of n examples: 20% validation, 20% test. */
void db_inline_split(db_split_opts *o, int n, int have_train, int have_val, int have_test);
int db_has_field(lua_State *L, int tidx, const char *k);
/* The builders of data_sources.c, one per mtl.data constructor. */
mt_status db_build_fashion(mtlua_vctx *c, int tidx, mt_data_ref *r);
mt_status db_build_multi_fashion(mtlua_vctx *c, int tidx, mt_data_ref *r);
mt_status db_build_csv(mtlua_vctx *c, int tidx, mt_data_ref *r);
mt_status db_build_mmoe(mtlua_vctx *c, int tidx, mt_data_ref *r);
mt_status db_build_gradnorm(mtlua_vctx *c, int tidx, mt_data_ref *r);
mt_status db_build_kendall(mtlua_vctx *c, int tidx, mt_data_ref *r);
mt_status db_build_related(mtlua_vctx *c, int tidx, mt_data_ref *r);
mt_status db_build_landscape(mtlua_vctx *c, int tidx, mt_data_ref *r);

#define TRY(x)                        \
    do {                              \
        mt_status st_ = (x);          \
        if (st_ != MT_OK) return st_; \
    } while (0)

/* ---- session.c / run_object.c ---- */
#define MAX_EXPERIMENTS 32

/* What a trainer's hooks get as their user pointer. */
typedef struct {
    mtlua_session *s;
    int i;
} mtlua_hook_ud;

struct mtlua_session {
    lua_State *L;
    char script[1024];
    int n;
    mt_experiment exp[MAX_EXPERIMENTS];
    int cb_ref[MAX_EXPERIMENTS][3]; /* on_step, on_eval, on_epoch: registry refs */
    mt_trainer *trainer[MAX_EXPERIMENTS];
    int run_ref[MAX_EXPERIMENTS]; /* the `run` userdata of each experiment */
    int current;                  /* experiment the console talks to */
    int stop;                     /* 1 + the experiment whose run:stop() was called, or 0 */
    mtlua_host host;              /* print, io.write, run:pause() */
    mtlua_hook_ud hook_ud[MAX_EXPERIMENTS]; /* the trainers' hooks point here */
};

/* Pushes a new `run` userdata for experiment i of s (metatable "mtl.run"). */
void mtlua_push_run(lua_State *L, mtlua_session *s, int i);

#endif
