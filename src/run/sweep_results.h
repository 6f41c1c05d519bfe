/* sweep_results.h - a sweep's files: the plan it keeps in
 * DIR/sweep-plan.json (so `mtlab sweep --collect DIR` and a rerun know what
 * was planned), the numbers gathered from each run's summary.json, and
 * the aggregate: DIR/sweep.csv and DIR/sweep.json with the mean, standard
 * deviation, 95% interval and n per configuration and task, the paired
 * comparison against the reference and the Pareto front. */
#ifndef MT_SWEEP_RESULTS_H
#define MT_SWEEP_RESULTS_H

#include "core/limits.h"
#include "core/status.h"
#include "run/sweep_plan.h"
#include "run/sweep_stats.h"

#define MT_SWEEP_MAX_TASKS MT_MAX_TASKS /* tasks of the union over configurations */

/* A task any configuration has (the union over configurations, in order
 * of first appearance). */
typedef struct {
    char name[64];
    char metric[16]; /* "accuracy", "mse", ... */
    int higher_better, aux, in_score;
} mt_sweep_task;

/* The numbers of a run's summary.json a sweep aggregates. */
typedef enum { MT_SQ_VAL_LOSS, MT_SQ_VAL_METRIC, MT_SQ_TEST_LOSS, MT_SQ_TEST_METRIC, MT_SQ_COUNT } mt_sweep_quantity;
const char *sweep_quantity_name(mt_sweep_quantity q); /* "val_loss", ... as in summary.json */

typedef struct {
    int ntasks;
    mt_sweep_task task[MT_SWEEP_MAX_TASKS];
    int nconfigs, nseeds;
    double *value;        /* (nconfigs, ntasks, MT_SQ_COUNT, nseeds); NaN: missing */
    double *delta_m;      /* (nconfigs, nseeds) */
    char (*status)[16];   /* (nconfigs, nseeds): "" when the run has no summary */
    int score;            /* the quantity Pareto and the report use: test metric, or val without test */
} mt_sweep_results;

/* Writes DIR/sweep-plan.json: the spec, the configurations' tasks and the
 * overrides of every run (what a rerun compares to tell a stale run). */
mt_status sweep_plan_save(const char *path, const mt_sweep_plan *p, const mt_sweep_task *tasks, int ntasks);
/* Reads it back into a plan (and the tasks when tasks is not NULL). */
mt_status sweep_plan_load(const char *path, mt_sweep_plan **out, mt_sweep_task *tasks, int *ntasks);
/* The overrides of run r as one string ("--experiment 2 --set k=v ..."),
 * the identity of a run across invocations. */
void sweep_run_identity(const mt_sweep_plan *p, int r, char *buf, size_t n);
/* The identity run r had in the plan at path ("" when absent). */
void sweep_plan_old_identity(const char *path, const char *run_dir, char *buf, size_t n);

mt_status sweep_results_new(const mt_sweep_plan *p, const mt_sweep_task *tasks, int ntasks, mt_sweep_results **out);
void sweep_results_free(mt_sweep_results *r);
/* Records run r from the text of its summary.json. */
mt_status sweep_results_add(mt_sweep_results *res, const mt_sweep_plan *p, int r, const char *summary_json);
/* Reads DIR/<run>/summary.json of every run not yet recorded. */
void sweep_results_read(mt_sweep_results *res, const mt_sweep_plan *p, const char *dir);
/* The status a run's summary.json records ("" when absent or unreadable). */
void sweep_run_status(const char *dir, const char *run_dir, char *status, size_t n);
/* Whether a run with this status is done (finished or diverged): a rerun
 * skips it; anything else (interrupted, failed, absent) is redone. */
int sweep_status_done(const char *status);

/* Per configuration and task, the statistics of every quantity and the
 * paired difference to the reference configuration (absent for the
 * reference itself); per configuration those of delta_m and whether it is
 * on the Pareto front of the score's means (main tasks, each oriented so
 * higher is better). */
typedef struct {
    mt_stat *q;        /* (nconfigs, ntasks, MT_SQ_COUNT) */
    mt_stat *diff;     /* (nconfigs, ntasks, MT_SQ_COUNT) */
    mt_stat *dm, *dm_diff; /* (nconfigs) */
    int *pareto;       /* (nconfigs) */
    int reference;
} mt_sweep_table;

mt_status sweep_table_compute(const mt_sweep_results *res, int reference, mt_sweep_table *t);
void sweep_table_free(mt_sweep_table *t);

/* DIR/sweep.csv: one row per configuration, task and quantity (task "" and
 * quantity delta_m for delta_m):
 *   config,dir,task,quantity,n,mean,std,ci95_low,ci95_high,
 *   diff_n,diff_mean,diff_ci95_low,diff_ci95_high,significant,pareto */
mt_status sweep_write_csv(const char *path, const mt_sweep_plan *p, const mt_sweep_results *res,
                          const mt_sweep_table *t);
/* DIR/sweep.json: the same, nested by configuration and task, with each
 * configuration's settings and run statuses, the reference and the front. */
mt_status sweep_write_json(const char *path, const mt_sweep_plan *p, const mt_sweep_results *res,
                           const mt_sweep_table *t);

#endif
