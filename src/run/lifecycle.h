/* lifecycle.h - one experiment's run from start to end, the same for
 * `mtlab run` and the workbench, so both leave the same run folder:
 *
 *   lifecycle_new     builds the trainer (and loads a checkpoint); nothing
 *                     is written yet, so a script that fails to build
 *                     leaves no folder behind
 *   lifecycle_start   opens the run folder, writes config.json and the
 *                     `start` event
 *   lifecycle_baselines  the single-task baselines when the experiment
 *                     asks for them: from the cache in the top folder, or
 *                     trained (run/baselines.h), with a progress callback
 *   lifecycle_step    one training step; the step that completes training
 *                     also evaluates and ends the run
 *   lifecycle_end     how the run ended: an event when it did not finish
 *                     (diverged, failed, interrupted, stopped), the final
 *                     checkpoint, the `finish` event and summary.json
 *   lifecycle_free    closes the files and frees the trainer
 *
 * The lifecycle owns the experiment's monitor (the screen reads it; Lua's
 * run:matrix() reads it headless too) and marks on it every switch of the
 * loss weighting the run folder records (the screen draws them on the
 * time axes). */
#ifndef MT_LIFECYCLE_H
#define MT_LIFECYCLE_H

#include "core/status.h"
#include "run/baselines.h"
#include "run/monitor.h"
#include "run/rundir.h"
#include "run/trainer.h"

typedef struct mt_lifecycle mt_lifecycle;

typedef enum {
    LC_BUILT,     /* built, nothing on disk yet */
    LC_TRAINING,  /* started: training the experiment */
    LC_ENDED,     /* summary written (or not started) */
} lifecycle_phase;

typedef struct {
    const char *dir;   /* the run folder */
    const char *top;   /* the folder the baseline cache lives in; NULL: dir */
    const char *load;  /* a checkpoint to start from, or NULL */
    int series_points; /* plot points the monitor keeps per series; 0: 4096 */
    mt_baseline_progress progress; /* called on the baselines' trainers (may be NULL) */
    void *progress_ud;
    /* writes the files the app adds to the folder (band.svg) after the
     * checkpoint, before the finish event; an error fails the run late.
     * May be NULL. */
    mt_status (*files)(void *ud, const mt_monitor *m, const char *dir);
    void *files_ud;
} lifecycle_opts;

/* Builds e's trainer (e borrowed: it must outlive the lifecycle). On
 * failure *out is NULL and mt_last_error() says why, prefixed with the
 * experiment's name. */
mt_status lifecycle_new(const mt_experiment *e, const lifecycle_opts *o, mt_lifecycle **out);
/* Opens the folder, writes config.json and the `start` event. An error
 * before the folder opened leaves the phase LC_BUILT; after, the run has
 * started and the caller ends it (lifecycle_end) with the error. */
mt_status lifecycle_start(mt_lifecycle *lc);
/* The single-task baselines, cached or trained (blocking; the progress
 * callback sees every baseline step and may stop them: then
 * MT_ERR_INTERRUPTED). Nothing when the experiment does not ask. */
mt_status lifecycle_baselines(mt_lifecycle *lc);
/* One training step. An error (a diverged loss, a failing callback,
 * Ctrl-C in a callback) is returned and does not end the run: the caller
 * ends it with lifecycle_end or, in the workbench, may go on. A step
 * after which training is complete ends the run as "finished"; a write
 * error on the way is kept for lifecycle_end to return. */
mt_status lifecycle_step(mt_lifecycle *lc);
/* Ends the run once (later calls return the first call's result).
 * st: MT_OK, or the error that ended it (mt_last_error() is its message).
 * status: NULL to derive the word from st ("finished", "diverged",
 * "failed", "interrupted"), or e.g. "stopped" with `message` saying why.
 * Returns the first write error, MT_OK when every file was written. */
mt_status lifecycle_end(mt_lifecycle *lc, mt_status st, const char *status, const char *message);
/* Closes the run files; returns a write error seen while closing. */
mt_status lifecycle_free(mt_lifecycle *lc);

lifecycle_phase lifecycle_get_phase(const mt_lifecycle *lc);
int lifecycle_ended(const mt_lifecycle *lc);
mt_trainer *lifecycle_trainer(mt_lifecycle *lc);
mt_monitor *lifecycle_monitor(mt_lifecycle *lc);
/* The baselines once trained (or loaded), else NULL. */
const mt_baselines *lifecycle_baseline_results(const mt_lifecycle *lc);
/* After the end: "finished", "diverged", ...; before it "running". */
const char *lifecycle_status(const mt_lifecycle *lc);
/* After the end: the message of an error or a stop ("" when finished). */
const char *lifecycle_message(const mt_lifecycle *lc);
/* The status the run ended with (MT_OK: finished or stopped). */
mt_status lifecycle_end_code(const mt_lifecycle *lc);
/* When lifecycle_start opened the folder (CLOCK_MONOTONIC seconds). */
double lifecycle_t0(const mt_lifecycle *lc);
/* Seconds since lifecycle_start (frozen at the end). */
double lifecycle_wall(const mt_lifecycle *lc);
const char *lifecycle_dir(const mt_lifecycle *lc);
/* The open run folder (NULL before the start and after the end). */
mt_rundir *lifecycle_rundir(mt_lifecycle *lc);

#endif
