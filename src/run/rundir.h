/* rundir.h - a run directory: what `mtlab run` leaves behind.
 *
 *   config.json         the fully resolved experiment
 *   metrics.csv         long format: step,epoch,split,task,loss,metric,weight,experiment,seed
 *                       (the last two from rundir_write_config: the rows of
 *                       several runs concatenate with no path parsing)
 *   events.jsonl        one JSON object per line: start, eval, weighting, lr, checkpoint, best, diverged, finish...
 *   relations.jsonl     task-relationship matrices: {"step","name","rows","cols","labels","values"}
 *   summary.json        per task: final and best losses and metrics, test loss and
 *                       metric, the learning-curve slopes (mtl/auxtask.h; with
 *                       baselines also the single-task run's); delta_m_percent
 *                       when baselines ran; the last and
 *                       mean value of every published matrix; wall time; samples
 *                       per second; parameters; the verdicts of the script's claims
 *   checkpoint.safetensors  the parameters (see engine/checkpoint.h)
 *
 * metrics.csv holds no times, so the same script and seed on one thread give
 * a byte-identical file. */
#ifndef MT_RUNDIR_H
#define MT_RUNDIR_H

#include <stdio.h>
#include <cJSON.h>
#include "core/status.h"
#include "run/baselines.h"
#include "run/monitor.h"
#include "run/trainer.h"

typedef struct mt_rundir mt_rundir;

/* The longest a record waits in memory before it is written: a kill loses
 * at most this much (plus whatever came after the last evaluation, which
 * writes at once). */
#define RUNDIR_FLUSH_S 2.0

/* Refuses a dir that exists and holds anything, unless force: MT_ERR_STATE
 * "DIR: already exists and is not empty (config.json, metrics.csv, ...)";
 * MT_ERR_ARG for a path that cannot be a run folder (a file, an empty
 * path). A missing or empty directory is fine. Creates nothing. */
mt_status rundir_check_fresh(const char *dir, int force);

/* Creates dir (and parents) and starts metrics.csv, events.jsonl and
 * relations.jsonl afresh (truncating them). Call it only once the run is
 * sure to start: the files of an earlier run are gone afterwards. */
mt_status rundir_open(const char *dir, mt_rundir **out);
/* Writes out, fsyncs and closes metrics.csv, events.jsonl and
 * relations.jsonl, so the run's records are on disk before summary.json
 * says how it ended; records after this are dropped. Returns the first
 * write error of the run (with its message), if any. */
mt_status rundir_seal(mt_rundir *rd);
/* rundir_seal, then frees rd; the first write error of the run. */
mt_status rundir_close(mt_rundir *rd);
const char *rundir_path(const mt_rundir *rd);
/* Creates dir and its parents (the sweep makes run folders before a run
 * writes its log there). */
mt_status rundir_mkdirs(const char *dir);
/* "<dir>/<name>" into buf. */
const char *rundir_file(const mt_rundir *rd, const char *name, char *buf, size_t n);
/* The recorder that writes metrics.csv, events.jsonl and relations.jsonl.
 * Records are whole lines, kept in memory and written with one write(2)
 * per file at every event (an evaluation writes one) and at least every
 * RUNDIR_FLUSH_S seconds (rundir_poll), so the files on disk always end
 * with a complete line. After a write error nothing more is written; on
 * the failed file the partial tail is cut back to the last whole line. */
mt_recorder rundir_recorder(mt_rundir *rd);
/* Appends the record (takes ownership; built with jrec_event) to
 * events.jsonl and writes every file out. */
void rundir_event(mt_rundir *rd, cJSON *rec);
/* Writes every buffered line now; the first write error of the run. */
mt_status rundir_flush(mt_rundir *rd);
/* rundir_flush when RUNDIR_FLUSH_S has passed since the last one; the
 * first write error of the run, e.g. MT_ERR_IO "runs/x/metrics.csv: write
 * failed: No space left on device". Cheap: call it after every step. */
mt_status rundir_poll(mt_rundir *rd);
/* Writes a JSON document (cJSON_Print, a final newline) to path through a
 * temporary file renamed into place. */
mt_status rundir_write_json_path(const char *path, const cJSON *o);

/* The optimiser's settings as config.json has them (and the baselines'
 * cache key). */
cJSON *rundir_optim_json(const mt_optim_spec *op);
/* config.json from the experiment and the built trainer (parameter counts). */
mt_status rundir_write_config(mt_rundir *rd, const mt_experiment *e, const mt_trainer *t);

/* The best values a run saw (NaN where none), by task: the lowest
 * training-window and validation losses and the best validation metric
 * (highest or lowest as the metric goes), with the steps they came at;
 * and the last loss weight recorded. */
typedef struct {
    double train_loss[MT_MAX_TASKS], val_loss[MT_MAX_TASKS], val_metric[MT_MAX_TASKS];
    long train_loss_step[MT_MAX_TASKS], val_loss_step[MT_MAX_TASKS], val_metric_step[MT_MAX_TASKS];
    double weight[MT_MAX_TASKS]; /* the loss weight (or sigma) of the last training record */
    auxtask_curve curve[MT_MAX_TASKS]; /* the validation loss curves (slopes in summary.json); set
                                          their total steps with rundir_best_set_total */
} mt_run_best;

/* Every value NaN. */
void rundir_best_clear(mt_run_best *b);
/* The run's steps, for the learning-curve slopes (none kept before). */
void rundir_best_set_total(mt_run_best *b, long total_steps);
/* Folds one metrics record (a recorder's metric call) of task k into b. */
void rundir_best_note(mt_run_best *b, int k, int higher_is_better, mt_split_kind split, long step, double loss,
                      double metric, double weight);

/* summary.json. b: the baselines or NULL; best: or NULL; mon: the run's
 * monitor, whose matrices (their last update and their mean over the run)
 * go in "matrices", or NULL. */
mt_status rundir_write_summary(mt_rundir *rd, const mt_trainer *t, const char *status, const char *message,
                               double wall_s, const mt_baselines *b, const mt_run_best *best,
                               const mt_monitor *mon);

#endif
