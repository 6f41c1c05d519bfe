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

/* Reads the typed named parameters `defs` (tparam.h) of a method, topology,
 * regulariser or data source from the table at tidx into out: types,
 * ranges, choices by name or index, required fields. Keys in `common` are
 * read elsewhere; any other key is an unknown field, with the closest name
 * or else the list of what `owner` takes. */
mt_status vtparams(const mtlua_vctx *c, int tidx, const char *const *common, const mt_tparam_def *defs,
                   mt_tparams *out, const char *owner);

/* Builds the dataset a data declaration (at tidx) describes. */
mt_status mtlua_build_data(mtlua_vctx *c, int tidx, mt_data_ref **out);
/* Adds derived targets the tasks ask for (a Lua function of the labels,
 * "@inputs" for reconstruction) and resolves each task's target index. */
mt_status mtlua_task_targets(mtlua_vctx *c, int tasks_idx, mt_data_ref *d, mt_experiment *e);
/* Finishes an experiment whose data ref (at the table tidx's "data") is
 * built: e->data = ref (owned by e from here), the tasks' targets,
 * experiment_validate; a validation error gets c->where in front. The
 * session's experiments and mtl.search's base experiment both end here. */
mt_status mtlua_experiment_finish(mtlua_vctx *c, int tidx, mt_data_ref *ref, mt_experiment *e);
/* Fills e from the experiment table at tidx (data excluded). */
mt_status mtlua_parse_experiment(mtlua_vctx *c, int tidx, mt_experiment *e);

/* weighting = "name" or { method = ..., params } into m. */
mt_status mtlua_parse_method(mtlua_vctx *c, int tidx, mt_method_spec *m);

/* search.c: core.group_affinity, core.partition (mtl.search.groups) and
 * core.branch_tree (mtl.search.tree). */
int mtlua_core_group_affinity(lua_State *L);
int mtlua_core_partition(lua_State *L);
int mtlua_core_branch_tree(lua_State *L);
/* Whether mtlua_interrupt() was called and not yet acted on (a long C
 * loop inside a Lua call checks it). */
int mtlua_interrupt_pending(void);

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

/* A data constructor, mtl.data.<name> { ... }: its parameters in the
 * schema of methods and topologies (mtl/tparam.h), validated before
 * build is called. build reads the values from p (tables and functions
 * from the table at tidx), may store the derived values it resolved into
 * p (for config.json), and fills r's dataset and split. */
typedef struct {
    const char *name;
    const char *summary; /* one line */
    const mt_tparam_def *params;
    mt_status (*build)(mtlua_vctx *c, int tidx, mt_tparams *p, mt_data_ref *r);
} db_source;

/* The registry (data_build.c), in the order of the docs. */
int db_source_count(void);
const db_source *db_source_at(int i);
const db_source *db_source_find(const char *name);
extern const db_source db_source_fashion, db_source_multi_fashion, db_source_csv, db_source_mmoe,
    db_source_gradnorm, db_source_kendall, db_source_related, db_source_attributes, db_source_landscape,
    db_source_gp_family;

/* Parameters several constructors share. */
#define DB_SEED_PARAM \
    {"seed", MT_TP_INT, 1, 0, 9007199254740991.0, NULL, "seed of the split's shuffle (and of a generator's draws)"}
#define DB_STANDARDIZE_PARAM \
    {"standardize", MT_TP_BOOL, 0, 0, 1, NULL, "standardise each feature with the training split's statistics"}
#define DB_SPLIT_PARAMS(train, val, test)                                        \
    {"train", MT_TP_INT, train, 1, 1e8, NULL, "training examples"},              \
    {"val", MT_TP_INT, val, 0, 1e8, NULL, "validation examples"},                \
    {"test", MT_TP_INT, test, 0, 1e8, NULL, "test examples"}, DB_SEED_PARAM, DB_STANDARDIZE_PARAM
/* data given in the script: 20% validation, 20% test, the rest training */
#define DB_INLINE_SPLIT_PARAMS                                                                                \
    {"train", MT_TP_INT, 0, 1, 1e8, NULL, "training examples (default: the rest)", .flags = MT_TPF_DERIVED},  \
    {"val", MT_TP_INT, 0, 0, 1e8, NULL, "validation examples (default: 20%)", .flags = MT_TPF_DERIVED},       \
    {"test", MT_TP_INT, 0, 0, 1e8, NULL, "test examples (default: 20%)", .flags = MT_TPF_DERIVED},            \
    DB_SEED_PARAM, DB_STANDARDIZE_PARAM
