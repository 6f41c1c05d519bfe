/* mtlua.h - the `mtl` Lua module in C and a script session.
 *
 * A session owns one Lua state: it runs an experiment script with strict
 * globals (reading an undefined global is an error), turns what the script
 * returns into validated mt_experiment values (errors name the field path
 * and the script line), calls the script's callbacks from the trainer, and
 * evaluates console lines against the live run. Every call into Lua goes
 * through lua_pcall with a traceback handler; a count hook lets SIGINT (or
 * the screen) interrupt a runaway script without killing the process. */
#ifndef MT_MTLUA_H
#define MT_MTLUA_H

#include "core/status.h"
#include "run/experiment.h"
#include "run/sweep_plan.h"
#include "run/trainer.h"

typedef struct mtlua_session mtlua_session;

typedef struct {
    const char *key;    /* dotted path: "train.epochs", "tasks[2].weight" */
    const char *value;  /* a number, true/false, a table written as a Lua
                           constructor (read as data, never run), or else a string */
    const char *origin; /* the option that set it ("--seed"), for messages; NULL: --set */
} mtlua_override;

/* What scripts may do (sandbox.c; docs/lua-api.md "What a script may use").
 * By default a script runs in a sandbox: no programs, no writing or
 * removing files, no C modules, bytecode or debug library; reading files
 * only under its own folder. trust gives the full standard library. */
#define MTLUA_MEM_DEFAULT ((size_t)1 << 30) /* --lua-mem: 1 GiB */
typedef struct {
    int trust;        /* --trust or MTLAB_TRUST=1 */
    size_t mem_limit; /* bytes a script's Lua state may hold; 0: MTLUA_MEM_DEFAULT */
} mtlua_policy;

/* The policy of the sessions opened from now on (process-wide). */
void mtlua_set_policy(const mtlua_policy *p);
const mtlua_policy *mtlua_get_policy(void);
/* Whether the session's script runs with the full standard library. */
int mtlua_trusted(const mtlua_session *s);
/* "sandbox" or "trusted" (the workbench header), and a line saying what
 * that means (mtlab check). */
const char *mtlua_mode_name(const mtlua_session *s);
const char *mtlua_mode_text(const mtlua_session *s);
/* "1 GiB", "512 MiB", "1536 KiB": a size as --lua-mem and messages show it. */
void mtlua_format_size(size_t bytes, char *out, size_t n);

/* Where print() and io.write() of every script go: fn(ud, text, len) with
 * the text of one call (print's ends in a newline). NULL: stdout. The
 * workbench points it at the console pane. */
typedef void (*mtlua_print_fn)(void *ud, const char *text, size_t len);
void mtlua_set_print(mtlua_print_fn fn, void *ud);

/* Loads and validates SCRIPT. On error *out is NULL and mt_last_error()
 * holds the message (file:line, field path, traceback where useful). */
mt_status mtlua_open(const char *script, const mtlua_override *ov, int nov, mtlua_session **out);
void mtlua_close(mtlua_session *s);

int mtlua_count(const mtlua_session *s);
/* Borrowed; valid until mtlua_close. */
const mt_experiment *mtlua_experiment(const mtlua_session *s, int i);
const char *mtlua_script(const mtlua_session *s);

/* Connects experiment i's callbacks (on_step, on_eval, on_epoch) and its
 * `run` object to a trainer (NULL to detach). */
void mtlua_attach(mtlua_session *s, int i, mt_trainer *t);
/* Which experiment the console's `run` is (the one on the screen). */
void mtlua_select(mtlua_session *s, int i);
/* Whether the running script asked to stop (run:stop()). */
int mtlua_stop_requested(const mtlua_session *s);
/* The experiment whose run:stop() was called (and forgets it), or -1. */
int mtlua_take_stop(mtlua_session *s);

/* What a script's run object asks of the application (print and
 * io.write go through mtlua_set_print). */
typedef struct {
    void *ud;
    /* run:pause() (pause = 1) and run:resume() (0) of experiment i;
     * returns 1 when the state changed */
    int (*pause)(void *ud, int i, int pause);
} mtlua_host;
/* Replaces the host; NULL: run:pause() answers false (nothing to pause
 * headless). */
void mtlua_set_host(mtlua_session *s, const mtlua_host *h);

