/* sweep.h - `mtlab sweep` inside src/app: the driver (sweep.c), starting
 * runs as child processes (sweep_exec.c), spreading them over MPI ranks
 * (sweep_mpi.c; the only file that includes <mpi.h>) and the SVG
 * (sweep_svg.c). */
#ifndef MT_APP_SWEEP_H
#define MT_APP_SWEEP_H

#include <sys/types.h>
#include "run/sweep_results.h"

typedef struct {
    const mt_sweep_plan *plan;
    const char *out;  /* the sweep's directory */
    char exe[4096];   /* this mtlab binary: every run is `exe run ...` */
    int quiet;
    int total;        /* runs to do in this invocation */
    int ended;        /* of which ended so far */
    int failed;       /* ended without a finished or diverged summary */
    double t0;
    char **summary;   /* (nruns) summary.json texts gathered from MPI ranks, or NULL */
} app_sweep_ctx;

/* ---- sweep_exec.c ---- */
/* Starts `exe run ...` for run r with stdout and stderr into
 * OUT/<run>/run.log; the child dies with its parent. -1 on failure (the
 * message is printed). args: the run's arguments (sweep_plan_argv). */
pid_t sweep_spawn(const char *exe, char *const *args, const char *log);
/* Whether pid has ended (1, *code = its exit code or 128+signal), is still
 * running (0). */
int sweep_reap(pid_t pid, int *code);
/* Starts run r of the plan (making its folder); -1 on failure. */
pid_t sweep_start_run(const app_sweep_ctx *c, int r);
/* Records that run r ended with code (on `where`, "" for this process):
 * counts it and prints a progress line. */
void sweep_run_ended(app_sweep_ctx *c, int r, int code, double secs, const char *where);
/* Up to `jobs` runs at a time in child processes of this one. */
typedef struct {
    int jobs, running, forwarded;
    pid_t *pid;  /* (jobs); 0: the slot is free */
    int *run;    /* (jobs) */
    double *t0;  /* (jobs) */
} sweep_slots;
mt_status sweep_slots_init(sweep_slots *s, int jobs);
void sweep_slots_free(sweep_slots *s);
/* Starts todo[*next...] in free slots, reaps the runs that ended (on
 * `where`), and on an interrupt starts nothing more and passes SIGINT on.
 * Returns whether anything happened. */
int sweep_slots_step(app_sweep_ctx *c, sweep_slots *s, const int *todo, int n, int *next, const char *where);
/* Runs todo[0..n) here, `jobs` at a time, until done or interrupted. */
void sweep_exec_local(app_sweep_ctx *c, const int *todo, int n, int jobs);
double sweep_now(void);

/* ---- sweep_mpi.c ---- */
/* Whether this process was started by mpirun: 1 and MPI initialised
 * (rank, size set), 0 not, -1 started by mpirun but built without MPI (the
 * message is printed). */
int sweep_mpi_start(int *rank, int *size);
/* Rank 0: hands todo[0..n) out to the other ranks as they become free,
 * running `jobs` at a time itself too, and gathers each run's summary. */
void sweep_exec_mpi(app_sweep_ctx *c, const int *todo, int n, int jobs);
/* Ranks above 0: run what rank 0 hands out until it says stop. Returns
 * the exit code. */
int sweep_mpi_worker(void);
/* Rank 0 stops workers that are still waiting; every rank finalises. */
void sweep_mpi_stop(int rank);
/* "Open MPI 4.1.4" or "" when built without MPI. */
const char *sweep_mpi_version(void);

/* ---- sweep_svg.c ---- */
/* DIR/sweep.svg: per main task, the score's mean by configuration with
 * 95% intervals as error bars; the Pareto scatter of the first two. */
mt_status sweep_write_svg(const char *path, const mt_sweep_plan *p, const mt_sweep_results *res,
                          const mt_sweep_table *t);

#endif