#define DB_TARGET_KIND_PARAMS                                                                                  \
    {"types", MT_TP_TABLE, 0, 0, 0, NULL, "kind of a target: { name = \"class\" / \"regress\" / \"binary\" } (default: guessed)"}, \
    {"classes", MT_TP_TABLE, 0, 0, 0, NULL, "classes of a class target: { name = K } (default: the largest label + 1)"}

/* train, val, test, seed and standardize of p (defaults from defs). */
void db_split_read(const mt_tparams *p, const mt_tparam_def *defs, db_split_opts *o);
/* The same for data of n examples given inline: 20% validation and 20%
 * test unless given, the rest training; the resolved counts are stored
 * into p. */
mt_status db_inline_split(mt_tparams *p, const mt_tparam_def *defs, int n, db_split_opts *o);
/* Makes the split (fixed_first >= 0 keeps a train/test boundary) and
 * standardises when asked. */
mt_status db_finish(mtlua_vctx *c, mt_data_ref *r, const db_split_opts *o, int fixed_first);
/* types = { name = "class" }, classes = { name = K } for one target. */
void db_target_type(lua_State *L, int tidx, const char *name, const char **kind, int *classes);
mt_status db_parse_kind(mtlua_vctx *c, const char *what, const char *s, mt_target_kind *k);

#define TRY(x)                        \
    do {                              \
        mt_status st_ = (x);          \
        if (st_ != MT_OK) return st_; \
    } while (0)

/* ---- session.c / run_object.c ---- */
#define MAX_EXPERIMENTS MTLUA_MAX_RUNS

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
    int sweep_ref; /* the mtl.sweep table the script returned, or LUA_NOREF */
    mtlua_host host;              /* run:pause(), run:resume() */
    mtlua_hook_ud hook_ud[MAX_EXPERIMENTS]; /* the trainers' hooks point here */
    /* seeds and draws (mtl.seeds, mtl.draw; --seed, --draw) */
    long long seed_base; /* --seed N, or 1 */
    int seed_given;      /* --seed was given */
    int own_seeds;       /* the script called mtl.seeds(n) */
    long long draw;      /* --draw N, or 0 */
    /* claims (claim.c) */
    int nclaims;
    mtlua_claim_info claim[MTLUA_MAX_CLAIMS];
    int claim_check[MTLUA_MAX_CLAIMS], claim_measure[MTLUA_MAX_CLAIMS]; /* registry refs or LUA_NOREF */
    int results_ref; /* the results table the claims get, or LUA_NOREF */
};

/* ---- claim.c ---- */
/* Reads the claims of what the script returned (the list or experiment
 * at index top, list: whether the script returned a list) and of its
 * mtl.sweep. */
mt_status mtlua_claims_read(mtlua_session *s, int top, int list);

/* ---- literal.c ---- */
/* Pushes the data TEXT describes (a number, a quoted string, true, false,
 * or a table constructor of those), without running anything. On error
 * nothing is pushed and err holds the message with a character position. */
mt_status mtlua_push_literal(lua_State *L, const char *text, char *err, size_t errn);

/* ---- sandbox.c ---- */
/* A Lua state for SCRIPT under the current policy: the sandboxed or full
 * libraries, the mtl module path and the script's folder on the require
 * path, and the memory limit. NULL with a message in err. */
lua_State *mtlua_state_new(const char *script, char *err, size_t errn);
/* lua_close, and frees the allocator's bookkeeping. */
void mtlua_state_close(lua_State *L);
/* print()/io.write() output: the installed sink or stdout. */
void mtlua_output(const char *text, size_t len);
/* The message for a LUA_ERRMEM: the limit and --lua-mem when the limit
 * refused the request. Uses no Lua memory. */
const char *mtlua_memory_message(lua_State *L, char *buf, size_t n);
size_t mtlua_memory_used(lua_State *L);
int mtlua_state_trusted(lua_State *L);
/* The main thread enters or leaves Lua (see mtlua_hold_main). */
void mtlua_enter(void);
void mtlua_leave(void);
/* When the table at r is an mtl.sweep, keeps it (for mtlua_sweep_spec)
 * and replaces it at r by its base experiments. */
mt_status mtlua_sweep_unwrap(mtlua_session *s, int r);

/* Pushes a new `run` userdata for experiment i of s (metatable "mtl.run"). */
void mtlua_push_run(lua_State *L, mtlua_session *s, int i);

#endif