/* Evaluates a console line ("run:lr()", "run:set_lr(1e-3)", "1+1") against
 * the attached run; the printable result or the error goes to out. */
mt_status mtlua_eval(mtlua_session *s, const char *line, char *out, size_t n);

/* Tab in the console: completes the name that ends `before` (the line up
 * to the cursor) with the globals, the run object's methods after
 * "run:", the fields of mtl (and of any table) after "mtl.". The text to
 * insert goes to insert (the longest common continuation; a unique
 * function name gets its "("), the candidates, when several, to list
 * (two spaces apart). Returns the number of candidates. Reads tables raw
 * (no metamethods run) under lua_pcall. */
int mtlua_complete(mtlua_session *s, const char *before, char *insert, size_t ni, char *list, size_t nl);

/* Async-signal-safe: makes the running Lua code raise "interrupted". */
void mtlua_interrupt(void);
void mtlua_clear_interrupt(void);

/* For the interrupt watchdog (another thread). A long call inside Lua's C
 * code (string.find on a pathological pattern) never reaches the count
 * hook. mtlua_busy: the main thread is inside Lua now. mtlua_hold_main:
 * if the main thread is inside Lua, keeps it there (it waits when it leaves
 * Lua) and returns 1, so the watchdog may finalise and exit; otherwise
 * returns 0 and holds nothing. */
int mtlua_busy(void);
int mtlua_hold_main(void);
void mtlua_release_main(void);

/* Where lua/mtl.lua is looked for: $MTLAB_LUA_PATH, else <datadir>/lua
 * (core/version.h: mt_datadir, found from the executable), else "lua". */
const char *mtlua_lua_dir(void);

/* Whether the script returned an mtl.sweep { base = ..., grid = ...,
 * seeds = ... }; the session's experiments are then its base. */
int mtlua_is_sweep(const mtlua_session *s);
/* The sweep the script declares: its base experiments' names, the grid
 * (each value as --set text), the seeds, seed paths and reference; for a
 * script of plain experiments, the experiments with no grid and no seeds.
 * Errors name the field ("exp.lua:3: sweep.grid["weighting"][2]: ..."). */
mt_status mtlua_sweep_spec(mtlua_session *s, mt_sweep_spec *out);

/* ---- claims (claim.c; docs/lua-api.md "Claims") ----
 * A script states what its runs show as a claim: on the list it returns
 * (`return { e1, e2, claim = { ... } }`), on an experiment, or on an
 * mtl.sweep. After the runs, the app hands each finished run's
 * summary.json (and config.json) to the session and asks for the
 * verdicts. */
#define MTLUA_MAX_CLAIMS 8
#define MTLUA_MAX_RUNS 32         /* experiments a script may return */
#define MTLUA_CLAIM_MAX_GRID 32   /* seeds, and draws, of a thorough check */
#define MTLUA_CLAIM_MAX_VALUES 64 /* values one run's measure may return */
typedef struct {
    char text[1024];  /* the claim in words */
    char where[256];  /* "exp.lua:12" of the table it is declared on, or "" */
    char path[64];    /* "claim", "experiments[2].claim", "sweep.claim" */
    int on_sweep;     /* declared on an mtl.sweep: `mtlab sweep` checks it */
    int has_check, has_measure;
    char statistic[8]; /* "mean" or "median" of the measured values */
    int has_above, has_below;
    double above, below; /* the margin the statistic must clear */
    long long seed[MTLUA_CLAIM_MAX_GRID]; /* the thorough check's --seed values; */
    int nseeds;                            /* none: the shipped seeds only */
    long long draw[MTLUA_CLAIM_MAX_GRID]; /* its --draw values (0: the shipped data) */
    int ndraws;
} mtlua_claim_info;

typedef struct {
    int held;       /* 1: the claim held (its check, and its statistic against the margin) */
    int check_held; /* what the check alone said (1 without a check) */
    int error;      /* the check or measure raised an error or returned nonsense */
    char message[2048];
    int nvalues; /* what measure returned */
    double value[MTLUA_CLAIM_MAX_VALUES];
    double statistic; /* their mean or median; NaN without measure */
} mtlua_verdict;

