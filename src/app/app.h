/* app.h - the command line's pieces, shared by main.c, headless.c and
 * workbench.c. Only app/ prints to the terminal or exits. */
#ifndef MT_APP_H
#define MT_APP_H

#include <signal.h>
#include "lua/mtlua.h"
#include "run/rundir.h"

#define MT_EXIT_OK 0
#define MT_EXIT_FAILED 1 /* the run failed: diverged, I/O, interrupted */
#define MT_EXIT_USAGE 2  /* usage or script error */
#define MT_EXIT_CLAIM 3  /* every run finished, and a claim of the script failed */

#define APP_MAX_SETS 64

typedef struct {
    const char *script;
    const char *out_dir; /* NULL: runs/<script>-<time> */
    mtlua_override sets[APP_MAX_SETS];
    int nsets;
    int threads;
    int quiet;
    int no_color;
    int exit_when_done; /* workbench: quit once every experiment has ended */
    double speed;       /* workbench: steps per second per experiment; 0 = unlimited */
    int speed_given;    /* --speed was given: it overrides a script's train.pace */
    int learn;          /* mtlab learn: the script is a lessons folder or file, and optional */
    const char *load;   /* a checkpoint to start every experiment from, or NULL */
    int force;          /* write into a non-empty --out folder */
    int trust;          /* --trust / MTLAB_TRUST=1: the full Lua standard library */
    size_t lua_mem;     /* --lua-mem: bytes a script's Lua state may hold */
    const char *experiment;    /* run: only this experiment (1-based number or name), or NULL */
    const char *baselines_dir; /* run: where single-task baselines are cached; NULL = the out dir */
    long long draw;            /* --draw N: the data draw (0: as shipped) */
    int claims_thorough;       /* run: check the claims over their seeds x draws */
    /* sweep (src/app/sweep.c) */
    const char *seeds;     /* "1..10", or NULL: the script's */
    const char *reference; /* the configuration differences are taken against; NULL = the first */
    const char *collect;   /* aggregate the runs of this sweep directory */
    int jobs;              /* -j: runs at a time on this machine (or MPI rank) */
    int list;              /* print one `mtlab run` command per run */
} app_options;

#define APP_EXIT_ESCALATED 130 /* a second interrupt stopped the process at once */

extern volatile sig_atomic_t app_stop_signal; /* SIGINT/SIGTERM seen */

int app_run_headless(const app_options *o);
int app_check(const app_options *o);
int app_sweep(const app_options *o);
int app_workbench(const app_options *o);
/* The files a run folder gets beside the records (band.svg of a model's
 * posterior band); a lifecycle_opts.files hook, headless and workbench. */
mt_status app_run_files(void *ud, const mt_monitor *m, const char *dir);
/* mtlab open RUN_DIR... [--no-color]: recorded runs, read only. */
int app_open(int argc, char **argv);
/* mtlab learn [DIR | LESSON.lua]: the lessons as a menu, each taught on
 * the workbench (learn.c); o->script is the folder or file, or NULL. */
int app_learn(const app_options *o);
/* A filesystem-safe slug of an experiment name: "01-hard-sharing". */
void app_slug(const char *name, int index, char *out, size_t n);
/* The index of experiment `which` (a 1-based number or a name) in s, or -1. */
int app_find_experiment(const mtlua_session *s, const char *which);
/* runs/<script stem>-<date>-<time> into out. */
void app_default_run_dir(const char *script, char *out, size_t n);
/* signals.c. SIGINT/SIGTERM set app_stop_signal and interrupt running Lua
 * code; a second one within two seconds escalates (app_escalated): a
 * watchdog thread restores the terminal, records the guarded run folders
 * as "interrupted" and exits 130 when the main thread is stuck in Lua,
 * else the main thread shuts down in order and main() returns 130.
 * Call again after tui_open (which installs its own handlers). */
void app_install_signals(void);
int app_escalated(void);
/* code, or 130 after an escalation: what main() returns. */
int app_exit_code(int code);
/* Headless: a hint on stderr when the script does not answer a first Ctrl-C. */
void app_signal_hints(int on);
/* A run folder (with its trainer, started at t0 on CLOCK_MONOTONIC) that
 * the watchdog finalises if it stops the process; unguard before closing. */
void app_guard_run(mt_rundir *rd, mt_trainer *t, double t0);
void app_unguard_run(const mt_rundir *rd);

#endif
