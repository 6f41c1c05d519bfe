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
#include "run/trainer.h"

typedef struct mtlua_session mtlua_session;

typedef struct {
    const char *key;   /* dotted path: "train.epochs", "tasks[2].weight" */
    const char *value; /* parsed as a number, true/false, or else a string */
} mtlua_override;

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

/* What scripts and the console reach outside Lua. */
typedef struct {
    void *ud;
    /* print and io.write: raw text (print's newline included) */
    void (*write)(void *ud, const char *text, size_t n);
    /* run:pause() (pause = 1) and run:resume() (0) of experiment i;
     * returns 1 when the state changed */
    int (*pause)(void *ud, int i, int pause);
} mtlua_host;
/* Replaces the host; NULL restores the default (print and io.write to
 * stdout, run:pause() answers false: nothing to pause headless). */
void mtlua_set_host(mtlua_session *s, const mtlua_host *h);

/* Evaluates a console line ("run:lr()", "run:set_lr(1e-3)", "1+1") against
 * the attached run; the printable result or the error goes to out. */
mt_status mtlua_eval(mtlua_session *s, const char *line, char *out, size_t n);

/* Async-signal-safe: makes the running Lua code raise "interrupted". */
void mtlua_interrupt(void);
void mtlua_clear_interrupt(void);

/* Where lua/mtl.lua is looked for: $MTLAB_LUA_PATH, then the build's source
 * tree, then ../share/mtlab/lua beside the executable. */
const char *mtlua_lua_dir(void);

/* Parses "key=value" (for --set). Points into arg, which it modifies. */
mt_status mtlua_parse_override(char *arg, mtlua_override *ov);

#endif