int mtlua_claim_count(const mtlua_session *s);
/* Borrowed; valid until mtlua_close. */
const mtlua_claim_info *mtlua_claim_at(const mtlua_session *s, int j);
/* Adds experiment i's finished run to the results the claims see:
 * DIR/summary.json (required) and DIR/config.json as Lua tables, at
 * results[i + 1] and results["<name>"]. */
mt_status mtlua_claim_add_result(mtlua_session *s, int i, const char *dir);
/* Adds a JSON document at results[key] (a sweep's sweep.json). */
mt_status mtlua_claim_add_json(mtlua_session *s, const char *key, const char *json);
/* Claim j's verdict on the results added so far. An error inside the
 * script's functions is a failed verdict (v->error, the message with the
 * script line and traceback), not an error of this call. */
mt_status mtlua_claim_check(mtlua_session *s, int j, mtlua_verdict *v);
/* The mean or median ("mean", "median") of the finite values; NaN if none. */
double mtlua_claim_statistic(const char *statistic, const double *v, int n);

/* The data draw of the sessions opened from now on (--draw N, process-
 * wide; 0: the data as shipped). A draw N > 0 adds N * MTLUA_DRAW_STRIDE
 * to the seed of every mtl.data declaration and to mtl.data_seed(s). */
#define MTLUA_DRAW_STRIDE 1000
void mtlua_set_draw(long long draw);
long long mtlua_get_draw(void);
/* Whether the script took its seeds from mtl.seeds(n): --seed N then
 * offsets them (N, N+1, ...) instead of setting train.seed everywhere. */
int mtlua_owns_seeds(const mtlua_session *s);

/* Parses "key=value" (for --set). Points into arg, which it modifies. */
mt_status mtlua_parse_override(char *arg, mtlua_override *ov);

/* The reference tables of the mtl.data constructors (markdown, as in
 * docs/lua-api.md): each constructor with its parameters' defaults, then
 * one row per parameter. Returns the length it needs (like snprintf); the
 * text is truncated to n. */
size_t mtlua_data_markdown(char *buf, size_t n);
/* The same registry as plain text for `mtlab --list-data`. */
size_t mtlua_data_text(char *buf, size_t n);
/* The keys --set accepts, one a line (`mtlab --complete set-keys`, bash
 * completion); returns the length it needs, like snprintf. */
size_t mtlua_set_keys(char *buf, size_t n);

/* ---- lessons (lesson.c; docs/lua-api.md "Lessons") ----
 * A lesson is a Lua file that returns a table: a title, the survey
 * section, the experiment script it runs (relative to the lesson) and its
 * steps. It runs in the same sandbox as a script and is data: the
 * workbench interprets it (`mtlab learn`). */
#define MTLUA_LESSON_MAX_STEPS 32
typedef struct {
    char say[4096];      /* the narration in the notes pane */
    long run_to;         /* run every experiment to this step, then pause; 0: not, -1: to the end */
    long run_to_epoch;   /* the same to the end of this epoch; 0: not */
    int pause;           /* pause on entering the step */
    char focus[16];      /* a pane to focus ("loss", "matrix", ...), or "" */
    int enlarge;         /* enlarge the focused pane (f) */
    char matrix[64];     /* the matrix to show, or "" */
    char weighting[64];  /* switch the loss weighting to this method, or "" */
    double speed;        /* steps per second; 0 = full speed; -1 = unchanged */
    int experiment;      /* the experiment to show (1-based); 0 = unchanged */
    char ask[1024];      /* a question, or "" */
    char answer[2048];   /* its answer, shown on the next key press */
} mtlua_lesson_step;

typedef struct {
    char path[1024];     /* the lesson file */
    char title[160];
    char section[32];    /* "3", "4", ..., "weighting" */
    char summary[512];   /* one line for the menu */
    char script[1024];   /* the experiment script, resolved against the lesson's folder */
    int nsteps;
    mtlua_lesson_step step[MTLUA_LESSON_MAX_STEPS];
} mtlua_lesson;

/* Reads the lesson file at path (sandboxed, under the current policy)
 * into out. A bad field is MT_ERR_SCRIPT naming the file, line and field
 * ("l.lua:12: steps[3].run_to: ..."); a missing script MT_ERR_ARG. */
mt_status mtlua_lesson_load(const char *path, mtlua_lesson *out);

#endif
