/* runread.h - a run folder read back (`mtlab open`): what the workbench
 * shows of a finished or interrupted run, read only.
 *
 * From config.json the tasks, the description and the network; from
 * metrics.csv the curves (training losses are the window means recorded
 * at each evaluation, so they are coarser than the live per-step curve);
 * from events.jsonl the method switches and a log; from relations.jsonl
 * every matrix update, which a cursor steps through; from summary.json
 * the numbers (run/result.h). A run killed before its summary was written
 * is read too: its numbers then come from the last rows of metrics.csv
 * and its status says "no summary". */
#ifndef MT_RUNREAD_H
#define MT_RUNREAD_H

#include "core/status.h"
#include "run/monitor.h"
#include "run/result.h"

typedef struct mt_recorded mt_recorded;

/* Reads the run folder dir (a folder holding config.json). On error *out
 * is NULL and the message names the file and what is wrong. */
mt_status runread_open(const char *dir, mt_recorded **out);
void runread_free(mt_recorded *r);

/* The folders of the runs under dir: dir itself when it holds
 * config.json, else the folders below it that do, down to three levels
 * (a script's experiments, a sweep's <configuration>/seed-<n>), sorted. Returns how many (at most max); each path goes to
 * paths[i] (n bytes each). MT_ERR_ARG via mt_fail when none. */
int runread_find(const char *dir, char (*paths)[1024], int max);

mt_monitor *runread_monitor(mt_recorded *r);
const mt_run_result *runread_result(const mt_recorded *r);
const char *runread_dir(const mt_recorded *r);

/* The steps at which any matrix was recorded, ascending (borrowed), and
 * how many. */
const long *runread_steps(const mt_recorded *r, int *n);
/* The i-th recorded update (0 = the first) of the matrix named `name`:
 * its values (rows x cols, borrowed), step and shape; NULL for an
 * unknown name or i out of range. */
const double *runread_update(const mt_recorded *r, const char *name, int i, long *step, int *rows, int *cols);
/* Shows every matrix as it was at `step`: its last update at or before
 * it, with its running averages over the updates up to there (the
 * monitor's window). A matrix not recorded yet is marked not valid. */
void runread_seek(mt_recorded *r, long step);
long runread_cursor(const mt_recorded *r);

/* The runs of one sweep configuration (its seeds' folders, dirs[0..n))
 * read as one, named `name`: every curve is the mean over the seeds at
 * the steps all of them reached, with mean -/+ one sample standard
 * deviation in the monitor's spread series (spread_n = n); the numbers
 * are the means of the seeds' summaries (NaN where a seed has none); the
 * matrices are those of the first seed. An error names the folder. */
mt_status runread_open_runs(const char *name, const char *const *dirs, int n, mt_recorded **out);

#endif
