/* rundir.h - a run directory: what `mtlab run` leaves behind.
 *
 *   config.json         the fully resolved experiment
 *   metrics.csv         long format: step,epoch,split,task,loss,metric,weight
 *   events.jsonl        one JSON object per line: start, eval, epoch, diverged, finish...
 *   relations.jsonl     task-relationship matrices: {"step","name","rows","cols","labels","values"}
 *   summary.json        per task: final validation and test loss and metric; delta_m
 *                       when baselines ran; wall time; samples per second; parameters
 *   checkpoint.safetensors  the parameters (see engine/checkpoint.h)
 *
 * metrics.csv holds no times, so the same script and seed on one thread give
 * a byte-identical file. */
#ifndef MT_RUNDIR_H
#define MT_RUNDIR_H

#include <stdio.h>
#include "core/status.h"
#include "run/trainer.h"

typedef struct mt_rundir mt_rundir;

/* Creates dir (and parents) and opens the files for writing. */
mt_status rundir_open(const char *dir, mt_rundir **out);
/* Flushes and closes; reports a write error it saw on the way. */
mt_status rundir_close(mt_rundir *rd);
const char *rundir_path(const mt_rundir *rd);
/* Creates dir and its parents (the sweep makes run folders before a run
 * writes its log there). */
mt_status rundir_mkdirs(const char *dir);
/* "<dir>/<name>" into buf. */
const char *rundir_file(const mt_rundir *rd, const char *name, char *buf, size_t n);
/* The recorder that writes metrics.csv, events.jsonl and relations.jsonl. */
mt_recorder rundir_recorder(mt_rundir *rd);
/* Appends {"event": name, "step": step, ...extra} where extra is a
 * JSON-object body without braces ("" for none). */
void rundir_event(mt_rundir *rd, const char *name, long step, const char *extra_fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rundir_flush(mt_rundir *rd);
/* Writes a JSON document (cJSON_Print, a final newline) to path through a
 * temporary file renamed into place. */
struct cJSON;
mt_status rundir_write_json_path(const char *path, const struct cJSON *o);
/* s as a quoted, escaped JSON string into buf. */
const char *rundir_json_string(const char *s, char *buf, size_t n);

/* config.json from the experiment and the built trainer (parameter counts). */
mt_status rundir_write_config(mt_rundir *rd, const mt_experiment *e, const mt_trainer *t);

/* Single-task baseline results for delta_m; n = number of tasks. */
typedef struct {
    int have;
    double metric[MT_MAX_TASKS]; /* test metric (validation if no test split) */
} mt_baselines;

/* delta_m in percent: the mean over scored tasks of
 * (-1)^{lower is better} (M_mtl - M_single) / M_single * 100. NAN when no
 * task can be scored. */
double delta_m(const mt_experiment *e, const double *mtl, const mt_baselines *b);

mt_status rundir_write_summary(mt_rundir *rd, const mt_trainer *t, const char *status,
                               const char *message, double wall_s, const mt_baselines *b);

/* Reads the baselines cached in dir/baselines.json for this experiment's
 * data, budget and seed (a key the caller builds); 0 if absent or stale. */
int baselines_load(const char *path, const char *key, mt_baselines *b, int ntasks);
mt_status baselines_save(const char *path, const char *key, const mt_baselines *b, int ntasks,
                         const mt_experiment *e);
/* Holds an fcntl lock on path.lock while one process trains the
 * baselines others will reuse (runs of a sweep started together wait
 * instead of training the same baselines twice). Returns a descriptor
 * for baselines_unlock, or -1 when locking is not possible (the caller
 * goes on unlocked: the cache is written atomically either way). */
int baselines_lock(const char *path);
void baselines_unlock(int fd);

#endif
