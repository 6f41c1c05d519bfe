/* result.h - the numbers a run reports, defined once: summary.json is
 * written from them, the workbench's comparison shows them, and `mtlab
 * open` reads them back from summary.json, so the screen and the files
 * cannot disagree.
 *
 * Per task and split, the final loss is:
 *   train  the mean training loss over the steps since the previous
 *          evaluation (summary.json "train_loss"), not the last step's;
 *   val    the validation loss at the last evaluation ("val_loss");
 *   test   the test loss after training ("test_loss").
 * delta_m compares the test metric (the validation metric while there is
 * no test result) with the single-task baselines. */
#ifndef MT_RESULT_H
#define MT_RESULT_H

#include "run/rundir.h"
#include "run/trainer.h"

typedef enum { MT_RES_TRAIN, MT_RES_VAL, MT_RES_TEST, MT_RES_SPLITS } mt_result_split;

typedef struct {
    char name[128];
    char status[16]; /* running, finished, diverged, failed, interrupted, stopped */
    long steps, total_steps;
    int ntasks;
    char task[MT_MAX_TASKS][MT_MON_NAME];
    int aux[MT_MAX_TASKS];
    char metric_name[MT_MAX_TASKS][16]; /* accuracy, mse, mae, loss */
    int higher_better[MT_MAX_TASKS];    /* 1: a larger metric is better */
    double loss[MT_RES_SPLITS][MT_MAX_TASKS];   /* NaN where there is none */
    double metric[MT_RES_SPLITS][MT_MAX_TASKS]; /* train: NaN (not reported) */
    double single_task_metric[MT_MAX_TASKS];    /* NaN without baselines */
    double delta_m;                             /* percent; NaN without baselines */
    int have_baselines;
} mt_run_result;

/* Empty: no tasks, every number NaN. */
void result_clear(mt_run_result *r);
/* The numbers of a run so far (status: the word to report). b may be NULL. */
void result_from_trainer(const mt_trainer *t, const mt_baselines *b, const char *status, mt_run_result *r);
/* Reads them back from a summary.json (a run folder's). result.c needs
 * no trainer; result_from_trainer lives in result_trainer.c. */
mt_status result_read_summary(const char *path, mt_run_result *r);
/* The same from a parsed summary.json. */
mt_status result_read_summary_json(const cJSON *o, mt_run_result *r);

const char *result_split_name(mt_result_split s);
/* What the final loss of a split is, in words, for labels. */
const char *result_split_definition(mt_result_split s);
/* The index of the task named `name`, or -1. */
int result_find_task(const mt_run_result *r, const char *name);

#endif
